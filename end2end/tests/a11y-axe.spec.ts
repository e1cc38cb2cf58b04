import { expect, test } from "@playwright/test";

import {
  anyUserViaApi,
  createPostByAnyUser,
  openApp,
  uniqueToken,
  waitForLive,
} from "./fixtures/app";
import { COLOR_SCHEMES, VIEWPORTS, expectNoAxeViolations } from "./fixtures/axe";
import { Devtools } from "./fixtures/devtools";
import { LoginPage } from "./fixtures/login-page";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { PostsPage } from "./fixtures/posts-page";
import { SiteSearch } from "./fixtures/site-search";
import { UserPage } from "./fixtures/user-page";
import { UsersPage } from "./fixtures/users-page";

// Every page, at a desktop and a phone width, in the light and the dark
// scheme, signed out (the sign-in page) and signed in (the rest): axe
// (WCAG 2.1 A/AA and best practices) finds nothing, also with the page's
// dialog, editor or popup open.
for (const scheme of COLOR_SCHEMES) {
  for (const [width, viewport] of Object.entries(VIEWPORTS)) {
    test.describe(`${width} width, ${scheme} scheme`, () => {
      test.use({ viewport, colorScheme: scheme });
      const where = (what: string) => `${what} (${width}, ${scheme})`;

      test.describe("signed out", () => {
        test.use({ storageState: { cookies: [], origins: [] } });

        test("the sign-in page has no axe violations", async ({ page }) => {
          const login = new LoginPage(page);
          await login.openSignedOut("/login");
          await expectNoAxeViolations(page, where("the sign-in page"));

          // With the error the server's refusal shows.
          await login.signIn(`nobody-${uniqueToken()}@example.com`, "not-the-password");
          await expect(login.error()).toBeVisible();
          await expectNoAxeViolations(page, where("the sign-in page with an error"));
        });
      });

      test("the users page has no axe violations", async ({ page }) => {
        const users = new UsersPage(page);
        await users.gotoHydrated();
        await expect(users.rows.first()).toBeVisible();
        await expectNoAxeViolations(page, where("the users page"));

        // A selected row brings the batch bar.
        await users.rows.first().getByTestId("user-select").check();
        await expect(users.batch).toBeVisible();
        await expectNoAxeViolations(page, where("the users page with a row selected"));

        // Grouped by role: a heading row over each role's rows.
        await users.groupToggle.check();
        await expect(users.groups.first()).toBeVisible();
        await expectNoAxeViolations(page, where("the users page grouped by role"));

        await users.rows.first().getByTestId("user-edit").click();
        await expect(users.dialog).toBeVisible();
        await expectNoAxeViolations(page, where("the users page's edit dialog"));
      });

      test("a user's page has no axe violations", async ({ page, request }) => {
        const user = await anyUserViaApi(request);
        const userPage = new UserPage(page);
        await userPage.gotoHydrated(user.id);
        await expectNoAxeViolations(page, where("a user's page"));

        const devtools = new Devtools(page);
        await devtools.open();
        await expectNoAxeViolations(page, where("a user's page with the devtools open"));
      });

      test("the posts feed has no axe violations", async ({ page, request }) => {
        const token = uniqueToken();
        await createPostByAnyUser(request, { title: `Axe ${token}`, content: "Checked by axe." });
        const posts = new PostsPage(page);
        await posts.gotoHydrated();
        await waitForLive(page);
        await expect(posts.items.first()).toBeVisible();
        await expectNoAxeViolations(page, where("the posts feed"));

        const item = posts.items.first();
        await posts.editButton(item).click();
        await expect(posts.editor(item).title).toBeVisible();
        await expectNoAxeViolations(page, where("the posts feed with an editor open"));

        // The header search's popup, with people and posts found.
        const search = new SiteSearch(page);
        await search.input.fill(token);
        await expect(search.root).toHaveAttribute("data-state", "done");
        await expect(search.options.first()).toBeVisible();
        await expectNoAxeViolations(page, where("the search results"));
      });

      test("a post's page has no axe violations", async ({ page, request }) => {
        const post = await createPostByAnyUser(request, {
          title: `Axe ${uniqueToken()}`,
          content: "One post, checked by axe.",
        });
        const detail = new PostDetailPage(page);
        await detail.gotoHydrated(post.id);
        await waitForLive(page);
        await expect(detail.title).toHaveText(post.title);
        await expectNoAxeViolations(page, where("a post's page"));

        await detail.edit();
        await expectNoAxeViolations(page, where("a post's page with its editor open"));
      });

      test("the page-not-found page has no axe violations", async ({ page }) => {
        await openApp(page, `/no-such-page-${uniqueToken()}`);
        await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
        await expectNoAxeViolations(page, where("the page-not-found page"));
      });
    });
  }
}
