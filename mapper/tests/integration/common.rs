//! Models and scenarios shared by the mapper's tests: every scenario takes only a `Mapper`, so
//! the very same code runs against the embedded emulator and against DynamoDB Local or AWS.

use aws_sdk_dynamodb::types::AttributeValue;
use dynamodb_mapper::{
    attr, AttributeType, Billing, CancelReason, End, EpochSeconds, Error, Iso8601, Item, Key,
    Mapper, Model, NumberSet, StringSet, Update,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The item with this key, read strongly consistent (`None` when there is none).
pub async fn load<M: Model>(m: &Mapper, key: Key) -> Option<M> {
    m.get::<M>(key).consistent(true).send().await.unwrap()
}

/// Drops the model's table if it exists, waiting until the name is free (DynamoDB Local and AWS
/// delete asynchronously).
pub async fn drop_table<M: Model>(m: &Mapper) {
    if m.delete_table::<M>().await.is_err() {
        return;
    }
    for _ in 0..100 {
        let gone = m
            .client()
            .describe_table()
            .table_name(m.table_name::<M>())
            .send()
            .await
            .is_err();
        if gone {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Drops the model's table if it exists and creates it from the model.
pub async fn fresh<M: Model>(m: &Mapper) {
    drop_table::<M>(m).await;
    m.create_table::<M>().send().await.unwrap();
}

/// Calls `$run!` with the name of every scenario, so the runners share one list.
#[macro_export]
macro_rules! scenarios {
    ($run:ident) => {
        $run!(
            chuck_norris,
            blog_revisions,
            data_after_the_end_of_the_world,
            scan_filters_and_types,
            batch_reads,
            batch_writes,
            conflicts,
            versions,
            updates,
            transactions,
            auto_increment,
            migrations,
            capacity_and_budgets,
            table_management,
            statements,
            one_idiom,
            time_to_live,
            polymorphic_models
        );
    };
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_users", hash_key = "name")]
pub struct User {
    pub name: String,
    pub power: u32,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_posts", hash_key = "id", range_key = "revision")]
pub struct Post {
    pub id: String,
    pub revision: u32,
    #[serde(default)]
    pub body: String,
}

/// A reading on a date-time range key, stored as sortable ISO 8601.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_readings", hash_key = "sensor", range_key = "at")]
pub struct Reading {
    pub sensor: String,
    pub at: Iso8601,
    pub value: f64,
    /// When the reading expires (epoch seconds, the form TTL reads).
    pub expires: EpochSeconds,
}

/// Every attribute type, with renames and skipped fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[serde(rename_all = "camelCase")]
#[dynamodb(table = "mapper_things", hash_key = "thingId")]
#[dynamodb(gsi(
    name = "by_kind",
    hash_key = "kind",
    range_key = "score",
    projection = "all"
))]
pub struct Thing {
    pub thing_id: u64,
    pub kind: String,
    pub score: i64,
    pub ratio: f64,
    pub active: bool,
    pub blob: dynamodb_mapper::Bytes,
    #[serde(
        with = "dynamodb_mapper::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub labels: BTreeSet<String>,
    #[serde(with = "dynamodb_mapper::number_set", default)]
    pub sizes: BTreeSet<u32>,
    pub nested: std::collections::BTreeMap<String, Vec<u8>>,
    #[serde(rename = "note_text", default)]
    pub note: Option<String>,
    #[serde(skip)]
    pub cache: u8,
}

/// A model with a version attribute: optimistic locking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_accounts", hash_key = "id", version = "version")]
pub struct Account {
    pub id: String,
    pub balance: i64,
    #[serde(default)]
    pub version: u64,
}

/// Auto-increment keys: the counter lives in the same table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_tickets", hash_key = "number")]
pub struct Ticket {
    pub number: u64,
    pub title: String,
}

/// Schema version 3: version 1 stored `fullname`, version 2 split it, version 3 added `since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(
    table = "mapper_people",
    hash_key = "id",
    schema_version = 3,
    migrate = "migrate_person"
)]
pub struct Person {
    pub id: String,
    pub first: String,
    pub last: String,
    pub since: u32,
}

pub fn migrate_person(item: &mut Item, from: u32) -> Result<(), String> {
    match from {
        1 => {
            let Some(AttributeValue::S(full)) = item.remove("fullname") else {
                return Err("a version 1 person has a fullname".into());
            };
            let (first, last) = full.split_once(' ').unwrap_or((&full, ""));
            item.insert("first".into(), AttributeValue::S(first.into()));
            item.insert("last".into(), AttributeValue::S(last.into()));
            Ok(())
        }
        2 => {
            item.insert("since".into(), AttributeValue::N("2012".into()));
            Ok(())
        }
        v => Err(format!("unknown version {v}")),
    }
}

/// An LSI on a table with a range key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_orders", hash_key = "customer", range_key = "order")]
#[dynamodb(lsi(name = "by_total", range_key = "total", projection = "keys_only"))]
pub struct Order {
    pub customer: String,
    pub order: u32,
    pub total: u32,
}

/// A model whose table is never created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_ghosts", hash_key = "id")]
pub struct Ghost {
    pub id: String,
}

pub fn user(name: &str, power: u32) -> User {
    User {
        name: name.into(),
        power,
        tags: vec![],
        email: None,
    }
}

/// The seed's first use case: get user "Chuck Norris"; not found is `None`; bad keys are errors.
pub async fn chuck_norris(m: Mapper) {
    fresh::<User>(&m).await;
    let mut chuck = User {
        name: "Chuck Norris".into(),
        power: 9001,
        tags: vec!["legend".into()],
        email: Some("chuck@example.com".into()),
    };
    m.save(&mut chuck).await.unwrap();
    let got = load::<User>(&m, User::key("Chuck Norris")).await;
    assert_eq!(got, Some(chuck.clone()));
    assert_eq!(
        m.get::<User>(User::key("Nobody")).send().await.unwrap(),
        None
    );
    // Projections: only `name` and `power` come back; the model's defaults fill the rest.
    let slim = m
        .get::<User>(User::key("Chuck Norris"))
        .consistent(true)
        .project(["name", "power"])
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((slim.power, slim.tags.len(), slim.email), (9001, 0, None));
    // A key of the wrong shape is a typed error, not a panic.
    assert!(matches!(
        m.get::<Post>(Key::hash("x")).send().await,
        Err(Error::Key(_))
    ));
    // A raise_on_conflict save of a new item refuses to overwrite an existing one.
    let mut impostor = user("Chuck Norris", 1);
    let e = m
        .save(&mut impostor)
        .raise_on_conflict(true)
        .await
        .unwrap_err();
    assert!(e.is_conflict(), "{e}");
    m.delete::<User>(User::key("Chuck Norris")).await.unwrap();
    let gone = load::<User>(&m, User::key("Chuck Norris")).await;
    assert_eq!(gone, None);
    // Deleting by key with raise_on_conflict: the item must exist.
    let e = m
        .delete::<User>(User::key("Chuck Norris"))
        .raise_on_conflict(true)
        .await
        .unwrap_err();
    assert!(e.is_conflict());
    // A service error keeps DynamoDB's code.
    let e = m.get::<Ghost>(Ghost::key("x")).send().await.unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"), "{e}");
}

/// The seed's third use case, and the query builder's range conditions, limits and paging.
pub async fn blog_revisions(m: Mapper) {
    fresh::<Post>(&m).await;
    for revision in 1..=12 {
        let mut p = Post {
            id: "intro".into(),
            revision,
            body: format!("v{revision}"),
        };
        m.save(&mut p).await.unwrap();
    }
    m.save(&mut Post {
        id: "other".into(),
        revision: 99,
        body: "x".into(),
    })
    .await
    .unwrap();
    let latest = m
        .query::<Post>("intro")
        .reverse()
        .first()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.revision, 12);
    // One typed key function whatever the key's shape; a literal sort key infers its type.
    let third = load::<Post>(&m, Post::key("intro", 3)).await.unwrap();
    assert_eq!(third.body, "v3");
    let revs = |v: Vec<Post>| v.into_iter().map(|p| p.revision).collect::<Vec<_>>();
    let all = m
        .query::<Post>("intro")
        .consistent(true)
        .collect()
        .await
        .unwrap();
    assert_eq!(revs(all), (1..=12).collect::<Vec<_>>());
    // Numbers compare numerically: 10, 11, 12 are greater than 9.
    assert_eq!(
        revs(
            m.query::<Post>("intro")
                .gt(9u32)
                .consistent(true)
                .collect()
                .await
                .unwrap()
        ),
        vec![10, 11, 12]
    );
    assert_eq!(
        revs(m.query::<Post>("intro").ge(11u32).collect().await.unwrap()),
        vec![11, 12]
    );
    assert_eq!(
        revs(m.query::<Post>("intro").lt(3u32).collect().await.unwrap()),
        vec![1, 2]
    );
    assert_eq!(
        revs(m.query::<Post>("intro").le(2u32).collect().await.unwrap()),
        vec![1, 2]
    );
    assert_eq!(
        revs(m.query::<Post>("intro").eq(7u32).collect().await.unwrap()),
        vec![7]
    );
    assert_eq!(
        revs(
            m.query::<Post>("intro")
                .between(3u32, 5u32)
                .collect()
                .await
                .unwrap()
        ),
        vec![3, 4, 5]
    );
    // limit(n) is passed to DynamoDB: the stream stops at n and can resume from there.
    let mut s = m.query::<Post>("intro").limit(5).stream();
    let mut first = Vec::new();
    while let Some(p) = s.try_next().await.unwrap() {
        first.push(p.revision);
    }
    assert_eq!(first, vec![1, 2, 3, 4, 5]);
    assert_eq!(s.end(), Some(End::Limit));
    assert_eq!(
        s.consumed().requests,
        1,
        "one page of five, not the partition"
    );
    let rest = m
        .query::<Post>("intro")
        .start_from(s.resume_key().cloned())
        .collect()
        .await
        .unwrap();
    assert_eq!(revs(rest), (6..=12).collect::<Vec<_>>());
    // A filter applies after the read; a projection trims what comes back.
    let f = Post::fields();
    let filtered = m
        .query::<Post>("intro")
        .filter(f.body.begins_with("v1"))
        .project([f.id.path(), f.revision.path()])
        .collect()
        .await
        .unwrap();
    assert_eq!(revs(filtered.clone()), vec![1, 10, 11, 12]);
    assert!(filtered.iter().all(|p| p.body.is_empty()));
    let counted = m
        .query::<Post>("intro")
        .filter(f.body.begins_with("v1"))
        .count()
        .await
        .unwrap();
    assert_eq!(counted, 4);
    // The futures Stream interface.
    let via_stream: Vec<u32> = m
        .query::<Post>("intro")
        .stream()
        .map(|p| p.unwrap().revision)
        .collect()
        .await;
    assert_eq!(via_stream.len(), 12);
    assert_eq!(m.scan::<Post>().collect().await.unwrap().len(), 13);
}

