//! An item as a table's store keeps it: its key, its size and its attributes in one allocation.
//!
//! A table holds millions of items and reads them far more often than it changes them, but most
//! of them sit untouched between reads. Kept as an [`Item`] and a [`StoredKey`], a small item of
//! 60 bytes by DynamoDB's rules took about 440 bytes: 56 bytes per attribute entry, a 72-byte
//! key and the B-tree slot holding both. Packed, it is one boxed byte string — the key first,
//! so the B-tree orders the items by it, then the item's DynamoDB size (read for every item a
//! Query or Scan meters, without decoding it), then the attributes ([`crate::value::packed`],
//! names interned per table) — and the B-tree slot is a 16-byte pointer. Reads decode what
//! they return.
//!
//! Layout: `token` (8 bytes, big-endian), the partition key's value, the sort key's (`0` none,
//! `1` and a value), the size and the page size (varints: [`crate::value::item_size`] and
//! [`crate::value::page_size`]), the packed item. A key value is a tag in
//! [`KeyValue`]'s order (`B`=0, `N`=1, `S`=2, `Tuple`=3, `Max`=4) and its payload, so bytes
//! compare as the keys do.

use super::key::{KeySchema, KeyValue, StoredKey};
use crate::value::packed::{self, put_bytes, put_number, put_varint, Names, Reader};
use crate::value::{AttributeValue, Item, Name};
use std::borrow::Borrow;
use std::cmp::Ordering;

/// The names of a table's key attributes: their values are kept once, in an item's key, and
/// left out of its packed attributes.
#[derive(Debug, Default, Clone)]
pub struct KeyNames {
    hash: Name,
    range: Option<Name>,
}

impl KeyNames {
    /// A table's, from its key schema.
    pub fn of(schema: &KeySchema) -> KeyNames {
        KeyNames {
            hash: schema.hash.name.as_str().into(),
            range: schema.range.as_ref().map(|r| r.name.as_str().into()),
        }
    }

    fn skip(&self) -> ([&str; 2], usize) {
        match &self.range {
            Some(r) => ([self.hash.as_str(), r.as_str()], 2),
            None => ([self.hash.as_str(), ""], 1),
        }
    }
}

/// An item with its key, packed (see the module's documentation). Ordered, compared and
/// equal by key alone; a set of them is searched with a [`StoredKey`] as a `&dyn KeyOrder`,
/// which compares a packed key with an unpacked one without encoding it.
#[derive(Clone)]
pub struct StoredItem(Box<[u8]>);

const TOKEN: usize = 8;

impl StoredItem {
    /// Packs an item of `size` bytes (by DynamoDB's rules; `page` by a page's measure)
    /// stored at `key`, in `scratch` first: the item gets one allocation of exactly its length
    /// (growing a vector and shrinking it to fit would leave the heap strewn with the
    /// difference).
    pub fn new(
        key: &StoredKey,
        item: &Item,
        (size, page): (u64, u64),
        names: &mut Names,
        scratch: &mut Vec<u8>,
        key_names: &KeyNames,
    ) -> StoredItem {
        scratch.clear();
        put_key(scratch, key);
        put_varint(scratch, size as u128);
        put_varint(scratch, page as u128);
        let (skip, n) = key_names.skip();
        packed::pack_into(scratch, item, names, &skip[..n]);
        StoredItem(Box::from(&scratch[..]))
    }

    /// A key alone, packed (tests of the order).
    #[cfg(test)]
    fn probe(key: &StoredKey) -> StoredItem {
        let mut out = Vec::with_capacity(24);
        put_key(&mut out, key);
        StoredItem(out.into_boxed_slice())
    }

    /// The partition key's hash (the first field).
    pub fn token(&self) -> u64 {
        token_of(&self.0)
    }

    /// The item's key.
    pub fn key(&self) -> StoredKey {
        let mut r = Reader::new(&self.0, TOKEN);
        let hash = read_value(&mut r).unwrap_or(KeyValue::Max);
        let range = match r.byte() {
            Some(1) => read_value(&mut r),
            _ => None,
        };
        StoredKey {
            token: self.token(),
            hash,
            range,
        }
    }

