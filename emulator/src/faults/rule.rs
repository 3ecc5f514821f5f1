//! One fault rule: what it injects, which requests it matches, and when it fires.
//!
//! A rule is written the same three ways: as a [`FaultRule`] value (the builder and the
//! embedding API), as JSON (the control API's `Emulator.InjectFaults`) and as a one-line spec
//! (the `--fault` flag), which is the JSON's members as `name=value` pairs:
//!
//! ```text
//! InternalServerError,operation=PutItem,nth=3          the 3rd PutItem answers 500
//! ServiceUnavailable,operation=Query,table=T,probability=0.1,for=5s
//! ResetAfterApply,operation=UpdateItem,times=1         applied, then the connection drops
//! Latency=50ms,operation=TransactWriteItems            a slow transaction (items held)
//! TransactionConflict,table=Accounts,key-prefix=acct#7
//! ```

use crate::error::{DynamoError, Result};
use crate::replication::lag::parse_duration;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a fault does to the request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 `InternalServerError`, nothing applied (the SDKs retry it).
    InternalServerError,
    /// 503 `ServiceUnavailable`, nothing applied (the SDKs retry it).
    ServiceUnavailable,
    /// 400 `ThrottlingException`, nothing applied (the SDKs retry it with back-off).
    Throttling,
    /// As if an in-flight transaction held the request's items: a single-item write gets
    /// `TransactionConflictException`, a transaction is cancelled with `TransactionConflict`
    /// at each matching item. Only writes and transactions can conflict.
    TransactionConflict,
    /// The connection is reset before the request is applied: no answer, no effect.
    ResetBeforeApply,
    /// The request is applied, then the connection is reset before the answer is sent: a
    /// retry meets its own write (idempotency bugs surface).
    ResetAfterApply,
    /// The answer is held back this long, in real time whatever the clock (a transaction holds
    /// its items meanwhile). In-process calls sleep on the calling thread.
    Latency(Duration),
}

impl FaultKind {
    /// The kind's name, as rules, the request log and the capacity report spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::InternalServerError => "InternalServerError",
            FaultKind::ServiceUnavailable => "ServiceUnavailable",
            FaultKind::Throttling => "Throttling",
            FaultKind::TransactionConflict => "TransactionConflict",
            FaultKind::ResetBeforeApply => "ResetBeforeApply",
            FaultKind::ResetAfterApply => "ResetAfterApply",
            FaultKind::Latency(_) => "Latency",
        }
    }

    /// Whether the kind can hit `operation`: conflicts only hit what can conflict.
    pub(super) fn applies_to(self, operation: &str) -> bool {
        self != FaultKind::TransactionConflict || super::CONFLICTING.contains(&operation)
    }
}

/// When a matching request is hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// Every matching request.
    Always,
    /// Only the n-th matching request (1 is the first), counted from when the rule was added.
    Nth(u64),
    /// Each matching request with this probability, drawn from the emulator's seeded RNG.
    Probability(f64),
}

/// One fault rule. Built with [`FaultRule::new`] and narrowed by its methods; every filter
/// left unset matches everything.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub(super) kind: FaultKind,
    pub(super) operation: Option<String>,
    pub(super) table: Option<String>,
    pub(super) key_prefix: Option<String>,
    pub(super) trigger: Trigger,
    pub(super) times: Option<u64>,
    pub(super) lasting: Option<Duration>,
}

impl FaultRule {
    /// A rule injecting `kind` into every request, until narrowed.
    pub fn new(kind: FaultKind) -> FaultRule {
        FaultRule {
            kind,
            operation: None,
            table: None,
            key_prefix: None,
            trigger: Trigger::Always,
            times: None,
            lasting: None,
        }
    }
    /// Only requests of this operation (`PutItem`, `Query`, ...).
    pub fn operation(mut self, name: impl Into<String>) -> Self {
        self.operation = Some(name.into());
        self
    }
    /// Only requests naming this table.
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = Some(name.into());
        self
    }
    /// Only requests naming an item whose partition key (its S, N or base64 B text) starts
    /// with `prefix`. Requests that name no item (Query, Scan, PartiQL) never match.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }
    /// Only the n-th matching request (1 is the first).
    pub fn nth(mut self, n: u64) -> Self {
        self.trigger = Trigger::Nth(n);
        self
    }
    /// Each matching request with probability `p` (seeded).
    pub fn probability(mut self, p: f64) -> Self {
        self.trigger = Trigger::Probability(p);
        self
    }
    /// At most this many hits, then the rule is spent.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }
    /// Active for this long on the emulator's clock from when it is added.
    pub fn lasting(mut self, d: Duration) -> Self {
        self.lasting = Some(d);
        self
    }

    /// Checks what the builder methods cannot: a known operation, a probability in [0, 1],
    /// an n-th of at least 1, a conflict only where conflicts happen.
    pub(super) fn check(&self) -> Result<()> {
        let bad = |m: String| Err(DynamoError::validation(m));
        if let Some(op) = &self.operation {
            if crate::operations::operation(op).is_none()
                && crate::operations::stream_operation(op).is_none()
            {
                return bad(format!("Unknown Operation in fault rule: {op}"));
            }
            if !self.kind.applies_to(op) {
                return bad(format!(
                    "A TransactionConflict fault applies to writes and transactions, not {op}"
                ));
            }
        }
        match self.trigger {
            Trigger::Probability(p) if !(0.0..=1.0).contains(&p) => {
                bad(format!("Probability must be between 0 and 1: {p}"))
            }
            Trigger::Nth(0) => bad("Nth counts from 1".into()),
            _ => Ok(()),
        }
    }
}

