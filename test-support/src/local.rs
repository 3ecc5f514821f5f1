//! Amazon's DynamoDB Local, for the suites that compare the emulator with it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// A running DynamoDB Local, stopped on drop.
#[derive(Debug)]
pub struct DynamoDbLocal {
    port: u16,
    url: String,
}

/// The environment variable that skips every run against DynamoDB Local (no Java or npm).
pub const SKIP_VAR: &str = "CONFORMANCE_SKIP_LOCAL";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/dynamodb-local.sh")
}

/// A port nobody is listening on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl DynamoDbLocal {
    /// Starts DynamoDB Local on a free port, or None when [`SKIP_VAR`] is `1` (the caller
    /// then skips its comparison, saying so). A port taken between choosing it and the JVM
    /// binding it (another test starting at the same moment) is retried on another port.
    ///
    /// # Panics
    /// When DynamoDB Local cannot be installed or started three times running: a suite that
    /// compares with it must not pass silently without it.
    pub fn start() -> Option<DynamoDbLocal> {
        if std::env::var(SKIP_VAR).as_deref() == Ok("1") {
            return None;
        }
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let out = Command::new("bash")
                .arg(script())
                .args(["start", "--port", &port.to_string()])
                .output()
                .expect("bash runs scripts/dynamodb-local.sh");
            if out.status.success() {
                let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
                return Some(DynamoDbLocal { port, url });
            }
            last_error = String::from_utf8_lossy(&out.stderr).into_owned();
        }
        panic!("DynamoDB Local did not start: {last_error}");
    }

    /// Its endpoint, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for DynamoDbLocal {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", "--port", &self.port.to_string()])
            .output();
    }
}
