//! # Back-pressure chain (book page 23): bounded queues, timeouts and shedding along a call chain
//!
//! The book draws a chain `user → API gateway → service A → service B → database` and says that
//! back-pressure should flow upstream, warning against uncoordinated timeouts (an upstream timeout
//! shorter than a downstream one) and against buffer bloat (queues so large they hide overload).
//! This model makes that chain concrete as a seeded discrete-event simulation.
//!
//! ## The chain
//! Four hops `h = 0..4` (gateway, A, B, database). Hop `h` has `WORKERS[h]` workers and a FIFO
//! queue. A request at a hop first waits for a worker, then does its own local work (exponential,
//! mean `LOCAL_MS[h]`; the database's mean is `DB_WORKERS / db_capacity`, so the database serves at
//! most `db_capacity` requests per second and is the bottleneck), then calls the next hop and
//! **keeps its worker while it waits** for the answer. The database answers after its local work.
//!
//! Every call has a timeout: the caller of hop `h` gives up after `T_h` (`T_0` is the user's own
//! timeout `timeout_ms`). When a caller gives up, the failure travels upstream at once and frees
//! the caller's worker, but the callee is not told: it may keep queueing, working and calling
//! further down for a caller that is gone. All work done for a request that does not succeed for
//! the user is counted as **wasted work**.
//!
//! ## Modes
//! - `none` — no shedding: queues are unbounded (buffer bloat). Past capacity the queues grow,
//!   waits exceed the user's timeout, and the database spends its time on requests nobody awaits:
//!   goodput collapses towards zero.
//! - `shed` — load shedding: every hop's queue holds at most `queue_size`; a full queue rejects
//!   at once, and a hop drops a queued request whose caller has already given up instead of
//!   working on it (it cannot meet its deadline).
//! - `backpressure` — propagated back-pressure, credit-based: each hop grants `workers +
//!   queue_size` credits; the gateway admits a request only when every hop downstream still has
//!   a credit for it, so the bottleneck's signal reaches the edge and rejections happen there,
//!   cheaply, before any work is done. Queued requests whose caller gave up are dropped as in
//!   `shed`.
//!
//! ## Timeouts
//! `coordinated`: `T_h = U·(1 − 0.15·h)` — each hop gives up before its caller does; `equal`: all
//! `U`; `inverted` (the book's first mistake): `T_h = U·(1 + 0.5·h)` — downstream hops keep
//! waiting after the user has gone.
//!
//! ## Theory
//! Below the bottleneck capacity every mode should deliver goodput ≈ offered load; above it no
//! mode can exceed the capacity, and the difference between modes is how much of it they keep.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::backpressure_chain::{BackpressureChain, Params};
//! let p = Params { duration_s: 10.0, ..Params::default() };
//! let r = BackpressureChain::run(&p, 1);
//! assert_eq!(r.modes.len(), 3);
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use crate::stats::quantile_sorted;
use serde::{Deserialize, Serialize};
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;

/// The back-pressure chain model.
pub struct BackpressureChain;

/// Number of hops behind the user: gateway, service A, service B, database.
pub const HOPS: usize = 4;
/// Hop names, upstream first.
pub const HOP_NAMES: [&str; HOPS] = ["gateway", "service A", "service B", "database"];
/// Workers (concurrency limit) of each hop.
pub const WORKERS: [u32; HOPS] = [64, 32, 16, DB_WORKERS];
/// Workers of the database.
pub const DB_WORKERS: u32 = 8;
/// Mean local work of the hops above the database, in ms (the database's follows its capacity).
pub const LOCAL_MS: [f64; HOPS - 1] = [1.0, 5.0, 5.0];
/// Offered loads of the goodput sweep, as multiples of the database capacity.
pub const SWEEP: [f64; 10] = [0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0];
/// Most arrivals simulated per sweep point (the point's duration shrinks to keep to it).
const SWEEP_MAX_ARRIVALS: f64 = 2_500.0;
/// Most arrivals simulated in the main runs.
const MAX_ARRIVALS: f64 = 30_000.0;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

/// How the chain handles overload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Unbounded queues, no shedding.
    None,
    /// Bounded queues reject when full; expired requests are dropped at dequeue.
    Shed,
    /// Credit-based admission at the gateway; expired requests dropped at dequeue.
    Backpressure,
}

impl Mode {
    /// All modes, in display order.
    pub const ALL: [Mode; 3] = [Mode::None, Mode::Shed, Mode::Backpressure];

    /// The knob value.
    pub fn key(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Shed => "shed",
            Mode::Backpressure => "backpressure",
        }
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Mode::None => "no shedding",
            Mode::Shed => "load shedding",
            Mode::Backpressure => "back-pressure",
        }
    }
}

/// How the per-hop call timeouts relate to the user's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeoutOrder {
    /// Each hop gives up before its caller: `T_h = U·(1 − 0.15h)`.
    Coordinated,
    /// Every hop waits as long as the user: `T_h = U`.
    Equal,
    /// Downstream waits longer than upstream: `T_h = U·(1 + 0.5h)`.
    Inverted,
}

const RATE_MIN: f64 = 1.0;
const RATE_MAX: f64 = 3_000.0;
const CAP_MIN: f64 = 10.0;
const CAP_MAX: f64 = 1_000.0;
const QUEUE_MIN: u32 = 1;
const QUEUE_MAX: u32 = 1_000;
const TIMEOUT_MIN: f64 = 50.0;
const TIMEOUT_MAX: f64 = 10_000.0;
const DURATION_MIN: f64 = 2.0;
const DURATION_MAX: f64 = 120.0;