/// The seed's second use case: data after 2012-12-21 13:37 on a date-time range key.
pub async fn data_after_the_end_of_the_world(m: Mapper) {
    fresh::<Reading>(&m).await;
    let base = Iso8601::from_ymd_hms(2012, 12, 21, 13, 0, 0).unwrap();
    for minutes in [0i64, 30, 37, 38, 59, 24 * 60] {
        let at = Iso8601(base.0 + dynamodb_mapper::time::Duration::minutes(minutes));
        let mut r = Reading {
            sensor: "doom".into(),
            at,
            value: minutes as f64,
            expires: EpochSeconds::from(at),
        };
        m.save(&mut r).await.unwrap();
    }
    let end = Iso8601::parse("2012-12-21T13:37:00Z").unwrap();
    let after = m.query::<Reading>("doom").gt(end).collect().await.unwrap();
    assert_eq!(
        after.iter().map(|r| r.value).collect::<Vec<_>>(),
        vec![38.0, 59.0, 1440.0]
    );
    // The key is the typed field: a `time::OffsetDateTime` converts into it directly.
    let day = m
        .query::<Reading>("doom")
        .between(end.0, end.0 + dynamodb_mapper::time::Duration::hours(1))
        .collect()
        .await
        .unwrap();
    assert_eq!(day.len(), 3);
    // Stored forms: the fixed-width string and epoch seconds.
    let raw = m
        .query::<Reading>("doom")
        .eq(end)
        .stream()
        .try_next_raw()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        raw["at"],
        AttributeValue::S("2012-12-21T13:37:00.000000Z".into())
    );
    assert_eq!(raw["expires"], AttributeValue::N("1356097020".into()));
    // Filters on a date-time field are typed too.
    let f = Reading::fields();
    let late = m
        .scan::<Reading>()
        .filter(f.expires.ge(EpochSeconds::from(end)))
        .collect()
        .await
        .unwrap();
    assert_eq!(late.len(), 4);
}

