//! Exports to S3 and imports from S3: the jobs, and the files DynamoDB writes and reads.
//!
//! An export (ExportTableToPointInTime) writes a table as it was at a moment of its
//! point-in-time history, in DynamoDB's layout: `AWSDynamoDB/<export id>/data/*.json.gz` (or
//! `.ion.gz`), `manifest-files.json` listing them, `manifest-summary.json` describing the
//! export, an MD5 file beside each manifest, and `AWSDynamoDB/_started` marking the prefix.
//! An import (ImportTable) reads every object under a prefix, in DynamoDB JSON, Ion or CSV,
//! optionally gzip- or zstd-compressed, into a new table.
//!
//! Both are jobs: the emulator does the work when it is asked (so the outcome depends only on
//! the request and the store), and reports it `IN_PROGRESS` until the configured transient
//! delay (0 by default) has passed on its clock, then `COMPLETED` or `FAILED`, as DynamoDB
//! reports a job that takes minutes. Jobs are kept in memory, like backups.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html>

pub mod csv;
pub mod export;
pub mod import;
pub mod ion;

use crate::value::Item;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::io::Read;
use std::time::Duration;

/// How large one decompressed input object may be: a bound on what one object can make the
/// emulator hold (DynamoDB itself caps an import's objects at 50,000, not their size).
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// How large one record of an import may be in its text: an item is at most 400 KB by
/// DynamoDB's size rules, which its JSON (base64 binaries, type tags, escapes) can be several
/// times. A larger record is an error, and parsing never holds more than one such record.
pub const MAX_RECORD_BYTES: usize = 4 << 20;

/// Items per export data file.
pub const ITEMS_PER_FILE: usize = 100_000;

/// An export's or an import's record: its final description, and when it ends.
#[derive(Debug, Clone)]
pub struct Job {
    pub arn: String,
    pub table_arn: String,
    pub client_token: Option<String>,
    /// The request's parameters, to tell a retry from a conflicting reuse of its token.
    pub fingerprint: String,
    pub end: Duration,
    /// The description once the job is over (`COMPLETED` or `FAILED`).
    pub done: Value,
    /// Which status member the description has (`ExportStatus` or `ImportStatus`).
    status_member: &'static str,
}

impl Job {
    /// The job's description at `now`: while it runs, `IN_PROGRESS` without its results.
    pub fn at(&self, now: Duration) -> Value {
        if now >= self.end {
            return self.done.clone();
        }
        self.running()
    }

    /// The description while the job runs: `IN_PROGRESS`, without its results (the answer
    /// to the request that starts it, whatever the delay).
    pub fn running(&self) -> Value {
        let mut d = self.done.clone();
        if let Some(o) = d.as_object_mut() {
            for member in [
                "EndTime",
                "FailureCode",
                "FailureMessage",
                "ItemCount",
                "BilledSizeBytes",
                "ExportManifest",
                "ErrorCount",
                "ProcessedItemCount",
                "ImportedItemCount",
                "ProcessedSizeBytes",
            ] {
                o.remove(member);
            }
            o.insert(self.status_member.to_string(), json!("IN_PROGRESS"));
        }
        d
    }
}

/// The emulator's export and import jobs, each list in creation order.
#[derive(Debug, Default)]
pub struct Jobs {
    exports: Mutex<Vec<Job>>,
    imports: Mutex<Vec<Job>>,
}

/// Which list a job is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Export,
    Import,
}

impl Jobs {
    fn list(&self, kind: Kind) -> &Mutex<Vec<Job>> {
        match kind {
            Kind::Export => &self.exports,
            Kind::Import => &self.imports,
        }
    }

    /// Keeps a job.
    pub fn insert(&self, kind: Kind, job: Job) {
        self.list(kind).lock().push(job);
    }

    /// A job by ARN.
    pub fn get(&self, kind: Kind, arn: &str) -> Option<Job> {
        self.list(kind)
            .lock()
            .iter()
            .find(|j| j.arn == arn)
            .cloned()
    }

    /// The job started with this client token, if any.
    pub fn by_token(&self, kind: Kind, token: &str) -> Option<Job> {
        self.list(kind)
            .lock()
            .iter()
            .find(|j| j.client_token.as_deref() == Some(token))
            .cloned()
    }

    /// Every job, optionally only a table's, in creation order.
    pub fn all(&self, kind: Kind, table_arn: Option<&str>) -> Vec<Job> {
        self.list(kind)
            .lock()
            .iter()
            .filter(|j| table_arn.is_none_or(|t| j.table_arn == t))
            .cloned()
            .collect()
    }
}

impl Job {
    /// A job record.
    pub fn new(
        kind: Kind,
        arn: String,
        table_arn: String,
        client_token: Option<String>,
        fingerprint: String,
        end: Duration,
        done: Value,
    ) -> Job {
        Job {
            arn,
            table_arn,
            client_token,
            fingerprint,
            end,
            done,
            status_member: match kind {
                Kind::Export => "ExportStatus",
                Kind::Import => "ImportStatus",
            },
        }
    }
}

