//! ExportTableToPointInTime, DescribeExport and ListExports.
//!
//! An export writes a table as it was at `ExportTime` (now by default, any moment of its
//! point-in-time window otherwise, so PITR must be on) to a bucket of the emulator's object
//! store ([`crate::object_store`]), in DynamoDB's layout and formats ([`crate::transfer`]).
//! A full export writes every item; an incremental one (`INCREMENTAL_EXPORT`) every item that
//! changed between `ExportFromTime` and `ExportToTime`, with its keys, new image and (with
//! `NEW_AND_OLD_IMAGES`) old image. A bucket that does not exist ends the export `FAILED`
//! with `S3NoSuchBucket`, as DynamoDB reports it.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html>

use super::backups::error;
use super::command::{unsplit_command, Context};
use super::describe_table::seconds;
use super::point_in_time::window;
use super::validate::{enum_member, null_member as null};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::transfer::export::{seconds_of, Files, Lines};
use crate::transfer::{Job, Kind};
use crate::value::Item;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct IncrementalSpec {
    export_from_time: Option<f64>,
    export_to_time: Option<f64>,
    export_view_type: Option<String>,
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ExportInput {
    table_arn: Option<String>,
    export_time: Option<f64>,
    client_token: Option<String>,
    s3_bucket: Option<String>,
    s3_bucket_owner: Option<String>,
    s3_prefix: Option<String>,
    s3_sse_algorithm: Option<String>,
    s3_sse_kms_key_id: Option<String>,
    export_format: Option<String>,
    export_type: Option<String>,
    incremental_export_specification: Option<IncrementalSpec>,
    // DescribeExport / ListExports.
    #[serde(skip_serializing)]
    export_arn: Option<String>,
    #[serde(skip_serializing)]
    max_results: Option<i64>,
    #[serde(skip_serializing)]
    next_token: Option<String>,
}

/// An enum member, checked, or its default.
fn enum_value<'a>(v: Option<&'a str>, member: &str, allowed: &[&str]) -> Result<Option<&'a str>> {
    enum_member(v, member, allowed).map(|()| v)
}

/// A bucket name as the API model constrains it: at most 255 characters of
/// `^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$`.
pub(super) fn check_bucket(bucket: &str, member: &str) -> Result<()> {
    let b = bucket.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
    if bucket.len() > 255 {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{bucket}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 255"
        )));
    }
    let ok = b.len() >= 2
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter().all(inner);
    if !ok {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{bucket}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$"
        )));
    }
    Ok(())
}

/// `2026-10-09T00:41:50Z`, the incremental-export messages' time format.
fn whole_seconds(t: Duration) -> String {
    let iso = crate::clock::iso8601(t);
    format!("{}Z", &iso[..iso.len().min(19)])
}

