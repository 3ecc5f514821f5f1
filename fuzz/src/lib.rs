//! A structure-aware fuzz harness for the emulator, on stable Rust and in process.
//!
//! Each request starts valid (tables, keys, items, expressions of a small world, see [`gen`]),
//! then is broken in some way with some probability ([`mutate`]), and is sent to an embedded
//! emulator through [`dynamodb_emulator::InProcess`]: the same code path as HTTP minus the
//! socket. A request fails the run if it panics (caught by the dispatcher and answered as
//! `InternalServerError`), if any answer is `InternalServerError`, if a success is not JSON, if
//! an error message shows Rust internals (`Some(`, `std::`, a crate path), or if it takes more than the hang
//! limit (a watchdog thread then prints it and exits). The expression parser is also fuzzed
//! alone ([`expressions`]), with random token soups and generated expressions.
//!
//! `cargo run --release -p dynamodb-fuzz -- --requests 10000000 --seed 1`

#![forbid(unsafe_code)]

pub mod gen;
pub mod mutate;
pub mod requests;

use dynamodb_emulator::expression::{
    parse_condition, parse_projection, parse_update, Placeholders,
};
use dynamodb_emulator::Consistency;
use dynamodb_emulator::{AttributeValue, Item, Number};
use dynamodb_emulator::{Emulator, InProcess};
use requests::Request;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a run does.
#[derive(Debug, Clone)]
pub struct Config {
    /// Requests to send.
    pub requests: u64,
    /// Seed of the generator (and of the emulator).
    pub seed: u64,
    /// Requests between resets of the emulator's tables (bounds memory).
    pub reset_every: u64,
    /// A single request taking longer than this is a hang.
    pub hang_after: Duration,
    /// Expressions to parse alone.
    pub expressions: u64,
    /// Persist in a directory under this one, and before every reset (and at the end) check
    /// that an emulator recovered from it shows exactly what the live one shows: every table's
    /// description, items and index entries.
    pub persist: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            requests: 10_000,
            seed: 1,
            reset_every: 5_000,
            hang_after: Duration::from_secs(10),
            expressions: 10_000,
            persist: None,
        }
    }
}

/// A request that failed the run.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The operation or control action.
    pub target: String,
    /// The body sent (lossy UTF-8, at most 4 KB).
    pub body: String,
    /// What was wrong.
    pub problem: String,
}

