//! Scan: every item of a table or index, in partition-hash order, a page at a time; parallel
//! scans split the hash space into `TotalSegments` contiguous ranges.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html>.

use super::command::{json, Command, Context};
use super::metered::read_range;
use super::query_page::{
    check_projected, filter_and_projection, find_index, is_global, output, resolve_select,
    run_page, start_key, start_key_piece, start_key_size, Common, PageResult, ReadPlan, Reader,
};
use super::validate::{
    check_key_paths, legacy_operators, placeholder_maps, start_key_values, ExpressionParams,
    WireMap,
};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{
    attributes_to_get_projection, filter_to_condition, Condition, LegacyCondition, Placeholders,
    Projection,
};
use crate::replication::ReadView;
use crate::storage::IndexDefinition;
use crate::storage::{IndexTie, StoredKey};
use crate::table::catalog::expire_before_read;
use crate::table::Table;
use crate::value::Item;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::ops::Bound;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ScanInput {
    table_name: Option<String>,
    index_name: Option<String>,
    filter_expression: Option<String>,
    scan_filter: Option<HashMap<String, LegacyCondition>>,
    conditional_operator: Option<String>,
    projection_expression: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    select: Option<String>,
    limit: Option<i64>,
    exclusive_start_key: Option<WireMap>,
    consistent_read: Option<bool>,
    segment: Option<i64>,
    total_segments: Option<i64>,
    return_consumed_capacity: Option<String>,
}

/// A validated Scan.
pub(super) struct Scan {
    table: String,
    index: Option<String>,
    /// (Segment, TotalSegments) of a parallel scan.
    segments: Option<(u64, u64)>,
    filter: Option<Condition>,
    projection: Option<Projection>,
    select: Option<String>,
    projection_member: &'static str,
    limit: Option<usize>,
    exclusive_start_key: Option<Item>,
    consistent: bool,
    return_consumed_capacity: Option<String>,
}

impl Scan {
    /// The Scan a PartiQL SELECT without a partition-key condition stands for.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn planned(
        table: String,
        index: Option<String>,
        filter: Option<Condition>,
        projection: Option<Projection>,
        limit: Option<usize>,
        exclusive_start_key: Option<Item>,
        consistent: bool,
        return_consumed_capacity: Option<String>,
    ) -> Scan {
        Scan {
            table,
            index,
            segments: None,
            filter,
            projection,
            select: None,
            projection_member: "ProjectionExpression",
            limit,
            exclusive_start_key,
            consistent,
            return_consumed_capacity,
        }
    }
}

/// Segment and TotalSegments: their ranges, then that they come together and in order.
fn segments(c: &mut Constraints, segment: Option<i64>, total: Option<i64>) {
    if let Some(s) = segment {
        if s < 0 {
            c.add(
                format!("'{s}'"),
                "segment",
                "Member must have value greater than or equal to 0",
            );
        } else if s > 999_999 {
            c.add(
                format!("'{s}'"),
                "segment",
                "Member must have value less than or equal to 999999",
            );
        }
    }
    if let Some(s) = total {
        if s < 1 {
            c.add(
                format!("'{s}'"),
                "totalSegments",
                "Member must have value greater than or equal to 1",
            );
        } else if s > 1_000_000 {
            c.add(
                format!("'{s}'"),
                "totalSegments",
                "Member must have value less than or equal to 1000000",
            );
        }
    }
}

fn segment_pair(segment: Option<i64>, total: Option<i64>) -> Result<Option<(u64, u64)>> {
    match (segment, total) {
        (Some(s), Some(n)) => {
            if s >= n {
                return Err(DynamoError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {n}"
                )));
            }
            Ok(Some((s as u64, n as u64)))
        }
        (Some(_), None) => Err(DynamoError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(DynamoError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (None, None) => Ok(None),
    }
}

impl TryFrom<ScanInput> for Scan {
    type Error = DynamoError;

