//! Injected faults and real transaction conflicts through the Rust SDK: each fault's exact
//! error shape, the SDK's standard retry recovering from each, seeded schedules giving the
//! same transcript twice, sixteen clients racing conflicting transactions with the total
//! conserved, and a reset after apply exposing a retry that is not idempotent.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    Get, Put, PutRequest, ReturnValue, TransactGetItem, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use dynamodb_emulator::{Emulator, FaultKind, FaultRule};
use dynamodb_test_support::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn key(id: &str) -> HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    HashMap::from([("id".to_string(), s(id))])
}

/// A transaction's Update of item `id` on the test table, setting `placeholder` to `value`.
fn tx_update(id: &str, expression: &str, placeholder: &str, value: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name("Faulty")
                .set_key(Some(key(id)))
                .update_expression(expression)
                .expression_attribute_values(placeholder, n(value))
                .build()
                .unwrap(),
        )
        .build()
}

/// A BatchWriteItem put of item `id`.
fn put_request(id: &str) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(key(id)))
                .build()
                .unwrap(),
        )
        .build()
}

/// PutItem of item `id` on the test table.
async fn put(
    c: &Client,
    id: &str,
) -> Result<
    aws_sdk_dynamodb::operation::put_item::PutItemOutput,
    SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError>,
> {
    c.put_item()
        .table_name("Faulty")
        .set_item(Some(key(id)))
        .send()
        .await
}

/// The client without retries: what one attempt answers.
fn one_attempt(c: &Client) -> Client {
    Client::from_conf(
        c.config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

/// The SDK's standard retry (3 attempts), its back-off shortened so the test is quick.
fn standard_retry(c: &Client) -> Client {
    Client::from_conf(
        c.config()
            .to_builder()
            .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5)))
            .build(),
    )
}

async fn env_with_table() -> TestEnv {
    let env = start().await;
    create_table(&env.client, "Faulty", "id", None).await;
    env
}

fn control(env: &TestEnv, action: &str, body: Value) -> Value {
    let (status, _, out) = raw_post(
        &env.emulator.endpoint_url(),
        Some(&format!("Emulator.{action}")),
        body.to_string().as_bytes(),
    );
    let out: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(status, 200, "{action}: {out}");
    out
}

