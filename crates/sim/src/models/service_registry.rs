//! # Service registry (book page 29): heartbeats, a TTL sweep and phi accrual
//!
//! The page's "Try this" builds a registry in which instances `register`, then `heartbeat`;
//! a cleanup thread wakes every 5 s, marks an instance unhealthy when more than `ttl` seconds
//! have passed since its last heartbeat and drops it once `3 × ttl` have passed; `discover`
//! returns the healthy ones. This model runs exactly those rules ([`Registry`], the `ttl`
//! detector) inside a seeded discrete-event simulation of the system around them:
//!
//! - **Instances** (`instances`) register at start-up and then send a heartbeat every
//!   `heartbeat_s` (each gap drawn uniformly within ±5 % of it). Each crashes at a Poisson rate
//!   (`crash_per_hour`, per instance-hour) and, if `restart_s > 0`, comes back that long after
//!   and registers again.
//! - **The network** loses each heartbeat with probability `loss_pct` and otherwise delivers it
//!   after 20 ms plus an exponential 10 ms. Each instance's link also suffers **blips**
//!   (`blips_per_hour`, Poisson): for `blip_s` seconds every message it sends takes
//!   `blip_delay_s` to arrive (a congested link, or a long GC pause on the host). Registrations
//!   are delayed like heartbeats but never lost (an instance retries until it is registered).
//! - **The registry** sweeps every `sweep_s`. Its health rule is the book's fixed TTL
//!   (`age > ttl_s`) or the **phi-accrual** detector (Hayashibara, Défago, Yared & Katayama,
//!   2004), in the form Akka and Cassandra use: per instance, a sliding window of the last
//!   `phi_window` heartbeat inter-arrival times gives a mean μ and standard deviation σ
//!   (at least `min_std_ms`); `phi(t) = −log10(1 − F(t))` for the time `t` since the last
//!   heartbeat, with `F` the normal CDF of (μ, σ) in Akka's logistic approximation
//!   `F(y) ≈ 1 / (1 + e^{−y(1.5976 + 0.070566 y²)})`; an instance is suspected when
//!   `phi > phi_threshold`. Before two intervals have been seen, μ is the nominal heartbeat
//!   interval and σ = μ/4 (Akka's bootstrap). Under either rule an instance is removed once
//!   `age ≥ remove_multiple × ttl_s`, as in the book.
//! - **Heartbeats from removed instances.** The book's `heartbeat()` only updates instances it
//!   still holds: one removed while alive (a blip longer than `3 × ttl`) is ignored for good,
//!   although it keeps heartbeating, until it happens to restart. With `reregister` on, a
//!   heartbeat from an unknown instance registers it again (what Eureka's clients do when a
//!   heartbeat is answered with 404).
//! - **Clients** (`clients`) copy the healthy list every `refresh_s` (a client-side cache, as
//!   in Eureka's 30 s default) and send Poisson requests (`client_rps` each) to an instance
//!   drawn uniformly from their copy. A request to a crashed instance fails.
//!
//! Measured ([`Report`]): crash → marked unhealthy (detection) and crash → removed, mean, p50,
//! p99; false positives (a live instance marked unhealthy) per instance-hour; live instances
//! removed, and how long they stayed invisible; requests sent to dead instances; the share of
//! live capacity clients could see. A trade-off sweep ([`TradeoffPoint`]) replays the same
//! heartbeat arrivals against shadow registries with other TTLs and phi thresholds (always
//! with re-registration, so that each point measures the detector alone).
//!
//! What theory says, and the tests check:
//! - The TTL registry can only act at a sweep, and its clock starts at the last heartbeat, not
//!   at the crash: with a crash at a uniformly random moment and no loss, detection takes
//!   `TTL − h/2 + sweep/2` on average, anywhere in `(TTL − h, TTL + sweep]` — so it can be
//!   shorter than the TTL; what always holds is that the registry marks an instance only when
//!   more than `TTL` has passed since the heartbeat it last received.
//! - With independent loss `p` and sweeps frequent enough to catch every gap longer than the
//!   TTL, a live instance is wrongly marked whenever `L = ⌊TTL/h⌋` heartbeats in a row are
//!   lost: `(1 − p)·p^L / h` times per second.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::service_registry::{Params, ServiceRegistry};
//! let r = ServiceRegistry::run(&Params::default(), 1);
//! assert_eq!(r.book_example.healthy_at_21s, 0);
//! assert_eq!(r.book_example.host2_unhealthy_at_s, 15.0);
//! assert!(r.tradeoff.len() >= 10);
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use crate::stats::quantile_sorted;
use serde::{Deserialize, Serialize};
use std::collections::{BinaryHeap, VecDeque};

/// The service-registry model.
pub struct ServiceRegistry;

/// Health rules: `(value, label)`.
pub const DETECTORS: &[(&str, &str)] = &[("ttl", "Fixed TTL (the book's)"), ("phi", "Phi accrual")];

/// Fixed part of the one-way network delay, seconds.
pub const BASE_DELAY_S: f64 = 0.02;
/// Mean of the exponential extra delay, seconds.
pub const DELAY_JITTER_S: f64 = 0.01;
/// Heartbeat gaps are drawn uniformly within ± this fraction of the interval.
pub const HB_JITTER: f64 = 0.05;
/// Instances drawn in the report's swimlanes.
pub const LANES_MAX: usize = 12;
/// Change points kept per swimlane row (the rest of the row is cut off and marked).
pub const LANE_POINTS_MAX: usize = 120;
/// When the clients start sending (every instance has registered by then).
pub const CLIENT_START_S: f64 = 1.5;
/// TTLs of the trade-off sweep, as multiples of the heartbeat interval.
pub const SWEEP_TTL_MULTS: &[f64] = &[1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 7.0, 10.0];
/// Phi thresholds of the trade-off sweep.
pub const SWEEP_PHI: &[f64] = &[1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0];
/// How many recent requests the live snapshot keeps.
pub const RECENT: usize = 16;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// The knobs. Defaults follow the book's usage example (TTL 10 s, 3 s heartbeats, a 5 s sweep,
/// removal after 3 × TTL, the book's `heartbeat()`), on a network with a little loss and the
/// odd blip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Health rule: `ttl` (the book's) or `phi` (phi accrual).
    pub detector: String,
    /// Number of instances of the service.
    pub instances: u32,
    /// Simulated time, seconds.
    pub duration_s: f64,
    /// Heartbeat interval h, seconds.
    pub heartbeat_s: f64,
    /// TTL, seconds: unhealthy after this long without a heartbeat (ttl rule).
    pub ttl_s: f64,
    /// Removal after this many TTLs without a heartbeat (the book's 3).
    pub remove_multiple: f64,
    /// Seconds between the registry's cleanup sweeps (the book's 5).
    pub sweep_s: f64,
    /// Phi accrual: suspect when phi exceeds this.
    pub phi_threshold: f64,
    /// Phi accrual: inter-arrival times kept per instance.
    pub phi_window: u32,
    /// Phi accrual: floor of the standard deviation, milliseconds.
    pub min_std_ms: f64,
    /// A heartbeat from an instance the registry has removed registers it again (the book's
    /// code ignores it).
    pub reregister: bool,
    /// Heartbeats lost, percent (independently).
    pub loss_pct: f64,
    /// Blips per instance-hour: periods when an instance's messages are held up.
    pub blips_per_hour: f64,
    /// Length of a blip, seconds.
    pub blip_s: f64,
    /// Delay of messages sent during a blip, seconds.
    pub blip_delay_s: f64,
    /// Crashes per instance-hour (Poisson).
    pub crash_per_hour: f64,
    /// A crashed instance restarts (and registers) after this many seconds; 0 = never.
    pub restart_s: f64,
    /// Number of clients.
    pub clients: u32,
    /// Seconds between a client's refreshes of its cached instance list.
    pub refresh_s: f64,
    /// Requests per second per client (Poisson).
    pub client_rps: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            detector: "ttl".into(),
            instances: 8,
            duration_s: 600.0,
            heartbeat_s: 3.0,
            ttl_s: 10.0,
            remove_multiple: 3.0,
            sweep_s: 5.0,
            phi_threshold: 8.0,
            phi_window: 100,
            min_std_ms: 500.0,
            reregister: false,
            loss_pct: 5.0,
            blips_per_hour: 3.0,
            blip_s: 20.0,
            blip_delay_s: 12.0,
            crash_per_hour: 6.0,
            restart_s: 60.0,
            clients: 4,
            refresh_s: 30.0,
            client_rps: 5.0,
        }
    }
}

