import { expect, test } from "@playwright/test";
import { keptEngineState } from "./fixtures/offline-caches";
import { LoginPage } from "./fixtures/login-page";
import { UsersPage } from "./fixtures/users-page";

// A session of its own: signing out ends it, not the suite's.
test.use({ storageState: { cookies: [], origins: [] } });

test("signing out deletes the data kept for the next page load", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  const [first] = await users.names();
  await expect.poll(() => keptEngineState(page)).toContain(JSON.stringify(first));

  await new LoginPage(page).signOut().click();
  await expect(page).toHaveURL(/\/login/);
  await expect.poll(() => keptEngineState(page)).toBe("");
});
