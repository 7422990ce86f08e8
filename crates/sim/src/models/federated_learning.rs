//! # Federated learning (book page 31, "Pillar V: distributing intelligence"): FedAvg over
//! edge nodes with skewed data, stragglers and dropouts, beside FedSGD and central training
//!
//! Real training, small enough to rerun on every knob move:
//!
//! - **Task.** Points in the plane from [`CLASSES`] class-conditional Gaussians (means on a
//!   circle of radius [`RADIUS`], 120° apart, isotropic standard deviation `spread`). The model
//!   is softmax (multinomial logistic) regression: `3 × (2 weights + bias)` = [`N_PARAMS`] reals,
//!   cross-entropy loss. With equal class covariances the Bayes rule is linear (nearest true
//!   mean), so the model *can* reach the best accuracy the data allow; the report gives that
//!   accuracy on the test set as the ceiling.
//! - **Edge data.** `nodes` nodes each hold `samples` points (or sizes spread over ×¼…×4 with
//!   `size_skew`). IID: classes in equal shares. Label skew: node `k` draws `dominant_pct` % of
//!   its points from class `k mod 3` and splits the rest evenly over the others. A balanced
//!   held-out test set of [`TEST_PER_CLASS`] points per class measures accuracy.
//! - **FedAvg** (McMahan, Moore, Ramage, Hampson, Agüera y Arcas, "Communication-Efficient
//!   Learning of Deep Networks from Decentralized Data", AISTATS 2017, Algorithm 1). Each round
//!   the server samples `max(1, round(C·K))` nodes without replacement and sends them the
//!   global weights; each runs `local_epochs` passes of mini-batch SGD (batch `batch`, step
//!   `lr`, a fresh shuffle per pass) from those weights and sends its weights back; the server
//!   replaces the global model by the average of the weights it received, weighted by `n_k`.
//! - **FedSGD** (the same paper's baseline, and what the book's diagram draws: edges send
//!   *gradients*): the same nodes send one full-batch gradient at the global weights; the
//!   server takes one step of size `lr` along their `n_k`-weighted mean. It is FedAvg with
//!   `E = 1` and `B = ∞` — a message of the same size, but one step of progress per round.
//! - **Central baseline**: the pooled data of every node in one place, trained by mini-batch
//!   SGD (same `batch`, same `lr`). Matched compute: per round it processes as many
//!   sample-gradients as FedAvg planned that round, `E · Σ n_k` over the sampled nodes, walking
//!   a reshuffled pass through the pool. It never drops or waits: the upper bound.
//! - **Time.** A node computes [`SAMPLES_PER_S`] sample-gradients per second times its speed
//!   (seeded, uniform in 0.7…1.3); `stragglers_pct` % of the nodes are `slowdown` times slower.
//!   Sending the model each way costs [`LINK_S`]. With `mode = wait` the server waits for the
//!   last node it sampled; with `mode = deadline` it closes the round at `deadline_x` × the
//!   nominal round time (`2·LINK_S + E·n̄ / SAMPLES_PER_S`) and drops what has not arrived. Each
//!   sampled node also drops out of the round with probability `dropout_pct` % (offline,
//!   battery, network), which the server learns at once. Dropped and late nodes never enter
//!   the average; FedSGD uses the same participants, so the two differ only in what they send.
//! - **Bytes**: [`N_PARAMS`] `f64`s per message, down to every sampled node, up from each node
//!   that returns.
//!
//! Theory the tests pin: with `C = 1`, `E = 1`, full-batch local steps (`B ≥ n_k`) and no
//! dropouts, one FedAvg round equals one step of full-batch gradient descent on the pooled
//! data (the `n_k`-weighted mean of the local gradients is the pooled gradient), to rounding;
//! FedSGD equals it too. Measured: on IID data FedAvg ends close to central training; under
//! strong label skew it needs more rounds to reach the same accuracy (Zhao et al., "Federated
//! Learning with Non-IID Data", 2018; Li et al., "On the Convergence of FedAvg on Non-IID
//! Data", ICLR 2020), and more local epochs make the nodes' models drift apart.
//!
//! ```
//! use sim::model::Model;
//! use sim::models::federated_learning::{FederatedLearning, Params};
//! let r = FederatedLearning::run(&Params::default(), 1);
//! assert_eq!(r.acc_fedavg.len(), r.rounds as usize + 1);
//! assert!(r.returned.iter().all(|&m| m <= 10));
//! ```

use crate::model::{Model, Simulation};
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// The federated-learning model.
pub struct FederatedLearning;

/// Number of classes.
pub const CLASSES: usize = 3;
/// Parameters of the model: per class, two weights and a bias.
pub const N_PARAMS: usize = CLASSES * 3;
/// Bytes of one model (or gradient) message: [`N_PARAMS`] `f64`s.
pub const MODEL_BYTES: u64 = (N_PARAMS * 8) as u64;
/// Distance of each class mean from the origin.
pub const RADIUS: f64 = 2.0;
/// Held-out test points per class.
pub const TEST_PER_CLASS: usize = 200;
/// Sample-gradients per second of a node at speed 1.
pub const SAMPLES_PER_S: f64 = 1000.0;
/// Seconds to send the model one way.
pub const LINK_S: f64 = 0.05;
/// Most pooled points the training loss is measured on each round (an evenly spaced sample,
/// the same for every learner and round, when the pool is larger): it keeps the default run
/// within a frame.
pub const LOSS_SAMPLE: usize = 250;

/// Data splits: `(value, label)`.
pub const SPLITS: &[(&str, &str)] = &[
    ("iid", "IID: fair samples"),
    ("skew", "Label skew: mostly one class"),
];

/// What the server does about slow nodes: `(value, label)`.
pub const MODES: &[(&str, &str)] = &[
    ("wait", "Wait for all"),
    ("deadline", "Deadline: drop late nodes"),
];

/// One model: per class `c`, `[w_c1, w_c2, b_c]` at `3c..3c+3`.
pub type Weights = [f64; N_PARAMS];

/// The knobs. Defaults: ten edge nodes with 100 points each, mostly one class per node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Edge nodes K.
    pub nodes: u32,
    /// Training points per node (the mean, with `size_skew`).
    pub samples: u32,
    /// Spread node sizes over ×¼ … ×4 of `samples` (quantity skew).
    pub size_skew: bool,
    /// `iid` or `skew` (label skew).
    pub split: String,
    /// Label skew: percent of a node's points from its dominant class.
    pub dominant_pct: f64,
    /// Standard deviation of each class's cloud (larger: classes overlap more).
    pub spread: f64,
    /// Fraction C of the nodes sampled each round.
    pub fraction: f64,
    /// Local epochs E per round.
    pub local_epochs: u32,
    /// Local mini-batch size B (B ≥ a node's points: full batch).
    pub batch: u32,
    /// Learning rate η.
    pub lr: f64,
    /// Communication rounds.
    pub rounds: u32,
    /// Percent of the nodes that are stragglers.
    pub stragglers_pct: f64,
    /// How many times slower a straggler computes.
    pub slowdown: f64,
    /// `wait` or `deadline`.
    pub mode: String,
    /// Deadline, as a multiple of the nominal round time.
    pub deadline_x: f64,
    /// Chance, percent, that a sampled node drops out of a round.
    pub dropout_pct: f64,
    /// Test accuracy counted as "reached", percent.
    pub target_pct: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 10,
            samples: 100,
            size_skew: false,
            split: "skew".into(),
            dominant_pct: 80.0,
            spread: 1.0,
            fraction: 0.5,
            local_epochs: 2,
            batch: 10,
            lr: 0.1,
            rounds: 20,
            stragglers_pct: 20.0,
            slowdown: 5.0,
            mode: "wait".into(),
            deadline_x: 2.0,
            dropout_pct: 0.0,
            target_pct: 90.0,
        }
    }
}

