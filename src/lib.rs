//! # pillars-lab — the Yew app
//!
//! The browser side of Pillars Lab. It renders what the pure core (`sim`) computes: routes and
//! navigation come from `sim::registry`, every widget's controls come from its `Params` knobs,
//! reports are computed in a web worker running this same wasm (`src/worker.rs`) and drawn here.
//!
//! - [`app`]: routes, the site shell, theme.
//! - [`pages`]: home, book page, widget page, embed page.
//! - [`chrome`]: what every widget shares: controls, seed, export, notices, player, chart.
//! - [`widgets`]: one view per built model, and the slug → view table.
//! - [`worker`]: the same wasm's entry point inside the simulation web worker.

pub mod app;
pub mod chrome;
pub mod pages;
pub mod widgets;
pub mod worker;

use wasm_bindgen::prelude::*;

/// Mount the whole site on `<body>`.
pub fn start_app() {
    chrome::runner::init();
    yew::Renderer::<app::App>::new().render();
}

/// Mount a single widget into `element` (the script embed uses this).
#[wasm_bindgen]
pub fn mount_widget(element: web_sys::Element, slug: String, query: String) {
    chrome::runner::init();
    let props = pages::embed::StandaloneProps { slug, query };
    yew::Renderer::<pages::embed::Standalone>::with_root_and_props(element, props).render();
}
