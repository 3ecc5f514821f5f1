//! Date-times and bytes, stored the way DynamoDB can sort and compare them.
//!
//! DynamoDB has no date type. A date-time is stored either as an ISO 8601 / W3CDTF UTC string of
//! fixed width ([`Iso8601`]), so that string order is time order and range conditions on a sort
//! key work, or as epoch seconds ([`EpochSeconds`]), the form DynamoDB's TTL reads.

use serde::de::{Deserializer, Error as _};
use serde::ser::{Error as _, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A UTC date-time stored as a fixed-width ISO 8601 string, `2012-12-21T13:37:00.000000Z`:
/// always six fraction digits, so lexicographic order (DynamoDB's order for S) is time order.
///
/// As a sort key, range conditions on it (`.gt(t)`, `.between(a, b)`) select time spans.
///
/// ```
/// use dynamodb_mapper::Iso8601;
/// // Any offset is converted to UTC, so every stored string compares on one clock.
/// let t = Iso8601::parse("2012-12-21T14:37:00+01:00").unwrap();
/// assert_eq!(t, Iso8601::from_ymd_hms(2012, 12, 21, 13, 37, 0).unwrap());
/// assert_eq!(t.to_string(), "2012-12-21T13:37:00.000000Z");
/// // Fixed width: half a second later also sorts later as a string.
/// let later = Iso8601::parse("2012-12-21T13:37:00.5Z").unwrap();
/// assert!(later > t && later.to_string() > t.to_string());
/// assert_eq!(Iso8601::parse("2012-12-21 13:37"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iso8601(pub OffsetDateTime);

/// A date-time stored as a number of seconds since the Unix epoch (with up to six fraction
/// digits): sortable as N, and the format DynamoDB's Time to Live expects.
///
/// ```
/// use dynamodb_mapper::{time::Duration, EpochSeconds, Model};
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "sessions", hash_key = "id", ttl = "expires")]
/// struct Session { id: String, expires: EpochSeconds }
/// // TTL deletes the session some time after this instant (within days, not at once).
/// let expires = EpochSeconds(EpochSeconds::now().0 + Duration::days(7));
/// let session = Session { id: "s-1".into(), expires };
/// assert!(session.expires > EpochSeconds::now());
/// assert_eq!(Session::TTL_ATTRIBUTE, Some("expires"));
/// // Stored as N, a plain count of seconds (here 2012-12-21T13:37:00Z):
/// assert_eq!(EpochSeconds::from_unix(1_356_097_020).unwrap().to_string(), "1356097020");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochSeconds(pub OffsetDateTime);

fn utc(year: i32, month: u8, day: u8, h: u8, m: u8, s: u8, micro: u32) -> Option<OffsetDateTime> {
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let time = Time::from_hms_micro(h, m, s, micro).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

impl Iso8601 {
    /// A UTC date-time from its parts; `None` if they do not form one.
    pub fn from_ymd_hms(year: i32, month: u8, day: u8, h: u8, m: u8, s: u8) -> Option<Self> {
        utc(year, month, day, h, m, s, 0).map(Iso8601)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (W3CDTF with seconds), converting any
    /// offset to UTC.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let (year, month, day) = (num(0..4)? as i32, num(5..7)? as u8, num(8..10)? as u8);
        let (h, m, sec) = (num(11..13)? as u8, num(14..16)? as u8, num(17..19)? as u8);
        let mut i = 19;
        let mut micro = 0u32;
        if b[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let digits = s.get(start..i)?;
            if digits.is_empty() {
                return None;
            }
            let six: String = digits
                .chars()
                .chain(std::iter::repeat('0'))
                .take(6)
                .collect();
            micro = six.parse().ok()?;
        }
        let base = utc(year, month, day, h, m, sec, micro)?;
        let rest = s.get(i..)?;
        if rest == "Z" {
            return Some(Iso8601(base));
        }
        let rb = rest.as_bytes();
        if rb.len() != 6 || !(rb[0] == b'+' || rb[0] == b'-') || rb[3] != b':' {
            return None;
        }
        let (oh, om) = (num(i + 1..i + 3)? as i8, num(i + 4..i + 6)? as i8);
        let sign = if rb[0] == b'-' { -1 } else { 1 };
        let offset = UtcOffset::from_hms(sign * oh, sign * om, 0).ok()?;
        // The clock reading was local to `offset`: the same instant in UTC.
        let local = PrimitiveDateTime::new(base.date(), base.time()).assume_offset(offset);
        Some(Iso8601(local.to_offset(UtcOffset::UTC)))
    }

    /// The current time (read from the system clock).
    pub fn now() -> Self {
        Iso8601(OffsetDateTime::now_utc())
    }
}

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(UtcOffset::UTC);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        )
    }
}

