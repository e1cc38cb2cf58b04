import { expect, test } from "@playwright/test";
import { chrome, recordApiRequests, waitForLive } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

test("users rendered by the server are not fetched again when the page hydrates", async ({
  page,
}) => {
  const requests = recordApiRequests(page, "/api/users");
  const users = new UsersPage(page);
  await users.gotoHydrated();
  // The socket is live only after hydration has run every query hook.
  await waitForLive(page);

  await expect(users.rows.first()).toBeVisible();
  await expect(chrome(page).usersCount).toBeVisible();
  expect(requests, "requests to /api/users after load").toEqual([]);
});
