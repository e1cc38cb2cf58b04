import { expect, test, type APIRequestContext } from "@playwright/test";
import { createPostByAnyUser, type CreatedPost, uniqueToken, waitForLive } from "./fixtures/app";
import { PostDetailPage } from "./fixtures/post-detail-page";
import { Toasts } from "./fixtures/toasts";

/** Changes the post's content through the API, as someone else would. */
async function changeContentViaApi(
  request: APIRequestContext,
  post: CreatedPost,
  content: string,
): Promise<void> {
  const response = await request.patch(`/api/posts/${post.id}`, {
    headers: { "If-Match": `"${post.version}"` },
    data: { content },
  });
  expect(response.status(), `PATCH answered ${await response.text()}`).toBe(200);
}

async function serverPost(request: APIRequestContext, id: string): Promise<CreatedPost> {
  const response = await request.get(`/api/posts/${id}`);
  expect(response.ok()).toBe(true);
  return (await response.json()) as CreatedPost;
}

/** A post, open in the editor, changed through the API meanwhile. */
async function conflictSetUp(
  page: import("@playwright/test").Page,
  request: APIRequestContext,
) {
  const unique = uniqueToken();
  const post = await createPostByAnyUser(request, {
    title: `Contested ${unique}`,
    content: `First words (${unique}).`,
  });
  const detail = new PostDetailPage(page);
  await detail.gotoHydrated(post.id);
  await waitForLive(page);
  await detail.edit();
  const myTitle = `My title ${unique}`;
  await detail.newTitle.fill(myTitle);

  const theirContent = `Their words (${unique}).`;
  await changeContentViaApi(request, post, theirContent);
  await detail.save.click();
  return { post, detail, myTitle, theirContent };
}

test("saving over a newer version shows it, and re-applying puts my change on top", async ({
  page,
  request,
}) => {
  const { post, detail, myTitle, theirContent } = await conflictSetUp(page, request);

  await expect(detail.conflict).toBeVisible();
  await expect(detail.conflictTitle).toHaveText(post.title);
  await expect(detail.conflictContent).toHaveText(theirContent);
  // The page shows the newer version, not my refused change.
  await expect(detail.title).toHaveText(post.title);
  await expect(detail.content).toHaveText(theirContent);
  await expect(new Toasts(page).errors.first()).toContainText("changed");
  // The form keeps my edit and shows their version of what I left alone.
  await expect(detail.newTitle).toHaveValue(myTitle);
  await expect(detail.newContent).toHaveValue(theirContent);

  await detail.reapply.click();
  await expect(detail.conflict).toBeHidden();
  await expect(detail.title).toHaveText(myTitle);
  await expect(detail.content).toHaveText(theirContent);
  await expect.poll(async () => (await serverPost(request, post.id)).title).toBe(myTitle);
  const saved = await serverPost(request, post.id);
  expect(saved.content, "their change is kept").toBe(theirContent);
  expect(saved.version).toBe(3);
});

test("discarding my change after a conflict keeps the newer version", async ({ page, request }) => {
  const { post, detail, theirContent } = await conflictSetUp(page, request);

  await expect(detail.conflict).toBeVisible();
  await detail.discard.click();
  await expect(detail.conflict).toBeHidden();
  await expect(detail.newTitle).toBeHidden();
  await expect(detail.title).toHaveText(post.title);
  await expect(detail.content).toHaveText(theirContent);
  const saved = await serverPost(request, post.id);
  expect([saved.title, saved.content, saved.version]).toEqual([post.title, theirContent, 2]);
});
