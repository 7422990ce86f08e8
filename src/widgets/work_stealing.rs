//! View of `work-stealing` (book page 24): the book's 16∶4∶2∶0 scenario stepped through live,
//! then any mix of workers, task sizes, skew, policy and steal cost as Gantt charts beside the
//! no-stealing baseline, a comparison of every policy, and the book's 1000-task claim measured.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim_at;
use sim::model::Simulation;
use sim::models::work_stealing::{
    BarKind, Gantt, Happening, Params, Report, Snapshot, StealSim, WorkerState,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// Three significant figures without trailing zeros: 6, 5.5, 0.25, 1.52.
fn num(x: f64) -> String {
    let s = sig3(x);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Milliseconds, compact: "6 ms", "5.5 ms", "1.52 s".
fn ms(x: f64) -> String {
    if !x.is_finite() {
        "∞".into()
    } else if x >= 10_000.0 {
        format!("{} s", num(x / 1000.0))
    } else {
        format!("{} ms", num(x))
    }
}

fn policy_label(key: &str) -> &'static str {
    match key {
        "none" => "no stealing",
        "half_random" => "steal half from a random victim",
        "one_busiest" => "steal one from the busiest",
        "one_random" => "steal one from a random victim",
        _ => "steal half from the busiest",
    }
}

/// A policy in a few characters, for chart categories on a phone.
fn short_policy(key: &str) -> &'static str {
    match key {
        "none" => "none",
        "half_random" => "½ rand",
        "one_busiest" => "1 max",
        "one_random" => "1 rand",
        _ => "½ max",
    }
}

fn sizes_label(key: &str) -> &'static str {
    match key {
        "uniform" => "uniform (1∶10)",
        "exponential" => "exponential",
        "pareto" => "heavy-tailed (Pareto 1.5)",
        _ => "equal",
    }
}

