//! JSON decoding of requests with DynamoDB's SerializationException on malformed input.

use crate::error::{DynamoError, Result};
use serde::de::DeserializeOwned;

/// Decodes a request body. An empty body is treated as `{}` as DynamoDB does for operations
/// without required members.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let body = if body.iter().all(|b| b.is_ascii_whitespace()) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let msg = if e.is_syntax() || e.is_eof() {
            "Start of structure or map found where not expected.".to_string()
        } else {
            serialization_message(&e.to_string())
        };
        DynamoError::serialization(msg)
    })
}

fn serialization_message(serde_msg: &str) -> String {
    // serde says e.g. "invalid type: integer `1`, expected a string at line 1 column 20".
    let core = serde_msg.split(" at line ").next().unwrap_or(serde_msg);
    if core.starts_with("invalid type") {
        if core.contains("expected a string") {
            return "NUMBER_VALUE cannot be converted to String".into();
        }
        if core.contains("integer") && core.contains("expected a boolean") {
            return "NUMBER_VALUE cannot be converted to Boolean".into();
        }
        if core.contains("expected a sequence")
            || core.contains("expected a map")
            || core.contains("struct")
        {
            return "Unexpected value type in payload".into();
        }
    }
    core.to_string()
}
