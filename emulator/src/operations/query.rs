//! Query and Scan: the two read paths over many items, with DynamoDB's paging.
//!
//! A page stops when the items *read* (before any filter) reach 1 MB or `Limit` items have been
//! evaluated; filtered-out items still count toward both and toward `ScannedCount`.
//! `LastEvaluatedKey` is returned when more may follow, and always when `Limit` stopped the page
//! (DynamoDB does not look ahead). Storage is ordered (partition-key hash, partition key, sort key),
//! so a Query page seeks in O(log n) and walks only its own items, forward or backward; a Scan
//! walks partitions in hash order, and parallel-scan segments are ranges of the hash space.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.html>.

use super::item::{active_table, check_mixing, enum_check, expression_values, WireMap};
use super::table::check_name;
use crate::capacity;
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{
    self, attributes_to_get_projection, filter_to_condition, Comparator, Condition,
    LegacyCondition, Operand, PathElem, Placeholders, Projection,
};
use crate::storage::table::IndexDefinition;
use crate::storage::{KeySchema, KeyValue, ProjectionType, StoredKey, Table};
use crate::value::attribute::validate_map;
use crate::value::{item_size, AttributeValue, Item};
use crate::Engine;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

/// A page holds at most this many bytes of items read.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryInput {
    table_name: Option<String>,
    index_name: Option<String>,
    key_condition_expression: Option<String>,
    key_conditions: Option<HashMap<String, LegacyCondition>>,
    filter_expression: Option<String>,
    query_filter: Option<HashMap<String, LegacyCondition>>,
    conditional_operator: Option<String>,
    projection_expression: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    select: Option<String>,
    scan_index_forward: Option<bool>,
    limit: Option<i64>,
    exclusive_start_key: Option<WireMap>,
    consistent_read: Option<bool>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanInput {
    table_name: Option<String>,
    index_name: Option<String>,
    filter_expression: Option<String>,
    scan_filter: Option<HashMap<String, LegacyCondition>>,
    conditional_operator: Option<String>,
    projection_expression: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    select: Option<String>,
    limit: Option<i64>,
    exclusive_start_key: Option<WireMap>,
    consistent_read: Option<bool>,
    segment: Option<i64>,
    total_segments: Option<i64>,
    return_consumed_capacity: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Key conditions
// ---------------------------------------------------------------------------------------------

/// A condition on the sort key, as Query allows.
#[derive(Debug, Clone)]
enum SortCondition {
    Eq(KeyValue),
    Lt(KeyValue),
    Le(KeyValue),
    Gt(KeyValue),
    Ge(KeyValue),
    Between(KeyValue, KeyValue),
    BeginsWith(KeyValue),
}

impl SortCondition {
    fn matches(&self, v: &KeyValue) -> bool {
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
        }
    }

    fn lower(&self) -> Bound<KeyValue> {
        match self {
            SortCondition::Eq(x)
            | SortCondition::Ge(x)
            | SortCondition::Between(x, _)
            | SortCondition::BeginsWith(x) => Bound::Included(x.clone()),
            SortCondition::Gt(x) => Bound::Excluded(x.clone()),
            SortCondition::Lt(_) | SortCondition::Le(_) => Bound::Unbounded,
        }
    }

    fn upper(&self) -> Bound<KeyValue> {
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
        }
    }
}

