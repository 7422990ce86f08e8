//! A sharding journey (book page 25, "Real-World Example: Reddit's Sharding Journey"): one
//! seeded workload run against five stages of a growing data layer, with what each stage buys
//! and what it costs, measured.
//!
//! The workload: `users` users and `subreddits` communities, each drawn by Zipf popularity
//! (rank `i` has weight `(i+1)^−s`). Each request is one of three operations:
//!
//! - a **join** (with probability `joins`): a user acting in a community, so it needs the user's
//!   row and the community's posts and comments together;
//! - otherwise, half the time a **user** operation (the user's row only), half the time a
//!   **community** operation (its posts and comments).
//!
//! The five stages place that data differently:
//!
//! 1. **single**: one database holds everything.
//! 2. **functional**: users, posts and comments each on their own database.
//! 3. **modulo**: users on `user_id mod N`, posts and comments on `hash(community) mod N`.
//! 4. **virtual**: users and communities hash into `V` virtual shards; the `V` shards are mapped
//!    onto the `N` databases balanced by expected load (largest first onto the least loaded).
//! 5. **eventual**: a consistent-hash ring (16 tokens per node), each partition replicated on
//!    `min(3, N)` nodes, data denormalised per query so a join reads one partition; reads go to
//!    one replica at random, writes reach the other replicas after an exponential delay.
//!
//! Per stage the report measures the busiest database's share of the load, the fraction of
//! requests that touch more than one database, the fraction of keys that move when `added`
//! nodes join (theory: `mod` moves ≈ N/(N+1) for one node, 16 → 17 ≈ 94 %; virtual shards and
//! the ring ≈ a/(N+a)), and for the eventual stage the chance that a read `read_after_ms` after
//! a write is stale, `(RF−1)/RF · e^(−t/lag)` in theory, with the window by which 99 % of writes
//! have reached every replica.

use crate::model::Model;
use crate::models::consistent_hashing::fmix64;
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use crate::stats::{quantile_sorted, Alias};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The sharding-journey model.
pub struct ShardingJourney;

/// The five stages, in order: `(key, year, title)`.
pub const STAGES: [(&str, u32, &str); 5] = [
    ("single", 2010, "One database"),
    ("functional", 2011, "Functional split"),
    ("modulo", 2012, "user_id mod N"),
    ("virtual", 2013, "Virtual shards"),
    ("eventual", 2015, "Eventual consistency"),
];

/// Tokens per node on the eventual stage's ring (Cassandra 4.0's default `num_tokens`).
pub const TOKENS: u32 = 16;

/// Replicas per partition on the eventual stage (at most the number of nodes).
pub const REPLICAS: u32 = 3;

/// Node counts of the keys-moved sweep.
pub const SWEEP_N: [u32; 11] = [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];

