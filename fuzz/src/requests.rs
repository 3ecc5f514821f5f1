//! One generated request per DynamoDB operation (and the emulator's control actions).

use crate::gen::{Gen, TABLES};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

/// What the emulator is asked: an operation of DynamoDB's API, or a control action.
pub enum Request {
    /// `X-Amz-Target: DynamoDB_20120810.<name>` with a body.
    Operation(&'static str, Value),
    /// `X-Amz-Target: Emulator.<name>` with a body.
    Control(&'static str, Value),
}

const READ_CAPACITY: &[&str] = &["NONE", "TOTAL", "INDEXES", "BOGUS"];

fn table_name(g: &mut Gen) -> (usize, String) {
    let t = g.rng.gen_range(0..TABLES.len());
    let name = if g.chance(0.03) {
        ["missing_table", "x", ""]
            .choose(&mut g.rng)
            .unwrap()
            .to_string()
    } else {
        TABLES[t].0.to_string()
    };
    (t, name)
}

fn throughput(g: &mut Gen) -> Value {
    let units = |g: &mut Gen| -> Value {
        match g.rng.gen_range(0..8) {
            0 => json!(i64::MAX),
            1 => json!(1_000_000_000_001i64),
            2 => json!(40_001),
            3 => json!(0),
            4 => json!(-1),
            _ => json!(g.rng.gen_range(1..3000)),
        }
    };
    json!({"ReadCapacityUnits": units(g), "WriteCapacityUnits": units(g)})
}

fn item_request(g: &mut Gen) -> Request {
    let (t, name) = table_name(g);
    let mut req = Map::new();
    req.insert("TableName".into(), json!(name));
    let op = match g.rng.gen_range(0..4) {
        0 => {
            req.insert("Item".into(), Value::Object(g.item(t)));
            if g.chance(0.3) {
                req.insert("ConditionExpression".into(), json!(g.condition(2)));
            }
            "PutItem"
        }
        1 => {
            req.insert("Key".into(), Value::Object(g.key(t)));
            if g.chance(0.3) {
                req.insert("ProjectionExpression".into(), json!(g.projection()));
            }
            if g.chance(0.3) {
                req.insert("ConsistentRead".into(), json!(g.chance(0.5)));
            }
            "GetItem"
        }
        2 => {
            req.insert("Key".into(), Value::Object(g.key(t)));
            req.insert("UpdateExpression".into(), json!(g.update()));
            if g.chance(0.3) {
                req.insert("ConditionExpression".into(), json!(g.condition(2)));
            }
            let rv = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
            req.insert("ReturnValues".into(), json!(rv.choose(&mut g.rng).unwrap()));
            "UpdateItem"
        }
        _ => {
            req.insert("Key".into(), Value::Object(g.key(t)));
            if g.chance(0.3) {
                req.insert("ConditionExpression".into(), json!(g.condition(2)));
            }
            "DeleteItem"
        }
    };
    g.placeholders(&mut req);
    if g.chance(0.3) {
        req.insert(
            "ReturnConsumedCapacity".into(),
            json!(READ_CAPACITY.choose(&mut g.rng).unwrap()),
        );
    }
    Request::Operation(op, Value::Object(req))
}

fn read_request(g: &mut Gen) -> Request {
    let (t, name) = table_name(g);
    let mut req = Map::new();
    req.insert("TableName".into(), json!(name));
    let query = g.chance(0.5);
    if query {
        let cond = match (TABLES[t].2, g.rng.gen_range(0..4)) {
            (Some(_), 0) => "pk = :p AND sk BETWEEN :a AND :b",
            (Some(_), 1) => "pk = :p AND begins_with(sk, :a)",
            (Some(_), 2) => "pk = :p AND sk > :a",
            _ => "pk = :p",
        };
        let key = g.key(t);
        let mut values = Map::new();
        values.insert(
            ":p".into(),
            key.get("pk").cloned().unwrap_or(json!({"S": "k"})),
        );
        let sk = key.get("sk").cloned().unwrap_or(json!({"N": "1"}));
        values.insert(":a".into(), sk.clone());
        values.insert(":b".into(), sk);
        req.insert("KeyConditionExpression".into(), json!(cond));
        req.insert("ExpressionAttributeValues".into(), Value::Object(values));
        if t == 1 && g.chance(0.3) {
            req.insert(
                "IndexName".into(),
                json!(["byG", "byL", "nope"].choose(&mut g.rng).unwrap()),
            );
        }
        req.insert("ScanIndexForward".into(), json!(g.chance(0.5)));
    } else if g.chance(0.3) {
        let total = *[1, 2, 4, 1_000_000, 1_000_001].choose(&mut g.rng).unwrap();
        req.insert("TotalSegments".into(), json!(total));
        req.insert(
            "Segment".into(),
            json!(g.rng.gen_range(0..total.min(8) + 1)),
        );
    }
    if g.chance(0.3) {
        let filter = g.condition(2);
        req.insert("FilterExpression".into(), json!(filter));
        let mut extra = Map::new();
        extra.insert("FilterExpression".into(), json!(filter));
        g.placeholders(&mut extra);
        extra.remove("FilterExpression");
        for (k, v) in extra {
            match req.get_mut(&k) {
                Some(Value::Object(m)) => m.extend(v.as_object().cloned().unwrap_or_default()),
                _ => {
                    req.insert(k, v);
                }
            }
        }
    }
    if g.chance(0.4) {
        req.insert(
            "Limit".into(),
            json!(*[0, 1, 2, 5, 1000, i64::MAX].choose(&mut g.rng).unwrap()),
        );
    }
    if g.chance(0.2) {
        req.insert("ExclusiveStartKey".into(), Value::Object(g.key(t)));
    }
    if g.chance(0.2) {
        req.insert(
            "Select".into(),
            json!([
                "COUNT",
                "ALL_ATTRIBUTES",
                "SPECIFIC_ATTRIBUTES",
                "ALL_PROJECTED_ATTRIBUTES"
            ]
            .choose(&mut g.rng)
            .unwrap()),
        );
    }
    if g.chance(0.2) {
        req.insert("ConsistentRead".into(), json!(g.chance(0.5)));
    }
    if g.chance(0.2) {
        req.insert(
            "ReturnConsumedCapacity".into(),
            json!(READ_CAPACITY.choose(&mut g.rng).unwrap()),
        );
    }
    Request::Operation(if query { "Query" } else { "Scan" }, Value::Object(req))
}

fn batch_request(g: &mut Gen) -> Request {
    match g.rng.gen_range(0..4) {
        0 => {
            let (t, name) = table_name(g);
            let n = if g.chance(0.05) {
                101
            } else {
                g.rng.gen_range(0..6)
            };
            let keys: Vec<Value> = (0..n).map(|_| Value::Object(g.key(t))).collect();
            Request::Operation(
                "BatchGetItem",
                json!({"RequestItems": {name: {"Keys": keys}}}),
            )
        }
        1 => {
            let (t, name) = table_name(g);
            let n = if g.chance(0.05) {
                26
            } else {
                g.rng.gen_range(0..6)
            };
            let writes: Vec<Value> = (0..n)
                .map(|_| {
                    if g.chance(0.6) {
                        json!({"PutRequest": {"Item": g.item(t)}})
                    } else {
                        json!({"DeleteRequest": {"Key": g.key(t)}})
                    }
                })
                .collect();
            Request::Operation("BatchWriteItem", json!({"RequestItems": {name: writes}}))
        }
        2 => {
            let n = g.rng.gen_range(0..5);
            let items: Vec<Value> = (0..n)
                .map(|_| {
                    let (t, name) = table_name(g);
                    match g.rng.gen_range(0..4) {
                        0 => json!({"Put": {"TableName": name, "Item": g.item(t)}}),
                        1 => json!({"Delete": {"TableName": name, "Key": g.key(t)}}),
                        2 => {
                            let mut u = Map::new();
                            u.insert("TableName".into(), json!(name));
                            u.insert("Key".into(), Value::Object(g.key(t)));
                            u.insert("UpdateExpression".into(), json!(g.update()));
                            g.placeholders(&mut u);
                            json!({ "Update": u })
                        }
                        _ => {
                            let mut c = Map::new();
                            c.insert("TableName".into(), json!(name));
                            c.insert("Key".into(), Value::Object(g.key(t)));
                            c.insert("ConditionExpression".into(), json!(g.condition(1)));
                            g.placeholders(&mut c);
                            json!({ "ConditionCheck": c })
                        }
                    }
                })
                .collect();
            let mut req = json!({ "TransactItems": items });
            if g.chance(0.3) {
                req["ClientRequestToken"] = json!(format!("token{}", g.rng.gen_range(0..5)));
            }
            Request::Operation("TransactWriteItems", req)
        }
        _ => {
            let n = g.rng.gen_range(0..5);
            let items: Vec<Value> = (0..n)
                .map(|_| {
                    let (t, name) = table_name(g);
                    json!({"Get": {"TableName": name, "Key": g.key(t)}})
                })
                .collect();
            Request::Operation("TransactGetItems", json!({ "TransactItems": items }))
        }
    }
}

fn table_request(g: &mut Gen) -> Request {
    let name = format!("made{}", g.rng.gen_range(0..6));
    match g.rng.gen_range(0..16) {
        0 | 1 => {
            let ty = ["S", "N", "B", "X"].choose(&mut g.rng).unwrap();
            let mut req = json!({
                "TableName": name,
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": ty}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            });
            if g.chance(0.5) {
                req["BillingMode"] = json!("PAY_PER_REQUEST");
            } else {
                req["ProvisionedThroughput"] = throughput(g);
            }
            if g.chance(0.5) {
                let n = if g.chance(0.1) { 21 } else { 1 };
                let gsis: Vec<Value> = (0..n)
                    .map(|i| {
                        let mut x = json!({"IndexName": format!("gsi{i}"), "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}});
                        if req.get("ProvisionedThroughput").is_some() {
                            x["ProvisionedThroughput"] = throughput(g);
                        }
                        x
                    })
                    .collect();
                req["GlobalSecondaryIndexes"] = json!(gsis);
            } else {
                req["AttributeDefinitions"].as_array_mut().unwrap().pop();
            }
            Request::Operation("CreateTable", req)
        }
        2 => {
            let (_, existing) = table_name(g);
            let target = if g.chance(0.5) { existing } else { name };
            let mut req = json!({ "TableName": target });
            match g.rng.gen_range(0..3) {
                0 => req["ProvisionedThroughput"] = throughput(g),
                1 => {
                    req["BillingMode"] = json!(["PROVISIONED", "PAY_PER_REQUEST"]
                        .choose(&mut g.rng)
                        .unwrap())
                }
                _ => {
                    req["GlobalSecondaryIndexUpdates"] = json!([{"Update": {"IndexName": "gsi0", "ProvisionedThroughput": throughput(g)}}])
                }
            }
            Request::Operation("UpdateTable", req)
        }
        3 => Request::Operation("DeleteTable", json!({ "TableName": name })),
        4 => {
            let (_, t) = table_name(g);
            Request::Operation("DescribeTable", json!({ "TableName": t }))
        }
        5 => Request::Operation(
            "ListTables",
            json!({"Limit": g.rng.gen_range(0..120), "ExclusiveStartTableName": g.string()}),
        ),
        6 => {
            let (_, t) = table_name(g);
            Request::Operation(
                "UpdateTimeToLive",
                json!({"TableName": t, "TimeToLiveSpecification": {"AttributeName": g.name(), "Enabled": g.chance(0.7)}}),
            )
        }
        7 => {
            let (_, t) = table_name(g);
            Request::Operation("DescribeTimeToLive", json!({ "TableName": t }))
        }
        8 => {
            let (_, t) = table_name(g);
            let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{t}");
            match g.rng.gen_range(0..3) {
                0 => Request::Operation(
                    "TagResource",
                    json!({"ResourceArn": arn, "Tags": [{"Key": g.string(), "Value": g.string()}]}),
                ),
                1 => Request::Operation(
                    "UntagResource",
                    json!({"ResourceArn": arn, "TagKeys": [g.string()]}),
                ),
                _ => Request::Operation("ListTagsOfResource", json!({ "ResourceArn": arn })),
            }
        }
        9 => Request::Operation("DescribeLimits", json!({})),
        10 => Request::Operation("DescribeEndpoints", json!({})),
        11 => {
            let (_, t) = table_name(g);
            let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{t}");
            let policy = if g.chance(0.7) {
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": [g.string()], "Resource": "*"}]}).to_string()
            } else {
                g.string()
            };
            match g.rng.gen_range(0..3) {
                0 => {
                    let mut req = json!({"ResourceArn": arn, "Policy": policy});
                    if g.chance(0.3) {
                        req["ExpectedRevisionId"] = json!(["NO_POLICY", "1704067200000", ""]
                            .choose(&mut g.rng)
                            .unwrap());
                    }
                    Request::Operation("PutResourcePolicy", req)
                }
                1 => Request::Operation("GetResourcePolicy", json!({ "ResourceArn": arn })),
                _ => Request::Operation("DeleteResourcePolicy", json!({ "ResourceArn": arn })),
            }
        }
        12 => {
            let (_, t) = table_name(g);
            match g.rng.gen_range(0..4) {
                0 => Request::Operation(
                    "UpdateContinuousBackups",
                    json!({"TableName": t, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": g.chance(0.8), "RecoveryPeriodInDays": g.rng.gen_range(0..40)}}),
                ),
                1 => Request::Operation("DescribeContinuousBackups", json!({ "TableName": t })),
                2 => Request::Operation(
                    "RestoreTableToPointInTime",
                    json!({"SourceTableName": t, "TargetTableName": format!("r{}", g.rng.gen_range(100..104)), "UseLatestRestorableTime": g.chance(0.5), "RestoreDateTime": 1_704_067_200.0 + g.rng.gen_range(-10.0..100_000.0)}),
                ),
                _ => Request::Operation(
                    "CreateBackup",
                    json!({"TableName": t, "BackupName": g.string()}),
                ),
            }
        }
        13 => {
            // Exports and imports (the fuzzed emulator has no object store: every bucket is
            // missing, so they end FAILED, after validating and reading the PITR history).
            let (_, t) = table_name(g);
            let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{t}");
            let time = 1_704_067_200.0 + g.rng.gen_range(-10.0..100_000.0);
            match g.rng.gen_range(0..5) {
                0 => {
                    let mut req = json!({"TableArn": arn, "S3Bucket": g.string()});
                    if g.chance(0.3) {
                        req["ExportTime"] = json!(time);
                    }
                    if g.chance(0.3) {
                        req["ExportType"] = json!("INCREMENTAL_EXPORT");
                        req["IncrementalExportSpecification"] = json!({"ExportFromTime": time, "ExportToTime": time + g.rng.gen_range(-100.0..90_000.0)});
                    }
                    if g.chance(0.3) {
                        req["ExportFormat"] =
                            json!((["ION", "DYNAMODB_JSON", "CSV"].choose(&mut g.rng).unwrap()));
                    }
                    Request::Operation("ExportTableToPointInTime", req)
                }
                1 => Request::Operation(
                    "ImportTable",
                    json!({"S3BucketSource": {"S3Bucket": g.string()}, "InputFormat": (["CSV", "ION", "DYNAMODB_JSON", "XML"].choose(&mut g.rng).unwrap()),
                        "InputCompressionType": (["GZIP", "ZSTD", "NONE"].choose(&mut g.rng).unwrap()),
                        "TableCreationParameters": {"TableName": format!("i{}", g.rng.gen_range(100..104)), "BillingMode": "PAY_PER_REQUEST",
                            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}),
                ),
                2 => {
                    Request::Operation("ListExports", json!({"MaxResults": g.rng.gen_range(0..30)}))
                }
                3 => Request::Operation("ListImports", json!({"PageSize": g.rng.gen_range(0..30)})),
                _ => Request::Operation(
                    "RestoreTableToPointInTime",
                    json!({"SourceTableName": t, "TargetTableName": format!("r{}", g.rng.gen_range(100..104)), "UseLatestRestorableTime": true,
                        "BillingModeOverride": (["PROVISIONED", "PAY_PER_REQUEST"].choose(&mut g.rng).unwrap()),
                        "ProvisionedThroughputOverride": {"ReadCapacityUnits": g.rng.gen_range(0..5), "WriteCapacityUnits": 1},
                        "GlobalSecondaryIndexOverride": []}),
                ),
            }
        }
        14 => {
            let (_, t) = table_name(g);
            match g.rng.gen_range(0..4) {
                0 => Request::Operation(
                    "UpdateContributorInsights",
                    json!({"TableName": t, "ContributorInsightsAction": (["ENABLE", "DISABLE", "BOGUS"].choose(&mut g.rng).unwrap()),
                        "ContributorInsightsMode": (["THROTTLED_KEYS", "ACCESSED_AND_THROTTLED_KEYS"].choose(&mut g.rng).unwrap())}),
                ),
                1 => Request::Operation("DescribeContributorInsights", json!({ "TableName": t })),
                2 => Request::Operation(
                    "ListContributorInsights",
                    json!({"MaxResults": g.rng.gen_range(0..120)}),
                ),
                _ => Request::Control(
                    "ContributorInsights",
                    json!({"TableName": t, "Limit": g.rng.gen_range(0..2000)}),
                ),
            }
        }
        _ => control_request(g),
    }
}

fn control_request(g: &mut Gen) -> Request {
    match g.rng.gen_range(0..8) {
        0 => {
            let ms: u64 = *[0, 1, 1000, 3_600_000, u64::MAX]
                .choose(&mut g.rng)
                .unwrap();
            Request::Control("AdvanceClock", json!({ "Milliseconds": ms }))
        }
        1 => {
            let lags = [
                "fixed:10ms",
                "uniform:0ms..50ms",
                "exponential:5ms..100ms",
                "fixed:100000000000s",
                "bogus",
                "exponential:1e308s",
            ];
            let presets = ["strong", "realistic", "worst-case", "nope"];
            Request::Control(
                "SetConsistency",
                json!({"Consistency": presets.choose(&mut g.rng).unwrap(), "Lag": lags.choose(&mut g.rng).unwrap()}),
            )
        }
        2 => Request::Control("Settle", json!({})),
        3 => {
            let (t, name) = table_name(g);
            Request::Control(
                "ScriptStaleReads",
                json!({"TableName": name, "Key": g.key(t), "Reads": g.rng.gen_range(0..3)}),
            )
        }
        4 => {
            let (_, name) = table_name(g);
            Request::Control("DescribePartitions", json!({ "TableName": name }))
        }
        5 => Request::Control("RequestLog", json!({"Reads": g.rng.gen_range(0..20)})),
        6 => Request::Control("GetState", json!({})),
        _ => Request::Control("CapacityReport", json!({})),
    }
}

/// A PartiQL request: one statement, a batch or a transaction of a few.
fn statement_request(g: &mut Gen) -> Request {
    let one = |g: &mut Gen| {
        let (text, params) = g.statement();
        let mut s = json!({ "Statement": text });
        if !params.is_empty() {
            s["Parameters"] = json!(params);
        }
        s
    };
    match g.rng.gen_range(0..4) {
        0 | 1 => {
            let mut req = one(g);
            if g.chance(0.3) {
                req["Limit"] = json!(g.rng.gen_range(0..5));
            }
            if g.chance(0.3) {
                req["ConsistentRead"] = json!(true);
            }
            if g.chance(0.3) {
                req["ReturnConsumedCapacity"] = json!(*READ_CAPACITY.choose(&mut g.rng).unwrap());
            }
            if g.chance(0.05) {
                req["NextToken"] = json!(g.string());
            }
            Request::Operation("ExecuteStatement", req)
        }
        2 => {
            let statements: Vec<Value> = (0..g.rng.gen_range(1..5)).map(|_| one(g)).collect();
            Request::Operation("BatchExecuteStatement", json!({ "Statements": statements }))
        }
        _ => {
            let statements: Vec<Value> = (0..g.rng.gen_range(1..5)).map(|_| one(g)).collect();
            let mut req = json!({ "TransactStatements": statements });
            if g.chance(0.3) {
                req["ClientRequestToken"] = json!(format!("t{}", g.rng.gen_range(0..5)));
            }
            Request::Operation("ExecuteTransaction", req)
        }
    }
}

/// A request, mostly for the item and read operations.
pub fn request(g: &mut Gen) -> Request {
    match g.rng.gen_range(0..22) {
        0..=7 => item_request(g),
        8..=12 => read_request(g),
        13..=16 => batch_request(g),
        17 | 18 => statement_request(g),
        _ => table_request(g),
    }
}
