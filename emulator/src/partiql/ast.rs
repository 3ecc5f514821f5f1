//! A PartiQL statement as parsed, before its `?` parameters are bound.

use crate::expression::{Comparator, Path};
use crate::value::AttributeValue;

/// One PartiQL statement of DynamoDB's subset.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT ... FROM table[.index] [WHERE ...] [ORDER BY ...]`
    Select(Select),
    /// `INSERT INTO table VALUE {...}`
    Insert(Insert),
    /// `UPDATE table SET ... REMOVE ... WHERE ... [RETURNING ...]`
    Update(Update),
    /// `DELETE FROM table WHERE ... [RETURNING ALL OLD *]`
    Delete(Delete),
    /// `EXISTS(SELECT * FROM table WHERE ...)`: a condition check (ExecuteTransaction only).
    Exists(Select),
}

/// What a statement reads or writes: a table, or (for SELECT) one of its indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The table's name.
    pub table: String,
    /// The index, from `"table"."index"`.
    pub index: Option<String>,
}

/// A SELECT.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// The document paths to return; `None` is `*`.
    pub projection: Option<Vec<Path>>,
    /// The table or index.
    pub from: Target,
    /// The WHERE clause.
    pub filter: Option<Expr>,
    /// `ORDER BY path [DESC]`: the path and whether it is descending.
    pub order_by: Option<(Path, bool)>,
}

/// An INSERT.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// The table (never an index).
    pub table: String,
    /// The item: a tuple (map) literal, parameters allowed inside.
    pub value: Expr,
}

/// One clause of an UPDATE.
#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `SET path = value`
    Set(Path, Expr),
    /// `REMOVE path`
    Remove(Path),
}

/// Which attributes `RETURNING` asks for: `ALL OLD *`, `MODIFIED OLD *`, `ALL NEW *`,
/// `MODIFIED NEW *` (UpdateItem's `ReturnValues`, spelled in PartiQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    /// `ALL OLD *`
    AllOld,
    /// `MODIFIED OLD *`
    ModifiedOld,
    /// `ALL NEW *`
    AllNew,
    /// `MODIFIED NEW *`
    ModifiedNew,
}

/// An UPDATE.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The table.
    pub table: String,
    /// The SET and REMOVE clauses, in order.
    pub assignments: Vec<Assignment>,
    /// The WHERE clause: it must pin the whole primary key.
    pub filter: Expr,
    /// `RETURNING ...`
    pub returning: Option<Returning>,
}

/// A DELETE.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// The table.
    pub table: String,
    /// The WHERE clause: it must pin the whole primary key.
    pub filter: Expr,
    /// `RETURNING ALL OLD *`
    pub returning: Option<Returning>,
}

/// PartiQL's functions in DynamoDB's subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `begins_with(path, prefix)`
    BeginsWith,
    /// `contains(path, operand)`
    Contains,
    /// `attribute_type(path, type)`
    AttributeType,
    /// `size(path)`
    Size,
    /// `attribute_exists(path)`
    AttributeExists,
    /// `attribute_not_exists(path)`
    AttributeNotExists,
    /// `list_append(a, b)` (UPDATE only)
    ListAppend,
    /// `set_add(path, set)` (UPDATE only)
    SetAdd,
    /// `set_delete(path, set)` (UPDATE only)
    SetDelete,
    /// `if_not_exists(path, value)` (UPDATE only)
    IfNotExists,
}

impl Function {
    /// The function a (case-insensitive) name calls.
    pub fn from_name(name: &str) -> Option<Function> {
        Some(match name.to_ascii_lowercase().as_str() {
            "begins_with" => Function::BeginsWith,
            "contains" => Function::Contains,
            "attribute_type" => Function::AttributeType,
            "size" => Function::Size,
            "attribute_exists" => Function::AttributeExists,
            "attribute_not_exists" => Function::AttributeNotExists,
            "list_append" => Function::ListAppend,
            "set_add" => Function::SetAdd,
            "set_delete" => Function::SetDelete,
            "if_not_exists" => Function::IfNotExists,
            _ => return None,
        })
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Function::Size | Function::AttributeExists | Function::AttributeNotExists => 1,
            _ => 2,
        }
    }

    /// Its name as written in DynamoDB's documentation.
    pub fn name(self) -> &'static str {
        match self {
            Function::BeginsWith => "begins_with",
            Function::Contains => "contains",
            Function::AttributeType => "attribute_type",
            Function::Size => "size",
            Function::AttributeExists => "attribute_exists",
            Function::AttributeNotExists => "attribute_not_exists",
            Function::ListAppend => "list_append",
            Function::SetAdd => "set_add",
            Function::SetDelete => "set_delete",
            Function::IfNotExists => "if_not_exists",
        }
    }
}

/// `IS [NOT] MISSING` / `IS [NOT] NULL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsWhat {
    /// The attribute is absent.
    Missing,
    /// The attribute is absent or a NULL (PartiQL's NULL covers MISSING).
    Null,
}

/// An expression: a value, a path, a call or a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A document path (`a.b[2]`, `"a"."b"`).
    Path(Path),
    /// A scalar literal: `'text'`, `12.5`, `true`, `null`.
    Literal(AttributeValue),
    /// The n-th `?` (0-based).
    Param(usize),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{'k': v}`
    Map(Vec<(String, Expr)>),
    /// `<<a, b>>`: a string, number or binary set.
    Set(Vec<Expr>),
    /// `f(args)`
    Call(Function, Vec<Expr>),
    /// `a + b` (`true`) or `a - b` (`false`), in SET only.
    Arith(Box<Expr>, bool, Box<Expr>),
    /// `a = b`, `a < b`, ...
    Compare(Box<Expr>, Comparator, Box<Expr>),
    /// `a BETWEEN b AND c`
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `a IN [b, c]` or `a IN (b, c)`
    In(Box<Expr>, Vec<Expr>),
    /// `a AND b`
    And(Box<Expr>, Box<Expr>),
    /// `a OR b`
    Or(Box<Expr>, Box<Expr>),
    /// `NOT a`
    Not(Box<Expr>),
    /// `a IS [NOT] MISSING|NULL`: the operand, what, and whether negated.
    Is(Box<Expr>, IsWhat, bool),
}
