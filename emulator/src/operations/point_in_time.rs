//! Point-in-time recovery: UpdateContinuousBackups, DescribeContinuousBackups and
//! RestoreTableToPointInTime.
//!
//! With PITR on, a table can be restored as it was at any moment from
//! `EarliestRestorableDateTime` (when PITR was turned on, or the start of the recovery window,
//! 35 days by default, 1 to 35) to `LatestRestorableDateTime` (about five minutes before now,
//! as DynamoDB reports it), computed here from the table's own history on the emulator's clock
//! ([`crate::backup::PointInTime`]). Continuous backups themselves are always ENABLED.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableToPointInTime.html>

use super::backups::{error, restore_table};
use super::command::{unsplit_command, Context};
use super::describe_table::seconds;
use super::validate::null_member;
use crate::backup::{DAY, RESTORE_LAG};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::table::catalog::TableRef;
use crate::table::Table;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// DynamoDB's default recovery window, and its longest.
const DEFAULT_DAYS: u32 = 35;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PitrSpec {
    point_in_time_recovery_enabled: Option<bool>,
    recovery_period_in_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PitrInput {
    table_name: Option<String>,
    point_in_time_recovery_specification: Option<PitrSpec>,
    source_table_name: Option<String>,
    source_table_arn: Option<String>,
    target_table_name: Option<String>,
    restore_date_time: Option<f64>,
    use_latest_restorable_time: Option<bool>,
    #[serde(flatten)]
    overrides: super::backups::RestoreOverrides,
}

fn table_not_found(name: &str) -> DynamoError {
    error(ErrorKind::TableNotFound, format!("Table not found: {name}"))
}

fn table(ctx: &Context<'_>, name: Option<&str>) -> Result<TableRef> {
    let name = name.ok_or_else(|| null_member("tableName"))?;
    ctx.engine
        .catalog
        .get(name)
        .ok_or_else(|| table_not_found(name))
}

/// The restorable window at `now`: (earliest, latest), if PITR is on.
pub(super) fn window(t: &Table, now: Duration) -> Option<(Duration, Duration)> {
    let (_, days) = t.def.pitr?;
    let earliest = t.pitr()?.earliest().max(now.saturating_sub(DAY * days));
    Some((earliest, now.saturating_sub(RESTORE_LAG).max(earliest)))
}

fn describe(t: &Table, now: Duration) -> Value {
    let pitr = match (t.def.pitr, window(t, now)) {
        (Some((_, days)), Some((earliest, latest))) => json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": days,
            "EarliestRestorableDateTime": seconds(earliest),
            "LatestRestorableDateTime": seconds(latest),
        }),
        _ => json!({ "PointInTimeRecoveryStatus": "DISABLED" }),
    };
    json!({ "ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": pitr,
    }})
}

fn update(ctx: &mut Context<'_>, i: PitrInput) -> Result<Value> {
    let spec = i
        .point_in_time_recovery_specification
        .ok_or_else(|| null_member("pointInTimeRecoverySpecification"))?;
    let enabled = spec.point_in_time_recovery_enabled.ok_or_else(|| {
        null_member("pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled")
    })?;
    let days = match spec.recovery_period_in_days {
        None => DEFAULT_DAYS,
        Some(_) if !enabled => {
            return Err(DynamoError::validation(
                "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true",
            ));
        }
        Some(d) if (1..=DEFAULT_DAYS as i64).contains(&d) => d as u32,
        Some(d) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{d}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value {}",
                if d < 1 { "greater than or equal to 1" } else { "less than or equal to 35" }
            )))
        }
    };
    let table = table(ctx, i.table_name.as_deref())?;
    let now = ctx.engine.clock.now();
    let mut t = table.write();
    t.set_pitr(enabled.then_some(days), now);
    t.journal_definition(now);
    Ok(describe(&t, now))
}

fn describe_command(ctx: &mut Context<'_>, i: PitrInput) -> Result<Value> {
    let table = table(ctx, i.table_name.as_deref())?;
    let t = table.read();
    Ok(describe(&t, ctx.engine.clock.now()))
}

fn restore(ctx: &mut Context<'_>, i: PitrInput) -> Result<Value> {
    let target = i
        .target_table_name
        .clone()
        .ok_or_else(|| null_member("targetTableName"))?;
    let name = match (&i.source_table_name, &i.source_table_arn) {
        (Some(n), _) => n.clone(),
        (None, Some(arn)) => crate::table::catalog::table_name_of(arn).to_string(),
        (None, None) => {
            return Err(DynamoError::validation(
                "Either SourceTableName or SourceTableArn must be specified",
            ))
        }
    };
    let source = ctx.engine.catalog.get(&name).ok_or_else(|| {
        error(
            ErrorKind::SourceTableNotFound,
            format!("Source table not found: {name}"),
        )
    })?;
    let now = ctx.engine.clock.now();
    let (def, items, at) = {
        let t = source.read();
        let Some((earliest, latest)) = window(&t, now) else {
            return Err(error(
                ErrorKind::PointInTimeRecoveryUnavailable,
                format!("Point in time recovery is not enabled for table '{name}'"),
            ));
        };
        let at = match (i.use_latest_restorable_time, i.restore_date_time) {
            (Some(true), _) => latest,
            (_, Some(s)) => Duration::try_from_secs_f64(s.max(0.0)).map_err(|_| {
                error(
                    ErrorKind::InvalidRestoreTime,
                    format!("Invalid RestoreDateTime: {s}"),
                )
            })?,
            _ => {
                return Err(DynamoError::validation(
                    "Either RestoreDateTime or UseLatestRestorableTime must be specified",
                ))
            }
        };
        if at < earliest || at > latest {
            return Err(error(
                ErrorKind::InvalidRestoreTime,
                format!(
                    "RestoreDateTime must be between EarliestRestorableDateTime ({}) and LatestRestorableDateTime ({})",
                    earliest.as_secs_f64(),
                    latest.as_secs_f64()
                ),
            ));
        }
        let items = t.pitr().map(|h| h.state_at(at)).unwrap_or_default();
        (t.def.clone(), items, at)
    };
    restore_table(ctx, &def, items, &target, &i.overrides, (None, at))
}

unsplit_command!(
    /// UpdateContinuousBackups.
    UpdateContinuousBackups, PitrInput, |ctx, i| update(ctx, i)
);
unsplit_command!(
    /// DescribeContinuousBackups.
    DescribeContinuousBackups, PitrInput, |ctx, i| describe_command(ctx, i)
);
unsplit_command!(
    /// RestoreTableToPointInTime.
    RestoreTableToPointInTime, PitrInput, |ctx, i| restore(ctx, i)
);
