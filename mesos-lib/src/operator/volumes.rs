//! The operator calls on persistent volumes: create, destroy, grow and shrink. Each answers
//! 202 with no body once the master has applied it; a refusal is an [`HttpError::Status`]
//! carrying the master's text.

use super::client::OperatorClient;
use crate::httpcli::HttpError;
use crate::v1::AgentId;
use crate::v1::master::Call;
use crate::v1::resources::{Resource, Scalar};

impl OperatorClient {
    /// CREATE_VOLUMES on `agent` (202), on disk already reserved for the volumes' role.
    pub async fn create_volumes(
        &self,
        agent: AgentId,
        volumes: Vec<Resource>,
    ) -> Result<(), HttpError> {
        self.call(&Call::create_volumes(agent, volumes))
            .await
            .map(drop)
    }

    /// DESTROY_VOLUMES on `agent` (202): the data goes, the disk stays reserved.
    pub async fn destroy_volumes(
        &self,
        agent: AgentId,
        volumes: Vec<Resource>,
    ) -> Result<(), HttpError> {
        self.call(&Call::destroy_volumes(agent, volumes))
            .await
            .map(drop)
    }

    /// GROW_VOLUME (202): `volume` as the agent holds it takes `addition`, disk reserved as
    /// the volume is.
    pub async fn grow_volume(
        &self,
        agent: AgentId,
        volume: Resource,
        addition: Resource,
    ) -> Result<(), HttpError> {
        self.call(&Call::grow_volume(agent, volume, addition))
            .await
            .map(drop)
    }

    /// SHRINK_VOLUME (202): `volume` loses `subtract`, which stays reserved as it was.
    pub async fn shrink_volume(
        &self,
        agent: AgentId,
        volume: Resource,
        subtract: Scalar,
    ) -> Result<(), HttpError> {
        self.call(&Call::shrink_volume(agent, volume, subtract))
            .await
            .map(drop)
    }
}