#[rustfmt::skip]
static KNOBS: &[Knob] = &[
    Knob { key: "detector", label: "Health rule", unit: "", help: "How the registry decides an instance is unhealthy: the book's fixed TTL, or phi accrual learnt from each instance's heartbeat history.", kind: KnobKind::Choice { options: DETECTORS } },
    Knob { key: "instances", label: "Instances", unit: "", help: "Instances of the service that register and heartbeat.", kind: KnobKind::Int { min: 1, max: 50, log: false } },
    Knob { key: "duration_s", label: "Simulated time", unit: "s", help: "How long the run lasts.", kind: KnobKind::Float { min: 60.0, max: 3600.0, step: 30.0, log: true } },
    Knob { key: "heartbeat_s", label: "Heartbeat interval h", unit: "s", help: "Each instance sends a heartbeat this often (±5 %).", kind: KnobKind::Float { min: 0.5, max: 60.0, step: 0.5, log: true } },
    Knob { key: "ttl_s", label: "TTL", unit: "s", help: "Unhealthy after this long without a heartbeat (TTL rule); removal counts in TTLs under both rules.", kind: KnobKind::Float { min: 1.0, max: 300.0, step: 0.5, log: true } },
    Knob { key: "remove_multiple", label: "Remove after", unit: "× TTL", help: "Drop an instance once this many TTLs have passed without a heartbeat (the book: 3).", kind: KnobKind::Float { min: 1.0, max: 10.0, step: 0.5, log: false } },
    Knob { key: "sweep_s", label: "Sweep every", unit: "s", help: "The registry's cleanup loop wakes this often (the book: 5 s).", kind: KnobKind::Float { min: 0.25, max: 60.0, step: 0.25, log: true } },
    Knob { key: "phi_threshold", label: "Phi threshold", unit: "", help: "Phi accrual suspects an instance when phi exceeds this (Akka and Cassandra default to 8).", kind: KnobKind::Float { min: 1.0, max: 16.0, step: 0.5, log: false } },
    Knob { key: "phi_window", label: "Phi window", unit: "intervals", help: "How many recent heartbeat inter-arrival times phi accrual learns from.", kind: KnobKind::Int { min: 10, max: 500, log: true } },
    Knob { key: "min_std_ms", label: "Phi minimum σ", unit: "ms", help: "Floor on the learnt standard deviation, so a perfectly regular history does not make phi hair-triggered.", kind: KnobKind::Float { min: 10.0, max: 10_000.0, step: 10.0, log: true } },
    Knob { key: "reregister", label: "Heartbeat from a removed instance re-registers it", unit: "", help: "Off: the book's heartbeat() ignores instances it has dropped. On: they are registered again (Eureka's 404 → register).", kind: KnobKind::Bool },
    Knob { key: "loss_pct", label: "Heartbeat loss", unit: "%", help: "Each heartbeat is lost with this probability.", kind: KnobKind::Float { min: 0.0, max: 50.0, step: 0.5, log: false } },
    Knob { key: "blips_per_hour", label: "Blips", unit: "per instance-hour", help: "How often an instance's link stalls (or its host pauses).", kind: KnobKind::Float { min: 0.0, max: 60.0, step: 0.5, log: false } },
    Knob { key: "blip_s", label: "Blip length", unit: "s", help: "How long a blip lasts.", kind: KnobKind::Float { min: 1.0, max: 300.0, step: 1.0, log: true } },
    Knob { key: "blip_delay_s", label: "Delay during a blip", unit: "s", help: "Messages sent during a blip take this long to arrive.", kind: KnobKind::Float { min: 0.5, max: 300.0, step: 0.5, log: true } },
    Knob { key: "crash_per_hour", label: "Crash rate", unit: "per instance-hour", help: "How often an instance crashes (Poisson).", kind: KnobKind::Float { min: 0.0, max: 60.0, step: 0.5, log: false } },
    Knob { key: "restart_s", label: "Restart after", unit: "s", help: "A crashed instance comes back and registers after this long; 0 = never.", kind: KnobKind::Float { min: 0.0, max: 600.0, step: 5.0, log: false } },
    Knob { key: "clients", label: "Clients", unit: "", help: "Clients that discover instances and send them requests.", kind: KnobKind::Int { min: 1, max: 20, log: false } },
    Knob { key: "refresh_s", label: "Client cache refresh", unit: "s", help: "A client asks the registry for the healthy list this often and uses its copy in between.", kind: KnobKind::Float { min: 1.0, max: 300.0, step: 1.0, log: true } },
    Knob { key: "client_rps", label: "Requests per client", unit: "req/s", help: "Each client's request rate (Poisson), each to a random instance of its cached list.", kind: KnobKind::Float { min: 0.1, max: 50.0, step: 0.1, log: true } },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// No cross-field rule changes values; a TTL shorter than the heartbeat interval is valid
    /// (the report explains the flapping it causes).
    fn check(&mut self, notices: &mut Vec<Notice>) {
        if !DETECTORS.iter().any(|d| d.0 == self.detector) {
            notices.push(Notice::new(
                "detector",
                format!(
                    "Health rule: unknown “{}”; using the fixed TTL",
                    self.detector
                ),
            ));
            self.detector = "ttl".into();
        }
    }
}

impl Params {
    /// A copy forced into every knob range (NaN → default), so that the public functions never
    /// misbehave on params that skipped validation.
    pub fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        Params {
            detector: if DETECTORS.iter().any(|x| x.0 == self.detector) {
                self.detector.clone()
            } else {
                d.detector.clone()
            },
            instances: self.instances.clamp(1, 50),
            duration_s: f(self.duration_s, 60.0, 3600.0, d.duration_s),
            heartbeat_s: f(self.heartbeat_s, 0.5, 60.0, d.heartbeat_s),
            ttl_s: f(self.ttl_s, 1.0, 300.0, d.ttl_s),
            remove_multiple: f(self.remove_multiple, 1.0, 10.0, d.remove_multiple),
            sweep_s: f(self.sweep_s, 0.25, 60.0, d.sweep_s),
            phi_threshold: f(self.phi_threshold, 1.0, 16.0, d.phi_threshold),
            phi_window: self.phi_window.clamp(10, 500),
            min_std_ms: f(self.min_std_ms, 10.0, 10_000.0, d.min_std_ms),
            reregister: self.reregister,
            loss_pct: f(self.loss_pct, 0.0, 50.0, d.loss_pct),
            blips_per_hour: f(self.blips_per_hour, 0.0, 60.0, d.blips_per_hour),
            blip_s: f(self.blip_s, 1.0, 300.0, d.blip_s),
            blip_delay_s: f(self.blip_delay_s, 0.5, 300.0, d.blip_delay_s),
            crash_per_hour: f(self.crash_per_hour, 0.0, 60.0, d.crash_per_hour),
            restart_s: f(self.restart_s, 0.0, 600.0, d.restart_s),
            clients: self.clients.clamp(1, 20),
            refresh_s: f(self.refresh_s, 1.0, 300.0, d.refresh_s),
            client_rps: f(self.client_rps, 0.1, 50.0, d.client_rps),
        }
    }

    fn rule(&self) -> Rule {
        if self.detector == "phi" {
            Rule::Phi(self.phi_threshold)
        } else {
            Rule::Ttl(self.ttl_s)
        }
    }

    fn registry(&self, rule: Rule, reregister: bool) -> Registry {
        Registry::new(
            rule,
            RegistryConfig {
                ttl_s: self.ttl_s,
                remove_multiple: self.remove_multiple,
                reregister,
                nominal_interval_s: self.heartbeat_s,
                window: self.phi_window,
                min_std_s: self.min_std_ms / 1000.0,
            },
            self.instances,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------------

/// A health rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// Unhealthy when more than this many seconds have passed since the last heartbeat.
    Ttl(f64),
    /// Unhealthy when phi exceeds this threshold.
    Phi(f64),
}

/// Settings of a [`Registry`] other than its health rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegistryConfig {
    /// The TTL, seconds (removal is counted in TTLs).
    pub ttl_s: f64,
    /// Removal after `remove_multiple × ttl_s` without a heartbeat.
    pub remove_multiple: f64,
    /// A heartbeat from a removed instance registers it again.
    pub reregister: bool,
    /// Nominal heartbeat interval: phi's bootstrap mean.
    pub nominal_interval_s: f64,
    /// Phi window length.
    pub window: u32,
    /// Phi's floor on σ, seconds.
    pub min_std_s: f64,
}

/// What the registry says about an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    /// Not in the registry: never registered, or removed.
    Absent,
    /// Registered and healthy: `discover` returns it.
    Healthy,
    /// Registered but marked unhealthy.
    Unhealthy,
}

/// A change the registry made at a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A healthy instance was marked unhealthy.
    Marked,
    /// An instance was removed.
    Removed,
}

/// Sliding window of heartbeat inter-arrival times with running sums.
#[derive(Clone, Debug, Default)]
struct Window {
    xs: VecDeque<f64>,
    sum: f64,
    sumsq: f64,
}

impl Window {
    fn push(&mut self, x: f64, cap: usize) {
        if self.xs.len() == cap {
            if let Some(old) = self.xs.pop_front() {
                self.sum -= old;
                self.sumsq -= old * old;
            }
        }
        self.xs.push_back(x);
        self.sum += x;
        self.sumsq += x * x;
    }
    fn clear(&mut self) {
        self.xs.clear();
        self.sum = 0.0;
        self.sumsq = 0.0;
    }
}

#[derive(Clone, Debug)]
struct Entry {
    registered: bool,
    healthy: bool,
    last_hb: f64,
    last_arrival: Option<f64>,
    win: Window,
}

