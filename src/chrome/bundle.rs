//! Which routes this build can show, and what to do about the others.
//!
//! The release site is split into one wasm bundle per book page, one per widget of a page with
//! several, and one for the summary (`scripts/build_bundles.py`; the core's
//! `registry::carries_page` and `carries_widget` say what a build holds).
//! The boot script picks the bundle for the address it is loaded at. When the reader then
//! follows a link to a page whose code is in another bundle, the address has already changed:
//! reloading it makes the boot script fetch the right bundle. `trunk serve` and the tests build
//! everything into one module, where every route is carried and nothing reloads.

use crate::app::Route;
use crate::chrome::dom;
use sim::registry;
use yew::prelude::*;

/// Whether this build holds the code `route` needs.
pub fn carries(route: &Route) -> bool {
    match route {
        Route::Home | Route::NotFound => true,
        // an unknown page or slug is shown (as "not found") by whichever bundle is loaded
        Route::Page { number } => number
            .parse::<u8>()
            .ok()
            .filter(|n| registry::page(*n).is_some())
            .is_none_or(registry::carries_page),
        Route::Widget { slug } | Route::Embed { slug } => {
            registry::widget(slug).is_none_or(|w| registry::carries_widget(w.slug))
        }
        Route::Summary => registry::CARRIES_ALL_MODELS,
    }
}

const KEY: &str = "pillars-lab:bundle-reload";

/// At start: if this bundle carries the address it was loaded at, any reload that brought us
/// here worked, so forget it (a later link back to the same address may reload again).
pub fn arrived() {
    use yew_router::Routable;
    let Some(win) = dom::window() else { return };
    let path = win.location().pathname().unwrap_or_default();
    if Route::recognize(&path).is_none_or(|r| carries(&r)) {
        if let Some(s) = win.session_storage().ok().flatten() {
            let _ = s.remove_item(KEY);
        }
    }
}

/// Reload the address to fetch its own bundle, once: if this same address was reloaded for
/// that reason a moment ago, the boot script and the build disagree, and a notice says so
/// instead of reloading forever.
#[component]
pub fn Reload() -> Html {
    let stuck = use_state(|| false);
    {
        let stuck = stuck.clone();
        use_effect_with((), move |_| {
            let (Some(win), now) = (dom::window(), js_sys::Date::now()) else {
                return;
            };
            let href = win.location().href().unwrap_or_default();
            let store = win.session_storage().ok().flatten();
            let last = store.as_ref().and_then(|s| s.get_item(KEY).ok().flatten());
            let recent = last
                .as_deref()
                .and_then(|l| l.split_once(' '))
                .is_some_and(|(t, h)| {
                    h == href && t.parse::<f64>().is_ok_and(|t| now - t < 5000.0)
                });
            if recent {
                stuck.set(true);
                return;
            }
            if let Some(s) = &store {
                let _ = s.set_item(KEY, &format!("{now} {href}"));
            }
            let _ = win.location().reload();
        });
    }
    if *stuck {
        html! {
            <section class="prose">
                <p class="notice" role="alert">{"This page's code did not load (the site's files may be out of step). Reload the page to try again."}</p>
            </section>
        }
    } else {
        html! { <p class="muted loading" aria-live="polite">{"Loading this page's simulations…"}</p> }
    }
}
