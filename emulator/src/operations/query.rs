//! Query: the items of one partition-key value, in sort-key order (forward or backward), from
//! the table or an index, a page at a time.
//!
//! Storage is ordered (partition-key hash, partition key, sort key), so a page seeks in
//! O(log n) and walks only its own items.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.html>.

use super::command::{json, Command, Context};
use super::key_condition::{
    atom, build_key_condition, check_atoms, check_parts, composite_key_condition, expression_parts,
    flatten_and, kce_error, legacy_key_condition, legacy_parts, max_conditions, Atom, KeyCondition,
    SortCondition,
};
use super::metered::read_range;
use super::query_page::{
    bounds_valid, check_projected, empty_page, filter_and_projection, find_index, is_global,
    output, resolve_select, run_page, start_key, start_key_size, Common, ReadPlan, Reader,
};
use super::validate::{
    check_key_paths, legacy_operators, placeholder_maps, start_key_values, ExpressionParams,
    WireMap,
};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{
    self, attributes_to_get_projection, filter_to_condition, Condition, LegacyCondition,
    Placeholders, Projection,
};
use crate::storage::definition::IndexDefinition;
use crate::storage::{IndexTie, KeyValue, StoredKey};
use crate::table::catalog::expire_before_read;
use crate::table::Table;
use crate::value::Item;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::ops::Bound;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct QueryInput {
    table_name: Option<String>,
    index_name: Option<String>,
    key_condition_expression: Option<String>,
    key_conditions: Option<HashMap<String, LegacyCondition>>,
    filter_expression: Option<String>,
    query_filter: Option<HashMap<String, LegacyCondition>>,
    conditional_operator: Option<String>,
    projection_expression: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    select: Option<String>,
    scan_index_forward: Option<bool>,
    limit: Option<i64>,
    exclusive_start_key: Option<WireMap>,
    consistent_read: Option<bool>,
    return_consumed_capacity: Option<String>,
}

/// The key condition as the request gave it: checked against the schema once the table (or
/// index) is known.
enum KeyConditions {
    Expression(Vec<Atom>),
    Legacy(HashMap<String, LegacyCondition>),
}

/// A validated Query: everything that does not need the table.
pub(super) struct Query {
    table: String,
    index: Option<String>,
    key: KeyConditions,
    filter: Option<Condition>,
    projection: Option<Projection>,
    select: Option<String>,
    /// `AttributesToGet` or `ProjectionExpression`, for Select's error messages.
    projection_member: &'static str,
    /// `QueryFilter` or `Filter Expression`, for the key-attribute-in-filter message; `None`
    /// for a PartiQL WHERE, which may name key attributes.
    filter_member: Option<&'static str>,
    forward: bool,
    limit: Option<usize>,
    exclusive_start_key: Option<Item>,
    consistent: bool,
    return_consumed_capacity: Option<String>,
}

impl TryFrom<QueryInput> for Query {
    type Error = DynamoError;

