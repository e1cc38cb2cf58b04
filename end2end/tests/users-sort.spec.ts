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
  await expect(users.tableWrap).toHaveAttribute("aria-busy", "false");
  const ascending = (await users.names()).map((n) => n.trim());
  expect(ascending.length).toBeGreaterThan(1);
  expect(ascending).toEqual([...ascending].sort(byText));

  await users.sortBy("name");
  await expect(page).toHaveURL(/sort=name&order=desc/);
  await expect(users.columnHeader("name")).toHaveAttribute("aria-sort", "descending");
  await expect(users.tableWrap).toHaveAttribute("aria-busy", "false");
  const descending = (await users.names()).map((n) => n.trim());
  expect(descending).toEqual([...descending].sort(byText).reverse());
  expect(descending[0]).not.toBe(ascending[0]);
});
