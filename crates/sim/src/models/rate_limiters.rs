//! # Rate limiters (book page 23): four limiters, one trace
//!
//! The book's back-pressure box names a **token bucket** (bucket size = burst capacity, refill
//! rate = sustained capacity, reject with 429 when empty) and a **sliding window** (count the
//! requests of the last 10 s and admit a new one only while the count is under the limit,
//! 1000 in its example). This model runs one seeded traffic trace ([`TraceKind`]) through four
//! limiters side by side, all configured for the same `limit` per `window`:
//!
//! - [`TokenBucket`]: holds up to `burst` tokens, refilled continuously at `limit / window`
//!   per second; a request takes one token or is rejected. It starts full. This is the
//!   algorithm of the book's Go snippet. A token bucket is a `(σ, ρ)` regulator in the sense
//!   of network calculus (Cruz, *A calculus for network delay*, IEEE Trans. Inf. Theory 1991):
//!   in any interval of length `t` it admits at most `burst + rate·t`.
//! - [`FixedWindow`]: counts admitted requests per aligned window `[k·W, (k+1)·W)` and admits
//!   while the count is below `limit`. Each aligned window holds at most `limit`, but a window
//!   of the same length that straddles an edge can hold up to `2·limit`.
//! - [`SlidingLog`]: keeps the timestamps of admitted requests of the trailing window
//!   `(t − W, t]` and admits while there are fewer than `limit`: exact — no window of length
//!   `W`, wherever it is placed, ever holds more than `limit`. Memory grows with `limit`.
//! - [`SlidingCounter`]: the two-counter estimate popularised by Cloudflare's rate limiter
//!   (blog post "How we built rate limiting capable of scaling to millions of domains", 2017)
//!   and by Redis recipes: `estimate = previous · (1 − elapsed / W) + current`, which assumes
//!   the previous window's requests were spread evenly. It admits while `estimate + 1 ≤ limit`.
//!   Each aligned window still holds at most `limit`; a trailing window holds at most `2·limit`,
//!   and a burst at the end of a quiet window followed by steady traffic gets close to that.
//!
//! All four count only what they admit (a rejected request costs nothing). For each limiter the
//! report ([`Report`], [`LimiterReport`]) gives admitted and rejected counts, the 429 rate, and
//! the most requests admitted in **any** interval `[a, a + W)` — measured exactly by a sweep
//! over the admitted timestamps — against the configured limit and against the limiter's
//! worst case by construction. Per time bin it gives the requests offered and admitted and the
//! largest trailing-window count, for the charts. [`Replay`] is the step-able simulation that
//! replays the trace request by request (the batch report is computed from it).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::rate_limiters::{Params, RateLimiters};
//! let r = RateLimiters::run(&Params::default(), 1);
//! let fixed = &r.limiters[1];
//! let log = &r.limiters[2];
//! assert_eq!(log.max_in_window, 1000);              // the sliding log is exact
//! assert!(fixed.max_in_window > 1800);              // the fixed window nearly doubles up
//! ```

use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The rate-limiters model: one trace, four limiters.
pub struct RateLimiters;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

const RATE_MIN: f64 = 0.1;
const RATE_MAX: f64 = 2_000.0;
const DURATION_MIN: f64 = 1.0;
const DURATION_MAX: f64 = 300.0;
const LIMIT_MAX: u32 = 10_000;
const WINDOW_MIN: f64 = 0.1;
const WINDOW_MAX: f64 = 60.0;
const BURST_MAX: u32 = 10_000;

/// The most requests a trace may hold; generation stops there (and the report says so).
pub const MAX_REQUESTS: u64 = 2_000_000;
/// Time bins of the report's series.
pub const BINS: u32 = 120;
/// How many recent requests a [`Snapshot`] keeps for drawing.
pub const RECENT: usize = 48;
/// Mean length of a burst of the `bursty` trace, in seconds.
pub const BURST_ON_S: f64 = 1.0;
/// Mean length of a quiet spell of the `bursty` trace, in seconds.
pub const BURST_OFF_S: f64 = 3.0;
/// How much faster than the offered rate the `spike` trace runs during its spike.
pub const SPIKE_FACTOR: f64 = 10.0;
/// The boundary bursts each last this share of a window, on each side of the edge.
pub const EDGE_SHARE: f64 = 0.05;

/// The knobs of the rate-limiters model. The limit and window are the book's sliding-window
/// example (1000 requests per 10 s); the trace is the boundary burst.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The traffic trace: `steady`, `bursty`, `spike`, `boundary` or `edge` (see [`TraceKind`]).
    pub trace: String,
    /// Offered rate in requests per second: the mean of `steady` and `bursty`, the base rate of
    /// `spike`, the background of `boundary` and the rate after the burst of `edge` (0.1–2000).
    pub offered_rate: f64,
    /// Length of the trace in seconds (1–300, at least two windows).
    pub duration_s: f64,
    /// Requests allowed per window, for every limiter (1–10 000); the token bucket refills at
    /// `limit / window_s` per second.
    pub limit: u32,
    /// Window length `W` in seconds (0.1–60).
    pub window_s: f64,
    /// Token-bucket capacity: the burst it lets through at once (1–10 000 tokens).
    pub burst: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            trace: "boundary".into(),
            offered_rate: 10.0,
            duration_s: 60.0,
            limit: 1000,
            window_s: 10.0,
            burst: 100,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "trace",
        label: "Traffic",
        unit: "",
        help: "The arrivals offered, identically, to all four limiters. Boundary: the full limit just before and just after a window edge; edge: the limit just before an edge, then steady traffic.",
        kind: KnobKind::Choice {
            options: &[
                ("steady", "Steady (Poisson)"),
                ("bursty", "Bursty (on/off)"),
                ("spike", "Spike (10× base)"),
                ("boundary", "Boundary burst"),
                ("edge", "Edge burst, then steady"),
            ],
        },
    },
    Knob {
        key: "offered_rate",
        label: "Offered rate",
        unit: "req/s",
        help: "Mean arrival rate (the background rate for the boundary burst, the base rate for the spike).",
        kind: KnobKind::Float { min: RATE_MIN, max: RATE_MAX, step: 0.1, log: true },
    },
    Knob {
        key: "duration_s",
        label: "Duration",
        unit: "s",
        help: "How long the trace runs; at least two windows.",
        kind: KnobKind::Float { min: DURATION_MIN, max: DURATION_MAX, step: 1.0, log: true },
    },
    Knob {
        key: "limit",
        label: "Limit per window",
        unit: "req",
        help: "Requests allowed per window; the token bucket refills at limit ÷ window per second.",
        kind: KnobKind::Int { min: 1, max: LIMIT_MAX as i64, log: true },
    },
    Knob {
        key: "window_s",
        label: "Window length",
        unit: "s",
        help: "The window W the three window limiters count over.",
        kind: KnobKind::Float { min: WINDOW_MIN, max: WINDOW_MAX, step: 0.1, log: true },
    },
    Knob {
        key: "burst",
        label: "Bucket burst",
        unit: "tokens",
        help: "Token-bucket capacity: how many requests it admits at once after a quiet spell.",
        kind: KnobKind::Int { min: 1, max: BURST_MAX as i64, log: true },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// The run must span at least two windows, so that every trace has a window edge inside.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        let need = 2.0 * self.window_s;
        if self.duration_s < need {
            let fixed = libm::ceil(need).min(DURATION_MAX);
            notices.push(Notice::new(
                "duration_s",
                format!(
                    "Duration must cover at least two windows (2 × {} s); using {} s",
                    self.window_s, fixed
                ),
            ));
            self.duration_s = fixed;
        }
    }
}

