//! # Replication lag (book page 25): stale reads from asynchronous replicas, and their fixes
//!
//! The book's "Replication" card sends writes to one primary and reads to replicas fed by
//! asynchronous replication: read scalability, paid for with lag. This model measures that
//! lag's price, and what each of the usual fixes buys back and costs.
//!
//! **System.** One primary and `replicas` read replicas share one database whose state is a
//! version number (the position in the primary's write log). `clients` clients issue one
//! merged Poisson stream of operations (`op_rate` per second, a share `write_pct` of writes);
//! each operation belongs to a client drawn uniformly. A write commits on the primary at once
//! (the primary's version goes up by one) and is shipped to every replica with its own delay
//! drawn from the lag distribution (mean `lag_ms`: exponential, lognormal with tail `σ`, or
//! fixed). A replica applies the log **in order**: write `k` is applied at
//! `max(apply time of k − 1, commit time + delay)`, so a slow write holds back the ones behind
//! it. Fault: replica 1 can stop applying for a window (`pause_from_s`, `pause_for_s`);
//! whatever reaches it then waits for the window's end.
//!
//! **Reads** go where a routing policy says ([`Policy`]); every policy is evaluated on the
//! very same operations and replication timeline (common random numbers), so their
//! differences are the policies', not the dice's:
//! - `random`: a replica chosen uniformly;
//! - `primary`: always the primary (strict; never stale);
//! - `ryw`: the primary for `ryw_window_ms` after the client's own last write, else random;
//! - `sticky`: client `c` always reads replica `c mod replicas`;
//! - `monotonic`: the client carries a token, the highest version it has *read*; a replica
//!   behind the token **redirects** the read to the primary (one more round trip), it never
//!   waits;
//! - `session`: the same, but the token also holds the client's own writes (a session token,
//!   as in session-consistency stores).
//!
//! **Measured** per policy: stale reads (the version returned is older than the primary's at
//! that instant), read-your-writes violations (older than the client's own last write),
//! monotonic-read violations (older than a version the client read before), the primary's
//! share of reads, and read latency (one round trip, two when redirected).
//!
//! **Theory.** A replica is behind at time `t` exactly when some write committed before `t`
//! has not yet *arrived* (in-order application only re-times applies, it never changes which
//! instants are behind). Writes are Poisson at rate `λw` and each is in flight for its delay
//! `D`, so the number in flight is that of an M/G/∞ queue: Poisson with mean `λw·E[D]`,
//! whatever the delay's shape. With Poisson reads (PASTA), a read from a random replica is
//! stale with probability `1 − e^{−λw·L}` ([`theory_stale`]). A write's visibility on one
//! replica `τ` after commit (the PBS *t-visibility* of Bailis et al., VLDB 2012): alone,
//! `P(not visible) = P(D > τ)` (`e^{−τ/L}` for exponential lag); behind a Poisson stream of
//! earlier writes that must be applied first,
//! `P(not visible) = 1 − P(D ≤ τ)·exp(−λw·E[(D − τ)⁺])` ([`theory_invisible`]).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::replication_lag::{Params, ReplicationLag};
//! let r = ReplicationLag::run(&Params::default(), 1);
//! let strict = r.policies.iter().find(|p| p.policy == "primary").unwrap();
//! assert_eq!(strict.stale_frac, 0.0);
//! assert!(r.policies.iter().find(|p| p.policy == "random").unwrap().stale_frac > 0.0);
//! ```

use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The replication-lag model.
pub struct ReplicationLag;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

const REPLICAS_MAX: u32 = 5;
const CLIENTS_MAX: u32 = 50;
const RATE_MIN: f64 = 1.0;
const RATE_MAX: f64 = 1000.0;
const WRITE_MIN: f64 = 1.0;
const WRITE_MAX: f64 = 90.0;
const LAG_MIN: f64 = 0.1;
const LAG_MAX: f64 = 2000.0;
const SIGMA_MIN: f64 = 0.1;
const SIGMA_MAX: f64 = 2.5;
const WINDOW_MAX: f64 = 10_000.0;
const RTT_MIN: f64 = 0.1;
const RTT_MAX: f64 = 100.0;
const DURATION_MIN: f64 = 1.0;
const DURATION_MAX: f64 = 60.0;

/// The knobs of the replication-lag model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Number of asynchronous read replicas (1–5).
    pub replicas: u32,
    /// Number of clients sharing the operation stream (1–50).
    pub clients: u32,
    /// Operations per second, all clients together (Poisson), 1–1000.
    pub op_rate: f64,
    /// Share of operations that are writes, in percent (1–90).
    pub write_pct: f64,
    /// Mean replication delay of one write to one replica, in ms (0.1–2000).
    pub lag_ms: f64,
    /// Shape of the replication delay: `"exponential"`, `"lognormal"` or `"fixed"`.
    pub lag_dist: String,
    /// Tail parameter σ of the lognormal delay (its mean stays `lag_ms`), 0.1–2.5.
    pub lag_sigma: f64,
    /// The routing policy drawn live and headlined: see [`Policy`].
    pub policy: String,
    /// Read-your-writes window T: reads go to the primary this long after the client's own
    /// write, in ms (0–10 000).
    pub ryw_window_ms: f64,
    /// Network round trip of one read, in ms (0.1–100); a redirected read pays two.
    pub rtt_ms: f64,
    /// When replica 1 stops applying writes, in seconds from the start (0–60).
    pub pause_from_s: f64,
    /// How long replica 1 stays paused, in seconds (0 = no fault), 0–60.
    pub pause_for_s: f64,
    /// Simulated seconds of operations (1–60); replication then drains.
    pub duration_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            replicas: 2,
            clients: 10,
            op_rate: 200.0,
            write_pct: 10.0,
            lag_ms: 20.0,
            lag_dist: "exponential".into(),
            lag_sigma: 1.0,
            policy: "random".into(),
            ryw_window_ms: 200.0,
            rtt_ms: 1.0,
            pause_from_s: 3.0,
            pause_for_s: 0.0,
            duration_s: 10.0,
        }
    }
}

static DISTS: &[(&str, &str)] = &[
    ("exponential", "Exponential"),
    ("lognormal", "Lognormal"),
    ("fixed", "Fixed"),
];

static POLICIES: &[(&str, &str)] = &[
    ("random", "Random replica"),
    ("primary", "Primary only"),
    ("ryw", "RYW window"),
    ("sticky", "Sticky session"),
    ("monotonic", "Monotonic token"),
    ("session", "Session token"),
];

