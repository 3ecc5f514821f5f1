//! Opt-in SigV4 verification: the emulator checks signatures the way DynamoDB does.
//!
//! By default the emulator accepts any request, signed or not (like DynamoDB Local), because a
//! test has no secret worth keeping. With credentials configured (`--auth KEY:SECRET`), every
//! request must be signed with AWS Signature Version 4 by one of those keys, and failures get
//! DynamoDB's own errors, checked in DynamoDB's order (as recorded against the service by
//! dynalite's suite):
//!
//! 1. no `Authorization` header starting `AWS4-` and no `X-Amz-Algorithm` query parameter:
//!    `MissingAuthenticationTokenException`;
//! 2. both forms at once, or (later) a wrong scope, a missing `Host`, a stale date or a wrong
//!    signature: `InvalidSignatureException`;
//! 3. a header or query string lacking a part: `IncompleteSignatureException`, listing each;
//! 4. an access key the emulator does not know: `UnrecognizedClientException`.
//!
//! All are HTTP 400 with a lowercase `message`. The signature itself is computed as the
//! [SigV4 documentation](https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
//! says: canonical request, string to sign, a key derived from the secret by date, region and
//! service. A request must be dated within 5 minutes of the emulator's clock, DynamoDB's current
//! window; on a virtual clock (which does not show the client's time) the date is not compared.

use crate::clock::Clock;
use crate::error::{DynamoError, ErrorKind, Result};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

/// How far a request's date may be from the emulator's clock.
const SKEW: Duration = Duration::from_secs(300);
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The access keys the emulator accepts, with their secrets.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    secrets: HashMap<String, String>,
}

impl Credentials {
    /// No keys yet.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Accepts requests signed with `access_key_id` and `secret_access_key`.
    pub fn with(mut self, access_key_id: &str, secret_access_key: &str) -> Credentials {
        self.secrets
            .insert(access_key_id.to_string(), secret_access_key.to_string());
        self
    }

    /// Parses `KEY:SECRET`, the form of the `--auth` flag.
    pub fn parse_pair(pair: &str) -> Option<(String, String)> {
        let (key, secret) = pair.split_once(':')?;
        (!key.is_empty() && !secret.is_empty()).then(|| (key.to_string(), secret.to_string()))
    }
}

/// The parts of a signature, from the `Authorization` header or the query string.
struct Signed {
    algorithm: String,
    credential: String,
    signed_headers: String,
    signature: String,
    date: String,
    /// The query parameters, decoded, for the canonical query string.
    query: Vec<(String, String)>,
    from_query: bool,
}

fn error(kind: ErrorKind, message: impl Into<String>) -> DynamoError {
    DynamoError::new(kind, message)
}

/// Checks that a request carries a signature with all its parts (an `Authorization` header or
/// the query-string form), as the service does for every request before anything else about the
/// signature: `MissingAuthenticationTokenException`, `InvalidSignatureException` (both forms) or
/// `IncompleteSignatureException` (a part missing). Without `--auth` the signature itself
/// is not checked.
pub fn check_present(parts: &hyper::http::request::Parts) -> Result<()> {
    extract(parts).map(|_| ())
}

/// Checks the request's signature against `credentials`.
pub fn verify(
    credentials: &Credentials,
    parts: &hyper::http::request::Parts,
    body: &[u8],
    clock: &Clock,
) -> Result<()> {
    let signed = extract(parts)?;
    if signed.algorithm != ALGORITHM {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!(
                "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
                signed.algorithm
            ),
        ));
    }
    let time = parse_basic_date(&signed.date).ok_or_else(|| {
        error(
            ErrorKind::IncompleteSignature,
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                signed.date
            ),
        )
    })?;
    let scope: Vec<&str> = signed.credential.split('/').collect();
    let [key_id, day, region, service, terminator] = scope[..] else {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
                signed.credential
            ),
        ));
    };
    let mut wrong = String::new();
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        let _ = write!(
            wrong,
            "Credential should be scoped to a valid region, not '{region}'. "
        );
    }
    if service != "dynamodb" {
        wrong.push_str("Credential should be scoped to correct service: 'dynamodb'. ");
    }
    if terminator != "aws4_request" {
        let _ = write!(
            wrong,
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        );
    }
    if day != &signed.date[..8] {
        let _ = write!(
            wrong,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{day}' != '{}', from '{}'. ",
            &signed.date[..8],
            signed.date
        );
    }
    if !wrong.is_empty() {
        return Err(error(ErrorKind::InvalidSignature, wrong.trim_end()));
    }
    if !clock.is_virtual() {
        let now = clock.now();
        if time + SKEW < now {
            return Err(error(
                ErrorKind::InvalidSignature,
                format!(
                    "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                    signed.date,
                    basic_date(now - SKEW),
                    basic_date(now)
                ),
            ));
        }
        if time > now + SKEW {
            return Err(error(
                ErrorKind::InvalidSignature,
                format!(
                    "Signature not yet current: {} is still later than {} ({} + 5 min.)",
                    signed.date,
                    basic_date(now + SKEW),
                    basic_date(now)
                ),
            ));
        }
    }
    let names: Vec<&str> = signed.signed_headers.split(';').collect();
    if !names.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        return Err(error(
            ErrorKind::InvalidSignature,
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let Some(secret) = credentials.secrets.get(key_id) else {
        return Err(error(
            ErrorKind::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ));
    };
    let canonical = canonical_request(parts, &signed, &names, body);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{day}/{region}/{service}/{terminator}\n{}",
        signed.date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    for part in [region, service, terminator] {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if !constant_time_eq(expected.as_bytes(), signed.signature.as_bytes()) {
        return Err(error(
            ErrorKind::InvalidSignature,
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ));
    }
    Ok(())
}

/// Finds the signature's parts, or the error DynamoDB gives for what is missing.
fn extract(parts: &hyper::http::request::Parts) -> Result<Signed> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let raw_query = parts.uri.query().unwrap_or("");
    let query: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let query_has = |k: &str| query.iter().any(|(name, _)| name == k);
    let authorization = header("authorization");
    let query_auth = query_has("X-Amz-Algorithm");
    let header_auth = authorization.filter(|a| a.starts_with("AWS4-"));
    if header_auth.is_none() && !query_auth {
        return Err(error(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ));
    }
    if authorization.is_some() && query_auth {
        return Err(error(
            ErrorKind::InvalidSignature,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        ));
    }
    if let Some(auth) = header_auth {
        let (algorithm, params) = auth.split_once([' ', ',']).unwrap_or((auth, ""));
        let param = |name: &str| {
            params
                .split([' ', ','])
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v)
        };
        let date = header("x-amz-date")
            .map(str::to_string)
            .or_else(|| header("date").and_then(http_date_to_basic));
        let mut missing = String::new();
        for p in ["Credential", "Signature", "SignedHeaders"] {
            if param(p).is_none() {
                let _ = write!(missing, "Authorization header requires '{p}' parameter. ");
            }
        }
        if header("x-amz-date").is_none() && header("date").is_none() {
            missing.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            );
        }
        if !missing.is_empty() {
            return Err(error(
                ErrorKind::IncompleteSignature,
                format!("{missing}Authorization={auth}"),
            ));
        }
        let unwrap = |p: &str| param(p).unwrap_or_default().to_string();
        return Ok(Signed {
            algorithm: algorithm.to_string(),
            credential: unwrap("Credential"),
            signed_headers: unwrap("SignedHeaders"),
            signature: unwrap("Signature"),
            date: date.unwrap_or_else(|| header("date").unwrap_or_default().to_string()),
            query,
            from_query: false,
        });
    }
    let mut missing = String::new();
    for p in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        let present = query.iter().any(|(k, v)| k == p && !v.is_empty());
        if !present {
            let _ = write!(missing, "AWS query-string parameters must include '{p}'. ");
        }
    }
    if !missing.is_empty() {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!("{missing}Re-examine the query-string parameters."),
        ));
    }
    let value = |name: &str| -> String {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Ok(Signed {
        algorithm: value("X-Amz-Algorithm"),
        credential: value("X-Amz-Credential"),
        signed_headers: value("X-Amz-SignedHeaders"),
        signature: value("X-Amz-Signature"),
        date: value("X-Amz-Date"),
        query,
        from_query: true,
    })
}

