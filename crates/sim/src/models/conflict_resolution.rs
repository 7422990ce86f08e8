//! # Conflict resolution (book page 27): last-write-wins, vector clocks and CRDTs, measured
//!
//! The page names three ways replicas that accept writes independently can agree on a value:
//! **last-write-wins** (the highest timestamp wins; "lost updates, clock dependent"),
//! **vector clocks** (concurrent versions are detected and kept as siblings for the application
//! to resolve) and **CRDTs** (data types whose merge is automatic). This model implements the
//! real data types and runs all three on the very same seeded history:
//!
//! - [`VClock`] — a vector clock (Lamport 1978; Fidge 1988; Mattern 1989) whose comparison is
//!   the happened-before partial order ([`Causality`]): before, after, equal or concurrent.
//! - [`MvRegister`] — a multi-value register under vector clocks (Dynamo's versions, DeCandia et
//!   al. 2007): a write supersedes what it saw; concurrent writes survive as siblings.
//! - [`LwwRegister`] — a last-writer-wins register: the highest `(timestamp, replica)` wins.
//! - [`GCounter`], [`PnCounter`] and [`OrSet`] (observed-remove set, add wins) — the
//!   state-based CRDTs of Shapiro, Preguiça, Baquero & Zawirski, *A comprehensive study of
//!   Convergent and Commutative Replicated Data Types* (INRIA RR-7506, 2011), whose merges are
//!   commutative, associative and idempotent, so replicas that saw the same updates are equal
//!   whatever the order, duplication or batching of delivery.
//!
//! ## The scenario
//!
//! Two or three replicas each serve clients of a shared **shopping cart** (add one of six
//! items, or remove one that is in the cart) and a **like counter** (+1 or −1). Client
//! operations arrive at each replica as a Poisson stream. Every `sync_ms` each replica pushes its whole state to the next peer
//! (anti-entropy); messages take `latency_ms` (±50 %), may be dropped, and can be cut by a
//! partition (both ways or one way) or a crash. Replica A's physical clock runs `skew_ms` ahead
//! of true time; last-write-wins stamps writes with it. When the clients stop, the network heals
//! and anti-entropy runs on for eight more rounds.
//!
//! Each replica holds the cart and the counter three ways at once:
//!
//! | strategy | cart | likes |
//! |---|---|---|
//! | `lww` | one [`LwwRegister`] holding the whole cart | an [`LwwRegister`] holding the count |
//! | `vclock` | an [`MvRegister`]; the app resolves siblings by union (as Dynamo's cart) | an [`MvRegister`]; the app keeps the largest sibling |
//! | `crdt` | an [`OrSet`] of items | a [`PnCounter`] |
//!
//! ## What is measured, against the sequential intent
//!
//! The truth is every accepted operation applied once, in true-time order, to a single copy.
//! Each count of likes carries, for measurement only, the set of operations it includes, so a
//! **lost update** is an operation whose effect is missing from the final value. For the cart
//! the final contents are compared with the truth (missing and extra items). Every LWW write
//! also carries a hidden vector clock, so an overwrite is classified: **concurrent** (neither
//! write saw the other: LWW picks one silently) or **inverted** (the losing write had seen the
//! winner — it was causally later — but a clock running ahead made the older write win). With
//! zero skew inversions never happen.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::conflict_resolution::{ConflictResolution, Params};
//! let r = ConflictResolution::run(&Params::default(), 1);
//! let crdt = r.strategy("crdt").unwrap();
//! assert_eq!(crdt.likes_lost, 0);
//! assert!(crdt.converged);
//! assert_eq!(crdt.likes[0], r.truth_likes);
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// The conflict-resolution model: LWW, vector clocks and CRDTs on the same history.
pub struct ConflictResolution;

// ---------------------------------------------------------------------------------------------
// The data types
// ---------------------------------------------------------------------------------------------

/// How two vector clocks (or the events they stamp) are ordered by happened-before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Causality {
    /// The left one happened before the right one.
    Before,
    /// The left one happened after the right one.
    After,
    /// The same history.
    Equal,
    /// Neither saw the other.
    Concurrent,
}

/// A vector clock: for each replica, how many of its events this history includes. Zero
/// entries are never stored, so equal histories are equal values.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VClock(BTreeMap<u32, u64>);

impl VClock {
    /// The empty history.
    pub fn new() -> Self {
        VClock(BTreeMap::new())
    }

    /// The count of `replica`'s events in this history.
    pub fn get(&self, replica: u32) -> u64 {
        self.0.get(&replica).copied().unwrap_or(0)
    }

    /// Record one more event of `replica`.
    pub fn tick(&mut self, replica: u32) {
        *self.0.entry(replica).or_insert(0) += 1;
    }

    /// Include the history of `other` (pointwise maximum).
    pub fn merge(&mut self, other: &VClock) {
        for (&k, &v) in &other.0 {
            let e = self.0.entry(k).or_insert(0);
            *e = (*e).max(v);
        }
    }

    /// Happened-before comparison: a partial order.
    pub fn compare(&self, other: &VClock) -> Causality {
        let (mut less, mut more) = (false, false);
        for (&k, &a) in &self.0 {
            let b = other.get(k);
            less |= a < b;
            more |= a > b;
        }
        for (&k, &b) in &other.0 {
            let a = self.get(k);
            less |= a < b;
            more |= a > b;
        }
        match (less, more) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// Number of non-zero entries (metadata size).
    pub fn len(&self) -> u32 {
        self.0.len() as u32
    }

    /// `true` for the empty history.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compact text, e.g. `[A:2 B:1]`.
    pub fn label(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}:{v}", replica_name(*k)))
            .collect();
        format!("[{}]", parts.join(" "))
    }
}

/// A grow-only counter (Shapiro et al. 2011, Spec. 6): one monotone count per replica; the
/// value is their sum; merge takes the pointwise maximum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GCounter(BTreeMap<u32, u64>);

impl GCounter {
    /// A zero counter.
    pub fn new() -> Self {
        GCounter(BTreeMap::new())
    }

    /// Add `n` on behalf of `replica`.
    pub fn inc(&mut self, replica: u32, n: u64) {
        if n > 0 {
            *self.0.entry(replica).or_insert(0) += n;
        }
    }

    /// The total.
    pub fn value(&self) -> u64 {
        self.0.values().sum()
    }

    /// Join with `other`.
    pub fn merge(&mut self, other: &GCounter) {
        for (&k, &v) in &other.0 {
            let e = self.0.entry(k).or_insert(0);
            *e = (*e).max(v);
        }
    }

    /// Number of entries (metadata size).
    pub fn len(&self) -> u32 {
        self.0.len() as u32
    }

    /// `true` when no replica has counted anything.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A counter that goes both ways (Shapiro et al. 2011, Spec. 7): two grow-only counters, for
/// increments and decrements; the value is their difference.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnCounter {
    /// Increments.
    pub p: GCounter,
    /// Decrements.
    pub n: GCounter,
}

impl PnCounter {
    /// A zero counter.
    pub fn new() -> Self {
        PnCounter::default()
    }

    /// Add `delta` (either sign) on behalf of `replica`.
    pub fn add(&mut self, replica: u32, delta: i64) {
        if delta >= 0 {
            self.p.inc(replica, delta.unsigned_abs());
        } else {
            self.n.inc(replica, delta.unsigned_abs());
        }
    }

    /// Increments minus decrements.
    pub fn value(&self) -> i64 {
        self.p.value() as i64 - self.n.value() as i64
    }

    /// Join with `other`.
    pub fn merge(&mut self, other: &PnCounter) {
        self.p.merge(&other.p);
        self.n.merge(&other.n);
    }

    /// Number of entries (metadata size).
    pub fn len(&self) -> u32 {
        self.p.len() + self.n.len()
    }

    /// `true` when nothing has been counted.
    pub fn is_empty(&self) -> bool {
        self.p.is_empty() && self.n.is_empty()
    }
}

/// A unique tag of one add in an [`OrSet`]: the replica and its own sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    /// The replica that added.
    pub replica: u32,
    /// That replica's add number.
    pub seq: u64,
}

/// An observed-remove set (Shapiro et al. 2011, Spec. 15): each add carries a fresh unique tag;
/// a remove deletes the tags it has observed (kept as tombstones). An element is present while
/// one of its tags is not removed, so an add concurrent with a remove survives: **add wins**.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrSet<T: Ord> {
    /// Each element's add tags (sorted, no duplicates: cheap to clone and compare).
    adds: BTreeMap<T, Vec<Tag>>,
    /// Tombstones: removed tags (sorted, no duplicates).
    removed: Vec<Tag>,
}

/// `a ∪= b` for sorted, duplicate-free tag lists.
fn union_sorted(a: &mut Vec<Tag>, b: &[Tag]) {
    if b.iter().all(|t| a.binary_search(t).is_ok()) {
        return;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
                *x
            }
            (Some(x), Some(y)) if x < y => {
                i += 1;
                *x
            }
            (_, Some(y)) => {
                j += 1;
                *y
            }
            (Some(x), None) => {
                i += 1;
                *x
            }
            (None, None) => break,
        };
        out.push(next);
    }
    *a = out;
}

impl<T: Ord + Clone> Default for OrSet<T> {
    fn default() -> Self {
        OrSet {
            adds: BTreeMap::new(),
            removed: Vec::new(),
        }
    }
}

impl<T: Ord + Clone> OrSet<T> {
    /// The empty set.
    pub fn new() -> Self {
        OrSet::default()
    }

    /// Add `x` with the fresh tag `tag` (the caller guarantees uniqueness).
    pub fn add(&mut self, x: T, tag: Tag) {
        union_sorted(self.adds.entry(x).or_default(), &[tag]);
    }

    /// Remove `x` as observed here: every tag of `x` seen so far becomes a tombstone.
    pub fn remove(&mut self, x: &T) {
        if let Some(tags) = self.adds.get(x) {
            union_sorted(&mut self.removed, tags);
        }
    }

    /// Whether `x` is in the set.
    pub fn contains(&self, x: &T) -> bool {
        self.adds
            .get(x)
            .is_some_and(|tags| tags.iter().any(|t| self.removed.binary_search(t).is_err()))
    }

    /// The elements, in order.
    pub fn elements(&self) -> Vec<T> {
        self.adds
            .keys()
            .filter(|x| self.contains(x))
            .cloned()
            .collect()
    }