/// The knobs. Defaults: the book's `user_id % 16` stage, 1000 virtual shards, 20 000 users
/// and 500 communities with Zipf s = 1, 30 % joins, 30 000 requests, one node added, 20 ms mean
/// replication delay and a read 10 ms after the write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Stage shown: `single`, `functional`, `modulo`, `virtual` or `eventual`.
    pub stage: String,
    /// Users (1 000–200 000).
    pub users: u32,
    /// Communities (subreddits) (10–5 000).
    pub subreddits: u32,
    /// Zipf exponent of activity for users and communities (0–2).
    pub skew: f64,
    /// Databases N for the sharded stages (2–64).
    pub shards: u32,
    /// Virtual shards V (16–4 096).
    pub vshards: u32,
    /// Nodes added when the data layer grows (1–16).
    pub added: u32,
    /// Share of requests that need a user and a community together, in percent (0–100).
    pub joins: f64,
    /// Mean replication delay to each further replica, in ms (1–1 000).
    pub lag_ms: f64,
    /// How long after a write the read comes, in ms (0–1 000).
    pub read_after_ms: f64,
    /// Requests simulated (10 000–500 000).
    pub requests: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            stage: "modulo".into(),
            users: 10_000,
            subreddits: 500,
            skew: 1.0,
            shards: 16,
            vshards: 1000,
            added: 1,
            joins: 30.0,
            lag_ms: 20.0,
            read_after_ms: 10.0,
            requests: 20_000,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "stage",
        label: "Stage",
        unit: "",
        help: "Which step of the journey to look at; the table compares all five.",
        kind: KnobKind::Choice {
            options: &[
                ("single", "2010 · one database"),
                ("functional", "2011 · functional split"),
                ("modulo", "2012 · user_id mod N"),
                ("virtual", "2013 · virtual shards"),
                ("eventual", "2015 · eventual consistency"),
            ],
        },
    },
    Knob {
        key: "users",
        label: "Users",
        unit: "users",
        help: "How many users; their activity follows Zipf's law with the skew below.",
        kind: KnobKind::Int {
            min: 1000,
            max: 200_000,
            log: true,
        },
    },
    Knob {
        key: "subreddits",
        label: "Communities",
        unit: "",
        help: "How many communities (subreddits); posts and comments live with their community.",
        kind: KnobKind::Int {
            min: 10,
            max: 5000,
            log: true,
        },
    },
    Knob {
        key: "skew",
        label: "Zipf skew s",
        unit: "",
        help: "Activity of the rank-r user or community ∝ r^−s: 0 is even, 1 is classic Zipf (a /r/funny).",
        kind: KnobKind::Float {
            min: 0.0,
            max: 2.0,
            step: 0.05,
            log: false,
        },
    },
    Knob {
        key: "shards",
        label: "Databases N",
        unit: "nodes",
        help: "Physical databases in the sharded stages (the book: 16).",
        kind: KnobKind::Int {
            min: 2,
            max: 64,
            log: false,
        },
    },
    Knob {
        key: "vshards",
        label: "Virtual shards V",
        unit: "shards",
        help: "Virtual shards mapped onto the databases (the book: 1000).",
        kind: KnobKind::Int {
            min: 16,
            max: 4096,
            log: true,
        },
    },
    Knob {
        key: "added",
        label: "Nodes added",
        unit: "nodes",
        help: "Growth: how many databases join; the report counts the keys that must move.",
        kind: KnobKind::Int {
            min: 1,
            max: 16,
            log: false,
        },
    },
    Knob {
        key: "joins",
        label: "Joins",
        unit: "%",
        help: "Share of requests that need a user's row and a community's posts together.",
        kind: KnobKind::Float {
            min: 0.0,
            max: 100.0,
            step: 1.0,
            log: false,
        },
    },
    Knob {
        key: "lag_ms",
        label: "Replication delay",
        unit: "ms",
        help: "Eventual stage: mean delay before a write reaches each further replica (exponential).",
        kind: KnobKind::Float {
            min: 1.0,
            max: 1000.0,
            step: 1.0,
            log: true,
        },
    },
    Knob {
        key: "read_after_ms",
        label: "Read after write",
        unit: "ms",
        help: "Eventual stage: how long after a write someone reads it from one replica.",
        kind: KnobKind::Float {
            min: 0.0,
            max: 1000.0,
            step: 1.0,
            log: false,
        },
    },
    Knob {
        key: "requests",
        label: "Requests",
        unit: "req",
        help: "How many requests are simulated.",
        kind: KnobKind::Int {
            min: 10_000,
            max: 500_000,
            log: true,
        },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    fn check(&mut self, notices: &mut Vec<Notice>) {
        if !STAGES.iter().any(|s| s.0 == self.stage) {
            notices.push(Notice::new("stage", "unknown stage; using user_id mod N"));
            self.stage = "modulo".into();
        }
        for (x, d) in [
            (&mut self.skew, 1.0),
            (&mut self.joins, 30.0),
            (&mut self.lag_ms, 20.0),
            (&mut self.read_after_ms, 10.0),
        ] {
            if !x.is_finite() {
                *x = d;
            }
        }
        let need = self.shards + self.added;
        if self.vshards < need {
            notices.push(Notice::new(
                "vshards",
                format!(
                    "Virtual shards must be at least the databases after growth ({need}); using {need}"
                ),
            ));
            self.vshards = need;
        }
    }
}

/// Clamp a params value into range (for direct construction, e.g. property tests).
fn sanitized(p: &Params) -> Params {
    let mut q = p.clone();
    q.users = q.users.clamp(1000, 200_000);
    q.subreddits = q.subreddits.clamp(10, 5000);
    q.skew = if q.skew.is_finite() {
        q.skew.clamp(0.0, 2.0)
    } else {
        1.0
    };
    q.shards = q.shards.clamp(2, 64);
    q.vshards = q.vshards.clamp(16, 4096);
    q.added = q.added.clamp(1, 16);
    q.joins = if q.joins.is_finite() {
        q.joins.clamp(0.0, 100.0)
    } else {
        30.0
    };
    q.lag_ms = if q.lag_ms.is_finite() {
        q.lag_ms.clamp(1.0, 1000.0)
    } else {
        20.0
    };
    q.read_after_ms = if q.read_after_ms.is_finite() {
        q.read_after_ms.clamp(0.0, 1000.0)
    } else {
        10.0
    };
    q.requests = q.requests.clamp(10_000, 500_000);
    q.check(&mut Vec::new());
    q
}

/// Normalised Zipf weights `(i+1)^−s / H` for `n` items.
pub fn zipf(n: u32, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n.max(1))
        .map(|j| libm::pow(f64::from(j), -s))
        .collect();
    let h: f64 = w.iter().rev().sum();
    w.into_iter().map(|x| x / h).collect()
}

/// Hash of user `u` (for virtual shards and the ring).
fn user_hash(u: u32) -> u64 {
    fmix64(u64::from(u) ^ 0x5553_4552_0000_0000)
}

