//! Requests that are mostly valid: the tables, keys, values and expressions of a small world,
//! so that a request gets past the first checks and reaches deep code, before [`crate::mutate`]
//! breaks it in some way.

use base64::Engine as _;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

/// The tables every round starts with: (name, partition key type, sort key type).
pub const TABLES: &[(&str, &str, Option<&str>)] = &[
    ("fuzz_s", "S", None),
    ("fuzz_sn", "S", Some("N")),
    ("fuzz_bs", "B", Some("S")),
];

/// CreateTable requests for [`TABLES`] (the second one has a GSI and an LSI).
pub fn base_tables() -> Vec<Value> {
    TABLES
        .iter()
        .enumerate()
        .map(|(i, (name, pk, sk))| {
            let mut defs = vec![json!({"AttributeName": "pk", "AttributeType": pk})];
            let mut keys = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
            if let Some(sk) = sk {
                defs.push(json!({"AttributeName": "sk", "AttributeType": sk}));
                keys.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
            }
            let mut t = json!({
                "TableName": name,
                "AttributeDefinitions": defs,
                "KeySchema": keys,
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            });
            if i == 1 {
                t["AttributeDefinitions"]
                    .as_array_mut()
                    .unwrap()
                    .extend([json!({"AttributeName": "g", "AttributeType": "S"}),
                             json!({"AttributeName": "l", "AttributeType": "N"})]);
                t["GlobalSecondaryIndexes"] = json!([{
                    "IndexName": "byG",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}
                }]);
                t["LocalSecondaryIndexes"] = json!([{
                    "IndexName": "byL",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"}
                }]);
            }
            t
        })
        .collect()
}

/// The generator: one seeded RNG.
pub struct Gen {
    /// The only source of randomness of a run.
    pub rng: ChaCha8Rng,
}

const NAMES: &[&str] = &[
    "pk", "sk", "a", "b", "c", "g", "l", "m", "n", "s", "set", "x y", "é",
];
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "3.14",
    "1e2",
    "1E-130",
    "9.9999999999999999999999999999999999999E+125",
    "-9.9999999999999999999999999999999999999E+125",
    "1e126",
    "1e-131",
    "12345678901234567890123456789012345678",
    "123456789012345678901234567890123456789",
    "0.0000000000000000000000000000000000000001",
    "abc",
    "",
    " 1",
    "1e99999999999999999999",
    "NaN",
    "Infinity",
    "-",
    ".",
    "1.",
    ".5",
    "+5",
    "0x10",
];

impl Gen {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Gen {
        Gen {
            rng: rand::SeedableRng::seed_from_u64(seed),
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("non-empty")
    }

    /// A string: usually short, sometimes empty, unicode, or at the key limits.
    pub fn string(&mut self) -> String {
        match self.rng.gen_range(0..20) {
            0 => String::new(),
            1 => "é".repeat(self.rng.gen_range(1..1100)),
            2 => "k".repeat(*self.pick(&[1023, 1024, 1025, 2047, 2048, 2049, 5000])),
            3 => "\u{3000}ab \u{0}\u{ffff}𝄞".into(),
            4 => (0..self.rng.gen_range(0..40))
                .map(|_| self.rng.gen_range(0u8..128) as char)
                .collect(),
            _ => format!("v{}", self.rng.gen_range(0..8)),
        }
    }

    fn number(&mut self) -> String {
        if self.chance(0.5) {
            self.pick(NUMBERS).to_string()
        } else {
            self.rng.gen_range(-1000i64..1000).to_string()
        }
    }

