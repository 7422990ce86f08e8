//! # State strategies (book page 25): partitioning, replication and caching on one workload
//!
//! The page names three ways to distribute state — split it (partitioning), copy it
//! (replication), keep hot copies close (caching) — and the choice a partition forces between
//! consistency and availability. This model runs **one seeded key-value workload** against
//! **three clusters of the same `N` nodes**, side by side, through the same node failure and the
//! same network partition:
//!
//! 1. **Partitioned**: each key lives on exactly one node, chosen by the placement `scheme`.
//! 2. **Replicated**: the same placement, but each shard has `replicas` copies (its primary and
//!    followers). `strong` (CP) writes synchronously to every reachable replica and reads only
//!    from a primary that can see a majority of the shard's replicas; `eventual` (AP) writes to
//!    one replica and ships the write to the others after `repl_delay_ms`, and reads from the
//!    least busy reachable replica.
//! 3. **Cached**: the partitioned store with a cache in front (cache-aside, CLOCK eviction),
//!    sharded over the same nodes by its own hash. A write deletes the cached copy: at once
//!    under `strong`, `repl_delay_ms` later under `eventual`.
//!
//! **Workload.** Operations arrive as a Poisson stream at `rate` per second for [`RUN_S`]
//! seconds. Keys have Zipf popularity: the key of rank `r` (0-based) is drawn with probability
//! `(r+1)^−s / H(K, s)`. A share `read_pct` of operations are reads; a share `multi_pct` touch
//! `multi_keys` keys drawn independently (a multi-get or a multi-key transaction). Each client
//! sits on one side of the (possible) partition, in proportion to the nodes there.
//!
//! **Placement** (`scheme`): `single` — one shard on node 0; `functional` — three tables
//! (users, posts, comments) by a hash of the key, table `f` on node `f mod N`; `modulo` — shard
//! `hash(key) mod shards`, shard `s` on node `s mod N`, followers on the next nodes;
//! `virtual` — `shards` virtual shards mapped to nodes by expected load (largest first onto the
//! least loaded node, Graham's LPT rule), followers chosen per shard by rendezvous hashing so
//! that a failed node's shards fail over to many nodes, not one.
//!
//! **Nodes** serve first come, first served at `capacity` units of work per second: a key read
//! or write costs 1 unit, a cache lookup [`CACHE_COST`], a two-phase-commit prepare
//! [`PREPARE_COST`]. An operation that would wait more than [`TIMEOUT_S`] in a node's queue is
//! refused (overload). A multi-key operation whose keys sit on several nodes pays one more
//! round trip (reads: scatter-gather) or two more plus a prepare on each participant (writes:
//! two-phase commit); it is served only if every key is.
//!
//! **Faults.** Node `fail_node` (0 = none) is down from [`FAIL_AT`] to [`RECOVER_AT`] and comes
//! back with an empty cache; the last `partition` nodes are cut off from the rest from
//! [`PARTITION_AT`] to [`HEAL_AT`]. Until `detect_ms` after a fault, clients and primaries still
//! route to the old places (those operations time out and are refused); after it, the
//! replicated cluster fails over. A node that returns catches up at once (a simplification: no
//! recovery traffic is charged).
//!
//! **Staleness.** A read is *stale* if some write to its key was acknowledged before the read
//! arrived but is not yet visible where the read is served. Reads see the state at their
//! arrival. Under `strong` no read is ever stale (a property test checks it); under `eventual`
//! replica lag, partitions and late cache invalidation all produce stale reads, which are
//! counted.
//!
//! **Theory.** For `k` keys placed independently, the chance a multi-key operation stays on one
//! shard is `Σ_s p_s^k` (`p_s` the share of traffic of shard `s`); with `S` equally likely
//! shards it is `(1/S)^{k−1}`, so `1 − (1/S)^{k−1}` of them cross shards (tested).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::state_strategies::{Params, StateStrategies};
//! let r = StateStrategies::run(&Params::default(), 1);
//! assert_eq!(r.strategies.len(), 3);
//! assert!(r.strategies.iter().all(|s| s.served + s.refused_unavailable + s.refused_overload == s.ops));
//! ```

use crate::model::{Model, Simulation};
use crate::models::consistent_hashing::fmix64;
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// The state-strategies model.
pub struct StateStrategies;

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/// Simulated run length, in seconds.
pub const RUN_S: f64 = 6.0;
/// When `fail_node` goes down, in seconds.
pub const FAIL_AT: f64 = 1.5;
/// When it comes back (with an empty cache), in seconds.
pub const RECOVER_AT: f64 = 3.0;
/// When the partition cuts the last `partition` nodes off, in seconds.
pub const PARTITION_AT: f64 = 3.5;
/// When the partition heals, in seconds.
pub const HEAL_AT: f64 = 5.0;
/// Width of one time-series bin, in seconds.
pub const BIN_S: f64 = 0.1;
/// Bins after the failed node's return over which the cold-cache hit ratio is measured.
const COLD_BINS: usize = 2;
/// Longest wait in a node's queue before an operation is refused, in seconds.
pub const TIMEOUT_S: f64 = 0.1;
/// Network round trip between a client and a node (and between nodes), in seconds.
pub const RTT_S: f64 = 0.001;
/// Work of a cache lookup, in units (a key read or write on the store is 1).
pub const CACHE_COST: f64 = 0.1;
/// Work of a two-phase-commit prepare on each participant of a cross-node write, in units.
pub const PREPARE_COST: f64 = 0.5;
/// Largest cluster.
pub const MAX_NODES: usize = 12;
/// Largest number of keys in one multi-key operation.
pub const MAX_MULTI: usize = 8;
/// Tables of the `functional` scheme (users, posts, comments).
pub const FUNCTIONS: u32 = 3;

/// The phases of a run: `(name, start s, end s)`.
pub const PHASES: [(&str, f64, f64); 5] = [
    ("steady", 0.0, FAIL_AT),
    ("node down", FAIL_AT, RECOVER_AT),
    ("recovered", RECOVER_AT, PARTITION_AT),
    ("partitioned", PARTITION_AT, HEAL_AT),
    ("healed", HEAL_AT, RUN_S),
];

