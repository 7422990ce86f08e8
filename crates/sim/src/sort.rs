//! Sorting through one compiled sort routine.
//!
//! Each `slice::sort_by` call with its own closure makes the compiler emit a whole sort (driftsort
//! or ipnsort: 3–8 KB of wasm each), and a page bundle carries one per call site. The models'
//! sorts that are not on a hot path go through [`sort_by`] instead: a single index sort, shared
//! by every caller, plus a few bytes of glue per call site. The result is exactly what the
//! standard library's stable sort gives (ties keep their order), so reports do not change.
//! Hot paths (rings of 64,000 points, a million keys) keep the standard sorts.

use std::cmp::Ordering;

/// Up to this many items [`sort_by`] sorts in place by insertion.
const SHORT: usize = 16;

/// The permutation that sorts `n` items stably: `cmp(a, b)` compares items `a` and `b` by their
/// indices; ties are ordered by index, so the result is the stable order.
pub fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    idx
}

/// Sort `v` stably by `cmp`: the same result as `v.sort_by(cmp)`.
pub fn sort_by<T: Clone>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= SHORT {
        // a handful of items (the replicas of a quorum, a Raft cluster's match indices, once
        // per message): insertion sort in place, no allocation, a few bytes of code
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let idx = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    let sorted: Vec<T> = idx.iter().map(|&i| v[i].clone()).collect();
    v.clone_from_slice(&sorted);
}

/// Sort `v` in ascending order: the same result as `v.sort()`.
pub fn sort<T: Ord + Clone>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Same as the standard library's stable sort, ties included: sort pairs by their first
        /// element only, and the second element tells where each tie ended up.
        #[test]
        fn matches_the_stable_sort(v in proptest::collection::vec((0u8..6, any::<u32>()), 0..60)) {
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v.clone();
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn sorts_floats_descending_like_std(v in proptest::collection::vec(-1e3f64..1e3, 0..100)) {
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| b.total_cmp(a));
            let mut std = v;
            std.sort_by(|a, b| b.total_cmp(a));
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn order_is_a_stable_permutation() {
        let keys = [3, 1, 3, 0, 1];
        assert_eq!(
            order(5, &mut |a, b| keys[a].cmp(&keys[b])),
            vec![3, 1, 4, 0, 2]
        );
        let mut words = vec!["pear", "fig", "apple"];
        sort(&mut words);
        assert_eq!(words, ["apple", "fig", "pear"]);
    }
}