static KNOBS: &[Knob] = &[
    Knob {
        key: "replicas",
        label: "Replicas",
        unit: "",
        help: "Asynchronous read replicas fed by the primary's write log.",
        kind: KnobKind::Int { min: 1, max: REPLICAS_MAX as i64, log: false },
    },
    Knob {
        key: "clients",
        label: "Clients",
        unit: "",
        help: "Clients sharing the operation stream; each remembers its own writes and reads.",
        kind: KnobKind::Int { min: 1, max: CLIENTS_MAX as i64, log: false },
    },
    Knob {
        key: "op_rate",
        label: "Operations",
        unit: "ops/s",
        help: "Reads and writes per second, all clients together, at random (Poisson) moments.",
        kind: KnobKind::Float { min: RATE_MIN, max: RATE_MAX, step: 1.0, log: true },
    },
    Knob {
        key: "write_pct",
        label: "Writes",
        unit: "%",
        help: "Share of operations that are writes; the rest are reads.",
        kind: KnobKind::Float { min: WRITE_MIN, max: WRITE_MAX, step: 1.0, log: false },
    },
    Knob {
        key: "lag_ms",
        label: "Mean replication lag L",
        unit: "ms",
        help: "Average delay before a write reaches one replica.",
        kind: KnobKind::Float { min: LAG_MIN, max: LAG_MAX, step: 0.1, log: true },
    },
    Knob {
        key: "lag_dist",
        label: "Lag distribution",
        unit: "",
        help: "Shape of the delay around its mean: exponential, lognormal (tail set by σ) or always exactly L.",
        kind: KnobKind::Choice { options: DISTS },
    },
    Knob {
        key: "lag_sigma",
        label: "Lognormal tail σ",
        unit: "",
        help: "Spread of the lognormal delay; larger σ means rarer but much longer delays (same mean).",
        kind: KnobKind::Float { min: SIGMA_MIN, max: SIGMA_MAX, step: 0.1, log: false },
    },
    Knob {
        key: "policy",
        label: "Read routing",
        unit: "",
        help: "Where reads go (played live and headlined; the table compares all six). Tokens redirect to the primary when a replica is behind.",
        kind: KnobKind::Choice { options: POLICIES },
    },
    Knob {
        key: "ryw_window_ms",
        label: "Read-your-writes window T",
        unit: "ms",
        help: "Under the RYW policy a client reads from the primary for this long after its own write.",
        kind: KnobKind::Float { min: 0.0, max: WINDOW_MAX, step: 1.0, log: false },
    },
    Knob {
        key: "rtt_ms",
        label: "Read round trip",
        unit: "ms",
        help: "Network round trip of one read; a read redirected to the primary pays it twice.",
        kind: KnobKind::Float { min: RTT_MIN, max: RTT_MAX, step: 0.1, log: true },
    },
    Knob {
        key: "pause_from_s",
        label: "Fault: pause replica 1 at",
        unit: "s",
        help: "When replica 1 stops applying writes (they queue up until it resumes).",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.1, log: false },
    },
    Knob {
        key: "pause_for_s",
        label: "Fault: pause length",
        unit: "s",
        help: "How long replica 1 stays paused; 0 means no fault.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.1, log: false },
    },
    Knob {
        key: "duration_s",
        label: "Simulated time",
        unit: "s",
        help: "Seconds of operations simulated; replication then drains.",
        kind: KnobKind::Float { min: DURATION_MIN, max: DURATION_MAX, step: 1.0, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// A pause that would start after the operations end is moved inside the run.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.pause_for_s > 0.0 && self.pause_from_s >= self.duration_s {
            let from = libm::floor(self.duration_s / 2.0 * 10.0) / 10.0;
            notices.push(Notice::new(
                "pause_from_s",
                format!(
                    "the pause must start within the {} s run; starting it at {from} s",
                    self.duration_s
                ),
            ));
            self.pause_from_s = from;
        }
    }
}

/// The shape of the replication delay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LagDist {
    /// Exponential with mean `L`.
    Exponential,
    /// Lognormal with mean `L` and log-space standard deviation `σ`.
    Lognormal(f64),
    /// Always exactly `L`.
    Fixed,
}

impl LagDist {
    /// From the knob values (unknown names fall back to exponential).
    pub fn from_params(p: &Params) -> LagDist {
        match p.lag_dist.as_str() {
            "lognormal" => LagDist::Lognormal(clampf(p.lag_sigma, SIGMA_MIN, SIGMA_MAX, 1.0)),
            "fixed" => LagDist::Fixed,
            _ => LagDist::Exponential,
        }
    }

    /// A delay with mean 1 (multiply by `L`).
    fn unit_draw(self, rng: &mut Rng) -> f64 {
        match self {
            LagDist::Exponential => rng.exp(1.0),
            LagDist::Fixed => 1.0,
            LagDist::Lognormal(s) => {
                // Box–Muller; exp(σZ − σ²/2) has mean 1.
                let (u1, u2) = (rng.uniform_open0(), rng.uniform());
                let z =
                    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2);
                libm::exp(s * z - s * s / 2.0)
            }
        }
    }

    /// `P(D > τ)` for mean `l` (ms).
    pub fn survival(self, tau: f64, l: f64) -> f64 {
        if tau < 0.0 {
            return 1.0;
        }
        match self {
            LagDist::Exponential => libm::exp(-tau / l),
            LagDist::Fixed => {
                if tau < l {
                    1.0
                } else {
                    0.0
                }
            }
            LagDist::Lognormal(s) => {
                if tau <= 0.0 {
                    return 1.0;
                }
                let mu = libm::log(l) - s * s / 2.0;
                0.5 * libm::erfc((libm::log(tau) - mu) / (s * std::f64::consts::SQRT_2))
            }
        }
    }

    /// `E[(D − τ)⁺]` for mean `l`: the mean time a write is still in flight past `τ`.
    pub fn excess(self, tau: f64, l: f64) -> f64 {
        let tau = tau.max(0.0);
        match self {
            LagDist::Exponential => l * libm::exp(-tau / l),
            LagDist::Fixed => (l - tau).max(0.0),
            LagDist::Lognormal(s) => {
                if tau <= 0.0 {
                    return l;
                }
                // E[(D − τ)⁺] = L·Φ(d₁) − τ·Φ(d₂), d₂ = (μ − ln τ)/σ, d₁ = d₂ + σ.
                let mu = libm::log(l) - s * s / 2.0;
                let d2 = (mu - libm::log(tau)) / s;
                (l * phi(d2 + s) - tau * phi(d2)).max(0.0)
            }
        }
    }
}

/// Standard normal CDF.
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Probability that a read from a random (unpaused) replica is stale, in steady state:
/// `1 − e^{−λw·L}` for writes at `write_rate_per_s` and mean lag `lag_ms`, any delay shape.
pub fn theory_stale(write_rate_per_s: f64, lag_ms: f64) -> f64 {
    -libm::expm1(-write_rate_per_s * lag_ms / 1000.0)
}

/// Probability that a write is not yet applied on one replica `tau_ms` after it committed,
/// behind a Poisson stream of earlier writes at `write_rate_per_s` that are applied in order:
/// `1 − P(D ≤ τ)·exp(−λw·E[(D − τ)⁺])`. With `write_rate_per_s = 0` it is `P(D > τ)`.
pub fn theory_invisible(dist: LagDist, tau_ms: f64, lag_ms: f64, write_rate_per_s: f64) -> f64 {
    let own = 1.0 - dist.survival(tau_ms, lag_ms);
    let others = libm::exp(-write_rate_per_s / 1000.0 * dist.excess(tau_ms, lag_ms));
    (1.0 - own * others).clamp(0.0, 1.0)
}

/// `x` clamped into `lo..=hi`, `def` for NaN.
fn clampf(x: f64, lo: f64, hi: f64, def: f64) -> f64 {
    if x.is_nan() {
        def
    } else {
        x.clamp(lo, hi)
    }
}

