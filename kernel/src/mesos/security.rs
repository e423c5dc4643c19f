//! How the kernel proves who it is to a master (HTTP basic auth with a framework principal and
//! a secret read from a file) and which certificate authorities it trusts for `https://`
//! masters. The secret is read once, kept in a [`Secret`] (whose Debug hides it) and never
//! shown: outputs name the file it came from instead.

use mesos_lib::httpcli::{ClientConfig, Credentials, Secret};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Credentials and trusted CAs for one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// Principal and secret sent as HTTP basic auth on every call.
    pub credentials: Option<Credentials>,
    /// The file the secret was read from (shown instead of the secret).
    pub secret_file: Option<PathBuf>,
    /// The CA bundle file, when the default roots are replaced.
    pub ca_file: Option<PathBuf>,
    /// Its PEM contents.
    pub ca_pem: Option<Vec<u8>>,
    /// Warnings found while loading (a secret file others can read).
    pub warnings: Vec<String>,
}

/// What `%connect` was given (flags, else environment variables).
#[derive(Debug, Clone, Default)]
pub struct SecurityArgs {
    /// `--principal`.
    pub principal: Option<String>,
    /// `--secret-file`.
    pub secret_file: Option<PathBuf>,
    /// `--ca-cert`.
    pub ca_file: Option<PathBuf>,
}

impl Security {
    /// Reads the secret and the CA bundle named by `args`. Errors name the file and the
    /// problem, never the file's contents.
    pub fn load(args: &SecurityArgs) -> Result<Self, String> {
        let mut security = Security::default();
        match (&args.principal, &args.secret_file) {
            (None, None) => {}
            (Some(_), None) => {
                return Err("--principal needs --secret-file (a file holding the secret)".into());
            }
            (None, Some(_)) => {
                return Err("--secret-file needs --principal (whose secret it holds)".into());
            }
            (Some(principal), Some(file)) => {
                if principal.trim().is_empty() {
                    return Err("--principal is empty".into());
                }
                let secret = read_secret(file)?;
                if others_can_read(file) {
                    security.warnings.push(format!(
                        "{} is readable by other users (chmod 600 it)",
                        file.display()
                    ));
                }
                security.credentials = Some(Credentials::new(principal.trim(), secret));
                security.secret_file = Some(file.clone());
            }
        }
        if let Some(file) = &args.ca_file {
            let pem = std::fs::read(file)
                .map_err(|e| format!("cannot read CA certificate {}: {e}", file.display()))?;
            // The HTTP client checks the PEM itself; fail here with the file's name instead.
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err(format!(
                    "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                    file.display()
                ));
            }
            security.ca_file = Some(file.clone());
            security.ca_pem = Some(pem);
        }
        Ok(security)
    }

    /// The HTTP client settings these credentials and CAs imply, over `base`.
    pub fn apply(&self, base: ClientConfig) -> ClientConfig {
        ClientConfig {
            credentials: self.credentials.clone(),
            ca_certificates_pem: self.ca_pem.clone(),
            ..base
        }
    }

    /// One line for status tables: who we authenticate as and what we trust; `None` when
    /// neither is set.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let (Some(c), Some(f)) = (&self.credentials, &self.secret_file) {
            parts.push(format!(
                "principal {} (secret from {})",
                c.principal,
                f.display()
            ));
        }
        if let Some(f) = &self.ca_file {
            parts.push(format!("CA {}", f.display()));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The principal, if authenticating.
    pub fn principal(&self) -> Option<&str> {
        self.credentials.as_ref().map(|c| c.principal.as_str())
    }
}

/// The secret: the file's contents without the trailing newline editors add.
fn read_secret(file: &Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read secret file {}: {e}", file.display()))?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(format!("secret file {} is empty", file.display()));
    }
    Ok(Secret::new(secret))
}

fn others_can_read(file: &Path) -> bool {
    std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &str, mode: u32) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mesos-kernel-security-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn reads_the_secret_without_its_newline_and_never_shows_it() {
        let file = temp_file("secret", "s3cr3t-value\n", 0o600);
        let s = Security::load(&SecurityArgs {
            principal: Some("fw".into()),
            secret_file: Some(file.clone()),
            ca_file: None,
        })
        .unwrap();
        let c = s.credentials.as_ref().unwrap();
        assert_eq!(c.secret.expose(), "s3cr3t-value");
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let shown = format!("{s:?} {}", s.describe().unwrap());
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains(&file.display().to_string()));
    }

    #[test]
    fn warns_about_a_secret_others_can_read() {
        let file = temp_file("open-secret", "x", 0o644);
        let s = Security::load(&SecurityArgs {
            principal: Some("fw".into()),
            secret_file: Some(file),
            ca_file: None,
        })
        .unwrap();
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("chmod 600"));
    }

    #[test]
    fn refuses_half_credentials_empty_secrets_and_non_pem_cas() {
        let half = Security::load(&SecurityArgs {
            principal: Some("fw".into()),
            ..SecurityArgs::default()
        });
        assert!(half.unwrap_err().contains("--secret-file"));
        let empty = temp_file("empty", "\n", 0o600);
        let e = Security::load(&SecurityArgs {
            principal: Some("fw".into()),
            secret_file: Some(empty),
            ca_file: None,
        });
        assert!(e.unwrap_err().contains("is empty"));
        let not_pem = temp_file("ca.txt", "hello", 0o644);
        let e = Security::load(&SecurityArgs {
            ca_file: Some(not_pem),
            ..SecurityArgs::default()
        });
        assert!(e.unwrap_err().contains("no PEM certificate"));
        let missing = Security::load(&SecurityArgs {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..SecurityArgs::default()
        });
        assert!(missing.unwrap_err().contains("/nonexistent/ca.pem"));
    }
}
