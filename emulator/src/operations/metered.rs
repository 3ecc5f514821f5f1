//! The capacity layer: the one place where reads and writes are admitted against a table's
//! capacity, charged, and recorded for the usage report. Commands say what they touch (a key, a
//! range of an index, the change they decided on) and this layer does the rest, in DynamoDB's
//! order: **admit before, charge after**.
//!
//! Admission looks only at whether the partition's bucket has capacity left (or, on demand,
//! the table's per-second limits); the charge comes after the work, at what the work actually
//! cost, and may leave the bucket in debt. That is how DynamoDB can accept a 400 KB write on a
//! table provisioned at 1 WCU and then throttle what follows
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html>).
//!
//! Writes are planned, then committed: [`plan_write`] admits the partition, shows the command
//! the item as it is, checks the item collection and admits the index writes; [`commit_write`]
//! applies the change and charges it. A single-item write does both ([`write_item`]); a
//! transaction plans every action before committing any, so a refused action writes nothing.

use super::query_page::PageResult;
use crate::capacity::{self, Consumed, Kind};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::replication::ReadInfo;
use crate::storage::ReadItem;
use crate::storage::StoredKey;
use crate::table::Table;
use crate::value::{item_size, Item};
use std::time::Duration;

/// What a write does to its item, decided by the command from the item as it is.
pub(super) enum Change {
    /// Store this item (PutItem, UpdateItem, a batch or transaction put).
    Put(Item),
    /// Remove the item.
    Delete,
    /// Leave it (a transaction's ConditionCheck): charged as a write all the same.
    Keep,
}

/// A write admitted and checked, not yet applied.
pub(super) struct Planned {
    key: StoredKey,
    change: Change,
    /// The item as the plan found it (committed right after, under the same lock: still so).
    old: Option<Item>,
    cost: Consumed,
}

/// Why a planned write cannot go ahead.
pub(super) enum Refusal {
    /// The partition, the table or an index is out of capacity. (The errors are boxed: a
    /// refusal travels in the `Err` of every plan, whose `Ok` is the common case.)
    Throttled(Box<DynamoError>),
    /// The command (or the item collection limit) refused the change. `old_size` is the size
    /// of the item as it is: DynamoDB charges a failed conditional write for it.
    Rejected {
        /// Why.
        error: Box<DynamoError>,
        /// The size of the item as it is.
        old_size: usize,
    },
}

/// Admits a write of `key`, lets `decide` pick the change from the table and the current item,
/// checks the item collection and admits the index writes the change implies.
pub(super) fn plan_write(
    op: &str,
    t: &Table,
    key: StoredKey,
    now: Duration,
    decide: impl FnOnce(&Table, Option<&Item>) -> Result<Change>,
) -> std::result::Result<Planned, Refusal> {
    let admitted = t.admit(op, key.token, Kind::Write, now);
    t.count_access(&key, admitted.is_err());
    admitted.map_err(|e| Refusal::Throttled(Box::new(e)))?;
    let old = t.get(&key);
    let change = decide(t, old.as_ref()).map_err(|error| Refusal::Rejected {
        error: Box::new(error),
        old_size: old.as_ref().map(item_size).unwrap_or(0),
    })?;
    finish_plan(op, t, key, old, change, now).map_err(|(refusal, _)| refusal)
}

/// Plans a write whose change is already known (a batch put or delete). A refused change comes
/// back with the refusal, so the client can be told what to retry.
pub(super) fn plan_change(
    op: &str,
    t: &Table,
    key: &StoredKey,
    change: Change,
    now: Duration,
) -> std::result::Result<Planned, (Refusal, Change)> {
    let admitted = t.admit(op, key.token, Kind::Write, now);
    t.count_access(key, admitted.is_err());
    if let Err(e) = admitted {
        return Err((Refusal::Throttled(Box::new(e)), change));
    }
    finish_plan(op, t, key.clone(), t.get(key), change, now)
}

/// The item collection check and the index admission, once the change is known.
fn finish_plan(
    op: &str,
    t: &Table,
    key: StoredKey,
    old_item: Option<Item>,
    change: Change,
    now: Duration,
) -> std::result::Result<Planned, (Refusal, Change)> {
    let old = old_item.as_ref();
    let old_size = old.map(item_size).unwrap_or(0);
    let (mut cost, new_size) = match &change {
        Change::Put(new) => {
            if let Err(error) = t.check_collection(&key, old, new) {
                let error = Box::new(error);
                return Err((Refusal::Rejected { error, old_size }, change));
            }
            (t.index_write_cost(old, Some(new)), item_size(new))
        }
        Change::Delete => (t.index_write_cost(old, None), 0),
        Change::Keep => (Consumed::default(), 0),
    };
    if let Err(e) = t.admit_index_writes(op, &cost, now) {
        return Err((Refusal::Throttled(Box::new(e)), change));
    }
    cost.table = capacity::write_units(old_size.max(new_size));
    Ok(Planned {
        key,
        change,
        old: old_item,
        cost,
    })
}

