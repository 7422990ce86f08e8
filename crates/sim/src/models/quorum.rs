//! # Quorums (book page 27): N, W, R — when reads see the last write, and how stale they get
//!
//! The book's rule: with `N` replicas, a write waits for `W` acknowledgements and a read for
//! `R` answers; if `R + W > N`, every read quorum shares at least `R + W − N` replicas with
//! every write quorum, so a read always meets the newest write (a *strict* quorum). Writes
//! survive `N − W` unreachable replicas, reads `N − R`.
//!
//! When `R + W ≤ N` (a *partial* quorum) a read can miss the write. How often, and for how
//! long after the write, is what Bailis et al. measured in *Probabilistically Bounded
//! Staleness for Practical Partial Quorums* (VLDB 2012): their **WARS** model gives every
//! message its own random delay —
//! **W** (the write travelling to a replica), **A** (its acknowledgement coming back),
//! **R** (a read request travelling out), **S** (the replica's answer coming back).
//!
//! This model runs that Monte-Carlo ([`monte_carlo`]): a Dynamo-style coordinator sends the
//! write to all `N` replicas and commits when `W` acknowledgements are back; a read issued `t`
//! ms after the commit asks all `N` replicas and returns with the first `R` answers, newest
//! version winning. It is stale when none of those `R` replicas held the write when they
//! answered. Replica `i` answers at `commit + t + Rᵢ`, so it holds the write iff
//! `Wᵢ ≤ commit + t + Rᵢ`; the read is stale iff `t < τ_R`, where
//! `τ_R = min over the first R responders of (Wᵢ − commit − Rᵢ)`. One draw of the delays thus
//! gives staleness at every `t` and for every `R` at once: `P(stale at t) = P(τ_R > t)`.
//!
//! Faults: replicas down for the whole run (`failed`), replicas down independently per
//! operation (`p_down`), and messages lost (`drop`). With `propagate` off, only the `W`
//! replicas whose acknowledgements made the quorum ever hold the write (no anti-entropy,
//! no read repair): then a partial quorum stays stale with probability
//! `C(N−W, R) / C(N, R)` forever.
//!
//! [`QuorumSim`] plays one write and a few reads message by message, with crash and restart
//! of replicas and one-way cuts of their links at any moment (inserted as events, so stepping
//! stays deterministic). A cut of the way back shows what the arithmetic above hides: the
//! replica stores the write but its ack is lost, so with `W = N` the write fails while every
//! replica holds it — a failed write is not an undone one, and later reads return it.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::quorum::{Params, Quorum};
//! let r = Quorum::run(&Params::default(), 1);
//! assert!(r.strict && r.p_stale_t0 == 0.0);
//! assert_eq!((r.write_tolerates, r.read_tolerates), (1, 1));
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BinaryHeap};

/// The quorum model: strict-quorum arithmetic and a WARS Monte-Carlo of staleness.
pub struct Quorum;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// Largest replica count offered.
pub const N_MAX: u32 = 9;
const TRIALS_MIN: u32 = 500;
const TRIALS_MAX: u32 = 100_000;
/// Points of the chosen configuration's staleness curve.
pub const CURVE_POINTS: usize = 101;
/// Points of each per-R staleness curve.
pub const BY_R_POINTS: usize = 41;
/// The consistency target of "consistent within X ms": 99.9 % of reads fresh.
pub const TARGET: f64 = 0.999;

static DISTS: &[(&str, &str)] = &[
    ("exp", "exponential"),
    ("pareto", "Pareto (shape 2.5, heavy tail)"),
    ("lognormal", "log-normal (σ = 1)"),
];

/// The knobs. Defaults are the book's first example, N = 3, W = 2, R = 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Replicas N.
    pub n: u32,
    /// Write quorum W: acknowledgements a write waits for (1..=N).
    pub w: u32,
    /// Read quorum R: answers a read waits for (1..=N).
    pub r: u32,
    /// Shape of every message delay: `exp`, `pareto` or `lognormal`.
    pub dist: String,
    /// Mean delay of the write reaching a replica (WARS "W"), ms.
    pub write_ms: f64,
    /// Mean delay of acks, read requests and read answers (WARS "A", "R", "S"), ms.
    pub msg_ms: f64,
    /// Replicas down for the whole run (the first ones), 0..=N.
    pub failed: u32,
    /// Probability (%) that each other replica is down during one write-and-read.
    pub p_down: f64,
    /// Probability (%) that any one message is lost.
    pub drop: f64,
    /// Whether replicas outside the write quorum still receive the write.
    pub propagate: bool,
    /// Monte-Carlo trials (one write and one read each).
    pub trials: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            n: 3,
            w: 2,
            r: 2,
            dist: "exp".into(),
            write_ms: 10.0,
            msg_ms: 5.0,
            failed: 0,
            p_down: 0.0,
            drop: 0.0,
            propagate: true,
            trials: 4_000,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "n",
        label: "Replicas N",
        unit: "",
        help: "How many copies of each key the store keeps.",
        kind: KnobKind::Int { min: 1, max: N_MAX as i64, log: false },
    },
    Knob {
        key: "w",
        label: "Write quorum W",
        unit: "",
        help: "A write is committed once this many replicas have acknowledged it (at most N).",
        kind: KnobKind::Int { min: 1, max: N_MAX as i64, log: false },
    },
    Knob {
        key: "r",
        label: "Read quorum R",
        unit: "",
        help: "A read returns once this many replicas have answered; the newest version wins (at most N).",
        kind: KnobKind::Int { min: 1, max: N_MAX as i64, log: false },
    },
    Knob {
        key: "dist",
        label: "Delay distribution",
        unit: "",
        help: "The shape of every message's random delay; the means are set below.",
        kind: KnobKind::Choice { options: DISTS },
    },
    Knob {
        key: "write_ms",
        label: "Write delay, mean",
        unit: "ms",
        help: "Mean time for the write to reach and be applied by one replica (PBS's W).",
        kind: KnobKind::Float { min: 0.1, max: 1000.0, step: 0.1, log: true },
    },
    Knob {
        key: "msg_ms",
        label: "Other messages, mean",
        unit: "ms",
        help: "Mean delay of acknowledgements, read requests and read answers (PBS's A, R and S).",
        kind: KnobKind::Float { min: 0.1, max: 1000.0, step: 0.1, log: true },
    },
    Knob {
        key: "failed",
        label: "Crashed replicas",
        unit: "",
        help: "Replicas that are down for the whole run (at most N).",
        kind: KnobKind::Int { min: 0, max: N_MAX as i64, log: false },
    },
    Knob {
        key: "p_down",
        label: "Each replica down",
        unit: "%",
        help: "Chance that each remaining replica is unreachable during one write and its read.",
        kind: KnobKind::Float { min: 0.0, max: 90.0, step: 1.0, log: false },
    },
    Knob {
        key: "drop",
        label: "Message loss",
        unit: "%",
        help: "Chance that any one message (write, ack, read request, answer) is lost.",
        kind: KnobKind::Float { min: 0.0, max: 50.0, step: 1.0, log: false },
    },
    Knob {
        key: "propagate",
        label: "Write reaches every replica",
        unit: "",
        help: "Off: only the W replicas whose acks made the quorum ever hold the write (no anti-entropy, no read repair).",
        kind: KnobKind::Bool,
    },
    Knob {
        key: "trials",
        label: "Trials",
        unit: "",
        help: "Monte-Carlo trials, each one write followed by one read.",
        kind: KnobKind::Int { min: TRIALS_MIN as i64, max: TRIALS_MAX as i64, log: true },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// W, R and the crashed count cannot exceed N.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        for (key, v, what) in [
            ("w", &mut self.w, "Write quorum W"),
            ("r", &mut self.r, "Read quorum R"),
            ("failed", &mut self.failed, "Crashed replicas"),
        ] {
            if *v > self.n {
                notices.push(Notice::new(
                    key,
                    format!("{what} cannot exceed N = {}; set to {}", self.n, self.n),
                ));
                *v = self.n;
            }
        }
    }
}

