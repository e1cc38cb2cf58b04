import { expect, test } from "@playwright/test";
import { createPostViaApi, uniqueToken, waitForLive } from "./fixtures/app";
import { DEMO_ACCOUNTS, login } from "./fixtures/auth";
import { holdRequests } from "./fixtures/hold";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { Toasts } from "./fixtures/toasts";

// A plain user may change only their own posts: editing the admin's post
// is refused by the server (403), which says why.
test("an edit the server refuses is rolled back and a toast carries the server's message", async ({
  browser,
  request,
}) => {
  const unique = uniqueToken();
  const me = await request.get("/api/auth/me");
  expect(me.ok()).toBe(true);
  const admin = (await me.json()) as { id: string };
  const post = await createPostViaApi(request, {
    title: `Admin's post ${unique}`,
    content: `Only the admin may change this (${unique}).`,
    authorId: admin.id,
  });

  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  try {
    const page = await context.newPage();
    await login(page, DEMO_ACCOUNTS.user);
    const detail = new PostDetailPage(page);
    await detail.gotoHydrated(post.id);
    await waitForLive(page);

    const held = await holdRequests(page, "PATCH", `**/api/posts/${post.id}`);
    const attempted = `Not allowed ${unique}`;
    await detail.rename(attempted);
    await held.seen;
    await expect(detail.title, "shown before the answer").toHaveText(attempted);
    held.release();

    const toasts = new Toasts(page);
    const toast = toasts.withText("your role does not allow changing this post");
    await expect(toast).toBeVisible();
    await expect(toast).toHaveAttribute("role", "alert");
    await expect(toasts.region).toHaveAttribute("aria-live", "polite");
    await expect(detail.title, "rolled back").toHaveText(post.title);

    await toasts.closeButton(toast).click();
    await expect(toast).toHaveCount(0);
    const stored = await request.get(`/api/posts/${post.id}`);
    expect(((await stored.json()) as { title: string }).title).toBe(post.title);
  } finally {
    await context.close();
  }
});
