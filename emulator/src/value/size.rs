//! Item size, computed as DynamoDB bills and limits it.
//!
//! An item's size is the sum of its attribute names' UTF-8 lengths and its values' sizes: strings
//! and binaries by length, numbers by their base-100 digit encoding, booleans and nulls one byte,
//! and lists and maps 3 bytes of overhead plus one byte per element (plus, for maps, each key's
//! length). Sets are the sum of their elements. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html>.
//! Items are limited to 400 KB (409,600 bytes).

use super::attribute::{AttributeValue, Item};

/// DynamoDB's maximum item size in bytes, names included.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// The size of one value, without its attribute name.
pub fn attribute_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.storage_size(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null => 1,
        AttributeValue::Ss(v) => v.iter().map(|s| s.len()).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.storage_size()).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + attribute_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + attribute_size(e))
                .sum::<usize>()
        }
    }
}

/// The size of an item: every attribute's name plus its value.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + attribute_size(v)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Number;

    #[test]
    fn documented_examples() {
        let mut item = Item::new();
        item.insert("id".into(), AttributeValue::S("abc".into()));
        assert_eq!(item_size(&item), 5);
        item.insert("ok".into(), AttributeValue::Bool(true));
        assert_eq!(item_size(&item), 8);
        item.insert("n".into(), AttributeValue::N(Number::parse("123").unwrap()));
        assert_eq!(item_size(&item), 8 + 1 + 4);
        let mut m = Item::new();
        m.insert("k".into(), AttributeValue::S("v".into()));
        item.insert("m".into(), AttributeValue::M(m));
        // "m" + 3 overhead + (1 + "k" + "v")
        assert_eq!(item_size(&item), 13 + 1 + 3 + 3);
        item.insert("l".into(), AttributeValue::L(vec![AttributeValue::Null]));
        assert_eq!(item_size(&item), 20 + 1 + 3 + 2);
    }
}
