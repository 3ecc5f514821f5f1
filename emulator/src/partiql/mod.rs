//! PartiQL, DynamoDB's SQL-compatible query language: the statements of ExecuteStatement,
//! BatchExecuteStatement and ExecuteTransaction.
//!
//! DynamoDB does not run PartiQL on a second engine: it translates each statement into the
//! item operation it stands for (a SELECT that pins the partition key is a Query, any other
//! SELECT a Scan with a filter, an INSERT a conditional PutItem, an UPDATE a conditional
//! UpdateItem, a DELETE a DeleteItem), and charges, throttles and pages it as that operation.
//! The emulator does the same: this module parses a statement ([`parse`]) and binds its `?`
//! parameters into the expression language's syntax tree ([`Binder`]); the operations layer
//! plans it onto the existing commands.
//! Reference: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.html>.

mod ast;
mod parser;
#[cfg(test)]
mod tests;

pub use ast::{
    Assignment, Delete, Expr, Function, Insert, IsWhat, Returning, Select, Statement, Target,
    Update,
};
pub use parser::parse;

use crate::error::{DynamoError, Result};
use crate::expression::{Comparator, Condition, Operand, Path, UpdateAction};
use crate::value::{AttributeValue, Item};
use std::sync::Arc;

/// The statement's `?` parameters, bound in order.
pub struct Binder<'a> {
    params: &'a [AttributeValue],
}

fn unsupported_condition(what: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Unsupported operator in Condition Expression. Operator: {what}"
    ))
}

fn unsupported_update(what: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Unsupported operator in Update Expression. Operator: {what}"
    ))
}

/// DynamoDB's error for an operand of the wrong type, found before anything is read.
fn wrong_operand(operator: &str, v: &AttributeValue) -> DynamoError {
    DynamoError::validation(format!(
        "Incorrect operand type for operator or function; operator or function: {operator}, operand type: {}",
        v.type_name()
    ))
}

fn arity(f: Function, args: &[Expr]) -> Result<()> {
    if args.len() != f.arity() {
        return Err(DynamoError::validation(format!(
            "Incorrect number of arguments to function {}: expected {}, found {}",
            f.name(),
            f.arity(),
            args.len()
        )));
    }
    Ok(())
}

