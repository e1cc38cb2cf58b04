import { expect, test } from "@playwright/test";
import { createPostByAnyUser, uniqueToken } from "./fixtures/app";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { PostsPage } from "./fixtures/posts-page";

/** What a busy server answers: 503 and how long to wait. */
const BUSY = {
  status: 503,
  headers: { "Retry-After": "3", "Content-Type": "application/json" },
  body: JSON.stringify({ error: { code: "busy", message: "the server is busy; try again shortly" } }),
};

test("a post the server is too busy to give is asked for four times in all, as the server paces, then the page says so", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `Busy server ${unique}`,
    content: `Asked for while the server is busy (${unique}).`,
  });
  const feed = new PostsPage(page);
  await feed.gotoHydrated();

  const asked: number[] = [];
  await page.route(`**/api/posts/${post.id}`, async (route) => {
    if (route.request().method() !== "GET") return route.fallback();
    asked.push(Date.now());
    await route.fulfill(BUSY);
  });
  await feed.linkOf(feed.itemById(post.id)).click();

  const detail = new PostDetailPage(page);
  await expect(detail.loadError).toBeVisible({ timeout: 20_000 });
  await expect(detail.loadError).toContainText("busy");
  // The first try and three retries: one layer retries, not two.
  expect(asked).toHaveLength(4);
  // Each retry waited at least the three seconds the server asked for.
  for (let i = 1; i < asked.length; i++) {
    expect(asked[i]! - asked[i - 1]!).toBeGreaterThanOrEqual(3_000);
  }
  // And nothing more is asked once the page has said so.
  await page.waitForTimeout(1_500);
  expect(asked).toHaveLength(4);
});
