//! What Query and Scan share: the read plan, `Select`, the ExclusiveStartKey, and the page
//! itself.
//!
//! A page stops when the items *read* (before any filter) reach 1 MB or `Limit` items have been
//! evaluated; filtered-out items still count toward both and toward `ScannedCount`.
//! `LastEvaluatedKey` is returned when more may follow, and always when `Limit` stopped the page
//! (DynamoDB does not look ahead).
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html>.

use super::validate::{check_name, enum_check, return_consumed_capacity};
use crate::capacity;
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{self, Condition, Placeholders, Projection};
use crate::storage::definition::IndexDefinition;
use crate::storage::key::{key_piece, KeyRole};
use crate::storage::{KeyAttribute, KeySchema, ProjectionType, ReadItem, StoredKey};
use crate::table::Table;
use crate::value::{item_size, page_size, AttributeValue, Item};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Bound;

/// A page holds at most this many bytes of items read.
pub(super) const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Select {
    All,
    AllProjected,
    Specific,
    Count,
}

pub(super) struct ReadPlan {
    /// A Query on a table without a sort key matches at most one item: nothing can follow it,
    /// so no LastEvaluatedKey even when Limit is reached.
    pub(super) single_item: bool,
    /// The inclusive end of a table Query's sort key range in the direction of travel: an item
    /// there is the last the range can hold, so a page that stops on it by Limit has no
    /// LastEvaluatedKey (as DynamoDB Local answers `sk BETWEEN :a AND :b` reaching `:b`, and
    /// `<=`/`>=` reaching their bound; not `=` nor begins_with).
    pub(super) end: Option<(String, AttributeValue)>,
    pub(super) filter: Option<Condition>,
    pub(super) projection: Option<Projection>,
    pub(super) select: Select,
    pub(super) limit: Option<usize>,
    pub(super) consistent: bool,
    /// Query's ScanIndexForward (a Scan reads forward).
    pub(super) forward: bool,
}

/// Checks Select against the projection parameters and the index, as DynamoDB does. Query's
/// messages carry the service's 2026 framing (`1 validation error detected: ...`) and Scan's do
/// not (moto's AWS-verified tests): `query` says which operation asks.
pub(super) fn resolve_select(
    select: Option<&str>,
    has_projection: bool,
    projection_param: &str,
    index: Option<&IndexDefinition>,
    is_gsi: bool,
    query: bool,
) -> Result<Select> {
    let framed = |e: DynamoError| if query { super::validate::framed(e) } else { e };
    let s = match select {
        None => {
            if has_projection {
                Select::Specific
            } else if index.is_some() {
                Select::AllProjected
            } else {
                Select::All
            }
        }
        Some("ALL_ATTRIBUTES") => Select::All,
        Some("ALL_PROJECTED_ATTRIBUTES") => Select::AllProjected,
        Some("SPECIFIC_ATTRIBUTES") => Select::Specific,
        _ => Select::Count,
    };
    if has_projection && s != Select::Specific {
        let what = match s {
            Select::Count => "only the Count",
            _ => select.unwrap_or_default(),
        };
        return Err(framed(DynamoError::validation(format!(
            "Cannot specify the {projection_param} when choosing to get {what}"
        ))));
    }
    if s == Select::Specific && !has_projection {
        return Err(framed(DynamoError::validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        )));
    }
    if s == Select::AllProjected && index.is_none() {
        return Err(framed(DynamoError::validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        )));
    }
    if let (Select::All, Some(idx), true) = (s, index, is_gsi) {
        if idx.projection.ty != ProjectionType::All {
            return Err(DynamoError::invalid_parameter(format!(
                "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                idx.name
            )));
        }
    }
    Ok(s)
}

/// Attributes an index holds for an item (table keys, index keys, projected attributes).
pub(super) fn index_holds(idx: &IndexDefinition, table: &KeySchema, name: &str) -> bool {
    idx.projection.ty == ProjectionType::All
        || table.is_key_attribute(name)
        || idx.schema.is_key_attribute(name)
        || idx.projection.non_key_attributes.iter().any(|n| n == name)
}

/// Which read an ExclusiveStartKey belongs to: their texts differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    Query,
    Scan,
}