impl Params {
    /// A copy forced into the knob ranges (NaN → default), for params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let window_s = f(self.window_s, WINDOW_MIN, WINDOW_MAX, d.window_s);
        Params {
            trace: TraceKind::from_key(&self.trace).key().to_string(),
            offered_rate: f(self.offered_rate, RATE_MIN, RATE_MAX, d.offered_rate),
            duration_s: f(self.duration_s, DURATION_MIN, DURATION_MAX, d.duration_s)
                .max(2.0 * window_s),
            limit: self.limit.clamp(1, LIMIT_MAX),
            window_s,
            burst: self.burst.clamp(1, BURST_MAX),
        }
    }

    /// The sustained rate every limiter allows, `limit / window_s`, in requests per second.
    pub fn allowed_rate(&self) -> f64 {
        let p = self.sanitised();
        f64::from(p.limit) / p.window_s
    }
}

// ---------------------------------------------------------------------------------------------
// Traces
// ---------------------------------------------------------------------------------------------

/// The traffic patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// Poisson arrivals at the offered rate.
    Steady,
    /// On/off: bursts (mean [`BURST_ON_S`]) at 4× the offered rate, separated by silences
    /// (mean [`BURST_OFF_S`]), both exponential; the long-run mean is the offered rate.
    Bursty,
    /// Poisson at the offered rate, [`SPIKE_FACTOR`]× faster from 40 % to 50 % of the run.
    Spike,
    /// Poisson background at the offered rate, plus `limit` requests evenly spread over the
    /// last [`EDGE_SHARE`] of the window before an edge `k·W` a third of the way in and
    /// `limit` more over the first [`EDGE_SHARE`] after it.
    Boundary,
    /// Silence, then `limit` requests in the last [`EDGE_SHARE`] of the window before the
    /// edge, then Poisson at the offered rate to the end: the pattern that fools the counter.
    Edge,
}

impl TraceKind {
    /// Every kind, in knob order.
    pub const ALL: [TraceKind; 5] = [
        TraceKind::Steady,
        TraceKind::Bursty,
        TraceKind::Spike,
        TraceKind::Boundary,
        TraceKind::Edge,
    ];

    /// The knob value (unknown keys read as `boundary`, the default).
    pub fn from_key(key: &str) -> TraceKind {
        match key {
            "steady" => TraceKind::Steady,
            "bursty" => TraceKind::Bursty,
            "spike" => TraceKind::Spike,
            "edge" => TraceKind::Edge,
            _ => TraceKind::Boundary,
        }
    }

    /// The knob value of this kind.
    pub fn key(self) -> &'static str {
        match self {
            TraceKind::Steady => "steady",
            TraceKind::Bursty => "bursty",
            TraceKind::Spike => "spike",
            TraceKind::Boundary => "boundary",
            TraceKind::Edge => "edge",
        }
    }
}

/// A generated trace: sorted arrival times in seconds from 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Arrival times, ascending, all in `[0, duration)`.
    pub times: Vec<f64>,
    /// The window edge the `boundary` and `edge` traces aim at, in seconds.
    pub edge_s: Option<f64>,
    /// Whether generation stopped at [`MAX_REQUESTS`].
    pub truncated: bool,
}

/// Append Poisson arrivals at `rate` on `[from, to)` to `out`, stopping at [`MAX_REQUESTS`].
fn poisson(rng: &mut Rng, rate: f64, from: f64, to: f64, out: &mut Vec<f64>) -> bool {
    if rate.is_nan() || rate <= 0.0 || to <= from {
        return false;
    }
    let mean = 1.0 / rate;
    let mut t = from + rng.exp(mean);
    while t < to {
        if out.len() as u64 >= MAX_REQUESTS {
            return true;
        }
        out.push(t);
        t += rng.exp(mean);
    }
    false
}

/// `n` requests evenly spread over `[from, from + span)` (at the middles of `n` equal slots).
fn even(n: u32, from: f64, span: f64, out: &mut Vec<f64>) {
    let gap = span / f64::from(n.max(1));
    out.extend((0..n).map(|i| from + (f64::from(i) + 0.5) * gap));
}

/// The window edge the `boundary` and `edge` traces aim at: the multiple of `W` nearest a
/// third of the run (at least `W`), so that the run shows what follows the edge.
pub fn edge_time(duration_s: f64, window_s: f64) -> f64 {
    let k = libm::round(duration_s / (3.0 * window_s)).max(1.0);
    k * window_s
}

/// Generate the trace of `p` with `seed` (streams `"arrivals"` and `"phases"`).
pub fn trace(p: &Params, seed: u64) -> Trace {
    let p = p.sanitised();
    let mut rng = Rng::derive(seed, "arrivals");
    let (d, w, lam) = (p.duration_s, p.window_s, p.offered_rate);
    let mut times = Vec::new();
    let mut truncated = false;
    let mut edge_s = None;
    match TraceKind::from_key(&p.trace) {
        TraceKind::Steady => truncated = poisson(&mut rng, lam, 0.0, d, &mut times),
        TraceKind::Bursty => {
            let mut phases = Rng::derive(seed, "phases");
            let on_share = BURST_ON_S / (BURST_ON_S + BURST_OFF_S);
            let on_rate = lam / on_share;
            let mut on = phases.chance(on_share);
            let mut t = 0.0;
            while t < d && !truncated {
                let len = phases.exp(if on { BURST_ON_S } else { BURST_OFF_S });
                let end = (t + len).min(d);
                if on {
                    truncated = poisson(&mut rng, on_rate, t, end, &mut times);
                }
                t = end;
                on = !on;
            }
        }
        TraceKind::Spike => {
            let (a, b) = (0.4 * d, 0.5 * d);
            truncated = poisson(&mut rng, lam, 0.0, a, &mut times)
                || poisson(&mut rng, SPIKE_FACTOR * lam, a, b, &mut times)
                || poisson(&mut rng, lam, b, d, &mut times);
        }
        TraceKind::Boundary => {
            let e = edge_time(d, w);
            edge_s = Some(e);
            truncated = poisson(&mut rng, lam, 0.0, d, &mut times);
            let span = EDGE_SHARE * w;
            even(p.limit, e - span, span, &mut times);
            even(p.limit, e, span, &mut times);
            times.sort_unstable_by(f64::total_cmp);
        }
        TraceKind::Edge => {
            let e = edge_time(d, w);
            edge_s = Some(e);
            let span = EDGE_SHARE * w;
            even(p.limit, e - span, span, &mut times);
            truncated = poisson(&mut rng, lam, e, d, &mut times);
        }
    }
    Trace {
        times,
        edge_s,
        truncated,
    }
}