    fn try_from(input: QueryInput) -> Result<Self> {
        let mut c = Constraints::new();
        Common {
            table_name: input.table_name.as_deref(),
            index_name: input.index_name.as_deref(),
            select: input.select.as_deref(),
            limit: input.limit,
            conditional_operator: input.conditional_operator.as_deref(),
            return_consumed_capacity: input.return_consumed_capacity.as_deref(),
            attributes_to_get: input.attributes_to_get.as_ref(),
        }
        .constraints(&mut c);
        legacy_operators(&mut c, "queryFilter", input.query_filter.as_ref());
        legacy_operators(&mut c, "keyConditions", input.key_conditions.as_ref());
        let table = c.finish(input.table_name)?;
        // Then the service's order (dynalite's suite, recorded against it): expression versus
        // legacy parameters; QueryFilter; AttributesToGet; the ExclusiveStartKey's values; a
        // key condition at all; the placeholders; the expressions; KeyConditions.
        ExpressionParams {
            expressions: &[
                (
                    "ProjectionExpression",
                    input.projection_expression.is_some(),
                ),
                ("FilterExpression", input.filter_expression.is_some()),
                (
                    "KeyConditionExpression",
                    input.key_condition_expression.is_some(),
                ),
            ],
            legacy: &[
                ("AttributesToGet", input.attributes_to_get.is_some()),
                ("QueryFilter", input.query_filter.is_some()),
                ("ConditionalOperator", input.conditional_operator.is_some()),
                ("KeyConditions", input.key_conditions.is_some()),
            ],
            names: input.expression_attribute_names.is_some(),
            values: input.expression_attribute_values.is_some(),
        }
        .check()?;
        let legacy_filter = input
            .query_filter
            .as_ref()
            .map(|f| filter_to_condition(f, input.conditional_operator.as_deref()))
            .transpose()?;
        let legacy_projection = input
            .attributes_to_get
            .as_deref()
            .map(attributes_to_get_projection)
            .transpose()?;
        let exclusive_start_key = start_key_values(input.exclusive_start_key)?;
        if input.key_condition_expression.is_none() && input.key_conditions.is_none() {
            return Err(DynamoError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ));
        }
        let values = placeholder_maps(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values,
            false,
        )?;
        let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let key_condition = input
            .key_condition_expression
            .as_deref()
            .map(|t| expression::parse_condition(t, &mut p, "KeyConditionExpression"))
            .transpose()?;
        let (filter, projection) = filter_and_projection(
            &mut p,
            input.filter_expression.as_deref(),
            legacy_filter,
            input.projection_expression.as_deref(),
            legacy_projection,
        )?;
        if let Some(k) = &input.key_conditions {
            if input.key_condition_expression.is_none() {
                // The legacy conditions' own checks (values, argument counts and types),
                // then their number.
                filter_to_condition(k, None)?;
                if !(1..=max_conditions(input.index_name.as_deref())).contains(&k.len()) {
                    return Err(DynamoError::validation(
                        "Conditions can be of length 1 or 2 only",
                    ));
                }
            }
        }
        let mut atoms = Vec::new();
        if let Some(kc) = key_condition {
            flatten_and(kc, &mut atoms)?;
        }
        let atoms = atoms.into_iter().map(atom).collect::<Result<Vec<_>>>()?;
        check_atoms(&atoms, max_conditions(input.index_name.as_deref()))?;
        Ok(Query {
            table,
            index: input.index_name,
            key: match input.key_conditions {
                Some(k) => KeyConditions::Legacy(k),
                None => KeyConditions::Expression(atoms),
            },
            filter,
            projection,
            select: input.select,
            projection_member: if input.attributes_to_get.is_some() {
                "AttributesToGet"
            } else {
                "ProjectionExpression"
            },
            filter_member: Some(if input.query_filter.is_some() {
                "QueryFilter"
            } else {
                "Filter Expression"
            }),
            forward: input.scan_index_forward.unwrap_or(true),
            limit: input.limit.map(|l| l as usize),
            exclusive_start_key,
            consistent: input.consistent_read.unwrap_or(false),
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

/// What a PartiQL SELECT planned as a Query asks for.
pub(super) struct QueryPlan {
    pub table: String,
    pub index: Option<String>,
    /// The key condition: an equality on the partition key, and at most one sort-key condition.
    pub key_condition: Condition,
    /// The whole WHERE clause (it may name key attributes).
    pub filter: Option<Condition>,
    pub projection: Option<Projection>,
    pub forward: bool,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<Item>,
    pub consistent: bool,
    pub return_consumed_capacity: Option<String>,
}

impl Query {
    /// The Query a PartiQL SELECT stands for.
    pub(super) fn planned(plan: QueryPlan) -> Result<Query> {
        let mut atoms = Vec::new();
        flatten_and(plan.key_condition, &mut atoms)?;
        let atoms = atoms.into_iter().map(atom).collect::<Result<Vec<_>>>()?;
        check_atoms(&atoms, max_conditions(plan.index.as_deref()))?;
        Ok(Query {
            table: plan.table,
            index: plan.index,
            key: KeyConditions::Expression(atoms),
            filter: plan.filter,
            projection: plan.projection,
            select: None,
            projection_member: "ProjectionExpression",
            filter_member: None,
            forward: plan.forward,
            limit: plan.limit,
            exclusive_start_key: plan.exclusive_start_key,
            consistent: plan.consistent,
            return_consumed_capacity: plan.return_consumed_capacity,
        })
    }
}

/// A Query resolved against its table: the index, the key condition on its schema, where the
/// page starts, and how to cut it.
struct Resolved<'t> {
    index: Option<&'t IndexDefinition>,
    key: KeyCondition,
    start: Option<(StoredKey, Option<StoredKey>)>,
    plan: ReadPlan,
}

impl Query {
    /// The checks that need the table, in DynamoDB's order: the index, the key condition
    /// against its schema, the filter (no key attributes), Select and the projection, the
    /// ExclusiveStartKey (inside the key condition's range).
    fn resolve<'t>(self, t: &'t Table) -> Result<Resolved<'t>> {
        let index = find_index(t, self.index.as_deref(), self.consistent)?;
        let schema = index.map(|i| &i.schema).unwrap_or(&t.def.schema);
        // The service's order (dynalite's suite, recorded against it): the start key's size;
        // each key attribute's start value and condition; the rest of the key condition; the
        // start key's table key and whether it lies inside the condition; the filter; Select
        // and the projection.
        let parts = match &self.key {
            KeyConditions::Legacy(k) => legacy_parts(k)?,
            KeyConditions::Expression(atoms) => expression_parts(atoms),
        };
        if let Some(esk) = &self.exclusive_start_key {
            start_key_size(esk, t, index, Reader::Query)?;
        }
        let kc = if schema.is_composite() {
            composite_key_condition(&parts, schema, self.exclusive_start_key.as_ref())?
        } else {
            if parts.len() > 2 {
                return Err(kce_error("Conditions can be of length 1 or 2 only"));
            }
            check_parts(&parts, schema, self.exclusive_start_key.as_ref())?;
            match self.key {
                KeyConditions::Legacy(k) => legacy_key_condition(&k, schema)?,
                KeyConditions::Expression(atoms) => build_key_condition(atoms, schema)?,
            }
        };
        let start = start_key(self.exclusive_start_key, t, index)?;
        if let Some((tk, ik)) = &start {
            let start_hash = ik.as_ref().map(|k| &k.hash).unwrap_or(&tk.hash);
            let start_range = ik.as_ref().map(|k| &k.range).unwrap_or(&tk.range);
            match (&kc.sort, start_range) {
                (Some(s), Some(r)) => {
                    if !s.matches(r) {
                        return Err(DynamoError::validation(
                            "The provided starting key does not match the range key predicate",
                        ));
                    }
                    if *start_hash != kc.hash {
                        return Err(DynamoError::validation(
                            "The query can return at most one row and cannot be restarted",
                        ));
                    }
                }
                _ => {
                    if *start_hash != kc.hash {
                        return Err(DynamoError::validation(
                            "The provided starting key is outside query boundaries based on provided conditions",
                        ));
                    }
                }
            }
        }
        if let Some(p) = &self.projection {
            check_key_paths(t, &p.paths)?;
        }
        let checked = self
            .filter
            .as_ref()
            .filter(|_| self.filter_member.is_some());
        for path in checked.iter().flat_map(|f| f.paths()) {
            let top = path.top();
            if schema.is_key_attribute(top) || t.def.schema.is_key_attribute(top) && index.is_none()
            {
                return Err(DynamoError::validation(format!(
                    "{} can only contain non-primary key attributes: Primary key attribute: {top}",
                    self.filter_member.unwrap_or_default()
                )));
            }
        }
        let select = resolve_select(
            self.select.as_deref(),
            self.projection.is_some(),
            self.projection_member,
            index,
            index.is_some_and(|i| is_global(t, i)),
            true,
        )?;
        check_projected(t, index, self.projection.as_ref())?;
        if let Some(f) = &self.filter {
            check_key_paths(t, f.paths())?;
        }
        // DynamoDB Local does this for `<=`, `>=` and BETWEEN bounds, not for `=` or
        // begins_with (probed: `sk = :k` with Limit 1 still answers a LastEvaluatedKey).
        let end = match (index, &kc.sort, &t.def.schema.range) {
            (None, Some(SortCondition::Eq(_) | SortCondition::BeginsWith(_)), _) => None,
            (None, Some(sort), Some(range)) => {
                match if self.forward {
                    sort.upper()
                } else {
                    sort.lower()
                } {
                    Bound::Included(v) => Some((range.name.clone(), v.to_attribute())),
                    _ => None,
                }
            }
            _ => None,
        };
        Ok(Resolved {
            index,
            key: kc,
            start,
            plan: ReadPlan {
                single_item: index.is_none() && t.def.schema.range.is_none(),
                end,
                filter: self.filter,
                projection: self.projection,
                select,
                limit: self.limit,
                consistent: self.consistent,
                forward: self.forward,
            },
        })
    }
}

