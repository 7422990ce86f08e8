//! # Consistency dial (book page 28): five levels, one replicated store, a checker on every run
//!
//! The book's page shows a slider from strong to eventual with four settings (read preference,
//! write concern, read concern, timeout), four levels and a table of real systems. This model
//! turns the slider into a **3-replica primary/secondary store** in the style of MongoDB's
//! replica sets and measures what each setting costs and what it lets clients see:
//!
//! - replica 0 is the **primary**; every write goes there, gets the next log index and is
//!   shipped asynchronously to the **near** secondary (1) and the **far** secondary (2), which
//!   apply the log in order and acknowledge. The majority commit point is the highest index
//!   held by two of the three. Secondaries learn it from replication messages and heartbeats;
//!   a heartbeat also carries the primary's last index so a secondary that missed entries
//!   (during a partition) asks for them again.
//! - **write concern** `1` acknowledges once the primary has the write, `majority` once two
//!   replicas hold it, `all` once all three do.
//! - **read concern** `local` returns the replica's newest value, `majority` the value as of
//!   the majority commit point the replica knows, `linearizable` is served by the primary only,
//!   after every write it had received is majority-committed and a round trip to a secondary
//!   has confirmed it is still reachable (MongoDB does a majority no-op write).
//! - **read preference** `primary`, `nearest` (the secondary next to the clients) or
//!   `secondary` (either secondary, chosen at random per read).
//! - **tokens**: `session` clients remember, per key, the newest log index they wrote or read
//!   (read-your-writes and monotonic reads per key, Terry et al. 1994); `causal` clients
//!   remember one log index covering everything they have seen, like MongoDB's causally
//!   consistent sessions (`afterClusterTime`). A replica delays a read until it has applied
//!   (or, for `majority`, committed) the client's token.
//!
//! Clients issue a seeded mix of reads and writes of unique values, one at a time, giving up
//! after the timeout. A scripted partition (one replica or the primary cut off, both ways or
//! one way) and live faults ([`DialSim::crash`], [`DialSim::restart`], [`DialSim::set_link`])
//! are events in the same queue, so a run stays deterministic.
//!
//! Every run's history is **checked**, not asserted:
//! - **linearizability** per key (Herlihy & Wing 1990; linearizability is local, so per key
//!   suffices): a Wing & Gong search with Lowe's/Porcupine's memo of (linearized set, value);
//! - **sequential consistency** over all keys together (it is not local): the same search
//!   without real-time order, on per-client program order, with a node budget and an honest
//!   "inconclusive";
//! - **causal consistency** (CC) by the bad patterns of Bouajjani, Enea, Guerraoui & Hamza,
//!   *On verifying causal consistency*, POPL 2017: for differentiated histories (every value
//!   written once) a history is CC iff it has none of CyclicCO, WriteCOInitRead, ThinAirRead,
//!   WriteCORead, where the causal order `co = (po ∪ rf)⁺`.
//!
//! Both searches take an enabled read at once (a read changes no state, so taking it first
//! never loses a solution) and never overwrite a value that a pending read still has to see
//! (values are unique, so it could never come back).

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// The consistency-dial model.
pub struct ConsistencyDial;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// A consistency level on the dial, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Real-time order: every read sees every write completed before it began.
    Linearizable,
    /// One order for everyone that respects each client's program order.
    Sequential,
    /// Effects are never seen without their causes.
    Causal,
    /// Each client reads its own writes and never goes back in time (per key).
    Session,
    /// Replicas converge; nothing else is promised.
    Eventual,
}

impl Level {
    /// All five, strongest first.
    pub const ALL: [Level; 5] = [
        Level::Linearizable,
        Level::Sequential,
        Level::Causal,
        Level::Session,
        Level::Eventual,
    ];

    /// The lower-case name used in URLs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Linearizable => "linearizable",
            Level::Sequential => "sequential",
            Level::Causal => "causal",
            Level::Session => "session",
            Level::Eventual => "eventual",
        }
    }

    /// The settings the dial puts in place at this level.
    pub fn preset(self) -> Settings {
        use ReadConcern as R;
        use ReadPref as P;
        use Tokens as T;
        use WriteConcern as W;
        let (read_pref, write_concern, read_concern, tokens) = match self {
            Level::Linearizable => (P::Primary, W::Majority, R::Linearizable, T::None),
            Level::Sequential => (P::Nearest, W::Majority, R::Majority, T::Causal),
            Level::Causal => (P::Secondary, W::One, R::Local, T::Causal),
            Level::Session => (P::Secondary, W::One, R::Local, T::Session),
            Level::Eventual => (P::Secondary, W::One, R::Local, T::None),
        };
        Settings {
            read_pref,
            write_concern,
            read_concern,
            tokens,
        }
    }
}

/// Where reads go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadPref {
    /// Follow the dial.
    Dial,
    /// The primary only.
    Primary,
    /// The replica nearest the clients (the near secondary).
    Nearest,
    /// Either secondary, at random per read.
    Secondary,
}

/// When a write is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WriteConcern {
    /// Follow the dial.
    #[serde(rename = "dial")]
    Dial,
    /// Once the primary has it.
    #[serde(rename = "1")]
    One,
    /// Once two of three replicas have it.
    #[serde(rename = "majority")]
    Majority,
    /// Once all three have it.
    #[serde(rename = "all")]
    All,
}

/// What a read returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadConcern {
    /// Follow the dial.
    Dial,
    /// The replica's newest value.
    Local,
    /// The newest value the replica knows to be majority-committed.
    Majority,
    /// The newest value, confirmed by a majority (primary only).
    Linearizable,
}

/// What clients carry between operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tokens {
    /// Follow the dial.
    Dial,
    /// Nothing.
    None,
    /// Per key: the newest log index this client wrote or read.
    Session,
    /// One log index covering everything this client has seen.
    Causal,
}

/// Which node a partition cuts off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Partition {
    /// No partition.
    None,
    /// The primary (replica 0).
    Primary,
    /// The near secondary (replica 1).
    Near,
    /// The far secondary (replica 2).
    Far,
}

/// The four settings in force (no `Dial` left in them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Where reads go.
    pub read_pref: ReadPref,
    /// When writes are acknowledged.
    pub write_concern: WriteConcern,
    /// What reads return.
    pub read_concern: ReadConcern,
    /// What clients carry.
    pub tokens: Tokens,
}

impl Settings {
    /// The level these settings promise (by the documented guarantees, failover included),
    /// which the checker then tests against what was observed.
    pub fn level(&self) -> Level {
        let durable_w = self.write_concern >= WriteConcern::Majority;
        if self.read_concern == ReadConcern::Linearizable && durable_w {
            Level::Linearizable
        } else if self.tokens == Tokens::Causal
            && durable_w
            && self.read_concern >= ReadConcern::Majority
            && self.read_pref != ReadPref::Secondary
        {
            Level::Sequential
        } else if self.tokens == Tokens::Causal {
            Level::Causal
        } else if self.tokens == Tokens::Session {
            Level::Session
        } else {
            Level::Eventual
        }
    }
}

/// The knobs of the consistency dial. Defaults: the book's settings (primary, majority,
/// linearizable, 5000 ms) with the primary cut off for 1.5 s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The dial: the level whose preset settings apply where a setting says `dial`.
    pub level: Level,
    /// Read preference (or `dial`).
    pub read_pref: ReadPref,
    /// Write concern (or `dial`).
    pub write_concern: WriteConcern,
    /// Read concern (or `dial`).
    pub read_concern: ReadConcern,
    /// Client tokens (or `dial`).
    pub tokens: Tokens,
    /// Client timeout, in ms.
    pub timeout: f64,
    /// Number of clients.
    pub clients: u32,
    /// Operations per client.
    pub ops: u32,
    /// Number of keys.
    pub keys: u32,
    /// Share of operations that are reads, in percent.
    pub read_pct: f64,
    /// Mean think time between a client's operations, in ms (exponential).
    pub think_ms: f64,
    /// One-way latency between the clients (and the near secondary) and the primary, in ms.
    pub primary_ms: f64,
    /// One-way latency between the clients and the near secondary, in ms.
    pub near_ms: f64,
    /// One-way latency from the clients' site to the far secondary, in ms (the primary is one
    /// hop further: `primary_ms + far_ms`).
    pub far_ms: f64,
    /// Mean replication lag of a secondary, in ms: extra time (exponential) before a shipped
    /// entry is applied, as when a secondary applies its oplog in batches.
    pub lag_ms: f64,
    /// Which node the scripted partition cuts off.
    pub partition: Partition,
    /// Only the cut-off node's outgoing messages are lost (it still hears the others).
    pub one_way: bool,
    /// When the partition starts, in ms.
    pub part_start_ms: f64,
    /// How long it lasts, in ms.
    pub part_len_ms: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            level: Level::Linearizable,
            read_pref: ReadPref::Dial,
            write_concern: WriteConcern::Dial,
            read_concern: ReadConcern::Dial,
            tokens: Tokens::Dial,
            timeout: 5000.0,
            clients: 3,
            ops: 40,
            keys: 2,
            read_pct: 60.0,
            think_ms: 40.0,
            primary_ms: 15.0,
            near_ms: 2.0,
            far_ms: 80.0,
            lag_ms: 40.0,
            partition: Partition::Primary,
            one_way: false,
            part_start_ms: 1000.0,
            part_len_ms: 1500.0,
        }
    }
}

const CLIENTS_MIN: u32 = 2;
const CLIENTS_MAX: u32 = 5;
const OPS_MIN: u32 = 5;
const OPS_MAX: u32 = 60;
const KEYS_MAX: u32 = 6;
/// Heartbeat period of the primary, in ms.
pub const HEARTBEAT_MS: f64 = 50.0;

