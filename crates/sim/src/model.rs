//! The contract every model meets, and its type-erased form used by the registry.
//!
//! A model is a zero-sized type implementing [`Model`]: its `Params` (see [`crate::params`]),
//! a batch [`Model::run`] that turns params and a seed into a serde `Report`, and the report's
//! headline metrics. Models with time also offer a step-able simulation implementing
//! [`Simulation`], which the app animates and the report is computed from.
//!
//! [`ModelEntry`] erases the types so that the registry, the CLI, the web worker and the tests
//! can run any model by slug with string key/value pairs and get JSON back.

use crate::params::{self, Checked, Notice, Pair, Params};
use crate::rng::splitmix64;
use crate::stats::Summary;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A simulation model: pure, deterministic, no I/O.
pub trait Model: 'static {
    /// The knobs.
    type Params: Params;
    /// What a batch run produces (serialised as the JSON report; the app reads it back).
    type Report: Serialize + serde::de::DeserializeOwned;
    /// `true` if the report depends on the seed (then `--trials` gives a distribution).
    const STOCHASTIC: bool;

    /// Run the model once. `params` are already validated.
    fn run(params: &Self::Params, seed: u64) -> Self::Report;

    /// The headline numbers of a report, by name, for trial distributions and summaries.
    fn headline(report: &Self::Report) -> Vec<(&'static str, f64)>;

    /// A first look, quicker than [`Model::run`], for a model whose run has one slow part that
    /// a knob move need not wait for (a sweep, say): the report with that part left empty, or
    /// `None` when the full run is about as quick (the default). The app shows it at once and
    /// asks for the full run behind it; the CLI, exports and tests see only full runs.
    fn run_quick(_params: &Self::Params, _seed: u64) -> Option<Self::Report> {
        None
    }
}

/// A system with time that can be advanced and drawn.
pub trait Simulation {
    /// Simulated time now, in seconds.
    fn now(&self) -> f64;
    /// Process the next event. Returns `false` when the run is over.
    fn step(&mut self) -> bool;
    /// Process every event up to and including time `t` (seconds).
    fn advance_to(&mut self, t: f64) {
        while self.next_event_time().is_some_and(|e| e <= t) {
            if !self.step() {
                break;
            }
        }
    }
    /// When the next event happens, or `None` when the run is over.
    fn next_event_time(&self) -> Option<f64>;
}

/// What running a model by slug produces: the validated params, what validation changed, the
/// report. This exact shape is what the CLI prints and what the app exports as JSON.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunOutput {
    /// The model's slug.
    pub slug: String,
    /// The seed the run used.
    pub seed: u64,
    /// The params after validation, as `key → value`.
    pub params: Value,
    /// What validation changed or ignored.
    pub notices: Vec<Notice>,
    /// The model's report.
    pub report: Value,
    /// `true` for a first look ([`Model::run_quick`]) with its slow part still to come; never
    /// printed for a full run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// A batch of independent trials: the distribution of each headline metric.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrialsOutput {
    /// The model's slug.
    pub slug: String,
    /// The master seed; trial `i` uses [`trial_seed`]`(seed, i)`.
    pub seed: u64,
    /// How many trials ran.
    pub trials: u32,
    /// The params after validation.
    pub params: Value,
    /// What validation changed or ignored.
    pub notices: Vec<Notice>,
    /// Distribution of each headline metric over the trials.
    pub metrics: BTreeMap<String, Summary>,
}

/// The seed of trial `i` of a batch with master seed `seed`.
pub fn trial_seed(seed: u64, i: u32) -> u64 {
    let mut s = seed ^ (u64::from(i).wrapping_mul(0xA076_1D64_78BD_642F));
    splitmix64(&mut s) & params::MAX_SEED
}

/// A model with its types erased: what the registry stores.
#[derive(Clone, Copy)]
pub struct ModelEntry {
    /// The knobs of its params.
    pub knobs: fn() -> &'static [params::Knob],
    /// Whether trials make sense.
    pub stochastic: bool,
    /// Default params as JSON.
    pub defaults: fn() -> Value,
    /// Validate key/value pairs: the full, clamped pairs in knob order, and the notices.
    pub validate: fn(pairs: &[Pair]) -> Checked,
    /// Run once from key/value pairs (unknown keys and bad values become notices).
    pub run: fn(slug: &str, pairs: &[Pair], seed: u64) -> RunOutput,
    /// Run `trials` times with derived seeds and summarise the headline metrics.
    pub trials: fn(slug: &str, pairs: &[Pair], seed: u64, trials: u32) -> TrialsOutput,
    /// The model's quick first look ([`Model::run_quick`]), marked `partial`, if it has one
    /// for these params.
    pub quick: fn(slug: &str, pairs: &[Pair], seed: u64) -> Option<RunOutput>,
    /// `false` in a build that leaves this model out (a page bundle of the web app carries only
    /// its own page's models, a widget bundle its one widget's, see
    /// [`crate::registry::carries_widget`]): then the functions above
    /// are [`ModelEntry::ELSEWHERE`]'s, which run nothing and say why.
    pub here: bool,
}

