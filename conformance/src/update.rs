//! Free-form update expressions: up to three SET, REMOVE, ADD and DELETE clauses on top-level
//! and nested paths (a list element, a map member), with arithmetic, `if_not_exists` and
//! `list_append`, applied by the reference with its own code. Some are invalid in the ways
//! DynamoDB rejects before reading the item (overlapping paths, a key attribute, ADD or DELETE
//! with the wrong kind of value, arithmetic on a string) and some only once it has read it (a
//! missing or mistyped operand, a nested path under nothing).

use crate::normalise::canon;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A path an update writes or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UPath {
    Top(&'static str),
    /// `l[i]`
    Index(&'static str, u8),
    /// `m.k`
    Key(&'static str, &'static str),
}

impl UPath {
    fn top(&self) -> &'static str {
        match self {
            UPath::Top(t) | UPath::Index(t, _) | UPath::Key(t, _) => t,
        }
    }
    /// Whether two paths overlap (one is the other or inside it).
    fn overlaps(&self, o: &UPath) -> bool {
        self.top() == o.top()
            && match (self, o) {
                (UPath::Top(_), _) | (_, UPath::Top(_)) => true,
                (a, b) => a == b,
            }
    }
    fn render(&self, names: &mut Map<String, Value>) -> String {
        let mut name = |n: &str| {
            names.insert(format!("#{n}"), json!(n));
            format!("#{n}")
        };
        match self {
            UPath::Top(t) => name(t),
            UPath::Index(t, i) => format!("{}[{i}]", name(t)),
            UPath::Key(t, k) => {
                let t = name(t);
                format!("{t}.{}", name(k))
            }
        }
    }
}

/// The value a SET assigns.
#[derive(Debug, Clone)]
pub enum Rhs {
    Val(Value),
    Path(UPath),
    Plus(UPath, Value),
    Minus(UPath, Value),
    IfNotExists(UPath, Value),
    /// `list_append(path, :list)`
    Append(UPath, Value),
    /// `list_append(:list, path)`
    Prepend(Value, UPath),
}

/// A ValidationException found on the item (the update is not applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

/// One clause.
#[derive(Debug, Clone)]
pub enum Clause {
    Set(UPath, Rhs),
    Remove(UPath),
    Add(&'static str, Value),
    Delete(&'static str, Value),
}

impl Clause {
    fn target(&self) -> UPath {
        match self {
            Clause::Set(p, _) | Clause::Remove(p) => *p,
            Clause::Add(t, _) | Clause::Delete(t, _) => UPath::Top(t),
        }
    }
}

/// An update expression.
#[derive(Debug, Clone)]
pub struct Upd(pub Vec<Clause>);

fn small_number() -> impl Strategy<Value = Value> {
    (-5i32..6).prop_map(|n| json!({ "N": n.to_string() }))
}

fn set_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({ "SS": ["a", "b"] })),
        Just(json!({ "SS": ["b", "c"] })),
        Just(json!({ "NS": ["1", "2"] })),
        Just(json!({ "NS": ["2"] })),
    ]
}

fn list_value() -> impl Strategy<Value = Value> {
    vec(crate::expr::scalar_value(), 0..3).prop_map(|l| json!({ "L": l }))
}

fn map_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({ "M": {} })),
        crate::expr::scalar_value().prop_map(|v| json!({ "M": { "k": v } })),
        crate::expr::scalar_value().prop_map(|v| json!({ "M": { "j": v } })),
    ]
}

fn read_path() -> impl Strategy<Value = UPath> {
    prop_oneof![
        Just(UPath::Top("c")),
        Just(UPath::Top("v")),
        Just(UPath::Top("l")),
        Just(UPath::Index("l", 0)),
        Just(UPath::Key("m", "k")),
    ]
}

