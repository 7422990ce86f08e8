//! The contents: book pages 21–32 as cards in book order, each listing its widgets, then the
//! summary.

use crate::app::Route;
use crate::chrome::dom;
use sim::registry::{widgets_on, PAGES};
use yew::prelude::*;
use yew_router::prelude::*;

/// The home page.
#[component]
pub fn Home() -> Html {
    use_effect_with((), |_| {
        dom::set_title("Pillars Lab — distributed systems you can run")
    });
    let built = sim::registry::built().count();
    let total = sim::registry::WIDGETS.len();
    html! {
        <>
        <section class="hero">
            <h1>{"Distributed systems you can run"}</h1>
            <p>{"Part II of the book — work, state, truth, control and intelligence — as live, seeded simulations. Move a knob and the system re-runs; share the link and the reader sees the same run."}</p>
            <p class="muted">{ if built == total {
                format!("All {total} widgets are built; the summary after page 32 measures the book's takeaways with them.")
            } else {
                format!("{built} of {total} widgets built so far; the rest are marked as planned.")
            } }</p>
        </section>
        <ol class="cards">
            { for PAGES.iter().map(|p| html! {
                <li class={classes!("card", format!("pillar-{}", p.pillar.name().to_ascii_lowercase()))} data-page={p.number.to_string()}>
                    <p class="kicker">{ format!("Page {} · {}", p.number, p.pillar.name()) }</p>
                    <h2><Link<Route> to={Route::Page { number: p.number.to_string() }}>{ p.title }</Link<Route>></h2>
                    <p class="blurb">{ p.blurb }</p>
                    <ul class="widget-list">
                        { for widgets_on(p.number).map(|w| if w.is_built() {
                            html! { <li><Link<Route> to={Route::Widget { slug: w.slug.to_string() }}>{ w.title }</Link<Route>></li> }
                        } else {
                            html! { <li class="planned">{ w.title }<span class="badge">{"planned"}</span></li> }
                        }) }
                    </ul>
                </li>
            }) }
            <li class="card pillar-overview">
                <p class="kicker">{"After page 32 · Summary"}</p>
                <h2><Link<Route> to={Route::Summary}>{"From axioms to architecture"}</Link<Route>></h2>
                <p class="blurb">{"The book's takeaways, one per pillar, each measured by the widgets that show it."}</p>
            </li>
        </ol>
        </>
    }
}
