//! Workload operations, their proptest generators, and their wire requests.
//!
//! Every workload runs on a table with a partition key `pk` and, in some schemas, a sort key `sk`
//! (each of type S, N or B), and in some schemas one secondary index `idx`: a global one keyed on
//! `gh` (and `gr`), or a local one sorted on `gr`, with an ALL, KEYS_ONLY or INCLUDE projection.
//! Keys come from a small space so that operations collide; values cover every attribute type,
//! nested lists and maps, unicode, and numbers at DynamoDB's precision and magnitude edges.
//! Some operations are deliberately invalid in ways DynamoDB rejects.

use crate::values::{b64, value};
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A condition on the item a write targets.
#[derive(Debug, Clone)]
pub enum Cond {
    Exists,
    NotExists,
    /// `v = :c`
    VEquals(Value),
    /// A generated expression (possibly invalid).
    Expr(crate::expr::Expr),
}

impl Cond {
    /// Whether DynamoDB accepts the condition at all.
    pub fn valid(&self) -> bool {
        match self {
            Cond::Expr(e) => e.valid(),
            _ => true,
        }
    }
}

/// What an UpdateItem does.
#[derive(Debug, Clone)]
pub enum Action {
    /// `SET v = :v`
    SetV(Value),
    /// `ADD c :n`
    AddCounter(i32),
    /// `REMOVE v`
    RemoveV,
    /// `SET l = list_append(if_not_exists(l, :empty), :one)`
    Append(Value),
    /// `SET gh = :gh, gr = :gr` for the index key values given, `REMOVE` for the others: moves the
    /// item in, out of and within the secondary index.
    SetIndex(Option<u8>, Option<u8>),
    /// `SET gr = :bool`: an index key of the wrong type, which DynamoDB rejects when the index
    /// sorts on `gr`.
    IndexWrongType,
    /// A generated update expression (possibly invalid).
    Free(crate::update::Upd),
}

/// Ways a request is invalid.
#[derive(Debug, Clone)]
pub enum Invalid {
    EmptyStringKey,
    WrongKeyType,
    ReservedWordBare,
    UnusedValue,
    ItemTooLarge,
    DuplicateInSet,
}

/// One action of a TransactWriteItems.
#[derive(Debug, Clone)]
pub enum TxAction {
    Put(u8, u8, Value, Option<Cond>),
    Update(u8, u8, Action, Option<Cond>),
    Delete(u8, u8, Option<Cond>),
    Check(u8, u8, Cond),
}

/// One operation of a workload.
#[derive(Debug, Clone)]
pub enum Op {
    /// TransactWriteItems over distinct items (distinct partition keys, so distinct in every
    /// schema).
    Transact(Vec<TxAction>),
    Put {
        pk: u8,
        sk: u8,
        v: Value,
        cond: Option<Cond>,
        return_old: bool,
    },
    Get {
        pk: u8,
        sk: u8,
        project: Option<Vec<&'static str>>,
    },
    Update {
        pk: u8,
        sk: u8,
        action: Action,
        cond: Option<Cond>,
    },
    Delete {
        pk: u8,
        sk: u8,
        cond: Option<Cond>,
        return_old: bool,
    },
    Query {
        pk: u8,
        range: Option<KeyCond>,
        limit: Option<u8>,
        forward: bool,
        filter: Option<crate::expr::Expr>,
        project: Option<Vec<&'static str>>,
    },
    Scan {
        limit: Option<u8>,
        filter: Option<crate::expr::Expr>,
        project: Option<Vec<&'static str>>,
    },
    /// A Query on the secondary index (a ValidationException when the schema has none, or for a
    /// consistent read of a global index).
    QueryIndex {
        h: u8,
        limit: Option<u8>,
        forward: bool,
        consistent: bool,
    },
    BatchPut {
        items: Vec<(u8, u8, Value)>,
    },
    /// PartiQL `INSERT INTO t VALUE {...}` of the item a Put would write (every value a `?`
    /// parameter): DuplicateItemException when the key exists.
    SqlInsert {
        pk: u8,
        sk: u8,
        v: Value,
    },
    /// PartiQL `SELECT * FROM t WHERE pk = ?` (a Query), paged with `Limit` and `NextToken`
    /// to the end.
    SqlSelect {
        pk: u8,
        limit: Option<u8>,
    },
    /// PartiQL `UPDATE t SET v = ? WHERE <key> RETURNING ALL NEW *`: ConditionalCheckFailed
    /// when the item does not exist.
    SqlUpdate {
        pk: u8,
        sk: u8,
        v: Value,
    },
    /// PartiQL `DELETE FROM t WHERE <key> RETURNING ALL OLD *`.
    SqlDelete {
        pk: u8,
        sk: u8,
    },
    /// A PartiQL statement DynamoDB refuses with a ValidationException (one of
    /// [`INVALID_STATEMENTS`], on the workload's table): malformed, a partial key, a parameter
    /// count that does not match, an unknown function, a key attribute updated.
    SqlInvalid(u8),
    /// TransactWriteItems with two actions on one item, whose conditions contradict each other
    /// (the item must exist for one and must not for the other). The documentation refuses
    /// such a transaction (ValidationException); DynamoDB Local runs it and cancels it on the
    /// failing condition. Either way nothing is written; the runner compares the two answers
    /// as equal (docs/known-differences.md, entry 6).
    TransactSameItem {
        pk: u8,
        sk: u8,
        v: Value,
    },
    /// BatchGetItem of these keys (the same key twice is a ValidationException).
    BatchGet {
        keys: Vec<(u8, u8)>,
        project: Option<Vec<&'static str>>,
    },
    /// A PutItem of an item of 400 KB + `delta` bytes (a string of multi-byte characters) on a
    /// partition key no other operation touches: DynamoDB's item size rules at the limit.
    BigPut {
        delta: i32,
    },
    Invalid(Invalid),
}

