//! View of `adaptive-concurrency` (book page 23): AIMD, Gradient2 and Vegas limiters in front
//! of a server whose capacity is hidden and changes mid-run — the limit each finds against the
//! Little's-law optimum, time series, and the chosen limiter played live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::adaptive_concurrency::{
    AcSim, LimiterKind, LimiterReport, Params, Phase, Report, Snapshot,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn ratio_tone(ph: &Phase) -> Tone {
    if ph.ratio >= 0.9 && ph.ratio <= 1.3 {
        Tone::Good
    } else if ph.ratio < 0.75 || ph.ratio > 1.8 {
        Tone::Bad
    } else {
        Tone::Plain
    }
}

fn phase_metrics(key: &str, when: &str, ph: &Option<Phase>) -> Html {
    let Some(ph) = ph else {
        return html! {};
    };
    html! {
        <>
        { metric(&format!("limit_{key}"), &format!("Average limit {when}"), sig3(ph.avg_limit),
            Some(format!("optimum {} · {}×", sig3(ph.optimum), sig3(ph.ratio))), ratio_tone(ph)) }
        { metric(&format!("throughput_{key}"), &format!("Throughput {when}"), format!("{} req/s", sig3(ph.throughput)),
            Some(format!("capacity {} req/s", sig3(ph.capacity_rps))), if ph.throughput >= 0.95 * ph.capacity_rps { Tone::Good } else { Tone::Bad }) }
        { metric(&format!("latency_{key}"), &format!("Latency {when}"), format!("{} ms", sig3(ph.latency_ms)),
            Some(format!("Little's law at that limit: {} ms", sig3(ph.latency_little_ms))), Tone::Plain) }
        </>
    }
}

