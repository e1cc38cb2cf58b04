//! The cache engine's benchmark workload (`benches/engine/workload.rs` of
//! the core, the very code the native bench runs) built for
//! `wasm32-unknown-unknown` and called from node by `bench/engine/wasm.mjs`.
//! Time is node's `performance.now()`.

use wasm_bindgen::prelude::*;

#[path = "../../../../benches/engine/workload.rs"]
mod workload;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Runs the workload `warmup` times unmeasured and `runs` times measured;
/// returns one JSON line per case (`side` = `wasm`), or throws naming the
/// case whose result was wrong.
#[wasm_bindgen]
pub fn run(warmup: usize, runs: usize) -> Result<String, JsError> {
    let figures = workload::run(warmup, runs, &performance_now).map_err(|e| JsError::new(&e))?;
    Ok(figures
        .iter()
        .map(|f| f.json_line("wasm"))
        .collect::<Vec<_>>()
        .join("\n"))
}
