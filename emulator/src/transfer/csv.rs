//! CSV, as ImportTable reads it (`InputFormat: CSV`).
//!
//! RFC 4180 records: fields separated by the delimiter (`,` unless `InputFormatOptions.Csv`
//! names another), `"quoted"` when they hold the delimiter, a quote or a line break, a quote
//! inside doubled. The first record names the attributes unless a `HeaderList` is given, in
//! which case every record is data. A key attribute takes its type from the table's
//! AttributeDefinitions; every other value is a string, as DynamoDB imports CSV.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Format.html>

/// Splits `text` into records of fields. A record that ends inside quotes is an error (the
/// rest of the file cannot be read).
pub fn records(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut started = false;
    let mut chars = text.chars().peekable();
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
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                started = true;
            }
            c if c == delimiter => {
                record.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if started || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    out.push(std::mem::take(&mut record));
                }
                started = false;
            }
            c => {
                field.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed before the end of the file".to_string());
    }
    if started || !field.is_empty() {
        record.push(field);
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields_and_line_breaks() {
        let r = records("pk,v\r\na,\"x, \"\"y\"\"\nz\"\n\nb,2", ',').unwrap();
        assert_eq!(
            r,
            [vec!["pk", "v"], vec!["a", "x, \"y\"\nz"], vec!["b", "2"]]
        );
        assert_eq!(records("a|b\n", '|').unwrap(), [vec!["a", "b"]]);
        assert_eq!(records("a,\n", ',').unwrap(), [vec!["a", ""]]);
        assert!(records("a,\"open", ',').is_err());
    }
}