    /// A reader past the key: at the size.
    fn after_key(&self) -> Reader<'_> {
        let mut r = Reader::new(&self.0, TOKEN);
        skip_value(&mut r);
        if r.byte() == Some(1) {
            skip_value(&mut r);
        }
        r
    }

    /// The item's size by DynamoDB's rules, as it was stored.
    pub fn size(&self) -> u64 {
        self.after_key().varint().unwrap_or(0) as u64
    }

    /// The item's size by a page's measure, as it was stored.
    pub fn page_size(&self) -> u64 {
        let mut r = self.after_key();
        let _size = r.varint();
        r.varint().unwrap_or(0) as u64
    }

    /// Where the packed item starts.
    fn body(&self) -> usize {
        let mut r = self.after_key();
        let _sizes = (r.varint(), r.varint());
        r.at
    }

    /// The key's attributes, as the item has them.
    fn key_attributes(&self, key_names: &KeyNames) -> Vec<(Name, AttributeValue)> {
        let attribute = |v: KeyValue| match v {
            KeyValue::S(s) => Some(AttributeValue::S(s)),
            KeyValue::N(n) => Some(AttributeValue::N(n)),
            KeyValue::B(b) => Some(AttributeValue::B(b)),
            KeyValue::Tuple(_) | KeyValue::Max => None,
        };
        let mut r = Reader::new(&self.0, TOKEN);
        let mut out = Vec::with_capacity(2);
        if let Some(v) = read_value(&mut r).and_then(attribute) {
            out.push((key_names.hash.clone(), v));
        }
        if let (Some(1), Some(name)) = (r.byte(), &key_names.range) {
            if let Some(v) = read_value(&mut r).and_then(attribute) {
                out.push((name.clone(), v));
            }
        }
        out
    }

    /// The item, decoded with the names and key names of the store that packed it.
    pub fn item(&self, names: &Names, key_names: &KeyNames) -> Item {
        packed::unpack_from(&self.0, self.body(), names, self.key_attributes(key_names))
            .unwrap_or_default()
    }

    /// The item as DynamoDB JSON, written from the packed bytes.
    pub fn json<'a>(&'a self, names: &'a Names, key_names: &KeyNames) -> packed::PackedJson<'a> {
        packed::PackedJson::new(&self.0, self.body(), names, self.key_attributes(key_names))
    }
}

impl std::fmt::Debug for StoredItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredItem")
            .field("key", &self.key())
            .field("size", &self.size())
            .finish()
    }
}

impl PartialEq for StoredItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for StoredItem {}

impl PartialOrd for StoredItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StoredItem {
    /// As [`StoredKey`]'s order: token, partition key, sort key.
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_packed(&self.0, &other.0)
    }
}

/// A key as the store orders it: a stored item's (packed) or one being looked up. The store's
/// set is searched with `&dyn KeyOrder` (every [`StoredItem`] lends itself as one), so a
/// lookup compares the [`StoredKey`] it was given with packed keys directly.
pub trait KeyOrder {
    /// The key, in whichever form this holds it.
    fn key_view(&self) -> KeyView<'_>;
}

/// A key in one of its two forms.
pub enum KeyView<'a> {
    /// A stored item's packing (its key comes first).
    Packed(&'a [u8]),
    /// A key as the operations hold it.
    Key(&'a StoredKey),
}

impl KeyOrder for StoredItem {
    fn key_view(&self) -> KeyView<'_> {
        KeyView::Packed(&self.0)
    }
}

impl KeyOrder for StoredKey {
    fn key_view(&self) -> KeyView<'_> {
        KeyView::Key(self)
    }
}

impl<'a> Borrow<dyn KeyOrder + 'a> for StoredItem {
    fn borrow(&self) -> &(dyn KeyOrder + 'a) {
        self
    }
}

impl Ord for dyn KeyOrder + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.key_view(), other.key_view()) {
            (KeyView::Packed(a), KeyView::Packed(b)) => cmp_packed(a, b),
            (KeyView::Key(a), KeyView::Key(b)) => a.cmp(b),
            (KeyView::Packed(a), KeyView::Key(b)) => cmp_packed_key(a, b),
            (KeyView::Key(a), KeyView::Packed(b)) => cmp_packed_key(b, a).reverse(),
        }
    }
}

