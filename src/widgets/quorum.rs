//! View of `quorum` (book page 27): the N/W/R verdict, a WARS Monte-Carlo of staleness,
//! latency and availability, and one write plus a few reads played live, with replicas that
//! crash and restart on a click.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::quorum::{
    Link, MsgKind, Params, QuorumSim, Report, Snapshot, BY_R_POINTS, CURVE_POINTS,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// The quorum widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let r_sel = p.r;
        move |r| (stale_chart(r, r_sel), latency_chart(r), avail_chart(r))
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let (n, w, rq) = (p.n, p.w, p.r);
    let within = match r.within_ms {
        Some(t) => ms(Some(t)),
        None if r.reads_measured == 0 => "—".into(),
        None => "never".into(),
    };
    html! {
        <>
        <p class="callout">
            { format!("N = {n}, W = {w}, R = {rq}: R + W = {} {} N. ", rq + w, if r.strict { ">" } else { "≤" }) }
            <strong data-metric="verdict">{ if r.strict { "Strict quorum: every read sees the last write." } else { "Partial quorum: a read can miss the last write." } }</strong>
        </p>
        <dl class="metrics">
            { metric("overlap", "Replicas every read and write quorum share", int(u64::from(r.overlap)), Some(format!("R + W − N = {}", i64::from(rq + w) - i64::from(n))), if r.strict { Tone::Good } else { Tone::Bad }) }
            { metric("write_tolerates", "Writes survive", format!("{} down", r.write_tolerates), Some("N − W replicas".into()), Tone::Plain) }
            { metric("read_tolerates", "Reads survive", format!("{} down", r.read_tolerates), Some("N − R replicas".into()), Tone::Plain) }
            { metric("p_stale_t0", "Stale reads right after commit", pct(r.p_stale_t0, 2), Some(format!("± {} · only the W holders: {}", pct(r.p_stale_t0_ci95, 2), pct(r.p_stale_no_propagation, 2))), if r.p_stale_t0 > 0.0 { Tone::Bad } else { Tone::Good }) }
            { metric("within", "Consistent with 99.9 % after", within, Some(format!("{} reads measured", int(u64::from(r.reads_measured)))), Tone::Plain) }
            { metric("write_p50", "Write latency p50 / p99", format!("{} / {}", ms(Some(r.write_latency.p50)), ms(Some(r.write_latency.p99))), Some(theory_sub(r.write_latency.mean, r.write_latency.theory_mean, "W")), Tone::Plain) }
            { metric("read_p50", "Read latency p50 / p99", format!("{} / {}", ms(Some(r.read_latency.p50)), ms(Some(r.read_latency.p99))), Some(theory_sub(r.read_latency.mean, r.read_latency.theory_mean, "R")), Tone::Plain) }
            { metric("write_avail", "Writes that commit", pct(r.write_avail, 2), Some(format!("theory {}", pct(r.write_avail_theory, 2))), if r.write_avail < 0.999 { Tone::Bad } else { Tone::Plain }) }
            { metric("read_avail", "Reads that get R answers", pct(r.read_avail, 2), Some(format!("theory {}", pct(r.read_avail_theory, 2))), if r.read_avail < 0.999 { Tone::Bad } else { Tone::Plain }) }
        </dl>
        { notes(&r.notes) }
        if let Some((s, l, a)) = (*charts).clone() {
            <Chart spec={s} height={260} caption="Probability that a read is stale against the time between the write's commit and the read, one line per read quorum R" />
            <Chart spec={l} height={220} caption="Cumulative distribution of write and read latency" />
            <Chart spec={a} height={220} caption="Share of writes and reads that succeed as replicas crash, by theory, with the measured point at the chosen count" />
        }
        <LiveQuorum params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A key lives on N replicas. A write counts as done when W of them have said so; a read asks every replica and returns with the first R answers, the newest version winning. If R + W is larger than N, any R answering replicas must include one of the W that took the write, so no read can be stale. The Monte-Carlo gives every message its own random delay, as in the PBS \"WARS\" model of Bailis et al. (VLDB 2012): the write reaching a replica, its ack, the read request, the answer. It then measures how often a read issued t ms after the commit missed the write."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("N=3 W=2 R=2", &[("n", "3"), ("w", "2"), ("r", "2")]) }
                { ctx.try_this("N=5 W=3 R=3", &[("n", "5"), ("w", "3"), ("r", "3")]) }
                { ctx.try_this("N=5 W=1 R=5", &[("n", "5"), ("w", "1"), ("r", "5")]) }
                { ctx.try_this("N=5 W=5 R=1", &[("n", "5"), ("w", "5"), ("r", "1")]) }
                { ctx.try_this("Partial: N=3 W=1 R=1", &[("n", "3"), ("w", "1"), ("r", "1"), ("propagate", "true")]) }
                { ctx.try_this("No propagation", &[("n", "5"), ("w", "2"), ("r", "2"), ("propagate", "false")]) }
                { ctx.try_this("Two of five crashed", &[("n", "5"), ("w", "3"), ("r", "3"), ("failed", "2")]) }
                { ctx.try_this("Heavy tail, 5 % loss", &[("dist", "pareto"), ("drop", "5")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"The book's four configurations are all strict: the staleness curve is flat at zero whatever the delays, losses or crashes. What they trade is latency and availability. W = 1, R = 5 makes writes fast and survive four crashes, but a single crashed replica stops every read; W = 5, R = 1 is the mirror image. In the live view, click a replica (or focus it and press Enter) to crash it while the write is in flight and watch the quorum wait for someone else."}</p>
            <h3>{"Where the book's line holds, and where it is only half the story"}</h3>
            <p>{"R + W > N is exactly the condition for reads that never miss a committed write here: measured staleness is 0 in every trial. Below it, reads are not hopeless: with the write still travelling to the slower replicas, a partial quorum is usually fresh within a few write delays (tens of milliseconds with these defaults), which is PBS's finding for Dynamo-style stores. That depends on the write reaching every replica: switch propagation off and a partial quorum stays stale C(N−W, R)/C(N, R) of the time forever. And the guarantee assumes the same N replicas answer: sloppy quorums with hinted handoff (Dynamo) trade it away for availability."}</p>
        </section>
        </>
    }
}

