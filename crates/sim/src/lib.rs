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
//! - [`sort`]: the one shared sort routine for sorts off the hot paths (smaller bundles).
//! - [`des`]: the scheduled event that the discrete-event models' agendas hold.
//! - [`models`]: one module per model.
//! - [`summary`]: the summary page's takeaways, each read from runs of the widgets that show it.
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
pub mod sort;
pub mod stats;
pub mod summary;

use registry::widget;

/// Run a built model by slug and return the JSON the CLI prints and the site exports: a
/// [`model::RunOutput`] with object keys in sorted order. One function for both, so the native and
/// wasm outputs can be compared byte for byte.
pub fn run_json(slug: &str, pairs: &[(String, String)], seed: u64) -> Result<String, String> {
    let m = built(slug)?;
    to_json(&(m.run)(slug, pairs, seed))
}

/// The quick first look of a built model ([`model::Model::run_quick`]) as JSON, marked
/// `"partial": true`; the full run's JSON ([`run_json`]) when the model has no quicker look.
pub fn quick_json(slug: &str, pairs: &[(String, String)], seed: u64) -> Result<String, String> {
    let m = built(slug)?;
    match (m.quick)(slug, pairs, seed) {
        Some(out) => to_json(&out),
        None => to_json(&(m.run)(slug, pairs, seed)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built model: its quick look is either the full run, or marked partial and, but for
    /// the parts it leaves empty, the same params, notices and seed.
    #[test]
    fn a_quick_look_is_the_full_run_or_says_it_is_partial() {
        let pairs = vec![("nonsense".to_string(), "1".to_string())];
        for w in registry::built() {
            let full: serde_json::Value =
                serde_json::from_str(&run_json(w.slug, &pairs, 3).unwrap()).unwrap();
            let quick: serde_json::Value =
                serde_json::from_str(&quick_json(w.slug, &pairs, 3).unwrap()).unwrap();
            assert!(
                full.get("partial").is_none(),
                "{}: a full run says nothing",
                w.slug
            );
            if quick.get("partial").is_some() {
                assert_eq!(quick["partial"], true);
                for k in ["params", "notices", "seed", "slug"] {
                    assert_eq!(quick[k], full[k], "{}: {k}", w.slug);
                }
            } else {
                assert_eq!(quick, full, "{}", w.slug);
            }
        }
    }

    #[test]
    fn backpressure_has_a_quick_look_until_its_sweep_is_remembered() {
        std::thread::spawn(|| {
            let pairs = vec![("db_capacity".to_string(), "120".to_string())];
            let q = quick_json("backpressure-chain", &pairs, 9).unwrap();
            assert!(q.contains("\"partial\":true"));
            let full = run_json("backpressure-chain", &pairs, 9).unwrap();
            assert_eq!(quick_json("backpressure-chain", &pairs, 9).unwrap(), full);
        })
        .join()
        .unwrap();
    }
}
