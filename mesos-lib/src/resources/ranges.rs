//! Inclusive `u64` range arithmetic (ports): coalesce, add, subtract, contains.

use crate::v1::resources::Ranges;

/// Sorted, merged, non-overlapping, non-adjacent `(begin, end)` pairs.
pub fn coalesce(pairs: impl IntoIterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    let mut pairs: Vec<(u64, u64)> = pairs
        .into_iter()
        .map(|(b, e)| (b.min(e), b.max(e)))
        .collect();
    pairs.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(pairs.len());
    for (begin, end) in pairs {
        match out.last_mut() {
            // Adjacent ranges merge too ([1-2] + [3-4] = [1-4]), as in Mesos.
            Some(last) if begin <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => out.push((begin, end)),
        }
    }
    out
}

/// The pairs of a `Value.Ranges`.
pub fn pairs(ranges: &Ranges) -> Vec<(u64, u64)> {
    ranges.range.iter().map(|r| (r.begin, r.end)).collect()
}

/// Union of two sets of ranges.
pub fn add(left: &[(u64, u64)], right: &[(u64, u64)]) -> Vec<(u64, u64)> {
    coalesce(left.iter().chain(right).copied())
}

/// `left` minus every value in `right`.
pub fn subtract(left: &[(u64, u64)], right: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut current = coalesce(left.iter().copied());
    for &(rb, re) in &coalesce(right.iter().copied()) {
        let mut next = Vec::with_capacity(current.len() + 1);
        for &(b, e) in &current {
            if e < rb || b > re {
                next.push((b, e));
                continue;
            }
            if b < rb {
                next.push((b, rb - 1));
            }
            if e > re {
                next.push((re + 1, e));
            }
        }
        current = next;
    }
    current
}

/// Whether every value of `inner` is in `outer`.
pub fn contains(outer: &[(u64, u64)], inner: &[(u64, u64)]) -> bool {
    let outer = coalesce(outer.iter().copied());
    coalesce(inner.iter().copied())
        .iter()
        .all(|&(b, e)| outer.iter().any(|&(ob, oe)| ob <= b && e <= oe))
}

/// Number of values covered (e.g. how many ports).
pub fn count(pairs: &[(u64, u64)]) -> u64 {
    coalesce(pairs.iter().copied())
        .iter()
        .map(|&(b, e)| e - b + 1)
        .sum()
}

/// Formats as Mesos does: `[31000-32000, 33000-33001]`.
pub fn format(pairs: &[(u64, u64)]) -> String {
    let inner: Vec<String> = pairs.iter().map(|(b, e)| format!("{b}-{e}")).collect();
    format!("[{}]", inner.join(", "))
}
