//! Item operations through a real SDK client: PutItem, GetItem, UpdateItem, DeleteItem with
//! expressions, legacy parameters, return values and DynamoDB's errors.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue, AttributeValueUpdate, ComparisonOperator,
    ExpectedAttributeValue, ReturnConsumedCapacity, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
};
use dynamodb_test_support::*;
use std::collections::HashMap;

async fn env_with_table() -> TestEnv {
    let env = start().await;
    create_table(
        &env.client,
        "Items",
        "pk",
        Some(("sk", ScalarAttributeType::N)),
    )
    .await;
    env
}

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), n(sk))])
}

#[tokio::test]
async fn every_type_round_trips() {
    let env = env_with_table().await;
    let c = &env.client;
    let item = HashMap::from([
        ("pk".to_string(), s("all")),
        ("sk".to_string(), n("1")),
        ("s".to_string(), s("héllo")),
        ("empty".to_string(), s("")),
        ("n".to_string(), n("-12.50")),
        ("big".to_string(), n("1E+125")),
        (
            "b".to_string(),
            AttributeValue::B(Blob::new(vec![0u8, 1, 255])),
        ),
        ("t".to_string(), AttributeValue::Bool(true)),
        ("nul".to_string(), AttributeValue::Null(true)),
        (
            "ss".to_string(),
            AttributeValue::Ss(vec!["b".into(), "a".into()]),
        ),
        (
            "ns".to_string(),
            AttributeValue::Ns(vec!["10".into(), "2".into()]),
        ),
        (
            "bs".to_string(),
            AttributeValue::Bs(vec![Blob::new(vec![2u8]), Blob::new(vec![1u8])]),
        ),
        (
            "l".to_string(),
            AttributeValue::L(vec![s("x"), n("1"), AttributeValue::L(vec![])]),
        ),
        (
            "m".to_string(),
            AttributeValue::M(HashMap::from([("k".to_string(), s("v"))])),
        ),
    ]);
    c.put_item()
        .table_name("Items")
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("all", "1")))
        .send()
        .await
        .unwrap();
    let got = got.item().unwrap();
    assert_eq!(got["s"], s("héllo"));
    assert_eq!(got["empty"], s(""));
    assert_eq!(got["n"], n("-12.5"), "numbers come back normalised");
    assert_eq!(got["big"].as_n().unwrap().len(), 126);
    assert_eq!(got["b"], AttributeValue::B(Blob::new(vec![0u8, 1, 255])));
    assert_eq!(got["t"], AttributeValue::Bool(true));
    assert_eq!(got["nul"], AttributeValue::Null(true));
    let mut ss = got["ss"].as_ss().unwrap().clone();
    ss.sort();
    assert_eq!(ss, ["a", "b"]);
    assert_eq!(got["ns"].as_ns().unwrap().len(), 2);
    assert_eq!(got["bs"].as_bs().unwrap().len(), 2);
    assert_eq!(got["l"].as_l().unwrap().len(), 3);
    assert_eq!(got["m"].as_m().unwrap()["k"], s("v"));
    // Numbers are keys by value: 1.0 is the same key as 1.
    let same = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("all", "1.0")))
        .send()
        .await
        .unwrap();
    assert!(same.item().is_some());
    // Missing item: no Item member at all.
    let none = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("none", "1")))
        .send()
        .await
        .unwrap();
    assert!(none.item().is_none());
}

