//! Free-form condition expressions: generated trees of comparisons, BETWEEN, IN, functions and
//! AND/OR/NOT over the item's attributes (present or missing, of any type), rendered with
//! placeholders, and evaluated by the reference independently of the emulator's evaluator. Some
//! are invalid in the ways DynamoDB rejects before reading the item.

use crate::normalise::canon;
use crate::values::b64;
use dynamodb_emulator::Number;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// An operand of a comparison.
#[derive(Debug, Clone)]
pub enum Opnd {
    Path(&'static str),
    Size(&'static str),
    Val(Value),
}

/// A condition expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Cmp(Opnd, &'static str, Opnd),
    Between(&'static str, Value, Value),
    In(&'static str, Vec<Value>),
    Exists(&'static str, bool),
    Type(&'static str, &'static str),
    BeginsWith(&'static str, Value),
    Contains(&'static str, Value),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// Invalid on purpose: the reference answers ValidationException.
    Broken(Broken),
}

/// Ways a condition expression is invalid.
#[derive(Debug, Clone, Copy)]
pub enum Broken {
    /// `#p0 = = :e0`
    Syntax,
    /// A value placeholder with no value.
    UndefinedValue,
    /// A name placeholder with no name.
    UndefinedName,
    /// `begins_with(#p0, :e0)` with a number.
    BeginsWithNumber,
    /// `attribute_type(#p0, :e0)` with a type that does not exist.
    UnknownType,
    /// `#p0 BETWEEN :hi AND :lo` with the bounds the wrong way round.
    BetweenReversed,
    /// An unknown function.
    UnknownFunction,
}

fn path() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("v"),
        Just("c"),
        Just("l"),
        Just("pk"),
        Just("gh"),
        Just("nope")
    ]
}

/// Small scalars, so that comparisons with stored values are sometimes true.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![Just(""), Just("a"), Just("ab"), Just("b"), Just("k1")]
            .prop_map(|s| json!({ "S": s })),
        (-3i32..4).prop_map(|n| json!({ "N": n.to_string() })),
        prop_oneof![Just(vec![0x10u8]), Just(vec![0x10, 1]), Just(vec![])]
            .prop_map(|b| json!({ "B": b64(&b) })),
    ]
}

/// Small scalars (strings, numbers, binaries).
pub fn scalar_value() -> impl Strategy<Value = Value> {
    scalar()
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![3 => scalar(), 1 => crate::values::value()]
}

fn opnd() -> impl Strategy<Value = Opnd> {
    prop_oneof![
        3 => path().prop_map(Opnd::Path),
        1 => path().prop_map(Opnd::Size),
        3 => scalar().prop_map(Opnd::Val),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let types = prop_oneof![
        Just("S"),
        Just("N"),
        Just("B"),
        Just("SS"),
        Just("NS"),
        Just("L"),
        Just("M"),
        Just("BOOL"),
        Just("NULL")
    ];
    prop_oneof![
        // = and <> take any value; ordering comparisons scalars.
        (path(), prop_oneof![Just("="), Just("<>")], any_value()).prop_map(|(p, op, v)| Expr::Cmp(
            Opnd::Path(p),
            op,
            Opnd::Val(v)
        )),
        (
            opnd(),
            prop_oneof![Just("<"), Just("<="), Just(">"), Just(">=")],
            opnd()
        )
            .prop_filter("one side reads the item", |(a, _, b)| {
                !matches!((a, b), (Opnd::Val(_), Opnd::Val(_)))
            })
            .prop_map(|(a, op, b)| Expr::Cmp(a, op, b)),
        (path(), -3i32..4, 0i32..4).prop_map(|(p, lo, span)| Expr::Between(
            p,
            json!({ "N": lo.to_string() }),
            json!({ "N": (lo + span).to_string() })
        )),
        (
            path(),
            prop_oneof![Just("a"), Just("b")],
            prop_oneof![Just("b"), Just("k")]
        )
            .prop_map(|(p, lo, hi)| Expr::Between(
                p,
                json!({ "S": lo }),
                json!({ "S": hi })
            )),
        (path(), vec(any_value(), 1..4)).prop_map(|(p, vs)| Expr::In(p, vs)),
        (path(), any::<bool>()).prop_map(|(p, e)| Expr::Exists(p, e)),
        (path(), types).prop_map(|(p, t)| Expr::Type(p, t)),
        (
            path(),
            prop_oneof![
                Just(json!({ "S": "a" })),
                Just(json!({ "S": "" })),
                Just(json!({ "B": b64(&[0x10]) }))
            ]
        )
            .prop_map(|(p, v)| Expr::BeginsWith(p, v)),
        (path(), scalar()).prop_map(|(p, v)| Expr::Contains(p, v)),
    ]
}

fn broken() -> impl Strategy<Value = Broken> {
    prop_oneof![
        Just(Broken::Syntax),
        Just(Broken::UndefinedValue),
        Just(Broken::UndefinedName),
        Just(Broken::BeginsWithNumber),
        Just(Broken::UnknownType),
        Just(Broken::BetweenReversed),
        Just(Broken::UnknownFunction),
    ]
}

/// A condition expression of up to three levels, now and then an invalid one.
pub fn expr() -> impl Strategy<Value = Expr> {
    let tree = leaf().prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Expr::Not(Box::new(a))),
        ]
    });
    prop_oneof![8 => tree, 1 => broken().prop_map(Expr::Broken)]
}

