//! Persistent volumes through the operator API, typed: CREATE_VOLUMES, DESTROY_VOLUMES,
//! GROW_VOLUME and SHRINK_VOLUME as `master.proto` has them. Their bodies travel in
//! [`Call::extra`], so the envelope stays as it is.

use serde::{Deserialize, Serialize};

use super::call::{Call, CallType};
use crate::v1::Extra;
use crate::v1::ids::{AgentId, ResourceProviderId};
use crate::v1::resources::{Resource, Scalar};

/// `Call.CreateVolumes` and `Call.DestroyVolumes`: the same fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VolumesOnAgent {
    /// The agent holding the volumes.
    pub agent_id: AgentId,
    /// The volumes, with their `disk.persistence` and `disk.volume`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.GrowVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GrowVolume {
    /// The agent holding the volume (required by a 1.11 master).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// A resource provider's volume (a 1.11 master refuses those).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_provider_id: Option<ResourceProviderId>,
    /// The volume as the agent holds it.
    pub volume: Resource,
    /// Disk reserved as the volume is, added to it.
    pub addition: Resource,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.ShrinkVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShrinkVolume {
    /// The agent holding the volume (required by a 1.11 master).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// A resource provider's volume (a 1.11 master refuses those).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_provider_id: Option<ResourceProviderId>,
    /// The volume as the agent holds it.
    pub volume: Resource,
    /// How much to take off; the freed disk stays reserved as the volume was.
    pub subtract: Scalar,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

fn with_body(call_type: CallType, section: &str, body: impl Serialize) -> Call {
    let mut call = Call::new(call_type);
    // Plain structs of strings and numbers always serialize.
    call.extra.insert(
        section.into(),
        serde_json::to_value(body).unwrap_or_default(),
    );
    call
}

impl Call {
    /// CREATE_VOLUMES on `agent_id`, on disk reserved for the volumes' role.
    pub fn create_volumes(agent_id: AgentId, volumes: Vec<Resource>) -> Self {
        let body = VolumesOnAgent {
            agent_id,
            volumes,
            extra: Extra::new(),
        };
        with_body(CallType::CreateVolumes, "create_volumes", body)
    }

    /// DESTROY_VOLUMES on `agent_id`: their data is deleted, their disk stays reserved.
    pub fn destroy_volumes(agent_id: AgentId, volumes: Vec<Resource>) -> Self {
        let body = VolumesOnAgent {
            agent_id,
            volumes,
            extra: Extra::new(),
        };
        with_body(CallType::DestroyVolumes, "destroy_volumes", body)
    }

    /// GROW_VOLUME of `volume` on `agent_id` by `addition` (disk reserved as the volume is).
    pub fn grow_volume(agent_id: AgentId, volume: Resource, addition: Resource) -> Self {
        let body = GrowVolume {
            agent_id: Some(agent_id),
            volume,
            addition,
            ..Default::default()
        };
        with_body(CallType::GrowVolume, "grow_volume", body)
    }

    /// SHRINK_VOLUME of `volume` on `agent_id` by `subtract` MB.
    pub fn shrink_volume(agent_id: AgentId, volume: Resource, subtract: Scalar) -> Self {
        let body = ShrinkVolume {
            agent_id: Some(agent_id),
            volume,
            subtract,
            ..Default::default()
        };
        with_body(CallType::ShrinkVolume, "shrink_volume", body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resize_bodies_are_as_master_proto_has_them() {
        let agent = AgentId::new("a1");
        let vol = Resource::scalar("disk", 64.0);
        let grow = Call::grow_volume(agent.clone(), vol.clone(), Resource::scalar("disk", 8.0));
        let v = serde_json::to_value(&grow).unwrap();
        assert_eq!(v["type"], "GROW_VOLUME");
        assert_eq!(v["grow_volume"]["agent_id"], json!({"value": "a1"}));
        assert_eq!(v["grow_volume"]["addition"]["scalar"]["value"], 8.0);
        let shrink = Call::shrink_volume(agent, vol, Scalar::new(16.0));
        let v = serde_json::to_value(&shrink).unwrap();
        assert_eq!(v["type"], "SHRINK_VOLUME");
        assert_eq!(v["shrink_volume"]["subtract"], json!({"value": 16.0}));
        assert_eq!(v["shrink_volume"]["volume"]["scalar"]["value"], 64.0);
        assert!(v["shrink_volume"].get("resource_provider_id").is_none());
    }
}