impl Params {
    /// A copy forced into range (for params that skipped validation): never panics downstream.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let n = self.n.clamp(1, N_MAX);
        Params {
            n,
            w: self.w.clamp(1, n),
            r: self.r.clamp(1, n),
            dist: self.dist.clone(),
            write_ms: f(self.write_ms, 0.1, 1000.0, d.write_ms),
            msg_ms: f(self.msg_ms, 0.1, 1000.0, d.msg_ms),
            failed: self.failed.min(n),
            p_down: f(self.p_down, 0.0, 90.0, 0.0),
            drop: f(self.drop, 0.0, 50.0, 0.0),
            propagate: self.propagate,
            trials: self.trials.clamp(TRIALS_MIN, TRIALS_MAX),
        }
    }

    fn config(&self) -> Config {
        let p = self.sanitised();
        Config {
            n: p.n,
            w: p.w,
            r: p.r,
            dist: Dist::parse(&p.dist),
            legs: Legs {
                w: p.write_ms,
                a: p.msg_ms,
                r: p.msg_ms,
                s: p.msg_ms,
            },
            failed: p.failed,
            p_down: p.p_down / 100.0,
            drop: p.drop / 100.0,
            propagate: p.propagate,
            trials: p.trials,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Delays
// ---------------------------------------------------------------------------------------------

/// The shape of a message delay; every shape is scaled to a given mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dist {
    /// Exponential.
    Exp,
    /// Pareto with shape α = 2.5 (finite variance, heavy tail).
    Pareto,
    /// Log-normal with σ = 1.
    LogNormal,
}

const PARETO_SHAPE: f64 = 2.5;

impl Dist {
    /// From a knob value (unknown → exponential).
    pub fn parse(s: &str) -> Dist {
        match s {
            "pareto" => Dist::Pareto,
            "lognormal" => Dist::LogNormal,
            _ => Dist::Exp,
        }
    }

    /// One delay with the given mean (0 for a mean ≤ 0).
    pub fn sample(self, rng: &mut Rng, mean: f64) -> f64 {
        if mean.is_nan() || mean <= 0.0 {
            return 0.0;
        }
        match self {
            Dist::Exp => rng.exp(mean),
            Dist::Pareto => {
                let xm = mean * (PARETO_SHAPE - 1.0) / PARETO_SHAPE;
                xm * libm::pow(rng.uniform_open0(), -1.0 / PARETO_SHAPE)
            }
            Dist::LogNormal => {
                // Box–Muller; E[e^{μ+Z}] = e^{μ+1/2} = mean
                let (u1, u2) = (rng.uniform_open0(), rng.uniform());
                let z =
                    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2);
                libm::exp(libm::log(mean) - 0.5 + z)
            }
        }
    }
}

/// Mean delays of the four WARS legs, ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Legs {
    /// Write to a replica.
    pub w: f64,
    /// Acknowledgement back.
    pub a: f64,
    /// Read request out.
    pub r: f64,
    /// Read answer back.
    pub s: f64,
}

/// Everything the Monte-Carlo needs (the validated knobs, probabilities as fractions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Replicas.
    pub n: u32,
    /// Write quorum.
    pub w: u32,
    /// Read quorum.
    pub r: u32,
    /// Delay shape.
    pub dist: Dist,
    /// Mean delay of each leg.
    pub legs: Legs,
    /// Replicas down for the whole run (the first `failed`).
    pub failed: u32,
    /// Per-replica, per-trial down probability.
    pub p_down: f64,
    /// Per-message loss probability.
    pub drop: f64,
    /// Whether replicas outside the write quorum get the write.
    pub propagate: bool,
    /// Trials.
    pub trials: u32,
}

// ---------------------------------------------------------------------------------------------
// Theory
// ---------------------------------------------------------------------------------------------

/// Binomial coefficient C(n, k) as a float (0 when k > n).
pub fn choose(n: u32, k: u32) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

/// `P(Binomial(n, q) ≥ k)`.
pub fn binom_at_least(n: u32, k: u32, q: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let q = q.clamp(0.0, 1.0);
    (k..=n)
        .map(|j| choose(n, j) * libm::pow(q, f64::from(j)) * libm::pow(1.0 - q, f64::from(n - j)))
        .sum::<f64>()
        .clamp(0.0, 1.0)
}

/// Stale-read probability when only the `w` acknowledging replicas ever hold the write and the
/// `r` answering replicas are a uniformly random subset: `C(n−w, r) / C(n, r)` (0 if `r+w > n`).
pub fn stale_without_propagation(n: u32, w: u32, r: u32) -> f64 {
    if r + w > n {
        0.0
    } else {
        choose(n - w, r) / choose(n, r)
    }
}

/// Mean of the `k`-th smallest of `n` independent exponentials with mean `mean`:
/// `mean · Σ_{j=0}^{k−1} 1/(n−j)` (Rényi's representation).
pub fn exp_order_stat_mean(n: u32, k: u32, mean: f64) -> f64 {
    mean * (0..k.min(n)).map(|j| 1.0 / f64::from(n - j)).sum::<f64>()
}

/// CDF of the sum of two independent exponentials with means `a` and `b` (either may be 0).
fn exp_sum_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let (a, b) = if a >= b { (a, b) } else { (b, a) };
    if a <= 0.0 {
        return 1.0;
    }
    if b <= 0.0 {
        return -libm::expm1(-x / a);
    }
    if (a - b).abs() <= 1e-9 * a {
        return 1.0 - libm::exp(-x / a) * (1.0 + x / a);
    }
    1.0 - (a * libm::exp(-x / a) - b * libm::exp(-x / b)) / (a - b)
}

