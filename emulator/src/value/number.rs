//! DynamoDB's number type: an exact decimal.
//!
//! DynamoDB stores numbers as decimals with up to 38 significant digits and a magnitude between
//! 1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero); they are sent as strings so
//! that no precision is lost between languages. Equality and ordering are numeric (`1.0` = `1`,
//! `-1 < 0.5`), and leading/trailing zeros are not significant. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number>.
//!
//! Representation: `mantissa × 10^exponent` with the mantissa's trailing zeros moved into the
//! exponent, so every value has exactly one representation and derived `Eq`/`Hash` are numeric.
//! 38 digits fit a `u128` (10^38 < 2^127).

use crate::error::{DynamoError, Result};
use std::cmp::Ordering;
use std::fmt;

/// Most significant digits DynamoDB keeps.
pub const MAX_DIGITS: u32 = 38;
/// Largest decimal exponent of the leading digit (9.99…E+125).
const MAX_EXP: i32 = 125;
/// Smallest decimal exponent of the leading digit (1E-130).
const MIN_EXP: i32 = -130;

/// An exact decimal with DynamoDB's precision and range.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Significant digits, no trailing zeros (0 only for zero): a `u128` kept as two
    /// halves, so a number is 24 bytes aligned to 8 rather than 32 aligned to 16 (it sits in
    /// every numeric attribute and key of every item).
    mantissa: [u64; 2],
    /// Power of ten of the mantissa's last digit.
    exponent: i32,
}

fn digit_count(mut m: u128) -> u32 {
    let mut n = 1;
    while m >= 10 {
        m /= 10;
        n += 1;
    }
    n
}

impl Number {
    /// The significant digits as one integer.
    fn mantissa(&self) -> u128 {
        ((self.mantissa[0] as u128) << 64) | self.mantissa[1] as u128
    }

    /// Sign, significant digits (no trailing zeros) and the power of ten of the last digit:
    /// the number's one representation, for compact encodings ([`super::packed`]).
    pub(crate) fn parts(&self) -> (bool, u128, i32) {
        (self.negative, self.mantissa(), self.exponent)
    }

