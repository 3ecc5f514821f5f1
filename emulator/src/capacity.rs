//! Capacity units as DynamoDB charges them (the base rules; throttling and per-index breakdowns
//! come with the capacity model).
//!
//! A read costs one unit per 4 KB of item read (rounded up), half for an eventually consistent
//! read; a write costs one unit per 1 KB (rounded up) of the larger of the old and new item. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html>.

use serde_json::{json, Value};

/// Read units for `bytes` read in one item (or one Query/Scan page).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for writing an item of `bytes` (the larger of old and new for updates/deletes).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// The `ConsumedCapacity` member for `ReturnConsumedCapacity` TOTAL or INDEXES.
pub fn consumed(table: &str, units: f64, mode: Option<&str>, read: bool) -> Option<Value> {
    match mode {
        Some("TOTAL") => Some(json!({"TableName": table, "CapacityUnits": units})),
        Some("INDEXES") => {
            let key = if read {
                "ReadCapacityUnits"
            } else {
                "WriteCapacityUnits"
            };
            Some(json!({
                "TableName": table,
                "CapacityUnits": units,
                key: units,
                "Table": {"CapacityUnits": units, key: units},
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(read_units(1, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(0), 1.0);
    }
}
