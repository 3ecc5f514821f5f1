//! DynamoDB's account and table quotas, and the bounds on capacity numbers.
//!
//! DynamoDB does not let one request reserve unbounded capacity: a provisioned table (and each
//! of its global secondary indexes) may have at most 40,000 RCU and 40,000 WCU, the provisioned
//! tables of an account in a region together at most 80,000 of each, and a region holds at most
//! 2,500 tables. These are soft quotas an account can raise, so the emulator takes them as
//! [`Quotas`] (flags on the binary). Beyond any quota, a capacity number over 10¹² is refused
//! outright as out of bounds. The emulator relies on these bounds: partitions are sized from
//! throughput, so an unbounded number would be an unbounded allocation.
//!
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html>;
//! the messages are the service's, as recorded against it (dynalite's suite for the bounds,
//! captures of the service for the quota errors).

use crate::error::{DynamoError, ErrorKind, Result};
use parking_lot::Mutex;
use std::collections::BTreeMap;

/// The largest capacity number DynamoDB accepts at all (larger ones are "out of bounds").
pub const MAX_CAPACITY_UNITS: i64 = 1_000_000_000_000;

const REFER: &str =
    "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.";

/// The quotas the emulator enforces, DynamoDB's defaults unless raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Tables per region (DynamoDB: 2,500).
    pub tables: usize,
    /// RCU and WCU a provisioned table, or one of its GSIs, may have (DynamoDB: 40,000 each).
    pub table_throughput: u64,
    /// RCU and WCU all provisioned tables and their GSIs may have together (DynamoDB: 80,000).
    pub account_throughput: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            tables: 2500,
            table_throughput: 40_000,
            account_throughput: 80_000,
        }
    }
}

/// Read and write units, as requested or reserved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reserved {
    /// Read capacity units.
    pub read: u64,
    /// Write capacity units.
    pub write: u64,
}

impl Reserved {
    /// The sum of two reservations.
    pub fn plus(self, other: Reserved) -> Reserved {
        Reserved {
            read: self.read.saturating_add(other.read),
            write: self.write.saturating_add(other.write),
        }
    }
}

/// `Given value N for ReadCapacityUnits is out of bounds`, checked read first, after the
/// members' `>= 1` constraints.
pub fn check_bounds(read: i64, write: i64) -> Result<()> {
    for (v, name) in [(read, "ReadCapacityUnits"), (write, "WriteCapacityUnits")] {
        if v > MAX_CAPACITY_UNITS {
            return Err(DynamoError::validation(format!(
                "Given value {v} for {name} is out of bounds"
            )));
        }
    }
    Ok(())
}

impl Quotas {
    /// The per-table (or, with `index`, per-index) maximum.
    pub fn check_table(
        &self,
        region: &str,
        requested: Reserved,
        index: Option<&str>,
    ) -> Result<()> {
        for (v, name) in [
            (requested.read, "ReadCapacityUnits"),
            (requested.write, "WriteCapacityUnits"),
        ] {
            if v > self.table_throughput {
                let max = self.table_throughput;
                let message = match index {
                    None => format!(
                        "The requested {name}, {v}, is above the per table maximum for the account in {region}. Per table maximum: {max}. {REFER}"
                    ),
                    Some(i) => format!(
                        "The requested {name} for index {i}, {v}, is above the per index maximum for the account in {region}. Per index maximum: {max}. {REFER}"
                    ),
                };
                return Err(DynamoError::new(ErrorKind::LimitExceeded, message));
            }
        }
        Ok(())
    }

    /// The account maximum: `others` is what the account's other tables reserve, `requested`
    /// what this table and its indexes would reserve after the request.
    pub fn check_account(&self, region: &str, others: Reserved, requested: Reserved) -> Result<()> {
        for (current, wanted, name) in [
            (others.read, requested.read, "ReadCapacityUnits"),
            (others.write, requested.write, "WriteCapacityUnits"),
        ] {
            if current.saturating_add(wanted) > self.account_throughput {
                return Err(DynamoError::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "This request would have caused the {name} limit to be exceeded for the account in {region}. Current {name} reserved by the account: {current}. Limit: {}. Requested: {wanted}. {REFER}",
                        self.account_throughput
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The tables-per-region quota, before a table is created.
    pub fn check_tables(&self, existing: usize) -> Result<()> {
        if existing >= self.tables {
            return Err(DynamoError::new(
                ErrorKind::LimitExceeded,
                format!(
                    "Subscriber limit exceeded: The number of tables per account exceeds the limit of {}",
                    self.tables
                ),
            ));
        }
        Ok(())
    }
}

/// What each provisioned table (with its GSIs) reserves, by table id, so the account quota can
/// be checked atomically without locking every table. (By id, not name: two racing creations of
/// one name each hold their own entry until the loser releases it.)
#[derive(Debug, Default)]
pub struct Reservations {
    tables: Mutex<BTreeMap<String, Reserved>>,
}

impl Reservations {
    /// Sets `table`'s reservation to `requested` if the account quota allows it.
    pub fn reserve(
        &self,
        quotas: &Quotas,
        region: &str,
        table: &str,
        requested: Reserved,
    ) -> Result<()> {
        let mut tables = self.tables.lock();
        let others = tables
            .iter()
            .filter(|(name, _)| name.as_str() != table)
            .fold(Reserved::default(), |sum, (_, r)| sum.plus(*r));
        quotas.check_account(region, others, requested)?;
        tables.insert(table.to_string(), requested);
        Ok(())
    }

    /// Forgets a deleted table's reservation.
    pub fn release(&self, table: &str) {
        self.tables.lock().remove(table);
    }

    /// Forgets every reservation (all tables deleted).
    pub fn clear(&self) {
        self.tables.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_read_first_and_inclusive() {
        assert!(check_bounds(MAX_CAPACITY_UNITS, MAX_CAPACITY_UNITS).is_ok());
        let e = check_bounds(i64::MAX, i64::MAX).unwrap_err();
        assert_eq!(
            e.message,
            "Given value 9223372036854775807 for ReadCapacityUnits is out of bounds"
        );
        let e = check_bounds(5, MAX_CAPACITY_UNITS + 1).unwrap_err();
        assert!(e.message.contains("for WriteCapacityUnits"));
    }

    #[test]
    fn table_and_account_quotas() {
        let q = Quotas::default();
        let r = |read, write| Reserved { read, write };
        assert!(q.check_table("us-east-1", r(40_000, 40_000), None).is_ok());
        let e = q.check_table("eu-west-1", r(5, 45_000), None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::LimitExceeded);
        assert!(e.message.starts_with(
            "The requested WriteCapacityUnits, 45000, is above the per table maximum for the account in eu-west-1. Per table maximum: 40000."
        ));
        assert!(q.check_account("r", r(40_000, 0), r(40_000, 1)).is_ok());
        let e = q
            .check_account("r", r(40_000, 0), r(40_001, 1))
            .unwrap_err();
        assert!(e.message.contains("Current ReadCapacityUnits reserved by the account: 40000. Limit: 80000. Requested: 40001."));
        let res = Reservations::default();
        res.reserve(&q, "r", "a", r(50_000, 10)).unwrap();
        assert!(res.reserve(&q, "r", "b", r(30_001, 10)).is_err());
        res.reserve(&q, "r", "a", r(40_000, 10)).unwrap();
        res.reserve(&q, "r", "b", r(40_000, 10)).unwrap();
        res.release("a");
        res.reserve(&q, "r", "c", r(40_000, 10)).unwrap();
        assert!(q.check_tables(2499).is_ok());
        assert!(q.check_tables(2500).is_err());
    }
}
