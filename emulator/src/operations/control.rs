//! The smaller control-plane operations: time to live, tags, limits and endpoints.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html>.

use super::command::{json, Command, Context};
use super::describe_table::control_table;
use super::table_schema::{validate_tags, TagW};
use super::validate::{check_name, table_name};
use crate::engine::Engine;
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::storage::definition::TimeToLive;
use crate::table::catalog::TableRef;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TtlSpecW {
    enabled: Option<bool>,
    attribute_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateTimeToLiveInput {
    table_name: Option<String>,
    time_to_live_specification: Option<TtlSpecW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeTimeToLiveInput {
    table_name: Option<String>,
}

/// A validated UpdateTimeToLive: names the attribute holding each item's expiry (epoch
/// seconds). The emulator deletes expired items exactly when its clock passes their expiry,
/// where DynamoDB takes up to a few days: exactness keeps tests deterministic.
pub(super) struct UpdateTimeToLive {
    table: String,
    enabled: bool,
    attribute: String,
}

impl TryFrom<UpdateTimeToLiveInput> for UpdateTimeToLive {
    type Error = DynamoError;

    fn try_from(input: UpdateTimeToLiveInput) -> Result<Self> {
        let mut c = Constraints::new();
        check_name(&mut c, input.table_name.as_deref(), "tableName", true);
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
        let members = input.table_name.zip(
            input
                .time_to_live_specification
                .and_then(|s| s.enabled.zip(s.attribute_name)),
        );
        let (table, (enabled, attribute)) = c.finish(members)?;
        Ok(UpdateTimeToLive {
            table,
            enabled,
            attribute,
        })
    }
}

impl Command for UpdateTimeToLive {
    type Input = UpdateTimeToLiveInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<UpdateTimeToLiveInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let UpdateTimeToLive {
            table,
            enabled,
            attribute,
        } = self;
        let handle = control_table(ctx.engine, &table)?;
        let mut t = handle.write();
        match (&t.def.ttl, enabled) {
            (Some(cur), true) if cur.enabled => {
                return Err(DynamoError::validation("TimeToLive is already enabled"));
            }
            (Some(cur), false) if cur.enabled && cur.attribute != attribute => {
                return Err(DynamoError::validation(format!(
                    "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                    cur.attribute
                )));
            }
            (None, false) => return Err(DynamoError::validation("TimeToLive is already disabled")),
            (Some(cur), false) if !cur.enabled => {
                return Err(DynamoError::validation("TimeToLive is already disabled"))
            }
            _ => {}
        }
        t.def.ttl = Some(TimeToLive {
            attribute: attribute.clone(),
            enabled,
        });
        t.apply_ttl(ctx.engine.clock.now());
        t.journal_definition(ctx.engine.clock.now());
        Ok(json!({"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}))
    }
}

/// A validated DescribeTimeToLive.
pub(super) struct DescribeTimeToLive {
    table: String,
}

impl TryFrom<DescribeTimeToLiveInput> for DescribeTimeToLive {
    type Error = DynamoError;

    fn try_from(input: DescribeTimeToLiveInput) -> Result<Self> {
        table_name(input.table_name.as_deref())?;
        Ok(DescribeTimeToLive {
            table: Constraints::new().finish(input.table_name)?,
        })
    }
}

impl Command for DescribeTimeToLive {
    type Input = DescribeTimeToLiveInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<DescribeTimeToLiveInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let table = control_table(ctx.engine, &self.table)?;
        let t = table.read();
        Ok(match &t.def.ttl {
            Some(ttl) if ttl.enabled => json!({"TimeToLiveDescription": {
                "TimeToLiveStatus": "ENABLED", "AttributeName": ttl.attribute}}),
            _ => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
        })
    }
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

/// The checks the tagging operations make on `ResourceArn`, in the service's order (dynalite's
/// suite, recorded against the service): a missing ARN is "Invalid TableArn"; an ARN without
/// the shape `a:b:c:d:e:f/g` names nothing an identity can be allowed on, so IAM refuses it
/// before the service looks at the request (AccessDeniedException, naming `*` for an empty
/// one); member constraints come after that.
fn authorize<'a>(engine: &Engine, operation: &str, arn: Option<&'a str>) -> Result<&'a str> {
    let arn = arn.ok_or_else(|| DynamoError::validation("Invalid TableArn"))?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[5].contains('/') {
        return Ok(arn);
    }
    Err(DynamoError::new(
        ErrorKind::AccessDenied,
        format!(
            "User: arn:aws:iam::{}:root is not authorized to perform: dynamodb:{operation} on resource: {}",
            engine.options.account_id,
            if arn.is_empty() { "*" } else { arn }
        ),
    ))
}

/// The table an ARN names, `arn:aws:dynamodb:<region>:<account>:table/<name>` with a valid
/// table name, or the service's "Invalid TableArn" error.
fn table_name_of_arn(arn: &str) -> Result<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":table/"))
        .map(|(_, name)| name)
        .filter(|n| super::validate::is_table_name(n))
        .ok_or_else(|| {
            DynamoError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            ))
        })
}

