//! Query's key conditions: a KeyConditionExpression (or legacy KeyConditions) reduced to one
//! partition-key value and at most one sort-key condition, as DynamoDB requires.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html>.

use crate::error::{DynamoError, Result};
use crate::expression::{Comparator, Condition, LegacyCondition, Operand, PathElem};
use crate::storage::{KeySchema, KeyValue};
use crate::value::AttributeValue;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

/// A condition on the sort key, as Query allows.
#[derive(Debug, Clone)]
pub(super) enum SortCondition {
    Eq(KeyValue),
    Lt(KeyValue),
    Le(KeyValue),
    Gt(KeyValue),
    Ge(KeyValue),
    Between(KeyValue, KeyValue),
    BeginsWith(KeyValue),
    /// On a composite sort key (a GSI's, of several attributes): equalities on its first
    /// attributes, left to right, and at most one condition of the others on the next.
    Composite {
        prefix: Vec<KeyValue>,
        last: Option<Box<SortCondition>>,
    },
}

/// A composite key value from a prefix of its attributes' values and more values.
fn tuple(prefix: &[KeyValue], more: &[&KeyValue]) -> KeyValue {
    KeyValue::Tuple(prefix.iter().chain(more.iter().copied()).cloned().collect())
}

impl SortCondition {
    pub(super) fn matches(&self, v: &KeyValue) -> bool {
        match self {
            SortCondition::Eq(x) => v == x,
            SortCondition::Lt(x) => v < x,
            SortCondition::Le(x) => v <= x,
            SortCondition::Gt(x) => v > x,
            SortCondition::Ge(x) => v >= x,
            SortCondition::Between(a, b) => v >= a && v <= b,
            SortCondition::BeginsWith(p) => match (v, p) {
                (KeyValue::S(s), KeyValue::S(p)) => s.starts_with(p.as_str()),
                (KeyValue::B(s), KeyValue::B(p)) => s.starts_with(p),
                _ => false,
            },
            SortCondition::Composite { prefix, last } => match v {
                KeyValue::Tuple(vs) => {
                    vs.starts_with(prefix)
                        && last
                            .as_ref()
                            .is_none_or(|c| vs.get(prefix.len()).is_some_and(|x| c.matches(x)))
                }
                _ => false,
            },
        }
    }

    pub(super) fn lower(&self) -> Bound<KeyValue> {
        match self {
            SortCondition::Eq(x)
            | SortCondition::Ge(x)
            | SortCondition::Between(x, _)
            | SortCondition::BeginsWith(x) => Bound::Included(x.clone()),
            SortCondition::Gt(x) => Bound::Excluded(x.clone()),
            SortCondition::Lt(_) | SortCondition::Le(_) => Bound::Unbounded,
            // A tuple sorts before its extensions, and (.., x, Max) after every (.., x, ..).
            SortCondition::Composite { prefix, last } => match last.as_deref() {
                None | Some(SortCondition::Lt(_) | SortCondition::Le(_)) => {
                    Bound::Included(tuple(prefix, &[]))
                }
                Some(SortCondition::Gt(x)) => Bound::Excluded(tuple(prefix, &[x, &KeyValue::Max])),
                Some(
                    SortCondition::Eq(x)
                    | SortCondition::Ge(x)
                    | SortCondition::Between(x, _)
                    | SortCondition::BeginsWith(x),
                ) => Bound::Included(tuple(prefix, &[x])),
                Some(SortCondition::Composite { .. }) => unreachable!("one level"),
            },
        }
    }

    pub(super) fn upper(&self) -> Bound<KeyValue> {
        match self {
            SortCondition::Eq(x) | SortCondition::Le(x) | SortCondition::Between(_, x) => {
                Bound::Included(x.clone())
            }
            SortCondition::Lt(x) => Bound::Excluded(x.clone()),
            SortCondition::Gt(_) | SortCondition::Ge(_) => Bound::Unbounded,
            SortCondition::BeginsWith(p) => match prefix_successor(p) {
                Some(s) => Bound::Excluded(s),
                None => Bound::Unbounded,
            },
            SortCondition::Composite { prefix, last } => Bound::Excluded(match last.as_deref() {
                None | Some(SortCondition::Gt(_) | SortCondition::Ge(_)) => {
                    tuple(prefix, &[&KeyValue::Max])
                }
                Some(SortCondition::Lt(x)) => tuple(prefix, &[x]),
                Some(
                    SortCondition::Eq(x) | SortCondition::Le(x) | SortCondition::Between(_, x),
                ) => tuple(prefix, &[x, &KeyValue::Max]),
                Some(SortCondition::BeginsWith(p)) => match prefix_successor(p) {
                    Some(s) => tuple(prefix, &[&s]),
                    None => tuple(prefix, &[&KeyValue::Max]),
                },
                Some(SortCondition::Composite { .. }) => unreachable!("one level"),
            }),
        }
    }
}

