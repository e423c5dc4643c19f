//! The masters' znodes: `json.info_NNNNNNNNNN` children holding MasterInfo as JSON. The
//! leader is the lowest sequence number; other children (`log_replicas`, legacy `info_`
//! protobuf nodes) are not ours to read.

use std::time::SystemTime;

use url::Url;

use crate::v1::MasterInfo;

/// The label Mesos (since 0.23) gives the masters' JSON nodes.
pub const JSON_INFO_PREFIX: &str = "json.info_";

/// One master registered in ZooKeeper.
#[derive(Debug, Clone, PartialEq)]
pub struct ZkMaster {
    /// The znode's name (`json.info_0000000003`).
    pub node: String,
    /// Its sequence number.
    pub sequence: u64,
    /// The MasterInfo it holds.
    pub info: MasterInfo,
    /// `http://host:port/` from `info.address`.
    pub url: Url,
}

/// What ZooKeeper said about the masters the last time it was read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZkMasters {
    /// The master with the lowest sequence number.
    pub leader: Option<ZkMaster>,
    /// Every registered master, lowest sequence first (the leader included).
    pub masters: Vec<ZkMaster>,
    /// When the children were last read successfully.
    pub read_at: Option<SystemTime>,
    /// Whether the ZooKeeper session is connected now (the view is kept while it is not).
    pub connected: bool,
    /// The last problem (unreachable server, missing path, undecodable node), if any.
    pub problem: Option<String>,
}

/// The sequence number of a `json.info_` child; `None` for any other child.
pub fn json_info_sequence(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(JSON_INFO_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Decodes one node's data; the URL comes from `address` (the packed `ip` is a fallback
/// of `MasterInfo::host_port` only for very old masters).
pub fn decode_master(node: &str, sequence: u64, data: &[u8]) -> Result<ZkMaster, String> {
    let info: MasterInfo =
        serde_json::from_slice(data).map_err(|e| format!("{node}: not MasterInfo JSON: {e}"))?;
    let url = Url::parse(&format!("http://{}/", info.host_port()))
        .map_err(|e| format!("{node}: unusable address {}: {e}", info.host_port()))?;
    Ok(ZkMaster {
        node: node.to_string(),
        sequence,
        info,
        url,
    })
}

/// Orders the masters by sequence and names the leader.
pub fn elect(mut masters: Vec<ZkMaster>) -> (Option<ZkMaster>, Vec<ZkMaster>) {
    masters.sort_by_key(|m| m.sequence);
    (masters.first().cloned(), masters)
}

/// MasterInfo as Mesos writes it into its node: JSON with every object's keys sorted.
pub fn encode_master_info(info: &MasterInfo) -> Vec<u8> {
    // Typed in, typed out: the Value only exists to re-order keys before writing.
    let value = serde_json::to_value(info).unwrap_or_default();
    let mut out = Vec::new();
    write_sorted(&value, &mut out);
    out
}

fn write_sorted(v: &serde_json::Value, out: &mut Vec<u8>) {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(k).unwrap_or_default());
                out.push(b':');
                write_sorted(&map[k], out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend(serde_json::to_vec(scalar).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A node recorded from a real Mesos master (transcript 23).
    const REAL: &str = r#"{"address":{"hostname":"127.0.0.1","ip":"127.0.0.1","port":5250},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}],"hostname":"127.0.0.1","id":"63fe1be4-3ddd-46c0-85f6-0506ac0c550d","ip":16777343,"pid":"master@127.0.0.1:5250","port":5250,"version":"1.12.0"}"#;

    #[test]
    fn reads_only_json_info_children() {
        assert_eq!(json_info_sequence("json.info_0000000042"), Some(42));
        assert_eq!(json_info_sequence("log_replicas"), None);
        assert_eq!(json_info_sequence("info_0000000001"), None);
        assert_eq!(json_info_sequence("json.info_"), None);
        assert_eq!(json_info_sequence("json.info_12a"), None);
    }

    #[test]
    fn decodes_a_real_node_and_reencodes_it_byte_for_byte() {
        let m = decode_master("json.info_0000000000", 0, REAL.as_bytes()).unwrap();
        assert_eq!(m.url.as_str(), "http://127.0.0.1:5250/");
        assert_eq!(
            String::from_utf8(encode_master_info(&m.info)).unwrap(),
            REAL
        );
    }

    #[test]
    fn address_wins_over_the_packed_ip() {
        let data = r#"{"address":{"hostname":"m2","ip":"10.0.0.2","port":5051},"id":"x","ip":16777343,"port":1}"#;
        let m = decode_master("json.info_1", 1, data.as_bytes()).unwrap();
        assert_eq!(m.url.as_str(), "http://m2:5051/");
    }

    #[test]
    fn lowest_sequence_leads() {
        let node = |seq: u64, port: u16| {
            let data = format!(
                r#"{{"address":{{"ip":"127.0.0.1","port":{port}}},"id":"{seq}","ip":0,"port":{port}}}"#
            );
            decode_master(&format!("json.info_{seq:010}"), seq, data.as_bytes()).unwrap()
        };
        let (leader, all) = elect(vec![node(12, 3), node(9, 2), node(10, 1)]);
        assert_eq!(leader.unwrap().url.port(), Some(2));
        assert_eq!(
            all.iter().map(|m| m.sequence).collect::<Vec<_>>(),
            [9, 10, 12]
        );
    }

    #[test]
    fn undecodable_nodes_are_reported() {
        let e = decode_master("json.info_3", 3, b"\x08\x01binary").unwrap_err();
        assert!(e.contains("json.info_3"), "{e}");
    }
}
