//! # Canary mesh (book page 30): a control plane pushing weighted routes to a data plane of
//! proxies, canary analysis with automatic rollback, and the control plane taken down
//!
//! A discrete-event simulation of a service mesh with two versions of one service: **blue**
//! (stable) and **green** (the canary).
//!
//! - **Control plane**: holds the desired route configuration — a version number and the
//!   weights blue / green (integers summing to 100) — and pushes every new version to each of
//!   the `proxies` over its own stream (xDS-style). Each push reaches a proxy after a seeded
//!   delay (`push_delay_ms/2 + Exp(push_delay_ms/2)`: mean `push_delay_ms`, with a tail). A
//!   proxy applies a version only if it is newer than its own, so configs never go backwards.
//! - **Data plane**: each proxy receives its own Poisson stream of requests (`rate / proxies`
//!   req/s) and sends each one to green with probability `green / 100` of the config *it has
//!   now* (a weighted random choice), else to blue. Requests are served whatever the control
//!   plane is doing: no request waits for or depends on it.
//! - **Backends**: blue fails with probability `blue_error_pct` and answers in
//!   `blue_latency_ms · (0.6 + Exp(0.4))` (p99 = `blue_latency_ms · (0.6 + 0.4 ln 100)` ≈
//!   2.44 × the median-ish base). Green behaves like blue until `bad_at_s`; from then on it fails
//!   with `green_error_pct` and is `green_latency_x` times slower.
//! - **Canary analysis** (in the control plane, once a second): over the last `window_s`
//!   seconds of green's requests (telemetry from every proxy), if there are at least
//!   `min_requests` and the error rate exceeds `threshold_pct` (or green's p99 exceeds
//!   `p99_limit_ms`, when that is not 0), it **rolls back**: a new version with green weight 0.
//!   With `progressive` on, a healthy canary is promoted 10 → 25 → 50 → 100 % after each
//!   `bake_s` of passing analysis.
//! - **Control-plane outage** from `cp_down_at_s` for `cp_down_s`: no analysis, no pushes, no
//!   rollbacks; pushes still in flight are lost with their streams. Proxies keep serving with the
//!   last config they applied. When the control plane returns, proxies reconnect and receive the
//!   current desired version, and the analysis (its metrics kept outside the control plane)
//!   resumes at once.
//!
//! Theory the tests pin: the measured share of traffic to green is the configured weight within
//! binomial noise; with a full window of green requests failing at rate `b`, a canary that
//! turns bad (rate `g`) crosses a threshold `h` (`b < h < g`) after about
//! `W·(h − b)/(g − b)` seconds (a sliding window's mean moves linearly as bad seconds replace
//! good ones); p99 of the latency model is `L·(0.6 + 0.4·ln 100)`.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::canary_mesh::{CanaryMesh, Params};
//! let r = CanaryMesh::run(&Params::default(), 1);
//! assert!(r.rollback.is_some());
//! assert_eq!(r.totals.green_after_rollback, 0);
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BinaryHeap;

/// The canary-mesh model.
pub struct CanaryMesh;

/// Most points of each time series in the report.
pub const MAX_POINTS: usize = 300;
/// The progressive-delivery steps of green's weight, percent.
pub const STEPS: [u32; 4] = [10, 25, 50, 100];
/// Green's error rate after the live "break the canary now" button, percent.
pub const BREAK_ERROR_PCT: f64 = 20.0;
/// The latency model's p99 as a multiple of the base latency: `0.6 + 0.4·ln 100`.
pub fn p99_factor() -> f64 {
    0.6 + 0.4 * libm::log(100.0)
}

/// Latency histogram: bucket `i` holds latencies in `[LAT0·R^i, LAT0·R^(i+1))` ms.
const NB: usize = 220;
const LAT0: f64 = 0.5;
const LN_R: f64 = 0.058_268_908_123_975_824; // ln 1.06

fn bucket(lat_ms: f64) -> usize {
    let x = libm::log(lat_ms.max(LAT0) / LAT0) / LN_R;
    if x.is_finite() {
        (x as usize).min(NB - 1)
    } else {
        0
    }
}

/// The geometric middle of bucket `i`, in ms.
fn bucket_mid(i: usize) -> f64 {
    LAT0 * libm::exp((i as f64 + 0.5) * LN_R)
}

/// The knobs. Defaults: the book's 90/10 split, four proxies, a canary that turns bad 30 s in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Green (canary) weight the control plane starts with, percent (blue gets the rest).
    pub green_weight_pct: u32,
    /// Number of proxies in the data plane.
    pub proxies: u32,
    /// Requests per second into the data plane, spread evenly over the proxies.
    pub rate: f64,
    /// Blue's error rate, percent.
    pub blue_error_pct: f64,
    /// Blue's base latency, ms (its p99 is about 2.44 × this).
    pub blue_latency_ms: f64,
    /// Green's error rate once it has turned bad, percent.
    pub green_error_pct: f64,
    /// Green's latency once bad, as a multiple of blue's.
    pub green_latency_x: f64,
    /// When green turns bad (before that it behaves like blue), seconds.
    pub bad_at_s: f64,
    /// Whether the control plane rolls back automatically.
    pub auto_rollback: bool,
    /// Roll back when green's error rate over the window exceeds this, percent.
    pub threshold_pct: f64,
    /// Also roll back when green's p99 over the window exceeds this, ms (0 = off).
    pub p99_limit_ms: f64,
    /// Length of the analysis window, seconds.
    pub window_s: u32,
    /// Fewest green requests in the window before the analysis may judge.
    pub min_requests: u32,
    /// Progressive delivery: promote a healthy canary 10 → 25 → 50 → 100 %.
    pub progressive: bool,
    /// Bake time at each progressive step, seconds.
    pub bake_s: f64,
    /// Mean time for a pushed config to reach a proxy, ms.
    pub push_delay_ms: f64,
    /// When the control plane goes down, seconds.
    pub cp_down_at_s: f64,
    /// How long the control plane stays down, seconds (0 = never down).
    pub cp_down_s: f64,
    /// Length of the run, seconds.
    pub duration_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            green_weight_pct: 10,
            proxies: 4,
            rate: 100.0,
            blue_error_pct: 0.5,
            blue_latency_ms: 40.0,
            green_error_pct: 5.0,
            green_latency_x: 1.0,
            bad_at_s: 30.0,
            auto_rollback: true,
            threshold_pct: 2.0,
            p99_limit_ms: 250.0,
            window_s: 30,
            min_requests: 100,
            progressive: false,
            bake_s: 20.0,
            push_delay_ms: 500.0,
            cp_down_at_s: 30.0,
            cp_down_s: 0.0,
            duration_s: 120.0,
        }
    }
}