/// A rule as JSON (the control API) and as `--fault` pairs.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RuleSpec {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milliseconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// How long the rule lasts on the emulator's clock (`5s`, `250ms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

const KINDS: &str = "InternalServerError, ServiceUnavailable, Throttling, TransactionConflict, \
                     ResetBeforeApply, ResetAfterApply, Latency";

impl TryFrom<RuleSpec> for FaultRule {
    type Error = DynamoError;

    fn try_from(s: RuleSpec) -> Result<FaultRule> {
        let bad = |m: String| DynamoError::validation(m);
        let kind = match s.kind.as_str() {
            "InternalServerError" => FaultKind::InternalServerError,
            "ServiceUnavailable" => FaultKind::ServiceUnavailable,
            "Throttling" => FaultKind::Throttling,
            "TransactionConflict" => FaultKind::TransactionConflict,
            "ResetBeforeApply" => FaultKind::ResetBeforeApply,
            "ResetAfterApply" => FaultKind::ResetAfterApply,
            "Latency" => FaultKind::Latency(Duration::from_millis(
                s.milliseconds
                    .filter(|ms| *ms <= MAX_LATENCY_MS)
                    .ok_or_else(|| {
                        bad(format!(
                            "A Latency fault needs Milliseconds (at most {MAX_LATENCY_MS})"
                        ))
                    })?,
            )),
            other => return Err(bad(format!("Unknown fault Kind: {other} ({KINDS})"))),
        };
        let mut rule = FaultRule::new(kind);
        rule.operation = s.operation;
        rule.table = s.table_name;
        rule.key_prefix = s.key_prefix;
        rule.trigger = match (s.nth, s.probability) {
            (Some(_), Some(_)) => return Err(bad("Give Nth or Probability, not both".into())),
            (Some(n), None) => Trigger::Nth(n),
            (None, Some(p)) => Trigger::Probability(p),
            (None, None) => Trigger::Always,
        };
        rule.times = s.times;
        rule.lasting = s
            .duration
            .map(|d| parse_duration(&d).ok_or_else(|| bad(format!("Invalid Duration: {d}"))))
            .transpose()?;
        rule.check()?;
        Ok(rule)
    }
}

/// The longest injected latency: a minute (past it, clients have long timed out).
pub const MAX_LATENCY_MS: u64 = 60_000;

impl std::str::FromStr for FaultRule {
    type Err = String;

    /// Parses a `--fault` spec: the kind first (`Latency=50ms` for latency), then
    /// `name=value` pairs (`operation`, `table`, `key-prefix`, `nth`, `probability`, `times`,
    /// `for`).
    fn from_str(text: &str) -> std::result::Result<FaultRule, String> {
        let mut parts = text.split(',').map(str::trim);
        let head = parts.next().unwrap_or_default();
        let mut spec = RuleSpec::default();
        match head.split_once('=') {
            Some(("Latency", d)) => {
                let d = parse_duration(d).ok_or(format!("invalid latency: {d}"))?;
                spec.kind = "Latency".into();
                spec.milliseconds = Some(d.as_millis() as u64);
            }
            Some(_) => return Err(format!("a fault spec starts with its kind ({KINDS})")),
            None => spec.kind = head.to_string(),
        }
        for part in parts {
            let (name, value) = part
                .split_once('=')
                .ok_or(format!("expected name=value, got {part}"))?;
            let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{name}: {v}"));
            match name {
                "operation" | "op" => spec.operation = Some(value.into()),
                "table" => spec.table_name = Some(value.into()),
                "key-prefix" => spec.key_prefix = Some(value.into()),
                "nth" => spec.nth = Some(number(value)?),
                "times" => spec.times = Some(number(value)?),
                "probability" | "p" => {
                    spec.probability = Some(value.parse().map_err(|_| format!("{name}: {value}"))?)
                }
                "for" => spec.duration = Some(value.into()),
                _ => return Err(format!("unknown fault setting: {name}")),
            }
        }
        FaultRule::try_from(spec).map_err(|e| e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_into_rules() {
        let r: FaultRule = "ServiceUnavailable,operation=Query,table=T,p=0.1,for=5s"
            .parse()
            .unwrap();
        assert_eq!(
            r,
            FaultRule::new(FaultKind::ServiceUnavailable)
                .operation("Query")
                .table("T")
                .probability(0.1)
                .lasting(Duration::from_secs(5))
        );
        let r: FaultRule = "Latency=50ms,op=TransactWriteItems,nth=3".parse().unwrap();
        assert_eq!(r.kind, FaultKind::Latency(Duration::from_millis(50)));
        assert_eq!(r.trigger, Trigger::Nth(3));
        for bad in [
            "Boom",
            "InternalServerError,operation=Nope",
            "InternalServerError,p=1.5",
            "InternalServerError,nth=0",
            "InternalServerError,nth=1,p=0.5",
            "TransactionConflict,operation=GetItem",
            "Latency=2h",
            "InternalServerError,colour=red",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad}");
        }
    }
}