/// The three strategies, in display order: `(key, name)`.
pub const STRATEGIES: [(&str, &str); 3] = [
    ("partitioned", "Partitioned"),
    ("replicated", "Replicated"),
    ("cached", "Cached"),
];

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// The knobs. Defaults: 4 nodes of 1000 units/s, 1500 ops/s, 90 % reads, Zipf 0.9 over 1000
/// keys, hash mod 16 shards, 3 replicas, a cache for 30 % of the keys, 10 % three-key
/// operations, 50 ms replication delay, node 2 fails, one node cut off, strong consistency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Placement: `single`, `functional`, `modulo` or `virtual`.
    pub scheme: String,
    /// Shards (`modulo`) or virtual shards (`virtual`), 1–64; unused by `single`/`functional`.
    pub shards: u32,
    /// Under a partition or failure: `strong` (CP) or `eventual` (AP).
    pub consistency: String,
    /// Nodes N (2–12).
    pub nodes: u32,
    /// Offered operations per second (100–20 000).
    pub rate: f64,
    /// Work units per second one node can do (100–10 000); a key read or write is 1 unit.
    pub capacity: f64,
    /// Share of reads, in percent (0–100).
    pub read_pct: f64,
    /// Zipf exponent s of key popularity (0–2; 0 = uniform).
    pub skew: f64,
    /// Distinct keys K (100–100 000).
    pub keys: u32,
    /// Copies of each shard in the replicated cluster (1–5, at most N).
    pub replicas: u32,
    /// Cache size in the cached cluster, as a percentage of the keys (0–50).
    pub cache_pct: f64,
    /// Share of multi-key operations, in percent (0–100).
    pub multi_pct: f64,
    /// Keys per multi-key operation (2–8).
    pub multi_keys: u32,
    /// Asynchronous replication (and cache invalidation) delay under `eventual`, in ms (0–1000).
    pub repl_delay_ms: f64,
    /// Time to detect a failure or partition and fail over, in ms (0–1500).
    pub detect_ms: f64,
    /// The node that fails from 1.5 s to 3 s (1–N; 0 = none).
    pub fail_node: u32,
    /// How many nodes (the last ones) the partition cuts off from 3.5 s to 5 s (0 = none).
    pub partition: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scheme: "modulo".into(),
            shards: 16,
            consistency: "strong".into(),
            nodes: 4,
            rate: 1500.0,
            capacity: 1000.0,
            read_pct: 90.0,
            skew: 0.9,
            keys: 1000,
            replicas: 3,
            cache_pct: 30.0,
            multi_pct: 10.0,
            multi_keys: 3,
            repl_delay_ms: 50.0,
            detect_ms: 300.0,
            fail_node: 2,
            partition: 1,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "scheme",
        label: "Placement",
        unit: "",
        help: "How keys are placed: all on one node, one table per node, hash mod shards, or virtual shards mapped to nodes by load.",
        kind: KnobKind::Choice {
            options: &[
                ("single", "single node"),
                ("functional", "functional (by table)"),
                ("modulo", "hash mod shards"),
                ("virtual", "virtual shards"),
            ],
        },
    },
    Knob {
        key: "shards",
        label: "Shards",
        unit: "",
        help: "Shards for hash mod shards, or virtual shards; the other placements ignore it.",
        kind: KnobKind::Int { min: 1, max: 64, log: false },
    },
    Knob {
        key: "consistency",
        label: "Consistency",
        unit: "",
        help: "Strong (CP): synchronous copies, refuse what cannot reach a majority. Eventual (AP): serve anywhere, copy later, reconcile.",
        kind: KnobKind::Choice {
            options: &[("strong", "strong (CP)"), ("eventual", "eventual (AP)")],
        },
    },
    Knob {
        key: "nodes",
        label: "Nodes",
        unit: "",
        help: "How many nodes each of the three clusters has.",
        kind: KnobKind::Int { min: 2, max: MAX_NODES as i64, log: false },
    },
    Knob {
        key: "rate",
        label: "Offered load",
        unit: "ops/s",
        help: "Operations per second arriving at random (Poisson) moments.",
        kind: KnobKind::Float { min: 100.0, max: 20_000.0, step: 100.0, log: true },
    },
    Knob {
        key: "capacity",
        label: "Node capacity",
        unit: "units/s",
        help: "Work one node does per second; a key read or write is one unit, a cache lookup a tenth.",
        kind: KnobKind::Float { min: 100.0, max: 10_000.0, step: 100.0, log: true },
    },
    Knob {
        key: "read_pct",
        label: "Reads",
        unit: "%",
        help: "Share of operations that read; the rest write.",
        kind: KnobKind::Float { min: 0.0, max: 100.0, step: 1.0, log: false },
    },
    Knob {
        key: "skew",
        label: "Key skew (Zipf s)",
        unit: "",
        help: "Popularity of the key of rank r is proportional to r^−s: 0 is uniform, 1 is classic Zipf.",
        kind: KnobKind::Float { min: 0.0, max: 2.0, step: 0.05, log: false },
    },
    Knob {
        key: "keys",
        label: "Keys",
        unit: "keys",
        help: "How many distinct keys the workload uses.",
        kind: KnobKind::Int { min: 100, max: 100_000, log: true },
    },
    Knob {
        key: "replicas",
        label: "Replication factor",
        unit: "copies",
        help: "Copies of each shard in the replicated cluster (at most the number of nodes).",
        kind: KnobKind::Int { min: 1, max: 5, log: false },
    },
    Knob {
        key: "cache_pct",
        label: "Cache size",
        unit: "% of keys",
        help: "How many keys the cache in front of the cached cluster holds, as a share of all keys.",
        kind: KnobKind::Float { min: 0.0, max: 50.0, step: 1.0, log: false },
    },
    Knob {
        key: "multi_pct",
        label: "Multi-key operations",
        unit: "%",
        help: "Share of operations that touch several keys at once (multi-get or multi-key transaction).",
        kind: KnobKind::Float { min: 0.0, max: 100.0, step: 1.0, log: false },
    },
    Knob {
        key: "multi_keys",
        label: "Keys per multi-key op",
        unit: "keys",
        help: "How many keys one multi-key operation touches.",
        kind: KnobKind::Int { min: 2, max: MAX_MULTI as i64, log: false },
    },
    Knob {
        key: "repl_delay_ms",
        label: "Replication delay",
        unit: "ms",
        help: "Under eventual consistency: how long a write takes to reach the other replicas, and the cache to drop its old copy.",
        kind: KnobKind::Float { min: 0.0, max: 1000.0, step: 5.0, log: false },
    },
    Knob {
        key: "detect_ms",
        label: "Failure detection",
        unit: "ms",
        help: "How long it takes to notice a dead or cut-off node and route around it.",
        kind: KnobKind::Float { min: 0.0, max: 1500.0, step: 10.0, log: false },
    },
    Knob {
        key: "fail_node",
        label: "Failing node",
        unit: "",
        help: "This node (1–N) is down from 1.5 s to 3 s and returns with an empty cache; 0 for no failure.",
        kind: KnobKind::Int { min: 0, max: MAX_NODES as i64, log: false },
    },
    Knob {
        key: "partition",
        label: "Nodes cut off",
        unit: "nodes",
        help: "From 3.5 s to 5 s a partition cuts the last nodes off from the rest (with their clients); 0 for none.",
        kind: KnobKind::Int { min: 0, max: MAX_NODES as i64 - 1, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    fn check(&mut self, notices: &mut Vec<Notice>) {
        let d = Params::default();
        for (v, lo, hi, def) in [
            (&mut self.rate, 100.0, 20_000.0, d.rate),
            (&mut self.capacity, 100.0, 10_000.0, d.capacity),
            (&mut self.read_pct, 0.0, 100.0, d.read_pct),
            (&mut self.skew, 0.0, 2.0, d.skew),
            (&mut self.cache_pct, 0.0, 50.0, d.cache_pct),
            (&mut self.multi_pct, 0.0, 100.0, d.multi_pct),
            (&mut self.repl_delay_ms, 0.0, 1000.0, d.repl_delay_ms),
            (&mut self.detect_ms, 0.0, 1500.0, d.detect_ms),
        ] {
            *v = if v.is_finite() { v.clamp(lo, hi) } else { def };
        }
        self.nodes = self.nodes.clamp(2, MAX_NODES as u32);
        self.shards = self.shards.clamp(1, 64);
        self.keys = self.keys.clamp(100, 100_000);
        self.multi_keys = self.multi_keys.clamp(2, MAX_MULTI as u32);
        if !matches!(
            self.scheme.as_str(),
            "single" | "functional" | "modulo" | "virtual"
        ) {
            self.scheme = d.scheme;
        }
        if !matches!(self.consistency.as_str(), "strong" | "eventual") {
            self.consistency = d.consistency;
        }
        if self.replicas > self.nodes {
            notices.push(Notice::new(
                "replicas",
                format!(
                    "at most one copy per node: replication factor lowered to {}",
                    self.nodes
                ),
            ));
        }
        self.replicas = self.replicas.clamp(1, self.nodes.min(5));
        if self.fail_node > self.nodes {
            notices.push(Notice::new(
                "fail_node",
                format!(
                    "there is no node {} among {}; node {} fails instead",
                    self.fail_node, self.nodes, self.nodes
                ),
            ));
            self.fail_node = self.nodes;
        }
        if self.partition >= self.nodes {
            notices.push(Notice::new(
                "partition",
                format!(
                    "a partition leaves at least one node on each side: {} cut off",
                    self.nodes - 1
                ),
            ));
            self.partition = self.nodes - 1;
        }
    }
}

impl Params {
    fn strong(&self) -> bool {
        self.consistency == "strong"
    }
}

// ---------------------------------------------------------------------------------------------
// Workload and placement
// ---------------------------------------------------------------------------------------------

/// Zipf popularity of `keys` keys with exponent `s`: probabilities, rank 0 first.
pub fn zipf_probs(keys: u32, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=keys.max(1))
        .map(|r| {
            if s == 0.0 {
                1.0
            } else {
                libm::pow(f64::from(r), -s)
            }
        })
        .collect();
    let h: f64 = w.iter().sum();
    w.into_iter().map(|x| x / h).collect()
}

/// Where keys live: each key's shard, and each shard's node preference list (all `N` nodes,
/// the first `replicas` hold copies, the first is the primary).
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// Nodes N.
    pub nodes: u32,
    /// Shards in use (1 for `single`, 3 for `functional`, `shards` otherwise).
    pub shards: u32,
    /// The shard of each key.
    pub key_shard: Vec<u32>,
    /// Per shard, every node in order of preference; the first is the primary.
    pub pref: Vec<Vec<u8>>,
    /// Share of the workload's key draws that fall in each shard.
    pub shard_share: Vec<f64>,
}

impl Placement {
    /// The placement of `p` with hashes salted by `salt`, given key popularities `probs`.
    pub fn new(p: &Params, salt: u64, probs: &[f64]) -> Placement {
        let n = p.nodes.clamp(2, MAX_NODES as u32);
        let shards = match p.scheme.as_str() {
            "single" => 1,
            "functional" => FUNCTIONS,
            _ => p.shards.clamp(1, 64),
        };
        let key_shard: Vec<u32> = (0..probs.len() as u64)
            .map(|k| (fmix64(k ^ salt) % u64::from(shards)) as u32)
            .collect();
        let mut shard_share = vec![0.0; shards as usize];
        for (k, &s) in key_shard.iter().enumerate() {
            shard_share[s as usize] += probs[k];
        }
        let ring = |first: u32| -> Vec<u8> { (0..n).map(|j| ((first + j) % n) as u8).collect() };
        let pref = if p.scheme == "virtual" {
            // LPT: largest expected load first onto the least loaded node (ties: lowest index).
            let mut order: Vec<u32> = (0..shards).collect();
            crate::sort::sort_by(&mut order, |&a, &b| {
                shard_share[b as usize]
                    .total_cmp(&shard_share[a as usize])
                    .then(a.cmp(&b))
            });
            let mut load = vec![0.0f64; n as usize];
            let mut count = vec![0u32; n as usize];
            let mut primary = vec![0u32; shards as usize];
            for s in order {
                let best = (0..n as usize)
                    .min_by(|&a, &b| {
                        load[a]
                            .total_cmp(&load[b])
                            .then(count[a].cmp(&count[b]))
                            .then(a.cmp(&b))
                    })
                    .unwrap_or(0);
                load[best] += shard_share[s as usize];
                count[best] += 1;
                primary[s as usize] = best as u32;
            }
            (0..shards)
                .map(|s| {
                    let prim = primary[s as usize];
                    // the rest by rendezvous hashing: highest hash(shard, node) first
                    let mut rest: Vec<u32> = (0..n).filter(|&x| x != prim).collect();
                    let key = |x: u32| fmix64(salt ^ (u64::from(s) << 32) ^ u64::from(x) ^ 0x5EED);
                    crate::sort::sort_by(&mut rest, |&a, &b| key(b).cmp(&key(a)));
                    std::iter::once(prim).chain(rest).map(|x| x as u8).collect()
                })
                .collect()
        } else {
            (0..shards).map(|s| ring(s % n)).collect()
        };
        Placement {
            nodes: n,
            shards,
            key_shard,
            pref,
            shard_share,
        }
    }

    /// The live node serving `shard` when only the nodes with `live[i]` are up: the first live
    /// node of its preference list (`None` if every node is down).
    pub fn owner(&self, shard: u32, live: &[bool]) -> Option<u32> {
        self.pref
            .get(shard as usize)?
            .iter()
            .find(|&&x| live.get(x as usize).copied().unwrap_or(false))
            .map(|&x| u32::from(x))
    }

    /// Shards whose primary is each node.
    pub fn primaries_per_node(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.nodes as usize];
        for p in &self.pref {
            c[p[0] as usize] += 1;
        }
        c
    }

    /// Expected share of single-key work on each node's primaries (from the key popularity).
    pub fn node_share(&self) -> Vec<f64> {
        let mut c = vec![0.0; self.nodes as usize];
        for (s, p) in self.pref.iter().enumerate() {
            c[p[0] as usize] += self.shard_share[s];
        }
        c
    }
}

/// One operation of the workload.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Arrival time, in seconds.
    pub t: f64,
    /// A write (else a read).
    pub write: bool,
    /// The client is on the cut-off side of the partition.
    pub side_b: bool,
    /// Keys touched (the first `k`).
    pub keys: [u32; MAX_MULTI],
    /// How many keys.
    pub k: u8,
}

/// The seeded operation stream.
#[derive(Clone, Debug)]
struct Workload {
    cdf: Vec<f64>,
    rate: f64,
    read: f64,
    multi: f64,
    multi_keys: u8,
    side_b: f64,
    t: f64,
    arrivals: Rng,
    draws: Rng,
    next: Option<Op>,
}

