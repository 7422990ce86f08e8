//! # Adaptive concurrency (book page 23): three limiters looking for a capacity that moves
//!
//! The book sketches a limiter that probes its concurrency limit upwards, watches latency and
//! backs off when latency spikes. This model plays that idea against a server whose capacity is
//! hidden from the clients and changes half-way through the run.
//!
//! **The system.** Clients send requests as a Poisson stream at an offered rate λ (above the
//! server's capacity, so the limiter matters). Each request meets a concurrency limiter: if
//! fewer than `⌊limit⌋` requests are in flight it is admitted, otherwise it is rejected at once
//! (shed). Admitted requests join the server: `c` parallel slots, each serving one request at a
//! time with exponential service times of mean `S` (rate `μ = 1/S`), and one FIFO queue in
//! front. The slot count jumps from `capacity_before` to `capacity_after` at `change_at_s`
//! (requests in service when it drops finish; no new one starts until a slot is free).
//! A request's round-trip time (RTT) is its wait plus its service.
//!
//! **The optimum.** By Little's law (L = λW) the number in flight equals throughput × latency.
//! The most throughput the server gives is `c·μ`, and the least latency is the no-load latency
//! `S`, so the smallest limit that still saturates the server is
//! `limit* = c·μ × S = c` — the concurrency at which every slot is busy and nobody queues.
//! Below it, slots idle; above it, every extra request only waits (latency grows as
//! `limit·S/c`, throughput stays `c·μ`). This is the "RPS × latency" rule of Netflix's
//! concurrency-limits library and the bandwidth-delay product of TCP BBR.
//!
//! **The limiters** ([`LimiterKind`]), all updated once per sample window (a window closes after
//! `max(10, ⌈limit⌉)` completions — about one round trip — and its sample is the mean RTT):
//! - **AIMD**: a window whose mean RTT exceeds the timeout is congestion: `limit ← limit × β`;
//!   otherwise, if the window was not application-limited, `limit ← limit + 1`
//!   (e.g. β = 0.9: 10 → 9 → 8.1).
//! - **Gradient2** (Netflix concurrency-limits `Gradient2Limit`): a long-term RTT (exponential
//!   average over 600 windows, a plain mean over the first 10) and the short-term (this window's) RTT;
//!   `gradient = clamp(1.5 × long / short, 0.5, 1)` — RTT up to 1.5× the long-term average is
//!   tolerated — `new = limit × gradient + queue_size` (queue size 4), smoothed:
//!   `limit ← 0.8·limit + 0.2·new`. If the long-term RTT exceeds twice the short one it decays
//!   (×0.95), so a drop in latency is learnt quickly.
//! - **Vegas** (`VegasLimit`, after TCP Vegas, Brakmo & Peterson 1995): the RTT it compares is
//!   smoothed over about ten windows (with exponential service, the least of many raw window
//!   means sits far below the true no-load latency, and Vegas would then see a queue that is
//!   not there); the no-load RTT is the least smoothed RTT seen (re-probed every 1000
//!   windows, i.e. rarely within one run: a probe during congestion takes a queued RTT as the
//!   baseline and lets the limit creep up); the estimated queue is
//!   `limit × (1 − RTT_noload / RTT)`; with `α = 3·log10(limit)` and `β = 6·log10(limit)` (the
//!   logarithm floored at 1, as the library does) it adds `log10(limit)` when the queue is
//!   below α (and β when it is below `log10(limit)`), subtracts `log10(limit)` above β, and
//!   holds in between.
//!
//! Every limit is clamped to `[min_limit, max_limit]` after every update, and none grows while
//! fewer than half its limit are in flight (no evidence the limit is the bottleneck).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::adaptive_concurrency::{AdaptiveConcurrency, Params};
//! let r = AdaptiveConcurrency::run(&Params::default(), 1);
//! assert_eq!(r.optimum_before, 20.0);
//! assert_eq!(r.limiters.len(), 3);
//! ```

use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::rc::Rc;

/// The adaptive-concurrency model: AIMD, Gradient2 and Vegas against a hidden, moving capacity.
pub struct AdaptiveConcurrency;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

const CAP_MAX: u32 = 200;
const SERVICE_MIN: f64 = 1.0;
const SERVICE_MAX: f64 = 1000.0;
const RATE_MIN: f64 = 1.0;
const RATE_MAX: f64 = 10_000.0;
const DURATION_MIN: f64 = 2.0;
const DURATION_MAX: f64 = 60.0;
const LIMIT_MAX: u32 = 1000;
/// At most this many arrivals per limiter and run: keeps the maximum knobs bounded.
pub const MAX_ARRIVALS: u64 = 300_000;
/// Points in each time series of the report.
pub const SERIES_POINTS: u32 = 200;
/// A sample window closes after at least this many completions.
pub const WINDOW_MIN_SAMPLES: u32 = 10;
/// Gradient2: RTT tolerated relative to the long-term average.
pub const G2_TOLERANCE: f64 = 1.5;
/// Gradient2: the long-term RTT is an exponential average over this many windows.
pub const G2_LONG_WINDOWS: f64 = 600.0;
/// Gradient2: windows over which the long-term RTT is a plain running mean before it turns
/// into the exponential average.
pub const G2_WARMUP: u32 = 10;
/// Gradient2: requests of standing queue it allows (`queue_size`).
pub const G2_QUEUE: f64 = 4.0;
/// Gradient2: smoothing of each new limit.
pub const G2_SMOOTHING: f64 = 0.2;
/// Vegas: weight of each window's RTT in its smoothed RTT.
pub const VEGAS_RTT_SMOOTHING: f64 = 0.05;
/// Vegas: the no-load RTT is re-probed (reset to the current RTT) every this many windows.
pub const VEGAS_PROBE_WINDOWS: u32 = 1000;

