//! TransactWriteItems: up to 100 puts, updates, deletes and condition checks over any tables,
//! all or nothing.
//!
//! Isolation: once validated, a transaction takes its items ([`crate::transaction`]): a
//! transaction that overlaps another in flight is cancelled with a `TransactionConflict`
//! reason at each taken item, and a single-item write of a taken item fails with
//! `TransactionConflictException`, as DynamoDB's conflict rules say. It then locks every table
//! it touches (in name order, so two transactions cannot deadlock), plans every action
//! (capacity admitted, condition checked, new item computed) and only then commits them all,
//! under those locks. A refused action cancels the transaction with one reason per action, in
//! order.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html>.

use super::command::{Command, Context};
use super::metered::{commit_write, plan_write, Change, Planned, Refusal};
use super::validate::{
    check_condition, check_index_keys, check_item_size, check_name, client_request_token,
    enum_check, list_length, placeholder_maps, return_consumed_capacity,
    return_item_collection_metrics, ExpressionParams, WireMap,
};
use crate::capacity::{consumed_list, Split};
use crate::engine::IdempotentEntry;
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::expression::{self, Condition, Placeholders, UpdateExpression};
use crate::storage::StoredKey;
use crate::table::Table;
use crate::value::attribute::validate_map;
use crate::value::{item_size, Item};
use parking_lot::RwLockWriteGuard;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// How long a ClientRequestToken is remembered.
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(600);
/// Largest total size of a transaction's items.
const MAX_TRANSACTION_SIZE: usize = 4 * 1024 * 1024;
/// Tokens remembered at most; past it the oldest are forgotten first (DynamoDB keeps each for
/// 10 minutes; a client sending more than this many distinct tokens in 10 minutes loses
/// idempotency only for the oldest).
const MAX_IDEMPOTENCY_TOKENS: usize = 100_000;

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ActionW {
    table_name: Option<String>,
    key: Option<WireMap>,
    item: Option<WireMap>,
    condition_expression: Option<String>,
    update_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransactWriteItemW {
    condition_check: Option<ActionW>,
    put: Option<ActionW>,
    delete: Option<ActionW>,
    update: Option<ActionW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransactWriteItemsInput {
    transact_items: Option<Vec<TransactWriteItemW>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    client_request_token: Option<String>,
}

/// The wire input and the request's JSON, which idempotency compares.
pub(super) type Wire = super::wire::WithRaw<TransactWriteItemsInput>;

/// What one action does.
enum Kind {
    ConditionCheck,
    /// The item to put.
    Put(Item),
    Delete,
    Update(Option<UpdateExpression>),
}

/// One action, validated without its table: `target` is the item (Put) or the key.
struct ActionSpec {
    table: String,
    target: Item,
    kind: Kind,
    condition: Option<Condition>,
    return_old_on_failure: bool,
}

/// A validated TransactWriteItems.
pub(super) struct TransactWriteItems {
    actions: Vec<ActionSpec>,
    return_consumed_capacity: Option<String>,
    collection_metrics: bool,
    /// The token and the request's fingerprint.
    token: Option<(String, String)>,
}

fn constraints(input: &TransactWriteItemsInput) -> Constraints {
    let mut c = Constraints::new();
    return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
    return_item_collection_metrics(&mut c, input.return_item_collection_metrics.as_deref());
    list_length(
        &mut c,
        input.transact_items.as_ref().map(Vec::len),
        "transactItems",
        100,
    );
    client_request_token(&mut c, input.client_request_token.as_deref());
    c
}

/// Parses and validates one action completely, without its table.
fn action(w: TransactWriteItemW) -> Result<ActionSpec> {
    let (a, which) = match (w.condition_check, w.put, w.delete, w.update) {
        (Some(a), None, None, None) => (a, 0),
        (None, Some(a), None, None) => (a, 1),
        (None, None, Some(a), None) => (a, 2),
        (None, None, None, Some(a)) => (a, 3),
        _ => {
            return Err(DynamoError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ))
        }
    };
    let mut c = Constraints::new();
    check_name(
        &mut c,
        a.table_name.as_deref(),
        "transactItems.member.tableName",
        true,
    );
    enum_check(
        &mut c,
        a.return_values_on_condition_check_failure.as_deref(),
        "transactItems.member.returnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    );
    let target = match which {
        0 => {
            c.not_null(a.key.is_some(), "transactItems.member.conditionCheck.key");
            c.not_null(
                a.condition_expression.is_some(),
                "transactItems.member.conditionCheck.conditionExpression",
            );
            a.key
        }
        1 => {
            c.not_null(a.item.is_some(), "transactItems.member.put.item");
            a.item
        }
        2 => {
            c.not_null(a.key.is_some(), "transactItems.member.delete.key");
            a.key
        }
        _ => {
            c.not_null(a.key.is_some(), "transactItems.member.update.key");
            c.not_null(
                a.update_expression.is_some(),
                "transactItems.member.update.updateExpression",
            );
            a.key
        }
    };
    let (table, target) = c.finish(a.table_name.zip(target))?;
    ExpressionParams {
        expressions: &[
            ("UpdateExpression", a.update_expression.is_some()),
            ("ConditionExpression", a.condition_expression.is_some()),
        ],
        legacy: &[],
        names: a.expression_attribute_names.is_some(),
        values: a.expression_attribute_values.is_some(),
    }
    .check()?;
    let values = placeholder_maps(
        a.expression_attribute_names.as_ref(),
        a.expression_attribute_values,
        false,
    )?;
    let mut p = Placeholders::new(a.expression_attribute_names.as_ref(), values.as_ref());
    let update = match &a.update_expression {
        Some(text) if which == 3 => Some(expression::parse_update(text, &mut p)?),
        _ => None,
    };
    let condition = a
        .condition_expression
        .as_deref()
        .map(|text| expression::parse_condition(text, &mut p, "ConditionExpression"))
        .transpose()?;
    p.finish()?;
    let target = validate_map(target)?;
    Ok(ActionSpec {
        table,
        kind: match which {
            0 => Kind::ConditionCheck,
            1 => Kind::Put(target.clone()),
            2 => Kind::Delete,
            _ => Kind::Update(update),
        },
        target,
        condition,
        return_old_on_failure: a.return_values_on_condition_check_failure.as_deref()
            == Some("ALL_OLD"),
    })
}
/// The canonical form of a request for idempotency: the SHA-256 of its JSON without the token
/// (a digest, so a remembered 4 MB transaction costs 64 bytes, not 4 MB).
pub(super) fn fingerprint(body: &Value) -> String {
    use sha2::Digest;
    let digest = match body.as_object() {
        Some(m) => {
            let mut h = sha2::Sha256::new();
            // serde_json's maps are ordered, so this is the canonical JSON, member by member.
            for (k, v) in m.iter().filter(|(k, _)| *k != "ClientRequestToken") {
                h.update(k.as_bytes());
                h.update(v.to_string().as_bytes());
            }
            h.finalize()
        }
        None => sha2::Sha256::digest(body.to_string().as_bytes()),
    };
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One action of a transaction a PartiQL ExecuteTransaction stands for.
pub(super) enum PlannedAction {
    /// `EXISTS(SELECT ...)`: the key and the condition.
    ConditionCheck(Item),
    /// INSERT: the item.
    Put(Item),
    /// DELETE: the key.
    Delete(Item),
    /// UPDATE: the key and the update.
    Update(Item, UpdateExpression),
}

impl TransactWriteItems {
    /// The TransactWriteItems a PartiQL write transaction stands for: per statement its
    /// table, action, condition and whether a failed condition returns the item.
    pub(super) fn planned(
        actions: Vec<(String, PlannedAction, Option<Condition>, bool)>,
        return_consumed_capacity: Option<String>,
        token: Option<(String, String)>,
    ) -> TransactWriteItems {
        let actions = actions
            .into_iter()
            .map(|(table, action, condition, return_old_on_failure)| {
                let (target, kind) = match action {
                    PlannedAction::ConditionCheck(key) => (key, Kind::ConditionCheck),
                    PlannedAction::Put(item) => (item.clone(), Kind::Put(item)),
                    PlannedAction::Delete(key) => (key, Kind::Delete),
                    PlannedAction::Update(key, u) => (key, Kind::Update(Some(u))),
                };
                ActionSpec {
                    table,
                    target,
                    kind,
                    condition,
                    return_old_on_failure,
                }
            })
            .collect();
        TransactWriteItems {
            actions,
            return_consumed_capacity,
            collection_metrics: false,
            token,
        }
    }
}

impl TryFrom<Wire> for TransactWriteItems {
    type Error = DynamoError;

    fn try_from(wire: Wire) -> Result<Self> {
        let Wire { input, raw } = wire;
        let items = constraints(&input).finish(input.transact_items)?;
        let token = input.client_request_token.map(|t| (t, fingerprint(&raw)));
        Ok(TransactWriteItems {
            actions: items.into_iter().map(action).collect::<Result<_>>()?,
            return_consumed_capacity: input.return_consumed_capacity,
            collection_metrics: input.return_item_collection_metrics.as_deref() == Some("SIZE"),
            token,
        })
    }
}

/// An action checked against its table's schema.
struct Action {
    table: String,
    key: StoredKey,
    /// The key's attributes (an Update of a missing item starts from them).
    key_item: Item,
    kind: Kind,
    condition: Option<Condition>,
    return_old_on_failure: bool,
}

/// Checks an action against its table: the key (or the item's key), a Put's item limits, an
/// Update that would change a key attribute.
fn resolve(ctx: &mut Context<'_>, a: ActionSpec) -> Result<Action> {
    let table = ctx.table(&a.table)?;
    let t = table.read();
    let (key, key_item) = match &a.kind {
        Kind::Put(item) => {
            let key = t.def.schema.key_from_item(item)?;
            check_item_size(item, "Item size has exceeded the maximum allowed size")?;
            check_index_keys(&t, item)?;
            let key_item = t.def.schema.key_item(&key);
            (key, key_item)
        }
        _ => (t.def.schema.key_from_request(&a.target)?, a.target),
    };
    if let Kind::Update(Some(u)) = &a.kind {
        for attr in u.top_level_names() {
            if t.def.schema.is_key_attribute(attr) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Cannot update attribute {attr}. This attribute is part of the key"
                )));
            }
        }
    }
    Ok(Action {
        table: a.table,
        key,
        key_item,
        kind: a.kind,
        condition: a.condition,
        return_old_on_failure: a.return_old_on_failure,
    })
}

