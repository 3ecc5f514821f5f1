//! JSON decoding of requests with DynamoDB's SerializationException on malformed input.

use crate::error::{DynamoError, Result};
use serde::de::DeserializeOwned;

/// Decodes an operation's request body. A request with no body at all is the service's bare
/// SerializationException, even for an operation without required members (dynalite's suite,
/// recorded against the service: ListTables with no body).
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DynamoError::serialization(""));
    }
    from_json_or_empty(body)
}

/// Decodes a body, an empty one as `{}` (the emulator's own control API, whose actions take
/// no member at all).
pub fn from_json_or_empty<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let body = if body.iter().all(|b| b.is_ascii_whitespace()) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        // Not JSON at all: the service's bare SerializationException, no message (dynalite's
        // suite, recorded against it).
        if e.is_syntax() || e.is_eof() {
            return DynamoError::serialization("");
        }
        let text = e.to_string();
        // The path to the failing value, found by decoding again (only malformed requests
        // pay for it, and at most once).
        let path = std::cell::OnceCell::new();
        let path = || path.get_or_init(|| error_path::<T>(body)).as_deref();
        let msg = if let Some(cast) = path()
            .filter(|p| is_scalar(&text) && parameterized(p, batch_write::<T>()))
            .map(|_| PARAMETERIZED_CAST)
        {
            cast.to_string()
        } else if let Some(java) = collection_type(&text, path, batch_write::<T>()) {
            format!("Unrecognized collection type {java}")
        } else if is_scalar_for_struct(&text) && path().is_some_and(struct_is_a_member)
            || is_scalar_for_attribute_value(&text) && path().is_some_and(value_is_a_member)
        {
            // The service's two structure kinds: one given a scalar as a member of another
            // structure is "Unexpected field type"; as a list element or a map's value,
            // "Unexpected value type in payload" (dynalite's suite: FieldStruct, ValueStruct).
            "Unexpected field type".to_string()
        } else {
            serialization_message(&text, || path().is_some_and(integer_member))
        };
        DynamoError::serialization(msg)
    })
}

fn batch_write<T>() -> bool {
    std::any::type_name::<T>().contains("BatchWrite")
}

/// The service's text for a scalar where one of its parameterized collections belongs (a
/// BatchWriteItem table's list of requests, a BatchGetItem key): its Java reflection failing to
/// cast (dynalite's suite, recorded against the service).
const PARAMETERIZED_CAST: &str = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')";

/// Whether serde's complaint is a scalar (string, number or boolean) where something else
/// belongs.
fn is_scalar(serde_msg: &str) -> bool {
    serde_msg
        .strip_prefix("invalid type: ")
        .is_some_and(|rest| {
            ["string", "integer", "floating point", "boolean"]
                .iter()
                .any(|t| rest.starts_with(t))
        })
}

/// Whether the path is one of the parameterized collections: `RequestItems.T` of
/// BatchWriteItem, `RequestItems.T.Keys.N` of BatchGetItem.
fn parameterized(path: &[Segment], batch_write: bool) -> bool {
    match path {
        [Segment::Map { key }, Segment::Map { .. }] => batch_write && key == "RequestItems",
        [Segment::Map { key }, Segment::Map { .. }, Segment::Map { key: keys }, Segment::Seq { .. }] => {
            !batch_write && key == "RequestItems" && keys == "Keys"
        }
        _ => false,
    }
}

/// Whether serde's complaint is a scalar where an attribute value belongs.
fn is_scalar_for_attribute_value(serde_msg: &str) -> bool {
    is_scalar(serde_msg) && serde_msg.contains("expected an AttributeValue structure")
}

/// Whether the attribute value is a member of a structure (`Expected.A.Value`,
/// `AttributeUpdates.A.Value`), which the service reads as a field, rather than a map's value or
/// a list's element.
fn value_is_a_member(path: &[Segment]) -> bool {
    matches!(
        path,
        [.., Segment::Map { key: map }, Segment::Map { .. }, Segment::Map { key: value }]
            if value == "Value" && (map == "Expected" || map == "AttributeUpdates")
    )
}

/// One step of the path to a value in a request.
type Segment = serde_path_to_error::Segment;

/// The path to the value that fails to decode as `T`.
fn error_path<T: DeserializeOwned>(body: &[u8]) -> Option<Vec<Segment>> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let e = serde_path_to_error::deserialize::<_, T>(&mut de).err()?;
    Some(e.path().iter().cloned().collect())
}

