//! # Two-phase commit (book page 27): a coordinator crash after prepare, and who blocks
//!
//! The book lists two-phase commit (2PC) as a *blocking* protocol with a coordinator
//! bottleneck. This model plays one distributed transaction as a seeded discrete-event
//! simulation, twice on the same failure schedule:
//!
//! - **2PC** (Gray 1978; Bernstein, Hadzilacos & Goodman 1987, ch. 7): the coordinator sends
//!   *prepare*; each participant logs its vote and answers *yes* or *no* (a *no* aborts it at
//!   once); on all *yes* the coordinator logs *commit*, otherwise *abort*, tells everyone and
//!   collects acknowledgements. A participant that voted *yes* is **prepared**: it holds its
//!   locks and may not decide alone. If the coordinator is down it can only ask again and wait
//!   — it is blocked until the coordinator recovers (which then resends its logged decision, or
//!   aborts if it logged none: presumed abort). A participant that never saw *prepare* aborts
//!   on its own after a timeout.
//! - **Paxos Commit** (Gray & Lamport, *Consensus on Transaction Commit*, ACM TODS 2006): each
//!   participant's vote is a separate single-decree Paxos instance over `2F+1` acceptors. The
//!   participant itself proposes its vote at ballot 0 (phase 2a straight to the acceptors); the
//!   acceptors report to the coordinator (phase 2b), which commits once a majority `F+1` has
//!   accepted *prepared* for every instance. If the decision does not come, *any* node (a
//!   prepared participant, or the coordinator after a restart) becomes a recovery proposer:
//!   phase 1 with a higher ballot over all instances, then phase 2 with the value already
//!   accepted at the highest ballot, or *aborted* where none was — so it finishes the
//!   transaction without the coordinator, as long as at most `F` acceptors are down.
//!   With `F = 0` and the acceptor on the coordinator's machine this is 2PC (the paper's point).
//!
//! Failure-free, with one-way latency `d`: 2PC decides at every participant after `3d`
//! (prepare, vote, decision) with `4N` messages counting the acknowledgements (two round
//! trips); Paxos Commit needs one more message delay (`4d`: prepare, 2a, 2b, decision — the
//! paper's 5 against 4 counting the request that starts the commit) and
//! `N + 2N(2F+1) + 2N = N(4F+5)` messages here (every 2a to every acceptor, every 2b to the
//! coordinator, unbundled).
//!
//! Faults: a scripted coordinator crash (before prepare, after prepare, mid-decision) with a
//! recovery time or none, a participant crash before or after its vote, acceptors down from
//! the start, random *no* votes, message latency, jitter and drops. The step-able
//! [`CommitSim`] also takes faults while it runs ([`CommitSim::crash`],
//! [`CommitSim::restart`], [`CommitSim::set_link`]), scheduled as events so stepping stays
//! deterministic. A batch of transactions with random coordinator crash points gives the
//! distributions of blocking time and latency for both protocols.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::two_phase_commit::{Params, TwoPhaseCommit};
//! let r = TwoPhaseCommit::run(&Params { batch: 20, ..Params::default() }, 1);
//! assert!(r.runs.iter().all(|o| o.atomic && o.valid));
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// The two-phase-commit model: 2PC against Paxos Commit on the same failure schedule.
pub struct TwoPhaseCommit;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

const N_MIN: u32 = 2;
const N_MAX: u32 = 5;
const F_MAX: u32 = 2;
const DOWN_MAX: f64 = 10_000.0;
const LAT_MIN: f64 = 1.0;
const LAT_MAX: f64 = 500.0;
const TIMEOUT_MIN: f64 = 10.0;
const TIMEOUT_MAX: f64 = 2_000.0;
const HORIZON_MIN: f64 = 500.0;
const HORIZON_MAX: f64 = 20_000.0;
const BATCH_MAX: u32 = 2_000;
const CDF_POINTS: usize = 101;

static PROTOCOLS: &[(&str, &str)] = &[("2pc", "Two-phase commit"), ("paxos", "Paxos Commit")];
static CRASHES: &[(&str, &str)] = &[
    ("none", "No crash"),
    ("before_prepare", "Before prepare"),
    ("after_prepare", "After prepare, before the decision"),
    ("mid_decision", "Mid-decision (some told)"),
];
static CUTS: &[(&str, &str)] = &[
    ("none", "None"),
    ("c_to_p1", "C → P1 (one way)"),
    ("p1_to_c", "P1 → C (one way)"),
    ("p1_isolated", "P1 cut off from all"),
];
static PART_CRASHES: &[(&str, &str)] = &[
    ("none", "No crash"),
    ("before_vote", "Before its vote"),
    ("after_vote", "Right after its vote"),
];

/// The knobs. Defaults: three participants, the coordinator crashes after sending prepare and
/// comes back after one second; Paxos Commit with `F = 1` (three acceptors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Protocol played live and headlined: `2pc` or `paxos` (both are always measured).
    pub protocol: String,
    /// Participants (resource managers) in the transaction, 2–5.
    pub participants: u32,
    /// Acceptor failures Paxos Commit tolerates, `F`; it runs `2F+1` acceptors.
    pub f: u32,
    /// When the coordinator crashes: `none`, `before_prepare`, `after_prepare`, `mid_decision`.
    pub crash: String,
    /// How long the crashed coordinator stays down, in ms; 0 means it never comes back.
    pub coord_down_ms: f64,
    /// Participant P1 crashes: `none`, `before_vote`, `after_vote`.
    pub part_crash: String,
    /// How long the crashed participant stays down, in ms; 0 means it never comes back.
    pub part_down_ms: f64,
    /// Acceptors down from the start, for good (Paxos Commit only).
    pub acceptors_down: u32,
    /// Links cut for the whole run: `none`, `c_to_p1`, `p1_to_c` (one way), `p1_isolated`.
    pub partition: String,
    /// Chance that each participant votes no, in percent.
    pub p_no: f64,
    /// One-way message latency (minimum), in ms.
    pub latency_ms: f64,
    /// Extra random latency per message, uniform in `0..jitter`, in ms.
    pub jitter_ms: f64,
    /// Chance that each message is lost, in percent.
    pub drop_pct: f64,
    /// Timeout before a node acts on silence (abort, ask again, or start recovery), in ms.
    pub timeout_ms: f64,
    /// Simulated time after which a transaction still undecided counts as blocked, in ms.
    pub horizon_ms: f64,
    /// Transactions in the batch (each with a random coordinator crash point).
    pub batch: u32,
    /// Chance that the coordinator crashes in a batch transaction, in percent.
    pub crash_pct: f64,
    /// Threshold X for "blocked longer than X", in ms.
    pub block_x_ms: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            protocol: "2pc".into(),
            participants: 3,
            f: 1,
            crash: "after_prepare".into(),
            coord_down_ms: 1000.0,
            part_crash: "none".into(),
            part_down_ms: 300.0,
            acceptors_down: 0,
            partition: "none".into(),
            p_no: 0.0,
            latency_ms: 10.0,
            jitter_ms: 5.0,
            drop_pct: 0.0,
            timeout_ms: 100.0,
            horizon_ms: 3000.0,
            batch: 200,
            crash_pct: 30.0,
            block_x_ms: 200.0,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "protocol",
        label: "Protocol shown",
        unit: "",
        help: "Which protocol plays live and leads the numbers; both always run on the same failure schedule.",
        kind: KnobKind::Choice { options: PROTOCOLS },
    },
    Knob {
        key: "participants",
        label: "Participants",
        unit: "",
        help: "Resource managers that must all commit or all abort.",
        kind: KnobKind::Int { min: N_MIN as i64, max: N_MAX as i64, log: false },
    },
    Knob {
        key: "f",
        label: "Acceptor faults tolerated F",
        unit: "",
        help: "Paxos Commit runs 2F+1 acceptors and decides while at most F are down.",
        kind: KnobKind::Int { min: 0, max: F_MAX as i64, log: false },
    },
    Knob {
        key: "crash",
        label: "Coordinator crash",
        unit: "",
        help: "When the coordinator crashes: before sending prepare, after sending it, or after telling only some participants the decision.",
        kind: KnobKind::Choice { options: CRASHES },
    },
    Knob {
        key: "coord_down_ms",
        label: "Coordinator down for (0 = never back)",
        unit: "ms",
        help: "Time until the crashed coordinator restarts and reads its log; 0 means it never comes back.",
        kind: KnobKind::Float { min: 0.0, max: DOWN_MAX, step: 10.0, log: false },
    },
    Knob {
        key: "part_crash",
        label: "Participant P1 crash",
        unit: "",
        help: "Participant P1 crashes before it votes or right after sending its vote.",
        kind: KnobKind::Choice { options: PART_CRASHES },
    },
    Knob {
        key: "part_down_ms",
        label: "P1 down for (0 = never back)",
        unit: "ms",
        help: "Time until P1 restarts and reads its log; 0 means it never comes back.",
        kind: KnobKind::Float { min: 0.0, max: DOWN_MAX, step: 10.0, log: false },
    },
    Knob {
        key: "acceptors_down",
        label: "Acceptors down",
        unit: "",
        help: "Acceptors crashed from the start (Paxos Commit); more than F down and it blocks too.",
        kind: KnobKind::Int { min: 0, max: (2 * F_MAX + 1) as i64, log: false },
    },
    Knob {
        key: "partition",
        label: "Partition",
        unit: "",
        help: "Links cut for the whole run: one way between the coordinator and P1, or P1 cut off from every node.",
        kind: KnobKind::Choice { options: CUTS },
    },
    Knob {
        key: "p_no",
        label: "Chance of a no vote",
        unit: "%",
        help: "Each participant votes no (and aborts) with this probability.",
        kind: KnobKind::Float { min: 0.0, max: 100.0, step: 1.0, log: false },
    },
    Knob {
        key: "latency_ms",
        label: "Message latency",
        unit: "ms",
        help: "Minimum one-way delay of every message.",
        kind: KnobKind::Float { min: LAT_MIN, max: LAT_MAX, step: 1.0, log: true },
    },
    Knob {
        key: "jitter_ms",
        label: "Latency jitter",
        unit: "ms",
        help: "Each message takes an extra delay drawn uniformly between 0 and this.",
        kind: KnobKind::Float { min: 0.0, max: LAT_MAX, step: 1.0, log: false },
    },
    Knob {
        key: "drop_pct",
        label: "Message loss",
        unit: "%",
        help: "Each message is lost with this probability; timeouts and retries must cover for it.",
        kind: KnobKind::Float { min: 0.0, max: 50.0, step: 1.0, log: false },
    },
    Knob {
        key: "timeout_ms",
        label: "Timeout",
        unit: "ms",
        help: "Silence after which a node acts: abort before voting, ask again, or start Paxos recovery. Retries back off ×2, up to 1 s.",
        kind: KnobKind::Float { min: TIMEOUT_MIN, max: TIMEOUT_MAX, step: 10.0, log: true },
    },
    Knob {
        key: "horizon_ms",
        label: "Watch for",
        unit: "ms",
        help: "A transaction not decided by then counts as blocked for the whole window.",
        kind: KnobKind::Float { min: HORIZON_MIN, max: HORIZON_MAX, step: 100.0, log: true },
    },
    Knob {
        key: "batch",
        label: "Batch of transactions",
        unit: "",
        help: "Transactions run under both protocols, the coordinator crashing at a random point in some.",
        kind: KnobKind::Int { min: 0, max: BATCH_MAX as i64, log: false },
    },
    Knob {
        key: "crash_pct",
        label: "Batch: coordinator crash chance",
        unit: "%",
        help: "Chance that a batch transaction's coordinator crashes, at one of the three points, equally likely.",
        kind: KnobKind::Float { min: 0.0, max: 100.0, step: 1.0, log: false },
    },
    Knob {
        key: "block_x_ms",
        label: "Blocked longer than X",
        unit: "ms",
        help: "The batch reports the share of transactions with a participant prepared and undecided for longer than this.",
        kind: KnobKind::Float { min: 1.0, max: HORIZON_MAX, step: 10.0, log: true },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// Unknown choice names fall back to the default; at most `2F+1` acceptors can be down.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        let d = Params::default();
        let fix =
            |v: &mut String, opts: &[(&str, &str)], def: &str, key: &str, n: &mut Vec<Notice>| {
                if !opts.iter().any(|(o, _)| o == v) {
                    n.push(Notice::new(
                        key,
                        format!("unknown value “{v}”; using “{def}”"),
                    ));
                    *v = def.to_string();
                }
            };
        fix(
            &mut self.protocol,
            PROTOCOLS,
            &d.protocol,
            "protocol",
            notices,
        );
        fix(&mut self.crash, CRASHES, &d.crash, "crash", notices);
        fix(
            &mut self.partition,
            CUTS,
            &d.partition,
            "partition",
            notices,
        );
        fix(
            &mut self.part_crash,
            PART_CRASHES,
            &d.part_crash,
            "part_crash",
            notices,
        );
        let acc = 2 * self.f.min(F_MAX) + 1;
        if self.acceptors_down > acc {
            notices.push(Notice::new(
                "acceptors_down",
                format!("only {acc} acceptors with F = {}; {acc} down", self.f),
            ));
            self.acceptors_down = acc;
        }
    }
}

