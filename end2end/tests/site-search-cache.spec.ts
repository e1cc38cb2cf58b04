import { expect, test } from "@playwright/test";
import { createUserViaApi, recordApiRequests, uniqueToken } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";
import { SiteSearch } from "./fixtures/site-search";

test("searching a term again shows its answer at once from the cache, with no request", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Cached ${unique}`,
    email: `cached-${unique}@example.com`,
    role: "user",
  });
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  const search = new SiteSearch(page);
  const searches = recordApiRequests(page, "/api/users/search");

  await search.input.fill(unique);
  await expect(search.optionsOf("user")).toHaveCount(1);
  await expect(search.optionsOf("user")).toContainText(user.name);
  expect(searches, "one search for the term").toHaveLength(1);

  // Another term, then the first again: its answer is still fresh.
  await search.input.fill(`${unique}x`);
  await expect(search.root).toHaveAttribute("data-state", "done");
  await expect(search.optionsOf("user")).toHaveCount(0);
  expect(searches).toHaveLength(2);
  await search.input.fill(unique);
  await expect(search.optionsOf("user")).toHaveCount(1);
  await expect(search.optionsOf("user")).toContainText(user.name);
  await expect(search.root).toHaveAttribute("data-state", "done");
  expect(searches, "the first term's answer came from the cache").toHaveLength(2);
});