/// The formats an export writes and an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DynamoDbJson,
    Ion,
    Csv,
}

impl Format {
    /// The wire name.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "DYNAMODB_JSON" => Some(Format::DynamoDbJson),
            "ION" => Some(Format::Ion),
            "CSV" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// An import's compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// `data` decompressed, at most [`MAX_OBJECT_BYTES`].
pub fn decompress(data: &[u8], compression: Compression) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limit = MAX_OBJECT_BYTES + 1;
    let read = match compression {
        Compression::None => return Ok(data.to_vec()),
        Compression::Gzip => flate2::read::MultiGzDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out),
        Compression::Zstd => {
            // Every frame, one after another (concatenated .zst files are one stream);
            // skippable frames carry nothing.
            let mut rest = data;
            while !rest.is_empty() {
                let magic = rest
                    .get(..4)
                    .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
                if let Some(0x184D_2A50..=0x184D_2A5F) = magic {
                    let size = rest
                        .get(4..8)
                        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
                        .ok_or("a truncated skippable zstd frame")?;
                    rest = rest
                        .get(8 + size..)
                        .ok_or("a truncated skippable zstd frame")?;
                    continue;
                }
                let before = rest.len();
                let room = limit.saturating_sub(out.len() as u64);
                let decoded = ruzstd::decoding::StreamingDecoder::new(&mut rest)
                    .map_err(|e| format!("not zstd data: {e}"))
                    .and_then(|d| {
                        d.take(room)
                            .read_to_end(&mut out)
                            .map_err(|e| format!("cannot decompress the object: {e}"))
                    });
                decoded?;
                if rest.len() == before || out.len() as u64 > MAX_OBJECT_BYTES {
                    break;
                }
            }
            Ok(0)
        }
    };
    read.map_err(|e| format!("cannot decompress the object: {e}"))?;
    if out.len() as u64 > MAX_OBJECT_BYTES {
        return Err(format!(
            "the object decompresses to more than {MAX_OBJECT_BYTES} bytes"
        ));
    }
    Ok(out)
}

/// Gzips `data` (export data files are gzipped).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// MD5 of `data`, base64 (the manifests' `md5Checksum`) and hex (S3's ETag).
pub fn md5(data: &[u8]) -> (String, String) {
    use base64::Engine as _;
    use md5::Digest;
    let digest = md5::Md5::digest(data);
    (
        base64::engine::general_purpose::STANDARD.encode(digest),
        crate::server::auth::hex(&digest),
    )
}

/// One record of an input object: an item, or why it is not one.
pub type Record = Result<Item, String>;

/// The records of a DynamoDB JSON object: JSON objects one after another (DynamoDB reads
/// them with or without line breaks between), each `{"Item": {...}}`. A syntax error ends the
/// object (one error record).
pub fn dynamodb_json_records(text: &[u8], mut each: impl FnMut(Record)) {
    let mut at = 0;
    loop {
        while text.get(at).is_some_and(|c| c.is_ascii_whitespace()) {
            at += 1;
        }
        if at >= text.len() {
            return;
        }
        // Each record is parsed alone, after its extent is found and bounded.
        let end = match json_extent(&text[at..]) {
            Ok(n) => at + n,
            Err(e) => {
                each(Err(e));
                return;
            }
        };
        match serde_json::from_slice::<Value>(&text[at..end]) {
            Ok(v) => each(item_of(v)),
            Err(e) => {
                each(Err(format!("invalid JSON: {e}")));
                return;
            }
        }
        at = end;
    }
}