fn export(ctx: &mut Context<'_>, i: ExportInput) -> Result<Value> {
    let table_arn = i.table_arn.clone().ok_or_else(|| null("tableArn"))?;
    let bucket = i.s3_bucket.clone().ok_or_else(|| null("s3Bucket"))?;
    let format = enum_value(
        i.export_format.as_deref(),
        "exportFormat",
        &["DYNAMODB_JSON", "ION"],
    )?
    .unwrap_or("DYNAMODB_JSON");
    let export_type = enum_value(
        i.export_type.as_deref(),
        "exportType",
        &["FULL_EXPORT", "INCREMENTAL_EXPORT"],
    )?
    .unwrap_or("FULL_EXPORT");
    let sse = enum_value(
        i.s3_sse_algorithm.as_deref(),
        "s3SseAlgorithm",
        &["AES256", "KMS"],
    )?;
    check_bucket(&bucket, "s3Bucket")?;
    if i.s3_prefix.as_ref().is_some_and(|p| p.len() > 1024) {
        return Err(DynamoError::validation(
            "1 validation error detected: Value at 's3Prefix' failed to satisfy constraint: Member must have length less than or equal to 1024",
        ));
    }
    let view = match &i.incremental_export_specification {
        Some(spec) => enum_value(
            spec.export_view_type.as_deref(),
            "incrementalExportSpecification.exportViewType",
            &["NEW_IMAGE", "NEW_AND_OLD_IMAGES"],
        )?
        .unwrap_or("NEW_AND_OLD_IMAGES"),
        None => "NEW_AND_OLD_IMAGES",
    };
    let fingerprint = serde_json::to_string(&i).unwrap_or_default();
    if let Some(token) = &i.client_token {
        if let Some(job) = ctx.engine.jobs.by_token(Kind::Export, token) {
            if job.fingerprint != fingerprint {
                return Err(error(
                    ErrorKind::ExportConflict,
                    "Export conflict: Duplicate request detected with conflicting parameters"
                        .to_string(),
                ));
            }
            let now = ctx.engine.clock.now();
            return Ok(json!({ "ExportDescription": job.at(now) }));
        }
    }
    if !table_arn.starts_with("arn:") || !table_arn.contains(":table/") {
        return Err(DynamoError::invalid_parameter(
            "tableArn is not a valid ARN",
        ));
    }
    if table_arn
        .split(":table/")
        .nth(1)
        .is_some_and(|r| r.contains('/'))
    {
        return Err(DynamoError::validation(
            "Invalid Request: Table ARN is invalid.",
        ));
    }
    if i.s3_sse_kms_key_id.is_some() && sse != Some("KMS") {
        return Err(DynamoError::validation(
            "Invalid Request: KMS Key Id is not supported for this encryption type",
        ));
    }
    match (export_type, i.incremental_export_specification.is_some()) {
        ("FULL_EXPORT", true) if i.export_type.is_some() => {
            return Err(DynamoError::validation(
                "Invalid Request: When Export Type is Full Export , Incremental Export Specification should not be provided",
            ))
        }
        ("FULL_EXPORT", true) => {
            return Err(DynamoError::validation(
                "Invalid Request: Export Type expected to be Incremental Export when incremental export specification is provided",
            ))
        }
        ("INCREMENTAL_EXPORT", false) => {
            return Err(DynamoError::validation(
                "Invalid Request: Incremental Export Specification expected when export type is set as Incremental Export",
            ))
        }
        _ => {}
    }
    // The table is looked up by name in the emulator (DynamoDB does not check the ARN's
    // region either), and the error echoes the ARN as sent.
    let name = crate::table::catalog::table_name_of(&table_arn).to_string();
    let not_found = || {
        error(
            ErrorKind::TableNotFound,
            format!("Table not found: {table_arn}"),
        )
    };
    let table = ctx.engine.catalog.get(&name).ok_or_else(not_found)?;
    let now = ctx.engine.clock.now();
    crate::table::catalog::expire_before_read(&table, now);
    let t = table.read();
    let Some((earliest, latest)) = window(&t, now) else {
        // DynamoDB checks an incremental period against the table first, PITR or not.
        if export_type == "INCREMENTAL_EXPORT" {
            return Err(error(
                ErrorKind::InvalidExportTime,
                format!(
                    "Incremental export period from time cannot be less than the table creation time : {}",
                    whole_seconds(t.def.created_at)
                ),
            ));
        }
        return Err(error(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!("Point in time recovery is not enabled for table '{name}'"),
        ));
    };
    let invalid_time = |m: String| error(ErrorKind::InvalidExportTime, m);
    let history = t.pitr().expect("PITR is on");
    let (lines, export_time, incremental) = if export_type == "INCREMENTAL_EXPORT" {
        let spec = i
            .incremental_export_specification
            .as_ref()
            .expect("checked above");
        let from = spec.export_from_time.map(seconds_of).ok_or_else(|| {
            DynamoError::validation(
                "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification",
            )
        })?;
        let to = spec.export_to_time.map(seconds_of).unwrap_or(now);
        if from < earliest || from >= to {
            return Err(invalid_time(format!(
                "Incremental export period from time cannot be less than the table creation time : {}",
                whole_seconds(earliest)
            )));
        }
        if to > now {
            return Err(invalid_time(format!(
                "Incremental export period to time cannot be greater than the current time : {}",
                whole_seconds(now)
            )));
        }
        if to - from < Duration::from_secs(15 * 60) {
            return Err(invalid_time(
                "Difference between export period from time and export period to time is less than 15 minutes".to_string(),
            ));
        }
        if to - from > Duration::from_secs(24 * 3600) {
            return Err(invalid_time(
                "Difference between export period from time and export period to time is greater than 24 hours".to_string(),
            ));
        }
        let key_names: Vec<String> = t.def.schema.names().map(str::to_string).collect();
        let lines: Vec<Value> = history
            .changes_between(from, to)
            .into_iter()
            // An item created and deleted inside the period leaves no line.
            .filter(|c| c.old != c.new)
            .map(|c| {
                let some = c
                    .new
                    .as_ref()
                    .or(c.old.as_ref())
                    .expect("a change has an image");
                let mut keys = Item::new();
                for k in &key_names {
                    if let Some(v) = some.get(k) {
                        keys.insert(k.clone(), v.clone());
                    }
                }
                let mut line = json!({
                    "Metadata": { "WriteTimestampMicros": { "N": c.at.as_micros().to_string() } },
                    "Keys": keys,
                });
                if let Some(n) = &c.new {
                    line["NewImage"] = json!(n);
                }
                if let (Some(o), "NEW_AND_OLD_IMAGES") = (&c.old, view) {
                    line["OldImage"] = json!(o);
                }
                line
            })
            .collect();
        (Lines::Incremental(lines), None, Some((from, to)))
    } else {
        let at = match i.export_time.map(seconds_of) {
            None => now,
            Some(at) if at > now || at < earliest => {
                return Err(invalid_time("Export Time is invalid".to_string()))
            }
            // What the last five minutes hold is not restorable yet.
            Some(at) if at > latest => {
                return Err(invalid_time(
                    "Point in Time Recovery is not available for specified export time".to_string(),
                ))
            }
            Some(at) => at,
        };
        (Lines::Full(history.state_at(at)), Some(at), None)
    };
    let (table_id, table_arn) = (t.def.id.clone(), t.def.arn.clone());
    drop(t);
    let engine = ctx.engine;
    let export_id = format!("{:014}-{}", now.as_millis(), &engine.uuid()[..8]);
    let arn = format!("{table_arn}/export/{export_id}");
    let mut d = json!({
        "ExportArn": arn,
        "ExportStatus": "COMPLETED",
        "StartTime": seconds(now),
        "TableArn": table_arn,
        "TableId": table_id,
        "S3Bucket": bucket,
        "S3SseAlgorithm": sse.unwrap_or("AES256"),
        "ExportFormat": format,
    });
    // A full export's description leaves its type out; ListExports names it.
    if let Some(at) = export_time {
        d["ExportTime"] = seconds(at);
    } else {
        d["ExportType"] = json!(export_type);
    }
    for (member, v) in [
        ("ClientToken", &i.client_token),
        ("S3BucketOwner", &i.s3_bucket_owner),
        ("S3Prefix", &i.s3_prefix),
        ("S3SseKmsKeyId", &i.s3_sse_kms_key_id),
    ] {
        if let Some(v) = v {
            d[member] = json!(v);
        }
    }
    if let Some((from, to)) = incremental {
        d["IncrementalExportSpecification"] = json!({
            "ExportFromTime": seconds(from), "ExportToTime": seconds(to), "ExportViewType": view,
        });
    }
    let files = Files {
        bucket: &bucket,
        root: match i.s3_prefix.as_deref() {
            Some(p) if !p.is_empty() => format!("{}/AWSDynamoDB", p.trim_end_matches('/')),
            _ => "AWSDynamoDB".to_string(),
        },
        export_id: &export_id,
        ion: format == "ION",
    };
    let written = super::blocking(|| files.write(engine, &lines, &d, now, export_time));
    match written {
        Ok(w) => {
            d["ItemCount"] = json!(w.items);
            d["BilledSizeBytes"] = json!(w.bytes);
            d["ExportManifest"] = json!(w.manifest);
        }
        Err(e) => {
            d["ExportStatus"] = json!("FAILED");
            d["FailureCode"] = json!(format!("S3{}", e.code));
            d["FailureMessage"] = json!(e.describe());
        }
    }
    let end = now + engine.options.transient_status_delay;
    d["EndTime"] = seconds(end);
    let job = Job::new(
        Kind::Export,
        arn,
        table_arn,
        i.client_token.clone(),
        fingerprint,
        end,
        d,
    );
    let answer = job.running();
    engine.jobs.insert(Kind::Export, job);
    Ok(json!({ "ExportDescription": answer }))
}

