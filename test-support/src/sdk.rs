//! A started emulator with a real `aws-sdk-dynamodb` client pointed at it, builders for the
//! request shapes tests repeat, and the checks of DynamoDB's errors.

use aws_credential_types::Credentials;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use dynamodb_emulator::Consistency;
use dynamodb_emulator::{Emulator, EmulatorBuilder};

/// A running emulator and a client pointed at it.
pub struct TestEnv {
    /// The emulator (it stops when dropped).
    pub emulator: Emulator,
    /// A client of its HTTP endpoint.
    pub client: Client,
}

/// A client for any DynamoDB endpoint, with dummy credentials (the emulator accepts any).
pub fn client_for(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .build();
    Client::from_conf(config)
}

/// A DynamoDB Streams client for any endpoint, with the same dummy credentials.
pub fn streams_client_for(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    aws_sdk_dynamodbstreams::Client::from_conf(
        aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .build(),
    )
}

/// Starts an emulator whose eventual reads are always current (the `strong` preset) and that
/// never throttles, for tests of item semantics; consistency and capacity tests configure their
/// own with [`start_with`].
pub async fn start() -> TestEnv {
    start_with(
        Emulator::builder()
            .consistency(Consistency::Strong)
            .throttling(false),
    )
    .await
}

/// Starts an emulator from a configured builder.
pub async fn start_with(builder: EmulatorBuilder) -> TestEnv {
    let emulator = builder.start().await.expect("emulator starts");
    let client = client_for(&emulator.endpoint_url());
    TestEnv { emulator, client }
}

/// A key schema element.
pub fn ks(name: &str, ty: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(ty)
        .build()
        .unwrap()
}

/// An attribute definition.
pub fn ad(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .unwrap()
}

/// A global secondary index on `hash` with this projection, to finish with `.build()` (after
/// adding throughput, say).
pub fn gsi(
    name: &str,
    hash: &str,
    projection: aws_sdk_dynamodb::types::ProjectionType,
) -> aws_sdk_dynamodb::types::builders::GlobalSecondaryIndexBuilder {
    aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(ks(hash, KeyType::Hash))
        .projection(
            aws_sdk_dynamodb::types::Projection::builder()
                .projection_type(projection)
                .build(),
        )
}

/// A string attribute value.
pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// A number attribute value.
pub fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Creates an on-demand table with a string partition key and an optional sort key of `range`'s type.
pub async fn create_table(
    client: &Client,
    name: &str,
    hash: &str,
    range: Option<(&str, ScalarAttributeType)>,
) {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(hash)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(hash)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        );
    if let Some((r, ty)) = range {
        req = req
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(r)
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(r)
                    .attribute_type(ty)
                    .build()
                    .unwrap(),
            );
    }
    req.send().await.expect("create table");
}

/// The error code and message of an SDK error, e.g. `("ValidationException", "...")`.
pub fn error_of<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let meta = err
        .as_service_error()
        .unwrap_or_else(|| panic!("not a service error: {err:?}"));
    (
        meta.code().unwrap_or_default().to_string(),
        meta.message().unwrap_or_default().to_string(),
    )
}