impl PartialOrd for dyn KeyOrder + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for dyn KeyOrder + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for dyn KeyOrder + '_ {}

fn token_of(bytes: &[u8]) -> u64 {
    let mut t = [0u8; TOKEN];
    t.copy_from_slice(&bytes[..TOKEN]);
    u64::from_be_bytes(t)
}

/// Two packed keys, as their keys compare.
fn cmp_packed(a: &[u8], b: &[u8]) -> Ordering {
    token_of(a).cmp(&token_of(b)).then_with(|| {
        let (mut a, mut b) = (Reader::new(a, TOKEN), Reader::new(b, TOKEN));
        cmp_value(&mut a, &mut b).then_with(|| {
            let (ra, rb) = (a.byte(), b.byte());
            ra.cmp(&rb).then_with(|| match ra {
                Some(1) => cmp_value(&mut a, &mut b),
                _ => Ordering::Equal,
            })
        })
    })
}

/// A packed key against a key.
fn cmp_packed_key(a: &[u8], b: &StoredKey) -> Ordering {
    token_of(a).cmp(&b.token).then_with(|| {
        let mut r = Reader::new(a, TOKEN);
        cmp_value_with(&mut r, &b.hash).then_with(|| match (r.byte(), &b.range) {
            (Some(1), Some(v)) => cmp_value_with(&mut r, v),
            (Some(1), None) => Ordering::Greater,
            (_, Some(_)) => Ordering::Less,
            (_, None) => Ordering::Equal,
        })
    })
}

/// The position of a key value's variant in [`KeyValue`]'s order (its packed tag).
fn tag_of(v: &KeyValue) -> u8 {
    match v {
        KeyValue::B(_) => 0,
        KeyValue::N(_) => 1,
        KeyValue::S(_) => 2,
        KeyValue::Tuple(_) => 3,
        KeyValue::Max => 4,
    }
}

/// A packed key value against a key value, as [`KeyValue`]'s order compares them.
fn cmp_value_with(r: &mut Reader<'_>, v: &KeyValue) -> Ordering {
    let tag = r.byte().unwrap_or(u8::MAX);
    let vt = tag_of(v);
    if tag != vt {
        return tag.cmp(&vt);
    }
    match v {
        KeyValue::B(b) => r.slice().unwrap_or_default().cmp(b.as_slice()),
        KeyValue::S(s) => r.slice().unwrap_or_default().cmp(s.as_bytes()),
        KeyValue::N(n) => r.number().map_or(Ordering::Less, |x| x.cmp(n)),
        KeyValue::Tuple(vs) => {
            let n = r.varint().unwrap_or(0) as usize;
            for v in vs.iter().take(n) {
                let o = cmp_value_with(r, v);
                if o != Ordering::Equal {
                    return o;
                }
            }
            n.cmp(&vs.len())
        }
        KeyValue::Max => Ordering::Equal,
    }
}

fn put_key(out: &mut Vec<u8>, key: &StoredKey) {
    out.extend_from_slice(&key.token.to_be_bytes());
    put_value(out, &key.hash);
    match &key.range {
        None => out.push(0),
        Some(r) => {
            out.push(1);
            put_value(out, r);
        }
    }
}

fn put_value(out: &mut Vec<u8>, v: &KeyValue) {
    match v {
        KeyValue::B(b) => {
            out.push(0);
            put_bytes(out, b);
        }
        KeyValue::N(n) => {
            out.push(1);
            put_number(out, n);
        }
        KeyValue::S(s) => {
            out.push(2);
            put_bytes(out, s.as_bytes());
        }
        KeyValue::Tuple(vs) => {
            out.push(3);
            put_varint(out, vs.len() as u128);
            vs.iter().for_each(|v| put_value(out, v));
        }
        KeyValue::Max => out.push(4),
    }
}

fn read_value(r: &mut Reader<'_>) -> Option<KeyValue> {
    Some(match r.byte()? {
        0 => KeyValue::B(r.slice()?.to_vec()),
        1 => KeyValue::N(r.number()?),
        2 => KeyValue::S(std::str::from_utf8(r.slice()?).ok()?.into()),
        3 => {
            let n = r.varint()? as usize;
            KeyValue::Tuple((0..n).map(|_| read_value(r)).collect::<Option<_>>()?)
        }
        _ => KeyValue::Max,
    })
}