static KNOBS: &[Knob] = &[
    Knob {
        key: "level",
        label: "Consistency dial",
        unit: "",
        help: "Sets every setting left at “dial” to this level's preset; the page names the level your settings actually give.",
        kind: KnobKind::Choice {
            options: &[
                ("linearizable", "Linearizable (strongest)"),
                ("sequential", "Sequential"),
                ("causal", "Causal"),
                ("session", "Session"),
                ("eventual", "Eventual (weakest)"),
            ],
        },
    },
    Knob {
        key: "read_pref",
        label: "Read preference",
        unit: "",
        help: "Which replica serves reads; “dial” takes the level's preset.",
        kind: KnobKind::Choice {
            options: &[
                ("dial", "as the dial says"),
                ("primary", "primary only"),
                ("nearest", "nearest (near secondary)"),
                ("secondary", "any secondary"),
            ],
        },
    },
    Knob {
        key: "write_concern",
        label: "Write concern",
        unit: "",
        help: "How many replicas must hold a write before it is acknowledged.",
        kind: KnobKind::Choice {
            options: &[
                ("dial", "as the dial says"),
                ("1", "1 (primary)"),
                ("majority", "majority (2 of 3)"),
                ("all", "all 3"),
            ],
        },
    },
    Knob {
        key: "read_concern",
        label: "Read concern",
        unit: "",
        help: "What a read may return: the newest local value, the majority-committed one, or a value confirmed by a majority (primary only).",
        kind: KnobKind::Choice {
            options: &[
                ("dial", "as the dial says"),
                ("local", "local"),
                ("majority", "majority"),
                ("linearizable", "linearizable"),
            ],
        },
    },
    Knob {
        key: "tokens",
        label: "Client tokens",
        unit: "",
        help: "What a client carries so replicas can wait for it: nothing, per-key session tokens, or one causal token.",
        kind: KnobKind::Choice {
            options: &[
                ("dial", "as the dial says"),
                ("none", "none"),
                ("session", "session (per key)"),
                ("causal", "causal (everything seen)"),
            ],
        },
    },
    Knob {
        key: "timeout",
        label: "Timeout",
        unit: "ms",
        help: "How long a client waits for an answer before giving up.",
        kind: KnobKind::Float { min: 50.0, max: 10_000.0, step: 10.0, log: true },
    },
    Knob {
        key: "clients",
        label: "Clients",
        unit: "",
        help: "Clients issuing operations one at a time, next to the near secondary.",
        kind: KnobKind::Int { min: CLIENTS_MIN as i64, max: CLIENTS_MAX as i64, log: false },
    },
    Knob {
        key: "ops",
        label: "Operations per client",
        unit: "",
        help: "How many reads and writes each client issues; the whole history is checked.",
        kind: KnobKind::Int { min: OPS_MIN as i64, max: OPS_MAX as i64, log: false },
    },
    Knob {
        key: "keys",
        label: "Keys",
        unit: "",
        help: "Registers the clients read and write; fewer keys, more conflicts.",
        kind: KnobKind::Int { min: 1, max: KEYS_MAX as i64, log: false },
    },
    Knob {
        key: "read_pct",
        label: "Reads",
        unit: "%",
        help: "Share of operations that are reads.",
        kind: KnobKind::Float { min: 0.0, max: 100.0, step: 5.0, log: false },
    },
    Knob {
        key: "think_ms",
        label: "Think time",
        unit: "ms",
        help: "Mean pause between a client's operations (exponential).",
        kind: KnobKind::Float { min: 0.0, max: 1000.0, step: 5.0, log: false },
    },
    Knob {
        key: "primary_ms",
        label: "Latency to the primary",
        unit: "ms",
        help: "One-way delay between the clients' site (and the near secondary) and the primary.",
        kind: KnobKind::Float { min: 0.5, max: 500.0, step: 0.5, log: true },
    },
    Knob {
        key: "near_ms",
        label: "Latency to the near secondary",
        unit: "ms",
        help: "One-way delay between the clients and the secondary next to them.",
        kind: KnobKind::Float { min: 0.1, max: 500.0, step: 0.1, log: true },
    },
    Knob {
        key: "far_ms",
        label: "Latency to the far secondary",
        unit: "ms",
        help: "One-way delay from the clients' site to the far secondary; replication from the primary crosses both hops.",
        kind: KnobKind::Float { min: 0.5, max: 1000.0, step: 0.5, log: true },
    },
    Knob {
        key: "lag_ms",
        label: "Replication lag",
        unit: "ms",
        help: "Mean extra delay (exponential) before a secondary applies what the primary shipped.",
        kind: KnobKind::Float { min: 0.0, max: 2000.0, step: 5.0, log: false },
    },
    Knob {
        key: "partition",
        label: "Partition cuts off",
        unit: "",
        help: "Which node loses its links during the partition window.",
        kind: KnobKind::Choice {
            options: &[
                ("none", "nobody"),
                ("primary", "the primary"),
                ("near", "the near secondary"),
                ("far", "the far secondary"),
            ],
        },
    },
    Knob {
        key: "one_way",
        label: "One-way partition",
        unit: "",
        help: "Only the cut-off node's outgoing messages are lost; it still hears everyone.",
        kind: KnobKind::Bool,
    },
    Knob {
        key: "part_start_ms",
        label: "Partition starts at",
        unit: "ms",
        help: "When the partition begins.",
        kind: KnobKind::Float { min: 0.0, max: 20_000.0, step: 100.0, log: false },
    },
    Knob {
        key: "part_len_ms",
        label: "Partition lasts",
        unit: "ms",
        help: "How long the partition lasts before the links heal.",
        kind: KnobKind::Float { min: 0.0, max: 20_000.0, step: 100.0, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// A linearizable read concern is served by the primary only, whatever the preference.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        let s = self.settings();
        let pref = if self.read_pref == ReadPref::Dial {
            self.level.preset().read_pref
        } else {
            self.read_pref
        };
        if s.read_concern == ReadConcern::Linearizable && pref != ReadPref::Primary {
            notices.push(Notice::new(
                "read_pref",
                "a linearizable read concern is served by the primary only; reads go to the primary",
            ));
        }
    }
}

impl Params {
    /// The settings in force: each `dial` replaced by the level's preset; a linearizable read
    /// concern forces the primary.
    pub fn settings(&self) -> Settings {
        let pre = self.level.preset();
        let mut s = Settings {
            read_pref: if self.read_pref == ReadPref::Dial {
                pre.read_pref
            } else {
                self.read_pref
            },
            write_concern: if self.write_concern == WriteConcern::Dial {
                pre.write_concern
            } else {
                self.write_concern
            },
            read_concern: if self.read_concern == ReadConcern::Dial {
                pre.read_concern
            } else {
                self.read_concern
            },
            tokens: if self.tokens == Tokens::Dial {
                pre.tokens
            } else {
                self.tokens
            },
        };
        if s.read_concern == ReadConcern::Linearizable {
            s.read_pref = ReadPref::Primary;
        }
        s
    }

    /// A copy with every number forced into its knob range (NaN → default).
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        Params {
            timeout: f(self.timeout, 50.0, 10_000.0, d.timeout),
            clients: self.clients.clamp(CLIENTS_MIN, CLIENTS_MAX),
            ops: self.ops.clamp(OPS_MIN, OPS_MAX),
            keys: self.keys.clamp(1, KEYS_MAX),
            read_pct: f(self.read_pct, 0.0, 100.0, d.read_pct),
            think_ms: f(self.think_ms, 0.0, 1000.0, d.think_ms),
            primary_ms: f(self.primary_ms, 0.5, 500.0, d.primary_ms),
            near_ms: f(self.near_ms, 0.1, 500.0, d.near_ms),
            far_ms: f(self.far_ms, 0.5, 1000.0, d.far_ms),
            lag_ms: f(self.lag_ms, 0.0, 2000.0, d.lag_ms),
            part_start_ms: f(self.part_start_ms, 0.0, 20_000.0, d.part_start_ms),
            part_len_ms: f(self.part_len_ms, 0.0, 20_000.0, d.part_len_ms),
            ..self.clone()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Histories and checkers
// ---------------------------------------------------------------------------------------------

/// One operation of a history, as the checkers see it. Values are unique per key (0 is the
/// initial value, never written).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HOp {
    /// The process (client) that issued it, in program order within the slice.
    pub process: u32,
    /// The register.
    pub key: u32,
    /// A write (else a read).
    pub write: bool,
    /// Value written, or value the read returned.
    pub value: u32,
    /// Invocation time.
    pub call: f64,
    /// Response time; `f64::INFINITY` for a write whose outcome is unknown (timed out).
    pub ret: f64,
}

/// A checker's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The history satisfies the property.
    Yes,
    /// It does not.
    No,
    /// The search budget ran out before an answer.
    Inconclusive,
}

/// A checker's answer with the operation (index into the history) that witnesses a failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The answer.
    pub verdict: Verdict,
    /// For `No`: an operation at the heart of the violation, when one can be named.
    pub witness: Option<u32>,
    /// For `No`: the violation in words.
    pub why: String,
    /// Search nodes explored.
    pub nodes: u64,
}

/// Default search budget (nodes) of the linearizability and sequential searches.
pub const BUDGET: u64 = 50_000;

/// Budget of the sequential search in the five-level comparison (kept small: the comparison
/// runs on every knob move; an exhausted search is reported as inconclusive).
pub const COMPARE_BUDGET: u64 = 2_000;

/// Search state shared by the linearizability and sequential-consistency searches.
struct Search<'a> {
    ops: &'a [HOp],
    /// remaining reads per (key, value), to forbid overwriting a value still to be read
    pending_reads: BTreeMap<(u32, u32), u32>,
    seen: BTreeSet<(Vec<u64>, Vec<u32>)>,
    nodes: u64,
    budget: u64,
}

fn bit_get(b: &[u64], i: usize) -> bool {
    b[i / 64] >> (i % 64) & 1 == 1
}
fn bit_set(b: &mut [u64], i: usize, on: bool) {
    if on {
        b[i / 64] |= 1 << (i % 64);
    } else {
        b[i / 64] &= !(1 << (i % 64));
    }
}

