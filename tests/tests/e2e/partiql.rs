//! PartiQL through a real SDK client: ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction, planned onto the item commands and charged, paged and replicated as
//! they are, with DynamoDB's errors.

use aws_sdk_dynamodb::operation::execute_transaction::ExecuteTransactionError;
use aws_sdk_dynamodb::types::{
    AttributeValue, BatchStatementRequest, ParameterizedStatement, ReturnConsumedCapacity,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use dynamodb_emulator::{Consistency, Emulator, LagModel};
use dynamodb_test_support::*;
use std::collections::HashMap;
use std::time::Duration;

type Row = HashMap<String, AttributeValue>;

async fn run(c: &Client, statement: &str, params: Vec<AttributeValue>) -> Vec<Row> {
    c.execute_statement()
        .statement(statement)
        .set_parameters((!params.is_empty()).then_some(params))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{statement}: {:?}", error_of(&e)))
        .items()
        .to_vec()
}

/// The cancellation reasons of a transaction that must have been cancelled.
fn reasons_of<R: std::fmt::Debug + Send + Sync + 'static>(
    err: aws_sdk_dynamodb::error::SdkError<ExecuteTransactionError, R>,
) -> Vec<aws_sdk_dynamodb::types::CancellationReason> {
    match err.into_service_error() {
        ExecuteTransactionError::TransactionCanceledException(e) => {
            e.cancellation_reasons().to_vec()
        }
        other => panic!("a cancellation, not {other:?}"),
    }
}

/// The capacity units a response's ConsumedCapacity gives.
fn units(cc: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>) -> f64 {
    cc.and_then(|c| c.capacity_units())
        .expect("ConsumedCapacity with CapacityUnits")
}

fn ss(values: &[&str]) -> AttributeValue {
    AttributeValue::Ss(values.iter().map(|v| v.to_string()).collect())
}

#[tokio::test]
async fn statements_insert_select_update_and_delete_items() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Posts", "pk", Some(("sk", ScalarAttributeType::N))).await;
    let none = run(
        c,
        "INSERT INTO \"Posts\" VALUE {'pk': ?, 'sk': 1, 'title': 'Hello', 'tags': <<'a'>>, 'meta': {'views': 0, 'by': ['ann']}}",
        vec![s("p1")],
    )
    .await;
    assert!(none.is_empty(), "an INSERT answers no items");
    run(c, "insert into Posts value {'pk': 'p1', 'sk': 2}", vec![]).await;
    let got = c
        .get_item()
        .table_name("Posts")
        .key("pk", s("p1"))
        .key("sk", n("1"))
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(item["title"], s("Hello"));
    assert_eq!(item["tags"], ss(&["a"]));

    // SELECT: every attribute, or paths whose values come back under their last name.
    let rows = run(
        c,
        "SELECT * FROM Posts WHERE pk = ? AND sk = 1",
        vec![s("p1")],
    )
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["title"], s("Hello"));
    let rows = run(
        c,
        "SELECT title, meta.views, meta.by[0] FROM Posts WHERE pk = 'p1'",
        vec![],
    )
    .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        HashMap::from([
            ("title".to_string(), s("Hello")),
            ("views".to_string(), n("0")),
            ("by[0]".to_string(), s("ann")),
        ])
    );
    assert!(
        rows[1].is_empty(),
        "an item without the paths is an empty row"
    );
    run(
        c,
        "UPDATE Posts SET l = [10, 11, 12] WHERE pk = 'p1' AND sk = 2",
        vec![],
    )
    .await;
    let rows = run(
        c,
        "SELECT l[2], l[1] FROM Posts WHERE pk = 'p1' AND sk = 2 AND attribute_exists(l)",
        vec![],
    )
    .await;
    assert_eq!(
        rows,
        vec![HashMap::from([
            ("l[2]".to_string(), n("12")),
            ("l[1]".to_string(), n("11")),
        ])]
    );

    // UPDATE: SET with arithmetic, list_append and set_add; REMOVE; RETURNING.
    let rows = run(
        c,
        "UPDATE Posts SET meta.views = meta.views + 1 SET meta.by = list_append(meta.by, ['bob']) SET tags = set_add(tags, <<'b'>>) REMOVE title WHERE pk = 'p1' AND sk = 1 RETURNING ALL NEW *",
        vec![],
    )
    .await;
    assert_eq!(rows.len(), 1);
    let new = &rows[0];
    assert!(!new.contains_key("title"));
    assert_eq!(new["tags"], ss(&["a", "b"]));
    let AttributeValue::M(meta) = &new["meta"] else {
        panic!("meta is a map")
    };
    assert_eq!(meta["views"], n("1"));
    assert_eq!(meta["by"], AttributeValue::L(vec![s("ann"), s("bob")]));
    let rows = run(
        c,
        "UPDATE Posts SET tags = set_delete(tags, <<'a'>>) WHERE pk = 'p1' AND sk = 1 RETURNING MODIFIED OLD *",
        vec![],
    )
    .await;
    assert_eq!(
        rows,
        vec![HashMap::from([("tags".to_string(), ss(&["a", "b"]))])]
    );

    // DELETE with a condition, RETURNING the old item; a missing item deletes quietly.
    let rows = run(
        c,
        "DELETE FROM Posts WHERE pk = 'p1' AND sk = 2 RETURNING ALL OLD *",
        vec![],
    )
    .await;
    assert_eq!(rows[0]["sk"], n("2"));
    assert!(
        run(c, "DELETE FROM Posts WHERE pk = 'p1' AND sk = 2", vec![])
            .await
            .is_empty()
    );
    let scan = c.scan().table_name("Posts").send().await.unwrap();
    assert_eq!(scan.count(), 1);
}

