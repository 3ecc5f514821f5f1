//! Reading an import: each object of the listing, decompressed, split into records by its
//! format, each record validated as PutItem validates an item and written to the new table.
//!
//! DynamoDB's rules (its guide's "Import format quotas and validation"): an item that fails
//! validation is skipped and counted; a record that cannot be parsed is counted and ends its
//! object (the rest cannot be read); an object that cannot be read or decompressed counts as
//! one processed record and one error; duplicate keys overwrite. Imports consume no capacity.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Validation.html>

use super::{Compression, Format, Record};

/// What an import read: records processed, items imported, errors, bytes read.
#[derive(Default)]
pub struct Counts {
    pub processed: u64,
    pub imported: u64,
    pub errors: u64,
    pub bytes: u64,
}

/// Reads each object and writes its items to `table`, as one journal group.
#[allow(clippy::too_many_arguments)]
pub fn load(
    engine: &crate::engine::Engine,
    table: &crate::table::catalog::TableRef,
    bucket: &str,
    objects: &[crate::object_store::ObjectInfo],
    format: Format,
    compression: Compression,
    csv: (char, Option<&[String]>),
    types: &dyn Fn(&str) -> Option<crate::value::ScalarType>,
) -> Counts {
    let store = &engine.options.object_store;
    let mut c = Counts::default();
    let now = engine.clock.now();
    let _group = engine.journal_group();
    for object in objects {
        if object.size > crate::transfer::MAX_OBJECT_BYTES {
            c.processed += 1;
            c.errors += 1;
            continue;
        }
        let data = match store.get(bucket, &object.key) {
            Ok(d) => d,
            Err(_) => {
                c.processed += 1;
                c.errors += 1;
                continue;
            }
        };
        c.bytes += data.len() as u64;
        let text = match crate::transfer::decompress(&data, compression) {
            Ok(t) => t,
            Err(_) => {
                c.processed += 1;
                c.errors += 1;
                continue;
            }
        };
        let mut t = table.write();
        let mut each = |r: Record| {
            c.processed += 1;
            let written = r.and_then(|item| {
                crate::operations::check_item_size(
                    &item,
                    "Item size has exceeded the maximum allowed size",
                )
                .map_err(|e| e.message)?;
                let key = t.def.schema.key_from_item(&item).map_err(|e| e.message)?;
                crate::operations::check_index_keys(&t, &item).map_err(|e| e.message)?;
                t.put(key, item, now);
                Ok(())
            });
            match written {
                Ok(()) => c.imported += 1,
                Err(_) => c.errors += 1,
            }
        };
        match format {
            Format::DynamoDbJson => crate::transfer::dynamodb_json_records(&text, &mut each),
            Format::Ion => crate::transfer::ion_records(&text, &mut each),
            Format::Csv => crate::transfer::csv_records(&text, csv.0, csv.1, types, &mut each),
        }
    }
    c
}