/// Hash of community `r`.
fn sub_hash(r: u32) -> u64 {
    fmix64(u64::from(r) ^ 0x5355_4252_0000_0000)
}

/// A consistent-hash ring of `nodes` nodes with [`TOKENS`] tokens each, as sorted
/// `(position, node)` pairs. Tokens of node `k` depend only on `k`, so a bigger ring keeps the
/// old nodes' tokens.
pub struct Ring {
    points: Vec<(u64, u32)>,
}

impl Ring {
    /// The ring of `nodes` nodes.
    pub fn new(nodes: u32) -> Ring {
        let mut points: Vec<(u64, u32)> = (0..nodes)
            .flat_map(|k| {
                (0..TOKENS)
                    .map(move |t| (fmix64((u64::from(k) << 20 | u64::from(t)) ^ 0x5249_4E47), k))
            })
            .collect();
        points.sort_unstable();
        Ring { points }
    }

    /// The node owning hash `h`: the first token at or after `h`, wrapping around.
    pub fn owner(&self, h: u64) -> u32 {
        let i = self.points.partition_point(|&(p, _)| p < h);
        self.points
            .get(i)
            .or_else(|| self.points.first())
            .map_or(0, |&(_, k)| k)
    }
}

/// The fraction of ids `k` with `k mod n ≠ k mod m`, exactly, over one period `lcm(n, m)`.
pub fn mod_moved_theory(n: u32, m: u32) -> f64 {
    let (n64, m64) = (u64::from(n.max(1)), u64::from(m.max(1)));
    let l = n64 / gcd(n64, m64) * m64;
    mod_moved_count(l as u32, n, m) as f64 / l as f64
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// How many of the ids `0 … count−1` have `k mod n ≠ k mod m`: counted over whole periods of
/// `lcm(n, m)` and the remainder, so it is exact and costs at most one period.
pub fn mod_moved_count(count: u32, n: u32, m: u32) -> u64 {
    let (n, m, c) = (u64::from(n.max(1)), u64::from(m.max(1)), u64::from(count));
    let l = n / gcd(n, m) * m;
    let moved_in = |upto: u64| (0..upto).filter(|k| k % n != k % m).count() as u64;
    (c / l) * moved_in(l) + moved_in(c % l)
}

/// The order LPT places virtual shards in: heaviest first (ties: lowest number).
fn lpt_order(loads: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..loads.len() as u32).collect();
    crate::sort::sort_by(&mut order, |&a, &b| {
        loads[b as usize]
            .total_cmp(&loads[a as usize])
            .then(a.cmp(&b))
    });
    order
}

/// Assign `loads.len()` virtual shards to `nodes` databases by Graham's LPT rule: heaviest
/// first, each onto the least-loaded database (ties: lowest number).
pub fn lpt(loads: &[f64], nodes: u32) -> Vec<u32> {
    lpt_with(loads, &lpt_order(loads), nodes)
}

fn lpt_with(loads: &[f64], order: &[u32], nodes: u32) -> Vec<u32> {
    let scale = (1u64 << 40) as f64;
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = (0..nodes).map(|k| Reverse((0, k))).collect();
    let mut map = vec![0u32; loads.len()];
    for &v in order {
        if let Some(Reverse((l, k))) = heap.pop() {
            map[v as usize] = k;
            let add = (loads[v as usize].max(0.0) * scale) as u64;
            heap.push(Reverse((l.saturating_add(add), k)));
        }
    }
    map
}

/// Grow a virtual-shard map from `n` to `n + a` databases: the new databases take
/// `round(V·a/(n+a))` shards, each from the database holding the most shards at that moment.
/// Returns the new map.
pub fn grow_map(map: &[u32], n: u32, a: u32) -> Vec<u32> {
    let v = map.len() as u32;
    let quota = ((f64::from(v) * f64::from(a) / f64::from(n + a)).round() as u32).min(v);
    let mut out = map.to_vec();
    let mut held: Vec<Vec<u32>> = vec![Vec::new(); (n + a) as usize];
    for (s, &k) in map.iter().enumerate() {
        if let Some(h) = held.get_mut(k as usize) {
            h.push(s as u32);
        }
    }
    for i in 0..quota {
        let receiver = n + i % a;
        // donor: the old database with the most shards (lowest number on ties)
        let Some(donor) = (0..n).max_by(|&x, &y| {
            held[x as usize]
                .len()
                .cmp(&held[y as usize].len())
                .then(y.cmp(&x))
        }) else {
            break;
        };
        if let Some(s) = held[donor as usize].pop() {
            out[s as usize] = receiver;
            held[receiver as usize].push(s);
        }
    }
    out
}

