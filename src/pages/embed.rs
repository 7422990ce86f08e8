//! Widgets without the site around them.
//!
//! - [`EmbedPage`], at `/embed/<slug>?<knobs>&theme=light|dark|auto`, is what an iframe shows. It
//!   reports its height to the embedding page (posted to that page's origin only), takes theme
//!   changes from it (only from the parent window, only from that origin, only of the expected
//!   shape), and pauses its animation while scrolled off screen.
//! - [`Standalone`] is what the script embed mounts into an element of someone else's page; with
//!   `theme=book` it follows MkDocs Material's palette (`body[data-md-color-scheme]`).

use crate::chrome::dom;
use crate::chrome::host::{Mode, WidgetHost};
use crate::chrome::theme::{self, Theme, ThemeChoice};
use crate::chrome::url;
use gloo::events::EventListener;
use js_sys::Reflect;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use yew::prelude::*;

/// The message an embed sends its parent with its height.
pub const SIZE_MESSAGE: &str = "pillars-lab:size";
/// The message a parent sends an embed to change its theme.
pub const THEME_MESSAGE: &str = "pillars-lab:theme";
/// The message `embed.js` sends its frames when it starts: a frame that loaded before the script
/// (its size message found no listener) answers with its size again.
pub const HELLO_MESSAGE: &str = "pillars-lab:hello";

/// The document's root element: what the embed measures and watches. (Not a ref inside the
/// context provider: that child may render after this component's effect runs, and an
/// observer never attached would leave the embedding page without our size.)
fn document_element() -> Option<web_sys::Element> {
    dom::document()?.document_element()
}

/// Post our height to the embedding page (only to its origin).
fn post_size(w: &web_sys::Window, origin: &str, slug: &str) {
    let height = document_element().map(|e| e.scroll_height()).unwrap_or(0);
    let msg = js_sys::Object::new();
    let _ = Reflect::set(&msg, &"type".into(), &SIZE_MESSAGE.into());
    let _ = Reflect::set(&msg, &"slug".into(), &JsValue::from_str(slug));
    let _ = Reflect::set(&msg, &"height".into(), &JsValue::from(height));
    if let Ok(Some(parent)) = w.parent() {
        let _ = parent.post_message(&msg, origin);
    }
}

/// The origin of the page embedding this one, if we are in a frame and can tell.
fn parent_origin() -> Option<String> {
    let w = dom::window()?;
    let parent = w.parent().ok()??;
    if js_sys::Object::is(&parent, &w) {
        return None; // top level: nobody to talk to
    }
    let location = w.location();
    let ancestors = Reflect::get(&location, &"ancestorOrigins".into()).ok();
    let first = ancestors
        .filter(|a| !a.is_undefined())
        .and_then(|a| Reflect::get(&a, &"0".into()).ok())
        .and_then(|o| o.as_string());
    first.or_else(|| {
        let r = dom::document()?.referrer();
        web_sys::Url::new(&r).ok().map(|u| u.origin())
    })
}

fn query_theme(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "theme")
        .map(|(_, v)| v.clone())
}

/// Props of [`EmbedPage`].
#[derive(Properties, PartialEq)]
pub struct EmbedPageProps {
    /// The widget's slug.
    pub slug: String,
}

/// The iframe page.
#[component]
pub fn EmbedPage(props: &EmbedPageProps) -> Html {
    let initial = query_theme(&url::current_pairs())
        .map(|t| ThemeChoice::parse(&t))
        .unwrap_or(ThemeChoice::Auto);
    let choice = use_state(|| initial);
    let resolved: Theme = theme::use_resolved_theme(*choice);
    {
        let (choice, slug) = (choice.clone(), props.slug.clone());
        use_effect_with((), move |_| {
            let origin = parent_origin();
            let w = dom::window();
            // theme changes from the embedding page
            let listener = match (&w, &origin) {
                (Some(w), Some(origin)) => {
                    let (origin, w2, slug) = (origin.clone(), w.clone(), slug.clone());
                    Some(EventListener::new(w, "message", move |e| {
                        let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                            return;
                        };
                        let from_parent = match (e.source(), w2.parent().ok().flatten()) {
                            (Some(src), Some(parent)) => js_sys::Object::is(&src, &parent),
                            _ => false,
                        };
                        if e.origin() != origin || !from_parent {
                            return;
                        }
                        let data = e.data();
                        let kind = Reflect::get(&data, &"type".into())
                            .ok()
                            .and_then(|v| v.as_string());
                        let t = Reflect::get(&data, &"theme".into())
                            .ok()
                            .and_then(|v| v.as_string());
                        if kind.as_deref() == Some(HELLO_MESSAGE) {
                            post_size(&w2, &origin, &slug);
                        }
                        if let (Some(THEME_MESSAGE), Some(t)) = (kind.as_deref(), t.as_deref()) {
                            if matches!(t, "light" | "dark" | "auto") {
                                choice.set(ThemeChoice::parse(t));
                            }
                        }
                    }))
                }
                _ => None,
            };
            // our height, to the embedding page only
            let mut observers: Vec<Box<dyn FnOnce()>> = Vec::new();
            if let (Some(w), Some(origin), Some(el)) = (w.clone(), origin, document_element()) {
                let post =
                    Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
                        post_size(&w, &origin, &slug)
                    });
                if let Ok(ro) = web_sys::ResizeObserver::new(post.as_ref().unchecked_ref()) {
                    ro.observe(&el);
                    observers.push(Box::new(move || {
                        ro.disconnect();
                        drop(post);
                    }));
                }
            }
            // pause animations while scrolled off screen
            if let Some(el) = document_element() {
                let seen =
                    Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
                        if let Some(e) = entries
                            .get(entries.length().saturating_sub(1))
                            .dyn_ref::<web_sys::IntersectionObserverEntry>()
                        {
                            dom::set_offscreen(!e.is_intersecting());
                        }
                    });
                if let Ok(io) = web_sys::IntersectionObserver::new(seen.as_ref().unchecked_ref()) {
                    io.observe(&el);
                    observers.push(Box::new(move || {
                        io.disconnect();
                        drop(seen);
                    }));
                }
            }
            move || {
                drop(listener);
                for stop in observers {
                    stop();
                }
                dom::set_offscreen(false);
            }
        });
    }
    html! {
        <ContextProvider<Theme> context={resolved}>
            <main class="embed-main"><WidgetHost slug={props.slug.clone()} mode={Mode::Embed} /></main>
        </ContextProvider<Theme>>
    }
}

