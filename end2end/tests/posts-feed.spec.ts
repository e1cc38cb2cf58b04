import { expect, test } from "@playwright/test";
import { login } from "./fixtures/auth";
import { waitForHydration } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

test.beforeEach(async ({ page }) => {
  await login(page);
});

test("the feed shows 20 posts and loads more in pages of 20 without duplicates", async ({ page }) => {
  const posts = new PostsPage(page);
  await posts.goto();
  await expect(posts.items).toHaveCount(20);

  await waitForHydration(page);
  const firstPage = await posts.postIds();
  expect(firstPage).toHaveLength(20);

  // Clicking scrolls the button, and with it the feed's end, into view,
  // where the infinite scroll may load further pages on its own: at least
  // one more page arrives, and pages arrive whole.
  await posts.loadMore.click();
  await expect.poll(() => posts.items.count()).toBeGreaterThanOrEqual(40);
  await expect(posts.loadMore).toBeEnabled();
  const count = await posts.items.count();
  expect(count % 20, `${count} posts shown: whole pages of 20`).toBe(0);

  const ids = await posts.postIds();
  expect(ids.every((id) => id !== ""), "every post-item carries data-post-id").toBe(true);
  expect(new Set(ids).size, "distinct data-post-id values").toBe(ids.length);
  // Loading more appends: the first page keeps its place.
  expect(ids.slice(0, 20)).toEqual(firstPage);
});
