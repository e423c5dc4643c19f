//! Outstanding offers: added by OFFERS, removed when accepted, declined or rescinded, and
//! dropped wholesale on disconnect (offers never survive one). Recently retired offers are
//! remembered with why they went, so re-running a DECLINE can say "already declined".

use std::collections::VecDeque;

use crate::v1::{Offer, OfferId};

/// Retired offers remembered.
const RETIRED_HISTORY: usize = 256;

/// Why an offer is no longer outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferEnd {
    /// Used by ACCEPT.
    Accepted,
    /// Given back by DECLINE.
    Declined,
    /// Taken back by the master (RESCIND).
    Rescinded,
    /// Dropped when the stream was lost.
    Disconnected,
}

impl std::fmt::Display for OfferEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Rescinded => "rescinded by the master",
            Self::Disconnected => "dropped on a disconnect",
        })
    }
}

/// Offers the framework may still use, in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferBook {
    offers: Vec<Offer>,
    retired: VecDeque<(OfferId, OfferEnd)>,
}

impl OfferBook {
    /// Records new offers.
    pub fn add(&mut self, offers: impl IntoIterator<Item = Offer>) {
        for o in offers {
            if !self.offers.iter().any(|x| x.id == o.id) {
                self.offers.push(o);
            }
        }
    }

    /// Removes an offer used by ACCEPT.
    pub fn remove(&mut self, id: &OfferId) -> Option<Offer> {
        self.retire(id, OfferEnd::Accepted)
    }

    /// Removes an offer, remembering why it went.
    pub fn retire(&mut self, id: &OfferId, end: OfferEnd) -> Option<Offer> {
        let i = self.offers.iter().position(|o| &o.id == id)?;
        self.remember(id.clone(), end);
        Some(self.offers.remove(i))
    }

    fn remember(&mut self, id: OfferId, end: OfferEnd) {
        if self.retired.len() == RETIRED_HISTORY {
            self.retired.pop_front();
        }
        self.retired.push_back((id, end));
    }

    /// Why a recent offer is no longer outstanding (`None`: outstanding, or never seen).
    pub fn ended(&self, id: &OfferId) -> Option<OfferEnd> {
        self.retired
            .iter()
            .rev()
            .find(|(o, _)| o == id)
            .map(|(_, e)| *e)
    }

    /// Forgets every offer (after a disconnect).
    pub fn clear(&mut self) {
        for o in std::mem::take(&mut self.offers) {
            self.remember(o.id, OfferEnd::Disconnected);
        }
    }

    /// One offer.
    pub fn get(&self, id: &OfferId) -> Option<&Offer> {
        self.offers.iter().find(|o| &o.id == id)
    }

    /// All outstanding offers.
    pub fn list(&self) -> &[Offer] {
        &self.offers
    }

    /// Number of outstanding offers.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether none is outstanding.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(id: &str) -> Offer {
        Offer {
            id: OfferId::new(id),
            ..Default::default()
        }
    }

    #[test]
    fn retired_offers_remember_why() {
        let mut b = OfferBook::default();
        b.add([offer("o1"), offer("o2"), offer("o3")]);
        assert!(b.retire(&OfferId::new("o1"), OfferEnd::Declined).is_some());
        assert!(b.remove(&OfferId::new("o2")).is_some());
        // Retiring twice finds nothing and keeps the first reason.
        assert!(b.retire(&OfferId::new("o1"), OfferEnd::Rescinded).is_none());
        b.clear();
        assert_eq!(b.ended(&OfferId::new("o1")), Some(OfferEnd::Declined));
        assert_eq!(b.ended(&OfferId::new("o2")), Some(OfferEnd::Accepted));
        assert_eq!(b.ended(&OfferId::new("o3")), Some(OfferEnd::Disconnected));
        assert_eq!(b.ended(&OfferId::new("never")), None);
        assert!(b.is_empty());
    }
}