impl<'a> Search<'a> {
    fn new(ops: &'a [HOp], budget: u64) -> Self {
        let mut pending_reads = BTreeMap::new();
        for o in ops.iter().filter(|o| !o.write) {
            *pending_reads.entry((o.key, o.value)).or_insert(0) += 1;
        }
        Search {
            ops,
            pending_reads,
            seen: BTreeSet::new(),
            nodes: 0,
            budget,
        }
    }

    fn may_overwrite(&self, key: u32, current: u32) -> bool {
        self.pending_reads
            .get(&(key, current))
            .copied()
            .unwrap_or(0)
            == 0
    }

    /// Linearizability of `ops` (one register: `keys` maps keys to state slots). `Some(true)`
    /// found, `Some(false)` impossible, `None` out of budget.
    fn lin(&mut self, done: &mut Vec<u64>, state: &mut Vec<u32>, left: usize) -> Option<bool> {
        if left == 0 {
            return Some(true);
        }
        self.nodes += 1;
        if self.nodes > self.budget {
            return None;
        }
        if !self.seen.insert((done.clone(), state.clone())) {
            return Some(false);
        }
        let n = self.ops.len();
        let min_ret = (0..n)
            .filter(|&i| !bit_get(done, i))
            .map(|i| self.ops[i].ret)
            .fold(f64::INFINITY, f64::min);
        // an enabled read first: it changes nothing, so taking it loses no solution
        let cands: Vec<usize> = (0..n)
            .filter(|&i| !bit_get(done, i) && self.ops[i].call <= min_ret)
            .collect();
        if let Some(&r) = cands.iter().find(|&&i| {
            let o = self.ops[i];
            !o.write && state[o.key as usize] == o.value
        }) {
            let o = self.ops[r];
            bit_set(done, r, true);
            self.dec(o);
            let res = self.lin(done, state, left - 1);
            self.inc(o);
            bit_set(done, r, false);
            return res;
        }
        let mut out = Some(false);
        for &i in &cands {
            let o = self.ops[i];
            if !o.write || !self.may_overwrite(o.key, state[o.key as usize]) {
                continue;
            }
            let old = state[o.key as usize];
            state[o.key as usize] = o.value;
            bit_set(done, i, true);
            let res = self.lin(done, state, left - 1);
            bit_set(done, i, false);
            state[o.key as usize] = old;
            match res {
                Some(true) => return Some(true),
                None => out = None,
                Some(false) => {}
            }
            out?;
        }
        out
    }

    fn dec(&mut self, o: HOp) {
        if let Some(c) = self.pending_reads.get_mut(&(o.key, o.value)) {
            *c -= 1;
        }
    }
    fn inc(&mut self, o: HOp) {
        *self.pending_reads.entry((o.key, o.value)).or_insert(0) += 1;
    }

    /// Sequential consistency over processes `procs` (op indices in program order).
    fn seq(
        &mut self,
        procs: &[Vec<usize>],
        next: &mut Vec<u32>,
        state: &mut Vec<u32>,
        left: usize,
    ) -> Option<bool> {
        if left == 0 {
            return Some(true);
        }
        self.nodes += 1;
        if self.nodes > self.budget {
            return None;
        }
        let key: Vec<u64> = next.iter().map(|&x| u64::from(x)).collect();
        if !self.seen.insert((key, state.clone())) {
            return Some(false);
        }
        let head = |p: usize, next: &Vec<u32>| procs[p].get(next[p] as usize).copied();
        if let Some(p) = (0..procs.len()).find(|&p| {
            head(p, next).is_some_and(|i| {
                let o = self.ops[i];
                !o.write && state[o.key as usize] == o.value
            })
        }) {
            let o = self.ops[procs[p][next[p] as usize]];
            next[p] += 1;
            self.dec(o);
            let res = self.seq(procs, next, state, left - 1);
            self.inc(o);
            next[p] -= 1;
            return res;
        }
        // writes, earliest invocation first (real histories are nearly in real-time order)
        let mut cands: Vec<usize> = (0..procs.len())
            .filter(|&p| head(p, next).is_some_and(|i| self.ops[i].write))
            .collect();
        crate::sort::sort_by(&mut cands, |&a, &b| {
            let (x, y) = (
                self.ops[procs[a][next[a] as usize]],
                self.ops[procs[b][next[b] as usize]],
            );
            x.call.total_cmp(&y.call).then(a.cmp(&b))
        });
        let mut out = Some(false);
        for p in cands {
            let o = self.ops[procs[p][next[p] as usize]];
            if !self.may_overwrite(o.key, state[o.key as usize]) {
                continue;
            }
            let old = state[o.key as usize];
            state[o.key as usize] = o.value;
            next[p] += 1;
            let res = self.seq(procs, next, state, left - 1);
            next[p] -= 1;
            state[o.key as usize] = old;
            match res {
                Some(true) => return Some(true),
                None => out = None,
                Some(false) => {}
            }
            out?;
        }
        out
    }
}

fn n_keys(h: &[HOp]) -> usize {
    h.iter().map(|o| o.key as usize + 1).max().unwrap_or(0)
}

/// Thin-air reads (a value nobody wrote): the first, if any.
fn thin_air(h: &[HOp]) -> Option<usize> {
    let written: BTreeSet<(u32, u32)> = h
        .iter()
        .filter(|o| o.write)
        .map(|o| (o.key, o.value))
        .collect();
    h.iter()
        .position(|o| !o.write && o.value != 0 && !written.contains(&(o.key, o.value)))
}

/// The first read that returns a value older (by `order`, the position of the value's write in
/// the true order) than a write to its key completed before the read began.
fn first_stale(h: &[HOp], idx: &[usize]) -> Option<usize> {
    let rank: BTreeMap<(u32, u32), usize> = idx
        .iter()
        .filter(|&&i| h[i].write)
        .map(|&i| ((h[i].key, h[i].value), i))
        .collect();
    idx.iter().copied().find(|&r| {
        let o = h[r];
        !o.write
            && idx.iter().any(|&w| {
                let x = h[w];
                x.write && x.key == o.key && x.ret < o.call && {
                    // the read's value was written earlier than x in time, or is the initial value
                    let v = if o.value == 0 {
                        None
                    } else {
                        rank.get(&(o.key, o.value))
                    };
                    v.is_none_or(|&vi| h[vi].ret < x.call)
                }
            })
    })
}

/// Linearizability, key by key. `budget` bounds each key's search.
pub fn check_linearizable(h: &[HOp], budget: u64) -> Check {
    if let Some(i) = thin_air(h) {
        return Check {
            verdict: Verdict::No,
            witness: Some(i as u32),
            why: "a read returned a value nobody wrote".into(),
            nodes: 0,
        };
    }
    let mut nodes = 0;
    let mut inconclusive = false;
    for k in 0..n_keys(h) as u32 {
        let idx: Vec<usize> = (0..h.len()).filter(|&i| h[i].key == k).collect();
        if idx.is_empty() {
            continue;
        }
        let ops: Vec<HOp> = idx.iter().map(|&i| HOp { key: 0, ..h[i] }).collect();
        let mut s = Search::new(&ops, budget);
        let mut done = vec![0u64; ops.len().div_ceil(64)];
        let mut state = vec![0u32];
        let res = s.lin(&mut done, &mut state, ops.len());
        nodes += s.nodes;
        match res {
            Some(true) => {}
            Some(false) => {
                let w = first_stale(h, &idx);
                return Check {
                    verdict: Verdict::No,
                    witness: w.map(|i| i as u32),
                    why: match w {
                        Some(_) => format!(
                            "key {k}: a read missed a write that had completed before it began"
                        ),
                        None => format!("key {k}: no order of its operations respects real time"),
                    },
                    nodes,
                };
            }
            None => inconclusive = true,
        }
    }
    Check {
        verdict: if inconclusive {
            Verdict::Inconclusive
        } else {
            Verdict::Yes
        },
        witness: None,
        why: String::new(),
        nodes,
    }
}

/// The processes of a history: op indices per process in program order (slice order).
fn processes(h: &[HOp]) -> Vec<Vec<usize>> {
    let mut by: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, o) in h.iter().enumerate() {
        by.entry(o.process).or_default().push(i);
    }
    by.into_values().collect()
}

/// The first read, in some process, that returns an older value of a key than one it has
/// already seen or written (by write order of the same history slice): a likely witness.
fn first_backwards(h: &[HOp]) -> Option<usize> {
    let pos: BTreeMap<(u32, u32), f64> = h
        .iter()
        .filter(|o| o.write)
        .map(|o| ((o.key, o.value), o.call))
        .collect();
    for p in processes(h) {
        let mut newest: BTreeMap<u32, f64> = BTreeMap::new();
        for i in p {
            let o = h[i];
            let t = if o.value == 0 {
                f64::NEG_INFINITY
            } else {
                pos.get(&(o.key, o.value))
                    .copied()
                    .unwrap_or(f64::NEG_INFINITY)
            };
            if !o.write && newest.get(&o.key).is_some_and(|&n| t < n) {
                return Some(i);
            }
            let e = newest.entry(o.key).or_insert(f64::NEG_INFINITY);
            *e = e.max(t);
        }
    }
    None
}

/// Sequential consistency of the whole history (all keys together).
pub fn check_sequential(h: &[HOp], budget: u64) -> Check {
    if let Some(i) = thin_air(h) {
        return Check {
            verdict: Verdict::No,
            witness: Some(i as u32),
            why: "a read returned a value nobody wrote".into(),
            nodes: 0,
        };
    }
    let procs = processes(h);
    let mut s = Search::new(h, budget);
    let mut next = vec![0u32; procs.len()];
    let mut state = vec![0u32; n_keys(h)];
    let res = s.seq(&procs, &mut next, &mut state, h.len());
    let (verdict, witness, why) = match res {
        Some(true) => (Verdict::Yes, None, String::new()),
        None => (Verdict::Inconclusive, None, String::new()),
        Some(false) => {
            let w = first_backwards(h);
            (Verdict::No, w.map(|i| i as u32), "no single order of all operations keeps every client's program order and every read's value".into())
        }
    };
    Check {
        verdict,
        witness,
        why,
        nodes: s.nodes,
    }
}

