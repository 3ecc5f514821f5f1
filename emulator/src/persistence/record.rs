//! What the journal holds: one record per committed change, framed so a torn or corrupt tail
//! is detected rather than misread.
//!
//! A frame is `[payload length: u32 LE][CRC-32 of the payload: u32 LE][payload]`; the payload
//! is JSON (items in DynamoDB JSON, the format of DynamoDB's own S3 exports), so a journal can
//! be read with `jq` when something looks wrong. Item records carry the time of the change,
//! so a replay puts every write back at its own time: streams, TTL and partition splits come
//! out as they were.

use crate::storage::TableDefinition;
use crate::value::Item;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Bytes before a frame's payload.
pub const HEADER: usize = 8;

/// The largest payload a frame may announce: far above any record (an item is at most
/// 400 KB, a definition a few KB), so a larger length is corruption, not a record.
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// A change, as written (borrowing what it records, so the write path copies nothing).
#[derive(Serialize)]
#[serde(tag = "r")]
pub enum Entry<'a> {
    /// A table created, or its definition changed: the whole definition, the seed of its
    /// replicas' RNG, and when its enabled stream started.
    Table {
        def: &'a TableDefinition,
        seed: u64,
        stream_since: Option<Duration>,
        at: Duration,
    },
    /// A table deleted.
    Drop { id: &'a str, at: Duration },
    /// Every table deleted (the control API's Reset).
    Reset,
    /// An item stored (created or replaced) at `at`.
    Put {
        table: &'a str,
        at: Duration,
        item: &'a Item,
    },
    /// An item deleted at `at`; `ttl` when DynamoDB's TTL process deleted it.
    Delete {
        table: &'a str,
        at: Duration,
        key: &'a Item,
        ttl: bool,
    },
    /// The virtual clock moved to `at`.
    Clock { at: Duration },
    /// First record of a snapshot: the logs from generation `log_from` on follow it.
    Snapshot { log_from: u64, at: Duration },
    /// An item as a snapshot holds it (no change of its own: no stream record on replay).
    Item { table: &'a str, item: &'a Item },
}

/// A change, as read back.
#[derive(Deserialize, Debug)]
#[serde(tag = "r")]
pub enum Record {
    /// See [`Entry::Table`].
    Table {
        def: Box<TableDefinition>,
        seed: u64,
        stream_since: Option<Duration>,
        at: Duration,
    },
    /// See [`Entry::Drop`].
    Drop { id: String, at: Duration },
    /// See [`Entry::Reset`].
    Reset,
    /// See [`Entry::Put`].
    Put {
        table: String,
        at: Duration,
        item: Item,
    },
    /// See [`Entry::Delete`].
    Delete {
        table: String,
        at: Duration,
        key: Item,
        ttl: bool,
    },
    /// See [`Entry::Clock`].
    Clock { at: Duration },
    /// See [`Entry::Snapshot`].
    Snapshot { log_from: u64, at: Duration },
    /// See [`Entry::Item`].
    Item { table: String, item: Item },
}

/// Appends one framed entry to `out`.
pub fn encode(entry: &Entry<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    serde_json::to_writer(&mut *out, entry).expect("a record serialises");
    let len = (out.len() - start - HEADER) as u32;
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
}

/// What is at an offset of a journal file.
#[derive(Debug)]
pub enum Frame<'a> {
    /// A whole, intact frame: its payload and the offset after it.
    Intact(&'a [u8], usize),
    /// The end of the file.
    End,
    /// Something that is not an intact frame: a torn write or corruption.
    Bad,
}

/// Reads the frame at `at`.
pub fn frame(bytes: &[u8], at: usize) -> Frame<'_> {
    let rest = &bytes[at..];
    if rest.is_empty() {
        return Frame::End;
    }
    if rest.len() < HEADER {
        return Frame::Bad;
    }
    let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(rest[4..HEADER].try_into().expect("4 bytes"));
    if len > MAX_PAYLOAD || rest.len() < HEADER + len {
        return Frame::Bad;
    }
    let payload = &rest[HEADER..HEADER + len];
    if crc32fast::hash(payload) != crc {
        return Frame::Bad;
    }
    Frame::Intact(payload, at + HEADER + len)
}

/// Decodes a frame's payload.
pub fn decode(payload: &[u8]) -> Result<Record, String> {
    serde_json::from_slice(payload).map_err(|e| e.to_string())
}

/// Whether an intact, decodable frame starts anywhere after `at`: a bad frame followed by good
/// ones is corruption inside the journal, not a torn tail (only the tail is ever written to).
pub fn intact_after(bytes: &[u8], at: usize) -> Option<usize> {
    (at + 1..bytes.len())
        .find(|&i| matches!(frame(bytes, i), Frame::Intact(p, _) if decode(p).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_damage_is_detected() {
        let mut buf = Vec::new();
        encode(
            &Entry::Clock {
                at: Duration::from_millis(5),
            },
            &mut buf,
        );
        encode(&Entry::Reset, &mut buf);
        let Frame::Intact(p, next) = frame(&buf, 0) else {
            panic!("first frame")
        };
        assert!(matches!(decode(p), Ok(Record::Clock { at }) if at == Duration::from_millis(5)));
        let Frame::Intact(p, end) = frame(&buf, next) else {
            panic!("second frame")
        };
        assert!(matches!(decode(p), Ok(Record::Reset)));
        assert!(matches!(frame(&buf, end), Frame::End));
        // A torn tail: the last frame cut short, at every length.
        for cut in next + 1..end {
            assert!(matches!(frame(&buf[..cut], next), Frame::Bad));
        }
        // A flipped bit in the first payload: bad, with an intact frame after it.
        let mut damaged = buf.clone();
        damaged[HEADER + 2] ^= 0x20;
        assert!(matches!(frame(&damaged, 0), Frame::Bad));
        assert_eq!(intact_after(&damaged, 0), Some(next));
        assert_eq!(intact_after(&buf[..end - 1], next), None);
    }
}
