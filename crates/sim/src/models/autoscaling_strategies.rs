//! # Autoscaling strategies compared (book page 23): one day of traffic, three autoscalers
//!
//! The book's table rates four strategies — reactive, predictive, scheduled, ML-based — on
//! response time, stability and cost, without a number in sight. This model measures three of
//! them on the same seeded day, minute by minute, and reports what each one cost and how many
//! requests it made late.
//!
//! **Traffic.** The expected demand is a diurnal curve: a raised cosine with its trough at
//! 02:00 (`trough_pct` of the peak) and its peak at 14:00 (`peak_rate`). The day's actual demand
//! multiplies it by `1 + ε(t)`, where `ε` is AR(1) noise (lag-one correlation 0.9, standard
//! deviation `noise_pct`), and by `1 + spike_pct` during an unannounced flash crowd of
//! `spike_min` minutes starting at `spike_hour`.
//!
//! **Fleet.** An instance serves `capacity` requests per second once it is ready, and becomes
//! ready `startup_min` minutes after it is launched (it is billed from launch). Every fleet
//! keeps between `min_instances` and `max_instances` instances, launched or ready.
//!
//! **Latency.** Each instance is one server with service time `1/capacity`; the fleet is an
//! M/M/c queue ([`Mmc`](crate::models::autoscaling_calculator::Mmc), reused from the autoscaling calculator) for the minute. A minute in
//! which demand reaches ready capacity is *short*: every arrival in it counts as over the latency
//! SLO and the excess carries over as a backlog. While a backlog drains, arrivals that would wait
//! behind it for longer than the SLO are late too; otherwise the share `P(T > SLO)` of the
//! M/M/c response time is late. Requests late because of a short minute or a backlog are the
//! under-provisioning part (`late_short`).
//!
//! **Strategies.** All size a fleet as `⌈rate / (capacity · target_util)⌉`:
//! - *reactive* (threshold): each minute it looks at the last minute's utilisation (demand over
//!   ready capacity); above `scale_out_pct` it launches up to the size the last minute's demand
//!   needs, below `scale_in_pct` it removes down to it; after any action it waits `cooldown_min`;
//! - *scheduled*: an hourly plan, sized for the highest expected demand of each hour, launched
//!   `startup_min` ahead so each hour's fleet is ready on time;
//! - *predictive*: sizes the fleet `startup_min` minutes ahead from a forecast, plus
//!   `headroom_pct`. The forecast is Holt's linear (double exponential) smoothing of the
//!   observed per-minute demand (α = 0.5, β = 0.3, C. C. Holt 1957), or *yesterday*: the same
//!   minute of a previous day (the same curve with its own noise and no spike), or an *oracle*
//!   that knows the day's actual demand — the upper bound any forecaster, ML included, can reach.
//!
//! Forward-looking strategies remove instances only down to what both the present minute and
//! the minute `startup_min` ahead need; removal takes instances still starting first.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::autoscaling_strategies::{AutoscalingStrategies, Params};
//! let r = AutoscalingStrategies::run(&Params::default(), 1);
//! assert_eq!(r.fleets.len(), 3);
//! assert!(r.fleets.iter().all(|f| f.instance_hours > 0.0));
//! ```

use crate::model::{Model, Simulation};
use crate::models::autoscaling_calculator::MmcLadder;
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The autoscaling-strategies model: reactive, scheduled and predictive scaling over one day.
pub struct AutoscalingStrategies;

/// Minutes in the simulated day.
pub const DAY_MIN: u32 = 1440;
/// Hour of the expected peak (the trough is twelve hours earlier).
pub const PEAK_HOUR: f64 = 14.0;
/// Lag-one autocorrelation of the per-minute demand noise.
pub const NOISE_PHI: f64 = 0.9;
/// Holt's level smoothing constant α.
pub const HOLT_ALPHA: f64 = 0.5;
/// Holt's trend smoothing constant β.
pub const HOLT_BETA: f64 = 0.3;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// The knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Strategy drawn in the time chart and the live view: `reactive`, `scheduled`, `predictive`.
    pub strategy: String,
    /// Expected demand at the 14:00 peak, requests per second.
    pub peak_rate: f64,
    /// Expected demand at the 02:00 trough, as a percentage of the peak.
    pub trough_pct: f64,
    /// Standard deviation of the per-minute demand noise, percent of the expected demand.
    pub noise_pct: f64,
    /// Extra demand during the flash crowd, percent of the demand it lands on (0 = none).
    pub spike_pct: f64,
    /// Hour of day the flash crowd starts.
    pub spike_hour: f64,
    /// Length of the flash crowd, minutes.
    pub spike_min: u32,
    /// Requests per second one ready instance serves.
    pub capacity: f64,
    /// Latency SLO: a request whose response time exceeds it is late, milliseconds.
    pub slo_ms: f64,
    /// Minutes from launching an instance until it serves (billed from launch).
    pub startup_min: u32,
    /// Fewest instances any strategy keeps.
    pub min_instances: u32,
    /// Most instances any strategy may have.
    pub max_instances: u32,
    /// Utilisation every strategy sizes its fleet for, percent.
    pub target_util: f64,
    /// Reactive: scale out when the last minute's utilisation is above this, percent.
    pub scale_out_pct: f64,
    /// Reactive: scale in when the last minute's utilisation is below this, percent.
    pub scale_in_pct: f64,
    /// Reactive: minutes without any scaling action after one.
    pub cooldown_min: u32,
    /// Predictive: the forecast, `holt`, `yesterday` or `oracle`.
    pub forecast: String,
    /// Predictive: extra capacity on top of the forecast, percent.
    pub headroom_pct: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            strategy: "reactive".into(),
            peak_rate: 1000.0,
            trough_pct: 25.0,
            noise_pct: 5.0,
            spike_pct: 100.0,
            spike_hour: 10.0,
            spike_min: 30,
            capacity: 100.0,
            slo_ms: 50.0,
            startup_min: 5,
            min_instances: 2,
            max_instances: 60,
            target_util: 70.0,
            scale_out_pct: 80.0,
            scale_in_pct: 40.0,
            cooldown_min: 5,
            forecast: "holt".into(),
            headroom_pct: 10.0,
        }
    }
}

/// The strategies, in report order: `(key, label)`.
pub const STRATEGIES: &[(&str, &str)] = &[
    ("reactive", "Reactive (threshold)"),
    ("scheduled", "Scheduled (hourly plan)"),
    ("predictive", "Predictive (forecast)"),
];

const FORECASTS: &[(&str, &str)] = &[
    ("holt", "Holt linear trend"),
    ("yesterday", "Yesterday, same minute"),
    ("oracle", "Oracle (perfect)"),
];

