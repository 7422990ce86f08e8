//! View of `saga` (book page 29): one order (order → payment → inventory → shipping) as
//! orchestration and as choreography, drawn as swimlane sequence diagrams and played live
//! message by message (with a poke that fails the next step), its compensations, message
//! counts and what an operator must read; a batch of orders and a per-failure-step sweep.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Series};
use crate::chrome::host::{use_from_report, use_report, Same, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::saga::{
    BatchStats, LivePair, MsgKind, MsgRec, Params, Report, Snap, Style, SvcState, Trace,
    FAIL_STEPS, SERVICE_NAMES,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn style_name(s: Style) -> &'static str {
    match s {
        Style::Orchestration => "Orchestration",
        Style::Choreography => "Choreography",
    }
}

fn prefix(s: Style) -> &'static str {
    match s {
        Style::Orchestration => "orch",
        Style::Choreography => "chor",
    }
}

fn lane_name(style: Style, lane: u8) -> &'static str {
    if lane == 0 {
        style.hub()
    } else {
        SERVICE_NAMES.get(lane as usize - 1).copied().unwrap_or("?")
    }
}

/// A mean count: whole numbers bare, others with one decimal ("1", "4.8").
fn n1(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 {
        format!("{:.0}", x)
    } else {
        format!("{x:.1}")
    }
}

fn scenario_words(p: &Params) -> String {
    let at = FAIL_STEPS
        .iter()
        .find(|(k, _)| *k == p.fail_step)
        .map(|(_, l)| *l)
        .unwrap_or("");
    let fail = if p.fail_step == "none" {
        "Every step succeeds.".to_string()
    } else if p.fail_kind == "timeout" {
        format!(
            "The {} service hangs and never answers ({} retries, {} apart).",
            p.fail_step,
            p.retries,
            ms(Some(p.timeout_ms))
        )
    } else {
        format!("It fails at {}.", at.to_ascii_lowercase())
    };
    let loss = if p.loss_pct > 0.0 {
        format!(" {} % of messages are lost.", sig3(p.loss_pct))
    } else {
        String::new()
    };
    format!(
        "One order: order → payment → inventory → shipping. {fail}{loss} Hops take {} ms ± {} %; the broker adds {} ms.",
        n1(p.latency_ms),
        n1(p.jitter_pct),
        n1(p.broker_ms)
    )
}

