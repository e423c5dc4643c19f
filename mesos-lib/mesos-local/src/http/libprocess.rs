//! How libprocess finds the endpoint a request path names, so that every path a real master
//! or agent answers reaches the same handler here: a trailing slash (`/master/frameworks/`),
//! a path without the process prefix (`/frameworks`, `/state/`, handed to the listener's
//! delegate process), or one with more segments than the endpoint (`/master/tasks/x`, the
//! longest endpoint prefix wins). Every other path gets libprocess's 404.

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::response::IntoResponse;
use tower_service::Service;

use super::{not_carried_out, not_found};

/// One libprocess process of a listener: its id and the names of its endpoints (routes
/// without their leading `/`; `""` is the process's root, as `/version` has).
pub(crate) struct Process {
    /// The process id, the first segment of its paths (`master`, `slave(1)`, `files`).
    pub id: &'static str,
    /// Its endpoints.
    pub endpoints: &'static [&'static str],
    /// Its static assets (the master's web UI: `""`, `app`, `assets`).
    pub assets: &'static [&'static str],
}

/// The processes of one listener, and the one that gets paths naming none of them.
pub(crate) struct Processes {
    /// Receives every path whose first segment names no process.
    pub delegate: &'static str,
    /// Every process, the delegate among them.
    pub list: &'static [Process],
    /// First segments served as they are (mesos-local's own `__local`).
    pub verbatim: &'static [&'static str],
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// An endpoint, as its canonical path (`/master/frameworks`, `/version`).
    Endpoint(String),
    /// A static asset of a process (`master`'s web UI).
    Asset(String),
    /// Nothing: libprocess answers 404.
    NotFound,
}

/// The path as the delegated request carries it (`/frameworks/` → `/master/frameworks/`):
/// what the master's redirects are built from.
#[derive(Clone, Debug)]
pub(crate) struct DelegatedPath(pub String);

impl Processes {
    fn process(&self, id: &str) -> Option<&Process> {
        self.list.iter().find(|p| p.id == id)
    }

    /// The delegated path and where it leads, by libprocess's rules (`ProcessManager::handle`
    /// then `ProcessBase::consume`).
    pub(crate) fn resolve(&self, path: &str) -> (String, Resolved) {
        // libprocess ignores relative paths.
        if path.contains("/..") {
            return (path.to_string(), Resolved::NotFound);
        }
        let first = path.split('/').find(|t| !t.is_empty());
        if let Some(first) = first
            && self.verbatim.contains(&first)
        {
            return (path.to_string(), Resolved::Endpoint(path.to_string()));
        }
        let path = match first {
            None => format!("/{}", self.delegate),
            Some(t) if self.process(&percent_decode(t)).is_some() => path.to_string(),
            Some(_) => format!("/{}{path}", self.delegate),
        };
        let resolved = self.within_process(&path);
        (path, resolved)
    }

    fn within_process(&self, path: &str) -> Resolved {
        let tokens: Vec<&str> = path.split('/').filter(|t| !t.is_empty()).collect();
        let Some(first) = tokens.first() else {
            return Resolved::NotFound;
        };
        let id = percent_decode(first);
        let Some(process) = self.process(&id) else {
            return Resolved::NotFound;
        };
        let rest = path.strip_prefix(&format!("/{first}")).unwrap_or(path);
        let mut name = rest
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string();
        // The longest endpoint prefix: `a/b/c`, then `a/b`, then `a`.
        while dirname(&name) != name {
            if process.endpoints.contains(&name.as_str()) {
                return Resolved::Endpoint(if name.is_empty() {
                    format!("/{id}")
                } else {
                    format!("/{id}/{name}")
                });
            }
            name = dirname(&name);
        }
        let asset = tokens.get(1).copied().unwrap_or("");
        if process.assets.contains(&asset) {
            return Resolved::Asset(format!("/{id}/{asset}"));
        }
        Resolved::NotFound
    }
}

