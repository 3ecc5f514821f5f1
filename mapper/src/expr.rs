//! Typed conditions and filters, rendered to DynamoDB expressions with placeholders.
//!
//! Every attribute name goes through `ExpressionAttributeNames` and every value through
//! `ExpressionAttributeValues`, so reserved words (`name`, `status`, `data`...) and any value are
//! safe. Conditions are values: combine them with `&`, `|` and `!` (or `.and`, `.or`, `.not`).

use crate::error::{Error, Result};
use crate::model::{value, Item};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use std::collections::HashMap;
use std::marker::PhantomData;

/// A path to an attribute, possibly nested: `attr("address").key("city")`, `attr("tags").index(0)`.
///
/// Untyped, for what the model's fields do not name: attributes inside maps and lists, or
/// attributes another writer added. Each name is sent as a placeholder, so reserved words
/// (`name`, `status`, `data`) need no quoting.
///
/// ```
/// use dynamodb_mapper::{attr, Path};
/// let city = attr("address").key("city");
/// assert_eq!(city, Path::from("address").key("city"));
/// // Sent as `#n0.#n1 = :v0` and `begins_with(#n2[0], :v1)`:
/// let in_paris = city.eq("Paris") & attr("tags").index(0).begins_with("vip");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Name(String),
    Index(usize),
}

/// A path starting at a top-level attribute.
pub fn attr(name: impl Into<String>) -> Path {
    Path(vec![Segment::Name(name.into())])
}

impl Path {
    /// A member of a map attribute.
    pub fn key(mut self, name: impl Into<String>) -> Path {
        self.0.push(Segment::Name(name.into()));
        self
    }
    /// The top-level attribute the path starts at.
    pub(crate) fn root(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Name(n)) => Some(n),
            _ => None,
        }
    }
    /// An element of a list attribute.
    pub fn index(mut self, i: usize) -> Path {
        self.0.push(Segment::Index(i));
        self
    }

    fn cmp(self, op: &'static str, v: impl Serialize) -> Condition {
        Condition::compare(Operand::Path(self), op, v)
    }
    /// `= v`.
    pub fn eq(self, v: impl Serialize) -> Condition {
        self.cmp("=", v)
    }
    /// `<> v`.
    pub fn ne(self, v: impl Serialize) -> Condition {
        self.cmp("<>", v)
    }
    /// `< v`.
    pub fn lt(self, v: impl Serialize) -> Condition {
        self.cmp("<", v)
    }
    /// `<= v`.
    pub fn le(self, v: impl Serialize) -> Condition {
        self.cmp("<=", v)
    }
    /// `> v`.
    pub fn gt(self, v: impl Serialize) -> Condition {
        self.cmp(">", v)
    }
    /// `>= v`.
    pub fn ge(self, v: impl Serialize) -> Condition {
        self.cmp(">=", v)
    }
    /// `BETWEEN low AND high` (both ends included).
    pub fn between(self, low: impl Serialize, high: impl Serialize) -> Condition {
        match (value(low), value(high)) {
            (Ok(a), Ok(b)) => Condition::Between(Operand::Path(self), a, b),
            (Err(e), _) | (_, Err(e)) => Condition::Invalid(e.to_string()),
        }
    }
    /// `path IN (v1, v2, ...)`: DynamoDB accepts up to 100 values.
    pub fn is_in<V: Serialize>(self, values: impl IntoIterator<Item = V>) -> Condition {
        match values.into_iter().map(value).collect::<Result<Vec<_>>>() {
            Ok(vs) => Condition::In(self, vs),
            Err(e) => Condition::Invalid(e.to_string()),
        }
    }
    /// `begins_with(path, prefix)`.
    pub fn begins_with(self, prefix: impl Serialize) -> Condition {
        Condition::function("begins_with", self, Some(prefix))
    }
    /// A substring of a string, or an element of a set or list.
    pub fn contains(self, v: impl Serialize) -> Condition {
        Condition::function("contains", self, Some(v))
    }
    /// `NOT contains(path, v)`.
    pub fn not_contains(self, v: impl Serialize) -> Condition {
        !self.contains(v)
    }
    /// `attribute_exists(path)`.
    pub fn exists(self) -> Condition {
        Condition::Exists(self, true)
    }
    /// `attribute_not_exists(path)`.
    pub fn not_exists(self) -> Condition {
        Condition::Exists(self, false)
    }
    /// `attribute_type(path, t)`.
    pub fn attribute_type(self, t: AttributeType) -> Condition {
        Condition::Type(self, t)
    }
    /// The attribute's size: string length in bytes, binary length, or element count.
    pub fn size(self) -> Size {
        Size(self)
    }
}

