//! HTTP basic authentication as a Mesos master does it with `--credentials` and the
//! `--authenticate_http_*` flags: one realm per group of endpoints, a 401 with a
//! `WWW-Authenticate` challenge naming the realm, and the authenticated principal handed on to
//! the handler (the scheduler API checks it against `FrameworkInfo.principal`).

use std::collections::HashMap;
use std::fmt;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use mesos_lib::secret::Secret;

/// Which endpoints a check guards; each has its own realm and enabling flag, as in Mesos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realm {
    /// `/api/v1/scheduler` (`--authenticate_http_frameworks`).
    Scheduler,
    /// `/api/v1` operator calls (`--authenticate_http_readwrite`).
    ReadWrite,
    /// `/state`, `/tasks`, `/metrics/snapshot`… (`--authenticate_http_readonly`).
    ReadOnly,
}

impl Realm {
    /// The realm name a real master sends in its challenge.
    pub fn name(self) -> &'static str {
        match self {
            Realm::Scheduler => "mesos-master-scheduler",
            Realm::ReadWrite => "mesos-master-readwrite",
            Realm::ReadOnly => "mesos-master-readonly",
        }
    }
}

/// The principal a request authenticated as (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(pub String);

/// Credentials and the realms that require them.
#[derive(Clone, Default)]
pub struct HttpAuth {
    credentials: HashMap<String, Secret>,
    /// `--authenticate_http_frameworks`.
    pub frameworks: bool,
    /// `--authenticate_http_readwrite`.
    pub readwrite: bool,
    /// `--authenticate_http_readonly`.
    pub readonly: bool,
}

impl fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut principals: Vec<&String> = self.credentials.keys().collect();
        principals.sort();
        f.debug_struct("HttpAuth")
            .field("principals", &principals)
            .field("frameworks", &self.frameworks)
            .field("readwrite", &self.readwrite)
            .field("readonly", &self.readonly)
            .finish()
    }
}

impl HttpAuth {
    /// Credentials from a Mesos `--credentials` file: JSON
    /// `{"credentials":[{"principal":…,"secret":…}]}`, or one `principal secret` per line.
    pub fn parse_credentials(text: &str) -> Result<HashMap<String, Secret>, String> {
        let trimmed = text.trim_start();
        let mut out = HashMap::new();
        if trimmed.starts_with('{') {
            #[derive(serde::Deserialize)]
            struct File {
                credentials: Vec<Entry>,
            }
            #[derive(serde::Deserialize)]
            struct Entry {
                principal: String,
                #[serde(default)]
                secret: String,
            }
            let file: File = serde_json::from_str(trimmed)
                .map_err(|e| format!("credentials JSON: {e} (line {})", e.line()))?;
            for e in file.credentials {
                out.insert(e.principal, Secret::new(e.secret));
            }
        } else {
            for (n, line) in text.lines().enumerate() {
                let mut words = line.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (None, ..) => {}
                    (Some(p), Some(s), None) => {
                        out.insert(p.to_owned(), Secret::new(s));
                    }
                    _ => {
                        return Err(format!(
                            "credentials line {}: expected `principal secret`",
                            n + 1
                        ));
                    }
                }
            }
        }
        if out.is_empty() {
            return Err("no credentials in the file".into());
        }
        Ok(out)
    }

    /// Authentication with these credentials; no realm is enforced until its flag is set.
    pub fn new(credentials: HashMap<String, Secret>) -> Self {
        Self {
            credentials,
            ..Self::default()
        }
    }

    /// Whether `realm` requires authentication.
    pub fn enforced(&self, realm: Realm) -> bool {
        match realm {
            Realm::Scheduler => self.frameworks,
            Realm::ReadWrite => self.readwrite,
            Realm::ReadOnly => self.readonly,
        }
    }

    /// The principal `headers` authenticate as in `realm`, or the 401 a master answers.
    /// `Ok(None)` when the realm is not enforced.
    pub(crate) fn authenticate(
        &self,
        realm: Realm,
        headers: &HeaderMap,
    ) -> Result<Option<Principal>, Box<Response>> {
        if !self.enforced(realm) {
            return Ok(None);
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok());
        let ok = given.as_deref().and_then(|pair| {
            let (principal, secret) = pair.split_once(':')?;
            let known = self.credentials.get(principal)?;
            (known.expose() == secret).then(|| Principal(principal.to_owned()))
        });
        ok.map(Some).ok_or_else(|| Box::new(unauthorized(realm)))
    }
}

/// 401 with the challenge for `realm` and an empty body, as libprocess answers.
fn unauthorized(realm: Realm) -> Response {
    let mut resp = Response::new(axum::body::Body::empty());
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    let challenge = format!("Basic realm=\"{}\"", realm.name());
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// Middleware guarding a group of routes: rejects unauthenticated requests with 401 and
/// hands the principal on as a request extension.
pub(crate) async fn require(
    State((auth, realm)): State<(Option<std::sync::Arc<HttpAuth>>, Realm)>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(auth) = &auth {
        match auth.authenticate(realm, req.headers()) {
            Ok(Some(p)) => {
                req.extensions_mut().insert(p);
            }
            Ok(None) => {}
            Err(r) => return *r,
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pass: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn parses_both_credentials_formats() {
        let json = HttpAuth::parse_credentials(
            r#"{"credentials":[{"principal":"a","secret":"x"},{"principal":"b","secret":"y"}]}"#,
        )
        .unwrap();
        assert_eq!(json.len(), 2);
        assert_eq!(json["b"].expose(), "y");
        let text = HttpAuth::parse_credentials("a x\n\nb y\n").unwrap();
        assert_eq!(text["a"].expose(), "x");
        assert!(HttpAuth::parse_credentials("a b c").is_err());
        assert!(HttpAuth::parse_credentials("").is_err());
        assert!(HttpAuth::parse_credentials("{\"credentials\": 3}").is_err());
    }

    #[test]
    fn enforces_only_enabled_realms_and_challenges_with_the_realm() {
        let mut auth = HttpAuth::new(HttpAuth::parse_credentials("fw s3cret").unwrap());
        auth.frameworks = true;
        assert_eq!(
            auth.authenticate(Realm::ReadOnly, &HeaderMap::new())
                .unwrap(),
            None
        );
        assert_eq!(
            auth.authenticate(Realm::Scheduler, &basic("fw", "s3cret"))
                .unwrap(),
            Some(Principal("fw".into()))
        );
        for bad in [
            basic("fw", "wrong"),
            basic("nobody", "s3cret"),
            HeaderMap::new(),
        ] {
            let r = auth.authenticate(Realm::Scheduler, &bad).unwrap_err();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                r.headers()[header::WWW_AUTHENTICATE],
                "Basic realm=\"mesos-master-scheduler\""
            );
        }
    }

    #[test]
    fn debug_lists_principals_not_secrets() {
        let auth = HttpAuth::new(HttpAuth::parse_credentials("fw s3cret").unwrap());
        let shown = format!("{auth:?}");
        assert!(shown.contains("fw") && !shown.contains("s3cret"), "{shown}");
    }
}
