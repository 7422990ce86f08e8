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
//! - [`models`]: one module per model.
//!
//! ```
//! let w = sim::registry::widget("autoscaling-calculator").unwrap();
//! let out = (w.model.unwrap().run)(w.slug, &[], 1);
//! assert!(out.notices.is_empty() && out.report.is_object());
//! ```

pub mod model;
pub mod models;
pub mod params;
pub mod registry;
pub mod rng;
pub mod stats;
