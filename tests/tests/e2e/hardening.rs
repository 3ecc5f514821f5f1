//! A hostile client cannot crash, hang or brick the server: quotas bound what one request can
//! allocate, the clock saturates, oversized keys and deep items are refused with DynamoDB's
//! errors, stalled and idle connections are closed while others are served, and (opt-in)
//! requests must be signed. Through `aws-sdk-dynamodb` where the SDK can express the request,
//! raw HTTP where it cannot.

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType,
};
use dynamodb_emulator::Emulator;
use dynamodb_emulator::{Credentials, Timeouts};
use dynamodb_test_support::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// [`raw_request`] off the runtime's threads (the emulator serves on them).
async fn raw(
    url: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let (url, path, body) = (url.to_string(), path.to_string(), body.to_vec());
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    prompt(tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        raw_request(&url, &path, &headers, &body)
    }))
    .await
    .unwrap()
}

/// A POST of `body` to `target`, as [`raw_post`] sends it.
async fn post(url: &str, target: &str, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", target),
        ("Authorization", UNVERIFIED_SIGNATURE),
        ("X-Amz-Date", "20240101T000000Z"),
    ];
    raw(url, "/", &headers, body).await
}

/// Every request here must be answered promptly; a hang fails the test instead of stalling it.
async fn prompt<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("answered within 10 s")
}

fn throughput(read: i64, write: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .unwrap()
}

async fn create_provisioned(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    read: i64,
    write: i64,
) -> Result<(), (String, String)> {
    client
        .create_table()
        .table_name(name)
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .provisioned_throughput(throughput(read, write))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error_of(&e))
}

#[tokio::test]
async fn throughput_is_bounded_by_dynamodbs_quotas() {
    let env = start().await;
    let c = &env.client;
    // The request that used to abort the process.
    let e = prompt(create_provisioned(c, "huge", i64::MAX, i64::MAX))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        (
            "ValidationException".into(),
            "Given value 9223372036854775807 for ReadCapacityUnits is out of bounds".into()
        )
    );
    let e = prompt(create_provisioned(c, "huge", 5, 1_000_000_000_001))
        .await
        .unwrap_err();
    assert_eq!(
        e.1,
        "Given value 1000000000001 for WriteCapacityUnits is out of bounds"
    );
    let e = prompt(create_provisioned(c, "big", 5, 45_000))
        .await
        .unwrap_err();
    assert_eq!(e.0, "LimitExceededException");
    assert!(
        e.1.starts_with("The requested WriteCapacityUnits, 45000, is above the per table maximum for the account in us-east-1. Per table maximum: 40000."),
        "{}",
        e.1
    );
    // 40,000 is the per-table maximum itself; two such tables fill the account's 80,000.
    create_provisioned(c, "a40k", 40_000, 1).await.unwrap();
    create_provisioned(c, "b40k", 40_000, 1).await.unwrap();
    let e = create_provisioned(c, "c01", 1, 1).await.unwrap_err();
    assert_eq!(e.0, "LimitExceededException");
    assert!(
        e.1.contains(
            "Current ReadCapacityUnits reserved by the account: 80000. Limit: 80000. Requested: 1."
        ),
        "{}",
        e.1
    );
    // UpdateTable: the request that used to hang every client.
    let e = prompt(
        c.update_table()
            .table_name("a40k")
            .provisioned_throughput(throughput(1 << 31, 1))
            .send(),
    )
    .await
    .unwrap_err();
    assert_eq!(error_of(&e).0, "LimitExceededException");
    // Room freed by deleting a table (and by lowering one) can be used again.
    c.delete_table().table_name("b40k").send().await.unwrap();
    c.update_table()
        .table_name("a40k")
        .provisioned_throughput(throughput(30_000, 1))
        .send()
        .await
        .unwrap();
    create_provisioned(c, "c01", 50_000 - 1, 1)
        .await
        .unwrap_err();
    create_provisioned(c, "c01", 40_000, 1).await.unwrap();
    // A GSI has its own per-index maximum.
    let e = c
        .create_table()
        .table_name("gsi")
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .provisioned_throughput(throughput(1, 1))
        .global_secondary_indexes(
            gsi("byG", "g", ProjectionType::All)
                .provisioned_throughput(throughput(40_001, 1))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    let (code, message) = error_of(&e);
    assert_eq!(code, "LimitExceededException");
    assert!(message.contains("for index byG, 40001, is above the per index maximum"));
    // Still serving.
    let tables = c.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names().len(), 2);
}

