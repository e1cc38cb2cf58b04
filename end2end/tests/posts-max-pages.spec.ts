import { expect, test } from "@playwright/test";
import { recordApiRequests } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

/** Pages the feed keeps at once (`FEED_MAX_PAGES`), 20 posts each. */
const MAX_PAGES = 5;
const PAGE = 20;

test("reading past the kept pages drops the earliest, and scrolling back up shows them again", async ({
  page,
}) => {
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await expect(posts.items).toHaveCount(PAGE);
  const head = await posts.postIds();
  const requests = recordApiRequests(page, "/api/posts");

  // Read on through seven pages: the list never holds more than five.
  const seen: string[] = [...head];
  for (let loaded = 2; loaded <= MAX_PAGES + 2; loaded++) {
    await posts.scrollToNearEnd(200);
    await expect(posts.items.last()).not.toHaveAttribute("data-post-id", seen[seen.length - 1]!);
    await expect(posts.items).toHaveCount(Math.min(loaded, MAX_PAGES) * PAGE);
    const ids = await posts.postIds();
    seen.push(...ids.slice(-PAGE));
  }
  const deep = await posts.postIds();
  expect(deep, "the list holds pages 3 to 7").toEqual(seen.slice(2 * PAGE));
  await expect(posts.itemById(head[0]!)).toHaveCount(0);
  await expect(posts.loadNewer, "the way back is offered").toBeVisible();
  expect(requests.filter((r) => r.includes("before="))).toHaveLength(0);

  // Back up: each time the top comes near, the page before it returns,
  // above the reader's place, and a page at the end is dropped instead.
  for (const shown of [seen.slice(PAGE, 6 * PAGE), seen.slice(0, 5 * PAGE)]) {
    const first = (await posts.postIds())[0]!;
    await posts.scrollToNearTop(200);
    const reading = await posts.firstInView();
    await expect(posts.items.first()).not.toHaveAttribute("data-post-id", first);
    await expect(posts.items).toHaveCount(MAX_PAGES * PAGE);
    expect(await posts.postIds()).toEqual(shown);
    const moved = Math.abs((await posts.topOf(reading.id)) - reading.top);
    expect(moved, "the post the reader was at stays where it was").toBeLessThan(50);
  }
  await expect(posts.loadNewer, "the head is shown").toBeHidden();
  expect(await posts.postIds().then((ids) => ids.slice(0, PAGE))).toEqual(head);

  const back = requests.filter((r) => r.includes("before="));
  expect(back, "one request per page loaded back").toHaveLength(2);
  expect(requests, "one request per page: six forward, two back").toHaveLength(8);
});
