// Bytes of every file a first page loads, as a newcomer's browser loads
// it: each page opened in a new, empty browser context (a cold cache),
// signed in where the page needs it. For each response: its size raw,
// gzip -9 and brotli q11 (computed here from the decoded body), and the
// bytes that crossed the wire with the encoding the server chose.
//
//   node bytes.mjs BASE_URL        (run.sh starts the server)
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

import { CHROMIUM_ARGS, signIn } from "./session.mjs";
import { table } from "./table.mjs";

const base = process.argv[2];
if (!base) throw new Error("usage: node bytes.mjs BASE_URL");

const PAGES = [
  { name: "sign-in (signed out)", path: "/login", signedIn: false },
  { name: "users (signed in)", path: "/users", signedIn: true },
  { name: "posts (signed in)", path: "/posts", signedIn: true },
];

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: CHROMIUM_ARGS,
});
const totals = [];
for (const spec of PAGES) {
  const context = await browser.newContext();
  if (spec.signedIn) await context.addCookies(await signIn(base));
  const page = await context.newPage();
  const responses = [];
  page.on("response", (response) => responses.push(response));
  await page.goto(base + spec.path, { waitUntil: "networkidle" });
  // Hydrated: the page's own script has run and marked the document.
  await page.waitForSelector('html[data-hydrated="true"]', { state: "attached", timeout: 30_000 });

  const rows = [];
  for (const response of responses) {
    const url = new URL(response.url());
    if (url.origin !== new URL(base).origin) continue;
    const body = await response.body().catch(() => null);
    if (body === null) continue;
    const sizes = await response.request().sizes();
    rows.push({
      file: url.pathname + url.search,
      encoding: (await response.headerValue("content-encoding")) ?? "none",
      raw: body.length,
      gzip: gzipSync(body, { level: 9 }).length,
      brotli: brotliCompressSync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
      }).length,
      wire: sizes.responseBodySize,
    });
  }
  await context.close();
  print(spec.name, rows);
  totals.push({ page: spec.name, ...sum(rows) });
}
await browser.close();

console.log("\n## Totals per first page\n");
console.log(table(totals, ["page", "files", "raw", "gzip", "brotli", "wire"]));

function sum(rows) {
  const total = { files: rows.length, raw: 0, gzip: 0, brotli: 0, wire: 0 };
  for (const row of rows) for (const k of ["raw", "gzip", "brotli", "wire"]) total[k] += row[k];
  return total;
}

function print(name, rows) {
  rows.sort((a, b) => b.raw - a.raw);
  console.log(`\n## ${name}\n`);
  console.log(table([...rows, { file: "total", encoding: "", ...sum(rows) }], [
    "file", "encoding", "raw", "gzip", "brotli", "wire",
  ]));
}
