//! # CAP under partition (book page 27): cut the cluster, then choose
//!
//! The book draws five replicas split 2 | 3 by a network partition and names the two choices:
//! keep consistency by refusing writes on the minority side, or keep availability by accepting
//! writes on both sides and reconciling later. Its "split-brain" vignette is the second choice
//! gone wrong: two data centres each accept posts for twelve minutes, and neither last-write-wins
//! nor merge-everything undoes the damage cleanly. (The theorem itself: Gilbert & Lynch, 2002,
//! "Brewer's conjecture and the feasibility of consistent, available, partition-tolerant web
//! services".)
//!
//! This model runs both choices as real protocols on the same client workload:
//!
//! - **CP** is Raft (Ongaro & Ousterhout, 2014): one leader appends every client operation
//!   (reads too, so reads are linearizable) to a log and answers only once a majority holds the
//!   entry; followers forward their clients' operations to it. Elections use randomised timeouts
//!   and a pre-vote round (Ongaro's thesis §9.6), so a cut-off minority cannot disrupt the
//!   majority when the partition heals. A client whose operation gets no answer within its
//!   timeout is refused.
//! - **AP** is leaderless and asynchronous, Dynamo-style: every replica acknowledges its own
//!   clients at once and pushes the new version to its peers; anti-entropy (a full exchange
//!   with one peer a second, and across the cut at the moment it heals) repairs what the
//!   partition dropped. Conflicts between concurrent versions are resolved by
//!   **last-write-wins** (highest wall-clock timestamp, which a skewed clock corrupts) or kept
//!   as **siblings** for the user to resolve.
//!
//! The data is a small social store: each key is one user's timeline, a list of post ids. A
//! write is "add a post": read the timeline at the replica, append the post, write it back.
//! Because every version's list contains the post that created it, one version causally
//! follows another exactly when its list contains the other's post, so lost updates are exact:
//! an acknowledged post that is in no final version was lost.
//!
//! Faults: the partition (`split` nodes on the left of the cut, from `part_start` to `heal`,
//! both ways or one way only), message drops, clock skew on the left side; and, while a run
//! plays, [`CapSim::crash`], [`CapSim::restart`], [`CapSim::move_node`] and [`CapSim::set_cut`].
//!
//! ```
//! use sim::model::Model;
//! use sim::models::cap_partition::{CapPartition, Params};
//! let r = CapPartition::run(&Params::default(), 1);
//! // CP, 2 | 3 split: the minority refuses everything, the majority answers everything
//! assert_eq!(r.avail_left, Some(0.0));
//! assert_eq!(r.avail_right, Some(1.0));
//! assert_eq!(r.lost_updates, 0);
//! assert!(r.converged);
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::rc::Rc;

/// The CAP-under-partition model.
pub struct CapPartition;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// Most replicas.
pub const MAX_NODES: u32 = 7;
const MIN_NODES: u32 = 3;

/// The knobs. Defaults are the book's picture: five replicas, A and B cut off from C, D, E.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Replicas (3–7), named A, B, C, …
    pub nodes: u32,
    /// `cp` (Raft: majority or nothing) or `ap` (every replica accepts, reconcile later).
    pub mode: String,
    /// How many replicas (A, B, …) sit on the left of the cut; 0 = no partition.
    pub split: u32,
    /// `both` (nothing crosses), `left-out` (only left → right gets through) or `right-out`.
    pub cut: String,
    /// When the partition starts, in seconds.
    pub part_start: f64,
    /// When it heals, in seconds.
    pub heal: f64,
    /// AP conflict resolution: `lww` (last write wins) or `siblings` (keep both).
    pub resolve: String,
    /// Client operations per second at each replica (Poisson).
    pub rate: f64,
    /// Share of operations that are reads, in percent.
    pub read_pct: f64,
    /// Keys (user timelines).
    pub keys: u32,
    /// Mean one-way network latency, in ms (each message ±20 %).
    pub latency_ms: f64,
    /// Share of messages lost at random, in percent.
    pub drop_pct: f64,
    /// How far the left side's clocks run ahead of the right side's, in ms (negative: behind).
    pub skew_ms: f64,
    /// Seconds of client traffic.
    pub duration: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 5,
            mode: "cp".into(),
            split: 2,
            cut: "both".into(),
            part_start: 8.0,
            heal: 20.0,
            resolve: "lww".into(),
            rate: 4.0,
            read_pct: 50.0,
            keys: 20,
            latency_ms: 20.0,
            drop_pct: 0.0,
            skew_ms: 0.0,
            duration: 30.0,
        }
    }
}

const DURATION_MAX: f64 = 120.0;

static KNOBS: &[Knob] = &[
    Knob {
        key: "nodes",
        label: "Replicas",
        unit: "",
        help: "How many replicas hold the data (A, B, C, …).",
        kind: KnobKind::Int { min: MIN_NODES as i64, max: MAX_NODES as i64, log: false },
    },
    Knob {
        key: "mode",
        label: "Choice under partition",
        unit: "",
        help: "CP: Raft, a write needs a majority. AP: every replica accepts and replicates later.",
        kind: KnobKind::Choice {
            options: &[("cp", "CP: Raft majority"), ("ap", "AP: accept everywhere")],
        },
    },
    Knob {
        key: "split",
        label: "Replicas left of the cut",
        unit: "",
        help: "The first this-many replicas (A, B, …) are cut off from the rest; 0 means no partition.",
        kind: KnobKind::Int { min: 0, max: (MAX_NODES - 1) as i64, log: false },
    },
    Knob {
        key: "cut",
        label: "Which way the cut blocks",
        unit: "",
        help: "A one-way partition lets messages through in one direction only.",
        kind: KnobKind::Choice {
            options: &[("both", "Both ways"), ("left-out", "Only left → right"), ("right-out", "Only right → left")],
        },
    },
    Knob {
        key: "part_start",
        label: "Partition starts at",
        unit: "s",
        help: "When the network splits.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.5, log: false },
    },
    Knob {
        key: "heal",
        label: "Partition heals at",
        unit: "s",
        help: "When the network is whole again (at the latest, the end of the traffic).",
        kind: KnobKind::Float { min: 0.5, max: DURATION_MAX, step: 0.5, log: false },
    },
    Knob {
        key: "resolve",
        label: "AP: resolve conflicts by",
        unit: "",
        help: "Last write wins keeps the version with the highest timestamp; siblings keeps every concurrent version for the user.",
        kind: KnobKind::Choice {
            options: &[("lww", "Last write wins"), ("siblings", "Keep siblings")],
        },
    },
    Knob {
        key: "rate",
        label: "Client operations per replica",
        unit: "ops/s",
        help: "Reads and writes issued by the clients of each replica, at random moments.",
        kind: KnobKind::Float { min: 0.5, max: 10.0, step: 0.5, log: false },
    },
    Knob {
        key: "read_pct",
        label: "Reads",
        unit: "%",
        help: "The share of operations that read a timeline; the rest add a post.",
        kind: KnobKind::Float { min: 0.0, max: 90.0, step: 5.0, log: false },
    },
    Knob {
        key: "keys",
        label: "User timelines (keys)",
        unit: "",
        help: "Fewer keys means more writes race on the same timeline.",
        kind: KnobKind::Int { min: 5, max: 200, log: true },
    },
    Knob {
        key: "latency_ms",
        label: "Network latency",
        unit: "ms",
        help: "Mean one-way delay of a message; Raft's timeouts scale with it.",
        kind: KnobKind::Float { min: 1.0, max: 500.0, step: 1.0, log: true },
    },
    Knob {
        key: "drop_pct",
        label: "Messages dropped",
        unit: "%",
        help: "Each message is lost with this probability, partition or not.",
        kind: KnobKind::Float { min: 0.0, max: 30.0, step: 1.0, log: false },
    },
    Knob {
        key: "skew_ms",
        label: "Left side's clock skew",
        unit: "ms",
        help: "The left replicas' clocks run this far ahead (negative: behind). Only last-write-wins reads clocks.",
        kind: KnobKind::Float { min: -10_000.0, max: 10_000.0, step: 100.0, log: false },
    },
    Knob {
        key: "duration",
        label: "Traffic for",
        unit: "s",
        help: "Seconds of client operations; the run then drains and checks that replicas agree.",
        kind: KnobKind::Float { min: 5.0, max: DURATION_MAX, step: 1.0, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// The cut must leave someone on each side; the partition must start before it heals, and
    /// heal by the end of the traffic.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.split >= self.nodes {
            let s = self.nodes - 1;
            notices.push(Notice::new(
                "split",
                format!(
                    "with {} replicas at most {s} can be left of the cut; using {s}",
                    self.nodes
                ),
            ));
            self.split = s;
        }
        if self.heal > self.duration {
            notices.push(Notice::new(
                "heal",
                format!(
                    "the partition must heal by the end of the traffic; healing at {} s",
                    self.duration
                ),
            ));
            self.heal = self.duration;
        }
        if self.part_start >= self.heal {
            let s = (self.heal - 0.5).max(0.0);
            notices.push(Notice::new(
                "part_start",
                format!("the partition must start before it heals; starting at {s} s"),
            ));
            self.part_start = s;
        }
    }
}

