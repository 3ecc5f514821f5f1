//! The reference: a small, single-threaded model of DynamoDB's item semantics for the operations
//! of [`crate::ops`], written to be obviously correct rather than fast (no partitions, no lag,
//! no expression language: each generated operation's effect is spelt out directly).

use crate::normalise::{canon, ties_as_sets, Outcome};
use crate::ops::{index_values, Action, Cond, Op, Proj, Schema, TxAction};
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

/// The attributes a ProjectionExpression keeps (all without one).
fn projected(item: &Map<String, Value>, project: &Option<Vec<&'static str>>) -> Value {
    match project {
        None => Value::Object(item.clone()),
        Some(names) => Value::Object(
            item.iter()
                .filter(|(k, _)| names.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
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
        Some(Cond::Expr(e)) => e.holds(old.unwrap_or(&Map::new())),
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

    fn put_item(&self, p: u8, s: u8, v: &Value) -> Map<String, Value> {
        crate::ops::item(&self.schema, p, s, v)
            .as_object()
            .expect("object")
            .clone()
    }

    /// Applies one operation and returns what DynamoDB answers.
    pub fn step(&mut self, op: &Op) -> Outcome {
        match op {
            Op::SqlInsert { pk: p, sk: s, v } => {
                let slot = self.schema.slot(*p, *s);
                if self.items.contains_key(&slot) {
                    return err("DuplicateItemException");
                }
                let item = self.put_item(*p, *s, v);
                self.items.insert(slot, item);
                ok(json!({ "Items": [] }))
            }
            Op::SqlInvalid(_) => err("ValidationException"),
            Op::SqlSelect { pk: p, .. } => {
                let items: Vec<Value> = self
                    .items
                    .range((*p, 0)..=(*p, u8::MAX))
                    .map(|(_, i)| Value::Object(i.clone()))
                    .collect();
                ok(json!({ "Items": items }))
            }
            Op::SqlUpdate { pk: p, sk: s, v } => {
                match self.items.get_mut(&self.schema.slot(*p, *s)) {
                    None => err("ConditionalCheckFailedException"),
                    Some(item) => {
                        item.insert("v".into(), v.clone());
                        ok(json!({ "Items": [item.clone()] }))
                    }
                }
            }
            Op::SqlDelete { pk: p, sk: s } => match self.items.remove(&self.schema.slot(*p, *s)) {
                Some(old) => ok(json!({ "Items": [old] })),
                None => ok(json!({ "Items": [] })),
            },
            Op::Put {
                pk: p,
                sk: s,
                v,
                cond,
                return_old,
            } => {
                let old = self.items.get(&self.schema.slot(*p, *s)).cloned();
                if !cond.as_ref().is_none_or(Cond::valid) {
                    return err("ValidationException");
                }
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                let item = self.put_item(*p, *s, v);
                self.items.insert(self.schema.slot(*p, *s), item);
                match (return_old, old) {
                    (true, Some(o)) => ok(json!({ "Attributes": o })),
                    _ => ok(json!({})),
                }
            }
            Op::Get {
                pk: p,
                sk: s,
                project,
            } => match self.items.get(&self.schema.slot(*p, *s)) {
                Some(i) => ok(json!({ "Item": projected(i, project) })),
                None => ok(json!({})),
            },
            Op::Update {
                pk: p,
                sk: s,
                action,
                cond,
            } => {
                let old = self.items.get(&self.schema.slot(*p, *s)).cloned();
                if !cond.as_ref().is_none_or(Cond::valid) {
                    return err("ValidationException");
                }
                // The update expression is checked before the condition is evaluated.
                if let Action::Free(u) = action {
                    if !u.valid() {
                        return err("ValidationException");
                    }
                }
                if !holds(cond, old.as_ref()) {
                    return err("ConditionalCheckFailedException");
                }
                if matches!(action, Action::IndexWrongType)
                    && self.schema.index.is_some_and(|ix| ix.range.is_some())
                {
                    // An index key of the wrong type is rejected before the condition is read.
                    return err("ValidationException");
                }
                let mut item = old.unwrap_or_else(|| self.key_item(*p, *s));
                match action {
                    Action::SetIndex(h, g) => {
                        let (gh, gr) = index_values(&self.schema, *h, *g);
                        for (name, v) in [("gh", gh), ("gr", gr)] {
                            match v {
                                Some(v) => item.insert(name.into(), v),
                                None => item.remove(name),
                            };
                        }
                    }
                    Action::IndexWrongType => {
                        item.insert("gr".into(), json!({ "BOOL": true }));
                    }
                    Action::Free(u) => {
                        if u.apply(&mut item).is_err() {
                            return err("ValidationException");
                        }
                    }
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
                if !cond.as_ref().is_none_or(Cond::valid) {
                    return err("ValidationException");
                }
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
                range,
                limit,
                forward,
                filter,
                project,
            } => {
                if range.is_some_and(|k| !k.valid(&self.schema)) {
                    return err("ValidationException");
                }
                // A Query's filter may not read the key attributes.
                if filter.as_ref().is_some_and(|f| !f.valid() || f.reads("pk")) {
                    return err("ValidationException");
                }
                let mut items: Vec<&Map<String, Value>> = self
                    .items
                    .range((*p, 0)..=(*p, u8::MAX))
                    .filter(|((_, s), _)| range.is_none_or(|k| k.matches(*s)))
                    .map(|(_, i)| i)
                    .collect();
                if !forward {
                    items.reverse();
                }
                // Limit counts the items read, before the filter. A page that fills its Limit
                // always carries a LastEvaluatedKey, so one more (possibly empty) page follows.
                // A table without a sort key has at most one item per partition key, and
                // DynamoDB knows nothing can follow it.
                // And when the last item of a full page is the inclusive end of the sort key
                // range (in the direction of travel), DynamoDB knows nothing can follow it.
                let end = range.and_then(|k| k.inclusive_end(*forward));
                let last_is_end = |n: usize| {
                    n > 0
                        && end.is_some_and(|e| items[n - 1].get("sk") == self.schema.sk(e).as_ref())
                };
                let pages = match (limit, self.schema.range) {
                    (Some(l), Some(_)) => {
                        let l = *l as usize;
                        let full = items.len() / l;
                        if items.len().is_multiple_of(l) && last_is_end(items.len()) {
                            full.max(1)
                        } else {
                            full + 1
                        }
                    }
                    _ => 1,
                };
                let items: Vec<Value> = items
                    .into_iter()
                    .filter(|i| filter.as_ref().is_none_or(|f| f.holds(i)))
                    .map(|i| projected(i, project))
                    .collect();
                ok(json!({ "Items": items, "Pages": pages }))
            }
            Op::Scan {
                limit,
                filter,
                project,
            } => {
                if filter.as_ref().is_some_and(|f| !f.valid()) {
                    return err("ValidationException");
                }
                let pages = limit.map_or(1, |l| self.items.len() / l as usize + 1);
                let mut items: Vec<Value> = self
                    .items
                    .values()
                    .filter(|i| filter.as_ref().is_none_or(|f| f.holds(i)))
                    .map(|i| projected(i, project))
                    .collect();
                items.sort_by_key(|i| canon(i).to_string());
                ok(json!({ "Items": items, "Pages": pages }))
            }
            Op::BatchGet { keys, project } => {
                let mut slots: Vec<(u8, u8)> =
                    keys.iter().map(|(p, s)| self.schema.slot(*p, *s)).collect();
                slots.sort();
                if slots.windows(2).any(|w| w[0] == w[1]) {
                    return err("ValidationException");
                }
                let mut items: Vec<Value> = slots
                    .iter()
                    .filter_map(|k| self.items.get(k))
                    .map(|i| canon(&projected(i, project)))
                    .collect();
                items.sort_by_key(|i| i.to_string());
                ok(json!({ "Items": items, "UnprocessedKeys": {} }))
            }
            Op::BigPut { delta } => {
                let (item, _) = crate::ops::big_item(&self.schema, *delta);
                if !crate::ops::big_item_fits(&self.schema, *delta) {
                    return err("ValidationException");
                }
                self.items.insert(
                    self.schema.slot(crate::ops::BIG_PK, 0),
                    item.as_object().expect("object").clone(),
                );
                ok(json!({}))
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
                    let item = self.put_item(*p, *s, v);
                    self.items.insert(self.schema.slot(*p, *s), item);
                }
                ok(json!({ "UnprocessedItems": {} }))
            }
            Op::Transact(actions) => {
                // An invalid expression fails the whole request before anything is read.
                let valid = actions.iter().all(|a| match a {
                    TxAction::Put(_, _, _, c)
                    | TxAction::Update(_, _, _, c)
                    | TxAction::Delete(_, _, c) => c.as_ref().is_none_or(Cond::valid),
                    TxAction::Check(_, _, c) => c.valid(),
                });
                if !valid {
                    return err("ValidationException");
                }
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
            Op::QueryIndex {
                h,
                limit,
                forward,
                consistent,
            } => {
                let Some(ix) = self.schema.index else {
                    return err("ValidationException");
                };
                if ix.global && *consistent {
                    return err("ValidationException");
                }
                let hash_name = if ix.global { "gh" } else { "pk" };
                let hash = self.schema.index_hash(*h);
                // In the index: items with its keys; ordered by `gr` (the ties' order is left
                // unspecified by DynamoDB, and the runner compares ties as sets).
                let mut items: Vec<(Option<u8>, &Map<String, Value>)> = self
                    .items
                    .values()
                    .filter(|i| i.get(hash_name) == Some(&hash))
                    .filter_map(|i| match ix.range {
                        None => Some((None, i)),
                        Some(t) => i
                            .get("gr")
                            .and_then(|g| Schema::rank(t, g))
                            .map(|r| (Some(r), i)),
                    })
                    .collect();
                items.sort_by_key(|(r, i)| (*r, canon(&Value::Object((*i).clone())).to_string()));
                if !forward {
                    items.reverse();
                }
                let projected: Vec<Value> = items
                    .into_iter()
                    .map(|(_, i)| {
                        // Index projections always hold the table's and the index's keys.
                        let key = |k: &str| {
                            k == "pk"
                                || k == "sk"
                                || (k == "gh" && ix.global)
                                || (k == "gr" && ix.range.is_some())
                        };
                        let keep = |k: &str| match ix.projection {
                            Proj::All => true,
                            Proj::KeysOnly => key(k),
                            Proj::IncludeV => key(k) || k == "v",
                        };
                        Value::Object(
                            i.iter()
                                .filter(|(k, _)| keep(k))
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        )
                    })
                    .collect();
                let pages = limit.map_or(1, |l| projected.len() / l as usize + 1);
                ok(json!({ "Items": ties_as_sets(&projected, ix.range.is_some()), "Pages": pages }))
            }
            // Two actions on one item: refused, as the documentation says.
            Op::TransactSameItem { .. } => err("ValidationException"),
            Op::Invalid(_) => err("ValidationException"),
        }
    }
}
