//! Master URLs: parsing a base, resolving a 307 `Location` (often protocol-relative,
//! `//host:port/master/api/v1/scheduler`) and reducing a URL to its origin.

use reqwest::Url;

use super::HttpError;

/// Parses a master or agent base URL; a bare `host:port` means `http://host:port`.
/// Credentials embedded in the URL are refused so they cannot leak into logs.
pub fn parse_base_url(text: &str) -> Result<Url, HttpError> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| HttpError::InvalidUrl {
        url: text.to_string(),
        reason: e.to_string(),
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(HttpError::InvalidUrl {
            url: "<redacted>".into(),
            reason: "credentials belong in ClientConfig::credentials, not in the URL".into(),
        });
    }
    if url.host_str().is_none() || !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::InvalidUrl {
            url: text.to_string(),
            reason: "expected http(s)://host:port".into(),
        });
    }
    Ok(url)
}

/// Resolves a redirect `Location` against the URL that answered it: absolute, protocol-
/// relative (keeps the current scheme) and path-only forms are all accepted.
pub fn resolve_location(current: &Url, location: &str) -> Result<Url, HttpError> {
    current
        .join(location.trim())
        .map_err(|e| HttpError::BadRedirect {
            url: current.to_string(),
            location: Some(location.to_string()),
            reason: e.to_string(),
        })
}

/// `scheme://host:port/` of `url`: where a redirect says the leader is.
pub fn origin_of(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

/// `base` with `path` appended to its own path (so a proxy prefix survives).
pub(crate) fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_relative_location_keeps_scheme_and_path() {
        let cur = Url::parse("https://a:5051/api/v1/scheduler").unwrap();
        let to = resolve_location(&cur, "//b:5050/master/api/v1/scheduler").unwrap();
        assert_eq!(to.as_str(), "https://b:5050/master/api/v1/scheduler");
        assert_eq!(origin_of(&to).as_str(), "https://b:5050/");
        let bare = resolve_location(&cur, "//b:5050").unwrap();
        assert_eq!(bare.as_str(), "https://b:5050/");
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            parse_base_url("127.0.0.1:5050").unwrap().as_str(),
            "http://127.0.0.1:5050/"
        );
        let u = parse_base_url("http://h:1/prefix/").unwrap();
        assert_eq!(
            join_path(&u, "/api/v1").as_str(),
            "http://h:1/prefix/api/v1"
        );
        assert!(parse_base_url("http://u:p@h:1").is_err());
        assert!(parse_base_url("ftp://h").is_err());
    }
}
