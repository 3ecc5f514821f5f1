//! Running workloads on targets, normalising answers, comparing, reporting.

use crate::model::Model;
use crate::normalise::{canon, ties_as_sets, Outcome};
use crate::ops::{self, Op, Schema};
use crate::target::Target;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn normalise(status: u16, body: &Value) -> Outcome {
    if status != 200 {
        let ty = body["__type"].as_str().unwrap_or("Unknown");
        let kind = ty.rsplit('#').next().unwrap_or(ty);
        // DynamoDB Local names AWS's DuplicateItemException `DuplicateItem`
        // (docs/known-differences.md).
        let kind = if kind == "DuplicateItem" {
            "DuplicateItemException"
        } else {
            kind
        };
        return Outcome {
            kind: kind.to_string(),
            body: Value::Null,
        };
    }
    let mut b = body.clone();
    if let Some(m) = b.as_object_mut() {
        m.remove("ConsumedCapacity");
        m.remove("ItemCollectionMetrics");
    }
    Outcome {
        kind: "ok".into(),
        body: canon(&b),
    }
}

/// Runs a PartiQL SELECT to the end, following NextToken.
fn statement_pages(target: &mut dyn Target, schema: &Schema, op: &Op, table: &str) -> Outcome {
    let Op::SqlSelect { limit, .. } = op else {
        unreachable!("only SELECTs page")
    };
    let (name, mut req) = ops::request(schema, op, table);
    if let Some(l) = limit {
        req["Limit"] = json!(l);
    }
    req["ConsistentRead"] = json!(true);
    let mut items = Vec::new();
    for _ in 0..1000 {
        let (status, body) = target.call(name, &req);
        let out = normalise(status, &body);
        if out.kind != "ok" {
            return out;
        }
        items.extend(body["Items"].as_array().cloned().unwrap_or_default());
        match body.get("NextToken") {
            Some(t) => req["NextToken"] = t.clone(),
            None => break,
        }
    }
    Outcome {
        kind: "ok".into(),
        body: canon(&json!({ "Items": items })),
    }
}

/// Runs a Query or Scan to the end, following LastEvaluatedKey.
fn paged(target: &mut dyn Target, schema: &Schema, op: &Op, table: &str) -> Outcome {
    let (name, mut req, limit) = match op {
        Op::Query {
            pk,
            range,
            limit,
            forward,
            filter,
            project,
        } => {
            let (condition, values) = ops::key_condition(schema, *pk, range);
            let mut req = json!({ "TableName": table, "KeyConditionExpression": condition, "ExpressionAttributeValues": values,
                    "ScanIndexForward": forward, "ConsistentRead": true });
            ops::with_read_options(&mut req, filter, project);
            ("Query", req, *limit)
        }
        Op::Scan {
            limit,
            filter,
            project,
        } => {
            let mut req = json!({ "TableName": table, "ConsistentRead": true });
            ops::with_read_options(&mut req, filter, project);
            ("Scan", req, *limit)
        }
        Op::QueryIndex {
            h,
            limit,
            forward,
            consistent,
        } => {
            let hash = if schema.index.is_some_and(|ix| !ix.global) {
                "pk"
            } else {
                "gh"
            };
            (
                "Query",
                json!({ "TableName": table, "IndexName": "idx", "KeyConditionExpression": format!("{hash} = :h"),
                        "ExpressionAttributeValues": { ":h": schema.index_hash(*h) },
                        "ScanIndexForward": forward, "ConsistentRead": consistent }),
                *limit,
            )
        }
        _ => unreachable!(),
    };
    if let Some(l) = limit {
        req["Limit"] = json!(l);
    }
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = target.call(name, &req);
        pages += 1;
        if status != 200 {
            return normalise(status, &body);
        }
        items.extend(body["Items"].as_array().cloned().unwrap_or_default());
        match body.get("LastEvaluatedKey") {
            Some(k) if pages < 1000 => req["ExclusiveStartKey"] = k.clone(),
            _ => break,
        }
    }
    let mut items: Vec<Value> = items.iter().map(canon).collect();
    if name == "Scan" {
        // Scan order across partitions is unspecified.
        items.sort_by_key(|i| i.to_string());
    }
    if matches!(op, Op::QueryIndex { .. }) {
        let ranged = schema.index.is_some_and(|ix| ix.range.is_some());
        items = ties_as_sets(&items, ranged);
    }
    Outcome {
        kind: "ok".into(),
        body: json!({ "Items": items, "Pages": pages }),
    }
}