/// The knobs of the back-pressure chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Overload handling.
    pub mode: Mode,
    /// Offered load: Poisson arrivals per second at the gateway.
    pub offered_rate: f64,
    /// The database's capacity in requests per second (the chain's bottleneck).
    pub db_capacity: f64,
    /// Queue bound of each hop (ignored in `none` mode, where queues are unbounded).
    pub queue_size: u32,
    /// The user's timeout, in ms.
    pub timeout_ms: f64,
    /// How the hops' call timeouts relate to the user's.
    pub timeout_order: TimeoutOrder,
    /// Simulated seconds of arrivals (the run then drains).
    pub duration_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            mode: Mode::None,
            offered_rate: 150.0,
            db_capacity: 100.0,
            queue_size: 20,
            timeout_ms: 1000.0,
            timeout_order: TimeoutOrder::Coordinated,
            duration_s: 20.0,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "mode",
        label: "Overload handling",
        unit: "",
        help: "No shedding (unbounded queues), load shedding at every hop, or back-pressure propagated to the gateway.",
        kind: KnobKind::Choice {
            options: &[
                ("none", "no shedding"),
                ("shed", "load shedding"),
                ("backpressure", "back-pressure"),
            ],
        },
    },
    Knob {
        key: "offered_rate",
        label: "Offered load",
        unit: "req/s",
        help: "Requests per second arriving at the gateway at random (Poisson) moments.",
        kind: KnobKind::Float { min: RATE_MIN, max: RATE_MAX, step: 1.0, log: true },
    },
    Knob {
        key: "db_capacity",
        label: "Database capacity",
        unit: "req/s",
        help: "Requests per second the database (8 workers) can serve: the bottleneck of the chain.",
        kind: KnobKind::Float { min: CAP_MIN, max: CAP_MAX, step: 1.0, log: true },
    },
    Knob {
        key: "queue_size",
        label: "Queue size per hop",
        unit: "requests",
        help: "How many requests each hop may hold waiting for a worker (no-shedding mode ignores it: unbounded).",
        kind: KnobKind::Int { min: QUEUE_MIN as i64, max: QUEUE_MAX as i64, log: true },
    },
    Knob {
        key: "timeout_ms",
        label: "User timeout",
        unit: "ms",
        help: "How long the user waits for an answer; the hops' own call timeouts follow from it.",
        kind: KnobKind::Float { min: TIMEOUT_MIN, max: TIMEOUT_MAX, step: 10.0, log: true },
    },
    Knob {
        key: "timeout_order",
        label: "Hop timeouts",
        unit: "",
        help: "Coordinated: each hop gives up before its caller. Inverted: downstream waits longer than upstream (a misconfiguration).",
        kind: KnobKind::Choice {
            options: &[
                ("coordinated", "coordinated (shrinking downstream)"),
                ("equal", "all equal to the user's"),
                ("inverted", "inverted (growing downstream)"),
            ],
        },
    },
    Knob {
        key: "duration_s",
        label: "Simulated time",
        unit: "s",
        help: "Seconds of arrivals simulated; the first 10 % are warm-up and not measured.",
        kind: KnobKind::Float { min: DURATION_MIN, max: DURATION_MAX, step: 1.0, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// Long runs at high rates are shortened so that a run simulates at most 30 000 arrivals.
    fn check(&mut self, notices: &mut Vec<Notice>) {
        let max_d = (MAX_ARRIVALS / self.offered_rate.max(RATE_MIN)).max(DURATION_MIN);
        if self.duration_s > max_d {
            self.duration_s = libm::floor(max_d).max(DURATION_MIN);
            notices.push(Notice::new(
                "duration_s",
                format!(
                    "Simulated time shortened to {} s so that a run stays under {} arrivals.",
                    self.duration_s, MAX_ARRIVALS
                ),
            ));
        }
    }
}

impl Params {
    /// A copy with every field forced into range (NaN → default).
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        Params {
            mode: self.mode,
            offered_rate: f(self.offered_rate, RATE_MIN, RATE_MAX, d.offered_rate),
            db_capacity: f(self.db_capacity, CAP_MIN, CAP_MAX, d.db_capacity),
            queue_size: self.queue_size.clamp(QUEUE_MIN, QUEUE_MAX),
            timeout_ms: f(self.timeout_ms, TIMEOUT_MIN, TIMEOUT_MAX, d.timeout_ms),
            timeout_order: self.timeout_order,
            duration_s: f(self.duration_s, DURATION_MIN, DURATION_MAX, d.duration_s),
        }
    }

    /// The call timeout `T_h` of each hop, in seconds (`T_0` is the user's timeout).
    pub fn hop_timeouts_s(&self) -> [f64; HOPS] {
        let p = self.sanitised();
        let u = p.timeout_ms / 1000.0;
        let mut t = [u; HOPS];
        for (h, th) in t.iter_mut().enumerate() {
            let hf = h as f64;
            *th = match p.timeout_order {
                TimeoutOrder::Coordinated => u * (1.0 - 0.15 * hf),
                TimeoutOrder::Equal => u,
                TimeoutOrder::Inverted => u * (1.0 + 0.5 * hf),
            };
        }
        t
    }

    /// Mean local work of each hop, in seconds.
    pub fn local_means_s(&self) -> [f64; HOPS] {
        let p = self.sanitised();
        [
            LOCAL_MS[0] / 1000.0,
            LOCAL_MS[1] / 1000.0,
            LOCAL_MS[2] / 1000.0,
            f64::from(DB_WORKERS) / p.db_capacity,
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// How a request ended for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Answered within the user's timeout.
    Success,
    /// Refused by some hop (queue full, no credit, or dropped), reported before the timeout.
    Rejected,
    /// The user's timeout fired first (or a hop's call timed out and the failure came back).
    Timeout,
}

/// Where a request is at one hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Not (yet) at this hop.
    Absent,
    /// Waiting in the hop's queue.
    Queued,
    /// Holding a worker, doing local work.
    Working,
    /// Holding a worker, waiting for the next hop.
    Calling,
    /// Left the hop.
    Done,
}

#[derive(Clone, Debug)]
struct Req {
    arrived: f64,
    service: [f64; HOPS],
    /// When it entered each hop.
    entered: [f64; HOPS],
    stage: [Stage; HOPS],
    /// The caller of this hop has given up (or been answered already).
    abandoned: [bool; HOPS],
    /// Holds a back-pressure credit at this hop.
    credit: [bool; HOPS],
    /// Took a worker (and so did its local work) at this hop.
    worked: [bool; HOPS],
    outcome: Option<Outcome>,
    latency: f64,
    /// Why it failed, when a hop refused it: the hop.
    rejected_at: Option<u8>,
}

#[derive(Clone, Copy, Debug)]
enum EventKind {
    Arrival,
    LocalDone { req: u32, hop: u8 },
    CallTimeout { req: u32, hop: u8 },
}

#[derive(Clone, Debug, Default)]
struct Hop {
    workers: u32,
    bound: Option<u32>,
    busy: u32,
    queue: VecDeque<u32>,
    credits_used: u32,
    credits: u32,
    orphans_queued: u32,
    orphans_busy: u32,
    work_s: f64,
    orphan_s: f64,
    rejected: u32,
    dropped: u32,
    max_queue: u32,
    queue_area: f64,
}

/// Plain data on one hop at one instant, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopSnapshot {
    /// Requests waiting for a worker.
    pub queued: u32,
    /// Of those, requests whose caller has already given up.
    pub queued_orphans: u32,
    /// The queue bound (`None`: unbounded).
    pub bound: Option<u32>,
    /// Workers busy (local work or waiting downstream).
    pub busy: u32,
    /// Of those, workers serving a request whose caller has already given up.
    pub busy_orphans: u32,
    /// Workers in all.
    pub workers: u32,
    /// Requests refused here so far.
    pub rejected: u32,
}

/// Plain data on the whole chain at one instant, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainSnapshot {
    /// Simulated time, in seconds.
    pub t: f64,
    /// Each hop, upstream first.
    pub hops: Vec<HopSnapshot>,
    /// Requests arrived so far.
    pub arrived: u32,
    /// Requests answered in time so far.
    pub succeeded: u32,
    /// Requests refused so far.
    pub rejected: u32,
    /// Requests timed out so far.
    pub timed_out: u32,
    /// Successes in the last second of simulated time.
    pub goodput_last_s: u32,
}

/// One request's draws: the gap before it arrives, and its local work at every hop.
#[derive(Clone, Copy, Debug)]
struct Draw {
    gap: f64,
    service: [f64; HOPS],
}

/// Where a simulation's requests come from.
#[derive(Clone, Debug)]
enum Source {
    /// Drawn as the run goes: gaps from stream `"arrivals"`, local work from `"service"`.
    Live { arrivals: Rng, service: Rng },
    /// Replayed from [`record_draws`], with the next gap and work to hand out.
    Recorded {
        draws: Rc<[Draw]>,
        gaps: usize,
        services: usize,
    },
}

impl Source {
    fn live(seed: u64) -> Source {
        Source::Live {
            arrivals: Rng::derive(seed, "arrivals"),
            service: Rng::derive(seed, "service"),
        }
    }

