import { expect, test } from "@playwright/test";
import { login } from "./fixtures/auth";
import { createUserViaApi, recordApiRequests, uniqueToken, waitForLive } from "./fixtures/app";
import { LoginPage } from "./fixtures/login-page";
import { UsersPage } from "./fixtures/users-page";

// A session of its own: refreshing rotates its refresh token.
test.use({ storageState: { cookies: [], origins: [] } });

test("two tabs whose access token expired save at once: one refresh between them, both stay signed in", async ({
  context,
  page,
}) => {
  const unique = uniqueToken();
  await login(page);
  const people = await Promise.all(
    ["a", "b"].map((tab) =>
      createUserViaApi(page.request, {
        name: `Tab ${tab} ${unique}`,
        email: `tab-${tab}-${unique}@example.com`,
        role: "user",
      }),
    ),
  );
  const tabs = [new UsersPage(page), new UsersPage(await context.newPage())];
  for (const [i, tab] of tabs.entries()) {
    await tab.gotoHydrated(`/users?search=${unique}`);
    await waitForLive(tab.page);
    await tab.edit(tab.rowById(people[i]!.id));
    await tab.formName.fill(`Saved from tab ${i} ${unique}`);
  }
  const refreshes = tabs.map((tab) => recordApiRequests(tab.page, "/api/auth/refresh"));

  // The access token expires (its cookie goes); the refresh token stays.
  await context.clearCookies({ name: "tidings_access" });
  await Promise.all(tabs.map((tab) => tab.formSave.click()));
  for (const [i, tab] of tabs.entries()) {
    await expect(tab.notice).toHaveText(`Saved Saved from tab ${i} ${unique}.`);
  }
  expect(refreshes.flat(), "one refresh for the browser").toEqual(["POST /api/auth/refresh"]);
  for (const [i, person] of people.entries()) {
    const stored = await (await page.request.get(`/api/users/${person.id}`)).json();
    expect(stored.name).toBe(`Saved from tab ${i} ${unique}`);
  }

  // Both are still signed in, on the server too.
  for (const tab of tabs) {
    await tab.page.reload();
    await expect(tab.root).toBeVisible();
    await expect(new LoginPage(tab.page).accountName()).toBeVisible();
  }
});
