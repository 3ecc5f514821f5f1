//! DynamoDB's JSON wire protocol over HTTP/1.1.
//!
//! A request is `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body
//! (`Content-Type: application/x-amz-json-1.0`). A response carries `x-amzn-RequestId` and
//! `x-amz-crc32` (the CRC32 of the body, which the AWS SDKs verify). Errors are JSON bodies with
//! `__type` and `message`. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html>.
//!
//! The server protects itself the way a public endpoint must: per-connection header, body and
//! idle timeouts ([`connection`]), a cap on open connections, back-off when `accept` fails (out of
//! file descriptors), a panic anywhere in a request answered as a 500 instead of a lost
//! connection, a `Host` check against DNS rebinding while bound to loopback ([`host`]), optional
//! SigV4 verification ([`auth`]), and a graceful shutdown that lets requests in flight finish.

use crate::engine::Engine;
use crate::error::{DynamoError, ErrorKind};
use crate::operations::{self, emulator_control, RequestContext};
use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

pub mod auth;
pub mod connection;
pub mod console;
pub mod host;

pub use auth::Credentials;
pub use connection::Timeouts;

/// Largest request body accepted: DynamoDB answers 413 above 16 MiB (dynalite's suite, recorded
/// against the service).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Request bodies are held in units of this many bytes against [`ServerOptions::body_memory`].
const BODY_UNIT: usize = 1024;
const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The emulator's own control namespace (see [`emulator_control`]).
const CONTROL_PREFIX: &str = "Emulator.";

/// DynamoDB Streams' target prefix (the same endpoint serves both services).
const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810.";
/// The longest pause between `accept` attempts after failures (e.g. out of file descriptors).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// How the HTTP server guards itself, and who may call it.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Header, body and idle timeouts of every connection.
    pub timeouts: Timeouts,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight before closing their connections.
    pub shutdown_grace: Duration,
    /// Whether `X-Amz-Target: Emulator.*` (clock, reset, inspection) is served.
    pub control_api: bool,
    /// Whether the web console is served at `GET /console` (with the control API, without
    /// credentials).
    pub console: bool,
    /// When set, every request must carry a valid SigV4 signature by one of these keys.
    pub credentials: Option<Arc<Credentials>>,
    /// Host names accepted (besides `localhost` and IP literals) while bound to loopback.
    pub allowed_hosts: Vec<String>,
    /// Bytes of request bodies all connections may hold at once while they arrive; a request
    /// waits (within its body timeout) for room. Bounds what many stalled uploads can pin.
    pub body_memory: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            timeouts: Timeouts::default(),
            max_connections: 8192,
            shutdown_grace: Duration::from_secs(10),
            control_api: true,
            console: true,
            credentials: None,
            allowed_hosts: Vec::new(),
            body_memory: 1024 * 1024 * 1024,
        }
    }
}

/// What every request handler of one server shares.
struct Shared {
    engine: Arc<Engine>,
    options: ServerOptions,
    bound: SocketAddr,
    /// Room for request bodies, in [`BODY_UNIT`]s.
    body_room: Semaphore,
}

/// Serves `engine` on `listener` until `shutdown` turns true, then stops accepting, lets the
/// requests in flight finish (at most [`ServerOptions::shutdown_grace`]) and returns.
pub async fn serve(
    engine: Arc<Engine>,
    listener: TcpListener,
    options: ServerOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let bound = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let grace = options.shutdown_grace;
    let body_units =
        (options.body_memory / BODY_UNIT).clamp(MAX_BODY / BODY_UNIT + 1, u32::MAX as usize);
    let shared = Arc::new(Shared {
        engine,
        options,
        bound,
        body_room: Semaphore::new(body_units),
    });
    let mut connections = JoinSet::new();
    let mut backoff = Duration::ZERO;
    loop {
        // A free slot first: past the cap, new clients wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = shutdown.changed() => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = Duration::ZERO;
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(shared.clone(), stream, shutdown.clone(), slot));
                }
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS: retrying at once would spin on the CPU.
                    backoff = (backoff * 2).clamp(Duration::from_millis(5), MAX_ACCEPT_BACKOFF);
                    if backoff == MAX_ACCEPT_BACKOFF {
                        eprintln!("dynamodb-emulator: accept failed ({e}); retrying in {backoff:?}");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => break,
                    }
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

