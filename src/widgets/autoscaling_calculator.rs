//! View of `autoscaling-calculator` (book page 22): the book's instance count, then that count
//! judged as an M/M/c queue — by formula and by a seeded discrete-event simulation that plays
//! live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::autoscaling_calculator::{Params, QueueSim, QueueSnapshot, Report};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// The autoscaling-calculator widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, p99_chart);
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let s = &r.simulated;
    let sim_p_ci = s.p_wait_ci95.max(s.p_wait_ci95_batch);
    html! {
        <>
        <p class="callout">
            { format!("The book's rule: instances = ⌈λ·S ÷ U⌉ = ⌈{} × {} s ÷ {}⌉ = ⌈{}⌉ = ", sig3(p.arrival_rate), sig3(p.service_ms / 1000.0), pct(p.target_util / 100.0, 0), sig3(r.formula_exact)) }
            <strong data-metric="formula_instances">{ r.formula_instances }</strong>
            { if p.instances == 0 { " instances. Below, that count is judged as a queue." } else { " instances; below, your own count is judged." } }
        </p>
        <dl class="metrics">
            { metric("instances", "Instances judged (c)", int(u64::from(r.instances)), Some(format!("offered load {} erlangs", sig3(r.offered_load))), Tone::Plain) }
            { metric("utilisation", "Utilisation ρ = λS/c", pct(r.utilisation, 1), Some(if r.stable { "stable".into() } else { "overloaded: ρ ≥ 100 %".into() }), if r.stable { Tone::Plain } else { Tone::Bad }) }
            { metric("p_wait", "P(wait) — Erlang C", r.p_wait.map(|x| pct(x, 2)).unwrap_or_else(|| "100 %".into()), Some(format!("simulated {} ± {}", pct(s.p_wait, 2), pct(sim_p_ci, 2))), Tone::Plain) }
            { metric("mean_wait", "Mean wait in queue", ms(r.mean_wait_ms), Some(format!("simulated {}", ms(Some(s.mean_wait_ms)))), Tone::Plain) }
            { metric("p99", "p99 response time", ms(r.p99_ms), Some(format!("simulated {}", ms(Some(s.p99_ms)))), if r.p99_ms.is_some_and(|x| x <= r.p99_service_only_ms * 1.1) { Tone::Good } else { Tone::Bad }) }
            { metric("enough", "Enough for p99 within 10 %", r.c_for_p99_within_10pct.map(|c| int(u64::from(c))).unwrap_or_else(|| "—".into()), Some(format!("service-time p99 alone: {}", ms(Some(r.p99_service_only_ms)))), Tone::Plain) }
        </dl>
        if let Some(spec) = (*chart).clone() {
            <Chart spec={spec} height={280} caption="p99 response time against instance count, with the formula's answer marked" />
        }
        <div class="table-wrap">
            <table class="data" aria-label="Formula against simulation">
                <thead><tr><th>{"measure"}</th><th>{"M/M/c formula"}</th><th>{ format!("simulation ({} requests)", int(u64::from(s.requests_measured))) }</th></tr></thead>
                <tbody>
                    <tr><td>{"probability of waiting"}</td><td>{ r.p_wait.map(|x| pct(x, 2)).unwrap_or("100 %".into()) }</td><td>{ format!("{} ± {}", pct(s.p_wait, 2), pct(sim_p_ci, 2)) }</td></tr>
                    <tr><td>{"mean wait"}</td><td>{ ms(r.mean_wait_ms) }</td><td>{ ms(Some(s.mean_wait_ms)) }</td></tr>
                    <tr><td>{"mean response"}</td><td>{ ms(r.mean_response_ms) }</td><td>{ ms(Some(s.mean_response_ms)) }</td></tr>
                    <tr><td>{"median response"}</td><td>{ ms(r.p50_ms) }</td><td>{ ms(Some(s.p50_ms)) }</td></tr>
                    <tr><td>{"p99 response"}</td><td>{ ms(r.p99_ms) }</td><td>{ ms(Some(s.p99_ms)) }</td></tr>
                    <tr><td>{"utilisation"}</td><td>{ pct(r.utilisation.min(1.0), 1) }</td><td>{ pct(s.utilisation, 1) }</td></tr>
                    <tr><td>{"longest queue"}</td><td>{"—"}</td><td>{ int(u64::from(s.max_queue)) }</td></tr>
                </tbody>
            </table>
        </div>
        { notes(&r.notes) }
        <LiveQueue params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"The book sizes a fleet by dividing the work arriving per second (λ·S, in busy instances) by a target utilisation. That fixes the average, not the wait. Requests arrive at random (Poisson) and take random times (exponential), so even a fleet that is busy 70 % of the time sometimes has every instance occupied and a queue forms. Erlang's C formula gives the chance a request has to wait; the simulation below plays the same queue request by request, and its measured figures sit beside the formulas."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's example", &[("arrival_rate", "1000"), ("service_ms", "100"), ("target_util", "70"), ("instances", "0")]) }
                { ctx.try_this("Same 70 %, small service", &[("arrival_rate", "20"), ("service_ms", "100"), ("target_util", "70"), ("instances", "0")]) }
                { ctx.try_this("Run hot: 95 %", &[("target_util", "95"), ("instances", "0")]) }
                { ctx.try_this("Fewer instances: 105", &[("arrival_rate", "1000"), ("service_ms", "100"), ("instances", "105")]) }
                { ctx.try_this("Overloaded: 99", &[("arrival_rate", "1000"), ("service_ms", "100"), ("instances", "99"), ("sim_requests", "20000")]) }
            </p>
            <h3>{"Where the book's rule holds and where it fails"}</h3>
            <p>{"At large scale a fixed utilisation target is wasteful: 1000 req/s at 100 ms needs far fewer than 143 instances to keep p99 near the service time, because many servers pool their idle time. At small scale the same 70 % is not enough: with a load of 2 erlangs, 3 instances leave a third of requests waiting. Queueing, not averages, decides the latency."}</p>
        </section>
        </>
    }
}

