//! View of `pillar-map` (book page 21): the axioms as constraints above the house of five
//! pillars, the interaction matrix as a heat map whose cells open the widgets where two pillars
//! meet, the timeline, and widgets per pillar. Every click sets the same knobs the controls do,
//! so the URL restores the map; every widget and page is a link.

use crate::app::Route;
use crate::chrome::chart::{Chart, ChartSpec, Kind, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, Mode, WidgetCtx};
use crate::chrome::metrics::{metric, notes, pct, Tone};
use crate::chrome::url;
use sim::models::pillar_map::{PillarInfo, Report, WidgetInfo};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

type Set = Callback<Vec<(String, String)>>;

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Where links go, and how: inside the site through the router; in an embed, to the full site
/// in a new tab (the site's address is read from the host's own "open in Pillars Lab" link,
/// which knows it even inside someone else's page).
#[derive(Clone, PartialEq)]
struct Links {
    embed: Option<String>,
}

impl Links {
    fn widget(&self, w: &WidgetInfo) -> Html {
        let text = html! { <>{ w.title.clone() }if !w.built { <span class="badge">{"planned"}</span> }</> };
        self.to(
            Route::Widget {
                slug: w.slug.clone(),
            },
            &w.route,
            text,
        )
    }

    fn page(&self, number: u8, title: &str, route: &str) -> Html {
        let text = html! { <>{ format!("Page {number}: {title}") }</> };
        self.to(
            Route::Page {
                number: number.to_string(),
            },
            route,
            text,
        )
    }

    fn to(&self, route: Route, path: &str, text: Html) -> Html {
        match &self.embed {
            Some(site) => html! {
                <a href={format!("{site}{path}")} target="_blank" rel="noopener">{ text }</a>
            },
            None => html! { <Link<Route> to={route}>{ text }</Link<Route>> },
        }
    }
}

fn pillar_class(id: &str) -> String {
    format!("pillar-{id}")
}

fn colour(id: &str) -> String {
    format!("var(--{id})")
}

fn short(name: &str) -> &str {
    if name == "Intelligence" {
        "Intel."
    } else {
        name
    }
}