    fn binary(&mut self) -> String {
        if self.chance(0.05) {
            return "not base64!".into();
        }
        let len = if self.chance(0.05) {
            3000
        } else {
            self.rng.gen_range(0..12)
        };
        let bytes: Vec<u8> = (0..len).map(|_| self.rng.gen()).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// An attribute name: from a small pool, so paths and keys meet stored attributes.
    pub fn name(&mut self) -> String {
        match self.rng.gen_range(0..30) {
            0 => String::new(),
            1 => "a".repeat(300),
            _ => self.pick(NAMES).to_string(),
        }
    }

    /// An attribute value in DynamoDB JSON, nested at most `depth` more levels (sometimes
    /// malformed: no type, two types, a wrong JSON type, an empty set).
    pub fn value(&mut self, depth: u32) -> Value {
        let kinds = if depth == 0 { 8 } else { 11 };
        match self.rng.gen_range(0..kinds + 1) {
            0 => json!({"S": self.string()}),
            1 => json!({"N": self.number()}),
            2 => json!({"B": self.binary()}),
            3 => json!({"BOOL": self.chance(0.5)}),
            4 => json!({"NULL": !self.chance(0.05)}),
            5 => {
                let n = self.rng.gen_range(0..4);
                json!({"SS": (0..n).map(|_| self.string()).collect::<Vec<_>>()})
            }
            6 => {
                let n = self.rng.gen_range(0..4);
                json!({"NS": (0..n).map(|_| self.number()).collect::<Vec<_>>()})
            }
            7 => {
                let n = self.rng.gen_range(0..3);
                json!({"BS": (0..n).map(|_| self.binary()).collect::<Vec<_>>()})
            }
            8 if depth > 0 => {
                let n = self.rng.gen_range(0..4);
                json!({"L": (0..n).map(|_| self.value(depth - 1)).collect::<Vec<_>>()})
            }
            9 | 10 if depth > 0 => {
                let n = self.rng.gen_range(0..4);
                let m: Map<String, Value> = (0..n)
                    .map(|_| (self.name(), self.value(depth - 1)))
                    .collect();
                json!({ "M": m })
            }
            _ => match self.rng.gen_range(0..5) {
                0 => json!({}),
                1 => json!({"S": "a", "N": "1"}),
                2 => json!({"S": 5}),
                3 => json!({"Q": "x"}),
                _ => {
                    let levels = self.rng.gen_range(28..40);
                    self.deep(levels)
                }
            },
        }
    }

    /// A value nested exactly `levels` maps deep.
    pub fn deep(&self, levels: usize) -> Value {
        (0..levels).fold(json!({"S": "leaf"}), |v, _| json!({"M": {"n": v}}))
    }

    /// A key for `table` (index into [`TABLES`]), sometimes of the wrong type or shape.
    pub fn key(&mut self, table: usize) -> Map<String, Value> {
        let (_, pk, sk) = TABLES[table];
        let mut m = Map::new();
        m.insert("pk".into(), self.key_value(pk));
        if let Some(sk) = sk {
            if !self.chance(0.03) {
                m.insert("sk".into(), self.key_value(sk));
            }
        }
        if self.chance(0.03) {
            m.insert("extra".into(), json!({"S": "x"}));
        }
        m
    }

    fn key_value(&mut self, ty: &str) -> Value {
        if self.chance(0.03) {
            return self.value(1);
        }
        match ty {
            "S" if self.chance(0.9) => json!({"S": format!("k{}", self.rng.gen_range(0..20))}),
            "S" => json!({"S": self.string()}),
            "N" if self.chance(0.9) => json!({"N": self.rng.gen_range(0..20).to_string()}),
            "N" => json!({"N": self.number()}),
            _ if self.chance(0.9) => {
                json!({"B": base64::engine::general_purpose::STANDARD.encode([self.rng.gen_range(0u8..20)])})
            }
            _ => json!({"B": self.binary()}),
        }
    }

    /// A full item for `table`: its key plus a few attributes.
    pub fn item(&mut self, table: usize) -> Map<String, Value> {
        let mut m = self.key(table);
        for _ in 0..self.rng.gen_range(0..5) {
            let name = self.name();
            if name != "pk" && name != "sk" {
                let v = self.value(3);
                m.insert(name, v);
            }
        }
        if table == 1 && self.chance(0.5) {
            m.insert(
                "g".into(),
                json!({"S": format!("g{}", self.rng.gen_range(0..4))}),
            );
        }
        m
    }

    /// A document path: names, placeholders, list indexes, nesting.
    pub fn path(&mut self) -> String {
        let mut p = if self.chance(0.3) {
            "#n".to_string()
        } else {
            self.pick(&["a", "b", "l", "m", "s", "pk", "sk", "g"])
                .to_string()
        };
        for _ in 0..self.rng.gen_range(0..3) {
            match self.rng.gen_range(0..4) {
                0 => p.push_str(&format!("[{}]", self.rng.gen_range(0..4))),
                1 => p.push_str("[99999999999999999999]"),
                2 => p.push_str(".x"),
                _ => p.push_str(".#n"),
            }
        }
        p
    }

    fn placeholder(&mut self) -> &'static str {
        const PLACEHOLDERS: &[&str] = &[":v", ":v", ":n", ":n", ":s", ":l", ":t", ":missing"];
        PLACEHOLDERS[self.rng.gen_range(0..PLACEHOLDERS.len())]
    }

