//! # Saga (book page 29): one order, orchestrated or choreographed, with compensations
//!
//! The book's page on distributing control contrasts *orchestration* (a central conductor
//! tells each service what to do) with *choreography* (services react to each other's events)
//! and gives a decision framework: orchestration for clear steps, central visibility and
//! rollback; choreography for loose coupling and independent owners. A saga (Garcia-Molina &
//! Salem, *Sagas*, SIGMOD 1987) is where the two meet: a long transaction split into local
//! transactions, each with a *compensating* transaction that semantically undoes it.
//!
//! This model plays one order — order → payment → inventory → shipping — as a seeded
//! discrete-event simulation of real message passing, in both styles on the same network:
//!
//! - **Orchestration**: a coordinator with a durable saga log sends a *command* to each
//!   service and awaits its *reply* (request/response: the reply is the acknowledgement). On a
//!   rejection it runs the compensations of the completed steps one at a time, in reverse
//!   order (cancel order ← refund ← release stock). A command without a reply is resent after a
//!   timeout, up to `retries` times; then the coordinator gives up on the step and, since it
//!   cannot know whether the step ran, compensates it too (a no-op that leaves a tombstone if
//!   it never ran).
//! - **Choreography**: each service *publishes* an event to a broker (one network hop, acked
//!   by the broker), which *delivers* it after its own hop time to the subscribers (another
//!   network hop, acked by the consumer): `OrderCreated` → payment, `PaymentCharged` →
//!   inventory, `StockReserved` → shipping, `OrderShipped` → order (which marks the order
//!   complete). A failing service publishes a failure event that every earlier service
//!   subscribes to; each compensates on hearing it — in parallel, not in reverse. A delivery
//!   nobody acknowledges is retried `retries` times and then dead-lettered; since no one owns
//!   the whole saga, the order service keeps a deadline and, if the order is neither shipped
//!   nor cancelled by then, cancels it and publishes `OrderCancelled`.
//!
//! Every message may be lost (independently, `loss_pct`), so both styles deliver *at least
//! once*: handlers are idempotent (keyed by order and step), count the duplicates they absorb,
//! and a compensation that arrives before its step leaves a tombstone so the late step is
//! refused. Compensating messages are retried until they get through (up to [`COMP_CAP`]
//! attempts). Local transactions take no time; only the network and the broker do.
//!
//! Failure-free and without jitter, with hop latency `d` and broker time `b`: orchestration
//! takes 8 messages (4 commands, 4 replies) and `8d`; choreography publishes 4 events, which
//! take 16 messages on the wire (publish, broker ack, delivery, consumer ack) and `4(2d + b)`.
//! A business failure at step `k` costs orchestration `2k + 2(k−1)` messages and `(4k−2)d`
//! (compensations in series), choreography `k(2d + b)` (compensations in parallel).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::saga::{Params, Saga};
//! let r = Saga::run(&Params { orders: 20, ..Params::default() }, 1);
//! assert!(r.runs.iter().all(|t| t.consistent));
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Params as ParamsTrait};
use crate::rng::Rng;
use crate::stats::quantile_sorted;
use serde::{Deserialize, Serialize};
use std::collections::BinaryHeap;

/// The saga model: one order workflow under orchestration and choreography.
pub struct Saga;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// Steps of the workflow (order, payment, inventory, shipping).
pub const STEPS: u8 = 4;
/// Attempts at a compensating message (or its delivery) before the saga counts as stuck.
pub const COMP_CAP: u8 = 100;
/// Messages kept in a trace for drawing.
pub const TRACE_MAX: usize = 60;
/// Log lines kept in a trace for the operator view.
pub const LOG_MAX: usize = 40;
/// Orders per failure step and style in the per-step sweep.
pub const SWEEP_N: u32 = 30;
const ORDERS_MAX: u32 = 2_000;
const EVENTS_MAX: u32 = 40_000;

/// The styles the knob offers.
pub static STYLES: &[(&str, &str)] = &[
    ("both", "Both, side by side"),
    ("orchestration", "Orchestration (coordinator)"),
    ("choreography", "Choreography (events)"),
];
/// Where the scripted order fails.
pub static FAIL_STEPS: &[(&str, &str)] = &[
    ("none", "Nowhere (happy path)"),
    ("order", "Order (rejected)"),
    ("payment", "Payment (card declined)"),
    ("inventory", "Inventory (out of stock)"),
    ("shipping", "Shipping (cannot ship)"),
];
/// How a step fails.
pub static FAIL_KINDS: &[(&str, &str)] = &[
    ("business", "Business rejection (says no)"),
    ("timeout", "Timeout (never answers)"),
];

/// Service names, by step (lane 1–4).
pub const SERVICE_NAMES: [&str; 4] = ["order", "payment", "inventory", "shipping"];

/// The knobs. Defaults: both styles, the order fails at inventory (out of stock), 20 ms hops
/// with ±25 % jitter, a 5 ms broker, no loss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Which style the trace shows: `both`, `orchestration` or `choreography` (the batch
    /// always measures both).
    pub style: String,
    /// Where the scripted order fails: `none`, `order`, `payment`, `inventory`, `shipping`.
    pub fail_step: String,
    /// How it fails, there and in the batch: `business` (the service says no) or `timeout`
    /// (the service never answers).
    pub fail_kind: String,
    /// Mean one-way network latency per hop, in ms.
    pub latency_ms: f64,
    /// Each hop takes the mean ± up to this share of it, uniformly, in percent.
    pub jitter_pct: f64,
    /// Time the broker takes to persist and forward an event, in ms (choreography).
    pub broker_ms: f64,
    /// Chance that any one message is lost, in percent.
    pub loss_pct: f64,
    /// Wait for a reply or an ack before resending, in ms.
    pub timeout_ms: f64,
    /// Resends of a step's request (command or event delivery) before giving up on it.
    pub retries: u32,
    /// Choreography: the order service cancels an order neither shipped nor cancelled this
    /// long after creating it, in ms.
    pub deadline_ms: f64,
    /// Orders in the batch (each with random failures), run under both styles.
    pub orders: u32,
    /// Batch: chance that the order service rejects an order, in percent.
    pub p_order: f64,
    /// Batch: chance that payment fails, in percent.
    pub p_payment: f64,
    /// Batch: chance that inventory fails, in percent.
    pub p_inventory: f64,
    /// Batch: chance that shipping fails, in percent.
    pub p_shipping: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            style: "both".into(),
            fail_step: "inventory".into(),
            fail_kind: "business".into(),
            latency_ms: 20.0,
            jitter_pct: 25.0,
            broker_ms: 5.0,
            loss_pct: 0.0,
            timeout_ms: 100.0,
            retries: 2,
            deadline_ms: 1000.0,
            orders: 200,
            p_order: 1.0,
            p_payment: 5.0,
            p_inventory: 3.0,
            p_shipping: 2.0,
        }
    }
}

