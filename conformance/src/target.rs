//! Targets: something that answers DynamoDB wire requests.

use dynamodb_emulator::embed::InProcess;
use dynamodb_emulator::replication::Consistency;
use dynamodb_emulator::Emulator;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Answers one request: (HTTP status, JSON body).
pub trait Target: Send {
    fn call(&mut self, operation: &str, body: &Value) -> (u16, Value);
    fn name(&self) -> String;
}

/// The emulator in-process (strong preset, no throttling: item semantics only).
pub struct Local(InProcess);

impl Local {
    pub fn new() -> Local {
        Local(
            Emulator::builder()
                .consistency(Consistency::Strong)
                .throttling(false)
                .build(),
        )
    }
}

impl Default for Local {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for Local {
    fn call(&mut self, operation: &str, body: &Value) -> (u16, Value) {
        match self.0.call_json(operation, body) {
            Ok(v) => (200, v),
            Err(e) => {
                let bytes = dynamodb_emulator::server::error_body(&e);
                (
                    e.kind.status(),
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                )
            }
        }
    }
    fn name(&self) -> String {
        "emulator (in-process)".into()
    }
}

/// Any endpoint over HTTP/1.1 keep-alive. Requests carry a SigV4-shaped header that DynamoDB
/// Local and the emulator accept (they do not check signatures).
pub struct Http {
    url: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Http {
    pub fn connect(url: &str) -> std::io::Result<Http> {
        let host = url.trim_start_matches("http://").trim_end_matches('/');
        let s = TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Http {
            url: url.to_string(),
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }
}

impl Target for Http {
    fn call(&mut self, operation: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let host = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=conformance/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes()).expect("send");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).expect("body");
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
    fn name(&self) -> String {
        self.url.clone()
    }
}
