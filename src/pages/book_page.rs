//! One book page: its title, what it is about, and all its widgets in place.

use crate::app::Route;
use crate::chrome::{
    dom,
    host::{Mode, WidgetHost},
};
use sim::registry::{self, widgets_on};
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`BookPage`].
#[derive(Properties, PartialEq)]
pub struct BookPageProps {
    /// The page number as it appeared in the URL.
    pub number: String,
}

/// A book page with its widgets.
#[component]
pub fn BookPage(props: &BookPageProps) -> Html {
    let page = props.number.parse::<u8>().ok().and_then(registry::page);
    let title = page
        .map(|p| format!("Page {} — {} · Pillars Lab", p.number, p.title))
        .unwrap_or_else(|| "Pillars Lab".into());
    use_effect_with(title, |t| dom::set_title(t));
    let Some(p) = page else {
        return html! {
            <section class="prose">
                <h1>{"No such page"}</h1>
                <p>{ format!("“{}” is not one of the book's pages 21–32. ", props.number) }
                   <Link<Route> to={Route::Home}>{"See all pages"}</Link<Route>>{"."}</p>
            </section>
        };
    };
    let prev = registry::page(p.number.wrapping_sub(1));
    let next = registry::page(p.number + 1);
    html! {
        <article class="book-page">
            <header class="page-head">
                <p class="kicker">{ format!("Page {} · Pillar: {}", p.number, p.pillar.name()) }</p>
                <h1>{ p.title }</h1>
                <p class="lede">{ p.blurb }</p>
            </header>
            { for widgets_on(p.number).map(|w| html! { <WidgetHost slug={w.slug} mode={Mode::Inline} /> }) }
            <nav class="prev-next" aria-label="Previous and next page">
                if let Some(pp) = prev { <Link<Route> to={Route::Page { number: pp.number.to_string() }}>{ format!("← Page {}: {}", pp.number, pp.title) }</Link<Route>> } else { <span /> }
                if let Some(np) = next { <Link<Route> to={Route::Page { number: np.number.to_string() }}>{ format!("Page {}: {} →", np.number, np.title) }</Link<Route>> }
                else { <Link<Route> to={Route::Summary}>{"Summary: from axioms to architecture →"}</Link<Route>> }
            </nav>
        </article>
    }
}