/// An ExclusiveStartKey's first check, in the service's order (dynalite's suite, recorded
/// against it): as many attributes as the table's and the index's keys together. A Scan of a
/// table says more than the others.
pub(super) fn start_key_size(
    esk: &Item,
    t: &Table,
    index: Option<&IndexDefinition>,
    reader: Reader,
) -> Result<()> {
    let mut names: BTreeSet<&str> = t.def.schema.names().collect();
    if let Some(idx) = index {
        names.extend(idx.schema.names());
    }
    if esk.len() == names.len() {
        return Ok(());
    }
    Err(DynamoError::validation(
        if reader == Reader::Scan && index.is_none() {
            "The provided starting key is invalid: The provided key element does not match the schema"
        } else {
            "The provided starting key is invalid"
        },
    ))
}

/// One key attribute of the read's own key schema in an ExclusiveStartKey: present (`The
/// provided starting key is invalid`), then of its type, not empty, not too long (the key
/// texts, without the starting-key prefix).
pub(super) fn start_key_piece(esk: &Item, attr: &KeyAttribute, role: KeyRole) -> Result<()> {
    if esk.get(&attr.name).is_none() {
        return Err(DynamoError::validation(
            "The provided starting key is invalid",
        ));
    }
    key_piece(esk, attr, role).map(|_| ())
}

/// The ExclusiveStartKey as storage positions: the table's key (its errors prefixed `The
/// provided starting key is invalid: `) and, for an index, the index's.
pub(super) fn start_key(
    esk: Option<Item>,
    t: &Table,
    index: Option<&IndexDefinition>,
) -> Result<Option<(StoredKey, Option<StoredKey>)>> {
    let Some(esk) = esk else { return Ok(None) };
    let table_key = t
        .def
        .schema
        .key_from_request(&t.def.schema.key_of(&esk))
        .map_err(|e| {
            DynamoError::validation(format!(
                "The provided starting key is invalid: {}",
                e.message
            ))
        })?;
    let index_key = index
        .map(|idx| idx.schema.key_from_request(&idx.schema.key_of(&esk)))
        .transpose()?;
    Ok(Some((table_key, index_key)))
}

/// The key attributes of an evaluated item, for LastEvaluatedKey.
pub(super) fn last_key(item: &Item, t: &Table, index: Option<&IndexDefinition>) -> Item {
    let mut names: Vec<&str> = t.def.schema.names().collect();
    if let Some(idx) = index {
        names.extend(idx.schema.names());
    }
    names
        .into_iter()
        .filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone())))
        .collect()
}

pub(super) struct PageResult<'t> {
    pub(super) items: Vec<ReadItem<'t>>,
    pub(super) count: usize,
    pub(super) scanned: usize,
    pub(super) last_evaluated: Option<Item>,
    /// Bytes of what the read walked: the table's items, or the index's entries.
    pub(super) bytes_read: usize,
    /// Bytes of the table items an LSI read fetched for attributes the index does not project.
    pub(super) bytes_fetched: usize,
}

impl PageResult<'_> {
    /// What the page consumed: the walk charged to the index it read (or the table), the
    /// fetches to the table, each rounded up to 4 KB once per page (dynalite's suite records
    /// `Table: 3, LocalSecondaryIndexes: {index2: 1}` for such a page).
    pub(super) fn consumed(
        &self,
        index: Option<(&str, bool)>,
        consistent: bool,
    ) -> capacity::Consumed {
        let walked = capacity::read_units(self.bytes_read, consistent);
        // A page that fetched nothing costs the table nothing (the walk carries the minimum).
        let fetched = if self.bytes_fetched == 0 {
            0.0
        } else {
            capacity::read_units(self.bytes_fetched, consistent)
        };
        let mut c = capacity::Consumed::table(fetched);
        match index {
            None => c.table += walked,
            Some((name, true)) => {
                c.gsis.insert(name.to_string(), walked);
            }
            Some((name, false)) => {
                c.lsis.insert(name.to_string(), walked);
            }
        }
        c
    }
}

