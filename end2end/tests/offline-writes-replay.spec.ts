import { expect, test } from "@playwright/test";
import {
  chrome,
  createPostByAnyUser,
  createUserViaApi,
  uniqueToken,
  waitForLive,
} from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";
import { UsersPage } from "./fixtures/users-page";

// The network to the API fails (route().abort()) rather than the browser
// being offline, so pages still load: the app learns it from its failed
// attempts, as when the path to the server breaks. Every write made then
// waits in the outbox; the page is closed; a new page, with the API
// reachable again, replays them.
test("a post edit, a post deletion and a user edit made offline land once after the page is closed", async ({
  page,
  context,
  request,
}) => {
  const unique = uniqueToken();
  const edited = await createPostByAnyUser(request, {
    title: `Edit offline ${unique}`,
    content: `Before (${unique}).`,
  });
  const deleted = await createPostByAnyUser(request, {
    title: `Delete offline ${unique}`,
    content: `Short-lived (${unique}).`,
  });
  const user = await createUserViaApi(request, {
    name: `Offline User ${unique}`,
    email: `offline-${unique}@example.com`,
    role: "user",
  });
  const status = chrome(page);

  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}`);
  await waitForLive(page);
  const row = users.rowById(user.id);
  await expect(row).toBeVisible();
  await context.route("**/api/**", (route) => route.abort("internetdisconnected"));
  await users.edit(row);
  await users.formName.fill(`Renamed Offline ${unique}`);
  await users.formSave.click();
  await expect(users.dialog).toBeHidden();
  await expect(users.nameOf(row)).toHaveText(`Renamed Offline ${unique}`);
  await expect(status.pendingCount).toHaveAttribute("data-count", "1");

  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await expect(status.pendingCount).toHaveAttribute("data-count", "1");
  const item = posts.itemById(edited.id);
  await posts.edit(item, { title: `Edited offline ${unique}` });
  await expect(posts.titleOf(item)).toHaveText(`Edited offline ${unique}`);
  await posts.delete(posts.itemById(deleted.id));
  await expect(posts.itemById(deleted.id)).toHaveCount(0);
  await expect(status.pendingCount).toHaveAttribute("data-count", "3");
  await expect(page.getByTestId("pending-item")).toHaveText([
    `Edit of the user Renamed Offline ${unique}`,
    `Edit of the post “Edited offline ${unique}”`,
    "Deletion of a post",
  ]);

  const stillThere = await (await request.get(`/api/posts/${edited.id}`)).json();
  expect(stillThere.title, "nothing reached the server").toBe(edited.title);
  await page.close();
  await context.unroute("**/api/**");

  const reopened = await context.newPage();
  const again = new PostsPage(reopened);
  await again.gotoHydrated();
  await expect(chrome(reopened).offlineBanner).toBeHidden();

  const post = await (await request.get(`/api/posts/${edited.id}`)).json();
  expect(post.title).toBe(`Edited offline ${unique}`);
  expect(post.version, "the edit landed exactly once").toBe(Number(edited.version) + 1);
  expect((await request.get(`/api/posts/${deleted.id}`)).status()).toBe(404);
  const renamed = await (await request.get(`/api/users/${user.id}`)).json();
  expect(renamed.name).toBe(`Renamed Offline ${unique}`);
  expect(renamed.version, "the user edit landed exactly once").toBe(Number(user.version) + 1);
  await expect(again.titleOf(again.itemById(edited.id))).toHaveText(`Edited offline ${unique}`);
  await expect(again.itemById(deleted.id)).toHaveCount(0);
});