const fn pct_knob(key: &'static str, label: &'static str, help: &'static str) -> Knob {
    Knob {
        key,
        label,
        unit: "%",
        help,
        kind: KnobKind::Float {
            min: 0.0,
            max: 100.0,
            step: 0.5,
            log: false,
        },
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "style",
        label: "Style shown",
        unit: "",
        help: "Which style the message trace shows; the batch always runs both on the same orders.",
        kind: KnobKind::Choice { options: STYLES },
    },
    Knob {
        key: "fail_step",
        label: "Failure at step",
        unit: "",
        help: "Where the traced order fails; every completed step before it must be compensated.",
        kind: KnobKind::Choice { options: FAIL_STEPS },
    },
    Knob {
        key: "fail_kind",
        label: "Failure kind",
        unit: "",
        help: "A business rejection answers no at once; a timeout never answers, so the caller retries and then gives up.",
        kind: KnobKind::Choice { options: FAIL_KINDS },
    },
    Knob {
        key: "latency_ms",
        label: "Hop latency (mean)",
        unit: "ms",
        help: "Mean one-way network delay of every message.",
        kind: KnobKind::Float { min: 1.0, max: 200.0, step: 1.0, log: true },
    },
    Knob {
        key: "jitter_pct",
        label: "Latency jitter",
        unit: "%",
        help: "Each hop takes the mean ± up to this share of it, drawn from the seed.",
        kind: KnobKind::Float { min: 0.0, max: 90.0, step: 5.0, log: false },
    },
    Knob {
        key: "broker_ms",
        label: "Broker hop",
        unit: "ms",
        help: "Time the message broker takes to persist an event and forward it (choreography only).",
        kind: KnobKind::Float { min: 0.0, max: 200.0, step: 1.0, log: false },
    },
    Knob {
        key: "loss_pct",
        label: "Message loss",
        unit: "%",
        help: "Each message is lost with this chance; timeouts resend, and idempotent handlers absorb the duplicates.",
        kind: KnobKind::Float { min: 0.0, max: 50.0, step: 1.0, log: false },
    },
    Knob {
        key: "timeout_ms",
        label: "Retry timeout",
        unit: "ms",
        help: "How long a sender waits for a reply or an ack before resending.",
        kind: KnobKind::Float { min: 10.0, max: 2000.0, step: 10.0, log: true },
    },
    Knob {
        key: "retries",
        label: "Retries per step",
        unit: "",
        help: "Resends of a step's command (or event delivery) before giving up on that step.",
        kind: KnobKind::Int { min: 0, max: 5, log: false },
    },
    Knob {
        key: "deadline_ms",
        label: "Order deadline (choreography)",
        unit: "ms",
        help: "Nobody owns a choreographed saga, so the order service cancels an order not shipped by this time.",
        kind: KnobKind::Float { min: 100.0, max: 20000.0, step: 100.0, log: true },
    },
    Knob {
        key: "orders",
        label: "Batch: orders",
        unit: "",
        help: "Orders run under both styles, each step failing at random with the chances below.",
        kind: KnobKind::Int { min: 0, max: ORDERS_MAX as i64, log: false },
    },
    pct_knob("p_order", "Batch: order rejected", "Chance that the order service rejects an order."),
    pct_knob("p_payment", "Batch: payment fails", "Chance that payment fails (card declined)."),
    pct_knob("p_inventory", "Batch: inventory fails", "Chance that inventory fails (out of stock)."),
    pct_knob("p_shipping", "Batch: shipping fails", "Chance that shipping fails."),
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }
}

/// Which style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// A coordinator with a saga log sends commands.
    Orchestration,
    /// Services publish and react to events on a broker.
    Choreography,
}

impl Style {
    /// Both, in report order.
    pub const ALL: [Style; 2] = [Style::Orchestration, Style::Choreography];
    /// Index in [`Style::ALL`].
    pub fn index(self) -> usize {
        usize::from(self == Style::Choreography)
    }
    /// The name of the hub lane (lane 0).
    pub fn hub(self) -> &'static str {
        match self {
            Style::Orchestration => "coordinator",
            Style::Choreography => "broker",
        }
    }
}

/// How a step fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailKind {
    /// The service answers no (card declined, out of stock).
    Business,
    /// The service hangs on the request and never answers (its cancel still works).
    Timeout,
}

fn fail_step_of(s: &str) -> Option<u8> {
    FAIL_STEPS
        .iter()
        .position(|(k, _)| *k == s)
        .filter(|&i| i > 0)
        .map(|i| i as u8)
}

fn clampf(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() {
        lo
    } else {
        x.clamp(lo, hi)
    }
}

/// One order's network and failure, shared by both styles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scenario {
    /// The failing step (1–4) and how, or none.
    pub fail: Option<(u8, FailKind)>,
    /// Mean hop latency, ms.
    pub latency: f64,
    /// Jitter as a fraction of the mean.
    pub jitter: f64,
    /// Broker hop, ms.
    pub broker: f64,
    /// Loss probability.
    pub loss: f64,
    /// Retry timeout, ms.
    pub timeout: f64,
    /// Resends of a step request.
    pub retries: u8,
    /// Choreography order deadline, ms.
    pub deadline: f64,
}

impl Scenario {
    /// The scripted order of the knobs.
    pub fn from_params(p: &Params) -> Scenario {
        let kind = if p.fail_kind == "timeout" {
            FailKind::Timeout
        } else {
            FailKind::Business
        };
        Scenario {
            fail: fail_step_of(&p.fail_step).map(|s| (s, kind)),
            latency: clampf(p.latency_ms, 1.0, 200.0),
            jitter: clampf(p.jitter_pct, 0.0, 90.0) / 100.0,
            broker: clampf(p.broker_ms, 0.0, 200.0),
            loss: clampf(p.loss_pct, 0.0, 50.0) / 100.0,
            timeout: clampf(p.timeout_ms, 10.0, 2000.0),
            retries: p.retries.min(5) as u8,
            deadline: clampf(p.deadline_ms, 100.0, 20000.0),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgKind {
    /// Coordinator → service: do your step.
    Command,
    /// Service → coordinator: done, or rejected.
    Reply,
    /// Coordinator → service: undo your step.
    Compensate,
    /// Service → coordinator: undone.
    CompAck,
    /// Service → broker: an event.
    Publish,
    /// Broker → service: event stored.
    PubAck,
    /// Broker → service: an event it subscribes to.
    Deliver,
    /// Service → broker: event handled.
    DelAck,
}

/// A choreography event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Step `s` done (`OrderCreated`, `PaymentCharged`, `StockReserved`, `OrderShipped`).
    Done(u8),
    /// Step `s` failed (`PaymentFailed`, `OutOfStock`, `ShippingFailed`).
    Failed(u8),
    /// The order service cancelled the order at its deadline.
    Cancelled,
}

impl Event {
    /// The event's name.
    pub fn name(self) -> &'static str {
        match self {
            Event::Done(1) => "OrderCreated",
            Event::Done(2) => "PaymentCharged",
            Event::Done(3) => "StockReserved",
            Event::Done(_) => "OrderShipped",
            Event::Failed(1) => "OrderRejected",
            Event::Failed(2) => "PaymentFailed",
            Event::Failed(3) => "OutOfStock",
            Event::Failed(_) => "ShippingFailed",
            Event::Cancelled => "OrderCancelled",
        }
    }
    /// Lanes that subscribe to it.
    fn subscribers(self) -> &'static [u8] {
        match self {
            Event::Done(1) => &[2],
            Event::Done(2) => &[3],
            Event::Done(3) => &[4],
            Event::Done(_) => &[1],
            Event::Failed(s) => &EARLIER[..(s.clamp(1, 4) - 1) as usize],
            Event::Cancelled => &[2, 3, 4],
        }
    }
    /// Part of undoing the saga.
    pub fn undoing(self) -> bool {
        !matches!(self, Event::Done(_))
    }
}

static EARLIER: [u8; 3] = [1, 2, 3];

#[derive(Clone, Copy, Debug)]
struct Msg {
    from: u8,
    to: u8,
    kind: MsgKind,
    step: u8,
    ok: bool,
    ev: u32,
    attempt: u8,
    sent: f64,
    arrive: f64,
    lost: bool,
    dup: bool,
}

/// One message of a trace, for drawing and listing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MsgRec {
    /// Sent at, ms.
    pub t: f64,
    /// Arrives (or would have) at, ms.
    pub at: f64,
    /// Sender lane (0 coordinator or broker, 1–4 order…shipping).
    pub from: u8,
    /// Receiver lane.
    pub to: u8,
    /// What it is.
    pub kind: MsgKind,
    /// A short human label ("charge card", "OutOfStock", "refund").
    pub label: String,
    /// On the undo path (compensation command or ack, failure or cancel event).
    #[serde(default, skip_serializing_if = "is_false")]
    pub undo: bool,
    /// Carries a failure (a rejection, a failure event).
    #[serde(default, skip_serializing_if = "is_false")]
    pub fail: bool,
    /// Lost on the way.
    #[serde(default, skip_serializing_if = "is_false")]
    pub lost: bool,
    /// A resend.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retry: bool,
    /// Arrived at a handler that had already handled it (absorbed, not applied again).
    #[serde(default, skip_serializing_if = "is_false")]
    pub dup: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One log line an operator could read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// When, ms.
    pub t: f64,
    /// Whose log (lane).
    pub lane: u8,
    /// What it says.
    pub text: String,
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Forward(u8),
    Compensating(u8),
    Completed,
    Aborted,
    Stuck,
}

#[derive(Clone, Copy, Debug)]
enum Ag {
    Start,
    Arrive(u32),
    CmdTimer(u8, u8),
    CompTimer(u8, u8),
    PubTimer(u32, u8),
    DelTimer(u32, u8, u8),
    Deadline,
}

#[derive(Clone, Debug, Default)]
struct Svc {
    /// Result of the forward request, once handled: applied or refused.
    fwd: Option<bool>,
    applied: u8,
    compensated: u8,
    tomb: bool,
    completed: bool,
    dups: u32,
    lines: u32,
}

#[derive(Clone, Debug)]
struct EvRec {
    ev: Event,
    publisher: u8,
    pub_attempts: u8,
    pub_acked: bool,
    at_broker: bool,
    /// Per subscriber: (lane, attempts, acked, handled, dead).
    subs: Vec<(u8, u8, bool, bool, bool)>,
}