/// `phi` of Akka's failure detector: `−log10(1 − F(age))` for a normal `F` with the given mean
/// and standard deviation, in Akka's logistic approximation of the normal CDF.
pub fn phi(age: f64, mean: f64, std: f64) -> f64 {
    let y = (age - mean) / std;
    let e = libm::exp(-y * (1.5976 + 0.070566 * y * y));
    if age > mean {
        -libm::log10(e / (1.0 + e))
    } else {
        -libm::log10(1.0 - 1.0 / (1.0 + e))
    }
}

/// The book's registry, for one service, with a choice of health rule.
///
/// `register` adds (or refreshes) an instance as healthy; `heartbeat` refreshes a registered
/// one (and, with `reregister`, registers an unknown one); `sweep` marks and removes;
/// `discover` lists the healthy. Times are seconds.
#[derive(Clone, Debug)]
pub struct Registry {
    rule: Rule,
    cfg: RegistryConfig,
    entries: Vec<Entry>,
}

impl Registry {
    /// An empty registry for instances `0 … n − 1`.
    pub fn new(rule: Rule, cfg: RegistryConfig, n: u32) -> Registry {
        Registry {
            rule,
            cfg,
            entries: vec![
                Entry {
                    registered: false,
                    healthy: false,
                    last_hb: 0.0,
                    last_arrival: None,
                    win: Window::default(),
                };
                n as usize
            ],
        }
    }

    /// Instance `i` registers at `now`: healthy, heartbeat clock restarted, phi history
    /// forgotten (a new incarnation).
    pub fn register(&mut self, now: f64, i: u32) {
        if let Some(e) = self.entries.get_mut(i as usize) {
            e.registered = true;
            e.healthy = true;
            e.last_hb = now;
            e.last_arrival = None;
            e.win.clear();
        }
    }

    /// A heartbeat from `i` arrives at `now`. Returns whether the registry took it.
    pub fn heartbeat(&mut self, now: f64, i: u32) -> bool {
        let cap = self.cfg.window as usize;
        let registered = match self.entries.get(i as usize) {
            Some(e) => e.registered,
            None => return false,
        };
        if !registered {
            if self.cfg.reregister {
                self.register(now, i);
                return true;
            }
            return false;
        }
        let e = &mut self.entries[i as usize];
        if let Some(a) = e.last_arrival {
            e.win.push((now - a).max(0.0), cap);
        }
        e.last_arrival = Some(now);
        e.last_hb = now;
        e.healthy = true;
        true
    }

    /// Phi of instance `i` at `now` (0 if not registered).
    pub fn phi_of(&self, i: u32, now: f64) -> f64 {
        match self.entries.get(i as usize) {
            Some(e) if e.registered => {
                let (m, s) = self.mean_std(e);
                phi(now - e.last_hb, m, s)
            }
            _ => 0.0,
        }
    }

    fn mean_std(&self, e: &Entry) -> (f64, f64) {
        let n = e.win.xs.len();
        let (m, s) = if n < 2 {
            let m = self.cfg.nominal_interval_s;
            (m, m / 4.0)
        } else {
            let m = e.win.sum / n as f64;
            let var = (e.win.sumsq / n as f64 - m * m).max(0.0);
            (m, libm::sqrt(var))
        };
        (m, s.max(self.cfg.min_std_s).max(1e-9))
    }

    fn suspect(&self, e: &Entry, age: f64) -> bool {
        match self.rule {
            Rule::Ttl(ttl) => age > ttl,
            Rule::Phi(th) => {
                let (m, s) = self.mean_std(e);
                // phi ≤ log10 2 ≈ 0.30 while age ≤ mean: below every threshold offered
                age > m && phi(age, m, s) > th
            }
        }
    }

    /// The cleanup sweep at `now`: mark unhealthy, then remove the long silent (the book's
    /// order). Changes are appended to `out` as `(instance, change)`.
    pub fn sweep(&mut self, now: f64, out: &mut Vec<(u32, Change)>) {
        let mut aged = Vec::new();
        self.sweep_aged(now, &mut aged);
        out.extend(aged.into_iter().map(|(i, c, _)| (i, c)));
    }

    /// [`Registry::sweep`], with the silence (seconds since the last heartbeat) that caused
    /// each change: `(instance, change, age)`.
    pub fn sweep_aged(&mut self, now: f64, out: &mut Vec<(u32, Change, f64)>) {
        let remove_after = self.cfg.remove_multiple * self.cfg.ttl_s;
        for i in 0..self.entries.len() {
            let e = &self.entries[i];
            if !e.registered {
                continue;
            }
            let age = now - e.last_hb;
            if e.healthy && self.suspect(e, age) {
                self.entries[i].healthy = false;
                out.push((i as u32, Change::Marked, age));
            }
            // the book keeps `now − last < ttl × 3`
            if age >= remove_after {
                self.entries[i].registered = false;
                self.entries[i].healthy = false;
                out.push((i as u32, Change::Removed, age));
            }
        }
    }

    /// What the registry says about `i`.
    pub fn view(&self, i: u32) -> View {
        match self.entries.get(i as usize) {
            Some(e) if e.registered && e.healthy => View::Healthy,
            Some(e) if e.registered => View::Unhealthy,
            _ => View::Absent,
        }
    }

    /// Time of the last heartbeat (or registration) it holds for `i`.
    pub fn last_heartbeat(&self, i: u32) -> Option<f64> {
        self.entries
            .get(i as usize)
            .filter(|e| e.registered)
            .map(|e| e.last_hb)
    }

