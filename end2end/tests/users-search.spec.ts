import { expect, test } from "@playwright/test";
import { login } from "./fixtures/auth";
import { createUserViaApi, uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test.beforeEach(async ({ page }) => {
  await login(page);
});

test("search narrows the users table and reports when nothing matches", async ({
  page,
}) => {
  const unique = uniqueToken();
  const probeName = `Search Probe ${unique}`;
  await createUserViaApi(page.request, {
    name: probeName,
    email: `probe-${unique}@example.com`,
    role: "user",
  });

  const users = new UsersPage(page);
  await users.gotoHydrated();

  // Newest users come first, so the probe is on the first page.
  const probeRow = users.rowByName(probeName);
  await expect(probeRow).toBeVisible();

  await users.searchFor(unique);
  await expect(users.rows).toHaveCount(1);
  await expect(users.nameOf(users.rows.first())).toHaveText(probeName);
  await expect(users.empty).toBeHidden();

  await users.clearSearch();
  await expect
    .poll(() => users.rows.count(), { message: "rows after clearing the search" })
    .toBeGreaterThan(1);

  await users.searchFor(`zzqx-no-such-user-${unique}`);
  await expect(users.rows).toHaveCount(0);
  await expect(users.empty).toBeVisible();
});