/// Which protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// Two-phase commit.
    TwoPc,
    /// Paxos Commit (Gray & Lamport 2006).
    Paxos,
}

impl Protocol {
    /// Both, in report order.
    pub const ALL: [Protocol; 2] = [Protocol::TwoPc, Protocol::Paxos];

    /// The knob value.
    pub fn key(self) -> &'static str {
        match self {
            Protocol::TwoPc => "2pc",
            Protocol::Paxos => "paxos",
        }
    }

    /// From a knob value (unknown → 2PC).
    pub fn parse(s: &str) -> Protocol {
        if s == "paxos" {
            Protocol::Paxos
        } else {
            Protocol::TwoPc
        }
    }
}

/// Where the coordinator crashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// It does not.
    None,
    /// At the start, before sending prepare.
    BeforePrepare,
    /// Right after sending prepare to everyone.
    AfterPrepare,
    /// After sending the decision to the first ⌊N/2⌋ participants (at least one).
    MidDecision,
}

impl CrashPoint {
    fn parse(s: &str) -> CrashPoint {
        match s {
            "before_prepare" => CrashPoint::BeforePrepare,
            "after_prepare" => CrashPoint::AfterPrepare,
            "mid_decision" => CrashPoint::MidDecision,
            _ => CrashPoint::None,
        }
    }
}

/// When participant P1 crashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartCrash {
    /// It does not.
    None,
    /// At the start, before prepare reaches it.
    BeforeVote,
    /// Right after it sends its vote.
    AfterVote,
}

impl PartCrash {
    fn parse(s: &str) -> PartCrash {
        match s {
            "before_vote" => PartCrash::BeforeVote,
            "after_vote" => PartCrash::AfterVote,
            _ => PartCrash::None,
        }
    }
}

fn clampf(x: f64, lo: f64, hi: f64, def: f64) -> f64 {
    if x.is_nan() {
        def
    } else {
        x.clamp(lo, hi)
    }
}

/// One transaction's failure schedule and network, shared by both protocols.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Participants.
    pub n: u32,
    /// Acceptor faults tolerated (2F+1 acceptors).
    pub f: u32,
    /// Each participant's vote (`true` = yes).
    pub votes: Vec<bool>,
    /// Coordinator crash point.
    pub crash: CrashPoint,
    /// Coordinator downtime in ms (`None`: for good).
    pub coord_down: Option<f64>,
    /// Participant P1's crash.
    pub part_crash: PartCrash,
    /// P1's downtime in ms (`None`: for good).
    pub part_down: Option<f64>,
    /// Acceptors down from the start.
    pub acceptors_down: u32,
    /// Which links to P1 are cut: `(coordinator → P1, P1 → coordinator, P1 ↔ everyone)`.
    pub cut: (bool, bool, bool),
    /// Minimum one-way latency, ms.
    pub latency: f64,
    /// Uniform extra latency, ms.
    pub jitter: f64,
    /// Loss probability (fraction).
    pub drop: f64,
    /// Timeout, ms.
    pub timeout: f64,
    /// End of the watch, ms.
    pub horizon: f64,
}

impl Scenario {
    /// The scripted scenario of the knobs, with votes drawn from `rng`.
    pub fn from_params(p: &Params, rng: &mut Rng) -> Scenario {
        let d = Params::default();
        let n = p.participants.clamp(N_MIN, N_MAX);
        let f = p.f.min(F_MAX);
        let p_no = clampf(p.p_no, 0.0, 100.0, 0.0) / 100.0;
        let down = |x: f64, def: f64| {
            let x = clampf(x, 0.0, DOWN_MAX, def);
            (x > 0.0).then_some(x)
        };
        Scenario {
            n,
            f,
            votes: (0..n).map(|_| !rng.chance(p_no)).collect(),
            crash: CrashPoint::parse(&p.crash),
            coord_down: down(p.coord_down_ms, d.coord_down_ms),
            part_crash: PartCrash::parse(&p.part_crash),
            part_down: down(p.part_down_ms, d.part_down_ms),
            acceptors_down: p.acceptors_down.min(2 * f + 1),
            cut: match p.partition.as_str() {
                "c_to_p1" => (true, false, false),
                "p1_to_c" => (false, true, false),
                "p1_isolated" => (true, true, true),
                _ => (false, false, false),
            },
            latency: clampf(p.latency_ms, LAT_MIN, LAT_MAX, d.latency_ms),
            jitter: clampf(p.jitter_ms, 0.0, LAT_MAX, d.jitter_ms),
            drop: clampf(p.drop_pct, 0.0, 50.0, 0.0) / 100.0,
            timeout: clampf(p.timeout_ms, TIMEOUT_MIN, TIMEOUT_MAX, d.timeout_ms),
            horizon: clampf(p.horizon_ms, HORIZON_MIN, HORIZON_MAX, d.horizon_ms),
        }
    }

    /// Acceptors: `2F+1`.
    pub fn acceptors(&self) -> u32 {
        2 * self.f + 1
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// Log a line for the live view (formatting only when the log is kept: batches skip it).
macro_rules! note {
    ($s:expr, $($t:tt)*) => {
        if $s.keep_log {
            let line = format!($($t)*);
            $s.note(line);
        }
    };
}

/// Node id of the coordinator; participants are `1..=N`, acceptors `N+1..=N+2F+1`.
pub const COORD: u8 = 0;

/// A message body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Coordinator → participant: prepare to commit.
    Prepare,
    /// Participant → coordinator (2PC): the vote.
    Vote(bool),
    /// The outcome (`true` = commit).
    Decision(bool),
    /// Participant → coordinator: decision received.
    Ack,
    /// Participant → coordinator (2PC): "what was decided?"
    DecisionReq,
    /// Recovery proposer → acceptor: Paxos phase 1a.
    P1a(u32),
    /// Acceptor → proposer: phase 1b promise, with what it accepted per instance.
    P1b(u32, Vec<Option<(u32, bool)>>),
    /// Proposer → acceptor: phase 2a, `(instance, prepared?)` values at a ballot.
    P2a(u32, Vec<(u8, bool)>),
    /// Acceptor → learner: phase 2b, the values it accepted at a ballot.
    P2b(u32, Vec<(u8, bool)>),
}

impl Body {
    /// Short label for drawing.
    pub fn label(&self) -> &'static str {
        match self {
            Body::Prepare => "prepare",
            Body::Vote(true) => "yes",
            Body::Vote(false) => "no",
            Body::Decision(true) => "commit",
            Body::Decision(false) => "abort",
            Body::Ack => "ack",
            Body::DecisionReq => "outcome?",
            Body::P1a(_) => "1a",
            Body::P1b(..) => "1b",
            Body::P2a(..) => "2a",
            Body::P2b(..) => "2b",
        }
    }
}

