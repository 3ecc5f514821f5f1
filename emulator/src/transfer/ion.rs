//! Amazon Ion text, as DynamoDB's exports write it and its imports read it (`ION`).
//!
//! Each item is a struct `{Item:{...}}`. DynamoDB's types map onto Ion's: a string is an Ion
//! string, a number an Ion decimal (`103.`, `1.5`), a binary value a blob (`{{base64}}`), a
//! boolean, `null`, a map a struct, a list a list, and the three sets lists annotated
//! `$dynamodb_SS::`, `$dynamodb_NS::` and `$dynamodb_BS::`. The reader takes the rest of Ion
//! text an item might be written in (comments, quoted symbols, ints, floats, long strings,
//! escapes, the `$ion_1_0` marker) and refuses what has no DynamoDB counterpart.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html>

use crate::value::{AttributeValue, Item, Number};
use base64::Engine as _;
use std::fmt::Write as _;

/// Appends `item` as one Ion struct `{Item:{...}}`.
pub fn write_line(item: &Item, out: &mut String) {
    out.push_str("{Item:");
    write_map(item, out);
    out.push('}');
}

/// Appends a struct of `item`'s attributes.
pub fn write_map(item: &Item, out: &mut String) {
    out.push('{');
    for (i, (name, v)) in item.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_symbol(name, out);
        out.push(':');
        write_value(v, out);
    }
    out.push('}');
}

fn write_value(v: &AttributeValue, out: &mut String) {
    match v {
        AttributeValue::S(s) => write_string(s, out),
        AttributeValue::N(n) => write_number(n, out),
        AttributeValue::B(b) => write_blob(b, out),
        AttributeValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::Null => out.push_str("null"),
        AttributeValue::M(m) => write_map(m, out),
        AttributeValue::L(l) => {
            out.push('[');
            for (i, v) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(v, out);
            }
            out.push(']');
        }
        AttributeValue::Ss(ss) => write_set("SS", ss, out, |s, o| write_string(s, o)),
        AttributeValue::Ns(ns) => write_set("NS", ns, out, write_number),
        AttributeValue::Bs(bs) => write_set("BS", bs, out, |b, o| write_blob(b, o)),
    }
}

fn write_set<T>(kind: &str, v: &[T], out: &mut String, each: impl Fn(&T, &mut String)) {
    let _ = write!(out, "$dynamodb_{kind}::[");
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(x, out);
    }
    out.push(']');
}

/// A decimal: DynamoDB's digits, with a `.` when they have none (else Ion reads an int).
fn write_number(n: &Number, out: &mut String) {
    let text = n.to_string();
    out.push_str(&text);
    if !text.contains('.') {
        out.push('.');
    }
}

fn write_blob(b: &[u8], out: &mut String) {
    out.push_str("{{");
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
    out.push_str("}}");
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    escape_into(s, '"', out);
    out.push('"');
}

/// A field name: bare when it is an identifier Ion does not reserve, else `'quoted'`.
fn write_symbol(s: &str, out: &mut String) {
    let identifier = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !matches!(s, "null" | "true" | "false" | "nan")
        && !s.starts_with('$');
    if identifier {
        out.push_str(s);
    } else {
        out.push('\'');
        escape_into(s, '\'', out);
        out.push('\'');
    }
}

fn escape_into(s: &str, quote: char, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Reads Ion text holding a sequence of top-level values; each is handed to `each` as an
/// attribute value (a struct as a map), or the reason it cannot be one. Stops at the first
/// syntax error (past it nothing can be read), reported as an `Err` to `each`.
pub fn read_values(text: &str, mut each: impl FnMut(Result<AttributeValue, String>)) {
    let mut r = Reader {
        s: text.as_bytes(),
        at: 0,
        depth: 0,
        record_start: 0,
    };
    loop {
        if let Err(e) = r.skip_space() {
            each(Err(e));
            return;
        }
        if r.at >= r.s.len() {
            return;
        }
        r.record_start = r.at;
        match r.annotated() {
            Ok((annotations, Ion::Symbol(s))) if annotations.is_empty() && s == "$ion_1_0" => {}
            Ok((annotations, v)) => each(to_attribute(&annotations, v)),
            Err(e) => {
                each(Err(e));
                return;
            }
        }
    }
}

/// Ion values, as far as an item needs them.
#[derive(Debug)]
enum Ion {
    Null,
    Bool(bool),
    /// An int, decimal or float, in Ion's text (`1.5d3`, `0x1f`).
    Number(String),
    String(String),
    Symbol(String),
    Blob(Vec<u8>),
    List(Vec<(Vec<String>, Ion)>),
    Struct(Vec<(String, Vec<String>, Ion)>),
}

/// How deep containers may nest: DynamoDB's 32 levels, with room for the `{Item:...}` wrapper.
const MAX_DEPTH: usize = 34;

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
    /// Where the top-level value being read starts: one may span at most
    /// [`super::MAX_RECORD_BYTES`], so a record's tree stays bounded.
    record_start: usize,
}