impl Params {
    /// A copy with every field forced into range, so the simulation never misbehaves even on
    /// params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let known = |v: &str, opts: &[(&str, &str)], def: &str| {
            if opts.iter().any(|(k, _)| *k == v) {
                v.to_string()
            } else {
                def.to_string()
            }
        };
        Params {
            replicas: self.replicas.clamp(1, REPLICAS_MAX),
            clients: self.clients.clamp(1, CLIENTS_MAX),
            op_rate: clampf(self.op_rate, RATE_MIN, RATE_MAX, d.op_rate),
            write_pct: clampf(self.write_pct, WRITE_MIN, WRITE_MAX, d.write_pct),
            lag_ms: clampf(self.lag_ms, LAG_MIN, LAG_MAX, d.lag_ms),
            lag_dist: known(&self.lag_dist, DISTS, &d.lag_dist),
            lag_sigma: clampf(self.lag_sigma, SIGMA_MIN, SIGMA_MAX, d.lag_sigma),
            policy: known(&self.policy, POLICIES, &d.policy),
            ryw_window_ms: clampf(self.ryw_window_ms, 0.0, WINDOW_MAX, d.ryw_window_ms),
            rtt_ms: clampf(self.rtt_ms, RTT_MIN, RTT_MAX, d.rtt_ms),
            pause_from_s: clampf(self.pause_from_s, 0.0, DURATION_MAX, d.pause_from_s),
            pause_for_s: clampf(self.pause_for_s, 0.0, DURATION_MAX, 0.0),
            duration_s: clampf(self.duration_s, DURATION_MIN, DURATION_MAX, d.duration_s),
        }
    }

    /// Writes per second (all clients).
    pub fn write_rate(&self) -> f64 {
        let p = self.sanitised();
        p.op_rate * p.write_pct / 100.0
    }
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/// A read-routing policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// A uniformly random replica.
    Random,
    /// Always the primary.
    Primary,
    /// The primary within the RYW window after the client's own write, else random.
    ReadYourWrites,
    /// Client `c` reads replica `c mod replicas`.
    Sticky,
    /// Random replica; redirect to the primary if it is behind the client's highest read.
    Monotonic,
    /// Random replica; redirect if behind the client's highest read or own write.
    Session,
}

/// Every policy, in table order.
pub const ALL_POLICIES: [Policy; 6] = [
    Policy::Random,
    Policy::Primary,
    Policy::ReadYourWrites,
    Policy::Sticky,
    Policy::Monotonic,
    Policy::Session,
];

impl Policy {
    /// The knob value naming this policy.
    pub fn key(self) -> &'static str {
        match self {
            Policy::Random => "random",
            Policy::Primary => "primary",
            Policy::ReadYourWrites => "ryw",
            Policy::Sticky => "sticky",
            Policy::Monotonic => "monotonic",
            Policy::Session => "session",
        }
    }

    /// The policy named by a knob value (unknown names: random).
    pub fn from_key(k: &str) -> Policy {
        ALL_POLICIES
            .into_iter()
            .find(|p| p.key() == k)
            .unwrap_or(Policy::Random)
    }

    /// Position in [`ALL_POLICIES`].
    pub fn index(self) -> usize {
        ALL_POLICIES.iter().position(|&p| p == self).unwrap_or(0)
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Policy::Random => "random replica",
            Policy::Primary => "primary only",
            Policy::ReadYourWrites => "RYW window",
            Policy::Sticky => "sticky session",
            Policy::Monotonic => "monotonic token",
            Policy::Session => "session token",
        }
    }
}

/// Where one read was served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// By the primary, routed there directly.
    Primary,
    /// By replica `i` (0-based).
    Replica(u32),
    /// Sent to replica `i`, found behind the client's token, redirected to the primary.
    Redirected(u32),
}

/// Counts of one policy over a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyStats {
    /// The policy's knob value.
    pub policy: String,
    /// Reads measured.
    pub reads: u64,
    /// Reads that returned a version older than the primary's at that instant.
    pub stale: u64,
    /// Reads older than the reading client's own last write.
    pub ryw_violations: u64,
    /// Reads older than a version the same client had read before.
    pub mono_violations: u64,
    /// Reads routed straight to the primary.
    pub primary_direct: u64,
    /// Reads redirected from a replica to the primary.
    pub redirected: u64,
    /// Sum over stale reads of the age of the oldest write they missed, in ms.
    pub stale_age_sum_ms: f64,
    /// Largest such age, in ms.
    pub stale_age_max_ms: f64,
}

impl PolicyStats {
    fn frac(&self, n: u64) -> f64 {
        if self.reads == 0 {
            0.0
        } else {
            n as f64 / self.reads as f64
        }
    }
    /// Share of reads that were stale.
    pub fn stale_frac(&self) -> f64 {
        self.frac(self.stale)
    }
    /// Share of reads that violated read-your-writes.
    pub fn ryw_frac(&self) -> f64 {
        self.frac(self.ryw_violations)
    }
    /// Share of reads that violated monotonic reads.
    pub fn mono_frac(&self) -> f64 {
        self.frac(self.mono_violations)
    }
    /// Share of reads the primary served (direct or redirected).
    pub fn primary_share(&self) -> f64 {
        self.frac(self.primary_direct + self.redirected)
    }
    /// Share of reads redirected.
    pub fn redirect_frac(&self) -> f64 {
        self.frac(self.redirected)
    }
    /// Mean read latency for round trip `rtt_ms` (a redirect costs a second one).
    pub fn mean_latency_ms(&self, rtt_ms: f64) -> f64 {
        if self.reads == 0 {
            0.0
        } else {
            rtt_ms * (self.reads + self.redirected) as f64 / self.reads as f64
        }
    }
    /// Mean age of the oldest missed write over stale reads, in ms.
    pub fn mean_stale_age_ms(&self) -> f64 {
        if self.stale == 0 {
            0.0
        } else {
            self.stale_age_sum_ms / self.stale as f64
        }
    }
}

/// One client's memory under one policy.
#[derive(Clone, Copy, Debug, Default)]
struct ClientView {
    /// Highest version this client has read under this policy.
    max_read: u64,
}

/// One client's own writes (the same under every policy).
#[derive(Clone, Copy, Debug, Default)]
struct ClientWrites {
    last_version: u64,
    last_time: f64,
    wrote: bool,
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// One write on its way to (or waiting at) one replica.
#[derive(Clone, Copy, Debug)]
struct Pending {
    sent: f64,
    apply: f64,
}

/// A replica: its applied version and the writes not yet applied, in log order.
#[derive(Clone, Debug)]
struct Replica {
    version: u64,
    last_apply: f64,
    pending: VecDeque<Pending>,
}

/// The outcome of the latest read of the drawn policy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadEvent {
    /// Simulated time, seconds.
    pub t: f64,
    /// The reading client (0-based).
    pub client: u32,
    /// Where it was served.
    pub target: Target,
    /// Version returned.
    pub version: u64,
    /// Primary's version at that instant.
    pub primary_version: u64,
    /// Older than the primary's.
    pub stale: bool,
    /// Older than the client's own last write.
    pub ryw_violation: bool,
    /// Older than a version the client read before.
    pub mono_violation: bool,
}

/// How many replicas' in-flight writes [`Snapshot`] lists, per replica.
pub const IN_FLIGHT_SHOWN: usize = 24;

/// One replica as drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaSnap {
    /// Applied version.
    pub version: u64,
    /// Versions behind the primary.
    pub behind: u64,
    /// Age of the oldest write not yet applied, in ms (0 when caught up).
    pub lag_ms: f64,
    /// Whether it is paused (the fault) now.
    pub paused: bool,
    /// Progress (0–1) of up to [`IN_FLIGHT_SHOWN`] of the oldest writes on their way.
    pub in_flight: Vec<f64>,
}

/// Plain data for drawing the system at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Simulated time, seconds.
    pub t: f64,
    /// The primary's version.
    pub primary_version: u64,
    /// The replicas.
    pub replicas: Vec<ReplicaSnap>,
    /// The drawn policy's counts so far.
    pub stats: PolicyStats,
    /// The latest few reads of the drawn policy, oldest first (at most 8).
    pub recent: Vec<ReadEvent>,
}

/// Buckets of the time line.
const BUCKETS: usize = 120;

/// One bucket of the time line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimePoint {
    /// Bucket end, seconds.
    pub t: f64,
    /// Most versions each replica was behind during the bucket.
    pub behind: Vec<u64>,
    /// Share of the drawn policy's reads in the bucket that were stale (None: no reads).
    pub stale_frac: Option<f64>,
}

