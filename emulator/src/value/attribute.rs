//! Attribute values: the ten types of DynamoDB's data model and their JSON wire form.
//!
//! On the wire every value is an object with exactly one type key: `{"S": "x"}`, `{"N": "1"}`,
//! `{"B": "<base64>"}`, `{"BOOL": true}`, `{"NULL": true}`, `{"SS": [...]}`, `{"NS": [...]}`,
//! `{"BS": [...]}`, `{"L": [...]}`, `{"M": {...}}`. Deserialisation is in two steps like DynamoDB's
//! own: JSON shape errors are `SerializationException`, then the value rules (one type, non-empty,
//! duplicate-free sets, valid numbers) are `ValidationException`s.
//!
//! Sets are kept sorted (strings and binaries bytewise, numbers numerically) so that set equality
//! is structural and responses are deterministic; DynamoDB does not promise any set order.

use super::number::Number;
use crate::error::{DynamoError, Result};
use base64::Engine;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub use super::item::{Item, Name};

/// A string value: up to 24 bytes inline, with no allocation of its own (most string
/// attributes and keys are short).
pub type Text = compact_str::CompactString;

/// A DynamoDB attribute value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum AttributeValue {
    /// A string.
    S(Text),
    /// A number (up to 38 significant digits).
    N(Number),
    /// A binary value (raw bytes; base64 on the wire).
    B(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// Null.
    Null,
    /// A string set (sorted, no duplicates).
    Ss(Vec<String>),
    /// A number set (sorted, no duplicates).
    Ns(Vec<Number>),
    /// A binary set (sorted, no duplicates).
    Bs(Vec<Vec<u8>>),
    /// A list.
    L(Vec<AttributeValue>),
    /// A map.
    M(Item),
}

/// The scalar types a key attribute may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(s: &str) -> Option<ScalarType> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

impl AttributeValue {
    /// The wire name of this value's type (`S`, `NS`, `BOOL`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
            AttributeValue::L(_) => "L",
            AttributeValue::M(_) => "M",
        }
    }

    /// The scalar type, for values that can be keys.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match self {
            AttributeValue::S(_) => Some(ScalarType::S),
            AttributeValue::N(_) => Some(ScalarType::N),
            AttributeValue::B(_) => Some(ScalarType::B),
            _ => None,
        }
    }

    /// The string, if this is an S.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            AttributeValue::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is an N.
    pub fn as_n(&self) -> Option<&Number> {
        match self {
            AttributeValue::N(n) => Some(n),
            _ => None,
        }
    }

    /// Sorts and checks a string set: DynamoDB rejects empty sets and duplicates.
    pub fn string_set(mut v: Vec<String>) -> Result<AttributeValue> {
        if v.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "An string set  may not be empty",
            ));
        }
        v.sort();
        if v.windows(2).any(|w| w[0] == w[1]) {
            return Err(duplicates(v.iter().map(|s| s.to_string()), "SS"));
        }
        Ok(AttributeValue::Ss(v))
    }

    /// A number set: DynamoDB's error if it is empty or has duplicates.
    pub fn number_set(mut v: Vec<Number>) -> Result<AttributeValue> {
        if v.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "An number set  may not be empty",
            ));
        }
        v.sort();
        if v.windows(2).any(|w| w[0] == w[1]) {
            return Err(duplicates(v.iter().map(|s| s.to_string()), "NS"));
        }
        Ok(AttributeValue::Ns(v))
    }

    /// A binary set: DynamoDB's error if it is empty or has duplicates.
    pub fn binary_set(mut v: Vec<Vec<u8>>) -> Result<AttributeValue> {
        if v.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "Binary sets should not be empty",
            ));
        }
        v.sort();
        if v.windows(2).any(|w| w[0] == w[1]) {
            return Err(duplicates(
                v.iter()
                    .map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
                "BS",
            ));
        }
        Ok(AttributeValue::Bs(v))
    }
}

/// The service's texts for a set with a repeated element (dynalite's suite, recorded against the
/// service): `Input collection [a, a] contains duplicates.` for strings,
/// `Input collection [Yg==, Yg==]of type BS contains duplicates.` for binaries (sic) and
/// `Input collection contains duplicates` for numbers.
fn duplicates(values: impl Iterator<Item = String>, kind: &str) -> DynamoError {
    let list: Vec<String> = values.collect();
    DynamoError::invalid_parameter(match kind {
        "SS" => format!(
            "Input collection [{}] contains duplicates.",
            list.join(", ")
        ),
        "BS" => format!(
            "Input collection [{}]of type BS contains duplicates.",
            list.join(", ")
        ),
        // Numbers' text has no prefix.
        _ => return DynamoError::validation("Input collection contains duplicates"),
    })
}

impl fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

// ---------------------------------------------------------------------------------------------
// Wire form
// ---------------------------------------------------------------------------------------------