/// The saga widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| (latency_chart(r), messages_chart(r)));
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let consistent = r.runs.iter().all(|t| t.consistent);
    let th = &r.theory;
    let orch_b = r.batch_of(Style::Orchestration);
    let chor_b = r.batch_of(Style::Choreography);
    html! {
        <>
        <p class="callout">{ scenario_words(&p) }</p>
        <LiveSaga params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} report={Same(r.clone())} />
        <dl class="metrics">
            { for r.runs.iter().map(run_metrics) }
            { metric("consistent", "Every order consistent", if consistent { "yes".into() } else { "NO".into() },
                Some("all four committed, or all undone; nothing twice".into()),
                if consistent { Tone::Good } else { Tone::Bad }) }
            if let (Some(o), Some(c)) = (orch_b, chor_b) {
                { metric("batch_completion", "Batch: orders completed", pct(o.completion_rate, 1),
                    Some(format!("of {} · the same in both styles ({} / {})", o.orders, o.completed, c.completed)), Tone::Plain) }
                { metric("batch_places", "Batch: logs to read per order", format!("{} vs {}", n1(o.places), n1(c.places)),
                    Some(format!("orchestration vs choreography · {} vs {} lines", n1(o.lines), n1(c.lines))), Tone::Plain) }
            }
        </dl>
        { notes(&r.notes) }
        { counts_table(&r) }
        { services_table(&r) }
        { operator_view(&r) }
        if let (Some(o), Some(c)) = (orch_b, chor_b) {
            { batch_table(o, c) }
        }
        if let Some((lat, msgs)) = (*charts).clone() {
            <Chart spec={lat} height={260} caption="Median and 99th-percentile time for the order to settle, per failure step, for each style" />
            <Chart spec={msgs} height={240} caption="Messages per order on the wire, per failure step, for each style, and choreography's distinct events" />
        }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A saga splits one business transaction across services, each with its own local transaction and a compensating action that undoes it: cancel the order, refund the payment, release the stock, cancel the shipment. There is no global rollback, so when a step fails the steps that already committed must be undone one by one."}</p>
            <p>{"Orchestration puts a coordinator in charge: it sends a command to each service in turn, waits for the reply, records every step in its own saga log and, on a failure, sends the compensations itself, last step first. Choreography has no one in charge: each service publishes an event to a broker when it is done, the next service reacts to it, and a failure event makes every earlier service undo its own step as soon as it hears it. The sequence diagrams show one order both ways on the same network: each row is one message, its send time on the left; blue goes forward, green replies, red carries a failure, purple undoes, grey dashed are acknowledgements; a cross marks a lost message, ↻ a resend, “dup” a duplicate absorbed by an idempotent handler."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Card declined", &[("fail_step", "payment"), ("fail_kind", "business"), ("loss_pct", "0")]) }
                { ctx.try_this("Out of stock (refund)", &[("fail_step", "inventory"), ("fail_kind", "business"), ("loss_pct", "0")]) }
                { ctx.try_this("Shipping fails (three undos)", &[("fail_step", "shipping"), ("fail_kind", "business"), ("loss_pct", "0")]) }
                { ctx.try_this("Lossy network (retries, duplicates)", &[("fail_step", "none"), ("loss_pct", "25"), ("timeout_ms", "60")]) }
                { ctx.try_this("Where is my order? (a hung service)", &[("fail_step", "shipping"), ("fail_kind", "timeout"), ("loss_pct", "0")]) }
                { ctx.try_this("Happy path, no jitter (theory)", &[("fail_step", "none"), ("jitter_pct", "0"), ("loss_pct", "0")]) }
                { ctx.try_this("Slow broker", &[("broker_ms", "60"), ("fail_step", "none")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{ format!("Happy path without jitter: orchestration needs {} messages (a command and a reply per step) and 8 hops = {}; choreography publishes only {} events, but through a broker each is a publish, a broker ack, a delivery and a consumer ack — {} messages on the wire — and takes 4 × (2 hops + broker) = {}.",
                    th.orch_messages, ms(Some(th.orch_ms)), th.chor_events, th.chor_wire, ms(Some(th.chor_ms))) }</li>
                <li>{"A failure at step k undoes exactly the k − 1 steps that committed. The coordinator does it in reverse order, one round trip each; in choreography the failure event reaches every earlier service at once and they undo in parallel — so rollback is faster there, but in no guaranteed order."}</li>
                <li>{"A service that never answers is where the styles part ways: the coordinator retries, gives up and compensates (including the unknown step, which only leaves a tombstone), while in choreography the broker dead-letters the event and nothing happens until the order service's own deadline cancels the order."}</li>
                <li>{"With message loss, resends create duplicates; each handler is keyed by order and step, so a second charge request returns the first answer instead of charging twice. When a step's replies keep getting lost, a coordinator with bounded retries gives up and undoes the step even if it ran — an order that could have shipped is cancelled, consistently. The broker redelivers until the event is handled, so the same losses seldom stop a choreography. The “every order consistent” tile stays yes under any loss, retry or failure setting."}</li>
            </ul>
            <h3>{"Where the book's decision framework holds, measured"}</h3>
            { framework(&r, p.fail_kind == "timeout" && p.fail_step != "none" && p.fail_step != "order") }
        </section>
        </>
    }
}

fn run_metrics(t: &Trace) -> Html {
    let pre = prefix(t.style);
    let name = style_name(t.style);
    let logical = match t.style {
        Style::Orchestration => format!(
            "{} commands + {} replies + {} undo msgs",
            t.counts.commands, t.counts.replies, t.counts.comp_msgs
        ),
        Style::Choreography => format!(
            "{} events · {} deliveries · {} acks",
            t.counts.events, t.counts.deliveries, t.counts.acks
        ),
    };
    let undone: Vec<&str> = t
        .comp_order
        .iter()
        .map(|&l| lane_name(t.style, l))
        .collect();
    html! {
        <>
        { metric(&format!("{pre}_settled"), &format!("{name}: settled after"), ms(Some(t.settled_ms)), Some(t.outcome.clone()), if t.outcome == "stuck" { Tone::Bad } else { Tone::Plain }) }
        { metric(&format!("{pre}_wire"), &format!("{name}: messages"), int(u64::from(t.counts.wire)), Some(logical), Tone::Plain) }
        { metric(&format!("{pre}_comp"), &format!("{name}: compensations"), int(u64::from(t.counts.compensations)),
            Some(if undone.is_empty() { "nothing to undo".into() } else { format!("in order: {}", undone.join(" → ")) }), Tone::Plain) }
        { metric(&format!("{pre}_places"), &format!("{name}: where is the order?"), format!("{} {}", t.places, if t.places == 1 { "log" } else { "logs" }),
            Some(format!("{} lines to read", t.log_lines)), if t.places > 1 { Tone::Bad } else { Tone::Good }) }
        </>
    }
}

fn counts_table(r: &Report) -> Html {
    let row = |t: &Trace| {
        let c = &t.counts;
        html! {
            <tr>
                <th scope="row">{ style_name(t.style) }</th>
                <td>{ t.outcome.clone() }</td>
                <td>{ ms(Some(t.settled_ms)) }</td>
                <td>{ c.wire }</td>
                <td>{ c.logical }</td>
                <td>{ c.compensations }</td>
                <td>{ format!("{} / {} / {}", c.retries, c.duplicates, c.lost) }</td>
                <td>{ c.dead_letters }</td>
            </tr>
        }
    };
    html! {
        <div class="table-wrap">
            <table class="data saga-table" aria-label="This order under each style">
                <thead><tr><th>{"this order"}</th><th>{"outcome"}</th><th>{"settled"}</th><th>{"wire msgs"}</th><th>{"logical"}</th><th>{"undone"}</th><th>{"resends / dups / lost"}</th><th>{"dead letters"}</th></tr></thead>
                <tbody>{ for r.runs.iter().map(row) }</tbody>
            </table>
            <p class="saga-key">{"logical: orchestration's distinct commands and replies, choreography's distinct events"}</p>
        </div>
    }
}

fn state_class(s: &str) -> &'static str {
    match s {
        "committed" | "completed" => "saga-ok",
        "compensated" => "saga-undo",
        "refused" => "saga-fail",
        "voided" => "saga-void",
        _ => "saga-idle",
    }
}

fn services_table(r: &Report) -> Html {
    html! {
        <div class="table-wrap">
            <table class="data saga-table" aria-label="Final state of every service">
                <thead><tr><th>{"service"}</th>{ for r.runs.iter().map(|t| html! { <th>{ style_name(t.style) }</th> }) }</tr></thead>
                <tbody>
                    { for (0..SERVICE_NAMES.len()).map(|i| html! {
                        <tr>
                            <th scope="row">{ SERVICE_NAMES[i] }</th>
                            { for r.runs.iter().map(|t| {
                                let s: Option<&SvcState> = t.services.get(i);
                                match s {
                                    Some(s) => html! { <td class={state_class(&s.state)}>{ format!("{}{}", s.state, if s.duplicates > 0 { format!(" · {} dup", s.duplicates) } else { String::new() }) }</td> },
                                    None => html! { <td /> },
                                }
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

fn operator_view(r: &Report) -> Html {
    html! {
        <section class="saga-ops" aria-label="What an operator sees">
            <h3>{"“Where is my order?” — what an operator reads"}</h3>
            <div class="saga-pair">
                { for r.runs.iter().map(|t| {
                    let head = match t.style {
                        Style::Orchestration => format!("Orchestration: one place, the saga log — {} lines; the last one answers.", t.hub_lines),
                        Style::Choreography => format!("Choreography: {} logs (broker and services), {} lines, joined by the order's correlation id.", t.places, t.log_lines),
                    };
                    let lines: Vec<_> = t.log.iter().filter(|l| t.style == Style::Choreography || l.lane == 0).collect();
                    html! {
                        <div>
                            <p class="saga-ops-head">{ head }</p>
                            <ol class="saga-log">
                                { for lines.iter().map(|l| html! {
                                    <li><span class="saga-t">{ format!("{:.0} ms", l.t) }</span>{" "}
                                        if t.style == Style::Choreography { <span class={classes!("saga-lane", format!("saga-l{}", l.lane))}>{ lane_name(t.style, l.lane) }</span>{" "} }
                                        { l.text.clone() }</li>
                                }) }
                            </ol>
                        </div>
                    }
                }) }
            </div>
        </section>
    }
}

fn batch_table(o: &BatchStats, c: &BatchStats) -> Html {
    let row = |b: &BatchStats| {
        html! {
            <tr>
                <th scope="row">{ style_name(b.style) }</th>
                <td>{ pct(b.completion_rate, 1) }</td>
                <td>{ format!("{} / {}", b.aborted, b.stuck) }</td>
                <td>{ b.compensations }</td>
                <td>{ format!("{} / {}", ms(Some(b.p50_ms)), ms(Some(b.p99_ms))) }</td>
                <td>{ format!("{} / {}", n1(b.wire_per_order), n1(b.logical_per_order)) }</td>
                <td>{ format!("{} / {}", b.retries, b.duplicates) }</td>
                <td>{ format!("{} / {}", n1(b.places), n1(b.lines)) }</td>
            </tr>
        }
    };
    html! {
        <div class="table-wrap">
            <table class="data saga-table" aria-label="The batch under each style">
                <thead><tr><th>{ format!("batch of {} orders", o.orders) }</th><th>{"completed"}</th><th>{"aborted / inconsistent"}</th><th>{"undos"}</th><th>{"settle p50 / p99"}</th><th>{"msgs / order (wire / logical)"}</th><th>{"resends / dups"}</th><th>{"logs / lines per order"}</th></tr></thead>
                <tbody>{ row(o) }{ row(c) }</tbody>
            </table>
        </div>
    }
}

fn framework(r: &Report, hung: bool) -> Html {
    let (Some(o), Some(c)) = (
        r.batch_of(Style::Orchestration),
        r.batch_of(Style::Choreography),
    ) else {
        return html! { <p>{"Run a batch (orders > 0) to measure the framework's claims."}</p> };
    };
    let step = |name: &str, st: Style| r.by_step.iter().find(|s| s.step == name && s.style == st);
    let ship = (
        step("shipping", Style::Orchestration),
        step("shipping", Style::Choreography),
    );
    html! {
        <ul>
            <li>{ format!("“Central visibility needed → orchestration”: holds. Over the batch an operator reads {} log per order with orchestration and {} logs ({} lines) with choreography.",
                n1(o.places), n1(c.places), n1(c.lines)) }</li>
            <li>{ match ship {
                (Some(a), Some(b)) => format!("“Rollback requirements → orchestration”: it holds for control, not for speed. The coordinator undoes in a fixed reverse order, so it is slower: a shipping failure settles at a median of {} against {} for choreography's parallel undo — which is fast but unordered, and only as complete as every subscriber's handler.", ms(Some(a.p50_ms)), ms(Some(b.p50_ms))),
                _ => String::new(),
            } }</li>
            <li>{ format!("“Scale requirements high → choreography”: not because it sends fewer messages. Choreography carries half the logical messages ({} vs {} per order) but more on the wire ({} vs {}), since every event crosses a broker and is acknowledged twice. Its gain is that no single coordinator sits in every order's path.",
                n1(c.logical_per_order), n1(o.logical_per_order), n1(c.wire_per_order), n1(o.wire_per_order)) }</li>
            <li>{ match (r.run(Style::Orchestration), r.run(Style::Choreography), hung) {
                (Some(a), Some(b), true) => format!("“Complex error handling → orchestration”: holds. With a hung service the coordinator notices within its retries and settles after {}; the choreography has no owner to notice, waits for the order service's deadline and settles after {}.", ms(Some(a.settled_ms)), ms(Some(b.settled_ms))),
                _ => "“Complex error handling → orchestration”: press “Where is my order? (a hung service)” to measure it: the coordinator notices within its retries, while a choreography has no owner to notice and waits for the order service's own deadline.".into(),
            } }</li>
        </ul>
    }
}

fn latency_chart(r: &Report) -> Rc<ChartSpec> {
    let cats: Vec<String> = FAIL_STEPS.iter().map(|(k, _)| (*k).to_string()).collect();
    let mut series = Vec::new();
    for st in Style::ALL {
        let pts = |f: fn(&sim::models::saga::StepStats) -> f64| {
            cats.iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    r.by_step
                        .iter()
                        .find(|s| &s.step == c && s.style == st)
                        .map(|s| (i as f64, f(s)))
                })
                .collect::<Vec<_>>()
        };
        // a bar per style at each step, its median a tick on it: the steps are categories,
        // not points on a line
        let (color, slot) = (st.index(), st.index() as u8);
        series.push(Series::new(
            format!("{} p99", style_name(st)),
            Kind::Grouped { slot, of: 2 },
            color,
            pts(|s| s.p99_ms),
        ));
        series.push(Series::new(
            format!("{} p50", style_name(st)),
            Kind::Tick { slot, of: 2 },
            color,
            pts(|s| s.p50_ms),
        ));
    }
    Rc::new(ChartSpec {
        title: "Time to settle by failure step".into(),
        x_label: "failure at step".into(),
        y_label: "ms".into(),
        y_min: Some(0.0),
        categories: cats,
        series,
        ..Default::default()
    })
}

fn messages_chart(r: &Report) -> Rc<ChartSpec> {
    let cats: Vec<String> = FAIL_STEPS.iter().map(|(k, _)| (*k).to_string()).collect();
    let pts = |st: Style, logical: bool| {
        cats.iter()
            .enumerate()
            .filter_map(|(i, c)| {
                r.by_step
                    .iter()
                    .find(|s| &s.step == c && s.style == st)
                    .map(|s| (i as f64, if logical { s.logical } else { s.wire }))
            })
            .collect::<Vec<_>>()
    };
    Rc::new(ChartSpec {
        title: "Messages per order by failure step".into(),
        x_label: "failure at step".into(),
        y_label: "messages per order".into(),
        y_min: Some(0.0),
        categories: cats.clone(),
        series: vec![
            Series::new(
                "Orchestration (commands + replies)",
                Kind::Grouped { slot: 0, of: 3 },
                0,
                pts(Style::Orchestration, false),
            ),
            Series::new(
                "Choreography on the wire",
                Kind::Grouped { slot: 1, of: 3 },
                1,
                pts(Style::Choreography, false),
            ),
            Series::new(
                "Choreography events",
                Kind::Grouped { slot: 2, of: 3 },
                2,
                pts(Style::Choreography, true),
            ),
        ],
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Live swimlanes
// ---------------------------------------------------------------------------------------------

/// Props of the live view.
#[derive(Properties, PartialEq)]
struct LiveSagaProps {
    params: Params,
    seed: u64,
    id: AttrValue,
    report: Same<Report>,
}

fn make(d: &(Params, u64)) -> LivePair {
    LivePair::from_params(&d.0, d.1)
}

/// The order played live on the swimlanes, message by message.
#[component]
fn LiveSaga(props: &LiveSagaProps) -> Html {
    let LiveSagaProps {
        params,
        seed,
        id,
        report,
    } = props;
    let live = use_live_sim((params.clone(), *seed), make, LivePair::snapshot, 0.05);
    let fail = live.poke(|s: &mut LivePair, _t: f64, _: MouseEvent| {
        s.fail_next();
    });
    let snaps: &Vec<Snap> = &live.snap;
    let now_ms = (live.clock * 1000.0).max(snaps.iter().map(|s| s.t).fold(0.0, f64::max));
    let status = format!(
        "t = {} · {}",
        ms(Some(now_ms)),
        snaps
            .iter()
            .map(|s| format!(
                "{}: {} sent",
                style_name(s.style).to_ascii_lowercase(),
                s.messages.iter().filter(|m| m.t <= now_ms).count()
            ))
            .collect::<Vec<_>>()
            .join(" · ")
    );
    let all_done = snaps
        .iter()
        .all(|s| s.services.iter().all(|v| v.state != "idle") || s.outcome.is_some());
    html! {
        <section class="live" aria-label="Live sequence diagrams">
            <h3>{"The order, message by message"}</h3>
            { live.player(vec![0.01, 0.05, 0.2, 1.0], status, id.clone()) }
            <p><button type="button" onclick={fail} disabled={all_done}>{"Fail the next step now"}</button></p>
            <div class="saga-pair">
                { for snaps.iter().map(|s| swimlane(s, report.0.run(s.style), now_ms)) }
            </div>
            { key() }
        </section>
    }
}

/// The kinds of row a diagram draws, each with its colour, weight and name in the key: one table
/// for [`arrow`] and [`key`].
#[derive(Clone, Copy, PartialEq)]
enum RowKind {
    Command,
    Reply,
    Failure,
    Undo,
    Ack,
}

impl RowKind {
    const ALL: [RowKind; 5] = [
        RowKind::Command,
        RowKind::Reply,
        RowKind::Failure,
        RowKind::Undo,
        RowKind::Ack,
    ];

    fn of(m: &MsgRec) -> RowKind {
        if matches!(m.kind, MsgKind::PubAck | MsgKind::DelAck) {
            RowKind::Ack
        } else if m.fail {
            RowKind::Failure
        } else if m.undo {
            RowKind::Undo
        } else if matches!(m.kind, MsgKind::Reply) {
            RowKind::Reply
        } else {
            RowKind::Command
        }
    }

    fn colour(self) -> &'static str {
        match self {
            RowKind::Command => "var(--c0)",
            RowKind::Reply => "var(--c2)",
            RowKind::Failure => "var(--c4)",
            RowKind::Undo => "var(--c3)",
            RowKind::Ack => "var(--muted)",
        }
    }

    fn label(self) -> &'static str {
        match self {
            RowKind::Command => "command or event",
            RowKind::Reply => "reply",
            RowKind::Failure => "failure",
            RowKind::Undo => "undo",
            RowKind::Ack => "ack",
        }
    }

    /// An ack is drawn thin and dashed; so is any lost message.
    fn stroke(self, lost: bool) -> (&'static str, &'static str) {
        let thin = self == RowKind::Ack;
        (
            if thin { "1" } else { "2" },
            if thin || lost { "4 3" } else { "none" },
        )
    }
}

/// The diagrams' key: each kind of row as [`arrow`] draws it.
fn key() -> Html {
    html! {
        <p class="saga-key">
            { for RowKind::ALL.iter().map(|k| {
                let (width, dash) = k.stroke(false);
                html! {
                    <span class="saga-key-item">
                        <svg width="22" height="8" aria-hidden="true">
                            <line x1="1" y1="4" x2="21" y2="4" stroke={k.colour()} stroke-width={width} stroke-dasharray={dash} />
                        </svg>
                        { k.label() }
                    </span>
                }
            }) }
            <span class="saga-key-item">{"✕ lost · ↻ resent · dup absorbed"}</span>
        </p>
    }
}

/// Narrow, so that at phone width the text is drawn near its nominal size.
const W: f64 = 360.0;
const LEFT: f64 = 30.0;
const TOP: f64 = 44.0;
const ROW: f64 = 21.0;

fn lane_x(lane: u8) -> f64 {
    LEFT + (W - LEFT) * (f64::from(lane) + 0.5) / 5.0
}

/// One style's sequence diagram: a column per lane, a row per message in sending order. Before
/// any injected failure the whole run is known (the report's trace, the same seeded run), so
/// messages still to come are drawn faint; after one, only what has happened is drawn.
fn swimlane(s: &Snap, trace: Option<&Trace>, now: f64) -> Html {
    let (rows, ghosts): (&[MsgRec], bool) = match trace {
        Some(t) if !s.poked => (&t.messages, true),
        _ => (&s.messages, false),
    };
    let n = rows.len().max(1) as f64;
    let h = TOP + n * ROW + 46.0;
    let label = format!(
        "{} sequence diagram: {} messages so far; lanes {}, order, payment, inventory, shipping",
        style_name(s.style),
        rows.iter().filter(|m| m.t <= now).count(),
        s.style.hub()
    );
    html! {
        <figure class="saga-fig">
            <figcaption>
                <strong>{ style_name(s.style) }</strong>
                { match &s.outcome { Some(o) => format!(" — {o}"), None => String::new() } }
                if s.poked { <span class="saga-poked">{ format!(" · failure injected at {}", s.fail_step.map(|k| lane_name(s.style, k)).unwrap_or("—")) }</span> }
            </figcaption>
            <svg class="drawing saga-lanes" viewBox={format!("0 0 {W:.0} {h:.0}")} role="img" aria-label={label}>
                <text x="2" y="30" font-size="10" fill="var(--muted)">{"ms"}</text>
                { for (0..5u8).map(|l| {
                    let x = lane_x(l);
                    html! {
                        <g>
                            <rect x={format!("{:.1}", x - 32.5)} y="8" width="65" height="24" rx="5"
                                  fill={if l == 0 { "var(--c5)" } else { "var(--bg)" }} fill-opacity={if l == 0 { "0.25" } else { "1" }} stroke="var(--border)" />
                            <text x={format!("{x:.1}")} y="24.5" text-anchor="middle" font-size={if lane_name(s.style, l).len() > 9 { "9.8" } else { "10.5" }} font-weight="600" fill="var(--fg)">{ lane_name(s.style, l) }</text>
                            <line x1={format!("{x:.1}")} y1="32" x2={format!("{x:.1}")} y2={format!("{:.1}", h - 40.0)} stroke="var(--border)" stroke-dasharray="3 3" />
                        </g>
                    }
                }) }
                { for rows.iter().enumerate().map(|(i, m)| arrow(m, i, now, ghosts)) }
                // each service's state now
                { for s.services.iter().enumerate().map(|(i, v)| {
                    let x = lane_x(i as u8 + 1);
                    let y = h - 30.0;
                    html! {
                        <g class={state_class(&v.state)}>
                            <rect class="saga-state" x={format!("{:.1}", x - 32.5)} y={format!("{y:.1}")} width="65" height="20" rx="4" stroke="var(--border)" />
                            <text x={format!("{x:.1}")} y={format!("{:.1}", y + 14.0)} text-anchor="middle" font-size="10" fill="var(--fg)">{ v.state.clone() }</text>
                        </g>
                    }
                }) }
            </svg>
        </figure>
    }
}

fn arrow(m: &MsgRec, i: usize, now: f64, ghosts: bool) -> Html {
    let y = TOP + (i as f64 + 0.5) * ROW;
    let (x1, x2) = (lane_x(m.from), lane_x(m.to));
    let dir = if x2 >= x1 { 1.0 } else { -1.0 };
    let (x1, x2) = (x1 + dir * 4.0, x2 - dir * 4.0);
    let future = m.t > now;
    if future && !ghosts {
        return html! {};
    }
    let f = if future {
        1.0
    } else {
        crate::chrome::player::flight_progress(now, m.t, m.at, false)
    };
    // a lost message stops short, with a cross
    let reach = if m.lost { f.min(0.55) } else { f };
    let xe = x1 + (x2 - x1) * reach;
    let kind = RowKind::of(m);
    let (ack, color) = (kind == RowKind::Ack, kind.colour());
    let (width, dash) = kind.stroke(m.lost);
    let mut text = m.label.clone();
    if m.retry {
        text.push_str(" ↻");
    }
    if m.dup {
        text.push_str(" dup");
    }
    let mid = (x1 + x2) / 2.0;
    let class = classes!(
        "saga-msg",
        future.then_some("saga-ghost"),
        m.lost.then_some("saga-lost"),
        ack.then_some("saga-ack")
    );
    let arrived = !m.lost && f >= 1.0;
    html! {
        <g class={class}>
            <text x="2" y={format!("{:.1}", y + 4.0)} font-size="10" fill="var(--muted)">{ format!("{:.0}", m.t) }</text>
            <line x1={format!("{x1:.1}")} y1={format!("{y:.1}")} x2={format!("{xe:.1}")} y2={format!("{y:.1}")} stroke={color}
                  stroke-width={width} stroke-dasharray={dash} />
            if arrived {
                <path d={format!("M{x2:.1} {y:.1} l{:.1} -4 v8 z", -dir * 7.0)} fill={color} />
            } else if m.lost && f >= 0.55 {
                <text x={format!("{xe:.1}")} y={format!("{:.1}", y + 4.5)} text-anchor="middle" font-size="13" font-weight="700" fill="var(--c4)">{"✕"}</text>
            } else if !future {
                <circle cx={format!("{xe:.1}")} cy={format!("{y:.1}")} r="3.5" fill={color} />
            }
            // an acknowledgement is labelled too, smaller and muted, so its row reads on its own
            <text x={format!("{mid:.1}")} y={format!("{:.1}", y - 4.0)} text-anchor="middle"
                  font-size={if ack { "10" } else { "11" }} fill={if ack { "var(--muted)" } else { "var(--fg)" }}>{ text }</text>
        </g>
    }
}