impl Command for Query {
    type Input = QueryInput;
    type Output = Box<RawValue>;

    fn parse(body: &[u8]) -> Result<QueryInput> {
        json(body)
    }

    fn execute(mut self, ctx: &mut Context<'_>) -> Result<Box<RawValue>> {
        let table = ctx.active_table(&self.table)?;
        let now = ctx.engine.clock.now();
        expire_before_read(&table, now);
        let t = table.read();
        // `resolve` consumes the rest of the command; the response needs these two.
        let name = std::mem::take(&mut self.table);
        let rcc = self.return_consumed_capacity.take();
        let r = self.resolve(&t)?;
        let gsi = r.index.is_some_and(|i| is_global(&t, i));
        let view = t.read_view(r.plan.consistent, gsi, now);
        ctx.observe(view.info.clone());
        let token = r.key.hash.stable_hash();
        let index_name = r.index.map(|i| i.name.as_str());
        let page = read_range(
            ctx.operation,
            &t,
            index_name,
            token,
            r.plan.consistent,
            now,
            || read_partition(&t, &view, &r, token, now),
        )?;
        output(
            page,
            r.plan.select,
            &name,
            index_name.map(|n| (n, gsi)),
            r.plan.consistent,
            rcc.as_deref(),
        )
    }
}