/// The state of one service at the end (or now), for reports and drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvcState {
    /// Service name.
    pub name: String,
    /// `idle | committed | completed | refused | compensated | voided` (voided: cancelled
    /// before it ever ran, tombstone kept).
    pub state: String,
    /// Times its local transaction was applied (must be ≤ 1).
    pub applied: u8,
    /// Times its compensation was applied (must be ≤ 1).
    pub compensated: u8,
    /// Duplicate messages it absorbed.
    pub duplicates: u32,
    /// Lines in its log about this order.
    pub log_lines: u32,
}

/// Message counts of one order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Every message on the wire, resends and acks included.
    pub wire: u32,
    /// Logical messages: orchestration's distinct commands and replies (compensating ones
    /// included), choreography's distinct events published.
    pub logical: u32,
    /// Forward commands sent (orchestration, resends included).
    pub commands: u32,
    /// Replies to them.
    pub replies: u32,
    /// Compensation commands and their acks (orchestration).
    pub comp_msgs: u32,
    /// Distinct events published (choreography).
    pub events: u32,
    /// Publish messages, resends included.
    pub publishes: u32,
    /// Broker → service deliveries, redeliveries included.
    pub deliveries: u32,
    /// Broker and consumer acks.
    pub acks: u32,
    /// Compensations applied (committed steps undone).
    pub compensations: u32,
    /// Resends after a timeout.
    pub retries: u32,
    /// Duplicates absorbed by idempotent handlers.
    pub duplicates: u32,
    /// Messages lost.
    pub lost: u32,
    /// Deliveries given up on (dead-lettered by the broker).
    pub dead_letters: u32,
}

/// One order under one style, as a step-able discrete-event simulation (ms inside, seconds
/// through [`Simulation`]).
pub struct SagaSim {
    style: Style,
    sc: Scenario,
    now: f64,
    seq: u64,
    agenda: BinaryHeap<Scheduled<Ag>>,
    msgs: Vec<Msg>,
    events: Vec<EvRec>,
    svcs: [Svc; 5],
    phase: Phase,
    attempts: u8,
    hub_lines: u32,
    hub_dups: u32,
    net: Rng,
    counts: Counts,
    comp_order: Vec<u8>,
    settled: f64,
    steps_done: u32,
    keep_log: bool,
    log: Vec<LogLine>,
    poked: bool,
}

impl SagaSim {
    /// One order under `style` on scenario `sc`, its network drawn from `seed`.
    pub fn new(style: Style, sc: &Scenario, seed: u64) -> SagaSim {
        let mut s = SagaSim {
            style,
            sc: *sc,
            now: 0.0,
            seq: 0,
            agenda: BinaryHeap::new(),
            msgs: Vec::with_capacity(24),
            events: Vec::new(),
            svcs: Default::default(),
            phase: Phase::Forward(1),
            attempts: 0,
            hub_lines: 0,
            hub_dups: 0,
            net: Rng::derive(seed, "net"),
            counts: Counts::default(),
            comp_order: Vec::new(),
            settled: 0.0,
            steps_done: 0,
            keep_log: false,
            log: Vec::new(),
            poked: false,
        };
        s.push(0.0, Ag::Start);
        s
    }

    /// The scripted order of `p` under `style`, keeping its log (for traces and the live view).
    pub fn traced(style: Style, p: &Params, seed: u64) -> SagaSim {
        let mut s = SagaSim::new(style, &Scenario::from_params(p), seed);
        s.keep_log = true;
        s
    }

    fn push(&mut self, t: f64, a: Ag) {
        self.seq += 1;
        self.agenda.push(Scheduled {
            time: t,
            seq: self.seq,
            item: a,
        });
    }

    fn note(&mut self, lane: u8, text: impl FnOnce() -> String) {
        if lane == 0 {
            self.hub_lines += 1;
        } else {
            self.svcs[lane as usize].lines += 1;
        }
        if self.keep_log && self.log.len() < LOG_MAX {
            self.log.push(LogLine {
                t: r2(self.now),
                lane,
                text: text(),
            });
        }
    }

    fn act(&mut self) {
        self.settled = self.now;
    }

    fn hop(&mut self) -> f64 {
        let u = self.net.uniform();
        self.sc.latency * (1.0 - self.sc.jitter + 2.0 * self.sc.jitter * u)
    }

    #[allow(clippy::too_many_arguments)]
    fn send_at(
        &mut self,
        at: f64,
        from: u8,
        to: u8,
        kind: MsgKind,
        step: u8,
        ok: bool,
        ev: u32,
        attempt: u8,
    ) {
        let delay = self.hop();
        let lost = self.net.chance(self.sc.loss);
        let id = self.msgs.len() as u32;
        self.msgs.push(Msg {
            from,
            to,
            kind,
            step,
            ok,
            ev,
            attempt,
            sent: at,
            arrive: at + delay,
            lost,
            dup: false,
        });
        let c = &mut self.counts;
        c.wire += 1;
        if lost {
            c.lost += 1;
        }
        if attempt > 1 {
            c.retries += 1;
        }
        match kind {
            MsgKind::Command => c.commands += 1,
            MsgKind::Reply => c.replies += 1,
            MsgKind::Compensate | MsgKind::CompAck => c.comp_msgs += 1,
            MsgKind::Publish => c.publishes += 1,
            MsgKind::Deliver => c.deliveries += 1,
            MsgKind::PubAck | MsgKind::DelAck => c.acks += 1,
        }
        if attempt == 1 && matches!(kind, MsgKind::Command | MsgKind::Compensate) {
            c.logical += 2;
        }
        self.push(at + delay, Ag::Arrive(id));
    }

    #[allow(clippy::too_many_arguments)]
    fn send(&mut self, from: u8, to: u8, kind: MsgKind, step: u8, ok: bool, ev: u32, attempt: u8) {
        self.send_at(self.now, from, to, kind, step, ok, ev, attempt);
    }

    // ---- services -------------------------------------------------------------------------

    /// A service handles its step's request. `None`: it hangs (no answer). Otherwise
    /// `(applied?, fresh?)`; a refusal because of a tombstone is `(false, fresh)` too.
    fn handle_forward(&mut self, lane: u8) -> Option<(bool, bool)> {
        if self.sc.fail == Some((lane, FailKind::Timeout)) {
            return None;
        }
        if let Some(r) = self.svcs[lane as usize].fwd {
            self.svcs[lane as usize].dups += 1;
            self.counts.duplicates += 1;
            self.note(lane, || "duplicate request ignored".to_string());
            return Some((r, false));
        }
        let r = if self.svcs[lane as usize].tomb {
            self.note(lane, || "refused: order already cancelled".to_string());
            false
        } else if self.sc.fail == Some((lane, FailKind::Business)) {
            self.note(lane, || reject_word(lane).to_string());
            false
        } else {
            self.svcs[lane as usize].applied += 1;
            self.steps_done += 1;
            self.note(lane, || done_word(lane).to_string());
            true
        };
        self.svcs[lane as usize].fwd = Some(r);
        self.act();
        Some((r, true))
    }

    /// A service handles a compensation (or a cancel). Returns whether it was fresh.
    fn handle_comp(&mut self, lane: u8) -> bool {
        if self.svcs[lane as usize].tomb {
            self.svcs[lane as usize].dups += 1;
            self.counts.duplicates += 1;
            self.note(lane, || "duplicate undo ignored".to_string());
            return false;
        }
        self.svcs[lane as usize].tomb = true;
        if self.svcs[lane as usize].fwd == Some(true) {
            self.svcs[lane as usize].compensated += 1;
            self.counts.compensations += 1;
            self.comp_order.push(lane);
            self.note(lane, || undo_word(lane).to_string());
        } else {
            self.note(lane, || "nothing to undo; tombstone kept".to_string());
        }
        self.act();
        true
    }

    // ---- orchestration --------------------------------------------------------------------

    fn send_cmd(&mut self, step: u8) {
        self.attempts += 1;
        let a = self.attempts;
        self.send(0, step, MsgKind::Command, step, true, 0, a);
        self.push(self.now + self.sc.timeout, Ag::CmdTimer(step, a));
    }

    fn send_comp(&mut self, step: u8) {
        self.attempts += 1;
        let a = self.attempts;
        self.send(0, step, MsgKind::Compensate, step, true, 0, a);
        self.push(self.now + self.sc.timeout, Ag::CompTimer(step, a));
    }

