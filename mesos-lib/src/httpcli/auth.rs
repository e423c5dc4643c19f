//! HTTP basic-auth credentials whose secret never reaches Debug output or logs.

use crate::secret::Secret;

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
