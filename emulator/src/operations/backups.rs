//! On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
//! RestoreTableFromBackup, and the restore both they and point-in-time recovery end in.
//!
//! A backup is the table's definition and items at the moment of the request (DynamoDB takes
//! it from a consistent snapshot; so does the emulator, under the table's lock), AVAILABLE at
//! once. A restore creates a new table with the backup's keys, indexes and billing (each
//! overridable), without its stream, TTL, tags or policies, as DynamoDB restores.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Restore.Tutorial.html>

use super::command::{unsplit_command, Context};
use super::describe_table::{describe, key_schema_json, seconds};
use super::table_schema::{
    reserved, table_reservation, throughput_bounds, throughput_constraints, typed_projection,
    typed_schema, typed_throughput, IndexW, ThroughputW,
};
use super::validate::{enum_member, null_member};
use crate::backup::Backup;
use crate::error::{DynamoError, ErrorKind, Result};
use crate::storage::{BillingMode, TableDefinition};
use crate::table::Table;
use crate::value::{item_size, Item};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BackupInput {
    table_name: Option<String>,
    backup_name: Option<String>,
    backup_arn: Option<String>,
    target_table_name: Option<String>,
    limit: Option<usize>,
    exclusive_start_backup_arn: Option<String>,
    time_range_lower_bound: Option<f64>,
    time_range_upper_bound: Option<f64>,
    backup_type: Option<String>,
    #[serde(flatten)]
    overrides: RestoreOverrides,
}

/// What a restore may change of the source (RestoreTableFromBackup and
/// RestoreTableToPointInTime take the same members).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RestoreOverrides {
    billing_mode_override: Option<String>,
    provisioned_throughput_override: Option<ThroughputW>,
    global_secondary_index_override: Option<Vec<IndexW>>,
    local_secondary_index_override: Option<Vec<IndexW>>,
}

pub(super) fn error(kind: ErrorKind, msg: String) -> DynamoError {
    DynamoError::new(kind, msg)
}

fn required<'a>(v: &'a Option<String>, member: &str) -> Result<&'a str> {
    v.as_deref().ok_or_else(|| null_member(member))
}

/// A table or backup name: 3 to 255 of `[a-zA-Z0-9_.-]`, with the member constraint's text.
pub(super) fn valid_name(name: &str, member: &str) -> Result<()> {
    let mut c = crate::error::Constraints::new();
    super::validate::check_name(&mut c, Some(name), member, true);
    c.finish(Some(()))
}

fn details(b: &Backup, status: &str) -> Value {
    json!({
        "BackupArn": b.arn,
        "BackupName": b.name,
        "BackupSizeBytes": b.size,
        "BackupStatus": status,
        "BackupType": "USER",
        "BackupCreationDateTime": seconds(b.created_at),
    })
}

fn description(b: &Backup, status: &str) -> Value {
    let d = &b.def;
    json!({
        "BackupDetails": details(b, status),
        "SourceTableDetails": {
            "TableName": d.name, "TableId": d.id, "TableArn": d.arn,
            "TableSizeBytes": b.size, "ItemCount": b.items.len(),
            "KeySchema": key_schema_json(&d.schema),
            "TableCreationDateTime": seconds(d.created_at),
            "BillingMode": d.billing_mode.as_str(),
            "ProvisionedThroughput": {
                "ReadCapacityUnits": d.throughput.read, "WriteCapacityUnits": d.throughput.write,
            },
        },
        "SourceTableFeatureDetails": {},
    })
}

fn create(ctx: &mut Context<'_>, i: BackupInput) -> Result<Value> {
    let table = required(&i.table_name, "tableName")?;
    let name = required(&i.backup_name, "backupName")?;
    valid_name(name, "backupName")?;
    let t = ctx.engine.catalog.get(table).ok_or_else(|| {
        error(
            ErrorKind::TableNotFound,
            format!("Table not found: {table}"),
        )
    })?;
    let now = ctx.engine.clock.now();
    // What TTL has expired is not in the backup.
    crate::table::catalog::expire_before_read(&t, now);
    let t = t.read();
    let items: Vec<Item> = t.items().collect();
    let b = Backup {
        arn: format!(
            "{}/backup/{:014}-{}",
            t.def.arn,
            now.as_millis(),
            &ctx.engine.uuid()[..8]
        ),
        name: name.to_string(),
        created_at: now,
        size: items.iter().map(|i| item_size(i) as u64).sum(),
        def: t.def.clone(),
        items,
    };
    let out = json!({ "BackupDetails": details(&b, "AVAILABLE") });
    ctx.engine.backups.insert(b);
    Ok(out)
}

