//! # Thundering herd (book page 22): cold caches starting at once, and the fixes
//!
//! The book lists the thundering herd among the work-distribution anti-patterns: every instance
//! of a service starts at the same moment with an empty cache, so every request misses and goes
//! to the database together; its fixes are staggered starts and cache priming. This model puts
//! numbers on that picture and adds the two other classic fixes.
//!
//! **The system.** `N` instances, each with its own cache, sit in front of one database. A seeded
//! Poisson stream of requests (rate λ for the whole fleet) asks for keys drawn from a Zipf
//! popularity law (rank `k` has weight `1/k^s`) and is spread uniformly over the instances that
//! are up. A hit is answered at once. A miss queries the database, which serves queries one at a
//! time, first come first served, at its capacity μ (each query takes `1/μ`), plus a fixed round
//! trip; the answer fills the cache for the TTL. So when the database is asked for more than μ
//! queries a second, a queue builds and every miss waits longer — the herd feeds itself.
//!
//! **The fixes**, each switchable on its own ([`Fixes`]):
//! - *staggered starts*: instance `i` of `N` joins at `i/N × window` instead of all at 0;
//! - *jittered expiry*: each fill lives `TTL × (1 ± jitter)` (uniform), so entries filled together
//!   do not expire together;
//! - *request coalescing* (single flight): a miss for a key an instance is already fetching waits
//!   for that query instead of sending its own;
//! - *cache priming*: each instance starts with the hottest keys loaded (from a snapshot or a
//!   warm peer, before it takes traffic — those loads are counted, not sent to this database).
//!
//! **Theory.** With no fix and a cold start, the database sees at least one query per
//! (instance, key) pair touched in the first TTL and at most one per request, so the initial
//! burst is bounded by `min(requests in the first TTL, N × distinct keys touched)`; it reaches
//! the request count when the database is slow (every request misses while its key is in
//! flight) and the pair count when it is instant. Both ends are tested exactly.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::thundering_herd::{ThunderingHerd, Params};
//! let r = ThunderingHerd::run(&Params::default(), 1);
//! assert!(r.baseline.peak_qps > r.chosen.peak_qps);
//! ```

use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::{splitmix64, Rng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// The thundering-herd model.
pub struct ThunderingHerd;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

const N_MAX: u32 = 200;
const KEYS_MAX: u32 = 5_000;
const RATE_MIN: f64 = 10.0;
const RATE_MAX: f64 = 2_000.0;
const DURATION_MAX: f64 = 120.0;
/// How many of the hottest keys a snapshot's cache warmth looks at.
pub const WARMTH_KEYS: u32 = 64;
/// Width of one time bin of the load chart, in seconds.
pub const BIN_S: f64 = 1.0;

/// The knobs of the thundering-herd model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Instances `N` that start together, each with its own cache.
    pub instances: u32,
    /// Requests per second reaching the whole fleet (Poisson).
    pub rate: f64,
    /// Distinct keys that requests ask for.
    pub keys: u32,
    /// Zipf exponent `s` of key popularity (0 = all keys equally popular).
    pub zipf: f64,
    /// Cache time to live, in seconds.
    pub ttl_s: f64,
    /// Database capacity μ, in queries per second.
    pub db_capacity: f64,
    /// Database round trip on top of queueing and service, in milliseconds.
    pub db_ms: f64,
    /// Simulated time, in seconds.
    pub duration_s: f64,
    /// Fix: staggered starts.
    pub stagger: bool,
    /// Window over which starts are spread, in seconds.
    pub stagger_s: f64,
    /// Fix: jittered expiry.
    pub jitter: bool,
    /// Expiry jitter, as ± percent of the TTL.
    pub jitter_pct: f64,
    /// Fix: request coalescing (single flight per instance and key).
    pub coalesce: bool,
    /// Fix: cache priming.
    pub prime: bool,
    /// Hottest keys loaded into each cache before it takes traffic.
    pub prime_keys: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            instances: 40,
            rate: 600.0,
            keys: 100,
            zipf: 1.0,
            ttl_s: 15.0,
            db_capacity: 250.0,
            db_ms: 5.0,
            duration_s: 30.0,
            stagger: true,
            stagger_s: 15.0,
            jitter: true,
            jitter_pct: 25.0,
            coalesce: true,
            prime: true,
            prime_keys: 25,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "instances",
        label: "Instances N",
        unit: "",
        help: "How many instances start, each with its own empty cache.",
        kind: KnobKind::Int { min: 1, max: N_MAX as i64, log: false },
    },
    Knob {
        key: "rate",
        label: "Request rate",
        unit: "req/s",
        help: "Requests per second reaching the whole fleet, at random (Poisson) moments.",
        kind: KnobKind::Float { min: RATE_MIN, max: RATE_MAX, step: 10.0, log: true },
    },
    Knob {
        key: "keys",
        label: "Distinct keys",
        unit: "",
        help: "How many different keys requests ask for.",
        kind: KnobKind::Int { min: 1, max: KEYS_MAX as i64, log: true },
    },
    Knob {
        key: "zipf",
        label: "Key skew (Zipf s)",
        unit: "",
        help: "How much more popular the hottest keys are: rank k is asked for in proportion to 1/k^s; 0 is uniform.",
        kind: KnobKind::Float { min: 0.0, max: 2.0, step: 0.05, log: false },
    },
    Knob {
        key: "ttl_s",
        label: "Cache TTL",
        unit: "s",
        help: "How long a cached answer stays valid.",
        kind: KnobKind::Float { min: 0.5, max: 300.0, step: 0.5, log: true },
    },
    Knob {
        key: "db_capacity",
        label: "Database capacity μ",
        unit: "q/s",
        help: "Queries per second the database can serve; beyond it, queries queue.",
        kind: KnobKind::Float { min: 10.0, max: 20_000.0, step: 10.0, log: true },
    },
    Knob {
        key: "db_ms",
        label: "Database round trip",
        unit: "ms",
        help: "Network and query time of one database call, on top of any queueing.",
        kind: KnobKind::Float { min: 0.0, max: 1_000.0, step: 1.0, log: false },
    },
    Knob {
        key: "duration_s",
        label: "Simulated time",
        unit: "s",
        help: "How long the run lasts.",
        kind: KnobKind::Float { min: 5.0, max: DURATION_MAX, step: 1.0, log: false },
    },
    Knob {
        key: "stagger",
        label: "Fix: staggered starts",
        unit: "",
        help: "Instances join one after another over the stagger window instead of all at once.",
        kind: KnobKind::Bool,
    },
    Knob {
        key: "stagger_s",
        label: "Stagger window",
        unit: "s",
        help: "Instance i of N joins at i/N of this window.",
        kind: KnobKind::Float { min: 0.0, max: 60.0, step: 0.5, log: false },
    },
    Knob {
        key: "jitter",
        label: "Fix: jittered expiry",
        unit: "",
        help: "Each cache fill lives TTL ± a random share, so entries filled together expire apart.",
        kind: KnobKind::Bool,
    },
    Knob {
        key: "jitter_pct",
        label: "Expiry jitter",
        unit: "± %",
        help: "How far a fill's lifetime may differ from the TTL, as a percentage of it.",
        kind: KnobKind::Float { min: 0.0, max: 50.0, step: 1.0, log: false },
    },
    Knob {
        key: "coalesce",
        label: "Fix: request coalescing",
        unit: "",
        help: "A miss for a key the instance is already fetching waits for that query instead of sending another.",
        kind: KnobKind::Bool,
    },
    Knob {
        key: "prime",
        label: "Fix: cache priming",
        unit: "",
        help: "Each instance loads the hottest keys (from a snapshot or a warm peer) before it takes traffic.",
        kind: KnobKind::Bool,
    },
    Knob {
        key: "prime_keys",
        label: "Keys primed",
        unit: "",
        help: "How many of the hottest keys each instance loads before it takes traffic.",
        kind: KnobKind::Int { min: 0, max: KEYS_MAX as i64, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// Priming more keys than exist is clamped to the key count.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.prime_keys > self.keys {
            notices.push(Notice::new(
                "prime_keys",
                format!(
                    "Keys primed cannot exceed the {} distinct keys; using {}",
                    self.keys, self.keys
                ),
            ));
            self.prime_keys = self.keys;
        }
    }
}

