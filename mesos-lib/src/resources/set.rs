//! Set arithmetic on `Value.Set` items: union without duplicates, difference, subset.

/// Union, keeping the order of `left` then new items of `right`.
pub fn add(left: &[String], right: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(left.len() + right.len());
    for item in left.iter().chain(right) {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Items of `left` not in `right`.
pub fn subtract(left: &[String], right: &[String]) -> Vec<String> {
    left.iter()
        .filter(|item| !right.contains(item))
        .cloned()
        .collect()
}

/// Whether every item of `inner` is in `outer`.
pub fn contains(outer: &[String], inner: &[String]) -> bool {
    inner.iter().all(|item| outer.contains(item))
}
