//! Evaluating conditions against an item.
//!
//! DynamoDB's rules: a comparison between values of different types, or with a missing operand,
//! is false (`<>` is true); `<`/`>` order only strings, numbers and binaries; sets, lists and maps
//! compare for equality only. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html>.

use super::ast::{Comparator, Condition, Operand, Path, PathElem};
use crate::value::{AttributeValue, Item, Number};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The value at a document path, if there is one.
pub fn resolve<'i>(item: &'i Item, path: &Path) -> Option<&'i AttributeValue> {
    let mut elems = path.0.iter();
    let mut cur = match elems.next()? {
        PathElem::Name(n) => item.get(n)?,
        PathElem::Index(_) => return None,
    };
    for e in elems {
        cur = match (e, cur) {
            (PathElem::Name(n), AttributeValue::M(m)) => m.get(n)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Orders two scalars of the same type (S, N, B); None for anything else.
pub fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The size() of a value: string bytes, binary bytes, number of set/list/map elements.
pub(super) fn size_of(v: &AttributeValue) -> Option<usize> {
    match v {
        AttributeValue::S(s) => Some(s.len()),
        AttributeValue::B(b) => Some(b.len()),
        AttributeValue::Ss(x) => Some(x.len()),
        AttributeValue::Ns(x) => Some(x.len()),
        AttributeValue::Bs(x) => Some(x.len()),
        AttributeValue::L(x) => Some(x.len()),
        AttributeValue::M(x) => Some(x.len()),
        _ => None,
    }
}

fn operand<'i>(item: &'i Item, o: &'i Operand) -> Option<Cow<'i, AttributeValue>> {
    match o {
        Operand::Path(p) => resolve(item, p).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v.as_ref())),
        Operand::Size(p) => resolve(item, p)
            .and_then(size_of)
            .map(|n| Cow::Owned(AttributeValue::N(Number::from_i64(n as i64)))),
        _ => None,
    }
}

impl Condition {
    /// Whether `item` satisfies the condition (an empty item when there is none).
    pub fn evaluate(&self, item: &Item) -> bool {
        match self {
            Condition::True => true,
            Condition::And(a, b) => a.evaluate(item) && b.evaluate(item),
            Condition::Or(a, b) => a.evaluate(item) || b.evaluate(item),
            Condition::Not(a) => !a.evaluate(item),
            Condition::Compare(l, c, r) => {
                let (l, r) = (operand(item, l), operand(item, r));
                match (l, r) {
                    (Some(l), Some(r)) => match c {
                        Comparator::Eq => *l == *r,
                        Comparator::Ne => *l != *r,
                        _ => match compare(&l, &r) {
                            Some(o) => match c {
                                Comparator::Lt => o == Ordering::Less,
                                Comparator::Le => o != Ordering::Greater,
                                Comparator::Gt => o == Ordering::Greater,
                                Comparator::Ge => o != Ordering::Less,
                                _ => unreachable!(),
                            },
                            None => false,
                        },
                    },
                    _ => *c == Comparator::Ne,
                }
            }
            Condition::Between(v, lo, hi) => {
                match (operand(item, v), operand(item, lo), operand(item, hi)) {
                    (Some(v), Some(lo), Some(hi)) => {
                        compare(&v, &lo).is_some_and(|o| o != Ordering::Less)
                            && compare(&v, &hi).is_some_and(|o| o != Ordering::Greater)
                    }
                    _ => false,
                }
            }
            Condition::In(v, list) => match operand(item, v) {
                Some(v) => list
                    .iter()
                    .any(|o| operand(item, o).is_some_and(|x| *x == *v)),
                None => false,
            },
            Condition::AttributeExists(p) => resolve(item, p).is_some(),
            Condition::AttributeNotExists(p) => resolve(item, p).is_none(),
            Condition::AttributeType(p, t) => match (resolve(item, p), operand(item, t)) {
                (Some(v), Some(t)) => matches!(&*t, AttributeValue::S(s) if s == v.type_name()),
                _ => false,
            },
            Condition::BeginsWith(a, b) => match (operand(item, a), operand(item, b)) {
                (Some(a), Some(b)) => match (&*a, &*b) {
                    (AttributeValue::S(x), AttributeValue::S(y)) => x.starts_with(y.as_str()),
                    (AttributeValue::B(x), AttributeValue::B(y)) => x.starts_with(y),
                    _ => false,
                },
                _ => false,
            },
            Condition::Contains(a, b) => match (operand(item, a), operand(item, b)) {
                (Some(a), Some(b)) => contains(&a, &b),
                _ => false,
            },
        }
    }
}

fn contains(a: &AttributeValue, b: &AttributeValue) -> bool {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.contains(y.as_str()),
        (AttributeValue::B(x), AttributeValue::B(y)) => {
            // A linear-time search: the naive window scan is quadratic on adversarial bytes.
            memchr::memmem::find(x, y).is_some()
        }
        (AttributeValue::Ss(x), AttributeValue::S(y)) => {
            x.binary_search_by(|e| e.as_str().cmp(y)).is_ok()
        }
        (AttributeValue::Ns(x), AttributeValue::N(y)) => x.binary_search(y).is_ok(),
        (AttributeValue::Bs(x), AttributeValue::B(y)) => x.binary_search(y).is_ok(),
        (AttributeValue::L(x), y) => x.iter().any(|e| e == y),
        _ => false,
    }
}
