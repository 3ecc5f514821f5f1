//! The mapper's scenarios against the embedded emulator, one emulator per test. With
//! `DYNAMODB_ENDPOINT=URL` they run against that endpoint instead, and with
//! `MAPPER_TEST_TARGET=aws` against AWS with the usual environment's credentials and region
//! (tables named `mapper_*` are created and dropped; use `--test-threads=1`, as scenarios
//! recreate their tables). `MAPPER_TABLE_PREFIX=ci-42-` prefixes every table name, so runs
//! sharing an account or endpoint do not meet.

use super::common;

use super::common::*;
use dynamodb_emulator::{Consistency, LagModel};
use dynamodb_emulator::{Emulator, EmulatorBuilder};
use dynamodb_mapper::{Error, Key, Mapper, Model};
use std::time::Duration;

async fn mapper_on(builder: EmulatorBuilder) -> (Option<Emulator>, Mapper) {
    let (emulator, mapper) = target(builder).await;
    (emulator, prefixed(mapper))
}

/// The mapper with `MAPPER_TABLE_PREFIX`'s table names, when it is set.
fn prefixed(mapper: Mapper) -> Mapper {
    match std::env::var("MAPPER_TABLE_PREFIX") {
        Ok(prefix) => mapper.with_table_names(dynamodb_mapper::TableNames::prefix(prefix)),
        Err(_) => mapper,
    }
}

async fn target(builder: EmulatorBuilder) -> (Option<Emulator>, Mapper) {
    if std::env::var("MAPPER_TEST_TARGET").as_deref() == Ok("aws") {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        return (None, Mapper::new(aws_sdk_dynamodb::Client::new(&config)));
    }
    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(url) => (None, Mapper::for_endpoint(&url)),
        Err(_) => {
            let e = builder.start().await.unwrap();
            let m = Mapper::for_endpoint(&e.endpoint_url());
            (Some(e), m)
        }
    }
}

fn strong() -> EmulatorBuilder {
    Emulator::builder()
        .consistency(Consistency::Strong)
        .throttling(false)
}

macro_rules! scenario {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let (_e, m) = mapper_on(strong()).await;
            common::$name(m).await;
        }
    )*};
}

scenarios!(scenario);

/// Under the worst-case preset an eventual get after a save returns the old item and a
/// consistent one the new; raise_on_conflict catches a concurrent writer.
#[tokio::test]
async fn eventual_reads_can_be_stale_consistent_reads_are_not() {
    if std::env::var("DYNAMODB_ENDPOINT").is_ok() || std::env::var("MAPPER_TEST_TARGET").is_ok() {
        return; // needs the emulator's worst-case preset
    }
    let (e, m) = mapper_on(
        Emulator::builder()
            .virtual_clock()
            .throttling(false)
            .consistency(Consistency::WorstCase)
            .lag(LagModel::Fixed(Duration::from_millis(500))),
    )
    .await;
    let e = e.unwrap();
    fresh::<User>(&m).await;
    m.save(&mut user("ann", 1)).await.unwrap();
    e.advance(Duration::from_secs(1));
    m.save(&mut user("ann", 2)).await.unwrap();
    let key = || User::key("ann");
    let eventual = m.get::<User>(key()).send().await.unwrap().unwrap();
    assert_eq!(eventual.power, 1, "the old item");
    let strong = load::<User>(&m, key()).await.unwrap();
    assert_eq!(strong.power, 2, "the new one");
    // Strong reads cost double.
    let before = m.take_consumed();
    m.get::<User>(key()).send().await.unwrap();
    let eventual_cost = m.take_consumed();
    load::<User>(&m, key()).await;
    assert_eq!(m.take_consumed().read_units, 2.0 * eventual_cost.read_units);
    assert!(before.requests >= 3);
    // A writer working from the stale read conflicts with the newer item.
    let mut stale = m.get::<User>(key()).send_tracked().await.unwrap().unwrap();
    assert_eq!(stale.power, 1);
    stale.power = 100;
    let err = m
        .save_changes(&mut stale)
        .raise_on_conflict(true)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    // Once replicas catch up, eventual reads see the new item.
    e.advance(Duration::from_secs(1));
    assert_eq!(m.get::<User>(key()).send().await.unwrap().unwrap().power, 2);
}