    /// The number of [`Number::parts`], checked against DynamoDB's precision and range.
    pub(crate) fn from_parts(negative: bool, mantissa: u128, exponent: i32) -> Result<Number> {
        if digit_count(mantissa) > MAX_DIGITS {
            return Err(DynamoError::validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        Self::checked(negative, mantissa, exponent as i64)
    }

    /// The number of [`Number::parts`] that came from a number: no checks (a packed store
    /// reads back only what it packed). Out of DynamoDB's range only if the parts were not a
    /// number's, which gives a wrong value, never a panic.
    pub(crate) fn from_trusted_parts(negative: bool, mantissa: u128, exponent: i32) -> Number {
        Number {
            negative: negative && mantissa != 0,
            mantissa: [(mantissa >> 64) as u64, mantissa as u64],
            exponent: if mantissa == 0 { 0 } else { exponent },
        }
    }

    /// Zero.
    pub const ZERO: Number = Number {
        negative: false,
        mantissa: [0, 0],
        exponent: 0,
    };

    /// Parses a number as DynamoDB accepts it (Java `BigDecimal` syntax: optional sign, digits with
    /// an optional point, optional exponent), with DynamoDB's errors for bad syntax, too many
    /// digits, and magnitudes out of range.
    pub fn parse(text: &str) -> Result<Number> {
        // An empty string gets the text without a colon (dynalite's suite, recorded against
        // the service).
        let invalid = || {
            DynamoError::validation(if text.is_empty() {
                "The parameter cannot be converted to a numeric value".to_string()
            } else {
                format!("The parameter cannot be converted to a numeric value: {text}")
            })
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            negative = bytes[i] == b'-';
            i += 1;
        }
        // Collect significant digits (without leading zeros) and where the point was.
        let mut digits: Vec<u8> = Vec::with_capacity(40);
        let mut seen_digit = false;
        let mut seen_point = false;
        let mut frac_digits: i64 = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_digit() {
                seen_digit = true;
                if seen_point {
                    frac_digits += 1;
                }
                if !(digits.is_empty() && c == b'0') {
                    digits.push(c - b'0');
                }
            } else if c == b'.' && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            i += 1;
        }
        if !seen_digit {
            return Err(invalid());
        }
        let mut exp: i64 = 0;
        if i < bytes.len() {
            if bytes[i] != b'e' && bytes[i] != b'E' {
                return Err(invalid());
            }
            i += 1;
            let mut exp_negative = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_negative = bytes[i] == b'-';
                i += 1;
            }
            if i >= bytes.len() {
                return Err(invalid());
            }
            while i < bytes.len() {
                let c = bytes[i];
                if !c.is_ascii_digit() {
                    return Err(invalid());
                }
                exp = (exp * 10 + (c - b'0') as i64).min(1_000_000_000);
                i += 1;
            }
            if exp_negative {
                exp = -exp;
            }
        }
        // Trailing zeros are not significant.
        let mut exponent = exp - frac_digits;
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            return Ok(Number::ZERO);
        }
        if digits.len() as u32 > MAX_DIGITS {
            return Err(DynamoError::validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        let mantissa = digits.iter().fold(0u128, |m, d| m * 10 + *d as u128);
        Self::checked(negative, mantissa, exponent)
    }

    /// Builds a normalised number, checking DynamoDB's magnitude range.
    fn checked(negative: bool, mut mantissa: u128, mut exponent: i64) -> Result<Number> {
        if mantissa == 0 {
            return Ok(Number::ZERO);
        }
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent += 1;
        }
        let leading = exponent + digit_count(mantissa) as i64 - 1;
        if leading > MAX_EXP as i64 {
            return Err(DynamoError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if leading < MIN_EXP as i64 {
            return Err(DynamoError::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        Ok(Number {
            negative,
            mantissa: [(mantissa >> 64) as u64, mantissa as u64],
            exponent: exponent as i32,
        })
    }

    /// An integer (always representable: 19 digits at most).
    pub fn from_i64(v: i64) -> Number {
        Self::checked(v < 0, v.unsigned_abs() as u128, 0).expect("i64 is in range")
    }

    /// Whether the number is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa() == 0
    }

    /// Whether the number is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Number of significant digits (1 for zero).
    pub fn significant_digits(&self) -> u32 {
        digit_count(self.mantissa())
    }

    /// Bytes DynamoDB counts for this number in item size. DynamoDB stores the digits in base 100
    /// (two per byte, aligned on the decimal point) after an exponent byte; measured against
    /// DynamoDB (dynalite's `itemSize`), a number takes `ceil(digits / 2)` bytes plus 1 when its
    /// scientific exponent is odd and 2 when it is even. Zero counts as one digit.
    pub fn storage_size(&self) -> usize {
        let digits = self.significant_digits() as usize;
        let scientific = self.exponent as i64 + digits as i64 - 1;
        let scientific = if self.is_zero() { 0 } else { scientific };
        digits.div_ceil(2) + if scientific.rem_euclid(2) == 1 { 1 } else { 2 }
    }

    /// Bytes the service's internal format takes for this number, as its Query/Scan page limit
    /// counts them (dynalite's suite, recorded against it): one byte of exponent, the base-100
    /// digit pairs, one byte more when an even number of digits starts at an even exponent, and
    /// one for a negative number's terminator. Zero is one byte.
    pub fn page_size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        let digits = self.significant_digits() as usize;
        let scientific = self.exponent as i64 + digits as i64 - 1;
        let aligned = digits.is_multiple_of(2) && scientific.rem_euclid(2) == 0;
        1 + digits.div_ceil(2) + usize::from(aligned) + usize::from(self.negative)
    }

    fn negated(self) -> Number {
        if self.is_zero() {
            self
        } else {
            Number {
                negative: !self.negative,
                ..self
            }
        }
    }

    /// Exact sum, with DynamoDB's errors when the result needs more than 38 digits or leaves the
    /// range (DynamoDB never rounds silently).
    pub fn add(&self, other: &Number) -> Result<Number> {
        if self.is_zero() {
            return Ok(*other);
        }
        if other.is_zero() {
            return Ok(*self);
        }
        // Align exponents using decimal digit vectors (exact, any width).
        let e = self.exponent.min(other.exponent);
        let a = Digits::from(self, e);
        let b = Digits::from(other, e);
        let (negative, mag) = if self.negative == other.negative {
            (self.negative, a.add(&b))
        } else {
            match a.cmp_mag(&b) {
                Ordering::Equal => return Ok(Number::ZERO),
                Ordering::Greater => (self.negative, a.sub(&b)),
                Ordering::Less => (other.negative, b.sub(&a)),
            }
        };
        let mut digits = mag.0; // little-endian
        let mut exponent = e as i64;
        while digits.first() == Some(&0) {
            digits.remove(0);
            exponent += 1;
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.len() as u32 > MAX_DIGITS {
            let leading = exponent + digits.len() as i64 - 1;
            if leading > MAX_EXP as i64 {
                return Err(DynamoError::validation(
                    "Number overflow. Attempting to store a number with magnitude larger than supported range",
                ));
            }
            return Err(DynamoError::validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        let mantissa = digits.iter().rev().fold(0u128, |m, d| m * 10 + *d as u128);
        Self::checked(negative, mantissa, exponent)
    }

    /// `self - other`, or DynamoDB's error when the result needs more than 38 digits or leaves the range.
    pub fn sub(&self, other: &Number) -> Result<Number> {
        self.add(&other.negated())
    }
}

/// Little-endian decimal digits of a magnitude scaled to a common exponent.
struct Digits(Vec<u8>);

impl Digits {
    fn from(n: &Number, exponent: i32) -> Digits {
        let mut v = vec![0u8; (n.exponent - exponent) as usize];
        let mut m = n.mantissa();
        while m > 0 {
            v.push((m % 10) as u8);
            m /= 10;
        }
        Digits(v)
    }
    fn cmp_mag(&self, other: &Digits) -> Ordering {
        let (a, b) = (trimmed(&self.0), trimmed(&other.0));
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
    fn add(&self, other: &Digits) -> Digits {
        let n = self.0.len().max(other.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0;
        for i in 0..n {
            let s =
                self.0.get(i).copied().unwrap_or(0) + other.0.get(i).copied().unwrap_or(0) + carry;
            out.push(s % 10);
            carry = s / 10;
        }
        if carry > 0 {
            out.push(carry);
        }
        Digits(out)
    }
    /// self - other, with self >= other.
    fn sub(&self, other: &Digits) -> Digits {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i8;
        for i in 0..self.0.len() {
            let mut d = self.0[i] as i8 - other.0.get(i).copied().unwrap_or(0) as i8 - borrow;
            borrow = 0;
            if d < 0 {
                d += 10;
                borrow = 1;
            }
            out.push(d as u8);
        }
        while out.len() > 1 && out.last() == Some(&0) {
            out.pop();
        }
        Digits(out)
    }
}

fn trimmed(v: &[u8]) -> &[u8] {
    let mut end = v.len();
    while end > 0 && v[end - 1] == 0 {
        end -= 1;
    }
    &v[..end]
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => return Ordering::Greater,
            (true, false) => return Ordering::Less,
            _ => {}
        }
        let mag = self.cmp_magnitude(other);
        if self.negative {
            mag.reverse()
        } else {
            mag
        }
    }
}

impl Number {
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (da, db) = (self.significant_digits(), other.significant_digits());
        let lead_a = self.exponent as i64 + da as i64;
        let lead_b = other.exponent as i64 + db as i64;
        if lead_a != lead_b {
            return lead_a.cmp(&lead_b);
        }
        // Same leading position: compare mantissas padded to the same digit count (≤ 38 digits).
        let d = da.max(db);
        let a = self.mantissa() * 10u128.pow(d - da);
        let b = other.mantissa() * 10u128.pow(d - db);
        a.cmp(&b)
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Plain notation without exponent and without insignificant zeros, as DynamoDB returns numbers.
impl Number {
    /// The number's bytes as the service hashes a numeric partition key: a base-100 mantissa
    /// after an exponent byte biased by 192 (each digit pair stored plus one), negatives with
    /// the exponent byte inverted, each pair as 101 minus it and, when shorter than 20 pairs, a
    /// closing 102 — the layout of Oracle's NUMBER type; zero is the single byte 0x80. This is
    /// the encoding under which the storage layer's partition hash reproduces the service's
    /// Scan order (dynalite's suite records that order from the service).
    pub fn key_bytes(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![0x80];
        }
        let digits: Vec<u8> = self
            .mantissa()
            .to_string()
            .bytes()
            .map(|b| b - b'0')
            .collect();
        // The decimal exponent of 0.d1d2... (the value is 0.d1d2... x 10^e).
        let e = digits.len() as i32 + self.exponent;
        // An odd exponent puts a zero before the first digit so pairs align with powers of 100.
        let pad = e.rem_euclid(2) as usize;
        let mut padded = vec![0u8; pad];
        padded.extend_from_slice(&digits);
        if padded.len() % 2 == 1 {
            padded.push(0);
        }
        let pairs: Vec<u8> = padded.chunks(2).map(|c| c[0] * 10 + c[1]).collect();
        let exponent_byte = ((e + pad as i32) / 2 - 64).rem_euclid(256) as u8;
        let mut out = Vec::with_capacity(pairs.len() + 2);
        if self.negative {
            out.push(!exponent_byte);
            out.extend(pairs.iter().map(|p| 101 - p));
            if pairs.len() < 20 {
                out.push(102);
            }
        } else {
            out.push(exponent_byte);
            out.extend(pairs.iter().map(|p| p + 1));
        }
        out
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digits = self.mantissa().to_string();
        let mut out = String::with_capacity(digits.len() + 8);
        if self.negative {
            out.push('-');
        }
        if self.exponent >= 0 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', self.exponent as usize));
        } else {
            let frac = (-self.exponent) as usize;
            if frac >= digits.len() {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', frac - digits.len()));
                out.push_str(&digits);
            } else {
                let split = digits.len() - frac;
                out.push_str(&digits[..split]);
                out.push('.');
                out.push_str(&digits[split..]);
            }
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

#[cfg(test)]
mod tests {

    /// The key encoding against Oracle NUMBER's known bytes: 1 is C1 02, 100 is C2 02, 0.5 is
    /// C0 33, -1 is 3E 64 66, zero is 80.
    #[test]
    fn key_bytes_follow_the_number_layout() {
        let b = |t: &str| Number::parse(t).unwrap().key_bytes();
        assert_eq!(b("1"), [0xC1, 0x02]);
        assert_eq!(b("100"), [0xC2, 0x02]);
        assert_eq!(b("1E2"), [0xC2, 0x02]);
        assert_eq!(b("0.5"), [0xC0, 0x33]);
        assert_eq!(b("-1"), [0x3E, 0x64, 0x66]);
        assert_eq!(b("0"), [0x80]);
        assert_eq!(b("123.45"), [0xC2, 0x02, 0x18, 0x2E]);
    }

    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(n("1.0").to_string(), "1");
        assert_eq!(n("1e2").to_string(), "100");
        assert_eq!(n("-0.00").to_string(), "0");
        assert_eq!(n("+.5").to_string(), "0.5");
        assert_eq!(n("5.").to_string(), "5");
        assert_eq!(n("0012.3400").to_string(), "12.34");
        assert_eq!(n("-1.5E-3").to_string(), "-0.0015");
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("100"), n("1E2"));
    }

    #[test]
    fn rejects_bad_syntax() {
        for bad in [
            "", "-", ".", "abc", "1e", "1e+", "1..2", "1 ", " 1", "1x", "0x10", "NaN", "Infinity",
        ] {
            let e = Number::parse(bad).unwrap_err();
            assert!(
                e.message.starts_with("The parameter cannot be converted"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn precision_and_range_limits() {
        let d38 = "1".repeat(38);
        assert!(Number::parse(&d38).is_ok());
        let e = Number::parse(&"1".repeat(39)).unwrap_err();
        assert!(e.message.contains("38 significant digits"));
        // Trailing zeros do not count.
        assert!(Number::parse(&format!("{}000", d38)).is_ok());
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
        assert!(Number::parse("1E+126")
            .unwrap_err()
            .message
            .contains("overflow"));
        assert!(Number::parse("1E-130").is_ok());
        assert!(Number::parse("1E-131")
            .unwrap_err()
            .message
            .contains("underflow"));
        assert!(Number::parse("0E-999").is_ok());
    }

    #[test]
    fn orders_numerically() {
        let mut v: Vec<Number> = [
            "10", "-1", "2.5", "-10.5", "0", "1E-130", "-1E-130", "9E+125", "2.50001",
        ]
        .iter()
        .map(|s| n(s))
        .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(s[0], "-10.5");
        assert_eq!(s[1], "-1");
        assert_eq!(s[3], "0");
        assert_eq!(&s[5..8], &["2.5", "2.50001", "10"]);
        assert!(n("0.1") < n("0.11"));
        assert!(n("-0.1") > n("-0.11"));
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(n("0.1").add(&n("0.2")).unwrap(), n("0.3"));
        assert_eq!(n("5").sub(&n("7.5")).unwrap(), n("-2.5"));
        assert_eq!(n("-5").add(&n("5")).unwrap(), Number::ZERO);
        let big = n(&"9".repeat(38));
        assert_eq!(big.add(&n("1")).unwrap(), n("1E+38"));
        assert!(big
            .add(&n("0.1"))
            .unwrap_err()
            .message
            .contains("38 significant"));
        assert!(n("1E+40")
            .add(&n("1"))
            .unwrap_err()
            .message
            .contains("38 significant"));
        assert!(n("9E+125")
            .add(&n("9E+125"))
            .unwrap_err()
            .message
            .contains("overflow"));
    }

    #[test]
    fn storage_size_matches_dynamodb() {
        assert_eq!(n("0").storage_size(), 3);
        assert_eq!(n("1").storage_size(), 3);
        assert_eq!(n("12").storage_size(), 2);
        assert_eq!(n("123").storage_size(), 4);
        assert_eq!(n("-1").storage_size(), 3);
        assert_eq!(n("10").storage_size(), 2);
        assert_eq!(n("1.5").storage_size(), 3);
        assert_eq!(n("0.01").storage_size(), 3);
        assert_eq!(n("0.1").storage_size(), 2);
        assert_eq!(n(&"9".repeat(38)).storage_size(), 20);
    }
}