impl Workload {
    fn new(p: &Params, probs: &[f64], seed: u64) -> Workload {
        let mut acc = 0.0;
        let cdf = probs
            .iter()
            .map(|x| {
                acc += x;
                acc
            })
            .collect();
        let mut w = Workload {
            cdf,
            rate: p.rate,
            read: p.read_pct / 100.0,
            multi: p.multi_pct / 100.0,
            multi_keys: p.multi_keys.clamp(2, MAX_MULTI as u32) as u8,
            side_b: f64::from(p.partition) / f64::from(p.nodes),
            t: 0.0,
            arrivals: Rng::derive(seed, "arrivals"),
            draws: Rng::derive(seed, "ops"),
            next: None,
        };
        w.next = w.draw();
        w
    }

    fn key(&mut self) -> u32 {
        let u = self.draws.uniform();
        let i = self.cdf.partition_point(|&c| c <= u);
        i.min(self.cdf.len() - 1) as u32
    }

    fn draw(&mut self) -> Option<Op> {
        self.t += self.arrivals.exp(1.0 / self.rate);
        if self.t >= RUN_S {
            return None;
        }
        let write = !self.draws.chance(self.read);
        let side_b = self.draws.chance(self.side_b);
        let k = if self.draws.chance(self.multi) {
            self.multi_keys
        } else {
            1
        };
        let mut keys = [0u32; MAX_MULTI];
        for slot in keys.iter_mut().take(k as usize) {
            *slot = self.key();
        }
        Some(Op {
            t: self.t,
            write,
            side_b,
            keys,
            k,
        })
    }

    fn pop(&mut self) -> Option<Op> {
        let op = self.next.take()?;
        self.next = self.draw();
        Some(op)
    }
}

// ---------------------------------------------------------------------------------------------
// The world: faults and what is known about them
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct World {
    n: usize,
    rf: usize,
    fail: Option<usize>,
    side_b: [bool; MAX_NODES],
    cut: bool,
    detect: f64,
    delay: f64,
    /// Seconds of node time per unit of work (1 / capacity).
    per_unit: f64,
    strong: bool,
}

impl World {
    fn alive(&self, x: usize, t: f64) -> bool {
        !(self.fail == Some(x) && (FAIL_AT..RECOVER_AT).contains(&t))
    }
    fn known_dead(&self, x: usize, t: f64) -> bool {
        self.fail == Some(x) && (FAIL_AT + self.detect..RECOVER_AT).contains(&t)
    }
    fn part(&self, t: f64) -> bool {
        self.cut && (PARTITION_AT..HEAL_AT).contains(&t)
    }
    fn part_known(&self, t: f64) -> bool {
        self.cut && (PARTITION_AT + self.detect..HEAL_AT).contains(&t)
    }
    /// Node `x` can be reached by a client on side `b` at `t`.
    fn reach(&self, x: usize, b: bool, t: f64) -> bool {
        !self.part(t) || self.side_b[x] == b
    }
    fn same_side(&self, x: usize, y: usize, t: f64) -> bool {
        !self.part(t) || self.side_b[x] == self.side_b[y]
    }
    fn known_cut(&self, x: usize, b: bool, t: f64) -> bool {
        self.part_known(t) && self.side_b[x] != b
    }
    /// When node `x`, which cannot take a write from `from` at `t`, catches up.
    fn catch_up(&self, x: usize, from: usize, t: f64) -> f64 {
        let mut c = t;
        if !self.alive(x, t) {
            c = c.max(RECOVER_AT);
        }
        if !self.same_side(x, from, t) {
            c = c.max(HEAL_AT);
        }
        c
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------

/// Sub-bins per octave of [`LogHist`] (bins are linear in the mantissa: at most 6.25 % wide).
const HIST_SUB: u64 = 16;
/// Binary exponent of the smallest value [`LogHist`] resolves: 2^−17 s ≈ 7.6 µs.
const HIST_MIN_EXP: i64 = -17;
/// Octaves covered: up to 2^15 s.
const HIST_OCTAVES: i64 = 32;

/// A histogram with logarithmic bins read straight from the float's bits (no transcendental
/// calls on the hot path): 16 per octave from 7.6 µs, so quantiles are within 6.25 %.
#[derive(Clone, Debug)]
struct LogHist {
    bins: Vec<u64>,
    n: u64,
    sum: f64,
}

impl LogHist {
    fn new() -> Self {
        LogHist {
            bins: vec![0; (HIST_OCTAVES as u64 * HIST_SUB + 1) as usize],
            n: 0,
            sum: 0.0,
        }
    }
    fn index(x: f64) -> usize {
        if x.is_nan() || x <= 0.0 || !x.is_finite() {
            return 0;
        }
        let bits = x.to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64 - 1023 - HIST_MIN_EXP;
        if e < 0 {
            return 0;
        }
        let m = (bits >> (52 - 4)) & (HIST_SUB - 1);
        ((e as u64 * HIST_SUB + m + 1) as usize).min((HIST_OCTAVES as u64 * HIST_SUB) as usize)
    }
    fn add(&mut self, x: f64) {
        self.bins[Self::index(x)] += 1;
        self.n += 1;
        self.sum += x;
    }
    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
    /// Upper edge of the bin holding quantile `q`.
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let target = (q * self.n as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, &c) in self.bins.iter().enumerate() {
            acc += c;
            if acc >= target {
                if i == 0 {
                    return Some(libm::ldexp(1.0, HIST_MIN_EXP as i32));
                }
                let (e, m) = ((i as u64 - 1) / HIST_SUB, (i as u64 - 1) % HIST_SUB);
                let base = libm::ldexp(1.0, (e as i64 + HIST_MIN_EXP) as i32);
                return Some(base * (1.0 + (m + 1) as f64 / HIST_SUB as f64));
            }
        }
        None
    }
}

/// What happened to one operation in one cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Served (once).
    Served,
    /// Refused: a key it needs is on a node that is down, unreachable, or without a quorum.
    Unavailable,
    /// Refused: a node's queue was longer than the timeout.
    Overloaded,
}

/// Counts for one phase of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    /// Phase name.
    pub name: String,
    /// Operations that arrived.
    pub ops: u64,
    /// Served.
    pub served: u64,
    /// Refused (unavailable or overloaded).
    pub refused: u64,
    /// Reads served.
    pub reads: u64,
    /// Stale reads served.
    pub stale: u64,
    /// Cache lookups (cached cluster).
    pub lookups: u64,
    /// Cache hits.
    pub hits: u64,
}

#[derive(Clone, Copy, Debug)]
struct WriteRec {
    ack: f64,
    inv: f64,
    apply: [f64; MAX_NODES],
}

impl WriteRec {
    fn done_by(&self) -> f64 {
        self.apply
            .iter()
            .fold(mx(self.inv, self.ack), |a, &b| mx(a, b))
    }
}

/// A sharded cache with CLOCK (second-chance) eviction.
#[derive(Clone, Debug)]
struct Cache {
    per_shard: usize,
    /// Per slot: key (u32::MAX = empty), when filled, reference bit.
    slots: Vec<(u32, f64, bool)>,
    hands: Vec<usize>,
    /// Per key: its slot, or u32::MAX.
    slot_of: Vec<u32>,
}

impl Cache {
    fn new(nodes: usize, keys: usize, per_shard: usize) -> Cache {
        Cache {
            per_shard,
            slots: vec![(u32::MAX, 0.0, false); nodes * per_shard],
            hands: vec![0; nodes],
            slot_of: vec![u32::MAX; keys],
        }
    }
    fn get(&self, key: u32) -> Option<f64> {
        let s = self.slot_of[key as usize];
        (s != u32::MAX).then(|| self.slots[s as usize].1)
    }
    fn touch(&mut self, key: u32) {
        let s = self.slot_of[key as usize];
        if s != u32::MAX {
            self.slots[s as usize].2 = true;
        }
    }
    fn remove(&mut self, key: u32) {
        let s = self.slot_of[key as usize];
        if s != u32::MAX {
            self.slots[s as usize] = (u32::MAX, 0.0, false);
            self.slot_of[key as usize] = u32::MAX;
        }
    }
    fn insert(&mut self, shard: usize, key: u32, filled: f64) {
        if self.per_shard == 0 {
            return;
        }
        let s = self.slot_of[key as usize];
        if s != u32::MAX {
            self.slots[s as usize] = (key, filled, true);
            return;
        }
        let base = shard * self.per_shard;
        loop {
            let h = self.hands[shard];
            self.hands[shard] = (h + 1) % self.per_shard;
            let slot = &mut self.slots[base + h];
            if slot.0 != u32::MAX && slot.2 {
                slot.2 = false;
                continue;
            }
            if slot.0 != u32::MAX {
                self.slot_of[slot.0 as usize] = u32::MAX;
            }
            *slot = (key, filled, false);
            self.slot_of[key as usize] = (base + h) as u32;
            return;
        }
    }
    fn clear_shard(&mut self, shard: usize) {
        let base = shard * self.per_shard;
        for i in base..base + self.per_shard {
            let k = self.slots[i].0;
            if k != u32::MAX {
                self.slot_of[k as usize] = u32::MAX;
            }
            self.slots[i] = (u32::MAX, 0.0, false);
        }
    }
    fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.0 != u32::MAX).count()
    }
}

/// What one key of an operation does in one cluster.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Read from a store replica.
    Read { node: usize },
    /// Cache hit; `fill` is when the cached copy was filled.
    Hit { cnode: usize, fill: f64 },
    /// Cache miss (or cache bypassed when `cnode` is `None`), read from the store.
    Miss { cnode: Option<usize>, node: usize },
    /// Write by `node`; `sync` replicas apply before the ack, `lazy` ones later.
    Write {
        node: usize,
        sync: u16,
        lazy: u16,
        divergent: bool,
    },
}

