import { expect, test } from "@playwright/test";
import { createUserViaApi, uniqueToken } from "./fixtures/app";
import { generatedPng, UserPage } from "./fixtures/user-page";

test("an avatar upload shows its progress up to 100 % and then the new picture", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Avatar Ava ${unique}`,
    email: `avatar-${unique}@example.com`,
    role: "user",
  });
  const profile = new UserPage(page);
  await profile.gotoHydrated(user.id);
  await expect(profile.initials).toBeVisible();
  await expect(profile.progress).toHaveCount(0);

  const answer = page.waitForResponse(
    (r) => r.url().endsWith(`/api/users/${user.id}/avatar`) && r.request().method() === "POST",
  );
  await profile.upload({
    name: "avatar.png",
    mimeType: "image/png",
    buffer: generatedPng(48, 48, [47, 91, 234], 512 * 1024),
  });
  await expect(profile.progress).toBeVisible();
  expect((await answer).status()).toBe(200);

  await expect(profile.progress).toHaveAttribute("aria-valuenow", "100");
  await expect(profile.progress).toHaveAttribute("value", "100");
  await expect(profile.uploaded).toBeVisible();
  await expect(profile.avatar).toHaveAttribute("src", /^\/uploads\/[0-9a-f-]{36}\.png$/);
  await expect
    .poll(() => profile.avatar.evaluate((img) => (img as HTMLImageElement).naturalWidth))
    .toBe(48);

  const stored = await (await request.get(`/api/users/${user.id}`)).json();
  expect(stored.avatarUrl).toBe(await profile.avatar.getAttribute("src"));
});

test("a file that is not an image is refused with the server's reason", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const user = await createUserViaApi(request, {
    name: `Avatar Abe ${unique}`,
    email: `avatar-abe-${unique}@example.com`,
    role: "user",
  });
  const profile = new UserPage(page);
  await profile.gotoHydrated(user.id);
  await profile.upload({
    name: "avatar.png",
    mimeType: "image/png",
    buffer: Buffer.from("this is only text pretending to be a picture"),
  });
  await expect(profile.uploadError).toContainText("PNG, JPEG or WebP");
  await expect(profile.progress).toHaveCount(0);
  await expect(profile.initials).toBeVisible();
});