    /// A ConditionExpression or FilterExpression, at most `depth` levels of operators.
    pub fn condition(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.chance(0.4);
        if leaf {
            return match self.rng.gen_range(0..12) {
                0 => format!("attribute_exists({})", self.path()),
                1 => format!("attribute_not_exists({})", self.path()),
                2 => format!("attribute_type({}, :t)", self.path()),
                3 => format!("begins_with({}, {})", self.path(), self.placeholder()),
                4 => format!("contains({}, {})", self.path(), self.placeholder()),
                5 => format!(
                    "size({}) {} :n",
                    self.path(),
                    self.pick(&["=", "<", ">=", "<>"])
                ),
                6 => format!(
                    "{} BETWEEN {} AND {}",
                    self.path(),
                    self.placeholder(),
                    self.placeholder()
                ),
                7 => {
                    let n = self.rng.gen_range(1..6);
                    let args: Vec<&str> = (0..n).map(|_| self.placeholder()).collect();
                    format!("{} IN ({})", self.path(), args.join(", "))
                }
                8 => self.garbage(),
                _ => format!(
                    "{} {} {}",
                    self.path(),
                    self.pick(&["=", "<>", "<", "<=", ">", ">="]),
                    if self.chance(0.7) {
                        self.placeholder().to_string()
                    } else {
                        self.path()
                    }
                ),
            };
        }
        match self.rng.gen_range(0..4) {
            0 => format!("NOT {}", self.condition(depth - 1)),
            1 => format!("({})", self.condition(depth - 1)),
            2 => format!(
                "{} AND {}",
                self.condition(depth - 1),
                self.condition(depth - 1)
            ),
            _ => format!(
                "{} OR {}",
                self.condition(depth - 1),
                self.condition(depth - 1)
            ),
        }
    }

    /// Tokens of the expression language in random order.
    pub fn garbage(&mut self) -> String {
        const TOKENS: &[&str] = &[
            "(",
            ")",
            "[",
            "]",
            ",",
            ".",
            "=",
            "<",
            ">",
            "<>",
            "AND",
            "OR",
            "NOT",
            "BETWEEN",
            "IN",
            "SET",
            "REMOVE",
            "ADD",
            "DELETE",
            "size",
            "a",
            "#n",
            ":v",
            "#",
            ":",
            "1",
            "-",
            "+",
            "list_append",
            "if_not_exists",
            "\u{3000}",
            "é",
            "''",
            "\"",
        ];
        let n = self.rng.gen_range(1..12);
        (0..n)
            .map(|_| *self.pick(TOKENS))
            .collect::<Vec<_>>()
            .join(if self.chance(0.5) { " " } else { "" })
    }

    /// An UpdateExpression.
    pub fn update(&mut self) -> String {
        if self.chance(0.05) {
            return self.garbage();
        }
        let mut clauses = Vec::new();
        if self.chance(0.7) {
            let n = self.rng.gen_range(1..4);
            let sets: Vec<String> = (0..n)
                .map(|_| {
                    let operand = self.set_operand(2);
                    format!("{} = {}", self.path(), operand)
                })
                .collect();
            clauses.push(format!("SET {}", sets.join(", ")));
        }
        if self.chance(0.3) {
            clauses.push(format!("REMOVE {}", self.path()));
        }
        if self.chance(0.3) {
            clauses.push(format!("ADD {} {}", self.path(), self.placeholder()));
        }
        if self.chance(0.2) {
            clauses.push(format!("DELETE {} {}", self.path(), self.placeholder()));
        }
        if clauses.is_empty() {
            clauses.push("SET a = :v".into());
        }
        clauses.join(" ")
    }

