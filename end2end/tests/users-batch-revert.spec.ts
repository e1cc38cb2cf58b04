import { expect, test } from "@playwright/test";
import { createUserViaApi, uniqueToken, waitForLive } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

// Two users are selected; one of them is changed by someone else before
// Apply. The server refuses the whole batch (412): both rows, shown with
// the new role at once, go back, and the server's reason is shown.
test("a refused batch role change reverts every row and says why", async ({ page, request }) => {
  const unique = uniqueToken();
  const ann = await createUserViaApi(request, {
    name: `Batch Ann ${unique}`,
    email: `batch-ann-${unique}@example.com`,
    role: "user",
  });
  const bo = await createUserViaApi(request, {
    name: `Batch Bo ${unique}`,
    email: `batch-bo-${unique}@example.com`,
    role: "user",
  });
  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  await waitForLive(page);
  await expect(users.rows).toHaveCount(2);

  await users.selectAll.check();
  await expect(users.batchCount).toHaveText("2 selected");

  // Someone else renames Ann: her version moves past the one selected.
  const renamed = await request.patch(`/api/users/${ann.id}`, {
    headers: { "If-Match": `"${String(ann.version)}"` },
    data: { name: `Batch Ann Renamed ${unique}` },
  });
  expect(renamed.status()).toBe(200);
  await expect(users.nameOf(users.rowById(ann.id))).toHaveText(`Batch Ann Renamed ${unique}`);

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/users/batch", async (route) => {
    await held;
    await route.continue();
  });
  const answer = page.waitForResponse("**/api/users/batch");
  await users.applyRole("moderator");

  // Optimistic: both rows show the new role before the server answers.
  await expect(users.roleOf(users.rowById(ann.id))).toHaveText("moderator");
  await expect(users.roleOf(users.rowById(bo.id))).toHaveText("moderator");

  release();
  expect((await answer).status()).toBe(412);
  await expect(users.roleOf(users.rowById(ann.id))).toHaveText("user");
  await expect(users.roleOf(users.rowById(bo.id))).toHaveText("user");
  await expect(users.alert).toBeVisible();
  await expect(users.alert).toHaveAttribute("role", "alert");
  await expect(users.alert).toContainText("have changed since the versions named");

  for (const user of [ann, bo]) {
    const current = await (await request.get(`/api/users/${user.id}`)).json();
    expect(current.role, "nothing changed on the server").toBe("user");
  }
});
