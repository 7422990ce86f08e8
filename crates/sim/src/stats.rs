//! Small, exact statistics helpers shared by the models.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Summary of a sample: count, mean, standard deviation, min, quantiles, max.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// Number of values.
    pub n: u64,
    /// Arithmetic mean (0 when empty).
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator; 0 when n < 2).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summarise `xs` (any order; NaNs are dropped).
    pub fn of(xs: &[f64]) -> Summary {
        let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return Summary::default();
        }
        v.sort_unstable_by(f64::total_cmp);
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Summary {
            n: n as u64,
            mean,
            sd: var.sqrt(),
            min: v[0],
            p5: quantile_sorted(&v, 0.05),
            p50: quantile_sorted(&v, 0.50),
            p95: quantile_sorted(&v, 0.95),
            p99: quantile_sorted(&v, 0.99),
            max: v[n - 1],
        }
    }
}

/// Quantile `q` in [0, 1] of an ascending slice, by linear interpolation between order statistics
/// (the "type 7" rule of R and NumPy). 0 for an empty slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Mean and population standard deviation of integer counts (e.g. keys per node).
pub fn mean_sd_counts(counts: &[u64]) -> (f64, f64) {
    if counts.is_empty() {
        return (0.0, 0.0);
    }
    let n = counts.len() as f64;
    let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n;
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

/// Walker's alias table (Vose's construction): draws an index with given probabilities in
/// O(1) — one uniform index and one uniform coin per draw.
pub struct Alias {
    prob: Vec<f64>,
    alias: Vec<u32>,
}

impl Alias {
    /// The table for weights `p` (non-negative; all zero, or none, means uniform).
    pub fn new(p: &[f64]) -> Alias {
        let n = p.len().max(1);
        let total: f64 = p.iter().sum();
        let mut prob: Vec<f64> = p
            .iter()
            .map(|&x| {
                if total > 0.0 {
                    x * n as f64 / total
                } else {
                    1.0
                }
            })
            .collect();
        prob.resize(n, 1.0);
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| prob[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            prob[l as usize] -= 1.0 - prob[s as usize];
            if prob[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // leftovers are 1 up to rounding
        for i in small.into_iter().chain(large) {
            prob[i as usize] = 1.0;
        }
        Alias { prob, alias }
    }

    #[inline(always)]
    /// One draw: an index in `0 … len − 1`.
    pub fn draw(&self, rng: &mut Rng) -> u32 {
        let (prob, alias): (&[f64], &[u32]) = (&self.prob, &self.alias);
        let i = rng.below(prob.len() as u64) as u32;
        if rng.uniform() < prob[i as usize] {
            i
        } else {
            alias[i as usize]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear_rule() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert!((quantile_sorted(&v, 0.95) - 3.85).abs() < 1e-12);
    }

    #[test]
    fn summary_of_known_sample() {
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert!((s.sd - 2.138_089_935_299_395).abs() < 1e-12);
        assert_eq!((s.min, s.max), (2.0, 9.0));
    }

    #[test]
    fn counts_population_sd() {
        let (m, sd) = mean_sd_counts(&[2, 4, 4, 4, 5, 5, 7, 9]);
        assert_eq!((m, sd), (5.0, 2.0));
    }
}
