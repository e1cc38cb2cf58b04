import { expect, test } from "@playwright/test";
import { UsersPage } from "./fixtures/users-page";

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

test("clicking a column header sorts by it and clicking again reverses", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await expect(users.columnHeader("createdAt")).toHaveAttribute("aria-sort", "descending");
  await expect(users.columnHeader("name")).toHaveAttribute("aria-sort", "none");

  await users.sortBy("name");
  await expect(page).toHaveURL(/sort=name&order=asc/);
  await expect(users.columnHeader("name")).toHaveAttribute("aria-sort", "ascending");
  await expect(users.columnHeader("createdAt")).toHaveAttribute("aria-sort", "none");
  const names = async () => (await users.names()).map((n) => n.trim());
  await expect
    .poll(async () => {
      const shown = await names();
      return shown.length > 1 && shown.join("\n") === [...shown].sort(byText).join("\n");
    })
    .toBe(true);
  await expect(users.tableWrap).toHaveAttribute("aria-busy", "false");
  const ascending = await names();
  expect(ascending).toEqual([...ascending].sort(byText));

  await users.sortBy("name");
  await expect(page).toHaveURL(/sort=name&order=desc/);
  await expect(users.columnHeader("name")).toHaveAttribute("aria-sort", "descending");
  await expect
    .poll(async () => {
      const shown = await names();
      return shown.join("\n") === [...shown].sort(byText).reverse().join("\n");
    })
    .toBe(true);
  await expect(users.tableWrap).toHaveAttribute("aria-busy", "false");
  const descending = await names();
  expect(descending).toEqual([...descending].sort(byText).reverse());
  expect(descending[0]).not.toBe(ascending[0]);
});
