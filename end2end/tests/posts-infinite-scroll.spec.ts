import { expect, test } from "@playwright/test";
import { PostsPage } from "./fixtures/posts-page";

test("scrolling near the end of the feed loads the next pages before the end is reached", async ({
  page,
}) => {
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await expect(posts.items).toHaveCount(20);
  const firstPage = await posts.postIds();

  // Each time the reader gets within 200 px of the end (still out of
  // sight), the next page arrives; "Load more" is never touched.
  for (const count of [40, 60, 80]) {
    await posts.scrollToNearEnd(200);
    await expect(posts.items).toHaveCount(count);
  }
  await expect(posts.sentinel).not.toBeInViewport();

  const ids = await posts.postIds();
  expect(ids.every((id) => id !== ""), "every post-item carries data-post-id").toBe(true);
  expect(new Set(ids).size, "no post shows twice").toBe(ids.length);
  expect(ids.slice(0, 20), "earlier pages keep their place").toEqual(firstPage);
  await expect(posts.loadMore, "the fallback button stays offered").toBeVisible();
});