/// Causal consistency (CC) by the bad patterns of Bouajjani, Enea, Guerraoui & Hamza (POPL
/// 2017), for differentiated histories: ThinAirRead, CyclicCO, WriteCOInitRead, WriteCORead.
pub fn check_causal(h: &[HOp]) -> Check {
    let no = |i: usize, why: &str| Check {
        verdict: Verdict::No,
        witness: Some(i as u32),
        why: why.into(),
        nodes: 0,
    };
    if let Some(i) = thin_air(h) {
        return no(i, "ThinAirRead: a read returned a value nobody wrote");
    }
    let n = h.len();
    let writer: BTreeMap<(u32, u32), usize> = h
        .iter()
        .enumerate()
        .filter(|(_, o)| o.write)
        .map(|(i, o)| ((o.key, o.value), i))
        .collect();
    // predecessors: immediate program-order predecessor and the write a read reads from
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for p in processes(h) {
        for w in p.windows(2) {
            preds[w[1]].push(w[0]);
        }
    }
    for (i, o) in h.iter().enumerate() {
        if !o.write && o.value != 0 {
            if let Some(&w) = writer.get(&(o.key, o.value)) {
                preds[i].push(w);
            }
        }
    }
    // topological order (Kahn); leftovers mean a cycle
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0u32; n];
    for (i, ps) in preds.iter().enumerate() {
        for &p in ps {
            succ[p].push(i);
            indeg[i] += 1;
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut stack: Vec<usize> = (0..n).rev().filter(|&i| indeg[i] == 0).collect();
    while let Some(v) = stack.pop() {
        order.push(v);
        for &s in &succ[v] {
            indeg[s] -= 1;
            if indeg[s] == 0 {
                stack.push(s);
            }
        }
    }
    if order.len() < n {
        let i = (0..n).find(|&i| indeg[i] > 0).unwrap_or(0);
        return no(
            i,
            "CyclicCO: causality runs in a circle (a read sees a write that depends on the read)",
        );
    }
    let words = n.div_ceil(64);
    let mut anc = vec![0u64; n * words];
    for &v in &order {
        for &p in &preds[v] {
            for w in 0..words {
                let x = anc[p * words + w];
                anc[v * words + w] |= x;
            }
            bit_set(&mut anc[v * words..(v + 1) * words], p, true);
        }
    }
    let before = |a: usize, b: usize| bit_get(&anc[b * words..(b + 1) * words], a);
    for (r, o) in h.iter().enumerate() {
        if o.write {
            continue;
        }
        let src = if o.value == 0 {
            None
        } else {
            writer.get(&(o.key, o.value)).copied()
        };
        for (w2, x) in h.iter().enumerate() {
            if !x.write || x.key != o.key || Some(w2) == src || !before(w2, r) {
                continue;
            }
            match src {
                None => return no(r, "WriteCOInitRead: a read saw the initial value though a write to its key is among its causes"),
                Some(w1) if before(w1, w2) => {
                    return no(r, "WriteCORead: a read saw a value that one of its causes had already overwritten")
                }
                _ => {}
            }
        }
    }
    Check {
        verdict: Verdict::Yes,
        witness: None,
        why: String::new(),
        nodes: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

/// Replicas: 0 primary, 1 near, 2 far. Clients are nodes 3, 4, …
const R: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Msg {
    /// client → replica: write `value` to `key`.
    Write { op: u32, key: u32, value: u32 },
    /// client → replica: read `key` once the replica has reached index `after`.
    Read { op: u32, key: u32, after: u32 },
    /// replica → client: answer. `value` read (or 0 for writes), `version` its log index,
    /// `at` the replica's index when serving (the causal token).
    Reply {
        op: u32,
        value: u32,
        version: u32,
        at: u32,
    },
    /// primary → secondary: one log entry, with the commit point.
    Append {
        index: u32,
        key: u32,
        value: u32,
        commit: u32,
    },
    /// secondary → primary: applied up to `index`; `catchup` asks for the entries after it.
    Ack { index: u32, catchup: bool },
    /// primary → secondary: commit point and last index.
    Beat { commit: u32, last: u32 },
    /// primary → secondary: confirm I am still reachable (linearizable reads).
    Ping { id: u32 },
    /// secondary → primary.
    Pong { id: u32 },
}

impl Msg {
    fn label(&self) -> &'static str {
        match self {
            Msg::Write { .. } => "write",
            Msg::Read { .. } => "read",
            Msg::Reply { .. } => "reply",
            Msg::Append { .. } => "append",
            Msg::Ack { .. } => "ack",
            Msg::Beat { .. } => "beat",
            Msg::Ping { .. } => "ping",
            Msg::Pong { .. } => "pong",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    Deliver {
        from: u32,
        to: u32,
        id: u64,
        msg: Msg,
    },
    ClientNext {
        client: u32,
    },
    Timeout {
        client: u32,
        op: u32,
    },
    Heartbeat,
    Link {
        from: u32,
        to: u32,
        up: bool,
    },
    Node {
        node: u32,
        up: bool,
    },
}

/// A scheduled event (earliest first, ties in scheduling order).
type Event = Scheduled<Ev>;

/// One recorded operation of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpRecord {
    /// Client number (0-based).
    pub client: u32,
    /// Key.
    pub key: u32,
    /// A write (else a read).
    pub write: bool,
    /// Value written, or value read (0 = the initial value).
    pub value: u32,
    /// Invocation time, ms.
    pub call_ms: f64,
    /// Response time, ms; `None` if the client gave up (timeout).
    pub ret_ms: Option<f64>,
    /// Replica that served it (the one asked, for failures).
    pub replica: u32,
    /// A read that returned a value older than a write completed before it began.
    pub stale: bool,
}

#[derive(Clone, Debug)]
struct Replica {
    up: bool,
    /// applied log length
    applied: u32,
    /// commit point known
    commit: u32,
    /// per key: (index, value) versions, ascending
    versions: Vec<Vec<(u32, u32)>>,
    /// out-of-order entries waiting for a gap to fill
    buffer: BTreeMap<u32, (u32, u32)>,
    /// reads waiting for the token: (client node, op, key, after)
    waiting: Vec<(u32, u32, u32, u32)>,
}

impl Replica {
    fn value_at(&self, key: u32, upto: u32) -> (u32, u32) {
        self.versions[key as usize]
            .iter()
            .rev()
            .find(|(i, _)| *i <= upto)
            .map(|&(i, v)| (v, i))
            .unwrap_or((0, 0))
    }
}

#[derive(Clone, Debug)]
struct Client {
    done: u32,
    /// the op in flight: (op id, index into records)
    current: Option<u32>,
    token: u32,
    key_tokens: Vec<u32>,
}

/// A message in flight, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flight {
    /// Sender node (0–2 replicas, 3+ clients).
    pub from: u32,
    /// Receiver node.
    pub to: u32,
    /// Kind: write, read, reply, append, ack, beat, ping, pong.
    pub kind: String,
    /// Send time, s.
    pub sent: f64,
    /// Arrival time, s.
    pub arrives: f64,
}

/// One replica, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaView {
    /// Up (not crashed).
    pub up: bool,
    /// Log entries applied.
    pub applied: u32,
    /// Commit point known.
    pub commit: u32,
    /// Newest value per key.
    pub values: Vec<u32>,
}

/// Plain data for drawing the store at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Simulated time, s.
    pub t: f64,
    /// The three replicas.
    pub replicas: Vec<ReplicaView>,
    /// `cut[a][b]`: messages from group a to group b are lost (groups: replicas 0–2, clients 3).
    pub cut: Vec<Vec<bool>>,
    /// Messages in flight.
    pub flights: Vec<Flight>,
    /// The last few operations (newest last).
    pub recent: Vec<OpRecord>,
    /// Operations finished or given up.
    pub finished: u32,
    /// Operations in all.
    pub total: u32,
    /// Stale reads so far.
    pub stale: u32,
    /// Timed-out operations so far.
    pub failed: u32,
}

/// The store under its client workload: a step-able discrete-event simulation.
#[derive(Clone, Debug)]
pub struct DialSim {
    s: Settings,
    p: Params,
    now: f64,
    seq: u64,
    events: BinaryHeap<Event>,
    net: Rng,
    work: Rng,
    replicas: Vec<Replica>,
    clients: Vec<Client>,
    cut: [[bool; 4]; 4],
    /// last arrival time per (from, to) link, for FIFO links
    fifo: BTreeMap<(u32, u32), f64>,
    /// primary: highest index acked by each secondary
    matched: [u32; R],
    /// primary: writes waiting for their concern: (client node, op, index, key)
    pending_writes: Vec<(u32, u32, u32, u32)>,
    /// primary: linearizable reads waiting: (client node, op, key, need index, ping id, confirmed)
    pending_lin: Vec<(u32, u32, u32, u32, u32, bool)>,
    ping_id: u32,
    next_value: Vec<u32>,
    /// op id → record index
    records: Vec<OpRecord>,
    inflight: BTreeMap<u64, Flight>,
    msg_id: u64,
    messages: u64,
    stale: u32,
    failed: u32,
    finished: u32,
    /// (index of write) per (key, value), for staleness
    write_index: BTreeMap<(u32, u32), u32>,
    /// per key: the highest log index among writes acknowledged so far, with time
    acked: Vec<Vec<(f64, u32)>>,
}