/// The change an action makes to the item as it is, or why it cannot.
fn decide(a: &Action, t: &Table, old: Option<&Item>) -> Result<Change> {
    check_condition(a.condition.as_ref(), old, a.return_old_on_failure)?;
    Ok(match &a.kind {
        Kind::ConditionCheck => Change::Keep,
        Kind::Delete => Change::Delete,
        Kind::Put(item) => Change::Put(item.clone()),
        Kind::Update(u) => {
            let mut item = old.cloned().unwrap_or_else(|| a.key_item.clone());
            if let Some(u) = u {
                u.apply(&mut item)?;
            }
            check_item_size(
                &item,
                "Item size to update has exceeded the maximum allowed size",
            )?;
            check_index_keys(t, &item)?;
            Change::Put(item)
        }
    })
}

/// The cancellation reason of a refused action.
fn reason(refusal: Refusal) -> Value {
    match refusal {
        Refusal::Throttled(_) => {
            json!({"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity for one or more global secondary indexes or the table. DynamoDB is automatically scaling your table or index so please try again shortly."})
        }
        Refusal::Rejected { error, .. } => match error.kind {
            ErrorKind::ConditionalCheckFailed => {
                let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
                if let Some(o) = error.item {
                    r["Item"] = o;
                }
                r
            }
            ErrorKind::ItemCollectionSizeLimitExceeded => {
                json!({"Code": "ItemCollectionSizeLimitExceeded", "Message": error.message})
            }
            _ => json!({"Code": "ValidationError", "Message": error.message}),
        },
    }
}

