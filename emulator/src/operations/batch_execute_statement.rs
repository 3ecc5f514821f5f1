//! BatchExecuteStatement: up to 25 PartiQL statements, all reads or all writes, each answered
//! on its own (a failed statement is an `Error` entry, not a failed request). Reads must name
//! one item by its whole primary key, as BatchGetItem's do; each runs as a GetItem, each write
//! as the single-item write it stands for.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchExecuteStatement.html>.

use super::command::{json, Command, Context};
use super::get_item::GetItem;
use super::statement::{
    add_consumed, exact_key, execute, single_item, statement_length, Columns, Options, Prepared,
};
use super::validate::{list_length, parameters_length, return_consumed_capacity};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::partiql::Statement;
use crate::value::attribute::WireValue;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BatchStatementRequest {
    statement: Option<String>,
    parameters: Option<Vec<WireValue>>,
    consistent_read: Option<bool>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BatchExecuteStatementInput {
    statements: Option<Vec<BatchStatementRequest>>,
    return_consumed_capacity: Option<String>,
}

/// One statement of the batch: parsed, or the error its entry answers.
struct Entry {
    prepared: std::result::Result<Prepared, DynamoError>,
    consistent: bool,
    old_on_condition_failure: bool,
}

/// A validated BatchExecuteStatement.
pub(super) struct BatchExecuteStatement {
    entries: Vec<Entry>,
    return_consumed_capacity: Option<String>,
}

/// The batch error code of an error, as `BatchStatementError.Code` spells it.
pub(super) fn batch_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ConditionalCheckFailed => "ConditionalCheckFailed",
        ErrorKind::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
        ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
        ErrorKind::ResourceNotFound => "ResourceNotFound",
        ErrorKind::DuplicateItem => "DuplicateItem",
        ErrorKind::InternalServer => "InternalServerError",
        ErrorKind::AccessDenied => "AccessDenied",
        _ => "ValidationError",
    }
}

fn error_entry(e: &DynamoError, table: Option<&str>) -> Value {
    let mut err = json!({"Code": batch_code(e.kind), "Message": e.message});
    if let Some(item) = &e.item {
        err["Item"] = item.clone();
    }
    let mut entry = json!({ "Error": err });
    if let Some(t) = table {
        entry["TableName"] = json!(t);
    }
    entry
}

impl TryFrom<BatchExecuteStatementInput> for BatchExecuteStatement {
    type Error = DynamoError;

