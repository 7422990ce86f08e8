//! The worker side of the runner: the app's own wasm, instantiated a second time inside a
//! module web worker (`www/sim-worker.js`) from the `WebAssembly.Module` the page already
//! compiled — no second download, no second copy of the core.
//!
//! Messages in: `{id, op: "run" | "quick" | "trials" | "bench", slug, pairs: [[k, v], …], seed, trials, n}`.
//! Replies: `{id, json}` with the exact JSON the CLI prints, or `{id, error}`.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    Reflect::get(obj, &key.into()).ok()?.as_string()
}

fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(obj, &key.into()).ok()?.as_f64()
}

fn now_ms() -> Option<f64> {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            let now = Reflect::get(&p, &"now".into()).ok()?;
            js_sys::Function::from(now).call0(&p).ok()?.as_f64()
        })
}

fn handle(data: &JsValue) -> Result<String, String> {
    let op = get_str(data, "op").unwrap_or_default();
    let slug = get_str(data, "slug").unwrap_or_default();
    let seed = get_f64(data, "seed").unwrap_or(1.0) as u64;
    let pairs_js = Reflect::get(data, &"pairs".into()).unwrap_or(JsValue::NULL);
    let pairs: Vec<(String, String)> = serde_wasm_bindgen::from_value(pairs_js).unwrap_or_default();
    match op.as_str() {
        "run" => sim::run_json(&slug, &pairs, seed),
        "quick" => sim::quick_json(&slug, &pairs, seed),
        "trials" => sim::trials_json(
            &slug,
            &pairs,
            seed,
            get_f64(data, "trials").unwrap_or(100.0) as u32,
        ),
        "bench" => {
            let n = get_f64(data, "n").unwrap_or(1.0) as u32;
            let t0 = now_ms();
            let check = sim::bench::core_benchmark(n);
            let ms = match (t0, now_ms()) {
                (Some(a), Some(b)) => format!("{}", b - a),
                _ => "null".into(),
            };
            Ok(format!("{{\"ms\":{ms},\"check\":{check}}}"))
        }
        other => Err(format!("unknown op “{other}”")),
    }
}

/// Handle one request message (called by `www/sim-worker.js`).
#[wasm_bindgen]
pub fn worker_handle(data: JsValue) -> JsValue {
    let out = Object::new();
    let _ = Reflect::set(
        &out,
        &"id".into(),
        &Reflect::get(&data, &"id".into()).unwrap_or(JsValue::NULL),
    );
    let _ = match handle(&data) {
        Ok(json) => Reflect::set(&out, &"json".into(), &json.into()),
        Err(e) => Reflect::set(&out, &"error".into(), &e.into()),
    };
    out.into()
}
