//! UpdateTable: throughput, billing mode, GSIs (one create or delete per call, any number of
//! throughput updates), stream, table class and deletion protection.
//!
//! The new state is worked out completely (and checked against the quotas) before anything
//! changes, so a refused update leaves the table as it was.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html>.

use super::command::{json, Command, Context};
use super::delete_table::in_use;
use super::describe_table::{control_table, describe};
use super::table_schema::{
    attribute_definition_constraints, attribute_definitions, billing_and_class_constraints,
    gsi_definition, index_constraints, parse_billing_mode, region_of_arn, reserved,
    table_reservation, throughput_bounds, throughput_constraints, too_many_gsis, typed_throughput,
    AttributeDefinitionW, IndexW, StreamSpecificationW, ThroughputW, MAX_GSIS,
};
use super::validate::{check_name, control_plane_table_name};
use crate::engine::Engine;
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::storage::definition::Throughput;
use crate::storage::{BillingMode, IndexDefinition, TableStatus};
use crate::stream::ViewType;
use crate::table::Table;
use crate::value::ScalarType;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GsiUpdateW {
    create: Option<IndexW>,
    update: Option<IndexW>,
    delete: Option<IndexW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateTableInput {
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

/// A validated UpdateTable: what the request asks, before it is checked against the table.
pub(super) struct UpdateTable {
    name: String,
    attribute_definitions: Option<Vec<AttributeDefinitionW>>,
    billing_mode: Option<BillingMode>,
    provisioned_throughput: Option<ThroughputW>,
    gsi_updates: Option<Vec<GsiUpdateW>>,
    stream_specification: Option<StreamSpecificationW>,
    table_class: Option<String>,
    deletion_protection: Option<bool>,
}

fn constraints(input: &UpdateTableInput) -> Constraints {
    let mut c = Constraints::new();
    check_name(&mut c, input.table_name.as_deref(), "tableName", true);
    if let Some(t) = &input.provisioned_throughput {
        throughput_constraints(&mut c, t, "provisionedThroughput");
    }
    billing_and_class_constraints(
        &mut c,
        input.billing_mode.as_deref(),
        input.table_class.as_deref(),
    );
    if input.attribute_definitions.is_some() {
        attribute_definition_constraints(&mut c, input.attribute_definitions.as_ref());
    }
    for (i, u) in input
        .global_secondary_index_updates
        .iter()
        .flatten()
        .enumerate()
    {
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
                Some(t) => {
                    throughput_constraints(&mut c, t, &format!("{m}.update.provisionedThroughput"))
                }
            }
        }
    }
    c
}

impl TryFrom<UpdateTableInput> for UpdateTable {
    type Error = DynamoError;

    fn try_from(input: UpdateTableInput) -> Result<Self> {
        control_plane_table_name(input.table_name.as_deref())?;
        let name = constraints(&input).finish(input.table_name)?;
        // The table's own throughput is bounded before the table is looked up; an index's only
        // once the table is found (dynalite's suite, recorded against the service).
        throughput_bounds(input.provisioned_throughput.as_ref())?;
        let gsi_updates = input
            .global_secondary_index_updates
            .as_ref()
            .filter(|u| !u.is_empty());
        if input.provisioned_throughput.is_none()
            && input.billing_mode.is_none()
            && gsi_updates.is_none()
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
        // Each index update names one action, and one index at most once, checked before the
        // table is looked up (dynalite's suite, recorded against the service).
        let mut named = std::collections::HashSet::new();
        for u in gsi_updates.into_iter().flatten() {
            let Some(action) = u
                .create
                .as_ref()
                .or(u.update.as_ref())
                .or(u.delete.as_ref())
            else {
                return Err(DynamoError::invalid_parameter(
                    "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
                ));
            };
            if let Some(index) = action.index_name.as_deref() {
                if !named.insert(index) {
                    return Err(DynamoError::invalid_parameter(format!(
                        "Only one global secondary index update per index is allowed simultaneously. Index: {index}"
                    )));
                }
            }
        }
        Ok(UpdateTable {
            name,
            attribute_definitions: input.attribute_definitions,
            billing_mode: input
                .billing_mode
                .as_deref()
                .map(|b| parse_billing_mode(Some(b))),
            provisioned_throughput: input.provisioned_throughput,
            gsi_updates: input.global_secondary_index_updates,
            stream_specification: input.stream_specification,
            table_class: input.table_class,
            deletion_protection: input.deletion_protection_enabled,
        })
    }
}

