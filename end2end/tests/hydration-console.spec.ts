import { expect, test, type Page } from "@playwright/test";
import { uniqueToken, waitForHydration, waitForLive } from "./fixtures/app";
import { LoginPage } from "./fixtures/login-page";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { PostsPage } from "./fixtures/posts-page";
import { UserPage } from "./fixtures/user-page";
import { UsersPage } from "./fixtures/users-page";

// Every page hydrates the server's HTML with no error in the console: a
// bundle and a server built differently (one erasing component types, the
// other not) panic while hydrating, and the page, though it still looks
// right, never comes alive.
// The browser's own line for a refused request ("Failed to load resource:
// ... 401") is left out: the app answers those itself (a signed-out
// visitor's session check is one).
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.text().startsWith("Failed to load resource")) return;
    if (message.type() === "error") {
      errors.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in page hydrates with nothing in the console", async ({ page }) => {
    const errors = consoleErrors(page);
    await new LoginPage(page).openSignedOut("/login");
    expect(errors).toEqual([]);
  });
});

test("the signed-in pages hydrate with nothing in the console", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  const [userId] = await users.ids();
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  const [postId] = await posts.postIds();

  const errors = consoleErrors(page);
  await users.gotoHydrated();
  await waitForLive(page);
  await posts.gotoHydrated();
  await waitForLive(page);
  await new UserPage(page).gotoHydrated(userId);
  await waitForLive(page);
  await new PostDetailPage(page).gotoHydrated(postId);
  await waitForLive(page);
  expect(errors).toEqual([]);
});

// The not-found page is rendered with every page's context (who is signed
// in, the API, the realtime position): what the browser hydrates matches.
test("the not-found page hydrates with nothing in the console and goes live", async ({ page }) => {
  const errors = consoleErrors(page);
  const response = await page.goto(`/no-such-page-${uniqueToken()}`);
  expect(response?.status()).toBe(404);
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await waitForLive(page);
  expect(errors).toEqual([]);
});
