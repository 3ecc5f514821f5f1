//! CSV, as ImportTable reads it (`InputFormat: CSV`).
//!
//! RFC 4180 records: fields separated by the delimiter (`,` unless `InputFormatOptions.Csv`
//! names another), `"quoted"` when they hold the delimiter, a quote or a line break, a quote
//! inside doubled. The first record names the attributes unless a `HeaderList` is given, in
//! which case every record is data. A key attribute takes its type from the table's
//! AttributeDefinitions; every other value is a string, as DynamoDB imports CSV.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Format.html>

/// Most fields one record may have (an item cannot hold more attributes than its 400 KB).
pub const MAX_FIELDS: usize = 100_000;

/// Splits `text` into records of fields, handing each to `each` as it is read (so no more
/// than one record is held). A record that ends inside quotes, or has more than
/// [`MAX_FIELDS`] fields, is an error that ends the file (the rest of it cannot be read).
pub fn records(
    text: &str,
    delimiter: char,
    mut each: impl FnMut(Vec<String>),
) -> Result<(), String> {
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut started = false;
    let mut chars = text.chars().peekable();
    let too_many = || format!("a record has more than {MAX_FIELDS} fields");
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            if field.len() > super::MAX_RECORD_BYTES {
                return Err(format!(
                    "a field longer than {} bytes",
                    super::MAX_RECORD_BYTES
                ));
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                started = true;
            }
            c if c == delimiter => {
                record.push(std::mem::take(&mut field));
                if record.len() > MAX_FIELDS {
                    return Err(too_many());
                }
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if started || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    each(std::mem::take(&mut record));
                }
                started = false;
            }
            c => {
                field.push(c);
                started = true;
                if field.len() > super::MAX_RECORD_BYTES {
                    return Err(format!(
                        "a field longer than {} bytes",
                        super::MAX_RECORD_BYTES
                    ));
                }
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed before the end of the file".to_string());
    }
    if started || !field.is_empty() {
        record.push(field);
        each(record);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields_and_line_breaks() {
        let all = |text: &str, d: char| -> Result<Vec<Vec<String>>, String> {
            let mut out = Vec::new();
            records(text, d, |r| out.push(r)).map(|_| out)
        };
        let r = all("pk,v\r\na,\"x, \"\"y\"\"\nz\"\n\nb,2", ',').unwrap();
        assert_eq!(
            r,
            [vec!["pk", "v"], vec!["a", "x, \"y\"\nz"], vec!["b", "2"]]
        );
        assert_eq!(all("a|b\n", '|').unwrap(), [vec!["a", "b"]]);
        assert_eq!(all("a,\n", ',').unwrap(), [vec!["a", ""]]);
        assert!(all("a,\"open", ',').is_err());
        assert!(all(&",".repeat(MAX_FIELDS + 5), ',').is_err());
    }
}
