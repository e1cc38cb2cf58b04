import { expect, test } from "@playwright/test";
import {
  chrome,
  createUserViaApi,
  recordApiRequests,
  uniqueToken,
  waitForLive,
} from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

// The users table and the header's users count read the same query (the
// first page of users). When a user created elsewhere makes it stale, both
// show the new data from one request.
test("the users table and the users count share one request", async ({ page, request }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await waitForLive(page);
  const count = chrome(page).usersCount;
  const before = Number(await count.getAttribute("data-count"));
  expect(before).toBeGreaterThan(0);

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
  // The stats panel refreshes too, from its own endpoint: count the list.
  const lists = requests.filter((r) => /^GET \/api\/users(\?|$)/.test(r));
  expect(lists, "requests to /api/users for both components").toHaveLength(1);
});
