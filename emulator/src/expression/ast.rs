//! The expression language's syntax tree, after placeholders are resolved.

use crate::value::AttributeValue;
use std::fmt;

/// One step of a document path: a map key (attribute name) or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElem {
    Name(String),
    Index(usize),
}

/// A document path such as `a.b[2].c`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<PathElem>);

impl Path {
    pub fn top(&self) -> &str {
        match &self.0[0] {
            PathElem::Name(n) => n,
            PathElem::Index(_) => "",
        }
    }
    pub fn attribute(name: &str) -> Path {
        Path(vec![PathElem::Name(name.to_string())])
    }
}

/// DynamoDB prints paths in errors as `[a, b, [2]]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| match e {
                PathElem::Name(n) => n.clone(),
                PathElem::Index(i) => format!("[{i}]"),
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

/// A value-producing operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    /// A value placeholder's value, shared by every use of the placeholder (a request may use
    /// one large value hundreds of times; each use must not copy it).
    Value(std::sync::Arc<AttributeValue>),
    /// `size(path)`
    Size(Path),
    /// `if_not_exists(path, operand)` (updates only)
    IfNotExists(Path, Box<Operand>),
    /// `list_append(a, b)` (updates only)
    ListAppend(Box<Operand>, Box<Operand>),
    /// `a + b` (updates only)
    Plus(Box<Operand>, Box<Operand>),
    /// `a - b` (updates only)
    Minus(Box<Operand>, Box<Operand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition (ConditionExpression, FilterExpression, and the converted legacy forms).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a = b`, `a < b`, ...
    Compare(Operand, Comparator, Operand),
    /// `a BETWEEN low AND high`.
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, ...)`.
    In(Operand, Vec<Operand>),
    /// `a AND b`.
    And(Box<Condition>, Box<Condition>),
    /// `a OR b`.
    Or(Box<Condition>, Box<Condition>),
    /// `NOT a`.
    Not(Box<Condition>),
    /// `attribute_exists(path)`.
    AttributeExists(Path),
    /// `attribute_not_exists(path)`.
    AttributeNotExists(Path),
    /// `attribute_type(path, :type)`.
    AttributeType(Path, Operand),
    /// `begins_with(a, prefix)`.
    BeginsWith(Operand, Operand),
    /// `contains(a, b)`: a substring, a set member or a list element.
    Contains(Operand, Operand),
    /// Always true (an empty legacy Expected map).
    True,
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set(Path, Operand),
    Remove(Path),
    /// `ADD path value`; `append_lists` is the legacy AttributeUpdates ADD, which appends lists.
    Add(Path, Operand, bool),
    Delete(Path, Operand),
}

impl UpdateAction {
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

impl Operand {
    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            Operand::Path(p) | Operand::Size(p) => out.push(p),
            Operand::Value(_) => {}
            Operand::IfNotExists(p, o) => {
                out.push(p);
                o.collect_paths(out);
            }
            Operand::ListAppend(a, b) | Operand::Plus(a, b) | Operand::Minus(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
        }
    }
}

impl Condition {
    /// Every document path the condition reads (for checks such as "no key attributes in a
    /// Query filter").
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            Condition::Compare(a, _, b)
            | Condition::BeginsWith(a, b)
            | Condition::Contains(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Condition::Between(a, b, c) => {
                a.collect_paths(out);
                b.collect_paths(out);
                c.collect_paths(out);
            }
            Condition::In(a, list) => {
                a.collect_paths(out);
                for o in list {
                    o.collect_paths(out);
                }
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Condition::Not(a) => a.collect_paths(out),
            Condition::AttributeExists(p) | Condition::AttributeNotExists(p) => out.push(p),
            Condition::AttributeType(p, o) => {
                out.push(p);
                o.collect_paths(out);
            }
            Condition::True => {}
        }
    }
}
