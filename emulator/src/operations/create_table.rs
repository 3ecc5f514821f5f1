//! CreateTable: a table's key schema, indexes, billing, stream and tags.
//!
//! Validation follows DynamoDB's order: member constraints first (reported together as
//! `N validation errors detected: ...`), then the capacity bounds, then the semantic rules
//! between members (key schema vs attribute definitions, billing mode vs throughput, index
//! rules); only then the account (quotas) and the table namespace.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>.

use super::command::{json, Command, Context};
use super::describe_table::describe;
use super::table_schema::{
    attribute_definition_constraints, attribute_definitions, billing_and_class_constraints,
    gsi_definition, index_constraints, index_parts, key_schema_constraints, parse_billing_mode,
    reserved, table_reservation, throughput_bounds, throughput_constraints, typed_projection,
    typed_schema, typed_throughput, validate_tags, AttributeDefinitionW, IndexW, KeySchemaElementW,
    StreamSpecificationW, TagW, ThroughputW, MAX_GSIS,
};
use super::validate::{check_name, control_plane_table_name, enum_check};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::storage::definition::{TableDefinition, Throughput};
use crate::storage::{BillingMode, IndexDefinition, KeySchema, TableStatus};
use crate::stream::ViewType;
use crate::table::Table;
use crate::value::ScalarType;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateTableInput {
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
    resource_policy: Option<String>,
}

/// A validated CreateTable: the table as it will be, short of the account's checks.
pub(super) struct CreateTable {
    name: String,
    /// In the order given, as DescribeTable repeats them.
    attribute_definitions: Vec<(String, ScalarType)>,
    schema: KeySchema,
    billing: BillingMode,
    /// Whether BillingMode was given (DescribeTable then reports BillingModeSummary).
    billing_given: bool,
    throughput: Throughput,
    lsis: Vec<IndexDefinition>,
    gsis: Vec<IndexDefinition>,
    stream: Option<ViewType>,
    tags: BTreeMap<String, String>,
    deletion_protection: bool,
    table_class: String,
    /// A resource-based policy to attach at creation.
    resource_policy: Option<String>,
}

fn constraints(input: &CreateTableInput) -> Constraints {
    let mut c = Constraints::new();
    check_name(&mut c, input.table_name.as_deref(), "tableName", true);
    attribute_definition_constraints(&mut c, input.attribute_definitions.as_ref());
    key_schema_constraints(&mut c, input.key_schema.as_ref(), "keySchema", 2);
    if let Some(t) = &input.provisioned_throughput {
        throughput_constraints(&mut c, t, "provisionedThroughput");
    }
    if let Some(l) = &input.local_secondary_indexes {
        index_constraints(&mut c, l, "localSecondaryIndexes", false);
    }
    if let Some(g) = &input.global_secondary_indexes {
        index_constraints(&mut c, g, "globalSecondaryIndexes", true);
    }
    billing_and_class_constraints(
        &mut c,
        input.billing_mode.as_deref(),
        input.table_class.as_deref(),
    );
    if let Some(s) = &input.stream_specification {
        c.not_null(
            s.stream_enabled.is_some(),
            "streamSpecification.streamEnabled",
        );
        enum_check(
            &mut c,
            s.stream_view_type.as_deref(),
            "streamSpecification.streamViewType",
            &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"],
        );
    }
    c
}

