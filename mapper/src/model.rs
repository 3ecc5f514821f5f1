//! Models: the trait `#[derive(Model)]` implements, key types, keys, indexes, and loading raw
//! items (with schema migrations) into models.

use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// A raw DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// The attribute that records which schema version wrote an item (only for models that declare
/// `schema_version`).
pub const SCHEMA_VERSION_ATTRIBUTE: &str = "__schema_version__";

/// The attribute of the counter item that auto-increment keys take their numbers from.
pub const COUNTER_ATTRIBUTE: &str = "__max_hash_key__";

/// The hash key of the counter item (the seed library's "magic" key).
pub const COUNTER_KEY: i64 = -1;

/// The scalar types a key attribute can have: DynamoDB keys are strings, numbers or binary.
///
/// ```
/// use dynamodb_mapper::{Model, ScalarType};
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
/// struct Post { id: String, revision: u32, body: String }
/// // The key schema `create_table` sends, typed from the key fields.
/// assert_eq!(Post::HASH_KEY_TYPE, ScalarType::S);
/// assert_eq!(Post::RANGE_KEY_TYPE, Some(ScalarType::N));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    pub(crate) fn sdk(self) -> aws_sdk_dynamodb::types::ScalarAttributeType {
        use aws_sdk_dynamodb::types::ScalarAttributeType as T;
        match self {
            ScalarType::S => T::S,
            ScalarType::N => T::N,
            ScalarType::B => T::B,
        }
    }
}

/// A Rust type that can be a key attribute, and the DynamoDB type it is stored as. The derive
/// uses it to type the table's key schema from the key fields, so a key field of any other type
/// is a compile error rather than a ValidationException at CreateTable.
///
/// Implement it for a newtype that serializes as its inner value, to use it as a key:
///
/// ```
/// use dynamodb_mapper::{Iso8601, KeyAttribute, Model, ScalarType};
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct OrderId(u64);
/// impl KeyAttribute for OrderId { const TYPE: ScalarType = ScalarType::N; }
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "orders", hash_key = "id", range_key = "placed")]
/// struct Order { id: OrderId, placed: Iso8601, total: u32 }
/// assert_eq!(Order::HASH_KEY_TYPE, ScalarType::N);
/// assert_eq!(Order::RANGE_KEY_TYPE, Some(<Iso8601 as KeyAttribute>::TYPE)); // S
/// let key = Order::key(OrderId(7), Iso8601::now());
/// ```
pub trait KeyAttribute {
    /// The DynamoDB type the Rust type is stored as.
    const TYPE: ScalarType;
}

macro_rules! key_attribute {
    ($t:expr; $($ty:ty),*) => { $(impl KeyAttribute for $ty { const TYPE: ScalarType = $t; })* };
}
key_attribute!(ScalarType::S; String, Box<str>, std::borrow::Cow<'static, str>, crate::Iso8601);
key_attribute!(ScalarType::N; u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize,
    f32, f64, crate::EpochSeconds);
key_attribute!(ScalarType::B; crate::Bytes);

/// What a secondary index copies from the table.
///
/// Each write to the table also writes what its indexes copy (and is charged for it): a
/// keys-only index is the cheapest to keep, but a query on it returns only keys, so the model
/// must default the other fields (or fetch the items by key).
///
/// ```
/// use dynamodb_mapper::{Model, Projection};
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "posts", hash_key = "id")]
/// #[dynamodb(gsi(name = "by_author", hash_key = "author", projection = "keys_only"))]
/// #[dynamodb(gsi(name = "by_day", hash_key = "day", projection = "include:title,author"))]
/// struct Post { id: String, author: String, day: String, title: String, body: String }
/// let indexes = Post::indexes();
/// assert_eq!(indexes[0].projection, Projection::KeysOnly);
/// assert_eq!(indexes[1].projection, Projection::Include(&["title", "author"]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// Every attribute.
    All,
    /// The table and index keys only.
    KeysOnly,
    /// The keys and these attributes.
    Include(&'static [&'static str]),
}