    /// The healthy instances, in index order (the book's `discover(healthy_only=True)`).
    pub fn discover(&self) -> Vec<u32> {
        (0..self.entries.len() as u32)
            .filter(|&i| self.view(i) == View::Healthy)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The book's own usage example
// ---------------------------------------------------------------------------------------------

/// The page's usage example replayed on the book's registry (TTL 10 s, sweep every 5 s from
/// the registry's creation): both hosts register at 0 s, host1 heartbeats at 3, 6 and 9 s,
/// the script sleeps 12 s and asks for the healthy instances at 21 s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookExample {
    /// Healthy instances found right after registering (the script's first print).
    pub found_at_start: u32,
    /// Healthy instances at 21 s, the script as written (host1's heartbeats stop at 9 s too).
    pub healthy_at_21s: u32,
    /// Healthy instances at 21 s if host1 kept heartbeating every 3 s (the comment's intent).
    pub healthy_at_21s_if_host1_keeps_beating: u32,
    /// When the sweep marks host2 unhealthy, seconds.
    pub host2_unhealthy_at_s: f64,
    /// When the sweep removes host2, seconds.
    pub host2_removed_at_s: f64,
    /// When the sweep marks host1 unhealthy in the script as written, seconds.
    pub host1_unhealthy_at_s: f64,
}

/// The registry of the book's usage example: TTL 10 s, removal at 3 × TTL, the book's heartbeat
/// (no re-registration), heartbeats every 3 s.
fn book_config() -> RegistryConfig {
    RegistryConfig {
        ttl_s: 10.0,
        remove_multiple: 3.0,
        reregister: false,
        nominal_interval_s: 3.0,
        window: 100,
        min_std_s: 0.1,
    }
}

/// Replay the book's example (see [`BookExample`]).
pub fn book_example() -> BookExample {
    let run = |host1_keeps: bool| {
        let cfg = book_config();
        let mut r = Registry::new(Rule::Ttl(10.0), cfg, 2);
        r.register(0.0, 0);
        r.register(0.0, 1);
        let found = r.discover().len() as u32;
        let mut at21 = 0;
        let (mut h2_mark, mut h2_rm, mut h1_mark) = (f64::NAN, f64::NAN, f64::NAN);
        let mut out = Vec::new();
        // events every second up to 60 s: heartbeats at multiples of 3, sweeps at multiples of 5
        for t in 1..=60u32 {
            let now = f64::from(t);
            if t % 3 == 0 && (t <= 9 || host1_keeps) {
                r.heartbeat(now, 0);
            }
            if t % 5 == 0 {
                out.clear();
                r.sweep(now, &mut out);
                for &(i, c) in &out {
                    match (i, c) {
                        (1, Change::Marked) if h2_mark.is_nan() => h2_mark = now,
                        (1, Change::Removed) if h2_rm.is_nan() => h2_rm = now,
                        (0, Change::Marked) if h1_mark.is_nan() => h1_mark = now,
                        _ => {}
                    }
                }
            }
            if t == 21 {
                at21 = r.discover().len() as u32;
            }
        }
        (found, at21, h2_mark, h2_rm, h1_mark)
    };
    let (found, written, h2_mark, h2_rm, h1_mark) = run(false);
    let (_, intended, _, _, _) = run(true);
    BookExample {
        found_at_start: found,
        healthy_at_21s: written,
        healthy_at_21s_if_host1_keeps_beating: intended,
        host2_unhealthy_at_s: h2_mark,
        host2_removed_at_s: h2_rm,
        host1_unhealthy_at_s: h1_mark,
    }
}

// ---------------------------------------------------------------------------------------------
// Tallies: what a registry did, judged against the truth
// ---------------------------------------------------------------------------------------------

/// What one registry did over a run, judged against which instances were really up.
#[derive(Clone, Debug, Default)]
struct Tally {
    /// Crash time of each instance whose crash is not yet detected.
    pending: Vec<Option<f64>>,
    /// Crash time of each crashed instance not yet removed.
    pending_rm: Vec<Option<f64>>,
    detect: Vec<f64>,
    /// Seconds since the last heartbeat at each detection (TTL rule: always > TTL).
    age_at_detect: Vec<f64>,
    remove: Vec<f64>,
    crashes: u32,
    already_out: u32,
    missed: u32,
    false_positives: u32,
    live_removed: u32,
}

impl Tally {
    fn new(n: u32) -> Tally {
        Tally {
            pending: vec![None; n as usize],
            pending_rm: vec![None; n as usize],
            ..Tally::default()
        }
    }
    fn crash(&mut self, reg: &Registry, i: u32, now: f64) {
        self.crashes += 1;
        let v = reg.view(i);
        if v == View::Healthy {
            self.pending[i as usize] = Some(now);
        } else {
            self.already_out += 1;
        }
        if v != View::Absent {
            self.pending_rm[i as usize] = Some(now);
        }
    }
    fn restart(&mut self, i: u32) {
        if self.pending[i as usize].take().is_some() {
            self.missed += 1;
        }
        self.pending_rm[i as usize] = None;
    }
    fn change(&mut self, i: u32, c: Change, alive: bool, now: f64, age: f64) {
        let k = i as usize;
        if alive {
            match c {
                Change::Marked => self.false_positives += 1,
                Change::Removed => self.live_removed += 1,
            }
            return;
        }
        if let Some(t) = self.pending[k].take() {
            self.detect.push(now - t);
            self.age_at_detect.push(age);
        }
        if c == Change::Removed {
            if let Some(t) = self.pending_rm[k].take() {
                self.remove.push(now - t);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The discrete-event simulation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// Instance starts (or restarts): sends its registration.
    Start(u32),
    /// Instance sends a heartbeat (incarnation `epoch`).
    Send(u32, u32),
    /// A heartbeat (`None`) or the registration of incarnation `Some(epoch)` reaches the
    /// registry.
    Arrive(u32, Option<u32>),
    /// The live view's clock tick (no change; lets requests and integrals catch up).
    Tick,
    /// Instance crashes (if still in incarnation `epoch`).
    Crash(u32, u32),
    /// An instance's link starts a blip.
    Blip(u32),
    /// The registry's cleanup sweep.
    Sweep,
    /// A client refreshes its cached list.
    Refresh(u32),
}

#[derive(Clone, Debug)]
struct Inst {
    alive: bool,
    epoch: u32,
    blip_until: f64,
    last_sent: f64,
    /// The registration of this incarnation has reached the registry.
    reg_arrived: bool,
}

#[derive(Clone, Debug)]
struct Client {
    cache: Vec<u32>,
    next_req: f64,
}

/// One request as the live view draws it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Req {
    /// When it was sent, seconds.
    pub t: f64,
    /// Which client sent it.
    pub client: u32,
    /// Which instance it went to (`None`: the client's list was empty).
    pub instance: Option<u32>,
    /// Whether the instance was up.
    pub ok: bool,
}

/// One instance in a live snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstSnap {
    /// Really up.
    pub alive: bool,
    /// Has started at least once (before that it is neither up nor crashed).
    pub started: bool,
    /// What the registry says.
    pub view: View,
    /// Seconds since it last sent a heartbeat.
    pub since_sent: f64,
    /// Seconds since the registry last took a heartbeat from it (`None`: absent).
    pub age: Option<f64>,
    /// Phi now (phi rule; 0 otherwise or when absent).
    pub phi: f64,
    /// Its link is in a blip.
    pub blip: bool,
    /// In how many clients' cached lists it is.
    pub cached_by: u32,
}

/// Plain data for drawing the live run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Simulated time, seconds.
    pub t: f64,
    /// The instances.
    pub instances: Vec<InstSnap>,
    /// Size of each client's cached list.
    pub client_lists: Vec<u32>,
    /// The last requests, oldest first.
    pub recent: Vec<Req>,
    /// Requests sent so far.
    pub requests: u64,
    /// … of which to a crashed instance.
    pub to_dead: u64,
    /// … of which found an empty list.
    pub no_instance: u64,
    /// Crashes so far.
    pub crashes: u32,
    /// Crashes detected so far.
    pub detected: u32,
    /// Live instances marked unhealthy so far.
    pub false_positives: u32,
    /// Live instances removed so far.
    pub live_removed: u32,
    /// Last detection time, seconds.
    pub last_detect_s: Option<f64>,
}

/// Change points of one swimlane row: `(time, state)`.
pub type Points = Vec<(f64, u8)>;

/// One instance over time: truth (1 up, 0 crashed) and the registry's view (1 healthy,
/// 2 unhealthy, 0 absent), as change points starting at 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    /// Up (1) or crashed (0).
    pub truth: Points,
    /// Healthy (1), unhealthy (2), absent (0).
    pub view: Points,
    /// The rows were cut off here (too many changes to ship); `None` when complete.
    pub cut_at: Option<f64>,
}

/// The seeded discrete-event simulation of instances, network, registry and clients.
#[derive(Clone, Debug)]
pub struct World {
    p: Params,
    now: f64,
    seq: u64,
    agenda: BinaryHeap<Scheduled<Ev>>,
    insts: Vec<Inst>,
    clients: Vec<Client>,
    main: Registry,
    tally: Tally,
    shadows: Vec<(Registry, Tally)>,
    r_net: Rng,
    r_jit: Rng,
    r_crash: Rng,
    r_blip: Rng,
    r_req: Rng,
    changes: Vec<(u32, Change, f64)>,
    tick: Option<f64>,
    recent: VecDeque<Req>,
    requests: u64,
    to_dead: u64,
    no_instance: u64,
    // time integrals
    last_t: f64,
    alive_time: f64,
    visible_alive_time: f64,
    listed_time: f64,
    listed_dead_time: f64,
    invisible_live_time: f64,
    lanes: Vec<Lane>,
    record_lanes: bool,
    last_detect: Option<f64>,
}

impl World {
    /// A fresh run of `p` (sanitised) with `seed`, as the live view plays it: without the
    /// trade-off shadows and swimlanes, with a clock tick every 0.1 s so that requests are
    /// drawn as they happen.
    pub fn new(p: &Params, seed: u64) -> World {
        let mut w = World::build(p, seed, false);
        w.tick = Some(0.1);
        w.schedule(0.1, Ev::Tick);
        w
    }

    fn build(p: &Params, seed: u64, shadows: bool) -> World {
        let p = p.sanitised();
        let n = p.instances;
        let main = p.registry(p.rule(), p.reregister);
        let mut w = World {
            now: 0.0,
            seq: 0,
            agenda: BinaryHeap::new(),
            insts: vec![
                Inst {
                    alive: false,
                    epoch: 0,
                    blip_until: f64::NEG_INFINITY,
                    last_sent: f64::NEG_INFINITY,
                    reg_arrived: false,
                };
                n as usize
            ],
            clients: (0..p.clients)
                .map(|_| Client {
                    cache: Vec::new(),
                    next_req: f64::INFINITY,
                })
                .collect(),
            main,
            tally: Tally::new(n),
            shadows: Vec::new(),
            r_net: Rng::derive(seed, "network"),
            r_jit: Rng::derive(seed, "jitter"),
            r_crash: Rng::derive(seed, "crashes"),
            r_blip: Rng::derive(seed, "blips"),
            r_req: Rng::derive(seed, "requests"),
            changes: Vec::new(),
            tick: None,
            recent: VecDeque::with_capacity(RECENT),
            requests: 0,
            to_dead: 0,
            no_instance: 0,
            last_t: 0.0,
            alive_time: 0.0,
            visible_alive_time: 0.0,
            listed_time: 0.0,
            listed_dead_time: 0.0,
            invisible_live_time: 0.0,
            lanes: (0..(n as usize).min(LANES_MAX))
                .map(|_| Lane {
                    truth: vec![(0.0, 0)],
                    view: vec![(0.0, 0)],
                    cut_at: None,
                })
                .collect(),
            record_lanes: shadows,
            last_detect: None,
            p,
        };
        if shadows {
            for &m in SWEEP_TTL_MULTS {
                let ttl = (m * w.p.heartbeat_s).clamp(1.0, 300.0);
                let mut q = w.p.clone();
                q.ttl_s = ttl;
                w.shadows
                    .push((q.registry(Rule::Ttl(ttl), true), Tally::new(n)));
            }
            for &th in SWEEP_PHI {
                w.shadows
                    .push((w.p.registry(Rule::Phi(th), true), Tally::new(n)));
            }
        }
        for i in 0..n {
            let t0 = w.r_jit.uniform();
            w.schedule(t0, Ev::Start(i));
            if w.p.blips_per_hour > 0.0 {
                let t = w.r_blip.exp(3600.0 / w.p.blips_per_hour);
                w.schedule(t, Ev::Blip(i));
            }
        }
        let s = w.p.sweep_s;
        w.schedule(s, Ev::Sweep);
        for c in 0..w.p.clients {
            w.schedule(CLIENT_START_S, Ev::Refresh(c));
        }
        w
    }

