//! Other clients than Rust's SDK against the `dynamodb-emulator` binary, through the wire
//! protocol only: boto3 (Python) and the AWS CLI. Both are installed once into a venv under the
//! target directory. Set BOTO3_SKIP=1 where Python cannot reach PyPI.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// The venv's python, with boto3, the AWS CLI (v1) and moto's server installed.
fn python_with_boto3() -> String {
    // Both tests of this file may install at once: one at a time.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py");
    let python = venv.join("bin/python");
    let has_boto3 = python.exists()
        && Command::new(&python)
            .args(["-c", "import boto3, awscli, moto"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !has_boto3 {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3")
            .success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(venv.join("bin/pip"))
            // moto's server is the S3-compatible endpoint of the export/import test.
            .args([
                "install",
                "-q",
                "boto3==1.44.8",
                "awscli==1.46.3",
                "moto[s3,server]==5.2.4",
            ])
            .status()
            .expect("pip")
            .success();
        assert!(ok, "pip install boto3 failed");
    }
    python.to_string_lossy().into_owned()
}

/// Runs a script of `tests/python` with the venv's python against a fresh binary (the binary's
/// URL is the last argument) and returns what it printed; the script must succeed.
fn run_script(script: &str, args: &[&str]) -> String {
    run_script_on(&["--consistency", "realistic"], script, args)
}

/// [`run_script`] against a binary started with `binary_args`.
fn run_script_on(binary_args: &[&str], script: &str, args: &[&str]) -> String {
    let python = python_with_boto3();
    let (mut emulator, url) = crate::start_binary(binary_args);
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/python")
        .join(script);
    let out = Command::new(&python)
        .arg(&script)
        .args(args)
        .arg(&url)
        .output()
        .expect("run the script");
    let _ = emulator.kill();
    let _ = emulator.wait();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_aws_cli_works_against_the_binary() {
    if std::env::var("BOTO3_SKIP").as_deref() == Ok("1") {
        println!("BOTO3_SKIP=1: AWS CLI check skipped");
        return;
    }
    let aws = Path::new(&python_with_boto3()).with_file_name("aws");
    let stdout = run_script("aws_cli_smoke.py", &[&aws.to_string_lossy()]);
    assert!(stdout.contains("aws cli: 0 failed"));
}

#[test]
fn boto3_works_against_the_binary() {
    if std::env::var("BOTO3_SKIP").as_deref() == Ok("1") {
        println!("BOTO3_SKIP=1: boto3 check skipped");
        return;
    }
    let stdout = run_script("boto3_smoke.py", &[]);
    assert!(stdout.contains(" 0 failed"));
}

#[test]
fn boto3_meets_each_injected_fault_and_its_retries_recover() {
    if std::env::var("BOTO3_SKIP").as_deref() == Ok("1") {
        println!("BOTO3_SKIP=1: boto3 check skipped");
        return;
    }
    let stdout = run_script_on(
        &[
            "--fault",
            "InternalServerError,operation=DescribeLimits,nth=1",
        ],
        "faults.py",
        &[],
    );
    assert!(stdout.contains("faults: ") && stdout.contains(" 0 failed"));
}

/// Runs `tests/python/export_import.py` against a binary started with `--s3 STORE`.
fn export_import_through(store: &str) {
    let stdout = run_script_on(&["--s3", store], "export_import.py", &[store]);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
}

#[test]
fn boto3_exports_and_imports_through_a_directory_and_an_s3_endpoint() {
    if std::env::var("BOTO3_SKIP").as_deref() == Ok("1") {
        println!("BOTO3_SKIP=1: export/import check skipped");
        return;
    }
    let python = python_with_boto3();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("s3-store");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    export_import_through(&format!("file://{}", dir.display()));
    // moto's server as the S3-compatible endpoint.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut moto = Command::new(Path::new(&python).with_file_name("moto_server"))
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "moto_server did not open port {port}");
    export_import_through(&format!("http://127.0.0.1:{port}"));
    let _ = moto.kill();
    let _ = moto.wait();
}

#[test]
fn the_binary_with_a_data_dir_survives_kill_9_under_four_boto3_writers() {
    if std::env::var("BOTO3_SKIP").as_deref() == Ok("1") {
        println!("BOTO3_SKIP=1: persistence check skipped");
        return;
    }
    let python = python_with_boto3();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kill9-data");
    let _ = std::fs::remove_dir_all(&dir);
    let acked = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kill9-acked.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/persistence_kill9.py");
    let data_dir = dir.to_str().unwrap();
    let (mut emulator, url) = crate::start_binary(&["--data-dir", data_dir]);
    let mut writer = Command::new(&python)
        .arg(&script)
        .args(["write", acked.to_str().unwrap(), &url])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the writers");
    let mut line = String::new();
    let mut out = BufReader::new(writer.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "table created");
    std::thread::sleep(std::time::Duration::from_secs(3));
    emulator.kill().unwrap(); // SIGKILL
    emulator.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(writer.wait().unwrap().success(), "{rest}");
    println!("{rest}");

    let (mut emulator, url) = crate::start_binary(&["--data-dir", data_dir, "--fsync", "interval"]);
    let verify = Command::new(&python)
        .arg(&script)
        .args(["verify", acked.to_str().unwrap(), &url])
        .output()
        .expect("verify");
    let _ = emulator.kill();
    let _ = emulator.wait();
    let stdout = String::from_utf8_lossy(&verify.stdout);
    println!("{stdout}");
    assert!(
        verify.status.success() && stdout.contains(" 0 failed"),
        "{stdout}"
    );

    // The flags' errors: a second process on the directory, a load into a missing table.
    let (mut first, _) = crate::start_binary(&["--data-dir", data_dir]);
    let second = Command::new(env!("CARGO_BIN_EXE_dynamodb-emulator"))
        .args(["--port", "0", "--data-dir", data_dir])
        .output()
        .unwrap();
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("in use by another emulator"));
    let load = Command::new(env!("CARGO_BIN_EXE_dynamodb-emulator"))
        .args([
            "--port",
            "0",
            "--data-dir",
            data_dir,
            "--load",
            "missing=/nonexistent.json",
        ])
        .output()
        .unwrap();
    assert_eq!(load.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