impl Reader<'_> {
    fn error(&self, what: &str) -> String {
        format!("invalid Ion at byte {}: {what}", self.at)
    }

    fn check_size(&self) -> Result<(), String> {
        if self.at - self.record_start > super::MAX_RECORD_BYTES {
            return Err(self.error(&format!(
                "a record longer than {} bytes",
                super::MAX_RECORD_BYTES
            )));
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_space(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.at += 1;
            } else if self.s[self.at..].starts_with(b"//") {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else if self.s[self.at..].starts_with(b"/*") {
                let end = find(&self.s[self.at + 2..], b"*/")
                    .ok_or_else(|| self.error("unterminated comment"))?;
                self.at += 2 + end + 2;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// A value with any `annotation::` prefixes.
    fn annotated(&mut self) -> Result<(Vec<String>, Ion), String> {
        let mut annotations = Vec::new();
        loop {
            self.skip_space()?;
            let v = self.value()?;
            self.skip_space()?;
            match v {
                Ion::Symbol(s) if self.s[self.at..].starts_with(b"::") => {
                    self.at += 2;
                    annotations.push(s);
                }
                v => return Ok((annotations, v)),
            }
        }
    }

    fn value(&mut self) -> Result<Ion, String> {
        let Some(c) = self.peek() else {
            return Err(self.error("a value was expected"));
        };
        match c {
            b'{' if self.s[self.at..].starts_with(b"{{") => self.blob(),
            b'{' => self.nested(|r| r.structure()),
            b'[' => self.nested(|r| r.list()),
            b'"' => {
                self.at += 1;
                self.quoted(b'"').map(Ion::String)
            }
            b'\'' if self.s[self.at..].starts_with(b"'''") => self.long_strings().map(Ion::String),
            b'\'' => {
                self.at += 1;
                self.quoted(b'\'').map(Ion::Symbol)
            }
            b'(' => Err(self.error("an S-expression has no DynamoDB type")),
            c if c.is_ascii_digit() || c == b'-' || c == b'+' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
                {
                    self.at += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default();
                Ok(match word {
                    "null" => {
                        // `null.string` and the like are nulls too.
                        if self.peek() == Some(b'.') {
                            self.at += 1;
                            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                                self.at += 1;
                            }
                        }
                        Ion::Null
                    }
                    "true" => Ion::Bool(true),
                    "false" => Ion::Bool(false),
                    w => Ion::Symbol(w.to_string()),
                })
            }
            _ => Err(self.error("unexpected character")),
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Result<Ion, String>) -> Result<Ion, String> {
        self.check_size()?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn structure(&mut self) -> Result<Ion, String> {
        self.at += 1;
        let mut fields = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(Ion::Struct(fields));
            }
            let name = match self.value()? {
                Ion::Symbol(s) | Ion::String(s) => s,
                _ => return Err(self.error("a field name was expected")),
            };
            self.skip_space()?;
            if self.peek() != Some(b':') {
                return Err(self.error("':' was expected after a field name"));
            }
            self.at += 1;
            let (annotations, v) = self.annotated()?;
            fields.push((name, annotations, v));
            self.check_size()?;
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {}
                _ => return Err(self.error("',' or '}' was expected")),
            }
        }
    }

    fn list(&mut self) -> Result<Ion, String> {
        self.at += 1;
        let mut values = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Ion::List(values));
            }
            values.push(self.annotated()?);
            self.check_size()?;
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {}
                _ => return Err(self.error("',' or ']' was expected")),
            }
        }
    }

    fn blob(&mut self) -> Result<Ion, String> {
        self.at += 2;
        let end = find(&self.s[self.at..], b"}}").ok_or_else(|| self.error("unterminated blob"))?;
        let inner = &self.s[self.at..self.at + end];
        self.at += end + 2;
        if inner.iter().any(|c| *c == b'"' || *c == b'\'') {
            return Err(self.error("a clob has no DynamoDB type"));
        }
        let text: Vec<u8> = inner
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Ion::Blob)
            .map_err(|_| self.error("a blob that is not base64"))
    }

    /// One or more adjacent `'''...'''` segments, concatenated.
    fn long_strings(&mut self) -> Result<String, String> {
        let mut out = String::new();
        while self.s[self.at..].starts_with(b"'''") {
            self.at += 3;
            loop {
                if self.s[self.at..].starts_with(b"'''") {
                    self.at += 3;
                    break;
                }
                if self.at >= self.s.len() {
                    return Err(self.error("unterminated long string"));
                }
                self.char_into(&mut out)?;
            }
            let save = self.at;
            self.skip_space()?;
            if !self.s[self.at..].starts_with(b"'''") {
                self.at = save;
            }
        }
        Ok(out)
    }

    fn quoted(&mut self, quote: u8) -> Result<String, String> {
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return Err(self.error("unterminated string")),
                Some(c) if c == quote => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(_) => self.char_into(&mut out)?,
            }
        }
    }

    /// One character of a string, escapes decoded.
    fn char_into(&mut self, out: &mut String) -> Result<(), String> {
        let c = self.s[self.at];
        if c != b'\\' {
            // Copy one UTF-8 character.
            let len = match c {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let end = (self.at + len).min(self.s.len());
            let ch = std::str::from_utf8(&self.s[self.at..end])
                .map_err(|_| self.error("invalid UTF-8"))?;
            out.push_str(ch);
            self.at = end;
            return Ok(());
        }
        self.at += 1;
        let e = self
            .peek()
            .ok_or_else(|| self.error("unterminated escape"))?;
        self.at += 1;
        let hex = |r: &mut Self, n: usize| -> Result<char, String> {
            let digits =
                r.s.get(r.at..r.at + n)
                    .and_then(|d| std::str::from_utf8(d).ok())
                    .and_then(|d| u32::from_str_radix(d, 16).ok())
                    .and_then(char::from_u32)
                    .ok_or_else(|| r.error("an invalid escape"))?;
            r.at += n;
            Ok(digits)
        };
        let decoded = match e {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'x' => hex(self, 2)?,
            b'u' => hex(self, 4)?,
            b'U' => hex(self, 8)?,
            b'\n' => return Ok(()),
            b'\\' | b'"' | b'\'' | b'/' | b'?' => e as char,
            _ => return Err(self.error("an invalid escape")),
        };
        out.push(decoded);
        Ok(())
    }

    fn number(&mut self) -> Result<Ion, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_'))
        {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default();
        if text.len() > 10 && text.as_bytes()[4] == b'-' && !text.contains(['d', 'D', 'e', 'E']) {
            return Err(self.error("a timestamp has no DynamoDB type"));
        }
        Ok(Ion::Number(text.replace('_', "")))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The DynamoDB number an Ion int, decimal or float writes.
fn number(text: &str) -> Result<Number, String> {
    let bad = || format!("{text} is not a number DynamoDB can store");
    let lower = text.to_ascii_lowercase();
    let (neg, unsigned) = match lower.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, lower.as_str()),
    };
    for (prefix, radix) in [("0x", 16), ("0b", 2)] {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            // Digits only (from_str_radix would take a sign too); magnitudes beyond 128 bits
            // are beyond DynamoDB's 38 digits anyway.
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return Err(bad());
            }
            let v = u128::from_str_radix(digits, radix).map_err(|_| bad())?;
            let text = if neg { format!("-{v}") } else { v.to_string() };
            return Number::parse(&text).map_err(|_| bad());
        }
    }
    if matches!(lower.as_str(), "nan" | "+inf" | "-inf") {
        return Err(bad());
    }
    let decimal = lower.replace('d', "e");
    let decimal = decimal.strip_suffix('.').unwrap_or(&decimal);
    let decimal = decimal.replace(".e", "e");
    Number::parse(&decimal).map_err(|_| bad())
}