impl Op {
    /// The operation's kind, for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Put { .. } => "PutItem",
            Op::Get { .. } => "GetItem",
            Op::Update { .. } => "UpdateItem",
            Op::Delete { .. } => "DeleteItem",
            Op::Query { .. } => "Query",
            Op::Scan { .. } => "Scan",
            Op::QueryIndex { .. } => "Query(index)",
            Op::BatchPut { .. } => "BatchWriteItem",
            Op::BatchGet { .. } => "BatchGetItem",
            Op::TransactSameItem { .. } => "TransactWriteItems(one item)",
            Op::BigPut { .. } => "PutItem(400 KB)",
            Op::Transact(_) => "TransactWriteItems",
            Op::Invalid(_) => "Invalid",
            Op::SqlInsert { .. } => "ExecuteStatement(INSERT)",
            Op::SqlSelect { .. } => "ExecuteStatement(SELECT)",
            Op::SqlUpdate { .. } => "ExecuteStatement(UPDATE)",
            Op::SqlDelete { .. } => "ExecuteStatement(DELETE)",
            Op::SqlInvalid(_) => "ExecuteStatement(invalid)",
        }
    }
}

/// What a secondary index copies from the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proj {
    All,
    KeysOnly,
    /// INCLUDE with the non-key attribute `v`.
    IncludeV,
}

/// The table's secondary index `idx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// Global (keyed on `gh`, and `gr` if `range`) or local (the table's `pk`, sorted on `gr`).
    pub global: bool,
    /// The type of `gh` (global indexes only).
    pub hash: char,
    /// The type of `gr`; always present for local indexes.
    pub range: Option<char>,
    pub projection: Proj,
}

/// A sort key condition of a Query, on sort key ranks (the generator's order is DynamoDB's).
#[derive(Debug, Clone, Copy)]
pub enum KeyCond {
    /// `sk op :s` for `=`, `<`, `<=`, `>`, `>=`.
    Cmp(&'static str, u8),
    /// `sk BETWEEN :lo AND :hi` (a ValidationException when lo > hi).
    Between(u8, u8),
    /// `begins_with(sk, :s)`: the prefix all sort keys share, or a whole key (a
    /// ValidationException on number keys).
    BeginsWith(Option<u8>),
    /// `sk <> :s`: not a key condition operator.
    NotEqual(u8),
    /// A condition on `v`, which is not a key.
    NonKey,
}

impl KeyCond {
    /// The condition's text and values, appended to `pk = :p`.
    fn render(&self, schema: &Schema) -> (String, Value) {
        let t = schema.range.unwrap_or('S');
        let v = |i: u8| Schema::value(t, i);
        match *self {
            KeyCond::Cmp(op, i) => (format!(" AND sk {op} :s"), json!({ ":s": v(i) })),
            KeyCond::Between(lo, hi) => (
                " AND sk BETWEEN :lo AND :hi".into(),
                json!({ ":lo": v(lo), ":hi": v(hi) }),
            ),
            KeyCond::BeginsWith(i) => {
                let prefix = match (i, t) {
                    (Some(i), _) => v(i),
                    (None, 'S') => json!({ "S": "k" }),
                    (None, 'N') => json!({ "N": "1" }),
                    (None, _) => json!({ "B": b64(&[0x10]) }),
                };
                (" AND begins_with(sk, :s)".into(), json!({ ":s": prefix }))
            }
            KeyCond::NotEqual(i) => (" AND sk <> :s".into(), json!({ ":s": v(i) })),
            KeyCond::NonKey => (" AND v = :s".into(), json!({ ":s": { "N": "1" } })),
        }
    }

    /// Whether DynamoDB accepts it on this schema.
    pub fn valid(&self, schema: &Schema) -> bool {
        match (self, schema.range) {
            (_, None) => false,
            (KeyCond::Between(lo, hi), _) => lo <= hi,
            (KeyCond::BeginsWith(_), Some(t)) => t != 'N',
            (KeyCond::NotEqual(_) | KeyCond::NonKey, _) => false,
            _ => true,
        }
    }