/// Serves one connection until the client closes it, a timeout expires, or the server stops
/// (then the request in flight finishes and the connection closes).
async fn connection(
    shared: Arc<Shared>,
    stream: tokio::net::TcpStream,
    mut shutdown: watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let activity = Arc::new(connection::Activity::new(shared.options.timeouts));
    let io = TokioIo::new(connection::TrackedIo::new(stream, activity.clone()));
    let service = {
        let activity = activity.clone();
        service_fn(move |req| handle(shared.clone(), activity.clone(), req))
    };
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // A stalled or idle client: drop the connection (and any request it was sending).
        _ = activity.expired() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// The service's way of dropping a connection without an answer (an injected reset): hyper
/// closes a connection whose service fails, and the socket's drop makes it a reset.
#[derive(Debug)]
struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by an injected fault")
    }
}

impl std::error::Error for Reset {}

/// Answers one request. Whatever happens inside, including a panic, the client gets an answer,
/// unless an injected fault resets the connection instead.
async fn handle(
    shared: Arc<Shared>,
    activity: Arc<connection::Activity>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Reset> {
    activity.reading_body();
    let request_id = shared.engine.request_id();
    let target = header(&req, "x-amz-target").map(str::to_string);
    let content_type = response_type(header(&req, CONTENT_TYPE.as_str()));
    // A browser's request (it names its Origin) is answered with CORS allowed from anywhere,
    // as the service does (dynalite's suite, recorded against it).
    let cors = req.headers().contains_key("origin");
    let answer =
        std::panic::AssertUnwindSafe(answer(&shared, &activity, req, &request_id, content_type))
            .catch_unwind()
            .await;
    activity.idle();
    if activity.is_resetting() {
        return Err(Reset);
    }
    let mut resp = answer.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!(
            "dynamodb-emulator: internal error (an emulator bug) answering request {request_id} \
             with X-Amz-Target {}: {what}",
            target.as_deref().unwrap_or("(none)")
        );
        error_response(&DynamoError::internal_bug(), &request_id, content_type)
    });
    if cors {
        resp.headers_mut()
            .insert("access-control-allow-origin", HeaderValue::from_static("*"));
    }
    Ok(resp)
}

/// The answer to a CORS preflight (`OPTIONS` with an `Origin`): 200, no body, the requested
/// headers and method allowed, for two days.
fn cors_preflight<B>(req: &Request<B>, request_id: &str) -> Response<Full<Bytes>> {
    let mut resp = respond(StatusCode::OK, Bytes::new(), request_id, "application/json");
    let h = resp.headers_mut();
    h.remove(CONTENT_TYPE);
    h.remove("x-amz-crc32");
    for (asked, allowed) in [
        (
            "access-control-request-headers",
            "access-control-allow-headers",
        ),
        (
            "access-control-request-method",
            "access-control-allow-methods",
        ),
    ] {
        if let Some(v) = req.headers().get(asked) {
            h.insert(allowed, v.clone());
        }
    }
    h.insert("access-control-max-age", HeaderValue::from_static("172800"));
    resp
}

/// What the service answers a request it has no operation for at the HTTP level (a method
/// other than POST, or a body that is not JSON by its Content-Type): 404 with a one-line XML
/// body (dynalite's suite, recorded against the service).
fn not_found(request_id: &str) -> Response<Full<Bytes>> {
    respond(
        StatusCode::NOT_FOUND,
        Bytes::from_static(b"<UnknownOperationException/>\n"),
        request_id,
        "text/xml",
    )
}

/// Whether a request's Content-Type names one of the JSON flavours the service reads
/// (`application/json` or `application/x-amz-json-1.0`, parameters ignored).
fn json_content_type(value: Option<&str>) -> bool {
    let media = value.unwrap_or("").split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
        || media.eq_ignore_ascii_case("application/x-amz-json-1.0")
}

/// A body that is not JSON at all: the service's SerializationException names no message.
fn not_json(body: &[u8]) -> bool {
    !body.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err()
}

fn header<'r, B>(req: &'r Request<B>, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Room taken from the body budget, given back when the request is done.
struct Room<'s> {
    budget: &'s Semaphore,
    units: u32,
}

impl Drop for Room<'_> {
    fn drop(&mut self) {
        self.budget.add_permits(self.units as usize);
    }
}

