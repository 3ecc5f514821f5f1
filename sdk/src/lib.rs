//! AWS SDK clients wired to an in-process emulator through the SDK's own HTTP-client trait:
//! no port, no TCP, no HTTP parsing. A test needs three lines:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let emulator = dynamodb_emulator::Emulator::builder().build();
//! let client = dynamodb_emulator_sdk::client(&emulator);
//! let tables = client.list_tables().send().await.unwrap();
//! assert!(tables.table_names().is_empty());
//! # }
//! ```
//!
//! Requests go straight to the emulator's dispatcher (the same commands, capacity layer and
//! replica model as over HTTP); the SDK still serialises and parses the wire JSON, signs, and
//! retries, so client code behaves as it does against an endpoint. What only the HTTP front
//! end does is not here: the Host check, body-size and timeout limits, SigV4 verification
//! (`--auth`) and the debug headers.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use dynamodb_emulator::{DynamoError, ErrorKind, InProcess};
use std::fmt;

/// The `X-Amz-Target` prefixes of DynamoDB's and DynamoDB Streams' operations.
const PREFIXES: [&str; 2] = ["DynamoDB_20120810.", "DynamoDBStreams_20120810."];

/// An SDK HTTP client whose every request is one call of the emulator.
#[derive(Clone)]
pub struct InProcessHttp {
    emulator: InProcess,
}

impl fmt::Debug for InProcessHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InProcessHttp")
    }
}

impl InProcessHttp {
    /// The HTTP client of `emulator` (it shares the emulator's state: tables, clock, replicas).
    pub fn new(emulator: &InProcess) -> InProcessHttp {
        InProcessHttp {
            emulator: emulator.clone(),
        }
    }

    /// As the SDKs' `http_client` setting takes it.
    pub fn shared(emulator: &InProcess) -> SharedHttpClient {
        SharedHttpClient::new(InProcessHttp::new(emulator))
    }

    /// The status and body, or None where an injected fault resets the connection.
    fn answer(&self, request: &HttpRequest) -> Option<(u16, Vec<u8>)> {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = PREFIXES.iter().find_map(|p| target.strip_prefix(p));
        let body = request.body().bytes().unwrap_or_default();
        let result = match operation {
            Some(op) => self.emulator.call_or_reset(op, body)?,
            None => Err(DynamoError::new(ErrorKind::UnknownOperation, "")),
        };
        Some(match result {
            Ok(out) => (200, out),
            Err(e) => (e.kind.status(), e.body()),
        })
    }
}

impl HttpConnector for InProcessHttp {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Some((status, body)) = self.answer(&request) else {
            // What a dropped connection looks like to the SDK: an I/O error, which its
            // standard retry treats as transient.
            let reset = std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by an injected fault",
            );
            return HttpConnectorFuture::ready(Err(ConnectorError::io(reset.into())));
        };
        let status = match StatusCode::try_from(status) {
            Ok(s) => s,
            Err(e) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::other(e.into(), None)))
            }
        };
        let mut response = HttpResponse::new(status, SdkBody::from(body));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for InProcessHttp {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// Something that holds an in-process emulator: an [`InProcess`] or a running
/// [`dynamodb_emulator::Emulator`] (whose HTTP server then stays unused by these clients).
pub trait HasInProcess {
    /// The in-process handle.
    fn in_process(&self) -> &InProcess;
}

impl HasInProcess for InProcess {
    fn in_process(&self) -> &InProcess {
        self
    }
}

impl HasInProcess for dynamodb_emulator::Emulator {
    fn in_process(&self) -> &InProcess {
        dynamodb_emulator::Emulator::in_process(self)
    }
}

fn credentials() -> Credentials {
    Credentials::new(
        "in-process",
        "in-process",
        None,
        None,
        "dynamodb-emulator-sdk",
    )
}

/// A DynamoDB client configuration wired to `emulator`, to adjust before building a client.
pub fn config(emulator: &impl HasInProcess) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .http_client(InProcessHttp::shared(emulator.in_process()))
}

/// A DynamoDB client wired to `emulator`.
pub fn client(emulator: &impl HasInProcess) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(config(emulator).build())
}

/// A DynamoDB Streams client wired to `emulator`.
pub fn streams_client(emulator: &impl HasInProcess) -> aws_sdk_dynamodbstreams::Client {
    aws_sdk_dynamodbstreams::Client::from_conf(
        aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .http_client(InProcessHttp::shared(emulator.in_process()))
            .build(),
    )
}
