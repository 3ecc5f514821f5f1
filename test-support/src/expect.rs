//! DynamoDB's errors, checked one case at a time.
//!
//! Error tests are tables: each row a case name, a request and the error DynamoDB answers.
//! [`Expected::check`] compares one answer and, when it differs, panics with the case's name,
//! so a table of forty cases says which one broke instead of "assertion failed at line 230".

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

/// The error a request must get: its code (`ValidationException`, ...) and its message, in
/// full or by a fragment.
#[derive(Debug, Clone)]
pub struct Expected {
    code: String,
    message: Message,
}

#[derive(Debug, Clone)]
enum Message {
    Exact(String),
    Containing(String),
}

impl Expected {
    /// `code` with exactly `message`.
    pub fn error(code: &str, message: &str) -> Expected {
        Expected {
            code: code.into(),
            message: Message::Exact(message.into()),
        }
    }

    /// A ValidationException with exactly `message`.
    pub fn validation(message: &str) -> Expected {
        Expected::error("ValidationException", message)
    }

    /// `code` with a message containing `fragment` (where the rest of DynamoDB's text is not
    /// the point of the case).
    pub fn containing(code: &str, fragment: &str) -> Expected {
        Expected {
            code: code.into(),
            message: Message::Containing(fragment.into()),
        }
    }

    /// Whether (`code`, `message`) is this error.
    pub fn matches(&self, code: &str, message: &str) -> bool {
        code == self.code
            && match &self.message {
                Message::Exact(m) => message == m,
                Message::Containing(f) => message.contains(f.as_str()),
            }
    }

    /// Checks the answer of case `case`.
    ///
    /// # Panics
    /// When the request succeeded, failed without reaching the service, or got another error;
    /// the message names the case, what was expected and what came.
    pub fn check<T, E, R>(&self, case: &str, answer: Result<T, SdkError<E, R>>)
    where
        T: Debug,
        E: ProvideErrorMetadata + Debug,
        R: Debug,
    {
        let err = match answer {
            Ok(out) => panic!("case `{case}`: succeeded ({out:?}), expected {self}"),
            Err(e) => e,
        };
        let Some(meta) = err.as_service_error() else {
            panic!("case `{case}`: not a service error ({err:?}), expected {self}");
        };
        let (code, message) = (meta.code().unwrap_or(""), meta.message().unwrap_or(""));
        assert!(
            self.matches(code, message),
            "case `{case}`: got {code}: {message}\n  expected {self}"
        );
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Message::Exact(m) => write!(f, "{}: {m}", self.code),
            Message::Containing(m) => write!(f, "{}: ...{m}...", self.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_fragment_matches() {
        let e = Expected::validation("The table does not exist");
        assert!(e.matches("ValidationException", "The table does not exist"));
        assert!(!e.matches("ValidationException", "The table does not exist."));
        assert!(!e.matches("ResourceNotFoundException", "The table does not exist"));
        let c = Expected::containing("ValidationException", "does not exist");
        assert!(c.matches("ValidationException", "The table does not exist."));
        assert!(!c.matches("SerializationException", "The table does not exist."));
        assert_eq!(c.to_string(), "ValidationException: ...does not exist...");
    }
}