/// One stage's measured numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRow {
    /// Stage key.
    pub key: String,
    /// Year in the book's story.
    pub year: u32,
    /// Title.
    pub title: String,
    /// Databases (nodes) the stage runs on.
    pub dbs: u32,
    /// Share of all database touches served by the busiest database.
    pub busiest_share: f64,
    /// Busiest share × databases: 1 is perfectly even.
    pub busiest_over_mean: f64,
    /// Fraction of requests touching more than one database.
    pub cross: f64,
    /// Fraction of keys (users and communities) moved when `added` databases join, if the stage
    /// can grow by adding a node.
    pub moved: Option<f64>,
    /// Theory for `moved`.
    pub moved_theory: Option<f64>,
    /// Chance a read `read_after_ms` after a write is stale (0 where reads go to the primary).
    pub stale: f64,
    /// What went wrong next, in our words.
    pub problem: String,
    /// Link to the same layout in the state-strategies widget.
    pub link: String,
}

/// Load of one database in the selected stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeLoad {
    /// Name.
    pub name: String,
    /// Share of all touches.
    pub share: f64,
}

/// One point of the keys-moved sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Databases before growth.
    pub n: u32,
    /// Measured fraction moved with `mod N` placement.
    pub modulo: f64,
    /// Measured fraction moved with virtual shards.
    pub virtual_shards: f64,
    /// Exact `mod` theory for sequential ids.
    pub modulo_theory: f64,
    /// Minimal movement a/(N+a).
    pub minimal: f64,
}

/// The eventual stage's staleness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Staleness {
    /// Replicas per partition.
    pub replicas: u32,
    /// Measured stale fraction at `read_after_ms`.
    pub measured: f64,
    /// `(RF−1)/RF · e^(−t/lag)`.
    pub theory: f64,
    /// Time by which 99 % of writes reached every replica, measured (ms).
    pub window_p99_ms: f64,
    /// Theory: `−lag · ln(1 − 0.99^(1/(RF−1)))`.
    pub window_p99_theory_ms: f64,
    /// Stale fraction against read delay: `(t ms, measured, theory)`.
    pub curve: Vec<(f64, f64, f64)>,
}

/// What the model reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The selected stage key.
    pub stage: String,
    /// All five stages, in order.
    pub stages: Vec<StageRow>,
    /// Per-database load of the selected stage.
    pub nodes: Vec<NodeLoad>,
    /// The hottest user's share of user touches.
    pub top_user_share: f64,
    /// The hottest community's share of community touches.
    pub top_sub_share: f64,
    /// Keys moved against N.
    pub sweep: Vec<SweepPoint>,
    /// Staleness on the eventual stage.
    pub stale: Staleness,
    /// Requests simulated.
    pub requests: u32,
    /// Plain-language notes.
    pub notes: Vec<String>,
}

#[derive(Clone, Copy)]
enum Op {
    Join(u32, u32),
    User(u32),
    Sub(u32),
}

/// Busiest share and cross fraction of a request stream under a placement. `place` returns the
/// databases a request touches (at most three, possibly repeated).
fn measure(ops: &[Op], dbs: u32, mut place: impl FnMut(Op) -> [u32; 3]) -> (Vec<u64>, u64) {
    const NONE: u32 = u32::MAX;
    let mut load = vec![0u64; dbs as usize];
    let mut cross = 0u64;
    for &op in ops {
        let [x, y, z] = place(op);
        let y = if y == x { NONE } else { y };
        let z = if z == x || z == y { NONE } else { z };
        let mut touched = 0;
        let mut bump = |d: u32| {
            if d != NONE {
                touched += 1;
                if let Some(l) = load.get_mut(d as usize) {
                    *l += 1;
                }
            }
        };
        bump(x);
        bump(y);
        bump(z);
        if touched > 1 {
            cross += 1;
        }
    }
    (load, cross)
}

fn link(scheme: &str, shards: u32, consistency: &str) -> String {
    format!("/widget/state-strategies?scheme={scheme}&shards={shards}&consistency={consistency}")
}

/// Expected touches of each virtual shard per request.
fn vshard_loads(p: &Params, pu: &[f64], pr: &[f64]) -> Vec<f64> {
    let j = p.joins / 100.0;
    let a = j + (1.0 - j) / 2.0;
    let v = u64::from(p.vshards);
    let mut loads = vec![0.0; p.vshards as usize];
    for (u, w) in pu.iter().enumerate() {
        loads[(user_hash(u as u32) % v) as usize] += a * w;
    }
    for (r, w) in pr.iter().enumerate() {
        loads[(sub_hash(r as u32) % v) as usize] += a * w;
    }
    loads
}

impl Model for ShardingJourney {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = sanitized(params);
        let n = p.shards;
        let a = p.added;
        let m = n + a;
        let j = p.joins / 100.0;
        let pu = zipf(p.users, p.skew);
        let pr = zipf(p.subreddits, p.skew);
        let (au, ar) = (Alias::new(&pu), Alias::new(&pr));

        // the request stream, shared by every stage
        let mut rq = Rng::derive(seed, "requests");
        let ops: Vec<Op> = (0..p.requests)
            .map(|_| {
                let x = rq.uniform();
                if x < j {
                    Op::Join(au.draw(&mut rq), ar.draw(&mut rq))
                } else if x < j + (1.0 - j) / 2.0 {
                    Op::User(au.draw(&mut rq))
                } else {
                    Op::Sub(ar.draw(&mut rq))
                }
            })
            .collect();