/// A BatchGetItem answer stops at 16 MB and leaves the rest in UnprocessedKeys: the mapper
/// retries them until every key is read.
#[tokio::test]
async fn batch_get_retries_unprocessed_keys() {
    let (_e, m) = mapper_on(strong()).await;
    fresh::<Post>(&m).await;
    let body = "y".repeat(390 * 1024);
    for revision in 0..60 {
        m.save(&mut Post {
            id: "big".into(),
            revision,
            body: body.clone(),
        })
        .await
        .unwrap();
    }
    let keys = (0..60u32).map(|r| Key::hash_range("big", r));
    let mut s = m.batch_get::<Post>(keys).stream();
    let mut n = 0;
    while let Some(p) = s.try_next().await.unwrap() {
        assert_eq!(p.body.len(), body.len());
        n += 1;
    }
    assert_eq!(n, 60);
    assert!(
        s.consumed().requests >= 2,
        "60 items of 390 KB exceed one 16 MB answer: {}",
        s.consumed()
    );
    let _ = Post::TABLE;
}

/// Throttling is retried by the SDK's standard retry, under the mapper. A provisioned table of
/// 1 WCU on a clock that moves 30 s per request (30 WCU refilled, up to the 300 s burst): a
/// 350 KB save leaves the bucket about 50 units in debt, so the next save's first attempt is
/// throttled and its retry (30 s later) succeeds; without retries the same situation is
/// DynamoDB's ProvisionedThroughputExceededException, typed.
#[tokio::test]
async fn throttling_is_retried_by_the_sdk() {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
    use dynamodb_mapper::Billing;
    if std::env::var("DYNAMODB_ENDPOINT").is_ok() || std::env::var("MAPPER_TEST_TARGET").is_ok() {
        return; // needs the emulator's clock
    }
    let (e, m) = mapper_on(Emulator::builder().consistency(Consistency::Strong).clock(
        Clock::virtual_with_tick(DEFAULT_VIRTUAL_START, Duration::from_secs(30)),
    ))
    .await;
    m.create_table::<User>()
        .billing(Billing::Provisioned { read: 5, write: 1 })
        .send()
        .await
        .unwrap();
    let no_retry = prefixed(Mapper::new(aws_sdk_dynamodb::Client::from_conf(
        m.client()
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    )));
    let big = |name: &str| User {
        name: name.into(),
        power: 0,
        tags: vec!["x".repeat(350 * 1024)],
        email: None,
    };
    // 300 units of burst, 351 spent: about 51 in debt.
    no_retry.save(&mut big("big1")).await.unwrap();
    // First attempt: 30 refilled, still 21 in debt, throttled; the retry finds 9 units.
    m.save(&mut user("retried", 1)).await.unwrap();
    // The same without retries fails.
    no_retry.save(&mut big("big2")).await.unwrap();
    let err = no_retry
        .save(&mut user("not retried", 1))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("ProvisionedThroughputExceededException"),
        "{err}"
    );
    // The emulator saw both throttles: the retried attempt and the unretried save.
    let report = e.unwrap().capacity_report();
    assert_eq!(
        report["Tables"][m.table_name::<User>()]["ThrottledWrites"],
        2,
        "{report}"
    );
}