/// The smallest value greater than every value starting with `p` (so a reverse begins_with
/// Query can seek to the end of its range).
pub(super) fn prefix_successor(p: &KeyValue) -> Option<KeyValue> {
    match p {
        KeyValue::B(b) => {
            let mut b = b.clone();
            while let Some(last) = b.pop() {
                if last < 0xff {
                    b.push(last + 1);
                    return Some(KeyValue::B(b));
                }
            }
            None
        }
        KeyValue::S(s) => {
            let mut chars: Vec<char> = s.chars().collect();
            while let Some(last) = chars.pop() {
                let mut next = last as u32 + 1;
                if (0xD800..0xE000).contains(&next) {
                    next = 0xE000;
                }
                if let Some(c) = char::from_u32(next) {
                    chars.push(c);
                    return Some(KeyValue::S(chars.into_iter().collect()));
                }
            }
            None
        }
        _ => None,
    }
}

pub(super) struct KeyCondition {
    pub(super) hash: KeyValue,
    pub(super) sort: Option<SortCondition>,
}

pub(super) fn kce_error(detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(detail.to_string())
}

pub(super) fn flatten_and(c: Condition, out: &mut Vec<Condition>) -> Result<()> {
    match c {
        Condition::And(a, b) => {
            flatten_and(*a, out)?;
            flatten_and(*b, out)
        }
        Condition::Or(..) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: OR",
        )),
        Condition::Not(..) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: NOT",
        )),
        Condition::In(..) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: IN",
        )),
        Condition::AttributeExists(_) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        )),
        Condition::AttributeNotExists(_) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: attribute_not_exists",
        )),
        Condition::AttributeType(..) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: attribute_type",
        )),
        Condition::Contains(..) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: contains",
        )),
        Condition::Compare(_, Comparator::Ne, _) => Err(kce_error(
            "Invalid operator used in KeyConditionExpression: <>",
        )),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

/// The attribute name of a key-condition operand, with DynamoDB's rules on what may appear.
pub(super) fn key_attribute(o: &Operand) -> Result<Option<String>> {
    match o {
        Operand::Path(p) => {
            if p.0.len() > 1 {
                return Err(kce_error(
                    "KeyConditionExpressions cannot have conditions on nested attributes",
                ));
            }
            match &p.0[0] {
                PathElem::Name(n) => Ok(Some(n.clone())),
                PathElem::Index(_) => Err(kce_error(
                    "KeyConditionExpressions cannot have conditions on nested attributes",
                )),
            }
        }
        Operand::Value(_) => Ok(None),
        _ => Err(kce_error(
            "KeyConditionExpressions cannot contain nested operations",
        )),
    }
}

/// An operand after the key attribute, which must be a value: another path is a second
/// attribute name (even a nested one: `b > a.b`), a function a nested operation.
fn value_operand(o: &Operand) -> Result<&AttributeValue> {
    match o {
        Operand::Value(v) => Ok(v.as_ref()),
        Operand::Path(_) => Err(kce_error(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
        )),
        _ => Err(kce_error(
            "KeyConditionExpressions cannot contain nested operations",
        )),
    }
}

pub(super) fn value_of(o: &Operand) -> Option<&AttributeValue> {
    match o {
        Operand::Value(v) => Some(v.as_ref()),
        _ => None,
    }
}

pub(super) fn flip(c: Comparator) -> Comparator {
    match c {
        Comparator::Lt => Comparator::Gt,
        Comparator::Le => Comparator::Ge,
        Comparator::Gt => Comparator::Lt,
        Comparator::Ge => Comparator::Le,
        other => other,
    }
}

/// One atom of a key condition: (attribute, comparator-ish, values).
pub(super) enum Atom {
    Cmp(String, Comparator, AttributeValue),
    Between(String, AttributeValue, AttributeValue),
    BeginsWith(String, AttributeValue),
}

impl Atom {
    fn name(&self) -> &str {
        match self {
            Atom::Cmp(n, ..) | Atom::Between(n, ..) | Atom::BeginsWith(n, _) => n,
        }
    }
}

