//! Differential check against Amazon's DynamoDB Local: the same wire requests go to the emulator
//! and to DynamoDB Local, and the normalised answers must match, except for the differences
//! listed (with reasons) in docs/known-differences.md. Set CONFORMANCE_SKIP_LOCAL=1 to skip where
//! Java or npm are not available (CI runs it).

use dynamodb_emulator::Consistency;
use dynamodb_emulator::Emulator;
use dynamodb_test_support::DynamoDbLocal;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// A keep-alive HTTP/1.1 connection speaking the DynamoDB JSON protocol.
struct Endpoint {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl Endpoint {
    fn connect(url: &str) -> Endpoint {
        let host = url.trim_start_matches("http://").to_string();
        let s = TcpStream::connect(&host).expect("connect");
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        Endpoint {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
            host,
        }
    }

    fn call(&mut self, op: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.{op}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.writer.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).unwrap();
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
}

/// Removes what legitimately differs between endpoints and orders what DynamoDB leaves unordered.
fn normalise(op: &str, status: u16, v: &Value) -> Value {
    if status != 200 {
        let ty = v["__type"].as_str().unwrap_or_default();
        let short = ty.rsplit('#').next().unwrap_or_default().to_string();
        let msg = v
            .get("message")
            .or_else(|| v.get("Message"))
            .cloned()
            .unwrap_or(Value::Null);
        return json!({ "error": short, "message": msg });
    }
    let mut v = v.clone();
    strip(&mut v);
    if op == "CreateTable" {
        // The service answers CreateTable with CREATING (and an on-demand table's throughput
        // summary); DynamoDB Local with ACTIVE: docs/known-differences.md #29.
        if let Some(d) = v.get_mut("TableDescription").and_then(Value::as_object_mut) {
            d.insert("TableStatus".into(), json!("ACTIVE"));
            d.remove("TableThroughputModeSummary");
            if let Some(gsis) = d
                .get_mut("GlobalSecondaryIndexes")
                .and_then(Value::as_array_mut)
            {
                for g in gsis {
                    g["IndexStatus"] = json!("ACTIVE");
                }
            }
        }
    }
    if op == "Scan" {
        // Scan order across partitions is unspecified.
        if let Some(items) = v.get_mut("Items").and_then(Value::as_array_mut) {
            items.sort_by_key(|i| i.to_string());
        }
        v.as_object_mut().map(|o| o.remove("LastEvaluatedKey"));
    }
    if op == "BatchGetItem" {
        if let Some(r) = v.get_mut("Responses").and_then(Value::as_object_mut) {
            for items in r.values_mut() {
                if let Some(a) = items.as_array_mut() {
                    a.sort_by_key(|i| i.to_string());
                }
            }
        }
    }
    v
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in [
                "TableId",
                "TableArn",
                "CreationDateTime",
                "LatestStreamArn",
                "LatestStreamLabel",
                "IndexArn",
                "ProvisionedThroughput",
                "BillingModeSummary",
                "TableSizeBytes",
                "IndexSizeBytes",
                "DeletionProtectionEnabled",
                "TableClassSummary",
                "WarmThroughput",
                "ConsumedCapacity",
            ] {
                m.remove(k);
            }
            for (k, x) in m.iter_mut() {
                // Sets have no order.
                if matches!(k.as_str(), "SS" | "NS" | "BS") {
                    if let Some(a) = x.as_array_mut() {
                        a.sort_by_key(|e| e.to_string());
                    }
                }
                strip(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Known, justified differences: (operation, substring of the request, why).
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "PutItem",
        "\"e\":{\"SS\":[\"d\",\"d\"]}",
        "duplicate-set message: the service's ends with a period (#23)",
    ),
    (
        "GetItem",
        "\"Missing\"",
        "non-existent table message: see docs/known-differences.md #1",
    ),
    (
        "PutItem",
        "{\"Item\":{\"pk\":{\"S\":\"a\"}}",
        "missing key message: #2",
    ),
    (
        "PutItem",
        "\"sk\":{\"S\":\"x\"}",
        "type mismatch message: #3",
    ),
    (
        "GetItem",
        "{\"Key\":{\"pk\":{\"S\":\"a\"}},",
        "partial key message: #4",
    ),
    (
        "Query",
        "\"KeyConditionExpression\":\"sk = :a\"",
        "missed key schema element message: #5",
    ),
    (
        "TransactWriteItems",
        "{\"Delete\"",
        "two actions on one item: #6",
    ),
    (
        "DescribeTable",
        "\"Missing\"",
        "non-existent table message: #1",
    ),
    (
        "DeleteTable",
        "\"Missing\"",
        "non-existent table message: #1",
    ),
    (
        "PutItem",
        "\"lvl\":{\"N\":\"1\"}",
        "index key type mismatch message: #3",
    ),
    (
        "Query",
        "\"IndexName\":\"byLvl\",\"KeyConditionExpression\":\"lvl = :l\"",
        "order among GSI items with equal index keys: #7",
    ),
    ("Scan", "\"Segment\":2", "Segment out of range message: #8"),
    ("Scan", "\"Limit\":0", "Limit constraint message: #8"),
    (
        "CreateTable",
        "\"TableName\":\"Conf\"}",
        "preexisting table message: #9",
    ),
    (
        "CreateTable",
        "\"TableName\":\"ab\"",
        "table name constraint message: #9",
    ),
    (
        "CreateTable",
        "\"AttributeName\":\"zz\"",
        "undefined key attribute message: #9",
    ),
    (
        "CreateTable",
        "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"TableName\":\"Bad\"}",
        "missing throughput message: #9",
    ),
    ("DeleteTable", "\"Idx\"", "DeleteTable's TableStatus: #10"),
];

fn scenario() -> Vec<(&'static str, Value)> {
    let t = "Conf";
    vec![
        (
            "CreateTable",
            json!({"TableName": t, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "AttributeDefinitions": [{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"1"},"s":{"S":"héllo"},"n":{"N":"-12.50"},
            "b":{"B":"AAEC"},"t":{"BOOL":true},"z":{"NULL":true},"ss":{"SS":["x","y"]},"ns":{"NS":["1","2.5"]},
            "l":{"L":[{"S":"x"},{"N":"1"}]},"m":{"M":{"k":{"S":"v"},"deep":{"M":{"x":{"N":"0"}}}}}}}),
        ),
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"1.0"}}}),
        ),
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"1"}}, "ProjectionExpression": "m.deep, l[1], s"}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"1"}}, "ConditionExpression": "attribute_not_exists(pk)"}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"2"},"v":{"N":"5"}}, "ReturnValues": "ALL_OLD"}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}},
            "UpdateExpression": "SET v = v + :one, l = list_append(if_not_exists(l, :e), :x) ADD c :one, tags :ss",
            "ExpressionAttributeValues": {":one":{"N":"1"},":e":{"L":[]},":x":{"L":[{"S":"q"}]},":ss":{"SS":["r"]}},
            "ReturnValues": "ALL_NEW"}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}},
            "UpdateExpression": "REMOVE l[0] DELETE tags :ss", "ExpressionAttributeValues": {":ss":{"SS":["r"]}}, "ReturnValues": "UPDATED_OLD"}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}},
            "UpdateExpression": "SET v = :s", "ConditionExpression": "v > :big",
            "ExpressionAttributeValues": {":s":{"S":"x"},":big":{"N":"100"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}},
            "UpdateExpression": "SET v = v + :s", "ExpressionAttributeValues": {":s":{"S":"x"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}}, "UpdateExpression": "SET pk = :s", "ExpressionAttributeValues": {":s":{"S":"x"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}}, "UpdateExpression": "SET a = :s, a.b = :s", "ExpressionAttributeValues": {":s":{"S":"x"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}}, "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s":"status"}, "ExpressionAttributeValues": {":s":{"S":"x"},":unused":{"S":"y"}}}),
        ),
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}}, "ConsistentRead": true}),
        ),
        ("PutItem", json!({"TableName": t, "Item": {"pk":{"S":"a"}}})),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"S":"x"}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":""},"sk":{"N":"1"}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"3"},"e":{"SS":[]}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"3"},"e":{"SS":["d","d"]}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"1E+126"}}}),
        ),
        ("GetItem", json!({"TableName": t, "Key": {"pk":{"S":"a"}}})),
        (
            "GetItem",
            json!({"TableName": "Missing", "Key": {"pk":{"S":"a"},"sk":{"N":"1"}}}),
        ),
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"1"}}, "AttributesToGet": ["s"], "ProjectionExpression": "s"}),
        ),
        (
            "BatchWriteItem",
            json!({"RequestItems": {t: (10..30).map(|i| json!({"PutRequest": {"Item": {"pk":{"S":"q"},"sk":{"N": i.to_string()},"even":{"BOOL": i % 2 == 0}}}})).collect::<Vec<_>>()}}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": {":p":{"S":"q"},":a":{"N":"12"},":b":{"N":"20"}}, "ScanIndexForward": false, "Limit": 4}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "pk = :p", "FilterExpression": "even = :t", "ExpressionAttributeValues": {":p":{"S":"q"},":t":{"BOOL":true}}, "Limit": 5}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p":{"S":"q"}}, "Select": "COUNT"}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "pk = :p AND sk > :a AND sk < :b", "ExpressionAttributeValues": {":p":{"S":"q"},":a":{"N":"1"},":b":{"N":"5"}}}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "sk = :a", "ExpressionAttributeValues": {":a":{"N":"1"}}}),
        ),
        (
            "Scan",
            json!({"TableName": t, "FilterExpression": "attribute_exists(even) AND NOT even", "ProjectionExpression": "pk, sk"}),
        ),
        (
            "BatchGetItem",
            json!({"RequestItems": {t: {"Keys": [{"pk":{"S":"q"},"sk":{"N":"10"}},{"pk":{"S":"q"},"sk":{"N":"11"}},{"pk":{"S":"none"},"sk":{"N":"1"}}]}}}),
        ),
        (
            "BatchGetItem",
            json!({"RequestItems": {t: {"Keys": [{"pk":{"S":"q"},"sk":{"N":"10"}},{"pk":{"S":"q"},"sk":{"N":"10"}}]}}}),
        ),
        (
            "TransactWriteItems",
            json!({"TransactItems": [
            {"Update": {"TableName": t, "Key": {"pk":{"S":"q"},"sk":{"N":"10"}}, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v":{"N":"1"}}}},
            {"ConditionCheck": {"TableName": t, "Key": {"pk":{"S":"q"},"sk":{"N":"11"}}, "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}]}),
        ),
        (
            "TransactWriteItems",
            json!({"TransactItems": [
            {"Delete": {"TableName": t, "Key": {"pk":{"S":"q"},"sk":{"N":"10"}}}},
            {"ConditionCheck": {"TableName": t, "Key": {"pk":{"S":"q"},"sk":{"N":"10"}}, "ConditionExpression": "attribute_exists(pk)"}}]}),
        ),
        (
            "TransactGetItems",
            json!({"TransactItems": [{"Get": {"TableName": t, "Key": {"pk":{"S":"q"},"sk":{"N":"10"}}}}, {"Get": {"TableName": t, "Key": {"pk":{"S":"q"},"sk":{"N":"99"}}}}]}),
        ),
        (
            "DeleteItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"2"}}, "ReturnValues": "ALL_OLD"}),
        ),
        ("DescribeTable", json!({"TableName": t})),
        // A second table with secondary indexes.
        (
            "CreateTable",
            json!({"TableName": "Idx", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName":"u","KeyType":"HASH"},{"AttributeName":"g","KeyType":"RANGE"}],
            "AttributeDefinitions": [{"AttributeName":"u","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"},
                {"AttributeName":"score","AttributeType":"N"},{"AttributeName":"lvl","AttributeType":"S"}],
            "LocalSecondaryIndexes": [{"IndexName":"byScore","KeySchema":[{"AttributeName":"u","KeyType":"HASH"},{"AttributeName":"score","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],
            "GlobalSecondaryIndexes": [{"IndexName":"byLvl","KeySchema":[{"AttributeName":"lvl","KeyType":"HASH"},{"AttributeName":"score","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["title"]}}]}),
        ),
        (
            "BatchWriteItem",
            json!({"RequestItems": {"Idx": [
            {"PutRequest": {"Item": {"u":{"S":"u1"},"g":{"S":"g1"},"score":{"N":"30"},"lvl":{"S":"hard"},"title":{"S":"A"},"secret":{"S":"x"}}}},
            {"PutRequest": {"Item": {"u":{"S":"u1"},"g":{"S":"g2"},"score":{"N":"10"},"lvl":{"S":"easy"},"title":{"S":"B"}}}},
            {"PutRequest": {"Item": {"u":{"S":"u1"},"g":{"S":"g3"},"score":{"N":"20"},"title":{"S":"C"}}}},
            {"PutRequest": {"Item": {"u":{"S":"u2"},"g":{"S":"g1"},"score":{"N":"30"},"lvl":{"S":"hard"},"title":{"S":"D"}}}}]}}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "byScore", "KeyConditionExpression": "u = :u AND score > :s", "ExpressionAttributeValues": {":u":{"S":"u1"},":s":{"N":"15"}}}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "byScore", "KeyConditionExpression": "u = :u", "ExpressionAttributeValues": {":u":{"S":"u1"}}, "Select": "ALL_ATTRIBUTES"}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "byLvl", "KeyConditionExpression": "lvl = :l", "ExpressionAttributeValues": {":l":{"S":"hard"}}}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "byLvl", "KeyConditionExpression": "lvl = :l", "ExpressionAttributeValues": {":l":{"S":"hard"}}, "Limit": 1}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "byLvl", "KeyConditionExpression": "lvl = :l", "ExpressionAttributeValues": {":l":{"S":"hard"}}, "ConsistentRead": true}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "byLvl", "KeyConditionExpression": "lvl = :l", "ExpressionAttributeValues": {":l":{"S":"hard"}}, "Select": "ALL_ATTRIBUTES"}),
        ),
        (
            "Query",
            json!({"TableName": "Idx", "IndexName": "nope", "KeyConditionExpression": "lvl = :l", "ExpressionAttributeValues": {":l":{"S":"hard"}}}),
        ),
        ("Scan", json!({"TableName": "Idx", "IndexName": "byLvl"})),
        (
            "PutItem",
            json!({"TableName": "Idx", "Item": {"u":{"S":"u3"},"g":{"S":"g1"},"lvl":{"N":"1"}}}),
        ),
        // Legacy parameters.
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"leg"},"sk":{"N":"1"},"v":{"N":"5"}}, "Expected": {"pk": {"Exists": false}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"leg"},"sk":{"N":"1"}}, "Expected": {"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N":"9"}]}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"leg"},"sk":{"N":"1"}}, "Expected": {"v": {"ComparisonOperator": "EQ", "AttributeValueList": []}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"leg"},"sk":{"N":"1"}}, "AttributeUpdates": {"v": {"Action": "ADD", "Value": {"N":"2"}}, "w": {"Action": "PUT", "Value": {"S":"x"}}}, "ReturnValues": "ALL_NEW"}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"leg"},"sk":{"N":"1"}}, "AttributeUpdates": {"w": {"Action": "DELETE"}}, "Expected": {"v": {"Value": {"N":"7"}}}, "ReturnValues": "UPDATED_OLD"}),
        ),
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"leg"},"sk":{"N":"1"}}, "AttributesToGet": ["v", "w"]}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S":"q"}]}, "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N":"12"},{"N":"14"}]}}}),
        ),
        (
            "Scan",
            json!({"TableName": t, "ScanFilter": {"sk": {"ComparisonOperator": "IN", "AttributeValueList": [{"N":"11"},{"N":"13"}]}}}),
        ),
        // Expression errors.
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"1"}}, "ProjectionExpression": "a, a.b"}),
        ),
        (
            "GetItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"1"}}, "ProjectionExpression": "#x"}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"9"}}, "ConditionExpression": "size(a)"}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"9"}}, "ConditionExpression": "foo(a)"}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"9"}}, "ConditionExpression": "a BETWEEN :b AND :a", "ExpressionAttributeValues": {":a":{"N":"1"},":b":{"N":"2"}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"9"}}, "ConditionExpression": "attribute_type(a, :t)", "ExpressionAttributeValues": {":t":{"S":"X"}}}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"9"}}, "ConditionExpression": ""}),
        ),
        (
            "PutItem",
            json!({"TableName": t, "Item": {"pk":{"S":"a"},"sk":{"N":"9"}}, "ExpressionAttributeValues": {":a":{"N":"1"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"9"}}, "UpdateExpression": "SET a = :v SET b = :v", "ExpressionAttributeValues": {":v":{"N":"1"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"9"}}, "UpdateExpression": "ADD a :v", "ExpressionAttributeValues": {":v":{"S":"x"}}}),
        ),
        (
            "UpdateItem",
            json!({"TableName": t, "Key": {"pk":{"S":"a"},"sk":{"N":"9"}}, "UpdateExpression": "SET a[0] = :v REMOVE a.b", "ExpressionAttributeValues": {":v":{"N":"1"}}}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "pk = :p OR sk = :s", "ExpressionAttributeValues": {":p":{"S":"q"},":s":{"N":"1"}}}),
        ),
        (
            "Query",
            json!({"TableName": t, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p":{"N":"1"}}}),
        ),
        (
            "Scan",
            json!({"TableName": t, "Segment": 2, "TotalSegments": 2}),
        ),
        ("Scan", json!({"TableName": t, "Limit": 0})),
        // Control-plane errors.
        (
            "CreateTable",
            json!({"TableName": t, "BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName":"pk","KeyType":"HASH"}], "AttributeDefinitions": [{"AttributeName":"pk","AttributeType":"S"}]}),
        ),
        (
            "CreateTable",
            json!({"TableName": "ab", "BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName":"pk","KeyType":"HASH"}], "AttributeDefinitions": [{"AttributeName":"pk","AttributeType":"S"}]}),
        ),
        (
            "CreateTable",
            json!({"TableName": "Bad", "BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName":"pk","KeyType":"HASH"}], "AttributeDefinitions": [{"AttributeName":"zz","AttributeType":"S"}]}),
        ),
        (
            "CreateTable",
            json!({"TableName": "Bad", "KeySchema": [{"AttributeName":"pk","KeyType":"HASH"}], "AttributeDefinitions": [{"AttributeName":"pk","AttributeType":"S"}]}),
        ),
        ("DescribeTable", json!({"TableName": "Missing"})),
        ("DeleteTable", json!({"TableName": "Missing"})),
        ("ListTables", json!({"Limit": 1})),
        ("DeleteTable", json!({"TableName": "Idx"})),
    ]
}

