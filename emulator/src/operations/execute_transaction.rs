//! ExecuteTransaction: up to 100 PartiQL statements as one transaction, all reads (a
//! TransactGetItems) or all writes (a TransactWriteItems, `EXISTS(SELECT ...)` being its
//! condition checks), all or nothing, idempotent under a ClientRequestToken.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteTransaction.html>.

use super::command::{Command, Context};
use super::statement::{
    absent, exact_key, insert_item, present_and, single_item, statement_length, validate_params,
    Columns, Prepared,
};
use super::transact_get_items::TransactGetItems;
use super::transact_write_items::{fingerprint, PlannedAction, TransactWriteItems};
use super::validate::{
    client_request_token, enum_check, list_length, parameters_length, return_consumed_capacity,
};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::expression::UpdateExpression;
use crate::partiql::{and_all, Statement};
use crate::value::attribute::WireValue;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ParameterizedStatement {
    statement: Option<String>,
    parameters: Option<Vec<WireValue>>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ExecuteTransactionInput {
    transact_statements: Option<Vec<ParameterizedStatement>>,
    client_request_token: Option<String>,
    return_consumed_capacity: Option<String>,
}

/// The wire input and the request's JSON, which idempotency compares.
pub(super) type Wire = super::wire::WithRaw<ExecuteTransactionInput>;

/// A validated ExecuteTransaction.
pub(super) struct ExecuteTransaction {
    statements: Vec<(Prepared, bool)>,
    reads: bool,
    token: Option<(String, String)>,
    return_consumed_capacity: Option<String>,
}

/// A statement's own error, prefixed with where it stands, as DynamoDB reports it.
fn at(i: usize, e: DynamoError) -> DynamoError {
    if e.kind == ErrorKind::Validation {
        DynamoError::validation(format!(
            "Validation failed in TransactStatements[{i}]: {}",
            e.message
        ))
    } else {
        e
    }
}

impl TryFrom<Wire> for ExecuteTransaction {
    type Error = DynamoError;

    fn try_from(wire: Wire) -> Result<Self> {
        let Wire { input, raw } = wire;
        let mut c = Constraints::new();
        list_length(
            &mut c,
            input.transact_statements.as_ref().map(Vec::len),
            "transactStatements",
            100,
        );
        for s in input.transact_statements.iter().flatten() {
            statement_length(
                &mut c,
                s.statement.as_deref(),
                "transactStatements.member.statement",
            );
            parameters_length(
                &mut c,
                s.parameters.as_ref(),
                "transactStatements.member.parameters",
            );
            enum_check(
                &mut c,
                s.return_values_on_condition_check_failure.as_deref(),
                "transactStatements.member.returnValuesOnConditionCheckFailure",
                &["ALL_OLD", "NONE"],
            );
        }
        client_request_token(&mut c, input.client_request_token.as_deref());
        return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
        let list = c.finish(input.transact_statements)?;
        // Parameters first, for every statement (an invalid one is the request's error),
        // then each statement.
        let mut statements = Vec::with_capacity(list.len());
        let list = list
            .into_iter()
            .map(|s| {
                Ok((
                    validate_params(s.parameters)?,
                    s.statement,
                    s.return_values_on_condition_check_failure,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        for (i, (params, text, on_failure)) in list.into_iter().enumerate() {
            let old = on_failure.as_deref() == Some("ALL_OLD");
            let prepared = Prepared::with_values(text.as_deref().unwrap_or_default(), params)
                .map_err(|e| at(i, e))?;
            let returning = match &prepared.statement {
                Statement::Update(u) => u.returning.is_some(),
                Statement::Delete(d) => d.returning.is_some(),
                _ => false,
            };
            if returning {
                return Err(at(
                    i,
                    DynamoError::validation(
                        "RETURNING clause is not supported in ExecuteTransaction.",
                    ),
                ));
            }
            if let Statement::Select(sel) | Statement::Exists(sel) = &prepared.statement {
                if sel.from.index.is_some() {
                    return Err(at(
                        i,
                        DynamoError::validation(
                            "Reads on indices are not supported within transactions.",
                        ),
                    ));
                }
            }
            statements.push((prepared, old));
        }
        let reads = statements.iter().filter(|(p, _)| p.is_read()).count();
        if reads > 0 && reads < statements.len() {
            return Err(DynamoError::validation(
                "ExecuteTransaction API does not support both read and write operations in the same request.",
            ));
        }
        Ok(ExecuteTransaction {
            reads: reads > 0,
            statements,
            token: input.client_request_token.map(|t| (t, fingerprint(&raw))),
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

impl Command for ExecuteTransaction {
    type Input = Wire;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<Wire> {
        Wire::parse(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        // A statement on a missing table cancels the transaction, that statement's reason
        // naming it (the service's answer, unlike TransactWriteItems' ResourceNotFound).
        let missing: Vec<bool> = self
            .statements
            .iter()
            .map(|(p, _)| ctx.engine.catalog.get(p.table()).is_none())
            .collect();
        if missing.iter().any(|m| *m) {
            return Err(DynamoError::transaction_canceled(
                missing
                    .iter()
                    .map(|m| match m {
                        true => json!({"Code": "ResourceNotFound", "Message": "Requested resource not found"}),
                        false => json!({"Code": "None"}),
                    })
                    .collect(),
            ));
        }
        if self.reads {
            self.read(ctx)
        } else {
            self.write(ctx)
        }
    }
}

/// A cancellation whose reasons are the statements' validation errors (`None` elsewhere).
fn validation_reasons(refused: &[Option<String>]) -> DynamoError {
    DynamoError::transaction_canceled(
        refused
            .iter()
            .map(|u| match u {
                Some(m) => json!({"Code": "ValidationError", "Message": m}),
                None => json!({"Code": "None"}),
            })
            .collect(),
    )
}

impl ExecuteTransaction {
    fn read(self, ctx: &mut Context<'_>) -> Result<Value> {
        let mut gets = Vec::with_capacity(self.statements.len());
        let mut columns = Vec::with_capacity(self.statements.len());
        let mut refused: Vec<Option<String>> = Vec::with_capacity(self.statements.len());
        for (i, (prepared, _)) in self.statements.iter().enumerate() {
            let Statement::Select(select) = &prepared.statement else {
                return Err(DynamoError::internal_bug());
            };
            let not_single = || {
                at(
                    i,
                    DynamoError::validation(
                        "Select statements within ExecuteTransaction must specify the primary key in the where clause.",
                    ),
                )
            };
            let schema = ctx.table(&select.from.table)?.read().def.schema.clone();
            let key = exact_key(select, &prepared.binder(), &schema)
                .map_err(|e| at(i, e))?
                .ok_or_else(not_single)?;
            refused.push(schema.key_from_request(&key).err().map(|e| e.message));
            let c = Columns::new(select.projection.as_ref()).map_err(|e| at(i, e))?;
            gets.push((
                select.from.table.clone(),
                key,
                c.as_ref().map(Columns::projection),
            ));
            columns.push(c);
        }
        if refused.iter().any(Option::is_some) {
            return Err(validation_reasons(&refused));
        }
        let mut out =
            TransactGetItems::planned(gets, self.return_consumed_capacity).execute(ctx)?;
        if let Some(responses) = out["Responses"].as_array_mut() {
            for (r, c) in responses.iter_mut().zip(&columns) {
                if let (Some(item), Some(c)) = (r.get_mut("Item"), c) {
                    *item = c.apply(item);
                }
            }
        }
        Ok(out)
    }

    fn write(self, ctx: &mut Context<'_>) -> Result<Value> {
        let mut actions = Vec::with_capacity(self.statements.len());
        let mut inserts = Vec::with_capacity(self.statements.len());
        // A statement that does not name one item (or whose key or item does not fit the
        // schema) cancels the transaction with a ValidationError for it, once every statement
        // has been checked.
        let mut refused: Vec<Option<String>> = vec![None; self.statements.len()];
        for (i, (prepared, old)) in self.statements.iter().enumerate() {
            let binder = prepared.binder();
            let table = prepared.table().to_string();
            let schema = ctx.table(&table)?.read().def.schema.clone();
            let keyed = |filter: &crate::partiql::Expr| {
                let condition = binder.condition(filter).map_err(|e| at(i, e))?;
                Ok::<_, DynamoError>(single_item(condition, &schema).ok())
            };
            let planned = match &prepared.statement {
                Statement::Insert(insert) => {
                    let item = insert_item(&binder, &insert.value).map_err(|e| at(i, e))?;
                    Some((PlannedAction::Put(item), Some(absent(&schema))))
                }
                Statement::Update(update) => {
                    let update_actions =
                        binder.actions(&update.assignments).map_err(|e| at(i, e))?;
                    keyed(&update.filter)?.map(|(key, rest)| {
                        (
                            PlannedAction::Update(
                                key,
                                UpdateExpression {
                                    actions: update_actions,
                                },
                            ),
                            present_and(&schema, rest),
                        )
                    })
                }
                Statement::Delete(delete) => keyed(&delete.filter)?
                    .map(|(key, rest)| (PlannedAction::Delete(key), and_all(rest))),
                Statement::Exists(select) => match &select.filter {
                    Some(f) => keyed(f)?.map(|(key, rest)| {
                        (
                            PlannedAction::ConditionCheck(key),
                            present_and(&schema, rest),
                        )
                    }),
                    None => return Err(at(
                        i,
                        DynamoError::validation(
                            "EXISTS() must contain a single item read with additional condition",
                        ),
                    )),
                },
                Statement::Select(_) => return Err(DynamoError::internal_bug()),
            };
            inserts.push(matches!(prepared.statement, Statement::Insert(_)));
            let fits = match &planned {
                Some((PlannedAction::Put(item), _)) => schema.key_from_item(item).map(|_| ()),
                Some((
                    PlannedAction::Delete(key)
                    | PlannedAction::ConditionCheck(key)
                    | PlannedAction::Update(key, _),
                    _,
                )) => schema.key_from_request(key).map(|_| ()),
                None => Err(DynamoError::validation(
                    "The provided key element does not match the schema",
                )),
            };
            match (planned, fits) {
                (Some((action, condition)), Ok(())) => {
                    actions.push((table, action, condition, *old))
                }
                (_, Err(e)) => refused[i] = Some(e.message),
                (None, Ok(())) => {}
            }
        }
        if refused.iter().any(Option::is_some) {
            return Err(validation_reasons(&refused));
        }
        let tx = TransactWriteItems::planned(actions, self.return_consumed_capacity, self.token);
        match tx.execute(ctx) {
            Ok(out) => Ok(out),
            Err(mut e) => {
                // An INSERT's failed `attribute_not_exists` is a duplicate item.
                if let Some(reasons) = e.cancellation_reasons.as_mut() {
                    for (r, insert) in reasons.iter_mut().zip(&inserts) {
                        if *insert && r["Code"] == "ConditionalCheckFailed" {
                            *r = json!({"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"});
                        }
                    }
                    e = DynamoError::transaction_canceled(reasons.clone());
                }
                Err(e)
            }
        }
    }
}