/// Whether the path ends at a member the service declares as `Integer` (`Limit`, `Segment`,
/// `TotalSegments`). The emulator reads them as 64-bit numbers, so that out-of-range values get
/// DynamoDB's range messages, but a wrong JSON type names the service's type.
fn integer_member(path: &[Segment]) -> bool {
    matches!(path.last(), Some(Segment::Map { key }) if matches!(key.as_str(), "Limit" | "Segment" | "TotalSegments"))
}

/// The Java type the service names when a list arrives where a structure or a map belongs
/// (dynalite's suite, recorded against the service): `class com.amazonaws.dynamodb.v20120810.X`
/// for a structure, `java.util.Map<java.lang.String, V>` for a map. serde says what it expected
/// in our terms; the member's name (from the path, found by decoding again, only for malformed
/// requests) says which of the service's types that is.
fn collection_type<'p>(
    serde_msg: &str,
    path: impl FnOnce() -> Option<&'p [Segment]>,
    batch_write: bool,
) -> Option<String> {
    const NS: &str = "com.amazonaws.dynamodb.v20120810.";
    let core = serde_msg.split(" at line ").next().unwrap_or(serde_msg);
    // serde reads a structure from a list too; an empty one fails on its length.
    let expected = core
        .strip_prefix("invalid type: sequence, expected ")
        .or_else(|| {
            core.strip_prefix("invalid length 0, expected ")
                .filter(|e| e.starts_with("struct "))
        })?;
    let class = |c: &str| Some(format!("class {NS}{c}"));
    let map_of = |v: &str| Some(format!("java.util.Map<java.lang.String, {v}>"));
    match expected {
        "an AttributeValue structure" => return class("AttributeValue"),
        "a map of attribute names to values" => return map_of(&format!("{NS}AttributeValue")),
        _ => {}
    }
    // The innermost member the path names.
    let segments = path()?;
    let keys: Vec<&str> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(key.as_str()),
            _ => None,
        })
        .collect();
    let last = *keys.last()?;
    if expected == "a map" {
        let value = match last {
            "ExpressionAttributeNames" => "java.lang.String".to_string(),
            "Key" | "Item" | "ExclusiveStartKey" | "ExpressionAttributeValues" | "M" => {
                format!("{NS}AttributeValue")
            }
            "QueryFilter" | "ScanFilter" | "KeyConditions" => format!("{NS}Condition"),
            "Expected" => format!("{NS}ExpectedAttributeValue"),
            "AttributeUpdates" => format!("{NS}AttributeValueUpdate"),
            "RequestItems" if batch_write => format!("java.util.List<{NS}WriteRequest>"),
            "RequestItems" => format!("{NS}KeysAndAttributes"),
            _ => return None,
        };
        return map_of(&value);
    }
    if !expected.starts_with("struct ") {
        return None;
    }
    // A structure: the service's class for the member it is: the list it is an element of,
    // the member it is, or the map (AttributeUpdates) it is a value of.
    let class_of = |k: &str| {
        Some(match k {
            "GlobalSecondaryIndexes" => "GlobalSecondaryIndex",
            "LocalSecondaryIndexes" => "LocalSecondaryIndex",
            "GlobalSecondaryIndexUpdates" => "GlobalSecondaryIndexUpdate",
            "Create" => "CreateGlobalSecondaryIndexAction",
            "Update" => "UpdateGlobalSecondaryIndexAction",
            "Delete" => "DeleteGlobalSecondaryIndexAction",
            _ => return None,
        })
    };
    let member = match segments {
        [.., Segment::Map { key }, Segment::Seq { .. }] => class_of(key),
        [.., Segment::Map { key: map }, Segment::Map { .. }] if map == "AttributeUpdates" => {
            Some("AttributeValueUpdate")
        }
        [.., Segment::Map { key }] => class_of(key),
        _ => None,
    }?;
    class(member)
}

/// Whether serde's complaint is a scalar where a structure belongs.
fn is_scalar_for_struct(serde_msg: &str) -> bool {
    serde_msg
        .strip_prefix("invalid type: ")
        .is_some_and(|rest| {
            !rest.starts_with("sequence")
                && !rest.starts_with("map")
                && rest.contains(", expected struct ")
        })
}