/// What a run did and found.
#[derive(Debug, Default)]
pub struct Report {
    /// Requests sent.
    pub requests: u64,
    /// Expressions parsed alone.
    pub expressions: u64,
    /// Answers by outcome (`ok` or the error type).
    pub outcomes: BTreeMap<String, u64>,
    /// What failed (empty when the run passed).
    pub failures: Vec<Failure>,
    /// The slowest request, and its target.
    pub slowest: (Duration, String),
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// What Rust's `Debug` output or a type path looks like; none of it is in generated input.
const RUST_MARKERS: &[&str] = &[
    "Some(",
    "Err(",
    "Ok(",
    "std::",
    "core::",
    "alloc::",
    "serde_json::",
    "dynamodb_emulator",
];

fn show(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned()
}

fn builder(seed: u64, dir: Option<&std::path::Path>) -> dynamodb_emulator::EmulatorBuilder {
    let b = Emulator::builder()
        .seed(seed)
        .virtual_clock()
        .consistency(Consistency::Realistic);
    match dir {
        Some(d) => b.data_dir(d).fsync(dynamodb_emulator::FsyncPolicy::Never),
        None => b,
    }
}

fn emulator(seed: u64, dir: Option<&std::path::Path>) -> InProcess {
    let e = builder(seed, dir).build();
    for t in gen::base_tables() {
        e.call_json("CreateTable", &t).expect("base table");
    }
    e
}

/// Runs the harness.
pub fn run(config: &Config) -> Report {
    let started = Instant::now();
    let mut g = gen::Gen::new(config.seed);
    let mut report = Report::default();
    let run_dir = |i: u64| {
        config.persist.as_ref().map(|p| {
            let d = p.join(format!("run-{}-{i}", config.seed));
            let _ = std::fs::remove_dir_all(&d);
            d
        })
    };
    let mut dir = run_dir(0);
    let mut e = emulator(config.seed, dir.as_deref());
    // The watchdog: a request that does not return in time is printed and the process exits.
    let progress = Arc::new(AtomicU64::new(0));
    let current = Arc::new(Mutex::new(String::new()));
    let done = Arc::new(AtomicU64::new(0));
    {
        let (progress, current, done, limit) = (
            progress.clone(),
            current.clone(),
            done.clone(),
            config.hang_after,
        );
        std::thread::spawn(move || {
            let mut last = (u64::MAX, Instant::now());
            while done.load(Ordering::Relaxed) == 0 {
                std::thread::sleep(Duration::from_millis(200));
                let p = progress.load(Ordering::Relaxed);
                if p != last.0 {
                    last = (p, Instant::now());
                } else if last.1.elapsed() > limit {
                    eprintln!(
                        "HANG: request {p} has run for over {limit:?}: {}",
                        current.lock().unwrap()
                    );
                    std::process::exit(3);
                }
            }
        });
    }
    for i in 0..config.requests {
        if i > 0 && i % config.reset_every == 0 {
            if let Some(d) = &dir {
                report.failures.extend(check_recovery(e, config.seed, d));
                let _ = std::fs::remove_dir_all(d);
            }
            dir = run_dir(i);
            e = emulator(config.seed.wrapping_add(i), dir.as_deref());
        }
        let (target, value, control) = match requests::request(&mut g) {
            Request::Operation(op, v) => (op, v, false),
            Request::Control(action, v) => (action, v, true),
        };
        let body = if control {
            serde_json::to_vec(&value).unwrap_or_default()
        } else {
            mutate::body(&mut g, value)
        };
        *current.lock().unwrap() = format!("{target} {}", show(&body));
        let t0 = Instant::now();
        let result = if control {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            e.control(target, &v)
                .map(|v| serde_json::to_vec(&v).unwrap_or_default())
        } else {
            e.call(target, &body)
        };
        let took = t0.elapsed();
        progress.fetch_add(1, Ordering::Relaxed);
        if took > report.slowest.0 {
            report.slowest = (took, target.to_string());
        }
        report.requests += 1;
        let fail = |problem: String| Failure {
            target: target.to_string(),
            body: show(&body),
            problem,
        };
        match result {
            Ok(out) => {
                *report.outcomes.entry("ok".into()).or_default() += 1;
                if serde_json::from_slice::<serde_json::Value>(&out).is_err() {
                    report
                        .failures
                        .push(fail("a success whose body is not JSON".into()));
                }
            }
            Err(err) => {
                *report
                    .outcomes
                    .entry(err.kind.short_name().to_string())
                    .or_default() += 1;
                if err.kind == dynamodb_emulator::ErrorKind::InternalServer {
                    report
                        .failures
                        .push(fail(format!("InternalServerError: {}", err.message)));
                } else if RUST_MARKERS.iter().any(|m| err.message.contains(m)) {
                    report.failures.push(fail(format!(
                        "Rust internals in a message: {}",
                        err.message
                    )));
                }
            }
        }
        if report.failures.len() >= 20 {
            break;
        }
    }
    if let Some(d) = &dir {
        report.failures.extend(check_recovery(e, config.seed, d));
        let _ = std::fs::remove_dir_all(d);
    }
    report.expressions = expressions(&mut g, config.expressions, &mut report.failures, &|text| {
        *current.lock().unwrap() = format!("expression {text}");
        progress.fetch_add(1, Ordering::Relaxed);
    });
    done.store(1, Ordering::Relaxed);
    report.elapsed = started.elapsed();
    report
}

/// Everything a client can observe of the tables: descriptions, items (strongly consistent
/// scans) and index entries (scans of every index once replication has settled).
fn observe(e: &InProcess) -> BTreeMap<String, serde_json::Value> {
    use serde_json::json;
    let _ = e.control("Settle", &json!({}));
    let mut out = BTreeMap::new();
    let names = e.call_json("ListTables", &json!({})).unwrap_or_default();
    for name in names["TableNames"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        let d = e
            .call_json("DescribeTable", &json!({"TableName": name}))
            .unwrap_or_default();
        let scan = |index: Option<&str>| {
            let mut items = Vec::new();
            let mut start = serde_json::Value::Null;
            loop {
                let mut req = json!({"TableName": name, "ConsistentRead": index.is_none()});
                if let Some(i) = index {
                    req["IndexName"] = json!(i);
                }
                if !start.is_null() {
                    req["ExclusiveStartKey"] = start.clone();
                }
                let Ok(page) = e.call_json("Scan", &req) else {
                    break;
                };
                items.extend(page["Items"].as_array().cloned().unwrap_or_default());
                start = page["LastEvaluatedKey"].clone();
                if start.is_null() {
                    break;
                }
            }
            items
        };
        let mut indexes = BTreeMap::new();
        let table = &d["Table"];
        for kind in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            for idx in table[kind].as_array().into_iter().flatten() {
                let i = idx["IndexName"].as_str().unwrap_or_default();
                let mut entries = scan(Some(i));
                entries.sort_by_key(|v| v.to_string());
                indexes.insert(i.to_string(), entries);
            }
        }
        out.insert(
            name.to_string(),
            json!({"describe": d, "items": scan(None), "indexes": indexes}),
        );
    }
    out
}