/// The types `attribute_type` tests for.
///
/// An `Option` field without `skip_serializing_if` stores `None` as NULL: the attribute
/// exists, so `exists()` matches it, and only `attribute_type` tells NULL from a value.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::{attr, AttributeType};
/// let unset = attr("email").attribute_type(AttributeType::Null) | attr("email").not_exists();
/// let without_email = mapper.scan::<User>().filter(unset).count().await?;
/// // An attribute another writer stored with another type (a string age, say):
/// let f = User::fields();
/// let odd = f.age.exists() & !f.age.attribute_type(AttributeType::N);
/// let odd_users = mapper.scan::<User>().filter(odd).count().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// String.
    S,
    /// String set.
    SS,
    /// Number.
    N,
    /// Number set.
    NS,
    /// Binary.
    B,
    /// Binary set.
    BS,
    /// Boolean.
    Bool,
    /// Null.
    Null,
    /// List.
    L,
    /// Map.
    M,
}

impl AttributeType {
    fn code(self) -> &'static str {
        match self {
            AttributeType::S => "S",
            AttributeType::SS => "SS",
            AttributeType::N => "N",
            AttributeType::NS => "NS",
            AttributeType::B => "B",
            AttributeType::BS => "BS",
            AttributeType::Bool => "BOOL",
            AttributeType::Null => "NULL",
            AttributeType::L => "L",
            AttributeType::M => "M",
        }
    }
}

/// `size(path)`, compared with numbers.
///
/// A string's size is its length in bytes (UTF-8), a binary's its length, a set's, list's or
/// map's its number of elements.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::{attr, Update};
/// // Append a tag only while the list holds fewer than ten: DynamoDB checks the condition
/// // and writes in one step, so two writers cannot both pass at nine.
/// let tag = Update::<User>::new(User::key("ann"))
///     .append("tags", vec!["admin"])
///     .condition(attr("tags").size().lt(10) | attr("tags").not_exists());
/// mapper.update(tag).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Size(Path);

impl Size {
    fn cmp(self, op: &'static str, n: usize) -> Condition {
        Condition::compare(Operand::Size(self.0), op, n)
    }
    /// `size(path) = n`.
    pub fn eq(self, n: usize) -> Condition {
        self.cmp("=", n)
    }
    /// `size(path) <> n`.
    pub fn ne(self, n: usize) -> Condition {
        self.cmp("<>", n)
    }
    /// `size(path) < n`.
    pub fn lt(self, n: usize) -> Condition {
        self.cmp("<", n)
    }
    /// `size(path) <= n`.
    pub fn le(self, n: usize) -> Condition {
        self.cmp("<=", n)
    }
    /// `size(path) > n`.
    pub fn gt(self, n: usize) -> Condition {
        self.cmp(">", n)
    }
    /// `size(path) >= n`.
    pub fn ge(self, n: usize) -> Condition {
        self.cmp(">=", n)
    }
    /// `size(path) BETWEEN low AND high`.
    pub fn between(self, low: usize, high: usize) -> Condition {
        match (value(low), value(high)) {
            (Ok(a), Ok(b)) => Condition::Between(Operand::Size(self.0), a, b),
            (Err(e), _) | (_, Err(e)) => Condition::Invalid(e.to_string()),
        }
    }
}

/// A typed handle on one attribute of a model, made by `#[derive(Model)]`: comparisons take
/// values of the field's own type, so a date-time field is compared as the date-time it stores.
///
/// `User::fields().age` is a `Field<u32>`: it takes `u32`s, so a string for the number does not
/// compile.
///
/// ```
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// use dynamodb_mapper::{attr, Path};
/// let f = User::fields();
/// assert_eq!(f.age.name(), "age");
/// assert_eq!(Path::from(f.age), attr("age"));
/// let teens = f.age.between(13u32, 19u32);
/// let ann_or_bob = f.name.is_in(["ann", "bob"]);
/// ```
pub struct Field<T> {
    pub(crate) name: &'static str,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Field<T> {}
impl<T> std::fmt::Debug for Field<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({})", self.name)
    }
}

impl<T> Field<T> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Field {
            name,
            _t: PhantomData,
        }
    }
    /// The attribute's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The attribute as a path, to reach inside it (`.key("city")`, `.index(0)`).
    pub fn path(&self) -> Path {
        attr(self.name)
    }
}