/// The knobs of the adaptive-concurrency model. Defaults: a 20-slot server at 20 ms (1000 req/s)
/// that loses half its slots at 10 s, offered 1500 req/s; AIMD with β = 0.9 (the reference's
/// 10 → 9 → 8.1) shown in detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The limiter shown in detail and played live: `aimd`, `gradient2` or `vegas`.
    pub limiter: String,
    /// Server slots (parallel requests served) before the change (1–200).
    pub capacity_before: u32,
    /// Server slots after the change (1–200).
    pub capacity_after: u32,
    /// When the capacity changes, in seconds from the start (0–duration).
    pub change_at_s: f64,
    /// Mean service time `S` of one request on one slot, ms (exponential; 1–1000).
    pub service_ms: f64,
    /// Offered (client) rate λ, requests per second, Poisson (1–10 000).
    pub offered_rate: f64,
    /// Simulated time, seconds (2–60).
    pub duration_s: f64,
    /// The limit every limiter starts from (clamped into `[min_limit, max_limit]`).
    pub initial_limit: u32,
    /// Lower bound of every limit (1–1000).
    pub min_limit: u32,
    /// Upper bound of every limit (1–1000).
    pub max_limit: u32,
    /// AIMD's multiplicative decrease factor β (0.5–0.99).
    pub aimd_backoff: f64,
    /// AIMD's timeout: a window whose mean RTT exceeds it is congestion, as a multiple of the
    /// no-load latency `S` (1.05–10).
    pub aimd_timeout_x: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            limiter: "aimd".into(),
            capacity_before: 20,
            capacity_after: 10,
            change_at_s: 10.0,
            service_ms: 20.0,
            offered_rate: 1500.0,
            duration_s: 20.0,
            initial_limit: 10,
            min_limit: 1,
            max_limit: 200,
            aimd_backoff: 0.9,
            aimd_timeout_x: 1.5,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "limiter",
        label: "Limiter shown",
        unit: "",
        help: "Which limiter the detailed charts and the live run follow; all three always run and are compared.",
        kind: KnobKind::Choice {
            options: &[("aimd", "AIMD"), ("gradient2", "Gradient2"), ("vegas", "Vegas")],
        },
    },
    Knob {
        key: "capacity_before",
        label: "Server slots before",
        unit: "slots",
        help: "Requests the server works on in parallel until the change; hidden from the limiters.",
        kind: KnobKind::Int { min: 1, max: CAP_MAX as i64, log: false },
    },
    Knob {
        key: "capacity_after",
        label: "Server slots after",
        unit: "slots",
        help: "Requests the server works on in parallel after the change (a lost node, a noisy neighbour, a scale-up).",
        kind: KnobKind::Int { min: 1, max: CAP_MAX as i64, log: false },
    },
    Knob {
        key: "change_at_s",
        label: "Capacity changes at",
        unit: "s",
        help: "When the slot count switches from the first value to the second.",
        kind: KnobKind::Float { min: 0.0, max: DURATION_MAX, step: 0.5, log: false },
    },
    Knob {
        key: "service_ms",
        label: "Service time S",
        unit: "ms",
        help: "Mean time one slot spends on one request (exponentially distributed): the no-load latency.",
        kind: KnobKind::Float { min: SERVICE_MIN, max: SERVICE_MAX, step: 1.0, log: true },
    },
    Knob {
        key: "offered_rate",
        label: "Offered rate λ",
        unit: "req/s",
        help: "Requests the clients send per second (Poisson); above capacity, the limiter has to shed the excess.",
        kind: KnobKind::Float { min: RATE_MIN, max: RATE_MAX, step: 10.0, log: true },
    },
    Knob {
        key: "duration_s",
        label: "Run length",
        unit: "s",
        help: "Simulated seconds.",
        kind: KnobKind::Float { min: DURATION_MIN, max: DURATION_MAX, step: 1.0, log: false },
    },
    Knob {
        key: "initial_limit",
        label: "Initial limit",
        unit: "req",
        help: "The concurrency limit every limiter starts from.",
        kind: KnobKind::Int { min: 1, max: LIMIT_MAX as i64, log: true },
    },
    Knob {
        key: "min_limit",
        label: "Minimum limit",
        unit: "req",
        help: "No limiter goes below this.",
        kind: KnobKind::Int { min: 1, max: LIMIT_MAX as i64, log: true },
    },
    Knob {
        key: "max_limit",
        label: "Maximum limit",
        unit: "req",
        help: "No limiter goes above this.",
        kind: KnobKind::Int { min: 1, max: LIMIT_MAX as i64, log: true },
    },
    Knob {
        key: "aimd_backoff",
        label: "AIMD backoff β",
        unit: "×",
        help: "AIMD multiplies its limit by this on congestion (0.9: 10 → 9 → 8.1).",
        kind: KnobKind::Float { min: 0.5, max: 0.99, step: 0.01, log: false },
    },
    Knob {
        key: "aimd_timeout_x",
        label: "AIMD timeout",
        unit: "× S",
        help: "AIMD calls a window congested when its mean latency exceeds this multiple of the no-load latency S.",
        kind: KnobKind::Float { min: 1.05, max: 10.0, step: 0.05, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// At most [`MAX_ARRIVALS`] arrivals (λ × duration); the change lies inside the run;
    /// `min_limit ≤ max_limit`; the initial limit between them.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.offered_rate * self.duration_s > MAX_ARRIVALS as f64 {
            let d = libm::floor(MAX_ARRIVALS as f64 / self.offered_rate).max(DURATION_MIN);
            notices.push(Notice::new(
                "duration_s",
                format!(
                    "Run length: {} s at {} req/s would be more than {} requests; using {} s",
                    self.duration_s, self.offered_rate, MAX_ARRIVALS, d
                ),
            ));
            self.duration_s = d;
        }
        if self.change_at_s > self.duration_s {
            notices.push(Notice::new(
                "change_at_s",
                format!(
                    "Capacity changes at: {} s is after the end of the run; using {} s",
                    self.change_at_s, self.duration_s
                ),
            ));
            self.change_at_s = self.duration_s;
        }
        if self.min_limit > self.max_limit {
            notices.push(Notice::new(
                "min_limit",
                format!(
                    "Minimum limit: {} is above the maximum {}; using {}",
                    self.min_limit, self.max_limit, self.max_limit
                ),
            ));
            self.min_limit = self.max_limit;
        }
        let init = self.initial_limit.clamp(self.min_limit, self.max_limit);
        if init != self.initial_limit {
            notices.push(Notice::new(
                "initial_limit",
                format!(
                    "Initial limit: {} is outside [{}, {}]; using {}",
                    self.initial_limit, self.min_limit, self.max_limit, init
                ),
            ));
            self.initial_limit = init;
        }
    }
}

impl Params {
    /// A copy with every field forced into range (NaN → default), so the simulation never
    /// misbehaves even on params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let offered_rate = f(self.offered_rate, RATE_MIN, RATE_MAX, d.offered_rate);
        let most = libm::floor(MAX_ARRIVALS as f64 / offered_rate).max(DURATION_MIN);
        let duration_s = f(self.duration_s, DURATION_MIN, DURATION_MAX, d.duration_s).min(most);
        let max_limit = self.max_limit.clamp(1, LIMIT_MAX);
        let min_limit = self.min_limit.clamp(1, max_limit);
        Params {
            limiter: LimiterKind::parse(&self.limiter).key().into(),
            capacity_before: self.capacity_before.clamp(1, CAP_MAX),
            capacity_after: self.capacity_after.clamp(1, CAP_MAX),
            change_at_s: f(
                self.change_at_s,
                0.0,
                duration_s,
                d.change_at_s.min(duration_s),
            ),
            service_ms: f(self.service_ms, SERVICE_MIN, SERVICE_MAX, d.service_ms),
            offered_rate,
            duration_s,
            initial_limit: self.initial_limit.clamp(min_limit, max_limit),
            min_limit,
            max_limit,
            aimd_backoff: f(self.aimd_backoff, 0.5, 0.99, d.aimd_backoff),
            aimd_timeout_x: f(self.aimd_timeout_x, 1.05, 10.0, d.aimd_timeout_x),
        }
    }

    /// The Little's-law optimum `limit* = c·μ × S = c` for a slot count `c`, clamped into
    /// `[min_limit, max_limit]` (the best a limiter confined there can do).
    pub fn optimum(&self, slots: u32) -> f64 {
        let p = self.sanitised();
        let mu = 1000.0 / p.service_ms;
        let raw = f64::from(slots) * mu * (p.service_ms / 1000.0);
        raw.clamp(f64::from(p.min_limit), f64::from(p.max_limit))
    }
}

// ---------------------------------------------------------------------------------------------
// Limiters
// ---------------------------------------------------------------------------------------------

