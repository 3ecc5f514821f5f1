//! Items packed into one byte string: the form a table keeps its items in.
//!
//! An [`Item`] is built for working on: a vector of (name, value) entries, 56 bytes each
//! whatever their size, with strings over 24 bytes and every container on the heap. A small
//! item of 60 bytes by DynamoDB's size rules takes about 300 bytes that way. Packed, it is one
//! allocation a little larger than its DynamoDB size: names and values as length-prefixed
//! bytes, numbers as their sign, exponent and digits in LEB128 varints. Attributes stay in name
//! order, so unpacking gives back the identical item (and every response the same bytes).
//!
//! A table's items repeat the same few attribute names, so the store packs its items'
//! top-level names as numbers into a per-table [`Names`] list (nested maps keep theirs).
//!
//! Layout (all lengths and counts are unsigned LEB128 varints):
//! `item = count, (name, value)*`; `name = id * 2` (an interned name) or `len * 2 + 1, UTF-8`;
//! `value = tag, payload`, where the tag is `S`=0 (len, UTF-8), `N`=1 (number), `B`=2 (len,
//! bytes), false=3, true=4, `NULL`=5, `SS`=6, `NS`=7, `BS`=8 (count, then each element's
//! payload), `L`=9 (count, values), `M`=10 (item); `number = sign (0/1), zigzag exponent,
//! mantissa`.

use super::{AttributeValue, Item, Name, Number};
use std::collections::HashMap;

/// Most names a table interns; later new names are packed as text (a table whose items all
/// have different attribute names gains nothing from a list of them).
const MAX_NAMES: usize = 1 << 16;

/// Up to this many names, a name is looked up by comparing it with each.
const LINEAR_NAMES: usize = 16;

/// The attribute names a table's packed items refer to by number. Names are only added (an
/// item's packing stays valid as long as its table), so the list is as long as the number of
/// distinct top-level names the table has seen, up to 65,536.
#[derive(Debug, Default, Clone)]
pub struct Names {
    names: Vec<Name>,
    ids: HashMap<Name, u32>,
}

impl Names {
    /// An empty list.
    pub fn new() -> Names {
        Names::default()
    }

    /// Names interned so far.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn id(&mut self, name: &Name) -> Option<u32> {
        // Most tables have a few names: comparing them beats hashing one.
        if self.names.len() <= LINEAR_NAMES {
            if let Some(i) = self.names.iter().position(|n| n == name) {
                return Some(i as u32);
            }
        } else if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        if self.names.len() >= MAX_NAMES {
            return None;
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        self.ids.insert(name.clone(), id);
        Some(id)
    }
}

/// Packs an item (names as text).
pub fn pack(item: &Item) -> Box<[u8]> {
    let mut out = Vec::with_capacity(64);
    put_item(&mut out, item, None);
    out.into_boxed_slice()
}

/// Unpacks what [`pack`] made; `None` if the bytes are not such a packing (never for bytes
/// [`pack`] returned).
pub fn unpack(bytes: &[u8]) -> Option<Item> {
    let mut r = Reader {
        bytes,
        at: 0,
        names: None,
        trusted: false,
    };
    let item = r.item(0)?;
    (r.at == bytes.len()).then_some(item)
}

/// Appends an item's packing to `out`, its top-level names interned in `names`.
/// Attributes `skip` names are left out (the store keeps the key's attributes in the key).
pub(crate) fn pack_into(out: &mut Vec<u8>, item: &Item, names: &mut Names, skip: &[&str]) {
    put_varint(
        out,
        item.keys().filter(|n| !skip.contains(&n.as_str())).count() as u128,
    );
    for (name, value) in item.iter().filter(|(n, _)| !skip.contains(&n.as_str())) {
        put_name(out, name, Some(&mut *names));
        put_value(out, value);
    }
}

