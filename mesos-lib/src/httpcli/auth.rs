//! HTTP basic-auth credentials whose secret never reaches Debug output or logs.

use std::fmt;

/// A secret string: Debug prints a placeholder, and there is no Display.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself; call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// Framework or operator credentials for HTTP basic auth (`--authenticate_http_frameworks`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The principal (must match `FrameworkInfo.principal` for schedulers).
    pub principal: String,
    /// The secret.
    pub secret: Secret,
}

impl Credentials {
    /// Credentials for `principal` with `secret`.
    pub fn new(principal: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self {
            principal: principal.into(),
            secret: secret.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials::new("fw", "hunter2");
        let shown = format!("{c:?} {:?}", c.secret);
        assert!(shown.contains("fw"));
        assert!(!shown.contains("hunter2"));
    }
}
