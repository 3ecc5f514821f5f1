//! Instructions per operation, for comparisons the shared VM's timing noise hides: run it under
//! `valgrind --tool=cachegrind --cache-sim=no` with N = 0 and N = 5000 and take the difference
//! over 5,000. Usage: `op_cost get|put|update N` (2,000 items loaded first).
use dynamodb_emulator::Emulator;
use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::{Consistency, LagModel};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let op = args[1].as_str();
    let n: usize = args[2].parse().unwrap();
    let emu = Emulator::builder()
        .seed(1)
        .clock(Clock::virtual_at(DEFAULT_VIRTUAL_START))
        .consistency(Consistency::Strong)
        .lag(LagModel::Fixed(Duration::from_secs(3600)))
        .throttling(false)
        .build();
    emu.call("CreateTable", br#"{"TableName":"bench","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#).unwrap();
    for i in 0..2000 {
        let body = format!(
            r#"{{"TableName":"bench","Item":{{"pk":{{"S":"user#{i}"}},"name":{{"S":"name {i}"}},"n":{{"N":"{i}"}},"tags":{{"SS":["a","b"]}}}}}}"#
        );
        emu.call("PutItem", body.as_bytes()).unwrap();
    }
    let (name, body): (&str, &[u8]) = match op {
        "get" => ("GetItem", br#"{"TableName":"bench","Key":{"pk":{"S":"user#424"}}}"#),
        "put" => ("PutItem", br#"{"TableName":"bench","Item":{"pk":{"S":"user#77"},"name":{"S":"someone"},"n":{"N":"77"},"tags":{"SS":["a","b"]}}}"#),
        "update" => ("UpdateItem", br##"{"TableName":"bench","Key":{"pk":{"S":"user#77"}},"UpdateExpression":"SET #n = :v ADD n :one","ConditionExpression":"attribute_exists(pk)","ExpressionAttributeNames":{"#n":"name"},"ExpressionAttributeValues":{":v":{"S":"x"},":one":{"N":"1"}}}"##),
        _ => panic!("op"),
    };
    for _ in 0..n {
        std::hint::black_box(emu.call(name, std::hint::black_box(body)).unwrap());
    }
}