/// A seeded discrete-event simulation of one primary, its replicas and the clients' reads,
/// evaluating every routing policy on the same operations.
///
/// Streams: `"ops"` (arrival gaps, client, read or write), `"lag"` (one unit-mean delay per
/// write per replica, scaled by `L`), `"route"` (one uniform per read, shared by the
/// policies that choose a replica at random).
#[derive(Clone, Debug)]
pub struct ReplicationSim {
    dist: LagDist,
    lag_ms: f64,
    window_s: f64,
    replicas_n: u32,
    clients_n: u32,
    mean_gap_s: f64,
    write_p: f64,
    duration_s: f64,
    pause: Option<(f64, f64)>,
    drawn: usize,
    ops_rng: Rng,
    lag_rng: Rng,
    route_rng: Rng,
    now: f64,
    next_op: Option<f64>,
    primary_version: u64,
    commit_times: Vec<f64>,
    replicas: Vec<Replica>,
    writes: Vec<ClientWrites>,
    views: Vec<Vec<ClientView>>,
    stats: Vec<PolicyStats>,
    ops: u64,
    reads: u64,
    visibility_ms: Vec<f64>,
    recent: VecDeque<ReadEvent>,
    timeline: Vec<TimePoint>,
    open_max: Vec<u64>,
    bucket_reads: u64,
    bucket_stale: u64,
    record: bool,
    pause_reads: [u64; 2],
    pause_stale: [u64; 2],
}

impl ReplicationSim {
    /// A fresh simulation of `p` with `seed`; the first operation is scheduled.
    pub fn new(p: &Params, seed: u64) -> ReplicationSim {
        let p = p.sanitised();
        Self::with_lag(&p, p.lag_ms, seed)
    }

    fn with_lag(p: &Params, lag_ms: f64, seed: u64) -> ReplicationSim {
        let n = p.replicas as usize;
        let pause =
            (p.pause_for_s > 0.0).then_some((p.pause_from_s, p.pause_from_s + p.pause_for_s));
        let mut sim = ReplicationSim {
            dist: LagDist::from_params(p),
            lag_ms,
            window_s: p.ryw_window_ms / 1000.0,
            replicas_n: p.replicas,
            clients_n: p.clients,
            mean_gap_s: 1.0 / p.op_rate,
            write_p: p.write_pct / 100.0,
            duration_s: p.duration_s,
            pause,
            drawn: Policy::from_key(&p.policy).index(),
            ops_rng: Rng::derive(seed, "ops"),
            lag_rng: Rng::derive(seed, "lag"),
            route_rng: Rng::derive(seed, "route"),
            now: 0.0,
            next_op: None,
            primary_version: 0,
            commit_times: Vec::new(),
            replicas: vec![
                Replica {
                    version: 0,
                    last_apply: 0.0,
                    pending: VecDeque::new(),
                };
                n
            ],
            writes: vec![ClientWrites::default(); p.clients as usize],
            views: vec![vec![ClientView::default(); p.clients as usize]; ALL_POLICIES.len()],
            stats: ALL_POLICIES
                .iter()
                .map(|q| PolicyStats {
                    policy: q.key().into(),
                    ..PolicyStats::default()
                })
                .collect(),
            ops: 0,
            reads: 0,
            visibility_ms: Vec::new(),
            recent: VecDeque::with_capacity(8),
            timeline: Vec::with_capacity(BUCKETS),
            open_max: vec![0; n],
            bucket_reads: 0,
            bucket_stale: 0,
            record: true,
            pause_reads: [0; 2],
            pause_stale: [0; 2],
        };
        let first = sim.ops_rng.exp(sim.mean_gap_s);
        sim.next_op = (first < sim.duration_s).then_some(first);
        sim
    }

    fn bucket_len(&self) -> f64 {
        self.duration_s / BUCKETS as f64
    }

    fn behind(&self, r: usize) -> u64 {
        self.primary_version - self.replicas[r].version
    }

    /// Close every time-line bucket that ends at or before `t` (up to the run's end).
    fn close_buckets(&mut self, t: f64) {
        let dt = self.bucket_len();
        while self.timeline.len() < BUCKETS && (self.timeline.len() + 1) as f64 * dt <= t {
            self.push_bucket();
        }
    }

    fn push_bucket(&mut self) {
        let i = self.timeline.len();
        let mut behind = Vec::with_capacity(self.replicas.len());
        for r in 0..self.replicas.len() {
            let now = self.behind(r);
            behind.push(self.open_max[r].max(now));
            self.open_max[r] = now;
        }
        let stale_frac =
            (self.bucket_reads > 0).then(|| self.bucket_stale as f64 / self.bucket_reads as f64);
        self.timeline.push(TimePoint {
            t: (i + 1) as f64 * self.bucket_len(),
            behind,
            stale_frac,
        });
        self.bucket_reads = 0;
        self.bucket_stale = 0;
    }

    /// Raise the open bucket's maximum lag to the current one.
    fn note_behind(&mut self) {
        for r in 0..self.replicas.len() {
            let b = self.behind(r);
            if let Some(m) = self.open_max.get_mut(r) {
                *m = (*m).max(b);
            }
        }
    }

    fn paused_at(&self, t: f64) -> bool {
        self.pause.is_some_and(|(a, b)| t >= a && t < b)
    }

    fn on_write(&mut self, client: u32) {
        let t = self.now;
        self.primary_version += 1;
        self.commit_times.push(t);
        let w = &mut self.writes[client as usize];
        w.last_version = self.primary_version;
        w.last_time = t;
        w.wrote = true;
        for r in 0..self.replicas.len() {
            let d = self.dist.unit_draw(&mut self.lag_rng) * self.lag_ms / 1000.0;
            let rep = &mut self.replicas[r];
            let mut apply = (t + d).max(rep.last_apply);
            if r == 0 {
                if let Some((a, b)) = self.pause {
                    if apply >= a && apply < b {
                        apply = b;
                    }
                }
            }
            rep.last_apply = apply;
            rep.pending.push_back(Pending { sent: t, apply });
            if self.record {
                self.visibility_ms.push((apply - t) * 1000.0);
            }
        }
    }

    fn on_read(&mut self, client: u32) {
        let u = self.route_rng.uniform();
        let n = self.replicas_n;
        let random_replica = ((u * f64::from(n)) as u32).min(n - 1);
        let c = client as usize;
        let own = self.writes[c];
        let pv = self.primary_version;
        let in_pause = self.pause.map(|(a, b)| self.now >= a && self.now < b);
        for (k, &policy) in ALL_POLICIES.iter().enumerate() {
            let view = self.views[k][c];
            let target = match policy {
                Policy::Random => Target::Replica(random_replica),
                Policy::Primary => Target::Primary,
                Policy::ReadYourWrites => {
                    if own.wrote && self.now < own.last_time + self.window_s {
                        Target::Primary
                    } else {
                        Target::Replica(random_replica)
                    }
                }
                Policy::Sticky => Target::Replica(client % n),
                Policy::Monotonic | Policy::Session => {
                    let token = if policy == Policy::Session {
                        view.max_read.max(own.last_version)
                    } else {
                        view.max_read
                    };
                    if self.replicas[random_replica as usize].version < token {
                        Target::Redirected(random_replica)
                    } else {
                        Target::Replica(random_replica)
                    }
                }
            };
            let version = match target {
                Target::Replica(i) => self.replicas[i as usize].version,
                Target::Primary | Target::Redirected(_) => pv,
            };
            let stale = version < pv;
            let ryw = version < own.last_version;
            let mono = version < view.max_read;
            let s = &mut self.stats[k];
            s.reads += 1;
            match target {
                Target::Primary => s.primary_direct += 1,
                Target::Redirected(_) => s.redirected += 1,
                Target::Replica(_) => {}
            }
            if stale {
                s.stale += 1;
                let age = (self.now - self.commit_times[version as usize]) * 1000.0;
                s.stale_age_sum_ms += age;
                s.stale_age_max_ms = s.stale_age_max_ms.max(age);
            }
            s.ryw_violations += u64::from(ryw);
            s.mono_violations += u64::from(mono);
            self.views[k][c].max_read = view.max_read.max(version);
            if k == self.drawn {
                self.bucket_reads += 1;
                self.bucket_stale += u64::from(stale);
                if let Some(inside) = in_pause {
                    let i = usize::from(inside);
                    self.pause_reads[i] += 1;
                    self.pause_stale[i] += u64::from(stale);
                }
                if self.recent.len() == 8 {
                    self.recent.pop_front();
                }
                self.recent.push_back(ReadEvent {
                    t: self.now,
                    client,
                    target,
                    version,
                    primary_version: pv,
                    stale,
                    ryw_violation: ryw,
                    mono_violation: mono,
                });
            }
        }
        self.reads += 1;
    }