/// A table made from a model with a stream: its records decode back into the model, before
/// and after each change.
#[tokio::test]
async fn stream_records_decode_into_the_model() {
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;
    use dynamodb_mapper::{Change, ChangeKind};
    let e = strong().start().await.unwrap();
    let m = Mapper::for_endpoint(&e.endpoint_url());
    m.create_table::<User>()
        .stream(aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
        .send()
        .await
        .unwrap();
    let mut u = User {
        name: "chuck".into(),
        power: 1,
        tags: vec![],
        email: None,
    };
    m.save(&mut u).await.unwrap();
    u.power = 2;
    m.save(&mut u).await.unwrap();
    m.delete::<User>(User::key("chuck")).await.unwrap();

    let streams = dynamodb_test_support::streams_client_for(&e.endpoint_url());
    let arn = streams
        .list_streams()
        .table_name(User::TABLE)
        .send()
        .await
        .unwrap()
        .streams()[0]
        .stream_arn()
        .unwrap()
        .to_string();
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut changes = Vec::new();
    for shard in d.stream_description().unwrap().shards() {
        let it = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        let page = streams
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap())
            .send()
            .await
            .unwrap();
        for r in page.records() {
            changes.push(Change::<User>::from_record(r).unwrap());
        }
    }
    let kinds: Vec<ChangeKind> = changes.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]
    );
    assert_eq!(changes[1].old.as_ref().map(|u| u.power), Some(1));
    assert_eq!(changes[1].new.as_ref().map(|u| u.power), Some(2));
    assert_eq!(changes[2].new, None);
    assert_eq!(
        changes[2].old.as_ref().map(|u| u.name.as_str()),
        Some("chuck")
    );
    assert!(!changes[2].by_ttl);
}

/// Under injected faults the mapper's operations recover through the SDK's standard retry,
/// and a conflict-checked save whose answer was lost (reset after apply) is not mistaken for a
/// conflict on the retry; a transaction that loses to another reports TransactionConflict.
#[tokio::test]
async fn the_mapper_recovers_from_injected_faults() {
    use dynamodb_emulator::{FaultKind, FaultRule};
    use dynamodb_mapper::CancelReason;
    if std::env::var("DYNAMODB_ENDPOINT").is_ok() || std::env::var("MAPPER_TEST_TARGET").is_ok() {
        return; // needs the emulator's faults
    }
    let (e, m) = mapper_on(strong()).await;
    let e = e.unwrap();
    m.create_table::<Account>().send().await.unwrap();
    let fault = |kind: FaultKind, op: &str| {
        e.inject_fault(FaultRule::new(kind).operation(op).times(1))
            .unwrap();
    };
    let mut a = Account {
        id: "acc".into(),
        balance: 10,
        version: 0,
    };
    fault(FaultKind::ServiceUnavailable, "PutItem");
    m.save(&mut a).await.unwrap();
    fault(FaultKind::ResetBeforeApply, "GetItem");
    let loaded = load::<Account>(&m, Account::key("acc")).await;
    assert_eq!(loaded.unwrap().version, 1);
    // The first attempt is applied (version 2) and its answer lost; the retry's version check
    // finds version 2, which is this save's own item: success, not a conflict.
    fault(FaultKind::ResetAfterApply, "PutItem");
    a.balance = 20;
    m.save(&mut a).await.unwrap();
    let loaded = load::<Account>(&m, Account::key("acc")).await.unwrap();
    assert_eq!((loaded.balance, loaded.version), (20, 2));
    // A genuinely stale save is still a conflict. (One that would store exactly the item
    // that is there changes nothing and succeeds.)
    let mut stale = Account {
        version: 1,
        balance: 99,
        ..loaded.clone()
    };
    assert!(m.save(&mut stale).await.unwrap_err().is_conflict());
    fault(FaultKind::TransactionConflict, "TransactWriteItems");
    let err = m
        .transaction()
        .save(&Account {
            id: "other".into(),
            balance: 1,
            version: 0,
        })
        .commit()
        .await
        .unwrap_err();
    match err {
        Error::TransactionCanceled(reasons) => {
            assert_eq!(reasons, vec![CancelReason::TransactionConflict])
        }
        other => panic!("expected a cancellation, got {other}"),
    }
}

