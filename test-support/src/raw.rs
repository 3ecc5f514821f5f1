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
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
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
