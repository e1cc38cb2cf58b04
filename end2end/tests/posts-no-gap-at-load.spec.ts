import { expect, test } from "@playwright/test";
import { createPostByAnyUser, uniqueToken, waitForLive } from "./fixtures/app";
import { holdSockets } from "./fixtures/hold";
import { PostsPage } from "./fixtures/posts-page";

test("a post written after the feed was rendered, before its socket connected, is offered once the socket connects", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const socket = await holdSockets(page, /\/api\/events/);
  const feed = new PostsPage(page);
  await feed.gotoHydrated();
  // The page has asked for its socket, which waits: nothing live yet.
  await expect.poll(socket.opened).toBeGreaterThan(0);

  const title = `Between render and socket ${unique}`;
  await createPostByAnyUser(request, {
    title,
    content: `Written while the reader's socket was held back (${unique}).`,
  });
  await expect(feed.itemsWithTitle(title)).toHaveCount(0);

  socket.release();
  await waitForLive(page);
  await expect(feed.newPostsPill).toHaveText(/1 new post\b/);
  await feed.newPostsPill.click();
  await expect(feed.itemsWithTitle(title)).toHaveCount(1);
  await expect(feed.titleOf(feed.items.first())).toHaveText(title);
});
