//! Validation every operation shares: member constraints in DynamoDB's wording, expression
//! attribute values, the legacy-versus-expression rules, conditions, item and index-key limits.
//!
//! DynamoDB validates a request completely before it looks at a table: first the members'
//! constraints (all of them, reported together as `N validation errors detected`), then the
//! values, then the expressions and their placeholders. Only then is the table looked up and
//! the key checked against its schema. A failed request changes nothing.

use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{
    self, expected_to_condition, Condition, ExpectedAttributeValue, LegacyCondition, Placeholders,
};
use crate::storage::key::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use crate::table::catalog::table_name_of;
use crate::table::Table;
use crate::value::attribute::{validate_map, WireValue};
use crate::value::check_item_shape;
use crate::value::{item_size, AttributeValue, Item, MAX_ITEM_SIZE};
use std::collections::{BTreeMap, HashMap};

/// An attribute map as it arrives: values not yet validated.
pub(super) type WireMap = BTreeMap<String, WireValue>;

/// Checks a table (or index) name's length and character set, as DynamoDB's member constraints.
/// A character DynamoDB allows in table and index names (`[a-zA-Z0-9_.-]`).
pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Whether `n` is a valid table name: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
pub(super) fn is_table_name(n: &str) -> bool {
    (3..=255).contains(&n.len()) && n.chars().all(is_name_char)
}

pub fn check_name(c: &mut Constraints, name: Option<&str>, member: &str, required: bool) {
    // A table ARN is checked by the name it ends with (and may be up to 1,024 characters).
    let arn = name.filter(|n| n.starts_with("arn:") && n.contains(":table/"));
    if let Some(a) = arn {
        if a.len() > 1024 {
            c.add(
                a,
                member,
                "Member must have length less than or equal to 1024",
            );
            return;
        }
    }
    let name = name.map(table_name_of);
    match name {
        None => {
            if required {
                c.not_null(false, member)
            }
        }
        Some(n) => {
            // The pattern needs one character at least: an empty name fails it too.
            if n.is_empty() || !n.chars().all(is_name_char) {
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

/// The constraint a batch's table names break, as the service reports it: once per bad name,
/// on the whole `requestItems` map, listing every rule for a name (dynalite's suite, recorded
/// against the service). The map itself is not echoed: it holds item data.
pub(super) fn batch_table_names<'a>(c: &mut Constraints, names: impl Iterator<Item = &'a String>) {
    for name in names {
        let mut one = Constraints::new();
        check_name(&mut one, Some(name), "requestItems", true);
        if one.into_result().is_err() {
            c.add(
                "{...}",
                "requestItems",
                "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
            );
        }
    }
}

/// The control plane's first check of `TableName` (CreateTable, DescribeTable, DeleteTable,
/// UpdateTable, DescribeTimeToLive), made before the member constraints: a missing name and a
/// name of the wrong length get texts of their own, as dynalite's suite records the service
/// answering; a name of the right length with other characters falls through to the usual
/// constraint (`Member must satisfy regular expression pattern`).
pub(super) fn control_plane_table_name(name: Option<&str>) -> Result<()> {
    match name.map(table_name_of) {
        None => Err(DynamoError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        )),
        Some(n) if !(3..=255).contains(&n.len()) => Err(DynamoError::validation(
            "TableName must be at least 3 characters long and at most 255 characters long",
        )),
        Some(_) => Ok(()),
    }
}

/// Validates a control-plane operation's lone `TableName` member and returns it.
pub fn table_name(name: Option<&str>) -> Result<&str> {
    control_plane_table_name(name)?;
    let mut c = Constraints::new();
    check_name(&mut c, name, "tableName", true);
    c.finish(name)
}

// The service lists enum values in its own order (dynalite's suite, recorded against it).
const RETURN_VALUES: &[&str] = &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];

/// `ConditionalOperator`'s values, in the service's order.
pub(super) const CONDITIONAL_OPERATORS: &[&str] = &["OR", "AND"];

/// The legacy conditions' `ComparisonOperator` values, in the service's order.
const COMPARISON_OPERATORS: &[&str] = &[
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];

/// The member constraints of a legacy condition map (`QueryFilter`, `KeyConditions`,
/// `ScanFilter`): each entry's `ComparisonOperator` present and one of the service's.
pub(super) fn legacy_operators(
    c: &mut Constraints,
    member: &str,
    conditions: Option<&HashMap<String, LegacyCondition>>,
) {
    let mut entries: Vec<_> = conditions.into_iter().flatten().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (name, condition) in entries {
        let op = condition.comparison_operator.as_deref();
        let m = format!("{member}.{name}.member.comparisonOperator");
        c.not_null(op.is_some(), &m);
        enum_check(c, op, &m, COMPARISON_OPERATORS);
    }
}

/// Member constraints common to the write operations.
#[derive(Clone, Copy)]
pub(super) struct Common<'a> {
    pub table_name: Option<&'a str>,
    pub return_values: Option<&'a str>,
    pub return_consumed_capacity: Option<&'a str>,
    pub return_item_collection_metrics: Option<&'a str>,
    pub conditional_operator: Option<&'a str>,
    pub return_values_on_condition_check_failure: Option<&'a str>,
}