/// A secondary index declared on a model with `#[dynamodb(gsi(...))]` or `#[dynamodb(lsi(...))]`.
///
/// ```
/// use dynamodb_mapper::{Model, ScalarType};
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "orders", hash_key = "customer", range_key = "order")]
/// #[dynamodb(lsi(name = "by_total", range_key = "total", projection = "keys_only"))]
/// struct Order { customer: String, order: u32, total: u32 }
/// let lsi = &Order::indexes()[0];
/// // A local index shares the table's partition key, so it sorts a partition another way.
/// assert!(lsi.local && lsi.hash_key.is_none());
/// assert_eq!((lsi.name, lsi.range_key), ("by_total", Some(("total", ScalarType::N))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// The index name.
    pub name: &'static str,
    /// Local indexes share the table's partition key.
    pub local: bool,
    /// The index's partition key and its type (None for an LSI: the table's).
    pub hash_key: Option<(&'static str, ScalarType)>,
    /// The index's sort key and its type, if any.
    pub range_key: Option<(&'static str, ScalarType)>,
    /// What the index copies.
    pub projection: Projection,
}

/// A type stored in a DynamoDB table. Implement it with `#[derive(Model)]`.
///
/// ```
/// use dynamodb_mapper::Model;
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "accounts", hash_key = "id", version = "version")]
/// struct Account { id: String, balance: i64, #[serde(default)] version: u64 }
/// assert_eq!((Account::TABLE, Account::HASH_KEY, Account::RANGE_KEY), ("accounts", "id", None));
/// // Saves check and bump `version`: a writer holding a stale copy gets Error::Conflict.
/// assert_eq!(Account::VERSION_ATTRIBUTE, Some("version"));
/// let overdrawn = Account::fields().balance.lt(0);
/// let key = Account::key("acc-1");
/// ```
pub trait Model: Serialize + DeserializeOwned + Send + 'static {
    /// The table name.
    const TABLE: &'static str;
    /// The partition key attribute.
    const HASH_KEY: &'static str;
    /// The sort key attribute, if any.
    const RANGE_KEY: Option<&'static str>;
    /// The partition key's type.
    const HASH_KEY_TYPE: ScalarType;
    /// The sort key's type, if any.
    const RANGE_KEY_TYPE: Option<ScalarType>;
    /// The optimistic-locking attribute (an integer field), if the model has one.
    const VERSION_ATTRIBUTE: Option<&'static str>;
    /// The schema version items are written with; 0 when the model does not version its schema.
    const SCHEMA_VERSION: u32;
    /// The attribute DynamoDB's time to live reads (`#[dynamodb(ttl = "expires")]`): epoch
    /// seconds as a number ([`crate::EpochSeconds`]; an `Option` of it for items that never
    /// expire). [`Mapper::create_table`](crate::Mapper::create_table) turns TTL on for it;
    /// DynamoDB then deletes expired items in the background (within days, not at once) and
    /// a stream marks those deletions as made by the service.
    const TTL_ATTRIBUTE: Option<&'static str> = None;
    /// For a polymorphic model (an enum with `#[serde(tag = "...")]`): the attribute naming
    /// which variant an item is. Several kinds of item then share one table, as single-table
    /// designs put them, and every read decodes each item as its own variant. Every variant
    /// holds the key attributes; the attributes all variants share (same name, same type)
    /// get typed handles, and so does the discriminator, to filter one kind.
    ///
    /// ```
    /// use dynamodb_mapper::Model;
    /// #[derive(serde::Serialize, serde::Deserialize, Model)]
    /// #[serde(tag = "kind")]
    /// #[dynamodb(table = "library", hash_key = "shelf", range_key = "slot")]
    /// enum Holding {
    ///     Book { shelf: String, slot: u32, title: String, pages: u32 },
    ///     #[serde(rename = "dvd")]
    ///     Film { shelf: String, slot: u32, title: String, minutes: u32 },
    /// }
    /// assert_eq!(Holding::DISCRIMINATOR, Some("kind"));
    /// assert_eq!(Holding::VARIANTS, ["Book", "dvd"]);
    /// let f = Holding::fields();
    /// let (_films, _dunes) = (f.kind.eq("dvd"), f.title.begins_with("Dune"));
    /// let _key = Holding::key("a", 1);
    /// ```
    ///
    /// An enum that serde does not tag internally cannot be a model (its fields would not be
    /// top-level attributes):
    ///
    /// ```compile_fail
    /// use dynamodb_mapper::Model;
    /// #[derive(serde::Serialize, serde::Deserialize, Model)]
    /// #[dynamodb(table = "library", hash_key = "shelf")]
    /// enum Holding {
    ///     Book { shelf: String },
    /// }
    /// ```
    ///
    /// Nor can one whose variants do not all hold the key:
    ///
    /// ```compile_fail
    /// use dynamodb_mapper::Model;
    /// #[derive(serde::Serialize, serde::Deserialize, Model)]
    /// #[serde(tag = "kind")]
    /// #[dynamodb(table = "library", hash_key = "shelf")]
    /// enum Holding {
    ///     Book { shelf: String },
    ///     Film { title: String },
    /// }
    /// ```
    const DISCRIMINATOR: Option<&'static str> = None;
    /// A polymorphic model's variants, as stored in the discriminator.
    const VARIANTS: &'static [&'static str] = &[];
    /// The hash key field's type.
    type HashKey: Serialize;
    /// The range key field's type, `()` without one.
    type RangeKey: Serialize;
    /// Typed handles on the model's attributes (`User::fields().age.gt(30)`).
    type Fields;
    /// The model's typed attribute handles.
    fn fields() -> Self::Fields;
    /// The model's secondary indexes.
    fn indexes() -> Vec<IndexSpec>;
    /// Upgrades a raw item written with schema version `from` to version `from + 1`.
    fn migrate(item: &mut Item, from: u32) -> std::result::Result<(), String> {
        let _ = item;
        Err(format!("no migration from schema version {from}"))
    }
}

