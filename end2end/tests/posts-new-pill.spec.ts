import { expect, test } from "@playwright/test";
import { uniqueToken, waitForLive } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

/** How long a change may take to reach another browser. */
const PROMPTLY = { timeout: 3_000 };

test("a post written in another browser waits behind a 'new posts' pill until the reader asks", async ({
  browser,
}) => {
  const unique = uniqueToken();
  const reader = await browser.newContext();
  const writer = await browser.newContext();
  try {
    const feed = new PostsPage(await reader.newPage());
    await feed.gotoHydrated();
    await waitForLive(feed.page);
    const topBefore = (await feed.postIds())[0];
    await expect(feed.newPostsPill).toBeHidden();

    const written = new PostsPage(await writer.newPage());
    await written.gotoHydrated();
    await waitForLive(written.page);
    const title = `Behind the pill ${unique}`;
    await written.publish(title, `Written in another browser (${unique}).`);
    // The writer's own post shows at once, without a pill.
    await expect(written.itemsWithTitle(title)).toHaveCount(1);
    await expect(written.titleOf(written.items.first())).toHaveText(title);

    // The reader is offered it, and what they look at stays put.
    await expect(feed.newPostsPill).toBeVisible(PROMPTLY);
    await expect(feed.newPostsPill).toHaveText(/1 new post\b/);
    await expect(feed.itemsWithTitle(title)).toHaveCount(0);
    expect((await feed.postIds())[0]).toBe(topBefore);

    await feed.page.evaluate(() => window.scrollTo(0, 600));
    await feed.newPostsPill.click();
    await expect(feed.itemsWithTitle(title)).toHaveCount(1);
    await expect(feed.titleOf(feed.items.first())).toHaveText(title);
    await expect(feed.newPostsPill).toBeHidden();
    await expect.poll(() => feed.page.evaluate(() => window.scrollY)).toBe(0);
    await expect(written.newPostsPill).toBeHidden();
  } finally {
    await reader.close();
    await writer.close();
  }
});
