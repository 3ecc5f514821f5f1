//! Targets: something that answers DynamoDB wire requests.

use dynamodb_emulator::Consistency;
use dynamodb_emulator::Emulator;
use dynamodb_emulator::InProcess;
use serde_json::Value;

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

/// Any endpoint over HTTP/1.1 keep-alive, `http://` or `https://` (ureq's agent pools the
/// connection; TLS is rustls with the platform's roots). With AWS credentials in the
/// environment, requests are signed with SigV4 (real AWS); without, they carry a SigV4-shaped
/// header that DynamoDB Local and the emulator accept (they do not check signatures).
pub struct Http {
    url: String,
    host: String,
    agent: ureq::Agent,
    signer: Option<Signer>,
}

impl Http {
    /// A client of `url` (`http://host[:port]` or `https://host[:port]`); nothing is sent yet.
    pub fn connect(url: &str) -> std::io::Result<Http> {
        let invalid =
            |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_string());
        let rest = match url.split_once("://") {
            Some(("https" | "http", rest)) => rest,
            _ => {
                return Err(invalid(
                    "the endpoint is http://host[:port] or https://host[:port]",
                ))
            }
        };
        let host = rest.trim_end_matches('/').to_string();
        let roots: Vec<ureq::tls::Certificate<'static>> = rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(std::sync::Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            // DynamoDB's errors are answers to compare, not failures.
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .new_agent();
        let signer = Signer::from_env(host.split(':').next().unwrap_or(&host));
        Ok(Http {
            url: format!("{}/", url.trim_end_matches('/')),
            host,
            agent,
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
        let target = format!("DynamoDB_20120810.{operation}");
        let mut headers = vec![
            ("host".to_string(), self.host.clone()),
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
                let added = signer
                    .sign("POST", &self.url, &signable, body.as_bytes(), std::time::SystemTime::now())
                    .expect("a signable request");
                headers.extend(added);
            }
            None => headers.push((
                "authorization".into(),
                "AWS4-HMAC-SHA256 Credential=conformance/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0".into(),
            )),
        }
        let mut req = self.agent.post(&self.url);
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        let mut resp = req
            .send(body.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", self.url));
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{}: {e}", self.url));
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
    fn name(&self) -> String {
        if self.signed() {
            format!("{} (signed)", self.url)
        } else {
            self.url.clone()
        }
    }
}