/// The request's members whose values are maps of structures (the map's keys are attribute or
/// table names).
const MAPS_OF_STRUCTURES: &[&str] = &[
    "RequestItems",
    "Expected",
    "AttributeUpdates",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
];

/// Whether the failing structure is a member of a structure, rather than an element of a list
/// or a value of a map.
fn struct_is_a_member(path: &[Segment]) -> bool {
    match path {
        [.., Segment::Map { key: parent }, Segment::Map { .. }] => {
            !MAPS_OF_STRUCTURES.contains(&parent.as_str())
        }
        [Segment::Map { .. }] => true,
        [.., Segment::Seq { .. }, Segment::Map { .. }] => true,
        _ => false,
    }
}

/// DynamoDB's SerializationException message for a member of the wrong JSON type, from
/// serde's description of the mismatch. DynamoDB's front end names the JSON token it found and
/// the Java type it wanted (recorded by dynalite's suite: `NUMBER_VALUE cannot be converted to
/// String`, `Unrecognized collection type class java.lang.Long`, `Start of structure or map
/// found where not expected`, `Unexpected field type`); serde's own words, which name Rust
/// types, never reach the client. `integer` says whether a 64-bit member is one the service
/// declares as `Integer` (asked only when the message names the type).
fn serialization_message(serde_msg: &str, integer: impl Fn() -> bool) -> String {
    // serde says e.g. "invalid type: integer `1`, expected a string at line 1 column 20".
    let core = serde_msg.split(" at line ").next().unwrap_or(serde_msg);
    const FALLBACK: &str = "Unexpected value type in payload";
    let Some(rest) = core.strip_prefix("invalid type: ") else {
        // serde's other complaints name Rust types; anything else is the emulator's own
        // DynamoDB message, raised while decoding (e.g. an attribute value's).
        const SERDE: &[&str] = &[
            "invalid length",
            "invalid value",
            "unknown variant",
            "unknown field",
            "missing field",
            "duplicate field",
            "number out of range",
        ];
        // A list where a structure belongs: serde reads structures from sequences too and
        // complains about the length, naming our type; the service names its own class.
        if let Some(rest) = core.strip_prefix("invalid length ") {
            if let Some(class) = rest
                .split_once("expected struct ")
                .and_then(|(_, t)| t.split(' ').next())
                .and_then(aws_class)
            {
                return format!(
                    "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.{class}"
                );
            }
        }
        return if SERDE.iter().any(|p| core.starts_with(p)) {
            FALLBACK.into()
        } else {
            core.to_string()
        };
    };
    let Some((found, expected)) = rest.split_once(", expected ") else {
        return FALLBACK.into();
    };
    let token = if found.starts_with("boolean `true`") {
        Some("TRUE_VALUE")
    } else if found.starts_with("boolean `false`") {
        Some("FALSE_VALUE")
    } else if found.starts_with("integer") {
        Some("NUMBER_VALUE")
    } else if found.starts_with("floating point") {
        Some("DECIMAL_VALUE")
    } else if found.starts_with("string") {
        Some("STRING_VALUE")
    } else {
        None
    };
    let java = match expected {
        "a string" => Some("String"),
        "a boolean" => Some("Boolean"),
        "i64" | "u64" if integer() => Some("Integer"),
        "i64" | "u64" => Some("Long"),
        "i32" | "u32" | "i16" | "u16" | "i8" | "u8" | "usize" | "isize" => Some("Integer"),
        _ => None,
    };
    // A list or map member given a scalar; a structure given one is "Unexpected value type".
    let container = expected.starts_with("a sequence") || expected.starts_with("a map");
    match (found, token, java) {
        // A string where a boolean belongs is refused by the service's parser itself.
        (f, _, Some("Boolean")) if f.starts_with("string") => {
            "Unexpected token received from parser".into()
        }
        (f, _, _) if f.starts_with("map") && !expected.starts_with("struct") => {
            "Start of structure or map found where not expected".into()
        }
        (f, _, Some(j)) if f.starts_with("sequence") => {
            format!("Unrecognized collection type class java.lang.{j}")
        }
        (_, Some(t), Some(j)) => format!("{t} cannot be converted to {j}"),
        (_, Some(_), None) if container => "Unexpected field type".into(),
        _ => FALLBACK.into(),
    }
}

