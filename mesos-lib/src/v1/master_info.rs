//! `MasterInfo`: identity and address of a master (also the ZooKeeper `json.info_*` node content).

use serde::{Deserialize, Serialize};

use super::common::{Address, DomainInfo};
use super::{Extra, proto_enum};

proto_enum!(
    /// `MasterInfo.Capability.Type`.
    MasterCapabilityType {
        /// Accepts agent resource updates.
        AgentUpdate = "AGENT_UPDATE",
        /// Supports agent draining.
        AgentDraining = "AGENT_DRAINING",
        /// Quota v2.
        QuotaV2 = "QUOTA_V2",
    }
);

/// `MasterInfo.Capability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterCapability {
    /// The capability.
    #[serde(rename = "type")]
    pub capability_type: MasterCapabilityType,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `MasterInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MasterInfo {
    /// Master ID (a UUID).
    pub id: String,
    /// Deprecated: IPv4 in network byte order read as a little-endian u32.
    pub ip: u32,
    /// Deprecated: port.
    pub port: u32,
    /// libprocess PID, `master@ip:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// Deprecated: hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Mesos version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Preferred address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Fault domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainInfo>,
    /// Capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<MasterCapability>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MasterInfo {
    /// Packs a dotted IPv4 address the way `MasterInfo.ip` does (127.0.0.1 -> 16777343).
    pub fn pack_ip(ip: std::net::Ipv4Addr) -> u32 {
        u32::from_le_bytes(ip.octets())
    }

    /// Unpacks `MasterInfo.ip`.
    pub fn unpack_ip(ip: u32) -> std::net::Ipv4Addr {
        std::net::Ipv4Addr::from(ip.to_le_bytes())
    }

    /// `host:port` to reach this master: `address` first, then the deprecated fields.
    pub fn host_port(&self) -> String {
        if let Some(address) = &self.address {
            let host = address
                .hostname
                .clone()
                .or_else(|| address.ip.clone())
                .unwrap_or_default();
            if !host.is_empty() {
                return format!("{host}:{}", address.port);
            }
        }
        let host = self
            .hostname
            .clone()
            .unwrap_or_else(|| Self::unpack_ip(self.ip).to_string());
        format!("{host}:{}", self.port)
    }
}
