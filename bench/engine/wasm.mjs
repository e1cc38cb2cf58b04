// Runs the engine's workload compiled to WebAssembly (bench/engine/wasm,
// bound by `wasm-bindgen --target nodejs`) and prints its JSON lines
// (side "wasm"). A wrong count exits non-zero instead of printing a figure.
//
// Run: node wasm.mjs <path to engine_bench_wasm.js> (run.sh builds it;
// BENCH_WARMUP and BENCH_RUNS override 3 and 15).

import { createRequire } from "node:module";
import { resolve } from "node:path";

const envOr = (name, fallback) => {
  const n = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(n) ? n : fallback;
};

const glue = process.argv[2];
if (!glue) {
  console.error("usage: node wasm.mjs <path to engine_bench_wasm.js>");
  process.exit(2);
}
const { run } = createRequire(import.meta.url)(resolve(glue));
try {
  console.log(run(envOr("BENCH_WARMUP", 3), envOr("BENCH_RUNS", 15)));
} catch (wrong) {
  console.error(`wasm bench: wrong result: ${wrong.message}`);
  process.exit(1);
}
