//! Widgets without the site around them: the `/embed/<slug>` iframe page and the standalone
//! mount used by the script embed.

use crate::chrome::host::{Mode, WidgetHost};
use crate::chrome::theme::{self, Theme, ThemeChoice};
use crate::chrome::url;
use yew::prelude::*;

/// Props of [`EmbedPage`].
#[derive(Properties, PartialEq)]
pub struct EmbedPageProps {
    /// The widget's slug.
    pub slug: String,
}

/// The iframe page: one widget, theme from `?theme=light|dark|auto`.
#[component]
pub fn EmbedPage(props: &EmbedPageProps) -> Html {
    let choice = url::current_pairs().into_iter().find(|(k, _)| k == "theme").map(|(_, v)| ThemeChoice::parse(&v)).unwrap_or(ThemeChoice::Auto);
    let resolved: Theme = theme::use_resolved_theme(choice);
    html! {
        <ContextProvider<Theme> context={resolved}>
            <main class="embed-main"><WidgetHost slug={props.slug.clone()} mode={Mode::Embed} /></main>
        </ContextProvider<Theme>>
    }
}

/// Props of [`Standalone`].
#[derive(Properties, PartialEq)]
pub struct StandaloneProps {
    /// The widget's slug.
    pub slug: String,
    /// Its knobs as a query string.
    pub query: String,
}

/// A widget mounted into a host page's element (script embed).
#[component]
pub fn Standalone(props: &StandaloneProps) -> Html {
    let choice = url::parse_query(&props.query).into_iter().find(|(k, _)| k == "theme").map(|(_, v)| ThemeChoice::parse(&v)).unwrap_or(ThemeChoice::Auto);
    let resolved = Theme { dark: choice.is_dark() };
    html! {
        <ContextProvider<Theme> context={resolved}>
            <WidgetHost slug={props.slug.clone()} mode={Mode::Embed} initial_query={Some(AttrValue::from(props.query.clone()))} />
        </ContextProvider<Theme>>
    }
}