    /// The rank at the inclusive end of the range in the direction of travel, where a full page
    /// ending on it has no LastEvaluatedKey.
    pub fn inclusive_end(&self, forward: bool) -> Option<u8> {
        // Not for `=` nor begins_with: DynamoDB Local answers a LastEvaluatedKey there.
        match (*self, forward) {
            (KeyCond::Cmp("<=", i), true) | (KeyCond::Cmp(">=", i), false) => Some(i),
            (KeyCond::Between(_, hi), true) => Some(hi),
            (KeyCond::Between(lo, _), false) => Some(lo),
            _ => None,
        }
    }

    /// Whether the sort key of rank `r` matches.
    pub fn matches(&self, r: u8) -> bool {
        match *self {
            KeyCond::Cmp(op, i) => match op {
                "=" => r == i,
                "<" => r < i,
                "<=" => r <= i,
                ">" => r > i,
                _ => r >= i,
            },
            KeyCond::Between(lo, hi) => lo <= r && r <= hi,
            KeyCond::BeginsWith(None) => true,
            KeyCond::BeginsWith(Some(i)) => r == i,
            KeyCond::NotEqual(_) | KeyCond::NonKey => false,
        }
    }
}

fn key_cond() -> impl Strategy<Value = KeyCond> {
    prop_oneof![
        6 => (prop_oneof![Just("="), Just("<"), Just("<="), Just(">"), Just(">=")], 0u8..5)
            .prop_map(|(op, i)| KeyCond::Cmp(op, i)),
        3 => (0u8..5, 0u8..5).prop_map(|(a, b)| KeyCond::Between(a, b)),
        2 => prop::option::of(0u8..5).prop_map(KeyCond::BeginsWith),
        1 => (0u8..5).prop_map(KeyCond::NotEqual),
        1 => Just(KeyCond::NonKey),
    ]
}

/// A ProjectionExpression: some top-level attributes, present or not.
fn projection() -> impl Strategy<Value = Option<Vec<&'static str>>> {
    prop::option::weighted(
        0.3,
        btree_set(
            prop_oneof![
                Just("pk"),
                Just("sk"),
                Just("v"),
                Just("c"),
                Just("l"),
                Just("gh")
            ],
            1..4,
        )
        .prop_map(|s| s.into_iter().collect()),
    )
}

fn filter() -> impl Strategy<Value = Option<crate::expr::Expr>> {
    prop::option::weighted(0.3, crate::expr::expr())
}

/// Adds a ProjectionExpression and a FilterExpression to a read request.
pub fn with_read_options(
    req: &mut Value,
    filter: &Option<crate::expr::Expr>,
    project: &Option<Vec<&'static str>>,
) {
    let mut r = crate::expr::Rendered::default();
    if let Some(f) = filter {
        req["FilterExpression"] = json!(f.render(&mut r));
    }
    if let Some(p) = project {
        let names: Vec<String> = p.iter().map(|a| r.name(a)).collect();
        req["ProjectionExpression"] = json!(names.join(", "));
    }
    if !r.names.is_empty() {
        req["ExpressionAttributeNames"] = Value::Object(r.names);
    }
    if !r.values.is_empty() {
        merge_values(req, Value::Object(r.values));
    }
}

/// The Query's KeyConditionExpression and its values.
pub fn key_condition(schema: &Schema, pk: u8, range: &Option<KeyCond>) -> (String, Value) {
    let mut text = "pk = :p".to_string();
    let mut values = json!({ ":p": schema.pk(pk) });
    if let Some(k) = range {
        let (t, v) = k.render(schema);
        text.push_str(&t);
        for (name, x) in v.as_object().expect("object") {
            values[name] = x.clone();
        }
    }
    (text, values)
}

/// A table's key schema: the partition key's type and the sort key's, if any (`S`, `N` or `B`),
/// and its secondary index, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    pub hash: char,
    pub range: Option<char>,
    pub index: Option<Index>,
}

