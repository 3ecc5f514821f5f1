//! Generated attribute values, in their wire (JSON) form.

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A `B` value's base64 text.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..6).prop_map(|(m, e)| format!("{m}E-{e}")),
        Just("1E-130".to_string()),
        Just("-9.9999999999999999999999999999999999999E+125".to_string()),
        Just("12345678901234567890123456789012345678".to_string()),
        Just("-0.50".to_string()),
        Just("0".to_string()),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-zA-Z0-9 éß漢🙂_.-]{0,12}".prop_map(|s| json!({ "S": s })),
        number().prop_map(|n| json!({ "N": n })),
        vec(any::<u8>(), 0..8).prop_map(|b| json!({ "B": b64(&b) })),
        any::<bool>().prop_map(|b| json!({ "BOOL": b })),
        Just(json!({ "NULL": true })),
        btree_set("[a-z]{1,4}", 1..4)
            .prop_map(|s| json!({ "SS": s.into_iter().collect::<Vec<_>>() })),
        btree_set(-50i32..50, 1..4).prop_map(
            |s| json!({ "NS": s.into_iter().map(|n| n.to_string()).collect::<Vec<_>>() })
        ),
    ]
}

/// Any attribute value, nested up to two levels.
pub fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|l| json!({ "L": l })),
            btree_set("[a-z]{1,3}", 0..4).prop_flat_map(move |keys| {
                vec(inner.clone(), keys.len()).prop_map(move |vals| {
                    let m: serde_json::Map<String, Value> =
                        keys.iter().cloned().zip(vals).collect();
                    json!({ "M": m })
                })
            }),
        ]
    })
}