fn p99_chart(r: &Report) -> Rc<ChartSpec> {
    let pts: Vec<(f64, f64)> = r
        .curve
        .iter()
        .map(|c| (f64::from(c.instances), c.p99_ms))
        .collect();
    let (x0, x1) = (
        pts.first().map(|p| p.0).unwrap_or(1.0),
        pts.last().map(|p| p.0).unwrap_or(2.0),
    );
    let (lo, hi) = pts
        .iter()
        .fold((f64::MAX, 0f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let mut marks = vec![Mark {
        x: f64::from(r.formula_instances),
        label: format!("formula {}", r.formula_instances),
    }];
    if r.instances != r.formula_instances {
        marks.push(Mark {
            x: f64::from(r.instances),
            label: format!("judged {}", r.instances),
        });
    }
    Rc::new(ChartSpec {
        title: "p99 response time vs instances".into(),
        x_label: "instances (c)".into(),
        y_label: "p99 response (ms)".into(),
        // a log axis only when p99 spans more than a decade; otherwise its ticks say little
        y_log: hi > 10.0 * lo.max(1e-9),
        series: vec![
            Series::new("p99, M/M/c", Kind::Line, 0, pts),
            Series::new(
                "service time alone",
                Kind::Dashed,
                5,
                vec![(x0, r.p99_service_only_ms), (x1, r.p99_service_only_ms)],
            ),
        ],
        marks,
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// The same queue, played live from the same seed.
#[component]
fn LiveQueue(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| QueueSim::new(&d.0, d.1),
        |s| s.snapshot(),
        0.1,
    );
    let clock = live.clock;
    let s: &QueueSnapshot = &live.snap;
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"The queue, live"}</h3>
            { live.player(vec![0.01, 0.1, 0.5, 1.0, 5.0], format!("t = {:.2} s · {} arrived · {} done", s.t.max(clock), int(u64::from(s.arrived)), int(u64::from(s.completed))), id.clone()) }
            { servers_svg(s) }
            <dl class="metrics">
                { metric("live_busy", "Busy instances", format!("{} / {}", s.busy, s.servers), None, Tone::Plain) }
                { metric("live_queue", "Waiting in queue", int(u64::from(s.queue_len)), None, if s.queue_len > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_waited", "Waited so far", pct(s.waited_fraction_so_far, 2), None, Tone::Plain) }
                { metric("live_recent", "Recent responses, median", s.recent_median().map(|m| format!("{} ms", sig3(m))).unwrap_or("—".into()), None, Tone::Plain) }
            </dl>
        </section>
    }
}

trait RecentMedian {
    fn recent_median(&self) -> Option<f64>;
}

impl RecentMedian for QueueSnapshot {
    fn recent_median(&self) -> Option<f64> {
        if self.recent.is_empty() {
            return None;
        }
        let mut v = self.recent.clone();
        v.sort_unstable_by(f64::total_cmp);
        Some(sim::stats::quantile_sorted(&v, 0.5))
    }
}

/// Instances as a grid of cells (busy filled), the queue as a bar beside it.
fn servers_svg(s: &QueueSnapshot) -> Html {
    let c = s.servers.max(1);
    if c > 400 {
        let frac = f64::from(s.busy) / f64::from(c);
        return html! {
            <svg class="drawing" viewBox="0 0 300 40" role="img" aria-label={format!("{} of {} instances busy, {} waiting", s.busy, c, s.queue_len)}>
                <rect x="0" y="8" width="300" height="18" rx="3" fill="var(--bg)" stroke="var(--border)" />
                <rect x="0" y="8" width={format!("{:.1}", 300.0 * frac)} height="18" rx="3" fill="var(--c0)" />
            </svg>
        };
    }
    let cols = (f64::from(c).sqrt() * 1.8).ceil().max(1.0) as u32;
    let rows = c.div_ceil(cols);
    let cell = 12.0;
    let w = f64::from(cols) * cell;
    let h = f64::from(rows) * cell;
    let q = s.queue_len.min(60);
    let total_w = w + 20.0 + 80.0;
    html! {
        <div class={crate::chrome::dom::scroll_box(total_w, 11.0)}>
        <svg class="drawing servers" viewBox={format!("0 0 {total_w} {}", h.max(24.0))} role="img"
             aria-label={format!("{} of {} instances busy, {} waiting", s.busy, c, s.queue_len)}>
            { for (0..c).map(|i| {
                let (x, y) = (f64::from(i % cols) * cell, f64::from(i / cols) * cell);
                let busy = i < s.busy;
                html! { <rect x={format!("{:.0}", x + 1.0)} y={format!("{:.0}", y + 1.0)} width="10" height="10" rx="2"
                    fill={if busy { "var(--c0)" } else { "none" }} stroke="var(--grid)" stroke-width="0.6" /> }
            }) }
            <text x={format!("{:.0}", w + 20.0)} y="10" font-size="11" fill="var(--muted)">{"queue"}</text>
            { for (0..q).map(|j| html! { <rect x={format!("{:.0}", w + 20.0 + f64::from(j % 8) * 10.0)} y={format!("{:.0}", 14.0 + f64::from(j / 8) * 10.0)} width="8" height="8" rx="4" fill="var(--c1)" /> }) }
        </svg>
        </div>
    }
}
