//! # Work stealing (book page 24): idle workers take queued tasks from busy ones
//!
//! `W` workers each own a double-ended queue (deque) of independent tasks. A worker runs its own
//! tasks first, taking them from the back of its deque (last in, first out, as in Cilk). When its
//! deque is empty it becomes a **thief**: it picks a victim and moves some of the victim's queued
//! (not running) tasks to its own deque. The book's scenario — four workers holding 16, 4, 2 and
//! 0 unit tasks — takes 16 units without stealing; the book says 6 with it.
//!
//! This model is a seeded discrete-event simulation ([`StealSim`]) of exactly that loop:
//!
//! - **Tasks** ([`Workload`]): `tasks` independent tasks with sizes drawn from one of four
//!   distributions with the same mean ([`SizeDist`]): equal, uniform with a 1∶10 spread (the
//!   shape of the book's `uniform(0.01, 0.1)` snippet), exponential, or Pareto with shape
//!   α = 1.5 (heavy-tailed: infinite variance). They start on the workers by a [`Placement`]:
//!   the book's 16∶4∶2∶0, round-robin, uniformly at random, Zipf-like (worker `i` gets a share
//!   ∝ `1/i^s`) or all on one worker.
//! - **Policies** ([`Policy`]): no stealing; steal half (⌈q/2⌉ of the `q` queued tasks) or one
//!   task; from the busiest worker (the longest deque, as the book's loop says) or from a
//!   uniformly random victim (Blumofe & Leiserson 1999). The thief takes from the end opposite
//!   the owner (the oldest tasks: Cilk, the Chase–Lev deque, Tokio) or from the owner's own end
//!   ([`StealEnd`]).
//! - **Steal cost**: a steal (or a probe that finds an empty deque) keeps the thief busy for
//!   `steal_cost_ms`; the tasks are taken from the victim when the steal starts and arrive when
//!   it ends. A thief that finds no queued task anywhere parks, and is woken the moment a
//!   landed batch makes a queue non-empty again (an idealised "sleep briefly").
//!
//! The report ([`Report`]) puts the chosen policy beside the no-stealing baseline on the very
//! same tasks (same seed), with:
//!
//! - **makespan** (when the last task ends) and **efficiency** = total work ÷ (workers ×
//!   makespan): the share of worker time spent on tasks;
//! - the **lower bound** `max(total ÷ W, largest task)` that no schedule beats, and, when all
//!   tasks are equal, the whole-task bound `⌈n ÷ W⌉ × size` — the book's "6 units" is
//!   `⌈22 ÷ 4⌉ = 6`, a perfect balance, which a real steal sequence may or may not reach;
//! - **Graham's bound** (Graham 1966): a greedy schedule — no worker idle while a task waits —
//!   finishes by `total ÷ W + (1 − 1/W) × largest`. Every policy here is greedy when steals cost
//!   nothing, so the simulation must land under it (a test checks);
//! - every policy on the same tasks ([`PolicyRow`]), the other deque end, and a measured verdict
//!   on the book's "800 ms vs 400 ms, 50 % vs 95 %" for 1000 tasks on 4 workers
//!   ([`ClaimRow`]);
//! - a Gantt chart ([`Gantt`]): one bar per task when there are few, busy-share strips when
//!   there are many (at most a couple of thousand rectangles either way).
//!
//! ```
//! use sim::model::Model;
//! use sim::models::work_stealing::{Params, WorkStealing};
//! let r = WorkStealing::run(&Params::default(), 1);
//! assert_eq!((r.baseline.makespan_ms, r.makespan_ms), (16.0, 6.0));
//! ```

use crate::des::Scheduled;
use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BinaryHeap, VecDeque};

/// The work-stealing model.
pub struct WorkStealing;

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

const WORKERS_MIN: u32 = 2;
const WORKERS_MAX: u32 = 64;
const TASKS_MIN: u32 = 10;
const TASKS_MAX: u32 = 100_000;
const TASK_MS_MIN: f64 = 0.01;
const TASK_MS_MAX: f64 = 1_000.0;
const COST_MAX: f64 = 100.0;
const SKEW_MAX: f64 = 3.0;
/// Shape of the heavy-tailed (Pareto) task sizes.
pub const PARETO_ALPHA: f64 = 1.5;
/// The book's starting queues, 16∶4∶2∶0.
pub const BOOK_QUEUES: [u32; 4] = [16, 4, 2, 0];

/// The knobs. Defaults are the book's animation: 4 workers holding 16, 4, 2 and 0 unit tasks,
/// stealing half from the busiest, for free.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Number of workers `W` (2–64).
    pub workers: u32,
    /// Number of tasks `n` (10–100 000).
    pub tasks: u32,
    /// Task-size distribution: `unit`, `uniform`, `exponential` or `pareto` (see [`SizeDist`]).
    pub sizes: String,
    /// Mean task size, in ms (0.01–1000).
    pub task_ms: f64,
    /// Where the tasks start: `book`, `round_robin`, `random`, `zipf` or `one` ([`Placement`]).
    pub placement: String,
    /// Zipf exponent `s` of the `zipf` placement (0 = even, 3 = nearly all on worker 1).
    pub skew: f64,
    /// Stealing policy: `half_busiest`, `half_random`, `one_busiest`, `one_random` or `none`.
    pub policy: String,
    /// Which end of the victim's deque a thief takes from: `opposite` or `same` ([`StealEnd`]).
    pub steal_end: String,
    /// Time one steal (or one probe of an empty deque) keeps the thief busy, in ms (0–100).
    pub steal_cost_ms: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            workers: 4,
            tasks: 22,
            sizes: "unit".into(),
            task_ms: 1.0,
            placement: "book".into(),
            skew: 1.0,
            policy: "half_busiest".into(),
            steal_end: "opposite".into(),
            steal_cost_ms: 0.0,
        }
    }
}

const SIZE_OPTIONS: &[(&str, &str)] = &[
    ("unit", "Equal"),
    ("uniform", "Uniform, 1∶10 spread"),
    ("exponential", "Exponential"),
    ("pareto", "Heavy-tailed (Pareto 1.5)"),
];
const PLACEMENT_OPTIONS: &[(&str, &str)] = &[
    ("book", "The book's 16∶4∶2∶0"),
    ("round_robin", "Round-robin (even)"),
    ("random", "Random"),
    ("zipf", "Zipf-like (see skew)"),
    ("one", "All on worker 1"),
];
const POLICY_OPTIONS: &[(&str, &str)] = &[
    ("half_busiest", "Half, from the busiest"),
    ("half_random", "Half, from a random victim"),
    ("one_busiest", "One, from the busiest"),
    ("one_random", "One, from a random victim"),
    ("none", "No stealing"),
];
const END_OPTIONS: &[(&str, &str)] = &[
    ("opposite", "Opposite end (oldest)"),
    ("same", "Owner's end (newest)"),
];

static KNOBS: &[Knob] = &[
    Knob {
        key: "workers",
        label: "Workers",
        unit: "",
        help: "How many workers (threads or machines) share the tasks.",
        kind: KnobKind::Int { min: WORKERS_MIN as i64, max: WORKERS_MAX as i64, log: false },
    },
    Knob {
        key: "tasks",
        label: "Tasks",
        unit: "",
        help: "How many independent tasks there are in all.",
        kind: KnobKind::Int { min: TASKS_MIN as i64, max: TASKS_MAX as i64, log: true },
    },
    Knob {
        key: "sizes",
        label: "Task sizes",
        unit: "",
        help: "How long tasks take; every distribution has the same mean.",
        kind: KnobKind::Choice { options: SIZE_OPTIONS },
    },
    Knob {
        key: "task_ms",
        label: "Mean task size",
        unit: "ms",
        help: "The average time one task keeps a worker busy (the book's unit is 1).",
        kind: KnobKind::Float { min: TASK_MS_MIN, max: TASK_MS_MAX, step: 0.01, log: true },
    },
    Knob {
        key: "placement",
        label: "Starting placement",
        unit: "",
        help: "Which worker each task starts on: how uneven the load is before any stealing.",
        kind: KnobKind::Choice { options: PLACEMENT_OPTIONS },
    },
    Knob {
        key: "skew",
        label: "Zipf skew s",
        unit: "",
        help: "For the Zipf-like placement only: worker i starts with a share of tasks ∝ 1/iˢ (0 = even).",
        kind: KnobKind::Float { min: 0.0, max: SKEW_MAX, step: 0.05, log: false },
    },
    Knob {
        key: "policy",
        label: "Stealing policy",
        unit: "",
        help: "What an idle worker does: whom it robs and how many queued tasks it takes.",
        kind: KnobKind::Choice { options: POLICY_OPTIONS },
    },
    Knob {
        key: "steal_end",
        label: "Thief takes from",
        unit: "",
        help: "Owners run their newest task first; thieves take the oldest (as Cilk and Tokio do) or the newest.",
        kind: KnobKind::Choice { options: END_OPTIONS },
    },
    Knob {
        key: "steal_cost_ms",
        label: "Steal cost",
        unit: "ms",
        help: "Time a steal, or a look into an empty deque, keeps the thief from working.",
        kind: KnobKind::Float { min: 0.0, max: COST_MAX, step: 0.01, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }
}

impl Params {
    /// A copy with every field in range and every choice known (defaults for NaN or unknown
    /// names), so public functions behave even on params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let pick = |s: &str, opts: &[(&str, &str)], def: &str| {
            if opts.iter().any(|(o, _)| *o == s) {
                s.to_string()
            } else {
                def.to_string()
            }
        };
        Params {
            workers: self.workers.clamp(WORKERS_MIN, WORKERS_MAX),
            tasks: self.tasks.clamp(TASKS_MIN, TASKS_MAX),
            sizes: pick(&self.sizes, SIZE_OPTIONS, &d.sizes),
            task_ms: f(self.task_ms, TASK_MS_MIN, TASK_MS_MAX, d.task_ms),
            placement: pick(&self.placement, PLACEMENT_OPTIONS, &d.placement),
            skew: f(self.skew, 0.0, SKEW_MAX, d.skew),
            policy: pick(&self.policy, POLICY_OPTIONS, &d.policy),
            steal_end: pick(&self.steal_end, END_OPTIONS, &d.steal_end),
            steal_cost_ms: f(self.steal_cost_ms, 0.0, COST_MAX, d.steal_cost_ms),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Choices
// ---------------------------------------------------------------------------------------------

/// Task-size distributions, all with mean `m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeDist {
    /// Every task takes exactly `m`.
    Unit,
    /// Uniform on `[m/5.5, 10m/5.5]`: a 1∶10 spread, the shape of the book's snippet.
    Uniform,
    /// Exponential with mean `m`.
    Exponential,
    /// Pareto with shape α = 1.5 and scale `m(α − 1)/α = m/3`: mean `m`, infinite variance.
    Pareto,
}

impl SizeDist {
    /// From its knob value (unknown → `Unit`).
    pub fn from_key(s: &str) -> SizeDist {
        match s {
            "uniform" => SizeDist::Uniform,
            "exponential" => SizeDist::Exponential,
            "pareto" => SizeDist::Pareto,
            _ => SizeDist::Unit,
        }
    }

    /// One size with mean `m`.
    pub fn draw(self, m: f64, rng: &mut Rng) -> f64 {
        match self {
            SizeDist::Unit => m,
            SizeDist::Uniform => m / 5.5 * (1.0 + 9.0 * rng.uniform()),
            SizeDist::Exponential => rng.exp(m),
            SizeDist::Pareto => {
                let xm = m * (PARETO_ALPHA - 1.0) / PARETO_ALPHA;
                xm * libm::pow(rng.uniform_open0(), -1.0 / PARETO_ALPHA)
            }
        }
    }
}

/// Where tasks start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// The book's 16∶4∶2∶0 shares on workers 1–4 (further workers start empty).
    Book,
    /// Task `i` on worker `i mod W`.
    RoundRobin,
    /// Each task on a uniformly random worker.
    Random,
    /// Worker `i` (1-based) gets a share ∝ `1/i^s`.
    Zipf(f64),
    /// Every task on worker 1.
    One,
}

