//! PartiQL statements planned onto the item commands, as DynamoDB plans them: a SELECT whose
//! WHERE names one item of the table by its whole key is a GetItem, one that pins the partition
//! key (`=`, `IN`, or an OR of equalities) one Query per key value, any other SELECT a Scan with
//! the WHERE as its filter; INSERT is a PutItem under
//! `attribute_not_exists` of the partition key, UPDATE an UpdateItem under `attribute_exists`
//! and the WHERE's other conditions, DELETE a DeleteItem under those conditions. The commands
//! meter, throttle, page and read replicas exactly as when called directly, because they are
//! the same commands.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.html>.

use super::command::{Command, Context};
use super::delete_item::DeleteItem;
use super::get_item::GetItem;
use super::key_condition::value_of;
use super::put_item::PutItem;
use super::query::{Query, QueryPlan};
use super::scan::Scan;
use super::single_item::{ReturnValues, WriteOptions};
use super::update_item::UpdateItem;
use crate::error::{DynamoError, ErrorKind, Result};
use crate::expression::UpdateExpression;
use crate::expression::{Comparator, Condition, Operand, Path, PathElem, Projection};
use crate::partiql::{self, and_all, conjuncts, equality_on, Binder, Returning, Statement};
use crate::storage::KeySchema;
use crate::table::Table;
use crate::value::attribute::WireValue;
use crate::value::{AttributeValue, Item};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The longest statement DynamoDB takes, in characters.
pub(super) const MAX_STATEMENT: usize = 8192;
/// At most this many Queries may one SELECT decompose into (`pk IN [...]`).
const MAX_DECOMPOSED: usize = 50;
/// At most this many operands in one IN.
const MAX_IN_OPERANDS: usize = 100;
/// A page of a SELECT made of several Queries stops once it holds this many bytes.
const PAGE_BYTES: usize = 1024 * 1024;

/// A parsed statement with its parameters checked and counted.
pub(super) struct Prepared {
    pub statement: Statement,
    pub params: Vec<AttributeValue>,
    /// The statement's text (with the parameters, what a NextToken is bound to).
    text: String,
}

impl Prepared {
    /// Validates the parameters (before the statement, as DynamoDB does), parses the
    /// statement and checks that the two agree in number.
    pub fn new(text: &str, params: Option<Vec<WireValue>>) -> Result<Prepared> {
        Prepared::with_values(text, validate_params(params)?)
    }

    /// [`Prepared::new`] with parameters validated already.
    pub fn with_values(text: &str, params: Vec<AttributeValue>) -> Result<Prepared> {
        let (statement, count) = partiql::parse(text)?;
        Binder::new(&params, count)?;
        check_in_sizes(&statement)?;
        Ok(Prepared {
            statement,
            params,
            text: text.to_string(),
        })
    }

    /// A digest of the statement's text and parameters, to which its NextTokens are bound
    /// (computed only when a page has a next one, or a request brings a token).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.text.as_bytes());
        for p in &self.params {
            h.update([0]);
            h.update(serde_json::to_vec(p).unwrap_or_default());
        }
        h.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn binder(&self) -> Binder<'_> {
        Binder::new(&self.params, self.params.len()).expect("counted when prepared")
    }

    /// Whether the statement reads (SELECT) rather than writes.
    pub fn is_read(&self) -> bool {
        matches!(self.statement, Statement::Select(_))
    }

    /// The table the statement names.
    pub fn table(&self) -> &str {
        match &self.statement {
            Statement::Select(s) | Statement::Exists(s) => &s.from.table,
            Statement::Insert(i) => &i.table,
            Statement::Update(u) => &u.table,
            Statement::Delete(d) => &d.table,
        }
    }
}

/// A statement's parameters as attribute values, with DynamoDB's errors for invalid ones.
pub(super) fn validate_params(params: Option<Vec<WireValue>>) -> Result<Vec<AttributeValue>> {
    params
        .unwrap_or_default()
        .into_iter()
        .map(WireValue::validate)
        .collect()
}

/// The whole primary key a SELECT names, and nothing else besides (what batches and
/// transactions read); `None` when it names no single item so: no WHERE, an index, part of
/// the key, more conditions. Errors binding the WHERE are the statement's own.
pub(super) fn exact_key(
    select: &partiql::Select,
    binder: &Binder,
    schema: &KeySchema,
) -> Result<Option<Item>> {
    let (None, Some(filter)) = (&select.from.index, &select.filter) else {
        return Ok(None);
    };
    Ok(match single_item(binder.condition(filter)?, schema) {
        Ok((key, rest)) if rest.is_empty() => Some(key),
        _ => None,
    })
}