    /// Join with `other` (union of adds and of tombstones).
    pub fn merge(&mut self, other: &OrSet<T>) {
        for (x, tags) in &other.adds {
            union_sorted(self.adds.entry(x.clone()).or_default(), tags);
        }
        union_sorted(&mut self.removed, &other.removed);
    }

    /// Tags plus tombstones: the metadata this set carries (it only grows).
    pub fn metadata(&self) -> u32 {
        let tags: usize = self.adds.values().map(Vec::len).sum();
        (tags + self.removed.len()) as u32
    }
}

/// A last-writer-wins register: a value with the timestamp and replica of its write; merge keeps
/// the higher `(timestamp, replica)`. It converges (it is a CRDT, Shapiro et al. 2011, Spec. 8)
/// but keeps one write of any concurrent set and trusts the writers' clocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwRegister<T> {
    /// The current value.
    pub value: T,
    /// Timestamp of its write (µs of the writer's clock; `i64::MIN` for the initial value).
    pub ts: i64,
    /// The replica that wrote it (tie-break).
    pub replica: u32,
}

impl<T: Clone> LwwRegister<T> {
    /// A register holding `value` from before any write.
    pub fn new(value: T) -> Self {
        LwwRegister {
            value,
            ts: i64::MIN,
            replica: 0,
        }
    }

    /// Whether a write stamped `(ts, replica)` beats the current one.
    pub fn beaten_by(&self, ts: i64, replica: u32) -> bool {
        (ts, replica) > (self.ts, self.replica)
    }

    /// Write `value` stamped `(ts, replica)`: it takes effect only if it beats the current write
    /// (a write stamped by a slow clock is lost at once). Returns whether it took effect.
    pub fn set(&mut self, value: T, ts: i64, replica: u32) -> bool {
        if self.beaten_by(ts, replica) {
            *self = LwwRegister { value, ts, replica };
            true
        } else {
            false
        }
    }

    /// Join with `other`: keep the later stamp.
    pub fn merge(&mut self, other: &LwwRegister<T>) {
        if self.beaten_by(other.ts, other.replica) {
            *self = other.clone();
        }
    }
}

/// A multi-value register under vector clocks: a write supersedes every version it has seen;
/// merging keeps every version not dominated by another, so concurrent writes become siblings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MvRegister<T> {
    versions: Vec<(VClock, T)>,
}

impl<T: Clone> Default for MvRegister<T> {
    fn default() -> Self {
        MvRegister {
            versions: Vec::new(),
        }
    }
}

impl<T: Clone> MvRegister<T> {
    /// An empty register (no version yet).
    pub fn new() -> Self {
        MvRegister::default()
    }

    /// The current versions (siblings when more than one), ordered by clock.
    pub fn versions(&self) -> &[(VClock, T)] {
        &self.versions
    }

    /// The context a reader gets: the join of every version's clock.
    pub fn context(&self) -> VClock {
        let mut c = VClock::new();
        for (v, _) in &self.versions {
            c.merge(v);
        }
        c
    }

    /// Write `value` at `replica`, having read every current version: the new version's clock
    /// is the context plus one event of `replica`, so it supersedes them all.
    pub fn write(&mut self, replica: u32, value: T) -> VClock {
        let mut c = self.context();
        c.tick(replica);
        self.versions = vec![(c.clone(), value)];
        c
    }

    /// Join with `other`: every version not strictly dominated by another, one per clock.
    /// Returns `true` when the result holds versions concurrent with each other (siblings).
    pub fn merge(&mut self, other: &MvRegister<T>) -> bool {
        let mut all: Vec<(VClock, T)> = self.versions.clone();
        all.extend(other.versions.iter().cloned());
        let mut keep: Vec<(VClock, T)> = Vec::new();
        for (i, (c, v)) in all.iter().enumerate() {
            let dominated = all
                .iter()
                .enumerate()
                .any(|(j, (d, _))| j != i && c.compare(d) == Causality::Before);
            if !dominated && !keep.iter().any(|(k, _)| k == c) {
                keep.push((c.clone(), v.clone()));
            }
        }
        crate::sort::sort_by(&mut keep, |a, b| a.0.cmp(&b.0));
        self.versions = keep;
        self.versions.len() > 1
    }

    /// Clock entries over all versions (metadata size).
    pub fn metadata(&self) -> u32 {
        self.versions.iter().map(|(c, _)| c.len()).sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// The shop's six items.
pub const ITEMS: [&str; 6] = ["apples", "bread", "cheese", "dates", "eggs", "figs"];

/// The name of replica `i` ("A", "B", "C").
pub fn replica_name(i: u32) -> &'static str {
    match i {
        0 => "A",
        1 => "B",
        2 => "C",
        _ => "?",
    }
}

/// The strategies, in display order: `(key, name)`.
pub const STRATEGIES: [(&str, &str); 3] = [
    ("lww", "Last write wins"),
    ("vclock", "Vector clocks"),
    ("crdt", "CRDTs"),
];

const DURATION_MAX: f64 = 60.0;
const RATE_MAX: f64 = 20.0;
const SETTLE_ROUNDS: f64 = 8.0;

/// The knobs of the conflict-resolution model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Replicas taking writes (2 or 3).
    pub replicas: u32,
    /// Which strategy the drawing highlights: `all`, `lww`, `vclock` or `crdt`.
    pub strategy: String,
    /// Client operations per second at each replica (Poisson).
    pub rate: f64,
    /// Share of operations that are likes (+1/−1); the rest edit the cart, in percent.
    pub like_share: f64,
    /// How long clients write, in seconds.
    pub duration_s: f64,
    /// Anti-entropy period: each replica pushes its state to a peer this often, in ms.
    pub sync_ms: f64,
    /// One-way message latency, in ms (each message ±50 %).
    pub latency_ms: f64,
    /// Share of sync messages lost, in percent.
    pub drop_pct: f64,
    /// How far replica A's clock runs ahead of true time (negative: behind), in ms.
    pub skew_ms: f64,
    /// Partition of the last replica: `none`, `both`, `deaf` (hears nothing) or `mute` (nobody
    /// hears it).
    pub partition: String,
    /// When the partition starts, in seconds.
    pub part_from_s: f64,
    /// How long it lasts, in seconds (it heals at the latest when the clients stop).
    pub part_len_s: f64,
    /// When replica B crashes, in seconds (0 = never); its clients' writes fail meanwhile.
    pub crash_at_s: f64,
    /// How long B stays down before restarting with its stored state, in seconds.
    pub crash_len_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            replicas: 3,
            strategy: "all".into(),
            rate: 1.0,
            like_share: 50.0,
            duration_s: 12.0,
            sync_ms: 1000.0,
            latency_ms: 80.0,
            drop_pct: 0.0,
            skew_ms: 1500.0,
            partition: "both".into(),
            part_from_s: 3.0,
            part_len_s: 4.0,
            crash_at_s: 0.0,
            crash_len_s: 2.0,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "strategy",
        label: "Highlight",
        unit: "",
        help: "Which strategy the space-time diagram and the replica cards emphasise; all three always run on the same history.",
        kind: KnobKind::Choice {
            options: &[
                ("all", "all three side by side"),
                ("lww", "last write wins"),
                ("vclock", "vector clocks (siblings)"),
                ("crdt", "CRDTs (OR-Set, PN-Counter)"),
            ],
        },
    },
    Knob {
        key: "replicas",
        label: "Replicas",
        unit: "",
        help: "How many replicas take writes from their own clients.",
        kind: KnobKind::Int { min: 2, max: 3, log: false },
    },
    Knob {
        key: "rate",
        label: "Writes per replica",
        unit: "ops/s",
        help: "Client operations arriving at each replica per second, at random moments.",
        kind: KnobKind::Float { min: 0.1, max: RATE_MAX, step: 0.1, log: true },
    },
    Knob {
        key: "like_share",
        label: "Likes share",
        unit: "%",
        help: "Share of operations on the like counter (+1, sometimes −1); the rest add or remove cart items.",
        kind: KnobKind::Float { min: 0.0, max: 100.0, step: 5.0, log: false },
    },
    Knob {
        key: "duration_s",
        label: "Clients write for",
        unit: "s",
        help: "How long clients send operations; then the network heals and anti-entropy runs 8 more rounds.",
        kind: KnobKind::Float { min: 2.0, max: DURATION_MAX, step: 1.0, log: false },
    },
    Knob {
        key: "sync_ms",
        label: "Anti-entropy every",
        unit: "ms",
        help: "Each replica pushes its whole state to the next peer this often.",
        kind: KnobKind::Float { min: 50.0, max: 10_000.0, step: 10.0, log: true },
    },
    Knob {
        key: "latency_ms",
        label: "Latency",
        unit: "ms",
        help: "One-way delay of a sync message (each message varies ±50 %).",
        kind: KnobKind::Float { min: 1.0, max: 2_000.0, step: 1.0, log: true },
    },
    Knob {
        key: "drop_pct",
        label: "Message loss",
        unit: "%",
        help: "Share of sync messages lost on the way.",
        kind: KnobKind::Float { min: 0.0, max: 90.0, step: 1.0, log: false },
    },
    Knob {
        key: "skew_ms",
        label: "Clock skew of A",
        unit: "ms",
        help: "How far replica A's clock runs ahead of true time (negative: behind). Last-write-wins stamps writes with it.",
        kind: KnobKind::Float { min: -5_000.0, max: 5_000.0, step: 10.0, log: false },
    },
    Knob {
        key: "partition",
        label: "Partition of the last replica",
        unit: "",
        help: "Cut the last replica off for a while: both ways, or one way only.",
        kind: KnobKind::Choice {
            options: &[
                ("none", "none"),
                ("both", "both ways"),
                ("deaf", "one way: it hears nothing"),
                ("mute", "one way: nobody hears it"),
            ],
        },
    },
    Knob {
        key: "part_from_s",
        label: "Partition starts at",
        unit: "s",
        help: "When the partition begins.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.5, log: false },
    },
    Knob {
        key: "part_len_s",
        label: "Partition lasts",
        unit: "s",
        help: "How long the partition lasts; it heals at the latest when the clients stop.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.5, log: false },
    },
    Knob {
        key: "crash_at_s",
        label: "B crashes at",
        unit: "s",
        help: "When replica B crashes (0 = never); writes to it fail until it restarts with its stored state.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.5, log: false },
    },
    Knob {
        key: "crash_len_s",
        label: "B stays down for",
        unit: "s",
        help: "How long replica B is down.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.5, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// The partition and the crash must start while the clients still write.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.partition != "none" && self.part_from_s >= self.duration_s {
            self.part_from_s = (self.duration_s - 1.0).max(0.0);
            notices.push(Notice::new(
                "part_from_s",
                format!(
                    "Partition starts at: moved to {} s, before the clients stop",
                    self.part_from_s
                ),
            ));
        }
        if self.crash_at_s > 0.0 && self.crash_at_s >= self.duration_s {
            self.crash_at_s = (self.duration_s - 1.0).max(0.5);
            notices.push(Notice::new(
                "crash_at_s",
                format!(
                    "B crashes at: moved to {} s, before the clients stop",
                    self.crash_at_s
                ),
            ));
        }
    }
}