fn not_found(arn: &str) -> DynamoError {
    error(
        ErrorKind::BackupNotFound,
        format!("Backup not found: {arn}"),
    )
}

fn describe_backup(ctx: &mut Context<'_>, i: BackupInput) -> Result<Value> {
    let arn = required(&i.backup_arn, "backupArn")?;
    let b = ctx.engine.backups.get(arn).ok_or_else(|| not_found(arn))?;
    Ok(json!({ "BackupDescription": description(&b, "AVAILABLE") }))
}

fn delete_backup(ctx: &mut Context<'_>, i: BackupInput) -> Result<Value> {
    let arn = required(&i.backup_arn, "backupArn")?;
    let b = ctx
        .engine
        .backups
        .remove(arn)
        .ok_or_else(|| not_found(arn))?;
    Ok(json!({ "BackupDescription": description(&b, "DELETED") }))
}

fn list(ctx: &mut Context<'_>, i: BackupInput) -> Result<Value> {
    let limit = i.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {}",
            if limit < 1 { "greater than or equal to 1" } else { "less than or equal to 100" }
        )));
    }
    let secs = |s: f64| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX);
    let user = matches!(i.backup_type.as_deref(), None | Some("USER" | "ALL"));
    let mut all: Vec<Backup> = ctx
        .engine
        .backups
        .list()
        .into_iter()
        .filter(|b| user && i.table_name.as_deref().is_none_or(|t| b.def.name == t))
        .filter(|b| {
            i.time_range_lower_bound
                .is_none_or(|l| b.created_at >= secs(l))
        })
        .filter(|b| {
            i.time_range_upper_bound
                .is_none_or(|u| b.created_at < secs(u))
        })
        .collect();
    if let Some(start) = &i.exclusive_start_backup_arn {
        if let Some(p) = all.iter().position(|b| &b.arn == start) {
            all.drain(..=p);
        }
    }
    let more = all.len() > limit;
    all.truncate(limit);
    let summaries: Vec<Value> = all
        .iter()
        .map(|b| {
            let mut s = details(b, "AVAILABLE");
            s["TableName"] = json!(b.def.name);
            s["TableId"] = json!(b.def.id);
            s["TableArn"] = json!(b.def.arn);
            s
        })
        .collect();
    let mut out = json!({ "BackupSummaries": summaries });
    if more {
        out["LastEvaluatedBackupArn"] = json!(all.last().map(|b| b.arn.clone()));
    }
    Ok(out)
}

/// Creates table `target` from a source definition and items (a backup's, or a table's at a
/// point in time), as of `now`: the source's keys, indexes and billing, each overridable
/// ([`apply_overrides`]), a new name, ARN and id, no stream, TTL, tags or policies, and a
/// RestoreSummary naming the source.
pub(super) fn restore_table(
    ctx: &mut Context<'_>,
    source: &TableDefinition,
    items: Vec<Item>,
    target: &str,
    overrides: &RestoreOverrides,
    restored_from: (Option<String>, Duration),
) -> Result<Value> {
    valid_name(target, "targetTableName")?;
    let engine = ctx.engine;
    let exists = || {
        error(
            ErrorKind::TableAlreadyExists,
            format!("Table already exists: {target}"),
        )
    };
    let mut def = source.clone();
    apply_overrides(&mut def, overrides)?;
    if engine.catalog.get(target).is_some() {
        return Err(exists());
    }
    engine.options.quotas.check_tables(engine.catalog.len())?;
    let now = engine.clock.now();
    def.name = target.to_string();
    def.arn = format!(
        "{}/{target}",
        source.arn.rsplit_once('/').map_or("", |(p, _)| p)
    );
    def.id = engine.uuid();
    def.created_at = now;
    def.stream = None;
    def.ttl = None;
    def.tags.clear();
    def.resource_policies.clear();
    def.pitr = None;
    def.contributor_insights.clear();
    def.transient_until = None;
    def.restored_from = Some((restored_from.0, source.arn.clone(), restored_from.1));
    engine
        .options
        .quotas
        .check_table(&ctx.request.region, reserved(def.throughput), None)?;
    let reservation = table_reservation(def.billing_mode, def.throughput, &def.gsis);
    let id = def.id.clone();
    let table = Table::new(def, engine.environment(engine.with_rng(rand::Rng::gen)));
    let region = ctx.request.region.clone();
    engine
        .reservations
        .reserve(&engine.options.quotas, &region, &id, reservation)?;
    if !engine.catalog.insert(table) {
        engine.reservations.release(&id);
        return Err(exists());
    }
    let t = engine.catalog.get(target).ok_or_else(exists)?;
    let _group = engine.journal_group();
    let mut t = t.write();
    for item in items {
        let key = t.def.schema.key_from_item(&item)?;
        t.put(key, item, now);
    }
    Ok(json!({ "TableDescription": describe(&t, now) }))
}

