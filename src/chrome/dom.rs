//! Small, panic-free accessors for the browser globals.

use wasm_bindgen::JsCast;

/// The window, if there is one.
pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The document, if there is one.
pub fn document() -> Option<web_sys::Document> {
    window()?.document()
}

/// Milliseconds since the page started (high resolution).
pub fn now_ms() -> f64 {
    window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Whether a media query matches (e.g. `(prefers-reduced-motion: reduce)`).
pub fn media_matches(query: &str) -> bool {
    window().and_then(|w| w.match_media(query).ok().flatten()).is_some_and(|m| m.matches())
}

/// Whether the reader asked for reduced motion.
pub fn reduced_motion() -> bool {
    media_matches("(prefers-reduced-motion: reduce)")
}

/// A CSS custom property of the root element, e.g. `--fg`, trimmed.
pub fn css_var(name: &str) -> String {
    let Some(doc) = document() else { return String::new() };
    let Some(root) = doc.document_element() else { return String::new() };
    window()
        .and_then(|w| w.get_computed_style(&root).ok().flatten())
        .and_then(|s| s.get_property_value(name).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// The device pixel ratio (1.0 when unknown), capped at 3.
pub fn pixel_ratio() -> f64 {
    window().map(|w| w.device_pixel_ratio()).filter(|r| r.is_finite() && *r > 0.0).unwrap_or(1.0).min(3.0)
}

/// Set the document title.
pub fn set_title(title: &str) {
    if let Some(d) = document() {
        d.set_title(title);
    }
}

/// An element by id, cast.
pub fn by_id<T: JsCast>(id: &str) -> Option<T> {
    document()?.get_element_by_id(id)?.dyn_into::<T>().ok()
}