fn thing(id: u64, kind: &str, score: i64) -> Thing {
    Thing {
        thing_id: id,
        kind: kind.into(),
        score,
        ratio: id as f64 / 4.0,
        active: id.is_multiple_of(2),
        blob: dynamodb_mapper::Bytes(vec![id as u8, 0xff]),
        labels: (0..id % 3).map(|i| format!("l{i}")).collect(),
        sizes: [id as u32, 100].into_iter().collect(),
        nested: [("k".to_string(), vec![id as u8])].into_iter().collect(),
        note: id.is_multiple_of(4).then(|| format!("note {id}")),
        cache: 0,
    }
}

/// Every type round-trips; scan filters cover every operator; parallel segments see everything.
pub async fn scan_filters_and_types(m: Mapper) {
    fresh::<Thing>(&m).await;
    for id in 0..40u64 {
        let mut t = thing(id, if id < 20 { "rock" } else { "paper" }, id as i64 - 10);
        m.save(&mut t).await.unwrap();
    }
    let mut got = load::<Thing>(&m, Thing::key(7u64)).await.unwrap();
    got.cache = 0;
    assert_eq!(got, thing(7, "rock", -3));
    let raw = m
        .get::<Thing>(Thing::key(8u64))
        .consistent(true)
        .send_raw()
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(raw["labels"], AttributeValue::Ss(_)),
        "{:?}",
        raw["labels"]
    );
    assert!(matches!(raw["sizes"], AttributeValue::Ns(_)));
    assert!(matches!(raw["blob"], AttributeValue::B(_)));
    assert!(raw.contains_key("note_text") && raw.contains_key("thingId"));
    assert!(!raw.contains_key("cache"));

    let f = Thing::fields();
    let count = |c| {
        let m = m.clone();
        async move {
            m.scan::<Thing>()
                .consistent(true)
                .filter(c)
                .collect()
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(count(f.kind.eq("rock")).await, 20);
    // DynamoDB's own count (Select=COUNT), paged to the end: the same numbers, no items sent.
    let before = m.consumed();
    let counted = m
        .scan::<Thing>()
        .consistent(true)
        .filter(f.kind.eq("rock"))
        .project([f.note.path()])
        .count()
        .await
        .unwrap();
    assert_eq!(counted, 20);
    assert!(
        m.consumed().read_units > before.read_units,
        "a count is charged"
    );
    assert_eq!(
        m.scan::<Thing>().consistent(true).count().await.unwrap(),
        40
    );
    assert_eq!(count(f.kind.ne("rock")).await, 20);
    assert_eq!(count(f.score.lt(0)).await, 10);
    assert_eq!(count(f.score.le(0)).await, 11);
    assert_eq!(count(f.score.gt(25)).await, 4);
    assert_eq!(count(f.score.ge(25)).await, 5);
    assert_eq!(count(f.score.between(-2, 2)).await, 5);
    assert_eq!(count(f.thing_id.is_in([1u64, 2, 3, 99])).await, 3);
    assert_eq!(
        count(f.note.begins_with(Some("note 1".to_string()))).await,
        2
    ); // 12, 16
    assert_eq!(count(f.labels.contains("l1")).await, 13);
    assert_eq!(count(f.labels.not_contains("l1")).await, 27);
    // A `None` without skip_serializing_if is stored as NULL: the attribute exists.
    assert_eq!(count(f.note.exists()).await, 40);
    assert_eq!(count(f.note.attribute_type(AttributeType::Null)).await, 30);
    assert_eq!(count(f.labels.exists()).await, 26);
    assert_eq!(count(f.labels.not_exists()).await, 14);
    assert_eq!(count(f.labels.size().eq(2)).await, 13);
    assert_eq!(count(f.labels.attribute_type(AttributeType::SS)).await, 26);
    assert_eq!(count(f.active.eq(true) & f.kind.eq("paper")).await, 10);
    assert_eq!(count(f.score.lt(-5) | f.score.gt(25)).await, 9);
    assert_eq!(count(!f.active.eq(true)).await, 20);
    assert_eq!(count(f.nested.path().key("k").size().eq(1)).await, 40);
    assert_eq!(count(attr("sizes").contains(100)).await, 40);
    // A value that does not fit the attribute's type is DynamoDB's error, typed.
    let bad = m
        .scan::<Thing>()
        .filter(f.score.begins_with(1))
        .collect()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("ValidationException"), "{bad}");

    let mut parallel = m.scan::<Thing>().consistent(true).parallel(4);
    let mut ids = BTreeSet::new();
    while let Some(t) = parallel.try_next().await.unwrap() {
        ids.insert(t.thing_id);
    }
    assert_eq!(ids.len(), 40);
    assert!(parallel.consumed().requests >= 4);
    // The GSI, queried with its own key types.
    let papers = m
        .query_index::<Thing, i64>("by_kind", "paper")
        .ge(25)
        .collect()
        .await
        .unwrap();
    assert_eq!(
        papers.iter().map(|t| t.score).collect::<Vec<_>>(),
        vec![25, 26, 27, 28, 29]
    );
    assert!(matches!(
        m.query_index::<Thing, i64>("nope", "x").collect().await,
        Err(Error::Key(_))
    ));
}