/// stout's `Path::dirname` with `/` as separator (`a/b` → `a`, `a` → `.`, `` → `.`).
fn dirname(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    match trimmed.rfind('/') {
        None => ".".into(),
        Some(i) => {
            let head = trimmed[..i].trim_end_matches('/');
            if head.is_empty() {
                "/".into()
            } else {
                head.to_string()
            }
        }
    }
}

/// `%XX` escapes decoded (a process id such as `slave%281%29`); anything malformed stays.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Serves `inner` (routed on canonical paths only) behind libprocess's path rules: each
/// request reaches it with its path made canonical, the query kept, and the delegated path
/// in a [`DelegatedPath`] extension.
pub(crate) fn serve(processes: &'static Processes, inner: Router) -> Router {
    Router::new().fallback(move |mut req: Request| {
        let mut inner = inner.clone();
        async move {
            let (delegated, resolved) = processes.resolve(req.uri().path());
            match resolved {
                Resolved::Endpoint(canonical) => {
                    let uri = match req.uri().query() {
                        Some(q) => format!("{canonical}?{q}"),
                        None => canonical,
                    };
                    let Ok(uri) = uri.parse::<Uri>() else {
                        return not_found();
                    };
                    *req.uri_mut() = uri;
                    req.extensions_mut().insert(DelegatedPath(delegated));
                    match inner.call(req).await {
                        Ok(resp) => resp.into_response(),
                        Err(never) => match never {},
                    }
                }
                Resolved::Asset(asset) => not_carried_out(
                    &format!("the web UI ({asset})"),
                    "it serves the HTTP APIs and JSON endpoints only",
                ),
                Resolved::NotFound => not_found(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static MASTER: Processes = Processes {
        delegate: "master",
        list: &[
            Process {
                id: "master",
                endpoints: &[
                    "api/v1",
                    "api/v1/scheduler",
                    "frameworks",
                    "state",
                    "redirect",
                ],
                assets: &["", "app"],
            },
            Process {
                id: "version",
                endpoints: &[""],
                assets: &[],
            },
            Process {
                id: "slave(1)",
                endpoints: &["state"],
                assets: &[],
            },
        ],
        verbatim: &["__local"],
    };

    fn at(path: &str) -> Resolved {
        MASTER.resolve(path).1
    }

    fn ep(p: &str) -> Resolved {
        Resolved::Endpoint(p.into())
    }

    #[test]
    fn paths_resolve_as_libprocess_resolves_them() {
        assert_eq!(at("/master/frameworks"), ep("/master/frameworks"));
        assert_eq!(at("/master/frameworks/"), ep("/master/frameworks"));
        assert_eq!(at("/frameworks"), ep("/master/frameworks"));
        assert_eq!(at("/state/"), ep("/master/state"));
        assert_eq!(at("/master/state/extra/segments"), ep("/master/state"));
        assert_eq!(at("/api/v1/scheduler"), ep("/master/api/v1/scheduler"));
        assert_eq!(at("/api/v1/operator"), ep("/master/api/v1"));
        assert_eq!(at("/version"), ep("/version"));
        assert_eq!(at("/version/"), ep("/version"));
        assert_eq!(at("/version/x"), Resolved::NotFound);
        assert_eq!(at("/slave%281%29/state"), ep("/slave(1)/state"));
        assert_eq!(at("/master/nosuchendpoint"), Resolved::NotFound);
        assert_eq!(at("/nosuch"), Resolved::NotFound);
        assert_eq!(at("/master/../state"), Resolved::NotFound);
        assert_eq!(at("/"), Resolved::Asset("/master/".into()));
        assert_eq!(at("/master/"), Resolved::Asset("/master/".into()));
        assert_eq!(
            at("/master/app/x.js"),
            Resolved::Asset("/master/app".into())
        );
        assert_eq!(at("/__local/kill_leader"), ep("/__local/kill_leader"));
        assert_eq!(MASTER.resolve("/redirect/").0, "/master/redirect/");
    }

    #[test]
    fn dirname_is_stouts() {
        assert_eq!(dirname("a/b/c"), "a/b");
        assert_eq!(dirname("a"), ".");
        assert_eq!(dirname(""), ".");
        assert_eq!(dirname("."), ".");
        assert_eq!(dirname("/a"), "/");
    }
}