/// The smallest value greater than every value starting with `p` (so a reverse begins_with
/// Query can seek to the end of its range).
fn prefix_successor(p: &KeyValue) -> Option<KeyValue> {
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

struct KeyCondition {
    hash: KeyValue,
    sort: Option<SortCondition>,
}

fn kce_error(detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(detail.to_string())
}

fn flatten_and(c: Condition, out: &mut Vec<Condition>) -> Result<()> {
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
fn key_attribute(o: &Operand) -> Result<Option<String>> {
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

fn value_of(o: &Operand) -> Option<&AttributeValue> {
    match o {
        Operand::Value(v) => Some(v.as_ref()),
        _ => None,
    }
}

fn flip(c: Comparator) -> Comparator {
    match c {
        Comparator::Lt => Comparator::Gt,
        Comparator::Le => Comparator::Ge,
        Comparator::Gt => Comparator::Lt,
        Comparator::Ge => Comparator::Le,
        other => other,
    }
}

/// One atom of a key condition: (attribute, comparator-ish, values).
enum Atom {
    Cmp(String, Comparator, AttributeValue),
    Between(String, AttributeValue, AttributeValue),
    BeginsWith(String, AttributeValue),
}

fn atom(c: Condition) -> Result<Atom> {
    match c {
        Condition::Compare(a, op, b) => {
            let (ka, kb) = (key_attribute(&a)?, key_attribute(&b)?);
            match (ka, kb) {
                (Some(_), Some(_)) => Err(kce_error("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")),
                (None, None) => Err(kce_error("Invalid condition in KeyConditionExpression: No key attribute specified")),
                (Some(name), None) => Ok(Atom::Cmp(name, op, value_of(&b).cloned().expect("value"))),
                (None, Some(name)) => Ok(Atom::Cmp(name, flip(op), value_of(&a).cloned().expect("value"))),
            }
        }
        Condition::Between(v, lo, hi) => {
            let name = key_attribute(&v)?.ok_or_else(|| {
                kce_error("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand")
            })?;
            if key_attribute(&lo)?.is_some() || key_attribute(&hi)?.is_some() {
                return Err(kce_error("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"));
            }
            let (lo, hi) = (
                value_of(&lo).cloned().expect("value"),
                value_of(&hi).cloned().expect("value"),
            );
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
            if key_attribute(&b)?.is_some() {
                return Err(kce_error("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"));
            }
            Ok(Atom::BeginsWith(
                name,
                value_of(&b).cloned().expect("value"),
            ))
        }
        _ => Err(kce_error("Query key condition not supported")),
    }
}

fn scalar_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn typed_key(v: &AttributeValue, ty: crate::value::ScalarType) -> Result<KeyValue> {
    match KeyValue::from_scalar(v) {
        Some(k) if k.has_type(ty) => Ok(k),
        _ => Err(DynamoError::invalid_parameter(
            "Condition parameter type does not match schema type",
        )),
    }
}

fn build_key_condition(atoms: Vec<Atom>, schema: &KeySchema) -> Result<KeyCondition> {
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
            sort = Some(match a {
                Atom::Cmp(_, c, v) => {
                    let k = typed_key(&v, ty)?;
                    match c {
                        Comparator::Eq => SortCondition::Eq(k),
                        Comparator::Lt => SortCondition::Lt(k),
                        Comparator::Le => SortCondition::Le(k),
                        Comparator::Gt => SortCondition::Gt(k),
                        Comparator::Ge => SortCondition::Ge(k),
                        Comparator::Ne => unreachable!("rejected earlier"),
                    }
                }
                Atom::Between(_, lo, hi) => {
                    SortCondition::Between(typed_key(&lo, ty)?, typed_key(&hi, ty)?)
                }
                Atom::BeginsWith(_, p) => {
                    let k = typed_key(&p, ty)?;
                    if ty == crate::value::ScalarType::N {
                        return Err(kce_error(
                            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                        ));
                    }
                    SortCondition::BeginsWith(k)
                }
            });
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
fn legacy_key_condition(
    kc: &HashMap<String, LegacyCondition>,
    schema: &KeySchema,
) -> Result<KeyCondition> {
    let mut atoms = Vec::new();
    let mut entries: Vec<(&String, &LegacyCondition)> = kc.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (name, c) in entries {
        let args = c.attribute_value_list.clone().unwrap_or_default();
        let op = c.comparison_operator.as_deref().unwrap_or("");
        let need = match op {
            "BETWEEN" => 2,
            "EQ" | "LE" | "LT" | "GE" | "GT" | "BEGINS_WITH" => 1,
            _ => {
                return Err(DynamoError::validation(
                    "Attempted conditional constraint is not an indexable operation",
                ))
            }
        };
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

// ---------------------------------------------------------------------------------------------
// Shared read plan
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Select {
    All,
    AllProjected,
    Specific,
    Count,
}

struct ReadPlan {
    /// A Query on a table without a sort key matches at most one item: nothing can follow it,
    /// so no LastEvaluatedKey even when Limit is reached.
    single_item: bool,
    /// The inclusive end of a table Query's sort key range in the direction of travel: an item
    /// there is the last the range can hold, so a page that stops on it by Limit has no
    /// LastEvaluatedKey (as DynamoDB Local answers `sk BETWEEN :a AND :b` reaching `:b`, and
    /// `<=`/`>=` reaching their bound; not `=` nor begins_with).
    end: Option<(String, AttributeValue)>,
    filter: Option<Condition>,
    projection: Option<Projection>,
    select: Select,
    limit: Option<usize>,
    consistent: bool,
}

/// Checks Select against the projection parameters and the index, as DynamoDB does.
fn resolve_select(
    select: Option<&str>,
    has_projection: bool,
    projection_param: &str,
    index: Option<&IndexDefinition>,
    is_gsi: bool,
) -> Result<Select> {
    let s = match select {
        None => {
            if has_projection {
                Select::Specific
            } else if index.is_some() {
                Select::AllProjected
            } else {
                Select::All
            }
        }
        Some("ALL_ATTRIBUTES") => Select::All,
        Some("ALL_PROJECTED_ATTRIBUTES") => Select::AllProjected,
        Some("SPECIFIC_ATTRIBUTES") => Select::Specific,
        _ => Select::Count,
    };
    if has_projection && s != Select::Specific {
        return Err(DynamoError::validation(format!(
            "Cannot specify the {projection_param} when choosing to get {}",
            select.unwrap_or_default()
        )));
    }
    if s == Select::Specific && !has_projection {
        return Err(DynamoError::validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        ));
    }
    if s == Select::AllProjected && index.is_none() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported for a table",
        ));
    }
    if let (Select::All, Some(idx), true) = (s, index, is_gsi) {
        if idx.projection.ty != ProjectionType::All {
            return Err(DynamoError::invalid_parameter(format!(
                "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                idx.name
            )));
        }
    }
    Ok(s)
}

/// Attributes an index holds for an item (table keys, index keys, projected attributes).
fn index_holds(idx: &IndexDefinition, table: &KeySchema, name: &str) -> bool {
    idx.projection.ty == ProjectionType::All
        || table.is_key_attribute(name)
        || idx.schema.is_key_attribute(name)
        || idx.projection.non_key_attributes.iter().any(|n| n == name)
}

/// Parses and checks an ExclusiveStartKey: exactly the table's key attributes (plus the index's),
/// with the schema's types.
fn start_key(
    esk: Option<WireMap>,
    t: &Table,
    index: Option<&IndexDefinition>,
) -> Result<Option<(StoredKey, Option<StoredKey>)>> {
    let Some(esk) = esk else { return Ok(None) };
    let esk = validate_map(esk).map_err(|e| {
        DynamoError::validation(format!(
            "The provided starting key is invalid: {}",
            e.message
        ))
    })?;
    let mut expected: BTreeSet<&str> = t.schema.names().collect();
    if let Some(idx) = index {
        expected.extend(idx.schema.names());
    }
    let got: BTreeSet<&str> = esk.keys().map(String::as_str).collect();
    if got != expected {
        return Err(DynamoError::validation(
            "The provided starting key is invalid",
        ));
    }
    let table_key_item: Item = t
        .schema
        .names()
        .map(|n| (n.to_string(), esk[n].clone()))
        .collect();
    let table_key = t.schema.key_from_request(&table_key_item)?;
    let index_key = match index {
        Some(idx) => {
            let ik: Item = idx
                .schema
                .names()
                .map(|n| (n.to_string(), esk[n].clone()))
                .collect();
            Some(idx.schema.key_from_request(&ik).map_err(|e| {
                DynamoError::validation(format!(
                    "The provided starting key is invalid: {}",
                    e.message
                ))
            })?)
        }
        None => None,
    };
    Ok(Some((table_key, index_key)))
}

/// The key attributes of an evaluated item, for LastEvaluatedKey.
fn last_key(item: &Item, t: &Table, index: Option<&IndexDefinition>) -> Item {
    let mut names: Vec<&str> = t.schema.names().collect();
    if let Some(idx) = index {
        names.extend(idx.schema.names());
    }
    names
        .into_iter()
        .filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone())))
        .collect()
}