impl DialSim {
    /// A fresh run of `p` with `seed`: clients start at random moments in the first think time.
    pub fn new(p: &Params, seed: u64) -> DialSim {
        let p = p.sanitised();
        let keys = p.keys as usize;
        let mut sim = DialSim {
            s: p.settings(),
            now: 0.0,
            seq: 0,
            events: BinaryHeap::new(),
            net: Rng::derive(seed, "net"),
            work: Rng::derive(seed, "workload"),
            replicas: (0..R)
                .map(|_| Replica {
                    up: true,
                    applied: 0,
                    commit: 0,
                    versions: vec![Vec::new(); keys],
                    buffer: BTreeMap::new(),
                    waiting: Vec::new(),
                })
                .collect(),
            clients: (0..p.clients)
                .map(|_| Client {
                    done: 0,
                    current: None,
                    token: 0,
                    key_tokens: vec![0; keys],
                })
                .collect(),
            cut: [[false; 4]; 4],
            fifo: BTreeMap::new(),
            matched: [0; R],
            pending_writes: Vec::new(),
            pending_lin: Vec::new(),
            ping_id: 0,
            next_value: vec![0; keys],
            records: Vec::new(),
            inflight: BTreeMap::new(),
            msg_id: 0,
            messages: 0,
            stale: 0,
            failed: 0,
            finished: 0,
            write_index: BTreeMap::new(),
            acked: vec![Vec::new(); keys],
            p: p.clone(),
        };
        for c in 0..p.clients {
            let t = sim.work.uniform() * p.think_ms.max(1.0);
            sim.push(t, Ev::ClientNext { client: c });
        }
        sim.push(HEARTBEAT_MS, Ev::Heartbeat);
        if p.partition != Partition::None && p.part_len_ms > 0.0 {
            let node = match p.partition {
                Partition::Primary => 0,
                Partition::Near => 1,
                _ => 2,
            };
            for other in 0..4u32 {
                if other == node {
                    continue;
                }
                let (a, b) = (p.part_start_ms, p.part_start_ms + p.part_len_ms);
                sim.push(
                    a,
                    Ev::Link {
                        from: node,
                        to: other,
                        up: false,
                    },
                );
                sim.push(
                    b,
                    Ev::Link {
                        from: node,
                        to: other,
                        up: true,
                    },
                );
                if !p.one_way {
                    sim.push(
                        a,
                        Ev::Link {
                            from: other,
                            to: node,
                            up: false,
                        },
                    );
                    sim.push(
                        b,
                        Ev::Link {
                            from: other,
                            to: node,
                            up: true,
                        },
                    );
                }
            }
        }
        sim
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.s
    }

    fn push(&mut self, time: f64, ev: Ev) {
        self.seq += 1;
        self.events.push(Scheduled {
            time,
            seq: self.seq,
            item: ev,
        });
    }

    /// Crash replica `node` at simulated time `t_s` (seconds; not before now): it stops
    /// handling and sending messages until restarted; its data survives.
    pub fn crash(&mut self, node: u32, t_s: f64) {
        let t = (t_s * 1000.0).max(self.now);
        self.push(
            t,
            Ev::Node {
                node: node.min(2),
                up: false,
            },
        );
    }

    /// Restart replica `node` at `t_s` seconds; it catches up from the primary's heartbeats.
    pub fn restart(&mut self, node: u32, t_s: f64) {
        let t = (t_s * 1000.0).max(self.now);
        self.push(
            t,
            Ev::Node {
                node: node.min(2),
                up: true,
            },
        );
    }

    /// Cut (`up = false`) or heal the one-way link from group `from` to group `to` (0–2
    /// replicas, 3 the clients) at `t_s` seconds.
    pub fn set_link(&mut self, from: u32, to: u32, up: bool, t_s: f64) {
        let t = (t_s * 1000.0).max(self.now);
        self.push(
            t,
            Ev::Link {
                from: from.min(3),
                to: to.min(3),
                up,
            },
        );
    }

    /// Whether replica `node` is up.
    pub fn is_up(&self, node: u32) -> bool {
        self.replicas.get(node as usize).is_some_and(|r| r.up)
    }

    fn group(node: u32) -> usize {
        (node as usize).min(3)
    }

    /// One-way delay between nodes: the sites lie on a line, primary — clients and near
    /// secondary — far secondary, so the primary reaches the far secondary through both hops.
    fn latency(&self, a: u32, b: u32) -> f64 {
        let (ga, gb) = (
            Self::group(a).min(Self::group(b)),
            Self::group(a).max(Self::group(b)),
        );
        let p = &self.p;
        match (ga, gb) {
            (0, 1) | (0, 3) => p.primary_ms,
            (0, 2) => p.primary_ms + p.far_ms,
            (1, 2) | (2, 3) => p.far_ms,
            (1, 3) => p.near_ms,
            _ => p.near_ms.min(0.5),
        }
    }

    fn send(&mut self, from: u32, to: u32, msg: Msg) {
        let base = self.latency(from, to);
        let mut d = base * (0.8 + 0.4 * self.net.uniform());
        if matches!(msg, Msg::Append { .. }) && self.p.lag_ms > 0.0 {
            d += self.net.exp(self.p.lag_ms);
        }
        let key = (from, to);
        let arrive = (self.now + d).max(self.fifo.get(&key).copied().unwrap_or(0.0) + 1e-6);
        self.fifo.insert(key, arrive);
        self.messages += 1;
        self.msg_id += 1;
        let id = self.msg_id;
        self.inflight.insert(
            id,
            Flight {
                from,
                to,
                kind: msg.label().into(),
                sent: self.now / 1000.0,
                arrives: arrive / 1000.0,
            },
        );
        self.push(arrive, Ev::Deliver { from, to, id, msg });
    }

    fn total_ops(&self) -> u32 {
        self.p.clients * self.p.ops
    }

    fn client_next(&mut self, c: u32) {
        let cl = &self.clients[c as usize];
        if cl.current.is_some() || cl.done >= self.p.ops {
            return;
        }
        let key = self.work.below(u64::from(self.p.keys)) as u32;
        let write = !self.work.chance(self.p.read_pct / 100.0);
        let op = self.records.len() as u32;
        let node = R as u32 + c;
        let (value, target) = if write {
            self.next_value[key as usize] += 1;
            (self.next_value[key as usize], 0)
        } else {
            let t = match self.s.read_pref {
                ReadPref::Primary | ReadPref::Dial => 0,
                ReadPref::Nearest => 1,
                ReadPref::Secondary => 1 + self.work.below(2) as u32,
            };
            (0, t)
        };
        self.records.push(OpRecord {
            client: c,
            key,
            write,
            value,
            call_ms: self.now,
            ret_ms: None,
            replica: target,
            stale: false,
        });
        self.clients[c as usize].current = Some(op);
        let msg = if write {
            Msg::Write { op, key, value }
        } else {
            let after = match self.s.tokens {
                Tokens::Causal => self.clients[c as usize].token,
                Tokens::Session => self.clients[c as usize].key_tokens[key as usize],
                _ => 0,
            };
            Msg::Read { op, key, after }
        };
        self.send(node, target, msg);
        self.push(self.now + self.p.timeout, Ev::Timeout { client: c, op });
    }

    fn finish(&mut self, c: u32, op: u32, ok: Option<(u32, u32, u32)>) {
        let cl = &mut self.clients[c as usize];
        if cl.current != Some(op) {
            return; // a late answer to an op the client gave up on
        }
        cl.current = None;
        cl.done += 1;
        self.finished += 1;
        let now = self.now;
        match ok {
            Some((value, version, at)) => {
                let rec = &mut self.records[op as usize];
                rec.ret_ms = Some(now);
                let (key, write) = (rec.key, rec.write);
                if !write {
                    rec.value = value;
                    // stale: a write to the key acknowledged before this read began has a
                    // higher log index than the version returned
                    let call = rec.call_ms;
                    let newest = self.acked[key as usize]
                        .iter()
                        .filter(|(t, _)| *t < call)
                        .map(|&(_, i)| i)
                        .max()
                        .unwrap_or(0);
                    if newest > version {
                        self.records[op as usize].stale = true;
                        self.stale += 1;
                    }
                } else {
                    self.acked[key as usize].push((now, version));
                }
                let cl = &mut self.clients[c as usize];
                cl.token = cl.token.max(at).max(version);
                cl.key_tokens[key as usize] = cl.key_tokens[key as usize].max(version);
            }
            None => self.failed += 1,
        }
        let think = self.work.exp(self.p.think_ms.max(1e-3));
        self.push(now + think, Ev::ClientNext { client: c });
    }

    fn reply(&mut self, from: u32, to: u32, op: u32, value: u32, version: u32, at: u32) {
        self.send(
            from,
            to,
            Msg::Reply {
                op,
                value,
                version,
                at,
            },
        );
    }

    fn serve_read(&mut self, r: u32, client: u32, op: u32, key: u32, after: u32) {
        let rep = &self.replicas[r as usize];
        let mark = if self.s.read_concern == ReadConcern::Majority {
            rep.commit
        } else {
            rep.applied
        };
        if mark < after {
            self.replicas[r as usize]
                .waiting
                .push((client, op, key, after));
            return;
        }
        let (value, version) = rep.value_at(key, mark);
        self.reply(r, client, op, value, version, mark);
    }

    fn retry_waiting(&mut self, r: u32) {
        let w = std::mem::take(&mut self.replicas[r as usize].waiting);
        for (client, op, key, after) in w {
            self.serve_read(r, client, op, key, after);
        }
    }

    fn apply(&mut self, r: usize, index: u32, key: u32, value: u32) {
        let rep = &mut self.replicas[r];
        if index <= rep.applied {
            return;
        }
        rep.buffer.insert(index, (key, value));
        while let Some((k, v)) = rep.buffer.remove(&(rep.applied + 1)) {
            rep.applied += 1;
            let i = rep.applied;
            rep.versions[k as usize].push((i, v));
        }
    }

    fn primary_progress(&mut self) {
        let commit = self.matched[1]
            .max(self.matched[2])
            .min(self.replicas[0].applied);
        let all = self.matched[1].min(self.matched[2]);
        self.replicas[0].commit = commit;
        let wc = self.s.write_concern;
        let pend = std::mem::take(&mut self.pending_writes);
        for (client, op, index, key) in pend {
            let need = if wc == WriteConcern::All { all } else { commit };
            if need >= index {
                self.reply(0, client, op, 0, index, index);
            } else {
                self.pending_writes.push((client, op, index, key));
            }
        }
        let lin = std::mem::take(&mut self.pending_lin);
        for (client, op, key, need, id, ok) in lin {
            if ok && commit >= need {
                let (v, ver) = self.replicas[0].value_at(key, self.replicas[0].applied);
                let at = self.replicas[0].applied;
                self.reply(0, client, op, v, ver, at);
            } else {
                self.pending_lin.push((client, op, key, need, id, ok));
            }
        }
        self.retry_waiting(0);
    }

