//! # Anomaly detection (book page 31, Pillar V): thresholds, EWMA and Holt-Winters on a seasonal metric
//!
//! The book's intelligence stack puts "simple thresholds" at the reactive level and learned
//! patterns above it, and its AIOps loop runs observe → analyse (anomaly detection) → decide →
//! act. This model measures what each level buys on one synthetic metric.
//!
//! **The stream.** One sample every 5 minutes for `days` days: a base level of 500 (say,
//! requests per second) plus a linear trend, a daily sine of `daily_amplitude`, and Gaussian
//! noise of standard deviation `noise_sd`. After the warm-up (two seasons), seeded anomalies of
//! three kinds are injected, each with a size of `magnitude` noise σ:
//! - a **spike**: 1–3 samples raised by the full size;
//! - a **level shift**: a step of the full size lasting `incident_min` (a bad release);
//! - a **slow drift**: a ramp from 0 to the full size over `incident_min` (a leak).
//!
//! Each anomaly is a ground-truth window.
//!
//! **The detectors** see the same samples one at a time, learn during the same warm-up and are
//! judged with the same sensitivity `k`:
//! - **static threshold**: the warm-up's mean μ₀ and standard deviation σ₀, then alarm when a
//!   sample leaves μ₀ ± k·σ₀ (a fixed bound, learned once);
//! - **EWMA z-score**: an exponentially weighted mean μ and variance v of the prediction error,
//!   both with weight `ewma_alpha`; alarm when |x − μ| > k·√v;
//! - **Holt-Winters** (additive; Holt 1957, Winters 1960): level, trend and one seasonal index
//!   per slot of a `hw_season_h`-hour season, smoothed by α, β, γ; the forecast is
//!   level + trend + season, and the alarm fires when |residual| > k·σ of the residuals (an
//!   EWMA of squared residuals).
//!
//! Updates of the variance estimates clip each error at 5 σ, so that one outlier does not blind
//! a detector for hours. No detector's state depends on `k`: each produces a score (how many of
//! its own σ a sample lies from its expectation) and alarms are `score > k`. That makes the
//! sweep over `k` exact and cheap, and the alarm count monotone in `k`.
//!
//! **Scoring.** Consecutive alarming samples, merged across gaps shorter than 30 minutes, are
//! one *alert* (what a pager would send). An alert that overlaps a truth window is true, one
//! that falls only in the hour after a window (the system settling back) is ignored, any other
//! is false. Precision = true alerts / alerts; recall = windows with an alarm / windows; delay =
//! first alarm in a window − its start.
//!
//! **The loop.** Each alert triggers the chosen action. A detected incident lasts until
//! `delay + mitigation` (capped at its length); a missed one runs its full length; every false
//! alert costs toil. On pure Gaussian noise the EWMA z-score raises false alarms at the rate
//! `2·(1 − Φ(k))` per sample (0.27 % at k = 3, about 0.78 per day at one sample per 5 min).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::anomaly_detection::{AnomalyDetection, Params};
//! let r = AnomalyDetection::run(&Params::default(), 1);
//! assert_eq!(r.detectors.len(), 3);
//! assert!(r.detectors.iter().all(|d| (0.0..=1.0).contains(&d.outcome.recall)));
//! ```

use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// The anomaly-detection model.
pub struct AnomalyDetection;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// Minutes between samples.
pub const STEP_MIN: u32 = 5;
/// Samples per hour.
const PER_HOUR: u32 = 60 / STEP_MIN;
/// Samples per day.
pub const PER_DAY: u32 = 24 * PER_HOUR;
/// The stream's base level (before trend, season, noise and anomalies).
pub const BASE: f64 = 500.0;
/// Alarms closer than this many samples belong to one alert (30 minutes).
pub const MERGE_GAP: u32 = 6;
/// Samples after a truth window in which alarms count neither way (one hour).
pub const GRACE: u32 = 12;
/// The smallest slot an anomaly is placed in, samples (its window, a grace hour, margins).
const MIN_SLOT: u32 = 2 * GRACE + 3;
/// Errors are clipped at this many σ before they update a variance estimate.
const CLIP: f64 = 5.0;
/// Sensitivities swept for the curves.
const SWEEP_K: (f64, f64, u32) = (1.0, 0.25, 29);
/// Buckets of the timeline drawn by the view.
const BUCKETS: u32 = 240;

/// The three detectors, in report order.
pub const DETECTORS: [(&str, &str); 3] = [
    ("static", "Static threshold"),
    ("ewma", "EWMA z-score"),
    ("hw", "Holt-Winters"),
];

/// Actions the loop takes on an alert: (value, label, minutes to mitigate, toil minutes per
/// false alert).
pub const ACTIONS: [(&str, &str, f64, f64); 3] = [
    ("page", "page a human", 20.0, 30.0),
    ("rollback", "automatic rollback", 3.0, 10.0),
    ("scale_out", "scale out", 5.0, 5.0),
];

/// The knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Length of the stream in days (one sample per 5 minutes).
    pub days: u32,
    /// Standard deviation of the Gaussian noise, in metric units.
    pub noise_sd: f64,
    /// Half the peak-to-trough swing of the daily sine, in metric units.
    pub daily_amplitude: f64,
    /// Linear trend, in metric units per day.
    pub trend_per_day: f64,
    /// Number of injected spikes.
    pub spikes: u32,
    /// Number of injected level shifts.
    pub shifts: u32,
    /// Number of injected slow drifts.
    pub drifts: u32,
    /// Size of every anomaly, in noise σ (in metric units when the noise is 0).
    pub magnitude: f64,
    /// Length of a level shift or a drift, in minutes.
    pub incident_min: u32,
    /// Sensitivity: alarm when a sample lies more than k of the detector's σ from its expectation.
    pub k: f64,
    /// EWMA weight of the newest sample.
    pub ewma_alpha: f64,
    /// Holt-Winters level smoothing α.
    pub hw_alpha: f64,
    /// Holt-Winters trend smoothing β.
    pub hw_beta: f64,
    /// Holt-Winters seasonal smoothing γ.
    pub hw_gamma: f64,
    /// Holt-Winters season length, in hours (the stream's true season is 24 h).
    pub hw_season_h: u32,
    /// What the loop does on an alert: `page`, `rollback` or `scale_out`.
    pub action: String,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            days: 7,
            noise_sd: 10.0,
            daily_amplitude: 80.0,
            trend_per_day: 5.0,
            spikes: 2,
            shifts: 1,
            drifts: 1,
            magnitude: 5.0,
            incident_min: 180,
            k: 3.0,
            ewma_alpha: 0.05,
            hw_alpha: 0.1,
            hw_beta: 0.01,
            hw_gamma: 0.2,
            hw_season_h: 24,
            action: "page".into(),
        }
    }
}