#[derive(Clone, Debug)]
struct Msg {
    id: u32,
    from: u8,
    to: u8,
    body: Body,
    sent: f64,
    arrive: f64,
    lost: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerKind {
    /// Coordinator: votes / 2b's did not all come.
    Votes,
    /// Coordinator: resend the decision to those who have not acknowledged.
    Acks,
    /// Participant: prepare did not come.
    Prepare,
    /// Participant (prepared): the decision did not come.
    Decision,
}

#[derive(Clone, Debug)]
enum Ev {
    Start,
    Deliver(u32),
    Gone(u32),
    Timer(u8, u32, TimerKind),
    Crash(u8),
    Restart(u8),
    Link(u8, u8, bool),
}

/// A scheduled event (earliest first, ties in scheduling order).
type Item = Scheduled<Ev>;

#[derive(Clone, Debug, Default)]
struct Proposer {
    ballot: u32,
    phase: u8,
    p1b: BTreeMap<u8, Vec<Option<(u32, bool)>>>,
    p2b: BTreeSet<u8>,
    vals: Vec<(u8, bool)>,
}

#[derive(Clone, Debug, Default)]
struct Node {
    up: bool,
    epoch: u32,
    backoff: f64,
    // participant (stable: vote, prepared_at, decided)
    vote: Option<bool>,
    prepared_at: Option<f64>,
    decided: Option<(bool, f64)>,
    // coordinator (stable: decision, sent_prepare)
    sent_prepare: bool,
    decision: Option<bool>,
    votes: Vec<Option<bool>>,
    acked: Vec<bool>,
    b0: Vec<Vec<Option<bool>>>,
    // any node in Paxos Commit
    round: u32,
    prop: Option<Proposer>,
    // acceptor (stable)
    promised: u32,
    accepted: Vec<Option<(u32, bool)>>,
}

/// The role of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The transaction manager.
    Coordinator,
    /// A resource manager.
    Participant,
    /// A Paxos acceptor.
    Acceptor,
}

/// One node, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeSnap {
    /// Node id.
    pub id: u8,
    /// Role.
    pub role: Role,
    /// Display name (C, P1…, A1…).
    pub name: String,
    /// Running?
    pub up: bool,
    /// State word: participants `working | prepared | committed | aborted`; coordinator
    /// `idle | collecting | recovering | committed | aborted`; acceptors `idle | accepted`.
    pub state: String,
    /// Extra detail (a ballot, a vote).
    pub detail: String,
    /// For a prepared participant: since when (ms) it holds its locks undecided.
    pub blocked_since: Option<f64>,
}

/// One message in flight, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MsgSnap {
    /// Sender.
    pub from: u8,
    /// Receiver.
    pub to: u8,
    /// Label (prepare, yes, no, commit, abort, ack, outcome?, 1a, 1b, 2a, 2b).
    pub kind: String,
    /// Send time, ms.
    pub sent: f64,
    /// Arrival time, ms.
    pub arrive: f64,
    /// Lost on the way (drawn, never delivered).
    pub lost: bool,
    /// Lost at the far end: it reached its receiver while that node was down (history only).
    #[serde(default)]
    pub dead_end: bool,
}

/// What the live view draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitSnapshot {
    /// Simulated time of the last event, ms.
    pub t: f64,
    /// Protocol.
    pub protocol: Protocol,
    /// All nodes: coordinator, participants, acceptors (Paxos only).
    pub nodes: Vec<NodeSnap>,
    /// Messages in flight.
    pub msgs: Vec<MsgSnap>,
    /// Messages sent so far.
    pub sent: u32,
    /// The latest happenings, oldest first (at most 6).
    pub log: Vec<String>,
    /// Every message sent so far, in sending order, delivered or not (the first
    /// [`HISTORY_CAP`]): the sequence diagram. A message is `lost` once it is known to be:
    /// dropped on the way, or arrived at a crashed node.
    pub history: Vec<MsgSnap>,
    /// Whether the decided participants agree so far.
    pub atomic: bool,
}

/// How many messages the live view's history keeps (Paxos Commit without faults sends at most
/// N(4F+5) = 65 here).
pub const HISTORY_CAP: usize = 160;

/// One transaction under one protocol, as a step-able discrete-event simulation (times in ms
/// inside, seconds through [`Simulation`]).
pub struct CommitSim {
    proto: Protocol,
    sc: Scenario,
    now: f64,
    seq: u64,
    next_id: u32,
    queue: BinaryHeap<Item>,
    nodes: Vec<Node>,
    msgs: Vec<Msg>,
    links_down: BTreeSet<(u8, u8)>,
    net: Rng,
    timers: Rng,
    sent: u32,
    lost: u32,
    crash_done: bool,
    part_crash_done: bool,
    /// (instance, ballot) → (value, acceptors that accepted it): the safety checker's record.
    acc_log: BTreeMap<(u8, u32), (bool, BTreeSet<u8>)>,
    chosen: BTreeMap<u8, bool>,
    paxos_violation: bool,
    log: Vec<String>,
    /// Messages sent so far, indexed by id (live view only: `keep_log`).
    history: Vec<MsgSnap>,
    keep_log: bool,
}

impl CommitSim {
    /// A transaction under `proto` on scenario `sc`, its network drawn from `seed`.
    pub fn new(proto: Protocol, sc: &Scenario, seed: u64) -> CommitSim {
        let n = sc.n as usize;
        let total = 1
            + n
            + if proto == Protocol::Paxos {
                sc.acceptors() as usize
            } else {
                0
            };
        let mut nodes: Vec<Node> = (0..total)
            .map(|_| Node {
                up: true,
                backoff: sc.timeout,
                ..Node::default()
            })
            .collect();
        nodes[0].votes = vec![None; n];
        nodes[0].acked = vec![false; n];
        nodes[0].b0 = vec![vec![None; sc.acceptors() as usize]; n];
        for a in nodes.iter_mut().skip(1 + n) {
            a.accepted = vec![None; n];
        }
        let mut s = CommitSim {
            proto,
            sc: sc.clone(),
            now: 0.0,
            seq: 0,
            next_id: 0,
            queue: BinaryHeap::new(),
            nodes,
            msgs: Vec::new(),
            links_down: BTreeSet::new(),
            net: Rng::derive(seed, "net"),
            timers: Rng::derive(seed, "timers"),
            sent: 0,
            lost: 0,
            crash_done: false,
            part_crash_done: false,
            acc_log: BTreeMap::new(),
            chosen: BTreeMap::new(),
            paxos_violation: false,
            log: Vec::new(),
            history: Vec::new(),
            keep_log: false,
        };
        s.push(0.0, Ev::Start);
        s
    }

    /// The scripted transaction of `p` under its selected protocol (for the live view).
    pub fn from_params(p: &Params, seed: u64) -> CommitSim {
        let sc = Scenario::from_params(p, &mut Rng::derive(seed, "votes"));
        let mut s = CommitSim::new(Protocol::parse(&p.protocol), &sc, seed);
        s.keep_log = true;
        // play the start (t = 0): the first picture already shows the prepares on their way
        s.advance_to(0.0);
        s
    }

    fn n(&self) -> u8 {
        self.sc.n as u8
    }
    fn maj(&self) -> usize {
        self.sc.f as usize + 1
    }
    fn acceptor_ids(&self) -> std::ops::Range<u8> {
        let n = self.n();
        if self.proto == Protocol::Paxos {
            n + 1..n + 1 + self.sc.acceptors() as u8
        } else {
            n + 1..n + 1
        }
    }
    fn is_participant(&self, id: u8) -> bool {
        id >= 1 && id <= self.n()
    }
    fn name(&self, id: u8) -> String {
        if id == COORD {
            "C".into()
        } else if self.is_participant(id) {
            format!("P{id}")
        } else {
            format!("A{}", id - self.n())
        }
    }
    fn note(&mut self, s: String) {
        if !self.keep_log {
            return;
        }
        if self.log.len() >= 6 {
            self.log.remove(0);
        }
        self.log.push(format!("{:.0} ms · {s}", self.now));
    }