impl Schema {
    /// The attribute definitions and key schema of CreateTable.
    pub fn create_table(&self, table: &str) -> Value {
        let mut defs = vec![json!({"AttributeName": "pk", "AttributeType": self.hash.to_string()})];
        let mut keys = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
        if let Some(r) = self.range {
            defs.push(json!({"AttributeName": "sk", "AttributeType": r.to_string()}));
            keys.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
        }
        let mut req = json!({ "TableName": table, "BillingMode": "PAY_PER_REQUEST", "KeySchema": keys, "AttributeDefinitions": defs });
        if let Some(ix) = self.index {
            let mut ikeys = Vec::new();
            if ix.global {
                defs_push(&mut req, "gh", ix.hash);
                ikeys.push(json!({"AttributeName": "gh", "KeyType": "HASH"}));
            } else {
                ikeys.push(json!({"AttributeName": "pk", "KeyType": "HASH"}));
            }
            if let Some(r) = ix.range {
                defs_push(&mut req, "gr", r);
                ikeys.push(json!({"AttributeName": "gr", "KeyType": "RANGE"}));
            }
            let projection = match ix.projection {
                Proj::All => json!({ "ProjectionType": "ALL" }),
                Proj::KeysOnly => json!({ "ProjectionType": "KEYS_ONLY" }),
                Proj::IncludeV => json!({ "ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"] }),
            };
            let list = if ix.global {
                "GlobalSecondaryIndexes"
            } else {
                "LocalSecondaryIndexes"
            };
            req[list] =
                json!([{ "IndexName": "idx", "KeySchema": ikeys, "Projection": projection }]);
        }
        req
    }

    /// The index's partition key value `h` (a `pk` value for local indexes).
    pub fn index_hash(&self, h: u8) -> Value {
        match self.index {
            Some(ix) if ix.global => Self::value(ix.hash, h),
            _ => self.pk(h),
        }
    }

    /// The index's sort key value `r`.
    pub fn index_range(&self, r: u8) -> Option<Value> {
        self.index
            .and_then(|ix| ix.range)
            .map(|t| Self::value(t, r))
    }

    /// The generator index of a key value of type `t` (its rank in DynamoDB's order).
    pub fn rank(t: char, v: &Value) -> Option<u8> {
        (0..8).find(|i| &Self::value(t, *i) == v)
    }

    /// Key index `i` as a value of type `t`; the order of indexes is DynamoDB's order of the
    /// values (numbers numerically, strings and binaries bytewise).
    pub fn value(t: char, i: u8) -> Value {
        match t {
            'S' => json!({ "S": format!("k{i}") }),
            'N' => json!({ "N": (i as i32 - 2).to_string() }),
            _ => json!({ "B": b64(&[0x10, i]) }),
        }
    }

    pub fn pk(&self, p: u8) -> Value {
        Self::value(self.hash, p)
    }

    /// The sort key attribute of index `s`, None for a table without one.
    pub fn sk(&self, s: u8) -> Option<Value> {
        self.range.map(|t| Self::value(t, s))
    }

    /// The primary key of (p, s); `s` is ignored without a sort key.
    pub fn key(&self, p: u8, s: u8) -> Value {
        let mut k = json!({ "pk": self.pk(p) });
        if let Some(v) = self.sk(s) {
            k["sk"] = v;
        }
        k
    }

    /// The model's identity of (p, s): without a sort key every s is the same item.
    pub fn slot(&self, p: u8, s: u8) -> (u8, u8) {
        (p, if self.range.is_some() { s } else { 0 })
    }
}

fn defs_push(req: &mut Value, name: &str, t: char) {
    req["AttributeDefinitions"]
        .as_array_mut()
        .expect("definitions")
        .push(json!({"AttributeName": name, "AttributeType": t.to_string()}));
}

/// Any key schema, half of them with a secondary index (local ones only on tables with a sort
/// key, as DynamoDB requires).
pub fn schema() -> impl Strategy<Value = Schema> {
    let t = || prop_oneof![Just('S'), Just('N'), Just('B')];
    let projection = prop_oneof![Just(Proj::All), Just(Proj::KeysOnly), Just(Proj::IncludeV)];
    let index = (any::<bool>(), t(), prop::option::of(t()), projection).prop_map(
        |(global, hash, range, projection)| Index {
            global,
            hash,
            range,
            projection,
        },
    );
    (t(), prop::option::of(t()), prop::option::of(index)).prop_map(|(hash, range, index)| {
        let index = index.map(|mut ix| {
            if range.is_none() {
                ix.global = true;
            }
            if !ix.global && ix.range.is_none() {
                ix.range = Some(ix.hash);
            }
            ix
        });
        Schema { hash, range, index }
    })
}

fn key(schema: &Schema, p: u8, s: u8) -> Value {
    schema.key(p, s)
}

/// The item a Put writes at (p, s): its key, `v`, and, on three slots in four, the index keys
/// `gh` and `gr` derived from the key (so that index queries find items; updates move them).
pub fn item(schema: &Schema, p: u8, s: u8, v: &Value) -> Value {
    let mut i = schema.key(p, s);
    i["v"] = v.clone();
    if schema.index.is_some() && (p + s) % 4 != 3 {
        let (gh, gr) = index_values(schema, Some((p + s) % 3), Some(s % 4));
        i["gh"] = gh.expect("a value");
        i["gr"] = gr.expect("a value");
    }
    i
}

fn cond() -> impl Strategy<Value = Option<Cond>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Cond::Exists)),
        1 => Just(Some(Cond::NotExists)),
        1 => value().prop_map(|v| Some(Cond::VEquals(v))),
        3 => crate::expr::expr().prop_map(|e| Some(Cond::Expr(e))),
    ]
}

/// Any update action valid in a transaction.
fn tx_update_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => value().prop_map(Action::SetV),
        2 => (-100i32..100).prop_map(Action::AddCounter),
        1 => Just(Action::RemoveV),
        2 => value().prop_map(Action::Append),
        8 => (prop::option::weighted(0.85, 0u8..3), prop::option::weighted(0.85, 0u8..4))
            .prop_map(|(h, r)| Action::SetIndex(h, r)),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        10 => tx_update_action(),
        1 => Just(Action::IndexWrongType),
        8 => crate::update::upd().prop_map(Action::Free),
    ]
}

