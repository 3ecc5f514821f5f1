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
