import { expect, test } from "@playwright/test";

import { expectFocused, tabTo } from "./fixtures/keyboard";
import { UsersPage } from "./fixtures/users-page";

test("the user dialog takes the focus, keeps Tab inside and gives the focus back on Escape", async ({
  page,
}) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  const edit = users.rows.first().getByTestId("user-edit");

  await tabTo(page, edit);
  await page.keyboard.press("Enter");
  await expect(users.dialog).toBeVisible();
  const name = users.dialog.getByTestId("user-form-name");
  const save = users.dialog.getByTestId("user-form-save");
  await expectFocused(page, name);

  // Shift+Tab on the first control goes round to the last; Tab back.
  await page.keyboard.press("Shift+Tab");
  await expectFocused(page, save);
  await page.keyboard.press("Tab");
  await expectFocused(page, name);

  await page.keyboard.press("Escape");
  await expect(users.dialog).toBeHidden();
  await expectFocused(page, edit);
});