/// The three limit algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LimiterKind {
    /// Additive increase, multiplicative decrease on a latency timeout.
    Aimd,
    /// Netflix's Gradient2: long-term over short-term RTT, 1.5× tolerance.
    Gradient2,
    /// TCP-Vegas style: estimated queue against α/β thresholds.
    Vegas,
}

impl LimiterKind {
    /// Every kind, in display order.
    pub const ALL: [LimiterKind; 3] = [
        LimiterKind::Aimd,
        LimiterKind::Gradient2,
        LimiterKind::Vegas,
    ];

    /// The knob value (`aimd`, `gradient2`, `vegas`); unknown text means Gradient2.
    pub fn parse(s: &str) -> LimiterKind {
        match s {
            "aimd" => LimiterKind::Aimd,
            "vegas" => LimiterKind::Vegas,
            _ => LimiterKind::Gradient2,
        }
    }

    /// The knob value.
    pub fn key(self) -> &'static str {
        match self {
            LimiterKind::Aimd => "aimd",
            LimiterKind::Gradient2 => "gradient2",
            LimiterKind::Vegas => "vegas",
        }
    }

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            LimiterKind::Aimd => "AIMD",
            LimiterKind::Gradient2 => "Gradient2",
            LimiterKind::Vegas => "Vegas",
        }
    }
}

/// One window's evidence, handed to a limiter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowSample {
    /// Mean RTT of the window's completions, seconds.
    pub rtt: f64,
    /// Most requests in flight during the window.
    pub max_in_flight: u32,
}

/// AIMD's update: `limit × backoff` on congestion, else `+1` unless application-limited;
/// clamped into `[lo, hi]`.
pub fn aimd_update(
    limit: f64,
    congested: bool,
    app_limited: bool,
    backoff: f64,
    lo: f64,
    hi: f64,
) -> f64 {
    let next = if congested {
        limit * backoff
    } else if app_limited {
        limit
    } else {
        limit + 1.0
    };
    next.clamp(lo, hi)
}

/// Vegas' thresholds `(α, β)` = `(3·L, 6·L)` with `L = max(1, log10(limit))`.
pub fn vegas_thresholds(limit: f64) -> (f64, f64) {
    let l = log10_floor1(limit);
    (3.0 * l, 6.0 * l)
}

fn log10_floor1(x: f64) -> f64 {
    libm::log10(x.max(1.0)).max(1.0)
}

/// A limiter's state: the limit and what its algorithm remembers.
#[derive(Clone, Debug, PartialEq)]
pub struct Limiter {
    /// Which algorithm.
    pub kind: LimiterKind,
    /// The current limit (fractional; `⌊limit⌋` requests may be in flight).
    pub limit: f64,
    lo: f64,
    hi: f64,
    backoff: f64,
    timeout: f64,
    long_rtt: Option<f64>,
    rtt_noload: Option<f64>,
    windows: u32,
    /// Congestion signals (AIMD decreases, Gradient2 gradients below 1, Vegas decreases).
    pub decreases: u32,
}

impl Limiter {
    /// A limiter of `kind` set up from validated params.
    pub fn new(kind: LimiterKind, p: &Params) -> Self {
        let p = p.sanitised();
        Limiter {
            kind,
            limit: f64::from(p.initial_limit),
            lo: f64::from(p.min_limit),
            hi: f64::from(p.max_limit),
            backoff: p.aimd_backoff,
            timeout: p.aimd_timeout_x * p.service_ms / 1000.0,
            long_rtt: None,
            rtt_noload: None,
            windows: 0,
            decreases: 0,
        }
    }

    /// Requests admitted at most at once: `⌊limit⌋`.
    pub fn cap(&self) -> u32 {
        libm::floor(self.limit) as u32
    }

    /// Completions that close a window: `max(10, ⌈limit⌉)`.
    pub fn window_len(&self) -> u32 {
        (libm::ceil(self.limit) as u32).max(WINDOW_MIN_SAMPLES)
    }

    /// Take one window's sample and move the limit.
    pub fn update(&mut self, s: WindowSample) {
        self.windows += 1;
        let rtt = s.rtt.max(1e-9);
        let app_limited = f64::from(s.max_in_flight) * 2.0 < self.limit;
        let before = self.limit;
        self.limit = match self.kind {
            LimiterKind::Aimd => {
                let congested = rtt > self.timeout;
                aimd_update(
                    self.limit,
                    congested,
                    app_limited,
                    self.backoff,
                    self.lo,
                    self.hi,
                )
            }
            LimiterKind::Gradient2 => {
                // a plain running mean over the first 10 windows warms the average up, as the
                // library's `ExpAvgMeasurement(600, 10)` does
                let w = (1.0 / f64::from(self.windows)).max(1.0 / G2_LONG_WINDOWS);
                let w = if self.windows <= G2_WARMUP {
                    w
                } else {
                    1.0 / G2_LONG_WINDOWS
                };
                let mut long = match self.long_rtt {
                    None => rtt,
                    Some(l) => l + (rtt - l) * w,
                };
                if long / rtt > 2.0 {
                    long *= 0.95;
                }
                self.long_rtt = Some(long);
                if app_limited {
                    self.limit
                } else {
                    let gradient = (G2_TOLERANCE * long / rtt).clamp(0.5, 1.0);
                    let new = self.limit * gradient + G2_QUEUE;
                    (self.limit * (1.0 - G2_SMOOTHING) + new * G2_SMOOTHING).clamp(self.lo, self.hi)
                }
            }
            LimiterKind::Vegas => {
                // smooth the RTT over ~10 windows: the least of many raw window means sits far
                // below the true no-load latency when service times are exponential
                // (a plain running mean over the first 1/weight windows warms it up)
                let w = (1.0 / f64::from(self.windows)).max(VEGAS_RTT_SMOOTHING);
                let rtt = match self.long_rtt {
                    None => rtt,
                    Some(l) => l + (rtt - l) * w,
                };
                self.long_rtt = Some(rtt);
                let warm = f64::from(self.windows) * VEGAS_RTT_SMOOTHING >= 1.0;
                if self.windows.is_multiple_of(VEGAS_PROBE_WINDOWS) {
                    self.rtt_noload = None;
                }
                match self.rtt_noload.filter(|_| warm) {
                    Some(r0) if rtt >= r0 => {
                        let queue = libm::ceil(self.limit * (1.0 - r0 / rtt));
                        let step = log10_floor1(self.limit);
                        let (alpha, beta) = vegas_thresholds(self.limit);
                        let next = if app_limited {
                            self.limit
                        } else if queue <= step {
                            self.limit + beta
                        } else if queue < alpha {
                            self.limit + step
                        } else if queue > beta {
                            self.limit - step
                        } else {
                            self.limit
                        };
                        next.clamp(self.lo, self.hi)
                    }
                    _ => {
                        self.rtt_noload = Some(rtt);
                        self.limit
                    }
                }
            }
        };
        if self.limit < before {
            self.decreases += 1;
        }
    }