fn theory_sub(mean: f64, theory: Option<f64>, q: &str) -> String {
    match theory {
        Some(t) => format!(
            "mean {} · {q}-th order statistic theory {}",
            ms(Some(mean)),
            ms(Some(t))
        ),
        None => format!("mean {}", ms(Some(mean))),
    }
}

fn stale_chart(r: &Report, r_sel: u32) -> Rc<ChartSpec> {
    let grid = |k: usize, pts: usize| r.t_max_ms * k as f64 / (pts - 1) as f64;
    let mut series = vec![Series::new(
        format!("R = {r_sel} (chosen)"),
        Kind::Line,
        0,
        r.curve
            .iter()
            .enumerate()
            .map(|(k, &p)| (grid(k, CURVE_POINTS), p))
            .collect(),
    )];
    for c in r.by_r.iter().filter(|c| c.r != r_sel && c.reads > 0) {
        series.push(Series::new(
            format!("R = {}", c.r),
            Kind::Dashed,
            1 + (c.r as usize % 5),
            c.p_stale
                .iter()
                .enumerate()
                .map(|(k, &p)| (grid(k, BY_R_POINTS), p))
                .collect(),
        ));
    }
    Rc::new(ChartSpec {
        title: "P(stale read) vs time since commit".into(),
        x_label: "time since the write committed (ms)".into(),
        y_label: "P(stale)".into(),
        y_min: Some(0.0),
        series,
        ..Default::default()
    })
}

fn latency_chart(r: &Report) -> Rc<ChartSpec> {
    let flip = |v: &Vec<(f64, f64)>| v.clone();
    Rc::new(ChartSpec {
        title: "Latency distribution".into(),
        x_label: "latency (ms)".into(),
        y_label: "fraction done".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new(
                "write (W-th ack)",
                Kind::Line,
                1,
                flip(&r.write_latency.cdf),
            ),
            Series::new(
                "read (R-th answer)",
                Kind::Line,
                0,
                flip(&r.read_latency.cdf),
            ),
        ],
        ..Default::default()
    })
}

