import { expect, test } from "@playwright/test";
import { createUserViaApi, uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("deleting a user removes the row at once and on the server", async ({ page, request }) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Delete Me ${unique}`,
    email: `delete-${unique}@example.com`,
    role: "user",
  });
  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  const row = users.rowById(user.id);
  await expect(row).toBeVisible();

  const answer = page.waitForResponse(
    (r) => r.url().endsWith(`/api/users/${user.id}`) && r.request().method() === "DELETE",
  );
  await users.remove(row);
  await expect(row).toHaveCount(0);
  expect((await answer).status()).toBe(204);
  await expect(users.notice).toHaveText(`Deleted Delete Me ${unique}.`);
  await expect(users.empty).toBeVisible();
  expect((await request.get(`/api/users/${user.id}`)).status()).toBe(404);
});