    fn push(&mut self, t: f64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Scheduled {
            time: t,
            seq: self.seq,
            item: ev,
        });
    }

    fn send(&mut self, from: u8, to: u8, body: Body) {
        let kind = body.label();
        let delay = self.sc.latency + self.sc.jitter * self.net.uniform();
        let lost = self.links_down.contains(&(from, to)) || self.net.chance(self.sc.drop);
        let id = self.next_id;
        self.next_id += 1;
        self.sent += 1;
        let arrive = self.now + delay;
        self.msgs.push(Msg {
            id,
            from,
            to,
            body,
            sent: self.now,
            arrive,
            lost,
        });
        // ids count up from 0, so entry `id` of the history is this message
        if self.keep_log && self.history.len() < HISTORY_CAP {
            self.history.push(MsgSnap {
                from,
                to,
                kind: kind.into(),
                sent: self.now,
                arrive,
                lost,
                dead_end: false,
            });
        }
        if lost {
            self.lost += 1;
            self.push(arrive, Ev::Gone(id));
        } else {
            self.push(arrive, Ev::Deliver(id));
        }
    }

    fn arm(&mut self, node: u8, kind: TimerKind, after: f64) {
        let e = self.nodes[node as usize].epoch;
        self.push(self.now + after, Ev::Timer(node, e, kind));
    }

    /// First wait: the timeout stretched by up to 50 % at random, so that nodes timing out
    /// together do not stay in step (Paxos recovery also staggers participants by rank); each
    /// retry doubles it, up to `max(1 s, timeout)`.
    fn arm_backoff(&mut self, node: u8, kind: TimerKind, reset: bool) {
        let cap = self.sc.timeout.max(1000.0);
        let b = if reset {
            self.sc.timeout
        } else {
            (self.nodes[node as usize].backoff * 2.0).min(cap)
        };
        self.nodes[node as usize].backoff = b;
        let mut wait = b * (1.0 + 0.5 * self.timers.uniform());
        if reset && kind == TimerKind::Decision && self.proto == Protocol::Paxos {
            // backup proposers in rank order: P1 first, P2 one recovery round (four hops)
            // later, and so on, so they seldom duel for the ballot
            wait += f64::from(node - 1) * 4.0 * (self.sc.latency + self.sc.jitter);
        }
        self.arm(node, kind, wait);
    }

    // ---- faults -------------------------------------------------------------------------

    /// Crash `node` at `t_s` seconds (or now, if that is past): it drops what arrives and
    /// forgets everything it had not logged.
    pub fn crash(&mut self, node: u8, t_s: f64) {
        if (node as usize) < self.nodes.len() {
            self.push((t_s * 1000.0).max(self.now), Ev::Crash(node));
        }
    }

    /// Restart `node` at `t_s` seconds (or now): it reads its log and carries on.
    pub fn restart(&mut self, node: u8, t_s: f64) {
        if (node as usize) < self.nodes.len() {
            self.push((t_s * 1000.0).max(self.now), Ev::Restart(node));
        }
    }

    /// Cut (`up = false`) or mend the one-way link `from → to` at `t_s` seconds (or now).
    pub fn set_link(&mut self, from: u8, to: u8, up: bool, t_s: f64) {
        self.push((t_s * 1000.0).max(self.now), Ev::Link(from, to, up));
    }

    /// Crash a running node or restart a crashed one at `t_s` seconds (the view's click), and
    /// play every event up to then, so the change shows at once even while paused.
    pub fn toggle(&mut self, node: u8, t_s: f64) {
        match self.nodes.get(node as usize) {
            Some(n) if n.up => self.crash(node, t_s),
            Some(_) => self.restart(node, t_s),
            None => return,
        }
        self.advance_to(t_s.max(self.now()));
    }

    fn do_crash(&mut self, id: u8) {
        let n = self.sc.n as usize;
        let nd = &mut self.nodes[id as usize];
        if !nd.up {
            return;
        }
        nd.up = false;
        nd.epoch += 1;
        nd.prop = None;
        if id == COORD {
            nd.votes = vec![None; n];
            nd.acked = vec![false; n];
            for v in nd.b0.iter_mut() {
                v.iter_mut().for_each(|x| *x = None);
            }
        }
        note!(self, "{} crashes", self.name(id));
    }

    fn do_restart(&mut self, id: u8) {
        if self.nodes[id as usize].up {
            return;
        }
        self.nodes[id as usize].up = true;
        self.nodes[id as usize].backoff = self.sc.timeout;
        note!(self, "{} restarts", self.name(id));
        if id == COORD {
            let n = self.n();
            match self.nodes[0].decision {
                Some(d) => {
                    for p in 1..=n {
                        self.send(COORD, p, Body::Decision(d));
                    }
                    self.arm_backoff(COORD, TimerKind::Acks, true);
                }
                None => match self.proto {
                    // no decision in the log: presumed abort
                    Protocol::TwoPc => {
                        note!(self, "C finds no decision in its log: abort");
                        self.decide_coord(false);
                    }
                    Protocol::Paxos => self.start_proposer(COORD),
                },
            }
        } else if self.is_participant(id) {
            let nd = &self.nodes[id as usize];
            match (nd.decided, nd.vote) {
                (Some(_), _) => {}
                (None, None) => self.unilateral_abort(id),
                (None, Some(_)) => {
                    if self.proto == Protocol::TwoPc {
                        self.send(id, COORD, Body::DecisionReq);
                    }
                    self.arm_backoff(id, TimerKind::Decision, true);
                }
            }
        }
    }

    // ---- protocol -----------------------------------------------------------------------

    fn start(&mut self) {
        let n = self.n();
        let (c_p1, p1_c, all) = self.sc.cut;
        if c_p1 {
            self.links_down.insert((COORD, 1));
        }
        if p1_c {
            self.links_down.insert((1, COORD));
        }
        if all {
            for other in 0..self.nodes.len() as u8 {
                if other != 1 {
                    self.links_down.insert((1, other));
                    self.links_down.insert((other, 1));
                }
            }
        }
        for p in 1..=n {
            self.arm(p, TimerKind::Prepare, self.sc.timeout);
        }
        for a in self.acceptor_ids().take(self.sc.acceptors_down as usize) {
            self.do_crash(a);
        }
        if self.sc.part_crash == PartCrash::BeforeVote {
            self.part_crash_done = true;
            self.do_crash(1);
            if let Some(d) = self.sc.part_down {
                self.push(self.now + d, Ev::Restart(1));
            }
        }
        if self.sc.crash == CrashPoint::BeforePrepare {
            self.scripted_coord_crash();
            return;
        }
        self.nodes[0].sent_prepare = true;
        for p in 1..=n {
            self.send(COORD, p, Body::Prepare);
        }
        self.arm(COORD, TimerKind::Votes, self.sc.timeout);
        if self.sc.crash == CrashPoint::AfterPrepare {
            self.scripted_coord_crash();
        }
    }

    fn scripted_coord_crash(&mut self) {
        if self.crash_done {
            return;
        }
        self.crash_done = true;
        self.do_crash(COORD);
        if let Some(d) = self.sc.coord_down {
            self.push(self.now + d, Ev::Restart(COORD));
        }
    }

    fn decide_coord(&mut self, d: bool) {
        if self.nodes[0].decision.is_some() {
            return;
        }
        self.nodes[0].decision = Some(d);
        note!(self, "C logs {}", if d { "commit" } else { "abort" });
        let n = self.n();
        let mid = self.sc.crash == CrashPoint::MidDecision && !self.crash_done;
        let told = if mid { (n / 2).max(1) } else { n };
        for p in 1..=told {
            self.send(COORD, p, Body::Decision(d));
        }
        if mid {
            self.scripted_coord_crash();
            return;
        }
        self.arm_backoff(COORD, TimerKind::Acks, true);
    }

    fn unilateral_abort(&mut self, id: u8) {
        let now = self.now;
        let nd = &mut self.nodes[id as usize];
        nd.vote = Some(false);
        nd.decided = Some((false, now));
        note!(self, "P{id} gives up waiting: abort");
        if self.proto == Protocol::Paxos {
            for a in self.acceptor_ids() {
                self.send(id, a, Body::P2a(0, vec![(id - 1, false)]));
            }
        }
    }

    fn part_decide(&mut self, id: u8, d: bool) {
        let now = self.now;
        let nd = &mut self.nodes[id as usize];
        if nd.decided.is_none() {
            nd.decided = Some((d, now));
            nd.epoch += 1; // cancel pending timers
            nd.prop = None;
            note!(self, "P{id} {}", if d { "commits" } else { "aborts" });
        }
    }

    fn start_proposer(&mut self, id: u8) {
        let nd = &mut self.nodes[id as usize];
        nd.round += 1;
        let ballot = nd.round * 16 + u32::from(id) + 1;
        nd.prop = Some(Proposer {
            ballot,
            phase: 1,
            ..Proposer::default()
        });
        note!(self, "{} starts recovery, ballot {ballot}", self.name(id));
        for a in self.acceptor_ids() {
            self.send(id, a, Body::P1a(ballot));
        }
        if id == COORD {
            self.arm_backoff(COORD, TimerKind::Votes, false);
        }
    }

    fn learned(&mut self, id: u8, d: bool) {
        note!(
            self,
            "{} learns {}",
            self.name(id),
            if d { "commit" } else { "abort" }
        );
        let n = self.n();
        if id == COORD {
            self.nodes[0].prop = None;
            self.decide_coord(d);
        } else {
            self.part_decide(id, d);
            for p in (0..=n).filter(|&p| p != id) {
                self.send(id, p, Body::Decision(d));
            }
        }
    }

    fn record_accept(&mut self, acc: u8, ballot: u32, vals: &[(u8, bool)]) {
        let maj = self.maj();
        for &(inst, v) in vals {
            let e = self
                .acc_log
                .entry((inst, ballot))
                .or_insert_with(|| (v, BTreeSet::new()));
            if e.0 != v {
                self.paxos_violation = true; // two values at one ballot: cannot happen
            }
            e.1.insert(acc);
            if e.1.len() >= maj {
                match self.chosen.get(&inst) {
                    Some(&c) if c != v => self.paxos_violation = true,
                    _ => {
                        self.chosen.insert(inst, v);
                    }
                }
            }
        }
    }

    fn deliver(&mut self, m: Msg) {
        let to = m.to;
        if !self.nodes[to as usize].up {
            self.lost += 1;
            if let Some(h) = self.history.get_mut(m.id as usize) {
                h.lost = true;
                h.dead_end = true;
            }
            return;
        }
        let n = self.n();
        match m.body {
            Body::Prepare => {
                let (decided, vote) = (
                    self.nodes[to as usize].decided,
                    self.nodes[to as usize].vote,
                );
                if decided.is_some() && vote != Some(false) {
                    return;
                }
                let v = match vote {
                    Some(v) => v,
                    None => {
                        let v = self.sc.votes[(to - 1) as usize];
                        self.nodes[to as usize].vote = Some(v);
                        if v {
                            self.nodes[to as usize].prepared_at = Some(self.now);
                            note!(self, "P{to} votes yes: prepared, locks held");
                        } else {
                            self.part_decide(to, false);
                            note!(self, "P{to} votes no");
                        }
                        v
                    }
                };
                match self.proto {
                    Protocol::TwoPc => self.send(to, COORD, Body::Vote(v)),
                    Protocol::Paxos => {
                        for a in self.acceptor_ids() {
                            self.send(to, a, Body::P2a(0, vec![(to - 1, v)]));
                        }
                    }
                }
                if v && self.nodes[to as usize].decided.is_none() {
                    self.arm_backoff(to, TimerKind::Decision, true);
                }
                if to == 1 && self.sc.part_crash == PartCrash::AfterVote && !self.part_crash_done {
                    self.part_crash_done = true;
                    self.do_crash(1);
                    if let Some(d) = self.sc.part_down {
                        self.push(self.now + d, Ev::Restart(1));
                    }
                }
            }
            Body::Vote(v) => {
                let c = &mut self.nodes[0];
                if c.decision.is_some() {
                    return;
                }
                c.votes[(m.from - 1) as usize] = Some(v);
                if !v {
                    self.decide_coord(false);
                } else if c.votes.iter().all(|x| *x == Some(true)) {
                    self.decide_coord(true);
                }
            }
            Body::Decision(d) => {
                if to == COORD {
                    if self.nodes[0].decision.is_none() {
                        self.nodes[0].prop = None;
                        self.decide_coord(d);
                    }
                } else {
                    self.part_decide(to, d);
                    if m.from == COORD {
                        self.send(to, COORD, Body::Ack);
                    }
                }
            }
            Body::Ack => {
                if to == COORD {
                    self.nodes[0].acked[(m.from - 1) as usize] = true;
                }
            }
            Body::DecisionReq => {
                if let Some(d) = self.nodes[0].decision {
                    self.send(COORD, m.from, Body::Decision(d));
                }
            }
            Body::P1a(b) => {
                let a = &mut self.nodes[to as usize];
                if b > a.promised {
                    a.promised = b;
                    let acc = a.accepted.clone();
                    self.send(to, ((b - 1) % 16) as u8, Body::P1b(b, acc));
                }
            }
            Body::P2a(b, vals) => {
                let a = &mut self.nodes[to as usize];
                if b >= a.promised {
                    a.promised = b;
                    for &(i, v) in &vals {
                        a.accepted[i as usize] = Some((b, v));
                    }
                    self.record_accept(to, b, &vals);
                    let learner = if b == 0 { COORD } else { ((b - 1) % 16) as u8 };
                    self.send(to, learner, Body::P2b(b, vals));
                }
            }
            Body::P2b(b, vals) => {
                if b == 0 {
                    if to != COORD || self.nodes[0].decision.is_some() {
                        return;
                    }
                    let ai = (m.from - n - 1) as usize;
                    for &(i, v) in &vals {
                        self.nodes[0].b0[i as usize][ai] = Some(v);
                    }
                    let maj = self.maj();
                    let mut all_yes = true;
                    for i in 0..n as usize {
                        let row = &self.nodes[0].b0[i];
                        let yes = row.iter().filter(|x| **x == Some(true)).count();
                        let no = row.iter().filter(|x| **x == Some(false)).count();
                        if no >= maj {
                            self.decide_coord(false);
                            return;
                        }
                        all_yes &= yes >= maj;
                    }
                    if all_yes {
                        self.decide_coord(true);
                    }
                } else {
                    let maj = self.maj();
                    let Some(pr) = self.nodes[to as usize].prop.as_mut() else {
                        return;
                    };
                    if pr.ballot != b || pr.phase != 2 {
                        return;
                    }
                    pr.p2b.insert(m.from);
                    if pr.p2b.len() >= maj {
                        let d = pr.vals.iter().all(|&(_, v)| v);
                        self.learned(to, d);
                    }
                }
            }
            Body::P1b(b, acc) => {
                let maj = self.maj();
                let Some(pr) = self.nodes[to as usize].prop.as_mut() else {
                    return;
                };
                if pr.ballot != b || pr.phase != 1 {
                    return;
                }
                pr.p1b.insert(m.from, acc);
                if pr.p1b.len() >= maj {
                    // per instance: the value accepted at the highest ballot, else aborted
                    let vals: Vec<(u8, bool)> = (0..n)
                        .map(|i| {
                            let best = pr
                                .p1b
                                .values()
                                .filter_map(|a| a[i as usize])
                                .max_by_key(|&(bb, _)| bb);
                            (i, best.is_some_and(|(_, v)| v))
                        })
                        .collect();
                    pr.phase = 2;
                    pr.vals = vals.clone();
                    for a in self.acceptor_ids() {
                        self.send(to, a, Body::P2a(b, vals.clone()));
                    }
                }
            }
        }
    }

    fn timer(&mut self, node: u8, kind: TimerKind) {
        match kind {
            TimerKind::Votes => {
                if self.nodes[0].decision.is_some() {
                    return;
                }
                match self.proto {
                    Protocol::TwoPc => {
                        note!(self, "C times out waiting for votes");
                        self.decide_coord(false);
                    }
                    Protocol::Paxos => self.start_proposer(COORD),
                }
            }
            TimerKind::Acks => {
                let d = self.nodes[0].decision.unwrap_or(false);
                let pending: Vec<u8> = (1..=self.n())
                    .filter(|&p| !self.nodes[0].acked[(p - 1) as usize])
                    .collect();
                if pending.is_empty() {
                    return;
                }
                for p in pending {
                    self.send(COORD, p, Body::Decision(d));
                }
                self.arm_backoff(COORD, TimerKind::Acks, false);
            }
            TimerKind::Prepare => {
                let nd = &self.nodes[node as usize];
                if nd.vote.is_none() && nd.decided.is_none() {
                    self.unilateral_abort(node);
                }
            }
            TimerKind::Decision => {
                if self.nodes[node as usize].decided.is_some() {
                    return;
                }
                match self.proto {
                    Protocol::TwoPc => {
                        self.send(node, COORD, Body::DecisionReq);
                    }
                    Protocol::Paxos => self.start_proposer(node),
                }
                self.arm_backoff(node, TimerKind::Decision, false);
            }
        }
    }

    /// Run to the horizon.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// A plain-data picture of now, for drawing.
    pub fn snapshot(&self) -> CommitSnapshot {
        let n = self.n();
        let nodes = (0..self.nodes.len() as u8)
            .map(|id| {
                let nd = &self.nodes[id as usize];
                let (role, state, detail) = if id == COORD {
                    let st = match (nd.decision, nd.prop.is_some(), nd.sent_prepare) {
                        (Some(true), ..) => "committed",
                        (Some(false), ..) => "aborted",
                        (None, true, _) => "recovering",
                        (None, false, true) => "collecting",
                        _ => "idle",
                    };
                    let got = nd.votes.iter().filter(|v| v.is_some()).count();
                    let detail = if self.proto == Protocol::TwoPc && nd.decision.is_none() {
                        format!("{got}/{n} votes")
                    } else {
                        String::new()
                    };
                    (Role::Coordinator, st, detail)
                } else if self.is_participant(id) {
                    let st = match (nd.decided, nd.vote) {
                        (Some((true, _)), _) => "committed",
                        (Some((false, _)), _) => "aborted",
                        (None, Some(true)) => "prepared",
                        _ => "working",
                    };
                    let detail = match nd.vote {
                        Some(true) => "voted yes",
                        Some(false) => "voted no",
                        None => "",
                    };
                    (Role::Participant, st, detail.to_string())
                } else {
                    let k = nd.accepted.iter().filter(|a| a.is_some()).count();
                    let st = if k > 0 { "accepted" } else { "idle" };
                    (Role::Acceptor, st, format!("promised {}", nd.promised))
                };
                let blocked_since = match (nd.prepared_at, nd.decided) {
                    (Some(t), None) => Some(t),
                    _ => None,
                };
                NodeSnap {
                    id,
                    role,
                    name: self.name(id),
                    up: nd.up,
                    state: state.into(),
                    detail,
                    blocked_since,
                }
            })
            .collect();
        let msgs = self
            .msgs
            .iter()
            .map(|m| MsgSnap {
                from: m.from,
                to: m.to,
                kind: m.body.label().into(),
                sent: m.sent,
                arrive: m.arrive,
                lost: m.lost,
                dead_end: false,
            })
            .collect();
        CommitSnapshot {
            t: self.now,
            protocol: self.proto,
            nodes,
            msgs,
            sent: self.sent,
            log: self.log.clone(),
            history: self.history.clone(),
            atomic: self.atomic(),
        }
    }

    fn atomic(&self) -> bool {
        let mut ds = self.nodes[1..=self.sc.n as usize]
            .iter()
            .filter_map(|nd| nd.decided.map(|d| d.0));
        match ds.next() {
            Some(first) => ds.all(|d| d == first),
            None => true,
        }
    }

    /// The outcome so far (final once the run reached its horizon).
    pub fn outcome(&self) -> RunOutcome {
        let h = self.sc.horizon;
        let parts: Vec<PartOutcome> = self.nodes[1..=self.sc.n as usize]
            .iter()
            .map(|nd| {
                let end = nd.decided.map(|d| d.1).unwrap_or(h);
                PartOutcome {
                    vote: match nd.vote {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "none",
                    }
                    .into(),
                    outcome: match nd.decided {
                        Some((true, _)) => "commit",
                        Some((false, _)) => "abort",
                        None => "undecided",
                    }
                    .into(),
                    decided_ms: nd.decided.map(|d| d.1),
                    blocked_ms: nd.prepared_at.map(|t| (end - t).max(0.0)).unwrap_or(0.0),
                }
            })
            .collect();
        let all_yes = self.sc.votes.iter().all(|&v| v)
            && self.nodes[1..=self.sc.n as usize]
                .iter()
                .all(|nd| nd.vote == Some(true));
        let any_commit = parts.iter().any(|p| p.outcome == "commit");
        let any_abort = parts.iter().any(|p| p.outcome == "abort");
        let decided = parts.iter().all(|p| p.decided_ms.is_some());
        let latency_ms = if decided {
            parts.iter().filter_map(|p| p.decided_ms).reduce(f64::max)
        } else {
            None
        };
        let blocked_forever = parts
            .iter()
            .any(|p| p.vote == "yes" && p.outcome == "undecided");
        RunOutcome {
            protocol: self.proto,
            decision: match (any_commit, any_abort) {
                (true, true) => "split",
                (true, false) => "commit",
                (false, true) if decided => "abort",
                (false, true) => "abort (some undecided)",
                (false, false) => "undecided",
            }
            .into(),
            atomic: !(any_commit && any_abort),
            valid: !any_commit || all_yes,
            paxos_safe: !self.paxos_violation,
            latency_ms,
            max_blocked_ms: parts.iter().map(|p| p.blocked_ms).fold(0.0, f64::max),
            blocked_forever,
            messages: self.sent,
            lost: self.lost,
            participants: parts,
        }
    }
}