/// The pillar-map widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, |r| Rc::new(pillar_chart(r)));
    let root = use_node_ref();
    let site = use_state(|| None::<String>);
    {
        let (root, site) = (root.clone(), site.clone());
        use_effect_with((ctx.mode, report.is_some()), move |(mode, _)| {
            if *mode == Mode::Embed && site.is_none() {
                let found = root
                    .cast::<web_sys::Element>()
                    .and_then(|el| el.closest(".widget").ok().flatten())
                    .and_then(|w| w.query_selector("a.open-full").ok().flatten())
                    .and_then(|a| a.get_attribute("href"))
                    .and_then(|h| web_sys::Url::new(&h).ok())
                    .map(|u| u.origin());
                site.set(Some(found.unwrap_or_else(url::origin)));
            }
        });
    }
    let Some(r) = report else {
        return html! { <p class="muted">{"Drawing the map…"}</p> };
    };
    let Some(chart) = (*chart).clone() else {
        return html! {};
    };
    let links = Links {
        embed: (ctx.mode == Mode::Embed).then(|| (*site).clone().unwrap_or_else(url::origin)),
    };
    let set = ctx.set.clone();
    let c = &r.checks;
    let lit_pillars = r.pillars.iter().filter(|p| p.lit).count();
    let cell_count = r.selected.as_ref().map(|s| s.widgets.len());
    html! {
        <div class="pm" ref={root}>
        <dl class="metrics">
            { metric("widgets", "Widgets on the map", r.total.to_string(), Some(format!("{} built, {} planned", r.built, r.total - r.built)), Tone::Plain) }
            { metric("crossing", "Widgets that cross pillars", format!("{} of {}", c.crossing, c.widgets), Some(format!("{} touch two or more", pct(c.crossing_share, 0))), Tone::Plain) }
            { metric("pairs", "Pillar pairs with a widget", format!("{} of 10", c.pairs_covered), Some(format!("busiest: {} ({})", c.busiest_pair.0, c.busiest_pair.1)), Tone::Plain) }
            { metric("cell", "Widgets in the open cell", cell_count.map_or("—".into(), |n| n.to_string()), Some(r.selected.as_ref().map_or("no cell open".into(), |s| s.label.clone())), Tone::Plain) }
            { metric("focus", "Pillars under focus", format!("{lit_pillars} of 5"), Some(r.focus_label.clone()), Tone::Plain) }
            { metric("emerged", &format!("Pillars emerged by {}", r.year), format!("{} of 5", r.emerged.len()), r.timeline.get(r.era as usize).map(|e| format!("{}s: {}", e.decade, e.label)), Tone::Plain) }
        </dl>
        { notes(&r.notes) }

        <div class="pm-axioms" role="group" aria-label="The constraints (axioms) the page names: choose one to light the pillars that wrestle with it">
            <span class="pm-label">{"Constraints ↓"}</span>
            { for r.axioms.iter().map(|a| {
                let next = if a.lit && r.focus_kind == "axiom" { "none".to_string() } else { a.id.clone() };
                let cb = set.reform(move |_: MouseEvent| vec![("focus".to_string(), next.clone())]);
                html! {
                    <button type="button" class={classes!("pm-axiom", a.lit.then_some("on"))} aria-pressed={a.lit.to_string()}
                            title={a.gloss.clone()} onclick={cb} data-axiom={a.id.clone()}>
                        { a.name.clone() }<span class="pm-n">{ a.pillars.len() }</span>
                    </button>
                }
            }) }
        </div>

        <div class="grid2 pm-top">
            <figure class="pm-figure">
                <figcaption>{ format!("The house in {}: choose a part", r.year) }</figcaption>
                { house(&r, &set) }
            </figure>
            <div class="pm-panel" aria-live="polite">{ focus_panel(&r, &links, &set) }</div>
        </div>

        <h3 class="pm-h">{"Where the pillars meet"}</h3>
        <p class="muted pm-small">{"Each cell counts the widgets that touch both pillars (on the diagonal: widgets that touch that pillar alone). ★ marks the page's own interaction lines. Choose a cell to list its widgets."}</p>
        <div class="pm-matrix-wrap">
            { matrix(&r, &set) }
            <div class="pm-cell-panel" data-testid="cell-panel">{ cell_panel(&r, &links) }</div>
        </div>

        <h3 class="pm-h">{"How the pillars arrived (page 21's timeline)"}</h3>
        <ol class="pm-timeline">
            { for r.timeline.iter().enumerate().map(|(i, e)| {
                let pill = r.pillars.iter().find(|p| p.id == e.emerges);
                let when = match (i as u32).cmp(&r.era) {
                    std::cmp::Ordering::Equal => Some("now"),
                    std::cmp::Ordering::Greater => Some("later"),
                    std::cmp::Ordering::Less => None,
                };
                html! {
                    <li class={classes!("pm-era", pill.map(|p| pillar_class(&p.id)), when)} aria-current={(when == Some("now")).then_some("step")}>
                        <span class="pm-decade">{ format!("{}s", e.decade) }</span>
                        <strong>{ e.label.clone() }</strong>
                        if let Some(p) = pill {
                            <button type="button" class="link pm-emerges" onclick={set.reform({ let id = p.id.clone(); move |_: MouseEvent| vec![("focus".to_string(), id.clone())] })}>
                                { format!("{} · {} emerges", p.numeral, p.name) }
                            </button>
                        } else if e.decade == 2010 {
                            <span class="pm-emerges muted">{"all five mature"}</span>
                        }
                        <span class="pm-note">{ e.note.clone() }</span>
                    </li>
                }
            }) }
        </ol>

        <Chart spec={chart} height={240} caption="widgets per pillar: on its pages (built of those), and all that touch it" />

        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Page 21 frames Part II: the axioms of Part I are constraints nobody can change, and the five pillars are the patterns for living within them — three core ones (work, state, truth) and two extensions (control, intelligence). The page hangs a few constraints under each pillar, checks that five pillars cover every aspect of a system, lists how pairs of pillars interact, dates when each became pressing, and pictures the whole as a house. Here all of that is data in the simulation core, joined to this site's own widgets: each widget sits under the pillar of its page and is tagged with the pillars it crosses into, with the reason."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Which pillars wrestle with latency?", &[("focus", "latency")]) }
                { ctx.try_this("Open State × Truth", &[("row", "state"), ("col", "truth")]) }
                { ctx.try_this("Show the roof", &[("focus", "intelligence")]) }
                { ctx.try_this("The foundation", &[("focus", "truth"), ("row", "truth"), ("col", "truth")]) }
                { ctx.try_this("Truth × Intelligence", &[("row", "truth"), ("col", "intelligence")]) }
                { ctx.try_this("Work alone", &[("focus", "work"), ("row", "work"), ("col", "work")]) }
                { ctx.try_this("The house in 1985", &[("year", "1985")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{ format!("The axioms are not shared evenly: latency and capacity bear on work, state and intelligence; observability and the human interface only on control and intelligence, since the page says intelligence answers to every axiom. The heat map is darkest at {} ({} widgets): replicated data and agreement about it are one subject seen from two sides. The diagonal is nearly empty: {} of the 5 pillars have a widget that touches no other pillar.", c.busiest_pair.0, c.busiest_pair.1, c.pillars_with_pure) }</p>
            <h3>{"Where the book holds, and where it does not"}</h3>
            <p>{ format!("Completeness holds on our data: the coverage table gives its {} aspects to {} different pillars, and all {} widgets have a home pillar. Minimality holds in the weak sense that every pillar is home to at least one widget ({} of 5). Orthogonality does not: {} of {} widgets ({}) cross two or more pillars, and {} of the 10 pairs share a widget — the pillars interact, which is exactly why the page needs its interaction model.",
                c.aspects, c.aspect_pillars, c.widgets, c.pillars_with_widgets, c.crossing, c.widgets, pct(c.crossing_share, 0), c.pairs_covered) }</p>
            <p>{ if c.named_pairs_empty.is_empty() {
                "Every pair the page's interaction lines name has at least one widget here.".to_string()
            } else {
                format!("The page says intelligence and control each meet every pillar, but no widget of ours sits at {}: the claim is broader than what Part II actually demonstrates.", c.named_pairs_empty.join(", "))
            } }</p>
            <p>{ format!("Its diagram names {} constraint labels, and the page counts {} axioms in Part I; Part I is not in this text, so the labels here are the page's own (its \"failure\" under state and \"partial failure\" under truth may well be one axiom there). The timeline's order is the pillars' order: work in the 1970s, state in the 1980s, truth in the 1990s, control in the 2000s, intelligence in the 2020s{}. The widget tags are our judgement from each widget's page and summary.",
                c.axioms_named, c.axioms_claimed, if c.emergence_in_order { "" } else { " (not in numeral order)" }) }</p>
        </section>
        </div>
    }
}

/// The house: roof (intelligence), walls (control), two rooms (work, state), foundation (truth).
fn house(r: &Report, set: &Set) -> Html {
    let find = |id: &str| r.pillars.iter().find(|p| p.id == id);
    let part = |p: Option<&PillarInfo>, shapes: Html, label: Html| -> Html {
        let Some(p) = p else { return html! {} };
        let next = if p.lit && r.focus_kind == "pillar" {
            "none".to_string()
        } else {
            p.id.clone()
        };
        let pairs = vec![("focus".to_string(), next)];
        let cb = set.reform({
            let pairs = pairs.clone();
            move |_: MouseEvent| pairs.clone()
        });
        html! {
            <g class={classes!("pm-part", p.lit.then_some("on"), (!p.emerged).then_some("pm-future"))} role="button" tabindex="0" aria-pressed={p.lit.to_string()}
               aria-label={format!("Pillar {}, {}: {}; {} widgets; emerged in the {}s{}", p.numeral, p.name, p.house_role, p.widgets.len(), p.since, if p.emerged { "" } else { " (not yet, in the year chosen)" })}
               onclick={cb} onkeydown={dom::on_press(set, pairs)} data-pillar={p.id.clone()}
               fill={colour(&p.id)} stroke={colour(&p.id)}>
                { shapes }
                { label }
            </g>
        }
    };
    let count = |p: Option<&PillarInfo>| {
        p.map(|p| format!("{} widgets · {} built", p.widgets.len(), p.built))
            .unwrap_or_default()
    };
    let title = |p: Option<&PillarInfo>| {
        p.map(|p| format!("{} · {}", p.numeral, p.name))
            .unwrap_or_default()
    };
    let (intel, control, work, state, truth) = (
        find("intelligence"),
        find("control"),
        find("work"),
        find("state"),
        find("truth"),
    );
    html! {
        <svg class="drawing pm-house" viewBox="0 0 360 290" role="group" aria-label="The distributed-systems house: each part is a pillar">
            { part(intel,
                html! { <polygon class="pm-shape" points="14,112 180,14 346,112" /> },
                html! { <>
                    <text x="180" y="72" text-anchor="middle" class="pm-t">{ title(intel) }</text>
                    <text x="180" y="88" text-anchor="middle" class="pm-s">{"roof: protects and adapts"}</text>
                    <text x="180" y="103" text-anchor="middle" class="pm-s">{ count(intel) }</text>
                </> }) }
            { part(control,
                html! { <>
                    <rect class="pm-shape" x="22" y="116" width="40" height="112" rx="3" />
                    <rect class="pm-shape" x="298" y="116" width="40" height="112" rx="3" />
                </> },
                html! { <>
                    <text transform="translate(46 172) rotate(-90)" text-anchor="middle" class="pm-t">{ title(control) }</text>
                    <text transform="translate(322 172) rotate(-90)" text-anchor="middle" class="pm-s">{"walls: hold it up"}</text>
                </> }) }
            // the two rooms, side by side
            { for [(work, 68), (state, 182)].into_iter().map(|(p, x)| {
                let mid = (x + 55).to_string();
                part(p,
                    html! { <rect class="pm-shape" x={x.to_string()} y="116" width="110" height="112" rx="3" /> },
                    html! { <>
                        <text x={mid.clone()} y="160" text-anchor="middle" class="pm-t">{ title(p) }</text>
                        <text x={mid.clone()} y="177" text-anchor="middle" class="pm-s">{"a living space"}</text>
                        <text x={mid} y="193" text-anchor="middle" class="pm-s">{ count(p) }</text>
                    </> })
            }) }
            { part(truth,
                html! { <rect class="pm-shape" x="8" y="234" width="344" height="50" rx="3" /> },
                html! { <>
                    <text x="180" y="255" text-anchor="middle" class="pm-t">{ format!("{} — the foundation", title(truth)) }</text>
                    <text x="180" y="273" text-anchor="middle" class="pm-s">{ count(truth) }</text>
                </> }) }
        </svg>
    }
}

/// What the focus shows: a pillar's axioms, pages and widgets, or an axiom's pillars.
fn focus_panel(r: &Report, links: &Links, set: &Set) -> Html {
    let wid = |slug: &String| r.widgets.iter().find(|w| &w.slug == slug);
    let name_of = |id: &str| {
        r.axioms
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    match r.focus_kind.as_str() {
        "pillar" => {
            let Some(p) = r.pillars.iter().find(|p| p.lit) else {
                return html! {};
            };
            let axioms: Vec<String> = p.axioms.iter().map(|a| name_of(a)).collect();
            html! {
                <div class={classes!("pm-focus", pillar_class(&p.id))} data-testid="focus-panel">
                    <h4>{ format!("Pillar {} · {}", p.numeral, p.name) }<span class="badge">{ if p.core { "core" } else { "extension" } }</span></h4>
                    <p class="pm-small">{ format!("Covers {}. In the house: {}.", p.aspect.to_ascii_lowercase(), p.house_role) }</p>
                    <p class="pm-small"><strong>{"Wrestles with: "}</strong>{ axioms.join(", ") }
                        if !p.also.is_empty() { { format!(" — and {}", p.also) } }</p>
                    <p class="pm-small"><strong>{"The summary's takeaway: "}</strong>{ p.insight.clone() }</p>
                    <h5>{"Pages"}</h5>
                    <ul class="pm-links">{ for p.pages.iter().map(|pg| html! { <li>{ links.page(pg.number, &pg.title, &pg.route) }</li> }) }</ul>
                    <h5>{ format!("Widgets on its pages ({})", p.widgets.len()) }</h5>
                    <ul class="pm-links">{ for p.widgets.iter().filter_map(&wid).map(|w| html! { <li>{ links.widget(w) }</li> }) }</ul>
                    if !p.visitors.is_empty() {
                        <h5>{ format!("Crossing in from other pillars ({})", p.visitors.len()) }</h5>
                        <ul class="pm-links">{ for p.visitors.iter().filter_map(&wid).map(|w| {
                            let why = w.crosses.iter().find(|(pl, _)| *pl == p.id).map(|(_, y)| y.clone()).unwrap_or_default();
                            html! { <li>{ links.widget(w) }<span class="muted">{ format!(" — {why}") }</span></li> }
                        }) }</ul>
                    }
                </div>
            }
        }
        "axiom" => {
            let Some(a) = r.axioms.iter().find(|a| a.lit) else {
                return html! {};
            };
            html! {
                <div class="pm-focus" data-testid="focus-panel">
                    <h4>{ format!("Constraint: {}", a.name) }</h4>
                    <p class="pm-small">{ a.gloss.clone() }</p>
                    <p class="pm-small">{ format!("Wrestled with by {} of 5 pillars; {} widgets touch one of them.", a.pillars.len(), r.lit_widgets) }</p>
                    <div class="pm-chips">{ for a.pillars.iter().filter_map(|id| r.pillars.iter().find(|p| &p.id == id)).map(|p| {
                        let cb = set.reform({ let id = p.id.clone(); move |_: MouseEvent| vec![("focus".to_string(), id.clone())] });
                        html! { <button type="button" class={classes!("pm-chip", pillar_class(&p.id))} onclick={cb}>{ format!("{} · {}", p.numeral, p.name) }</button> }
                    }) }</div>
                </div>
            }
        }
        _ => html! {
            <div class="pm-focus" data-testid="focus-panel">
                <h4>{"Five pillars, five aspects"}</h4>
                <p class="pm-small">{"Choose a part of the house for its constraints, pages and widgets, or a constraint above it for the pillars that wrestle with it. The page's coverage table:"}</p>
                <table class="data pm-coverage">
                    <thead><tr><th>{"System aspect"}</th><th>{"Pillar"}</th></tr></thead>
                    <tbody>{ for r.coverage.iter().map(|a| {
                        let p = r.pillars.iter().find(|p| p.id == a.pillar);
                        html! { <tr><td>{ a.aspect.clone() }</td><td>{ p.map(|p| format!("{} · {}", p.numeral, p.name)).unwrap_or_default() }</td></tr> }
                    }) }</tbody>
                </table>
                <p class="pm-small">{"The page itself: "}{ for r.overview_pages.iter().map(|pg| links.page(pg.number, &pg.title, &pg.route)) }</p>
            </div>
        },
    }
}

/// The 5 × 5 heat map; cells are buttons that open the widgets where two pillars meet.
fn matrix(r: &Report, set: &Set) -> Html {
    let max = r.max_cell.max(1);
    let sel = r.selected.as_ref().map(|s| (s.row.clone(), s.col.clone()));
    html! {
        <table class="pm-matrix" aria-label="Interaction matrix: widgets per pair of pillars">
            <thead><tr>
                <td></td>
                { for r.pillars.iter().map(|p| html! { <th scope="col" class={pillar_class(&p.id)}><abbr title={p.name.clone()}>{ short(&p.name) }</abbr></th> }) }
            </tr></thead>
            <tbody>{ for r.matrix.iter().zip(&r.pillars).map(|(row, rp)| html! {
                <tr>
                    <th scope="row" class={pillar_class(&rp.id)}>{ format!("{} {}", rp.numeral, short(&rp.name)) }</th>
                    { for row.iter().map(|c| {
                        let n = c.widgets.len() as u32;
                        let shade = if n == 0 { 0 } else { (4 * n).div_ceil(max).clamp(1, 4) };
                        let on = sel.as_ref().is_some_and(|(a, b)| (a == &c.row && b == &c.col) || (a == &c.col && b == &c.row));
                        let pairs = if on { kv(&[("row", "none"), ("col", "none")]) } else { vec![("row".to_string(), c.row.clone()), ("col".to_string(), c.col.clone())] };
                        let cb = set.reform(move |_: MouseEvent| pairs.clone());
                        let names = |id: &str| r.pillars.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default();
                        let label = if c.row == c.col {
                            format!("{} alone: {n} widgets", names(&c.row))
                        } else {
                            let book: Vec<&str> = c.notes.iter().filter_map(|&k| r.interactions.get(k as usize)).map(String::as_str).collect();
                            format!("{} × {}: {n} widgets{}", names(&c.row), names(&c.col), if book.is_empty() { String::new() } else { format!("; the page: {}", book.join("; ")) })
                        };
                        html! {
                            <td>
                                <button type="button" class={classes!("pm-cell", format!("pm-h{shade}"), on.then_some("on"), (c.row == c.col).then_some("diag"))}
                                        aria-pressed={on.to_string()} aria-label={label.clone()} title={label}
                                        onclick={cb} data-cell={format!("{}-{}", c.row, c.col)}>
                                    { n }
                                    if !c.notes.is_empty() { <span class="pm-star" aria-hidden="true">{"★"}</span> }
                                </button>
                            </td>
                        }
                    }) }
                </tr>
            }) }</tbody>
        </table>
    }
}

/// The open cell: the page's lines for it and its widgets as links.
fn cell_panel(r: &Report, links: &Links) -> Html {
    let Some(s) = &r.selected else {
        return html! { <p class="muted pm-small">{"No cell open: choose one in the matrix."}</p> };
    };
    html! {
        <>
            <h4>{ s.label.clone() }</h4>
            if s.notes.is_empty() {
                if s.row == s.col { <p class="pm-small muted">{"The diagonal: widgets that stay inside this one pillar."}</p> }
                else { <p class="pm-small muted">{"The page has no line for this pair."}</p> }
            } else {
                { for s.notes.iter().map(|n| html! { <p class="pm-small pm-book">{"★ The page: "}{ n.clone() }</p> }) }
            }
            if s.widgets.is_empty() {
                <p class="pm-small">{"No widget of ours sits here."}</p>
            } else {
                <ul class="pm-links">{ for s.widgets.iter().filter_map(|(slug, why)| r.widgets.iter().find(|w| &w.slug == slug).map(|w| (w, why))).map(|(w, why)| html! {
                    <li>{ links.widget(w) }<span class="muted">{ format!(" — {why}") }</span></li>
                }) }</ul>
            }
        </>
    }
}

fn pillar_chart(r: &Report) -> ChartSpec {
    let pts = |f: &dyn Fn(&PillarInfo) -> usize| -> Vec<(f64, f64)> {
        r.pillars
            .iter()
            .enumerate()
            .map(|(i, p)| (i as f64, f(p) as f64))
            .collect()
    };
    ChartSpec {
        title: "Widgets per pillar".into(),
        x_label: "pillar".into(),
        y_label: "widgets".into(),
        y_min: Some(0.0),
        categories: r
            .pillars
            .iter()
            .map(|p| format!("{} {}", p.numeral, short(&p.name)))
            .collect(),
        series: vec![
            Series::new(
                "touch it",
                Kind::Bars,
                5,
                pts(&|p| p.widgets.len() + p.visitors.len()),
            ),
            Series::new("on its pages", Kind::Bars, 0, pts(&|p| p.widgets.len())),
            Series::new("built", Kind::Bars, 2, pts(&|p| p.built as usize)),
        ],
        ..ChartSpec::default()
    }
}
