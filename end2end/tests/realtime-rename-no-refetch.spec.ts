import { expect, test } from "@playwright/test";
import {
  createPostByAnyUser,
  recordApiRequests,
  renamePostViaApi,
  settleNetwork,
  uniqueToken,
  waitForLive,
} from "./fixtures/app";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { PostsPage } from "./fixtures/posts-page";

/** How long a change may take to reach a watching page. */
const PROMPTLY = { timeout: 3_000 };

test("a post renamed through the API shows in the feed, its detail page and a second browser with no request", async ({
  browser,
  request,
}) => {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `Before ${unique}`,
    content: `A post to rename (${unique}).`,
  });

  const first = await browser.newContext();
  const second = await browser.newContext();
  try {
    const feed = new PostsPage(await first.newPage());
    await feed.gotoHydrated();
    const detail = new PostDetailPage(await first.newPage());
    await detail.gotoHydrated(post.id);
    const elsewhere = new PostsPage(await second.newPage());
    await elsewhere.gotoHydrated();
    const watching = [feed.page, detail.page, elsewhere.page];
    for (const page of watching) {
      await waitForLive(page);
      await settleNetwork(page);
    }
    await expect(feed.titleOf(feed.itemById(post.id))).toHaveText(post.title);
    await expect(detail.title).toHaveText(post.title);
    await expect(elsewhere.titleOf(elsewhere.itemById(post.id))).toHaveText(post.title);
    const requests = watching.map((page) => recordApiRequests(page, "/api/"));

    const renamed = `Renamed ${unique}`;
    await renamePostViaApi(request, post, renamed);
    await expect(feed.titleOf(feed.itemById(post.id))).toHaveText(renamed, PROMPTLY);
    await expect(detail.title).toHaveText(renamed, PROMPTLY);
    await expect(elsewhere.titleOf(elsewhere.itemById(post.id))).toHaveText(renamed, PROMPTLY);
    for (const page of watching) {
      await settleNetwork(page);
    }
    expect(requests, "the event patched the caches: nothing refetched").toEqual([[], [], []]);
  } finally {
    await first.close();
    await second.close();
  }
});