    /// The gap to the next arrival (infinite once a recording has no more requests).
    #[inline(always)]
    fn gap(&mut self, mean: f64) -> f64 {
        match self {
            Source::Live { arrivals, .. } => arrivals.exp(mean),
            Source::Recorded { draws, gaps, .. } => {
                let g = draws.get(*gaps).map_or(f64::INFINITY, |d| d.gap);
                *gaps += 1;
                g
            }
        }
    }

    /// The local work at every hop of the request arriving now.
    #[inline(always)]
    fn service(&mut self, means: &[f64; HOPS]) -> [f64; HOPS] {
        match self {
            Source::Live { service, .. } => {
                let mut s = [0.0; HOPS];
                for (x, &m) in s.iter_mut().zip(means) {
                    *x = service.exp(m);
                }
                s
            }
            Source::Recorded {
                draws, services, ..
            } => {
                let s = draws[*services].service;
                *services += 1;
                s
            }
        }
    }
}

/// The clamped offered load and duration of a run of sanitised `p`.
fn run_size(p: &Params, rate: f64, duration: f64) -> (f64, f64) {
    let rate = if rate.is_finite() {
        rate.clamp(RATE_MIN, RATE_MAX)
    } else {
        p.offered_rate
    };
    let duration = if duration.is_finite() {
        duration.clamp(0.1, DURATION_MAX)
    } else {
        p.duration_s
    };
    (rate, duration)
}

/// Every draw a live run of sanitised `p` at `rate` for `duration` (both clamped) from `seed`
/// makes, in order: one entry per request (the gap before it and its local work), then the gap
/// that ends the arrivals. The simulation sums the gaps into arrival times itself, exactly as a
/// live run does, so a replay is bit-identical to it.
fn record_draws(p: &Params, rate: f64, duration: f64, seed: u64) -> Rc<[Draw]> {
    let (rate, duration) = run_size(p, rate, duration);
    let means = p.local_means_s();
    let mut src = Source::live(seed);
    let mut v = Vec::with_capacity((rate * duration * 1.1) as usize + 16);
    let mut t = 0.0;
    loop {
        let gap = src.gap(1.0 / rate);
        t += gap;
        if t >= duration {
            v.push(Draw {
                gap,
                service: [0.0; HOPS],
            });
            return v.into();
        }
        let service = src.service(&means);
        v.push(Draw { gap, service });
    }
}

/// A seeded discrete-event simulation of the chain.
///
/// Arrivals are Poisson (stream `"arrivals"`); each request's local work at every hop is drawn
/// when it arrives (stream `"service"`), so the same seed offers the very same requests to every
/// mode. Arrivals stop after `duration_s`; the run then drains, so it always ends.
#[derive(Clone, Debug)]
pub struct ChainSim {
    mode: Mode,
    timeouts: [f64; HOPS],
    means: [f64; HOPS],
    /// Mean work left from each hop down to the database, in seconds.
    remaining: [f64; HOPS],
    rate: f64,
    duration: f64,
    warmup: f64,
    source: Source,
    now: f64,
    seq: u64,
    /// Arrivals and local-work completions.
    events: BinaryHeap<Scheduled<EventKind>>,
    /// Call timeouts of each hop, `(time, seq, req)`: every one is set `T_h` after the
    /// (non-decreasing) current time, so each hop's are already in order and a FIFO replaces
    /// the heap for them; [`ChainSim::step`] merges the five sources by `(time, seq)`, the very
    /// order one heap of all events would give.
    timeouts_due: [VecDeque<(f64, u64, u32)>; HOPS],
    hops: [Hop; HOPS],
    /// Every request so far, by id (indexed through slices: `Vec`'s `Index` is a call at
    /// `opt-level = "z"`).
    reqs: Vec<Req>,
    recent_success: VecDeque<f64>,
    counts: [u32; 3],
    late_answers: u32,
    last_t: f64,
}

impl ChainSim {
    /// A fresh simulation of `p` at its own mode and offered load.
    pub fn new(p: &Params, seed: u64) -> ChainSim {
        let p = p.sanitised();
        ChainSim::with(&p, p.mode, p.offered_rate, p.duration_s, seed)
    }

    /// A simulation of `p` with the mode, offered load and duration overridden.
    pub fn with(p: &Params, mode: Mode, rate: f64, duration: f64, seed: u64) -> ChainSim {
        let p = p.sanitised();
        let (rate, duration) = run_size(&p, rate, duration);
        ChainSim::build(&p, mode, rate, duration, Source::live(seed))
    }

    /// [`ChainSim::with`], replaying the requests [`record_draws`] drew for the same params,
    /// offered load, duration and seed instead of drawing them again (every mode sees the very
    /// same requests, so the batch run draws them once per load).
    fn replaying(p: &Params, mode: Mode, rate: f64, duration: f64, draws: &Rc<[Draw]>) -> ChainSim {
        let (rate, duration) = run_size(p, rate, duration);
        let src = Source::Recorded {
            draws: Rc::clone(draws),
            gaps: 0,
            services: 0,
        };
        ChainSim::build(p, mode, rate, duration, src)
    }

    /// A fresh simulation of sanitised `p` at a clamped `rate` and `duration`.
    fn build(p: &Params, mode: Mode, rate: f64, duration: f64, source: Source) -> ChainSim {
        let hops = std::array::from_fn(|h| Hop {
            workers: WORKERS[h],
            bound: if mode == Mode::None {
                None
            } else {
                Some(p.queue_size)
            },
            credits: WORKERS[h] + p.queue_size,
            ..Hop::default()
        });
        let mut sim = ChainSim {
            mode,
            timeouts: p.hop_timeouts_s(),
            means: p.local_means_s(),
            remaining: {
                let m = p.local_means_s();
                let mut r = [0.0; HOPS];
                for h in 0..HOPS {
                    r[h] = m[h..].iter().sum();
                }
                r
            },
            rate,
            duration,
            warmup: duration * 0.1,
            source,
            now: 0.0,
            seq: 0,
            events: BinaryHeap::with_capacity(WORKERS.iter().sum::<u32>() as usize + 2),
            timeouts_due: Default::default(),
            hops,
            reqs: Vec::with_capacity((rate * duration * 1.1) as usize + 16),
            recent_success: VecDeque::new(),
            counts: [0; 3],
            late_answers: 0,
            last_t: 0.0,
        };
        let first = sim.source.gap(1.0 / rate);
        if first < duration {
            sim.schedule(first, EventKind::Arrival);
        }
        sim
    }

    /// Set hop `h`'s call timeout on `id`, `T_h` from now.
    fn schedule_timeout(&mut self, id: u32, h: usize) {
        self.seq += 1;
        self.timeouts_due[h].push_back((self.now + self.timeouts[h], self.seq, id));
    }

    /// Take the earliest pending event (ties by sequence number).
    fn pop_event(&mut self) -> Option<Scheduled<EventKind>> {
        // times are finite and ≥ +0, where `<` and `==` order as `total_cmp` does
        let (mut bt, mut bs, mut src) = match self.events.peek() {
            Some(e) => (e.time, e.seq, HOPS),
            None => (f64::INFINITY, u64::MAX, HOPS + 1),
        };
        for (h, q) in self.timeouts_due.iter().enumerate() {
            if let Some(&(t, s, _)) = q.front() {
                if t < bt || (t == bt && s < bs) {
                    (bt, bs, src) = (t, s, h);
                }
            }
        }
        if src > HOPS {
            return None;
        }
        if src == HOPS {
            return self.events.pop();
        }
        let (time, seq, req) = self.timeouts_due[src].pop_front()?;
        Some(Scheduled {
            time,
            seq,
            item: EventKind::CallTimeout {
                req,
                hop: src as u8,
            },
        })
    }

