//! View of `consistency-dial` (book page 28): the dial and its settings driving a 3-replica
//! store; measured latency, staleness, availability and messages; every history checked for
//! linearizability, sequential and causal consistency; the store played live with faults.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::consistency_dial::{
    Check, DialSim, Level, OpRecord, Params, Report, Snapshot, Verdict,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn verdict_text(c: &Check) -> &'static str {
    match c.verdict {
        Verdict::Yes => "yes",
        Verdict::No => "no",
        Verdict::Inconclusive => "inconclusive",
    }
}

fn tone(c: &Check) -> Tone {
    match c.verdict {
        Verdict::Yes => Tone::Good,
        Verdict::No => Tone::Bad,
        Verdict::Inconclusive => Tone::Plain,
    }
}

fn dial(level: &str) -> [(&'static str, &str); 5] {
    [
        ("level", level),
        ("read_pref", "dial"),
        ("write_concern", "dial"),
        ("read_concern", "dial"),
        ("tokens", "dial"),
    ]
}

fn wc_name(r: &Report) -> String {
    serde_json::to_value(r.settings.write_concern)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn name_of<T: serde::Serialize>(x: T) -> String {
    serde_json::to_value(x)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The consistency-dial widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| (latency_chart(r), availability_chart(r)));
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let f = &r.figures;
    let s = &r.settings;
    let witness = f
        .linearizable
        .witness
        .or(f.causal.witness)
        .or(f.sequential.witness);
    html! {
        <>
        <p class="callout">
            { format!("Dial at {}: reads from {}, write concern {}, read concern {}, {}, timeout {} ms. These settings promise ",
                p.level.name(), name_of(s.read_pref), wc_name(&r), name_of(s.read_concern),
                match name_of(s.tokens).as_str() { "none" => "no client tokens".to_string(), t => format!("{t} tokens") }, sig3(p.timeout)) }
            <strong data-metric="promised">{ r.promised.name() }</strong>
            {"; the checker finds this run's history "}
            <strong data-metric="observed">{ observed_text(r.observed) }</strong>{"."}
        </p>
        <dl class="metrics">
            { metric("read_p50", "Read latency p50 / p99", format!("{} / {}", ms(Some(f.read.p50)), ms(Some(f.read.p99))), Some(format!("{} reads answered", f.read.n)), Tone::Plain) }
            { metric("write_p50", "Write latency p50 / p99", format!("{} / {}", ms(Some(f.write.p50)), ms(Some(f.write.p99))), Some(format!("{} writes acknowledged", f.write.n)), Tone::Plain) }
            { metric("stale_rate", "Stale reads", pct(f.stale_rate, 1), Some(format!("{} reads missed a write completed before they began", f.stale_reads)), if f.stale_reads > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("availability_partition", "Available during the partition", f.availability_partition.map(|a| pct(a, 0)).unwrap_or_else(|| "—".into()), Some(format!("whole run {}", pct(f.availability, 1))), if f.availability_partition.is_some_and(|a| a < 0.99) { Tone::Bad } else { Tone::Plain }) }
            { metric("messages_per_op", "Messages per operation", sig3(f.messages_per_op), Some(format!("{} operations", r.ops)), Tone::Plain) }
            { metric("linearizable", "Linearizable?", verdict_text(&f.linearizable).into(), Some(short_why(&f.linearizable)), tone(&f.linearizable)) }
            { metric("sequential", "Sequentially consistent?", verdict_text(&f.sequential).into(), Some(short_why(&f.sequential)), tone(&f.sequential)) }
            { metric("causal", "Causally consistent?", verdict_text(&f.causal).into(), Some(short_why(&f.causal)), tone(&f.causal)) }
        </dl>
        { notes(&r.notes) }
        { lanes(&r, witness) }
        if let Some((lat, avail)) = (*charts).clone() {
            <Chart spec={lat} height={240} caption="Latency of each answered operation against when it started; the partition is marked" />
            <Chart spec={avail} height={200} caption="Share of operations that succeeded, by when they started" />
        }
        <div class="table-wrap">
            <table class="data" aria-label="The same workload at every level">
                <thead><tr><th>{"dial"}</th><th>{"read p50 / p99"}</th><th>{"write p99"}</th><th>{"stale"}</th><th>{"avail. in partition"}</th><th>{"msgs/op"}</th><th>{"lin / seq / causal"}</th></tr></thead>
                <tbody>
                { for r.levels.iter().map(|row| {
                    let g = &row.figures;
                    let here = row.level == p.level;
                    html! { <tr class={classes!(here.then_some("cd-here"))}>
                        <td>{ ctx.try_this(row.level.name(), &dial(row.level.name())) }</td>
                        <td>{ format!("{} / {}", ms(Some(g.read.p50)), ms(Some(g.read.p99))) }</td>
                        <td>{ ms(Some(g.write.p99)) }</td>
                        <td>{ pct(g.stale_rate, 1) }</td>
                        <td>{ g.availability_partition.map(|a| pct(a, 0)).unwrap_or_else(|| "—".into()) }</td>
                        <td>{ sig3(g.messages_per_op) }</td>
                        <td>{ format!("{} / {} / {}", verdict_text(&g.linearizable), verdict_text(&g.sequential), verdict_text(&g.causal)) }</td>
                    </tr> }
                }) }
                </tbody>
            </table>
        </div>
        <LiveStore params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A replicated store of three copies, run like a MongoDB replica set: every write goes to the primary, which ships it to a secondary next to the clients and to a far one. The dial picks the settings (where reads go, how many copies must hold a write before it is acknowledged, what a read may return, and what token a client carries); you can then override each one, and the page names the level your settings actually promise. A few clients read and write unique values; every operation is recorded, and the whole history is checked: linearizability key by key (a Wing & Gong search, as in Knossos and Porcupine), sequential consistency over all keys (the same search without real time, with a budget), and causal consistency by the four bad patterns of Bouajjani, Enea, Guerraoui and Hamza (POPL 2017)."}</p>
            <h3>{"Where real systems sit (book page 28)"}</h3>
            <div class="table-wrap">
                <table class="data" aria-label="Real-world trade-offs">
                    <thead><tr><th>{"system"}</th><th>{"level"}</th><th>{"what it trades"}</th></tr></thead>
                    <tbody>
                        <tr><td>{"YouTube view counter"}</td><td>{ ctx.try_this("eventual", &dial("eventual")) }</td><td>{"exact counts, for scale"}</td></tr>
                        <tr><td>{"Bank balance"}</td><td>{ ctx.try_this("linearizable", &dial("linearizable")) }</td><td>{"latency and availability, for correctness"}</td></tr>
                        <tr><td>{"Twitter timeline"}</td><td>{ ctx.try_this("causal", &dial("causal")) }</td><td>{"a global order; replies still follow their tweets"}</td></tr>
                        <tr><td>{"Shopping cart"}</td><td>{ ctx.try_this("session", &dial("session")) }</td><td>{"what others see; you always see your own cart"}</td></tr>
                    </tbody>
                </table>
            </div>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Book settings, no partition", &[("level", "linearizable"), ("read_pref", "dial"), ("write_concern", "dial"), ("read_concern", "dial"), ("tokens", "dial"), ("partition", "none")]) }
                { ctx.try_this("Eventual, far secondary slow", &[("level", "eventual"), ("read_pref", "dial"), ("write_concern", "dial"), ("read_concern", "dial"), ("tokens", "dial"), ("lag_ms", "200"), ("partition", "none")]) }
                { ctx.try_this("Session tokens, but no causal ones", &[("level", "session"), ("read_pref", "dial"), ("write_concern", "dial"), ("read_concern", "dial"), ("tokens", "dial"), ("lag_ms", "150"), ("keys", "3"), ("partition", "none")]) }
                { ctx.try_this("Majority writes, local reads from any secondary", &[("level", "linearizable"), ("read_pref", "secondary"), ("read_concern", "local"), ("partition", "none")]) }
                { ctx.try_this("Write concern all, far copy cut off", &[("write_concern", "all"), ("partition", "far"), ("timeout", "1000")]) }
                { ctx.try_this("One-way cut: the primary hears but cannot answer", &[("partition", "primary"), ("one_way", "true")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"Linearizable settings pay a round trip to the primary for every read and a majority for every write: the read p50 is about fifteen times the eventual one, close to the book's 200 ms against 20 ms. They never read stale, and while the primary is cut off almost nothing succeeds within the timeout, whereas eventual reads from the secondaries keep answering. Session tokens make each client read its own writes and never go back, yet clients no longer agree on one order: the history stays causal but is not sequentially consistent. Eventual settings break all three, typically by a read that sees the initial value after one of its causes wrote the key; the checker outlines that read. In this single-primary store a causal token is an index in the one log, so causal runs come out sequentially consistent as well: the two levels part ways only in stores with several writers."}</p>
            <h3>{"Where the book holds and where it fails"}</h3>
            <p>{"The book's slider is one-dimensional, but its own settings are not: majority writes with local reads from any secondary promise little, and the checker shows stale reads despite the “strong” write concern (reads from the near secondary happen to escape, because it is nearly always part of the majority that acknowledged). The page also calls the dial's right end “your cache” and its left “your DB”; measured, the cost of strength is latency and availability under partition, exactly as its trade-off list says, while messages per operation rise by only a few."}</p>
        </section>
        </>
    }
}

fn observed_text(l: Level) -> &'static str {
    match l {
        Level::Linearizable => "linearizable",
        Level::Sequential => "sequentially consistent, not linearizable",
        Level::Causal => "causally consistent, not sequential",
        _ => "not even causally consistent",
    }
}

fn short_why(c: &Check) -> String {
    match c.verdict {
        Verdict::Yes => "checked on the whole history".into(),
        Verdict::Inconclusive => "search budget ran out".into(),
        Verdict::No => c.why.chars().take(80).collect(),
    }
}

fn latency_chart(r: &Report) -> Rc<ChartSpec> {
    let reads: Vec<(f64, f64)> = r
        .latencies
        .iter()
        .filter(|x| !x.2)
        .map(|x| (x.0 / 1000.0, x.1))
        .collect();
    let writes: Vec<(f64, f64)> = r
        .latencies
        .iter()
        .filter(|x| x.2)
        .map(|x| (x.0 / 1000.0, x.1))
        .collect();
    Rc::new(ChartSpec {
        title: "Latency of each operation".into(),
        x_label: "started at (s)".into(),
        y_label: "latency (ms)".into(),
        series: vec![
            Series::new("reads", Kind::Points, 0, reads),
            Series::new("writes", Kind::Points, 1, writes),
        ],
        marks: partition_marks(r),
        ..Default::default()
    })
}

fn partition_marks(r: &Report) -> Vec<Mark> {
    match r.partition_ms {
        Some((a, b)) => vec![
            Mark {
                x: a / 1000.0,
                label: "partition".into(),
            },
            Mark {
                x: b / 1000.0,
                label: "healed".into(),
            },
        ],
        None => Vec::new(),
    }
}

fn availability_chart(r: &Report) -> Rc<ChartSpec> {
    let pts: Vec<(f64, f64)> = r
        .bins
        .iter()
        .filter(|b| b.attempted > 0)
        .map(|b| {
            (
                b.t_ms / 1000.0,
                100.0 * f64::from(b.ok) / f64::from(b.attempted),
            )
        })
        .collect();
    Rc::new(ChartSpec {
        title: "Availability over time".into(),
        x_label: "started at (s)".into(),
        y_label: "succeeded (%)".into(),
        y_min: Some(0.0),
        series: vec![Series::new(
            "succeeded within the timeout",
            Kind::Points,
            2,
            pts,
        )],
        marks: partition_marks(r),
        ..Default::default()
    })
}

/// The last operations as per-client lanes: bars from invocation to response, labelled with
/// the value written or read; stale reads and the checker's witness stand out.
fn lanes(r: &Report, witness: Option<u32>) -> Html {
    let h = &r.history;
    if h.is_empty() {
        return html! {};
    }
    let t0 = h.iter().map(|o| o.call_ms).fold(f64::INFINITY, f64::min);
    let t1 = h
        .iter()
        .map(|o| o.ret_ms.unwrap_or(o.call_ms))
        .fold(t0 + 1.0, f64::max);
    let clients = h.iter().map(|o| o.client).max().unwrap_or(0) + 1;
    let (x0, w) = (70.0, 600.0);
    let x = |t: f64| x0 + (t - t0) / (t1 - t0) * w;
    let labels = label_layout(h, &x);
    let most_rows = labels.iter().map(|l| l.row).max().unwrap_or(0);
    let lane_h = 16.0 + LABEL_DY * (f64::from(most_rows) + 1.0) + 8.0;
    let height = f64::from(clients) * lane_h + 20.0;
    html! {
        <figure class="cd-lanes">
        <div class={crate::chrome::dom::scroll_box(HISTORY_W, 8.0)}>
        <svg class="drawing cd-history" viewBox={format!("0 0 {HISTORY_W} {height:.0}")} role="img"
             aria-label={format!("The last {} operations of the run, one lane per client", h.len())}>
            { for (0..clients).map(|c| {
                let y = 14.0 + f64::from(c) * lane_h;
                html! { <>
                    <text x="4" y={format!("{:.0}", y + 14.0)} font-size="11" fill="var(--muted)">{ format!("client {}", c + 1) }</text>
                    <line x1={x0.to_string()} x2={(x0 + w).to_string()} y1={format!("{:.0}", y + 10.0)} y2={format!("{:.0}", y + 10.0)} stroke="var(--border)" stroke-width="0.5" />
                </> }
            }) }
            { for h.iter().enumerate().map(|(j, o)| op_bar(o, j as u32 + r.history_offset, witness, &x, 14.0 + f64::from(o.client) * lane_h, &labels[j], t1)) }
        </svg>
        </div>
        <figcaption class="muted">{ format!("The last {} operations, one lane per client: w k=v writes v to key k; r k→v read v (0 is the initial value). Reads are blue, writes orange, stale reads purple; a dashed bar timed out.", h.len()) }
            if witness.is_some() { {" The outlined operation is the checker's witness."} }
        </figcaption>
        </figure>
    }
}

/// Vertical step between label rows under a lane, in drawing units (labels are 8 units).
const LABEL_DY: f64 = 10.0;

/// What an operation's bar says: `w k=v`, `r k→v`, or `r k` for a read that timed out.
fn op_label(o: &OpRecord) -> String {
    if o.write {
        format!("w {}={}", o.key, o.value)
    } else if o.ret_ms.is_some() {
        format!("r {}→{}", o.key, o.value)
    } else {
        format!("r {}", o.key)
    }
}

/// An operation's label, placed: its text, where it starts and its row under the lane.
struct Label {
    text: String,
    x: f64,
    row: u8,
}

/// The history drawing's width in viewBox units.
const HISTORY_W: f64 = 680.0;

/// Each operation's label: under the start of its bar (pulled left near the right edge so it
/// stays inside the drawing), on the first row under its lane whose last label ends before this
/// one starts, so neighbouring labels never overlap however close the operations.
fn label_layout(h: &[OpRecord], x: &dyn Fn(f64) -> f64) -> Vec<Label> {
    const GAP: f64 = 3.0;
    let mut order: Vec<usize> = (0..h.len()).collect();
    order.sort_unstable_by(|&a, &b| h[a].call_ms.total_cmp(&h[b].call_ms).then(a.cmp(&b)));
    // per client, the right end of the last label on each row so far
    let mut ends: Vec<Vec<f64>> = Vec::new();
    let mut labels: Vec<Label> = h
        .iter()
        .map(|o| {
            let text = op_label(o);
            // 8-unit sans-serif letters and digits average under 5 units wide
            let w = 5.0 * text.chars().count() as f64;
            let x = x(o.call_ms).min(HISTORY_W - 2.0 - w);
            Label { text, x, row: 0 }
        })
        .collect();
    for i in order {
        let c = h[i].client as usize;
        if ends.len() <= c {
            ends.resize(c + 1, Vec::new());
        }
        let start = labels[i].x;
        let end = start + 5.0 * labels[i].text.chars().count() as f64;
        let lane = &mut ends[c];
        let row = match lane.iter().position(|&e| e + GAP <= start) {
            Some(r) => r,
            None => {
                lane.push(f64::NEG_INFINITY);
                lane.len() - 1
            }
        };
        lane[row] = end;
        labels[i].row = u8::try_from(row).unwrap_or(u8::MAX);
    }
    labels
}

fn op_bar(
    o: &OpRecord,
    idx: u32,
    witness: Option<u32>,
    x: &dyn Fn(f64) -> f64,
    y: f64,
    label: &Label,
    t1: f64,
) -> Html {
    let a = x(o.call_ms);
    let b = x(o.ret_ms.unwrap_or(t1)).max(a + 3.0);
    let fill = if o.stale {
        "var(--c3)"
    } else if o.write {
        "var(--c1)"
    } else {
        "var(--c0)"
    };
    let is_w = witness == Some(idx);
    html! { <g>
        <rect x={format!("{a:.1}")} y={format!("{:.1}", y + 4.0)} width={format!("{:.1}", b - a)} height="12" rx="2"
              fill={if o.ret_ms.is_some() { fill } else { "none" }} stroke={if is_w { "var(--fg)" } else { fill }}
              stroke-width={if is_w { "2" } else { "1" }} stroke-dasharray={if o.ret_ms.is_none() { "3 2" } else { "" }} fill-opacity="0.55">
            <title>{ format!("client {} {} · {:.0}–{} ms{}{}", o.client + 1, label.text, o.call_ms, o.ret_ms.map(|t| format!("{t:.0}")).unwrap_or("timeout".into()), if o.stale { " · stale" } else { "" }, if is_w { " · checker's witness" } else { "" }) }</title>
        </rect>
        <text x={format!("{:.1}", label.x)} y={format!("{:.1}", y + 26.0 + LABEL_DY * f64::from(label.row))} font-size="8" fill="var(--fg)">{ &label.text }</text>
    </g> }
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

const NAMES: [&str; 3] = ["primary", "near secondary", "far secondary"];
/// Drawing positions: primary, near, far, clients.
/// (Narrow, with 10.5-unit text, so the whole store stays legible at phone width.)
const POS: [(f64, f64); 4] = [(60.0, 70.0), (210.0, 40.0), (360.0, 70.0), (210.0, 125.0)];

/// The same store, played live; replicas can be crashed and restarted while it runs.
#[component]
fn LiveStore(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| DialSim::new(&d.0, d.1),
        |s| s.snapshot(),
        0.1,
    );
    let toggle = live.poke(|s: &mut DialSim, t: f64, node: u32| {
        if s.is_up(node) {
            s.crash(node, t)
        } else {
            s.restart(node, t)
        }
    });
    let s: &Snapshot = &live.snap;
    let clock = live.clock.max(s.t);
    let reduced = crate::chrome::dom::reduced_motion();
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"The store, live"}</h3>
            { live.player(vec![0.02, 0.1, 0.5, 1.0], format!("t = {:.2} s · {} of {} operations done · {} stale · {} timed out", clock, s.finished, s.total, s.stale, s.failed), id.clone()) }
            { store_svg(s, clock, reduced) }
            <div class="cd-faults" role="group" aria-label="Crash or restart a replica">
                { for (0..3u32).map(|n| {
                    let up = s.replicas.get(n as usize).is_some_and(|r| r.up);
                    let cb = toggle.reform(move |_: MouseEvent| n);
                    html! { <button type="button" onclick={cb} aria-pressed={(!up).to_string()}>
                        { format!("{} the {}", if up { "Crash" } else { "Restart" }, NAMES[n as usize]) }
                    </button> }
                }) }
            </div>
        </section>
    }
}

fn store_svg(s: &Snapshot, clock: f64, reduced: bool) -> Html {
    let cut = |a: usize, b: usize| {
        s.cut
            .get(a)
            .and_then(|r| r.get(b))
            .copied()
            .unwrap_or(false)
    };
    let links = [(0usize, 1usize), (0, 3), (1, 2), (2, 3), (1, 3), (0, 2)];
    html! {
        <svg class="drawing cd-store" viewBox="0 0 420 160" role="img"
             aria-label={format!("Primary, near and far secondaries and the clients; {} messages in flight", s.flights.len())}>
            { for links.iter().filter(|(a, b)| !(*a == 0 && *b == 2)).map(|&(a, b)| {
                let broken = cut(a, b) || cut(b, a);
                html! { <line x1={POS[a].0.to_string()} y1={POS[a].1.to_string()} x2={POS[b].0.to_string()} y2={POS[b].1.to_string()}
                    stroke={if broken { "var(--c3)" } else { "var(--border)" }} stroke-dasharray={if broken { "4 3" } else { "" }} /> }
            }) }
            { for s.flights.iter().map(|f| {
                let (a, b) = ((f.from as usize).min(3), (f.to as usize).min(3));
                let u = crate::chrome::player::flight_progress(clock, f.sent, f.arrives, reduced);
                let (x, y) = (POS[a].0 + (POS[b].0 - POS[a].0) * u, POS[a].1 + (POS[b].1 - POS[a].1) * u);
                let color = match f.kind.as_str() {
                    "write" | "append" => "var(--c1)",
                    "read" | "reply" => "var(--c0)",
                    _ => "var(--muted)",
                };
                html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="3.5" fill={color}><title>{ f.kind.clone() }</title></circle> }
            }) }
            { for s.replicas.iter().enumerate().map(|(i, r)| {
                let (x, y) = POS[i];
                let vals: Vec<String> = r.values.iter().enumerate().map(|(k, v)| format!("{k}={v}")).collect();
                html! { <g>
                    <circle cx={x.to_string()} cy={y.to_string()} r="34" fill="var(--bg)" stroke={if r.up { if i == 0 { "var(--c2)" } else { "var(--fg)" } } else { "var(--c3)" }} stroke-width="2" stroke-dasharray={if r.up { "" } else { "4 3" }} />
                    <text x={x.to_string()} y={format!("{:.0}", y - 6.0)} font-size="12" text-anchor="middle" fill="var(--fg)">{ ["primary", "near", "far"][i] }</text>
                    <text x={x.to_string()} y={format!("{:.0}", y + 9.0)} font-size="11.5" text-anchor="middle" fill="var(--muted)">{ format!("log {} · ok {}", r.applied, r.commit) }</text>
                    <text x={x.to_string()} y={format!("{:.0}", y + 48.0)} font-size="11.5" text-anchor="middle" fill="var(--muted)">{ if r.up { vals.join(" ") } else { "crashed".into() } }</text>
                </g> }
            }) }
            <rect x={(POS[3].0 - 34.0).to_string()} y={(POS[3].1 - 12.0).to_string()} width="68" height="24" rx="4" fill="var(--bg)" stroke="var(--fg)" />
            <text x={POS[3].0.to_string()} y={(POS[3].1 + 4.0).to_string()} font-size="12" text-anchor="middle" fill="var(--fg)">{"clients"}</text>
        </svg>
    }
}
