//! `Value` (scalar, ranges, set, text), `Resource` with its reservation metadata, and `Attribute`.

use serde::{Deserialize, Serialize};

use super::common::Labels;
use super::ids::ResourceProviderId;
use super::{Extra, proto_enum};

proto_enum!(
    /// `Value.Type`.
    ValueType {
        /// A floating-point amount (three decimals of precision in Mesos).
        Scalar = "SCALAR",
        /// Inclusive `u64` ranges.
        Ranges = "RANGES",
        /// A set of strings.
        Set = "SET",
        /// Free text (attributes only).
        Text = "TEXT",
    }
);

/// `Value.Scalar`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Scalar {
    /// The amount (also read from a string, as Mesos reads it).
    #[serde(deserialize_with = "super::lenient::f64")]
    pub value: f64,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Scalar {
    /// A scalar of `value`.
    pub fn new(value: f64) -> Self {
        Self {
            value,
            extra: Extra::new(),
        }
    }
}

/// `Value.Range`: inclusive `[begin, end]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Range {
    /// First value (also read from a string, as Mesos reads it).
    #[serde(deserialize_with = "super::lenient::u64")]
    pub begin: u64,
    /// Last value (inclusive).
    #[serde(deserialize_with = "super::lenient::u64")]
    pub end: u64,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Range {
    /// The range `[begin, end]`.
    pub fn new(begin: u64, end: u64) -> Self {
        Self {
            begin,
            end,
            extra: Extra::new(),
        }
    }
}

/// `Value.Ranges`: `{"range": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ranges {
    /// The ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub range: Vec<Range>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Ranges {
    /// Builds ranges from `(begin, end)` pairs, as given.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u64, u64)>) -> Self {
        Self {
            range: pairs.into_iter().map(|(b, e)| Range::new(b, e)).collect(),
            extra: Extra::new(),
        }
    }
}

/// `Value.Set`: `{"item": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Set {
    /// The items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Set {
    /// Builds a set from items.
    pub fn from_items<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Self {
            item: items.into_iter().map(Into::into).collect(),
            extra: Extra::new(),
        }
    }
}

/// `Value.Text`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Text {
    /// The text.
    pub value: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Text {
    /// A text value.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            extra: Extra::new(),
        }
    }
}

/// `Resource.AllocationInfo`: the role the resource is allocated to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AllocationInfo {
    /// Role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl AllocationInfo {
    /// Allocated to `role`.
    pub fn role(role: impl Into<String>) -> Self {
        Self {
            role: Some(role.into()),
            extra: Extra::new(),
        }
    }
}

proto_enum!(
    /// `Resource.ReservationInfo.Type`.
    ReservationType {
        /// Reserved by agent flags.
        Static = "STATIC",
        /// Reserved at runtime (RESERVE operation or operator call).
        Dynamic = "DYNAMIC",
    }
);

/// `Resource.ReservationInfo` (one step of the refinement stack, or the old single form).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReservationInfo {
    /// STATIC or DYNAMIC (refinement format only).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub reservation_type: Option<ReservationType>,
    /// Role reserved for (refinement format only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Principal that made a dynamic reservation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Resource.DiskInfo.Persistence`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Persistence {
    /// Persistent volume ID.
    pub id: String,
    /// Creator's principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Resource.DiskInfo`: persistence, volume and source of a disk resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiskInfo {
    /// Persistent volume identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Persistence>,
    /// Mount point inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<super::container::Volume>,
    /// Fields this library does not model (e.g. `source`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// An empty marker message (`revocable{}`, `shared{}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Marker {
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Resource`: a named, typed quantity with reservation and allocation metadata.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Resource {
    /// `cpus`, `mem`, `disk`, `ports`, `gpus`, ...
    pub name: String,
    /// Which of `scalar`/`ranges`/`set` is set.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub value_type: Option<ValueType>,
    /// Scalar value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    /// Ranges value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    /// Set value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Set>,
    /// Deprecated pre-refinement role (`"*"` = unreserved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The role this resource is allocated to (MULTI_ROLE frameworks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_info: Option<AllocationInfo>,
    /// Pre-refinement reservation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<ReservationInfo>,
    /// Refinement-format reservations, innermost last (empty = unreserved).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<ReservationInfo>,
    /// Disk details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<DiskInfo>,
    /// Present if the resource is revocable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocable: Option<Marker>,
    /// Present if the resource is shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared: Option<Marker>,
    /// Resource provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ResourceProviderId>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Resource {
    /// A scalar resource, e.g. `Resource::scalar("cpus", 0.5)`.
    pub fn scalar(name: impl Into<String>, value: f64) -> Self {
        Self {
            name: name.into(),
            value_type: Some(ValueType::Scalar),
            scalar: Some(Scalar::new(value)),
            ..Default::default()
        }
    }

    /// A ranges resource, e.g. `Resource::ranges("ports", [(31000, 31001)])`.
    pub fn ranges(name: impl Into<String>, pairs: impl IntoIterator<Item = (u64, u64)>) -> Self {
        Self {
            name: name.into(),
            value_type: Some(ValueType::Ranges),
            ranges: Some(Ranges::from_pairs(pairs)),
            ..Default::default()
        }
    }

    /// A set resource.
    pub fn set<S: Into<String>>(
        name: impl Into<String>,
        items: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            value_type: Some(ValueType::Set),
            set: Some(Set::from_items(items)),
            ..Default::default()
        }
    }

    /// Sets the deprecated `role` field (builder style).
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Sets `allocation_info.role` (builder style).
    pub fn with_allocation_role(mut self, role: impl Into<String>) -> Self {
        self.allocation_info = Some(AllocationInfo::role(role));
        self
    }

    /// The effective reservation role: the last refinement, else the old `role` (unless `*`).
    pub fn reservation_role(&self) -> Option<&str> {
        if let Some(last) = self.reservations.last() {
            return last.role.as_deref();
        }
        match self.role.as_deref() {
            Some("*") | None => None,
            Some(role) => Some(role),
        }
    }

    /// Whether the resource is reserved (by either format).
    pub fn is_reserved(&self) -> bool {
        self.reservation_role().is_some()
    }
}

/// `Attribute`: a named agent property used for placement (`rack:r2d2`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Which value field is set.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub value_type: Option<ValueType>,
    /// Scalar value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    /// Ranges value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    /// Set value (Mesos rejects these for attributes, but the proto allows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Set>,
    /// Text value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Attribute {
    /// A TEXT attribute.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value_type: Some(ValueType::Text),
            text: Some(Text::new(value)),
            ..Default::default()
        }
    }

    /// A SCALAR attribute.
    pub fn scalar(name: impl Into<String>, value: f64) -> Self {
        Self {
            name: name.into(),
            value_type: Some(ValueType::Scalar),
            scalar: Some(Scalar::new(value)),
            ..Default::default()
        }
    }

    /// A RANGES attribute.
    pub fn ranges(name: impl Into<String>, pairs: impl IntoIterator<Item = (u64, u64)>) -> Self {
        Self {
            name: name.into(),
            value_type: Some(ValueType::Ranges),
            ranges: Some(Ranges::from_pairs(pairs)),
            ..Default::default()
        }
    }
}