/// Which fixes are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixes {
    /// Staggered starts.
    pub stagger: bool,
    /// Jittered expiry.
    pub jitter: bool,
    /// Request coalescing.
    pub coalesce: bool,
    /// Cache priming.
    pub prime: bool,
}

impl Fixes {
    /// No fix at all.
    pub const NONE: Fixes = Fixes {
        stagger: false,
        jitter: false,
        coalesce: false,
        prime: false,
    };
    /// All four fixes.
    pub const ALL: Fixes = Fixes {
        stagger: true,
        jitter: true,
        coalesce: true,
        prime: true,
    };

    /// A short name: "no fixes", "stagger + coalesce", "all four".
    pub fn name(&self) -> String {
        let on: Vec<&str> = [
            (self.stagger, "stagger"),
            (self.jitter, "jitter"),
            (self.coalesce, "coalesce"),
            (self.prime, "prime"),
        ]
        .iter()
        .filter(|(b, _)| *b)
        .map(|(_, n)| *n)
        .collect();
        match on.len() {
            0 => "no fixes".into(),
            4 => "all four".into(),
            _ => on.join(" + "),
        }
    }
}

/// Everything one simulation run needs, derived from [`Params`] and a choice of fixes. Tests
/// build it directly for cases the knobs cannot reach (an instant database).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Instances.
    pub instances: u32,
    /// Fleet request rate, req/s.
    pub rate: f64,
    /// Distinct keys.
    pub keys: u32,
    /// Zipf exponent.
    pub zipf: f64,
    /// Base TTL, s.
    pub ttl: f64,
    /// Database service time per query, s (`1/μ`; 0 = infinitely fast).
    pub db_service: f64,
    /// Database round trip, s.
    pub db_latency: f64,
    /// Arrivals stop at this time, s.
    pub duration: f64,
    /// Start window when staggering, s (0 = all start at once).
    pub stagger_window: f64,
    /// Expiry jitter as a fraction of the TTL (0 = none).
    pub jitter: f64,
    /// Single flight per (instance, key).
    pub coalesce: bool,
    /// Hottest keys preloaded per instance.
    pub prime_keys: u32,
}

impl Config {
    /// The configuration of `p` with the given fixes on (strengths from `p`).
    pub fn new(p: &Params, f: Fixes) -> Config {
        let fin = |x: f64, lo: f64, hi: f64| if x.is_nan() { lo } else { x.clamp(lo, hi) };
        let keys = p.keys.clamp(1, KEYS_MAX);
        Config {
            instances: p.instances.clamp(1, N_MAX),
            rate: fin(p.rate, RATE_MIN, RATE_MAX),
            keys,
            zipf: fin(p.zipf, 0.0, 2.0),
            ttl: fin(p.ttl_s, 0.5, 300.0),
            db_service: 1.0 / fin(p.db_capacity, 10.0, 20_000.0),
            db_latency: fin(p.db_ms, 0.0, 1_000.0) / 1000.0,
            duration: fin(p.duration_s, 5.0, DURATION_MAX),
            stagger_window: if f.stagger {
                fin(p.stagger_s, 0.0, 60.0)
            } else {
                0.0
            },
            jitter: if f.jitter {
                fin(p.jitter_pct, 0.0, 50.0) / 100.0
            } else {
                0.0
            },
            coalesce: f.coalesce,
            prime_keys: if f.prime { p.prime_keys.min(keys) } else { 0 },
        }
    }

