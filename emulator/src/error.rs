//! DynamoDB's error model.
//!
//! DynamoDB answers every failure with a JSON body `{"__type": "<namespace>#<Name>", "message": ...}`
//! and an HTTP status: 400 for client errors (the SDKs decide whether to retry from the type name, not
//! the status), 500 for internal errors. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html>.

use std::fmt;

/// The error types DynamoDB returns, named exactly as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Input failed a constraint (the most common error).
    Validation,
    /// The body was not valid JSON, or a member had the wrong JSON type.
    Serialization,
    /// `X-Amz-Target` named an operation DynamoDB does not have.
    UnknownOperation,
    /// The table or index does not exist (or is not ACTIVE yet for item operations).
    ResourceNotFound,
    /// The table exists already, or is being created/deleted.
    ResourceInUse,
    /// A ConditionExpression (or Expected) evaluated to false.
    ConditionalCheckFailed,
    /// Too many tables or concurrent control-plane operations.
    LimitExceeded,
    /// A table, index or partition ran out of capacity (provisioned or on-demand).
    ProvisionedThroughputExceeded,
    /// A TransactWriteItems/TransactGetItems was cancelled.
    TransactionCanceled,
    /// A PartiQL INSERT of an item whose key exists already.
    DuplicateItem,
    /// A ClientRequestToken was reused with different parameters.
    IdempotentParameterMismatch,
    /// No resource-based policy is attached, or not the revision the request expected.
    PolicyNotFound,
    /// A backup or point-in-time operation named a table that does not exist.
    TableNotFound,
    /// A restore's target table exists.
    TableAlreadyExists,
    /// A point-in-time restore's source table does not exist.
    SourceTableNotFound,
    /// No backup has the ARN.
    BackupNotFound,
    /// Point-in-time recovery is off for the table.
    PointInTimeRecoveryUnavailable,
    /// A restore time outside the restorable window.
    InvalidRestoreTime,
    /// A local secondary index's item collection would exceed 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// No export has the ARN.
    ExportNotFound,
    /// No import has the ARN.
    ImportNotFound,
    /// An export time outside the table's point-in-time window.
    InvalidExportTime,
    /// An export's ClientToken reused with other parameters.
    ExportConflict,
    /// An import's ClientToken reused with other parameters.
    ImportConflict,
    /// A stream's shard iterator is older than 15 minutes (DynamoDB Streams).
    ExpiredIterator,
    /// A stream read would start before records that were trimmed (DynamoDB Streams).
    TrimmedDataAccess,
    /// Authentication header missing (only when the emulator is told to require it).
    MissingAuthenticationToken,
    /// An `Authorization` header that lacks parts of a SigV4 signature.
    IncompleteSignature,
    /// A SigV4 signature that does not match the request, or one too old or too new.
    InvalidSignature,
    /// An access key the emulator was not configured with.
    UnrecognizedClient,
    /// A request the emulator refuses to serve (a `Host` that fails the DNS-rebinding check).
    AccessDenied,
    /// A write hit an item an in-flight transaction holds.
    TransactionConflict,
    /// A TransactWriteItems whose ClientRequestToken belongs to a transaction still in flight.
    TransactionInProgress,
    /// The request rate is too high for the service (not a table's capacity: that is
    /// ProvisionedThroughputExceeded). Only injected (a fault rule).
    Throttling,
    /// The service is unavailable (HTTP 503). Only injected (a fault rule).
    ServiceUnavailable,
    /// A bug in the emulator, or an injected InternalServerError.
    InternalServer,
}

