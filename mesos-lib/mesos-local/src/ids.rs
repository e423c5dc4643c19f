//! Identifier formats of a real master (`newFrameworkId`, `newOfferId`, `newSlaveId`).

use base64::Engine;

/// A fresh master ID: a random UUID.
pub(crate) fn master_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `<masterID>-NNNN`, a four-digit counter.
pub(crate) fn framework_id(master: &str, n: u64) -> String {
    format!("{master}-{n:04}")
}

/// `<masterID>-O<n>`.
pub(crate) fn offer_id(master: &str, n: u64) -> String {
    format!("{master}-O{n}")
}

/// `<masterID>-S<n>`.
pub(crate) fn agent_id(master: &str, n: u64) -> String {
    format!("{master}-S{n}")
}

/// A fresh stream or container ID.
pub(crate) fn uuid_string() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A status-update UUID as it travels in JSON: base64 of its 16 bytes (tests build calls
/// with it; the master keeps the bytes).
#[cfg(test)]
pub(crate) fn status_uuid() -> String {
    status_uuid_bytes().to_base64()
}

/// A fresh status `uuid` (a v4 UUID's 16 bytes), as a typed TaskStatus holds it.
pub(crate) fn status_uuid_bytes() -> mesos_lib::v1::Bytes {
    mesos_lib::v1::Bytes::new(uuid::Uuid::new_v4().as_bytes().as_slice())
}

/// Whether a base64 status `uuid` (ACKNOWLEDGE, an executor's UPDATE) is a UUID as stout's
/// `UUID::fromBytes` takes it: 16 bytes with a known version (1 to 5).
pub(crate) fn is_valid_status_uuid(b64: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .is_ok_and(|b| b.len() == 16 && (1..=5).contains(&(b[6] >> 4)))
}

/// The deprecated packed IPv4 of MasterInfo: network byte order read as little-endian u32.
pub(crate) fn packed_ip(ip: std::net::IpAddr) -> u32 {
    match ip {
        std::net::IpAddr::V4(v4) => u32::from_le_bytes(v4.octets()),
        std::net::IpAddr::V6(_) => 0,
    }
}

/// Seconds since the epoch as a double (TaskStatus.timestamp, state endpoints).
pub(crate) fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Nanoseconds since the epoch (TimeInfo).
pub(crate) fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(framework_id("m", 1), "m-0001");
        assert_eq!(offer_id("m", 12), "m-O12");
        assert_eq!(agent_id("m", 0), "m-S0");
        assert_eq!(packed_ip("127.0.0.1".parse().unwrap()), 16777343);
        assert_eq!(packed_ip("192.168.33.10".parse().unwrap()), 169978048);
        assert!(is_valid_status_uuid(&status_uuid()));
        assert!(!is_valid_status_uuid("aGVsbG8="));
        // 16 bytes, but version nibble 0: refused as by the real agent.
        assert!(!is_valid_status_uuid("AAAAAAAAAAAAAAAAAAAAAA=="));
    }
}
