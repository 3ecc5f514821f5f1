//! An S3-compatible endpoint: ListObjectsV2, GetObject and PutObject, path-style, over plain
//! HTTP/1.1 (hyper's client), signed with SigV4.
//!
//! Exports and imports are rare and bounded, so each request opens its own connection on a
//! short-lived single-threaded runtime in a scoped thread: the caller (a request handler, on
//! the server's runtime or in process) just blocks until S3 answers, at most [`TIMEOUT`].
//! The signature is dated with the real time whatever the emulator's clock, since the other
//! server checks it against its own.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>

use super::{ObjectInfo, StoreError};
use crate::server::auth::{basic_date, hex, hmac, uri_encode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How long one S3 request may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Listing pages read at most (1,000 keys each): well past ImportTable's 50,000 objects.
const MAX_PAGES: usize = 100;

/// An S3-compatible endpoint and the credentials requests are signed with.
#[derive(Clone)]
pub struct S3Endpoint {
    /// `host:port`.
    authority: String,
    /// A path the endpoint is mounted under, without a trailing `/` (usually empty).
    base: String,
    region: String,
    access_key: String,
    secret: String,
}

impl std::fmt::Debug for S3Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("S3Endpoint")
            .field("authority", &self.authority)
            .field("base", &self.base)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .finish()
    }
}

impl S3Endpoint {
    /// `http://host[:port][/base]`, signing as `access_key` for `region`.
    pub fn new(
        url: &str,
        region: &str,
        access_key: &str,
        secret: &str,
    ) -> Result<S3Endpoint, String> {
        if url.starts_with("https://") {
            return Err(format!(
                "{url}: the emulator speaks plain HTTP to an S3 endpoint (no TLS client); use http://"
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: not an http:// URL"))?;
        let (authority, base) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains(['?', '#', '@']) {
            return Err(format!("{url}: not a host[:port]"));
        }
        Ok(S3Endpoint {
            authority: authority.to_string(),
            base: base.to_string(),
            region: region.to_string(),
            access_key: access_key.to_string(),
            secret: secret.to_string(),
        })
    }

    pub(crate) fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("list-type".to_string(), "2".to_string()),
                ("prefix".to_string(), prefix.to_string()),
            ];
            if let Some(t) = &token {
                query.push(("continuation-token".to_string(), t.clone()));
            }
            let body = self.call("GET", bucket, "", &query, Vec::new())?;
            let xml = String::from_utf8_lossy(&body);
            for contents in elements(&xml, "Contents") {
                let key = elements(contents, "Key").first().map(|k| unescape(k));
                let size = elements(contents, "Size")
                    .first()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0);
                if let Some(key) = key {
                    out.push(ObjectInfo { key, size });
                }
            }
            let truncated = elements(&xml, "IsTruncated")
                .first()
                .is_some_and(|t| t.trim() == "true");
            token = elements(&xml, "NextContinuationToken")
                .first()
                .map(|t| unescape(t));
            if !truncated || token.is_none() {
                return Ok(out);
            }
        }
        Err(StoreError::new(
            "InternalError",
            format!("listing s3://{bucket}/{prefix} took more than {MAX_PAGES} pages"),
        ))
    }

    pub(crate) fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, StoreError> {
        self.call("GET", bucket, key, &[], Vec::new())
    }

    pub(crate) fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        self.call("PUT", bucket, key, &[], body.to_vec()).map(drop)
    }

    /// One signed request; the body of a 2xx answer, or S3's error.
    fn call(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        query: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        // A proxy that normalises paths could resolve `..` into another bucket.
        if key.split('/').any(|p| p == "." || p == "..") {
            return Err(StoreError::new(
                "InvalidObjectName",
                format!("the key {key:?} has a . or .. part"),
            ));
        }
        let mut path = format!("{}/{}", self.base, uri_encode(bucket));
        if !key.is_empty() {
            path.push('/');
            let parts: Vec<String> = key.split('/').map(uri_encode).collect();
            path.push_str(&parts.join("/"));
        }
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k), uri_encode(v)))
            .collect();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let query = query.join("&");
        let payload = hex(&Sha256::digest(&body));
        let now = crate::clock::Clock::real().now();
        let amz_date = basic_date(now);
        let authorization = self.authorization(method, &path, &query, &payload, &amz_date);
        let uri = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        let request = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", &self.authority)
            .header("x-amz-content-sha256", &payload)
            .header("x-amz-date", &amz_date)
            .header("authorization", authorization)
            .header("content-length", body.len())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| StoreError::new("InternalError", e.to_string()))?;
        let authority = self.authority.clone();
        let (status, body) = run(async move {
            let stream = tokio::net::TcpStream::connect(&authority)
                .await
                .map_err(|e| format!("cannot reach the S3 endpoint {authority}: {e}"))?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            // An object is read whole, so at most the size an import takes.
            let limit = usize::try_from(crate::transfer::MAX_OBJECT_BYTES).unwrap_or(usize::MAX);
            let body = http_body_util::Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|e| format!("reading S3's answer: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, body.to_vec()))
        })
        .map_err(|e| StoreError::new("InternalError", e))?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let xml = String::from_utf8_lossy(&body);
        let code = elements(&xml, "Code").first().map(|c| unescape(c));
        let message = elements(&xml, "Message").first().map(|m| unescape(m));
        Err(match (code, status) {
            (Some(code), _) => StoreError::new(&code, message.unwrap_or_default()),
            (None, 404) if key.is_empty() => StoreError::no_such_bucket(),
            (None, 404) => StoreError::new("NoSuchKey", "The specified key does not exist."),
            (None, 403) => StoreError::new("AccessDenied", "Access Denied"),
            (None, s) => StoreError::new("InternalError", format!("S3 answered HTTP {s}")),
        })
    }
}

