//! The smaller control-plane operations: time to live, tags, limits and endpoints.

use super::table_schema::{validate_tags, TagW};
use super::validate::table_name;
use super::RequestContext;
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::storage::catalog::TableRef;
use crate::storage::table::TimeToLive;
use crate::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlSpecW {
    enabled: Option<bool>,
    attribute_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveInput {
    table_name: Option<String>,
    time_to_live_specification: Option<TtlSpecW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTimeToLiveInput {
    table_name: Option<String>,
}

fn table_not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Table: {name} not found"),
    )
}

/// UpdateTimeToLive: names the attribute holding each item's expiry (epoch seconds). The emulator
/// deletes expired items exactly when its clock passes their expiry, where DynamoDB takes up to a
/// few days: exactness keeps tests deterministic.
pub fn update_time_to_live(engine: &Engine, input: UpdateTimeToLiveInput) -> Result<Value> {
    let mut c = Constraints::new();
    super::validate::check_name(&mut c, input.table_name.as_deref(), "tableName", true);
    match &input.time_to_live_specification {
        None => c.not_null(false, "timeToLiveSpecification"),
        Some(s) => {
            c.not_null(
                s.attribute_name.is_some(),
                "timeToLiveSpecification.attributeName",
            );
            c.not_null(s.enabled.is_some(), "timeToLiveSpecification.enabled");
            if let Some(a) = &s.attribute_name {
                if a.is_empty() || a.len() > 255 {
                    c.add(
                        format!("'{a}'"),
                        "timeToLiveSpecification.attributeName",
                        if a.is_empty() {
                            "Member must have length greater than or equal to 1"
                        } else {
                            "Member must have length less than or equal to 255"
                        },
                    );
                }
            }
        }
    }
    c.into_result()?;
    let name = input.table_name.as_deref().expect("checked");
    let spec = input.time_to_live_specification.expect("checked");
    let (enabled, attribute) = (
        spec.enabled.expect("checked"),
        spec.attribute_name.expect("checked"),
    );
    let table = engine
        .catalog
        .get(name)
        .ok_or_else(|| table_not_found(name))?;
    let mut t = table.write();
    match (&t.ttl, enabled) {
        (Some(cur), true) if cur.enabled => {
            return Err(DynamoError::validation("TimeToLive is already enabled"));
        }
        (Some(cur), false) if cur.enabled && cur.attribute != attribute => {
            return Err(DynamoError::validation(
                "TimeToLive is active on a different AttributeName: current AttributeName is "
                    .to_string()
                    + &cur.attribute,
            ));
        }
        (None, false) => return Err(DynamoError::validation("TimeToLive is already disabled")),
        (Some(cur), false) if !cur.enabled => {
            return Err(DynamoError::validation("TimeToLive is already disabled"))
        }
        _ => {}
    }
    t.ttl = Some(TimeToLive {
        attribute: attribute.clone(),
        enabled,
    });
    t.reschedule_ttl();
    t.expire(engine.clock.now());
    Ok(json!({"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}))
}

pub fn describe_time_to_live(engine: &Engine, input: DescribeTimeToLiveInput) -> Result<Value> {
    let name = table_name(input.table_name.as_deref())?;
    let table = engine
        .catalog
        .get(name)
        .ok_or_else(|| table_not_found(name))?;
    let t = table.read();
    Ok(match &t.ttl {
        Some(ttl) if ttl.enabled => json!({"TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED", "AttributeName": ttl.attribute}}),
        _ => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    resource_arn: Option<String>,
    tags: Option<Vec<TagW>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsInput {
    resource_arn: Option<String>,
    #[allow(dead_code)]
    next_token: Option<String>,
}

fn arn_constraints(c: &mut Constraints, arn: Option<&str>) {
    match arn {
        None => c.not_null(false, "resourceArn"),
        Some("") => c.add(
            "''",
            "resourceArn",
            "Member must have length greater than or equal to 1",
        ),
        Some(a) if a.len() > 1283 => c.add(
            format!("'{a}'"),
            "resourceArn",
            "Member must have length less than or equal to 1283",
        ),
        _ => {}
    }
}

/// Finds the table an ARN names: `arn:aws:dynamodb:<region>:<account>:table/<name>`.
fn table_by_arn(engine: &Engine, arn: &str) -> Result<TableRef> {
    let name = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":table/"))
        .map(|(_, name)| name)
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| {
            DynamoError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            ))
        })?;
    let table = engine.catalog.get(name).filter(|t| t.read().arn == arn);
    table.ok_or_else(|| {
        DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: ResourcArn: {arn} not found"),
        )
    })
}