    fn compensate_from(&mut self, step: u8) {
        self.attempts = 0;
        if step == 0 {
            self.phase = Phase::Aborted;
            self.note(0, || "saga aborted: every completed step undone".into());
            self.act();
        } else {
            self.phase = Phase::Compensating(step);
            self.send_comp(step);
        }
    }

    fn orch_arrive(&mut self, m: Msg) {
        match m.kind {
            MsgKind::Command => {
                if let Some((ok, _)) = self.handle_forward(m.to) {
                    self.send(m.to, 0, MsgKind::Reply, m.step, ok, 0, 1);
                }
            }
            MsgKind::Compensate => {
                self.handle_comp(m.to);
                self.send(m.to, 0, MsgKind::CompAck, m.step, true, 0, 1);
            }
            MsgKind::Reply => {
                if self.phase != Phase::Forward(m.step) {
                    self.hub_dups += 1;
                    self.counts.duplicates += 1;
                    return;
                }
                let s = m.step;
                if m.ok {
                    self.note(0, || {
                        format!("step {s} {}: done", SERVICE_NAMES[s as usize - 1])
                    });
                    if s == STEPS {
                        self.phase = Phase::Completed;
                        self.note(0, || "saga completed".into());
                        self.act();
                    } else {
                        self.phase = Phase::Forward(s + 1);
                        self.attempts = 0;
                        self.send_cmd(s + 1);
                    }
                } else {
                    self.note(0, || {
                        format!(
                            "step {s} {}: failed; compensating",
                            SERVICE_NAMES[s as usize - 1]
                        )
                    });
                    self.compensate_from(s - 1);
                }
            }
            MsgKind::CompAck => {
                if self.phase != Phase::Compensating(m.step) {
                    self.hub_dups += 1;
                    self.counts.duplicates += 1;
                    return;
                }
                let s = m.step;
                self.note(0, || {
                    format!("step {s} {}: undone", SERVICE_NAMES[s as usize - 1])
                });
                self.compensate_from(s - 1);
            }
            _ => {}
        }
    }

    // ---- choreography ---------------------------------------------------------------------

    fn publish(&mut self, lane: u8, ev: Event) {
        let id = self.events.len() as u32;
        self.events.push(EvRec {
            ev,
            publisher: lane,
            pub_attempts: 0,
            pub_acked: false,
            at_broker: false,
            subs: ev
                .subscribers()
                .iter()
                .map(|&l| (l, 0, false, false, false))
                .collect(),
        });
        self.counts.events += 1;
        self.counts.logical += 1;
        self.send_publish(id);
    }

    fn send_publish(&mut self, id: u32) {
        let e = &mut self.events[id as usize];
        e.pub_attempts += 1;
        let (a, lane) = (e.pub_attempts, e.publisher);
        self.send(lane, 0, MsgKind::Publish, 0, true, id, a);
        self.push(self.now + self.sc.timeout, Ag::PubTimer(id, a));
    }

    fn send_delivery(&mut self, id: u32, sub: u8, at: f64) {
        let e = &mut self.events[id as usize];
        let s = &mut e.subs[sub as usize];
        s.1 += 1;
        let (a, lane) = (s.1, s.0);
        self.send_at(at, 0, lane, MsgKind::Deliver, 0, true, id, a);
        self.push(at + self.sc.timeout, Ag::DelTimer(id, sub, a));
    }

    fn chor_start(&mut self) {
        match self.handle_forward(1) {
            Some((true, _)) => {
                self.publish(1, Event::Done(1));
                self.push(self.sc.deadline, Ag::Deadline);
            }
            Some((false, _)) => self.phase = Phase::Aborted,
            None => {
                self.note(1, || "request hung; order never created".into());
                self.phase = Phase::Aborted;
            }
        }
    }