impl Placement {
    /// From its knob value and the skew (unknown → `Book`).
    pub fn from_key(s: &str, skew: f64) -> Placement {
        match s {
            "round_robin" => Placement::RoundRobin,
            "random" => Placement::Random,
            "zipf" => Placement::Zipf(skew),
            "one" => Placement::One,
            _ => Placement::Book,
        }
    }

    /// The starting worker of every task. Count-based placements give each worker a block of
    /// consecutive task ids (largest remainder, ties to the lower worker).
    pub fn place(self, tasks: u32, workers: u32, rng: &mut Rng) -> Vec<u32> {
        let w = workers.max(1);
        let shares: Vec<f64> = match self {
            Placement::RoundRobin => return (0..tasks).map(|i| i % w).collect(),
            Placement::Random => {
                return (0..tasks).map(|_| rng.below(u64::from(w)) as u32).collect()
            }
            Placement::Book => (0..w)
                .map(|i| f64::from(BOOK_QUEUES.get(i as usize).copied().unwrap_or(0)))
                .collect(),
            Placement::Zipf(s) => (0..w).map(|i| libm::pow(f64::from(i + 1), -s)).collect(),
            Placement::One => (0..w).map(|i| if i == 0 { 1.0 } else { 0.0 }).collect(),
        };
        let counts = largest_remainder(tasks, &shares);
        counts
            .iter()
            .enumerate()
            .flat_map(|(i, &c)| std::iter::repeat_n(i as u32, c as usize))
            .collect()
    }
}

/// Split `n` into whole counts proportional to `shares` (Hamilton's method); the counts sum to
/// `n`. Ties in the remainders go to the lower index.
pub fn largest_remainder(n: u32, shares: &[f64]) -> Vec<u32> {
    let total: f64 = shares.iter().filter(|s| s.is_finite() && **s > 0.0).sum();
    if shares.is_empty() {
        return Vec::new();
    }
    if total <= 0.0 {
        let mut v = vec![0; shares.len()];
        v[0] = n;
        return v;
    }
    let exact: Vec<f64> = shares
        .iter()
        .map(|&s| {
            if s.is_finite() && s > 0.0 {
                f64::from(n) * s / total
            } else {
                0.0
            }
        })
        .collect();
    let mut counts: Vec<u32> = exact.iter().map(|&x| libm::floor(x) as u32).collect();
    let given: u32 = counts.iter().sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    crate::sort::sort_by(&mut order, |&a, &b| {
        let (ra, rb) = (
            exact[a] - libm::floor(exact[a]),
            exact[b] - libm::floor(exact[b]),
        );
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(n.saturating_sub(given) as usize) {
        counts[i] += 1;
    }
    counts
}

/// Whom a thief robs and how much it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Never steal: the baseline.
    None,
    /// Take ⌈q/2⌉ of the `q` queued tasks of the worker with the longest deque.
    HalfBusiest,
    /// Take ⌈q/2⌉ from a uniformly random other worker.
    HalfRandom,
    /// Take one task from the worker with the longest deque.
    OneBusiest,
    /// Take one task from a uniformly random other worker.
    OneRandom,
}

impl Policy {
    /// Every policy, in the order of the comparison chart.
    pub const ALL: [Policy; 5] = [
        Policy::None,
        Policy::HalfBusiest,
        Policy::HalfRandom,
        Policy::OneBusiest,
        Policy::OneRandom,
    ];

    /// From its knob value (unknown → `HalfBusiest`).
    pub fn from_key(s: &str) -> Policy {
        match s {
            "none" => Policy::None,
            "half_random" => Policy::HalfRandom,
            "one_busiest" => Policy::OneBusiest,
            "one_random" => Policy::OneRandom,
            _ => Policy::HalfBusiest,
        }
    }

    /// Its knob value.
    pub fn key(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::HalfBusiest => "half_busiest",
            Policy::HalfRandom => "half_random",
            Policy::OneBusiest => "one_busiest",
            Policy::OneRandom => "one_random",
        }
    }

    /// A short label for charts and tables.
    pub fn label(self) -> &'static str {
        match self {
            Policy::None => "no stealing",
            Policy::HalfBusiest => "half, busiest",
            Policy::HalfRandom => "half, random",
            Policy::OneBusiest => "one, busiest",
            Policy::OneRandom => "one, random",
        }
    }

    fn random_victim(self) -> bool {
        matches!(self, Policy::HalfRandom | Policy::OneRandom)
    }

    fn takes_half(self) -> bool {
        matches!(self, Policy::HalfBusiest | Policy::HalfRandom)
    }
}

/// Which end of the victim's deque the thief takes from. Owners always run their newest task
/// (the back) first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StealEnd {
    /// The front: the oldest tasks, away from the owner (Cilk, Chase–Lev, Tokio).
    Opposite,
    /// The back: the tasks the owner would have run next.
    Same,
}

impl StealEnd {
    /// From its knob value (unknown → `Opposite`).
    pub fn from_key(s: &str) -> StealEnd {
        if s == "same" {
            StealEnd::Same
        } else {
            StealEnd::Opposite
        }
    }

