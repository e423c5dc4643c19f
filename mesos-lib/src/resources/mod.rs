//! Resource arithmetic.
