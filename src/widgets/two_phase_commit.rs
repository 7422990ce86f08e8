//! View of `two-phase-commit` (book page 27): one transaction under 2PC and Paxos Commit on
//! the same failure schedule, played live with nodes you can crash and restart, and a batch of
//! transactions with random coordinator crashes as distributions of blocking time and latency.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::two_phase_commit::{
    BatchStats, CommitSim, CommitSnapshot, MsgSnap, NodeSnap, Params, Protocol, Report, Role,
    RunOutcome,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::TwoPc => "2PC",
        Protocol::Paxos => "Paxos Commit",
    }
}

fn crash_words(p: &Params) -> String {
    let when = match p.crash.as_str() {
        "before_prepare" => "crashes before sending prepare",
        "after_prepare" => "crashes right after sending prepare",
        "mid_decision" => "crashes after telling only some participants the decision",
        _ => return "No coordinator crash.".into(),
    };
    let back = if p.coord_down_ms > 0.0 {
        format!("comes back after {}", ms(Some(p.coord_down_ms)))
    } else {
        "never comes back".into()
    };
    format!("The coordinator {when} and {back}.")
}

/// The two-phase-commit widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| (blocked_chart(r), latency_chart(r)));
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let s = r.selected();
    let other = if r.protocol == Protocol::Paxos {
        Protocol::TwoPc
    } else {
        Protocol::Paxos
    };
    let batch = r.batch.get(usize::from(r.protocol == Protocol::Paxos));
    let theory_msgs = if r.protocol == Protocol::Paxos {
        r.theory.paxos_messages
    } else {
        r.theory.two_pc_messages
    };
    let blocked_text = if s.blocked_forever {
        format!("≥ {}", ms(Some(s.max_blocked_ms)))
    } else {
        ms(Some(s.max_blocked_ms))
    };
    html! {
        <>
        <p class="callout">
            { format!("{} {} participants, {}. Both protocols play the same votes and faults; ", crash_words(&p), p.participants,
                if p.protocol == "paxos" { format!("{} acceptors (F = {})", r.theory.acceptors, p.f) } else { "no acceptors in 2PC".into() }) }
            <strong>{ format!("showing {}", proto_name(r.protocol)) }</strong>{ "." }
        </p>
        <dl class="metrics">
            { metric("outcome", "Outcome", s.decision.clone(), Some(s.participants.iter().enumerate().map(|(i, q)| format!("P{} {}", i + 1, q.outcome)).collect::<Vec<_>>().join(" · ")), if s.decision == "commit" || s.decision == "abort" { Tone::Plain } else { Tone::Bad }) }
            { metric("max_blocked", "Longest wait holding locks", blocked_text, Some(if s.blocked_forever { "still prepared and undecided at the end".into() } else { "prepared, undecided".into() }), if s.max_blocked_ms > r.block_x_ms { Tone::Bad } else { Tone::Good }) }
            { metric("latency", "All participants decided after", ms(s.latency_ms), Some({ let d = if r.protocol == Protocol::Paxos { r.theory.paxos_delays } else { r.theory.two_pc_delays }; format!("failure-free: {d} hops = {}", ms(Some(f64::from(d) * p.latency_ms))) }), Tone::Plain) }
            { metric("messages", "Messages", int(u64::from(s.messages)), Some(format!("failure-free theory {} · lost {}", theory_msgs, s.lost)), Tone::Plain) }
            { metric("atomic", "Atomic and valid", if s.atomic && s.valid && s.paxos_safe { "yes".into() } else { "NO".into() }, Some("no split decision; commit only on all yes".into()), if s.atomic && s.valid { Tone::Good } else { Tone::Bad }) }
            if let Some(b) = batch {
                { metric("batch_over_x", &format!("Batch: blocked longer than {}", ms(Some(r.block_x_ms))), pct(b.frac_blocked_over_x, 1), Some(format!("of {} transactions; p99 {}", b.transactions, ms(Some(b.p99_blocked_ms)))), Tone::Plain) }
            }
        </dl>
        { compare_table(&r) }
        <p>
            { ctx.try_this(&format!("Same scenario under {}", proto_name(other)), &[("protocol", other.key())]) }
        </p>
        { notes(&r.notes) }
        <LiveCommit params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        if let Some((b, l)) = (*charts).clone() {
            if let [two, pax] = r.batch.as_slice() {
                { batch_table(two, pax, r.block_x_ms) }
            }
            <Chart spec={b} height={260} caption="Distribution over the batch of the longest time a participant held its locks undecided, for each protocol" />
            <Chart spec={l} height={240} caption="Distribution over the batch of the time until every participant decided, for each protocol" />
        }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"One transaction touches several participants; atomic commit makes them all commit or all abort. In two-phase commit the coordinator asks each to prepare; a participant that answers yes has promised to commit if told to, so from then on it keeps its locks and may not decide alone. If the coordinator vanishes after collecting the votes, nobody else knows whether it logged commit: the prepared participants wait. Paxos Commit (Gray and Lamport, 2006) writes each vote to a small group of acceptors instead of to the coordinator alone. When the decision does not come, any participant can run Paxos over those acceptors, read the votes back and finish the transaction — commit if every vote was yes and got recorded, abort otherwise."}</p>
            <p>{"Click (or focus and press Enter on) any node in the live drawing to crash it, and again to restart it, while it plays. Orange nodes with a padlock are prepared and blocked, with the time they have waited; green committed, red aborted; purple acceptors hold a vote; dashed nodes are down. The batch further down runs many transactions with the coordinator crashing at a random one of the three points, so it does not follow the crash knob."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Crash the coordinator after prepare, for good (2PC)", &[("protocol", "2pc"), ("crash", "after_prepare"), ("coord_down_ms", "0")]) }
                { ctx.try_this("…and the same under Paxos Commit", &[("protocol", "paxos"), ("crash", "after_prepare"), ("coord_down_ms", "0")]) }
                { ctx.try_this("Crash mid-decision", &[("crash", "mid_decision"), ("coord_down_ms", "1000")]) }
                { ctx.try_this("Paxos with 2 of 3 acceptors down", &[("protocol", "paxos"), ("f", "1"), ("acceptors_down", "2"), ("crash", "after_prepare"), ("coord_down_ms", "0")]) }
                { ctx.try_this("No faults (theory)", &[("crash", "none"), ("jitter_ms", "0"), ("drop_pct", "0"), ("p_no", "0")]) }
                { ctx.try_this("Lossy network, 20 %", &[("crash", "none"), ("drop_pct", "20")]) }
                { ctx.try_this("Crash before prepare", &[("crash", "before_prepare")]) }
                { ctx.try_this("One-way cut: P1 → C", &[("crash", "none"), ("partition", "p1_to_c")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{ format!("Without faults and jitter, 2PC decides after {} one-way delays with {} messages (4 per participant: prepare, vote, decision, ack); Paxos Commit needs {} delays and {} messages here — one more hop, as the paper says, paid for in every transaction.", r.theory.two_pc_delays, r.theory.two_pc_messages, r.theory.paxos_delays, r.theory.paxos_messages) }</li>
                <li>{"The sequence diagram under the live drawing keeps every message. With the coordinator down after prepare it reads as the book's blocking story: the yes votes end in crosses at the coordinator, the participants' “outcome?” questions go unanswered across dotted silences, and nothing is decided until the coordinator returns."}</li>
                <li>{"A crash before prepare or before any yes vote costs little: participants that never promised anything time out and abort. The dangerous window is after the votes and before everyone has heard the decision."}</li>
                <li>{"A one-way cut from P1 to the coordinator loses P1's yes vote: 2PC times out and aborts, while Paxos Commit, whose votes travel to the acceptors, still commits."}</li>
                <li>{"Atomicity never breaks, in either protocol, under any crash, loss or restart you inject: 2PC pays for safety with blocking, Paxos Commit with messages and acceptors. With more than F acceptors down, Paxos Commit blocks too."}</li>
            </ul>
            <h3>{"Where the book holds and where it is loose"}</h3>
            <p>{ format!("The book calls 2PC blocking, and it is: with the coordinator gone for good after prepare, 2PC's prepared participants here never decide, holding locks to the end of the watch, while Paxos Commit finishes within a timeout and one Paxos round. Its tree also lists three-phase commit as non-blocking only “in theory”: that is fair — 3PC's termination protocol assumes a synchronous network and can split under a partition, which is why this widget compares with Paxos Commit, the non-blocking commit that is safe under any message delay. In the batch, {} of 2PC transactions held locks longer than {}, against {} for Paxos Commit.",
                r.batch.first().map(|b| pct(b.frac_blocked_over_x, 1)).unwrap_or("—".into()), ms(Some(r.block_x_ms)),
                r.batch.get(1).map(|b| pct(b.frac_blocked_over_x, 1)).unwrap_or("—".into())) }</p>
        </section>
        </>
    }
}

fn compare_table(r: &Report) -> Html {
    let row = |o: &RunOutcome| {
        let chosen = o.protocol == r.protocol;
        html! {
            <tr class={classes!(chosen.then_some("chosen"))}>
                <td>{ proto_name(o.protocol) }</td>
                <td>{ o.decision.clone() }</td>
                <td>{ o.participants.iter().map(|q| match q.outcome.as_str() { "commit" => "C", "abort" => "A", _ => "?" }).collect::<Vec<_>>().join(" ") }</td>
                <td>{ if o.blocked_forever { format!("≥ {}", ms(Some(o.max_blocked_ms))) } else { ms(Some(o.max_blocked_ms)) } }</td>
                <td>{ ms(o.latency_ms) }</td>
                <td>{ int(u64::from(o.messages)) }</td>
            </tr>
        }
    };
    html! {
        <div class="table-wrap">
            <table class="data tpc-table" aria-label="This transaction under both protocols">
                <thead><tr><th>{"same failure"}</th><th>{"outcome"}</th><th>{"P1 P2 …"}</th><th>{"longest blocked"}</th><th>{"all decided"}</th><th>{"messages"}</th></tr></thead>
                <tbody>{ for r.runs.iter().map(row) }</tbody>
            </table>
            <p class="tpc-key">{"C commit · A abort · ? undecided, per participant"}</p>
        </div>
    }
}

fn batch_table(two: &BatchStats, pax: &BatchStats, x: f64) -> Html {
    let row = |b: &BatchStats| {
        html! {
            <tr>
                <td>{ proto_name(b.protocol) }</td>
                <td>{ format!("{} / {} / {}", b.commits, b.aborts, b.undecided) }</td>
                <td>{ ms(Some(b.p50_blocked_ms)) }</td>
                <td>{ ms(Some(b.p99_blocked_ms)) }</td>
                <td>{ pct(b.frac_blocked_over_x, 1) }</td>
                <td>{ ms(Some(b.p50_latency_ms)) }</td>
                <td>{ format!("{:.1}", b.mean_messages) }</td>
                <td>{ b.atomicity_violations + b.validity_violations + b.safety_violations }</td>
            </tr>
        }
    };
    html! {
        <div class="table-wrap">
            <table class="data tpc-table" aria-label="The batch under both protocols">
                <thead><tr><th>{ format!("batch of {}, random crashes", two.transactions) }</th><th>{"commit / abort / undecided"}</th><th>{"blocked p50"}</th><th>{"blocked p99"}</th><th>{ format!("> {}", ms(Some(x))) }</th><th>{"latency p50"}</th><th>{"msgs"}</th><th>{"violations"}</th></tr></thead>
                <tbody>{ row(two) }{ row(pax) }</tbody>
            </table>
        </div>
    }
}

fn cdf_chart(
    r: &Report,
    title: &str,
    x_label: &str,
    pick: fn(&BatchStats) -> &Vec<(f64, f64)>,
    mark: Option<Mark>,
) -> Rc<ChartSpec> {
    let series = r
        .batch
        .iter()
        .map(|b| {
            let color = if b.protocol == Protocol::TwoPc { 1 } else { 0 };
            Series::new(proto_name(b.protocol), Kind::Line, color, pick(b).clone())
        })
        .collect();
    Rc::new(ChartSpec {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "share of transactions ≤ x".into(),
        y_min: Some(0.0),
        series,
        marks: mark.into_iter().collect(),
        ..Default::default()
    })
}

fn blocked_of(b: &BatchStats) -> &Vec<(f64, f64)> {
    &b.blocked_cdf
}

fn latency_of(b: &BatchStats) -> &Vec<(f64, f64)> {
    &b.latency_cdf
}

fn blocked_chart(r: &Report) -> Rc<ChartSpec> {
    cdf_chart(
        r,
        "Longest time blocked per transaction (CDF)",
        "blocked, prepared and undecided (ms)",
        blocked_of,
        Some(Mark {
            x: r.block_x_ms,
            label: format!("X = {}", ms(Some(r.block_x_ms))),
        }),
    )
}

fn latency_chart(r: &Report) -> Rc<ChartSpec> {
    cdf_chart(
        r,
        "Time until every participant decided (CDF)",
        "latency (ms; undecided = end of watch)",
        latency_of,
        None,
    )
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// Width of the live drawing (narrow, so its text stays legible on a phone).
const W: f64 = 440.0;

/// Where each node sits in the drawing.
fn layout(s: &CommitSnapshot) -> Vec<(f64, f64)> {
    let np = s
        .nodes
        .iter()
        .filter(|n| n.role == Role::Participant)
        .count()
        .max(1);
    let na = s.nodes.iter().filter(|n| n.role == Role::Acceptor).count();
    let part_y = if na > 0 { 250.0 } else { 190.0 };
    let (mut ip, mut ia) = (0usize, 0usize);
    s.nodes
        .iter()
        .map(|n| match n.role {
            Role::Coordinator => (W / 2.0, 44.0),
            Role::Participant => {
                ip += 1;
                (W * (ip as f64 - 0.5) / np as f64, part_y)
            }
            Role::Acceptor => {
                ia += 1;
                (
                    W * 0.15 + W * 0.7 * (ia as f64 - 0.5) / na.max(1) as f64,
                    150.0,
                )
            }
        })
        .collect()
}

/// A message's label in the live drawing.
fn label_text(m: &MsgSnap) -> String {
    if m.lost {
        format!("{} ✕", m.kind)
    } else {
        m.kind.clone()
    }
}

/// How wide a message's label is drawn: 13 px text, about 7.2 units a character.
fn label_width(m: &MsgSnap) -> f64 {
    (m.kind.chars().count() + if m.lost { 2 } else { 0 }) as f64 * 7.2
}

/// Where a message's label is drawn: the box `[x0, x1] × [top, top + 13]` of a 13 px text,
/// above or below the message's dot and to its right or its left.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LabelBox {
    x0: f64,
    x1: f64,
    top: f64,
    /// Drawn to the dot's left (text anchored at its end).
    left: bool,
}

impl LabelBox {
    /// The label of a dot at `(x, y)`, `width` wide, on the side asked for.
    fn new(x: f64, y: f64, width: f64, left: bool, below: bool) -> LabelBox {
        let top = if below { y + 4.0 } else { y - 16.0 };
        if left {
            LabelBox {
                x0: x - 7.0 - width,
                x1: x - 7.0,
                top,
                left,
            }
        } else {
            LabelBox {
                x0: x + 7.0,
                x1: x + 7.0 + width,
                top,
                left,
            }
        }
    }

    /// Where the text is drawn from: its start, or its end when on the left.
    fn anchor_x(&self) -> f64 {
        if self.left {
            self.x1
        } else {
            self.x0
        }
    }

    /// The text's baseline.
    fn baseline(&self) -> f64 {
        self.top + 11.0
    }

    /// Whether two labels would print over each other.
    fn meets(&self, o: &LabelBox) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && (self.top - o.top).abs() < 13.0
    }

    /// Whether the label would touch a circle round `(cx, cy)` of radius `r`, 2 units to spare:
    /// a node (an acceptor's square counts as its circle) or a message's dot.
    fn touches_node(&self, (cx, cy): (f64, f64), r: f64) -> bool {
        let nx = cx.clamp(self.x0, self.x1);
        let ny = cy.clamp(self.top, self.top + 13.0);
        (cx - nx).hypot(cy - ny) < r + 2.0
    }
}

/// Where a message's label may go, `(left, below)`, in order of preference: above right of its
/// dot, above left, below right, below left.
const LABEL_SIDES: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

/// How large a node is drawn (a circle, or an acceptor's square of that half-side).
fn node_radius(n: &NodeSnap) -> f64 {
    match n.role {
        Role::Acceptor => 17.0,
        _ => 23.0,
    }
}

/// Where each message in flight is drawn (interpolated by the view's clock, or halfway under
/// reduced motion), and where its label goes, if anywhere: not when a labelled message of the
/// same kind is within 30 units (60 for messages of one broadcast: the three prepares leaving
/// together get one), nor where it would overlap one already placed. A label goes above its dot
/// and to the right, unless that covers a node or another dot (a message just leaving its
/// sender or arriving): then above left, below right or below left, whichever is clear first.
fn msg_marks<'a>(
    s: &'a CommitSnapshot,
    pos: &[(f64, f64)],
    now_ms: f64,
    reduced: bool,
) -> Vec<(f64, f64, &'a MsgSnap, Option<LabelBox>)> {
    let dots: Vec<(f64, f64, &MsgSnap)> = s
        .msgs
        .iter()
        .map(|m| {
            let at = |i: u8| pos.get(i as usize).copied().unwrap_or((0.0, 0.0));
            let (a, b) = (at(m.from), at(m.to));
            let f = crate::chrome::player::flight_progress(now_ms, m.sent, m.arrive, reduced);
            let f = if m.lost { f.min(0.6) } else { f };
            // from the sender's rim to the receiver's, not centre to centre
            let e = (24.0 / (b.0 - a.0).hypot(b.1 - a.1).max(48.0)).min(0.5);
            let f = e + (1.0 - 2.0 * e) * f;
            (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, m)
        })
        .collect();
    let clear_of_nodes = |b: &LabelBox| {
        !s.nodes
            .iter()
            .zip(pos)
            .any(|(n, &c)| b.touches_node(c, node_radius(n)))
    };
    let clear_of_dots = |b: &LabelBox, me: usize| {
        !dots
            .iter()
            .enumerate()
            .any(|(k, &(x, y, _))| k != me && b.touches_node((x, y), 6.0))
    };
    let mut out: Vec<(f64, f64, &MsgSnap, Option<LabelBox>)> = Vec::with_capacity(dots.len());
    for (k, &(x, y, m)) in dots.iter().enumerate() {
        // one label for a cluster of one kind: the messages of a broadcast leaving together
        // are one cluster until they are well apart
        let near_twin = out.iter().any(|&(ox, oy, o, l)| {
            let reach = if o.from == m.from && o.sent == m.sent {
                60.0
            } else {
                30.0
            };
            l.is_some() && o.kind == m.kind && (ox - x).hypot(oy - y) < reach
        });
        let w = label_width(m);
        let sides = LABEL_SIDES.map(|(left, below)| LabelBox::new(x, y, w, left, below));
        let side = sides
            .iter()
            .copied()
            .find(|b| clear_of_nodes(b) && clear_of_dots(b, k))
            .or_else(|| sides.iter().copied().find(|b| clear_of_nodes(b)))
            .unwrap_or(sides[0]);
        let free = !out
            .iter()
            .any(|&(_, _, _, l)| l.is_some_and(|l| l.meets(&side)));
        out.push((x, y, m, (!near_twin && free).then_some(side)));
    }
    out
}