    fn set_operand(&mut self, depth: u32) -> String {
        match self.rng.gen_range(0..if depth == 0 { 2 } else { 6 }) {
            0 => self.placeholder().to_string(),
            1 => self.path(),
            2 => format!(
                "{} + {}",
                self.set_operand(depth - 1),
                self.set_operand(depth - 1)
            ),
            3 => format!("{} - :n", self.path()),
            4 => format!(
                "list_append({}, {})",
                self.set_operand(depth - 1),
                self.set_operand(depth - 1)
            ),
            _ => format!(
                "if_not_exists({}, {})",
                self.path(),
                self.set_operand(depth - 1)
            ),
        }
    }

    /// A ProjectionExpression.
    pub fn projection(&mut self) -> String {
        let n = self.rng.gen_range(1..4);
        (0..n).map(|_| self.path()).collect::<Vec<_>>().join(", ")
    }

    /// ExpressionAttributeNames and Values for the placeholders the request's expressions
    /// use (usually exactly those: DynamoDB refuses unused ones, which would stop most
    /// requests at validation).
    pub fn placeholders(&mut self, req: &mut Map<String, Value>) {
        let text: String = req
            .iter()
            .filter(|(k, _)| k.ends_with("Expression"))
            .filter_map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let everything = self.chance(0.05);
        if everything || text.contains("#n") {
            let n = if self.chance(0.05) {
                json!("")
            } else {
                json!(self.name())
            };
            req.insert("ExpressionAttributeNames".into(), json!({ "#n": n }));
        }
        let mut v = Map::new();
        for p in [":v", ":n", ":s", ":l", ":t"] {
            if !everything && !text.contains(p) {
                continue;
            }
            let value = match p {
                ":n" => json!({"N": self.number()}),
                ":s" => json!({"SS": [self.string()]}),
                ":l" => json!({"L": [self.value(1)]}),
                ":t" => json!({"S": self.pick(&["S", "N", "B", "SS", "L", "M", "X"]).to_string()}),
                _ => self.value(2),
            };
            v.insert(p.into(), value);
        }
        if !v.is_empty() {
            req.insert("ExpressionAttributeValues".into(), Value::Object(v));
        }
    }
}

impl Gen {
    /// A PartiQL literal for a key of type `ty`, or a `?` whose value goes to `params`.
    fn partiql_key(&mut self, ty: &str, params: &mut Vec<Value>) -> String {
        if ty == "B" || self.chance(0.5) {
            params.push(self.key_value(ty));
            return "?".into();
        }
        match ty {
            "S" => format!("'k{}'", self.rng.gen_range(0..20)),
            _ => self.rng.gen_range(0..20).to_string(),
        }
    }

    /// A PartiQL value literal: scalars, lists, tuples, bags, sometimes a parameter.
    fn partiql_value(&mut self, depth: u32, params: &mut Vec<Value>) -> String {
        let choice = if depth == 0 {
            self.rng.gen_range(0..6)
        } else {
            self.rng.gen_range(0..9)
        };
        match choice {
            0 => format!("'{}'", self.pick(&["x", "", "it''s", "k1"])),
            1 => self
                .pick(&[
                    "1",
                    "-2.5",
                    "1e3",
                    "0",
                    "99999999999999999999999999999999999999999",
                ])
                .to_string(),
            2 => self.pick(&["true", "false", "null"]).to_string(),
            3 => {
                params.push(self.value(1));
                "?".into()
            }
            4 => self
                .pick(&[
                    "<<'a', 'b'>>",
                    "<<1, 2>>",
                    "<<>>",
                    "<<'a', 'a'>>",
                    "<<1, 'x'>>",
                ])
                .to_string(),
            5 => format!("'{}'", "y".repeat(self.rng.gen_range(0..40))),
            6 => format!(
                "[{}, {}]",
                self.partiql_value(depth - 1, params),
                self.partiql_value(depth - 1, params)
            ),
            7 => format!(
                "{{'a': {}, 'b': {}}}",
                self.partiql_value(depth - 1, params),
                self.partiql_value(depth - 1, params)
            ),
            _ => format!("[{}]", self.partiql_value(depth - 1, params)),
        }
    }

