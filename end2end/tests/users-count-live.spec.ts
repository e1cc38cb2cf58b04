import { expect, test } from "@playwright/test";
import {
  chrome,
  createUserViaApi,
  recordApiRequests,
  settleNetwork,
  uniqueToken,
  waitForLive,
} from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

// The users table (its first page, newest first) and the header's users
// count (the users' stats) both follow a user created elsewhere from its
// event: the new row and the new count show with no request.
test("the users table and the users count follow a user created elsewhere with no request", async ({
  page,
  request,
}) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await waitForLive(page);
  const count = chrome(page).usersCount;
  const before = Number(await count.getAttribute("data-count"));
  expect(before).toBeGreaterThan(0);

  await settleNetwork(page);
  const requests = recordApiRequests(page, "/api/users");
  const unique = uniqueToken();
  const created = await createUserViaApi(request, {
    name: `Shared Query ${unique}`,
    email: `shared-${unique}@example.com`,
    role: "user",
  });

  await expect(users.rowById(created.id)).toBeVisible();
  await expect(count).toHaveAttribute("data-count", String(before + 1));
  await expect(count).toHaveText(`${before + 1} users`);
  await settleNetwork(page);
  expect(requests, "no list, stats or user request").toEqual([]);
});
