//! The crate's integration tests, in one binary (one link instead of one per file).

mod boto3_sdk;
mod console;
mod determinism;
mod js_sdk;
mod signals;
mod stream_lineage;

/// Starts the `dynamodb-emulator` binary on a free port with `args`; returns it and its URL
/// (read from the line it prints when it listens).
pub(crate) fn start_binary(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut emulator = std::process::Command::new(env!("CARGO_BIN_EXE_dynamodb-emulator"))
        .args(["--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the emulator binary");
    let mut line = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (emulator, url)
}
