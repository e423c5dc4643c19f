//! Opening a ZooKeeper session for a `zk://` URL, bounded in time, with the URL's digest
//! credentials.

use std::time::Duration;

use zookeeper_client as zk;

use super::url::ZkUrl;

/// Connects to `url`'s servers; the error says which servers did not answer and why.
pub async fn connect(
    url: &ZkUrl,
    session_timeout: Duration,
    connect_timeout: Duration,
) -> Result<zk::Client, String> {
    let mut connector = zk::Client::connector().with_session_timeout(session_timeout);
    if let Some(c) = &url.credentials {
        connector = connector.with_auth("digest", c.as_bytes());
    }
    match tokio::time::timeout(connect_timeout, connector.connect(&url.servers)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(format!("cannot open a ZooKeeper session at {url}: {e}")),
        Err(_) => Err(format!(
            "no ZooKeeper server of {url} answered within {connect_timeout:?}"
        )),
    }
}

/// Whether the session behind an error is gone for good (a new one is needed).
pub fn session_lost(e: &zk::Error) -> bool {
    matches!(
        e,
        zk::Error::SessionExpired | zk::Error::ClientClosed | zk::Error::AuthFailed
    )
}