#[tokio::test]
async fn quotas_can_be_raised() {
    let env = start_with(
        Emulator::builder()
            .throttling(false)
            .quotas(dynamodb_emulator::Quotas {
                tables: 1,
                table_throughput: 1_000_000,
                account_throughput: 1_000_000,
            }),
    )
    .await;
    create_provisioned(&env.client, "big", 1_000_000, 1_000)
        .await
        .unwrap();
    let e = create_provisioned(&env.client, "second", 1, 1)
        .await
        .unwrap_err();
    assert_eq!(e.0, "LimitExceededException");
    assert!(e.1.contains("tables per account exceeds the limit of 1"));
}

#[tokio::test]
async fn a_virtual_clock_told_to_pass_the_year_9999_stops_there() {
    let env = start_with(Emulator::builder().virtual_clock().throttling(false)).await;
    let state = env
        .emulator
        .control(
            "AdvanceClock",
            &serde_json::json!({"Milliseconds": 31_556_952_000_000_000u64}),
        )
        .unwrap();
    assert_eq!(state["ClockMilliseconds"], 253_402_300_799_999u64);
    // Over HTTP too, twice, with the largest number there is.
    for _ in 0..2 {
        let (status, _, _) = post(
            &env.emulator.endpoint_url(),
            "Emulator.AdvanceClock",
            br#"{"Milliseconds": 18446744073709551615}"#,
        )
        .await;
        assert_eq!(status, 200);
    }
    create_table(&env.client, "tbl", "pk", None).await;
    env.client
        .put_item()
        .table_name("tbl")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let (status, headers, _) = post(
        &env.emulator.endpoint_url(),
        "DynamoDB_20120810.ListTables",
        b"{}",
    )
    .await;
    assert_eq!(status, 200);
    let date = headers.iter().find(|(k, _)| k == "date").unwrap();
    assert_eq!(date.1, "Fri, 31 Dec 9999 23:59:59 GMT");
    let described = env
        .client
        .describe_table()
        .table_name("tbl")
        .send()
        .await
        .unwrap();
    assert!(described.table().unwrap().creation_date_time().is_some());
}

fn long(n: usize) -> AttributeValue {
    s(&"k".repeat(n))
}

#[tokio::test]
async fn keys_may_be_2048_and_1024_bytes_and_not_one_more() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "tbl", "pk", Some(("sk", ScalarAttributeType::S))).await;
    let put = |pk: AttributeValue, sk: AttributeValue| {
        c.put_item()
            .table_name("tbl")
            .item("pk", pk)
            .item("sk", sk)
            .send()
    };
    put(long(2048), long(1024)).await.unwrap();
    // Bytes, not characters: 1,024 two-byte characters are 2,048 bytes.
    put(s(&"é".repeat(1024)), s(&"é".repeat(512)))
        .await
        .unwrap();
    let hash = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes";
    let range = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes";
    let e = put(long(2049), long(1)).await.unwrap_err();
    assert_eq!(error_of(&e), ("ValidationException".into(), hash.into()));
    let e = put(s(&format!("{}a", "é".repeat(1024))), long(1))
        .await
        .unwrap_err();
    assert_eq!(error_of(&e).1, hash);
    let e = put(long(1), long(1025)).await.unwrap_err();
    assert_eq!(error_of(&e).1, range);
    let e = c
        .get_item()
        .table_name("tbl")
        .key("pk", long(2049))
        .key("sk", long(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&e).1, hash);
    let e = c
        .delete_item()
        .table_name("tbl")
        .key("pk", long(1))
        .key("sk", long(1025))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&e).1, range);
    let e = c
        .query()
        .table_name("tbl")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", long(2049))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&e).1, hash);
    let e = c
        .batch_write_item()
        .request_items(
            "tbl",
            vec![aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .item("pk", long(2049))
                        .item("sk", long(1))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&e).1, hash);
    let count = c.scan().table_name("tbl").send().await.unwrap().count();
    assert_eq!(count, 2, "nothing refused was written");
}