    fn chor_arrive(&mut self, id: u32, m: Msg) {
        let eid = m.ev as usize;
        match m.kind {
            MsgKind::Publish => {
                if self.events[eid].at_broker {
                    self.hub_dups += 1;
                    self.counts.duplicates += 1;
                    self.msgs[id as usize].dup = true;
                } else {
                    self.events[eid].at_broker = true;
                    let name = self.events[eid].ev.name();
                    self.note(0, || format!("{name} stored"));
                    let at = self.now + self.sc.broker;
                    for k in 0..self.events[eid].subs.len() {
                        self.send_delivery(m.ev, k as u8, at);
                    }
                }
                self.send(0, m.from, MsgKind::PubAck, 0, true, m.ev, 1);
            }
            MsgKind::PubAck => self.events[eid].pub_acked = true,
            MsgKind::DelAck => {
                if let Some(s) = self.events[eid].subs.iter_mut().find(|s| s.0 == m.from) {
                    s.2 = true;
                }
            }
            MsgKind::Deliver => {
                let lane = m.to;
                let k = self.events[eid]
                    .subs
                    .iter()
                    .position(|s| s.0 == lane)
                    .unwrap_or(0);
                let ev = self.events[eid].ev;
                if self.events[eid].subs[k].3 {
                    // handled before: absorb, ack again
                    self.svcs[lane as usize].dups += 1;
                    self.counts.duplicates += 1;
                    self.msgs[id as usize].dup = true;
                    self.note(lane, || format!("duplicate {} ignored", ev.name()));
                    self.send(lane, 0, MsgKind::DelAck, 0, true, m.ev, 1);
                    return;
                }
                match ev {
                    Event::Done(s) if s < STEPS => {
                        let Some((ok, fresh)) = self.handle_forward(lane) else {
                            return; // hung: no ack, the broker will redeliver, then give up
                        };
                        self.events[eid].subs[k].3 = true;
                        self.send(lane, 0, MsgKind::DelAck, 0, true, m.ev, 1);
                        let tomb_refusal = !ok && self.svcs[lane as usize].tomb;
                        if fresh && ok {
                            self.publish(lane, Event::Done(lane));
                        } else if fresh && !tomb_refusal {
                            self.publish(lane, Event::Failed(lane));
                        }
                    }
                    Event::Done(_) => {
                        // OrderShipped reaches the order service
                        self.events[eid].subs[k].3 = true;
                        let o = &mut self.svcs[1];
                        if o.tomb {
                            self.note(1, || "shipped after cancel (shipping undoes it)".into());
                        } else if !o.completed {
                            o.completed = true;
                            self.note(1, || "order completed".into());
                            self.act();
                        }
                        self.send(lane, 0, MsgKind::DelAck, 0, true, m.ev, 1);
                    }
                    Event::Failed(_) | Event::Cancelled => {
                        self.events[eid].subs[k].3 = true;
                        self.handle_comp(lane);
                        self.send(lane, 0, MsgKind::DelAck, 0, true, m.ev, 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn deadline(&mut self) {
        let o = &self.svcs[1];
        if o.completed || o.tomb {
            return;
        }
        self.note(1, || "deadline passed: cancelling".into());
        self.handle_comp(1);
        self.publish(1, Event::Cancelled);
    }

    // ---- faults while it runs -------------------------------------------------------------

    /// The live view's poke: make the next step that has not yet run fail (a business
    /// rejection). Returns the step, or `None` when every step has already run.
    pub fn fail_next(&mut self) -> Option<u8> {
        let s = (1..=STEPS).find(|&s| self.svcs[s as usize].fwd.is_none())?;
        self.sc.fail = Some((s, FailKind::Business));
        self.poked = true;
        Some(s)
    }

    // ---- timers ---------------------------------------------------------------------------

    fn is_stale(&self, a: &Ag) -> bool {
        match *a {
            Ag::CmdTimer(s, at) => self.phase != Phase::Forward(s) || self.attempts != at,
            Ag::CompTimer(s, at) => self.phase != Phase::Compensating(s) || self.attempts != at,
            Ag::PubTimer(id, at) => {
                let e = &self.events[id as usize];
                e.pub_acked || e.pub_attempts != at
            }
            Ag::DelTimer(id, k, at) => {
                let s = &self.events[id as usize].subs[k as usize];
                s.2 || s.1 != at
            }
            Ag::Deadline => self.svcs[1].completed || self.svcs[1].tomb,
            Ag::Start | Ag::Arrive(_) => false,
        }
    }

    fn timer(&mut self, a: Ag) {
        let fwd_cap = self.sc.retries + 1;
        match a {
            Ag::CmdTimer(s, _) => {
                if self.attempts < fwd_cap {
                    self.send_cmd(s);
                } else {
                    let n = self.attempts;
                    self.note(0, || format!("step {s} {}: no answer after {n} tries; undoing it and what came before", SERVICE_NAMES[s as usize - 1]));
                    // cannot tell whether the step ran: compensate it too
                    self.compensate_from(s);
                }
            }
            Ag::CompTimer(s, _) => {
                if self.attempts < COMP_CAP {
                    self.send_comp(s);
                } else {
                    self.phase = Phase::Stuck;
                    self.note(0, || {
                        format!("step {s}: undo never acknowledged; needs an operator")
                    });
                }
            }
            Ag::PubTimer(id, _) => {
                if self.events[id as usize].pub_attempts < COMP_CAP {
                    self.send_publish(id);
                }
            }
            Ag::DelTimer(id, k, _) => {
                let e = &self.events[id as usize];
                let cap = if e.ev.undoing() { COMP_CAP } else { fwd_cap };
                if e.subs[k as usize].1 < cap {
                    self.send_delivery(id, k, self.now);
                } else {
                    let name = e.ev.name();
                    self.events[id as usize].subs[k as usize].4 = true;
                    self.counts.dead_letters += 1;
                    self.note(0, || format!("{name} dead-lettered"));
                }
            }
            Ag::Deadline => self.deadline(),
            Ag::Start | Ag::Arrive(_) => {}
        }
    }

    fn drop_stale(&mut self) {
        while let Some(top) = self.agenda.peek() {
            if self.is_stale(&top.item) {
                self.agenda.pop();
            } else {
                break;
            }
        }
    }

    /// Play to the end.
    pub fn run_to_end(&mut self) {
        let mut n = 0;
        while n < EVENTS_MAX && self.step() {
            n += 1;
        }
    }

    // ---- results --------------------------------------------------------------------------

    /// The style.
    pub fn style(&self) -> Style {
        self.style
    }

    fn svc_state(&self, lane: u8) -> SvcState {
        let sv = &self.svcs[lane as usize];
        let state = match (sv.fwd, sv.compensated > 0, sv.tomb) {
            (Some(true), true, _) => "compensated",
            (Some(true), false, _) if sv.completed => "completed",
            (Some(true), false, _) => "committed",
            (_, _, true) => "voided",
            (Some(false), _, _) => "refused",
            (None, _, _) => "idle",
        };
        SvcState {
            name: SERVICE_NAMES[lane as usize - 1].into(),
            state: state.into(),
            applied: sv.applied,
            compensated: sv.compensated,
            duplicates: sv.dups,
            log_lines: sv.lines,
        }
    }

    /// `true` when every step is committed and none undone.
    fn all_committed(&self) -> bool {
        (1..=STEPS).all(|l| {
            let s = &self.svcs[l as usize];
            s.fwd == Some(true) && s.compensated == 0
        })
    }

    /// `true` when nothing is left committed (every committed step undone).
    fn none_committed(&self) -> bool {
        (1..=STEPS).all(|l| {
            let s = &self.svcs[l as usize];
            s.fwd != Some(true) || s.compensated > 0
        })
    }

    /// Whether the saga reached its happy end (the coordinator logged completion, or the order
    /// service marked the order complete).
    fn completed(&self) -> bool {
        match self.style {
            Style::Orchestration => self.phase == Phase::Completed,
            Style::Choreography => self.svcs[1].completed && !self.svcs[1].tomb,
        }
    }

    /// The order's outcome: `completed`, `aborted` (every committed step undone) or `stuck`
    /// (something committed and not undone, or a compensation never acknowledged).
    pub fn outcome_word(&self) -> &'static str {
        if self.phase == Phase::Stuck {
            "stuck"
        } else if self.completed() && self.all_committed() {
            "completed"
        } else if !self.completed() && self.none_committed() {
            "aborted"
        } else {
            "stuck"
        }
    }

    /// All four committed and completed, or nothing left committed; nothing applied twice.
    pub fn consistent(&self) -> bool {
        let once = (1..=STEPS)
            .all(|l| self.svcs[l as usize].applied <= 1 && self.svcs[l as usize].compensated <= 1);
        once && self.outcome_word() != "stuck"
    }

    /// Places an operator must look to answer "where is this order?" and the log lines to
    /// read there: orchestration, the saga log alone; choreography, every log holding a line
    /// about the order, joined by its correlation id.
    pub fn operator(&self) -> (u32, u32) {
        match self.style {
            Style::Orchestration => (1, self.hub_lines),
            Style::Choreography => {
                let lines = std::iter::once(self.hub_lines)
                    .chain((1..=STEPS).map(|l| self.svcs[l as usize].lines));
                lines.fold((0, 0), |(p, n), x| (p + u32::from(x > 0), n + x))
            }
        }
    }

    fn label(&self, m: &Msg) -> String {
        let s = m.step.clamp(1, 4) as usize - 1;
        let ev = || self.events.get(m.ev as usize).map(|e| e.ev);
        match m.kind {
            MsgKind::Command => ["create order", "charge card", "reserve stock", "ship"][s].into(),
            MsgKind::Reply if m.ok => ["created", "charged", "reserved", "shipped"][s].into(),
            MsgKind::Reply if self.sc.fail == Some((m.step, FailKind::Business)) => {
                ["rejected", "declined", "out of stock", "cannot ship"][s].into()
            }
            MsgKind::Reply => "refused".into(),
            MsgKind::Compensate => {
                ["cancel order", "refund", "release stock", "cancel shipment"][s].into()
            }
            MsgKind::CompAck => "undone".into(),
            MsgKind::Publish | MsgKind::Deliver => ev().map(|e| e.name()).unwrap_or("event").into(),
            MsgKind::PubAck | MsgKind::DelAck => "ack".into(),
        }
    }

    fn undo_msg(&self, m: &Msg) -> bool {
        match m.kind {
            MsgKind::Compensate | MsgKind::CompAck => true,
            MsgKind::Publish | MsgKind::Deliver | MsgKind::PubAck | MsgKind::DelAck => self
                .events
                .get(m.ev as usize)
                .is_some_and(|e| e.ev.undoing()),
            _ => false,
        }
    }

    fn fail_msg(&self, m: &Msg) -> bool {
        match m.kind {
            MsgKind::Reply => !m.ok,
            MsgKind::Publish | MsgKind::Deliver => self
                .events
                .get(m.ev as usize)
                .is_some_and(|e| matches!(e.ev, Event::Failed(_))),
            _ => false,
        }
    }

    fn rec(&self, m: &Msg) -> MsgRec {
        MsgRec {
            t: r2(m.sent),
            at: r2(m.arrive),
            from: m.from,
            to: m.to,
            kind: m.kind,
            label: self.label(m),
            undo: self.undo_msg(m),
            fail: self.fail_msg(m),
            lost: m.lost,
            retry: m.attempt > 1,
            dup: m.dup,
        }
    }

    /// Messages sent up to `t` ms, in sending order (at most [`TRACE_MAX`]).
    fn recs_until(&self, t: f64) -> Vec<MsgRec> {
        let mut idx: Vec<usize> = (0..self.msgs.len())
            .filter(|&i| self.msgs[i].sent <= t)
            .collect();
        crate::sort::sort_by(&mut idx, |&a, &b| {
            self.msgs[a]
                .sent
                .total_cmp(&self.msgs[b].sent)
                .then(a.cmp(&b))
        });
        idx.into_iter()
            .take(TRACE_MAX)
            .map(|i| self.rec(&self.msgs[i]))
            .collect()
    }

    /// The finished order as a report.
    pub fn trace(&self) -> Trace {
        let (places, lines) = self.operator();
        Trace {
            style: self.style,
            messages: self.recs_until(f64::INFINITY),
            total_messages: self.msgs.len() as u32,
            outcome: self.outcome_word().into(),
            consistent: self.consistent(),
            settled_ms: r2(self.settled),
            counts: self.counts.clone(),
            services: (1..=STEPS).map(|l| self.svc_state(l)).collect(),
            comp_order: self.comp_order.clone(),
            places,
            log_lines: lines,
            hub_lines: self.hub_lines,
            log: self.log.clone(),
        }
    }

    /// What the live view draws now.
    pub fn snapshot(&self) -> Snap {
        Snap {
            t: self.now,
            style: self.style,
            messages: self.recs_until(self.now),
            sent: self.msgs.iter().filter(|m| m.sent <= self.now).count() as u32,
            services: (1..=STEPS).map(|l| self.svc_state(l)).collect(),
            outcome: if self.next_event_time().is_none() {
                Some(self.outcome_word().into())
            } else {
                None
            },
            compensations: self.counts.compensations,
            poked: self.poked,
            fail_step: self.sc.fail.map(|f| f.0),
        }
    }

    fn summary(&self) -> Sample {
        let (places, lines) = self.operator();
        Sample {
            outcome: self.outcome_word(),
            consistent: self.consistent(),
            settled: self.settled,
            wire: self.counts.wire,
            logical: self.counts.logical,
            compensations: self.counts.compensations,
            duplicates: self.counts.duplicates,
            retries: self.counts.retries,
            places,
            lines,
        }
    }
}

impl Simulation for SagaSim {
    fn now(&self) -> f64 {
        self.now / 1000.0
    }

    fn step(&mut self) -> bool {
        self.drop_stale();
        let Some(Scheduled { time, item, .. }) = self.agenda.pop() else {
            return false;
        };
        self.now = time;
        match item {
            Ag::Start => match self.style {
                Style::Orchestration => {
                    self.note(0, || "saga started".into());
                    self.send_cmd(1);
                }
                Style::Choreography => self.chor_start(),
            },
            Ag::Arrive(id) => {
                let m = self.msgs[id as usize];
                if !m.lost {
                    match self.style {
                        Style::Orchestration => {
                            let before = self.counts.duplicates;
                            self.orch_arrive(m);
                            if self.counts.duplicates > before {
                                self.msgs[id as usize].dup = true;
                            }
                        }
                        Style::Choreography => self.chor_arrive(id, m),
                    }
                }
            }
            other => self.timer(other),
        }
        self.drop_stale();
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.agenda.peek().map(|e| e.time / 1000.0)
    }
}

fn done_word(lane: u8) -> &'static str {
    ["order created", "card charged", "stock reserved", "shipped"][lane as usize - 1]
}
fn reject_word(lane: u8) -> &'static str {
    [
        "order rejected",
        "card declined",
        "out of stock",
        "cannot ship",
    ][lane as usize - 1]
}
fn undo_word(lane: u8) -> &'static str {
    [
        "order cancelled",
        "payment refunded",
        "stock released",
        "shipment cancelled",
    ][lane as usize - 1]
}

/// Both styles played together, for the side-by-side live view: each step plays whichever
/// has the earlier next event.
pub struct LivePair {
    /// The simulations, in display order.
    pub sims: Vec<SagaSim>,
}

impl LivePair {
    /// The scripted order of `p` in the style(s) it shows.
    pub fn from_params(p: &Params, seed: u64) -> LivePair {
        LivePair {
            sims: styles_shown(&p.style)
                .into_iter()
                .map(|s| SagaSim::traced(s, p, seed))
                .collect(),
        }
    }
    /// Snapshots of each.
    pub fn snapshot(&self) -> Vec<Snap> {
        self.sims.iter().map(SagaSim::snapshot).collect()
    }
    /// Fail the next step in each; returns the steps chosen.
    pub fn fail_next(&mut self) -> Vec<Option<u8>> {
        self.sims.iter_mut().map(SagaSim::fail_next).collect()
    }
}

impl Simulation for LivePair {
    fn now(&self) -> f64 {
        self.sims.iter().map(|s| s.now()).fold(0.0, f64::max)
    }
    fn step(&mut self) -> bool {
        let next = self
            .sims
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.next_event_time().map(|t| (t, i)))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        match next {
            Some((_, i)) => self.sims[i].step(),
            None => false,
        }
    }
    fn next_event_time(&self) -> Option<f64> {
        self.sims
            .iter()
            .filter_map(|s| s.next_event_time())
            .min_by(|a, b| a.total_cmp(b))
    }
}

fn styles_shown(s: &str) -> Vec<Style> {
    match s {
        "orchestration" => vec![Style::Orchestration],
        "choreography" => vec![Style::Choreography],
        _ => Style::ALL.to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// One order under one style.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The style.
    pub style: Style,
    /// Its messages in sending order (the first [`TRACE_MAX`]).
    pub messages: Vec<MsgRec>,
    /// All messages sent, shown or not.
    pub total_messages: u32,
    /// `completed | aborted | stuck`.
    pub outcome: String,
    /// All committed, or every committed step undone; nothing applied twice.
    pub consistent: bool,
    /// When the last local transaction, compensation or saga-log decision happened, ms.
    pub settled_ms: f64,
    /// Message counts.
    pub counts: Counts,
    /// Each service's final state.
    pub services: Vec<SvcState>,
    /// Steps undone, in the order their compensations applied.
    pub comp_order: Vec<u8>,
    /// Operator: logs to consult for "where is this order?".
    pub places: u32,
    /// Operator: lines to read there.
    pub log_lines: u32,
    /// Lines in the hub's log (saga log, or broker log).
    pub hub_lines: u32,
    /// The log lines themselves, oldest first (first [`LOG_MAX`]).
    pub log: Vec<LogLine>,
}

/// What the live view draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snap {
    /// Simulated time of the last event, ms.
    pub t: f64,
    /// The style.
    pub style: Style,
    /// Messages sent so far, in sending order.
    pub messages: Vec<MsgRec>,
    /// How many have been sent.
    pub sent: u32,
    /// Each service's state now.
    pub services: Vec<SvcState>,
    /// The outcome, once the run is over.
    pub outcome: Option<String>,
    /// Compensations applied so far.
    pub compensations: u32,
    /// A failure was injected while it ran.
    pub poked: bool,
    /// The failing step now, if any.
    pub fail_step: Option<u8>,
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    outcome: &'static str,
    consistent: bool,
    settled: f64,
    wire: u32,
    logical: u32,
    compensations: u32,
    duplicates: u32,
    retries: u32,
    places: u32,
    lines: u32,
}

/// A batch of orders under one style.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchStats {
    /// The style.
    pub style: Style,
    /// Orders run.
    pub orders: u32,
    /// Orders completed.
    pub completed: u32,
    /// Orders aborted with every committed step undone.
    pub aborted: u32,
    /// Orders left inconsistent (should be 0).
    pub stuck: u32,
    /// Share completed.
    pub completion_rate: f64,
    /// Compensations applied over the batch.
    pub compensations: u32,
    /// Time to settle, median, ms.
    pub p50_ms: f64,
    /// Time to settle, 99th percentile, ms.
    pub p99_ms: f64,
    /// Wire messages per order, mean.
    pub wire_per_order: f64,
    /// Logical messages per order, mean.
    pub logical_per_order: f64,
    /// Duplicates absorbed over the batch.
    pub duplicates: u32,
    /// Resends over the batch.
    pub retries: u32,
    /// Operator: logs to consult per order, mean.
    pub places: f64,
    /// Operator: log lines to read per order, mean.
    pub lines: f64,
}

