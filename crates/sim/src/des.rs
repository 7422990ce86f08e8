//! Discrete-event building blocks shared by the models.
//!
//! [`Scheduled`] is an event in a `BinaryHeap` agenda: the heap (a max-heap) pops the earliest
//! time first, and events at the same time in the order they were scheduled (`seq`), so a run
//! never depends on the heap's internals.
//!
//! ```
//! use sim::des::Scheduled;
//! use std::collections::BinaryHeap;
//! let mut agenda = BinaryHeap::new();
//! agenda.push(Scheduled { time: 2.0, seq: 0, item: "late" });
//! agenda.push(Scheduled { time: 1.0, seq: 2, item: "second" });
//! agenda.push(Scheduled { time: 1.0, seq: 1, item: "first" });
//! let order: Vec<_> = std::iter::from_fn(|| agenda.pop().map(|e| e.item)).collect();
//! assert_eq!(order, ["first", "second", "late"]);
//! ```

use std::cmp::Ordering;

/// An event due at `time`; ties in time go by `seq`, the order of scheduling.
#[derive(Clone, Copy, Debug)]
pub struct Scheduled<T> {
    /// When it happens, in the model's own unit of time.
    pub time: f64,
    /// Tie-breaker: events at the same time pop in increasing `seq`.
    pub seq: u64,
    /// What happens.
    pub item: T,
}

impl<T> PartialEq for Scheduled<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T> Eq for Scheduled<T> {}
impl<T> PartialOrd for Scheduled<T> {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
    // The heap compares with `<=`; spelled out so they inline even at `opt-level = "z"`.
    #[inline(always)]
    fn le(&self, other: &Self) -> bool {
        self.cmp(other) != Ordering::Greater
    }
    #[inline(always)]
    fn lt(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Less
    }
    #[inline(always)]
    fn ge(&self, other: &Self) -> bool {
        self.cmp(other) != Ordering::Less
    }
    #[inline(always)]
    fn gt(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Greater
    }
}
impl<T> Ord for Scheduled<T> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event.
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .total_cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BinaryHeap;

    proptest! {
        /// Whatever the order of pushing, the heap pops by (time, seq): the sorted order.
        #[test]
        fn pops_in_time_then_seq_order(times in proptest::collection::vec(0u8..6, 0..40)) {
            let evs: Vec<Scheduled<usize>> = times
                .iter()
                .enumerate()
                .map(|(i, &t)| Scheduled { time: f64::from(t), seq: i as u64, item: i })
                .collect();
            let mut heap: BinaryHeap<_> = evs.iter().rev().copied().collect();
            let popped: Vec<usize> = std::iter::from_fn(|| heap.pop().map(|e| e.item)).collect();
            let mut want: Vec<(u8, usize)> = times.iter().copied().zip(0..).collect();
            want.sort();
            prop_assert_eq!(popped, want.into_iter().map(|(_, i)| i).collect::<Vec<_>>());
        }
    }
}