fn describe(ctx: &mut Context<'_>, i: ExportInput) -> Result<Value> {
    let arn = i.export_arn.ok_or_else(|| null("exportArn"))?;
    if !arn.starts_with("arn:") || !arn.contains("/export/") {
        return Err(DynamoError::validation("Invalid Export ARN"));
    }
    // The service's text repeats its prefix.
    let job = ctx.engine.jobs.get(Kind::Export, &arn).ok_or_else(|| {
        error(
            ErrorKind::ExportNotFound,
            format!("Export not found: Export not found: {arn}"),
        )
    })?;
    Ok(json!({ "ExportDescription": job.at(ctx.engine.clock.now()) }))
}

/// A page of jobs, newest first. `NextToken` is the last returned job's ARN in hex, padded
/// to whole 16-digit groups (the shape DynamoDB's tokens have).
pub(super) fn page(
    mut jobs: Vec<Job>,
    limit: usize,
    next: Option<&str>,
) -> Result<(Vec<Job>, Option<String>)> {
    jobs.reverse();
    let start = match next {
        Some(token) => {
            let arn = from_token(token);
            jobs.iter()
                .position(|j| Some(&j.arn) == arn.as_ref())
                .map(|p| p + 1)
                .ok_or_else(|| {
                    DynamoError::validation(format!(
                        "Invalid Request: Provided nextToken is invalid: {token}"
                    ))
                })?
        }
        None => 0,
    };
    let rest: Vec<Job> = jobs.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    let page: Vec<Job> = rest.into_iter().take(limit).collect();
    let token = more
        .then(|| page.last().map(|j| to_token(&j.arn)))
        .flatten();
    Ok((page, token))
}