fn node_fill(n: &NodeSnap) -> &'static str {
    match n.state.as_str() {
        "prepared" => "var(--c1)",
        "committed" => "var(--c2)",
        "aborted" => "var(--c4)",
        "recovering" => "var(--c3)",
        "accepted" => "var(--c3)",
        "collecting" => "var(--c0)",
        _ => "var(--bg)",
    }
}

fn msg_fill(kind: &str) -> &'static str {
    match kind {
        "prepare" => "var(--c0)",
        "yes" | "commit" => "var(--c2)",
        "no" | "abort" => "var(--c4)",
        "1a" | "1b" | "2a" | "2b" => "var(--c3)",
        _ => "var(--c5)",
    }
}

/// The sequence diagram's geometry: the time column, a lane per node, a row per send.
const SEQ_LEFT: f64 = 44.0;
const SEQ_TOP: f64 = 34.0;
const SEQ_ROW: f64 = 16.0;
/// The most rows drawn (the newest; the caption says when older ones are left out).
const SEQ_ROWS: usize = 60;

/// Repeats of one message from one node to another sent within this many ms share a row.
const SEQ_REPEAT_MS: f64 = 10.0;

/// One row of the sequence diagram, as indices into the history: everything one node sent at
/// one instant (a broadcast shares its row), or one node's repeats of a message to one other
/// node within [`SEQ_REPEAT_MS`] (Paxos Commit's acceptors each send a 2b per participant: a
/// row apiece would bury the run). Rows are in the order of their first send.
fn seq_rows(h: &[MsgSnap]) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let same = |a: &MsgSnap, b: &MsgSnap| {
        a.from == b.from && a.kind == b.kind && a.lost == b.lost && a.dead_end == b.dead_end
    };
    for (i, m) in h.iter().enumerate() {
        if let Some(r) = rows.last_mut() {
            let f = &h[r[0]];
            if f.from == m.from && f.sent == m.sent && f.kind == m.kind {
                r.push(i);
                continue;
            }
        }
        // a repeat: the same message to the same single receiver, shortly before
        let repeat = rows
            .iter_mut()
            .rev()
            .take_while(|r| h[r[0]].sent >= m.sent - SEQ_REPEAT_MS)
            .find(|r| r.iter().all(|&j| h[j].to == m.to && same(&h[j], m)));
        match repeat {
            Some(r) => r.push(i),
            None => rows.push(vec![i]),
        }
    }
    rows
}

