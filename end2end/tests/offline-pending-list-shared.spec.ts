import { expect, test } from "@playwright/test";
import { chrome, createPostByAnyUser, uniqueToken, waitForLive } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

test("every tab lists the same pending writes, live, and one replay lands them once", async ({
  context,
  request,
}) => {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `Pending in two tabs ${unique}`,
    content: `Edited offline in one tab (${unique}).`,
  });
  const first = new PostsPage(await context.newPage());
  await first.gotoHydrated();
  const second = new PostsPage(await context.newPage());
  await second.gotoHydrated();
  await waitForLive(first.page);
  await waitForLive(second.page);
  const patches: string[] = [];
  for (const tab of [first, second]) {
    tab.page.on("request", (r) => {
      if (r.method() === "PATCH" && r.url().endsWith(`/api/posts/${post.id}`)) patches.push(r.url());
    });
  }

  await context.setOffline(true);
  const title = `Edited offline ${unique}`;
  await first.edit(first.itemById(post.id), { title });
  for (const tab of [first, second]) {
    await expect(tab.page.getByTestId("pending-item")).toHaveText([`Edit of the post “${title}”`]);
    await expect(tab.titleOf(tab.itemById(post.id))).toHaveText(title);
  }

  await context.setOffline(false);
  for (const tab of [first, second]) {
    await expect(chrome(tab.page).offlineBanner).toBeHidden();
  }
  const stored = await (await request.get(`/api/posts/${post.id}`)).json();
  expect(stored.title).toBe(title);
  expect(stored.version, "landed once").toBe(post.version + 1);
  expect(patches, "one tab replayed it, once").toHaveLength(1);
});