/// Placeholders of one rendered expression.
#[derive(Default)]
pub struct Rendered {
    pub names: Map<String, Value>,
    pub values: Map<String, Value>,
}

impl Rendered {
    pub fn name(&mut self, p: &str) -> String {
        let key = format!("#{p}");
        self.names.insert(key.clone(), json!(p));
        key
    }
    fn value(&mut self, v: &Value) -> String {
        let key = format!(":e{}", self.values.len());
        self.values.insert(key.clone(), v.clone());
        key
    }
}

impl Expr {
    /// The expression text; names and values go to `r`.
    pub fn render(&self, r: &mut Rendered) -> String {
        let opnd = |o: &Opnd, r: &mut Rendered| match o {
            Opnd::Path(p) => r.name(p),
            Opnd::Size(p) => format!("size({})", r.name(p)),
            Opnd::Val(v) => r.value(v),
        };
        match self {
            Expr::Cmp(a, op, b) => {
                let a = opnd(a, r);
                format!("{a} {op} {}", opnd(b, r))
            }
            Expr::Between(p, lo, hi) => {
                let p = r.name(p);
                let lo = r.value(lo);
                format!("{p} BETWEEN {lo} AND {}", r.value(hi))
            }
            Expr::In(p, vs) => {
                let p = r.name(p);
                let vs: Vec<String> = vs.iter().map(|v| r.value(v)).collect();
                format!("{p} IN ({})", vs.join(", "))
            }
            Expr::Exists(p, true) => format!("attribute_exists({})", r.name(p)),
            Expr::Exists(p, false) => format!("attribute_not_exists({})", r.name(p)),
            Expr::Type(p, t) => {
                let p = r.name(p);
                format!("attribute_type({p}, {})", r.value(&json!({ "S": t })))
            }
            Expr::BeginsWith(p, v) => {
                let p = r.name(p);
                format!("begins_with({p}, {})", r.value(v))
            }
            Expr::Contains(p, v) => {
                let p = r.name(p);
                format!("contains({p}, {})", r.value(v))
            }
            Expr::And(a, b) => format!("({}) AND ({})", a.render(r), b.render(r)),
            Expr::Or(a, b) => format!("({}) OR ({})", a.render(r), b.render(r)),
            Expr::Not(a) => format!("NOT ({})", a.render(r)),
            Expr::Broken(b) => {
                let p = r.name("v");
                match b {
                    Broken::Syntax => format!("{p} = = {}", r.value(&json!({ "N": "1" }))),
                    Broken::UndefinedValue => format!("{p} = :undefined"),
                    Broken::UndefinedName => {
                        format!("#undefined = {}", r.value(&json!({ "N": "1" })))
                    }
                    Broken::BeginsWithNumber => {
                        format!("begins_with({p}, {})", r.value(&json!({ "N": "1" })))
                    }
                    Broken::UnknownType => {
                        format!("attribute_type({p}, {})", r.value(&json!({ "S": "XX" })))
                    }
                    Broken::BetweenReversed => {
                        let hi = r.value(&json!({ "N": "2" }));
                        format!("{p} BETWEEN {hi} AND {}", r.value(&json!({ "N": "1" })))
                    }
                    Broken::UnknownFunction => format!("no_such_function({p})"),
                }
            }
        }
    }

    /// Whether the expression reads attribute `p`.
    pub fn reads(&self, p: &str) -> bool {
        let o = |x: &Opnd| matches!(x, Opnd::Path(q) | Opnd::Size(q) if *q == p);
        match self {
            Expr::Cmp(a, _, b) => o(a) || o(b),
            Expr::Between(q, ..)
            | Expr::In(q, _)
            | Expr::Exists(q, _)
            | Expr::Type(q, _)
            | Expr::BeginsWith(q, _)
            | Expr::Contains(q, _) => *q == p,
            Expr::And(a, b) | Expr::Or(a, b) => a.reads(p) || b.reads(p),
            Expr::Not(a) => a.reads(p),
            Expr::Broken(_) => p == "v",
        }
    }

