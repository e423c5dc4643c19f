//! The operator calls that share a cluster out: weights, quota and dynamic reservations.

use super::client::OperatorClient;
use crate::httpcli::HttpError;
use crate::v1::AgentId;
use crate::v1::master::Call;
use crate::v1::master::sharing::{GetWeights, QuotaConfig, QuotaStatus, WeightInfo};
use crate::v1::resources::Resource;

fn decode(what: &str, source: serde_json::Error) -> HttpError {
    HttpError::Decode {
        what: what.into(),
        source,
    }
}

impl OperatorClient {
    /// GET_WEIGHTS: the weights set (none set: empty).
    pub async fn get_weights(&self) -> Result<GetWeights, HttpError> {
        match self.call(&Call::get_weights()).await? {
            Some(r) => r
                .get_weights()
                .map_err(|e| decode("GET_WEIGHTS response", e)),
            None => Ok(GetWeights::default()),
        }
    }

    /// UPDATE_WEIGHTS (200, no body).
    pub async fn update_weights(&self, weights: Vec<WeightInfo>) -> Result<(), HttpError> {
        self.call(&Call::update_weights(weights)).await.map(drop)
    }

    /// GET_QUOTA: every quota set.
    pub async fn get_quota(&self) -> Result<QuotaStatus, HttpError> {
        match self.call(&Call::get_quota()).await? {
            Some(r) => r
                .get_quota()
                .map(|q| q.status)
                .map_err(|e| decode("GET_QUOTA response", e)),
            None => Ok(QuotaStatus::default()),
        }
    }

    /// UPDATE_QUOTA (200, no body); `force` skips the master's capacity checks.
    pub async fn update_quota(
        &self,
        configs: Vec<QuotaConfig>,
        force: bool,
    ) -> Result<(), HttpError> {
        self.call(&Call::update_quota(configs, force))
            .await
            .map(drop)
    }

    /// RESERVE_RESOURCES on `agent` (202): `resources` carry their reservations.
    pub async fn reserve_resources(
        &self,
        agent: AgentId,
        resources: Vec<Resource>,
    ) -> Result<(), HttpError> {
        self.call(&Call::reserve_resources(agent, Vec::new(), resources))
            .await
            .map(drop)
    }

    /// UNRESERVE_RESOURCES on `agent` (202): `resources` as they are reserved.
    pub async fn unreserve_resources(
        &self,
        agent: AgentId,
        resources: Vec<Resource>,
    ) -> Result<(), HttpError> {
        self.call(&Call::unreserve_resources(agent, resources))
            .await
            .map(drop)
    }
}
