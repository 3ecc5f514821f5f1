//! UpdateContributorInsights, DescribeContributorInsights, ListContributorInsights; and the
//! replica auto-scaling calls, which only global tables answer.
//!
//! Enabling insights on a table or a global secondary index creates CloudWatch rules named
//! `DynamoDBContributorInsights-{PKC,PKT,SKC,SKT}-<table>[-<index>]-<epoch ms>` (accessed and
//! throttled keys, by partition key and, with a sort key, by full key; `THROTTLED_KEYS` mode
//! keeps only the throttled ones). The status goes ENABLING → ENABLED (DISABLING → DISABLED)
//! on the emulator's clock, after the transient delay; a table never configured describes as
//! DISABLED without rules. What the rules would show, the emulator counts itself
//! ([`crate::capacity::insights`], control action `Emulator.ContributorInsights`).
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContributorInsights.html>

use super::command::{unsplit_command, Context};
use super::describe_table::{not_found, seconds};
use super::validate::{enum_member, null_member as null};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::storage::definition::ContributorInsights;
use crate::table::Table;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InsightsInput {
    table_name: Option<String>,
    index_name: Option<String>,
    contributor_insights_action: Option<String>,
    contributor_insights_mode: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

const MODES: &[&str] = &["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"];

/// The table, and the index named (only a GSI has insights of its own).
fn resource(ctx: &Context<'_>, i: &InsightsInput) -> Result<crate::table::catalog::TableRef> {
    let name = i.table_name.as_deref().ok_or_else(|| null("tableName"))?;
    let name = crate::table::catalog::table_name_of(name);
    let table = ctx
        .engine
        .catalog
        .get(name)
        .ok_or_else(|| not_found(name))?;
    if let Some(index) = &i.index_name {
        let t = table.read();
        if !t.def.gsis.iter().any(|g| &g.name == index) {
            return Err(DynamoError::new(
                ErrorKind::ResourceNotFound,
                format!("Requested resource not found: Index: {index} not found for table: {name}"),
            ));
        }
    }
    Ok(table)
}

/// The status at `now`: a change settles once the transient delay has passed.
fn status(c: &ContributorInsights, now: Duration, delay: Duration) -> &'static str {
    match (c.enabled, now >= c.updated_at + delay) {
        (true, true) => "ENABLED",
        (true, false) => "ENABLING",
        (false, true) => "DISABLED",
        (false, false) => "DISABLING",
    }
}

fn rules(t: &Table, index: Option<&str>, c: &ContributorInsights) -> Vec<String> {
    let resource = match index {
        Some(i) => format!("{}-{i}", t.def.name),
        None => t.def.name.clone(),
    };
    let schema = match index.and_then(|i| t.def.index(i)) {
        Some(ix) => &ix.schema,
        None => &t.def.schema,
    };
    let sort = schema.range_attributes().next().is_some();
    let throttled_only = c.mode == "THROTTLED_KEYS";
    let ms = c.updated_at.as_millis();
    [("PKC", false), ("PKT", true), ("SKC", false), ("SKT", true)]
        .into_iter()
        .filter(|(kind, throttled)| {
            (sort || kind.starts_with('P')) && (*throttled || !throttled_only)
        })
        .map(|(kind, _)| format!("DynamoDBContributorInsights-{kind}-{resource}-{ms}"))
        .collect()
}

fn describe_one(t: &Table, index: Option<&str>, now: Duration, delay: Duration) -> Value {
    let mut out = json!({ "TableName": t.def.name });
    if let Some(i) = index {
        out["IndexName"] = json!(i);
    }
    match t.def.contributor_insights.get(index.unwrap_or("")) {
        None => out["ContributorInsightsStatus"] = json!("DISABLED"),
        Some(c) => {
            let s = status(c, now, delay);
            out["ContributorInsightsStatus"] = json!(s);
            out["ContributorInsightsMode"] = json!(c.mode);
            out["LastUpdateDateTime"] = seconds(c.updated_at);
            if c.enabled {
                out["ContributorInsightsRuleList"] = json!(rules(t, index, c));
            }
        }
    }
    out
}

