//! Exports to S3 and imports from S3 through the Rust SDK, with the emulator's S3 a directory
//! (`ObjectStore::directory`): DynamoDB's layout and manifests, full exports at a point in time,
//! incremental exports, imports of each format and compression, and the errors of each.

use aws_sdk_dynamodb::primitives::{Blob, DateTime};
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, CsvOptions, ExportFormat, ExportStatus, ExportType,
    ExportViewType, ImportStatus, IncrementalExportSpecification, InputCompressionType,
    InputFormat, InputFormatOptions, PointInTimeRecoverySpecification, S3BucketSource,
    ScalarAttributeType, TableCreationParameters,
};
use aws_sdk_dynamodb::Client;
use dynamodb_test_support::{ad, create_table, ks, n, s, start_with, Expected, TestEnv};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn store_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emulator-s3-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bucket")).unwrap();
    dir
}

async fn env(dir: &Path, delay: Duration) -> TestEnv {
    start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .virtual_clock()
            .transient_status_delay(delay)
            .object_store(dynamodb_emulator::ObjectStore::directory(dir)),
    )
    .await
}

async fn pitr_on(c: &Client, table: &str) {
    c.update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn every_type(k: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(k)),
        ("n".to_string(), n("-12.50")),
        (
            "b".to_string(),
            AttributeValue::B(Blob::new(vec![0u8, 1, 255])),
        ),
        ("t".to_string(), AttributeValue::Bool(true)),
        ("z".to_string(), AttributeValue::Null(true)),
        (
            "ss".to_string(),
            AttributeValue::Ss(vec!["x".into(), "y \"q\"".into()]),
        ),
        (
            "ns".to_string(),
            AttributeValue::Ns(vec!["1".into(), "1E+3".into()]),
        ),
        (
            "bs".to_string(),
            AttributeValue::Bs(vec![Blob::new(vec![7u8])]),
        ),
        (
            "l".to_string(),
            AttributeValue::L(vec![s("é\n"), n("0.001")]),
        ),
        (
            "m".to_string(),
            AttributeValue::M(HashMap::from([
                ("null".to_string(), s("a keyword as a name")),
                ("with space".to_string(), AttributeValue::L(vec![])),
            ])),
        ),
    ])
}

