//! Items: attribute names to values, as a sorted vector.
//!
//! Items are small maps (a handful of attributes, rarely more than a few dozen) that are read far
//! more often than changed, and a table holds millions of them. A sorted vector finds a name by
//! binary search as fast as a B-tree does at these sizes, iterates in name order (so responses
//! stay byte-for-byte deterministic), and takes a fraction of the memory: one allocation of
//! exactly the entries, where a `BTreeMap` allocates nodes of eleven slots.

use super::attribute::AttributeValue;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An attribute name: up to 24 bytes are kept inline, with no allocation of their own (most
/// names are short, and every item repeats them).
pub type Name = compact_str::CompactString;

/// An item: attribute names to values, ordered by name.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Item {
    /// Sorted by name, names unique.
    entries: Vec<(Name, AttributeValue)>,
}

impl Item {
    /// An empty item.
    pub fn new() -> Item {
        Item::default()
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the item has no attributes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }

    /// An attribute by name.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.find(name).ok().map(|i| &self.entries[i].1)
    }

    /// An attribute by name, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut AttributeValue> {
        self.find(name).ok().map(|i| &mut self.entries[i].1)
    }

    /// Whether the item has the attribute.
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name`, returning the value it replaces.
    pub fn insert(
        &mut self,
        name: impl Into<Name>,
        value: AttributeValue,
    ) -> Option<AttributeValue> {
        let name = name.into();
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (name, value));
                None
            }
        }
    }

    /// Removes an attribute, returning it.
    pub fn remove(&mut self, name: &str) -> Option<AttributeValue> {
        self.find(name).ok().map(|i| self.entries.remove(i).1)
    }

    /// The attributes, in name order.
    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&Name, &AttributeValue)> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The attributes, in name order, to change their values.
    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&Name, &mut AttributeValue)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The attribute names, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Name> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The attribute values, in name order.
    pub fn values(
        &self,
    ) -> impl DoubleEndedIterator<Item = &AttributeValue> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The attribute values, in name order, to change them.
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut AttributeValue> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the attributes `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Name, &mut AttributeValue) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// From entries already in strictly increasing name order (a packed item's), without
    /// sorting; `None` if they are not.
    pub(crate) fn from_sorted(entries: Vec<(Name, AttributeValue)>) -> Option<Item> {
        entries
            .windows(2)
            .all(|w| w[0].0 < w[1].0)
            .then_some(Item { entries })
    }

    /// From entries in any order; a later entry for a name replaces an earlier one.
    fn from_entries(mut entries: Vec<(Name, AttributeValue)>) -> Item {
        // A stable sort keeps equal names in input order; keep the last of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Name, AttributeValue)> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        out.shrink_to_fit();
        Item { entries: out }
    }
}

/// How deep DynamoDB lets maps and lists nest: an attribute is level 1, so a value may hold
/// at most 31 levels of containers below it.
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-data-types>
pub const MAX_NESTING: usize = 32;

/// The shape rules DynamoDB applies to a whole item besides its size: no attribute name (at
/// the top or in a nested map) may be empty, and nesting stops at [`MAX_NESTING`] levels. The
/// messages are the service's (DynamoDB Local gives the same).
pub fn check_item_shape(item: &Item) -> crate::error::Result<()> {
    fn walk(v: &AttributeValue, level: usize) -> crate::error::Result<()> {
        let children: Box<dyn Iterator<Item = &AttributeValue>> = match v {
            AttributeValue::L(list) => Box::new(list.iter()),
            AttributeValue::M(map) => {
                if map.entries.iter().any(|(n, _)| n.is_empty()) {
                    return Err(empty_name());
                }
                Box::new(map.entries.iter().map(|(_, v)| v))
            }
            _ => return Ok(()),
        };
        if level >= MAX_NESTING {
            return Err(crate::error::DynamoError::validation(
                "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
            ));
        }
        children.into_iter().try_for_each(|c| walk(c, level + 1))
    }
    fn empty_name() -> crate::error::DynamoError {
        crate::error::DynamoError::validation("Empty attribute name")
    }
    for (name, v) in &item.entries {
        if name.is_empty() {
            return Err(empty_name());
        }
        walk(v, 1)?;
    }
    Ok(())
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for Item {
    type Output = AttributeValue;
    fn index(&self, name: &str) -> &AttributeValue {
        self.get(name).expect("no such attribute")
    }
}

impl<K: Into<Name>> FromIterator<(K, AttributeValue)> for Item {
    fn from_iter<I: IntoIterator<Item = (K, AttributeValue)>>(iter: I) -> Item {
        Item::from_entries(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<K: Into<Name>, const N: usize> From<[(K, AttributeValue); N]> for Item {
    fn from(entries: [(K, AttributeValue); N]) -> Item {
        Item::from_entries(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<K: Into<Name>> Extend<(K, AttributeValue)> for Item {
    fn extend<I: IntoIterator<Item = (K, AttributeValue)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Item {
    type Item = (Name, AttributeValue);
    type IntoIter = std::vec::IntoIter<(Name, AttributeValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Item {
    type Item = (&'a Name, &'a AttributeValue);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Name, AttributeValue)>,
        fn(&'a (Name, AttributeValue)) -> (&'a Name, &'a AttributeValue),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k.as_str(), v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of attribute names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Item, A::Error> {
                let mut entries = Vec::with_capacity(a.size_hint().unwrap_or(0).min(64));
                while let Some((k, v)) = a.next_entry::<Name, AttributeValue>()? {
                    entries.push((k, v));
                }
                Ok(Item::from_entries(entries))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut i: Item = [
            ("b".to_string(), s("2")),
            ("a".to_string(), s("1")),
            ("b".to_string(), s("3")),
        ]
        .into_iter()
        .collect();
        assert_eq!(i.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(i.get("b"), Some(&s("3")), "the last entry for a name wins");
        assert_eq!(i.insert("c", s("4")), None);
        assert_eq!(i.insert("a", s("5")), Some(s("1")));
        assert_eq!(i.remove("b"), Some(s("3")));
        assert_eq!(i.iter().map(|(k, _)| k.as_str()).collect::<String>(), "ac");
        assert!(i.contains_key("c") && !i.contains_key("b"));
        assert_eq!(i["c"], s("4"));
    }
}

#[cfg(test)]
mod shape_tests {
    use super::*;

    fn nested(wraps: usize) -> Item {
        let mut v = AttributeValue::S("x".into());
        for _ in 0..wraps {
            v = AttributeValue::M(Item::from([("n".to_string(), v)]));
        }
        Item::from([("a".to_string(), v)])
    }

    #[test]
    fn nesting_stops_at_32_levels_and_names_must_not_be_empty() {
        assert!(check_item_shape(&nested(31)).is_ok());
        let e = check_item_shape(&nested(32)).unwrap_err();
        assert!(e.message.starts_with("Nesting Levels have exceeded"));
        let list = Item::from([(
            "a".to_string(),
            AttributeValue::L(vec![AttributeValue::M(Item::from([(
                String::new(),
                AttributeValue::Null,
            )]))]),
        )]);
        assert_eq!(
            check_item_shape(&list).unwrap_err().message,
            "Empty attribute name"
        );
        let top = Item::from([(String::new(), AttributeValue::Null)]);
        assert!(check_item_shape(&top).is_err());
    }
}
