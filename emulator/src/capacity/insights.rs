//! CloudWatch Contributor Insights for DynamoDB: which keys are accessed most, and which are
//! throttled most.
//!
//! With insights enabled on a table, DynamoDB's rules count, per partition key (and per full
//! key when the table has a sort key), the item reads and writes it admits and the ones it
//! throttles; CloudWatch shows the top contributors. The emulator knows every access, so it
//! counts them exactly, from the moment insights are enabled, and reports the top keys through
//! the control API (`Emulator.ContributorInsights`). Counted: the item operations (GetItem,
//! PutItem, UpdateItem, DeleteItem, their batch and transaction forms); Query and Scan read
//! ranges, not items, and are not.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/contributorinsights_HowItWorks.html>

use crate::storage::key::{KeyValue, StoredKey};
use base64::Engine as _;
use std::collections::HashMap;

/// Distinct keys each counter tracks: past it, new keys are counted only in the total of
/// untracked accesses, so a table with millions of keys cannot grow the counters without
/// bound (a CloudWatch rule reports only the top contributors too).
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// The four counters of a table's rules: accessed and throttled, by partition key and by full
/// key.
#[derive(Debug, Default)]
pub struct KeyCounts {
    accessed_partition: Counter,
    throttled_partition: Counter,
    accessed_key: Counter,
    throttled_key: Counter,
}

#[derive(Debug, Default)]
struct Counter {
    counts: HashMap<String, u64>,
    untracked: u64,
}

impl Counter {
    fn add(&mut self, key: String) {
        let full = self.counts.len() >= MAX_TRACKED_KEYS;
        match self.counts.get_mut(&key) {
            Some(n) => *n += 1,
            None if full => self.untracked += 1,
            None => {
                self.counts.insert(key, 1);
            }
        }
    }

    /// The `limit` largest counts, largest first (ties by key, so reports are deterministic).
    fn top(&self, limit: usize) -> serde_json::Value {
        let mut all: Vec<(&String, &u64)> = self.counts.iter().collect();
        all.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<serde_json::Value> = all
            .into_iter()
            .take(limit)
            .map(|(k, n)| serde_json::json!({ "Key": k, "Count": n }))
            .collect();
        serde_json::json!({ "Top": top, "DistinctKeys": self.counts.len(), "Untracked": self.untracked })
    }
}

impl KeyCounts {
    /// Counts one item access of `key`, throttled or not.
    pub fn record(&mut self, key: &StoredKey, throttled: bool) {
        let partition = render(&key.hash);
        let full = key
            .range
            .as_ref()
            .map(|r| format!("{partition} | {}", render(r)));
        if throttled {
            self.throttled_partition.add(partition.clone());
            if let Some(f) = full.clone() {
                self.throttled_key.add(f);
            }
        }
        self.accessed_partition.add(partition);
        if let Some(f) = full {
            self.accessed_key.add(f);
        }
    }

    /// The top `limit` of each counter, named as DynamoDB's rules are (PKC, PKT, SKC, SKT).
    pub fn report(&self, limit: usize, sort_key: bool) -> serde_json::Value {
        let mut out = serde_json::json!({
            "MostAccessedPartitionKeys": self.accessed_partition.top(limit),
            "MostThrottledPartitionKeys": self.throttled_partition.top(limit),
        });
        if sort_key {
            out["MostAccessedKeys"] = self.accessed_key.top(limit);
            out["MostThrottledKeys"] = self.throttled_key.top(limit);
        }
        out
    }
}

/// A key value as CloudWatch shows it: the string, the number, base64 for binary.
fn render(v: &KeyValue) -> String {
    match v {
        KeyValue::S(s) => s.to_string(),
        KeyValue::N(n) => n.to_string(),
        KeyValue::B(b) => base64::engine::general_purpose::STANDARD.encode(b),
        KeyValue::Tuple(parts) => parts.iter().map(render).collect::<Vec<_>>().join(" | "),
        KeyValue::Max => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(h: &str, r: Option<&str>) -> StoredKey {
        StoredKey {
            token: 0,
            hash: KeyValue::S(h.into()),
            range: r.map(|r| KeyValue::S(r.into())),
        }
    }

    #[test]
    fn counts_rank_keys_and_stop_growing_at_the_bound() {
        let mut c = KeyCounts::default();
        for _ in 0..3 {
            c.record(&key("hot", Some("1")), false);
        }
        c.record(&key("hot", Some("2")), true);
        c.record(&key("cold", Some("1")), false);
        let r = c.report(1, true);
        assert_eq!(r["MostAccessedPartitionKeys"]["Top"][0]["Key"], "hot");
        assert_eq!(r["MostAccessedPartitionKeys"]["Top"][0]["Count"], 4);
        assert_eq!(r["MostAccessedPartitionKeys"]["DistinctKeys"], 2);
        assert_eq!(r["MostThrottledKeys"]["Top"][0]["Key"], "hot | 2");
        assert_eq!(r["MostAccessedKeys"]["Top"][0]["Key"], "hot | 1");
        let mut bounded = Counter::default();
        for i in 0..MAX_TRACKED_KEYS + 5 {
            bounded.add(i.to_string());
        }
        bounded.add("0".into());
        assert_eq!(bounded.counts.len(), MAX_TRACKED_KEYS);
        assert_eq!((bounded.untracked, bounded.counts["0"]), (5, 2));
    }
}
