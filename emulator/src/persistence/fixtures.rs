//! Fixtures: load items from DynamoDB JSON lines, and export a table the same way.
//!
//! The format is the one DynamoDB's export to S3 writes (`DYNAMODB_JSON`): one object per
//! line, `{"Item": {"pk": {"S": "a"}, ...}}`, which ImportTable also reads. A test suite can
//! seed a table from a file once, or snapshot one a test produced.
//!
//! A load is all or nothing: every line is validated as PutItem validates an item (key
//! attributes and their types, index key types, 400 KB, nesting) before any is written; the
//! items are then written as PutItem writes them (streams see them, the journal keeps them),
//! without consuming capacity, since seeding is not traffic.

use crate::engine::Engine;
use crate::operations::{check_index_keys, check_item_size};
use crate::value::Item;
use serde::Deserialize;
use std::io::{self, BufRead, Write};

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "Item")]
    item: Item,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Loads DynamoDB JSON lines (`{"Item": {...}}` per line, or the item map alone) into
/// `table`, which must exist; returns how many items were written.
pub fn load(engine: &Engine, table: &str, input: impl BufRead) -> io::Result<usize> {
    let t = engine
        .catalog
        .get(table)
        .ok_or_else(|| invalid(format!("table {table} does not exist: create it first")))?;
    let mut items = Vec::new();
    {
        let t = t.read();
        for (n, line) in input.lines().enumerate() {
            let line = line?;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            let parsed = if text.starts_with("{\"Item\"") {
                serde_json::from_str::<Line>(text).map(|l| l.item)
            } else {
                serde_json::from_str::<Item>(text)
            };
            let at = |e: String| invalid(format!("line {}: {e}", n + 1));
            let item = parsed.map_err(|e| at(e.to_string()))?;
            check_item_size(&item, "Item size has exceeded the maximum allowed size")
                .map_err(|e| at(e.message))?;
            let key = t
                .def
                .schema
                .key_from_item(&item)
                .map_err(|e| at(e.message))?;
            check_index_keys(&t, &item).map_err(|e| at(e.message))?;
            items.push((key, item));
        }
    }
    let n = items.len();
    let now = engine.clock.now();
    let group = engine.journal_group();
    let mut t = t.write();
    for (key, item) in items {
        t.put(key, item, now);
    }
    drop(t);
    drop(group);
    engine
        .make_durable()
        .map_err(|e| io::Error::other(e.message))?;
    Ok(n)
}

/// Writes `table`'s items (the current ones, in key order) as DynamoDB JSON lines; returns
/// how many.
pub fn export(engine: &Engine, table: &str, mut out: impl Write) -> io::Result<usize> {
    let t = engine
        .catalog
        .get(table)
        .ok_or_else(|| invalid(format!("table {table} does not exist")))?;
    let t = t.read();
    let mut n = 0;
    for item in t.items() {
        out.write_all(b"{\"Item\":")?;
        serde_json::to_writer(&mut out, &item)?;
        out.write_all(b"}\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