/// Mean of the `k`-th smallest of `n` independent sums `X + Y`, `X ~ Exp(mean a)`,
/// `Y ~ Exp(mean b)`: `∫ P(k-th > x) dx` with `P(k-th > x) = P(Bin(n, F(x)) < k)`, by
/// Simpson's rule. The write latency of a fault-free WARS run with exponential delays.
pub fn exp_sum_order_stat_mean(n: u32, k: u32, a: f64, b: f64) -> f64 {
    let k = k.clamp(1, n.max(1));
    let hi = 60.0 * a.max(b).max(1e-12);
    let steps = 4000;
    let h = hi / f64::from(steps);
    let g = |x: f64| 1.0 - binom_at_least(n, k, exp_sum_cdf(x, a, b));
    let mut s = g(0.0) + g(hi);
    for i in 1..steps {
        let c = if i % 2 == 1 { 4.0 } else { 2.0 };
        s += c * g(f64::from(i) * h);
    }
    s * h / 3.0
}

// ---------------------------------------------------------------------------------------------
// Monte-Carlo
// ---------------------------------------------------------------------------------------------

/// What the Monte-Carlo measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Trials run.
    pub trials: u32,
    /// Trials whose write gathered W acknowledgements.
    pub writes_ok: u32,
    /// Trials whose read gathered R answers.
    pub reads_ok: u32,
    /// Write latencies (commit times) of the committed writes, ascending.
    pub write_lat: Vec<f64>,
    /// Read latencies (R-th answer) of the answered reads, ascending.
    pub read_lat: Vec<f64>,
    /// For each read quorum `r = 1..=N` (index `r − 1`): the ascending `τ_r` of every trial
    /// whose write committed and whose read got `r` answers; stale at `t` iff `τ > t`.
    /// `f64::INFINITY` means "never fresh".
    pub tau: Vec<Vec<f64>>,
}

impl Measured {
    /// Fraction of `τ` values above `t` in an ascending slice (0 for none).
    pub fn stale_at(tau: &[f64], t: f64) -> f64 {
        if tau.is_empty() {
            return 0.0;
        }
        let fresh = tau.partition_point(|&x| x <= t);
        (tau.len() - fresh) as f64 / tau.len() as f64
    }

    /// The smallest `t ≥ 0` after which at least `target` of reads are fresh; `None` if never.
    pub fn within(tau: &[f64], target: f64) -> Option<f64> {
        if tau.is_empty() {
            return None;
        }
        let k = libm::ceil(target * tau.len() as f64).clamp(1.0, tau.len() as f64) as usize;
        let t = tau[k - 1];
        t.is_finite().then_some(t.max(0.0))
    }
}

/// The WARS Monte-Carlo: `cfg.trials` writes, each followed by one read issued right at commit
/// (staleness at later `t` follows from `τ`). Deterministic in `seed`.
pub fn monte_carlo(cfg: &Config, seed: u64) -> Measured {
    let n = cfg.n.clamp(1, N_MAX) as usize;
    let (w, r) = (
        cfg.w.clamp(1, n as u32) as usize,
        cfg.r.clamp(1, n as u32) as usize,
    );
    let mut rng = Rng::derive(seed, "wars");
    let mut m = Measured {
        trials: cfg.trials,
        writes_ok: 0,
        reads_ok: 0,
        write_lat: Vec::with_capacity(cfg.trials as usize),
        read_lat: Vec::with_capacity(cfg.trials as usize),
        tau: vec![Vec::with_capacity(cfg.trials as usize); n],
    };
    let inf = f64::INFINITY;
    let mut has = [inf; N_MAX as usize]; // when the write is applied at replica i
    let mut ack = [inf; N_MAX as usize]; // when its ack reaches the coordinator
    let lost = |rng: &mut Rng| cfg.drop > 0.0 && rng.chance(cfg.drop);
    for _ in 0..cfg.trials {
        // responders: (answer time R_i + S_i, R_i, replica index)
        let mut order = [(inf, 0.0, 0usize); N_MAX as usize];
        let mut nresp = 0;
        for i in 0..n {
            let up = i as u32 >= cfg.failed && !(cfg.p_down > 0.0 && rng.chance(cfg.p_down));
            let (dw, da, dr, ds) = (
                cfg.dist.sample(&mut rng, cfg.legs.w),
                cfg.dist.sample(&mut rng, cfg.legs.a),
                cfg.dist.sample(&mut rng, cfg.legs.r),
                cfg.dist.sample(&mut rng, cfg.legs.s),
            );
            let (lw, la, lr, ls) = (
                lost(&mut rng),
                lost(&mut rng),
                lost(&mut rng),
                lost(&mut rng),
            );
            has[i] = if up && !lw { dw } else { inf };
            ack[i] = if up && !lw && !la { dw + da } else { inf };
            if up && !lr && !ls {
                order[nresp] = (dr + ds, dr, i);
                nresp += 1;
            }
        }
        crate::sort::sort_by(&mut order[..nresp], |a, b| a.0.total_cmp(&b.0));
        if nresp >= r {
            m.reads_ok += 1;
            m.read_lat.push(order[r - 1].0);
        }
        // the write commits at the W-th acknowledgement
        let mut a_sorted = ack;
        a_sorted[..n].sort_unstable_by(f64::total_cmp);
        let commit = a_sorted[w - 1];
        if !commit.is_finite() {
            continue;
        }
        m.writes_ok += 1;
        m.write_lat.push(commit);
        let mut tau = inf;
        for (j, &(_, dr, i)) in order[..nresp].iter().enumerate() {
            // without propagation only the replicas whose acks made the quorum hold the write
            let held = if cfg.propagate || ack[i] <= commit {
                has[i]
            } else {
                inf
            };
            tau = tau.min(held - commit - dr);
            m.tau[j].push(tau);
        }
    }
    m.write_lat.sort_unstable_by(f64::total_cmp);
    m.read_lat.sort_unstable_by(f64::total_cmp);
    for t in &mut m.tau {
        t.sort_unstable_by(f64::total_cmp);
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// Latency figures of one operation, ms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Mean.
    pub mean: f64,
    /// The mean by theory (exponential delays, no faults), when it applies.
    pub theory_mean: Option<f64>,
    /// The distribution as `(latency ms, cumulative fraction)`, ≤ 51 points.
    pub cdf: Vec<(f64, f64)>,
}

impl Latency {
    fn of(sorted: &[f64]) -> Latency {
        if sorted.is_empty() {
            return Latency::default();
        }
        let q = |x| crate::stats::quantile_sorted(sorted, x);
        Latency {
            p50: q(0.5),
            p99: q(0.99),
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            theory_mean: None,
            cdf: (0..=50)
                .map(|i| {
                    let f = f64::from(i) / 50.0;
                    (q(f * 0.995), f * 0.995)
                })
                .collect(),
        }
    }
}

/// Staleness over time for one read quorum size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RCurve {
    /// Read quorum.
    pub r: u32,
    /// `P(stale)` at `t = i · t_max / (BY_R_POINTS − 1)`.
    pub p_stale: Vec<f64>,
    /// Time after the commit from which 99.9 % of reads are fresh; `None`: never.
    pub within_ms: Option<f64>,
    /// Reads measured.
    pub reads: u32,
}