/// Two runs of every scenario at once on one endpoint, each under its own table prefix, as two
/// CI jobs sharing an AWS account would: neither sees the other's tables, and no request goes
/// to a table by its declared name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_under_their_own_table_prefixes() {
    use dynamodb_mapper::TableNames;
    let (_e, m) = mapper_on(strong()).await;
    let run = |prefix: &'static str| {
        // Its own mapper (and capacity total), as another process would have.
        let m = Mapper::new(m.client().clone()).with_table_names(TableNames::prefix(prefix));
        async move {
            macro_rules! run {
                ($($name:ident),*) => {$(
                    common::$name(m.clone()).await;
                )*};
            }
            scenarios!(run);
        }
    };
    tokio::join!(run("run-a-"), run("run-b-"));
    let tables = m.client().list_tables().send().await.unwrap();
    let names = tables.table_names();
    assert!(!names.is_empty());
    for n in names {
        assert!(
            n.starts_with("run-a-mapper_") || n.starts_with("run-b-mapper_"),
            "{n} was created without the run's prefix"
        );
    }
    // Both runs left the same tables behind, each under its own prefix.
    let left = |prefix: &str| -> Vec<String> {
        let mut v: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_prefix(prefix).map(str::to_string))
            .collect();
        v.sort();
        v
    };
    assert_eq!(left("run-a-"), left("run-b-"));
    assert!(
        left("run-a-").contains(&"mapper_posts".to_string()),
        "{names:?}"
    );
}

/// The emulator applies a model's TTL as DynamoDB's background process would, at once: a
/// session saved with an expiry in the past is gone on the next read.
#[tokio::test]
async fn an_expired_item_of_a_ttl_model_is_deleted() {
    use dynamodb_mapper::time::{Duration as Span, OffsetDateTime};
    use dynamodb_mapper::EpochSeconds;
    let (_e, m) = mapper_on(strong()).await;
    common::fresh::<Session>(&m).await;
    let past = EpochSeconds(OffsetDateTime::now_utc() - Span::hours(1));
    let mut old = Session {
        id: "old".into(),
        expires: Some(past),
    };
    m.save(&mut old).await.unwrap();
    assert_eq!(load::<Session>(&m, Session::key("old")).await, None);
}

/// A sleep that records what it is asked for and answers at once: a paced read, measured
/// without waiting.
#[derive(Debug, Clone, Default)]
struct RecordedSleeps(std::sync::Arc<std::sync::Mutex<Vec<Duration>>>);

impl aws_sdk_dynamodb::config::AsyncSleep for RecordedSleeps {
    fn sleep(&self, d: Duration) -> aws_sdk_dynamodb::config::Sleep {
        self.0.lock().unwrap().push(d);
        aws_sdk_dynamodb::config::Sleep::new(async {})
    }
}

/// `max_rcu_per_second`: pages hold at most a second's worth of items, and after each page the
/// stream pauses for as long as its units buy at the rate, so the read averages the rate.
#[tokio::test]
async fn a_paced_scan_pauses_for_what_each_page_spent() {
    let (_e, m) = mapper_on(strong()).await;
    let sleeps = RecordedSleeps::default();
    let m = m.with_sleep(aws_sdk_dynamodb::config::SharedAsyncSleep::new(
        sleeps.clone(),
    ));
    fresh::<User>(&m).await;
    for i in 0..40 {
        m.save(&mut user(&format!("u{i:02}"), i)).await.unwrap();
    }
    sleeps.0.lock().unwrap().clear();
    let rate = 4.0;
    let (all, s) = m
        .scan::<User>()
        .max_rcu_per_second(rate)
        .stream()
        .collect_with_stream()
        .await
        .unwrap();
    assert_eq!(all.len(), 40);
    let pauses = sleeps.0.lock().unwrap().clone();
    // Eventually consistent: 0.5 units an item at most, so pages of 8 items, five of them plus
    // the empty one that finds the end; every page but that last is followed by a pause.
    assert_eq!(pauses.len(), 5, "{pauses:?}");
    let paused: f64 = pauses.iter().map(Duration::as_secs_f64).sum();
    let last_page = 0.5;
    assert!(
        (paused * rate - (s.consumed().read_units - last_page)).abs() < 1e-6,
        "paused {paused} s for {} units",
        s.consumed().read_units
    );
    assert!(pauses.iter().all(|p| *p <= Duration::from_secs(1)));
    // A rate that is not a positive number is refused before any request.
    let err = m
        .scan::<User>()
        .max_rcu_per_second(0.0)
        .collect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("positive"), "{err}");
}