impl Params {
    /// A copy forced into range (NaN → default), so public functions never misbehave on params
    /// that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let choice = |s: &str, opts: &[&str], def: &str| {
            if opts.contains(&s) {
                s.to_string()
            } else {
                def.to_string()
            }
        };
        Params {
            replicas: self.replicas.clamp(2, 3),
            strategy: choice(&self.strategy, &["all", "lww", "vclock", "crdt"], "all"),
            rate: f(self.rate, 0.1, RATE_MAX, d.rate),
            like_share: f(self.like_share, 0.0, 100.0, d.like_share),
            duration_s: f(self.duration_s, 2.0, DURATION_MAX, d.duration_s),
            sync_ms: f(self.sync_ms, 50.0, 10_000.0, d.sync_ms),
            latency_ms: f(self.latency_ms, 1.0, 2_000.0, d.latency_ms),
            drop_pct: f(self.drop_pct, 0.0, 90.0, d.drop_pct),
            skew_ms: f(self.skew_ms, -5_000.0, 5_000.0, d.skew_ms),
            partition: choice(&self.partition, &["none", "both", "deaf", "mute"], "none"),
            part_from_s: f(self.part_from_s, 0.0, DURATION_MAX, d.part_from_s),
            part_len_s: f(self.part_len_s, 0.0, DURATION_MAX, d.part_len_s),
            crash_at_s: f(self.crash_at_s, 0.0, DURATION_MAX, 0.0),
            crash_len_s: f(self.crash_len_s, 0.0, DURATION_MAX, d.crash_len_s),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement wrappers
// ---------------------------------------------------------------------------------------------

/// A set of operation ids (a bitset), carried beside a count for measurement only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpSet(Vec<u64>);

impl OpSet {
    /// Add operation `id`.
    pub fn insert(&mut self, id: u32) {
        let (w, b) = ((id / 64) as usize, id % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: u32) -> bool {
        self.0
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// How many ids.
    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A like count and the operations it includes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Likes {
    /// The count.
    pub value: i64,
    /// Which like operations it reflects (measurement only).
    pub ops: OpSet,
}

/// A value written under last-write-wins, with the write's identity and hidden causal clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped<T> {
    /// The value.
    pub value: T,
    /// The operation that wrote it (`u32::MAX`: the initial value).
    pub op: u32,
    /// The writer's causal history at the write (measurement only; LWW itself ignores it).
    pub vc: VClock,
}

impl<T: Default> Stamped<T> {
    fn initial() -> Self {
        Stamped {
            value: T::default(),
            op: u32::MAX,
            vc: VClock::new(),
        }
    }
}

/// A cart as a bitmask of [`ITEMS`].
pub type Cart = u8;

fn cart_items(c: Cart) -> Vec<u8> {
    (0..ITEMS.len() as u8)
        .filter(|i| c & (1 << i) != 0)
        .collect()
}

/// One replica's state, all three strategies at once.
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    /// LWW: the whole cart.
    pub lww_cart: LwwRegister<Stamped<Cart>>,
    /// LWW: the like count.
    pub lww_likes: LwwRegister<Stamped<Likes>>,
    /// Vector clocks: the cart's versions.
    pub mv_cart: MvRegister<Cart>,
    /// Vector clocks: the like count's versions.
    pub mv_likes: MvRegister<Likes>,
    /// CRDT: the cart.
    pub or_cart: OrSet<u8>,
    /// CRDT: the like count.
    pub pn_likes: PnCounter,
    /// This replica's causal history (measurement only).
    pub causal: VClock,
    /// Next OR-Set tag number.
    pub seq: u64,
}

impl Replica {
    fn new() -> Self {
        Replica {
            lww_cart: LwwRegister::new(Stamped::initial()),
            lww_likes: LwwRegister::new(Stamped::initial()),
            mv_cart: MvRegister::new(),
            mv_likes: MvRegister::new(),
            or_cart: OrSet::new(),
            pn_likes: PnCounter::new(),
            causal: VClock::new(),
            seq: 0,
        }
    }

    /// The vector-clock cart as the application reads it: the union of the siblings.
    pub fn mv_cart_resolved(&self) -> Cart {
        self.mv_cart.versions().iter().fold(0, |a, (_, c)| a | c)
    }

    /// The vector-clock count as the application reads it: the largest sibling.
    pub fn mv_likes_resolved(&self) -> Likes {
        self.mv_likes
            .versions()
            .iter()
            .map(|(_, l)| l)
            .max_by(|a, b| a.value.cmp(&b.value).then(b.ops.len().cmp(&a.ops.len())))
            .cloned()
            .unwrap_or_default()
    }

    fn or_cart_mask(&self) -> Cart {
        self.or_cart.elements().iter().fold(0, |a, &i| a | (1 << i))
    }

    /// Whether two replicas hold the same state under strategy `s` (0 lww, 1 vclock, 2 crdt).
    fn same(&self, o: &Replica, s: usize) -> bool {
        match s {
            0 => {
                self.lww_cart.value.op == o.lww_cart.value.op
                    && self.lww_likes.value.op == o.lww_likes.value.op
            }
            1 => self.mv_cart == o.mv_cart && self.mv_likes == o.mv_likes,
            _ => self.or_cart == o.or_cart && self.pn_likes == o.pn_likes,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

/// What a client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    /// +1 like.
    Like,
    /// −1 like.
    Unlike,
    /// Put an item in the cart.
    Add(u8),
    /// Take an item out of the cart.
    Remove(u8),
}

/// One client operation, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpMark {
    /// True time, s.
    pub t: f64,
    /// Replica that took it.
    pub replica: u32,
    /// What it was.
    pub kind: OpKind,
    /// Operation id.
    pub id: u32,
    /// Refused: the replica was down.
    pub rejected: bool,
}

/// A sync message, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MsgMark {
    /// Sender.
    pub from: u32,
    /// Receiver.
    pub to: u32,
    /// Sent at, s.
    pub sent: f64,
    /// Arrives (or would have) at, s.
    pub arrive: f64,
    /// Lost (dropped, cut by the partition, or the receiver was down).
    pub lost: bool,
    /// Delivered and produced vector-clock siblings at the receiver.
    pub conflict: bool,
}

#[derive(Clone, Debug)]
enum Ev {
    Op(u32),
    Sync(u32),
    Deliver(u32),
    Crash(u32),
    Restart(u32),
    Link(u32, u32, bool),
    Stop,
}

/// A scheduled event; its time is in whole microseconds (exact as an `f64` for ~285 years).
type Queued = Scheduled<Ev>;

const US: f64 = 1e6;
const MARKS_KEPT: usize = 400;

/// Per-strategy counters kept while running.
#[derive(Clone, Debug, Default)]
struct Tallies {
    /// LWW writes overwritten by a concurrent write (by op id).
    concurrent: BTreeSet<u32>,
    /// LWW writes overwritten by a causally older write (clock skew).
    inverted: BTreeSet<u32>,
    /// Vector-clock merges that produced siblings.
    conflicts: u32,
    /// Most siblings seen in one register.
    max_siblings: u32,
    /// Writes that resolved siblings.
    resolved: u32,
}

/// The step-able scenario: replicas, clients, anti-entropy and faults, on one event queue.
#[derive(Clone, Debug)]
pub struct CrSim {
    p: Params,
    n: u32,
    now: i64,
    seq: u64,
    queue: BinaryHeap<Queued>,
    replicas: Vec<Replica>,
    up: Vec<bool>,
    /// `link[from][to]`: messages pass.
    link: Vec<Vec<bool>>,
    peer_turn: Vec<u32>,
    ops_rng: Rng,
    net_rng: Rng,
    msgs: Vec<(MsgMark, Option<Box<Replica>>)>,
    ops: Vec<OpMark>,
    next_op: u32,
    truth_likes: i64,
    truth_cart: Cart,
    like_ops: OpSet,
    tallies: Tallies,
    stop_us: i64,
    end_us: i64,
    last_op_us: i64,
    equal_since: [Option<i64>; 3],
    sent: u32,
    lost: u32,
    /// Fault intervals so far, per replica.
    outages: Vec<Outage>,
    /// Skip the vector-clock and CRDT work (the skew sweep only needs LWW; the history is the
    /// same, as clients choose what to remove from the single-copy cart).
    lww_only: bool,
}

fn us(s: f64) -> i64 {
    (s * US).round() as i64
}

impl CrSim {
    /// A scenario from validated params and a seed.
    pub fn from_params(p: &Params, seed: u64) -> Self {
        let p = p.sanitised();
        let n = p.replicas;
        let stop_us = us(p.duration_s);
        let end_us = stop_us + us(SETTLE_ROUNDS * p.sync_ms / 1000.0 + 2.0 * p.latency_ms / 1000.0);
        let mut s = CrSim {
            n,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            replicas: (0..n).map(|_| Replica::new()).collect(),
            up: vec![true; n as usize],
            link: vec![vec![true; n as usize]; n as usize],
            peer_turn: vec![0; n as usize],
            ops_rng: Rng::derive(seed, "ops"),
            net_rng: Rng::derive(seed, "net"),
            msgs: Vec::new(),
            ops: Vec::new(),
            next_op: 0,
            truth_likes: 0,
            truth_cart: 0,
            like_ops: OpSet::default(),
            tallies: Tallies::default(),
            stop_us,
            end_us,
            last_op_us: 0,
            equal_since: [Some(0); 3],
            sent: 0,
            lost: 0,
            lww_only: false,
            outages: Vec::new(),
            p: p.clone(),
        };
        for r in 0..n {
            let first = s.ops_rng.exp(1.0 / p.rate);
            s.push(us(first), Ev::Op(r));
            // stagger the sync rounds
            let off = p.sync_ms / 1000.0 * f64::from(r + 1) / f64::from(n);
            s.push(us(off), Ev::Sync(r));
        }
        let last = n - 1;
        if p.partition != "none" && p.part_len_s > 0.0 {
            let from = us(p.part_from_s).min(stop_us);
            let to = us(p.part_from_s + p.part_len_s).min(stop_us);
            if to > from {
                for other in 0..last {
                    let (cut_in, cut_out) = match p.partition.as_str() {
                        "both" => (true, true),
                        "deaf" => (true, false),
                        _ => (false, true),
                    };
                    if cut_in {
                        s.push(from, Ev::Link(other, last, false));
                        s.push(to, Ev::Link(other, last, true));
                    }
                    if cut_out {
                        s.push(from, Ev::Link(last, other, false));
                        s.push(to, Ev::Link(last, other, true));
                    }
                }
            }
        }
        if p.crash_at_s > 0.0 {
            let from = us(p.crash_at_s).min(stop_us);
            let to = us(p.crash_at_s + p.crash_len_s).min(stop_us);
            s.push(from, Ev::Crash(1));
            s.push(to.max(from), Ev::Restart(1));
        }
        // the network heals when the clients stop
        s.push(stop_us, Ev::Stop);
        s
    }

    fn push(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Scheduled {
            time: at as f64,
            seq: self.seq,
            item: ev,
        });
    }

    /// Put a fault in at time `t` (s). When nothing is scheduled before `t` — as for a live
    /// view, whose clock is past every processed event — it takes effect at once (time moves
    /// to `t`), which is the same as an event at `t`; otherwise it is queued as one.
    fn fault_at(&mut self, t: f64, ev: Ev) {
        let at = us(t).max(self.now);
        let next = self.queue.peek().map(|q| q.time as i64);
        if next.is_none_or(|n| n > at) {
            self.now = at;
            self.apply(ev);
            self.track_equality();
        } else {
            self.push(at, ev);
        }
    }

    /// Crash replica `r` at time `t` (s): its clients' writes fail and it neither sends nor
    /// receives until restarted; its state is kept.
    pub fn crash(&mut self, r: u32, t: f64) {
        if r < self.n {
            self.fault_at(t, Ev::Crash(r));
        }
    }

    /// Restart replica `r` at time `t` (s) with its stored state.
    pub fn restart(&mut self, r: u32, t: f64) {
        if r < self.n {
            self.fault_at(t, Ev::Restart(r));
        }
    }

    /// Bring the link `from → to` up or down at time `t` (s): one direction only.
    pub fn set_link(&mut self, from: u32, to: u32, up: bool, t: f64) {
        if from < self.n && to < self.n && from != to {
            self.fault_at(t, Ev::Link(from, to, up));
        }
    }

    /// Cut replica `r` off from every other (both ways) or reconnect it, at time `t` (s).
    pub fn isolate(&mut self, r: u32, cut: bool, t: f64) {
        for o in 0..self.n {
            if o != r {
                self.set_link(o, r, !cut, t);
                self.set_link(r, o, !cut, t);
            }
        }
    }

    /// Whether replica `r` is up.
    pub fn is_up(&self, r: u32) -> bool {
        self.up.get(r as usize).copied().unwrap_or(false)
    }

    /// Whether replica `r` is cut off from every peer in both directions.
    pub fn is_isolated(&self, r: u32) -> bool {
        let r = r as usize;
        (0..self.n as usize)
            .filter(|&o| o != r)
            .all(|o| !self.link[o][r] && !self.link[r][o])
    }

    /// Replica `r`'s clock, in µs of its own time.
    fn clock(&self, r: u32) -> i64 {
        if r == 0 {
            self.now + (self.p.skew_ms * 1000.0).round() as i64
        } else {
            self.now
        }
    }

    fn client_op(&mut self, r: u32) {
        // schedule the next one first (same draws whether or not the replica is up)
        let gap = self.ops_rng.exp(1.0 / self.p.rate);
        let next = self.now + us(gap).max(1);
        if next < self.stop_us {
            self.push(next, Ev::Op(r));
        }
        let like = self.ops_rng.chance(self.p.like_share / 100.0);
        let (u1, item) = (
            self.ops_rng.uniform(),
            self.ops_rng.below(ITEMS.len() as u64) as u8,
        );
        let kind = if like {
            if u1 < 0.25 {
                OpKind::Unlike
            } else {
                OpKind::Like
            }
        } else {
            // clients remove an item that is in the cart (as the single copy has it), else add:
            // the same history whatever the strategies or the clocks do
            let seen = cart_items(self.truth_cart);
            if u1 < 0.35 && !seen.is_empty() {
                OpKind::Remove(seen[(item as usize) % seen.len()])
            } else {
                OpKind::Add(item)
            }
        };
        let id = self.next_op;
        let up = self.is_up(r);
        self.ops.push(OpMark {
            t: self.now as f64 / US,
            replica: r,
            kind,
            id,
            rejected: !up,
        });
        if !up {
            return;
        }
        self.next_op += 1;
        self.last_op_us = self.now;
        let ts = self.clock(r);
        let ri = r as usize;
        let rep = &mut self.replicas[ri];
        rep.causal.tick(r);
        let vc = rep.causal.clone();
        match kind {
            OpKind::Like | OpKind::Unlike => {
                let d = if kind == OpKind::Like { 1 } else { -1 };
                self.truth_likes += d;
                self.like_ops.insert(id);
                // LWW: read the local count, write count ± 1 stamped with the local clock
                let mut l = rep.lww_likes.value.value.clone();
                l.value += d;
                l.ops.insert(id);
                let new = LwwRegister {
                    value: Stamped {
                        value: l,
                        op: id,
                        vc,
                    },
                    ts,
                    replica: r,
                };
                lww_merge(&mut rep.lww_likes, &new, &mut self.tallies);
                if self.lww_only {
                    return;
                }
                // vector clocks: resolve siblings (largest), write over all of them
                if rep.mv_likes.versions().len() > 1 {
                    self.tallies.resolved += 1;
                }
                let mut m = rep.mv_likes_resolved();
                m.value += d;
                m.ops.insert(id);
                rep.mv_likes.write(r, m);
                rep.pn_likes.add(r, d);
            }
            OpKind::Add(i) | OpKind::Remove(i) => {
                let add = matches!(kind, OpKind::Add(_));
                let apply = |c: Cart| if add { c | (1 << i) } else { c & !(1 << i) };
                self.truth_cart = apply(self.truth_cart);
                let new = LwwRegister {
                    value: Stamped {
                        value: apply(rep.lww_cart.value.value),
                        op: id,
                        vc,
                    },
                    ts,
                    replica: r,
                };
                lww_merge(&mut rep.lww_cart, &new, &mut self.tallies);
                if !self.lww_only {
                    if rep.mv_cart.versions().len() > 1 {
                        self.tallies.resolved += 1;
                    }
                    let c = apply(rep.mv_cart_resolved());
                    rep.mv_cart.write(r, c);
                }
                if self.lww_only {
                    return;
                }
                if add {
                    rep.seq += 1;
                    let tag = Tag {
                        replica: r,
                        seq: rep.seq,
                    };
                    rep.or_cart.add(i, tag);
                } else {
                    rep.or_cart.remove(&i);
                }
            }
        }
    }

    fn sync(&mut self, r: u32) {
        let period = us(self.p.sync_ms / 1000.0).max(1);
        if self.now + period <= self.end_us {
            self.push(self.now + period, Ev::Sync(r));
        }
        if !self.is_up(r) || self.n < 2 {
            return;
        }
        let k = self.peer_turn[r as usize];
        self.peer_turn[r as usize] = (k + 1) % (self.n - 1);
        let to = (r + 1 + k) % self.n;
        let lat = self.p.latency_ms / 1000.0 * (0.5 + self.net_rng.uniform());
        let dropped = self.net_rng.chance(self.p.drop_pct / 100.0);
        let cut = !self.link[r as usize][to as usize];
        let arrive = self.now + us(lat).max(1);
        let id = self.msgs.len() as u32;
        self.sent += 1;
        let payload = if dropped || cut {
            None
        } else {
            Some(Box::new(self.replicas[r as usize].clone()))
        };
        if payload.is_none() {
            self.lost += 1;
        }
        self.msgs.push((
            MsgMark {
                from: r,
                to,
                sent: self.now as f64 / US,
                arrive: arrive as f64 / US,
                lost: payload.is_none(),
                conflict: false,
            },
            payload,
        ));
        self.push(arrive, Ev::Deliver(id));
    }

    fn deliver(&mut self, id: u32) {
        let Some((mark, payload)) = self.msgs.get_mut(id as usize) else {
            return;
        };
        let (from, to) = (mark.from as usize, mark.to as usize);
        let Some(state) = payload.take() else {
            return;
        };
        // a link cut while the message flew, or a receiver that is down, loses it
        if !self.link[from][to] || !self.up[to] {
            mark.lost = true;
            self.lost += 1;
            return;
        }
        let rep = &mut self.replicas[to];
        lww_merge(&mut rep.lww_cart, &state.lww_cart, &mut self.tallies);
        lww_merge(&mut rep.lww_likes, &state.lww_likes, &mut self.tallies);
        rep.causal.merge(&state.causal);
        if self.lww_only {
            return;
        }
        rep.or_cart.merge(&state.or_cart);
        let before = rep.mv_cart.versions().len() + rep.mv_likes.versions().len();
        let c1 = rep.mv_cart.merge(&state.mv_cart);
        let c2 = rep.mv_likes.merge(&state.mv_likes);
        let after = rep.mv_cart.versions().len() + rep.mv_likes.versions().len();
        let sib = rep
            .mv_cart
            .versions()
            .len()
            .max(rep.mv_likes.versions().len()) as u32;
        self.tallies.max_siblings = self.tallies.max_siblings.max(sib);
        // a conflict is detected when the merge brings in a version concurrent with ours
        if (c1 || c2) && after > before {
            self.tallies.conflicts += 1;
            mark.conflict = true;
        }
        rep.pn_likes.merge(&state.pn_likes);
    }

    fn track_equality(&mut self) {
        let kinds = if self.lww_only { 1 } else { 3 };
        for s in 0..kinds {
            let eq = self.replicas.windows(2).all(|w| w[0].same(&w[1], s));
            match (eq, self.equal_since[s]) {
                (true, None) => self.equal_since[s] = Some(self.now),
                (false, Some(_)) => self.equal_since[s] = None,
                _ => {}
            }
        }
    }

    /// A small picture of the run so far, for drawing.
    pub fn snapshot(&self) -> Snapshot {
        let t = self.now as f64 / US;
        let skip_ops = self.ops.len().saturating_sub(MARKS_KEPT);
        let skip_msgs = self.msgs.len().saturating_sub(MARKS_KEPT);
        let lost_lww: BTreeSet<u32> = self
            .tallies
            .concurrent
            .union(&self.tallies.inverted)
            .copied()
            .collect();
        Snapshot {
            t,
            stop: self.stop_us as f64 / US,
            end: self.end_us as f64 / US,
            replicas: (0..self.n).map(|r| self.replica_view(r)).collect(),
            ops: self.ops[skip_ops..].to_vec(),
            lww_lost: self.ops[skip_ops..]
                .iter()
                .filter(|o| !o.rejected && lost_lww.contains(&o.id))
                .map(|o| o.id)
                .collect(),
            msgs: self.msgs[skip_msgs..]
                .iter()
                .map(|(m, _)| m.clone())
                .collect(),
            truth_likes: self.truth_likes,
            truth_cart: cart_items(self.truth_cart),
            concurrent_overwrites: self.tallies.concurrent.len() as u32,
            inverted_overwrites: self.tallies.inverted.len() as u32,
            conflicts: self.tallies.conflicts,
            converged: [0, 1, 2].map(|s| self.equal_since[s].is_some()),
            outages: self.outages.clone(),
        }
    }

    fn replica_view(&self, r: u32) -> ReplicaView {
        let rep = &self.replicas[r as usize];
        let i = r as usize;
        ReplicaView {
            name: replica_name(r).into(),
            up: self.up[i],
            hears: (0..self.n as usize).any(|o| o != i && self.link[o][i]),
            heard: (0..self.n as usize).any(|o| o != i && self.link[i][o]),
            skew_ms: if r == 0 { self.p.skew_ms } else { 0.0 },
            lww_cart: cart_items(rep.lww_cart.value.value),
            lww_likes: rep.lww_likes.value.value.value,
            mv_cart: rep
                .mv_cart
                .versions()
                .iter()
                .map(|(c, v)| Sibling {
                    clock: c.label(),
                    cart: cart_items(*v),
                    likes: 0,
                })
                .collect(),
            mv_likes: rep
                .mv_likes
                .versions()
                .iter()
                .map(|(c, v)| Sibling {
                    clock: c.label(),
                    cart: Vec::new(),
                    likes: v.value,
                })
                .collect(),
            or_cart: rep.or_cart.elements(),
            pn_likes: rep.pn_likes.value(),
            or_metadata: rep.or_cart.metadata(),
        }
    }

    /// Run to the end and measure.
    pub fn finish(mut self) -> Outcome {
        while self.step() {}
        self.outcome()
    }

    fn outcome(&self) -> Outcome {
        let like_total = self.like_ops.len();
        let mut strategies = Vec::new();
        for (s, (key, name)) in STRATEGIES.iter().enumerate() {
            let mut likes = Vec::new();
            let mut carts = Vec::new();
            let mut lost = 0u32;
            let mut missing = 0u32;
            let mut extra = 0u32;
            let mut meta = 0u32;
            for rep in &self.replicas {
                let (l, ops_kept, cart, m) = match s {
                    0 => (
                        rep.lww_likes.value.value.value,
                        rep.lww_likes.value.value.ops.len(),
                        rep.lww_cart.value.value,
                        2,
                    ),
                    1 => {
                        let l = rep.mv_likes_resolved();
                        (
                            l.value,
                            l.ops.len(),
                            rep.mv_cart_resolved(),
                            rep.mv_cart.metadata() + rep.mv_likes.metadata(),
                        )
                    }
                    _ => (
                        rep.pn_likes.value(),
                        (rep.pn_likes.p.value() + rep.pn_likes.n.value()) as u32,
                        rep.or_cart_mask(),
                        rep.pn_likes.len() + rep.or_cart.metadata(),
                    ),
                };
                likes.push(l);
                carts.push(cart_items(cart));
                lost = lost.max(like_total.saturating_sub(ops_kept));
                missing = missing.max((self.truth_cart & !cart).count_ones());
                extra = extra.max((cart & !self.truth_cart).count_ones());
                meta = meta.max(m);
            }
            let converged = self.equal_since[s].is_some();
            let siblings = if s == 1 {
                self.replicas
                    .iter()
                    .map(|r| r.mv_cart.versions().len().max(r.mv_likes.versions().len()) as u32)
                    .max()
                    .unwrap_or(1)
            } else {
                1
            };
            strategies.push(StrategyResult {
                key: (*key).into(),
                name: (*name).into(),
                likes,
                likes_lost: lost,
                cart: carts,
                cart_missing: missing,
                cart_extra: extra,
                converged,
                converge_ms: self.equal_since[s]
                    .map(|t| (t - self.last_op_us).max(0) as f64 / 1000.0),
                metadata: meta,
                siblings_left: siblings,
            });
        }
        Outcome {
            strategies,
            ops: self.next_op,
            like_ops: like_total,
            rejected: self.ops.iter().filter(|o| o.rejected).count() as u32,
            truth_likes: self.truth_likes,
            truth_cart: cart_items(self.truth_cart),
            sent: self.sent,
            lost: self.lost,
            concurrent_overwrites: self.tallies.concurrent.len() as u32,
            inverted_overwrites: self.tallies.inverted.len() as u32,
            conflicts: self.tallies.conflicts,
            max_siblings: self.tallies.max_siblings.max(1),
            resolved: self.tallies.resolved,
            last_op_s: self.last_op_us as f64 / US,
        }
    }

    /// The replicas' states (for tests).
    pub fn replicas(&self) -> &[Replica] {
        &self.replicas
    }

    /// The true like count so far.
    pub fn truth_likes(&self) -> i64 {
        self.truth_likes
    }

    /// Replica `r`'s like count under strategy `s` (0 lww, 1 vclock, 2 crdt).
    pub fn likes(&self, r: u32, s: usize) -> i64 {
        let rep = &self.replicas[(r as usize).min(self.replicas.len() - 1)];
        match s {
            0 => rep.lww_likes.value.value.value,
            1 => rep.mv_likes_resolved().value,
            _ => rep.pn_likes.value(),
        }
    }
}

/// LWW merge with measurement: when two different writes meet, the loser is classified as
/// concurrent (neither saw the other) or inverted (it had seen the winner, yet lost).
fn lww_merge<T: Clone>(
    local: &mut LwwRegister<Stamped<T>>,
    incoming: &LwwRegister<Stamped<T>>,
    t: &mut Tallies,
) {
    if local.value.op == incoming.value.op {
        return;
    }
    let in_wins = local.beaten_by(incoming.ts, incoming.replica);
    let (winner, loser) = if in_wins {
        (&incoming.value, &local.value)
    } else {
        (&local.value, &incoming.value)
    };
    if loser.op != u32::MAX {
        match winner.vc.compare(&loser.vc) {
            Causality::Before => {
                t.inverted.insert(loser.op);
            }
            Causality::Concurrent => {
                t.concurrent.insert(loser.op);
            }
            _ => {}
        }
    }
    local.merge(incoming);
}

impl Simulation for CrSim {
    fn now(&self) -> f64 {
        self.now as f64 / US
    }

    fn step(&mut self) -> bool {
        let Some(q) = self.queue.pop() else {
            return false;
        };
        self.now = q.time as i64;
        self.apply(q.item);
        self.track_equality();
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.queue.peek().map(|q| q.time / US)
    }
}

impl CrSim {
    fn apply(&mut self, ev: Ev) {
        let faulty = matches!(ev, Ev::Crash(_) | Ev::Restart(_) | Ev::Link(..) | Ev::Stop);
        self.apply_event(ev);
        if faulty {
            self.track_outages();
        }
    }

    /// A replica's fault state now (`None`: healthy).
    fn status(&self, r: u32) -> Option<Fault> {
        let i = r as usize;
        let hears = (0..self.n as usize).any(|o| o != i && self.link[o][i]);
        let heard = (0..self.n as usize).any(|o| o != i && self.link[i][o]);
        match (self.up[i], hears, heard) {
            (false, _, _) => Some(Fault::Down),
            (true, false, false) => Some(Fault::CutOff),
            (true, false, true) => Some(Fault::Deaf),
            (true, true, false) => Some(Fault::Mute),
            _ => None,
        }
    }

    /// Close and open fault intervals where a replica's state changed.
    fn track_outages(&mut self) {
        let t = self.now as f64 / US;
        for r in 0..self.n {
            let now = self.status(r);
            let open = self
                .outages
                .iter()
                .rposition(|o| o.replica == r && o.to.is_none());
            let current = open.map(|k| self.outages[k].fault);
            if current == now {
                continue;
            }
            if let Some(k) = open {
                self.outages[k].to = Some(t);
            }
            if let Some(fault) = now {
                if self.outages.len() < MARKS_KEPT {
                    self.outages.push(Outage {
                        replica: r,
                        fault,
                        from: t,
                        to: None,
                    });
                }
            }
        }
    }

    fn apply_event(&mut self, ev: Ev) {
        match ev {
            Ev::Op(r) => self.client_op(r),
            Ev::Sync(r) => self.sync(r),
            Ev::Deliver(id) => self.deliver(id),
            Ev::Crash(r) => self.up[r as usize] = false,
            Ev::Restart(r) => self.up[r as usize] = true,
            Ev::Link(a, b, up) => self.link[a as usize][b as usize] = up,
            Ev::Stop => {
                for row in &mut self.link {
                    row.iter_mut().for_each(|l| *l = true);
                }
                self.up.iter_mut().for_each(|u| *u = true);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshot and report
// ---------------------------------------------------------------------------------------------

/// One vector-clock version, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sibling {
    /// Its clock, e.g. `[A:2 B:1]`.
    pub clock: String,
    /// Cart items (for a cart version).
    pub cart: Vec<u8>,
    /// Like count (for a counter version).
    pub likes: i64,
}

/// One replica now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaView {
    /// "A", "B", "C".
    pub name: String,
    /// Not crashed.
    pub up: bool,
    /// Some peer's messages reach it.
    pub hears: bool,
    /// Its messages reach some peer.
    pub heard: bool,
    /// Its clock's offset, ms.
    pub skew_ms: f64,
    /// LWW cart.
    pub lww_cart: Vec<u8>,
    /// LWW likes.
    pub lww_likes: i64,
    /// Vector-clock cart versions.
    pub mv_cart: Vec<Sibling>,
    /// Vector-clock like versions.
    pub mv_likes: Vec<Sibling>,
    /// OR-Set cart.
    pub or_cart: Vec<u8>,
    /// PN-Counter likes.
    pub pn_likes: i64,
    /// OR-Set tags + tombstones.
    pub or_metadata: u32,
}

/// What the view draws at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Time of the last event, s.
    pub t: f64,
    /// When the clients stop, s.
    pub stop: f64,
    /// When the run ends, s.
    pub end: f64,
    /// Each replica.
    pub replicas: Vec<ReplicaView>,
    /// The latest client operations.
    pub ops: Vec<OpMark>,
    /// Ids of operations LWW has overwritten so far.
    pub lww_lost: Vec<u32>,
    /// The latest sync messages (in flight ones included).
    pub msgs: Vec<MsgMark>,
    /// The true like count.
    pub truth_likes: i64,
    /// The true cart.
    pub truth_cart: Vec<u8>,
    /// LWW writes overwritten by concurrent ones so far.
    pub concurrent_overwrites: u32,
    /// LWW writes overwritten by older ones (skew) so far.
    pub inverted_overwrites: u32,
    /// Vector-clock conflicts detected so far.
    pub conflicts: u32,
    /// Whether replicas agree now, per strategy (lww, vclock, crdt).
    pub converged: [bool; 3],
    /// When each replica was down or cut off (open intervals are still going on).
    pub outages: Vec<Outage>,
}

/// What is wrong with a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// Crashed.
    Down,
    /// Partitioned both ways.
    CutOff,
    /// Hears no peer (its own messages get out).
    Deaf,
    /// No peer hears it (it still hears them).
    Mute,
}

/// A replica's fault over a time interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    /// Which replica.
    pub replica: u32,
    /// What was wrong.
    pub fault: Fault,
    /// From, s.
    pub from: f64,
    /// Until, s (`None`: still going on).
    pub to: Option<f64>,
}