    fn on_op(&mut self) {
        self.ops += 1;
        let client = self.ops_rng.below(u64::from(self.clients_n)) as u32;
        if self.ops_rng.chance(self.write_p) {
            self.on_write(client);
        } else {
            self.on_read(client);
        }
        let next = self.now + self.ops_rng.exp(self.mean_gap_s);
        self.next_op = (next < self.duration_s).then_some(next);
    }

    /// The replica whose next apply is earliest, and when.
    fn next_apply(&self) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (i, r) in self.replicas.iter().enumerate() {
            if let Some(p) = r.pending.front() {
                if best.is_none_or(|(_, t)| p.apply < t) {
                    best = Some((i, p.apply));
                }
            }
        }
        best
    }

    /// Run every remaining event.
    pub fn run_to_end(&mut self) {
        while self.step() {}
        self.close_buckets(f64::INFINITY);
    }

    /// Whether every operation has happened and every write is applied everywhere.
    pub fn is_done(&self) -> bool {
        self.next_event_time().is_none()
    }

    /// The counts of every policy so far, in [`ALL_POLICIES`] order.
    pub fn stats(&self) -> &[PolicyStats] {
        &self.stats
    }

    /// The primary's version now.
    pub fn primary_version(&self) -> u64 {
        self.primary_version
    }

    /// Each replica's applied version now.
    pub fn replica_versions(&self) -> Vec<u64> {
        self.replicas.iter().map(|r| r.version).collect()
    }

    /// Operations so far.
    pub fn ops(&self) -> u64 {
        self.ops
    }

    /// Reads so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// The state now, as plain data for drawing.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.now;
        Snapshot {
            t: now,
            primary_version: self.primary_version,
            replicas: self
                .replicas
                .iter()
                .enumerate()
                .map(|(i, r)| ReplicaSnap {
                    version: r.version,
                    behind: self.primary_version - r.version,
                    lag_ms: r
                        .pending
                        .front()
                        .map_or(0.0, |p| (now - p.sent).max(0.0) * 1000.0),
                    paused: i == 0 && self.paused_at(now),
                    in_flight: r
                        .pending
                        .iter()
                        .take(IN_FLIGHT_SHOWN)
                        .map(|p| {
                            let span = p.apply - p.sent;
                            if span > 0.0 {
                                ((now - p.sent) / span).clamp(0.0, 1.0)
                            } else {
                                1.0
                            }
                        })
                        .collect(),
                })
                .collect(),
            stats: self.stats[self.drawn].clone(),
            recent: self.recent.iter().copied().collect(),
        }
    }
}

impl Simulation for ReplicationSim {
    fn now(&self) -> f64 {
        self.now
    }

    /// The next event: a replica applying its next write (first, on ties) or an operation.
    fn step(&mut self) -> bool {
        let apply = self.next_apply();
        let op = self.next_op;
        match (apply, op) {
            (None, None) => false,
            (Some((r, t)), o) if o.is_none_or(|o| t <= o) => {
                self.close_buckets(t);
                self.now = self.now.max(t);
                let rep = &mut self.replicas[r];
                rep.pending.pop_front();
                rep.version += 1;
                true
            }
            (_, Some(t)) => {
                self.close_buckets(t);
                self.now = t;
                self.on_op();
                self.note_behind();
                true
            }
            (Some(_), None) => false,
        }
    }

    fn next_event_time(&self) -> Option<f64> {
        match (self.next_apply().map(|a| a.1), self.next_op) {
            (Some(a), Some(o)) => Some(a.min(o)),
            (a, o) => a.or(o),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// One policy's measured figures at the chosen lag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    /// The policy's knob value.
    pub policy: String,
    /// A short label.
    pub label: String,
    /// Reads measured.
    pub reads: u64,
    /// Share of reads that were stale.
    pub stale_frac: f64,
    /// Share of reads violating read-your-writes.
    pub ryw_frac: f64,
    /// Share of reads violating monotonic reads.
    pub mono_frac: f64,
    /// Share of reads the primary served (direct or redirected).
    pub primary_share: f64,
    /// Share of reads redirected to the primary.
    pub redirect_frac: f64,
    /// Mean read latency, ms.
    pub mean_latency_ms: f64,
    /// Mean age of the oldest write a stale read missed, ms (0 without stale reads).
    pub mean_stale_age_ms: f64,
    /// Largest such age, ms.
    pub max_stale_age_ms: f64,
    /// The raw counts.
    pub counts: PolicyStats,
}

/// Every policy at one mean lag of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Mean lag, ms.
    pub lag_ms: f64,
    /// `1 − e^{−λw·L}`.
    pub theory_stale: f64,
    /// Stale share per policy, in [`ALL_POLICIES`] order.
    pub stale: Vec<f64>,
    /// Read-your-writes violation share per policy.
    pub ryw: Vec<f64>,
    /// Monotonic-read violation share per policy.
    pub mono: Vec<f64>,
    /// Primary's share of reads per policy.
    pub primary_share: Vec<f64>,
}

/// One point of the visibility curve: how often a write is still not applied `τ` after commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisPoint {
    /// Time since commit, ms.
    pub tau_ms: f64,
    /// Measured share of (write, replica) pairs not yet applied.
    pub measured: f64,
    /// In-order theory behind a Poisson write stream ([`theory_invisible`]).
    pub theory: f64,
    /// A write on its own: `P(D > τ)` (`e^{−τ/L}` when exponential).
    pub alone: f64,
}

/// What the pause of replica 1 did to the drawn policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseReport {
    /// Pause start, s.
    pub from_s: f64,
    /// Pause end, s.
    pub to_s: f64,
    /// Reads during the pause.
    pub reads_in: u64,
    /// Share of them stale.
    pub stale_in: f64,
    /// Reads outside the pause.
    pub reads_out: u64,
    /// Share of them stale.
    pub stale_out: f64,
    /// Most versions replica 1 fell behind.
    pub max_behind: u64,
}

/// Everything one run measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Writes per second `λw`.
    pub write_rate: f64,
    /// Operations simulated.
    pub ops: u64,
    /// Reads among them.
    pub reads: u64,
    /// Writes among them.
    pub writes: u64,
    /// Steady-state stale share of a random-replica read, `1 − e^{−λw·L}`.
    pub theory_stale: f64,
    /// The headlined policy's knob value.
    pub policy: String,
    /// Every policy at the chosen lag, in [`ALL_POLICIES`] order.
    pub policies: Vec<PolicyRow>,
    /// Every policy at eight mean lags, `L/8 … 16L` (the same operations and delay draws).
    pub sweep: Vec<SweepPoint>,
    /// The visibility curve at the chosen lag.
    pub visibility: Vec<VisPoint>,
    /// Lag and staleness over time (120 buckets).
    pub timeline: Vec<TimePoint>,
    /// The fault's effect, when replica 1 was paused.
    pub pause: Option<PauseReport>,
    /// Plain sentences on what the run shows.
    pub notes: Vec<String>,
}