/// Availability with `failed` replicas down, by theory (and measured at the knob's value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailPoint {
    /// Replicas down for the whole run.
    pub failed: u32,
    /// `P(Bin(N − failed, q) ≥ W)`, q = (1 − p_down)(1 − drop)².
    pub write: f64,
    /// `P(Bin(N − failed, q) ≥ R)`.
    pub read: f64,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `R + W > N`: every read quorum meets every write quorum.
    pub strict: bool,
    /// Replicas a read quorum and a write quorum share at least (`R + W − N`, or 0).
    pub overlap: u32,
    /// Unreachable replicas a write survives (`N − W`).
    pub write_tolerates: u32,
    /// Unreachable replicas a read survives (`N − R`).
    pub read_tolerates: u32,
    /// Measured `P(stale)` of a read issued right at the commit.
    pub p_stale_t0: f64,
    /// 95 % half-width of `p_stale_t0` (binomial).
    pub p_stale_t0_ci95: f64,
    /// `C(N−W, R) / C(N, R)`: `P(stale)` if only the write quorum ever held the write.
    pub p_stale_no_propagation: f64,
    /// Time after the commit from which 99.9 % of reads are fresh; `None`: never.
    pub within_ms: Option<f64>,
    /// Right end of the staleness time axis, ms.
    pub t_max_ms: f64,
    /// `P(stale)` of the chosen R at `t = i · t_max / (CURVE_POINTS − 1)`.
    pub curve: Vec<f64>,
    /// The same for every R from 1 to N (coarser), to compare.
    pub by_r: Vec<RCurve>,
    /// Write latency (commit time: the W-th acknowledgement).
    pub write_latency: Latency,
    /// Read latency (the R-th answer).
    pub read_latency: Latency,
    /// Measured share of writes that committed.
    pub write_avail: f64,
    /// Measured share of reads that got R answers.
    pub read_avail: f64,
    /// Availability by theory at the knobs.
    pub write_avail_theory: f64,
    /// Availability by theory at the knobs.
    pub read_avail_theory: f64,
    /// Availability by theory for every count of crashed replicas 0..=N.
    pub availability: Vec<AvailPoint>,
    /// Trials run.
    pub trials: u32,
    /// Reads whose staleness was measured (write committed, R answers).
    pub reads_measured: u32,
    /// Plain-language notes.
    pub notes: Vec<String>,
}

/// 1, 2 or 5 × 10^k at or above `x`.
fn nice_ceil(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let e = libm::pow(10.0, libm::floor(libm::log10(x)));
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * e >= x * (1.0 - 1e-12) {
            return m * e;
        }
    }
    10.0 * e
}

impl Model for Quorum {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let cfg = p.config();
        let m = monte_carlo(&cfg, seed);
        let (n, w, r) = (cfg.n, cfg.w, cfg.r);
        let tau_r = &m.tau[(r - 1) as usize];
        // the time axis: where R = 1 (the slowest to become fresh) reaches 99.9 %
        let worst = Measured::within(&m.tau[0], TARGET);
        let t_max = match worst {
            Some(t) if t > 0.0 => nice_ceil(1.1 * t),
            _ => nice_ceil(5.0 * cfg.legs.w),
        }
        .clamp(1.0, 100_000.0);
        let grid = |k: usize, pts: usize| t_max * k as f64 / (pts - 1) as f64;
        let curve: Vec<f64> = (0..CURVE_POINTS)
            .map(|k| Measured::stale_at(tau_r, grid(k, CURVE_POINTS)))
            .collect();
        let by_r: Vec<RCurve> = (1..=n)
            .map(|rr| {
                let t = &m.tau[(rr - 1) as usize];
                RCurve {
                    r: rr,
                    p_stale: (0..BY_R_POINTS)
                        .map(|k| Measured::stale_at(t, grid(k, BY_R_POINTS)))
                        .collect(),
                    within_ms: Measured::within(t, TARGET),
                    reads: t.len() as u32,
                }
            })
            .collect();
        let p0 = Measured::stale_at(tau_r, 0.0);
        let reads = tau_r.len() as u32;
        let ci = if reads > 0 {
            1.96 * libm::sqrt(p0 * (1.0 - p0) / f64::from(reads))
        } else {
            0.0
        };
        let faultless = cfg.failed == 0 && cfg.p_down == 0.0 && cfg.drop == 0.0;
        let mut write_latency = Latency::of(&m.write_lat);
        let mut read_latency = Latency::of(&m.read_lat);
        if faultless && cfg.dist == Dist::Exp {
            write_latency.theory_mean = Some(exp_sum_order_stat_mean(n, w, cfg.legs.w, cfg.legs.a));
            read_latency.theory_mean = Some(exp_sum_order_stat_mean(n, r, cfg.legs.r, cfg.legs.s));
        }
        let q = (1.0 - cfg.p_down) * (1.0 - cfg.drop) * (1.0 - cfg.drop);
        let availability: Vec<AvailPoint> = (0..=n)
            .map(|f| AvailPoint {
                failed: f,
                write: binom_at_least(n - f, w, q),
                read: binom_at_least(n - f, r, q),
            })
            .collect();
        let here = &availability[cfg.failed as usize];
        let strict = r + w > n;
        let within = Measured::within(tau_r, TARGET);
        let mut notes = Vec::new();
        if strict {
            notes.push(format!(
                "R + W = {} > N = {}: any {r} answering replicas include at least {} of the {w} that acknowledged, so no read in {} trials was stale.",
                r + w, n, r + w - n, reads
            ));
        } else if !cfg.propagate {
            notes.push(format!(
                "Only the write quorum holds the write: a read misses it whenever its {r} answers all come from the other {} replicas, C({}, {r}) / C({n}, {r}) = {} of the time, however long you wait.",
                n - w, n - w, fmt_pct(stale_without_propagation(n, w, r))
            ));
        } else if let Some(t) = within {
            notes.push(format!(
                "A partial quorum: {} of reads issued at the commit were stale, but 99.9 % were fresh by {:.1} ms after it — the write was still on its way to the other replicas.",
                fmt_pct(p0), t
            ));
        }
        if reads == 0 {
            notes.push("No read could be measured: too few replicas answer (or writes never commit) with these faults.".into());
        }
        if m.writes_ok < m.trials {
            notes.push(format!(
                "{} of writes could not gather {w} acknowledgements (theory {}).",
                fmt_pct(1.0 - f64::from(m.writes_ok) / f64::from(m.trials)),
                fmt_pct(1.0 - here.write)
            ));
        }
        Report {
            strict,
            overlap: (r + w).saturating_sub(n),
            write_tolerates: n - w,
            read_tolerates: n - r,
            p_stale_t0: p0,
            p_stale_t0_ci95: ci,
            p_stale_no_propagation: stale_without_propagation(n, w, r),
            within_ms: within,
            t_max_ms: t_max,
            curve,
            by_r,
            write_avail: f64::from(m.writes_ok) / f64::from(m.trials),
            read_avail: f64::from(m.reads_ok) / f64::from(m.trials),
            write_avail_theory: here.write,
            read_avail_theory: here.read,
            availability,
            write_latency,
            read_latency,
            trials: m.trials,
            reads_measured: reads,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("p_stale_t0", r.p_stale_t0),
            ("write_p99_ms", r.write_latency.p99),
            ("read_p99_ms", r.read_latency.p99),
            ("write_avail", r.write_avail),
            ("read_avail", r.read_avail),
        ]
    }
}