/// The `gh` and `gr` values of [`Action::SetIndex`]: typed as the index's keys, or as S and N
/// plain attributes where the index does not use them.
pub fn index_values(
    schema: &Schema,
    h: Option<u8>,
    g: Option<u8>,
) -> (Option<Value>, Option<Value>) {
    let gh = h.map(|h| match schema.index {
        Some(ix) if ix.global => Schema::value(ix.hash, h),
        _ => Schema::value('S', h),
    });
    let gr = g.map(|g| {
        schema
            .index_range(g)
            .unwrap_or_else(|| Schema::value('N', g))
    });
    (gh, gr)
}

fn invalid() -> impl Strategy<Value = Invalid> {
    prop_oneof![
        Just(Invalid::EmptyStringKey),
        Just(Invalid::WrongKeyType),
        Just(Invalid::ReservedWordBare),
        Just(Invalid::UnusedValue),
        Just(Invalid::ItemTooLarge),
        Just(Invalid::DuplicateInSet),
    ]
}

/// One operation over keys pk in 0..3, sk in 0..5.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, 0u8..5, value(), cond(), any::<bool>())
            .prop_map(|(pk, sk, v, cond, return_old)| Op::Put { pk, sk, v, cond, return_old }),
        3 => (0u8..3, 0u8..5, projection()).prop_map(|(pk, sk, project)| Op::Get { pk, sk, project }),
        3 => (0u8..3, 0u8..5, action(), cond()).prop_map(|(pk, sk, action, cond)| Op::Update { pk, sk, action, cond }),
        2 => (0u8..3, 0u8..5, cond(), any::<bool>()).prop_map(|(pk, sk, cond, return_old)| Op::Delete { pk, sk, cond, return_old }),
        3 => (0u8..3, prop::option::weighted(0.4, key_cond()), prop::option::of(1u8..4), any::<bool>(), filter(), projection())
            .prop_map(|(pk, range, limit, forward, filter, project)| Op::Query { pk, range, limit, forward, filter, project }),
        1 => (prop::option::of(1u8..5), filter(), projection())
            .prop_map(|(limit, filter, project)| Op::Scan { limit, filter, project }),
        2 => (0u8..3, prop::option::of(1u8..4), any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(h, limit, forward, consistent)| Op::QueryIndex { h, limit, forward, consistent }),
        1 => btree_set((0u8..3, 0u8..5), 1..5).prop_flat_map(|keys| {
            vec(value(), keys.len()).prop_map(move |vals| Op::BatchPut {
                items: keys.iter().zip(vals).map(|((p, s), v)| (*p, *s, v)).collect(),
            })
        }),
        1 => invalid().prop_map(Op::Invalid),
        2 => (0u8..3, 0u8..5, value()).prop_map(|(pk, sk, v)| Op::SqlInsert { pk, sk, v }),
        2 => (0u8..3, prop::option::of(1u8..4)).prop_map(|(pk, limit)| Op::SqlSelect { pk, limit }),
        1 => (0u8..3, 0u8..5, value()).prop_map(|(pk, sk, v)| Op::SqlUpdate { pk, sk, v }),
        1 => (0u8..3, 0u8..5).prop_map(|(pk, sk)| Op::SqlDelete { pk, sk }),
        1 => (0..INVALID_STATEMENTS.len() as u8).prop_map(Op::SqlInvalid),
        1 => (vec((0u8..3, 0u8..5), 1..6), projection())
            .prop_map(|(keys, project)| Op::BatchGet { keys, project }),
        1 => (0u8..3, 0u8..5, value()).prop_map(|(pk, sk, v)| Op::TransactSameItem { pk, sk, v }),
        1 => prop_oneof![Just(-1), Just(0), Just(1), Just(-200), Just(200), -3000i32..3000]
            .prop_map(|delta| Op::BigPut { delta }),
        1 => btree_set(0u8..3, 1..4).prop_flat_map(|pks| {
            let n = pks.len();
            (Just(pks), vec(tx_action(), n)).prop_map(|(pks, actions)| {
                Op::Transact(pks.into_iter().zip(actions).map(|(p, a)| a.on(p)).collect())
            })
        }),
    ]
}

/// An action whose partition key is set afterwards (so that keys stay distinct).
fn tx_action() -> impl Strategy<Value = TxAction> {
    prop_oneof![
        (0u8..5, value(), cond()).prop_map(|(s, v, c)| TxAction::Put(0, s, v, c)),
        (0u8..5, tx_update_action(), cond()).prop_map(|(s, a, c)| TxAction::Update(0, s, a, c)),
        (0u8..5, cond()).prop_map(|(s, c)| TxAction::Delete(0, s, c)),
        (
            0u8..5,
            prop_oneof![Just(Cond::Exists), Just(Cond::NotExists)]
        )
            .prop_map(|(s, c)| TxAction::Check(0, s, c)),
    ]
}