#[rustfmt::skip]
static KNOBS: &[Knob] = &[
    Knob { key: "nodes", label: "Edge nodes K", unit: "", help: "How many edge nodes hold data.", kind: KnobKind::Int { min: 2, max: 30, log: false } },
    Knob { key: "samples", label: "Points per node", unit: "", help: "Training points each node holds (the mean, with unequal sizes).", kind: KnobKind::Int { min: 10, max: 300, log: true } },
    Knob { key: "size_skew", label: "Unequal node sizes", unit: "", help: "Spread node sizes over a quarter to four times the mean: the server then weights by size.", kind: KnobKind::Bool },
    Knob { key: "split", label: "Data split", unit: "", help: "IID: each node a fair sample. Label skew: each node mostly one class, as on real devices.", kind: KnobKind::Choice { options: SPLITS } },
    Knob { key: "dominant_pct", label: "Dominant class share", unit: "%", help: "Label skew only: share of a node's points from its main class (33 % would be IID).", kind: KnobKind::Float { min: 34.0, max: 100.0, step: 1.0, log: false } },
    Knob { key: "spread", label: "Class spread σ", unit: "", help: "Standard deviation of each class's cloud; the means are 2 from the centre. Larger: harder task.", kind: KnobKind::Float { min: 0.3, max: 3.0, step: 0.1, log: false } },
    Knob { key: "fraction", label: "Fraction sampled C", unit: "", help: "Share of the nodes the server asks each round.", kind: KnobKind::Float { min: 0.05, max: 1.0, step: 0.05, log: false } },
    Knob { key: "local_epochs", label: "Local epochs E", unit: "", help: "Passes over its own data each node makes per round.", kind: KnobKind::Int { min: 1, max: 10, log: false } },
    Knob { key: "batch", label: "Local batch B", unit: "points", help: "Mini-batch size of local SGD; at or above a node's size, each epoch is one full-batch step.", kind: KnobKind::Int { min: 1, max: 1000, log: true } },
    Knob { key: "lr", label: "Learning rate η", unit: "", help: "SGD step size, the same for FedAvg, FedSGD and central training.", kind: KnobKind::Float { min: 0.001, max: 1.0, step: 0.001, log: true } },
    Knob { key: "rounds", label: "Rounds", unit: "", help: "Communication rounds (one model down, one update up).", kind: KnobKind::Int { min: 1, max: 60, log: false } },
    Knob { key: "stragglers_pct", label: "Stragglers", unit: "% of nodes", help: "Share of the nodes that compute slowly.", kind: KnobKind::Float { min: 0.0, max: 100.0, step: 5.0, log: false } },
    Knob { key: "slowdown", label: "Straggler slowdown", unit: "×", help: "How many times slower a straggler computes.", kind: KnobKind::Float { min: 1.0, max: 20.0, step: 0.5, log: false } },
    Knob { key: "mode", label: "Slow nodes", unit: "", help: "Wait for every sampled node, or close the round at a deadline and drop the late ones.", kind: KnobKind::Choice { options: MODES } },
    Knob { key: "deadline_x", label: "Deadline", unit: "× nominal round", help: "Deadline mode: round length allowed, as a multiple of a typical node's round time.", kind: KnobKind::Float { min: 1.0, max: 10.0, step: 0.1, log: false } },
    Knob { key: "dropout_pct", label: "Dropout per round", unit: "%", help: "Chance that a sampled node goes offline during a round; its update is lost.", kind: KnobKind::Float { min: 0.0, max: 90.0, step: 1.0, log: false } },
    Knob { key: "target_pct", label: "Target accuracy", unit: "%", help: "Test accuracy counted as reached, for rounds and bytes to target.", kind: KnobKind::Float { min: 40.0, max: 99.0, step: 1.0, log: false } },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    /// Unknown choices fall back to the defaults (ranges are clamped before this runs).
    fn check(&mut self, notices: &mut Vec<Notice>) {
        let d = Params::default();
        if !SPLITS.iter().any(|s| s.0 == self.split) {
            self.split = d.split;
            notices.push(Notice::new("split", "unknown data split; using label skew"));
        }
        if !MODES.iter().any(|s| s.0 == self.mode) {
            self.mode = d.mode;
            notices.push(Notice::new("mode", "unknown mode; waiting for every node"));
        }
    }
}

impl Params {
    /// A copy forced into every knob range (NaN → default), so public functions never
    /// misbehave on params that skipped validation.
    fn sanitised(&self) -> Params {
        let d = Params::default();
        let f = |x: f64, lo: f64, hi: f64, def: f64| if x.is_nan() { def } else { x.clamp(lo, hi) };
        let pick = |v: &str, opts: &[(&str, &str)], def: &str| {
            if opts.iter().any(|o| o.0 == v) {
                v.to_string()
            } else {
                def.to_string()
            }
        };
        Params {
            nodes: self.nodes.clamp(2, 30),
            samples: self.samples.clamp(10, 300),
            size_skew: self.size_skew,
            split: pick(&self.split, SPLITS, &d.split),
            dominant_pct: f(self.dominant_pct, 34.0, 100.0, d.dominant_pct),
            spread: f(self.spread, 0.3, 3.0, d.spread),
            fraction: f(self.fraction, 0.05, 1.0, d.fraction),
            local_epochs: self.local_epochs.clamp(1, 10),
            batch: self.batch.clamp(1, 1000),
            lr: f(self.lr, 0.001, 1.0, d.lr),
            rounds: self.rounds.clamp(1, 60),
            stragglers_pct: f(self.stragglers_pct, 0.0, 100.0, d.stragglers_pct),
            slowdown: f(self.slowdown, 1.0, 20.0, d.slowdown),
            mode: pick(&self.mode, MODES, &d.mode),
            deadline_x: f(self.deadline_x, 1.0, 10.0, d.deadline_x),
            dropout_pct: f(self.dropout_pct, 0.0, 90.0, d.dropout_pct),
            target_pct: f(self.target_pct, 40.0, 99.0, d.target_pct),
        }
    }

    /// Nodes sampled per round: `max(1, round(C·K))`.
    pub fn per_round(&self) -> u32 {
        ((self.fraction * f64::from(self.nodes)).round() as u32).clamp(1, self.nodes)
    }
}

// ---------------------------------------------------------------------------------------------
// Data and the model
// ---------------------------------------------------------------------------------------------

/// One labelled point.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
    c: u8,
}

/// Mean of class `c`: on the circle of radius [`RADIUS`] at 90°, 210° and 330°.
pub fn class_mean(c: usize) -> (f64, f64) {
    // cos 30° = √3/2, sin 30° = 1/2: exact enough, and no transcendental call per point
    const H: f64 = 0.866_025_403_784_438_6;
    match c % CLASSES {
        0 => (0.0, RADIUS),
        1 => (-RADIUS * H, -RADIUS * 0.5),
        _ => (RADIUS * H, -RADIUS * 0.5),
    }
}

fn normal_pair(rng: &mut Rng) -> (f64, f64) {
    let r = (-2.0 * libm::log(rng.uniform_open0())).sqrt();
    let t = 2.0 * core::f64::consts::PI * rng.uniform();
    (r * libm::cos(t), r * libm::sin(t))
}

/// The classes' shared noise, in its own axes: standard deviations `spread·LONG` and
/// `spread·SHORT`, the long axis at [`ANGLE`] radians.
pub const LONG: f64 = 1.6;
/// See [`LONG`].
pub const SHORT: f64 = 0.7;
/// See [`LONG`].
pub const ANGLE: f64 = 0.5;

/// `(cos ANGLE, sin ANGLE)`, computed once per run.
fn rotation() -> (f64, f64) {
    (libm::cos(ANGLE), libm::sin(ANGLE))
}