    fn other(self) -> StealEnd {
        match self {
            StealEnd::Opposite => StealEnd::Same,
            StealEnd::Same => StealEnd::Opposite,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workload
// ---------------------------------------------------------------------------------------------

/// The tasks of one run: sizes and starting workers. Drawn once from the seed (streams
/// `"sizes"` and `"placement"`), so every policy is judged on the same tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Number of workers.
    pub workers: u32,
    /// Size of task `i`, in ms.
    pub sizes: Vec<f64>,
    /// Starting worker of task `i`.
    pub home: Vec<u32>,
}

impl Workload {
    /// The tasks for `p` and `seed`.
    pub fn new(p: &Params, seed: u64) -> Workload {
        let p = p.sanitised();
        Workload::generate(
            p.workers,
            p.tasks,
            SizeDist::from_key(&p.sizes),
            p.task_ms,
            Placement::from_key(&p.placement, p.skew),
            seed,
        )
    }

    /// `tasks` tasks of `dist` with mean `mean_ms`, placed on `workers` workers.
    pub fn generate(
        workers: u32,
        tasks: u32,
        dist: SizeDist,
        mean_ms: f64,
        placement: Placement,
        seed: u64,
    ) -> Workload {
        let mut sizes_rng = Rng::derive(seed, "sizes");
        let mut place_rng = Rng::derive(seed, "placement");
        let sizes = (0..tasks)
            .map(|_| dist.draw(mean_ms, &mut sizes_rng))
            .collect();
        let home = placement.place(tasks, workers, &mut place_rng);
        Workload {
            workers: workers.max(1),
            sizes,
            home,
        }
    }

    /// The book's scenario: 16, 4, 2 and 0 unit tasks on four workers.
    pub fn book() -> Workload {
        Workload::generate(4, 22, SizeDist::Unit, 1.0, Placement::Book, 0)
    }

    /// Sum of all task sizes, in ms.
    pub fn total(&self) -> f64 {
        self.sizes.iter().sum()
    }

    /// The largest task, in ms.
    pub fn largest(&self) -> f64 {
        self.sizes.iter().fold(0.0, |a, &b| a.max(b))
    }

    /// Tasks and work (ms) each worker starts with.
    pub fn initial(&self) -> Vec<(u32, f64)> {
        let mut v = vec![(0u32, 0.0f64); self.workers as usize];
        for (&h, &s) in self.home.iter().zip(&self.sizes) {
            let e = &mut v[h as usize];
            e.0 += 1;
            e.1 += s;
        }
        v
    }

    /// `max(total ÷ W, largest)`: no schedule finishes sooner.
    pub fn lower_bound(&self) -> f64 {
        (self.total() / f64::from(self.workers)).max(self.largest())
    }

    /// Graham's bound for greedy list schedules: `total ÷ W + (1 − 1/W) × largest`.
    pub fn graham_bound(&self) -> f64 {
        let w = f64::from(self.workers);
        self.total() / w + (1.0 - 1.0 / w) * self.largest()
    }

    /// When every task has the same size `s`: `⌈n ÷ W⌉ × s`, the best whole-task balance.
    pub fn whole_task_bound(&self) -> Option<f64> {
        let first = *self.sizes.first()?;
        if self.sizes.iter().all(|&s| s == first) {
            let n = self.sizes.len() as u64;
            Some(n.div_ceil(u64::from(self.workers)) as f64 * first)
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Discrete-event simulation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    /// The worker looks for work for the first time (all at t = 0, in worker order).
    Wake,
    /// The worker's running task ends.
    TaskDone,
    /// The worker's steal ends: its batch lands in its deque.
    StealDone,
    /// The worker's probe of an empty deque ends.
    ProbeDone,
}

/// What a worker is doing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WorkerState {
    /// Not started yet (before its wake-up at t = 0).
    Waiting,
    /// Running `task` until `until_ms`.
    Running {
        /// Task id.
        task: u32,
        /// When it started, in ms.
        since_ms: f64,
        /// When it ends, in ms.
        until_ms: f64,
    },
    /// Moving `count` tasks from `victim` until `until_ms`.
    Stealing {
        /// Worker robbed.
        victim: u32,
        /// Tasks taken.
        count: u32,
        /// When they arrive, in ms.
        until_ms: f64,
    },
    /// Looking into `victim`'s empty deque until `until_ms`.
    Probing {
        /// Worker probed.
        victim: u32,
        /// When the probe ends, in ms.
        until_ms: f64,
    },
    /// Nothing queued anywhere (or no stealing): asleep until a deque fills again.
    Idle,
}

/// One thing that happened in a step, for narrating a step-through.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Happening {
    /// `worker` started `task` of `size_ms`.
    Started {
        /// Worker.
        worker: u32,
        /// Task id.
        task: u32,
        /// Its size, in ms.
        size_ms: f64,
        /// Whether it started on another worker.
        stolen: bool,
    },
    /// `worker` finished `task`.
    Finished {
        /// Worker.
        worker: u32,
        /// Task id.
        task: u32,
    },
    /// `thief` began moving `count` tasks from `victim`.
    StealBegan {
        /// Thief.
        thief: u32,
        /// Victim.
        victim: u32,
        /// Tasks taken.
        count: u32,
    },
    /// `count` stolen tasks arrived at `thief`.
    StealLanded {
        /// Thief.
        thief: u32,
        /// Tasks.
        count: u32,
    },
    /// `thief` found `victim`'s deque empty.
    ProbeFailed {
        /// Thief.
        thief: u32,
        /// Victim.
        victim: u32,
    },
    /// `worker` went idle: nothing left to run or steal.
    WentIdle {
        /// Worker.
        worker: u32,
    },
}

/// One task's run, as recorded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskRun {
    /// Task id.
    pub task: u32,
    /// Worker that ran it.
    pub worker: u32,
    /// Start, in ms.
    pub start_ms: f64,
    /// End, in ms.
    pub end_ms: f64,
}

/// One successful steal, as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StealRecord {
    /// Thief.
    pub thief: u32,
    /// Victim.
    pub victim: u32,
    /// Start, in ms.
    pub start_ms: f64,
    /// When the tasks arrived, in ms.
    pub end_ms: f64,
    /// Tasks moved.
    pub count: u32,
}

/// One worker at one instant, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerSnap {
    /// What it is doing.
    pub state: WorkerState,
    /// Tasks queued in its deque (not counting a running task).
    pub queued: u32,
    /// Sizes of the queued tasks, front (oldest) first, at most [`SNAP_QUEUE`] of them.
    pub queue_ms: Vec<f64>,
    /// Tasks it has finished.
    pub done: u32,
}

/// How many queued sizes a [`WorkerSnap`] lists.
pub const SNAP_QUEUE: usize = 32;

/// The whole system at one instant, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Simulated time, in ms.
    pub t_ms: f64,
    /// One entry per worker.
    pub workers: Vec<WorkerSnap>,
    /// Tasks finished so far.
    pub done: u32,
    /// Tasks in all.
    pub total: u32,
    /// Steals so far.
    pub steals: u32,
    /// Probes that found an empty deque so far.
    pub failed_probes: u32,
    /// What the last step did.
    pub last: Vec<Happening>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VictimRule {
    Busiest,
    Random,
}

/// A seeded discrete-event simulation of work stealing over one [`Workload`].
///
/// Time is kept in milliseconds; [`Simulation::now`] reports seconds. Each worker has at most one
/// pending event (its wake-up, task end, steal end or probe end), so the event heap stays at
/// most `W` long. Victims of random policies come from the stream `"victims"`.
#[derive(Clone, Debug)]
pub struct StealSim {
    policy: Policy,
    end: StealEnd,
    cost: f64,
    w: usize,
    sizes: Vec<f64>,
    home: Vec<u32>,
    rng: Rng,
    now: f64,
    seq: u64,
    events: BinaryHeap<Scheduled<(u32, EventKind)>>,
    deques: Vec<VecDeque<u32>>,
    queued_total: u64,
    state: Vec<WorkerState>,
    in_flight: Vec<Vec<u32>>,
    runs: Vec<TaskRun>,
    steal_log: Vec<StealRecord>,
    steals: u32,
    failed: u32,
    stolen_tasks: u64,
    search_ms: Vec<f64>,
    busy_ms: Vec<f64>,
    done_by: Vec<u32>,
    done: u32,
    makespan: f64,
    last: Vec<Happening>,
}

impl StealSim {
    /// A fresh simulation of `work` under `policy`, taking from `end`, each steal costing
    /// `steal_cost_ms`; every worker's wake-up is scheduled at t = 0 in worker order.
    pub fn new(
        work: &Workload,
        policy: Policy,
        end: StealEnd,
        steal_cost_ms: f64,
        seed: u64,
    ) -> Self {
        let w = work.workers.max(1) as usize;
        let mut deques = vec![VecDeque::new(); w];
        for (t, &h) in work.home.iter().enumerate() {
            deques[(h as usize).min(w - 1)].push_back(t as u32);
        }
        let cost = if steal_cost_ms.is_finite() {
            steal_cost_ms.clamp(0.0, COST_MAX)
        } else {
            0.0
        };
        let mut sim = StealSim {
            policy,
            end,
            cost,
            w,
            sizes: work.sizes.clone(),
            home: work.home.clone(),
            rng: Rng::derive(seed, "victims"),
            now: 0.0,
            seq: 0,
            events: BinaryHeap::with_capacity(w),
            deques,
            queued_total: work.sizes.len() as u64,
            state: vec![WorkerState::Waiting; w],
            in_flight: vec![Vec::new(); w],
            runs: Vec::with_capacity(work.sizes.len()),
            steal_log: Vec::new(),
            steals: 0,
            failed: 0,
            stolen_tasks: 0,
            search_ms: vec![0.0; w],
            busy_ms: vec![0.0; w],
            done_by: vec![0; w],
            done: 0,
            makespan: 0.0,
            last: Vec::new(),
        };
        for i in 0..w {
            sim.schedule(0.0, i, EventKind::Wake);
        }
        sim
    }

    /// The simulation the params describe (policy, end and cost from `p`).
    pub fn from_params(p: &Params, seed: u64) -> Self {
        let p = p.sanitised();
        StealSim::new(
            &Workload::new(&p, seed),
            Policy::from_key(&p.policy),
            StealEnd::from_key(&p.steal_end),
            p.steal_cost_ms,
            seed,
        )
    }

    fn schedule(&mut self, time: f64, worker: usize, kind: EventKind) {
        self.seq += 1;
        self.events.push(Scheduled {
            time,
            seq: self.seq,
            item: (worker as u32, kind),
        });
    }

    fn start_task(&mut self, w: usize, task: u32) {
        let size = self.sizes[task as usize];
        let until = self.now + size;
        self.state[w] = WorkerState::Running {
            task,
            since_ms: self.now,
            until_ms: until,
        };
        self.runs.push(TaskRun {
            task,
            worker: w as u32,
            start_ms: self.now,
            end_ms: until,
        });
        self.busy_ms[w] += size;
        self.last.push(Happening::Started {
            worker: w as u32,
            task,
            size_ms: size,
            stolen: self.home[task as usize] != w as u32,
        });
        self.schedule(until, w, EventKind::TaskDone);
    }

    /// Worker `w` has nothing in hand: run its own newest task, else steal, else idle.
    fn free(&mut self, w: usize) {
        if let Some(t) = self.deques[w].pop_back() {
            self.queued_total -= 1;
            self.start_task(w, t);
        } else if self.policy == Policy::None {
            self.go_idle(w);
        } else {
            self.try_steal(w);
        }
    }

    fn go_idle(&mut self, w: usize) {
        self.state[w] = WorkerState::Idle;
        self.last.push(Happening::WentIdle { worker: w as u32 });
    }

