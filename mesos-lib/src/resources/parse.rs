//! Mesos flag syntax for values, resources and attributes, following
//! `src/v1/values.cpp` (`values::parse`), `Resources::parse` and `Attributes::parse`:
//! spaces are dropped; `[a-b,c-d]` is RANGES, `{x,y}` is SET, a number is SCALAR, anything
//! else is TEXT. So `pod:demo,dev` is the TEXT attribute "demo,dev".

use thiserror::Error;

use crate::v1::resources::{Attribute, Ranges, Resource, Scalar, Text, ValueType};

use super::ranges;

/// Why a value, resource or attribute string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// An empty value.
    #[error("expecting a non-empty value")]
    Empty,
    /// Unbalanced `[]`, `{}` or `()`.
    #[error("mismatched brackets in '{0}'")]
    MismatchedBrackets(String),
    /// A `[` or `{` not at the start of the value.
    #[error("unexpected '{bracket}' in '{text}'")]
    UnexpectedBracket {
        /// The bracket.
        bracket: char,
        /// The value.
        text: String,
    },
    /// A ranges value with an odd number of bounds, or a bound that is not a u64.
    #[error("invalid ranges '{0}': expecting [begin-end, ...] with non-negative integers")]
    InvalidRanges(String),
    /// A `name:value` item without a name or value.
    #[error("invalid key:value pair '{0}'")]
    InvalidPair(String),
    /// A malformed `name(role)`.
    #[error("invalid resource name '{0}'")]
    InvalidName(String),
    /// A resource whose value is TEXT (only attributes may be text).
    #[error(
        "resource '{name}' has a TEXT value '{value}'; resources must be scalar, ranges or set"
    )]
    TextResource {
        /// Resource name.
        name: String,
        /// Value.
        value: String,
    },
    /// A negative, NaN or infinite scalar resource.
    #[error("resource '{name}' has an invalid scalar value {value}")]
    InvalidScalar {
        /// Resource name.
        name: String,
        /// The value, as text.
        value: String,
    },
    /// A SET attribute, which Mesos refuses.
    #[error("attribute '{0}' is a SET; attributes must be scalar, ranges or text")]
    SetAttribute(String),
    /// The JSON form (`[{"name": ...}]`) did not parse.
    #[error("invalid resources JSON: {0}")]
    Json(String),
}

/// A parsed flag value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedValue {
    /// A number.
    Scalar(f64),
    /// Coalesced ranges.
    Ranges(Vec<(u64, u64)>),
    /// Set items.
    Set(Vec<String>),
    /// Anything else.
    Text(String),
}

fn brackets_match(text: &str, open: char, close: char) -> bool {
    let mut depth = 0i64;
    for c in text.chars() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth < 0 {
                return false;
            }
        }
    }
    depth == 0
}

/// Parses one value as `values::parse` does.
pub fn parse_value(text: &str) -> Result<ParsedValue, ParseError> {
    let text: String = text.chars().filter(|&c| c != ' ').collect();
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    if !brackets_match(&text, '{', '}')
        || !brackets_match(&text, '[', ']')
        || !brackets_match(&text, '(', ')')
    {
        return Err(ParseError::MismatchedBrackets(text));
    }
    match text.find('[') {
        Some(0) => {
            let tokens: Vec<&str> = text
                .split(['[', ']', '-', ',', '\n'])
                .filter(|t| !t.is_empty())
                .collect();
            if !tokens.len().is_multiple_of(2) {
                return Err(ParseError::InvalidRanges(text));
            }
            let mut pairs = Vec::with_capacity(tokens.len() / 2);
            for pair in tokens.chunks(2) {
                let begin = pair[0]
                    .parse::<u64>()
                    .map_err(|_| ParseError::InvalidRanges(text.clone()))?;
                let end = pair[1]
                    .parse::<u64>()
                    .map_err(|_| ParseError::InvalidRanges(text.clone()))?;
                pairs.push((begin, end));
            }
            Ok(ParsedValue::Ranges(ranges::coalesce(pairs)))
        }
        Some(_) => Err(ParseError::UnexpectedBracket { bracket: '[', text }),
        None => match text.find('{') {
            Some(0) => Ok(ParsedValue::Set(
                text.split(['{', '}', ',', '\n'])
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect(),
            )),
            Some(_) => Err(ParseError::UnexpectedBracket { bracket: '{', text }),
            None => Ok(text
                .parse::<f64>()
                .map(ParsedValue::Scalar)
                .unwrap_or(ParsedValue::Text(text))),
        },
    }
}

