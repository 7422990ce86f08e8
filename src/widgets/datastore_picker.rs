//! View of `datastore-picker` (book page 26): the decision framework as a wizard, its tree, the
//! e-commerce map as a clickable diagram, and the use-case and transformation-cost matrices as
//! sortable, filterable tables, all driven by the same knobs.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{metric, notes, Tone};
use sim::models::datastore_picker::{Component, Leaf, Report, Step, DIFFICULTIES};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn pairs(p: &[(String, String)]) -> Vec<(String, String)> {
    p.to_vec()
}

/// Short names for the chart's categories.
fn short(family: &str) -> &'static str {
    match family {
        "relational" => "R",
        "key-value" => "KV",
        "document" => "D",
        "graph" => "G",
        "time-series" => "TS",
        "columnar" => "C",
        "search" => "S",
        "object" => "O",
        _ => "*",
    }
}

/// The data-store picker widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, cost_chart);
    let Some(r) = report else {
        return html! { <p class="muted">{"Reading the framework…"}</p> };
    };
    let Some(chart) = (*chart).clone() else {
        return html! {};
    };
    let set = ctx.set.clone();
    let family = r.pick.family_name.clone();
    html! {
        <>
        <dl class="metrics">
            { metric("pick", "Recommended store", r.pick.name.clone(), Some(format!("{} model", family)), Tone::Good) }
            { metric("within_budget", "Model changes within budget", format!("{} of {}", r.within_budget, r.transforms.len()), Some(format!("budget: {}", r.budget_grade)), Tone::Plain) }
            { metric("from_pick", &format!("Ways out of {family} within budget"), format!("{} of {}", r.from_pick_within, r.from_pick), Some("if the choice must change later".into()), if r.from_pick_within < r.from_pick { Tone::Bad } else { Tone::Plain }) }
            { metric("ecommerce", "Book's e-commerce stores the framework reproduces", format!("{} of {}", r.ecommerce_exact, r.components.len()), Some(format!("{} of {} by data model", r.ecommerce_family, r.components.len())), Tone::Plain) }
        </dl>
        <div class="dp-wizard" aria-label="The decision framework, one question at a time">
            { for r.path.iter().enumerate().map(|(i, s)| wizard_step(i, s, &set)) }
            <div class="dp-pick" data-testid="pick">
                <h3>{ format!("→ {}", r.pick.name) }</h3>
                <ul>{ for r.pick.reasons.iter().map(|x| html! { <li>{ x }</li> }) }</ul>
                <p class="dp-caveat"><strong>{"Watch out: "}</strong>{ &r.pick.caveat }</p>
            </div>
        </div>
        { notes(&r.notes) }
        <div class="grid2">
            <figure class="dp-figure">
                <figcaption>{"The whole framework: click a leaf to follow it"}</figcaption>
                { tree_svg(&r.leaves, &set) }
            </figure>
            <figure class="dp-figure">
                <figcaption>{"The book's e-commerce shop: click a part to ask the framework"}</figcaption>
                { shop_svg(&r.components, &set) }
                <p class="dp-key"><span class="dp-sw dp-exact"></span>{"framework gives the book's store "}<span class="dp-sw dp-family"></span>{"same data model, another product"}</p>
            </figure>
        </div>
        <MatrixTable
            caption="Use-case matrix (book p. 26): rows in the recommended data model are marked"
            filter_label="Filter use cases"
            columns={Rc::new(vec![("Use case", false), ("Best fit", false), ("Why", false), ("Framework", false)])}
            rows={Rc::new(r.use_cases.iter().map(|u| MatrixRow {
                cells: vec![u.use_case.clone(), u.best_fit.clone(), u.why.clone(), u.wizard_store.clone()],
                sort: vec![],
                marked: u.matches_pick,
                action: Some(pairs(&u.path)),
            }).collect::<Vec<_>>())}
            set={set.clone()}
            testid="use-cases" />
        <MatrixTable
            caption="Transformation costs (book p. 26): changes out of the recommended model are marked"
            filter_label="Filter model changes"
            columns={Rc::new(vec![("From", false), ("To", false), ("Difficulty", true), ("What it takes", false), ("Budget", false)])}
            rows={Rc::new(r.transforms.iter().map(|t| MatrixRow {
                cells: vec![t.from_name.clone(), t.to_name.clone(), t.grade.clone(), t.example.clone(), if t.within_budget { "within".into() } else { "over".into() }],
                sort: vec![String::new(), String::new(), t.difficulty.to_string()],
                marked: t.from_pick,
                action: None,
            }).collect::<Vec<_>>())}
            set={set.clone()}
            testid="transforms" />
        <Chart spec={chart} height={240} caption="difficulty grade of each change of data model, against the budget" />
        <p class="dp-key">{"R relational · KV key-value · D document · G graph · TS time series · * any model. Grades as the book gives them: 1 easy, 2 medium, 3 hard, 4 very hard."}</p>
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"The book's page 26 offers a decision framework for polyglot persistence: first ask how the data is mostly read, then one follow-up about what it needs, and each answer names a store. Here that tree is data in the simulation core: eleven leaves, each reachable by exactly one pair of answers (a test walks all 480 combinations of the six questions). The two tables are the page's use-case and transformation-cost matrices; the shop is its e-commerce example."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("A shopping cart", &[("pattern", "key"), ("key_need", "persist")]) }
                { ctx.try_this("A cache in front of a database", &[("pattern", "key"), ("key_need", "cache")]) }
                { ctx.try_this("Dashboards over sales", &[("pattern", "query"), ("query_need", "analytics")]) }
                { ctx.try_this("Friends of friends", &[("pattern", "relations"), ("relation_need", "social")]) }
                { ctx.try_this("A clickstream", &[("pattern", "time"), ("time_need", "events")]) }
                { ctx.try_this("Tax records kept seven years", &[("pattern", "objects"), ("object_need", "archive")]) }
                { ctx.try_this("A graph, easy migrations only", &[("pattern", "relations"), ("relation_need", "social"), ("budget", "1")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"Changing the data model later is not symmetric: relational data moves to key-value easily, but graph data back to tables is the hardest change in the matrix. Pick a graph with an easy-only budget: the one way back to tables is over budget, and only stamping records with a time remains. Choose the model by how the data is read, since moving it later is the expensive part."}</p>
            <h3>{"Where the book holds, and where it does not"}</h3>
            <p>{ format!("Answered with each component's own stated need, the framework reproduces {} of the {} stores in the book's e-commerce example and all {} data models. The two misses are product swaps within a model: user profiles in DynamoDB where the framework says Redis with AOF, and the clickstream on Kinesis where it says Kafka. The book is also inconsistent with itself: its use-case matrix puts user profiles in a document database, its e-commerce map in a key-value store. And the framework is a first cut: it asks one question about needs, while real choices also weigh size, write rate, consistency and who will operate the store ({} different stores in one shop means {} backups and on-call runbooks, page 25).", r.ecommerce_exact, r.components.len(), r.ecommerce_family, r.ecommerce_stores, r.ecommerce_stores) }</p>
        </section>
        </>
    }
}

