//! Items packed into one byte string: the compact form a table can keep its items in.
//!
//! An [`Item`] is built for working on: a vector of (name, value) entries, 56 bytes each
//! whatever their size, with strings over 24 bytes and every container on the heap. A small
//! item of 60 bytes by DynamoDB's size rules takes about 300 bytes that way. Packed, it is one
//! allocation a little larger than its DynamoDB size: names and values as length-prefixed
//! bytes, numbers as their sign, exponent and digits in LEB128 varints. Attributes stay in name
//! order, so unpacking gives back the identical item (and every response the same bytes).
//!
//! Layout (all lengths and counts are unsigned LEB128 varints):
//! `item = count, (name_len, name, value)*`; `value = tag, payload`, where the tag is
//! `S`=0 (len, UTF-8), `N`=1 (number), `B`=2 (len, bytes), false=3, true=4, `NULL`=5, `SS`=6,
//! `NS`=7, `BS`=8 (count, then each element's payload), `L`=9 (count, values), `M`=10 (item);
//! `number = sign (0/1), zigzag exponent, mantissa`.

use super::{AttributeValue, Item, Number};

/// Packs an item.
pub fn pack(item: &Item) -> Box<[u8]> {
    let mut out = Vec::with_capacity(64);
    put_item(&mut out, item);
    out.into_boxed_slice()
}

/// Unpacks what [`pack`] made; `None` if the bytes are not such a packing (never for bytes
/// [`pack`] returned).
pub fn unpack(bytes: &[u8]) -> Option<Item> {
    let mut r = Reader { bytes, at: 0 };
    let item = r.item(0)?;
    (r.at == bytes.len()).then_some(item)
}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u128);
    out.extend_from_slice(b);
}

fn put_number(out: &mut Vec<u8>, n: &Number) {
    let (negative, mantissa, exponent) = n.parts();
    out.push(negative as u8);
    put_varint(out, ((exponent << 1) ^ (exponent >> 31)) as u32 as u128);
    put_varint(out, mantissa);
}

fn put_item(out: &mut Vec<u8>, item: &Item) {
    put_varint(out, item.len() as u128);
    for (name, value) in item.iter() {
        put_bytes(out, name.as_bytes());
        put_value(out, value);
    }
}