#[test]
fn emulator_and_dynamodb_local_agree() {
    let Some(dynamodb_local) = DynamoDbLocal::start() else {
        println!("CONFORMANCE_SKIP_LOCAL=1: DynamoDB Local differential check skipped");
        return;
    };
    let local_url = dynamodb_local.url().to_string();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(
            Emulator::builder()
                .consistency(Consistency::Strong)
                .throttling(false)
                .start(),
        )
        .unwrap();
    let mut emu = Endpoint::connect(&emulator.endpoint_url());
    let mut local = Endpoint::connect(&local_url);
    let mut differences = Vec::new();
    let mut compared = 0;
    for (op, body) in scenario() {
        let (es, ev) = emu.call(op, &body);
        let (ls, lv) = local.call(op, &body);
        let (e, l) = (normalise(op, es, &ev), normalise(op, ls, &lv));
        compared += 1;
        if e != l {
            let req = body.to_string();
            if KNOWN
                .iter()
                .any(|(kop, sub, _)| *kop == op && req.contains(sub))
            {
                continue;
            }
            // The service's 2026 framing of some PutItem/UpdateItem/DeleteItem messages, which
            // DynamoDB Local lacks: docs/known-differences.md #28.
            let mut unframed = e.clone();
            if let Some(m) = unframed["message"].as_str() {
                unframed["message"] = m.replacen("1 validation error detected: ", "", 1).into();
            }
            if unframed == l {
                continue;
            }
            differences.push(format!(
                "{op} {req}\n  emulator:       {e}\n  DynamoDB Local: {l}"
            ));
        }
    }
    drop(dynamodb_local);
    println!(
        "compared {compared} requests with DynamoDB Local, {} unexplained differences",
        differences.len()
    );
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n\n")
    );
}