fn wizard_step(i: usize, s: &Step, set: &Callback<Vec<(String, String)>>) -> Html {
    html! {
        <fieldset class="dp-step">
            <legend>{ format!("{}. {}", i + 1, s.question) }</legend>
            <div class="dp-answers">
                { for s.options.iter().map(|(v, l, leaf)| {
                    let on = *v == s.answer;
                    let kv = vec![(s.key.clone(), v.clone())];
                    let cb = set.reform(move |_: MouseEvent| kv.clone());
                    let ends = !leaf.is_empty();
                    html! {
                        <button type="button" class={classes!("dp-answer", on.then_some("on"))} aria-pressed={on.to_string()} onclick={cb} data-answer={v.clone()}>
                            { l.clone() }
                            if ends { <span class="sr-only">{" (recommends a store)"}</span> }
                        </button>
                    }
                }) }
            </div>
        </fieldset>
    }
}

fn tree_svg(leaves: &[Leaf], set: &Callback<Vec<(String, String)>>) -> Html {
    let row = 30.0;
    let top = 8.0;
    let h = top * 2.0 + row * leaves.len() as f64;
    // the patterns, in order, with the rows their leaves span
    let mut groups: Vec<(String, String, usize, usize, bool)> = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if g.0 == l.pattern => {
                g.3 = i;
                g.4 |= l.on_path;
            }
            _ => groups.push((l.pattern.clone(), l.pattern_label.clone(), i, i, l.on_path)),
        }
    }
    let y_of = |i: usize| top + row * (i as f64 + 0.5);
    let root_y = h / 2.0;
    html! {
        <svg class="drawing dp-tree" viewBox={format!("0 0 340 {h}")} role="group" aria-label="The decision tree: access pattern, then need, then store">
            <rect x="2" y={format!("{:.1}", root_y - 14.0)} width="46" height="28" rx="6" fill="var(--bg)" stroke="var(--fg)" />
            <text x="25" y={format!("{:.1}", root_y + 4.0)} text-anchor="middle" font-size="11" fill="var(--fg)" font-weight="600">{"Start"}</text>
            { for groups.iter().map(|(_, label, a, b, on)| {
                let gy = (y_of(*a) + y_of(*b)) / 2.0;
                let stroke = if *on { "var(--c0)" } else { "var(--border)" };
                html! { <g>
                    <path d={format!("M48 {root_y:.1} C 54 {root_y:.1}, 54 {gy:.1}, 60 {gy:.1}")} fill="none" stroke={stroke} stroke-width={if *on { "2.5" } else { "1.2" }} />
                    <rect x="60" y={format!("{:.1}", gy - 12.0)} width="98" height="24" rx="5" fill="var(--bg)" stroke={stroke} stroke-width={if *on { "2" } else { "1" }} />
                    <text x="109" y={format!("{:.1}", gy + 4.0)} text-anchor="middle" font-size="10.5" fill="var(--fg)" font-weight={if *on { "700" } else { "400" }}>{ label.clone() }</text>
                    { for (*a..=*b).map(|i| {
                        let l = &leaves[i];
                        let ly = y_of(i);
                        let st = if l.on_path { "var(--c0)" } else { "var(--border)" };
                        html! { <path d={format!("M158 {gy:.1} C 165 {gy:.1}, 165 {ly:.1}, 172 {ly:.1}")} fill="none" stroke={st} stroke-width={if l.on_path { "2.5" } else { "1.2" }} /> }
                    }) }
                </g> }
            }) }
            { for leaves.iter().enumerate().map(|(i, l)| {
                let y = y_of(i);
                let p = vec![("pattern".to_string(), l.pattern.clone()), (l.need_key.clone(), l.need.clone())];
                let click = set.reform({ let p = p.clone(); move |_: MouseEvent| p.clone() });
                html! {
                    <g class="dp-click" role="button" tabindex="0" aria-pressed={l.on_path.to_string()}
                       aria-label={format!("{} → {} → {}", l.pattern_label, l.need_label, l.store_name)}
                       onclick={click} onkeydown={dom::on_press(set, p)}>
                        <rect x="172" y={format!("{:.1}", y - 13.0)} width="165" height="26" rx="5"
                              fill={if l.on_path { "var(--c0)" } else { "var(--bg)" }} stroke={if l.on_path { "var(--c0)" } else { "var(--border)" }} />
                        <text x="178" y={format!("{:.1}", y - 1.5)} font-size="10.5" font-weight="600" fill={if l.on_path { "var(--bg)" } else { "var(--fg)" }}>{ l.store_name.clone() }</text>
                        <text x="178" y={format!("{:.1}", y + 9.0)} font-size="9.2" fill={if l.on_path { "var(--bg)" } else { "var(--muted)" }}>{ l.need_label.clone() }</text>
                    </g>
                }
            }) }
        </svg>
    }
}