    fn victim_rule(&self) -> VictimRule {
        if self.policy.random_victim() {
            VictimRule::Random
        } else {
            VictimRule::Busiest
        }
    }

    /// The other worker with the longest deque (ties to the lowest number).
    fn busiest_other(&self, w: usize) -> usize {
        let mut best = if w == 0 { 1 } else { 0 };
        for v in 0..self.w {
            if v != w && self.deques[v].len() > self.deques[best].len() {
                best = v;
            }
        }
        best
    }

    fn try_steal(&mut self, w: usize) {
        let mut misses: u64 = 0;
        loop {
            // own deque is empty here, so this counts only the other deques
            if self.queued_total == 0 || self.w < 2 {
                self.go_idle(w);
                return;
            }
            let victim = match self.victim_rule() {
                VictimRule::Busiest => self.busiest_other(w),
                VictimRule::Random if misses >= 64 * self.w as u64 => {
                    // guard against an unlucky streak with free probes: any worker with work
                    (0..self.w)
                        .find(|&v| v != w && !self.deques[v].is_empty())
                        .unwrap_or(w)
                }
                VictimRule::Random => {
                    let r = self.rng.below(self.w as u64 - 1) as usize;
                    if r >= w {
                        r + 1
                    } else {
                        r
                    }
                }
            };
            let q = self.deques[victim].len();
            if q == 0 || victim == w {
                self.failed += 1;
                misses += 1;
                self.last.push(Happening::ProbeFailed {
                    thief: w as u32,
                    victim: victim as u32,
                });
                if self.cost > 0.0 {
                    let until = self.now + self.cost;
                    self.search_ms[w] += self.cost;
                    self.state[w] = WorkerState::Probing {
                        victim: victim as u32,
                        until_ms: until,
                    };
                    self.schedule(until, w, EventKind::ProbeDone);
                    return;
                }
                continue;
            }
            let k = if self.policy.takes_half() {
                q.div_ceil(2)
            } else {
                1
            };
            let taken: Vec<u32> = match self.end {
                StealEnd::Opposite => self.deques[victim].drain(..k).collect(),
                StealEnd::Same => self.deques[victim].drain(q - k..).collect(),
            };
            self.queued_total -= k as u64;
            self.in_flight[w] = taken;
            self.steals += 1;
            self.stolen_tasks += k as u64;
            let until = self.now + self.cost;
            self.search_ms[w] += self.cost;
            self.state[w] = WorkerState::Stealing {
                victim: victim as u32,
                count: k as u32,
                until_ms: until,
            };
            self.steal_log.push(StealRecord {
                thief: w as u32,
                victim: victim as u32,
                start_ms: self.now,
                end_ms: until,
                count: k as u32,
            });
            self.last.push(Happening::StealBegan {
                thief: w as u32,
                victim: victim as u32,
                count: k as u32,
            });
            self.schedule(until, w, EventKind::StealDone);
            return;
        }
    }

    fn on_steal_done(&mut self, w: usize) {
        let batch = std::mem::take(&mut self.in_flight[w]);
        let k = batch.len();
        self.last.push(Happening::StealLanded {
            thief: w as u32,
            count: k as u32,
        });
        self.queued_total += k as u64;
        self.deques[w].extend(batch);
        self.free(w);
        // a batch of two or more leaves work queued: wake the sleepers, lowest number first
        if !self.deques[w].is_empty() {
            for v in 0..self.w {
                if self.state[v] == WorkerState::Idle && self.policy != Policy::None {
                    self.try_steal(v);
                }
            }
        }
    }

    /// Run every remaining event.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// Whether every event has been processed (every task has run).
    pub fn is_done(&self) -> bool {
        self.events.is_empty()
    }

    /// Simulated time now, in ms.
    pub fn now_ms(&self) -> f64 {
        self.now
    }

    /// When the last task so far ended, in ms (the makespan once done).
    pub fn makespan_ms(&self) -> f64 {
        self.makespan
    }

    /// Every task run started so far, in start order.
    pub fn runs(&self) -> &[TaskRun] {
        &self.runs
    }

    /// Every steal started so far, in start order.
    pub fn steal_log(&self) -> &[StealRecord] {
        &self.steal_log
    }

    /// Steals started so far.
    pub fn steals(&self) -> u32 {
        self.steals
    }

    /// The number of workers.
    pub fn workers(&self) -> u32 {
        self.w as u32
    }

    /// The number of tasks.
    pub fn tasks(&self) -> u32 {
        self.sizes.len() as u32
    }

    /// The state now, as plain data for drawing.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            t_ms: self.now,
            workers: (0..self.w)
                .map(|i| WorkerSnap {
                    state: self.state[i],
                    queued: self.deques[i].len() as u32,
                    queue_ms: self.deques[i]
                        .iter()
                        .take(SNAP_QUEUE)
                        .map(|&t| self.sizes[t as usize])
                        .collect(),
                    done: self.done_by[i],
                })
                .collect(),
            done: self.done,
            total: self.sizes.len() as u32,
            steals: self.steals,
            failed_probes: self.failed,
            last: self.last.clone(),
        }
    }

    /// The measured figures (final once done).
    pub fn summary(&self) -> RunSummary {
        let total: f64 = self.busy_ms.iter().sum();
        RunSummary {
            policy: self.policy.key().into(),
            label: self.policy.label().into(),
            makespan_ms: self.makespan,
            efficiency: ratio(total, self.w as f64 * self.makespan),
            steals: self.steals,
            failed_probes: self.failed,
            tasks_stolen: self.stolen_tasks,
            steal_ms: self.search_ms.iter().sum(),
        }
    }

    /// Per-worker figures.
    pub fn per_worker(&self) -> Vec<WorkerSummary> {
        let mut out: Vec<WorkerSummary> = (0..self.w)
            .map(|i| WorkerSummary {
                worker: i as u32 + 1,
                start_tasks: 0,
                start_ms: 0.0,
                tasks_run: self.done_by[i],
                stolen_run: 0,
                busy_ms: self.busy_ms[i],
                steal_ms: self.search_ms[i],
                finish_ms: 0.0,
            })
            .collect();
        for (t, &h) in self.home.iter().enumerate() {
            out[h as usize].start_tasks += 1;
            out[h as usize].start_ms += self.sizes[t];
        }
        for r in &self.runs {
            let o = &mut out[r.worker as usize];
            o.finish_ms = o.finish_ms.max(r.end_ms);
            if self.home[r.task as usize] != r.worker {
                o.stolen_run += 1;
            }
        }
        out
    }

    /// The Gantt chart up to `now` (bars clipped there), on an axis ending at `horizon_ms`.
    /// One bar per task (and per costly steal) when there are at most [`DETAIL_TASKS`] tasks;
    /// otherwise each worker's row is cut into bins over `[0, span_ms]` (the run's own length,
    /// so a short run on a long shared axis still gets fine bins) coloured by the share of the
    /// bin spent on tasks, with at most about [`MAX_BARS`] rectangles in all.
    pub fn gantt(&self, horizon_ms: f64, span_ms: f64, now_ms: f64) -> Gantt {
        build_gantt(self, horizon_ms, span_ms, now_ms)
    }
}

/// `x / n`, or 0 when `n` is not positive or the result is not finite.
fn ratio(x: f64, n: f64) -> f64 {
    if n > 0.0 {
        let r = x / n;
        if r.is_finite() {
            return r;
        }
    }
    0.0
}

impl Simulation for StealSim {
    fn now(&self) -> f64 {
        self.now / 1000.0
    }

    fn step(&mut self) -> bool {
        let Some(ev) = self.events.pop() else {
            return false;
        };
        self.now = ev.time;
        self.last.clear();
        let (worker, kind) = ev.item;
        let w = worker as usize;
        match kind {
            EventKind::Wake | EventKind::ProbeDone => self.free(w),
            EventKind::TaskDone => {
                if let WorkerState::Running { task, .. } = self.state[w] {
                    self.last.push(Happening::Finished { worker, task });
                }
                self.done += 1;
                self.done_by[w] += 1;
                self.makespan = self.makespan.max(self.now);
                self.free(w);
            }
            EventKind::StealDone => self.on_steal_done(w),
        }
        true
    }

    fn next_event_time(&self) -> Option<f64> {
        self.events.peek().map(|e| e.time / 1000.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Gantt chart data
// ---------------------------------------------------------------------------------------------

/// Runs with at most this many tasks get one bar per task.
pub const DETAIL_TASKS: u32 = 400;
/// Rough cap on the rectangles of an aggregated Gantt chart.
pub const MAX_BARS: u32 = 1_600;
/// Most steal marks a Gantt chart carries (evenly sampled beyond that).
pub const MAX_MARKS: usize = 240;

/// What a Gantt bar shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarKind {
    /// A task that started on this worker.
    Own,
    /// A task stolen from another worker.
    Stolen,
    /// Time spent moving stolen tasks (steal cost).
    Steal,
    /// Aggregated: the share `level` of the bin spent on tasks.
    Busy,
}

/// One rectangle of a Gantt row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Start, in ms.
    pub start_ms: f64,
    /// End, in ms.
    pub end_ms: f64,
    /// What it shows.
    pub kind: BarKind,
    /// Busy share for `Busy` bars, in eighths (0.125 … 1); 1 for the others.
    pub level: f64,
}

/// A steal, marked on the chart as a line from the victim's row to the thief's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StealMark {
    /// When it started, in ms.
    pub t_ms: f64,
    /// Thief (0-based).
    pub thief: u32,
    /// Victim (0-based).
    pub victim: u32,
    /// Tasks moved.
    pub count: u32,
}

