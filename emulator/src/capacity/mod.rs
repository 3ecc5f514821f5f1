//! Capacity: what every request costs in read and write units, and throttling when a partition
//! has no capacity left.
//!
//! DynamoDB charges reads in 4 KB units (half for eventually consistent reads, double in
//! transactions) and writes in 1 KB units of the larger of the old and new item, plus one write
//! per secondary index an item change touches. Provisioned tables spread their throughput over
//! their partitions and keep up to 300 seconds of unused capacity as burst; every partition also
//! has hard limits of 3,000 RCU and 1,000 WCU per second, whatever the table's settings. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html>
//! and <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html>.

mod consumed;
pub mod insights;
pub mod quota;
pub mod report;
mod table;
mod throttle;
mod units;

pub use consumed::{Consumed, Split};
pub use quota::{Quotas, Reservations};
pub use report::Usage;
pub use table::TableCapacity;
pub use throttle::{Buckets, BurstLevels, CapacityConfig, Kind, Limit, OnDemandLimits};
pub use units::{consumed, consumed_list, read_units, write_units};
