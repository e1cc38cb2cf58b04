import { expect, test } from "@playwright/test";
import { reloadApp } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("group by role shows the rows under role headings", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  const shown = await users.rows.count();
  await expect(users.groups).toHaveCount(0);

  await users.groupToggle.check();
  await expect(page).toHaveURL(/group=role/);
  await expect(users.groups.first()).toBeVisible();
  const groups = await users.groups.count();
  expect(groups).toBeGreaterThan(1);

  let grouped = 0;
  const order = ["admin", "moderator", "user"];
  let last = -1;
  for (let i = 0; i < groups; i++) {
    const group = users.groups.nth(i);
    const role = (await group.getAttribute("data-role")) ?? "";
    expect(order.indexOf(role)).toBeGreaterThan(last);
    last = order.indexOf(role);
    await expect(group.getByTestId("users-group-title")).toContainText(role, { ignoreCase: true });
    const roles = await group.getByTestId("user-role").allTextContents();
    expect(roles.length).toBeGreaterThan(0);
    expect(new Set(roles.map((r) => r.trim()))).toEqual(new Set([role]));
    grouped += roles.length;
  }
  expect(grouped).toBe(shown);

  await reloadApp(page);
  await expect(users.groupToggle).toBeChecked();
  await expect(users.groups).toHaveCount(groups);

  await users.groupToggle.uncheck();
  await expect(users.groups).toHaveCount(0);
  await expect(users.rows).toHaveCount(shown);
});