// ---------------------------------------------------------------------------------------------
// The four limiters
// ---------------------------------------------------------------------------------------------

/// The aligned window `⌊t / W⌋` that time `t` falls in.
pub fn window_index(t: f64, window_s: f64) -> i64 {
    libm::floor(t / window_s) as i64
}

/// Token bucket: capacity `burst`, refilled at `rate` tokens per second, starting full.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBucket {
    burst: f64,
    rate: f64,
    tokens: f64,
    last: f64,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `rate` per second.
    pub fn new(burst: f64, rate: f64) -> Self {
        TokenBucket {
            burst,
            rate,
            tokens: burst,
            last: 0.0,
        }
    }

    /// Tokens in the bucket at time `t` (not before the last request).
    pub fn tokens_at(&self, t: f64) -> f64 {
        let dt = (t - self.last).max(0.0);
        (self.tokens + dt * self.rate).min(self.burst)
    }

    /// A request at `t` (non-decreasing): refill, then take a token if there is a whole one.
    pub fn offer(&mut self, t: f64) -> bool {
        self.tokens = self.tokens_at(t);
        self.last = self.last.max(t);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Fixed window: at most `limit` admitted per aligned window `[k·W, (k+1)·W)`.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedWindow {
    limit: u32,
    window_s: f64,
    index: i64,
    count: u32,
}

impl FixedWindow {
    /// A limiter of `limit` per aligned window of `window_s` seconds.
    pub fn new(limit: u32, window_s: f64) -> Self {
        FixedWindow {
            limit,
            window_s,
            index: 0,
            count: 0,
        }
    }

    /// Admitted so far in the aligned window holding `t`.
    pub fn count_at(&self, t: f64) -> u32 {
        if window_index(t, self.window_s) == self.index {
            self.count
        } else {
            0
        }
    }

    /// A request at `t` (non-decreasing).
    pub fn offer(&mut self, t: f64) -> bool {
        let k = window_index(t, self.window_s);
        if k != self.index {
            self.index = k;
            self.count = 0;
        }
        if self.count < self.limit {
            self.count += 1;
            true
        } else {
            false
        }
    }
}

/// Sliding log: the admitted timestamps of the trailing window `(t − W, t]`; admits while
/// fewer than `limit`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlidingLog {
    limit: u32,
    window_s: f64,
    log: VecDeque<f64>,
}

impl SlidingLog {
    /// A limiter of `limit` per trailing window of `window_s` seconds.
    pub fn new(limit: u32, window_s: f64) -> Self {
        SlidingLog {
            limit,
            window_s,
            log: VecDeque::new(),
        }
    }

    /// Admitted requests in the trailing window `(t − W, t]`, for `t` at or after the last one.
    pub fn count_at(&self, t: f64) -> u32 {
        let cut = t - self.window_s;
        let expired = self.log.partition_point(|&x| x <= cut);
        (self.log.len() - expired) as u32
    }

    /// A request at `t` (non-decreasing).
    pub fn offer(&mut self, t: f64) -> bool {
        let cut = t - self.window_s;
        while self.log.front().is_some_and(|&x| x <= cut) {
            self.log.pop_front();
        }
        if (self.log.len() as u64) < u64::from(self.limit) {
            self.log.push_back(t);
            true
        } else {
            false
        }
    }
}

/// Sliding-window counter: two aligned counters and the estimate
/// `previous · (1 − elapsed / W) + current`; admits while `estimate + 1 ≤ limit`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlidingCounter {
    limit: u32,
    window_s: f64,
    index: i64,
    current: u32,
    previous: u32,
}

impl SlidingCounter {
    /// A limiter of `limit` per (estimated) trailing window of `window_s` seconds.
    pub fn new(limit: u32, window_s: f64) -> Self {
        SlidingCounter {
            limit,
            window_s,
            index: 0,
            current: 0,
            previous: 0,
        }
    }

    /// The `(previous, current)` counters as they stand at time `t`.
    fn counters_at(&self, t: f64) -> (u32, u32) {
        let k = window_index(t, self.window_s);
        match k - self.index {
            d if d <= 0 => (self.previous, self.current),
            1 => (self.current, 0),
            _ => (0, 0),
        }
    }

    /// The estimated count of the trailing window at time `t`.
    pub fn estimate_at(&self, t: f64) -> f64 {
        let (prev, cur) = self.counters_at(t);
        let k = window_index(t, self.window_s);
        let elapsed = (t - k as f64 * self.window_s).clamp(0.0, self.window_s);
        f64::from(prev) * (1.0 - elapsed / self.window_s) + f64::from(cur)
    }

    /// A request at `t` (non-decreasing).
    pub fn offer(&mut self, t: f64) -> bool {
        let est = self.estimate_at(t);
        let (prev, cur) = self.counters_at(t);
        let k = window_index(t, self.window_s);
        if k > self.index {
            self.index = k;
            self.previous = prev;
            self.current = cur;
        }
        if est + 1.0 <= f64::from(self.limit) {
            self.current += 1;
            true
        } else {
            false
        }
    }
}

/// The four limiters, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimiterKind {
    /// [`TokenBucket`].
    TokenBucket,
    /// [`FixedWindow`].
    FixedWindow,
    /// [`SlidingLog`].
    SlidingLog,
    /// [`SlidingCounter`].
    SlidingCounter,
}

impl LimiterKind {
    /// Every limiter, in report order.
    pub const ALL: [LimiterKind; 4] = [
        LimiterKind::TokenBucket,
        LimiterKind::FixedWindow,
        LimiterKind::SlidingLog,
        LimiterKind::SlidingCounter,
    ];

    /// Short machine name (`token_bucket`, …), used in metric names.
    pub fn key(self) -> &'static str {
        match self {
            LimiterKind::TokenBucket => "token_bucket",
            LimiterKind::FixedWindow => "fixed_window",
            LimiterKind::SlidingLog => "sliding_log",
            LimiterKind::SlidingCounter => "sliding_counter",
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            LimiterKind::TokenBucket => "Token bucket",
            LimiterKind::FixedWindow => "Fixed window",
            LimiterKind::SlidingLog => "Sliding log",
            LimiterKind::SlidingCounter => "Sliding-window counter",
        }
    }
}

/// The four limiters, fed the same requests.
#[derive(Clone, Debug, PartialEq)]
struct Bank {
    bucket: TokenBucket,
    fixed: FixedWindow,
    log: SlidingLog,
    counter: SlidingCounter,
}

impl Bank {
    fn new(p: &Params) -> Bank {
        Bank {
            bucket: TokenBucket::new(f64::from(p.burst), p.allowed_rate()),
            fixed: FixedWindow::new(p.limit, p.window_s),
            log: SlidingLog::new(p.limit, p.window_s),
            counter: SlidingCounter::new(p.limit, p.window_s),
        }
    }

