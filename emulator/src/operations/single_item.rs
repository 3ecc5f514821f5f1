//! What the four single-item operations share: their response and the `ReturnValues` they
//! accept.

use crate::storage::{StoredKey, Table};
use crate::value::Item;
use serde::Serialize;
use serde_json::Value;

/// The response of every single-item operation: only the members that apply are present.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ItemOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<Value>,
}

/// `ReturnValues`: which attributes a write returns. PutItem and DeleteItem accept only NONE
/// and ALL_OLD; UpdateItem all five.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReturnValues {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

impl ReturnValues {
    /// The member's value, already checked against the enum set (absent: NONE).
    pub fn parse(v: Option<&str>) -> ReturnValues {
        match v {
            Some("ALL_OLD") => ReturnValues::AllOld,
            Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
            Some("ALL_NEW") => ReturnValues::AllNew,
            Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
            _ => ReturnValues::None,
        }
    }
}

/// The response members every single-item write takes from its request.
pub(super) struct WriteOptions {
    pub table: String,
    pub return_values: ReturnValues,
    /// `ReturnConsumedCapacity` (checked: TOTAL, INDEXES or NONE; absent is NONE).
    pub return_consumed_capacity: Option<String>,
    /// `ReturnItemCollectionMetrics` SIZE.
    pub collection_metrics: bool,
    /// `ReturnValuesOnConditionCheckFailure` ALL_OLD.
    pub old_on_condition_failure: bool,
}

impl WriteOptions {
    /// `ItemCollectionMetrics` when asked (`SIZE`) and the table has LSIs.
    pub fn collection_metrics(&self, t: &Table, key: &StoredKey) -> Option<Value> {
        if self.collection_metrics {
            t.collection_metrics(key)
        } else {
            None
        }
    }

    /// `ConsumedCapacity` of a write, by table and index when asked.
    pub fn consumed(&self, cost: &crate::capacity::Consumed) -> Option<Value> {
        cost.to_json(&self.table, self.return_consumed_capacity.as_deref(), false)
    }
}

impl WriteOptions {
    /// The options of a request whose members have passed their constraints; `table` is its
    /// (checked) TableName.
    pub fn new(
        members: super::validate::Common<'_>,
        table: Option<String>,
    ) -> crate::error::Result<WriteOptions> {
        let table = crate::error::Constraints::new().finish(table)?;
        Ok(WriteOptions {
            table,
            return_values: ReturnValues::parse(members.return_values),
            return_consumed_capacity: members.return_consumed_capacity.map(str::to_string),
            collection_metrics: members.return_item_collection_metrics == Some("SIZE"),
            old_on_condition_failure: members.return_values_on_condition_check_failure
                == Some("ALL_OLD"),
        })
    }
}