    fn try_from(input: BatchExecuteStatementInput) -> Result<Self> {
        let mut c = Constraints::new();
        list_length(
            &mut c,
            input.statements.as_ref().map(Vec::len),
            "statements",
            25,
        );
        for s in input.statements.iter().flatten() {
            statement_length(
                &mut c,
                s.statement.as_deref(),
                "statements.member.statement",
            );
            parameters_length(
                &mut c,
                s.parameters.as_ref(),
                "statements.member.parameters",
            );
        }
        return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
        let statements = c.finish(input.statements)?;
        let entries: Vec<Entry> = statements
            .into_iter()
            .map(|s| Entry {
                prepared: Prepared::new(s.statement.as_deref().unwrap_or_default(), s.parameters),
                consistent: s.consistent_read.unwrap_or(false),
                old_on_condition_failure: s.return_values_on_condition_check_failure.as_deref()
                    == Some("ALL_OLD"),
            })
            .collect();
        let reads = entries
            .iter()
            .filter(|e| e.prepared.as_ref().is_ok_and(Prepared::is_read))
            .count();
        let parsed = entries.iter().filter(|e| e.prepared.is_ok()).count();
        if reads > 0 && reads < parsed {
            return Err(DynamoError::validation(
                "Read and write requests together in the same batch is not supported.",
            ));
        }
        Ok(BatchExecuteStatement {
            entries,
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

impl Command for BatchExecuteStatement {
    type Input = BatchExecuteStatementInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<BatchExecuteStatementInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        // Two statements on one item: the whole batch is refused, as BatchGetItem and
        // BatchWriteItem refuse a key twice, before anything runs.
        let mut seen = std::collections::HashSet::new();
        for e in &self.entries {
            if let Some(id) = e.prepared.as_ref().ok().and_then(|p| identity(ctx, p)) {
                if !seen.insert(id) {
                    return Err(DynamoError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
            }
        }
        let rcc = self.return_consumed_capacity;
        let mut consumed: BTreeMap<String, Option<Value>> = BTreeMap::new();
        let mut responses = Vec::with_capacity(self.entries.len());
        for entry in self.entries {
            let prepared = match entry.prepared {
                Ok(p) => p,
                Err(e) => {
                    responses.push(error_entry(&e, None));
                    continue;
                }
            };
            let table = prepared.table().to_string();
            let exists = ctx.engine.catalog.get(&table).is_some();
            let result = if prepared.is_read() {
                read(ctx, &prepared, entry.consistent, rcc.clone())
            } else {
                execute(
                    ctx,
                    &prepared,
                    Options {
                        consistent: false,
                        limit: None,
                        next_token: None,
                        return_consumed_capacity: rcc.clone(),
                        old_on_condition_failure: entry.old_on_condition_failure,
                    },
                )
                .map(|o| (o.items.into_iter().next(), o.consumed))
            };
            match result {
                Ok((item, cc)) => {
                    add_consumed(consumed.entry(table.clone()).or_default(), cc.as_ref());
                    let mut r = json!({ "TableName": table });
                    if let Some(i) = item {
                        r["Item"] = i;
                    }
                    responses.push(r);
                }
                Err(e) => responses.push(error_entry(&e, exists.then_some(table.as_str()))),
            }
        }
        let mut out = json!({ "Responses": responses });
        let cc: Vec<Value> = consumed.into_values().flatten().collect();
        if !cc.is_empty() {
            out["ConsumedCapacity"] = json!(cc);
        }
        Ok(out)
    }
}

/// The item a statement names (its table and primary key), when it names one.
fn identity(ctx: &Context<'_>, prepared: &Prepared) -> Option<(String, crate::value::Item)> {
    let table = prepared.table().to_string();
    let schema = ctx.engine.catalog.get(&table)?.read().def.schema.clone();
    let binder = prepared.binder();
    let key = match &prepared.statement {
        Statement::Insert(i) => {
            let item = binder.item(&i.value).ok()?;
            let mut key = crate::value::Item::new();
            for attr in std::iter::once(&schema.hash).chain(schema.range.as_ref()) {
                key.insert(attr.name.clone(), item.get(&attr.name)?.clone());
            }
            key
        }
        Statement::Update(u) => {
            single_item(binder.condition(&u.filter).ok()?, &schema)
                .ok()?
                .0
        }
        Statement::Delete(d) => {
            single_item(binder.condition(&d.filter).ok()?, &schema)
                .ok()?
                .0
        }
        Statement::Select(s) if s.from.index.is_none() => {
            single_item(binder.condition(s.filter.as_ref()?).ok()?, &schema)
                .ok()?
                .0
        }
        _ => return None,
    };
    Some((table, key))
}

/// A batch read: one item by its whole primary key, from the table (not an index).
fn read(
    ctx: &mut Context<'_>,
    prepared: &Prepared,
    consistent: bool,
    rcc: Option<String>,
) -> Result<(Option<Value>, Option<Value>)> {
    let Statement::Select(select) = &prepared.statement else {
        return Err(DynamoError::internal_bug());
    };
    let not_single = || {
        DynamoError::validation(
            "Select statements within BatchExecuteStatement must specify the primary key in the where clause.",
        )
    };
    let schema = ctx
        .active_table(&select.from.table)?
        .read()
        .def
        .schema
        .clone();
    let key = exact_key(select, &prepared.binder(), &schema)?.ok_or_else(not_single)?;
    let columns = Columns::new(select.projection.as_ref())?;
    let get = GetItem::planned(
        select.from.table.clone(),
        key,
        consistent,
        columns.as_ref().map(Columns::projection),
        rcc,
    );
    let out = serde_json::to_value(get.execute(ctx)?)
        .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))?;
    let item = out.get("Item").map(|i| match &columns {
        Some(c) => c.apply(i),
        None => i.clone(),
    });
    Ok((item, out.get("ConsumedCapacity").cloned()))
}
