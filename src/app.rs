//! Routes and the site shell.
//!
//! Every route is derived from the registry: `/page/<n>` for each book page, `/widget/<slug>`
//! and `/embed/<slug>` for each widget; `/summary` is the closing takeaways grid. Unknown pages and slugs render a helpful message, never a
//! blank page.

use crate::chrome::bundle::{self, Reload};
use crate::chrome::theme::{self, Theme, ThemeChoice};
use crate::pages::{
    book_page::BookPage, embed::EmbedPage, home::Home, summary::Summary, widget_page::WidgetPage,
};
use yew::prelude::*;
use yew_router::prelude::*;

/// The site's routes.
#[derive(Clone, Routable, PartialEq, Debug)]
pub enum Route {
    /// The twelve pages as cards.
    #[at("/")]
    Home,
    /// One book page with all its widgets.
    #[at("/page/:number")]
    Page {
        /// Book page number (21–32).
        number: String,
    },
    /// The book's takeaways, each measured by its widgets.
    #[at("/summary")]
    Summary,
    /// One widget on its own.
    #[at("/widget/:slug")]
    Widget {
        /// The widget's slug.
        slug: String,
    },
    /// One widget with no site chrome, for iframes.
    #[at("/embed/:slug")]
    Embed {
        /// The widget's slug.
        slug: String,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    if !bundle::carries(&route) {
        return match route {
            Route::Embed { .. } => html! { <Reload /> },
            _ => html! { <Shell><Reload /></Shell> },
        };
    }
    match route {
        Route::Home => html! { <Shell><Home /></Shell> },
        Route::Page { number } => html! { <Shell><BookPage number={number} /></Shell> },
        // a bundle without every model never shows the summary (it reloads), so it need not link it
        Route::Summary if sim::registry::CARRIES_ALL_MODELS => html! { <Shell><Summary /></Shell> },
        Route::Summary => html! { <Shell><Reload /></Shell> },
        Route::Widget { slug } => html! { <Shell><WidgetPage slug={slug} /></Shell> },
        Route::Embed { slug } => html! { <EmbedPage slug={slug} /> },
        Route::NotFound => html! {
            <Shell>
                <section class="prose">
                    <h1>{"Page not found"}</h1>
                    <p>{"Nothing lives at this address. "}<Link<Route> to={Route::Home}>{"Back to the contents"}</Link<Route>>{"."}</p>
                </section>
            </Shell>
        },
    }
}

/// The application root.
#[component]
pub fn App() -> Html {
    html! {
        <BrowserRouter>
            <Switch<Route> render={switch} />
        </BrowserRouter>
    }
}

#[derive(Properties, PartialEq)]
struct ShellProps {
    children: Html,
}

/// Header, main column and footer around a page; provides the theme.
#[component]
fn Shell(props: &ShellProps) -> Html {
    let choice = use_state(theme::saved_choice);
    let resolved: Theme = theme::use_resolved_theme(*choice);
    let toggle = {
        let choice = choice.clone();
        Callback::from(move |_: MouseEvent| {
            let next = if resolved.dark {
                ThemeChoice::Light
            } else {
                ThemeChoice::Dark
            };
            theme::save_choice(next);
            choice.set(next);
        })
    };
    let label = if resolved.dark {
        "Switch to the light theme"
    } else {
        "Switch to the dark theme"
    };
    // the book page being read: its own page, or the page of the widget shown
    let route = use_route::<Route>();
    let current: Option<u8> = match &route {
        Some(Route::Page { number }) => number.parse().ok(),
        Some(Route::Widget { slug }) => sim::registry::widget(slug).map(|w| w.page),
        _ => None,
    };
    let at_summary = route == Some(Route::Summary);
    // on a narrow screen the page numbers scroll sideways: keep the current one in view (every
    // page of another bundle is a fresh load, which would start the row at 21 again)
    let nav = use_node_ref();
    {
        let nav = nav.clone();
        use_effect_with((current, at_summary), move |_| {
            let Some(nav) = nav.cast::<web_sys::Element>() else {
                return;
            };
            if let Ok(Some(active)) = nav.query_selector("a.active") {
                let (n, a) = (
                    nav.get_bounding_client_rect(),
                    active.get_bounding_client_rect(),
                );
                let centre = a.left() - n.left() + f64::from(nav.scroll_left()) + a.width() / 2.0;
                nav.set_scroll_left((centre - n.width() / 2.0).max(0.0) as i32);
            }
        });
    }
    html! {
        <ContextProvider<Theme> context={resolved}>
            <a class="skip" href="#main">{"Skip to content"}</a>
            <header class="site-head">
                <Link<Route> to={Route::Home} classes="brand">{"Pillars Lab"}</Link<Route>>
                <nav aria-label="Book pages" class="page-nav" ref={nav}>
                    { for sim::registry::PAGES.iter().map(|p| {
                        let here = current == Some(p.number);
                        html! {
                            <Link<Route> to={Route::Page { number: p.number.to_string() }} classes={classes!(here.then_some("active"))}>
                                <span aria-current={here.then_some("page")} title={p.title}>{ p.number }</span>
                            </Link<Route>>
                        }
                    }) }
                    <Link<Route> to={Route::Summary} classes={classes!(at_summary.then_some("active"))}>
                        <span aria-current={at_summary.then_some("page")} title="Summary: from axioms to architecture">
                            <span aria-hidden="true">{"Σ"}</span><span class="sr-only">{"Summary"}</span>
                        </span>
                    </Link<Route>>
                </nav>
                <button type="button" class="theme-toggle" onclick={toggle} aria-label={label} title={label}>
                    { if resolved.dark { "☀" } else { "☾" } }
                </button>
            </header>
            <main id="main">{ props.children.clone() }</main>
            <footer class="site-foot">
                <p>{"Live simulations for Part II of the book, computed in your browser. Every run is seeded: the same link gives the same run."}</p>
            </footer>
        </ContextProvider<Theme>>
    }
}