    fn schedule(&mut self, time: f64, item: Ev) {
        if time > self.p.duration_s {
            return;
        }
        self.seq += 1;
        self.agenda.push(Scheduled {
            time,
            seq: self.seq,
            item,
        });
    }

    fn delay(&mut self, i: u32) -> f64 {
        let base = BASE_DELAY_S + self.r_net.exp(DELAY_JITTER_S);
        if self.now < self.insts[i as usize].blip_until {
            self.p.blip_delay_s + base
        } else {
            base
        }
    }

    fn next_crash(&mut self, i: u32) {
        if self.p.crash_per_hour > 0.0 {
            let t = self.now + self.r_crash.exp(3600.0 / self.p.crash_per_hour);
            let e = self.insts[i as usize].epoch;
            self.schedule(t, Ev::Crash(i, e));
        }
    }

    /// Integrate the time-weighted measures and serve requests up to `t`.
    fn advance_state(&mut self, t: f64) {
        let dt = t - self.last_t;
        if dt > 0.0 {
            let (mut alive, mut vis, mut listed, mut listed_dead, mut invisible) = (0, 0, 0, 0, 0);
            for (k, inst) in self.insts.iter().enumerate() {
                let v = self.main.view(k as u32);
                if inst.alive {
                    alive += 1;
                }
                if v == View::Healthy {
                    listed += 1;
                    if inst.alive {
                        vis += 1;
                    } else {
                        listed_dead += 1;
                    }
                }
                // up and registered once, yet absent: lost (not merely still registering)
                if inst.alive && inst.reg_arrived && v == View::Absent {
                    invisible += 1;
                }
            }
            self.alive_time += dt * f64::from(alive);
            self.visible_alive_time += dt * f64::from(vis);
            self.listed_time += dt * f64::from(listed);
            self.listed_dead_time += dt * f64::from(listed_dead);
            self.invisible_live_time += dt * f64::from(invisible);
            self.last_t = t;
        }
        let rate = self.p.client_rps;
        for c in 0..self.clients.len() {
            while self.clients[c].next_req <= t {
                let at = self.clients[c].next_req;
                let list = &self.clients[c].cache;
                let (instance, ok) = if list.is_empty() {
                    self.no_instance += 1;
                    (None, false)
                } else {
                    let j = list[self.r_req.below(list.len() as u64) as usize];
                    let ok = self.insts[j as usize].alive;
                    if !ok {
                        self.to_dead += 1;
                    }
                    (Some(j), ok)
                };
                self.requests += 1;
                if self.recent.len() == RECENT {
                    self.recent.pop_front();
                }
                self.recent.push_back(Req {
                    t: at,
                    client: c as u32,
                    instance,
                    ok,
                });
                self.clients[c].next_req = at + self.r_req.exp(1.0 / rate);
            }
        }
    }

    fn lane_mark(&mut self, i: u32) {
        if !self.record_lanes || i as usize >= self.lanes.len() {
            return;
        }
        let truth = u8::from(self.insts[i as usize].alive);
        let view = match self.main.view(i) {
            View::Absent => 0,
            View::Healthy => 1,
            View::Unhealthy => 2,
        };
        let t = (self.now * 100.0).round() / 100.0;
        let lane = &mut self.lanes[i as usize];
        if lane.cut_at.is_some() {
            return;
        }
        for (row, s) in [(&mut lane.truth, truth), (&mut lane.view, view)] {
            if row.last().map(|x| x.1) != Some(s) {
                row.push((t, s));
            }
        }
        if lane.truth.len() + lane.view.len() > LANE_POINTS_MAX {
            lane.cut_at = Some(t);
        }
    }

    fn all_registries<F: FnMut(&mut Registry, &mut Tally)>(&mut self, mut f: F) {
        f(&mut self.main, &mut self.tally);
        for (r, t) in self.shadows.iter_mut() {
            f(r, t);
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Start(i) => {
                let k = i as usize;
                if self.insts[k].alive {
                    return;
                }
                self.insts[k].alive = true;
                self.insts[k].reg_arrived = false;
                self.insts[k].epoch += 1;
                self.all_registries(|_, t| t.restart(i));
                let d = self.delay(i);
                let e = self.insts[k].epoch;
                self.schedule(self.now + d, Ev::Arrive(i, Some(e)));
                let g = self.gap();
                self.schedule(self.now + g, Ev::Send(i, e));
                self.next_crash(i);
                self.lane_mark(i);
            }
            Ev::Send(i, e) => {
                let k = i as usize;
                if !self.insts[k].alive || self.insts[k].epoch != e {
                    return;
                }
                self.insts[k].last_sent = self.now;
                if !self.r_net.chance(self.p.loss_pct / 100.0) {
                    let d = self.delay(i);
                    self.schedule(self.now + d, Ev::Arrive(i, None));
                }
                let g = self.gap();
                self.schedule(self.now + g, Ev::Send(i, e));
            }
            Ev::Arrive(i, reg) => {
                let now = self.now;
                let inst = &mut self.insts[i as usize];
                if reg.is_some_and(|e| e == inst.epoch && inst.alive) {
                    inst.reg_arrived = true;
                }
                self.all_registries(|r, _| {
                    if reg.is_some() {
                        r.register(now, i);
                    } else {
                        r.heartbeat(now, i);
                    }
                });
                self.lane_mark(i);
            }
            Ev::Crash(i, e) => {
                let k = i as usize;
                if !self.insts[k].alive || self.insts[k].epoch != e {
                    return;
                }
                self.crash(i);
            }
            Ev::Blip(i) => {
                let until = self.now + self.p.blip_s;
                let b = &mut self.insts[i as usize].blip_until;
                *b = b.max(until);
                let t = until + self.r_blip.exp(3600.0 / self.p.blips_per_hour.max(1e-9));
                self.schedule(t, Ev::Blip(i));
            }
            Ev::Tick => {
                if let Some(dt) = self.tick {
                    self.schedule(self.now + dt, Ev::Tick);
                }
            }
            Ev::Sweep => {
                self.sweep_all();
                let s = self.now + self.p.sweep_s;
                self.schedule(s, Ev::Sweep);
            }
            Ev::Refresh(c) => {
                let list = self.main.discover();
                let cl = &mut self.clients[c as usize];
                if cl.next_req.is_infinite() {
                    cl.next_req = self.now + self.r_req.exp(1.0 / self.p.client_rps);
                }
                cl.cache = list;
                // the first refresh is at a common moment; after it each client keeps its own
                // phase
                let next = if self.now <= CLIENT_START_S {
                    self.now + self.r_req.uniform() * self.p.refresh_s
                } else {
                    self.now + self.p.refresh_s
                };
                self.schedule(next, Ev::Refresh(c));
            }
        }
    }

    fn gap(&mut self) -> f64 {
        self.p.heartbeat_s * (1.0 + HB_JITTER * (2.0 * self.r_jit.uniform() - 1.0))
    }

    fn crash(&mut self, i: u32) {
        let k = i as usize;
        let now = self.now;
        self.insts[k].alive = false;
        self.insts[k].epoch += 1;
        self.insts[k].reg_arrived = false;
        self.all_registries(|r, t| t.crash(r, i, now));
        if self.p.restart_s > 0.0 {
            self.schedule(now + self.p.restart_s, Ev::Start(i));
        }
        self.lane_mark(i);
    }

    fn sweep_all(&mut self) {
        let now = self.now;
        let mut changes = std::mem::take(&mut self.changes);
        let detected_before = self.tally.detect.len();
        for s in 0..=self.shadows.len() {
            changes.clear();
            let (reg, tally) = if s == 0 {
                (&mut self.main, &mut self.tally)
            } else {
                let (r, t) = &mut self.shadows[s - 1];
                (r, t)
            };
            reg.sweep_aged(now, &mut changes);
            for &(i, c, age) in &changes {
                let inst = &self.insts[i as usize];
                tally.change(i, c, inst.alive && inst.reg_arrived, now, age);
            }
            if s == 0 {
                for &(i, _, _) in &changes {
                    self.lane_mark(i);
                }
            }
        }
        if self.tally.detect.len() > detected_before {
            self.last_detect = self.tally.detect.last().copied();
        }
        self.changes = changes;
    }

    /// Inject a crash now (live view): the lowest-numbered instance that is up and healthy in
    /// the registry (else any that is up). It restarts as the knobs say.
    pub fn crash_now(&mut self, t: f64) {
        self.catch_up(t);
        let n = self.insts.len() as u32;
        let pick = (0..n)
            .find(|&i| self.insts[i as usize].alive && self.main.view(i) == View::Healthy)
            .or_else(|| (0..n).find(|&i| self.insts[i as usize].alive));
        if let Some(i) = pick {
            self.crash(i);
        }
    }

    /// Inject a network-wide blip now (live view): every link holds messages for `blip_s`.
    pub fn blip_now(&mut self, t: f64) {
        self.catch_up(t);
        let until = self.now + self.p.blip_s;
        for inst in &mut self.insts {
            inst.blip_until = inst.blip_until.max(until);
        }
    }

    /// Process every event up to `t` and move the clock there.
    fn catch_up(&mut self, t: f64) {
        self.advance_to(t);
        let t = t.min(self.p.duration_s).max(self.now);
        self.advance_state(t);
        self.now = t;
    }