struct PageResult<'t> {
    items: Vec<Cow<'t, Item>>,
    count: usize,
    scanned: usize,
    last_evaluated: Option<Item>,
    bytes_read: usize,
}

/// Walks candidate items (already in order and after the start key) and cuts one page.
fn run_page<'t>(
    candidates: impl Iterator<Item = &'t Item>,
    t: &Table,
    index: Option<&IndexDefinition>,
    plan: &ReadPlan,
) -> PageResult<'t> {
    let mut out = PageResult {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        last_evaluated: None,
        bytes_read: 0,
    };
    let lsi_fetch = match index {
        Some(idx) if idx.projection.ty != ProjectionType::All && !is_global(t, idx) => {
            match plan.select {
                Select::All => true,
                Select::Specific => plan.projection.as_ref().is_some_and(|p| {
                    p.top_level_names()
                        .iter()
                        .any(|n| !index_holds(idx, &t.schema, n))
                }),
                _ => false,
            }
        }
        _ => false,
    };
    let mut candidates = candidates.peekable();
    while let Some(item) = candidates.next() {
        // What the index holds of the item (GSIs and KEYS_ONLY/INCLUDE LSIs).
        let view: Cow<'t, Item> = match index {
            Some(idx) if idx.projection.ty != ProjectionType::All => {
                Cow::Owned(idx.project(item, &t.schema))
            }
            _ => Cow::Borrowed(item),
        };
        out.bytes_read += item_size(&view);
        out.scanned += 1;
        // An LSI read that needs attributes the index does not project fetches the table item,
        // and DynamoDB charges that read too.
        if lsi_fetch {
            out.bytes_read += item_size(item);
        }
        let source: &Item = match (plan.select, index) {
            // An LSI read that needs more than the index holds fetches the table item.
            (Select::All | Select::Specific, Some(idx))
                if idx.throughput.is_none() && !is_global(t, idx) =>
            {
                item
            }
            _ => &view,
        };
        let passes = plan.filter.as_ref().is_none_or(|f| f.evaluate(source));
        if passes {
            out.count += 1;
            match plan.select {
                Select::Count => {}
                Select::Specific => out.items.push(Cow::Owned(
                    plan.projection.as_ref().expect("checked").apply(source),
                )),
                // ALL_ATTRIBUTES is only allowed where the source is the whole item.
                Select::All => out.items.push(Cow::Borrowed(item)),
                Select::AllProjected => out.items.push(view.clone()),
            }
        }
        let at_end = plan
            .end
            .as_ref()
            .is_some_and(|(name, v)| item.get(name) == Some(v));
        let by_limit = plan.limit.is_some_and(|l| out.scanned >= l) && !plan.single_item && !at_end;
        let by_size = out.bytes_read >= MAX_PAGE_BYTES;
        if by_limit || (by_size && candidates.peek().is_some()) {
            out.last_evaluated = Some(last_key(item, t, index));
            break;
        }
    }
    out
}