#[tokio::test]
async fn index_keys_have_the_same_limits() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("tbl")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(gsi("byG", "g", ProjectionType::KeysOnly).build().unwrap())
        .send()
        .await
        .unwrap();
    let put = |g: AttributeValue| {
        c.put_item()
            .table_name("tbl")
            .item("pk", s("a"))
            .item("g", g)
            .send()
    };
    put(long(2048)).await.unwrap();
    let e = put(long(2049)).await.unwrap_err();
    assert_eq!(
        error_of(&e).1,
        "One or more parameter values were invalid: Size limit exceeded for Index Key g Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: byG"
    );
    // An update that would move the item to an oversized index key is refused too.
    let e = c
        .update_item()
        .table_name("tbl")
        .key("pk", s("a"))
        .update_expression("SET g = :g")
        .expression_attribute_values(":g", long(4000))
        .send()
        .await
        .unwrap_err();
    assert!(error_of(&e)
        .1
        .contains("Size limit exceeded for Index Key g"));
}

fn nested(wraps: usize) -> AttributeValue {
    let mut v = s("leaf");
    for _ in 0..wraps {
        v = AttributeValue::M(HashMap::from([("n".to_string(), v)]));
    }
    v
}

#[tokio::test]
async fn items_nest_at_most_32_levels_and_names_are_not_empty() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "tbl", "pk", None).await;
    let put = |name: &str, v: AttributeValue| {
        c.put_item()
            .table_name("tbl")
            .item("pk", s("a"))
            .item(name, v)
            .send()
    };
    put("a", nested(31)).await.unwrap();
    let e = put("a", nested(32)).await.unwrap_err();
    assert_eq!(
        error_of(&e),
        (
            "ValidationException".into(),
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit".into()
        )
    );
    // An update cannot build what a put may not store.
    let e = c
        .update_item()
        .table_name("tbl")
        .key("pk", s("a"))
        .update_expression("SET a.n.n = :deep")
        .expression_attribute_values(":deep", nested(30))
        .send()
        .await
        .unwrap_err();
    assert!(error_of(&e).1.starts_with("Nesting Levels have exceeded"));
    let e = put("", s("x")).await.unwrap_err();
    assert_eq!(error_of(&e).1, "Empty attribute name");
    let e = put(
        "m",
        AttributeValue::M(HashMap::from([(String::new(), s("x"))])),
    )
    .await
    .unwrap_err();
    assert_eq!(error_of(&e).1, "Empty attribute name");
    let e = c
        .update_item()
        .table_name("tbl")
        .key("pk", s("a"))
        .update_expression("SET #a = :v")
        .expression_attribute_names("#a", "")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&e).1,
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"
    );
}

#[tokio::test]
async fn one_large_value_used_many_times_is_refused_without_being_copied() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "tbl", "pk", None).await;
    let big = s(&"x".repeat(300 * 1024));
    let sets: Vec<String> = (0..200).map(|i| format!("a{i} = :v")).collect();
    let e = prompt(
        c.update_item()
            .table_name("tbl")
            .key("pk", s("a"))
            .update_expression(format!("SET {}", sets.join(", ")))
            .expression_attribute_values(":v", big.clone())
            .send(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_of(&e).1,
        "Item size to update has exceeded the maximum allowed size"
    );
    let appends = (0..60).fold(":l".to_string(), |acc, _| format!("list_append({acc}, :l)"));
    let e = prompt(
        c.update_item()
            .table_name("tbl")
            .key("pk", s("a"))
            .update_expression(format!("SET l = {appends}"))
            .expression_attribute_values(":l", AttributeValue::L(vec![big]))
            .send(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_of(&e).1,
        "Item size to update has exceeded the maximum allowed size"
    );
}

#[tokio::test]
async fn a_huge_legacy_filter_is_evaluated_without_exhausting_the_stack() {
    let env = start().await;
    create_table(&env.client, "tbl", "pk", None).await;
    env.client
        .put_item()
        .table_name("tbl")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let filter: serde_json::Map<String, serde_json::Value> = (0..200_000)
        .map(|i| {
            (
                format!("a{i}"),
                serde_json::json!({"ComparisonOperator": "NULL"}),
            )
        })
        .collect();
    let body =
        serde_json::to_vec(&serde_json::json!({"TableName": "tbl", "ScanFilter": filter})).unwrap();
    let (status, _, body) = post(
        &env.emulator.endpoint_url(),
        "DynamoDB_20120810.Scan",
        &body,
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["Count"], 1);
}

/// Open file descriptors this process may have (from /proc), so the connection counts below
/// fit the machine.
fn fd_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024)
}