/// The table's throughput as its billing mode requires: given for PROVISIONED, absent for
/// PAY_PER_REQUEST.
fn table_throughput(billing: BillingMode, t: Option<&ThroughputW>) -> Result<Throughput> {
    match (billing, t) {
        (BillingMode::Provisioned, None) => Err(DynamoError::invalid_parameter(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        (BillingMode::Provisioned, Some(t)) => Ok(typed_throughput(t)),
        (BillingMode::PayPerRequest, Some(_)) => Err(DynamoError::invalid_parameter(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (BillingMode::PayPerRequest, None) => Ok(Throughput { read: 0, write: 0 }),
    }
}

/// Local secondary indexes: on a table with a sort key, each with the table's partition key and
/// its own sort key, at most 5.
fn lsi_definitions(
    l: &[IndexW],
    schema: &KeySchema,
    defs: &BTreeMap<String, ScalarType>,
    names: &mut HashSet<String>,
) -> Result<Vec<IndexDefinition>> {
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
    let mut lsis = Vec::with_capacity(l.len());
    for x in l {
        let (name, key_schema, projection) = index_parts(x)?;
        let ischema = typed_schema(key_schema, defs, Some(name), false)?;
        if ischema.range.is_none() {
            return Err(DynamoError::invalid_parameter(format!(
                "Index KeySchema does not have a range key for index: {name}"
            )));
        }
        if ischema.hash != schema.hash {
            return Err(DynamoError::invalid_parameter(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}",
                ischema.hash.name, schema.hash.name
            )));
        }
        let proj = typed_projection(projection)?;
        if !names.insert(name.clone()) {
            return Err(DynamoError::invalid_parameter(format!(
                "Duplicate index name: {name}"
            )));
        }
        lsis.push(IndexDefinition::new(name.clone(), ischema, proj, None));
    }
    if lsis.len() > 5 {
        return Err(DynamoError::invalid_parameter(
            "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
        ));
    }
    Ok(lsis)
}

/// Global secondary indexes: at most 20, names unique across the table's indexes.
fn gsi_definitions(
    g: &[IndexW],
    defs: &BTreeMap<String, ScalarType>,
    billing: BillingMode,
    names: &mut HashSet<String>,
) -> Result<Vec<IndexDefinition>> {
    if g.is_empty() {
        return Err(DynamoError::invalid_parameter(
            "List of GlobalSecondaryIndexes is empty",
        ));
    }
    let mut gsis = Vec::with_capacity(g.len());
    for x in g {
        let gsi = gsi_definition(x, defs, billing)?;
        if !names.insert(gsi.name.clone()) {
            return Err(DynamoError::invalid_parameter(format!(
                "Duplicate index name: {}",
                gsi.name
            )));
        }
        gsis.push(gsi);
    }
    if gsis.len() > MAX_GSIS {
        // CreateTable's own text (dynalite's suite, recorded against the service); UpdateTable
        // adding one too many is a LimitExceededException.
        return Err(DynamoError::invalid_parameter(
            "GlobalSecondaryIndex count exceeds the per-table limit of 20",
        ));
    }
    Ok(gsis)
}

/// The stream's view type when the specification enables one (the texts are the service's,
/// probed live in 2026; see docs/known-differences.md).
fn stream(s: Option<&StreamSpecificationW>) -> Result<Option<ViewType>> {
    let view = s.and_then(|s| s.stream_view_type.as_deref().and_then(ViewType::parse));
    match s {
        Some(s) if s.stream_enabled == Some(true) => view.map(Some).ok_or_else(|| {
            DynamoError::invalid_parameter(
                "Table is being created with a stream enabled, UpdateViewType is required",
            )
        }),
        Some(s) if s.stream_view_type.is_some() => Err(DynamoError::invalid_parameter(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        )),
        _ => Ok(None),
    }
}

impl TryFrom<CreateTableInput> for CreateTable {
    type Error = DynamoError;

    fn try_from(input: CreateTableInput) -> Result<Self> {
        let members = input.table_name.clone().zip(
            input
                .attribute_definitions
                .clone()
                .zip(input.key_schema.clone()),
        );
        control_plane_table_name(input.table_name.as_deref())?;
        let (name, (defs_w, ks_w)) = constraints(&input).finish(members)?;
        let name = crate::table::catalog::table_name_of(&name).to_string();
        throughput_bounds(input.provisioned_throughput.as_ref())?;
        for g in input.global_secondary_indexes.iter().flatten() {
            throughput_bounds(g.provisioned_throughput.as_ref())?;
        }
        let defs = attribute_definitions(&defs_w)?;
        // Billing before the key schema, as the service checks them.
        let billing = parse_billing_mode(input.billing_mode.as_deref());
        let throughput = table_throughput(billing, input.provisioned_throughput.as_ref())?;
        let schema = typed_schema(&ks_w, &defs, None, false)?;
        let mut names = HashSet::new();
        let lsis = match &input.local_secondary_indexes {
            Some(l) => lsi_definitions(l, &schema, &defs, &mut names)?,
            None => Vec::new(),
        };
        let gsis = match &input.global_secondary_indexes {
            Some(g) => gsi_definitions(g, &defs, billing, &mut names)?,
            None => Vec::new(),
        };
        if lsis
            .iter()
            .chain(gsis.iter())
            .any(|i| i.projection.non_key_attributes.len() > 100)
        {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Number of NonKeyAttributes in a projection exceeds the limit of 100",
            ));
        }
        let used: HashSet<&str> = schema
            .names()
            .chain(
                lsis.iter()
                    .chain(gsis.iter())
                    .flat_map(|i| i.schema.names()),
            )
            .collect();
        if used.len() != defs.len() {
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
        Ok(CreateTable {
            stream: stream(input.stream_specification.as_ref())?,
            name,
            attribute_definitions: defs_w
                .iter()
                .map(|d| {
                    let name = d.attribute_name.clone().unwrap_or_default();
                    let ty = defs[&name];
                    (name, ty)
                })
                .collect(),
            schema,
            billing,
            billing_given: input.billing_mode.is_some(),
            throughput,
            lsis,
            gsis,
            tags,
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            table_class: input.table_class.unwrap_or_else(|| "STANDARD".into()),
            resource_policy: match input.resource_policy {
                Some(p) => {
                    super::resource_policy::validate_document(&p)?;
                    Some(p)
                }
                None => None,
            },
        })
    }
}

/// CreateTable's answer, as the service words it whatever the table's status by the time it is
/// read (dynalite's suite, recorded against the service): the table and its global indexes
/// `CREATING`; an on-demand table's billing summary without its date, with the throughput-mode
/// summary; `DeletionProtectionEnabled` only when asked for. DescribeTable then reports the
/// table as it is (ACTIVE once the configured transient delay, 0 by default, has passed).
fn created_description(mut d: Value, deletion_protection: bool) -> Value {
    d["TableStatus"] = json!("CREATING");
    if let Some(gsis) = d
        .get_mut("GlobalSecondaryIndexes")
        .and_then(Value::as_array_mut)
    {
        for g in gsis {
            g["IndexStatus"] = json!("CREATING");
        }
    }
    if let Some(summary) = d
        .get_mut("BillingModeSummary")
        .and_then(Value::as_object_mut)
    {
        summary.remove("LastUpdateToPayPerRequestDateTime");
        if summary.get("BillingMode") == Some(&json!("PAY_PER_REQUEST")) {
            d["TableThroughputModeSummary"] = json!({ "TableThroughputMode": "PAY_PER_REQUEST" });
        }
    }
    if !deletion_protection {
        if let Some(o) = d.as_object_mut() {
            o.remove("DeletionProtectionEnabled");
        }
    }
    d
}

impl Command for CreateTable {
    type Input = CreateTableInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<CreateTableInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        self.install(ctx)
            .map(|(_, d)| json!({ "TableDescription": d }))
    }
}