    fn schedule(&mut self, time: f64, kind: EventKind) {
        self.seq += 1;
        self.events.push(Scheduled {
            time,
            seq: self.seq,
            item: kind,
        });
    }

    fn on_arrival(&mut self) {
        let id = self.reqs.len() as u32;
        let service = self.source.service(&self.means);
        self.reqs.push(Req {
            arrived: self.now,
            service,
            entered: [0.0; HOPS],
            stage: [Stage::Absent; HOPS],
            abandoned: [false; HOPS],
            credit: [false; HOPS],
            worked: [false; HOPS],
            outcome: None,
            latency: 0.0,
            rejected_at: None,
        });
        let next = self.now + self.source.gap(1.0 / self.rate);
        if next < self.duration {
            self.schedule(next, EventKind::Arrival);
        }
        if self.mode == Mode::Backpressure {
            let room = self.hops.iter().all(|h| h.credits_used < h.credits);
            if !room {
                self.hops[0].rejected += 1;
                self.reqs.as_mut_slice()[id as usize].rejected_at = Some(0);
                self.user_outcome(id, Outcome::Rejected);
                return;
            }
            for h in 0..HOPS {
                self.hops[h].credits_used += 1;
                self.reqs.as_mut_slice()[id as usize].credit[h] = true;
            }
        }
        self.enter(id, 0);
    }

    /// Request `id` arrives at hop `h`, called by hop `h − 1` (or the user).
    fn enter(&mut self, id: u32, h: usize) {
        self.reqs.as_mut_slice()[id as usize].entered[h] = self.now;
        let hop = &self.hops[h];
        if hop.busy < hop.workers {
            self.schedule_timeout(id, h);
            self.start(id, h);
        } else if hop.bound.is_none_or(|b| (hop.queue.len() as u32) < b) {
            self.schedule_timeout(id, h);
            let hop = &mut self.hops[h];
            hop.queue.push_back(id);
            hop.max_queue = hop.max_queue.max(hop.queue.len() as u32);
            self.reqs.as_mut_slice()[id as usize].stage[h] = Stage::Queued;
        } else {
            self.hops[h].rejected += 1;
            let r = &mut self.reqs.as_mut_slice()[id as usize];
            r.stage[h] = Stage::Done;
            if r.rejected_at.is_none() {
                r.rejected_at = Some(h as u8);
            }
            self.release_credits_from(id, h);
            self.answer(id, h, Outcome::Rejected);
        }
    }

    /// Put `id` on a worker of hop `h` now.
    fn start(&mut self, id: u32, h: usize) {
        self.hops[h].busy += 1;
        let r = &mut self.reqs.as_mut_slice()[id as usize];
        r.stage[h] = Stage::Working;
        r.worked[h] = true;
        let orphan = r.abandoned[h];
        let done = self.now + r.service[h];
        self.schedule(
            done,
            EventKind::LocalDone {
                req: id,
                hop: h as u8,
            },
        );
        if orphan {
            self.hops[h].orphans_busy += 1;
        }
    }

    /// Give freed workers of hop `h` to the queue, dropping expired requests where the mode says.
    fn pull(&mut self, h: usize) {
        while self.hops[h].busy < self.hops[h].workers {
            let Some(id) = self.hops[h].queue.pop_front() else {
                break;
            };
            if self.reqs.as_slice()[id as usize].abandoned[h] {
                self.hops[h].orphans_queued -= 1;
            }
            let r = &self.reqs.as_slice()[id as usize];
            let hopeless =
                r.abandoned[h] || self.now + self.remaining[h] > r.entered[h] + self.timeouts[h];
            if self.mode != Mode::None && hopeless {
                // the caller has gone, or will before the work can be done: shed it
                self.hops[h].dropped += 1;
                let r = &mut self.reqs.as_mut_slice()[id as usize];
                r.stage[h] = Stage::Done;
                if r.rejected_at.is_none() {
                    r.rejected_at = Some(h as u8);
                }
                self.release_credits_from(id, h);
                self.answer(id, h, Outcome::Rejected);
                continue;
            }
            self.start(id, h);
        }
    }

    /// Return the credits `id` still holds at hop `h` and every hop below it (it will not reach
    /// them, or has left them).
    fn release_credits_from(&mut self, id: u32, h: usize) {
        for k in h..HOPS {
            let r = &mut self.reqs.as_mut_slice()[id as usize];
            if r.credit[k] && matches!(r.stage[k], Stage::Absent | Stage::Done) {
                r.credit[k] = false;
                self.hops[k].credits_used -= 1;
            }
        }
    }

    fn on_local_done(&mut self, id: u32, h: usize) {
        let s = self.reqs.as_slice()[id as usize].service[h];
        self.hops[h].work_s += s;
        if self.reqs.as_slice()[id as usize].abandoned[h] {
            self.hops[h].orphan_s += s;
        }
        if h + 1 < HOPS {
            self.reqs.as_mut_slice()[id as usize].stage[h] = Stage::Calling;
            self.enter(id, h + 1);
        } else {
            self.finish(id, h, Outcome::Success);
        }
    }

    /// Hop `h` is done with `id` (answer in hand, or its own call timed out): free the worker,
    /// and answer the caller if it still waits.
    fn finish(&mut self, id: u32, h: usize, result: Outcome) {
        self.hops[h].busy -= 1;
        if self.reqs.as_slice()[id as usize].abandoned[h] {
            self.hops[h].orphans_busy -= 1;
        }
        self.reqs.as_mut_slice()[id as usize].stage[h] = Stage::Done;
        self.release_credits_from(id, h);
        self.answer(id, h, result);
        self.pull(h);
    }

    /// Hop `h`'s answer for `id` goes to its caller, unless the caller has given up.
    fn answer(&mut self, id: u32, h: usize, result: Outcome) {
        if self.reqs.as_slice()[id as usize].abandoned[h] {
            if h == 0 {
                self.late_answers += 1;
            }
            return;
        }
        self.reqs.as_mut_slice()[id as usize].abandoned[h] = true;
        if h == 0 {
            self.user_outcome(id, result);
        } else {
            self.finish(id, h - 1, result);
        }
    }

    fn on_call_timeout(&mut self, id: u32, h: usize) {
        let r = &self.reqs.as_slice()[id as usize];
        if r.abandoned[h] || r.stage[h] == Stage::Done {
            return;
        }
        match r.stage[h] {
            Stage::Queued => self.hops[h].orphans_queued += 1,
            Stage::Working | Stage::Calling => self.hops[h].orphans_busy += 1,
            Stage::Absent | Stage::Done => {}
        }
        self.reqs.as_mut_slice()[id as usize].abandoned[h] = true;
        if h == 0 {
            self.user_outcome(id, Outcome::Timeout);
        } else {
            self.finish(id, h - 1, Outcome::Timeout);
        }
    }

    fn user_outcome(&mut self, id: u32, o: Outcome) {
        let now = self.now;
        let r = &mut self.reqs.as_mut_slice()[id as usize];
        if r.outcome.is_some() {
            return;
        }
        r.outcome = Some(o);
        r.latency = now - r.arrived;
        self.counts[o as usize] += 1;
        if o == Outcome::Success {
            self.recent_success.push_back(now);
        }
    }