fn fmt_pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

// ---------------------------------------------------------------------------------------------
// Live simulation
// ---------------------------------------------------------------------------------------------

/// Reads the live simulation issues after the write.
pub const LIVE_READS: u32 = 5;

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgKind {
    /// The write, coordinator → replica.
    Write,
    /// Its acknowledgement, replica → coordinator.
    Ack,
    /// Read request number `k`, coordinator → replica.
    ReadReq(u32),
    /// The answer to read `k`, replica → coordinator; `fresh`: the replica held the write.
    ReadResp {
        /// Which read.
        read: u32,
        /// Whether the answer carries the new version.
        fresh: bool,
    },
}

/// A message on the wire. Node `N` is the coordinator (client); `0..N` are replicas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Msg {
    /// Sender.
    pub from: u32,
    /// Receiver.
    pub to: u32,
    /// Payload.
    pub kind: MsgKind,
    /// Sent at, ms.
    pub sent_ms: f64,
    /// Arrives at, ms.
    pub arrive_ms: f64,
    /// Lost on the way (drawn, but has no effect).
    pub lost: bool,
}

/// The link between the coordinator and one replica: whole, or cut one way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// Messages cross both ways.
    #[default]
    Open,
    /// Coordinator → replica is cut: the write and read requests never arrive.
    NoIn,
    /// Replica → coordinator is cut: the replica stores the write and answers reads, but its
    /// acknowledgements and answers never arrive.
    NoOut,
}

impl Link {
    /// The next state a click gives: open → cut in → cut out → open.
    pub fn next(self) -> Link {
        match self {
            Link::Open => Link::NoIn,
            Link::NoIn => Link::NoOut,
            Link::NoOut => Link::Open,
        }
    }
}

/// One replica as drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    /// Running.
    pub up: bool,
    /// Holds the new version.
    pub has_write: bool,
    /// Its acknowledgement counted toward the write quorum.
    pub in_quorum: bool,
    /// Its link to the coordinator.
    pub link: Link,
}

/// The state of one live read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadView {
    /// Issued at, ms (`None`: not yet).
    pub issued_ms: Option<f64>,
    /// Answers received.
    pub answers: u32,
    /// Whether any answer so far carried the new version.
    pub saw_write: bool,
    /// Returned at, ms.
    pub done_ms: Option<f64>,
    /// Gave up (fewer than R answers before the timeout).
    pub failed: bool,
}

/// A drawing of the live simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Simulated time, ms.
    pub t_ms: f64,
    /// Replicas, W and R.
    pub n: u32,
    /// Write quorum.
    pub w: u32,
    /// Read quorum.
    pub r: u32,
    /// Replicas.
    pub replicas: Vec<ReplicaView>,
    /// Messages in flight.
    pub msgs: Vec<Msg>,
    /// Acknowledgements received.
    pub acks: u32,
    /// When the write committed.
    pub committed_ms: Option<f64>,
    /// The write gave up.
    pub write_failed: bool,
    /// The reads.
    pub reads: Vec<ReadView>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    Deliver(u64),
    Crash(u32),
    Restart(u32),
    SetLink(u32, Link),
    StartRead(u32),
    WriteTimeout,
    ReadTimeout(u32),
}

/// One write followed by [`LIVE_READS`] reads, message by message, with live crash/restart
/// and one-way cuts of a replica's link.
pub struct QuorumSim {
    cfg: Config,
    rng: Rng,
    t: f64,
    seq: u64,
    events: BinaryHeap<Scheduled<Ev>>,
    msgs: BTreeMap<u64, Msg>,
    next_msg: u64,
    replicas: Vec<ReplicaView>,
    acks: u32,
    committed: Option<f64>,
    write_failed: bool,
    reads: Vec<ReadView>,
    gap: f64,
}

impl QuorumSim {
    /// A fresh run from the knobs (the first `failed` replicas start down).
    pub fn new(p: &Params, seed: u64) -> QuorumSim {
        let cfg = p.config();
        let n = cfg.n;
        let mut s = QuorumSim {
            cfg,
            rng: Rng::derive(seed, "live"),
            t: 0.0,
            seq: 0,
            events: BinaryHeap::new(),
            msgs: BTreeMap::new(),
            next_msg: 0,
            replicas: (0..n)
                .map(|i| ReplicaView {
                    up: i >= cfg.failed,
                    has_write: false,
                    in_quorum: false,
                    link: Link::Open,
                })
                .collect(),
            acks: 0,
            committed: None,
            write_failed: false,
            reads: vec![
                ReadView {
                    issued_ms: None,
                    answers: 0,
                    saw_write: false,
                    done_ms: None,
                    failed: false,
                };
                LIVE_READS as usize
            ],
            gap: 0.5 * cfg.legs.w.max(cfg.legs.r),
        };
        for i in 0..n {
            s.send(n, i, MsgKind::Write, cfg.legs.w);
        }
        let to = s.timeout();
        s.push(to, Ev::WriteTimeout);
        s
    }

    fn timeout(&self) -> f64 {
        12.0 * (self.cfg.legs.w.max(self.cfg.legs.r) + self.cfg.legs.a.max(self.cfg.legs.s))
    }

    fn push(&mut self, t: f64, ev: Ev) {
        self.seq += 1;
        self.events.push(Scheduled {
            time: t,
            seq: self.seq,
            item: ev,
        });
    }

    fn send(&mut self, from: u32, to: u32, kind: MsgKind, mean: f64) {
        let d = self.cfg.dist.sample(&mut self.rng, mean);
        let lost = self.cfg.drop > 0.0 && self.rng.chance(self.cfg.drop);
        let id = self.next_msg;
        self.next_msg += 1;
        self.msgs.insert(
            id,
            Msg {
                from,
                to,
                kind,
                sent_ms: self.t,
                arrive_ms: self.t + d,
                lost,
            },
        );
        self.push(self.t + d, Ev::Deliver(id));
    }