static ACTION_OPTIONS: &[(&str, &str)] = &[
    ("page", "page a human"),
    ("rollback", "automatic rollback"),
    ("scale_out", "scale out"),
];

static KNOBS: &[Knob] = &[
    Knob { key: "k", label: "Sensitivity k", unit: "σ", help: "Every detector alarms when a sample lies more than k of its own standard deviations from what it expected; lower k alarms sooner and more often.", kind: KnobKind::Float { min: 1.0, max: 8.0, step: 0.1, log: false } },
    Knob { key: "days", label: "Days of data", unit: "days", help: "Length of the stream, one sample every 5 minutes; the first two seasons are warm-up.", kind: KnobKind::Int { min: 3, max: 28, log: false } },
    Knob { key: "noise_sd", label: "Noise σ", unit: "", help: "Standard deviation of the Gaussian noise on every sample.", kind: KnobKind::Float { min: 0.0, max: 100.0, step: 0.5, log: false } },
    Knob { key: "daily_amplitude", label: "Daily swing", unit: "", help: "Amplitude of the daily sine (half the peak-to-trough swing).", kind: KnobKind::Float { min: 0.0, max: 400.0, step: 1.0, log: false } },
    Knob { key: "trend_per_day", label: "Trend", unit: "per day", help: "How much the level grows (or falls) per day.", kind: KnobKind::Float { min: -100.0, max: 100.0, step: 0.5, log: false } },
    Knob { key: "spikes", label: "Spikes", unit: "", help: "Number of injected spikes: 1–3 samples raised by the anomaly size.", kind: KnobKind::Int { min: 0, max: 10, log: false } },
    Knob { key: "shifts", label: "Level shifts", unit: "", help: "Number of injected level shifts: a step up that lasts the incident length.", kind: KnobKind::Int { min: 0, max: 5, log: false } },
    Knob { key: "drifts", label: "Slow drifts", unit: "", help: "Number of injected slow drifts: a ramp from 0 to the anomaly size over the incident length.", kind: KnobKind::Int { min: 0, max: 5, log: false } },
    Knob { key: "magnitude", label: "Anomaly size", unit: "σ", help: "Size of every anomaly in noise standard deviations (in metric units when the noise is 0).", kind: KnobKind::Float { min: 0.5, max: 30.0, step: 0.5, log: false } },
    Knob { key: "incident_min", label: "Incident length", unit: "min", help: "How long a level shift or a drift lasts unless the loop mitigates it.", kind: KnobKind::Int { min: 30, max: 1440, log: true } },
    Knob { key: "ewma_alpha", label: "EWMA α", unit: "", help: "Weight of the newest sample in the EWMA mean and variance; small α remembers longer.", kind: KnobKind::Float { min: 0.005, max: 0.5, step: 0.005, log: true } },
    Knob { key: "hw_alpha", label: "Holt-Winters α (level)", unit: "", help: "How fast the Holt-Winters level follows the data.", kind: KnobKind::Float { min: 0.01, max: 1.0, step: 0.01, log: false } },
    Knob { key: "hw_beta", label: "Holt-Winters β (trend)", unit: "", help: "How fast the Holt-Winters trend follows changes of the level.", kind: KnobKind::Float { min: 0.0, max: 0.5, step: 0.005, log: false } },
    Knob { key: "hw_gamma", label: "Holt-Winters γ (season)", unit: "", help: "How fast each seasonal index follows the data (each index is seen once per season).", kind: KnobKind::Float { min: 0.0, max: 1.0, step: 0.01, log: false } },
    Knob { key: "hw_season_h", label: "Holt-Winters season", unit: "h", help: "The season Holt-Winters assumes; the stream's true season is 24 h.", kind: KnobKind::Int { min: 1, max: 48, log: false } },
    Knob { key: "action", label: "Action on alert", unit: "", help: "What the loop does on an alert. Paging a human: 20 min to fix, 30 min of toil per false page. Automatic rollback: 3 min, 10 min per false rollback. Scale out: 5 min, 5 min per false scale-out.", kind: KnobKind::Choice { options: ACTION_OPTIONS } },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// The stream must outlast the warm-up (two Holt-Winters seasons) by at least a day.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        let need = min_days(self.hw_season_h.clamp(1, 48));
        if self.days < need {
            notices.push(Notice::new(
                "days",
                format!(
                    "Days of data: raised to {need}, so that a day is left after the warm-up of two {}-hour seasons",
                    self.hw_season_h
                ),
            ));
            self.days = need;
        }
    }
}

/// Fewest days that leave one scored day after a warm-up of two seasons of `season_h` hours.
fn min_days(season_h: u32) -> u32 {
    (2 * season_h).div_ceil(24) + 1
}

impl Params {
    /// A copy forced into range, so that public functions never misbehave on unvalidated params.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let season = self.hw_season_h.clamp(1, 48);
        Params {
            days: self.days.clamp(min_days(season), 28),
            noise_sd: f(self.noise_sd, 0.0, 100.0, d.noise_sd),
            daily_amplitude: f(self.daily_amplitude, 0.0, 400.0, d.daily_amplitude),
            trend_per_day: f(self.trend_per_day, -100.0, 100.0, d.trend_per_day),
            spikes: self.spikes.min(10),
            shifts: self.shifts.min(5),
            drifts: self.drifts.min(5),
            magnitude: f(self.magnitude, 0.5, 30.0, d.magnitude),
            incident_min: self.incident_min.clamp(30, 1440),
            k: f(self.k, 1.0, 8.0, d.k),
            ewma_alpha: f(self.ewma_alpha, 0.005, 0.5, d.ewma_alpha),
            hw_alpha: f(self.hw_alpha, 0.01, 1.0, d.hw_alpha),
            hw_beta: f(self.hw_beta, 0.0, 0.5, d.hw_beta),
            hw_gamma: f(self.hw_gamma, 0.0, 1.0, d.hw_gamma),
            hw_season_h: season,
            action: if ACTIONS.iter().any(|a| a.0 == self.action) {
                self.action.clone()
            } else {
                d.action
            },
        }
    }

    /// Samples in the stream.
    pub fn samples(&self) -> u32 {
        self.sanitised().days * PER_DAY
    }

    /// Samples of warm-up: two Holt-Winters seasons (all detectors learn on the same span).
    pub fn warmup(&self) -> u32 {
        2 * self.sanitised().hw_season_h * PER_HOUR
    }

    /// The size of every anomaly in metric units.
    pub fn anomaly_size(&self) -> f64 {
        let p = self.sanitised();
        p.magnitude * if p.noise_sd > 0.0 { p.noise_sd } else { 1.0 }
    }

    /// (mitigation minutes, toil minutes per false alert) of the chosen action.
    pub fn action_costs(&self) -> (f64, f64) {
        let a = ACTIONS
            .iter()
            .find(|a| a.0 == self.action)
            .unwrap_or(&ACTIONS[0]);
        (a.2, a.3)
    }
}