impl S3Endpoint {
    /// The `Authorization` header of a request signing `host`, `x-amz-content-sha256` and
    /// `x-amz-date` (S3's minimum), for an already encoded `path` and sorted `query`.
    fn authorization(
        &self,
        method: &str,
        path: &str,
        query: &str,
        payload: &str,
        amz_date: &str,
    ) -> String {
        let date = &amz_date[..8];
        let signed_headers = "host;x-amz-content-sha256;x-amz-date";
        let canonical = format!(
            "{method}\n{path}\n{query}\nhost:{}\nx-amz-content-sha256:{payload}\nx-amz-date:{amz_date}\n\n{signed_headers}\n{payload}",
            self.authority
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut signing = hmac(format!("AWS4{}", self.secret).as_bytes(), date.as_bytes());
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            signing = hmac(&signing, part.as_bytes());
        }
        let signature = hex(&hmac(&signing, to_sign.as_bytes()));
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key
        )
    }
}

/// Runs `f` on its own single-threaded runtime in a scoped thread, with [`TIMEOUT`].
fn run<T: Send>(
    f: impl std::future::Future<Output = Result<T, String>> + Send,
) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                tokio::time::timeout(TIMEOUT, f)
                    .await
                    .map_err(|_| format!("the S3 endpoint did not answer within {TIMEOUT:?}"))?
            })
        })
        .join()
        .unwrap_or_else(|_| Err("the S3 request failed".to_string()))
    })
}

/// The contents of each `<name>...</name>` element in `xml`, outermost first, not nested.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// XML's five entities and character references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_listing_and_its_entities() {
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&amp;b/c&#x41;</Key><Size>12</Size></Contents><Contents><Key>d</Key><Size>0</Size></Contents></ListBucketResult>";
        let keys: Vec<String> = elements(xml, "Contents")
            .iter()
            .map(|c| unescape(elements(c, "Key")[0]))
            .collect();
        assert_eq!(keys, ["a&b/cA", "d"]);
        assert_eq!(unescape("x &bogus; y &"), "x &bogus; y &");
    }

    #[test]
    fn signs_as_the_s3_documentation_example_does() {
        // "Example: GET Bucket (List Objects)" of the S3 SigV4 header-authentication guide.
        let e = S3Endpoint::new(
            "http://examplebucket.s3.amazonaws.com",
            "us-east-1",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .unwrap();
        let empty = hex(&Sha256::digest(b""));
        assert_eq!(
            e.authorization("GET", "/", "max-keys=2&prefix=J", &empty, "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn an_endpoint_is_a_plain_http_url() {
        let e = S3Endpoint::new("http://127.0.0.1:9000/s3/", "us-east-1", "k", "s").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.base.as_str()),
            ("127.0.0.1:9000", "/s3")
        );
        assert!(S3Endpoint::new("https://s3.amazonaws.com", "us-east-1", "k", "s").is_err());
        assert!(!format!("{e:?}").contains("\"s\""));
    }
}