#[rustfmt::skip]
static KNOBS: &[Knob] = &[
    Knob { key: "green_weight_pct", label: "Green (canary) weight", unit: "%", help: "Share of traffic the route sends to the canary; blue gets the rest (the book's example: 10).", kind: KnobKind::Int { min: 0, max: 100, log: false } },
    Knob { key: "proxies", label: "Proxies", unit: "", help: "Sidecar proxies in the data plane; each routes its own share of the traffic.", kind: KnobKind::Int { min: 1, max: 12, log: false } },
    Knob { key: "rate", label: "Request rate", unit: "req/s", help: "Requests per second into the data plane, spread evenly over the proxies.", kind: KnobKind::Float { min: 10.0, max: 2000.0, step: 10.0, log: true } },
    Knob { key: "blue_error_pct", label: "Blue error rate", unit: "%", help: "How often the stable version fails.", kind: KnobKind::Float { min: 0.0, max: 20.0, step: 0.1, log: false } },
    Knob { key: "blue_latency_ms", label: "Blue base latency", unit: "ms", help: "The stable version's typical latency; its p99 is about 2.44 × this.", kind: KnobKind::Float { min: 5.0, max: 500.0, step: 5.0, log: false } },
    Knob { key: "green_error_pct", label: "Green error rate (once bad)", unit: "%", help: "How often the canary fails after it turns bad; set it to blue's rate for a healthy canary.", kind: KnobKind::Float { min: 0.0, max: 50.0, step: 0.1, log: false } },
    Knob { key: "green_latency_x", label: "Green latency (once bad)", unit: "× blue", help: "How much slower the canary is after it turns bad.", kind: KnobKind::Float { min: 0.5, max: 10.0, step: 0.1, log: false } },
    Knob { key: "bad_at_s", label: "Canary turns bad at", unit: "s", help: "Until then green behaves exactly like blue.", kind: KnobKind::Float { min: 0.0, max: 600.0, step: 1.0, log: false } },
    Knob { key: "auto_rollback", label: "Automatic rollback", unit: "", help: "Let the control plane's canary analysis send all traffic back to blue.", kind: KnobKind::Bool },
    Knob { key: "threshold_pct", label: "Rollback threshold", unit: "% errors", help: "Roll back when green's error rate over the window is above this.", kind: KnobKind::Float { min: 0.1, max: 50.0, step: 0.1, log: false } },
    Knob { key: "p99_limit_ms", label: "Rollback on p99 above", unit: "ms", help: "Also roll back when green's p99 latency over the window is above this (0 = off).", kind: KnobKind::Float { min: 0.0, max: 5000.0, step: 10.0, log: false } },
    Knob { key: "window_s", label: "Analysis window", unit: "s", help: "The analysis judges green on its requests of the last this many seconds.", kind: KnobKind::Int { min: 5, max: 120, log: false } },
    Knob { key: "min_requests", label: "Minimum requests", unit: "", help: "The analysis does not judge on fewer green requests than this in its window.", kind: KnobKind::Int { min: 10, max: 5000, log: true } },
    Knob { key: "progressive", label: "Progressive delivery", unit: "", help: "Promote a healthy canary 10 → 25 → 50 → 100 % after each bake time.", kind: KnobKind::Bool },
    Knob { key: "bake_s", label: "Bake time per step", unit: "s", help: "How long a progressive step must pass the analysis before the next.", kind: KnobKind::Float { min: 5.0, max: 120.0, step: 1.0, log: false } },
    Knob { key: "push_delay_ms", label: "Push delay", unit: "ms", help: "Mean time for a new config to reach a proxy (each proxy draws its own).", kind: KnobKind::Float { min: 0.0, max: 5000.0, step: 50.0, log: false } },
    Knob { key: "cp_down_at_s", label: "Control plane down at", unit: "s", help: "When the control-plane outage starts.", kind: KnobKind::Float { min: 0.0, max: 600.0, step: 1.0, log: false } },
    Knob { key: "cp_down_s", label: "Control plane down for", unit: "s", help: "How long the control plane is down (0 = no outage).", kind: KnobKind::Float { min: 0.0, max: 600.0, step: 1.0, log: false } },
    Knob { key: "duration_s", label: "Duration", unit: "s", help: "Length of the run.", kind: KnobKind::Float { min: 30.0, max: 600.0, step: 10.0, log: false } },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// Times beyond the run are kept (they just never happen) but said.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.cp_down_s > 0.0 && self.cp_down_at_s >= self.duration_s {
            notices.push(Notice::new(
                "cp_down_at_s",
                "the control-plane outage starts after the run ends, so it never happens",
            ));
        }
        if self.bad_at_s >= self.duration_s && self.green_error_pct > self.blue_error_pct {
            notices.push(Notice::new(
                "bad_at_s",
                "the canary turns bad after the run ends, so it stays healthy",
            ));
        }
    }
}

impl Params {
    /// A copy forced into every knob range (NaN → default), so public functions never misbehave
    /// on params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        Params {
            green_weight_pct: self.green_weight_pct.min(100),
            proxies: self.proxies.clamp(1, 12),
            rate: f(self.rate, 10.0, 2000.0, d.rate),
            blue_error_pct: f(self.blue_error_pct, 0.0, 20.0, d.blue_error_pct),
            blue_latency_ms: f(self.blue_latency_ms, 5.0, 500.0, d.blue_latency_ms),
            green_error_pct: f(self.green_error_pct, 0.0, 50.0, d.green_error_pct),
            green_latency_x: f(self.green_latency_x, 0.5, 10.0, d.green_latency_x),
            bad_at_s: f(self.bad_at_s, 0.0, 600.0, d.bad_at_s),
            auto_rollback: self.auto_rollback,
            threshold_pct: f(self.threshold_pct, 0.1, 50.0, d.threshold_pct),
            p99_limit_ms: f(self.p99_limit_ms, 0.0, 5000.0, d.p99_limit_ms),
            window_s: self.window_s.clamp(5, 120),
            min_requests: self.min_requests.clamp(10, 5000),
            progressive: self.progressive,
            bake_s: f(self.bake_s, 5.0, 120.0, d.bake_s),
            push_delay_ms: f(self.push_delay_ms, 0.0, 5000.0, d.push_delay_ms),
            cp_down_at_s: f(self.cp_down_at_s, 0.0, 600.0, d.cp_down_at_s),
            cp_down_s: f(self.cp_down_s, 0.0, 600.0, d.cp_down_s),
            duration_s: f(self.duration_s, 30.0, 600.0, d.duration_s),
        }
    }

    /// Whether green, once bad, breaches the analysis (error rate above the threshold, or its
    /// p99 above the limit by the latency model), and so *should* be rolled back.
    pub fn canary_is_bad(&self) -> bool {
        let slow = self.p99_limit_ms > 0.0
            && self.blue_latency_ms * self.green_latency_x * p99_factor() > self.p99_limit_ms;
        self.bad_at_s < self.duration_s && (self.green_error_pct > self.threshold_pct || slow)
    }

    /// Seconds from green turning bad until a full window's error rate crosses the threshold,
    /// by the sliding-window mean `W·(h − b)/(g − b)` (`None` unless `b < h < g`).
    pub fn detect_theory_s(&self) -> Option<f64> {
        let (b, h, g) = (
            self.blue_error_pct,
            self.threshold_pct,
            self.green_error_pct,
        );
        (b < h && h < g).then(|| f64::from(self.window_s) * (h - b) / (g - b))
    }
}

// ---------------------------------------------------------------------------------------------
// The proxy configuration as text
// ---------------------------------------------------------------------------------------------

/// A proxy's route configuration rendered as an Envoy-style xDS (RDS) response in YAML: the
/// version, and one route with `weighted_clusters` `service_blue` / `service_green` whose
/// weights are `100 − green` and `green` (so they always sum to 100).
pub fn render_config(version: u64, green: u32) -> String {
    let green = green.min(100);
    let blue = 100 - green;
    let note = match green {
        0 => "  # all traffic on blue",
        100 => "  # canary promoted",
        _ => "  # canary",
    };
    format!(
        "# route config pushed over xDS (RDS)\n\
         version_info: \"{version}\"\n\
         resources:\n\
         - \"@type\": type.googleapis.com/envoy.config.route.v3.RouteConfiguration\n\
         \x20 name: local_route\n\
         \x20 virtual_hosts:\n\
         \x20 - name: backend\n\
         \x20   domains: [\"*\"]\n\
         \x20   routes:\n\
         \x20   - match: {{ prefix: \"/\" }}\n\
         \x20     route:\n\
         \x20       weighted_clusters:\n\
         \x20         clusters:\n\
         \x20         - name: service_blue\n\
         \x20           weight: {blue}\n\
         \x20         - name: service_green\n\
         \x20           weight: {green}{note}\n"
    )
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    /// A request arrives at a proxy.
    Arrival(u32),
    /// A pushed config reaches a proxy (lost if the control plane's stream was reset since).
    Push {
        proxy: u32,
        version: u64,
        green: u32,
        epoch: u32,
    },
    /// The control plane's analysis runs (once a second).
    Tick,
    /// The control plane goes down.
    CpDown,
    /// The control plane comes back.
    CpUp,
    /// Green turns bad.
    Bad,
}