/// Whether MkDocs Material's palette on `<body>` is dark (`slate`); `None` if there is none.
fn book_palette_dark() -> Option<bool> {
    let s = dom::document()?
        .body()?
        .get_attribute("data-md-color-scheme")?;
    Some(s == "slate")
}

/// Follow the book's palette switch: re-read `body[data-md-color-scheme]` whenever it changes.
#[hook]
fn use_book_palette(enabled: bool) -> Option<bool> {
    let dark = use_state(book_palette_dark);
    {
        let dark = dark.clone();
        use_effect_with(enabled, move |enabled| {
            let mut stop: Option<Box<dyn FnOnce()>> = None;
            if let (true, Some(body)) = (*enabled, dom::document().and_then(|d| d.body())) {
                let cb = Closure::<dyn FnMut(js_sys::Array)>::new(move |_: js_sys::Array| {
                    dark.set(book_palette_dark())
                });
                if let Ok(mo) = web_sys::MutationObserver::new(cb.as_ref().unchecked_ref()) {
                    let opts = web_sys::MutationObserverInit::new();
                    opts.set_attributes(true);
                    opts.set_attribute_filter(&js_sys::Array::of1(&"data-md-color-scheme".into()));
                    let _ = mo.observe_with_options(&body, &opts);
                    stop = Some(Box::new(move || {
                        mo.disconnect();
                        drop(cb);
                    }));
                }
            }
            move || {
                if let Some(s) = stop {
                    s();
                }
            }
        });
    }
    *dark
}

/// Props of [`Standalone`].
#[derive(Properties, PartialEq)]
pub struct StandaloneProps {
    /// The widget's slug.
    pub slug: String,
    /// Its knobs as a query string (plus `theme=light|dark|auto|book`).
    pub query: String,
}

/// A widget mounted into an element of another page (script embed).
#[component]
pub fn Standalone(props: &StandaloneProps) -> Html {
    let wanted = query_theme(&url::parse_query(&props.query)).unwrap_or_else(|| "auto".into());
    let book = use_book_palette(wanted == "book");
    let dark = match (wanted.as_str(), book) {
        ("book", Some(d)) => d,
        (other, _) => ThemeChoice::parse(other).is_dark(),
    };
    let resolved = Theme { dark };
    html! {
        <ContextProvider<Theme> context={resolved}>
            <div class="pl-root" data-theme={if dark { "dark" } else { "light" }}>
                <WidgetHost slug={props.slug.clone()} mode={Mode::Embed} initial_query={Some(AttrValue::from(props.query.clone()))} />
            </div>
        </ContextProvider<Theme>>
    }
}

/// Props of [`EmbedSnippets`].
#[derive(Properties, PartialEq)]
pub struct SnippetProps {
    /// The widget's slug.
    pub slug: &'static str,
    /// The widget's title.
    pub title: &'static str,
    /// The knobs and seed that differ from the defaults.
    pub pairs: Vec<(String, String)>,
}

/// "Embed this": the exact iframe and script snippets for the current knobs, copyable.
#[component]
pub fn EmbedSnippets(props: &SnippetProps) -> Html {
    let SnippetProps { slug, title, pairs } = props;
    let site = url::origin();
    let q = url::encode_query(pairs);
    let src = if q.is_empty() {
        format!("{site}/embed/{slug}")
    } else {
        format!("{site}/embed/{slug}?{q}")
    };
    let iframe = format!(
        "<iframe data-pillars-lab src=\"{src}\" title=\"{title} — Pillars Lab\" loading=\"lazy\" width=\"100%\" height=\"760\" style=\"border:0;width:100%\"></iframe>\n<script src=\"{site}/embed.js\" defer></script>"
    );
    let attrs: String = pairs
        .iter()
        .map(|(k, v)| format!(" data-{k}=\"{}\"", v.replace('"', "&quot;")))
        .collect();
    let script = format!("<script src=\"{site}/embed.js\" defer></script>\n<div data-widget=\"{slug}\"{attrs}></div>");
    let copy =
        |text: String| Callback::from(move |_: MouseEvent| crate::chrome::export::copy_text(&text));
    html! {
        <details class="embed">
            <summary>{"Embed this"}</summary>
            <p class="muted">{"Paste either snippet into a page of the book (MkDocs Material keeps raw HTML). Both carry the settings shown above."}</p>
            <div class="snippet-head"><label for={format!("{slug}-embed-iframe")}>{"As an iframe"}</label>
                <button type="button" class="link" onclick={copy(iframe.clone())}>{"Copy"}</button></div>
            <textarea id={format!("{slug}-embed-iframe")} readonly=true rows="3" value={iframe} />
            <div class="snippet-head"><label for={format!("{slug}-embed-script")}>{"With a script, in place"}</label>
                <button type="button" class="link" onclick={copy(script.clone())}>{"Copy"}</button></div>
            <textarea id={format!("{slug}-embed-script")} readonly=true rows="3" value={script} />
        </details>
    }
}
