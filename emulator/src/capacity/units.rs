//! Read and write units by DynamoDB's rounding rules.

use super::Split;
use serde_json::Value;

/// Read units for `bytes` read in one item (or one Query/Scan page): 4 KB units rounded up,
/// half for an eventually consistent read.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for writing an item of `bytes` (the larger of old and new for updates/deletes):
/// 1 KB units rounded up.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// The `ConsumedCapacity` member for table-only costs.
pub fn consumed(table: &str, units: f64, mode: Option<&str>, split: Split) -> Option<Value> {
    super::Consumed::table(units).to_json(table, mode, split)
}

/// The `ConsumedCapacity` list of a request over several tables (batches, transactions): one
/// entry per table, in table-name order, when TOTAL or INDEXES is asked.
pub fn consumed_list(
    per_table: &std::collections::BTreeMap<String, f64>,
    mode: Option<&str>,
    split: Split,
) -> Option<Value> {
    match mode {
        Some("TOTAL") | Some("INDEXES") => Some(Value::Array(
            per_table
                .iter()
                .filter_map(|(t, u)| consumed(t, *u, mode, split))
                .collect(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documented examples: a 3.9 KB item is one read unit, 4.1 KB is two; eventual reads half;
    /// a 1.5 KB write is two units.
    #[test]
    fn rounding() {
        assert_eq!(read_units(1, true), 1.0);
        assert_eq!(read_units(3994, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4198, true), 2.0);
        assert_eq!(read_units(4198, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1536), 2.0);
        assert_eq!(write_units(0), 1.0);
    }
}