#[tokio::test]
async fn invalid_values_and_keys_are_rejected() {
    let env = env_with_table().await;
    let c = &env.client;
    let put = |item: Vec<(&str, AttributeValue)>| {
        c.put_item()
            .table_name("Items")
            .set_item(Some(
                item.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ))
            .send()
    };
    let cases: Vec<(Vec<(&str, AttributeValue)>, &str)> = vec![
        (vec![("pk", s("a"))], "One or more parameter values were invalid: Missing the key sk in the item"),
        (
            vec![("pk", s("a")), ("sk", s("x"))],
            "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S",
        ),
        (
            vec![("pk", s("")), ("sk", n("1"))],
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
        ),
        (
            vec![("pk", s("a")), ("sk", n("1")), ("ss", AttributeValue::Ss(vec![]))],
            // The service's 2026 framing of PutItem's empty-set error (moto's AWS-verified
            // tests).
            "1 validation error detected: One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            vec![("pk", s("a")), ("sk", n("1")), ("ss", AttributeValue::Ss(vec!["x".into(), "x".into()]))],
            "One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
        ),
        (
            vec![("pk", s("a")), ("sk", n("1")), ("n", n("1E+126"))],
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            vec![("pk", s("a")), ("sk", n("1")), ("n", n("12345678901234567890123456789012345678901"))],
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (vec![("pk", s("a")), ("sk", n("abc"))], "The parameter cannot be converted to a numeric value: abc"),
        (
            vec![("pk", s("a")), ("sk", n("1")), ("big", s(&"x".repeat(400 * 1024)))],
            "Item size has exceeded the maximum allowed size",
        ),
    ];
    for (item, expected) in cases {
        let err = put(item).await.unwrap_err();
        assert_eq!(
            error_of(&err),
            ("ValidationException".to_string(), expected.to_string())
        );
    }
    // Key parameter errors.
    for k in [
        HashMap::from([("pk".to_string(), s("a"))]),
        HashMap::from([("pk".to_string(), s("a")), ("sk".to_string(), s("1"))]),
        HashMap::from([
            ("pk".to_string(), s("a")),
            ("sk".to_string(), n("1")),
            ("x".to_string(), n("1")),
        ]),
    ] {
        let err = c
            .get_item()
            .table_name("Items")
            .set_key(Some(k))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error_of(&err),
            (
                "ValidationException".into(),
                "The provided key element does not match the schema".into()
            )
        );
    }
    let err = c
        .get_item()
        .table_name("Missing")
        .set_key(Some(key("a", "1")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err),
        (
            "ResourceNotFoundException".into(),
            "Requested resource not found".into()
        )
    );
    // Nothing was written by any failing request.
    let t = c.describe_table().table_name("Items").send().await.unwrap();
    assert_eq!(t.table().unwrap().item_count(), Some(0));
}