impl<T: Serialize> Field<T> {
    /// `= v`.
    pub fn eq(self, v: impl Into<T>) -> Condition {
        self.path().eq(v.into())
    }
    /// `<> v`.
    pub fn ne(self, v: impl Into<T>) -> Condition {
        self.path().ne(v.into())
    }
    /// `< v`.
    pub fn lt(self, v: impl Into<T>) -> Condition {
        self.path().lt(v.into())
    }
    /// `<= v`.
    pub fn le(self, v: impl Into<T>) -> Condition {
        self.path().le(v.into())
    }
    /// `> v`.
    pub fn gt(self, v: impl Into<T>) -> Condition {
        self.path().gt(v.into())
    }
    /// `>= v`.
    pub fn ge(self, v: impl Into<T>) -> Condition {
        self.path().ge(v.into())
    }
    /// `BETWEEN low AND high` (both ends included).
    pub fn between(self, low: impl Into<T>, high: impl Into<T>) -> Condition {
        self.path().between(low.into(), high.into())
    }
    /// `IN (v1, v2, ...)`.
    pub fn is_in<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Condition {
        self.path().is_in(values.into_iter().map(Into::into))
    }
    /// For strings and binary: the prefix has the field's type.
    pub fn begins_with(self, prefix: impl Into<T>) -> Condition {
        self.path().begins_with(prefix.into())
    }
    /// A substring, or an element of a list or set field (so the value is untyped).
    pub fn contains(self, v: impl Serialize) -> Condition {
        self.path().contains(v)
    }
    /// `NOT contains(attribute, v)`.
    pub fn not_contains(self, v: impl Serialize) -> Condition {
        self.path().not_contains(v)
    }
    /// `attribute_exists(attribute)`.
    pub fn exists(self) -> Condition {
        self.path().exists()
    }
    /// `attribute_not_exists(attribute)`.
    pub fn not_exists(self) -> Condition {
        self.path().not_exists()
    }
    /// `attribute_type(attribute, t)`.
    pub fn attribute_type(self, t: AttributeType) -> Condition {
        self.path().attribute_type(t)
    }
    /// `size(attribute)`, to compare with numbers.
    pub fn size(self) -> Size {
        self.path().size()
    }
}

impl<T> From<Field<T>> for Path {
    fn from(f: Field<T>) -> Path {
        f.path()
    }
}

impl From<&str> for Path {
    fn from(name: &str) -> Path {
        attr(name)
    }
}

#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Operand {
    Path(Path),
    Size(Path),
}

