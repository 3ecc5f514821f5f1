//! The same scenarios, unchanged, against Amazon's DynamoDB Local (installed and started by
//! `scripts/dynamodb-local.sh`, cached under `target/`): the mapper's code does not know which
//! endpoint it talks to. `CONFORMANCE_SKIP_LOCAL=1` skips it (no Java or npm).

mod common;

use dynamodb_mapper::Mapper;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_dynamodb_local() {
    if std::env::var("CONFORMANCE_SKIP_LOCAL").as_deref() == Ok("1") {
        println!("CONFORMANCE_SKIP_LOCAL=1: DynamoDB Local run skipped");
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/dynamodb-local.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(["start", "--port", &port.to_string()])
        .output()
        .expect("run script");
    assert!(
        out.status.success(),
        "DynamoDB Local did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let m = Mapper::for_endpoint(&url);
    macro_rules! run {
        ($($name:ident),*) => {$(
            println!("scenario {}", stringify!($name));
            common::$name(m.clone()).await;
        )*};
    }
    scenarios!(run);
    let _ = Command::new("bash")
        .arg(script)
        .args(["stop", "--port", &port.to_string()])
        .output();
}