fn check_in_sizes(s: &Statement) -> Result<()> {
    fn walk(e: &partiql::Expr) -> Result<()> {
        use partiql::Expr;
        match e {
            Expr::In(a, list) => {
                if list.len() > MAX_IN_OPERANDS {
                    return Err(DynamoError::validation(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    )));
                }
                walk(a)?;
                list.iter().try_for_each(walk)
            }
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(a, _, b) => {
                walk(a)?;
                walk(b)
            }
            Expr::Not(a) | Expr::Is(a, _, _) => walk(a),
            Expr::Between(a, b, c) => {
                walk(a)?;
                walk(b)?;
                walk(c)
            }
            _ => Ok(()),
        }
    }
    let filter = match s {
        Statement::Select(s) | Statement::Exists(s) => s.filter.as_ref(),
        Statement::Update(u) => Some(&u.filter),
        Statement::Delete(d) => Some(&d.filter),
        Statement::Insert(_) => None,
    };
    filter.map(walk).transpose().map(|_| ())
}

fn key_type_error(attr: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Key attribute's data type should match its data type in table's schema: Key {attr}"
    ))
}

/// If `c` pins `attr` to one or more values (`attr = v`, `attr IN [...]`, an OR of
/// equalities), the values.
fn key_values(c: &Condition, attr: &str) -> Option<Vec<AttributeValue>> {
    if let Some(v) = equality_on(c, attr) {
        return Some(vec![v.clone()]);
    }
    match c {
        Condition::In(Operand::Path(p), list) if p.0.len() == 1 && p.top() == attr => list
            .iter()
            .map(|o| match o {
                Operand::Value(v) => Some(v.as_ref().clone()),
                _ => None,
            })
            .collect(),
        Condition::Or(a, b) => {
            let mut v = key_values(a, attr)?;
            v.extend(key_values(b, attr)?);
            Some(v)
        }
        _ => None,
    }
}

/// A sort-key condition a Query can take: a comparison (not `<>`), BETWEEN or begins_with
/// of the sort key against values.
fn sort_condition(c: &Condition, attr: &str) -> Option<Condition> {
    let is_key = |o: &Operand| matches!(o, Operand::Path(p) if p.0.len() == 1 && p.top() == attr);
    let is_value = |o: &Operand| matches!(o, Operand::Value(_));
    match c {
        Condition::Compare(a, op, b) if *op != Comparator::Ne => {
            ((is_key(a) && is_value(b)) || (is_value(a) && is_key(b))).then(|| c.clone())
        }
        Condition::Between(a, lo, hi) if is_key(a) && is_value(lo) && is_value(hi) => {
            Some(c.clone())
        }
        Condition::BeginsWith(a, b) if is_key(a) && is_value(b) => Some(c.clone()),
        _ => None,
    }
}

fn values_of(c: &Condition) -> Vec<&AttributeValue> {
    let operands = match c {
        Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) => [a, b],
        Condition::Between(_, lo, hi) => [lo, hi],
        _ => return Vec::new(),
    };
    operands.into_iter().filter_map(value_of).collect()
}

/// The single item a WHERE clause names: an equality on every key attribute among its
/// top-level conjuncts (a one-value IN counts), and the conjuncts left over.
pub(super) fn single_item(
    filter: Condition,
    schema: &KeySchema,
) -> Result<(Item, Vec<Condition>), DynamoError> {
    let mut key = Item::new();
    let mut rest = Vec::new();
    for c in conjuncts(filter) {
        let attr = std::iter::once(&schema.hash)
            .chain(schema.range.as_ref())
            .find_map(|k| match key_values(&c, &k.name) {
                Some(v) if v.len() == 1 && !matches!(c, Condition::Or(..)) => {
                    Some((k.name.clone(), v.into_iter().next().expect("one")))
                }
                _ => None,
            });
        match attr {
            Some((name, v)) => match key.get(&name) {
                Some(old) if *old != v => {
                    return Err(DynamoError::validation(format!(
                        "Multiple conditions on same key {name}. Only single item Update/Insert/Delete are supported"
                    )))
                }
                Some(_) => {}
                None => {
                    key.insert(name, v);
                }
            },
            None => rest.push(c),
        }
    }
    let complete = key.contains_key(&schema.hash.name)
        && schema
            .range
            .as_ref()
            .is_none_or(|r| key.contains_key(&r.name));
    if !complete {
        return Err(DynamoError::validation(
            "Where clause does not contain a mandatory equality on all key attributes",
        ));
    }
    Ok((key, rest))
}

