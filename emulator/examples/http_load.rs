//! GetItem (or PutItem) throughput over HTTP with one keep-alive connection, against the emulator
//! or any DynamoDB-compatible endpoint, so peers are measured by the same client in the same run.
//!
//! `cargo run --release -p dynamodb-emulator --example http_load -- [--endpoint URL] [--requests N]`
//! Without `--endpoint` an emulator is started in-process on a free port.

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
    let (endpoint, _guard) = match arg("--endpoint") {
        Some(e) => (e, None),
        None => {
            let emu = Emulator::builder().start().await.unwrap();
            (emu.endpoint_url(), Some(emu))
        }
    };
    let label = arg("--label").unwrap_or_else(|| endpoint.clone());
    let table = format!("load{}", std::process::id());
    let result = tokio::task::spawn_blocking(move || {
        let mut c = Conn::open(&endpoint);
        let (st, body) = c.call(
            "CreateTable",
            &format!(r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}}],"ProvisionedThroughput":{{"ReadCapacityUnits":100000,"WriteCapacityUnits":100000}}}}"#),
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
        let put = format!(r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"user#1"}},"name":{{"S":"Chuck Norris"}},"n":{{"N":"42"}},"tags":{{"SS":["a","b"]}}}}}}"#);
        let (st, body) = c.call("PutItem", &put);
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
        let get = format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"user#1"}}}}}}"#);
        for _ in 0..requests / 10 {
            c.call("GetItem", &get);
        }
        let start = Instant::now();
        for _ in 0..requests {
            let (st, _) = c.call("GetItem", &get);
            assert_eq!(st, 200);
        }
        let get_rate = requests as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        for _ in 0..requests {
            let (st, _) = c.call("PutItem", &put);
            assert_eq!(st, 200);
        }
        let put_rate = requests as f64 / start.elapsed().as_secs_f64();
        c.call("DeleteTable", &format!(r#"{{"TableName":"{table}"}}"#));
        (get_rate, put_rate)
    })
    .await
    .unwrap();
    println!("{label}: GetItem {:.0}/s, PutItem {:.0}/s (one keep-alive connection, {requests} requests each)", result.0, result.1);
}