pub(crate) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(v) => map.serialize_entry("S", v)?,
            AttributeValue::N(v) => map.serialize_entry("N", &v.to_string())?,
            AttributeValue::B(v) => map.serialize_entry("B", &b64(v))?,
            AttributeValue::Bool(v) => map.serialize_entry("BOOL", v)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::Ss(v) => map.serialize_entry("SS", v)?,
            AttributeValue::Ns(v) => map.serialize_entry("NS", &StrSeq(v))?,
            AttributeValue::Bs(v) => map.serialize_entry("BS", &B64Seq(v))?,
            AttributeValue::L(v) => map.serialize_entry("L", v)?,
            AttributeValue::M(v) => map.serialize_entry("M", v)?,
        }
        map.end()
    }
}

struct StrSeq<'a>(&'a [Number]);
impl Serialize for StrSeq<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(&n.to_string())?;
        }
        seq.end()
    }
}

struct B64Seq<'a>(&'a [Vec<u8>]);
impl Serialize for B64Seq<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&b64(b))?;
        }
        seq.end()
    }
}

/// An attribute value as it arrived: JSON-shape-valid, not yet checked against DynamoDB's rules.
/// [`WireValue::validate`] turns it into an [`AttributeValue`] or a `ValidationException`.
#[derive(Debug, Clone, Default)]
pub struct WireValue {
    s: Option<Text>,
    n: Option<String>,
    b: Option<Vec<u8>>,
    bool_: Option<bool>,
    null: Option<bool>,
    ss: Option<Vec<String>>,
    ns: Option<Vec<String>>,
    bs: Option<Vec<Vec<u8>>>,
    l: Option<Vec<WireValue>>,
    m: Option<BTreeMap<Name, WireValue>>,
}

impl WireValue {
    /// Checks the value by DynamoDB's rules, in the service's order (dynalite's suite, recorded
    /// against it): each type present is checked first (a number that does not parse, an empty
    /// or repeated set, a `NULL` that is not true, nested values), and only then that exactly
    /// one type is set. So `{"S": "", "N": ""}` is `The parameter cannot be converted to a
    /// numeric value`, not a complaint about two types. The texts carry the service's own
    /// prefixes: `One or more parameter values were invalid: ` on the `NULL` and set rules
    /// only.
    pub fn validate(self) -> Result<AttributeValue> {
        let count = [
            self.s.is_some(),
            self.n.is_some(),
            self.b.is_some(),
            self.bool_.is_some(),
            self.null.is_some(),
            self.ss.is_some(),
            self.ns.is_some(),
            self.bs.is_some(),
            self.l.is_some(),
            self.m.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if count == 0 {
            return Err(DynamoError::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        }
        let mut value = None;
        if let Some(s) = self.s {
            value = Some(AttributeValue::S(s));
        }
        if let Some(n) = self.n {
            value = Some(AttributeValue::N(Number::parse(&n)?));
        }
        if let Some(b) = self.b {
            value = Some(AttributeValue::B(b));
        }
        if let Some(b) = self.bool_ {
            value = Some(AttributeValue::Bool(b));
        }
        if let Some(n) = self.null {
            if !n {
                return Err(DynamoError::invalid_parameter(
                    "Null attribute value types must have the value of true",
                ));
            }
            value = Some(AttributeValue::Null);
        }
        if let Some(ss) = self.ss {
            value = Some(AttributeValue::string_set(ss)?);
        }
        if let Some(ns) = self.ns {
            let nums = ns
                .iter()
                .map(|s| Number::parse(s))
                .collect::<Result<Vec<_>>>()?;
            value = Some(AttributeValue::number_set(nums)?);
        }
        if let Some(bs) = self.bs {
            value = Some(AttributeValue::binary_set(bs)?);
        }
        if let Some(l) = self.l {
            value = Some(AttributeValue::L(
                l.into_iter()
                    .map(WireValue::validate)
                    .collect::<Result<_>>()?,
            ));
        }
        if let Some(m) = self.m {
            value = Some(AttributeValue::M(validate_map(m)?));
        }
        match value {
            Some(v) if count == 1 => Ok(v),
            _ => Err(DynamoError::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            )),
        }
    }
}

/// Validates every value of a wire map (an item, a key, ExpressionAttributeValues).
pub fn validate_map<K: Into<Name>>(m: BTreeMap<K, WireValue>) -> Result<Item> {
    m.into_iter().map(|(k, v)| Ok((k, v.validate()?))).collect()
}

fn decode_b64<E: de::Error>(s: &str) -> std::result::Result<Vec<u8>, E> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| {
            // The service's two texts (its own spelling): a length that is not a multiple of
            // four, or four-character groups that are not base64.
            E::custom(if !s.len().is_multiple_of(4) {
                format!(
                    "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
                    s.len()
                )
            } else {
                "Invalid last non-pad Base64 character dectected".to_string()
            })
        })
}