/// Per-second counts of one version's requests in the analysis window.
#[derive(Clone)]
struct Bin {
    sec: i64,
    req: u32,
    err: u32,
    hist: Vec<u32>,
}

/// A sliding window over the last `W` seconds: a ring of per-second bins and their running sum.
#[derive(Clone)]
struct Window {
    bins: Vec<Bin>,
    req: u64,
    err: u64,
    hist: Vec<u64>,
}

impl Window {
    fn new(w: u32) -> Self {
        Window {
            bins: (0..w)
                .map(|_| Bin {
                    sec: -1,
                    req: 0,
                    err: 0,
                    hist: vec![0; NB],
                })
                .collect(),
            req: 0,
            err: 0,
            hist: vec![0; NB],
        }
    }

    fn evict(&mut self, slot: usize) {
        let b = &mut self.bins[slot];
        if b.req > 0 {
            self.req -= u64::from(b.req);
            self.err -= u64::from(b.err);
            for (s, h) in self.hist.iter_mut().zip(b.hist.iter_mut()) {
                *s -= u64::from(*h);
                *h = 0;
            }
        }
        b.req = 0;
        b.err = 0;
        b.sec = -1;
    }

    fn add(&mut self, sec: i64, err: bool, bucket: usize) {
        let slot = (sec.rem_euclid(self.bins.len() as i64)) as usize;
        if self.bins[slot].sec != sec {
            self.evict(slot);
            self.bins[slot].sec = sec;
        }
        let b = &mut self.bins[slot];
        b.req += 1;
        b.err += u32::from(err);
        b.hist[bucket] += 1;
        self.req += 1;
        self.err += u64::from(err);
        self.hist[bucket] += 1;
    }

    /// Drop seconds before `from`.
    fn expire(&mut self, from: i64) {
        for slot in 0..self.bins.len() {
            if self.bins[slot].sec >= 0 && self.bins[slot].sec < from {
                self.evict(slot);
            }
        }
    }

    fn error_rate(&self) -> Option<f64> {
        (self.req > 0).then(|| self.err as f64 / self.req as f64)
    }

    fn p99(&self) -> Option<f64> {
        if self.req == 0 {
            return None;
        }
        let rank = (self.req as f64 * 0.99).ceil() as u64;
        let mut seen = 0;
        for (i, &n) in self.hist.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(bucket_mid(i));
            }
        }
        Some(bucket_mid(NB - 1))
    }
}

/// Where the canary rollout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Green takes its configured share; the analysis watches it.
    Canary,
    /// The analysis rolled green back to 0 %.
    RolledBack,
}

/// One proxy applying a config version.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Apply {
    /// When, seconds.
    pub t: f64,
    /// Which proxy (0-based).
    pub proxy: u32,
    /// The version it now has.
    pub version: u64,
    /// Green's weight in that version, percent.
    pub green: u32,
}

/// Something the control plane did or suffered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When, seconds.
    pub t: f64,
    /// `push`, `rollback`, `promote`, `cp_down`, `cp_up`, `bad`.
    pub kind: String,
    /// In words.
    pub text: String,
}

/// The rollback, when there was one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rollback {
    /// When the analysis decided, seconds.
    pub decided_at: f64,
    /// Why, in words.
    pub reason: String,
    /// The version that set green to 0.
    pub version: u64,
    /// When the last proxy applied it (`None`: not all did within the run).
    pub all_applied_at: Option<f64>,
}

/// Counts over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Requests served (every arrival is served; the data plane drops none).
    pub requests: u64,
    /// Requests that arrived (equals `requests`).
    pub arrivals: u64,
    /// Failed requests, both versions.
    pub errors: u64,
    /// Requests to blue.
    pub blue_requests: u64,
    /// Blue's failures.
    pub blue_errors: u64,
    /// Requests to green.
    pub green_requests: u64,
    /// Green's failures.
    pub green_errors: u64,
    /// Green's failures beyond what blue would have failed on the same requests (the canary's
    /// cost): `green_errors − green_requests · blue_error_rate`, at least 0.
    pub canary_errors: f64,
    /// Requests a proxy sent to green after it had applied the rollback (should be 0).
    pub green_after_rollback: u64,
}

/// What happened while the control plane was down.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    /// Start, seconds.
    pub from: f64,
    /// End (clipped to the run), seconds.
    pub to: f64,
    /// Requests that arrived during it.
    pub arrivals: u64,
    /// Requests served during it (all of them).
    pub served: u64,
    /// Failures during it.
    pub errors: u64,
    /// Requests sent to green during it.
    pub green_requests: u64,
    /// Green's failures during it.
    pub green_errors: u64,
    /// Config changes applied at proxies during it (always 0).
    pub config_changes: u32,
    /// Pushes lost in flight when the stream broke.
    pub pushes_lost: u32,
    /// Availability of the data plane during it (served and succeeded / arrived).
    pub availability: f64,
}

/// The same seed with the control plane up throughout, for comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoOutage {
    /// When the rollback was decided.
    pub rollback_at: Option<f64>,
    /// The canary's excess failures.
    pub canary_errors: f64,
    /// All failures.
    pub errors: u64,
}

/// Time series, one point per interval (at most [`MAX_POINTS`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    /// End of each interval, seconds.
    pub t: Vec<f64>,
    /// Green weight the control plane wants at that time, percent.
    pub desired: Vec<f64>,
    /// Mean green weight the proxies actually had, percent.
    pub applied: Vec<f64>,
    /// Share of the interval's requests that went to green, percent.
    pub share: Vec<Option<f64>>,
    /// Green's error rate over the analysis window, percent (what the analysis sees; `None`
    /// while the window holds fewer than `min_requests` green requests, and after a rollback
    /// in intervals where green receives no requests).
    pub green_err: Vec<Option<f64>>,
    /// Blue's error rate over the same window, percent.
    pub blue_err: Vec<Option<f64>>,
    /// Green's p99 latency over the window, ms (`None` as for `green_err`).
    pub green_p99: Vec<Option<f64>>,
    /// Blue's p99 latency over the window, ms.
    pub blue_p99: Vec<Option<f64>>,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Series interval, seconds.
    pub interval_s: f64,
    /// The series.
    pub series: TimeSeries,
    /// Every config applied at a proxy, in time order (the initial v1 at t = 0 included).
    pub applies: Vec<Apply>,
    /// Control-plane events in time order.
    pub events: Vec<Event>,
    /// Counts.
    pub totals: Totals,
    /// Share of all requests that went to green before any rollback was applied, percent.
    pub share_before_rollback: f64,
    /// Green weight configured at the start, percent.
    pub configured_green: u32,
    /// Green weight wanted at the end of the run, percent.
    pub final_green: u32,
    /// The last version the control plane decided.
    pub final_version: u64,
    /// Whether the canary, once bad, should be rolled back (breaches the analysis).
    pub canary_bad: bool,
    /// When green turned bad (if within the run and it changes anything), seconds.
    pub bad_at: Option<f64>,
    /// The rollback, if any.
    pub rollback: Option<Rollback>,
    /// Seconds from green turning bad to the rollback decision.
    pub detect_s: Option<f64>,
    /// … to the last proxy applying it.
    pub detect_applied_s: Option<f64>,
    /// The sliding-window theory for `detect_s`.
    pub detect_theory_s: Option<f64>,
    /// The outage, if any.
    pub outage: Option<Outage>,
    /// The same seed without the outage (only when there was one).
    pub no_outage: Option<NoOutage>,
    /// Availability over the whole run (successes / requests).
    pub availability: f64,
    /// Blue's expected p99 latency by the latency model, ms.
    pub blue_p99_theory: f64,
    /// Plain-language notes on the run.
    pub notes: Vec<String>,
}

