//! Fault injection: the errors, conflicts, dropped connections and latency DynamoDB produces
//! under stress, on purpose, reproducibly.
//!
//! Client code has to survive `InternalServerError` and `ServiceUnavailable` bursts (the SDKs
//! retry them), `ThrottlingException`, `TransactionConflictException`, and connections that
//! drop, sometimes after the write was applied, so that the retry meets its own write
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html>).
//! A rule ([`FaultRule`]) names the fault, which requests it matches (operation, table, key
//! prefix) and when it fires (every time, the n-th time, or with a probability drawn from the
//! emulator's seeded RNG, at most so many times, for so long on the emulator's clock).
//!
//! The dispatcher asks [`Faults::decide`] once per request; with no rule configured that is
//! one atomic load. The first rule that fires decides the request's fault; the fault is in
//! the request log and in the capacity report, and each rule counts its matches and hits.

mod rule;
mod target;

pub use rule::{FaultKind, FaultRule, RuleSpec, Trigger};

use crate::engine::Engine;
use crate::error::{DynamoError, ErrorKind};
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The operations a `TransactionConflict` fault can hit: the single-item writes and the
/// transactions. (A BatchWriteItem leaves an item a transaction holds unprocessed; PartiQL's
/// ExecuteStatement conflicts through the write it stands for, never by injection.)
const CONFLICTING: &[&str] = &[
    "DeleteItem",
    "ExecuteTransaction",
    "PutItem",
    "TransactGetItems",
    "TransactWriteItems",
    "UpdateItem",
];

/// Rules configured at most: each request looks at every one.
const MAX_RULES: usize = 1000;

/// A rule as configured, with what it has done.
#[derive(Debug)]
struct Active {
    id: u64,
    rule: FaultRule,
    /// When it was added, on the emulator's clock.
    since: Duration,
    matched: u64,
    hits: u64,
}

/// The fault a request gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Injected {
    /// The rule that fired.
    pub rule: u64,
    /// What it does.
    pub kind: FaultKind,
    /// The tables the request names (for the capacity report).
    pub tables: Vec<String>,
    /// Per item the request names, in request order, whether the rule matches it (where a
    /// transaction's `TransactionConflict` reasons go).
    pub items: Vec<bool>,
}

/// Every configured rule, and the RNG their probabilities draw from.
#[derive(Debug)]
pub struct Faults {
    rules: Mutex<(Vec<Active>, u64)>,
    /// Whether any rule is configured: the fast path of [`Faults::decide`].
    any: AtomicBool,
    /// Seeded from the emulator's seed, apart from the RNG request ids come from, so that
    /// adding a rule changes no request id and no replica's draw.
    rng: Mutex<ChaCha8Rng>,
}

