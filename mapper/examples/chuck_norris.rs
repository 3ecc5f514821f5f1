//! The seed's first use case: store a user and get "Chuck Norris" back, strongly consistent.
//!
//! `cargo run -p dynamodb-mapper --example chuck_norris` (against an embedded emulator).

use dynamodb_emulator::Emulator;
use dynamodb_mapper::{Mapper, Model};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, Model)]
#[dynamodb(table = "users", hash_key = "name")]
struct User {
    name: String,
    #[serde(with = "dynamodb_mapper::string_set")]
    skills: Vec<String>,
    roundhouse_kicks: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().start().await?;
    let mapper = Mapper::for_endpoint(&emulator.endpoint_url());
    let _ = mapper.delete_table::<User>().await;
    mapper.create_table::<User>().await?;

    let mut chuck = User {
        name: "Chuck Norris".into(),
        skills: vec![
            "roundhouse kick".into(),
            "counting to infinity, twice".into(),
        ],
        roundhouse_kicks: u64::MAX,
    };
    mapper.save(&mut chuck).await?;

    let found = mapper
        .get::<User>(User::key("Chuck Norris"))
        .consistent(true)
        .await?;
    println!("found: {found:?}");
    let nobody = mapper.get::<User>(User::key("Bruce Lee")).await?;
    println!("Bruce Lee: {nobody:?}");
    println!("consumed: {}", mapper.consumed());
    Ok(())
}