fn draw_point(rng: &mut Rng, c: usize, spread: f64, (cs, sn): (f64, f64)) -> Point {
    let (mx, my) = class_mean(c);
    let (a, b) = normal_pair(rng);
    let (u, v) = (spread * LONG * a, spread * SHORT * b);
    Point {
        x: mx + cs * u - sn * v,
        y: my + sn * u + cs * v,
        c: c as u8,
    }
}

/// Squared Mahalanobis distance of `q` from the mean of class `c` under the shared noise: the
/// Bayes rule (equal priors, equal covariances) picks the nearest class in this sense.
fn mahalanobis2(q: &Point, c: usize, spread: f64, (cs, sn): (f64, f64)) -> f64 {
    let (mx, my) = class_mean(c);
    let (dx, dy) = (q.x - mx, q.y - my);
    let (u, v) = (cs * dx + sn * dy, -sn * dx + cs * dy);
    (u / (spread * LONG)).powi(2) + (v / (spread * SHORT)).powi(2)
}

/// Class probabilities of a point under weights `w` (numerically stable softmax).
fn probs(w: &Weights, p: &Point) -> [f64; CLASSES] {
    let mut z = [0.0; CLASSES];
    for (c, zc) in z.iter_mut().enumerate() {
        *zc = w[3 * c] * p.x + w[3 * c + 1] * p.y + w[3 * c + 2];
    }
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for zc in z.iter_mut() {
        *zc = if *zc == m { 1.0 } else { libm::exp(*zc - m) };
        s += *zc;
    }
    for zc in z.iter_mut() {
        *zc /= s;
    }
    z
}

fn predict(w: &Weights, p: &Point) -> u8 {
    let mut best = 0;
    let mut bz = f64::NEG_INFINITY;
    for c in 0..CLASSES {
        let z = w[3 * c] * p.x + w[3 * c + 1] * p.y + w[3 * c + 2];
        if z > bz {
            bz = z;
            best = c;
        }
    }
    best as u8
}

/// Mean cross-entropy of `w` over `pts`.
fn loss(w: &Weights, pts: &[Point]) -> f64 {
    if pts.is_empty() {
        return 0.0;
    }
    let mut s = 0.0;
    for p in pts {
        let mut z = [0.0; CLASSES];
        for (c, zc) in z.iter_mut().enumerate() {
            *zc = w[3 * c] * p.x + w[3 * c + 1] * p.y + w[3 * c + 2];
        }
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: f64 = z
            .iter()
            .map(|&zc| if zc == m { 1.0 } else { libm::exp(zc - m) })
            .sum();
        let lse = m + libm::log(e);
        s += lse - z[p.c as usize];
    }
    s / pts.len() as f64
}

fn accuracy(w: &Weights, pts: &[Point]) -> f64 {
    if pts.is_empty() {
        return 0.0;
    }
    pts.iter().filter(|p| predict(w, p) == p.c).count() as f64 / pts.len() as f64
}

/// Add the cross-entropy gradient of one point to `g`.
fn add_grad(w: &Weights, p: &Point, g: &mut Weights) {
    let pr = probs(w, p);
    for (c, &pc) in pr.iter().enumerate() {
        let d = pc - if p.c as usize == c { 1.0 } else { 0.0 };
        g[3 * c] += d * p.x;
        g[3 * c + 1] += d * p.y;
        g[3 * c + 2] += d;
    }
}

/// Mean gradient over `pts` (all of them).
fn full_grad(w: &Weights, pts: &[Point]) -> Weights {
    let mut g = [0.0; N_PARAMS];
    for p in pts {
        add_grad(w, p, &mut g);
    }
    let n = pts.len().max(1) as f64;
    for x in g.iter_mut() {
        *x /= n;
    }
    g
}

/// One SGD step over the points `idx` of `pts`.
fn sgd_step(w: &mut Weights, pts: &[Point], idx: &[u32], lr: f64) {
    let mut g = [0.0; N_PARAMS];
    for &i in idx {
        add_grad(w, &pts[i as usize], &mut g);
    }
    let s = lr / idx.len().max(1) as f64;
    for (wi, gi) in w.iter_mut().zip(g.iter()) {
        *wi -= s * gi;
    }
}

fn shuffle(rng: &mut Rng, v: &mut [u32]) {
    for i in (1..v.len()).rev() {
        let j = rng.index(i + 1);
        v.swap(i, j);
    }
}

/// `E` epochs of mini-batch SGD on `pts` from `w0`: the local update of FedAvg.
fn local_train(
    w0: &Weights,
    pts: &[Point],
    epochs: u32,
    batch: usize,
    lr: f64,
    rng: &mut Rng,
) -> Weights {
    let mut w = *w0;
    let mut order: Vec<u32> = (0..pts.len() as u32).collect();
    for _ in 0..epochs {
        shuffle(rng, &mut order);
        for chunk in order.chunks(batch.max(1)) {
            sgd_step(&mut w, pts, chunk, lr);
        }
    }
    w
}

// ---------------------------------------------------------------------------------------------
// The federation: data, the three learners, one round at a time
// ---------------------------------------------------------------------------------------------

/// One edge node.
#[derive(Clone, Debug)]
struct Node {
    pts: Vec<Point>,
    counts: [u32; CLASSES],
    speed: f64,
    straggler: bool,
}

/// What happens to a sampled node in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fate {
    /// Its update arrived in time and was averaged.
    Returned,
    /// It went offline during the round.
    Dropped,
    /// It missed the deadline.
    Late,
}

/// One sampled node's round.
#[derive(Clone, Debug)]
struct Task {
    node: u32,
    /// Seconds after the round's start at which its update would arrive.
    arrive: f64,
    /// Offline during the round (its update never arrives).
    dropped: bool,
    /// Seconds after the round's start at which it went offline (drawing only).
    drop_at: f64,
    /// Its locally trained weights.
    w: Weights,
}

/// A round in flight.
#[derive(Clone, Debug)]
struct Plan {
    tasks: Vec<Task>,
    /// The global FedAvg weights the round started from.
    w0: Weights,
    /// Deadline, seconds after the start (deadline mode).
    deadline: Option<f64>,
    /// Sample-gradients the central baseline gets this round.
    central_budget: u64,
}

impl Plan {
    /// When the round closes, seconds after its start: when the last live node arrives, or at
    /// the deadline if one is still out.
    fn end(&self) -> f64 {
        let last = self
            .tasks
            .iter()
            .filter(|t| !t.dropped)
            .map(|t| t.arrive)
            .fold(2.0 * LINK_S, f64::max);
        match self.deadline {
            Some(d) => last.min(d),
            None => last,
        }
    }

    fn fate(&self, t: &Task) -> Fate {
        if t.dropped {
            Fate::Dropped
        } else if t.arrive <= self.end() {
            Fate::Returned
        } else {
            Fate::Late
        }
    }
}

/// What one finished round measured.
#[derive(Clone, Debug, PartialEq)]
struct RoundStats {
    sampled: u32,
    returned: u32,
    dropped: u32,
    late: u32,
    time_s: f64,
}

/// Data, the three learners and their RNG streams.
#[derive(Clone, Debug)]
struct Federation {
    p: Params,
    nodes: Vec<Node>,
    pool: Vec<Point>,
    /// The pooled points the training loss is measured on: all of them, or an evenly spaced
    /// sample of at most [`LOSS_SAMPLE`] when there are more.
    loss_pts: Vec<Point>,
    test: Vec<Point>,
    w_avg: Weights,
    w_sgd: Weights,
    w_central: Weights,
    central_order: Vec<u32>,
    central_pos: usize,
    rng_select: Rng,
    rng_drop: Rng,
    rng_local: Rng,
    rng_central: Rng,
    /// Sample-gradient cost of a typical node's round, for the deadline.
    nominal_s: f64,
}

