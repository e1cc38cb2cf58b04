import { expect, test } from "@playwright/test";
import {
  createUserViaApi,
  deleteUserViaApi,
  postIdsTitled,
  uniqueToken,
  waitForLive,
} from "./fixtures/app";
import { PostsPage } from "./fixtures/posts-page";

// The refusal is the server's own: the chosen author is deleted after the
// page loaded, so the server refuses the post (422, no such author).
test("a new post shows at once and is rolled back with the server's reason when refused", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const author = await createUserViaApi(request, {
    name: `Vanishing Author ${unique}`,
    email: `vanishing-${unique}@example.com`,
    role: "user",
  });
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await waitForLive(page);
  await posts.author.selectOption(author.id);
  await deleteUserViaApi(request, author);

  const title = `Refused post ${unique}`;
  await posts.recordPendingTitles();
  // The author stays chosen in the form, whatever the page has heard since.
  await posts.title.fill(title);
  await posts.content.fill(`Nobody wrote this (${unique}).`);
  await posts.submit.click();

  await expect(posts.formError).toBeVisible();
  await expect(posts.formError).toContainText("authorId");
  await expect(posts.itemsWithTitle(title)).toHaveCount(0);
  expect(await posts.pendingTitlesSeen(), "shown as pending before the answer").toContain(title);
  expect(await postIdsTitled(request, title), "the server has no such post").toEqual([]);
});

test("a new post shows at once as pending and is replaced by the server's post", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const title = `Optimistic post ${unique}`;
  const posts = new PostsPage(page);
  await posts.gotoHydrated();
  await posts.recordPendingTitles();
  await posts.publish(title, `Shown before the server answered (${unique}).`);

  const item = posts.itemsWithTitle(title);
  await expect(item).toHaveCount(1);
  // The server's answer confirms the row; only then has the server
  // surely committed the post to look it up by.
  await expect(item).toHaveAttribute("data-pending", "false");
  const [id] = await postIdsTitled(request, title);
  expect(id, "the server has the post").toBeDefined();
  await expect(item).toHaveAttribute("data-post-id", id!);
  expect(await posts.pendingTitlesSeen()).toContain(title);
});
