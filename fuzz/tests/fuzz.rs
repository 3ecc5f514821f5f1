//! A bounded fuzz run for the test suite: a few seconds, a fixed seed, every outcome checked.

use dynamodb_fuzz::{run, Config};

#[test]
fn generated_and_mutated_requests_never_panic_hang_or_fail_internally() {
    let report = run(&Config {
        requests: 20_000,
        seed: 12,
        reset_every: 4_000,
        expressions: 20_000,
        ..Config::default()
    });
    for f in &report.failures {
        eprintln!("failure: {} ({})", f.target, f.problem);
    }
    assert!(report.failures.is_empty());
    // The generator reaches past validation: both successes and many kinds of errors.
    assert!(
        report.outcomes.get("ok").copied().unwrap_or(0) > 2_000,
        "{:?}",
        report.outcomes
    );
    assert!(report.outcomes.len() >= 5, "{:?}", report.outcomes);
}

#[test]
fn an_emulator_recovered_from_its_data_directory_shows_what_the_live_one_showed() {
    // Before each reset and at the end, the live emulator is dropped and one recovered from its
    // journal must show the same tables, descriptions, items and index entries, after every
    // kind of request the generator sends (writes, batches, transactions, PartiQL, UpdateTable,
    // TTL, tags, control actions).
    let report = run(&Config {
        requests: 12_000,
        seed: 5,
        reset_every: 3_000,
        expressions: 0,
        persist: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-persist")),
        ..Config::default()
    });
    for f in &report.failures {
        eprintln!("failure: {} ({})\n{}", f.target, f.problem, f.body);
    }
    assert!(report.failures.is_empty());
    assert!(report.outcomes.get("ok").copied().unwrap_or(0) > 1_000);
}
