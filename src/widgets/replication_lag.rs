//! View of `replication-lag` (book page 25): one primary, asynchronous replicas, six ways to
//! route reads — measured side by side on the same operations, swept over the mean lag, and
//! played live with the writes in flight.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::replication_lag::{
    Params, Policy, ReplicationSim, Report, Snapshot, Target, ALL_POLICIES,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// Chart colour of each policy, in [`ALL_POLICIES`] order (primary-only is the grey one).
const COLOURS: [usize; 6] = [0, 5, 1, 2, 3, 4];

/// The charts, built once per report.
struct Charts {
    stale: Rc<ChartSpec>,
    ryw: Rc<ChartSpec>,
    primary: Rc<ChartSpec>,
    visibility: Rc<ChartSpec>,
    timeline: Rc<ChartSpec>,
}

/// The replication-lag widget.
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
        return html! { <p class="muted">{"Replicating…"}</p> };
    };
    let Some(sel) = r.selected() else {
        return html! { <p class="notice">{"No policy selected."}</p> };
    };
    let rand = &r.policies[Policy::Random.index()];
    let chosen = Policy::from_key(&r.policy);
    html! {
        <>
        <p class="callout">
            { format!("{} writes/s reach each replica after {} on average. A replica is behind whenever one of them is still on its way, so theory says a random replica read is stale with probability 1 − e^(−λw·L) = ", sig3(r.write_rate), ms(Some(p.lag_ms))) }
            <strong data-metric="theory_stale">{ pct(r.theory_stale, 1) }</strong>
            { format!("; measured here: {} of {} reads", pct(rand.stale_frac, 1), int(rand.reads)) }
            { if r.pause.is_some() { " — higher, because replica 1's pause is not in the theory." } else { "." } }
        </p>
        <h3 class="rlag-h">{ format!("Reads routed by: {}", chosen.label()) }</h3>
        <dl class="metrics">
            { metric("stale", "Stale reads", pct(sel.stale_frac, 1), Some(format!("mean {} behind when stale", ms(Some(sel.mean_stale_age_ms)))), if sel.stale_frac > 0.0 { Tone::Bad } else { Tone::Good }) }
            { metric("ryw", "Missed own write (RYW)", pct(sel.ryw_frac, 2), Some(format!("random replica: {}", pct(rand.ryw_frac, 2))), if sel.ryw_frac > 0.0 { Tone::Bad } else { Tone::Good }) }
            { metric("mono", "Went back in time", pct(sel.mono_frac, 2), Some(format!("random replica: {}", pct(rand.mono_frac, 2))), if sel.mono_frac > 0.0 { Tone::Bad } else { Tone::Good }) }
            { metric("primary_share", "Reads on the primary", pct(sel.primary_share, 1), Some(if sel.redirect_frac > 0.0 { format!("{} redirected", pct(sel.redirect_frac, 1)) } else { "the rest go to replicas".into() }), Tone::Plain) }
            { metric("latency", "Mean read latency", ms(Some(sel.mean_latency_ms)), Some(format!("{} round trip each", ms(Some(p.rtt_ms)))), Tone::Plain) }
        </dl>
        <div class="table-wrap">
            <table class="data rlag-table" aria-label="Every routing policy on the same operations">
                <thead><tr>
                    <th scope="col">{"read routing"}</th><th scope="col">{"stale"}</th><th scope="col"><abbr title="missed the reader's own last write (read-your-writes violation)">{"RYW miss"}</abbr></th>
                    <th scope="col"><abbr title="older than a version the same client read before (monotonic-read violation)">{"back in time"}</abbr></th><th scope="col">{"on primary"}</th><th scope="col">{"latency"}</th>
                </tr></thead>
                <tbody>
                { for r.policies.iter().map(|row| {
                    let class = if row.policy == r.policy { "rlag-sel" } else { "" };
                    let z = |x: f64, d: usize| if x == 0.0 { html! { <td class="rlag-zero">{"0"}</td> } } else { html! { <td>{ pct(x, d) }</td> } };
                    html! {
                        <tr class={class}>
                            <th scope="row">{ row.label.clone() }</th>
                            { z(row.stale_frac, 1) }{ z(row.ryw_frac, 2) }{ z(row.mono_frac, 2) }
                            <td>{ pct(row.primary_share, 1) }</td><td>{ ms(Some(row.mean_latency_ms)) }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </div>
        <p class="rlag-key muted">{ format!("All six on the very same {} operations and delays; the highlighted row is the one headlined and played below. Redirects (tokens) cost a second round trip.", int(r.ops)) }</p>
        if let Some(c) = (*charts).as_ref() {
            <Chart spec={c.stale.clone()} height={280} caption="Share of stale reads against the mean replication lag, for every routing policy, with the M/G/∞ theory for a random replica" />
            <div class="grid2">
                <Chart spec={c.ryw.clone()} height={230} caption="Share of reads that missed the reader's own write, against the mean lag" />
                <Chart spec={c.primary.clone()} height={230} caption="Share of reads served by the primary, against the mean lag" />
            </div>
            <div class="grid2">
                <Chart spec={c.visibility.clone()} height={230} caption="How often a write is still not applied on a replica τ after it committed, measured and in theory" />
                <Chart spec={c.timeline.clone()} height={230} caption="Versions each replica was behind over the run, and the share of stale reads" />
            </div>
        }
        { notes(&r.notes) }
        <LiveReplication params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A primary takes every write and ships it, asynchronously, to each replica; each copy arrives after a random delay and a replica applies its log strictly in order, so one slow write holds back the ones behind it. Clients read, and where a read goes decides what it can see. Six routing rules are judged on exactly the same operations and delays: a random replica; the primary only; the primary for a window T after the client's own write; a fixed replica per client; and two token schemes in which the client remembers the newest version it has read (and, for the session token, written) — a replica that is behind the token does not wait, it redirects the read to the primary."}</p>
            <p>{"A read counts as stale when the primary already holds a newer version; as a read-your-writes violation when it misses the reader's own last write; as going back in time when it is older than something the same client read before."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Defaults", &[("lag_ms", "20"), ("lag_dist", "exponential"), ("policy", "random"), ("pause_for_s", "0"), ("write_pct", "10")]) }
                { ctx.try_this("Heavy-tailed lag", &[("lag_dist", "lognormal"), ("lag_sigma", "2"), ("policy", "ryw")]) }
                { ctx.try_this("RYW window shorter than the lag", &[("policy", "ryw"), ("lag_ms", "100"), ("ryw_window_ms", "50")]) }
                { ctx.try_this("Pause replica 1 for 4 s", &[("pause_from_s", "3"), ("pause_for_s", "4"), ("policy", "sticky")]) }
                { ctx.try_this("Session tokens under a pause", &[("pause_from_s", "3"), ("pause_for_s", "4"), ("policy", "session")]) }
                { ctx.try_this("Write-heavy, slow replicas", &[("write_pct", "50"), ("lag_ms", "200"), ("policy", "monotonic")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"The stale share of a random replica depends only on λw·L, the average number of writes in flight: the lag's shape does not matter (switch to fixed or to lognormal with σ = 1 and the first row barely moves). That is the M/G/∞ queue's insensitivity; the dashed curve is 1 − e^(−λw·L). With a heavy tail (σ = 2) it still holds on average, but rare delays of seconds carry much of the in-flight time, so one 10 s run scatters around it: run the batch trials below to see the spread."}</li>
                <li>{"A write on its own is still missing on a replica τ after commit with probability P(D > τ): for exponential lag the familiar e^(−τ/L), the grey dashed curve. With a stream of writes applied in order it takes longer, because the replica must first apply every earlier write: the orange dashed curve, 1 − P(D ≤ τ)·e^(−λw·E[(D − τ)⁺]), adds that wait, and the measured points follow it rather than the single-write curve (the t-visibility of Bailis et al., PBS, VLDB 2012)."}</li>
                <li>{"Every fix moves reads back to the primary. The RYW window pays in proportion to how often clients write; it fails as soon as a delay outlasts T (heavy tails). Sticky sessions never go back in time but still miss their own writes. Tokens guarantee what they carry and pay only when a replica is actually behind — at long lags that is almost always."}</li>
                <li>{"Pause replica 1: its lag grows linearly, sticky clients on it read ever older data, and tokens start redirecting."}</li>
            </ul>
            <h3>{"Where the book's claim holds and where it fails"}</h3>
            <p>{ format!("The book's replication card promises read scalability and names lag as the cost. Both are right, but they trade against each other: at these settings the primary serves {} of reads under the RYW window and {} under session tokens, and only reading from a random or sticky replica keeps it at 0 — the very policies that read stale data {} of the time and miss their own write {} of the time. The lag is not a nuisance at the edges: with λw·L = {}, theory says a replica is behind {} of the time, and this run measured {}.", pct(r.policies[Policy::ReadYourWrites.index()].primary_share, 1), pct(r.policies[Policy::Session.index()].primary_share, 1), pct(rand.stale_frac, 1), pct(rand.ryw_frac, 2), sig3(r.write_rate * p.lag_ms / 1000.0), pct(r.theory_stale, 1), pct(rand.stale_frac, 1)) }</p>
        </section>
        </>
    }
}

fn lag_series(
    r: &Report,
    pick: impl Fn(&sim::models::replication_lag::SweepPoint) -> &Vec<f64>,
    skip_primary: bool,
) -> Vec<Series> {
    ALL_POLICIES
        .iter()
        .enumerate()
        .filter(|(_, q)| !(skip_primary && **q == Policy::Primary))
        .map(|(k, q)| {
            let pts = r
                .sweep
                .iter()
                .map(|s| (s.lag_ms, pick(s).get(k).copied().unwrap_or(0.0) * 100.0))
                .collect();
            Series::new(
                q.label(),
                if q.key() == r.policy {
                    Kind::Line
                } else {
                    Kind::Points
                },
                COLOURS[k],
                pts,
            )
        })
        .collect()
}

fn charts(r: &Report, p: &Params) -> Charts {
    let mark = vec![Mark {
        x: p.lag_ms,
        label: format!("L = {}", ms(Some(p.lag_ms))),
    }];
    let mut stale_series = lag_series(r, |s| &s.stale, false);
    stale_series.push(Series::new(
        "theory 1 − e^(−λw·L)",
        Kind::Dashed,
        0,
        r.sweep
            .iter()
            .map(|s| (s.lag_ms, s.theory_stale * 100.0))
            .collect(),
    ));
    let lag_chart = |title: &str, y: &str, series: Vec<Series>| {
        Rc::new(ChartSpec {
            title: title.into(),
            x_label: "mean replication lag L (ms)".into(),
            y_label: y.into(),
            x_log: true,
            y_min: Some(0.0),
            series,
            marks: mark.clone(),
            ..Default::default()
        })
    };
    let stale = lag_chart("Stale reads vs mean lag", "stale reads (%)", stale_series);
    let ryw = lag_chart(
        "Missed own write vs mean lag",
        "RYW violations (%)",
        lag_series(r, |s| &s.ryw, true),
    );
    let primary = lag_chart(
        "Primary's share of reads vs mean lag",
        "reads on primary (%)",
        lag_series(r, |s| &s.primary_share, false),
    );
    let vis = |f: fn(&sim::models::replication_lag::VisPoint) -> f64| {
        r.visibility
            .iter()
            .map(|v| (v.tau_ms, f(v) * 100.0))
            .collect::<Vec<_>>()
    };
    let visibility = Rc::new(ChartSpec {
        title: "Write not yet visible, τ after commit".into(),
        x_label: "time since commit τ (ms)".into(),
        y_label: "not yet applied (%)".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("measured", Kind::Points, 0, vis(|v| v.measured)),
            Series::new("theory, in order", Kind::Dashed, 1, vis(|v| v.theory)),
            Series::new("one write alone", Kind::Dashed, 5, vis(|v| v.alone)),
        ],
        marks: mark.clone(),
        ..Default::default()
    });
    let mut tl: Vec<Series> = (0..p.replicas as usize)
        .map(|i| {
            Series::new(
                format!("replica {} behind", i + 1),
                Kind::Line,
                i % 6,
                r.timeline
                    .iter()
                    .map(|t| (t.t, t.behind.get(i).copied().unwrap_or(0) as f64))
                    .collect(),
            )
        })
        .collect();
    tl.truncate(5);
    let marks = r
        .pause
        .as_ref()
        .map(|pz| {
            vec![
                Mark {
                    x: pz.from_s,
                    label: "pause".into(),
                },
                Mark {
                    x: pz.to_s,
                    label: "resume".into(),
                },
            ]
        })
        .unwrap_or_default();
    let timeline = Rc::new(ChartSpec {
        title: "Replica lag over time".into(),
        x_label: "time (s)".into(),
        y_label: "versions behind".into(),
        y_min: Some(0.0),
        series: tl,
        marks,
        ..Default::default()
    });
    Charts {
        stale,
        ryw,
        primary,
        visibility,
        timeline,
    }
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// The same system played live from the same seed, with the headlined policy.
#[component]
fn LiveReplication(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| ReplicationSim::new(&d.0, d.1),
        |s| s.snapshot(),
        0.05,
    );
    let s: &Snapshot = &live.snap;
    let st = &s.stats;
    let frac = |n: u64| {
        if st.reads == 0 {
            0.0
        } else {
            n as f64 / st.reads as f64
        }
    };
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"Replication, live"}</h3>
            { live.player(vec![0.01, 0.05, 0.2, 1.0, 5.0], format!("t = {:.3} s · primary at v{} · {} reads", s.t.max(live.clock), s.primary_version, int(st.reads)), id.clone()) }
            { system_svg(s) }
            <dl class="metrics">
                { metric("live_stale", "Stale so far", pct(frac(st.stale), 1), None, Tone::Plain) }
                { metric("live_ryw", "Missed own write so far", pct(frac(st.ryw_violations), 1), None, Tone::Plain) }
                { metric("live_mono", "Back in time so far", pct(frac(st.mono_violations), 1), None, Tone::Plain) }
                { metric("live_primary", "On primary so far", pct(frac(st.primary_direct + st.redirected), 1), None, Tone::Plain) }
            </dl>
            <ol class="rlag-reads" aria-label="Latest reads">
                { for s.recent.iter().rev().map(|e| {
                    let whom = match e.target {
                        Target::Primary => "primary".to_string(),
                        Target::Replica(i) => format!("replica {}", i + 1),
                        Target::Redirected(i) => format!("replica {} → redirected to primary", i + 1),
                    };
                    let verdict = if e.ryw_violation { "missed own write" } else if e.mono_violation { "went back in time" } else if e.stale { "stale" } else { "fresh" };
                    let class = if e.stale { "rlag-bad" } else { "rlag-ok" };
                    html! { <li class={class}>{ format!("{:.3} s · client {} read {}: v{} of v{} · {}", e.t, e.client + 1, whom, e.version, e.primary_version, verdict) }</li> }
                }) }
            </ol>
        </section>
    }
}

/// Primary on the left, replicas on the right; writes in flight as dots on the links, each
/// replica's applied version and how far behind it is as a bar.
fn system_svg(s: &Snapshot) -> Html {
    let n = s.replicas.len().max(1);
    let row_h = 52.0;
    let h = (n as f64 * row_h).max(110.0) + 10.0;
    let (px, py) = (14.0, h / 2.0 - 26.0);
    let (x0, x1) = (104.0, 220.0);
    let last = s.recent.last();
    let label = format!(
        "Primary at version {}; {}",
        s.primary_version,
        s.replicas
            .iter()
            .enumerate()
            .map(|(i, r)| format!(
                "replica {} at version {} ({} behind{})",
                i + 1,
                r.version,
                r.behind,
                if r.paused { ", paused" } else { "" }
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    html! {
        <svg class="drawing rlag-system" viewBox={format!("0 0 470 {h:.0}")} role="img" aria-label={label}>
            <rect x={format!("{px}")} y={format!("{py:.0}")} width="90" height="52" rx="6" fill="var(--bg)" stroke="var(--c0)" stroke-width="2" />
            <text x={format!("{:.0}", px + 45.0)} y={format!("{:.0}", py + 20.0)} text-anchor="middle" font-size="13" fill="var(--fg)">{"primary"}</text>
            <text x={format!("{:.0}", px + 45.0)} y={format!("{:.0}", py + 38.0)} text-anchor="middle" font-size="15" font-weight="600" fill="var(--fg)">{ format!("v{}", s.primary_version) }</text>
            { for s.replicas.iter().enumerate().map(|(i, r)| {
                let y = 5.0 + i as f64 * row_h + row_h / 2.0;
                let (ly0, ly1) = (h / 2.0, y);
                let served = last.is_some_and(|e| matches!(e.target, Target::Replica(k) if k as usize == i));
                let stroke = if r.paused { "var(--c4)" } else if served { "var(--c1)" } else { "var(--border)" };
                let bar = (r.behind as f64).min(30.0) / 30.0 * 120.0;
                html! {
                    <g>
                        <line x1={format!("{x0}")} y1={format!("{ly0:.1}")} x2={format!("{x1}")} y2={format!("{ly1:.1}")} stroke="var(--border)" stroke-width="1.5" />
                        { for r.in_flight.iter().map(|f| {
                            let (cx, cy) = (x0 + (x1 - x0) * f, ly0 + (ly1 - ly0) * f);
                            html! { <circle cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r="3.5" fill="var(--c0)" /> }
                        }) }
                        <rect x={format!("{x1}")} y={format!("{:.0}", y - 20.0)} width="72" height="40" rx="6" fill="var(--bg)" stroke={stroke} stroke-width="2" stroke-dasharray={if r.paused { "5 3" } else { "none" }} />
                        <text x={format!("{:.0}", x1 + 36.0)} y={format!("{:.0}", y - 5.0)} text-anchor="middle" font-size="13" fill="var(--muted)">{ format!("replica {}", i + 1) }</text>
                        <text x={format!("{:.0}", x1 + 36.0)} y={format!("{:.0}", y + 12.0)} text-anchor="middle" font-size="15" font-weight="600" fill="var(--fg)">{ format!("v{}", r.version) }</text>
                        <rect x={format!("{:.0}", x1 + 80.0)} y={format!("{:.0}", y - 6.0)} width="120" height="12" rx="3" fill="none" stroke="var(--border)" />
                        <rect x={format!("{:.0}", x1 + 80.0)} y={format!("{:.0}", y - 6.0)} width={format!("{bar:.1}")} height="12" rx="3" fill={if r.behind > 0 { "var(--c4)" } else { "var(--c2)" }} />
                        <text x={format!("{:.0}", x1 + 80.0)} y={format!("{:.0}", y + 19.0)} font-size="13" fill="var(--muted)">{ match (r.paused, r.behind) { (false, 0) => "caught up".to_string(), (true, 0) => "paused".to_string(), (p, b) => format!("{}{b} behind, {}", if p { "paused · " } else { "" }, ms(Some(r.lag_ms))) } }</text>
                    </g>
                }
            }) }
            <text x={format!("{px}")} y={format!("{:.0}", h - 4.0)} font-size="13" fill="var(--muted)">{"● write in flight"}</text>
        </svg>
    }
}
