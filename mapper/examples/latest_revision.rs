//! The seed's third use case: the latest revision of a blog post is
//! `query(id).reverse().limit(1)`: DynamoDB reads one item, not the whole partition.
//!
//! `cargo run -p dynamodb-mapper --example latest_revision`

use dynamodb_emulator::Emulator;
use dynamodb_mapper::{Mapper, Model};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, Model)]
#[dynamodb(table = "posts", hash_key = "slug", range_key = "revision")]
struct Post {
    slug: String,
    revision: u32,
    title: String,
    body: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().start().await?;
    let mapper = Mapper::for_endpoint(&emulator.endpoint_url());
    mapper.create_table::<Post>().await?;

    for revision in 1..=50 {
        let mut p = Post {
            slug: "hello-world".into(),
            revision,
            title: format!("Hello, world (take {revision})"),
            body: "lorem ipsum ".repeat(200),
        };
        mapper.save(&mut p).await?;
    }
    mapper.take_consumed();

    // Strongly consistent: the revisions were written a moment ago, and an eventually
    // consistent read may not see them yet (the emulator, like DynamoDB, lags replicas).
    let mut latest = mapper
        .query::<Post>("hello-world")
        .reverse()
        .limit(1)
        .consistent(true)
        .stream();
    let post = latest.try_next().await?.expect("a post");
    println!("latest: revision {} \"{}\"", post.revision, post.title);
    println!("latest only: {}", latest.consumed());

    let (all, whole) = mapper
        .query::<Post>("hello-world")
        .consistent(true)
        .stream()
        .collect_with_stream()
        .await?;
    println!("all {} revisions: {}", all.len(), whole.consumed());
    Ok(())
}