    fn deliver(&mut self, from: u32, to: u32, id: u64, msg: Msg) {
        self.inflight.remove(&id);
        if self.cut[Self::group(from)][Self::group(to)] {
            return;
        }
        if (to as usize) < R && !self.replicas[to as usize].up {
            return;
        }
        match msg {
            Msg::Write { op, key, value } => {
                let index = self.replicas[0].applied + 1;
                self.apply(0, index, key, value);
                self.write_index.insert((key, value), index);
                for s in 1..R as u32 {
                    let commit = self.replicas[0].commit;
                    self.send(
                        0,
                        s,
                        Msg::Append {
                            index,
                            key,
                            value,
                            commit,
                        },
                    );
                }
                if self.s.write_concern == WriteConcern::One {
                    self.reply(0, from, op, 0, index, index);
                } else {
                    self.pending_writes.push((from, op, index, key));
                }
                self.retry_waiting(0);
            }
            Msg::Read { op, key, after } => {
                if to == 0 && self.s.read_concern == ReadConcern::Linearizable {
                    self.ping_id += 1;
                    let need = self.replicas[0].applied;
                    self.pending_lin
                        .push((from, op, key, need, self.ping_id, false));
                    for s in 1..R as u32 {
                        self.send(0, s, Msg::Ping { id: self.ping_id });
                    }
                } else {
                    self.serve_read(to, from, op, key, after);
                }
            }
            Msg::Reply {
                op,
                value,
                version,
                at,
            } => {
                self.finish(to - R as u32, op, Some((value, version, at)));
            }
            Msg::Append {
                index,
                key,
                value,
                commit,
            } => {
                let r = to as usize;
                self.apply(r, index, key, value);
                let rep = &mut self.replicas[r];
                rep.commit = rep.commit.max(commit.min(rep.applied));
                let a = rep.applied;
                self.send(
                    to,
                    0,
                    Msg::Ack {
                        index: a,
                        catchup: false,
                    },
                );
                self.retry_waiting(to);
            }
            Msg::Ack { index, catchup } => {
                let s = from as usize;
                self.matched[s] = self.matched[s].max(index);
                // catch up a secondary that missed entries (links are FIFO, so a heartbeat
                // finding a secondary behind means entries were lost)
                let last = self.replicas[0].applied;
                if catchup && index < last {
                    let commit = self.replicas[0].commit;
                    for i in index + 1..=last.min(index + 8) {
                        if let Some((k, v)) = self.entry(i) {
                            self.send(
                                0,
                                from,
                                Msg::Append {
                                    index: i,
                                    key: k,
                                    value: v,
                                    commit,
                                },
                            );
                        }
                    }
                }
                self.primary_progress();
            }
            Msg::Beat { commit, last } => {
                let r = to as usize;
                let rep = &mut self.replicas[r];
                rep.commit = rep.commit.max(commit.min(rep.applied));
                if rep.applied < last {
                    let a = rep.applied;
                    self.send(
                        to,
                        0,
                        Msg::Ack {
                            index: a,
                            catchup: true,
                        },
                    );
                }
                self.retry_waiting(to);
            }
            Msg::Ping { id } => self.send(to, 0, Msg::Pong { id }),
            Msg::Pong { id } => {
                for x in self.pending_lin.iter_mut().filter(|x| x.4 == id) {
                    x.5 = true;
                }
                self.primary_progress();
            }
        }
    }

    /// The primary's log entry `i` (key, value).
    fn entry(&self, i: u32) -> Option<(u32, u32)> {
        self.replicas[0]
            .versions
            .iter()
            .enumerate()
            .find_map(|(k, vs)| {
                vs.iter()
                    .find(|(j, _)| *j == i)
                    .map(|&(_, v)| (k as u32, v))
            })
    }

    fn clients_busy(&self) -> bool {
        self.finished < self.total_ops()
    }

    /// Plain data for drawing.
    pub fn snapshot(&self) -> Snapshot {
        let keys = self.p.keys;
        Snapshot {
            t: self.now / 1000.0,
            replicas: self
                .replicas
                .iter()
                .map(|r| ReplicaView {
                    up: r.up,
                    applied: r.applied,
                    commit: r.commit,
                    values: (0..keys).map(|k| r.value_at(k, r.applied).0).collect(),
                })
                .collect(),
            cut: self.cut.iter().map(|row| row.to_vec()).collect(),
            flights: self.inflight.values().cloned().collect(),
            recent: self.records.iter().rev().take(12).rev().cloned().collect(),
            finished: self.finished,
            total: self.total_ops(),
            stale: self.stale,
            failed: self.failed,
        }
    }

    /// Run every event.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// The operations so far.
    pub fn records(&self) -> &[OpRecord] {
        &self.records
    }

    /// Messages sent so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }
}

impl Simulation for DialSim {
    fn now(&self) -> f64 {
        self.now / 1000.0
    }

    fn step(&mut self) -> bool {
        let Some(e) = self.events.pop() else {
            return false;
        };
        self.now = e.time;
        match e.item {
            Ev::Deliver { from, to, id, msg } => self.deliver(from, to, id, msg),
            Ev::ClientNext { client } => self.client_next(client),
            Ev::Timeout { client, op } => self.finish(client, op, None),
            Ev::Heartbeat => {
                if self.replicas[0].up {
                    let (commit, last) = (self.replicas[0].commit, self.replicas[0].applied);
                    for s in 1..R as u32 {
                        self.send(0, s, Msg::Beat { commit, last });
                    }
                }
                if self.clients_busy() {
                    self.push(self.now + HEARTBEAT_MS, Ev::Heartbeat);
                }
            }
            Ev::Link { from, to, up } => self.cut[from as usize][to as usize] = !up,
            Ev::Node { node, up } => self.replicas[node as usize].up = up,
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.events.peek().map(|e| e.time / 1000.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// Ops drawn in the history lanes.
pub const LANE_OPS: usize = 40;

/// Latency figures of one kind of operation, ms (successful operations only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lat {
    /// Successful operations.
    pub n: u32,
    /// Median, ms.
    pub p50: f64,
    /// 99th percentile, ms.
    pub p99: f64,
}

fn lat(mut v: Vec<f64>) -> Lat {
    if v.is_empty() {
        return Lat::default();
    }
    v.sort_unstable_by(f64::total_cmp);
    Lat {
        n: v.len() as u32,
        p50: crate::stats::quantile_sorted(&v, 0.5),
        p99: crate::stats::quantile_sorted(&v, 0.99),
    }
}

/// The figures of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Read latency.
    pub read: Lat,
    /// Write latency.
    pub write: Lat,
    /// Stale reads / successful reads.
    pub stale_rate: f64,
    /// Stale reads.
    pub stale_reads: u32,
    /// Successful / attempted operations, whole run.
    pub availability: f64,
    /// Successful / attempted operations invoked during the partition window (`None` without one).
    pub availability_partition: Option<f64>,
    /// Network messages per attempted operation.
    pub messages_per_op: f64,
    /// Linearizability verdict.
    pub linearizable: Check,
    /// Sequential-consistency verdict.
    pub sequential: Check,
    /// Causal-consistency verdict.
    pub causal: Check,
}

/// One row of the five-level comparison: the same workload and faults at each preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelRow {
    /// The level (its preset settings, the other knobs as set).
    pub level: Level,
    /// What it measured.
    pub figures: Figures,
}

/// A point of the availability-over-time chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Bin start, ms.
    pub t_ms: f64,
    /// Operations invoked in the bin.
    pub attempted: u32,
    /// Of which succeeded.
    pub ok: u32,
}

/// Everything one run reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The settings in force (dial presets applied).
    pub settings: Settings,
    /// The level those settings promise.
    pub promised: Level,
    /// The strongest of linearizable / sequential / causal the checker confirmed (or eventual
    /// when none holds).
    pub observed: Level,
    /// Measured figures and verdicts.
    pub figures: Figures,
    /// Operations in all.
    pub ops: u32,
    /// The last operations (up to 40), for the history lanes; `stale` marks stale reads.
    pub history: Vec<OpRecord>,
    /// Index of the first history entry drawn within the whole run.
    pub history_offset: u32,
    /// Availability over time (bins of invocation time).
    pub bins: Vec<Bin>,
    /// Partition window (start, end) in ms, when there is one.
    pub partition_ms: Option<(f64, f64)>,
    /// Successful operations as (invocation ms, latency ms, is write), at most 300.
    pub latencies: Vec<(f64, f64, bool)>,
    /// The same workload at every level's preset.
    pub levels: Vec<LevelRow>,
    /// Plain sentences on the run.
    pub notes: Vec<String>,
}

/// The history the checkers see: timed-out writes become processes of their own (the client
/// moved on; the write may have happened at any moment after it was sent, or never) with an
/// open end; timed-out reads are dropped (they returned nothing).
pub fn history_of(records: &[OpRecord]) -> (Vec<HOp>, Vec<usize>) {
    let mut h = Vec::new();
    let mut map = Vec::new();
    let mut extra = 1000;
    for (i, r) in records.iter().enumerate() {
        match r.ret_ms {
            Some(ret) => {
                h.push(HOp {
                    process: r.client,
                    key: r.key,
                    write: r.write,
                    value: r.value,
                    call: r.call_ms,
                    ret,
                });
                map.push(i);
            }
            None if r.write => {
                extra += 1;
                h.push(HOp {
                    process: extra,
                    key: r.key,
                    write: true,
                    value: r.value,
                    call: r.call_ms,
                    ret: f64::INFINITY,
                });
                map.push(i);
            }
            None => {}
        }
    }
    (h, map)
}

