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
    /// A change that is one of several a request makes together (a transaction, a restore, a
    /// load): it counts only if the group's [`Entry::GroupEnd`] is in the journal too.
    InGroup { g: u64, record: &'a Entry<'a> },
    /// The end of group `g`: every change of it is in the journal before this.
    GroupEnd { g: u64 },
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
    /// See [`Entry::InGroup`].
    InGroup { g: u64, record: Box<Record> },
    /// See [`Entry::GroupEnd`].
    GroupEnd { g: u64 },
}

/// The group a `GroupEnd` payload ends, read without decoding anything else.
pub fn group_end(payload: &[u8]) -> Option<u64> {
    let rest = payload.strip_prefix(b"{\"r\":\"GroupEnd\",\"g\":")?;
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
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

/// The payload of the intact frame at `at`, if one starts there.
fn intact_at(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let rest = &bytes[at..];
    let header = rest.get(..HEADER)?;
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    let payload = rest.get(HEADER..HEADER.checked_add(len)?)?;
    (len > 0 && len <= MAX_PAYLOAD && crc32fast::hash(payload) == crc).then_some(payload)
}

/// Reads frames one at a time from a file, holding one payload (at most [`MAX_PAYLOAD`]) in
/// memory rather than the file: recovery of a large journal costs no more memory than the
/// state it rebuilds.
pub struct FrameReader<R> {
    input: R,
    offset: u64,
    payload: Vec<u8>,
}

/// What [`FrameReader::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// An intact frame at this offset; its payload is [`FrameReader::payload`].
    Frame(u64),
    /// The end of the input, after intact frames.
    End,
    /// Not an intact frame at this offset: a torn write or corruption.
    Bad(u64),
}

impl<R: std::io::Read> FrameReader<R> {
    /// A reader from the start of `input`.
    pub fn new(input: R) -> Self {
        FrameReader {
            input,
            offset: 0,
            payload: Vec::new(),
        }
    }

    /// The payload of the frame [`FrameReader::next`] returned.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Reads up to `n` bytes into `buf` (fewer only at the end of the input).
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.input.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }

    /// The next frame.
    pub fn next(&mut self) -> std::io::Result<Next> {
        let at = self.offset;
        let mut header = [0u8; HEADER];
        match self.fill(&mut header)? {
            0 => return Ok(Next::End),
            HEADER => {}
            _ => return Ok(Next::Bad(at)),
        }
        let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
        // No record is empty: a zero length is a zero-filled tail (what some filesystems
        // show of a file's unwritten end after a power loss), not a frame.
        if len == 0 || len > MAX_PAYLOAD {
            return Ok(Next::Bad(at));
        }
        let mut payload = std::mem::take(&mut self.payload);
        payload.resize(len, 0);
        let got = self.fill(&mut payload)?;
        self.payload = payload;
        if got < len || crc32fast::hash(&self.payload) != crc {
            return Ok(Next::Bad(at));
        }
        self.offset += (HEADER + len) as u64;
        Ok(Next::Frame(at))
    }
}

/// Decodes a frame's payload.
pub fn decode(payload: &[u8]) -> Result<Record, String> {
    serde_json::from_slice(payload).map_err(|e| e.to_string())
}

/// Whether an intact, decodable frame starts anywhere after `at`: a bad frame followed by good
/// ones is corruption inside the journal, not a torn tail (only the tail is ever written to).
pub fn intact_after(bytes: &[u8], at: usize) -> Option<usize> {
    (at + 1..bytes.len()).find(|&i| intact_at(bytes, i).is_some_and(|p| decode(p).is_ok()))
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
        let next = buf.len();
        encode(&Entry::Reset, &mut buf);
        let end = buf.len();
        let mut r = FrameReader::new(&buf[..]);
        assert_eq!(r.next().unwrap(), Next::Frame(0));
        assert!(
            matches!(decode(r.payload()), Ok(Record::Clock { at }) if at == Duration::from_millis(5))
        );
        assert_eq!(r.next().unwrap(), Next::Frame(next as u64));
        assert!(matches!(decode(r.payload()), Ok(Record::Reset)));
        assert_eq!(r.next().unwrap(), Next::End);
        // A torn tail: the last frame cut short, at every length, with nothing intact after.
        for cut in next + 1..end {
            let mut r = FrameReader::new(&buf[..cut]);
            assert_eq!(r.next().unwrap(), Next::Frame(0));
            assert_eq!(r.next().unwrap(), Next::Bad(next as u64));
            assert_eq!(intact_after(&buf[..cut], next), None);
        }
        // A flipped bit in the first payload: bad, with an intact frame after it.
        let mut damaged = buf.clone();
        damaged[HEADER + 2] ^= 0x20;
        assert_eq!(FrameReader::new(&damaged[..]).next().unwrap(), Next::Bad(0));
        assert_eq!(intact_after(&damaged, 0), Some(next));
        // A length past the maximum is damage, not a reason to allocate.
        let mut huge = buf.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(FrameReader::new(&huge[..]).next().unwrap(), Next::Bad(0));
        // A zero-filled tail (a power loss on some filesystems) is no frame, and nothing
        // intact follows it: a torn tail.
        let zeros = [0u8; 64];
        assert_eq!(FrameReader::new(&zeros[..]).next().unwrap(), Next::Bad(0));
        assert_eq!(intact_after(&zeros, 0), None);
        // The cheap reader of group ends agrees with the encoder.
        let mut end = Vec::new();
        encode(&Entry::GroupEnd { g: 1234 }, &mut end);
        assert_eq!(group_end(&end[HEADER..]), Some(1234));
    }
}