/// Measured figures of one run (without the report's sweeps).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Per strategy.
    pub strategies: Vec<StrategyResult>,
    /// Accepted operations.
    pub ops: u32,
    /// Accepted like operations.
    pub like_ops: u32,
    /// Operations refused by a crashed replica.
    pub rejected: u32,
    /// True like count.
    pub truth_likes: i64,
    /// True cart.
    pub truth_cart: Vec<u8>,
    /// Sync messages sent.
    pub sent: u32,
    /// Sync messages lost.
    pub lost: u32,
    /// LWW writes overwritten by a concurrent write.
    pub concurrent_overwrites: u32,
    /// LWW writes overwritten by a causally older write.
    pub inverted_overwrites: u32,
    /// Vector-clock conflicts detected.
    pub conflicts: u32,
    /// Most vector-clock siblings at once.
    pub max_siblings: u32,
    /// Writes that resolved siblings.
    pub resolved: u32,
    /// Time of the last accepted operation, s.
    pub last_op_s: f64,
}

/// The result of one strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyResult {
    /// `lww`, `vclock` or `crdt`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Final like count at each replica (as the application reads it).
    pub likes: Vec<i64>,
    /// Like operations missing from the final count (worst replica).
    pub likes_lost: u32,
    /// Final cart at each replica (item indices into [`ITEMS`]).
    pub cart: Vec<Vec<u8>>,
    /// Items the truth has and the cart lacks (worst replica).
    pub cart_missing: u32,
    /// Items the cart has and the truth lacks (worst replica).
    pub cart_extra: u32,
    /// Whether every replica holds the same state at the end.
    pub converged: bool,
    /// When they last became equal, ms after the last write.
    pub converge_ms: Option<f64>,
    /// Metadata entries at the end (worst replica): timestamps, clock entries, tags.
    pub metadata: u32,
    /// Versions still held at the end (vector clocks: siblings awaiting a write).
    pub siblings_left: u32,
}

