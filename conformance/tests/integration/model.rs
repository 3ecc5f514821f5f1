//! The emulator against the reference model: generated workloads must give the same items,
//! errors and return values.

use dynamodb_conformance::runner::{check, Reference};
use dynamodb_conformance::target::Local;

#[test]
fn emulator_matches_the_reference_model() {
    let run = check(&mut Local::new(), Reference::Model, 300, 42, 30);
    assert!(run.failure.is_none(), "{}", run.failure.unwrap());
    // The workloads really exercised every kind of operation and outcome.
    for kind in [
        "PutItem",
        "GetItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchWriteItem",
        "TransactWriteItems",
        "Query(index)",
        "BatchGetItem",
        "PutItem(400 KB)",
        "TransactWriteItems(one item)",
        "Invalid",
    ] {
        assert!(
            run.coverage.operations.get(kind).copied().unwrap_or(0) > 20,
            "{kind}: {:?}",
            run.coverage.operations
        );
    }
    assert!(
        run.coverage.index_items > 50,
        "index queries returned {} items",
        run.coverage.index_items
    );
    for outcome in [
        "ok",
        "ConditionalCheckFailedException",
        "ValidationException",
    ] {
        assert!(
            run.coverage.outcomes.get(outcome).copied().unwrap_or(0) > 20,
            "{outcome}"
        );
    }
}

/// The harness itself: a reference that differs must be caught (and shrunk).
#[test]
fn a_wrong_reference_is_caught() {
    use dynamodb_conformance::target::Target;
    use serde_json::Value;
    /// The emulator, except that every GetItem answers "no item".
    struct Forgetful(Local);
    impl Target for Forgetful {
        fn call(&mut self, op: &str, body: &Value) -> (u16, Value) {
            let (s, b) = self.0.call(op, body);
            if op == "GetItem" && s == 200 {
                return (200, serde_json::json!({}));
            }
            (s, b)
        }
        fn name(&self) -> String {
            "forgetful".into()
        }
    }
    let run = check(&mut Forgetful(Local::new()), Reference::Model, 300, 7, 30);
    let failure = run.failure.expect("the difference is found");
    assert!(failure.contains("GetItem"), "{failure}");
}
