//! The legacy (pre-expression) parameters older clients still send: `Expected`,
//! `AttributeUpdates`, `AttributesToGet`, and `QueryFilter`/`ScanFilter`/`KeyConditions`
//! conditions. Each converts to the same syntax tree as its expression counterpart. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LegacyConditionalParameters.html>.

use super::ast::{Comparator, Condition, Operand, Path, UpdateAction};
use super::projection::Projection;
use super::update::UpdateExpression;
use crate::error::{DynamoError, Result};
use crate::value::attribute::WireValue;
use crate::value::AttributeValue;
use serde::Deserialize;
use std::collections::HashMap;

/// One entry of `Expected`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    pub value: Option<WireValue>,
    pub exists: Option<bool>,
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<WireValue>>,
}

/// One entry of `AttributeUpdates`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    pub value: Option<WireValue>,
    pub action: Option<String>,
}

/// One entry of `QueryFilter`, `ScanFilter` or `KeyConditions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyCondition {
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<WireValue>>,
}

impl LegacyCondition {
    /// The argument list, each value checked by DynamoDB's rules (the values come first among
    /// a condition's checks).
    pub fn arguments(&self) -> Result<Vec<AttributeValue>> {
        validate_all(self.attribute_value_list.as_deref().unwrap_or(&[]))
    }
}

fn validate_all(values: &[WireValue]) -> Result<Vec<AttributeValue>> {
    values.iter().map(|v| v.clone().validate()).collect()
}

fn invalid(detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::invalid_parameter(detail)
}

/// A ComparisonOperator applied to attribute `name` with its argument list.
fn comparison(name: &str, op: &str, args: &[AttributeValue]) -> Result<Condition> {
    let expected = match op {
        "EQ" | "NE" | "LE" | "LT" | "GE" | "GT" | "CONTAINS" | "NOT_CONTAINS" | "BEGINS_WITH" => {
            Some(1)
        }
        "NULL" | "NOT_NULL" => Some(0),
        "BETWEEN" => Some(2),
        "IN" => None,
        other => return Err(invalid(format!("Unsupported ComparisonOperator: {other}"))),
    };
    let count_ok = match expected {
        Some(n) => args.len() == n,
        None => !args.is_empty(),
    };
    if !count_ok {
        return Err(invalid(format!(
            "Invalid number of argument(s) for the {op} ComparisonOperator"
        )));
    }
    if let Some(first) = args.first() {
        if args.iter().any(|a| a.type_name() != first.type_name()) {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
    }
    let scalar_only = |v: &AttributeValue| -> Result<()> {
        if v.scalar_type().is_none() {
            return Err(invalid(format!(
                "ComparisonOperator {op} is not valid for {} AttributeValue type",
                v.type_name()
            )));
        }
        Ok(())
    };
    let path = Path::attribute(name);
    let p = || Operand::Path(path.clone());
    let v = |i: usize| Operand::Value(std::sync::Arc::new(args[i].clone()));
    Ok(match op {
        "EQ" => Condition::Compare(p(), Comparator::Eq, v(0)),
        "NE" => Condition::Compare(p(), Comparator::Ne, v(0)),
        "LE" | "LT" | "GE" | "GT" => {
            scalar_only(&args[0])?;
            let c = match op {
                "LE" => Comparator::Le,
                "LT" => Comparator::Lt,
                "GE" => Comparator::Ge,
                _ => Comparator::Gt,
            };
            Condition::Compare(p(), c, v(0))
        }
        "CONTAINS" | "NOT_CONTAINS" => {
            scalar_only(&args[0])?;
            let c = Condition::Contains(p(), v(0));
            if op == "CONTAINS" {
                c
            } else {
                // NOT_CONTAINS is true only for an attribute that exists and lacks the value.
                Condition::And(
                    Box::new(Condition::AttributeExists(path.clone())),
                    Box::new(Condition::Not(Box::new(c))),
                )
            }
        }
        "BEGINS_WITH" => {
            if !matches!(args[0], AttributeValue::S(_) | AttributeValue::B(_)) {
                return Err(invalid(format!(
                    "ComparisonOperator {op} is not valid for {} AttributeValue type",
                    args[0].type_name()
                )));
            }
            Condition::BeginsWith(p(), v(0))
        }
        "NULL" => Condition::AttributeNotExists(path),
        "NOT_NULL" => Condition::AttributeExists(path),
        "BETWEEN" => {
            scalar_only(&args[0])?;
            scalar_only(&args[1])?;
            if args[0].type_name() != args[1].type_name() {
                return Err(invalid(
                    "AttributeValues inside AttributeValueList must be of same type",
                ));
            }
            // Without the usual prefix (dynalite's suite, recorded against the service).
            if super::condition::compare(&args[0], &args[1]) == Some(std::cmp::Ordering::Greater) {
                return Err(DynamoError::validation(
                    "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
                ));
            }
            Condition::Between(p(), v(0), v(1))
        }
        _ => {
            for a in args {
                scalar_only(a)?;
            }
            Condition::In(p(), (0..args.len()).map(v).collect())
        }
    })
}

/// Joins the conditions of a legacy map with AND (or OR) as a balanced tree: the maps have no
/// size limit of their own, and a chain as deep as the map is long would overflow the stack when
/// evaluated or dropped. AND and OR are associative, so the shape changes no answer.
fn combine(conds: Vec<Condition>, operator: Option<&str>) -> Condition {
    let or = operator == Some("OR");
    let join = |a, b| {
        if or {
            Condition::Or(Box::new(a), Box::new(b))
        } else {
            Condition::And(Box::new(a), Box::new(b))
        }
    };
    let mut level = conds;
    if level.is_empty() {
        return Condition::True;
    }
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => join(a, b),
                None => a,
            });
        }
        level = next;
    }
    level.pop().unwrap_or(Condition::True)
}