    fn partiql_path(&mut self) -> String {
        let mut p = self
            .pick(&["a", "b", "l", "m", "s", "pk", "sk", "g", "\"a\""])
            .to_string();
        for _ in 0..self.rng.gen_range(0..3) {
            match self.rng.gen_range(0..3) {
                0 => p.push_str(&format!("[{}]", self.rng.gen_range(0..4))),
                1 => p.push_str(".x"),
                _ => p.push_str("['y']"),
            }
        }
        p
    }

    fn partiql_condition(&mut self, depth: u32, params: &mut Vec<Value>) -> String {
        if depth == 0 || self.chance(0.4) {
            let path = self.partiql_path();
            let value = self.partiql_value(1, params);
            return match self.rng.gen_range(0..10) {
                0 => format!("{path} IS MISSING"),
                1 => format!("{path} IS NOT NULL"),
                2 => format!("begins_with({path}, {value})"),
                3 => format!("contains({path}, {value})"),
                4 => format!("attribute_type({path}, 'S')"),
                5 => format!("size({path}) > {value}"),
                6 => format!(
                    "{path} BETWEEN {value} AND {}",
                    self.partiql_value(0, params)
                ),
                7 => format!("{path} IN [{value}, {}]", self.partiql_value(0, params)),
                _ => format!(
                    "{path} {} {value}",
                    self.pick(&["=", "<>", "<", "<=", ">", ">=", "!="])
                ),
            };
        }
        match self.rng.gen_range(0..3) {
            0 => format!(
                "{} AND {}",
                self.partiql_condition(depth - 1, params),
                self.partiql_condition(depth - 1, params)
            ),
            1 => format!(
                "({} OR {})",
                self.partiql_condition(depth - 1, params),
                self.partiql_condition(depth - 1, params)
            ),
            _ => format!("NOT {}", self.partiql_condition(depth - 1, params)),
        }
    }

    /// A WHERE clause on table `t`'s key (sometimes only part of it), maybe with more.
    fn partiql_where(&mut self, t: usize, params: &mut Vec<Value>) -> String {
        let (_, pk, sk) = TABLES[t];
        let mut w = match self.rng.gen_range(0..6) {
            0 => format!(
                "pk IN [{}, {}]",
                self.partiql_key(pk, params),
                self.partiql_key(pk, params)
            ),
            1 => self.partiql_condition(2, params),
            _ => format!("pk = {}", self.partiql_key(pk, params)),
        };
        if let Some(sk) = sk {
            if self.chance(0.8) {
                let op = self.pick(&["=", "=", "<", ">=", "BETWEEN"]).to_string();
                let k = self.partiql_key(sk, params);
                if op == "BETWEEN" {
                    let k2 = self.partiql_key(sk, params);
                    w.push_str(&format!(" AND sk BETWEEN {k} AND {k2}"));
                } else {
                    w.push_str(&format!(" AND sk {op} {k}"));
                }
            }
        }
        if self.chance(0.3) {
            w.push_str(&format!(" AND {}", self.partiql_condition(1, params)));
        }
        w
    }

