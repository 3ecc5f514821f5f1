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
    /// NONE or absent). `read` picks ReadCapacityUnits vs WriteCapacityUnits.
    pub fn to_json(&self, table: &str, mode: Option<&str>, read: bool) -> Option<Value> {
        let unit_key = if read {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        };
        let figure = |u: f64| json!({ "CapacityUnits": u, unit_key: u });
        match mode {
            Some("TOTAL") => Some(json!({ "TableName": table, "CapacityUnits": self.total() })),
            Some("INDEXES") => {
                let mut v = json!({
                    "TableName": table,
                    "CapacityUnits": self.total(),
                    unit_key: self.total(),
                    "Table": figure(self.table),
                });
                if !self.gsis.is_empty() {
                    v["GlobalSecondaryIndexes"] = Value::Object(
                        self.gsis
                            .iter()
                            .map(|(k, u)| (k.clone(), figure(*u)))
                            .collect::<Map<_, _>>(),
                    );
                }
                if !self.lsis.is_empty() {
                    v["LocalSecondaryIndexes"] = Value::Object(
                        self.lsis
                            .iter()
                            .map(|(k, u)| (k.clone(), figure(*u)))
                            .collect::<Map<_, _>>(),
                    );
                }
                Some(v)
            }
            _ => None,
        }
    }
}
