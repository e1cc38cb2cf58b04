import { expect, test } from "@playwright/test";
import { createUserViaApi, recordApiRequests, uniqueToken, waitForLive } from "./fixtures/app";
import { holdSockets } from "./fixtures/hold";
import { UsersPage } from "./fixtures/users-page";

/** The stats poll every 10 s while no realtime events come. */
const POLL_MS = 10_000;
const STATS = "/api/users/stats";

test("while the socket is not live the users' numbers poll, and follow a change made elsewhere", async ({
  page,
  request,
}) => {
  const socket = await holdSockets(page, /\/api\/events/);
  const users = new UsersPage(page);
  await users.gotoWithoutSocket();
  await expect.poll(socket.opened).toBeGreaterThan(0);
  const asked = recordApiRequests(page, STATS);
  const total = await users.stat("stat-total");

  const unique = uniqueToken();
  await createUserViaApi(request, {
    name: `Polled ${unique}`,
    email: `polled-${unique}@example.com`,
    role: "user",
  });
  await expect(page.getByTestId("stat-total")).toHaveAttribute("data-value", String(total + 1), {
    timeout: POLL_MS + 5_000,
  });
  expect(asked.length).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId("connection-status")).not.toHaveAttribute("data-status", "live");
});

test("while the socket is live the users' numbers do not poll", async ({ page }) => {
  const users = new UsersPage(page);
  await users.gotoHydrated();
  await waitForLive(page);
  const asked = recordApiRequests(page, STATS);
  // Longer than one poll: nothing changed, so nothing is asked.
  await page.waitForTimeout(POLL_MS + 1_000);
  expect(asked).toEqual([]);
});
