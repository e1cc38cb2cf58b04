// Reads the JSON lines of the three sides (native, wasm, tanstack) and
// prints one table: median and min per case and side, and the ratios of our
// times to TanStack's, of the medians and of the minimums (below 1: ours is
// faster; on a busy machine the minimums are the steadier of the two).
//
// Run: node report.mjs <file.jsonl>...

import { readFileSync } from "node:fs";

const CASES = [
  ["set", "(a) set 10,000 queries", "set"],
  ["invalidate", "(b) invalidate prefix, 5,000 of 10,000 stale", "invalidate"],
  ["subscribe", "(c) subscribe 1,000 observers to one query", "subscribe"],
  ["notify", "(c) one update notifies 1,000 observers", "notify"],
  ["upsert", "(d) upsert 10,000 users: EntityAdapter vs RTK adapter", "upsert"],
  ["upsert_store", "(d) same via EntityStore::confirm vs RTK adapter", "upsert"],
  ["set_100k", "(e) set 100,000 queries", "set_100k"],
  ["invalidate_1k", "(f) invalidate prefix, 1,000 of 100,000 stale", "invalidate_1k"],
  ["entity_update", "(g) rename one user held by 1,000 lists", "entity_update"],
  ["entity_read", "(g) then read the 1,000 lists", "entity_read"],
  ["place_created", "(h) place 1,000 created users in 100 sorted lists", "place_created"],
];

const figures = new Map();
const runs = new Set();
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const f = JSON.parse(line);
    figures.set(`${f.side}/${f.case}`, f);
    runs.add(f.runs);
  }
}

const ms = (f) => (f ? `${f.median_ms.toFixed(3)} (${f.min_ms.toFixed(3)})` : "-");
const ratio = (a, b) =>
  a && b
    ? `${(a.median_ms / b.median_ms).toFixed(2)} (${(a.min_ms / b.min_ms).toFixed(2)})`
    : "-";

const header = ["case", "ours native", "ours wasm", "TanStack / RTK", "native/TS", "wasm/TS"];
const rows = CASES.map(([id, label, theirs]) => {
  const native = figures.get(`native/${id}`);
  const wasm = figures.get(`wasm/${id}`);
  const ts = figures.get(`tanstack/${theirs}`);
  return [label, ms(native), ms(wasm), ms(ts), ratio(native, ts), ratio(wasm, ts)];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;

console.log(
  `Times in ms: median (min) of ${[...runs].join("/")} runs after warm-up; ratios ours / theirs: of medians (of mins).`,
);
console.log(fmt(header));
console.log(`|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`);
rows.forEach((r) => console.log(fmt(r)));