// ---------------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------------

/// A kind of injected anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A few samples far out.
    Spike,
    /// A step that persists for the incident.
    Shift,
    /// A ramp from 0 to the full size over the incident.
    Drift,
}

impl Kind {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Spike => "spike",
            Kind::Shift => "level shift",
            Kind::Drift => "slow drift",
        }
    }
}

/// One injected anomaly: a ground-truth window `[start, end)` in samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// What kind.
    pub kind: Kind,
    /// First anomalous sample.
    pub start: u32,
    /// One past the last anomalous sample.
    pub end: u32,
    /// Full size in metric units.
    pub size: f64,
}

impl Anomaly {
    /// What the anomaly adds to sample `i`.
    pub fn effect(&self, i: u32) -> f64 {
        if i < self.start || i >= self.end {
            return 0.0;
        }
        match self.kind {
            Kind::Spike | Kind::Shift => self.size,
            Kind::Drift => {
                let len = f64::from((self.end - self.start).max(1));
                self.size * f64::from(i - self.start + 1) / len
            }
        }
    }
}

/// A standard normal draw (Box-Muller, one value per call).
fn gauss(rng: &mut Rng) -> f64 {
    let u = rng.uniform_open0();
    let v = rng.uniform();
    libm::sqrt(-2.0 * libm::log(u)) * libm::cos(2.0 * std::f64::consts::PI * v)
}

/// The expected value of sample `i` (base + trend + daily season), without noise or anomalies.
pub fn expected(p: &Params, i: u32) -> f64 {
    let day = f64::from(i) / f64::from(PER_DAY);
    // trough at 04:00, peak at 16:00
    let phase = 2.0 * std::f64::consts::PI * (day - 10.0 / 24.0);
    BASE + p.trend_per_day * day + p.daily_amplitude * libm::sin(phase)
}

/// The seeded anomalies: kinds shuffled over equal slots after the warm-up, each placed at a
/// random offset in its slot, shifts and drifts no longer than 60 % of a slot.
pub fn place_anomalies(p: &Params, seed: u64) -> Vec<Anomaly> {
    let p = p.sanitised();
    let mut kinds: Vec<Kind> = std::iter::repeat_n(Kind::Spike, p.spikes as usize)
        .chain(std::iter::repeat_n(Kind::Shift, p.shifts as usize))
        .chain(std::iter::repeat_n(Kind::Drift, p.drifts as usize))
        .collect();
    if kinds.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::derive(seed, "anomalies");
    for i in (1..kinds.len()).rev() {
        let j = rng.index(i + 1);
        kinds.swap(i, j);
    }
    let (n, warm) = (p.samples(), p.warmup());
    let span = n.saturating_sub(warm);
    // each anomaly gets a slot with room for its grace hour; those that do not fit are dropped
    kinds.truncate((span / MIN_SLOT).max(1) as usize);
    let slot = span / kinds.len() as u32;
    let size = p.anomaly_size();
    let mut out = Vec::with_capacity(kinds.len());
    for (s, kind) in kinds.into_iter().enumerate() {
        let len = match kind {
            Kind::Spike => 1 + rng.below(3) as u32,
            Kind::Shift | Kind::Drift => (p.incident_min / STEP_MIN)
                .min(slot * 3 / 5)
                .min(slot.saturating_sub(GRACE + GRACE / 2 + 1)),
        }
        .max(1);
        let free = slot.saturating_sub(len + GRACE + GRACE / 2);
        let start = warm + s as u32 * slot + GRACE / 2 + rng.below(u64::from(free.max(1))) as u32;
        out.push(Anomaly {
            kind,
            start,
            end: (start + len).min(n),
            size,
        });
    }
    out
}

