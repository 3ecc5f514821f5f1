//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy: resource-based policies of
//! tables and streams.
//!
//! DynamoDB stores one policy document per table and per stream and versions it with a
//! revision id, so that writers can update it conditionally (`ExpectedRevisionId`, with
//! `NO_POLICY` for "only if there is none"): a mismatch is PolicyNotFoundException, and putting
//! the document already attached changes nothing (the same revision id comes back). The
//! emulator stores and validates the document; it enforces nothing, since it knows no
//! identities beyond the optional SigV4 keys. The texts are the service's, as moto's
//! AWS-verified tests record them.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html>

use super::command::{unsplit_command, Context};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::storage::definition::ResourcePolicy;
use crate::table::catalog::TableRef;
use serde::Deserialize;
use serde_json::{json, Value};

/// DynamoDB's limit on a policy document, whitespace included.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The `ExpectedRevisionId` that means "only if no policy is attached".
const NO_POLICY: &str = "NO_POLICY";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PolicyInput {
    resource_arn: Option<String>,
    policy: Option<String>,
    expected_revision_id: Option<String>,
    #[allow(dead_code)]
    confirm_remove_self_resource_access: Option<bool>,
}

/// The resource an ARN names: the table holding it, the resource's ARN, and the table's name
/// (the service's messages name the table).
struct Resource {
    table: TableRef,
    arn: String,
    table_name: String,
}

fn not_found(what: &str, name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: {what}: {name} not found"),
    )
}

fn policy_not_found(msg: String) -> DynamoError {
    DynamoError::new(
        ErrorKind::PolicyNotFound,
        format!("Resource-based policy not found for the provided ResourceArn: {msg}"),
    )
}

/// Finds the table or stream `arn` names (`arn:aws:dynamodb:R:A:table/T` or
/// `.../table/T/stream/LABEL`).
fn resource(ctx: &Context<'_>, arn: &str) -> Result<Resource> {
    let invalid = || {
        DynamoError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    let (prefix, rest) = arn
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":table/"))
        .ok_or_else(invalid)?;
    let (name, stream) = match rest.split_once("/stream/") {
        Some((n, label)) => (n, Some(label)),
        None => (rest, None),
    };
    if !super::validate::is_table_name(name) {
        return Err(invalid());
    }
    let table_arn = format!("arn:{prefix}:table/{name}");
    let table = ctx
        .engine
        .catalog
        .get(name)
        .filter(|t| t.read().def.arn == table_arn)
        .ok_or_else(|| not_found("Table", name))?;
    if stream.is_some() {
        let now = ctx.engine.clock.now();
        let exists = table.read().streams().readable(now).any(|s| s.arn == arn);
        if !exists {
            return Err(not_found("Stream", arn));
        }
    }
    Ok(Resource {
        table,
        arn: arn.to_string(),
        table_name: name.to_string(),
    })
}

/// Checks a policy document: at most 20 KB, and a JSON object.
pub(super) fn validate_document(policy: &str) -> Result<()> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Invalid policy document: the policy is {} bytes; the maximum is {MAX_POLICY_BYTES}",
            policy.len()
        )));
    }
    match serde_json::from_str::<Value>(policy) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(DynamoError::validation(
            "One or more parameter values were invalid: Invalid policy document: the policy is not a JSON object",
        )),
    }
}

/// The member constraints of the three operations.
fn constraints(input: &PolicyInput, needs_policy: bool) -> Result<()> {
    let mut c = Constraints::new();
    c.not_null(input.resource_arn.is_some(), "resourceArn");
    if let Some(arn) = &input.resource_arn {
        if arn.is_empty() || arn.len() > 1283 {
            c.add(
                format!("'{arn}'"),
                "resourceArn",
                if arn.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 1283"
                },
            );
        }
    }
    if needs_policy {
        c.not_null(input.policy.is_some(), "policy");
    }
    if let Some(r) = &input.expected_revision_id {
        if r.is_empty() || r.len() > 255 {
            c.add(
                format!("'{r}'"),
                "expectedRevisionId",
                if r.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 255"
                },
            );
        }
    }
    c.finish(Some(()))
}

