import { expect, test } from "@playwright/test";

import { waitForHydration } from "./fixtures/app";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "./fixtures/auth";
import { LoginPage } from "./fixtures/login-page";

// These readers start signed out.
test.use({ storageState: { cookies: [], origins: [] } });

test("a signed-out reader is sent to sign in and comes back to the page they asked for", async ({
  page,
}) => {
  const login = new LoginPage(page);
  await login.openSignedOut("/posts");
  expect(new URL(page.url()).pathname).toBe("/login");
  expect(new URL(page.url()).searchParams.get("next")).toBe("/posts");

  await login.signIn(DEMO_ACCOUNTS.moderator, DEMO_PASSWORD);

  await expect(page).toHaveURL(/\/posts$/);
  await expect(login.accountName()).toBeVisible();
  await expect(login.accountRole()).toHaveText("moderator");
});

test("a wrong password is refused with a message and no session", async ({ page }) => {
  const login = new LoginPage(page);
  await login.openSignedOut("/login");

  await login.signIn(DEMO_ACCOUNTS.user, "not-the-password");

  await expect(login.error()).toContainText(/email or the password is wrong/i);
  expect(new URL(page.url()).pathname).toBe("/login");
  const me = await page.request.get("/api/auth/me");
  expect(me.status()).toBe(401);
});

test("the demo accounts fill the form in development", async ({ page }) => {
  const login = new LoginPage(page);
  await login.openSignedOut("/login?next=/users");
  await expect(login.demoAccounts()).toHaveCount(3);

  await login.demoAccounts().filter({ hasText: DEMO_ACCOUNTS.user }).click();
  await expect(login.email()).toHaveValue(DEMO_ACCOUNTS.user);
  await login.submit().click();

  await expect(page).toHaveURL(/\/users$/);
  await expect(login.accountRole()).toHaveText("user");
});

test("signing out ends the session: pages send the reader back to sign in", async ({ page }) => {
  const login = new LoginPage(page);
  await login.openSignedOut("/login");
  await login.signIn(DEMO_ACCOUNTS.admin, DEMO_PASSWORD);
  await expect(login.accountRole()).toHaveText("admin");
  await waitForHydration(page);

  await login.signOut().click();

  await expect(login.root()).toBeVisible();
  expect((await page.request.get("/api/auth/me")).status()).toBe(401);
  await page.goto("/users");
  expect(new URL(page.url()).pathname).toBe("/login");
});
