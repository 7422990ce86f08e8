//! Light and dark themes.
//!
//! The choice is `auto` (follow `prefers-color-scheme`), `light` or `dark`; it is kept in
//! `localStorage` on the site and taken from the `theme` query key in embeds. The resolved theme
//! is written to `<html data-theme="…">`, which the stylesheet keys off, and shared through a
//! Yew context so charts (drawn on canvas, not styled by CSS) redraw when it changes.

use super::dom;
use gloo::events::EventListener;
use yew::prelude::*;

/// What the reader chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeChoice {
    /// Follow the operating system.
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// Parse `auto`, `light` or `dark` (anything else is `Auto`).
    pub fn parse(s: &str) -> Self {
        match s {
            "light" => ThemeChoice::Light,
            "dark" => ThemeChoice::Dark,
            _ => ThemeChoice::Auto,
        }
    }
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeChoice::Auto => "auto",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }
    /// Whether this choice shows dark colours now.
    pub fn is_dark(self) -> bool {
        match self {
            ThemeChoice::Auto => dom::media_matches("(prefers-color-scheme: dark)"),
            ThemeChoice::Light => false,
            ThemeChoice::Dark => true,
        }
    }
}

/// The resolved theme, shared with every component that draws on canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Dark colours are showing.
    pub dark: bool,
}

/// Write the resolved theme to `<html data-theme>`.
pub fn apply(dark: bool) {
    if let Some(root) = dom::document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

/// The choice saved on this site, or `Auto`.
pub fn saved_choice() -> ThemeChoice {
    dom::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("theme").ok().flatten())
        .map(|s| ThemeChoice::parse(&s))
        .unwrap_or(ThemeChoice::Auto)
}

/// Save the choice on this site.
pub fn save_choice(choice: ThemeChoice) {
    if let Some(s) = dom::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item("theme", choice.as_str());
    }
}

/// Track a theme choice: resolves it, applies it to `<html>`, and re-resolves when the OS
/// setting changes. Returns the resolved theme.
#[hook]
pub fn use_resolved_theme(choice: ThemeChoice) -> Theme {
    let os_tick = use_state(|| 0u32);
    {
        let os_tick = os_tick.clone();
        use_effect_with((), move |_| {
            let listener = dom::window()
                .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
                .map(|mql| EventListener::new(&mql, "change", move |_| os_tick.set(*os_tick + 1)));
            move || drop(listener)
        });
    }
    let dark = choice.is_dark();
    use_effect_with((dark, *os_tick), move |(dark, _)| apply(*dark));
    Theme { dark }
}
