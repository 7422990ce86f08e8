//! Runs models off the main thread.
//!
//! [`request`] sends `(slug, pairs, seed)` to the web worker (`src/worker.rs`) and calls back
//! with the exact JSON the CLI prints. Until the worker says it is ready, requests wait in a queue;
//! if the worker cannot start (or the page has no worker support) the model runs inline instead,
//! so a widget always gets its report.

use js_sys::{Object, Reflect};
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{MessageEvent, Worker};

/// What a request asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// One run.
    Run,
    /// The model's quick first look, or the full run if it has none (see `sim::quick_json`).
    Quick,
    /// A batch of seeded trials.
    Trials(u32),
    /// The core benchmark, `n` rounds (replies `{ms, check}`).
    Bench(u32),
}

type Reply = Box<dyn FnOnce(Result<String, String>)>;

struct Pending {
    msg: Object,
    fallback: Box<dyn FnOnce() -> Result<String, String>>,
    reply: Reply,
}

#[derive(Default)]
struct State {
    worker: Option<Worker>,
    ready: bool,
    failed: bool,
    next_id: u32,
    queued: Vec<(u32, Pending)>,
    waiting: BTreeMap<u32, Pending>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// The wasm-bindgen glue of this app, as the page loaded it (Trunk's `modulepreload` link).
/// `None` where the page did not load us that way (a script embed in someone else's page): the
/// worker cannot be started there, and models run inline.
fn glue_url() -> Option<String> {
    let doc = super::dom::document()?;
    let link = doc
        .query_selector("link[rel=modulepreload][href*='pillars-lab']")
        .ok()??;
    let href = link.get_attribute("href")?;
    web_sys::Url::new_with_base(&href, &doc.base_uri().ok()??)
        .ok()
        .map(|u| u.href())
}

/// Start the worker (once). Safe to call many times.
pub fn init() {
    STATE.with(|s| {
        let mut st = s.borrow_mut();
        if st.worker.is_some() || st.failed {
            return;
        }
        let Some(glue) = glue_url() else {
            // someone else's page (script embed): run inline, and leave their document alone
            st.failed = true;
            return;
        };
        let script = web_sys::Url::new_with_base("sim-worker.js", &glue)
            .map(|u| u.href())
            .unwrap_or_default();
        let opts = web_sys::WorkerOptions::new();
        opts.set_type(web_sys::WorkerType::Module);
        match Worker::new_with_options(&script, &opts) {
            Ok(w) => {
                let onmessage = Closure::<dyn Fn(MessageEvent)>::new(on_message);
                w.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
                onmessage.forget();
                let onerror =
                    Closure::<dyn Fn(web_sys::Event)>::new(|_e: web_sys::Event| fail_over());
                w.set_onerror(Some(onerror.as_ref().unchecked_ref()));
                onerror.forget();
                // hand over the module this page already compiled, and the glue to drive it
                let msg = Object::new();
                let _ = Reflect::set(&msg, &"init".into(), &wasm_bindgen::module());
                let _ = Reflect::set(&msg, &"glue".into(), &glue.into());
                if w.post_message(&msg).is_err() {
                    st.failed = true;
                    return;
                }
                st.worker = Some(w);
            }
            Err(_) => st.failed = true,
        }
    });
}

/// Record how models run, on `<html data-runner="worker|inline">` (for tests and the curious).
fn mark(mode: &str) {
    if let Some(root) = super::dom::document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-runner", mode);
    }
}

fn on_message(msg: MessageEvent) {
    let data = msg.data();
    if Reflect::get(&data, &"failed".into())
        .ok()
        .is_some_and(|v| !v.is_undefined())
    {
        fail_over();
        return;
    }
    if Reflect::get(&data, &"ready".into())
        .ok()
        .and_then(|v| v.as_bool())
        == Some(true)
    {
        mark("worker");
        let queued = STATE.with(|s| {
            let mut st = s.borrow_mut();
            st.ready = true;
            std::mem::take(&mut st.queued)
        });
        for (id, p) in queued {
            post(id, p);
        }
        return;
    }
    let id = Reflect::get(&data, &"id".into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(-1.0) as u32;
    let Some(p) = STATE.with(|s| s.borrow_mut().waiting.remove(&id)) else {
        return;
    };
    let json = Reflect::get(&data, &"json".into())
        .ok()
        .and_then(|v| v.as_string());
    let err = Reflect::get(&data, &"error".into())
        .ok()
        .and_then(|v| v.as_string());
    (p.reply)(json.ok_or_else(|| err.unwrap_or_else(|| "the worker sent no result".into())));
}

/// The worker failed: run everything queued or in flight inline, and from now on run inline.
fn fail_over() {
    mark("inline");
    let todo: Vec<Pending> = STATE.with(|s| {
        let mut st = s.borrow_mut();
        st.failed = true;
        st.worker = None;
        let mut v: Vec<Pending> = st.queued.drain(..).map(|(_, p)| p).collect();
        v.extend(std::mem::take(&mut st.waiting).into_values());
        v
    });
    for p in todo {
        (p.reply)((p.fallback)());
    }
}

fn post(id: u32, p: Pending) {
    let sent = STATE.with(|s| {
        let st = s.borrow();
        st.worker
            .as_ref()
            .map(|w| w.post_message(&p.msg).is_ok())
            .unwrap_or(false)
    });
    if sent {
        STATE.with(|s| s.borrow_mut().waiting.insert(id, p));
    } else {
        (p.reply)((p.fallback)());
    }
}

/// Run `job` for a model and call `reply` with its JSON (or an error message).
pub fn request(
    slug: &str,
    pairs: &[(String, String)],
    seed: u64,
    job: Job,
    reply: impl FnOnce(Result<String, String>) + 'static,
) {
    init();
    let msg = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&msg, &k.into(), &v);
    };
    let (op, n) = match job {
        Job::Run => ("run", 0),
        Job::Quick => ("quick", 0),
        Job::Trials(n) => ("trials", n),
        Job::Bench(n) => ("bench", n),
    };
    set("op", op.into());
    set("slug", slug.into());
    set("seed", JsValue::from_f64(seed as f64));
    set("trials", n.into());
    set("n", n.into());
    set(
        "pairs",
        serde_wasm_bindgen::to_value(pairs).unwrap_or(JsValue::NULL),
    );
    let (slug_s, pairs_v) = (slug.to_string(), pairs.to_vec());
    let fallback: Box<dyn FnOnce() -> Result<String, String>> = Box::new(move || match job {
        Job::Run => sim::run_json(&slug_s, &pairs_v, seed),
        Job::Quick => sim::quick_json(&slug_s, &pairs_v, seed),
        Job::Trials(n) => sim::trials_json(&slug_s, &pairs_v, seed, n),
        Job::Bench(n) => Ok(format!(
            "{{\"ms\":null,\"check\":{}}}",
            sim::bench::core_benchmark(n)
        )),
    });
    let (id, state) = STATE.with(|s| {
        let mut st = s.borrow_mut();
        st.next_id = st.next_id.wrapping_add(1);
        let state = if st.failed || st.worker.is_none() {
            0
        } else if st.ready {
            1
        } else {
            2
        };
        (st.next_id, state)
    });
    let _ = Reflect::set(&msg, &"id".into(), &id.into());
    let p = Pending {
        msg,
        fallback,
        reply: Box::new(reply),
    };
    match state {
        0 => (p.reply)((p.fallback)()),
        1 => post(id, p),
        _ => STATE.with(|s| s.borrow_mut().queued.push((id, p))),
    }
}