    /// Offer one request to all four; bit `i` of the result is set if limiter `i` admitted it.
    fn offer(&mut self, t: f64) -> u8 {
        u8::from(self.bucket.offer(t))
            | u8::from(self.fixed.offer(t)) << 1
            | u8::from(self.log.offer(t)) << 2
            | u8::from(self.counter.offer(t)) << 3
    }
}

// ---------------------------------------------------------------------------------------------
// Replay: the step-able simulation
// ---------------------------------------------------------------------------------------------

/// One recent request, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recent {
    /// Arrival time, in seconds.
    pub t: f64,
    /// Bit `i` set if limiter `i` (in [`LimiterKind::ALL`] order) admitted it.
    pub admitted: u8,
}

/// One limiter's state at an instant, as a fill level.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gauge {
    /// Tokens left (bucket) or requests counted (the window limiters).
    pub level: f64,
    /// The most it can hold: `burst` tokens, or `limit` requests.
    pub capacity: f64,
}

/// Plain data for drawing the replay at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The view's clock, in seconds.
    pub t: f64,
    /// Requests that have arrived so far.
    pub offered: u64,
    /// Requests in the whole trace.
    pub total: u64,
    /// Admitted so far, per limiter.
    pub admitted: [u64; 4],
    /// State per limiter at `t`: bucket tokens, fixed-window count, trailing-log count, counter
    /// estimate.
    pub gauges: [Gauge; 4],
    /// Share of the current aligned window already elapsed at `t`.
    pub window_progress: f64,
    /// The last (up to [`RECENT`]) requests, oldest first.
    pub recent: Vec<Recent>,
}

/// The trace replayed request by request through the four limiters.
#[derive(Clone, Debug)]
pub struct Replay {
    params: Params,
    times: Vec<f64>,
    edge_s: Option<f64>,
    truncated: bool,
    next: usize,
    now: f64,
    bank: Bank,
    admitted: [u64; 4],
    recent: VecDeque<Recent>,
    record: bool,
    decisions: Vec<u8>,
}

impl Replay {
    /// A replay of the trace of `p` with `seed`, before the first request.
    pub fn new(p: &Params, seed: u64) -> Replay {
        let p = p.sanitised();
        let tr = trace(&p, seed);
        Replay {
            bank: Bank::new(&p),
            params: p,
            times: tr.times,
            edge_s: tr.edge_s,
            truncated: tr.truncated,
            next: 0,
            now: 0.0,
            admitted: [0; 4],
            recent: VecDeque::with_capacity(RECENT),
            record: false,
            decisions: Vec::new(),
        }
    }

    /// Keep every decision (for the batch report).
    fn recording(mut self) -> Replay {
        self.record = true;
        self.decisions = Vec::with_capacity(self.times.len());
        self
    }

    /// The arrival times of the whole trace.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The window edge the `boundary` and `edge` traces aim at.
    pub fn edge_s(&self) -> Option<f64> {
        self.edge_s
    }

    /// The validated params replayed.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Whether every request has been offered.
    pub fn is_done(&self) -> bool {
        self.next >= self.times.len()
    }

    /// Offer every remaining request.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// The state at the view's clock `t` (at least the last request's time), for drawing.
    pub fn snapshot_at(&self, t: f64) -> Snapshot {
        let t = t.max(self.now);
        let b = &self.bank;
        let limit = f64::from(self.params.limit);
        let w = self.params.window_s;
        let k = window_index(t, w);
        Snapshot {
            t,
            offered: self.next as u64,
            total: self.times.len() as u64,
            admitted: self.admitted,
            gauges: [
                Gauge {
                    level: b.bucket.tokens_at(t),
                    capacity: f64::from(self.params.burst),
                },
                Gauge {
                    level: f64::from(b.fixed.count_at(t)),
                    capacity: limit,
                },
                Gauge {
                    level: f64::from(b.log.count_at(t)),
                    capacity: limit,
                },
                Gauge {
                    level: b.counter.estimate_at(t),
                    capacity: limit,
                },
            ],
            window_progress: ((t - k as f64 * w) / w).clamp(0.0, 1.0),
            recent: self.recent.iter().copied().collect(),
        }
    }

    /// The state at the last request.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_at(self.now)
    }
}

impl Simulation for Replay {
    fn now(&self) -> f64 {
        self.now
    }

