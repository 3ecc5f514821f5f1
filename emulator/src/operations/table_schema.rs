//! What the table operations share: the wire shapes of key schemas, attribute definitions,
//! indexes, throughput and tags; their member constraints; and the semantic rules between them
//! (a key schema against the attribute definitions, an index's projection, throughput against
//! the billing mode). CreateTable and UpdateTable's index creation use the same functions, so
//! the two cannot drift apart.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>.

use super::validate::{check_name, enum_check};
use crate::capacity::quota::{self, Reserved};
use crate::error::{Constraints, DynamoError, Result};
use crate::storage::definition::Throughput;
use crate::storage::key::MAX_KEY_ATTRIBUTES;
use crate::storage::{
    BillingMode, IndexDefinition, KeyAttribute, KeySchema, Projection, ProjectionType,
};
use crate::value::ScalarType;
use serde::Deserialize;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AttributeDefinitionW {
    pub(super) attribute_name: Option<String>,
    pub(super) attribute_type: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct KeySchemaElementW {
    pub(super) attribute_name: Option<String>,
    pub(super) key_type: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ThroughputW {
    pub(super) read_capacity_units: Option<i64>,
    pub(super) write_capacity_units: Option<i64>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProjectionW {
    pub(super) projection_type: Option<String>,
    pub(super) non_key_attributes: Option<Vec<String>>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct IndexW {
    pub(super) index_name: Option<String>,
    pub(super) key_schema: Option<Vec<KeySchemaElementW>>,
    pub(super) projection: Option<ProjectionW>,
    pub(super) provisioned_throughput: Option<ThroughputW>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StreamSpecificationW {
    pub(super) stream_enabled: Option<bool>,
    pub(super) stream_view_type: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagW {
    pub(super) key: Option<String>,
    pub(super) value: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Member constraints
// ---------------------------------------------------------------------------------------------

/// `BillingMode` and `TableClass`, which CreateTable and UpdateTable both take.
pub(super) fn billing_and_class_constraints(
    c: &mut Constraints,
    billing_mode: Option<&str>,
    table_class: Option<&str>,
) {
    enum_check(
        c,
        billing_mode,
        "billingMode",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    );
    enum_check(
        c,
        table_class,
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    );
}

pub(super) fn throughput_constraints(c: &mut Constraints, t: &ThroughputW, prefix: &str) {
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

pub(super) fn key_schema_constraints(
    c: &mut Constraints,
    ks: Option<&Vec<KeySchemaElementW>>,
    member: &str,
    max: usize,
) {
    match ks {
        None => c.not_null(false, member),
        Some(ks) => {
            for (i, k) in ks.iter().enumerate() {
                let m = format!("{member}.{}.member", i + 1);
                c.not_null(k.attribute_name.is_some(), &format!("{m}.attributeName"));
                c.not_null(k.key_type.is_some(), &format!("{m}.keyType"));
                enum_check(
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
            if ks.len() > max {
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
                    &format!("Member must have length less than or equal to {max}"),
                );
            }
        }
    }
}

pub(super) fn index_constraints(c: &mut Constraints, idx: &[IndexW], member: &str, global: bool) {
    for (i, x) in idx.iter().enumerate() {
        let m = format!("{member}.{}.member", i + 1);
        check_name(c, x.index_name.as_deref(), &format!("{m}.indexName"), true);
        // A GSI's key has up to four partition-key and four sort-key attributes.
        let max = if global { 2 * MAX_KEY_ATTRIBUTES } else { 2 };
        key_schema_constraints(c, x.key_schema.as_ref(), &format!("{m}.keySchema"), max);
        match &x.projection {
            None => c.not_null(false, &format!("{m}.projection")),
            Some(p) => {
                // The service lists the values in this order (dynalite's suite, recorded
                // against it).
                enum_check(
                    c,
                    p.projection_type.as_deref(),
                    &format!("{m}.projection.projectionType"),
                    &["ALL", "INCLUDE", "KEYS_ONLY"],
                );
                if p.non_key_attributes.as_ref().is_some_and(Vec::is_empty) {
                    c.add(
                        "[]",
                        &format!("{m}.projection.nonKeyAttributes"),
                        "Member must have length greater than or equal to 1",
                    );
                }
            }
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
pub(super) fn typed_schema(
    ks: &[KeySchemaElementW],
    defs: &BTreeMap<String, ScalarType>,
    index: Option<&str>,
    composite: bool,
) -> Result<KeySchema> {
    let first = ks
        .first()
        .ok_or_else(|| DynamoError::validation("Invalid KeySchema: empty"))?;
    let names: Vec<&str> = ks
        .iter()
        .map(|k| k.attribute_name.as_deref().unwrap_or_default())
        .collect();
    // The service's order (dynalite's suite, recorded against it): for the table, more key
    // attributes than definitions; for table and index, an undefined key attribute; a repeated
    // name; then the key types.
    if index.is_none() && ks.len() > defs.len() {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if names.iter().any(|n| !defs.contains_key(*n)) {
        return Err(DynamoError::invalid_parameter(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            names.join(", "),
            defs.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    if ks.len() == 2 && names[0] == names[1] {
        return Err(same_name_error());
    }
    if (1..names.len()).any(|i| names[..i].contains(&names[i])) {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Some index key attributes are repeated",
        ));
    }
    if first.key_type.as_deref() != Some("HASH") {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if ks.len() == 2 && !composite && ks[1].key_type.as_deref() != Some("RANGE") {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
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
    // A GSI's key may have up to four HASH then up to four RANGE attributes.
    let hashes = ks
        .iter()
        .take_while(|k| k.key_type.as_deref() == Some("HASH"))
        .count();
    let ranges = &ks[hashes..];
    if ranges
        .iter()
        .any(|k| k.key_type.as_deref() != Some("RANGE"))
    {
        return Err(DynamoError::validation(
            "Invalid KeySchema: HASH key attributes must precede RANGE key attributes",
        ));
    }
    if hashes > MAX_KEY_ATTRIBUTES || ranges.len() > MAX_KEY_ATTRIBUTES {
        return Err(DynamoError::validation(format!(
            "Invalid KeySchema: a global secondary index key has at most {MAX_KEY_ATTRIBUTES} HASH and {MAX_KEY_ATTRIBUTES} RANGE attributes"
        )));
    }
    let mut schema = KeySchema::simple(attr(first)?, ranges.first().map(attr).transpose()?);
    schema.extra_hash = ks[1..hashes].iter().map(attr).collect::<Result<_>>()?;
    schema.extra_range = ranges.iter().skip(1).map(attr).collect::<Result<_>>()?;
    Ok(schema)
}

fn same_name_error() -> DynamoError {
    DynamoError::validation(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
    )
}

pub(super) fn typed_projection(p: &ProjectionW) -> Result<Projection> {
    let ty = match p.projection_type.as_deref() {
        Some("ALL") => ProjectionType::All,
        Some("INCLUDE") => ProjectionType::Include,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        None => {
            return Err(DynamoError::invalid_parameter(
                "Unknown ProjectionType: null",
            ));
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
pub(super) fn throughput_bounds(t: Option<&ThroughputW>) -> Result<()> {
    match t {
        Some(t) => quota::check_bounds(
            t.read_capacity_units.unwrap_or(1),
            t.write_capacity_units.unwrap_or(1),
        ),
        None => Ok(()),
    }
}

pub(super) fn reserved(t: Throughput) -> Reserved {
    Reserved {
        read: t.read,
        write: t.write,
    }
}

/// What a table and its GSIs reserve against the account's provisioned quota.
pub(super) fn table_reservation(
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
pub(super) fn region_of_arn(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or("us-east-1")
}

pub(super) fn typed_throughput(t: &ThroughputW) -> Throughput {
    Throughput {
        read: t.read_capacity_units.unwrap_or(0) as u64,
        write: t.write_capacity_units.unwrap_or(0) as u64,
    }
}

pub(super) fn parse_billing_mode(s: Option<&str>) -> BillingMode {
    match s {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    }
}

pub(super) fn attribute_definitions(
    defs: &[AttributeDefinitionW],
) -> Result<BTreeMap<String, ScalarType>> {
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

pub(super) fn attribute_definition_constraints(
    c: &mut Constraints,
    defs: Option<&Vec<AttributeDefinitionW>>,
) {
    match defs {
        None => c.not_null(false, "attributeDefinitions"),
        Some(defs) => {
            for (i, d) in defs.iter().enumerate() {
                let m = format!("attributeDefinitions.{}.member", i + 1);
                c.not_null(d.attribute_name.is_some(), &format!("{m}.attributeName"));
                c.not_null(d.attribute_type.is_some(), &format!("{m}.attributeType"));
                enum_check(
                    c,
                    d.attribute_type.as_deref(),
                    &format!("{m}.attributeType"),
                    &["B", "N", "S"],
                );
            }
        }
    }
}

pub(super) fn validate_tags(tags: &[TagW]) -> Result<()> {
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
// Indexes
// ---------------------------------------------------------------------------------------------

/// The members an index definition must have (its constraints have been checked).
pub(super) fn index_parts(x: &IndexW) -> Result<(&String, &Vec<KeySchemaElementW>, &ProjectionW)> {
    let parts = match (&x.index_name, &x.key_schema, &x.projection) {
        (Some(n), Some(k), Some(p)) => Some((n, k, p)),
        _ => None,
    };
    Constraints::new().finish(parts)
}

/// A global secondary index as CreateTable, or UpdateTable's Create, defines it: its key schema
/// against the attribute definitions, its projection, and throughput exactly when the table is
/// provisioned.
pub(super) fn gsi_definition(
    x: &IndexW,
    defs: &BTreeMap<String, ScalarType>,
    billing: BillingMode,
) -> Result<IndexDefinition> {
    let (name, key_schema, projection) = index_parts(x)?;
    let schema = typed_schema(key_schema, defs, Some(name), true)?;
    let projection = typed_projection(projection)?;
    let throughput = match (billing, &x.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(DynamoError::invalid_parameter(format!(
                "ProvisionedThroughput must be specified for index: {name}"
            )))
        }
        (BillingMode::Provisioned, Some(t)) => Some(typed_throughput(t)),
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(DynamoError::invalid_parameter(format!(
                "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
            )))
        }
        (BillingMode::PayPerRequest, None) => None,
    };
    Ok(IndexDefinition::new(
        name.clone(),
        schema,
        projection,
        throughput,
    ))
}

/// At most this many GSIs per table.
pub(super) const MAX_GSIS: usize = 20;

/// `LimitExceededException` for a table that would have more than [`MAX_GSIS`] GSIs.
pub(super) fn too_many_gsis() -> DynamoError {
    DynamoError::new(
        crate::error::ErrorKind::LimitExceeded,
        "Subscriber limit exceeded: The number of global indexes per table exceeds the limit of 20",
    )
}

/// Reserves a recovered table's throughput against the account quota, as its creation did.
/// (A restart with a smaller quota keeps the table: what DynamoDB accepted stays.)
pub(crate) fn reserve_recovered(
    engine: &crate::engine::Engine,
    def: &crate::storage::TableDefinition,
) {
    let reservation = table_reservation(def.billing_mode, def.throughput, &def.gsis);
    let quotas = crate::capacity::Quotas {
        account_throughput: u64::MAX,
        ..engine.options.quotas
    };
    let _ = engine
        .reservations
        .reserve(&quotas, region_of_arn(&def.arn), &def.id, reservation);
}
