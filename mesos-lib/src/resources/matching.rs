//! Offer matching: does an offer hold enough resources, do its attributes satisfy
//! `key=value` selectors, does its hostname match a pattern.

use thiserror::Error;

use crate::v1::offer::Offer;
use crate::v1::resources::{Attribute, Resource, ValueType};

use super::collection::Resources;
use super::parse::{ParsedValue, parse_value};
use super::{ranges, scalar};

/// Why a selector string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectorError {
    /// A selector with an empty attribute name.
    #[error("attribute selector '{0}' has no attribute name")]
    EmptyName(String),
}

/// One attribute constraint: `rack=r2d2` (value match) or `gpu` (presence).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeSelector {
    /// Attribute name.
    pub name: String,
    /// Required value, parsed with Mesos's value syntax; `None` means "present".
    pub value: Option<ParsedValue>,
}

impl AttributeSelector {
    /// Parses `name=value` or `name`. The value uses flag syntax: `r2d2`, `3.5`, `[1-5]`, `7`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (text.trim(), None),
        };
        if name.is_empty() {
            return Err(SelectorError::EmptyName(text.to_string()));
        }
        // A value that is not valid flag syntax (e.g. "a[b") is compared as plain text.
        let value =
            value.map(|v| parse_value(v).unwrap_or_else(|_| ParsedValue::Text(v.to_string())));
        Ok(Self {
            name: name.to_string(),
            value,
        })
    }

    /// Parses selectors separated by `;` (commas belong to values, as in `pod=demo,dev`).
    pub fn parse_list(text: &str) -> Result<Vec<Self>, SelectorError> {
        text.split(';')
            .filter(|t| !t.trim().is_empty())
            .map(Self::parse)
            .collect()
    }

    /// Whether `attribute` satisfies this selector (names must be equal).
    pub fn matches(&self, attribute: &Attribute) -> bool {
        if attribute.name != self.name {
            return false;
        }
        let Some(wanted) = &self.value else {
            return true;
        };
        match (attribute.value_type.as_ref(), wanted) {
            (Some(ValueType::Text), _) => {
                let have = attribute
                    .text
                    .as_ref()
                    .map(|t| t.value.as_str())
                    .unwrap_or_default();
                have == text_of(wanted)
            }
            (Some(ValueType::Scalar), ParsedValue::Scalar(v)) => attribute
                .scalar
                .as_ref()
                .is_some_and(|s| scalar::equal(s.value, *v)),
            (Some(ValueType::Ranges), ParsedValue::Scalar(v)) => {
                // A number selects an attribute whose ranges include it.
                let have = attribute
                    .ranges
                    .as_ref()
                    .map(ranges::pairs)
                    .unwrap_or_default();
                v.fract() == 0.0 && *v >= 0.0 && ranges::contains(&have, &[(*v as u64, *v as u64)])
            }
            (Some(ValueType::Ranges), ParsedValue::Ranges(pairs)) => {
                let have = attribute
                    .ranges
                    .as_ref()
                    .map(ranges::pairs)
                    .unwrap_or_default();
                ranges::contains(&have, pairs)
            }
            (Some(ValueType::Set), ParsedValue::Set(items)) => attribute
                .set
                .as_ref()
                .is_some_and(|s| items.iter().all(|i| s.item.contains(i))),
            (Some(ValueType::Set), ParsedValue::Text(item)) => attribute
                .set
                .as_ref()
                .is_some_and(|s| s.item.contains(item)),
            _ => false,
        }
    }

    /// Whether any of `attributes` satisfies this selector.
    pub fn matches_any(&self, attributes: &[Attribute]) -> bool {
        attributes.iter().any(|a| self.matches(a))
    }
}

/// The text a parsed selector value stands for, to compare with a TEXT attribute.
fn text_of(value: &ParsedValue) -> String {
    match value {
        ParsedValue::Text(t) => t.clone(),
        ParsedValue::Scalar(v) => v.to_string(),
        ParsedValue::Ranges(pairs) => ranges::format(pairs),
        ParsedValue::Set(items) => format!("{{{}}}", items.join(",")),
    }
}

/// Whether `hostname` matches `pattern`: case-insensitive, `*` matches any run of characters.
pub fn hostname_matches(hostname: &str, pattern: &str) -> bool {
    let host: Vec<char> = hostname.to_ascii_lowercase().chars().collect();
    let pat: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    // Iterative glob with backtracking to the last `*`.
    let (mut h, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while h < host.len() {
        if p < pat.len() && pat[p] == '*' {
            star = Some((p, h));
            p += 1;
        } else if p < pat.len() && pat[p] == host[h] {
            h += 1;
            p += 1;
        } else if let Some((sp, sh)) = star {
            p = sp + 1;
            h = sh + 1;
            star = Some((sp, sh + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == '*')
}

/// Whether the offer holds at least `wanted`, comparing totals by name (roles and
/// allocation ignored, since a request rarely names them).
pub fn offer_fits(offer: &Offer, wanted: &[Resource]) -> bool {
    Resources::from(offer.resources.as_slice())
        .flatten()
        .contains(&Resources::from(wanted).flatten())
}

/// Whether the offer fits `wanted`, satisfies every selector, and (if given) its hostname
/// matches `hostname_pattern`.
pub fn offer_matches(
    offer: &Offer,
    wanted: &[Resource],
    selectors: &[AttributeSelector],
    hostname_pattern: Option<&str>,
) -> bool {
    hostname_pattern.is_none_or(|p| hostname_matches(&offer.hostname, p))
        && selectors.iter().all(|s| s.matches_any(&offer.attributes))
        && offer_fits(offer, wanted)
}