impl Federation {
    fn new(p: &Params, seed: u64) -> Self {
        let p = p.sanitised();
        let k = p.nodes as usize;
        // sizes
        let mut rs = Rng::derive(seed, "sizes");
        let sizes: Vec<u32> = if p.size_skew {
            let g: Vec<f64> = (0..k)
                .map(|_| libm::exp((2.0 * rs.uniform() - 1.0) * libm::log(4.0)))
                .collect();
            let sum: f64 = g.iter().sum();
            g.iter()
                .map(|gi| ((gi / sum * (k as f64) * f64::from(p.samples)).round() as u32).max(3))
                .collect()
        } else {
            vec![p.samples; k]
        };
        // node speeds and stragglers
        let mut rsp = Rng::derive(seed, "speeds");
        let speeds: Vec<f64> = (0..k).map(|_| 0.7 + 0.6 * rsp.uniform()).collect();
        let mut perm: Vec<u32> = (0..k as u32).collect();
        shuffle(&mut Rng::derive(seed, "stragglers"), &mut perm);
        let n_strag = ((p.stragglers_pct / 100.0 * k as f64).round() as usize).min(k);
        let mut strag = vec![false; k];
        for &i in &perm[..n_strag] {
            strag[i as usize] = true;
        }
        // data
        let rot = rotation();
        let mut rd = Rng::derive(seed, "data");
        let mut nodes = Vec::with_capacity(k);
        for (i, &n) in sizes.iter().enumerate() {
            let mut counts = [0u32; CLASSES];
            if p.split == "skew" {
                let dom = i % CLASSES;
                let nd = ((f64::from(n) * p.dominant_pct / 100.0).round() as u32).min(n);
                counts[dom] = nd;
                for j in 0..(n - nd) {
                    let c = (dom + 1 + (j as usize % (CLASSES - 1))) % CLASSES;
                    counts[c] += 1;
                }
            } else {
                for j in 0..n {
                    // rotate the remainder so small nodes are not all short of the same class
                    counts[(j as usize + i) % CLASSES] += 1;
                }
            }
            let mut pts = Vec::with_capacity(n as usize);
            for (c, &cnt) in counts.iter().enumerate() {
                for _ in 0..cnt {
                    pts.push(draw_point(&mut rd, c, p.spread, rot));
                }
            }
            let speed = if strag[i] {
                speeds[i] / p.slowdown
            } else {
                speeds[i]
            };
            nodes.push(Node {
                pts,
                counts,
                speed,
                straggler: strag[i],
            });
        }
        let pool: Vec<Point> = nodes.iter().flat_map(|n| n.pts.iter().copied()).collect();
        let mut rt = Rng::derive(seed, "test");
        let test = (0..CLASSES * TEST_PER_CLASS)
            .map(|i| draw_point(&mut rt, i % CLASSES, p.spread, rot))
            .collect();
        let loss_pts = pool
            .iter()
            .step_by(pool.len().div_ceil(LOSS_SAMPLE).max(1))
            .copied()
            .collect();
        let mean_n = pool.len() as f64 / k as f64;
        let nominal_s = 2.0 * LINK_S + f64::from(p.local_epochs) * mean_n / SAMPLES_PER_S;
        let mut rng_central = Rng::derive(seed, "central");
        let mut central_order: Vec<u32> = (0..pool.len() as u32).collect();
        shuffle(&mut rng_central, &mut central_order);
        Federation {
            p,
            nodes,
            pool,
            loss_pts,
            test,
            w_avg: [0.0; N_PARAMS],
            w_sgd: [0.0; N_PARAMS],
            w_central: [0.0; N_PARAMS],
            central_order,
            central_pos: 0,
            rng_select: Rng::derive(seed, "select"),
            rng_drop: Rng::derive(seed, "dropout"),
            rng_local: Rng::derive(seed, "local"),
            rng_central,
            nominal_s,
        }
    }

    /// Seconds node `i` needs for a round of `E` local epochs, link both ways included.
    fn task_time(&self, i: usize) -> f64 {
        let n = &self.nodes[i];
        2.0 * LINK_S
            + f64::from(self.p.local_epochs) * n.pts.len() as f64 / (SAMPLES_PER_S * n.speed)
    }

    /// Sample nodes, decide dropouts, train locally: a round in flight.
    fn begin(&mut self) -> Plan {
        let k = self.nodes.len();
        let m = self.p.per_round() as usize;
        let mut perm: Vec<u32> = (0..k as u32).collect();
        // partial Fisher–Yates: the first m of a uniform permutation
        for i in 0..m {
            let j = i + self.rng_select.index(k - i);
            perm.swap(i, j);
        }
        let mut chosen = perm[..m].to_vec();
        crate::sort::sort(&mut chosen);
        let drop_p = self.p.dropout_pct / 100.0;
        let batch = self.p.batch as usize;
        let mut budget = 0u64;
        let tasks = chosen
            .iter()
            .map(|&i| {
                let arrive = self.task_time(i as usize);
                let dropped = self.rng_drop.chance(drop_p);
                let drop_at = LINK_S + self.rng_drop.uniform() * (arrive - 2.0 * LINK_S);
                let pts = &self.nodes[i as usize].pts;
                budget += u64::from(self.p.local_epochs) * pts.len() as u64;
                let w = local_train(
                    &self.w_avg,
                    pts,
                    self.p.local_epochs,
                    batch,
                    self.p.lr,
                    &mut self.rng_local,
                );
                Task {
                    node: i,
                    arrive,
                    dropped,
                    drop_at,
                    w,
                }
            })
            .collect();
        Plan {
            tasks,
            w0: self.w_avg,
            deadline: (self.p.mode == "deadline").then_some(self.p.deadline_x * self.nominal_s),
            central_budget: budget,
        }
    }

