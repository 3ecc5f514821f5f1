//! The mapper against the embedded emulator (set DYNAMODB_ENDPOINT to run against another
//! endpoint, e.g. DynamoDB Local): the seed documents' use cases and the consistency choice.

use aws_credential_types::Credentials;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use dynamodb_emulator::replication::{Consistency, LagModel};
use dynamodb_emulator::Emulator;
use dynamodb_mapper::{Key, Mapper, Model};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "users", hash_key = "name")]
struct User {
    name: String,
    power: u32,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
struct Post {
    id: String,
    revision: u32,
    body: String,
}

fn client(endpoint: &str) -> Client {
    Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("a", "b", None, None, "test"))
            .build(),
    )
}

async fn table(
    c: &Client,
    name: &str,
    hash: (&str, ScalarAttributeType),
    range: Option<(&str, ScalarAttributeType)>,
) {
    let mut req = c
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(hash.0)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(hash.0)
                .attribute_type(hash.1)
                .build()
                .unwrap(),
        );
    if let Some((r, t)) = range {
        req = req
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(r)
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(r)
                    .attribute_type(t)
                    .build()
                    .unwrap(),
            );
    }
    req.send().await.unwrap();
}

/// An emulator (unless DYNAMODB_ENDPOINT names another endpoint) with both tables.
async fn setup(builder: dynamodb_emulator::EmulatorBuilder) -> (Option<Emulator>, Mapper) {
    let (emulator, endpoint) = match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(e) => (None, e),
        Err(_) => {
            let e = builder.start().await.unwrap();
            let url = e.endpoint_url();
            (Some(e), url)
        }
    };
    let c = client(&endpoint);
    let _ = c.delete_table().table_name("users").send().await;
    let _ = c.delete_table().table_name("posts").send().await;
    table(&c, "users", ("name", ScalarAttributeType::S), None).await;
    table(
        &c,
        "posts",
        ("id", ScalarAttributeType::S),
        Some(("revision", ScalarAttributeType::N)),
    )
    .await;
    (emulator, Mapper::new(c))
}

#[tokio::test]
async fn get_user_chuck_norris() {
    let (_e, m) = setup(Emulator::builder().consistency(Consistency::Strong)).await;
    let chuck = User {
        name: "Chuck Norris".into(),
        power: 9001,
        tags: vec!["legend".into()],
    };
    m.save(&chuck).await.unwrap();
    let got = m
        .get::<User>(Key::hash("Chuck Norris").unwrap())
        .consistent(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got, Some(chuck));
    assert_eq!(
        m.get::<User>(Key::hash("Nobody").unwrap())
            .send()
            .await
            .unwrap(),
        None
    );
    m.delete::<User>(Key::hash("Chuck Norris").unwrap())
        .await
        .unwrap();
    assert_eq!(
        m.get::<User>(Key::hash("Chuck Norris").unwrap())
            .consistent(true)
            .send()
            .await
            .unwrap(),
        None
    );
    // A key of the wrong shape is a typed error, not a panic.
    assert!(m.get::<Post>(Key::hash("x").unwrap()).send().await.is_err());
}

#[tokio::test]
async fn latest_revision_of_a_blog_post_and_range_conditions() {
    let (_e, m) = setup(Emulator::builder().consistency(Consistency::Strong)).await;
    for revision in 1..=12 {
        m.save(&Post {
            id: "intro".into(),
            revision,
            body: format!("v{revision}"),
        })
        .await
        .unwrap();
    }
    m.save(&Post {
        id: "other".into(),
        revision: 99,
        body: "x".into(),
    })
    .await
    .unwrap();
    let latest = m
        .query::<Post>("intro")
        .unwrap()
        .reverse()
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].revision, 12);
    let all = m.query::<Post>("intro").unwrap().send().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.revision).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    // Numbers compare numerically: 10, 11, 12 are greater than 9.
    let after = m
        .query::<Post>("intro")
        .unwrap()
        .gt(9)
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(after.len(), 3);
    let between = m
        .query::<Post>("intro")
        .unwrap()
        .between(3, 5)
        .unwrap()
        .consistent(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        between.iter().map(|p| p.revision).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
    let first_two = m
        .query::<Post>("intro")
        .unwrap()
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first_two.len(), 2);
    assert_eq!(m.scan::<Post>().await.unwrap().len(), 13);
}

#[tokio::test]
async fn eventual_reads_can_be_stale_consistent_reads_are_not() {
    if std::env::var("DYNAMODB_ENDPOINT").is_ok() {
        return; // needs the emulator's worst-case preset
    }
    let (e, m) = setup(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::WorstCase)
            .lag(LagModel::Fixed(Duration::from_millis(500))),
    )
    .await;
    let e = e.unwrap();
    m.save(&User {
        name: "ann".into(),
        power: 1,
        tags: vec![],
    })
    .await
    .unwrap();
    e.advance(Duration::from_secs(1));
    m.save(&User {
        name: "ann".into(),
        power: 2,
        tags: vec![],
    })
    .await
    .unwrap();
    let key = || Key::hash("ann").unwrap();
    assert_eq!(
        m.get::<User>(key()).send().await.unwrap().unwrap().power,
        1,
        "the old item"
    );
    assert_eq!(
        m.get::<User>(key())
            .consistent(true)
            .send()
            .await
            .unwrap()
            .unwrap()
            .power,
        2,
        "the new one"
    );
}