    /// When instance `i` (0-based) starts taking traffic, s.
    pub fn start_of(&self, i: u32) -> f64 {
        self.stagger_window * f64::from(i) / f64::from(self.instances.max(1))
    }
}

// ---------------------------------------------------------------------------------------------
// The request trace
// ---------------------------------------------------------------------------------------------

/// One request of the seeded trace: when, which key (0 = hottest), and a uniform draw that picks
/// the instance among those up. Identical for every choice of fixes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRequest {
    /// Arrival time, s.
    pub t: f64,
    /// Key rank (0 = hottest).
    pub key: u32,
    /// Uniform in [0, 1): the instance is `⌊u × instances up⌋`.
    pub route: f64,
}

/// The seeded request stream: Poisson arrivals, Zipf keys, uniform routing.
#[derive(Clone, Debug)]
pub struct Trace {
    arrivals: Rng,
    keys: Rng,
    route: Rng,
    cdf: Vec<f64>,
    rate: f64,
    t: f64,
}

impl Trace {
    /// The trace of `cfg` from `seed`.
    pub fn new(cfg: &Config, seed: u64) -> Trace {
        let mut cdf = Vec::with_capacity(cfg.keys as usize);
        let mut acc = 0.0;
        for k in 1..=cfg.keys {
            acc += libm::pow(f64::from(k), -cfg.zipf);
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        Trace {
            arrivals: Rng::derive(seed, "arrivals"),
            keys: Rng::derive(seed, "keys"),
            route: Rng::derive(seed, "route"),
            cdf,
            rate: cfg.rate,
            t: 0.0,
        }
    }

    /// The next request.
    pub fn next_request(&mut self) -> TraceRequest {
        self.t += self.arrivals.exp(1.0 / self.rate);
        let u = self.keys.uniform();
        let key = self
            .cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1) as u32;
        TraceRequest {
            t: self.t,
            key,
            route: self.route.uniform(),
        }
    }
}

/// Every request of the trace of `cfg` from `seed` that arrives before the run ends.
pub fn record_trace(cfg: &Config, seed: u64) -> Rc<[TraceRequest]> {
    let mut t = Trace::new(cfg, seed);
    let mut v = Vec::with_capacity((cfg.rate * cfg.duration * 1.05) as usize + 16);
    loop {
        let r = t.next_request();
        if r.t >= cfg.duration {
            return v.into();
        }
        v.push(r);
    }
}

/// Where a simulation's requests come from.
#[derive(Clone, Debug)]
enum Source {
    /// Drawn as the run goes.
    Live(Box<Trace>),
    /// Replayed from a recording, with the index of the next request.
    Recorded(Rc<[TraceRequest]>, usize),
}