/// Runs a workload on a fresh table of `target`, deleting the table afterwards.
pub fn run_on(
    target: &mut dyn Target,
    table: &str,
    schema: &Schema,
    workload: &[Op],
) -> Vec<Outcome> {
    let (status, body) = target.call("CreateTable", &schema.create_table(table));
    assert_eq!(
        status,
        200,
        "{} could not create {table}: {body}",
        target.name()
    );
    // DynamoDB creates tables asynchronously (DynamoDB Local and the emulator at once).
    for _ in 0..600 {
        let (_, d) = target.call("DescribeTable", &json!({ "TableName": table }));
        let t = &d["Table"];
        let indexes_active = t["GlobalSecondaryIndexes"]
            .as_array()
            .is_none_or(|g| g.iter().all(|i| i["IndexStatus"] == "ACTIVE"));
        if t["TableStatus"] == "ACTIVE" && indexes_active {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let out = workload
        .iter()
        .map(|op| match op {
            Op::Query { .. } | Op::Scan { .. } | Op::QueryIndex { .. } => {
                paged(target, schema, op, table)
            }
            Op::SqlSelect { .. } => statement_pages(target, schema, op, table),
            Op::BatchGet { .. } => {
                let (name, req) = ops::request(schema, op, table);
                let (status, body) = target.call(name, &req);
                let mut out = normalise(status, &body);
                if out.kind == "ok" {
                    // Responses come in no particular order, under the table's name.
                    let mut items: Vec<Value> = out.body["Responses"][table]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    items.sort_by_key(|i| i.to_string());
                    out.body =
                        json!({ "Items": items, "UnprocessedKeys": out.body["UnprocessedKeys"] });
                }
                out
            }
            _ => {
                let (name, req) = ops::request(schema, op, table);
                let (status, body) = target.call(name, &req);
                normalise(status, &body)
            }
        })
        .collect();
    target.call("DeleteTable", &json!({ "TableName": table }));
    out
}

/// Runs a workload on the reference model.
pub fn run_model(schema: &Schema, workload: &[Op]) -> Vec<Outcome> {
    let mut m = Model::new(*schema);
    workload.iter().map(|op| m.step(op)).collect()
}

/// The first difference between two runs of a workload, described with its request.
pub fn first_difference(
    schema: &Schema,
    workload: &[Op],
    a: &[Outcome],
    b: &[Outcome],
    table: &str,
) -> Option<String> {
    for (i, ((op, x), y)) in workload.iter().zip(a).zip(b).enumerate() {
        // Known difference 6: DynamoDB Local runs (and cancels) what the documentation refuses.
        let same_item_known = matches!(op, Op::TransactSameItem { .. })
            && [x.kind.as_str(), y.kind.as_str()]
                .iter()
                .all(|k| *k == "ValidationException" || *k == "TransactionCanceledException");
        if x != y && !same_item_known {
            let request = match op {
                Op::Query { .. } | Op::Scan { .. } | Op::QueryIndex { .. } => format!("{op:?}"),
                _ => {
                    let (name, req) = ops::request(schema, op, table);
                    let text = req.to_string();
                    format!(
                        "{name} {}",
                        if text.len() > 600 {
                            format!("{}…", &text[..600])
                        } else {
                            text
                        }
                    )
                }
            };
            return Some(format!(
                "schema {schema:?}, operation {} of {}: {request}\n  target:    {} {}\n  reference: {} {}",
                i + 1,
                workload.len(),
                x.kind,
                x.body,
                y.kind,
                y.body
            ));
        }
    }
    None
}

/// Counts for the report: operations per kind and outcomes per kind.
#[derive(Debug, Default)]
pub struct Coverage {
    pub operations: BTreeMap<&'static str, usize>,
    pub outcomes: BTreeMap<String, usize>,
    /// Items returned by secondary-index queries (so that index coverage is more than errors
    /// and empty answers).
    pub index_items: usize,
}

impl Coverage {
    pub fn add(&mut self, workload: &[Op], outcomes: &[Outcome]) {
        for (op, o) in workload.iter().zip(outcomes) {
            *self.operations.entry(op.kind()).or_default() += 1;
            *self.outcomes.entry(o.kind.clone()).or_default() += 1;
            if matches!(op, Op::QueryIndex { .. }) {
                self.index_items += o.body["Items"].as_array().map_or(0, Vec::len);
            }
        }
    }
}

/// The reference a target is compared with.
pub enum Reference<'a> {
    Model,
    Target(&'a mut dyn Target),
}

/// Result of a conformance run.
#[derive(Debug)]
pub struct Run {
    pub cases: u32,
    pub coverage: Coverage,
    /// The minimal failing workload, shrunk by proptest, if any.
    pub failure: Option<String>,
}

/// Runs `cases` generated workloads (up to `max_ops` operations each, from `seed`) on `target`
/// and on the reference, shrinking the first difference to a minimal workload.
pub fn check(
    target: &mut dyn Target,
    reference: Reference<'_>,
    cases: u32,
    seed: u64,
    max_ops: usize,
) -> Run {
    // Generating and shrinking nested values and expression trees recurses deeply in debug
    // builds: run on a thread with room for it.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, move || {
                check_here(target, reference, cases, seed, max_ops)
            })
            .expect("a checking thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn check_here(
    target: &mut dyn Target,
    mut reference: Reference<'_>,
    cases: u32,
    seed: u64,
    max_ops: usize,
) -> Run {
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
    use std::cell::RefCell;
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let coverage = RefCell::new(Coverage::default());
    let case = RefCell::new(0u64);
    let target = RefCell::new(target);
    let reference = RefCell::new(&mut reference);
    let result = runner.run(&crate::ops::workload(max_ops), |(schema, workload)| {
        *case.borrow_mut() += 1;
        // Unique per process, so that runs against a shared endpoint do not collide.
        let table = format!(
            "conformance-{}-{seed}-{}",
            std::process::id(),
            case.borrow()
        );
        let got = run_on(&mut **target.borrow_mut(), &table, &schema, &workload);
        let expected = match &mut **reference.borrow_mut() {
            Reference::Model => run_model(&schema, &workload),
            Reference::Target(r) => run_on(&mut **r, &table, &schema, &workload),
        };
        coverage.borrow_mut().add(&workload, &got);
        match first_difference(&schema, &workload, &got, &expected, &table) {
            Some(d) => Err(TestCaseError::fail(d)),
            None => Ok(()),
        }
    });
    Run {
        cases,
        coverage: coverage.into_inner(),
        failure: result.err().map(|e| e.to_string()),
    }
}
