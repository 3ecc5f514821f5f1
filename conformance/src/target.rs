//! Targets: something that answers DynamoDB wire requests.

use dynamodb_emulator::Consistency;
use dynamodb_emulator::Emulator;
use dynamodb_emulator::InProcess;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use crate::sigv4::Signer;

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
                let bytes = e.body();
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

/// A connection: plain TCP, or TLS over it.
trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// Any endpoint over HTTP/1.1 keep-alive, `http://` or `https://`. With AWS credentials in the
/// environment, requests are signed with SigV4 (real AWS); without, they carry a SigV4-shaped
/// header that DynamoDB Local and the emulator accept (they do not check signatures).
pub struct Http {
    url: String,
    host: String,
    conn: BufReader<Box<dyn Conn>>,
    signer: Option<Signer>,
}

impl Http {
    pub fn connect(url: &str) -> std::io::Result<Http> {
        let invalid =
            |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_string());
        let (tls, rest) = match url.split_once("://") {
            Some(("https", rest)) => (true, rest),
            Some(("http", rest)) => (false, rest),
            _ => {
                return Err(invalid(
                    "the endpoint is http://host[:port] or https://host[:port]",
                ))
            }
        };
        let host = rest.trim_end_matches('/').to_string();
        let addr = if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:{}", if tls { 443 } else { 80 })
        };
        let tcp = TcpStream::connect(&addr)?;
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
        tcp.set_nodelay(true)?;
        let conn: Box<dyn Conn> = if tls {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| invalid(&e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from(
                host.split(':').next().unwrap_or(&host).to_string(),
            )
            .map_err(|e| invalid(&e.to_string()))?;
            let client = rustls::ClientConnection::new(std::sync::Arc::new(config), name)
                .map_err(|e| invalid(&e.to_string()))?;
            Box::new(rustls::StreamOwned::new(client, tcp))
        } else {
            Box::new(tcp)
        };
        let signer = Signer::from_env(host.split(':').next().unwrap_or(&host));
        Ok(Http {
            url: url.to_string(),
            host,
            conn: BufReader::new(conn),
            signer,
        })
    }

    /// Whether requests are signed (AWS credentials were found).
    pub fn signed(&self) -> bool {
        self.signer.is_some()
    }
}

impl Target for Http {
    fn call(&mut self, operation: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let host = self.host.clone();
        let target = format!("DynamoDB_20120810.{operation}");
        let mut headers = vec![
            ("host".to_string(), host.clone()),
            (
                "content-type".to_string(),
                "application/x-amz-json-1.0".to_string(),
            ),
            ("x-amz-target".to_string(), target),
        ];
        match &self.signer {
            Some(signer) => {
                let signable: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let url = format!("{}/", self.url.trim_end_matches('/'));
                let added = signer
                    .sign("POST", &url, &signable, body.as_bytes(), std::time::SystemTime::now())
                    .expect("a signable request");
                headers.extend(added);
            }
            None => headers.push((
                "authorization".into(),
                "AWS4-HMAC-SHA256 Credential=conformance/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0".into(),
            )),
        }
        let mut req = String::from("POST / HTTP/1.1\r\n");
        for (k, v) in &headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        let conn = self.conn.get_mut();
        conn.write_all(req.as_bytes()).expect("send");
        conn.flush().expect("send");
        let mut line = String::new();
        self.conn.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0;
        loop {
            line.clear();
            self.conn.read_line(&mut line).expect("header");
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
        self.conn.read_exact(&mut buf).expect("body");
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
    fn name(&self) -> String {
        if self.signed() {
            format!("{} (signed)", self.url)
        } else {
            self.url.clone()
        }
    }
}
