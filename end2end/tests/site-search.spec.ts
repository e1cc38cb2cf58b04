import { expect, test } from "@playwright/test";
import { createPostViaApi, createUserViaApi, recordApiRequests, uniqueToken } from "./fixtures/app";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { PostsPage } from "./fixtures/posts-page";
import { SiteSearch } from "./fixtures/site-search";

test("the header search finds people and posts from two characters and is driven by the keyboard", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Searchable ${unique}`,
    email: `searchable-${unique}@example.com`,
    role: "user",
  });
  const post = await createPostViaApi(request, {
    title: `Findable ${unique}`,
    content: `A post to search for (${unique}).`,
    authorId: user.id,
  });

  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  const search = new SiteSearch(page);
  const searches = recordApiRequests(page, "/api/users/search");

  await expect(search.input).toHaveAttribute("role", "combobox");
  await expect(search.input).toHaveAttribute("aria-expanded", "false");

  // One character: no search is even scheduled.
  await search.input.fill(unique.slice(0, 1));
  await expect(search.root).toHaveAttribute("data-state", "idle");
  await expect(search.popup).toBeHidden();

  // The whole token: after the pause, both kinds are listed.
  await search.input.fill(unique);
  await expect(search.optionsOf("user")).toHaveCount(1);
  await expect(search.optionsOf("post")).toHaveCount(1);
  await expect(search.optionsOf("user")).toContainText(user.name);
  await expect(search.optionsOf("post")).toContainText(post.title);
  await expect(search.input).toHaveAttribute("aria-expanded", "true");
  expect(
    searches.every((r) => new URL(r.split(" ")[1]!, "http://x").searchParams.get("q")!.length >= 2),
    `no search for a single character: ${searches.join(", ")}`,
  ).toBe(true);
  expect(searches.at(-1)).toContain(`q=${unique}`);

  // ArrowDown / ArrowUp move the active option, wrapping around.
  const userOption = search.optionsOf("user");
  const postOption = search.optionsOf("post");
  await search.input.press("ArrowDown");
  await expect(search.input).toHaveAttribute("aria-activedescendant", (await userOption.getAttribute("id"))!);
  await expect(userOption).toHaveAttribute("aria-selected", "true");
  await search.input.press("ArrowDown");
  await expect(postOption).toHaveAttribute("aria-selected", "true");
  await expect(userOption).toHaveAttribute("aria-selected", "false");
  await search.input.press("ArrowDown");
  await expect(userOption).toHaveAttribute("aria-selected", "true");
  await search.input.press("ArrowUp");
  await expect(postOption).toHaveAttribute("aria-selected", "true");

  // Escape closes the popup; a second Escape clears the box.
  await search.input.press("Escape");
  await expect(search.popup).toBeHidden();
  await expect(search.input).toHaveAttribute("aria-expanded", "false");
  await expect(search.input).not.toHaveAttribute("aria-activedescendant", /.+/);
  await search.input.press("Escape");
  await expect(search.input).toHaveValue("");

  // Enter opens the active post's page.
  await search.input.fill(unique);
  await expect(search.options).toHaveCount(2);
  await search.input.press("ArrowUp");
  await expect(postOption).toHaveAttribute("aria-selected", "true");
  await search.input.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/posts/${post.id}$`));
  await expect(new PostDetailPage(page).title).toHaveText(post.title);
  await expect(search.input).toHaveValue("");

  // And the active person's page.
  await search.input.fill(unique);
  await expect(search.options).toHaveCount(2);
  await search.input.press("ArrowDown");
  await search.input.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/users/${user.id}$`));
});
