//! Behaviour pinned to what the service does, where DynamoDB Local (or an earlier emulator)
//! differed: each case names its evidence (docs/conformance.md, docs/known-differences.md).

use aws_sdk_dynamodb::types::{
    BillingMode, KeyType, ReturnConsumedCapacity, ScalarAttributeType, TransactGetItem,
};
use aws_sdk_dynamodb::types::{Get, Put, WriteRequest};
use dynamodb_test_support::*;

/// Scan returns a table's items in the service's hash order (the keys and the orders are the
/// ones dynalite's suite recorded from DynamoDB), strings and numbers alike.
#[tokio::test]
async fn scan_returns_items_in_the_services_hash_order() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Strs", "a", None).await;
    c.create_table()
        .table_name("Nums")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("a", KeyType::Hash))
        .attribute_definitions(ad("a", ScalarAttributeType::N))
        .send()
        .await
        .unwrap();
    let strings = [
        "2", "8", "9", "1", "6", "hello", "0", "5", "4", "äáöü", "aardman", "7", "3", "zapf",
    ];
    let numbers = [
        "7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6", "1", "0", "0.012345", "5",
    ];
    // Written in another order than the one expected back.
    for v in strings.iter().rev() {
        c.put_item()
            .table_name("Strs")
            .item("a", s(v))
            .send()
            .await
            .unwrap();
    }
    for v in numbers.iter().rev() {
        c.put_item()
            .table_name("Nums")
            .item("a", n(v))
            .send()
            .await
            .unwrap();
    }
    let keys = |out: aws_sdk_dynamodb::operation::scan::ScanOutput| -> Vec<String> {
        out.items()
            .iter()
            .map(|i| match &i["a"] {
                aws_sdk_dynamodb::types::AttributeValue::S(v)
                | aws_sdk_dynamodb::types::AttributeValue::N(v) => v.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let got = keys(c.scan().table_name("Strs").send().await.unwrap());
    assert_eq!(got, strings);
    let got = keys(c.scan().table_name("Nums").send().await.unwrap());
    assert_eq!(got, numbers);
    // With 4,096 segments each segment is one 12-bit bucket of the hash: every key is in
    // exactly one, and the segments in order give the same order.
    let mut by_segment = Vec::new();
    for segment in 0..4096 {
        let out = c
            .scan()
            .table_name("Strs")
            .segment(segment)
            .total_segments(4096)
            .send()
            .await
            .unwrap();
        by_segment.extend(keys(out));
    }
    assert_eq!(by_segment, strings);
}

/// Item operations, queries, scans and batches report `CapacityUnits` alone; transactions add
/// `ReadCapacityUnits` (moto's AWS-verified tests, dynalite's recorded bodies).
#[tokio::test]
async fn consumed_capacity_has_the_services_members() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Cap", "pk", None).await;
    c.put_item()
        .table_name("Cap")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("Cap")
        .key("pk", s("a"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = got.consumed_capacity().unwrap();
    assert_eq!(cc.capacity_units(), Some(0.5));
    assert_eq!(cc.read_capacity_units(), None);
    assert_eq!(cc.table().unwrap().capacity_units(), Some(0.5));
    assert_eq!(cc.table().unwrap().read_capacity_units(), None);
    let got = c
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("Cap")
                        .key("pk", s("a"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let cc = &got.consumed_capacity()[0];
    assert_eq!(cc.capacity_units(), Some(2.0));
    assert_eq!(cc.read_capacity_units(), Some(2.0));
}

/// A table's ARN is accepted wherever a TableName is (the API reference's `TableName`).
#[tokio::test]
async fn a_table_arn_names_the_table() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "ByArn", "pk", None).await;
    let arn = c
        .describe_table()
        .table_name("ByArn")
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    c.put_item()
        .table_name(&arn)
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name(&arn)
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_some());
    let described = c.describe_table().table_name(&arn).send().await.unwrap();
    assert_eq!(described.table().unwrap().table_name(), Some("ByArn"));
}

/// The service validates a request in its own order (dynalite's recorded suite): expression
/// versus legacy parameters before attribute values; a batch's table names as one map
/// constraint; a BatchWriteItem put's key checked as a key; Query's start key against the key
/// condition with the service's texts.
#[tokio::test]
async fn validation_follows_the_services_order() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Ord", "pk", Some(("sk", ScalarAttributeType::N))).await;
    let err = c
        .put_item()
        .table_name("NoSuchTable")
        .item("pk", aws_sdk_dynamodb::types::AttributeValue::Ss(vec![]))
        .condition_expression("attribute_exists(pk)")
        .expected(
            "pk",
            aws_sdk_dynamodb::types::ExpectedAttributeValue::builder()
                .exists(false)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
    let batch_put =
        |table: &'static str, attrs: &[(&str, aws_sdk_dynamodb::types::AttributeValue)]| {
            let mut put = aws_sdk_dynamodb::types::PutRequest::builder();
            for (k, v) in attrs {
                put = put.item(*k, v.clone());
            }
            c.batch_write_item()
                .request_items(
                    table,
                    vec![WriteRequest::builder()
                        .put_request(put.build().unwrap())
                        .build()],
                )
                .send()
        };
    let err = batch_put("ab", &[("pk", s("a"))]).await.unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "1 validation error detected: Value '{...}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
    );
    let err = batch_put("Ord", &[("pk", s("a")), ("sk", s("not a number"))])
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "The provided key element does not match the schema"
    );
    let query = |start_pk: &str, start_sk: &str| {
        c.query()
            .table_name("Ord")
            .key_condition_expression("pk = :p AND sk > :s")
            .expression_attribute_values(":p", s("a"))
            .expression_attribute_values(":s", n("5"))
            .exclusive_start_key("pk", s(start_pk))
            .exclusive_start_key("sk", n(start_sk))
            .send()
    };
    let err = query("a", "1").await.unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "The provided starting key does not match the range key predicate"
    );
    let err = query("b", "9").await.unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "The query can return at most one row and cannot be restarted"
    );
    query("a", "9").await.unwrap();
    // A Put inside a transaction is unchanged: its missing key is named.
    let err = c
        .transact_write_items()
        .transact_items(
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("Ord")
                        .item("pk", s("a"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        error_of(&err).1.contains("Missing the key sk"),
        "{:?}",
        error_of(&err)
    );
}
