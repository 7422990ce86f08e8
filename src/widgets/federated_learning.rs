//! View of `federated-learning` (book page 31): FedAvg over edge nodes with skewed data,
//! stragglers and dropouts, measured against FedSGD (what the book's diagram sends) and
//! central training, and the rounds played live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::federated_learning::{
    Live, NodeSnap, NodeState, Params, Report, Snapshot, CLASSES, MODEL_BYTES, N_PARAMS,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn rounds_to(x: Option<u32>) -> String {
    x.map(|r| format!("{r}")).unwrap_or_else(|| "never".into())
}

fn bytes(b: u64) -> String {
    if b >= 10_000 {
        format!("{} kB", sig3(b as f64 / 1000.0))
    } else {
        format!("{} B", int(b))
    }
}

fn last(v: &[f64]) -> f64 {
    v.last().copied().unwrap_or(0.0)
}

/// The federated-learning widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| {
        (loss_chart(r), acc_chart(r), rounds_chart(r), nodes_chart(r))
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let (fa, ce, fs) = (
        last(&r.acc_fedavg),
        last(&r.acc_central),
        last(&r.acc_fedsgd),
    );
    let target = pct(r.target, 0);
    let split = if p.split == "iid" {
        "IID data".to_string()
    } else {
        format!(
            "{} % of each node's data from one class",
            sig3(p.dominant_pct)
        )
    };
    let dropped: u32 = r.dropped.iter().sum();
    let late: u32 = r.late.iter().sum();
    html! {
        <>
        <p class="callout">
            { format!("{} edge nodes, {}; {} of them asked each round, {} local epoch{} of batch {}: after {} rounds FedAvg classifies ", p.nodes, split, r.per_round, p.local_epochs, if p.local_epochs == 1 { "" } else { "s" }, p.batch, r.rounds) }
            <strong>{ pct(fa, 1) }</strong>
            { format!(" of the test points (central training on the pooled data: {}; FedSGD: {}; the best any classifier can do here: {}).", pct(ce, 1), pct(fs, 1), pct(r.best_acc, 1)) }
        </p>
        <dl class="metrics">
            { metric("acc_fedavg", "FedAvg test accuracy", pct(fa, 1), Some(format!("central {} · ceiling {}", pct(ce, 1), pct(r.best_acc, 1))), if ce - fa > 0.03 { Tone::Bad } else { Tone::Good }) }
            { metric("rounds_fedavg", &format!("Rounds to {target}: FedAvg"), rounds_to(r.rounds_to_target_fedavg), Some(format!("FedSGD {} · central {}", rounds_to(r.rounds_to_target_fedsgd), rounds_to(r.rounds_to_target_central))), if r.rounds_to_target_fedavg.is_some() { Tone::Good } else { Tone::Bad }) }
            { metric("bytes_fedavg", &format!("Bytes sent to reach {target}"), r.bytes_to_target_fedavg.map(bytes).unwrap_or_else(|| "not reached".into()), Some(format!("FedSGD: {} · whole run {}", r.bytes_to_target_fedsgd.map(bytes).unwrap_or_else(|| "not reached".into()), bytes(r.bytes_total))), Tone::Plain) }
            { metric("wall_time", "Wall time of the run", format!("{} s", sig3(r.total_s)), Some(format!("{} s a round on average", sig3(r.total_s / f64::from(r.rounds.max(1))))), Tone::Plain) }
            { metric("averaged", "Updates averaged per round", sig3(r.mean_returned), Some(format!("of {} asked · {} dropped out · {} late", r.per_round, dropped, late)), if r.mean_returned < f64::from(r.per_round) { Tone::Bad } else { Tone::Plain }) }
            { metric("node_spread", "Final model on each node's own data", format!("{:.0}–{:.0} %", r.node_acc_min * 100.0, r.node_acc_max * 100.0), Some("worst node – best node".into()), if r.node_acc_max - r.node_acc_min > 0.15 { Tone::Bad } else { Tone::Plain }) }
        </dl>
        if let Some((loss, acc, rounds, nodes)) = (*charts).clone() {
            <Chart spec={loss} height={230} caption="Training loss (mean cross-entropy on all nodes' data) after each round, FedAvg against FedSGD and central SGD with the same compute" />
            <Chart spec={acc} height={230} caption="Test accuracy after each round, with the target and the best accuracy the data allow" />
            <Chart spec={rounds} height={200} caption="Nodes asked, updates averaged, dropouts and late nodes in each round, and the round's wall time" />
            <Chart spec={nodes} height={190} caption="Accuracy of the final FedAvg model on each node's own data" />
        }
        { notes(&r.notes) }
        <LiveRounds params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{ format!("Real training, in your browser: points in the plane from three overlapping classes, and a softmax-regression classifier ({N_PARAMS} numbers, so each message is {MODEL_BYTES} bytes). Each edge node keeps its points to itself. In every round of FedAvg (McMahan et al., AISTATS 2017) the server picks a fraction C of the nodes and sends them the global model; each runs E passes of mini-batch SGD over its own data and sends its weights back; the server replaces the model by their average, weighted by how many points each node holds. FedSGD, the paper's baseline, sends one full-batch gradient per node per round instead. Central training pools everyone's data and runs mini-batch SGD with the same learning rate and the same number of per-point gradients FedAvg planned that round: no network, no skew, the yardstick.") }</p>
            <p>{"Each node computes 1000 gradients a second times its speed (0.7–1.3; stragglers divided by the slowdown) and a message takes 50 ms each way. The server either waits for every node it asked, or closes the round at a deadline and leaves the late ones out; a node can also drop out mid-round. Either way its update never enters the average."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("IID data", &[("split", "iid")]) }
                { ctx.try_this("Non-IID: every node one class", &[("split", "skew"), ("dominant_pct", "100"), ("fraction", "0.5")]) }
                { ctx.try_this("Non-IID, many local epochs (client drift)", &[("split", "skew"), ("dominant_pct", "100"), ("local_epochs", "10"), ("lr", "0.3"), ("fraction", "0.5")]) }
                { ctx.try_this("Stragglers with a deadline", &[("stragglers_pct", "30"), ("slowdown", "8"), ("mode", "deadline"), ("deadline_x", "1.5")]) }
                { ctx.try_this("30 % dropout", &[("dropout_pct", "30")]) }
                { ctx.try_this("FedSGD vs FedAvg: 60 rounds", &[("rounds", "60"), ("split", "iid"), ("stragglers_pct", "0")]) }
                { ctx.try_this("Unequal node sizes", &[("size_skew", "true"), ("split", "iid")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"FedAvg and FedSGD send messages of the same size, but FedAvg turns each message into E·n/B local steps, FedSGD into one: FedSGD needs many more rounds (and bytes) to reach the target, which is the paper's point. With IID data FedAvg ends within a point or two of central training. Make every node hold one class: with all nodes in every round a convex model like this one barely notices, but when the server samples half the nodes, each round's average leans toward whichever classes were asked, and the target takes more rounds (measured with C = 0.5, E = 5 and a 90 % target over 24 seeds: about 6 rounds against 3 for IID). Raise E and the learning rate on skewed nodes and each node runs off towards \"everything is my class\" before the average pulls it back: the curves wobble and the spread of accuracy across nodes widens (client drift; Zhao et al. 2018, Li et al. ICLR 2020). Waiting for a straggler makes every round as slow as the slowest node asked; a deadline restores the pace, and if the slow nodes are always the same ones, their data is simply never learned from."}</p>
            <h3>{"Where the book's picture holds and where it does not"}</h3>
            <p>{"The diagram has the shape right: data stays on the edges, only model traffic crosses the network, and a central model comes back. Its arrow says the edges send gradients. That is FedSGD, one gradient step per round trip, and it is the slow way: federated learning in practice (FedAvg and its descendants) sends model weights, or the change in them, after several local epochs. The picture also leaves out what makes the edge hard: nodes that are slow or vanish mid-round, and data that is not a fair sample of the whole. Both are knobs here, and both cost rounds."}</p>
        </section>
        </>
    }
}

fn pts(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect()
}

fn loss_chart(r: &Report) -> Rc<ChartSpec> {
    Rc::new(ChartSpec {
        title: "Training loss vs rounds".into(),
        x_label: "round".into(),
        y_label: "cross-entropy".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("FedAvg", Kind::Line, 3, pts(&r.loss_fedavg)),
            Series::new("FedSGD", Kind::Line, 1, pts(&r.loss_fedsgd)),
            Series::new("central", Kind::Dashed, 5, pts(&r.loss_central)),
        ],
        ..Default::default()
    })
}