fn sorted<T>(m: &HashMap<String, T>) -> Vec<(&String, &T)> {
    let mut v: Vec<(&String, &T)> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// `Expected` (with `ConditionalOperator`) as a condition.
pub fn expected_to_condition(
    expected: &HashMap<String, ExpectedAttributeValue>,
    conditional_operator: Option<&str>,
) -> Result<Condition> {
    let mut conds = Vec::new();
    for (name, e) in sorted(expected) {
        // The service's order (dynalite's suite, recorded against it): Value with
        // AttributeValueList, Exists with ComparisonOperator, an operator without arguments,
        // the argument count and types; Exists and Value last.
        if e.value.is_some() && e.attribute_value_list.is_some() {
            return Err(invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {name}"
            )));
        }
        if let Some(op) = &e.comparison_operator {
            if e.exists.is_some() {
                return Err(invalid(format!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                )));
            }
            if !matches!(op.as_str(), "NULL" | "NOT_NULL")
                && e.value.is_none()
                && e.attribute_value_list.is_none()
            {
                return Err(invalid(format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {name}"
                )));
            }
            let args: Vec<AttributeValue> = match (&e.attribute_value_list, &e.value) {
                (Some(l), _) => validate_all(l)?,
                (None, Some(v)) => vec![v.clone().validate()?],
                _ => Vec::new(),
            };
            conds.push(comparison(name, op, &args)?);
            continue;
        }
        if e.attribute_value_list.is_some() {
            return Err(invalid(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )));
        }
        match (e.exists, &e.value) {
            (Some(false), Some(_)) => {
                return Err(invalid(format!(
                    "Value cannot be used when Exists is false for Attribute: {name}"
                )))
            }
            (Some(false), None) => conds.push(Condition::AttributeNotExists(Path::attribute(name))),
            (_, Some(v)) => conds.push(Condition::Compare(
                Operand::Path(Path::attribute(name)),
                Comparator::Eq,
                Operand::Value(std::sync::Arc::new(v.clone().validate()?)),
            )),
            (Some(true), None) => {
                return Err(invalid(format!(
                    "Value must be provided when Exists is true for Attribute: {name}"
                )))
            }
            (None, None) => {
                return Err(invalid(format!(
                    "Value must be provided when Exists is null for Attribute: {name}"
                )))
            }
        }
    }
    Ok(combine(conds, conditional_operator))
}

/// `QueryFilter`/`ScanFilter` (with `ConditionalOperator`) as a condition.
pub fn filter_to_condition(
    filter: &HashMap<String, LegacyCondition>,
    conditional_operator: Option<&str>,
) -> Result<Condition> {
    let mut conds = Vec::new();
    for (name, c) in sorted(filter) {
        let op = c.comparison_operator.as_deref().ok_or_else(|| {
            DynamoError::validation(
                "1 validation error detected: Value null at 'comparisonOperator' failed to satisfy constraint: Member must not be null",
            )
        })?;
        let args = c.arguments()?;
        conds.push(comparison(name, op, &args)?);
    }
    Ok(combine(conds, conditional_operator))
}

/// `AttributeUpdates` as an update.
pub fn attribute_updates_to_update(
    updates: &HashMap<String, AttributeValueUpdate>,
) -> Result<UpdateExpression> {
    let mut actions = Vec::new();
    for (name, u) in sorted(updates) {
        let path = Path::attribute(name);
        let action = u.action.as_deref().unwrap_or("PUT");
        // The value is checked first, then whether the action may have (or lack) one.
        let value = u.value.clone().map(WireValue::validate).transpose()?;
        let operand = |v: AttributeValue| Operand::Value(std::sync::Arc::new(v));
        match (action, value) {
            ("PUT" | "ADD", None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            ("PUT", Some(v)) => actions.push(UpdateAction::Set(path, operand(v))),
            ("DELETE", None) => actions.push(UpdateAction::Remove(path)),
            ("DELETE", Some(v)) => {
                if !matches!(v, AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)) {
                    return Err(invalid(format!(
                        "DELETE action with value is not supported for the type {}",
                        v.type_name()
                    )));
                }
                actions.push(UpdateAction::Delete(path, operand(v)))
            }
            ("ADD", Some(v)) => {
                if !matches!(
                    v,
                    AttributeValue::N(_) | AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) | AttributeValue::L(_)
                ) {
                    return Err(invalid(format!(
                        "ADD action is not supported for the type {}",
                        v.type_name()
                    )));
                }
                actions.push(UpdateAction::Add(path, operand(v), true))
            }
            (other, _) => {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                )))
            }
        }
    }
    Ok(UpdateExpression { actions })
}

/// `AttributesToGet` as a projection.
pub fn attributes_to_get_projection(names: &[String]) -> Result<Projection> {
    let mut seen = std::collections::HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(invalid(format!("Duplicate value in attribute name: {n}")));
        }
    }
    Ok(Projection {
        paths: names.iter().map(|n| Path::attribute(n)).collect(),
    })
}