impl Report {
    /// The headlined policy's row.
    pub fn selected(&self) -> Option<&PolicyRow> {
        self.policies.iter().find(|r| r.policy == self.policy)
    }
}

fn row(s: &PolicyStats, rtt_ms: f64) -> PolicyRow {
    PolicyRow {
        policy: s.policy.clone(),
        label: Policy::from_key(&s.policy).label().into(),
        reads: s.reads,
        stale_frac: s.stale_frac(),
        ryw_frac: s.ryw_frac(),
        mono_frac: s.mono_frac(),
        primary_share: s.primary_share(),
        redirect_frac: s.redirect_frac(),
        mean_latency_ms: s.mean_latency_ms(rtt_ms),
        mean_stale_age_ms: s.mean_stale_age_ms(),
        max_stale_age_ms: s.stale_age_max_ms,
        counts: s.clone(),
    }
}

fn sweep_point(sim: &ReplicationSim, lag_ms: f64, write_rate: f64) -> SweepPoint {
    let st = sim.stats();
    SweepPoint {
        lag_ms,
        theory_stale: theory_stale(write_rate, lag_ms),
        stale: st.iter().map(PolicyStats::stale_frac).collect(),
        ryw: st.iter().map(PolicyStats::ryw_frac).collect(),
        mono: st.iter().map(PolicyStats::mono_frac).collect(),
        primary_share: st.iter().map(PolicyStats::primary_share).collect(),
    }
}

/// Points of the visibility curve.
const VIS_POINTS: usize = 40;

fn visibility(sim: &ReplicationSim, dist: LagDist, lag_ms: f64, write_rate: f64) -> Vec<VisPoint> {
    let mut v = sim.visibility_ms.clone();
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    let top = match dist {
        LagDist::Fixed => 2.0 * lag_ms,
        _ => {
            let p99 = if n > 0 {
                crate::stats::quantile_sorted(&v, 0.99)
            } else {
                0.0
            };
            // at least 3L to show the shape, at most 10L so a pause's weeks-long tail does not
            // squash the curve into the first pixel
            p99.max(3.0 * lag_ms).min(10.0 * lag_ms)
        }
    };
    (0..=VIS_POINTS)
        .map(|i| {
            let tau = top * i as f64 / VIS_POINTS as f64;
            // (the tolerance keeps a fixed delay, recomputed as (t + L) − t, on the right side of τ = L)
            let above = n - v.partition_point(|&x| x <= tau * (1.0 + 1e-9));
            VisPoint {
                tau_ms: tau,
                measured: if n > 0 { above as f64 / n as f64 } else { 0.0 },
                theory: theory_invisible(dist, tau, lag_ms, write_rate),
                alone: dist.survival(tau, lag_ms),
            }
        })
        .collect()
}

/// `x` with up to three decimals and no trailing zeros, for notes.
fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `x` as a percentage with about three significant figures, for notes.
fn pc(x: f64) -> String {
    let v = x * 100.0;
    if v == 0.0 {
        "0 %".into()
    } else if v >= 10.0 {
        format!("{v:.1} %")
    } else if v >= 0.1 {
        format!("{v:.2} %")
    } else {
        format!("{v:.3} %")
    }
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let get = |k: Policy| &r.policies[k.index()];
    let rand = get(Policy::Random);
    if p.pause_for_s <= 0.0 {
        out.push(format!(
            "Random-replica reads were stale {} of the time; theory for {} writes/s in flight {} ms each on average says 1 − e^(−λw·L) = {}.",
            pc(rand.stale_frac),
            trim(r.write_rate),
            p.lag_ms,
            pc(r.theory_stale)
        ));
    }
    out.push(format!(
        "Reads from replicas relieve the primary only as long as the fix allows: the primary served {} of reads under the RYW window, {} under session tokens and {} under monotonic tokens (100 % when reading from it only).",
        pc(get(Policy::ReadYourWrites).primary_share),
        pc(get(Policy::Session).primary_share),
        pc(get(Policy::Monotonic).primary_share)
    ));
    let ryw = get(Policy::ReadYourWrites);
    if ryw.ryw_frac > 0.0 {
        out.push(format!(
            "The {} ms RYW window is shorter than some replication delays: {} of reads still missed the reader's own write. Session tokens never do.",
            p.ryw_window_ms,
            pc(ryw.ryw_frac)
        ));
    }
    let sticky = get(Policy::Sticky);
    if sticky.ryw_frac > 0.0 {
        out.push(format!(
            "Sticky sessions never go back in time (monotonic violations: {}) but still miss the client's own write {} of the time.",
            pc(sticky.mono_frac),
            pc(sticky.ryw_frac)
        ));
    }
    if let Some(pz) = &r.pause {
        out.push(format!(
            "While replica 1 was paused ({}–{} s) it fell up to {} versions behind and {} of reads were stale, against {} outside the pause.",
            pz.from_s, pz.to_s, pz.max_behind, pc(pz.stale_in), pc(pz.stale_out)
        ));
    }
    out
}

impl Model for ReplicationLag {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let dist = LagDist::from_params(&p);
        let write_rate = p.write_rate();
        let mut main = ReplicationSim::with_lag(&p, p.lag_ms, seed);
        main.run_to_end();
        let mut sweep = Vec::with_capacity(8);
        for k in -3i32..=4 {
            let lag = p.lag_ms * libm::pow(2.0, f64::from(k));
            if k == 0 {
                sweep.push(sweep_point(&main, lag, write_rate));
            } else {
                let mut s = ReplicationSim::with_lag(&p, lag, seed);
                s.record = false;
                s.run_to_end();
                sweep.push(sweep_point(&s, lag, write_rate));
            }
        }
        let pause = main.pause.map(|(a, b)| PauseReport {
            from_s: a,
            to_s: b,
            reads_in: main.pause_reads[1],
            stale_in: ratio(main.pause_stale[1], main.pause_reads[1]),
            reads_out: main.pause_reads[0],
            stale_out: ratio(main.pause_stale[0], main.pause_reads[0]),
            max_behind: main
                .timeline
                .iter()
                .map(|t| t.behind.first().copied().unwrap_or(0))
                .max()
                .unwrap_or(0),
        });
        let mut r = Report {
            write_rate,
            ops: main.ops,
            reads: main.reads,
            writes: main.primary_version,
            theory_stale: theory_stale(write_rate, p.lag_ms),
            policy: p.policy.clone(),
            policies: main.stats.iter().map(|s| row(s, p.rtt_ms)).collect(),
            sweep,
            visibility: visibility(&main, dist, p.lag_ms, write_rate),
            timeline: std::mem::take(&mut main.timeline),
            pause,
            notes: Vec::new(),
        };
        r.notes = notes(&p, &r);
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let mut h = vec![("theory_stale", r.theory_stale)];
        if let Some(s) = r.selected() {
            h.extend([
                ("stale", s.stale_frac),
                ("ryw_violations", s.ryw_frac),
                ("mono_violations", s.mono_frac),
                ("primary_share", s.primary_share),
                ("mean_latency_ms", s.mean_latency_ms),
            ]);
        }
        h
    }
}

