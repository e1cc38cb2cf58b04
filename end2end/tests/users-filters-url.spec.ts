import { expect, test } from "@playwright/test";
import { createUserViaApi, reloadApp, uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("role, activity and search filters live in the address and survive reload and back", async ({
  page,
  request,
}) => {
  const users = new UsersPage(page);
  await users.gotoHydrated("/users?page=2");

  await users.roleFilter.selectOption("admin");
  await expect(page).toHaveURL(/\/users\?role=admin$/);
  await expect(users.rows.first()).toBeVisible();
  for (const role of await users.rows.getByTestId("user-role").allTextContents()) {
    expect(role.trim()).toBe("admin");
  }

  // Admins active in the last 24 h, as the server counts them.
  const listed = await request.get("/api/users?role=admin&active=true&limit=25");
  const activeAdmins = ((await listed.json()) as { data: unknown[] }).data.length;
  await users.activeFilter.check();
  await expect(page).toHaveURL(/role=admin&active=true/);
  await expect(users.rows).toHaveCount(activeAdmins);

  await reloadApp(page);
  await expect(users.roleFilter).toHaveValue("admin");
  await expect(users.activeFilter).toBeChecked();
  await expect(users.rows).toHaveCount(activeAdmins);
  for (const role of await users.rows.getByTestId("user-role").allTextContents()) {
    expect(role.trim()).toBe("admin");
  }

  await page.goBack();
  await expect(page).toHaveURL(/\/users\?role=admin$/);
  await expect(users.activeFilter).not.toBeChecked();
  await expect(users.roleFilter).toHaveValue("admin");

  const unique = uniqueToken();
  await createUserViaApi(request, {
    name: `Filter Probe ${unique}`,
    email: `filter-${unique}@example.com`,
    role: "admin",
  });
  await users.searchFor(unique);
  await expect(page).toHaveURL(new RegExp(`search=${unique}`));
  await expect(users.rows).toHaveCount(1);
  await expect(users.nameOf(users.rows.first())).toHaveText(`Filter Probe ${unique}`);
  await reloadApp(page);
  await expect(users.search).toHaveValue(unique);
  await expect(users.rows).toHaveCount(1);
});