        let none = u32::MAX;
        let uh: Vec<u64> = (0..p.users).map(user_hash).collect();
        let rh: Vec<u64> = (0..p.subreddits).map(sub_hash).collect();
        let total_keys = f64::from(p.users + p.subreddits);
        let rmod: Vec<u32> = rh.iter().map(|h| (h % u64::from(n)) as u32).collect();

        // virtual shards: balanced map on N, grown to N + a
        let vs = u64::from(p.vshards);
        let vloads = vshard_loads(&p, &pu, &pr);
        let vmap = lpt(&vloads, n);
        let vmap2 = grow_map(&vmap, n, a);
        let uv: Vec<u32> = uh.iter().map(|h| (h % vs) as u32).collect();
        let rv: Vec<u32> = rh.iter().map(|h| (h % vs) as u32).collect();
        // keys per virtual shard: users alone, and users plus communities
        let mut users_in = vec![0u64; p.vshards as usize];
        for &v in &uv {
            users_in[v as usize] += 1;
        }
        let mut keys_in = users_in.clone();
        for &v in &rv {
            keys_in[v as usize] += 1;
        }
        let moved_keys = |map: &[u32], map2: &[u32], per: &[u64]| -> u64 {
            (0..map.len())
                .filter(|&s| map[s] != map2[s])
                .map(|s| per[s])
                .sum()
        };

        // the ring, and its growth
        let ring_n = Ring::new(n);
        let ring_m = Ring::new(m);
        let uring: Vec<u32> = uh.iter().map(|&h| ring_n.owner(h)).collect();
        let rring: Vec<u32> = rh.iter().map(|&h| ring_n.owner(h)).collect();
        let rf = REPLICAS.min(n);