/// Unpacks an item [`pack_into`] appended at `bytes[at..]`, with the same `names`, adding
/// back the attributes it left out (`extra`); `None` only if the bytes are not such a packing.
/// The numbers are taken as they were packed, unchecked.
pub(crate) fn unpack_from(
    bytes: &[u8],
    at: usize,
    names: &Names,
    extra: Vec<(Name, AttributeValue)>,
) -> Option<Item> {
    let mut r = Reader {
        bytes,
        at,
        names: Some(names),
        trusted: true,
    };
    let n = r.count()?;
    let mut entries = Vec::with_capacity(n + extra.len());
    for _ in 0..n {
        let name = r.name(Some(names))?;
        entries.push((name, r.value(0)?));
    }
    if extra.is_empty() {
        return Item::from_sorted(entries);
    }
    let mut item = Item::from_sorted(entries)?;
    for (name, value) in extra {
        item.insert(name, value);
    }
    Some(item)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u128) {
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

pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u128);
    out.extend_from_slice(b);
}

pub(crate) fn put_number(out: &mut Vec<u8>, n: &Number) {
    let (negative, mantissa, exponent) = n.parts();
    out.push(negative as u8);
    put_varint(out, ((exponent << 1) ^ (exponent >> 31)) as u32 as u128);
    put_varint(out, mantissa);
}

fn put_item(out: &mut Vec<u8>, item: &Item, mut names: Option<&mut Names>) {
    put_varint(out, item.len() as u128);
    for (name, value) in item.iter() {
        put_name(out, name, names.as_deref_mut());
        put_value(out, value);
    }
}

fn put_name(out: &mut Vec<u8>, name: &Name, names: Option<&mut Names>) {
    match names.and_then(|n| n.id(name)) {
        Some(id) => put_varint(out, (id as u128) << 1),
        None => {
            put_varint(out, ((name.len() as u128) << 1) | 1);
            out.extend_from_slice(name.as_bytes());
        }
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
            put_item(out, map, None);
        }
    }
}

/// Reads packed bytes from `at` on.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
    names: Option<&'a Names>,
    /// Numbers taken as packed, without DynamoDB's range checks.
    trusted: bool,
}