impl Simulation for CommitSim {
    fn now(&self) -> f64 {
        self.now / 1000.0
    }

    fn step(&mut self) -> bool {
        let Some(top) = self.queue.peek() else {
            return false;
        };
        if top.time > self.sc.horizon {
            return false;
        }
        let Some(Scheduled {
            time: t, item: ev, ..
        }) = self.queue.pop()
        else {
            return false;
        };
        self.now = t;
        match ev {
            Ev::Start => self.start(),
            Ev::Deliver(id) | Ev::Gone(id) => {
                if let Some(k) = self.msgs.iter().position(|m| m.id == id) {
                    let m = self.msgs.swap_remove(k);
                    if matches!(ev, Ev::Deliver(_)) {
                        self.deliver(m);
                    }
                }
            }
            Ev::Timer(node, epoch, kind) => {
                let nd = &self.nodes[node as usize];
                if nd.up && nd.epoch == epoch {
                    self.timer(node, kind);
                }
            }
            Ev::Crash(id) => self.do_crash(id),
            Ev::Restart(id) => self.do_restart(id),
            Ev::Link(a, b, up) => {
                if up {
                    self.links_down.remove(&(a, b));
                } else {
                    self.links_down.insert((a, b));
                }
            }
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.queue
            .peek()
            .filter(|i| i.time <= self.sc.horizon)
            .map(|i| i.time / 1000.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// One participant's fate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartOutcome {
    /// `yes`, `no` (or gave up before voting), `none` (never voted).
    pub vote: String,
    /// `commit`, `abort`, `undecided`.
    pub outcome: String,
    /// When it decided, ms.
    pub decided_ms: Option<f64>,
    /// Time prepared and undecided (locks held), ms; up to the horizon if never decided.
    pub blocked_ms: f64,
}

/// One transaction under one protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Protocol.
    pub protocol: Protocol,
    /// `commit`, `abort`, `abort (some undecided)`, `undecided`, or `split` (never happens).
    pub decision: String,
    /// Per participant, P1 first.
    pub participants: Vec<PartOutcome>,
    /// No two participants decided differently.
    pub atomic: bool,
    /// Commit only if every participant voted yes.
    pub valid: bool,
    /// At most one value chosen per Paxos instance (trivially true for 2PC).
    pub paxos_safe: bool,
    /// Time until every participant decided, ms (`None`: someone never did).
    pub latency_ms: Option<f64>,
    /// Longest time a participant was prepared and undecided, ms.
    pub max_blocked_ms: f64,
    /// A prepared participant was still undecided at the horizon.
    pub blocked_forever: bool,
    /// Messages sent (lost ones included).
    pub messages: u32,
    /// Messages lost (dropped, or arriving at a crashed node).
    pub lost: u32,
}

/// The batch under one protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchStats {
    /// Protocol.
    pub protocol: Protocol,
    /// Transactions.
    pub transactions: u32,
    /// Transactions every participant committed.
    pub commits: u32,
    /// Transactions every participant aborted.
    pub aborts: u32,
    /// Transactions with a participant still undecided at the horizon.
    pub undecided: u32,
    /// Transactions where two participants decided differently (must be 0).
    pub atomicity_violations: u32,
    /// Transactions committed although someone voted no (must be 0).
    pub validity_violations: u32,
    /// Transactions where a Paxos instance chose two values (must be 0).
    pub safety_violations: u32,
    /// Mean messages per transaction.
    pub mean_messages: f64,
    /// Mean of the longest blocking time per transaction, ms.
    pub mean_blocked_ms: f64,
    /// Median longest blocking time, ms.
    pub p50_blocked_ms: f64,
    /// 99th percentile of the longest blocking time, ms.
    pub p99_blocked_ms: f64,
    /// Share of transactions with a participant blocked longer than X.
    pub frac_blocked_over_x: f64,
    /// Median latency (undecided count as the horizon), ms.
    pub p50_latency_ms: f64,
    /// 99th percentile latency (undecided count as the horizon), ms.
    pub p99_latency_ms: f64,
    /// CDF of the longest blocking time: `(ms, fraction ≤)`, at most 101 points.
    pub blocked_cdf: Vec<(f64, f64)>,
    /// CDF of the latency: `(ms, fraction ≤)`, at most 101 points.
    pub latency_cdf: Vec<(f64, f64)>,
}

/// Failure-free figures from theory, for the chosen size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Theory {
    /// 2PC messages: `4N`.
    pub two_pc_messages: u32,
    /// Paxos Commit messages here: `N(4F+5)`.
    pub paxos_messages: u32,
    /// 2PC message delays until every participant decides: 3.
    pub two_pc_delays: u32,
    /// Paxos Commit message delays: 4.
    pub paxos_delays: u32,
    /// Acceptors, `2F+1`.
    pub acceptors: u32,
}

