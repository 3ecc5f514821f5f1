//! The reference: a small, single-threaded model of DynamoDB's item semantics for the operations
//! of [`crate::ops`], written to be obviously correct rather than fast (no partitions, no lag,
//! no expression language: each generated operation's effect is spelt out directly).

use crate::ops::{Action, Cond, Op, Schema, TxAction};
use crate::runner::{canon, Outcome};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Items by (partition key index, sort key index): the generator's indexes are in DynamoDB's
/// order of the key values, so the map's order is the table's sort order within a partition.
pub struct Model {
    schema: Schema,
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

impl Model {
    pub fn new(schema: Schema) -> Model {
        Model {
            schema,
            items: BTreeMap::new(),
        }
    }

    fn key_item(&self, p: u8, s: u8) -> Map<String, Value> {
        self.schema.key(p, s).as_object().expect("object").clone()
    }

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
                let old = self.items.get(&self.schema.slot(*p, *s)).cloned();
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                let mut item = self.key_item(*p, *s);
                item.insert("v".into(), v.clone());
                self.items.insert(self.schema.slot(*p, *s), item);
                match (return_old, old) {
                    (true, Some(o)) => ok(json!({ "Attributes": o })),
                    _ => ok(json!({})),
                }
            }
            Op::Get { pk: p, sk: s } => match self.items.get(&self.schema.slot(*p, *s)) {
                Some(i) => ok(json!({ "Item": i })),
                None => ok(json!({})),
            },
            Op::Update {
                pk: p,
                sk: s,
                action,
                cond,
            } => {
                let old = self.items.get(&self.schema.slot(*p, *s)).cloned();
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                let mut item = old.unwrap_or_else(|| self.key_item(*p, *s));
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
                self.items.insert(self.schema.slot(*p, *s), item.clone());
                ok(json!({ "Attributes": item }))
            }
            Op::Delete {
                pk: p,
                sk: s,
                cond,
                return_old,
            } => {
                let old = self.items.get(&self.schema.slot(*p, *s)).cloned();
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                self.items.remove(&self.schema.slot(*p, *s));
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
                // A table without a sort key has at most one item per partition key, and
                // DynamoDB knows nothing can follow it.
                let pages = match (limit, self.schema.range) {
                    (Some(l), Some(_)) => items.len() / *l as usize + 1,
                    _ => 1,
                };
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
                // Two requests on one item are rejected before anything is written.
                let mut slots: Vec<(u8, u8)> = items
                    .iter()
                    .map(|(p, s, _)| self.schema.slot(*p, *s))
                    .collect();
                slots.sort();
                if slots.windows(2).any(|w| w[0] == w[1]) {
                    return err("ValidationException");
                }
                for (p, s, v) in items {
                    let mut item = self.key_item(*p, *s);
                    item.insert("v".into(), v.clone());
                    self.items.insert(self.schema.slot(*p, *s), item);
                }
                ok(json!({ "UnprocessedItems": {} }))
            }
            Op::Transact(actions) => {
                // Every condition is checked against the state before any action; then all apply.
                let ok_all = actions.iter().all(|a| {
                    let (p, s, c) = match a {
                        TxAction::Put(p, s, _, c)
                        | TxAction::Update(p, s, _, c)
                        | TxAction::Delete(p, s, c) => (p, s, c.clone()),
                        TxAction::Check(p, s, c) => (p, s, Some(c.clone())),
                    };
                    holds(&c, self.items.get(&self.schema.slot(*p, *s)))
                });
                if !ok_all {
                    return err("TransactionCanceledException");
                }
                for a in actions {
                    match a {
                        TxAction::Put(p, s, v, _) => {
                            self.step(&Op::Put {
                                pk: *p,
                                sk: *s,
                                v: v.clone(),
                                cond: None,
                                return_old: false,
                            });
                        }
                        TxAction::Update(p, s, act, _) => {
                            self.step(&Op::Update {
                                pk: *p,
                                sk: *s,
                                action: act.clone(),
                                cond: None,
                            });
                        }
                        TxAction::Delete(p, s, _) => {
                            self.step(&Op::Delete {
                                pk: *p,
                                sk: *s,
                                cond: None,
                                return_old: false,
                            });
                        }
                        TxAction::Check(..) => {}
                    }
                }
                ok(json!({}))
            }
            Op::Invalid(_) => err("ValidationException"),
        }
    }
}