/// A required member missing, reported alone: `1 validation error detected: Value null at
/// '<member>' failed to satisfy constraint: Member must not be null`.
pub(super) fn null_member(member: &str) -> DynamoError {
    let mut c = Constraints::new();
    c.not_null(false, member);
    match c.into_result() {
        Err(e) => e,
        Ok(()) => DynamoError::validation(format!("{member} is required")),
    }
}

/// One enum member checked alone (see [`enum_check`]).
pub(super) fn enum_member(v: Option<&str>, member: &str, allowed: &[&str]) -> Result<()> {
    let mut c = Constraints::new();
    enum_check(&mut c, v, member, allowed);
    c.into_result()
}

pub(super) fn enum_check(c: &mut Constraints, v: Option<&str>, member: &str, allowed: &[&str]) {
    if let Some(v) = v {
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

/// The [`Common`] members of a single-item write's wire input (PutItem, UpdateItem,
/// DeleteItem all carry the same six).
macro_rules! write_members {
    ($input:expr) => {
        $crate::operations::validate::Common {
            table_name: $input.table_name.as_deref(),
            return_values: $input.return_values.as_deref(),
            return_consumed_capacity: $input.return_consumed_capacity.as_deref(),
            return_item_collection_metrics: $input.return_item_collection_metrics.as_deref(),
            conditional_operator: $input.conditional_operator.as_deref(),
            return_values_on_condition_check_failure: $input
                .return_values_on_condition_check_failure
                .as_deref(),
        }
    };
}
pub(super) use write_members;

impl Common<'_> {
    pub fn constraints(&self, c: &mut Constraints) {
        check_name(c, self.table_name, "tableName", true);
        enum_check(c, self.return_values, "returnValues", RETURN_VALUES);
        return_consumed_capacity(c, self.return_consumed_capacity);
        return_item_collection_metrics(c, self.return_item_collection_metrics);
        enum_check(
            c,
            self.conditional_operator,
            "conditionalOperator",
            CONDITIONAL_OPERATORS,
        );
        enum_check(
            c,
            self.return_values_on_condition_check_failure,
            "returnValuesOnConditionCheckFailure",
            &["ALL_OLD", "NONE"],
        );
    }
}

/// `ReturnConsumedCapacity`: INDEXES, TOTAL or NONE.
pub(super) fn return_consumed_capacity(c: &mut Constraints, v: Option<&str>) {
    enum_check(
        c,
        v,
        "returnConsumedCapacity",
        &["INDEXES", "TOTAL", "NONE"],
    );
}

/// `ReturnItemCollectionMetrics`: SIZE or NONE.
pub(super) fn return_item_collection_metrics(c: &mut Constraints, v: Option<&str>) {
    enum_check(c, v, "returnItemCollectionMetrics", &["SIZE", "NONE"]);
}

/// `ClientRequestToken`: 1 to 36 characters (TransactWriteItems, ExecuteTransaction).
pub(super) fn client_request_token(c: &mut Constraints, token: Option<&str>) {
    if let Some(tok) = token {
        if tok.is_empty() || tok.len() > 36 {
            c.add(
                format!("'{tok}'"),
                "clientRequestToken",
                if tok.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 36"
                },
            );
        }
    }
}

/// A `Parameters` list (PartiQL): when present, at least one value.
pub(super) fn parameters_length<T>(c: &mut Constraints, params: Option<&Vec<T>>, member: &str) {
    if params.is_some_and(Vec::is_empty) {
        c.add(
            "[]",
            member,
            "Member must have length greater than or equal to 1",
        );
    }
}