/// Everything one run produces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The protocol headlined.
    pub protocol: Protocol,
    /// The knobs' transaction under 2PC then Paxos Commit (same votes and faults).
    pub runs: Vec<RunOutcome>,
    /// The batch under 2PC then Paxos Commit (empty when the batch is 0).
    pub batch: Vec<BatchStats>,
    /// Failure-free theory.
    pub theory: Theory,
    /// The blocking threshold X, ms.
    pub block_x_ms: f64,
    /// The horizon, ms.
    pub horizon_ms: f64,
    /// Plain-language notes on the run.
    pub notes: Vec<String>,
}

impl Report {
    /// The outcome of the headlined protocol.
    pub fn selected(&self) -> &RunOutcome {
        let i = usize::from(self.protocol == Protocol::Paxos);
        &self.runs[i.min(self.runs.len().saturating_sub(1))]
    }
}

/// Run one transaction to its horizon.
pub fn run_one(proto: Protocol, sc: &Scenario, seed: u64) -> RunOutcome {
    let mut s = CommitSim::new(proto, sc, seed);
    s.run_to_end();
    s.outcome()
}

/// To 0.1 ms: the CDFs need no more, and the report stays small.
fn round1(x: f64) -> f64 {
    libm::round(x * 10.0) / 10.0
}

fn cdf(sorted: &[f64]) -> Vec<(f64, f64)> {
    if sorted.is_empty() {
        return Vec::new();
    }
    let k = sorted.len();
    if k <= CDF_POINTS {
        return sorted
            .iter()
            .enumerate()
            .map(|(i, &x)| (round1(x), (i + 1) as f64 / k as f64))
            .collect();
    }
    (0..CDF_POINTS)
        .map(|j| {
            let q = j as f64 / (CDF_POINTS - 1) as f64;
            (round1(crate::stats::quantile_sorted(sorted, q)), q)
        })
        .collect()
}

fn batch_stats(proto: Protocol, outs: &[RunOutcome], x: f64, horizon: f64) -> BatchStats {
    let k = outs.len().max(1) as f64;
    let mut blocked: Vec<f64> = outs.iter().map(|o| o.max_blocked_ms).collect();
    let mut lat: Vec<f64> = outs
        .iter()
        .map(|o| o.latency_ms.unwrap_or(horizon))
        .collect();
    blocked.sort_unstable_by(f64::total_cmp);
    lat.sort_unstable_by(f64::total_cmp);
    let q = |v: &[f64], p: f64| {
        if v.is_empty() {
            0.0
        } else {
            crate::stats::quantile_sorted(v, p)
        }
    };
    let count = |f: &dyn Fn(&RunOutcome) -> bool| outs.iter().filter(|o| f(o)).count() as u32;
    BatchStats {
        protocol: proto,
        transactions: outs.len() as u32,
        commits: count(&|o| o.decision == "commit"),
        aborts: count(&|o| o.decision == "abort"),
        undecided: count(&|o| o.latency_ms.is_none()),
        atomicity_violations: count(&|o| !o.atomic),
        validity_violations: count(&|o| !o.valid),
        safety_violations: count(&|o| !o.paxos_safe),
        mean_messages: outs.iter().map(|o| f64::from(o.messages)).sum::<f64>() / k,
        mean_blocked_ms: blocked.iter().sum::<f64>() / k,
        p50_blocked_ms: q(&blocked, 0.5),
        p99_blocked_ms: q(&blocked, 0.99),
        frac_blocked_over_x: blocked.iter().filter(|&&b| b > x).count() as f64 / k,
        p50_latency_ms: q(&lat, 0.5),
        p99_latency_ms: q(&lat, 0.99),
        blocked_cdf: cdf(&blocked),
        latency_cdf: cdf(&lat),
    }
}