    /// Offer the next request to all four limiters; `false` once the trace is over.
    fn step(&mut self) -> bool {
        let Some(&t) = self.times.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.now = t;
        let bits = self.bank.offer(t);
        for (i, a) in self.admitted.iter_mut().enumerate() {
            *a += u64::from((bits >> i) & 1);
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent { t, admitted: bits });
        if self.record {
            self.decisions.push(bits);
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.times.get(self.next).copied()
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------

/// The most timestamps of `sorted` in any half-open interval `[a, a + w)`, and the earliest
/// timestamp of one such interval (0 when empty). Exact: a sweep with two pointers, `O(n)`.
pub fn max_in_window(sorted: &[f64], w: f64) -> (u64, f64) {
    let (mut best, mut at, mut i) = (0usize, 0.0, 0usize);
    for (j, &t) in sorted.iter().enumerate() {
        while sorted[i] <= t - w {
            i += 1;
        }
        if j + 1 - i > best {
            best = j + 1 - i;
            at = sorted[i];
        }
    }
    (best as u64, at)
}

/// Whether admissions at `sorted` times ever exceed `burst + rate·(t_j − t_i)` between two of
/// them (the token-bucket envelope), with a tolerance of `1e-6` for rounding. `O(n)`: the
/// bound fails for some `i ≤ j` iff `(j + 1 − rate·t_j) + max_{i ≤ j}(rate·t_i − i) > burst`.
pub fn exceeds_envelope(sorted: &[f64], burst: f64, rate: f64) -> bool {
    let mut best = f64::NEG_INFINITY;
    for (j, &t) in sorted.iter().enumerate() {
        best = best.max(rate * t - j as f64);
        if (j as f64 + 1.0 - rate * t) + best > burst + 1e-6 {
            return true;
        }
    }
    false
}

/// What one limiter did with the trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimiterReport {
    /// Machine name: `token_bucket`, `fixed_window`, `sliding_log`, `sliding_counter`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Requests admitted.
    pub admitted: u64,
    /// Requests rejected (answered 429).
    pub rejected: u64,
    /// Share of requests rejected.
    pub reject_rate: f64,
    /// The most requests admitted in any interval `[a, a + W)`.
    pub max_in_window: u64,
    /// Start `a` of one such busiest interval (its first admitted request), in seconds.
    pub max_window_start: f64,
    /// `max_in_window / limit`.
    pub max_over_limit: f64,
    /// The most this limiter can ever admit in a window of length `W`, by construction:
    /// `burst + limit` (bucket), `2·limit` (fixed window, counter), `limit` (log).
    pub worst_case: f64,
    /// Admitted per time bin.
    pub admitted_per_bin: Vec<u32>,
    /// Per time bin, the largest number admitted in a trailing window `(t − W, t]` with `t` in
    /// the bin.
    pub window_count_per_bin: Vec<u32>,
}

/// Everything one run measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The trace kind.
    pub trace: String,
    /// Requests in the trace.
    pub requests: u64,
    /// Requests per second over the whole run.
    pub offered_mean_rate: f64,
    /// `limit / window_s`: the sustained rate all four allow.
    pub allowed_rate: f64,
    /// The configured limit per window.
    pub limit: u32,
    /// The window length, in seconds.
    pub window_s: f64,
    /// The token-bucket capacity.
    pub burst: u32,
    /// The run's length, in seconds.
    pub duration_s: f64,
    /// The window edge the `boundary` and `edge` traces aim at.
    pub edge_s: Option<f64>,
    /// Whether the trace was cut at [`MAX_REQUESTS`].
    pub truncated: bool,
    /// Width of a time bin, in seconds ([`BINS`] bins span the run).
    pub bin_s: f64,
    /// Requests offered per time bin.
    pub offered_per_bin: Vec<u32>,
    /// One entry per limiter, in [`LimiterKind::ALL`] order.
    pub limiters: Vec<LimiterReport>,
    /// Plain sentences on what the run shows.
    pub notes: Vec<String>,
}

fn bin_of(t: f64, bin_s: f64) -> usize {
    (libm::floor(t / bin_s).max(0.0) as usize).min(BINS as usize - 1)
}

/// Per bin, the largest trailing-window count of `admitted` (sorted) with its end in the bin.
fn window_counts(admitted: &[f64], w: f64, bin_s: f64) -> Vec<u32> {
    let mut out = vec![0u32; BINS as usize];
    // the count just at each bin's end, for bins where nothing is admitted
    for (b, v) in out.iter_mut().enumerate() {
        let end = (b as f64 + 1.0) * bin_s;
        let hi = admitted.partition_point(|&x| x < end);
        let lo = admitted.partition_point(|&x| x <= end - w);
        *v = hi.saturating_sub(lo) as u32;
    }
    let mut i = 0usize;
    for (j, &t) in admitted.iter().enumerate() {
        while admitted[i] <= t - w {
            i += 1;
        }
        let b = bin_of(t, bin_s);
        out[b] = out[b].max((j + 1 - i) as u32);
    }
    out
}

fn limiter_report(
    kind: LimiterKind,
    p: &Params,
    times: &[f64],
    decisions: &[u8],
    bin_s: f64,
) -> LimiterReport {
    let bit = match kind {
        LimiterKind::TokenBucket => 0,
        LimiterKind::FixedWindow => 1,
        LimiterKind::SlidingLog => 2,
        LimiterKind::SlidingCounter => 3,
    };
    let admitted: Vec<f64> = times
        .iter()
        .zip(decisions)
        .filter(|(_, &d)| (d >> bit) & 1 == 1)
        .map(|(&t, _)| t)
        .collect();
    let mut per_bin = vec![0u32; BINS as usize];
    for &t in &admitted {
        per_bin[bin_of(t, bin_s)] += 1;
    }
    let (max, at) = max_in_window(&admitted, p.window_s);
    let n = times.len() as u64;
    let a = admitted.len() as u64;
    let limit = f64::from(p.limit);
    LimiterReport {
        key: kind.key().into(),
        name: kind.name().into(),
        admitted: a,
        rejected: n - a,
        reject_rate: if n > 0 {
            (n - a) as f64 / n as f64
        } else {
            0.0
        },
        max_in_window: max,
        max_window_start: at,
        max_over_limit: max as f64 / limit,
        worst_case: match kind {
            LimiterKind::TokenBucket => f64::from(p.burst) + limit,
            LimiterKind::SlidingLog => limit,
            _ => 2.0 * limit,
        },
        window_count_per_bin: window_counts(&admitted, p.window_s, bin_s),
        admitted_per_bin: per_bin,
    }
}

/// `x` with about three significant digits, for the notes.
fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = libm::floor(libm::log10(x.abs())) as i32;
    let decimals = (2 - digits).clamp(0, 6) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A ratio to three decimals without trailing zeros: 1.999, 1.04, 2.
fn times(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn pct(x: f64) -> String {
    format!("{} %", sig(100.0 * x))
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let w = sig(p.window_s);
    let l = p.limit;
    let [bucket, fixed, log, counter] = [
        &r.limiters[0],
        &r.limiters[1],
        &r.limiters[2],
        &r.limiters[3],
    ];
    out.push(format!(
        "{} requests over {} s ({} req/s on average) met four limiters set to {l} per {w} s; the token bucket refills at {} req/s and holds {} tokens.",
        r.requests,
        sig(r.duration_s),
        sig(r.offered_mean_rate),
        sig(r.allowed_rate),
        p.burst
    ));
    if r.truncated {
        out.push(format!(
            "The trace was cut at {MAX_REQUESTS} requests to keep the run bounded."
        ));
    }
    if fixed.max_in_window > u64::from(l) {
        let a = fixed.max_window_start;
        let k = window_index(a, p.window_s) + 1;
        out.push(format!(
            "The fixed window let {} requests through in the {w} s from {} s: {}× its limit. That interval straddles the edge at {} s, where a spent quota is reset to a full one.",
            fixed.max_in_window,
            sig(a),
            times(fixed.max_over_limit),
            sig(k as f64 * p.window_s)
        ));
    } else {
        out.push(format!(
            "The fixed window never exceeded its limit in any {w} s interval here (at most {}); this trace did not hit a window edge hard enough.",
            fixed.max_in_window
        ));
    }
    out.push(format!(
        "The sliding log never admitted more than {l} in any {w} s (its most: {}), by construction; it pays with a log of up to {l} timestamps per client.",
        log.max_in_window
    ));
    if counter.max_in_window > u64::from(l) {
        out.push(format!(
            "The sliding-window counter admitted up to {} in some {w} s ({}× the limit): its estimate assumes the previous window's requests were spread evenly, and here they were not.",
            counter.max_in_window,
            times(counter.max_over_limit)
        ));
    } else {
        out.push(format!(
            "The sliding-window counter stayed within the limit (at most {} in any {w} s) with two counters instead of a log.",
            counter.max_in_window
        ));
    }
    if r.trace == "steady" && r.offered_mean_rate > r.allowed_rate {
        let theory = 1.0 - r.allowed_rate / r.offered_mean_rate;
        out.push(format!(
            "Steady overload: in the long run each limiter admits the allowed {} req/s, so theory says about 1 − {} ÷ {} = {} are rejected (the bucket a little less: it also spends its initial {} tokens); measured: {} (bucket), {} (fixed), {} (log), {} (counter).",
            sig(r.allowed_rate),
            sig(r.allowed_rate),
            sig(r.offered_mean_rate),
            pct(theory),
            p.burst,
            pct(bucket.reject_rate),
            pct(fixed.reject_rate),
            pct(log.reject_rate),
            pct(counter.reject_rate)
        ));
    }
    let why = if bucket.reject_rate > log.reject_rate + 0.01 {
        format!(
            ", because it lets only {} through at once where the windows allow {l}",
            p.burst
        )
    } else {
        String::new()
    };
    out.push(format!(
        "The token bucket admitted at most {} in any {w} s, within its envelope of burst + rate × {w} s = {}; it rejected {} of requests against {} for the sliding log{why}.",
        bucket.max_in_window,
        sig(bucket.worst_case),
        pct(bucket.reject_rate),
        pct(log.reject_rate),
    ));
    out
}

impl Model for RateLimiters {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let mut sim = Replay::new(params, seed).recording();
        sim.run_to_end();
        let p = sim.params.clone();
        let bin_s = p.duration_s / f64::from(BINS);
        let mut offered = vec![0u32; BINS as usize];
        for &t in &sim.times {
            offered[bin_of(t, bin_s)] += 1;
        }
        let limiters = LimiterKind::ALL
            .iter()
            .map(|&k| limiter_report(k, &p, &sim.times, &sim.decisions, bin_s))
            .collect();
        let n = sim.times.len() as u64;
        let mut r = Report {
            trace: p.trace.clone(),
            requests: n,
            offered_mean_rate: n as f64 / p.duration_s,
            allowed_rate: p.allowed_rate(),
            limit: p.limit,
            window_s: p.window_s,
            burst: p.burst,
            duration_s: p.duration_s,
            edge_s: sim.edge_s,
            truncated: sim.truncated,
            bin_s,
            offered_per_bin: offered,
            limiters,
            notes: Vec::new(),
        };
        r.notes = notes(&p, &r);
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        const REJECT: [&str; 4] = [
            "reject_token_bucket",
            "reject_fixed_window",
            "reject_sliding_log",
            "reject_sliding_counter",
        ];
        const MAX: [&str; 4] = [
            "max_over_limit_token_bucket",
            "max_over_limit_fixed_window",
            "max_over_limit_sliding_log",
            "max_over_limit_sliding_counter",
        ];
        let mut h = Vec::with_capacity(8);
        for (i, l) in r.limiters.iter().enumerate().take(4) {
            h.push((REJECT[i], l.reject_rate));
            h.push((MAX[i], l.max_over_limit));
        }
        h
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(p: &Params, seed: u64) -> Report {
        RateLimiters::run(p, seed)
    }

    fn by_key<'a>(r: &'a Report, key: &str) -> &'a LimiterReport {
        r.limiters.iter().find(|l| l.key == key).unwrap()
    }

