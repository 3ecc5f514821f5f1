//! GetItem (or PutItem) throughput over HTTP with one keep-alive connection, against the emulator
//! or any DynamoDB-compatible endpoint, so peers are measured by the same client in the same run.
//!
//! `cargo run --release -p dynamodb-emulator --example http_load -- [--endpoint URL] [--requests N]`
//! Without `--endpoint` an emulator is started in-process on a free port. `--connections N`
//! spreads the requests over N keep-alive connections (one client thread each). `--floor` also
//! measures a bare TCP echo round trip, the transport floor of the machine. `--bulk N` only
//! loads N small items with BatchWriteItem and leaves them there (`scripts/bench-peers.sh`
//! reads the server's RSS around it).

use dynamodb_emulator::Emulator;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl Conn {
    fn open(endpoint: &str) -> Conn {
        let host = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let stream = TcpStream::connect(&host).expect("connect");
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            host,
        }
    }

    /// One request; returns (status, body).
    fn call(&mut self, op: &str, body: &str) -> (u16, Vec<u8>) {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.{op}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.writer.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        (status, body)
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let requests: usize = arg("--requests")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let connections: usize = arg("--connections")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    if std::env::args().any(|a| a == "--floor") {
        println!(
            "tcp echo floor: {:.0} round trips/s (one connection)",
            echo_floor(requests)
        );
    }
    let (endpoint, _guard) = match arg("--endpoint") {
        Some(e) => (e, None),
        None => {
            // Throughput of the server, not DynamoDB's limits (a hot key would be throttled).
            let emu = Emulator::builder().throttling(false).start().await.unwrap();
            (emu.endpoint_url(), Some(emu))
        }
    };
    let label = arg("--label").unwrap_or_else(|| endpoint.clone());
    // `--bulk N`: only load N items with BatchWriteItem and keep them (for the server's RSS).
    let bulk: Option<usize> = arg("--bulk").and_then(|s| s.parse().ok());
    let table = format!("load{}", std::process::id());
    let result = tokio::task::spawn_blocking(move || {
        let mut c = Conn::open(&endpoint);
        let (st, body) = c.call(
            "CreateTable",
            &format!(r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"N"}}],"ProvisionedThroughput":{{"ReadCapacityUnits":40000,"WriteCapacityUnits":40000}}}}"#),
        );
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
        // Wait until ACTIVE (peers may delay it).
        for _ in 0..200 {
            let (_, d) = c.call("DescribeTable", &format!(r#"{{"TableName":"{table}"}}"#));
            if String::from_utf8_lossy(&d).contains("\"ACTIVE\"") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if let Some(items) = bulk {
            return Measured::Bulk(bulk_load(&endpoint, connections, &table, items));
        }
        let put = format!(r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"user#1"}},"sk":{{"N":"0"}},"name":{{"S":"Chuck Norris"}},"n":{{"N":"42"}},"tags":{{"SS":["a","b"]}}}}}}"#);
        let (st, body) = c.call("PutItem", &put);
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
        let get = format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"user#1"}},"sk":{{"N":"0"}}}}}}"#);
        for i in 0..100 {
            let item = format!(r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"hot"}},"sk":{{"N":"{i}"}},"name":{{"S":"item {i}"}}}}}}"#);
            assert_eq!(c.call("PutItem", &item).0, 200);
        }
        let query = format!(r#"{{"TableName":"{table}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"hot"}}}}}}"#);
        for _ in 0..requests / 10 {
            c.call("GetItem", &get);
        }
        let get_rate = timed(&endpoint, connections, requests, "GetItem", &get);
        let put_rate = timed(&endpoint, connections, requests, "PutItem", &put);
        let query_rate = timed(&endpoint, connections, (requests / 10).max(connections), "Query", &query);
        c.call("DeleteTable", &format!(r#"{{"TableName":"{table}"}}"#));
        Measured::Rates(get_rate, put_rate, query_rate)
    })
    .await
    .unwrap();
    match result {
        Measured::Bulk(rate) => {
            println!(
                "{label}: BatchWriteItem loaded {rate:.0} items/s ({connections} keep-alive connection(s))"
            );
            println!("BULK {label} {connections} {rate:.0}");
        }
        Measured::Rates(get, put, query) => {
            println!(
                "{label}: GetItem {get:.0}/s, PutItem {put:.0}/s, Query of 100 items {query:.0}/s ({connections} keep-alive connection(s))"
            );
            println!("RESULT {label} {connections} {get:.0} {put:.0} {query:.0}");
        }
    }
}

/// What one run measured: a bulk load's items per second, or GetItem, PutItem and Query
/// requests per second.
enum Measured {
    Bulk(f64),
    Rates(f64, f64, f64),
}

/// A small item like `item_memory`'s (about 64 bytes by DynamoDB's rules), as a PutRequest.
fn bulk_item(i: usize) -> String {
    format!(
        r#"{{"PutRequest":{{"Item":{{"pk":{{"S":"user#{i:08}"}},"sk":{{"N":"0"}},"name":{{"S":"name {i:06}"}},"email":{{"S":"u{i:07}@ex.com"}},"n":{{"N":"{}"}},"ok":{{"BOOL":true}}}}}}}}"#,
        i % 100_000
    )
}

/// Loads `items` items with BatchWriteItem (25 a request) over `connections` connections,
/// resending unprocessed items; then, past the replicas' lag window, reads one back (the
/// emulator drops old versions on reads). Returns items per second of the load.
fn bulk_load(endpoint: &str, connections: usize, table: &str, items: usize) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for c in 0..connections {
            s.spawn(move || {
                let mut conn = Conn::open(endpoint);
                let mine: Vec<usize> = (c..items).step_by(connections).collect();
                for chunk in mine.chunks(25) {
                    let mut body = format!(
                        r#"{{"RequestItems":{{"{table}":[{}]}}}}"#,
                        chunk
                            .iter()
                            .map(|i| bulk_item(*i))
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                    loop {
                        let (st, answer) = conn.call("BatchWriteItem", &body);
                        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&answer));
                        let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                        match v["UnprocessedItems"].as_object() {
                            Some(u) if !u.is_empty() => {
                                body = serde_json::json!({ "RequestItems": u }).to_string()
                            }
                            _ => break,
                        }
                    }
                }
            });
        }
    });
    let rate = items as f64 / start.elapsed().as_secs_f64();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut c = Conn::open(endpoint);
    let get = format!(
        r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"user#00000000"}},"sk":{{"N":"0"}}}}}}"#
    );
    assert_eq!(c.call("GetItem", &get).0, 200);
    rate
}

/// Requests per second for `requests` calls spread over `connections` connections.
fn timed(endpoint: &str, connections: usize, requests: usize, op: &str, body: &str) -> f64 {
    let per = requests / connections;
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..connections {
            s.spawn(|| {
                let mut c = Conn::open(endpoint);
                for _ in 0..per {
                    let (st, _) = c.call(op, body);
                    assert_eq!(st, 200);
                }
            });
        }
    });
    (per * connections) as f64 / start.elapsed().as_secs_f64()
}

/// Round trips per second of a bare TCP echo on loopback: what no HTTP server can beat.
fn echo_floor(n: usize) -> f64 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            let k = s.read(&mut buf).unwrap_or(0);
            if k == 0 || s.write_all(&buf[..k]).is_err() {
                break;
            }
        }
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_nodelay(true).unwrap();
    let msg = [b'x'; 200];
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    for _ in 0..n {
        c.write_all(&msg).unwrap();
        let mut got = 0;
        while got < msg.len() {
            got += c.read(&mut buf).unwrap();
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}