fn acc_chart(r: &Report) -> Rc<ChartSpec> {
    let n = f64::from(r.rounds);
    // from round 1: the untrained start (a third right) would flatten the part worth seeing
    let flat = |y: f64| vec![(1.0, y * 100.0), (n, y * 100.0)];
    let pc = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .skip(1)
            .map(|(i, &y)| (i as f64, y * 100.0))
            .collect()
    };
    Rc::new(ChartSpec {
        title: "Test accuracy vs rounds".into(),
        x_label: "round".into(),
        y_label: "accuracy %".into(),
        series: vec![
            Series::new("FedAvg", Kind::Line, 3, pc(&r.acc_fedavg)),
            Series::new("FedSGD", Kind::Line, 1, pc(&r.acc_fedsgd)),
            Series::new("central", Kind::Dashed, 5, pc(&r.acc_central)),
            Series::new("target", Kind::Dashed, 4, flat(r.target)),
            Series::new("best possible", Kind::Dashed, 2, flat(r.best_acc)),
        ],
        ..Default::default()
    })
}

fn rounds_chart(r: &Report) -> Rc<ChartSpec> {
    let c = |v: &[u32]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, &y)| ((i + 1) as f64, f64::from(y)))
            .collect()
    };
    let t: Vec<(f64, f64)> = r
        .round_s
        .iter()
        .enumerate()
        .map(|(i, &y)| ((i + 1) as f64, y))
        .collect();
    Rc::new(ChartSpec {
        title: "Participation and round time".into(),
        x_label: "round".into(),
        y_label: "nodes · seconds".into(),
        y_min: Some(0.0),
        series: [
            Some(Series::new("asked", Kind::Dashed, 5, c(&r.sampled))),
            Some(Series::new("averaged", Kind::Line, 3, c(&r.returned))),
            r.dropped
                .iter()
                .any(|&x| x > 0)
                .then(|| Series::new("dropped out", Kind::Points, 4, c(&r.dropped))),
            r.late
                .iter()
                .any(|&x| x > 0)
                .then(|| Series::new("late", Kind::Points, 1, c(&r.late))),
            Some(Series::new("round time (s)", Kind::Line, 0, t)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        ..Default::default()
    })
}

fn nodes_chart(r: &Report) -> Rc<ChartSpec> {
    Rc::new(ChartSpec {
        title: "Final model on each node".into(),
        x_label: "node".into(),
        y_label: "accuracy %".into(),
        y_min: Some(0.0),
        categories: (1..=r.nodes.len()).map(|i| format!("{i}")).collect(),
        series: vec![Series::new(
            "accuracy on own data",
            Kind::Bars,
            3,
            r.nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (i as f64, n.local_acc * 100.0))
                .collect(),
        )],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn make(d: &(Params, u64)) -> Live {
    Live::new(&d.0, d.1)
}

/// FedAvg round by round, from the same seed as the numbers above.
#[component]
fn LiveRounds(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim((params.clone(), *seed), make, Live::snapshot, 0.5);
    let s: &Snapshot = &live.snap;
    let drop = live.poke(|l: &mut Live, now: f64, _: MouseEvent| l.drop_node(now));
    let slow = live.poke(|l: &mut Live, now: f64, _: MouseEvent| l.make_straggler(now));
    let status = if s.done {
        format!("done: {} rounds, t = {:.2} s", s.rounds, s.t)
    } else {
        format!("round {} of {} · t = {:.2} s", s.round, s.rounds, s.t)
    };
    let count = |st: NodeState| s.nodes.iter().filter(|n| n.state == st).count();
    let working = count(NodeState::Down) + count(NodeState::Training) + count(NodeState::Up);
    html! {
        <section class="live" aria-label="Live rounds">
            <h3>{"The rounds, live: model down, local training, updates up, average"}</h3>
            { live.player(vec![0.1, 0.25, 0.5, 1.0, 3.0], status, id.clone()) }
            <p>
                <button type="button" onclick={drop} disabled={s.done}>{"Drop a node now"}</button>
                <button type="button" onclick={slow} disabled={s.done}>{"Make a straggler"}</button>
            </p>
            { federation_svg(s) }
            <p class="fl-key" aria-hidden="true">
                <span class="fl-sw fl-k0"></span>{"class A "}<span class="fl-sw fl-k1"></span>{"class B "}<span class="fl-sw fl-k2"></span>{"class C "}
                <span class="fl-dot fl-k3"></span>{"model ↓ "}<span class="fl-dot fl-kfg"></span>{"update ↑ "}{"· dimmed: straggler · ✕: update lost"}
            </p>
            <dl class="metrics">
                { metric("live_acc", "Global model, test accuracy", pct(last(&s.acc), 1), Some(format!("after round {}", s.acc.len().saturating_sub(1))), Tone::Plain) }
                { metric("live_round", "Updates in, this round", format!("{} of {}", count(NodeState::Arrived), s.nodes.iter().filter(|n| n.state != NodeState::Idle).count()), Some(format!("{working} working · {} dropped · {} late", count(NodeState::Dropped), count(NodeState::Late))), Tone::Plain) }
                { metric("live_last", "Updates averaged last round", s.last_returned.map(|m| m.to_string()).unwrap_or_else(|| "—".into()), Some(if s.deadline.is_some() { "deadline mode".into() } else { "server waits for all".into() }), Tone::Plain) }
            </dl>
        </section>
    }
}

const W: f64 = 400.0;
const H: f64 = 310.0;

/// The server in the middle, the nodes around it with their class mix; messages as dots on the
/// links; stragglers dimmed, dropped nodes crossed out.
fn federation_svg(s: &Snapshot) -> Html {
    let k = s.nodes.len().max(1);
    let (cx, cy, rad) = (W / 2.0, H / 2.0, 132.0);
    let bw = (2.0 * core::f64::consts::PI * rad / k as f64 * 0.72).clamp(16.0, 46.0);
    let bh = (bw * 0.7).max(14.0);
    let label = format!(
        "Server and {} edge nodes: {} working, {} updates in, {} dropped, {} late",
        k,
        s.nodes
            .iter()
            .filter(|n| matches!(
                n.state,
                NodeState::Down | NodeState::Training | NodeState::Up
            ))
            .count(),
        s.nodes
            .iter()
            .filter(|n| n.state == NodeState::Arrived)
            .count(),
        s.nodes
            .iter()
            .filter(|n| n.state == NodeState::Dropped)
            .count(),
        s.nodes
            .iter()
            .filter(|n| n.state == NodeState::Late)
            .count(),
    );
    let pos = |i: usize| {
        let a = -core::f64::consts::FRAC_PI_2 + 2.0 * core::f64::consts::PI * i as f64 / k as f64;
        (cx + rad * libm::cos(a), cy + rad * libm::sin(a))
    };
    let prog = if s.round_end > 0.0 {
        (s.in_round / s.round_end).clamp(0.0, 1.0)
    } else {
        0.0
    };
    html! {
        <svg class="drawing fl-fed" viewBox={format!("0 0 {W} {H}")} role="img" aria-label={label}>
            { for s.nodes.iter().enumerate().map(|(i, n)| link(pos(i), (cx, cy), n)) }
            <rect x={format!("{:.1}", cx - 46.0)} y={format!("{:.1}", cy - 24.0)} width="92" height="48" rx="6" fill="var(--bg)" stroke="var(--fg)" stroke-width="1.5" />
            <text x={format!("{cx:.1}")} y={format!("{:.1}", cy - 8.0)} text-anchor="middle" font-size="11" fill="var(--fg)">{"server"}</text>
            <text x={format!("{cx:.1}")} y={format!("{:.1}", cy + 5.0)} text-anchor="middle" font-size="11" fill="var(--muted)">{ format!("round {}/{}", s.round, s.rounds) }</text>
            <rect x={format!("{:.1}", cx - 36.0)} y={format!("{:.1}", cy + 11.0)} width="72" height="5" fill="none" stroke="var(--border)" />
            <rect x={format!("{:.1}", cx - 36.0)} y={format!("{:.1}", cy + 11.0)} width={format!("{:.1}", 72.0 * prog)} height="5" fill="var(--c3)" />
            { for s.nodes.iter().enumerate().map(|(i, n)| node(i, pos(i), bw, bh, n)) }
        </svg>
    }
}

fn link(a: (f64, f64), b: (f64, f64), n: &NodeSnap) -> Html {
    let active = !matches!(n.state, NodeState::Idle);
    let dot = match n.state {
        NodeState::Down => Some((1.0 - n.link, "var(--c3)")),
        NodeState::Up => Some((n.link, "var(--fg)")),
        _ => None,
    };
    let (stroke, dash, width) = match n.state {
        NodeState::Idle => ("var(--border)", "2 3", "1"),
        NodeState::Arrived => ("var(--c3)", "", "2"),
        NodeState::Dropped | NodeState::Late => ("var(--c4)", "3 3", "1"),
        _ => ("var(--muted)", "", "1.2"),
    };
    html! {
        <g>
            <line x1={format!("{:.1}", a.0)} y1={format!("{:.1}", a.1)} x2={format!("{:.1}", b.0)} y2={format!("{:.1}", b.1)}
                  stroke={stroke} stroke-dasharray={dash} stroke-width={width} opacity={if active { "1" } else { "0.6" }} />
            if let Some((f, col)) = dot {
                // f = 0 at the node, 1 at the server
                <circle cx={format!("{:.1}", a.0 + (b.0 - a.0) * f)} cy={format!("{:.1}", a.1 + (b.1 - a.1) * f)} r="4" fill={col} stroke="var(--bg)" />
            }
        </g>
    }
}

fn node(i: usize, (x, y): (f64, f64), bw: f64, bh: f64, n: &NodeSnap) -> Html {
    let (x0, y0) = (x - bw / 2.0, y - bh / 2.0);
    let total: u32 = n.counts.iter().sum::<u32>().max(1);
    let bar_h = (bh * 0.32).max(4.0);
    let mut acc = 0.0;
    let segs: Vec<Html> = (0..CLASSES)
        .map(|c| {
            let w = (bw - 4.0) * f64::from(n.counts[c]) / f64::from(total);
            let h = html! { <rect x={format!("{:.1}", x0 + 2.0 + acc)} y={format!("{:.1}", y0 + bh - bar_h - 2.0)} width={format!("{w:.1}")} height={format!("{bar_h:.1}")} fill={format!("var(--c{c})")} /> };
            acc += w;
            h
        })
        .collect();
    let stroke = match n.state {
        NodeState::Idle => "var(--border)",
        NodeState::Arrived => "var(--c3)",
        NodeState::Dropped | NodeState::Late => "var(--c4)",
        _ => "var(--fg)",
    };
    let train_w = (bw - 4.0) * n.progress;
    let show_train = matches!(
        n.state,
        NodeState::Training | NodeState::Up | NodeState::Late
    );
    html! {
        <g opacity={if n.straggler { "0.5" } else { "1" }}>
            <title>{ format!("node {}: {} points ({}), {}{}", i + 1, total, n.counts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" / "), state_word(n.state), if n.straggler { ", straggler" } else { "" }) }</title>
            <rect x={format!("{x0:.1}")} y={format!("{y0:.1}")} width={format!("{bw:.1}")} height={format!("{bh:.1}")} rx="3" fill="var(--bg)" stroke={stroke} stroke-width="1.5" />
            if show_train {
                <rect x={format!("{:.1}", x0 + 2.0)} y={format!("{:.1}", y0 + 2.0)} width={format!("{train_w:.1}")} height="3" fill="var(--c3)" />
            }
            if bw >= 26.0 {
                <text x={format!("{x:.1}")} y={format!("{:.1}", y0 + bh * 0.5)} text-anchor="middle" font-size="11" fill="var(--fg)">{ if n.straggler { format!("{} slow", i + 1) } else { format!("{}", i + 1) } }</text>
            }
            { for segs }
            if matches!(n.state, NodeState::Dropped | NodeState::Late) {
                <g stroke="var(--c4)" stroke-width="2">
                    <line x1={format!("{x0:.1}")} y1={format!("{y0:.1}")} x2={format!("{:.1}", x0 + bw)} y2={format!("{:.1}", y0 + bh)} />
                    <line x1={format!("{:.1}", x0 + bw)} y1={format!("{y0:.1}")} x2={format!("{x0:.1}")} y2={format!("{:.1}", y0 + bh)} />
                </g>
            }
        </g>
    }
}

fn state_word(s: NodeState) -> &'static str {
    match s {
        NodeState::Idle => "not asked this round",
        NodeState::Down => "receiving the model",
        NodeState::Training => "training",
        NodeState::Up => "sending its update",
        NodeState::Arrived => "update in",
        NodeState::Dropped => "dropped out",
        NodeState::Late => "late",
    }
}
