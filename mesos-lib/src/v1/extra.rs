//! `Extra`: the fields a message carries that this library does not model.
//!
//! Nearly every v1 message has such a field and nearly every one is empty, so an empty map
//! takes no room: a boxed map only when something is kept. An inline `serde_json::Map` (an
//! `IndexMap`, 72 bytes) in each of a `TaskInfo`'s nested messages made one `TaskInfo` 3.6 KB
//! and one `Resource` 1.6 KB, which is what a master holding 10,000 tasks pays per task.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Fields a message carries that this library does not model; kept so nothing a newer master sends is lost.
///
/// Reads and writes as the JSON object it holds (`#[serde(flatten)]` in each message), and
/// derefs to that object: `extra.get("field")`, `extra.insert(…)`, `extra.is_empty()`.
#[derive(Clone, Default)]
pub struct Extra(Option<Box<Map<String, Value>>>);

/// What an empty `Extra` derefs to.
static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

impl Extra {
    /// No fields.
    pub const fn new() -> Extra {
        Extra(None)
    }

    /// The fields as a JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0.map(|m| *m).unwrap_or_default()
    }
}

impl Deref for Extra {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<Map<String, Value>> for Extra {
    fn from(map: Map<String, Value>) -> Extra {
        Extra((!map.is_empty()).then(|| Box::new(map)))
    }
}

impl From<Extra> for Map<String, Value> {
    fn from(extra: Extra) -> Map<String, Value> {
        extra.into_map()
    }
}

impl PartialEq for Extra {
    /// As objects: an emptied map equals one never filled.
    fn eq(&self, other: &Extra) -> bool {
        **self == **other
    }
}

impl Eq for Extra {}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Extra, D::Error> {
        Map::deserialize(d).map(Extra::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_extra_takes_a_pointers_room() {
        assert_eq!(std::mem::size_of::<Extra>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn reads_and_writes_as_the_object_it_holds() {
        let extra: Extra = serde_json::from_value(json!({"a": 1, "b": [true]})).unwrap();
        assert_eq!(extra["b"][0], true);
        assert_eq!(
            serde_json::to_value(&extra).unwrap(),
            json!({"a": 1, "b": [true]})
        );
        let empty: Extra = serde_json::from_value(json!({})).unwrap();
        assert!(empty.0.is_none());
        assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
    }

    #[test]
    fn an_emptied_extra_equals_a_new_one() {
        let mut extra = Extra::new();
        extra.insert("k".into(), json!(1));
        assert_ne!(extra, Extra::new());
        extra.remove("k");
        assert_eq!(extra, Extra::new());
    }
}
