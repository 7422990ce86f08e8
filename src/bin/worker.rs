//! The web worker: runs models off the main thread.
//!
//! Messages in: `{id, op: "run", slug, pairs: [[k, v], …], seed}` or `{id, op: "trials", …, trials}`
//! or `{id, op: "bench", n}`. Messages out: `{id, json}` with the exact JSON the CLI prints, or
//! `{id, error}`. The worker first posts `{ready: true}` — messages sent before that are lost,
//! because loading the wasm yields to the event loop before the handler exists.
use js_sys::{Object, Reflect};
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    Reflect::get(obj, &key.into()).ok()?.as_string()
}

fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(obj, &key.into()).ok()?.as_f64()
}

fn handle(data: &JsValue) -> Result<String, String> {
    let op = get_str(data, "op").unwrap_or_default();
    let slug = get_str(data, "slug").unwrap_or_default();
    let seed = get_f64(data, "seed").unwrap_or(1.0) as u64;
    let pairs_js = Reflect::get(data, &"pairs".into()).map_err(|_| "no pairs")?;
    let pairs: Vec<(String, String)> = serde_wasm_bindgen::from_value(pairs_js).unwrap_or_default();
    match op.as_str() {
        "run" => sim::run_json(&slug, &pairs, seed),
        "trials" => {
            let n = get_f64(data, "trials").unwrap_or(100.0) as u32;
            sim::trials_json(&slug, &pairs, seed, n)
        }
        "bench" => {
            let n = get_f64(data, "n").unwrap_or(1.0) as u32;
            let perf = js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>().performance();
            let t0 = perf.as_ref().map(|p| p.now()).unwrap_or(0.0);
            let check = sim::bench::core_benchmark(n);
            let t1 = perf.as_ref().map(|p| p.now()).unwrap_or(0.0);
            Ok(format!("{{\"ms\":{},\"check\":{}}}", t1 - t0, check))
        }
        other => Err(format!("unknown op {other}")),
    }
}

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |msg: MessageEvent| {
        let data = msg.data();
        let out = Object::new();
        let _ = Reflect::set(&out, &"id".into(), &Reflect::get(&data, &"id".into()).unwrap_or(JsValue::NULL));
        match handle(&data) {
            Ok(json) => Reflect::set(&out, &"json".into(), &json.into()),
            Err(e) => Reflect::set(&out, &"error".into(), &e.into()),
        }
        .ok();
        let _ = reply.post_message(&out);
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    let ready = Object::new();
    let _ = Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}