/// Applies a restore's overrides to the source's definition, as DynamoDB rules them: the
/// billing mode and the table's throughput may change (throughput only for a provisioned
/// result, and must be given when an on-demand source becomes provisioned); an index override
/// list replaces the source's indexes (absent: all of them, `[]`: none), each entry matching a
/// source index by key schema and projection (a new name is allowed, a new index is not).
fn apply_overrides(def: &mut TableDefinition, o: &RestoreOverrides) -> Result<()> {
    enum_member(
        o.billing_mode_override.as_deref(),
        "billingModeOverride",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    )?;
    let billing = match o.billing_mode_override.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some("PROVISIONED") => BillingMode::Provisioned,
        _ => def.billing_mode,
    };
    let overridden = o.billing_mode_override.is_some();
    let check_throughput = |t: &ThroughputW, member: &str| -> Result<()> {
        let mut c = crate::error::Constraints::new();
        throughput_constraints(&mut c, t, member);
        c.finish(Some(()))?;
        throughput_bounds(Some(t))
    };
    if let Some(t) = &o.provisioned_throughput_override {
        check_throughput(t, "provisionedThroughputOverride")?;
    }
    for (n, x) in o
        .global_secondary_index_override
        .iter()
        .flatten()
        .enumerate()
    {
        if let Some(t) = &x.provisioned_throughput {
            check_throughput(
                t,
                &format!(
                    "globalSecondaryIndexOverride.{}.member.provisionedThroughput",
                    n + 1
                ),
            )?;
        }
    }
    for (member, list) in [
        (
            "globalSecondaryIndexOverride",
            &o.global_secondary_index_override,
        ),
        (
            "localSecondaryIndexOverride",
            &o.local_secondary_index_override,
        ),
    ] {
        let mut names = std::collections::HashSet::new();
        for (n, x) in list.iter().flatten().enumerate() {
            let Some(name) = &x.index_name else {
                return Err(null_member(&format!("{member}.{}.member.indexName", n + 1)));
            };
            if !names.insert(name.clone()) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Duplicate index name: {name}"
                )));
            }
        }
    }
    match (&o.provisioned_throughput_override, billing) {
        (Some(_), BillingMode::PayPerRequest) if overridden => {
            return Err(DynamoError::validation(
                "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST",
            ))
        }
        (Some(_), BillingMode::PayPerRequest) => {
            return Err(DynamoError::validation(
                "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED",
            ))
        }
        (None, BillingMode::Provisioned)
            if overridden && def.billing_mode == BillingMode::PayPerRequest =>
        {
            return Err(DynamoError::validation(
                "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
            ))
        }
        _ => {}
    }
    let defs: std::collections::BTreeMap<String, crate::value::ScalarType> =
        def.attribute_definitions.iter().cloned().collect();
    let matching = |x: &IndexW,
                    source: &[crate::storage::IndexDefinition],
                    global: bool|
     -> Result<crate::storage::IndexDefinition> {
        let name = x.index_name.clone().unwrap_or_default();
        let no_match = || {
            DynamoError::validation(format!(
                "Invalid Request: Index {name} does not match a secondary index that existed in the source table and cannot be created during the restore operation"
            ))
        };
        let schema = typed_schema(
            x.key_schema.as_deref().unwrap_or_default(),
            &defs,
            Some(&name),
            global,
        )
        .map_err(|_| no_match())?;
        let projection = x
            .projection
            .as_ref()
            .map(typed_projection)
            .transpose()
            .map_err(|_| no_match())?
            .ok_or_else(no_match)?;
        let found = source
            .iter()
            .find(|s| s.schema == schema && s.projection == projection)
            .ok_or_else(no_match)?;
        let mut index = found.clone();
        index.name = name.clone();
        if global {
            index.throughput = match (billing, &x.provisioned_throughput) {
                (BillingMode::Provisioned, Some(t)) => Some(typed_throughput(t)),
                (BillingMode::Provisioned, None) => {
                    return Err(DynamoError::validation(format!(
                        "Must specify provisioned throughput for index {name}"
                    )))
                }
                (BillingMode::PayPerRequest, Some(_)) => {
                    return Err(DynamoError::validation(format!(
                        "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index {name}"
                    )))
                }
                (BillingMode::PayPerRequest, None) => None,
            };
        }
        Ok(index)
    };
    // Each source index is restored at most once.
    let pick = |list: &[IndexW],
                source: &[crate::storage::IndexDefinition],
                global: bool|
     -> Result<Vec<crate::storage::IndexDefinition>> {
        let mut out: Vec<crate::storage::IndexDefinition> = Vec::new();
        for x in list {
            let index = matching(x, source, global)?;
            if out
                .iter()
                .any(|i| i.schema == index.schema && i.projection == index.projection)
            {
                return Err(DynamoError::validation(format!(
                    "Invalid Request: Index {} does not match a secondary index that existed in the source table and cannot be created during the restore operation",
                    index.name
                )));
            }
            out.push(index);
        }
        Ok(out)
    };
    if let Some(list) = &o.global_secondary_index_override {
        def.gsis = pick(list, &def.gsis, true)?;
    }
    if let Some(list) = &o.local_secondary_index_override {
        def.lsis = pick(list, &def.lsis, false)?;
    }
    if let Some(t) = &o.provisioned_throughput_override {
        def.throughput = typed_throughput(t);
    }
    match billing {
        BillingMode::PayPerRequest => {
            def.throughput = crate::storage::definition::Throughput { read: 0, write: 0 };
            def.gsis.iter_mut().for_each(|g| g.throughput = None);
        }
        BillingMode::Provisioned => {
            // An on-demand source's indexes take the table's new throughput.
            let table = def.throughput;
            def.gsis
                .iter_mut()
                .filter(|g| g.throughput.is_none())
                .for_each(|g| g.throughput = Some(table));
        }
    }
    def.billing_mode = billing;
    // Attributes only a dropped index used are no longer defined.
    let used: std::collections::HashSet<String> = def
        .schema
        .names()
        .chain(
            def.gsis
                .iter()
                .chain(def.lsis.iter())
                .flat_map(|i| i.schema.names()),
        )
        .map(str::to_string)
        .collect();
    def.attribute_definitions.retain(|(n, _)| used.contains(n));
    Ok(())
}

fn restore(ctx: &mut Context<'_>, i: BackupInput) -> Result<Value> {
    let target = required(&i.target_table_name, "targetTableName")?.to_string();
    let arn = required(&i.backup_arn, "backupArn")?;
    let b = ctx.engine.backups.get(arn).ok_or_else(|| not_found(arn))?;
    let now = ctx.engine.clock.now();
    restore_table(
        ctx,
        &b.def,
        b.items,
        &target,
        &i.overrides,
        (Some(b.arn.clone()), now),
    )
}

unsplit_command!(
    /// CreateBackup.
    CreateBackup, BackupInput, |ctx, i| create(ctx, i)
);
unsplit_command!(
    /// DescribeBackup.
    DescribeBackup, BackupInput, |ctx, i| describe_backup(ctx, i)
);
unsplit_command!(
    /// DeleteBackup.
    DeleteBackup, BackupInput, |ctx, i| delete_backup(ctx, i)
);
unsplit_command!(
    /// ListBackups.
    ListBackups, BackupInput, |ctx, i| list(ctx, i)
);
unsplit_command!(
    /// RestoreTableFromBackup.
    RestoreTableFromBackup, BackupInput, |ctx, i| restore(ctx, i)
);