/// batch_get: any number of keys, chunked by 100, duplicates and missing keys handled.
pub async fn batch_reads(m: Mapper) {
    fresh::<User>(&m).await;
    for i in 0..230 {
        m.save(&mut user(&format!("u{i:03}"), i)).await.unwrap();
    }
    let keys = (0..250)
        .chain([5, 5, 7])
        .map(|i| User::key(format!("u{i:03}")));
    let mut s = m.batch_get::<User>(keys).consistent(true).stream();
    let mut names = BTreeSet::new();
    while let Some(u) = s.try_next().await.unwrap() {
        names.insert(u.name);
    }
    assert_eq!(names.len(), 230);
    assert_eq!(
        s.consumed().requests,
        3,
        "250 distinct keys: three requests of up to 100"
    );
    // Each item costs one unit strongly consistent, rounded up per item. DynamoDB documents
    // that a read of a missing item costs as much (the emulator: 250); DynamoDB Local charges
    // only the 230 found.
    let units = s.consumed().read_units;
    assert!((230.0..=250.0).contains(&units), "{units}");
    let none = m.batch_get::<User>(Vec::new()).collect().await.unwrap();
    assert!(none.is_empty());
}

/// batch_save and batch_delete: any number of items, 25 per request; refused for versioned
/// models, whose version a batch cannot check.
pub async fn batch_writes(m: Mapper) {
    fresh::<User>(&m).await;
    let mut users: Vec<User> = (0..60).map(|i| user(&format!("b{i:02}"), i)).collect();
    // The same key twice: the later write wins, as it would in sequence.
    users.push(user("b00", 1000));
    m.take_consumed();
    m.batch_save(&users).await.unwrap();
    let c = m.take_consumed();
    assert_eq!(c.requests, 3, "60 distinct keys: 25 + 25 + 10 ({c})");
    assert_eq!(c.write_units, 60.0);
    let all = m.scan::<User>().consistent(true).collect().await.unwrap();
    assert_eq!(all.len(), 60);
    let b00 = load::<User>(&m, User::key("b00")).await;
    assert_eq!(b00.unwrap().power, 1000);
    m.batch_delete::<User>((0..30).map(|i| User::key(format!("b{i:02}"))))
        .await
        .unwrap();
    assert_eq!(
        m.scan::<User>()
            .consistent(true)
            .collect()
            .await
            .unwrap()
            .len(),
        30
    );
    let accounts = [Account {
        id: "x".into(),
        balance: 1,
        version: 0,
    }];
    assert!(matches!(m.batch_save(&accounts).await, Err(Error::Key(_))));
    m.batch_save(Vec::<&User>::new()).await.unwrap();
    // Puts and deletes in the same batches; a key with the wrong shape fails before any write.
    let fresh_users: Vec<User> = (0..5).map(|i| user(&format!("n{i}"), i)).collect();
    m.take_consumed();
    m.batch_save(&fresh_users)
        .delete((30..40).map(|i| User::key(format!("b{i:02}"))))
        .send()
        .await
        .unwrap();
    assert_eq!(m.take_consumed().requests, 1, "15 requests fit one batch");
    let all = m.scan::<User>().consistent(true).collect().await.unwrap();
    assert_eq!(all.len(), 30 - 10 + 5);
    let bad = m
        .batch_save(&fresh_users)
        .delete([Key::hash_range("n0", 1)])
        .await;
    assert!(matches!(bad, Err(Error::Key(_))), "{bad:?}");
}

