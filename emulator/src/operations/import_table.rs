//! ImportTable, DescribeImport and ListImports.
//!
//! An import creates a table from every object under a bucket prefix of the emulator's object
//! store, validated as CreateTable validates its parameters. DynamoDB's rules, as its guide
//! states them and as the service was observed: a bucket that cannot be read ends the import
//! `FAILED` before any table exists; otherwise the table is created and each object read in
//! key order; an item that fails validation (no key, a key of the wrong type, over 400 KB) is
//! skipped and counted, and a record that cannot be parsed is counted and ends that object;
//! duplicate keys overwrite. Any error ends the import `FAILED` with `ItemValidationError`,
//! the table kept with what was imported. Imports consume no write capacity.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Validation.html>

use super::backups::error;
use super::command::{unsplit_command, Context};
use super::create_table::{CreateTable, CreateTableInput};
use super::describe_table::seconds;
use super::export_table::{page, page_size};
use super::validate::{enum_member, null_member as null};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::transfer::{Compression, Format, Job, Kind};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct BucketSource {
    s3_bucket: Option<String>,
    s3_bucket_owner: Option<String>,
    s3_key_prefix: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CsvOptions {
    delimiter: Option<String>,
    header_list: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct FormatOptions {
    csv: Option<CsvOptions>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ImportInput {
    client_token: Option<String>,
    s3_bucket_source: Option<Value>,
    input_format: Option<String>,
    input_format_options: Option<Value>,
    input_compression_type: Option<String>,
    table_creation_parameters: Option<Value>,
    // DescribeImport / ListImports.
    import_arn: Option<String>,
    table_arn: Option<String>,
    page_size: Option<i64>,
    next_token: Option<String>,
}

fn shape<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|_| {
        DynamoError::new(
            ErrorKind::Serialization,
            "Start of structure or map found where not expected",
        )
    })
}

/// How many objects one import reads at most (DynamoDB's quota).
const MAX_OBJECTS: usize = 50_000;

fn import(ctx: &mut Context<'_>, i: ImportInput) -> Result<Value> {
    let source_v = i
        .s3_bucket_source
        .clone()
        .ok_or_else(|| null("s3BucketSource"))?;
    let format_name = i.input_format.clone().ok_or_else(|| null("inputFormat"))?;
    let params_v = i
        .table_creation_parameters
        .clone()
        .ok_or_else(|| null("tableCreationParameters"))?;
    if !source_v.is_object() {
        return Err(DynamoError::new(
            ErrorKind::Serialization,
            "Start of list found where not expected",
        ));
    }
    let source: BucketSource = shape(&source_v)?;
    let bucket = source
        .s3_bucket
        .clone()
        .ok_or_else(|| null("s3BucketSource.s3Bucket"))?;
    super::export_table::check_bucket(&bucket, "s3BucketSource.s3Bucket")?;
    enum_member(
        Some(&format_name),
        "inputFormat",
        &["DYNAMODB_JSON", "ION", "CSV"],
    )?;
    let format = Format::parse(&format_name).unwrap_or(Format::DynamoDbJson);
    enum_member(
        i.input_compression_type.as_deref(),
        "inputCompressionType",
        &["ZSTD", "NONE", "GZIP"],
    )?;
    let compression = match i.input_compression_type.as_deref() {
        Some("GZIP") => Compression::Gzip,
        Some("ZSTD") => Compression::Zstd,
        _ => Compression::None,
    };
    let options: FormatOptions = match &i.input_format_options {
        Some(v) => shape(v)?,
        None => FormatOptions::default(),
    };
    if options.csv.is_some() && format != Format::Csv {
        return Err(DynamoError::validation(format!(
            "Invalid Request: Unsupported InputFormatOptions for the given input format: {format_name}."
        )));
    }
    let csv = options.csv.unwrap_or_default();
    let delimiter = match csv.delimiter.as_deref() {
        None => ',',
        Some(d) if d.chars().count() == 1 && ",;:|\t ".contains(d) => {
            d.chars().next().expect("one character")
        }
        Some(d) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{d}' at 'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member must satisfy regular expression pattern: [,;:|\\t ]"
            )))
        }
    };
    if let Some(h) = &csv.header_list {
        let bad = h.is_empty()
            || h.len() > 255
            || h.iter().any(|n| n.is_empty() || n.contains(['"', ',']));
        if bad {
            return Err(DynamoError::validation(
                "1 validation error detected: Value at 'inputFormatOptions.csv.headerList' failed to satisfy constraint: Member must have length between 1 and 255, each name 1 to 65536 characters of [\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]",
            ));
        }
    }
    // The table parameters are CreateTable's (without LSIs, streams or tags) and validated as
    // CreateTable validates them.
    let mut params_only = params_v.clone();
    if let Some(o) = params_only.as_object_mut() {
        for member in [
            "LocalSecondaryIndexes",
            "StreamSpecification",
            "Tags",
            "TableClass",
        ] {
            o.remove(member);
        }
    }
    let create = CreateTable::try_from(shape::<CreateTableInput>(&params_only)?)?;
    let table_name = create.name().to_string();
    let engine = ctx.engine;
    let now = engine.clock.now();
    if let Some(token) = &i.client_token {
        if let Some(job) = engine.jobs.by_token(Kind::Import, token) {
            if job.fingerprint != table_name {
                return Err(error(
                    ErrorKind::ImportConflict,
                    "Import conflict: Duplicate request detected with conflicting parameters"
                        .to_string(),
                ));
            }
            if engine.catalog.get(&table_name).is_none() || now < job.end {
                return Ok(json!({ "ImportTableDescription": job.at(now) }));
            }
        }
    }
    if engine.catalog.get(&table_name).is_some() {
        return Err(error(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {table_name}"),
        ));
    }
    let region = ctx.request.region.clone();
    let account = engine.options.account_id.clone();
    let table_arn = format!("arn:aws:dynamodb:{region}:{account}:table/{table_name}");
    let import_id = format!("{:014}-{}", now.as_millis(), &engine.uuid()[..8]);
    let arn = format!("{table_arn}/import/{import_id}");
    let mut source_out = source_v.clone();
    source_out["S3BucketOwner"] = json!(source.s3_bucket_owner.clone().unwrap_or(account.clone()));
    let mut d = json!({
        "ImportArn": arn,
        "ImportStatus": "COMPLETED",
        "TableArn": table_arn,
        "S3BucketSource": source_out,
        "CloudWatchLogGroupArn": format!("arn:aws:logs:{region}:{account}:log-group:/aws-dynamodb/imports:*"),
        "InputFormat": format_name,
        "InputCompressionType": i.input_compression_type.clone().unwrap_or_else(|| "NONE".into()),
        "TableCreationParameters": params_v,
        "StartTime": seconds(now),
        "ErrorCount": 0,
        "ProcessedItemCount": 0,
        "ImportedItemCount": 0,
        "ProcessedSizeBytes": 0,
    });
    if let Some(token) = &i.client_token {
        d["ClientToken"] = json!(token);
    }
    if let Some(o) = &i.input_format_options {
        d["InputFormatOptions"] = o.clone();
    }
    let store = &engine.options.object_store;
    let prefix = source.s3_key_prefix.clone().unwrap_or_default();
    // A bucket that cannot be listed fails the import before any table exists.
    let listed = super::blocking(|| store.list(&bucket, &prefix));
    let objects = match listed {
        Ok(mut objects) => {
            // Folder markers hold nothing.
            objects.retain(|o| !o.key.ends_with('/'));
            if objects.len() > MAX_OBJECTS {
                Err(crate::object_store::StoreError::new(
                    "TooManyObjects",
                    format!("an import reads at most {MAX_OBJECTS} objects"),
                ))
            } else {
                Ok(objects)
            }
        }
        Err(e) => Err(e),
    };
    match objects {
        Err(e) => {
            d["ImportStatus"] = json!("FAILED");
            d["FailureCode"] = json!(format!("S3{}", e.code));
            d["FailureMessage"] = json!(e.describe());
        }
        Ok(objects) => {
            // Key attributes (the table's and its indexes') keep their defined types.
            let key_types = create.attribute_types().to_vec();
            let (table, description) = create.install(ctx)?;
            d["TableId"] = description["TableId"].clone();
            let counts = super::blocking(|| {
                crate::transfer::import::load(
                    ctx.engine,
                    &table,
                    &bucket,
                    &objects,
                    format,
                    compression,
                    (delimiter, csv.header_list.as_deref()),
                    &|n: &str| key_types.iter().find(|(k, _)| k == n).map(|(_, t)| *t),
                )
            });
            d["ErrorCount"] = json!(counts.errors);
            d["ProcessedItemCount"] = json!(counts.processed);
            d["ImportedItemCount"] = json!(counts.imported);
            d["ProcessedSizeBytes"] = json!(counts.bytes);
            if counts.errors > 0 {
                d["ImportStatus"] = json!("FAILED");
                d["FailureCode"] = json!("ItemValidationError");
                d["FailureMessage"] = json!("Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details.");
            }
        }
    }
    let engine = ctx.engine;
    let end = now + engine.options.transient_status_delay;
    d["EndTime"] = seconds(end);
    let job = Job::new(
        Kind::Import,
        arn,
        table_arn,
        i.client_token.clone(),
        table_name,
        end,
        d,
    );
    let answer = job.running();
    engine.jobs.insert(Kind::Import, job);
    Ok(json!({ "ImportTableDescription": answer }))
}