fn to_attribute(annotations: &[String], v: Ion) -> Result<AttributeValue, String> {
    let set = annotations
        .iter()
        .find_map(|a| a.strip_prefix("$dynamodb_"));
    if let Some(kind) = set {
        let Ion::List(members) = v else {
            return Err(format!("$dynamodb_{kind} annotates a list"));
        };
        let members = members.into_iter().map(|(_, v)| v);
        let result = match kind {
            "SS" => members
                .map(|m| match m {
                    Ion::String(s) => Ok(s),
                    _ => Err("a string set holds strings".to_string()),
                })
                .collect::<Result<Vec<_>, _>>()
                .and_then(|v| AttributeValue::string_set(v).map_err(|e| e.message)),
            "NS" => members
                .map(|m| match m {
                    Ion::Number(n) => number(&n),
                    _ => Err("a number set holds numbers".to_string()),
                })
                .collect::<Result<Vec<_>, _>>()
                .and_then(|v| AttributeValue::number_set(v).map_err(|e| e.message)),
            "BS" => members
                .map(|m| match m {
                    Ion::Blob(b) => Ok(b),
                    _ => Err("a binary set holds blobs".to_string()),
                })
                .collect::<Result<Vec<_>, _>>()
                .and_then(|v| AttributeValue::binary_set(v).map_err(|e| e.message)),
            other => Err(format!("unknown annotation $dynamodb_{other}")),
        };
        return result;
    }
    Ok(match v {
        Ion::Null => AttributeValue::Null,
        Ion::Bool(b) => AttributeValue::Bool(b),
        Ion::Number(n) => AttributeValue::N(number(&n)?),
        Ion::String(s) => AttributeValue::S(s.into()),
        Ion::Symbol(s) => return Err(format!("the symbol {s} has no DynamoDB type")),
        Ion::Blob(b) => AttributeValue::B(b),
        Ion::List(l) => AttributeValue::L(
            l.into_iter()
                .map(|(a, v)| to_attribute(&a, v))
                .collect::<Result<_, _>>()?,
        ),
        Ion::Struct(fields) => {
            let mut m = Item::new();
            for (name, a, v) in fields {
                m.insert(name, to_attribute(&a, v)?);
            }
            AttributeValue::M(m)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Vec<Result<AttributeValue, String>> {
        let mut out = Vec::new();
        read_values(text, |v| out.push(v));
        out
    }

    #[test]
    fn an_item_round_trips_through_ion_text() {
        let json = r#"{"pk":{"S":"a \"q\" \n é"},"n":{"N":"103"},"f":{"N":"-0.0015"},"b":{"B":"AAEC"},
            "t":{"BOOL":true},"z":{"NULL":true},"ss":{"SS":["x","y"]},"ns":{"NS":["1","2.5"]},
            "bs":{"BS":["AQ=="]},"l":{"L":[{"S":"i"},{"N":"1"}]},"m":{"M":{"null":{"S":"k"},"a b":{"L":[]}}}}"#;
        let wire: std::collections::BTreeMap<String, crate::value::attribute::WireValue> =
            serde_json::from_str(json).unwrap();
        let item = crate::value::attribute::validate_map(wire).unwrap();
        let mut text = String::from("$ion_1_0 ");
        write_line(&item, &mut text);
        assert!(text.contains("n:103."), "{text}");
        assert!(text.contains("ss:$dynamodb_SS::[\"x\",\"y\"]"), "{text}");
        assert!(text.contains("'null':"), "{text}");
        let back = read_all(&text);
        assert_eq!(back.len(), 1);
        let AttributeValue::M(wrapper) = back[0].clone().unwrap() else {
            panic!("a struct")
        };
        assert_eq!(wrapper.get("Item"), Some(&AttributeValue::M(item)));
    }

    #[test]
    fn reads_the_rest_of_ion_text_and_stops_at_a_syntax_error() {
        let text = "/* c */ {Item:{a:1, b:1.5d2, c:2e0, d:'''x''' '''y''', 'e':0x10, f:null.string}} // end\n{Item:{a:[1,}}";
        let all = read_all(text);
        assert_eq!(all.len(), 2, "{all:?}");
        let AttributeValue::M(w) = all[0].clone().unwrap() else {
            panic!()
        };
        let Some(AttributeValue::M(i)) = w.get("Item") else {
            panic!()
        };
        assert_eq!(
            i.get("b"),
            Some(&AttributeValue::N(Number::parse("150").unwrap()))
        );
        assert_eq!(
            i.get("c"),
            Some(&AttributeValue::N(Number::parse("2").unwrap()))
        );
        assert_eq!(i.get("d"), Some(&AttributeValue::S("xy".into())));
        assert_eq!(
            i.get("e"),
            Some(&AttributeValue::N(Number::parse("16").unwrap()))
        );
        assert_eq!(i.get("f"), Some(&AttributeValue::Null));
        assert!(all[1].is_err());
        assert!(read_all("{a:sym}")[0].is_err());
        assert!(read_all("{a:2020-01-01T00:00Z}")[0].is_err());
        let deep = "[".repeat(100);
        assert!(read_all(&deep)[0].as_ref().unwrap_err().contains("deeply"));
    }
}