fn avail_chart(r: &Report) -> Rc<ChartSpec> {
    let pts = |f: fn(&sim::models::quorum::AvailPoint) -> f64| {
        r.availability
            .iter()
            .map(|a| (f64::from(a.failed), f(a)))
            .collect::<Vec<_>>()
    };
    let failed = r
        .availability
        .iter()
        .position(|a| {
            (a.write - r.write_avail_theory).abs() < 1e-15
                && (a.read - r.read_avail_theory).abs() < 1e-15
        })
        .unwrap_or(0) as f64;
    Rc::new(ChartSpec {
        title: "Availability vs crashed replicas".into(),
        x_label: "replicas crashed".into(),
        y_label: "share that succeeds".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("writes, theory", Kind::Dashed, 1, pts(|a| a.write)),
            Series::new("reads, theory", Kind::Dashed, 0, pts(|a| a.read)),
            Series::new(
                "writes, measured",
                Kind::Points,
                1,
                vec![(failed, r.write_avail)],
            ),
            Series::new(
                "reads, measured",
                Kind::Points,
                0,
                vec![(failed, r.read_avail)],
            ),
        ],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn toggle(s: &mut QuorumSim, t: f64, node: u32) {
    s.toggle(node, t);
}

fn cycle_link(s: &mut QuorumSim, t: f64, node: u32) {
    s.cycle_link(node, t);
}

/// One write and a few reads, live.
#[component]
fn LiveQuorum(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| QuorumSim::new(&d.0, d.1),
        |s| s.snapshot(),
        0.02,
    );
    let click = live.poke(toggle);
    let cut = live.poke(cycle_link);
    let s: &Snapshot = &live.snap;
    let clock_ms = (live.clock * 1000.0).max(s.t_ms);
    let write = match (s.committed_ms, s.write_failed) {
        (Some(t), _) => format!("write committed at {:.1} ms", t),
        (None, true) => "write failed".into(),
        (None, false) => format!("write waiting: {} of {} acks", s.acks, s.w),
    };
    let reads_done = s.reads.iter().filter(|r| r.done_ms.is_some()).count();
    let fresh = s
        .reads
        .iter()
        .filter(|r| r.done_ms.is_some() && r.saw_write)
        .count();
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"One write, then five reads, live"}</h3>
            { live.player(vec![0.005, 0.02, 0.05, 0.2], format!("t = {clock_ms:.1} ms · {write} · reads {reads_done} done, {fresh} fresh"), id.clone()) }
            { drawing(s, clock_ms, &click, &cut) }
            <dl class="metrics">
                { metric("live_holders", "Replicas holding the write", format!("{} / {}", s.replicas.iter().filter(|r| r.has_write).count(), s.n), None, Tone::Plain) }
                { metric("live_reads", "Reads returned / fresh", format!("{reads_done} / {fresh}"), None, if reads_done > fresh { Tone::Bad } else { Tone::Plain }) }
            </dl>
            <p class="muted">{"Green: the write, and answers carrying it; purple: acks (a thick purple border marks the write quorum); blue: read requests; orange: answers with the old version; hollow: lost. Click a replica, or focus it and press Enter, to crash or restart it at the current moment. The badge on each link cuts it one way: “✕ in” loses what the coordinator sends (the write, read requests), “✕ out” loses what the replica sends back (acks, answers) — with W = N, cut one replica's way out and watch the write fail while every replica stores it."}</p>
        </section>
    }
}