/// An import's table: a string partition key `pk`.
fn params(table: &str, billing: BillingMode) -> TableCreationParameters {
    TableCreationParameters::builder()
        .table_name(table)
        .key_schema(ks("pk", aws_sdk_dynamodb::types::KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .billing_mode(billing)
        .build()
        .unwrap()
}

async fn scan_all(c: &Client, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = c
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    items.sort_by_key(|i| i["pk"].as_s().unwrap().clone());
    items
}

fn gunzip(path: &Path) -> String {
    let mut out = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn md5_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

async fn export(
    c: &Client,
    table_arn: &str,
    format: ExportFormat,
    prefix: &str,
) -> aws_sdk_dynamodb::types::ExportDescription {
    let started = c
        .export_table_to_point_in_time()
        .table_arn(table_arn)
        .s3_bucket("bucket")
        .s3_prefix(prefix)
        .export_format(format)
        .send()
        .await
        .unwrap();
    let d = started.export_description().unwrap();
    assert_eq!(d.export_status(), Some(&ExportStatus::InProgress));
    assert!(d.item_count().is_none() && d.end_time().is_none());
    c.describe_export()
        .export_arn(d.export_arn().unwrap())
        .send()
        .await
        .unwrap()
        .export_description()
        .unwrap()
        .clone()
}

async fn import(
    c: &Client,
    table: &str,
    prefix: &str,
    format: InputFormat,
    compression: InputCompressionType,
    options: Option<InputFormatOptions>,
) -> aws_sdk_dynamodb::types::ImportTableDescription {
    let started = c
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("bucket")
                .s3_key_prefix(prefix)
                .build()
                .unwrap(),
        )
        .input_format(format)
        .input_compression_type(compression)
        .set_input_format_options(options)
        .table_creation_parameters(params(table, BillingMode::PayPerRequest))
        .send()
        .await
        .unwrap();
    let d = started.import_table_description().unwrap();
    assert_eq!(d.import_status(), Some(&ImportStatus::InProgress));
    c.describe_import()
        .import_arn(d.import_arn().unwrap())
        .send()
        .await
        .unwrap()
        .import_table_description()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_writes_dynamodbs_layout_and_imports_back_whole_in_both_formats() {
    let dir = store_dir("roundtrip");
    let env = env(&dir, Duration::ZERO).await;
    let c = &env.client;
    create_table(c, "source", "pk", None).await;
    for k in 0..250 {
        let mut item = every_type(&format!("k{k:03}"));
        item.insert("v".into(), n(&k.to_string()));
        c.put_item()
            .table_name("source")
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    pitr_on(c, "source").await;
    let arn = c
        .describe_table()
        .table_name("source")
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    for (format, ext, target) in [
        (ExportFormat::DynamodbJson, "json.gz", "from-json"),
        (ExportFormat::Ion, "ion.gz", "from-ion"),
    ] {
        let d = export(c, &arn, format.clone(), "exports/").await;
        assert_eq!(d.export_status(), Some(&ExportStatus::Completed));
        assert_eq!(d.item_count(), Some(250));
        assert_eq!(d.export_format(), Some(&format));
        assert!(d.export_time().is_some() && d.end_time().is_some());
        let export_arn = d.export_arn().unwrap();
        let id = export_arn.rsplit('/').next().unwrap();
        // The id is StartTime's milliseconds and 8 hex digits.
        assert_eq!(
            id[..14].parse::<u64>().unwrap(),
            (d.start_time().unwrap().as_secs_f64() * 1000.0).round() as u64
        );
        assert!(id[15..].bytes().all(|b| b.is_ascii_hexdigit()) && id.len() == 23);
        let base = dir.join("bucket/exports/AWSDynamoDB").join(id);
        assert!(base.join("_started").is_file());
        assert_eq!(
            d.export_manifest(),
            Some(format!("exports/AWSDynamoDB/{id}/manifest-summary.json").as_str())
        );
        let summary = std::fs::read(base.join("manifest-summary.json")).unwrap();
        assert_eq!(
            std::fs::read_to_string(base.join("manifest-summary.md5")).unwrap(),
            md5_b64(&summary)
        );
        let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap();
        assert_eq!(summary["itemCount"], 250);
        assert_eq!(summary["exportArn"], export_arn);
        assert_eq!(summary["version"], "2020-06-30");
        let files = std::fs::read(base.join("manifest-files.json")).unwrap();
        assert_eq!(
            std::fs::read_to_string(base.join("manifest-files.md5")).unwrap(),
            md5_b64(&files)
        );
        let mut listed = 0;
        for line in String::from_utf8(files).unwrap().lines() {
            let f: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = f["dataFileS3Key"].as_str().unwrap();
            assert!(key.ends_with(ext), "{key}");
            let path = dir.join("bucket").join(key);
            assert_eq!(f["md5Checksum"], md5_b64(&std::fs::read(&path).unwrap()));
            let text = gunzip(&path);
            assert_eq!(
                text.lines().count() as u64,
                f["itemCount"].as_u64().unwrap()
            );
            listed += text.lines().count();
        }
        assert_eq!(listed, 250);
        // The data folder imports back as the same items.
        let input = match format {
            ExportFormat::Ion => InputFormat::Ion,
            _ => InputFormat::DynamodbJson,
        };
        let i = import(
            c,
            target,
            &format!("exports/AWSDynamoDB/{id}/data/"),
            input,
            InputCompressionType::Gzip,
            None,
        )
        .await;
        assert_eq!(i.import_status(), Some(&ImportStatus::Completed), "{i:?}");
        assert_eq!(
            (
                i.processed_item_count(),
                i.imported_item_count(),
                i.error_count()
            ),
            (250, 250, 0)
        );
        assert!(i.processed_size_bytes().unwrap() > 0);
        assert_eq!(scan_all(c, target).await, scan_all(c, "source").await);
    }
    let listed = c.list_exports().table_arn(&arn).send().await.unwrap();
    assert_eq!(listed.export_summaries().len(), 2);
    assert_eq!(
        listed.export_summaries()[0].export_type(),
        Some(&ExportType::FullExport)
    );
    let page = c.list_exports().max_results(1).send().await.unwrap();
    assert_eq!(page.export_summaries().len(), 1);
    let rest = c
        .list_exports()
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.export_summaries().len(), 1);
    assert!(rest.next_token().is_none());
    assert_ne!(
        rest.export_summaries()[0].export_arn(),
        page.export_summaries()[0].export_arn()
    );
    let imports = c.list_imports().send().await.unwrap();
    assert_eq!(imports.import_summary_list().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_read_the_point_in_time_history() {
    let dir = store_dir("pitr");
    let env = env(&dir, Duration::ZERO).await;
    let c = &env.client;
    create_table(c, "ledger", "pk", None).await;
    pitr_on(c, "ledger").await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/ledger".to_string();
    let put = |k: &str, v: &str| {
        c.put_item()
            .table_name("ledger")
            .item("pk", s(k))
            .item("v", n(v))
            .send()
    };
    put("a", "1").await.unwrap();
    put("b", "1").await.unwrap();
    env.emulator.advance(Duration::from_secs(60));
    let first = env.emulator.clock().now();
    env.emulator.advance(Duration::from_secs(60));
    put("a", "2").await.unwrap();
    c.delete_item()
        .table_name("ledger")
        .key("pk", s("b"))
        .send()
        .await
        .unwrap();
    put("c", "1").await.unwrap();
    put("gone", "1").await.unwrap();
    c.delete_item()
        .table_name("ledger")
        .key("pk", s("gone"))
        .send()
        .await
        .unwrap();
    env.emulator.advance(Duration::from_secs(20 * 60));
    // A full export as the table was at `first`.
    let d = c
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bucket")
        .export_time(DateTime::from_secs_f64(first.as_secs_f64()))
        .send()
        .await
        .unwrap();
    let d = c
        .describe_export()
        .export_arn(d.export_description().unwrap().export_arn().unwrap())
        .send()
        .await
        .unwrap()
        .export_description()
        .unwrap()
        .clone();
    assert_eq!(d.item_count(), Some(2));
    let manifest = dir.join("bucket").join(d.export_manifest().unwrap());
    let files = std::fs::read_to_string(manifest.with_file_name("manifest-files.json")).unwrap();
    let mut lines: Vec<String> = files
        .lines()
        .flat_map(|l| {
            let f: serde_json::Value = serde_json::from_str(l).unwrap();
            gunzip(
                &dir.join("bucket")
                    .join(f["dataFileS3Key"].as_str().unwrap()),
            )
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            r#"{"Item":{"pk":{"S":"a"},"v":{"N":"1"}}}"#,
            r#"{"Item":{"pk":{"S":"b"},"v":{"N":"1"}}}"#
        ]
    );
    // An incremental export of the changes since `first`: an update, a delete, an insert; an
    // item created and deleted inside the period leaves nothing.
    let now = env.emulator.clock().now();
    let spec = IncrementalExportSpecification::builder()
        .export_from_time(DateTime::from_secs_f64(first.as_secs_f64()))
        .export_to_time(DateTime::from_secs_f64(now.as_secs_f64()))
        .export_view_type(ExportViewType::NewAndOldImages)
        .build();
    let inc = c
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bucket")
        .export_type(ExportType::IncrementalExport)
        .incremental_export_specification(spec.clone())
        .send()
        .await
        .unwrap();
    let inc = c
        .describe_export()
        .export_arn(inc.export_description().unwrap().export_arn().unwrap())
        .send()
        .await
        .unwrap()
        .export_description()
        .unwrap()
        .clone();
    assert_eq!(inc.item_count(), Some(3));
    assert_eq!(inc.export_type(), Some(&ExportType::IncrementalExport));
    assert_eq!(inc.billed_size_bytes(), Some(10_000_000));
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("bucket").join(inc.export_manifest().unwrap())).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["version"], "2023-08-01");
    assert_eq!(summary["outputView"], "NEW_AND_OLD_IMAGES");
    let files = std::fs::read_to_string(
        dir.join("bucket")
            .join(inc.export_manifest().unwrap())
            .with_file_name("manifest-files.json"),
    )
    .unwrap();
    let f: serde_json::Value = serde_json::from_str(files.lines().next().unwrap()).unwrap();
    let key = f["dataFileS3Key"].as_str().unwrap();
    assert!(key.starts_with("AWSDynamoDB/data/"), "{key}");
    let mut changes: Vec<serde_json::Value> = gunzip(&dir.join("bucket").join(key))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    changes.sort_by_key(|c| c["Keys"]["pk"]["S"].as_str().unwrap().to_string());
    assert_eq!(changes[0]["NewImage"]["v"]["N"], "2");
    assert_eq!(changes[0]["OldImage"]["v"]["N"], "1");
    assert!(changes[1].get("NewImage").is_none() && changes[1]["OldImage"]["pk"]["S"] == "b");
    assert!(changes[2].get("OldImage").is_none() && changes[2]["NewImage"]["pk"]["S"] == "c");
    assert!(changes[2]["Metadata"]["WriteTimestampMicros"]["N"].is_string());
    // The errors.
    Expected::error(
        "InvalidExportTimeException",
        "Difference between export period from time and export period to time is less than 15 minutes",
    )
    .check(
        "a short period",
        c.export_table_to_point_in_time()
            .table_arn(&arn)
            .s3_bucket("bucket")
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(DateTime::from_secs_f64(first.as_secs_f64()))
                    .export_to_time(DateTime::from_secs_f64(first.as_secs_f64() + 60.0))
                    .build(),
            )
            .send()
            .await,
    );
    Expected::validation(
        "Invalid Request: Incremental Export Specification expected when export type is set as Incremental Export",
    )
    .check(
        "no specification",
        c.export_table_to_point_in_time()
            .table_arn(&arn)
            .s3_bucket("bucket")
            .export_type(ExportType::IncrementalExport)
            .send()
            .await,
    );
    Expected::error("InvalidExportTimeException", "Export Time is invalid").check(
        "in the future",
        c.export_table_to_point_in_time()
            .table_arn(&arn)
            .s3_bucket("bucket")
            .export_time(DateTime::from_secs_f64(now.as_secs_f64() + 60.0))
            .send()
            .await,
    );
    Expected::error(
        "InvalidExportTimeException",
        "Point in Time Recovery is not available for specified export time",
    )
    .check(
        "a second ago",
        c.export_table_to_point_in_time()
            .table_arn(&arn)
            .s3_bucket("bucket")
            .export_time(DateTime::from_secs_f64(now.as_secs_f64() - 1.0))
            .send()
            .await,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn export_errors_are_dynamodbs() {
    let dir = store_dir("export-errors");
    let env = env(&dir, Duration::from_secs(30)).await;
    let c = &env.client;
    create_table(c, "plain", "pk", None).await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/plain";
    let missing = "arn:aws:dynamodb:us-east-1:000000000000:table/missing";
    Expected::error(
        "TableNotFoundException",
        &format!("Table not found: {missing}"),
    )
    .check(
        "missing table",
        c.export_table_to_point_in_time()
            .table_arn(missing)
            .s3_bucket("bucket")
            .send()
            .await,
    );
    Expected::validation("One or more parameter values were invalid: tableArn is not a valid ARN")
        .check(
            "a name",
            c.export_table_to_point_in_time()
                .table_arn("plain")
                .s3_bucket("bucket")
                .send()
                .await,
        );
    Expected::error(
        "PointInTimeRecoveryUnavailableException",
        "Point in time recovery is not enabled for table 'plain'",
    )
    .check(
        "PITR off",
        c.export_table_to_point_in_time()
            .table_arn(arn)
            .s3_bucket("bucket")
            .send()
            .await,
    );
    pitr_on(c, "plain").await;
    // A bucket that does not exist: accepted, then FAILED once the job is over.
    let started = c
        .export_table_to_point_in_time()
        .table_arn(arn)
        .s3_bucket("no-such-bucket")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let export_arn = started
        .export_description()
        .unwrap()
        .export_arn()
        .unwrap()
        .to_string();
    let describe = || c.describe_export().export_arn(&export_arn).send();
    let running = describe().await.unwrap();
    assert_eq!(
        running.export_description().unwrap().export_status(),
        Some(&ExportStatus::InProgress)
    );
    env.emulator.advance(Duration::from_secs(30));
    let done = describe().await.unwrap();
    let d = done.export_description().unwrap();
    assert_eq!(d.export_status(), Some(&ExportStatus::Failed));
    assert_eq!(d.failure_code(), Some("S3NoSuchBucket"));
    assert!(d
        .failure_message()
        .unwrap()
        .starts_with("The specified bucket does not exist"));
    // The same token and parameters: the same export; other parameters: a conflict.
    let again = c
        .export_table_to_point_in_time()
        .table_arn(arn)
        .s3_bucket("no-such-bucket")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.export_description().unwrap().export_arn(),
        Some(export_arn.as_str())
    );
    Expected::error(
        "ExportConflictException",
        "Export conflict: Duplicate request detected with conflicting parameters",
    )
    .check(
        "token reused",
        c.export_table_to_point_in_time()
            .table_arn(arn)
            .s3_bucket("bucket")
            .client_token("token-1")
            .send()
            .await,
    );
    let unknown = format!("{arn}/export/01700000000000-00000000");
    Expected::error(
        "ExportNotFoundException",
        &format!("Export not found: Export not found: {unknown}"),
    )
    .check(
        "unknown export",
        c.describe_export().export_arn(&unknown).send().await,
    );
    Expected::validation("Invalid Export ARN").check(
        "a table ARN",
        c.describe_export().export_arn(arn).send().await,
    );
    Expected::containing("ValidationException", "enum value set").check(
        "a format",
        c.export_table_to_point_in_time()
            .table_arn(arn)
            .s3_bucket("bucket")
            .export_format(ExportFormat::from("CSV"))
            .send()
            .await,
    );
    Expected::containing("ValidationException", "less than or equal to 25").check(
        "a page of 26",
        c.list_exports().max_results(26).send().await,
    );
    Expected::containing("ValidationException", "Provided nextToken is invalid").check(
        "a bad token",
        c.list_exports().next_token("0123456789abcdef").send().await,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_read_csv_ion_zstd_and_count_what_fails() {
    let dir = store_dir("imports");
    let env = env(&dir, Duration::ZERO).await;
    let c = &env.client;
    let bucket = dir.join("bucket");
    std::fs::create_dir_all(bucket.join("csv")).unwrap();
    std::fs::write(
        bucket.join("csv/people.csv"),
        "pk,name,age\nann,\"Ann, \"\"A\"\"\",31\nbob,Bob,\n",
    )
    .unwrap();
    let i = import(
        c,
        "people",
        "csv/",
        InputFormat::Csv,
        InputCompressionType::None,
        None,
    )
    .await;
    assert_eq!(i.import_status(), Some(&ImportStatus::Completed), "{i:?}");
    assert_eq!(i.imported_item_count(), 2);
    let people = scan_all(c, "people").await;
    assert_eq!(people[0]["name"], s("Ann, \"A\""));
    assert_eq!(people[0]["age"], s("31"), "non-key columns are strings");
    assert!(
        !people[1].contains_key("age"),
        "an empty column is no attribute"
    );
    // A header list and another delimiter: every line is data.
    std::fs::write(bucket.join("csv/more.csv"), "cat;Cat;3\n").unwrap();
    let options = InputFormatOptions::builder()
        .csv(
            CsvOptions::builder()
                .delimiter(";")
                .header_list("pk")
                .header_list("name")
                .header_list("age")
                .build(),
        )
        .build();
    let i = import(
        c,
        "more",
        "csv/more",
        InputFormat::Csv,
        InputCompressionType::None,
        Some(options.clone()),
    )
    .await;
    assert_eq!(i.imported_item_count(), 1);
    assert_eq!(scan_all(c, "more").await[0]["name"], s("Cat"));
    Expected::validation(
        "Invalid Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON.",
    )
    .check(
        "CSV options for JSON",
        c.import_table()
            .s3_bucket_source(S3BucketSource::builder().s3_bucket("bucket").build().unwrap())
            .input_format(InputFormat::DynamodbJson)
            .input_format_options(options)
            .table_creation_parameters(
                params("nope", BillingMode::PayPerRequest),
            )
            .send()
            .await,
    );
    // Ion, zstd-compressed (a frame written by hand: one raw block).
    let frame = |ion: &[u8]| {
        let mut zst = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, ion.len() as u8];
        let header = ((ion.len() as u32) << 3) | 1; // last block, raw
        zst.extend_from_slice(&header.to_le_bytes()[..3]);
        zst.extend_from_slice(ion);
        zst
    };
    // Two frames one after the other (a concatenated .zst), a skippable frame between.
    let mut zst = frame(b"$ion_1_0 {Item:{pk:\"i1\",n:1.5d1,s:$dynamodb_SS::[\"a\"]}}\n");
    zst.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    zst.extend(frame(b"$ion_1_0 {Item:{pk:\"i2\"}}\n"));
    std::fs::create_dir_all(bucket.join("ion")).unwrap();
    std::fs::write(bucket.join("ion/items.ion.zst"), &zst).unwrap();
    let i = import(
        c,
        "from-ion",
        "ion/",
        InputFormat::Ion,
        InputCompressionType::Zstd,
        None,
    )
    .await;
    assert_eq!(i.import_status(), Some(&ImportStatus::Completed), "{i:?}");
    let items = scan_all(c, "from-ion").await;
    assert_eq!(items.len(), 2, "both frames");
    assert_eq!(items[0]["n"], n("15"));
    assert_eq!(items[0]["s"], AttributeValue::Ss(vec!["a".into()]));
    // Errors: an item without its key, a key of the wrong type, then a line that cannot be
    // parsed (the rest of that object is skipped), and an object that is not gzip.
    std::fs::create_dir_all(bucket.join("bad")).unwrap();
    std::fs::write(
        bucket.join("bad/a.json"),
        concat!(
            "{\"Item\":{\"pk\":{\"S\":\"ok1\"}}}\n",
            "{\"Item\":{\"other\":{\"S\":\"x\"}}}\n",
            "{\"Item\":{\"pk\":{\"N\":\"1\"}}}\n",
            "{\"Item\":{\"pk\":{\"S\":\"ok2\"}}}\n",
            "garbage\n",
            "{\"Item\":{\"pk\":{\"S\":\"never\"}}}\n",
        ),
    )
    .unwrap();
    let i = import(
        c,
        "partial",
        "bad/",
        InputFormat::DynamodbJson,
        InputCompressionType::None,
        None,
    )
    .await;
    assert_eq!(i.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(i.failure_code(), Some("ItemValidationError"));
    assert_eq!(
        (
            i.processed_item_count(),
            i.imported_item_count(),
            i.error_count()
        ),
        (5, 2, 3)
    );
    let kept: Vec<String> = scan_all(c, "partial")
        .await
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    assert_eq!(kept, ["ok1", "ok2"]);
    let i = import(
        c,
        "not-gzip",
        "bad/",
        InputFormat::DynamodbJson,
        InputCompressionType::Gzip,
        None,
    )
    .await;
    assert_eq!((i.processed_item_count(), i.error_count()), (1, 1));
    // A bucket that does not exist: FAILED, and no table.
    let missing = c
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("no-such-bucket")
                .build()
                .unwrap(),
        )
        .input_format(InputFormat::DynamodbJson)
        .client_token("import-token")
        .table_creation_parameters(params("never-made", BillingMode::PayPerRequest))
        .send()
        .await
        .unwrap();
    let arn = missing
        .import_table_description()
        .unwrap()
        .import_arn()
        .unwrap()
        .to_string();
    let d = c.describe_import().import_arn(&arn).send().await.unwrap();
    let d = d.import_table_description().unwrap();
    assert_eq!(d.failure_code(), Some("S3NoSuchBucket"));
    assert_eq!(
        d.input_compression_type(),
        Some(&InputCompressionType::None)
    );
    assert!(d.table_arn().unwrap().ends_with(":table/never-made"));
    let tables = c.list_tables().send().await.unwrap();
    assert!(!tables.table_names().contains(&"never-made".to_string()));
    Expected::error(
        "ImportConflictException",
        "Import conflict: Duplicate request detected with conflicting parameters",
    )
    .check(
        "the token for another table",
        c.import_table()
            .s3_bucket_source(
                S3BucketSource::builder()
                    .s3_bucket("bucket")
                    .build()
                    .unwrap(),
            )
            .input_format(InputFormat::DynamodbJson)
            .client_token("import-token")
            .table_creation_parameters(params("another", BillingMode::PayPerRequest))
            .send()
            .await,
    );
    Expected::error("ResourceInUseException", "Table already exists: people").check(
        "an existing table",
        c.import_table()
            .s3_bucket_source(
                S3BucketSource::builder()
                    .s3_bucket("bucket")
                    .build()
                    .unwrap(),
            )
            .input_format(InputFormat::Csv)
            .table_creation_parameters(params("people", BillingMode::PayPerRequest))
            .send()
            .await,
    );
    Expected::validation(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
    )
    .check(
        "CreateTable's validation",
        c.import_table()
            .s3_bucket_source(S3BucketSource::builder().s3_bucket("bucket").build().unwrap())
            .input_format(InputFormat::Csv)
            .table_creation_parameters(
                params("prov", BillingMode::Provisioned),
            )
            .send()
            .await,
    );
    Expected::validation("Invalid Import ARN").check(
        "a table ARN",
        c.describe_import()
            .import_arn("arn:aws:dynamodb:us-east-1:000000000000:table/people")
            .send()
            .await,
    );
    Expected::error(
        "ImportNotFoundException",
        "Import not found: arn:aws:dynamodb:us-east-1:000000000000:table/x/import/01700000000000-00000000",
    )
    .check(
        "an unknown import",
        c.describe_import()
            .import_arn("arn:aws:dynamodb:us-east-1:000000000000:table/x/import/01700000000000-00000000")
            .send()
            .await,
    );
    let listed = c.list_imports().page_size(2).send().await.unwrap();
    assert_eq!(listed.import_summary_list().len(), 2);
    assert!(listed.next_token().is_some());
    // Newest first.
    assert_eq!(
        listed.import_summary_list()[0].import_arn(),
        Some(arn.as_str())
    );
    let _ = std::fs::remove_dir_all(&dir);
}
