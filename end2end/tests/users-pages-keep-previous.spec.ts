import { expect, test } from "@playwright/test";
import { UsersPage } from "./fixtures/users-page";

test("the current page stays on screen while the next one loads", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await expect(users.pageInfo).toContainText("Page 1 of");
  const firstPage = await users.ids();

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let asked = false;
  await page.route(
    (url) => url.pathname === "/api/users" && url.searchParams.get("page") === "2",
    async (route) => {
      asked = true;
      await held;
      await route.continue();
    },
  );

  await users.next.click();
  await expect(page).toHaveURL(/page=2/);
  await expect.poll(() => asked, { message: "page 2 was requested" }).toBe(true);
  // Still the first page, marked as loading.
  await expect(users.tableWrap).toHaveAttribute("aria-busy", "true");
  expect(await users.ids()).toEqual(firstPage);

  release();
  await expect(users.pageInfo).toContainText("Page 2 of");
  await expect(users.tableWrap).toHaveAttribute("aria-busy", "false");
  const secondPage = await users.ids();
  expect(secondPage.length).toBeGreaterThan(0);
  expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);

  // A filter starts again at page 1.
  await users.roleFilter.selectOption("user");
  await expect(page).toHaveURL(/\/users\?role=user$/);
  await expect(users.pageInfo).toContainText("Page 1 of");
});