/// The service's text for a binary given anything but a string.
const NOT_BASE64: &str = "only base-64-encoded strings are convertible to bytes";

/// A `B` value: base64 text. Any other JSON token gets the service's messages for a binary
/// (dynalite's suite, recorded against it: the Blob shape).
struct B64(Vec<u8>);

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = B64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("base64 text")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<B64, E> {
                decode_b64(s).map(B64)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<B64, E> {
                Err(E::custom(NOT_BASE64))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<B64, E> {
                Err(E::custom(NOT_BASE64))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<B64, E> {
                Err(E::custom(NOT_BASE64))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<B64, E> {
                Err(E::custom(NOT_BASE64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<B64, A::Error> {
                Err(de::Error::custom(
                    "Unrecognized collection type class java.nio.ByteBuffer",
                ))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<B64, A::Error> {
                Err(de::Error::custom(
                    "Start of structure or map found where not expected",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

struct B64List(Vec<Vec<u8>>);
impl<'de> Deserialize<'de> for B64List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // Element by element, so a wrong element gets the binary type's texts.
        let v: Vec<B64> = Vec::deserialize(d)?;
        Ok(B64List(v.into_iter().map(|b| b.0).collect()))
    }
}

/// The value of `BOOL` or `NULL`: a boolean, or a string the service's JSON reader converts to
/// one (`true`, `1`, `yes` and `false`, `0`, `no`, in any case), so that `{"NULL": "no"}` fails
/// validation ("Null attribute value types must have the value of true") rather than as
/// malformed JSON; any other string is the reader's `Unexpected token received from parser`
/// (dynalite's suite, recorded against the service).
struct JavaBool(bool);

impl<'de> Deserialize<'de> for JavaBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JavaBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<JavaBool, E> {
                Ok(JavaBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<JavaBool, E> {
                match v.to_ascii_uppercase().as_str() {
                    "TRUE" | "1" | "YES" => Ok(JavaBool(true)),
                    "FALSE" | "0" | "NO" => Ok(JavaBool(false)),
                    _ => Err(E::custom("Unexpected token received from parser")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for WireValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AttributeValue structure")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<WireValue, A::Error> {
                let mut w = WireValue::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "S" => w.s = map.next_value()?,
                        "N" => w.n = map.next_value()?,
                        "B" => w.b = map.next_value::<Option<B64>>()?.map(|b| b.0),
                        "BOOL" => w.bool_ = map.next_value::<Option<JavaBool>>()?.map(|b| b.0),
                        "NULL" => w.null = map.next_value::<Option<JavaBool>>()?.map(|n| n.0),
                        "SS" => w.ss = map.next_value()?,
                        "NS" => w.ns = map.next_value()?,
                        "BS" => w.bs = map.next_value::<Option<B64List>>()?.map(|b| b.0),
                        "L" => w.l = map.next_value()?,
                        "M" => w.m = map.next_value()?,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(w)
            }
        }
        d.deserialize_map(V)
    }
}

/// Deserialises straight to a validated value: for places where the caller has no validation
/// order to respect (tests, the in-process API).
impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        WireValue::deserialize(d)?
            .validate()
            .map_err(|e| de::Error::custom(e.message))
    }
}

#[allow(dead_code)]
fn _assert_seq<'de, A: SeqAccess<'de>>(_: A) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<AttributeValue> {
        serde_json::from_str::<WireValue>(json).unwrap().validate()
    }

    #[test]
    fn round_trips_every_type() {
        for json in [
            r#"{"S":"x"}"#,
            r#"{"N":"1.5"}"#,
            r#"{"B":"AAE="}"#,
            r#"{"BOOL":false}"#,
            r#"{"NULL":true}"#,
            r#"{"SS":["a","b"]}"#,
            r#"{"NS":["-1","2"]}"#,
            r#"{"BS":["AA==","AQ=="]}"#,
            r#"{"L":[{"S":"x"},{"N":"1"}]}"#,
            r#"{"M":{"a":{"S":"x"}}}"#,
        ] {
            let v = parse(json).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), json);
        }
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        assert!(parse(r#"{}"#).unwrap_err().message.contains("is empty"));
        assert!(parse(r#"{"S":"a","N":"1"}"#)
            .unwrap_err()
            .message
            .contains("more than one"));
        assert!(parse(r#"{"SS":[]}"#)
            .unwrap_err()
            .message
            .contains("may not be empty"));
        assert!(parse(r#"{"SS":["a","a"]}"#)
            .unwrap_err()
            .message
            .contains("contains duplicates"));
        assert!(parse(r#"{"NS":["1","1.0"]}"#)
            .unwrap_err()
            .message
            .contains("contains duplicates"));
        assert!(parse(r#"{"NULL":false}"#).is_err());
        assert!(parse(r#"{"N":"x"}"#).is_err());
        assert!(serde_json::from_str::<WireValue>(r#"{"S":1}"#).is_err());
    }
}