/// A Gantt chart: one row of bars per worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gantt {
    /// One bar per task (`true`) or busy-share bins (`false`).
    pub detailed: bool,
    /// Right end of the time axis, in ms.
    pub horizon_ms: f64,
    /// Bin width of an aggregated chart, in ms (0 when detailed); bins cover the run's own
    /// length, which may be shorter than the axis.
    pub bin_ms: f64,
    /// Bars of worker `i` at index `i`.
    pub rows: Vec<Vec<Bar>>,
    /// Steal marks (all of them, or an even sample of [`MAX_MARKS`]).
    pub steals: Vec<StealMark>,
    /// Steals up to the chart's time, marked or not.
    pub steals_total: u32,
}

fn build_gantt(sim: &StealSim, horizon_ms: f64, span_ms: f64, now_ms: f64) -> Gantt {
    let w = sim.w;
    let horizon = if horizon_ms.is_finite() && horizon_ms > 0.0 {
        horizon_ms
    } else {
        1.0
    };
    let detailed = sim.sizes.len() as u32 <= DETAIL_TASKS;
    let mut rows: Vec<Vec<Bar>> = vec![Vec::new(); w];
    let mut bin_ms = 0.0;
    if detailed {
        for r in sim.runs.iter().filter(|r| r.start_ms <= now_ms) {
            rows[r.worker as usize].push(Bar {
                start_ms: r.start_ms,
                end_ms: r.end_ms.min(now_ms),
                kind: if sim.home[r.task as usize] == r.worker {
                    BarKind::Own
                } else {
                    BarKind::Stolen
                },
                level: 1.0,
            });
        }
        for s in sim
            .steal_log
            .iter()
            .filter(|s| s.end_ms > s.start_ms && s.start_ms <= now_ms)
        {
            rows[s.thief as usize].push(Bar {
                start_ms: s.start_ms,
                end_ms: s.end_ms.min(now_ms),
                kind: BarKind::Steal,
                level: 1.0,
            });
        }
        for row in &mut rows {
            crate::sort::sort_by(row, |a, b| a.start_ms.total_cmp(&b.start_ms));
        }
    } else {
        let bins = (MAX_BARS / w as u32).clamp(24, 240) as usize;
        let span = if span_ms.is_finite() && span_ms > 0.0 {
            span_ms.min(horizon)
        } else {
            horizon
        };
        bin_ms = span / bins as f64;
        let mut busy = vec![0.0f64; w * bins];
        for r in sim.runs.iter().filter(|r| r.start_ms < now_ms) {
            let (a, b) = (r.start_ms, r.end_ms.min(now_ms).min(span));
            if b <= a {
                continue;
            }
            let first = ((a / bin_ms) as usize).min(bins - 1);
            let last = ((b / bin_ms) as usize).min(bins - 1);
            for k in first..=last {
                let (lo, hi) = (k as f64 * bin_ms, (k + 1) as f64 * bin_ms);
                let overlap = b.min(hi) - a.max(lo);
                if overlap > 0.0 {
                    busy[r.worker as usize * bins + k] += overlap;
                }
            }
        }
        for (i, row) in rows.iter_mut().enumerate() {
            let mut k = 0;
            while k < bins {
                let level = quantise(busy[i * bins + k] / bin_ms);
                let mut j = k + 1;
                while j < bins && quantise(busy[i * bins + j] / bin_ms) == level {
                    j += 1;
                }
                if level > 0.0 {
                    row.push(Bar {
                        start_ms: k as f64 * bin_ms,
                        end_ms: j as f64 * bin_ms,
                        kind: BarKind::Busy,
                        level,
                    });
                }
                k = j;
            }
        }
    }
    let seen: Vec<&StealRecord> = sim
        .steal_log
        .iter()
        .filter(|s| s.start_ms <= now_ms)
        .collect();
    let every = seen.len().div_ceil(MAX_MARKS).max(1);
    let steals = seen
        .iter()
        .step_by(every)
        .map(|s| StealMark {
            t_ms: s.start_ms,
            thief: s.thief,
            victim: s.victim,
            count: s.count,
        })
        .collect();
    Gantt {
        detailed,
        horizon_ms: horizon,
        bin_ms,
        rows,
        steals,
        steals_total: seen.len() as u32,
    }
}

/// A busy share rounded to eighths (exact in binary), clamped to `[0, 1]`.
fn quantise(x: f64) -> f64 {
    libm::round(x.clamp(0.0, 1.0) * 8.0) / 8.0
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// Headline figures of one simulated run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Policy key.
    pub policy: String,
    /// Policy label.
    pub label: String,
    /// When the last task ended, in ms.
    pub makespan_ms: f64,
    /// Total work ÷ (workers × makespan).
    pub efficiency: f64,
    /// Successful steals.
    pub steals: u32,
    /// Probes that found an empty deque.
    pub failed_probes: u32,
    /// Tasks moved by steals (a task can move more than once).
    pub tasks_stolen: u64,
    /// Worker time spent stealing and probing, in ms.
    pub steal_ms: f64,
}

/// One worker's figures in the chosen run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerSummary {
    /// Worker number (1-based).
    pub worker: u32,
    /// Tasks it started with.
    pub start_tasks: u32,
    /// Work it started with, in ms (its whole run without stealing).
    pub start_ms: f64,
    /// Tasks it ran.
    pub tasks_run: u32,
    /// Of those, tasks that started elsewhere.
    pub stolen_run: u32,
    /// Time spent on tasks, in ms.
    pub busy_ms: f64,
    /// Time spent stealing and probing, in ms.
    pub steal_ms: f64,
    /// When its last task ended, in ms.
    pub finish_ms: f64,
}

/// One policy on the same tasks.
pub type PolicyRow = RunSummary;

/// One row of the book-claim check: 1000 tasks on 4 workers from one starting placement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimRow {
    /// Placement key.
    pub placement: String,
    /// Placement in words.
    pub label: String,
    /// Total work of the 1000 tasks, in ms (÷ 4 is the lower bound, about 380 ms).
    pub total_work_ms: f64,
    /// Makespan without stealing, in ms.
    pub baseline_ms: f64,
    /// Efficiency without stealing.
    pub baseline_efficiency: f64,
    /// Makespan with stealing, in ms.
    pub stealing_ms: f64,
    /// Efficiency with stealing.
    pub stealing_efficiency: f64,
}

/// The book-claim check: "1000 tasks, varying sizes: 800 ms vs 400 ms, 50 % vs 95 %".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Size distribution used (the chosen one, or exponential if the chosen one is equal sizes).
    pub sizes: String,
    /// Mean task size, in ms: 1.52, so that 1000 tasks hold the 1520 ms of work that 95 % of
    /// 4 workers × 400 ms implies.
    pub task_ms: f64,
    /// The stealing policy used (the chosen one, or half-from-busiest if the chosen is none).
    pub policy: String,
    /// One row per placement.
    pub rows: Vec<ClaimRow>,
}

/// Everything one run computes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Workers `W`.
    pub workers: u32,
    /// Tasks `n`.
    pub tasks: u32,
    /// Sum of task sizes, in ms.
    pub total_work_ms: f64,
    /// The largest task, in ms.
    pub largest_task_ms: f64,
    /// `max(total ÷ W, largest)`, in ms.
    pub lower_bound_ms: f64,
    /// `⌈n ÷ W⌉ × size` when all tasks are equal, in ms.
    pub whole_task_bound_ms: Option<f64>,
    /// Graham's greedy bound `total ÷ W + (1 − 1/W) × largest`, in ms.
    pub graham_bound_ms: f64,
    /// The chosen policy's makespan, in ms.
    pub makespan_ms: f64,
    /// The chosen policy's efficiency.
    pub efficiency: f64,
    /// Makespan ÷ lower bound (1 = perfect).
    pub vs_bound: f64,
    /// Baseline makespan ÷ chosen makespan.
    pub speedup: f64,
    /// The chosen policy's run.
    pub chosen: RunSummary,
    /// The same tasks without stealing.
    pub baseline: RunSummary,
    /// The chosen policy taking from the other end of the deque (`None` without stealing).
    pub other_end: Option<RunSummary>,
    /// Every policy on the same tasks, with the chosen end and cost.
    pub policies: Vec<PolicyRow>,
    /// Per-worker figures of the chosen run.
    pub per_worker: Vec<WorkerSummary>,
    /// The chosen run's Gantt chart.
    pub gantt: Gantt,
    /// The baseline's Gantt chart, on the same axis.
    pub baseline_gantt: Gantt,
    /// The measured check of the book's 1000-task claim.
    pub claim: Claim,
    /// Plain sentences on the run.
    pub notes: Vec<String>,
}

/// Run `work` to the end under a policy.
pub fn simulate(work: &Workload, policy: Policy, end: StealEnd, cost: f64, seed: u64) -> StealSim {
    let mut sim = StealSim::new(work, policy, end, cost, seed);
    sim.run_to_end();
    sim
}

const CLAIM_PLACEMENTS: [(&str, &str); 5] = [
    ("round_robin", "round-robin"),
    ("random", "random"),
    ("zipf", "Zipf s = 1"),
    ("book", "the book's 16∶4∶2∶0"),
    ("one", "all on worker 1"),
];

