import { expect, test } from "@playwright/test";

import { createPostByAnyUser, nav, openApp, uniqueToken, waitForLive } from "./fixtures/app";
import { Devtools } from "./fixtures/devtools";

// The devtools panel shows what the data layer holds: the cache entries a
// page observes, the API calls the browser made, and the realtime position.
test("the devtools panel shows cache entries, API metrics and the realtime seq", async ({
  page,
  request,
}) => {
  await openApp(page, "/users");
  await waitForLive(page);
  const devtools = new Devtools(page);
  await expect(devtools.panel).toBeHidden();

  // Moving to the feed in the browser fetches it through the API client.
  await nav(page).posts.click();
  await expect(page.getByTestId("posts-list")).toBeVisible();
  await devtools.open();

  const posts = devtools.cacheRow('["posts"');
  await expect(posts).toBeVisible();
  await expect(posts.getByTestId("devtools-observers")).toHaveText("1");
  await expect(posts.getByTestId("devtools-freshness")).toHaveText(/fresh|fetching/);
  const feed = devtools.metricsRow("GET /api/posts");
  await expect(feed.getByTestId("devtools-calls")).toHaveText(/^[1-9]\d*$/);
  await expect(devtools.realtimeStatus).toHaveText("live");

  // A change elsewhere moves the realtime position and reaches the store.
  const before = Number(await devtools.realtimeSeq.textContent());
  await createPostByAnyUser(request, {
    title: `Devtools ${uniqueToken()}`,
    content: "seen by the panel",
  });
  await expect
    .poll(async () => Number(await devtools.realtimeSeq.textContent()))
    .toBeGreaterThan(before);

  await devtools.close();
});