fn clause() -> impl Strategy<Value = Clause> {
    prop_oneof![
        3 => crate::values::value().prop_map(|v| Clause::Set(UPath::Top("v"), Rhs::Val(v))),
        1 => list_value().prop_map(|v| Clause::Set(UPath::Top("l"), Rhs::Val(v))),
        1 => map_value().prop_map(|v| Clause::Set(UPath::Top("m"), Rhs::Val(v))),
        2 => (0u8..3, crate::expr::scalar_value()).prop_map(|(i, v)| Clause::Set(UPath::Index("l", i), Rhs::Val(v))),
        2 => crate::expr::scalar_value().prop_map(|v| Clause::Set(UPath::Key("m", "k"), Rhs::Val(v))),
        1 => read_path().prop_map(|p| Clause::Set(UPath::Top("v"), Rhs::Path(p))),
        2 => (read_path(), small_number()).prop_map(|(p, n)| Clause::Set(UPath::Top("v"), Rhs::Plus(p, n))),
        1 => small_number().prop_map(|n| Clause::Set(UPath::Top("c"), Rhs::Minus(UPath::Top("c"), n))),
        2 => small_number().prop_map(|n| Clause::Set(UPath::Top("c"), Rhs::IfNotExists(UPath::Top("c"), n))),
        2 => list_value().prop_map(|v| Clause::Set(UPath::Top("l"), Rhs::Append(UPath::Top("l"), v))),
        1 => list_value().prop_map(|v| Clause::Set(UPath::Top("l"), Rhs::Prepend(v, UPath::Top("l")))),
        2 => prop_oneof![Just(UPath::Top("v")), Just(UPath::Top("l")), Just(UPath::Top("m")),
                         Just(UPath::Top("s")), Just(UPath::Index("l", 0)), Just(UPath::Index("l", 4)),
                         Just(UPath::Key("m", "k"))].prop_map(Clause::Remove),
        2 => small_number().prop_map(|n| Clause::Add("c", n)),
        2 => set_value().prop_map(|s| Clause::Add("s", s)),
        2 => set_value().prop_map(|s| Clause::Delete("s", s)),
        // Invalid before reading: a key attribute, ADD of a string, DELETE of a number,
        // arithmetic with a string.
        1 => Just(Clause::Set(UPath::Top("pk"), Rhs::Val(json!({ "S": "x" })))),
        1 => Just(Clause::Add("c", json!({ "S": "x" }))),
        1 => Just(Clause::Delete("s", json!({ "N": "1" }))),
        1 => Just(Clause::Set(UPath::Top("v"), Rhs::Plus(UPath::Top("c"), json!({ "S": "x" })))),
    ]
}

/// One to three clauses (overlapping ones now and then, which DynamoDB refuses).
pub fn upd() -> impl Strategy<Value = Upd> {
    vec(clause(), 1..4).prop_map(Upd)
}

impl Upd {
    /// The expression text, with its names and values.
    pub fn render(&self) -> (String, Map<String, Value>, Map<String, Value>) {
        let (mut names, mut values) = (Map::new(), Map::new());
        let value = |v: &Value, values: &mut Map<String, Value>| {
            let k = format!(":u{}", values.len());
            values.insert(k.clone(), v.clone());
            k
        };
        let (mut set, mut remove, mut add, mut delete) = (vec![], vec![], vec![], vec![]);
        for c in &self.0 {
            match c {
                Clause::Set(p, rhs) => {
                    let target = p.render(&mut names);
                    let rhs = match rhs {
                        Rhs::Val(v) => value(v, &mut values),
                        Rhs::Path(q) => q.render(&mut names),
                        Rhs::Plus(q, v) => {
                            format!("{} + {}", q.render(&mut names), value(v, &mut values))
                        }
                        Rhs::Minus(q, v) => {
                            format!("{} - {}", q.render(&mut names), value(v, &mut values))
                        }
                        Rhs::IfNotExists(q, v) => {
                            format!(
                                "if_not_exists({}, {})",
                                q.render(&mut names),
                                value(v, &mut values)
                            )
                        }
                        Rhs::Append(q, v) => {
                            format!(
                                "list_append({}, {})",
                                q.render(&mut names),
                                value(v, &mut values)
                            )
                        }
                        Rhs::Prepend(v, q) => {
                            let v = value(v, &mut values);
                            format!("list_append({v}, {})", q.render(&mut names))
                        }
                    };
                    set.push(format!("{target} = {rhs}"));
                }
                Clause::Remove(p) => remove.push(p.render(&mut names)),
                Clause::Add(t, v) => {
                    let t = UPath::Top(t).render(&mut names);
                    add.push(format!("{t} {}", value(v, &mut values)));
                }
                Clause::Delete(t, v) => {
                    let t = UPath::Top(t).render(&mut names);
                    delete.push(format!("{t} {}", value(v, &mut values)));
                }
            }
        }
        let mut text = Vec::new();
        for (word, parts) in [
            ("SET", set),
            ("REMOVE", remove),
            ("ADD", add),
            ("DELETE", delete),
        ] {
            if !parts.is_empty() {
                text.push(format!("{word} {}", parts.join(", ")));
            }
        }
        (text.join(" "), names, values)
    }