impl TxAction {
    fn on(self, p: u8) -> TxAction {
        match self {
            TxAction::Put(_, s, v, c) => TxAction::Put(p, s, v, c),
            TxAction::Update(_, s, a, c) => TxAction::Update(p, s, a, c),
            TxAction::Delete(_, s, c) => TxAction::Delete(p, s, c),
            TxAction::Check(_, s, c) => TxAction::Check(p, s, c),
        }
    }
}

/// A workload: a key schema and a sequence of operations.
pub fn workload(max: usize) -> impl Strategy<Value = (Schema, Vec<Op>)> {
    (schema(), vec(op(), 1..max))
}

fn with_cond(mut req: Value, cond: &Option<Cond>) -> Value {
    match cond {
        None => {}
        Some(Cond::Exists) => req["ConditionExpression"] = json!("attribute_exists(pk)"),
        Some(Cond::NotExists) => req["ConditionExpression"] = json!("attribute_not_exists(pk)"),
        Some(Cond::VEquals(v)) => {
            req["ConditionExpression"] = json!("v = :c");
            merge_values(&mut req, json!({ ":c": v }));
        }
        Some(Cond::Expr(e)) => {
            let mut r = crate::expr::Rendered::default();
            req["ConditionExpression"] = json!(e.render(&mut r));
            // Names placeholders are `#<name>` everywhere, so merging cannot clash.
            if !r.names.is_empty() {
                merge_names(&mut req, Value::Object(r.names));
            }
            if !r.values.is_empty() {
                merge_values(&mut req, Value::Object(r.values));
            }
        }
    }
    req
}

fn merge_names(req: &mut Value, names: Value) {
    let slot = req
        .as_object_mut()
        .expect("object")
        .entry("ExpressionAttributeNames")
        .or_insert_with(|| json!({}));
    for (k, v) in names.as_object().expect("object") {
        slot[k] = v.clone();
    }
}

fn merge_values(req: &mut Value, values: Value) {
    let slot = req
        .as_object_mut()
        .expect("object")
        .entry("ExpressionAttributeValues")
        .or_insert_with(|| json!({}));
    for (k, v) in values.as_object().expect("object") {
        slot[k] = v.clone();
    }
}

/// DynamoDB's item size limit: 400 KB.
pub const MAX_ITEM: i64 = 400 * 1024;

/// The partition key index of [`Op::BigPut`] items (other operations use 0..3).
pub const BIG_PK: u8 = 3;

/// The big item of [`Op::BigPut`] and its size by DynamoDB's rules, when the key sizes are known
/// exactly (string and binary keys: one byte per character or byte, plus the name).
pub fn big_item(schema: &Schema, delta: i32) -> (Value, Option<i64>) {
    let mut item = schema.key(BIG_PK, 0);
    let key_size = |t: char| match t {
        'S' | 'B' => Some(2 + 2), // "pk"/"sk" and a two-byte value ("k3", [0x10, 3])
        _ => None,
    };
    let keys = match schema.range {
        Some(r) => key_size(schema.hash).zip(key_size(r)).map(|(a, b)| a + b),
        None => key_size(schema.hash),
    };
    // Number keys: 4 to 6 bytes each whatever the rule's details; aim for the middle, and keep
    // 200 bytes from the limit, where the outcome does not depend on those details.
    let keys_estimate = keys.unwrap_or(if schema.range.is_some() { 10 } else { 5 });
    let delta = match (keys, delta) {
        (None, d) if d.abs() < 64 => {
            if d > 0 {
                200
            } else {
                -200
            }
        }
        (_, d) => d,
    };
    let text_bytes = MAX_ITEM + delta as i64 - keys_estimate - 1; // "v"
    let pairs = text_bytes / 2;
    let text: String = "é".repeat(pairs as usize) + &"a".repeat((text_bytes % 2) as usize);
    item["v"] = json!({ "S": text });
    (item, keys.map(|k| k + 1 + text_bytes))
}

/// Whether the big item of `delta` fits in 400 KB (for number keys, by the margin kept).
pub fn big_item_fits(schema: &Schema, delta: i32) -> bool {
    match big_item(schema, delta).1 {
        Some(size) => size <= MAX_ITEM,
        None => delta <= 0,
    }
}

/// The wire request of a (non-paged) operation: (operation name, body).
/// Statements DynamoDB refuses whatever the table holds (`{t}` is the table): the same
/// ValidationException on the emulator, the model and DynamoDB Local. Each takes one `?`
/// parameter, the partition key of slot 0.
pub const INVALID_STATEMENTS: &[&str] = &[
    "SELECT * FROM \"{t}\" WHERE pk = ? garbage",
    "SELEC * FROM \"{t}\" WHERE pk = ?",
    "UPDATE \"{t}\" SET v = 1 WHERE v = ?",
    "DELETE FROM \"{t}\" WHERE v = ?",
    "SELECT * FROM \"{t}\" WHERE pk = ? AND pk = ?",
    "SELECT * FROM \"{t}\" WHERE frobnicate(pk) AND pk = ?",
    "UPDATE \"{t}\" SET pk = ? WHERE pk = ?",
    "INSERT INTO \"{t}\" VALUE {'v': ?}",
];