impl Params {
    /// A copy forced into range (for params that skipped validation): never panics downstream.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let nodes = self.nodes.clamp(MIN_NODES, MAX_NODES);
        let duration = f(self.duration, 5.0, DURATION_MAX, d.duration);
        let heal = f(self.heal, 0.5, duration, d.heal.min(duration));
        let part_start = f(self.part_start, 0.0, (heal - 0.5).max(0.0), 0.0);
        let pick = |s: &str, opts: &[&str]| {
            if opts.contains(&s) {
                s.to_string()
            } else {
                opts[0].to_string()
            }
        };
        Params {
            nodes,
            mode: pick(&self.mode, &["cp", "ap"]),
            split: self.split.min(nodes - 1),
            cut: pick(&self.cut, &["both", "left-out", "right-out"]),
            part_start,
            heal,
            resolve: pick(&self.resolve, &["lww", "siblings"]),
            rate: f(self.rate, 0.5, 10.0, d.rate),
            read_pct: f(self.read_pct, 0.0, 90.0, d.read_pct),
            keys: self.keys.clamp(5, 200),
            latency_ms: f(self.latency_ms, 1.0, 500.0, d.latency_ms),
            drop_pct: f(self.drop_pct, 0.0, 30.0, 0.0),
            skew_ms: f(self.skew_ms, -10_000.0, 10_000.0, 0.0),
            duration,
        }
    }

    /// The split in the book's notation, e.g. `AB|CDE` (`ABCDE` when there is no cut).
    pub fn split_label(&self) -> String {
        let p = self.sanitised();
        let mut s = String::new();
        for i in 0..p.nodes {
            if p.split > 0 && i == p.split {
                s.push('|');
            }
            s.push(node_name(i as u8));
        }
        s
    }
}

/// A replica's letter: 0 → A.
pub fn node_name(i: u8) -> char {
    char::from(b'A' + i.min(25))
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// The two protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Raft: majority or refuse.
    Cp,
    /// Accept everywhere, last write wins.
    ApLww,
    /// Accept everywhere, keep siblings.
    ApSiblings,
}

impl Mode {
    fn of(p: &Params) -> Mode {
        match (p.mode.as_str(), p.resolve.as_str()) {
            ("cp", _) => Mode::Cp,
            (_, "siblings") => Mode::ApSiblings,
            _ => Mode::ApLww,
        }
    }
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Cp => "CP (Raft)",
            Mode::ApLww => "AP + last write wins",
            Mode::ApSiblings => "AP + siblings",
        }
    }
}

/// What a message in flight is, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgKind {
    /// A follower passes its client's operation to the leader.
    Forward,
    /// Raft log entries (or an empty heartbeat).
    Append,
    /// A reply to an append, a vote or an operation.
    Reply,
    /// A (pre-)vote request.
    Vote,
    /// AP: a new version pushed to a peer.
    Replicate,
    /// AP: anti-entropy, a replica's whole state.
    Sync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Follower,
    Candidate,
    Leader,
}

const NOOP: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    term: u32,
    op: u32,
}

/// One AP version of a timeline: the post list, the write that made it, its wall-clock stamp.
#[derive(Clone, Debug)]
struct Version {
    op: u32,
    node: u8,
    ts: f64,
    posts: Rc<[u32]>,
}

impl Version {
    /// `self` causally includes `other`: its list holds the post that created `other`.
    fn covers(&self, other: &Version) -> bool {
        self.op == other.op || self.posts.binary_search(&other.op).is_ok()
    }
    /// Last-write-wins order: timestamp, then replica, then write (a total order, so every
    /// replica picks the same winner whatever order versions arrive in).
    fn lww_beats(&self, other: &Version) -> bool {
        self.ts
            .total_cmp(&other.ts)
            .then(self.node.cmp(&other.node))
            .then(self.op.cmp(&other.op))
            == Ordering::Greater
    }
}

#[derive(Clone, Debug)]
enum Body {
    Forward {
        op: u32,
    },
    Append {
        term: u32,
        prev_idx: u32,
        prev_term: u32,
        entries: Vec<Entry>,
        commit: u32,
    },
    AppendResp {
        term: u32,
        ok: bool,
        idx: u32,
    },
    PreVote {
        term: u32,
        last_idx: u32,
        last_term: u32,
    },
    PreVoteResp {
        term: u32,
        granted: bool,
    },
    Vote {
        term: u32,
        last_idx: u32,
        last_term: u32,
    },
    VoteResp {
        term: u32,
        granted: bool,
    },
    Reply {
        op: u32,
        ok: bool,
    },
    Replicate {
        key: u32,
        v: Version,
    },
    Sync {
        state: Vec<(u32, Vec<Version>)>,
        reply: bool,
    },
}

impl Body {
    fn kind(&self) -> MsgKind {
        match self {
            Body::Forward { .. } => MsgKind::Forward,
            Body::Append { .. } => MsgKind::Append,
            Body::PreVote { .. } | Body::Vote { .. } => MsgKind::Vote,
            Body::AppendResp { .. }
            | Body::PreVoteResp { .. }
            | Body::VoteResp { .. }
            | Body::Reply { .. } => MsgKind::Reply,
            Body::Replicate { .. } => MsgKind::Replicate,
            Body::Sync { .. } => MsgKind::Sync,
        }
    }
}

#[derive(Clone, Debug)]
struct Msg {
    from: u8,
    to: u8,
    sent: f64,
    arrive: f64,
    lost: bool,
    body: Body,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Op { node: u8 },
    Deliver { slot: u32 },
    OpTimeout { op: u32 },
    Heartbeat { node: u8, term: u32 },
    Election { node: u8 },
    AeTick,
    Sample,
    Cut { active: bool },
    Crash { node: u8 },
    Restart { node: u8 },
    Move { node: u8 },
}

/// A scheduled event (earliest first, ties in scheduling order).
type Event = Scheduled<Ev>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Pending,
    Acked,
    Refused,
}

#[derive(Clone, Copy, Debug)]
struct OpRec {
    node: u8,
    side: u8,
    key: u32,
    write: bool,
    t: f64,
    t_done: f64,
    outcome: Outcome,
}

#[derive(Clone, Debug)]
struct Node {
    side: u8,
    crashed: bool,
    skew: f64,
    // Raft
    role: Role,
    term: u32,
    voted_for: Option<u8>,
    leader: Option<u8>,
    log: Vec<Entry>,
    commit: u32,
    applied: u32,
    kv: Vec<u32>,
    votes: u32,
    prevotes: u32,
    next_idx: [u32; MAX_NODES as usize],
    match_idx: [u32; MAX_NODES as usize],
    deadline: f64,
    last_heard: f64,
    // AP
    store: Vec<Vec<Version>>,
}

impl Node {
    fn last(&self) -> (u32, u32) {
        (self.log.last().map_or(0, |e| e.term), self.log.len() as u32)
    }
}

/// Operations per one-second bucket on each side of the cut.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start of the second.
    pub t: f64,
    /// Left side: operations acknowledged.
    pub ok_left: u32,
    /// Left side: operations refused.
    pub refused_left: u32,
    /// Right side: acknowledged.
    pub ok_right: u32,
    /// Right side: refused.
    pub refused_right: u32,
}

/// How far the replicas disagree at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds.
    pub t: f64,
    /// Keys not identical on every running replica (behind or conflicting).
    pub differ: u32,
    /// Keys holding concurrent versions somewhere: writes that neither side has seen of the other.
    pub conflicting: u32,
}

/// One message in flight, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flight {
    /// Sender.
    pub from: u8,
    /// Receiver.
    pub to: u8,
    /// What it is.
    pub kind: MsgKind,
    /// When it left, seconds.
    pub sent: f64,
    /// When it lands, seconds.
    pub arrive: f64,
    /// It will not arrive (the cut, or a random drop).
    pub lost: bool,
}

