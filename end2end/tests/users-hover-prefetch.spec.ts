import { expect, test } from "@playwright/test";
import {
  createPostViaApi,
  createUserViaApi,
  recordApiRequests,
  uniqueToken,
} from "./fixtures/app";
import { UserPage } from "./fixtures/user-page";
import { UsersPage } from "./fixtures/users-page";

test("hovering a user's link loads their page, which then opens without a request", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Hover Hal ${unique}`,
    email: `hover-${unique}@example.com`,
    role: "user",
  });
  await createPostViaApi(request, {
    title: `Hovered post ${unique}`,
    content: "Prefetched.",
    authorId: user.id,
  });
  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  const link = users.linkOf(users.rowById(user.id));
  await expect(link).toBeVisible();

  const before = recordApiRequests(page, `/api/users/${user.id}`);
  const profileLoaded = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/users/${user.id}`);
  const postsLoaded = page.waitForResponse(
    (r) => new URL(r.url()).pathname === `/api/users/${user.id}/posts`,
  );
  await link.hover();
  await Promise.all([profileLoaded, postsLoaded]);
  expect(before).toHaveLength(2);

  const after = recordApiRequests(page, `/api/users/${user.id}`);
  await link.click();
  const profile = new UserPage(page);
  await expect(profile.root).toBeVisible();
  await expect(profile.name).toHaveText(`Hover Hal ${unique}`);
  await expect(profile.postTitled(`Hovered post ${unique}`)).toBeVisible();
  expect(after, "requests for the user after the click").toEqual([]);
});