    /// Vegas' current no-load RTT estimate, seconds (None for the others or before a sample).
    pub fn rtt_noload(&self) -> Option<f64> {
        self.rtt_noload
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
struct Done {
    t: f64,
    id: u64,
    admitted_at: f64,
}
impl Eq for Done {}
impl PartialOrd for Done {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Done {
    fn cmp(&self, o: &Self) -> Ordering {
        self.t.total_cmp(&o.t).then(self.id.cmp(&o.id))
    }
}

impl Done {
    /// `self < o` in the [`Ord`] order, as plain compares (times are finite).
    #[inline(always)]
    fn before(&self, o: &Done) -> bool {
        self.t < o.t || (self.t == o.t && self.id < o.id)
    }
}

/// A binary min-heap of completions in [`Done`]'s order: `BinaryHeap<Reverse<Done>>` pops the
/// same sequence, but its generic sift and compare are calls under opt-level "z".
#[derive(Clone, Debug, Default)]
struct DoneHeap {
    v: Vec<Done>,
}

impl DoneHeap {
    fn peek(&self) -> Option<&Done> {
        self.v.first()
    }

    fn push(&mut self, d: Done) {
        self.v.push(d);
        let v = self.v.as_mut_slice();
        // sift the hole up from the end (slices and moves: no `Vec` or `swap` calls)
        let mut i = v.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if !d.before(&v[parent]) {
                break;
            }
            v[i] = v[parent];
            i = parent;
        }
        v[i] = d;
    }

    fn pop(&mut self) -> Option<Done> {
        let last = self.v.pop()?;
        let v = self.v.as_mut_slice();
        let n = v.len();
        if n == 0 {
            return Some(last);
        }
        let top = v[0];
        // sift the hole down from the root, then drop `last` into it
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && v[r].before(&v[l]) { r } else { l };
            if !v[c].before(&last) {
                break;
            }
            v[i] = v[c];
            i = c;
        }
        v[i] = last;
        Some(top)
    }
}

/// One point of the time series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// End of the bucket, seconds.
    pub t: f64,
    /// Limit at the end of the bucket.
    pub limit: f64,
    /// Requests in flight at the end of the bucket.
    pub in_flight: u32,
    /// Completions per second during the bucket.
    pub throughput: f64,
    /// Mean latency of the bucket's completions, ms (0 when none completed).
    pub latency_ms: f64,
    /// Share of the bucket's arrivals that were rejected.
    pub rejected: f64,
}

/// Plain data for drawing the live system.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Simulated time, seconds.
    pub t: f64,
    /// The limiter.
    pub kind: LimiterKind,
    /// Current limit.
    pub limit: f64,
    /// Admitted, not yet completed (queue + in service).
    pub in_flight: u32,
    /// Waiting in the server's queue.
    pub queued: u32,
    /// Slots busy.
    pub busy: u32,
    /// Slots now.
    pub slots: u32,
    /// Requests arrived so far.
    pub arrived: u64,
    /// Requests admitted so far.
    pub admitted: u64,
    /// Requests rejected so far.
    pub rejected: u64,
    /// Requests completed so far.
    pub completed: u64,
    /// Latest window's mean RTT, ms.
    pub last_rtt_ms: Option<f64>,
    /// The current Little's-law optimum (`slots`, clamped to the limit range).
    pub optimum: f64,
    /// What the last arrival met: `Some(true)` admitted, `Some(false)` rejected.
    pub last_admitted: Option<bool>,
}

/// The exponential draws of one named stream, shared by the simulations of every limiter: the
/// `k`-th draw is the same whichever limiter asks first, so each value is computed once.
#[derive(Debug)]
struct DrawLog {
    rng: Rng,
    mean: f64,
    values: Vec<f64>,
}

/// A reader of a [`DrawLog`]: exactly the sequence `rng.exp(mean)` would give.
#[derive(Clone, Debug)]
struct Draws {
    log: Rc<RefCell<DrawLog>>,
    next: usize,
}

impl Draws {
    fn new(rng: Rng, mean: f64) -> Draws {
        Draws {
            log: Rc::new(RefCell::new(DrawLog {
                rng,
                mean,
                values: Vec::new(),
            })),
            next: 0,
        }
    }

    /// Another reader of the same log, from the first draw.
    fn rewound(&self) -> Draws {
        Draws {
            log: self.log.clone(),
            next: 0,
        }
    }

    fn exp(&mut self) -> f64 {
        let mut log = self.log.borrow_mut();
        let x = match log.values.get(self.next) {
            Some(&x) => x,
            None => {
                let mean = log.mean;
                let x = log.rng.exp(mean);
                log.values.push(x);
                x
            }
        };
        self.next += 1;
        x
    }
}

/// One limiter in front of the server, step-able.
#[derive(Clone, Debug)]
pub struct AcSim {
    p: Params,
    /// The limiter.
    pub limiter: Limiter,
    arrivals: Draws,
    service: Draws,
    now: f64,
    next_arrival: f64,
    arrivals_left: u64,
    change_pending: bool,
    next_tick: f64,
    dt: f64,
    slots: u32,
    busy: u32,
    queue: VecDeque<f64>,
    done: DoneHeap,
    next_id: u64,
    // counters
    arrived: u64,
    admitted: u64,
    rejected: u64,
    completed: u64,
    // window
    win_n: u32,
    win_sum: f64,
    win_max_inflight: u32,
    last_rtt: Option<f64>,
    // bucket
    b_arrived: u64,
    b_rejected: u64,
    b_done: u64,
    b_rtt: f64,
    /// The time series so far.
    pub series: Vec<Point>,
    limit_area: [f64; 2],
    limit_time: [f64; 2],
    last_admitted: Option<bool>,
    ticks: u32,
}

impl AcSim {
    /// A fresh run of limiter `kind` with `p` and `seed`: the arrival and service streams are
    /// the same for every limiter (named streams `arrivals`, `service`).
    pub fn new(kind: LimiterKind, p: &Params, seed: u64) -> Self {
        let p = p.sanitised();
        let arrivals = Draws::new(Rng::derive(seed, "arrivals"), 1.0 / p.offered_rate);
        let service = Draws::new(Rng::derive(seed, "service"), p.service_ms / 1000.0);
        AcSim::with_draws(kind, p, arrivals, service)
    }

    /// A fresh run of limiter `kind` on the same arrivals and service times as `other`
    /// (whose params it takes), reusing the draws `other` has made.
    fn sharing(kind: LimiterKind, other: &AcSim) -> Self {
        AcSim::with_draws(
            kind,
            other.p.clone(),
            other.arrivals.rewound(),
            other.service.rewound(),
        )
    }

    fn with_draws(kind: LimiterKind, p: Params, mut arrivals: Draws, service: Draws) -> Self {
        let first = arrivals.exp();
        let cap = (p.offered_rate * p.duration_s * 2.0) as u64 + 100;
        AcSim {
            limiter: Limiter::new(kind, &p),
            service,
            arrivals,
            now: 0.0,
            next_arrival: first,
            arrivals_left: cap.min(MAX_ARRIVALS),
            change_pending: p.capacity_before != p.capacity_after,
            dt: p.duration_s / f64::from(SERIES_POINTS),
            next_tick: p.duration_s / f64::from(SERIES_POINTS),
            slots: p.capacity_before,
            busy: 0,
            queue: VecDeque::new(),
            done: DoneHeap::default(),
            next_id: 0,
            arrived: 0,
            admitted: 0,
            rejected: 0,
            completed: 0,
            win_n: 0,
            win_sum: 0.0,
            win_max_inflight: 0,
            last_rtt: None,
            b_arrived: 0,
            b_rejected: 0,
            b_done: 0,
            b_rtt: 0.0,
            series: Vec::with_capacity(SERIES_POINTS as usize),
            limit_area: [0.0; 2],
            limit_time: [0.0; 2],
            last_admitted: None,
            ticks: 0,
            p,
        }
    }

