import { expect, test } from "@playwright/test";
import { createUserViaApi, uniqueToken } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("a batch role change shows at once and the server keeps it", async ({ page, request }) => {
  const unique = uniqueToken();
  const created = [];
  for (const who of ["Cy", "Di", "Ed"]) {
    created.push(
      await createUserViaApi(request, {
        name: `Batch ${who} ${unique}`,
        email: `batch-${who.toLowerCase()}-${unique}@example.com`,
        role: "user",
      }),
    );
  }
  const [cy, di, ed] = created as [(typeof created)[0], (typeof created)[0], (typeof created)[0]];
  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  await expect(users.rows).toHaveCount(3);

  await users.select(users.rowById(cy.id));
  await users.select(users.rowById(ed.id));
  await expect(users.batchCount).toHaveText("2 selected");

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/users/batch", async (route) => {
    await held;
    await route.continue();
  });
  const answer = page.waitForResponse("**/api/users/batch");
  await users.applyRole("admin");
  await expect(users.roleOf(users.rowById(cy.id))).toHaveText("admin");
  await expect(users.roleOf(users.rowById(ed.id))).toHaveText("admin");
  await expect(users.roleOf(users.rowById(di.id))).toHaveText("user");

  release();
  expect((await answer).status()).toBe(200);
  await expect(users.notice).toHaveText("Changed the role of 2 users to admin.");
  await expect(users.batch).toBeHidden();
  await expect(users.alert).toBeHidden();
  await expect(users.roleOf(users.rowById(cy.id))).toHaveText("admin");
  await expect(users.roleOf(users.rowById(ed.id))).toHaveText("admin");

  for (const [user, role] of [
    [cy, "admin"],
    [di, "user"],
    [ed, "admin"],
  ] as const) {
    const current = await (await request.get(`/api/users/${user.id}`)).json();
    expect(current.role).toBe(role);
  }
});