/// Latency and messages with the failure forced at one step, per style.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    /// `none | order | payment | inventory | shipping`.
    pub step: String,
    /// The style.
    pub style: Style,
    /// Time to settle, median, ms.
    pub p50_ms: f64,
    /// Time to settle, 99th percentile, ms.
    pub p99_ms: f64,
    /// Wire messages per order, mean.
    pub wire: f64,
    /// Logical messages per order, mean.
    pub logical: f64,
}

/// Failure-free, jitter-free, loss-free figures from the formulas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Theory {
    /// Orchestration messages (commands + replies): 8.
    pub orch_messages: u32,
    /// Choreography events: 4.
    pub chor_events: u32,
    /// Choreography wire messages (publish, ack, delivery, ack per event): 16.
    pub chor_wire: u32,
    /// Orchestration latency, `8d`, ms.
    pub orch_ms: f64,
    /// Choreography latency, `4(2d + b)`, ms.
    pub chor_ms: f64,
    /// Orchestration with the scripted failure at step k: `(4k − 2)d`, ms (business).
    pub orch_fail_ms: Option<f64>,
    /// Choreography with the scripted failure at step k: `k(2d + b)`, ms (business, k ≥ 2).
    pub chor_fail_ms: Option<f64>,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Which style(s) the trace shows.
    pub style: String,
    /// The scripted order, per style shown.
    pub runs: Vec<Trace>,
    /// The batch, per style (empty with 0 orders).
    pub batch: Vec<BatchStats>,
    /// Per failure step and style.
    pub by_step: Vec<StepStats>,
    /// The formulas.
    pub theory: Theory,
    /// Plain-language notes on this run.
    pub notes: Vec<String>,
}

impl Report {
    /// The trace of `style`, if shown.
    pub fn run(&self, style: Style) -> Option<&Trace> {
        self.runs.iter().find(|t| t.style == style)
    }
    /// The batch of `style`, if run.
    pub fn batch_of(&self, style: Style) -> Option<&BatchStats> {
        self.batch.iter().find(|b| b.style == style)
    }
}

fn run_one(style: Style, sc: &Scenario, seed: u64) -> Sample {
    let mut s = SagaSim::new(style, sc, seed);
    s.run_to_end();
    s.summary()
}

