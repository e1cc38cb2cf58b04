import { expect, test } from "@playwright/test";
import { createUserViaApi, uniqueToken, waitForLive } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

// The delete names the version the row showed; the user is changed
// elsewhere while the request is on its way, so the server refuses (412).
test("a refused delete brings the row back with the server's reason", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Keep Me ${unique}`,
    email: `keep-${unique}@example.com`,
    role: "user",
  });
  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  await waitForLive(page);
  const row = users.rowById(user.id);
  await expect(row).toBeVisible();

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(`**/api/users/${user.id}`, async (route) => {
    if (route.request().method() === "DELETE") await held;
    await route.continue();
  });
  const answer = page.waitForResponse(
    (r) => r.url().endsWith(`/api/users/${user.id}`) && r.request().method() === "DELETE",
  );
  await users.remove(row);
  await expect(row).toHaveCount(0);

  const renamed = await request.patch(`/api/users/${user.id}`, {
    headers: { "If-Match": `"${String(user.version)}"` },
    data: { name: `Kept ${unique}` },
  });
  expect(renamed.status()).toBe(200);
  release();

  expect((await answer).status()).toBe(412);
  await expect(row).toBeVisible();
  await expect(users.nameOf(row)).toHaveText(`Kept ${unique}`);
  await expect(users.alert).toContainText(`Could not delete Keep Me ${unique}`);
  await expect(users.alert).toContainText("has changed");
  expect((await request.get(`/api/users/${user.id}`)).status()).toBe(200);
});