/// A required list member of 1 to `max` elements (`len` None: the member is absent).
pub(super) fn list_length(c: &mut Constraints, len: Option<usize>, member: &str, max: usize) {
    match len {
        None => c.not_null(false, member),
        Some(0) => c.add(
            "[]",
            member,
            "Member must have length greater than or equal to 1",
        ),
        Some(n) if n > max => c.add(
            "[...]",
            member,
            &format!("Member must have length less than or equal to {max}"),
        ),
        _ => {}
    }
}

/// The expression and non-expression parameters one request carries, each with whether it is
/// present, in the order DynamoDB names them in its messages.
pub(super) struct ExpressionParams<'a> {
    pub expressions: &'a [(&'static str, bool)],
    pub legacy: &'a [(&'static str, bool)],
    pub names: bool,
    pub values: bool,
}

impl ExpressionParams<'_> {
    /// The first of DynamoDB's request-level checks after the member constraints (dynalite's
    /// suite, recorded against the service): expression and non-expression parameters do not
    /// mix (except `KeyConditions` beside other expressions when there is no
    /// `KeyConditionExpression`), ExpressionAttributeNames need an expression, and
    /// ExpressionAttributeValues need an expression that can use values (any but
    /// `ProjectionExpression`).
    pub fn check(&self) -> Result<()> {
        let present = |list: &[(&'static str, bool)]| -> Vec<&'static str> {
            list.iter().filter(|(_, p)| *p).map(|(n, _)| *n).collect()
        };
        let expressions = present(self.expressions);
        if !expressions.is_empty() {
            let key_condition_expression = expressions.contains(&"KeyConditionExpression");
            let legacy: Vec<&str> = present(self.legacy)
                .into_iter()
                .filter(|n| *n != "KeyConditions" || key_condition_expression)
                .collect();
            if !legacy.is_empty() {
                return Err(DynamoError::validation(format!(
                    "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                    legacy.join(", "),
                    expressions.join(", ")
                )));
            }
        }
        if self.names && expressions.is_empty() {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        let value_expressions: Vec<(&str, bool)> = self
            .expressions
            .iter()
            .filter(|(n, _)| *n != "ProjectionExpression")
            .copied()
            .collect();
        if self.values && !value_expressions.is_empty() && value_expressions.iter().all(|(_, p)| !p)
        {
            let names: Vec<&str> = value_expressions.iter().map(|(n, _)| *n).collect();
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
                names.join(" and "),
                if names.len() > 1 { "are" } else { "is" }
            )));
        }
        Ok(())
    }
}