    /// The validated params in use.
    pub fn params(&self) -> &Params {
        &self.p
    }

    /// Admitted and not completed.
    pub fn in_flight(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }

    /// `(arrived, admitted, rejected, completed)` so far.
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        (self.arrived, self.admitted, self.rejected, self.completed)
    }

    /// Time-averaged limit over the measured half of each phase (`[0]` before the change,
    /// `[1]` after): the second half of each, once the limiter has had time to find its level.
    pub fn time_avg_limit(&self) -> [Option<f64>; 2] {
        [0, 1].map(|i| (self.limit_time[i] > 0.0).then(|| self.limit_area[i] / self.limit_time[i]))
    }

    fn start_service(&mut self, admitted_at: f64) {
        let s = self.service.exp();
        self.busy += 1;
        self.done.push(Done {
            t: self.now + s,
            id: self.next_id,
            admitted_at,
        });
        self.next_id += 1;
    }

    fn fill_slots(&mut self) {
        while self.busy < self.slots {
            match self.queue.pop_front() {
                Some(a) => self.start_service(a),
                None => break,
            }
        }
    }

    /// Accumulate the time-weighted limit between `self.now` and `t`.
    fn integrate(&mut self, t: f64) {
        let (a, b) = (self.now, t);
        let c = self.p.change_at_s;
        let d = self.p.duration_s;
        // measured halves: [c/2, c) and [c + (d−c)/2, d)
        let phases = [(c / 2.0, c), (c + (d - c) / 2.0, d)];
        for (i, (lo, hi)) in phases.iter().enumerate() {
            // compares, not f64::min/max (library calls under opt-level "z")
            let overlap = if b < *hi { b } else { *hi } - if a > *lo { a } else { *lo };
            if overlap > 0.0 {
                self.limit_area[i] += overlap * self.limiter.limit;
                self.limit_time[i] += overlap;
            }
        }
    }

    /// A plain-data view of the current state.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            t: self.now,
            kind: self.limiter.kind,
            limit: self.limiter.limit,
            in_flight: self.in_flight(),
            queued: self.queue.len() as u32,
            busy: self.busy,
            slots: self.slots,
            arrived: self.arrived,
            admitted: self.admitted,
            rejected: self.rejected,
            completed: self.completed,
            last_rtt_ms: self.last_rtt.map(|r| r * 1000.0),
            optimum: self.p.optimum(self.slots),
            last_admitted: self.last_admitted,
        }
    }
}

/// What the next event is, in tie-break order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Change,
    Tick,
    Done,
    Arrival,
}

impl AcSim {
    fn next_event(&self) -> Option<(f64, Ev)> {
        if self.ticks >= SERIES_POINTS {
            return None;
        }
        let mut best = (self.next_tick, Ev::Tick);
        if self.change_pending && self.p.change_at_s <= best.0 {
            best = (self.p.change_at_s, Ev::Change);
        }
        if let Some(d) = self.done.peek() {
            if d.t < best.0 {
                best = (d.t, Ev::Done);
            }
        }
        if self.arrivals_left > 0 && self.next_arrival < best.0 {
            best = (self.next_arrival, Ev::Arrival);
        }
        Some(best)
    }

    fn on_arrival(&mut self) {
        self.arrived += 1;
        self.b_arrived += 1;
        if self.in_flight() < self.limiter.cap().max(1) {
            self.admitted += 1;
            self.last_admitted = Some(true);
            if self.busy < self.slots {
                self.start_service(self.now);
            } else {
                self.queue.push_back(self.now);
            }
            self.win_max_inflight = self.win_max_inflight.max(self.in_flight());
        } else {
            self.rejected += 1;
            self.b_rejected += 1;
            self.last_admitted = Some(false);
        }
        self.arrivals_left -= 1;
        self.next_arrival = self.now + self.arrivals.exp();
    }

    fn on_done(&mut self) {
        let Some(d) = self.done.pop() else {
            return;
        };
        self.busy -= 1;
        self.completed += 1;
        let rtt = d.t - d.admitted_at;
        self.b_done += 1;
        self.b_rtt += rtt;
        self.win_n += 1;
        self.win_sum += rtt;
        if self.win_n >= self.limiter.window_len() {
            let sample = WindowSample {
                rtt: self.win_sum / f64::from(self.win_n),
                max_in_flight: self.win_max_inflight,
            };
            self.limiter.update(sample);
            self.last_rtt = Some(sample.rtt);
            self.win_n = 0;
            self.win_sum = 0.0;
            self.win_max_inflight = self.in_flight();
        }
        self.fill_slots();
    }

    fn on_tick(&mut self) {
        let dt = self.dt;
        self.series.push(Point {
            t: self.now,
            limit: self.limiter.limit,
            in_flight: self.in_flight(),
            throughput: self.b_done as f64 / dt,
            latency_ms: if self.b_done > 0 {
                self.b_rtt / self.b_done as f64 * 1000.0
            } else {
                0.0
            },
            rejected: if self.b_arrived > 0 {
                self.b_rejected as f64 / self.b_arrived as f64
            } else {
                0.0
            },
        });
        self.b_arrived = 0;
        self.b_rejected = 0;
        self.b_done = 0;
        self.b_rtt = 0.0;
        self.ticks += 1;
        self.next_tick = dt * f64::from(self.ticks + 1);
    }

    /// Run to the end.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }
}

impl Simulation for AcSim {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let Some((t, ev)) = self.next_event() else {
            return false;
        };
        self.integrate(t);
        self.now = t;
        match ev {
            Ev::Change => {
                self.change_pending = false;
                self.slots = self.p.capacity_after;
                self.fill_slots();
            }
            Ev::Tick => self.on_tick(),
            Ev::Done => self.on_done(),
            Ev::Arrival => self.on_arrival(),
        }
        self.ticks < SERIES_POINTS
    }

    fn next_event_time(&self) -> Option<f64> {
        self.next_event().map(|e| e.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// Measured figures of one phase (the second half of the time before or after the change).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// Slots in this phase.
    pub slots: u32,
    /// Little's-law optimum `c·μ × S`, clamped into the limit range.
    pub optimum: f64,
    /// Time-averaged limit.
    pub avg_limit: f64,
    /// `avg_limit / optimum`.
    pub ratio: f64,
    /// Completions per second.
    pub throughput: f64,
    /// The server's capacity `c·μ`, requests per second.
    pub capacity_rps: f64,
    /// Mean latency of completions, ms.
    pub latency_ms: f64,
    /// What Little's law predicts for a saturated server held at `avg_limit` in flight:
    /// `max(S, avg_limit · S / c)`, ms.
    pub latency_little_ms: f64,
    /// Share of arrivals rejected.
    pub rejected: f64,
}

/// One limiter's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimiterReport {
    /// `aimd`, `gradient2` or `vegas`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// The measured half of the time before the change (None if the change is at 0).
    pub before: Option<Phase>,
    /// The measured half of the time after the change (None if it is at the end).
    pub after: Option<Phase>,
    /// Windows in which the limit went down.
    pub decreases: u32,
    /// Requests arrived, admitted, rejected and completed.
    pub arrived: u64,
    /// Admitted requests.
    pub admitted: u64,
    /// Rejected requests.
    pub rejected: u64,
    /// Completed requests.
    pub completed: u64,
    /// Limit, in flight, throughput, latency and rejections over time.
    pub series: Vec<Point>,
}

