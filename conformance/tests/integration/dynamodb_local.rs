//! The emulator against Amazon's DynamoDB Local on generated workloads. CI runs it; set
//! CONFORMANCE_SKIP_LOCAL=1 to skip where Java or npm are not available.

use dynamodb_conformance::runner::{check, Reference};
use dynamodb_conformance::target::{Http, Local};
use dynamodb_test_support::DynamoDbLocal;

#[test]
fn emulator_matches_dynamodb_local() {
    let Some(dynamodb_local) = DynamoDbLocal::start() else {
        println!("CONFORMANCE_SKIP_LOCAL=1: skipped");
        return;
    };
    let mut local = Http::connect(dynamodb_local.url()).unwrap();
    let mut emulator = Local::new();
    let run = check(&mut emulator, Reference::Target(&mut local), 120, 11, 25);
    println!("{:?}\n{:?}", run.coverage.operations, run.coverage.outcomes);
    assert!(run.failure.is_none(), "{}", run.failure.unwrap());
}