/// Loaded items save only what changed; raise_on_conflict catches concurrent writers.
pub async fn conflicts(m: Mapper) {
    fresh::<User>(&m).await;
    m.save(&mut user("ann", 1)).await.unwrap();
    let key = || User::key("ann");
    let mut mine = m
        .get::<User>(key())
        .consistent(true)
        .send_tracked()
        .await
        .unwrap()
        .unwrap();
    // Another writer changes a different attribute.
    m.update(Update::<User>::new(key()).set(User::fields().email, Some("a@x".to_string())))
        .await
        .unwrap();
    // A change-only save leaves their attribute alone (a whole-item put would erase it).
    mine.power = 2;
    m.save_changes(&mut mine).await.unwrap();
    let now = load::<User>(&m, key()).await.unwrap();
    assert_eq!((now.power, now.email.as_deref()), (2, Some("a@x")));
    // With raise_on_conflict, the same situation is a typed Conflict.
    let mut stale = m
        .get::<User>(key())
        .consistent(true)
        .send_tracked()
        .await
        .unwrap()
        .unwrap();
    m.update(Update::<User>::new(key()).increment(User::fields().power, 10))
        .await
        .unwrap();
    stale.tags.push("late".into());
    let e = m
        .save_changes(&mut stale)
        .raise_on_conflict(true)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{e}");
    // Reloaded, the save goes through, and the tracked form follows the stored item.
    let mut fresh_copy = m
        .get::<User>(key())
        .consistent(true)
        .send_tracked()
        .await
        .unwrap()
        .unwrap();
    fresh_copy.tags.push("ok".into());
    m.save_changes(&mut fresh_copy)
        .raise_on_conflict(true)
        .await
        .unwrap();
    fresh_copy.tags.push("again".into());
    m.save_changes(&mut fresh_copy)
        .raise_on_conflict(true)
        .await
        .unwrap();
    assert_eq!(fresh_copy.power, 12);
    // Deleting a loaded item that someone changed since: Conflict; unchanged: deleted.
    m.update(Update::<User>::new(key()).remove(User::fields().email))
        .await
        .unwrap();
    let e = m
        .delete_tracked(&fresh_copy)
        .raise_on_conflict(true)
        .await
        .unwrap_err();
    assert!(e.is_conflict());
    let current = m
        .get::<User>(key())
        .consistent(true)
        .send_tracked()
        .await
        .unwrap()
        .unwrap();
    m.delete_tracked(&current)
        .raise_on_conflict(true)
        .await
        .unwrap();
    assert!(load::<User>(&m, key()).await.is_none());
}

/// A version attribute: optimistic locking as PynamoDB's VersionAttribute.
pub async fn versions(m: Mapper) {
    fresh::<Account>(&m).await;
    let mut a = Account {
        id: "acc".into(),
        balance: 10,
        version: 0,
    };
    m.save(&mut a).await.unwrap();
    assert_eq!(a.version, 1);
    let mut other = a.clone();
    a.balance = 20;
    m.save(&mut a).await.unwrap();
    assert_eq!(a.version, 2);
    other.balance = 99;
    let e = m.save(&mut other).await.unwrap_err();
    assert!(e.is_conflict(), "{e}");
    // Saving a second "new" item with the same key is a conflict too.
    let mut dup = Account {
        id: "acc".into(),
        balance: 0,
        version: 0,
    };
    assert!(m.save(&mut dup).await.unwrap_err().is_conflict());
    // Change-only saves check and bump the version as well.
    let mut t = m
        .get::<Account>(Account::key("acc"))
        .consistent(true)
        .send_tracked()
        .await
        .unwrap()
        .unwrap();
    t.balance += 5;
    m.save_changes(&mut t).await.unwrap();
    assert_eq!((t.balance, t.version), (25, 3));
    assert!(m.delete_item(&other).await.unwrap_err().is_conflict());
    // An administrative overwrite (PynamoDB's add_version_condition=False): the stale item is
    // written with its own version bumped (1 -> 2), so whoever holds version 3 now conflicts.
    let mut admin = other.clone();
    admin.balance = 7;
    m.save(&mut admin).check_version(false).await.unwrap();
    assert_eq!(admin.version, 2, "bumped from the item's own version");
    let stored = load::<Account>(&m, Account::key("acc")).await.unwrap();
    assert_eq!((stored.balance, stored.version), (7, 2));
    assert!(m.delete_item(&*t).await.unwrap_err().is_conflict());
    m.delete_item(&*t).check_version(false).await.unwrap();
    assert!(load::<Account>(&m, Account::key("acc")).await.is_none());
}

/// Partial updates with every action; conditions the caller writes fail as ConditionFailed.
pub async fn updates(m: Mapper) {
    fresh::<Thing>(&m).await;
    let mut t = thing(1, "rock", 5);
    m.save(&mut t).await.unwrap();
    let f = Thing::fields();
    let key = || Thing::key(1u64);
    let after = m
        .update(
            Update::<Thing>::new(key())
                .set(f.kind, "stone")
                .increment(f.score, 10)
                .add(f.labels, StringSet(["new"]))
                .delete(f.sizes, NumberSet([100]))
                .remove(f.note)
                .set_path(f.nested.path().key("more"), vec![1u8, 2]),
        )
        .await
        .unwrap();
    assert_eq!(after.kind, "stone");
    assert_eq!(after.score, 15);
    assert!(after.labels.contains("new"));
    assert_eq!(after.sizes.iter().copied().collect::<Vec<_>>(), vec![1]);
    assert_eq!(after.note, None);
    assert_eq!(after.nested["more"], vec![1, 2]);
    let e = m
        .update(
            Update::<Thing>::new(key())
                .set(f.score, 0)
                .condition(f.score.gt(100)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ConditionFailed { .. }), "{e}");
    let e = m.update(Update::<Thing>::new(key())).await.unwrap_err();
    assert!(matches!(e, Error::Expression(_)));
    let sent = m
        .update(Update::<Thing>::new(key()).increment(f.score, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.score, 16);
}

/// Transactions: all or nothing, with one reason per action when cancelled.
pub async fn transactions(m: Mapper) {
    fresh::<User>(&m).await;
    fresh::<Account>(&m).await;
    m.transaction()
        .save(&user("tx1", 1))
        .save(&Account {
            id: "tx".into(),
            balance: 5,
            version: 0,
        })
        .commit()
        .await
        .unwrap();
    let both = m
        .transact_get()
        .get::<User>(User::key("tx1"))
        .get::<Account>(Account::key("tx"))
        .get::<User>(User::key("missing"))
        .send()
        .await
        .unwrap();
    assert_eq!(both.get::<User>(0).unwrap().unwrap().power, 1);
    let acc = both.get::<Account>(1).unwrap().unwrap();
    assert_eq!((acc.balance, acc.version), (5, 1));
    assert_eq!(both.get::<User>(2).unwrap(), None);
    // A stale account version cancels the transaction; the user write does not happen either.
    let stale = Account {
        version: 0,
        ..acc.clone()
    };
    let e = m
        .transaction()
        .save(&user("tx2", 2))
        .save(&stale)
        .commit()
        .await
        .unwrap_err();
    match e {
        Error::TransactionCanceled(reasons) => {
            assert_eq!(reasons.len(), 2);
            assert_eq!(reasons[0], CancelReason::None);
            assert!(
                matches!(reasons[1], CancelReason::Conflict { .. }),
                "{reasons:?}"
            );
        }
        other => panic!("expected a cancellation, got {other}"),
    }
    assert!(load::<User>(&m, User::key("tx2")).await.is_none());
    // Condition checks and raise_on_conflict inside a transaction.
    let f = User::fields();
    let e = m
        .transaction()
        .raise_on_conflict(true)
        .save(&user("tx1", 9))
        .condition_check::<Account>(Account::key("tx"), Account::fields().balance.gt(100))
        .commit()
        .await
        .unwrap_err();
    let Error::TransactionCanceled(reasons) = e else {
        panic!("expected a cancellation");
    };
    assert!(
        matches!(reasons[0], CancelReason::Conflict { .. }),
        "{reasons:?}"
    );
    assert!(
        matches!(reasons[1], CancelReason::ConditionFailed { .. }),
        "{reasons:?}"
    );
    let tracked = m
        .get::<User>(User::key("tx1"))
        .consistent(true)
        .send_tracked()
        .await
        .unwrap()
        .unwrap();
    m.transaction()
        .raise_on_conflict(true)
        .update(&Update::<User>::new(User::key("tx1")).increment(f.power, 1))
        .delete::<Account>(Account::key("tx"))
        .commit()
        .await
        .unwrap();
    let e = m
        .transaction()
        .raise_on_conflict(true)
        .delete_tracked(&tracked)
        .commit()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::TransactionCanceled(ref r) if matches!(r[0], CancelReason::Conflict { .. }))
    );
}

