//! Applying an update expression to an item.
//!
//! Every operand is evaluated against the item as it was before the update (so `SET a = b, b = a`
//! swaps), then the actions apply: SET, REMOVE (list elements by their original indexes), ADD,
//! DELETE. See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html>.

use super::ast::{Operand, Path, PathElem, UpdateAction};
use super::condition::resolve;
use super::projection::project;
use crate::error::{DynamoError, Result};
use crate::value::{attribute_size, AttributeValue, Item, MAX_ITEM_SIZE};

/// A parsed update: its actions, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateExpression {
    /// The SET, REMOVE, ADD and DELETE actions, in the order given.
    pub actions: Vec<UpdateAction>,
}

fn wrong_type() -> DynamoError {
    DynamoError::validation("An operand in the update expression has an incorrect data type")
}

fn missing() -> DynamoError {
    DynamoError::validation(
        "The provided expression refers to an attribute that does not exist in the item",
    )
}

fn too_large() -> DynamoError {
    DynamoError::validation("Item size to update has exceeded the maximum allowed size")
}

fn invalid_path() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

fn eval(item: &Item, o: &Operand) -> Result<AttributeValue> {
    match o {
        Operand::Value(v) => Ok(v.as_ref().clone()),
        Operand::Path(p) => resolve(item, p).cloned().ok_or_else(missing),
        Operand::IfNotExists(p, v) => match resolve(item, p) {
            Some(x) => Ok(x.clone()),
            None => eval(item, v),
        },
        Operand::ListAppend(a, b) => match (eval(item, a)?, eval(item, b)?) {
            (AttributeValue::L(mut x), AttributeValue::L(y)) => {
                x.extend(y);
                let list = AttributeValue::L(x);
                // Nested list_appends of one large value would otherwise grow without bound
                // before the item's size is checked.
                if attribute_size(&list) > MAX_ITEM_SIZE {
                    return Err(too_large());
                }
                Ok(list)
            }
            _ => Err(wrong_type()),
        },
        Operand::Plus(a, b) | Operand::Minus(a, b) => match (eval(item, a)?, eval(item, b)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                Ok(AttributeValue::N(if matches!(o, Operand::Plus(..)) {
                    x.add(&y)?
                } else {
                    x.sub(&y)?
                }))
            }
            _ => Err(wrong_type()),
        },
        Operand::Size(_) => Err(wrong_type()),
    }
}