static KNOBS: &[Knob] = &[
    Knob { key: "strategy", label: "Strategy shown", unit: "", help: "Which strategy the time chart and the live fleet draw; all three are always measured.", kind: KnobKind::Choice { options: STRATEGIES } },
    Knob { key: "peak_rate", label: "Peak demand", unit: "req/s", help: "Expected demand at the 14:00 peak of the daily curve.", kind: KnobKind::Float { min: 10.0, max: 100_000.0, step: 1.0, log: true } },
    Knob { key: "trough_pct", label: "Night trough", unit: "% of peak", help: "Expected demand at 02:00, the quietest moment, as a share of the peak.", kind: KnobKind::Float { min: 0.0, max: 100.0, step: 1.0, log: false } },
    Knob { key: "noise_pct", label: "Noise", unit: "%", help: "Minute-to-minute wobble around the expected curve (standard deviation, slowly varying).", kind: KnobKind::Float { min: 0.0, max: 50.0, step: 0.5, log: false } },
    Knob { key: "spike_pct", label: "Spike size", unit: "% extra", help: "How much extra demand the unannounced flash crowd adds to the demand it lands on; 0 for none.", kind: KnobKind::Float { min: 0.0, max: 500.0, step: 5.0, log: false } },
    Knob { key: "spike_hour", label: "Spike starts at", unit: "h", help: "Hour of day the flash crowd begins.", kind: KnobKind::Float { min: 0.0, max: 23.75, step: 0.25, log: false } },
    Knob { key: "spike_min", label: "Spike length", unit: "min", help: "How long the flash crowd lasts.", kind: KnobKind::Int { min: 1, max: 240, log: false } },
    Knob { key: "capacity", label: "Instance capacity", unit: "req/s", help: "Requests per second one ready instance serves (its service time is the inverse).", kind: KnobKind::Float { min: 1.0, max: 10_000.0, step: 1.0, log: true } },
    Knob { key: "slo_ms", label: "Latency SLO", unit: "ms", help: "A request answered later than this counts as late.", kind: KnobKind::Float { min: 1.0, max: 10_000.0, step: 1.0, log: true } },
    Knob { key: "startup_min", label: "Start-up delay", unit: "min", help: "Minutes from launching an instance to it serving traffic; it is paid for from launch.", kind: KnobKind::Int { min: 0, max: 60, log: false } },
    Knob { key: "min_instances", label: "Minimum instances", unit: "", help: "No strategy goes below this many instances.", kind: KnobKind::Int { min: 1, max: 1000, log: false } },
    Knob { key: "max_instances", label: "Maximum instances", unit: "", help: "No strategy goes above this many instances (launched or ready).", kind: KnobKind::Int { min: 1, max: 1000, log: true } },
    Knob { key: "target_util", label: "Target utilisation", unit: "%", help: "Every strategy sizes its fleet so that the demand it expects keeps instances this busy.", kind: KnobKind::Float { min: 10.0, max: 95.0, step: 1.0, log: false } },
    Knob { key: "scale_out_pct", label: "Reactive: scale out above", unit: "%", help: "The reactive scaler adds instances when the last minute's utilisation was above this.", kind: KnobKind::Float { min: 10.0, max: 100.0, step: 1.0, log: false } },
    Knob { key: "scale_in_pct", label: "Reactive: scale in below", unit: "%", help: "The reactive scaler removes instances when the last minute's utilisation was below this.", kind: KnobKind::Float { min: 0.0, max: 95.0, step: 1.0, log: false } },
    Knob { key: "cooldown_min", label: "Reactive: cooldown", unit: "min", help: "After any scaling action the reactive scaler waits this long before the next.", kind: KnobKind::Int { min: 0, max: 60, log: false } },
    Knob { key: "forecast", label: "Predictive: forecast", unit: "", help: "Holt: trend extrapolated from the last minutes; yesterday: the same minute a day earlier; oracle: the true future (the best any forecaster, ML included, could do).", kind: KnobKind::Choice { options: FORECASTS } },
    Knob { key: "headroom_pct", label: "Predictive: headroom", unit: "%", help: "Extra capacity the predictive scaler adds on top of its forecast.", kind: KnobKind::Float { min: 0.0, max: 100.0, step: 1.0, log: false } },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.min_instances > self.max_instances {
            notices.push(Notice::new(
                "min_instances",
                format!(
                    "Minimum instances lowered to the maximum, {}",
                    self.max_instances
                ),
            ));
            self.min_instances = self.max_instances;
        }
        if self.scale_in_pct >= self.scale_out_pct {
            let v = (self.scale_out_pct - 10.0).max(0.0);
            notices.push(Notice::new(
                "scale_in_pct",
                format!("Reactive scale-in threshold must be below scale-out; set to {v} %"),
            ));
            self.scale_in_pct = v;
        }
    }
}