fn update(ctx: &mut Context<'_>, i: InsightsInput) -> Result<Value> {
    let action = i
        .contributor_insights_action
        .as_deref()
        .ok_or_else(|| null("contributorInsightsAction"))?;
    enum_member(
        Some(action),
        "contributorInsightsAction",
        &["ENABLE", "DISABLE"],
    )?;
    enum_member(
        i.contributor_insights_mode.as_deref(),
        "contributorInsightsMode",
        MODES,
    )?;
    let table = resource(ctx, &i)?;
    let now = ctx.engine.clock.now();
    let delay = ctx.engine.options.transient_status_delay;
    let mut t = table.write();
    // A table still being created is not there yet for insights.
    if t.def.status(now) == crate::storage::TableStatus::Creating {
        return Err(not_found(&t.def.name));
    }
    if t.def.status(now) != crate::storage::TableStatus::Active && action == "ENABLE" {
        return Err(DynamoError::validation(
            "Table or Index is not in a valid state to update Key Access Insights: TableStatus must be ACTIVE to enable ContributorInsights.",
        ));
    }
    let slot = i.index_name.clone().unwrap_or_default();
    let current = t.def.contributor_insights.get(&slot).cloned();
    let mode = i
        .contributor_insights_mode
        .clone()
        .unwrap_or_else(|| MODES[0].to_string());
    let enable = action == "ENABLE";
    let unchanged = match &current {
        Some(c) => c.enabled == enable && (!enable || c.mode == mode),
        None => !enable,
    };
    if !unchanged {
        let mode = if enable {
            mode
        } else {
            current.as_ref().map_or(mode, |c| c.mode.clone())
        };
        t.def.contributor_insights.insert(
            slot.clone(),
            ContributorInsights {
                enabled: enable,
                mode,
                updated_at: now,
            },
        );
        if enable && slot.is_empty() {
            t.reset_key_counts();
        }
        t.journal_definition(now);
    }
    let mut out = json!({ "TableName": t.def.name });
    if let Some(index) = &i.index_name {
        out["IndexName"] = json!(index);
    }
    let c = t.def.contributor_insights.get(&slot);
    out["ContributorInsightsStatus"] = json!(c.map_or("DISABLED", |c| status(c, now, delay)));
    if let Some(c) = c {
        out["ContributorInsightsMode"] = json!(c.mode);
    }
    Ok(out)
}

fn describe(ctx: &mut Context<'_>, i: InsightsInput) -> Result<Value> {
    let table = resource(ctx, &i)?;
    let t = table.read();
    Ok(describe_one(
        &t,
        i.index_name.as_deref(),
        ctx.engine.clock.now(),
        ctx.engine.options.transient_status_delay,
    ))
}

fn list(ctx: &mut Context<'_>, i: InsightsInput) -> Result<Value> {
    let limit = match i.max_results {
        None => 100,
        Some(n) if (0..=100).contains(&n) => n.max(1) as usize,
        Some(n) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value {}",
                if n < 0 { "greater than or equal to 0" } else { "less than or equal to 100" }
            )))
        }
    };
    let now = ctx.engine.clock.now();
    let delay = ctx.engine.options.transient_status_delay;
    let names: Vec<String> = match &i.table_name {
        Some(n) => {
            let n = crate::table::catalog::table_name_of(n).to_string();
            if ctx.engine.catalog.get(&n).is_none() {
                return Err(not_found(&n));
            }
            vec![n]
        }
        None => ctx.engine.catalog.names_after(None),
    };
    let mut all = Vec::new();
    for name in names {
        let Some(table) = ctx.engine.catalog.get(&name) else {
            continue;
        };
        let t = table.read();
        for (slot, c) in &t.def.contributor_insights {
            let mut s = json!({
                "TableName": t.def.name,
                "ContributorInsightsStatus": status(c, now, delay),
                "ContributorInsightsMode": c.mode,
            });
            if !slot.is_empty() {
                s["IndexName"] = json!(slot);
            }
            all.push(s);
        }
    }
    let start = match &i.next_token {
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= all.len())
            .ok_or_else(|| DynamoError::validation("Invalid NextToken"))?,
        None => 0,
    };
    let end = (start + limit).min(all.len());
    let mut out = json!({ "ContributorInsightsSummaries": all[start..end] });
    if end < all.len() {
        out["NextToken"] = json!(end.to_string());
    }
    Ok(out)
}

/// Replica auto scaling belongs to global tables (version 2019.11.21); the emulator has no
/// replicas in other regions, so every table answers as a table without replicas does.
fn replica_auto_scaling(_ctx: &mut Context<'_>, i: InsightsInput) -> Result<Value> {
    let name = i.table_name.as_deref().ok_or_else(|| null("tableName"))?;
    Err(DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Global table with name: '{name}' does not exist."),
    ))
}

unsplit_command!(
    /// UpdateContributorInsights.
    UpdateContributorInsights, InsightsInput, |ctx, i| update(ctx, i)
);
unsplit_command!(
    /// DescribeContributorInsights.
    DescribeContributorInsights, InsightsInput, |ctx, i| describe(ctx, i)
);
unsplit_command!(
    /// ListContributorInsights.
    ListContributorInsights, InsightsInput, |ctx, i| list(ctx, i)
);
unsplit_command!(
    /// DescribeTableReplicaAutoScaling.
    DescribeTableReplicaAutoScaling, InsightsInput, |ctx, i| replica_auto_scaling(ctx, i)
);
unsplit_command!(
    /// UpdateTableReplicaAutoScaling.
    UpdateTableReplicaAutoScaling, InsightsInput, |ctx, i| replica_auto_scaling(ctx, i)
);
