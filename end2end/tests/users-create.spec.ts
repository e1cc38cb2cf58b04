import { expect, test } from "@playwright/test";
import { uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("a created user shows at once as pending, then as the server's user", async ({
  page,
  request,
}) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  const unique = uniqueToken();
  const name = `Created Here ${unique}`;

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname === "/api/users",
    async (route) => {
      if (route.request().method() === "POST") await held;
      await route.continue();
    },
  );
  await users.fillNewUser({ name, email: `created-${unique}@example.com`, role: "moderator" });
  const answer = page.waitForResponse(
    (r) => r.url().endsWith("/api/users") && r.request().method() === "POST",
  );
  await users.formSave.click();
  await expect(users.dialog).toBeHidden();

  const row = users.rowByName(name);
  await expect(row).toHaveAttribute("data-pending", "true");
  await expect(row.getByTestId("user-pending")).toBeVisible();
  await expect(users.roleOf(row)).toHaveText("moderator");

  release();
  const response = await answer;
  expect(response.status()).toBe(201);
  const created = (await response.json()) as { id: string };
  await expect(row).toHaveAttribute("data-pending", "false");
  await expect(row).toHaveAttribute("data-user-id", created.id);
  await expect(users.rowByName(name)).toHaveCount(1);
  await expect(users.notice).toHaveText(`Created ${name}.`);

  const stored = await (await request.get(`/api/users/${created.id}`)).json();
  expect(stored.name).toBe(name);
  expect(stored.role).toBe("moderator");
});
