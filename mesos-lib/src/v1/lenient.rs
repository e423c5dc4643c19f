//! Numbers as Mesos's JSON parser takes them (stout `protobuf::parse`): a JSON number, or a
//! string holding one ("Infinity" included for doubles). Used by the fields a scheduler's
//! JSON commonly sends as strings, so that reading it into these types refuses nothing a
//! real master accepts.

use std::fmt;

use serde::Deserializer;
use serde::de::{Error, Visitor};

/// What a lenient number field was given.
enum Given {
    Float(f64),
    Signed(i64),
    Unsigned(u64),
}

struct GivenVisitor;

impl Visitor<'_> for GivenVisitor {
    type Value = Given;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding one")
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Given, E> {
        Ok(Given::Float(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Given, E> {
        Ok(Given::Signed(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Given, E> {
        Ok(Given::Unsigned(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Given, E> {
        let t = v.trim();
        if let Ok(u) = t.parse::<u64>() {
            return Ok(Given::Unsigned(u));
        }
        if let Ok(i) = t.parse::<i64>() {
            return Ok(Given::Signed(i));
        }
        match t {
            "Infinity" => Ok(Given::Float(f64::INFINITY)),
            "-Infinity" => Ok(Given::Float(f64::NEG_INFINITY)),
            _ => t
                .parse::<f64>()
                .map(Given::Float)
                .map_err(|_| E::custom(format!("'{v}' is not a number"))),
        }
    }
}

fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Given, D::Error> {
    d.deserialize_any(GivenVisitor)
}

/// A double.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(match given(d)? {
        Given::Float(v) => v,
        Given::Signed(v) => v as f64,
        Given::Unsigned(v) => v as f64,
    })
}

/// An optional double: absent (the field's `#[serde(default)]`) or `null` is `None`.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct Optional;

    impl<'de> Visitor<'de> for Optional {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, or a string holding one")
        }

        fn visit_none<E: Error>(self) -> Result<Option<f64>, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Option<f64>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<f64>, D::Error> {
            f64(d).map(Some)
        }
    }

    d.deserialize_option(Optional)
}

/// A 64-bit signed integer (a whole double is taken too).
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match given(d)? {
        Given::Signed(v) => Ok(v),
        Given::Unsigned(v) => i64::try_from(v).map_err(D::Error::custom),
        Given::Float(v) if v.fract() == 0.0 && v.abs() < 9.2e18 => Ok(v as i64),
        Given::Float(v) => Err(D::Error::custom(format!("{v} is not an integer"))),
    }
}

/// A 64-bit unsigned integer (a whole double is taken too).
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match given(d)? {
        Given::Unsigned(v) => Ok(v),
        Given::Signed(v) => u64::try_from(v).map_err(D::Error::custom),
        Given::Float(v) if v.fract() == 0.0 && (0.0..1.8e19).contains(&v) => Ok(v as u64),
        Given::Float(v) => Err(D::Error::custom(format!("{v} is not an unsigned integer"))),
    }
}

/// An optional 64-bit unsigned integer, for a field whose `#[serde(default)]` makes absent
/// `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    u64(d).map(Some)
}

/// A 32-bit unsigned integer (a whole double is taken too).
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    u32::try_from(u64(d)?).map_err(D::Error::custom)
}

/// A 32-bit signed integer (a whole double is taken too).
pub(crate) fn i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    i32::try_from(i64(d)?).map_err(D::Error::custom)
}

/// A boolean, or the string `"true"` or `"false"` (stout parses a string as JSON there).
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Flag;

    impl Visitor<'_> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, or a string holding one")
        }

        fn visit_bool<E: Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
            v.parse()
                .map_err(|_| E::custom(format!("'{v}' is not a boolean")))
        }
    }

    d.deserialize_any(Flag)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Numbers {
        #[serde(deserialize_with = "super::f64")]
        f: f64,
        #[serde(deserialize_with = "super::i64")]
        i: i64,
        #[serde(deserialize_with = "super::u64")]
        u: u64,
    }

    fn read(v: serde_json::Value) -> Result<(f64, i64, u64), String> {
        let n: Numbers = serde_json::from_value(v).map_err(|e| e.to_string())?;
        Ok((n.f, n.i, n.u))
    }

    #[test]
    fn numbers_and_strings_holding_them_are_read() {
        assert_eq!(read(json!({"f": 0.5, "i": -3, "u": 7})), Ok((0.5, -3, 7)));
        assert_eq!(
            read(json!({"f": "32", "i": "5", "u": " 31000 "})),
            Ok((32.0, 5, 31000))
        );
        assert_eq!(
            read(json!({"f": "Infinity", "i": 2.0, "u": 3.0}))
                .unwrap()
                .0,
            f64::INFINITY
        );
        assert!(read(json!({"f": "x", "i": 1, "u": 1})).is_err());
        assert!(read(json!({"f": 1, "i": 1.5, "u": 1})).is_err());
        assert!(read(json!({"f": 1, "i": 1, "u": -1})).is_err());
        assert!(read(json!({"f": true, "i": 1, "u": 1})).is_err());
    }

    #[derive(Deserialize)]
    struct Optional {
        #[serde(default, deserialize_with = "super::opt_f64")]
        f: Option<f64>,
    }

    #[test]
    fn an_optional_double_is_read_as_a_required_one() {
        let read = |v| serde_json::from_value::<Optional>(v).map(|o| o.f);
        assert_eq!(read(json!({})).unwrap(), None);
        assert_eq!(read(json!({"f": null})).unwrap(), None);
        assert_eq!(read(json!({"f": "2.5"})).unwrap(), Some(2.5));
        assert_eq!(read(json!({"f": 3})).unwrap(), Some(3.0));
        assert!(read(json!({"f": "abc"})).is_err());
    }

    #[derive(Deserialize)]
    struct Flag {
        #[serde(default, deserialize_with = "super::bool")]
        b: bool,
    }

    #[test]
    fn a_boolean_is_also_read_from_its_string() {
        let read = |v| serde_json::from_value::<Flag>(v).map(|f| f.b);
        assert!(!read(json!({})).unwrap());
        assert!(read(json!({"b": true})).unwrap());
        assert!(read(json!({"b": "true"})).unwrap());
        assert!(!read(json!({"b": "false"})).unwrap());
        assert!(read(json!({"b": "yes"})).is_err());
        assert!(read(json!({"b": 1})).is_err());
    }
}
