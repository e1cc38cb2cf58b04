import { expect, test } from "@playwright/test";
import { createPostViaApi, createUserViaApi, uniqueToken } from "./fixtures/app";
import { UserPage } from "./fixtures/user-page";

test("a user's page shows their profile and their posts", async ({ page, request }) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Profile Pat ${unique}`,
    email: `profile-${unique}@example.com`,
    role: "moderator",
  });
  const older = await createPostViaApi(request, {
    title: `First thoughts ${unique}`,
    content: "An older post.",
    authorId: user.id,
  });
  const newer = await createPostViaApi(request, {
    title: `Second thoughts ${unique}`,
    content: "A newer post.",
    authorId: user.id,
  });

  const profile = new UserPage(page);
  await profile.gotoHydrated(user.id);
  await expect(profile.name).toHaveText(`Profile Pat ${unique}`);
  await expect(profile.email).toHaveText(`profile-${unique}@example.com`);
  await expect(profile.role).toHaveText("moderator");
  const createdYear = String(new Date(String(user.createdAt)).getUTCFullYear());
  await expect(profile.created).toContainText(createdYear);
  await expect(profile.lastActive).not.toBeEmpty();
  await expect(profile.initials).toHaveText("PP");

  await expect(profile.postItems).toHaveCount(2);
  await expect(profile.postItems.nth(0)).toHaveAttribute("data-post-id", newer.id);
  await expect(profile.postItems.nth(1)).toHaveAttribute("data-post-id", older.id);
  await profile.postTitled(`First thoughts ${unique}`).getByTestId("user-post-title").click();
  await expect(page).toHaveURL(new RegExp(`/posts/${older.id}$`));
});

test("a user without posts says so, and an unknown user is not found", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Quiet Quinn ${unique}`,
    email: `quiet-${unique}@example.com`,
    role: "user",
  });
  const profile = new UserPage(page);
  await profile.gotoHydrated(user.id);
  await expect(profile.postsEmpty).toBeVisible();
  await expect(profile.postItems).toHaveCount(0);

  const missing = await page.goto("/users/00000000-0000-7000-8000-000000000000");
  expect(missing?.status()).toBe(404);
  await expect(page.getByText("Page not found")).toBeVisible();
});