#[tokio::test]
async fn conditional_writes() {
    let env = env_with_table().await;
    let c = &env.client;
    c.put_item()
        .table_name("Items")
        .set_item(Some(key("a", "1")))
        .item("v", n("1"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap();
    let err = c
        .put_item()
        .table_name("Items")
        .set_item(Some(key("a", "1")))
        .item("v", n("2"))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err),
        (
            "ConditionalCheckFailedException".into(),
            "The conditional request failed".into()
        )
    );
    let ccf = err.into_service_error();
    let ccf = match ccf {
        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
            e
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        ccf.item().unwrap()["v"],
        n("1"),
        "the failing request returns the old item"
    );
    // Placeholders, functions and comparisons.
    c.update_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .update_expression("SET #v = #v + :one")
        .condition_expression("#v < :ten AND begins_with(pk, :p) AND size(pk) = :one")
        .expression_attribute_names("#v", "v")
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":ten", n("10"))
        .expression_attribute_values(":p", s("a"))
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["v"], n("2"));
    // A failing delete condition leaves the item.
    let err = c
        .delete_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .condition_expression("v = :x")
        .expression_attribute_values(":x", n("3"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ConditionalCheckFailedException");
    let del = c
        .delete_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .condition_expression("v = :x")
        .expression_attribute_values(":x", n("2"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(del.attributes().unwrap()["v"], n("2"));
    let gone = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .send()
        .await
        .unwrap();
    assert!(gone.item().is_none());
}

#[tokio::test]
async fn update_expressions_and_return_values() {
    let env = env_with_table().await;
    let c = &env.client;
    let upd = |expr: &str| {
        c.update_item()
            .table_name("Items")
            .set_key(Some(key("u", "1")))
            .update_expression(expr)
    };
    // UpdateItem creates the item when missing.
    let out = upd("SET a = :a, l = :l, m = :m, cnt = if_not_exists(cnt, :zero)")
        .expression_attribute_values(":a", s("x"))
        .expression_attribute_values(":l", AttributeValue::L(vec![n("1"), n("2"), n("3")]))
        .expression_attribute_values(
            ":m",
            AttributeValue::M(HashMap::from([("deep".to_string(), s("v"))])),
        )
        .expression_attribute_values(":zero", n("0"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let all = out.attributes().unwrap();
    assert_eq!(all["pk"], s("u"));
    assert_eq!(all["cnt"], n("0"));
    let out = upd("SET l = list_append(l, :more), m.deep = :w REMOVE a ADD cnt :five, tags :t")
        .expression_attribute_values(":more", AttributeValue::L(vec![n("4")]))
        .expression_attribute_values(":w", s("w"))
        .expression_attribute_values(":five", n("5"))
        .expression_attribute_values(":t", AttributeValue::Ss(vec!["red".into(), "blue".into()]))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    let updated = out.attributes().unwrap();
    assert_eq!(updated["cnt"], n("5"));
    assert_eq!(updated["l"].as_l().unwrap().len(), 4);
    assert_eq!(updated["m"].as_m().unwrap()["deep"], s("w"));
    assert!(
        !updated.contains_key("a"),
        "UPDATED_NEW has only updated attributes that exist"
    );
    assert!(!updated.contains_key("pk"));
    let out = upd("REMOVE l[0] DELETE tags :red")
        .expression_attribute_values(":red", AttributeValue::Ss(vec!["red".into()]))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["l"].as_l().unwrap(), &[n("1")]);
    let out = upd("SET cnt = cnt - :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["cnt"], n("5"));
    let got = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("u", "1")))
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(item["cnt"], n("4"));
    assert_eq!(item["l"].as_l().unwrap(), &[n("2"), n("3"), n("4")]);
    assert_eq!(item["tags"].as_ss().unwrap(), &["blue".to_string()]);
    assert!(!item.contains_key("a"));

    // Errors.
    let err = upd("SET pk = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );
    let err = upd("SET a = :v").send().await.unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "1 validation error detected: Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    );
    let err = upd("SET a = :v")
        .expression_attribute_values(":v", s("x"))
        .expression_attribute_values(":w", s("y"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "1 validation error detected: Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    );
    let err = upd("SET status = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "1 validation error detected: Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    let err = upd("SET a = :v, a.b = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_of(&err)
            .1
            .contains("Two document paths overlap with each other"),
        "{:?}",
        error_of(&err)
    );
    let err = upd("SET cnt = cnt + :s")
        .expression_attribute_values(":s", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ValidationException");
    let err = upd("ADD l :one")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ValidationException");
    let err = c
        .put_item()
        .table_name("Items")
        .set_item(Some(key("u", "2")))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).1, "ReturnValues can only be ALL_OLD or NONE");
}

#[tokio::test]
async fn projections() {
    let env = env_with_table().await;
    let c = &env.client;
    c.put_item()
        .table_name("Items")
        .set_item(Some(key("p", "1")))
        .item("a", s("x"))
        .item(
            "m",
            AttributeValue::M(HashMap::from([
                ("x".to_string(), n("1")),
                (
                    "y".to_string(),
                    AttributeValue::L(vec![s("a"), s("b"), s("c")]),
                ),
            ])),
        )
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("p", "1")))
        .projection_expression("#m.y[1], a, nope")
        .expression_attribute_names("#m", "m")
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(item.len(), 2);
    assert_eq!(item["a"], s("x"));
    let m = item["m"].as_m().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m["y"].as_l().unwrap(), &[s("b")]);
    // Legacy AttributesToGet.
    let got = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("p", "1")))
        .attributes_to_get("a")
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap().len(), 1);
    // Mixing legacy and expression parameters.
    let err = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("p", "1")))
        .attributes_to_get("a")
        .projection_expression("a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    );
    let err = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("p", "1")))
        .projection_expression("a")
        .expression_attribute_names("#unused", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    );
}