impl Faults {
    /// No rules; probabilities will draw from a stream seeded by `seed`.
    pub fn new(seed: u64) -> Faults {
        Faults {
            rules: Mutex::new((Vec::new(), 0)),
            any: AtomicBool::new(false),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0xFA17_FA17_FA17_FA17)),
        }
    }

    /// Adds a rule, active from `now`; returns its id.
    pub fn add(&self, rule: FaultRule, now: Duration) -> crate::error::Result<u64> {
        rule.check()?;
        let mut rules = self.rules.lock();
        if rules.0.len() >= MAX_RULES {
            return Err(DynamoError::validation(format!(
                "At most {MAX_RULES} fault rules can be active: clear some first"
            )));
        }
        rules.1 += 1;
        let id = rules.1;
        rules.0.push(Active {
            id,
            rule,
            since: now,
            matched: 0,
            hits: 0,
        });
        self.any.store(true, Ordering::Release);
        Ok(id)
    }

    /// Removes one rule (Some id) or all; returns how many went.
    pub fn clear(&self, id: Option<u64>) -> usize {
        let mut rules = self.rules.lock();
        let before = rules.0.len();
        rules.0.retain(|a| id.is_some_and(|id| a.id != id));
        self.any.store(!rules.0.is_empty(), Ordering::Release);
        before - rules.0.len()
    }

    /// The rules with their counts, as the control API lists them.
    pub fn list(&self, now: Duration) -> Value {
        let rules = self.rules.lock();
        let list: Vec<Value> = rules
            .0
            .iter()
            .map(|a| {
                let r = &a.rule;
                let mut v = json!({
                    "Id": a.id,
                    "Kind": r.kind.as_str(),
                    "Matched": a.matched,
                    "Hits": a.hits,
                    "Active": a.live(now),
                });
                if let FaultKind::Latency(d) = r.kind {
                    v["Milliseconds"] = json!(d.as_millis() as u64);
                }
                for (name, value) in [
                    ("Operation", &r.operation),
                    ("TableName", &r.table),
                    ("KeyPrefix", &r.key_prefix),
                ] {
                    if let Some(value) = value {
                        v[name] = json!(value);
                    }
                }
                match r.trigger {
                    Trigger::Always => {}
                    Trigger::Nth(n) => v["Nth"] = json!(n),
                    Trigger::Probability(p) => v["Probability"] = json!(p),
                }
                if let Some(t) = r.times {
                    v["Times"] = json!(t);
                }
                if let Some(d) = r.lasting {
                    v["MillisecondsLeft"] =
                        json!((a.since + d).saturating_sub(now).as_millis() as u64);
                }
                v
            })
            .collect();
        json!({ "Faults": list })
    }

    /// The fault request `operation` with `body` gets, if any: the first rule that matches and
    /// fires. Every matching rule counts the match (an n-th counts matches).
    pub fn decide(&self, engine: &Engine, operation: &str, body: &[u8]) -> Option<Injected> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let now = engine.clock.now();
        // Read only when a rule could match: most requests pass rules aimed elsewhere.
        let mut targets: Option<target::Targets> = None;
        let mut escaped: Option<bool> = None;
        let mut rules = self.rules.lock();
        let mut chosen = None;
        for a in rules.0.iter_mut() {
            if !a.live(now) || !a.rule.kind.applies_to(operation) {
                continue;
            }
            if a.rule
                .operation
                .as_deref()
                .is_some_and(|op| op != operation)
            {
                continue;
            }
            if !a.rule.may_name(body, &mut escaped) {
                continue;
            }
            let targets = targets.get_or_insert_with(|| target::of(engine, body));
            let items: Vec<bool> = targets.items.iter().map(|t| a.rule.matches(t)).collect();
            let narrowed = a.rule.table.is_some() || a.rule.key_prefix.is_some();
            if narrowed && !items.iter().any(|m| *m) && !a.rule.matches_tables(&targets.tables) {
                continue;
            }
            a.matched += 1;
            if chosen.is_some() {
                continue;
            }
            let fires = match a.rule.trigger {
                Trigger::Always => true,
                Trigger::Nth(n) => a.matched == n,
                Trigger::Probability(p) => self.rng.lock().gen::<f64>() < p,
            };
            if fires {
                a.hits += 1;
                chosen = Some(Injected {
                    rule: a.id,
                    kind: a.rule.kind,
                    tables: targets.tables.clone(),
                    items: if narrowed {
                        items
                    } else {
                        vec![true; targets.items.len()]
                    },
                });
            }
        }
        chosen
    }
}

impl Active {
    /// Whether the rule can still fire: not spent, not past its duration.
    fn live(&self, now: Duration) -> bool {
        self.rule.times.is_none_or(|t| self.hits < t)
            && self.rule.lasting.is_none_or(|d| now < self.since + d)
    }
}

impl FaultRule {
    /// Whether the request's body can name the rule's table and key prefix: both appear in
    /// it literally, unless the body escapes characters (then it is read to find out).
    /// `escaped` remembers, across the rules of one request, whether it does.
    fn may_name(&self, body: &[u8], escaped: &mut Option<bool>) -> bool {
        let has = |text: &str| memchr::memmem::find(body, text.as_bytes()).is_some();
        let literal =
            self.table.as_deref().is_none_or(has) && self.key_prefix.as_deref().is_none_or(has);
        literal || *escaped.get_or_insert_with(|| memchr::memchr(b'\\', body).is_some())
    }

    /// Whether an item the request names passes the rule's table and key filters.
    fn matches(&self, item: &target::ItemTarget) -> bool {
        self.table.as_ref().is_none_or(|t| *t == item.table)
            && self.key_prefix.as_ref().is_none_or(|p| {
                item.key
                    .as_deref()
                    .is_some_and(|k| k.starts_with(p.as_str()))
            })
    }

    /// Whether a rule without a key filter matches a request that names only tables (Query,
    /// Scan).
    fn matches_tables(&self, tables: &[String]) -> bool {
        self.key_prefix.is_none() && self.table.as_ref().is_some_and(|t| tables.contains(t))
    }
}

/// The operations whose items a transaction holds while its latency is spent.
const TRANSACTIONS: &[&str] = &["ExecuteTransaction", "TransactWriteItems"];