    /// Whether DynamoDB accepts the expression before reading the item.
    pub fn valid(&self) -> bool {
        let targets: Vec<UPath> = self.0.iter().map(Clause::target).collect();
        for (i, a) in targets.iter().enumerate() {
            if targets[i + 1..].iter().any(|b| a.overlaps(b)) {
                return false;
            }
        }
        let tag = |v: &Value| {
            v.as_object()
                .and_then(|m| m.keys().next().cloned())
                .unwrap_or_default()
        };
        self.0.iter().all(|c| match c {
            Clause::Set(_, Rhs::Plus(_, v) | Rhs::Minus(_, v)) => tag(v) == "N",
            Clause::Add(_, v) => matches!(tag(v).as_str(), "N" | "SS" | "NS" | "BS"),
            Clause::Delete(_, v) => matches!(tag(v).as_str(), "SS" | "NS" | "BS"),
            _ => true,
        })
    }

    /// Applies the update to `item`; `Err(())` for a ValidationException found on the item.
    /// Every right-hand side reads the item as it was before the update.
    pub fn apply(&self, item: &mut Map<String, Value>) -> Result<(), Rejected> {
        self.apply_here(item).map_err(|()| Rejected)
    }

    fn apply_here(&self, item: &mut Map<String, Value>) -> Result<(), ()> {
        // A key attribute cannot be updated (checked once the condition holds, as DynamoDB
        // Local does).
        if self.0.iter().any(|c| c.target().top() == "pk") {
            return Err(());
        }
        let before = item.clone();
        let read = |p: &UPath| -> Option<Value> {
            match p {
                UPath::Top(t) => before.get(*t).cloned(),
                UPath::Index(t, i) => before
                    .get(*t)?
                    .get("L")?
                    .as_array()?
                    .get(*i as usize)
                    .cloned(),
                UPath::Key(t, k) => before.get(*t)?.get("M")?.as_object()?.get(*k).cloned(),
            }
        };
        let number = |v: &Value| -> Result<i64, ()> {
            v.get("N")
                .and_then(Value::as_str)
                .and_then(|n| n.parse().ok())
                .ok_or(())
        };
        for c in &self.0 {
            match c {
                Clause::Set(p, rhs) => {
                    let v = match rhs {
                        Rhs::Val(v) => v.clone(),
                        Rhs::Path(q) => read(q).ok_or(())?,
                        Rhs::Plus(q, n) | Rhs::Minus(q, n) => {
                            let a = number(&read(q).ok_or(())?)?;
                            let b = number(n)?;
                            let r = if matches!(rhs, Rhs::Plus(..)) {
                                a + b
                            } else {
                                a - b
                            };
                            json!({ "N": r.to_string() })
                        }
                        Rhs::IfNotExists(q, v) => read(q).unwrap_or_else(|| v.clone()),
                        Rhs::Append(q, v) | Rhs::Prepend(v, q) => {
                            let old = read(q).ok_or(())?;
                            let old = old.get("L").and_then(Value::as_array).ok_or(())?.clone();
                            let new = v["L"].as_array().cloned().unwrap_or_default();
                            let l = if matches!(rhs, Rhs::Append(..)) {
                                [old, new].concat()
                            } else {
                                [new, old].concat()
                            };
                            json!({ "L": l })
                        }
                    };
                    set(item, p, v)?;
                }
                Clause::Remove(p) => remove(item, p)?,
                Clause::Add(t, v) => {
                    let new = match (item.get(*t), v.as_object().and_then(|m| m.iter().next())) {
                        (None, _) => v.clone(),
                        (Some(old), Some((kind, _))) if kind == "N" => {
                            json!({ "N": (number(old)? + number(v)?).to_string() })
                        }
                        (Some(old), Some((kind, add))) => {
                            let mut elems =
                                old.get(kind).and_then(Value::as_array).ok_or(())?.clone();
                            for e in add.as_array().ok_or(())? {
                                if !elems.iter().any(|x| same_element(kind, x, e)) {
                                    elems.push(e.clone());
                                }
                            }
                            json!({ kind.clone(): elems })
                        }
                        _ => return Err(()),
                    };
                    item.insert(t.to_string(), new);
                }
                Clause::Delete(t, v) => {
                    let Some(old) = item.get(*t) else { continue };
                    let (kind, del) = v.as_object().and_then(|m| m.iter().next()).ok_or(())?;
                    let elems = old.get(kind).and_then(Value::as_array).ok_or(())?;
                    let del = del.as_array().ok_or(())?;
                    let left: Vec<Value> = elems
                        .iter()
                        .filter(|x| !del.iter().any(|d| same_element(kind, x, d)))
                        .cloned()
                        .collect();
                    if left.is_empty() {
                        item.remove(*t);
                    } else {
                        item.insert(t.to_string(), json!({ kind.clone(): left }));
                    }
                }
            }
        }
        Ok(())
    }
}