/// A row's label: the kind, `×n` for a broadcast to n nodes, `n ×` before it for n repeats to
/// one node.
fn seq_row_label(h: &[MsgSnap], row: &[usize]) -> String {
    let first = &h[row[0]];
    if row.len() == 1 {
        first.kind.clone()
    } else if row.iter().all(|&j| h[j].to == first.to) {
        format!("{} × {}", row.len(), first.kind)
    } else {
        format!("{} ×{}", first.kind, row.len())
    }
}

/// Every message of the run so far as a sequence diagram: a lane per node, a row per send (a
/// broadcast on one row, an arrowhead at each receiver), growing as the run plays. A gap in
/// sending times longer than `gap_ms` (a timeout, a node down) is marked, since rows are in
/// sending order rather than to scale.
fn sequence(s: &CommitSnapshot, now_ms: f64, gap_ms: f64) -> Html {
    let lanes = s.nodes.len().max(1);
    let lane_w = ((400.0 - SEQ_LEFT) / lanes as f64).max(56.0);
    let w = SEQ_LEFT + lane_w * lanes as f64;
    let lane_x = |i: u8| SEQ_LEFT + lane_w * (f64::from(i) + 0.5);
    let all = seq_rows(&s.history);
    let skipped = all.len().saturating_sub(SEQ_ROWS);
    let rows = &all[skipped..];
    let h = SEQ_TOP + SEQ_ROW * rows.len().max(1) as f64 + 8.0;
    let row_y = |k: usize| SEQ_TOP + SEQ_ROW * (k as f64 + 0.6);
    html! {
        <figure class="tpc-seq-fig">
        <div class={dom::scroll_box(w, 10.0)}>
        <svg class="drawing tpc-seq" viewBox={format!("0 0 {w:.0} {h:.0}")} role="img"
             aria-label={format!("Sequence diagram: {} messages sent so far", s.history.len())}>
            <text x="2" y={format!("{:.0}", SEQ_TOP - 8.0)} font-size="10" fill="var(--muted)">{"ms"}</text>
            { for s.nodes.iter().enumerate().map(|(i, n)| {
                let x = lane_x(i as u8);
                html! { <g>
                    <rect x={format!("{:.1}", x - 20.0)} y="4" width="40" height="20" rx="4" fill={node_fill(n)} fill-opacity={if n.up { "0.85" } else { "0.2" }}
                          stroke="var(--fg)" stroke-dasharray={if n.up { "none" } else { "4 3" }} />
                    <text x={format!("{x:.1}")} y="18" text-anchor="middle" font-size="11" font-weight="700" fill="var(--fg)">{ &n.name }</text>
                    <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1="24" y2={format!("{:.0}", h - 4.0)} stroke="var(--border)" stroke-dasharray="3 3" />
                </g> }
            }) }
            { for rows.iter().enumerate().map(|(k, row)| {
                let y = row_y(k);
                let first = &s.history[row[0]];
                let x0 = lane_x(first.from);
                // the row before, drawn or left out
                let prev = (skipped + k).checked_sub(1).map(|j| s.history[all[j][0]].sent);
                let gap = prev.map(|p| first.sent - p).filter(|g| *g > gap_ms);
                let right = row.iter().all(|&i| s.history[i].to >= first.from);
                html! { <g class="tpc-seq-row">
                    if let Some(g) = gap {
                        <line x1={SEQ_LEFT.to_string()} x2={format!("{w:.0}")} y1={format!("{:.1}", y - SEQ_ROW * 0.6)} y2={format!("{:.1}", y - SEQ_ROW * 0.6)} stroke="var(--muted)" stroke-dasharray="1 3" />
                        <title>{ format!("{} later", ms(Some(g))) }</title>
                    }
                    <text x="2" y={format!("{:.1}", y + 3.5)} font-size="10" fill={if gap.is_some() { "var(--fg)" } else { "var(--muted)" }}>{ format!("{:.0}", first.sent) }</text>
                    { for row.iter().map(|&i| {
                        let m = &s.history[i];
                        let (a, b) = (x0, lane_x(m.to));
                        let dir = if b >= a { 1.0 } else { -1.0 };
                        let f = crate::chrome::player::flight_progress(now_ms, m.sent, m.arrive, false);
                        // dropped on the way: stops short; sent to a crashed node: gets there
                        let cut = m.lost && !m.dead_end;
                        let reach = if cut { f.min(0.55) } else { f };
                        let (a, b) = (a + dir * 3.0, b - dir * 3.0);
                        let xe = a + (b - a) * reach;
                        let colour = msg_fill(&m.kind);
                        html! { <g class={classes!(m.lost.then_some("tpc-lost"))}>
                            <line x1={format!("{a:.1}")} x2={format!("{xe:.1}")} y1={format!("{y:.1}")} y2={format!("{y:.1}")} stroke={colour} stroke-width="1.6" />
                            if m.lost && f >= if cut { 0.55 } else { 1.0 } {
                                <text x={format!("{xe:.1}")} y={format!("{:.1}", y + 4.0)} text-anchor="middle" font-size="11" font-weight="700" fill="var(--c4)">{"✕"}</text>
                            } else if f >= 1.0 {
                                <path d={format!("M{b:.1} {y:.1} l{:.1} -3.5 v7 z", -dir * 6.0)} fill={colour} />
                            } else {
                                <circle cx={format!("{xe:.1}")} cy={format!("{y:.1}")} r="3" fill={colour} />
                            }
                        </g> }
                    }) }
                    // the kind, beside the sender on the side the row leaves by
                    <text x={format!("{:.1}", x0 + if right { 5.0 } else { -5.0 })} y={format!("{:.1}", y - 3.0)} text-anchor={if right { "start" } else { "end" }}
                          font-size="10" fill="var(--fg)">{ seq_row_label(&s.history, row) }</text>
                </g> }
            }) }
        </svg>
        </div>
        <figcaption class="muted">
            { "Every message so far, in sending order: a row per send, one row for a broadcast (2a ×5: to five nodes) and one for a node's repeats of a message to one node within 10 ms (5 × 2b); the left column is when a row's first message was sent (ms). A dotted rule marks a long silence; ✕ a message lost or sent to a crashed node." }
            if skipped > 0 { { format!(" The first {skipped} rows are left out.") } }
        </figcaption>
        </figure>
    }
}