fn is_global(t: &Table, idx: &IndexDefinition) -> bool {
    t.gsis.iter().any(|g| g.name == idx.name)
}

/// A Query or Scan response, serialised straight from borrowed items.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PageOutput<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<&'a [Cow<'a, Item>]>,
    count: usize,
    scanned_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_key: Option<&'a Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Value>,
}

fn output(
    page: PageResult<'_>,
    select: Select,
    table: &str,
    consistent: bool,
    rcc: Option<&str>,
) -> Result<Box<RawValue>> {
    let out = PageOutput {
        items: (select != Select::Count).then_some(page.items.as_slice()),
        count: page.count,
        scanned_count: page.scanned,
        last_evaluated_key: page.last_evaluated.as_ref(),
        // Query and Scan round the whole page's bytes up once.
        consumed_capacity: capacity::consumed(
            table,
            capacity::read_units(page.bytes_read, consistent),
            rcc,
            true,
        ),
    };
    let internal = |e: serde_json::Error| {
        DynamoError::new(crate::error::ErrorKind::InternalServer, e.to_string())
    };
    RawValue::from_string(serde_json::to_string(&out).map_err(internal)?).map_err(internal)
}

struct Common<'a> {
    table_name: Option<&'a str>,
    index_name: Option<&'a str>,
    select: Option<&'a str>,
    limit: Option<i64>,
    conditional_operator: Option<&'a str>,
    return_consumed_capacity: Option<&'a str>,
    attributes_to_get: Option<&'a Vec<String>>,
}

