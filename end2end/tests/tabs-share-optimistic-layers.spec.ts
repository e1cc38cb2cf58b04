import { expect, test } from "@playwright/test";
import { createPostViaApi, recordApiRequests, uniqueToken, waitForLive } from "./fixtures/app";
import { DEMO_ACCOUNTS, login } from "./fixtures/auth";
import { holdRequests } from "./fixtures/hold";
import { PostDetailPage } from "./fixtures/post-detail-page";

// A plain user may change only their own posts: the server refuses the
// edit of the admin's post (403), a refusal of its own.
test("an optimistic edit in one tab shows in the other before the server answers, and so does its rollback", async ({
  browser,
  request,
}) => {
  const unique = uniqueToken();
  const admin = (await (await request.get("/api/auth/me")).json()) as { id: string };
  const post = await createPostViaApi(request, {
    title: `Shared layer ${unique}`,
    content: `Edited in one tab, seen in the other (${unique}).`,
    authorId: admin.id,
  });

  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  try {
    const first = new PostDetailPage(await context.newPage());
    await login(first.page, DEMO_ACCOUNTS.user);
    await first.gotoHydrated(post.id);
    const second = new PostDetailPage(await context.newPage());
    await second.gotoHydrated(post.id);
    await waitForLive(first.page);
    await waitForLive(second.page);
    const secondRequests = recordApiRequests(second.page, "/api/");

    const held = await holdRequests(first.page, "PATCH", `**/api/posts/${post.id}`);
    const attempted = `Not allowed ${unique}`;
    await first.rename(attempted);
    await held.seen;
    await expect(second.title, "the other tab shows it before the answer").toHaveText(attempted);

    held.release();
    await expect(first.title, "rolled back").toHaveText(post.title);
    await expect(second.title, "rolled back in the other tab too").toHaveText(post.title);
    expect(secondRequests, "the other tab asked nothing").toEqual([]);
  } finally {
    await context.close();
  }
});
