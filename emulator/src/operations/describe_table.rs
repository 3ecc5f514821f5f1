//! DescribeTable, and the `TableDescription` every table operation returns.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html>.

use super::command::{json, Command, Context};
use super::validate::table_name;
use crate::error::{DynamoError, ErrorKind, Result};
use crate::storage::definition::Throughput;
use crate::storage::{BillingMode, KeySchema, Projection, ProjectionType, TableStatus};
use crate::table::catalog::TableRef;
use crate::table::Table;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TableNameInput {
    table_name: Option<String>,
}

impl TableNameInput {
    /// The table's name, checked.
    pub(super) fn name(self) -> Result<String> {
        table_name(self.table_name.as_deref())?;
        crate::error::Constraints::new().finish(self.table_name)
    }
}

/// A validated DescribeTable.
pub(super) struct DescribeTable {
    name: String,
}

impl TryFrom<TableNameInput> for DescribeTable {
    type Error = DynamoError;

    fn try_from(input: TableNameInput) -> Result<Self> {
        Ok(DescribeTable {
            name: input.name()?,
        })
    }
}

impl Command for DescribeTable {
    type Input = TableNameInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<TableNameInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let engine = ctx.engine;
        let table = control_table(engine, &self.name)?;
        let now = engine.clock.now();
        let mut t = table.write();
        t.expire(now);
        Ok(json!({ "Table": describe(&t, now) }))
    }
}

/// The table a control-plane operation names, in any status.
pub(super) fn control_table(engine: &crate::engine::Engine, name: &str) -> Result<TableRef> {
    engine.catalog.get(name).ok_or_else(|| not_found(name))
}

/// `ResourceNotFoundException` for a table the control plane cannot find (it names the table,
/// unlike the data plane's).
pub(super) fn not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Table: {name} not found"),
    )
}

pub(super) fn seconds(t: Duration) -> Value {
    json!((t.as_millis() as f64) / 1000.0)
}

pub(super) fn key_schema_json(s: &KeySchema) -> Value {
    let hash = s
        .hash_attributes()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "HASH"}));
    let range = s
        .range_attributes()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "RANGE"}));
    Value::Array(hash.chain(range).collect())
}

fn projection_json(p: &Projection) -> Value {
    let mut v = json!({"ProjectionType": p.ty.as_str()});
    if p.ty == ProjectionType::Include {
        v["NonKeyAttributes"] = json!(p.non_key_attributes);
    }
    v
}

fn throughput_json(t: &Throughput, table: &Table) -> Value {
    let mut v = json!({
        "NumberOfDecreasesToday": table.def.decreases_today,
        "ReadCapacityUnits": t.read,
        "WriteCapacityUnits": t.write,
    });
    if let Some(i) = table.def.last_increase {
        v["LastIncreaseDateTime"] = seconds(i);
    }
    if let Some(d) = table.def.last_decrease {
        v["LastDecreaseDateTime"] = seconds(d);
    }
    v
}

/// DescribeTable's `Table` (also CreateTable's and DeleteTable's `TableDescription`).
pub(super) fn describe(t: &Table, now: Duration) -> Value {
    let status = t.status(now);
    let mut v = json!({
        "AttributeDefinitions": t.def.attribute_definitions.iter()
            .map(|(n, ty)| json!({"AttributeName": n, "AttributeType": ty.as_str()}))
            .collect::<Vec<_>>(),
        "TableName": t.def.name,
        "KeySchema": key_schema_json(&t.def.schema),
        "TableStatus": status.as_str(),
        "CreationDateTime": seconds(t.def.created_at),
        "ProvisionedThroughput": throughput_json(&t.def.throughput, t),
        "TableSizeBytes": t.size_bytes(),
        "ItemCount": t.item_count(),
        "TableArn": t.def.arn,
        "TableId": t.def.id,
        "DeletionProtectionEnabled": t.def.deletion_protection,
    });
    if t.def.billing_mode == BillingMode::PayPerRequest || t.def.billing_mode_changed_at.is_some() {
        let mut summary = json!({"BillingMode": t.def.billing_mode.as_str()});
        if let Some(at) = t.def.billing_mode_changed_at {
            summary["LastUpdateToPayPerRequestDateTime"] = seconds(at);
        }
        v["BillingModeSummary"] = summary;
    }
    if let Some((backup, source, at)) = &t.def.restored_from {
        let mut r = json!({
            "SourceTableArn": source,
            "RestoreDateTime": seconds(*at),
            "RestoreInProgress": false,
        });
        if let Some(b) = backup {
            r["SourceBackupArn"] = json!(b);
        }
        v["RestoreSummary"] = r;
    }
    if t.def.table_class != "STANDARD" {
        v["TableClassSummary"] = json!({"TableClass": t.def.table_class});
    }
    if !t.def.lsis.is_empty() {
        v["LocalSecondaryIndexes"] = Value::Array(
            t.def
                .lsis
                .iter()
                .map(|i| {
                    json!({
                        "IndexName": i.name,
                        "KeySchema": key_schema_json(&i.schema),
                        "Projection": projection_json(&i.projection),
                        "IndexSizeBytes": t.index_size(&i.name).1,
                        "ItemCount": t.index_size(&i.name).0,
                        "IndexArn": format!("{}/index/{}", t.def.arn, i.name),
                    })
                })
                .collect(),
        );
    }
    if !t.def.gsis.is_empty() {
        v["GlobalSecondaryIndexes"] = Value::Array(
            t.def.gsis
                .iter()
                .map(|i| {
                    let index_status = if status == TableStatus::Creating {
                        TableStatus::Creating
                    } else {
                        i.status
                    };
                    let mut g = json!({
                        "IndexName": i.name,
                        "KeySchema": key_schema_json(&i.schema),
                        "Projection": projection_json(&i.projection),
                        "IndexStatus": index_status.as_str(),
                        "ProvisionedThroughput": throughput_json(&i.throughput.unwrap_or(Throughput { read: 0, write: 0 }), t),
                        "IndexSizeBytes": t.index_size(&i.name).1,
                        "ItemCount": t.index_size(&i.name).0,
                        "IndexArn": format!("{}/index/{}", t.def.arn, i.name),
                    });
                    if index_status == TableStatus::Creating {
                        g["Backfilling"] = json!(false);
                    }
                    g
                })
                .collect(),
        );
    }
    if let Some(view) = t.def.stream {
        v["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view.as_str()});
    }
    // A disabled stream stays the latest until another is enabled.
    if let Some(s) = t.streams().latest() {
        v["LatestStreamLabel"] = json!(s.label);
        v["LatestStreamArn"] = json!(s.arn);
    }
    v
}