fn figures(sim: &DialSim, p: &Params, budget: u64) -> Figures {
    let recs = sim.records();
    let ok = |r: &&OpRecord| r.ret_ms.is_some();
    let lats = |w: bool| {
        recs.iter()
            .filter(ok)
            .filter(|r| r.write == w)
            .map(|r| r.ret_ms.unwrap_or(0.0) - r.call_ms)
            .collect::<Vec<_>>()
    };
    let reads_ok = recs.iter().filter(ok).filter(|r| !r.write).count();
    let n = recs.len().max(1) as f64;
    let avail_part = (p.partition != Partition::None && p.part_len_ms > 0.0)
        .then(|| {
            let (a, b) = (p.part_start_ms, p.part_start_ms + p.part_len_ms);
            let inwin: Vec<&OpRecord> = recs
                .iter()
                .filter(|r| r.call_ms >= a && r.call_ms < b)
                .collect();
            inwin.iter().filter(|r| r.ret_ms.is_some()).count() as f64 / inwin.len() as f64
        })
        .filter(|x| x.is_finite());
    let (h, map) = history_of(recs);
    let remap = |mut c: Check| {
        c.witness = c
            .witness
            .and_then(|w| map.get(w as usize).map(|&i| i as u32));
        c
    };
    // linearizable ⇒ sequential ⇒ causal: the search runs only when neither settles it
    let lin = check_linearizable(&h, BUDGET);
    let causal = check_causal(&h);
    let seq = if lin.verdict == Verdict::Yes {
        Check {
            why: "implied by linearizability".into(),
            ..lin.clone()
        }
    } else if causal.verdict == Verdict::No {
        Check {
            why: format!("implied: not causal ({})", causal.why),
            ..causal.clone()
        }
    } else {
        check_sequential(&h, budget)
    };
    Figures {
        read: lat(lats(false)),
        write: lat(lats(true)),
        stale_rate: if reads_ok == 0 {
            0.0
        } else {
            f64::from(sim.stale) / reads_ok as f64
        },
        stale_reads: sim.stale,
        availability: recs.iter().filter(ok).count() as f64 / n,
        availability_partition: avail_part,
        messages_per_op: sim.messages() as f64 / n,
        linearizable: remap(lin),
        sequential: remap(seq),
        causal: remap(causal),
    }
}

fn observed(f: &Figures) -> Level {
    if f.linearizable.verdict == Verdict::Yes {
        Level::Linearizable
    } else if f.sequential.verdict == Verdict::Yes {
        Level::Sequential
    } else if f.causal.verdict == Verdict::Yes {
        Level::Causal
    } else {
        Level::Eventual
    }
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let f = &r.figures;
    out.push(format!(
        "Your settings promise {}; the checker finds the history {}.",
        r.promised.name(),
        match r.observed {
            Level::Linearizable => "linearizable".to_string(),
            Level::Sequential => "sequentially consistent but not linearizable".to_string(),
            Level::Causal => "causally consistent but not sequentially consistent".to_string(),
            _ => "not even causally consistent".to_string(),
        }
    ));
    if r.observed > r.promised && r.promised <= Level::Causal {
        out.push("The observed history is weaker than the settings promise: see the highlighted operation.".into());
    }
    if let Some(a) = f.availability_partition {
        out.push(format!(
            "During the partition {:.0} % of the operations clients started succeeded within the {} ms timeout.",
            a * 100.0,
            p.timeout
        ));
    }
    if r.promised == Level::Sequential && r.observed == Level::Linearizable {
        out.push("Sequential settings can still give a linearizable history when no read happened to lag.".into());
    }
    out
}