pub fn tag_resource(engine: &Engine, input: TagResourceInput) -> Result<Value> {
    let mut c = Constraints::new();
    arn_constraints(&mut c, input.resource_arn.as_deref());
    c.not_null(input.tags.is_some(), "tags");
    c.into_result()?;
    let tags = input.tags.expect("checked");
    validate_tags(&tags)?;
    let table = table_by_arn(engine, input.resource_arn.as_deref().expect("checked"))?;
    let mut t = table.write();
    let mut merged = t.tags.clone();
    for tag in tags {
        merged.insert(tag.key.unwrap_or_default(), tag.value.unwrap_or_default());
    }
    if merged.len() > 50 {
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            "One or more parameter values were invalid: The number of tags exceeds the limit of 50",
        ));
    }
    t.tags = merged;
    Ok(json!({}))
}

pub fn untag_resource(engine: &Engine, input: UntagResourceInput) -> Result<Value> {
    let mut c = Constraints::new();
    arn_constraints(&mut c, input.resource_arn.as_deref());
    c.not_null(input.tag_keys.is_some(), "tagKeys");
    c.into_result()?;
    let table = table_by_arn(engine, input.resource_arn.as_deref().expect("checked"))?;
    let mut t = table.write();
    for k in input.tag_keys.expect("checked") {
        t.tags.remove(&k);
    }
    Ok(json!({}))
}

pub fn list_tags_of_resource(engine: &Engine, input: ListTagsInput) -> Result<Value> {
    let mut c = Constraints::new();
    arn_constraints(&mut c, input.resource_arn.as_deref());
    c.into_result()?;
    let table = table_by_arn(engine, input.resource_arn.as_deref().expect("checked"))?;
    let t = table.read();
    let tags: Vec<Value> = t
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}

#[derive(Deserialize)]
pub struct Empty {}

/// DescribeLimits: DynamoDB's default per-region quotas.
pub fn describe_limits(_engine: &Engine, _input: Empty) -> Result<Value> {
    Ok(json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }))
}

/// DescribeEndpoints: the regional endpoint clients may cache (endpoint discovery).
pub fn describe_endpoints(_engine: &Engine, ctx: &RequestContext, _input: Empty) -> Result<Value> {
    Ok(json!({"Endpoints": [{
        "Address": format!("dynamodb.{}.amazonaws.com", ctx.region),
        "CachePeriodInMinutes": 1440,
    }]}))
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

use super::command::unsplit_command;

unsplit_command!(
    /// UpdateTimeToLive.
    UpdateTimeToLive, UpdateTimeToLiveInput, |ctx, input| update_time_to_live(ctx.engine, input)
);
unsplit_command!(
    /// DescribeTimeToLive.
    DescribeTimeToLive, DescribeTimeToLiveInput, |ctx, input| describe_time_to_live(ctx.engine, input)
);
unsplit_command!(
    /// TagResource.
    TagResource, TagResourceInput, |ctx, input| tag_resource(ctx.engine, input)
);
unsplit_command!(
    /// UntagResource.
    UntagResource, UntagResourceInput, |ctx, input| untag_resource(ctx.engine, input)
);
unsplit_command!(
    /// ListTagsOfResource.
    ListTagsOfResource, ListTagsInput, |ctx, input| list_tags_of_resource(ctx.engine, input)
);
unsplit_command!(
    /// DescribeLimits.
    DescribeLimits, Empty, |ctx, input| describe_limits(ctx.engine, input)
);
unsplit_command!(
    /// DescribeEndpoints.
    DescribeEndpoints, Empty, |ctx, input| describe_endpoints(ctx.engine, ctx.request, input)
);