/// The book's claim, measured: 1000 tasks on 4 workers, by starting placement.
fn claim(p: &Params, seed: u64) -> Claim {
    let dist = match SizeDist::from_key(&p.sizes) {
        SizeDist::Unit => SizeDist::Exponential,
        d => d,
    };
    let dist_key = match dist {
        SizeDist::Uniform => "uniform",
        SizeDist::Pareto => "pareto",
        _ => "exponential",
    };
    let policy = match Policy::from_key(&p.policy) {
        Policy::None => Policy::HalfBusiest,
        x => x,
    };
    let end = StealEnd::from_key(&p.steal_end);
    let mean = 1.52;
    let rows = CLAIM_PLACEMENTS
        .iter()
        .map(|&(key, label)| {
            let work = Workload::generate(4, 1000, dist, mean, Placement::from_key(key, 1.0), seed);
            let a = simulate(&work, Policy::None, end, p.steal_cost_ms, seed).summary();
            let b = simulate(&work, policy, end, p.steal_cost_ms, seed).summary();
            ClaimRow {
                placement: key.into(),
                label: label.into(),
                total_work_ms: work.total(),
                baseline_ms: a.makespan_ms,
                baseline_efficiency: a.efficiency,
                stealing_ms: b.makespan_ms,
                stealing_efficiency: b.efficiency,
            }
        })
        .collect();
    Claim {
        sizes: dist_key.into(),
        task_ms: mean,
        policy: policy.key().into(),
        rows,
    }
}