    /// Admitted times of one limiter fed `times` directly.
    fn feed(times: &[f64], mut offer: impl FnMut(f64) -> bool) -> Vec<f64> {
        times.iter().copied().filter(|&t| offer(t)).collect()
    }

    /// All-pairs count of the most timestamps in any trailing window `(t_j − w, t_j]`
    /// (equivalently any `[a, a + w)`), written independently of the sweep.
    fn brute_max(ts: &[f64], w: f64) -> u64 {
        (0..ts.len())
            .map(|j| ts[..=j].iter().filter(|&&x| x > ts[j] - w).count() as u64)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn defaults_are_the_books_window_and_validate_cleanly() {
        let (p, n) = crate::params::validate(Params::default());
        assert!(n.is_empty(), "{n:?}");
        assert_eq!((p.limit, p.window_s), (1000, 10.0));
        assert_eq!(p.allowed_rate(), 100.0);
        for k in KNOBS {
            assert!(
                serde_json::to_value(&p).unwrap().get(k.key).is_some(),
                "{}",
                k.key
            );
        }
    }

    #[test]
    fn short_runs_are_stretched_to_two_windows_with_a_notice() {
        let pairs = vec![
            ("window_s".to_string(), "30".to_string()),
            ("duration_s".to_string(), "20".to_string()),
        ];
        let (p, n) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!(p.duration_s, 60.0);
        assert_eq!(n.len(), 1);
        assert!(n[0].message.contains("two windows"), "{n:?}");
    }

    #[test]
    fn garbage_params_are_clamped_and_never_panic() {
        let pairs: Vec<(String, String)> = [
            ("trace", "<script>"),
            ("offered_rate", "1e9"),
            ("duration_s", "-4"),
            ("limit", "0"),
            ("window_s", "nan"),
            ("burst", "99999999"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (p, n) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert!(n.len() >= 5, "{n:?}");
        assert_eq!(p.trace, "boundary");
        assert_eq!((p.limit, p.burst), (1, BURST_MAX));
        let r = run(&p, 1);
        assert!(RateLimiters::headline(&r)
            .iter()
            .all(|(_, x)| x.is_finite()));
        // unvalidated nonsense is sanitised too
        let wild = Params {
            trace: "zzz".into(),
            offered_rate: f64::NAN,
            duration_s: f64::INFINITY,
            limit: 0,
            window_s: -1.0,
            burst: 0,
        };
        let r = run(&wild, 2);
        assert_eq!(r.limit, 1);
        assert!(r.limiters.iter().all(|l| l.max_over_limit.is_finite()));
    }

    #[test]
    fn the_default_boundary_burst_shows_the_fixed_window_doubling() {
        // 1000 per 10 s, background 10 req/s, 1000 requests in [19.5, 20) and 1000 in [20, 20.5).
        let r = run(&Params::default(), 1);
        assert_eq!(r.edge_s, Some(20.0));
        let fixed = by_key(&r, "fixed_window");
        // The window [10, 20) admits its full 1000 (background, then the first burst) and
        // [20, 30) admits the second burst's 1000 within 0.5 s, so the 10 s from just after 10 s
        // hold 2000 less the few background requests at its start: ≈ 2× the limit.
        assert!(
            fixed.max_in_window >= 1950 && fixed.max_in_window <= 2000,
            "{fixed:?}"
        );
        assert!(fixed.max_window_start >= 10.0 && fixed.max_window_start < 11.0);
        let log = by_key(&r, "sliding_log");
        assert_eq!(log.max_in_window, 1000);
        let counter = by_key(&r, "sliding_counter");
        assert!(
            counter.max_over_limit > 1.0 && counter.max_over_limit < 1.1,
            "{counter:?}"
        );
        let bucket = by_key(&r, "token_bucket");
        assert!((bucket.max_in_window as f64) <= bucket.worst_case);
        // the bucket lets ~150 of the first burst through (100 tokens + 0.5 s × 100/s)
        assert!(bucket.max_in_window < 400, "{bucket:?}");
        assert!(bucket.reject_rate > log.reject_rate);
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("from 10.") && n.contains("straddles the edge at 20 s")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn boundary_burst_alone_reaches_exactly_twice_the_limit() {
        // Fed directly, with no background: the theoretical 2× of fixed windows.
        let (l, w) = (500u32, 10.0);
        let mut ts = Vec::new();
        even(l, 10.0 - 0.5, 0.5, &mut ts);
        even(l, 10.0, 0.5, &mut ts);
        let mut fw = FixedWindow::new(l, w);
        let fixed = feed(&ts, |t| fw.offer(t));
        assert_eq!(max_in_window(&fixed, w).0, 2 * u64::from(l));
        let mut sl = SlidingLog::new(l, w);
        let logged = feed(&ts, |t| sl.offer(t));
        assert_eq!(logged.len() as u32, l);
        // the counter admits ≈ limit · span / W = 25 more after the edge (prev weight falls)
        let mut sc = SlidingCounter::new(l, w);
        let counted = feed(&ts, |t| sc.offer(t));
        let extra = counted.len() as i64 - i64::from(l);
        assert!((23..=25).contains(&extra), "{extra}");
    }

    #[test]
    fn the_counter_is_fooled_by_a_burst_at_a_window_end_then_steady_traffic() {
        // Reference: previous = L at the very end of window k−1, then enough traffic: the
        // estimate L·(1 − e/W) + cur lets cur grow to ≈ L·e/W, so the trailing window ending
        // just before the burst leaves holds ≈ L + L·(W − span)/W = 1.95 L.
        let p = Params {
            trace: "edge".into(),
            offered_rate: 400.0,
            duration_s: 40.0,
            limit: 1000,
            window_s: 10.0,
            burst: 100,
        };
        let r = run(&p, 3);
        let c = by_key(&r, "sliding_counter");
        assert!(c.max_over_limit > 1.9 && c.max_over_limit < 1.96, "{c:?}");
        assert_eq!(by_key(&r, "sliding_log").max_in_window, 1000);
        assert!(by_key(&r, "fixed_window").max_over_limit > 1.99);
        assert!(r.notes.iter().any(|n| n.contains("spread evenly")));
    }

    #[test]
    fn steady_overload_rejects_one_minus_allowed_over_offered() {
        // λ = 2 × 100 req/s for 200 s: long-run admitted rate → 100 req/s, so ≈ 50 % rejected.
        let p = Params {
            trace: "steady".into(),
            offered_rate: 200.0,
            duration_s: 200.0,
            limit: 1000,
            window_s: 10.0,
            burst: 100,
        };
        for seed in [1, 2] {
            let r = run(&p, seed);
            let expect = 1.0 - r.allowed_rate / r.offered_mean_rate;
            for l in &r.limiters {
                assert!(
                    (l.reject_rate - expect).abs() < 0.02,
                    "{} {} vs {expect}",
                    l.key,
                    l.reject_rate
                );
            }
            // Token bucket: admitted = burst + rate·t_last − tokens left, and tokens hover near 0.
            let b = by_key(&r, "token_bucket");
            let t_last = *Replay::new(&p, seed).times().last().unwrap();
            let envelope = 100.0 + 100.0 * t_last;
            assert!(
                b.admitted as f64 <= envelope && b.admitted as f64 >= envelope - 10.0,
                "{} vs {envelope}",
                b.admitted
            );
            // Under steady overload every window limiter fills each window to the limit.
            assert_eq!(by_key(&r, "sliding_log").max_in_window, 1000);
            assert!(by_key(&r, "fixed_window").max_in_window >= 1000);
        }
    }

    #[test]
    fn light_steady_traffic_is_never_rejected() {
        // Poisson with mean 500 per 10 s never gets near 1000; the bucket's 100 tokens refill at
        // 100/s against 50/s offered.
        let p = Params {
            trace: "steady".into(),
            offered_rate: 50.0,
            ..Params::default()
        };
        let r = run(&p, 4);
        for l in &r.limiters {
            assert_eq!(l.rejected, 0, "{}", l.key);
        }
        assert!((r.offered_mean_rate - 50.0).abs() < 3.0);
    }

    #[test]
    fn traces_have_the_offered_mean_rate() {
        for (kind, want) in [
            ("steady", 100.0),
            ("bursty", 100.0),
            ("spike", 100.0 * (0.9 + 0.1 * SPIKE_FACTOR)),
        ] {
            let p = Params {
                trace: kind.into(),
                offered_rate: 100.0,
                duration_s: 300.0,
                ..Params::default()
            };
            let rates: Vec<f64> = (1..=4).map(|s| run(&p, s).offered_mean_rate).collect();
            let mean = rates.iter().sum::<f64>() / 4.0;
            // bursty is the noisiest: ~75 on/off cycles per run, 4 runs
            assert!((mean / want - 1.0).abs() < 0.12, "{kind}: {mean} vs {want}");
        }
        let t = trace(
            &Params {
                trace: "spike".into(),
                ..Params::default()
            },
            1,
        );
        assert!(t.times.windows(2).all(|w| w[0] <= w[1]));
        assert!(t.times.iter().all(|&x| (0.0..60.0).contains(&x)));
    }

    #[test]
    fn edges_sit_on_window_boundaries_inside_the_run() {
        assert_eq!(edge_time(60.0, 10.0), 20.0);
        assert_eq!(edge_time(20.0, 10.0), 10.0);
        assert_eq!(edge_time(45.0, 10.0), 20.0);
        for (d, w) in [(2.0, 1.0), (300.0, 0.1), (120.0, 60.0), (3.0, 1.3)] {
            let e = edge_time(d, w);
            assert!(e >= w && e + EDGE_SHARE * w <= d, "{d} {w} {e}");
        }
    }

    #[test]
    fn the_max_window_sweep_agrees_with_brute_force() {
        let ts = [0.0, 0.5, 1.0, 1.0, 1.9, 2.0, 2.0, 3.5, 4.0];
        for w in [0.1, 0.5, 1.0, 1.5, 2.0, 10.0] {
            assert_eq!(max_in_window(&ts, w).0, brute_max(&ts, w), "w {w}");
        }
        assert_eq!(max_in_window(&[], 1.0), (0, 0.0));
        // half-open: [1, 2) holds 1, 1, 1.9
        assert_eq!(max_in_window(&[1.0, 1.0, 1.9, 2.0], 1.0), (3, 1.0));
    }

    #[test]
    fn the_envelope_check_catches_a_violation() {
        assert!(!exceeds_envelope(&[0.0, 0.0, 1.0], 2.0, 1.0));
        assert!(exceeds_envelope(&[0.0, 0.0, 0.5], 2.0, 1.0));
        assert!(exceeds_envelope(&[5.0, 9.0, 9.0, 9.5], 2.0, 1.0));
    }

    #[test]
    fn replay_steps_snapshots_and_matches_the_batch() {
        let p = Params {
            trace: "bursty".into(),
            offered_rate: 150.0,
            ..Params::default()
        };
        let mut sim = Replay::new(&p, 5);
        let s = sim.snapshot_at(0.0);
        assert_eq!((s.offered, s.admitted, s.recent.len()), (0, [0; 4], 0));
        assert_eq!(s.gauges[0].level, 100.0);
        sim.advance_to(20.0);
        let s = sim.snapshot_at(20.0);
        assert!(s.offered > 0 && s.offered < s.total);
        assert!(sim.next_event_time().is_some_and(|t| t > 20.0));
        assert!(s.recent.len() <= RECENT && s.recent.windows(2).all(|w| w[0].t <= w[1].t));
        for g in s.gauges {
            assert!(g.level >= 0.0 && g.level <= g.capacity + 1e-9, "{g:?}");
        }
        assert!((s.window_progress - 0.0).abs() < 1e-9);
        // a later clock refills the bucket and empties windows, without stepping
        let later = sim.snapshot_at(1_000.0);
        assert_eq!(later.gauges[0].level, 100.0);
        assert_eq!(
            (
                later.gauges[1].level,
                later.gauges[2].level,
                later.gauges[3].level
            ),
            (0.0, 0.0, 0.0)
        );
        sim.run_to_end();
        assert!(sim.is_done() && !sim.step() && sim.next_event_time().is_none());
        let r = run(&p, 5);
        let s = sim.snapshot();
        for (i, l) in r.limiters.iter().enumerate() {
            assert_eq!(s.admitted[i], l.admitted);
        }
        assert_eq!(s.offered, r.requests);
        assert_eq!(
            r.offered_per_bin.iter().map(|&x| u64::from(x)).sum::<u64>(),
            r.requests
        );
        for l in &r.limiters {
            assert_eq!(
                l.admitted_per_bin
                    .iter()
                    .map(|&x| u64::from(x))
                    .sum::<u64>(),
                l.admitted
            );
            assert_eq!(
                l.window_count_per_bin.iter().copied().max().map(u64::from),
                Some(l.max_in_window)
            );
        }
    }

    #[test]
    fn same_seed_same_report_different_seed_different_trace() {
        let p = Params {
            trace: "steady".into(),
            offered_rate: 120.0,
            ..Params::default()
        };
        assert_eq!(run(&p, 8), run(&p, 8));
        assert_ne!(run(&p, 8).requests, run(&p, 9).requests);
        let json = serde_json::to_string(&run(&p, 8)).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back.limiters, run(&p, 8).limiters);
        assert_eq!(back.notes, run(&p, 8).notes);
    }

    #[test]
    fn the_largest_run_is_bounded() {
        let p = Params {
            trace: "spike".into(),
            offered_rate: RATE_MAX,
            duration_s: DURATION_MAX,
            limit: LIMIT_MAX,
            window_s: 0.1,
            burst: BURST_MAX,
        };
        let r = run(&p, 1);
        assert!(r.requests <= MAX_REQUESTS);
        assert!(r.requests > 1_000_000);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.len() < 200_000, "{}", json.len());
    }

    #[test]
    fn headline_has_a_reject_rate_and_a_ratio_per_limiter() {
        let r = run(&Params::default(), 1);
        let h = RateLimiters::headline(&r);
        assert_eq!(h.len(), 8);
        assert!(h.iter().any(|(k, _)| *k == "max_over_limit_fixed_window"));
        assert!(h.iter().all(|(_, x)| x.is_finite() && *x >= 0.0));
    }

    fn arb_times() -> impl Strategy<Value = Vec<f64>> {
        // clustered, with exact repeats: bursts of equal timestamps stress the boundaries
        prop::collection::vec((0u32..400, 0u32..3), 0..300).prop_map(|v| {
            let mut ts: Vec<f64> = v
                .into_iter()
                .flat_map(|(q, rep)| std::iter::repeat_n(f64::from(q) * 0.05, rep as usize + 1))
                .collect();
            ts.sort_unstable_by(f64::total_cmp);
            ts
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn limiters_keep_their_promises_on_any_trace(
            ts in arb_times(),
            limit in 1u32..40,
            w in 0.05f64..6.0,
            burst in 1u32..30,
            rate in 0.1f64..50.0,
        ) {
            // token bucket: never more than burst + rate·t in any interval of length t, checked
            // over all pairs and by the linear sweep
            let mut tb = TokenBucket::new(f64::from(burst), rate);
            let a = feed(&ts, |t| tb.offer(t));
            for i in 0..a.len() {
                for j in i..a.len() {
                    prop_assert!((j - i + 1) as f64 <= f64::from(burst) + rate * (a[j] - a[i]) + 1e-6,
                        "{} admitted in [{}, {}]", j - i + 1, a[i], a[j]);
                }
            }
            prop_assert!(!exceeds_envelope(&a, f64::from(burst), rate));
            // sliding log: at most `limit` in any window of length W
            let mut sl = SlidingLog::new(limit, w);
            let a = feed(&ts, |t| sl.offer(t));
            prop_assert!(brute_max(&a, w) <= u64::from(limit));
            prop_assert_eq!(max_in_window(&a, w).0, brute_max(&a, w));
            // fixed window and counter: at most `limit` within one aligned window, and never
            // more than 2·limit in any window of length W
            let mut fw = FixedWindow::new(limit, w);
            let mut sc = SlidingCounter::new(limit, w);
            for a in [feed(&ts, |t| fw.offer(t)), feed(&ts, |t| sc.offer(t))] {
                let mut per: std::collections::BTreeMap<i64, u32> = std::collections::BTreeMap::new();
                for &t in &a {
                    *per.entry(window_index(t, w)).or_default() += 1;
                }
                prop_assert!(per.values().all(|&c| c <= limit), "{:?}", per);
                prop_assert!(brute_max(&a, w) <= 2 * u64::from(limit));
            }
        }

        #[test]
        fn model_runs_keep_the_invariants_for_any_params(
            kind in 0usize..5,
            lrate in -1.0f64..2.5,
            duration in 1.0f64..40.0,
            limit in 1u32..300,
            lw in -1.0f64..1.0,
            burst in 1u32..300,
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                trace: TraceKind::ALL[kind].key().into(),
                offered_rate: libm::pow(10.0, lrate),
                duration_s: duration,
                limit,
                window_s: libm::pow(10.0, lw),
                burst,
            };
            let (p, _) = crate::params::validate(p);
            let mut sim = Replay::new(&p, seed).recording();
            sim.run_to_end();
            let r = run(&p, seed);
            prop_assert_eq!(r.requests, sim.times.len() as u64);
            let rate = p.allowed_rate();
            for (i, l) in r.limiters.iter().enumerate() {
                prop_assert_eq!(l.admitted + l.rejected, r.requests);
                prop_assert!((l.max_in_window as f64) <= l.worst_case + 1e-9, "{}: {} > {}", l.key, l.max_in_window, l.worst_case);
                let admitted: Vec<f64> = sim.times.iter().zip(&sim.decisions)
                    .filter(|(_, &d)| (d >> i) & 1 == 1).map(|(&t, _)| t).collect();
                prop_assert_eq!(admitted.len() as u64, l.admitted);
                if i == 0 {
                    prop_assert!(!exceeds_envelope(&admitted, f64::from(p.burst), rate));
                }
                if i == 2 {
                    prop_assert!(l.max_in_window <= u64::from(p.limit));
                }
            }
            prop_assert!(RateLimiters::headline(&r).iter().all(|(_, x)| x.is_finite()));
        }
    }
}