fn describe(ctx: &mut Context<'_>, i: ImportInput) -> Result<Value> {
    let arn = i.import_arn.ok_or_else(|| null("importArn"))?;
    if !arn.starts_with("arn:") || !arn.contains("/import/") {
        return Err(DynamoError::validation("Invalid Import ARN"));
    }
    let job = ctx.engine.jobs.get(Kind::Import, &arn).ok_or_else(|| {
        error(
            ErrorKind::ImportNotFound,
            format!("Import not found: {arn}"),
        )
    })?;
    Ok(json!({ "ImportTableDescription": job.at(ctx.engine.clock.now()) }))
}

fn list(ctx: &mut Context<'_>, i: ImportInput) -> Result<Value> {
    let limit = page_size(i.page_size, "pageSize")?;
    let now = ctx.engine.clock.now();
    let jobs = ctx.engine.jobs.all(Kind::Import, i.table_arn.as_deref());
    let (page, token) = page(jobs, limit, i.next_token.as_deref())?;
    let summaries: Vec<Value> = page
        .iter()
        .map(|j| {
            let d = j.at(now);
            let mut s = json!({});
            for member in [
                "ImportArn",
                "ImportStatus",
                "TableArn",
                "S3BucketSource",
                "CloudWatchLogGroupArn",
                "InputFormat",
                "StartTime",
                "EndTime",
            ] {
                if let Some(v) = d.get(member) {
                    s[member] = v.clone();
                }
            }
            s
        })
        .collect();
    let mut out = json!({ "ImportSummaryList": summaries });
    if let Some(t) = token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

unsplit_command!(
    /// ImportTable.
    ImportTable, ImportInput, |ctx, i| import(ctx, i)
);
unsplit_command!(
    /// DescribeImport.
    DescribeImport, ImportInput, |ctx, i| describe(ctx, i)
);
unsplit_command!(
    /// ListImports.
    ListImports, ImportInput, |ctx, i| list(ctx, i)
);
