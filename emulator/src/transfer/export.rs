//! Writing an export: DynamoDB's layout of objects under `[prefix/]AWSDynamoDB/<export id>/`.
//!
//! First an empty `_started` marker (which is how a missing bucket or a denied write shows
//! before any data), then gzipped data files of DynamoDB JSON or Ion lines (an incremental
//! export's go to the `data/` folder its exports share), then `manifest-files.json` (a line per
//! data file: its item count, MD5, ETag and key) and `manifest-summary.json`, each with an
//! `.md5` file holding the base64 MD5 of its bytes, as real exports have them.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html>

use super::ITEMS_PER_FILE;
use crate::value::{item_size, Item};
use serde_json::{json, Value};
use std::time::Duration;

/// `2020-11-04T07:28:34.028Z`, the manifests' time format.
pub fn iso(t: Duration) -> String {
    format!("{}Z", crate::clock::iso8601(t))
}

/// Seconds since the epoch (a request's time member) as a duration, clamped to the clock's range.
pub fn seconds_of(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(crate::clock::MAX_TIME)
}

/// What an export writes: a full export's items, or an incremental export's change lines.
pub enum Lines {
    /// The items at the export time.
    Full(Vec<Item>),
    /// `{Metadata, Keys, NewImage, OldImage}` lines.
    Incremental(Vec<Value>),
}

impl Lines {
    /// How many lines.
    pub fn len(&self) -> usize {
        match self {
            Lines::Full(v) => v.len(),
            Lines::Incremental(v) => v.len(),
        }
    }
}

/// Where an export's objects go.
pub struct Files<'a> {
    pub bucket: &'a str,
    /// `[prefix/]AWSDynamoDB`.
    pub root: String,
    pub export_id: &'a str,
    pub ion: bool,
}

/// What an export wrote: items, billed bytes and the summary manifest's key.
pub struct Written {
    pub items: usize,
    pub bytes: u64,
    pub manifest: String,
}

impl Files<'_> {
    /// Writes the marker, the data files, both manifests and their MD5 files, in that order
    /// (so a failed write leaves no manifest naming missing data).
    pub fn write(
        &self,
        engine: &crate::engine::Engine,
        lines: &Lines,
        d: &Value,
        start: Duration,
        export_time: Option<Duration>,
    ) -> std::result::Result<Written, crate::object_store::StoreError> {
        let store = &engine.options.object_store;
        let dir = format!("{}/{}", self.root, self.export_id);
        // DynamoDB first writes a marker, which is how a missing bucket or a denied write
        // shows before any data.
        store.put(self.bucket, &format!("{dir}/_started"), b"")?;
        let incremental = matches!(lines, Lines::Incremental(_));
        // An incremental export's data goes to a folder its exports share.
        let data = if incremental {
            format!("{}/data", self.root)
        } else {
            format!("{dir}/data")
        };
        let ext = if self.ion { "ion.gz" } else { "json.gz" };
        let mut manifest_files = String::new();
        let mut bytes = 0u64;
        let count = lines.len();
        let mut written = 0;
        while written < count || (written == 0 && count == 0) {
            let end = (written + ITEMS_PER_FILE).min(count);
            let mut text = String::new();
            for n in written..end {
                match lines {
                    Lines::Full(items) => {
                        bytes += item_size(&items[n]) as u64;
                        if self.ion {
                            crate::transfer::ion::write_line(&items[n], &mut text);
                        } else {
                            text.push_str("{\"Item\":");
                            text.push_str(&serde_json::to_string(&items[n]).unwrap_or_default());
                            text.push('}');
                        }
                    }
                    Lines::Incremental(v) => {
                        text.push_str(&v[n].to_string());
                    }
                }
                text.push('\n');
            }
            let name: String = engine.with_rng(|r| {
                use rand::Rng;
                (0..26)
                    .map(|_| b"abcdefghijklmnopqrstuvwxyz234567"[r.gen_range(0..32)] as char)
                    .collect()
            });
            let key = format!("{data}/{name}.{ext}");
            let body = crate::transfer::gzip(text.as_bytes());
            let (md5, etag) = crate::transfer::md5(&body);
            store.put(self.bucket, &key, &body)?;
            manifest_files.push_str(
                &json!({
                    "itemCount": end - written, "md5Checksum": md5, "etag": etag, "dataFileS3Key": key,
                })
                .to_string(),
            );
            manifest_files.push('\n');
            written = end;
            if count == 0 {
                break;
            }
        }
        let files_key = format!("{dir}/manifest-files.json");
        store.put(self.bucket, &files_key, manifest_files.as_bytes())?;
        store.put(
            self.bucket,
            &format!("{dir}/manifest-files.md5"),
            crate::transfer::md5(manifest_files.as_bytes()).0.as_bytes(),
        )?;
        // Incremental exports bill at least 10 MB.
        if incremental {
            bytes = bytes.max(10_000_000);
        }
        let mut summary = json!({
            "version": if incremental { "2023-08-01" } else { "2020-06-30" },
            "exportArn": d["ExportArn"],
            "startTime": iso(start),
            "endTime": iso(start + engine.options.transient_status_delay),
            "tableArn": d["TableArn"],
            "tableId": d["TableId"],
        });
        match (export_time, d.get("IncrementalExportSpecification")) {
            (Some(at), _) => summary["exportTime"] = json!(iso(at)),
            (None, Some(spec)) => {
                let time = |m: &str| json!(iso(seconds_of(spec[m].as_f64().unwrap_or_default())));
                summary["exportFromTime"] = time("ExportFromTime");
                summary["exportToTime"] = time("ExportToTime");
            }
            (None, None) => {}
        }
        for (k, v) in [
            ("s3Bucket", json!(self.bucket)),
            (
                "s3Prefix",
                d.get("S3Prefix").cloned().unwrap_or(Value::Null),
            ),
            ("s3SseAlgorithm", d["S3SseAlgorithm"].clone()),
            (
                "s3SseKmsKeyId",
                d.get("S3SseKmsKeyId").cloned().unwrap_or(Value::Null),
            ),
            ("manifestFilesS3Key", json!(files_key)),
            ("billedSizeBytes", json!(bytes)),
            ("itemCount", json!(count)),
            ("outputFormat", d["ExportFormat"].clone()),
        ] {
            summary[k] = v;
        }
        if let Some(spec) = d.get("IncrementalExportSpecification") {
            summary["outputView"] = spec["ExportViewType"].clone();
            summary["exportType"] = json!("INCREMENTAL_EXPORT");
        }
        let summary = summary.to_string();
        let summary_key = format!("{dir}/manifest-summary.json");
        store.put(self.bucket, &summary_key, summary.as_bytes())?;
        store.put(
            self.bucket,
            &format!("{dir}/manifest-summary.md5"),
            crate::transfer::md5(summary.as_bytes()).0.as_bytes(),
        )?;
        Ok(Written {
            items: count,
            bytes,
            manifest: summary_key,
        })
    }
}