    /// A PartiQL statement on the small world's tables and its parameters: SELECT, INSERT,
    /// UPDATE, DELETE, EXISTS, or a token soup.
    pub fn statement(&mut self) -> (String, Vec<Value>) {
        let t = self.rng.gen_range(0..TABLES.len());
        let table = if self.chance(0.05) {
            "missing_table"
        } else {
            TABLES[t].0
        };
        let mut params = Vec::new();
        let text = match self.rng.gen_range(0..12) {
            0..=3 => {
                let from = if t == 1 && self.chance(0.3) {
                    format!("\"{table}\".\"{}\"", self.pick(&["byG", "byL", "nope"]))
                } else {
                    format!("\"{table}\"")
                };
                let proj = if self.chance(0.5) {
                    "*".to_string()
                } else {
                    format!("{}, {}", self.partiql_path(), self.partiql_path())
                };
                let mut s = format!("SELECT {proj} FROM {from}");
                if self.chance(0.8) {
                    s.push_str(&format!(" WHERE {}", self.partiql_where(t, &mut params)));
                }
                if self.chance(0.2) {
                    s.push_str(&format!(
                        " ORDER BY {} {}",
                        self.pick(&["pk", "sk", "a"]),
                        self.pick(&["ASC", "DESC", ""])
                    ));
                }
                s
            }
            4 | 5 => {
                let (_, pk, sk) = TABLES[t];
                let mut fields = vec![format!("'pk': {}", self.partiql_key(pk, &mut params))];
                if let Some(sk) = sk {
                    if !self.chance(0.05) {
                        fields.push(format!("'sk': {}", self.partiql_key(sk, &mut params)));
                    }
                }
                for name in ["a", "m", "l"] {
                    if self.chance(0.5) {
                        fields.push(format!("'{name}': {}", self.partiql_value(2, &mut params)));
                    }
                }
                format!("INSERT INTO \"{table}\" VALUE {{{}}}", fields.join(", "))
            }
            6 | 7 => {
                let mut s = format!("UPDATE \"{table}\"");
                for _ in 0..self.rng.gen_range(1..4) {
                    let path = self.partiql_path();
                    s.push_str(&match self.rng.gen_range(0..5) {
                        0 => format!(" REMOVE {path}"),
                        1 => format!(" SET {path} = {path} + 1"),
                        2 => format!(" SET {path} = list_append({path}, [1])"),
                        3 => format!(" SET {path} = set_add({path}, <<'z'>>)"),
                        _ => format!(" SET {path} = {}", self.partiql_value(2, &mut params)),
                    });
                }
                s.push_str(&format!(" WHERE {}", self.partiql_where(t, &mut params)));
                if self.chance(0.3) {
                    s.push_str(&format!(
                        " RETURNING {} *",
                        self.pick(&["ALL NEW", "ALL OLD", "MODIFIED NEW", "MODIFIED OLD"])
                    ));
                }
                s
            }
            8 | 9 => {
                let mut s = format!(
                    "DELETE FROM \"{table}\" WHERE {}",
                    self.partiql_where(t, &mut params)
                );
                if self.chance(0.2) {
                    s.push_str(" RETURNING ALL OLD *");
                }
                s
            }
            10 => format!(
                "EXISTS(SELECT * FROM \"{table}\" WHERE {})",
                self.partiql_where(t, &mut params)
            ),
            _ => {
                let words = [
                    "SELECT",
                    "*",
                    "FROM",
                    "\"fuzz_s\"",
                    "WHERE",
                    "pk",
                    "=",
                    "?",
                    "'k1'",
                    "AND",
                    "OR",
                    "NOT",
                    "(",
                    ")",
                    "[",
                    "]",
                    "{",
                    "}",
                    "<<",
                    ">>",
                    ",",
                    ":",
                    "IN",
                    "IS",
                    "MISSING",
                    "UPDATE",
                    "SET",
                    "REMOVE",
                    "DELETE",
                    "INSERT",
                    "INTO",
                    "VALUE",
                    "RETURNING",
                    ".",
                    "1",
                ];
                let n = self.rng.gen_range(0..25);
                let text: Vec<&str> = (0..n).map(|_| *self.pick(&words)).collect();
                for _ in 0..text.iter().filter(|w| **w == "?").count() {
                    params.push(self.value(1));
                }
                text.join(" ")
            }
        };
        // Now and then the parameter count is off by one.
        if self.chance(0.05) {
            params.push(json!({"S": "extra"}));
        }
        (text, params)
    }
}