fn ratio(a: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        a as f64 / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{from_pairs, validate};
    use proptest::prelude::*;

    fn run(p: &Params, seed: u64) -> Report {
        ReplicationLag::run(p, seed)
    }

    fn row(r: &Report, k: Policy) -> &PolicyRow {
        &r.policies[k.index()]
    }

    #[test]
    fn defaults_are_valid_and_fast_sized() {
        let (p, notices) = validate(Params::default());
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(p, Params::default());
        let r = run(&p, 1);
        assert_eq!(r.policies.len(), 6);
        assert_eq!(r.sweep.len(), 8);
        assert_eq!(r.timeline.len(), BUCKETS);
        assert_eq!(r.visibility.len(), VIS_POINTS + 1);
        assert!(r.pause.is_none());
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert!(json.len() < 20_000, "{} bytes", json.len());
        let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        // (serde_json may round the last digit of a float; the counts come back exactly)
        let counts = |r: &Report| {
            r.policies
                .iter()
                .map(|p| (p.reads, p.counts.stale, p.counts.ryw_violations))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&back), counts(&r));
    }

    #[test]
    fn same_seed_same_report_other_seed_other_figures() {
        let p = Params::default();
        assert_eq!(run(&p, 7), run(&p, 7));
        assert_ne!(run(&p, 7).policies, run(&p, 8).policies);
    }

    #[test]
    fn the_sweep_midpoint_is_the_main_run() {
        let r = run(&Params::default(), 3);
        let mid = &r.sweep[3];
        assert_eq!(mid.lag_ms, 20.0);
        for (k, row) in r.policies.iter().enumerate() {
            assert_eq!(mid.stale[k], row.stale_frac);
            assert_eq!(mid.ryw[k], row.ryw_frac);
        }
        // Lags double along the sweep and the random policy grows staler with them.
        assert!(r
            .sweep
            .windows(2)
            .all(|w| (w[1].lag_ms / w[0].lag_ms - 2.0).abs() < 1e-12));
        let rnd = Policy::Random.index();
        assert!(r.sweep[0].stale[rnd] < r.sweep[7].stale[rnd]);
    }

    /// Steady-state stale share of random-replica reads is `1 − e^{−λw·L}` for every delay
    /// shape (M/G/∞ insensitivity). 60 s at 1000 ops/s: ~54 000 reads; reads are correlated
    /// through the shared replica state, so the tolerance is several binomial sds.
    #[test]
    fn stale_share_matches_mg_infinity_theory_for_every_shape() {
        for (dist, sigma) in [("exponential", 1.0), ("lognormal", 1.5), ("fixed", 1.0)] {
            for (lag, wp) in [(5.0, 10.0), (20.0, 5.0)] {
                let p = Params {
                    op_rate: 1000.0,
                    write_pct: wp,
                    lag_ms: lag,
                    lag_dist: dist.into(),
                    lag_sigma: sigma,
                    duration_s: 60.0,
                    replicas: 3,
                    ..Params::default()
                };
                let want = theory_stale(p.write_rate(), lag);
                for seed in [1, 2] {
                    let r = run(&p, seed);
                    for k in [Policy::Random, Policy::Sticky] {
                        let got = row(&r, k).stale_frac;
                        assert!(
                            (got - want).abs() < 0.02,
                            "{dist} L {lag} w {wp}% {k:?} seed {seed}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// The brief's reference: with exponential lag of mean L, a write alone is still missing
    /// on a replica τ after commit with probability e^{−τ/L}. Sparse writes (λw·L = 0.02)
    /// make the in-order correction negligible.
    #[test]
    fn single_write_visibility_is_exp_minus_tau_over_l() {
        let p = Params {
            op_rate: 1000.0,
            write_pct: 1.0,
            lag_ms: 2.0,
            replicas: 5,
            duration_s: 60.0,
            ..Params::default()
        };
        let r = run(&p, 11);
        let mut sim = ReplicationSim::new(&p, 11);
        sim.run_to_end();
        let v = &sim.visibility_ms;
        assert!(v.len() > 2_500, "{}", v.len());
        for tau in [1.0, 2.0, 4.0] {
            let frac = v.iter().filter(|&&x| x > tau).count() as f64 / v.len() as f64;
            let want = libm::exp(-tau / 2.0);
            // binomial sd ≤ 0.5/√3000 ≈ 0.009
            assert!((frac - want).abs() < 0.035, "τ {tau}: {frac} vs {want}");
        }
        for pt in &r.visibility {
            assert!((pt.theory - pt.alone).abs() < 0.02, "{pt:?}");
        }
    }

    /// With a busier write stream the in-order theory (not the single-write curve) holds.
    #[test]
    fn in_order_visibility_matches_theory() {
        for dist in ["exponential", "lognormal", "fixed"] {
            let p = Params {
                op_rate: 1000.0,
                write_pct: 20.0,
                lag_ms: 5.0,
                lag_dist: dist.into(),
                replicas: 2,
                duration_s: 30.0,
                ..Params::default()
            };
            let r = run(&p, 5);
            for pt in &r.visibility {
                assert!((pt.measured - pt.theory).abs() < 0.03, "{dist}: {pt:?}");
                assert!(pt.theory >= pt.alone - 1e-12);
            }
            // And in-order application matters: at τ = L the two curves differ visibly.
            if dist == "exponential" {
                let at = |tau: f64| theory_invisible(LagDist::Exponential, tau, 5.0, 200.0);
                assert!(at(5.0) - libm::exp(-1.0) > 0.15);
            }
        }
    }

    #[test]
    fn lognormal_excess_matches_numerical_integral() {
        for s in [0.3, 1.0, 2.0] {
            let d = LagDist::Lognormal(s);
            for tau in [0.0f64, 0.5, 3.0, 20.0] {
                // ∫_τ^∞ P(D > u) du by the trapezoid rule on a log grid.
                let (mut acc, mut u) = (0.0, tau.max(1e-6));
                if tau == 0.0 {
                    acc += 1e-6;
                }
                while u < 1e5 {
                    let next = u * 1.001;
                    acc += 0.5 * (d.survival(u, 10.0) + d.survival(next, 10.0)) * (next - u);
                    u = next;
                }
                let got = d.excess(tau, 10.0);
                assert!(
                    (got - acc).abs() < 2e-3 * 10.0,
                    "σ {s} τ {tau}: {got} vs {acc}"
                );
            }
            assert!((d.excess(0.0, 10.0) - 10.0).abs() < 1e-12);
        }
        assert!((LagDist::Exponential.excess(0.0, 7.0) - 7.0).abs() < 1e-12);
        assert_eq!(LagDist::Fixed.excess(9.0, 7.0), 0.0);
    }

    #[test]
    fn unit_draws_have_mean_one() {
        for d in [
            LagDist::Exponential,
            LagDist::Lognormal(0.8),
            LagDist::Fixed,
        ] {
            let mut rng = crate::rng::Rng::new(4);
            let n = 200_000;
            let m: f64 = (0..n).map(|_| d.unit_draw(&mut rng)).sum::<f64>() / n as f64;
            assert!((m - 1.0).abs() < 0.01, "{d:?}: {m}");
        }
    }

    #[test]
    fn pause_makes_replica_one_fall_behind_and_reads_staler() {
        let p = Params {
            pause_from_s: 3.0,
            pause_for_s: 4.0,
            ..Params::default()
        };
        let r = run(&p, 2);
        let pz = r.pause.clone().unwrap_or_else(|| panic!("no pause report"));
        assert_eq!((pz.from_s, pz.to_s), (3.0, 7.0));
        // ~20 writes/s for 4 s pile up on replica 1.
        assert!(pz.max_behind > 50, "{pz:?}");
        assert!(pz.stale_in > pz.stale_out + 0.2, "{pz:?}");
        assert!(r.notes.iter().any(|n| n.contains("paused")));
        // The other replica keeps up: its worst lag in the pause is nowhere near.
        let other = r.timeline.iter().map(|t| t.behind[1]).max().unwrap_or(0);
        assert!(other < pz.max_behind / 3, "{other}");
        // Strict reads stay fresh; session tokens still never break RYW or monotonic reads.
        assert_eq!(row(&r, Policy::Primary).stale_frac, 0.0);
        assert_eq!(row(&r, Policy::Session).ryw_frac, 0.0);
        assert_eq!(row(&r, Policy::Session).mono_frac, 0.0);
    }

    #[test]
    fn validation_clamps_and_explains() {
        let pairs: Vec<(String, String)> = [
            ("replicas", "9"),
            ("lag_ms", "-3"),
            ("policy", "psychic"),
            ("pause_for_s", "2"),
            ("pause_from_s", "50"),
            ("duration_s", "10"),
            ("op_rate", "NaN"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (p, notices): (Params, _) = from_pairs(&pairs, &[]);
        assert_eq!(p.replicas, 5);
        assert_eq!(p.lag_ms, LAG_MIN);
        assert_eq!(p.policy, "random");
        assert_eq!(p.pause_from_s, 5.0);
        assert_eq!(p.op_rate, Params::default().op_rate);
        assert!(notices.len() >= 4, "{notices:?}");
        assert!(notices.iter().any(|n| n.key == "pause_from_s"));
        let r = run(&p, 1);
        assert!(ReplicationLag::headline(&r)
            .iter()
            .all(|(_, x)| x.is_finite()));
        // Unvalidated nonsense is sanitised, never a panic.
        let wild = Params {
            replicas: 0,
            clients: 0,
            op_rate: f64::INFINITY,
            write_pct: -1.0,
            lag_ms: f64::NAN,
            lag_dist: "?".into(),
            lag_sigma: 99.0,
            policy: "?".into(),
            ryw_window_ms: -5.0,
            rtt_ms: 0.0,
            pause_from_s: -1.0,
            pause_for_s: 1e9,
            duration_s: 0.0,
        };
        let r = run(&wild, 1);
        assert!(r.ops > 0);
    }

    #[test]
    fn step_api_and_snapshots() {
        let p = Params {
            pause_for_s: 2.0,
            pause_from_s: 1.0,
            duration_s: 4.0,
            ..Params::default()
        };
        let mut sim = ReplicationSim::new(&p, 9);
        let s0 = sim.snapshot();
        assert_eq!((s0.primary_version, s0.replicas.len()), (0, 2));
        sim.advance_to(1.5);
        let s = sim.snapshot();
        assert!(s.t <= 1.5 && s.replicas[0].paused && !s.replicas[1].paused);
        assert!(s.recent.len() <= 8 && !s.recent.is_empty());
        assert!(s
            .replicas
            .iter()
            .all(|r| r.in_flight.len() <= IN_FLIGHT_SHOWN
                && r.in_flight.iter().all(|f| (0.0..=1.0).contains(f))));
        let mut last = sim.now();
        while sim.step() {
            assert!(sim.now() >= last);
            last = sim.now();
        }
        let s = sim.snapshot();
        assert!(s
            .replicas
            .iter()
            .all(|r| r.behind == 0 && r.in_flight.is_empty()));
        assert!(sim.is_done() && !sim.step());
    }

    fn arb_params() -> impl Strategy<Value = Params> {
        (
            (
                1u32..=5,
                1u32..=50,
                1.0f64..400.0,
                1.0f64..90.0,
                -1.0f64..3.0,
            ),
            (
                0usize..3,
                0.1f64..2.5,
                0usize..6,
                0.0f64..2000.0,
                0.0f64..6.0,
                0.0f64..3.0,
            ),
            1.0f64..6.0,
        )
            .prop_map(
                |(
                    (replicas, clients, op_rate, write_pct, llag),
                    (d, sigma, pol, win, from, len),
                    dur,
                )| {
                    Params {
                        replicas,
                        clients,
                        op_rate,
                        write_pct,
                        lag_ms: libm::pow(10.0, llag),
                        lag_dist: DISTS[d].0.into(),
                        lag_sigma: sigma,
                        policy: POLICIES[pol].0.into(),
                        ryw_window_ms: win,
                        rtt_ms: 1.0,
                        pause_from_s: from,
                        pause_for_s: len,
                        duration_s: dur,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Strict reads are never stale; tokens never go back in time; session tokens never
        /// miss the client's own write; sticky sessions never go back in time; counts add up.
        #[test]
        fn guarantees_and_counts(p in arb_params(), seed in 0u64..1_000_000) {
            let (p, _) = validate(p);
            let mut sim = ReplicationSim::new(&p, seed);
            sim.run_to_end();
            let st = sim.stats();
            let get = |k: Policy| &st[k.index()];
            prop_assert_eq!(get(Policy::Primary).stale, 0);
            prop_assert_eq!(get(Policy::Primary).ryw_violations, 0);
            prop_assert_eq!(get(Policy::Primary).primary_direct, sim.reads());
            prop_assert_eq!(get(Policy::Monotonic).mono_violations, 0);
            prop_assert_eq!(get(Policy::Sticky).mono_violations, 0);
            prop_assert_eq!(get(Policy::Session).mono_violations, 0);
            prop_assert_eq!(get(Policy::Session).ryw_violations, 0);
            prop_assert_eq!(sim.reads() + sim.primary_version(), sim.ops());
            for s in st {
                prop_assert_eq!(s.reads, sim.reads());
                prop_assert!(s.stale <= s.reads && s.ryw_violations <= s.stale);
                prop_assert!(s.mono_violations <= s.stale);
                prop_assert!(s.primary_direct + s.redirected <= s.reads);
                prop_assert!(s.stale_age_max_ms >= 0.0 && s.stale_age_sum_ms.is_finite());
            }
            let r = ReplicationLag::run(&p, seed);
            prop_assert!(ReplicationLag::headline(&r).iter().all(|(_, x)| x.is_finite()));
            prop_assert_eq!(r.reads + r.writes, r.ops);
            for pt in &r.visibility {
                prop_assert!((0.0..=1.0).contains(&pt.measured) && (0.0..=1.0).contains(&pt.theory));
            }
        }

        /// Replicas apply writes in order, one version at a time, never past the primary.
        #[test]
        fn replicas_apply_in_order_and_never_lead(p in arb_params(), seed in 0u64..1_000_000) {
            let (p, _) = validate(p);
            let mut sim = ReplicationSim::new(&p, seed);
            let mut last = sim.replica_versions();
            while sim.step() {
                let now = sim.replica_versions();
                for (a, b) in last.iter().zip(&now) {
                    prop_assert!(*b == *a || *b == *a + 1);
                    prop_assert!(*b <= sim.primary_version());
                }
                last = now;
            }
            prop_assert!(last.iter().all(|&v| v == sim.primary_version()));
        }

        /// With a fixed lag L, no pause and an RYW window T ≥ L, no read misses its own write.
        #[test]
        fn ryw_window_covering_the_lag_has_no_violations(
            mut p in arb_params(),
            extra in 0.0f64..100.0,
            seed in 0u64..1_000_000,
        ) {
            p.lag_dist = "fixed".into();
            p.pause_for_s = 0.0;
            p.ryw_window_ms = (p.lag_ms + extra).min(WINDOW_MAX);
            let (p, _) = validate(p);
            prop_assume!(p.ryw_window_ms >= p.lag_ms);
            let mut sim = ReplicationSim::new(&p, seed);
            sim.run_to_end();
            prop_assert_eq!(sim.stats()[Policy::ReadYourWrites.index()].ryw_violations, 0);
        }
    }
}