#[tokio::test]
async fn legacy_expected_and_attribute_updates() {
    let env = env_with_table().await;
    let c = &env.client;
    c.put_item()
        .table_name("Items")
        .set_item(Some(key("l", "1")))
        .item("v", n("5"))
        .send()
        .await
        .unwrap();
    // Expected with Exists and with a comparison operator.
    let err = c
        .put_item()
        .table_name("Items")
        .set_item(Some(key("l", "1")))
        .expected(
            "pk",
            ExpectedAttributeValue::builder().exists(false).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ConditionalCheckFailedException");
    c.update_item()
        .table_name("Items")
        .set_key(Some(key("l", "1")))
        .expected(
            "v",
            ExpectedAttributeValue::builder()
                .comparison_operator(ComparisonOperator::Gt)
                .attribute_value_list(n("4"))
                .build(),
        )
        .attribute_updates(
            "v",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Add)
                .value(n("10"))
                .build(),
        )
        .attribute_updates(
            "s",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Put)
                .value(s("new"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("l", "1")))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["v"], n("15"));
    assert_eq!(got.item().unwrap()["s"], s("new"));
    let err = c
        .update_item()
        .table_name("Items")
        .set_key(Some(key("l", "1")))
        .attribute_updates(
            "s",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Delete)
                .build(),
        )
        .condition_expression("attribute_exists(v)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {ConditionExpression}"
    );
}

#[tokio::test]
async fn consumed_capacity_is_reported() {
    let env = env_with_table().await;
    let c = &env.client;
    let out = c
        .put_item()
        .table_name("Items")
        .set_item(Some(key("c", "1")))
        .item("data", s(&"x".repeat(1500)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(2.0));
    let out = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("c", "1")))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(0.5));
    let out = c
        .get_item()
        .table_name("Items")
        .set_key(Some(key("c", "1")))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(1.0));
}

/// Found by the conformance generator against DynamoDB Local: REMOVE below a missing (or
/// non-container) attribute is refused rather than ignored, and an update of a key attribute
/// whose condition fails is a ConditionalCheckFailed (the key check comes after the condition).
#[tokio::test]
async fn nested_removes_and_key_updates_follow_dynamodb_local() {
    let env = env_with_table().await;
    let c = &env.client;
    c.put_item()
        .table_name("Items")
        .item("pk", s("a"))
        .item("sk", n("1"))
        .item("text", s("plain"))
        .send()
        .await
        .unwrap();
    for (expr, names) in [
        ("REMOVE #l[0]", vec![("#l", "missing")]),
        ("REMOVE #m.#k", vec![("#m", "missing"), ("#k", "k")]),
        ("REMOVE #t[0]", vec![("#t", "text")]),
        ("REMOVE #t.#k", vec![("#t", "text"), ("#k", "k")]),
    ] {
        let mut u = c
            .update_item()
            .table_name("Items")
            .set_key(Some(key("a", "1")))
            .update_expression(expr);
        for (k, v) in names {
            u = u.expression_attribute_names(k, v);
        }
        let e = u.send().await.unwrap_err();
        assert_eq!(
            error_of(&e),
            (
                "ValidationException".into(),
                "The document path provided in the update expression is invalid for update".into()
            ),
            "{expr}"
        );
    }
    // A list index past the end is still a no-op.
    c.update_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .update_expression("SET l = :l")
        .expression_attribute_values(":l", AttributeValue::L(vec![s("x")]))
        .send()
        .await
        .unwrap();
    c.update_item()
        .table_name("Items")
        .set_key(Some(key("a", "1")))
        .update_expression("REMOVE l[5]")
        .send()
        .await
        .unwrap();
    let update_key = |cond: &'static str| {
        c.update_item()
            .table_name("Items")
            .set_key(Some(key("a", "1")))
            .update_expression("SET pk = :x")
            .condition_expression(cond)
            .expression_attribute_values(":x", s("b"))
            .send()
    };
    let e = update_key("attribute_not_exists(pk)").await.unwrap_err();
    assert_eq!(error_of(&e).0, "ConditionalCheckFailedException");
    let e = update_key("attribute_exists(pk)").await.unwrap_err();
    assert_eq!(
        error_of(&e),
        (
            "ValidationException".into(),
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key".into()
        )
    );
}