    /// Crash replica `node` at time `t_s` (seconds; not before now). Messages it receives while
    /// down are lost; it sends nothing.
    pub fn crash(&mut self, node: u32, t_s: f64) {
        if node < self.cfg.n {
            self.push((t_s * 1000.0).max(self.t), Ev::Crash(node));
        }
    }

    /// Restart replica `node` at time `t_s` (seconds); it keeps what it had stored.
    pub fn restart(&mut self, node: u32, t_s: f64) {
        if node < self.cfg.n {
            self.push((t_s * 1000.0).max(self.t), Ev::Restart(node));
        }
    }

    /// Crash a running replica or restart a crashed one, at `t_s` seconds.
    pub fn toggle(&mut self, node: u32, t_s: f64) {
        match self.replicas.get(node as usize) {
            Some(r) if r.up => self.crash(node, t_s),
            Some(_) => self.restart(node, t_s),
            None => {}
        }
    }

    /// Set replica `node`'s link to the coordinator at `t_s` seconds (not before now). A cut
    /// loses the messages that would arrive across it while it lasts.
    pub fn set_link(&mut self, node: u32, link: Link, t_s: f64) {
        if node < self.cfg.n {
            self.push((t_s * 1000.0).max(self.t), Ev::SetLink(node, link));
        }
    }

    /// Move replica `node`'s link on to its next state ([`Link::next`]) at `t_s` seconds.
    pub fn cycle_link(&mut self, node: u32, t_s: f64) {
        if let Some(r) = self.replicas.get(node as usize) {
            let next = r.link.next();
            self.set_link(node, next, t_s);
        }
    }

    fn commit(&mut self) {
        self.committed = Some(self.t);
        if !self.cfg.propagate {
            for r in &mut self.replicas {
                if !r.in_quorum {
                    r.has_write = false;
                }
            }
        }
        self.schedule_reads();
    }

    fn schedule_reads(&mut self) {
        for k in 0..LIVE_READS {
            self.push(self.t + self.gap * f64::from(k), Ev::StartRead(k));
        }
    }

    /// What to draw.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            t_ms: self.t,
            n: self.cfg.n,
            w: self.cfg.w,
            r: self.cfg.r,
            replicas: self.replicas.clone(),
            msgs: self.msgs.values().copied().collect(),
            acks: self.acks,
            committed_ms: self.committed,
            write_failed: self.write_failed,
            reads: self.reads.clone(),
        }
    }

    /// `true` once every event has run.
    pub fn is_done(&self) -> bool {
        self.events.is_empty()
    }
}

impl Simulation for QuorumSim {
    fn now(&self) -> f64 {
        self.t / 1000.0
    }

    fn next_event_time(&self) -> Option<f64> {
        self.events.peek().map(|e| e.time / 1000.0)
    }

