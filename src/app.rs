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
use std::collections::HashMap;
use yew::prelude::*;
use yew_router::prelude::*;

/// The site's routes.
#[derive(Clone, PartialEq, Debug)]
pub enum Route {
    /// `/`: the twelve pages as cards.
    Home,
    /// `/page/:number`: one book page with all its widgets.
    Page {
        /// Book page number (21–32).
        number: String,
    },
    /// `/summary`: the book's takeaways, each measured by its widgets.
    Summary,
    /// `/widget/:slug`: one widget on its own.
    Widget {
        /// The widget's slug.
        slug: String,
    },
    /// `/embed/:slug`: one widget with no site chrome, for iframes.
    Embed {
        /// The widget's slug.
        slug: String,
    },
    /// `/404`, and anything that matches no other pattern.
    NotFound,
}

/// The patterns, in the order [`Route::from_path`] knows them. A `:name` segment matches one
/// non-empty path segment.
const PATTERNS: [&str; 6] = [
    "/",
    "/page/:number",
    "/summary",
    "/widget/:slug",
    "/embed/:slug",
    "/404",
];

/// Written by hand rather than derived: `#[derive(Routable)]` recognises paths with a
/// `route_recognizer` automaton built in a thread-local, ≈ 10 KB of wasm in every bundle for
/// six fixed patterns. This keeps the derive's behaviour: one trailing `/` is ignored, a
/// parameter is one non-empty segment, percent-encoded on the way out and decoded on the way
/// in, and any unmatched path is [`Route::NotFound`].
impl Routable for Route {
    fn from_path(path: &str, params: &HashMap<&str, &str>) -> Option<Self> {
        let param = |name: &str| {
            let raw = params.get(name)?;
            urlencoding::decode(raw).ok().map(|v| v.into_owned())
        };
        Some(match path {
            "/" => Route::Home,
            "/page/:number" => Route::Page {
                number: param("number")?,
            },
            "/summary" => Route::Summary,
            "/widget/:slug" => Route::Widget {
                slug: param("slug")?,
            },
            "/embed/:slug" => Route::Embed {
                slug: param("slug")?,
            },
            "/404" => Route::NotFound,
            _ => return None,
        })
    }

    fn to_path(&self) -> String {
        use urlencoding::encode;
        match self {
            Route::Home => "/".into(),
            Route::Page { number } => format!("/page/{}", encode(number)),
            Route::Summary => "/summary".into(),
            Route::Widget { slug } => format!("/widget/{}", encode(slug)),
            Route::Embed { slug } => format!("/embed/{}", encode(slug)),
            Route::NotFound => "/404".into(),
        }
    }

    fn routes() -> Vec<&'static str> {
        PATTERNS.to_vec()
    }

    fn not_found_route() -> Option<Self> {
        Some(Route::NotFound)
    }

    fn recognize(pathname: &str) -> Option<Self> {
        let path = pathname.strip_suffix('/').unwrap_or(pathname);
        PATTERNS
            .iter()
            .find_map(|pattern| {
                let pattern_segments = pattern.strip_suffix('/').unwrap_or(pattern).split('/');
                let mut path_segments = path.split('/');
                let mut params = HashMap::new();
                for want in pattern_segments {
                    let got = path_segments.next()?;
                    match want.strip_prefix(':') {
                        Some(name) if !got.is_empty() => {
                            params.insert(name, got);
                        }
                        _ if want == got => {}
                        _ => return None,
                    }
                }
                if path_segments.next().is_some() {
                    return None;
                }
                Self::from_path(pattern, &params)
            })
            .or_else(Self::not_found_route)
    }
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