    /// Close the round: FedAvg and FedSGD aggregate what returned; central spends its budget.
    fn finish(&mut self, plan: &Plan) -> RoundStats {
        let mut st = RoundStats {
            sampled: plan.tasks.len() as u32,
            returned: 0,
            dropped: 0,
            late: 0,
            time_s: plan.end(),
        };
        let mut sum_w = [0.0; N_PARAMS];
        let mut sum_g = [0.0; N_PARAMS];
        let mut total = 0.0;
        for t in &plan.tasks {
            match plan.fate(t) {
                Fate::Dropped => st.dropped += 1,
                Fate::Late => st.late += 1,
                Fate::Returned => {
                    st.returned += 1;
                    let pts = &self.nodes[t.node as usize].pts;
                    let nk = pts.len() as f64;
                    total += nk;
                    let g = full_grad(&self.w_sgd, pts);
                    for j in 0..N_PARAMS {
                        sum_w[j] += nk * t.w[j];
                        sum_g[j] += nk * g[j];
                    }
                }
            }
        }
        if total > 0.0 {
            for j in 0..N_PARAMS {
                self.w_avg[j] = sum_w[j] / total;
                self.w_sgd[j] -= self.p.lr * sum_g[j] / total;
            }
        } else {
            self.w_avg = plan.w0;
        }
        // central: the same number of sample-gradients, in mini-batches over the pool
        let batch = self.p.batch as usize;
        let mut left = plan.central_budget as usize;
        let mut idx = Vec::with_capacity(batch);
        while left > 0 {
            if self.central_pos >= self.central_order.len() {
                shuffle(&mut self.rng_central, &mut self.central_order);
                self.central_pos = 0;
            }
            let take = batch
                .min(left)
                .min(self.central_order.len() - self.central_pos);
            idx.clear();
            idx.extend_from_slice(&self.central_order[self.central_pos..self.central_pos + take]);
            sgd_step(&mut self.w_central, &self.pool, &idx, self.p.lr);
            self.central_pos += take;
            left -= take;
        }
        st
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// One node, for the drawing and the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Training points.
    pub n: u32,
    /// Points per class.
    pub counts: [u32; CLASSES],
    /// Slow node.
    pub straggler: bool,
    /// Compute speed relative to a nominal node.
    pub speed: f64,
    /// Rounds whose average included this node.
    pub returned: u32,
    /// Rounds it was sampled but dropped out.
    pub dropped: u32,
    /// Rounds it was sampled but missed the deadline.
    pub late: u32,
    /// Accuracy of the final FedAvg model on this node's own data.
    pub local_acc: f64,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Rounds run.
    pub rounds: u32,
    /// Nodes sampled per round.
    pub per_round: u32,
    /// Training points over all nodes.
    pub total_samples: u32,
    /// Train loss (mean cross-entropy on the pooled data, or on an evenly spaced sample of
    /// [`LOSS_SAMPLE`] of it) of FedAvg after each round; index 0 is the starting model.
    pub loss_fedavg: Vec<f64>,
    /// Train loss of FedSGD after each round.
    pub loss_fedsgd: Vec<f64>,
    /// Train loss of central SGD after each round's worth of compute.
    pub loss_central: Vec<f64>,
    /// Test accuracy of FedAvg after each round.
    pub acc_fedavg: Vec<f64>,
    /// Test accuracy of FedSGD after each round.
    pub acc_fedsgd: Vec<f64>,
    /// Test accuracy of central SGD after each round.
    pub acc_central: Vec<f64>,
    /// Nodes sampled, per round.
    pub sampled: Vec<u32>,
    /// Nodes whose update was averaged, per round.
    pub returned: Vec<u32>,
    /// Nodes that dropped out, per round.
    pub dropped: Vec<u32>,
    /// Nodes that missed the deadline, per round.
    pub late: Vec<u32>,
    /// Wall time of each round, seconds.
    pub round_s: Vec<f64>,
    /// Accuracy of the best possible classifier (nearest true class mean) on the test set.
    pub best_acc: f64,
    /// Target accuracy (fraction).
    pub target: f64,
    /// First round at which FedAvg reached the target.
    pub rounds_to_target_fedavg: Option<u32>,
    /// First round at which FedSGD reached the target.
    pub rounds_to_target_fedsgd: Option<u32>,
    /// First round's worth of compute at which central SGD reached the target.
    pub rounds_to_target_central: Option<u32>,
    /// Seconds of wall time until FedAvg reached the target.
    pub time_to_target_fedavg: Option<f64>,
    /// Bytes moved until FedAvg reached the target.
    pub bytes_to_target_fedavg: Option<u64>,
    /// Bytes moved until FedSGD reached the target.
    pub bytes_to_target_fedsgd: Option<u64>,
    /// Bytes moved over the whole run (model down to each sampled node, update up from each
    /// that returned); FedSGD moves the same.
    pub bytes_total: u64,
    /// Wall time of the whole run, seconds.
    pub total_s: f64,
    /// Mean nodes averaged per round.
    pub mean_returned: f64,
    /// Sample-gradients computed per round by FedAvg (and given to central), mean.
    pub grads_per_round: f64,
    /// The nodes.
    pub nodes: Vec<NodeInfo>,
    /// Lowest local accuracy of the final FedAvg model over the nodes.
    pub node_acc_min: f64,
    /// Highest local accuracy.
    pub node_acc_max: f64,
    /// Plain-language notes on the run.
    pub notes: Vec<String>,
}

fn first_at(acc: &[f64], target: f64) -> Option<u32> {
    acc.iter().position(|&a| a >= target).map(|i| i as u32)
}

impl Model for FederatedLearning {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = true;