impl ErrorKind {
    /// The `__type` value: the namespace DynamoDB uses for the error followed by its name.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "com.amazon.coral.validate#ValidationException",
            ErrorKind::Serialization => "com.amazon.coral.service#SerializationException",
            ErrorKind::UnknownOperation => "com.amazon.coral.service#UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => {
                "com.amazon.coral.service#MissingAuthenticationTokenException"
            }
            ErrorKind::IncompleteSignature => {
                "com.amazon.coral.service#IncompleteSignatureException"
            }
            ErrorKind::InvalidSignature => "com.amazon.coral.service#InvalidSignatureException",
            ErrorKind::UnrecognizedClient => "com.amazon.coral.service#UnrecognizedClientException",
            ErrorKind::AccessDenied => "com.amazon.coral.service#AccessDeniedException",
            ErrorKind::InternalServer => "com.amazonaws.dynamodb.v20120810#InternalServerError",
            ErrorKind::Throttling => "com.amazon.coral.availability#ThrottlingException",
            ErrorKind::ServiceUnavailable => {
                "com.amazon.coral.availability#ServiceUnavailableException"
            }
            other => match other {
                ErrorKind::ResourceNotFound => {
                    "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
                }
                ErrorKind::ResourceInUse => {
                    "com.amazonaws.dynamodb.v20120810#ResourceInUseException"
                }
                ErrorKind::ConditionalCheckFailed => {
                    "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
                }
                ErrorKind::LimitExceeded => {
                    "com.amazonaws.dynamodb.v20120810#LimitExceededException"
                }
                ErrorKind::ProvisionedThroughputExceeded => {
                    "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
                }
                ErrorKind::TransactionCanceled => {
                    "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
                }
                ErrorKind::TransactionConflict => {
                    "com.amazonaws.dynamodb.v20120810#TransactionConflictException"
                }
                ErrorKind::TransactionInProgress => {
                    "com.amazonaws.dynamodb.v20120810#TransactionInProgressException"
                }
                ErrorKind::DuplicateItem => {
                    "com.amazonaws.dynamodb.v20120810#DuplicateItemException"
                }
                ErrorKind::IdempotentParameterMismatch => {
                    "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
                }
                ErrorKind::PolicyNotFound => {
                    "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException"
                }
                ErrorKind::TableNotFound => {
                    "com.amazonaws.dynamodb.v20120810#TableNotFoundException"
                }
                ErrorKind::TableAlreadyExists => {
                    "com.amazonaws.dynamodb.v20120810#TableAlreadyExistsException"
                }
                ErrorKind::SourceTableNotFound => {
                    "com.amazonaws.dynamodb.v20120810#SourceTableNotFoundException"
                }
                ErrorKind::BackupNotFound => {
                    "com.amazonaws.dynamodb.v20120810#BackupNotFoundException"
                }
                ErrorKind::PointInTimeRecoveryUnavailable => {
                    "com.amazonaws.dynamodb.v20120810#PointInTimeRecoveryUnavailableException"
                }
                ErrorKind::InvalidRestoreTime => {
                    "com.amazonaws.dynamodb.v20120810#InvalidRestoreTimeException"
                }
                ErrorKind::ItemCollectionSizeLimitExceeded => {
                    "com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException"
                }
                ErrorKind::ExportNotFound => {
                    "com.amazonaws.dynamodb.v20120810#ExportNotFoundException"
                }
                ErrorKind::ImportNotFound => {
                    "com.amazonaws.dynamodb.v20120810#ImportNotFoundException"
                }
                ErrorKind::InvalidExportTime => {
                    "com.amazonaws.dynamodb.v20120810#InvalidExportTimeException"
                }
                ErrorKind::ExportConflict => {
                    "com.amazonaws.dynamodb.v20120810#ExportConflictException"
                }
                ErrorKind::ImportConflict => {
                    "com.amazonaws.dynamodb.v20120810#ImportConflictException"
                }
                // DynamoDB Streams' own errors live in its own namespace.
                ErrorKind::ExpiredIterator => {
                    "com.amazonaws.dynamodb.streams.v20120810#ExpiredIteratorException"
                }
                ErrorKind::TrimmedDataAccess => {
                    "com.amazonaws.dynamodb.streams.v20120810#TrimmedDataAccessException"
                }
                _ => unreachable!(),
            },
        }
    }

    /// The short name, as the SDKs match on it (`ValidationException`, ...).
    pub fn short_name(self) -> &'static str {
        let full = self.type_name();
        &full[full.find('#').map(|i| i + 1).unwrap_or(0)..]
    }

    /// HTTP status DynamoDB answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InternalServer => 500,
            ErrorKind::ServiceUnavailable => 503,
            _ => 400,
        }
    }
}

/// One DynamoDB error: its kind, its message, and what some errors carry besides.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamoError {
    /// The error type, which decides the `__type` on the wire.
    pub kind: ErrorKind,
    /// The message, DynamoDB's text where it is known.
    pub message: String,
    /// For ConditionalCheckFailedException with `ReturnValuesOnConditionCheckFailure=ALL_OLD`:
    /// the item as it was, in its wire form (the error model sits below the data model).
    pub item: Option<serde_json::Value>,
    /// For TransactionCanceledException: one reason per action, in request order.
    pub cancellation_reasons: Option<Vec<serde_json::Value>>,
    /// For ProvisionedThroughputExceededException: the name of the limit that throttled the
    /// request (`capacity::Limit::as_str`), sent in the `x-emulator-throttled` debug header and
    /// never in the body.
    pub throttle: Option<&'static str>,
}

/// Result alias used across the emulator.
pub type Result<T, E = DynamoError> = std::result::Result<T, E>;