/// The scripted transaction, played live; click a node to crash or restart it.
#[component]
fn LiveCommit(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| CommitSim::from_params(&d.0, d.1),
        |s| s.snapshot(),
        0.05,
    );
    let toggle = live.poke(|s: &mut CommitSim, t: f64, node: u8| s.toggle(node, t));
    let s: &CommitSnapshot = &live.snap;
    let now_ms = (live.clock * 1000.0).max(s.t);
    let reduced = dom::reduced_motion();
    let pos = layout(s);
    let h = if s.nodes.iter().any(|n| n.role == Role::Acceptor) {
        300.0
    } else {
        240.0
    };
    let status = format!(
        "t = {} · {} messages sent · {}",
        ms(Some(now_ms)),
        s.sent,
        proto_name(s.protocol)
    );
    let undecided_prepared = s.nodes.iter().filter(|n| n.blocked_since.is_some()).count();
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{ format!("This transaction under {}, live", proto_name(s.protocol)) }</h3>
            { live.player(vec![0.01, 0.05, 0.2, 1.0], status, id.clone()) }
            <svg class="drawing tpc-system" viewBox={format!("0 0 {W:.0} {h:.0}")} role="group"
                 aria-label={format!("{}: coordinator, participants{}; messages in flight", proto_name(s.protocol), if h > 250.0 { ", acceptors" } else { "" })}>
                // links
                { for s.nodes.iter().enumerate().filter(|(_, n)| n.role != Role::Coordinator).map(|(i, _)| {
                    let (x, y) = pos[i];
                    html! { <line x1={format!("{:.0}", pos[0].0)} y1={format!("{:.0}", pos[0].1)} x2={format!("{x:.0}")} y2={format!("{y:.0}")} stroke="var(--border)" stroke-width="1" /> }
                }) }
                { for s.nodes.iter().enumerate().filter(|(_, n)| n.role == Role::Participant).flat_map(|(i, _)| {
                    let (x, y) = pos[i];
                    s.nodes.iter().enumerate().filter(|(_, n)| n.role == Role::Acceptor).map(move |(j, _)| (x, y, j))
                }).map(|(x, y, j)| {
                    let (ax, ay) = pos[j];
                    html! { <line x1={format!("{x:.0}")} y1={format!("{y:.0}")} x2={format!("{ax:.0}")} y2={format!("{ay:.0}")} stroke="var(--border)" stroke-width="0.6" /> }
                }) }
                // messages in flight; one label per cluster of same-kind messages
                { for msg_marks(s, &pos, now_ms, reduced).into_iter().map(|(x, y, m, label)| html! {
                    <g class={classes!("tpc-msg", m.lost.then_some("tpc-lost"))}>
                        <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="6" fill={msg_fill(&m.kind)} stroke="var(--bg)" />
                        if let Some(b) = label {
                            <text x={format!("{:.1}", b.anchor_x())} y={format!("{:.1}", b.baseline())} font-size="13" fill="var(--fg)"
                                  text-anchor={if b.left { "end" } else { "start" }}>{ label_text(m) }</text>
                        }
                    </g>
                }) }
                // nodes
                { for s.nodes.iter().enumerate().map(|(i, n)| {
                    let (x, y) = pos[i];
                    let r = node_radius(n);
                    let onclick = { let id = n.id; toggle.reform(move |_: MouseEvent| id) };
                    let onkeydown = dom::on_press(&toggle, n.id);
                    let role = match n.role { Role::Coordinator => "coordinator", Role::Participant => "participant", Role::Acceptor => "acceptor" };
                    let label = format!("{} ({role}), {}{}: {} it", n.name, if n.up { n.state.as_str() } else { "down" },
                        if n.detail.is_empty() { String::new() } else { format!(", {}", n.detail) }, if n.up { "crash" } else { "restart" });
                    let blocked = n.blocked_since.map(|t0| ms(Some((now_ms - t0).max(0.0))));
                    let sub = if !n.up { "down".to_string() } else { blocked.clone().unwrap_or_else(|| n.state.clone()) };
                    let sub_y = if n.role == Role::Coordinator { y - r - 8.0 } else { y + r + 17.0 };
                    html! {
                        <g class={classes!("tpc-node", (!n.up).then_some("tpc-down"))} role="button" tabindex="0" aria-label={label} onclick={onclick} onkeydown={onkeydown}>
                            if n.role == Role::Acceptor {
                                <rect x={format!("{:.1}", x - r)} y={format!("{:.1}", y - r)} width={format!("{:.0}", 2.0 * r)} height={format!("{:.0}", 2.0 * r)} rx="5"
                                      fill={node_fill(n)} fill-opacity={if n.up { "0.85" } else { "0.2" }} stroke="var(--fg)" stroke-dasharray={if n.up { "none" } else { "4 3" }} />
                            } else {
                                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{r:.0}")} fill={node_fill(n)} fill-opacity={if n.up { "0.85" } else { "0.2" }}
                                        stroke="var(--fg)" stroke-width={if n.role == Role::Coordinator { "2.5" } else { "1.5" }} stroke-dasharray={if n.up { "none" } else { "4 3" }} />
                            }
                            <text x={format!("{x:.1}")} y={format!("{:.1}", y + 5.5)} text-anchor="middle" font-size="16" font-weight="700" fill="var(--fg)">{ if n.up { n.name.clone() } else { format!("{} ✕", n.name) } }</text>
                            if n.role != Role::Acceptor || !n.up {
                                <text x={format!("{x:.1}")} y={format!("{sub_y:.1}")} text-anchor="middle" font-size="14" fill="var(--fg)">{ sub }</text>
                            }
                            if blocked.is_some() && n.up {
                                // a padlock: the participant holds its locks, undecided
                                <g class="tpc-lock" transform={format!("translate({:.1} {:.1})", x + r - 4.0, y - r - 2.0)} aria-hidden="true">
                                    <path d="M3 7 V4.5 A4 4 0 0 1 11 4.5 V7" fill="none" stroke="var(--fg)" stroke-width="1.8" />
                                    <rect x="1" y="7" width="12" height="9" rx="1.5" fill="var(--fg)" />
                                </g>
                            }
                        </g>
                    }
                }) }
            </svg>
            <dl class="metrics">
                { metric("live_blocked", "Prepared, waiting", format!("{undecided_prepared}"), Some("holding locks now".into()), if undecided_prepared > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_atomic", "Decisions agree so far", if s.atomic { "yes".into() } else { "NO".into() }, None, if s.atomic { Tone::Good } else { Tone::Bad }) }
                { metric("live_inflight", "Messages in flight", int(s.msgs.len() as u64), None, Tone::Plain) }
            </dl>
            <ol class="tpc-log" aria-label="Latest events">{ for s.log.iter().map(|l| html! { <li>{ l.clone() }</li> }) }</ol>
            { sequence(s, now_ms, 3.0 * (params.latency_ms + params.jitter_ms).max(1.0)) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::model::Simulation;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Every message sent is in exactly one row; rows run in the order of their first send; a
    /// row is one sender's single kind, either at one instant or repeats to one node within
    /// `SEQ_REPEAT_MS`; and Paxos Commit's 2b replies to a crashed coordinator fold into a row
    /// per acceptor.
    #[test]
    fn sequence_rows_fold_repeats_and_keep_every_message() {
        let p = sim::models::two_phase_commit::Params {
            protocol: "paxos".into(),
            participants: 5,
            f: 2,
            ..Default::default()
        };
        let mut sim = CommitSim::from_params(&p, 1);
        sim.advance_to(2.0);
        let h = sim.snapshot().history;
        let rows = seq_rows(&h);
        let mut seen: Vec<usize> = rows.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..h.len()).collect::<Vec<_>>());
        assert!(rows.windows(2).all(|w| h[w[0][0]].sent <= h[w[1][0]].sent));
        for r in &rows {
            let f = &h[r[0]];
            assert!(r
                .iter()
                .all(|&j| h[j].from == f.from && h[j].kind == f.kind));
            let instant = r.iter().all(|&j| h[j].sent == f.sent);
            let repeats = r
                .iter()
                .all(|&j| h[j].to == f.to && h[j].sent - f.sent <= SEQ_REPEAT_MS);
            assert!(
                instant || repeats,
                "{:?}",
                r.iter().map(|&j| &h[j]).collect::<Vec<_>>()
            );
        }
        assert!(rows.len() < h.len());
        let folded = rows
            .iter()
            .filter(|r| r.len() > 1 && seq_row_label(&h, r).starts_with(&format!("{} × ", r.len())))
            .count();
        assert!(folded >= 3, "{folded} rows of repeats");
    }

    /// Over the book's run, at every instant, the labelled messages in flight never print
    /// over each other, a message in flight always has a label near it, and a label covers a
    /// node only where no side of its dot is clear.
    #[test]
    fn message_labels_never_overlap() {
        let (mut checked, mut moved) = (0, 0);
        // the book's 2PC run, and Paxos Commit with its acceptors (five participants, F = 2)
        let book = sim::models::two_phase_commit::Params::default();
        let paxos = sim::models::two_phase_commit::Params {
            protocol: "paxos".into(),
            participants: 5,
            f: 2,
            ..book.clone()
        };
        for p in [&book, &paxos] {
            let mut sim = CommitSim::from_params(p, 1);
            for k in 0..400 {
                sim.advance_to(f64::from(k) * 0.005);
                let s = sim.snapshot();
                let pos = layout(&s);
                for now_ms in [s.t, s.t + 2.0] {
                    let marks = msg_marks(&s, &pos, now_ms, false);
                    let labelled: Vec<LabelBox> = marks.iter().filter_map(|m| m.3).collect();
                    assert_eq!(labelled.is_empty(), marks.is_empty(), "t = {now_ms}");
                    for (i, a) in labelled.iter().enumerate() {
                        for b in &labelled[i + 1..] {
                            assert!(!a.meets(b), "t = {now_ms}: {a:?} and {b:?} overlap");
                        }
                    }
                    // a label covers a node only where every side of its dot would
                    for &(x, y, m, b) in &marks {
                        let Some(b) = b else { continue };
                        let covers = |b: &LabelBox| {
                            s.nodes
                                .iter()
                                .zip(&pos)
                                .any(|(n, &c)| b.touches_node(c, node_radius(n)))
                        };
                        if covers(&b) {
                            for (left, below) in
                                [(false, false), (true, false), (false, true), (true, true)]
                            {
                                let other = LabelBox::new(x, y, label_width(m), left, below);
                                assert!(
                                    covers(&other),
                                    "t = {now_ms}: {b:?} covers a node, {other:?} would not"
                                );
                            }
                        }
                    }
                    // labels moved off their usual place, above right of the dot
                    moved += marks
                        .iter()
                        .filter(|m| m.3.is_some_and(|b| b.left || b.top > m.1))
                        .count();
                    checked += marks.len();
                }
            }
        }
        assert!(checked > 0);
        // the prepares leaving the coordinator are labelled elsewhere at first, clear of it
        assert!(moved > 0);
    }
}
