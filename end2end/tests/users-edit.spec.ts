import { expect, test } from "@playwright/test";
import { createUserViaApi, reloadApp, uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("editing a user in the dialog changes the row at once and is kept", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Edit Me ${unique}`,
    email: `edit-${unique}@example.com`,
    role: "user",
  });
  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  const row = users.rowById(user.id);
  await expect(row).toBeVisible();

  await users.edit(row);
  await expect(users.formName).toHaveValue(`Edit Me ${unique}`);
  await users.formName.fill(`Edited ${unique}`);
  await users.formEmail.fill(`edited-${unique}@example.com`);
  await users.formRole.selectOption("moderator");
  await users.formSave.click();
  await expect(users.dialog).toBeHidden();

  await expect(users.nameOf(row)).toHaveText(`Edited ${unique}`);
  await expect(users.emailOf(row)).toHaveText(`edited-${unique}@example.com`);
  await expect(users.roleOf(row)).toHaveText("moderator");
  await expect(users.notice).toHaveText(`Saved Edited ${unique}.`);

  await reloadApp(page);
  await expect(users.nameOf(row)).toHaveText(`Edited ${unique}`);
  await expect(users.roleOf(row)).toHaveText("moderator");
  const stored = await (await request.get(`/api/users/${user.id}`)).json();
  expect(stored.email).toBe(`edited-${unique}@example.com`);
});