fn shop_svg(cs: &[Component], set: &Callback<Vec<(String, String)>>) -> Html {
    let (w, bh, gap, y0) = (160.0, 46.0, 10.0, 52.0);
    let rows = cs.len().div_ceil(2);
    let h = y0 + rows as f64 * (bh + gap) + 4.0;
    let bus_end = y0 + (rows as f64 - 0.5) * (bh + gap);
    html! {
        <svg class="drawing dp-shop" viewBox={format!("0 0 340 {h:.0}")} role="group" aria-label="The e-commerce shop's parts and the store each uses">
            <rect x="110" y="6" width="120" height="30" rx="6" fill="var(--bg)" stroke="var(--fg)" />
            <text x="170" y="26" text-anchor="middle" font-size="12" font-weight="600" fill="var(--fg)">{"Online shop"}</text>
            <line x1="170" y1="36" x2="170" y2={format!("{bus_end:.1}")} stroke="var(--border)" stroke-width="2" />
            { for cs.iter().enumerate().map(|(i, c)| {
                let (col, r) = (i % 2, i / 2);
                let x = if col == 0 { 4.0 } else { 176.0 };
                let y = y0 + r as f64 * (bh + gap);
                let colour = if c.agreement == "exact" { "var(--c2)" } else { "var(--c1)" };
                let p = pairs(&c.path);
                let click = set.reform({ let p = p.clone(); move |_: MouseEvent| p.clone() });
                let stub = if col == 0 { (x + w, 170.0) } else { (170.0, x) };
                html! {
                    <g class="dp-click" role="button" tabindex="0" aria-pressed={c.on_path.to_string()}
                       aria-label={format!("{}: {} ({}); the framework says {}", c.component, c.store, c.reasoning, c.wizard_store)}
                       onclick={click} onkeydown={dom::on_press(set, p)}>
                        <line x1={format!("{:.1}", stub.0)} y1={format!("{:.1}", y + bh / 2.0)} x2={format!("{:.1}", stub.1)} y2={format!("{:.1}", y + bh / 2.0)} stroke="var(--border)" stroke-width="2" />
                        <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={bh.to_string()} rx="6"
                              fill="var(--bg)" stroke={if c.on_path { "var(--c0)" } else { colour }} stroke-width={if c.on_path { "3.5" } else { "1.5" }} />
                        <rect x={x.to_string()} y={y.to_string()} width="6" height={bh.to_string()} rx="2" fill={colour} />
                        <text x={(x + 12.0).to_string()} y={(y + 17.0).to_string()} font-size="11" font-weight="600" fill="var(--fg)">{ c.component.clone() }</text>
                        <text x={(x + 12.0).to_string()} y={(y + 34.0).to_string()} font-size="11.5" fill="var(--fg)">{ c.store.clone() }</text>
                    </g>
                }
            }) }
        </svg>
    }
}

