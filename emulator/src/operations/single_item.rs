//! What the four single-item operations share: their response and the `ReturnValues` they
//! accept.

use crate::capacity::Split;
use crate::storage::StoredKey;
use crate::table::Table;
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
        cost.to_json(
            &self.table,
            self.return_consumed_capacity.as_deref(),
            Split::None,
        )
    }
}

impl WriteOptions {
    /// The options of a request whose members have passed their constraints.
    pub fn new(
        table: Option<String>,
        return_values: Option<&str>,
        return_consumed_capacity: Option<String>,
        return_item_collection_metrics: Option<&str>,
        return_values_on_condition_check_failure: Option<&str>,
    ) -> crate::error::Result<WriteOptions> {
        Ok(WriteOptions {
            table: crate::error::Constraints::new().finish(table)?,
            return_values: ReturnValues::parse(return_values),
            return_consumed_capacity,
            collection_metrics: return_item_collection_metrics == Some("SIZE"),
            old_on_condition_failure: return_values_on_condition_check_failure == Some("ALL_OLD"),
        })
    }
}

/// The [`WriteOptions`] of a single-item write's wire input, taking its strings (call it once
/// the input's members have been validated).
macro_rules! write_options {
    ($input:expr) => {
        $crate::operations::single_item::WriteOptions::new(
            $input.table_name,
            $input.return_values.as_deref(),
            $input.return_consumed_capacity,
            $input.return_item_collection_metrics.as_deref(),
            $input.return_values_on_condition_check_failure.as_deref(),
        )
    };
}
pub(super) use write_options;