/// The condition an INSERT runs under: no item with its key exists.
pub(super) fn absent(schema: &KeySchema) -> Condition {
    Condition::AttributeNotExists(Path::attribute(&schema.hash.name))
}

/// The condition an UPDATE (or an EXISTS) runs under: the item exists, and the WHERE's
/// conjuncts beside its key hold.
pub(super) fn present_and(schema: &KeySchema, rest: Vec<Condition>) -> Option<Condition> {
    let mut conds = vec![Condition::AttributeExists(Path::attribute(
        &schema.hash.name,
    ))];
    conds.extend(rest);
    and_all(conds)
}

/// The name a projected path's value takes in a PartiQL result: its last named component and
/// the list indexes after it (`SELECT m.k[1]` answers `k[1]`).
fn output_name(p: &Path) -> String {
    let last =
        p.0.iter()
            .rposition(|e| matches!(e, PathElem::Name(_)))
            .unwrap_or(0);
    let mut s = String::new();
    for e in &p.0[last..] {
        match e {
            PathElem::Name(n) => s.push_str(n),
            PathElem::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A SELECT's projection: the paths and the names their values take (distinct).
pub(super) struct Columns(Vec<(Path, String)>);

impl Columns {
    pub fn new(paths: Option<&Vec<Path>>) -> Result<Option<Columns>> {
        let Some(paths) = paths else { return Ok(None) };
        let mut out: Vec<(Path, String)> = Vec::new();
        for p in paths {
            let name = output_name(p);
            if out.iter().any(|(_, n)| *n == name) {
                return Err(DynamoError::validation(format!(
                    "Duplicate identifiers in select clause: {name}"
                )));
            }
            out.push((p.clone(), name));
        }
        Ok(Some(Columns(out)))
    }

    /// What the command reads: the top-level attributes the paths start at (the paths are
    /// then resolved in them; a nested projection would pack selected list elements
    /// together).
    pub fn projection(&self) -> Projection {
        let mut paths: Vec<Path> = Vec::new();
        for (p, _) in &self.0 {
            let top = Path::attribute(p.top());
            if !paths.contains(&top) {
                paths.push(top);
            }
        }
        Projection { paths }
    }

    /// The item (wire JSON) as the SELECT returns it: each path's value under its name.
    pub fn apply(&self, item: &Value) -> Value {
        let mut out = Map::new();
        for (path, name) in &self.0 {
            let mut v = Some(item);
            for (i, e) in path.0.iter().enumerate() {
                v = match (e, v) {
                    (PathElem::Name(n), Some(x)) if i == 0 => x.get(n),
                    (PathElem::Name(n), Some(x)) => x.get("M").and_then(|m| m.get(n)),
                    (PathElem::Index(k), Some(x)) => x.get("L").and_then(|l| l.get(*k)),
                    (_, None) => None,
                };
            }
            if let Some(v) = v {
                out.insert(name.clone(), v.clone());
            }
        }
        Value::Object(out)
    }
}

/// A SELECT planned against its table.
struct SelectPlan {
    index: Option<String>,
    /// The partition-key values to Query, in order; `None`: a Scan.
    keys: Option<Vec<AttributeValue>>,
    hash: String,
    sort: Option<Condition>,
    filter: Option<Condition>,
    columns: Option<Columns>,
    forward: bool,
    /// The whole primary key, when the WHERE pins one item of the table: read as a GetItem
    /// (the same item, the same units, without a range read).
    item_key: Option<Item>,
}

fn plan_select(select: &partiql::Select, binder: &Binder, t: &Table) -> Result<SelectPlan> {
    let index = match &select.from.index {
        Some(name) => Some(t.def.index(name).ok_or_else(|| {
            DynamoError::validation("The table does not have the specified index")
        })?),
        None => None,
    };
    let schema = index.map(|i| &i.schema).unwrap_or(&t.def.schema);
    let filter = select
        .filter
        .as_ref()
        .map(|f| binder.condition(f))
        .transpose()?;
    let columns = Columns::new(select.projection.as_ref())?;
    let parts = filter.clone().map(conjuncts).unwrap_or_default();
    // A composite GSI key is read by a Scan of the index with the WHERE clause as its filter
    // (the planner decomposes single-attribute keys only).
    let mut keys = parts
        .iter()
        .find_map(|c| key_values(c, &schema.hash.name))
        .filter(|_| !schema.is_composite());
    if let Some(values) = &keys {
        for (i, v) in values.iter().enumerate() {
            if v.scalar_type() != Some(schema.hash.ty) {
                return Err(key_type_error(&schema.hash.name));
            }
            if values[..i].contains(v) {
                return Err(DynamoError::validation(
                    "Overlapping conditions with range keys are not supported in where clause",
                ));
            }
        }
        if values.len() > MAX_DECOMPOSED {
            return Err(DynamoError::validation(
                "Too many decomposed read operations for a given query.",
            ));
        }
    }
    // A Query of a global index filters only what the index holds (the service's answer; with
    // no key condition the index is scanned and such a filter just matches nothing).
    if let (Some(idx), Some(_), Some(f)) = (index, &keys, &filter) {
        if super::query_page::is_global(t, idx) {
            let mut missing: Vec<&str> = Vec::new();
            for p in f.paths() {
                let top = p.top();
                if !super::query_page::index_holds(idx, &t.def.schema, top)
                    && !missing.contains(&top)
                {
                    missing.push(top);
                }
            }
            if !missing.is_empty() {
                return Err(DynamoError::invalid_parameter(format!(
                    "Secondary index {} does not project one or more filter attributes: [{}]",
                    idx.name,
                    missing.join(", ")
                )));
            }
        }
    }
    // An OR that names the sort key decomposes into reads of the partition, which must not
    // overlap: only equalities of the sort key may be OR-ed (`sk = 1 OR sk = 2`); a range
    // or another attribute beside one overlaps (the service's answer for
    // `sk > '0' OR sk < '5'` and `sk = '1' OR flag = 'two'`).
    if let (Some(_), Some(r)) = (&keys, &schema.range) {
        for c in &parts {
            if let Condition::Or(..) = c {
                let names_sort = c
                    .paths()
                    .iter()
                    .any(|p| p.0.len() == 1 && p.top() == r.name);
                if names_sort && key_values(c, &r.name).is_none() {
                    return Err(DynamoError::validation(
                        "Overlapping conditions with range keys are not supported in where clause",
                    ));
                }
            }
        }
    }
    // An IN on the sort key decomposes too (one read per pair of values): its values must be
    // of the key's type, and the pairs count against the limit.
    if let (Some(values), Some(r)) = (&keys, &schema.range) {
        if let Some(sorts) = parts.iter().find_map(|c| match c {
            Condition::In(..) => key_values(c, &r.name),
            _ => None,
        }) {
            if sorts.iter().any(|v| v.scalar_type() != Some(r.ty)) {
                return Err(key_type_error(&r.name));
            }
            if values.len() * sorts.len() > MAX_DECOMPOSED {
                return Err(DynamoError::validation(
                    "Too many decomposed read operations for a given query.",
                ));
            }
        }
    }
    let sort = match (&keys, &schema.range) {
        (Some(_), Some(r)) => parts.iter().find_map(|c| sort_condition(c, &r.name)),
        _ => None,
    };
    if let (Some(s), Some(r)) = (&sort, &schema.range) {
        if values_of(s).iter().any(|v| v.scalar_type() != Some(r.ty)) {
            return Err(key_type_error(&r.name));
        }
    }
    // Only what a key condition accepts becomes one (begins_with of a string or binary,
    // BETWEEN with its bounds in order); the rest is left to the filter, which holds the
    // whole WHERE.
    let sort = sort.filter(|s| match (s, &schema.range) {
        (Condition::BeginsWith(..), Some(r)) => r.ty != crate::value::ScalarType::N,
        (Condition::Between(_, Operand::Value(lo), Operand::Value(hi)), Some(r)) => {
            let key =
                |v: &AttributeValue| crate::operations::key_condition::typed_key(v, r.ty).ok();
            key(lo) <= key(hi)
        }
        _ => true,
    });
    let mut forward = true;
    if let Some((path, desc)) = &select.order_by {
        if select.filter.is_none() {
            return Err(DynamoError::validation(
                "Must have WHERE clause in the statement when using ORDER BY clause.",
            ));
        }
        let Some(values) = keys.as_mut() else {
            return Err(DynamoError::validation(
                "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
            ));
        };
        let attr = (path.0.len() == 1).then(|| path.top());
        let is_range = schema.range.as_ref().map(|r| r.name.as_str()) == attr && attr.is_some();
        if attr == Some(schema.hash.name.as_str()) {
            let ty = schema.hash.ty;
            values.sort_by_key(|v| crate::operations::key_condition::typed_key(v, ty).ok());
            if *desc {
                values.reverse();
            }
        } else if is_range {
            if values.len() > 1 {
                return Err(DynamoError::validation(
                    "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause.",
                ));
            }
        } else {
            return Err(DynamoError::validation(format!(
                "Variable reference {} in ORDER BY clause must be part of the primary key",
                partiql::path_text(path)
            )));
        }
        forward = !desc;
    }
    let item_key = match (&keys, &schema.range, &sort) {
        (Some(v), None, _) if index.is_none() && v.len() == 1 => {
            let mut key = Item::new();
            key.insert(schema.hash.name.clone(), v[0].clone());
            Some(key)
        }
        (Some(v), Some(r), Some(s)) if index.is_none() && v.len() == 1 => equality_on(s, &r.name)
            .map(|sv| {
                let mut key = Item::new();
                key.insert(schema.hash.name.clone(), v[0].clone());
                key.insert(r.name.clone(), sv.clone());
                key
            }),
        _ => None,
    };
    Ok(SelectPlan {
        item_key,
        index: select.from.index.clone(),
        keys,
        hash: schema.hash.name.clone(),
        sort,
        filter,
        columns,
        forward,
    })
}

/// Where a SELECT's next page starts: which of its Queries, and the key after which.
struct Token {
    query: usize,
    key: Option<Value>,
}

fn encode_token(fingerprint: &str, t: &Token) -> String {
    let body = json!({"v": 1, "h": fingerprint, "q": t.query, "k": t.key});
    base64::engine::general_purpose::STANDARD.encode(body.to_string())
}

fn decode_token(fingerprint: &str, text: &str) -> Result<Token> {
    let invalid = || DynamoError::validation("Invalid NextToken");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if v["v"] != 1 {
        return Err(invalid());
    }
    if v["h"].as_str() != Some(fingerprint) {
        return Err(DynamoError::validation("NextToken does not match request"));
    }
    Ok(Token {
        query: v["q"].as_u64().ok_or_else(invalid)? as usize,
        key: match &v["k"] {
            Value::Null => None,
            k => Some(k.clone()),
        },
    })
}

fn start_key(v: Option<Value>) -> Result<Option<Item>> {
    v.map(|k| {
        serde_json::from_value::<std::collections::BTreeMap<String, WireValue>>(k)
            .map_err(|_| DynamoError::validation("Invalid NextToken"))
            .and_then(crate::value::attribute::validate_map)
    })
    .transpose()
}

/// Adds one ConsumedCapacity (wire JSON) into another, member by member.
pub(super) fn add_consumed(total: &mut Option<Value>, more: Option<&Value>) {
    fn add(a: &mut Value, b: &Value) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    match a.get_mut(k) {
                        Some(x) => add(x, v),
                        None => {
                            a.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (a @ Value::Number(_), Value::Number(b)) => {
                let sum = a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0);
                *a = json!(sum);
            }
            _ => {}
        }
    }
    let Some(more) = more else { return };
    match total {
        Some(t) => add(t, more),
        None => *total = Some(more.clone()),
    }
}

fn to_value(out: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(out)
        .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))
}

