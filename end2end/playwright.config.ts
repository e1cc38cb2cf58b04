import { defineConfig } from "@playwright/test";

import { SIGNED_IN_STATE } from "./tests/fixtures/global-setup";

const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  testDir: "tests",
  globalSetup: "./tests/fixtures/global-setup.ts",
  // The machine has two cores and the server under test is shared by every spec.
  workers: 1,
  fullyParallel: false,
  // A failure is a failure: no retries to hide a flaky spec.
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    // Signed in as the demo admin (see the global setup).
    storageState: SIGNED_IN_STATE,
    // Requests a service worker answers bypass page.route(), which many
    // specs hold or fail requests with: only the spec of the offline shell
    // lets the app's worker run.
    serviceWorkers: "block",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      },
    },
  ],
});