/// Splits `name(role)` into its parts.
fn split_name(name: &str) -> Result<(String, Option<String>), ParseError> {
    let name = name.trim();
    match name.find('(') {
        None if name.contains(')') => Err(ParseError::InvalidName(name.to_string())),
        None => Ok((name.to_string(), None)),
        Some(open) => {
            let role = name[open + 1..]
                .strip_suffix(')')
                .ok_or_else(|| ParseError::InvalidName(name.to_string()))?;
            if open == 0 || role.is_empty() || role.contains(['(', ')']) {
                return Err(ParseError::InvalidName(name.to_string()));
            }
            Ok((name[..open].to_string(), Some(role.to_string())))
        }
    }
}

/// Parses agent-flag resources, `cpus:2;mem:1024;ports:[31000-32000];disks(role):{a,b}`,
/// or their JSON array form. A role in parentheses becomes the (pre-refinement) `role`.
pub fn parse_resources(text: &str) -> Result<Vec<Resource>, ParseError> {
    if text.trim_start().starts_with('[') && text.trim_end().ends_with(']') && text.contains('{') {
        return serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()));
    }
    let mut out = Vec::new();
    for token in text.split([';', '\n']).filter(|t| !t.trim().is_empty()) {
        let (name, value) = token
            .split_once(':')
            .ok_or_else(|| ParseError::InvalidPair(token.to_string()))?;
        if name.trim().is_empty() || value.trim().is_empty() {
            return Err(ParseError::InvalidPair(token.to_string()));
        }
        let (name, role) = split_name(name)?;
        let mut resource = match parse_value(value)? {
            ParsedValue::Scalar(v) if v.is_finite() && v >= 0.0 => Resource::scalar(name, v),
            ParsedValue::Scalar(v) => {
                return Err(ParseError::InvalidScalar {
                    name,
                    value: v.to_string(),
                });
            }
            ParsedValue::Ranges(pairs) => Resource::ranges(name, pairs),
            ParsedValue::Set(items) => Resource::set(name, items),
            ParsedValue::Text(value) => return Err(ParseError::TextResource { name, value }),
        };
        resource.role = role;
        out.push(resource);
    }
    Ok(out)
}

/// Parses agent-flag attributes, `rack:r2d2;pod:demo,dev;weight:3.5;ids:[1-5]`.
pub fn parse_attributes(text: &str) -> Result<Vec<Attribute>, ParseError> {
    let mut out = Vec::new();
    for token in text.split([';', '\n']).filter(|t| !t.is_empty()) {
        let (name, value) = token
            .split_once(':')
            .ok_or_else(|| ParseError::InvalidPair(token.to_string()))?;
        if name.is_empty() || value.is_empty() {
            return Err(ParseError::InvalidPair(token.to_string()));
        }
        let attribute = match parse_value(value)? {
            ParsedValue::Scalar(v) => Attribute {
                name: name.to_string(),
                value_type: Some(ValueType::Scalar),
                scalar: Some(Scalar::new(v)),
                ..Default::default()
            },
            ParsedValue::Ranges(pairs) => Attribute {
                name: name.to_string(),
                value_type: Some(ValueType::Ranges),
                ranges: Some(Ranges::from_pairs(pairs)),
                ..Default::default()
            },
            ParsedValue::Text(value) => Attribute {
                name: name.to_string(),
                value_type: Some(ValueType::Text),
                text: Some(Text::new(value)),
                ..Default::default()
            },
            ParsedValue::Set(_) => return Err(ParseError::SetAttribute(name.to_string())),
        };
        out.push(attribute);
    }
    Ok(out)
}
/// An attribute's value as agent flags write it (`r2d2`, `3.5`, `[1-5]`, `demo,dev`): the
/// inverse of [`parse_attributes`] for one value; scalars rounded to Mesos's three decimals.
pub fn attribute_value(a: &Attribute) -> String {
    if let Some(t) = &a.text {
        t.value.clone()
    } else if let Some(s) = &a.scalar {
        format!("{}", (s.value * 1000.0).round() / 1000.0)
    } else if let Some(r) = &a.ranges {
        super::ranges::format(&super::ranges::pairs(r))
    } else if let Some(s) = &a.set {
        s.item.join(",")
    } else {
        String::new()
    }
}