impl Model for TwoPhaseCommit {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(p: &Params, seed: u64) -> Report {
        let sc = Scenario::from_params(p, &mut Rng::derive(seed, "votes"));
        let runs: Vec<RunOutcome> = Protocol::ALL
            .iter()
            .map(|&pr| run_one(pr, &sc, seed))
            .collect();
        let x = clampf(p.block_x_ms, 1.0, HORIZON_MAX, 200.0);
        let crash_p = clampf(p.crash_pct, 0.0, 100.0, 30.0) / 100.0;
        let mut rng = Rng::derive(seed, "batch");
        let mut outs: [Vec<RunOutcome>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..p.batch.min(BATCH_MAX) {
            let tseed = rng.next_u64();
            let mut tsc = Scenario::from_params(p, &mut rng);
            tsc.crash = if rng.chance(crash_p) {
                [
                    CrashPoint::BeforePrepare,
                    CrashPoint::AfterPrepare,
                    CrashPoint::MidDecision,
                ][rng.below(3) as usize]
            } else {
                CrashPoint::None
            };
            for (k, &pr) in Protocol::ALL.iter().enumerate() {
                outs[k].push(run_one(pr, &tsc, tseed));
            }
        }
        let batch = if p.batch == 0 {
            Vec::new()
        } else {
            Protocol::ALL
                .iter()
                .zip(outs.iter())
                .map(|(&pr, o)| batch_stats(pr, o, x, sc.horizon))
                .collect()
        };
        let n = sc.n;
        let theory = Theory {
            two_pc_messages: 4 * n,
            paxos_messages: n * (4 * sc.f + 5),
            two_pc_delays: 3,
            paxos_delays: 4,
            acceptors: sc.acceptors(),
        };
        let notes = notes(&sc, &runs);
        Report {
            protocol: Protocol::parse(&p.protocol),
            runs,
            batch,
            theory,
            block_x_ms: x,
            horizon_ms: sc.horizon,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let s = r.selected();
        let mut v = vec![
            ("max_blocked_ms", s.max_blocked_ms),
            ("latency_ms", s.latency_ms.unwrap_or(r.horizon_ms)),
            ("messages", f64::from(s.messages)),
            ("atomic", if s.atomic { 1.0 } else { 0.0 }),
        ];
        if let Some(b) = r.batch.get(usize::from(r.protocol == Protocol::Paxos)) {
            v.push(("batch_blocked_over_x", b.frac_blocked_over_x));
            v.push(("batch_p99_blocked_ms", b.p99_blocked_ms));
        }
        v
    }
}

fn notes(sc: &Scenario, runs: &[RunOutcome]) -> Vec<String> {
    let mut out = Vec::new();
    if let [two, pax] = runs {
        if two.blocked_forever {
            out.push(format!(
                "2PC: prepared participants were still blocked, locks held, when the {:.0} ms watch ended.",
                sc.horizon
            ));
        }
        if pax.blocked_forever && sc.acceptors_down > sc.f {
            out.push(format!(
                "Paxos Commit blocks too: {} of {} acceptors are down, more than F = {}, so no majority can choose.",
                sc.acceptors_down,
                sc.acceptors(),
                sc.f
            ));
        }
        if !two.blocked_forever
            && !pax.blocked_forever
            && two.max_blocked_ms > 2.0 * pax.max_blocked_ms + 1.0
        {
            out.push(format!(
                "Same failure, same votes: 2PC held locks for {:.0} ms, Paxos Commit for {:.0} ms.",
                two.max_blocked_ms, pax.max_blocked_ms
            ));
        }
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
    use crate::rng::Rng;
    use proptest::prelude::*;

    fn quiet(n: u32, f: u32) -> Scenario {
        let p = Params {
            participants: n,
            f,
            crash: "none".into(),
            jitter_ms: 0.0,
            ..Params::default()
        };
        Scenario::from_params(&p, &mut Rng::new(1))
    }

    #[test]
    fn failure_free_2pc_is_two_round_trips_and_4n_messages() {
        for n in N_MIN..=N_MAX {
            let sc = quiet(n, 1);
            let o = run_one(Protocol::TwoPc, &sc, 7);
            assert_eq!(o.messages, 4 * n, "n = {n}");
            assert_eq!(o.decision, "commit");
            // every participant decides after prepare + vote + decision = 3 one-way delays
            assert_eq!(o.latency_ms, Some(3.0 * sc.latency));
            // prepared from the prepare's arrival (d) to the decision's (3d)
            assert_eq!(o.max_blocked_ms, 2.0 * sc.latency);
        }
    }

    #[test]
    fn failure_free_paxos_commit_costs_one_more_delay() {
        for n in N_MIN..=N_MAX {
            for f in 0..=F_MAX {
                let sc = quiet(n, f);
                let o = run_one(Protocol::Paxos, &sc, 7);
                assert_eq!(o.messages, n * (4 * f + 5), "n = {n}, f = {f}");
                assert_eq!(o.latency_ms, Some(4.0 * sc.latency));
                assert_eq!(o.decision, "commit");
            }
        }
    }

    #[test]
    fn a_no_vote_aborts_everyone() {
        let mut sc = quiet(3, 1);
        sc.votes = vec![true, false, true];
        for pr in Protocol::ALL {
            let o = run_one(pr, &sc, 3);
            assert_eq!(o.decision, "abort", "{pr:?}");
            assert!(o.atomic && o.valid);
        }
    }

    #[test]
    fn coordinator_down_for_good_after_prepare_blocks_2pc_not_paxos() {
        let mut sc = quiet(3, 1);
        sc.crash = CrashPoint::AfterPrepare;
        sc.coord_down = None;
        let two = run_one(Protocol::TwoPc, &sc, 5);
        assert!(two.blocked_forever);
        assert!(two.participants.iter().all(|p| p.outcome == "undecided"));
        assert!(two.max_blocked_ms >= sc.horizon - 2.0 * sc.latency);
        let pax = run_one(Protocol::Paxos, &sc, 5);
        assert_eq!(pax.decision, "commit");
        // timeout (≤ 1.5 × timeout) + one recovery: 1a, 1b, 2a, 2b, decision
        assert!(pax.latency_ms.unwrap() <= sc.latency + 1.5 * sc.timeout + 5.0 * sc.latency + 1e-9);
    }

    #[test]
    fn default_2pc_waits_for_the_coordinator_then_aborts() {
        let p = Params {
            batch: 0,
            ..Params::default()
        };
        let r = TwoPhaseCommit::run(&p, 1);
        let two = &r.runs[0];
        assert_eq!(two.decision, "abort"); // presumed abort: no decision logged
        assert!(two.max_blocked_ms >= 1000.0 - 20.0);
        let pax = &r.runs[1];
        assert_eq!(pax.decision, "commit");
        assert!(pax.max_blocked_ms < 300.0);
    }

    #[test]
    fn mid_decision_crash_keeps_atomicity() {
        let mut sc = quiet(4, 1);
        sc.crash = CrashPoint::MidDecision;
        sc.coord_down = Some(500.0);
        let two = run_one(Protocol::TwoPc, &sc, 2);
        assert_eq!(two.decision, "commit");
        assert!(two.atomic);
        // those told decide at 3d; the rest wait for the restart
        assert!(two.max_blocked_ms >= 500.0);
        let pax = run_one(Protocol::Paxos, &sc, 2);
        assert_eq!(pax.decision, "commit");
        assert!(pax.max_blocked_ms < 500.0);
    }

    #[test]
    fn more_than_f_acceptors_down_blocks_paxos_commit() {
        let mut sc = quiet(3, 1);
        sc.acceptors_down = 2;
        let pax = run_one(Protocol::Paxos, &sc, 9);
        assert!(pax.blocked_forever);
        sc.acceptors_down = 1;
        let pax = run_one(Protocol::Paxos, &sc, 9);
        assert_eq!(pax.decision, "commit");
        assert_eq!(pax.latency_ms, Some(4.0 * sc.latency));
    }

    #[test]
    fn live_faults_are_events() {
        let p = Params {
            crash: "none".into(),
            jitter_ms: 0.0,
            ..Params::default()
        };
        let mut s = CommitSim::from_params(&p, 1);
        s.crash(COORD, 0.015); // after the votes are sent, before they arrive
        s.run_to_end();
        let o = s.outcome();
        assert!(o.blocked_forever);
        let mut s = CommitSim::from_params(&p, 1);
        s.crash(COORD, 0.015);
        s.restart(COORD, 0.5);
        s.run_to_end();
        assert_eq!(s.outcome().decision, "abort");
        let mut s = CommitSim::from_params(&p, 1);
        s.set_link(2, COORD, false, 0.0); // one way: P2 hears prepare, its vote is lost
        s.run_to_end();
        let o = s.outcome();
        assert_eq!(o.decision, "abort"); // the coordinator times out waiting for P2's vote
        assert!(o.atomic);
        assert_eq!(o.participants[1].vote, "yes");
    }

    #[test]
    fn partitions_keep_atomicity() {
        // (cut, 2PC, Paxos Commit): P1's vote lost on the way to C aborts 2PC, but Paxos
        // Commit's votes go to the acceptors, so it commits; no prepare for P1 aborts both
        let cases = [
            ("p1_to_c", "abort", "commit"),
            ("c_to_p1", "abort", "abort"),
            ("p1_isolated", "abort", "abort"),
        ];
        for (cut, two, pax) in cases {
            let p = Params {
                crash: "none".into(),
                partition: cut.into(),
                batch: 0,
                ..Params::default()
            };
            let r = TwoPhaseCommit::run(&p, 4);
            assert_eq!(r.runs[0].decision, two, "{cut} 2PC");
            assert_eq!(r.runs[1].decision, pax, "{cut} Paxos");
            assert!(r.runs.iter().all(|o| o.atomic && o.valid));
        }
    }

    #[test]
    fn history_holds_every_message_in_sending_order() {
        for (proto, f) in [
            (Protocol::TwoPc, 1),
            (Protocol::Paxos, 0),
            (Protocol::Paxos, 2),
        ] {
            for n in N_MIN..=N_MAX {
                let mut s = CommitSim::new(proto, &quiet(n, f), 3);
                s.keep_log = true;
                s.run_to_end();
                let snap = s.snapshot();
                let want = if proto == Protocol::TwoPc {
                    4 * n
                } else {
                    n * (4 * f + 5)
                };
                assert_eq!(snap.history.len() as u32, want, "{proto:?} n = {n}");
                assert_eq!(snap.sent, want);
                assert!(snap.history.windows(2).all(|w| w[0].sent <= w[1].sent));
                assert!(snap.history.iter().all(|m| m.arrive > m.sent && !m.lost));
                // it opens with the prepares, coordinator to each participant
                assert!(snap.history[..n as usize]
                    .iter()
                    .enumerate()
                    .all(|(i, m)| m.kind == "prepare"
                        && m.from == COORD
                        && m.to as usize == i + 1));
            }
        }
        // batch runs keep no history
        let mut s = CommitSim::new(Protocol::TwoPc, &quiet(3, 1), 3);
        s.run_to_end();
        assert!(s.snapshot().history.is_empty());
    }

    #[test]
    fn history_marks_messages_to_a_crashed_node_lost() {
        // the book's failure: the coordinator crashes after sending prepare, so the votes
        // reach a crashed node; every loss the run counts is marked in the history
        let p = Params {
            protocol: "2pc".into(),
            ..Params::default()
        };
        let mut s = CommitSim::from_params(&p, 1);
        s.run_to_end();
        let snap = s.snapshot();
        let o = s.outcome();
        assert!(o.lost > 0);
        assert!(snap.history.len() < HISTORY_CAP);
        let lost: Vec<&MsgSnap> = snap.history.iter().filter(|m| m.lost).collect();
        assert_eq!(lost.len() as u32, o.lost);
        // the votes reached the crashed coordinator: lost at the far end, not on the way
        assert!(lost
            .iter()
            .any(|m| m.to == COORD && m.kind == "yes" && m.dead_end));
        assert!(lost.iter().all(|m| m.dead_end)); // no drops in this scenario
                                                  // a cut link drops the prepare on the way instead
        let p = Params {
            protocol: "2pc".into(),
            crash: "none".into(),
            partition: "c_to_p1".into(),
            ..Params::default()
        };
        let mut s = CommitSim::from_params(&p, 1);
        s.run_to_end();
        assert!(s.snapshot().history.iter().any(|m| m.from == COORD
            && m.to == 1
            && m.kind == "prepare"
            && m.lost
            && !m.dead_end));
    }

    #[test]
    fn snapshot_shows_messages_in_flight() {
        let p = Params::default();
        let s = CommitSim::from_params(&p, 1);
        let snap = s.snapshot();
        assert_eq!(snap.msgs.len(), 3);
        assert!(snap
            .msgs
            .iter()
            .all(|m| m.kind == "prepare" && m.arrive > m.sent));
        assert!(!snap.nodes[0].up);
    }

    #[test]
    fn deterministic_and_small() {
        let p = Params::default();
        let a = serde_json::to_string(&TwoPhaseCommit::run(&p, 42)).unwrap();
        let b = serde_json::to_string(&TwoPhaseCommit::run(&p, 42)).unwrap();
        assert_eq!(a, b);
        assert!(a.len() < 20_000, "report is {} bytes", a.len());
    }

    #[test]
    fn batch_default_measures_the_difference() {
        let r = TwoPhaseCommit::run(&Params::default(), 3);
        let (two, pax) = (&r.batch[0], &r.batch[1]);
        for b in [two, pax] {
            assert_eq!(b.atomicity_violations, 0);
            assert_eq!(b.validity_violations, 0);
            assert_eq!(b.safety_violations, 0);
        }
        assert!(two.frac_blocked_over_x > pax.frac_blocked_over_x);
        assert!(two.p99_blocked_ms > pax.p99_blocked_ms);
    }

    #[test]
    fn garbage_is_clamped() {
        let pairs = vec![
            ("protocol".to_string(), "3pc".to_string()),
            ("participants".into(), "99".into()),
            ("acceptors_down".into(), "5".into()),
            ("f".into(), "0".into()),
            ("latency_ms".into(), "NaN".into()),
        ];
        let (p, notes) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!(p.protocol, "2pc");
        assert_eq!(p.participants, N_MAX);
        assert_eq!(p.acceptors_down, 1);
        assert!(!notes.is_empty());
        let _ = TwoPhaseCommit::run(&p, 1);
    }

    fn arb_params() -> impl Strategy<Value = Params> {
        (
            (
                0usize..2,
                2u32..=5,
                0u32..=2,
                0usize..4,
                0.0f64..1500.0,
                0usize..3,
            ),
            (
                0usize..4,
                0.0f64..800.0,
                0u32..=5,
                0.0f64..60.0,
                1.0f64..60.0,
                0.0f64..60.0,
                0.0f64..30.0,
            ),
            10.0f64..300.0,
        )
            .prop_map(
                |((pr, n, f, cr, cd, pc), (cut, pd, ad, pno, lat, jit, drop), to)| Params {
                    protocol: PROTOCOLS[pr].0.into(),
                    participants: n,
                    f,
                    crash: CRASHES[cr].0.into(),
                    coord_down_ms: cd,
                    part_crash: PART_CRASHES[pc].0.into(),
                    part_down_ms: pd,
                    acceptors_down: ad,
                    partition: CUTS[cut].0.into(),
                    p_no: pno,
                    latency_ms: lat,
                    jitter_ms: jit,
                    drop_pct: drop,
                    timeout_ms: to,
                    horizon_ms: 3000.0,
                    batch: 0,
                    crash_pct: 30.0,
                    block_x_ms: 200.0,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Atomicity, validity and Paxos safety under any crash/drop schedule and seed.
        #[test]
        fn atomic_valid_safe(p in arb_params(), seed in 0u64..1_000_000) {
            let (p, _) = validate(p);
            let sc = Scenario::from_params(&p, &mut Rng::derive(seed, "votes"));
            for pr in Protocol::ALL {
                let o = run_one(pr, &sc, seed);
                prop_assert!(o.atomic, "{:?} split: {:?}", pr, o);
                prop_assert!(o.valid, "{:?} committed over a no: {:?}", pr, o);
                prop_assert!(o.paxos_safe);
                if sc.votes.iter().any(|v| !v) {
                    prop_assert!(o.participants.iter().all(|q| q.outcome != "commit"));
                }
            }
        }

        /// Live faults at random times keep atomicity and safety too.
        #[test]
        fn live_faults_keep_safety(seed in 0u64..1_000_000, proto in 0usize..2,
                                   faults in proptest::collection::vec((0u8..9, 0.0f64..0.3, any::<bool>()), 0..8)) {
            let p = Params { protocol: PROTOCOLS[proto].0.into(), crash: "none".into(), drop_pct: 10.0, ..Params::default() };
            let mut s = CommitSim::from_params(&p, seed);
            for (node, t, up) in faults {
                if up { s.restart(node, t) } else { s.crash(node, t) }
            }
            s.run_to_end();
            let o = s.outcome();
            prop_assert!(o.atomic && o.valid && o.paxos_safe);
        }

        /// 2PC with the coordinator gone for good after prepare: the prepared never decide.
        /// Paxos Commit with at most F acceptors down: everyone decides, within a bound.
        #[test]
        fn blocking_vs_nonblocking(seed in 0u64..1_000_000, n in 2u32..=5, f in 0u32..=2,
                                   down in 0u32..=2, lat in 1.0f64..40.0, to in 20.0f64..200.0) {
            let p = Params {
                participants: n, f, acceptors_down: down.min(f), latency_ms: lat, jitter_ms: lat,
                timeout_ms: to, coord_down_ms: 0.0, crash: "after_prepare".into(), ..Params::default()
            };
            let sc = Scenario::from_params(&p, &mut Rng::new(seed));
            let two = run_one(Protocol::TwoPc, &sc, seed);
            for q in &two.participants {
                if q.vote == "yes" {
                    prop_assert_eq!(&q.outcome, "undecided");
                }
            }
            let pax = run_one(Protocol::Paxos, &sc, seed);
            let lat = pax.latency_ms;
            prop_assert!(lat.is_some(), "paxos undecided: {:?}", pax);
            prop_assert!(lat.unwrap_or(f64::MAX) < sc.horizon);
        }
    }
}