impl DynamoError {
    /// An error of `kind` with `message` and nothing else.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DynamoError {
            kind,
            message: message.into(),
            item: None,
            cancellation_reasons: None,
            throttle: None,
        }
    }
    /// A ValidationException.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    /// `One or more parameter values were invalid: ...`, the prefix DynamoDB puts on most semantic
    /// validation failures.
    pub fn invalid_parameter(detail: impl fmt::Display) -> Self {
        Self::validation(format!(
            "One or more parameter values were invalid: {detail}"
        ))
    }
    /// The answer to a request that hit a bug in the emulator (a panic).
    pub fn internal_bug() -> Self {
        Self::new(
            ErrorKind::InternalServer,
            "Internal server error (an emulator bug: please report it with the request)",
        )
    }
    /// A SerializationException: the body is not the JSON shape the operation expects.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }
    /// The message DynamoDB gives for item operations on a table that does not exist.
    pub fn table_not_found() -> Self {
        Self::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }
    /// `TransactionCanceledException` with one cancellation reason per action, in order; the
    /// message lists their codes as DynamoDB's does.
    pub fn transaction_canceled(reasons: Vec<serde_json::Value>) -> Self {
        let codes: Vec<&str> = reasons
            .iter()
            .map(|r| r["Code"].as_str().unwrap_or("None"))
            .collect();
        let mut e = DynamoError::new(
            ErrorKind::TransactionCanceled,
            format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
        );
        e.cancellation_reasons = Some(reasons);
        e
    }

    /// ConditionalCheckFailedException, with the item as it was (wire form) when asked for.
    pub fn conditional_check_failed(item: Option<serde_json::Value>) -> Self {
        DynamoError {
            kind: ErrorKind::ConditionalCheckFailed,
            message: "The conditional request failed".into(),
            item,
            cancellation_reasons: None,
            throttle: None,
        }
    }
}

impl DynamoError {
    /// The JSON body DynamoDB sends for this error: `__type`, the message (under the key
    /// the service uses for the type), and the cancellation reasons or the item it carries.
    pub fn body(&self) -> Vec<u8> {
        let e = self;
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), e.kind.type_name().into());
        // The front end's bare errors (an unknown operation, a body that is not JSON) name
        // no message at all.
        if !e.message.is_empty()
            || !matches!(
                e.kind,
                ErrorKind::UnknownOperation | ErrorKind::Serialization
            )
        {
            let key = match e.kind {
                // As the service writes them (dynalite's suite, recorded against it): `Message`
                // for these two; `message` for ValidationException (DynamoDB Local writes
                // `Message` there), the authentication errors and the rest.
                ErrorKind::Serialization | ErrorKind::AccessDenied => "Message",
                _ => "message",
            };
            body.insert(key.into(), e.message.clone().into());
        }
        if let Some(reasons) = &e.cancellation_reasons {
            body.insert("CancellationReasons".into(), reasons.clone().into());
        }
        if let Some(item) = &e.item {
            body.insert("Item".into(), item.clone());
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl fmt::Display for DynamoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.short_name(), self.message)
    }
}

impl std::error::Error for DynamoError {}

/// Collects constraint violations the way DynamoDB reports them:
/// `1 validation error detected: Value '...' at 'tableName' failed to satisfy constraint: ...`,
/// with several joined by `; ` under `N validation errors detected: `.
#[derive(Default)]
pub struct Constraints {
    errors: Vec<String>,
}

impl Constraints {
    pub fn new() -> Self {
        Self::default()
    }
    /// Record a violation: `value` is the value as the service renders it (`null`, `abc`,
    /// `[]`, `-1`). Every value but `null` is quoted, as the service quotes it (dynalite's
    /// recorded bodies: `Value '-1'`, `Value '[]'`, `Value '{}'`); one already quoted is kept.
    /// DynamoDB reports at most ten violations, the first ten found.
    pub fn add(&mut self, value: impl fmt::Display, member: &str, constraint: &str) {
        let value = value.to_string();
        let value = if value == "null" || value.starts_with('\'') {
            value
        } else {
            format!("'{value}'")
        };
        self.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }
    /// Record a violation of a member whose value the service does not echo because it holds
    /// item data (moto's AWS-verified tests, 2026: `Value at 'requestItems.T.member.keys'`).
    pub fn add_redacted(&mut self, member: &str, constraint: &str) {
        self.push(format!(
            "Value at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }
    fn push(&mut self, error: String) {
        if self.errors.len() < 10 {
            self.errors.push(error);
        }
    }
    pub fn not_null(&mut self, present: bool, member: &str) {
        if !present {
            self.add("null", member, "Member must not be null");
        }
    }
    /// The violations as DynamoDB's error, or else `members`: the required members, all
    /// present once nothing is violated. Validated inputs unpack them this way instead of
    /// `expect`ing each one.
    pub fn finish<T>(self, members: Option<T>) -> Result<T> {
        self.into_result()?;
        members.ok_or_else(|| {
            DynamoError::new(
                ErrorKind::Validation,
                "1 validation error detected: a required member is missing",
            )
        })
    }
    pub fn into_result(self) -> Result<()> {
        match self.errors.len() {
            0 => Ok(()),
            n => Err(DynamoError::validation(format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                self.errors.join("; ")
            ))),
        }
    }
}