/// Reads a body of at most [`MAX_BODY`] bytes, taking room from `budget` for each chunk as it
/// arrives (waiting while the budget is spent). Err: too large, or the client went away.
async fn read_body(budget: &Semaphore, mut body: Incoming) -> Result<(Bytes, Room<'_>), ()> {
    let mut room = Room { budget, units: 0 };
    // Most bodies arrive in one frame: kept as is; later frames are appended to a copy.
    let mut first: Option<Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| ())?.into_data() else {
            continue; // trailers
        };
        len += data.len();
        if len > MAX_BODY {
            return Err(());
        }
        let needed = (len.div_ceil(BODY_UNIT) as u32).saturating_sub(room.units);
        if needed > 0 {
            budget.acquire_many(needed).await.map_err(|_| ())?.forget();
            room.units += needed;
        }
        match &first {
            None if rest.is_empty() => first = Some(data),
            _ => {
                if let Some(f) = first.take() {
                    rest.extend_from_slice(&f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    Ok((first.unwrap_or_else(|| rest.freeze()), room))
}

/// DynamoDB's answer to a body over 16 MiB: 413 with no JSON body.
fn too_large(request_id: &str) -> Response<Full<Bytes>> {
    respond(
        StatusCode::PAYLOAD_TOO_LARGE,
        Bytes::new(),
        request_id,
        "application/x-amz-json-1.0",
    )
}

/// `GET /emulator/export/<table>`: the table's items as DynamoDB JSON lines (the control API's
/// export; see `persistence::fixtures`). Off with the control API, and with `--auth` (a GET
/// carries no signature).
const EXPORT_PATH: &str = "/emulator/export/";

fn export(
    shared: &Shared,
    table: &str,
    request_id: &str,
    ct: &'static str,
) -> Response<Full<Bytes>> {
    if !shared.options.control_api || shared.options.credentials.is_some() {
        return not_found(request_id);
    }
    let mut out = Vec::new();
    match crate::persistence::fixtures::export(&shared.engine, table, &mut out) {
        Ok(_) => respond(
            StatusCode::OK,
            Bytes::from(out),
            request_id,
            "application/x-ndjson",
        ),
        Err(_) => error_response(&DynamoError::table_not_found(), request_id, ct),
    }
}

/// Makes the request's journal records durable before its response is sent.
async fn durable(engine: &Arc<Engine>) -> crate::error::Result<()> {
    match &engine.journal {
        Some(j) if j.has_pending() => {
            let engine = engine.clone();
            tokio::task::spawn_blocking(move || engine.make_durable())
                .await
                .unwrap_or_else(|_| Err(DynamoError::internal_bug()))
        }
        _ => Ok(()),
    }
}

async fn answer(
    shared: &Shared,
    activity: &connection::Activity,
    req: Request<Incoming>,
    request_id: &str,
    ct: &'static str,
) -> Response<Full<Bytes>> {
    let engine = &shared.engine;
    if !host::allowed(
        header(&req, "host"),
        shared.bound,
        &shared.options.allowed_hosts,
    ) {
        let e = DynamoError::new(
            ErrorKind::AccessDenied,
            "The Host header names a host this emulator does not serve: it is bound to a \
             loopback address, so only localhost, IP literals and --allow-host names are \
             accepted (a guard against DNS rebinding)",
        );
        return error_response(&e, request_id, ct);
    }
    if req.method() == Method::OPTIONS && req.headers().contains_key("origin") {
        return cors_preflight(&req, request_id);
    }
    if req.method() == Method::GET {
        if let Some(table) = req.uri().path().strip_prefix(EXPORT_PATH) {
            return export(shared, table, request_id, ct);
        }
        if console::serves(req.uri().path()) {
            let on = shared.options.console
                && shared.options.control_api
                && shared.options.credentials.is_none();
            return match on {
                true => console::page(request_id),
                false => not_found(request_id),
            };
        }
        // DynamoDB answers health checks on GET /.
        let body = Bytes::from(format!(
            "healthy: dynamodb.{}.amazonaws.com ",
            region_of(&req)
        ));
        return respond(StatusCode::OK, body, request_id, "text/plain");
    }
    let ctx = RequestContext {
        region: region_of(&req),
    };
    let target = header(&req, "x-amz-target").map(str::to_string);
    let (parts, body) = req.into_parts();
    // The body, holding room for the bytes as they arrive: a stalled upload holds only what
    // it sent, so it cannot keep memory (or others) waiting for what it announced.
    let Ok((body, _room)) = read_body(&shared.body_room, body).await else {
        return too_large(request_id);
    };
    activity.handling();
    if parts.method != Method::POST
        || !body.is_empty()
            && !json_content_type(
                parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
            )
    {
        return not_found(request_id);
    }
    let operation = target.as_deref().and_then(|t| {
        t.strip_prefix(TARGET_PREFIX)
            .and_then(operations::operation)
            .or_else(|| {
                t.strip_prefix(STREAMS_PREFIX)
                    .and_then(operations::stream_operation)
            })
    });
    let control = target
        .as_deref()
        .and_then(|t| t.strip_prefix(CONTROL_PREFIX))
        .filter(|action| shared.options.control_api && emulator_control::ACTIONS.contains(action));
    // The service's order (dynalite's suite, recorded against it): the body must be JSON,
    // then the target must name an operation, then the request must carry a signature (its
    // parts present), and only then is the signature itself checked (with --auth).
    if operation.is_none() && control.is_none() && not_json(&body) {
        return error_response(&DynamoError::serialization(""), request_id, ct);
    }
    if operation.is_some() {
        if let Err(e) = auth::check_present(&parts) {
            let e = if not_json(&body) {
                DynamoError::serialization("")
            } else {
                e
            };
            return error_response(&e, request_id, ct);
        }
    }
    if let (Some(credentials), true) = (
        &shared.options.credentials,
        operation.is_some() || control.is_some(),
    ) {
        if let Err(e) = auth::verify(credentials, &parts, &body, &engine.clock) {
            return error_response(&e, request_id, ct);
        }
    }
    // Operations are CPU-bound and short; they run inline on the connection's task.
    let (result, read) = match (operation, control) {
        (Some(op), _) => {
            let reply = operations::dispatch(engine, &ctx, op, &body);
            if reply.reset {
                // Made durable first: a reset after the write was applied must not lose it.
                let _ = durable(engine).await;
                activity.reset();
                return respond(StatusCode::OK, Bytes::new(), request_id, ct);
            }
            (reply.result, reply.read)
        }
        (_, Some(action)) => (
            emulator_control::control(engine, action, &body)
                .map(|v| serde_json::to_vec(&v).unwrap_or_default()),
            None,
        ),
        _ => (Err(DynamoError::new(ErrorKind::UnknownOperation, "")), None),
    };
    // Nothing is acknowledged before it is durable (with --data-dir): the journal's records
    // are written (and synced, under fsync always) off the connection's task, so a sync does
    // not hold up other connections' requests.
    let result = match durable(engine).await {
        Ok(()) => result,
        Err(e) => Err(e),
    };
    let throttle = result.as_ref().err().and_then(|e| e.throttle);
    let mut resp = match result {
        Ok(json) => respond(StatusCode::OK, Bytes::from(json), request_id, ct),
        Err(e) => error_response(&e, request_id, ct),
    };
    // The Date header comes from the emulator's clock, so responses are reproducible.
    if let Ok(v) = HeaderValue::from_str(&http_date(engine.clock.now())) {
        resp.headers_mut().insert(hyper::header::DATE, v);
    }
    if engine.options.debug_headers {
        if let Some(limit) = throttle {
            resp.headers_mut()
                .insert("x-emulator-throttled", HeaderValue::from_static(limit));
        }
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
    resp
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

/// The `Content-Type` of a response: DynamoDB answers in the JSON flavour it was asked in,
/// and `application/json` when the request named none (dynalite's suite, recorded against
/// the service).
fn response_type(request: Option<&str>) -> &'static str {
    match request {
        Some(t) if t.contains("application/x-amz-json-1.1") => "application/x-amz-json-1.1",
        Some(t) if t.contains("application/x-amz-json-1.0") => "application/x-amz-json-1.0",
        _ => "application/json",
    }
}

fn error_response(e: &DynamoError, request_id: &str, ct: &'static str) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = respond(status, Bytes::from(e.body()), request_id, ct);
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

/// The HTTP `Date` (an IMF-fixdate, `Tue, 24 Nov 2026 22:08:53 GMT`) of a time since the epoch;
/// the clock never passes the year 9999, the last year the format can name.
fn http_date(t: Duration) -> String {
    let t = t.min(crate::clock::MAX_TIME);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_up_to_the_clock_limit() {
        assert_eq!(
            http_date(Duration::from_secs(1_704_067_200)),
            "Mon, 01 Jan 2024 00:00:00 GMT"
        );
        assert_eq!(http_date(Duration::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
}
