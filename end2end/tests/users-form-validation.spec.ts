import { expect, test } from "@playwright/test";
import { DEMO_ACCOUNTS } from "./fixtures/auth";
import { uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("bad input is named at its field, the server's refusals included", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  const unique = uniqueToken();

  await users.fillNewUser({ name: `Form ${unique}`, email: "not-an-email", role: "user" });
  await users.formSave.click();
  await expect(users.dialog).toBeVisible();
  await expect(users.formError("email")).toBeVisible();
  await expect(users.formEmail).toHaveAttribute("aria-invalid", "true");
  await expect(users.formError("name")).toHaveCount(0);

  await users.formName.fill("");
  await users.formEmail.fill(`form-${unique}@example.com`);
  await users.formSave.click();
  await expect(users.formError("name")).toContainText("name");
  await expect(users.formError("email")).toHaveCount(0);

  // Valid here, refused by the server: the email is taken.
  await users.formName.fill(`Form ${unique}`);
  await users.formEmail.fill(DEMO_ACCOUNTS.moderator);
  const answer = page.waitForResponse(
    (r) => r.url().endsWith("/api/users") && r.request().method() === "POST",
  );
  await users.formSave.click();
  expect((await answer).status()).toBe(409);
  await expect(users.dialog).toBeVisible();
  await expect(users.formError("email")).toHaveText("a user with this email already exists");
  await expect(users.formName).toHaveValue(`Form ${unique}`);
  await expect(users.alert).toContainText("a user with this email already exists");
  await expect(users.rowByName(`Form ${unique}`)).toHaveCount(0);
});