/// Reads one page of the partition `r.key` names, through `view`.
fn read_partition<'t>(
    t: &'t Table,
    view: &crate::replication::ReadView,
    r: &Resolved<'t>,
    token: u64,
    now: std::time::Duration,
) -> super::query_page::PageResult<'t> {
    let kc = &r.key;
    let forward = r.plan.forward;
    let key_at = |range: Bound<KeyValue>, low: bool| -> Bound<StoredKey> {
        let mk = |r: Option<KeyValue>| StoredKey {
            token,
            hash: kc.hash.clone(),
            range: r,
        };
        match range {
            Bound::Included(v) => Bound::Included(mk(Some(v))),
            Bound::Excluded(v) => Bound::Excluded(mk(Some(v))),
            Bound::Unbounded => {
                if low {
                    Bound::Included(mk(None))
                } else {
                    Bound::Included(mk(Some(KeyValue::Max)))
                }
            }
        }
    };
    let (mut lo, mut hi) = match &kc.sort {
        Some(s) => (key_at(s.lower(), true), key_at(s.upper(), false)),
        None => (
            key_at(Bound::Unbounded, true),
            key_at(Bound::Unbounded, false),
        ),
    };
    let sort_ok = |k: &StoredKey| {
        kc.sort
            .as_ref()
            .is_none_or(|s| k.range.as_ref().is_some_and(|r| s.matches(r)))
    };
    match r.index {
        None => {
            if let Some((tk, _)) = &r.start {
                if forward {
                    lo = Bound::Excluded(tk.clone());
                } else {
                    hi = Bound::Excluded(tk.clone());
                }
            }
            if !bounds_valid(&lo, &hi) {
                return empty_page();
            }
            let range = t.range_in(view, lo, hi, !forward, now);
            run_page(
                range
                    .filter(|f| kc.sort.is_none() || sort_ok(&f.key()))
                    .map(|f| f.item),
                t,
                None,
                &r.plan,
            )
        }
        Some(idx) => {
            let mut lo_e = match lo {
                Bound::Included(k) => Bound::Included((k, IndexTie::min())),
                Bound::Excluded(k) => Bound::Excluded((k, IndexTie::max())),
                Bound::Unbounded => Bound::Unbounded,
            };
            let mut hi_e = match hi {
                Bound::Included(k) => Bound::Included((k, IndexTie::max())),
                Bound::Excluded(k) => Bound::Excluded((k, IndexTie::min())),
                Bound::Unbounded => Bound::Unbounded,
            };
            if let Some((tk, Some(ik))) = &r.start {
                if forward {
                    lo_e = Bound::Excluded((ik.clone(), IndexTie::of(tk.clone())));
                } else {
                    hi_e = Bound::Excluded((ik.clone(), IndexTie::of(tk.clone())));
                }
            }
            if !bounds_valid(&lo_e, &hi_e) {
                return empty_page();
            }
            let range = t.index_range_in(view, idx, lo_e, hi_e, !forward, now);
            run_page(
                range.filter(|(ik, _)| sort_ok(ik)).map(|(_, v)| v),
                t,
                Some(idx),
                &r.plan,
            )
        }
    }
}
