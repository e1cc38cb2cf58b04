import { expect, test } from "@playwright/test";
import {
  createPostByAnyUser,
  renamePostViaApi,
  uniqueToken,
  waitForHydration,
  waitForLive,
} from "./fixtures/app";
import { keptEngineState, keptFiles } from "./fixtures/offline-caches";
import { PostsPage } from "./fixtures/posts-page";

// The app's service worker runs here (the suite blocks it elsewhere).
test.use({ serviceWorkers: "allow" });

test("a reload with the network off shows what changed live after the page was kept", async ({
  page,
  context,
  request,
}) => {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `Kept as first seen ${unique}`,
    content: `Renamed while the page is open (${unique}).`,
  });
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await waitForLive(page);
  await expect(posts.itemsWithTitle(post.title)).toHaveCount(1);
  // The worker kept the page as it was served: with the first title.
  await expect.poll(() => keptFiles(page, "tidings-pages")).toContainEqual(expect.stringContaining("/posts"));

  const renamed = `Renamed live ${unique}`;
  await renamePostViaApi(request, post, renamed);
  await expect(posts.itemsWithTitle(renamed)).toHaveCount(1);
  await expect.poll(() => keptEngineState(page)).toContain(renamed);

  await context.setOffline(true);
  await page.reload();
  await waitForHydration(page);
  await expect(posts.itemsWithTitle(renamed)).toHaveCount(1);
  await expect(posts.itemsWithTitle(post.title)).toHaveCount(0);
});