/// What ExecuteStatement answers for a statement.
pub(super) struct StatementOutput {
    pub items: Vec<Value>,
    pub next_token: Option<String>,
    pub consumed: Option<Value>,
}

/// The request members a statement's execution takes.
pub(super) struct Options {
    pub consistent: bool,
    pub limit: Option<usize>,
    pub next_token: Option<String>,
    pub return_consumed_capacity: Option<String>,
    pub old_on_condition_failure: bool,
}

/// Runs one statement as the command it stands for (ExecuteStatement, and each write of a
/// BatchExecuteStatement).
pub(super) fn execute(
    ctx: &mut Context<'_>,
    prepared: &Prepared,
    options: Options,
) -> Result<StatementOutput> {
    let binder = prepared.binder();
    let write_options = |table: &str, return_values: ReturnValues| WriteOptions {
        table: table.to_string(),
        return_values,
        return_consumed_capacity: options.return_consumed_capacity.clone(),
        collection_metrics: false,
        old_on_condition_failure: options.old_on_condition_failure,
    };
    let single = |items: Option<Value>, consumed: Option<Value>| StatementOutput {
        items: items.into_iter().collect(),
        next_token: None,
        consumed,
    };
    match &prepared.statement {
        Statement::Select(select) => select_page(ctx, prepared, select, &binder, options),
        Statement::Exists(_) => Err(DynamoError::validation(
            "EXISTS can only be used in ExecuteTransaction write requests.",
        )),
        Statement::Insert(insert) => {
            let item = insert_item(&binder, &insert.value)?;
            let schema = schema_of(ctx, &insert.table)?;
            let put = PutItem::planned(
                write_options(&insert.table, ReturnValues::None),
                item,
                Some(absent(&schema)),
            );
            let out = put.execute(ctx).map_err(duplicate)?;
            Ok(single(None, out.consumed_capacity))
        }
        Statement::Update(update) => {
            let schema = schema_of(ctx, &update.table)?;
            let actions = binder.actions(&update.assignments)?;
            let filter = binder.condition(&update.filter)?;
            let (key, rest) = single_item(filter, &schema)?;
            let cmd = UpdateItem::planned(
                write_options(&update.table, return_values(update.returning)),
                key,
                UpdateExpression { actions },
                present_and(&schema, rest),
            );
            let out = cmd.execute(ctx)?;
            Ok(single(
                out.attributes.map(to_value).transpose()?,
                out.consumed_capacity,
            ))
        }
        Statement::Delete(delete) => {
            let schema = schema_of(ctx, &delete.table)?;
            let filter = binder.condition(&delete.filter)?;
            let (key, rest) = single_item(filter, &schema)?;
            let cmd = DeleteItem::planned(
                write_options(&delete.table, return_values(delete.returning)),
                key,
                and_all(rest),
            );
            let out = cmd.execute(ctx)?;
            Ok(single(
                out.attributes.map(to_value).transpose()?,
                out.consumed_capacity,
            ))
        }
    }
}

