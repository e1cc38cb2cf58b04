import { expect, test } from "@playwright/test";
import { chrome, postIdsTitled, uniqueToken, waitForLive } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

// Going offline uses the browser's own switch (context.setOffline), so the
// app hears `offline` / `online` as it would in real life. But a reload
// while offline cannot load the page at all, so for the reload the browser
// is back online and only the API stays unreachable (route().abort()), as
// when the network path to the server fails: the app learns it from the
// failed attempts. Then the API is reachable again and the writes land.
test("posts written offline stay pending across a reload and land once, in order", async ({
  page,
  context,
  request,
}) => {
  const unique = uniqueToken();
  const first = `Offline first ${unique}`;
  const second = `Offline second ${unique}`;
  const posts = new PostsPage(page);
  const status = chrome(page);
  await posts.gotoHydrated();
  await waitForLive(page);

  await context.setOffline(true);
  await expect(status.offlineBanner).toBeVisible();
  await posts.publish(first, `Written offline (${unique}).`);
  await posts.publish(second, `Also written offline (${unique}).`);
  await expect(posts.itemsWithTitle(first)).toHaveAttribute("data-pending", "true");
  await expect(posts.itemsWithTitle(second)).toHaveAttribute("data-pending", "true");
  await expect(status.pendingCount).toHaveAttribute("data-count", "2");

  await page.route("**/api/**", (route) => route.abort("internetdisconnected"));
  await context.setOffline(false);
  await posts.reloadHydrated();
  await expect(posts.itemsWithTitle(first)).toHaveAttribute("data-pending", "true");
  await expect(posts.itemsWithTitle(second)).toHaveAttribute("data-pending", "true");
  await expect(status.pendingCount).toHaveAttribute("data-count", "2");
  expect(await postIdsTitled(request, first), "nothing reached the server").toEqual([]);

  await page.unroute("**/api/**");
  await expect(posts.itemsWithTitle(first)).toHaveAttribute("data-pending", "false");
  await expect(posts.itemsWithTitle(second)).toHaveAttribute("data-pending", "false");
  await expect(status.offlineBanner).toBeHidden();

  const firstIds = await postIdsTitled(request, first);
  const secondIds = await postIdsTitled(request, second);
  expect(firstIds, "the first post landed exactly once").toHaveLength(1);
  expect(secondIds, "the second post landed exactly once").toHaveLength(1);
  // Newest first: written in order, the second is above the first.
  const ids = await posts.postIds();
  expect(ids.indexOf(secondIds[0]!)).toBeLessThan(ids.indexOf(firstIds[0]!));

  await posts.reloadHydrated();
  await expect(posts.itemsWithTitle(first)).toHaveCount(1);
  await expect(posts.itemsWithTitle(second)).toHaveCount(1);
});
