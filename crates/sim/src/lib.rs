//! # sim — the pure simulation core of Pillars Lab
//!
//! Every interactive widget of the site is a model here: deterministic, seeded, free of any
//! browser or I/O dependency, so it runs the same natively (tests, the `pillars-sim` CLI) and in
//! WebAssembly (the Yew app and its worker).
//!
//! - [`registry`]: the book's pages 21–32 and every widget, built or planned. One list drives
//!   the app's routes, the CLI and the tests.
//! - [`model`]: the [`model::Model`] contract (params → report), [`model::Simulation`] for
//!   step-able runs, and the type-erased [`model::ModelEntry`].
//! - [`params`]: knobs, validation that clamps and explains, key/value (URL, CLI) round trips.
//! - [`rng`]: the one seeded generator (xoshiro256\*\*).
//! - [`stats`]: quantiles and summaries.
//! - [`des`]: the scheduled event that the discrete-event models' agendas hold.
//! - [`models`]: one module per model.
//!
//! ```
//! let w = sim::registry::widget("autoscaling-calculator").unwrap();
//! let out = (w.model.unwrap().run)(w.slug, &[], 1);
//! assert!(out.notices.is_empty() && out.report.is_object());
//! ```

pub mod bench;
pub mod des;
pub mod model;
pub mod models;
pub mod params;
pub mod registry;
pub mod rng;
pub mod stats;

use registry::widget;

/// Run a built model by slug and return the JSON the CLI prints and the site exports: a
/// [`model::RunOutput`] with object keys in sorted order. One function for both, so the native and
/// wasm outputs can be compared byte for byte.
pub fn run_json(slug: &str, pairs: &[(String, String)], seed: u64) -> Result<String, String> {
    let m = built(slug)?;
    to_json(&(m.run)(slug, pairs, seed))
}

/// Run `trials` seeded trials of a built model and return the [`model::TrialsOutput`] as JSON.
pub fn trials_json(
    slug: &str,
    pairs: &[(String, String)],
    seed: u64,
    trials: u32,
) -> Result<String, String> {
    let m = built(slug)?;
    to_json(&(m.trials)(slug, pairs, seed, trials))
}

fn built(slug: &str) -> Result<&'static model::ModelEntry, String> {
    let w = widget(slug).ok_or_else(|| format!("no widget “{slug}”"))?;
    w.model
        .as_ref()
        .ok_or_else(|| format!("widget “{slug}” is planned but not built yet"))
}

fn to_json<T: serde::Serialize>(x: &T) -> Result<String, String> {
    // through Value: its maps are sorted, so key order never depends on struct layout
    let v = serde_json::to_value(x).map_err(|e| e.to_string())?;
    serde_json::to_string(&v).map_err(|e| e.to_string())
}