/// Whether the server has closed `stream` (EOF or reset) within `wait`.
fn closed_within(stream: &TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 256];
    let mut reader = stream;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a response (e.g. an error) before closing
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

fn short_timeouts() -> Timeouts {
    Timeouts {
        header: Duration::from_millis(400),
        body: Duration::from_millis(800),
        idle: Duration::from_millis(1500),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_uploads_and_slow_headers_are_dropped_while_others_are_served() {
    // Timeouts long enough that setting up 400 connections and serving the other clients fits
    // well inside them on a loaded 2-core machine (4 s was seen to be too tight in CI).
    let env = start_with(Emulator::builder().throttling(false).timeouts(Timeouts {
        header: Duration::from_secs(8),
        body: Duration::from_secs(8),
        idle: Duration::from_secs(60),
    }))
    .await;
    let addr = env.emulator.local_addr();
    let count = 200.min(fd_limit() / 4);
    let stalled: Vec<TcpStream> = (0..count)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            // 16 MB announced, a few bytes sent.
            let head = format!(
                "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: {}\r\n\r\n{{\"TableName\"",
                16 * 1024 * 1024
            );
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    let slowloris: Vec<TcpStream> = (0..count)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"POST / HTTP/1.1\r\nHost: loc").unwrap();
            s
        })
        .collect();
    // Other clients are served meanwhile: before any stalled connection is dropped (had they
    // waited behind the uploads, those would have timed out first).
    create_table(&env.client, "tbl", "pk", None).await;
    for _ in 0..20 {
        env.client.list_tables().send().await.unwrap();
    }
    let (stalled, slowloris) = tokio::task::spawn_blocking(move || {
        let open = |s: &TcpStream| !closed_within(s, Duration::from_millis(1));
        assert!(
            stalled.iter().all(open),
            "an upload was dropped before its timeout"
        );
        assert!(
            slowloris.iter().all(open),
            "a slow client was dropped before its timeout"
        );
        (stalled, slowloris)
    })
    .await
    .unwrap();
    let checked = tokio::task::spawn_blocking(move || {
        let all = stalled.into_iter().chain(slowloris).collect::<Vec<_>>();
        all.iter()
            .filter(|s| closed_within(s, Duration::from_secs(15)))
            .count()
    })
    .await
    .unwrap();
    assert_eq!(checked, 2 * count, "every stalled connection was closed");
    env.client.list_tables().send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_neither_starve_new_clients_nor_stay_open() {
    let env = start_with(
        Emulator::builder()
            .throttling(false)
            .timeouts(short_timeouts()),
    )
    .await;
    let addr = env.emulator.local_addr();
    let count = 3000.min(fd_limit().saturating_sub(256) / 2);
    let idle: Vec<TcpStream> = (0..count)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    create_table(&env.client, "tbl", "pk", None).await;
    for i in 0..50 {
        env.client
            .put_item()
            .table_name("tbl")
            .item("pk", s(&i.to_string()))
            .send()
            .await
            .unwrap();
    }
    let closed = tokio::task::spawn_blocking(move || {
        idle.iter()
            .filter(|s| closed_within(s, Duration::from_secs(10)))
            .count()
    })
    .await
    .unwrap();
    assert_eq!(
        closed, count,
        "idle connections are closed after the idle timeout"
    );
}

#[tokio::test]
async fn a_body_over_16_mib_gets_413() {
    let env = start().await;
    let body = vec![b'a'; 16 * 1024 * 1024 + 1];
    let (status, _, _) = post(
        &env.emulator.endpoint_url(),
        "DynamoDB_20120810.ListTables",
        &body,
    )
    .await;
    assert_eq!(status, 413);
    env.client.list_tables().send().await.unwrap();
}