impl<'a> Reader<'a> {
    /// A reader of bytes [`put_varint`], [`put_bytes`] and [`put_number`] wrote.
    pub(crate) fn new(bytes: &'a [u8], at: usize) -> Reader<'a> {
        Reader {
            bytes,
            at,
            names: None,
            trusted: true,
        }
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    pub(crate) fn varint(&mut self) -> Option<u128> {
        // Most varints (lengths, counts, small numbers) are one byte.
        let first = self.byte()?;
        if first & 0x80 == 0 {
            return Some(first as u128);
        }
        let mut v = (first & 0x7f) as u128;
        for shift in (7..128).step_by(7) {
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

    pub(crate) fn slice(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        self.take(n)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.slice()?).ok()
    }

    pub(crate) fn number(&mut self) -> Option<Number> {
        let negative = match self.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let z = u32::try_from(self.varint()?).ok()?;
        let exponent = ((z >> 1) as i32) ^ -((z & 1) as i32);
        let mantissa = self.varint()?;
        if self.trusted {
            Some(Number::from_trusted_parts(negative, mantissa, exponent))
        } else {
            Number::from_parts(negative, mantissa, exponent).ok()
        }
    }

    fn name(&mut self, interned: Option<&Names>) -> Option<Name> {
        let v = usize::try_from(self.varint()?).ok()?;
        if v & 1 == 0 {
            return interned?.names.get(v >> 1).cloned();
        }
        std::str::from_utf8(self.take(v >> 1)?).ok().map(Name::from)
    }

    /// A name, borrowed from the names list or the bytes.
    fn name_ref(&mut self, interned: Option<&'a Names>) -> Option<&'a str> {
        let v = usize::try_from(self.varint()?).ok()?;
        if v & 1 == 0 {
            return interned?.names.get(v >> 1).map(Name::as_str);
        }
        std::str::from_utf8(self.take(v >> 1)?).ok()
    }

    /// Steps over one value.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > super::item::MAX_NESTING {
            return None;
        }
        match self.byte()? {
            0 | 2 => {
                self.slice()?;
            }
            1 => {
                self.number()?;
            }
            3..=5 => {}
            6 | 8 => {
                for _ in 0..self.count()? {
                    self.slice()?;
                }
            }
            7 => {
                for _ in 0..self.count()? {
                    self.number()?;
                }
            }
            9 => {
                for _ in 0..self.count()? {
                    self.skip_value(depth + 1)?;
                }
            }
            10 => {
                for _ in 0..self.count()? {
                    self.name_ref(None)?;
                    self.skip_value(depth + 1)?;
                }
            }
            _ => return None,
        }
        Some(())
    }

    fn item(&mut self, depth: usize) -> Option<Item> {
        let n = self.count()?;
        let names = if depth == 0 { self.names } else { None };
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.name(names)?;
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

/// A packed item written as DynamoDB JSON straight from its bytes, the same text the decoded
/// [`Item`] serializes to: a Query or Scan page of packed items is answered without decoding
/// (and allocating) each one.
pub(crate) struct PackedJson<'a> {
    bytes: &'a [u8],
    at: usize,
    names: Option<&'a Names>,
    depth: usize,
    /// Attributes the packing left out, in name order, written where they belong.
    extra: Vec<(Name, AttributeValue)>,
}

impl<'a> PackedJson<'a> {
    /// The item [`pack_into`] appended at `bytes[at..]` with `names`, with the attributes it
    /// left out (`extra`).
    pub(crate) fn new(
        bytes: &'a [u8],
        at: usize,
        names: &'a Names,
        mut extra: Vec<(Name, AttributeValue)>,
    ) -> PackedJson<'a> {
        extra.sort_by(|a, b| a.0.cmp(&b.0));
        PackedJson {
            bytes,
            at,
            names: Some(names),
            depth: 0,
            extra,
        }
    }
}

fn corrupt<E: serde::ser::Error>() -> E {
    E::custom("a stored item does not unpack")
}

impl serde::Serialize for PackedJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut r = Reader::new(self.bytes, self.at);
        let n = r.count().ok_or_else(corrupt::<S::Error>)?;
        let mut m = s.serialize_map(Some(n + self.extra.len()))?;
        let mut extra = self.extra.iter().peekable();
        for _ in 0..n {
            let name = r.name_ref(self.names).ok_or_else(corrupt::<S::Error>)?;
            while let Some((k, v)) = extra.next_if(|(k, _)| k.as_str() < name) {
                m.serialize_entry(k.as_str(), v)?;
            }
            let start = r.at;
            r.skip_value(self.depth).ok_or_else(corrupt::<S::Error>)?;
            let value = PackedValueJson {
                bytes: &self.bytes[start..r.at],
                depth: self.depth,
            };
            m.serialize_entry(name, &value)?;
        }
        for (k, v) in extra {
            m.serialize_entry(k.as_str(), v)?;
        }
        m.end()
    }
}

/// One packed value as DynamoDB JSON (as [`AttributeValue`]'s serialization writes it).
struct PackedValueJson<'a> {
    bytes: &'a [u8],
    depth: usize,
}

/// The elements of a packed set or list, each written by `one`.
struct PackedSeq<'a, F> {
    bytes: &'a [u8],
    at: usize,
    count: usize,
    one: F,
}

impl<'a, F, T> serde::Serialize for PackedSeq<'a, F>
where
    F: Fn(&mut Reader<'a>) -> Option<T>,
    T: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut r = Reader::new(self.bytes, self.at);
        let mut seq = s.serialize_seq(Some(self.count))?;
        for _ in 0..self.count {
            seq.serialize_element(&(self.one)(&mut r).ok_or_else(corrupt::<S::Error>)?)?;
        }
        seq.end()
    }
}

