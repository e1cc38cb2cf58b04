import { expect, test } from "@playwright/test";
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

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the server names the sign-in page's modules in its head, so they download beside the main one", async ({
    page,
  }) => {
    const html = await (await page.request.get("/login")).text();
    const preloaded = [...html.matchAll(/<link\b[^>]*>/g)]
      .map(([tag]) => tag)
      .filter((tag) => tag.includes('rel="preload"'))
      .map((tag) => /href="([^"]+)"/.exec(tag)?.[1] ?? "");
    expect(pagesIn(preloaded)).toEqual(["login"]);

    const wasm = recordWasm(page);
    await new LoginPage(page).openSignedOut("/login");
    expect(pagesIn(wasm)).toEqual(["login"]);
  });
});
