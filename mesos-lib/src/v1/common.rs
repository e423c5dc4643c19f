//! Small messages shared across the API: labels, times, addresses, filters, parameters.

use serde::{Deserialize, Serialize};

use super::{Extra, proto_enum};

/// `Label`: one key/value pair.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Label {
    /// Key (required).
    pub key: String,
    /// Optional value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Labels`: `{"labels": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Labels {
    /// The pairs, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Labels {
    /// Builds labels from key/value pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            labels: pairs
                .into_iter()
                .map(|(k, v)| Label {
                    key: k.into(),
                    value: Some(v.into()),
                    extra: Extra::new(),
                })
                .collect(),
            extra: Extra::new(),
        }
    }

    /// The value of the first label with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.key == key)
            .and_then(|l| l.value.as_deref())
    }
}

/// `Parameter`: a key/value pair (e.g. a docker CLI parameter).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Parameter {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Parameters`: `{"parameter": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Parameters {
    /// The parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter: Vec<Parameter>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `TimeInfo`: nanoseconds since the epoch, a bare JSON number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TimeInfo {
    /// Nanoseconds since the Unix epoch.
    pub nanoseconds: i64,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `DurationInfo`: a duration in nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DurationInfo {
    /// Nanoseconds (also read from a string, as Mesos reads it).
    #[serde(deserialize_with = "super::lenient::i64")]
    pub nanoseconds: i64,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl DurationInfo {
    /// A duration of whole seconds.
    pub fn from_secs(secs: i64) -> Self {
        Self {
            nanoseconds: secs.saturating_mul(1_000_000_000),
            extra: Extra::new(),
        }
    }
}

/// `google.protobuf.Duration`: whole seconds and nanoseconds, also read from its JSON string
/// form (`"1.5s"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ProtoDuration {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds beyond them.
    pub nanos: i32,
}

impl ProtoDuration {
    /// The whole duration in nanoseconds.
    pub fn as_nanos(&self) -> i64 {
        self.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.nanos))
    }

    fn from_nanos(n: i64) -> Self {
        Self {
            seconds: n / 1_000_000_000,
            nanos: (n % 1_000_000_000) as i32,
        }
    }
}

impl<'de> Deserialize<'de> for ProtoDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Text(String),
            Parts {
                #[serde(default, deserialize_with = "super::lenient::i64")]
                seconds: i64,
                #[serde(default, deserialize_with = "super::lenient::i64")]
                nanos: i64,
            },
        }
        match Given::deserialize(d) {
            Ok(Given::Text(s)) => s
                .strip_suffix('s')
                .and_then(|n| n.parse::<f64>().ok())
                .map(|secs| Self::from_nanos((secs * 1e9) as i64))
                .ok_or_else(|| D::Error::custom(format!("Invalid duration '{s}'"))),
            Ok(Given::Parts { seconds, nanos }) => Ok(Self::from_nanos(
                seconds.saturating_mul(1_000_000_000).saturating_add(nanos),
            )),
            Err(_) => Err(D::Error::custom(
                "a duration is '<seconds>s' or {seconds, nanos} in whole numbers",
            )),
        }
    }
}

/// `Address`: how to reach a process (`ip` is a dotted string here).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// IP as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Port.
    pub port: i32,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `URL`: scheme, address and path (e.g. an offer's agent URL, path `/slave(1)`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Url {
    /// Scheme, e.g. `http`.
    pub scheme: String,
    /// Where.
    pub address: Address,
    /// Path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<Parameter>,
    /// Fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fragment: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Filters`: how long the master should not re-offer declined resources.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Filters {
    /// Seconds (Mesos default 5.0; also read from a string, as Mesos reads it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::lenient::opt_f64"
    )]
    pub refuse_seconds: Option<f64>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Filters {
    /// A filter refusing the resources for `secs` seconds.
    pub fn refuse_seconds(secs: f64) -> Self {
        Self {
            refuse_seconds: Some(secs),
            extra: Extra::new(),
        }
    }
}

/// `Environment.Variable`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EnvironmentVariable {
    /// Name.
    pub name: String,
    /// `VALUE` (default) or `SECRET`; absent means `VALUE`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub var_type: Option<String>,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Fields this library does not model (e.g. `secret`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Environment`: `{"variables": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Environment {
    /// Variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<EnvironmentVariable>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Environment {
    /// Builds an environment from name/value pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            variables: pairs
                .into_iter()
                .map(|(k, v)| EnvironmentVariable {
                    name: k.into(),
                    value: Some(v.into()),
                    ..Default::default()
                })
                .collect(),
            extra: Extra::new(),
        }
    }
}

/// `DomainInfo`: fault domain (region/zone).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DomainInfo {
    /// `fault_domain{region{name}, zone{name}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_domain: Option<FaultDomain>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `DomainInfo.FaultDomain`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FaultDomain {
    /// Region.
    pub region: NamedDomain,
    /// Zone.
    pub zone: NamedDomain,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A region or zone: `{"name": ...}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NamedDomain {
    /// Name.
    pub name: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Unavailability`: a maintenance window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Unavailability {
    /// Start.
    pub start: TimeInfo,
    /// Length (absent = forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DurationInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `MachineID`: hostname and/or IP of a machine under maintenance.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachineId {
    /// Hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

proto_enum!(
    /// `MachineInfo.Mode`: where a machine stands in maintenance.
    MachineMode {
        /// In service.
        Up = "UP",
        /// Scheduled for maintenance; frameworks get inverse offers.
        Draining = "DRAINING",
        /// Under maintenance; its agents are removed.
        Down = "DOWN",
    }
);

/// `MachineInfo`: a machine, its maintenance mode and planned unavailability.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachineInfo {
    /// The machine.
    pub id: MachineId,
    /// Its mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<MachineMode>,
    /// When it is unavailable, while scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailability: Option<Unavailability>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
