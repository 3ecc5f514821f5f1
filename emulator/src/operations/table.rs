//! Table administration: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable.
//!
//! Validation follows DynamoDB's order: member constraints first (reported together as
//! `N validation errors detected: ...`), then the semantic rules between members (key schema vs
//! attribute definitions, billing mode vs throughput, index rules), then the table namespace.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>.

use super::RequestContext;
use crate::capacity::quota::{self, Reserved};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::storage::table::{TableSpec, Throughput};
use crate::storage::{
    BillingMode, IndexDefinition, KeyAttribute, KeySchema, Projection, ProjectionType, Table,
    TableStatus,
};
use crate::value::ScalarType;
use crate::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinitionW {
    attribute_name: Option<String>,
    attribute_type: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElementW {
    attribute_name: Option<String>,
    key_type: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ThroughputW {
    read_capacity_units: Option<i64>,
    write_capacity_units: Option<i64>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionW {
    projection_type: Option<String>,
    non_key_attributes: Option<Vec<String>>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct IndexW {
    index_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElementW>>,
    projection: Option<ProjectionW>,
    provisioned_throughput: Option<ThroughputW>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecificationW {
    stream_enabled: Option<bool>,
    stream_view_type: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct TagW {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableInput {
    table_name: Option<String>,
    attribute_definitions: Option<Vec<AttributeDefinitionW>>,
    key_schema: Option<Vec<KeySchemaElementW>>,
    local_secondary_indexes: Option<Vec<IndexW>>,
    global_secondary_indexes: Option<Vec<IndexW>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ThroughputW>,
    stream_specification: Option<StreamSpecificationW>,
    tags: Option<Vec<TagW>>,
    table_class: Option<String>,
    deletion_protection_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableNameInput {
    table_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesInput {
    exclusive_start_table_name: Option<String>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GsiUpdateW {
    create: Option<IndexW>,
    update: Option<IndexW>,
    delete: Option<IndexW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableInput {
    table_name: Option<String>,
    attribute_definitions: Option<Vec<AttributeDefinitionW>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ThroughputW>,
    global_secondary_index_updates: Option<Vec<GsiUpdateW>>,
    stream_specification: Option<StreamSpecificationW>,
    table_class: Option<String>,
    deletion_protection_enabled: Option<bool>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<Value>,
    replica_updates: Option<Value>,
}

// ---------------------------------------------------------------------------------------------
// Constraint helpers shared by every operation that takes a table name
// ---------------------------------------------------------------------------------------------

/// Checks a table (or index) name's length and character set, as DynamoDB's member constraints.
pub fn check_name(c: &mut Constraints, name: Option<&str>, member: &str, required: bool) {
    match name {
        None => {
            if required {
                c.not_null(false, member)
            }
        }
        Some(n) => {
            if !n
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '.')
            {
                c.add(
                    format!("'{n}'"),
                    member,
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
            if n.len() < 3 {
                c.add(
                    format!("'{n}'"),
                    member,
                    "Member must have length greater than or equal to 3",
                );
            }
            if n.len() > 255 {
                c.add(
                    format!("'{n}'"),
                    member,
                    "Member must have length less than or equal to 255",
                );
            }
        }
    }
}

/// Validates a `TableName` member on its own and returns it.
pub fn table_name(name: Option<&str>) -> Result<&str> {
    let mut c = Constraints::new();
    check_name(&mut c, name, "tableName", true);
    c.into_result()?;
    Ok(name.expect("checked"))
}

fn enum_constraint(c: &mut Constraints, value: Option<&str>, member: &str, allowed: &[&str]) {
    if let Some(v) = value {
        if !allowed.contains(&v) {
            c.add(
                format!("'{v}'"),
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }
}

fn throughput_constraints(c: &mut Constraints, t: &ThroughputW, prefix: &str) {
    for (v, m) in [
        (t.write_capacity_units, "writeCapacityUnits"),
        (t.read_capacity_units, "readCapacityUnits"),
    ] {
        match v {
            None => c.not_null(false, &format!("{prefix}.{m}")),
            Some(v) if v < 1 => c.add(
                v,
                &format!("{prefix}.{m}"),
                "Member must have value greater than or equal to 1",
            ),
            _ => {}
        }
    }
}

fn key_schema_constraints(c: &mut Constraints, ks: Option<&Vec<KeySchemaElementW>>, member: &str) {
    match ks {
        None => c.not_null(false, member),
        Some(ks) => {
            for (i, k) in ks.iter().enumerate() {
                let m = format!("{member}.{}.member", i + 1);
                c.not_null(k.attribute_name.is_some(), &format!("{m}.attributeName"));
                c.not_null(k.key_type.is_some(), &format!("{m}.keyType"));
                enum_constraint(
                    c,
                    k.key_type.as_deref(),
                    &format!("{m}.keyType"),
                    &["HASH", "RANGE"],
                );
            }
            if ks.is_empty() {
                c.add(
                    "[]",
                    member,
                    "Member must have length greater than or equal to 1",
                );
            }
            if ks.len() > 2 {
                c.add(
                    format!(
                        "[{}]",
                        ks.iter()
                            .map(|k| format!(
                                "KeySchemaElement(attributeName={}, keyType={})",
                                k.attribute_name.as_deref().unwrap_or("null"),
                                k.key_type.as_deref().unwrap_or("null")
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    member,
                    "Member must have length less than or equal to 2",
                );
            }
        }
    }
}

fn index_constraints(c: &mut Constraints, idx: &[IndexW], member: &str, global: bool) {
    for (i, x) in idx.iter().enumerate() {
        let m = format!("{member}.{}.member", i + 1);
        check_name(c, x.index_name.as_deref(), &format!("{m}.indexName"), true);
        key_schema_constraints(c, x.key_schema.as_ref(), &format!("{m}.keySchema"));
        match &x.projection {
            None => c.not_null(false, &format!("{m}.projection")),
            Some(p) => enum_constraint(
                c,
                p.projection_type.as_deref(),
                &format!("{m}.projection.projectionType"),
                &["ALL", "KEYS_ONLY", "INCLUDE"],
            ),
        }
        if global {
            if let Some(t) = &x.provisioned_throughput {
                throughput_constraints(c, t, &format!("{m}.provisionedThroughput"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Semantic validation
// ---------------------------------------------------------------------------------------------

/// Turns a validated wire key schema into a typed one, checking HASH-then-RANGE order and that
/// every key attribute is defined.
fn typed_schema(
    ks: &[KeySchemaElementW],
    defs: &BTreeMap<String, ScalarType>,
    index: Option<&str>,
) -> Result<KeySchema> {
    let first = &ks[0];
    if first.key_type.as_deref() != Some("HASH") {
        return Err(DynamoError::validation(match index {
            None => {
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".to_string()
            }
            Some(_) => {
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".to_string()
            }
        }));
    }
    if ks.len() == 2 {
        if ks[1].key_type.as_deref() != Some("RANGE") {
            return Err(DynamoError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        if ks[0].attribute_name == ks[1].attribute_name {
            return Err(DynamoError::validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name",
            ));
        }
    }
    let attr = |k: &KeySchemaElementW| -> Result<KeyAttribute> {
        let name = k.attribute_name.clone().unwrap_or_default();
        let ty = *defs.get(&name).ok_or_else(|| {
            DynamoError::invalid_parameter(format!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                ks.iter().map(|k| k.attribute_name.clone().unwrap_or_default()).collect::<Vec<_>>().join(", "),
                defs.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        Ok(KeyAttribute { name, ty })
    };
    Ok(KeySchema {
        hash: attr(first)?,
        range: ks.get(1).map(attr).transpose()?,
    })
}

fn typed_projection(p: &ProjectionW, index: &str) -> Result<Projection> {
    let ty = match p.projection_type.as_deref() {
        Some("ALL") => ProjectionType::All,
        Some("INCLUDE") => ProjectionType::Include,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        None => {
            return Err(DynamoError::invalid_parameter(format!(
                "Unknown ProjectionType: null for index: {index}"
            )))
        }
        Some(other) => {
            return Err(DynamoError::invalid_parameter(format!(
                "Unknown ProjectionType: {other}"
            )))
        }
    };
    let nka = p.non_key_attributes.clone();
    match (ty, &nka) {
        (ProjectionType::Include, None) => Err(DynamoError::invalid_parameter(
            "NonKeyAttributes must not be empty",
        )),
        (ProjectionType::Include, Some(v)) if v.is_empty() => Err(DynamoError::invalid_parameter(
            "NonKeyAttributes must not be empty",
        )),
        (ProjectionType::All, Some(_)) => Err(DynamoError::invalid_parameter(
            "ProjectionType is ALL, but NonKeyAttributes is specified",
        )),
        (ProjectionType::KeysOnly, Some(_)) => Err(DynamoError::invalid_parameter(
            "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
        )),
        _ => Ok(Projection {
            ty,
            non_key_attributes: nka.unwrap_or_default(),
        }),
    }
}

/// DynamoDB's bound on capacity numbers (after the members' own constraints).
fn throughput_bounds(t: Option<&ThroughputW>) -> Result<()> {
    match t {
        Some(t) => quota::check_bounds(
            t.read_capacity_units.unwrap_or(1),
            t.write_capacity_units.unwrap_or(1),
        ),
        None => Ok(()),
    }
}

fn reserved(t: Throughput) -> Reserved {
    Reserved {
        read: t.read,
        write: t.write,
    }
}

/// What a table and its GSIs reserve against the account's provisioned quota.
fn table_reservation(
    billing: BillingMode,
    table: Throughput,
    gsis: &[IndexDefinition],
) -> Reserved {
    match billing {
        BillingMode::PayPerRequest => Reserved::default(),
        BillingMode::Provisioned => gsis
            .iter()
            .filter_map(|g| g.throughput)
            .fold(reserved(table), |sum, g| sum.plus(reserved(g))),
    }
}

/// The region in a table's ARN (`arn:aws:dynamodb:<region>:...`).
fn region_of_arn(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or("us-east-1")
}

fn typed_throughput(t: &ThroughputW) -> Throughput {
    Throughput {
        read: t.read_capacity_units.unwrap_or(0) as u64,
        write: t.write_capacity_units.unwrap_or(0) as u64,
    }
}

fn parse_billing_mode(s: Option<&str>) -> BillingMode {
    match s {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    }
}

fn attribute_definitions(defs: &[AttributeDefinitionW]) -> Result<BTreeMap<String, ScalarType>> {
    let mut map = BTreeMap::new();
    for d in defs {
        let name = d.attribute_name.clone().unwrap_or_default();
        let ty = ScalarType::parse(d.attribute_type.as_deref().unwrap_or(""))
            .expect("constraint checked");
        if map.insert(name, ty).is_some() {
            return Err(DynamoError::validation(
                "Cannot have two attributes with the same name",
            ));
        }
    }
    Ok(map)
}

fn attribute_definition_constraints(c: &mut Constraints, defs: Option<&Vec<AttributeDefinitionW>>) {
    match defs {
        None => c.not_null(false, "attributeDefinitions"),
        Some(defs) => {
            for (i, d) in defs.iter().enumerate() {
                let m = format!("attributeDefinitions.{}.member", i + 1);
                c.not_null(d.attribute_name.is_some(), &format!("{m}.attributeName"));
                c.not_null(d.attribute_type.is_some(), &format!("{m}.attributeType"));
                enum_constraint(
                    c,
                    d.attribute_type.as_deref(),
                    &format!("{m}.attributeType"),
                    &["B", "N", "S"],
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CreateTable
// ---------------------------------------------------------------------------------------------

pub fn create_table(
    engine: &Engine,
    ctx: &RequestContext,
    input: CreateTableInput,
) -> Result<Value> {
    let mut c = Constraints::new();
    check_name(&mut c, input.table_name.as_deref(), "tableName", true);
    attribute_definition_constraints(&mut c, input.attribute_definitions.as_ref());
    key_schema_constraints(&mut c, input.key_schema.as_ref(), "keySchema");
    if let Some(t) = &input.provisioned_throughput {
        throughput_constraints(&mut c, t, "provisionedThroughput");
    }
    if let Some(l) = &input.local_secondary_indexes {
        index_constraints(&mut c, l, "localSecondaryIndexes", false);
    }
    if let Some(g) = &input.global_secondary_indexes {
        index_constraints(&mut c, g, "globalSecondaryIndexes", true);
    }
    enum_constraint(
        &mut c,
        input.billing_mode.as_deref(),
        "billingMode",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    );
    enum_constraint(
        &mut c,
        input.table_class.as_deref(),
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    );
    if let Some(s) = &input.stream_specification {
        c.not_null(
            s.stream_enabled.is_some(),
            "streamSpecification.streamEnabled",
        );
        enum_constraint(
            &mut c,
            s.stream_view_type.as_deref(),
            "streamSpecification.streamViewType",
            &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"],
        );
    }
    c.into_result()?;
    throughput_bounds(input.provisioned_throughput.as_ref())?;
    for g in input.global_secondary_indexes.iter().flatten() {
        throughput_bounds(g.provisioned_throughput.as_ref())?;
    }

    let name = input.table_name.clone().expect("checked");
    let defs_w = input.attribute_definitions.as_ref().expect("checked");
    let ks_w = input.key_schema.as_ref().expect("checked");
    let defs = attribute_definitions(defs_w)?;
    let schema = typed_schema(ks_w, &defs, None)?;

    let billing = parse_billing_mode(input.billing_mode.as_deref());
    let throughput = match (billing, &input.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(DynamoError::invalid_parameter(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ))
        }
        (BillingMode::Provisioned, Some(t)) => typed_throughput(t),
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(DynamoError::invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::PayPerRequest, None) => Throughput { read: 0, write: 0 },
    };

    // Indexes.
    let mut names = HashSet::new();
    let mut used_attrs: HashSet<String> = schema.names().map(str::to_string).collect();
    let mut lsis = Vec::new();
    if let Some(l) = &input.local_secondary_indexes {
        if l.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "List of LocalSecondaryIndexes is empty",
            ));
        }
        if schema.range.is_none() {
            return Err(DynamoError::invalid_parameter(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        for x in l {
            let iname = x.index_name.clone().expect("checked");
            let ischema =
                typed_schema(x.key_schema.as_ref().expect("checked"), &defs, Some(&iname))?;
            if ischema.range.is_none() {
                return Err(DynamoError::invalid_parameter(format!(
                    "Index KeySchema does not have a range key for index: {iname}"
                )));
            }
            if ischema.hash != schema.hash {
                return Err(DynamoError::invalid_parameter(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {iname}. index hash key: {}, table hash key: {}",
                    ischema.hash.name, schema.hash.name
                )));
            }
            let proj = typed_projection(x.projection.as_ref().expect("checked"), &iname)?;
            if !names.insert(iname.clone()) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Duplicate index name: {iname}"
                )));
            }
            used_attrs.extend(ischema.names().map(str::to_string));
            lsis.push(IndexDefinition::new(iname, ischema, proj, None));
        }
        if lsis.len() > 5 {
            return Err(DynamoError::invalid_parameter(
                "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
            ));
        }
    }
    let mut gsis = Vec::new();
    if let Some(g) = &input.global_secondary_indexes {
        if g.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "List of GlobalSecondaryIndexes is empty",
            ));
        }
        for x in g {
            let iname = x.index_name.clone().expect("checked");
            let ischema =
                typed_schema(x.key_schema.as_ref().expect("checked"), &defs, Some(&iname))?;
            let proj = typed_projection(x.projection.as_ref().expect("checked"), &iname)?;
            let t = match (billing, &x.provisioned_throughput) {
                (BillingMode::Provisioned, None) => {
                    return Err(DynamoError::invalid_parameter(format!(
                        "ProvisionedThroughput must be specified for index: {iname}"
                    )))
                }
                (BillingMode::Provisioned, Some(t)) => Some(typed_throughput(t)),
                (BillingMode::PayPerRequest, Some(_)) => {
                    return Err(DynamoError::invalid_parameter(format!(
                        "ProvisionedThroughput should not be specified for index: {iname} when BillingMode is PAY_PER_REQUEST"
                    )))
                }
                (BillingMode::PayPerRequest, None) => None,
            };
            if !names.insert(iname.clone()) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Duplicate index name: {iname}"
                )));
            }
            used_attrs.extend(ischema.names().map(str::to_string));
            gsis.push(IndexDefinition::new(iname, ischema, proj, t));
        }
        if gsis.len() > 20 {
            return Err(DynamoError::new(
                ErrorKind::LimitExceeded,
                "Subscriber limit exceeded: The number of global indexes per table exceeds the limit of 20",
            ));
        }
    }
    engine
        .options
        .quotas
        .check_table(&ctx.region, reserved(throughput), None)?;
    for g in &gsis {
        if let Some(t) = g.throughput {
            engine
                .options
                .quotas
                .check_table(&ctx.region, reserved(t), Some(&g.name))?;
        }
    }
    for idx in lsis.iter().chain(gsis.iter()) {
        let count = idx.projection.non_key_attributes.len();
        if count > 100 {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Number of NonKeyAttributes in a projection exceeds the limit of 100",
            ));
        }
    }
    if used_attrs.len() != defs.len() {
        return Err(DynamoError::invalid_parameter(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }

    let mut tags = BTreeMap::new();
    if let Some(t) = &input.tags {
        validate_tags(t)?;
        for tag in t {
            tags.insert(
                tag.key.clone().unwrap_or_default(),
                tag.value.clone().unwrap_or_default(),
            );
        }
    }

    let stream = match &input.stream_specification {
        Some(s) if s.stream_enabled == Some(true) => Some(
            s.stream_view_type
                .clone()
                .ok_or_else(|| {
                    DynamoError::validation(
                        "One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true",
                    )
                })?,
        ),
        Some(s) if s.stream_view_type.is_some() => {
            return Err(DynamoError::invalid_parameter(
                "StreamViewType can only be specified when StreamEnabled is true",
            ))
        }
        _ => None,
    };

    if engine.catalog.get(&name).is_some() {
        return Err(DynamoError::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    engine.options.quotas.check_tables(engine.catalog.len())?;
    let reservation = table_reservation(billing, throughput, &gsis);

    let now = engine.clock.now();
    let arn = format!(
        "arn:aws:dynamodb:{}:{}:table/{}",
        ctx.region, engine.options.account_id, name
    );
    let mut table = Table::new(TableSpec {
        name: name.clone(),
        arn,
        id: engine.uuid(),
        schema,
        // DynamoDB keeps the definitions in the order given.
        attribute_definitions: defs_w
            .iter()
            .map(|d| {
                let name = d.attribute_name.clone().unwrap_or_default();
                let ty = defs[&name];
                (name, ty)
            })
            .collect(),
        billing_mode: billing,
        throughput,
        created_at: now,
        gsis,
        lsis,
        stream,
        tags,
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        table_class: input
            .table_class
            .clone()
            .unwrap_or_else(|| "STANDARD".into()),
        replication: engine.replication.clone(),
        seed: engine.with_rng(rand::Rng::gen),
        capacity: engine.capacity.clone(),
        collection_limit: engine.options.item_collection_limit,
    });
    table.billing_mode_changed_at = input.billing_mode.as_ref().map(|_| now);
    let delay = engine.options.transient_status_delay;
    if !delay.is_zero() {
        table.transient_until = Some((TableStatus::Creating, now + delay));
        for g in &mut table.gsis {
            g.status = TableStatus::Creating;
        }
    }
    let description = describe(&table, now);
    let id = table.id.clone();
    engine
        .reservations
        .reserve(&engine.options.quotas, &ctx.region, &id, reservation)?;
    if !engine.catalog.insert(table) {
        engine.reservations.release(&id);
        return Err(DynamoError::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    Ok(json!({ "TableDescription": description }))
}

pub fn validate_tags(tags: &[TagW]) -> Result<()> {
    let mut c = Constraints::new();
    for (i, t) in tags.iter().enumerate() {
        let m = format!("tags.{}.member", i + 1);
        match &t.key {
            None => c.not_null(false, &format!("{m}.key")),
            Some(k) if k.is_empty() => c.add(
                format!("'{k}'"),
                &format!("{m}.key"),
                "Member must have length greater than or equal to 1",
            ),
            Some(k) if k.chars().count() > 128 => c.add(
                format!("'{k}'"),
                &format!("{m}.key"),
                "Member must have length less than or equal to 128",
            ),
            _ => {}
        }
        match &t.value {
            None => c.not_null(false, &format!("{m}.value")),
            Some(v) if v.chars().count() > 256 => c.add(
                format!("'{v}'"),
                &format!("{m}.value"),
                "Member must have length less than or equal to 256",
            ),
            _ => {}
        }
    }
    c.into_result()
}

// ---------------------------------------------------------------------------------------------
// TableDescription
// ---------------------------------------------------------------------------------------------

/// ISO-8601 UTC with milliseconds, as DynamoDB writes stream labels.
pub fn iso8601(t: Duration) -> String {
    let secs = t.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        t.subsec_millis()
    )
}

fn seconds(t: Duration) -> Value {
    json!((t.as_millis() as f64) / 1000.0)
}

fn key_schema_json(s: &KeySchema) -> Value {
    let mut v = vec![json!({"AttributeName": s.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &s.range {
        v.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Value::Array(v)
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
        "NumberOfDecreasesToday": table.decreases_today,
        "ReadCapacityUnits": t.read,
        "WriteCapacityUnits": t.write,
    });
    if let Some(i) = table.last_increase {
        v["LastIncreaseDateTime"] = seconds(i);
    }
    if let Some(d) = table.last_decrease {
        v["LastDecreaseDateTime"] = seconds(d);
    }
    v
}

/// DescribeTable's `Table` (also CreateTable's and DeleteTable's `TableDescription`).
pub fn describe(t: &Table, now: Duration) -> Value {
    let status = t.status(now);
    let mut v = json!({
        "AttributeDefinitions": t.attribute_definitions.iter()
            .map(|(n, ty)| json!({"AttributeName": n, "AttributeType": ty.as_str()}))
            .collect::<Vec<_>>(),
        "TableName": t.name,
        "KeySchema": key_schema_json(&t.schema),
        "TableStatus": status.as_str(),
        "CreationDateTime": seconds(t.created_at),
        "ProvisionedThroughput": throughput_json(&t.throughput, t),
        "TableSizeBytes": t.size_bytes,
        "ItemCount": t.item_count(),
        "TableArn": t.arn,
        "TableId": t.id,
        "DeletionProtectionEnabled": t.deletion_protection,
    });
    if t.billing_mode == BillingMode::PayPerRequest || t.billing_mode_changed_at.is_some() {
        let mut summary = json!({"BillingMode": t.billing_mode.as_str()});
        if let Some(at) = t.billing_mode_changed_at {
            summary["LastUpdateToPayPerRequestDateTime"] = seconds(at);
        }
        v["BillingModeSummary"] = summary;
    }
    if t.table_class != "STANDARD" {
        v["TableClassSummary"] = json!({"TableClass": t.table_class});
    }
    if !t.lsis.is_empty() {
        v["LocalSecondaryIndexes"] = Value::Array(
            t.lsis
                .iter()
                .map(|i| {
                    json!({
                        "IndexName": i.name,
                        "KeySchema": key_schema_json(&i.schema),
                        "Projection": projection_json(&i.projection),
                        "IndexSizeBytes": i.size_bytes,
                        "ItemCount": i.entries.len(),
                        "IndexArn": format!("{}/index/{}", t.arn, i.name),
                    })
                })
                .collect(),
        );
    }
    if !t.gsis.is_empty() {
        v["GlobalSecondaryIndexes"] = Value::Array(
            t.gsis
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
                        "IndexSizeBytes": i.size_bytes,
                        "ItemCount": i.entries.len(),
                        "IndexArn": format!("{}/index/{}", t.arn, i.name),
                    });
                    if index_status == TableStatus::Creating {
                        g["Backfilling"] = json!(false);
                    }
                    g
                })
                .collect(),
        );
    }
    if let Some(view) = &t.stream {
        let label = iso8601(t.created_at);
        v["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view});
        v["LatestStreamLabel"] = json!(label);
        v["LatestStreamArn"] = json!(format!("{}/stream/{}", t.arn, label));
    }
    v
}

fn not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Table: {name} not found"),
    )
}

pub fn describe_table(engine: &Engine, input: TableNameInput) -> Result<Value> {
    let name = table_name(input.table_name.as_deref())?;
    let table = engine.catalog.get(name).ok_or_else(|| not_found(name))?;
    let now = engine.clock.now();
    let mut t = table.write();
    t.expire(now);
    Ok(json!({ "Table": describe(&t, now) }))
}

// ---------------------------------------------------------------------------------------------
// ListTables
// ---------------------------------------------------------------------------------------------

pub fn list_tables(engine: &Engine, input: ListTablesInput) -> Result<Value> {
    let mut c = Constraints::new();
    check_name(
        &mut c,
        input.exclusive_start_table_name.as_deref(),
        "exclusiveStartTableName",
        false,
    );
    if let Some(l) = input.limit {
        if l < 1 {
            c.add(
                format!("'{l}'"),
                "limit",
                "Member must have value greater than or equal to 1",
            );
        } else if l > 100 {
            c.add(
                format!("'{l}'"),
                "limit",
                "Member must have value less than or equal to 100",
            );
        }
    }
    c.into_result()?;
    let limit = input.limit.unwrap_or(100) as usize;
    let names = engine
        .catalog
        .names_after(input.exclusive_start_table_name.as_deref());
    let page: Vec<String> = names.iter().take(limit).cloned().collect();
    let mut out = json!({ "TableNames": page });
    if names.len() > limit {
        out["LastEvaluatedTableName"] = json!(page.last());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// DeleteTable
// ---------------------------------------------------------------------------------------------

pub fn delete_table(engine: &Engine, input: TableNameInput) -> Result<Value> {
    let name = table_name(input.table_name.as_deref())?;
    let table = engine.catalog.get(name).ok_or_else(|| not_found(name))?;
    let now = engine.clock.now();
    let description = {
        let t = table.read();
        match t.status(now) {
            TableStatus::Creating => {
                return Err(DynamoError::new(
                    ErrorKind::ResourceInUse,
                    format!("Attempt to change a resource which is still in use: Table is being created: {name}"),
                ))
            }
            TableStatus::Deleting => {
                return Err(DynamoError::new(
                    ErrorKind::ResourceInUse,
                    format!("Attempt to change a resource which is still in use: Table is being deleted: {name}"),
                ))
            }
            TableStatus::Updating => {
                return Err(DynamoError::new(
                    ErrorKind::ResourceInUse,
                    format!("Attempt to change a resource which is still in use: Table is being updated: {name}"),
                ))
            }
            TableStatus::Active => {}
        }
        if t.deletion_protection {
            return Err(DynamoError::validation(format!(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Table: {}",
                t.arn
            )));
        }
        let mut d = describe(&t, now);
        d["TableStatus"] = json!("DELETING");
        engine.reservations.release(&t.id);
        d
    };
    engine.catalog.remove(name);
    Ok(json!({ "TableDescription": description }))
}

// ---------------------------------------------------------------------------------------------
// UpdateTable
// ---------------------------------------------------------------------------------------------

pub fn update_table(engine: &Engine, input: UpdateTableInput) -> Result<Value> {
    let mut c = Constraints::new();
    check_name(&mut c, input.table_name.as_deref(), "tableName", true);
    if let Some(t) = &input.provisioned_throughput {
        throughput_constraints(&mut c, t, "provisionedThroughput");
    }
    enum_constraint(
        &mut c,
        input.billing_mode.as_deref(),
        "billingMode",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    );
    enum_constraint(
        &mut c,
        input.table_class.as_deref(),
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    );
    if input.attribute_definitions.is_some() {
        attribute_definition_constraints(&mut c, input.attribute_definitions.as_ref());
    }
    if let Some(updates) = &input.global_secondary_index_updates {
        for (i, u) in updates.iter().enumerate() {
            let m = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
            if let Some(cr) = &u.create {
                index_constraints(
                    &mut c,
                    std::slice::from_ref(cr),
                    &format!("{m}.create"),
                    true,
                );
            }
            if let Some(d) = &u.delete {
                check_name(
                    &mut c,
                    d.index_name.as_deref(),
                    &format!("{m}.delete.indexName"),
                    true,
                );
            }
            if let Some(up) = &u.update {
                check_name(
                    &mut c,
                    up.index_name.as_deref(),
                    &format!("{m}.update.indexName"),
                    true,
                );
                match &up.provisioned_throughput {
                    None => c.not_null(false, &format!("{m}.update.provisionedThroughput")),
                    Some(t) => throughput_constraints(
                        &mut c,
                        t,
                        &format!("{m}.update.provisionedThroughput"),
                    ),
                }
            }
        }
    }
    c.into_result()?;
    // The table's own throughput is bounded before the table is looked up; an index's only
    // once the table is found (dynalite's suite, recorded against the service).
    throughput_bounds(input.provisioned_throughput.as_ref())?;
    let name = input.table_name.as_deref().expect("checked");

    if input.provisioned_throughput.is_none()
        && input.billing_mode.is_none()
        && input.global_secondary_index_updates.is_none()
        && input.stream_specification.is_none()
        && input.table_class.is_none()
        && input.deletion_protection_enabled.is_none()
        && input.sse_specification.is_none()
        && input.replica_updates.is_none()
    {
        return Err(DynamoError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }

    let table = engine.catalog.get(name).ok_or_else(|| not_found(name))?;
    let now = engine.clock.now();
    let mut t = table.write();
    match t.status(now) {
        TableStatus::Active => {}
        other => {
            return Err(DynamoError::new(
                ErrorKind::ResourceInUse,
                format!(
                    "Attempt to change a resource which is still in use: Table is being {}: {name}",
                    match other {
                        TableStatus::Creating => "created",
                        TableStatus::Deleting => "deleted",
                        _ => "updated",
                    }
                ),
            ))
        }
    }

    // Work out the new state fully before changing anything.
    let new_billing = input
        .billing_mode
        .as_deref()
        .map(|b| parse_billing_mode(Some(b)))
        .unwrap_or(t.billing_mode);
    let mut new_throughput = t.throughput;
    match (new_billing, &input.provisioned_throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(DynamoError::invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::Provisioned, None) if t.billing_mode == BillingMode::PayPerRequest => {
            return Err(DynamoError::invalid_parameter(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ))
        }
        (BillingMode::Provisioned, Some(tp)) => {
            let requested = typed_throughput(tp);
            if requested == t.throughput
                && t.billing_mode == BillingMode::Provisioned
                && input.global_secondary_index_updates.is_none()
                && input.billing_mode.is_none()
            {
                return Err(DynamoError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    t.throughput.read, requested.read, t.throughput.write, requested.write
                )));
            }
            new_throughput = requested;
        }
        (BillingMode::PayPerRequest, None) => new_throughput = Throughput { read: 0, write: 0 },
        _ => {}
    }

    // GSI updates: at most one create or delete per call, as DynamoDB.
    let mut defs: BTreeMap<String, ScalarType> = t.attribute_definitions.iter().cloned().collect();
    if let Some(extra) = &input.attribute_definitions {
        for (n, ty) in attribute_definitions(extra)? {
            if let Some(existing) = defs.get(&n) {
                if *existing != ty {
                    return Err(DynamoError::invalid_parameter(format!(
                        "Cannot change the type of an existing attribute: {n}"
                    )));
                }
            }
            defs.insert(n, ty);
        }
    }
    let mut creates = Vec::new();
    let mut deletes = Vec::new();
    let mut gsi_throughput = Vec::new();
    if let Some(updates) = &input.global_secondary_index_updates {
        for u in updates {
            let actions = [u.create.is_some(), u.update.is_some(), u.delete.is_some()]
                .iter()
                .filter(|x| **x)
                .count();
            if actions != 1 {
                return Err(DynamoError::invalid_parameter(
                    "One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update, or GlobalSecondaryIndexUpdate.Delete must be specified",
                ));
            }
            if let Some(cr) = &u.create {
                let iname = cr.index_name.clone().expect("checked");
                if t.index(&iname).is_some()
                    || creates.iter().any(|i: &IndexDefinition| i.name == iname)
                {
                    return Err(DynamoError::invalid_parameter(format!(
                        "Attempting to create an index which already exists: {iname}"
                    )));
                }
                let ischema = typed_schema(
                    cr.key_schema.as_ref().expect("checked"),
                    &defs,
                    Some(&iname),
                )?;
                let proj = typed_projection(cr.projection.as_ref().expect("checked"), &iname)?;
                let tp = match (new_billing, &cr.provisioned_throughput) {
                    (BillingMode::Provisioned, None) => {
                        return Err(DynamoError::invalid_parameter(format!(
                            "ProvisionedThroughput must be specified for index: {iname}"
                        )))
                    }
                    (BillingMode::Provisioned, Some(x)) => Some(typed_throughput(x)),
                    (BillingMode::PayPerRequest, Some(_)) => {
                        return Err(DynamoError::invalid_parameter(format!(
                            "ProvisionedThroughput should not be specified for index: {iname} when BillingMode is PAY_PER_REQUEST"
                        )))
                    }
                    (BillingMode::PayPerRequest, None) => None,
                };
                creates.push(IndexDefinition::new(iname, ischema, proj, tp));
            }
            if let Some(d) = &u.delete {
                let iname = d.index_name.clone().expect("checked");
                if !t.gsis.iter().any(|g| g.name == iname) {
                    return Err(DynamoError::new(
                        ErrorKind::ResourceNotFound,
                        format!("Requested resource not found: Requested index {iname} not found for table {name}"),
                    ));
                }
                deletes.push(iname);
            }
            if let Some(up) = &u.update {
                let iname = up.index_name.clone().expect("checked");
                if !t.gsis.iter().any(|g| g.name == iname) {
                    if throughput_bounds(up.provisioned_throughput.as_ref()).is_err() {
                        return Err(DynamoError::validation(
                            "This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate",
                        ));
                    }
                    return Err(DynamoError::new(
                        ErrorKind::ResourceNotFound,
                        format!("Requested resource not found: Requested index {iname} not found for table {name}"),
                    ));
                }
                if new_billing == BillingMode::PayPerRequest {
                    return Err(DynamoError::invalid_parameter(
                        "ProvisionedThroughput cannot be specified for index when BillingMode is PAY_PER_REQUEST",
                    ));
                }
                gsi_throughput.push((
                    iname,
                    typed_throughput(up.provisioned_throughput.as_ref().expect("checked")),
                ));
            }
        }
        if creates.len() + deletes.len() > 1 {
            return Err(DynamoError::invalid_parameter(
                "Only 1 online index can be created or deleted simultaneously per table",
            ));
        }
        if t.gsis.len() + creates.len() > 20 {
            return Err(DynamoError::new(
                ErrorKind::LimitExceeded,
                "Subscriber limit exceeded: The number of global indexes per table exceeds the limit of 20",
            ));
        }
    }
    // Switching to provisioned needs throughput for every remaining GSI.
    if new_billing == BillingMode::Provisioned && t.billing_mode == BillingMode::PayPerRequest {
        for g in &t.gsis {
            if !deletes.contains(&g.name) && !gsi_throughput.iter().any(|(n, _)| n == &g.name) {
                return Err(DynamoError::invalid_parameter(format!(
                    "ProvisionedThroughput must be specified for index: {}",
                    g.name
                )));
            }
        }
    }
    let stream = match &input.stream_specification {
        None => t.stream.clone(),
        Some(s) if s.stream_enabled == Some(true) => {
            if t.stream.is_some() {
                return Err(DynamoError::validation(format!(
                    "Table already has an enabled stream: {}",
                    t.arn
                )));
            }
            Some(s.stream_view_type.clone().ok_or_else(|| {
                DynamoError::invalid_parameter(
                    "StreamViewType is required when StreamEnabled is true",
                )
            })?)
        }
        Some(_) => {
            if t.stream.is_none() {
                return Err(DynamoError::validation("Table already has stream disabled"));
            }
            None
        }
    };

    // Quotas: the new throughput of the table and of every index it will have.
    let region = region_of_arn(&t.arn).to_string();
    let quotas = &engine.options.quotas;
    if new_billing == BillingMode::Provisioned {
        quotas.check_table(&region, reserved(new_throughput), None)?;
    }
    let mut future_gsis: Vec<IndexDefinition> = t
        .gsis
        .iter()
        .filter(|g| !deletes.contains(&g.name))
        .cloned()
        .collect();
    for g in &mut future_gsis {
        if let Some((_, tp)) = gsi_throughput.iter().find(|(n, _)| n == &g.name) {
            g.throughput = Some(*tp);
        }
    }
    future_gsis.extend(creates.iter().cloned());
    for g in &future_gsis {
        if let (BillingMode::Provisioned, Some(tp)) = (new_billing, g.throughput) {
            quotas.check_table(&region, reserved(tp), Some(&g.name))?;
        }
    }
    engine.reservations.reserve(
        quotas,
        &region,
        &t.id,
        table_reservation(new_billing, new_throughput, &future_gsis),
    )?;

    // Apply.
    if new_throughput.read > t.throughput.read || new_throughput.write > t.throughput.write {
        t.last_increase = Some(now);
    }
    if (new_throughput.read < t.throughput.read || new_throughput.write < t.throughput.write)
        && t.billing_mode == BillingMode::Provisioned
        && new_billing == BillingMode::Provisioned
    {
        t.last_decrease = Some(now);
        t.decreases_today += 1;
    }
    if new_billing != t.billing_mode {
        t.billing_mode_changed_at = Some(now);
    }
    t.billing_mode = new_billing;
    t.throughput = new_throughput;
    let mut ordered = t.attribute_definitions.clone();
    for (n, ty) in &defs {
        if !ordered.iter().any(|(o, _)| o == n) {
            ordered.push((n.clone(), *ty));
        }
    }
    t.attribute_definitions = ordered;
    t.stream = stream;
    if let Some(class) = &input.table_class {
        t.table_class = class.clone();
    }
    if let Some(p) = input.deletion_protection_enabled {
        t.deletion_protection = p;
    }
    for (n, tp) in gsi_throughput {
        if let Some(g) = t.gsis.iter_mut().find(|g| g.name == n) {
            g.throughput = Some(tp);
        }
    }
    if new_billing == BillingMode::PayPerRequest {
        for g in &mut t.gsis {
            g.throughput = None;
        }
    }
    t.grow_for_throughput(now);
    t.gsis.retain(|g| !deletes.contains(&g.name));
    for mut idx in creates {
        t.backfill(&mut idx);
        t.gsis.push(idx);
    }
    // Index buckets follow the indexes created, deleted and re-provisioned.
    t.reprovision(now);
    // Attribute definitions only keep attributes some key uses.
    let used: HashSet<String> = t
        .schema
        .names()
        .chain(t.gsis.iter().flat_map(|g| g.schema.names()))
        .chain(t.lsis.iter().flat_map(|g| g.schema.names()))
        .map(str::to_string)
        .collect();
    t.attribute_definitions.retain(|(n, _)| used.contains(n));
    let delay = engine.options.transient_status_delay;
    if !delay.is_zero() {
        t.transient_until = Some((TableStatus::Updating, now + delay));
    }
    Ok(json!({ "TableDescription": describe(&t, now) }))
}