impl<'a> Binder<'a> {
    /// A binder for a statement with `expected` placeholders: DynamoDB's error if the request
    /// brings another number of parameters.
    pub fn new(params: &'a [AttributeValue], expected: usize) -> Result<Binder<'a>> {
        if params.len() != expected {
            return Err(DynamoError::validation(
                "Number of parameters in request and statement don't match.",
            ));
        }
        Ok(Binder { params })
    }

    /// A value expression (literal, parameter, list, tuple, bag) as an attribute value.
    pub fn value(&self, e: &Expr) -> Result<AttributeValue> {
        Ok(match e {
            Expr::Literal(v) => v.clone(),
            Expr::Param(i) => self.params.get(*i).cloned().ok_or_else(|| {
                DynamoError::validation(
                    "Number of parameters in request and statement don't match.",
                )
            })?,
            Expr::List(items) | Expr::Set(items)
                if items.iter().any(|i| matches!(i, Expr::Param(_))) =>
            {
                let at = items
                    .iter()
                    .position(|i| matches!(i, Expr::Param(_)))
                    .unwrap_or(0);
                return Err(DynamoError::validation(format!(
                    "Unsupported data type: Parameter under key root[{at}]"
                )));
            }
            Expr::List(items) => {
                AttributeValue::L(items.iter().map(|i| self.value(i)).collect::<Result<_>>()?)
            }
            Expr::Map(entries) => {
                let mut m = Item::new();
                for (k, v) in entries {
                    if m.insert(k.clone(), self.value(v)?).is_some() {
                        return Err(DynamoError::validation(format!(
                            "Duplicate keys in tuple. Key: {k}"
                        )));
                    }
                }
                AttributeValue::M(m)
            }
            Expr::Set(items) => {
                if items.is_empty() {
                    return Err(DynamoError::validation("Empty bags are not supported"));
                }
                let values = items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<Vec<_>>>()?;
                let mixed = || {
                    DynamoError::validation(
                        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
                    )
                };
                match &values[0] {
                    AttributeValue::S(_) => AttributeValue::string_set(
                        values
                            .into_iter()
                            .map(|v| match v {
                                AttributeValue::S(s) => Ok(s.into_string()),
                                _ => Err(mixed()),
                            })
                            .collect::<Result<_>>()?,
                    )?,
                    AttributeValue::N(_) => AttributeValue::number_set(
                        values
                            .into_iter()
                            .map(|v| match v {
                                AttributeValue::N(n) => Ok(n),
                                _ => Err(mixed()),
                            })
                            .collect::<Result<_>>()?,
                    )?,
                    AttributeValue::B(_) => AttributeValue::binary_set(
                        values
                            .into_iter()
                            .map(|v| match v {
                                AttributeValue::B(b) => Ok(b),
                                _ => Err(mixed()),
                            })
                            .collect::<Result<_>>()?,
                    )?,
                    _ => return Err(mixed()),
                }
            }
            Expr::Path(p) => {
                return Err(DynamoError::validation(format!(
                    "Unsupported data type: {} (a path where a value is expected)",
                    p.0.first().map(|_| path_text(p)).unwrap_or_default()
                )))
            }
            _ => {
                return Err(unsupported_condition(
                    "expression where a value is expected",
                ))
            }
        })
    }

    /// An INSERT's item.
    pub fn item(&self, e: &Expr) -> Result<Item> {
        match self.value(e)? {
            AttributeValue::M(m) => Ok(m),
            _ => Err(DynamoError::validation(
                "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
            )),
        }
    }

    fn is_value(e: &Expr) -> bool {
        matches!(
            e,
            Expr::Literal(_) | Expr::Param(_) | Expr::List(_) | Expr::Map(_) | Expr::Set(_)
        )
    }

    /// An operand of a condition: a path, a value or `size(path)`.
    fn operand(&self, e: &Expr) -> Result<Operand> {
        match e {
            Expr::Path(p) => Ok(Operand::Path(p.clone())),
            Expr::Call(Function::Size, args) => {
                arity(Function::Size, args)?;
                match &args[0] {
                    Expr::Path(p) => Ok(Operand::Size(p.clone())),
                    _ => Err(unsupported_condition("size of a value")),
                }
            }
            Expr::Call(f, _) => Err(unsupported_condition(f.name())),
            e if Self::is_value(e) => Ok(Operand::Value(Arc::new(self.value(e)?))),
            Expr::Arith(_, plus, _) => Err(unsupported_condition(if *plus { "+" } else { "-" })),
            _ => Err(DynamoError::validation(
                "The arguments to AND/OR must be Expressions",
            )),
        }
    }

    fn path_of(e: &Expr, what: &str) -> Result<Path> {
        match e {
            Expr::Path(p) => Ok(p.clone()),
            _ => Err(DynamoError::validation(format!(
                "The first argument to {what} must be a path"
            ))),
        }
    }

    /// A WHERE clause as a condition.
    pub fn condition(&self, e: &Expr) -> Result<Condition> {
        Ok(match e {
            Expr::Compare(a, c, b) => Condition::Compare(self.operand(a)?, *c, self.operand(b)?),
            Expr::Between(a, lo, hi) => {
                Condition::Between(self.operand(a)?, self.operand(lo)?, self.operand(hi)?)
            }
            Expr::In(a, list) => Condition::In(
                self.operand(a)?,
                list.iter()
                    .map(|o| self.operand(o))
                    .collect::<Result<_>>()?,
            ),
            Expr::And(a, b) => {
                Condition::And(Box::new(self.condition(a)?), Box::new(self.condition(b)?))
            }
            Expr::Or(a, b) => {
                Condition::Or(Box::new(self.condition(a)?), Box::new(self.condition(b)?))
            }
            Expr::Not(a) => Condition::Not(Box::new(self.condition(a)?)),
            Expr::Is(a, what, negated) => {
                let Expr::Path(p) = a.as_ref() else {
                    return Err(DynamoError::validation(
                        "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
                    ));
                };
                let missing = Condition::AttributeNotExists(p.clone());
                let absent = match what {
                    IsWhat::Missing => missing,
                    // PartiQL's NULL covers MISSING: `a IS NULL` holds for an absent
                    // attribute and for a NULL one.
                    IsWhat::Null => Condition::Or(
                        Box::new(missing),
                        Box::new(Condition::AttributeType(
                            p.clone(),
                            Operand::Value(Arc::new(AttributeValue::S("NULL".into()))),
                        )),
                    ),
                };
                if *negated {
                    Condition::Not(Box::new(absent))
                } else {
                    absent
                }
            }
            Expr::Call(f, args) => {
                arity(*f, args)?;
                match f {
                    Function::BeginsWith => {
                        Condition::BeginsWith(self.operand(&args[0])?, self.operand(&args[1])?)
                    }
                    Function::Contains => {
                        Condition::Contains(self.operand(&args[0])?, self.operand(&args[1])?)
                    }
                    Function::AttributeExists => {
                        Condition::AttributeExists(Self::path_of(&args[0], "attribute_exists")?)
                    }
                    Function::AttributeNotExists => Condition::AttributeNotExists(Self::path_of(
                        &args[0],
                        "attribute_not_exists",
                    )?),
                    Function::AttributeType => Condition::AttributeType(
                        Self::path_of(&args[0], "attribute_type")?,
                        Operand::Value(Arc::new(self.value(&args[1])?)),
                    ),
                    other => return Err(unsupported_condition(other.name())),
                }
            }
            _ => {
                return Err(DynamoError::validation(
                    "WHERE clause must contain an expression that resolves to a boolean",
                ))
            }
        })
    }

    /// A value of a SET clause: a value, a path, `a + b`, `a - b`, `list_append`,
    /// `if_not_exists`.
    fn update_operand(&self, e: &Expr) -> Result<Operand> {
        Ok(match e {
            Expr::Path(p) => Operand::Path(p.clone()),
            e if Self::is_value(e) => Operand::Value(Arc::new(self.value(e)?)),
            Expr::Arith(a, plus, b) => {
                let (a, b) = (
                    Box::new(self.update_operand(a)?),
                    Box::new(self.update_operand(b)?),
                );
                // A literal that is not a number is refused before anything is read.
                for o in [&a, &b] {
                    if let Operand::Value(v) = o.as_ref() {
                        if !matches!(v.as_ref(), AttributeValue::N(_)) {
                            return Err(wrong_operand(if *plus { "+" } else { "-" }, v));
                        }
                    }
                }
                if *plus {
                    Operand::Plus(a, b)
                } else {
                    Operand::Minus(a, b)
                }
            }
            Expr::Call(Function::ListAppend, args) => {
                arity(Function::ListAppend, args)?;
                let (a, b) = (
                    Box::new(self.update_operand(&args[0])?),
                    Box::new(self.update_operand(&args[1])?),
                );
                for o in [&a, &b] {
                    if let Operand::Value(v) = o.as_ref() {
                        if !matches!(v.as_ref(), AttributeValue::L(_)) {
                            return Err(wrong_operand("list_append", v));
                        }
                    }
                }
                Operand::ListAppend(a, b)
            }
            Expr::Call(Function::IfNotExists, args) => {
                arity(Function::IfNotExists, args)?;
                Operand::IfNotExists(
                    Self::path_of(&args[0], "if_not_exists")?,
                    Box::new(self.update_operand(&args[1])?),
                )
            }
            Expr::Is(..) => {
                return Err(DynamoError::validation(
                    "IS operator is not supported in update expressions",
                ))
            }
            Expr::Call(f, _) => return Err(unsupported_update(f.name())),
            _ => return Err(unsupported_update("condition")),
        })
    }

    /// An UPDATE's SET and REMOVE clauses as update actions (`set_add` and `set_delete` are
    /// UpdateItem's ADD and DELETE of set elements).
    pub fn actions(&self, assignments: &[Assignment]) -> Result<Vec<UpdateAction>> {
        let actions = assignments
            .iter()
            .map(|a| match a {
                Assignment::Remove(p) => Ok(UpdateAction::Remove(p.clone())),
                Assignment::Set(
                    p,
                    Expr::Call(f @ (Function::SetAdd | Function::SetDelete), args),
                ) => {
                    let which = if *f == Function::SetAdd {
                        "ADD"
                    } else {
                        "DELETE"
                    };
                    if args.len() != 2 {
                        return Err(DynamoError::validation(format!(
                            "SET_{which} must have exactly two arguments"
                        )));
                    }
                    if !matches!(&args[0], Expr::Path(q) if q == p) {
                        return Err(DynamoError::validation(format!(
                            "The first argument to SET_{which} must equal the assignment value"
                        )));
                    }
                    let set = self.value(&args[1])?;
                    if !matches!(
                        set,
                        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                    ) {
                        return Err(DynamoError::validation(format!(
                            "The second argument to SET_{which} must be a value with type SET"
                        )));
                    }
                    let value = Operand::Value(Arc::new(set));
                    Ok(if *f == Function::SetAdd {
                        UpdateAction::Add(p.clone(), value, false)
                    } else {
                        UpdateAction::Delete(p.clone(), value)
                    })
                }
                Assignment::Set(p, e) => Ok(UpdateAction::Set(p.clone(), self.update_operand(e)?)),
            })
            .collect::<Result<Vec<_>>>()?;
        // Two clauses on overlapping or conflicting paths, as UpdateExpression refuses them.
        crate::expression::check_update_paths(actions.iter().map(UpdateAction::path))?;
        Ok(actions)
    }
}

/// A path as PartiQL writes it: `a.b[2]`.
pub fn path_text(p: &Path) -> String {
    let mut s = String::new();
    for (i, e) in p.0.iter().enumerate() {
        match e {
            crate::expression::PathElem::Name(n) => {
                if i > 0 {
                    s.push('.');
                }
                s.push_str(n);
            }
            crate::expression::PathElem::Index(n) => s.push_str(&format!("[{n}]")),
        }
    }
    s
}

/// The conjuncts of a condition's top-level ANDs, in order.
pub fn conjuncts(c: Condition) -> Vec<Condition> {
    fn walk(c: Condition, out: &mut Vec<Condition>) {
        match c {
            Condition::And(a, b) => {
                walk(*a, out);
                walk(*b, out);
            }
            other => out.push(other),
        }
    }
    let mut out = Vec::new();
    walk(c, &mut out);
    out
}

/// The AND of conditions (None for none).
pub fn and_all(conds: Vec<Condition>) -> Option<Condition> {
    conds
        .into_iter()
        .reduce(|a, b| Condition::And(Box::new(a), Box::new(b)))
}

/// If `c` is `attr = value` (either way round) on the top-level attribute `attr`, the value.
pub fn equality_on<'c>(c: &'c Condition, attr: &str) -> Option<&'c AttributeValue> {
    let top = |o: &Operand| matches!(o, Operand::Path(p) if p.0.len() == 1 && p.top() == attr);
    match c {
        Condition::Compare(a, Comparator::Eq, Operand::Value(v)) if top(a) => Some(v),
        Condition::Compare(Operand::Value(v), Comparator::Eq, b) if top(b) => Some(v),
        _ => None,
    }
}