    /// Whether DynamoDB accepts the expression (it validates before reading the item).
    pub fn valid(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => a.valid() && b.valid(),
            Expr::Not(a) => a.valid(),
            Expr::Broken(_) => false,
            // DynamoDB refuses a comparison of an operand with itself.
            // (`size(a) < size(a)` is accepted, as DynamoDB Local does.)
            Expr::Cmp(Opnd::Path(a), _, Opnd::Path(b)) => a != b,
            _ => true,
        }
    }

    /// The expression's value on `item` (an empty map when there is no item).
    pub fn holds(&self, item: &Map<String, Value>) -> bool {
        let get = |p: &str| item.get(p);
        let opnd = |o: &Opnd| -> Option<Value> {
            match o {
                Opnd::Path(p) => get(p).cloned(),
                Opnd::Size(p) => get(p).and_then(size).map(|n| json!({ "N": n.to_string() })),
                Opnd::Val(v) => Some(v.clone()),
            }
        };
        match self {
            Expr::Cmp(a, op, b) => match (opnd(a), opnd(b)) {
                (Some(a), Some(b)) => match *op {
                    "=" => canon(&a) == canon(&b),
                    "<>" => canon(&a) != canon(&b),
                    _ => order(&a, &b).is_some_and(|o| match *op {
                        "<" => o == Ordering::Less,
                        "<=" => o != Ordering::Greater,
                        ">" => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    }),
                },
                // A missing operand is unequal to anything, and not ordered.
                _ => *op == "<>",
            },
            Expr::Between(p, lo, hi) => get(p).is_some_and(|v| {
                order(v, lo).is_some_and(|o| o != Ordering::Less)
                    && order(v, hi).is_some_and(|o| o != Ordering::Greater)
            }),
            Expr::In(p, vs) => get(p).is_some_and(|v| vs.iter().any(|x| canon(x) == canon(v))),
            Expr::Exists(p, e) => get(p).is_some() == *e,
            Expr::Type(p, t) => get(p).is_some_and(|v| tag(v) == *t),
            Expr::BeginsWith(p, v) => match (get(p), tag(v)) {
                (Some(x), "S") if tag(x) == "S" => x["S"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with(v["S"].as_str().unwrap_or("")),
                (Some(x), "B") if tag(x) == "B" => bytes(x).starts_with(&bytes(v)),
                _ => false,
            },
            Expr::Contains(p, v) => get(p).is_some_and(|x| contains(x, v)),
            Expr::And(a, b) => a.holds(item) && b.holds(item),
            Expr::Or(a, b) => a.holds(item) || b.holds(item),
            Expr::Not(a) => !a.holds(item),
            Expr::Broken(_) => false,
        }
    }
}

/// The type tag of an attribute value (`S`, `N`, `BOOL`, ...).
fn tag(v: &Value) -> &str {
    v.as_object()
        .and_then(|m| m.keys().next())
        .map(String::as_str)
        .unwrap_or("")
}

fn bytes(v: &Value) -> Vec<u8> {
    let text = v
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(Value::as_str)
        .unwrap_or("");
    b64_decode(text)
}

/// Decodes a `B` value (invalid base64, which the generators never produce, is empty).
fn b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

/// DynamoDB's `size`: bytes of a string or binary, elements of a set, list or map.
fn size(v: &Value) -> Option<usize> {
    match tag(v) {
        "S" => v["S"].as_str().map(str::len),
        "B" => Some(bytes(v).len()),
        "SS" | "NS" | "BS" | "L" => v[tag(v)].as_array().map(Vec::len),
        "M" => v["M"].as_object().map(Map::len),
        _ => None,
    }
}

/// The order of two scalars of the same type (strings and binaries bytewise, numbers by value);
/// `None` for other pairs, which no ordering comparison holds for.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (tag(a), tag(b)) {
        ("S", "S") => Some(a["S"].as_str()?.as_bytes().cmp(b["S"].as_str()?.as_bytes())),
        ("N", "N") => Some(
            Number::parse(a["N"].as_str()?)
                .ok()?
                .cmp(&Number::parse(b["N"].as_str()?).ok()?),
        ),
        ("B", "B") => Some(bytes(a).cmp(&bytes(b))),
        _ => None,
    }
}

fn contains(x: &Value, v: &Value) -> bool {
    match (tag(x), tag(v)) {
        ("S", "S") => x["S"]
            .as_str()
            .unwrap_or("")
            .contains(v["S"].as_str().unwrap_or("")),
        // Binary substrings too (not in the documentation's list; DynamoDB Local does it).
        ("B", "B") => {
            let (x, v) = (bytes(x), bytes(v));
            v.is_empty() || x.windows(v.len()).any(|w| w == v.as_slice())
        }
        ("SS", "S") | ("NS", "N") | ("BS", "B") | ("L", _) => {
            x[tag(x)].as_array().is_some_and(|a| {
                a.iter().any(|e| {
                    let e = if tag(x) == "L" {
                        e.clone()
                    } else {
                        json!({ tag(v): e })
                    };
                    canon(&e) == canon(v)
                })
            })
        }
        _ => false,
    }
}