fn quantiles(v: &mut [f64]) -> (f64, f64) {
    v.sort_unstable_by(f64::total_cmp);
    if v.is_empty() {
        (0.0, 0.0)
    } else {
        (r2(quantile_sorted(v, 0.5)), r2(quantile_sorted(v, 0.99)))
    }
}

fn batch_stats(style: Style, xs: &[Sample]) -> BatchStats {
    let n = xs.len().max(1) as f64;
    let count = |w: &str| xs.iter().filter(|x| x.outcome == w).count() as u32;
    let mut lat: Vec<f64> = xs.iter().map(|x| x.settled).collect();
    let (p50, p99) = quantiles(&mut lat);
    let mean = |f: fn(&Sample) -> u32| r2(xs.iter().map(|x| f64::from(f(x))).sum::<f64>() / n);
    BatchStats {
        style,
        orders: xs.len() as u32,
        completed: count("completed"),
        aborted: count("aborted"),
        stuck: xs.iter().filter(|x| !x.consistent).count() as u32,
        completion_rate: f64::from(count("completed")) / n,
        compensations: xs.iter().map(|x| x.compensations).sum(),
        p50_ms: p50,
        p99_ms: p99,
        wire_per_order: mean(|x| x.wire),
        logical_per_order: mean(|x| x.logical),
        duplicates: xs.iter().map(|x| x.duplicates).sum(),
        retries: xs.iter().map(|x| x.retries).sum(),
        places: mean(|x| x.places),
        lines: mean(|x| x.lines),
    }
}

