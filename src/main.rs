//! The site's entry point: mount the Yew app on the page. The same wasm also runs inside the
//! simulation worker (see `src/worker.rs`), where there is no window and nothing is mounted.
fn main() {
    if web_sys::window().is_some() {
        pillars_lab::start_app();
    }
}