impl Model for ConsistencyDial {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let mut sim = DialSim::new(&p, seed);
        sim.run_to_end();
        let figs = figures(&sim, &p, BUDGET);
        let recs = sim.records();
        let off = recs.len().saturating_sub(LANE_OPS);
        let end = recs
            .iter()
            .map(|r| r.ret_ms.unwrap_or(r.call_ms + p.timeout))
            .fold(0.0, f64::max);
        let width = (end / 40.0).max(50.0);
        let nb = (end / width).ceil() as usize + 1;
        let mut bins: Vec<Bin> = (0..nb)
            .map(|i| Bin {
                t_ms: i as f64 * width,
                attempted: 0,
                ok: 0,
            })
            .collect();
        for r in recs {
            let b = ((r.call_ms / width) as usize).min(nb - 1);
            bins[b].attempted += 1;
            bins[b].ok += u32::from(r.ret_ms.is_some());
        }
        let stride = recs.len().div_ceil(300).max(1);
        let latencies = recs
            .iter()
            .filter(|r| r.ret_ms.is_some())
            .step_by(stride)
            .map(|r| (r.call_ms, r.ret_ms.unwrap_or(0.0) - r.call_ms, r.write))
            .collect();
        let levels = Level::ALL
            .iter()
            .map(|&l| {
                let q = Params {
                    level: l,
                    read_pref: ReadPref::Dial,
                    write_concern: WriteConcern::Dial,
                    read_concern: ReadConcern::Dial,
                    tokens: Tokens::Dial,
                    ..p.clone()
                };
                let figures = if q.settings() == sim.settings() {
                    figs.clone()
                } else {
                    let mut s = DialSim::new(&q, seed);
                    s.run_to_end();
                    figures(&s, &q, COMPARE_BUDGET)
                };
                LevelRow { level: l, figures }
            })
            .collect();
        let mut r = Report {
            settings: sim.settings(),
            promised: sim.settings().level(),
            observed: observed(&figs),
            figures: figs,
            ops: recs.len() as u32,
            history: recs[off..].to_vec(),
            history_offset: off as u32,
            bins,
            partition_ms: (p.partition != Partition::None && p.part_len_ms > 0.0)
                .then_some((p.part_start_ms, p.part_start_ms + p.part_len_ms)),
            latencies,
            levels,
            notes: Vec::new(),
        };
        r.notes = notes(&p, &r);
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let f = &r.figures;
        vec![
            ("read_p50_ms", f.read.p50),
            ("read_p99_ms", f.read.p99),
            ("write_p99_ms", f.write.p99),
            ("stale_rate", f.stale_rate),
            ("availability", f.availability),
            ("messages_per_op", f.messages_per_op),
            (
                "linearizable",
                f64::from(u8::from(f.linearizable.verdict == Verdict::Yes)),
            ),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use proptest::prelude::*;

    fn w(process: u32, key: u32, value: u32, call: f64, ret: f64) -> HOp {
        HOp {
            process,
            key,
            write: true,
            value,
            call,
            ret,
        }
    }
    fn r(process: u32, key: u32, value: u32, call: f64, ret: f64) -> HOp {
        HOp {
            process,
            key,
            write: false,
            value,
            call,
            ret,
        }
    }
    fn verdicts(h: &[HOp]) -> (Verdict, Verdict, Verdict) {
        (
            check_linearizable(h, BUDGET).verdict,
            check_sequential(h, BUDGET).verdict,
            check_causal(h).verdict,
        )
    }
    use Verdict::{No, Yes};

    #[test]
    fn a_plain_register_history_is_linearizable() {
        let h = [
            w(0, 0, 1, 0.0, 1.0),
            r(1, 0, 1, 2.0, 3.0),
            w(1, 0, 2, 4.0, 5.0),
            r(0, 0, 2, 6.0, 7.0),
        ];
        assert_eq!(verdicts(&h), (Yes, Yes, Yes));
    }

    #[test]
    fn overlapping_operations_may_take_either_order() {
        // the read overlaps the write: it may see the old or the new value
        for v in [0, 1] {
            let h = [w(0, 0, 1, 0.0, 10.0), r(1, 0, v, 2.0, 3.0)];
            assert_eq!(verdicts(&h), (Yes, Yes, Yes), "read {v}");
        }
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_sequential_but_not_linearizable() {
        // client 0 wrote 1 and finished; client 1 then reads the initial value
        let h = [w(0, 0, 1, 0.0, 1.0), r(1, 0, 0, 2.0, 3.0)];
        let c = check_linearizable(&h, BUDGET);
        assert_eq!(c.verdict, No);
        assert_eq!(c.witness, Some(1), "{c:?}");
        assert_eq!(check_sequential(&h, BUDGET).verdict, Yes);
        assert_eq!(check_causal(&h).verdict, Yes);
    }

    #[test]
    fn two_readers_seeing_writes_in_different_orders_is_causal_but_not_sequential() {
        // writes 1 and 2 are concurrent; client 2 sees 1 then 2, client 3 sees 2 then 1
        let h = [
            w(0, 0, 1, 0.0, 1.0),
            w(1, 0, 2, 0.0, 1.0),
            r(2, 0, 1, 2.0, 3.0),
            r(2, 0, 2, 4.0, 5.0),
            r(3, 0, 2, 2.0, 3.0),
            r(3, 0, 1, 4.0, 5.0),
        ];
        assert_eq!(verdicts(&h), (No, No, Yes));
    }

    #[test]
    fn a_read_from_the_future_is_not_sequential() {
        // client 0 reads 1 before it writes 1 itself (program order) — and the reading is causal
        // nonsense too: the read depends on a write that depends on the read
        let h = [r(0, 0, 1, 0.0, 1.0), w(0, 0, 1, 2.0, 3.0)];
        assert_eq!(verdicts(&h), (No, No, No));
        assert!(check_causal(&h).why.starts_with("CyclicCO"));
    }

    #[test]
    fn an_effect_without_its_cause_is_not_causal() {
        // A writes x=1; B reads x=1 then writes y=1; C reads y=1 and then x as initial
        let h = [
            w(0, 0, 1, 0.0, 1.0),
            r(1, 0, 1, 2.0, 3.0),
            w(1, 1, 1, 4.0, 5.0),
            r(2, 1, 1, 6.0, 7.0),
            r(2, 0, 0, 8.0, 9.0),
        ];
        let c = check_causal(&h);
        assert_eq!(c.verdict, No);
        assert_eq!(c.witness, Some(4));
        assert!(c.why.starts_with("WriteCOInitRead"), "{}", c.why);
        assert_eq!(check_sequential(&h, BUDGET).verdict, No);
        // overwritten cause: x=1 then x=2 by A, B reads x=2 and writes y; C reads y then x=1
        let h2 = [
            w(0, 0, 1, 0.0, 1.0),
            w(0, 0, 2, 1.5, 1.8),
            r(1, 0, 2, 2.0, 3.0),
            w(1, 1, 1, 4.0, 5.0),
            r(2, 1, 1, 6.0, 7.0),
            r(2, 0, 1, 8.0, 9.0),
        ];
        let c = check_causal(&h2);
        assert_eq!(c.verdict, No);
        assert!(c.why.starts_with("WriteCORead"), "{}", c.why);
    }

    #[test]
    fn a_thin_air_read_fails_everything() {
        let h = [r(0, 0, 7, 0.0, 1.0)];
        assert_eq!(verdicts(&h), (No, No, No));
    }

    #[test]
    fn not_reading_your_own_write_is_not_sequential() {
        let h = [w(0, 0, 1, 0.0, 1.0), r(0, 0, 0, 2.0, 3.0)];
        assert_eq!(verdicts(&h), (No, No, No));
    }

    #[test]
    fn a_timed_out_write_may_or_may_not_have_happened() {
        // open-ended write 1: read later sees it, or not
        for v in [0, 1] {
            let h = [
                w(5, 0, 1, 0.0, f64::INFINITY),
                r(1, 0, v, 2.0, 3.0),
                r(1, 0, 1, 4.0, 5.0),
            ];
            assert_eq!(verdicts(&h), (Yes, Yes, Yes));
        }
        let h = [
            w(5, 0, 1, 0.0, f64::INFINITY),
            r(1, 0, 1, 2.0, 3.0),
            r(1, 0, 0, 4.0, 5.0),
        ];
        assert_eq!(verdicts(&h).0, No);
    }

    #[test]
    fn presets_promise_their_level() {
        for l in Level::ALL {
            assert_eq!(l.preset().level(), l, "{l:?}");
        }
        let p = Params {
            level: Level::Eventual,
            read_concern: ReadConcern::Linearizable,
            ..Params::default()
        };
        let (p, notices) = crate::params::validate(p);
        assert_eq!(notices.len(), 1);
        // w:1 with a linearizable read concern promises no more than eventual
        assert_eq!(p.settings().read_pref, ReadPref::Primary);
        assert_eq!(p.settings().level(), Level::Eventual);
    }

    fn quiet(level: Level) -> Params {
        Params {
            level,
            partition: Partition::None,
            ..Params::default()
        }
    }

    #[test]
    fn linearizable_settings_give_zero_stale_reads_and_linearizable_histories() {
        for seed in 0..20 {
            let r = ConsistencyDial::run(&quiet(Level::Linearizable), seed);
            let f = &r.figures;
            assert_eq!(f.stale_reads, 0, "seed {seed}");
            assert_eq!(
                f.linearizable.verdict, Yes,
                "seed {seed}: {:?}",
                f.linearizable
            );
            assert_eq!(f.sequential.verdict, Yes);
            assert_eq!(f.causal.verdict, Yes);
            assert_eq!(f.availability, 1.0);
            assert_eq!(r.observed, Level::Linearizable);
        }
    }

    #[test]
    fn eventual_with_far_secondaries_reads_stale() {
        let mut stale = 0;
        let mut not_lin = 0;
        for seed in 0..10 {
            let r = ConsistencyDial::run(&quiet(Level::Eventual), seed);
            stale += r.figures.stale_reads;
            not_lin += u32::from(r.figures.linearizable.verdict == No);
        }
        assert!(stale > 0 && not_lin > 0, "{stale} {not_lin}");
    }

    #[test]
    fn causal_tokens_keep_histories_causal_and_in_one_log_sequential() {
        for seed in 0..10 {
            for l in [Level::Sequential, Level::Causal] {
                let r = ConsistencyDial::run(&quiet(l), seed);
                assert_eq!(r.figures.causal.verdict, Yes, "{l:?} seed {seed}");
                assert_ne!(r.figures.sequential.verdict, No, "{l:?} seed {seed}");
            }
        }
    }

    #[test]
    fn the_book_latency_gap_shows() {
        let r = ConsistencyDial::run(&quiet(Level::Linearizable), 1);
        let e = &r.levels[4].figures;
        assert!(
            r.figures.read.p50 > 5.0 * e.read.p50,
            "{} vs {}",
            r.figures.read.p50,
            e.read.p50
        );
        assert!(r.figures.messages_per_op > e.messages_per_op);
    }

    #[test]
    fn isolating_the_primary_costs_availability_and_eventual_reads_survive() {
        let p = Params::default();
        let lin = ConsistencyDial::run(&p, 3);
        let a = lin.figures.availability_partition.unwrap_or(1.0);
        assert!(a < 0.5, "{a}");
        let ev = &lin.levels[4].figures;
        assert!(ev.availability_partition.unwrap_or(0.0) > a);
    }

    #[test]
    fn live_faults_are_events() {
        let p = quiet(Level::Linearizable);
        let mut a = DialSim::new(&p, 5);
        let mut b = DialSim::new(&p, 5);
        a.advance_to(0.3);
        b.advance_to(0.3);
        a.crash(0, 0.3);
        b.crash(0, 0.3);
        a.restart(0, 0.8);
        b.restart(0, 0.8);
        a.run_to_end();
        b.run_to_end();
        assert_eq!(a.records(), b.records());
        assert!(a.records().iter().any(|r| r.ret_ms.is_none()));
        let mut c = DialSim::new(&p, 5);
        c.set_link(3, 0, false, 0.0);
        c.run_to_end();
        assert!(c
            .records()
            .iter()
            .filter(|r| r.write)
            .all(|r| r.ret_ms.is_none()));
        let s = c.snapshot();
        assert!(s.cut[3][0] && s.flights.is_empty());
    }

    #[test]
    fn report_is_small_and_deterministic() {
        let a = ConsistencyDial::run(&Params::default(), 9);
        let b = ConsistencyDial::run(&Params::default(), 9);
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert!(json.len() < 24_000, "{}", json.len());
        let back: Report = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back.ops, a.ops);
    }

    /// A random history executed atomically at a point inside each op's interval.
    fn atomic_history(seed: u64, procs: u32, n: u32, keys: u32) -> Vec<HOp> {
        let mut rng = Rng::new(seed);
        let mut t = vec![0.0f64; procs as usize];
        let mut ops: Vec<(f64, HOp)> = Vec::new();
        let mut next = 0u32;
        for _ in 0..n {
            let p = rng.below(u64::from(procs)) as u32;
            let call = t[p as usize] + rng.uniform() * 2.0;
            let ret = call + 0.1 + rng.uniform() * 3.0;
            t[p as usize] = ret;
            let point = call + rng.uniform() * (ret - call);
            let key = rng.below(u64::from(keys)) as u32;
            let write = rng.chance(0.5);
            if write {
                next += 1;
            }
            ops.push((
                point,
                HOp {
                    process: p,
                    key,
                    write,
                    value: if write { next } else { 0 },
                    call,
                    ret,
                },
            ));
        }
        let mut order: Vec<usize> = (0..ops.len()).collect();
        order.sort_by(|&a, &b| ops[a].0.total_cmp(&ops[b].0));
        let mut state = vec![0u32; keys as usize];
        for i in order {
            let o = &mut ops[i].1;
            if o.write {
                state[o.key as usize] = o.value;
            } else {
                o.value = state[o.key as usize];
            }
        }
        ops.into_iter().map(|(_, o)| o).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn atomic_executions_are_linearizable(seed in 0u64..1_000_000, procs in 1u32..5, n in 1u32..60, keys in 1u32..4) {
            let h = atomic_history(seed, procs, n, keys);
            prop_assert_eq!(verdicts(&h), (Yes, Yes, Yes));
        }

        #[test]
        fn verdicts_imply_each_other(seed in 0u64..1_000_000, procs in 1u32..4, n in 1u32..14, keys in 1u32..3, flips in 0u32..4) {
            // perturb an atomic history: some reads return other values
            let mut h = atomic_history(seed, procs, n, keys);
            let mut rng = Rng::new(seed ^ 77);
            let writes: Vec<(u32, u32)> = h.iter().filter(|o| o.write).map(|o| (o.key, o.value)).collect();
            for _ in 0..flips {
                let i = rng.below(h.len() as u64) as usize;
                if !h[i].write {
                    let cands: Vec<u32> = writes.iter().filter(|(k, _)| *k == h[i].key).map(|&(_, v)| v).chain([0]).collect();
                    h[i].value = cands[rng.below(cands.len() as u64) as usize];
                }
            }
            let (l, s, c) = verdicts(&h);
            if l == Yes { prop_assert_ne!(s, No); }
            if s == Yes { prop_assert_eq!(c, Yes); }
        }

        #[test]
        fn any_params_run_bounded(level in 0usize..5, clients in 2u32..6, ops in 5u32..30, keys in 1u32..7,
                                  read_pct in 0.0f64..100.0, part in 0usize..4, one_way: bool, seed in 0u64..1000) {
            let p = Params {
                level: Level::ALL[level],
                clients, ops, keys, read_pct,
                partition: [Partition::None, Partition::Primary, Partition::Near, Partition::Far][part],
                one_way,
                timeout: 500.0,
                ..Params::default()
            };
            let r = ConsistencyDial::run(&p, seed);
            prop_assert_eq!(r.ops, clients * ops);
            let f = &r.figures;
            prop_assert!((0.0..=1.0).contains(&f.availability) && (0.0..=1.0).contains(&f.stale_rate));
            prop_assert!(f.read.p99 >= f.read.p50 && f.write.p99 >= f.write.p50);
            // every op completes or times out within the timeout
            for o in &r.history {
                if let Some(t) = o.ret_ms { prop_assert!(t - o.call_ms <= 500.0 + 1e-9); }
            }
            if f.linearizable.verdict == Yes { prop_assert_ne!(f.sequential.verdict, No); }
            if f.sequential.verdict == Yes { prop_assert_eq!(f.causal.verdict, Yes); }
        }
    }
}