/// One replica, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeSnap {
    /// 0 = left of the cut, 1 = right.
    pub side: u8,
    /// Crashed.
    pub crashed: bool,
    /// `leader`, `candidate`, `follower` (CP) or `replica` (AP).
    pub role: String,
    /// Raft term (CP).
    pub term: u32,
    /// Posts this replica holds (committed, for CP).
    pub posts: u32,
    /// Keys where this replica differs from the others.
    pub differs: u32,
}

/// A live picture of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Seconds.
    pub t: f64,
    /// The replicas.
    pub nodes: Vec<NodeSnap>,
    /// The partition is in force.
    pub cut: bool,
    /// `both`, `left-out`, `right-out`.
    pub direction: String,
    /// Messages in flight (at most 120).
    pub flights: Vec<Flight>,
    /// Operations so far: acknowledged / refused, left and right.
    pub ok_left: u32,
    /// Refused on the left.
    pub refused_left: u32,
    /// Acknowledged on the right.
    pub ok_right: u32,
    /// Refused on the right.
    pub refused_right: u32,
    /// Keys in conflict now.
    pub conflicting: u32,
    /// Keys not identical everywhere now.
    pub differ: u32,
}

/// The step-able simulation of one protocol.
#[derive(Debug)]
pub struct CapSim {
    mode: Mode,
    n: u8,
    keys: u32,
    rate: f64,
    read_p: f64,
    lat: f64,
    drop_p: f64,
    duration: f64,
    end: f64,
    part_start: f64,
    heal: f64,
    partitioned: bool,
    elect_min: f64,
    hb: f64,
    client_timeout: f64,
    direction: u8,
    cut: bool,
    now: f64,
    seq: u64,
    events: BinaryHeap<Event>,
    msgs: Vec<Option<Msg>>,
    free: Vec<u32>,
    last_arrival: [[f64; MAX_NODES as usize]; MAX_NODES as usize],
    nodes: Vec<Node>,
    ops: Vec<OpRec>,
    rng_ops: Rng,
    rng_net: Rng,
    rng_elect: Rng,
    ae_round: u32,
    conflict_sets: BTreeSet<Vec<u32>>,
    clock_beaten: BTreeMap<u32, Rc<[u32]>>,
    buckets: Vec<Bucket>,
    samples: Vec<Sample>,
    sample_dt: f64,
    elections: u32,
    messages: u64,
    dropped: u64,
}

fn majority(n: u8) -> u32 {
    u32::from(n) / 2 + 1
}

impl CapSim {
    /// A fresh run of `p` with `seed`, in the protocol the params choose.
    pub fn new(p: &Params, seed: u64) -> CapSim {
        let p = p.sanitised();
        CapSim::with_mode(&p, seed, Mode::of(&p))
    }

    /// A fresh run of `p` with `seed` in protocol `mode` (same workload whatever the mode).
    pub fn with_mode(p: &Params, seed: u64, mode: Mode) -> CapSim {
        let p = p.sanitised();
        let n = p.nodes as u8;
        let lat = p.latency_ms / 1000.0;
        let elect_min = (10.0 * lat).max(0.3);
        let client_timeout = (2.5 * elect_min).max(1.0);
        let end = p.duration + client_timeout + 2.0 * elect_min + 1.0 + 4.0 * lat;
        let mut rng_elect = Rng::derive(seed, "elections");
        let leader = n - 1;
        let nodes: Vec<Node> = (0..n)
            .map(|i| {
                let side = u8::from(p.split > 0 && u32::from(i) >= p.split);
                let side = if p.split == 0 { 1 } else { side };
                Node {
                    side,
                    crashed: false,
                    skew: if side == 0 { p.skew_ms / 1000.0 } else { 0.0 },
                    role: if i == leader {
                        Role::Leader
                    } else {
                        Role::Follower
                    },
                    term: 1,
                    voted_for: Some(leader),
                    leader: Some(leader),
                    log: Vec::new(),
                    commit: 0,
                    applied: 0,
                    kv: vec![NOOP; p.keys as usize],
                    votes: 0,
                    prevotes: 0,
                    next_idx: [0; MAX_NODES as usize],
                    match_idx: [0; MAX_NODES as usize],
                    deadline: elect_min * (1.0 + rng_elect.uniform()),
                    last_heard: 0.0,
                    store: vec![Vec::new(); p.keys as usize],
                }
            })
            .collect();
        let sample_dt = end / 120.0;
        let mut s = CapSim {
            mode,
            n,
            keys: p.keys,
            rate: p.rate,
            read_p: p.read_pct / 100.0,
            lat,
            drop_p: p.drop_pct / 100.0,
            duration: p.duration,
            end,
            part_start: p.part_start,
            heal: p.heal,
            partitioned: p.split > 0,
            elect_min,
            hb: elect_min / 2.0,
            client_timeout,
            direction: match p.cut.as_str() {
                "left-out" => 1,
                "right-out" => 2,
                _ => 0,
            },
            cut: false,
            now: 0.0,
            seq: 0,
            events: BinaryHeap::new(),
            msgs: Vec::new(),
            free: Vec::new(),
            last_arrival: [[0.0; MAX_NODES as usize]; MAX_NODES as usize],
            nodes,
            ops: Vec::new(),
            rng_ops: Rng::derive(seed, "ops"),
            rng_net: Rng::derive(seed, "network"),
            rng_elect,
            ae_round: 0,
            conflict_sets: BTreeSet::new(),
            clock_beaten: BTreeMap::new(),
            buckets: (0..p.duration.ceil() as u32)
                .map(|i| Bucket {
                    t: f64::from(i),
                    ..Bucket::default()
                })
                .collect(),
            samples: Vec::new(),
            sample_dt,
            elections: 0,
            messages: 0,
            dropped: 0,
        };
        // the workload: one Poisson stream per replica, the same draws in every mode
        for i in 0..n {
            let t = s.rng_ops.exp(1.0 / s.rate);
            s.push(t, Ev::Op { node: i });
        }
        if p.split > 0 {
            s.push(p.part_start, Ev::Cut { active: true });
            s.push(p.heal, Ev::Cut { active: false });
        }
        s.push(0.0, Ev::Sample);
        match mode {
            Mode::Cp => {
                s.push(
                    0.0,
                    Ev::Heartbeat {
                        node: leader,
                        term: 1,
                    },
                );
                for i in 0..n {
                    let d = s.nodes[i as usize].deadline;
                    s.push(d, Ev::Election { node: i });
                }
            }
            _ => s.push(1.0, Ev::AeTick),
        }
        s
    }

    fn push(&mut self, time: f64, ev: Ev) {
        self.seq += 1;
        self.events.push(Scheduled {
            time,
            seq: self.seq,
            item: ev,
        });
    }

    /// The cut blocks a message from `a` to `b` now.
    fn blocked(&self, a: u8, b: u8) -> bool {
        let (sa, sb) = (self.nodes[a as usize].side, self.nodes[b as usize].side);
        if !self.cut || sa == sb {
            return false;
        }
        match self.direction {
            1 => sa != 0,
            2 => sa != 1,
            _ => true,
        }
    }

    fn send(&mut self, from: u8, to: u8, body: Body) {
        if self.now > self.end {
            return;
        }
        self.messages += 1;
        let lost = self.blocked(from, to)
            || self.nodes[to as usize].crashed
            || (self.drop_p > 0.0 && self.rng_net.chance(self.drop_p));
        let jitter = self.lat * (0.8 + 0.4 * self.rng_net.uniform());
        // links are FIFO (as over TCP): never overtake the previous message on this link
        let cell = &mut self.last_arrival[from as usize][to as usize];
        let arrive = (self.now + jitter).max(*cell);
        *cell = arrive;
        // a message the cut will eat carries no payload worth copying
        let body = if lost {
            match body {
                Body::Append {
                    term,
                    prev_idx,
                    prev_term,
                    commit,
                    ..
                } => Body::Append {
                    term,
                    prev_idx,
                    prev_term,
                    entries: Vec::new(),
                    commit,
                },
                Body::Sync { reply, .. } => Body::Sync {
                    state: Vec::new(),
                    reply,
                },
                b => b,
            }
        } else {
            body
        };
        let m = Msg {
            from,
            to,
            sent: self.now,
            arrive,
            lost,
            body,
        };
        let slot = match self.free.pop() {
            Some(i) => {
                self.msgs[i as usize] = Some(m);
                i
            }
            None => {
                self.msgs.push(Some(m));
                (self.msgs.len() - 1) as u32
            }
        };
        self.push(arrive, Ev::Deliver { slot });
    }