impl CreateTable {
    /// The table's name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The attributes keys and index keys use, with their types.
    pub(super) fn attribute_types(&self) -> &[(String, ScalarType)] {
        &self.attribute_definitions
    }

    /// Checks the account and the namespace, then creates the table: the table and
    /// CreateTable's description of it.
    pub(super) fn install(
        self,
        ctx: &mut Context<'_>,
    ) -> Result<(crate::table::catalog::TableRef, Value)> {
        let engine = ctx.engine;
        let name = self.name.clone();
        let region = &ctx.request.region;
        let quotas = &engine.options.quotas;
        quotas.check_table(region, reserved(self.throughput), None)?;
        for g in &self.gsis {
            if let Some(t) = g.throughput {
                quotas.check_table(region, reserved(t), Some(&g.name))?;
            }
        }
        let exists = || {
            DynamoError::new(
                ErrorKind::ResourceInUse,
                format!("Table already exists: {}", self.name),
            )
        };
        if engine.catalog.get(&self.name).is_some() {
            return Err(exists());
        }
        quotas.check_tables(engine.catalog.len())?;
        let reservation = table_reservation(self.billing, self.throughput, &self.gsis);
        let now = engine.clock.now();
        let def = TableDefinition {
            name: self.name.clone(),
            arn: format!(
                "arn:aws:dynamodb:{region}:{}:table/{}",
                engine.options.account_id, self.name
            ),
            id: engine.uuid(),
            schema: self.schema,
            attribute_definitions: self.attribute_definitions,
            billing_mode: self.billing,
            throughput: self.throughput,
            created_at: now,
            gsis: self.gsis,
            lsis: self.lsis,
            stream: self.stream,
            tags: self.tags,
            deletion_protection: self.deletion_protection,
            table_class: self.table_class,
            transient_until: None,
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
            billing_mode_changed_at: self.billing_given.then_some(now),
            ttl: None,
            resource_policies: BTreeMap::new(),
            pitr: None,
            restored_from: None,
            contributor_insights: BTreeMap::new(),
        };
        let mut def = def;
        if let Some(document) = self.resource_policy {
            let revision = super::resource_policy::next_revision(now.as_millis() as u64, None);
            def.resource_policies.insert(
                def.arn.clone(),
                crate::storage::definition::ResourcePolicy { document, revision },
            );
        }
        let mut table = Table::new(def, engine.environment(engine.with_rng(rand::Rng::gen)));
        let delay = engine.options.transient_status_delay;
        if !delay.is_zero() {
            table.def.transient_until = Some((TableStatus::Creating, now + delay));
            for g in &mut table.def.gsis {
                g.status = TableStatus::Creating;
            }
        }
        let description = created_description(describe(&table, now), self.deletion_protection);
        let id = table.def.id.clone();
        engine
            .reservations
            .reserve(quotas, region, &id, reservation)?;
        if !engine.catalog.insert(table) {
            engine.reservations.release(&id);
            return Err(exists());
        }
        let table = engine.catalog.get(&name).ok_or_else(exists)?;
        Ok((table, description))
    }
}
