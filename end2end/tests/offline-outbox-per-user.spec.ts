import { expect, test } from "@playwright/test";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "./fixtures/auth";
import { chrome, uniqueToken, waitForLive } from "./fixtures/app";
import { LoginPage } from "./fixtures/login-page";
import { PostsPage } from "./fixtures/posts-page";

// Signed in and out through the pages, in a context of its own: signing
// out ends only this test's sessions.
test.use({ storageState: { cookies: [], origins: [] } });

test("a write pending at sign-out is never replayed for the next user, and lands for its own", async ({
  page,
}) => {
  const unique = uniqueToken();
  const login = new LoginPage(page);
  const posts = new PostsPage(page);
  const status = chrome(page);
  const signInAs = async (email: string) => {
    await login.openSignedOut("/login");
    await login.signIn(email, DEMO_PASSWORD);
    await expect(login.accountName()).toBeVisible();
    await posts.gotoHydrated();
    await waitForLive(page);
  };

  await signInAs(DEMO_ACCOUNTS.admin);
  const created = await page.request.post("/api/posts", {
    data: {
      title: `Pending at sign-out ${unique}`,
      content: `Written by the admin (${unique}).`,
      authorId: (await (await page.request.get("/api/auth/me")).json()).id,
    },
  });
  expect(created.status()).toBe(201);
  const post = await created.json();
  await posts.reloadHydrated();

  // Edits cannot reach the server; everything else can (signing out too).
  await page.route(`**/api/posts/${post.id}`, (route) =>
    route.request().method() === "PATCH" ? route.abort("internetdisconnected") : route.continue(),
  );
  await posts.edit(posts.itemById(post.id), { title: `Edited by the admin ${unique}` });
  await expect(status.pendingCount).toHaveAttribute("data-count", "1");

  await login.signOut().click();
  await expect(login.root()).toBeVisible();
  await page.unroute(`**/api/posts/${post.id}`);

  const replayed: string[] = [];
  const recordReplays = (request: import("@playwright/test").Request) => {
    if (request.method() === "PATCH" && request.url().includes(post.id)) replayed.push(request.url());
  };
  page.on("request", recordReplays);
  await signInAs(DEMO_ACCOUNTS.user);
  await expect(posts.titleOf(posts.itemById(post.id))).toHaveText(post.title);
  await expect(status.offlineBanner, "the admin's write is not this user's").toBeHidden();
  // Replay starts as soon as a page loads its outbox; give it time to.
  await page.waitForTimeout(3_000);
  const meanwhile = await (await page.request.get(`/api/posts/${post.id}`)).json();
  expect(meanwhile.title, "nothing of the admin's was replayed").toBe(post.title);
  expect(meanwhile.version).toBe(post.version);
  expect(replayed, "the user's pages sent none of the admin's writes").toEqual([]);
  await expect(page.getByTestId("outbox-refused")).toHaveCount(0);
  page.off("request", recordReplays);

  await login.signOut().click();
  await expect(login.root()).toBeVisible();
  await signInAs(DEMO_ACCOUNTS.admin);
  await expect
    .poll(async () => (await (await page.request.get(`/api/posts/${post.id}`)).json()).title)
    .toBe(`Edited by the admin ${unique}`);
  const landed = await (await page.request.get(`/api/posts/${post.id}`)).json();
  expect(landed.version, "kept for the admin, it landed once").toBe(post.version + 1);
  await expect(status.offlineBanner).toBeHidden();
});
