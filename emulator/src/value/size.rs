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

/// The size an item counts against Query's and Scan's 1 MB page, which is not the billed size:
/// the service measures its internal format, where attribute names take one byte, each value
/// carries a length or type prefix, and every 3 KB of an item carries a header of 18 bytes plus
/// the table's sort-key value (dynalite's suite records pages cut where this puts the 1 MB
/// mark: 24 items of ~43 KB, not the 25 the billed size would allow). `range_key` names the
/// table's sort key.
pub fn page_size(item: &Item, range_key: Option<&str>) -> usize {
    let mut range_size = 0;
    let mut sum = 0;
    for (name, v) in item.iter() {
        if Some(name.as_str()) == range_key {
            range_size = stored_size(v, false);
        } else {
            sum += stored_size(v, true) + 1;
        }
    }
    2 + sum + (1 + (1 + sum) / 3072) * (18 + range_size)
}

/// A value in the internal format: its content, plus (`compact`) its prefix.
fn stored_size(v: &AttributeValue, compact: bool) -> usize {
    let content = content_size(v, compact);
    if !compact {
        return content;
    }
    if matches!(v, AttributeValue::Null) {
        return 0;
    }
    content
        + match v {
            AttributeValue::S(_) if content < 128 => 1,
            AttributeValue::S(_) if content < 16384 => 2,
            AttributeValue::S(_) => 3,
            AttributeValue::B(_) | AttributeValue::N(_) => 1,
            AttributeValue::Ss(x) => x.len() + 1,
            AttributeValue::Ns(x) => x.len() + 1,
            AttributeValue::Bs(x) => x.len() + 1,
            AttributeValue::Null | AttributeValue::Bool(_) => 0,
            AttributeValue::L(_) | AttributeValue::M(_) => 0,
        }
}

fn content_size(v: &AttributeValue, compact: bool) -> usize {
    // Strings count UTF-16 units there.
    let text = |s: &str| s.encode_utf16().count();
    match v {
        AttributeValue::S(s) => text(s),
        AttributeValue::B(b) => b.len(),
        AttributeValue::N(n) => n.page_size(),
        AttributeValue::Ss(x) => x.iter().map(|s| text(s)).sum(),
        AttributeValue::Ns(x) => x.iter().map(|n| n.page_size()).sum(),
        AttributeValue::Bs(x) => x.iter().map(Vec::len).sum(),
        AttributeValue::Null | AttributeValue::Bool(_) => 1,
        AttributeValue::L(l) => 3 + l.iter().map(|e| 1 + stored_size(e, compact)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m.len()
                + m.iter()
                    .map(|(k, e)| stored_size(e, compact) + if compact { 1 } else { k.len() })
                    .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Number;

    #[test]
    fn documented_examples() {
        let mut item = Item::new();
        item.insert("id", AttributeValue::S("abc".into()));
        assert_eq!(item_size(&item), 5);
        item.insert("ok", AttributeValue::Bool(true));
        assert_eq!(item_size(&item), 8);
        item.insert("n", AttributeValue::N(Number::parse("123").unwrap()));
        assert_eq!(item_size(&item), 8 + 1 + 4);
        let mut m = Item::new();
        m.insert("k", AttributeValue::S("v".into()));
        item.insert("m", AttributeValue::M(m));
        // "m" + 3 overhead + (1 + "k" + "v")
        assert_eq!(item_size(&item), 13 + 1 + 3 + 3);
        item.insert("l", AttributeValue::L(vec![AttributeValue::Null]));
        assert_eq!(item_size(&item), 20 + 1 + 3 + 2);
    }
}
