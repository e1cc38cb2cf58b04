// Sums twiggy's items (`twiggy top --format json`) per crate and prints
// the crates and the largest functions, as markdown tables.
//
//   node wasm_by_crate.mjs TOP_JSON WASM_FILE
import { readFileSync, statSync } from "node:fs";

import { table } from "./table.mjs";

const [topJson, wasmFile] = process.argv.slice(2);
const all = JSON.parse(readFileSync(topJson, "utf8"));
const fileSize = statSync(wasmFile).size;
// Names and custom sections are what wasm-bindgen and wasm-opt strip; the
// rest (code, data, tables) is what a browser downloads, before compression.
const stripped = (name) => /subsection"?$|^custom section/.test(name);
const items = all.filter((item) => !stripped(item.name));
const total = items.reduce((sum, item) => sum + item.shallow_size, 0);

/** The crate an item's code belongs to, read off its demangled name. */
function crateOf(name) {
  // `<T as Trait>::f` and `<T>::f` are the code of T's crate.
  let path = name.startsWith("<") ? name.slice(1) : name;
  path = path.replace(/^(&|mut |dyn |\*const |\*mut )+/, "");
  // v0-mangled names carry a crate hash: `core[c5930c85a12de822]::`.
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/.exec(path);
  if (match) return match[1];
  if (/^data(\[| segment)/.test(name)) return "(data segments)";
  if (/^(code|func)\[/.test(name)) return "(unnamed functions)";
  return "(other: tables, types, imports, names not parsed)";
}

const byCrate = new Map();
for (const item of items) {
  const crate = crateOf(item.name);
  const entry = byCrate.get(crate) ?? { crate, bytes: 0, items: 0 };
  entry.bytes += item.shallow_size;
  entry.items += 1;
  byCrate.set(crate, entry);
}
const crates = [...byCrate.values()].sort((a, b) => b.bytes - a.bytes);
const pct = (n) => ((100 * n) / total).toFixed(1) + " %";
const fmt = (n) => n.toLocaleString("en-US");

console.log(`\n## ${wasmFile}\n`);
console.log(`${fmt(fileSize)} bytes, of which ${fmt(total)} are code, data and tables`);
console.log(`(the rest, names and custom sections, is stripped before it ships).\n`);
console.log("By crate, shares of the code, data and tables:\n");
const shown = crates.slice(0, 40).map((c) => ({ ...c, share: pct(c.bytes) }));
const rest = crates.slice(40).reduce((s, c) => s + c.bytes, 0);
if (rest > 0) shown.push({ crate: `${crates.length - 40} more`, bytes: rest, share: pct(rest) });
console.log(table(shown, ["crate", "bytes", "share", "items"]));

console.log("\n## the 30 largest items\n");
const largest = [...items].sort((a, b) => b.shallow_size - a.shallow_size).slice(0, 30);
console.log(table(
  largest.map((item) => {
    const name = item.name.length > 140 ? item.name.slice(0, 137) + "..." : item.name;
    return { item: `\`${name}\``, bytes: item.shallow_size };
  }),
  ["item", "bytes"],
));