/// Walks candidate items (already in order and after the start key) and cuts one page.
pub(super) fn run_page<'t>(
    candidates: impl Iterator<Item = ReadItem<'t>>,
    t: &Table,
    index: Option<&IndexDefinition>,
    plan: &ReadPlan,
) -> PageResult<'t> {
    let mut out = PageResult {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        last_evaluated: None,
        bytes_read: 0,
        bytes_fetched: 0,
    };
    let lsi_fetch = match index {
        Some(idx) if idx.projection.ty != ProjectionType::All && !is_global(t, idx) => {
            match plan.select {
                Select::All => true,
                Select::Specific => plan.projection.as_ref().is_some_and(|p| {
                    p.top_level_names()
                        .iter()
                        .any(|n| !index_holds(idx, &t.def.schema, n))
                }),
                _ => false,
            }
        }
        _ => false,
    };
    let range_key = t.def.schema.range.as_ref().map(|r| r.name.as_str());
    let mut page_bytes = 0usize;
    for found in candidates {
        // What the index holds of the item (GSIs and KEYS_ONLY/INCLUDE LSIs).
        let projected: Option<Item> = match index {
            Some(idx) if idx.projection.ty != ProjectionType::All => {
                Some(idx.project(&found.item(), &t.def.schema))
            }
            _ => None,
        };
        let (view_size, view_page) = match &projected {
            Some(p) => (item_size(p), page_size(p, range_key)),
            None => (found.size() as usize, found.page_size(range_key) as usize),
        };
        out.bytes_read += view_size;
        page_bytes += view_page;
        out.scanned += 1;
        // An LSI read that needs attributes the index does not project fetches the table item,
        // and DynamoDB charges that read too.
        if lsi_fetch {
            out.bytes_fetched += found.size() as usize;
        }
        // The whole item is decoded only when something must look into it.
        let whole_needed =
            plan.filter.is_some() || plan.end.is_some() || plan.select == Select::Specific;
        let whole: Option<Cow<'_, Item>> = whole_needed.then(|| found.item());
        // An LSI read that needs more than the index holds fetches the table item.
        let from_table = matches!(
            (plan.select, index),
            (Select::All | Select::Specific, Some(idx))
                if idx.throughput.is_none() && !is_global(t, idx)
        );
        let source: Option<&Item> = match (&projected, &whole) {
            (Some(p), _) if !from_table => Some(p),
            (_, Some(w)) => Some(w),
            _ => None,
        };
        let passes = plan
            .filter
            .as_ref()
            .is_none_or(|f| source.is_some_and(|s| f.evaluate(s)));
        let at_end = plan
            .end
            .as_ref()
            .is_some_and(|(name, v)| whole.as_ref().and_then(|w| w.get(name)) == Some(v));
        let by_limit = plan.limit.is_some_and(|l| out.scanned >= l) && !plan.single_item && !at_end;
        // The page stops once it holds 1 MB by the service's internal measure, and says so
        // with a LastEvaluatedKey even when nothing follows (dynalite's suite, recorded
        // against the service).
        let by_size = page_bytes >= MAX_PAGE_BYTES;
        if by_limit || by_size {
            let item = match &whole {
                Some(w) => Cow::Borrowed(&**w),
                None => found.item(),
            };
            out.last_evaluated = Some(last_key(&item, t, index));
        }
        let specific = match (passes, plan.select, &plan.projection, source) {
            (true, Select::Specific, Some(p), Some(source)) => Some(p.apply(source)),
            _ => None,
        };
        drop(whole);
        if passes {
            out.count += 1;
            match plan.select {
                Select::Count => {}
                Select::Specific => out
                    .items
                    .push(ReadItem::Decoded(Cow::Owned(specific.unwrap_or_default()))),
                // ALL_ATTRIBUTES is only allowed where the source is the whole item.
                Select::All => out.items.push(found),
                Select::AllProjected => out.items.push(match projected {
                    Some(p) => ReadItem::Decoded(Cow::Owned(p)),
                    None => found,
                }),
            }
        }
        if by_limit || by_size {
            break;
        }
    }
    out
}

pub(super) fn is_global(t: &Table, idx: &IndexDefinition) -> bool {
    t.def.gsis.iter().any(|g| g.name == idx.name)
}

/// A Query or Scan response, serialised straight from borrowed items.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PageOutput<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<&'a [ReadItem<'a>]>,
    count: usize,
    scanned_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_key: Option<&'a Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Value>,
}

pub(super) fn output(
    page: PageResult<'_>,
    select: Select,
    table: &str,
    index: Option<(&str, bool)>,
    consistent: bool,
    rcc: Option<&str>,
) -> Result<Box<RawValue>> {
    let out = PageOutput {
        items: (select != Select::Count).then_some(page.items.as_slice()),
        count: page.count,
        scanned_count: page.scanned,
        last_evaluated_key: page.last_evaluated.as_ref(),
        consumed_capacity: page.consumed(index, consistent).to_json(
            table,
            rcc,
            capacity::Split::None,
        ),
    };
    let internal = |e: serde_json::Error| {
        DynamoError::new(crate::error::ErrorKind::InternalServer, e.to_string())
    };
    RawValue::from_string(serde_json::to_string(&out).map_err(internal)?).map_err(internal)
}

