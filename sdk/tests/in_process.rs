//! The SDK clients without a socket: every kind of answer the SDK must parse (items, typed
//! errors, cancellation reasons, PartiQL, streams) arrives as over HTTP.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, StreamSpecification, StreamViewType};
use dynamodb_emulator::{Consistency, Emulator, LagModel};
use std::time::Duration;

/// Table `name` keyed on `id` (test-support's), with a stream when asked.
async fn table(client: &aws_sdk_dynamodb::Client, name: &str, stream: bool) {
    dynamodb_test_support::create_table(client, name, "id", None).await;
    if stream {
        client
            .update_table()
            .table_name(name)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn items_errors_statements_and_streams_without_a_socket() {
    let emulator = Emulator::builder()
        .consistency(Consistency::Strong)
        .throttling(false)
        .virtual_clock()
        .build();
    let client = dynamodb_emulator_sdk::client(&emulator);
    table(&client, "things", true).await;
    client
        .put_item()
        .table_name("things")
        .item("id", AttributeValue::S("a".into()))
        .item("n", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name("things")
        .key("id", AttributeValue::S("a".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["n"], AttributeValue::N("1".into()));

    // A typed error, with the item ReturnValuesOnConditionCheckFailure asks for.
    let err = client
        .put_item()
        .table_name("things")
        .item("id", AttributeValue::S("a".into()))
        .condition_expression("attribute_not_exists(id)")
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .send()
        .await
        .unwrap_err();
    let PutItemError::ConditionalCheckFailedException(e) = err.into_service_error() else {
        panic!("a conditional check failure")
    };
    assert_eq!(e.item().unwrap()["n"], AttributeValue::N("1".into()));

    // A missing table, a validation error.
    let err = client
        .get_item()
        .table_name("nope")
        .key("id", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());

    // PartiQL.
    let rows = client
        .execute_statement()
        .statement("SELECT n FROM things WHERE id = ?")
        .parameters(AttributeValue::S("a".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(rows.items().len(), 1);

    // The stream, through the Streams client on the same emulator.
    let streams = dynamodb_emulator_sdk::streams_client(&emulator);
    let arn = streams.list_streams().send().await.unwrap().streams()[0]
        .stream_arn()
        .unwrap()
        .to_string();
    let shards = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap()
        .stream_description()
        .unwrap()
        .shards()
        .to_vec();
    // One shard per partition: the record is on one of them.
    let mut records = Vec::new();
    for shard in shards {
        let it = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().unwrap())
            .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .unwrap()
            .to_string();
        let page = streams
            .get_records()
            .shard_iterator(it)
            .send()
            .await
            .unwrap();
        records.extend(page.records().iter().cloned());
    }
    assert_eq!(records.len(), 1);
}

#[tokio::test]
async fn the_virtual_clock_and_consistency_model_apply_in_process() {
    let emulator = Emulator::builder()
        .virtual_clock()
        .consistency(Consistency::WorstCase)
        .lag(LagModel::Fixed(Duration::from_millis(500)))
        .build();
    let client = dynamodb_emulator_sdk::client(&emulator);
    table(&client, "docs", false).await;
    client
        .put_item()
        .table_name("docs")
        .item("id", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap();
    let read = |consistent: bool| {
        client
            .get_item()
            .table_name("docs")
            .key("id", AttributeValue::S("a".into()))
            .consistent_read(consistent)
            .send()
    };
    assert!(read(false).await.unwrap().item().is_none(), "stale");
    assert!(read(true).await.unwrap().item().is_some());
    emulator.advance(Duration::from_millis(501));
    assert!(read(false).await.unwrap().item().is_some());
}