impl Step {
    fn main(&self) -> usize {
        match *self {
            Step::Read { node } | Step::Miss { node, .. } | Step::Write { node, .. } => node,
            Step::Hit { cnode, .. } => cnode,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One cluster
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Cluster {
    strategy: usize,
    rf: usize,
    busy: Vec<f64>,
    work: Vec<f64>,
    /// Work charged to each node by operations arriving before [`FAIL_AT`].
    work_steady: Vec<f64>,
    writes: Vec<Vec<WriteRec>>,
    track: bool,
    cache: Option<Cache>,
    /// Per key: the node holding its cache shard (a hash of the key with its own salt).
    cache_of: Vec<u8>,
    cache_cleared: bool,
    sides: Vec<u8>,
    // counters
    ops: u64,
    served: u64,
    unavailable: u64,
    overloaded: u64,
    reads: u64,
    stale: u64,
    lookups: u64,
    hits: u64,
    multi_served: u64,
    cross_node: u64,
    divergent: u64,
    lat: LogHist,
    lat_single_sum: f64,
    lat_single_n: u64,
    lat_cross_sum: f64,
    lat_cross_n: u64,
    lag: LogHist,
    phases: Vec<PhaseStats>,
    bins: Vec<[u32; 3]>,
    cache_bins: Vec<[u32; 2]>,
    /// On the failing node's cache shard: hits and lookups before the failure, and in the
    /// [`COLD_BINS`] bins after its return.
    fnode: [u64; 4],
    last: Outcome,
}

impl Cluster {
    fn new(strategy: usize, p: &Params, w: &World, salt: u64) -> Cluster {
        let keys = p.keys as usize;
        let rf = if strategy == 1 { w.rf } else { 1 };
        let cache = (strategy == 2 && p.cache_pct > 0.0).then(|| {
            let total = libm::round(p.cache_pct / 100.0 * f64::from(p.keys));
            let per = (total / w.n as f64).ceil().max(1.0) as usize;
            Cache::new(w.n, keys, per)
        });
        let track = rf > 1 || cache.is_some();
        Cluster {
            strategy,
            rf,
            busy: vec![0.0; w.n],
            work: vec![0.0; w.n],
            work_steady: vec![0.0; w.n],
            writes: if track {
                vec![Vec::new(); keys]
            } else {
                Vec::new()
            },
            track,
            cache,
            cache_of: if strategy == 2 && p.cache_pct > 0.0 {
                (0..u64::from(p.keys))
                    .map(|k| (fmix64(k ^ salt ^ 0xCAC4E) % w.n as u64) as u8)
                    .collect()
            } else {
                Vec::new()
            },
            cache_cleared: false,
            sides: if strategy == 1 && !w.strong && w.cut {
                vec![0; keys]
            } else {
                Vec::new()
            },
            ops: 0,
            served: 0,
            unavailable: 0,
            overloaded: 0,
            reads: 0,
            stale: 0,
            lookups: 0,
            hits: 0,
            multi_served: 0,
            cross_node: 0,
            divergent: 0,
            lat: LogHist::new(),
            lat_single_sum: 0.0,
            lat_single_n: 0,
            lat_cross_sum: 0.0,
            lat_cross_n: 0,
            lag: LogHist::new(),
            phases: PHASES
                .iter()
                .map(|(name, _, _)| PhaseStats {
                    name: (*name).into(),
                    ..PhaseStats::default()
                })
                .collect(),
            bins: vec![[0; 3]; (RUN_S / BIN_S).round() as usize],
            cache_bins: vec![[0; 2]; (RUN_S / BIN_S).round() as usize],
            fnode: [0; 4],
            last: Outcome::Served,
        }
    }

    fn cache_node(&self, key: u32) -> usize {
        usize::from(self.cache_of[key as usize])
    }

    /// Writes to `key` acknowledged by `t` that `node` has not applied by `t` (stale if any).
    fn missing(&self, key: u32, node: usize, t: f64) -> bool {
        self.writes[key as usize]
            .iter()
            .any(|w| w.ack <= t && w.apply[node] > t)
    }

    /// Drop records of writes that are visible everywhere (and invalidated) by `now`,
    /// applying their cache invalidations first.
    fn prune(&mut self, key: u32, now: f64) {
        let list = &mut self.writes[key as usize];
        if list.is_empty() {
            return;
        }
        if let Some(c) = self.cache.as_mut() {
            if let Some(fill) = c.get(key) {
                if list.iter().any(|w| fill < w.inv && w.inv <= now) {
                    c.remove(key);
                }
            }
        }
        list.retain(|w| w.done_by() > now);
    }

    fn count_fnode(&mut self, w: &World, cnode: usize, t: f64, hit: bool) {
        if w.fail != Some(cnode) {
            return;
        }
        let i = if t < FAIL_AT {
            0
        } else if (RECOVER_AT..RECOVER_AT + COLD_BINS as f64 * BIN_S).contains(&t) {
            2
        } else {
            return;
        };
        self.fnode[i] += u64::from(hit);
        self.fnode[i + 1] += 1;
    }

    /// Plan one key: where it is served, or why it is refused. `retries` becomes at least the
    /// number of replicas tried in vain (each costs the client a timeout).
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        w: &World,
        pl: &Placement,
        key: u32,
        write: bool,
        b: bool,
        t: f64,
        retries: &mut u32,
    ) -> Result<Step, Outcome> {
        let pref = &pl.pref[pl.key_shard[key as usize] as usize];
        let ok = |x: usize| w.alive(x, t) && w.reach(x, b, t);
        if self.rf <= 1 {
            let node = pref[0] as usize;
            if write {
                return if ok(node) {
                    Ok(Step::Write {
                        node,
                        sync: 0,
                        lazy: 0,
                        divergent: false,
                    })
                } else {
                    Err(Outcome::Unavailable)
                };
            }
            if let Some(c) = &self.cache {
                let cn = self.cache_node(key);
                if ok(cn) {
                    if let Some(fill) = c.get(key) {
                        let invalid = self.writes[key as usize]
                            .iter()
                            .any(|r| fill < r.inv && r.inv <= t);
                        if !invalid {
                            return Ok(Step::Hit { cnode: cn, fill });
                        }
                    }
                    return if ok(node) {
                        Ok(Step::Miss {
                            cnode: Some(cn),
                            node,
                        })
                    } else {
                        Err(Outcome::Unavailable)
                    };
                }
                return if ok(node) {
                    Ok(Step::Miss { cnode: None, node })
                } else {
                    Err(Outcome::Unavailable)
                };
            }
            return if ok(node) {
                Ok(Step::Read { node })
            } else {
                Err(Outcome::Unavailable)
            };
        }
        let mut rbuf = [0usize; 5];
        for (r, &x) in rbuf.iter_mut().zip(&pref[..self.rf]) {
            *r = x as usize;
        }
        let reps = &rbuf[..self.rf];
        if w.strong {
            let maj = self.rf / 2 + 1;
            let eligible = |x: usize| {
                !w.known_dead(x, t)
                    && (!w.part_known(t)
                        || reps
                            .iter()
                            .filter(|&&y| w.side_b[y] == w.side_b[x] && !w.known_dead(y, t))
                            .count()
                            >= maj)
            };
            let p = *reps
                .iter()
                .find(|&&x| eligible(x))
                .ok_or(Outcome::Unavailable)?;
            if !ok(p) {
                return Err(Outcome::Unavailable);
            }
            let quorum = reps
                .iter()
                .filter(|&&y| w.alive(y, t) && w.same_side(y, p, t))
                .count();
            if quorum < maj {
                return Err(Outcome::Unavailable);
            }
            if !write {
                return Ok(Step::Read { node: p });
            }
            let (mut sync, mut lazy) = (0u16, 0u16);
            for &y in reps.iter().filter(|&&y| y != p) {
                if w.alive(y, t) && w.same_side(y, p, t) {
                    sync |= 1 << y;
                } else {
                    lazy |= 1 << y;
                }
            }
            return Ok(Step::Write {
                node: p,
                sync,
                lazy,
                divergent: false,
            });
        }
        // eventual: any replica the client does not know to be gone; one it cannot actually
        // reach costs a timeout, then the client tries the next (primary first for writes,
        // least busy first for reads)
        let mut cands = [0usize; 5];
        let mut m = 0;
        for &x in reps {
            if !w.known_dead(x, t) && !w.known_cut(x, b, t) {
                cands[m] = x;
                m += 1;
            }
        }
        let cands = &mut cands[..m];
        if !write {
            crate::sort::sort_by(cands, |&a, &c| {
                self.busy[a].total_cmp(&self.busy[c]).then(a.cmp(&c))
            });
        }
        let tried = cands
            .iter()
            .position(|&x| ok(x))
            .ok_or(Outcome::Unavailable)?;
        *retries = (*retries).max(tried as u32);
        let node = cands[tried];
        if !write {
            return Ok(Step::Read { node });
        }
        let mut lazy = 0u16;
        for &y in reps.iter().filter(|&&y| y != node) {
            lazy |= 1 << y;
        }
        Ok(Step::Write {
            node,
            sync: 0,
            lazy,
            divergent: node != reps[0],
        })
    }

    /// Serve (or refuse) one operation.
    fn process(&mut self, w: &World, pl: &Placement, op: &Op) -> Outcome {
        let t = op.t;
        if let (Some(f), Some(c)) = (w.fail, self.cache.as_mut()) {
            if !self.cache_cleared && t >= FAIL_AT {
                c.clear_shard(f);
                self.cache_cleared = true;
            }
        }
        if self.track {
            for &key in &op.keys[..op.k as usize] {
                self.prune(key, t);
            }
        }
        let mut steps = [Step::Read { node: 0 }; MAX_MULTI];
        let mut outcome = Outcome::Served;
        let mut retries = 0u32;
        for (i, &key) in op.keys[..op.k as usize].iter().enumerate() {
            match self.plan(w, pl, key, op.write, op.side_b, t, &mut retries) {
                Ok(s) => steps[i] = s,
                Err(o) => {
                    outcome = o;
                    break;
                }
            }
        }
        let steps = &steps[..op.k as usize];
        // work per node: the operation's own (checked against the timeout) and lazy copies
        let mut units = [0.0f64; MAX_NODES];
        let mut lazy_units = [0.0f64; MAX_NODES];
        let mut mains = 0u16;
        if outcome == Outcome::Served {
            for s in steps {
                mains |= 1 << s.main();
                match *s {
                    Step::Read { node } => units[node] += 1.0,
                    Step::Hit { cnode, .. } => units[cnode] += CACHE_COST,
                    Step::Miss { cnode, node } => {
                        if let Some(c) = cnode {
                            units[c] += CACHE_COST;
                        }
                        units[node] += 1.0;
                    }
                    Step::Write {
                        node, sync, lazy, ..
                    } => {
                        units[node] += 1.0;
                        for (y, u) in units.iter_mut().enumerate() {
                            if sync & (1 << y) != 0 {
                                *u += 1.0;
                            }
                        }
                        if !w.strong {
                            for (y, u) in lazy_units.iter_mut().enumerate() {
                                if lazy & (1 << y) != 0 && w.alive(y, t) && w.same_side(y, node, t)
                                {
                                    *u += 1.0;
                                }
                            }
                        }
                    }
                }
            }
        }
        let cross = mains.count_ones() > 1;
        if cross && op.write && outcome == Outcome::Served {
            for (y, u) in units.iter_mut().enumerate() {
                if mains & (1 << y) != 0 {
                    *u += PREPARE_COST;
                }
            }
        }
        if outcome == Outcome::Served
            && (0..w.n).any(|y| units[y] > 0.0 && self.busy[y] - t > TIMEOUT_S)
        {
            outcome = Outcome::Overloaded;
        }
        let phase = PHASES
            .iter()
            .position(|&(_, a, b)| (a..b).contains(&t))
            .unwrap_or(PHASES.len() - 1);
        let bin = ((t / BIN_S) as usize).min(self.bins.len() - 1);
        self.ops += 1;
        self.phases[phase].ops += 1;
        self.last = outcome;
        match outcome {
            Outcome::Unavailable => {
                self.unavailable += 1;
                self.phases[phase].refused += 1;
                self.bins[bin][1] += 1;
                return outcome;
            }
            Outcome::Overloaded => {
                self.overloaded += 1;
                self.phases[phase].refused += 1;
                self.bins[bin][1] += 1;
                return outcome;
            }
            Outcome::Served => {}
        }
        // commit the work
        let mut done = [t; MAX_NODES];
        for y in 0..w.n {
            let u = units[y] + lazy_units[y];
            if u > 0.0 {
                let start = mx(self.busy[y], t);
                let d = u * w.per_unit;
                self.busy[y] = start + d;
                self.work[y] += d;
                if t < FAIL_AT {
                    self.work_steady[y] += d;
                }
                done[y] = start + units[y] * w.per_unit;
            }
        }
        let mut finish = t;
        let mut stale_here = 0u64;
        for (i, s) in steps.iter().enumerate() {
            let key = op.keys[i];
            match *s {
                Step::Read { node } => {
                    finish = mx(finish, done[node]);
                    if self.track && self.missing(key, node, t) {
                        stale_here += 1;
                    }
                }
                Step::Hit { cnode, fill } => {
                    finish = mx(finish, done[cnode]);
                    if let Some(c) = self.cache.as_mut() {
                        c.touch(key);
                    }
                    let node = pl.pref[pl.key_shard[key as usize] as usize][0] as usize;
                    if self.writes[key as usize]
                        .iter()
                        .any(|r| r.ack <= t && r.apply[node] > fill)
                    {
                        stale_here += 1;
                    }
                    self.lookups += 1;
                    self.hits += 1;
                    self.phases[phase].lookups += 1;
                    self.phases[phase].hits += 1;
                    self.cache_bins[bin][0] += 1;
                    self.cache_bins[bin][1] += 1;
                    self.count_fnode(w, cnode, t, true);
                }
                Step::Miss { cnode, node } => {
                    finish = mx(
                        finish,
                        done[node] + RTT_S * f64::from(u8::from(cnode.is_some())),
                    );
                    if let Some(cn) = cnode {
                        self.lookups += 1;
                        self.phases[phase].lookups += 1;
                        self.cache_bins[bin][1] += 1;
                        self.count_fnode(w, cn, t, false);
                        if let Some(c) = self.cache.as_mut() {
                            c.insert(cn, key, t);
                        }
                    }
                }
                Step::Write {
                    node,
                    sync,
                    lazy,
                    divergent,
                } => {
                    let mut ack = done[node];
                    for (y, &d) in done.iter().enumerate().take(w.n) {
                        if sync & (1 << y) != 0 {
                            ack = mx(ack, d);
                        }
                    }
                    finish = mx(finish, ack);
                    if divergent {
                        self.divergent += 1;
                    }
                    if !self.sides.is_empty() && w.part(t) {
                        self.sides[key as usize] |= 1 << u8::from(w.side_b[node]);
                    }
                    if self.track {
                        let mut apply = [0.0f64; MAX_NODES];
                        for (y, a) in apply.iter_mut().enumerate().take(w.n) {
                            let bit = 1u16 << y;
                            *a = if y == node {
                                done[node]
                            } else if sync & bit != 0 {
                                done[y]
                            } else if lazy & bit != 0 {
                                if w.strong {
                                    w.catch_up(y, node, t)
                                } else if w.alive(y, t) && w.same_side(y, node, t) {
                                    let a = mx(ack + w.delay, self.busy[y]);
                                    self.lag.add(a - ack);
                                    a
                                } else {
                                    w.catch_up(y, node, t) + w.delay
                                }
                            } else {
                                0.0
                            };
                        }
                        let inv = if w.strong { ack } else { ack + w.delay };
                        self.writes[key as usize].push(WriteRec { ack, inv, apply });
                    }
                }
            }
        }
        let mut lat = finish - t + RTT_S + f64::from(retries) * TIMEOUT_S;
        if cross {
            lat += if op.write { 2.0 * RTT_S } else { RTT_S };
        }
        self.served += 1;
        self.phases[phase].served += 1;
        self.bins[bin][0] += 1;
        self.lat.add(lat);
        if op.k > 1 {
            self.multi_served += 1;
            if cross {
                self.cross_node += 1;
                self.lat_cross_sum += lat;
                self.lat_cross_n += 1;
            }
        } else {
            self.lat_single_sum += lat;
            self.lat_single_n += 1;
        }
        if !op.write {
            self.reads += 1;
            self.phases[phase].reads += 1;
            if stale_here > 0 {
                self.stale += 1;
                self.phases[phase].stale += 1;
                self.bins[bin][2] += 1;
            }
        }
        outcome
    }
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

/// Plain data for drawing one cluster at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSnapshot {
    /// Queue length of each node, in ms of work.
    pub backlog_ms: Vec<f64>,
    /// Per node: the shards whose primary (serving copy) it is now.
    pub serving: Vec<Vec<u32>>,
    /// Operations served so far.
    pub served: u64,
    /// Operations refused so far.
    pub refused: u64,
    /// Stale reads so far.
    pub stale: u64,
    /// Cache hit ratio so far (`None` without a cache).
    pub hit_ratio: Option<f64>,
    /// Keys in the cache now.
    pub cached: u32,
    /// What happened to the last operation.
    pub last: Outcome,
}

/// Plain data for drawing the three clusters at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Simulated time, in seconds.
    pub t: f64,
    /// Operations so far.
    pub ops: u64,
    /// Nodes.
    pub nodes: u32,
    /// The node down now (0-based), if any.
    pub down: Option<u32>,
    /// The partition is in force now.
    pub partitioned: bool,
    /// Nodes on the cut-off side (0-based), when there is a partition in the run.
    pub cut: Vec<u32>,
    /// The last operation, if any.
    pub last_op: Option<Op>,
    /// The three clusters, in [`STRATEGIES`] order.
    pub clusters: Vec<ClusterSnapshot>,
}

/// The step-able simulation: one operation per step, applied to all three clusters.
#[derive(Clone, Debug)]
pub struct StateSim {
    world: World,
    placement: Placement,
    probs: Vec<f64>,
    workload: Workload,
    clusters: Vec<Cluster>,
    now: f64,
    ops: u64,
    multi: u64,
    cross_shard: u64,
    last_op: Option<Op>,
    params: Params,
}

impl StateSim {
    /// A fresh simulation of `p` with `seed`.
    pub fn new(p: &Params, seed: u64) -> StateSim {
        let (p, _) = crate::params::validate(p.clone());
        let salt = Rng::derive(seed, "placement").next_u64();
        let probs = zipf_probs(p.keys, p.skew);
        let placement = Placement::new(&p, salt, &probs);
        let n = p.nodes as usize;
        let mut side_b = [false; MAX_NODES];
        for (i, s) in side_b.iter_mut().enumerate().take(n) {
            *s = i >= n - p.partition as usize;
        }
        let world = World {
            n,
            rf: p.replicas as usize,
            fail: (p.fail_node > 0).then(|| p.fail_node as usize - 1),
            side_b,
            cut: p.partition > 0,
            detect: p.detect_ms / 1000.0,
            delay: p.repl_delay_ms / 1000.0,
            per_unit: 1.0 / p.capacity,
            strong: p.strong(),
        };
        let clusters = (0..3).map(|s| Cluster::new(s, &p, &world, salt)).collect();
        StateSim {
            workload: Workload::new(&p, &probs, seed),
            world,
            placement,
            probs,
            clusters,
            now: 0.0,
            ops: 0,
            multi: 0,
            cross_shard: 0,
            last_op: None,
            params: p,
        }
    }