fn canonical_request(
    parts: &hyper::http::request::Parts,
    signed: &Signed,
    names: &[&str],
    body: &[u8],
) -> String {
    let mut out = String::new();
    out.push_str(parts.method.as_str());
    out.push('\n');
    // Services other than S3 sign each path segment encoded once more.
    let path = parts.uri.path();
    let path: Vec<String> = path.split('/').map(uri_encode).collect();
    out.push_str(&path.join("/"));
    out.push('\n');
    let mut query: Vec<(String, String)> = signed
        .query
        .iter()
        .filter(|(k, _)| !(signed.from_query && k == "X-Amz-Signature"))
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    out.push_str(&query.join("&"));
    out.push('\n');
    for name in names {
        let values: Vec<String> = parts
            .headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let _ = writeln!(out, "{}:{}", name.to_ascii_lowercase(), values.join(","));
    }
    out.push('\n');
    out.push_str(&signed.signed_headers);
    out.push('\n');
    let payload = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| hex(&Sha256::digest(body)));
    out.push_str(&payload);
    out
}

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SigV4's URI encoding: everything but `A-Z a-z 0-9 - _ . ~` as `%XX`.
pub(crate) fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_at = |j: usize| {
            bytes
                .get(j)
                .and_then(|c| (*c as char).to_digit(16))
                .map(|d| d as u8)
        };
        match (bytes[i], hex_at(i + 1), hex_at(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h * 16 + l);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `20130524T000000Z` → time since the epoch.
fn parse_basic_date(s: &str) -> Option<Duration> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hh, mm, ss) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    let small = |v: i64| u8::try_from(v).ok();
    crate::clock::from_calendar(
        i32::try_from(y).ok()?,
        small(m)?,
        small(d)?,
        small(hh)?,
        small(mm)?,
        small(ss)?,
    )
}

/// Time since the epoch → `20130524T000000Z`.
pub(crate) fn basic_date(t: Duration) -> String {
    let iso = crate::clock::iso8601(t); // YYYY-MM-DDTHH:MM:SS.mmm
    iso.chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .chain(std::iter::once('Z'))
        .collect()
}

/// An HTTP `Date` header in the basic format SigV4 signs with.
fn http_date_to_basic(date: &str) -> Option<String> {
    let t = httpdate::parse_http_date(date).ok()?;
    let since = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(basic_date(since))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_dates_round_trip() {
        let t = parse_basic_date("20150830T123600Z").unwrap();
        assert_eq!(t, Duration::from_secs(1_440_938_160));
        assert_eq!(basic_date(t), "20150830T123600Z");
        for bad in [
            "201",
            "20150830T123600",
            "2015083XT123600Z",
            "20151330T123600Z",
        ] {
            assert_eq!(parse_basic_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn signing_key_matches_aws_example() {
        // From the SigV4 documentation's example: secret, 20150830, us-east-1, iam.
        let mut key = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20150830");
        for part in ["us-east-1", "iam", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        assert_eq!(
            hex(&key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn uri_encoding_and_decoding() {
        assert_eq!(uri_encode("a b/~"), "a%20b%2F~");
        assert_eq!(percent_decode("a%20b%2f+c"), "a b/ c");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
