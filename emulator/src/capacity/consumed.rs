//! The `ConsumedCapacity` of one request, with its table and index breakdown.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Units one request consumed on a table and its indexes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    pub table: f64,
    pub gsis: BTreeMap<String, f64>,
    pub lsis: BTreeMap<String, f64>,
}

impl Consumed {
    pub fn table(units: f64) -> Consumed {
        Consumed {
            table: units,
            ..Default::default()
        }
    }

    pub fn total(&self) -> f64 {
        self.table + self.gsis.values().sum::<f64>() + self.lsis.values().sum::<f64>()
    }

    /// Multiplies every figure (transactions cost twice).
    pub fn scaled(mut self, by: f64) -> Consumed {
        self.table *= by;
        self.gsis.values_mut().for_each(|v| *v *= by);
        self.lsis.values_mut().for_each(|v| *v *= by);
        self
    }

    /// The `ConsumedCapacity` member for `ReturnConsumedCapacity` TOTAL or INDEXES (None for
    /// NONE or absent). `split` says whether the read or write figure accompanies
    /// `CapacityUnits`: the service adds it for transactions only (moto's AWS-verified
    /// transaction tests); item reads and writes, queries, scans and batches carry
    /// `CapacityUnits` alone, in the total, the table and each index (dynalite's recorded
    /// bodies and moto's AWS-verified capacity tests).
    pub fn to_json(&self, table: &str, mode: Option<&str>, split: Split) -> Option<Value> {
        let figure = |u: f64| {
            let mut v = json!({ "CapacityUnits": u });
            if let Some(key) = split.key() {
                v[key] = json!(u);
            }
            v
        };
        let mut v = match mode {
            Some("TOTAL") | Some("INDEXES") => figure(self.total()),
            _ => return None,
        };
        v["TableName"] = json!(table);
        if mode == Some("INDEXES") {
            v["Table"] = figure(self.table);
            for (member, indexes) in [
                ("GlobalSecondaryIndexes", &self.gsis),
                ("LocalSecondaryIndexes", &self.lsis),
            ] {
                if !indexes.is_empty() {
                    v[member] = Value::Object(
                        indexes
                            .iter()
                            .map(|(k, u)| (k.clone(), figure(*u)))
                            .collect::<Map<_, _>>(),
                    );
                }
            }
        }
        Some(v)
    }
}

/// Whether a `ConsumedCapacity` names its units as read or write units besides
/// `CapacityUnits` (transactions do; everything else gives `CapacityUnits` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// `CapacityUnits` only.
    None,
    /// `CapacityUnits` and `ReadCapacityUnits`.
    Read,
    /// `CapacityUnits` and `WriteCapacityUnits`.
    Write,
}

impl Split {
    fn key(self) -> Option<&'static str> {
        match self {
            Split::None => None,
            Split::Read => Some("ReadCapacityUnits"),
            Split::Write => Some("WriteCapacityUnits"),
        }
    }
}