fn cost_chart(r: &Report) -> Rc<ChartSpec> {
    let cat: Vec<String> = r
        .transforms
        .iter()
        .map(|t| format!("{}→{}", short(&t.from), short(&t.to)))
        .collect();
    let pts = |within: bool| -> Vec<(f64, f64)> {
        r.transforms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.within_budget == within)
            .map(|(i, t)| (i as f64, f64::from(t.difficulty)))
            .collect()
    };
    let n = r.transforms.len() as f64;
    Rc::new(ChartSpec {
        title: "Cost of changing data model".into(),
        x_label: "change of data model".into(),
        y_label: format!("grade (1 {} … 4 {})", DIFFICULTIES[0], DIFFICULTIES[3]),
        y_min: Some(0.0),
        categories: cat,
        series: vec![
            Series::new("within budget", Kind::Bars, 2, pts(true)),
            Series::new("over budget", Kind::Bars, 4, pts(false)),
            Series::new(
                "budget",
                Kind::Dashed,
                5,
                vec![(-0.5, f64::from(r.budget)), (n - 0.5, f64::from(r.budget))],
            ),
        ],
        ..Default::default()
    })
}

/// One row of a [`MatrixTable`].
#[derive(Clone, PartialEq)]
pub struct MatrixRow {
    /// Cell texts; the first is the row header.
    pub cells: Vec<String>,
    /// Sort keys overriding the text per column (empty = sort by text).
    pub sort: Vec<String>,
    /// Marked as linked to the current recommendation.
    pub marked: bool,
    /// Knob settings that follow this row in the wizard.
    pub action: Option<Vec<(String, String)>>,
}