        let mut rows = Vec::new();
        let mut nodes_sel = Vec::new();
        let mut sel_touches = 1.0;
        let mut rrep = Rng::derive(seed, "replica");
        for (key, year, title) in STAGES {
            let (dbs, (load, cross)) = match key {
                "single" => (1, measure(&ops, 1, |_| [0, none, none])),
                "functional" => (
                    3,
                    measure(&ops, 3, |op| match op {
                        Op::Join(..) => [0, 1, 2],
                        Op::User(_) => [0, none, none],
                        Op::Sub(_) => [1, 2, none],
                    }),
                ),
                "modulo" => (
                    n,
                    measure(&ops, n, |op| match op {
                        Op::Join(u, r) => [u % n, rmod[r as usize], none],
                        Op::User(u) => [u % n, none, none],
                        Op::Sub(r) => [rmod[r as usize], none, none],
                    }),
                ),
                "virtual" => (
                    n,
                    measure(&ops, n, |op| match op {
                        Op::Join(u, r) => [
                            vmap[uv[u as usize] as usize],
                            vmap[rv[r as usize] as usize],
                            none,
                        ],
                        Op::User(u) => [vmap[uv[u as usize] as usize], none, none],
                        Op::Sub(r) => [vmap[rv[r as usize] as usize], none, none],
                    }),
                ),
                _ => (
                    n,
                    // denormalised: a join reads the community's partition, which carries the
                    // user fields it needs; any one of the replicas serves the read
                    measure(&ops, n, |op| {
                        let owner = match op {
                            Op::Join(_, r) | Op::Sub(r) => rring[r as usize],
                            Op::User(u) => uring[u as usize],
                        };
                        let k = rrep.below(u64::from(rf)) as u32;
                        [(owner + k) % n, none, none]
                    }),
                ),
            };
            let total: u64 = load.iter().sum::<u64>().max(1);
            let busiest = load.iter().copied().max().unwrap_or(0) as f64 / total as f64;
            if key == p.stage {
                sel_touches = total as f64 / f64::from(p.requests.max(1));
                nodes_sel = load
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| NodeLoad {
                        name: match (key, i) {
                            ("single", _) => "db".into(),
                            ("functional", 0) => "users".into(),
                            ("functional", 1) => "posts".into(),
                            ("functional", _) => "comments".into(),
                            _ => format!("db{i}"),
                        },
                        share: l as f64 / total as f64,
                    })
                    .collect();
            }
            let (moved, moved_theory) = match key {
                "modulo" => {
                    let mu = mod_moved_count(p.users, n, m);
                    let mr = rh
                        .iter()
                        .zip(&rmod)
                        .filter(|(h, &o)| (**h % u64::from(m)) as u32 != o)
                        .count() as u64;
                    (
                        Some((mu + mr) as f64 / total_keys),
                        Some(mod_moved_theory(n, m)),
                    )
                }
                "virtual" => (
                    Some(moved_keys(&vmap, &vmap2, &keys_in) as f64 / total_keys),
                    Some(f64::from(a) / f64::from(m)),
                ),
                "eventual" => {
                    let mu = uh
                        .iter()
                        .zip(&uring)
                        .filter(|(h, o)| ring_m.owner(**h) != **o)
                        .count();
                    let mr = rh
                        .iter()
                        .zip(&rring)
                        .filter(|(h, o)| ring_m.owner(**h) != **o)
                        .count();
                    (
                        Some((mu + mr) as f64 / total_keys),
                        Some(f64::from(a) / f64::from(m)),
                    )
                }
                _ => (None, None),
            };
            let (problem, link) = match key {
                "single" => (
                    "The one machine runs out of CPU, and a bigger machine is no longer on offer.",
                    link("single", 1, "strong"),
                ),
                "functional" => (
                    "A query that needs a user and their posts now spans two databases: no joins.",
                    link("functional", 3, "strong"),
                ),
                "modulo" => (
                    "A hot community lands on one shard; adding a shard re-homes almost every key.",
                    link("modulo", n, "strong"),
                ),
                "virtual" => (
                    "Growth moves only whole virtual shards, but the mapping is one more thing to run.",
                    link("virtual", n, "strong"),
                ),
                _ => (
                    "Reads may be stale for a while, and multi-row transactions are gone.",
                    link("virtual", n, "eventual"),
                ),
            };
            rows.push(StageRow {
                key: key.into(),
                year,
                title: title.into(),
                dbs,
                busiest_share: busiest,
                busiest_over_mean: busiest * f64::from(dbs),
                cross: cross as f64 / f64::from(p.requests.max(1)),
                moved,
                moved_theory,
                stale: 0.0,
                problem: problem.into(),
                link,
            });
        }

        // staleness on the eventual stage
        let stale = staleness(&p, rf, seed);
        if let Some(r) = rows.last_mut() {
            r.stale = stale.measured;
        }

        // keys moved against N (users only: sequential ids, as in the book)
        let order = lpt_order(&vloads);
        let sweep = SWEEP_N
            .iter()
            .map(|&sn| {
                let sm = sn + a;
                let modulo = mod_moved_count(p.users, sn, sm) as f64 / f64::from(p.users);
                let map = lpt_with(&vloads, &order, sn);
                let map2 = grow_map(&map, sn, a);
                let vmoved = moved_keys(&map, &map2, &users_in) as f64 / f64::from(p.users);
                SweepPoint {
                    n: sn,
                    modulo,
                    virtual_shards: vmoved,
                    modulo_theory: mod_moved_theory(sn, sm),
                    minimal: f64::from(a) / f64::from(sm),
                }
            })
            .collect();

        let top_user_share = pu.first().copied().unwrap_or(0.0);
        let top_sub_share = pr.first().copied().unwrap_or(0.0);
        let mut notes = Vec::new();
        let sel = rows.iter().find(|r| r.key == p.stage);
        if let Some(r) = sel {
            // the hottest community's expected share of all database touches
            let hot = top_sub_share * (j + (1.0 - j) / 2.0) / sel_touches.max(1.0);
            if r.dbs > 1 && r.key != "functional" && hot > 1.0 / f64::from(r.dbs) {
                notes.push(format!(
                    "The hottest community alone brings about {:.1} % of all database work, more than the fair share of one of {} databases ({:.2} %): no placement of whole communities can balance that.",
                    hot * 100.0,
                    r.dbs,
                    100.0 / f64::from(r.dbs)
                ));
            }
        }
        if p.vshards < 4 * m {
            notes.push(format!(
                "Only {} virtual shards for {} databases: growth moves whole shards, so balance is coarse.",
                p.vshards, m
            ));
        }
        Report {
            stage: p.stage.clone(),
            stages: rows,
            nodes: nodes_sel,
            top_user_share,
            top_sub_share,
            sweep,
            stale,
            requests: p.requests,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let s = r.stages.iter().find(|s| s.key == r.stage);
        vec![
            ("busiest_share", s.map_or(f64::NAN, |s| s.busiest_share)),
            ("cross", s.map_or(f64::NAN, |s| s.cross)),
            ("moved", s.and_then(|s| s.moved).unwrap_or(f64::NAN)),
            ("stale", r.stale.measured),
        ]
    }
}