/// The stream: expected value + noise + anomalies, sample by sample.
pub fn stream(p: &Params, seed: u64, anomalies: &[Anomaly]) -> Vec<f64> {
    let p = p.sanitised();
    let mut rng = Rng::derive(seed, "noise");
    (0..p.samples())
        .map(|i| {
            expected(&p, i)
                + p.noise_sd * gauss(&mut rng)
                + anomalies.iter().map(|a| a.effect(i)).sum::<f64>()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Detectors
// ---------------------------------------------------------------------------------------------

/// What a detector says about one sample: its expectation, its σ, and the score
/// |x − expectation| / σ (alarm when the score exceeds k).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    /// What the detector expected.
    pub center: f64,
    /// The detector's standard deviation for this sample.
    pub scale: f64,
    /// |x − center| / scale.
    pub score: f64,
}

/// A robust noise estimate of a warm-up: the median absolute deviation of first differences,
/// scaled to σ of Gaussian noise (MAD·1.4826/√2). Differences cancel slow seasonality.
fn noise_estimate(xs: &[f64]) -> f64 {
    if xs.len() < 3 {
        return 0.0;
    }
    let mut d: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    d.sort_unstable_by(f64::total_cmp);
    let med = d[d.len() / 2];
    let mut dev: Vec<f64> = d.iter().map(|x| (x - med).abs()).collect();
    dev.sort_unstable_by(f64::total_cmp);
    dev[dev.len() / 2] * 1.4826 / std::f64::consts::SQRT_2
}

/// A variance update with the error clipped at [`CLIP`] σ.
fn clipped_sq(err: f64, var: f64) -> f64 {
    let cap = CLIP * CLIP * var;
    (err * err).min(if cap > 0.0 { cap } else { f64::INFINITY })
}

fn verdict(x: f64, center: f64, scale: f64) -> Verdict {
    Verdict {
        center,
        scale,
        score: (x - center).abs() / scale,
    }
}

/// The three detectors after a shared warm-up.
#[derive(Clone, Debug)]
pub struct Bank {
    warm: Vec<f64>,
    warm_len: usize,
    floor: f64,
    // static
    mu0: f64,
    sd0: f64,
    // EWMA
    ewma_alpha: f64,
    mu: f64,
    var: f64,
    // Holt-Winters
    hw: (f64, f64, f64),
    level: f64,
    trend: f64,
    season: Vec<f64>,
    hw_var: f64,
    t: usize,
}

impl Bank {
    /// A bank that learns from the first `warmup()` samples it sees.
    pub fn new(p: &Params) -> Bank {
        let p = p.sanitised();
        Bank {
            warm: Vec::new(),
            warm_len: p.warmup() as usize,
            floor: 0.0,
            mu0: 0.0,
            sd0: 0.0,
            ewma_alpha: p.ewma_alpha,
            mu: 0.0,
            var: 0.0,
            hw: (p.hw_alpha, p.hw_beta, p.hw_gamma),
            level: 0.0,
            trend: 0.0,
            season: vec![0.0; (p.warmup() / 2).max(1) as usize],
            hw_var: 0.0,
            t: 0,
        }
    }

    /// `true` while learning.
    pub fn warming(&self) -> bool {
        self.t < self.warm_len
    }

    /// Feed one sample: `None` during warm-up, else the three verdicts (static, EWMA, HW).
    pub fn observe(&mut self, x: f64) -> Option<[Verdict; 3]> {
        if self.warming() {
            self.warm.push(x);
            self.t += 1;
            if !self.warming() {
                self.learn();
            }
            return None;
        }
        let f = self.floor;
        // static
        let st = verdict(x, self.mu0, self.sd0.max(f));
        // EWMA: score against the state before x, then update
        let a = self.ewma_alpha;
        let sd = self.var.sqrt().max(f);
        let ew = verdict(x, self.mu, sd);
        let e = x - self.mu;
        self.var = (1.0 - a) * self.var + a * clipped_sq(e, self.var.max(f * f));
        self.mu += a * e;
        // Holt-Winters
        let m = self.season.len();
        let j = self.t % m;
        let fc = self.level + self.trend + self.season[j];
        let hw = verdict(x, fc, self.hw_var.sqrt().max(f));
        let r = x - fc;
        let (al, be, ga) = self.hw;
        let level = al * (x - self.season[j]) + (1.0 - al) * (self.level + self.trend);
        self.trend = be * (level - self.level) + (1.0 - be) * self.trend;
        self.level = level;
        self.season[j] = ga * (x - level) + (1.0 - ga) * self.season[j];
        // the residual variance has its own slow memory (≈ one day at 5-minute samples)
        let av = 0.01;
        self.hw_var = (1.0 - av) * self.hw_var + av * clipped_sq(r, self.hw_var.max(f * f));
        self.t += 1;
        Some([st, ew, hw])
    }

    /// End of warm-up: fit all three from the warm-up samples.
    fn learn(&mut self) {
        let w = std::mem::take(&mut self.warm);
        let n = w.len() as f64;
        let noise = noise_estimate(&w);
        let mean = w.iter().sum::<f64>() / n;
        self.floor = (0.1 * noise).max(1e-9 * (mean.abs() + 1.0));
        self.mu0 = mean;
        self.sd0 = (w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
        // EWMA: run through the warm-up from the first sample, variance started at the noise
        self.mu = w[0];
        self.var = (noise * noise).max(self.floor * self.floor);
        let a = self.ewma_alpha;
        for &x in &w[1..] {
            let e = x - self.mu;
            self.var =
                (1.0 - a) * self.var + a * clipped_sq(e, self.var.max(self.floor * self.floor));
            self.mu += a * e;
        }
        // Holt-Winters: two seasons → trend from their means, seasonal indices from both
        // (smoothed over 5 neighbouring slots), level at the end of the second season
        let m = self.season.len();
        let m1 = w[..m].iter().sum::<f64>() / m as f64;
        let m2 = w[m..2 * m].iter().sum::<f64>() / m as f64;
        let b = (m2 - m1) / m as f64;
        let mid = (m as f64 - 1.0) / 2.0;
        let raw: Vec<f64> = (0..m)
            .map(|j| {
                let d = j as f64 - mid;
                ((w[j] - (m1 + b * d)) + (w[m + j] - (m2 + b * d))) / 2.0
            })
            .collect();
        let half = 2.min((m as i64 - 1) / 2);
        for j in 0..m {
            let mut s = 0.0;
            for o in -half..=half {
                s += raw[(j as i64 + o).rem_euclid(m as i64) as usize];
            }
            self.season[j] = s / (2 * half + 1) as f64;
        }
        let centre = self.season.iter().sum::<f64>() / m as f64;
        for s in &mut self.season {
            *s -= centre;
        }
        self.trend = b;
        self.level = m2 + b * mid;
        self.hw_var = (noise * noise).max(self.floor * self.floor);
    }

    /// The static bound (μ₀, σ₀) once learnt.
    pub fn static_bound(&self) -> Option<(f64, f64)> {
        (!self.warming()).then_some((self.mu0, self.sd0.max(self.floor)))
    }
}

/// Every detector's score for every sample (`NaN` during warm-up): `[static, ewma, hw]`.
pub fn scores(p: &Params, xs: &[f64]) -> [Vec<f64>; 3] {
    let mut bank = Bank::new(p);
    let mut out: [Vec<f64>; 3] = Default::default();
    for v in &mut out {
        v.reserve(xs.len());
    }
    for &x in xs {
        match bank.observe(x) {
            Some(vs) => {
                for (o, v) in out.iter_mut().zip(vs) {
                    o.push(v.score);
                }
            }
            None => {
                for o in &mut out {
                    o.push(f64::NAN);
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------

/// How one detector did at one sensitivity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Samples that alarmed.
    pub alarms: u32,
    /// Alerts (alarms merged across gaps < 30 min).
    pub alerts: u32,
    /// Alerts overlapping a truth window.
    pub true_alerts: u32,
    /// Alerts outside every window and its grace hour.
    pub false_alerts: u32,
    /// True alerts / (true + false alerts); `None` with no alerts.
    pub precision: Option<f64>,
    /// Windows with at least one alarm / windows (1 when there are none).
    pub recall: f64,
    /// Per anomaly: minutes from its start to the first alarm inside it, `None` if missed.
    pub delays_min: Vec<Option<f64>>,
    /// Mean delay over detected anomalies, minutes.
    pub mean_delay_min: Option<f64>,
    /// False alerts per scored day.
    pub false_per_day: f64,
}

/// Judge `alarm(i)` against the truth windows over scored samples `from..n`.
pub fn judge(alarm: &[bool], from: u32, truth: &[Anomaly]) -> Outcome {
    let n = alarm.len() as u32;
    let in_window = |i: u32| truth.iter().any(|a| i >= a.start && i < a.end);
    let in_grace = |i: u32| truth.iter().any(|a| i >= a.end && i < a.end + GRACE);
    let mut alarms = 0;
    let (mut alerts, mut tp, mut fp) = (0u32, 0u32, 0u32);
    // the current alert: (last alarm index, touched a window, touched only grace/none)
    let mut cur: Option<(u32, bool)> = None;
    let close =
        |c: Option<(u32, bool)>, alerts: &mut u32, tp: &mut u32, fp: &mut u32, grace_only: bool| {
            if let Some((_, hit)) = c {
                *alerts += 1;
                if hit {
                    *tp += 1;
                } else if !grace_only {
                    *fp += 1;
                }
            }
        };
    let mut grace_only = true;
    for i in from..n {
        if !alarm[i as usize] {
            continue;
        }
        alarms += 1;
        let hit = in_window(i);
        let outside = !hit && !in_grace(i);
        match cur {
            Some((last, h)) if i - last < MERGE_GAP => {
                cur = Some((i, h || hit));
                grace_only &= !outside;
            }
            c => {
                close(c, &mut alerts, &mut tp, &mut fp, grace_only);
                cur = Some((i, hit));
                grace_only = !outside;
            }
        }
    }
    close(cur, &mut alerts, &mut tp, &mut fp, grace_only);
    // alerts only in a grace hour count as neither
    let judged = tp + fp;
    let delays_min: Vec<Option<f64>> = truth
        .iter()
        .map(|a| {
            (a.start..a.end.min(n))
                .find(|&i| alarm[i as usize])
                .map(|i| f64::from((i - a.start) * STEP_MIN))
        })
        .collect();
    let found: Vec<f64> = delays_min.iter().flatten().copied().collect();
    let days = f64::from(n.saturating_sub(from)) / f64::from(PER_DAY);
    Outcome {
        alarms,
        alerts,
        true_alerts: tp,
        false_alerts: fp,
        precision: (judged > 0).then(|| f64::from(tp) / f64::from(judged)),
        recall: if truth.is_empty() {
            1.0
        } else {
            found.len() as f64 / truth.len() as f64
        },
        mean_delay_min: (!found.is_empty()).then(|| found.iter().sum::<f64>() / found.len() as f64),
        delays_min,
        false_per_day: if days > 0.0 {
            f64::from(fp) / days
        } else {
            0.0
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// One detector at the chosen k, with the loop's costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectorReport {
    /// `static`, `ewma` or `hw`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Detection figures.
    pub outcome: Outcome,
    /// Incidents the loop mitigated (detected).
    pub mitigated: u32,
    /// Minutes of anomaly the service suffered: detected ones until delay + mitigation, missed
    /// ones in full.
    pub downtime_min: f64,
    /// Minutes lost to false alerts.
    pub toil_min: f64,
    /// Alarm samples per timeline bucket, for drawing.
    pub timeline: Vec<u16>,
}

/// One point of the sensitivity sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Sensitivity.
    pub k: f64,
    /// Per detector (static, EWMA, HW): precision.
    pub precision: [Option<f64>; 3],
    /// Per detector: recall.
    pub recall: [f64; 3],
    /// Per detector: mean delay over detected anomalies, minutes.
    pub delay_min: [Option<f64>; 3],
    /// Per detector: false alerts per day.
    pub false_per_day: [f64; 3],
    /// Per detector: alarm samples.
    pub alarms: [u32; 3],
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Samples in the stream.
    pub samples: u32,
    /// First scored sample (end of warm-up).
    pub warmup: u32,
    /// Samples per timeline bucket.
    pub bucket: u32,
    /// Per bucket: (min, max) of the stream.
    pub stream_minmax: Vec<(f64, f64)>,
    /// Per bucket: the expected value (no noise, no anomaly) at the bucket's middle.
    pub expected: Vec<f64>,
    /// Ground truth.
    pub anomalies: Vec<Anomaly>,
    /// Static threshold bounds (lower, upper) at the chosen k.
    pub static_bounds: (f64, f64),
    /// Per detector, at the chosen k.
    pub detectors: Vec<DetectorReport>,
    /// Precision, recall, delay and false alerts against k.
    pub sweep: Vec<SweepPoint>,
    /// Per-sample false-alarm rate of a z-score on pure Gaussian noise: 2·(1 − Φ(k)).
    pub gauss_false_rate: f64,
    /// The same, as false alarm samples per day.
    pub gauss_false_per_day: f64,
    /// Anomaly size in metric units.
    pub anomaly_size: f64,
    /// Minutes to mitigate a detected incident with the chosen action.
    pub mitigation_min: f64,
    /// Toil minutes per false alert with the chosen action.
    pub false_alert_cost_min: f64,
    /// Plain-language findings.
    pub notes: Vec<String>,
}

/// Upper tail of the standard normal, 1 − Φ(x).
pub fn normal_tail(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Rounded to hundredths (drawing data only: keeps the report small).
fn round2(x: f64) -> f64 {
    libm::round(x * 100.0) / 100.0
}

fn outcome_at(score: &[f64], k: f64, from: u32, truth: &[Anomaly]) -> (Outcome, Vec<bool>) {
    let alarm: Vec<bool> = score.iter().map(|&s| s > k).collect();
    (judge(&alarm, from, truth), alarm)
}

impl Model for AnomalyDetection {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let anomalies = place_anomalies(&p, seed);
        let xs = stream(&p, seed, &anomalies);
        let n = xs.len() as u32;
        let warm = p.warmup().min(n);
        let sc = scores(&p, &xs);
        let (mitigation, toil) = p.action_costs();
        let bucket = n.div_ceil(BUCKETS).max(1);
        let nb = n.div_ceil(bucket);
        let stream_minmax: Vec<(f64, f64)> = xs
            .chunks(bucket as usize)
            .map(|c| {
                let (lo, hi) = c
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                        (a.min(x), b.max(x))
                    });
                (round2(lo), round2(hi))
            })
            .collect();
        let expected_b: Vec<f64> = (0..nb)
            .map(|b| round2(expected(&p, (b * bucket + bucket / 2).min(n - 1))))
            .collect();
        let mut detectors = Vec::with_capacity(3);
        for (d, (key, name)) in DETECTORS.iter().enumerate() {
            let (o, alarm) = outcome_at(&sc[d], p.k, warm, &anomalies);
            let mut downtime = 0.0;
            let mut mitigated = 0;
            for (a, delay) in anomalies.iter().zip(&o.delays_min) {
                let len = f64::from((a.end - a.start) * STEP_MIN);
                match delay {
                    Some(dl) => {
                        mitigated += 1;
                        downtime += (dl + mitigation).min(len);
                    }
                    None => downtime += len,
                }
            }
            let timeline = alarm
                .chunks(bucket as usize)
                .map(|c| c.iter().filter(|&&a| a).count() as u16)
                .collect();
            detectors.push(DetectorReport {
                key: key.to_string(),
                name: name.to_string(),
                toil_min: f64::from(o.false_alerts) * toil,
                outcome: o,
                mitigated,
                downtime_min: downtime,
                timeline,
            });
        }
        let sweep = (0..SWEEP_K.2)
            .map(|i| {
                let k = SWEEP_K.0 + SWEEP_K.1 * f64::from(i);
                let os: Vec<Outcome> = (0..3)
                    .map(|d| outcome_at(&sc[d], k, warm, &anomalies).0)
                    .collect();
                SweepPoint {
                    k,
                    precision: [os[0].precision, os[1].precision, os[2].precision],
                    recall: [os[0].recall, os[1].recall, os[2].recall],
                    delay_min: [
                        os[0].mean_delay_min,
                        os[1].mean_delay_min,
                        os[2].mean_delay_min,
                    ],
                    false_per_day: [
                        os[0].false_per_day,
                        os[1].false_per_day,
                        os[2].false_per_day,
                    ],
                    alarms: [os[0].alarms, os[1].alarms, os[2].alarms],
                }
            })
            .collect();
        let bank_bounds = {
            let mut b = Bank::new(&p);
            for &x in &xs[..warm as usize] {
                b.observe(x);
            }
            b.static_bound().unwrap_or((BASE, 1.0))
        };
        let gauss_false_rate = 2.0 * normal_tail(p.k);
        let mut r = Report {
            samples: n,
            warmup: warm,
            bucket,
            stream_minmax,
            expected: expected_b,
            anomalies,
            static_bounds: (
                bank_bounds.0 - p.k * bank_bounds.1,
                bank_bounds.0 + p.k * bank_bounds.1,
            ),
            detectors,
            sweep,
            gauss_false_rate,
            gauss_false_per_day: gauss_false_rate * f64::from(PER_DAY),
            anomaly_size: p.anomaly_size(),
            mitigation_min: mitigation,
            false_alert_cost_min: toil,
            notes: Vec::new(),
        };
        r.notes = notes(&p, &r);
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let mut v = Vec::new();
        let names = [
            (
                "static_recall",
                "static_false_per_day",
                "static_downtime_min",
            ),
            ("ewma_recall", "ewma_false_per_day", "ewma_downtime_min"),
            ("hw_recall", "hw_false_per_day", "hw_downtime_min"),
        ];
        for (d, n) in r.detectors.iter().zip(names) {
            v.push((n.0, d.outcome.recall));
            v.push((n.1, d.outcome.false_per_day));
            v.push((n.2, d.downtime_min));
        }
        v
    }
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let d = &r.detectors;
    if r.anomalies.is_empty() {
        out.push("No anomalies injected: every alert is a false alarm.".into());
    }
    let sd0 = (r.static_bounds.1 - r.static_bounds.0) / (2.0 * p.k);
    if p.daily_amplitude > 2.0 * p.noise_sd && d.len() == 3 {
        out.push(format!(
            "The static bound is learnt from a warm-up whose spread (σ₀ ≈ {:.1}) is mostly the daily swing, not the noise (σ = {:.1}): it is {:.1}× wider than the noise, so an anomaly of {:.1} σ at a trough stays inside it.",
            sd0,
            p.noise_sd,
            if p.noise_sd > 0.0 { sd0 / p.noise_sd } else { f64::INFINITY },
            p.magnitude
        ));
    }
    for (a, i) in r.anomalies.iter().zip(0..) {
        let missed: Vec<&str> = d
            .iter()
            .filter(|x| x.outcome.delays_min.get(i).is_some_and(|v| v.is_none()))
            .map(|x| x.name.as_str())
            .collect();
        if !missed.is_empty() && missed.len() < d.len() {
            out.push(format!(
                "The {} on day {:.1} was missed by {}.",
                a.kind.name(),
                f64::from(a.start) / f64::from(PER_DAY),
                missed.join(" and ")
            ));
        } else if missed.len() == d.len() {
            out.push(format!(
                "The {} on day {:.1} was missed by every detector.",
                a.kind.name(),
                f64::from(a.start) / f64::from(PER_DAY)
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Live
// ---------------------------------------------------------------------------------------------

/// One drawn sample of the live stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LivePoint {
    /// Sample index.
    pub i: u32,
    /// The value.
    pub x: f64,
    /// Each detector's band (lower, upper) at the chosen k; `None` during warm-up.
    pub bands: [Option<(f64, f64)>; 3],
    /// Which detectors alarmed (bit d for detector d).
    pub alarms: u8,
    /// Inside an anomaly (seeded or injected).
    pub truth: bool,
}

/// What the live view draws.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveSnapshot {
    /// Samples observed.
    pub observed: u32,
    /// Samples in the run.
    pub samples: u32,
    /// Still learning.
    pub warming: bool,
    /// The last day of samples (oldest first).
    pub window: Vec<LivePoint>,
    /// Per detector: alarm samples so far.
    pub alarms: [u32; 3],
    /// Per detector: alerts (actions taken) so far.
    pub actions: [u32; 3],
    /// Per detector: is it alarming on the newest sample.
    pub alarming: [bool; 3],
    /// Is an anomaly active on the newest sample.
    pub anomaly_now: bool,
    /// Anomalies injected live.
    pub injected: u32,
}

/// The stream played sample by sample through the detectors, with anomalies injectable while
/// it plays. Sample `i` happens at `i · 300` simulated seconds.
#[derive(Clone, Debug)]
pub struct LiveStream {
    p: Params,
    noise: Vec<f64>,
    anomalies: Vec<Anomaly>,
    injected: u32,
    bank: Bank,
    next: u32,
    window: std::collections::VecDeque<LivePoint>,
    alarms: [u32; 3],
    actions: [u32; 3],
    last_alarm: [Option<u32>; 3],
}

impl LiveStream {
    /// The same run as [`AnomalyDetection::run`] with these params and seed.
    pub fn new(p: &Params, seed: u64) -> LiveStream {
        let p = p.sanitised();
        let anomalies = place_anomalies(&p, seed);
        let mut rng = Rng::derive(seed, "noise");
        let noise = (0..p.samples())
            .map(|_| p.noise_sd * gauss(&mut rng))
            .collect();
        LiveStream {
            bank: Bank::new(&p),
            p,
            noise,
            anomalies,
            injected: 0,
            next: 0,
            window: std::collections::VecDeque::with_capacity(PER_DAY as usize + 1),
            alarms: [0; 3],
            actions: [0; 3],
            last_alarm: [None; 3],
        }
    }

    /// Inject an anomaly of `kind` starting at the next sample (shifts and drifts last the
    /// incident length, a spike two samples).
    pub fn inject(&mut self, kind: Kind) {
        let len = match kind {
            Kind::Spike => 2,
            _ => self.p.incident_min / STEP_MIN,
        };
        self.anomalies.push(Anomaly {
            kind,
            start: self.next,
            end: self.next + len,
            size: self.p.anomaly_size(),
        });
        self.injected += 1;
    }

    /// A small snapshot for drawing.
    pub fn snapshot(&self) -> LiveSnapshot {
        let last = self.window.back();
        LiveSnapshot {
            observed: self.next,
            samples: self.noise.len() as u32,
            warming: self.bank.warming(),
            window: self.window.iter().copied().collect(),
            alarms: self.alarms,
            actions: self.actions,
            alarming: [0, 1, 2].map(|d| last.is_some_and(|l| l.alarms & (1 << d) != 0)),
            anomaly_now: last.is_some_and(|l| l.truth),
            injected: self.injected,
        }
    }
}

impl Simulation for LiveStream {
    fn now(&self) -> f64 {
        f64::from(self.next.saturating_sub(1) * STEP_MIN * 60)
    }

    fn step(&mut self) -> bool {
        let i = self.next;
        let Some(noise) = self.noise.get(i as usize) else {
            return false;
        };
        let effect: f64 = self.anomalies.iter().map(|a| a.effect(i)).sum();
        let truth = self.anomalies.iter().any(|a| i >= a.start && i < a.end);
        let x = expected(&self.p, i) + noise + effect;
        let k = self.p.k;
        let mut pt = LivePoint {
            i,
            x,
            bands: [None; 3],
            alarms: 0,
            truth,
        };
        if let Some(vs) = self.bank.observe(x) {
            for (d, v) in vs.iter().enumerate() {
                pt.bands[d] = Some((v.center - k * v.scale, v.center + k * v.scale));
                if v.score > k {
                    pt.alarms |= 1 << d;
                    self.alarms[d] += 1;
                    if self.last_alarm[d].is_none_or(|l| i - l >= MERGE_GAP) {
                        self.actions[d] += 1;
                    }
                    self.last_alarm[d] = Some(i);
                }
            }
        }
        if self.window.len() == PER_DAY as usize {
            self.window.pop_front();
        }
        self.window.push_back(pt);
        self.next += 1;
        (self.next as usize) < self.noise.len()
    }

    fn next_event_time(&self) -> Option<f64> {
        ((self.next as usize) < self.noise.len()).then(|| f64::from(self.next * STEP_MIN * 60))
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

    fn quiet(p: &mut Params) {
        p.spikes = 0;
        p.shifts = 0;
        p.drifts = 0;
    }

    #[test]
    fn default_is_deterministic_and_small() {
        let p = Params::default();
        let a = AnomalyDetection::run(&p, 3);
        let b = AnomalyDetection::run(&p, 3);
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.len() < 20_000, "report is {} bytes", json.len());
        assert_eq!(a.anomalies.len(), 4);
        assert!(a
            .anomalies
            .iter()
            .all(|x| x.start >= a.warmup && x.end <= a.samples));
    }

    #[test]
    fn anomalies_do_not_overlap() {
        for seed in 0..50 {
            let p = Params {
                spikes: 10,
                shifts: 5,
                drifts: 5,
                days: 3,
                ..Params::default()
            };
            let an = place_anomalies(&p, seed);
            for w in an.windows(2) {
                assert!(w[0].end + GRACE <= w[1].start, "{w:?}");
            }
            assert!(an.last().unwrap().end + GRACE <= p.samples());
        }
    }

    #[test]
    fn validation_clamps_and_raises_days() {
        let pairs = vec![
            ("k".to_string(), "99".to_string()),
            ("hw_season_h".to_string(), "48".to_string()),
            ("days".to_string(), "3".to_string()),
            ("action".to_string(), "reboot".to_string()),
        ];
        let (p, notices): (Params, _) = from_pairs(&pairs, &[]);
        assert_eq!(p.k, 8.0);
        assert_eq!(p.days, 5);
        assert!(notices.iter().any(|n| n.key == "days"));
        let r = AnomalyDetection::run(&p, 1);
        assert!(r.samples > r.warmup);
    }

    #[test]
    fn judge_counts_alerts_windows_and_grace() {
        let truth = vec![Anomaly {
            kind: Kind::Shift,
            start: 100,
            end: 110,
            size: 1.0,
        }];
        let mut alarm = vec![false; 300];
        alarm[50] = true; // false
        alarm[52] = true; // same alert as 50
        alarm[105] = true; // true, delay 5 samples
        alarm[115] = true; // grace only: ignored
        alarm[200] = true; // false
        let o = judge(&alarm, 0, &truth);
        assert_eq!(o.alarms, 5);
        assert_eq!(o.alerts, 4);
        assert_eq!(o.true_alerts, 1);
        assert_eq!(o.false_alerts, 2);
        assert_eq!(o.precision, Some(1.0 / 3.0));
        assert_eq!(o.recall, 1.0);
        assert_eq!(o.delays_min, vec![Some(25.0)]);
    }

    /// Reference: on pure Gaussian noise a z-score with a well-estimated σ alarms at
    /// 2·(1 − Φ(k)) per sample. Small α (≈ 400 samples of memory) so that σ is estimated
    /// precisely; the count must sit within 4 binomial standard deviations.
    #[test]
    fn ewma_false_alarm_rate_matches_gaussian_tail() {
        let mut p = Params {
            days: 28,
            daily_amplitude: 0.0,
            trend_per_day: 0.0,
            ewma_alpha: 0.005,
            ..Params::default()
        };
        quiet(&mut p);
        let k = 3.0;
        let (mut alarms, mut n) = (0u64, 0u64);
        for seed in 0..6 {
            let xs = stream(&p, seed, &[]);
            let sc = scores(&p, &xs);
            for s in sc[1].iter().filter(|s| !s.is_nan()) {
                n += 1;
                alarms += u64::from(*s > k);
            }
        }
        let q = 2.0 * normal_tail(k);
        let expect = q * n as f64;
        let sd = (n as f64 * q * (1.0 - q)).sqrt();
        assert!(
            (alarms as f64 - expect).abs() < 4.0 * sd,
            "alarms {alarms}, expected {expect:.1} ± {sd:.1} of {n}"
        );
    }

    /// Reference: the static bound fails on a seasonal metric where Holt-Winters does not. A
    /// spike of 5 σ at the daily trough stays inside the static bound, HW catches it; and a
    /// static bound tight enough to catch it pages at every daily peak.
    #[test]
    fn static_threshold_fails_on_seasonality_where_hw_catches() {
        let mut p = Params::default();
        quiet(&mut p);
        let n = p.samples();
        // trough at 04:00 of day 4
        let start = 3 * PER_DAY + 4 * PER_HOUR;
        let spike = Anomaly {
            kind: Kind::Spike,
            start,
            end: start + 2,
            size: p.anomaly_size(),
        };
        let mut caught = [0; 3];
        let mut static_peak_false = 0.0;
        let seeds: u32 = 20;
        for seed in 0..u64::from(seeds) {
            let xs = stream(&p, seed, std::slice::from_ref(&spike));
            let sc = scores(&p, &xs);
            for d in 0..3 {
                let o = judge(
                    &sc[d].iter().map(|&s| s > p.k).collect::<Vec<_>>(),
                    p.warmup(),
                    std::slice::from_ref(&spike),
                );
                caught[d] += u32::from(o.recall == 1.0);
            }
            // tighten the static threshold until it catches the trough spike: count its false alerts
            let need = sc[0][start as usize].max(sc[0][start as usize + 1]);
            let o = judge(
                &sc[0].iter().map(|&s| s > need * 0.99).collect::<Vec<_>>(),
                p.warmup(),
                std::slice::from_ref(&spike),
            );
            static_peak_false += o.false_per_day;
        }
        assert_eq!(caught[0], 0, "static caught a trough spike");
        assert!(
            caught[2] >= seeds - 1,
            "HW caught only {} of {seeds}",
            caught[2]
        );
        assert!(static_peak_false / f64::from(seeds) >= 0.9, "a static bound low enough for the trough spike should page at (nearly) every daily peak, got {} per day", static_peak_false / f64::from(seeds));
        let _ = n;
    }

    #[test]
    fn slow_drift_escapes_ewma() {
        let mut p = Params {
            magnitude: 6.0,
            incident_min: 720,
            ..Params::default()
        };
        quiet(&mut p);
        p.drifts = 1;
        let mut ewma_caught = 0;
        let mut hw_caught = 0;
        for seed in 0..10 {
            let r = AnomalyDetection::run(&p, seed);
            ewma_caught += u32::from(r.detectors[1].outcome.recall > 0.0);
            hw_caught += u32::from(r.detectors[2].outcome.recall > 0.0);
        }
        assert!(
            hw_caught > ewma_caught,
            "hw {hw_caught}, ewma {ewma_caught}"
        );
    }

    #[test]
    fn live_stream_matches_batch() {
        let p = Params::default();
        let seed = 5;
        let r = AnomalyDetection::run(&p, seed);
        let mut live = LiveStream::new(&p, seed);
        live.advance_to(1e12);
        let s = live.snapshot();
        assert_eq!(s.observed, r.samples);
        for d in 0..3 {
            assert_eq!(s.alarms[d], r.detectors[d].outcome.alarms);
        }
        assert_eq!(s.window.len(), PER_DAY as usize);
    }

    #[test]
    fn live_injection_is_seen() {
        let p = Params {
            magnitude: 10.0,
            ..Params::default()
        };
        let mut live = LiveStream::new(&p, 2);
        live.advance_to(f64::from(p.warmup() * 300 + 3000));
        let before = live.snapshot().alarms[2];
        live.inject(Kind::Spike);
        live.step();
        let s = live.snapshot();
        assert!(s.anomaly_now && s.injected == 1);
        assert!(s.alarms[2] > before, "HW missed a 10σ injected spike");
    }

    #[test]
    fn max_params_stay_bounded() {
        let p = Params {
            days: 28,
            spikes: 10,
            shifts: 5,
            drifts: 5,
            ..Params::default()
        };
        let r = AnomalyDetection::run(&p, 1);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.len() < 25_000, "report is {} bytes", json.len());
    }

    fn any_params() -> impl Strategy<Value = Params> {
        (
            3u32..10,
            0.0f64..40.0,
            0.0f64..200.0,
            -20.0f64..20.0,
            (0u32..4, 0u32..3, 0u32..3),
            (1.0f64..8.0, 0.005f64..0.5),
            (0.01f64..1.0, 0.0f64..0.5, 0.0f64..1.0, 1u32..30),
            0.5f64..30.0,
        )
            .prop_map(
                |(days, noise_sd, amp, trend, (sp, sh, dr), (k, ea), (ha, hb, hg, hs), mag)| {
                    let mut p = Params {
                        days,
                        noise_sd,
                        daily_amplitude: amp,
                        trend_per_day: trend,
                        spikes: sp,
                        shifts: sh,
                        drifts: dr,
                        magnitude: mag,
                        k,
                        ewma_alpha: ea,
                        hw_alpha: ha,
                        hw_beta: hb,
                        hw_gamma: hg,
                        hw_season_h: hs,
                        ..Params::default()
                    };
                    p.check(&mut Vec::new());
                    p
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Precision and recall are probabilities, delays are within their windows.
        #[test]
        fn rates_are_probabilities(p in any_params(), seed in 0u64..1000) {
            let r = AnomalyDetection::run(&p, seed);
            for d in &r.detectors {
                let o = &d.outcome;
                prop_assert!((0.0..=1.0).contains(&o.recall));
                if let Some(pr) = o.precision { prop_assert!((0.0..=1.0).contains(&pr)); }
                prop_assert!(o.true_alerts + o.false_alerts <= o.alerts);
                for (a, dl) in r.anomalies.iter().zip(&o.delays_min) {
                    if let Some(dl) = dl { prop_assert!(*dl >= 0.0 && *dl < f64::from((a.end - a.start) * STEP_MIN)); }
                }
                prop_assert!(d.downtime_min >= 0.0 && d.toil_min >= 0.0);
            }
            for s in &r.sweep {
                for d in 0..3 {
                    prop_assert!((0.0..=1.0).contains(&s.recall[d]));
                    if let Some(pr) = s.precision[d] { prop_assert!((0.0..=1.0).contains(&pr)); }
                }
            }
        }

        /// Raising k never raises the number of alarms, for every detector.
        #[test]
        fn alarms_fall_with_k(p in any_params(), seed in 0u64..1000) {
            let r = AnomalyDetection::run(&p, seed);
            for w in r.sweep.windows(2) {
                for d in 0..3 {
                    prop_assert!(w[1].alarms[d] <= w[0].alarms[d]);
                    prop_assert!(w[1].recall[d] <= w[0].recall[d]);
                }
            }
        }

        /// On a pure seasonal signal with trend, no noise and no anomaly, EWMA and Holt-Winters
        /// raise no alarm after the warm-up (k ≥ 3).
        #[test]
        fn pure_seasonal_signal_raises_no_alarm(
            amp in 0.0f64..300.0, trend in -50.0f64..50.0, k in 3.0f64..8.0,
            ea in 0.005f64..0.2, ha in 0.01f64..1.0, hb in 0.0f64..0.3, hg in 0.0f64..1.0, days in 3u32..8,
        ) {
            let mut p = Params { days, noise_sd: 0.0, daily_amplitude: amp, trend_per_day: trend, k, ewma_alpha: ea, hw_alpha: ha, hw_beta: hb, hw_gamma: hg, ..Params::default() };
            quiet(&mut p);
            let xs = stream(&p, 1, &[]);
            let sc = scores(&p, &xs);
            for (d, sd) in sc.iter().enumerate().skip(1) {
                let worst = sd.iter().filter(|s| !s.is_nan()).fold(0.0f64, |a, &b| a.max(b));
                prop_assert!(worst <= k, "detector {} scored {} > k = {}", d, worst, k);
            }
        }
    }
}
