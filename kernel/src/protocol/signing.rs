//! HMAC-SHA256 message signatures, and refusal of replayed ones.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// How many accepted signatures are remembered to spot a replay: ipykernel keeps 2^16 too.
/// At 32 bytes each (twice: set and queue) that is at most ~5 MB, however long the kernel runs.
pub const SIGNATURE_HISTORY: usize = 1 << 16;

/// Why an inbound signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It does not match the message under the connection key.
    Invalid,
    /// It matches, but a message with this signature was already accepted (a replay).
    Duplicate,
}

/// Signs and verifies messages with the connection key; an empty key disables signing.
///
/// Clones share one history of accepted signatures, so a message replayed on another
/// channel is refused as well, as ipykernel's session does.
#[derive(Clone)]
pub struct Signer {
    mac: Option<Hmac<Sha256>>,
    seen: Arc<Mutex<SignatureHistory>>,
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
        Self {
            mac,
            seen: Arc::new(Mutex::new(SignatureHistory::new(SIGNATURE_HISTORY))),
        }
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
        self.verified_digest(signature, parts).is_some()
    }

    /// Checks a signature and records it; a valid signature seen before is a replay.
    /// Without a key nothing is signed, so nothing can be told apart and all is accepted.
    pub fn accept(&self, signature: &[u8], parts: &[&[u8]]) -> Result<(), Refusal> {
        if self.mac.is_none() {
            return Ok(());
        }
        let digest = self
            .verified_digest(signature, parts)
            .ok_or(Refusal::Invalid)?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.first_sight(digest) {
            Ok(())
        } else {
            Err(Refusal::Duplicate)
        }
    }

    /// The signature's bytes if it is valid ([0; 32] stands for "valid" when signing is off).
    fn verified_digest(&self, signature: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
        let Some(mac) = &self.mac else {
            return Some([0; 32]);
        };
        let expected: [u8; 32] = hex::decode(signature).ok()?.try_into().ok()?;
        let mut mac = mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.verify_slice(&expected).ok().map(|()| expected)
    }
}

/// The last `capacity` accepted signatures; the oldest is forgotten first.
#[derive(Debug)]
pub struct SignatureHistory {
    seen: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
    capacity: usize,
}

impl SignatureHistory {
    /// An empty history remembering up to `capacity` signatures (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records a signature; false if it is already remembered.
    pub fn first_sight(&mut self, digest: [u8; 32]) -> bool {
        if !self.seen.insert(digest) {
            return false;
        }
        self.order.push_back(digest);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        true
    }

    /// How many signatures are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
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
        // Unsigned messages all carry "", so no replay can be recognised: all pass.
        assert_eq!(signer.accept(b"", &[b"a"]), Ok(()));
        assert_eq!(signer.accept(b"", &[b"a"]), Ok(()));
    }

    #[test]
    fn a_replayed_signature_is_refused_on_every_clone() {
        let signer = Signer::new("key");
        let sig = signer.sign(&[b"h", b"c"]);
        assert_eq!(signer.accept(sig.as_bytes(), &[b"h", b"c"]), Ok(()));
        assert_eq!(
            signer.accept(sig.as_bytes(), &[b"h", b"c"]),
            Err(Refusal::Duplicate)
        );
        // Another channel's clone shares the history.
        assert_eq!(
            signer.clone().accept(sig.as_bytes(), &[b"h", b"c"]),
            Err(Refusal::Duplicate)
        );
        // A bad signature is invalid, not a duplicate, and is not remembered.
        assert_eq!(
            signer.accept(sig.as_bytes(), &[b"h", b"x"]),
            Err(Refusal::Invalid)
        );
        let other = signer.sign(&[b"h2", b"c"]);
        assert_eq!(signer.accept(other.as_bytes(), &[b"h2", b"c"]), Ok(()));
    }

    #[test]
    fn the_history_is_bounded_and_forgets_the_oldest_first() {
        let mut history = SignatureHistory::new(3);
        for i in 0..5u8 {
            assert!(history.first_sight([i; 32]));
        }
        assert_eq!(history.len(), 3);
        assert!(!history.first_sight([4; 32]));
        assert!(!history.first_sight([2; 32]));
        // 0 and 1 were forgotten: seen again, they count as new.
        assert!(history.first_sight([0; 32]));
        assert_eq!(history.len(), 3);
    }
}
