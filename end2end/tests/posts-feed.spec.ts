import { expect, test } from "@playwright/test";
import { login } from "./fixtures/auth";
import { waitForHydration } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

test.beforeEach(async ({ page }) => {
  await login(page);
});

test("the feed shows 20 posts and loads 20 more without duplicates", async ({ page }) => {
  const posts = new PostsPage(page);
  await posts.goto();
  await expect(posts.items).toHaveCount(20);

  await waitForHydration(page);
  const firstPage = await posts.postIds();
  expect(firstPage).toHaveLength(20);

  await posts.loadMore.click();
  await expect(posts.items).toHaveCount(40);

  const ids = await posts.postIds();
  expect(ids.every((id) => id !== ""), "every post-item carries data-post-id").toBe(true);
  expect(new Set(ids).size, "distinct data-post-id values").toBe(ids.length);
  // Loading more appends: the first page keeps its place.
  expect(ids.slice(0, 20)).toEqual(firstPage);
});