    fn finish(&mut self, op: u32, ok: bool) {
        let r = &mut self.ops[op as usize];
        if r.outcome != Outcome::Pending {
            return;
        }
        r.outcome = if ok { Outcome::Acked } else { Outcome::Refused };
        r.t_done = self.now;
        let (side, t) = (r.side, r.t);
        if let Some(b) = self.buckets.get_mut(t as usize) {
            match (side, ok) {
                (0, true) => b.ok_left += 1,
                (0, false) => b.refused_left += 1,
                (_, true) => b.ok_right += 1,
                (_, false) => b.refused_right += 1,
            }
        }
    }

    // ----- client operations ------------------------------------------------------------------

    fn on_op(&mut self, x: u8) {
        let t = self.now;
        let next = t + self.rng_ops.exp(1.0 / self.rate);
        let key = self.rng_ops.below(u64::from(self.keys)) as u32;
        let write = !self.rng_ops.chance(self.read_p);
        if next < self.duration {
            self.push(next, Ev::Op { node: x });
        }
        let op = self.ops.len() as u32;
        let node = &self.nodes[x as usize];
        self.ops.push(OpRec {
            node: x,
            side: node.side,
            key,
            write,
            t,
            t_done: t,
            outcome: Outcome::Pending,
        });
        if node.crashed {
            self.finish(op, false);
            return;
        }
        match self.mode {
            Mode::Cp => {
                let (role, leader) = (node.role, node.leader);
                if role == Role::Leader {
                    self.leader_append(x, op);
                } else if let Some(l) = leader {
                    self.send(x, l, Body::Forward { op });
                } else {
                    self.finish(op, false);
                    return;
                }
                self.push(t + self.client_timeout, Ev::OpTimeout { op });
            }
            _ => {
                if write {
                    self.ap_write(x, key, op);
                }
                self.finish(op, true);
            }
        }
    }

    // ----- AP ---------------------------------------------------------------------------------

    fn ap_write(&mut self, x: u8, key: u32, op: u32) {
        let node = &mut self.nodes[x as usize];
        let slot = &mut node.store[key as usize];
        // read-modify-write: the client reads the timeline here (merging any siblings) and adds
        // its post; op ids grow with time, so the list stays sorted
        let mut posts: Vec<u32> = match slot.len() {
            0 => Vec::new(),
            1 => slot[0].posts.to_vec(),
            _ => {
                let mut all: Vec<u32> = slot.iter().flat_map(|v| v.posts.iter().copied()).collect();
                crate::sort::sort(&mut all);
                all.dedup();
                all
            }
        };
        posts.push(op);
        let v = Version {
            op,
            node: x,
            ts: self.now + node.skew,
            posts: posts.into(),
        };
        match self.mode {
            // as in Cassandra: a write whose timestamp is older than the stored one is
            // acknowledged and silently loses
            Mode::ApLww => {
                if slot.first().is_none_or(|s| v.lww_beats(s)) {
                    *slot = vec![v.clone()];
                } else {
                    // newer in real time, older by a skewed clock: lost on the spot
                    self.clock_beaten.insert(v.op, v.posts.clone());
                }
            }
            _ => *slot = vec![v.clone()],
        }
        for peer in 0..self.n {
            if peer != x {
                self.send(x, peer, Body::Replicate { key, v: v.clone() });
            }
        }
    }

    fn merge(&mut self, x: u8, key: u32, v: Version) {
        let mode = self.mode;
        let slot = &mut self.nodes[x as usize].store[key as usize];
        match mode {
            Mode::ApLww => match slot.first() {
                None => slot.push(v),
                Some(s) => {
                    let t = |op: u32| self.ops[op as usize].t;
                    // the timestamp order contradicts real time: the clock picks the winner
                    if v.lww_beats(s) {
                        if t(s.op) > t(v.op) && !v.covers(s) {
                            self.clock_beaten.insert(s.op, s.posts.clone());
                        }
                        slot[0] = v;
                    } else if t(v.op) > t(s.op) && !s.covers(&v) {
                        self.clock_beaten.insert(v.op, v.posts.clone());
                    }
                }
            },
            _ => {
                if slot.iter().any(|s| s.covers(&v)) {
                    return;
                }
                slot.retain(|s| !v.covers(s));
                let at = slot.partition_point(|s| s.op < v.op);
                slot.insert(at, v);
                if slot.len() > 1 {
                    let set: Vec<u32> = slot.iter().map(|s| s.op).collect();
                    self.conflict_sets.insert(set);
                }
            }
        }
    }

