import { expect, test } from "@playwright/test";
import { createPostByAnyUser, uniqueToken, waitForLive } from "./fixtures/app";
import { holdRequests } from "./fixtures/hold";
import { PostsPage } from "./fixtures/posts-page";

test("an edit in the feed shows before the server answers, and the server keeps it", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `Before the edit ${unique}`,
    content: `Original words (${unique}).`,
  });
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await waitForLive(page);
  const item = posts.itemById(post.id);
  await expect(posts.titleOf(item)).toHaveText(post.title);

  const held = await holdRequests(page, "PATCH", `**/api/posts/${post.id}`);
  const title = `After the edit ${unique}`;
  const content = `New words (${unique}).`;
  await posts.edit(item, { title, content });
  await held.seen;
  // Shown while the server has not answered yet.
  await expect(posts.titleOf(item)).toHaveText(title);
  await expect(posts.contentOf(item)).toHaveText(content);
  await expect(posts.editor(item).root).toBeHidden();

  held.release();
  await expect
    .poll(async () => (await (await request.get(`/api/posts/${post.id}`)).json()).title)
    .toBe(title);
  await expect(posts.titleOf(item)).toHaveText(title);
  await posts.reloadHydrated();
  await expect(posts.titleOf(posts.itemById(post.id))).toHaveText(title);
  await expect(posts.contentOf(posts.itemById(post.id))).toHaveText(content);
});

test("a deleted post leaves the feed before the server answers, and stays gone", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `To be deleted ${unique}`,
    content: `Short-lived (${unique}).`,
  });
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await waitForLive(page);
  const item = posts.itemById(post.id);
  await expect(item).toBeVisible();

  const held = await holdRequests(page, "DELETE", `**/api/posts/${post.id}`);
  await posts.delete(item);
  await held.seen;
  await expect(item).toHaveCount(0);

  held.release();
  await expect.poll(async () => (await request.get(`/api/posts/${post.id}`)).status()).toBe(404);
  await expect(item).toHaveCount(0);
  await posts.reloadHydrated();
  await expect(posts.items.first()).toBeVisible();
  await expect(posts.itemById(post.id)).toHaveCount(0);
});
