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
    chrome::dom::install_style_shim();
    chrome::runner::init();
    chrome::bundle::arrived();
    yew::Renderer::<app::App>::new().render();
}

/// A mounted widget; `destroy()` unmounts it and frees what it held.
#[wasm_bindgen]
pub struct MountedWidget(Option<yew::AppHandle<pages::embed::Standalone>>);

#[wasm_bindgen]
impl MountedWidget {
    /// Unmount the widget (idempotent).
    pub fn destroy(&mut self) {
        if let Some(app) = self.0.take() {
            app.destroy();
        }
    }
}

/// Mount a single widget into `element` with knobs from `query` (`nodes=5&seed=7&theme=dark`).
/// The script embed (`www/embed.js`) uses this; so do the browser tests.
#[wasm_bindgen]
pub fn mount_widget(element: web_sys::Element, slug: String, query: String) -> MountedWidget {
    chrome::runner::init();
    let props = pages::embed::StandaloneProps { slug, query };
    MountedWidget(Some(
        yew::Renderer::<pages::embed::Standalone>::with_root_and_props(element, props).render(),
    ))
}