impl Common<'_> {
    fn constraints(&self, c: &mut Constraints) {
        check_name(c, self.table_name, "tableName", true);
        check_name(c, self.index_name, "indexName", false);
        enum_check(
            c,
            self.select,
            "select",
            &[
                "SPECIFIC_ATTRIBUTES",
                "COUNT",
                "ALL_ATTRIBUTES",
                "ALL_PROJECTED_ATTRIBUTES",
            ],
        );
        enum_check(
            c,
            self.conditional_operator,
            "conditionalOperator",
            &["AND", "OR"],
        );
        enum_check(
            c,
            self.return_consumed_capacity,
            "returnConsumedCapacity",
            &["INDEXES", "TOTAL", "NONE"],
        );
        if let Some(l) = self.limit {
            if l < 1 {
                c.add(
                    format!("'{l}'"),
                    "limit",
                    "Member must have value greater than or equal to 1",
                );
            }
        }
        if let Some(a) = self.attributes_to_get {
            if a.is_empty() {
                c.add(
                    "[]",
                    "attributesToGet",
                    "Member must have length greater than or equal to 1",
                );
            }
        }
    }
}

/// Finds the index a request names, with its GSI-ness, or DynamoDB's error.
fn find_index<'t>(
    t: &'t Table,
    name: Option<&str>,
    consistent: bool,
) -> Result<Option<&'t IndexDefinition>> {
    let Some(name) = name else { return Ok(None) };
    let idx = t.index(name).ok_or_else(|| {
        DynamoError::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })?;
    if consistent && is_global(t, idx) {
        return Err(DynamoError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    Ok(Some(idx))
}

/// GSIs return only projected attributes: asking for others is an error.
fn check_projected(
    t: &Table,
    idx: Option<&IndexDefinition>,
    projection: Option<&Projection>,
) -> Result<()> {
    if let (Some(idx), Some(p)) = (idx, projection) {
        if is_global(t, idx) {
            let missing: Vec<&str> = p
                .top_level_names()
                .into_iter()
                .filter(|n| !index_holds(idx, &t.schema, n))
                .collect();
            if !missing.is_empty() {
                return Err(DynamoError::invalid_parameter(format!(
                    "Global secondary index {} does not project [{}]",
                    idx.name,
                    missing.join(", ")
                )));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Query
// ---------------------------------------------------------------------------------------------

pub fn query(engine: &Engine, input: QueryInput) -> Result<Box<RawValue>> {
    let mut c = Constraints::new();
    Common {
        table_name: input.table_name.as_deref(),
        index_name: input.index_name.as_deref(),
        select: input.select.as_deref(),
        limit: input.limit,
        conditional_operator: input.conditional_operator.as_deref(),
        return_consumed_capacity: input.return_consumed_capacity.as_deref(),
        attributes_to_get: input.attributes_to_get.as_ref(),
    }
    .constraints(&mut c);
    c.into_result()?;
    let values = expression_values(input.expression_attribute_values)?;
    check_mixing(
        &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("QueryFilter", input.query_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            ("KeyConditions", input.key_conditions.is_some()),
        ],
        &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
            (
                "KeyConditionExpression",
                input.key_condition_expression.is_some(),
            ),
        ],
    )?;
    if input.key_condition_expression.is_none() && input.key_conditions.is_none() {
        return Err(DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }
    let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref())
        .value_params(&["KeyConditionExpression", "FilterExpression"]);
    p.check_preconditions(
        input.key_condition_expression.is_some()
            || input.filter_expression.is_some()
            || input.projection_expression.is_some(),
    )?;
    let key_condition = input
        .key_condition_expression
        .as_deref()
        .map(|t| expression::parse_condition(t, &mut p, "KeyConditionExpression"))
        .transpose()?;
    let filter = match (&input.filter_expression, &input.query_filter) {
        (Some(t), _) => Some(expression::parse_condition(t, &mut p, "FilterExpression")?),
        (None, Some(f)) => Some(filter_to_condition(
            f,
            input.conditional_operator.as_deref(),
        )?),
        _ => None,
    };
    let projection = match (&input.projection_expression, &input.attributes_to_get) {
        (Some(t), _) => Some(expression::parse_projection(t, &mut p)?),
        (None, Some(a)) => Some(attributes_to_get_projection(a)?),
        _ => None,
    };
    p.finish()?;
    let mut atoms = Vec::new();
    if let Some(kc) = key_condition {
        flatten_and(kc, &mut atoms)?;
    }
    let atoms = atoms.into_iter().map(atom).collect::<Result<Vec<_>>>()?;

    let name = input.table_name.as_deref().expect("checked");
    let table = active_table(engine, name)?;
    let now = engine.clock.now();
    if table.read().has_expired_items(now) {
        table.write().expire(now);
    }
    let t = table.read();
    let consistent = input.consistent_read.unwrap_or(false);
    let index = find_index(&t, input.index_name.as_deref(), consistent)?;
    let schema = index.map(|i| &i.schema).unwrap_or(&t.schema);
    let kc = match &input.key_conditions {
        Some(k) => legacy_key_condition(k, schema)?,
        None => build_key_condition(atoms, schema)?,
    };
    if let Some(f) = &filter {
        for path in f.paths() {
            let top = path.top();
            if schema.is_key_attribute(top) || t.schema.is_key_attribute(top) && index.is_none() {
                return Err(DynamoError::validation(format!(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: {top}"
                )));
            }
        }
    }
    let select = resolve_select(
        input.select.as_deref(),
        projection.is_some(),
        if input.attributes_to_get.is_some() {
            "AttributesToGet"
        } else {
            "ProjectionExpression"
        },
        index,
        index.is_some_and(|i| is_global(&t, i)),
    )?;
    check_projected(&t, index, projection.as_ref())?;
    let start = start_key(input.exclusive_start_key, &t, index)?;
    if let Some((tk, ik)) = &start {
        let start_hash = ik.as_ref().map(|k| &k.hash).unwrap_or(&tk.hash);
        let start_range = ik.as_ref().map(|k| &k.range).unwrap_or(&tk.range);
        let inside = *start_hash == kc.hash
            && match (&kc.sort, start_range) {
                (Some(s), Some(r)) => s.matches(r),
                _ => true,
            };
        if !inside {
            return Err(DynamoError::validation(
                "The provided starting key is outside query boundaries based on provided conditions",
            ));
        }
    }
    let forward = input.scan_index_forward.unwrap_or(true);
    // DynamoDB Local does this for `<=`, `>=` and BETWEEN bounds, not for `=` or begins_with
    // (probed: `sk = :k` with Limit 1 still answers a LastEvaluatedKey).
    let end = match (index, &kc.sort, &t.schema.range) {
        (None, Some(SortCondition::Eq(_) | SortCondition::BeginsWith(_)), _) => None,
        (None, Some(sort), Some(range)) => {
            match if forward { sort.upper() } else { sort.lower() } {
                Bound::Included(v) => Some((range.name.clone(), v.to_attribute())),
                _ => None,
            }
        }
        _ => None,
    };
    let plan = ReadPlan {
        single_item: index.is_none() && t.schema.range.is_none(),
        end,
        filter,
        projection,
        select,
        limit: input.limit.map(|l| l as usize),
        consistent,
    };
    let view = t.read_view(consistent, index.is_some_and(|i| is_global(&t, i)), now);
    crate::replication::note_read(view.info.clone());
    let token = kc.hash.stable_hash();
    let index_name = index.map(|i| i.name.as_str());
    t.admit_read(index_name, token, now)?;
    let key_at = |range: Bound<KeyValue>, low: bool| -> Bound<StoredKey> {
        let mk = |r: Option<KeyValue>| StoredKey {
            token,
            hash: kc.hash.clone(),
            range: r,
        };
        match range {
            Bound::Included(v) => Bound::Included(mk(Some(v))),
            Bound::Excluded(v) => Bound::Excluded(mk(Some(v))),
            Bound::Unbounded => {
                if low {
                    Bound::Included(mk(None))
                } else {
                    Bound::Included(mk(Some(KeyValue::Max)))
                }
            }
        }
    };
    let (mut lo, mut hi) = match &kc.sort {
        Some(s) => (key_at(s.lower(), true), key_at(s.upper(), false)),
        None => (
            key_at(Bound::Unbounded, true),
            key_at(Bound::Unbounded, false),
        ),
    };
    let sort_ok = |k: &StoredKey| {
        kc.sort
            .as_ref()
            .is_none_or(|s| k.range.as_ref().is_some_and(|r| s.matches(r)))
    };
    let page = match index {
        None => {
            if let Some((tk, _)) = start {
                if forward {
                    lo = Bound::Excluded(tk);
                } else {
                    hi = Bound::Excluded(tk);
                }
            }
            if !bounds_valid(&lo, &hi) {
                empty_page()
            } else {
                let range = t.range_in(&view, lo, hi, !forward, now);
                run_page(
                    range.filter(|(k, _)| sort_ok(k)).map(|(_, v)| v),
                    &t,
                    None,
                    &plan,
                )
            }
        }
        Some(idx) => {
            let lo_e = match lo {
                Bound::Included(k) => Bound::Included((k, StoredKey::min())),
                Bound::Excluded(k) => Bound::Excluded((k, StoredKey::max())),
                Bound::Unbounded => Bound::Unbounded,
            };
            let hi_e = match hi {
                Bound::Included(k) => Bound::Included((k, StoredKey::max())),
                Bound::Excluded(k) => Bound::Excluded((k, StoredKey::min())),
                Bound::Unbounded => Bound::Unbounded,
            };
            let (mut lo_e, mut hi_e) = (lo_e, hi_e);
            if let Some((tk, Some(ik))) = start {
                if forward {
                    lo_e = Bound::Excluded((ik, tk));
                } else {
                    hi_e = Bound::Excluded((ik, tk));
                }
            }
            if !bounds_valid(&lo_e, &hi_e) {
                empty_page()
            } else {
                let range = t.index_range_in(&view, idx, lo_e, hi_e, !forward, now);
                run_page(
                    range.filter(|(ik, _)| sort_ok(ik)).map(|(_, v)| v),
                    &t,
                    Some(idx),
                    &plan,
                )
            }
        }
    };
    t.charge_read(
        index_name,
        token,
        capacity::read_units(page.bytes_read, plan.consistent),
        now,
    );
    t.record_page(page.scanned, page.count, page.bytes_read);
    t.record_request();
    output(
        page,
        plan.select,
        name,
        plan.consistent,
        input.return_consumed_capacity.as_deref(),
    )
}

fn empty_page() -> PageResult<'static> {
    PageResult {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        last_evaluated: None,
        bytes_read: 0,
    }
}

/// BTreeMap::range panics on inverted bounds; an inverted range is simply empty.
fn bounds_valid<T: Ord>(lo: &Bound<T>, hi: &Bound<T>) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a <= b,
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) => {
            a < b
        }
        (Bound::Excluded(a), Bound::Excluded(b)) => a < b,
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------------
// Scan
// ---------------------------------------------------------------------------------------------

pub fn scan(engine: &Engine, input: ScanInput) -> Result<Box<RawValue>> {
    let mut c = Constraints::new();
    Common {
        table_name: input.table_name.as_deref(),
        index_name: input.index_name.as_deref(),
        select: input.select.as_deref(),
        limit: input.limit,
        conditional_operator: input.conditional_operator.as_deref(),
        return_consumed_capacity: input.return_consumed_capacity.as_deref(),
        attributes_to_get: input.attributes_to_get.as_ref(),
    }
    .constraints(&mut c);
    if let Some(s) = input.segment {
        if s < 0 {
            c.add(
                format!("'{s}'"),
                "segment",
                "Member must have value greater than or equal to 0",
            );
        } else if s > 999_999 {
            c.add(
                format!("'{s}'"),
                "segment",
                "Member must have value less than or equal to 999999",
            );
        }
    }
    if let Some(s) = input.total_segments {
        if s < 1 {
            c.add(
                format!("'{s}'"),
                "totalSegments",
                "Member must have value greater than or equal to 1",
            );
        } else if s > 1_000_000 {
            c.add(
                format!("'{s}'"),
                "totalSegments",
                "Member must have value less than or equal to 1000000",
            );
        }
    }
    c.into_result()?;
    let segments = match (input.segment, input.total_segments) {
        (Some(s), Some(n)) => {
            if s >= n {
                return Err(DynamoError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {n}"
                )));
            }
            Some((s as u64, n as u64))
        }
        (Some(_), None) => {
            return Err(DynamoError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ))
        }
        (None, Some(_)) => {
            return Err(DynamoError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ))
        }
        (None, None) => None,
    };
    let values = expression_values(input.expression_attribute_values)?;
    check_mixing(
        &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("ScanFilter", input.scan_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
        ],
        &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
        ],
    )?;
    let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref())
        .value_params(&["FilterExpression"]);
    p.check_preconditions(
        input.filter_expression.is_some() || input.projection_expression.is_some(),
    )?;
    let filter = match (&input.filter_expression, &input.scan_filter) {
        (Some(t), _) => Some(expression::parse_condition(t, &mut p, "FilterExpression")?),
        (None, Some(f)) => Some(filter_to_condition(
            f,
            input.conditional_operator.as_deref(),
        )?),
        _ => None,
    };
    let projection = match (&input.projection_expression, &input.attributes_to_get) {
        (Some(t), _) => Some(expression::parse_projection(t, &mut p)?),
        (None, Some(a)) => Some(attributes_to_get_projection(a)?),
        _ => None,
    };
    p.finish()?;

    let name = input.table_name.as_deref().expect("checked");
    let table = active_table(engine, name)?;
    let now = engine.clock.now();
    if table.read().has_expired_items(now) {
        table.write().expire(now);
    }
    let t = table.read();
    let consistent = input.consistent_read.unwrap_or(false);
    let index = find_index(&t, input.index_name.as_deref(), consistent)?;
    let select = resolve_select(
        input.select.as_deref(),
        projection.is_some(),
        if input.attributes_to_get.is_some() {
            "AttributesToGet"
        } else {
            "ProjectionExpression"
        },
        index,
        index.is_some_and(|i| is_global(&t, i)),
    )?;
    check_projected(&t, index, projection.as_ref())?;
    let start = start_key(input.exclusive_start_key, &t, index)?;
    let plan = ReadPlan {
        single_item: false,
        end: None,
        filter,
        projection,
        select,
        limit: input.limit.map(|l| l as usize),
        consistent,
    };
    // A segment is a contiguous range of the partition-key hash space.
    let (tok_lo, tok_hi) = match segments {
        Some((s, n)) => {
            let bound = |i: u64| ((i as u128) << 64) / n as u128;
            let hi = if s + 1 == n {
                None
            } else {
                Some(bound(s + 1) as u64)
            };
            (bound(s) as u64, hi)
        }
        None => (0, None),
    };
    let in_segment = |k: &StoredKey| tok_hi.is_none_or(|hi| k.token < hi);
    let index_name = index.map(|i| i.name.as_str());
    t.admit_read(index_name, tok_lo, now)?;
    let view = t.read_view(consistent, index.is_some_and(|i| is_global(&t, i)), now);
    crate::replication::note_read(view.info.clone());
    let seg_start = StoredKey {
        token: tok_lo,
        ..StoredKey::min()
    };
    let page = match index {
        None => {
            let lo = match start {
                Some((tk, _)) if tk.token >= tok_lo => Bound::Excluded(tk),
                _ => Bound::Included(seg_start),
            };
            let range = t.range_in(&view, lo, Bound::Unbounded, false, now);
            run_page(
                range.take_while(|(k, _)| in_segment(k)).map(|(_, v)| v),
                &t,
                None,
                &plan,
            )
        }
        Some(idx) => {
            let lo = match start {
                Some((tk, Some(ik))) if ik.token >= tok_lo => Bound::Excluded((ik, tk)),
                _ => Bound::Included((seg_start, StoredKey::min())),
            };
            let range = t.index_range_in(&view, idx, lo, Bound::Unbounded, false, now);
            run_page(
                range.take_while(|(ik, _)| in_segment(ik)).map(|(_, v)| v),
                &t,
                Some(idx),
                &plan,
            )
        }
    };
    t.charge_read(
        index_name,
        tok_lo,
        capacity::read_units(page.bytes_read, plan.consistent),
        now,
    );
    t.record_page(page.scanned, page.count, page.bytes_read);
    t.record_request();
    output(
        page,
        plan.select,
        name,
        plan.consistent,
        input.return_consumed_capacity.as_deref(),
    )
}