/// The item `id`, read strongly.
async fn get(
    c: &Client,
    id: &str,
) -> Option<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    c.get_item()
        .table_name("Faulty")
        .set_key(Some(key(id)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

async fn exists(c: &Client, id: &str) -> bool {
    get(c, id).await.is_some()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_fault_has_dynamodbs_error_shape_and_applies_nothing() {
    let env = env_with_table().await;
    let c = one_attempt(&env.client);
    for (kind, code, message) in [
        (
            FaultKind::InternalServerError,
            "InternalServerError",
            "Internal server error",
        ),
        (
            FaultKind::ServiceUnavailable,
            "ServiceUnavailableException",
            "DynamoDB is currently unavailable. (This should be a temporary state.)",
        ),
        (
            FaultKind::Throttling,
            "ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        ),
        (
            FaultKind::TransactionConflict,
            "TransactionConflictException",
            "Transaction is ongoing for the item",
        ),
    ] {
        let id = env
            .emulator
            .inject_fault(FaultRule::new(kind).operation("PutItem").times(1))
            .unwrap();
        let e = put(&c, kind.as_str()).await.unwrap_err();
        assert_eq!(error_of(&e), (code.into(), message.into()), "{kind:?}");
        assert!(!exists(&c, kind.as_str()).await, "{kind:?} applied nothing");
        assert_eq!(env.emulator.clear_faults(Some(id)), 1);
    }
    // On the wire: DynamoDB's statuses and __type namespaces.
    let url = env.emulator.endpoint_url();
    let put = br#"{"TableName":"Faulty","Item":{"id":{"S":"wire"}}}"#;
    for (kind, status, ty) in [
        (
            "InternalServerError",
            500,
            "com.amazonaws.dynamodb.v20120810#InternalServerError",
        ),
        (
            "ServiceUnavailable",
            503,
            "com.amazon.coral.availability#ServiceUnavailableException",
        ),
        (
            "Throttling",
            400,
            "com.amazon.coral.availability#ThrottlingException",
        ),
    ] {
        control(
            &env,
            "InjectFaults",
            json!({"Faults": [{"Kind": kind, "Times": 1}]}),
        );
        let (st, headers, body) = raw_post(&url, Some("DynamoDB_20120810.PutItem"), put);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((st, body["__type"].as_str()), (status, Some(ty)), "{kind}");
        assert!(headers.iter().any(|(k, _)| k == "x-amzn-requestid"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_drops_the_connection_before_or_after_the_write() {
    let env = env_with_table().await;
    let c = one_attempt(&env.client);
    let url = env.emulator.endpoint_url();
    let put_body = |id: &str| format!(r#"{{"TableName":"Faulty","Item":{{"id":{{"S":"{id}"}}}}}}"#);
    for (kind, applied) in [
        (FaultKind::ResetBeforeApply, false),
        (FaultKind::ResetAfterApply, true),
    ] {
        env.emulator
            .inject_fault(FaultRule::new(kind).operation("PutItem").times(1))
            .unwrap();
        let e = put(&c, kind.as_str()).await.unwrap_err();
        assert!(matches!(e, SdkError::DispatchFailure(_)), "{kind:?}: {e:?}");
        assert_eq!(exists(&c, kind.as_str()).await, applied, "{kind:?}");
        // Below the SDK: the peer resets the connection (no response at all).
        env.emulator
            .inject_fault(FaultRule::new(kind).operation("PutItem").times(1))
            .unwrap();
        let raw = {
            let (url, body) = (url.clone(), put_body(&format!("raw-{}", kind.as_str())));
            tokio::task::spawn_blocking(move || {
                try_raw_post(&url, "DynamoDB_20120810.PutItem", body.as_bytes())
            })
            .await
            .unwrap()
        };
        let err = raw.expect_err("no answer");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdks_standard_retry_recovers_from_each_fault() {
    let env = env_with_table().await;
    let c = standard_retry(&env.client);
    for kind in [
        FaultKind::InternalServerError,
        FaultKind::ServiceUnavailable,
        FaultKind::Throttling,
        FaultKind::ResetBeforeApply,
        FaultKind::ResetAfterApply,
        FaultKind::Latency(Duration::from_millis(20)),
    ] {
        // Two failed attempts in a row; the third (the standard retry's last) succeeds. (A
        // latency fails nothing: one attempt, slower.)
        env.emulator
            .inject_fault(FaultRule::new(kind).operation("PutItem").times(2))
            .unwrap();
        put(&c, kind.as_str())
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        assert!(exists(&c, kind.as_str()).await);
        env.emulator.clear_faults(None);
    }
    // A conflict is not retried by the SDKs: the caller decides (the item may stay locked).
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::TransactionConflict)
                .operation("PutItem")
                .times(1),
        )
        .unwrap();
    let e = put(&c, "conflicted").await.unwrap_err();
    assert_eq!(error_of(&e).0, "TransactionConflictException");
    // Every hit is in the request log and the capacity report.
    let log = control(&env, "RequestLog", json!({"Reads": 100}));
    let faults: Vec<&str> = log["Requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["Fault"].as_str())
        .collect();
    assert_eq!(faults.len(), 12, "{faults:?}");
    let report = control(&env, "CapacityReport", json!({}));
    let put = &report["Tables"]["Faulty"]["Operations"]["PutItem"];
    assert_eq!(put["Faults"]["ResetAfterApply"], 2, "{put}");
    assert_eq!(put["Faults"]["TransactionConflict"], 1);
    assert_eq!(put["Conflicts"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_fault_cancels_a_transaction_at_the_matching_item() {
    let env = env_with_table().await;
    let c = one_attempt(&env.client);
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::TransactionConflict)
                .table("Faulty")
                .key_prefix("acct#7")
                .nth(1),
        )
        .unwrap();
    let put = |id: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("Faulty")
                    .set_item(Some(key(id)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let e = c
        .transact_write_items()
        .transact_items(put("acct#1"))
        .transact_items(put("acct#70"))
        .send()
        .await
        .unwrap_err();
    let (code, message) = error_of(&e);
    assert_eq!(code, "TransactionCanceledException");
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]"
    );
    let TransactWriteItemsError::TransactionCanceledException(t) = e.into_service_error() else {
        panic!("cancelled");
    };
    let reasons = t.cancellation_reasons.unwrap();
    assert_eq!(reasons[1].code(), Some("TransactionConflict"));
    assert_eq!(
        reasons[1].message(),
        Some("Transaction is ongoing for the item")
    );
    assert!(!exists(&c, "acct#1").await, "all or nothing");
    // Only the first matching request: the same transaction now commits.
    c.transact_write_items()
        .transact_items(put("acct#1"))
        .transact_items(put("acct#70"))
        .send()
        .await
        .unwrap();
    // A rule whose filters match nothing never fires.
    let list = control(&env, "ListFaults", json!({}));
    assert_eq!(list["Faults"][0]["Matched"], 2, "{list}");
    assert_eq!(list["Faults"][0]["Hits"], 1);
}

/// An item a slow transaction holds: writes conflict, a TransactGetItems is cancelled, a
/// BatchWriteItem leaves it unprocessed, and GetItem reads the committed item.
#[tokio::test(flavor = "multi_thread")]
async fn requests_overlapping_an_in_flight_transaction_conflict_as_dynamodb_says() {
    let env = env_with_table().await;
    let c = one_attempt(&env.client);
    put(&c, "held").await.unwrap();
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::Latency(Duration::from_millis(1500)))
                .operation("TransactWriteItems")
                .times(1),
        )
        .unwrap();
    let slow = {
        let c = c.clone();
        tokio::spawn(async move {
            c.transact_write_items()
                .transact_items(tx_update("held", "SET v = :v", ":v", "1"))
                .send()
                .await
        })
    };
    // Wait until the transaction holds the item (it is in the request log only once done, so
    // probe with writes that conflict while it is in flight).
    let started = Instant::now();
    let e = loop {
        match c
            .update_item()
            .table_name("Faulty")
            .set_key(Some(key("held")))
            .update_expression("SET w = :w")
            .expression_attribute_values(":w", n("1"))
            .send()
            .await
        {
            Err(e) => break e,
            Ok(_) => {
                assert!(started.elapsed() < Duration::from_secs(1), "never held");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    assert_eq!(
        error_of(&e),
        (
            "TransactionConflictException".into(),
            "Transaction is ongoing for the item".into()
        )
    );
    let e = c
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("Faulty")
                        .set_key(Some(key("held")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let (code, message) = error_of(&e);
    assert_eq!(code, "TransactionCanceledException");
    assert!(message.ends_with("[TransactionConflict]"), "{message}");
    let batch = c
        .batch_write_item()
        .request_items("Faulty", vec![put_request("held"), put_request("free")])
        .send()
        .await
        .unwrap();
    let left = &batch.unprocessed_items.unwrap()["Faulty"];
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].put_request.as_ref().unwrap().item["id"], s("held"));
    // A plain read does not conflict: it sees the committed item.
    assert!(!get(&c, "held").await.unwrap().contains_key("v"));
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the checks ran while the transaction was in flight"
    );
    slow.await.unwrap().unwrap();
    // Released: the write goes through now.
    c.update_item()
        .table_name("Faulty")
        .set_key(Some(key("held")))
        .update_expression("SET w = :w")
        .expression_attribute_values(":w", n("1"))
        .send()
        .await
        .unwrap();
}

/// Sixteen clients move money between eight accounts with TransactWriteItems while others
/// touch the accounts with single writes; slow transactions (20 ms in flight) make them
/// overlap. Losers get TransactionCanceledException (TransactionConflict) or
/// TransactionConflictException; the total never changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_racing_transfers_conflict_and_conserve_the_total() {
    let env = env_with_table().await;
    let c = one_attempt(&env.client);
    const ACCOUNTS: usize = 8;
    for a in 0..ACCOUNTS {
        c.put_item()
            .table_name("Faulty")
            .set_item(Some(HashMap::from([
                ("id".to_string(), s(&format!("acct#{a}"))),
                ("balance".to_string(), n("100")),
            ])))
            .send()
            .await
            .unwrap();
    }
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::Latency(Duration::from_millis(20)))
                .operation("TransactWriteItems"),
        )
        .unwrap();
    let mut clients = Vec::new();
    for client in 0..16usize {
        let c = client_for(&env.emulator.endpoint_url());
        let c = one_attempt(&c);
        clients.push(tokio::spawn(async move {
            let (mut committed, mut conflicts) = (0, 0);
            for round in 0..12usize {
                let from = format!("acct#{}", (client + round) % ACCOUNTS);
                let to = format!("acct#{}", (client * 3 + round + 1) % ACCOUNTS);
                if from == to {
                    continue;
                }
                if client % 4 == 3 {
                    // A single-item write that does not move money.
                    match c
                        .update_item()
                        .table_name("Faulty")
                        .set_key(Some(key(&from)))
                        .update_expression("ADD touches :one")
                        .expression_attribute_values(":one", n("1"))
                        .send()
                        .await
                    {
                        Ok(_) => committed += 1,
                        Err(e) => {
                            assert_eq!(error_of(&e).0, "TransactionConflictException");
                            conflicts += 1;
                        }
                    }
                    continue;
                }
                let update = |id: &str, expr: &str| {
                    let mut u = Update::builder()
                        .table_name("Faulty")
                        .set_key(Some(key(id)))
                        .update_expression(expr)
                        .expression_attribute_values(":a", n("5"));
                    if expr.contains('-') {
                        u = u.condition_expression("balance >= :a");
                    }
                    TransactWriteItem::builder()
                        .update(u.build().unwrap())
                        .build()
                };
                match c
                    .transact_write_items()
                    .transact_items(update(&from, "SET balance = balance - :a"))
                    .transact_items(update(&to, "SET balance = balance + :a"))
                    .send()
                    .await
                {
                    Ok(_) => committed += 1,
                    Err(e) => {
                        let e = e.into_service_error();
                        let TransactWriteItemsError::TransactionCanceledException(t) = &e else {
                            panic!("{e:?}");
                        };
                        let reasons = t.cancellation_reasons.clone().unwrap();
                        assert!(reasons.iter().all(|r| matches!(
                            r.code(),
                            Some("None" | "TransactionConflict" | "ConditionalCheckFailed")
                        )));
                        if reasons
                            .iter()
                            .any(|r| r.code() == Some("TransactionConflict"))
                        {
                            conflicts += 1;
                        }
                    }
                }
            }
            (committed, conflicts)
        }));
    }
    let (mut committed, mut conflicts) = (0, 0);
    for c in clients {
        let (a, b) = c.await.unwrap();
        committed += a;
        conflicts += b;
    }
    assert!(committed > 0 && conflicts > 0, "{committed} / {conflicts}");
    let scan = c
        .scan()
        .table_name("Faulty")
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let total: i64 = scan
        .items
        .unwrap()
        .iter()
        .map(|i| i["balance"].as_n().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 100 * ACCOUNTS as i64);
    let report = control(&env, "CapacityReport", json!({}));
    let ops = &report["Tables"]["Faulty"]["Operations"];
    let counted = ops["TransactWriteItems"]["Conflicts"].as_u64().unwrap_or(0)
        + ops["UpdateItem"]["Conflicts"].as_u64().unwrap_or(0);
    assert_eq!(counted, conflicts as u64, "{ops}");
}

/// The retry of an increment whose answer was lost increments twice; a transaction with a
/// ClientRequestToken (or a version condition) makes the retry safe.
#[tokio::test(flavor = "multi_thread")]
async fn a_reset_after_apply_exposes_a_retry_that_is_not_idempotent() {
    let env = env_with_table().await;
    let c = standard_retry(&env.client);
    let counter = |c: &Client| {
        c.update_item()
            .table_name("Faulty")
            .set_key(Some(key("counter")))
            .update_expression("ADD n :one")
            .expression_attribute_values(":one", n("1"))
            .return_values(ReturnValue::AllNew)
    };
    counter(&c).send().await.unwrap();
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::ResetAfterApply)
                .operation("UpdateItem")
                .nth(1),
        )
        .unwrap();
    let out = counter(&c).send().await.unwrap();
    // One increment asked for, two applied: the lost answer's write plus the retry's.
    assert_eq!(out.attributes.unwrap()["n"], n("3"));

    // The idempotent way: the retry carries the same token, DynamoDB answers it from the
    // first attempt without applying it again.
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::ResetAfterApply)
                .operation("TransactWriteItems")
                .nth(1),
        )
        .unwrap();
    c.transact_write_items()
        .client_request_token("increment-4")
        .transact_items(tx_update("counter", "ADD n :one", ":one", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "counter").await.unwrap()["n"], n("4"));
}

/// What a seeded schedule answers, over HTTP, byte for byte: each answer's status and body (or
/// a reset), then the request log.
async fn transcript(seed: u64) -> Vec<String> {
    let emulator = Emulator::builder()
        .seed(seed)
        .virtual_clock()
        .throttling(false)
        .fault(
            "InternalServerError,operation=PutItem,probability=0.3"
                .parse()
                .unwrap(),
        )
        .fault(
            "Throttling,operation=GetItem,probability=0.25"
                .parse()
                .unwrap(),
        )
        .fault("ResetAfterApply,operation=PutItem,nth=4".parse().unwrap())
        .fault("ServiceUnavailable,key-prefix=k1,times=2".parse().unwrap())
        .start()
        .await
        .unwrap();
    let c = one_attempt(&client_for(&emulator.endpoint_url()));
    create_table(&c, "Faulty", "id", None).await;
    let url = emulator.endpoint_url();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for i in 0..40 {
            let (op, body) = match i % 2 {
                0 => (
                    "PutItem",
                    format!(r#"{{"TableName":"Faulty","Item":{{"id":{{"S":"k{i}"}}}}}}"#),
                ),
                _ => (
                    "GetItem",
                    format!(
                        r#"{{"TableName":"Faulty","Key":{{"id":{{"S":"k{}"}}}}}}"#,
                        i - 1
                    ),
                ),
            };
            let target = format!("DynamoDB_20120810.{op}");
            out.push(match try_raw_post(&url, &target, body.as_bytes()) {
                Ok((st, headers, body)) => {
                    let id = headers
                        .iter()
                        .find(|(k, _)| k == "x-amzn-requestid")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    format!("{st} {id} {}", String::from_utf8_lossy(&body))
                }
                Err(e) => format!("reset: {:?}", e.kind()),
            });
        }
        let (_, _, log) = raw_post(&url, Some("Emulator.RequestLog"), b"{}");
        out.push(String::from_utf8(log).unwrap());
        let (_, _, list) = raw_post(&url, Some("Emulator.ListFaults"), b"{}");
        out.push(String::from_utf8(list).unwrap());
        out
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seeded_fault_schedule_gives_byte_identical_transcripts() {
    let first = transcript(7).await;
    assert_eq!(first, transcript(7).await);
    let text = first.join("\n");
    for expected in [
        "500 ",
        "ThrottlingException",
        "reset: ConnectionReset",
        "503 ",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    assert_ne!(first, transcript(8).await, "another seed, another schedule");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_control_api_checks_lists_and_clears_rules() {
    let env = env_with_table().await;
    let url = env.emulator.endpoint_url();
    for (body, message) in [
        (json!({}), "Faults is required"),
        (
            json!({"Faults": [{"Kind": "Boom"}]}),
            "Unknown fault Kind: Boom",
        ),
        (
            json!({"Faults": [{"Kind": "Latency"}]}),
            "A Latency fault needs Milliseconds",
        ),
        (
            json!({"Faults": [{"Kind": "Throttling", "Probability": 2}]}),
            "Probability must be between 0 and 1",
        ),
        (
            json!({"Faults": [{"Kind": "TransactionConflict", "Operation": "Query"}]}),
            "applies to writes and transactions",
        ),
        (
            json!({"Faults": [{"Kind": "Throttling", "Colour": "red"}]}),
            "unknown field",
        ),
    ] {
        let (st, _, out) = raw_post(
            &url,
            Some("Emulator.InjectFaults"),
            body.to_string().as_bytes(),
        );
        let text = String::from_utf8_lossy(&out);
        assert_eq!(st, 400, "{text}");
        assert!(text.contains(message), "{message} in {text}");
    }
    assert_eq!(control(&env, "ListFaults", json!({}))["Faults"], json!([]));
    let ids = control(
        &env,
        "InjectFaults",
        json!({"Faults": [
            {"Kind": "Latency", "Milliseconds": 1, "Operation": "GetItem", "Duration": "5s"},
            {"Kind": "Throttling", "TableName": "Other", "Nth": 2},
        ]}),
    );
    assert_eq!(ids["FaultIds"], json!([1, 2]));
    let list = control(&env, "ListFaults", json!({}));
    let left = list["Faults"][0]["MillisecondsLeft"].as_u64().unwrap();
    assert!((4000..=5000).contains(&left), "{list}");
    assert_eq!(list["Faults"][1]["Nth"], 2);
    assert_eq!(control(&env, "ClearFaults", json!({"Id": 2}))["Cleared"], 1);
    assert_eq!(control(&env, "ClearFaults", json!({}))["Cleared"], 1);
    assert_eq!(control(&env, "ListFaults", json!({}))["Faults"], json!([]));
}

/// A retry that arrives while its first attempt is still in flight (the client gave up
/// waiting) gets TransactionInProgressException, which the SDK's retry waits out; the
/// transaction is applied once.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_still_in_flight_answers_transaction_in_progress() {
    let env = env_with_table().await;
    let c = one_attempt(&env.client);
    env.emulator
        .inject_fault(
            FaultRule::new(FaultKind::Latency(Duration::from_millis(1000)))
                .operation("TransactWriteItems")
                .times(1),
        )
        .unwrap();
    let send = |c: Client| async move {
        c.transact_write_items()
            .client_request_token("slow-increment")
            .transact_items(tx_update("counter", "ADD n :one", ":one", "1"))
            .send()
            .await
    };
    let first = tokio::spawn(send(c.clone()));
    // The first attempt is in flight once its latency fault has fired.
    let started = Instant::now();
    while control(&env, "ListFaults", json!({}))["Faults"][0]["Hits"] != 1 {
        assert!(started.elapsed() < Duration::from_millis(500), "never sent");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let e = send(c.clone()).await.unwrap_err();
    assert_eq!(
        error_of(&e),
        (
            "TransactionInProgressException".into(),
            "The transaction with the given request token is already in progress.".into()
        )
    );
    first.await.unwrap().unwrap();
    // After it: the same token is answered from the first attempt, not applied again.
    send(c.clone()).await.unwrap();
    assert_eq!(get(&c, "counter").await.unwrap()["n"], n("1"));
}
