//! What answers are compared on: attribute values in canonical form, and ties put in order.
//!
//! DynamoDB returns numbers by value (`1.0` and `1` are the same number), sets in no order,
//! and index query items with equal index keys in no order either; the model and every target
//! are compared after the same normalisation.

use dynamodb_emulator::Number;
use serde_json::{json, Value};

/// What one operation answered, normalised: `kind` is `ok` or the error type's short name.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: String,
    pub body: Value,
}

/// Canonical form of a JSON value holding attribute values: numbers normalised (DynamoDB
/// compares and returns them by value), sets sorted (DynamoDB gives them no order).
pub fn canon(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                let x = match (k.as_str(), x) {
                    ("N", Value::String(n)) => Value::String(
                        Number::parse(n)
                            .map(|n| n.to_string())
                            .unwrap_or_else(|_| n.clone()),
                    ),
                    ("NS", Value::Array(a)) => {
                        let mut ns: Vec<String> = a
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|n| {
                                Number::parse(n)
                                    .map(|n| n.to_string())
                                    .unwrap_or_else(|_| n.to_string())
                            })
                            .collect();
                        ns.sort();
                        json!(ns)
                    }
                    ("SS" | "BS", Value::Array(a)) => {
                        let mut s = a.clone();
                        s.sort_by_key(|e| e.to_string());
                        Value::Array(s)
                    }
                    _ => canon(x),
                };
                out.insert(k.clone(), x);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
        other => other.clone(),
    }
}

/// Index query results with the items of equal index sort key (all of them, without one) in a
/// canonical order: DynamoDB leaves the order of such ties unspecified.
pub fn ties_as_sets(items: &[Value], ranged: bool) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    let mut group: Vec<Value> = Vec::new();
    let flush = |group: &mut Vec<Value>, out: &mut Vec<Value>| {
        group.sort_by_key(|i| canon(i).to_string());
        out.append(group);
    };
    for item in items {
        let same = group
            .last()
            .is_some_and(|last| !ranged || canon(&last["gr"]) == canon(&item["gr"]));
        if !same {
            flush(&mut group, &mut out);
        }
        group.push(item.clone());
    }
    flush(&mut group, &mut out);
    out
}
