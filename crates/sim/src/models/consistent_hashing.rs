//! Placeholder: replaced by the real model.
use crate::model::Model;
use crate::params::{Knob, KnobKind, Params as ParamsTrait};
use serde::{Deserialize, Serialize};

/// The model.
pub struct ConsistentHashing;

/// Knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Placeholder knob.
    pub n: u32,
}
impl Default for Params {
    fn default() -> Self {
        Params { n: 1 }
    }
}
static KNOBS: &[Knob] = &[Knob { key: "n", label: "N", unit: "", help: "", kind: KnobKind::Int { min: 1, max: 9, log: false } }];
impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }
}
/// Report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// n
    pub n: u32,
}
impl Model for ConsistentHashing {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = false;
    fn run(p: &Params, _seed: u64) -> Report {
        Report { n: p.n }
    }
    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![("n", f64::from(r.n))]
    }
}
