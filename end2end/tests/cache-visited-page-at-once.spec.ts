import { expect, test } from "@playwright/test";
import { nav } from "./fixtures/app";
import { holdRequests } from "./fixtures/hold";
import { keptEngineState } from "./fixtures/offline-caches";
import { PostsPage } from "./fixtures/posts-page";
import { UsersPage } from "./fixtures/users-page";

test("after a new page load, a page visited before shows its rows before any answer", async ({
  page,
}) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await expect(users.rows.first()).toBeVisible();
  const names = await users.names();
  await expect.poll(() => keptEngineState(page)).toContain(JSON.stringify(names[0]));

  // A new page load: its render carries the feed, not the users.
  await new PostsPage(page).gotoHydrated();
  const held = await holdRequests(page, "GET", "**/api/users**");
  try {
    await nav(page).users.click();
    await expect(users.rows.first()).toBeVisible();
    expect(await users.names()).toEqual(names);
  } finally {
    held.release();
  }
});