    fn step(&mut self) -> bool {
        let Some(Scheduled {
            time: t, item: ev, ..
        }) = self.events.pop()
        else {
            return false;
        };
        self.t = self.t.max(t);
        let n = self.cfg.n;
        let (w, r) = (self.cfg.w, self.cfg.r);
        match ev {
            Ev::Crash(i) => self.replicas[i as usize].up = false,
            Ev::Restart(i) => self.replicas[i as usize].up = true,
            Ev::SetLink(i, link) => self.replicas[i as usize].link = link,
            Ev::WriteTimeout => {
                if self.committed.is_none() && !self.write_failed {
                    self.write_failed = true;
                    self.schedule_reads();
                }
            }
            Ev::StartRead(k) => {
                self.reads[k as usize].issued_ms = Some(self.t);
                for i in 0..n {
                    self.send(n, i, MsgKind::ReadReq(k), self.cfg.legs.r);
                }
                let to = self.t + self.timeout();
                self.push(to, Ev::ReadTimeout(k));
            }
            Ev::ReadTimeout(k) => {
                let rd = &mut self.reads[k as usize];
                if rd.done_ms.is_none() {
                    rd.failed = true;
                }
            }
            Ev::Deliver(id) => {
                let Some(m) = self.msgs.remove(&id) else {
                    return true;
                };
                let cut = (m.to < n && self.replicas[m.to as usize].link == Link::NoIn)
                    || (m.from < n && self.replicas[m.from as usize].link == Link::NoOut);
                if m.lost || cut || (m.to < n && !self.replicas[m.to as usize].up) {
                    return true;
                }
                match m.kind {
                    MsgKind::Write => {
                        let i = m.to as usize;
                        // without propagation, a write arriving after the commit is discarded
                        if self.cfg.propagate || self.committed.is_none() {
                            self.replicas[i].has_write = true;
                            self.send(m.to, n, MsgKind::Ack, self.cfg.legs.a);
                        }
                    }
                    MsgKind::Ack => {
                        if self.committed.is_none() && !self.write_failed {
                            self.acks += 1;
                            self.replicas[m.from as usize].in_quorum = true;
                            if self.acks >= w {
                                self.commit();
                            }
                        }
                    }
                    MsgKind::ReadReq(k) => {
                        let fresh = self.replicas[m.to as usize].has_write;
                        self.send(
                            m.to,
                            n,
                            MsgKind::ReadResp { read: k, fresh },
                            self.cfg.legs.s,
                        );
                    }
                    MsgKind::ReadResp { read, fresh } => {
                        let rd = &mut self.reads[read as usize];
                        if rd.done_ms.is_none() && !rd.failed {
                            rd.answers += 1;
                            rd.saw_write |= fresh;
                            if rd.answers >= r {
                                rd.done_ms = Some(self.t);
                            }
                        }
                    }
                }
            }
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(n: u32, w: u32, r: u32) -> Params {
        Params {
            n,
            w,
            r,
            ..Params::default()
        }
    }

    #[test]
    fn the_books_four_configurations() {
        for (n, w, r, tol_w, tol_r) in [
            (3, 2, 2, 1, 1),
            (5, 3, 3, 2, 2),
            (5, 1, 5, 4, 0),
            (5, 5, 1, 0, 4),
        ] {
            let rep = Quorum::run(&params(n, w, r), 7);
            assert!(rep.strict, "{n} {w} {r}");
            assert_eq!((rep.write_tolerates, rep.read_tolerates), (tol_w, tol_r));
            assert!(rep.curve.iter().all(|&p| p == 0.0));
            assert_eq!(rep.p_stale_t0, 0.0);
            assert_eq!(rep.within_ms, Some(0.0));
            assert_eq!(rep.reads_measured, rep.trials);
        }
    }

    #[test]
    fn strict_quorums_are_never_stale_under_any_faults() {
        for dist in ["exp", "pareto", "lognormal"] {
            for propagate in [true, false] {
                let p = Params {
                    n: 5,
                    w: 3,
                    r: 3,
                    dist: dist.into(),
                    failed: 1,
                    p_down: 10.0,
                    drop: 10.0,
                    propagate,
                    trials: 5_000,
                    ..Params::default()
                };
                let rep = Quorum::run(&p, 3);
                assert!(rep.reads_measured > 1000);
                assert!(rep.curve.iter().all(|&x| x == 0.0), "{dist}");
            }
        }
    }

    #[test]
    fn without_propagation_staleness_is_the_hypergeometric_ratio() {
        for (n, w, r) in [(5, 2, 2), (3, 1, 1), (9, 3, 4), (5, 1, 3)] {
            let want = stale_without_propagation(n, w, r);
            let p = Params {
                n,
                w,
                r,
                propagate: false,
                trials: 40_000,
                ..Params::default()
            };
            let rep = Quorum::run(&p, 11);
            let sd = libm::sqrt(want * (1.0 - want) / 40_000.0);
            assert!(
                (rep.p_stale_t0 - want).abs() < 4.0 * sd,
                "{n} {w} {r}: {} vs {want}",
                rep.p_stale_t0
            );
            // and it never heals
            let last = *rep.curve.last().unwrap_or(&0.0);
            assert!((last - rep.p_stale_t0).abs() < 1e-12);
            assert_eq!(rep.within_ms, None);
        }
        assert!((stale_without_propagation(5, 2, 2) - 0.3).abs() < 1e-12);
        assert!((stale_without_propagation(3, 1, 1) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn availability_is_binomial() {
        // N = 5, W = 3, each replica down with p = 20 %: P(Bin(5, 0.8) ≥ 3) = 0.94208.
        assert!((binom_at_least(5, 3, 0.8) - 0.94208).abs() < 1e-12);
        let p = Params {
            n: 5,
            w: 3,
            r: 2,
            p_down: 20.0,
            trials: 40_000,
            ..Params::default()
        };
        let rep = Quorum::run(&p, 5);
        let sd = libm::sqrt(0.94208 * 0.05792 / 40_000.0);
        assert!(
            (rep.write_avail - 0.94208).abs() < 4.0 * sd,
            "{}",
            rep.write_avail
        );
        let rd = binom_at_least(5, 2, 0.8);
        assert!((rep.read_avail - rd).abs() < 4.0 * libm::sqrt(rd * (1.0 - rd) / 40_000.0) + 1e-9);
        assert_eq!(rep.availability.len(), 6);
        assert!(rep
            .availability
            .windows(2)
            .all(|a| a[1].write <= a[0].write && a[1].read <= a[0].read));
        // drops count twice (message out and answer back)
        let p = Params {
            n: 3,
            w: 2,
            r: 2,
            drop: 10.0,
            failed: 1,
            trials: 40_000,
            ..Params::default()
        };
        let rep = Quorum::run(&p, 5);
        let th = binom_at_least(2, 2, 0.81);
        assert!((rep.write_avail_theory - th).abs() < 1e-12);
        assert!((rep.write_avail - th).abs() < 4.0 * libm::sqrt(th * (1.0 - th) / 40_000.0));
        // crashed replicas: deterministic tolerance
        let rep = Quorum::run(
            &Params {
                n: 5,
                w: 3,
                r: 3,
                failed: 2,
                ..Params::default()
            },
            1,
        );
        assert_eq!((rep.write_avail, rep.read_avail), (1.0, 1.0));
        let rep = Quorum::run(
            &Params {
                n: 5,
                w: 3,
                r: 3,
                failed: 3,
                ..Params::default()
            },
            1,
        );
        assert_eq!(
            (rep.write_avail, rep.read_avail, rep.reads_measured),
            (0.0, 0.0, 0)
        );
        assert!(rep.curve.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn write_latency_is_the_w_th_order_statistic() {
        // Acks instantaneous: commit = W-th smallest of N exponentials, mean m·Σ 1/(N−j).
        for (n, w) in [(3, 2), (5, 1), (5, 5), (9, 4)] {
            let cfg = Config {
                n,
                w,
                r: 1,
                dist: Dist::Exp,
                legs: Legs {
                    w: 10.0,
                    a: 0.0,
                    r: 1.0,
                    s: 1.0,
                },
                failed: 0,
                p_down: 0.0,
                drop: 0.0,
                propagate: true,
                trials: 40_000,
            };
            let m = monte_carlo(&cfg, 2);
            let mean = m.write_lat.iter().sum::<f64>() / m.write_lat.len() as f64;
            let want = exp_order_stat_mean(n, w, 10.0);
            assert!(
                (mean - want).abs() < 0.02 * want,
                "{n} {w}: {mean} vs {want}"
            );
            assert!((exp_sum_order_stat_mean(n, w, 10.0, 0.0) - want).abs() < 1e-6 * want);
        }
        // With both legs random, the numerical order-statistic mean is the reference.
        let rep = Quorum::run(
            &Params {
                n: 5,
                w: 3,
                r: 2,
                trials: 40_000,
                ..Params::default()
            },
            4,
        );
        for l in [&rep.write_latency, &rep.read_latency] {
            let th = l.theory_mean.unwrap_or(0.0);
            assert!((l.mean - th).abs() < 0.02 * th, "{} vs {th}", l.mean);
            assert!(l.p50 <= l.p99 && l.cdf.len() == 51);
        }
        // N = 3, two gamma(2, 5 ms) legs on the read side: E[min] of 3
        let g = exp_sum_order_stat_mean(1, 1, 5.0, 5.0);
        assert!((g - 10.0).abs() < 1e-6, "{g}");
    }

    #[test]
    fn partial_quorums_are_fresh_within_tens_of_ms() {
        // PBS's headline: partial quorums are usually consistent within tens of milliseconds.
        let rep = Quorum::run(&params(3, 1, 1), 1);
        assert!(!rep.strict);
        assert!(
            rep.p_stale_t0 > 0.05 && rep.p_stale_t0 < 0.9,
            "{}",
            rep.p_stale_t0
        );
        let t = rep.within_ms.unwrap_or(f64::INFINITY);
        assert!(t > 1.0 && t < 100.0, "{t}");
        assert!(rep.t_max_ms >= t);
        assert!(*rep.curve.last().unwrap_or(&1.0) <= 0.001);
        assert!(rep.notes.iter().any(|n| n.contains("partial quorum")));
    }

    #[test]
    fn validation_clamps_quorums_to_n() {
        let pairs = [
            ("n", "3"),
            ("w", "7"),
            ("r", "0"),
            ("failed", "5"),
            ("dist", "bogus"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        let (p, notes) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!((p.n, p.w, p.r, p.failed), (3, 3, 1, 3));
        assert!(notes
            .iter()
            .any(|n| n.key == "w" && n.message.contains("N = 3")));
        assert!(notes.iter().any(|n| n.key == "failed"));
        assert!(notes.iter().any(|n| n.key == "dist"));
    }

    #[test]
    fn report_is_small_deterministic_and_reads_back() {
        let p = Params {
            n: 9,
            w: 1,
            r: 1,
            ..Params::default()
        };
        let a = Quorum::run(&p, 9);
        assert_eq!(a, Quorum::run(&p, 9));
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert!(json.len() < 20_000, "{}", json.len());
        let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.by_r.len(), 9);
        assert_ne!(a.p_stale_t0, Quorum::run(&p, 10).p_stale_t0);
    }

    #[test]
    fn live_sim_commits_reads_and_takes_faults() {
        let p = params(3, 2, 2);
        let mut s = QuorumSim::new(&p, 4);
        assert_eq!(s.snapshot().msgs.len(), 3);
        while s.step() {
            let sn = s.snapshot();
            assert!(sn
                .msgs
                .iter()
                .all(|m| m.arrive_ms >= sn.t_ms && m.sent_ms <= sn.t_ms));
        }
        let sn = s.snapshot();
        assert!(sn.committed_ms.is_some() && sn.acks >= 2);
        assert!(sn.reads.iter().all(|r| r.done_ms.is_some() && r.saw_write));
        assert!(sn.msgs.is_empty() && s.is_done());
        // crash two replicas before anything arrives: the write cannot commit
        let mut s = QuorumSim::new(&p, 4);
        s.crash(0, 0.0);
        s.crash(1, 0.0);
        while s.step() {}
        let sn = s.snapshot();
        assert!(sn.write_failed && sn.committed_ms.is_none());
        assert!(sn.reads.iter().all(|r| r.failed));
        // restarted before the write arrives, a crashed replica still gets it
        let mut s = QuorumSim::new(
            &Params {
                failed: 1,
                ..p.clone()
            },
            4,
        );
        assert!(!s.snapshot().replicas[0].up);
        s.toggle(0, 0.0);
        s.step();
        assert!(s.snapshot().replicas[0].up);
        while s.step() {}
        assert!(s.snapshot().replicas[0].has_write);
        // determinism
        let run = |seed| {
            let mut s = QuorumSim::new(&params(5, 1, 1), seed);
            let mut v = Vec::new();
            while s.step() {
                v.push(s.now());
            }
            (v, s.snapshot().reads)
        };
        assert_eq!(run(3), run(3));
    }

    #[test]
    fn one_way_cuts_lose_only_their_direction() {
        // the way out of replica 1 cut from the start, with W = N: it stores the write but its
        // ack never arrives, so the write fails — and yet every replica holds it, and a read
        // that does not need replica 1's answer returns the new version: a failed write is
        // not an undone write
        let mut s = QuorumSim::new(&params(3, 3, 2), 4);
        s.set_link(0, Link::NoOut, 0.0);
        while s.step() {}
        let sn = s.snapshot();
        assert!(sn.write_failed && sn.committed_ms.is_none());
        assert_eq!(sn.replicas[0].link, Link::NoOut);
        assert!(sn.replicas.iter().all(|r| r.has_write));
        assert!(!sn.replicas[0].in_quorum && sn.replicas[1].in_quorum);
        assert!(sn
            .reads
            .iter()
            .all(|r| r.done_ms.is_some() && r.saw_write && r.answers == 2));
        // R = N as well: no read can gather replica 1's answer
        let mut s = QuorumSim::new(&params(3, 3, 3), 4);
        s.set_link(0, Link::NoOut, 0.0);
        while s.step() {}
        assert!(s.snapshot().reads.iter().all(|r| r.failed));

        // the way in cut: replica 1 never sees the write or a read request; the other two
        // make both quorums
        let mut s = QuorumSim::new(&params(3, 2, 2), 4);
        s.set_link(0, Link::NoIn, 0.0);
        while s.step() {}
        let sn = s.snapshot();
        assert!(sn.committed_ms.is_some());
        assert!(!sn.replicas[0].has_write && sn.replicas[1].has_write && sn.replicas[2].has_write);
        assert!(sn.reads.iter().all(|r| r.done_ms.is_some() && r.saw_write));

        // a click cycles open → cut in → cut out → open, each taking effect as an event
        let mut s = QuorumSim::new(&params(3, 2, 2), 4);
        let mut seen = Vec::new();
        for _ in 0..3 {
            s.cycle_link(2, 0.0);
            while s.snapshot().replicas[2].link == seen.last().copied().unwrap_or(Link::Open) {
                assert!(s.step());
            }
            seen.push(s.snapshot().replicas[2].link);
        }
        assert_eq!(seen, [Link::NoIn, Link::NoOut, Link::Open]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn staleness_is_a_probability_and_falls_with_time(
            n in 1u32..=9, w in 1u32..=9, r in 1u32..=9, dist in 0usize..3,
            failed in 0u32..=3, p_down in 0.0f64..40.0, drop in 0.0f64..30.0,
            propagate in any::<bool>(), seed in 0u64..1_000_000,
        ) {
            let p = Params {
                n, w, r, dist: DISTS[dist].0.into(), failed, p_down, drop, propagate,
                trials: 600, ..Params::default()
            };
            let (p, _) = crate::params::validate(p);
            let rep = Quorum::run(&p, seed);
            for c in std::iter::once(&rep.curve).chain(rep.by_r.iter().map(|c| &c.p_stale)) {
                prop_assert!(c.iter().all(|x| (0.0..=1.0).contains(x)));
                prop_assert!(c.windows(2).all(|a| a[1] <= a[0]));
            }
            if rep.strict {
                prop_assert!(rep.curve.iter().all(|&x| x == 0.0));
            }
            for x in [rep.write_avail, rep.read_avail, rep.write_avail_theory, rep.read_avail_theory, rep.p_stale_t0] {
                prop_assert!((0.0..=1.0).contains(&x));
            }
            prop_assert!(Quorum::headline(&rep).iter().all(|(_, x)| x.is_finite()));
        }

        #[test]
        fn more_replicas_in_a_quorum_never_mean_more_staleness(
            n in 2u32..=9, w in 1u32..=8, dist in 0usize..3, propagate in any::<bool>(),
            seed in 0u64..1_000_000,
        ) {
            let w = w.min(n - 1);
            let base = Params { n, w, r: 1, dist: DISTS[dist].0.into(), propagate, trials: 600, ..Params::default() };
            let a = Quorum::run(&base, seed);
            // larger R, same draws: τ only shrinks
            for c in a.by_r.windows(2) {
                prop_assert!(c[1].p_stale.iter().zip(&c[0].p_stale).all(|(hi, lo)| hi <= lo));
            }
            // larger W, same draws: a later commit and more holders
            let mb = monte_carlo(&Params { w: w + 1, ..base.clone() }.config(), seed);
            let ma = monte_carlo(&base.config(), seed);
            for (tb, ta) in mb.tau.iter().zip(&ma.tau) {
                for t in [0.0, 1.0, 5.0, 20.0, 80.0] {
                    prop_assert!(Measured::stale_at(tb, t) <= Measured::stale_at(ta, t));
                }
            }
        }
    }
}
