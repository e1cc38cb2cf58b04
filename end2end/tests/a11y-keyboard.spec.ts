import { expect, test } from "@playwright/test";

import {
  createPostByAnyUser,
  nav,
  uniqueToken,
  waitForHydration,
  waitForLive,
} from "./fixtures/app";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "./fixtures/auth";
import { expectFocused, tabTo } from "./fixtures/keyboard";
import { LoginPage } from "./fixtures/login-page";
import { PostsPage } from "./fixtures/posts-page";
import { UserPage } from "./fixtures/user-page";
import { UsersPage } from "./fixtures/users-page";

// The reader starts signed out; the post to edit is written through the API.
test.use({ storageState: { cookies: [], origins: [] } });

test("with the keyboard alone a reader signs in, opens a user, edits a post's title and signs out", async ({
  page,
  request,
}) => {
  const signIn = await request.post("/api/auth/login", {
    data: { email: DEMO_ACCOUNTS.admin, password: DEMO_PASSWORD },
  });
  expect(signIn.status()).toBe(200);
  const post = await createPostByAnyUser(request, {
    title: `Keyboard ${uniqueToken()}`,
    content: "Edited with the keyboard alone.",
  });
  const newTitle = `Keyboard edit ${uniqueToken()}`;

  // Sign in: Tab to each field, type, Tab to the button, Enter.
  const login = new LoginPage(page);
  await login.openSignedOut("/login");
  await tabTo(page, login.email());
  await page.keyboard.type(DEMO_ACCOUNTS.admin);
  await tabTo(page, login.password(), { max: 1 });
  await page.keyboard.type(DEMO_PASSWORD);
  await tabTo(page, login.submit(), { max: 1 });
  await page.keyboard.press("Enter");

  // The users table: Tab to the first user's link, Enter opens their page.
  const users = new UsersPage(page);
  await expect(users.root).toBeVisible();
  await waitForHydration(page);
  await waitForLive(page);
  await expect(login.accountRole()).toHaveText("admin");
  const firstLink = users.rows.first().getByTestId("user-link");
  const firstId = await users.rows.first().getAttribute("data-user-id");
  await tabTo(page, firstLink);
  await page.keyboard.press("Enter");
  const userPage = new UserPage(page);
  await expect(page).toHaveURL(new RegExp(`/users/${firstId}$`));
  await expect(userPage.root).toBeVisible();

  // The header's Posts link, back up the page with Shift+Tab.
  await tabTo(page, nav(page).posts, { backwards: true });
  await page.keyboard.press("Enter");
  const posts = new PostsPage(page);
  await expect(page).toHaveURL(/\/posts$/);
  const item = posts.itemById(post.id);
  await expect(item).toBeVisible();

  // Edit the post: Space on "Edit" opens the editor with its title focused.
  await tabTo(page, posts.editButton(item));
  await page.keyboard.press("Space");
  const editor = posts.editor(item);
  await expectFocused(page, editor.title);
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(newTitle);
  await tabTo(page, editor.save, { max: 2 });
  await page.keyboard.press("Enter");
  await expect(posts.titleOf(item)).toHaveText(newTitle);
  // Saving gives the focus back to the post's "Edit".
  await expectFocused(page, posts.editButton(item));
  await expect
    .poll(async () => ((await (await request.get(`/api/posts/${post.id}`)).json()) as { title: string }).title)
    .toBe(newTitle);

  // Sign out from the header.
  await tabTo(page, login.signOut(), { backwards: true });
  await page.keyboard.press("Enter");
  await expect(login.root()).toBeVisible();
  expect((await page.request.get("/api/auth/me")).status()).toBe(401);
});