    fn run(params: &Params, seed: u64) -> Report {
        let mut fed = Federation::new(params, seed);
        let p = fed.p.clone();
        let r = p.rounds as usize;
        let mut rep = Report {
            rounds: p.rounds,
            per_round: p.per_round(),
            total_samples: fed.pool.len() as u32,
            loss_fedavg: Vec::with_capacity(r + 1),
            loss_fedsgd: Vec::with_capacity(r + 1),
            loss_central: Vec::with_capacity(r + 1),
            acc_fedavg: Vec::with_capacity(r + 1),
            acc_fedsgd: Vec::with_capacity(r + 1),
            acc_central: Vec::with_capacity(r + 1),
            sampled: Vec::with_capacity(r),
            returned: Vec::with_capacity(r),
            dropped: Vec::with_capacity(r),
            late: Vec::with_capacity(r),
            round_s: Vec::with_capacity(r),
            best_acc: 0.0,
            target: p.target_pct / 100.0,
            rounds_to_target_fedavg: None,
            rounds_to_target_fedsgd: None,
            rounds_to_target_central: None,
            time_to_target_fedavg: None,
            bytes_to_target_fedavg: None,
            bytes_to_target_fedsgd: None,
            bytes_total: 0,
            total_s: 0.0,
            mean_returned: 0.0,
            grads_per_round: 0.0,
            nodes: Vec::new(),
            node_acc_min: 0.0,
            node_acc_max: 0.0,
            notes: Vec::new(),
        };
        let mut node_stats = vec![(0u32, 0u32, 0u32); fed.nodes.len()];
        let mut bytes_cum = vec![0u64];
        let mut time_cum = vec![0.0];
        let mut grads = 0u64;
        let eval = |fed: &Federation, rep: &mut Report| {
            rep.loss_fedavg.push(loss(&fed.w_avg, &fed.loss_pts));
            rep.loss_fedsgd.push(loss(&fed.w_sgd, &fed.loss_pts));
            rep.loss_central.push(loss(&fed.w_central, &fed.loss_pts));
            rep.acc_fedavg.push(accuracy(&fed.w_avg, &fed.test));
            rep.acc_fedsgd.push(accuracy(&fed.w_sgd, &fed.test));
            rep.acc_central.push(accuracy(&fed.w_central, &fed.test));
        };
        eval(&fed, &mut rep);
        for _ in 0..p.rounds {
            let plan = fed.begin();
            grads += plan.central_budget;
            for t in &plan.tasks {
                let s = &mut node_stats[t.node as usize];
                match plan.fate(t) {
                    Fate::Returned => s.0 += 1,
                    Fate::Dropped => s.1 += 1,
                    Fate::Late => s.2 += 1,
                }
            }
            let st = fed.finish(&plan);
            eval(&fed, &mut rep);
            let b = MODEL_BYTES * u64::from(st.sampled + st.returned);
            bytes_cum.push(bytes_cum.last().copied().unwrap_or(0) + b);
            time_cum.push(time_cum.last().copied().unwrap_or(0.0) + st.time_s);
            rep.sampled.push(st.sampled);
            rep.returned.push(st.returned);
            rep.dropped.push(st.dropped);
            rep.late.push(st.late);
            rep.round_s.push(st.time_s);
        }
        let rot = rotation();
        rep.best_acc = fed
            .test
            .iter()
            .filter(|q| {
                let d = |c: usize| mahalanobis2(q, c, p.spread, rot);
                (0..CLASSES).all(|c| d(q.c as usize) <= d(c))
            })
            .count() as f64
            / fed.test.len() as f64;
        rep.rounds_to_target_fedavg = first_at(&rep.acc_fedavg, rep.target);
        rep.rounds_to_target_fedsgd = first_at(&rep.acc_fedsgd, rep.target);
        rep.rounds_to_target_central = first_at(&rep.acc_central, rep.target);
        rep.time_to_target_fedavg = rep.rounds_to_target_fedavg.map(|i| time_cum[i as usize]);
        rep.bytes_to_target_fedavg = rep.rounds_to_target_fedavg.map(|i| bytes_cum[i as usize]);
        rep.bytes_to_target_fedsgd = rep.rounds_to_target_fedsgd.map(|i| bytes_cum[i as usize]);
        rep.bytes_total = bytes_cum.last().copied().unwrap_or(0);
        rep.total_s = time_cum.last().copied().unwrap_or(0.0);
        rep.mean_returned =
            rep.returned.iter().map(|&x| f64::from(x)).sum::<f64>() / f64::from(p.rounds);
        rep.grads_per_round = grads as f64 / f64::from(p.rounds);
        rep.nodes = fed
            .nodes
            .iter()
            .zip(node_stats.iter())
            .map(|(n, s)| NodeInfo {
                n: n.pts.len() as u32,
                counts: n.counts,
                straggler: n.straggler,
                speed: n.speed,
                returned: s.0,
                dropped: s.1,
                late: s.2,
                local_acc: accuracy(&fed.w_avg, &n.pts),
            })
            .collect();
        rep.node_acc_min = rep.nodes.iter().map(|n| n.local_acc).fold(1.0, f64::min);
        rep.node_acc_max = rep.nodes.iter().map(|n| n.local_acc).fold(0.0, f64::max);
        rep.notes = notes(&p, &rep);
        rep
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        let or_nan = |x: Option<u32>| x.map(f64::from).unwrap_or(f64::NAN);
        vec![
            ("fedavg test accuracy", last(&r.acc_fedavg)),
            ("central test accuracy", last(&r.acc_central)),
            ("fedsgd test accuracy", last(&r.acc_fedsgd)),
            ("fedavg rounds to target", or_nan(r.rounds_to_target_fedavg)),
            ("fedsgd rounds to target", or_nan(r.rounds_to_target_fedsgd)),
            ("run wall time s", r.total_s),
            ("mean nodes averaged", r.mean_returned),
            ("lowest node accuracy", r.node_acc_min),
        ]
    }
}

fn notes(p: &Params, r: &Report) -> Vec<String> {
    let mut v = Vec::new();
    let empty = r.returned.iter().filter(|&&m| m == 0).count();
    if empty > 0 {
        v.push(format!(
            "{empty} round(s) had no update arrive: the global model stayed where it was."
        ));
    }
    let min_n = r.nodes.iter().map(|n| n.n).min().unwrap_or(0);
    if p.batch >= min_n {
        v.push(format!(
            "B = {} is at least a node's size ({} points at the smallest): those nodes take one full-batch step per epoch.",
            p.batch, min_n
        ));
    }
    if p.mode == "wait" && p.stragglers_pct > 0.0 && p.slowdown > 1.5 {
        let strag_rounds = r
            .round_s
            .iter()
            .filter(|&&t| {
                t > 1.5
                    * (2.0 * LINK_S
                        + f64::from(p.local_epochs) * f64::from(r.total_samples)
                            / r.nodes.len().max(1) as f64
                            / SAMPLES_PER_S
                            / 0.7)
            })
            .count();
        if strag_rounds > 0 {
            v.push(format!(
                "In {strag_rounds} of {} rounds the server waited on a straggler: a deadline would cut those rounds short at the price of their updates.",
                r.rounds
            ));
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Live simulation
// ---------------------------------------------------------------------------------------------

/// What a node is doing right now, for the drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Not sampled this round.
    Idle,
    /// Receiving the global model.
    Down,
    /// Training locally.
    Training,
    /// Sending its update.
    Up,
    /// Its update has arrived.
    Arrived,
    /// Went offline this round.
    Dropped,
    /// Missed the deadline.
    Late,
}

/// One node in a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSnap {
    /// What it is doing.
    pub state: NodeState,
    /// Progress through local training, 0…1.
    pub progress: f64,
    /// How far along its link a message is (model down or update up), 0…1.
    pub link: f64,
    /// Slow node.
    pub straggler: bool,
    /// Points per class.
    pub counts: [u32; CLASSES],
}

/// What the live view draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Simulated seconds.
    pub t: f64,
    /// Round in flight (1-based); `rounds` when finished.
    pub round: u32,
    /// Rounds in the run.
    pub rounds: u32,
    /// Seconds into the round.
    pub in_round: f64,
    /// When the round will close, seconds after its start (as things stand).
    pub round_end: f64,
    /// Deadline, seconds after the start (deadline mode).
    pub deadline: Option<f64>,
    /// The nodes.
    pub nodes: Vec<NodeSnap>,
    /// Test accuracy of the global FedAvg model so far, one per finished round (index 0: start).
    pub acc: Vec<f64>,
    /// Updates averaged in the last finished round.
    pub last_returned: Option<u32>,
    /// The run is over.
    pub done: bool,
}

/// FedAvg played round by round in wall time: model down, local training, updates up, average.
/// Pokes: [`Live::drop_node`] (an in-flight node goes offline) and [`Live::make_straggler`].
pub struct Live {
    fed: Federation,
    plan: Option<Plan>,
    round: u32,
    start: f64,
    t: f64,
    acc: Vec<f64>,
    last_returned: Option<u32>,
    poke_rng: Rng,
}

impl Live {
    /// A live run of the same federation (same data, same streams) as [`Model::run`].
    pub fn new(p: &Params, seed: u64) -> Self {
        let mut fed = Federation::new(p, seed);
        let acc = vec![accuracy(&fed.w_avg, &fed.test)];
        let plan = fed.begin();
        Live {
            fed,
            plan: Some(plan),
            round: 1,
            start: 0.0,
            t: 0.0,
            acc,
            last_returned: None,
            poke_rng: Rng::derive(seed, "pokes"),
        }
    }

    /// The nodes still out (sampled, not dropped, not yet arrived) at `now`.
    fn in_flight(&self, now: f64) -> Vec<usize> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        let rel = now - self.start;
        plan.tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.dropped && t.arrive > rel && t.arrive > self.t - self.start)
            .map(|(i, _)| i)
            .collect()
    }

    /// Poke: a node still working on this round goes offline at `now`; its update is lost.
    pub fn drop_node(&mut self, now: f64) {
        let out = self.in_flight(now);
        if out.is_empty() {
            return;
        }
        let pick = out[self.poke_rng.index(out.len())];
        let start = self.start;
        if let Some(plan) = &mut self.plan {
            let t = &mut plan.tasks[pick];
            t.dropped = true;
            t.drop_at = (now - start).max(self.t - start).clamp(0.0, t.arrive);
        }
    }

    /// Poke: a node that is not yet a straggler becomes one from `now` on (slower by the
    /// `slowdown` knob, at least 3×); if it is working on this round, the rest of its work
    /// takes that much longer.
    pub fn make_straggler(&mut self, now: f64) {
        let fast: Vec<usize> = (0..self.fed.nodes.len())
            .filter(|&i| !self.fed.nodes[i].straggler)
            .collect();
        if fast.is_empty() {
            return;
        }
        let i = fast[self.poke_rng.index(fast.len())];
        let factor = self.fed.p.slowdown.max(3.0);
        self.fed.nodes[i].straggler = true;
        self.fed.nodes[i].speed /= factor;
        let rel = (now - self.start).max(self.t - self.start);
        if let Some(plan) = &mut self.plan {
            if let Some(t) = plan.tasks.iter_mut().find(|t| t.node as usize == i) {
                if !t.dropped && t.arrive > rel {
                    t.arrive = rel + (t.arrive - rel) * factor;
                }
            }
        }
    }

    /// A picture of now.
    pub fn snapshot(&self) -> Snapshot {
        let rel = self.t - self.start;
        let mut nodes: Vec<NodeSnap> = self
            .fed
            .nodes
            .iter()
            .map(|n| NodeSnap {
                state: NodeState::Idle,
                progress: 0.0,
                link: 0.0,
                straggler: n.straggler,
                counts: n.counts,
            })
            .collect();
        let (mut end, mut deadline) = (0.0, None);
        if let Some(plan) = &self.plan {
            end = plan.end();
            deadline = plan.deadline;
            for t in &plan.tasks {
                let s = &mut nodes[t.node as usize];
                let work = (t.arrive - 2.0 * LINK_S).max(1e-9);
                s.progress = ((rel - LINK_S) / work).clamp(0.0, 1.0);
                s.link = if rel < LINK_S {
                    rel / LINK_S
                } else {
                    ((rel - (t.arrive - LINK_S)) / LINK_S).clamp(0.0, 1.0)
                };
                s.state = if t.dropped && rel >= t.drop_at {
                    NodeState::Dropped
                } else if rel >= t.arrive && t.arrive <= end {
                    NodeState::Arrived
                } else if deadline.is_some_and(|d| rel >= d) {
                    NodeState::Late
                } else if rel < LINK_S {
                    NodeState::Down
                } else if rel < t.arrive - LINK_S {
                    NodeState::Training
                } else {
                    NodeState::Up
                };
            }
        }
        Snapshot {
            t: self.t,
            round: self.round.min(self.fed.p.rounds),
            rounds: self.fed.p.rounds,
            in_round: rel,
            round_end: end,
            deadline,
            nodes,
            acc: self.acc.clone(),
            last_returned: self.last_returned,
            done: self.plan.is_none(),
        }
    }

    /// The next event: a node's update arriving, or the round closing, seconds after the start.
    fn next_rel(&self) -> Option<f64> {
        let plan = self.plan.as_ref()?;
        let end = plan.end();
        let rel = self.t - self.start;
        let phases = plan
            .tasks
            .iter()
            .filter(|t| !t.dropped)
            .flat_map(|t| [LINK_S, t.arrive - LINK_S, t.arrive]);
        let next = phases
            .filter(|&x| x > rel + 1e-12 && x <= end)
            .fold(end, f64::min);
        Some(next.max(rel))
    }
}