pub(super) struct Common<'a> {
    pub(super) table_name: Option<&'a str>,
    pub(super) index_name: Option<&'a str>,
    pub(super) select: Option<&'a str>,
    pub(super) limit: Option<i64>,
    pub(super) conditional_operator: Option<&'a str>,
    pub(super) return_consumed_capacity: Option<&'a str>,
    pub(super) attributes_to_get: Option<&'a Vec<String>>,
}

impl Common<'_> {
    pub(super) fn constraints(&self, c: &mut Constraints) {
        check_name(c, self.table_name, "tableName", true);
        check_name(c, self.index_name, "indexName", false);
        enum_check(
            c,
            self.select,
            "select",
            &[
                "SPECIFIC_ATTRIBUTES",
                "COUNT",
                "ALL_ATTRIBUTES",
                "ALL_PROJECTED_ATTRIBUTES",
            ],
        );
        enum_check(
            c,
            self.conditional_operator,
            "conditionalOperator",
            super::validate::CONDITIONAL_OPERATORS,
        );
        return_consumed_capacity(c, self.return_consumed_capacity);
        if let Some(l) = self.limit {
            if l < 1 {
                c.add(
                    format!("'{l}'"),
                    "limit",
                    "Member must have value greater than or equal to 1",
                );
            }
        }
        if let Some(a) = self.attributes_to_get {
            if a.is_empty() {
                c.add(
                    "[]",
                    "attributesToGet",
                    "Member must have length greater than or equal to 1",
                );
            }
        }
    }
}

/// Finds the index a request names, with its GSI-ness, or DynamoDB's error.
pub(super) fn find_index<'t>(
    t: &'t Table,
    name: Option<&str>,
    consistent: bool,
) -> Result<Option<&'t IndexDefinition>> {
    let Some(name) = name else { return Ok(None) };
    let idx = t.def.index(name).ok_or_else(|| {
        DynamoError::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })?;
    if consistent && is_global(t, idx) {
        return Err(DynamoError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    Ok(Some(idx))
}

/// GSIs return only projected attributes: asking for others is an error.
pub(super) fn check_projected(
    t: &Table,
    idx: Option<&IndexDefinition>,
    projection: Option<&Projection>,
) -> Result<()> {
    if let (Some(idx), Some(p)) = (idx, projection) {
        if is_global(t, idx) {
            let missing: Vec<&str> = p
                .top_level_names()
                .into_iter()
                .filter(|n| !index_holds(idx, &t.def.schema, n))
                .collect();
            if !missing.is_empty() {
                return Err(DynamoError::invalid_parameter(format!(
                    "Global secondary index {} does not project [{}]",
                    idx.name,
                    missing.join(", ")
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn empty_page() -> PageResult<'static> {
    PageResult {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        last_evaluated: None,
        bytes_read: 0,
        bytes_fetched: 0,
    }
}

/// BTreeMap::range panics on inverted bounds; an inverted range is simply empty.
pub(super) fn bounds_valid<T: Ord>(lo: &Bound<T>, hi: &Bound<T>) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a <= b,
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) => {
            a < b
        }
        (Bound::Excluded(a), Bound::Excluded(b)) => a < b,
        _ => true,
    }
}

/// A read's FilterExpression and ProjectionExpression, parsed in that order (after any key
/// condition), or else the legacy filter and projection already converted.
pub(super) fn filter_and_projection(
    p: &mut Placeholders,
    filter_expression: Option<&str>,
    legacy_filter: Option<Condition>,
    projection_expression: Option<&str>,
    legacy_projection: Option<Projection>,
) -> Result<(Option<Condition>, Option<Projection>)> {
    let filter = match filter_expression {
        Some(t) => Some(expression::parse_condition(t, p, "FilterExpression")?),
        None => legacy_filter,
    };
    let projection = match projection_expression {
        Some(t) => Some(expression::parse_projection(t, p)?),
        None => legacy_projection,
    };
    p.finish()?;
    Ok((filter, projection))
}
