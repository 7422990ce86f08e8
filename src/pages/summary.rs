//! The summary: the book's takeaways grid, each row measured by the widgets that show it.
//!
//! The rows, their demos and how a finding is read all live in the core (`sim::summary`); this
//! page only runs each demo in the worker (the same runs the CLI's `summary` command makes),
//! hands the outputs to `Takeaway::finding`, and links every row to its widgets with the exact
//! knobs and seed it measured.

use crate::app::Route;
use crate::chrome::{dom, runner};
use serde_json::Value;
use sim::registry;
use sim::summary::{Demo, Takeaway, MENTAL_MODELS, SEED, TAKEAWAYS};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// One demo's run output: `None` until it arrives, then the parsed JSON or why it failed.
type Output = Option<Result<Rc<Value>, String>>;

/// The outputs of every demo run, `[takeaway][demo]`.
#[derive(Clone, PartialEq, Default)]
struct Runs(Vec<Vec<Output>>);

struct Arrived {
    row: usize,
    demo: usize,
    out: Result<Rc<Value>, String>,
}

impl Reducible for Runs {
    type Action = Arrived;
    fn reduce(self: Rc<Self>, a: Arrived) -> Rc<Self> {
        let mut next = (*self).clone();
        if let Some(slot) = next.0.get_mut(a.row).and_then(|r| r.get_mut(a.demo)) {
            *slot = Some(a.out);
        }
        Rc::new(next)
    }
}

fn empty_runs() -> Runs {
    Runs(
        TAKEAWAYS
            .iter()
            .map(|t| vec![None; t.demos.len()])
            .collect(),
    )
}

/// The summary page.
#[component]
pub fn Summary() -> Html {
    use_effect_with((), |_| {
        dom::set_title("Summary — from axioms to architecture · Pillars Lab")
    });
    let runs = use_reducer(empty_runs);
    {
        let runs = runs.dispatcher();
        use_effect_with((), move |_| {
            for (row, t) in TAKEAWAYS.iter().enumerate() {
                for (demo, d) in t.demos.iter().enumerate() {
                    let runs = runs.clone();
                    runner::request(d.slug, &d.pairs(), SEED, runner::Job::Run, move |r| {
                        let out = r.and_then(|json| {
                            serde_json::from_str::<Value>(&json)
                                .map(Rc::new)
                                .map_err(|e| e.to_string())
                        });
                        runs.dispatch(Arrived { row, demo, out });
                    });
                }
            }
        });
    }
    html! {
        <article class="book-page tk-page">
            <header class="page-head">
                <p class="kicker">{"Summary · after page 32"}</p>
                <h1>{"From axioms to architecture"}</h1>
                <p class="lede">{"The book closes Part II with one insight and one rule of thumb per pillar. Each row below runs the widgets that demonstrate it, here in your browser, and says what the numbers show — including where a claim needs a condition, or goes beyond what we simulate."}</p>
            </header>
            <ol class="tk-grid">
                { for TAKEAWAYS.iter().zip(runs.0.iter()).map(|(t, outs)| row(t, outs)) }
            </ol>
            <section class="tk-models" aria-labelledby="tk-models-h">
                <h2 id="tk-models-h">{"Three mental models"}</h2>
                <ul class="cards">
                    { for MENTAL_MODELS.iter().map(|m| html! {
                        <li class="card pillar-overview">
                            <h3>{ m.name }</h3>
                            <p>{ m.idea }</p>
                            <ul class="widget-list">{ for m.slugs.iter().map(|s| widget_link(s, None)) }</ul>
                        </li>
                    }) }
                </ul>
            </section>
            <nav class="prev-next" aria-label="Previous page">
                <Link<Route> to={Route::Page { number: "32".into() }}>{"← Page 32: Feedback control"}</Link<Route>>
                <Link<Route> to={Route::Home}>{"All pages ↑"}</Link<Route>>
            </nav>
        </article>
    }
}

fn row(t: &'static Takeaway, outs: &[Output]) -> Html {
    let failed = outs.iter().flatten().find_map(|o| o.as_ref().err());
    let refs: Vec<Option<&Value>> = outs
        .iter()
        .map(|o| o.as_ref().and_then(|r| r.as_ref().ok()).map(Rc::as_ref))
        .collect();
    let finding = t.finding(&refs);
    let pillar = t.pillar.name();
    let measured = match (&finding, failed) {
        (Some(f), _) => html! {
            <>
                <p class="tk-verdict"><span class={classes!("tk-badge", format!("tk-{}", f.verdict.key()))}>{ f.verdict.label() }</span></p>
                <p class="tk-finding" data-finding={pillar.to_ascii_lowercase()}>{ &f.text }</p>
            </>
        },
        (None, Some(e)) => {
            html! { <p class="tk-finding notice">{ format!("A run failed: {e}") }</p> }
        }
        (None, None) => html! { <p class="tk-finding muted" aria-busy="true">{"Measuring…"}</p> },
    };
    html! {
        <li class={classes!("card", "tk-row", format!("pillar-{}", pillar.to_ascii_lowercase()))}>
            <p class="kicker">{ format!("Pillar · {pillar}") }</p>
            <div class="tk-claim">
                <p><span class="tk-label">{"Insight"}</span>{ t.insight }</p>
                <p><span class="tk-label">{"Remember"}</span>{ t.remember }</p>
            </div>
            <div class="tk-measured" aria-live="polite">
                <span class="tk-label">{"Measured"}</span>
                { measured }
            </div>
            <ul class="tk-links widget-list">
                { for t.demos.iter().map(|d| widget_link(d.slug, Some(d))) }
            </ul>
        </li>
    }
}

/// A link to a widget (with a demo's knobs and seed when given), or its name marked planned.
fn widget_link(slug: &str, demo: Option<&Demo>) -> Html {
    let Some(w) = registry::widget(slug) else {
        return html! {};
    };
    if !w.is_built() {
        return html! { <li class="planned">{ w.title }<span class="badge">{"planned"}</span></li> };
    }
    let to = Route::Widget {
        slug: w.slug.to_string(),
    };
    match demo {
        Some(d) => html! {
            <li>
                <Link<Route, Vec<(String, String)>> to={to} query={Some(d.query(SEED))}>{ w.title }</Link<Route, Vec<(String, String)>>>
                <span class="muted">{ format!(" — {}", d.caption) }</span>
            </li>
        },
        None => html! { <li><Link<Route> to={to}>{ w.title }</Link<Route>></li> },
    }
}
