//! Wire-protocol details the SDKs depend on: checksums, request ids, error shapes.

use dynamodb_test_support::*;

#[tokio::test]
async fn responses_carry_crc32_and_request_id() {
    let env = start().await;
    let url = env.emulator.endpoint_url();
    let (status, headers, body) = tokio::task::spawn_blocking(move || {
        raw_post(&url, Some("DynamoDB_20120810.ListTables"), b"{}")
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-amz-crc32").unwrap(), crc32(&body).to_string());
    assert_eq!(header("x-amzn-requestid").unwrap().len(), 52);
    assert_eq!(
        header("content-type").unwrap(),
        "application/x-amz-json-1.0"
    );
    assert_eq!(body, br#"{"TableNames":[]}"#);
}

fn crc32(data: &[u8]) -> u32 {
    // Bitwise CRC-32 (IEEE), independent of the emulator's implementation.
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn malformed_requests_get_dynamodb_errors() {
    let env = start().await;
    let url = env.emulator.endpoint_url();
    let cases: Vec<(Option<&'static str>, &'static [u8], &'static str)> = vec![
        (
            Some("DynamoDB_20120810.ListTables"),
            b"{not json",
            "SerializationException",
        ),
        (
            Some("DynamoDB_20120810.GetItem"),
            br#"{"TableName": 5}"#,
            "SerializationException",
        ),
        (
            Some("DynamoDB_20120810.Nope"),
            b"{}",
            "UnknownOperationException",
        ),
        (None, b"{}", "UnknownOperationException"),
        (
            Some("DynamoDB_20120810.GetItem"),
            br#"{"TableName":"abc","Key":{"k":{"S":"a","N":"1"}}}"#,
            "ValidationException",
        ),
    ];
    for (target, body, expected) in cases {
        let u = url.clone();
        let (status, _, resp) = tokio::task::spawn_blocking(move || raw_post(&u, target, body))
            .await
            .unwrap();
        assert_eq!(status, 400);
        let v: serde_like::Value = serde_like::parse(&resp);
        assert!(
            v.type_name.ends_with(&format!("#{expected}")),
            "{target:?}: {}",
            String::from_utf8_lossy(&resp)
        );
    }
    // The server survives all of it.
    env.client.list_tables().send().await.unwrap();
}

/// Just enough JSON reading for `__type`, without another dependency.
mod serde_like {
    pub struct Value {
        pub type_name: String,
    }
    pub fn parse(body: &[u8]) -> Value {
        let text = String::from_utf8_lossy(body);
        let start = text.find("\"__type\":\"").expect("__type") + 10;
        let end = text[start..].find('"').unwrap() + start;
        Value {
            type_name: text[start..end].to_string(),
        }
    }
}

/// DynamoDB answers in the JSON flavour it was asked in, and `application/json` when the
/// request named none (dynalite's suite, recorded against the service).
#[tokio::test]
async fn responses_echo_the_requests_json_content_type() {
    let env = start().await;
    let url = env.emulator.endpoint_url();
    let types = tokio::task::spawn_blocking(move || {
        [
            None,
            Some("application/json"),
            Some("application/x-amz-json-1.0"),
        ]
        .map(|ct| {
            let mut headers = vec![("X-Amz-Target", "DynamoDB_20120810.NoSuchOperation")];
            headers.extend(ct.map(|c| ("Content-Type", c)));
            // No body: a body without a JSON Content-Type is a 404 (see below).
            let (_, headers, _) = raw_request(&url, "/", &headers, b"");
            headers
                .into_iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v)
                .unwrap()
        })
    })
    .await
    .unwrap();
    assert_eq!(
        types,
        [
            "application/json",
            "application/json",
            "application/x-amz-json-1.0"
        ]
    );
}

/// A list where a structure or a map belongs: the service names its own Java type (dynalite's
/// suite, recorded against it), one row per shape.
#[tokio::test]
async fn a_list_for_a_structure_or_map_names_the_services_type() {
    let env = start().await;
    let url = env.emulator.endpoint_url();
    const NS: &str = "com.amazonaws.dynamodb.v20120810.";
    let map =
        |v: &str| format!("Unrecognized collection type java.util.Map<java.lang.String, {v}>");
    let class = |c: &str| format!("Unrecognized collection type class {NS}{c}");
    let cases: Vec<(&str, &str, String)> = vec![
        (
            "GetItem",
            r#"{"TableName":"abc","Key":{"a":[]}}"#,
            class("AttributeValue"),
        ),
        (
            "GetItem",
            r#"{"TableName":"abc","Key":[]}"#,
            map(&format!("{NS}AttributeValue")),
        ),
        (
            "GetItem",
            r#"{"TableName":"abc","ExpressionAttributeNames":[]}"#,
            map("java.lang.String"),
        ),
        (
            "Query",
            r#"{"TableName":"abc","KeyConditions":[]}"#,
            map(&format!("{NS}Condition")),
        ),
        (
            "PutItem",
            r#"{"TableName":"abc","Expected":[]}"#,
            map(&format!("{NS}ExpectedAttributeValue")),
        ),
        (
            "UpdateItem",
            r#"{"TableName":"abc","AttributeUpdates":{"a":[]}}"#,
            class("AttributeValueUpdate"),
        ),
        (
            "BatchWriteItem",
            r#"{"RequestItems":[]}"#,
            map(&format!("java.util.List<{NS}WriteRequest>")),
        ),
        (
            "BatchGetItem",
            r#"{"RequestItems":[]}"#,
            map(&format!("{NS}KeysAndAttributes")),
        ),
        (
            "CreateTable",
            r#"{"TableName":"abc","LocalSecondaryIndexes":[[]]}"#,
            class("LocalSecondaryIndex"),
        ),
        (
            "CreateTable",
            r#"{"TableName":"abc","GlobalSecondaryIndexes":[{"Projection":[]}]}"#,
            class("Projection"),
        ),
        (
            "UpdateTable",
            r#"{"TableName":"abc","GlobalSecondaryIndexUpdates":[{"Create":[]}]}"#,
            class("CreateGlobalSecondaryIndexAction"),
        ),
        // Scalars named as the service's parser names them.
        (
            "GetItem",
            r#"{"TableName":"abc","ConsistentRead":"23"}"#,
            "Unexpected token received from parser".into(),
        ),
        (
            "Query",
            r#"{"TableName":"abc","Limit":"23"}"#,
            "STRING_VALUE cannot be converted to Integer".into(),
        ),
        (
            "Scan",
            r#"{"TableName":"abc","Segment":true}"#,
            "TRUE_VALUE cannot be converted to Integer".into(),
        ),
        (
            "ListTables",
            r#"{"Limit":"23"}"#,
            "STRING_VALUE cannot be converted to Integer".into(),
        ),
        (
            "GetItem",
            r#"{"TableName":"abc","Key":{"a":{"B":true}}}"#,
            "only base-64-encoded strings are convertible to bytes".into(),
        ),
        (
            "GetItem",
            r#"{"TableName":"abc","Key":{"a":{"B":[]}}}"#,
            "Unrecognized collection type class java.nio.ByteBuffer".into(),
        ),
        (
            "GetItem",
            r#"{"TableName":"abc","Key":{"a":{"B":"=+/="}}}"#,
            "Invalid last non-pad Base64 character dectected".into(),
        ),
        (
            "GetItem",
            r#"{"TableName":"abc","Key":{"a":{"B":"23456"}}}"#,
            "Base64 encoded length is expected a multiple of 4 bytes but found: 5".into(),
        ),
        // A scalar member given a list keeps its own text.
        (
            "CreateTable",
            r#"{"TableName":"abc","LocalSecondaryIndexes":[{"IndexName":[]}]}"#,
            "Unrecognized collection type class java.lang.String".into(),
        ),
    ];
    for (op, body, expected) in cases {
        let url = url.clone();
        let target = format!("DynamoDB_20120810.{op}");
        let (status, _, out) =
            tokio::task::spawn_blocking(move || raw_post(&url, Some(&target), body.as_bytes()))
                .await
                .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(status, 400, "{op} {body}");
        assert_eq!(
            v["__type"], "com.amazon.coral.service#SerializationException",
            "{op} {body}"
        );
        assert_eq!(v["Message"], expected.as_str(), "{op} {body}");
    }
}

/// The service's front end, in its order (dynalite's suite, recorded against it): a method other
/// than POST, or a body whose Content-Type is not JSON, is a 404 with a one-line XML body; a
/// body that is not JSON is a bare SerializationException; then the target; then a request
/// without a complete signature is refused, before anything is done; a browser's preflight is
/// answered with CORS.
#[tokio::test]
async fn the_front_end_checks_method_type_json_target_and_signature_in_order() {
    let env = start().await;
    let url = env.emulator.endpoint_url();
    let answers = tokio::task::spawn_blocking(move || {
        let text = |r: (u16, Vec<(String, String)>, Vec<u8>)| {
            (r.0, String::from_utf8_lossy(&r.2).into_owned(), r.1)
        };
        let list = ("X-Amz-Target", "DynamoDB_20120810.ListTables");
        let json = ("Content-Type", "application/x-amz-json-1.0");
        let signed = [
            ("Authorization", UNVERIFIED_SIGNATURE),
            ("X-Amz-Date", "20240101T000000Z"),
        ];
        vec![
            text(raw_method(&url, "PUT", "/", &[list, json], b"{}")),
            text(raw_request(
                &url,
                "/",
                &[list, ("Content-Type", "text/plain")],
                b"{}",
            )),
            text(raw_request(
                &url,
                "/",
                &[list, ("Content-Type", "application/x-amz-json-1.1")],
                b"{}",
            )),
            text(raw_request(&url, "/", &[list, json], b"hi")),
            text(raw_request(
                &url,
                "/",
                &[("X-Amz-Target", "DynamoDB_20120810.Nope"), json],
                b"{}",
            )),
            text(raw_request(&url, "/", &[list, json], b"{}")),
            text(raw_request(
                &url,
                "/",
                &[list, json, ("Authorization", "AWS4-")],
                b"{}",
            )),
            text(raw_request(
                &url,
                "/",
                &[list, json, signed[0], signed[1]],
                b"{}",
            )),
            text(raw_method(
                &url,
                "OPTIONS",
                "/",
                &[
                    ("Origin", "http://app.test"),
                    ("Access-Control-Request-Method", "POST"),
                ],
                b"",
            )),
        ]
    })
    .await
    .unwrap();
    let xml = "<UnknownOperationException/>\n";
    assert_eq!((answers[0].0, answers[0].1.as_str()), (404, xml));
    assert_eq!((answers[1].0, answers[1].1.as_str()), (404, xml));
    assert_eq!((answers[2].0, answers[2].1.as_str()), (404, xml));
    assert_eq!(
        (answers[3].0, answers[3].1.as_str()),
        (
            400,
            r#"{"__type":"com.amazon.coral.service#SerializationException"}"#
        )
    );
    assert_eq!(
        (answers[4].0, answers[4].1.as_str()),
        (
            400,
            r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#
        )
    );
    assert_eq!(
        (answers[5].0, answers[5].1.as_str()),
        (
            400,
            r#"{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Request is missing Authentication Token"}"#
        )
    );
    assert_eq!(answers[6].0, 400);
    assert!(
        answers[6].1.contains("IncompleteSignatureException"),
        "{}",
        answers[6].1
    );
    assert!(answers[6]
        .1
        .contains("Authorization header requires 'Credential' parameter."));
    assert_eq!(answers[7].0, 200, "{}", answers[7].1);
    let (status, body, headers) = &answers[8];
    assert_eq!((*status, body.as_str()), (200, ""));
    let header = |k: &str| {
        headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("access-control-allow-origin"), Some("*"));
    assert_eq!(header("access-control-allow-methods"), Some("POST"));
    assert_eq!(header("access-control-max-age"), Some("172800"));
}
