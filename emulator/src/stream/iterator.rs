//! Shard iterators: where a reader stands in a shard, as an opaque string.
//!
//! DynamoDB's iterators begin with the stream's ARN, then `|1|` and an opaque token; they
//! expire 15 minutes after they were issued. The emulator's token is the shard, the next
//! sequence number to read and the issue time (on the emulator's clock), base64-encoded, so an
//! iterator is self-contained and the same under the same seed and clock.

use base64::Engine as _;
use std::time::Duration;

/// How long an iterator may be used after it was issued.
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A decoded shard iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardIterator {
    /// The stream's ARN.
    pub stream_arn: String,
    /// The shard.
    pub shard_id: String,
    /// The next sequence number to read.
    pub position: u64,
    /// When it was issued, in milliseconds on the emulator's clock.
    pub issued_ms: u64,
}

impl ShardIterator {
    /// The wire form.
    pub fn encode(&self) -> String {
        let token = format!("{}|{}|{}", self.shard_id, self.position, self.issued_ms);
        format!(
            "{}|1|{}",
            self.stream_arn,
            base64::engine::general_purpose::STANDARD.encode(token)
        )
    }

    /// An iterator from its wire form; None if it is not one the emulator issued.
    pub fn decode(s: &str) -> Option<ShardIterator> {
        let (arn, token) = s.rsplit_once("|1|")?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let mut parts = text.split('|');
        let (shard, position, issued) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !arn.contains("/stream/") {
            return None;
        }
        Some(ShardIterator {
            stream_arn: arn.to_string(),
            shard_id: shard.to_string(),
            position: position.parse().ok()?,
            issued_ms: issued.parse().ok()?,
        })
    }

    /// Whether it has expired at `now`.
    pub fn expired(&self, now: Duration) -> bool {
        now.as_millis() > (self.issued_ms as u128) + LIFETIME.as_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_garbage_is_refused() {
        let it = ShardIterator {
            stream_arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"
                    .into(),
            shard_id: "shardId-00000000000000000001-0badf00d".into(),
            position: 7,
            issued_ms: 1_000,
        };
        let s = it.encode();
        assert!(s.starts_with(&it.stream_arn));
        assert_eq!(ShardIterator::decode(&s), Some(it.clone()));
        assert_eq!(ShardIterator::decode("garbage"), None);
        assert_eq!(
            ShardIterator::decode(&format!("{}|1|!!", it.stream_arn)),
            None
        );
        assert!(!it.expired(Duration::from_millis(1_000) + LIFETIME));
        assert!(it.expired(Duration::from_millis(1_001) + LIFETIME));
    }
}