fn put_value(out: &mut Vec<u8>, v: &AttributeValue) {
    match v {
        AttributeValue::S(s) => {
            out.push(0);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(1);
            put_number(out, n);
        }
        AttributeValue::B(b) => {
            out.push(2);
            put_bytes(out, b);
        }
        AttributeValue::Bool(b) => out.push(3 + *b as u8),
        AttributeValue::Null => out.push(5),
        AttributeValue::Ss(set) => {
            out.push(6);
            put_varint(out, set.len() as u128);
            set.iter().for_each(|s| put_bytes(out, s.as_bytes()));
        }
        AttributeValue::Ns(set) => {
            out.push(7);
            put_varint(out, set.len() as u128);
            set.iter().for_each(|n| put_number(out, n));
        }
        AttributeValue::Bs(set) => {
            out.push(8);
            put_varint(out, set.len() as u128);
            set.iter().for_each(|b| put_bytes(out, b));
        }
        AttributeValue::L(list) => {
            out.push(9);
            put_varint(out, list.len() as u128);
            list.iter().for_each(|v| put_value(out, v));
        }
        AttributeValue::M(map) => {
            out.push(10);
            put_item(out, map);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u128> {
        let mut v = 0u128;
        for shift in (0..128).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u128).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A count of elements that each take at least one byte: never more than the bytes left.
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }

    fn slice(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Some(s)
    }

    fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.slice()?).ok()
    }

    fn number(&mut self) -> Option<Number> {
        let negative = match self.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let z = u32::try_from(self.varint()?).ok()?;
        let exponent = ((z >> 1) as i32) ^ -((z & 1) as i32);
        Number::from_parts(negative, self.varint()?, exponent).ok()
    }

    fn item(&mut self, depth: usize) -> Option<Item> {
        let n = self.count()?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.text()?.into();
            entries.push((name, self.value(depth)?));
        }
        // Packed in name order: taken as it is, after a check that it is.
        Item::from_sorted(entries)
    }

    fn value(&mut self, depth: usize) -> Option<AttributeValue> {
        // Deeper than any item DynamoDB accepts: not a packing.
        if depth > super::item::MAX_NESTING {
            return None;
        }
        Some(match self.byte()? {
            0 => AttributeValue::S(self.text()?.into()),
            1 => AttributeValue::N(self.number()?),
            2 => AttributeValue::B(self.slice()?.to_vec()),
            3 => AttributeValue::Bool(false),
            4 => AttributeValue::Bool(true),
            5 => AttributeValue::Null,
            6 => {
                let n = self.count()?;
                AttributeValue::Ss(
                    (0..n)
                        .map(|_| self.text().map(str::to_string))
                        .collect::<Option<_>>()?,
                )
            }
            7 => {
                let n = self.count()?;
                AttributeValue::Ns((0..n).map(|_| self.number()).collect::<Option<_>>()?)
            }
            8 => {
                let n = self.count()?;
                AttributeValue::Bs(
                    (0..n)
                        .map(|_| self.slice().map(<[u8]>::to_vec))
                        .collect::<Option<_>>()?,
                )
            }
            9 => {
                let n = self.count()?;
                AttributeValue::L(
                    (0..n)
                        .map(|_| self.value(depth + 1))
                        .collect::<Option<_>>()?,
                )
            }
            10 => AttributeValue::M(self.item(depth + 1)?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(Number::from_i64),
            (1u128..10u128.pow(38), -129i32..=87, any::<bool>()).prop_filter_map(
                "in DynamoDB's range",
                |(m, e, neg)| Number::parse(&format!("{}{m}E{e}", if neg { "-" } else { "" })).ok()
            ),
        ]
    }

    fn value() -> impl Strategy<Value = AttributeValue> {
        let leaf = prop_oneof![
            ".{0,40}".prop_map(|s| AttributeValue::S(s.into())),
            number().prop_map(AttributeValue::N),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(AttributeValue::B),
            any::<bool>().prop_map(AttributeValue::Bool),
            Just(AttributeValue::Null),
            proptest::collection::btree_set(".{0,10}", 1..5)
                .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
            proptest::collection::btree_set(any::<i32>(), 1..5).prop_map(|s| {
                let mut v: Vec<Number> =
                    s.into_iter().map(|n| Number::from_i64(n as i64)).collect();
                v.sort();
                AttributeValue::Ns(v)
            }),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(AttributeValue::L),
                proptest::collection::vec(("[a-z]{1,8}", inner), 0..5)
                    .prop_map(|e| AttributeValue::M(e.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn unpacking_gives_back_the_item(entries in proptest::collection::vec(("[a-zA-Z_]{1,12}", value()), 0..8)) {
            let item: Item = entries.into_iter().collect();
            let packed = pack(&item);
            prop_assert_eq!(unpack(&packed), Some(item));
        }

        #[test]
        fn any_bytes_unpack_to_an_item_or_none(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = unpack(&bytes);
        }
    }

    #[test]
    fn attributes_out_of_name_order_are_not_a_packing() {
        // {"b": NULL, "a": NULL}: two attributes, names "b" then "a".
        assert_eq!(unpack(&[2, 1, b'b', 5, 1, b'a', 5]), None);
        assert!(unpack(&[2, 1, b'a', 5, 1, b'b', 5]).is_some());
    }

    #[test]
    fn a_small_item_packs_close_to_its_dynamodb_size() {
        let item: Item = serde_json::from_str(
            r#"{"pk":{"S":"user#00000001"},"name":{"S":"name 000001"},"email":{"S":"u0000001@ex.com"},"n":{"N":"1"},"ok":{"BOOL":true}}"#,
        )
        .unwrap();
        let size = super::super::item_size(&item);
        let packed = pack(&item);
        assert!(
            packed.len() <= size + 16,
            "{} bytes packed, {size} by DynamoDB's rules",
            packed.len()
        );
        assert!(
            unpack(&packed[..packed.len() - 1]).is_none(),
            "a truncated packing"
        );
    }
}
