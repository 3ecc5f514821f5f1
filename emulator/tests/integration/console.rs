//! The web console in a real browser: headless Chromium (Debian's, installed by
//! `scripts/install-chromium.sh`) driven by playwright-core against the binary, after traffic
//! from the AWS SDK for JavaScript (`tests/js/console.mjs` says what it checks). Skipped, with
//! a message, with CONSOLE_SKIP=1 or where Chromium cannot be installed; JS_SKIP=1 skips it
//! too, as npm is needed. `CONSOLE_SCREENSHOTS=DIR` keeps the screenshots the README shows.

use std::path::Path;
use std::process::Command;

/// Pinned: the SDK the other JavaScript checks use, and the Playwright the machine's
/// Chromium was checked with.
const PACKAGES: &[&str] = &[
    "@aws-sdk/client-dynamodb@3.1162.0",
    "playwright-core@1.64.1",
];

fn skipped() -> Option<String> {
    for var in ["CONSOLE_SKIP", "JS_SKIP"] {
        if std::env::var(var).as_deref() == Ok("1") {
            return Some(format!("{var}=1"));
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-chromium.sh");
    let installed = Command::new("bash").arg(script).status();
    match installed {
        Ok(s) if s.success() => None,
        _ => Some("Chromium could not be installed (apt-get install chromium failed)".into()),
    }
}

#[test]
fn headless_chromium_renders_the_console_after_traffic() {
    if let Some(why) = skipped() {
        println!("{why}: the console's browser test is skipped");
        return;
    }
    let dir = crate::js_sdk::npm_dir("console", PACKAGES);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js/console.mjs");
    let copy = dir.join("console.mjs");
    std::fs::copy(&source, &copy).expect("copy the script");
    let shots = std::env::var("CONSOLE_SCREENSHOTS")
        .unwrap_or_else(|_| dir.join("screenshots").to_string_lossy().into_owned());
    std::fs::create_dir_all(&shots).expect("a screenshot directory");
    let (mut emulator, url) = crate::start_binary(&[
        "--clock",
        "virtual:10ms",
        "--consistency",
        "worst-case",
        "--lag",
        "fixed:500ms",
        "--seed",
        "7",
        "--partition-size",
        "40000",
    ]);
    let out = Command::new("node")
        .arg("--no-warnings")
        .arg(&copy)
        .arg(&url)
        .arg(&shots)
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
}
