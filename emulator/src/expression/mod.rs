//! DynamoDB's expression language: condition, filter, key-condition, update and projection
//! expressions, their placeholders, and the legacy parameters that predate them.
//!
//! Each expression is parsed once per request into a syntax tree (the `ast` module) with placeholders
//! resolved; evaluation then works on typed values only.

mod ast;
mod condition;
mod legacy;
mod parser;
mod projection;
mod reserved;
mod update;

pub use ast::Condition;
pub(crate) use ast::{Comparator, Operand, Path, PathElem, UpdateAction};
pub(crate) use legacy::{
    attribute_updates_to_update, attributes_to_get_projection, expected_to_condition,
    filter_to_condition, AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition,
};
pub use projection::Projection;
pub use update::UpdateExpression;

use crate::error::{DynamoError, Result};
use crate::value::AttributeValue;
use parser::{Kind, Parser};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// The ExpressionAttributeNames and ExpressionAttributeValues of one request, and which of them
/// its expressions used (DynamoDB rejects unused ones).
pub struct Placeholders<'a> {
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a HashMap<String, AttributeValue>>,
    used_names: RefCell<BTreeSet<String>>,
    used_values: RefCell<BTreeSet<String>>,
    /// Each value placeholder's value, made once and shared by all its uses.
    shared: RefCell<HashMap<String, std::sync::Arc<AttributeValue>>>,
}

impl<'a> Placeholders<'a> {
    /// A request's ExpressionAttributeNames and ExpressionAttributeValues, none used yet.
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Self {
        Placeholders {
            names,
            values,
            used_names: RefCell::new(BTreeSet::new()),
            used_values: RefCell::new(BTreeSet::new()),
            shared: RefCell::new(HashMap::new()),
        }
    }

    fn name(&self, placeholder: &str) -> std::result::Result<String, String> {
        match self.names.and_then(|n| n.get(placeholder)) {
            Some(v) => {
                self.used_names.borrow_mut().insert(placeholder.to_string());
                Ok(v.clone())
            }
            None => Err(format!(
                "An expression attribute name used in the document path is not defined; attribute name: {placeholder}"
            )),
        }
    }

    fn value(
        &self,
        placeholder: &str,
    ) -> std::result::Result<std::sync::Arc<AttributeValue>, String> {
        match self.values.and_then(|v| v.get(placeholder)) {
            Some(v) => {
                self.used_values.borrow_mut().insert(placeholder.to_string());
                let mut shared = self.shared.borrow_mut();
                let value = shared
                    .entry(placeholder.to_string())
                    .or_insert_with(|| std::sync::Arc::new(v.clone()));
                Ok(value.clone())
            }
            None => Err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {placeholder}"
            )),
        }
    }

    /// After every expression of the request is parsed: unused placeholders are an error.
    pub fn finish(&self) -> Result<()> {
        if let Some(n) = self.names {
            let used = self.used_names.borrow();
            let mut unused: Vec<&String> = n.keys().filter(|k| !used.contains(*k)).collect();
            if !unused.is_empty() {
                unused.sort();
                return Err(DynamoError::validation(format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    unused.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        if let Some(v) = self.values {
            let used = self.used_values.borrow();
            let mut unused: Vec<&String> = v.keys().filter(|k| !used.contains(*k)).collect();
            if !unused.is_empty() {
                unused.sort();
                return Err(DynamoError::validation(format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    unused.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Parses a ConditionExpression or FilterExpression (`param` names which, for error messages).
pub fn parse_condition(text: &str, p: &mut Placeholders, param: &str) -> Result<Condition> {
    let kind = match param {
        "FilterExpression" => Kind::Filter,
        "KeyConditionExpression" => Kind::KeyCondition,
        _ => Kind::Condition,
    };
    let mut parser = Parser::new(text, kind, p)?;
    let c = parser.condition()?;
    parser.expect_end()?;
    parser.finish()?;
    Ok(c)
}

/// Checks an update's paths for overlaps and conflicts, as an UpdateExpression's are (for
/// updates built without one: PartiQL's SET and REMOVE clauses).
pub(crate) fn check_update_paths<'x>(paths: impl Iterator<Item = &'x Path>) -> Result<()> {
    parser::check_paths(Kind::Update, paths)
}

/// Parses an UpdateExpression.
pub fn parse_update(text: &str, p: &mut Placeholders) -> Result<UpdateExpression> {
    let mut parser = Parser::new(text, Kind::Update, p)?;
    let actions = parser.update()?;
    Ok(UpdateExpression { actions })
}

/// Parses a ProjectionExpression.
pub fn parse_projection(text: &str, p: &mut Placeholders) -> Result<Projection> {
    let mut parser = Parser::new(text, Kind::Projection, p)?;
    Ok(Projection {
        paths: parser.projection()?,
    })
}

#[cfg(test)]
mod tests;
