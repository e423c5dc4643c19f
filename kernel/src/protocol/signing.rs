//! HMAC-SHA256 message signatures.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Signs and verifies messages with the connection key; an empty key disables signing.
#[derive(Clone)]
pub struct Signer {
    mac: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Signer({})",
            if self.mac.is_some() {
                "hmac-sha256"
            } else {
                "none"
            }
        )
    }
}

impl Signer {
    /// A signer for `key` (empty: no signing).
    pub fn new(key: &str) -> Self {
        let mac = if key.is_empty() {
            None
        } else {
            Some(Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length"))
        };
        Self { mac }
    }

    /// Hex signature over the four message dicts, in order; empty when signing is off.
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        match &self.mac {
            None => String::new(),
            Some(mac) => {
                let mut mac = mac.clone();
                for part in parts {
                    mac.update(part);
                }
                hex::encode(mac.finalize().into_bytes())
            }
        }
    }

    /// Checks a hex signature in constant time.
    pub fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        match &self.mac {
            None => true,
            Some(mac) => {
                let Ok(expected) = hex::decode(signature) else {
                    return false;
                };
                let mut mac = mac.clone();
                for part in parts {
                    mac.update(part);
                }
                mac.verify_slice(&expected).is_ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejection() {
        let signer = Signer::new("key");
        let sig = signer.sign(&[b"a", b"b"]);
        assert_eq!(sig.len(), 64);
        assert!(signer.verify(sig.as_bytes(), &[b"a", b"b"]));
        assert!(!signer.verify(sig.as_bytes(), &[b"a", b"c"]));
        assert!(!Signer::new("other").verify(sig.as_bytes(), &[b"a", b"b"]));
        assert!(!signer.verify(b"zz", &[b"a", b"b"]));
        assert!(!signer.verify(b"", &[b"a", b"b"]));
    }

    #[test]
    fn empty_key_disables_signing() {
        let signer = Signer::new("");
        assert_eq!(signer.sign(&[b"a"]), "");
        assert!(signer.verify(b"anything", &[b"a"]));
    }
}