/// A placeholder key as DynamoDB accepts it: the sigil, then one or more of `[0-9a-zA-Z_]`.
fn placeholder_key(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// ExpressionAttributeNames and ExpressionAttributeValues before any expression is parsed, in
/// the service's order: neither map may be empty, every key must be a placeholder, every name
/// non-empty; then the values, each error prefixed as DynamoDB does. `update_item` is set for
/// UpdateItem, whose empty-map and empty-set errors the service now reports [`framed`], the set
/// error without the `contains invalid value` wrapper (moto's AWS-verified UpdateItem tests;
/// no capture shows the other operations doing so).
pub(super) fn placeholder_maps(
    names: Option<&HashMap<String, String>>,
    values: Option<WireMap>,
    update_item: bool,
) -> Result<Option<HashMap<String, AttributeValue>>> {
    let empty = |what: &str| {
        let e = DynamoError::validation(format!("{what} must not be empty"));
        if update_item {
            framed(e)
        } else {
            e
        }
    };
    if let Some(n) = names {
        if n.is_empty() {
            return Err(empty("ExpressionAttributeNames"));
        }
        let mut keys: Vec<&String> = n.keys().collect();
        keys.sort();
        for k in keys {
            if !placeholder_key(k, '#') {
                return Err(DynamoError::validation(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
            if n[k.as_str()].is_empty() {
                return Err(DynamoError::validation(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                )));
            }
        }
    }
    let Some(values) = values else {
        return Ok(None);
    };
    if values.is_empty() {
        return Err(empty("ExpressionAttributeValues"));
    }
    if let Some(k) = values.keys().find(|k| !placeholder_key(k, ':')) {
        return Err(DynamoError::validation(format!(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
        )));
    }
    let mut out = HashMap::with_capacity(values.len());
    for (k, v) in values {
        let v = v.validate().map_err(|e| {
            if update_item && is_empty_set(&e) {
                return framed(e);
            }
            DynamoError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {} for key {k}",
                e.message
            ))
        })?;
        out.insert(k, v);
    }
    Ok(Some(out))
}

/// The values of an ExclusiveStartKey, checked before the table is looked up. The service
/// prefixes `The provided starting key is invalid: ` to most of the value errors, but not to
/// the number and number-set ones (dynalite's suite, recorded against it).
pub(super) fn start_key_values(esk: Option<WireMap>) -> Result<Option<Item>> {
    let Some(esk) = esk else { return Ok(None) };
    validate_map(esk).map(Some).map_err(|e| {
        const BARE: [&str; 5] = [
            "contains duplicates",
            "number set",
            "numeric value",
            "significant digits",
            "number with magnitude",
        ];
        if BARE.iter().any(|b| e.message.contains(b)) {
            e
        } else {
            DynamoError::validation(format!(
                "The provided starting key is invalid: {}",
                e.message
            ))
        }
    })
}

pub(super) fn check_conditional_operator(op: Option<&str>, has_expected: bool) -> Result<()> {
    if op.is_some() && !has_expected {
        return Err(DynamoError::validation(
            "ConditionalOperator can only be used when Expected or KeyConditions or QueryFilter or ScanFilter is present",
        ));
    }
    Ok(())
}

/// Looks up a table for an item operation: it must exist and be ACTIVE (or UPDATING).
/// and must not be empty.
pub fn check_index_keys(table: &Table, item: &Item) -> Result<()> {
    for idx in table.def.gsis.iter().chain(table.def.lsis.iter()) {
        for attr in idx.schema.names() {
            let Some(v) = item.get(attr) else { continue };
            let expected = table
                .def
                .attribute_type(attr)
                .expect("index keys are defined");
            if v.scalar_type() != Some(expected) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Type mismatch for Index Key {attr} Expected: {} Actual: {} IndexName: {}",
                    expected.as_str(),
                    v.type_name(),
                    idx.name
                )));
            }
            let empty = matches!(v, AttributeValue::S(s) if s.is_empty())
                || matches!(v, AttributeValue::B(b) if b.is_empty());
            if empty {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {attr}",
                    if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
                    idx.name
                )));
            }
            let bytes = match v {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                _ => 0,
            };
            let max = if idx.schema.hash_attributes().any(|a| a.name == attr) {
                MAX_PARTITION_KEY_BYTES
            } else {
                MAX_SORT_KEY_BYTES
            };
            if bytes > max {
                return Err(DynamoError::invalid_parameter(format!(
                    "Size limit exceeded for Index Key {attr} Actual Size: {bytes} bytes Max Size: {max} bytes IndexName: {}",
                    idx.name
                )));
            }
        }
    }
    Ok(())
}

/// Checks a write's condition; a write whose condition fails is still charged, as DynamoDB
/// charges it (the write units of the item as it is).
/// Evaluates a write's condition on the item as it is: ConditionalCheckFailedException, with
/// the item when `ReturnValuesOnConditionCheckFailure` is ALL_OLD, if it does not hold.
pub(super) fn check_condition(
    condition: Option<&Condition>,
    old: Option<&Item>,
    old_on_failure: bool,
) -> Result<()> {
    let Some(c) = condition else { return Ok(()) };
    let empty = Item::new();
    if c.evaluate(old.unwrap_or(&empty)) {
        return Ok(());
    }
    let item = old
        .filter(|_| old_on_failure)
        .map(|o| serde_json::to_value(o).unwrap_or_default());
    Err(DynamoError::conditional_check_failed(item))
}

/// An item DynamoDB would store: at most 400 KB, nested at most 32 levels deep, no empty
/// attribute names (top level or in maps).
pub(crate) fn check_item_size(item: &Item, message: &str) -> Result<()> {
    check_item_shape(item)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DynamoError::validation(message));
    }
    Ok(())
}

/// DynamoDB's 2026 framing of some messages: the service now reports them as `1 validation
/// error detected: ...` where older captures (dynalite's) had the bare text. moto's
/// AWS-verified tests show it for unused placeholders in PutItem, UpdateItem and DeleteItem,
/// empty sets in PutItem's item and UpdateItem's values, an empty ExpressionAttributeValues in
/// UpdateItem, UpdateItem's update-expression errors, and Query's Select errors; the emulator
/// frames exactly those (and every UpdateExpression error, of which the captures show several
/// kinds), and nothing the captures show unframed (GetItem, Scan, BatchGetItem and the
/// transactions' placeholders, expression errors elsewhere).
pub(super) fn framed(e: DynamoError) -> DynamoError {
    if e.kind != crate::error::ErrorKind::Validation || e.message.contains("validation error") {
        return e;
    }
    DynamoError::validation(format!("1 validation error detected: {}", e.message))
}