impl Params {
    /// A copy forced into every knob's range (NaN → default), so that public functions never
    /// misbehave on params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let pick = |s: &str, opts: &[(&str, &str)], def: &str| {
            if opts.iter().any(|(k, _)| *k == s) {
                s.to_string()
            } else {
                def.to_string()
            }
        };
        let max_instances = self.max_instances.clamp(1, 1000);
        let scale_out_pct = f(self.scale_out_pct, 10.0, 100.0, d.scale_out_pct);
        let mut scale_in_pct = f(self.scale_in_pct, 0.0, 95.0, d.scale_in_pct);
        if scale_in_pct >= scale_out_pct {
            scale_in_pct = (scale_out_pct - 10.0).max(0.0);
        }
        Params {
            strategy: pick(&self.strategy, STRATEGIES, &d.strategy),
            peak_rate: f(self.peak_rate, 10.0, 100_000.0, d.peak_rate),
            trough_pct: f(self.trough_pct, 0.0, 100.0, d.trough_pct),
            noise_pct: f(self.noise_pct, 0.0, 50.0, d.noise_pct),
            spike_pct: f(self.spike_pct, 0.0, 500.0, d.spike_pct),
            spike_hour: f(self.spike_hour, 0.0, 23.75, d.spike_hour),
            spike_min: self.spike_min.clamp(1, 240),
            capacity: f(self.capacity, 1.0, 10_000.0, d.capacity),
            slo_ms: f(self.slo_ms, 1.0, 10_000.0, d.slo_ms),
            startup_min: self.startup_min.min(60),
            min_instances: self.min_instances.clamp(1, max_instances),
            max_instances,
            target_util: f(self.target_util, 10.0, 95.0, d.target_util),
            scale_out_pct,
            scale_in_pct,
            cooldown_min: self.cooldown_min.min(60),
            forecast: pick(&self.forecast, FORECASTS, &d.forecast),
            headroom_pct: f(self.headroom_pct, 0.0, 100.0, d.headroom_pct),
        }
    }

    /// Expected demand (req/s) at minute `m` of the day: the raised-cosine curve, no noise.
    pub fn expected_rate(&self, m: u32) -> f64 {
        let trough = self.trough_pct / 100.0;
        let h = f64::from(m) / 60.0;
        let shape = 0.5 * (1.0 + libm::cos(2.0 * core::f64::consts::PI * (h - PEAK_HOUR) / 24.0));
        self.peak_rate * (trough + (1.0 - trough) * shape)
    }

    /// First minute of the flash crowd and the minute after it ends (both within the day).
    pub fn spike_window(&self) -> (u32, u32) {
        let s = (libm::round(self.spike_hour * 60.0) as u32).min(DAY_MIN - 1);
        (s, (s + self.spike_min).min(DAY_MIN))
    }

    /// Instances needed to carry `rate` req/s at the target utilisation (not clamped).
    fn needed(&self, rate: f64) -> f64 {
        let x = rate / (self.capacity * self.target_util / 100.0);
        // shave float noise so that an exact integer does not round up to the next
        libm::ceil(x * (1.0 - 1e-12)).max(0.0)
    }

    /// `needed`, clamped to the fleet limits.
    fn clamp_count(&self, x: f64) -> u32 {
        x.clamp(f64::from(self.min_instances), f64::from(self.max_instances)) as u32
    }

    /// The scheduled strategy's plan: instances for each hour, sized for the hour's highest
    /// expected demand.
    pub fn schedule(&self) -> Vec<u32> {
        (0..24)
            .map(|h| {
                let top = (0..60)
                    .map(|k| self.expected_rate(h * 60 + k))
                    .fold(0.0f64, f64::max);
                self.clamp_count(self.needed(top))
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------

/// A standard normal draw (Box–Muller, one of the pair).
fn normal(rng: &mut Rng) -> f64 {
    let u1 = rng.uniform_open0();
    let u2 = rng.uniform();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
}

/// One day of demand (req/s per minute) from the expected curve, AR(1) noise from `rng`, and
/// the flash crowd when `spike` is set.
fn day_of_demand(p: &Params, rng: &mut Rng, spike: bool) -> Vec<f64> {
    let sigma = p.noise_pct / 100.0;
    let innov = libm::sqrt(1.0 - NOISE_PHI * NOISE_PHI);
    let (s0, s1) = p.spike_window();
    let mut eps = normal(rng);
    (0..DAY_MIN)
        .map(|m| {
            if m > 0 {
                eps = NOISE_PHI * eps + innov * normal(rng);
            }
            let mut x = p.expected_rate(m) * (1.0 + sigma * eps).max(0.0);
            if spike && m >= s0 && m < s1 {
                x *= 1.0 + p.spike_pct / 100.0;
            }
            x
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Fleets
// ---------------------------------------------------------------------------------------------

/// Which strategy a fleet follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Reactive,
    Scheduled,
    Predictive,
}

/// Holt's linear trend state.
#[derive(Clone, Copy, Debug)]
struct Holt {
    level: f64,
    trend: f64,
    seen: bool,
}

impl Holt {
    fn observe(&mut self, x: f64) {
        if !self.seen {
            self.level = x;
            self.trend = 0.0;
            self.seen = true;
            return;
        }
        let prev = self.level;
        self.level = HOLT_ALPHA * x + (1.0 - HOLT_ALPHA) * (self.level + self.trend);
        self.trend = HOLT_BETA * (self.level - prev) + (1.0 - HOLT_BETA) * self.trend;
    }

    /// Forecast `h` minutes after the last observation.
    fn forecast(&self, h: f64) -> f64 {
        (self.level + h * self.trend).max(0.0)
    }
}

/// One fleet's state while the day runs.
#[derive(Clone, Debug)]
struct Fleet {
    kind: Kind,
    ready: u32,
    /// Launched, not yet ready: `(minute it becomes ready, count)`, oldest first.
    pending: VecDeque<(u32, u32)>,
    backlog: f64,
    cooldown_left: u32,
    holt: Holt,
    // accumulators
    instance_minutes: u64,
    requests: f64,
    late: f64,
    late_short: f64,
    short_minutes: u32,
    actions: u32,
    churn: u64,
    peak: u32,
    max_backlog: f64,
    busy_sum: f64,
    spike_caught: Option<u32>,
    // per-minute series
    ready_series: Vec<u32>,
    starting_series: Vec<u32>,
    late_series: Vec<f64>,
}

impl Fleet {
    fn new(kind: Kind, initial: u32, start: f64) -> Fleet {
        Fleet {
            kind,
            ready: initial,
            pending: VecDeque::new(),
            backlog: 0.0,
            cooldown_left: 0,
            holt: Holt {
                level: start,
                trend: 0.0,
                seen: false,
            },
            instance_minutes: 0,
            requests: 0.0,
            late: 0.0,
            late_short: 0.0,
            short_minutes: 0,
            actions: 0,
            churn: 0,
            peak: initial,
            max_backlog: 0.0,
            busy_sum: 0.0,
            spike_caught: None,
            ready_series: Vec::with_capacity(DAY_MIN as usize),
            starting_series: Vec::with_capacity(DAY_MIN as usize),
            late_series: Vec::with_capacity(DAY_MIN as usize),
        }
    }

    fn starting(&self) -> u32 {
        self.pending.iter().map(|&(_, n)| n).sum()
    }

    fn provisioned(&self) -> u32 {
        self.ready + self.starting()
    }

    fn launch(&mut self, n: u32, ready_at: u32) {
        if n > 0 {
            self.pending.push_back((ready_at, n));
            self.churn += u64::from(n);
        }
    }

    /// Remove `n` instances: those still starting first (newest first), then ready ones.
    fn remove(&mut self, mut n: u32) {
        self.churn += u64::from(n);
        while n > 0 {
            match self.pending.back_mut() {
                Some(last) => {
                    let k = last.1.min(n);
                    last.1 -= k;
                    n -= k;
                    if last.1 == 0 {
                        self.pending.pop_back();
                    }
                }
                None => {
                    self.ready = self.ready.saturating_sub(n);
                    n = 0;
                }
            }
        }
    }

    /// Move the fleet to `keep..=want`-style target: launch up to `up`, remove down to `down`.
    /// Returns whether anything changed.
    fn resize(&mut self, up: u32, down: u32, ready_at: u32) -> bool {
        let have = self.provisioned();
        if up > have {
            self.launch(up - have, ready_at);
            true
        } else if down < have {
            self.remove(have - down);
            true
        } else {
            false
        }
    }

    fn promote(&mut self, now: u32) {
        while let Some(&(at, n)) = self.pending.front() {
            if at > now {
                break;
            }
            self.ready += n;
            self.pending.pop_front();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// What one fleet looks like at the current minute, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetSnapshot {
    /// Strategy key.
    pub key: String,
    /// Instances serving.
    pub ready: u32,
    /// Instances launched and still starting.
    pub starting: u32,
    /// Requests queued behind a short minute.
    pub backlog: f64,
    /// Utilisation of the last minute (demand over ready capacity; above 1 when short).
    pub utilisation: f64,
    /// Requests late so far.
    pub late: f64,
    /// Instance-hours paid so far.
    pub instance_hours: f64,
    /// Scaling actions so far.
    pub actions: u32,
}

/// The day at the current minute, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaySnapshot {
    /// Minutes simulated so far (0..=1440).
    pub minute: u32,
    /// Demand in the last simulated minute, req/s.
    pub demand: f64,
    /// Expected demand at that minute, req/s.
    pub expected: f64,
    /// Whether the flash crowd is on.
    pub spike_on: bool,
    /// The three fleets, in [`STRATEGIES`] order.
    pub fleets: Vec<FleetSnapshot>,
}

/// The step-able day: one [`Simulation::step`] is one minute for all three fleets.
#[derive(Clone, Debug)]
pub struct DaySim {
    p: Params,
    demand: Vec<f64>,
    yesterday: Vec<f64>,
    schedule: Vec<u32>,
    fleets: Vec<Fleet>,
    minute: u32,
    /// The SLO in service times (`slo · capacity`), for the M/M/c tail.
    slo_in_service_times: f64,
}

impl DaySim {
    /// A fresh day for `params` (sanitised) and `seed`.
    pub fn new(params: &Params, seed: u64) -> DaySim {
        let p = params.sanitised();
        let demand = day_of_demand(&p, &mut Rng::derive(seed, "demand"), true);
        let yesterday = day_of_demand(&p, &mut Rng::derive(seed, "yesterday"), false);
        DaySim::with_days(p, demand, yesterday)
    }

    /// A fresh day for sanitised `p` on the given days of demand (today's, and the one the
    /// "yesterday" forecast reads).
    fn with_days(p: Params, demand: Vec<f64>, yesterday: Vec<f64>) -> DaySim {
        let schedule = p.schedule();
        let start = p.expected_rate(0);
        let fleets = [Kind::Reactive, Kind::Scheduled, Kind::Predictive]
            .iter()
            .map(|&k| {
                let init = match k {
                    Kind::Scheduled => schedule[0],
                    Kind::Predictive => {
                        p.clamp_count(p.needed(start * (1.0 + p.headroom_pct / 100.0)))
                    }
                    Kind::Reactive => p.clamp_count(p.needed(start)),
                };
                Fleet::new(k, init, start)
            })
            .collect();
        let slo_in_service_times = p.slo_ms / 1000.0 * p.capacity;
        DaySim {
            p,
            demand,
            yesterday,
            schedule,
            fleets,
            minute: 0,
            slo_in_service_times,
        }
    }

    /// The validated params the day runs with.
    pub fn params(&self) -> &Params {
        &self.p
    }

    /// Whether all 1440 minutes have run.
    pub fn is_done(&self) -> bool {
        self.minute >= DAY_MIN
    }

    /// The day's demand, req/s per minute.
    pub fn demand(&self) -> &[f64] {
        &self.demand
    }

    /// The highest demand of the day, req/s (a fixed scale for drawing).
    pub fn peak_demand(&self) -> f64 {
        self.demand.iter().copied().fold(0.0, f64::max)
    }

    /// The hourly plan of the scheduled strategy.
    pub fn schedule(&self) -> &[u32] {
        &self.schedule
    }

    /// Ready and starting instances of fleet `i` (in [`STRATEGIES`] order) for every minute
    /// run so far.
    pub fn fleet_series(&self, i: u32) -> Option<(&[u32], &[u32])> {
        self.fleets
            .get(i as usize)
            .map(|f| (f.ready_series.as_slice(), f.starting_series.as_slice()))
    }

    /// Run to the end of the day.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// The state after the last simulated minute.
    pub fn snapshot(&self) -> DaySnapshot {
        let last = self.minute.saturating_sub(1);
        let demand = if self.minute == 0 {
            0.0
        } else {
            self.demand[last as usize]
        };
        let (s0, s1) = self.p.spike_window();
        DaySnapshot {
            minute: self.minute,
            demand,
            expected: self.p.expected_rate(last),
            spike_on: self.minute > 0 && last >= s0 && last < s1 && self.p.spike_pct > 0.0,
            fleets: self
                .fleets
                .iter()
                .zip(STRATEGIES)
                .map(|(f, (key, _))| FleetSnapshot {
                    key: (*key).to_string(),
                    ready: f.ready,
                    starting: f.starting(),
                    backlog: f.backlog,
                    utilisation: if self.minute == 0 || f.ready == 0 {
                        0.0
                    } else {
                        demand / (f64::from(f.ready) * self.p.capacity)
                    },
                    late: f.late,
                    instance_hours: f.instance_minutes as f64 / 60.0,
                    actions: f.actions,
                })
                .collect(),
        }
    }

    /// The predictive forecast for minute `target`, knowing demand up to minute `now − 1`.
    fn forecast(&self, f: &Fleet, now: u32, target: u32) -> f64 {
        let target = target.min(DAY_MIN - 1);
        match self.p.forecast.as_str() {
            "oracle" => self.demand[target as usize],
            "yesterday" => self.yesterday[target as usize],
            _ => {
                if f.holt.seen {
                    f.holt.forecast(f64::from(target + 1 - now))
                } else {
                    self.p.expected_rate(target)
                }
            }
        }
    }

    /// One fleet's decision at the start of minute `t`.
    fn decide(&self, i: usize, t: u32) -> (u32, u32, bool) {
        let p = &self.p;
        let f = &self.fleets[i];
        let d = p.startup_min;
        match f.kind {
            Kind::Reactive => {
                if t == 0 || f.cooldown_left > 0 {
                    return (0, u32::MAX, false);
                }
                let seen = self.demand[(t - 1) as usize];
                let last_ready = f.ready_series.last().copied().unwrap_or(f.ready).max(1);
                let util = seen / (f64::from(last_ready) * p.capacity) * 100.0;
                let want = p.clamp_count(p.needed(seen));
                if util > p.scale_out_pct {
                    (want, u32::MAX, true)
                } else if util < p.scale_in_pct {
                    (0, want, true)
                } else {
                    (0, u32::MAX, false)
                }
            }
            Kind::Scheduled => {
                let now = self.schedule[(t / 60) as usize];
                let ahead = self.schedule[((t + d).min(DAY_MIN - 1) / 60) as usize];
                (ahead, now.max(ahead), false)
            }
            Kind::Predictive => {
                let hr = 1.0 + p.headroom_pct / 100.0;
                let now = p.clamp_count(p.needed(self.forecast(f, t, t) * hr));
                let ahead = p.clamp_count(p.needed(self.forecast(f, t, t + d) * hr));
                (ahead, now.max(ahead), false)
            }
        }
    }

    /// Decide, resize and start up every fleet at the start of minute `t` (a fleet's decision
    /// reads only its own state, so all fleets can decide before any is served).
    fn prepare(&mut self, t: u32) {
        let d = self.p.startup_min;
        for i in 0..self.fleets.len() {
            let (up, down, counts_cooldown) = self.decide(i, t);
            let f = &mut self.fleets[i];
            let down = down.max(self.p.min_instances);
            let up = up.min(self.p.max_instances);
            if f.resize(up, down, t + d) {
                f.actions += 1;
                if counts_cooldown {
                    f.cooldown_left = self.p.cooldown_min;
                }
            } else if f.kind == Kind::Reactive && f.cooldown_left > 0 {
                f.cooldown_left -= 1;
            }
            f.promote(t);
        }
    }

    /// Serve minute `t` with fleet `i`'s ready capacity and book the results; `tail` gives
    /// `P(T > SLO)` of the minute's M/M/c queue by ready count.
    fn serve(&mut self, i: usize, t: u32, tail: &Tails) {
        let rate = self.demand[t as usize];
        let p = &self.p;
        let slo_s = p.slo_ms / 1000.0;
        let (s0, s1) = p.spike_window();
        let f = &mut self.fleets[i];
        let cap = f64::from(f.ready) * p.capacity;
        let arrivals = rate * 60.0;
        let b = f.backlog;
        let (late, late_short) = if rate >= cap {
            f.short_minutes += 1;
            (arrivals, arrivals)
        } else {
            // arrivals within the first `s1` seconds wait behind the backlog for more than the SLO
            let s_late = if b > 0.0 {
                ((b - slo_s * cap) / (cap - rate)).clamp(0.0, 60.0)
            } else {
                0.0
            };
            let tail = tail.get(f.ready);
            let short = rate * s_late;
            (short + rate * (60.0 - s_late) * tail, short)
        };
        let work = b + arrivals;
        f.backlog = (work - cap * 60.0).max(0.0);
        f.max_backlog = f.max_backlog.max(f.backlog);
        f.requests += arrivals;
        f.late += late;
        f.late_short += late_short;
        f.busy_sum += if cap > 0.0 {
            (work.min(cap * 60.0)) / (cap * 60.0)
        } else {
            1.0
        };
        if p.spike_pct > 0.0 && t >= s0 && t < s1 && f.spike_caught.is_none() && rate < cap {
            f.spike_caught = Some(t - s0);
        }
        let starting = f.starting();
        f.instance_minutes += u64::from(f.ready + starting);
        f.peak = f.peak.max(f.ready + starting);
        f.ready_series.push(f.ready);
        f.starting_series.push(starting);
        f.late_series.push(late);
        if f.kind == Kind::Predictive {
            f.holt.observe(rate);
        }
    }
}

/// `P(T > SLO)` of one minute's M/M/c queue for each ready count in use, computed once per
/// distinct count with one shared Erlang B recursion ([`MmcLadder`]); each value is exactly
/// `Mmc::new(load, c).response_tail(slo)` (or 1 when unstable).
#[derive(Clone, Debug, Default)]
struct Tails {
    /// `(ready count, tail)`, ascending by count.
    by_count: Vec<(u32, f64)>,
}

impl Tails {
    fn fill(&mut self, load: f64, slo_st: f64, counts: &mut Vec<u32>) {
        counts.sort_unstable();
        counts.dedup();
        let mut ladder = MmcLadder::new(load);
        self.by_count.clear();
        for &c in counts.iter() {
            let tail = ladder.at(c).response_tail(slo_st).unwrap_or(1.0);
            self.by_count.push((c, tail));
        }
    }

    fn get(&self, c: u32) -> f64 {
        match self.by_count.binary_search_by_key(&c, |e| e.0) {
            Ok(i) => self.by_count[i].1,
            Err(_) => unreachable!("every ready count is filled before serving"),
        }
    }
}

/// Run the next minute of every day in `days`, which share that minute's demand, capacity and
/// SLO (the frontier's days differ only in how they size fleets): the M/M/c tails are computed
/// once per distinct ready count across all of them.
fn run_minute(days: &mut [DaySim], tails: &mut Tails) {
    let Some(first) = days.first() else {
        return;
    };
    let t = first.minute;
    let rate = first.demand[t as usize];
    let (capacity, slo_st) = (first.p.capacity, first.slo_in_service_times);
    let mut counts = Vec::with_capacity(days.len() * STRATEGIES.len());
    for day in days.iter_mut() {
        debug_assert!(day.minute == t && day.demand[t as usize] == rate);
        debug_assert!(day.p.capacity == capacity && day.slo_in_service_times == slo_st);
        day.prepare(t);
        counts.extend(day.fleets.iter().map(|f| f.ready));
    }
    tails.fill(rate / capacity, slo_st, &mut counts);
    for day in days.iter_mut() {
        for i in 0..day.fleets.len() {
            day.serve(i, t, tails);
        }
        day.minute += 1;
    }
}

impl Simulation for DaySim {
    fn now(&self) -> f64 {
        f64::from(self.minute) * 60.0
    }

    fn step(&mut self) -> bool {
        if self.is_done() {
            return false;
        }
        run_minute(std::slice::from_mut(self), &mut Tails::default());
        !self.is_done()
    }

    fn next_event_time(&self) -> Option<f64> {
        if self.is_done() {
            None
        } else {
            Some(f64::from(self.minute + 1) * 60.0)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// One strategy's day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetReport {
    /// Strategy key (`reactive`, `scheduled`, `predictive`).
    pub key: String,
    /// Instance-hours paid: instances launched or ready, summed over minutes, divided by 60.
    pub instance_hours: f64,
    /// Instance-hours over the ideal (a fleet that always had exactly what each minute needed).
    pub cost_vs_ideal: f64,
    /// Requests offered over the day.
    pub requests: f64,
    /// Requests answered later than the SLO.
    pub late: f64,
    /// Share of requests that were late.
    pub late_fraction: f64,
    /// Late requests caused by short minutes and their backlog (under-provisioning).
    pub late_short: f64,
    /// Minutes in which demand reached the ready capacity.
    pub short_minutes: u32,
    /// Minutes from the spike's start until ready capacity exceeded demand; `None` if it never
    /// did during the spike (or there is no spike).
    pub spike_response_min: Option<u32>,
    /// Scaling actions (launches or removals) over the day.
    pub actions: u32,
    /// Instances launched plus instances removed over the day.
    pub churn: u64,
    /// Most instances at once (launched or ready).
    pub peak_instances: u32,
    /// Mean utilisation of ready capacity.
    pub mean_utilisation: f64,
    /// Largest backlog, requests.
    pub max_backlog: f64,
    /// Ready instances per minute.
    pub ready: Vec<u32>,
    /// Starting instances per minute.
    pub starting: Vec<u32>,
}

/// One strategy's cost and quality on the same day at one target utilisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// Strategy key.
    pub key: String,
    /// Target utilisation of the run, percent.
    pub target_util: f64,
    /// Instance-hours paid.
    pub instance_hours: f64,
    /// Share of requests over the SLO, percent.
    pub late_pct: f64,
}

/// Target utilisations swept for the cost/quality frontier (the current one is added).
pub const FRONTIER_TARGETS: &[f64] = &[40.0, 50.0, 60.0, 70.0, 80.0, 90.0];

/// The report of one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Demand per minute, req/s (rounded to 0.1).
    pub demand: Vec<f64>,
    /// Expected demand every 10 minutes, req/s (rounded to 0.1).
    pub expected: Vec<f64>,
    /// The scheduled strategy's hourly plan.
    pub schedule: Vec<u32>,
    /// Instance-hours of the ideal fleet: `⌈demand/(capacity·target)⌉` every minute, clamped.
    pub ideal_instance_hours: f64,
    /// Minute the spike starts and the minute after it ends.
    pub spike_window: (u32, u32),
    /// The strategies, in [`STRATEGIES`] order.
    pub fleets: Vec<FleetReport>,
    /// The same day (same seed) at each of [`FRONTIER_TARGETS`] and the current target
    /// utilisation, ordered by strategy then target: what each strategy buys per instance-hour.
    pub frontier: Vec<FrontierPoint>,
    /// Plain-language findings.
    pub notes: Vec<String>,
}

fn round1(x: f64) -> f64 {
    libm::round(x * 10.0) / 10.0
}

impl Report {
    /// The fleet with key `key`.
    pub fn fleet(&self, key: &str) -> Option<&FleetReport> {
        self.fleets.iter().find(|f| f.key == key)
    }
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(re), Some(sc), Some(pr)) = (
        r.fleet("reactive"),
        r.fleet("scheduled"),
        r.fleet("predictive"),
    ) else {
        return out;
    };
    let pc = |x: f64| format!("{:.2} %", 100.0 * x);
    let resp = |f: &FleetReport| match f.spike_response_min {
        Some(m) => format!("{m} min"),
        None => "not within the spike".into(),
    };
    if p.spike_pct > 0.0 {
        out.push(format!(
            "Spike response (minutes until ready capacity exceeded demand): reactive {}, scheduled {}, predictive {}. The start-up delay is {} min.",
            resp(re), resp(sc), resp(pr), p.startup_min
        ));
    }
    out.push(format!(
        "Late requests: reactive {}, scheduled {}, predictive {}; cost: {:.0}, {:.0} and {:.0} instance-hours against an ideal {:.0}.",
        pc(re.late_fraction), pc(sc.late_fraction), pc(pr.late_fraction),
        re.instance_hours, sc.instance_hours, pr.instance_hours, r.ideal_instance_hours
    ));
    out.push(format!(
        "Stability (scaling actions over the day): reactive {}, scheduled {}, predictive {}.",
        re.actions, sc.actions, pr.actions
    ));
    let cheapest = r
        .fleets
        .iter()
        .min_by(|a, b| a.instance_hours.total_cmp(&b.instance_hours))
        .map(|f| f.key.as_str())
        .unwrap_or("");
    if cheapest == "reactive" {
        out.push("The book rates reactive scaling cheapest: here it is.".into());
    } else {
        out.push(format!(
            "The book rates reactive scaling cheapest: here {cheapest} costs less."
        ));
    }
    out
}

/// The frontier's target utilisations: [`FRONTIER_TARGETS`] and the current one, ascending.
fn frontier_targets(p: &Params) -> Vec<f64> {
    let mut targets: Vec<f64> = FRONTIER_TARGETS.to_vec();
    if !targets.contains(&p.target_util) {
        targets.push(p.target_util);
        targets.sort_unstable_by(f64::total_cmp);
    }
    targets
}

/// The day of `main` re-sized for target utilisation `t`, the reactive thresholds moved by as
/// much as the target, so each frontier point is the same policy sized differently. Same demand
/// as `main` (it does not depend on sizing), so this equals `DaySim::new` of those params.
fn resized_day(main: &DaySim, t: f64) -> DaySim {
    let p = &main.p;
    let shift = t - p.target_util;
    let q = Params {
        target_util: t,
        scale_out_pct: (p.scale_out_pct + shift).clamp(10.0, 100.0),
        scale_in_pct: (p.scale_in_pct + shift).clamp(0.0, 95.0),
        ..p.clone()
    };
    DaySim::with_days(q.sanitised(), main.demand.clone(), main.yesterday.clone())
}

/// Run `main` (not yet started) and the frontier's days together, minute by minute (they share
/// each minute's M/M/c tails); the frontier point at the current target is `main` itself.
fn run_with_frontier(main: &mut DaySim) -> Vec<FrontierPoint> {
    let targets = frontier_targets(&main.p);
    let mut days = vec![main.clone()];
    // index into `days` of each target's day
    let mut of_target = Vec::with_capacity(targets.len());
    for &t in &targets {
        let d = resized_day(main, t);
        if d.p == main.p {
            of_target.push(0);
        } else {
            of_target.push(days.len());
            days.push(d);
        }
    }
    let mut tails = Tails::default();
    while !days[0].is_done() {
        run_minute(&mut days, &mut tails);
    }
    let mut out = Vec::new();
    for (i, (key, _)) in STRATEGIES.iter().enumerate() {
        for (t, &d) in targets.iter().zip(&of_target) {
            let f = &days[d].fleets[i];
            out.push(FrontierPoint {
                key: (*key).to_string(),
                target_util: *t,
                instance_hours: f.instance_minutes as f64 / 60.0,
                late_pct: if f.requests > 0.0 {
                    100.0 * f.late / f.requests
                } else {
                    0.0
                },
            });
        }
    }
    *main = days.swap_remove(0);
    out
}

impl Model for AutoscalingStrategies {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let mut sim = DaySim::new(params, seed);
        let frontier = run_with_frontier(&mut sim);
        let p = sim.p.clone();
        let ideal_minutes: f64 = sim
            .demand
            .iter()
            .map(|&x| f64::from(p.clamp_count(p.needed(x))))
            .sum();
        let ideal = ideal_minutes / 60.0;
        let fleets = sim
            .fleets
            .iter()
            .zip(STRATEGIES)
            .map(|(f, (key, _))| {
                let ih = f.instance_minutes as f64 / 60.0;
                FleetReport {
                    key: (*key).to_string(),
                    instance_hours: ih,
                    cost_vs_ideal: if ideal > 0.0 { ih / ideal } else { 1.0 },
                    requests: f.requests,
                    late: f.late,
                    late_fraction: if f.requests > 0.0 {
                        f.late / f.requests
                    } else {
                        0.0
                    },
                    late_short: f.late_short,
                    short_minutes: f.short_minutes,
                    spike_response_min: f.spike_caught,
                    actions: f.actions,
                    churn: f.churn,
                    peak_instances: f.peak,
                    mean_utilisation: f.busy_sum / f64::from(DAY_MIN),
                    max_backlog: f.max_backlog,
                    ready: f.ready_series.clone(),
                    starting: f.starting_series.clone(),
                }
            })
            .collect();
        let mut r = Report {
            demand: sim.demand.iter().map(|&x| round1(x)).collect(),
            expected: (0..DAY_MIN / 10)
                .map(|k| round1(p.expected_rate(k * 10)))
                .collect(),
            schedule: sim.schedule.clone(),
            ideal_instance_hours: ideal,
            spike_window: p.spike_window(),
            fleets,
            frontier,
            notes: Vec::new(),
        };
        r.notes = notes(&p, &r);
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        let names: [(&str, &str, &str); 3] = [
            ("reactive", "reactive_instance_hours", "reactive_late_pct"),
            (
                "scheduled",
                "scheduled_instance_hours",
                "scheduled_late_pct",
            ),
            (
                "predictive",
                "predictive_instance_hours",
                "predictive_late_pct",
            ),
        ];
        for (key, ih, lp) in names {
            if let Some(f) = r.fleet(key) {
                out.push((ih, f.instance_hours));
                out.push((lp, 100.0 * f.late_fraction));
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
    use proptest::prelude::*;

    fn run(p: &Params, seed: u64) -> Report {
        AutoscalingStrategies::run(p, seed)
    }

    fn quiet() -> Params {
        Params {
            noise_pct: 0.0,
            spike_pct: 0.0,
            ..Params::default()
        }
    }

    #[test]
    fn knobs_match_fields_and_defaults_validate_cleanly() {
        let v = serde_json::to_value(Params::default()).unwrap_or_default();
        let obj = v.as_object().cloned().unwrap_or_default();
        assert_eq!(obj.len(), KNOBS.len());
        for k in KNOBS {
            assert!(obj.contains_key(k.key), "{}", k.key);
        }
        let (p, notices) = crate::params::validate(Params::default());
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(p, Params::default());
    }

    #[test]
    fn garbage_is_clamped_with_notices() {
        let pairs: Vec<(String, String)> = [
            ("min_instances", "500"),
            ("max_instances", "10"),
            ("scale_in_pct", "90"),
            ("scale_out_pct", "50"),
            ("strategy", "magic"),
            ("peak_rate", "-4"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (p, notices) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!((p.min_instances, p.max_instances), (10, 10));
        assert!(p.scale_in_pct < p.scale_out_pct);
        assert_eq!(p.peak_rate, 10.0);
        assert!(notices.len() >= 3, "{notices:?}");
        let r = run(&p, 1);
        assert!(r.fleets.iter().all(|f| f.peak_instances <= 10));
    }

    #[test]
    fn expected_curve_has_its_trough_and_peak() {
        let p = Params::default();
        assert!((p.expected_rate(14 * 60) - 1000.0).abs() < 1e-9);
        assert!((p.expected_rate(2 * 60) - 250.0).abs() < 1e-9);
        // 10:00 is four hours before the peak: 250 + 750·(1 + cos 60°)/2 = 812.5
        assert!((p.expected_rate(600) - 812.5).abs() < 1e-9);
    }

    #[test]
    fn schedule_covers_the_expected_curve_at_the_target() {
        let p = Params::default();
        let s = p.schedule();
        assert_eq!(s.len(), 24);
        // peak hour 14:00: 1000 / (100 · 0.7) = 14.29 → 15
        assert_eq!(s[14], 15);
        for m in 0..DAY_MIN {
            let cap = f64::from(s[(m / 60) as usize]) * p.capacity * 0.7;
            assert!(cap >= p.expected_rate(m) - 1e-9);
        }
    }

    #[test]
    fn scheduled_is_instant_for_the_expected_day_and_blind_to_the_spike() {
        // no noise, no spike: the plan is always ready in time, nothing is short
        let r = run(&quiet(), 3);
        let sc = r.fleet("scheduled").unwrap_or_else(|| panic!("no fleet"));
        assert_eq!(sc.short_minutes, 0);
        assert_eq!(sc.late_short, 0.0);
        // billed: the plan, plus each hour's extra instances for the start-up delay before it
        let plan: f64 = r.schedule.iter().map(|&n| f64::from(n)).sum();
        let ups: u32 = r
            .schedule
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]))
            .sum();
        let d = f64::from(quiet().startup_min);
        let expect = plan + f64::from(ups) * d / 60.0;
        assert!(
            (sc.instance_hours - expect).abs() < 1e-9,
            "{} vs {expect}",
            sc.instance_hours
        );
        // a doubling at 10:00 exceeds the 70 % headroom: short for the whole spike
        let r = run(
            &Params {
                noise_pct: 0.0,
                ..Params::default()
            },
            3,
        );
        let sc = r.fleet("scheduled").unwrap_or_else(|| panic!("no fleet"));
        assert_eq!(sc.spike_response_min, None);
        assert_eq!(sc.short_minutes, 30);
    }

    #[test]
    fn reactive_answers_the_spike_after_one_minute_plus_the_start_up_delay() {
        for d in [0u32, 2, 5, 12] {
            let p = Params {
                noise_pct: 0.0,
                startup_min: d,
                cooldown_min: 0,
                ..Params::default()
            };
            let r = run(&p, 1);
            let re = r.fleet("reactive").unwrap_or_else(|| panic!("no fleet"));
            assert_eq!(re.spike_response_min, Some(1 + d), "delay {d}");
        }
    }

    #[test]
    fn perfect_forecast_with_instant_start_is_never_short() {
        let p = Params {
            forecast: "oracle".into(),
            startup_min: 0,
            noise_pct: 20.0,
            ..Params::default()
        };
        let r = run(&p, 8);
        let pr = r.fleet("predictive").unwrap_or_else(|| panic!("no fleet"));
        assert_eq!(pr.short_minutes, 0);
        assert_eq!(pr.late_short, 0.0);
        assert_eq!(pr.spike_response_min, Some(0));
        // with a start-up delay the oracle still launches early enough
        let r = run(
            &Params {
                startup_min: 10,
                ..p
            },
            8,
        );
        assert_eq!(r.fleet("predictive").map(|f| f.short_minutes), Some(0));
    }

    #[test]
    fn default_day_tells_the_books_story() {
        let r = run(&Params::default(), 1);
        let re = r.fleet("reactive").unwrap_or_else(|| panic!("no fleet"));
        let sc = r.fleet("scheduled").unwrap_or_else(|| panic!("no fleet"));
        // reactive is slow by the start-up delay; scheduled never catches the spike
        assert!(
            re.spike_response_min.is_some_and(|m| (6..=8).contains(&m)),
            "{:?}",
            re.spike_response_min
        );
        assert_eq!(sc.spike_response_min, None);
        assert!(sc.late > re.late);
        // scheduled acts at most twice an hour (launch ahead, remove on the hour); the noisy
        // Holt forecast flaps far more often than the lazy 80 %/40 % thresholds
        let pr = r.fleet("predictive").unwrap_or_else(|| panic!("no fleet"));
        assert!(sc.actions <= 48, "{}", sc.actions);
        assert!(
            pr.actions > 5 * re.actions,
            "{} vs {}",
            pr.actions,
            re.actions
        );
        for f in &r.fleets {
            assert!(f.cost_vs_ideal > 0.9, "{} {}", f.key, f.cost_vs_ideal);
        }
        assert_eq!(r.demand.len(), 1440);
        assert_eq!(r.expected.len(), 144);
        assert!(!r.notes.is_empty());
    }

    #[test]
    fn frontier_buys_fewer_late_requests_with_more_instance_hours() {
        let r = run(
            &Params {
                noise_pct: 0.0,
                spike_pct: 0.0,
                ..Params::default()
            },
            1,
        );
        assert_eq!(r.frontier.len(), 3 * FRONTIER_TARGETS.len());
        for (key, _) in STRATEGIES {
            let pts: Vec<&FrontierPoint> = r.frontier.iter().filter(|f| f.key == *key).collect();
            // the run at the current target is the fleet itself
            let here = pts
                .iter()
                .find(|f| f.target_util == 70.0)
                .unwrap_or_else(|| panic!("70"));
            let fleet = r.fleet(key).unwrap_or_else(|| panic!("{key}"));
            assert!((here.instance_hours - fleet.instance_hours).abs() < 1e-9);
            // lower target → more instance-hours (the scheduled plan is monotone in it)
            if *key == "scheduled" {
                for w in pts.windows(2) {
                    assert!(w[0].instance_hours >= w[1].instance_hours, "{w:?}");
                    assert!(w[0].late_pct <= w[1].late_pct + 1e-12, "{w:?}");
                }
            }
        }
        let r = run(
            &Params {
                target_util: 65.0,
                ..Params::default()
            },
            1,
        );
        assert_eq!(r.frontier.len(), 3 * (FRONTIER_TARGETS.len() + 1));
    }

    #[test]
    fn same_seed_same_report_and_json_round_trip() {
        let a = run(&Params::default(), 5);
        assert_eq!(a, run(&Params::default(), 5));
        assert_ne!(a.demand, run(&Params::default(), 6).demand);
        let json = serde_json::to_string(&a).unwrap_or_default();
        let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.fleets.len(), 3);
        assert!(AutoscalingStrategies::headline(&a)
            .iter()
            .all(|(_, x)| x.is_finite()));
    }

    #[test]
    fn step_api_and_snapshots() {
        let mut sim = DaySim::new(&Params::default(), 2);
        assert_eq!(sim.snapshot().minute, 0);
        sim.advance_to(600.0);
        assert_eq!(sim.snapshot().minute, 10);
        assert_eq!(sim.now(), 600.0);
        let mut n = 10;
        while sim.step() {
            n += 1;
        }
        assert_eq!(n + 1, DAY_MIN);
        assert!(sim.is_done() && sim.next_event_time().is_none());
        let s = sim.snapshot();
        assert_eq!(s.fleets.len(), 3);
        let r = run(&Params::default(), 2);
        for (f, fr) in s.fleets.iter().zip(&r.fleets) {
            assert!((f.instance_hours - fr.instance_hours).abs() < 1e-9);
            assert_eq!(f.actions, fr.actions);
        }
    }

    #[test]
    fn max_params_stay_bounded() {
        let p = Params {
            peak_rate: 100_000.0,
            capacity: 1.0,
            max_instances: 1000,
            min_instances: 1000,
            spike_pct: 500.0,
            noise_pct: 50.0,
            ..Params::default()
        };
        let r = run(&p, 1);
        for f in &r.fleets {
            assert!(f.late.is_finite() && f.max_backlog.is_finite());
            assert_eq!(f.peak_instances, 1000);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

        #[test]
        fn fleets_stay_within_limits_and_bill_what_ran(
            peak in 10.0f64..20_000.0,
            trough in 0.0f64..100.0,
            noise in 0.0f64..50.0,
            spike in 0.0f64..500.0,
            hour in 0.0f64..23.75,
            spike_min in 1u32..240,
            capacity in 1.0f64..2_000.0,
            startup in 0u32..60,
            lo in 1u32..50,
            hi in 1u32..300,
            target in 10.0f64..95.0,
            cooldown in 0u32..60,
            fc in 0u32..3,
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                peak_rate: peak, trough_pct: trough, noise_pct: noise, spike_pct: spike,
                spike_hour: hour, spike_min, capacity, startup_min: startup,
                min_instances: lo.min(hi), max_instances: hi, target_util: target,
                cooldown_min: cooldown,
                forecast: ["holt", "yesterday", "oracle"][fc as usize].into(),
                ..Params::default()
            };
            let r = run(&p, seed);
            for f in &r.fleets {
                prop_assert_eq!(f.ready.len(), DAY_MIN as usize);
                let mut minutes = 0u64;
                for (&a, &b) in f.ready.iter().zip(&f.starting) {
                    prop_assert!(a + b >= p.min_instances.min(hi) && a + b <= hi);
                    prop_assert!(a >= p.min_instances.min(hi));
                    minutes += u64::from(a + b);
                }
                prop_assert!((f.instance_hours - minutes as f64 / 60.0).abs() < 1e-9);
                prop_assert!(f.late <= f.requests * (1.0 + 1e-9) && f.late >= f.late_short - 1e-6);
                prop_assert!((0.0..=1.0 + 1e-9).contains(&f.mean_utilisation));
            }
        }

        #[test]
        fn a_perfect_forecast_with_no_start_up_delay_is_never_short(
            peak in 10.0f64..5_000.0,
            noise in 0.0f64..50.0,
            spike in 0.0f64..500.0,
            hour in 0.0f64..23.75,
            capacity in 10.0f64..1_000.0,
            target in 10.0f64..95.0,
            headroom in 0.0f64..100.0,
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                peak_rate: peak, noise_pct: noise, spike_pct: spike, spike_hour: hour,
                capacity, target_util: target, headroom_pct: headroom,
                startup_min: 0, forecast: "oracle".into(), max_instances: 1000,
                ..Params::default()
            };
            let r = run(&p, seed);
            let pr = r.fleet("predictive").unwrap_or_else(|| panic!("no fleet"));
            // only where the 1000-instance ceiling did not bind
            if pr.ready.iter().all(|&n| n < 1000) {
                prop_assert_eq!(pr.short_minutes, 0);
                prop_assert_eq!(pr.late_short, 0.0);
            }
        }
    }
}