/// One proxy in a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxySnap {
    /// The config version it has.
    pub version: u64,
    /// Green's weight in it.
    pub green: u32,
    /// A newer version is on its way to it.
    pub pending: Option<u64>,
    /// Requests it has served.
    pub served: u64,
    /// Of which to green.
    pub to_green: u64,
}

/// What the live view draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Simulated time, seconds.
    pub t: f64,
    /// Whether the control plane is up.
    pub cp_up: bool,
    /// The version the control plane wants everywhere.
    pub desired_version: u64,
    /// Green's weight in it.
    pub desired_green: u32,
    /// Rollout stage.
    pub stage: Stage,
    /// Whether green is failing now.
    pub green_bad: bool,
    /// The proxies.
    pub proxies: Vec<ProxySnap>,
    /// Green requests and error rate in the analysis window.
    pub window_green: (u64, Option<f64>),
    /// Green's p99 in the window, ms.
    pub window_green_p99: Option<f64>,
    /// Blue's error rate in the window.
    pub window_blue_err: Option<f64>,
    /// Requests and errors so far.
    pub requests: u64,
    /// Errors so far.
    pub errors: u64,
    /// The latest control-plane event.
    pub last_event: Option<Event>,
}

#[derive(Clone)]
struct Proxy {
    version: u64,
    green: u32,
    pending: Option<u64>,
    served: u64,
    to_green: u64,
    rolled_back: bool,
}

/// The mesh, step by step.
#[derive(Clone)]
pub struct Mesh {
    p: Params,
    now: f64,
    seq: u64,
    agenda: BinaryHeap<Scheduled<Ev>>,
    arrivals: Rng,
    route: Rng,
    backend: Rng,
    push_rng: Rng,
    proxies: Vec<Proxy>,
    cp_up: bool,
    epoch: u32,
    desired_version: u64,
    desired_green: u32,
    stage: Stage,
    step_since: f64,
    green_err: f64,
    green_lat_x: f64,
    bad_from: f64,
    win_green: Window,
    win_blue: Window,
    totals: Totals,
    applies: Vec<Apply>,
    events: Vec<Event>,
    rollback: Option<Rollback>,
    rollback_applied: u32,
    green_before_rb: (u64, u64),
    // series
    dt: f64,
    next_close: f64,
    cur: (u64, u64),
    series: TimeSeries,
    // outage accounting
    out_from: f64,
    out_to: f64,
    outage: Outage,
}

