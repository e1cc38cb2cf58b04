import { expect, test, type Page } from "@playwright/test";
import { chrome, createUserViaApi, uniqueToken, waitForLive, type CreatedUser } from "./fixtures/app";
import { UsersPage } from "./fixtures/users-page";

/** Counts the realtime sockets `page` opens. */
function countSockets(page: Page): { opened: number } {
  const count = { opened: 0 };
  page.on("websocket", (socket) => {
    if (socket.url().endsWith("/api/events")) count.opened += 1;
  });
  return count;
}

test("two tabs share one socket, and when the tab holding it closes the other takes over with every event", async ({
  context,
  request,
}) => {
  const unique = uniqueToken();
  let user: CreatedUser = await createUserViaApi(request, {
    name: `Shared Socket ${unique}`,
    email: `socket-${unique}@example.com`,
    role: "user",
  });
  const rename = async (name: string) => {
    const response = await request.patch(`/api/users/${user.id}`, {
      headers: { "If-Match": `"${String(user.version)}"` },
      data: { name },
    });
    expect(response.status(), await response.text()).toBe(200);
    user = await response.json();
  };

  const first = new UsersPage(await context.newPage());
  const firstSockets = countSockets(first.page);
  await first.gotoHydrated(`/users?search=${unique}`);
  await waitForLive(first.page);
  const second = new UsersPage(await context.newPage());
  const secondSockets = countSockets(second.page);
  await second.gotoHydrated(`/users?search=${unique}`);
  await waitForLive(second.page);
  expect(firstSockets.opened + secondSockets.opened, "one socket for the browser").toBe(1);
  expect(firstSockets.opened, "held by the first tab").toBe(1);

  await rename(`Relayed ${unique}`);
  await expect(second.nameOf(second.rowById(user.id))).toHaveText(`Relayed ${unique}`);

  const closedAt = Date.now();
  await first.page.close();
  // Committed while no tab holds a socket.
  await rename(`Meanwhile ${unique}`);
  await expect
    .poll(() => secondSockets.opened, { message: "the second tab takes the socket over", timeout: 2_000 })
    .toBe(1);
  await expect(chrome(second.page).connection).toHaveAttribute("data-status", "live", {
    timeout: Math.max(1, 2_000 - (Date.now() - closedAt)),
  });
  await expect(second.nameOf(second.rowById(user.id))).toHaveText(`Meanwhile ${unique}`);
  await rename(`Afterwards ${unique}`);
  await expect(second.nameOf(second.rowById(user.id))).toHaveText(`Afterwards ${unique}`);
});
