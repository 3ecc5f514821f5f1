//! The emulator against Amazon's DynamoDB Local on generated workloads. CI runs it; set
//! CONFORMANCE_SKIP_LOCAL=1 to skip where Java or npm are not available.

use dynamodb_conformance::runner::{check, Reference};
use dynamodb_conformance::target::{Http, Local};
use std::process::Command;

#[test]
fn emulator_matches_dynamodb_local() {
    if std::env::var("CONFORMANCE_SKIP_LOCAL").as_deref() == Ok("1") {
        println!("CONFORMANCE_SKIP_LOCAL=1: skipped");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/dynamodb-local.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(["start", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut local = Http::connect(&url).unwrap();
    let mut emulator = Local::new();
    let run = check(&mut emulator, Reference::Target(&mut local), 120, 11, 25);
    let _ = Command::new("bash")
        .arg(script)
        .args(["stop", "--port", &port.to_string()])
        .output();
    println!("{:?}\n{:?}", run.coverage.operations, run.coverage.outcomes);
    assert!(run.failure.is_none(), "{}", run.failure.unwrap());
}