/// What the service checks of a KeyConditionExpression's conditions before it looks at the
/// table: one condition per attribute, then at most two (dynalite's recorded answers for
/// `b > :a AND b < :a AND c = :a` and `a > :a AND b > :a AND c > :a`).
pub(super) fn check_atoms(atoms: &[Atom], max: usize) -> Result<()> {
    for (i, a) in atoms.iter().enumerate() {
        if atoms[..i].iter().any(|b| b.name() == a.name()) {
            return Err(kce_error(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
    }
    if atoms.len() > max {
        return Err(kce_error("Conditions can be of length 1 or 2 only"));
    }
    Ok(())
}

/// How many key conditions a Query may have before its table is looked up: two on a table (a
/// primary key has at most two attributes), and on an index up to the eight attributes of a
/// composite GSI key (the index's own arity is checked once it is known).
pub(super) fn max_conditions(index: Option<&str>) -> usize {
    if index.is_some() {
        2 * crate::storage::key::MAX_KEY_ATTRIBUTES
    } else {
        2
    }
}

/// A sort-key condition from an operator and its arguments (legacy names).
fn sort_condition(
    op: &str,
    args: &[AttributeValue],
    ty: crate::value::ScalarType,
) -> Result<SortCondition> {
    let k = |i: usize| typed_key(&args[i], ty);
    Ok(match op {
        "EQ" => SortCondition::Eq(k(0)?),
        "LT" => SortCondition::Lt(k(0)?),
        "LE" => SortCondition::Le(k(0)?),
        "GT" => SortCondition::Gt(k(0)?),
        "GE" => SortCondition::Ge(k(0)?),
        "BETWEEN" => SortCondition::Between(k(0)?, k(1)?),
        "BEGINS_WITH" => {
            let prefix = k(0)?;
            if ty == crate::value::ScalarType::N {
                return Err(kce_error(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                ));
            }
            SortCondition::BeginsWith(prefix)
        }
        _ => {
            return Err(kce_error(
                "Attempted conditional constraint is not an indexable operation",
            ))
        }
    })
}

/// The key condition on a composite GSI key, as the developer guide specifies it: an equality
/// on every partition-key attribute; sort-key attributes from the left without gaps, each an
/// equality except the last one given, which may be any of Query's sort-key conditions.
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html>
pub(super) fn composite_key_condition(
    parts: &KeyConditionParts,
    schema: &KeySchema,
    esk: Option<&crate::value::Item>,
) -> Result<KeyCondition> {
    let missed =
        |name: &str| kce_error(format!("Query condition missed key schema element: {name}"));
    for (attr, role) in schema.parts() {
        if let Some(esk) = esk {
            super::query_page::start_key_piece(esk, attr, role)?;
        }
    }
    for (op, args) in parts.values() {
        let need = argument_count(op).ok_or_else(|| {
            kce_error("Attempted conditional constraint is not an indexable operation")
        })?;
        if args.len() != need {
            return Err(DynamoError::invalid_parameter(format!(
                "Invalid number of argument(s) for the {op} ComparisonOperator"
            )));
        }
    }
    if let Some(name) = parts.keys().find(|n| !schema.is_key_attribute(n)) {
        return Err(kce_error(format!(
            "Query key condition not supported: {name} is not a key attribute of the index"
        )));
    }
    let mut hash = Vec::new();
    for attr in schema.hash_attributes() {
        let (op, args) = parts.get(&attr.name).ok_or_else(|| missed(&attr.name))?;
        if op != "EQ" {
            return Err(kce_error("Query key condition not supported"));
        }
        let k = typed_key(&args[0], attr.ty)?;
        crate::storage::key::check_key_size(&k, crate::storage::key::KeyRole::Partition)?;
        hash.push(k);
    }
    let hash = if hash.len() == 1 {
        hash.pop().expect("one")
    } else {
        KeyValue::Tuple(hash)
    };
    let ranges: Vec<_> = schema.range_attributes().collect();
    let given = ranges
        .iter()
        .take_while(|a| parts.contains_key(&a.name))
        .count();
    if ranges[given..].iter().any(|a| parts.contains_key(&a.name)) {
        return Err(missed(&ranges[given].name));
    }
    let mut conditions = Vec::new();
    for (i, attr) in ranges[..given].iter().enumerate() {
        let (op, args) = &parts[&attr.name];
        if i + 1 < given && op != "EQ" {
            return Err(kce_error(format!(
                "Query key condition not supported: only the last sort key attribute of a condition may use {op}; {} must be compared with =",
                attr.name
            )));
        }
        conditions.push(sort_condition(op, args, attr.ty)?);
    }
    let sort = match (ranges.len(), conditions.pop()) {
        (_, None) => None,
        (1, Some(c)) => Some(c),
        (_, Some(last)) => Some(SortCondition::Composite {
            prefix: conditions
                .into_iter()
                .map(|c| match c {
                    SortCondition::Eq(v) => v,
                    _ => unreachable!("checked: equalities"),
                })
                .collect(),
            last: Some(Box::new(last)),
        }),
    };
    Ok(KeyCondition { hash, sort })
}

pub(super) fn atom(c: Condition) -> Result<Atom> {
    match c {
        // The key attribute may stand on either side; the service checks the left operand
        // first (`b.d > a` is a nested attribute, `b > a.b` two attribute names).
        Condition::Compare(a, op, b) => match key_attribute(&a)? {
            Some(name) => Ok(Atom::Cmp(name, op, value_operand(&b)?.clone())),
            None => match key_attribute(&b)? {
                Some(name) => Ok(Atom::Cmp(
                    name,
                    flip(op),
                    value_of(&a).cloned().expect("value"),
                )),
                None => Err(kce_error(
                    "Invalid condition in KeyConditionExpression: No key attribute specified",
                )),
            },
        },
        Condition::Between(v, lo, hi) => {
            let name = key_attribute(&v)?.ok_or_else(|| {
                kce_error("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand")
            })?;
            let (lo, hi) = (value_operand(&lo)?.clone(), value_operand(&hi)?.clone());
            if lo.type_name() != hi.type_name() {
                return Err(kce_error(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                    lo.type_name(), scalar_text(&lo), hi.type_name(), scalar_text(&hi)
                )));
            }
            Ok(Atom::Between(name, lo, hi))
        }
        Condition::BeginsWith(a, b) => {
            let name = key_attribute(&a)?.ok_or_else(|| {
                kce_error("Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand")
            })?;
            Ok(Atom::BeginsWith(name, value_operand(&b)?.clone()))
        }
        _ => Err(kce_error("Query key condition not supported")),
    }
}

pub(super) fn scalar_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => s.to_string(),
        AttributeValue::N(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

pub(super) fn typed_key(v: &AttributeValue, ty: crate::value::ScalarType) -> Result<KeyValue> {
    match KeyValue::from_scalar(v) {
        Some(k) if k.has_type(ty) => Ok(k),
        _ => Err(DynamoError::invalid_parameter(
            "Condition parameter type does not match schema type",
        )),
    }
}

pub(super) fn build_key_condition(atoms: Vec<Atom>, schema: &KeySchema) -> Result<KeyCondition> {
    let mut seen = BTreeSet::new();
    for a in &atoms {
        let name = match a {
            Atom::Cmp(n, ..) | Atom::Between(n, ..) | Atom::BeginsWith(n, ..) => n,
        };
        if !seen.insert(name.clone()) {
            return Err(kce_error(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
    }
    let mut hash = None;
    let mut sort = None;
    for a in atoms {
        let name = match &a {
            Atom::Cmp(n, ..) | Atom::Between(n, ..) | Atom::BeginsWith(n, ..) => n.clone(),
        };
        if name == schema.hash.name {
            match a {
                Atom::Cmp(_, Comparator::Eq, v) => {
                    let k = typed_key(&v, schema.hash.ty)?;
                    crate::storage::key::check_key_size(
                        &k,
                        crate::storage::key::KeyRole::Partition,
                    )?;
                    hash = Some(k);
                }
                _ => return Err(kce_error("Query key condition not supported")),
            }
        } else if schema.range.as_ref().is_some_and(|r| r.name == name) {
            let ty = schema.range.as_ref().expect("checked").ty;
            let (op, args) = atom_part(&a);
            sort = Some(sort_condition(op, &args, ty)?);
        } else {
            if hash.is_none() && !seen.contains(&schema.hash.name) {
                return Err(kce_error(format!(
                    "Query condition missed key schema element: {}",
                    schema.hash.name
                )));
            }
            return Err(kce_error("Query key condition not supported"));
        }
    }
    let hash = hash.ok_or_else(|| {
        kce_error(format!(
            "Query condition missed key schema element: {}",
            schema.hash.name
        ))
    })?;
    Ok(KeyCondition { hash, sort })
}

/// Legacy `KeyConditions` as the same key condition.
pub(super) fn legacy_key_condition(
    kc: &HashMap<String, LegacyCondition>,
    schema: &KeySchema,
) -> Result<KeyCondition> {
    let mut atoms = Vec::new();
    let mut entries: Vec<(&String, &LegacyCondition)> = kc.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (name, c) in entries {
        let args = c.arguments()?;
        let op = c.comparison_operator.as_deref().unwrap_or("");
        let need = argument_count(op).ok_or_else(|| {
            DynamoError::validation(
                "Attempted conditional constraint is not an indexable operation",
            )
        })?;
        if args.len() != need {
            return Err(DynamoError::invalid_parameter(format!(
                "Invalid number of argument(s) for the {op} ComparisonOperator"
            )));
        }
        atoms.push(match op {
            "BETWEEN" => Atom::Between(name.clone(), args[0].clone(), args[1].clone()),
            "BEGINS_WITH" => Atom::BeginsWith(name.clone(), args[0].clone()),
            _ => Atom::Cmp(
                name.clone(),
                match op {
                    "EQ" => Comparator::Eq,
                    "LE" => Comparator::Le,
                    "LT" => Comparator::Lt,
                    "GE" => Comparator::Ge,
                    _ => Comparator::Gt,
                },
                args[0].clone(),
            ),
        });
    }
    build_key_condition(atoms, schema)
}

/// Each attribute's operator and arguments in a key condition, as the service checks them
/// against the key schema: legacy KeyConditions as given, a KeyConditionExpression's parts
/// named by the legacy operators they are.
pub(super) type KeyConditionParts = BTreeMap<String, (String, Vec<AttributeValue>)>;

/// The parts of legacy KeyConditions (their values already passed the request's checks).
pub(super) fn legacy_parts(kc: &HashMap<String, LegacyCondition>) -> Result<KeyConditionParts> {
    kc.iter()
        .map(|(name, c)| {
            Ok((
                name.clone(),
                (
                    c.comparison_operator.clone().unwrap_or_default(),
                    c.arguments()?,
                ),
            ))
        })
        .collect()
}

/// The parts of a KeyConditionExpression (a repeated attribute keeps its first condition; the
/// expression's own rules reject repeats later).
pub(super) fn expression_parts(atoms: &[Atom]) -> KeyConditionParts {
    let mut parts = KeyConditionParts::new();
    for a in atoms {
        let (op, args) = atom_part(a);
        parts
            .entry(a.name().to_string())
            .or_insert((op.to_string(), args));
    }
    parts
}

/// An atom as the legacy operator it is and its arguments.
fn atom_part(a: &Atom) -> (&'static str, Vec<AttributeValue>) {
    match a {
        Atom::Cmp(_, c, v) => {
            let op = match c {
                Comparator::Eq => "EQ",
                Comparator::Ne => "NE",
                Comparator::Lt => "LT",
                Comparator::Le => "LE",
                Comparator::Gt => "GT",
                Comparator::Ge => "GE",
            };
            (op, vec![v.clone()])
        }
        Atom::Between(_, lo, hi) => ("BETWEEN", vec![lo.clone(), hi.clone()]),
        Atom::BeginsWith(_, p) => ("BEGINS_WITH", vec![p.clone()]),
    }
}

/// How many arguments a key-condition operator takes; None for one no index can serve.
fn argument_count(op: &str) -> Option<usize> {
    match op {
        "BETWEEN" => Some(2),
        "EQ" | "LE" | "LT" | "GE" | "GT" | "BEGINS_WITH" => Some(1),
        _ => None,
    }
}

/// The key condition against the key schema, attribute by attribute (partition key first), in
/// the service's order (dynalite's suite, recorded against it), with the ExclusiveStartKey's
/// value for each attribute checked first: too many conditions for a table without a sort key,
/// a missing partition-key condition (or a missing one when there are two), an operator no
/// index can serve, arguments of the wrong type, a partition-key condition other than `=`.
pub(super) fn check_parts(
    parts: &KeyConditionParts,
    schema: &KeySchema,
    esk: Option<&crate::value::Item>,
) -> Result<()> {
    for (attr, role) in schema.parts() {
        let is_hash = role == crate::storage::key::KeyRole::Partition;
        if let Some(esk) = esk {
            super::query_page::start_key_piece(esk, attr, role)?;
        }
        if is_hash && schema.range.is_none() && parts.len() > 1 {
            return Err(kce_error("Query key condition not supported"));
        }
        let Some((op, args)) = parts.get(&attr.name) else {
            if is_hash || parts.len() > 1 {
                return Err(kce_error(format!(
                    "Query condition missed key schema element: {}",
                    attr.name
                )));
            }
            continue;
        };
        if matches!(
            op.as_str(),
            "NULL" | "NOT_NULL" | "NE" | "CONTAINS" | "NOT_CONTAINS" | "IN"
        ) {
            return Err(kce_error(
                "Attempted conditional constraint is not an indexable operation",
            ));
        }
        if args.iter().any(|a| a.scalar_type() != Some(attr.ty)) {
            return Err(DynamoError::invalid_parameter(
                "Condition parameter type does not match schema type",
            ));
        }
        if is_hash && op != "EQ" {
            return Err(kce_error("Query key condition not supported"));
        }
    }
    Ok(())
}