/// Auto-increment keys from an atomic ADD on a counter item that scans skip.
pub async fn auto_increment(m: Mapper) {
    fresh::<Ticket>(&m).await;
    let mut numbers = Vec::new();
    for title in ["a", "b", "c"] {
        let mut t = Ticket {
            number: 0,
            title: title.into(),
        };
        let n = if title == "c" {
            m.insert_auto_increment(&mut t).send().await.unwrap()
        } else {
            m.insert_auto_increment(&mut t).await.unwrap()
        };
        assert_eq!(t.number as i64, n);
        numbers.push(n);
    }
    assert_eq!(numbers, vec![1, 2, 3]);
    let all = m.scan::<Ticket>().consistent(true).collect().await.unwrap();
    assert_eq!(all.len(), 3, "the counter item is not a ticket");
    assert!(matches!(
        m.insert_auto_increment(&mut user("x", 1)).await,
        Err(Error::Key(_))
    ));
}

/// Old raw items are migrated on load, version by version.
pub async fn migrations(m: Mapper) {
    fresh::<Person>(&m).await;
    m.client()
        .put_item()
        .table_name(m.table_name::<Person>())
        .item("id", AttributeValue::S("p1".into()))
        .item("fullname", AttributeValue::S("Grace Hopper".into()))
        .send()
        .await
        .unwrap();
    m.client()
        .put_item()
        .table_name(m.table_name::<Person>())
        .item("id", AttributeValue::S("p2".into()))
        .item("first", AttributeValue::S("Ada".into()))
        .item("last", AttributeValue::S("Lovelace".into()))
        .item("__schema_version__", AttributeValue::N("2".into()))
        .send()
        .await
        .unwrap();
    let key = |id: &str| Person::key(id);
    let grace = load::<Person>(&m, key("p1")).await.unwrap();
    assert_eq!(
        (grace.first.as_str(), grace.last.as_str(), grace.since),
        ("Grace", "Hopper", 2012)
    );
    let ada = load::<Person>(&m, key("p2")).await.unwrap();
    assert_eq!((ada.first.as_str(), ada.since), ("Ada", 2012));
    // Saved again, the item is written at the current version.
    let mut g = grace.clone();
    m.save(&mut g).await.unwrap();
    let raw = m
        .get::<Person>(key("p1"))
        .consistent(true)
        .send_raw()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw["__schema_version__"], AttributeValue::N("3".into()));
    assert!(!raw.contains_key("fullname"));
    // A broken old item is a typed migration error.
    m.client()
        .put_item()
        .table_name(m.table_name::<Person>())
        .item("id", AttributeValue::S("p3".into()))
        .send()
        .await
        .unwrap();
    let e = m
        .get::<Person>(key("p3"))
        .consistent(true)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Migration { from: 1, .. }), "{e}");
}

