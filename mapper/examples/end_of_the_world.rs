//! The seed's second use case: readings after 2012-12-21 13:37 on a date-time range key. The
//! Python mapper made you hand-convert dates to W3CDTF strings to filter; here the range key's
//! type ([`Iso8601`]) does it.
//!
//! `cargo run -p dynamodb-mapper --example end_of_the_world`

use dynamodb_emulator::Emulator;
use dynamodb_mapper::{Iso8601, Mapper, Model};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, Model)]
#[dynamodb(table = "readings", hash_key = "sensor", range_key = "at")]
struct Reading {
    sensor: String,
    at: Iso8601,
    radiation: f64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().start().await?;
    let mapper = Mapper::for_endpoint(&emulator.endpoint_url());
    mapper.create_table::<Reading>().await?;

    let start = Iso8601::parse("2012-12-21T12:00:00Z").expect("a date");
    for quarter in 0..12 {
        let mut r = Reading {
            sensor: "mayan-calendar".into(),
            at: Iso8601(start.0 + dynamodb_mapper::time::Duration::minutes(15 * quarter)),
            radiation: quarter as f64 * 1.5,
        };
        mapper.save(&mut r).await?;
    }

    let doom = Iso8601::parse("2012-12-21T13:37:00Z").expect("a date");
    let mut after = mapper
        .query::<Reading>("mayan-calendar")
        .gt(doom)
        .consistent(true)
        .stream();
    while let Some(r) = after.try_next().await? {
        println!("{}  {:>5.1}", r.at, r.radiation);
    }
    println!("consumed: {}", after.consumed());
    Ok(())
}