/// Replication of writes to `rf` replicas: the first applies at once, the others after an
/// exponential delay of mean `lag_ms`; a read at `read_after_ms` picks one replica at random.
fn staleness(p: &Params, rf: u32, seed: u64) -> Staleness {
    const WRITES: u32 = 4000;
    let mut rng = Rng::derive(seed, "lag");
    let lag = p.lag_ms;
    let t = p.read_after_ms;
    let mut delays: Vec<f64> = Vec::with_capacity((WRITES * rf.saturating_sub(1)) as usize);
    let mut last: Vec<f64> = Vec::with_capacity(WRITES as usize);
    let mut stale = 0u32;
    for _ in 0..WRITES {
        let mut mx: f64 = 0.0;
        let mut applied = vec![0.0; rf as usize];
        for d in applied.iter_mut().skip(1) {
            *d = rng.exp(lag);
            delays.push(*d);
            mx = mx.max(*d);
        }
        last.push(mx);
        let k = rng.below(u64::from(rf.max(1))) as usize;
        if applied[k] > t {
            stale += 1;
        }
    }
    last.sort_unstable_by(f64::total_cmp);
    delays.sort_unstable_by(f64::total_cmp);
    let rfm = f64::from(rf);
    let frac_late = (rfm - 1.0) / rfm;
    let theory_at = |x: f64| frac_late * libm::exp(-x / lag);
    // measured curve: share of all replica copies (including the first) not yet applied at x
    let copies = f64::from(WRITES) * rfm;
    let curve = (0..=24)
        .map(|i| {
            let x = lag * 5.0 * f64::from(i) / 24.0;
            let late = delays.len() - delays.partition_point(|&d| d <= x);
            (x, late as f64 / copies, theory_at(x))
        })
        .collect();
    let w_theory = if rf > 1 {
        -lag * libm::log(1.0 - libm::pow(0.99, 1.0 / (rfm - 1.0)))
    } else {
        0.0
    };
    Staleness {
        replicas: rf,
        measured: f64::from(stale) / f64::from(WRITES),
        theory: theory_at(t),
        window_p99_ms: quantile_sorted(&last, 0.99),
        window_p99_theory_ms: w_theory,
        curve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::from_pairs;
    use proptest::prelude::*;

    fn run(p: &Params, seed: u64) -> Report {
        ShardingJourney::run(p, seed)
    }

    fn stage<'a>(r: &'a Report, k: &str) -> &'a StageRow {
        r.stages.iter().find(|s| s.key == k).unwrap()
    }

    #[test]
    fn modulo_16_to_17_moves_94_percent() {
        // the exact period count equals N/(N+1) when one node is added
        assert!((mod_moved_theory(16, 17) - 16.0 / 17.0).abs() < 1e-12);
        assert!((mod_moved_theory(4, 5) - 0.8).abs() < 1e-12);
        // doubling moves exactly half
        assert!((mod_moved_theory(16, 32) - 0.5).abs() < 1e-12);
        let r = run(&Params::default(), 1);
        let m = stage(&r, "modulo");
        let moved = m.moved.unwrap();
        assert!((moved - 16.0 / 17.0).abs() < 0.01, "{moved}");
    }

    #[test]
    fn virtual_shards_and_the_ring_move_about_one_in_n_plus_one() {
        let r = run(&Params::default(), 1);
        let v = stage(&r, "virtual").moved.unwrap();
        assert!((v - 1.0 / 17.0).abs() < 0.015, "virtual {v}");
        let e = stage(&r, "eventual").moved.unwrap();
        // a ring of 16 tokens per node is noisier: within half the ideal either way
        assert!(e > 0.5 / 17.0 && e < 1.5 / 17.0, "ring {e}");
        assert!(stage(&r, "single").moved.is_none());
        assert!(stage(&r, "functional").moved.is_none());
        for s in &r.sweep {
            assert!((s.modulo - s.modulo_theory).abs() < 0.02, "{s:?}");
            assert!((s.virtual_shards - s.minimal).abs() < 0.03, "{s:?}");
        }
    }

    #[test]
    fn cross_shard_fractions_match_the_op_mix() {
        let p = Params::default();
        let r = run(&p, 3);
        assert_eq!(stage(&r, "single").cross, 0.0);
        // functional: joins (30 %) and community reads (35 %) touch two or three databases
        let f = stage(&r, "functional").cross;
        assert!((f - 0.65).abs() < 0.01, "{f}");
        // modulo: a join is cross-shard unless user and community share a shard: ≈ j·(N−1)/N
        let m = stage(&r, "modulo").cross;
        assert!((m - 0.30 * 15.0 / 16.0).abs() < 0.02, "{m}");
        // denormalised eventual stage reads one partition
        assert_eq!(stage(&r, "eventual").cross, 0.0);
    }

    #[test]
    fn load_and_balance() {
        let r = run(&Params::default(), 1);
        assert_eq!(stage(&r, "single").busiest_share, 1.0);
        for s in &r.stages {
            assert!(s.busiest_over_mean >= 1.0 - 1e-12, "{s:?}");
        }
        // hottest of 500 communities under Zipf 1: 1/H(500) ≈ 14.7 %
        assert!(
            (r.top_sub_share - 0.1474).abs() < 0.001,
            "{}",
            r.top_sub_share
        );
        // no skew: modulo is near even
        let even = run(
            &Params {
                skew: 0.0,
                ..Params::default()
            },
            1,
        );
        // what is left is balls-into-bins noise: ≈ 31 communities a shard, so a few
        // standard deviations (1/√31 ≈ 18 % of half the load) above the mean at most
        assert!(stage(&even, "modulo").busiest_over_mean < 1.3);
        assert!(stage(&even, "virtual").busiest_over_mean < 1.1);
        // skew makes the busiest shard much busier than the mean under mod N
        assert!(stage(&r, "modulo").busiest_over_mean > 1.5);
        let shares: f64 = r.nodes.iter().map(|n| n.share).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        assert_eq!(r.nodes.len(), 16);
    }

    #[test]
    fn stale_reads_follow_the_exponential() {
        let r = run(&Params::default(), 1);
        let s = &r.stale;
        // (2/3)·e^(−10/20) = 0.4044
        assert!((s.theory - 2.0 / 3.0 * libm::exp(-0.5)).abs() < 1e-12);
        assert!((s.measured - s.theory).abs() < 0.03, "{s:?}");
        // p99 of the later of two Exp(20 ms): −20·ln(1 − √0.99) ≈ 105.9 ms
        assert!((s.window_p99_theory_ms - 105.93).abs() < 0.1);
        assert!(
            (s.window_p99_ms / s.window_p99_theory_ms - 1.0).abs() < 0.15,
            "{s:?}"
        );
        for (x, m, t) in &s.curve {
            assert!((m - t).abs() < 0.03, "{x}: {m} vs {t}");
        }
        assert_eq!(stage(&r, "modulo").stale, 0.0);
        assert_eq!(stage(&r, "eventual").stale, s.measured);
    }

    #[test]
    fn lpt_and_growth_maps_are_sane() {
        let loads: Vec<f64> = (0..100).map(|i| f64::from(100 - i)).collect();
        let map = lpt(&loads, 4);
        let mut per = [0.0; 4];
        for (s, &k) in map.iter().enumerate() {
            per[k as usize] += loads[s];
        }
        let max = per.iter().cloned().fold(0.0, f64::max);
        let min = per.iter().cloned().fold(f64::MAX, f64::min);
        assert!(max - min <= 100.0);
        let g = grow_map(&map, 4, 1);
        let moved: Vec<usize> = (0..100).filter(|&s| map[s] != g[s]).collect();
        assert_eq!(moved.len(), 20);
        assert!(
            moved.iter().all(|&s| g[s] == 4),
            "moved shards go only to the new node"
        );
    }

    #[test]
    fn links_name_the_three_state_strategy_knobs() {
        let r = run(&Params::default(), 1);
        assert_eq!(
            stage(&r, "modulo").link,
            "/widget/state-strategies?scheme=modulo&shards=16&consistency=strong"
        );
        assert!(stage(&r, "eventual").link.ends_with("consistency=eventual"));
        assert!(stage(&r, "single").link.contains("scheme=single&shards=1"));
    }

    #[test]
    fn vshards_below_the_grown_cluster_are_raised_with_a_notice() {
        let pairs = vec![
            ("shards".to_string(), "64".to_string()),
            ("added".to_string(), "16".to_string()),
            ("vshards".to_string(), "16".to_string()),
        ];
        let (p, n) = from_pairs::<Params>(&pairs, &[]);
        assert_eq!(p.vshards, 80);
        assert_eq!(n.len(), 1);
        let r = run(&p, 1);
        assert_eq!(r.nodes.len(), 64);
    }

    #[test]
    fn deterministic_and_small() {
        let a = serde_json::to_string(&run(&Params::default(), 9)).unwrap();
        let b = serde_json::to_string(&run(&Params::default(), 9)).unwrap();
        assert_eq!(a, b);
        assert!(a.len() < 20_000, "{} bytes", a.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn invariants_hold_for_any_params(
            st in 0u8..5, users in 1000u32..5000, subs in 10u32..300, skew in 0.0f64..2.0,
            shards in 2u32..64, vshards in 16u32..600, added in 1u32..16, joins in 0.0f64..100.0,
            seed in 0u64..1000,
        ) {
            let p = Params {
                stage: STAGES[usize::from(st)].0.into(),
                users, subreddits: subs, skew, shards, vshards, added, joins,
                requests: 10_000,
                ..Params::default()
            };
            let r = run(&p, seed);
            prop_assert_eq!(r.stages.len(), 5);
            for s in &r.stages {
                prop_assert!(s.busiest_share > 0.0 && s.busiest_share <= 1.0);
                prop_assert!(s.busiest_over_mean >= 1.0 - 1e-9);
                prop_assert!((0.0..=1.0).contains(&s.cross));
                if let Some(m) = s.moved { prop_assert!((0.0..=1.0).contains(&m)); }
            }
            // growth by virtual shards never moves more keys than mod N's theory
            let v = stage(&r, "virtual").moved.unwrap();
            let m = stage(&r, "modulo").moved_theory.unwrap();
            prop_assert!(v <= m + 0.05, "virtual {} vs mod {}", v, m);
            let total: f64 = r.nodes.iter().map(|n| n.share).sum();
            prop_assert!((total - 1.0).abs() < 1e-9);
        }
    }
}