fn to_token(arn: &str) -> String {
    let mut hex = crate::server::auth::hex(arn.as_bytes());
    while !hex.len().is_multiple_of(16) {
        hex.push_str("00");
    }
    hex
}

fn from_token(token: &str) -> Option<String> {
    if !token.len().is_multiple_of(16) || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> = (0..token.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
        .filter(|b| *b != 0)
        .collect();
    String::from_utf8(bytes).ok()
}

/// A page size member: 1 to 25, 10 by default.
pub(super) fn page_size(v: Option<i64>, member: &str) -> Result<usize> {
    match v {
        None => Ok(10),
        Some(n) if (1..=25).contains(&n) => Ok(n as usize),
        Some(n) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{n}' at '{member}' failed to satisfy constraint: Member must have value {}",
            if n < 1 { "greater than or equal to 1" } else { "less than or equal to 25" }
        ))),
    }
}

fn list(ctx: &mut Context<'_>, i: ExportInput) -> Result<Value> {
    let limit = page_size(i.max_results, "maxResults")?;
    let now = ctx.engine.clock.now();
    let mut jobs = ctx.engine.jobs.all(Kind::Export, i.table_arn.as_deref());
    // A deleted table's exports are not listed under it (DescribeExport still finds them).
    if let Some(arn) = &i.table_arn {
        let name = crate::table::catalog::table_name_of(arn);
        if ctx.engine.catalog.get(name).is_none() {
            jobs.clear();
        }
    }
    let (page, token) = page(jobs, limit, i.next_token.as_deref())?;
    let summaries: Vec<Value> = page
        .iter()
        .map(|j| {
            let d = j.at(now);
            json!({
                "ExportArn": d["ExportArn"],
                "ExportStatus": d["ExportStatus"],
                "ExportType": d.get("ExportType").cloned().unwrap_or(json!("FULL_EXPORT")),
            })
        })
        .collect();
    let mut out = json!({ "ExportSummaries": summaries });
    if let Some(t) = token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

unsplit_command!(
    /// ExportTableToPointInTime.
    ExportTableToPointInTime, ExportInput, |ctx, i| export(ctx, i)
);
unsplit_command!(
    /// DescribeExport.
    DescribeExport, ExportInput, |ctx, i| describe(ctx, i)
);
unsplit_command!(
    /// ListExports.
    ListExports, ExportInput, |ctx, i| list(ctx, i)
);