impl Model for Saga {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(p: &Params, seed: u64) -> Report {
        let sc = Scenario::from_params(p);
        let runs: Vec<Trace> = styles_shown(&p.style)
            .into_iter()
            .map(|st| {
                let mut s = SagaSim::traced(st, p, seed);
                s.run_to_end();
                s.trace()
            })
            .collect();
        // the batch: random failures per step, the same orders and network under both styles
        let probs = [p.p_order, p.p_payment, p.p_inventory, p.p_shipping]
            .map(|x| clampf(x, 0.0, 100.0) / 100.0);
        let kind = sc.fail.map(|f| f.1).unwrap_or(if p.fail_kind == "timeout" {
            FailKind::Timeout
        } else {
            FailKind::Business
        });
        let mut rng = Rng::derive(seed, "batch");
        let mut outs: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..p.orders.min(ORDERS_MAX) {
            let oseed = rng.next_u64();
            let fail = (1..=STEPS)
                .find(|&s| rng.chance(probs[s as usize - 1]))
                .map(|s| (s, kind));
            let osc = Scenario { fail, ..sc };
            for st in Style::ALL {
                outs[st.index()].push(run_one(st, &osc, oseed));
            }
        }
        let batch = if p.orders == 0 {
            Vec::new()
        } else {
            Style::ALL
                .iter()
                .map(|&st| batch_stats(st, &outs[st.index()]))
                .collect()
        };
        // per failure step: SWEEP_N orders each, failure forced there
        let mut by_step = Vec::new();
        let mut srng = Rng::derive(seed, "sweep");
        for (i, (name, _)) in FAIL_STEPS.iter().enumerate() {
            let osc = Scenario {
                fail: (i > 0).then_some((i as u8, kind)),
                ..sc
            };
            let seeds: Vec<u64> = (0..SWEEP_N).map(|_| srng.next_u64()).collect();
            for st in Style::ALL {
                let xs: Vec<Sample> = seeds.iter().map(|&s| run_one(st, &osc, s)).collect();
                let b = batch_stats(st, &xs);
                by_step.push(StepStats {
                    step: (*name).into(),
                    style: st,
                    p50_ms: b.p50_ms,
                    p99_ms: b.p99_ms,
                    wire: b.wire_per_order,
                    logical: b.logical_per_order,
                });
            }
        }
        let d = sc.latency;
        let b = sc.broker;
        let k = sc
            .fail
            .filter(|f| f.1 == FailKind::Business)
            .map(|f| f64::from(f.0));
        let theory = Theory {
            orch_messages: 8,
            chor_events: 4,
            chor_wire: 16,
            orch_ms: r2(8.0 * d),
            chor_ms: r2(4.0 * (2.0 * d + b)),
            orch_fail_ms: k.map(|k| r2((4.0 * k - 2.0) * d)),
            chor_fail_ms: k.filter(|&k| k >= 2.0).map(|k| r2(k * (2.0 * d + b))),
        };
        let notes = notes(&sc, &runs, &batch);
        Report {
            style: p.style.clone(),
            runs,
            batch,
            by_step,
            theory,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let mut v = Vec::new();
        for t in &r.runs {
            let (a, b) = match t.style {
                Style::Orchestration => ("orch_settled_ms", "orch_wire"),
                Style::Choreography => ("chor_settled_ms", "chor_wire"),
            };
            v.push((a, t.settled_ms));
            v.push((b, f64::from(t.counts.wire)));
        }
        for b in &r.batch {
            let (a, c) = match b.style {
                Style::Orchestration => ("orch_batch_p99_ms", "orch_completion"),
                Style::Choreography => ("chor_batch_p99_ms", "chor_completion"),
            };
            v.push((a, b.p99_ms));
            v.push((c, b.completion_rate));
        }
        v
    }
}

fn notes(sc: &Scenario, runs: &[Trace], batch: &[BatchStats]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((1, FailKind::Timeout)) = sc.fail {
        out.push("The order service itself hangs: under choreography nothing starts (the client's request simply times out); the coordinator retries, gives up and leaves a tombstone.".into());
    }
    if matches!(sc.fail, Some((k, FailKind::Timeout)) if k > 1) {
        if let Some(c) = runs.iter().find(|t| t.style == Style::Choreography) {
            out.push(format!(
                "Choreography: nobody waits for the hung service's answer; the broker dead-letters its event and the order sits half-done until the order service's deadline ({:.0} ms) cancels it — settled after {:.0} ms.",
                sc.deadline, c.settled_ms
            ));
        }
    }
    for t in runs {
        if !t.consistent {
            out.push(format!(
                "{:?}: the order ended inconsistent ({}).",
                t.style, t.outcome
            ));
        }
    }
    let stuck: u32 = batch.iter().map(|b| b.stuck).sum();
    if stuck > 0 {
        out.push(format!("{stuck} batch orders ended inconsistent (a compensation never got through in {COMP_CAP} tries)."));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::validate;
    use proptest::prelude::*;

    fn quiet(fail: Option<(u8, FailKind)>) -> Scenario {
        Scenario {
            fail,
            latency: 10.0,
            jitter: 0.0,
            broker: 4.0,
            loss: 0.0,
            timeout: 100.0,
            retries: 2,
            deadline: 1000.0,
        }
    }

    fn play(style: Style, sc: &Scenario, seed: u64) -> SagaSim {
        let mut s = SagaSim::new(style, sc, seed);
        s.keep_log = true;
        s.run_to_end();
        s
    }

    #[test]
    fn happy_path_counts_and_latency_match_the_formulas() {
        let sc = quiet(None);
        let o = play(Style::Orchestration, &sc, 1);
        assert_eq!(o.outcome_word(), "completed");
        assert_eq!(
            (
                o.counts.commands,
                o.counts.replies,
                o.counts.wire,
                o.counts.logical
            ),
            (4, 4, 8, 8)
        );
        assert_eq!(o.settled, 8.0 * 10.0);
        let c = play(Style::Choreography, &sc, 1);
        assert_eq!(c.outcome_word(), "completed");
        assert_eq!(c.counts.events, 4);
        assert_eq!(c.counts.logical, 4);
        // each event: publish, broker ack, delivery, consumer ack
        assert_eq!(
            (
                c.counts.publishes,
                c.counts.deliveries,
                c.counts.acks,
                c.counts.wire
            ),
            (4, 4, 8, 16)
        );
        assert!(
            (c.settled - 4.0 * (2.0 * 10.0 + 4.0)).abs() < 1e-9,
            "{}",
            c.settled
        );
        assert_eq!(c.counts.compensations + o.counts.compensations, 0);
    }

    #[test]
    fn business_failure_at_k_undoes_exactly_the_k_minus_1_done_steps_in_reverse() {
        for k in 1..=STEPS {
            let sc = quiet(Some((k, FailKind::Business)));
            let o = play(Style::Orchestration, &sc, 3);
            assert_eq!(o.outcome_word(), "aborted", "k = {k}");
            let want: Vec<u8> = (1..k).rev().collect();
            assert_eq!(o.comp_order, want, "reverse order, k = {k}");
            assert_eq!(o.counts.compensations, u32::from(k - 1));
            let kk = u32::from(k);
            assert_eq!(o.counts.wire, 2 * kk + 2 * (kk - 1));
            assert!((o.settled - (4.0 * f64::from(k) - 2.0) * 10.0).abs() < 1e-9);
            let c = play(Style::Choreography, &sc, 3);
            assert_eq!(c.outcome_word(), "aborted", "k = {k}");
            assert_eq!(c.counts.compensations, kk - 1);
            let mut got = c.comp_order.clone();
            got.sort_unstable();
            assert_eq!(got, (1..k).collect::<Vec<u8>>());
            if k >= 2 {
                // k − 1 done events and one failure event
                assert_eq!(c.counts.events, kk);
                assert!(
                    (c.settled - f64::from(k) * 24.0).abs() < 1e-9,
                    "{}",
                    c.settled
                );
            } else {
                assert_eq!(c.counts.wire, 0);
            }
            assert!(o.consistent() && c.consistent());
        }
    }

    #[test]
    fn shipping_failure_triggers_three_compensations() {
        let sc = quiet(Some((4, FailKind::Business)));
        let o = play(Style::Orchestration, &sc, 5);
        assert_eq!(o.comp_order, vec![3, 2, 1]);
        let c = play(Style::Choreography, &sc, 5);
        assert_eq!(c.counts.compensations, 3);
        // the failure event fans out to all three: 3 deliveries of ShippingFailed
        let fanout = c
            .msgs
            .iter()
            .filter(|m| {
                m.kind == MsgKind::Deliver && c.events[m.ev as usize].ev == Event::Failed(4)
            })
            .count();
        assert_eq!(fanout, 3);
    }

    #[test]
    fn a_timeout_is_retried_then_given_up_and_the_unknown_step_voided() {
        let sc = quiet(Some((3, FailKind::Timeout)));
        let o = play(Style::Orchestration, &sc, 7);
        assert_eq!(o.outcome_word(), "aborted");
        // 1 + retries commands to the hung service
        let to3 = o
            .msgs
            .iter()
            .filter(|m| m.kind == MsgKind::Command && m.to == 3)
            .count();
        assert_eq!(to3, 3);
        assert_eq!(o.comp_order, vec![2, 1]);
        assert_eq!(o.svc_state(3).state, "voided");
        // choreography: dead letter, then the deadline cancels
        let c = play(Style::Choreography, &sc, 7);
        assert_eq!(c.outcome_word(), "aborted");
        assert_eq!(c.counts.dead_letters, 1);
        assert!(c.settled >= sc.deadline);
        assert_eq!(c.counts.compensations, 2);
    }

    #[test]
    fn operator_needs_one_log_in_orchestration_and_several_in_choreography() {
        let sc = quiet(Some((3, FailKind::Business)));
        let o = play(Style::Orchestration, &sc, 1);
        let c = play(Style::Choreography, &sc, 1);
        assert_eq!(o.operator().0, 1);
        let (places, lines) = c.operator();
        assert_eq!(places, 4, "broker, order, payment, inventory");
        assert!(lines >= 6);
    }

    #[test]
    fn duplicates_are_absorbed_not_applied() {
        // a timeout shorter than the round trip forces resends that arrive as duplicates
        let sc = Scenario {
            timeout: 15.0,
            ..quiet(None)
        };
        for st in Style::ALL {
            let s = play(st, &sc, 2);
            assert!(s.counts.duplicates > 0, "{st:?}");
            assert!(s.consistent(), "{st:?}");
            assert!((1..=STEPS).all(|l| s.svcs[l as usize].applied <= 1));
        }
    }

    #[test]
    fn failing_the_next_step_live_compensates_what_ran() {
        let p = Params {
            fail_step: "none".into(),
            jitter_pct: 0.0,
            ..Params::default()
        };
        let mut s = SagaSim::traced(Style::Orchestration, &p, 1);
        s.advance_to(0.07); // steps 1 and 2 applied (at 20 and 60 ms: 20 ms hops)
        assert_eq!(s.fail_next(), Some(3));
        s.run_to_end();
        assert_eq!(s.outcome_word(), "aborted");
        assert_eq!(s.comp_order, vec![2, 1]);
        assert!(s.snapshot().poked);
    }

    #[test]
    fn default_report_is_consistent_small_and_deterministic() {
        let p = Params::default();
        let a = Saga::run(&p, 1);
        let b = Saga::run(&p, 1);
        assert_eq!(a, b);
        assert!(a
            .runs
            .iter()
            .all(|t| t.consistent && t.outcome == "aborted"));
        assert_eq!(a.batch.len(), 2);
        assert!(a.batch.iter().all(|b| b.stuck == 0));
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert!(json.len() < 24_000, "{} bytes", json.len());
        // same orders, same failures: both styles complete the same share
        assert_eq!(a.batch[0].completed, a.batch[1].completed);
        assert_eq!(a.by_step.len(), 10);
    }

    #[test]
    fn garbage_params_are_clamped() {
        let (p, n) = crate::params::from_pairs::<Params>(
            &[
                ("loss_pct".into(), "90".into()),
                ("style".into(), "zzz".into()),
                ("retries".into(), "-3".into()),
            ],
            &[],
        );
        assert_eq!(p.loss_pct, 50.0);
        assert_eq!(p.style, "both");
        assert_eq!(p.retries, 0);
        assert_eq!(n.len(), 3);
        let _ = Saga::run(&p, 9);
    }

    #[test]
    fn max_knobs_stay_bounded() {
        let p = Params {
            loss_pct: 50.0,
            retries: 5,
            timeout_ms: 10.0,
            latency_ms: 200.0,
            jitter_pct: 90.0,
            orders: ORDERS_MAX,
            fail_kind: "timeout".into(),
            ..Params::default()
        };
        let r = Saga::run(&p, 4);
        assert!(r.runs.iter().all(|t| t.messages.len() <= TRACE_MAX));
        assert!(r.batch.iter().all(|b| b.stuck == 0), "{:?}", r.batch);
    }

    fn arb_scenario() -> impl Strategy<Value = Scenario> {
        (
            0u8..=4,
            any::<bool>(),
            1.0f64..100.0,
            0.0f64..0.9,
            0.0f64..50.0,
            0.0f64..0.5,
            10.0f64..300.0,
            0u8..=5,
            100.0f64..3000.0,
        )
            .prop_map(
                |(f, to, latency, jitter, broker, loss, timeout, retries, deadline)| Scenario {
                    fail: (f > 0).then_some((
                        f,
                        if to {
                            FailKind::Timeout
                        } else {
                            FailKind::Business
                        },
                    )),
                    latency,
                    jitter,
                    broker,
                    loss,
                    timeout,
                    retries,
                    deadline,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any failure, kind, loss and seed: all four committed, or every committed step
        /// compensated; nothing applied or undone twice; orchestration undoes in reverse.
        #[test]
        fn every_order_ends_consistent(sc in arb_scenario(), seed in 0u64..1_000_000) {
            for st in Style::ALL {
                let s = play(st, &sc, seed);
                prop_assert!(s.consistent(), "{:?} {:?}: {} {:?}", st, sc, s.outcome_word(), s.log);
                for l in 1..=STEPS {
                    prop_assert!(s.svcs[l as usize].applied <= 1);
                    prop_assert!(s.svcs[l as usize].compensated <= 1);
                }
                // no money without stock and shipment, no stock for a cancelled order
                let committed = |l: usize| s.svcs[l].fwd == Some(true) && s.svcs[l].compensated == 0;
                if committed(2) { prop_assert!(committed(3) && committed(4)); }
                if committed(3) { prop_assert!(committed(1)); }
                if st == Style::Orchestration {
                    prop_assert!(s.comp_order.windows(2).all(|w| w[0] > w[1]), "{:?}", s.comp_order);
                }
                if sc.fail.is_some() && sc.loss == 0.0 {
                    prop_assert_eq!(s.outcome_word(), "aborted");
                }
            }
        }

        /// Validation clamps anything into range, and the run never panics.
        #[test]
        fn any_params_run(loss in -10.0f64..200.0, lat in -5.0f64..1000.0, r in 0u32..50, fs in 0usize..5, st in 0usize..3) {
            let p = Params {
                loss_pct: loss, latency_ms: lat, retries: r, orders: 10,
                fail_step: FAIL_STEPS[fs].0.into(), style: STYLES[st].0.into(), ..Params::default()
            };
            let (p, _) = validate(p);
            let rep = Saga::run(&p, 3);
            prop_assert!(rep.runs.iter().all(|t| t.consistent));
        }
    }
}