fn return_values(r: Option<Returning>) -> ReturnValues {
    match r {
        None => ReturnValues::None,
        Some(Returning::AllOld) => ReturnValues::AllOld,
        Some(Returning::ModifiedOld) => ReturnValues::UpdatedOld,
        Some(Returning::AllNew) => ReturnValues::AllNew,
        Some(Returning::ModifiedNew) => ReturnValues::UpdatedNew,
    }
}

/// An INSERT's item, under the rules every item obeys (names, nesting, size).
pub(super) fn insert_item(binder: &Binder, value: &partiql::Expr) -> Result<Item> {
    let item = binder.item(value)?;
    crate::value::check_item_shape(&item)?;
    super::validate::check_item_size(&item, "Item size has exceeded the maximum allowed size")?;
    Ok(item)
}

/// An INSERT's failed `attribute_not_exists`: DynamoDB's DuplicateItemException.
pub(super) fn duplicate(e: DynamoError) -> DynamoError {
    if e.kind == ErrorKind::ConditionalCheckFailed {
        DynamoError::new(
            ErrorKind::DuplicateItem,
            "Duplicate primary key exists in table",
        )
    } else {
        e
    }
}

/// The key schema of an ACTIVE table.
pub(super) fn schema_of(ctx: &mut Context<'_>, table: &str) -> Result<KeySchema> {
    Ok(ctx.active_table(table)?.read().def.schema.clone())
}

