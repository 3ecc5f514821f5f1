//! Requests below the SDK, for wire-level checks the SDK hides (headers, malformed bodies).

use std::io::{Read, Write};

/// An `Authorization` header with every SigV4 part present, for requests the emulator does not
/// verify (no --auth).
pub const UNVERIFIED_SIGNATURE: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0";

/// A raw HTTP/1.1 POST, for wire-level checks the SDK hides (headers, malformed bodies).
/// Returns (status, headers lower-cased, body).
pub fn raw_post(
    endpoint: &str,
    target: Option<&str>,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    // A signature with every part present, as the service requires of every request (its
    // value is checked only when the emulator runs with --auth).
    let mut headers = vec![
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Authorization", UNVERIFIED_SIGNATURE),
        ("X-Amz-Date", "20240101T000000Z"),
    ];
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
    raw_method(endpoint, "POST", path, headers, body)
}

/// [`raw_request`] with another HTTP method.
pub fn raw_method(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    try_raw_method(endpoint, method, path, headers, body).expect("an HTTP answer")
}

/// A status, lower-cased headers and a body.
pub type RawAnswer = (u16, Vec<(String, String)>, Vec<u8>);

/// [`raw_post`] that returns the I/O error of a connection the server drops (an injected
/// reset reads as `ConnectionReset`) instead of panicking.
pub fn try_raw_post(endpoint: &str, target: &str, body: &[u8]) -> std::io::Result<RawAnswer> {
    let headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Authorization", UNVERIFIED_SIGNATURE),
        ("X-Amz-Date", "20240101T000000Z"),
        ("X-Amz-Target", target),
    ];
    try_raw_method(endpoint, "POST", "/", &headers, body)
}

fn try_raw_method(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<RawAnswer> {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr)?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    stream.write_all(body)?;
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp)?;
    let Some(split) = resp.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the connection closed before a response",
        ));
    };
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, resp[split + 4..].to_vec()))
}
