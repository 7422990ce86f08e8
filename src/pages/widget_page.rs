//! One widget on its own page.

use crate::app::Route;
use crate::chrome::{
    dom,
    host::{Mode, WidgetHost},
};
use sim::registry;
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`WidgetPage`].
#[derive(Properties, PartialEq)]
pub struct WidgetPageProps {
    /// The widget's slug, from the URL.
    pub slug: String,
}

/// A widget with a breadcrumb back to its book page.
#[component]
pub fn WidgetPage(props: &WidgetPageProps) -> Html {
    let w = registry::widget(&props.slug);
    let title = w
        .map(|w| format!("{} · Pillars Lab", w.title))
        .unwrap_or_else(|| "Pillars Lab".into());
    use_effect_with(title, |t| dom::set_title(t));
    html! {
        <article class="widget-page">
            if let Some(w) = w {
                <nav class="crumbs" aria-label="Breadcrumb">
                    <Link<Route> to={Route::Home}>{"Contents"}</Link<Route>>{" / "}
                    <Link<Route> to={Route::Page { number: w.page.to_string() }}>{ format!("Page {}", w.page) }</Link<Route>>
                </nav>
            }
            <WidgetHost slug={props.slug.clone()} mode={Mode::Full} />
        </article>
    }
}