/// The service's class for the request shapes whose wire structs are named after it (`XW`, or
/// `WireValue` for AttributeValue). Shapes one struct serves under several names (indexes) have
/// none.
fn aws_class(rust: &str) -> Option<&'static str> {
    Some(match rust {
        "WireValue" => "AttributeValue",
        "KeySchemaElementW" => "KeySchemaElement",
        "AttributeDefinitionW" => "AttributeDefinition",
        "KeysAndAttributesW" => "KeysAndAttributes",
        "ThroughputW" => "ProvisionedThroughput",
        "ProjectionW" => "Projection",
        "StreamSpecificationW" => "StreamSpecification",
        "TagW" => "Tag",
        "WriteRequestW" => "WriteRequest",
        "PutRequestW" => "PutRequest",
        "DeleteRequestW" => "DeleteRequest",
        "TransactWriteItemW" => "TransactWriteItem",
        "TransactGetItemW" => "TransactGetItem",
        "ExpectedAttributeValue" => "ExpectedAttributeValue",
        "LegacyCondition" => "Condition",
        _ => return None,
    })
}

/// A wire input with the request's JSON beside it, which idempotency compares
/// (TransactWriteItems and ExecuteTransaction, under a ClientRequestToken).
pub(super) struct WithRaw<I> {
    pub input: I,
    pub raw: serde_json::Value,
}

impl<I: DeserializeOwned> WithRaw<I> {
    /// Decodes the body twice: once as JSON, once as the input (so malformed members get
    /// the same errors as in every other operation).
    pub fn parse(body: &[u8]) -> Result<WithRaw<I>> {
        Ok(WithRaw {
            raw: from_json(body)?,
            input: from_json(body)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_mismatches_become_dynamodbs_messages_never_rust_names() {
        for (serde, dynamo) in [
            (
                "invalid type: integer `1`, expected a string at line 1 column 20",
                "NUMBER_VALUE cannot be converted to String",
            ),
            (
                "invalid type: boolean `true`, expected a string",
                "TRUE_VALUE cannot be converted to String",
            ),
            (
                "invalid type: floating point `34.56`, expected a boolean",
                "DECIMAL_VALUE cannot be converted to Boolean",
            ),
            (
                "invalid type: string \"23\", expected i64",
                "STRING_VALUE cannot be converted to Long",
            ),
            (
                "invalid type: boolean `false`, expected i32",
                "FALSE_VALUE cannot be converted to Integer",
            ),
            (
                "invalid type: sequence, expected i64",
                "Unrecognized collection type class java.lang.Long",
            ),
            (
                "invalid type: map, expected a string",
                "Start of structure or map found where not expected",
            ),
            (
                "invalid type: integer `23`, expected a sequence",
                "Unexpected field type",
            ),
            (
                "invalid type: string \"x\", expected struct KeySchemaElementW",
                "Unexpected value type in payload",
            ),
            (
                "invalid length 0, expected struct KeySchemaElementW with 2 elements",
                "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.KeySchemaElement",
            ),
            (
                "unknown variant `X`, expected one of `A`, `B`",
                "Unexpected value type in payload",
            ),
        ] {
            assert_eq!(serialization_message(serde, || false), dynamo, "{serde}");
        }
    }

    /// The two structure kinds, by where the structure is (dynalite's suite records both).
    #[test]
    fn a_structure_member_and_a_structure_value_are_told_apart() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            a: Option<String>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        #[allow(dead_code)]
        struct Outer {
            provisioned_throughput: Option<Inner>,
            key_schema: Option<Vec<Inner>>,
            request_items: Option<std::collections::BTreeMap<String, Inner>>,
            updates: Option<Vec<Outer>>,
        }
        let message = |body: &str| from_json::<Outer>(body.as_bytes()).err().map(|e| e.message);
        let field = Some("Unexpected field type".to_string());
        let value = Some("Unexpected value type in payload".to_string());
        assert_eq!(message(r#"{"ProvisionedThroughput":"23"}"#), field);
        assert_eq!(
            message(r#"{"Updates":[{"ProvisionedThroughput":true}]}"#),
            field
        );
        assert_eq!(message(r#"{"KeySchema":["23"]}"#), value);
        assert_eq!(message(r#"{"RequestItems":{"t":23}}"#), value);
        assert_eq!(message(r#"{"ProvisionedThroughput":{"a":"x"}}"#), None);
    }
}