impl Mesh {
    /// A mesh at t = 0: every proxy already has version 1 (`green_weight_pct` to green).
    pub fn new(params: &Params, seed: u64) -> Mesh {
        let p = params.sanitised();
        let n = p.proxies;
        let dt = (p.duration_s / MAX_POINTS as f64).max(1.0);
        let (out_from, out_to) = if p.cp_down_s > 0.0 && p.cp_down_at_s < p.duration_s {
            (
                p.cp_down_at_s,
                (p.cp_down_at_s + p.cp_down_s).min(p.duration_s),
            )
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        let mut m = Mesh {
            now: 0.0,
            seq: 0,
            agenda: BinaryHeap::new(),
            arrivals: Rng::derive(seed, "canary-mesh/arrivals"),
            route: Rng::derive(seed, "canary-mesh/route"),
            backend: Rng::derive(seed, "canary-mesh/backend"),
            push_rng: Rng::derive(seed, "canary-mesh/push"),
            proxies: vec![
                Proxy {
                    version: 1,
                    green: p.green_weight_pct,
                    pending: None,
                    served: 0,
                    to_green: 0,
                    rolled_back: false,
                };
                n as usize
            ],
            cp_up: true,
            epoch: 0,
            desired_version: 1,
            desired_green: p.green_weight_pct,
            stage: Stage::Canary,
            step_since: 0.0,
            green_err: p.green_error_pct / 100.0,
            green_lat_x: p.green_latency_x,
            bad_from: if p.bad_at_s < p.duration_s {
                p.bad_at_s
            } else {
                f64::INFINITY
            },
            win_green: Window::new(p.window_s),
            win_blue: Window::new(p.window_s),
            totals: Totals::default(),
            applies: (0..n)
                .map(|i| Apply {
                    t: 0.0,
                    proxy: i,
                    version: 1,
                    green: p.green_weight_pct,
                })
                .collect(),
            events: vec![Event {
                t: 0.0,
                kind: "push".into(),
                text: format!(
                    "v1 in place: blue {} / green {}",
                    100 - p.green_weight_pct,
                    p.green_weight_pct
                ),
            }],
            rollback: None,
            rollback_applied: 0,
            green_before_rb: (0, 0),
            dt,
            next_close: dt,
            cur: (0, 0),
            series: TimeSeries::default(),
            out_from,
            out_to,
            outage: Outage {
                from: out_from,
                to: out_to,
                arrivals: 0,
                served: 0,
                errors: 0,
                green_requests: 0,
                green_errors: 0,
                config_changes: 0,
                pushes_lost: 0,
                availability: 1.0,
            },
            p,
        };
        let per = m.p.rate / f64::from(n);
        for i in 0..n {
            let t = m.arrivals.exp(1.0 / per);
            m.schedule(t, Ev::Arrival(i));
        }
        m.schedule(1.0, Ev::Tick);
        if m.bad_from.is_finite() && m.green_err_is_worse() {
            m.schedule(m.bad_from, Ev::Bad);
        }
        if out_from.is_finite() {
            m.schedule(out_from, Ev::CpDown);
            if out_to < m.p.duration_s {
                m.schedule(out_to, Ev::CpUp);
            }
        }
        m
    }

    fn schedule(&mut self, time: f64, item: Ev) {
        self.seq += 1;
        self.agenda.push(Scheduled {
            time,
            seq: self.seq,
            item,
        });
    }

    fn log(&mut self, kind: &str, text: String) {
        self.events.push(Event {
            t: self.now,
            kind: kind.into(),
            text,
        });
    }

    /// Push the desired config to every proxy not on it yet.
    fn push_all(&mut self) {
        let (v, g) = (self.desired_version, self.desired_green);
        let half = self.p.push_delay_ms / 2000.0;
        for i in 0..self.proxies.len() {
            if self.proxies[i].version >= v {
                continue;
            }
            let d = if half > 0.0 {
                half + self.push_rng.exp(half)
            } else {
                0.0
            };
            self.proxies[i].pending = Some(v);
            if self.now + d >= self.p.duration_s {
                continue; // arrives after the run
            }
            self.schedule(
                self.now + d,
                Ev::Push {
                    proxy: i as u32,
                    version: v,
                    green: g,
                    epoch: self.epoch,
                },
            );
        }
    }

    /// Decide a new version with green at `green` % and push it.
    fn decide(&mut self, green: u32) {
        self.desired_version += 1;
        self.desired_green = green;
        self.step_since = self.now;
        self.push_all();
    }

    fn cp_down(&mut self) {
        if !self.cp_up {
            return;
        }
        self.cp_up = false;
        self.epoch += 1;
        let mut lost = 0;
        for pr in &mut self.proxies {
            if pr.pending.take().is_some() {
                lost += 1;
            }
        }
        if self.now >= self.out_from && self.now < self.out_to {
            self.outage.pushes_lost += lost;
        }
        let extra = if lost > 0 {
            format!("; {lost} push(es) in flight lost")
        } else {
            String::new()
        };
        self.log(
            "cp_down",
            format!("control plane down: proxies keep their last config{extra}"),
        );
    }

    fn cp_restore(&mut self) {
        if self.cp_up {
            return;
        }
        self.cp_up = true;
        self.epoch += 1;
        self.log(
            "cp_up",
            format!(
                "control plane back: proxies reconnect and get v{}",
                self.desired_version
            ),
        );
        self.push_all();
    }

    fn in_outage(&self, t: f64) -> bool {
        t >= self.out_from && t < self.out_to
    }

    fn arrival(&mut self, i: u32) {
        let t = self.now;
        let idx = i as usize;
        let pr = &self.proxies[idx];
        let to_green = self.route.chance(f64::from(pr.green) / 100.0);
        let bad = to_green && t >= self.bad_from;
        let (err_p, lat_x) = if bad {
            (self.green_err, self.green_lat_x)
        } else {
            (self.p.blue_error_pct / 100.0, 1.0)
        };
        let err = self.backend.chance(err_p);
        let lat = self.p.blue_latency_ms * lat_x * (0.6 + self.backend.exp(0.4));
        let b = bucket(lat);
        let sec = libm::floor(t) as i64;
        let pr = &mut self.proxies[idx];
        pr.served += 1;
        let tt = &mut self.totals;
        tt.arrivals += 1;
        tt.requests += 1;
        tt.errors += u64::from(err);
        if to_green {
            pr.to_green += 1;
            if pr.rolled_back {
                tt.green_after_rollback += 1;
            }
            tt.green_requests += 1;
            tt.green_errors += u64::from(err);
            self.win_green.add(sec, err, b);
        } else {
            tt.blue_requests += 1;
            tt.blue_errors += u64::from(err);
            self.win_blue.add(sec, err, b);
        }
        if self.rollback_applied == 0 {
            self.green_before_rb.0 += 1;
            self.green_before_rb.1 += u64::from(to_green);
        }
        self.cur.0 += 1;
        self.cur.1 += u64::from(to_green);
        if self.in_outage(t) {
            let o = &mut self.outage;
            o.arrivals += 1;
            o.served += 1;
            o.errors += u64::from(err);
            o.green_requests += u64::from(to_green);
            o.green_errors += u64::from(to_green && err);
        }
        let per = self.p.rate / self.proxies.len() as f64;
        let next = t + self.arrivals.exp(1.0 / per);
        if next < self.p.duration_s {
            self.schedule(next, Ev::Arrival(i));
        }
    }

    fn apply(&mut self, proxy: u32, version: u64, green: u32, epoch: u32) {
        let idx = proxy as usize;
        if epoch != self.epoch || !self.cp_up {
            return; // the stream this push travelled on is gone
        }
        let pr = &mut self.proxies[idx];
        if pr.pending == Some(version) {
            pr.pending = None;
        }
        if version <= pr.version {
            return;
        }
        pr.version = version;
        pr.green = green;
        if self.in_outage(self.now) {
            self.outage.config_changes += 1;
        }
        self.applies.push(Apply {
            t: self.now,
            proxy,
            version,
            green,
        });
        if let Some(rb) = &mut self.rollback {
            if version >= rb.version {
                let pr = &mut self.proxies[idx];
                if !pr.rolled_back {
                    pr.rolled_back = true;
                    self.rollback_applied += 1;
                    if self.rollback_applied == self.proxies.len() as u32 {
                        rb.all_applied_at = Some(self.now);
                        let text = format!("all proxies on v{version}: green gets nothing");
                        self.log("applied", text);
                    }
                }
            }
        }
    }

    fn tick(&mut self) {
        let t = self.now;
        let from = libm::round(t) as i64 - i64::from(self.p.window_s);
        self.win_green.expire(from);
        self.win_blue.expire(from);
        if self.cp_up && self.stage == Stage::Canary && self.desired_green > 0 {
            let n = self.win_green.req;
            if n >= u64::from(self.p.min_requests) {
                let er = self.win_green.error_rate().unwrap_or(0.0);
                let p99 = self.win_green.p99().unwrap_or(0.0);
                let err_bad = er * 100.0 > self.p.threshold_pct;
                let lat_bad = self.p.p99_limit_ms > 0.0 && p99 > self.p.p99_limit_ms;
                if (err_bad || lat_bad) && self.p.auto_rollback {
                    let reason = if err_bad {
                        format!(
                            "green errors {:.2} % > {} % over {} requests",
                            er * 100.0,
                            self.p.threshold_pct,
                            n
                        )
                    } else {
                        format!("green p99 {:.0} ms > {} ms", p99, self.p.p99_limit_ms)
                    };
                    self.stage = Stage::RolledBack;
                    self.decide(0);
                    self.rollback = Some(Rollback {
                        decided_at: t,
                        reason: reason.clone(),
                        version: self.desired_version,
                        all_applied_at: None,
                    });
                    let v = self.desired_version;
                    self.log("rollback", format!("rollback → v{v}: {reason}"));
                } else if !err_bad
                    && !lat_bad
                    && self.p.progressive
                    && self.desired_green < 100
                    && t - self.step_since >= self.p.bake_s - 1e-9
                {
                    let next = STEPS
                        .iter()
                        .copied()
                        .find(|&s| s > self.desired_green)
                        .unwrap_or(100);
                    self.decide(next);
                    let v = self.desired_version;
                    self.log(
                        "promote",
                        format!(
                            "healthy for {} s: promote → v{v}, green {next} %",
                            self.p.bake_s
                        ),
                    );
                }
            }
        }
        let next = t + 1.0;
        if next < self.p.duration_s {
            self.schedule(next, Ev::Tick);
        }
    }

    fn green_err_is_worse(&self) -> bool {
        self.green_err > self.p.blue_error_pct / 100.0 || self.green_lat_x > 1.0
    }

    /// Close every series interval that ends at or before `t`.
    fn close_until(&mut self, t: f64) {
        while self.next_close <= t + 1e-9 && self.series.t.len() < MAX_POINTS {
            let s = &mut self.series;
            s.t.push(self.next_close);
            s.desired.push(f64::from(self.desired_green));
            let mean = self.proxies.iter().map(|p| f64::from(p.green)).sum::<f64>()
                / self.proxies.len() as f64;
            s.applied.push(libm::round(mean * 100.0) / 100.0);
            // rounded: the report stays small, and nothing is lost at the charts' resolution
            let r = |x: f64, k: f64| libm::round(x * k) / k;
            s.share.push(
                (self.cur.0 > 0).then(|| r(100.0 * self.cur.1 as f64 / self.cur.0 as f64, 100.0)),
            );
            // green as the analysis sees it: only while it has enough requests to judge, and
            // after a rollback only while proxies still send green requests (once none arrive,
            // the window only drains: its rate drifts to its oldest requests' and means nothing)
            let fed = self.rollback.is_none() || self.cur.1 > 0;
            let judged = fed && self.win_green.req >= u64::from(self.p.min_requests);
            s.green_err.push(
                self.win_green
                    .error_rate()
                    .filter(|_| judged)
                    .map(|x| r(x * 100.0, 1000.0)),
            );
            s.blue_err
                .push(self.win_blue.error_rate().map(|x| r(x * 100.0, 1000.0)));
            s.green_p99
                .push(self.win_green.p99().filter(|_| judged).map(|x| r(x, 10.0)));
            s.blue_p99.push(self.win_blue.p99().map(|x| r(x, 10.0)));
            self.cur = (0, 0);
            self.next_close += self.dt;
        }
    }

    /// Green starts failing now (the live "break the canary" button): `BREAK_ERROR_PCT` errors.
    pub fn break_canary(&mut self, now: f64) {
        let now = now.max(self.now);
        self.green_err = self.green_err.max(BREAK_ERROR_PCT / 100.0);
        if self.bad_from > now {
            self.bad_from = now;
        }
        self.events.push(Event {
            t: now,
            kind: "bad".into(),
            text: format!("green broken: {BREAK_ERROR_PCT} % errors"),
        });
    }

    /// Take the control plane down now (live button).
    pub fn kill_control_plane(&mut self, now: f64) {
        self.now = now.max(self.now);
        self.cp_down();
    }

    /// Bring the control plane back now (live button).
    pub fn restore_control_plane(&mut self, now: f64) {
        self.now = now.max(self.now);
        self.cp_restore();
    }

    /// Whether the control plane is up.
    pub fn cp_up(&self) -> bool {
        self.cp_up
    }

    /// What the live view draws.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            t: self.now,
            cp_up: self.cp_up,
            desired_version: self.desired_version,
            desired_green: self.desired_green,
            stage: self.stage,
            green_bad: self.now >= self.bad_from && self.green_err_is_worse(),
            proxies: self
                .proxies
                .iter()
                .map(|p| ProxySnap {
                    version: p.version,
                    green: p.green,
                    pending: p.pending,
                    served: p.served,
                    to_green: p.to_green,
                })
                .collect(),
            window_green: (self.win_green.req, self.win_green.error_rate()),
            window_green_p99: self.win_green.p99(),
            window_blue_err: self.win_blue.error_rate(),
            requests: self.totals.requests,
            errors: self.totals.errors,
            last_event: self.events.last().cloned(),
        }
    }

    /// Run to the end and build the report.
    pub fn finish(mut self) -> Report {
        while self.step() {}
        self.close_until(self.p.duration_s);
        let worse = self.green_err_is_worse();
        let p = &self.p;
        let tt = &mut self.totals;
        tt.canary_errors =
            (tt.green_errors as f64 - tt.green_requests as f64 * p.blue_error_pct / 100.0).max(0.0);
        let bad_at = (p.bad_at_s < p.duration_s && worse).then_some(p.bad_at_s);
        let detect_s = match (&self.rollback, bad_at) {
            (Some(rb), Some(b)) if rb.decided_at >= b => Some(rb.decided_at - b),
            _ => None,
        };
        let detect_applied_s = match (&self.rollback, bad_at) {
            (Some(rb), Some(b)) if rb.decided_at >= b => rb.all_applied_at.map(|a| a - b),
            _ => None,
        };
        let outage = self.out_from.is_finite().then(|| {
            let mut o = self.outage.clone();
            o.availability = if o.arrivals > 0 {
                1.0 - o.errors as f64 / o.arrivals as f64
            } else {
                1.0
            };
            o
        });
        let availability = if tt.requests > 0 {
            1.0 - tt.errors as f64 / tt.requests as f64
        } else {
            1.0
        };
        let share_before_rollback = if self.green_before_rb.0 > 0 {
            100.0 * self.green_before_rb.1 as f64 / self.green_before_rb.0 as f64
        } else {
            0.0
        };
        let mut notes = Vec::new();
        let canary_bad = p.canary_is_bad();
        if canary_bad && self.rollback.is_none() && p.green_weight_pct > 0 {
            if !p.auto_rollback {
                notes.push(
                    "Automatic rollback is off: the failing canary keeps its traffic to the end."
                        .into(),
                );
            } else {
                notes.push("The canary is bad but was not rolled back within the run (too few requests in the window, or the control plane down).".into());
            }
        }
        if !canary_bad && self.rollback.is_some() {
            notes.push("The canary was rolled back although its true error rate is within the threshold: a false alarm from noise in a small window.".into());
        }
        if p.threshold_pct <= p.blue_error_pct {
            notes.push("The threshold is at or below blue's own error rate: even a perfect canary will trip it.".into());
        }
        Report {
            interval_s: self.dt,
            series: self.series,
            applies: self.applies,
            events: self.events,
            totals: self.totals,
            share_before_rollback,
            configured_green: p.green_weight_pct,
            final_green: self.desired_green,
            final_version: self.desired_version,
            canary_bad,
            bad_at,
            rollback: self.rollback,
            detect_s,
            detect_applied_s,
            detect_theory_s: p.detect_theory_s(),
            outage,
            no_outage: None,
            availability,
            blue_p99_theory: p.blue_latency_ms * p99_factor(),
            notes,
        }
    }
}