fn same_element(kind: &str, a: &Value, b: &Value) -> bool {
    let scalar = kind.trim_end_matches('S');
    canon(&json!({ scalar: a })) == canon(&json!({ scalar: b }))
}

/// The list attribute `t`, or an error (missing, or not a list) for a path below it.
fn list_mut<'a>(item: &'a mut Map<String, Value>, t: &str) -> Result<&'a mut Vec<Value>, ()> {
    item.get_mut(t)
        .and_then(|l| l.get_mut("L"))
        .and_then(Value::as_array_mut)
        .ok_or(())
}

/// The map attribute `t`, or an error (missing, or not a map) for a path below it.
fn map_mut<'a>(
    item: &'a mut Map<String, Value>,
    t: &str,
) -> Result<&'a mut Map<String, Value>, ()> {
    item.get_mut(t)
        .and_then(|m| m.get_mut("M"))
        .and_then(Value::as_object_mut)
        .ok_or(())
}

fn set(item: &mut Map<String, Value>, p: &UPath, v: Value) -> Result<(), ()> {
    match p {
        UPath::Top(t) => {
            item.insert(t.to_string(), v);
        }
        UPath::Index(t, i) => {
            let l = list_mut(item, t)?;
            // Past the end: appended.
            match l.get_mut(*i as usize) {
                Some(slot) => *slot = v,
                None => l.push(v),
            }
        }
        UPath::Key(t, k) => {
            let m = map_mut(item, t)?;
            m.insert(k.to_string(), v);
        }
    }
    Ok(())
}

fn remove(item: &mut Map<String, Value>, p: &UPath) -> Result<(), ()> {
    match p {
        UPath::Top(t) => {
            item.remove(*t);
        }
        UPath::Index(t, i) => {
            let l = list_mut(item, t)?;
            if (*i as usize) < l.len() {
                l.remove(*i as usize);
            }
        }
        UPath::Key(t, k) => {
            let m = map_mut(item, t)?;
            m.remove(*k);
        }
    }
    Ok(())
}
