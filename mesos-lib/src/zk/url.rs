//! `zk://[user:pass@]host1:port,host2:port/path`, split the way Mesos splits it: servers and
//! path at the first `/`, credentials (the `digest` scheme) before the last `@`.

/// A `zk://` URL that cannot be used; its text is redacted when it held credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URL {url}: {reason}")]
pub struct InvalidZkUrl {
    /// The URL (redacted if it held credentials).
    pub url: String,
    /// Why.
    pub reason: String,
}

/// A parsed `zk://` master URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ZkUrl {
    /// `host1:port,host2:port`, as ZooKeeper clients take it.
    pub servers: String,
    /// The znode holding the masters' `json.info_*` children (`/mesos`); never ends in `/`
    /// unless it is the root.
    pub path: String,
    /// `user:pass` for the `digest` scheme.
    pub credentials: Option<String>,
}

impl ZkUrl {
    /// Parses `zk://…`; anything else, or a URL without servers, is an error.
    pub fn parse(url: &str) -> Result<Self, InvalidZkUrl> {
        let bad = |reason: &str| InvalidZkUrl {
            url: redact(url),
            reason: reason.to_string(),
        };
        let rest = url
            .trim()
            .strip_prefix("zk://")
            .ok_or_else(|| bad("a ZooKeeper URL starts with zk://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (credentials, servers) = match authority.rfind('@') {
            Some(i) => (Some(authority[..i].to_string()), &authority[i + 1..]),
            None => (None, authority),
        };
        if servers.is_empty() || servers.split(',').any(|s| s.trim().is_empty()) {
            return Err(bad("no ZooKeeper server before the path"));
        }
        if credentials.as_deref().is_some_and(|c| !c.contains(':')) {
            return Err(bad("credentials must be user:password"));
        }
        let path = match path.trim_end_matches('/') {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        if path.contains("//") {
            return Err(bad("empty path segment"));
        }
        Ok(Self {
            servers: servers.to_string(),
            path,
            credentials,
        })
    }

    /// The full path of a child of [`ZkUrl::path`].
    pub fn child(&self, name: &str) -> String {
        if self.path == "/" {
            format!("/{name}")
        } else {
            format!("{}/{name}", self.path)
        }
    }
}

/// Shown without the password.
impl std::fmt::Display for ZkUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self
            .credentials
            .as_deref()
            .map(|c| format!("{}:***@", c.split(':').next().unwrap_or("")))
            .unwrap_or_default();
        write!(f, "zk://{user}{}{}", self.servers, self.path)
    }
}

impl std::fmt::Debug for ZkUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZkUrl({self})")
    }
}

/// Whether `s` names a ZooKeeper master URL.
pub fn is_zk_url(s: &str) -> bool {
    s.trim().starts_with("zk://")
}

fn redact(url: &str) -> String {
    match (url.find("zk://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("zk://***@{}", &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_servers_path_and_credentials() {
        let u = ZkUrl::parse("zk://alice:s3cr@t@h1:2181,h2:2182/mesos/vagrant/").unwrap();
        assert_eq!(u.servers, "h1:2181,h2:2182");
        assert_eq!(u.path, "/mesos/vagrant");
        assert_eq!(u.credentials.as_deref(), Some("alice:s3cr@t"));
        assert_eq!(
            u.to_string(),
            "zk://alice:***@h1:2181,h2:2182/mesos/vagrant"
        );
        assert_eq!(u.child("json.info_1"), "/mesos/vagrant/json.info_1");
    }

    #[test]
    fn path_defaults_to_root() {
        let u = ZkUrl::parse("zk://127.0.0.1:2181").unwrap();
        assert_eq!(u.path, "/");
        assert_eq!(u.child("x"), "/x");
        assert_eq!(u.credentials, None);
    }

    #[test]
    fn rejects_what_is_not_a_zk_url() {
        for bad in [
            "http://h:5050",
            "zk:///mesos",
            "zk://h1:1,/mesos",
            "zk://bob@h:1/m",
        ] {
            let e = ZkUrl::parse(bad).unwrap_err().to_string();
            assert!(e.contains("invalid URL"), "{bad}: {e}");
        }
        let e = ZkUrl::parse("zk://u:pw@/m").unwrap_err().to_string();
        assert!(!e.contains("pw"), "password leaked: {e}");
    }
}