/// `x` with about three significant figures, for the notes.
fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        trim(format!("{x:.1}"))
    } else if a >= 1.0 {
        trim(format!("{x:.2}"))
    } else {
        trim(format!("{x:.3}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn notes(p: &Params, r: &Report, work: &Workload) -> Vec<String> {
    let mut n = Vec::new();
    let w = f64::from(r.workers);
    let policy = Policy::from_key(&p.policy);
    if policy == Policy::None {
        n.push(format!(
            "Without stealing every worker finishes only what it started with: the busiest takes {} ms, so {} of worker time is used.",
            sig(r.baseline.makespan_ms),
            pct(r.baseline.efficiency)
        ));
    } else {
        n.push(format!(
            "Without stealing the run takes {} ms ({} efficient); stealing ({}) takes {} ms ({}), {}× faster, with {} steals moving {} tasks.",
            sig(r.baseline.makespan_ms),
            pct(r.baseline.efficiency),
            policy.label(),
            sig(r.makespan_ms),
            pct(r.efficiency),
            sig(r.speedup),
            r.chosen.steals,
            r.chosen.tasks_stolen
        ));
    }
    match r.whole_task_bound_ms {
        Some(b) => n.push(format!(
            "All tasks are equal, so the best possible is ⌈{} ÷ {}⌉ = {} tasks per worker, {} ms; this run takes {} ms{}.",
            r.tasks,
            r.workers,
            libm::ceil(f64::from(r.tasks) / w),
            sig(b),
            sig(r.makespan_ms),
            if r.makespan_ms <= b * (1.0 + 1e-9) { ", a perfect balance" } else { "" }
        )),
        None => n.push(format!(
            "No schedule can beat max(total ÷ workers, largest task) = {} ms; this run takes {} ms, {} above it.",
            sig(r.lower_bound_ms),
            sig(r.makespan_ms),
            pct(r.vs_bound - 1.0)
        )),
    }
    if work.largest() > work.total() / w {
        n.push(format!(
            "One task ({} ms) is longer than a fair share of all the work ({} ms): it alone sets the finish, and no policy can split it.",
            sig(work.largest()),
            sig(work.total() / w)
        ));
    }
    if p.steal_cost_ms > 0.0 && policy != Policy::None {
        n.push(format!(
            "Steals cost {} ms each: thieves spent {} ms stealing and probing, {} of all worker time.",
            sig(p.steal_cost_ms),
            sig(r.chosen.steal_ms),
            pct(ratio(r.chosen.steal_ms, w * r.makespan_ms))
        ));
        if r.makespan_ms > r.baseline.makespan_ms {
            n.push("Here stealing costs more than it saves: the run is slower than not stealing at all.".into());
        }
    }
    if r.chosen.failed_probes > 0 {
        n.push(format!(
            "{} probes found an empty deque: a random victim is often the wrong one when few workers still hold work.",
            r.chosen.failed_probes
        ));
    }
    if let Some(o) = &r.other_end {
        let d = ratio(o.makespan_ms - r.makespan_ms, r.makespan_ms);
        let verdict = if d.abs() < 0.02 {
            "with independent tasks the end barely matters for balance"
        } else {
            "neither end is better on average for independent tasks (over many seeds the means agree within 1 %), but on one run it changes which tasks happen to finish last"
        };
        n.push(format!(
            "Taking from the other end of the deque gives {} ms ({}{:.1} %): {verdict}.",
            sig(o.makespan_ms),
            if d >= 0.0 { "+" } else { "−" },
            d.abs() * 100.0
        ));
    }
    n
}

impl Model for WorkStealing {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let p = params.sanitised();
        let work = Workload::new(&p, seed);
        let policy = Policy::from_key(&p.policy);
        let end = StealEnd::from_key(&p.steal_end);
        let cost = p.steal_cost_ms;
        let chosen_sim = simulate(&work, policy, end, cost, seed);
        let base_sim = simulate(&work, Policy::None, end, cost, seed);
        let chosen = chosen_sim.summary();
        let baseline = base_sim.summary();
        let policies: Vec<PolicyRow> = Policy::ALL
            .iter()
            .map(|&q| {
                if q == policy {
                    chosen.clone()
                } else if q == Policy::None {
                    baseline.clone()
                } else {
                    simulate(&work, q, end, cost, seed).summary()
                }
            })
            .collect();
        let other_end = (policy != Policy::None)
            .then(|| simulate(&work, policy, end.other(), cost, seed).summary());
        let horizon = chosen.makespan_ms.max(baseline.makespan_ms);
        let gantt = chosen_sim.gantt(horizon, chosen.makespan_ms, f64::INFINITY);
        let baseline_gantt = base_sim.gantt(horizon, baseline.makespan_ms, f64::INFINITY);
        let lower = work.lower_bound();
        let mut r = Report {
            workers: work.workers,
            tasks: work.sizes.len() as u32,
            total_work_ms: work.total(),
            largest_task_ms: work.largest(),
            lower_bound_ms: lower,
            whole_task_bound_ms: work.whole_task_bound(),
            graham_bound_ms: work.graham_bound(),
            makespan_ms: chosen.makespan_ms,
            efficiency: chosen.efficiency,
            vs_bound: ratio(chosen.makespan_ms, lower),
            speedup: ratio(baseline.makespan_ms, chosen.makespan_ms),
            per_worker: chosen_sim.per_worker(),
            chosen,
            baseline,
            other_end,
            policies,
            gantt,
            baseline_gantt,
            claim: claim(&p, seed),
            notes: Vec::new(),
        };
        r.notes = notes(&p, &r, &work);
        r
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("makespan_ms", r.makespan_ms),
            ("efficiency", r.efficiency),
            ("baseline_makespan_ms", r.baseline.makespan_ms),
            ("baseline_efficiency", r.baseline.efficiency),
            ("speedup", r.speedup),
            ("vs_bound", r.vs_bound),
            ("steals", f64::from(r.chosen.steals)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use proptest::prelude::*;

    fn run(p: &Params, seed: u64) -> Report {
        WorkStealing::run(p, seed)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
    }

    #[test]
    fn the_books_scenario_takes_16_units_without_stealing_and_6_with() {
        let r = run(&Params::default(), 1);
        let starts: Vec<u32> = r.per_worker.iter().map(|w| w.start_tasks).collect();
        assert_eq!(starts, vec![16, 4, 2, 0]);
        assert_eq!(r.baseline.makespan_ms, 16.0);
        assert_eq!(r.makespan_ms, 6.0);
        assert_eq!(r.whole_task_bound_ms, Some(6.0));
        assert_eq!(r.lower_bound_ms, 5.5);
        assert_eq!(r.total_work_ms, 22.0);
        assert!(close(r.efficiency, 22.0 / 24.0, 1e-12));
        assert!(close(r.baseline.efficiency, 22.0 / 64.0, 1e-12));
        // everyone ends with 5 or 6 tasks, as the book's step 4 shows
        let mut ran: Vec<u32> = r.per_worker.iter().map(|w| w.tasks_run).collect();
        ran.sort_unstable();
        assert_eq!(ran, vec![5, 5, 6, 6]);
        // the seed plays no part in the book's deterministic scenario itself
        let again = run(&Params::default(), 99);
        assert_eq!(
            (&r.chosen, &r.baseline, &r.gantt),
            (&again.chosen, &again.baseline, &again.gantt)
        );
    }

    #[test]
    fn the_books_first_steal_takes_8_of_worker_1s_tasks() {
        let mut sim = StealSim::from_params(&Params::default(), 1);
        for _ in 0..4 {
            assert!(sim.step());
        }
        let s = sim.snapshot();
        assert_eq!(
            s.last,
            vec![Happening::StealBegan {
                thief: 3,
                victim: 0,
                count: 8
            }]
        );
        // worker 1 keeps its running task and 7 queued: 8, as in the book's step 2
        assert_eq!(s.workers[0].queued, 7);
        assert!(matches!(s.workers[0].state, WorkerState::Running { .. }));
        sim.step();
        let s = sim.snapshot();
        assert_eq!(s.workers[3].queued, 7);
        assert!(matches!(s.workers[3].state, WorkerState::Running { .. }));
    }

    #[test]
    fn steal_cost_delays_the_book_scenario() {
        let p = Params {
            steal_cost_ms: 0.5,
            ..Params::default()
        };
        let r = run(&p, 1);
        assert!(
            r.makespan_ms > 6.0 && r.makespan_ms < 16.0,
            "{}",
            r.makespan_ms
        );
        assert!(r.chosen.steal_ms >= 0.5 * f64::from(r.chosen.steals));
    }

    #[test]
    fn no_stealing_is_the_busiest_starting_load() {
        for placement in ["book", "round_robin", "random", "zipf", "one"] {
            let p = Params {
                placement: placement.into(),
                sizes: "exponential".into(),
                tasks: 500,
                workers: 7,
                policy: "none".into(),
                ..Params::default()
            };
            let r = run(&p, 3);
            let want = r.per_worker.iter().fold(0.0f64, |a, w| a.max(w.start_ms));
            assert!(close(r.makespan_ms, want, 1e-12), "{placement}");
            assert_eq!(r.chosen.steals, 0);
            assert!(r.other_end.is_none());
        }
    }

    #[test]
    fn placements_give_the_intended_counts() {
        let mut rng = Rng::new(1);
        let count = |v: &[u32], w: u32| {
            (0..w)
                .map(|i| v.iter().filter(|&&h| h == i).count() as u32)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            count(&Placement::Book.place(22, 4, &mut rng), 4),
            vec![16, 4, 2, 0]
        );
        assert_eq!(
            count(&Placement::Book.place(44, 6, &mut rng), 6),
            vec![32, 8, 4, 0, 0, 0]
        );
        assert_eq!(
            count(&Placement::RoundRobin.place(10, 4, &mut rng), 4),
            vec![3, 3, 2, 2]
        );
        assert_eq!(
            count(&Placement::One.place(10, 4, &mut rng), 4),
            vec![10, 0, 0, 0]
        );
        // 1 : 1/2 : 1/3 : 1/4 of 25 = 12, 6, 4, 3
        assert_eq!(
            count(&Placement::Zipf(1.0).place(25, 4, &mut rng), 4),
            vec![12, 6, 4, 3]
        );
        assert_eq!(
            count(&Placement::Zipf(0.0).place(12, 4, &mut rng), 4),
            vec![3, 3, 3, 3]
        );
        let r = count(&Placement::Random.place(40_000, 4, &mut rng), 4);
        assert!(r.iter().all(|&c| (9_600..10_400).contains(&c)), "{r:?}");
        assert_eq!(largest_remainder(7, &[1.0, 1.0, 1.0]), vec![3, 2, 2]);
        assert_eq!(largest_remainder(5, &[0.0, 0.0]), vec![5, 0]);
    }

    #[test]
    fn size_distributions_have_the_requested_mean() {
        for (dist, tol) in [
            (SizeDist::Unit, 1e-12),
            (SizeDist::Uniform, 0.01),
            (SizeDist::Exponential, 0.02),
            // infinite variance: the sample mean converges slowly
            (SizeDist::Pareto, 0.08),
        ] {
            let mut rng = Rng::new(5);
            let n = 200_000;
            let m = (0..n).map(|_| dist.draw(2.0, &mut rng)).sum::<f64>() / f64::from(n);
            assert!(close(m, 2.0, tol), "{dist:?}: {m}");
        }
        let mut rng = Rng::new(6);
        let u: Vec<f64> = (0..10_000)
            .map(|_| SizeDist::Uniform.draw(5.5, &mut rng))
            .collect();
        assert!(u.iter().all(|&x| (1.0..=10.0).contains(&x)));
        let p: Vec<f64> = (0..10_000)
            .map(|_| SizeDist::Pareto.draw(3.0, &mut rng))
            .collect();
        assert!(p.iter().all(|&x| x >= 1.0));
    }

    #[test]
    fn the_books_1000_task_claim_holds_only_for_a_skewed_start() {
        let p = Params {
            sizes: "exponential".into(),
            ..Params::default()
        };
        for seed in [1, 2, 3] {
            let c = run(&p, seed).claim;
            let row = |k: &str| {
                c.rows
                    .iter()
                    .find(|r| r.placement == k)
                    .cloned()
                    .unwrap_or_else(|| panic!("{k}"))
            };
            // an even start is already ~95 % efficient without stealing: nothing like 50 %
            let rr = row("round_robin");
            assert!(rr.baseline_efficiency > 0.88, "{rr:?}");
            // Zipf s = 1 on 4 workers puts 48 % of the work on worker 1: about the book's 50 %
            let z = row("zipf");
            assert!((0.45..0.58).contains(&z.baseline_efficiency), "{z:?}");
            // ... and stealing lands near the book's 95 % and within 3 % of total ÷ 4 (≈ 380 ms)
            for r in &c.rows {
                assert!(r.stealing_efficiency > 0.95, "{r:?}");
                assert!(r.stealing_ms <= r.total_work_ms / 4.0 * 1.03, "{r:?}");
                assert!((r.total_work_ms - 1520.0).abs() < 4.0 * 48.1, "{r:?}");
            }
        }
    }

    #[test]
    fn the_deque_end_barely_matters_for_independent_tasks() {
        // over 40 seeds the mean makespans of the two ends agree within 1 %
        let p = Params {
            sizes: "exponential".into(),
            placement: "one".into(),
            tasks: 2_000,
            workers: 16,
            ..Params::default()
        };
        let (mut a, mut b) = (0.0, 0.0);
        for seed in 0..40 {
            let r = run(&p, seed);
            a += r.makespan_ms;
            b += r.other_end.map(|o| o.makespan_ms).unwrap_or(f64::NAN);
        }
        assert!(close(a, b, 0.01), "{a} vs {b}");
    }

    #[test]
    fn random_victims_waste_probes_and_busiest_never_does() {
        let p = Params {
            placement: "one".into(),
            workers: 32,
            tasks: 3_000,
            sizes: "exponential".into(),
            steal_cost_ms: 0.05,
            ..Params::default()
        };
        let r = run(&p, 4);
        let get = |k: &str| {
            r.policies
                .iter()
                .find(|x| x.policy == k)
                .cloned()
                .unwrap_or_else(|| panic!("{k}"))
        };
        assert_eq!(get("half_busiest").failed_probes, 0);
        assert_eq!(get("one_busiest").failed_probes, 0);
        assert!(get("half_random").failed_probes > 0);
        // stealing one at a time needs far more steals than stealing half
        assert!(get("one_busiest").steals > 5 * get("half_busiest").steals);
    }

    #[test]
    fn heavy_tails_are_bounded_by_the_largest_task() {
        // 200 tasks on 64 workers with Pareto sizes: the largest task often exceeds a fair share
        let p = Params {
            sizes: "pareto".into(),
            placement: "round_robin".into(),
            tasks: 200,
            workers: 64,
            ..Params::default()
        };
        let r = run(&p, 8);
        assert!(r.makespan_ms >= r.largest_task_ms);
        assert!(r.makespan_ms <= r.graham_bound_ms * (1.0 + 1e-9));
    }

    #[test]
    fn gantt_is_detailed_for_small_runs_and_bounded_for_big_ones() {
        let r = run(&Params::default(), 1);
        assert!(r.gantt.detailed);
        let bars: usize = r.gantt.rows.iter().map(|row| row.len()).sum();
        assert_eq!(bars, 22);
        assert_eq!(r.gantt.steals.len() as u32, r.chosen.steals);
        assert_eq!(r.gantt.horizon_ms, 16.0);
        let stolen = r
            .gantt
            .rows
            .iter()
            .flatten()
            .filter(|b| b.kind == BarKind::Stolen)
            .count();
        let moved: u32 = r.per_worker.iter().map(|w| w.stolen_run).sum();
        assert_eq!(stolen as u32, moved);
        for (workers, policy) in [(64, "one_random"), (2, "half_busiest"), (17, "half_random")] {
            let p = Params {
                workers,
                tasks: 20_000,
                sizes: "pareto".into(),
                placement: "zipf".into(),
                policy: policy.into(),
                steal_cost_ms: 0.01,
                ..Params::default()
            };
            let r = run(&p, 2);
            for g in [&r.gantt, &r.baseline_gantt] {
                assert!(!g.detailed);
                let bars: usize = g.rows.iter().map(|row| row.len()).sum();
                assert!(
                    bars <= (MAX_BARS as usize).max(24 * workers as usize),
                    "{bars}"
                );
                assert!(g.steals.len() <= MAX_MARKS);
                for b in g.rows.iter().flatten() {
                    assert!(b.level > 0.0 && b.level <= 1.0 && b.end_ms > b.start_ms);
                    assert!(b.end_ms <= g.horizon_ms * (1.0 + 1e-9));
                }
            }
        }
    }

    #[test]
    fn live_gantt_grows_and_ends_as_the_report() {
        let p = Params::default();
        let r = run(&p, 1);
        let mut sim = StealSim::from_params(&p, 1);
        sim.advance_to(0.003);
        let g = sim.gantt(16.0, 6.0, sim.now_ms());
        assert!(g.rows.iter().flatten().all(|b| b.end_ms <= 3.0));
        sim.run_to_end();
        assert_eq!(sim.gantt(16.0, 6.0, f64::INFINITY), r.gantt);
        assert_eq!(sim.now(), 0.006);
        assert!(sim.is_done() && !sim.step() && sim.next_event_time().is_none());
        // an aggregated chart, played live, ends as the report's, with bins over its own run
        let p = Params {
            workers: 12,
            tasks: 5_000,
            sizes: "exponential".into(),
            placement: "zipf".into(),
            policy: "half_random".into(),
            ..Params::default()
        };
        let r = run(&p, 3);
        assert!(!r.gantt.detailed);
        assert!(r.gantt.bin_ms < r.baseline_gantt.bin_ms / 2.0);
        let mut sim = StealSim::from_params(&p, 3);
        sim.advance_to(r.makespan_ms / 2000.0);
        let half = sim.gantt(r.gantt.horizon_ms, r.makespan_ms, sim.now_ms());
        assert!(half
            .rows
            .iter()
            .flatten()
            .all(|b| b.start_ms < r.makespan_ms / 2.0 + half.bin_ms));
        sim.run_to_end();
        assert_eq!(
            sim.gantt(r.gantt.horizon_ms, r.makespan_ms, f64::INFINITY),
            r.gantt
        );
    }

    #[test]
    fn garbage_params_are_clamped_with_notices() {
        let pairs: Vec<(String, String)> = [
            ("workers", "1000"),
            ("tasks", "-4"),
            ("sizes", "huge"),
            ("task_ms", "NaN"),
            ("steal_cost_ms", "1e9"),
            ("policy", "<script>"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (p, n) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!((p.workers, p.tasks), (64, 10));
        assert_eq!(p.sizes, "unit");
        assert_eq!(p.task_ms, 1.0);
        assert_eq!(p.steal_cost_ms, 100.0);
        assert_eq!(p.policy, "half_busiest");
        assert_eq!(n.len(), 6, "{n:?}");
        // params that skipped validation still run
        let bad = Params {
            workers: 0,
            tasks: 0,
            task_ms: f64::NAN,
            skew: -1.0,
            steal_cost_ms: f64::INFINITY,
            policy: "?".into(),
            ..Params::default()
        };
        let r = run(&bad, 1);
        assert_eq!((r.workers, r.tasks), (2, 10));
        assert!(WorkStealing::headline(&r)
            .iter()
            .all(|(_, x)| x.is_finite()));
    }

    #[test]
    fn report_round_trips_through_json_and_is_deterministic() {
        let p = Params {
            sizes: "exponential".into(),
            placement: "random".into(),
            policy: "half_random".into(),
            tasks: 300,
            workers: 6,
            steal_cost_ms: 0.1,
            ..Params::default()
        };
        let a = run(&p, 11);
        assert_eq!(a, run(&p, 11));
        assert_ne!(a.makespan_ms, run(&p, 12).makespan_ms);
        let json = serde_json::to_string(&a).unwrap_or_default();
        let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        // serde_json's default float parser may miss by an ulp, so compare with a tolerance
        assert!(close(back.makespan_ms, a.makespan_ms, 1e-15));
        assert_eq!(
            (back.policies.len(), back.per_worker.len(), &back.notes),
            (5, 6, &a.notes)
        );
        assert_eq!(back.gantt.rows.len(), a.gantt.rows.len());
        assert_eq!(back.chosen.steals, a.chosen.steals);
    }

    #[test]
    fn max_params_stay_bounded() {
        let t = std::time::Instant::now();
        let p = Params {
            workers: 64,
            tasks: 100_000,
            sizes: "pareto".into(),
            placement: "one".into(),
            policy: "one_random".into(),
            steal_cost_ms: 0.01,
            ..Params::default()
        };
        let r = run(&p, 1);
        let json = serde_json::to_string(&r).unwrap_or_default();
        println!("max params: {:?}, report {} bytes", t.elapsed(), json.len());
        assert!(json.len() < 400_000, "{}", json.len());
        assert!(r.makespan_ms >= r.lower_bound_ms);
    }

    /// Run a simulation by hand and check every task ran exactly once, busy time equals work,
    /// no worker does two things at once, and the bounds hold.
    fn check_invariants(
        work: &Workload,
        policy: Policy,
        end: StealEnd,
        cost: f64,
        seed: u64,
    ) -> Result<(), TestCaseError> {
        let mut sim = StealSim::new(work, policy, end, cost, seed);
        let mut last = 0.0;
        while sim.step() {
            prop_assert!(sim.now_ms() >= last);
            last = sim.now_ms();
            let s = sim.snapshot();
            // conservation: queued + running + in flight + done = n, at every step
            let queued: u32 = s.workers.iter().map(|w| w.queued).sum();
            let running = s
                .workers
                .iter()
                .filter(|w| matches!(w.state, WorkerState::Running { .. }))
                .count() as u32;
            let flying: u32 = s
                .workers
                .iter()
                .map(|w| match w.state {
                    WorkerState::Stealing { count, .. } => count,
                    _ => 0,
                })
                .sum();
            prop_assert_eq!(queued + running + flying + s.done, s.total);
        }
        let n = work.sizes.len();
        let mut seen = vec![0u8; n];
        for r in sim.runs() {
            seen[r.task as usize] += 1;
            prop_assert!(
                (r.end_ms - r.start_ms - work.sizes[r.task as usize]).abs()
                    <= 1e-9 * r.end_ms.max(1.0)
            );
        }
        prop_assert!(
            seen.iter().all(|&c| c == 1),
            "a task ran {:?} times",
            seen.iter().find(|&&c| c != 1)
        );
        let busy: f64 = sim.per_worker().iter().map(|w| w.busy_ms).sum();
        prop_assert!(close(busy, work.total(), 1e-9));
        // a worker never runs two tasks at once, nor steals while running
        for wk in 0..work.workers {
            let mut spans: Vec<(f64, f64)> = sim
                .runs()
                .iter()
                .filter(|r| r.worker == wk)
                .map(|r| (r.start_ms, r.end_ms))
                .collect();
            spans.extend(
                sim.steal_log()
                    .iter()
                    .filter(|s| s.thief == wk)
                    .map(|s| (s.start_ms, s.end_ms)),
            );
            spans.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            for pair in spans.windows(2) {
                prop_assert!(
                    pair[1].0 >= pair[0].1 - 1e-9 * pair[0].1.max(1.0),
                    "{:?}",
                    pair
                );
            }
        }
        let m = sim.makespan_ms();
        prop_assert!(m >= work.lower_bound() * (1.0 - 1e-12));
        if policy == Policy::None {
            let want = work.initial().iter().fold(0.0f64, |a, x| a.max(x.1));
            prop_assert!(close(m, want, 1e-12));
        } else if cost == 0.0 {
            // greedy list scheduling: Graham (1966)
            prop_assert!(
                m <= work.graham_bound() * (1.0 + 1e-9),
                "{} > {}",
                m,
                work.graham_bound()
            );
        }
        let s = sim.summary();
        prop_assert!(s.efficiency > 0.0 && s.efficiency <= 1.0 + 1e-12);
        Ok(())
    }

    fn any_dist() -> impl Strategy<Value = SizeDist> {
        prop_oneof![
            Just(SizeDist::Unit),
            Just(SizeDist::Uniform),
            Just(SizeDist::Exponential),
            Just(SizeDist::Pareto)
        ]
    }

    fn any_placement() -> impl Strategy<Value = Placement> {
        prop_oneof![
            Just(Placement::Book),
            Just(Placement::RoundRobin),
            Just(Placement::Random),
            (0.0f64..3.0).prop_map(Placement::Zipf),
            Just(Placement::One)
        ]
    }

    fn any_policy() -> impl Strategy<Value = Policy> {
        prop_oneof![
            Just(Policy::None),
            Just(Policy::HalfBusiest),
            Just(Policy::HalfRandom),
            Just(Policy::OneBusiest),
            Just(Policy::OneRandom)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn every_task_runs_exactly_once_and_busy_time_is_total_work(
            workers in 2u32..=64,
            tasks in 10u32..1_500,
            dist in any_dist(),
            mean in 0.01f64..1000.0,
            placement in any_placement(),
            policy in any_policy(),
            same_end in any::<bool>(),
            cost in prop_oneof![Just(0.0f64), 0.0f64..5.0, 0.0f64..100.0],
            seed in 0u64..1_000_000,
        ) {
            let work = Workload::generate(workers, tasks, dist, mean, placement, seed);
            let end = if same_end { StealEnd::Same } else { StealEnd::Opposite };
            check_invariants(&work, policy, end, cost, seed)?;
        }

        #[test]
        fn reports_are_sane_for_any_valid_params(
            workers in 2u32..=64,
            tasks in 10u32..2_000,
            sizes in prop_oneof![Just("unit"), Just("uniform"), Just("exponential"), Just("pareto")],
            task_ms in 0.01f64..1000.0,
            placement in prop_oneof![Just("book"), Just("round_robin"), Just("random"), Just("zipf"), Just("one")],
            skew in 0.0f64..3.0,
            policy in prop_oneof![Just("none"), Just("half_busiest"), Just("half_random"), Just("one_busiest"), Just("one_random")],
            cost in prop_oneof![Just(0.0f64), 0.0f64..100.0],
            seed in 0u64..1_000_000,
        ) {
            let p = Params { workers, tasks, sizes: sizes.into(), task_ms, placement: placement.into(), skew, policy: policy.into(), steal_end: "opposite".into(), steal_cost_ms: cost };
            let (p, notices) = crate::params::validate(p);
            prop_assert!(notices.is_empty(), "{:?}", notices);
            let r = run(&p, seed);
            prop_assert_eq!(r.policies.len(), 5);
            prop_assert!(r.makespan_ms >= r.lower_bound_ms * (1.0 - 1e-12));
            prop_assert!(r.lower_bound_ms <= r.graham_bound_ms);
            prop_assert!(r.baseline.makespan_ms >= r.lower_bound_ms * (1.0 - 1e-12));
            prop_assert!(WorkStealing::headline(&r).iter().all(|(_, x)| x.is_finite()));
            let started: u32 = r.per_worker.iter().map(|w| w.start_tasks).sum();
            let ran: u32 = r.per_worker.iter().map(|w| w.tasks_run).sum();
            prop_assert_eq!((started, ran), (tasks, tasks));
            for g in [&r.gantt, &r.baseline_gantt] {
                let bars: usize = g.rows.iter().map(|row| row.len()).sum();
                prop_assert!(bars <= 2_000);
            }
        }
    }
}
