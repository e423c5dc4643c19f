//! Scalar arithmetic in Mesos's fixed point: values are rounded to 0.001, as `Value::Scalar`'s
//! operators do, so `0.1 + 0.2 == 0.3` and repeated subtraction never drifts.

/// Converts to thousandths, rounding half away from zero (C's `llround`).
pub fn to_fixed(value: f64) -> i64 {
    (value * 1000.0).round() as i64
}

/// Converts thousandths back, dividing the integer and fractional parts separately as Mesos does.
pub fn from_fixed(fixed: i64) -> f64 {
    (fixed / 1000) as f64 + (fixed % 1000) as f64 / 1000.0
}

/// Rounds a value to Mesos precision.
pub fn normalize(value: f64) -> f64 {
    from_fixed(to_fixed(value))
}

/// `left + right` in fixed point.
pub fn add(left: f64, right: f64) -> f64 {
    from_fixed(to_fixed(left) + to_fixed(right))
}

/// `left - right` in fixed point.
pub fn subtract(left: f64, right: f64) -> f64 {
    from_fixed(to_fixed(left) - to_fixed(right))
}

/// `left == right` in fixed point.
pub fn equal(left: f64, right: f64) -> bool {
    to_fixed(left) == to_fixed(right)
}

/// `left <= right` in fixed point.
pub fn less_or_equal(left: f64, right: f64) -> bool {
    to_fixed(left) <= to_fixed(right)
}
