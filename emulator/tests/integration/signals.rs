//! The binary stops cleanly on SIGTERM and SIGINT: it stops accepting, lets the request in
//! flight finish, prints the usage summary and exits 0.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn post(addr: &str, target: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn stops_on(signal: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynamodb-emulator"))
        .args(["--port", "0", "--shutdown-grace", "5s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let created = post(
        &addr,
        "DynamoDB_20120810.CreateTable",
        r#"{"TableName":"orders","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    );
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    // A request in flight when the signal arrives: headers and half a body, the rest after.
    let body = r#"{"TableName":"orders","Item":{"pk":{"S":"a"}}}"#;
    let mut in_flight = TcpStream::connect(&addr).unwrap();
    write!(
        in_flight,
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(200));
    // No new connections once stopping...
    assert!(
        TcpStream::connect(&addr).is_err() || post_fails(&addr),
        "a new client was served after {signal}"
    );
    // ...but the one in flight completes.
    in_flight.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "exit status after {signal}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("capacity used"), "{rest}");
    assert!(
        rest.contains("PutItem: 1 requests"),
        "the request in flight is counted: {rest}"
    );
}

/// A connection may still be accepted by the kernel's backlog after the listener closes on
/// some systems; then it must not be answered.
fn post_fails(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return true;
    };
    let _ = s.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut out = String::new();
    !(s.read_to_string(&mut out).is_ok() && out.starts_with("HTTP/1.1 200"))
}

#[test]
fn sigterm_finishes_requests_in_flight_prints_the_summary_and_exits_0() {
    stops_on("-TERM");
}

#[test]
fn sigint_does_the_same() {
    stops_on("-INT");
}