pub(crate) fn value(v: impl Serialize) -> Result<AttributeValue> {
    Ok(serde_dynamo::to_attribute_value(v)?)
}

/// A primary key: the partition key, and the sort key for models that have one.
///
/// `#[derive(Model)]` gives every model a `key` function taking each key part as its field's
/// type, so the compiler checks a key against the model: `User::key("ann")` for a model keyed
/// by a string, `Post::key("intro", 3)` for one with a numeric sort key. A key is usable
/// everywhere one is taken (get, batch_get, delete, batch_delete, updates, transactions);
/// a key that does not fit the model's key schema fails the request, not the construction.
///
/// ```
/// use dynamodb_mapper::Model;
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
/// struct Post {
///     id: String,
///     revision: u32,
/// }
/// let key = Post::key("intro", 3);
/// assert_eq!(key, dynamodb_mapper::Key::hash_range("intro", 3u32));
/// ```
///
/// A string for a numeric sort key does not compile:
///
/// ```compile_fail
/// use dynamodb_mapper::Model;
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
/// struct Post {
///     id: String,
///     revision: u32,
/// }
/// let key = Post::key("intro", "three");
/// ```
///
/// Nor does a number for a string partition key, or a sort key for a model without one:
///
/// ```compile_fail
/// use dynamodb_mapper::Model;
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "users", hash_key = "name")]
/// struct User {
///     name: String,
/// }
/// let key = User::key(42);
/// ```
///
/// ```compile_fail
/// use dynamodb_mapper::Model;
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[dynamodb(table = "users", hash_key = "name")]
/// struct User {
///     name: String,
/// }
/// let key = User::key("ann", 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub(crate) hash: AttributeValue,
    pub(crate) range: Option<AttributeValue>,
    /// Why a part did not convert to an attribute value; reported when the key is used, so
    /// building a key never fails (as [`Update`](crate::Update) defers its errors).
    invalid: Option<String>,
}

