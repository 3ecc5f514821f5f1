//! `GET /console`: the web console, one page embedded in the binary.
//!
//! People learning DynamoDB's cost and consistency trade-offs would rather look than read, and
//! people debugging a test want to see what is in a table. DynamoDB Local needs NoSQL
//! Workbench or dynamodb-admin beside it, and neither can show partitions, replicas, lag or
//! throttling, because DynamoDB Local models none of them.
//!
//! The page is HTML, CSS and JavaScript in one file (`console.html`), with no library and
//! nothing fetched but this server's own API: it calls DynamoDB's operations and the
//! `Emulator.*` control API exactly as an SDK would (same port, same JSON), so what it shows is
//! what a client gets, and everything it changes goes through the same operations. Its plots
//! are SVG drawn by the page itself. A Content-Security-Policy keeps it from reaching anything
//! but this server, so it works, and is known to work, with no network.

use super::respond;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};

/// The page.
const PAGE: &str = include_str!("console.html");

/// Only this server's own API; inline script and style (the page is one file).
const POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                      connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// Whether a GET of `path` asks for the console.
pub fn serves(path: &str) -> bool {
    matches!(path, "/console" | "/console/")
}

/// The console's page.
pub fn page(request_id: &str) -> Response<Full<Bytes>> {
    let mut resp = respond(
        StatusCode::OK,
        Bytes::from_static(PAGE.as_bytes()),
        request_id,
        "text/html; charset=utf-8",
    );
    let h = resp.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(POLICY));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_fetches_nothing_from_elsewhere() {
        // No absolute URL may appear in a src, an href or a fetch: the page works offline.
        for needle in [
            "src=\"http",
            "href=\"http",
            "fetch(\"http",
            "@import",
            "<link ",
        ] {
            assert!(!PAGE.contains(needle), "the console references {needle}");
        }
        assert!(PAGE.len() < 200 * 1024, "the page stays small");
    }
}
