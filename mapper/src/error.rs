//! One error type for everything the mapper does, with the SDK's error kept inside.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::fmt;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Why one action of a cancelled transaction failed, in the order the actions were added.
///
/// DynamoDB cancels the whole transaction when any action fails and reports a reason per action
/// (`None` for the actions that would have succeeded).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::{CancelReason, Error};
/// let (ann, bob) = (User { name: "ann".into(), age: 41 }, User { name: "bob".into(), age: 7 });
/// // Both users are created, or neither: raise_on_conflict makes each save create-only.
/// let tx = mapper.transaction().raise_on_conflict(true).save(&ann).save(&bob);
/// match tx.commit().await {
///     Err(Error::TransactionCanceled(reasons)) => {
///         for r in &reasons {
///             if let CancelReason::Conflict { key, .. } = r { println!("{key} is taken") }
///         }
///     }
///     other => other?,
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum CancelReason {
    /// This action was fine; another one cancelled the transaction.
    None,
    /// A conflict check the mapper added (raise_on_conflict or the version attribute) failed:
    /// someone else changed the item since it was read.
    Conflict {
        /// The table.
        table: String,
        /// The item's key, as text.
        key: String,
    },
    /// A condition the caller wrote failed.
    ConditionFailed {
        /// The table.
        table: String,
        /// The item's key, as text.
        key: String,
    },
    /// Another transaction or write was in progress on the item.
    TransactionConflict,
    /// The table or partition was over its capacity.
    Throttled,
    /// The action was invalid (item too large, bad expression, ...).
    Validation(String),
    /// Any other code DynamoDB gives.
    Other {
        /// The reason's code.
        code: String,
        /// Its message.
        message: String,
    },
}

/// Everything that can go wrong.
///
/// The mapper's own checks have their own variants; whatever DynamoDB refuses is
/// [`Error::Service`], with DynamoDB's code ([`Error::code`]) and the SDK error as its source.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let mut ann = User { name: "ann".into(), age: 41 };
/// match mapper.save(&mut ann).raise_on_conflict(true).await {
///     Ok(()) => println!("created"),
///     // The mapper's check failed: an item with this key already exists.
///     Err(e) if e.is_conflict() => println!("ann is taken"),
///     Err(e) if e.code() == Some("ResourceNotFoundException") => println!("no users table"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub enum Error {
    /// DynamoDB (or the transport) answered with an error: its code, message and the SDK error.
    Service {
        /// DynamoDB's error code (`ValidationException`, ...), or the transport's.
        code: String,
        /// The message.
        message: String,
        /// The SDK error, when there is one.
        source: Option<Source>,
    },
    /// An item could not be converted to or from the model.
    Conversion(serde_dynamo::Error),
    /// A key was given for a model whose key schema needs another shape.
    Key(String),
    /// raise_on_conflict or the version attribute found that the stored item changed since it
    /// was read (or exists, for a new item): DynamoDB's ConditionalCheckFailedException on a
    /// condition the mapper wrote.
    Conflict {
        /// The table.
        table: String,
        /// The item's key, as text.
        key: String,
    },
    /// A condition the caller wrote was not met.
    ConditionFailed {
        /// The table.
        table: String,
        /// The item's key, as text.
        key: String,
    },
    /// A transaction was cancelled: one reason per action.
    TransactionCanceled(Vec<CancelReason>),
    /// A batch still had unprocessed keys after every retry.
    Unprocessed {
        /// The table.
        table: String,
        /// Keys or writes left.
        remaining: usize,
    },
    /// An old item could not be migrated to the model's schema version.
    Migration {
        /// The table.
        table: String,
        /// The item's schema version.
        from: u32,
        /// What the migration said.
        message: String,
    },
    /// An expression could not be built (a value that does not convert, an empty update, ...).
    Expression(String),
}

impl Error {
    /// DynamoDB's error code (`ResourceNotFoundException`, ...) for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service { code, .. } => Some(code),
            _ => None,
        }
    }
    /// Whether a conflict check the mapper wrote failed (someone else changed the item).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Service { code, message, .. } => write!(f, "{code}: {message}"),
            Error::Conversion(e) => write!(f, "conversion: {e}"),
            Error::Key(m) => write!(f, "key: {m}"),
            Error::Conflict { table, key } => {
                write!(f, "conflict: {table} {key} changed since it was read")
            }
            Error::ConditionFailed { table, key } => {
                write!(f, "condition failed on {table} {key}")
            }
            Error::TransactionCanceled(reasons) => {
                write!(f, "transaction cancelled: {reasons:?}")
            }
            Error::Unprocessed { table, remaining } => {
                write!(
                    f,
                    "{remaining} keys of {table} still unprocessed after retries"
                )
            }
            Error::Migration {
                table,
                from,
                message,
            } => write!(f, "migrating a {table} item from version {from}: {message}"),
            Error::Expression(m) => write!(f, "expression: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Service {
                source: Some(s), ..
            } => Some(s.as_ref()),
            Error::Conversion(e) => Some(e),
            _ => None,
        }
    }
}

impl From<serde_dynamo::Error> for Error {
    fn from(e: serde_dynamo::Error) -> Self {
        Error::Conversion(e)
    }
}

/// The mapper's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// The SDK's error as ours, keeping it as the source.
pub(crate) fn service<E, R>(e: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let (code, message) = match e.as_service_error() {
        Some(s) => (
            s.code().unwrap_or("Unknown").to_string(),
            s.message().unwrap_or_default().to_string(),
        ),
        None => ("Transport".to_string(), format!("{e}")),
    };
    Error::Service {
        code,
        message,
        source: Some(Box::new(e)),
    }
}

/// A failed condition: a conflict when the mapper wrote the condition for conflict checking,
/// a plain condition failure otherwise.
pub(crate) fn conditional(e: Error, conflict: bool, table: &str, key: &str) -> Error {
    if e.code() != Some("ConditionalCheckFailedException") {
        return e;
    }
    let (table, key) = (table.to_string(), key.to_string());
    if conflict {
        Error::Conflict { table, key }
    } else {
        Error::ConditionFailed { table, key }
    }
}
