//! Outstanding offers: added by OFFERS, removed when accepted, declined or rescinded, and
//! dropped wholesale on disconnect (offers never survive one).

use crate::v1::{Offer, OfferId};

/// Offers the framework may still use, in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferBook {
    offers: Vec<Offer>,
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

    /// Removes an offer (used, declined or rescinded).
    pub fn remove(&mut self, id: &OfferId) -> Option<Offer> {
        let i = self.offers.iter().position(|o| &o.id == id)?;
        Some(self.offers.remove(i))
    }

    /// Forgets every offer (after a disconnect).
    pub fn clear(&mut self) {
        self.offers.clear();
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