/// A PartiQL WHERE on (p, s)'s primary key, its values appended to `params`.
fn sql_key(schema: &Schema, p: u8, s: u8, params: &mut Vec<Value>) -> String {
    params.push(schema.pk(p));
    match schema.sk(s) {
        Some(v) => {
            params.push(v);
            "pk = ? AND sk = ?".into()
        }
        None => "pk = ?".into(),
    }
}

fn statement(text: String, params: Vec<Value>) -> (&'static str, Value) {
    (
        "ExecuteStatement",
        json!({ "Statement": text, "Parameters": params }),
    )
}

pub fn request(schema: &Schema, op: &Op, table: &str) -> (&'static str, Value) {
    match op {
        Op::SqlInsert { pk, sk, v } => {
            let it = item(schema, *pk, *sk, v);
            let fields = it.as_object().expect("object");
            let text = format!(
                "INSERT INTO \"{table}\" VALUE {{{}}}",
                fields
                    .keys()
                    .map(|k| format!("'{k}': ?"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            statement(text, fields.values().cloned().collect())
        }
        Op::SqlInvalid(i) => statement(
            INVALID_STATEMENTS[*i as usize % INVALID_STATEMENTS.len()].replace("{t}", table),
            vec![schema.pk(0)],
        ),
        Op::SqlSelect { pk, .. } => statement(
            format!("SELECT * FROM \"{table}\" WHERE pk = ?"),
            vec![schema.pk(*pk)],
        ),
        Op::SqlUpdate { pk, sk, v } => {
            let mut params = vec![v.clone()];
            let key = sql_key(schema, *pk, *sk, &mut params);
            statement(
                format!("UPDATE \"{table}\" SET v = ? WHERE {key} RETURNING ALL NEW *"),
                params,
            )
        }
        Op::SqlDelete { pk, sk } => {
            let mut params = Vec::new();
            let key = sql_key(schema, *pk, *sk, &mut params);
            statement(
                format!("DELETE FROM \"{table}\" WHERE {key} RETURNING ALL OLD *"),
                params,
            )
        }
        Op::Put {
            pk: p,
            sk: s,
            v,
            cond,
            return_old,
        } => {
            let mut r = json!({ "TableName": table, "Item": item(schema, *p, *s, v) });
            if *return_old {
                r["ReturnValues"] = json!("ALL_OLD");
            }
            ("PutItem", with_cond(r, cond))
        }
        Op::Get {
            pk: p,
            sk: s,
            project,
        } => {
            let mut r =
                json!({ "TableName": table, "Key": key(schema, *p, *s), "ConsistentRead": true });
            with_read_options(&mut r, &None, project);
            ("GetItem", r)
        }
        Op::Update {
            pk: p,
            sk: s,
            action,
            cond,
        } => {
            let mut r = json!({ "TableName": table, "Key": key(schema, *p, *s), "ReturnValues": "ALL_NEW" });
            match action {
                Action::SetV(v) => {
                    r["UpdateExpression"] = json!("SET v = :v");
                    merge_values(&mut r, json!({ ":v": v }));
                }
                Action::AddCounter(n) => {
                    r["UpdateExpression"] = json!("ADD c :n");
                    merge_values(&mut r, json!({ ":n": { "N": n.to_string() } }));
                }
                Action::RemoveV => r["UpdateExpression"] = json!("REMOVE v"),
                Action::Append(v) => {
                    r["UpdateExpression"] =
                        json!("SET l = list_append(if_not_exists(l, :empty), :one)");
                    merge_values(
                        &mut r,
                        json!({ ":empty": { "L": [] }, ":one": { "L": [v] } }),
                    );
                }
                Action::SetIndex(h, g) => {
                    let (mut set, mut remove) = (Vec::new(), Vec::new());
                    let (gh, gr) = index_values(schema, *h, *g);
                    match gh {
                        Some(v) => {
                            set.push("gh = :gh");
                            merge_values(&mut r, json!({ ":gh": v }));
                        }
                        None => remove.push("gh"),
                    }
                    match gr {
                        Some(v) => {
                            set.push("gr = :gr");
                            merge_values(&mut r, json!({ ":gr": v }));
                        }
                        None => remove.push("gr"),
                    }
                    let mut e = String::new();
                    if !set.is_empty() {
                        e.push_str(&format!("SET {}", set.join(", ")));
                    }
                    if !remove.is_empty() {
                        e.push_str(&format!(" REMOVE {}", remove.join(", ")));
                    }
                    r["UpdateExpression"] = json!(e.trim());
                }
                Action::IndexWrongType => {
                    r["UpdateExpression"] = json!("SET gr = :bad");
                    merge_values(&mut r, json!({ ":bad": { "BOOL": true } }));
                }
                Action::Free(u) => {
                    let (text, names, values) = u.render();
                    r["UpdateExpression"] = json!(text);
                    if !names.is_empty() {
                        merge_names(&mut r, Value::Object(names));
                    }
                    if !values.is_empty() {
                        merge_values(&mut r, Value::Object(values));
                    }
                }
            }
            ("UpdateItem", with_cond(r, cond))
        }
        Op::Delete {
            pk: p,
            sk: s,
            cond,
            return_old,
        } => {
            let mut r = json!({ "TableName": table, "Key": key(schema, *p, *s) });
            if *return_old {
                r["ReturnValues"] = json!("ALL_OLD");
            }
            ("DeleteItem", with_cond(r, cond))
        }
        Op::Query { .. } | Op::Scan { .. } | Op::QueryIndex { .. } => {
            unreachable!("paged operations are run by the runner")
        }
        Op::BatchGet { keys, project } => {
            let mut ka = json!({ "Keys": keys.iter().map(|(p, s)| key(schema, *p, *s)).collect::<Vec<_>>(), "ConsistentRead": true });
            with_read_options(&mut ka, &None, project);
            ("BatchGetItem", json!({ "RequestItems": { table: ka } }))
        }
        Op::TransactSameItem { pk, sk, v } => request(
            schema,
            &Op::Transact(vec![
                TxAction::Check(*pk, *sk, Cond::Exists),
                TxAction::Put(*pk, *sk, v.clone(), Some(Cond::NotExists)),
            ]),
            table,
        ),
        Op::BigPut { delta } => (
            "PutItem",
            json!({ "TableName": table, "Item": big_item(schema, *delta).0 }),
        ),
        Op::BatchPut { items } => {
            let puts: Vec<Value> = items
                .iter()
                .map(|(p, s, v)| json!({ "PutRequest": { "Item": item(schema, *p, *s, v) } }))
                .collect();
            ("BatchWriteItem", json!({ "RequestItems": { table: puts } }))
        }
        Op::Transact(actions) => {
            let items: Vec<Value> = actions
                .iter()
                .map(|a| {
                    let (kind, mut body) = match a {
                        TxAction::Put(p, s, v, c) => (
                            "Put",
                            request(
                                schema,
                                &Op::Put {
                                    pk: *p,
                                    sk: *s,
                                    v: v.clone(),
                                    cond: c.clone(),
                                    return_old: false,
                                },
                                table,
                            )
                            .1,
                        ),
                        TxAction::Update(p, s, act, c) => (
                            "Update",
                            request(
                                schema,
                                &Op::Update {
                                    pk: *p,
                                    sk: *s,
                                    action: act.clone(),
                                    cond: c.clone(),
                                },
                                table,
                            )
                            .1,
                        ),
                        TxAction::Delete(p, s, c) => (
                            "Delete",
                            request(
                                schema,
                                &Op::Delete {
                                    pk: *p,
                                    sk: *s,
                                    cond: c.clone(),
                                    return_old: false,
                                },
                                table,
                            )
                            .1,
                        ),
                        TxAction::Check(p, s, c) => (
                            "ConditionCheck",
                            with_cond(
                                json!({ "TableName": table, "Key": key(schema, *p, *s) }),
                                &Some(c.clone()),
                            ),
                        ),
                    };
                    if let Some(m) = body.as_object_mut() {
                        m.remove("ReturnValues");
                    }
                    json!({ kind: body })
                })
                .collect();
            ("TransactWriteItems", json!({ "TransactItems": items }))
        }
        Op::Invalid(kind) => match kind {
            Invalid::EmptyStringKey => {
                let mut i = schema.key(0, 0);
                i["pk"] = if schema.hash == 'B' {
                    json!({ "B": "" })
                } else {
                    json!({ "S": "" })
                };
                ("PutItem", json!({ "TableName": table, "Item": i }))
            }
            Invalid::WrongKeyType => {
                let mut i = schema.key(0, 0);
                i["pk"] = json!({ "BOOL": true });
                ("PutItem", json!({ "TableName": table, "Item": i }))
            }
            Invalid::ReservedWordBare => (
                "UpdateItem",
                json!({ "TableName": table, "Key": schema.key(0, 0), "UpdateExpression": "SET status = :v", "ExpressionAttributeValues": { ":v": { "N": "1" } } }),
            ),
            Invalid::UnusedValue => (
                "PutItem",
                json!({ "TableName": table, "Item": schema.key(0, 0), "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": { ":unused": { "N": "1" } } }),
            ),
            Invalid::ItemTooLarge => (
                "PutItem",
                json!({ "TableName": table, "Item": item(schema, 0, 0, &json!({ "S": "x".repeat(400 * 1024) })) }),
            ),
            Invalid::DuplicateInSet => (
                "PutItem",
                json!({ "TableName": table, "Item": item(schema, 0, 0, &json!({ "NS": ["1", "1.0"] })) }),
            ),
        },
    }
}
