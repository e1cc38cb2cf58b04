import { expect, test } from "@playwright/test";
import { uniqueToken, waitForHydration, waitForLive } from "./fixtures/app";
import { keptFiles } from "./fixtures/offline-caches";
import { PostsPage } from "./fixtures/posts-page";

// The app's service worker runs here (the suite blocks it elsewhere).
test.use({ serviceWorkers: "allow" });

test("a reload with the network off shows the feed and the posts written offline", async ({
  page,
  context,
}) => {
  const unique = uniqueToken();
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await waitForLive(page);
  // The worker kept this page and the bundle it loaded.
  await expect.poll(() => keptFiles(page, "tidings-pages")).toContainEqual(expect.stringContaining("/posts"));
  // The feed's own module is kept last, after the chunks it needs.
  await expect
    .poll(() => keptFiles(page, "tidings-shell-"))
    .toContainEqual(expect.stringMatching(/\/split___posts_route_view_[^/]+\.wasm$/));
  const before = (await posts.postIds()).slice(0, 3);
  expect(before.length).toBeGreaterThan(0);

  await context.setOffline(true);
  const title = `Written offline ${unique}`;
  await posts.publish(title, `Kept through a reload without a network (${unique}).`);
  await expect(posts.itemsWithTitle(title)).toHaveAttribute("data-pending", "true");

  await page.reload();
  await waitForHydration(page);
  await expect(posts.root).toBeVisible();
  await expect(posts.itemsWithTitle(title)).toHaveAttribute("data-pending", "true");
  const after = await posts.postIds();
  for (const id of before) expect(after, "the feed as last seen").toContain(id);

  await context.setOffline(false);
  await expect(posts.itemsWithTitle(title)).toHaveAttribute("data-pending", "false");
});