    fn try_from(input: ScanInput) -> Result<Self> {
        let mut c = Constraints::new();
        Common {
            table_name: input.table_name.as_deref(),
            index_name: input.index_name.as_deref(),
            select: input.select.as_deref(),
            limit: input.limit,
            conditional_operator: input.conditional_operator.as_deref(),
            return_consumed_capacity: input.return_consumed_capacity.as_deref(),
            // Checked last: the service reports it after the others, so it is the one its
            // ten-error limit drops first (dynalite's suite, recorded against it).
            attributes_to_get: None,
        }
        .constraints(&mut c);
        legacy_operators(&mut c, "scanFilter", input.scan_filter.as_ref());
        segments(&mut c, input.segment, input.total_segments);
        if input.attributes_to_get.as_ref().is_some_and(Vec::is_empty) {
            c.add(
                "[]",
                "attributesToGet",
                "Member must have length greater than or equal to 1",
            );
        }
        let table = c.finish(input.table_name)?;
        // Then the service's order (dynalite's suite, recorded against it): expression versus
        // legacy parameters; AttributesToGet; ScanFilter; the ExclusiveStartKey's values;
        // Segment with TotalSegments; the placeholders; the expressions.
        ExpressionParams {
            expressions: &[
                (
                    "ProjectionExpression",
                    input.projection_expression.is_some(),
                ),
                ("FilterExpression", input.filter_expression.is_some()),
            ],
            legacy: &[
                ("AttributesToGet", input.attributes_to_get.is_some()),
                ("ScanFilter", input.scan_filter.is_some()),
                ("ConditionalOperator", input.conditional_operator.is_some()),
            ],
            names: input.expression_attribute_names.is_some(),
            values: input.expression_attribute_values.is_some(),
        }
        .check()?;
        let legacy_projection = input
            .attributes_to_get
            .as_deref()
            .map(attributes_to_get_projection)
            .transpose()?;
        let legacy_filter = input
            .scan_filter
            .as_ref()
            .map(|f| filter_to_condition(f, input.conditional_operator.as_deref()))
            .transpose()?;
        let exclusive_start_key = start_key_values(input.exclusive_start_key)?;
        let segments = segment_pair(input.segment, input.total_segments)?;
        let values = placeholder_maps(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values,
            false,
        )?;
        let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let (filter, projection) = filter_and_projection(
            &mut p,
            input.filter_expression.as_deref(),
            legacy_filter,
            input.projection_expression.as_deref(),
            legacy_projection,
        )?;
        Ok(Scan {
            table,
            index: input.index_name,
            segments,
            filter,
            projection,
            select: input.select,
            projection_member: if input.attributes_to_get.is_some() {
                "AttributesToGet"
            } else {
                "ProjectionExpression"
            },
            limit: input.limit.map(|l| l as usize),
            exclusive_start_key,
            consistent: input.consistent_read.unwrap_or(false),
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

impl Command for Scan {
    type Input = ScanInput;
    type Output = Box<RawValue>;

    fn parse(body: &[u8]) -> Result<ScanInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Box<RawValue>> {
        let table = ctx.active_table(&self.table)?;
        let now = ctx.engine.clock.now();
        expire_before_read(&table, now);
        let t = table.read();
        let index = find_index(&t, self.index.as_deref(), self.consistent)?;
        // The service's order (dynalite's suite, recorded against it): the start key's size
        // and the index's key attributes in it, Select, the table's key in it.
        if let Some(esk) = &self.exclusive_start_key {
            start_key_size(esk, &t, index, Reader::Scan)?;
            for (attr, role) in index.iter().flat_map(|i| i.schema.parts()) {
                start_key_piece(esk, attr, role)?;
            }
        }
        let select = resolve_select(
            self.select.as_deref(),
            self.projection.is_some(),
            self.projection_member,
            index,
            index.is_some_and(|i| is_global(&t, i)),
            false,
        )?;
        check_projected(&t, index, self.projection.as_ref())?;
        let start = start_key(self.exclusive_start_key, &t, index)?;
        if let Some(p) = &self.projection {
            check_key_paths(&t, &p.paths)?;
        }
        if let Some(f) = &self.filter {
            check_key_paths(&t, f.paths())?;
        }
        let plan = ReadPlan {
            single_item: false,
            end: None,
            filter: self.filter,
            projection: self.projection,
            select,
            limit: self.limit,
            consistent: self.consistent,
            forward: true,
        };
        // A segment is a contiguous range of the partition-key hash space. Up to 4,096
        // segments, the service cuts it on the hash's first 12 bits, segment `i` starting at
        // bucket ceil(4096 i / n) (dynalite's suite, recorded against it, puts known keys in
        // known segments); past that, evenly.
        let (tok_lo, tok_hi) = match self.segments {
            Some((s, n)) => {
                let bound = |i: u64| {
                    if n <= 4096 {
                        ((4096 * i).div_ceil(n) as u128) << 52
                    } else {
                        ((i as u128) << 64) / n as u128
                    }
                };
                let hi = (s + 1 < n).then(|| bound(s + 1) as u64);
                (bound(s) as u64, hi)
            }
            None => (0, None),
        };
        let index_name = index.map(|i| i.name.as_str());
        let op = ctx.operation;
        let page = read_range(op, &t, index_name, tok_lo, plan.consistent, now, || {
            let view = t.read_view(
                plan.consistent,
                index.is_some_and(|i| is_global(&t, i)),
                now,
            );
            ctx.observe(view.info.clone());
            read_segment(&t, &view, index, start, (tok_lo, tok_hi), &plan, now)
        })?;
        output(
            page,
            plan.select,
            &self.table,
            index.map(|i| (i.name.as_str(), is_global(&t, i))),
            plan.consistent,
            self.return_consumed_capacity.as_deref(),
        )
    }
}

/// Reads one page of the segment `[lo, hi)` of the hash space, through `view`.
fn read_segment<'t>(
    t: &'t Table,
    view: &ReadView,
    index: Option<&'t IndexDefinition>,
    start: Option<(StoredKey, Option<StoredKey>)>,
    (tok_lo, tok_hi): (u64, Option<u64>),
    plan: &ReadPlan,
    now: Duration,
) -> PageResult<'t> {
    let in_segment = |k: &StoredKey| tok_hi.is_none_or(|hi| k.token < hi);
    let seg_start = StoredKey {
        token: tok_lo,
        ..StoredKey::min()
    };
    match index {
        None => {
            let lo = match start {
                Some((tk, _)) if tk.token >= tok_lo => Bound::Excluded(tk),
                _ => Bound::Included(seg_start),
            };
            let range = t.range_in(view, lo, Bound::Unbounded, false, now);
            run_page(
                range
                    .take_while(|f| tok_hi.is_none_or(|hi| f.token() < hi))
                    .map(|f| f.item),
                t,
                None,
                plan,
            )
        }
        Some(idx) => {
            let lo = match start {
                Some((tk, Some(ik))) if ik.token >= tok_lo => {
                    Bound::Excluded((ik, IndexTie::of(tk)))
                }
                _ => Bound::Included((seg_start, IndexTie::min())),
            };
            let range = t.index_range_in(view, idx, lo, Bound::Unbounded, false, now);
            run_page(
                range.take_while(|(ik, _)| in_segment(ik)).map(|(_, v)| v),
                t,
                Some(idx),
                plan,
            )
        }
    }
}
