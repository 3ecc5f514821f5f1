//! BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems through a real SDK client.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, DeleteRequest, Get, KeysAndAttributes, PutRequest,
    ReturnValuesOnConditionCheckFailure, TransactGetItem, TransactWriteItem, Update, WriteRequest,
};
use dynamodb_test_support::*;
use std::collections::HashMap;
use std::sync::Arc;

fn key(id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("id".to_string(), s(id))])
}

fn put_req(id: &str, extra: Option<(&str, AttributeValue)>) -> WriteRequest {
    let mut item = key(id);
    if let Some((k, v)) = extra {
        item.insert(k.to_string(), v);
    }
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

#[tokio::test]
async fn batch_write_then_batch_get() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "TblA", "id", None).await;
    create_table(c, "TblB", "id", None).await;
    let writes: Vec<WriteRequest> = (0..20)
        .map(|i| put_req(&format!("a{i}"), Some(("n", n(&i.to_string())))))
        .collect();
    let out = c
        .batch_write_item()
        .request_items("TblA", writes)
        .request_items("TblB", vec![put_req("b0", None), put_req("b1", None)])
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().unwrap().is_empty());
    c.batch_write_item()
        .request_items(
            "TblB",
            vec![WriteRequest::builder()
                .delete_request(
                    DeleteRequest::builder()
                        .set_key(Some(key("b1")))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .send()
        .await
        .unwrap();

    let ka = KeysAndAttributes::builder()
        .set_keys(Some(
            (0..20)
                .map(|i| key(&format!("a{i}")))
                .chain([key("missing")])
                .collect(),
        ))
        .projection_expression("id")
        .build()
        .unwrap();
    let kb = KeysAndAttributes::builder()
        .keys(key("b0"))
        .keys(key("b1"))
        .build()
        .unwrap();
    let out = c
        .batch_get_item()
        .request_items("TblA", ka)
        .request_items("TblB", kb)
        .send()
        .await
        .unwrap();
    let resp = out.responses().unwrap();
    assert_eq!(resp["TblA"].len(), 20);
    assert!(
        resp["TblA"].iter().all(|i| i.len() == 1),
        "projection applies per table"
    );
    assert_eq!(resp["TblB"].len(), 1);
    assert!(out.unprocessed_keys().unwrap().is_empty());
}

#[tokio::test]
async fn batch_limits_and_errors() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "TblA", "id", None).await;
    let writes: Vec<WriteRequest> = (0..26).map(|i| put_req(&format!("x{i}"), None)).collect();
    let err = c
        .batch_write_item()
        .request_items("TblA", writes)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ValidationException");
    let err = c
        .batch_write_item()
        .request_items("TblA", vec![put_req("same", None), put_req("same", None)])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Provided list of item keys contains duplicates"
    );
    let err = c
        .batch_write_item()
        .request_items("TblA", vec![put_req("ok", None)])
        .request_items("Missing", vec![put_req("ok", None)])
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ResourceNotFoundException");
    // Validation precedes effect: the valid table's put did not happen.
    let got = c
        .get_item()
        .table_name("TblA")
        .key("id", s("ok"))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none());

    let ka = KeysAndAttributes::builder()
        .set_keys(Some((0..101).map(|i| key(&i.to_string())).collect()))
        .build()
        .unwrap();
    let err = c
        .batch_get_item()
        .request_items("TblA", ka)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ValidationException");
    let ka = KeysAndAttributes::builder()
        .keys(key("d"))
        .keys(key("d"))
        .build()
        .unwrap();
    let err = c
        .batch_get_item()
        .request_items("TblA", ka)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Provided list of item keys contains duplicates"
    );
}

#[tokio::test]
async fn batch_get_returns_unprocessed_keys_past_16_mb() {
    // 23 MB written in a moment would be throttled (1,000 WCU/s per partition), as on DynamoDB:
    // this test is about the 16 MB response cap, so it turns throttling off.
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .throttling(false),
    )
    .await;
    let c = &env.client;
    create_table(c, "Big", "id", None).await;
    let blob = "x".repeat(390 * 1024);
    for chunk in 0..5 {
        let writes: Vec<WriteRequest> = (0..12)
            .map(|i| put_req(&format!("k{}", chunk * 12 + i), Some(("data", s(&blob)))))
            .collect();
        c.batch_write_item()
            .request_items("Big", writes)
            .send()
            .await
            .unwrap();
    }
    // 60 items of ~390 KB = ~23 MB: more than one response can hold.
    let mut pending = KeysAndAttributes::builder()
        .set_keys(Some((0..60).map(|i| key(&format!("k{i}"))).collect()))
        .build()
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let out = c
            .batch_get_item()
            .request_items("Big", pending.clone())
            .send()
            .await
            .unwrap();
        for item in &out.responses().unwrap()["Big"] {
            assert!(
                seen.insert(item["id"].as_s().unwrap().clone()),
                "no item twice"
            );
        }
        match out.unprocessed_keys().and_then(|u| u.get("Big")) {
            Some(left) if !left.keys().is_empty() => pending = left.clone(),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 60);
    assert!(rounds >= 2, "the 16 MB cap split the response");
}