    /// A picture of the system now, for drawing.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_at(self.now)
    }

    /// A picture of the system with the clock at `t ≥ now` (the live view's clock runs ahead
    /// of the last event).
    pub fn snapshot_at(&self, t: f64) -> Snapshot {
        let t = t.max(self.now);
        let phi_rule = matches!(self.main.rule, Rule::Phi(_));
        Snapshot {
            t,
            instances: (0..self.insts.len() as u32)
                .map(|i| {
                    let inst = &self.insts[i as usize];
                    InstSnap {
                        alive: inst.alive,
                        started: inst.epoch > 0,
                        view: self.main.view(i),
                        since_sent: (t - inst.last_sent).min(1e9),
                        age: self.main.last_heartbeat(i).map(|h| t - h),
                        phi: if phi_rule {
                            self.main.phi_of(i, t)
                        } else {
                            0.0
                        },
                        blip: t < inst.blip_until,
                        cached_by: self.clients.iter().filter(|c| c.cache.contains(&i)).count()
                            as u32,
                    }
                })
                .collect(),
            client_lists: self.clients.iter().map(|c| c.cache.len() as u32).collect(),
            recent: self.recent.iter().copied().collect(),
            requests: self.requests,
            to_dead: self.to_dead,
            no_instance: self.no_instance,
            crashes: self.tally.crashes,
            detected: self.tally.detect.len() as u32,
            false_positives: self.tally.false_positives,
            live_removed: self.tally.live_removed,
            last_detect_s: self.last_detect,
        }
    }

    /// The registry the clients use.
    pub fn registry(&self) -> &Registry {
        &self.main
    }

    /// Whether instance `i` is really up.
    pub fn is_alive(&self, i: u32) -> bool {
        self.insts.get(i as usize).is_some_and(|x| x.alive)
    }

    /// Run every remaining event and close the books at the end time.
    pub fn run_to_end(&mut self) {
        while self.step() {}
        let end = self.p.duration_s;
        if self.now < end {
            self.advance_state(end);
            self.now = end;
        }
    }
}

impl Simulation for World {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let Some(ev) = self.agenda.pop() else {
            return false;
        };
        self.advance_state(ev.time);
        self.now = ev.time;
        self.handle(ev.item);
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.agenda.peek().map(|e| e.time)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// Mean and quantiles of a sample of times, seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Times {
    /// How many.
    pub n: u32,
    /// Mean (`None` when empty).
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Smallest.
    pub min: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

impl Times {
    fn of(xs: &[f64]) -> Times {
        if xs.is_empty() {
            return Times::default();
        }
        let mut v = xs.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
        Times {
            n: v.len() as u32,
            mean: Some(r3(v.iter().sum::<f64>() / v.len() as f64)),
            p50: Some(r3(quantile_sorted(&v, 0.5))),
            p99: Some(r3(quantile_sorted(&v, 0.99))),
            min: Some(r3(v[0])),
            max: Some(r3(v[v.len() - 1])),
        }
    }
}

/// One point of the trade-off sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeoffPoint {
    /// `ttl` or `phi`.
    pub detector: String,
    /// The TTL (s) or the phi threshold.
    pub setting: f64,
    /// Mean crash → marked time, seconds (`None`: no crash detected).
    pub detect_mean_s: Option<f64>,
    /// Crashes detected.
    pub detected: u32,
    /// False positives (live instances marked unhealthy).
    pub false_positives: u32,
    /// False positives per instance-hour.
    pub fp_per_instance_hour: f64,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The health rule of the main registry.
    pub detector: String,
    /// Instance-hours of uptime simulated.
    pub instance_hours: f64,
    /// Crashes.
    pub crashes: u32,
    /// Crashes of instances the registry already held as unhealthy or absent.
    pub already_out: u32,
    /// Crashes the registry never noticed before the instance came back.
    pub missed: u32,
    /// Crash → marked unhealthy (or removed), seconds.
    pub detect: Times,
    /// Crash → removed, seconds.
    pub removal: Times,
    /// Theory for the TTL rule without loss: `TTL − h/2 + sweep/2`, seconds.
    pub detect_theory_s: f64,
    /// Seconds since the last heartbeat when the registry marked a crashed instance: smallest.
    pub min_age_at_detect_s: Option<f64>,
    /// Live instances marked unhealthy.
    pub false_positives: u32,
    /// … per instance-hour of uptime.
    pub fp_per_instance_hour: f64,
    /// Theory for the TTL rule with independent loss only (no blips), per instance-hour.
    pub fp_theory_per_instance_hour: f64,
    /// Live instances removed.
    pub live_removed: u32,
    /// Instance-seconds that live instances, once registered, spent absent from the registry.
    pub invisible_live_s: f64,
    /// Requests sent.
    pub requests: u64,
    /// … to a crashed instance.
    pub to_dead: u64,
    /// … finding an empty list.
    pub no_instance: u64,
    /// Share of requests that reached a live instance.
    pub availability: f64,
    /// Time-average share of live instances that the registry listed as healthy.
    pub coverage: f64,
    /// Time-average share of the healthy list that was in fact crashed.
    pub dead_listed: f64,
    /// The trade-off sweep: every TTL and phi threshold on the same heartbeats.
    pub tradeoff: Vec<TradeoffPoint>,
    /// Swimlanes of the first instances.
    pub lanes: Vec<Lane>,
    /// Length of the run, seconds.
    pub duration_s: f64,
    /// The book's usage example, replayed.
    pub book_example: BookExample,
    /// Plain-language notes on this run.
    pub notes: Vec<String>,
}

/// The TTL rule's false-positive rate under independent loss `p` (no blips), per
/// instance-second: a gap of `m + 1` intervals (m losses in a row, probability `(1 − p)p^m`
/// after each arrival) longer than the TTL is caught when a sweep falls inside its overrun.
pub fn fp_rate_theory(h: f64, ttl: f64, sweep: f64, p: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    let mut total = 0.0;
    let mut pm = 1.0;
    for m in 0..2000u32 {
        let gap = h * f64::from(m + 1);
        let overrun = gap - ttl;
        if overrun > 0.0 {
            total += (1.0 - p) * pm * (overrun / sweep).min(1.0);
        }
        pm *= p;
        if pm < 1e-18 {
            break;
        }
    }
    total * (1.0 - p) / h
}

impl Model for ServiceRegistry {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let mut w = World::build(&p, seed, true);
        w.run_to_end();
        report(&p, w)
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("detect mean s", r.detect.mean.unwrap_or(f64::NAN)),
            ("detect p99 s", r.detect.p99.unwrap_or(f64::NAN)),
            ("false positives per instance-hour", r.fp_per_instance_hour),
            ("live removed", f64::from(r.live_removed)),
            ("requests to dead %", pct(r.to_dead, r.requests)),
            ("coverage %", r.coverage * 100.0),
        ]
    }
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64 * 100.0
    }
}