/// Consumed capacity summed over pages; scans cost more than queries, strong reads double;
/// a budget stops a stream cleanly with a key to resume from.
pub async fn capacity_and_budgets(m: Mapper) {
    fresh::<Post>(&m).await;
    fresh::<Order>(&m).await;
    let body = "x".repeat(3000);
    for id in ["a", "b", "c", "d"] {
        for revision in 0..20 {
            m.save(&mut Post {
                id: id.into(),
                revision,
                body: body.clone(),
            })
            .await
            .unwrap();
        }
    }
    let (_, q) = m
        .query::<Post>("a")
        .consistent(true)
        .stream()
        .collect_with_stream()
        .await
        .unwrap();
    let (_, q_eventual) = m
        .query::<Post>("a")
        .stream()
        .collect_with_stream()
        .await
        .unwrap();
    let (_, s) = m
        .scan::<Post>()
        .consistent(true)
        .stream()
        .collect_with_stream()
        .await
        .unwrap();
    // 20 items of ~3 KB: 60 KB is 15 units strongly consistent, 7.5 eventual.
    assert_eq!(q.consumed().read_units, 15.0);
    assert_eq!(q_eventual.consumed().read_units, 7.5);
    assert!(s.consumed().read_units > 3.0 * q.consumed().read_units);
    assert!(s.consumed().estimated_cost() > q.consumed().estimated_cost());
    // A budget of 5 units: pages sized to fit it, stop, resume, and nothing read twice.
    let mut seen = Vec::new();
    let mut start = None;
    let mut rounds = 0;
    loop {
        let mut s = m
            .query::<Post>("a")
            .consistent(true)
            .max_rcu(5.0)
            .start_from(start)
            .stream();
        while let Some(p) = s.try_next().await.unwrap() {
            seen.push(p.revision);
        }
        rounds += 1;
        assert!(s.consumed().read_units <= 5.0, "{}", s.consumed());
        match s.end() {
            Some(End::Budget) => start = s.resume_key().cloned(),
            Some(End::Complete) => break,
            other => panic!("unexpected end {other:?}"),
        }
    }
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
    assert!(rounds >= 3, "15 units in budgets of 5: {rounds} rounds");
    // Writes count too, and the mapper keeps the total.
    let before = m.take_consumed();
    assert!(
        before.read_units > 0.0 && before.write_units >= 80.0,
        "{before}"
    );
    let mut o = Order {
        customer: "c".into(),
        order: 1,
        total: 30,
    };
    m.save(&mut o).await.unwrap();
    // The table and its LSI are both written: 2 WCU.
    assert_eq!(m.consumed().write_units, 2.0, "{}", m.consumed());
    let by_total = m
        .query_index::<Order, u32>("by_total", "c")
        .gt(10u32)
        .collect()
        .await
        .unwrap();
    assert_eq!(by_total, vec![o]);
}

/// Tables from models: keys typed from the fields, indexes from the declarations, billing.
pub async fn table_management(m: Mapper) {
    drop_table::<Thing>(&m).await;
    m.create_table::<Thing>()
        .billing(Billing::Provisioned { read: 5, write: 3 })
        .send()
        .await
        .unwrap();
    let t = m
        .client()
        .describe_table()
        .table_name(m.table_name::<Thing>())
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(t.table_status().map(|s| s.as_str()), Some("ACTIVE"));
    let mut defs: Vec<(String, String)> = t
        .attribute_definitions()
        .iter()
        .map(|d| {
            (
                d.attribute_name().to_string(),
                d.attribute_type().as_str().to_string(),
            )
        })
        .collect();
    defs.sort();
    let expected = [("kind", "S"), ("score", "N"), ("thingId", "N")];
    assert_eq!(defs, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    let throughput = t.provisioned_throughput().unwrap();
    assert_eq!(
        (
            throughput.read_capacity_units(),
            throughput.write_capacity_units()
        ),
        (Some(5), Some(3))
    );
    let gsi = &t.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("by_kind"));
    assert_eq!(gsi.key_schema().len(), 2);
    // Creating it again is DynamoDB's error, typed.
    let e = m.create_table::<Thing>().send().await.unwrap_err();
    assert_eq!(e.code(), Some("ResourceInUseException"), "{e}");
    m.delete_table::<Thing>().await.unwrap();
    let e = m.delete_table::<Ghost>().await.unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
}