/// The adaptive-concurrency report: all three limiters on the same arrivals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The limiter shown in detail.
    pub chosen: String,
    /// Little's-law optimum before the change (`capacity_before`, clamped to the limit range).
    pub optimum_before: f64,
    /// Little's-law optimum after the change.
    pub optimum_after: f64,
    /// AIMD, Gradient2, Vegas, in that order.
    pub limiters: Vec<LimiterReport>,
    /// Plain-language findings.
    pub notes: Vec<String>,
}

impl Report {
    /// The chosen limiter's report.
    pub fn chosen(&self) -> Option<&LimiterReport> {
        self.limiters.iter().find(|l| l.key == self.chosen)
    }
}

fn phase(sim: &AcSim, i: usize, avg: Option<f64>) -> Option<Phase> {
    let avg = avg?;
    let p = &sim.p;
    let c = p.change_at_s;
    let d = p.duration_s;
    let (lo, hi) = if i == 0 {
        (c / 2.0, c)
    } else {
        (c + (d - c) / 2.0, d)
    };
    let slots = if i == 0 {
        p.capacity_before
    } else {
        p.capacity_after
    };
    let dt = sim.dt;
    let mut done = 0.0;
    let mut rtt = 0.0;
    let mut rej = 0.0;
    let mut arr = 0.0;
    let mut span = 0.0;
    for pt in &sim.series {
        let start = pt.t - dt;
        if start >= lo - 1e-9 && pt.t <= hi + 1e-9 {
            let n = pt.throughput * dt;
            done += n;
            rtt += pt.latency_ms * n;
            span += dt;
            // rejected share is per bucket; weight by the bucket (arrivals are near-uniform)
            rej += pt.rejected;
            arr += 1.0;
        }
    }
    let s = p.service_ms;
    let optimum = p.optimum(slots);
    Some(Phase {
        slots,
        optimum,
        avg_limit: avg,
        ratio: avg / optimum,
        throughput: if span > 0.0 { done / span } else { 0.0 },
        capacity_rps: f64::from(slots) * 1000.0 / s,
        latency_ms: if done > 0.0 { rtt / done } else { 0.0 },
        latency_little_ms: s.max(avg * s / f64::from(slots)),
        rejected: if arr > 0.0 { rej / arr } else { 0.0 },
    })
}

/// Run one limiter to the end and summarise it.
pub fn run_limiter(kind: LimiterKind, p: &Params, seed: u64) -> LimiterReport {
    summarise(AcSim::new(kind, p, seed))
}

/// Run `sim` to the end and summarise it.
fn summarise(mut sim: AcSim) -> LimiterReport {
    let kind = sim.limiter.kind;
    sim.run_to_end();
    let avg = sim.time_avg_limit();
    LimiterReport {
        key: kind.key().into(),
        name: kind.name().into(),
        before: phase(&sim, 0, avg[0]),
        after: phase(&sim, 1, avg[1]),
        decreases: sim.limiter.decreases,
        arrived: sim.arrived,
        admitted: sim.admitted,
        rejected: sim.rejected,
        completed: sim.completed,
        series: sim.series,
    }
}

fn fmt1(x: f64) -> String {
    format!("{:.1}", x)
}

