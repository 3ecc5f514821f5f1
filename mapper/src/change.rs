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
