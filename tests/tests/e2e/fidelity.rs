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

/// A global index returns the items that share its key in the service's order: by a hash of
/// each item's whole table key, not grouped by table partition nor sorted by sort key (the
/// keys and their order are the ones dynalite's suite recorded from DynamoDB). The read is
/// charged to the index, not the table, under `ReturnConsumedCapacity: INDEXES`; paging with
/// `ExclusiveStartKey` resumes in that order, in both directions.
#[tokio::test]
async fn a_global_index_orders_equal_keys_by_the_table_key_hash() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("Ggg")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("a", KeyType::Hash))
        .key_schema(ks("b", KeyType::Range))
        .attribute_definitions(ad("a", ScalarAttributeType::S))
        .attribute_definitions(ad("b", ScalarAttributeType::S))
        .attribute_definitions(ad("c", ScalarAttributeType::S))
        .global_secondary_indexes(
            gsi("byC", "c", aws_sdk_dynamodb::types::ProjectionType::All)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let keys = [
        ("a", "a"),
        ("b", "b"),
        ("c", "e"),
        ("c", "d"),
        ("d", "a"),
        ("e", "a"),
    ];
    for (a, b) in keys {
        c.put_item()
            .table_name("Ggg")
            .item("a", s(a))
            .item("b", s(b))
            .item("c", s("same"))
            .send()
            .await
            .unwrap();
    }
    let pair = |i: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| {
        let t = |k: &str| i[k].as_s().unwrap().clone();
        (t("a"), t("b"))
    };
    let query = |forward: bool| {
        c.query()
            .table_name("Ggg")
            .index_name("byC")
            .key_condition_expression("c = :c")
            .expression_attribute_values(":c", s("same"))
            .scan_index_forward(forward)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
    };
    let expected: Vec<(String, String)> = [
        ("b", "b"),
        ("a", "a"),
        ("c", "e"),
        ("e", "a"),
        ("d", "a"),
        ("c", "d"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let all = query(true).send().await.unwrap();
    assert_eq!(all.items().iter().map(pair).collect::<Vec<_>>(), expected);
    let cc = all.consumed_capacity().unwrap();
    assert_eq!(cc.capacity_units(), Some(0.5));
    assert_eq!(cc.table().unwrap().capacity_units(), Some(0.0));
    assert_eq!(
        cc.global_secondary_indexes().unwrap()["byC"].capacity_units(),
        Some(0.5)
    );
    // Pages of two, forward and backward, give the same order.
    for forward in [true, false] {
        let mut got = Vec::new();
        let mut start = None;
        loop {
            let page = query(forward)
                .limit(2)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            got.extend(page.items().iter().map(pair));
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let mut want = expected.clone();
        if !forward {
            want.reverse();
        }
        assert_eq!(got, want, "forward: {forward}");
    }
}

/// An invalid expression gets the error the service gives first, whatever the order of the
/// faults in the text: a syntax error anywhere, then redundant parentheses, an unknown
/// function, a misused function, a reserved word, then the first faulty condition's own error
/// (undefined placeholder, operand count, operands not distinct, operand type). Each case is
/// one dynalite's suite recorded from DynamoDB; all are checked before the table is looked up.
#[tokio::test]
async fn expression_errors_come_in_the_services_precedence() {
    let env = start().await;
    let c = &env.client;
    type Values<'v> = &'v [(&'v str, aws_sdk_dynamodb::types::AttributeValue)];
    let cases: &[(&str, Values, &str)] = &[
        // Syntax first, before the undefined #d and :a.
        ("(a)between(b.c[4.5].#d)and(:a)", &[], "Syntax error; token: "),
        ("attribute_exists(\"Pictures.RearView\")", &[], "Syntax error; token: \"\"\""),
        ("a > between", &[], "Syntax error; token: \"between\""),
        ("a=a and a > ((views))", &[], "The expression has redundant parentheses;"),
        ("a=a and whatever((:things)) > a", &[], "Invalid function name; function: whatever"),
        (
            "a=a and attribute_exists((views), (#a)) > b",
            &[],
            "The function is not allowed to be used this way in an expression; function: attribute_exists",
        ),
        (":a < abOrT", &[], "Attribute name is a reserved keyword; reserved keyword: abOrT"),
        (
            "attribute_exists(#Pictures.RearView, :a) and a=a",
            &[],
            "An expression attribute name used in the document path is not defined; attribute name: #Pictures",
        ),
        (
            "attribute_type(a, size(a)) and a=a and a=:a",
            &[(":a", n("1"))],
            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
        ),
        (
            "attribute_not_exists(size(:a))",
            &[(":a", s("1"))],
            "Operator or function requires a document path; operator or function: attribute_not_exists",
        ),
        (
            "a = a AND #a = b AND :views > a",
            &[],
            "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]",
        ),
        (
            "a between :b and :a",
            &[(":a", n("1")), (":b", s("a"))],
            "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {S:a}, upper bound operand: AttributeValue: {N:1}",
        ),
    ];
    for (expression, values, want) in cases {
        let mut scan = c
            .scan()
            .table_name("NoSuchTable")
            .filter_expression(*expression);
        if expression.contains("#a") && !expression.contains("#a)") {
            scan = scan.expression_attribute_names("#a", "a");
        }
        for (k, v) in *values {
            scan = scan.expression_attribute_values(*k, v.clone());
        }
        let err = scan.send().await.unwrap_err();
        let (code, message) = error_of(&err);
        assert_eq!(code, "ValidationException", "{expression}: {message}");
        assert!(
            message.starts_with(&format!("Invalid FilterExpression: {want}")),
            "{expression}: {message}"
        );
    }
    // Parenthesised operands are valid, and `size` of a value is a number.
    create_table(c, "Paren", "pk", None).await;
    c.put_item()
        .table_name("Paren")
        .item("pk", s("a"))
        .item("b", s("abc"))
        .send()
        .await
        .unwrap();
    for expression in [
        "(size(b)) = :n",
        "((size(b)) = :n) AND (b) = :b",
        "(b) BETWEEN (:b) AND :b",
    ] {
        let mut scan = c.scan().table_name("Paren").filter_expression(expression);
        if expression.contains(":n") {
            scan = scan.expression_attribute_values(":n", n("3"));
        }
        if expression.contains(":b") {
            scan = scan.expression_attribute_values(":b", s("abc"));
        }
        let out = scan.send().await;
        let out = match out {
            Ok(o) => o,
            Err(e) => panic!("{expression}: {:?}", error_of(&e)),
        };
        assert_eq!(out.count(), 1, "{expression}");
    }
}

/// An update expression's faults come in the update grammar's own order (dynalite's recorded
/// suite): a reserved word before a repeated section, a function's operand count and its
/// document-path operand before anything is read; UpdateItem frames them (known-differences #28).
#[tokio::test]
async fn update_expression_errors_come_in_the_services_precedence() {
    let env = start().await;
    let c = &env.client;
    let cases = [
        (
            " set #c = :c set abOrt = true ",
            "Attribute name is a reserved keyword; reserved keyword: abOrt",
        ),
        (
            "set a = whatever(:c) set b = :c",
            "Invalid function name; function: whatever",
        ),
        (
            "set a = :c set b = :c",
            "The \"SET\" section can only be used once in an update expression;",
        ),
        (
            "set a = list_append(:c)",
            "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1",
        ),
        (
            "set a = if_not_exists(:c, b)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
    ];
    for (expression, want) in cases {
        let mut update = c
            .update_item()
            .table_name("NoSuchTable")
            .key("pk", s("a"))
            .update_expression(expression)
            .expression_attribute_values(":c", s("x"));
        if expression.contains("#c") {
            update = update.expression_attribute_names("#c", "c");
        }
        let err = update.send().await.unwrap_err();
        let (code, message) = error_of(&err);
        assert_eq!(code, "ValidationException", "{expression}: {message}");
        assert_eq!(
            message,
            format!("1 validation error detected: Invalid UpdateExpression: {want}"),
            "{expression}"
        );
    }
}

/// A projection's paths are all checked for overlaps before any for conflicts (dynalite's
/// recorded suite): `b[1]` and `b.a` conflict, but `#a.b` and `a` overlapping is the answer.
#[tokio::test]
async fn projection_overlaps_come_before_conflicts() {
    let env = start().await;
    let c = &env.client;
    let err = c
        .get_item()
        .table_name("NoSuchTable")
        .key("pk", s("a"))
        .projection_expression("b[1], b.a, #a.b, a")
        .expression_attribute_names("#a", "a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"
    );
    let err = c
        .get_item()
        .table_name("NoSuchTable")
        .key("pk", s("a"))
        .projection_expression("b[1], b.a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [b, [1]], path two: [b, a]"
    );
}