    fn state_of(&self, x: u8) -> Vec<(u32, Vec<Version>)> {
        self.nodes[x as usize]
            .store
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k as u32, v.clone()))
            .collect()
    }

    fn sync_to(&mut self, from: u8, to: u8, reply: bool) {
        let state = if self.blocked(from, to) {
            Vec::new()
        } else {
            self.state_of(from)
        };
        self.send(from, to, Body::Sync { state, reply });
    }

    // ----- Raft -------------------------------------------------------------------------------

    fn leader_append(&mut self, l: u8, op: u32) {
        let node = &mut self.nodes[l as usize];
        node.log.push(Entry {
            term: node.term,
            op,
        });
        let len = node.log.len() as u32;
        for f in 0..self.n {
            if f != l && self.nodes[l as usize].next_idx[f as usize] == len - 1 {
                self.send_append(l, f);
            }
        }
    }

    fn send_append(&mut self, l: u8, f: u8) {
        let blocked = self.blocked(l, f);
        let node = &mut self.nodes[l as usize];
        let next = node.next_idx[f as usize].min(node.log.len() as u32);
        let prev_term = if next == 0 {
            0
        } else {
            node.log[next as usize - 1].term
        };
        let entries: Vec<Entry> = if blocked {
            Vec::new()
        } else {
            node.log[next as usize..].to_vec()
        };
        let (term, commit) = (node.term, node.commit);
        node.next_idx[f as usize] = node.log.len() as u32;
        self.send(
            l,
            f,
            Body::Append {
                term,
                prev_idx: next,
                prev_term,
                entries,
                commit,
            },
        );
    }

    fn step_down(&mut self, x: u8, term: u32) {
        let node = &mut self.nodes[x as usize];
        if term > node.term {
            node.term = term;
            node.voted_for = None;
            if node.role != Role::Follower {
                node.role = Role::Follower;
                node.leader = None;
                let d = self.now + self.elect_min * (1.0 + self.rng_elect.uniform());
                self.nodes[x as usize].deadline = d;
            }
        }
    }

    fn reset_timer(&mut self, x: u8) {
        let d = self.now + self.elect_min * (1.0 + self.rng_elect.uniform());
        let node = &mut self.nodes[x as usize];
        node.deadline = d;
        node.last_heard = self.now;
    }

    fn apply(&mut self, x: u8) {
        let node = &mut self.nodes[x as usize];
        while node.applied < node.commit {
            let e = node.log[node.applied as usize];
            if e.op != NOOP {
                let r = &self.ops[e.op as usize];
                if r.write {
                    node.kv[r.key as usize] = e.op;
                }
            }
            node.applied += 1;
        }
    }

    fn maybe_commit(&mut self, l: u8) {
        let node = &self.nodes[l as usize];
        let mut m: Vec<u32> = (0..self.n)
            .map(|i| {
                if i == l {
                    node.log.len() as u32
                } else {
                    node.match_idx[i as usize]
                }
            })
            .collect();
        crate::sort::sort_by(&mut m, |a, b| b.cmp(a));
        let n_idx = m[majority(self.n) as usize - 1];
        if n_idx <= node.commit || node.log[n_idx as usize - 1].term != node.term {
            return;
        }
        let old = node.commit;
        let done: Vec<u32> = node.log[old as usize..n_idx as usize]
            .iter()
            .filter(|e| e.op != NOOP)
            .map(|e| e.op)
            .collect();
        self.nodes[l as usize].commit = n_idx;
        self.apply(l);
        for op in done {
            if self.ops[op as usize].outcome != Outcome::Pending {
                continue;
            }
            let origin = self.ops[op as usize].node;
            if origin == l {
                self.finish(op, true);
            } else {
                self.send(l, origin, Body::Reply { op, ok: true });
            }
        }
    }

    fn become_leader(&mut self, x: u8) {
        self.elections += 1;
        let n = self.n;
        let node = &mut self.nodes[x as usize];
        node.role = Role::Leader;
        node.leader = Some(x);
        let len = node.log.len() as u32;
        node.next_idx = [len; MAX_NODES as usize];
        node.match_idx = [0; MAX_NODES as usize];
        node.log.push(Entry {
            term: node.term,
            op: NOOP,
        });
        let term = node.term;
        for f in 0..n {
            if f != x {
                self.send_append(x, f);
            }
        }
        let t = self.now + self.hb;
        self.push(t, Ev::Heartbeat { node: x, term });
    }

    fn on_election(&mut self, x: u8) {
        // one timer chain per replica, kept alive while it leads or is down
        let node = &self.nodes[x as usize];
        if self.now > self.end {
            return;
        }
        if node.crashed || node.role == Role::Leader {
            let t = self.now + self.elect_min;
            self.push(t, Ev::Election { node: x });
            return;
        }
        if self.now < node.deadline {
            let d = node.deadline;
            self.push(d, Ev::Election { node: x });
            return;
        }
        // pre-vote: ask first whether a majority would vote, without raising the term
        let (last_term, last_idx) = node.last();
        let term = node.term + 1;
        self.nodes[x as usize].prevotes = 1 << x;
        self.nodes[x as usize].leader = None;
        for peer in 0..self.n {
            if peer != x {
                self.send(
                    x,
                    peer,
                    Body::PreVote {
                        term,
                        last_idx,
                        last_term,
                    },
                );
            }
        }
        let d = self.now + self.elect_min * (1.0 + self.rng_elect.uniform());
        self.nodes[x as usize].deadline = d;
        self.push(d, Ev::Election { node: x });
    }

    fn up_to_date(&self, x: u8, last_term: u32, last_idx: u32) -> bool {
        let (t, i) = self.nodes[x as usize].last();
        (last_term, last_idx) >= (t, i)
    }

    fn on_raft(&mut self, from: u8, to: u8, body: Body) {
        match body {
            Body::Forward { op } => {
                if self.nodes[to as usize].role == Role::Leader {
                    self.leader_append(to, op);
                } else {
                    self.send(to, from, Body::Reply { op, ok: false });
                }
            }
            Body::Reply { op, ok } => self.finish(op, ok),
            Body::Append {
                term,
                prev_idx,
                prev_term,
                entries,
                commit,
            } => {
                if term < self.nodes[to as usize].term {
                    let (t, c) = (self.nodes[to as usize].term, self.nodes[to as usize].commit);
                    self.send(
                        to,
                        from,
                        Body::AppendResp {
                            term: t,
                            ok: false,
                            idx: c,
                        },
                    );
                    return;
                }
                self.step_down(to, term);
                self.reset_timer(to);
                let node = &mut self.nodes[to as usize];
                node.role = Role::Follower;
                node.leader = Some(from);
                let ok = prev_idx as usize <= node.log.len()
                    && (prev_idx == 0 || node.log[prev_idx as usize - 1].term == prev_term);
                if !ok {
                    let c = node.commit;
                    self.send(
                        to,
                        from,
                        Body::AppendResp {
                            term,
                            ok: false,
                            idx: c,
                        },
                    );
                    return;
                }
                for (i, e) in entries.iter().enumerate() {
                    let idx = prev_idx as usize + i;
                    if idx < node.log.len() {
                        if node.log[idx].term != e.term {
                            node.log.truncate(idx);
                            node.log.push(*e);
                        }
                    } else {
                        node.log.push(*e);
                    }
                }
                let matched = prev_idx + entries.len() as u32;
                let c = commit.min(matched);
                if c > node.commit {
                    node.commit = c;
                }
                self.apply(to);
                self.send(
                    to,
                    from,
                    Body::AppendResp {
                        term,
                        ok: true,
                        idx: matched,
                    },
                );
            }
            Body::AppendResp { term, ok, idx } => {
                if term > self.nodes[to as usize].term {
                    self.step_down(to, term);
                    return;
                }
                let node = &mut self.nodes[to as usize];
                if node.role != Role::Leader || term != node.term {
                    return;
                }
                let f = from as usize;
                if ok {
                    node.match_idx[f] = node.match_idx[f].max(idx);
                    self.maybe_commit(to);
                } else {
                    node.next_idx[f] = idx.min(node.log.len() as u32);
                    self.send_append(to, from);
                }
            }
            Body::PreVote {
                term,
                last_idx,
                last_term,
            } => {
                let node = &self.nodes[to as usize];
                let quiet = node.role != Role::Leader
                    && (node.leader.is_none() || self.now - node.last_heard >= self.elect_min);
                let granted = quiet && term > node.term && self.up_to_date(to, last_term, last_idx);
                self.send(to, from, Body::PreVoteResp { term, granted });
            }
            Body::PreVoteResp { term, granted } => {
                let node = &mut self.nodes[to as usize];
                if !granted
                    || node.role == Role::Leader
                    || term != node.term + 1
                    || node.prevotes == 0
                {
                    return;
                }
                node.prevotes |= 1 << from;
                if node.prevotes.count_ones() >= majority(self.n) {
                    node.prevotes = 0;
                    node.term += 1;
                    node.role = Role::Candidate;
                    node.voted_for = Some(to);
                    node.votes = 1 << to;
                    node.leader = None;
                    let (last_term, last_idx) = node.last();
                    let term = node.term;
                    for peer in 0..self.n {
                        if peer != to {
                            self.send(
                                to,
                                peer,
                                Body::Vote {
                                    term,
                                    last_idx,
                                    last_term,
                                },
                            );
                        }
                    }
                }
            }
            Body::Vote {
                term,
                last_idx,
                last_term,
            } => {
                self.step_down(to, term);
                let node = &self.nodes[to as usize];
                let granted = term == node.term
                    && node.voted_for.is_none_or(|v| v == from)
                    && self.up_to_date(to, last_term, last_idx);
                if granted {
                    self.nodes[to as usize].voted_for = Some(from);
                    self.reset_timer(to);
                }
                let t = self.nodes[to as usize].term;
                self.send(to, from, Body::VoteResp { term: t, granted });
            }
            Body::VoteResp { term, granted } => {
                if term > self.nodes[to as usize].term {
                    self.step_down(to, term);
                    return;
                }
                let node = &mut self.nodes[to as usize];
                if node.role != Role::Candidate || term != node.term || !granted {
                    return;
                }
                node.votes |= 1 << from;
                if node.votes.count_ones() >= majority(self.n) {
                    self.become_leader(to);
                }
            }
            Body::Replicate { .. } | Body::Sync { .. } => {}
        }
    }

    // ----- measurement ------------------------------------------------------------------------

    /// (keys not identical on every running replica, keys with concurrent versions somewhere).
    fn divergence(&self) -> (u32, u32, Vec<u32>) {
        let live: Vec<&Node> = self.nodes.iter().filter(|n| !n.crashed).collect();
        let mut per_node = vec![0u32; self.nodes.len()];
        let (mut differ, mut conflicting) = (0, 0);
        if live.is_empty() {
            return (0, 0, per_node);
        }
        for k in 0..self.keys as usize {
            let same = match self.mode {
                Mode::Cp => live.iter().all(|n| n.kv[k] == live[0].kv[k]),
                _ => live.iter().all(|n| {
                    n.store[k].len() == live[0].store[k].len()
                        && n.store[k]
                            .iter()
                            .zip(&live[0].store[k])
                            .all(|(a, b)| a.op == b.op)
                }),
            };
            if !same {
                differ += 1;
                // a replica "differs" when it is not at the most advanced state seen
                for (i, n) in self.nodes.iter().enumerate() {
                    if n.crashed {
                        continue;
                    }
                    let behind = match self.mode {
                        Mode::Cp => {
                            let best = live
                                .iter()
                                .map(|m| m.kv[k].wrapping_add(1))
                                .max()
                                .unwrap_or(0);
                            n.kv[k].wrapping_add(1) != best
                        }
                        _ => true,
                    };
                    if behind {
                        per_node[i] += 1;
                    }
                }
            }
            if self.mode != Mode::Cp && !same && self.maximal(k as u32).len() > 1 {
                conflicting += 1;
            }
        }
        (differ, conflicting, per_node)
    }

    /// The versions of `key` on running replicas that no other version covers.
    fn maximal(&self, key: u32) -> Vec<Version> {
        let mut all: Vec<&Version> = self
            .nodes
            .iter()
            .filter(|n| !n.crashed)
            .flat_map(|n| n.store[key as usize].iter())
            .collect();
        crate::sort::sort_by(&mut all, |a, b| a.op.cmp(&b.op));
        all.dedup_by_key(|v| v.op);
        all.iter()
            .filter(|v| !all.iter().any(|w| w.op != v.op && w.covers(v)))
            .map(|v| (*v).clone())
            .collect()
    }

    fn sample(&mut self) {
        let (differ, conflicting, _) = self.divergence();
        self.samples.push(Sample {
            t: self.now,
            differ,
            conflicting,
        });
    }

    /// Run to the end.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// A picture of the run now, for drawing.
    pub fn snapshot(&self) -> Snapshot {
        let (differ, conflicting, per_node) = self.divergence();
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeSnap {
                side: n.side,
                crashed: n.crashed,
                role: match (self.mode, n.role) {
                    (Mode::Cp, Role::Leader) => "leader",
                    (Mode::Cp, Role::Candidate) => "candidate",
                    (Mode::Cp, Role::Follower) => "follower",
                    _ => "replica",
                }
                .into(),
                term: n.term,
                posts: match self.mode {
                    Mode::Cp => n.log[..n.commit as usize]
                        .iter()
                        .filter(|e| e.op != NOOP && self.ops[e.op as usize].write)
                        .count() as u32,
                    _ => n
                        .store
                        .iter()
                        .map(|s| s.iter().map(|v| v.posts.len()).max().unwrap_or(0) as u32)
                        .sum(),
                },
                differs: per_node[i],
            })
            .collect();
        let mut flights: Vec<Flight> = self
            .msgs
            .iter()
            .flatten()
            .map(|m| Flight {
                from: m.from,
                to: m.to,
                kind: m.body.kind(),
                sent: m.sent,
                arrive: m.arrive,
                lost: m.lost,
            })
            .collect();
        crate::sort::sort_by(&mut flights, |a, b| b.sent.total_cmp(&a.sent));
        flights.truncate(120);
        let (mut ok_left, mut refused_left, mut ok_right, mut refused_right) = (0, 0, 0, 0);
        for o in &self.ops {
            match (o.side, o.outcome) {
                (0, Outcome::Acked) => ok_left += 1,
                (0, Outcome::Refused) => refused_left += 1,
                (_, Outcome::Acked) => ok_right += 1,
                (_, Outcome::Refused) => refused_right += 1,
                _ => {}
            }
        }
        Snapshot {
            t: self.now,
            nodes,
            cut: self.cut,
            direction: ["both", "left-out", "right-out"][self.direction as usize].into(),
            flights,
            ok_left,
            refused_left,
            ok_right,
            refused_right,
            conflicting,
            differ,
        }
    }

    // ----- live faults ------------------------------------------------------------------------

    /// Crash replica `node` at time `t` (or now, if `t` is past): it drops every message and
    /// refuses its clients until restarted.
    pub fn crash(&mut self, node: u8, t: f64) {
        if node < self.n {
            self.push(t.max(self.now), Ev::Crash { node });
        }
    }

    /// Restart replica `node` at time `t`: it keeps its data (and, in CP, its log and term) and
    /// rejoins as a follower.
    pub fn restart(&mut self, node: u8, t: f64) {
        if node < self.n {
            self.push(t.max(self.now), Ev::Restart { node });
        }
    }

    /// Crash `node` if it is up, restart it if it is down (at `t`).
    pub fn toggle_crash(&mut self, node: u8, t: f64) {
        if let Some(n) = self.nodes.get(node as usize) {
            if n.crashed {
                self.restart(node, t);
            } else {
                self.crash(node, t);
            }
        }
    }

    /// Move replica `node` to the other side of the cut at time `t`.
    pub fn move_node(&mut self, node: u8, t: f64) {
        if node < self.n {
            self.push(t.max(self.now), Ev::Move { node });
        }
    }

    /// Put the partition in force (`true`) or heal it (`false`) at time `t`.
    pub fn set_cut(&mut self, active: bool, t: f64) {
        self.push(t.max(self.now), Ev::Cut { active });
    }

    /// Whether the partition is in force now.
    pub fn cut_active(&self) -> bool {
        self.cut
    }

    fn on_cut(&mut self, active: bool) {
        let was = self.cut;
        self.cut = active;
        if was && !active && self.mode != Mode::Cp {
            // on reconnect, every pair across the cut exchanges its state
            for a in 0..self.n {
                for b in 0..self.n {
                    if a < b && self.nodes[a as usize].side != self.nodes[b as usize].side {
                        self.sync_to(a, b, true);
                    }
                }
            }
        }
    }

    // ----- the report -------------------------------------------------------------------------

    fn result(&self) -> RunResult {
        let (mut l_ops, mut l_ok, mut r_ops, mut r_ok) = (0u32, 0u32, 0u32, 0u32);
        let (mut acked, mut refused, mut pending, mut writes) = (0u32, 0u32, 0u32, 0u32);
        for o in &self.ops {
            match o.outcome {
                Outcome::Acked => acked += 1,
                Outcome::Refused => refused += 1,
                Outcome::Pending => pending += 1,
            }
            writes += u32::from(o.write);
            // availability during the partition: operations issued and answered (or refused)
            // while it lasted
            if self.partitioned && o.t >= self.part_start && o.t_done < self.heal {
                let ok = u32::from(o.outcome == Outcome::Acked);
                if o.side == 0 {
                    l_ops += 1;
                    l_ok += ok;
                } else {
                    r_ops += 1;
                    r_ok += ok;
                }
            }
        }
        let frac = |ok: u32, all: u32| {
            if all == 0 {
                None
            } else {
                Some(f64::from(ok) / f64::from(all))
            }
        };
        let (mut lost, mut lost_newer, mut in_doubt, mut siblings_end) = (0u32, 0u32, 0u32, 0u32);
        let converged;
        match self.mode {
            Mode::Cp => {
                let best = self
                    .nodes
                    .iter()
                    .filter(|n| !n.crashed)
                    .max_by_key(|n| n.commit);
                let mut committed = vec![false; self.ops.len()];
                if let Some(b) = best {
                    for e in &b.log[..b.commit as usize] {
                        if e.op != NOOP {
                            committed[e.op as usize] = true;
                        }
                    }
                }
                for (i, o) in self.ops.iter().enumerate() {
                    if !o.write {
                        continue;
                    }
                    match o.outcome {
                        Outcome::Acked if !committed[i] => lost += 1,
                        Outcome::Refused if committed[i] => in_doubt += 1,
                        _ => {}
                    }
                }
                let live: Vec<&Node> = self.nodes.iter().filter(|n| !n.crashed).collect();
                converged = live.iter().all(|n| n.kv == live[0].kv);
            }
            _ => {
                let finals: Vec<Vec<Version>> = (0..self.keys).map(|k| self.maximal(k)).collect();
                // posts in a version that lost to an older write by timestamp
                let mut beaten_by_clock = vec![false; self.ops.len()];
                for posts in self.clock_beaten.values() {
                    for &p in posts.iter() {
                        beaten_by_clock[p as usize] = true;
                    }
                }
                siblings_end = finals.iter().filter(|f| f.len() > 1).count() as u32;
                for (i, o) in self.ops.iter().enumerate() {
                    if !o.write || o.outcome != Outcome::Acked {
                        continue;
                    }
                    let f = &finals[o.key as usize];
                    if f.iter().any(|v| v.posts.binary_search(&(i as u32)).is_ok()) {
                        continue;
                    }
                    lost += 1;
                    if beaten_by_clock[i] {
                        lost_newer += 1;
                    }
                }
                let (differ, _, _) = self.divergence();
                converged = differ == 0;
            }
        }
        RunResult {
            mode: self.mode,
            label: self.mode.label().into(),
            ops: self.ops.len() as u32,
            writes,
            acked,
            refused,
            pending,
            avail_left: frac(l_ok, l_ops),
            avail_right: frac(r_ok, r_ops),
            ops_left_during: l_ops,
            ops_right_during: r_ops,
            lost_updates: lost,
            lost_newer,
            refused_but_committed: in_doubt,
            conflicts: self.conflict_sets.len() as u32,
            siblings_end,
            max_conflicting: self
                .samples
                .iter()
                .map(|s| s.conflicting)
                .max()
                .unwrap_or(0),
            max_differ: self.samples.iter().map(|s| s.differ).max().unwrap_or(0),
            converged,
            elections: self.elections,
            messages: self.messages,
            dropped: self.dropped,
        }
    }
}