fn is_empty_set(e: &DynamoError) -> bool {
    e.message.contains("set  may not be empty") || e.message.contains("sets should not be empty")
}

/// Frames ([`framed`]) only the set-emptiness errors of a single-item write's values.
pub(super) fn framed_if_empty_set(e: DynamoError) -> DynamoError {
    if is_empty_set(&e) {
        framed(e)
    } else {
        e
    }
}

/// The validation PutItem and DeleteItem share, in DynamoDB's order (dynalite's suite, recorded
/// against the service): member constraints; expression versus legacy parameters; the item or
/// key's values; ReturnValues (only ALL_OLD or NONE for these two); the item's size (PutItem);
/// `Expected`; the placeholder maps and their values; the ConditionExpression; unused
/// placeholders.
pub(super) struct ConditionalWrite<'a> {
    pub common: Common<'a>,
    /// `item` (PutItem) or `key` (DeleteItem): the member that must be present.
    pub target_member: &'static str,
    pub target: Option<WireMap>,
    /// PutItem's size limit message (None for DeleteItem's key).
    pub size_message: Option<&'static str>,
    pub condition_expression: Option<&'a str>,
    pub expected: Option<&'a HashMap<String, ExpectedAttributeValue>>,
    pub names: Option<&'a HashMap<String, String>>,
    pub values: Option<WireMap>,
}

impl ConditionalWrite<'_> {
    pub fn validate(self) -> Result<(Item, Option<Condition>)> {
        let mut c = Constraints::new();
        self.common.constraints(&mut c);
        c.not_null(self.target.is_some(), self.target_member);
        let target = c.finish(self.target)?;
        ExpressionParams {
            expressions: &[("ConditionExpression", self.condition_expression.is_some())],
            legacy: &[("Expected", self.expected.is_some())],
            names: self.names.is_some(),
            values: self.values.is_some(),
        }
        .check()?;
        let target = validate_map(target).map_err(|e| {
            // PutItem's empty sets carry the 2026 framing (moto's AWS-verified tests); no
            // capture shows DeleteItem's key doing so.
            if self.size_message.is_some() {
                framed_if_empty_set(e)
            } else {
                e
            }
        })?;
        if !matches!(
            self.common.return_values,
            None | Some("NONE") | Some("ALL_OLD")
        ) {
            return Err(DynamoError::validation(
                "ReturnValues can only be ALL_OLD or NONE",
            ));
        }
        if let Some(message) = self.size_message {
            check_item_size(&target, message)?;
        }
        check_conditional_operator(self.common.conditional_operator, self.expected.is_some())?;
        let legacy = match self.expected {
            Some(e) if !e.is_empty() => {
                Some(expected_to_condition(e, self.common.conditional_operator)?)
            }
            _ => None,
        };
        let values = placeholder_maps(self.names, self.values, false)?;
        let mut p = Placeholders::new(self.names, values.as_ref());
        let condition = match self.condition_expression {
            Some(text) => Some(expression::parse_condition(
                text,
                &mut p,
                "ConditionExpression",
            )?),
            None => legacy,
        };
        p.finish().map_err(framed)?;
        Ok((target, condition))
    }
}

/// Paths that reach inside a key attribute (`k.x`, `k[0]`): a key attribute is a scalar, and the
/// service refuses them once it knows the table (dynalite's suite, recorded against it), naming
/// a table key `Key: k` and an index key `IndexKey: k`.
pub(super) fn check_key_paths<'a>(
    t: &Table,
    paths: impl IntoIterator<Item = &'a expression::Path>,
) -> Result<()> {
    let nested: Vec<&str> = paths
        .into_iter()
        .filter(|p| p.0.len() > 1)
        .map(|p| p.top())
        .collect();
    let refuse = |which: &str, attr: &str| {
        Err(DynamoError::validation(format!(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {which}: {attr}"
        )))
    };
    for attr in t.def.schema.names() {
        if nested.contains(&attr) {
            return refuse("Key", attr);
        }
    }
    for idx in t.def.indexes() {
        for attr in idx.schema.names() {
            if nested.contains(&attr) {
                return refuse("IndexKey", attr);
            }
        }
    }
    Ok(())
}