impl<'a> serde::Serialize for PackedValueJson<'a> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let bytes = self.bytes;
        let mut r = Reader::new(bytes, 0);
        let depth = self.depth;
        let tag = r.byte().ok_or_else(corrupt::<S::Error>)?;
        let mut map = s.serialize_map(Some(1))?;
        match tag {
            0 => map.serialize_entry("S", r.text().ok_or_else(corrupt::<S::Error>)?)?,
            1 => {
                let n = r.number().ok_or_else(corrupt::<S::Error>)?;
                map.serialize_entry("N", &n.to_string())?
            }
            2 => {
                let b = r.slice().ok_or_else(corrupt::<S::Error>)?;
                map.serialize_entry("B", &super::attribute::b64(b))?
            }
            3 | 4 => map.serialize_entry("BOOL", &(tag == 4))?,
            5 => map.serialize_entry("NULL", &true)?,
            6..=9 => {
                let count = r.count().ok_or_else(corrupt::<S::Error>)?;
                let at = r.at;
                let key = ["SS", "NS", "BS", "L"][tag as usize - 6];
                match tag {
                    6 => map.serialize_entry(
                        key,
                        &PackedSeq {
                            bytes,
                            at,
                            count,
                            one: |r: &mut Reader<'a>| r.text(),
                        },
                    )?,
                    7 => map.serialize_entry(
                        key,
                        &PackedSeq {
                            bytes,
                            at,
                            count,
                            one: |r: &mut Reader<'a>| r.number().map(|n| n.to_string()),
                        },
                    )?,
                    8 => map.serialize_entry(
                        key,
                        &PackedSeq {
                            bytes,
                            at,
                            count,
                            one: |r: &mut Reader<'a>| r.slice().map(super::attribute::b64),
                        },
                    )?,
                    _ => map.serialize_entry(
                        key,
                        &PackedSeq {
                            bytes,
                            at,
                            count,
                            one: |r: &mut Reader<'a>| {
                                let start = r.at;
                                r.skip_value(depth + 1)?;
                                Some(PackedValueJson {
                                    bytes: &bytes[start..r.at],
                                    depth: depth + 1,
                                })
                            },
                        },
                    )?,
                }
            }
            10 => map.serialize_entry(
                "M",
                &PackedJson {
                    bytes,
                    at: 1,
                    names: None,
                    depth: depth + 1,
                    extra: Vec::new(),
                },
            )?,
            _ => return Err(corrupt()),
        }
        map.end()
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
        fn interned_names_give_back_the_item(entries in proptest::collection::vec(("[a-c]{1,2}", value()), 0..8)) {
            let item: Item = entries.into_iter().collect();
            let mut names = Names::new();
            let mut out = vec![7];
            pack_into(&mut out, &item, &mut names, &[]);
            prop_assert!(out.len() <= 1 + pack(&item).len());
            prop_assert_eq!(unpack_from(&out, 1, &names, Vec::new()), Some(item.clone()));
            // Left out and added back, as the store does with the key's attributes.
            let skip: Vec<&str> = item.keys().take(2).map(|k| k.as_str()).collect();
            let extra: Vec<(Name, AttributeValue)> = item
                .iter()
                .filter(|(k, _)| skip.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .rev()
                .collect();
            let mut out = Vec::new();
            pack_into(&mut out, &item, &mut names, &skip);
            let json = serde_json::to_string(&PackedJson::new(&out, 0, &names, extra.clone())).unwrap();
            prop_assert_eq!(json, serde_json::to_string(&item).unwrap());
            prop_assert_eq!(unpack_from(&out, 0, &names, extra), Some(item));
        }

        #[test]
        fn packed_json_is_the_items_json(entries in proptest::collection::vec(("[a-c]{1,2}", value()), 0..8)) {
            let item: Item = entries.into_iter().collect();
            let mut names = Names::new();
            let mut out = vec![7];
            pack_into(&mut out, &item, &mut names, &[]);
            let direct = serde_json::to_string(&PackedJson::new(&out, 1, &names, Vec::new())).unwrap();
            prop_assert_eq!(direct, serde_json::to_string(&item).unwrap());
        }

        #[test]
        fn any_bytes_unpack_to_an_item_or_none(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = unpack(&bytes);
        }
    }

    #[test]
    fn attributes_out_of_name_order_are_not_a_packing() {
        // {"b": NULL, "a": NULL}: two attributes, names "b" then "a".
        assert_eq!(unpack(&[2, 3, b'b', 5, 3, b'a', 5]), None);
        assert!(unpack(&[2, 3, b'a', 5, 3, b'b', 5]).is_some());
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