/// The table as the update leaves it, worked out before anything changes.
struct Plan {
    billing: BillingMode,
    throughput: Throughput,
    /// Every attribute definition, the new ones included.
    defs: BTreeMap<String, ScalarType>,
    creates: Vec<IndexDefinition>,
    deletes: Vec<String>,
    gsi_throughput: Vec<(String, Throughput)>,
    stream: Option<ViewType>,
    table_class: Option<String>,
    deletion_protection: Option<bool>,
}

impl UpdateTable {
    fn plan(self, t: &Table) -> Result<Plan> {
        let billing = self.billing_mode.unwrap_or(t.def.billing_mode);
        let throughput = self.new_throughput(t, billing)?;
        let mut defs: BTreeMap<String, ScalarType> =
            t.def.attribute_definitions.iter().cloned().collect();
        for (n, ty) in attribute_definitions(self.attribute_definitions.as_deref().unwrap_or(&[]))?
        {
            if defs.get(&n).is_some_and(|existing| *existing != ty) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Cannot change the type of an existing attribute: {n}"
                )));
            }
            defs.insert(n, ty);
        }
        let (creates, deletes, gsi_throughput) = match &self.gsi_updates {
            Some(updates) => gsi_changes(t, updates, &defs, billing, &self.name)?,
            None => Default::default(),
        };
        // A stream change goes alone: not with a throughput change, nor with an index created
        // or deleted (the service's texts, probed live in 2026).
        let stream_changes = self
            .stream_specification
            .as_ref()
            .is_some_and(|s| (s.stream_enabled == Some(true)) != t.def.stream.is_some());
        if stream_changes && throughput != t.def.throughput && billing == t.def.billing_mode {
            return Err(DynamoError::invalid_parameter(
                "You cannot modify stream status while updating table IOPS",
            ));
        }
        if stream_changes && !(creates.is_empty() && deletes.is_empty()) {
            return Err(DynamoError::invalid_parameter(
                "You cannot create or delete index while changing stream status",
            ));
        }
        // Switching to provisioned needs throughput for every remaining GSI.
        if billing == BillingMode::Provisioned && t.def.billing_mode == BillingMode::PayPerRequest {
            for g in &t.def.gsis {
                if !deletes.contains(&g.name) && !gsi_throughput.iter().any(|(n, _)| n == &g.name) {
                    return Err(DynamoError::invalid_parameter(format!(
                        "ProvisionedThroughput must be specified for index: {}",
                        g.name
                    )));
                }
            }
        }
        Ok(Plan {
            stream: new_stream(t, self.stream_specification.as_ref())?,
            billing,
            throughput,
            defs,
            creates,
            deletes,
            gsi_throughput,
            table_class: self.table_class,
            deletion_protection: self.deletion_protection,
        })
    }

    /// The table's throughput after the update, as the billing mode allows.
    fn new_throughput(&self, t: &Table, billing: BillingMode) -> Result<Throughput> {
        match (billing, &self.provisioned_throughput) {
            (BillingMode::PayPerRequest, Some(_)) => Err(DynamoError::invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            )),
            (BillingMode::Provisioned, None) if t.def.billing_mode == BillingMode::PayPerRequest => {
                Err(DynamoError::invalid_parameter(
                    "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
                ))
            }
            (BillingMode::Provisioned, Some(tp)) => {
                let requested = typed_throughput(tp);
                if requested == t.def.throughput
                    && t.def.billing_mode == BillingMode::Provisioned
                    && self.gsi_updates.is_none()
                    && self.billing_mode.is_none()
                {
                    return Err(DynamoError::validation(format!(
                        "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                        t.def.throughput.read, requested.read, t.def.throughput.write, requested.write
                    )));
                }
                Ok(requested)
            }
            (BillingMode::PayPerRequest, None) => Ok(Throughput { read: 0, write: 0 }),
            (BillingMode::Provisioned, None) => Ok(t.def.throughput),
        }
    }
}