impl Serialize for Iso8601 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let year = self.0.to_offset(UtcOffset::UTC).year();
        if !(0..=9999).contains(&year) {
            return Err(S::Error::custom(format!(
                "year {year} has no four-digit ISO 8601 form"
            )));
        }
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Iso8601 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Iso8601::parse(&s)
            .ok_or_else(|| D::Error::custom(format!("not an ISO 8601 date-time: {s:?}")))
    }
}

impl From<OffsetDateTime> for Iso8601 {
    fn from(t: OffsetDateTime) -> Self {
        Iso8601(t)
    }
}

impl From<EpochSeconds> for Iso8601 {
    fn from(t: EpochSeconds) -> Self {
        Iso8601(t.0)
    }
}

impl EpochSeconds {
    /// From seconds since the Unix epoch; `None` outside the representable range.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .map(EpochSeconds)
    }
    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.0.unix_timestamp()
    }
    /// The current time (read from the system clock).
    pub fn now() -> Self {
        EpochSeconds(OffsetDateTime::now_utc())
    }
}

impl fmt::Display for EpochSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0.microsecond();
        let secs = self.0.unix_timestamp();
        if micros == 0 {
            write!(f, "{secs}")
        } else if secs >= 0 {
            let frac = format!("{micros:06}");
            write!(f, "{secs}.{}", frac.trim_end_matches('0'))
        } else {
            // -1.5 s is unix_timestamp -2 plus 500000 µs.
            let total = secs as i128 * 1_000_000 + micros as i128;
            let (whole, frac) = (total / 1_000_000, (-total) % 1_000_000);
            let frac = format!("{frac:06}");
            let sign = if whole == 0 { "-" } else { "" };
            write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for EpochSeconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.microsecond() == 0 {
            s.serialize_i64(self.0.unix_timestamp())
        } else {
            let nanos = self.0.unix_timestamp_nanos();
            s.serialize_f64(nanos as f64 / 1e9)
        }
    }
}

impl<'de> Deserialize<'de> for EpochSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(d)?;
        let nanos = (seconds * 1e6).round() as i128 * 1000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map(EpochSeconds)
            .map_err(|e| D::Error::custom(format!("epoch seconds {seconds}: {e}")))
    }
}

impl From<OffsetDateTime> for EpochSeconds {
    fn from(t: OffsetDateTime) -> Self {
        EpochSeconds(t)
    }
}

impl From<Iso8601> for EpochSeconds {
    fn from(t: Iso8601) -> Self {
        EpochSeconds(t.0)
    }
}

/// Bytes stored as DynamoDB's binary type B (a plain `Vec<u8>` serializes as a list of numbers).
///
/// Binary is one of the three types a key can have (a list cannot be a key).
///
/// ```
/// use dynamodb_mapper::{Bytes, Key, Model, ScalarType};
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "blobs", hash_key = "digest")]
/// struct Blob { digest: Bytes, name: String }
/// assert_eq!(Blob::HASH_KEY_TYPE, ScalarType::B);
/// let key = Blob::key(vec![0xde, 0xad, 0xbe, 0xef]);
/// assert_eq!(key, Key::hash(Bytes(vec![0xde, 0xad, 0xbe, 0xef])));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("binary")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = a.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes(v.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_strings_are_fixed_width_and_round_trip() {
        let t = Iso8601::from_ymd_hms(2012, 12, 21, 13, 37, 0).unwrap();
        assert_eq!(t.to_string(), "2012-12-21T13:37:00.000000Z");
        assert_eq!(Iso8601::parse("2012-12-21T13:37:00Z"), Some(t));
        assert_eq!(Iso8601::parse("2012-12-21T14:37:00+01:00"), Some(t));
        assert_eq!(Iso8601::parse(&t.to_string()), Some(t));
        let later = Iso8601::parse("2012-12-21T13:37:00.5Z").unwrap();
        assert!(later > t && later.to_string() > t.to_string());
        assert_eq!(Iso8601::parse("2012-13-21T13:37:00Z"), None);
        assert_eq!(Iso8601::parse("yesterday"), None);
    }

    #[test]
    fn epoch_seconds_print_as_numbers() {
        let t = EpochSeconds::from_unix(1_356_097_020).unwrap();
        assert_eq!(t.to_string(), "1356097020");
        assert_eq!(Iso8601::from(t).to_string(), "2012-12-21T13:37:00.000000Z");
    }
}
