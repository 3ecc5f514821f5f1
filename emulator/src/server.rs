//! DynamoDB's JSON wire protocol over HTTP/1.1.
//!
//! A request is `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body
//! (`Content-Type: application/x-amz-json-1.0`). A response carries `x-amzn-RequestId` and
//! `x-amz-crc32` (the CRC32 of the body, which the AWS SDKs verify). Errors are JSON bodies with
//! `__type` and `message`. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html>.

use crate::error::{DynamoError, ErrorKind};
use crate::operations::{self, emulator_control, RequestContext};
use crate::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Largest request body accepted (DynamoDB's largest requests, BatchWriteItem, are 16 MB).
const MAX_BODY: usize = 16 * 1024 * 1024 + 64 * 1024;
const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The emulator's own control namespace (see [`emulator_control`]).
const CONTROL_PREFIX: &str = "Emulator.";

/// Serves `engine` on `listener` until `shutdown` turns true.
pub async fn serve(
    engine: Arc<Engine>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let engine = engine.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(engine.clone(), req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    connections.shutdown().await;
}

async fn handle(
    engine: Arc<Engine>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = engine.request_id();
    if req.method() == Method::GET {
        // DynamoDB answers health checks on GET /.
        let body = Bytes::from(format!(
            "healthy: dynamodb.{}.amazonaws.com ",
            region_of(&req)
        ));
        return Ok(respond(StatusCode::OK, body, &request_id, "text/plain"));
    }
    let ctx = RequestContext {
        region: region_of(&req),
    };
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-amz-json-1.0")
        .to_string();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let e = DynamoError::serialization("Request body is too large");
            return Ok(error_response(&e, &request_id));
        }
    };
    let operation = target
        .as_deref()
        .and_then(|t| t.strip_prefix(TARGET_PREFIX));
    let control = target
        .as_deref()
        .and_then(|t| t.strip_prefix(CONTROL_PREFIX));
    // Operations are CPU-bound and short; they run inline on the connection's task.
    let result = match (operation, control) {
        (Some(op), _) if operations::OPERATIONS.contains(&op) => {
            operations::dispatch(&engine, &ctx, op, &body)
        }
        (_, Some(action)) if emulator_control::ACTIONS.contains(&action) => {
            emulator_control::control(&engine, action, &body)
                .map(|v| serde_json::to_vec(&v).unwrap_or_default())
        }
        _ => Err(DynamoError::new(ErrorKind::UnknownOperation, "")),
    };
    let read = crate::replication::take_read();
    let ct = if content_type.contains("1.1") {
        "application/x-amz-json-1.1"
    } else {
        "application/x-amz-json-1.0"
    };
    let mut resp = match result {
        Ok(json) => respond(StatusCode::OK, Bytes::from(json), &request_id, ct),
        Err(e) => error_response(&e, &request_id),
    };
    // The Date header comes from the emulator's clock, so responses are reproducible.
    if let Ok(v) = HeaderValue::from_str(&http_date(engine.clock.now())) {
        resp.headers_mut().insert(hyper::header::DATE, v);
    }
    if engine.options.debug_headers {
        if let Some(info) = read {
            let h = resp.headers_mut();
            h.insert("x-emulator-replica", HeaderValue::from_static(info.replica));
            h.insert(
                "x-emulator-stale",
                HeaderValue::from_static(if info.stale { "true" } else { "false" }),
            );
            h.insert(
                "x-emulator-behind-ms",
                HeaderValue::from(info.behind.as_millis() as u64),
            );
        }
    }
    Ok(resp)
}

/// The region named in a SigV4 `Authorization` header's credential scope
/// (`Credential=AKID/20240101/<region>/dynamodb/aws4_request`), else us-east-1.
fn region_of<B>(req: &Request<B>) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|cred| cred.split('/').nth(2))
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or("us-east-1")
        .to_string()
}

/// The JSON body DynamoDB sends for an error.
pub fn error_body(e: &DynamoError) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), e.kind.type_name().into());
    if !e.message.is_empty() || e.kind != ErrorKind::UnknownOperation {
        let key = match e.kind {
            ErrorKind::Validation
            | ErrorKind::Serialization
            | ErrorKind::MissingAuthenticationToken => "Message",
            _ => "message",
        };
        body.insert(key.into(), e.message.clone().into());
    }
    if let Some(reasons) = &e.cancellation_reasons {
        body.insert("CancellationReasons".into(), reasons.clone().into());
    }
    if let Some(item) = &e.item {
        body.insert(
            "Item".into(),
            serde_json::to_value(item).unwrap_or_default(),
        );
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

fn error_response(e: &DynamoError, request_id: &str) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = respond(
        status,
        Bytes::from(error_body(e)),
        request_id,
        "application/x-amz-json-1.0",
    );
    if let Ok(v) = HeaderValue::from_str(e.kind.short_name()) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

fn respond(
    status: StatusCode,
    body: Bytes,
    request_id: &str,
    content_type: &'static str,
) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let len = body.len();
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    h.insert("x-amz-crc32", HeaderValue::from(crc));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// An IMF-fixdate (`Tue, 24 Nov 2026 22:08:53 GMT`) for a time since the epoch.
fn http_date(t: std::time::Duration) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = crate::operations::iso8601(t); // YYYY-MM-DDTHH:MM:SS.mmm
    let days = t.as_secs() / 86_400;
    let month: usize = iso[5..7].parse().unwrap_or(1);
    format!(
        "{}, {} {} {} {} GMT",
        DAYS[(days % 7) as usize],
        &iso[8..10],
        MONTHS[month - 1],
        &iso[0..4],
        &iso[11..19]
    )
}