    /// A snapshot for drawing.
    pub fn snapshot(&self) -> ChainSnapshot {
        let hops = self
            .hops
            .iter()
            .map(|hop| HopSnapshot {
                queued: hop.queue.len() as u32,
                queued_orphans: hop.orphans_queued,
                bound: hop.bound,
                busy: hop.busy,
                busy_orphans: hop.orphans_busy,
                workers: hop.workers,
                rejected: hop.rejected + hop.dropped,
            })
            .collect();
        let since = self.now - 1.0;
        ChainSnapshot {
            t: self.now,
            hops,
            arrived: self.reqs.len() as u32,
            succeeded: self.counts[Outcome::Success as usize],
            rejected: self.counts[Outcome::Rejected as usize],
            timed_out: self.counts[Outcome::Timeout as usize],
            goodput_last_s: self.recent_success.iter().filter(|&&t| t > since).count() as u32,
        }
    }

    /// Measure the finished (or current) run.
    pub fn measure(&self) -> ModeRun {
        let window = (self.duration - self.warmup).max(1e-9);
        let mut offered = 0u32;
        let mut counts = [0u32; 3];
        let mut lat: Vec<f64> = Vec::new();
        let mut rejected_at = [0u32; HOPS];
        for r in &self.reqs {
            if r.arrived < self.warmup {
                continue;
            }
            offered += 1;
            if let Some(o) = r.outcome {
                counts[o as usize] += 1;
                if o == Outcome::Success {
                    lat.push(r.latency * 1000.0);
                }
                if o == Outcome::Rejected {
                    if let Some(h) = r.rejected_at {
                        rejected_at[h as usize] += 1;
                    }
                }
            }
        }
        lat.sort_unstable_by(f64::total_cmp);
        let q = |x: f64| {
            if lat.is_empty() {
                None
            } else {
                Some(quantile_sorted(&lat, x))
            }
        };
        // wasted work: all work on requests that did not succeed for the user
        let mut wasted = [0.0f64; HOPS];
        for r in &self.reqs {
            if r.outcome != Some(Outcome::Success) {
                for (h, w) in wasted.iter_mut().enumerate() {
                    if r.worked[h] {
                        *w += r.service[h];
                    }
                }
            }
        }
        let n = f64::from(offered.max(1));
        let hops = (0..HOPS)
            .map(|h| {
                let hop = &self.hops[h];
                HopRun {
                    name: HOP_NAMES[h].to_string(),
                    workers: hop.workers,
                    timeout_ms: self.timeouts[h] * 1000.0,
                    max_queue: hop.max_queue,
                    mean_queue: hop.queue_area / self.last_t.max(1e-9),
                    rejected: hop.rejected,
                    dropped: hop.dropped,
                    work_s: hop.work_s,
                    wasted_share: if hop.work_s > 0.0 {
                        (wasted[h] / hop.work_s).min(1.0)
                    } else {
                        0.0
                    },
                    orphan_share: if hop.work_s > 0.0 {
                        hop.orphan_s / hop.work_s
                    } else {
                        0.0
                    },
                    rejected_measured: rejected_at[h],
                }
            })
            .collect();
        ModeRun {
            mode: self.mode,
            offered_rate: self.rate,
            arrivals: offered,
            measured_rate: f64::from(offered) / window,
            goodput: f64::from(counts[0]) / window,
            success_share: f64::from(counts[0]) / n,
            rejected_share: f64::from(counts[1]) / n,
            timeout_share: f64::from(counts[2]) / n,
            p50_ms: q(0.5),
            p99_ms: q(0.99),
            late_answers: self.late_answers,
            hops,
        }
    }

    /// Run to the end.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// Every request has an outcome once the run is over.
    pub fn all_ended(&self) -> bool {
        self.reqs.iter().all(|r| r.outcome.is_some())
    }

    /// Requests arrived so far.
    pub fn arrived(&self) -> u32 {
        self.reqs.len() as u32
    }

    /// Longest queue seen at each hop, and its bound.
    pub fn queue_peaks(&self) -> Vec<(u32, Option<u32>)> {
        self.hops.iter().map(|h| (h.max_queue, h.bound)).collect()
    }

    /// The outcome counts so far: success, rejected, timeout.
    pub fn outcome_counts(&self) -> [u32; 3] {
        self.counts
    }

    /// Simulated seconds of arrivals.
    pub fn duration(&self) -> f64 {
        self.duration
    }
}

impl Simulation for ChainSim {
    fn now(&self) -> f64 {
        self.now
    }

    fn step(&mut self) -> bool {
        let Some(ev) = self.pop_event() else {
            return false;
        };
        let dt = ev.time - self.last_t;
        for hop in &mut self.hops {
            hop.queue_area += hop.queue.len() as f64 * dt;
        }
        self.last_t = ev.time;
        self.now = ev.time;
        while self
            .recent_success
            .front()
            .is_some_and(|&t| t <= self.now - 1.0)
        {
            self.recent_success.pop_front();
        }
        match ev.item {
            EventKind::Arrival => self.on_arrival(),
            EventKind::LocalDone { req, hop } => self.on_local_done(req, hop as usize),
            EventKind::CallTimeout { req, hop } => self.on_call_timeout(req, hop as usize),
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        let heap = self.events.peek().map(|e| e.time);
        self.timeouts_due
            .iter()
            .filter_map(|q| q.front().map(|e| e.0))
            .chain(heap)
            .min_by(f64::total_cmp)
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// What one run measured at one hop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopRun {
    /// The hop's name.
    pub name: String,
    /// Its workers.
    pub workers: u32,
    /// Its caller's timeout on it, in ms.
    pub timeout_ms: f64,
    /// Longest queue seen.
    pub max_queue: u32,
    /// Time-average queue length.
    pub mean_queue: f64,
    /// Requests refused here because the queue was full (whole run).
    pub rejected: u32,
    /// Queued requests dropped here because their caller had given up (whole run).
    pub dropped: u32,
    /// Seconds of local work done here (whole run).
    pub work_s: f64,
    /// Share of that work spent on requests that did not succeed for the user.
    pub wasted_share: f64,
    /// Share of that work done after the hop's caller had already given up.
    pub orphan_share: f64,
    /// Measured requests whose rejection happened here.
    pub rejected_measured: u32,
}

/// What one run of the chain measured, over the arrivals after the warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeRun {
    /// The mode.
    pub mode: Mode,
    /// Offered load, req/s.
    pub offered_rate: f64,
    /// Measured arrivals.
    pub arrivals: u32,
    /// Measured arrival rate (arrivals in the measurement window ÷ its length), req/s.
    pub measured_rate: f64,
    /// Successes (answered within the user's timeout) per second.
    pub goodput: f64,
    /// Share of measured arrivals answered in time.
    pub success_share: f64,
    /// Share refused (fast failures).
    pub rejected_share: f64,
    /// Share timed out.
    pub timeout_share: f64,
    /// Median latency of successes, ms.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of successes, ms.
    pub p99_ms: Option<f64>,
    /// Answers that reached the gateway after the user had given up (whole run).
    pub late_answers: u32,
    /// Each hop, upstream first.
    pub hops: Vec<HopRun>,
}

impl ModeRun {
    /// Share of the database's work wasted on requests that did not succeed.
    pub fn db_wasted_share(&self) -> f64 {
        self.hops.last().map(|h| h.wasted_share).unwrap_or(0.0)
    }