/// One point of the skew sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Replica A's clock offset, ms.
    pub skew_ms: f64,
    /// LWW: like operations lost (mean over the seeds).
    pub lww_lost: f64,
    /// LWW: writes lost to an older write (mean).
    pub lww_inverted: f64,
}

/// One point of the likes-over-time series (replica A).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Time, s.
    pub t: f64,
    /// True count.
    pub truth: i64,
    /// LWW, vector clocks, CRDT at replica A.
    pub at_a: [i64; 3],
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Per strategy: lww, vclock, crdt.
    pub strategies: Vec<StrategyResult>,
    /// Accepted operations.
    pub ops: u32,
    /// Accepted like operations.
    pub like_ops: u32,
    /// Operations refused by a crashed replica.
    pub rejected: u32,
    /// True like count.
    pub truth_likes: i64,
    /// True cart (item indices).
    pub truth_cart: Vec<u8>,
    /// Sync messages sent.
    pub sent: u32,
    /// Sync messages lost.
    pub lost: u32,
    /// LWW writes overwritten by a concurrent write.
    pub concurrent_overwrites: u32,
    /// LWW writes overwritten by a causally older write (clock skew).
    pub inverted_overwrites: u32,
    /// Vector-clock conflicts detected.
    pub conflicts: u32,
    /// Most vector-clock siblings at once.
    pub max_siblings: u32,
    /// Writes that resolved siblings.
    pub resolved: u32,
    /// Time of the last accepted operation, s.
    pub last_op_s: f64,
    /// LWW's losses against replica A's clock skew (the same histories, 2 seeds each; the
    /// other strategies do not read clocks, so their losses do not move with skew).
    pub sweep: Vec<SweepPoint>,
    /// Like count over time at replica A.
    pub series: Vec<SeriesPoint>,
    /// Plain-language notes.
    pub notes: Vec<String>,
}