impl ModelEntry {
    /// The entry for model `M`.
    pub const fn of<M: Model>() -> Self {
        ModelEntry {
            knobs: <M::Params as Params>::knobs,
            stochastic: M::STOCHASTIC,
            defaults: defaults_erased::<M>,
            validate: validate_erased::<M>,
            run: run_erased::<M>,
            trials: trials_erased::<M>,
            quick: quick_erased::<M>,
            here: true,
        }
    }

    /// The entry of a built model whose code this build leaves out: knows no knobs, runs
    /// nothing, and every run says that the model lives in another bundle.
    pub const ELSEWHERE: ModelEntry = ModelEntry {
        knobs: || &[],
        stochastic: false,
        defaults: || Value::Null,
        validate: |_| (Vec::new(), Vec::new()),
        run: |slug, _, seed| RunOutput {
            slug: slug.to_string(),
            seed,
            params: Value::Null,
            notices: vec![elsewhere_notice()],
            report: Value::Null,
            partial: false,
        },
        trials: |slug, _, seed, _| TrialsOutput {
            slug: slug.to_string(),
            seed,
            trials: 0,
            params: Value::Null,
            notices: vec![elsewhere_notice()],
            metrics: BTreeMap::new(),
        },
        quick: |_, _, _| None,
        here: false,
    };
}

fn elsewhere_notice() -> Notice {
    Notice::new(
        "model",
        "this build leaves the model out (it lives in its own page's and widget's bundles)",
    )
}

fn defaults_erased<M: Model>() -> Value {
    serde_json::to_value(M::Params::default()).unwrap_or(Value::Null)
}

fn validate_erased<M: Model>(pairs: &[(String, String)]) -> (Vec<(String, String)>, Vec<Notice>) {
    let (p, notices) = params::from_pairs::<M::Params>(pairs, &[]);
    (params::to_pairs(&p), notices)
}

fn run_erased<M: Model>(slug: &str, pairs: &[(String, String)], seed: u64) -> RunOutput {
    let (p, notices) = params::from_pairs::<M::Params>(pairs, &[]);
    let report = M::run(&p, seed);
    output::<M>(slug, seed, &p, notices, &report, false)
}

fn quick_erased<M: Model>(slug: &str, pairs: &[(String, String)], seed: u64) -> Option<RunOutput> {
    let (p, notices) = params::from_pairs::<M::Params>(pairs, &[]);
    let report = M::run_quick(&p, seed)?;
    Some(output::<M>(slug, seed, &p, notices, &report, true))
}

fn output<M: Model>(
    slug: &str,
    seed: u64,
    p: &M::Params,
    notices: Vec<Notice>,
    report: &M::Report,
    partial: bool,
) -> RunOutput {
    RunOutput {
        slug: slug.to_string(),
        seed,
        params: serde_json::to_value(p).unwrap_or(Value::Null),
        notices,
        report: serde_json::to_value(report).unwrap_or(Value::Null),
        partial,
    }
}

fn trials_erased<M: Model>(
    slug: &str,
    pairs: &[(String, String)],
    seed: u64,
    trials: u32,
) -> TrialsOutput {
    let (p, notices) = params::from_pairs::<M::Params>(pairs, &[]);
    let params = serde_json::to_value(&p).unwrap_or(Value::Null);
    let mut headline = |s| M::headline(&M::run(&p, s));
    trials_of(slug, seed, trials, params, notices, &mut headline)
}

/// The model-independent part of a batch of trials (one copy for every model): run the trials
/// through `headline` and summarise each metric.
fn trials_of(
    slug: &str,
    seed: u64,
    trials: u32,
    params: Value,
    notices: Vec<Notice>,
    headline: &mut dyn FnMut(u64) -> Vec<(&'static str, f64)>,
) -> TrialsOutput {
    let trials = trials.clamp(1, 100_000);
    let mut samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for i in 0..trials {
        for (name, x) in headline(trial_seed(seed, i)) {
            samples.entry(name.to_string()).or_default().push(x);
        }
    }
    // inserted one by one, already in key order: collecting into a map would compile a sort
    let mut metrics = BTreeMap::new();
    for (k, v) in samples {
        metrics.insert(k, Summary::of(&v));
    }
    TrialsOutput {
        slug: slug.to_string(),
        seed,
        trials,
        params,
        notices,
        metrics,
    }
}
