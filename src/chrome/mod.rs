//! The machinery every widget shares, written once.
//!
//! - [`host::WidgetHost`] reads a widget's knobs and seed from the URL, validates them through
//!   the core, asks the [`runner`] for the report, and lays out the chrome around the view.
//! - [`controls`]: a labelled native input per knob, generated from the model's `Knob` list.
//! - [`chart`]: line/bar charts on plotters-canvas, sharp on high-DPI screens, themed.
//! - [`player`]: play / pause / step / speed / reset for step-able simulations.
//! - [`batch`]: N seeded trials of a stochastic model, off the main thread.
//! - [`metrics`]: headline numbers as text, and number formatting.
//! - [`bundle`]: which routes this build's bundle carries; a reload fetches another's.
//! - [`url`], [`theme`], [`export`], [`dom`]: browser plumbing.

pub mod batch;
pub mod bundle;
pub mod chart;
pub mod controls;
pub mod dom;
pub mod export;
pub mod host;
pub mod metrics;
pub mod player;
pub mod runner;
pub mod theme;
pub mod url;