fn report(p: &Params, w: World) -> Report {
    let hours = w.alive_time / 3600.0;
    let per_hour = |n: u32| {
        if hours > 0.0 {
            f64::from(n) / hours
        } else {
            0.0
        }
    };
    let mut tradeoff = Vec::with_capacity(w.shadows.len());
    for (reg, t) in &w.shadows {
        let (det, setting) = match reg.rule {
            Rule::Ttl(x) => ("ttl", x),
            Rule::Phi(x) => ("phi", x),
        };
        tradeoff.push(TradeoffPoint {
            detector: det.into(),
            setting,
            detect_mean_s: Times::of(&t.detect).mean,
            detected: t.detect.len() as u32,
            false_positives: t.false_positives,
            fp_per_instance_hour: per_hour(t.false_positives),
        });
    }
    let t = &w.tally;
    let availability = if w.requests == 0 {
        0.0
    } else {
        (w.requests - w.to_dead - w.no_instance) as f64 / w.requests as f64
    };
    let mut r = Report {
        detector: p.detector.clone(),
        instance_hours: hours,
        crashes: t.crashes,
        already_out: t.already_out,
        missed: t.missed,
        detect: Times::of(&t.detect),
        removal: Times::of(&t.remove),
        detect_theory_s: p.ttl_s - p.heartbeat_s / 2.0 + p.sweep_s / 2.0,
        min_age_at_detect_s: t.age_at_detect.iter().copied().reduce(f64::min),
        false_positives: t.false_positives,
        fp_per_instance_hour: per_hour(t.false_positives),
        fp_theory_per_instance_hour: 3600.0
            * fp_rate_theory(p.heartbeat_s, p.ttl_s, p.sweep_s, p.loss_pct / 100.0),
        live_removed: t.live_removed,
        invisible_live_s: w.invisible_live_time,
        requests: w.requests,
        to_dead: w.to_dead,
        no_instance: w.no_instance,
        availability,
        coverage: if w.alive_time > 0.0 {
            w.visible_alive_time / w.alive_time
        } else {
            0.0
        },
        dead_listed: if w.listed_time > 0.0 {
            w.listed_dead_time / w.listed_time
        } else {
            0.0
        },
        tradeoff,
        lanes: w.lanes,
        duration_s: p.duration_s,
        book_example: book_example(),
        notes: Vec::new(),
    };
    r.notes = notes(p, &r);
    r
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut v = Vec::new();
    let f1 = |x: f64| format!("{x:.1}");
    if let Some(m) = r.detect.mean {
        if p.detector == "ttl" {
            v.push(format!(
                "A crash was noticed after {} s on average (range {}–{} s, {} crashes). The registry only looks every {} s and counts from the last heartbeat it received, not from the crash: expect about TTL − h/2 + sweep/2 = {} s, anywhere between TTL − h and TTL + sweep — so the book's “TTL plus up to one sweep” is an upper bound, and detection can beat the TTL.",
                f1(m),
                f1(r.detect.min.unwrap_or(0.0)),
                f1(r.detect.max.unwrap_or(0.0)),
                r.detect.n,
                p.sweep_s,
                f1(r.detect_theory_s)
            ));
        } else {
            v.push(format!(
                "Phi accrual noticed a crash after {} s on average ({} crashes): it suspects once the silence is improbable given what it has learnt about this instance's heartbeats, checked at each {} s sweep.",
                f1(m),
                r.detect.n,
                p.sweep_s
            ));
        }
    } else if r.crashes == 0 {
        v.push(
            "No instance crashed in this run: raise the crash rate or the simulated time.".into(),
        );
    }
    if p.detector == "ttl" && p.blips_per_hour == 0.0 && p.loss_pct > 0.0 {
        v.push(format!(
            "False alarms: {} per instance-hour measured; loss alone predicts {} (a live instance is marked when ⌊TTL/h⌋ = {} heartbeats in a row are lost).",
            f1(r.fp_per_instance_hour),
            f1(r.fp_theory_per_instance_hour),
            libm::floor(p.ttl_s / p.heartbeat_s)
        ));
    }
    if r.live_removed > 0 {
        if p.reregister {
            v.push(format!(
                "{} live instances were removed (silent for {} × TTL); their next heartbeat registered them again, so they were invisible for {} instance-seconds in all.",
                r.live_removed,
                p.remove_multiple,
                f1(r.invisible_live_s)
            ));
        } else {
            v.push(format!(
                "{} live instances were removed (silent for {} × TTL). The book's heartbeat() ignores instances it no longer holds, so they kept heartbeating into the void for {} instance-seconds in all, until they happened to restart. Turn on re-registration to fix it.",
                r.live_removed,
                p.remove_multiple,
                f1(r.invisible_live_s)
            ));
        }
    }
    if r.to_dead > 0 {
        v.push(format!(
            "{} of {} requests ({:.2} %) went to a crashed instance: detection time plus up to one {} s client cache refresh.",
            r.to_dead,
            r.requests,
            pct(r.to_dead, r.requests),
            p.refresh_s
        ));
    }
    if p.ttl_s < p.heartbeat_s {
        v.push("The TTL is shorter than the heartbeat interval: healthy instances flap between healthy and unhealthy at every sweep that falls between two heartbeats.".into());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quiet() -> Params {
        Params {
            loss_pct: 0.0,
            blips_per_hour: 0.0,
            crash_per_hour: 0.0,
            ..Params::default()
        }
    }

    #[test]
    fn the_books_example_replayed() {
        let b = book_example();
        assert_eq!(b.found_at_start, 2);
        // host2 silent from 0 s: age 10 at the 10 s sweep is not > 10, so it is marked at 15 s
        // (TTL + up to one sweep) and removed at 30 s (age ≥ 3 × TTL)
        assert_eq!(b.host2_unhealthy_at_s, 15.0);
        assert_eq!(b.host2_removed_at_s, 30.0);
        // as written, host1's heartbeats stop at 9 s as well: the 20 s sweep marks it
        assert_eq!(b.host1_unhealthy_at_s, 20.0);
        assert_eq!(b.healthy_at_21s, 0);
        // with host1 heartbeating on, it stays healthy
        assert_eq!(b.healthy_at_21s_if_host1_keeps_beating, 1);
    }

    #[test]
    fn books_heartbeat_ignores_removed_instances_and_the_fix_re_registers() {
        let cfg = book_config();
        let mut r = Registry::new(Rule::Ttl(10.0), cfg, 1);
        r.register(0.0, 0);
        let mut out = Vec::new();
        r.sweep(30.0, &mut out);
        assert_eq!(out, vec![(0, Change::Marked), (0, Change::Removed)]);
        assert!(!r.heartbeat(31.0, 0));
        assert_eq!(r.view(0), View::Absent);
        assert!(r.discover().is_empty());
        let mut fixed = Registry::new(
            Rule::Ttl(10.0),
            RegistryConfig {
                reregister: true,
                ..cfg
            },
            1,
        );
        fixed.register(0.0, 0);
        fixed.sweep(30.0, &mut out);
        assert!(fixed.heartbeat(31.0, 0));
        assert_eq!(fixed.discover(), vec![0]);
    }

    #[test]
    fn phi_matches_the_normal_tail() {
        // at the mean phi = log10 2; 2 σ above: 1 − Φ(2) ≈ 0.02275 → phi ≈ 1.64
        assert!((phi(3.0, 3.0, 0.5) - libm::log10(2.0)).abs() < 1e-12);
        let at2 = phi(4.0, 3.0, 0.5);
        assert!((at2 - -libm::log10(0.02275)).abs() < 0.03, "{at2}");
        // monotone in the age
        let mut last = 0.0;
        for k in 0..200 {
            let x = phi(f64::from(k) * 0.05, 3.0, 0.5);
            assert!(x >= last - 1e-12);
            last = x;
        }
        assert!(phi(100.0, 3.0, 0.5).is_infinite() || phi(100.0, 3.0, 0.5) > 100.0);
    }

    #[test]
    fn phi_learns_a_regular_history_and_suspects_a_long_silence() {
        let cfg = RegistryConfig {
            ttl_s: 10.0,
            remove_multiple: 3.0,
            reregister: false,
            nominal_interval_s: 1.0,
            window: 50,
            min_std_s: 0.1,
        };
        let mut r = Registry::new(Rule::Phi(8.0), cfg, 1);
        r.register(0.0, 0);
        for k in 1..=60 {
            r.heartbeat(f64::from(k), 0);
        }
        // mean 1 s, σ floored at 0.1 s: phi 8 is about 5.6 σ, so 1.5 s is fine, 2 s is not
        assert!(r.phi_of(0, 61.5) < 8.0);
        assert!(r.phi_of(0, 62.0) > 8.0);
        let mut out = Vec::new();
        r.sweep(61.5, &mut out);
        assert!(out.is_empty());
        r.sweep(62.0, &mut out);
        assert_eq!(out, vec![(0, Change::Marked)]);
    }

    #[test]
    fn without_loss_or_blips_no_false_positives_and_detection_matches_theory() {
        let p = Params {
            crash_per_hour: 20.0,
            instances: 40,
            duration_s: 3600.0,
            loss_pct: 0.0,
            blips_per_hour: 0.0,
            ..Params::default()
        };
        let r = ServiceRegistry::run(&p, 3);
        assert_eq!(r.false_positives, 0);
        assert_eq!(r.live_removed, 0);
        assert_eq!(r.invisible_live_s, 0.0);
        let d = &r.detect;
        assert!(d.n > 300, "{}", d.n);
        // TTL − h/2 + sweep/2 = 11 s; detection spans (TTL − h, TTL + sweep]
        let m = d.mean.unwrap_or(0.0);
        assert!((m - 11.0).abs() < 0.35, "mean {m}");
        assert!(d.min.unwrap_or(0.0) > 10.0 - 3.0 * 1.05 - 0.01);
        assert!(d.max.unwrap_or(99.0) <= 10.0 + 5.0 + 0.2);
        // the registry marked only after more than TTL of silence
        assert!(r.min_age_at_detect_s.unwrap_or(0.0) > 10.0);
        // and detection can beat the TTL (the clock starts at the last heartbeat)
        assert!(d.min.unwrap_or(99.0) < 10.0);
        // removal: the first sweep at age ≥ 30
        let rm = r.removal.mean.unwrap_or(0.0);
        assert!((rm - (30.0 - 1.5 + 2.5)).abs() < 0.5, "removal {rm}");
    }

    #[test]
    fn false_positive_rate_matches_p_to_the_l() {
        // h = 1, TTL = 2.5: two lost heartbeats in a row leave a 3 s gap; the 0.25 s sweep
        // catches every one. Rate (1 − p)·p² per second.
        let p = Params {
            instances: 50,
            duration_s: 3600.0,
            heartbeat_s: 1.0,
            ttl_s: 2.5,
            sweep_s: 0.25,
            loss_pct: 20.0,
            blips_per_hour: 0.0,
            crash_per_hour: 0.0,
            reregister: true,
            ..Params::default()
        };
        let r = ServiceRegistry::run(&p, 5);
        let want = 0.8 * 0.04 * 3600.0;
        assert!((r.fp_theory_per_instance_hour - want).abs() < 1e-9);
        let n = f64::from(r.false_positives);
        let expected = want * r.instance_hours;
        // Poisson-like count: 4 sd
        assert!(
            (n - expected).abs() < 4.0 * expected.sqrt(),
            "{n} vs {expected}"
        );
    }

    #[test]
    fn long_blips_lose_live_instances_under_the_books_heartbeat() {
        let base = Params {
            instances: 20,
            duration_s: 1800.0,
            blips_per_hour: 4.0,
            blip_s: 40.0,
            blip_delay_s: 40.0,
            crash_per_hour: 0.0,
            loss_pct: 0.0,
            ..Params::default()
        };
        let book = ServiceRegistry::run(&base, 2);
        assert!(book.live_removed > 3, "{}", book.live_removed);
        // never back: invisible for the rest of the run
        assert!(book.invisible_live_s > 1000.0, "{}", book.invisible_live_s);
        assert!(book.coverage < 0.95);
        let fixed = ServiceRegistry::run(
            &Params {
                reregister: true,
                ..base
            },
            2,
        );
        // re-registered instances can be lost again in a later blip
        assert!(fixed.live_removed >= book.live_removed);
        assert!(fixed.invisible_live_s < book.invisible_live_s / 10.0);
        assert!(fixed.coverage > book.coverage);
    }

    #[test]
    fn phi_beats_a_fixed_ttl_of_equal_false_alarms_under_blips() {
        // the trade-off points on the same heartbeats: some phi threshold detects faster than
        // every TTL that raises no more false alarms than it does
        let p = Params {
            instances: 30,
            duration_s: 3600.0,
            crash_per_hour: 10.0,
            ..Params::default()
        };
        let r = ServiceRegistry::run(&p, 1);
        let ttl: Vec<_> = r.tradeoff.iter().filter(|x| x.detector == "ttl").collect();
        let phi: Vec<_> = r.tradeoff.iter().filter(|x| x.detector == "phi").collect();
        assert_eq!(ttl.len(), SWEEP_TTL_MULTS.len());
        assert_eq!(phi.len(), SWEEP_PHI.len());
        // more TTL, fewer false alarms and slower detection
        for w in ttl.windows(2) {
            assert!(w[1].false_positives <= w[0].false_positives);
            assert!(w[1].detect_mean_s >= w[0].detect_mean_s);
        }
        for w in phi.windows(2) {
            assert!(w[1].false_positives <= w[0].false_positives);
        }
    }

    #[test]
    fn default_run_is_deterministic_and_small() {
        let a = ServiceRegistry::run(&Params::default(), 7);
        let b = ServiceRegistry::run(&Params::default(), 7);
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert!(json.len() < 20_000, "{}", json.len());
        let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.lanes.len(), 8);
        assert!(a.requests > 10_000);
        assert!(ServiceRegistry::headline(&a)
            .iter()
            .all(|(_, x)| x.is_finite()));
    }

    #[test]
    fn live_pokes_crash_and_blip() {
        let mut w = World::new(&quiet(), 1);
        w.advance_to(20.0);
        let before = w.snapshot();
        assert!(before
            .instances
            .iter()
            .all(|i| i.alive && i.view == View::Healthy));
        w.crash_now(20.0);
        let s = w.snapshot();
        assert_eq!(s.instances.iter().filter(|i| !i.alive).count(), 1);
        assert_eq!(s.crashes, 1);
        w.advance_to(40.0);
        let s = w.snapshot();
        assert_eq!(s.detected, 1);
        assert_eq!(s.instances[0].view, View::Unhealthy);
        w.blip_now(41.0);
        assert!(w.snapshot().instances.iter().all(|i| i.blip));
        // a 12 s delay on every link: all the live ones go unhealthy for a while, then back
        w.advance_to(57.0);
        let fp = w.snapshot().false_positives;
        assert!(fp >= 5, "{fp}");
        w.advance_to(75.0);
        let s = w.snapshot();
        assert!(s.instances.iter().skip(1).all(|i| i.view == View::Healthy));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// For random params and fault schedules, stepping event by event: discovery never
        /// returns an instance the registry has removed (until it registers again), removal
        /// never comes before `multiple × TTL` of silence, and the TTL rule never marks before
        /// `TTL` of silence.
        #[test]
        fn registry_invariants_hold_event_by_event(
            instances in 1u32..12,
            hb in 0.5f64..10.0,
            ttl in 1.0f64..40.0,
            mult in 1.0f64..5.0,
            sweep in 0.25f64..10.0,
            loss in 0.0f64..50.0,
            blips in 0.0f64..60.0,
            blip_s in 1.0f64..80.0,
            blip_delay in 0.5f64..80.0,
            crash in 0.0f64..60.0,
            restart in 0.0f64..100.0,
            phi_rule in any::<bool>(),
            rereg in any::<bool>(),
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                detector: if phi_rule { "phi".into() } else { "ttl".into() },
                instances, duration_s: 300.0, heartbeat_s: hb, ttl_s: ttl, remove_multiple: mult,
                sweep_s: sweep, loss_pct: loss, blips_per_hour: blips, blip_s, blip_delay_s: blip_delay,
                crash_per_hour: crash, restart_s: restart, reregister: rereg, clients: 2,
                ..Params::default()
            };
            let (p, notices) = crate::params::validate(p);
            prop_assert!(notices.is_empty());
            let mut w = World::new(&p, seed);
            let n = p.instances;
            let mut removed = vec![false; n as usize];
            let mut last: Vec<Option<f64>> = vec![None; n as usize];
            let mut views: Vec<View> = vec![View::Absent; n as usize];
            while w.step() {
                let now = w.now();
                let reg = w.registry();
                let listed = reg.discover();
                for i in 0..n {
                    let v = reg.view(i);
                    let k = i as usize;
                    // a registration or an accepted heartbeat brings it back
                    let hb = reg.last_heartbeat(i);
                    if v != View::Absent && hb != last[k] {
                        removed[k] = false;
                    }
                    if views[k] != View::Absent && v == View::Absent {
                        let age = now - last[k].unwrap_or(now);
                        prop_assert!(age >= mult * ttl - 1e-9, "removed at age {}", age);
                        removed[k] = true;
                    }
                    if views[k] == View::Healthy && v == View::Unhealthy && !phi_rule {
                        let age = now - last[k].unwrap_or(now);
                        prop_assert!(age > ttl, "marked at age {}", age);
                    }
                    if removed[k] {
                        prop_assert!(!listed.contains(&i));
                        prop_assert!(v == View::Absent);
                    }
                    views[k] = v;
                    last[k] = hb;
                }
                for &i in &listed {
                    prop_assert_eq!(reg.view(i), View::Healthy);
                }
            }
        }

        /// Whole runs: the report is finite and consistent, and bounded in size.
        #[test]
        fn reports_are_consistent(
            instances in 1u32..20,
            hb in 0.5f64..20.0,
            ttl in 1.0f64..60.0,
            loss in 0.0f64..50.0,
            crash in 0.0f64..60.0,
            restart in 0.0f64..200.0,
            blips in 0.0f64..60.0,
            phi_rule in any::<bool>(),
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                detector: if phi_rule { "phi".into() } else { "ttl".into() },
                instances, duration_s: 240.0, heartbeat_s: hb, ttl_s: ttl, loss_pct: loss,
                crash_per_hour: crash, restart_s: restart, blips_per_hour: blips,
                ..Params::default()
            };
            let r = ServiceRegistry::run(&p, seed);
            prop_assert!(r.to_dead + r.no_instance <= r.requests);
            prop_assert!((0.0..=1.0).contains(&r.availability));
            prop_assert!((0.0..=1.0 + 1e-9).contains(&r.coverage));
            prop_assert!((0.0..=1.0 + 1e-9).contains(&r.dead_listed));
            prop_assert!(r.detect.n + r.missed + r.already_out <= r.crashes);
            if !phi_rule {
                if let Some(a) = r.min_age_at_detect_s {
                    prop_assert!(a > ttl);
                }
            }
            prop_assert_eq!(r.tradeoff.len(), SWEEP_TTL_MULTS.len() + SWEEP_PHI.len());
            prop_assert!(ServiceRegistry::headline(&r).iter().all(|(k, x)| x.is_finite() || k.starts_with("detect")));
            for l in &r.lanes {
                prop_assert!(l.truth.len() + l.view.len() <= LANE_POINTS_MAX + 2);
            }
        }

        /// With no loss, no blips and heartbeats well inside the TTL, no live instance is ever
        /// marked unhealthy.
        #[test]
        fn no_faults_no_false_positives(
            hb in 0.5f64..10.0,
            slack in 1.2f64..4.0,
            sweep in 0.25f64..10.0,
            crash in 0.0f64..30.0,
            restart in 0.0f64..100.0,
            seed in 0u64..1_000_000,
        ) {
            let ttl = (hb * slack).clamp(1.0, 300.0);
            prop_assume!(ttl > hb * (1.0 + HB_JITTER) + 0.2);
            let p = Params {
                heartbeat_s: hb, ttl_s: ttl, sweep_s: sweep, loss_pct: 0.0, blips_per_hour: 0.0,
                crash_per_hour: crash, restart_s: restart, duration_s: 300.0,
                ..Params::default()
            };
            let r = ServiceRegistry::run(&p, seed);
            prop_assert_eq!(r.false_positives, 0);
            prop_assert_eq!(r.live_removed, 0);
        }
    }
}