fn signed_client(endpoint: &str, key: &str, secret: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            key, secret, None, None, "test",
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn error_body(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn with_credentials_configured_every_request_must_be_signed() {
    let env = start_with(
        Emulator::builder()
            .throttling(false)
            .credentials(Credentials::new().with("AKIDGOOD", "right-secret")),
    )
    .await;
    let url = env.emulator.endpoint_url();
    let good = signed_client(&url, "AKIDGOOD", "right-secret");
    create_table(&good, "tbl", "pk", None).await;
    good.put_item()
        .table_name("tbl")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let e = signed_client(&url, "AKIDGOOD", "wrong-secret")
        .list_tables()
        .send()
        .await
        .unwrap_err();
    let (code, message) = error_of(&e);
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.starts_with("The request signature we calculated does not match"));
    let e = signed_client(&url, "AKIDOTHER", "right-secret")
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&e),
        (
            "UnrecognizedClientException".into(),
            "The security token included in the request is invalid.".into()
        )
    );
    // Unsigned: DynamoDB's bodies, with a lower-case "message".
    let unsigned = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
    ];
    let (status, _, body) = raw(&url, "/", &unsigned, b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(
        error_body(&body),
        serde_json::json!({
            "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
            "message": "Request is missing Authentication Token"
        })
    );
    // The control API is behind the same check; unknown operations are answered first.
    let reset = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", "Emulator.Reset"),
    ];
    let (_, _, body) = raw(&url, "/", &reset, b"{}").await;
    assert_eq!(
        error_body(&body)["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    let (_, _, body) = post(&url, "DynamoDB_20120810.NoSuchThing", b"{}").await;
    assert_eq!(
        error_body(&body)["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    let (_, _, incomplete) = raw(
        &url,
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", "AWS4-"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(
        error_body(&incomplete)["message"],
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-"
    );
    assert_eq!(
        good.scan().table_name("tbl").send().await.unwrap().count(),
        1,
        "nothing was reset"
    );
}

#[tokio::test]
async fn the_control_api_can_be_turned_off() {
    let env = start_with(Emulator::builder().throttling(false).control_api(false)).await;
    create_table(&env.client, "tbl", "pk", None).await;
    let (status, _, body) = post(&env.emulator.endpoint_url(), "Emulator.Reset", b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(
        error_body(&body)["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    let tables = env.client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["tbl"]);
}

#[tokio::test]
async fn on_loopback_only_local_host_names_are_served() {
    let env = start_with(
        Emulator::builder()
            .throttling(false)
            .allow_host("dynamo.test"),
    )
    .await;
    let url = env.emulator.endpoint_url();
    let with_host = |host: &'static str| {
        let headers = [
            ("Host", host),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", UNVERIFIED_SIGNATURE),
            ("X-Amz-Date", "20240101T000000Z"),
        ];
        let url = url.clone();
        async move {
            let (status, _, body) = raw(&url, "/", &headers, b"{}").await;
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    for ok in ["localhost:8000", "127.0.0.1", "dynamo.test"] {
        assert_eq!(with_host(ok).await.0, 200, "{ok}");
    }
    let (status, refused) = with_host("attacker.example:8000").await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("AccessDeniedException"));
}

/// Query-string ("presigned") SigV4, signed by AWS's own signer: accepted with the right
/// secret, refused with the wrong one.
#[tokio::test]
async fn presigned_query_string_requests_are_verified_too() {
    use aws_sigv4::http_request::{
        sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    };
    use aws_sigv4::sign::v4;
    let env = start_with(
        Emulator::builder()
            .throttling(false)
            .credentials(Credentials::new().with("AKIDGOOD", "right-secret")),
    )
    .await;
    let url = env.emulator.endpoint_url();
    let addr = url.trim_start_matches("http://").to_string();
    let presign = |secret: &str| -> String {
        let identity =
            aws_credential_types::Credentials::new("AKIDGOOD", secret, None, None, "t").into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(300));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("dynamodb")
            .time(std::time::SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let headers = [
            ("host", addr.as_str()),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
            ("content-type", "application/x-amz-json-1.0"),
        ];
        let request = SignableRequest::new(
            "POST",
            format!("{url}/"),
            headers.iter().copied(),
            SignableBody::Bytes(b"{}"),
        )
        .unwrap();
        let (instructions, _) = sign(request, &params).unwrap().into_parts();
        let query: Vec<String> = instructions
            .params()
            .iter()
            .map(|(k, v)| {
                let encoded: String = v
                    .bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                format!("{k}={encoded}")
            })
            .collect();
        query.join("&")
    };
    let send = |query: String| {
        let url = url.clone();
        async move {
            let headers = [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ];
            let (status, _, body) = raw(&url, &format!("/?{query}"), &headers, b"{}").await;
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let (status, ok) = send(presign("right-secret")).await;
    assert_eq!(status, 200, "{ok}");
    let (status, refused) = send(presign("wrong-secret")).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("InvalidSignatureException"), "{refused}");
}
