//! ZooKeeper as Mesos uses it, shared by the client's leader detection and the embedded
//! Mesos's masters: `zk://` URLs, sessions, the masters' `json.info_*` nodes, and a watched
//! view of them. Needs the `zk` feature (tokio and zookeeper-client, no HTTP client).

mod nodes;
mod session;
mod url;
mod watch;

pub use self::nodes::{
    JSON_INFO_PREFIX, ZkMaster, ZkMasters, encode_master_info, json_info_sequence,
};
pub use self::session::{connect, session_lost};
pub use self::url::{InvalidZkUrl, ZkUrl, is_zk_url};
pub use self::watch::{ZkConfig, ZkWatch};
