//! Small, panic-free accessors for the browser globals.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

// plotters measures text with a <span> whose `style` *attribute* it sets; under our CSP
// (style-src 'self', no 'unsafe-inline') the browser refuses that. The same declarations applied
// through the CSSOM (`style.cssText`) are allowed. Installed by the site only (start_app): the
// script embed never patches other people's pages.
#[wasm_bindgen(inline_js = "export function install_style_shim() {
  const proto = Element.prototype;
  if (proto.__plStyleShim) return;
  const original = proto.setAttribute;
  proto.setAttribute = function (name, value) {
    if (typeof name === 'string' && name.toLowerCase() === 'style' && this.style) { this.style.cssText = String(value); return; }
    return original.call(this, name, value);
  };
  proto.__plStyleShim = true;
}")]
extern "C" {
    /// Route `setAttribute('style', …)` through the CSSOM (see above).
    pub fn install_style_shim();
}

thread_local! {
    static OFFSCREEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Mark the embedded widget as scrolled off screen (or back on): animations pause while off.
pub fn set_offscreen(off: bool) {
    OFFSCREEN.with(|o| o.set(off));
}

/// Whether animations should pause: scrolled off screen in an embed, or the tab is hidden.
pub fn paused_by_page() -> bool {
    OFFSCREEN.with(|o| o.get()) || document().is_some_and(|d| d.hidden())
}

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
    window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Whether a media query matches (e.g. `(prefers-reduced-motion: reduce)`).
pub fn media_matches(query: &str) -> bool {
    window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Whether the reader asked for reduced motion.
pub fn reduced_motion() -> bool {
    media_matches("(prefers-reduced-motion: reduce)")
}

/// A CSS custom property as seen by `el` (so it works inside a shadow root), e.g. `--fg`.
pub fn css_var_at(el: &web_sys::Element, name: &str) -> String {
    window()
        .and_then(|w| w.get_computed_style(el).ok().flatten())
        .and_then(|s| s.get_property_value(name).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// A CSS custom property of the root element, e.g. `--fg`, trimmed.
pub fn css_var(name: &str) -> String {
    let Some(doc) = document() else {
        return String::new();
    };
    let Some(root) = doc.document_element() else {
        return String::new();
    };
    window()
        .and_then(|w| w.get_computed_style(&root).ok().flatten())
        .and_then(|s| s.get_property_value(name).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// The device pixel ratio (1.0 when unknown), capped at 3.
pub fn pixel_ratio() -> f64 {
    window()
        .map(|w| w.device_pixel_ratio())
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(1.0)
        .min(3.0)
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

/// The key handler of a drawing element that acts as a button (`role="button"`, focusable):
/// Enter or Space emits `value` on `cb`, as a click does.
pub fn on_press<A: Clone + 'static>(
    cb: &yew::Callback<A>,
    value: A,
) -> yew::Callback<web_sys::KeyboardEvent> {
    let cb = cb.clone();
    yew::Callback::from(move |e: web_sys::KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            cb.emit(value.clone());
        }
    })
}

/// How small (CSS px) a drawing's text may render before the drawing stops shrinking.
pub const READABLE_PX: f64 = 9.0;

/// The classes of the box around a wide drawing (`view_w` viewBox units across, its smallest
/// text `smallest_font` units): `drawing-scroll` and the min-width at which that text renders at
/// [`READABLE_PX`], so on a narrow screen the drawing scrolls sideways instead of shrinking
/// further. The CSP forbids `style` attributes, so the min-width is one of `style.css`'s classes
/// `mw1`–`mw12`: 360–800 px in 40 px steps, rounded up (none below 320 px, 800 px at most).
pub fn scroll_box(view_w: f64, smallest_font: f64) -> String {
    let min = view_w * READABLE_PX / smallest_font.max(1.0);
    let step = ((min - 320.0) / 40.0).ceil();
    if step.is_nan() || step < 1.0 {
        "drawing-scroll".into()
    } else {
        format!("drawing-scroll mw{}", step.min(12.0) as u32)
    }
}

/// Properties of [`ScrollBox`].
#[derive(yew::Properties, PartialEq)]
pub struct ScrollBoxProps {
    /// The drawing's viewBox width.
    pub view_w: f64,
    /// Its smallest text, in viewBox units (see [`scroll_box`]).
    pub font: f64,
    /// Scroll to the middle when the box first renders and again whenever this value changes
    /// (say, the number of servers): a drawing centred on its subject shows its middle first on a
    /// narrow screen, not its left edge.
    pub centre_on: u32,
    pub children: yew::Html,
}

/// The [`scroll_box`] around a drawing centred on its subject (see [`ScrollBoxProps::centre_on`]).
#[yew::component]
pub fn ScrollBox(p: &ScrollBoxProps) -> yew::Html {
    let node = yew::use_node_ref();
    {
        let node = node.clone();
        yew::use_effect_with(p.centre_on, move |_| {
            if let Some(el) = node.cast::<web_sys::Element>() {
                let over = el.scroll_width() - el.client_width();
                el.set_scroll_left(over.max(0) / 2);
            }
        });
    }
    yew::html! { <div ref={node} class={scroll_box(p.view_w, p.font)}>{ p.children.clone() }</div> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_scroll_box_is_wide_enough_for_readable_text_in_40_px_steps() {
        // 600 units with 9-unit text: 600 px exactly, class mw7 = 320 + 7·40
        assert_eq!(scroll_box(600.0, 9.0), "drawing-scroll mw7");
        // 601 units rounds up to the next step
        assert_eq!(scroll_box(601.0, 9.0), "drawing-scroll mw8");
        // narrow enough to fit a phone: no min-width
        assert_eq!(scroll_box(300.0, 10.0), "drawing-scroll");
        // very wide, tiny text, or nonsense: capped, never a panic
        assert_eq!(scroll_box(5000.0, 4.0), "drawing-scroll mw12");
        assert_eq!(scroll_box(f64::NAN, 9.0), "drawing-scroll");
        assert_eq!(scroll_box(600.0, 0.0), "drawing-scroll mw12");
    }
}