impl TransactWriteItems {
    /// The remembered response of an earlier request with this token, or a mismatch error.
    fn replay(&self, ctx: &Context<'_>, now: Duration) -> Result<Option<Value>> {
        let Some((tok, print)) = &self.token else {
            return Ok(None);
        };
        let mut seen = ctx.engine.idempotency.lock();
        seen.retain(|_, e| now.saturating_sub(e.at) < IDEMPOTENCY_WINDOW);
        if seen.len() >= MAX_IDEMPOTENCY_TOKENS && !seen.contains_key(tok) {
            let mut ages: Vec<(Duration, String)> =
                seen.iter().map(|(k, e)| (e.at, k.clone())).collect();
            ages.sort();
            for (_, k) in ages
                .iter()
                .take(seen.len() + 1 - MAX_IDEMPOTENCY_TOKENS / 2)
            {
                seen.remove(k);
            }
        }
        match seen.get(tok) {
            Some(e) if e.fingerprint != *print => Err(DynamoError::new(
                ErrorKind::IdempotentParameterMismatch,
                "Request parameters do not match the parameters of the previous request with the same ClientRequestToken",
            )),
            Some(e) => Ok(Some(e.response.clone())),
            None => Ok(None),
        }
    }
}

/// A ClientRequestToken whose transaction is in flight, until this drops.
struct InFlight<'e> {
    engine: &'e crate::engine::Engine,
    token: String,
}

