//! The reference: a small, single-threaded model of DynamoDB's item semantics for the operations
//! of [`crate::ops`], written to be obviously correct rather than fast (no partitions, no lag,
//! no expression language: each generated operation's effect is spelt out directly).

use crate::ops::{pk, sk, Action, Cond, Op};
use crate::runner::{canon, Outcome};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Items by (partition key, sort key).
#[derive(Default)]
pub struct Model {
    items: BTreeMap<(u8, u8), Map<String, Value>>,
}

fn ok(body: Value) -> Outcome {
    Outcome {
        kind: "ok".into(),
        body: canon(&body),
    }
}

fn err(kind: &str) -> Outcome {
    Outcome {
        kind: kind.into(),
        body: Value::Null,
    }
}

fn holds(cond: &Option<Cond>, old: Option<&Map<String, Value>>) -> bool {
    match cond {
        None => true,
        Some(Cond::Exists) => old.is_some(),
        Some(Cond::NotExists) => old.is_none(),
        Some(Cond::VEquals(v)) => old
            .and_then(|o| o.get("v"))
            .is_some_and(|x| canon(x) == canon(v)),
    }
}

fn key_item(p: u8, s: u8) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("pk".into(), pk(p));
    m.insert("sk".into(), sk(s));
    m
}

impl Model {
    /// Applies one operation and returns what DynamoDB answers.
    pub fn step(&mut self, op: &Op) -> Outcome {
        match op {
            Op::Put {
                pk: p,
                sk: s,
                v,
                cond,
                return_old,
            } => {
                let old = self.items.get(&(*p, *s)).cloned();
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                let mut item = key_item(*p, *s);
                item.insert("v".into(), v.clone());
                self.items.insert((*p, *s), item);
                match (return_old, old) {
                    (true, Some(o)) => ok(json!({ "Attributes": o })),
                    _ => ok(json!({})),
                }
            }
            Op::Get { pk: p, sk: s } => match self.items.get(&(*p, *s)) {
                Some(i) => ok(json!({ "Item": i })),
                None => ok(json!({})),
            },
            Op::Update {
                pk: p,
                sk: s,
                action,
                cond,
            } => {
                let old = self.items.get(&(*p, *s)).cloned();
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                let mut item = old.unwrap_or_else(|| key_item(*p, *s));
                match action {
                    Action::SetV(v) => {
                        item.insert("v".into(), v.clone());
                    }
                    Action::AddCounter(n) => {
                        let cur: i64 = item
                            .get("c")
                            .and_then(|c| c["N"].as_str())
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                        item.insert("c".into(), json!({ "N": (cur + *n as i64).to_string() }));
                    }
                    Action::RemoveV => {
                        item.remove("v");
                    }
                    Action::Append(v) => {
                        let mut l = item
                            .get("l")
                            .and_then(|l| l["L"].as_array().cloned())
                            .unwrap_or_default();
                        l.push(v.clone());
                        item.insert("l".into(), json!({ "L": l }));
                    }
                }
                self.items.insert((*p, *s), item.clone());
                ok(json!({ "Attributes": item }))
            }
            Op::Delete {
                pk: p,
                sk: s,
                cond,
                return_old,
            } => {
                let old = self.items.get(&(*p, *s)).cloned();
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                self.items.remove(&(*p, *s));
                match (return_old, old) {
                    (true, Some(o)) => ok(json!({ "Attributes": o })),
                    _ => ok(json!({})),
                }
            }
            Op::Query {
                pk: p,
                limit,
                forward,
            } => {
                let mut items: Vec<Value> = self
                    .items
                    .range((*p, 0)..=(*p, u8::MAX))
                    .map(|(_, i)| Value::Object(i.clone()))
                    .collect();
                if !forward {
                    items.reverse();
                }
                // A page that fills its Limit always carries a LastEvaluatedKey, so one more
                // (possibly empty) page follows.
                let pages = limit.map_or(1, |l| items.len() / l as usize + 1);
                ok(json!({ "Items": items, "Pages": pages }))
            }
            Op::Scan { limit } => {
                let mut items: Vec<Value> = self
                    .items
                    .values()
                    .map(|i| Value::Object(i.clone()))
                    .collect();
                items.sort_by_key(|i| canon(i).to_string());
                let pages = limit.map_or(1, |l| items.len() / l as usize + 1);
                ok(json!({ "Items": items, "Pages": pages }))
            }
            Op::BatchPut { items } => {
                for (p, s, v) in items {
                    let mut item = key_item(*p, *s);
                    item.insert("v".into(), v.clone());
                    self.items.insert((*p, *s), item);
                }
                ok(json!({ "UnprocessedItems": {} }))
            }
            Op::Invalid(_) => err("ValidationException"),
        }
    }
}