/// What a committed write did.
pub(super) struct Written {
    pub key: StoredKey,
    /// The item before the write.
    pub old: Option<Item>,
    /// Units charged, by table and index.
    pub cost: Consumed,
}

/// Applies a planned write and charges it, `scale` times a standard write (transactions: 2).
pub(super) fn commit_write(
    op: &str,
    t: &mut Table,
    planned: Planned,
    now: Duration,
    scale: f64,
) -> Written {
    let Planned {
        key,
        change,
        old,
        cost,
    } = planned;
    let cost = if scale == 1.0 {
        cost
    } else {
        cost.scaled(scale)
    };
    let old = match change {
        Change::Put(item) => t.replace(key.clone(), item, old, now),
        Change::Delete => t.delete_known(&key, old, now),
        Change::Keep => None,
    };
    t.charge(op, key.token, Kind::Write, cost.total(), now);
    t.record_index_writes(op, &cost, now);
    Written { key, old, cost }
}

/// One standard write (PutItem, UpdateItem, DeleteItem): planned and committed, or refused. A
/// refused condition is charged the write units of the item as it is, as DynamoDB charges it.
pub(super) fn write_item(
    op: &str,
    t: &mut Table,
    key: StoredKey,
    now: Duration,
    decide: impl FnOnce(&Table, Option<&Item>) -> Result<Change>,
) -> Result<Written> {
    let token = key.token;
    match plan_write(op, t, key, now, decide) {
        Ok(planned) => Ok(commit_write(op, t, planned, now, 1.0)),
        Err(Refusal::Throttled(e)) => Err(*e),
        Err(Refusal::Rejected { error, old_size }) => {
            if error.kind == ErrorKind::ConditionalCheckFailed {
                let units = capacity::write_units(old_size);
                t.charge(op, token, Kind::Write, units, now);
            }
            Err(*error)
        }
    }
}

/// One item read through a replica view.
pub(super) struct Read<'t> {
    pub item: Option<ReadItem<'t>>,
    /// Read units charged (rounded up per item, halved for eventually consistent reads).
    pub units: f64,
    /// Which replica served it and how stale it was.
    pub info: ReadInfo,
}

/// Reads one item (GetItem, a BatchGetItem key): admitted on its partition, served by the
/// view `consistent` picks, charged for the item's size.
pub(super) fn read_item<'t>(
    op: &str,
    t: &'t Table,
    key: &StoredKey,
    consistent: bool,
    now: Duration,
) -> Result<Read<'t>> {
    let admitted = t.admit(op, key.token, Kind::Read, now);
    t.count_access(key, admitted.is_err());
    admitted?;
    let mut view = t.read_view(consistent, false, now);
    let item = t.get_in(&mut view, key, now);
    let size = item.as_ref().map_or(0, |i| i.size() as usize);
    let units = capacity::read_units(size, consistent);
    t.charge(op, key.token, Kind::Read, units, now);
    Ok(Read {
        item,
        units,
        info: view.info,
    })
}

/// Admits every read of a transaction (TransactGetItems), before any is served: a partition out
/// of capacity cancels the transaction with a `ThrottlingError` reason at its position.
pub(super) fn admit_transactional_reads<'a>(
    op: &str,
    reads: impl Iterator<Item = (&'a Table, &'a StoredKey)>,
    now: Duration,
) -> std::result::Result<(), Vec<bool>> {
    let admitted: Vec<bool> = reads
        .map(|(t, key)| {
            let admitted = t.admit(op, key.token, Kind::Read, now).is_ok();
            t.count_access(key, !admitted);
            admitted
        })
        .collect();
    if admitted.iter().all(|a| *a) {
        Ok(())
    } else {
        Err(admitted)
    }
}

/// Reads one item of a transaction from the leader, charged twice a strongly consistent read.
pub(super) fn transactional_read(
    op: &str,
    t: &Table,
    key: &StoredKey,
    now: Duration,
) -> (Option<Item>, f64) {
    let item = t.get(key);
    let units = 2.0 * capacity::read_units(item.as_ref().map(item_size).unwrap_or(0), true);
    t.charge(op, key.token, Kind::Read, units, now);
    (item, units)
}

/// A Query or Scan page: admitted on the partition holding `token` (or the GSI's own bucket),
/// read by `run`, charged for the bytes it read (DynamoDB sums the sizes of the items read,
/// before any filter, and rounds up once per page), and recorded for the usage report.
pub(super) fn read_range<'t>(
    op: &str,
    t: &Table,
    index: Option<&str>,
    token: u64,
    consistent: bool,
    now: Duration,
    run: impl FnOnce() -> PageResult<'t>,
) -> Result<PageResult<'t>> {
    t.admit_read(op, index, token, now)?;
    let page = run();
    let units = page.consumed(None, consistent).total();
    t.charge_read(op, index, token, units, now);
    t.record_page(
        page.scanned,
        page.count,
        page.bytes_read + page.bytes_fetched,
    );
    Ok(page)
}
