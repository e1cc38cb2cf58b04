import { expect, test } from "@playwright/test";
import { createPostByAnyUser, uniqueToken, waitForLive } from "./fixtures/app";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { PostsPage } from "./fixtures/posts-page";

/** How long a change may take to reach another browser. */
const PROMPTLY = { timeout: 3_000 };

test("a post written and edited in one browser shows in another's feed and detail without reload", async ({
  browser,
  request,
}) => {
  const unique = uniqueToken();
  const existing = await createPostByAnyUser(request, {
    title: `Before ${unique}`,
    content: `An existing post (${unique}).`,
  });

  const reader = await browser.newContext();
  const writer = await browser.newContext();
  try {
    const feed = new PostsPage(await reader.newPage());
    await feed.gotoHydrated();
    await waitForLive(feed.page);
    const detail = new PostDetailPage(await reader.newPage());
    await detail.gotoHydrated(existing.id);
    await waitForLive(detail.page);
    await expect(detail.title).toHaveText(existing.title);
    await expect(feed.titleOf(feed.itemById(existing.id))).toHaveText(existing.title);

    // A new post, written in the other browser.
    const written = new PostsPage(await writer.newPage());
    await written.gotoHydrated();
    const newTitle = `From elsewhere ${unique}`;
    await written.publish(newTitle, `Written in another browser (${unique}).`);
    // It waits behind the "new posts" pill rather than push the feed down.
    await expect(feed.newPostsPill).toBeVisible(PROMPTLY);
    await feed.newPostsPill.click();
    await expect(feed.itemsWithTitle(newTitle)).toHaveCount(1);
    await expect(feed.titleOf(feed.items.first())).toHaveText(newTitle);

    // An edit of the existing post, made in the other browser.
    const editor = new PostDetailPage(written.page);
    await editor.gotoHydrated(existing.id);
    const renamed = `Renamed ${unique}`;
    await editor.rename(renamed);
    await expect(editor.title).toHaveText(renamed);
    await expect(detail.title).toHaveText(renamed, PROMPTLY);
    await expect(feed.titleOf(feed.itemById(existing.id))).toHaveText(renamed, PROMPTLY);
  } finally {
    await reader.close();
    await writer.close();
  }
});