#[tokio::test]
async fn transactions_are_all_or_nothing() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Acct", "id", None).await;
    c.put_item()
        .table_name("Acct")
        .item("id", s("alice"))
        .item("bal", n("100"))
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("Acct")
        .item("id", s("bob"))
        .item("bal", n("0"))
        .send()
        .await
        .unwrap();
    let transfer = |amount: &str| {
        c.transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("Acct")
                            .set_key(Some(key("alice")))
                            .update_expression("SET bal = bal - :a")
                            .condition_expression("bal >= :a")
                            .expression_attribute_values(":a", n(amount))
                            .return_values_on_condition_check_failure(
                                ReturnValuesOnConditionCheckFailure::AllOld,
                            )
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("Acct")
                            .set_key(Some(key("bob")))
                            .update_expression("SET bal = bal + :a")
                            .expression_attribute_values(":a", n(amount))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    transfer("30").await.unwrap();
    let err = transfer("80").await.unwrap_err();
    assert_eq!(error_of(&err).0, "TransactionCanceledException");
    match err.into_service_error() {
        TransactWriteItemsError::TransactionCanceledException(e) => {
            let reasons = e.cancellation_reasons();
            assert_eq!(reasons.len(), 2);
            assert_eq!(reasons[0].code(), Some("ConditionalCheckFailed"));
            assert_eq!(reasons[0].item().unwrap()["bal"], n("70"));
            assert_eq!(reasons[1].code(), Some("None"));
        }
        other => panic!("{other:?}"),
    }
    let get = c
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("Acct")
                        .set_key(Some(key("alice")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("Acct")
                        .set_key(Some(key("bob")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let r = get.responses();
    assert_eq!(r[0].item().unwrap()["bal"], n("70"));
    assert_eq!(r[1].item().unwrap()["bal"], n("30"));

    // Two actions on one item.
    let err = c
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name("Acct")
                        .set_key(Some(key("bob")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name("Acct")
                        .set_key(Some(key("bob")))
                        .condition_expression("attribute_exists(id)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err),
        (
            "ValidationException".into(),
            "Transaction request cannot include multiple operations on one item".into()
        )
    );
}

#[tokio::test]
async fn client_request_tokens_are_idempotent() {
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .virtual_clock()
            .consistency(dynamodb_emulator::Consistency::Strong),
    )
    .await;
    let c = &env.client;
    create_table(c, "Ctr", "id", None).await;
    let bump = |token: &str, by: &str| {
        c.transact_write_items()
            .client_request_token(token)
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("Ctr")
                            .set_key(Some(key("c")))
                            .update_expression("ADD hits :n")
                            .expression_attribute_values(":n", n(by))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    bump("tok-1", "1").await.unwrap();
    bump("tok-1", "1").await.unwrap();
    let hits = || async {
        c.get_item()
            .table_name("Ctr")
            .set_key(Some(key("c")))
            .send()
            .await
            .unwrap()
            .item()
            .unwrap()["hits"]
            .clone()
    };
    assert_eq!(
        hits().await,
        n("1"),
        "a retry with the same token does not write again"
    );
    let err = bump("tok-1", "2").await.unwrap_err();
    assert_eq!(error_of(&err).0, "IdempotentParameterMismatchException");
    env.emulator
        .clock()
        .advance(std::time::Duration::from_secs(601));
    bump("tok-1", "1").await.unwrap();
    assert_eq!(
        hits().await,
        n("2"),
        "after 10 minutes the token is forgotten"
    );
}

#[tokio::test]
async fn concurrent_transfers_keep_the_sum() {
    let env = start().await;
    let c = Arc::new(env.client.clone());
    create_table(&c, "Bank", "id", None).await;
    let accounts = 5;
    for i in 0..accounts {
        c.put_item()
            .table_name("Bank")
            .item("id", s(&format!("a{i}")))
            .item("bal", n("100"))
            .send()
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for k in 0..40u64 {
                let from = (t + k) % accounts;
                let to = (t * 7 + k * 3 + 1) % accounts;
                if from == to {
                    continue;
                }
                let res = c
                    .transact_write_items()
                    .transact_items(
                        TransactWriteItem::builder()
                            .update(
                                Update::builder()
                                    .table_name("Bank")
                                    .set_key(Some(key(&format!("a{from}"))))
                                    .update_expression("SET bal = bal - :a")
                                    .condition_expression("bal >= :a")
                                    .expression_attribute_values(":a", n("7"))
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .transact_items(
                        TransactWriteItem::builder()
                            .update(
                                Update::builder()
                                    .table_name("Bank")
                                    .set_key(Some(key(&format!("a{to}"))))
                                    .update_expression("SET bal = bal + :a")
                                    .expression_attribute_values(":a", n("7"))
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .send()
                    .await;
                if res.is_ok() {
                    ok += 1;
                }
                // Interleave plain writes on the same items: a no-op update must not lose a transfer.
                c.update_item()
                    .table_name("Bank")
                    .set_key(Some(key(&format!("a{to}"))))
                    .update_expression("SET touched = :t")
                    .expression_attribute_values(":t", n(&k.to_string()))
                    .send()
                    .await
                    .unwrap();
            }
            ok
        }));
    }
    let mut committed = 0;
    for t in tasks {
        committed += t.await.unwrap();
    }
    assert!(committed > 0);
    let mut total = 0i64;
    for i in 0..accounts {
        let item = c
            .get_item()
            .table_name("Bank")
            .key("id", s(&format!("a{i}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let bal: i64 = item.item().unwrap()["bal"].as_n().unwrap().parse().unwrap();
        assert!(bal >= 0);
        total += bal;
    }
    assert_eq!(total, 100 * accounts as i64, "transfers keep the sum");
}