    /// The placement in use.
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// What happened to the last operation in each cluster (partitioned, replicated, cached).
    pub fn last_outcomes(&self) -> [Outcome; 3] {
        [
            self.clusters[0].last,
            self.clusters[1].last,
            self.clusters[2].last,
        ]
    }

    /// Served and refused so far in each cluster.
    pub fn counts(&self) -> [(u64, u64); 3] {
        let c = |i: usize| {
            let k = &self.clusters[i];
            (k.served, k.unavailable + k.overloaded)
        };
        [c(0), c(1), c(2)]
    }

    /// Stale reads so far in each cluster.
    pub fn stale(&self) -> [u64; 3] {
        [
            self.clusters[0].stale,
            self.clusters[1].stale,
            self.clusters[2].stale,
        ]
    }

    /// Which node serves each shard of the replicated cluster at `t` for a client on the main
    /// side (the primary after any failover), as the replicated cluster routes.
    fn serving(&self, c: &Cluster, t: f64) -> Vec<Vec<u32>> {
        let w = &self.world;
        let mut out = vec![Vec::new(); w.n];
        for (s, pref) in self.placement.pref.iter().enumerate() {
            let reps = &pref[..c.rf.max(1)];
            let node = reps
                .iter()
                .map(|&x| x as usize)
                .find(|&x| !w.known_dead(x, t))
                .unwrap_or(reps[0] as usize);
            out[node].push(s as u32);
        }
        out
    }

