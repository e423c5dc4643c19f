//! Resource arithmetic and offer matching, with Mesos's semantics:
//! scalars in three-decimal fixed point, coalesced inclusive ranges, sets;
//! Mesos flag syntax for resources (`cpus:2;mem:1024;ports:[31000-32000]`) and
//! attributes (`rack:r2d2;pod:demo,dev`); attribute selectors and hostname matching; what a
//! task wants of an offer and how many times it fits ([`Want`]).

pub mod collection;
pub mod matching;
pub mod parse;
pub mod ranges;
pub mod scalar;
pub mod set;
pub mod want;

pub use collection::Resources;
pub use matching::{AttributeSelector, SelectorError, hostname_matches, offer_fits, offer_matches};
pub use parse::{ParseError, attribute_value, parse_attributes, parse_resources, parse_value};
pub use want::Want;
