//! Shared setup for the end-to-end tests: start an emulator on a free port and point a real
//! `aws-sdk-dynamodb` client at it.

use aws_credential_types::Credentials;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use dynamodb_emulator::Consistency;
use dynamodb_emulator::{Emulator, EmulatorBuilder};
use std::io::{Read, Write};

pub use aws_sdk_dynamodb;
pub use dynamodb_emulator;

/// A running emulator and a client pointed at it.
pub struct TestEnv {
    pub emulator: Emulator,
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

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

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

/// A raw HTTP/1.1 POST, for wire-level checks the SDK hides (headers, malformed bodies).
/// Returns (status, headers lower-cased, body).
pub fn raw_post(
    endpoint: &str,
    target: Option<&str>,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut headers = vec![("Content-Type", "application/x-amz-json-1.0")];
    if let Some(t) = target {
        headers.push(("X-Amz-Target", t));
    }
    raw_request(endpoint, "/", &headers, body)
}

/// A raw HTTP/1.1 POST of `path` (which may carry a query string) with exactly `headers`
/// besides `Content-Length`, `Connection: close` and, unless `headers` names one, a `Host` of
/// the endpoint. Returns (status, headers lower-cased, body).
pub fn raw_request(
    endpoint: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).unwrap();
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, resp[split + 4..].to_vec())
}
