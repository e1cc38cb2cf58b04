import { expect, test } from "@playwright/test";
import { login } from "./fixtures/auth";
import { uniqueToken } from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

test.beforeEach(async ({ page }) => {
  await login(page);
});

test.describe("creating a post", () => {
  test("a new post appears first in the feed and survives a reload", async ({ page }) => {
    const unique = uniqueToken();
    const title = `E2E post ${unique}`;
    const content = `Written by the end-to-end suite (${unique}).`;

    const posts = new PostsPage(page);
    await posts.gotoHydrated();

    await posts.title.fill(title);
    await posts.content.fill(content);
    await posts.chooseFirstAuthor();
    await posts.submit.click();

    await expect(posts.itemsWithTitle(title)).toHaveCount(1);
    await expect(posts.titleOf(posts.items.first())).toHaveText(title);
    await expect(posts.contentOf(posts.items.first())).toContainText(unique);
    await expect(posts.formError).toBeHidden();

    await posts.reloadHydrated();
    await expect(posts.itemsWithTitle(title)).toHaveCount(1);
    await expect(posts.titleOf(posts.items.first())).toHaveText(title);
  });

  test("an empty title is refused with an error and adds no post", async ({ page }) => {
    const unique = uniqueToken();
    const content = `Post without a title (${unique}).`;

    const posts = new PostsPage(page);
    await posts.gotoHydrated();
    await expect(posts.items.first()).toBeVisible();
    const idsBefore = await posts.postIds();

    await posts.title.fill("");
    await posts.content.fill(content);
    await posts.chooseFirstAuthor();
    await posts.submit.click();

    await expect(posts.formError).toBeVisible();
    await expect(posts.formError).toContainText(/title/i);
    await expect(posts.items.filter({ hasText: unique })).toHaveCount(0);
    expect(await posts.postIds()).toEqual(idsBefore);

    // Nothing reached the server either.
    await posts.reloadHydrated();
    await expect(posts.items.first()).toBeVisible();
    await expect(posts.items.filter({ hasText: unique })).toHaveCount(0);
    await expect(posts.items.first()).toHaveAttribute("data-post-id", idsBefore[0]!);
  });
});
