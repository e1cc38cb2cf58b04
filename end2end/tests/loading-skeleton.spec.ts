import { expect, test } from "@playwright/test";

import { openApp } from "./fixtures/app";
import { holdRequests } from "./fixtures/hold";

// While a page's data is on its way, grey placeholders in its shape stand
// in for it, announced as busy; then the data replaces them.
test("a page opened in the browser shows a loading skeleton until its data arrives", async ({
  page,
}) => {
  await openApp(page, "/users");
  const link = page.getByTestId("user-link").first();
  const href = await link.getAttribute("href");
  expect(href).toMatch(/^\/users\/[0-9a-f-]{36}$/);
  const held = await holdRequests(page, "GET", `**/api${href}`);

  await link.click();
  await held.seen;
  await expect(page).toHaveURL(new RegExp(`${href}$`));
  const skeleton = page.getByTestId("skeleton").first();
  await expect(skeleton).toBeVisible();
  await expect(skeleton).toHaveAttribute("aria-busy", "true");
  await expect(skeleton).toHaveAttribute("role", "status");

  held.release();
  await expect(page.getByTestId("user-profile")).toBeVisible();
  await expect(page.getByTestId("skeleton")).toHaveCount(0);
});