impl Report {
    /// The result of strategy `key`.
    pub fn strategy(&self, key: &str) -> Option<&StrategyResult> {
        self.strategies.iter().find(|s| s.key == key)
    }
}

const SWEEP_SKEWS: [f64; 9] = [
    -2000.0, -1000.0, -400.0, -100.0, 0.0, 100.0, 400.0, 1000.0, 2000.0,
];
const SWEEP_SEEDS: u64 = 2;
const SERIES_POINTS: u32 = 240;

impl Model for ConflictResolution {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        // the main run, sampled for the series
        let mut sim = CrSim::from_params(&p, seed);
        let end = sim.end_us as f64 / US;
        let mut series = Vec::new();
        for i in 0..=SERIES_POINTS {
            let t = end * f64::from(i) / f64::from(SERIES_POINTS);
            sim.advance_to(t);
            series.push(SeriesPoint {
                t,
                truth: sim.truth_likes,
                at_a: [sim.likes(0, 0), sim.likes(0, 1), sim.likes(0, 2)],
            });
        }
        let o = sim.finish();
        let sweep = SWEEP_SKEWS
            .iter()
            .map(|&skew| {
                let mut acc = [0.0; 2];
                for k in 0..SWEEP_SEEDS {
                    let q = Params {
                        skew_ms: skew,
                        ..p.clone()
                    };
                    let mut sim = CrSim::from_params(&q, seed.wrapping_add(k));
                    sim.lww_only = true;
                    let r = sim.finish();
                    acc[0] += f64::from(r.strategies[0].likes_lost);
                    acc[1] += f64::from(r.inverted_overwrites);
                }
                let m = SWEEP_SEEDS as f64;
                SweepPoint {
                    skew_ms: skew,
                    lww_lost: acc[0] / m,
                    lww_inverted: acc[1] / m,
                }
            })
            .collect();
        let notes = notes(&p, &o);
        Report {
            strategies: o.strategies,
            ops: o.ops,
            like_ops: o.like_ops,
            rejected: o.rejected,
            truth_likes: o.truth_likes,
            truth_cart: o.truth_cart,
            sent: o.sent,
            lost: o.lost,
            concurrent_overwrites: o.concurrent_overwrites,
            inverted_overwrites: o.inverted_overwrites,
            conflicts: o.conflicts,
            max_siblings: o.max_siblings,
            resolved: o.resolved,
            last_op_s: o.last_op_s,
            sweep,
            series,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let g = |k: &str| r.strategy(k).cloned();
        let (l, v, c) = (g("lww"), g("vclock"), g("crdt"));
        let lost = |s: &Option<StrategyResult>| s.as_ref().map_or(0.0, |s| f64::from(s.likes_lost));
        vec![
            ("lww_likes_lost", lost(&l)),
            ("vclock_likes_lost", lost(&v)),
            ("crdt_likes_lost", lost(&c)),
            ("lww_inverted", f64::from(r.inverted_overwrites)),
            ("vclock_conflicts", f64::from(r.conflicts)),
            (
                "crdt_cart_wrong",
                c.as_ref()
                    .map_or(0.0, |s| f64::from(s.cart_missing + s.cart_extra)),
            ),
        ]
    }
}

