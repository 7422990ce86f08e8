//! The site's entry point. The same wasm also starts inside the simulation worker (no window)
//! and inside other sites' pages through the script embed (`embed.js`), which mounts single
//! widgets itself: the site is mounted only on our own page, marked by
//! `<meta name="pillars-lab" content="site">` in `index.html`.
fn main() {
    let ours = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector("meta[name='pillars-lab'][content='site']")
                .ok()
                .flatten()
        })
        .is_some();
    if ours {
        pillars_lab::start_app();
    }
}

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