    /// A small picture of the current state.
    pub fn snapshot(&self) -> Snapshot {
        let t = self.now;
        let w = &self.world;
        Snapshot {
            t,
            ops: self.ops,
            nodes: w.n as u32,
            down: w.fail.filter(|&f| !w.alive(f, t)).map(|f| f as u32),
            partitioned: w.part(t),
            cut: (0..w.n)
                .filter(|&i| w.side_b[i])
                .map(|i| i as u32)
                .collect(),
            last_op: self.last_op,
            clusters: self
                .clusters
                .iter()
                .map(|c| ClusterSnapshot {
                    backlog_ms: c
                        .busy
                        .iter()
                        .map(|&b| ((b - t) * 1000.0).max(0.0))
                        .collect(),
                    serving: self.serving(c, t),
                    served: c.served,
                    refused: c.unavailable + c.overloaded,
                    stale: c.stale,
                    hit_ratio: c.cache.as_ref().map(|_| {
                        if c.lookups > 0 {
                            c.hits as f64 / c.lookups as f64
                        } else {
                            0.0
                        }
                    }),
                    cached: c.cache.as_ref().map_or(0, |k| k.len() as u32),
                    last: c.last,
                })
                .collect(),
        }
    }

    /// Run to the end.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// The report of the run so far (call after [`StateSim::run_to_end`]).
    pub fn report(&self) -> Report {
        let p = &self.params;
        let w = &self.world;
        let pl = &self.placement;
        let n = w.n;
        let k = f64::from(p.multi_keys);
        let s = f64::from(pl.shards);
        let theory_uniform = 1.0 - libm::pow(1.0 / s, k - 1.0);
        let same: f64 = pl.shard_share.iter().map(|&x| libm::pow(x, k)).sum();
        let strategies = self
            .clusters
            .iter()
            .map(|c| self.cluster_report(c))
            .collect::<Vec<_>>();
        let per_node = pl.primaries_per_node();
        let share = pl.node_share();
        let mut notes = Vec::new();
        let (pa, re, ca) = (&strategies[0], &strategies[1], &strategies[2]);
        if let Some(f) = w.fail {
            let replicated = if re.keys_unavailable == 0 {
                format!("none: it failed over {} ms after the failure", p.detect_ms)
            } else {
                format!("lost {} keys", re.keys_unavailable)
            };
            let cache = match (ca.warm_node_hit_ratio, ca.cold_hit_ratio) {
                (Some(wr), Some(cr)) => format!(
                    " The cache kept answering the keys it held on other nodes; node {}'s cache shard came back empty, its hit ratio {} in the first {} s against {} before.",
                    f + 1,
                    pct_text(cr),
                    COLD_BINS as f64 * BIN_S,
                    pct_text(wr)
                ),
                _ => String::new(),
            };
            notes.push(format!(
                "Node {} down from {} s to {} s: the partitioned cluster lost {} of its keys ({} of the traffic); the replicated one {}.{}",
                f + 1,
                FAIL_AT,
                RECOVER_AT,
                pa.keys_unavailable,
                pct_text(pa.unavailable_traffic),
                replicated,
                cache
            ));
        }
        if p.partition > 0 {
            let ph = 3;
            notes.push(if w.strong {
                format!(
                    "Partition (CP): the replicated cluster refused {} operations while the network was cut (every one from the cut-off side, which cannot reach a majority) and served no stale read.",
                    re.phases[ph].refused
                )
            } else {
                format!(
                    "Partition (AP): the replicated cluster served {} of operations but {} stale reads, and {} keys took writes on both sides (reconciled by last writer wins).",
                    pct_text(frac(re.phases[ph].served, re.phases[ph].ops)),
                    re.phases[ph].stale,
                    re.conflicts
                )
            });
        }
        if p.replicas as usize > 1 && w.strong && p.replicas == 2 {
            notes.push("Two copies under strong consistency: a majority of 2 is 2, so losing either copy stops the shard — no failover.".into());
        }
        Report {
            nodes: p.nodes,
            shards: pl.shards,
            scheme: p.scheme.clone(),
            consistency: p.consistency.clone(),
            ops: self.ops,
            multi_ops: self.multi,
            cross_shard_ops: self.cross_shard,
            cross_shard_fraction: frac(self.cross_shard, self.multi),
            cross_shard_theory_uniform: theory_uniform,
            cross_shard_theory: 1.0 - same,
            hot_key_share: self.probs.first().copied().unwrap_or(0.0),
            shards_per_node: per_node,
            expected_share: share,
            shard_primary: pl.pref.iter().map(|x| u32::from(x[0])).collect(),
            fail_node: p.fail_node,
            cut: (0..n)
                .filter(|&i| w.side_b[i])
                .map(|i| i as u32 + 1)
                .collect(),
            bin_s: BIN_S,
            strategies,
            notes,
        }
    }