/// Props of [`MatrixTable`].
#[derive(Properties, PartialEq)]
pub struct MatrixProps {
    /// Caption (also the table's accessible name).
    pub caption: AttrValue,
    /// Label of the filter box.
    pub filter_label: AttrValue,
    /// Column names and whether each sorts numerically.
    pub columns: Rc<Vec<(&'static str, bool)>>,
    /// The rows.
    pub rows: Rc<Vec<MatrixRow>>,
    /// Sets knobs (a row's action).
    pub set: Callback<Vec<(String, String)>>,
    /// `data-testid` of the table.
    pub testid: AttrValue,
}

/// A real `<table>`, sortable by clicking a column header and filtered by a text box.
#[component]
pub fn MatrixTable(props: &MatrixProps) -> Html {
    let sort = use_state(|| None::<(usize, bool)>);
    let filter = use_state(String::new);
    let needle = filter.to_lowercase();
    let mut rows: Vec<&MatrixRow> = props
        .rows
        .iter()
        .filter(|r| needle.is_empty() || r.cells.iter().any(|c| c.to_lowercase().contains(&needle)))
        .collect();
    if let Some((col, asc)) = *sort {
        let key = |r: &MatrixRow| -> String {
            r.sort
                .get(col)
                .filter(|s| !s.is_empty())
                .cloned()
                .unwrap_or_else(|| r.cells.get(col).cloned().unwrap_or_default().to_lowercase())
        };
        sim::sort::sort_by(&mut rows, |a, b| {
            let o = key(a).cmp(&key(b));
            if asc {
                o
            } else {
                o.reverse()
            }
        });
    }
    let oninput = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            use wasm_bindgen::JsCast;
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                filter.set(t.value());
            }
        })
    };
    let has_action = props.rows.iter().any(|r| r.action.is_some());
    let total = props.rows.len();
    html! {
        <div class="dp-matrix">
            <div class="dp-filter">
                <input type="search" placeholder={props.filter_label.clone()} aria-label={props.filter_label.clone()} value={(*filter).clone()} {oninput} />
                <span class="muted" aria-live="polite">{ format!("{} of {} rows", rows.len(), total) }</span>
            </div>
            <div class="table-wrap">
                <table class="data dp-table" data-testid={props.testid.clone()}>
                    <caption>{ props.caption.clone() }</caption>
                    <thead><tr>
                        { for props.columns.iter().enumerate().map(|(i, (name, _))| {
                            let state = match *sort { Some((c, true)) if c == i => "ascending", Some((c, false)) if c == i => "descending", _ => "none" };
                            let onclick = {
                                let sort = sort.clone();
                                Callback::from(move |_: MouseEvent| {
                                    let next = match *sort { Some((c, true)) if c == i => Some((i, false)), _ => Some((i, true)) };
                                    sort.set(next);
                                })
                            };
                            let arrow = match state { "ascending" => " ▲", "descending" => " ▼", _ => "" };
                            html! { <th scope="col" aria-sort={state}><button type="button" class="dp-sort" {onclick}>{ *name }{ arrow }</button></th> }
                        }) }
                        if has_action { <th scope="col"><span class="sr-only">{"Follow in the wizard"}</span></th> }
                    </tr></thead>
                    <tbody>
                        { for rows.iter().map(|r| {
                            let first = r.cells.first().cloned().unwrap_or_default();
                            html! {
                                <tr class={classes!(r.marked.then_some("dp-marked"))}>
                                    <th scope="row">{ if r.marked { format!("● {first}") } else { first.clone() } }</th>
                                    { for r.cells.iter().zip(props.columns.iter()).skip(1).map(|(c, (name, _))| html! { <td data-label={*name}>{ c.clone() }</td> }) }
                                    if let Some(a) = r.action.clone() {
                                        <td class="dp-act"><button type="button" class="link" aria-label={format!("Follow {first} in the wizard")} onclick={props.set.reform(move |_: MouseEvent| a.clone())}>{"follow"}</button></td>
                                    }
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}
