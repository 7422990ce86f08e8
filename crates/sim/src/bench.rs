//! The core benchmark: the same deterministic workload natively (`pillars-sim bench`) and as
//! wasm in Chromium (the web worker's `bench` op), so the two speeds can be compared.

use crate::registry::built;

/// Run every built model on its defaults `rounds` times (seed = round). Returns a checksum (total
/// JSON length) so the work cannot be optimised away and both platforms can be seen to agree.
pub fn core_benchmark(rounds: u32) -> u64 {
    let mut check = 0u64;
    for round in 0..rounds {
        for w in built() {
            if let Some(m) = w.runnable() {
                let out = (m.run)(w.slug, &[], u64::from(round) + 1);
                check += serde_json::to_string(&out.report)
                    .map(|s| s.len() as u64)
                    .unwrap_or(0);
            }
        }
    }
    check
}