/// PartiQL statements through the mapper: rows decode into models, parameters convert as
/// fields do, pages follow NextToken, and DynamoDB's errors keep their codes.
pub async fn statements(m: Mapper) {
    fresh::<Post>(&m).await;
    // Statements name their table in their text: the mapper's name for it, prefix and all.
    let posts_table = format!("\"{}\"", m.table_name::<Post>());
    let sql = |text: &str| text.replace("\"mapper_posts\"", &posts_table);
    for revision in 1..=5u32 {
        m.statement::<Post>(sql(
            "INSERT INTO \"mapper_posts\" VALUE {'id': ?, 'revision': ?, 'body': ?}",
        ))
        .param("intro")
        .param(revision)
        .param(format!("v{revision}"))
        .execute()
        .await
        .unwrap();
    }
    let posts = m
        .statement::<Post>(sql(
            "SELECT * FROM \"mapper_posts\" WHERE id = ? AND revision >= ?",
        ))
        .param("intro")
        .param(2u32)
        .consistent(true)
        .page_size(2)
        .collect()
        .await
        .unwrap();
    assert_eq!(
        posts.iter().map(|p| p.revision).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let updated = m
        .statement::<Post>(sql("UPDATE \"mapper_posts\" SET body = ? WHERE id = 'intro' AND revision = 1 RETURNING ALL NEW *"))
        .param("edited")
        .collect()
        .await
        .unwrap();
    assert_eq!(updated[0].body, "edited");
    let first = m
        .statement::<Post>(sql(
            "SELECT * FROM \"mapper_posts\" WHERE id = 'intro' AND revision = 1",
        ))
        .consistent(true)
        .first()
        .await
        .unwrap();
    assert_eq!(first.map(|p| p.body).as_deref(), Some("edited"));
    let err = m
        .statement::<Post>(sql(
            "INSERT INTO \"mapper_posts\" VALUE {'id': 'intro', 'revision': 1}",
        ))
        .execute()
        .await
        .unwrap_err();
    // AWS's error is DuplicateItemException; DynamoDB Local 3.3 names it DuplicateItem.
    assert!(
        matches!(err.code(), Some("DuplicateItemException" | "DuplicateItem")),
        "{err:?}"
    );
    let gone = m
        .statement::<Post>(sql("SELECT * FROM \"mapper_posts\" WHERE id = 'nobody'"))
        .first()
        .await
        .unwrap();
    assert!(gone.is_none());
}

/// A session that DynamoDB's time to live deletes once `expires` has passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[dynamodb(table = "mapper_sessions", hash_key = "id", ttl = "expires")]
pub struct Session {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<EpochSeconds>,
}

/// A model's TTL attribute: `create_table` turns time to live on for it; items that expire
/// later, or never, are kept.
pub async fn time_to_live(m: Mapper) {
    fresh::<Session>(&m).await;
    let ttl = m
        .client()
        .describe_time_to_live()
        .table_name(m.table_name::<Session>())
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires"));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
    let later =
        dynamodb_mapper::time::OffsetDateTime::now_utc() + dynamodb_mapper::time::Duration::days(1);
    let key = |id: &str| Session::key(id);
    for (id, expires) in [("a", Some(EpochSeconds(later))), ("b", None)] {
        m.save(&mut Session {
            id: id.into(),
            expires,
        })
        .await
        .unwrap();
    }
    assert!(load::<Session>(&m, key("a")).await.is_some());
    assert!(load::<Session>(&m, key("b")).await.is_some());
}

/// Every request finishes the same way: `.await` on the builder, or `.send().await`, which is
/// the same.
pub async fn one_idiom(m: Mapper) {
    drop_table::<User>(&m).await;
    m.create_table::<User>().await.unwrap();
    let key = |name: &str| User::key(name);
    let mut ann = user("ann", 3);
    m.save(&mut ann).await.unwrap();
    ann.power = 4;
    m.save(&mut ann).send().await.unwrap();
    let got: Option<User> = m.get::<User>(key("ann")).consistent(true).await.unwrap();
    assert_eq!(got.as_ref().map(|u| u.power), Some(4));
    let again = m.get::<User>(key("ann")).consistent(true).send().await;
    assert_eq!(again.unwrap(), got);
    m.transaction().save(&user("bob", 5)).await.unwrap();
    m.transaction().save(&user("cy", 6)).send().await.unwrap();
    let both = m
        .transact_get()
        .get::<User>(key("bob"))
        .get::<User>(key("cy"))
        .await
        .unwrap();
    assert_eq!(both.get::<User>(0).unwrap().map(|u| u.power), Some(5));
    assert_eq!(both.get::<User>(1).unwrap().map(|u| u.power), Some(6));
    m.delete::<User>(key("bob")).send().await.unwrap();
    m.delete::<User>(key("cy")).await.unwrap();
    assert!(load::<User>(&m, key("bob")).await.is_none());
    assert!(load::<User>(&m, key("cy")).await.is_none());
}

/// Two kinds of item in one table (a single-table design): an enum tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model)]
#[serde(tag = "kind")]
#[dynamodb(
    table = "mapper_library",
    hash_key = "shelf",
    range_key = "slot",
    version = "version"
)]
pub enum Holding {
    Book {
        shelf: String,
        slot: u32,
        title: String,
        pages: u32,
        #[serde(default)]
        version: u64,
    },
    #[serde(rename = "dvd")]
    Film {
        shelf: String,
        slot: u32,
        title: String,
        minutes: u32,
        #[serde(default)]
        version: u64,
    },
}

/// Polymorphic models: each item decodes as its own variant, the discriminator filters one
/// kind, the shared attributes have typed handles, versions and updates work on every variant,
/// and an item of a kind the model does not know is a conversion error, not a wrong value.
pub async fn polymorphic_models(m: Mapper) {
    assert_eq!(Holding::DISCRIMINATOR, Some("kind"));
    assert_eq!(Holding::VARIANTS, ["Book", "dvd"]);
    fresh::<Holding>(&m).await;
    let mut book = Holding::Book {
        shelf: "a".into(),
        slot: 1,
        title: "Dune".into(),
        pages: 412,
        version: 0,
    };
    let mut film = Holding::Film {
        shelf: "a".into(),
        slot: 2,
        title: "Alien".into(),
        minutes: 117,
        version: 0,
    };
    m.save(&mut book).await.unwrap();
    m.save(&mut film).await.unwrap();
    assert!(matches!(film, Holding::Film { version: 1, .. }), "{film:?}");
    let shelf = m
        .query::<Holding>("a")
        .consistent(true)
        .collect()
        .await
        .unwrap();
    assert_eq!(shelf, vec![book.clone(), film.clone()]);
    let f = Holding::fields();
    let films = m
        .query::<Holding>("a")
        .consistent(true)
        .filter(f.kind.eq("dvd"))
        .collect()
        .await
        .unwrap();
    assert_eq!(films, vec![film.clone()]);
    let titled = m
        .scan::<Holding>()
        .consistent(true)
        .filter(f.title.begins_with("Du"))
        .collect()
        .await
        .unwrap();
    assert_eq!(titled, vec![book.clone()]);
    let renamed = m
        .update(Update::<Holding>::new(Holding::key("a", 2)).set(f.title, "Aliens"))
        .await
        .unwrap();
    assert!(
        matches!(&renamed, Holding::Film { title, minutes: 117, version: 2, .. } if title == "Aliens"),
        "an update moves the version on: {renamed:?}"
    );
    // So the film read before the update (version 1) cannot silently undo it.
    assert!(m.save(&mut film).await.unwrap_err().is_conflict());
    m.client()
        .put_item()
        .table_name(m.table_name::<Holding>())
        .item("shelf", AttributeValue::S("a".into()))
        .item("slot", AttributeValue::N("3".into()))
        .item("kind", AttributeValue::S("vinyl".into()))
        .item("title", AttributeValue::S("Blue".into()))
        .send()
        .await
        .unwrap();
    let e = m
        .query::<Holding>("a")
        .consistent(true)
        .collect()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conversion(_)), "{e}");
    assert!(e.to_string().contains("vinyl"), "{e}");
}