impl Key {
    /// The key of a model with a partition key only, untyped (for generic code; models have
    /// their typed `key`).
    pub fn hash(h: impl Serialize) -> Key {
        match value(h) {
            Ok(hash) => Key {
                hash,
                range: None,
                invalid: None,
            },
            Err(e) => Key::invalid(e),
        }
    }
    /// The key of a model with a partition and a sort key, untyped.
    pub fn hash_range(h: impl Serialize, r: impl Serialize) -> Key {
        match (value(h), value(r)) {
            (Ok(hash), Ok(range)) => Key {
                hash,
                range: Some(range),
                invalid: None,
            },
            (Err(e), _) | (_, Err(e)) => Key::invalid(e),
        }
    }

    fn invalid(e: Error) -> Key {
        Key {
            hash: AttributeValue::Null(true),
            range: None,
            invalid: Some(e.to_string()),
        }
    }

    /// The key as the item map DynamoDB takes, checked against the model's key schema.
    pub fn item<M: Model>(&self) -> Result<Item> {
        if let Some(why) = &self.invalid {
            return Err(Error::Key(format!(
                "a {} key does not convert: {why}",
                M::TABLE
            )));
        }
        let mut k = HashMap::from([(M::HASH_KEY.to_string(), self.hash.clone())]);
        match (M::RANGE_KEY, &self.range) {
            (Some(r), Some(v)) => {
                k.insert(r.to_string(), v.clone());
            }
            (None, None) => {}
            (Some(r), None) => {
                return Err(Error::Key(format!("{} needs its sort key `{r}`", M::TABLE)))
            }
            (None, Some(_)) => return Err(Error::Key(format!("{} has no sort key", M::TABLE))),
        }
        Ok(k)
    }

    /// The key of a raw item of model `M`.
    pub(crate) fn of<M: Model>(item: &Item) -> Result<Key> {
        let get = |name: &str| {
            item.get(name)
                .cloned()
                .ok_or_else(|| Error::Key(format!("{} item without its key `{name}`", M::TABLE)))
        };
        Ok(Key {
            hash: get(M::HASH_KEY)?,
            range: M::RANGE_KEY.map(get).transpose()?,
            invalid: None,
        })
    }

    pub(crate) fn describe(&self) -> String {
        let show = |v: &AttributeValue| match v {
            AttributeValue::S(s) => format!("{s:?}"),
            AttributeValue::N(n) => n.clone(),
            other => format!("{other:?}"),
        };
        match &self.range {
            Some(r) => format!("({}, {})", show(&self.hash), show(r)),
            None => format!("({})", show(&self.hash)),
        }
    }
}

/// The raw form of a model as it is written: the serialized fields, plus the schema version.
pub(crate) fn to_raw<M: Model>(item: &M) -> Result<Item> {
    let mut raw: Item = serde_dynamo::to_item(item)?;
    if M::SCHEMA_VERSION > 0 {
        raw.insert(
            SCHEMA_VERSION_ATTRIBUTE.into(),
            AttributeValue::N(M::SCHEMA_VERSION.to_string()),
        );
    }
    Ok(raw)
}

/// Loads a raw item into a model, first migrating it if an older schema version wrote it.
/// Items without the version attribute are version 1, the version before any was declared.
pub(crate) fn from_raw<M: Model>(mut raw: Item) -> Result<M> {
    if M::SCHEMA_VERSION > 0 {
        let stored = match raw.get(SCHEMA_VERSION_ATTRIBUTE) {
            Some(AttributeValue::N(n)) => n.parse::<u32>().unwrap_or(1),
            _ => 1,
        };
        if stored > M::SCHEMA_VERSION {
            return Err(Error::Migration {
                table: M::TABLE.into(),
                from: stored,
                message: format!(
                    "written by schema version {stored}, newer than this model's {}",
                    M::SCHEMA_VERSION
                ),
            });
        }
        for from in stored..M::SCHEMA_VERSION {
            M::migrate(&mut raw, from).map_err(|message| Error::Migration {
                table: M::TABLE.into(),
                from,
                message,
            })?;
        }
    }
    Ok(serde_dynamo::from_item(raw)?)
}

/// The counter item of auto-increment keys is stored in the model's table but is not a model.
pub(crate) fn is_counter(raw: &Item) -> bool {
    raw.contains_key(COUNTER_ATTRIBUTE)
}