impl<'e> InFlight<'e> {
    fn enter(engine: &'e crate::engine::Engine, token: &str) -> Result<InFlight<'e>> {
        let token = token.to_string();
        if !engine.tokens_in_flight.lock().insert(token.clone()) {
            return Err(DynamoError::new(
                ErrorKind::TransactionInProgress,
                "The transaction with the given request token is already in progress.",
            ));
        }
        Ok(InFlight { engine, token })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.engine.tokens_in_flight.lock().remove(&self.token);
    }
}

impl Command for TransactWriteItems {
    type Input = Wire;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<Wire> {
        Wire::parse(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        // All of the transaction's changes, or none, after a crash.
        let _group = ctx.engine.journal_group();
        let now = ctx.engine.clock.now();
        // A retry whose first attempt is still in flight (a client that timed out, say):
        // DynamoDB answers TransactionInProgressException, which the SDKs retry. Entered
        // before the replay check, so a retry arriving as the first attempt finishes finds
        // either the token in flight or its recorded answer, never neither.
        let _in_flight = match &self.token {
            Some((tok, _)) => Some(InFlight::enter(ctx.engine, tok)?),
            None => None,
        };
        if let Some(response) = self.replay(ctx, now)? {
            return Ok(response);
        }
        let mut actions = Vec::with_capacity(self.actions.len());
        for a in self.actions {
            actions.push(resolve(ctx, a)?);
        }
        let mut seen = HashSet::new();
        for a in &actions {
            if !seen.insert((a.table.as_str(), &a.key)) {
                return Err(DynamoError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
        }
        let size: usize = actions
            .iter()
            .map(|a| match &a.kind {
                Kind::Put(i) => item_size(i),
                _ => item_size(&a.key_item),
            })
            .sum();
        if size > MAX_TRANSACTION_SIZE {
            return Err(DynamoError::validation(
                "Transaction size has exceeded the maximum allowed size",
            ));
        }
        let units = commit_all(ctx, &actions, now)?;
        let mut out = json!({});
        if let Some(cc) = consumed_list(
            &units,
            self.return_consumed_capacity.as_deref(),
            Split::Write,
        ) {
            out["ConsumedCapacity"] = cc;
        }
        if self.collection_metrics {
            out["ItemCollectionMetrics"] = json!({});
        }
        if let Some((tok, print)) = self.token {
            ctx.engine.idempotency.lock().insert(
                tok,
                IdempotentEntry {
                    fingerprint: print,
                    at: now,
                    response: out.clone(),
                },
            );
        }
        Ok(out)
    }
}

/// Locks the transaction's tables, plans every action and, if none is refused, commits them
/// all; otherwise cancels with one reason per action. Returns the units charged per table.
fn commit_all(
    ctx: &mut Context<'_>,
    actions: &[Action],
    now: Duration,
) -> Result<BTreeMap<String, f64>> {
    let mut tables = BTreeMap::new();
    for a in actions {
        if !tables.contains_key(&a.table) {
            let t = ctx.active_table(&a.table)?;
            tables.insert(a.table.clone(), t);
        }
    }
    // In flight from here: the items are taken until this returns, committed or cancelled.
    let items = actions
        .iter()
        .map(|a| (tables[&a.table].read().def.name.clone(), a.key.clone()))
        .collect();
    let _held = ctx
        .engine
        .locks
        .take(items)
        .map_err(|conflicts| crate::transaction::cancelled(&conflicts))?;
    ctx.spend_latency();
    let mut guards: BTreeMap<&String, RwLockWriteGuard<'_, Table>> =
        tables.iter().map(|(n, t)| (n, t.write())).collect();
    for g in guards.values_mut() {
        g.expire(now);
    }
    let op = ctx.operation;
    let mut reasons = Vec::with_capacity(actions.len());
    let mut planned: Vec<Planned> = Vec::with_capacity(actions.len());
    for a in actions {
        let t = &guards[&a.table];
        match plan_write(op, t, a.key.clone(), now, |t, old| decide(a, t, old)) {
            Ok(p) => {
                reasons.push(json!({"Code": "None"}));
                planned.push(p);
            }
            Err(refusal) => reasons.push(reason(refusal)),
        }
    }
    if planned.len() < actions.len() {
        return Err(DynamoError::transaction_canceled(reasons));
    }
    let mut units: BTreeMap<String, f64> = BTreeMap::new();
    for (a, p) in actions.iter().zip(planned) {
        let t = guards.get_mut(&a.table).expect("locked");
        // Transactional writes cost twice a standard write; a condition check is charged as a
        // write.
        let done = commit_write(op, t, p, now, 2.0);
        *units.entry(a.table.clone()).or_default() += done.cost.total();
    }
    Ok(units)
}
