//! Table names: each model's `TABLE` as declared, or changed for every request the mapper
//! sends, so that one suite can run twice at once against one AWS account (a prefix per run),
//! or one code base serve several stages (a suffix per stage).

use std::fmt;
use std::sync::Arc;

/// How the mapper names tables on the wire. The model keeps its declared name (errors and
/// cancellation reasons say which model); every request — reads, writes, batches,
/// transactions, table management — goes to the resolved name.
///
/// ```
/// # use dynamodb_mapper::{Mapper, TableNames};
/// let run = std::process::id();
/// let mapper = Mapper::for_endpoint("http://127.0.0.1:8000")
///     .with_table_names(TableNames::prefix(format!("ci-{run}-")));
/// assert_eq!(mapper.resolve("users"), format!("ci-{run}-users"));
/// ```
#[derive(Clone, Default)]
pub struct TableNames(Rule);

#[derive(Clone, Default)]
enum Rule {
    #[default]
    AsDeclared,
    Prefix(String),
    Suffix(String),
    Function(Arc<dyn Fn(&str) -> String + Send + Sync>),
}

impl TableNames {
    /// Each model's declared name (the default).
    pub fn as_declared() -> TableNames {
        TableNames(Rule::AsDeclared)
    }

    /// `prefix` before every declared name (`ci-42-` + `users`).
    pub fn prefix(prefix: impl Into<String>) -> TableNames {
        TableNames(Rule::Prefix(prefix.into()))
    }

    /// `suffix` after every declared name (`users` + `-staging`).
    pub fn suffix(suffix: impl Into<String>) -> TableNames {
        TableNames(Rule::Suffix(suffix.into()))
    }

    /// Any mapping of declared names to the names sent.
    pub fn with(f: impl Fn(&str) -> String + Send + Sync + 'static) -> TableNames {
        TableNames(Rule::Function(Arc::new(f)))
    }

    /// The name sent for a declared one.
    pub fn resolve(&self, declared: &str) -> String {
        match &self.0 {
            Rule::AsDeclared => declared.to_string(),
            Rule::Prefix(p) => format!("{p}{declared}"),
            Rule::Suffix(s) => format!("{declared}{s}"),
            Rule::Function(f) => f(declared),
        }
    }
}

impl fmt::Debug for TableNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Rule::AsDeclared => f.write_str("TableNames::as_declared()"),
            Rule::Prefix(p) => write!(f, "TableNames::prefix({p:?})"),
            Rule::Suffix(s) => write!(f, "TableNames::suffix({s:?})"),
            Rule::Function(_) => f.write_str("TableNames::with(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_names_the_table() {
        assert_eq!(TableNames::default().resolve("t"), "t");
        assert_eq!(TableNames::prefix("a-").resolve("t"), "a-t");
        assert_eq!(TableNames::suffix("-b").resolve("t"), "t-b");
        assert_eq!(TableNames::with(|t| t.to_uppercase()).resolve("t"), "T");
        assert_eq!(
            format!("{:?}", TableNames::prefix("a-")),
            "TableNames::prefix(\"a-\")"
        );
    }
}
