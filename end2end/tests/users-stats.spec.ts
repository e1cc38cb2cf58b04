import { expect, test } from "@playwright/test";
import { createUserViaApi, uniqueToken, waitForLive } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("the users' numbers come from the server and follow changes", async ({ page, request }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await waitForLive(page);
  await expect(users.stats).toBeVisible();

  const response = await request.get("/api/users/stats");
  expect(response.ok()).toBe(true);
  const stats = (await response.json()) as {
    total: number;
    active24h: number;
    active7d: number;
    byRole: { admin: number; moderator: number; user: number };
  };
  expect(await users.stat("stat-total")).toBe(stats.total);
  expect(await users.stat("stat-active24h")).toBe(stats.active24h);
  expect(await users.stat("stat-active7d")).toBe(stats.active7d);
  expect(await users.stat("stat-role-admin")).toBe(stats.byRole.admin);
  expect(await users.stat("stat-role-moderator")).toBe(stats.byRole.moderator);
  expect(await users.stat("stat-role-user")).toBe(stats.byRole.user);

  const unique = uniqueToken();
  await createUserViaApi(request, {
    name: `Stats Probe ${unique}`,
    email: `stats-${unique}@example.com`,
    role: "moderator",
  });
  await expect(page.getByTestId("stat-total")).toHaveAttribute("data-value", String(stats.total + 1));
  await expect(page.getByTestId("stat-role-moderator")).toHaveAttribute(
    "data-value",
    String(stats.byRole.moderator + 1),
  );
});