type GsiChanges = (Vec<IndexDefinition>, Vec<String>, Vec<(String, Throughput)>);

/// The GSIs to create, to delete and to re-provision: at most one create or delete per call,
/// as DynamoDB allows.
fn gsi_changes(
    t: &Table,
    updates: &[GsiUpdateW],
    defs: &BTreeMap<String, ScalarType>,
    billing: BillingMode,
    table: &str,
) -> Result<GsiChanges> {
    let (mut creates, mut deletes, mut throughput) = (Vec::new(), Vec::new(), Vec::new());
    let index_not_found = |name: &str| {
        DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!(
                "Requested resource not found: Requested index {name} not found for table {table}"
            ),
        )
    };
    for u in updates {
        let name = |x: &IndexW| Constraints::new().finish(x.index_name.clone());
        match (&u.create, &u.update, &u.delete) {
            (Some(cr), None, None) => {
                let name = name(cr)?;
                if t.def.index(&name).is_some() || creates.iter().any(|i: &IndexDefinition| i.name == name) {
                    return Err(DynamoError::invalid_parameter(format!(
                        "Attempting to create an index which already exists: {name}"
                    )));
                }
                creates.push(gsi_definition(cr, defs, billing)?);
            }
            (None, None, Some(d)) => {
                let name = name(d)?;
                if !t.def.gsis.iter().any(|g| g.name == name) {
                    return Err(index_not_found(&name));
                }
                deletes.push(name);
            }
            (None, Some(up), None) => {
                let name = name(up)?;
                if !t.def.gsis.iter().any(|g| g.name == name) {
                    if throughput_bounds(up.provisioned_throughput.as_ref()).is_err() {
                        return Err(DynamoError::validation(
                            "This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate",
                        ));
                    }
                    return Err(index_not_found(&name));
                }
                if billing == BillingMode::PayPerRequest {
                    return Err(DynamoError::invalid_parameter(
                        "ProvisionedThroughput cannot be specified for index when BillingMode is PAY_PER_REQUEST",
                    ));
                }
                let tp = Constraints::new().finish(up.provisioned_throughput.as_ref())?;
                throughput.push((name, typed_throughput(tp)));
            }
            _ => {
                return Err(DynamoError::invalid_parameter(
                    "One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update, or GlobalSecondaryIndexUpdate.Delete must be specified",
                ))
            }
        }
    }
    if creates.len() + deletes.len() > 1 {
        return Err(DynamoError::new(
            crate::error::ErrorKind::LimitExceeded,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    if t.def.gsis.len() + creates.len() > MAX_GSIS {
        return Err(too_many_gsis());
    }
    Ok((creates, deletes, throughput))
}

/// The stream after the update: enabling needs a view type and no stream yet, disabling a
/// stream to disable and no view type (the texts are the service's, probed live in 2026; see
/// docs/known-differences.md).
fn new_stream(t: &Table, s: Option<&StreamSpecificationW>) -> Result<Option<ViewType>> {
    let Some(s) = s else {
        return Ok(t.def.stream);
    };
    let view = s.stream_view_type.as_deref().and_then(ViewType::parse);
    if s.stream_enabled == Some(true) {
        let Some(view) = view else {
            return Err(DynamoError::invalid_parameter(
                "If stream is being enabled then UpdateViewType is required",
            ));
        };
        if t.def.stream.is_some() {
            return Err(DynamoError::validation(format!(
                "Table already has an enabled stream: TableName: {}",
                t.def.name
            )));
        }
        return Ok(Some(view));
    }
    if s.stream_view_type.is_some() {
        return Err(DynamoError::invalid_parameter(
            "If stream is being disabled, then UpdateViewType must not be specified",
        ));
    }
    if t.def.stream.is_none() {
        return Err(DynamoError::validation(format!(
            "Table has no stream to disable: TableName: {}",
            t.def.name
        )));
    }
    Ok(None)
}

/// Checks the new throughput of the table and of every index it will have against the quotas,
/// and moves the table's account reservation to it.
fn reserve(engine: &Engine, t: &Table, plan: &Plan) -> Result<()> {
    let region = region_of_arn(&t.def.arn).to_string();
    let quotas = &engine.options.quotas;
    if plan.billing == BillingMode::Provisioned {
        quotas.check_table(&region, reserved(plan.throughput), None)?;
    }
    let mut future: Vec<IndexDefinition> = t
        .def
        .gsis
        .iter()
        .filter(|g| !plan.deletes.contains(&g.name))
        .cloned()
        .collect();
    for g in &mut future {
        if let Some((_, tp)) = plan.gsi_throughput.iter().find(|(n, _)| n == &g.name) {
            g.throughput = Some(*tp);
        }
    }
    future.extend(plan.creates.iter().cloned());
    for g in &future {
        if let (BillingMode::Provisioned, Some(tp)) = (plan.billing, g.throughput) {
            quotas.check_table(&region, reserved(tp), Some(&g.name))?;
        }
    }
    engine.reservations.reserve(
        quotas,
        &region,
        &t.def.id,
        table_reservation(plan.billing, plan.throughput, &future),
    )
}

/// Applies the plan: throughput and billing (with the dates DescribeTable reports), attribute
/// definitions, stream, class, protection, GSIs (new ones backfilled), partitions and buckets.
fn apply(t: &mut Table, plan: Plan, now: Duration) {
    if plan.throughput.read > t.def.throughput.read
        || plan.throughput.write > t.def.throughput.write
    {
        t.def.last_increase = Some(now);
    }
    if (plan.throughput.read < t.def.throughput.read
        || plan.throughput.write < t.def.throughput.write)
        && t.def.billing_mode == BillingMode::Provisioned
        && plan.billing == BillingMode::Provisioned
    {
        t.def.last_decrease = Some(now);
        t.def.decreases_today += 1;
    }
    if plan.billing != t.def.billing_mode {
        t.def.billing_mode_changed_at = Some(now);
    }
    t.def.billing_mode = plan.billing;
    t.def.throughput = plan.throughput;
    for (n, ty) in &plan.defs {
        if !t.def.attribute_definitions.iter().any(|(o, _)| o == n) {
            t.def.attribute_definitions.push((n.clone(), *ty));
        }
    }
    t.def.stream = plan.stream;
    t.apply_stream(now);
    if let Some(class) = plan.table_class {
        t.def.table_class = class;
    }
    if let Some(p) = plan.deletion_protection {
        t.def.deletion_protection = p;
    }
    for (n, tp) in plan.gsi_throughput {
        if let Some(g) = t.def.gsis.iter_mut().find(|g| g.name == n) {
            g.throughput = Some(tp);
        }
    }
    if plan.billing == BillingMode::PayPerRequest {
        for g in &mut t.def.gsis {
            g.throughput = None;
        }
    }
    for name in &plan.deletes {
        t.drop_index(name);
    }
    for idx in plan.creates {
        t.add_index(idx);
    }
    // Partitions and buckets follow the throughput, and the indexes created, deleted and
    // re-provisioned.
    t.apply_throughput(now);
    // Attribute definitions only keep attributes some key uses.
    let used: HashSet<String> = t
        .def
        .schema
        .names()
        .chain(t.def.gsis.iter().flat_map(|g| g.schema.names()))
        .chain(t.def.lsis.iter().flat_map(|g| g.schema.names()))
        .map(str::to_string)
        .collect();
    t.def
        .attribute_definitions
        .retain(|(n, _)| used.contains(n));
}

impl Command for UpdateTable {
    type Input = UpdateTableInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<UpdateTableInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let engine = ctx.engine;
        let table = control_table(engine, &self.name)?;
        let now = engine.clock.now();
        let mut t = table.write();
        if let Some(e) = in_use(t.status(now), &self.name) {
            return Err(e);
        }
        let plan = self.plan(&t)?;
        reserve(engine, &t, &plan)?;
        apply(&mut t, plan, now);
        let delay = engine.options.transient_status_delay;
        if !delay.is_zero() {
            t.def.transient_until = Some((TableStatus::Updating, now + delay));
        }
        t.journal_definition(now);
        Ok(json!({ "TableDescription": describe(&t, now) }))
    }
}
