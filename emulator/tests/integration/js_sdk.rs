//! The AWS SDK for JavaScript (v3) against the `dynamodb-emulator` binary: a table with a
//! stream written through `@aws-sdk/client-dynamodb` and read through
//! `@aws-sdk/client-dynamodb-streams`. The two packages are installed once (pinned) under the
//! target directory. Set JS_SKIP=1 where npm cannot reach its registry.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned SDK packages.
const PACKAGES: &[&str] = &[
    "@aws-sdk/client-dynamodb@3.1162.0",
    "@aws-sdk/client-dynamodb-streams@3.1141.0",
];

/// A directory whose `node_modules` has the SDK packages.
fn sdk_dir() -> PathBuf {
    npm_dir("js", PACKAGES)
}

/// A directory under the target directory whose `node_modules` has `packages` (pinned
/// `name@version`), installed once.
pub(crate) fn npm_dir(name: &str, packages: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let stamp = dir.join(format!(
        ".installed-{}",
        packages.join(",").replace('/', "_")
    ));
    if !stamp.exists() {
        std::fs::create_dir_all(&dir).expect("the target directory is writable");
        let ok = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .args(packages)
            .status()
            .expect("npm runs")
            .success();
        assert!(ok, "npm install of {packages:?} failed");
        std::fs::write(&stamp, "").expect("the target directory is writable");
    }
    dir
}

/// Runs a script of `tests/js` against a fresh binary (its URL the last argument) and returns
/// what it printed; the script must succeed and report no failure.
fn run_js(script: &str) -> String {
    let dir = sdk_dir();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/js")
        .join(script);
    // The script must sit beside the node_modules it imports from.
    let copy = dir.join(script);
    std::fs::copy(&source, &copy).expect("copy the script");
    let (mut emulator, url) = crate::start_binary(&[]);
    let out = Command::new("node")
        .arg("--no-warnings")
        .arg(&copy)
        .arg(&url)
        .output()
        .expect("node runs");
    let _ = emulator.kill();
    let _ = emulator.wait();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains(" 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_javascript_sdk_reads_the_binarys_stream() {
    if std::env::var("JS_SKIP").as_deref() == Ok("1") {
        println!("JS_SKIP=1: JavaScript SDK check skipped");
        return;
    }
    assert!(run_js("streams_smoke.mjs").contains("js: "));
}

#[test]
fn the_javascript_sdks_standard_retry_recovers_from_injected_faults() {
    if std::env::var("JS_SKIP").as_deref() == Ok("1") {
        println!("JS_SKIP=1: JavaScript SDK check skipped");
        return;
    }
    assert!(run_js("faults.mjs").contains("js faults: "));
}