impl Simulation for Mesh {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let Some(ev) = self.agenda.pop() else {
            return false;
        };
        self.close_until(ev.time.min(self.p.duration_s));
        self.now = ev.time;
        match ev.item {
            Ev::Arrival(i) => self.arrival(i),
            Ev::Push {
                proxy,
                version,
                green,
                epoch,
            } => self.apply(proxy, version, green, epoch),
            Ev::Tick => self.tick(),
            Ev::CpDown => self.cp_down(),
            Ev::CpUp => self.cp_restore(),
            Ev::Bad => {
                let text = format!(
                    "green turns bad: {} % errors, {}× latency",
                    self.p.green_error_pct, self.p.green_latency_x
                );
                self.log("bad", text);
            }
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.agenda.peek().map(|e| e.time)
    }
}

impl Model for CanaryMesh {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let mut r = Mesh::new(params, seed).finish();
        if r.outage.is_some() {
            let calm = Params {
                cp_down_s: 0.0,
                ..params.clone()
            };
            let c = Mesh::new(&calm, seed).finish();
            r.no_outage = Some(NoOutage {
                rollback_at: c.rollback.map(|rb| rb.decided_at),
                canary_errors: c.totals.canary_errors,
                errors: c.totals.errors,
            });
        }
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("share_before_rollback_pct", r.share_before_rollback),
            ("detect_s", r.detect_s.unwrap_or(f64::NAN)),
            ("canary_errors", r.totals.canary_errors),
            ("errors", r.totals.errors as f64),
            ("availability", r.availability),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params;
    use proptest::prelude::*;

    fn run(p: &Params, seed: u64) -> Report {
        CanaryMesh::run(p, seed)
    }

    fn healthy() -> Params {
        Params {
            green_error_pct: 0.5,
            ..Params::default()
        }
    }

    #[test]
    fn defaults_are_valid_and_the_books_split() {
        let (p, notices) = params::validate(Params::default());
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(p.green_weight_pct, 10);
        for k in Params::knobs() {
            assert!(
                params::get(&p, k.key).is_some(),
                "knob {} is not a field",
                k.key
            );
        }
    }