impl Simulation for Live {
    fn now(&self) -> f64 {
        self.t
    }

    fn step(&mut self) -> bool {
        let Some(next) = self.next_rel() else {
            return false;
        };
        self.t = self.start + next;
        let end = self.plan.as_ref().map_or(0.0, Plan::end);
        if next >= end {
            if let Some(plan) = self.plan.take() {
                let st = self.fed.finish(&plan);
                self.last_returned = Some(st.returned);
                self.acc.push(accuracy(&self.fed.w_avg, &self.fed.test));
                if self.round < self.fed.p.rounds {
                    self.round += 1;
                    self.start = self.t;
                    self.plan = Some(self.fed.begin());
                }
            }
        }
        self.plan.is_some()
    }

    fn next_event_time(&self) -> Option<f64> {
        self.next_rel().map(|r| self.start + r)
    }

    /// Every event up to `t`, then the clock moves on to `t` itself (messages are drawn in
    /// flight between events).
    fn advance_to(&mut self, t: f64) {
        while self.next_event_time().is_some_and(|e| e <= t) {
            if !self.step() {
                break;
            }
        }
        if self.plan.is_some() && t > self.t {
            self.t = t;
        }
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // parallel arrays indexed together
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p() -> Params {
        Params::default()
    }

    /// Full-batch gradient descent on the pooled data, written independently of the FedAvg
    /// code path.
    fn gd(pool: &[Point], lr: f64, steps: u32) -> Weights {
        let mut w = [0.0; N_PARAMS];
        for _ in 0..steps {
            let mut g = [0.0; N_PARAMS];
            for q in pool {
                let pr = probs(&w, q);
                for c in 0..CLASSES {
                    let d = pr[c] - f64::from(u8::from(q.c as usize == c));
                    g[3 * c] += d * q.x;
                    g[3 * c + 1] += d * q.y;
                    g[3 * c + 2] += d;
                }
            }
            for j in 0..N_PARAMS {
                w[j] -= lr * g[j] / pool.len() as f64;
            }
        }
        w
    }

    #[test]
    fn fedavg_one_full_batch_epoch_equals_central_gradient_descent() {
        for (size_skew, split) in [(false, "iid"), (true, "skew"), (true, "iid")] {
            let q = Params {
                fraction: 1.0,
                local_epochs: 1,
                batch: 1000,
                dropout_pct: 0.0,
                size_skew,
                split: split.into(),
                lr: 0.3,
                ..p()
            };
            let mut fed = Federation::new(&q, 7);
            for round in 1..=6 {
                let plan = fed.begin();
                let st = fed.finish(&plan);
                assert_eq!(st.returned, q.nodes);
                let w = gd(&fed.pool, q.lr, round);
                for j in 0..N_PARAMS {
                    assert!(
                        (fed.w_avg[j] - w[j]).abs() < 1e-12,
                        "FedAvg {j}: {} vs {}",
                        fed.w_avg[j],
                        w[j]
                    );
                    assert!(
                        (fed.w_sgd[j] - w[j]).abs() < 1e-12,
                        "FedSGD {j}: {} vs {}",
                        fed.w_sgd[j],
                        w[j]
                    );
                }
            }
        }
    }

    #[test]
    fn fedsgd_is_one_step_per_round_whatever_the_local_settings() {
        let q = Params {
            fraction: 1.0,
            local_epochs: 5,
            batch: 4,
            split: "iid".into(),
            ..p()
        };
        let mut fed = Federation::new(&q, 3);
        for round in 1..=3 {
            let plan = fed.begin();
            fed.finish(&plan);
            let w = gd(&fed.pool, q.lr, round);
            for j in 0..N_PARAMS {
                assert!((fed.w_sgd[j] - w[j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn deterministic_and_report_is_small() {
        let a = FederatedLearning::run(&p(), 5);
        let b = FederatedLearning::run(&p(), 5);
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.len() < 20_000, "{}", json.len());
        let max = Params {
            nodes: 30,
            rounds: 60,
            ..p()
        };
        let json = serde_json::to_string(&FederatedLearning::run(&max, 1)).unwrap();
        assert!(json.len() < 40_000, "{}", json.len());
    }

    #[test]
    fn iid_fedavg_lands_close_to_central_and_the_ceiling() {
        let q = Params {
            split: "iid".into(),
            rounds: 30,
            stragglers_pct: 0.0,
            ..p()
        };
        for seed in 0..5 {
            let r = FederatedLearning::run(&q, seed);
            let fa = *r.acc_fedavg.last().unwrap();
            let ce = *r.acc_central.last().unwrap();
            assert!(
                (fa - ce).abs() < 0.03,
                "seed {seed}: fedavg {fa} central {ce}"
            );
            assert!(
                fa > r.best_acc - 0.04,
                "seed {seed}: fedavg {fa} best {}",
                r.best_acc
            );
            let (lf, lc) = (
                r.loss_fedavg.last().unwrap(),
                r.loss_central.last().unwrap(),
            );
            assert!((lf - lc).abs() < 0.05, "seed {seed}: loss {lf} vs {lc}");
        }
    }

    fn mean_rounds(q: &Params, seeds: u64) -> f64 {
        // rounds to target, a run that never gets there counted as one round past the end
        (0..seeds)
            .map(|s| {
                let r = FederatedLearning::run(q, 100 + s);
                f64::from(r.rounds_to_target_fedavg.unwrap_or(r.rounds + 1))
            })
            .sum::<f64>()
            / seeds as f64
    }

    #[test]
    fn strong_label_skew_needs_more_rounds_than_iid() {
        // measured (24 seeds): IID ≈ 3.1 ± 0.6 rounds, all-one-class nodes ≈ 6.0 ± 0.8 (± is
        // the standard error); with C = 1 the two are alike — partial participation over skewed
        // nodes is what hurts a convex model
        let base = Params {
            rounds: 60,
            fraction: 0.5,
            local_epochs: 5,
            target_pct: 90.0,
            stragglers_pct: 0.0,
            ..p()
        };
        let iid = mean_rounds(
            &Params {
                split: "iid".into(),
                ..base.clone()
            },
            24,
        );
        let skew = mean_rounds(
            &Params {
                split: "skew".into(),
                dominant_pct: 100.0,
                ..base
            },
            24,
        );
        assert!(skew > iid + 1.5, "iid {iid} skew {skew}");
    }

    #[test]
    fn fedsgd_needs_more_rounds_than_fedavg() {
        let q = Params {
            split: "iid".into(),
            rounds: 60,
            target_pct: 89.0,
            ..p()
        };
        // the same bytes per round; FedSGD makes one step per round, FedAvg E·n/B
        let (mut sa, mut ss) = (0, 0);
        for seed in 0..8 {
            let r = FederatedLearning::run(&q, seed);
            let fa = r.rounds_to_target_fedavg.expect("FedAvg reaches 89 %");
            let fs = r.rounds_to_target_fedsgd.unwrap_or(61);
            assert!(fs >= fa, "seed {seed}: fedsgd {fs} fedavg {fa}");
            assert!(r.loss_fedsgd[20] > r.loss_fedavg[20] + 0.1);
            (sa, ss) = (sa + fa, ss + fs);
        }
        assert!(ss > sa + 16, "mean rounds: fedsgd {ss}/8, fedavg {sa}/8");
    }

    #[test]
    fn deadline_drops_stragglers_and_shortens_rounds() {
        let q = Params {
            stragglers_pct: 30.0,
            slowdown: 5.0,
            fraction: 1.0,
            ..p()
        };
        let wait = FederatedLearning::run(&q, 2);
        let dl = FederatedLearning::run(
            &Params {
                mode: "deadline".into(),
                ..q
            },
            2,
        );
        assert!(wait.late.iter().all(|&x| x == 0));
        assert_eq!(dl.late.iter().sum::<u32>(), 3 * 20);
        assert!(
            dl.total_s < wait.total_s / 2.0,
            "{} vs {}",
            dl.total_s,
            wait.total_s
        );
        assert!(dl.returned.iter().all(|&m| m == 7));
        for n in dl.nodes.iter().filter(|n| n.straggler) {
            assert_eq!(n.returned, 0);
        }
    }

    #[test]
    fn dropout_rate_is_about_right() {
        let q = Params {
            dropout_pct: 30.0,
            fraction: 1.0,
            rounds: 60,
            nodes: 17,
            ..p()
        };
        let r = FederatedLearning::run(&q, 9);
        let d: u32 = r.dropped.iter().sum();
        // 1020 draws, p = 0.3: sd ≈ 14.6
        assert!((230..370).contains(&d), "{d}");
    }

    #[test]
    fn label_skew_counts_are_exact() {
        let q = Params {
            dominant_pct: 80.0,
            samples: 100,
            ..p()
        };
        let fed = Federation::new(&q, 1);
        for (i, n) in fed.nodes.iter().enumerate() {
            assert_eq!(n.counts[i % CLASSES], 80);
            assert_eq!(n.counts.iter().sum::<u32>(), 100);
            assert_eq!(
                n.pts.iter().filter(|q| q.c as usize == i % CLASSES).count(),
                80
            );
        }
    }

    #[test]
    fn live_run_ends_where_the_report_does() {
        let q = Params {
            dropout_pct: 20.0,
            mode: "deadline".into(),
            ..p()
        };
        let r = FederatedLearning::run(&q, 4);
        let mut live = Live::new(&q, 4);
        let mut guard = 0;
        while live.step() {
            guard += 1;
            assert!(guard < 10_000);
        }
        let s = live.snapshot();
        assert!(s.done);
        assert_eq!(s.acc, r.acc_fedavg);
        assert!(
            (live.now() - r.total_s).abs() < 1e-9,
            "{} vs {}",
            live.now(),
            r.total_s
        );
    }

    #[test]
    fn live_run_played_on_a_clock_matches_too() {
        let r = FederatedLearning::run(&p(), 6);
        let mut live = Live::new(&p(), 6);
        let mut t = 0.0;
        while live.next_event_time().is_some() {
            t += 0.037;
            live.advance_to(t);
            let s = live.snapshot();
            assert!(s.nodes.iter().all(|n| (0.0..=1.0).contains(&n.link)));
            assert!(t < 1e4);
        }
        assert_eq!(live.snapshot().acc, r.acc_fedavg);
    }

    #[test]
    fn live_pokes_never_add_updates() {
        let mut live = Live::new(&p(), 1);
        live.step();
        let now = live.now() + 0.01;
        live.drop_node(now);
        live.make_straggler(now);
        let plan = live.plan.clone().unwrap();
        assert_eq!(plan.tasks.iter().filter(|t| t.dropped).count(), 1);
        let mut guard = 0;
        while live.step() {
            guard += 1;
            assert!(guard < 10_000);
        }
        assert_eq!(live.snapshot().acc.len(), 21);
    }

    #[test]
    fn validation_clamps_and_explains() {
        let pairs = vec![
            ("nodes".to_string(), "999".to_string()),
            ("lr".to_string(), "-3".to_string()),
            ("split".to_string(), "nonsense".to_string()),
        ];
        let (q, notices) = crate::params::from_pairs::<Params>(&pairs, &[]);
        assert_eq!(q.nodes, 30);
        assert_eq!(q.lr, 0.001);
        assert_eq!(q.split, "skew");
        assert!(notices.len() >= 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn runs_are_finite_bounded_and_honest(
            nodes in 2u32..12, samples in 10u32..60, lr in 0.001f64..1.0, e in 1u32..4,
            batch in 1u32..80, frac in 0.05f64..1.0, drop in 0.0f64..90.0, skew in any::<bool>(),
            deadline in any::<bool>(), strag in 0.0f64..100.0, seed in 0u64..1000,
        ) {
            let q = Params {
                nodes, samples, lr, local_epochs: e, batch, fraction: frac, dropout_pct: drop,
                size_skew: skew, rounds: 6, stragglers_pct: strag,
                mode: if deadline { "deadline".into() } else { "wait".into() }, ..Params::default()
            };
            let r = FederatedLearning::run(&q, seed);
            // weights move at most lr·|x| per step; |x| is bounded by the data
            let fed = Federation::new(&q, seed);
            let xmax = fed.pool.iter().map(|p| p.x.abs().max(p.y.abs()).max(1.0)).fold(1.0, f64::max);
            let steps = f64::from(e) * f64::from(samples) * 4.0 * 6.0 * f64::from(nodes);
            for v in [&r.loss_fedavg, &r.loss_fedsgd, &r.loss_central] {
                prop_assert!(v.iter().all(|x| x.is_finite() && *x >= 0.0));
                prop_assert!(v.iter().all(|x| *x <= 2.0 * lr * steps * xmax * xmax + 2.0));
            }
            for i in 0..r.rounds as usize {
                prop_assert!(r.returned[i] + r.dropped[i] + r.late[i] == r.sampled[i]);
                prop_assert!(r.sampled[i] <= nodes && r.sampled[i] == q.per_round());
                if !deadline { prop_assert_eq!(r.late[i], 0); }
                if r.returned[i] == 0 {
                    // nobody came back: the global model did not move
                    prop_assert_eq!(r.acc_fedavg[i + 1], r.acc_fedavg[i]);
                }
            }
            let took: u32 = r.nodes.iter().map(|n| n.returned + n.dropped + n.late).sum();
            prop_assert_eq!(took, r.sampled.iter().sum::<u32>());
        }

        #[test]
        fn dropped_and_late_nodes_never_enter_the_average(seed in 0u64..500, drop in 10.0f64..90.0) {
            let q = Params { dropout_pct: drop, mode: "deadline".into(), stragglers_pct: 40.0, fraction: 1.0, ..Params::default() };
            let mut fed = Federation::new(&q, seed);
            let plan = fed.begin();
            let kept: Vec<&Task> = plan.tasks.iter().filter(|t| plan.fate(t) == Fate::Returned).collect();
            fed.finish(&plan);
            if kept.is_empty() {
                prop_assert_eq!(fed.w_avg, plan.w0);
            } else {
                let tot: f64 = kept.iter().map(|t| fed.nodes[t.node as usize].pts.len() as f64).sum();
                for j in 0..N_PARAMS {
                    let want: f64 = kept.iter().map(|t| fed.nodes[t.node as usize].pts.len() as f64 * t.w[j]).sum::<f64>() / tot;
                    prop_assert!((fed.w_avg[j] - want).abs() < 1e-12);
                }
            }
        }
    }
}
