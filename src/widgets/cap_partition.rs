//! View of `cap-partition` (book page 27): five replicas cut 2 | 3, CP (Raft) refusing on the
//! minority side, AP accepting everywhere and reconciling on heal — measured side by side, and
//! played live with faults injected by the reader.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, Tone};
use crate::chrome::player::use_live_sim;
use sim::model::Simulation;
use sim::models::cap_partition::{
    node_name, CapSim, Flight, MsgKind, Params, Report, RunResult, Snapshot,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn avail(x: Option<f64>) -> String {
    x.map(|v| pct(v, 1)).unwrap_or_else(|| "—".into())
}

/// The CAP-under-partition widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| (avail_chart(r), diverge_chart(r)));
    let Some(r) = report else {
        return html! { <p class="muted">{"Partitioning…"}</p> };
    };
    let c = &r.chosen;
    let ap = p.mode == "ap";
    let lww = ap && p.resolve == "lww";
    let split = r.partition.is_some();
    let (l_name, r_name) = side_names(&r.split_label);
    html! {
        <>
        <p class="callout">
            if let Some((a, b)) = r.partition {
                { format!("The network splits {} from {} s to {} s. ", r.split_label.replace('|', " | "), a, b) }
                { if ap {
                    "AP: every replica keeps accepting, so theory says both sides stay 100 % available — and drift apart.".to_string()
                } else {
                    format!("CP (Raft): only a side holding a majority ({} of {}) can commit, so theory says {} answers {} and {} answers {}.",
                        (r.left_nodes + r.right_nodes) / 2 + 1, r.left_nodes + r.right_nodes,
                        l_name, pct(r.theory_left, 0), r_name, pct(r.theory_right, 0))
                } }
            } else {
                { "No partition: set “Replicas left of the cut” above 0 to split the cluster." }
            }
        </p>
        <dl class="metrics">
            { metric("avail_left", &format!("Answered on {l_name} during the cut"), avail(r.avail_left), split.then(|| format!("theory {} · {} ops", pct(r.theory_left, 0), int(u64::from(c.ops_left_during)))), tone_avail(r.avail_left)) }
            { metric("avail_right", &format!("Answered on {r_name} during the cut"), avail(r.avail_right), split.then(|| format!("theory {} · {} ops", pct(r.theory_right, 0), int(u64::from(c.ops_right_during)))), tone_avail(r.avail_right)) }
            { metric("refused", "Operations refused", int(u64::from(c.refused)), Some(format!("of {} issued", int(u64::from(c.ops)))), if c.refused > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("lost_updates", "Acknowledged posts lost", int(u64::from(r.lost_updates)), Some(if lww { format!("{} of them lost to a skewed clock", int(u64::from(r.lost_newer))) } else { format!("of {} posts", int(u64::from(c.writes))) }), if r.lost_updates > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("conflicts", "Conflicts for users to resolve", int(u64::from(r.conflicts)), Some(format!("peak {} timelines in conflict", c.max_conflicting)), if r.conflicts > 0 { Tone::Bad } else { Tone::Plain }) }
            { metric("converged", "Replicas agree at the end", (if r.converged { "yes" } else { "no" }).to_string(), Some(if p.mode == "cp" { format!("{} leader election(s)", c.elections) } else { format!("peak {} timelines differ", c.max_differ) }), if r.converged { Tone::Good } else { Tone::Bad }) }
        </dl>
        if let Some((a, b)) = (*charts).clone() {
            <Chart spec={a} height={240} caption="Share of operations acknowledged each second on each side of the cut, with the partition and the heal marked" />
            <Chart spec={b} height={220} caption="Timelines not identical on every replica, and timelines holding concurrent versions, over time" />
        }
        { compare_table(&r.compare, &p) }
        { notes(&r.notes) }
        <LiveCap params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each replica keeps every user's timeline (a list of posts), and clients at each replica read timelines and add posts a few times a second. At the chosen moment the network splits the replicas into two groups. In CP mode the replicas run Raft: one leader orders every operation and answers only once a majority has it, so the side without a majority can only refuse. In AP mode every replica answers its own clients at once and forwards the change; when the network heals, the replicas exchange everything they have and must decide what to do with timelines that were changed on both sides."}</p>
            <h3>{"Try this"}</h3>
            <p class="cap-try">
                { ctx.try_this("The book's picture: CP, AB | CDE", &[("mode", "cp"), ("nodes", "5"), ("split", "2"), ("cut", "both"), ("skew_ms", "0")]) }
                { ctx.try_this("Same cut, AP + last write wins", &[("mode", "ap"), ("resolve", "lww"), ("nodes", "5"), ("split", "2"), ("cut", "both")]) }
                { ctx.try_this("AP + siblings", &[("mode", "ap"), ("resolve", "siblings"), ("nodes", "5"), ("split", "2"), ("cut", "both")]) }
                { ctx.try_this("Replay the incident (two data centres, 12 “minutes”)", INCIDENT) }
                { ctx.try_this("The incident with West's clock 3 s fast", &[("mode", "ap"), ("resolve", "lww"), ("nodes", "6"), ("split", "3"), ("part_start", "5"), ("heal", "17"), ("duration", "30"), ("rate", "6"), ("keys", "30"), ("latency_ms", "35"), ("skew_ms", "3000")]) }
                { ctx.try_this("The incident, as CP", &[("mode", "cp"), ("nodes", "6"), ("split", "3"), ("part_start", "5"), ("heal", "17"), ("duration", "30"), ("rate", "6"), ("keys", "30"), ("latency_ms", "35")]) }
                { ctx.try_this("Leader stranded on the minority", &[("mode", "cp"), ("nodes", "5"), ("split", "3"), ("cut", "both")]) }
                { ctx.try_this("One-way cut, CP", &[("mode", "cp"), ("nodes", "5"), ("split", "2"), ("cut", "left-out"), ("rate", "8")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"CP: the minority side's availability drops to zero the moment the cut starts and comes back at the heal; the majority side does not notice — unless the leader was stranded on the minority, in which case the majority is blind for one election timeout, then elects a new leader."}</li>
                <li>{"AP: both sides stay at 100 %, and the divergence chart climbs while the cut lasts. On the heal it falls back to zero within a round of anti-entropy: the replicas agree again — but on what?"}</li>
                <li>{"Last write wins agrees by throwing away every post on the side whose version has the older timestamp: those posts were acknowledged to their users and are gone. Skew a clock and it is no longer the older post that loses: the count of posts “lost to a skewed clock” (beaten by an older write with a later timestamp) is the clock choosing."}</li>
                <li>{"Siblings lose nothing, but every timeline written on both sides becomes a conflict a person (or merge code) has to settle."}</li>
                <li>{"A one-way cut is as bad as a full one for CP (a write needs a round trip), and worse in one respect: writes from the side that can still send are committed while their answers are lost, so the client is told “refused” for a write that happened."}</li>
            </ul>
            <h3>{"Where the book holds and where it needs care"}</h3>
            <p>{"The book's two choices hold exactly as measured here: with a 2 | 3 split, CP answers 0 % on the minority and 100 % on the majority; AP answers 100 % on both and diverges. Its incident's lesson also holds: last write wins silently loses acknowledged posts, and keeping both versions turns them into conflicts for people to resolve. Two refinements the book leaves out: CP is only 100 % available on the majority if the leader is already there (otherwise an election costs a few hundred milliseconds of refusals), and with an even split — two data centres of equal size, as in the incident — CP has no majority anywhere and refuses on both sides."}</p>
        </section>
        </>
    }
}

const INCIDENT: &[(&str, &str)] = &[
    ("mode", "ap"),
    ("resolve", "lww"),
    ("nodes", "6"),
    ("split", "3"),
    ("cut", "both"),
    ("part_start", "5"),
    ("heal", "17"),
    ("duration", "30"),
    ("rate", "6"),
    ("keys", "30"),
    ("latency_ms", "35"),
    ("skew_ms", "0"),
];

fn tone_avail(x: Option<f64>) -> Tone {
    match x {
        Some(v) if v >= 0.999 => Tone::Good,
        Some(v) if v < 0.5 => Tone::Bad,
        _ => Tone::Plain,
    }
}

/// "AB" and "CDE" from "AB|CDE" (or "all replicas" when there is no cut).
fn side_names(label: &str) -> (String, String) {
    match label.split_once('|') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => ("the left".into(), label.to_string()),
    }
}

fn compare_table(rows: &[RunResult], p: &Params) -> Html {
    let chosen = match (p.mode.as_str(), p.resolve.as_str()) {
        ("cp", _) => 0,
        (_, "siblings") => 2,
        _ => 1,
    };
    html! {
        // the title sits above the scrolling box, not in it as a <caption>: at phone width the
        // table scrolls sideways, and a caption scrolls with it and is cut off
        <figure class="fig">
        <figcaption>{"What each choice cost, on the very same operations"}</figcaption>
        <div class="table-wrap">
            <table class="data cap-table" aria-label="What each choice cost on the same workload">
                <thead><tr>
                    <th scope="col">{"choice"}</th><th scope="col"><abbr title="share answered on the left side during the cut">{"left"}</abbr></th><th scope="col"><abbr title="share answered on the right side during the cut">{"right"}</abbr></th>
                    <th scope="col">{"refused"}</th><th scope="col"><abbr title="acknowledged posts in no final version">{"lost"}</abbr></th><th scope="col"><abbr title="lost posts beaten by an older write with a later timestamp: the clock chose">{"lost to clock"}</abbr></th>
                    <th scope="col">{"conflicts"}</th><th scope="col">{"agree"}</th>
                </tr></thead>
                <tbody>
                { for rows.iter().enumerate().map(|(i, row)| html! {
                    <tr class={if i == chosen { "cap-sel" } else { "" }}>
                        <th scope="row">{ row.label.clone() }</th>
                        <td>{ avail(row.avail_left) }</td><td>{ avail(row.avail_right) }</td>
                        <td>{ int(u64::from(row.refused)) }</td>
                        <td class={if row.lost_updates > 0 { "cap-bad" } else { "" }}>{ int(u64::from(row.lost_updates)) }</td>
                        <td>{ int(u64::from(row.lost_newer)) }</td>
                        <td>{ int(u64::from(row.conflicts)) }</td>
                        <td>{ if row.converged { "yes" } else { "no" } }</td>
                    </tr>
                }) }
                </tbody>
            </table>
        </div>
        </figure>
    }
}

fn marks(r: &Report) -> Vec<Mark> {
    match r.partition {
        Some((a, b)) => vec![
            Mark {
                x: a,
                label: "cut".into(),
            },
            Mark {
                x: b,
                label: "heal".into(),
            },
        ],
        None => Vec::new(),
    }
}

fn avail_chart(r: &Report) -> Rc<ChartSpec> {
    let share = |ok: u32, no: u32| {
        if ok + no == 0 {
            f64::NAN
        } else {
            100.0 * f64::from(ok) / f64::from(ok + no)
        }
    };
    let (l, rt) = side_names(&r.split_label);
    let mut series = Vec::new();
    if r.partition.is_some() {
        series.push(Series::new(
            format!("{l} answered %"),
            Kind::Line,
            1,
            r.buckets
                .iter()
                .map(|b| (b.t + 0.5, share(b.ok_left, b.refused_left)))
                .collect(),
        ));
    }
    series.push(Series::new(
        format!("{rt} answered %"),
        Kind::Line,
        0,
        r.buckets
            .iter()
            .map(|b| (b.t + 0.5, share(b.ok_right, b.refused_right)))
            .collect(),
    ));
    Rc::new(ChartSpec {
        title: "Availability per second".into(),
        x_label: "time (s)".into(),
        y_label: "operations answered (%)".into(),
        y_min: Some(0.0),
        series,
        marks: marks(r),
        ..Default::default()
    })
}

fn diverge_chart(r: &Report) -> Rc<ChartSpec> {
    Rc::new(ChartSpec {
        title: "Divergence".into(),
        x_label: "time (s)".into(),
        y_label: "timelines".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new(
                "not identical everywhere",
                Kind::Line,
                5,
                r.samples
                    .iter()
                    .map(|s| (s.t, f64::from(s.differ)))
                    .collect(),
            ),
            Series::new(
                "concurrent versions (conflict)",
                Kind::Line,
                4,
                r.samples
                    .iter()
                    .map(|s| (s.t, f64::from(s.conflicting)))
                    .collect(),
            ),
        ],
        marks: marks(r),
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Live
// ---------------------------------------------------------------------------------------------

type LiveProps = crate::chrome::player::LiveProps<Params>;

// narrow enough that at phone width (about 316 px for the drawing) its 11-unit labels stay near
// 9 px with the whole cluster in view
const W: f64 = 400.0;
const H: f64 = 230.0;
const R: f64 = 19.0;

/// Where each replica is drawn: its side's group, one or two columns.
fn positions(s: &Snapshot) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 0.0); s.nodes.len()];
    for side in 0..2u8 {
        let members: Vec<usize> = (0..s.nodes.len())
            .filter(|&i| s.nodes[i].side == side)
            .collect();
        let k = members.len();
        let cx = if side == 0 { 90.0 } else { W - 90.0 };
        let cols = if k > 3 { 2 } else { 1 };
        let rows = k.div_ceil(cols).max(1);
        for (j, &i) in members.iter().enumerate() {
            let (col, row) = (j % cols, j / cols);
            let x = if cols == 1 {
                cx
            } else {
                cx + (col as f64 - 0.5) * 78.0
            };
            let y = 30.0
                + (row as f64 + 0.5) * (H - 50.0) / rows as f64
                + if cols == 2 && col == 1 { 14.0 } else { 0.0 };
            out[i] = (x, y);
        }
    }
    out
}

fn kind_colour(k: MsgKind) -> &'static str {
    match k {
        MsgKind::Forward => "var(--c1)",
        MsgKind::Append => "var(--c0)",
        MsgKind::Reply => "var(--c5)",
        MsgKind::Vote => "var(--c3)",
        MsgKind::Replicate => "var(--c2)",
        MsgKind::Sync => "var(--c4)",
    }
}

/// One message's position at `clock`: tweened, or at the midpoint under reduced motion.
fn flight_xy(f: &Flight, pos: &[(f64, f64)], clock: f64, still: bool) -> Option<(f64, f64)> {
    let (a, b) = (*pos.get(f.from as usize)?, *pos.get(f.to as usize)?);
    let mut u = crate::chrome::player::flight_progress(clock, f.sent, f.arrive, still);
    if f.lost && u > 0.5 {
        // a lost message dies at the cut (or halfway, for a random drop)
        if still {
            u = 0.5;
        } else {
            return None;
        }
    }
    // along an arc, bent to the sender's right, so the two directions of a link (and messages
    // passing a replica in between) do not overlap
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let bend = 0.15 * libm::sin(std::f64::consts::PI * u);
    Some((a.0 + dx * u - dy * bend, a.1 + dy * u + dx * bend))
}

/// The cluster, live: click a replica to crash or restart it; buttons move replicas across the
/// cut and cut or heal the network while it plays.
#[component]
fn LiveCap(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| CapSim::new(&d.0, d.1),
        |s| s.snapshot(),
        0.1,
    );
    let s: &Snapshot = &live.snap;
    let clock = live.clock.max(s.t);
    let toggle = live.poke(|sim: &mut CapSim, t, node: u8| {
        sim.toggle_crash(node, t);
        sim.advance_to(t);
    });
    let mover = live.poke(|sim: &mut CapSim, t, node: u8| {
        sim.move_node(node, t);
        sim.advance_to(t);
    });
    let cutter = live.poke(|sim: &mut CapSim, t, (): ()| {
        let on = !sim.cut_active();
        sim.set_cut(on, t);
        sim.advance_to(t);
    });
    let pos = positions(s);
    let still = dom::reduced_motion();
    let cut_class = if s.cut { "cap-cut on" } else { "cap-cut" };
    let arrow = match (s.cut, s.direction.as_str()) {
        (true, "left-out") => "only → crosses",
        (true, "right-out") => "only ← crosses",
        (true, _) => "nothing crosses",
        _ => "network whole",
    };
    let label = format!(
        "{} replicas; {}; {} messages in flight",
        s.nodes.len(),
        if s.cut {
            "the network is cut"
        } else {
            "the network is whole"
        },
        s.flights.len()
    );
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"The cluster, live"}</h3>
            { live.player(vec![0.05, 0.1, 0.25, 0.5, 1.0, 5.0], format!("t = {:.1} s · {}", clock, arrow), id.clone()) }
            <svg class="drawing cap-live" viewBox={format!("0 0 {W} {H}")} role="img" aria-label={label}>
                <line class={cut_class} x1={format!("{}", W / 2.0)} y1="8" x2={format!("{}", W / 2.0)} y2={format!("{}", H - 8.0)}
                    stroke={if s.cut { "var(--c4)" } else { "var(--border)" }} stroke-width={if s.cut { "3" } else { "1" }} stroke-dasharray="6 5" />
                <text x={format!("{}", W / 2.0)} y={format!("{}", H - 1.0)} text-anchor="middle" font-size="11" fill="var(--muted)">{ arrow }</text>
                { for s.flights.iter().filter_map(|f| flight_xy(f, &pos, clock, still).map(|(x, y)| html! {
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={if f.lost { "2.5" } else { "3.5" }}
                        fill={if f.lost { "none" } else { kind_colour(f.kind) }} stroke={kind_colour(f.kind)} stroke-width="1" />
                })) }
                { for s.nodes.iter().enumerate().map(|(i, n)| {
                    let (x, y) = pos[i];
                    let name = node_name(i as u8);
                    let fill = if n.crashed { "var(--bg)" } else { match n.role.as_str() { "leader" => "var(--c0)", "candidate" => "var(--c3)", _ => "var(--bg)" } };
                    let ink = if !n.crashed && n.role == "leader" { "var(--bg)" } else { "var(--fg)" };
                    let stroke = if n.crashed { "var(--muted)" } else if n.differs > 0 { "var(--c4)" } else { "var(--c2)" };
                    let onclick = toggle.reform(move |_: MouseEvent| i as u8);
                    let onkeydown = dom::on_press(&toggle, i as u8);
                    let sub = if n.crashed { "down".to_string() } else if n.role == "replica" { format!("{} posts", n.posts) } else { format!("{} · t{}", n.role, n.term) };
                    html! {
                        <g class="cap-node" role="button" tabindex="0" {onclick} {onkeydown}
                           aria-label={format!("Replica {name}, {}, {} posts{}: press to {}", n.role, n.posts, if n.differs > 0 { format!(", {} timelines differ", n.differs) } else { String::new() }, if n.crashed { "restart" } else { "crash" })}>
                            <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{R}")} fill={fill} stroke={stroke}
                                stroke-width={if n.differs > 0 { "3" } else { "2" }} stroke-dasharray={if n.crashed { "4 3" } else { "none" }} />
                            <text x={format!("{x:.1}")} y={format!("{:.1}", y + 5.0)} text-anchor="middle" font-size="15" font-weight="700" fill={ink}>{ name.to_string() }</text>
                            <text x={format!("{x:.1}")} y={format!("{:.1}", y + R + 12.0)} text-anchor="middle" font-size="11" fill="var(--muted)">{ sub }</text>
                        </g>
                    }
                }) }
            </svg>
            <p class="cap-key">
                <span class="cap-k cap-k0">{"append / heartbeat"}</span>
                <span class="cap-k cap-k1">{"forwarded op"}</span>
                <span class="cap-k cap-k5">{"reply"}</span>
                <span class="cap-k cap-k3">{"vote"}</span>
                <span class="cap-k cap-k2">{"replicate"}</span>
                <span class="cap-k cap-k4">{"anti-entropy"}</span>
            </p>
            <p class="cap-key">{"Hollow dots will be lost. A red ring: the replica differs from the others. Click (or press Enter on) a replica to crash or restart it."}</p>
            <div class="cap-faults" role="group" aria-label="Faults while it plays">
                <button type="button" onclick={cutter.reform(|_: MouseEvent| ())}>{ if s.cut { "Heal the network now" } else { "Cut the network now" } }</button>
                <span class="cap-move">{"Move across the cut:"}</span>
                { for (0..s.nodes.len()).map(|i| {
                    let m = mover.clone();
                    html! { <button type="button" aria-label={format!("Move replica {} across the cut", node_name(i as u8))} onclick={Callback::from(move |_: MouseEvent| m.emit(i as u8))}>{ node_name(i as u8).to_string() }</button> }
                }) }
            </div>
            <dl class="metrics">
                { metric("live_left", "Left: answered / refused", format!("{} / {}", int(u64::from(s.ok_left)), int(u64::from(s.refused_left))), None, if s.refused_left > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_right", "Right: answered / refused", format!("{} / {}", int(u64::from(s.ok_right)), int(u64::from(s.refused_right))), None, if s.refused_right > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_differ", "Timelines differing now", int(u64::from(s.differ)), Some(format!("{} in conflict", s.conflicting)), if s.conflicting > 0 { Tone::Bad } else { Tone::Plain }) }
            </dl>
        </section>
    }
}