impl Injected {
    /// The error the request answers in place of running, if the fault is one.
    pub fn error(&self, operation: &str) -> Option<DynamoError> {
        Some(match self.kind {
            FaultKind::InternalServerError => {
                DynamoError::new(ErrorKind::InternalServer, "Internal server error")
            }
            FaultKind::ServiceUnavailable => DynamoError::new(
                ErrorKind::ServiceUnavailable,
                "DynamoDB is currently unavailable. (This should be a temporary state.)",
            ),
            FaultKind::Throttling => DynamoError::new(
                ErrorKind::Throttling,
                "Rate of requests exceeds the allowed throughput.",
            ),
            FaultKind::TransactionConflict => match operation {
                "TransactWriteItems" | "TransactGetItems" | "ExecuteTransaction" => {
                    crate::transaction::cancelled(&self.items)
                }
                _ => crate::transaction::conflict(),
            },
            FaultKind::ResetBeforeApply | FaultKind::ResetAfterApply | FaultKind::Latency(_) => {
                return None
            }
        })
    }

    /// Whether a latency fault is spent while the request's transaction holds its items
    /// (so that requests overlapping it conflict), rather than before the request runs.
    pub fn held_in_transaction(&self, operation: &str) -> bool {
        TRANSACTIONS.contains(&operation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, DEFAULT_VIRTUAL_START};

    fn engine() -> Engine {
        Engine::new(
            3,
            Clock::virtual_at(DEFAULT_VIRTUAL_START),
            crate::engine::Options::default(),
        )
    }

    #[test]
    fn a_rule_lasts_its_duration_on_the_clock_and_its_times() {
        let e = engine();
        let rule = FaultRule::new(FaultKind::Throttling)
            .operation("GetItem")
            .lasting(Duration::from_secs(5))
            .times(3);
        e.faults.add(rule, e.clock.now()).unwrap();
        let body = br#"{"TableName":"t","Key":{"id":{"S":"a"}}}"#;
        assert!(
            e.faults.decide(&e, "PutItem", body).is_none(),
            "other operation"
        );
        assert!(e.faults.decide(&e, "GetItem", body).is_some());
        e.advance(Duration::from_secs(5));
        assert!(
            e.faults.decide(&e, "GetItem", body).is_none(),
            "past its 5 s"
        );
        let spent = FaultRule::new(FaultKind::Throttling).times(2);
        e.faults.add(spent, e.clock.now()).unwrap();
        let hits = (0..5)
            .filter(|_| e.faults.decide(&e, "GetItem", body).is_some())
            .count();
        assert_eq!(hits, 2);
    }

    #[test]
    fn the_first_firing_rule_wins_and_every_match_counts() {
        let e = engine();
        let now = e.clock.now();
        e.faults
            .add(FaultRule::new(FaultKind::ServiceUnavailable).nth(2), now)
            .unwrap();
        e.faults
            .add(FaultRule::new(FaultKind::InternalServerError), now)
            .unwrap();
        let kinds: Vec<FaultKind> = (0..3)
            .map(|_| e.faults.decide(&e, "ListTables", b"{}").unwrap().kind)
            .collect();
        assert_eq!(
            kinds,
            [
                FaultKind::InternalServerError,
                FaultKind::ServiceUnavailable,
                FaultKind::InternalServerError
            ]
        );
        let list = e.faults.list(now);
        assert_eq!(list["Faults"][0]["Matched"], 3);
        assert_eq!(list["Faults"][1]["Hits"], 2);
    }

    #[test]
    fn rules_are_bounded() {
        let e = engine();
        for _ in 0..MAX_RULES {
            e.faults
                .add(FaultRule::new(FaultKind::Throttling), Duration::ZERO)
                .unwrap();
        }
        let e2 = e
            .faults
            .add(FaultRule::new(FaultKind::Throttling), Duration::ZERO);
        assert!(e2.unwrap_err().message.contains("At most 1000"));
        assert_eq!(e.faults.clear(None), MAX_RULES);
    }

    #[test]
    fn a_table_filter_skips_other_tables_but_sees_an_escaped_name() {
        let e = engine();
        let rule = FaultRule::new(FaultKind::Throttling).table("orders");
        e.faults.add(rule, e.clock.now()).unwrap();
        let other = br#"{"TableName":"users","Key":{"id":{"S":"orders"}}}"#;
        assert!(
            e.faults.decide(&e, "GetItem", other).is_none(),
            "name in a value only"
        );
        let plain = br#"{"TableName":"orders","Key":{"id":{"S":"a"}}}"#;
        assert!(e.faults.decide(&e, "GetItem", plain).is_some());
        let escaped = br#"{"TableName":"\u006frders","Key":{"id":{"S":"a"}}}"#;
        assert!(
            e.faults.decide(&e, "GetItem", escaped).is_some(),
            "read, not scanned"
        );
        assert_eq!(e.faults.list(e.clock.now())["Faults"][0]["Matched"], 2);
    }
}
