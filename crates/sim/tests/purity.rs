//! Runs are pure: a report depends on its params and seed alone, never on what ran before in
//! the same thread. Some models remember work between runs (thread-local memos keyed on what
//! the work depends on); this test catches a memo keyed on too little. For every built model it
//! runs the defaults and one nudge of every knob, alternately in one thread, and compares
//! each report with the same run in a fresh thread (empty memos).

use sim::params::{Knob, KnobKind};
use sim::registry::built;

type Pairs = Vec<(String, String)>;

/// The defaults, then each knob moved one step from its default.
fn variants(knobs: &[Knob], defaults: &[(String, String)]) -> Vec<Pairs> {
    let mut out = vec![Vec::new()];
    for k in knobs {
        let Some((_, v)) = defaults.iter().find(|(key, _)| key == k.key) else {
            continue;
        };
        let nudged = match k.kind {
            KnobKind::Int { min, max, .. } => {
                let x: i64 = v.parse().unwrap_or(min);
                (if x < max { x + 1 } else { x - 1 })
                    .clamp(min, max)
                    .to_string()
            }
            KnobKind::Float { min, max, step, .. } => {
                let x: f64 = v.parse().unwrap_or(min);
                (if x + step <= max { x + step } else { x - step })
                    .clamp(min, max)
                    .to_string()
            }
            KnobKind::Choice { options } => {
                let i = options.iter().position(|(o, _)| o == v).unwrap_or(0);
                options[(i + 1) % options.len()].0.to_string()
            }
            KnobKind::Bool => (v != "true").to_string(),
        };
        out.push(vec![(k.key.to_string(), nudged)]);
    }
    out
}

#[test]
fn a_report_does_not_depend_on_earlier_runs_in_the_thread() {
    for w in built() {
        let m = w.model.expect("built");
        let (defaults, _) = (m.validate)(&[]);
        // each nudge right after the defaults: a memo keyed on too little would answer the
        // nudge with the defaults' work
        let mut runs: Vec<(Pairs, u64)> = variants((m.knobs)(), &defaults)
            .into_iter()
            .flat_map(|p| [(Vec::new(), 1), (p, 1)])
            .collect();
        runs.push((Vec::new(), 2));
        runs.push((Vec::new(), 1));
        for (pairs, seed) in runs {
            let here = sim::run_json(w.slug, &pairs, seed);
            let slug = w.slug;
            let p2 = pairs.clone();
            let fresh = std::thread::spawn(move || sim::run_json(slug, &p2, seed))
                .join()
                .expect("fresh run");
            assert!(here.is_ok(), "{slug}: {here:?}");
            assert_eq!(
                here, fresh,
                "{slug} {pairs:?} seed {seed}: differs from a fresh thread"
            );
        }
    }
}
