import { expect, test } from "@playwright/test";
import {
  createUserViaApi,
  deleteUserViaApi,
  recordApiRequests,
  settleNetwork,
  uniqueToken,
} from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

/** How long a change may take to reach a watching page. */
const PROMPTLY = { timeout: 3_000 };

test("a user created elsewhere takes its sorted place in an open table, and its deletion removes it, with no list request", async ({
  page,
  request,
}) => {
  const unique = uniqueToken();
  const make = (name: string) =>
    createUserViaApi(request, {
      name: `${name} ${unique}`,
      email: `${name.toLowerCase()}-${unique}@example.org`,
      role: "user",
    });
  const bea = await make("Bea");
  const dan = await make("Dan");

  const users = new UsersPage(page);
  await users.gotoHydrated(`/users?search=${unique}&sort=name&order=asc`);
  await expect(users.rows).toHaveCount(2);
  await expect(users.pageInfo).toHaveText(/· 2 users$/);
  const total = await users.stat("stat-total");
  await settleNetwork(page);
  const requests = recordApiRequests(page, "/api/users");

  // Between the two by name: the engine places it, the server is not asked.
  const cal = await make("Cal");
  await expect(users.rows).toHaveCount(3, PROMPTLY);
  expect(await users.ids()).toEqual([bea.id, cal.id, dan.id]);
  await expect(users.pageInfo).toHaveText(/· 3 users$/);
  await expect.poll(() => users.stat("stat-total")).toBe(total + 1);

  await deleteUserViaApi(request, cal);
  await expect(users.rows).toHaveCount(2, PROMPTLY);
  expect(await users.ids()).toEqual([bea.id, dan.id]);
  await expect(users.pageInfo).toHaveText(/· 2 users$/);
  await expect.poll(() => users.stat("stat-total")).toBe(total);

  await settleNetwork(page);
  expect(requests, "the events patched the lists and the stats").toEqual([]);
});