    /// Share of all work along the chain wasted on requests that did not succeed.
    pub fn chain_wasted_share(&self) -> f64 {
        let total: f64 = self.hops.iter().map(|h| h.work_s).sum();
        let wasted: f64 = self.hops.iter().map(|h| h.work_s * h.wasted_share).sum();
        if total > 0.0 {
            wasted / total
        } else {
            0.0
        }
    }
}

/// Goodput against offered load for one mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSeries {
    /// The mode.
    pub mode: Mode,
    /// `(offered req/s, goodput req/s)` at each multiple of capacity in [`SWEEP`].
    pub points: Vec<(f64, f64)>,
}

/// The report of the back-pressure chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The bottleneck's capacity, req/s (the database's).
    pub capacity: f64,
    /// The theoretical ceiling of goodput at this offered load: `min(offered, capacity)`.
    pub goodput_bound: f64,
    /// The chosen mode's run.
    pub selected: ModeRun,
    /// All three modes at this offered load, same seed.
    pub modes: Vec<ModeRun>,
    /// Goodput against offered load per mode (same seed at every point).
    pub sweep: Vec<SweepSeries>,
    /// Simulated seconds per sweep point.
    pub sweep_duration_s: f64,
    /// Plain-language findings of this run.
    pub notes: Vec<String>,
}

/// Run one mode at one offered load for `duration` seconds and measure it.
pub fn run_mode(p: &Params, mode: Mode, rate: f64, duration: f64, seed: u64) -> ModeRun {
    let mut sim = ChainSim::with(p, mode, rate, duration, seed);
    sim.run_to_end();
    sim.measure()
}

/// [`run_mode`] for every mode of [`Mode::ALL`], on requests drawn once (sanitised `p`).
fn run_modes(p: &Params, rate: f64, duration: f64, seed: u64) -> Vec<ModeRun> {
    let draws = record_draws(p, rate, duration, seed);
    Mode::ALL
        .iter()
        .map(|&m| {
            let mut sim = ChainSim::replaying(p, m, rate, duration, &draws);
            sim.run_to_end();
            sim.measure()
        })
        .collect()
}

/// Seconds simulated per sweep point at `rate`: at most `duration_s`; about 2 500 arrivals, but
/// no less than six user timeouts (so a queue has time to outgrow the timeout), and never more
/// than 12 000 arrivals.
fn sweep_duration(p: &Params, rate: f64) -> f64 {
    let d = p.duration_s;
    let cheap = (SWEEP_MAX_ARRIVALS / rate).min(d);
    let steady = (6.0 * p.timeout_ms / 1000.0).min(d);
    cheap
        .max(steady)
        .min(12_000.0 / rate)
        .max(DURATION_MIN.min(d))
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

impl Model for BackpressureChain {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let sweep = sweep_for(&p, seed);
        report(&p, seed, sweep)
    }

    /// Without the goodput sweep (nine tenths of the work) unless it is remembered: capacity,
    /// queue size, timeouts and duration all change every point of it.
    fn run_quick(params: &Params, seed: u64) -> Option<Report> {
        let p = params.sanitised();
        if remembered_sweep(&p, seed).is_some() {
            return None;
        }
        Some(report(&p, seed, (Vec::new(), sweep_shortest_duration(&p))))
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("goodput", r.selected.goodput),
            ("success_share", r.selected.success_share),
            ("db_wasted_share", r.selected.db_wasted_share()),
            ("p99_ms", r.selected.p99_ms.unwrap_or(0.0)),
        ]
    }
}

/// Plain-language findings, all measured.
/// The report of sanitised `p` with this sweep (and its shortest point duration).
fn report(p: &Params, seed: u64, (sweep, sweep_d): (Vec<SweepSeries>, f64)) -> Report {
    let modes = run_modes(p, p.offered_rate, p.duration_s, seed);
    let selected = modes
        .iter()
        .find(|m| m.mode == p.mode)
        .cloned()
        .unwrap_or_else(|| modes[0].clone());
    let notes = findings(p, &modes, sweep_d);
    Report {
        capacity: p.db_capacity,
        goodput_bound: p.offered_rate.min(p.db_capacity),
        selected,
        modes,
        sweep,
        sweep_duration_s: sweep_d,
        notes,
    }
}

/// The shortest duration of a sweep point of sanitised `p` (what [`sweep`] reports with it).
fn sweep_shortest_duration(p: &Params) -> f64 {
    SWEEP
        .iter()
        .map(|&f| sweep_duration(p, (f * p.db_capacity).clamp(RATE_MIN, RATE_MAX)))
        .fold(f64::INFINITY, f64::min)
}

/// Goodput against offered load for every mode, and the shortest sweep duration used.
fn sweep(p: &Params, seed: u64) -> (Vec<SweepSeries>, f64) {
    let cap = p.db_capacity;
    let mut sweep_d = f64::INFINITY;
    let mut sweep: Vec<SweepSeries> = Mode::ALL
        .iter()
        .map(|&mode| SweepSeries {
            mode,
            points: Vec::with_capacity(SWEEP.len()),
        })
        .collect();
    for &f in &SWEEP {
        let rate = (f * cap).clamp(RATE_MIN, RATE_MAX);
        let d = sweep_duration(p, rate);
        sweep_d = sweep_d.min(d);
        for (series, run) in sweep.iter_mut().zip(run_modes(p, rate, d, seed)) {
            series.points.push((rate, run.goodput));
        }
    }
    (sweep, sweep_d)
}

/// A sweep remembered with its (sanitised) params, offered load and mode blanked, and its seed.
type SweepMemo = Option<(Params, u64, (Vec<SweepSeries>, f64))>;

thread_local! {
    static SWEEP_MEMO: std::cell::RefCell<SweepMemo> = const { std::cell::RefCell::new(None) };
}

/// [`sweep`] of `p` (sanitised) and `seed`, remembered for the next run. The sweep does not
/// depend on the offered load or the selected mode (it runs every mode at multiples of the
/// capacity), so moving those two knobs — the ones a reader drags most — re-runs only the three
/// main runs, about a tenth of the work.
fn sweep_for(p: &Params, seed: u64) -> (Vec<SweepSeries>, f64) {
    if let Some(out) = remembered_sweep(p, seed) {
        return out;
    }
    let out = sweep(p, seed);
    SWEEP_MEMO.with(|memo| *memo.borrow_mut() = Some((sweep_key(p), seed, out.clone())));
    out
}

/// What the sweep of sanitised `p` depends on: all but the offered load and the mode.
fn sweep_key(p: &Params) -> Params {
    Params {
        offered_rate: 0.0,
        mode: Mode::None,
        ..p.clone()
    }
}

/// The remembered sweep, if it is the one of sanitised `p` and `seed`.
fn remembered_sweep(p: &Params, seed: u64) -> Option<(Vec<SweepSeries>, f64)> {
    let key = sweep_key(p);
    SWEEP_MEMO.with(|memo| match &*memo.borrow() {
        Some((k, s, out)) if *k == key && *s == seed => Some(out.clone()),
        _ => None,
    })
}

