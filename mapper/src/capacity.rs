//! Consumed capacity, summed over every page and request of a call, with an estimated price.
//!
//! DynamoDB reports `ConsumedCapacity` per response; a Query over ten pages reports ten numbers
//! that other mappers drop. The mapper asks for it on every request and adds it up, per stream
//! and for the whole [`Mapper`](crate::Mapper), so the cost of a Scan against a Query, or of a
//! strong read against an eventual one, is visible.

use aws_sdk_dynamodb::types::ConsumedCapacity;

/// Capacity units consumed, and the number of requests that consumed them.
///
/// Streams and the [`Mapper`](crate::Mapper) add up every page's consumption; a total adds
/// like a number and prints with its estimated price.
///
/// ```
/// use dynamodb_mapper::Consumed;
/// // A page of 20 items of 3 KB (60 KB) read eventually consistent: 7.5 RCU.
/// let page = Consumed { read_units: 7.5, write_units: 0.0, requests: 1 };
/// let mut total = Consumed::default();
/// total += page;
/// total += page;
/// assert_eq!(total, Consumed { read_units: 15.0, write_units: 0.0, requests: 2 });
/// assert_eq!(total.to_string(), "15 RCU, 0 WCU in 2 requests (~$0.000001875)");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Consumed {
    /// Read capacity units (RCU, or RRU for on-demand tables): 1 per 4 KB strongly consistent,
    /// half that eventually consistent, twice that in a transaction.
    pub read_units: f64,
    /// Write capacity units (WCU or WRU): 1 per 1 KB written, twice that in a transaction.
    pub write_units: f64,
    /// Requests made.
    pub requests: u64,
}

/// Prices per million request units, in US dollars.
///
/// [`Consumed::estimated_cost`] uses on-demand us-east-1 prices; for another region or a
/// negotiated price, pass your own to [`Consumed::estimated_cost_at`].
///
/// ```
/// use dynamodb_mapper::{Consumed, Pricing};
/// let month = Consumed { read_units: 40e6, write_units: 4e6, requests: 1_000_000 };
/// // 40 million reads at $0.125, 4 million writes at $0.625: writes cost five times more.
/// assert_eq!(month.estimated_cost_at(Pricing::ON_DEMAND_US_EAST_1), 7.5);
/// let doubled = Pricing { per_million_reads: 0.25, per_million_writes: 1.25 };
/// assert_eq!(month.estimated_cost_at(doubled), 15.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    /// Dollars per million read request units (or RCU-hours, for provisioned estimates).
    pub per_million_reads: f64,
    /// Dollars per million write request units.
    pub per_million_writes: f64,
}

impl Pricing {
    /// On-demand prices in us-east-1 (since November 2024): $0.125 per million read request
    /// units, $0.625 per million write request units.
    pub const ON_DEMAND_US_EAST_1: Pricing = Pricing {
        per_million_reads: 0.125,
        per_million_writes: 0.625,
    };
}

impl Consumed {
    /// One read request's consumption (one entry per table for batches and transactions).
    pub(crate) fn read<'a>(c: impl IntoIterator<Item = &'a ConsumedCapacity>) -> Consumed {
        Consumed {
            read_units: c.into_iter().filter_map(|c| c.capacity_units()).sum(),
            write_units: 0.0,
            requests: 1,
        }
    }
    /// One write request's consumption.
    pub(crate) fn write<'a>(c: impl IntoIterator<Item = &'a ConsumedCapacity>) -> Consumed {
        Consumed {
            read_units: 0.0,
            write_units: c.into_iter().filter_map(|c| c.capacity_units()).sum(),
            requests: 1,
        }
    }
    /// The cost at on-demand us-east-1 prices.
    pub fn estimated_cost(&self) -> f64 {
        self.estimated_cost_at(Pricing::ON_DEMAND_US_EAST_1)
    }
    /// What these units would cost at `p`.
    pub fn estimated_cost_at(&self, p: Pricing) -> f64 {
        (self.read_units * p.per_million_reads + self.write_units * p.per_million_writes) / 1e6
    }
}

impl std::ops::AddAssign for Consumed {
    fn add_assign(&mut self, o: Consumed) {
        self.read_units += o.read_units;
        self.write_units += o.write_units;
        self.requests += o.requests;
    }
}

impl std::ops::Add for Consumed {
    type Output = Consumed;
    fn add(mut self, o: Consumed) -> Consumed {
        self += o;
        self
    }
}

impl std::fmt::Display for Consumed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} RCU, {} WCU in {} requests (~${:.9})",
            self.read_units,
            self.write_units,
            self.requests,
            self.estimated_cost()
        )
    }
}

/// The running total of a [`Mapper`](crate::Mapper) and its clones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ledger(std::sync::Arc<std::sync::Mutex<Consumed>>);

impl Ledger {
    pub(crate) fn add(&self, c: Consumed) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += c;
    }
    pub(crate) fn total(&self) -> Consumed {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn take(&self) -> Consumed {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