/// Checks `ExpectedRevisionId` against the policy attached now.
fn check_expected(
    expected: Option<&str>,
    current: Option<&ResourcePolicy>,
    resource: &Resource,
) -> Result<()> {
    match (expected, current) {
        (None, _) => Ok(()),
        (Some(NO_POLICY), None) => Ok(()),
        (Some(NO_POLICY), Some(p)) => Err(policy_not_found(format!(
            "Requested policy update expecting none to be present for table {}, but a policy exists with revision id {}.",
            resource.table_name, p.revision
        ))),
        (Some(_), None) => Err(policy_not_found(resource.arn.clone())),
        (Some(e), Some(p)) if e == p.revision => Ok(()),
        (Some(e), Some(p)) => Err(policy_not_found(format!(
            "Requested update for policy with revision id {e}, but the policy associated to target table {} has revision id {}.",
            resource.table_name, p.revision
        ))),
    }
}

/// A revision id for a new policy: the clock's milliseconds, past the previous revision's.
pub(super) fn next_revision(now_ms: u64, previous: Option<&ResourcePolicy>) -> String {
    let after = previous
        .and_then(|p| p.revision.parse::<u64>().ok())
        .map_or(0, |r| r + 1);
    now_ms.max(after).to_string()
}

fn put(ctx: &mut Context<'_>, input: PolicyInput) -> Result<Value> {
    constraints(&input, true)?;
    let document = input.policy.unwrap_or_default();
    let resource = resource(ctx, input.resource_arn.as_deref().unwrap_or_default())?;
    validate_document(&document)?;
    let now = ctx.engine.clock.now();
    let mut t = resource.table.write();
    let current = t.def.resource_policies.get(&resource.arn);
    check_expected(input.expected_revision_id.as_deref(), current, &resource)?;
    if let Some(p) = current.filter(|p| p.document == document) {
        return Ok(json!({ "RevisionId": p.revision }));
    }
    let revision = next_revision(now.as_millis() as u64, current);
    t.def.resource_policies.insert(
        resource.arn.clone(),
        ResourcePolicy {
            document,
            revision: revision.clone(),
        },
    );
    t.journal_definition(now);
    Ok(json!({ "RevisionId": revision }))
}

fn get(ctx: &mut Context<'_>, input: PolicyInput) -> Result<Value> {
    constraints(&input, false)?;
    let resource = resource(ctx, input.resource_arn.as_deref().unwrap_or_default())?;
    let t = resource.table.read();
    match t.def.resource_policies.get(&resource.arn) {
        Some(p) => Ok(json!({ "Policy": p.document, "RevisionId": p.revision })),
        None => Err(policy_not_found(resource.arn.clone())),
    }
}

fn delete(ctx: &mut Context<'_>, input: PolicyInput) -> Result<Value> {
    constraints(&input, false)?;
    let resource = resource(ctx, input.resource_arn.as_deref().unwrap_or_default())?;
    let mut t = resource.table.write();
    let current = t.def.resource_policies.get(&resource.arn);
    if current.is_none() {
        return Err(policy_not_found(resource.arn.clone()));
    }
    check_expected(input.expected_revision_id.as_deref(), current, &resource)?;
    let removed = t.def.resource_policies.remove(&resource.arn);
    t.journal_definition(ctx.engine.clock.now());
    Ok(json!({ "RevisionId": removed.map(|p| p.revision) }))
}

unsplit_command!(
    /// PutResourcePolicy.
    PutResourcePolicy, PolicyInput, |ctx, input| put(ctx, input)
);
unsplit_command!(
    /// GetResourcePolicy.
    GetResourcePolicy, PolicyInput, |ctx, input| get(ctx, input)
);
unsplit_command!(
    /// DeleteResourcePolicy.
    DeleteResourcePolicy, PolicyInput, |ctx, input| delete(ctx, input)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_increase_even_on_a_frozen_clock() {
        let p = |r: &str| ResourcePolicy {
            document: "{}".into(),
            revision: r.into(),
        };
        assert_eq!(next_revision(1000, None), "1000");
        assert_eq!(next_revision(1000, Some(&p("1000"))), "1001");
        assert_eq!(next_revision(5000, Some(&p("1000"))), "5000");
    }

    #[test]
    fn documents_are_json_objects_of_at_most_20_kb() {
        assert!(validate_document(r#"{"Version":"2012-10-17","Statement":[]}"#).is_ok());
        assert!(validate_document("[1]").is_err());
        assert!(validate_document("not json").is_err());
        let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_POLICY_BYTES));
        assert!(validate_document(&big).is_err());
    }
}