#[tokio::test]
async fn malformed_and_failing_statements_get_dynamodbs_errors() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Things", "pk", Some(("sk", ScalarAttributeType::S))).await;
    c.create_table()
        .table_name("Gidx")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(ks("pk", aws_sdk_dynamodb::types::KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            gsi("byG", "g", aws_sdk_dynamodb::types::ProjectionType::All)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    run(
        c,
        "INSERT INTO Things VALUE {'pk': 'a', 'sk': '1', 'v': 1}",
        vec![],
    )
    .await;
    let wf = "Statement wasn't well formed, can't be processed: ";
    let cases: Vec<(&str, &str, Vec<AttributeValue>, Expected)> = vec![
        (
            "duplicate insert",
            "INSERT INTO Things VALUE {'pk': 'a', 'sk': '1'}",
            vec![],
            Expected::error("DuplicateItemException", "Duplicate primary key exists in table"),
        ),
        (
            "update of a missing item",
            "UPDATE Things SET v = 2 WHERE pk = 'zz' AND sk = '1'",
            vec![],
            Expected::error("ConditionalCheckFailedException", "The conditional request failed"),
        ),
        (
            "update whose condition fails",
            "UPDATE Things SET v = 2 WHERE pk = 'a' AND sk = '1' AND v > 5",
            vec![],
            Expected::error("ConditionalCheckFailedException", "The conditional request failed"),
        ),
        (
            "update without the sort key",
            "UPDATE Things SET v = 2 WHERE pk = 'a'",
            vec![],
            Expected::validation(
                "Where clause does not contain a mandatory equality on all key attributes",
            ),
        ),
        (
            "two values for one key",
            "DELETE FROM Things WHERE pk = 'a' AND sk = '1' AND pk = 'b'",
            vec![],
            Expected::validation(
                "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported",
            ),
        ),
        (
            "update of a key attribute",
            "UPDATE Things SET sk = '2' WHERE pk = 'a' AND sk = '1'",
            vec![],
            Expected::validation(
                "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
            ),
        ),
        (
            "too few parameters",
            "SELECT * FROM Things WHERE pk = ? AND sk = ?",
            vec![s("a")],
            Expected::validation("Number of parameters in request and statement don't match."),
        ),
        (
            "not a statement",
            "FETCH ALL FROM Things",
            vec![],
            Expected::validation(&format!("{wf}Expected data manipulation")),
        ),
        (
            "trailing garbage",
            "SELECT * FROM Things WHERE pk = 'a' garbage",
            vec![],
            Expected::validation(&format!("{wf}Unexpected token after expression")),
        ),
        (
            "unknown function",
            "SELECT * FROM Things WHERE frobnicate(v)",
            vec![],
            Expected::validation("Unrecognized function: frobnicate"),
        ),
        (
            "unknown table",
            "SELECT * FROM Nope",
            vec![],
            Expected::error("ResourceNotFoundException", "Requested resource not found"),
        ),
        (
            "unknown index",
            "SELECT * FROM Things.nope",
            vec![],
            Expected::validation("The table does not have the specified index"),
        ),
        (
            "key of the wrong type",
            "SELECT * FROM Things WHERE pk = 1",
            vec![],
            Expected::validation(
                "Key attribute's data type should match its data type in table's schema: Key pk",
            ),
        ),
        (
            "the same key twice in an IN",
            "SELECT * FROM Things WHERE pk IN ['a', 'a']",
            vec![],
            Expected::validation(
                "Overlapping conditions with range keys are not supported in where clause",
            ),
        ),
        (
            "sort-key ranges OR-ed",
            "SELECT * FROM Things WHERE pk = 'a' AND (sk > '0' OR sk < '5')",
            vec![],
            Expected::validation(
                "Overlapping conditions with range keys are not supported in where clause",
            ),
        ),
        (
            "the sort key OR-ed with another attribute",
            "SELECT * FROM Things WHERE pk = 'a' AND (sk = '1' OR v = 2)",
            vec![],
            Expected::validation(
                "Overlapping conditions with range keys are not supported in where clause",
            ),
        ),
        (
            "too many decomposed reads",
            "SELECT * FROM Things WHERE pk IN ['a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p','q','r','s','t','u','v','w','x','y','z'] AND sk IN ['1', '2']",
            vec![],
            Expected::validation("Too many decomposed read operations for a given query."),
        ),
        (
            "ORDER BY without a partition-key condition",
            "SELECT * FROM Things WHERE v = 1 ORDER BY sk",
            vec![],
            Expected::validation(
                "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
            ),
        ),
        (
            "ORDER BY a non-key attribute",
            "SELECT * FROM Things WHERE pk = 'a' ORDER BY v",
            vec![],
            Expected::validation(
                "Variable reference v in ORDER BY clause must be part of the primary key",
            ),
        ),
        (
            "EXISTS outside a transaction",
            "EXISTS(SELECT * FROM Things WHERE pk = 'a' AND sk = '1')",
            vec![],
            Expected::validation("EXISTS can only be used in ExecuteTransaction write requests."),
        ),
        (
            "an invalid parameter",
            "SELECT * FROM Things WHERE pk = ?",
            vec![AttributeValue::Ss(vec![])],
            Expected::containing("ValidationException", "may not be empty"),
        ),
        (
            "an oversized insert",
            "INSERT INTO Things VALUE {'pk': 'big', 'sk': '1', 'blob': ?}",
            vec![s(&"x".repeat(400 * 1024))],
            Expected::validation("Item size has exceeded the maximum allowed size"),
        ),
    ];
    for (case, statement, params, expected) in cases {
        let answer = c
            .execute_statement()
            .statement(statement)
            .set_parameters((!params.is_empty()).then_some(params))
            .send()
            .await;
        expected.check(case, answer);
    }
    c.create_table()
        .table_name("Inc")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(ks("pk", aws_sdk_dynamodb::types::KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name("byG")
                .key_schema(ks("g", aws_sdk_dynamodb::types::KeyType::Hash))
                .projection(
                    aws_sdk_dynamodb::types::Projection::builder()
                        .projection_type(aws_sdk_dynamodb::types::ProjectionType::Include)
                        .non_key_attributes("a")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Expected::validation(
        "One or more parameter values were invalid: Secondary index byG does not project one or more filter attributes: [z, y]",
    )
    .check(
        "a GSI filter on attributes it does not project",
        c.execute_statement()
            .statement("SELECT * FROM Inc.byG WHERE g = 'x' AND a = 1 AND (z = 2 OR y = 3)")
            .send()
            .await,
    );
    assert!(c
        .execute_statement()
        .statement("SELECT * FROM Inc.byG WHERE z = 2")
        .send()
        .await
        .unwrap()
        .items()
        .is_empty());
    Expected::validation("Strongly consistent read is not supported on Global Secondary Indexes")
        .check(
            "strong read of a GSI",
            c.execute_statement()
                .statement("SELECT * FROM Gidx.byG WHERE g = 'x'")
                .consistent_read(true)
                .send()
                .await,
        );
    Expected::containing(
        "ValidationException",
        "Member must have value greater than or equal to 1",
    )
    .check(
        "Limit 0",
        c.execute_statement()
            .statement("SELECT * FROM Things")
            .limit(0)
            .send()
            .await,
    );
    // Sort-key equalities OR-ed are fine (a filter here, decomposed on the service).
    let rows = run(
        c,
        "SELECT * FROM Things WHERE pk = 'a' AND (sk = '1' OR sk = '2')",
        vec![],
    )
    .await;
    assert_eq!(rows.len(), 1);
    Expected::validation("Invalid NextToken").check(
        "a made-up NextToken",
        c.execute_statement()
            .statement("SELECT * FROM Things")
            .next_token("bm90IGEgdG9rZW4=")
            .send()
            .await,
    );
    // ReturnValuesOnConditionCheckFailure: the failed UPDATE hands back the item as it is.
    let err = c
        .execute_statement()
        .statement("UPDATE Things SET v = 2 WHERE pk = 'a' AND sk = '1' AND v > 5")
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .send()
        .await
        .unwrap_err();
    let aws_sdk_dynamodb::operation::execute_statement::ExecuteStatementError::ConditionalCheckFailedException(e) =
        err.into_service_error()
    else {
        panic!("a failed condition")
    };
    assert_eq!(e.item().map(|i| i["v"].clone()), Some(n("1")));
    // The failed requests changed nothing.
    let scan = c.scan().table_name("Things").send().await.unwrap();
    assert_eq!(scan.count(), 1);
    assert_eq!(scan.items()[0]["v"], n("1"));
}

#[tokio::test]
async fn selects_page_and_cost_as_the_query_or_scan_they_stand_for() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Log", "pk", Some(("sk", ScalarAttributeType::N))).await;
    for p in ["a", "b", "c"] {
        for i in 1..=10 {
            c.put_item()
                .table_name("Log")
                .item("pk", s(p))
                .item("sk", n(&i.to_string()))
                .item("pad", s(&"x".repeat(1000)))
                .send()
                .await
                .unwrap();
        }
    }
    // Limit counts the items read; NextToken resumes; the pages come in sort-key order.
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = c
            .execute_statement()
            .statement("SELECT sk FROM Log WHERE pk = ? AND sk > 2")
            .parameters(s("a"))
            .limit(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items().iter().map(|i| i["sk"].clone()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<AttributeValue> = (3..=10).map(|i| n(&i.to_string())).collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    Expected::validation("NextToken does not match request").check(
        "a token of another statement",
        c.execute_statement()
            .statement("SELECT * FROM Log WHERE pk = 'b'")
            .limit(3)
            .next_token(
                c.execute_statement()
                    .statement("SELECT * FROM Log WHERE pk = 'a'")
                    .limit(3)
                    .send()
                    .await
                    .unwrap()
                    .next_token()
                    .unwrap(),
            )
            .send()
            .await,
    );
    // ORDER BY the sort key, descending.
    let rows = run(
        c,
        "SELECT sk FROM Log WHERE pk = 'b' ORDER BY sk DESC",
        vec![],
    )
    .await;
    assert_eq!(rows.first().map(|r| &r["sk"]), Some(&n("10")));
    assert_eq!(rows.len(), 10);
    // IN on the partition key: one Query per value, ordered by the key when asked.
    let rows = run(
        c,
        "SELECT pk FROM Log WHERE pk IN ['c', 'a'] AND sk = 1 ORDER BY pk",
        vec![],
    )
    .await;
    assert_eq!(
        rows.iter().map(|r| r["pk"].clone()).collect::<Vec<_>>(),
        vec![s("a"), s("c")]
    );
    // A SELECT on the partition key costs the Query it is; one on a non-key attribute the
    // Scan it is (the whole table read, before the filter).
    let cost = |statement: &'static str| async move {
        let out = c
            .execute_statement()
            .statement(statement)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        units(out.consumed_capacity())
    };
    let query = units(
        c.query()
            .table_name("Log")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("a"))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap()
            .consumed_capacity(),
    );
    let scan = units(
        c.scan()
            .table_name("Log")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap()
            .consumed_capacity(),
    );
    assert_eq!(cost("SELECT * FROM Log WHERE pk = 'a'").await, query);
    assert_eq!(cost("SELECT * FROM Log WHERE sk = 3").await, scan);
    assert!(scan > query);
    // One item by its whole key costs the GetItem it is; the WHERE sees the whole item
    // even where the projection keeps less.
    let get = units(
        c.get_item()
            .table_name("Log")
            .key("pk", s("a"))
            .key("sk", n("3"))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap()
            .consumed_capacity(),
    );
    assert_eq!(
        cost("SELECT sk FROM Log WHERE pk = 'a' AND sk = 3 AND pad <> 'y'").await,
        get
    );
    let rows = run(
        c,
        "SELECT sk FROM Log WHERE pk = 'a' AND sk = 3 AND begins_with(pad, 'x')",
        vec![],
    )
    .await;
    assert_eq!(rows, vec![HashMap::from([("sk".to_string(), n("3"))])]);
}

#[tokio::test]
async fn an_eventual_select_can_be_stale_a_consistent_one_cannot() {
    let env = start_with(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::WorstCase)
            .lag(LagModel::Fixed(Duration::from_millis(500)))
            .throttling(false),
    )
    .await;
    let c = &env.client;
    create_table(c, "Docs", "id", None).await;
    run(c, "INSERT INTO Docs VALUE {'id': 'a', 'v': 'v1'}", vec![]).await;
    let select = |consistent: bool| async move {
        c.execute_statement()
            .statement("SELECT v FROM Docs WHERE id = 'a'")
            .consistent_read(consistent)
            .send()
            .await
            .unwrap()
            .items()
            .to_vec()
    };
    assert!(
        select(false).await.is_empty(),
        "the write has not replicated"
    );
    assert_eq!(select(true).await[0]["v"], s("v1"));
    env.emulator.advance(Duration::from_millis(501));
    assert_eq!(select(false).await[0]["v"], s("v1"));
}

#[tokio::test]
async fn batch_statements_answer_one_by_one() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Users", "id", None).await;
    run(c, "INSERT INTO Users VALUE {'id': 'x', 'n': 1}", vec![]).await;
    run(c, "INSERT INTO Users VALUE {'id': 'z', 'n': 1}", vec![]).await;
    let st = |text: &str| {
        BatchStatementRequest::builder()
            .statement(text)
            .build()
            .unwrap()
    };
    let out = c
        .batch_execute_statement()
        .statements(st("INSERT INTO Users VALUE {'id': 'y'}"))
        .statements(st("INSERT INTO Users VALUE {'id': 'x'}"))
        .statements(st("UPDATE Users SET n = n + 1 WHERE id = 'z'"))
        .statements(st("UPDATE Users SET n = 1 WHERE id = 'nobody'"))
        .statements(st("DELETE FROM Gone WHERE id = 'x'"))
        .statements(st("NOT PARTIQL"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let r = out.responses();
    assert_eq!(r.len(), 6);
    assert!(r[0].error().is_none());
    assert_eq!(r[0].table_name(), Some("Users"));
    let code = |i: usize| {
        r[i].error()
            .and_then(|e| e.code())
            .map(|c| c.as_str().to_string())
    };
    assert_eq!(code(1).as_deref(), Some("DuplicateItem"));
    assert!(r[2].error().is_none());
    assert_eq!(code(3).as_deref(), Some("ConditionalCheckFailed"));
    assert_eq!(code(4).as_deref(), Some("ResourceNotFound"));
    assert_eq!(r[4].table_name(), None);
    assert_eq!(code(5).as_deref(), Some("ValidationError"));
    let cc = out.consumed_capacity();
    assert_eq!(cc.len(), 1);
    assert_eq!(cc[0].table_name(), Some("Users"));
    assert!(cc[0].capacity_units().unwrap() >= 2.0);

    let out = c
        .batch_execute_statement()
        .statements(st("SELECT n FROM Users WHERE id = 'z'"))
        .statements(st("SELECT * FROM Users WHERE id = 'nobody'"))
        .statements(st("SELECT * FROM Users WHERE n = 2"))
        .send()
        .await
        .unwrap();
    let r = out.responses();
    assert_eq!(r[0].item().unwrap()["n"], n("2"));
    assert!(r[1].item().is_none() && r[1].error().is_none());
    assert_eq!(
        r[2].error().and_then(|e| e.message()),
        Some("Select statements within BatchExecuteStatement must specify the primary key in the where clause.")
    );
    Expected::validation("Read and write requests together in the same batch is not supported.")
        .check(
            "reads and writes",
            c.batch_execute_statement()
                .statements(st("SELECT * FROM Users WHERE id = 'x'"))
                .statements(st("DELETE FROM Users WHERE id = 'x'"))
                .send()
                .await,
        );
    Expected::validation("Provided list of item keys contains duplicates").check(
        "one item twice",
        c.batch_execute_statement()
            .statements(st("UPDATE Users SET n = 5 WHERE id = 'x'"))
            .statements(st("DELETE FROM Users WHERE id = 'x'"))
            .send()
            .await,
    );
    let too_many: Vec<BatchStatementRequest> = (0..26)
        .map(|i| st(&format!("SELECT * FROM Users WHERE id = '{i}'")))
        .collect();
    Expected::containing(
        "ValidationException",
        "Member must have length less than or equal to 25",
    )
    .check(
        "26 statements",
        c.batch_execute_statement()
            .set_statements(Some(too_many))
            .send()
            .await,
    );
}

#[tokio::test]
async fn transactions_are_all_or_nothing() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Acct", "id", None).await;
    run(c, "INSERT INTO Acct VALUE {'id': 'a', 'bal': 100}", vec![]).await;
    run(c, "INSERT INTO Acct VALUE {'id': 'b', 'bal': 0}", vec![]).await;
    let ps = |text: &str, params: Vec<AttributeValue>| {
        ParameterizedStatement::builder()
            .statement(text)
            .set_parameters((!params.is_empty()).then_some(params))
            .build()
            .unwrap()
    };
    let transfer = |amount: &'static str| {
        vec![
            ps(
                "UPDATE Acct SET bal = bal - ? WHERE id = 'a' AND bal >= ?",
                vec![n(amount), n(amount)],
            ),
            ps(
                "UPDATE Acct SET bal = bal + ? WHERE id = 'b'",
                vec![n(amount)],
            ),
            ps(
                "INSERT INTO Acct VALUE {'id': ?}",
                vec![s(&format!("log-{amount}"))],
            ),
        ]
    };
    c.execute_transaction()
        .set_transact_statements(Some(transfer("60")))
        .send()
        .await
        .unwrap();
    // Not enough left: the whole transaction is cancelled, the first statement saying why.
    let err = c
        .execute_transaction()
        .set_transact_statements(Some(transfer("50")))
        .send()
        .await
        .unwrap_err();
    let reasons = reasons_of(err);
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r.code().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["ConditionalCheckFailed", "None", "None"]);
    // An INSERT of an existing key is a duplicate item.
    let err = c
        .execute_transaction()
        .transact_statements(ps("INSERT INTO Acct VALUE {'id': 'log-60'}", vec![]))
        .send()
        .await
        .unwrap_err();
    let reasons = reasons_of(err);
    assert_eq!(reasons[0].code(), Some("DuplicateItem"));

    // A read transaction: one response per statement, in order, `{}` for a missing item.
    let out = c
        .execute_transaction()
        .transact_statements(ps("SELECT bal FROM Acct WHERE id = 'a'", vec![]))
        .transact_statements(ps("SELECT * FROM Acct WHERE id = 'nobody'", vec![]))
        .transact_statements(ps("SELECT bal FROM Acct WHERE id = 'b'", vec![]))
        .send()
        .await
        .unwrap();
    let r = out.responses();
    assert_eq!(r[0].item().unwrap()["bal"], n("40"));
    assert!(r[1].item().is_none());
    assert_eq!(r[2].item().unwrap()["bal"], n("60"));

    // The same token and statements: done once, answered twice.
    for _ in 0..2 {
        c.execute_transaction()
            .client_request_token("tok-1")
            .transact_statements(ps("UPDATE Acct SET bal = bal + 1 WHERE id = 'b'", vec![]))
            .send()
            .await
            .unwrap();
    }
    let rows = run(c, "SELECT bal FROM Acct WHERE id = 'b'", vec![]).await;
    assert_eq!(rows[0]["bal"], n("61"));
    Expected::containing("IdempotentParameterMismatchException", "").check(
        "the token with other statements",
        c.execute_transaction()
            .client_request_token("tok-1")
            .transact_statements(ps("UPDATE Acct SET bal = bal + 2 WHERE id = 'b'", vec![]))
            .send()
            .await,
    );
    let cases = vec![
        (
            "reads and writes",
            vec![
                ps("SELECT * FROM Acct WHERE id = 'a'", vec![]),
                ps("DELETE FROM Acct WHERE id = 'a'", vec![]),
            ],
            Expected::validation(
                "ExecuteTransaction API does not support both read and write operations in the same request.",
            ),
        ),
        (
            "RETURNING",
            vec![ps("DELETE FROM Acct WHERE id = 'a' RETURNING ALL OLD *", vec![])],
            Expected::validation(
                "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.",
            ),
        ),
        (
            "a read without the key",
            vec![ps("SELECT * FROM Acct WHERE bal = 1", vec![])],
            Expected::validation(
                "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause.",
            ),
        ),
        (
            "a missing table",
            vec![
                ps("DELETE FROM Acct WHERE id = 'a'", vec![]),
                ps("DELETE FROM Gone WHERE id = 'a'", vec![]),
            ],
            Expected::containing("TransactionCanceledException", "[None, ResourceNotFound]"),
        ),
    ];
    for (case, statements, expected) in cases {
        expected.check(
            case,
            c.execute_transaction()
                .set_transact_statements(Some(statements))
                .send()
                .await,
        );
    }
    // A key of the wrong type cancels the transaction, that statement saying why.
    let err = c
        .execute_transaction()
        .transact_statements(ps("UPDATE Acct SET bal = 1 WHERE id = 'a'", vec![]))
        .transact_statements(ps("DELETE FROM Acct WHERE id = 5", vec![]))
        .send()
        .await
        .unwrap_err();
    let reasons = reasons_of(err);
    assert_eq!(reasons[0].code(), Some("None"));
    assert_eq!(reasons[1].code(), Some("ValidationError"));
    assert_eq!(
        reasons[1].message(),
        Some("The provided key element does not match the schema")
    );
    // EXISTS is a condition check.
    let err = c
        .execute_transaction()
        .transact_statements(ps(
            "EXISTS(SELECT * FROM Acct WHERE id = 'a' AND bal > 1000)",
            vec![],
        ))
        .transact_statements(ps("DELETE FROM Acct WHERE id = 'b'", vec![]))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ExecuteTransactionError::TransactionCanceledException(_)
    ));
    assert_eq!(
        run(c, "SELECT * FROM Acct WHERE id = 'b'", vec![])
            .await
            .len(),
        1
    );
}