fn skip_value(r: &mut Reader<'_>) -> Option<()> {
    match r.byte()? {
        0 | 2 => {
            r.slice()?;
        }
        1 => {
            r.number()?;
        }
        3 => {
            for _ in 0..r.varint()? {
                skip_value(r)?;
            }
        }
        _ => {}
    }
    Some(())
}

/// Compares two packed key values as [`KeyValue`]'s order does, without decoding strings.
fn cmp_value(a: &mut Reader<'_>, b: &mut Reader<'_>) -> Ordering {
    let (ta, tb) = (a.byte(), b.byte());
    if ta != tb {
        return ta.cmp(&tb);
    }
    match ta {
        Some(0 | 2) => a.slice().cmp(&b.slice()),
        Some(1) => a.number().cmp(&b.number()),
        Some(3) => {
            let (na, nb) = (a.varint().unwrap_or(0), b.varint().unwrap_or(0));
            for _ in 0..na.min(nb) {
                let o = cmp_value(a, b);
                if o != Ordering::Equal {
                    return o;
                }
            }
            na.cmp(&nb)
        }
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{AttributeValue, Number};
    use proptest::prelude::*;

    fn key_value() -> impl Strategy<Value = KeyValue> {
        let scalar = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..6).prop_map(KeyValue::B),
            (-1000i64..1000, -3i32..3).prop_map(|(m, e)| {
                KeyValue::N(Number::parse(&format!("{m}E{e}")).expect("in range"))
            }),
            "[a-c]{0,4}".prop_map(|s| KeyValue::S(s.into())),
            Just(KeyValue::Max),
        ];
        prop_oneof![
            4 => scalar.clone(),
            1 => proptest::collection::vec(scalar, 0..3).prop_map(KeyValue::Tuple),
        ]
    }

    fn stored_key() -> impl Strategy<Value = StoredKey> {
        (
            prop_oneof![Just(0u64), Just(7), Just(u64::MAX), any::<u64>()],
            key_value(),
            proptest::option::of(key_value()),
        )
            .prop_map(|(token, hash, range)| StoredKey { token, hash, range })
    }

    proptest! {
        #[test]
        fn packed_keys_order_as_the_keys_do(a in stored_key(), b in stored_key()) {
            let (pa, pb) = (StoredItem::probe(&a), StoredItem::probe(&b));
            prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
            prop_assert_eq!(pa.key(), a.clone());
            let (da, db): (&dyn KeyOrder, &dyn KeyOrder) = (&pa, &b);
            prop_assert_eq!(da.cmp(db), a.cmp(&b), "packed against a key");
            prop_assert_eq!(db.cmp(da), b.cmp(&a), "a key against packed");
        }
    }

    #[test]
    fn an_item_keeps_its_key_size_and_attributes() {
        let key = StoredKey::new(
            KeyValue::S("user#1".into()),
            Some(KeyValue::N(Number::from_i64(-42))),
        );
        let item: Item = [
            ("pk", AttributeValue::S("user#1".into())),
            ("sk", AttributeValue::N(Number::from_i64(-42))),
            ("tags", AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ]
        .into_iter()
        .collect();
        let mut names = Names::new();
        let key_names = KeyNames {
            hash: "pk".into(),
            range: Some("sk".into()),
        };
        let s = StoredItem::new(
            &key,
            &item,
            (1234, 99),
            &mut names,
            &mut Vec::new(),
            &key_names,
        );
        assert_eq!(
            (s.key(), s.size(), s.token()),
            (key.clone(), 1234, key.token)
        );
        assert_eq!(s.page_size(), 99);
        assert_eq!(s.item(&names, &key_names), item);
        assert_eq!(
            serde_json::to_string(&s.json(&names, &key_names)).unwrap(),
            serde_json::to_string(&item).unwrap()
        );
        assert_eq!(names.len(), 1, "only the attribute outside the key");
        assert_eq!(s, StoredItem::probe(&key), "equal by key");
    }
}