fn notes(p: &Params, o: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    let s = &o.strategies;
    if o.like_ops > 0 {
        out.push(format!(
            "Of {} like operations, last-write-wins kept {} and vector clocks (keeping the largest sibling) kept {}; the PN-Counter kept all {}.",
            o.like_ops,
            o.like_ops - s[0].likes_lost,
            o.like_ops - s[1].likes_lost,
            o.like_ops - s[2].likes_lost,
        ));
    }
    if p.skew_ms != 0.0 {
        out.push(format!(
            "{} LWW writes lost to a causally older write because A's clock is {} ms {}: with synchronised clocks this count is zero.",
            o.inverted_overwrites,
            p.skew_ms.abs(),
            if p.skew_ms > 0.0 { "ahead" } else { "behind" }
        ));
    }
    if !s.iter().all(|x| x.converged) {
        let names: Vec<&str> = s
            .iter()
            .filter(|x| !x.converged)
            .map(|x| x.name.as_str())
            .collect();
        out.push(format!(
            "Not converged by the end: {} (too many messages lost for eight rounds of anti-entropy).",
            names.join(", ")
        ));
    }
    if s[1].siblings_left > 1 {
        out.push(format!(
            "Vector clocks end with {} siblings still waiting for a write to resolve them: the conflict is kept, not decided.",
            s[1].siblings_left
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::from_pairs;
    use proptest::prelude::*;

    fn quiet() -> Params {
        Params {
            partition: "none".into(),
            skew_ms: 0.0,
            ..Params::default()
        }
    }

    // ---- reference: the page's three examples, and the CRDTs' textbook semantics ----

    #[test]
    fn book_lww_example_highest_timestamp_wins() {
        // A sets X=5 at time 100, B sets X=7 at time 99: X = 5, and 7 is lost
        let mut a = LwwRegister::new(0);
        a.set(5, 100, 0);
        let mut b = LwwRegister::new(0);
        b.set(7, 99, 1);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab.value, 5);
        assert_eq!(ab, ba);
    }

    #[test]
    fn book_vclock_example_is_a_conflict() {
        // A: X=5 at [A:1, B:0]; B: X=7 at [A:0, B:1] — concurrent, both kept
        let mut a = MvRegister::new();
        a.write(0, 5);
        let mut b = MvRegister::new();
        b.write(1, 7);
        assert_eq!(
            a.versions()[0].0.compare(&b.versions()[0].0),
            Causality::Concurrent
        );
        assert!(a.merge(&b));
        let mut vals: Vec<i32> = a.versions().iter().map(|v| v.1).collect();
        vals.sort();
        assert_eq!(vals, vec![5, 7]);
        // a write that read both supersedes both
        a.write(0, 12);
        assert_eq!(a.versions().len(), 1);
        assert_eq!(a.versions()[0].0.label(), "[A:2 B:1]");
    }

    #[test]
    fn book_counter_example_adds_up() {
        // A: +3, B: +2, merge: +5
        let mut a = PnCounter::new();
        a.add(0, 3);
        let mut b = PnCounter::new();
        b.add(1, 2);
        a.merge(&b);
        assert_eq!(a.value(), 5);
    }

    #[test]
    fn gcounter_is_total_increments_and_pn_is_incs_minus_decs() {
        let mut reps = [GCounter::new(), GCounter::new(), GCounter::new()];
        let mut pn = [PnCounter::new(), PnCounter::new()];
        let mut g_total = 0u64;
        let (mut incs, mut decs) = (0i64, 0i64);
        for k in 0..300u32 {
            let r = k % 3;
            reps[r as usize].inc(r, u64::from(k % 4));
            g_total += u64::from(k % 4);
            if k % 5 == 0 {
                pn[(k % 2) as usize].add(k % 2, -2);
                decs += 2;
            } else {
                pn[(k % 2) as usize].add(k % 2, 1);
                incs += 1;
            }
        }
        let mut g = GCounter::new();
        for r in &reps {
            g.merge(r);
        }
        assert_eq!(g.value(), g_total);
        let mut m = pn[0].clone();
        m.merge(&pn[1]);
        assert_eq!((incs, decs), (240, 120));
        assert_eq!(m.value(), incs - decs);
    }

    #[test]
    fn or_set_add_wins_over_concurrent_remove() {
        let mut a = OrSet::new();
        a.add("milk", Tag { replica: 0, seq: 1 });
        let mut b = a.clone();
        // concurrently: A removes milk, B adds milk again (a fresh tag)
        a.remove(&"milk");
        b.add("milk", Tag { replica: 1, seq: 1 });
        assert!(!a.contains(&"milk"));
        let (mut ab, mut ba) = (a.clone(), b.clone());
        ab.merge(&b);
        ba.merge(&a);
        assert!(ab.contains(&"milk") && ba.contains(&"milk"));
        assert_eq!(ab, ba);
        // a remove that has seen both adds does remove it
        ab.remove(&"milk");
        assert!(!ab.contains(&"milk"));
        ba.merge(&ab);
        assert!(!ba.contains(&"milk"));
    }

    // ---- the scenario ----

    #[test]
    fn defaults_show_the_three_behaviours() {
        let r = ConflictResolution::run(&Params::default(), 1);
        let (l, v, c) = (&r.strategies[0], &r.strategies[1], &r.strategies[2]);
        assert!(r.like_ops > 10, "{}", r.like_ops);
        assert!(l.likes_lost > 0, "LWW should lose concurrent likes");
        assert!(r.concurrent_overwrites > 0);
        assert!(
            r.inverted_overwrites > 0,
            "skewed A should invert some writes"
        );
        assert!(r.conflicts > 0, "vector clocks should detect conflicts");
        assert_eq!(c.likes_lost, 0);
        assert!(c.likes.iter().all(|&x| x == r.truth_likes));
        assert!(l.converged && v.converged && c.converged);
        // all replicas agree within a strategy once converged
        for s in &r.strategies {
            assert!(s.likes.windows(2).all(|w| w[0] == w[1]), "{}", s.key);
            assert!(s.cart.windows(2).all(|w| w[0] == w[1]), "{}", s.key);
        }
        assert!(r.series.len() <= 300);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.len() < 20_000, "{}", json.len());
    }

    #[test]
    fn zero_skew_never_inverts() {
        for seed in 1..20 {
            let p = Params {
                skew_ms: 0.0,
                rate: 4.0,
                ..Params::default()
            };
            let o = CrSim::from_params(&p, seed).finish();
            assert_eq!(o.inverted_overwrites, 0, "seed {seed}");
        }
    }

    #[test]
    fn sequential_writes_lose_nothing_under_lww() {
        // one write at a time, each long after the previous has reached everyone
        let p = Params {
            rate: 0.1,
            sync_ms: 50.0,
            latency_ms: 1.0,
            duration_s: 60.0,
            ..quiet()
        };
        for seed in 1..6 {
            let o = CrSim::from_params(&p, seed).finish();
            // rare near-coincident writes aside, with 20 s between writes per replica and
            // 50 ms syncs, nothing is concurrent
            assert_eq!(o.concurrent_overwrites, 0, "seed {seed}");
            assert_eq!(o.strategies[0].likes_lost, 0, "seed {seed}");
            assert_eq!(o.conflicts, 0, "seed {seed}");
        }
    }

    #[test]
    fn partition_grows_siblings_and_heals() {
        let p = Params {
            rate: 3.0,
            ..Params::default()
        };
        let r = ConflictResolution::run(&p, 3);
        assert!(r.max_siblings >= 2);
        assert!(r.strategies.iter().all(|s| s.converged));
        let crdt = &r.strategies[2];
        assert_eq!(crdt.likes[0], r.truth_likes);
    }

    #[test]
    fn crash_rejects_writes_and_restart_recovers() {
        let p = Params {
            crash_at_s: 2.0,
            crash_len_s: 5.0,
            rate: 3.0,
            ..quiet()
        };
        let o = CrSim::from_params(&p, 2).finish();
        assert!(o.rejected > 0);
        assert!(o.strategies.iter().all(|s| s.converged));
        assert_eq!(o.strategies[2].likes_lost, 0);
    }

    #[test]
    fn live_faults_are_events() {
        let p = quiet();
        let mut a = CrSim::from_params(&p, 5);
        a.advance_to(2.0);
        a.isolate(2, true, 2.0);
        a.crash(1, 3.0);
        a.advance_to(3.5);
        assert!(a.is_isolated(2));
        assert!(!a.is_up(1));
        a.restart(1, 4.0);
        a.isolate(2, false, 5.0);
        a.set_link(0, 1, false, 6.0);
        a.advance_to(6.5);
        assert!(a.is_up(1) && !a.is_isolated(2));
        let snap = a.snapshot();
        assert_eq!(snap.replicas.len(), 3);
        let cut = snap
            .outages
            .iter()
            .find(|o| o.replica == 2 && o.fault == Fault::CutOff)
            .expect("the cut is recorded");
        assert_eq!((cut.from, cut.to), (2.0, Some(5.0)));
        assert!(snap
            .outages
            .iter()
            .any(|o| o.replica == 1 && o.fault == Fault::Down && o.to == Some(4.0)));
        // a one-way cut (0 → 1 down; 2 → 1 still up) leaves B hearing C: no outage for B
        assert!(snap
            .outages
            .iter()
            .all(|o| o.replica != 1 || o.to.is_some()));
        // and the run still converges (the network heals when clients stop)
        let o = a.finish();
        assert!(o.strategies.iter().all(|s| s.converged));
    }

    #[test]
    fn heavy_loss_may_not_converge_but_never_panics() {
        let p = Params {
            drop_pct: 90.0,
            sync_ms: 5000.0,
            ..Params::default()
        };
        let r = ConflictResolution::run(&p, 9);
        assert_eq!(r.strategies.len(), 3);
    }

    #[test]
    fn deterministic() {
        let p = Params::default();
        assert_eq!(
            ConflictResolution::run(&p, 7),
            ConflictResolution::run(&p, 7)
        );
    }

    #[test]
    fn garbage_is_clamped() {
        let pairs: Vec<(String, String)> = [
            ("replicas", "9"),
            ("rate", "-3"),
            ("partition", "sideways"),
            ("skew_ms", "1e9"),
            ("part_from_s", "59"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (p, notices) = from_pairs::<Params>(&pairs, &[]);
        assert_eq!(p.replicas, 3);
        assert!(p.rate >= 0.1);
        assert!(p.skew_ms <= 5000.0);
        assert!(p.part_from_s < p.duration_s);
        assert!(!notices.is_empty());
        let _ = ConflictResolution::run(&p, 1);
    }

    #[test]
    fn max_knobs_are_bounded() {
        let p = Params {
            rate: RATE_MAX,
            duration_s: DURATION_MAX,
            sync_ms: 50.0,
            latency_ms: 2000.0,
            ..Params::default()
        };
        let mut s = CrSim::from_params(&p, 1);
        s.advance_to(30.0);
        let snap = s.snapshot();
        assert!(snap.ops.len() <= MARKS_KEPT && snap.msgs.len() <= MARKS_KEPT);
        let o = s.finish();
        assert!(o.ops > 2000);
    }

    // ---- properties ----

    fn arb_vclock() -> impl Strategy<Value = VClock> {
        proptest::collection::vec(0u64..4, 3).prop_map(|v| {
            let mut c = VClock::new();
            for (i, k) in v.into_iter().enumerate() {
                for _ in 0..k {
                    c.tick(i as u32);
                }
            }
            c
        })
    }

    /// An operation on a replica: (replica, kind 0..4, item/amount).
    fn arb_ops() -> impl Strategy<Value = Vec<(u32, u8, u8)>> {
        proptest::collection::vec((0u32..3, 0u8..4, 0u8..4), 0..30)
    }

    /// One replica holding every data type.
    type All = (
        PnCounter,
        OrSet<u8>,
        GCounter,
        LwwRegister<u8>,
        MvRegister<u8>,
    );

    /// Replica states after random local ops and random merges between them.
    fn states(ops: &[(u32, u8, u8)], merges: &[(u32, u32)]) -> Vec<All> {
        let mut s: Vec<_> = (0..3)
            .map(|_| {
                (
                    PnCounter::new(),
                    OrSet::new(),
                    GCounter::new(),
                    LwwRegister::new(0u8),
                    MvRegister::new(),
                )
            })
            .collect();
        for (k, &(r, kind, x)) in ops.iter().enumerate() {
            let st = &mut s[r as usize];
            let seq = k as u64 + 1;
            match kind {
                0 => st.0.add(r, i64::from(x) + 1),
                1 => st.0.add(r, -(i64::from(x))),
                2 => st.1.add(x, Tag { replica: r, seq }),
                _ => st.1.remove(&x),
            }
            st.2.inc(r, u64::from(x));
            st.3.set(x, k as i64 / 2, r);
            st.4.write(r, x);
            if let Some(&(a, b)) = merges.get(k) {
                if a != b {
                    let src = s[a as usize].clone();
                    let dst = &mut s[b as usize];
                    dst.0.merge(&src.0);
                    dst.1.merge(&src.1);
                    dst.2.merge(&src.2);
                    dst.3.merge(&src.3);
                    dst.4.merge(&src.4);
                }
            }
        }
        s
    }

    macro_rules! lattice_laws {
        ($a:expr, $b:expr, $c:expr) => {{
            let (a, b, c) = ($a, $b, $c);
            let mut ab = a.clone();
            ab.merge(&b);
            let mut ba = b.clone();
            ba.merge(&a);
            prop_assert_eq!(&ab, &ba, "commutative");
            let mut ab_c = ab.clone();
            ab_c.merge(&c);
            let mut bc = b.clone();
            bc.merge(&c);
            let mut a_bc = a.clone();
            a_bc.merge(&bc);
            prop_assert_eq!(&ab_c, &a_bc, "associative");
            let mut aa = a.clone();
            aa.merge(&a);
            prop_assert_eq!(&aa, &a, "idempotent");
        }};
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn merges_are_a_semilattice(ops in arb_ops(), merges in proptest::collection::vec((0u32..3, 0u32..3), 0..30)) {
            let s = states(&ops, &merges);
            lattice_laws!(s[0].0.clone(), s[1].0.clone(), s[2].0.clone());
            lattice_laws!(s[0].1.clone(), s[1].1.clone(), s[2].1.clone());
            lattice_laws!(s[0].2.clone(), s[1].2.clone(), s[2].2.clone());
            lattice_laws!(s[0].3.clone(), s[1].3.clone(), s[2].3.clone());
            lattice_laws!(s[0].4.clone(), s[1].4.clone(), s[2].4.clone());
        }

        #[test]
        fn vclock_merge_is_a_semilattice(a in arb_vclock(), b in arb_vclock(), c in arb_vclock()) {
            lattice_laws!(a, b, c);
        }

        #[test]
        fn vclock_compare_is_a_partial_order(a in arb_vclock(), b in arb_vclock(), c in arb_vclock()) {
            use Causality::*;
            prop_assert_eq!(a.compare(&a), Equal);
            let ab = a.compare(&b);
            let ba = b.compare(&a);
            let flipped = match ab { Before => After, After => Before, x => x };
            prop_assert_eq!(ba, flipped, "antisymmetric, concurrency symmetric");
            if ab == Equal { prop_assert_eq!(&a, &b); }
            if ab == Before && b.compare(&c) == Before {
                prop_assert_eq!(a.compare(&c), Before, "transitive");
            }
            // the join is the least upper bound
            let mut j = a.clone();
            j.merge(&b);
            prop_assert!(matches!(a.compare(&j), Before | Equal));
            prop_assert!(matches!(b.compare(&j), Before | Equal));
        }

        #[test]
        fn any_delivery_order_converges(ops in arb_ops(), order in proptest::collection::vec(0u32..1000, 0..60)) {
            // each replica's final state, delivered to a fresh replica in a random order with
            // duplicates, gives the same result as delivery in the natural order
            let s = states(&ops, &[]);
            let mut reference = s[0].clone();
            for x in &s[1..] {
                reference.0.merge(&x.0);
                reference.1.merge(&x.1);
                reference.2.merge(&x.2);
                reference.3.merge(&x.3);
                reference.4.merge(&x.4);
            }
            // deliveries: every state at least once, then the random extra order (duplicates)
            let mut seq: Vec<u32> = vec![2, 1, 0];
            seq.extend(order.iter().map(|k| k % 3));
            let mut rot = seq.clone();
            rot.rotate_left(seq.len() / 2);
            for deliveries in [seq, rot] {
                let mut t = (PnCounter::new(), OrSet::new(), GCounter::new(), LwwRegister::new(0u8), MvRegister::new());
                for k in deliveries {
                    let x = &s[k as usize];
                    t.0.merge(&x.0);
                    t.1.merge(&x.1);
                    t.2.merge(&x.2);
                    t.3.merge(&x.3);
                    t.4.merge(&x.4);
                }
                prop_assert_eq!(&t.0, &reference.0);
                prop_assert_eq!(&t.1, &reference.1);
                prop_assert_eq!(&t.2, &reference.2);
                prop_assert_eq!(&t.3, &reference.3);
                prop_assert_eq!(&t.4, &reference.4);
            }
            // and the counters count every operation exactly once
            let incs: i64 = ops.iter().filter(|o| o.1 == 0).map(|o| i64::from(o.2) + 1).sum();
            let decs: i64 = ops.iter().filter(|o| o.1 == 1).map(|o| i64::from(o.2)).sum();
            prop_assert_eq!(reference.0.value(), incs - decs);
            let g: u64 = ops.iter().map(|o| u64::from(o.2)).sum();
            prop_assert_eq!(reference.2.value(), g);
        }

        #[test]
        fn op_delivery_in_any_order_converges(ops in proptest::collection::vec((0u32..3, 0u8..4, 0u8..4), 1..25), perm_seed in 0u64..1000) {
            // every operation ships its replica's state right after it; three receivers get all
            // those messages in their own random order, one of them twice: all end equal, and
            // equal to the join of the senders
            let mut reps: Vec<(PnCounter, OrSet<u8>)> = vec![(PnCounter::new(), OrSet::new()); 3];
            let mut msgs = Vec::new();
            let (mut incs, mut decs) = (0i64, 0i64);
            for (k, &(r, kind, x)) in ops.iter().enumerate() {
                let st = &mut reps[r as usize];
                match kind {
                    0 => { st.0.add(r, 1); incs += 1; }
                    1 => { st.0.add(r, -1); decs += 1; }
                    2 => st.1.add(x, Tag { replica: r, seq: k as u64 }),
                    _ => st.1.remove(&x),
                }
                msgs.push(st.clone());
            }
            let mut join = (PnCounter::new(), OrSet::<u8>::new());
            for r in &reps {
                join.0.merge(&r.0);
                join.1.merge(&r.1);
            }
            let mut rng = crate::rng::Rng::new(perm_seed);
            for _ in 0..3 {
                let mut idx: Vec<u32> = (0..msgs.len() as u32).collect();
                for i in (1..idx.len()).rev() {
                    let j = rng.below(i as u64 + 1) as usize;
                    idx.swap(i, j);
                }
                let dup = idx[rng.below(idx.len() as u64) as usize];
                idx.push(dup);
                let mut s = (PnCounter::new(), OrSet::new());
                for i in idx {
                    s.0.merge(&msgs[i as usize].0);
                    s.1.merge(&msgs[i as usize].1);
                }
                prop_assert_eq!(&s, &join);
            }
            prop_assert_eq!(join.0.value(), incs - decs);
        }

        #[test]
        fn lww_without_concurrency_or_skew_loses_nothing(writers in proptest::collection::vec(0u32..3, 1..40)) {
            // each write reads the latest state (no concurrency) and stamps it with true time
            let mut reps = vec![LwwRegister::new(Likes::default()); 3];
            for (k, &r) in writers.iter().enumerate() {
                let latest = reps.iter().max_by_key(|x| (x.ts, x.replica)).cloned().unwrap();
                reps[r as usize].merge(&latest);
                let mut l = reps[r as usize].value.clone();
                l.value += 1;
                l.ops.insert(k as u32);
                prop_assert!(reps[r as usize].set(l, k as i64, r));
            }
            let mut m = reps[0].clone();
            m.merge(&reps[1]);
            m.merge(&reps[2]);
            prop_assert_eq!(m.value.value, writers.len() as i64);
            prop_assert_eq!(m.value.ops.len(), writers.len() as u32);
        }

        #[test]
        fn scenario_invariants(seed in 0u64..500, skew in -3000.0f64..3000.0, drop in 0.0f64..40.0, part in 0u32..4) {
            let p = Params {
                skew_ms: skew,
                drop_pct: drop,
                partition: ["none", "both", "deaf", "mute"][part as usize].into(),
                rate: 2.0,
                duration_s: 6.0,
                ..Params::default()
            };
            let o = CrSim::from_params(&p, seed).finish();
            let crdt = &o.strategies[2];
            if crdt.converged {
                prop_assert_eq!(crdt.likes_lost, 0);
                prop_assert!(crdt.likes.iter().all(|&x| x == o.truth_likes));
            }
            if skew == 0.0 {
                prop_assert_eq!(o.inverted_overwrites, 0);
            }
            // LWW loses exactly the likes it overwrote, never more than were made
            prop_assert!(o.strategies[0].likes_lost <= o.like_ops);
        }
    }
}