fn select_page(
    ctx: &mut Context<'_>,
    prepared: &Prepared,
    select: &partiql::Select,
    binder: &Binder,
    options: Options,
) -> Result<StatementOutput> {
    let table = ctx.active_table(&select.from.table)?;
    let plan = {
        let t = table.read();
        let plan = plan_select(select, binder, &t)?;
        if options.consistent
            && plan
                .index
                .as_ref()
                .is_some_and(|i| t.def.gsis.iter().any(|g| g.name == *i))
        {
            return Err(DynamoError::validation(
                "Strongly consistent read is not supported on Global Secondary Indexes",
            ));
        }
        plan
    };
    let fingerprint = || {
        format!(
            "{}:{}:{}",
            prepared.fingerprint(),
            select.from.table,
            select.from.index.as_deref().unwrap_or("")
        )
    };
    let start = options
        .next_token
        .as_deref()
        .map(|t| decode_token(&fingerprint(), t))
        .transpose()?;
    let projection = plan.columns.as_ref().map(Columns::projection);
    let mut items: Vec<Value> = Vec::new();
    let mut consumed = None;
    let mut next = None;
    let shape = |item: &Value| match &plan.columns {
        Some(c) => c.apply(item),
        None => item.clone(),
    };
    match &plan.keys {
        Some(_) if plan.item_key.is_some() && start.is_none() => {
            let get = GetItem::planned(
                select.from.table.clone(),
                plan.item_key.clone().unwrap_or_default(),
                options.consistent,
                // The WHERE is evaluated on the whole item, then the columns taken.
                None,
                options.return_consumed_capacity.clone(),
            );
            let out = get.execute(ctx)?;
            if let Some(item) = out.item {
                if plan.filter.as_ref().is_none_or(|f| f.evaluate(&item)) {
                    items.push(shape(&to_value(item)?));
                }
            }
            consumed = out.consumed_capacity;
        }
        None => {
            let scan = Scan::planned(
                select.from.table.clone(),
                plan.index.clone(),
                plan.filter.clone(),
                projection,
                options.limit,
                start_key(start.and_then(|s| s.key))?,
                options.consistent,
                options.return_consumed_capacity.clone(),
            );
            let out: Value = serde_json::from_str(scan.execute(ctx)?.get())
                .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))?;
            items.extend(out["Items"].as_array().into_iter().flatten().map(shape));
            add_consumed(&mut consumed, out.get("ConsumedCapacity"));
            if let Some(k) = out.get("LastEvaluatedKey") {
                next = Some(Token {
                    query: 0,
                    key: Some(k.clone()),
                });
            }
        }
        Some(values) => {
            let (first, mut key) = match start {
                Some(t) => (t.query, t.key),
                None => (0, None),
            };
            let mut remaining = options.limit;
            let mut bytes = 0;
            for (i, v) in values.iter().enumerate().skip(first) {
                if remaining == Some(0) || bytes >= PAGE_BYTES {
                    next = Some(Token {
                        query: i,
                        key: None,
                    });
                    break;
                }
                let hash = Condition::Compare(
                    Operand::Path(Path::attribute(&plan.hash)),
                    Comparator::Eq,
                    Operand::Value(Arc::new(v.clone())),
                );
                let key_condition = match &plan.sort {
                    Some(s) => Condition::And(Box::new(hash), Box::new(s.clone())),
                    None => hash,
                };
                let query = Query::planned(QueryPlan {
                    table: select.from.table.clone(),
                    index: plan.index.clone(),
                    key_condition,
                    filter: plan.filter.clone(),
                    projection: projection.clone(),
                    forward: plan.forward,
                    limit: remaining,
                    exclusive_start_key: start_key(key.take())?,
                    consistent: options.consistent,
                    return_consumed_capacity: options.return_consumed_capacity.clone(),
                })?;
                let out: Value = serde_json::from_str(query.execute(ctx)?.get())
                    .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))?;
                for item in out["Items"].as_array().into_iter().flatten() {
                    bytes += item.to_string().len();
                    items.push(shape(item));
                }
                add_consumed(&mut consumed, out.get("ConsumedCapacity"));
                if let Some(r) = remaining.as_mut() {
                    *r = r.saturating_sub(out["ScannedCount"].as_u64().unwrap_or(0) as usize);
                }
                if let Some(k) = out.get("LastEvaluatedKey") {
                    next = Some(Token {
                        query: i,
                        key: Some(k.clone()),
                    });
                    break;
                }
            }
        }
    }
    Ok(StatementOutput {
        items,
        next_token: next.map(|t| encode_token(&fingerprint(), &t)),
        consumed,
    })
}

/// A statement member's length: 1 to 8,192 characters.
pub(super) fn statement_length(
    c: &mut crate::error::Constraints,
    text: Option<&str>,
    member: &str,
) {
    match text {
        None => c.not_null(false, member),
        Some("") => c.add(
            "''",
            member,
            "Member must have length greater than or equal to 1",
        ),
        Some(t) if t.chars().count() > MAX_STATEMENT => c.add(
            format!("'{t}'"),
            member,
            &format!("Member must have length less than or equal to {MAX_STATEMENT}"),
        ),
        _ => {}
    }
}
