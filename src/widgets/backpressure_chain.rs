//! View of `backpressure-chain` (book page 23): a user → gateway → A → B → database chain
//! under load, with no shedding, load shedding or propagated back-pressure; the goodput curve of
//! all three, and the chain played live with each hop's workers and queue.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_report, Same, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::backpressure_chain::{
    ChainSim, ChainSnapshot, Mode, ModeRun, Params, Report, SweepSeries, HOP_NAMES,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// Chart colour of each mode (palette index).
fn mode_color(m: Mode) -> usize {
    match m {
        Mode::None => 4,
        Mode::Shed => 1,
        Mode::Backpressure => 2,
    }
}

/// The back-pressure-chain widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    // a quick first look comes without the sweep (see `BackpressureChain::run_quick`): draw the
    // last sweep, marked as updating, until the full run brings the new one
    let last_sweep = use_mut_ref(Vec::<SweepSeries>::new);
    let chart = use_memo(report.clone().map(Same), {
        let report = report.clone();
        let offered = p.offered_rate;
        move |_| {
            let r = report.as_ref()?;
            let updating = r.sweep.is_empty();
            if !updating {
                *last_sweep.borrow_mut() = r.sweep.clone();
            }
            Some(goodput_chart(r, &last_sweep.borrow(), updating, offered))
        }
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let s = &r.selected;
    let load = p.offered_rate / r.capacity;
    let edge_share = {
        let total: u32 = s.hops.iter().map(|h| h.rejected_measured).sum();
        let edge = s.hops.first().map(|h| h.rejected_measured).unwrap_or(0);
        if total == 0 {
            None
        } else {
            Some(f64::from(edge) / f64::from(total))
        }
    };
    let good_tone = if s.goodput >= 0.9 * r.goodput_bound {
        Tone::Good
    } else if s.goodput < 0.5 * r.goodput_bound {
        Tone::Bad
    } else {
        Tone::Plain
    };
    html! {
        <>
        <p class="callout">
            { format!("{} req/s offered to a chain whose database serves at most {} req/s ({} of capacity), handled with ", sig3(p.offered_rate), sig3(r.capacity), pct(load, 0)) }
            <strong>{ s.mode.label() }</strong>
            { format!(". Users give up after {}.", ms(Some(p.timeout_ms))) }
        </p>
        <dl class="metrics">
            { metric("goodput", "Goodput (answered in time)", format!("{} req/s", sig3(s.goodput)), Some(format!("ceiling min(offered, capacity) = {}", sig3(r.goodput_bound))), good_tone) }
            { metric("success", "Requests answered in time", pct(s.success_share, 1), Some(format!("of {} measured arrivals", int(u64::from(s.arrivals)))), Tone::Plain) }
            { metric("rejected", "Rejected fast", pct(s.rejected_share, 1), Some(edge_share.map(|e| format!("{} of them at the gateway", pct(e, 0))).unwrap_or_else(|| "none".into())), Tone::Plain) }
            { metric("timed_out", "Timed out", pct(s.timeout_share, 1), Some(format!("{} answers came after the user left", int(u64::from(s.late_answers)))), if s.timeout_share > 0.05 { Tone::Bad } else { Tone::Plain }) }
            { metric("p99", "p99 latency of successes", s.p99_ms.map(|x| ms(Some(x))).unwrap_or_else(|| "—".into()), Some(s.p50_ms.map(|m| format!("median {}", ms(Some(m)))).unwrap_or_else(|| "no request succeeded".into())), Tone::Plain) }
            { metric("db_wasted", "Database work wasted", pct(s.db_wasted_share(), 1), Some(format!("whole chain {}", pct(s.chain_wasted_share(), 1))), if s.db_wasted_share() > 0.2 { Tone::Bad } else { Tone::Plain }) }
        </dl>
        if let Some(spec) = (*chart).clone() {
            <Chart spec={spec} height={300} caption="Goodput against offered load for the three modes, same seed at every point; the dashed line is the ceiling min(offered, capacity)" />
        }
        <div class="table-wrap">
            <table class="data" aria-label="The three modes at this offered load">
                <thead><tr><th>{"mode"}</th><th>{"goodput"}</th><th>{"in time"}</th><th>{"rejected"}</th><th>{"timed out"}</th><th>{"p99"}</th><th>{"DB work wasted"}</th><th>{"longest queue"}</th></tr></thead>
                <tbody>
                    { for r.modes.iter().map(mode_row) }
                </tbody>
            </table>
        </div>
        <div class="table-wrap">
            <table class="data" aria-label="Each hop in the chosen mode">
                <thead><tr><th>{ format!("hop ({})", s.mode.label()) }</th><th>{"workers"}</th><th>{"caller's timeout"}</th><th>{"longest queue"}</th><th>{"rejected"}</th><th>{"dropped late"}</th><th>{"work wasted"}</th></tr></thead>
                <tbody>
                    { for s.hops.iter().map(|h| html! {
                        <tr><td>{ &h.name }</td><td>{ h.workers }</td><td>{ ms(Some(h.timeout_ms)) }</td><td>{ int(u64::from(h.max_queue)) }</td><td>{ int(u64::from(h.rejected)) }</td><td>{ int(u64::from(h.dropped)) }</td><td>{ pct(h.wasted_share, 1) }</td></tr>
                    }) }
                </tbody>
            </table>
        </div>
        { notes(&r.notes) }
        <LiveChain params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A request from the user passes a gateway, two services and a database. Each hop has a fixed number of workers and a queue in front of them; a worker that calls the next hop stays occupied until the answer comes back or its own timeout fires. The database is the slowest part, so it sets the chain's capacity. Callers give up after a timeout, but nobody tells the hops below them, which may go on working for a request no one is waiting for: that work is counted as wasted. Goodput counts only answers that reach the user before the user's timeout."}</p>
            <p>{"The three modes: with no shedding every queue is unbounded; with load shedding each hop refuses work when its queue is full and skips queued work it can no longer finish before its caller's timeout; with back-pressure each hop grants a fixed number of credits (its workers plus its queue) and the gateway only admits a request when every hop below still has one, so refusals happen at the door, before any work is spent."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Overload, no shedding", &[("mode", "none"), ("offered_rate", "150"), ("queue_size", "20"), ("timeout_order", "coordinated")]) }
                { ctx.try_this("Same load, back-pressure", &[("mode", "backpressure"), ("offered_rate", "150"), ("queue_size", "20"), ("timeout_order", "coordinated")]) }
                { ctx.try_this("Below capacity", &[("offered_rate", "60")]) }
                { ctx.try_this("Queues too big to shed in time", &[("mode", "shed"), ("offered_rate", "150"), ("queue_size", "100")]) }
                { ctx.try_this("Inverted timeouts", &[("mode", "shed"), ("offered_rate", "150"), ("queue_size", "40"), ("timeout_order", "inverted")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"Below capacity the three curves lie on top of each other and on the diagonal: every mode delivers what arrives. The modes only differ once the database is saturated."}</li>
                <li>{"Past capacity with no shedding, the gateway's queue grows without end, every request waits longer than the user will, and goodput falls to almost nothing while the database stays fully busy — on requests whose users have already gone (the red parts of the live drawing)."}</li>
                <li>{"Shedding and back-pressure both hold goodput near the capacity at the default queue size; back-pressure turns requests away at the gateway, shedding turns them away deeper in the chain after the gateway and service A have already done some work for them."}</li>
            </ul>
            <h3>{"Where the book's claims hold, and where they need more"}</h3>
            <p>{"Buffer bloat holds, and it is not only a no-shedding problem: a bounded queue that holds more work than the timeout allows (try queue size 100: a hop full of requests ahead of you at 100 req/s is a second of waiting) defeats shedding too, because the requests that do get served have already used their time; back-pressure with the same large credit window degrades too, only later. Keeping every queue below capacity × timeout is what keeps goodput up. The warning about uncoordinated timeouts holds only in part here: with no hop cancelling the calls it abandons, the inverted order does not waste more work in this chain than the coordinated one — at queue size 40 with load shedding it even keeps a little more goodput (switch the timeout order and compare the tables). A downstream timeout shorter than the caller's frees the caller's worker sooner but also fails requests that would still have succeeded; what actually saves the wasted work is dropping requests whose caller has gone, or admitting only what the bottleneck can take."}</p>
        </section>
        </>
    }
}

fn mode_row(m: &ModeRun) -> Html {
    let longest = m.hops.iter().map(|h| h.max_queue).max().unwrap_or(0);
    html! {
        <tr>
            <td>{ m.mode.label() }</td>
            <td>{ format!("{} req/s", sig3(m.goodput)) }</td>
            <td>{ pct(m.success_share, 1) }</td>
            <td>{ pct(m.rejected_share, 1) }</td>
            <td>{ pct(m.timeout_share, 1) }</td>
            <td>{ m.p99_ms.map(|x| ms(Some(x))).unwrap_or_else(|| "—".into()) }</td>
            <td>{ pct(m.db_wasted_share(), 1) }</td>
            <td>{ int(u64::from(longest)) }</td>
        </tr>
    }
}

fn goodput_chart(r: &Report, sweep: &[SweepSeries], updating: bool, offered: f64) -> Rc<ChartSpec> {
    let mut series: Vec<Series> = sweep
        .iter()
        .map(|s| {
            Series::new(
                s.mode.label(),
                Kind::Line,
                mode_color(s.mode),
                s.points.clone(),
            )
        })
        .collect();
    let x1 = sweep
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(r.capacity, f64::max)
        .max(offered);
    series.push(Series::new(
        "this run (table above)",
        Kind::Points,
        3,
        r.modes
            .iter()
            .map(|m| (m.offered_rate, m.goodput))
            .collect(),
    ));
    series.push(Series::new(
        "ceiling min(offered, capacity)",
        Kind::Dashed,
        5,
        vec![(0.0, 0.0), (r.capacity, r.capacity), (x1, r.capacity)],
    ));
    Rc::new(ChartSpec {
        title: if updating {
            "Goodput vs offered load (sweep updating…)".into()
        } else {
            "Goodput vs offered load".into()
        },
        x_label: "offered load (req/s)".into(),
        y_label: "goodput (req/s)".into(),
        y_min: Some(0.0),
        series,
        marks: vec![Mark {
            x: offered,
            label: format!("this run: {}", sig3(offered)),
        }],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// The chosen mode, played live from the same seed.
#[component]
fn LiveChain(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| ChainSim::new(&d.0, d.1),
        |s| s.snapshot(),
        1.0,
    );
    let clock = live.clock;
    let s: &ChainSnapshot = &live.snap;
    let t = s.t.max(clock);
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{ format!("The chain, live ({})", params.mode.label()) }</h3>
            { live.player(vec![0.1, 0.25, 1.0, 4.0], format!("t = {:.2} s · {} arrived · {} in time · {} rejected · {} timed out", t, int(u64::from(s.arrived)), int(u64::from(s.succeeded)), int(u64::from(s.rejected)), int(u64::from(s.timed_out))), id.clone()) }
            { chain_svg(s, params) }
            <dl class="metrics">
                { metric("live_goodput", "Goodput, last second", format!("{} req/s", s.goodput_last_s), None, Tone::Plain) }
                { metric("live_gateway_queue", "Gateway queue", int(u64::from(s.hops.first().map(|h| h.queued).unwrap_or(0))), None, Tone::Plain) }
                { metric("live_orphans", "Held for callers who left", int(u64::from(s.hops.iter().map(|h| h.busy_orphans + h.queued_orphans).sum::<u32>())), Some("queued or on a worker, summed over the hops".into()), Tone::Plain) }
            </dl>
        </section>
    }
}

/// The chain drawn top to bottom: each hop's workers and queue as bars, the share held by
/// requests whose caller has gone in the warning colour.
fn chain_svg(s: &ChainSnapshot, p: &Params) -> Html {
    let row_h = 54.0;
    let top = 34.0;
    let h_total = top + row_h * s.hops.len() as f64 + 24.0;
    let bar_w = 130.0;
    let (wx, qx) = (104.0, 262.0);
    let label = format!(
        "Chain at {:.1} s: {}",
        s.t,
        s.hops
            .iter()
            .enumerate()
            .map(|(i, h)| format!(
                "{} {} of {} workers busy, {} queued",
                HOP_NAMES[i], h.busy, h.workers, h.queued
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let bp = p.mode == Mode::Backpressure;
    html! {
        <svg class="drawing bp-chain" viewBox={format!("0 0 400 {h_total:.0}")} role="img" aria-label={label}>
            <rect x="0" y="2" width="92" height="24" rx="5" fill="var(--bg)" stroke="var(--border)" />
            <text x="46" y="18" font-size="12" text-anchor="middle" fill="var(--fg)">{"user"}</text>
            <text x={format!("{wx}")} y="11" font-size="11" fill="var(--muted)">{"workers (busy / all)"}</text>
            <text x={format!("{qx}")} y="11" font-size="11" fill="var(--muted)">{ if p.mode == Mode::None { "queue (unbounded)".to_string() } else { format!("queue (bound {})", p.queue_size) } }</text>
            <text x={format!("{wx}")} y="26" font-size="11" fill="var(--fg)">{ format!("{} in time · {} rejected · {} timed out", s.succeeded, s.rejected, s.timed_out) }</text>
            { for s.hops.iter().enumerate().map(|(i, h)| {
                let y = top + row_h * i as f64;
                let busy_f = f64::from(h.busy) / f64::from(h.workers.max(1));
                let orphan_f = f64::from(h.busy_orphans) / f64::from(h.workers.max(1));
                let scale = match h.bound { Some(b) => f64::from(b.max(1)), None => f64::from(h.queued.max(1)).max(100.0) };
                let q_f = (f64::from(h.queued) / scale).min(1.0);
                let qo_f = (f64::from(h.queued_orphans) / scale).min(q_f);
                let full = h.bound.is_some_and(|b| h.queued >= b);
                html! {
                    <g>
                        // the call arrow from the row above
                        <line x1="46" y1={format!("{:.0}", y - 7.0)} x2="46" y2={format!("{:.0}", y + 1.0)} stroke="var(--muted)" stroke-width="1.5" />
                        <path d={format!("M42 {:.0} L46 {:.0} L50 {:.0} Z", y - 2.0, y + 3.0, y - 2.0)} fill="var(--muted)" />
                        if bp {
                            <path d={format!("M84 {:.0} L84 {:.0} M80 {:.0} L84 {:.0} L88 {:.0}", y + 2.0, y - 8.0, y - 4.0, y - 8.0, y - 4.0)} stroke="var(--c2)" stroke-width="1.5" fill="none" />
                        }
                        <rect x="0" y={format!("{:.0}", y + 4.0)} width="92" height="38" rx="5" fill="var(--bg)" stroke={if full { "var(--c1)" } else { "var(--border)" }} />
                        <text x="46" y={format!("{:.0}", y + 20.0)} font-size="12" text-anchor="middle" fill="var(--fg)">{ HOP_NAMES[i] }</text>
                        <text x="46" y={format!("{:.0}", y + 35.0)} font-size="11" text-anchor="middle" fill="var(--muted)">{ format!("{} refused", h.rejected) }</text>
                        { bar(wx, y + 8.0, bar_w, busy_f, orphan_f) }
                        <text x={format!("{wx}")} y={format!("{:.0}", y + 40.0)} font-size="11" fill="var(--muted)">{ format!("{} / {}", h.busy, h.workers) }</text>
                        { bar(qx, y + 8.0, bar_w, q_f, qo_f) }
                        <text x={format!("{qx}")} y={format!("{:.0}", y + 40.0)} font-size="11" fill={if full { "var(--c1)" } else { "var(--muted)" }}>
                            { match h.bound { Some(b) => format!("{} / {}{}", h.queued, b, if full { " full" } else { "" }), None => format!("{} waiting", h.queued) } }
                        </text>
                    </g>
                }
            }) }
            if bp {
                <text x="93" y={format!("{:.0}", top + 3.0)} font-size="11" fill="var(--c2)">{"credits"}</text>
            }
            <rect x="104" y={format!("{:.0}", h_total - 14.0)} width="10" height="10" fill="var(--c0)" />
            <text x="118" y={format!("{:.0}", h_total - 5.0)} font-size="11" fill="var(--muted)">{"caller still waiting"}</text>
            <rect x="250" y={format!("{:.0}", h_total - 14.0)} width="10" height="10" fill="var(--c4)" />
            <text x="264" y={format!("{:.0}", h_total - 5.0)} font-size="11" fill="var(--muted)">{"caller gone (wasted)"}</text>
        </svg>
    }
}

/// A horizontal gauge: `frac` of it filled, the first `bad` of it in the warning colour.
fn bar(x: f64, y: f64, w: f64, frac: f64, bad: f64) -> Html {
    let frac = frac.clamp(0.0, 1.0);
    let bad = bad.clamp(0.0, frac);
    html! {
        <g>
            <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={format!("{w:.1}")} height="20" rx="3" fill="var(--bg)" stroke="var(--border)" />
            <rect x={format!("{:.1}", x + w * bad)} y={format!("{y:.1}")} width={format!("{:.1}", w * (frac - bad))} height="20" rx="3" fill="var(--c0)" />
            <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", w * bad)} height="20" rx="3" fill="var(--c4)" />
        </g>
    }
}
