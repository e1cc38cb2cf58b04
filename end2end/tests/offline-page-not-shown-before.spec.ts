import { expect, test } from "@playwright/test";
import { nav, waitForLive } from "./fixtures/app";
import { keptFiles } from "./fixtures/offline-caches";
import { PostsPage } from "./fixtures/posts-page";
import { UsersPage } from "./fixtures/users-page";

// The app's service worker runs here (the suite blocks it elsewhere).
test.use({ serviceWorkers: "allow" });

test("with the network off, a page not shown before still opens: its code was kept", async ({
  page,
  context,
}) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await waitForLive(page);
  await expect
    .poll(() => keptFiles(page, "tidings-shell-"))
    .toContainEqual(expect.stringMatching(/\/split___posts_route_view_[^/]+\.wasm$/));

  await context.setOffline(true);
  await nav(page).posts.click();
  await expect(new PostsPage(page).root).toBeVisible();
});
