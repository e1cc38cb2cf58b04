import { expect, test, type Page } from "@playwright/test";
import { nav } from "./fixtures/app";
import { pagesIn, recordWasm } from "./fixtures/bundle";
import { LoginPage } from "./fixtures/login-page";
import { PostsPage } from "./fixtures/posts-page";
import { UsersPage } from "./fixtures/users-page";

test("a first page downloads its own code only, another page's the first time it is shown", async ({
  page,
}) => {
  const wasm = recordWasm(page);
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await expect(users.rows.first()).toBeVisible();
  expect(pagesIn(wasm)).toEqual(["users"]);

  await nav(page).posts.click();
  const posts = new PostsPage(page);
  await expect(posts.items.first()).toBeVisible();
  expect(pagesIn(wasm)).toEqual(["users", "posts"]);

  await nav(page).users.click();
  await expect(users.rows.first()).toBeVisible();
  expect(wasm.length, "no module downloaded twice").toBe(new Set(wasm).size);
});

/** The bundle files `path`'s head asks the browser to preload. */
async function preloadedBy(page: Page, path: string): Promise<string[]> {
  const html = await (await page.request.get(path)).text();
  return [...html.matchAll(/<link\b[^>]*>/g)]
    .map(([tag]) => tag)
    .filter((tag) => tag.includes('rel="preload"'))
    .map((tag) => /href="([^"]+)"/.exec(tag)?.[1] ?? "");
}

test("a page's head names its own modules, so they download beside the main one", async ({ page }) => {
  expect(pagesIn(await preloadedBy(page, "/posts"))).toEqual(["posts"]);
  expect(pagesIn(await preloadedBy(page, "/users"))).toEqual(["users"]);
});

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in page's head names its modules, and it downloads no other page's", async ({ page }) => {
    expect(pagesIn(await preloadedBy(page, "/login"))).toEqual(["login"]);

    const wasm = recordWasm(page);
    await new LoginPage(page).openSignedOut("/login");
    expect(pagesIn(wasm)).toEqual(["login"]);
  });
});