/// The length of the JSON value at the start of `text` (an object or array by its brackets,
/// strings skipped; a scalar up to the next delimiter), at most [`MAX_RECORD_BYTES`].
fn json_extent(text: &[u8]) -> Result<usize, String> {
    let too_long = || format!("a record longer than {MAX_RECORD_BYTES} bytes");
    let scalar = !matches!(text.first(), Some(b'{' | b'['));
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in text.iter().enumerate() {
        if i >= MAX_RECORD_BYTES {
            return Err(too_long());
        }
        if scalar {
            if c.is_ascii_whitespace() || matches!(c, b'{' | b'[' | b'}' | b']' | b',') {
                return Ok(i.max(1));
            }
            continue;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
    }
    Ok(text.len())
}

fn item_of(v: Value) -> Record {
    let Value::Object(mut o) = v else {
        return Err("a record is an object".to_string());
    };
    let Some(item) = o.remove("Item") else {
        return Err("a record has no Item".to_string());
    };
    if !o.is_empty() {
        return Err("a record holds only its Item".to_string());
    }
    let wire: std::collections::BTreeMap<String, crate::value::attribute::WireValue> =
        serde_json::from_value(item).map_err(|e| format!("invalid item: {e}"))?;
    crate::value::attribute::validate_map(wire).map_err(|e| e.message)
}

/// The records of an Ion object: `{Item:{...}}` values.
pub fn ion_records(text: &[u8], mut each: impl FnMut(Record)) {
    let Ok(text) = std::str::from_utf8(text) else {
        each(Err("Ion text is UTF-8".to_string()));
        return;
    };
    ion::read_values(text, |v| {
        each(v.and_then(|v| match v {
            crate::value::AttributeValue::M(mut wrapper) => match wrapper.remove("Item") {
                Some(crate::value::AttributeValue::M(item)) if wrapper.is_empty() => Ok(item),
                _ => Err("a record is {Item:{...}}".to_string()),
            },
            _ => Err("a record is a struct".to_string()),
        }))
    });
}

/// The records of a CSV object: `header` names the columns (else its first record does);
/// `types` gives the key attributes' types, everything else is a string; an empty field is
/// no attribute.
pub fn csv_records(
    text: &[u8],
    delimiter: char,
    header: Option<&[String]>,
    types: &dyn Fn(&str) -> Option<crate::value::ScalarType>,
    mut each: impl FnMut(Record),
) {
    use crate::value::{AttributeValue, Number, ScalarType};
    let Ok(text) = std::str::from_utf8(text) else {
        each(Err("CSV text is UTF-8".to_string()));
        return;
    };
    let mut names: Option<Vec<String>> = header.map(<[String]>::to_vec);
    let ended = csv::records(text, delimiter, |row| {
        let Some(names) = &names else {
            names = Some(row);
            return;
        };
        if row.len() > names.len() {
            each(Err(format!(
                "a record has {} fields, the header {}",
                row.len(),
                names.len()
            )));
            return;
        }
        let mut item = Item::new();
        let mut bad = None;
        for (name, field) in names.iter().zip(row) {
            if field.is_empty() {
                continue;
            }
            let v = match types(name) {
                Some(ScalarType::N) => match Number::parse(&field) {
                    Ok(n) => AttributeValue::N(n),
                    Err(_) => {
                        bad = Some(format!("{name}: {field:?} is not a number"));
                        break;
                    }
                },
                Some(ScalarType::B) => {
                    use base64::Engine as _;
                    match base64::engine::general_purpose::STANDARD.decode(&field) {
                        Ok(b) => AttributeValue::B(b),
                        Err(_) => {
                            bad = Some(format!("{name}: {field:?} is not base64"));
                            break;
                        }
                    }
                }
                _ => AttributeValue::S(field.into()),
            };
            item.insert(name.clone(), v);
        }
        each(match bad {
            Some(e) => Err(e),
            None => Ok(item),
        });
    });
    if let Err(e) = ended {
        each(Err(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(f: impl FnOnce(&mut dyn FnMut(Record))) -> Vec<Record> {
        let mut out = Vec::new();
        f(&mut |r| out.push(r));
        out
    }

    #[test]
    fn json_records_run_together_with_or_without_line_breaks() {
        let text = b"{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n{\"Item\":{\"pk\":{\"S\":\"b\"}}}{\"Item\":{\"pk\":{\"S\":\"c\"}}}\n{\"pk\":{\"S\":\"d\"}}\n{\"Item\":{\"pk\":{\"Q\":1}}}\n{oops";
        let r = collect(|each| dynamodb_json_records(text, each));
        let ok: Vec<bool> = r.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, true, true, false, false, false]);
    }

    #[test]
    fn csv_types_keys_and_leaves_the_rest_strings() {
        use crate::value::ScalarType;
        let types = |n: &str| (n == "id").then_some(ScalarType::N);
        let text = b"id,name,extra\n1,ann,\n2,bob,x\nq,carl,\n1,2,3,4\n";
        let r = collect(|each| csv_records(text, ',', None, &types, each));
        assert_eq!(r.len(), 4);
        let first = r[0].as_ref().unwrap();
        assert_eq!(first.len(), 2);
        assert!(matches!(
            first.get("id"),
            Some(crate::value::AttributeValue::N(_))
        ));
        assert!(r[2].is_err() && r[3].is_err());
        let header = ["id".to_string(), "name".to_string()];
        let r = collect(|each| csv_records(b"5;eve\n", ';', Some(&header), &types, each));
        assert_eq!(r.len(), 1);
        assert!(r[0].is_ok());
    }

    #[test]
    fn gzip_and_limits() {
        let data = gzip(b"hello");
        assert_eq!(decompress(&data, Compression::Gzip).unwrap(), b"hello");
        assert!(decompress(b"plain", Compression::Gzip).is_err());
        assert!(decompress(b"plain", Compression::Zstd).is_err());
        let (b64, hex) = md5(b"");
        assert_eq!(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(hex, "d41d8cd98f00b204e9800998ecf8427e");
    }
}