impl Model for AdaptiveConcurrency {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        // every limiter sees the same arrivals and service times: draw them once
        let first = AcSim::new(LimiterKind::ALL[0], &p, seed);
        let rest: Vec<AcSim> = LimiterKind::ALL[1..]
            .iter()
            .map(|&k| AcSim::sharing(k, &first))
            .collect();
        let limiters: Vec<LimiterReport> =
            std::iter::once(first).chain(rest).map(summarise).collect();
        let mut notes = Vec::new();
        let cap_before = f64::from(p.capacity_before) * 1000.0 / p.service_ms;
        if p.offered_rate < cap_before {
            notes.push(format!(
                "The clients offer {} req/s, less than the server's {} req/s before the change: no limit is the bottleneck, so the limiters have little to learn.",
                fmt1(p.offered_rate),
                fmt1(cap_before)
            ));
        }
        for l in &limiters {
            for (name, ph) in [("before", &l.before), ("after", &l.after)] {
                if let Some(ph) = ph.as_ref().filter(|ph| ph.ratio > 1.8 || ph.ratio < 0.75) {
                    notes.push(format!(
                        "{} {} the change held an average limit of {} against the optimum {} ({:.2}×): {}.",
                        l.name,
                        name,
                        fmt1(ph.avg_limit),
                        fmt1(ph.optimum),
                        ph.ratio,
                        if ph.ratio > 1.0 {
                            format!("the extra requests only queue, and latency is {} ms instead of {} ms", fmt1(ph.latency_ms), fmt1(p.service_ms))
                        } else {
                            format!("slots idle, and throughput is {} of {} req/s", fmt1(ph.throughput), fmt1(ph.capacity_rps))
                        }
                    ));
                }
            }
        }
        Report {
            chosen: p.limiter.clone(),
            optimum_before: p.optimum(p.capacity_before),
            optimum_after: p.optimum(p.capacity_after),
            limiters,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        for (l, (kb, ka)) in r.limiters.iter().zip([
            ("aimd_ratio_before", "aimd_ratio_after"),
            ("gradient2_ratio_before", "gradient2_ratio_after"),
            ("vegas_ratio_before", "vegas_ratio_after"),
        ]) {
            if let Some(ph) = &l.before {
                out.push((kb, ph.ratio));
            }
            if let Some(ph) = &l.after {
                out.push((ka, ph.ratio));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{from_pairs, validate};
    use proptest::prelude::*;

    fn constant(c: u32, service_ms: f64, seed_rate: f64) -> Params {
        Params {
            capacity_before: c,
            capacity_after: c,
            service_ms,
            offered_rate: seed_rate,
            ..Params::default()
        }
    }

    fn after(r: &Report, k: LimiterKind) -> Phase {
        r.limiters[k as usize].after.clone().expect("after phase")
    }

    #[test]
    fn default_run_prints_and_is_fast_enough() {
        let t = std::time::Instant::now();
        let r = AdaptiveConcurrency::run(&Params::default(), 1);
        eprintln!("default run {:?}", t.elapsed());
        for l in &r.limiters {
            eprintln!(
                "{} before {:?}\n after {:?} decr {}",
                l.name, l.before, l.after, l.decreases
            );
        }
        assert_eq!(r.optimum_before, 20.0);
        assert_eq!(r.optimum_after, 10.0);
        assert_eq!(r.limiters.len(), 3);
        assert!(r
            .limiters
            .iter()
            .all(|l| l.series.len() == SERIES_POINTS as usize));
    }

    #[test]
    fn done_heap_pops_what_the_std_heap_pops() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = crate::rng::Rng::new(11);
        let (mut mine, mut std_heap) = (DoneHeap::default(), BinaryHeap::new());
        for id in 0..5_000u64 {
            // coarse times, so equal times (ordered by id) are common
            if rng.uniform() < 0.55 {
                let d = Done {
                    t: (rng.below(200) as f64) * 0.25,
                    id,
                    admitted_at: 0.0,
                };
                mine.push(d);
                std_heap.push(Reverse(d));
            } else {
                assert_eq!(mine.pop(), std_heap.pop().map(|r| r.0));
            }
            assert_eq!(mine.peek(), std_heap.peek().map(|r| &r.0));
        }
        while let Some(Reverse(d)) = std_heap.pop() {
            assert_eq!(mine.pop(), Some(d));
        }
        assert_eq!(mine.pop(), None);
    }

    #[test]
    fn aimd_backs_off_by_exactly_the_factor() {
        // the reference: 10 → 9 → 8.1 with β = 0.9
        let a = aimd_update(10.0, true, false, 0.9, 1.0, 100.0);
        let b = aimd_update(a, true, false, 0.9, 1.0, 100.0);
        assert_eq!(a, 9.0);
        assert!((b - 8.1).abs() < 1e-12);
        assert_eq!(aimd_update(10.0, false, false, 0.9, 1.0, 100.0), 11.0);
        assert_eq!(aimd_update(10.0, false, true, 0.9, 1.0, 100.0), 10.0);
        assert_eq!(aimd_update(1.0, true, false, 0.5, 1.0, 100.0), 1.0);
        assert_eq!(aimd_update(100.0, false, false, 0.5, 1.0, 100.0), 100.0);
    }

    #[test]
    fn vegas_thresholds_are_3_and_6_log10() {
        assert_eq!(vegas_thresholds(100.0), (6.0, 12.0));
        assert_eq!(vegas_thresholds(1000.0), (9.0, 18.0));
        // floored at log10 = 1 for small limits, as the library does
        assert_eq!(vegas_thresholds(5.0), (3.0, 6.0));
    }

    #[test]
    fn gradient2_tolerates_one_and_a_half_times_the_long_rtt() {
        let p = Params {
            initial_limit: 50,
            ..Params::default()
        };
        let mut l = Limiter::new(LimiterKind::Gradient2, &p);
        let busy = WindowSample {
            rtt: 0.02,
            max_in_flight: 50,
        };
        l.update(busy); // long = short = 20 ms: gradient 1, +queue
        let grown = l.limit;
        assert!((grown - (50.0 * 0.8 + (50.0 + G2_QUEUE) * 0.2)).abs() < 1e-9);
        // 29 ms is within 1.5× the long-term 20 ms: still gradient 1, grows again
        l.update(WindowSample { rtt: 0.029, ..busy });
        assert!(l.limit > grown);
        // 60 ms is 3×: gradient = max(0.5, 1.5·long/short) = 0.5 → shrinks
        let before = l.limit;
        l.update(WindowSample { rtt: 0.06, ..busy });
        assert!(l.limit < before);
    }

    #[test]
    fn optimum_is_littles_law() {
        // limit* = throughput at saturation × no-load latency = c·μ·S = c
        for (c, s) in [(1, 1.0), (20, 20.0), (37, 333.0), (200, 1000.0)] {
            let p = Params {
                capacity_before: c,
                service_ms: s,
                ..Params::default()
            };
            let cap_rps = f64::from(c) * 1000.0 / s;
            assert!((p.optimum(c) - cap_rps * s / 1000.0).abs() < 1e-9);
            assert!((p.optimum(c) - f64::from(c)).abs() < 1e-9);
        }
        // clamped into the allowed range
        let p = Params {
            max_limit: 8,
            min_limit: 1,
            initial_limit: 5,
            ..Params::default()
        };
        assert_eq!(p.optimum(20), 8.0);
    }

    /// The theory each algorithm is built on, measured on a saturated server of constant size:
    /// AIMD saws between β·x·c and x·c (x = timeout / S), so it averages about x·c·(1+β)/2;
    /// Vegas holds an estimated queue between α and β, so its limit sits near c + [α, β];
    /// in both, Little's law gives the latency: max(S, limit·S/c).
    #[test]
    fn reference_equilibria() {
        for seed in [1, 2, 3] {
            let p = Params {
                duration_s: 30.0,
                ..constant(20, 20.0, 2000.0)
            };
            let r = AdaptiveConcurrency::run(&p, seed);
            let a = after(&r, LimiterKind::Aimd);
            let theory = p.aimd_timeout_x * 20.0 * (1.0 + p.aimd_backoff) / 2.0; // 28.5
            assert!(
                (a.avg_limit / theory - 1.0).abs() < 0.1,
                "AIMD {} vs {theory}",
                a.avg_limit
            );
            let v = after(&r, LimiterKind::Vegas);
            let (alpha, beta) = vegas_thresholds(v.avg_limit);
            let q = v.avg_limit - 20.0;
            assert!(
                q > alpha - 2.0 && q < beta + 2.0,
                "Vegas queue {q} vs [{alpha}, {beta}]"
            );
            for l in LimiterKind::ALL {
                let ph = after(&r, l);
                assert!(
                    (ph.latency_ms / ph.latency_little_ms - 1.0).abs() < 0.15,
                    "{l:?} {ph:?}"
                );
                // a limit at or above the optimum keeps the server busy
                if ph.avg_limit > 22.0 {
                    assert!(ph.throughput > 0.93 * ph.capacity_rps, "{l:?} {ph:?}");
                }
            }
        }
    }

    #[test]
    fn gradient2_drifts_after_a_capacity_drop() {
        // measured, and taught in the view: the long-term RTT absorbs the new queueing, so
        // Gradient2 tolerates more latency after the drop than before it
        let r = AdaptiveConcurrency::run(&Params::default(), 1);
        let g = &r.limiters[LimiterKind::Gradient2 as usize];
        let (b, a) = (g.before.clone().unwrap(), g.after.clone().unwrap());
        assert!(a.ratio > b.ratio, "{b:?} {a:?}");
    }

    #[test]
    fn gradient2_ratchets_on_long_runs() {
        // 60 s at S = 5 ms is 12 000 windows, twenty long-term averages: the limit keeps rising
        let p = Params {
            duration_s: 60.0,
            change_at_s: 0.0,
            ..constant(20, 5.0, 5000.0)
        };
        let g = run_limiter(LimiterKind::Gradient2, &p, 1).after.unwrap();
        assert!(g.ratio > 4.0, "{g:?}");
        let v = run_limiter(LimiterKind::Vegas, &p, 1).after.unwrap();
        assert!(g.ratio > 2.0 * v.ratio, "{g:?} {v:?}");
    }

    #[test]
    fn vegas_mistakes_a_standing_queue() {
        // started at 10 in front of 2 slots, Vegas's first RTTs already include a queue
        let p = Params {
            change_at_s: 0.0,
            ..constant(2, 5.0, 800.0)
        };
        let v = run_limiter(LimiterKind::Vegas, &p, 0).after.unwrap();
        let p1 = Params {
            initial_limit: 1,
            ..p
        };
        let v1 = run_limiter(LimiterKind::Vegas, &p1, 0).after.unwrap();
        assert!(v.avg_limit > 1.5 * v1.avg_limit, "{v:?} {v1:?}");
    }

    #[test]
    fn every_limiter_follows_a_capacity_drop_down() {
        let r = AdaptiveConcurrency::run(&Params::default(), 7);
        for l in &r.limiters {
            let (b, a) = (l.before.clone().unwrap(), l.after.clone().unwrap());
            assert!(a.avg_limit < b.avg_limit, "{} {b:?} {a:?}", l.name);
        }
    }

    #[test]
    fn same_seed_same_report_and_step_equals_batch() {
        let p = Params::default();
        assert_eq!(
            AdaptiveConcurrency::run(&p, 5),
            AdaptiveConcurrency::run(&p, 5)
        );
        assert_ne!(
            AdaptiveConcurrency::run(&p, 5),
            AdaptiveConcurrency::run(&p, 6)
        );
        let mut a = AcSim::new(LimiterKind::Vegas, &p, 5);
        a.advance_to(7.3);
        assert!(a.now() <= 7.3);
        assert!(a.next_event_time().unwrap() > 7.3);
        a.run_to_end();
        let b = run_limiter(LimiterKind::Vegas, &p, 5);
        assert_eq!(a.series, b.series);
        assert!(!a.step());
        assert_eq!(a.next_event_time(), None);
    }

    #[test]
    fn validation_clamps_with_notices() {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let (p, n) = from_pairs::<Params>(
            &pairs(&[
                ("change_at_s", "50"),
                ("duration_s", "10"),
                ("min_limit", "90"),
                ("max_limit", "40"),
                ("initial_limit", "3"),
                ("capacity_before", "-5"),
                ("service_ms", "NaN"),
                ("limiter", "tcp"),
            ]),
            &[],
        );
        assert_eq!(p.change_at_s, 10.0);
        assert_eq!((p.min_limit, p.max_limit, p.initial_limit), (40, 40, 40));
        assert_eq!(p.capacity_before, 1);
        assert!(n.iter().any(|x| x.key == "change_at_s"));
        assert!(n.iter().any(|x| x.key == "min_limit"));
        assert!(n.iter().any(|x| x.key == "initial_limit"));
        let (q, _) = validate(p.clone());
        assert_eq!(q, p);
        // even unvalidated garbage runs
        let bad = Params {
            service_ms: f64::NAN,
            offered_rate: -1.0,
            duration_s: 1e9,
            min_limit: 0,
            max_limit: 0,
            ..Params::default()
        };
        let r = AdaptiveConcurrency::run(&bad, 1);
        assert_eq!(r.limiters.len(), 3);
    }

    #[test]
    fn max_knobs_stay_bounded() {
        let p = Params {
            capacity_before: CAP_MAX,
            capacity_after: 1,
            service_ms: SERVICE_MIN,
            offered_rate: RATE_MAX,
            duration_s: DURATION_MAX,
            max_limit: LIMIT_MAX,
            initial_limit: LIMIT_MAX,
            change_at_s: 30.0,
            ..Params::default()
        };
        let (p, notes) = validate(p);
        assert_eq!(p.duration_s, 30.0);
        assert!(notes.iter().any(|n| n.key == "duration_s"));
        let t = std::time::Instant::now();
        let r = AdaptiveConcurrency::run(&p, 1);
        eprintln!("max run {:?}", t.elapsed());
        for l in &r.limiters {
            assert!(l.arrived <= MAX_ARRIVALS);
            assert_eq!(l.series.len(), SERIES_POINTS as usize);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// The limit never leaves [min_limit, max_limit]; every arrival is admitted once or
        /// rejected once; nothing admitted is lost; admission never exceeds ⌊limit⌋.
        #[test]
        fn limit_in_range_and_requests_conserved(
            k in 0usize..3, c0 in 1u32..60, c1 in 1u32..60, s in 2.0f64..80.0, rate in 20.0f64..4000.0,
            lo in 1u32..30, span in 0u32..100, init in 1u32..150, seed in 0u64..1000,
        ) {
            let p = Params {
                capacity_before: c0, capacity_after: c1, service_ms: s, offered_rate: rate,
                duration_s: 4.0, change_at_s: 2.0, min_limit: lo, max_limit: lo + span,
                initial_limit: init.clamp(lo, lo + span), ..Params::default()
            };
            let mut sim = AcSim::new(LimiterKind::ALL[k], &p, seed);
            let mut last_admitted = 0;
            loop {
                let cap = sim.limiter.cap().max(1);
                let in_flight = sim.in_flight();
                let more = sim.step();
                let l = sim.limiter.limit;
                prop_assert!(l >= f64::from(lo) && l <= f64::from(lo + span), "limit {l}");
                let (arrived, admitted, rejected, completed) = sim.counts();
                prop_assert_eq!(arrived, admitted + rejected);
                prop_assert_eq!(admitted, completed + u64::from(sim.in_flight()));
                if admitted > last_admitted {
                    prop_assert!(in_flight < cap);
                    prop_assert!(sim.in_flight() <= cap);
                }
                last_admitted = admitted;
                if !more { break; }
            }
        }

        /// AIMD after a congestion signal is exactly limit × β (unless clamped at the floor).
        #[test]
        fn aimd_decrease_is_exactly_the_factor(limit in 1.0f64..1000.0, beta in 0.5f64..0.99) {
            let next = aimd_update(limit, true, false, beta, 1.0, 1000.0);
            prop_assert_eq!(next, (limit * beta).max(1.0));
        }

        /// With constant capacity every limiter's time-averaged limit settles near the optimum
        /// c. Tolerance, from each algorithm's own design: each keeps a deliberate standing
        /// queue — AIMD up to its timeout (1.5·c), Gradient2 up to its 1.5× RTT tolerance plus
        /// its queue allowance of 4, Vegas up to β = 6·log10(limit) requests — and window
        /// noise makes each back off early — most of all Vegas, whose no-load baseline is the
        /// least of a noisy smoothed RTT and so reads as a queue of a few requests where there
        /// is none (measured down to 0.56·c at c = 57). So: between 0.6·c (Vegas 0.5·c) and 2·c + 12 (the constant covers the few requests of queue that
        /// Vegas and Gradient2 keep whatever c, which dominate when c is 2 or 3). Each starts
        /// from limit 1, below the optimum: Vegas started above it never sees an unloaded
        /// server and takes the queue for its no-load RTT (`vegas_mistakes_a_standing_queue`).
        /// Gradient2 only holds this while the run is shorter than its long-term average
        /// (600 windows ≈ 600·S): after that the average absorbs the queue it caused and the
        /// limit ratchets up (see `gradient2_ratchets_on_long_runs`), so it is tested on
        /// 400 windows.
        #[test]
        fn constant_capacity_converges_near_optimum(c in 2u32..60, s in 5.0f64..50.0, seed in 0u64..1000) {
            let cap_rps = f64::from(c) * 1000.0 / s;
            // the limit must be the bottleneck: clients offer twice the capacity
            prop_assume!(2.0 * cap_rps <= RATE_MAX);
            for k in LimiterKind::ALL {
                let duration_s = if k == LimiterKind::Gradient2 { (400.0 * s / 1000.0).clamp(2.0, 20.0) } else { 20.0 };
                let p = Params { duration_s, change_at_s: 0.0, initial_limit: 1, ..constant(c, s, 2.0 * cap_rps) };
                let l = run_limiter(k, &p, seed);
                let ph = l.after.expect("measured phase");
                let c = f64::from(c);
                // Vegas settles lowest, and lower as c grows (0.56·c at c = 57 on a grid of
                // c 30–59, S 5–49 ms, three seeds): its floor is 0.5·c, the others' 0.6·c
                let floor = if k == LimiterKind::Vegas { 0.5 } else { 0.6 };
                prop_assert!(ph.avg_limit > floor * c && ph.avg_limit < 2.0 * c + 12.0, "{k:?} c={c}: {ph:?}");
            }
        }
    }
}