    #[test]
    fn garbage_is_clamped_with_notices() {
        let pairs: Vec<(String, String)> = [
            ("green_weight_pct", "250"),
            ("proxies", "0"),
            ("rate", "1e9"),
            ("window_s", "-3"),
            ("threshold_pct", "NaN"),
            ("cp_down_at_s", "5000"),
            ("cp_down_s", "10"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (p, notices) = params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!(p.green_weight_pct, 100);
        assert_eq!(p.proxies, 1);
        assert_eq!(p.rate, 2000.0);
        assert_eq!(p.window_s, 5);
        assert!(notices.len() >= 5, "{notices:?}");
        let r = run(&p, 3);
        assert!(r.outage.is_none(), "an outage after the end never happens");
    }

    #[test]
    fn unsanitised_params_do_not_panic() {
        let p = Params {
            rate: f64::NAN,
            proxies: 0,
            green_weight_pct: 900,
            duration_s: f64::INFINITY,
            push_delay_ms: -5.0,
            ..Params::default()
        };
        let r = run(&p, 1);
        assert!(r.totals.requests > 0);
    }

    #[test]
    fn same_seed_same_report_and_seeds_differ() {
        let p = Params {
            cp_down_s: 40.0,
            ..Params::default()
        };
        assert_eq!(run(&p, 5), run(&p, 5));
        assert_ne!(run(&p, 5).totals, run(&p, 6).totals);
    }

    #[test]
    fn the_report_round_trips_through_json_and_stays_small() {
        for p in [
            Params::default(),
            Params {
                rate: 2000.0,
                duration_s: 600.0,
                proxies: 12,
                cp_down_s: 300.0,
                progressive: true,
                ..healthy()
            },
        ] {
            let r = run(&p, 2);
            let json = serde_json::to_string(&r).unwrap();
            let back: Report = serde_json::from_str(&json).unwrap();
            assert_eq!(back.totals, r.totals);
            assert!(r.series.t.len() <= MAX_POINTS);
            assert!(json.len() < 30_000, "report is {} bytes", json.len());
        }
    }

    /// The measured share of traffic to green is the configured weight, within binomial noise
    /// (a healthy canary, so nothing rolls it back).
    #[test]
    fn green_share_matches_the_weight() {
        for w in [1u32, 10, 25, 50, 90] {
            let p = Params {
                green_weight_pct: w,
                auto_rollback: false,
                ..healthy()
            };
            let r = run(&p, 11);
            let n = r.totals.requests as f64;
            let q = f64::from(w) / 100.0;
            let sd = (q * (1.0 - q) / n).sqrt();
            let got = r.totals.green_requests as f64 / n;
            assert!((got - q).abs() < 4.0 * sd, "w {w}: share {got} over {n}");
            assert!((r.share_before_rollback / 100.0 - got).abs() < 1e-12);
        }
        // 0 and 100 are exact
        for (w, green) in [(0u32, false), (100, true)] {
            let r = run(
                &Params {
                    green_weight_pct: w,
                    auto_rollback: false,
                    ..healthy()
                },
                1,
            );
            let all = if green { r.totals.requests } else { 0 };
            assert_eq!(r.totals.green_requests, all);
        }
    }

    /// The default run: the book's 90/10 with a canary that turns bad is rolled back, after
    /// the window has seen enough requests, and then green gets nothing.
    #[test]
    fn a_bad_canary_is_rolled_back() {
        let r = run(&Params::default(), 1);
        let rb = r.rollback.as_ref().expect("rollback");
        assert!(
            rb.decided_at >= 30.0,
            "not before it turned bad: {}",
            rb.decided_at
        );
        assert!(rb.all_applied_at.unwrap() > rb.decided_at);
        assert_eq!(r.final_green, 0);
        assert_eq!(r.totals.green_after_rollback, 0);
        assert!(r.canary_bad);
        // green's curve ends once it gets no requests: a draining window's rate means nothing
        let ts = &r.series;
        let starved = (0..ts.t.len())
            .filter(|&i| ts.t[i] > rb.all_applied_at.unwrap() + 1.0 && ts.share[i] == Some(0.0))
            .collect::<Vec<_>>();
        assert!(!starved.is_empty());
        assert!(starved
            .iter()
            .all(|&i| ts.green_err[i].is_none() && ts.green_p99[i].is_none()));
        // while it is fed, the analysis's view is drawn
        let before = ts.t.iter().position(|&t| t >= rb.decided_at - 1.0).unwrap();
        assert!(ts.green_err[before].is_some());
        // a healthy canary is left alone (over a handful of seeds)
        let false_alarms = (0..10)
            .filter(|&s| run(&healthy(), s).rollback.is_some())
            .count();
        assert!(false_alarms <= 1, "{false_alarms} false alarms in 10");
    }

    #[test]
    fn no_judgement_before_min_requests() {
        // green fails from t = 0; at 10 green req/s, 400 requests take about 40 s
        let p = Params {
            bad_at_s: 0.0,
            green_error_pct: 30.0,
            min_requests: 400,
            window_s: 60,
            ..Params::default()
        };
        for seed in 0..5 {
            let r = run(&p, seed);
            let rb = r.rollback.expect("rolled back eventually");
            // the decision comes once the window holds 400 green requests: ~40 s, not before
            assert!(
                rb.decided_at >= 33.0 && rb.decided_at <= 48.0,
                "{}",
                rb.decided_at
            );
        }
        // with a tiny minimum it comes within seconds
        let r = run(
            &Params {
                min_requests: 10,
                ..p
            },
            0,
        );
        assert!(r.rollback.unwrap().decided_at <= 5.0);
    }

    #[test]
    fn no_rollback_when_disabled() {
        let r = run(
            &Params {
                auto_rollback: false,
                ..Params::default()
            },
            1,
        );
        assert!(r.rollback.is_none());
        assert_eq!(r.final_green, 10);
        assert!(!r.notes.is_empty());
    }

    #[test]
    fn a_slow_canary_is_rolled_back_on_p99() {
        let p = Params {
            green_error_pct: 0.5,
            green_latency_x: 3.0,
            ..Params::default()
        };
        let r = run(&p, 4);
        let rb = r.rollback.expect("rollback on latency");
        assert!(rb.reason.contains("p99"), "{}", rb.reason);
    }

    /// Reference: with plenty of green requests the decision comes `W·(h − b)/(g − b)` after
    /// the canary turns bad (10 s for the defaults), give or take the 1 s tick and noise.
    #[test]
    fn detection_time_matches_the_sliding_window_theory() {
        let p = Params {
            rate: 2000.0,
            green_weight_pct: 50,
            bad_at_s: 40.0,
            ..Params::default()
        };
        let theory = p.detect_theory_s().unwrap();
        assert!((theory - 10.0).abs() < 1e-12);
        for seed in 0..3 {
            let d = run(&p, seed).detect_s.unwrap();
            assert!((d - theory).abs() <= 2.0, "detect {d} vs theory {theory}");
        }
    }

    /// Reference: blue's p99 under the latency model is `L·(0.6 + 0.4 ln 100)` ≈ 2.44 L; the
    /// histogram reads it within its 6 % buckets.
    #[test]
    fn blue_p99_matches_the_latency_model() {
        let r = run(
            &Params {
                rate: 1000.0,
                ..healthy()
            },
            9,
        );
        let theory = r.blue_p99_theory;
        assert!((theory / 40.0 - 2.442).abs() < 0.001);
        let last = r.series.blue_p99.last().copied().flatten().unwrap();
        assert!((last / theory - 1.0).abs() < 0.08, "{last} vs {theory}");
    }

    /// With the control plane down from the moment the canary turns bad, the rollback waits
    /// for it to return, the data plane serves every request meanwhile, and the canary costs
    /// more errors than with the control plane up.
    #[test]
    fn outage_delays_the_rollback_but_not_the_traffic() {
        let p = Params {
            cp_down_at_s: 30.0,
            cp_down_s: 60.0,
            ..Params::default()
        };
        let r = run(&p, 1);
        let o = r.outage.clone().unwrap();
        assert_eq!(o.config_changes, 0);
        assert_eq!(o.served, o.arrivals);
        // arrivals ≈ rate × 60 s (the data plane's throughput does not dip)
        let want = p.rate * 60.0;
        assert!((o.arrivals as f64 - want).abs() < 5.0 * want.sqrt());
        let rb = r.rollback.unwrap();
        assert!(
            rb.decided_at >= 90.0 && rb.decided_at <= 91.0,
            "{}",
            rb.decided_at
        );
        let calm = r.no_outage.unwrap();
        assert!(calm.rollback_at.unwrap() < 45.0);
        assert!(r.totals.canary_errors > calm.canary_errors + 10.0);
        // blue keeps its own availability during the outage
        assert!(o.availability > 0.98);
    }

    #[test]
    fn progressive_delivery_walks_the_steps() {
        let p = Params {
            progressive: true,
            ..healthy()
        };
        let r = run(&p, 2);
        let steps: Vec<&str> = r
            .events
            .iter()
            .filter(|e| e.kind == "promote")
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(steps.len(), 3, "{steps:?}");
        assert_eq!(r.final_green, 100);
        assert_eq!(r.final_version, 4);
    }

    #[test]
    fn the_config_render_has_weights_summing_to_100() {
        for g in [0u32, 10, 37, 100, 250] {
            let y = render_config(7, g);
            assert!(y.contains("version_info: \"7\""));
            let weights: Vec<u32> = y
                .lines()
                .filter_map(|l| l.trim().strip_prefix("weight: "))
                .map(|w| w.split_whitespace().next().unwrap().parse().unwrap())
                .collect();
            assert_eq!(weights.len(), 2);
            assert_eq!(weights.iter().sum::<u32>(), 100, "{y}");
            assert_eq!(weights[1], g.min(100));
            assert!(y.contains("service_blue") && y.contains("service_green"));
        }
        assert!(render_config(1, 10).contains("weight: 90"));
    }

    #[test]
    fn live_pokes_break_kill_and_restore() {
        let mut m = Mesh::new(&healthy(), 1);
        m.advance_to(10.0);
        m.kill_control_plane(10.0);
        assert!(!m.snapshot().cp_up);
        m.break_canary(10.0);
        m.advance_to(40.0);
        let s = m.snapshot();
        assert!(s.green_bad);
        assert_eq!(s.desired_green, 10, "no rollback while down");
        assert!(s.proxies.iter().all(|p| p.green == 10));
        m.restore_control_plane(40.0);
        m.advance_to(50.0);
        let s = m.snapshot();
        assert!(s.cp_up);
        assert_eq!(s.stage, Stage::RolledBack);
        assert!(s.proxies.iter().all(|p| p.green == 0), "{:?}", s.proxies);
    }

    #[test]
    fn pushes_in_flight_are_lost_when_the_control_plane_dies() {
        // rollback decided, then the control plane dies before the slow pushes land
        let p = Params {
            push_delay_ms: 5000.0,
            cp_down_at_s: 23.0,
            cp_down_s: 30.0,
            bad_at_s: 20.0,
            green_error_pct: 40.0,
            min_requests: 20,
            ..Params::default()
        };
        let mut lost_somewhere = false;
        for seed in 0..6 {
            let r = run(&p, seed);
            let o = r.outage.unwrap();
            assert_eq!(o.config_changes, 0);
            lost_somewhere |= o.pushes_lost > 0;
            // everyone is rolled back once it returns
            let rb = r.rollback.unwrap();
            assert!(rb.all_applied_at.is_some());
        }
        assert!(lost_somewhere);
    }

    fn arb_params() -> impl Strategy<Value = Params> {
        (
            (0u32..=100, 1u32..=6, 20.0f64..300.0, 0.0f64..30.0),
            (0.0f64..60.0, 0.0f64..90.0, 0.0f64..60.0, 0u32..3000),
            (any::<bool>(), any::<bool>(), 5u32..40, 10u32..300),
            (0.5f64..5.0, 0.0f64..2000.0),
        )
            .prop_map(
                |(
                    (w, n, rate, gerr),
                    (bad, down_at, down_s, delay),
                    (auto, prog, win, minr),
                    (thr, p99),
                )| Params {
                    green_weight_pct: w,
                    proxies: n,
                    rate,
                    green_error_pct: gerr,
                    bad_at_s: bad,
                    cp_down_at_s: down_at,
                    cp_down_s: down_s,
                    push_delay_ms: f64::from(delay),
                    auto_rollback: auto,
                    progressive: prog,
                    window_s: win,
                    min_requests: minr,
                    threshold_pct: thr,
                    p99_limit_ms: p99,
                    duration_s: 90.0,
                    ..Params::default()
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Weights always sum to 100; versions never go backwards at a proxy; no config changes
        /// while the control plane is down; every request is served; after a proxy applies the
        /// rollback it sends nothing to green.
        #[test]
        fn mesh_invariants(p in arb_params(), seed in 0u64..1000) {
            let r = run(&p, seed);
            let mut last = vec![0u64; p.proxies as usize];
            let mut rolled = vec![false; p.proxies as usize];
            for a in &r.applies {
                prop_assert!(a.green <= 100);
                let y = render_config(a.version, a.green);
                let want = format!("weight: {}", 100 - a.green);
                prop_assert!(y.contains(&want));
                prop_assert!(a.version > last[a.proxy as usize], "version went backwards");
                last[a.proxy as usize] = a.version;
                if let Some(o) = &r.outage {
                    prop_assert!(!(a.t >= o.from && a.t < o.to), "config changed at {} during the outage", a.t);
                }
                if let Some(rb) = &r.rollback {
                    if a.version >= rb.version {
                        prop_assert_eq!(a.green, 0);
                        rolled[a.proxy as usize] = true;
                    }
                }
                if rolled[a.proxy as usize] {
                    prop_assert_eq!(a.green, 0, "green came back after the rollback");
                }
            }
            prop_assert_eq!(r.totals.green_after_rollback, 0);
            prop_assert_eq!(r.totals.requests, r.totals.arrivals);
            prop_assert_eq!(r.totals.requests, r.totals.blue_requests + r.totals.green_requests);
            if let Some(o) = &r.outage {
                prop_assert_eq!(o.served, o.arrivals);
                prop_assert_eq!(o.config_changes, 0);
            }
            for s in r.series.applied.iter().chain(&r.series.desired) {
                prop_assert!((0.0..=100.0).contains(s));
            }
            if !p.auto_rollback {
                prop_assert!(r.rollback.is_none());
            }
        }

        /// The live snapshot agrees with the invariants at every step.
        #[test]
        fn snapshots_are_consistent(p in arb_params(), seed in 0u64..1000) {
            let mut m = Mesh::new(&p, seed);
            let mut last: Vec<u64> = vec![1; p.proxies as usize];
            let mut t = 0.0;
            while t < 90.0 {
                t += 7.0;
                let before = m.snapshot();
                m.advance_to(t);
                let s = m.snapshot();
                for (i, pr) in s.proxies.iter().enumerate() {
                    prop_assert!(pr.version >= last[i]);
                    prop_assert!(pr.green <= 100);
                    prop_assert!(pr.to_green <= pr.served);
                    if !before.cp_up && !s.cp_up && before.proxies[i].version != pr.version {
                        // it may have changed only if the control plane came back in between
                        prop_assert!(m.events.iter().any(|e| e.kind == "cp_up" && e.t > before.t && e.t <= s.t));
                    }
                    last[i] = pr.version;
                }
            }
        }
    }
}
