//! Stream records as changes of a model: what a change-data-capture consumer (an outbox
//! relay, a Lambda-style handler, a projection builder) reads from DynamoDB Streams.
//!
//! A record carries the item's keys and, as the stream's view type asks, its image before and
//! after the change. [`Change::from_record`] decodes both images into the model that wrote
//! them (migrating images an older schema version wrote, as reads do).

use crate::error::{Error, Result};
use crate::model::{from_raw, Item, Model};
use aws_sdk_dynamodbstreams::types::{OperationType, Record};

/// What the change did to the item.
///
/// DynamoDB Streams names it by the operation's effect, not its API call: a PutItem that
/// replaces an item is a `Modify`, an UpdateItem that creates one an `Insert`.
///
/// ```
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// use aws_sdk_dynamodbstreams::types::{OperationType, Record};
/// use dynamodb_mapper::{Change, ChangeKind};
/// # use aws_sdk_dynamodbstreams::types::{AttributeValue as V, StreamRecord};
/// # let image = StreamRecord::builder()
/// #     .new_image("name", V::S("ann".into()))
/// #     .new_image("age", V::N("41".into()))
/// #     .build();
/// // A record from GetRecords (or a Lambda event) of the `users` table:
/// let record = Record::builder().event_name(OperationType::Insert).dynamodb(image).build();
/// let change = Change::<User>::from_record(&record)?;
/// let event = match change.kind {
///     ChangeKind::Insert => "user.created",
///     ChangeKind::Modify => "user.updated",
///     ChangeKind::Remove => "user.deleted",
/// };
/// assert_eq!(event, "user.created");
/// # Ok::<(), dynamodb_mapper::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new item.
    Insert,
    /// An item replaced or updated.
    Modify,
    /// An item deleted.
    Remove,
}

/// One change of a model's item.
///
/// Which images a record carries depends on the table's stream view type
/// ([`CreateTable::stream`](crate::CreateTable::stream)); items that time to live deletes
/// arrive as removals made by the DynamoDB service itself, which `by_ttl` tells apart.
///
/// ```
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// use aws_sdk_dynamodbstreams::types::{Identity, OperationType, Record};
/// use dynamodb_mapper::{Change, ChangeKind};
/// # use aws_sdk_dynamodbstreams::types::{AttributeValue as V, StreamRecord};
/// # let old_image = StreamRecord::builder()
/// #     .old_image("name", V::S("ann".into()))
/// #     .old_image("age", V::N("41".into()))
/// #     .build();
/// // Time to live deleting an item: a REMOVE whose principal is the DynamoDB service.
/// let ttl = Identity::builder().principal_id("dynamodb.amazonaws.com").r#type("Service");
/// let record = Record::builder()
///     .event_name(OperationType::Remove)
///     .user_identity(ttl.build())
///     .dynamodb(old_image)
///     .build();
/// let change = Change::<User>::from_record(&record)?;
/// assert_eq!((change.kind, change.by_ttl), (ChangeKind::Remove, true));
/// assert_eq!((change.new.is_none(), change.old.map(|u| u.age)), (true, Some(41)));
/// # Ok::<(), dynamodb_mapper::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Change<M> {
    /// What the change did.
    pub kind: ChangeKind,
    /// The item after the change (NEW_IMAGE and NEW_AND_OLD_IMAGES streams; not for a
    /// REMOVE).
    pub new: Option<M>,
    /// The item before the change (OLD_IMAGE and NEW_AND_OLD_IMAGES streams; not for an
    /// INSERT).
    pub old: Option<M>,
    /// The record's sequence number (increasing within its shard).
    pub sequence_number: Option<String>,
    /// Whether DynamoDB's TTL process made the change rather than a caller.
    pub by_ttl: bool,
}

fn image<M: Model>(
    image: Option<
        &std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
    >,
) -> Result<Option<M>> {
    let Some(image) = image else { return Ok(None) };
    let neutral: serde_dynamo::Item = image.clone().into();
    let raw: Item = neutral.into();
    from_raw(raw).map(Some)
}

impl<M: Model> Change<M> {
    /// Decodes a record of `M`'s table (from GetRecords).
    pub fn from_record(record: &Record) -> Result<Change<M>> {
        let kind = match record.event_name() {
            Some(OperationType::Insert) => ChangeKind::Insert,
            Some(OperationType::Modify) => ChangeKind::Modify,
            Some(OperationType::Remove) => ChangeKind::Remove,
            other => {
                return Err(Error::Expression(format!(
                    "not a stream record of an item change: {other:?}"
                )))
            }
        };
        let data = record.dynamodb();
        Ok(Change {
            kind,
            new: image(data.and_then(|d| d.new_image()))?,
            old: image(data.and_then(|d| d.old_image()))?,
            sequence_number: data.and_then(|d| d.sequence_number()).map(str::to_string),
            by_ttl: record
                .user_identity()
                .is_some_and(|u| u.principal_id() == Some("dynamodb.amazonaws.com")),
        })
    }
}
