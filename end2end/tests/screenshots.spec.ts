import { expect, test, type Page } from "@playwright/test";

import {
  anyUserViaApi,
  createPostViaApi,
  openApp,
  uniqueToken,
  waitForHydration,
} from "./fixtures/app";

// Every page at a desktop and a phone width, in light and dark: each is
// saved under test-results/screenshots/ for a person to look at, and none
// may be wider than the screen (tables scroll inside themselves).
const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;
const SCHEMES = ["light", "dark"] as const;

interface Shot {
  name: string;
  /** Opens the page; the viewport and colour scheme are already set. */
  open: (page: Page) => Promise<void>;
  /** Only the first screen: the page grows as it is scrolled. */
  endless?: boolean;
}

const SHOTS: Shot[] = [
  {
    name: "users",
    open: async (page) => {
      await openApp(page, "/users");
      await expect(page.getByTestId("users-table")).toBeVisible();
    },
  },
  {
    name: "user",
    open: async (page) => {
      const user = await anyUserViaApi(page.request);
      await openApp(page, `/users/${user.id}`);
      await expect(page.getByTestId("user-profile")).toBeVisible();
    },
  },
  {
    name: "search",
    open: async (page) => {
      await openApp(page, "/posts");
      await page.getByTestId("site-search-input").fill("th");
      await expect(page.getByTestId("site-search-popup")).toBeVisible();
    },
    endless: true,
  },
  {
    name: "posts",
    open: async (page) => {
      await openApp(page, "/posts");
      await expect(page.getByTestId("posts-list")).toBeVisible();
    },
    endless: true,
  },
  {
    name: "post",
    open: async (page) => {
      const author = await anyUserViaApi(page.request);
      const post = await createPostViaApi(page.request, {
        title: `Screenshot ${uniqueToken()}`,
        content: "A post opened on its own page, at every width.",
        authorId: author.id,
      });
      await openApp(page, `/posts/${post.id}`);
      await expect(page.getByTestId("post-detail")).toBeVisible();
    },
  },
];

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, "the page is no wider than the screen").toBeLessThanOrEqual(0);
}

for (const viewport of VIEWPORTS) {
  for (const scheme of SCHEMES) {
    for (const shot of SHOTS) {
      test(`${shot.name} at ${viewport.name} width, ${scheme}`, async ({ page }) => {
        await page.setViewportSize({ width: viewport.width, height: viewport.height });
        await page.emulateMedia({ colorScheme: scheme });
        await shot.open(page);
        await expectNoSidewaysScroll(page);
        await page.screenshot({
          path: `test-results/screenshots/${shot.name}-${viewport.name}-${scheme}.png`,
          fullPage: !shot.endless,
        });
      });
    }
  }
}

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });
  for (const viewport of VIEWPORTS) {
    test(`login at ${viewport.name} width`, async ({ page }) => {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.goto("/login");
      await waitForHydration(page);
      await expect(page.getByTestId("login-form")).toBeVisible();
      await expectNoSidewaysScroll(page);
      await page.screenshot({
        path: `test-results/screenshots/login-${viewport.name}.png`,
        fullPage: true,
      });
    });
  }
});