/// The parent container of a path's last element, for writing.
fn parent_mut<'i>(item: &'i mut Item, path: &Path) -> Result<Option<&'i mut AttributeValue>> {
    if path.0.len() == 1 {
        return Ok(None);
    }
    let mut elems = path.0[..path.0.len() - 1].iter();
    let first = match elems.next() {
        Some(PathElem::Name(n)) => n,
        _ => return Err(invalid_path()),
    };
    let mut cur = item.get_mut(first).ok_or_else(invalid_path)?;
    for e in elems {
        cur = match (e, cur) {
            (PathElem::Name(n), AttributeValue::M(m)) => m.get_mut(n).ok_or_else(invalid_path)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get_mut(*i).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    Ok(Some(cur))
}

fn set_path(item: &mut Item, path: &Path, value: AttributeValue) -> Result<()> {
    let last = path.0.last().expect("paths are not empty");
    match parent_mut(item, path)? {
        None => {
            if let PathElem::Name(n) = last {
                item.insert(n.clone(), value);
            }
        }
        Some(parent) => match (last, parent) {
            (PathElem::Name(n), AttributeValue::M(m)) => {
                m.insert(n.clone(), value);
            }
            (PathElem::Index(i), AttributeValue::L(l)) => {
                if *i < l.len() {
                    l[*i] = value;
                } else {
                    l.push(value);
                }
            }
            _ => return Err(invalid_path()),
        },
    }
    Ok(())
}

fn remove_path(item: &mut Item, path: &Path) -> Result<()> {
    let last = path.0.last().expect("paths are not empty");
    // Removing below something that is not there (or is not a list or map) is refused, as
    // DynamoDB Local answers; only the last element may be missing.
    let parent = parent_mut(item, path).map_err(|_| invalid_path())?;
    match parent {
        None => {
            if let PathElem::Name(n) = last {
                item.remove(n);
            }
        }
        Some(parent) => match (last, parent) {
            (PathElem::Name(n), AttributeValue::M(m)) => {
                m.remove(n);
            }
            (PathElem::Index(i), AttributeValue::L(l)) => {
                if *i < l.len() {
                    l.remove(*i);
                }
            }
            _ => return Err(invalid_path()),
        },
    }
    Ok(())
}

impl UpdateExpression {
    /// Applies the update to `item` (the existing item, or one holding only the key).
    pub fn apply(&self, item: &mut Item) -> Result<()> {
        let original = item.clone();
        // Evaluate every operand against the original item first.
        let mut sets = Vec::new();
        let mut adds = Vec::new();
        let mut deletes = Vec::new();
        let mut removes = Vec::new();
        // Every SET and ADD lands at its own path, so values that together exceed the item
        // size limit can only make an item too large: stop before holding them all.
        let mut written = 0usize;
        let mut budget = |v: &AttributeValue| {
            written = written.saturating_add(attribute_size(v));
            if written > MAX_ITEM_SIZE {
                Err(too_large())
            } else {
                Ok(())
            }
        };
        for a in &self.actions {
            match a {
                UpdateAction::Set(p, o) => {
                    let v = eval(&original, o)?;
                    budget(&v)?;
                    sets.push((p, v))
                }
                UpdateAction::Add(p, o, lists) => {
                    let v = eval(&original, o)?;
                    budget(&v)?;
                    adds.push((p, v, *lists))
                }
                UpdateAction::Delete(p, o) => deletes.push((p, eval(&original, o)?)),
                UpdateAction::Remove(p) => removes.push(p),
            }
        }
        for (p, v) in sets {
            set_path(item, p, v)?;
        }
        // Remove list elements from the highest index down, so indexes mean the original ones.
        removes.sort_by_key(|p| std::cmp::Reverse(p.cmp_key()));
        for p in removes {
            remove_path(item, p)?;
        }
        for (p, v, lists) in adds {
            let new = match (resolve(item, p), v) {
                (None, v) => v,
                (Some(AttributeValue::N(x)), AttributeValue::N(y)) => AttributeValue::N(x.add(&y)?),
                (Some(AttributeValue::Ss(x)), AttributeValue::Ss(y)) => {
                    AttributeValue::Ss(union(x, y))
                }
                (Some(AttributeValue::Ns(x)), AttributeValue::Ns(y)) => {
                    AttributeValue::Ns(union(x, y))
                }
                (Some(AttributeValue::Bs(x)), AttributeValue::Bs(y)) => {
                    AttributeValue::Bs(union(x, y))
                }
                (Some(AttributeValue::L(x)), AttributeValue::L(y)) if lists => {
                    let mut l = x.clone();
                    l.extend(y);
                    AttributeValue::L(l)
                }
                _ => return Err(wrong_type()),
            };
            set_path(item, p, new)?;
        }
        for (p, v) in deletes {
            let new = match (resolve(item, p), &v) {
                (None, _) => continue,
                (Some(AttributeValue::Ss(x)), AttributeValue::Ss(y)) => {
                    difference(x, y).map(AttributeValue::Ss)
                }
                (Some(AttributeValue::Ns(x)), AttributeValue::Ns(y)) => {
                    difference(x, y).map(AttributeValue::Ns)
                }
                (Some(AttributeValue::Bs(x)), AttributeValue::Bs(y)) => {
                    difference(x, y).map(AttributeValue::Bs)
                }
                _ => return Err(wrong_type()),
            };
            match new {
                Some(v) => set_path(item, p, v)?,
                None => remove_path(item, p)?,
            }
        }
        Ok(())
    }

    /// Top-level attributes the update writes or removes.
    pub fn top_level_names(&self) -> Vec<&str> {
        self.actions.iter().map(|a| a.path().top()).collect()
    }

    /// The attributes of `item` the update touched, nested paths kept nested (ReturnValues
    /// UPDATED_OLD/UPDATED_NEW).
    pub fn project_updated(&self, item: &Item) -> Item {
        let paths: Vec<Path> = self.actions.iter().map(|a| a.path().clone()).collect();
        project(item, &paths)
    }
}

impl Path {
    /// Sort key for removal order: the path's elements with indexes comparable.
    fn cmp_key(&self) -> Vec<(u8, String, usize)> {
        self.0
            .iter()
            .map(|e| match e {
                PathElem::Name(n) => (0, n.clone(), 0),
                PathElem::Index(i) => (1, String::new(), *i),
            })
            .collect()
    }
}

fn union<T: Ord + Clone>(x: &[T], y: Vec<T>) -> Vec<T> {
    let mut v: Vec<T> = x.to_vec();
    v.extend(y);
    v.sort();
    v.dedup();
    v
}

fn difference<T: Ord + Clone>(x: &[T], y: &[T]) -> Option<Vec<T>> {
    let v: Vec<T> = x
        .iter()
        .filter(|e| y.binary_search(e).is_err())
        .cloned()
        .collect();
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}
