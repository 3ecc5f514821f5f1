//! Projection expressions: which attributes, or parts of nested documents, a read returns.

use super::ast::{Path, PathElem};
use crate::value::{AttributeValue, Item};
use std::collections::BTreeMap;

/// A parsed projection: the document paths to return.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The document paths to return, in the order given.
    pub paths: Vec<Path>,
}

impl Projection {
    /// The item with only the projected paths (nested structure kept; selected list elements
    /// in index order).
    pub fn apply(&self, item: &Item) -> Item {
        project(item, &self.paths)
    }

    /// The top-level attributes named.
    pub fn top_level_names(&self) -> Vec<&str> {
        self.paths.iter().map(Path::top).collect()
    }
}

/// A tree of requested path elements.
#[derive(Default)]
struct Tree {
    whole: bool,
    names: BTreeMap<String, Tree>,
    indexes: BTreeMap<usize, Tree>,
}

fn select(v: &AttributeValue, t: &Tree) -> Option<AttributeValue> {
    if t.whole {
        return Some(v.clone());
    }
    match v {
        AttributeValue::M(m) if !t.names.is_empty() => {
            let out: Item = t
                .names
                .iter()
                .filter_map(|(k, sub)| {
                    m.get(k)
                        .and_then(|x| select(x, sub))
                        .map(|x| (k.clone(), x))
                })
                .collect();
            if out.is_empty() {
                None
            } else {
                Some(AttributeValue::M(out))
            }
        }
        AttributeValue::L(l) if !t.indexes.is_empty() => {
            let out: Vec<AttributeValue> = t
                .indexes
                .iter()
                .filter_map(|(i, sub)| l.get(*i).and_then(|x| select(x, sub)))
                .collect();
            if out.is_empty() {
                None
            } else {
                Some(AttributeValue::L(out))
            }
        }
        _ => None,
    }
}

/// Projects `item` onto `paths`.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut root = Tree::default();
    for p in paths {
        let mut node = &mut root;
        for e in &p.0 {
            node = match e {
                PathElem::Name(n) => node.names.entry(n.clone()).or_default(),
                PathElem::Index(i) => node.indexes.entry(*i).or_default(),
            };
        }
        node.whole = true;
    }
    root.names
        .iter()
        .filter_map(|(k, sub)| {
            item.get(k)
                .and_then(|v| select(v, sub))
                .map(|v| (k.clone(), v))
        })
        .collect()
}
