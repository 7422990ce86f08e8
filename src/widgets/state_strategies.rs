//! View of `state-strategies` (book page 25): one key-value workload on a partitioned, a
//! replicated and a cached cluster, through a node failure and a network partition, with the
//! three clusters drawn and played live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::state_strategies::{
    Outcome, Params, Report, Snapshot, StateSim, StrategyReport, FAIL_AT, HEAL_AT, PARTITION_AT,
    PHASES, RECOVER_AT, TIMEOUT_S,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn scheme_name(s: &str, shards: u32) -> String {
    match s {
        "single" => "everything on one node".into(),
        "functional" => "one table per node (users, posts, comments)".into(),
        "virtual" => format!("{shards} virtual shards mapped to nodes by load"),
        _ => format!("hash mod {shards} shards"),
    }
}

/// The state-strategies widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let p = p.clone();
        move |r| (served_chart(r, &p), trouble_chart(r, &p), load_chart(r))
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Running the three clusters…"}</p> };
    };
    let Some((served, trouble, load)) = (*charts).clone() else {
        return html! {};
    };
    let [pa, re, ca] = [&r.strategies[0], &r.strategies[1], &r.strategies[2]];
    let strong = p.consistency == "strong";
    let part = &re.phases[3];
    let avail = |s: &StrategyReport| {
        metric(
            &format!("avail_{}", s.key),
            &format!("{}: served", s.name),
            pct(s.availability, 1),
            Some(format!(
                "{} ops/s · p99 {}",
                sig3(s.throughput),
                ms(s.p99_latency_ms)
            )),
            if s.availability < 0.95 {
                Tone::Bad
            } else {
                Tone::Plain
            },
        )
    };
    html! {
        <>
        <p class="callout">
            { format!("{} ops/s ({} % reads, Zipf s = {}) on {} nodes, placed by {}. The same operations hit three clusters: ", sig3(p.rate), p.read_pct, p.skew, p.nodes, scheme_name(&p.scheme, r.shards)) }
            <strong>{"partitioned"}</strong>{" (one copy), "}
            <strong>{ format!("replicated ×{}", re.replicas) }</strong>
            { format!(" ({}), and ", if strong { "strong: CP" } else { "eventual: AP" }) }
            <strong>{"cached"}</strong>
            { format!(" (a cache for {} % of the keys).", p.cache_pct) }
            { fault_text(&p) }
        </p>
        <dl class="metrics">
            { avail(pa) }
            { avail(re) }
            { avail(ca) }
            if p.fail_node > 0 {
                { metric("keys_lost", &format!("Keys lost while node {} is down", p.fail_node), int(pa.keys_unavailable), Some(format!("{} of traffic (partitioned); replicated: {}", pct(pa.unavailable_traffic, 1), int(re.keys_unavailable))), if pa.keys_unavailable > 0 { Tone::Bad } else { Tone::Plain }) }
            }
            if p.partition > 0 {
                { metric("partition_refused", &format!("Refused in the partition ({})", if strong { "CP" } else { "AP" }), int(part.refused), Some(format!("of {} ops, replicated; {} stale reads", int(part.ops), int(part.stale))), if strong { Tone::Bad } else { Tone::Plain }) }
            }
            { metric("stale", "Stale reads, replicated", int(re.stale_reads), Some(format!("{} of reads · lag {}", pct(re.stale_fraction, 2), re.lag_mean_ms.map(|x| ms(Some(x))).unwrap_or_else(|| if strong { "0: copies are synchronous".into() } else { "—".into() }))), if re.stale_reads > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("hit_ratio", "Cache hit ratio", ca.cache_hit_ratio.map(|x| pct(x, 1)).unwrap_or_else(|| "no cache".into()), Some(match (ca.warm_node_hit_ratio, ca.cold_hit_ratio) { (Some(w), Some(c)) => format!("n{}'s shard {} → {} cold · {} stale hits", p.fail_node, pct(w, 0), pct(c, 0), int(ca.stale_reads)), _ => format!("{} stale hits", int(ca.stale_reads)) }), Tone::Plain) }
            { metric("cross_shard", &format!("Multi-key ops crossing shards (k = {})", p.multi_keys), pct(r.cross_shard_fraction, 1), Some(format!("theory 1 − (1/{}){} = {}; with this skew {}", r.shards, sup(p.multi_keys - 1), pct(r.cross_shard_theory_uniform, 1), pct(r.cross_shard_theory, 1))), Tone::Plain) }
            { metric("cross_cost", "Extra latency, cross-node op", pa.cross_extra_ms.map(|x| format!("+{}", ms(Some(x)))).unwrap_or_else(|| "—".into()), Some(format!("{} of multi-key ops span nodes", pct(pa.cross_node_fraction, 0))), Tone::Plain) }
            { metric("hot_node", "Busiest node ÷ mean, partitioned, before faults", format!("{}×", sig3(pa.max_over_mean)), Some(format!("hottest key draws {}", pct(r.hot_key_share, 1))), if pa.max_over_mean > 1.3 { Tone::Bad } else { Tone::Plain }) }
        </dl>
        <Chart spec={served} height={260} caption="Operations served per second by each cluster; the fault windows are marked" />
        <div class="table-wrap">
            <table class="data ss-table" aria-label="Share of operations served in each phase">
                <thead><tr>
                    <th>{"cluster"}</th>
                    { for PHASES.iter().map(|(n, a, b)| html! { <th title={format!("{a}–{b} s")}>{ *n }</th> }) }
                    <th>{"stale reads"}</th>
                </tr></thead>
                <tbody>
                    { for r.strategies.iter().map(|s| html! {
                        <tr>
                            <th scope="row">{ &s.name }</th>
                            { for s.phases.iter().map(|ph| {
                                let a = if ph.ops == 0 { 1.0 } else { ph.served as f64 / ph.ops as f64 };
                                html! { <td class={classes!((a < 0.95).then_some("ss-bad"))}>{ pct(a, 1) }</td> }
                            }) }
                            <td class={classes!((s.stale_reads > 0).then_some("ss-bad"))}>{ int(s.stale_reads) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
        <div class="grid2">
            <Chart spec={trouble} height={240} caption="Refused operations and stale reads per second" />
            <Chart spec={load} height={240} caption={format!("Per-node load: share of time busy, 0–{FAIL_AT} s")} />
        </div>
        { notes(&r.notes) }
        <LiveClusters params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"One stream of key-value operations (mostly reads, a few popular keys, some operations touching several keys) is sent to three clusters of the same nodes. The partitioned cluster keeps one copy of each key on the node the placement picks. The replicated one keeps several copies of each shard: under strong consistency every write waits for all reachable copies and only a primary that sees a majority of its copies answers; under eventual consistency any copy answers and writes spread later. The cached one is the partitioned store with a cache in front that a write clears. Each node does a fixed amount of work per second and turns away work that would wait more than "}{ format!("{} ms. ", TIMEOUT_S * 1000.0) }{ format!("At {FAIL_AT} s a node dies and comes back at {RECOVER_AT} s with an empty cache; at {PARTITION_AT} s the network cuts the last nodes (and their share of clients) off until {HEAL_AT} s.") }</p>
            <h3>{"Try this"}</h3>
            <p class="ss-try">
                { ctx.try_this("CP under a partition", &[("consistency", "strong"), ("partition", "1"), ("replicas", "3")]) }
                { ctx.try_this("AP under a partition", &[("consistency", "eventual"), ("partition", "1"), ("replicas", "3")]) }
                { ctx.try_this("Split the cluster in half", &[("partition", "2"), ("nodes", "4")]) }
                { ctx.try_this("Two copies, strong", &[("replicas", "2"), ("consistency", "strong")]) }
                { ctx.try_this("Everything on one node", &[("scheme", "single")]) }
                { ctx.try_this("Functional sharding", &[("scheme", "functional"), ("nodes", "6")]) }
                { ctx.try_this("Hot keys, hash mod N", &[("scheme", "modulo"), ("skew", "1.2"), ("shards", "16")]) }
                { ctx.try_this("Hot keys, virtual shards", &[("scheme", "virtual"), ("skew", "1.2"), ("shards", "64")]) }
                { ctx.try_this("Every op multi-key", &[("multi_pct", "100"), ("multi_keys", "4")]) }
                { ctx.try_this("Slow replication", &[("consistency", "eventual"), ("repl_delay_ms", "500")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"Node failure: the partitioned and cached clusters refuse every operation on the dead node's keys until it returns (the cache still answers the keys it holds elsewhere); the replicated cluster refuses only for the detection time, then fails over. With hash mod N all of the dead node's shards fail over to its neighbour, which can overload; virtual shards spread them."}</li>
                <li>{"Partition: CP refuses everything the cut-off side asks (it cannot reach a majority) and never serves a stale read; AP keeps answering, at the price of stale reads and keys written on both sides that must be reconciled."}</li>
                <li>{"Caching takes most reads off the store, but under eventual consistency a write leaves the old copy in the cache for a while: stale hits. A node that returns has a cold cache shard."}</li>
            </ul>
            <h3>{"Where the book's claims hold, and where they fail"}</h3>
            <ul>
                <li>{ format!("“Partitioning: linear scalability” holds only while keys are spread evenly: here the busiest node does {}× the mean work, because the hottest key alone draws {} of all key lookups and one key cannot be split. A single node caps throughput at its capacity ({} units/s).", sig3(pa.max_over_mean), pct(r.hot_key_share, 1), sig3(p.capacity)) }</li>
                <li>{ format!("“Cross-shard queries expensive”: {} of {}-key operations crossed shards (theory for uniformly placed keys: 1 − (1/{}){} = {}), each paying an extra {} here; skew lowers the share a little ({}) because hot keys pull operations onto the same shard.", pct(r.cross_shard_fraction, 1), p.multi_keys, r.shards, sup(p.multi_keys - 1), pct(r.cross_shard_theory_uniform, 1), pa.cross_extra_ms.map(|x| ms(Some(x))).unwrap_or_else(|| "—".into()), pct(r.cross_shard_theory, 1)) }</li>
                <li>{ if strong { format!("“Replication: read scalability” does not hold under strong consistency: reads go to the primary only, so the busiest node is as busy as in the partitioned cluster ({}× the mean) and every write also costs each copy a unit. Switch to eventual to spread reads — and to see stale reads.", sig3(re.max_over_mean)) } else { format!("“Replication: read scalability” holds under eventual consistency — reads spread over the copies (busiest node {}× the mean) — but {} of reads were stale, with replica lag of {} on average.", sig3(re.max_over_mean), pct(re.stale_fraction, 1), re.lag_mean_ms.map(|x| ms(Some(x))).unwrap_or_else(|| "—".into())) } }</li>
                <li>{ if p.partition > 0 { if strong { format!("“Choose between C and A when partitioned”: measured. CP refused {} of {} operations during the partition and served no stale read.", int(part.refused), int(part.ops)) } else { format!("“Choose between C and A when partitioned”: measured. AP served {} of operations during the partition, but {} reads were stale and {} keys took conflicting writes.", pct(part.served as f64 / part.ops.max(1) as f64, 1), int(part.stale), int(re.conflicts)) } } else { "Set “Nodes cut off” above 0 to measure the CAP choice.".to_string() } }</li>
            </ul>
        </section>
        </>
    }
}

fn fault_text(p: &Params) -> String {
    let mut s = String::new();
    if p.fail_node > 0 {
        s.push_str(&format!(
            " Node {} fails at {FAIL_AT} s and returns at {RECOVER_AT} s.",
            p.fail_node
        ));
    }
    if p.partition > 0 {
        s.push_str(&format!(
            " From {PARTITION_AT} s to {HEAL_AT} s a partition cuts off the last {} node{}.",
            p.partition,
            if p.partition == 1 { "" } else { "s" }
        ));
    }
    s
}

fn fault_marks(p: &Params) -> Vec<Mark> {
    let mut m = Vec::new();
    if p.fail_node > 0 {
        m.push(Mark {
            x: FAIL_AT,
            label: format!("n{} down", p.fail_node),
        });
        m.push(Mark {
            x: RECOVER_AT,
            label: "up".into(),
        });
    }
    if p.partition > 0 {
        m.push(Mark {
            x: PARTITION_AT,
            label: "cut".into(),
        });
        m.push(Mark {
            x: HEAL_AT,
            label: "healed".into(),
        });
    }
    m
}

fn series_of(r: &Report, f: fn(&StrategyReport) -> &Vec<f64>, i: usize) -> Vec<(f64, f64)> {
    f(&r.strategies[i])
        .iter()
        .enumerate()
        .map(|(b, &y)| ((b as f64 + 0.5) * r.bin_s, y))
        .collect()
}

fn served_chart(r: &Report, p: &Params) -> Rc<ChartSpec> {
    let offered = r.ops as f64 / sim::models::state_strategies::RUN_S;
    Rc::new(ChartSpec {
        title: "Served operations per second".into(),
        x_label: "time (s)".into(),
        y_label: "ops/s".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new(
                "partitioned",
                Kind::Line,
                0,
                series_of(r, |s| &s.served_per_s, 0),
            ),
            Series::new(
                "replicated",
                Kind::Line,
                1,
                series_of(r, |s| &s.served_per_s, 1),
            ),
            Series::new(
                "cached",
                Kind::Line,
                2,
                series_of(r, |s| &s.served_per_s, 2),
            ),
            Series::new(
                "offered (mean)",
                Kind::Dashed,
                5,
                vec![
                    (0.0, offered),
                    (sim::models::state_strategies::RUN_S, offered),
                ],
            ),
        ],
        marks: fault_marks(p),
        ..Default::default()
    })
}

fn trouble_chart(r: &Report, p: &Params) -> Rc<ChartSpec> {
    Rc::new(ChartSpec {
        title: "Refused and stale per second".into(),
        x_label: "time (s)".into(),
        y_label: "per second".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new(
                "refused, partitioned",
                Kind::Line,
                0,
                series_of(r, |s| &s.refused_per_s, 0),
            ),
            Series::new(
                "refused, replicated",
                Kind::Line,
                1,
                series_of(r, |s| &s.refused_per_s, 1),
            ),
            Series::new(
                "refused, cached",
                Kind::Line,
                2,
                series_of(r, |s| &s.refused_per_s, 2),
            ),
            Series::new(
                "stale, replicated",
                Kind::Dashed,
                4,
                series_of(r, |s| &s.stale_per_s, 1),
            ),
            Series::new(
                "stale, cached",
                Kind::Dashed,
                3,
                series_of(r, |s| &s.stale_per_s, 2),
            ),
        ],
        marks: fault_marks(p),
        ..Default::default()
    })
}

fn load_chart(r: &Report) -> Rc<ChartSpec> {
    let pts = |i: usize| -> Vec<(f64, f64)> {
        r.strategies[i]
            .node_util_steady
            .iter()
            .enumerate()
            .map(|(n, &u)| (n as f64, u * 100.0))
            .collect()
    };
    Rc::new(ChartSpec {
        title: "Per-node load before the faults".into(),
        x_label: "node".into(),
        y_label: "% of time busy".into(),
        y_min: Some(0.0),
        categories: (1..=r.nodes).map(|n| format!("n{n}")).collect(),
        series: vec![
            Series::new("partitioned", Kind::Bars, 0, pts(0)),
            Series::new("replicated", Kind::Points, 1, pts(1)),
            Series::new("cached", Kind::Points, 2, pts(2)),
        ],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// The three clusters, played live from the same seed.
#[component]
fn LiveClusters(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| StateSim::new(&d.0, d.1),
        |s| s.snapshot(),
        0.25,
    );
    let s: &Snapshot = &live.snap;
    let t = s.t.max(live.clock);
    let phase = PHASES
        .iter()
        .find(|(_, a, b)| (*a..*b).contains(&t))
        .map_or("done", |x| x.0);
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"The three clusters, live"}</h3>
            { live.player(vec![0.05, 0.25, 0.5, 1.0, 2.0], format!("t = {:.2} s · {} · {} ops", t, phase, int(s.ops)), id.clone()) }
            { clusters_svg(s, params) }
            <p class="ss-key muted">{"Squares are the shards each node serves now (they move on failover); the bar under a node is its queue, full at the "}{ format!("{} ms timeout", TIMEOUT_S * 1000.0) }{". The dot before each name is the last operation: served or refused."}</p>
        </section>
    }
}

fn clusters_svg(s: &Snapshot, p: &Params) -> Html {
    const BOX: f64 = 62.0;
    let n = s.nodes.max(1) as usize;
    let gap = 8.0;
    let bw = 80.0;
    // more than six nodes wrap onto two lines, so a narrow screen still shows them readably
    let per = if n > 6 { n.div_ceil(2) } else { n };
    let lines = n.div_ceil(per);
    let row_h = 34.0 + lines as f64 * (BOX + 8.0);
    let w = (bw * per as f64 + gap * (per as f64 - 1.0) + 12.0).max(340.0);
    let x0 = (w - (bw * per as f64 + gap * (per as f64 - 1.0))) / 2.0;
    let h = row_h * 3.0;
    let node_xy = |i: usize, y: f64| {
        (
            x0 + (i % per) as f64 * (bw + gap),
            y + 34.0 + (i / per) as f64 * (BOX + 8.0),
        )
    };
    let cut_at = s.cut.first().map(|&c| c as usize);
    let names = ["Partitioned", "Replicated", "Cached"];
    let desc = format!(
        "Three clusters of {} nodes at t = {:.2} s{}{}",
        n,
        s.t,
        s.down
            .map(|d| format!(", node {} down", d + 1))
            .unwrap_or_default(),
        if s.partitioned {
            ", partition in force"
        } else {
            ""
        }
    );
    html! {
        <svg class={classes!("drawing", "ss-clusters", match per { 0..=4 => "ss-w-4", 5 => "ss-w-5", _ => "ss-w-6" })} viewBox={format!("0 0 {w} {h}")} role="img" aria-label={desc}>
            { for s.clusters.iter().enumerate().map(|(row, c)| {
                let y = row as f64 * row_h;
                let stat = match (row, c.hit_ratio) {
                    (2, Some(hr)) => format!("served {} · refused {} · stale {} · hits {}", c.served, c.refused, c.stale, pct(hr, 0)),
                    _ => format!("served {} · refused {} · stale {}", c.served, c.refused, c.stale),
                };
                let title = if row == 1 { format!("{} ×{} ({})", names[row], p.replicas, if p.consistency == "strong" { "CP" } else { "AP" }) } else { names[row].to_string() };
                html! { <g>
                    <circle cx={fmt(x0 + 4.0)} cy={fmt(y + 9.0)} r="4"
                        fill={ if s.ops == 0 { "var(--border)" } else if c.last == Outcome::Served { "var(--ok)" } else { "var(--bad)" } } />
                    <text x={fmt(x0 + 12.0)} y={fmt(y + 13.0)} font-size="12" font-weight="600" fill="var(--fg)">{ title }</text>
                    <text x={fmt(x0)} y={fmt(y + 28.0)} font-size="11" fill="var(--muted)">{ stat }</text>
                    { for (0..n).map(|i| {
                        let (bx, by) = node_xy(i, y);
                        let down = s.down == Some(i as u32);
                        let cutoff = s.partitioned && s.cut.contains(&(i as u32));
                        let shards = &c.serving[i];
                        let cols = ((bw - 8.0) / 9.0).floor().max(1.0) as usize;
                        let backlog = (c.backlog_ms[i] / (TIMEOUT_S * 1000.0)).min(1.0);
                        html! { <g>
                            <rect x={fmt(bx)} y={fmt(by)} width={fmt(bw)} height={fmt(BOX)} rx="6"
                                fill={ if down { "var(--bg)" } else { "var(--panel)" } }
                                stroke={ if down { "var(--bad)" } else if cutoff { "var(--c3)" } else { "var(--border)" } }
                                stroke-width={ if down || cutoff { "2" } else { "1" } }
                                stroke-dasharray={ if down { "4 3" } else { "none" } } />
                            <text x={fmt(bx + 5.0)} y={fmt(by + 12.0)} font-size="10" fill="var(--muted)">{ if down { format!("n{} down", i + 1) } else { format!("n{}", i + 1) } }</text>
                            { for shards.iter().take(cols * 3).enumerate().map(|(j, &sh)| {
                                let (cx, cy) = (bx + 4.0 + (j % cols) as f64 * 9.0, by + 17.0 + (j / cols) as f64 * 9.0);
                                html! { <rect x={fmt(cx)} y={fmt(cy)} width="7" height="7" rx="1.5" fill={format!("var(--c{})", sh % 6)} opacity={ if down { "0.3" } else { "0.9" } }><title>{ format!("shard {sh}") }</title></rect> }
                            }) }
                            if shards.len() > cols * 3 {
                                <text x={fmt(bx + bw - 4.0)} y={fmt(by + 12.0)} font-size="9" text-anchor="end" fill="var(--muted)">{ format!("{} shards", shards.len()) }</text>
                            }
                            <rect x={fmt(bx + 4.0)} y={fmt(by + 50.0)} width={fmt(bw - 8.0)} height="6" rx="2" fill="var(--bg)" stroke="var(--border)" stroke-width="0.5" />
                            <rect x={fmt(bx + 4.0)} y={fmt(by + 50.0)} width={fmt((bw - 8.0) * backlog)} height="6" rx="2" fill={ if backlog > 0.8 { "var(--bad)" } else { "var(--c0)" } } />
                        </g> }
                    }) }
                </g> }
            }) }
            // the partition line: between the last kept node and the first cut-off one, on
            // each line of nodes it crosses
            if let Some(k) = cut_at {
                if k > 0 {
                    { for (0..3).flat_map(|row| (0..lines).map(move |l| (row, l))).filter_map(|(row, l)| {
                        let (start, end) = (l * per, ((l + 1) * per).min(n));
                        if k < start || k >= end { return None; }
                        let (bx, by) = node_xy(k, row as f64 * row_h);
                        Some(html! { <line x1={fmt(bx - gap / 2.0)} x2={fmt(bx - gap / 2.0)} y1={fmt(by - 4.0)} y2={fmt(by + BOX + 4.0)}
                            stroke={ if s.partitioned { "var(--bad)" } else { "var(--border)" } } stroke-width={ if s.partitioned { "3" } else { "1" } } stroke-dasharray="6 4" /> })
                    }) }
                }
            }
        </svg>
    }
}

/// A small whole number as superscript digits.
fn sup(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}