fn drawing(s: &Snapshot, clock_ms: f64, click: &Callback<u32>, cut: &Callback<u32>) -> Html {
    let n = s.n.max(1);
    // a narrow viewBox and 12-unit text: at phone width the drawing scales to about 0.9, so its
    // labels stay near 11 px
    let (w, row) = (340.0, 30.0);
    let h = f64::from(n) * row + 20.0;
    let client = (42.0, h / 2.0);
    let rep = |i: u32| (282.0, 10.0 + row * (f64::from(i) + 0.5));
    let at = |node: u32| if node >= n { client } else { rep(node) };
    let still = dom::reduced_motion();
    html! {
        <svg class="drawing qu-system" viewBox={format!("0 0 {w} {h:.0}")} role="group" aria-label="Coordinator and replicas with messages in flight">
            { for s.replicas.iter().enumerate().map(|(i, r)| {
                let (x, y) = rep(i as u32);
                let open = r.link == Link::Open;
                html! { <line x1={format!("{:.0}", client.0)} y1={format!("{:.1}", client.1)} x2={format!("{x:.0}")} y2={format!("{y:.1}")}
                              stroke={if open { "var(--border)" } else { "var(--c4)" }} stroke-width={if open { "0.8" } else { "1.2" }}
                              stroke-dasharray={if open { "none" } else { "4 3" }} /> }
            }) }
            <rect x="4" y={format!("{:.1}", client.1 - 16.0)} width="76" height="32" rx="6" fill="var(--bg)" stroke="var(--fg)" />
            <text x="42" y={format!("{:.1}", client.1 + 4.0)} text-anchor="middle" font-size="12" fill="var(--fg)">{"coordinator"}</text>
            { for s.msgs.iter().map(|m| {
                let (a, b) = (at(m.from), at(m.to));
                let f = crate::chrome::player::flight_progress(clock_ms, m.sent_ms, m.arrive_ms, still);
                let (x, y) = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
                let colour = match m.kind {
                    MsgKind::Write => "var(--c2)",
                    MsgKind::Ack => "var(--c3)",
                    MsgKind::ReadReq(_) => "var(--c0)",
                    MsgKind::ReadResp { fresh: true, .. } => "var(--c2)",
                    MsgKind::ReadResp { fresh: false, .. } => "var(--c1)",
                };
                html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="4" fill={if m.lost { "none" } else { colour }} stroke={colour} stroke-dasharray={if m.lost { "2 2" } else { "none" }} /> }
            }) }
            // each link's one-way cut badge, on the line just before the replica
            { for s.replicas.iter().enumerate().map(|(i, r)| {
                let (x, y) = rep(i as u32);
                let bx = 220.0;
                let by = client.1 + (y - client.1) * (bx - client.0) / (x - client.0);
                let i = i as u32;
                let (text, now, next) = match r.link {
                    Link::Open => ("link", "open", "cut the way in"),
                    Link::NoIn => ("✕ in", "cut coordinator → replica", "cut the way out instead"),
                    Link::NoOut => ("✕ out", "cut replica → coordinator", "reopen it"),
                };
                let label = format!("Link to replica {}: {now}. Press to {next}.", i + 1);
                let open = r.link == Link::Open;
                html! {
                    <g class="qu-link" role="button" tabindex="0" aria-label={label} aria-pressed={(!open).to_string()}
                       onclick={cut.reform(move |_: MouseEvent| i)} onkeydown={dom::on_press(cut, i)}>
                        <rect x={format!("{:.1}", bx - 22.0)} y={format!("{:.1}", by - 10.0)} width="44" height="20" rx="10"
                              fill="var(--bg)" stroke={if open { "var(--border)" } else { "var(--c4)" }} />
                        <text x={format!("{bx:.1}")} y={format!("{:.1}", by + 4.0)} text-anchor="middle" font-size="12"
                              fill={if open { "var(--muted)" } else { "var(--c4)" }}>{ text }</text>
                    </g>
                }
            }) }
            { for s.replicas.iter().enumerate().map(|(i, r)| {
                let (x, y) = rep(i as u32);
                let i = i as u32;
                let onclick = click.reform(move |_: MouseEvent| i);
                let onkeydown = dom::on_press(click, i);
                let fill = if !r.up { "var(--bg)" } else if r.has_write { "var(--c2)" } else { "var(--bg)" };
                let label = format!("Replica {}: {}, {}{}. Press to {}.", i + 1, if r.up { "up" } else { "crashed" }, if r.has_write { "holds the new version" } else { "old version" }, if r.in_quorum { ", in the write quorum" } else { "" }, if r.up { "crash it" } else { "restart it" });
                html! {
                    <g class="qu-node" role="button" tabindex="0" aria-label={label} aria-pressed={(!r.up).to_string()} {onclick} {onkeydown}>
                        <rect x={format!("{:.0}", x - 22.0)} y={format!("{:.1}", y - 11.0)} width="74" height="22" rx="5" fill={fill}
                              stroke={if r.in_quorum { "var(--c3)" } else { "var(--fg)" }} stroke-width={if r.in_quorum { "2.5" } else { "1" }}
                              stroke-dasharray={if r.up { "none" } else { "3 2" }} />
                        <text x={format!("{:.0}", x + 15.0)} y={format!("{:.1}", y + 4.0)} text-anchor="middle" font-size="12"
                              fill={if r.up && r.has_write { "var(--bg)" } else if r.up { "var(--fg)" } else { "var(--muted)" }}>
                            { if r.up { format!("replica {}", i + 1) } else { format!("✕ {} down", i + 1) } }
                        </text>
                    </g>
                }
            }) }
        </svg>
    }
}