impl Simulation for CapSim {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let Some(e) = self.events.pop() else {
            return false;
        };
        self.now = e.time;
        match e.item {
            Ev::Op { node } => self.on_op(node),
            Ev::Deliver { slot } => {
                let Some(m) = self.msgs.get_mut(slot as usize).and_then(Option::take) else {
                    return true;
                };
                self.free.push(slot);
                let (from, to) = (m.from, m.to);
                if m.lost || self.blocked(from, to) || self.nodes[to as usize].crashed {
                    self.dropped += 1;
                    return true;
                }
                match m.body {
                    Body::Replicate { key, v } => self.merge(to, key, v),
                    Body::Sync { state, reply } => {
                        for (k, vs) in state {
                            for v in vs {
                                self.merge(to, k, v);
                            }
                        }
                        if reply {
                            self.sync_to(to, from, false);
                        }
                    }
                    body => self.on_raft(from, to, body),
                }
            }
            Ev::OpTimeout { op } => self.finish(op, false),
            Ev::Heartbeat { node, term } => {
                let nd = &self.nodes[node as usize];
                if !nd.crashed && nd.role == Role::Leader && nd.term == term && self.now <= self.end
                {
                    for f in 0..self.n {
                        if f != node {
                            self.send_append(node, f);
                        }
                    }
                    let t = self.now + self.hb;
                    self.push(t, Ev::Heartbeat { node, term });
                }
            }
            Ev::Election { node } => self.on_election(node),
            Ev::AeTick => {
                if self.now <= self.end {
                    self.ae_round += 1;
                    let n = self.n;
                    for i in 0..n {
                        let peer = (i + 1 + (self.ae_round % u32::from(n - 1)) as u8) % n;
                        if !self.nodes[i as usize].crashed {
                            self.sync_to(i, peer, true);
                        }
                    }
                    let t = self.now + 1.0;
                    self.push(t, Ev::AeTick);
                }
            }
            Ev::Sample => {
                self.sample();
                if self.now + self.sample_dt <= self.end {
                    let t = self.now + self.sample_dt;
                    self.push(t, Ev::Sample);
                }
            }
            Ev::Cut { active } => self.on_cut(active),
            Ev::Crash { node } => {
                let n = &mut self.nodes[node as usize];
                n.crashed = true;
                n.role = Role::Follower;
                n.leader = None;
                n.votes = 0;
                n.prevotes = 0;
            }
            Ev::Restart { node } => {
                if self.nodes[node as usize].crashed {
                    self.nodes[node as usize].crashed = false;
                    self.reset_timer(node);
                    self.nodes[node as usize].last_heard = f64::NEG_INFINITY;
                    if self.mode != Mode::Cp {
                        for p in 0..self.n {
                            if p != node {
                                self.sync_to(node, p, true);
                            }
                        }
                    }
                }
            }
            Ev::Move { node } => {
                let was_cut = self.cut;
                // a replica moved across a live cut talks to its new side at once; under AP it
                // also exchanges state with everyone it can now reach
                let n = &mut self.nodes[node as usize];
                n.side = 1 - n.side;
                if was_cut && self.mode != Mode::Cp {
                    for p in 0..self.n {
                        if p != node && !self.blocked(node, p) {
                            self.sync_to(node, p, true);
                        }
                    }
                }
            }
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.events.peek().map(|e| e.time)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// The outcome of one protocol on the workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Which protocol.
    pub mode: Mode,
    /// Its name.
    pub label: String,
    /// Client operations issued.
    pub ops: u32,
    /// Of which writes (posts).
    pub writes: u32,
    /// Acknowledged.
    pub acked: u32,
    /// Refused (no majority, no leader, crashed replica, or timed out).
    pub refused: u32,
    /// Neither, at the end (always 0: every operation is answered exactly once).
    pub pending: u32,
    /// Left side: share of the operations issued and answered during the partition that were
    /// acknowledged (`None` without a partition).
    pub avail_left: Option<f64>,
    /// Right side: the same.
    pub avail_right: Option<f64>,
    /// Operations issued on the left during the partition.
    pub ops_left_during: u32,
    /// Operations issued on the right during the partition.
    pub ops_right_during: u32,
    /// Acknowledged posts that are in no final version (lost updates).
    pub lost_updates: u32,
    /// Lost posts whose version was beaten by one written earlier in real time but stamped
    /// later by a skewed clock: the clock chose the winner (0 without skew).
    pub lost_newer: u32,
    /// CP: refused writes that were committed anyway (the answer was lost, not the write).
    pub refused_but_committed: u32,
    /// Distinct sets of concurrent versions a user would be shown (siblings mode).
    pub conflicts: u32,
    /// Keys still holding siblings at the end.
    pub siblings_end: u32,
    /// Most keys with concurrent versions at one instant.
    pub max_conflicting: u32,
    /// Most keys not identical everywhere at one instant.
    pub max_differ: u32,
    /// At the end every running replica holds the same state.
    pub converged: bool,
    /// Leaders elected after the first (CP).
    pub elections: u32,
    /// Messages sent.
    pub messages: u64,
    /// Messages lost (cut, drop or crashed receiver).
    pub dropped: u64,
}

/// The report: the chosen protocol in detail, all three side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The split, e.g. `AB|CDE`.
    pub split_label: String,
    /// Replicas left / right of the cut.
    pub left_nodes: u32,
    /// Replicas right of the cut.
    pub right_nodes: u32,
    /// Theory for the chosen protocol: availability left of the cut during the partition.
    pub theory_left: f64,
    /// Theory, right.
    pub theory_right: f64,
    /// Measured availability left of the cut during the partition (`None`: no operations).
    pub avail_left: Option<f64>,
    /// Measured, right.
    pub avail_right: Option<f64>,
    /// Acknowledged writes lost.
    pub lost_updates: u32,
    /// Of which newer than the winner.
    pub lost_newer: u32,
    /// Conflicts to resolve (siblings).
    pub conflicts: u32,
    /// Every replica agrees at the end.
    pub converged: bool,
    /// The chosen protocol's full result.
    pub chosen: RunResult,
    /// CP, AP + LWW and AP + siblings on the same workload.
    pub compare: Vec<RunResult>,
    /// Per second: operations acknowledged / refused on each side.
    pub buckets: Vec<Bucket>,
    /// Divergence over time (≤ 121 samples).
    pub samples: Vec<Sample>,
    /// Partition start and heal, seconds (`None` when there is no cut).
    pub partition: Option<(f64, f64)>,
    /// Plain-language notes.
    pub notes: Vec<String>,
}