/// The table an ARN names, if it exists (`not_found` otherwise).
fn table_by_arn(
    engine: &Engine,
    arn: &str,
    not_found: impl FnOnce() -> DynamoError,
) -> Result<TableRef> {
    let name = table_name_of_arn(arn)?;
    engine
        .catalog
        .get(name)
        .filter(|t| t.read().def.arn == arn)
        .ok_or_else(not_found)
}

/// `resourceArn`'s length constraint (the ARN has passed [`authorize`], so it is not empty).
fn arn_length(c: &mut Constraints, arn: &str) {
    if arn.len() > 1283 {
        c.add(
            format!("'{arn}'"),
            "resourceArn",
            "Member must have length less than or equal to 1283",
        );
    }
}

fn resource_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: ResourcArn: {arn} not found"),
    )
}

pub fn tag_resource(engine: &Engine, input: TagResourceInput) -> Result<Value> {
    let arn = authorize(engine, "TagResource", input.resource_arn.as_deref())?;
    let mut c = Constraints::new();
    arn_length(&mut c, arn);
    c.not_null(input.tags.is_some(), "tags");
    let tags = c.finish(input.tags)?;
    table_name_of_arn(arn)?;
    if tags.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    validate_tags(&tags)?;
    let table = table_by_arn(engine, arn, || resource_not_found(arn))?;
    let mut t = table.write();
    let mut merged = t.def.tags.clone();
    for tag in tags {
        merged.insert(tag.key.unwrap_or_default(), tag.value.unwrap_or_default());
    }
    if merged.len() > 50 {
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            "One or more parameter values were invalid: The number of tags exceeds the limit of 50",
        ));
    }
    t.def.tags = merged;
    t.journal_definition(engine.clock.now());
    Ok(json!({}))
}

pub fn untag_resource(engine: &Engine, input: UntagResourceInput) -> Result<Value> {
    let arn = authorize(engine, "UntagResource", input.resource_arn.as_deref())?;
    let mut c = Constraints::new();
    arn_length(&mut c, arn);
    c.not_null(input.tag_keys.is_some(), "tagKeys");
    let keys = c.finish(input.tag_keys)?;
    table_name_of_arn(arn)?;
    if keys.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    let table = table_by_arn(engine, arn, || {
        DynamoError::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    })?;
    let mut t = table.write();
    for k in keys {
        t.def.tags.remove(&k);
    }
    t.journal_definition(engine.clock.now());
    Ok(json!({}))
}

pub fn list_tags_of_resource(engine: &Engine, input: ListTagsInput) -> Result<Value> {
    let arn = authorize(engine, "ListTagsOfResource", input.resource_arn.as_deref())?;
    let mut c = Constraints::new();
    arn_length(&mut c, arn);
    c.into_result()?;
    let table = table_by_arn(engine, arn, || resource_not_found(arn))?;
    let t = table.read();
    let tags: Vec<Value> = t
        .def
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}

/// The input of the operations that take none.
#[derive(Deserialize)]
pub(super) struct Empty {}

/// DescribeLimits: DynamoDB's default per-region quotas.
pub(super) struct DescribeLimits;

impl TryFrom<Empty> for DescribeLimits {
    type Error = DynamoError;
    fn try_from(_: Empty) -> Result<Self> {
        Ok(DescribeLimits)
    }
}

impl Command for DescribeLimits {
    type Input = Empty;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<Empty> {
        json(body)
    }

    fn execute(self, _: &mut Context<'_>) -> Result<Value> {
        Ok(json!({
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }))
    }
}

/// DescribeEndpoints: the regional endpoint clients may cache (endpoint discovery).
pub(super) struct DescribeEndpoints;

impl TryFrom<Empty> for DescribeEndpoints {
    type Error = DynamoError;
    fn try_from(_: Empty) -> Result<Self> {
        Ok(DescribeEndpoints)
    }
}

impl Command for DescribeEndpoints {
    type Input = Empty;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<Empty> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        Ok(json!({"Endpoints": [{
            "Address": format!("dynamodb.{}.amazonaws.com", ctx.request.region),
            "CachePeriodInMinutes": 1440,
        }]}))
    }
}

// ---------------------------------------------------------------------------------------------
// The tagging commands: they authorize the ARN (which needs the engine's account) before
// they validate their members, so their validation stays inside `execute`.
// ---------------------------------------------------------------------------------------------

use super::command::unsplit_command;

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