/// Drops the live emulator and compares what it showed with an emulator recovered from its
/// data directory.
fn check_recovery(e: InProcess, seed: u64, dir: &std::path::Path) -> Vec<Failure> {
    let live = observe(&e);
    drop(e);
    let recovered = match builder(seed, Some(dir)).try_build() {
        Ok(r) => observe(&r),
        Err(err) => {
            return vec![Failure {
                target: "recovery".into(),
                body: dir.display().to_string(),
                problem: format!("the data directory does not open: {err}"),
            }]
        }
    };
    let mut failures = Vec::new();
    for (name, state) in &live {
        if recovered.get(name) != Some(state) {
            failures.push(Failure {
                target: "recovery".into(),
                body: format!(
                    "live: {}\nrecovered: {}",
                    show(state.to_string().as_bytes()),
                    show(
                        recovered
                            .get(name)
                            .map(|v| v.to_string())
                            .unwrap_or_default()
                            .as_bytes()
                    )
                ),
                problem: format!("table {name} recovered differently"),
            });
        }
    }
    if live.len() != recovered.len() {
        failures.push(Failure {
            target: "recovery".into(),
            body: format!("{:?} vs {:?}", live.keys(), recovered.keys()),
            problem: "other tables recovered".into(),
        });
    }
    failures
}

/// The expression parser alone: generated expressions and token soups, parsed as conditions,
/// updates and projections with a fixed set of placeholders, and each successfully parsed
/// condition evaluated and update applied to a generated item. Returns how many were parsed.
pub fn expressions(
    g: &mut gen::Gen,
    count: u64,
    failures: &mut Vec<Failure>,
    progress: &dyn Fn(&str),
) -> u64 {
    let names: HashMap<String, String> = [("#n".to_string(), "a".to_string())].into();
    let values: HashMap<String, AttributeValue> = [
        (":v", AttributeValue::S("x".into())),
        (
            ":n",
            AttributeValue::N(Number::parse("1").expect("a number")),
        ),
        (":s", AttributeValue::Ss(vec!["x".into()])),
        (":l", AttributeValue::L(vec![AttributeValue::Null])),
        (":t", AttributeValue::S("S".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for _ in 0..count {
        let text = match rand::Rng::gen_range(&mut g.rng, 0..4) {
            0 => g.condition(4),
            1 => g.update(),
            2 => g.projection(),
            _ => g.garbage(),
        };
        progress(&text);
        let item: Item =
            serde_json::from_value(serde_json::Value::Object(g.item(1))).unwrap_or_default();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut p = Placeholders::new(Some(&names), Some(&values));
            if let Ok(c) = parse_condition(&text, &mut p, "ConditionExpression") {
                let _ = c.evaluate(&item);
            }
            let mut p = Placeholders::new(Some(&names), Some(&values));
            if let Ok(u) = parse_update(&text, &mut p) {
                let mut copy = item.clone();
                let _ = u.apply(&mut copy);
            }
            let mut p = Placeholders::new(Some(&names), Some(&values));
            if let Ok(pr) = parse_projection(&text, &mut p) {
                let _ = pr.apply(&item);
            }
        }));
        if outcome.is_err() {
            failures.push(Failure {
                target: "expression".into(),
                body: text,
                problem: "panic".into(),
            });
        }
    }
    count
}
