import { expect, test } from "@playwright/test";
import { login } from "./fixtures/auth";
import { UsersPage } from "./fixtures/users-page";

test.beforeEach(async ({ page }) => {
  await login(page);
});

// With JavaScript off nothing can fetch or hydrate: whatever rows are in the
// page were rendered by the server.
test.use({ javaScriptEnabled: false });

test("users table is server-rendered and readable without JavaScript", async ({ page }) => {
  const users = new UsersPage(page);
  await users.goto();

  await expect(users.table).toBeVisible();
  const count = await users.rows.count();
  expect(count, "server-rendered user rows").toBeGreaterThanOrEqual(10);

  for (let i = 0; i < count; i++) {
    const row = users.rows.nth(i);
    const name = (await users.nameOf(row).textContent())?.trim() ?? "";
    const email = (await users.emailOf(row).textContent())?.trim() ?? "";
    expect(name, `row ${i} name`).not.toBe("");
    expect(email, `row ${i} email`).toContain("@");
  }

  // The client never ran, so the hydration flag must be absent.
  await expect(page.locator("html")).not.toHaveAttribute("data-hydrated");
});