/// The work-stealing widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, policy_chart);
    let Some(r) = report else {
        return html! { <p class="muted">{"Scheduling…"}</p> };
    };
    let stealing = p.policy != "none";
    let book = p == Params::default();
    let bound_sub = match r.whole_task_bound_ms {
        Some(b) => format!(
            "equal tasks: ⌈{}÷{}⌉ × {} = {}",
            r.tasks,
            r.workers,
            num(p.task_ms),
            ms(b)
        ),
        None => format!("Graham's greedy bound {}", ms(r.graham_bound_ms)),
    };
    html! {
        <>
        if book {
            <p class="callout">
                {"The book's example: four workers start with 16, 4, 2 and 0 tasks of one unit (here 1 ms). Without stealing the first worker needs "}
                <strong>{"16 units"}</strong>{"; the book says stealing brings it to 6. Press "}<strong>{"Step"}</strong>{" below to follow every event."}
            </p>
        }
        <dl class="metrics">
            { metric("makespan", "Makespan (last task ends)", ms(r.makespan_ms), Some(format!("without stealing {}", ms(r.baseline.makespan_ms))), if r.makespan_ms < r.baseline.makespan_ms { Tone::Good } else { Tone::Plain }) }
            { metric("efficiency", "Efficiency", pct(r.efficiency, 1), Some(format!("without stealing {}", pct(r.baseline.efficiency, 1))), Tone::Plain) }
            { metric("speedup", "Speed-up from stealing", format!("{}×", num(r.speedup)), Some(format!("{} steals moved {} tasks", int(u64::from(r.chosen.steals)), int(r.chosen.tasks_stolen))), if r.speedup < 1.0 { Tone::Bad } else { Tone::Plain }) }
            { metric("lower_bound", "Lower bound max(total÷W, largest)", ms(r.lower_bound_ms), Some(bound_sub), Tone::Plain) }
            { metric("vs_bound", "Makespan ÷ lower bound", format!("{}×", num(r.vs_bound)), Some(format!("total work {} on {} workers", ms(r.total_work_ms), r.workers)), if r.vs_bound <= 1.1 { Tone::Good } else { Tone::Plain }) }
            { metric("failed_probes", "Empty-deque probes", int(u64::from(r.chosen.failed_probes)), Some(format!("time stealing {}", ms(r.chosen.steal_ms))), Tone::Plain) }
        </dl>
        <LiveRun params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} report={r.clone()} />
        <figure class="chart ws-gantt">
            <figcaption><span class="chart-title">{ format!("Without stealing, same tasks: {}", ms(r.baseline.makespan_ms)) }</span></figcaption>
            { gantt_svg(&r.baseline_gantt, r.lower_bound_ms, None, "Gantt chart without stealing") }
        </figure>
        { legend(&r.gantt) }
        if stealing || r.policies.len() > 1 {
            if let Some(spec) = (*chart).clone() {
                <Chart spec={spec} height={260} caption="makespan of every policy on the same tasks, with the lower bound" />
                <p class="muted ws-key">{"½ = steal half the victim's queue, 1 = steal one task; max = rob the busiest worker, rand = a random one."}</p>
            }
        }
        <div class="table-wrap">
            <table class="data" aria-label="Every policy on the same tasks">
                <thead><tr><th>{"policy"}</th><th>{"makespan"}</th><th>{"efficiency"}</th><th>{"steals"}</th><th>{"tasks moved"}</th><th>{"empty probes"}</th></tr></thead>
                <tbody>
                    { for r.policies.iter().map(|q| html! {
                        <tr class={classes!((q.policy == p.policy).then_some("ws-chosen"))}>
                            <td>{ &q.label }</td><td>{ ms(q.makespan_ms) }</td><td>{ pct(q.efficiency, 1) }</td>
                            <td>{ int(u64::from(q.steals)) }</td><td>{ int(q.tasks_stolen) }</td><td>{ int(u64::from(q.failed_probes)) }</td>
                        </tr>
                    }) }
                    if let Some(o) = &r.other_end {
                        <tr><td>{ format!("{}, other deque end", o.label) }</td><td>{ ms(o.makespan_ms) }</td><td>{ pct(o.efficiency, 1) }</td>
                            <td>{ int(u64::from(o.steals)) }</td><td>{ int(o.tasks_stolen) }</td><td>{ int(u64::from(o.failed_probes)) }</td></tr>
                    }
                </tbody>
            </table>
        </div>
        { notes(&r.notes) }
        { claim_section(&r, p.steal_cost_ms) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each worker owns a double-ended queue of tasks. It runs its own newest task first; when its queue is empty it turns thief and moves queued tasks from another worker's queue into its own. A steal can cost time (the thief is busy and not working), and a thief that looks into an empty queue has wasted that time too. Nothing else is shared: no central queue, no coordinator."}</p>
            <p>{"Makespan is when the last task ends. Efficiency is total work ÷ (workers × makespan): the share of all worker time spent on tasks. No schedule can finish before max(total work ÷ workers, largest task), and a greedy schedule — nobody idle while a task waits — always finishes by total ÷ W + (1 − 1/W) × largest (Graham, 1966). Stealing for free is greedy, so the simulation always lands between the two."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's example", &[("workers", "4"), ("tasks", "22"), ("sizes", "unit"), ("task_ms", "1"), ("placement", "book"), ("policy", "half_busiest"), ("steal_end", "opposite"), ("steal_cost_ms", "0")]) }
                { ctx.try_this("Same, steals cost 0.5", &[("workers", "4"), ("tasks", "22"), ("sizes", "unit"), ("placement", "book"), ("policy", "half_busiest"), ("steal_cost_ms", "0.5")]) }
                { ctx.try_this("Book's 1000 tasks, Zipf start", &[("workers", "4"), ("tasks", "1000"), ("sizes", "exponential"), ("task_ms", "1.52"), ("placement", "zipf"), ("skew", "1"), ("policy", "half_busiest"), ("steal_cost_ms", "0")]) }
                { ctx.try_this("Even start: little to gain", &[("workers", "4"), ("tasks", "1000"), ("sizes", "exponential"), ("task_ms", "1.52"), ("placement", "round_robin"), ("policy", "half_busiest"), ("steal_cost_ms", "0")]) }
                { ctx.try_this("One at a time, random, from one worker", &[("workers", "32"), ("tasks", "5000"), ("sizes", "exponential"), ("task_ms", "1"), ("placement", "one"), ("policy", "one_random"), ("steal_cost_ms", "0.05")]) }
                { ctx.try_this("Heavy tails, many workers", &[("workers", "64"), ("tasks", "2000"), ("sizes", "pareto"), ("task_ms", "1"), ("placement", "round_robin"), ("policy", "half_busiest"), ("steal_cost_ms", "0")]) }
                { ctx.try_this("Stealing that costs too much", &[("workers", "8"), ("tasks", "200"), ("sizes", "exponential"), ("task_ms", "1"), ("placement", "round_robin"), ("policy", "one_random"), ("steal_cost_ms", "3")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"In the book's example the busiest-first, steal-half rule reaches 6 units: ⌈22 ÷ 4⌉ = 6 is the best any split of 22 whole tasks over 4 workers can do (the average, 5.5, is not reachable). Give steals a cost and the same rule no longer gets there."}</li>
                <li>{"Stealing one task at a time needs many more steals than stealing half; with a steal cost that difference becomes time. Random victims need no global view of the queues, but when only one worker holds work most probes find an empty queue."}</li>
                <li>{"With heavy-tailed tasks the largest task can exceed a fair share of the whole: then the lower bound is that task, and no policy helps."}</li>
                <li>{"Which end the thief takes from barely changes the makespan of independent tasks. Runtimes steal the oldest end for other reasons: the owner's end then needs no lock (Chase & Lev's deque), and in divide-and-conquer programs the oldest task is the biggest piece of work."}</li>
            </ul>
            <h3>{"Where the book's claims hold and where they fail"}</h3>
            <p>{"“16 units vs 6” holds for the book's queues when stealing is free — and 6 is the perfect whole-task balance, not something every steal order reaches. “800 ms vs 400 ms, 50 % vs 95 %” holds only for a particular starting skew: the table above measures it from several starts on the same 1000 tasks."}</p>
        </section>
        </>
    }
}

fn claim_section(r: &Report, cost: f64) -> Html {
    let c = &r.claim;
    let row = |k: &str| c.rows.iter().find(|x| x.placement == k);
    let verdict = match (row("round_robin"), row("zipf"), row("one")) {
        (Some(rr), Some(z), Some(one)) => format!(
            "From an even start the baseline is already {} efficient, so stealing can gain only {}×; from a Zipf-like start (worker 1 holding 48 % of the work) the baseline is {} at {} and stealing takes it to {} at {} — the book's picture. From all-on-one-worker stealing gains {}×, far more than the book's 2×. With steals free, stealing reaches {}–{} efficiency, above the book's 95 %; a steal cost pulls it down.",
            pct(rr.baseline_efficiency, 0),
            sig3(rr.baseline_ms / rr.stealing_ms),
            pct(z.baseline_efficiency, 0),
            ms(z.baseline_ms),
            pct(z.stealing_efficiency, 0),
            ms(z.stealing_ms),
            sig3(one.baseline_ms / one.stealing_ms),
            pct(c.rows.iter().map(|x| x.stealing_efficiency).fold(1.0, f64::min), 0),
            pct(c.rows.iter().map(|x| x.stealing_efficiency).fold(0.0, f64::max), 0),
        ),
        _ => String::new(),
    };
    html! {
        <section class="ws-claim" aria-label="The book's 1000-task claim, measured">
            <h3>{"The book's “800 ms vs 400 ms, 50 % vs 95 %”, measured"}</h3>
            <p class="muted">{ format!("1000 tasks, {} sizes averaging {} ms (1520 ms of work, what 95 % of 4 workers × 400 ms implies), 4 workers, {}, steal cost {} — same seed, so the same tasks in every row.", sizes_label(&c.sizes), c.task_ms, policy_label(&c.policy), ms(cost)) }</p>
            <div class="table-wrap">
                <table class="data" data-testid="claim">
                    <thead><tr><th>{"starting placement"}</th><th>{"no stealing"}</th><th>{"efficiency"}</th><th>{"stealing"}</th><th>{"efficiency"}</th></tr></thead>
                    <tbody>
                        <tr class="muted"><td>{"the book"}</td><td>{"800 ms"}</td><td>{"50 %"}</td><td>{"400 ms"}</td><td>{"95 %"}</td></tr>
                        { for c.rows.iter().map(|x| html! {
                            <tr data-placement={x.placement.clone()}><td>{ &x.label }</td><td>{ ms(x.baseline_ms) }</td><td>{ pct(x.baseline_efficiency, 0) }</td><td>{ ms(x.stealing_ms) }</td><td>{ pct(x.stealing_efficiency, 0) }</td></tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <p data-testid="claim-verdict">{ verdict }</p>
        </section>
    }
}

fn policy_chart(r: &Report) -> Rc<ChartSpec> {
    let bars: Vec<(f64, f64)> = r
        .policies
        .iter()
        .enumerate()
        .map(|(i, q)| (i as f64, q.makespan_ms))
        .collect();
    let n = r.policies.len() as f64;
    let chosen = r
        .policies
        .iter()
        .position(|q| q.policy == r.chosen.policy)
        .unwrap_or(0);
    Rc::new(ChartSpec {
        title: "Makespan by policy".into(),
        x_label: "policy".into(),
        y_label: "makespan (ms)".into(),
        y_min: Some(0.0),
        categories: r
            .policies
            .iter()
            .map(|q| short_policy(&q.policy).to_string())
            .collect(),
        series: vec![
            Series::new("makespan", Kind::Bars, 0, bars),
            Series::new(
                "lower bound",
                Kind::Dashed,
                5,
                vec![(-0.5, r.lower_bound_ms), (n - 0.5, r.lower_bound_ms)],
            ),
        ],
        marks: vec![Mark {
            x: chosen as f64,
            label: "chosen".into(),
        }],
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Drawings
// ---------------------------------------------------------------------------------------------

/// Width of the stretchable plot area in its own units (it is drawn at 100 % of the column and
/// stretched, so text never goes in it: labels sit in fixed-size SVGs or HTML beside it).
const PW: f64 = 1000.0;
/// Width in CSS pixels of the fixed label strip left of a Gantt chart.
const LABEL_W: f64 = 30.0;

fn row_height(workers: usize) -> f64 {
    if workers <= 8 {
        20.0
    } else if workers <= 16 {
        12.0
    } else {
        6.0
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn f2(x: f64) -> String {
    format!("{x:.2}")
}

/// Worker labels W1… as a fixed-size SVG (every 8th when rows are thin).
fn row_labels(w: usize, rh: f64, top: f64, width: f64) -> Html {
    let every = if w <= 16 { 1 } else { 8 };
    let h = top + rh * w as f64;
    html! {
        <svg class="ws-labels" width={f1(width)} height={f1(h)} viewBox={format!("0 0 {width} {h}")} aria-hidden="true">
            { for (0..w).filter(|i| i % every == 0).map(|i| html! {
                <text x={f1(width - 4.0)} y={f1(top + rh * i as f64 + (rh / 2.0).max(4.0) + 3.5)} text-anchor="end" font-size="11" fill="var(--muted)">{ format!("W{}", i + 1) }</text>
            }) }
        </svg>
    }
}

/// A Gantt chart: a row per worker, time to the right; dashed line at the lower bound, a red
/// line at `now` when live. Bars, steal marks and lines stretch with the column; labels do not.
fn gantt_svg(g: &Gantt, lower_bound: f64, now: Option<f64>, label: &str) -> Html {
    let w = g.rows.len().max(1);
    let rh = row_height(w);
    let top = 3.0;
    let plot_h = rh * w as f64;
    let h = top + plot_h + 3.0;
    let x = |t: f64| PW * (t / g.horizon_ms).clamp(0.0, 1.0);
    let y = |i: u32| top + rh * f64::from(i);
    let bars = g
        .rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().map(move |b| (i, b)));
    let ticks = 4;
    html! {
        <div class="ws-gantt-box">
            <div class="ws-gantt-row">
                { row_labels(w, rh, top, LABEL_W) }
                <svg class="ws-plot" height={f1(h)} viewBox={format!("0 0 {PW} {h}")} preserveAspectRatio="none" role="img" aria-label={label.to_string()}>
                    <rect x="0" y={f1(top)} width={f1(PW)} height={f1(plot_h)} fill="var(--bg)" />
                    { for bars.map(|(i, b)| {
                        let (x0, x1) = (x(b.start_ms), x(b.end_ms));
                        let fill = match b.kind { BarKind::Own | BarKind::Busy => "var(--c0)", BarKind::Stolen => "var(--c1)", BarKind::Steal => "var(--c4)" };
                        let (pad, hh) = if b.kind == BarKind::Steal { (rh * 0.3, rh * 0.4) } else { (rh * 0.08, rh * 0.84) };
                        html! { <rect x={f2(x0)} y={f1(y(i as u32) + pad)} width={f2((x1 - x0).max(0.8))} height={f1(hh)}
                            fill={fill} fill-opacity={if b.kind == BarKind::Busy { format!("{}", b.level) } else { "1".into() }}
                            stroke={if g.detailed && rh >= 12.0 { "var(--panel)" } else { "none" }} stroke-width="1" vector-effect="non-scaling-stroke" /> }
                    }) }
                    { for g.steals.iter().map(|s| {
                        let xs = x(s.t_ms);
                        let (yv, yt) = (y(s.victim) + rh / 2.0, y(s.thief) + rh / 2.0);
                        let head = if yt > yv { yt - rh * 0.3 } else { yt + rh * 0.3 };
                        html! { <g>
                            <line x1={f2(xs)} y1={f1(yv)} x2={f2(xs)} y2={f1(yt)} stroke="var(--c3)" stroke-width="1.5" vector-effect="non-scaling-stroke" />
                            <line x1={f2(xs)} y1={f1(head)} x2={f2(xs)} y2={f1(yt)} stroke="var(--c3)" stroke-width="5" vector-effect="non-scaling-stroke" />
                        </g> }
                    }) }
                    if lower_bound > 0.0 && lower_bound <= g.horizon_ms {
                        <line x1={f2(x(lower_bound))} y1={f1(top)} x2={f2(x(lower_bound))} y2={f1(top + plot_h)} stroke="var(--fg)" stroke-dasharray="4 3" stroke-width="1.2" vector-effect="non-scaling-stroke" />
                    }
                    if let Some(t) = now {
                        <line x1={f2(x(t))} y1="0" x2={f2(x(t))} y2={f1(h)} stroke="var(--c4)" stroke-width="2" vector-effect="non-scaling-stroke" />
                    }
                </svg>
            </div>
            <div class="ws-axis" aria-hidden="true">
                { for (0..=ticks).map(|k| html! { <span>{ ms(g.horizon_ms * f64::from(k) / f64::from(ticks)) }</span> }) }
            </div>
        </div>
    }
}

fn legend(g: &Gantt) -> Html {
    let items: Vec<(&str, &str)> = if g.detailed {
        vec![
            ("ws-own", "own task"),
            ("ws-stolen", "stolen task"),
            ("ws-cost", "stealing (its cost)"),
            ("ws-mark", "steal: victim → thief"),
            ("ws-bound", "lower bound"),
        ]
    } else {
        vec![
            ("ws-own", "share of time busy (fainter = more idle)"),
            ("ws-mark", "steals (a sample)"),
            ("ws-bound", "lower bound"),
        ]
    };
    html! {
        <ul class="ws-legend" aria-label="Legend">
            { for items.iter().map(|(c, t)| html! { <li><span class={classes!("ws-sw", *c)}></span>{ *t }</li> }) }
        </ul>
    }
}

/// How much of a task running from `since_ms` to `until_ms` is done at `now_ms`, in 0–1.
fn share_done(since_ms: f64, until_ms: f64, now_ms: f64) -> f64 {
    if until_ms > since_ms {
        ((now_ms - since_ms) / (until_ms - since_ms)).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// The workers at `now_ms` (the view's clock, at or after the snapshot's last event): each row
/// a worker, what it is doing (a running task's share done grows with the clock), its queue;
/// arrows for steals under way.
fn workers_svg(s: &Snapshot, scale: u32, now_ms: f64) -> Html {
    let w = s.workers.len().max(1);
    let rh = if w <= 8 {
        22.0
    } else if w <= 16 {
        13.0
    } else {
        6.0
    };
    let h = rh * w as f64 + 6.0;
    let y = |i: usize| 3.0 + rh * i as f64;
    let scale = f64::from(scale.max(1));
    let blocks = w <= 8 && scale <= 40.0;
    let lw = 128.0;
    html! {
        <div class="ws-gantt-row">
            <svg class="ws-labels" width={f1(lw)} height={f1(h)} viewBox={format!("0 0 {lw} {h}")} role="img"
                 aria-label={format!("{} workers; {} tasks queued in all; {} of {} done", w, s.workers.iter().map(|x| x.queued).sum::<u32>(), s.done, s.total)}>
                { for s.workers.iter().enumerate().map(|(i, k)| {
                    let yy = y(i);
                    let (fill, text) = match k.state {
                        WorkerState::Running { since_ms, until_ms, .. } => {
                            let frac = share_done(since_ms, until_ms, now_ms.max(s.t_ms));
                            ("var(--c0)", format!("run {:.0}%", frac * 100.0))
                        }
                        WorkerState::Stealing { .. } => ("var(--c4)", "steal".to_string()),
                        WorkerState::Probing { .. } => ("var(--c5)", "probe".to_string()),
                        WorkerState::Idle => ("none", "idle".to_string()),
                        WorkerState::Waiting => ("none", String::new()),
                    };
                    html! { <g>
                        if rh >= 12.0 || i % 8 == 0 {
                            <text x="0" y={f1(yy + (rh / 2.0).max(4.0) + 3.5)} font-size="11" fill="var(--fg)">{ format!("W{}", i + 1) }</text>
                        }
                        <rect x="40" y={f1(yy + 1.5)} width="54" height={f1((rh - 3.0).max(2.0))} rx="3" fill={fill} stroke="var(--border)" stroke-width="0.8" />
                        if rh >= 12.0 {
                            <text x="67" y={f1(yy + rh / 2.0 + 3.5)} text-anchor="middle" font-size="10" fill={if fill == "none" { "var(--muted)" } else { "var(--panel)" }}>{ text }</text>
                            <text x={f1(lw - 2.0)} y={f1(yy + rh / 2.0 + 3.5)} text-anchor="end" font-size="11" fill="var(--muted)">{ int(u64::from(k.queued)) }</text>
                        }
                    </g> }
                }) }
                { for s.workers.iter().enumerate().filter_map(|(i, k)| match k.state {
                    WorkerState::Stealing { victim, .. } | WorkerState::Probing { victim, .. } => Some((i, victim as usize)),
                    _ => None,
                }).map(|(thief, victim)| {
                    let (ya, yb) = (y(victim) + rh / 2.0, y(thief) + rh / 2.0);
                    html! { <path d={format!("M 40 {ya:.1} C 24 {ya:.1}, 24 {yb:.1}, 40 {yb:.1}")} fill="none" stroke="var(--c3)" stroke-width="2" /> }
                }) }
            </svg>
            <svg class="ws-plot" height={f1(h)} viewBox={format!("0 0 {PW} {h}")} preserveAspectRatio="none" aria-hidden="true">
                { for s.workers.iter().enumerate().map(|(i, k)| {
                    let yy = y(i);
                    if blocks {
                        let n = k.queued.min(40);
                        let bw = PW / scale.max(16.0);
                        html! { <>{ for (0..n).map(|j| html! {
                            <rect x={f1(bw * f64::from(j))} y={f1(yy + 2.5)} width={f1(bw * 0.85)} height={f1(rh - 5.0)} fill="var(--c2)" />
                        }) }</> }
                    } else {
                        let len = PW * (f64::from(k.queued) / scale).min(1.0);
                        html! { <rect x="0" y={f1(yy + rh * 0.15)} width={f1(len)} height={f1(rh * 0.7)} fill="var(--c2)" /> }
                    }
                }) }
            </svg>
        </div>
    }
}

fn narrate(s: &Snapshot) -> String {
    let w = |i: u32| format!("W{}", i + 1);
    let parts: Vec<String> = s
        .last
        .iter()
        .map(|h| match *h {
            Happening::Started {
                worker,
                task,
                stolen,
                ..
            } => format!(
                "{} starts task {}{}",
                w(worker),
                task + 1,
                if stolen { " (stolen)" } else { "" }
            ),
            Happening::Finished { worker, task } => {
                format!("{} finishes task {}", w(worker), task + 1)
            }
            Happening::StealBegan {
                thief,
                victim,
                count,
            } => format!(
                "{} steals {} task{} from {}",
                w(thief),
                count,
                if count == 1 { "" } else { "s" },
                w(victim)
            ),
            Happening::StealLanded { thief, count } => format!(
                "{} {} at {}",
                count,
                if count == 1 {
                    "task lands"
                } else {
                    "tasks land"
                },
                w(thief)
            ),
            Happening::ProbeFailed { thief, victim } => {
                format!("{} finds {}'s queue empty", w(thief), w(victim))
            }
            Happening::WentIdle { worker } => format!("{} goes idle", w(worker)),
        })
        .collect();
    const SHOWN: usize = 6;
    if parts.is_empty() {
        "Before the start: every worker holds its starting queue.".into()
    } else if parts.len() > SHOWN {
        format!(
            "At {}: {}; and {} more.",
            ms(s.t_ms),
            parts[..SHOWN].join("; "),
            parts.len() - SHOWN
        )
    } else {
        format!("At {}: {}.", ms(s.t_ms), parts.join("; "))
    }
}

// ---------------------------------------------------------------------------------------------
// The live run
// ---------------------------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
struct LiveProps {
    params: Params,
    seed: u64,
    id: AttrValue,
    report: Rc<Report>,
}

/// The live run, with the axis its Gantt chart is drawn on (the batch run's horizon and
/// makespan, in ms), so the chart grows into the frame the finished run fills.
struct Live {
    sim: StealSim,
    horizon_ms: f64,
    span_ms: f64,
}

impl Simulation for Live {
    fn now(&self) -> f64 {
        self.sim.now()
    }
    fn step(&mut self) -> bool {
        self.sim.step()
    }
    fn advance_to(&mut self, t: f64) {
        self.sim.advance_to(t)
    }
    fn next_event_time(&self) -> Option<f64> {
        self.sim.next_event_time()
    }
}

/// What the live view draws at simulated time `t` (seconds): the workers, and the Gantt chart
/// so far, bars clipped at `t`.
fn live_at(l: &Live, t: f64) -> (Snapshot, Rc<Gantt>) {
    let gantt = l.sim.gantt(l.horizon_ms, l.span_ms, t * 1000.0);
    (l.sim.snapshot(), Rc::new(gantt))
}

/// The chosen policy's run, played from the same seed: the workers and the Gantt chart growing.
#[component]
fn LiveRun(props: &LiveProps) -> Html {
    let LiveProps {
        params,
        seed,
        id,
        report,
    } = props;
    // the whole run plays in about 8 s at 1×: the clock is in simulated seconds
    let pace = report.makespan_ms.max(1e-9) / 8000.0;
    let live = use_live_sim_at(
        (
            params.clone(),
            *seed,
            report.gantt.horizon_ms,
            report.makespan_ms,
        ),
        |d| Live {
            sim: StealSim::from_params(&d.0, d.1),
            horizon_ms: d.2,
            span_ms: d.3,
        },
        live_at,
        pace,
        // the run ends when its last task does: the batch run's makespan, from the same seed
        |l| l.span_ms / 1000.0,
    );
    let (s, live_gantt) = &*live.snap;
    let t = live.clock * 1000.0;
    // before the first event the chart shows the whole run, to be watched growing
    let started = !s.last.is_empty() || t > 0.0;
    let speeds: Vec<f64> = [0.25, 0.5, 1.0, 2.0, 4.0]
        .iter()
        .map(|x| x * pace)
        .collect();
    let labels: Vec<AttrValue> = ["0.25×", "0.5×", "1×", "2×", "4×"]
        .into_iter()
        .map(AttrValue::from)
        .collect();
    let status = format!(
        "t = {} · {} of {} tasks done · {} steal{}",
        ms(t),
        int(u64::from(s.done)),
        int(u64::from(s.total)),
        int(u64::from(s.steals)),
        if s.steals == 1 { "" } else { "s" }
    );
    let scale = report
        .per_worker
        .iter()
        .map(|w| w.start_tasks)
        .max()
        .unwrap_or(1);
    let (g, now) = if started {
        (live_gantt.clone(), Some(t))
    } else {
        (Rc::new(report.gantt.clone()), None)
    };
    html! {
        <section class="live" aria-label="The run, live">
            <h3>{ format!("The run with {}, live", policy_label(&params.policy)) }</h3>
            { live.player_labelled(speeds, labels, status, id.clone()) }
            <p class="ws-narration" aria-live="polite" data-testid="narration">{ narrate(s) }</p>
            <figure class="chart">
                <figcaption><span class="chart-title">{"Workers: what each runs now, and its queue"}</span></figcaption>
                { workers_svg(s, scale, t) }
            </figure>
            <figure class="chart ws-gantt">
                <figcaption><span class="chart-title">{ match now { Some(_) => format!("With stealing: the schedule so far (ends at {})", ms(report.makespan_ms)), None => format!("With stealing: {} (press Play or Step to watch it grow)", ms(report.makespan_ms)) } }</span></figcaption>
                { gantt_svg(&g, report.lower_bound_ms, now, "Gantt chart with stealing") }
            </figure>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_running_task_fills_with_the_clock() {
        assert_eq!(share_done(2.0, 3.0, 2.0), 0.0);
        assert_eq!(share_done(2.0, 3.0, 2.25), 0.25);
        assert_eq!(share_done(2.0, 3.0, 9.0), 1.0);
        assert_eq!(share_done(2.0, 3.0, 1.0), 0.0);
        assert_eq!(share_done(2.0, 2.0, 2.0), 1.0); // a zero-length task is done
    }

    #[test]
    fn the_live_run_ends_where_the_batch_run_does() {
        use sim::model::Model;
        use sim::models::work_stealing::WorkStealing;
        let p = Params::default();
        let r = WorkStealing::run(&p, 7);
        let mut l = Live {
            sim: StealSim::from_params(&p, 7),
            horizon_ms: r.gantt.horizon_ms,
            span_ms: r.makespan_ms,
        };
        // the player plays to span_ms: every event must be at or before it
        l.advance_to(r.makespan_ms / 1000.0);
        assert!(
            l.next_event_time().is_none(),
            "events after the batch run's makespan"
        );
        let (s, g) = live_at(&l, r.makespan_ms / 1000.0);
        assert_eq!(s.done, s.total);
        assert_eq!(*g, r.gantt);
    }
}