/// Theory: availability of each side during a clean partition for a protocol.
pub fn theory(mode: Mode, left: u32, right: u32) -> (f64, f64) {
    let n = left + right;
    match mode {
        Mode::Cp => (
            if 2 * left > n { 1.0 } else { 0.0 },
            if 2 * right > n { 1.0 } else { 0.0 },
        ),
        _ => (1.0, 1.0),
    }
}

impl Model for CapPartition {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let chosen_mode = Mode::of(&p);
        let mut compare = Vec::new();
        let mut detail = None;
        for m in [Mode::Cp, Mode::ApLww, Mode::ApSiblings] {
            let mut s = CapSim::with_mode(&p, seed, m);
            s.run_to_end();
            compare.push(s.result());
            if m == chosen_mode {
                detail = Some(s);
            }
        }
        let Some(s) = detail else {
            unreachable!("the chosen mode is one of the three")
        };
        let chosen = s.result();
        let (left, right) = if p.split == 0 {
            (0, p.nodes)
        } else {
            (p.split, p.nodes - p.split)
        };
        let (tl, tr) = theory(chosen_mode, left, right);
        let mut notes = Vec::new();
        if p.split == 0 {
            notes.push("No partition: every replica can reach every other one.".into());
        }
        if chosen.refused_but_committed > 0 {
            notes.push(format!(
                "{} refused writes were committed anyway: the leader's answer was cut off, not the write. A client that retries must be idempotent.",
                chosen.refused_but_committed
            ));
        }
        if p.cut != "both" && p.split > 0 {
            notes.push("One-way cut: a round trip needs both directions, so CP treats it like a full partition; AP replicas on one side keep hearing the other.".into());
        }
        Report {
            split_label: p.split_label(),
            left_nodes: left,
            right_nodes: right,
            theory_left: tl,
            theory_right: tr,
            avail_left: chosen.avail_left,
            avail_right: chosen.avail_right,
            lost_updates: chosen.lost_updates,
            lost_newer: chosen.lost_newer,
            conflicts: chosen.conflicts,
            converged: chosen.converged,
            buckets: s.buckets.clone(),
            samples: s.samples.clone(),
            partition: (p.split > 0).then_some((p.part_start, p.heal)),
            chosen,
            compare,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("avail_left", r.avail_left.unwrap_or(f64::NAN)),
            ("avail_right", r.avail_right.unwrap_or(f64::NAN)),
            ("lost_updates", f64::from(r.lost_updates)),
            ("lost_newer", f64::from(r.lost_newer)),
            ("conflicts", f64::from(r.conflicts)),
            ("refused", f64::from(r.chosen.refused)),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::from_pairs;
    use proptest::prelude::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn run_mode(p: &Params, seed: u64, m: Mode) -> RunResult {
        let mut s = CapSim::with_mode(p, seed, m);
        s.run_to_end();
        s.result()
    }

    #[test]
    fn theory_cp_minority_refuses_majority_answers_ap_both_answer() {
        let p = Params::default();
        for seed in 1..6 {
            let cp = run_mode(&p, seed, Mode::Cp);
            assert_eq!(cp.avail_left, Some(0.0), "seed {seed}");
            assert_eq!(cp.avail_right, Some(1.0), "seed {seed}");
            for m in [Mode::ApLww, Mode::ApSiblings] {
                let ap = run_mode(&p, seed, m);
                assert_eq!((ap.avail_left, ap.avail_right), (Some(1.0), Some(1.0)));
            }
        }
        assert_eq!(theory(Mode::Cp, 2, 3), (0.0, 1.0));
        assert_eq!(theory(Mode::Cp, 3, 3), (0.0, 0.0));
        assert_eq!(theory(Mode::ApLww, 2, 3), (1.0, 1.0));
    }

    #[test]
    fn even_split_cp_refuses_everywhere() {
        let p = Params {
            nodes: 6,
            split: 3,
            ..Params::default()
        };
        let cp = run_mode(&p, 3, Mode::Cp);
        assert_eq!(cp.avail_left, Some(0.0));
        assert_eq!(cp.avail_right, Some(0.0));
        assert_eq!(cp.lost_updates, 0);
        assert!(cp.converged);
    }

    #[test]
    fn leader_on_the_minority_side_is_replaced_by_an_election() {
        // split 3 of 5 on the left: the initial leader E is on the minority (right) side
        let p = Params {
            split: 3,
            ..Params::default()
        };
        let mut worst: f64 = 1.0;
        for seed in 1..9 {
            let cp = run_mode(&p, seed, Mode::Cp);
            assert!(cp.elections >= 1, "{cp:?}");
            assert_eq!(cp.avail_right, Some(0.0));
            // the left majority loses at most an election's worth of operations
            let a = cp.avail_left.unwrap_or(0.0);
            assert!(a > 0.8, "{cp:?}");
            worst = worst.min(a);
            assert_eq!(cp.lost_updates, 0);
            assert!(cp.converged);
        }
        assert!(worst < 1.0);
    }

    #[test]
    fn ap_lww_loses_posts_and_skew_picks_wrong_winners() {
        let p = Params {
            mode: "ap".into(),
            keys: 5,
            skew_ms: 5000.0,
            ..Params::default()
        };
        let lww = run_mode(&p, 1, Mode::ApLww);
        assert!(lww.lost_updates > 0);
        assert!(lww.lost_newer > 0, "{lww:?}");
        assert!(lww.converged);
        // with true clocks, last write wins never lets an older write beat a newer one
        let fair = run_mode(
            &Params {
                skew_ms: 0.0,
                ..p.clone()
            },
            1,
            Mode::ApLww,
        );
        assert!(fair.lost_updates > 0);
        assert_eq!(fair.lost_newer, 0);
        let sib = run_mode(&p, 1, Mode::ApSiblings);
        assert_eq!(sib.lost_updates, 0);
        assert!(sib.conflicts > 0);
        assert!(sib.converged);
    }

    #[test]
    fn no_partition_no_skew_cp_is_fully_available() {
        let p = Params {
            split: 0,
            ..Params::default()
        };
        let cp = run_mode(&p, 4, Mode::Cp);
        assert_eq!(cp.refused, 0, "{cp:?}");
        assert_eq!(cp.elections, 0);
    }

    #[test]
    fn one_way_cut_cp_refuses_and_some_writes_commit_unanswered() {
        let p = Params {
            cut: "left-out".into(),
            rate: 8.0,
            ..Params::default()
        };
        let cp = run_mode(&p, 5, Mode::Cp);
        assert_eq!(cp.avail_left, Some(0.0));
        assert!(cp.refused_but_committed > 0, "{cp:?}");
        assert_eq!(cp.lost_updates, 0);
    }

    #[test]
    fn validation_clamps_with_notices() {
        let (p, n) = from_pairs::<Params>(
            &pairs(&[
                ("nodes", "3"),
                ("split", "5"),
                ("heal", "90"),
                ("duration", "30"),
            ]),
            &[],
        );
        assert_eq!(p.split, 2);
        assert_eq!(p.heal, 30.0);
        assert!(n.len() >= 2, "{n:?}");
        let (p, _) = from_pairs::<Params>(&pairs(&[("part_start", "50"), ("heal", "20")]), &[]);
        assert!(p.part_start < p.heal);
        let (p, n) = from_pairs::<Params>(&pairs(&[("mode", "zz")]), &[]);
        assert_eq!(p.mode, "cp");
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn deterministic_and_report_is_small() {
        let p = Params::default();
        let a = serde_json::to_string(&CapPartition::run(&p, 9)).unwrap();
        let b = serde_json::to_string(&CapPartition::run(&p, 9)).unwrap();
        assert_eq!(a, b);
        assert!(a.len() < 24_000, "{}", a.len());
    }

    #[test]
    fn live_faults_are_events_and_keep_invariants() {
        let p = Params {
            split: 0,
            ..Params::default()
        };
        let mut s = CapSim::with_mode(&p, 1, Mode::Cp);
        s.advance_to(5.0);
        s.crash(4, 5.0); // the leader
        s.move_node(0, 6.0);
        s.set_cut(true, 7.0);
        s.restart(4, 12.0);
        s.set_cut(false, 18.0);
        s.run_to_end();
        let r = s.result();
        assert!(r.elections >= 1);
        assert_eq!(r.pending, 0);
        assert_eq!(r.lost_updates, 0);
        assert!(r.converged, "{r:?}");
        let snap = s.snapshot();
        assert_eq!(snap.nodes.len(), 5);
    }

    #[test]
    fn the_split_label_reads_like_the_book() {
        assert_eq!(Params::default().split_label(), "AB|CDE");
        assert_eq!(
            Params {
                split: 0,
                ..Params::default()
            }
            .split_label(),
            "ABCDE"
        );
    }

    fn arb_params() -> impl Strategy<Value = Params> {
        (
            3u32..=7,
            0u32..7,
            0u8..3,
            0.0f64..20.0,
            1.0f64..20.0,
            5u32..40,
            1.0f64..80.0,
            -3000.0f64..3000.0,
            0.5f64..6.0,
        )
            .prop_map(|(nodes, split, cut, start, len, keys, lat, skew, rate)| {
                let mut p = Params {
                    nodes,
                    split: split.min(nodes - 1),
                    cut: ["both", "left-out", "right-out"][cut as usize].into(),
                    part_start: start,
                    heal: start + len,
                    keys,
                    latency_ms: lat,
                    skew_ms: skew,
                    rate,
                    duration: 30.0,
                    ..Params::default()
                };
                p.check(&mut Vec::new());
                p
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn cp_never_loses_an_acknowledged_write(p in arb_params(), seed in 0u64..1000) {
            let r = run_mode(&p, seed, Mode::Cp);
            prop_assert_eq!(r.lost_updates, 0);
            prop_assert_eq!(r.conflicts, 0);
            prop_assert_eq!(r.siblings_end, 0);
            prop_assert!(r.converged, "{:?}", r);
            prop_assert_eq!(r.pending, 0);
            prop_assert_eq!(r.acked + r.refused, r.ops);
        }

        #[test]
        fn ap_siblings_lose_nothing_and_everyone_converges(p in arb_params(), seed in 0u64..1000) {
            let r = run_mode(&p, seed, Mode::ApSiblings);
            prop_assert_eq!(r.lost_updates, 0);
            prop_assert!(r.converged, "{:?}", r);
            prop_assert_eq!(r.acked + r.refused, r.ops);
            let l = run_mode(&p, seed, Mode::ApLww);
            prop_assert!(l.converged, "{:?}", l);
            prop_assert_eq!(l.siblings_end, 0);
            prop_assert!(l.lost_newer <= l.lost_updates);
        }

        #[test]
        fn validation_never_panics(pairs in proptest::collection::vec(("[a-z_]{1,10}", "[-0-9a-z.]{0,8}"), 0..6)) {
            let (p, _) = from_pairs::<Params>(&pairs, &[]);
            let mut q = p.clone();
            q.check(&mut Vec::new());
            prop_assert_eq!(&p, &q);
            let _ = CapPartition::run(&Params { duration: 5.0, ..p }, 1);
        }
    }
}