impl Source {
    #[inline(always)]
    fn next(&mut self, end: f64) -> Option<TraceRequest> {
        match self {
            Source::Live(t) => Some(t.next_request()).filter(|r| r.t < end),
            Source::Recorded(v, i) => {
                let r = v.get(*i).copied().filter(|r| r.t < end);
                *i += 1;
                r
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

/// A database answer on its way back to an instance.
#[derive(Clone, Copy, Debug)]
struct Reply {
    t: f64,
    inst: u32,
    key: u32,
    req: u32,
    sent: f64,
}

/// The last thing that happened, for the live view's caption.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum LastEvent {
    /// Nothing yet.
    None,
    /// A request was answered from the cache.
    Hit {
        /// Instance.
        inst: u32,
        /// Key rank.
        key: u32,
    },
    /// A request missed (cold or expired) and queried the database.
    Miss {
        /// Instance.
        inst: u32,
        /// Key rank.
        key: u32,
        /// The entry had been filled and had expired.
        expired: bool,
    },
    /// A request missed and joined a query already in flight (coalescing).
    Joined {
        /// Instance.
        inst: u32,
        /// Key rank.
        key: u32,
    },
    /// A database answer arrived and filled the cache.
    Reply {
        /// Instance.
        inst: u32,
        /// Key rank.
        key: u32,
        /// Requests it answered.
        answered: u32,
    },
}

/// A small picture of the simulation at one moment, for drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Simulated time, s.
    pub t: f64,
    /// Per instance: has it started taking traffic?
    pub started: Vec<bool>,
    /// Per instance: its cache warmth, the chance that a request for one of the hottest keys
    /// (up to [`WARMTH_KEYS`], weighted by popularity) would hit now.
    pub warmth: Vec<f64>,
    /// Database queries sent in the last second.
    pub db_last_second: u32,
    /// Database capacity, q/s.
    pub capacity: f64,
    /// Queries sent and not yet answered.
    pub in_flight: u32,
    /// Current wait in the database queue, s.
    pub db_wait: f64,
    /// Requests so far.
    pub requests: u64,
    /// Cache hits so far.
    pub hits: u64,
    /// Database queries so far.
    pub queries: u64,
    /// Misses on expired entries so far.
    pub expired_misses: u64,
    /// Database queries per 1-s bin so far.
    pub bins: Vec<u32>,
    /// The last event.
    pub last: LastEvent,
}

/// The step-able discrete-event simulation of one configuration.
#[derive(Clone, Debug)]
pub struct HerdSim {
    cfg: Config,
    seed: u64,
    source: Source,
    next: Option<TraceRequest>,
    /// Answers in flight, earliest first. The database is one FIFO server with a fixed service
    /// time and round trip, so answers come back in the order their queries were sent: a queue
    /// does what a heap keyed on `(time, send order)` would.
    replies: VecDeque<Reply>,
    now: f64,
    /// Expiry time per (instance × keys + key); `NEG_INFINITY` = never filled.
    expires: Vec<f64>,
    /// Fill count per pair (feeds the jitter draw, so it does not depend on event order).
    fills: Vec<u32>,
    /// Is a query in flight for the pair (coalescing only)?
    flight: Vec<bool>,
    /// Requests waiting on an in-flight query (coalescing only).
    waiters: BTreeMap<u64, Vec<(u32, f64)>>,
    /// Requests touching each pair before the first TTL ends (theory check).
    touched: Vec<bool>,
    /// Popularity weights of the hottest keys, summing to 1 (for warmth).
    top_weights: Vec<f64>,
    window: VecDeque<f64>,
    db_free: f64,
    bins: Vec<u32>,
    /// Latencies of the requests that missed, s (hits take 0).
    latencies: Vec<f64>,
    requests: u64,
    hits: u64,
    queries: u64,
    expired_misses: u64,
    first_ttl_requests: u64,
    first_ttl_queries: u64,
    first_ttl_pairs: u64,
    max_wait: f64,
    answers: Option<Vec<u8>>,
    last: LastEvent,
}

impl HerdSim {
    /// A fresh run of `cfg` from `seed`: caches cold (or primed), nothing sent yet.
    pub fn new(cfg: &Config, seed: u64) -> HerdSim {
        Self::with_source(cfg, seed, Source::Live(Box::new(Trace::new(cfg, seed))))
    }

    /// A fresh run of `cfg` from `seed` that replays a recorded trace (see [`record_trace`])
    /// instead of drawing it again: the batch run shares one trace between its scenarios.
    pub fn replaying(cfg: &Config, seed: u64, trace: Rc<[TraceRequest]>) -> HerdSim {
        Self::with_source(cfg, seed, Source::Recorded(trace, 0))
    }

    fn with_source(cfg: &Config, seed: u64, mut source: Source) -> HerdSim {
        let next = source.next(cfg.duration);
        let cells = cfg.instances as usize * cfg.keys as usize;
        let mut expires = vec![f64::NEG_INFINITY; cells];
        let mut fills = vec![0u32; cells];
        let mut sim_seed = seed;
        let mut s = HerdSim {
            cfg: cfg.clone(),
            seed: splitmix64(&mut sim_seed),
            source,
            next,
            replies: VecDeque::new(),
            now: 0.0,
            expires: Vec::new(),
            fills: Vec::new(),
            flight: vec![false; if cfg.coalesce { cells } else { 0 }],
            waiters: BTreeMap::new(),
            touched: vec![false; cells],
            top_weights: {
                let w: Vec<f64> = (1..=cfg.keys.min(WARMTH_KEYS))
                    .map(|k| libm::pow(f64::from(k), -cfg.zipf))
                    .collect();
                let sum: f64 = w.iter().sum();
                w.into_iter().map(|x| x / sum).collect()
            },
            window: VecDeque::new(),
            db_free: 0.0,
            bins: vec![0; (libm::ceil(cfg.duration / BIN_S) as usize).max(1)],
            latencies: Vec::new(),
            requests: 0,
            hits: 0,
            queries: 0,
            expired_misses: 0,
            first_ttl_requests: 0,
            first_ttl_queries: 0,
            first_ttl_pairs: 0,
            max_wait: 0.0,
            answers: None,
            last: LastEvent::None,
        };
        for i in 0..cfg.instances {
            let start = cfg.start_of(i);
            for k in 0..cfg.prime_keys.min(cfg.keys) {
                let c = (i * cfg.keys + k) as usize;
                expires[c] = start + s.lifetime(i, k, 0);
                fills[c] = 1;
            }
        }
        s.expires = expires;
        s.fills = fills;
        s
    }

    /// Keep a per-request answer count (for tests of "answered exactly once").
    pub fn with_tracking(mut self) -> HerdSim {
        self.answers = Some(Vec::new());
        self
    }

    /// How many times each request has been answered so far (with tracking on).
    pub fn answer_counts(&self) -> Option<&[u8]> {
        self.answers.as_deref()
    }

    /// The lifetime of fill number `n` of (instance, key): TTL, jittered by a draw that depends
    /// only on the seed and the fill, never on event order.
    fn lifetime(&self, inst: u32, key: u32, n: u32) -> f64 {
        if self.cfg.jitter <= 0.0 {
            return self.cfg.ttl;
        }
        let mut h = self.seed
            ^ (u64::from(inst) << 40)
            ^ (u64::from(key) << 16)
            ^ u64::from(n).wrapping_mul(0x9E37_79B9);
        let u = Rng::new(splitmix64(&mut h)).uniform();
        self.cfg.ttl * (1.0 + self.cfg.jitter * (2.0 * u - 1.0))
    }

    #[inline(always)]
    fn answer(&mut self, req: u32) {
        if let Some(a) = self.answers.as_mut() {
            if let Some(x) = a.get_mut(req as usize) {
                *x = x.saturating_add(1);
            }
        }
    }

    fn send_query(&mut self, inst: u32, key: u32, req: u32) {
        let now = self.now;
        // (plain comparisons: `f64::max` is a call to `fmax` at `opt-level = "z"`; no NaN here)
        let start = if self.db_free > now {
            self.db_free
        } else {
            now
        };
        let wait = start - now;
        if wait > self.max_wait {
            self.max_wait = wait;
        }
        self.db_free = start + self.cfg.db_service;
        let t = self.db_free + self.cfg.db_latency;
        // `db_free` never decreases, so neither does `t`: the queue stays sorted
        debug_assert!(self.replies.back().is_none_or(|r| r.t <= t));
        self.replies.push_back(Reply {
            t,
            inst,
            key,
            req,
            sent: now,
        });
        self.queries += 1;
        if now < self.cfg.ttl {
            self.first_ttl_queries += 1;
        }
        let b = ((now / BIN_S) as usize).min(self.bins.len() - 1);
        self.bins[b] += 1;
        self.window.push_back(now);
    }

    fn on_request(&mut self, r: TraceRequest) {
        self.now = r.t;
        let id = self.requests as u32;
        self.requests += 1;
        if let Some(a) = self.answers.as_mut() {
            a.push(0);
        }
        let cfg = &self.cfg;
        // instances are up in index order; instance 0 is always up at t ≥ 0
        let up = if cfg.stagger_window > 0.0 {
            // the quotient is ≥ 0, so truncation is `floor`
            let n = (r.t / cfg.stagger_window * f64::from(cfg.instances)) as i64 + 1;
            n.clamp(1, i64::from(cfg.instances)) as u32
        } else {
            cfg.instances
        };
        let inst = ((r.route * f64::from(up)) as u32).min(up - 1);
        let key = r.key;
        let c = (inst * cfg.keys + key) as usize;
        if r.t < cfg.ttl {
            self.first_ttl_requests += 1;
            if !self.touched[c] {
                self.touched[c] = true;
                self.first_ttl_pairs += 1;
            }
        }
        if self.expires[c] > r.t {
            self.hits += 1;
            self.answer(id);
            self.last = LastEvent::Hit { inst, key };
            return;
        }
        let expired = self.fills[c] > 0;
        if self.cfg.coalesce && self.flight[c] {
            self.waiters.entry(c as u64).or_default().push((id, r.t));
            self.last = LastEvent::Joined { inst, key };
            return;
        }
        if expired {
            self.expired_misses += 1;
        }
        if self.cfg.coalesce {
            self.flight[c] = true;
        }
        self.send_query(inst, key, id);
        self.last = LastEvent::Miss { inst, key, expired };
    }

    fn on_reply(&mut self, r: Reply) {
        self.now = r.t;
        let c = (r.inst * self.cfg.keys + r.key) as usize;
        // a duplicate answer for an entry that is still valid does not extend it
        if self.expires[c] <= r.t {
            let n = self.fills[c];
            self.expires[c] = r.t + self.lifetime(r.inst, r.key, n);
            self.fills[c] = n + 1;
        }
        let mut answered = 1;
        self.latencies.push(r.t - r.sent);
        self.answer(r.req);
        if self.cfg.coalesce {
            self.flight[c] = false;
            if let Some(w) = self.waiters.remove(&(c as u64)) {
                for (id, since) in w {
                    self.latencies.push(r.t - since);
                    self.answer(id);
                    answered += 1;
                }
            }
        }
        self.last = LastEvent::Reply {
            inst: r.inst,
            key: r.key,
            answered,
        };
    }

    /// Run to the end: every arrival, every reply.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// A picture for drawing.
    pub fn snapshot(&self) -> Snapshot {
        let n = self.cfg.instances;
        let since = self.now - 1.0;
        Snapshot {
            t: self.now,
            started: (0..n).map(|i| self.cfg.start_of(i) <= self.now).collect(),
            warmth: (0..n)
                .map(|i| {
                    let row = (i * self.cfg.keys) as usize;
                    self.top_weights
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| self.expires[row + k] > self.now)
                        .map(|(_, w)| w)
                        .sum()
                })
                .collect(),
            db_last_second: self.window.iter().filter(|&&t| t > since).count() as u32,
            capacity: 1.0 / self.cfg.db_service.max(1e-9),
            in_flight: self.replies.len() as u32,
            db_wait: (self.db_free - self.now).max(0.0),
            requests: self.requests,
            hits: self.hits,
            queries: self.queries,
            expired_misses: self.expired_misses,
            bins: self.bins.clone(),
            last: self.last,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Summary of a finished (or partial) run.
    pub fn outcome(&self, name: &str, fixes: Fixes) -> Outcome {
        let cap = 1.0 / self.cfg.db_service.max(1e-9) * BIN_S;
        let (mut peak, mut peak_at) = (0u32, 0.0);
        for (i, &b) in self.bins.iter().enumerate() {
            if b > peak {
                peak = b;
                peak_at = i as f64 * BIN_S;
            }
        }
        let over = self.bins.iter().filter(|&&b| f64::from(b) > cap).count() as u32;
        let p99 = p99_with_zeros(self.hits, &self.latencies);
        Outcome {
            name: name.to_string(),
            fixes,
            peak_qps: peak,
            peak_at_s: peak_at,
            seconds_over: over,
            total_queries: self.queries,
            requests: self.requests,
            hit_ratio: if self.requests > 0 {
                self.hits as f64 / self.requests as f64
            } else {
                0.0
            },
            p99_ms: p99 * 1000.0,
            max_db_wait_ms: self.max_wait * 1000.0,
            expired_misses: self.expired_misses,
            first_ttl_requests: self.first_ttl_requests,
            first_ttl_pairs: self.first_ttl_pairs,
            first_ttl_queries: self.first_ttl_queries,
            qps: self.bins.clone(),
        }
    }

    /// Requests answered from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Database queries so far.
    pub fn queries(&self) -> u64 {
        self.queries
    }

    /// Requests so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Requests still waiting for an answer.
    pub fn waiting(&self) -> u64 {
        self.replies.len() as u64 + self.waiters.values().map(|w| w.len() as u64).sum::<u64>()
    }
}

/// The 99th percentile (nearest rank) of `zeros` zero latencies together with `rest`, in O(n).
fn p99_with_zeros(zeros: u64, rest: &[f64]) -> f64 {
    let n = zeros + rest.len() as u64;
    if n == 0 {
        return 0.0;
    }
    let rank = libm::ceil(0.99 * n as f64).max(1.0) as u64 - 1;
    if rank < zeros {
        return 0.0;
    }
    let mut v = rest.to_vec();
    let i = ((rank - zeros) as usize).min(v.len() - 1);
    *v.select_nth_unstable_by(i, f64::total_cmp).1
}

impl Simulation for HerdSim {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let reply_t = self.replies.front().map(|r| r.t);
        match (self.next, reply_t) {
            (None, None) => false,
            (Some(a), rt) if rt.is_none_or(|t| a.t < t) => {
                self.on_request(a);
                self.next = self.source.next(self.cfg.duration);
                true
            }
            _ => {
                if let Some(r) = self.replies.pop_front() {
                    self.on_reply(r);
                }
                while self.window.front().is_some_and(|&t| t <= self.now - 1.0) {
                    self.window.pop_front();
                }
                true
            }
        }
    }

    fn next_event_time(&self) -> Option<f64> {
        let rt = self.replies.front().map(|r| r.t);
        match (self.next.map(|r| r.t), rt) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// What one configuration did to the database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Name of the scenario.
    pub name: String,
    /// Fixes on.
    pub fixes: Fixes,
    /// Most database queries in one 1-s bin.
    pub peak_qps: u32,
    /// Start of that bin, s.
    pub peak_at_s: f64,
    /// Bins (seconds) in which the database was asked for more than its capacity.
    pub seconds_over: u32,
    /// Database queries in the whole run.
    pub total_queries: u64,
    /// Requests in the whole run.
    pub requests: u64,
    /// Share of requests answered from the cache.
    pub hit_ratio: f64,
    /// 99th percentile of request latency (hits count as 0), ms.
    pub p99_ms: f64,
    /// Longest wait in the database queue, ms.
    pub max_db_wait_ms: f64,
    /// Misses on entries that had been filled and expired.
    pub expired_misses: u64,
    /// Requests arriving before the first TTL ends.
    pub first_ttl_requests: u64,
    /// Distinct (instance, key) pairs those requests touched.
    pub first_ttl_pairs: u64,
    /// Database queries sent before the first TTL ends.
    pub first_ttl_queries: u64,
    /// Database queries per 1-s bin.
    pub qps: Vec<u32>,
}

/// The report: no fixes against the reader's fixes, and each fix alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Database capacity, q/s (the chart's capacity line).
    pub capacity_qps: f64,
    /// Bin width, s.
    pub bin_s: f64,
    /// No fixes.
    pub baseline: Outcome,
    /// The fixes switched on by the knobs.
    pub chosen: Outcome,
    /// Each fix alone, then all four (strengths from the knobs).
    pub table: Vec<Outcome>,
    /// The theory's cold-start burst, `min(first-TTL requests, (instance, key) pairs touched)`:
    /// the floor of the no-fix burst and exactly the burst with coalescing.
    pub burst_bound: u64,
    /// Cache entries loaded by priming (outside this database), for the chosen fixes.
    pub primed_entries: u64,
    /// Plain-language notes on the run.
    pub notes: Vec<String>,
}

#[cfg(test)]
fn run_one(p: &Params, f: Fixes, seed: u64, name: &str) -> Outcome {
    let cfg = Config::new(p, f);
    run_recorded(&cfg, f, seed, name, record_trace(&cfg, seed))
}

fn run_recorded(
    cfg: &Config,
    f: Fixes,
    seed: u64,
    name: &str,
    trace: Rc<[TraceRequest]>,
) -> Outcome {
    let mut s = HerdSim::replaying(cfg, seed, trace);
    s.run_to_end();
    s.outcome(name, f)
}

impl Model for ThunderingHerd {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(p: &Params, seed: u64) -> Report {
        let chosen_f = Fixes {
            stagger: p.stagger,
            jitter: p.jitter,
            coalesce: p.coalesce,
            prime: p.prime,
        };
        let scen = [
            (
                Fixes {
                    stagger: true,
                    ..Fixes::NONE
                },
                "staggered starts",
            ),
            (
                Fixes {
                    jitter: true,
                    ..Fixes::NONE
                },
                "jittered expiry",
            ),
            (
                Fixes {
                    coalesce: true,
                    ..Fixes::NONE
                },
                "request coalescing",
            ),
            (
                Fixes {
                    prime: true,
                    ..Fixes::NONE
                },
                "cache priming",
            ),
            (Fixes::ALL, "all four"),
        ];
        // the fixes change nothing about the requests: one trace serves every scenario
        let trace = record_trace(&Config::new(p, Fixes::NONE), seed);
        let go = |f: Fixes, n: &str| run_recorded(&Config::new(p, f), f, seed, n, trace.clone());
        let baseline = go(Fixes::NONE, "no fixes");
        let mut table = vec![baseline.clone()];
        for (f, n) in scen {
            table.push(go(f, n));
        }
        let chosen = match table.iter().find(|o| o.fixes == chosen_f) {
            Some(o) => Outcome {
                name: "your fixes".into(),
                ..o.clone()
            },
            None => go(chosen_f, "your fixes"),
        };
        let cfg = Config::new(p, chosen_f);
        let burst_bound = baseline.first_ttl_requests.min(baseline.first_ttl_pairs);
        let capacity_qps = 1.0 / cfg.db_service;
        let mut notes = Vec::new();
        let b = &baseline;
        notes.push(format!(
            "Cold start, no fixes: {} database queries in the first TTL ({} s). The theory's floor is one miss per (instance, key) pair touched, {} here (at most min(requests, instances × keys)); the ceiling is one per request, {}, reached when answers are slow and requests for a key already in flight miss again.",
            b.first_ttl_queries, fmt_s(cfg.ttl), burst_bound, b.first_ttl_requests
        ));
        if f64::from(b.peak_qps) > capacity_qps {
            notes.push(format!(
                "Without fixes the database is asked for {} queries in its worst second, {:.1}× its capacity of {:.0} q/s, and is over capacity for {} s.",
                b.peak_qps,
                f64::from(b.peak_qps) / capacity_qps,
                capacity_qps,
                b.seconds_over
            ));
        } else {
            notes.push(
                "Even without fixes the database keeps up here: the herd fits under its capacity."
                    .into(),
            );
        }
        if chosen.fixes != Fixes::NONE {
            notes.push(format!(
                "With {}: peak {} q/s ({} of the unfixed peak), {} s over capacity, {} queries in all.",
                chosen.fixes.name(),
                chosen.peak_qps,
                pct(f64::from(chosen.peak_qps) / f64::from(b.peak_qps.max(1))),
                chosen.seconds_over,
                chosen.total_queries
            ));
        }
        if cfg.prime_keys > 0 && cfg.jitter == 0.0 && cfg.ttl < cfg.duration {
            notes.push("Priming without jitter fills every primed entry at the start, so they all expire together one TTL later: the herd is postponed, not dispersed.".into());
        }
        Report {
            capacity_qps,
            bin_s: BIN_S,
            primed_entries: u64::from(cfg.prime_keys) * u64::from(cfg.instances),
            baseline,
            chosen,
            table,
            burst_bound,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("baseline_peak_qps", f64::from(r.baseline.peak_qps)),
            ("chosen_peak_qps", f64::from(r.chosen.peak_qps)),
            ("chosen_seconds_over", f64::from(r.chosen.seconds_over)),
            ("chosen_total_queries", r.chosen.total_queries as f64),
        ]
    }
}

fn fmt_s(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cfg(p: &Params, f: Fixes) -> Config {
        Config::new(p, f)
    }

    fn run_cfg(c: &Config, seed: u64) -> HerdSim {
        let mut s = HerdSim::new(c, seed).with_tracking();
        s.run_to_end();
        s
    }

    #[test]
    fn default_run_shows_a_herd_that_the_fixes_flatten() {
        let r = ThunderingHerd::run(&Params::default(), 1);
        assert!(
            f64::from(r.baseline.peak_qps) > r.capacity_qps,
            "{}",
            r.baseline.peak_qps
        );
        assert!(r.baseline.seconds_over > 0);
        assert!(
            r.chosen.peak_qps < r.baseline.peak_qps / 2,
            "{} vs {}",
            r.chosen.peak_qps,
            r.baseline.peak_qps
        );
        assert_eq!(r.chosen.seconds_over, 0);
        assert_eq!(r.table.len(), 6);
        assert_eq!(r.table[5].fixes, Fixes::ALL);
        assert_eq!(r.chosen.total_queries, r.table[5].total_queries);
        // the baseline burst happens at the start
        assert!(r.baseline.peak_at_s < 2.0);
    }

    #[test]
    fn p99_counts_hits_as_zero() {
        assert_eq!(p99_with_zeros(0, &[]), 0.0);
        assert_eq!(p99_with_zeros(99, &[5.0]), 0.0);
        assert_eq!(p99_with_zeros(98, &[5.0, 7.0]), 5.0);
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(p99_with_zeros(0, &v), 99.0);
    }

    #[test]
    fn a_replayed_trace_gives_the_live_run() {
        let p = Params::default();
        let c = cfg(&p, Fixes::ALL);
        let mut live = HerdSim::new(&c, 4);
        live.run_to_end();
        let mut rec = HerdSim::replaying(&c, 4, record_trace(&c, 4));
        rec.run_to_end();
        assert_eq!(live.outcome("a", Fixes::ALL), rec.outcome("a", Fixes::ALL));
    }

    #[test]
    fn warmth_starts_cold_or_primed_and_rises() {
        let p = Params {
            prime_keys: 100,
            ..Params::default()
        };
        let cold = HerdSim::new(&cfg(&p, Fixes::NONE), 1);
        assert!(cold.snapshot().warmth.iter().all(|&w| w == 0.0));
        let primed = HerdSim::new(
            &cfg(
                &p,
                Fixes {
                    prime: true,
                    ..Fixes::NONE
                },
            ),
            1,
        );
        let w0 = primed.snapshot().warmth[0];
        assert!(w0 > 0.9 && w0 <= 1.0 + 1e-9, "{w0}");
        let mut s = cold;
        s.advance_to(5.0);
        let snap = s.snapshot();
        assert!(
            snap.warmth.iter().all(|&w| w > 0.2 && w <= 1.0 + 1e-9),
            "{:?}",
            snap.warmth
        );
        assert!(snap.db_last_second > 0);
    }

    #[test]
    fn same_seed_same_report() {
        let p = Params::default();
        assert_eq!(ThunderingHerd::run(&p, 7), ThunderingHerd::run(&p, 7));
        assert_ne!(ThunderingHerd::run(&p, 7), ThunderingHerd::run(&p, 8));
    }

    #[test]
    fn burst_equals_pairs_touched_when_the_database_is_instant() {
        // an instant database: every first miss fills at once, so the first-TTL queries are
        // exactly one per (instance, key) pair touched
        let p = Params {
            instances: 20,
            keys: 50,
            ttl_s: 5.0,
            rate: 400.0,
            ..Params::default()
        };
        let mut c = cfg(&p, Fixes::NONE);
        c.db_service = 0.0;
        c.db_latency = 0.0;
        let s = run_cfg(&c, 3);
        let o = s.outcome("x", Fixes::NONE);
        assert_eq!(o.first_ttl_queries, o.first_ttl_pairs);
        assert!(o.first_ttl_pairs < o.first_ttl_requests);
        assert!(o.first_ttl_pairs <= 20 * 50);
    }

    #[test]
    fn burst_equals_requests_when_the_database_is_slower_than_the_ttl() {
        // no answer comes back within the first TTL: every request in it misses
        let p = Params {
            instances: 10,
            keys: 5,
            ttl_s: 0.5,
            rate: 200.0,
            db_ms: 1000.0,
            ..Params::default()
        };
        let c = cfg(&p, Fixes::NONE);
        let s = run_cfg(&c, 5);
        let o = s.outcome("x", Fixes::NONE);
        assert_eq!(o.first_ttl_queries, o.first_ttl_requests);
        assert!(o.first_ttl_requests > o.first_ttl_pairs);
    }

    #[test]
    fn a_tiny_deterministic_case() {
        // one instance, one key, instant database, TTL longer than the run: exactly one query
        let p = Params {
            instances: 1,
            keys: 1,
            ttl_s: 300.0,
            duration_s: 10.0,
            rate: 100.0,
            ..Params::default()
        };
        let mut c = cfg(&p, Fixes::NONE);
        c.db_service = 0.0;
        c.db_latency = 0.0;
        let s = run_cfg(&c, 1);
        assert_eq!(s.queries(), 1);
        assert_eq!(s.hits(), s.requests() - 1);
        // N instances, K keys all touched: exactly N × K
        let p = Params {
            instances: 4,
            keys: 3,
            zipf: 0.0,
            ttl_s: 300.0,
            duration_s: 30.0,
            rate: 500.0,
            ..Params::default()
        };
        let mut c = cfg(&p, Fixes::NONE);
        c.db_service = 0.0;
        c.db_latency = 0.0;
        let s = run_cfg(&c, 1);
        assert_eq!(s.queries(), 12);
    }

    #[test]
    fn priming_everything_without_expiry_sends_no_query() {
        let p = Params {
            prime_keys: 100,
            ttl_s: 300.0,
            ..Params::default()
        };
        let f = Fixes {
            prime: true,
            ..Fixes::NONE
        };
        let s = run_cfg(&cfg(&p, f), 2);
        assert_eq!(s.queries(), 0);
        assert_eq!(s.hits(), s.requests());
    }

    #[test]
    fn jitter_spreads_the_second_wave() {
        // priming alone moves the herd to t = TTL; jitter spreads it
        let p = Params {
            stagger: false,
            coalesce: false,
            ..Params::default()
        };
        let prime = run_one(
            &p,
            Fixes {
                prime: true,
                ..Fixes::NONE
            },
            1,
            "p",
        );
        let both = run_one(
            &p,
            Fixes {
                prime: true,
                jitter: true,
                ..Fixes::NONE
            },
            1,
            "pj",
        );
        assert!((prime.peak_at_s - 15.0).abs() <= 1.0, "{}", prime.peak_at_s);
        assert!(both.peak_qps < prime.peak_qps);
    }

    #[test]
    fn validation_clamps_primed_keys() {
        let (p, n) = crate::params::from_pairs::<Params>(
            &[
                ("keys".into(), "10".into()),
                ("prime_keys".into(), "50".into()),
                ("instances".into(), "9999".into()),
            ],
            &[],
        );
        assert_eq!(p.prime_keys, 10);
        assert_eq!(p.instances, 200);
        assert_eq!(n.len(), 2);
    }

    #[test]
    fn max_params_stay_bounded() {
        let p = Params {
            instances: 200,
            rate: 2000.0,
            keys: 5000,
            duration_s: 120.0,
            db_capacity: 10.0,
            db_ms: 1000.0,
            ..Params::default()
        };
        let s = run_cfg(&cfg(&p, Fixes::NONE), 1);
        assert_eq!(s.waiting(), 0);
        assert!(s.requests() > 200_000);
    }

    fn small_params() -> impl Strategy<Value = Params> {
        (
            1u32..30,
            10.0f64..600.0,
            1u32..200,
            0.0f64..2.0,
            0.5f64..20.0,
            (10.0f64..2000.0, 0.0f64..200.0),
            5.0f64..20.0,
            any::<[bool; 4]>(),
            (0.0f64..20.0, 0.0f64..50.0, 0u32..200),
        )
            .prop_map(
                |(n, rate, keys, zipf, ttl, (cap, ms), dur, b, (sw, jp, pk))| Params {
                    instances: n,
                    rate,
                    keys,
                    zipf,
                    ttl_s: ttl,
                    db_capacity: cap,
                    db_ms: ms,
                    duration_s: dur,
                    stagger: b[0],
                    stagger_s: sw,
                    jitter: b[1],
                    jitter_pct: jp,
                    coalesce: b[2],
                    prime: b[3],
                    prime_keys: pk.min(keys),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn every_request_is_answered_exactly_once(p in small_params(), seed in 0u64..1000) {
            let f = Fixes { stagger: p.stagger, jitter: p.jitter, coalesce: p.coalesce, prime: p.prime };
            let s = run_cfg(&cfg(&p, f), seed);
            let a = s.answer_counts().unwrap();
            prop_assert_eq!(a.len() as u64, s.requests());
            prop_assert!(a.iter().all(|&x| x == 1));
            prop_assert_eq!(s.waiting(), 0);
            prop_assert!(s.queries() + s.hits() <= s.requests());
        }

        #[test]
        fn coalescing_never_sends_more_queries(p in small_params(), seed in 0u64..1000) {
            let f = Fixes { stagger: p.stagger, jitter: p.jitter, coalesce: false, prime: p.prime };
            let without = run_cfg(&cfg(&p, f), seed);
            let with = run_cfg(&cfg(&p, Fixes { coalesce: true, ..f }), seed);
            prop_assert_eq!(with.requests(), without.requests());
            prop_assert!(with.queries() <= without.queries(), "{} > {}", with.queries(), without.queries());
        }

        #[test]
        fn priming_all_keys_with_no_expiry_sends_no_query(p in small_params(), seed in 0u64..1000) {
            let p = Params { prime: true, prime_keys: p.keys, ttl_s: 300.0, jitter: false, ..p };
            let f = Fixes { stagger: p.stagger, jitter: false, coalesce: p.coalesce, prime: true };
            let s = run_cfg(&cfg(&p, f), seed);
            prop_assert_eq!(s.queries(), 0);
        }

        #[test]
        fn coalescing_makes_the_cold_burst_exactly_the_pair_count(p in small_params(), seed in 0u64..1000) {
            let f = Fixes { coalesce: true, ..Fixes::NONE };
            let o = run_cfg(&cfg(&p, f), seed).outcome("x", f);
            prop_assert_eq!(o.first_ttl_queries, o.first_ttl_pairs);
        }

        #[test]
        fn cold_burst_is_within_the_theory_bound(p in small_params(), seed in 0u64..1000) {
            let s = run_cfg(&cfg(&p, Fixes::NONE), seed);
            let o = s.outcome("x", Fixes::NONE);
            // every pair touched misses once; no request sends more than one query
            prop_assert!(o.first_ttl_pairs <= o.first_ttl_queries);
            prop_assert!(o.first_ttl_queries <= o.first_ttl_requests);
        }
    }
}