    fn cluster_report(&self, c: &Cluster) -> StrategyReport {
        let w = &self.world;
        let pl = &self.placement;
        // keys with no serving copy at the end of the failure (no partition then): with one
        // copy, the dead node's; under CP, shards without a live majority, and shards whose
        // primary died if the failure is never detected; under AP, clients try every copy
        let t_end = RECOVER_AT - 1e-9;
        let detected = FAIL_AT + w.detect < RECOVER_AT;
        let (mut keys_unavailable, mut traffic) = (0u64, 0.0);
        if let Some(f) = w.fail {
            for (key, &s) in pl.key_shard.iter().enumerate() {
                let reps = &pl.pref[s as usize][..c.rf];
                let down = if c.rf == 1 {
                    reps[0] as usize == f
                } else if w.strong {
                    let live = reps.iter().filter(|&&y| w.alive(y as usize, t_end)).count();
                    live < c.rf / 2 + 1 || (!detected && reps[0] as usize == f)
                } else {
                    reps.iter().all(|&y| y as usize == f)
                };
                if down {
                    keys_unavailable += 1;
                    traffic += self.probs[key];
                }
            }
        }
        let per_s = 1.0 / BIN_S;
        let has = c.cache.is_some() && w.fail.is_some();
        let cold = has.then(|| frac(c.fnode[2], c.fnode[3]));
        let warm = has.then(|| frac(c.fnode[0], c.fnode[1]));
        StrategyReport {
            key: STRATEGIES[c.strategy].0.into(),
            name: STRATEGIES[c.strategy].1.into(),
            replicas: c.rf as u32,
            ops: c.ops,
            served: c.served,
            refused_unavailable: c.unavailable,
            refused_overload: c.overloaded,
            availability: frac(c.served, c.ops),
            throughput: c.served as f64 / RUN_S,
            reads: c.reads,
            stale_reads: c.stale,
            stale_fraction: frac(c.stale, c.reads),
            mean_latency_ms: c.lat.mean().map(|x| x * 1000.0),
            p99_latency_ms: c.lat.quantile(0.99).map(|x| x * 1000.0),
            node_util: c.work.iter().map(|&x| x / RUN_S).collect(),
            node_util_steady: c.work_steady.iter().map(|&x| x / FAIL_AT).collect(),
            max_over_mean: {
                let m = c.work_steady.iter().sum::<f64>() / c.work_steady.len() as f64;
                let mx = c.work_steady.iter().fold(0.0f64, |a, &b| a.max(b));
                if m > 0.0 {
                    mx / m
                } else {
                    1.0
                }
            },
            multi_served: c.multi_served,
            cross_node: c.cross_node,
            cross_node_fraction: frac(c.cross_node, c.multi_served),
            cross_extra_ms: (c.lat_cross_n > 0 && c.lat_single_n > 0).then(|| {
                (c.lat_cross_sum / c.lat_cross_n as f64 - c.lat_single_sum / c.lat_single_n as f64)
                    * 1000.0
            }),
            lag_mean_ms: c.lag.mean().map(|x| x * 1000.0),
            lag_p99_ms: c.lag.quantile(0.99).map(|x| x * 1000.0),
            cache_hit_ratio: c.cache.as_ref().map(|_| frac(c.hits, c.lookups)),
            steady_hit_ratio: c
                .cache
                .as_ref()
                .map(|_| frac(c.phases[0].hits, c.phases[0].lookups)),
            warm_node_hit_ratio: warm,
            cold_hit_ratio: cold,
            conflicts: c.sides.iter().filter(|&&m| m == 3).count() as u64,
            divergent_writes: c.divergent,
            keys_unavailable,
            unavailable_traffic: traffic,
            phases: c.phases.clone(),
            hit_ratio_series: if c.cache.is_some() {
                c.cache_bins
                    .iter()
                    .map(|b| frac(u64::from(b[0]), u64::from(b[1])))
                    .collect()
            } else {
                Vec::new()
            },
            served_per_s: c.bins.iter().map(|b| f64::from(b[0]) * per_s).collect(),
            refused_per_s: c.bins.iter().map(|b| f64::from(b[1]) * per_s).collect(),
            stale_per_s: c.bins.iter().map(|b| f64::from(b[2]) * per_s).collect(),
        }
    }
}

/// `max` for non-NaN floats, without the NaN-aware library call `f64::max` can become.
#[inline]
fn mx(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

fn frac(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn pct_text(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

impl Simulation for StateSim {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let Some(op) = self.workload.pop() else {
            return false;
        };
        self.now = op.t;
        self.ops += 1;
        if op.k > 1 {
            self.multi += 1;
            let s0 = self.placement.key_shard[op.keys[0] as usize];
            if op.keys[1..op.k as usize]
                .iter()
                .any(|&k| self.placement.key_shard[k as usize] != s0)
            {
                self.cross_shard += 1;
            }
        }
        for c in self.clusters.iter_mut() {
            c.process(&self.world, &self.placement, &op);
        }
        self.last_op = Some(op);
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.workload.next.map(|o| o.t)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// What one cluster did over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyReport {
    /// `partitioned`, `replicated` or `cached`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Copies of each key in this cluster.
    pub replicas: u32,
    /// Operations offered.
    pub ops: u64,
    /// Served.
    pub served: u64,
    /// Refused because a key was unreachable (down, cut off, no quorum).
    pub refused_unavailable: u64,
    /// Refused because a queue was too long.
    pub refused_overload: u64,
    /// Served ÷ offered.
    pub availability: f64,
    /// Served operations per second over the run.
    pub throughput: f64,
    /// Reads served.
    pub reads: u64,
    /// Reads served stale.
    pub stale_reads: u64,
    /// Stale ÷ reads served.
    pub stale_fraction: f64,
    /// Mean latency of served operations, ms.
    pub mean_latency_ms: Option<f64>,
    /// 99th percentile latency of served operations, ms (log-binned: the upper edge of a bin at most 6.25 % wide).
    pub p99_latency_ms: Option<f64>,
    /// Share of time each node was busy, over the whole run.
    pub node_util: Vec<f64>,
    /// Share of time each node was busy before any fault (0 – [`FAIL_AT`]).
    pub node_util_steady: Vec<f64>,
    /// Busiest node's work ÷ mean node's work, before any fault.
    pub max_over_mean: f64,
    /// Multi-key operations served.
    pub multi_served: u64,
    /// Of those, how many touched more than one node.
    pub cross_node: u64,
    /// `cross_node ÷ multi_served`.
    pub cross_node_fraction: f64,
    /// Mean latency of cross-node multi-key operations minus that of single-key ones, ms.
    pub cross_extra_ms: Option<f64>,
    /// Mean replica lag (apply − ack) of asynchronous copies, ms (eventual only).
    pub lag_mean_ms: Option<f64>,
    /// 99th percentile replica lag, ms.
    pub lag_p99_ms: Option<f64>,
    /// Cache hits ÷ lookups over the run (cached cluster with a cache).
    pub cache_hit_ratio: Option<f64>,
    /// Hit ratio before the failure.
    pub steady_hit_ratio: Option<f64>,
    /// Hit ratio of the failing node's cache shard before the failure.
    pub warm_node_hit_ratio: Option<f64>,
    /// Hit ratio of that shard in the 0.2 s after the node returns with it empty.
    pub cold_hit_ratio: Option<f64>,
    /// Keys written on both sides of the partition (eventual only): conflicts.
    pub conflicts: u64,
    /// Writes accepted by a replica that is not the primary (eventual only).
    pub divergent_writes: u64,
    /// Keys with no serving copy at the end of the failure window.
    pub keys_unavailable: u64,
    /// Share of the traffic those keys draw.
    pub unavailable_traffic: f64,
    /// Counts per phase ([`PHASES`]).
    pub phases: Vec<PhaseStats>,
    /// Cache hit ratio in each [`BIN_S`] bin (empty without a cache).
    pub hit_ratio_series: Vec<f64>,
    /// Served operations per second in each [`BIN_S`] bin.
    pub served_per_s: Vec<f64>,
    /// Refused operations per second in each bin.
    pub refused_per_s: Vec<f64>,
    /// Stale reads per second in each bin.
    pub stale_per_s: Vec<f64>,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Nodes.
    pub nodes: u32,
    /// Shards in use.
    pub shards: u32,
    /// Placement scheme.
    pub scheme: String,
    /// `strong` or `eventual`.
    pub consistency: String,
    /// Operations offered.
    pub ops: u64,
    /// Multi-key operations offered.
    pub multi_ops: u64,
    /// Of those, how many had keys on more than one shard.
    pub cross_shard_ops: u64,
    /// `cross_shard_ops ÷ multi_ops`.
    pub cross_shard_fraction: f64,
    /// `1 − (1/S)^{k−1}`: the fraction for uniformly placed keys over `S` shards.
    pub cross_shard_theory_uniform: f64,
    /// `1 − Σ_s p_s^k` with this workload's shard shares `p_s`.
    pub cross_shard_theory: f64,
    /// Share of all key draws that go to the hottest key.
    pub hot_key_share: f64,
    /// Shards whose primary is on each node.
    pub shards_per_node: Vec<u32>,
    /// Expected share of key traffic to each node's primaries.
    pub expected_share: Vec<f64>,
    /// Primary node (0-based) of each shard.
    pub shard_primary: Vec<u32>,
    /// The failing node (1-based; 0 = none).
    pub fail_node: u32,
    /// Nodes cut off by the partition (1-based).
    pub cut: Vec<u32>,
    /// Width of the time-series bins, s.
    pub bin_s: f64,
    /// Partitioned, replicated, cached.
    pub strategies: Vec<StrategyReport>,
    /// Plain-language notes on the run.
    pub notes: Vec<String>,
}

impl Model for StateStrategies {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let mut sim = StateSim::new(params, seed);
        sim.run_to_end();
        sim.report()
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let g = |i: usize| r.strategies.get(i);
        vec![
            (
                "partitioned_availability",
                g(0).map_or(0.0, |s| s.availability),
            ),
            (
                "replicated_availability",
                g(1).map_or(0.0, |s| s.availability),
            ),
            ("cached_availability", g(2).map_or(0.0, |s| s.availability)),
            (
                "replicated_stale_fraction",
                g(1).map_or(0.0, |s| s.stale_fraction),
            ),
            (
                "cached_hit_ratio",
                g(2).and_then(|s| s.cache_hit_ratio).unwrap_or(0.0),
            ),
            ("cross_shard_fraction", r.cross_shard_fraction),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quiet() -> Params {
        Params {
            fail_node: 0,
            partition: 0,
            ..Params::default()
        }
    }

    #[test]
    fn default_run_counts_add_up_and_reads_back() {
        let r = StateStrategies::run(&Params::default(), 1);
        assert_eq!(r.strategies.len(), 3);
        for s in &r.strategies {
            assert_eq!(s.ops, r.ops);
            assert_eq!(s.served + s.refused_unavailable + s.refused_overload, s.ops);
            let ph: u64 = s.phases.iter().map(|p| p.ops).sum();
            assert_eq!(ph, s.ops);
            assert_eq!(s.served_per_s.len(), 60);
        }
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert!(json.len() < 20_000, "{}", json.len());
        let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.strategies[1].phases, r.strategies[1].phases);
        assert_eq!(back.notes, r.notes);
        assert_eq!(r, StateStrategies::run(&Params::default(), 1));
    }

    #[test]
    fn cross_shard_fraction_matches_theory() {
        // uniform keys, many of them: 1 − (1/S)^{k−1}
        for (shards, k) in [(4u32, 2u32), (16, 2), (2, 3), (8, 3)] {
            let p = Params {
                skew: 0.0,
                keys: 100_000,
                shards,
                multi_keys: k,
                multi_pct: 100.0,
                rate: 5000.0,
                ..quiet()
            };
            let r = StateStrategies::run(&p, 3);
            let th = 1.0 - libm::pow(1.0 / f64::from(shards), f64::from(k) - 1.0);
            assert!((r.cross_shard_theory_uniform - th).abs() < 1e-12);
            let n = r.multi_ops as f64;
            let sd = (th * (1.0 - th) / n).sqrt();
            assert!(
                (r.cross_shard_fraction - th).abs() < 5.0 * sd + 0.003,
                "S {shards} k {k}: {} vs {th}",
                r.cross_shard_fraction
            );
            assert!((r.cross_shard_theory - th).abs() < 0.01);
        }
        // under skew fewer cross: hot keys share shards; the exact formula still holds
        let p = Params {
            skew: 1.5,
            shards: 8,
            multi_pct: 100.0,
            multi_keys: 2,
            ..quiet()
        };
        let r = StateStrategies::run(&p, 5);
        let n = r.multi_ops as f64;
        let th = r.cross_shard_theory;
        assert!(th < r.cross_shard_theory_uniform);
        assert!((r.cross_shard_fraction - th).abs() < 5.0 * (th * (1.0 - th) / n).sqrt());
    }

    #[test]
    fn single_node_never_crosses_and_caps_throughput() {
        let p = Params {
            scheme: "single".into(),
            ..quiet()
        };
        let r = StateStrategies::run(&p, 1);
        assert_eq!(r.shards, 1);
        assert_eq!(r.cross_shard_ops, 0);
        let pa = &r.strategies[0];
        assert!(pa.throughput < 1.05 * p.capacity, "{}", pa.throughput);
        assert!(pa.refused_overload > 0);
        assert_eq!(pa.node_util[1], 0.0);
        // replicas absorb reads only under eventual; the cache absorbs them anyway
        assert!(r.strategies[2].throughput > 1.5 * pa.throughput);
    }

    #[test]
    fn functional_uses_at_most_three_nodes() {
        let p = Params {
            scheme: "functional".into(),
            nodes: 6,
            ..quiet()
        };
        let r = StateStrategies::run(&p, 1);
        assert_eq!(r.shards, 3);
        let used = r.strategies[0]
            .node_util
            .iter()
            .filter(|&&u| u > 0.0)
            .count();
        assert_eq!(used, 3);
    }

    #[test]
    fn failure_loses_keys_when_partitioned_and_fails_over_when_replicated() {
        let p = Params {
            partition: 0,
            rate: 1500.0,
            ..Params::default()
        };
        let r = StateStrategies::run(&p, 2);
        let (pa, re, ca) = (&r.strategies[0], &r.strategies[1], &r.strategies[2]);
        // 16 shards on 4 nodes: node 2 holds 4 shards
        assert!(pa.keys_unavailable > 100, "{}", pa.keys_unavailable);
        assert_eq!(re.keys_unavailable, 0);
        let down = 1;
        assert!(pa.phases[down].refused > pa.phases[0].refused + 50);
        // after detection the replicated cluster fails over; with hash mod N the failed node's
        // shards all land on its neighbour, which overloads; virtual shards spread them
        let after = |r: &Report| -> f64 {
            r.strategies[1].refused_per_s
                [((FAIL_AT + 0.4) / BIN_S) as usize..(RECOVER_AT / BIN_S) as usize]
                .iter()
                .sum()
        };
        assert!(after(&r) > 0.0 && re.refused_overload > 0);
        let v = StateStrategies::run(
            &Params {
                scheme: "virtual".into(),
                ..p.clone()
            },
            2,
        );
        assert_eq!(after(&v), 0.0, "{:?}", v.strategies[1].refused_per_s);
        assert_eq!(v.strategies[1].refused_overload, 0);
        // the failed node's cache shard comes back cold
        let cold = ca.cold_hit_ratio.unwrap_or(1.0);
        let warm = ca.warm_node_hit_ratio.unwrap_or(0.0);
        assert!(cold < 0.9 * warm, "{cold} vs {warm}");
        assert_eq!(re.stale_reads, 0);
    }

    #[test]
    fn cp_refuses_on_the_minority_side_and_ap_serves_stale() {
        let base = Params {
            fail_node: 0,
            partition: 1,
            rate: 1500.0,
            ..Params::default()
        };
        let cp = StateStrategies::run(&base, 4);
        let ap = StateStrategies::run(
            &Params {
                consistency: "eventual".into(),
                ..base.clone()
            },
            4,
        );
        let part = 3;
        let (c, a) = (&cp.strategies[1], &ap.strategies[1]);
        // a quarter of the clients are cut off with one node: CP refuses them all
        assert!(
            c.phases[part].refused as f64 > 0.2 * c.phases[part].ops as f64,
            "{:?}",
            c.phases[part]
        );
        assert_eq!(c.stale_reads, 0);
        assert!(a.phases[part].refused < c.phases[part].refused / 3);
        assert!(a.phases[part].stale > 0);
        assert!(a.conflicts > 0);
        // lag is the configured delay plus any queueing on the follower
        assert!(
            a.lag_mean_ms.is_some_and(|l| l > 49.9 && l < 60.0),
            "{:?}",
            a.lag_mean_ms
        );
        assert!(c.lag_mean_ms.is_none());
    }

    #[test]
    fn virtual_shards_balance_skew_better_than_modulo() {
        let m = StateStrategies::run(
            &Params {
                skew: 1.0,
                shards: 32,
                ..quiet()
            },
            6,
        );
        let v = StateStrategies::run(
            &Params {
                scheme: "virtual".into(),
                skew: 1.0,
                shards: 32,
                ..quiet()
            },
            6,
        );
        let spread = |r: &Report| {
            let e = &r.expected_share;
            e.iter().fold(0.0f64, |a, &b| a.max(b)) * e.len() as f64
        };
        assert!(
            spread(&v) <= spread(&m) + 1e-12,
            "{} {}",
            spread(&v),
            spread(&m)
        );
    }

    #[test]
    fn modulo_failover_lands_on_one_neighbour_virtual_spreads_it() {
        let mk = |scheme: &str| Params {
            scheme: scheme.into(),
            nodes: 6,
            shards: 48,
            replicas: 3,
            ..quiet()
        };
        let takers = |p: &Params| {
            let sim = StateSim::new(p, 1);
            let pl = sim.placement();
            let mut live = vec![true; 6];
            live[0] = false;
            let mut got = std::collections::BTreeSet::new();
            for s in 0..pl.shards {
                if pl.pref[s as usize][0] == 0 {
                    got.insert(pl.owner(s, &live));
                }
            }
            got.len()
        };
        assert_eq!(takers(&mk("modulo")), 1);
        assert!(takers(&mk("virtual")) >= 3);
    }

    #[test]
    fn garbage_is_clamped_with_notices() {
        let pairs = |s: &[(&str, &str)]| -> Vec<(String, String)> {
            s.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let (p, n) = crate::params::from_pairs::<Params>(
            &pairs(&[
                ("nodes", "3"),
                ("replicas", "5"),
                ("fail_node", "9"),
                ("partition", "7"),
                ("scheme", "nonsense"),
            ]),
            &[],
        );
        assert_eq!((p.replicas, p.fail_node, p.partition), (3, 3, 2));
        assert_eq!(p.scheme, "modulo");
        assert!(n.len() >= 4, "{n:?}");
        let r = StateStrategies::run(&p, 1);
        assert!(r.strategies.iter().all(|s| s.ops == r.ops));
    }

    #[test]
    fn extreme_params_stay_bounded() {
        let p = Params {
            rate: 20_000.0,
            keys: 100_000,
            nodes: 12,
            multi_pct: 100.0,
            multi_keys: 8,
            replicas: 5,
            cache_pct: 50.0,
            consistency: "eventual".into(),
            repl_delay_ms: 1000.0,
            partition: 11,
            fail_node: 12,
            detect_ms: 1500.0,
            ..Params::default()
        };
        let r = StateStrategies::run(&p, 1);
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert!(json.len() < 30_000, "{}", json.len());
        assert!(StateStrategies::headline(&r)
            .iter()
            .all(|(_, x)| x.is_finite()));
    }

    #[test]
    fn snapshot_and_stepping() {
        let mut sim = StateSim::new(&Params::default(), 3);
        assert_eq!(sim.snapshot().ops, 0);
        sim.advance_to(2.0);
        let s = sim.snapshot();
        assert!(s.t <= 2.0 && s.ops > 1000);
        assert_eq!(s.down, Some(1));
        assert_eq!(s.cut, vec![3]);
        assert_eq!(s.clusters.len(), 3);
        assert!(sim.next_event_time().is_some_and(|t| t > 2.0));
        sim.advance_to(4.0);
        assert!(sim.snapshot().partitioned && sim.snapshot().down.is_none());
        sim.run_to_end();
        assert!(!sim.step() && sim.next_event_time().is_none());
    }

    #[test]
    fn log_histogram_quantiles_are_within_a_bin() {
        let mut h = LogHist::new();
        for i in 1..=1000 {
            h.add(f64::from(i) * 1e-3);
        }
        for (q, want) in [(0.5, 0.5), (0.99, 0.99), (1.0, 1.0)] {
            let got = h.quantile(q).unwrap_or(0.0);
            assert!(got >= want && got <= want * 1.0625 + 1e-12, "{q}: {got}");
        }
        assert!((h.mean().unwrap_or(0.0) - 0.5005).abs() < 1e-12);
        assert_eq!(LogHist::index(0.0), 0);
        assert_eq!(LogHist::index(f64::NAN), 0);
        assert_eq!(
            LogHist::index(1e300),
            (HIST_OCTAVES as u64 * HIST_SUB) as usize
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn every_op_is_served_or_refused_once_and_cp_is_never_stale(
            scheme in prop::sample::select(vec!["single", "functional", "modulo", "virtual"]),
            shards in 1u32..=64,
            nodes in 2u32..=8,
            rate in 200.0f64..6000.0,
            read_pct in 0.0f64..=100.0,
            skew in 0.0f64..2.0,
            replicas in 1u32..=5,
            cache_pct in 0.0f64..50.0,
            multi_pct in 0.0f64..100.0,
            multi_keys in 2u32..=8,
            delay in 0.0f64..300.0,
            detect in 0.0f64..1500.0,
            fail_node in 0u32..=8,
            partition in 0u32..=7,
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                scheme: scheme.into(), shards, consistency: "strong".into(), nodes, rate,
                capacity: 1000.0, read_pct, skew, keys: 500, replicas, cache_pct, multi_pct,
                multi_keys, repl_delay_ms: delay, detect_ms: detect, fail_node, partition,
            };
            let (p, _) = crate::params::validate(p);
            let mut sim = StateSim::new(&p, seed);
            let mut before = sim.counts();
            let mut ops = 0u64;
            while sim.step() {
                ops += 1;
                let now = sim.counts();
                for i in 0..3 {
                    let d = (now[i].0 - before[i].0) + (now[i].1 - before[i].1);
                    prop_assert_eq!(d, 1);
                    let served = now[i].0 > before[i].0;
                    prop_assert_eq!(served, sim.last_outcomes()[i] == Outcome::Served);
                }
                before = now;
            }
            prop_assert_eq!(sim.stale(), [0, 0, 0]);
            let r = sim.report();
            prop_assert_eq!(r.ops, ops);
            // and the same params under eventual still count every op once
            let ap = StateStrategies::run(&Params { consistency: "eventual".into(), ..p.clone() }, seed);
            for s in &ap.strategies {
                prop_assert_eq!(s.served + s.refused_unavailable + s.refused_overload, s.ops);
            }
            prop_assert_eq!(ap.strategies[0].stale_reads, 0);
        }

        #[test]
        fn modulo_puts_each_key_on_one_shard_and_virtual_maps_to_one_live_node(
            nodes in 2u32..=12,
            shards in 1u32..=64,
            keys in 100u32..3000,
            skew in 0.0f64..2.0,
            dead in prop::collection::vec(any::<bool>(), 12),
            salt in any::<u64>(),
        ) {
            let probs = zipf_probs(keys, skew);
            let m = Placement::new(&Params { scheme: "modulo".into(), nodes, shards, ..Params::default() }, salt, &probs);
            prop_assert_eq!(m.key_shard.len(), keys as usize);
            for (k, &s) in m.key_shard.iter().enumerate() {
                prop_assert!(s < shards);
                prop_assert_eq!(u64::from(s), fmix64(k as u64 ^ salt) % u64::from(shards));
                prop_assert_eq!(u32::from(m.pref[s as usize][0]), s % nodes);
            }
            let v = Placement::new(&Params { scheme: "virtual".into(), nodes, shards, ..Params::default() }, salt, &probs);
            let mut live: Vec<bool> = (0..nodes as usize).map(|i| !dead[i]).collect();
            if !live.iter().any(|&x| x) { live[0] = true; }
            for s in 0..shards {
                let pref = &v.pref[s as usize];
                let mut sorted = pref.clone();
                sorted.sort_unstable();
                prop_assert_eq!(sorted, (0..nodes as u8).collect::<Vec<_>>());
                let o = v.owner(s, &live);
                prop_assert!(o.is_some_and(|x| live[x as usize]));
                prop_assert_eq!(pref.iter().filter(|&&x| u32::from(x) == o.unwrap_or(99)).count(), 1);
            }
            // LPT balance: no node above the mean share plus the largest shard share
            let share = v.node_share();
            let biggest = v.shard_share.iter().fold(0.0f64, |a, &b| a.max(b));
            let mean = 1.0 / f64::from(nodes);
            prop_assert!(share.iter().all(|&x| x <= mean + biggest + 1e-9));
        }

        #[test]
        fn uniform_keys_without_faults_balance_load(
            nodes in 2u32..=8,
            per in 1u32..=4,
            seed in 0u64..1_000_000,
        ) {
            // S = N·per shards: every node holds the same number of shards
            let p = Params {
                scheme: "modulo".into(), nodes, shards: nodes * per, skew: 0.0, keys: 20_000,
                rate: 400.0 * f64::from(nodes), multi_pct: 0.0, fail_node: 0, partition: 0,
                cache_pct: 0.0, ..Params::default()
            };
            let r = StateStrategies::run(&p, seed);
            let pa = &r.strategies[0];
            // sub-ops per node ~ requests R × key share; sd of each share ≈ sqrt(N/K + N/R)/N
            let n = f64::from(nodes);
            let tol = 5.0 * (n / 20_000.0 + n / pa.ops as f64).sqrt();
            let mean = pa.node_util.iter().sum::<f64>() / n;
            for &u in &pa.node_util {
                prop_assert!((u / mean - 1.0).abs() < tol, "{} vs {} tol {}", u, mean, tol);
            }
            prop_assert_eq!(pa.refused_overload, 0);
        }
    }
}