/// The adaptive-concurrency widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let p = p.clone();
        move |r| charts(r, &p)
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let Some(l) = r.chosen() else {
        return html! { <p class="notice">{"No limiter in the report."}</p> };
    };
    html! {
        <>
        <p class="callout">
            { format!("Little's law: in flight = throughput × latency. The server is just saturated, with no queue, at limit* = c·μ × S = (c ÷ {s} ms) × {s} ms = c = ", s = sig3(p.service_ms)) }
            <strong data-metric="optimum_before">{ sig3(r.optimum_before) }</strong>
            { format!(" requests in flight before the change at {} s and ", sig3(p.change_at_s)) }
            <strong data-metric="optimum_after">{ sig3(r.optimum_after) }</strong>
            { format!(" after it. Below that slots idle; above it requests only wait. {} is shown below; the limiters never see c.", l.name) }
        </p>
        <dl class="metrics">
            { phase_metrics("before", "before", &l.before) }
            { phase_metrics("after", "after", &l.after) }
            { metric("rejected", "Rejected (whole run)", pct(l.rejected as f64 / (l.arrived.max(1)) as f64, 1),
                Some(format!("{} of {} requests", int(l.rejected), int(l.arrived))), Tone::Plain) }
        </dl>
        if let Some(c) = (*charts).clone() {
            <Chart spec={c.0.clone()} height={260} caption="Concurrency limit over time for all three limiters, with the Little's-law optimum" />
            <Chart spec={c.1.clone()} height={220} caption="Throughput of the chosen limiter against the server's capacity" />
            <Chart spec={c.2.clone()} height={220} caption="Mean latency of the chosen limiter against the no-load latency" />
        }
        { table(&r) }
        { notes(&r.notes) }
        <Live params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Clients send more requests than the server can take. A concurrency limiter in front admits a request only while fewer than its limit are in flight and turns the rest away at once. The server's real capacity — how many requests it works on in parallel — is hidden, and it halves half-way through. Each limiter has to find it from what it can see: the latency of the requests it let through. All three run on the same seeded arrivals; the charts follow the one you pick."}</p>
            <p>{"The target is Little's law: at the best limit every slot is busy and nobody queues, so the limit equals throughput × no-load latency, which is the slot count c. A limit below it wastes capacity (throughput drops); above it only adds queueing (latency grows as limit × S ÷ c, which the table checks against the measured latency)."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Gradient2", &[("limiter", "gradient2")]) }
                { ctx.try_this("Vegas", &[("limiter", "vegas")]) }
                { ctx.try_this("Capacity doubles", &[("capacity_before", "10"), ("capacity_after", "20"), ("offered_rate", "1500")]) }
                { ctx.try_this("A tight AIMD timeout", &[("limiter", "aimd"), ("aimd_timeout_x", "1.15")]) }
                { ctx.try_this("Long run: Gradient2 drifts", &[("limiter", "gradient2"), ("capacity_after", "20"), ("service_ms", "5"), ("offered_rate", "6000"), ("duration_s", "40"), ("change_at_s", "20")]) }
                { ctx.try_this("Vegas starts above a tiny server", &[("limiter", "vegas"), ("capacity_before", "2"), ("capacity_after", "2"), ("offered_rate", "300"), ("initial_limit", "10")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"Every limiter settles a little above the optimum, on purpose: each keeps a small standing queue so that no slot ever idles. AIMD saws between β·x·c and x·c, where x is its timeout in multiples of S, so it averages about x·c·(1+β)/2 (1.43·c with the defaults). Vegas aims for a queue of α = 3·log10(limit) to β = 6·log10(limit) requests, so it sits near c + 4 to c + 8. Gradient2 tolerates latency up to 1.5× its long-term average — and that average follows the latency it causes, so it keeps creeping up. When the capacity halves, all three come down within a second or two; rejections take the excess, and the latency of what is admitted stays bounded."}</p>
            <h3>{"Where the book's claim holds and where it fails"}</h3>
            <p>{"The book says a limiter that probes, watches latency and backs off “finds optimal concurrency automatically”. It holds in the sense that matters: each limiter lands within a small factor of c and follows c when it moves, with throughput at capacity. It is not exact, and the table shows by how much. It also fails in two measurable ways: Gradient2's long-term average absorbs the queueing it causes, so after a few hundred windows its limit ratchets up — about twice the optimum in the default run, with latency to match — and it never comes back while the load lasts; and Vegas, started above a small server, never sees it unloaded, takes the queue for the no-load latency and keeps a limit several times too high."}</p>
        </section>
        </>
    }
}

fn table(r: &Report) -> Html {
    let row = |l: &LimiterReport, ph: &Option<Phase>, when: &str| -> Html {
        match ph {
            Some(ph) => html! {
                <tr class={if l.key == r.chosen { "chosen" } else { "" }}>
                    <td>{ format!("{} {when}", l.name) }</td>
                    <td>{ sig3(ph.avg_limit) }</td>
                    <td>{ sig3(ph.optimum) }</td>
                    <td>{ format!("{}×", sig3(ph.ratio)) }</td>
                    <td>{ sig3(ph.throughput) }</td>
                    <td>{ sig3(ph.latency_ms) }</td>
                    <td>{ sig3(ph.latency_little_ms) }</td>
                    <td>{ pct(ph.rejected, 1) }</td>
                </tr>
            },
            None => html! {},
        }
    };
    html! {
        <div class="table-wrap">
            <table class="data" aria-label="Limit found against the optimum, per limiter and phase">
                <thead><tr>
                    <th>{"limiter, phase"}</th><th>{"avg limit"}</th><th>{"optimum c"}</th><th>{"ratio"}</th>
                    <th>{"req/s"}</th><th>{"latency ms"}</th><th>{"Little's law ms"}</th><th>{"rejected"}</th>
                </tr></thead>
                <tbody>
                    { for r.limiters.iter().map(|l| html! { <>{ row(l, &l.before, "before") }{ row(l, &l.after, "after") }</> }) }
                </tbody>
            </table>
            <p class="muted small">{"Each phase is measured over its second half, once the limiter has had time to settle. Little's law column: max(S, limit × S ÷ c), the latency a saturated server gives at that many requests in flight."}</p>
        </div>
    }
}

type Charts = (Rc<ChartSpec>, Rc<ChartSpec>, Rc<ChartSpec>);

fn charts(r: &Report, p: &Params) -> Charts {
    let d = p.duration_s;
    let c = p.change_at_s;
    let optimum = vec![
        (0.0, r.optimum_before),
        (c, r.optimum_before),
        (c, r.optimum_after),
        (d, r.optimum_after),
    ];
    let marks = if c > 0.0 && c < d {
        vec![Mark {
            x: c,
            label: "capacity changes".into(),
        }]
    } else {
        vec![]
    };
    let mut limits: Vec<Series> = r
        .limiters
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Series::new(
                l.name.clone(),
                Kind::Line,
                i,
                l.series.iter().map(|pt| (pt.t, pt.limit)).collect(),
            )
        })
        .collect();
    limits.push(Series::new(
        "optimum c (Little's law)",
        Kind::Dashed,
        5,
        optimum,
    ));
    let chosen = r.chosen().cloned().unwrap_or_else(|| r.limiters[0].clone());
    let cap = |slots: f64| slots * 1000.0 / p.service_ms;
    let capacity = vec![
        (0.0, cap(f64::from(p.capacity_before))),
        (c, cap(f64::from(p.capacity_before))),
        (c, cap(f64::from(p.capacity_after))),
        (d, cap(f64::from(p.capacity_after))),
    ];
    let idx = LimiterKind::ALL
        .iter()
        .position(|k| k.key() == chosen.key)
        .unwrap_or(0);
    (
        Rc::new(ChartSpec {
            title: "Concurrency limit over time".into(),
            x_label: "time (s)".into(),
            y_label: "limit (requests)".into(),
            y_min: Some(0.0),
            series: limits,
            marks: marks.clone(),
            ..Default::default()
        }),
        Rc::new(ChartSpec {
            title: format!("{}: throughput", chosen.name),
            x_label: "time (s)".into(),
            y_label: "completions / s".into(),
            y_min: Some(0.0),
            series: vec![
                Series::new(
                    format!("{} throughput", chosen.name),
                    Kind::Line,
                    idx,
                    chosen
                        .series
                        .iter()
                        .map(|pt| (pt.t, pt.throughput))
                        .collect(),
                ),
                Series::new("server capacity c·μ", Kind::Dashed, 5, capacity),
            ],
            marks: marks.clone(),
            ..Default::default()
        }),
        Rc::new(ChartSpec {
            title: format!("{}: latency", chosen.name),
            x_label: "time (s)".into(),
            y_label: "mean latency (ms)".into(),
            y_min: Some(0.0),
            series: vec![
                Series::new(
                    format!("{} latency", chosen.name),
                    Kind::Line,
                    idx,
                    chosen
                        .series
                        .iter()
                        .filter(|pt| pt.latency_ms > 0.0)
                        .map(|pt| (pt.t, pt.latency_ms))
                        .collect(),
                ),
                Series::new(
                    "no-load latency S",
                    Kind::Dashed,
                    5,
                    vec![(0.0, p.service_ms), (d, p.service_ms)],
                ),
            ],
            marks,
            ..Default::default()
        }),
    )
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn fresh(p: &Params, seed: u64) -> AcSim {
    AcSim::new(LimiterKind::parse(&p.limiter), p, seed)
}

/// The chosen limiter, played live from the same seed.
#[component]
fn Live(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| fresh(&d.0, d.1),
        |s| s.snapshot(),
        0.1,
    );
    let clock = live.clock;
    let s: &Snapshot = &live.snap;
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{ format!("{} in front of the server, live", s.kind.name()) }</h3>
            { live.player(vec![0.01, 0.1, 0.5, 1.0], format!("t = {:.2} s · {} arrived · {} admitted · {} rejected", s.t.max(clock), int(s.arrived), int(s.admitted), int(s.rejected)), id.clone()) }
            { drawing(s) }
            <dl class="metrics">
                { metric("live_limit", "Limit now", sig3(s.limit), Some(format!("optimum now {}", sig3(s.optimum))), Tone::Plain) }
                { metric("live_in_flight", "In flight", format!("{} / {}", s.in_flight, (s.limit.floor() as u32).max(1)), Some(format!("{} queued", s.queued)), if s.queued > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_busy", "Slots busy", format!("{} / {}", s.busy, s.slots), None, Tone::Plain) }
                { metric("live_rtt", "Last window's latency", s.last_rtt_ms.map(|m| format!("{} ms", sig3(m))).unwrap_or("—".into()), None, Tone::Plain) }
            </dl>
        </section>
    }
}

/// Clients → limiter gate (in flight against the limit) → queue → slots.
fn drawing(s: &Snapshot) -> Html {
    let cap = (s.limit.floor() as u32).max(1);
    let slots = s.slots.max(1);
    // slots as a grid on the right
    let cols = 10u32;
    let shown_slots = slots.min(200);
    let rows = shown_slots.div_ceil(cols);
    let cell = 11.0;
    let grid_x = 300.0;
    let h = (f64::from(rows) * cell + 40.0).max(110.0);
    // the gate: a bar whose length is the limit, filled by the in-flight count
    let scale_max = f64::from(cap.max(s.in_flight)).max(s.optimum).max(1.0);
    let bar_w = 150.0;
    let fill = bar_w * f64::from(s.in_flight) / scale_max;
    let lim_x = 110.0 + bar_w * f64::from(cap) / scale_max;
    let opt_x = 110.0 + bar_w * s.optimum / scale_max;
    let q = s.queued.min(40);
    let arrow = match s.last_admitted {
        Some(true) => "var(--c2)",
        Some(false) => "var(--c3)",
        None => "var(--muted)",
    };
    html! {
        <svg class="drawing ac-system" viewBox={format!("0 0 420 {h:.0}")} role="img"
             aria-label={format!("{} of limit {} in flight, {} queued, {} of {} slots busy", s.in_flight, cap, s.queued, s.busy, s.slots)}>
            <text x="0" y="14" font-size="11.5" fill="var(--muted)">{"clients"}</text>
            <circle cx="20" cy="40" r="12" fill="none" stroke="var(--fg)" />
            <line x1="34" y1="40" x2="96" y2="40" stroke={arrow} stroke-width="2" />
            <text x="40" y="58" font-size="11.5" fill={arrow}>{ match s.last_admitted { Some(true) => "admitted", Some(false) => "rejected", None => "" } }</text>
            <text x="110" y="14" font-size="11.5" fill="var(--muted)">{ format!("{} limit", s.kind.name()) }</text>
            <rect x="110" y="30" width={format!("{bar_w:.0}")} height="20" rx="3" fill="var(--bg)" stroke="var(--border)" />
            <rect x="110" y="30" width={format!("{fill:.1}")} height="20" rx="3" fill="var(--c0)" />
            <line x1={format!("{lim_x:.1}")} y1="24" x2={format!("{lim_x:.1}")} y2="56" stroke="var(--fg)" stroke-width="2" />
            <line x1={format!("{opt_x:.1}")} y1="24" x2={format!("{opt_x:.1}")} y2="56" stroke="var(--c5)" stroke-width="2" stroke-dasharray="3 2" />
            <text x="110" y="70" font-size="11.5" fill="var(--fg)">{ format!("in flight {} · limit {}", s.in_flight, cap) }</text>
            <text x="110" y="84" font-size="11.5" fill="var(--c5)">{ format!("optimum {} (dashed)", sig3(s.optimum)) }</text>
            <text x="110" y="100" font-size="11.5" fill="var(--muted)">{ format!("queue {}", s.queued) }</text>
            { for (0..q).map(|j| html! { <rect x={format!("{:.0}", 160.0 + f64::from(j % 20) * 6.5)} y={format!("{:.0}", 93.0 + f64::from(j / 20) * 7.0)} width="5" height="5" rx="2.5" fill="var(--c1)" /> }) }
            <text x={format!("{grid_x:.0}")} y="14" font-size="11.5" fill="var(--muted)">{ format!("server: {} slots", s.slots) }</text>
            { for (0..shown_slots).map(|i| {
                let (x, y) = (grid_x + f64::from(i % cols) * cell, 22.0 + f64::from(i / cols) * cell);
                html! { <rect x={format!("{x:.0}")} y={format!("{y:.0}")} width="9" height="9" rx="2"
                    fill={if i < s.busy { "var(--c0)" } else { "none" }} stroke="var(--border)" stroke-width="0.8" /> }
            }) }
        </svg>
    }
}
