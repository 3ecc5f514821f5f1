//! The `Host` check that keeps web pages from reaching an emulator on loopback.
//!
//! A server on `127.0.0.1` feels private, but a web page can reach it through DNS rebinding:
//! the page's own host name is re-pointed at `127.0.0.1`, and the browser then sends the page's
//! requests to the emulator as same-origin requests, which may read and reset tables. What such
//! a request cannot hide is its `Host` header: it names the attacker's domain. So while the
//! emulator is bound to a loopback address it serves only requests whose `Host` is `localhost`
//! (or a `*.localhost` name, which resolvers keep on loopback), an IP literal (never a rebinding
//! target), or a name the operator allowed. Bound to any other address, the emulator is meant
//! to be reached by name, and every `Host` is accepted.

use std::net::{IpAddr, SocketAddr};

/// Whether a request with this `Host` header may be served by a server bound to `bound`.
/// `extra` holds further host names to accept (case-insensitive, without port).
pub fn allowed(host: Option<&str>, bound: SocketAddr, extra: &[String]) -> bool {
    if !bound.ip().is_loopback() {
        return true;
    }
    // HTTP/1.0 clients may send no Host; a browser always sends one.
    let Some(host) = host else { return true };
    let name = strip_port(host.trim());
    if name.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || extra.iter().any(|e| e.eq_ignore_ascii_case(&name))
}

/// `example.com:8000` → `example.com`; `[::1]:8000` → `::1`.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_accept_local_names_and_ip_literals_only() {
        let lo: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        let extra = vec!["dynamodb.test".to_string()];
        for ok in [
            None,
            Some("localhost"),
            Some("localhost:8000"),
            Some("LOCALHOST."),
            Some("api.localhost:1"),
            Some("127.0.0.1:8000"),
            Some("[::1]:8000"),
            Some("10.1.2.3"),
            Some("dynamodb.test:8000"),
        ] {
            assert!(allowed(ok, lo, &extra), "{ok:?}");
        }
        for refused in [
            "evil.example",
            "evil.example:8000",
            "localhost.evil.example",
        ] {
            assert!(!allowed(Some(refused), lo, &extra), "{refused}");
        }
        let any: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        assert!(allowed(Some("evil.example"), any, &[]));
    }
}