fn findings(p: &Params, modes: &[ModeRun], sweep_d: f64) -> Vec<String> {
    let cap = p.db_capacity;
    let mut notes = Vec::new();
    let by = |m: Mode| modes.iter().find(|r| r.mode == m);
    let (Some(none), Some(shed), Some(bp)) =
        (by(Mode::None), by(Mode::Shed), by(Mode::Backpressure))
    else {
        return notes;
    };
    let load = p.offered_rate / cap;
    if load < 0.9 {
        let worst = modes
            .iter()
            .map(|m| (m.goodput - m.measured_rate).abs() / m.measured_rate.max(1e-9))
            .fold(0.0, f64::max);
        notes.push(format!(
            "Below capacity ({:.0} % of it), every mode delivers what arrives: goodput {:.1} / {:.1} / {:.1} req/s (none / shed / back-pressure) for {:.1} req/s measured arrivals (largest gap {}).",
            load * 100.0, none.goodput, shed.goodput, bp.goodput, none.measured_rate, pct(worst)
        ));
    } else {
        notes.push(format!(
            "At {:.0} % of the database's capacity, goodput is {:.0} req/s with no shedding, {:.0} with load shedding and {:.0} with back-pressure; the ceiling is {:.0}.",
            load * 100.0, none.goodput, shed.goodput, bp.goodput, p.offered_rate.min(cap)
        ));
    }
    if none.db_wasted_share() > 0.05 {
        notes.push(format!(
            "Without shedding the database spends {} of its work on requests the user has already given up on; the longest queue reached {} at the {}.",
            pct(none.db_wasted_share()),
            none.hops.iter().map(|h| h.max_queue).max().unwrap_or(0),
            none.hops.iter().max_by_key(|h| h.max_queue).map(|h| h.name.as_str()).unwrap_or("gateway"),
        ));
    }
    if bp.rejected_share > 0.001 {
        let edge = bp.hops.first().map(|h| h.rejected_measured).unwrap_or(0);
        let total: u32 = bp.hops.iter().map(|h| h.rejected_measured).sum();
        let shed_edge = shed.hops.first().map(|h| h.rejected_measured).unwrap_or(0);
        let shed_total: u32 = shed.hops.iter().map(|h| h.rejected_measured).sum();
        notes.push(format!(
            "Back-pressure rejects {} of requests, {} of them at the gateway before any work; load shedding rejects {}, {} of them at the gateway.",
            pct(bp.rejected_share),
            pct(f64::from(edge) / f64::from(total.max(1))),
            pct(shed.rejected_share),
            pct(f64::from(shed_edge) / f64::from(shed_total.max(1))),
        ));
    }
    if p.timeout_order == TimeoutOrder::Inverted {
        let sel = by(p.mode).unwrap_or(none);
        let orphan = sel
            .hops
            .iter()
            .skip(1)
            .map(|h| h.orphan_share)
            .fold(0.0, f64::max);
        notes.push(format!(
            "Inverted timeouts: downstream hops wait up to {:.0} ms while the user gives up at {:.0} ms; up to {} of a hop's work is done after its caller has gone, and {} answers arrived after the user had left.",
            sel.hops.last().map(|h| h.timeout_ms).unwrap_or(0.0), p.timeout_ms, pct(orphan), sel.late_answers
        ));
    }
    if sweep_d < 5.0 * p.timeout_ms / 1000.0 {
        notes.push(format!(
            "The sweep's points simulate only {sweep_d:.1} s each (to stay fast), under five user timeouts: the collapse without shedding may not have fully set in."
        ));
    }
    notes
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{from_pairs, validate};
    use proptest::prelude::*;

    fn params(mode: Mode, rate: f64) -> Params {
        Params {
            mode,
            offered_rate: rate,
            duration_s: 20.0,
            ..Params::default()
        }
    }

    /// Run to the end, checking the queue bounds after every event.
    fn run_checked(p: &Params, seed: u64) -> ChainSim {
        let mut sim = ChainSim::new(p, seed);
        while sim.step() {
            for hop in &sim.hops {
                if let Some(b) = hop.bound {
                    assert!(hop.queue.len() as u32 <= b, "queue over its bound");
                }
                assert!(hop.busy <= hop.workers, "more busy workers than workers");
                if sim.mode == Mode::Backpressure {
                    assert!(hop.credits_used <= hop.credits);
                }
            }
        }
        sim
    }

    #[test]
    fn defaults_validate_without_notices() {
        let (p, notes) = validate(Params::default());
        assert_eq!(p, Params::default());
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn garbage_is_clamped_with_notices() {
        let pairs = vec![
            ("offered_rate".to_string(), "-5".to_string()),
            ("queue_size".to_string(), "1e9".to_string()),
            ("timeout_ms".to_string(), "nope".to_string()),
            ("mode".to_string(), "chaos".to_string()),
        ];
        let (p, notes): (Params, _) = from_pairs(&pairs, &[]);
        assert_eq!(p.offered_rate, RATE_MIN);
        assert_eq!(p.queue_size, QUEUE_MAX);
        assert_eq!(p.timeout_ms, 1000.0);
        assert_eq!(p.mode, Mode::None);
        assert!(notes.len() >= 3);
    }

    #[test]
    fn long_fast_runs_are_shortened() {
        let pairs = vec![
            ("offered_rate".to_string(), "3000".to_string()),
            ("duration_s".to_string(), "120".to_string()),
        ];
        let (p, notes): (Params, _) = from_pairs(&pairs, &[]);
        assert!(p.offered_rate * p.duration_s <= MAX_ARRIVALS);
        assert!(notes.iter().any(|n| n.key == "duration_s"));
    }

    #[test]
    fn timeouts_follow_the_order() {
        let mut p = Params::default();
        let t = p.hop_timeouts_s();
        assert!(
            t.windows(2).all(|w| w[1] < w[0]),
            "coordinated shrinks: {t:?}"
        );
        p.timeout_order = TimeoutOrder::Inverted;
        let t = p.hop_timeouts_s();
        assert!(t.windows(2).all(|w| w[1] > w[0]), "inverted grows: {t:?}");
        assert_eq!(t[0], 1.0);
    }

    /// Theory: below the bottleneck's capacity, every mode delivers what arrives.
    #[test]
    fn below_capacity_goodput_equals_offered_in_every_mode() {
        for &f in &[0.3, 0.6, 0.8] {
            for m in Mode::ALL {
                let p = params(m, 100.0 * f);
                let r = run_mode(&p, m, p.offered_rate, 30.0, 7).clone();
                let gap = (r.goodput - r.measured_rate).abs() / r.measured_rate;
                assert!(
                    gap < 0.01,
                    "{m:?} at {f}: goodput {} vs arrivals {}",
                    r.goodput,
                    r.measured_rate
                );
                assert!(r.success_share > 0.99, "{m:?} at {f}: {}", r.success_share);
                // and the arrivals themselves are the offered load, within sampling error
                assert!((r.measured_rate / p.offered_rate - 1.0).abs() < 0.1);
            }
        }
    }

    /// The classic curve: past capacity, no shedding collapses; shedding and back-pressure
    /// hold near the capacity.
    #[test]
    fn goodput_collapses_without_shedding_and_holds_with_it() {
        let p = params(Mode::None, 150.0);
        let none = run_mode(&p, Mode::None, 150.0, 20.0, 3);
        let shed = run_mode(&p, Mode::Shed, 150.0, 20.0, 3);
        let bp = run_mode(&p, Mode::Backpressure, 150.0, 20.0, 3);
        assert!(none.goodput < 10.0, "no shedding: {}", none.goodput);
        assert!(
            none.db_wasted_share() > 0.8,
            "wasted {}",
            none.db_wasted_share()
        );
        assert!(none.hops[0].max_queue > 500, "buffer bloat at the gateway");
        for r in [&shed, &bp] {
            assert!(
                r.goodput > 90.0 && r.goodput < 106.0,
                "{:?}: {}",
                r.mode,
                r.goodput
            );
            assert!(r.p99_ms.unwrap() < 1000.0);
        }
        // back-pressure rejects at the edge only
        let inner: u32 = bp.hops.iter().skip(1).map(|h| h.rejected).sum();
        assert_eq!(inner, 0);
        assert!(bp.hops[0].rejected > 0);
        // and wastes less of the database than shedding downstream does
        assert!(bp.chain_wasted_share() <= shed.chain_wasted_share() + 0.01);
    }

    /// The misconfigurations measured: with queues larger than the timeout allows, shedding at
    /// a full queue is too late (buffer bloat), whatever the timeout order; credits at the edge
    /// keep most of the goodput. Neither order of timeouts saves work, because no hop cancels
    /// the calls it has given up on.
    #[test]
    fn big_queues_defeat_shedding_and_timeouts_order_matters_little() {
        for order in [TimeoutOrder::Coordinated, TimeoutOrder::Inverted] {
            let p = Params {
                queue_size: 40,
                timeout_order: order,
                ..params(Mode::Shed, 150.0)
            };
            let shed = run_mode(&p, Mode::Shed, 150.0, 20.0, 5);
            let bp = run_mode(&p, Mode::Backpressure, 150.0, 20.0, 5);
            assert!(shed.goodput < 70.0, "{order:?}: shed {}", shed.goodput);
            assert!(shed.chain_wasted_share() > 0.3);
            assert!(bp.goodput > 90.0, "{order:?}: bp {}", bp.goodput);
        }
    }

    #[test]
    fn same_seed_same_report() {
        let p = Params {
            duration_s: 5.0,
            ..Params::default()
        };
        let a = serde_json::to_string(&BackpressureChain::run(&p, 11)).unwrap();
        let b = serde_json::to_string(&BackpressureChain::run(&p, 11)).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn the_report_is_complete() {
        let r = BackpressureChain::run(
            &Params {
                duration_s: 10.0,
                ..Params::default()
            },
            1,
        );
        assert_eq!(r.modes.len(), 3);
        assert_eq!(r.sweep.len(), 3);
        assert!(r.sweep.iter().all(|s| s.points.len() == SWEEP.len()));
        assert_eq!(r.selected.mode, Mode::None);
        assert!(!r.notes.is_empty());
        assert_eq!(BackpressureChain::headline(&r).len(), 4);
    }

    #[test]
    fn extreme_knobs_stay_bounded() {
        let (p, _): (Params, _) = from_pairs(
            &[
                ("offered_rate".to_string(), "3000".to_string()),
                ("db_capacity".to_string(), "10".to_string()),
                ("queue_size".to_string(), "1000".to_string()),
                ("timeout_ms".to_string(), "10000".to_string()),
                ("timeout_order".to_string(), "inverted".to_string()),
                ("duration_s".to_string(), "120".to_string()),
            ],
            &[],
        );
        let r = BackpressureChain::run(&p, 2);
        assert!(r.selected.goodput <= 10.0 * 1.2);
    }

    #[test]
    fn the_live_snapshot_adds_up() {
        let mut sim = ChainSim::new(&Params::default(), 1);
        sim.advance_to(8.0);
        let s = sim.snapshot();
        assert_eq!(s.hops.len(), HOPS);
        assert!(s.succeeded + s.rejected + s.timed_out <= s.arrived);
        for h in &s.hops {
            assert!(h.busy_orphans <= h.busy && h.queued_orphans <= h.queued);
        }
        // past capacity with no shedding, the gateway's queue holds requests nobody awaits
        assert!(s.hops[0].queued_orphans > 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Every request ends exactly once at the user; queues keep their bounds; goodput never
        /// beats the arrivals, nor (beyond sampling noise) the bottleneck's capacity.
        #[test]
        fn invariants(
            mode in 0usize..3,
            order in 0usize..3,
            rate in 5.0f64..400.0,
            cap in 20.0f64..200.0,
            queue in 1u32..60,
            timeout in 100.0f64..2000.0,
            seed in 0u64..1_000_000,
        ) {
            let p = Params {
                mode: Mode::ALL[mode],
                offered_rate: rate,
                db_capacity: cap,
                queue_size: queue,
                timeout_ms: timeout,
                timeout_order: [TimeoutOrder::Coordinated, TimeoutOrder::Equal, TimeoutOrder::Inverted][order],
                duration_s: 12.0,
            };
            let sim = run_checked(&p, seed);
            prop_assert!(sim.all_ended());
            let c = sim.outcome_counts();
            prop_assert_eq!(c[0] + c[1] + c[2], sim.arrived());
            // every hop is idle and every credit is back
            for hop in &sim.hops {
                prop_assert_eq!(hop.busy, 0);
                prop_assert!(hop.queue.is_empty());
                prop_assert_eq!(hop.credits_used, 0);
                prop_assert_eq!(hop.orphans_busy, 0);
                prop_assert_eq!(hop.orphans_queued, 0);
            }
            let r = sim.measure();
            prop_assert!(r.goodput <= r.measured_rate + 1e-9);
            let window = 12.0 * 0.9;
            prop_assert!(r.goodput <= cap * 1.15 + 40.0 / window, "goodput {} cap {}", r.goodput, cap);
            let shares = r.success_share + r.rejected_share + r.timeout_share;
            prop_assert!(r.arrivals == 0 || (shares - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn the_quick_look_is_the_full_report_less_its_sweep() {
        // a fresh thread: nothing remembered yet
        std::thread::spawn(|| {
            let p = Params {
                queue_size: 7,
                ..Params::default()
            };
            let quick = BackpressureChain::run_quick(&p, 5).expect("no sweep remembered yet");
            let full = BackpressureChain::run(&p, 5);
            assert!(quick.sweep.is_empty() && !full.sweep.is_empty());
            assert_eq!(
                Report {
                    sweep: full.sweep.clone(),
                    ..quick
                },
                full
            );
            // now the sweep is remembered, the full run is as quick: no first look
            assert!(BackpressureChain::run_quick(&p, 5).is_none());
            let other_load = Params {
                offered_rate: 60.0,
                ..p.clone()
            };
            assert!(BackpressureChain::run_quick(&other_load, 5).is_none());
            assert!(
                BackpressureChain::run_quick(&p, 6).is_some(),
                "another seed, another sweep"
            );
        })
        .join()
        .unwrap();
    }

    #[test]
    fn remembered_sweep_equals_a_fresh_one() {
        let base = Params::default().sanitised();
        for (rate, mode) in [
            (150.0, Mode::None),
            (90.0, Mode::Shed),
            (400.0, Mode::Backpressure),
        ] {
            let p = Params {
                offered_rate: rate,
                mode,
                ..base.clone()
            }
            .sanitised();
            let via_memo = BackpressureChain::run(&p, 3);
            assert_eq!(via_memo.sweep, sweep(&p, 3).0, "rate {rate}, {mode:?}");
            assert_eq!(via_memo.sweep_duration_s, sweep(&p, 3).1);
        }
    }
}