/// A condition on an item: for ConditionExpression (writes), FilterExpression (reads) and
/// condition checks in transactions.
///
/// Conditions are values: combine them with `&`, `|` and `!`, keep them, clone them, or fold a
/// list of them with [`Condition::all`]. A value that does not convert is reported when the
/// request is sent.
///
/// ```
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// use dynamodb_mapper::{attr, Condition};
/// let f = User::fields();
/// let adult = f.age.ge(18u32);
/// let c = (adult.clone() & !f.name.begins_with("test-")) | attr("vip").eq(true);
/// // The filters a user picked in a search form; none picked is no filter at all.
/// let picked = Condition::all([adult, f.name.ne("root")]);
/// assert!(picked.is_some());
/// assert!(Condition::all(Vec::new()).is_none());
/// ```
#[derive(Debug, Clone)]
pub enum Condition {
    #[doc(hidden)]
    Compare(Operand, &'static str, AttributeValue),
    #[doc(hidden)]
    Between(Operand, AttributeValue, AttributeValue),
    #[doc(hidden)]
    In(Path, Vec<AttributeValue>),
    #[doc(hidden)]
    Function(&'static str, Path, Option<AttributeValue>),
    #[doc(hidden)]
    Exists(Path, bool),
    #[doc(hidden)]
    Type(Path, AttributeType),
    #[doc(hidden)]
    And(Box<Condition>, Box<Condition>),
    #[doc(hidden)]
    Or(Box<Condition>, Box<Condition>),
    #[doc(hidden)]
    Not(Box<Condition>),
    /// A value that did not convert: reported when the request is sent.
    #[doc(hidden)]
    Invalid(String),
}

impl Condition {
    fn compare(left: Operand, op: &'static str, v: impl Serialize) -> Condition {
        match value(v) {
            Ok(v) => Condition::Compare(left, op, v),
            Err(e) => Condition::Invalid(e.to_string()),
        }
    }
    fn function(name: &'static str, path: Path, v: Option<impl Serialize>) -> Condition {
        match v.map(value).transpose() {
            Ok(v) => Condition::Function(name, path, v),
            Err(e) => Condition::Invalid(e.to_string()),
        }
    }
    /// Both conditions.
    pub fn and(self, other: Condition) -> Condition {
        Condition::And(Box::new(self), Box::new(other))
    }
    /// Either condition.
    pub fn or(self, other: Condition) -> Condition {
        Condition::Or(Box::new(self), Box::new(other))
    }
    #[allow(clippy::should_implement_trait)]
    /// The condition negated.
    pub fn not(self) -> Condition {
        Condition::Not(Box::new(self))
    }
    /// All of the conditions (`None` for none).
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Option<Condition> {
        conditions.into_iter().reduce(Condition::and)
    }

    /// `path = value` for a raw value (`attribute_type(path, NULL)` for NULL, which DynamoDB
    /// does not compare with `=`).
    pub(crate) fn equals_raw(path: Path, v: AttributeValue) -> Condition {
        match v {
            AttributeValue::Null(_) => Condition::Type(path, AttributeType::Null),
            v => Condition::Compare(Operand::Path(path), "=", v),
        }
    }

    pub(crate) fn render(&self, p: &mut Placeholders) -> Result<String> {
        let operand = |o: &Operand, p: &mut Placeholders| match o {
            Operand::Path(path) => p.path(path),
            Operand::Size(path) => format!("size({})", p.path(path)),
        };
        Ok(match self {
            Condition::Compare(o, op, v) => {
                format!("{} {op} {}", operand(o, p), p.value(v.clone()))
            }
            Condition::Between(o, a, b) => format!(
                "{} BETWEEN {} AND {}",
                operand(o, p),
                p.value(a.clone()),
                p.value(b.clone())
            ),
            Condition::In(path, vs) => {
                if vs.is_empty() {
                    return Err(Error::Expression("IN needs at least one value".into()));
                }
                let path = p.path(path);
                let vs: Vec<String> = vs.iter().map(|v| p.value(v.clone())).collect();
                format!("{path} IN ({})", vs.join(", "))
            }
            Condition::Function(name, path, v) => match v {
                Some(v) => format!("{name}({}, {})", p.path(path), p.value(v.clone())),
                None => format!("{name}({})", p.path(path)),
            },
            Condition::Exists(path, true) => format!("attribute_exists({})", p.path(path)),
            Condition::Exists(path, false) => format!("attribute_not_exists({})", p.path(path)),
            Condition::Type(path, t) => format!(
                "attribute_type({}, {})",
                p.path(path),
                p.value(AttributeValue::S(t.code().into()))
            ),
            Condition::And(a, b) => format!("({}) AND ({})", a.render(p)?, b.render(p)?),
            Condition::Or(a, b) => format!("({}) OR ({})", a.render(p)?, b.render(p)?),
            Condition::Not(a) => format!("NOT ({})", a.render(p)?),
            Condition::Invalid(m) => return Err(Error::Expression(m.clone())),
        })
    }
}

impl std::ops::BitAnd for Condition {
    type Output = Condition;
    fn bitand(self, rhs: Condition) -> Condition {
        self.and(rhs)
    }
}

impl std::ops::BitOr for Condition {
    type Output = Condition;
    fn bitor(self, rhs: Condition) -> Condition {
        self.or(rhs)
    }
}

impl std::ops::Not for Condition {
    type Output = Condition;
    fn not(self) -> Condition {
        Condition::Not(Box::new(self))
    }
}

/// The placeholders of one request: all its expressions share them, and only used ones are sent
/// (DynamoDB rejects unused names and values).
#[derive(Default)]
pub(crate) struct Placeholders {
    names: HashMap<String, String>,
    by_name: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Placeholders {
    pub(crate) fn name(&mut self, name: &str) -> String {
        if let Some(p) = self.by_name.get(name) {
            return p.clone();
        }
        let p = format!("#n{}", self.names.len());
        self.names.insert(p.clone(), name.to_string());
        self.by_name.insert(name.to_string(), p.clone());
        p
    }
    pub(crate) fn value(&mut self, v: AttributeValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }
    pub(crate) fn path(&mut self, path: &Path) -> String {
        let mut out = String::new();
        for s in &path.0 {
            match s {
                Segment::Name(n) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.name(n));
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    pub(crate) fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

macro_rules! set_wrapper {
    ($name:ident, $module:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name<T>(pub T);

        impl<T: Serialize> Serialize for $name<T> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serde_dynamo::$module::serialize(&self.0, s)
            }
        }
    };
}

set_wrapper!(
    StringSet,
    string_set,
    "A value written as a string set (SS), for `add`/`delete` on set attributes and set conditions."
);
set_wrapper!(
    NumberSet,
    number_set,
    "A value written as a number set (NS)."
);
set_wrapper!(
    BinarySet,
    binary_set,
    "A value written as a binary set (BS)."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_render_with_shared_placeholders() {
        let mut p = Placeholders::default();
        let c = attr("name").eq("x") & !(attr("age").size().gt(3) | attr("name").exists());
        let s = c.render(&mut p).unwrap();
        assert_eq!(
            s,
            "(#n0 = :v0) AND (NOT ((size(#n1) > :v1) OR (attribute_exists(#n0))))"
        );
        assert_eq!(p.names().unwrap().len(), 2);
        assert_eq!(p.values().unwrap().len(), 2);
        let nested = attr("a").key("b").index(2);
        assert_eq!(p.path(&nested), "#n2.#n3[2]");
    }
}
