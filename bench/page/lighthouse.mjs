// Lighthouse 12 over the signed-in users and posts pages of a release
// build, on phone (Lighthouse's default: a mid-range phone on a throttled
// connection, simulated) and desktop settings. Prints the category scores,
// first contentful paint, time to interactive and the metrics the
// performance score weighs (largest contentful paint, total blocking time,
// layout shift, speed index), the opportunities Lighthouse sees, and every
// audit that kept accessibility or best practices below 100.
//
//   node lighthouse.mjs BASE_URL   (run.sh starts the server)
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

import { CHROMIUM_ARGS, cookieHeader, signIn } from "./session.mjs";
import { table } from "./table.mjs";

const base = process.argv[2];
if (!base) throw new Error("usage: node lighthouse.mjs BASE_URL");

const PAGES = ["/users", "/posts"];
const FORMS = [
  { name: "phone", config: undefined },
  { name: "desktop", config: desktopConfig },
];
const CATEGORIES = ["performance", "accessibility", "best-practices"];

const rows = [];
const shortfalls = [];
const opportunities = [];
const failures = [];
for (const path of PAGES) {
  for (const form of FORMS) {
    // A new browser each run: a cold cache and no state from the last page.
    const chrome = await chromeLauncher.launch({
      chromePath: "/usr/bin/chromium",
      chromeFlags: CHROMIUM_ARGS,
    });
    try {
      const cookies = await signIn(base);
      const { lhr } = await lighthouse(
        base + path,
        {
          port: chrome.port,
          output: "json",
          logLevel: "error",
          onlyCategories: CATEGORIES,
          extraHeaders: { Cookie: cookieHeader(cookies) },
        },
        form.config,
      );
      if (lhr.runtimeError) throw new Error(`${path}: ${lhr.runtimeError.message}`);
      const score = (id) => Math.round(lhr.categories[id].score * 100);
      rows.push({
        page: `${path} (${form.name})`,
        performance: score("performance"),
        accessibility: score("accessibility"),
        "best practices": score("best-practices"),
        "FCP ms": Math.round(lhr.audits["first-contentful-paint"].numericValue),
        "TTI ms": Math.round(lhr.audits.interactive.numericValue),
        "LCP ms": Math.round(lhr.audits["largest-contentful-paint"].numericValue),
        "TBT ms": Math.round(lhr.audits["total-blocking-time"].numericValue),
        CLS: lhr.audits["cumulative-layout-shift"].numericValue.toFixed(3),
        "SI ms": Math.round(lhr.audits["speed-index"].numericValue),
      });
      for (const ref of lhr.categories.performance.auditRefs) {
        const audit = lhr.audits[ref.id];
        const savings = Object.entries(audit.metricSavings ?? {})
          .filter(([, ms]) => ms > 100)
          .map(([metric, ms]) => `${metric} ${Math.round(ms)} ms`);
        if (audit.score !== null && audit.score < 1 && savings.length > 0) {
          opportunities.push(`${path} (${form.name}): ${ref.id}: ${audit.title} (${savings.join(", ")})`);
        }
      }
      const lcp = lhr.audits["largest-contentful-paint-element"]?.details?.items?.[0]?.items?.[0]?.node;
      if (lcp) opportunities.push(`${path} (${form.name}): the largest contentful paint is ${lcp.snippet}`);
      for (const id of ["accessibility", "best-practices"]) {
        for (const ref of lhr.categories[id].auditRefs) {
          const audit = lhr.audits[ref.id];
          if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
            shortfalls.push(`${path} (${form.name}) ${id}: ${ref.id}: ${audit.title}`);
          }
        }
      }
    } catch (error) {
      // Reported, not retried: a run Lighthouse could not record is a
      // figure missing from the table, and says why.
      failures.push(`${path} (${form.name}): ${error.message}`);
    } finally {
      await chrome.kill();
    }
  }
}

if (rows.length === 0) {
  for (const f of failures) console.log(`- ${f}`);
  throw new Error("Lighthouse recorded no page");
}
console.log(table(rows, Object.keys(rows[0])));
if (failures.length > 0) {
  console.log("\nNot recorded:");
  for (const f of failures) console.log(`- ${f}`);
}
if (opportunities.length > 0) {
  console.log("\nWhere performance goes (audits that would save over 100 ms of a metric):");
  for (const o of opportunities) console.log(`- ${o}`);
}
if (shortfalls.length > 0) {
  console.log("\nBelow 100:");
  for (const s of [...new Set(shortfalls)]) console.log(`- ${s}`);
}
