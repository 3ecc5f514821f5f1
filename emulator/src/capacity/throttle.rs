//! Token buckets: per-partition read and write capacity on the emulator's clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether throttling is on (it can be switched off for DynamoDB Local's behaviour).
#[derive(Debug)]
pub struct CapacityConfig {
    throttling: AtomicBool,
    /// Running totals, throttles and the per-second series.
    pub usage: super::Usage,
}

impl CapacityConfig {
    pub fn new(throttling: bool) -> Self {
        CapacityConfig {
            throttling: AtomicBool::new(throttling),
            usage: super::Usage::default(),
        }
    }
    pub fn throttling(&self) -> bool {
        self.throttling.load(Ordering::Relaxed)
    }
}

impl Default for CapacityConfig {
    fn default() -> Self {
        Self::new(true)
    }
}

/// Reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// A token bucket: `rate` units per second, holding at most `burst` seconds of them.
#[derive(Debug, Clone)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Duration,
}

impl Bucket {
    fn new(rate: f64, burst_secs: f64, now: Duration) -> Bucket {
        Bucket {
            rate,
            burst: burst_secs,
            tokens: rate * burst_secs,
            last: now,
        }
    }
    /// The tokens the bucket would hold at `now`, and the most it can hold.
    fn level(&self, now: Duration) -> (f64, f64) {
        let mut b = self.clone();
        b.refill(now);
        (b.tokens, b.rate * b.burst)
    }
    fn refill(&mut self, now: Duration) {
        if now > self.last {
            let dt = (now - self.last).as_secs_f64();
            self.tokens = (self.tokens + dt * self.rate).min(self.rate * self.burst);
            self.last = now;
        }
    }
}

/// DynamoDB's hard per-partition limits, whatever the table's settings: 3,000 RCU and 1,000
/// WCU per second
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html>).
const PARTITION_MAX_RCU: f64 = 3000.0;
const PARTITION_MAX_WCU: f64 = 1000.0;
/// Unused provisioned capacity kept as burst: five minutes
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html>).
const BURST_SECONDS: f64 = 300.0;
/// How far ahead of its per-second rate a partition (or an on-demand table) may run before it
/// is throttled: DynamoDB measures these limits as sustained rates, so a brief spike passes
/// and sustained heat does not. AWS does not publish the window; two seconds lets a 5 MB
/// batch, or a bulk load at a new on-demand table's 4,000 WRU per second, through, and still
/// throttles a key written 10 KB at a time in a tight loop within seconds (`docs/models.md`).
pub const SHORT_BURST_SECONDS: f64 = 2.0;

/// Which limit throttled a request: the capacity report counts them, the debug headers name
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Limit {
    /// A provisioned table's throughput (with its burst), which adaptive capacity lets any
    /// partition draw on.
    TableThroughput,
    /// An on-demand table's throughput: its warm throughput, twice its previous peak.
    OnDemandThroughput,
    /// One partition's hard limit (3,000 RCU / 1,000 WCU per second): a hot key.
    Partition,
    /// A global secondary index's own provisioned throughput.
    IndexThroughput,
}

impl Limit {
    /// The name the report and the `x-emulator-throttled` header use.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::TableThroughput => "table-throughput",
            Limit::OnDemandThroughput => "on-demand-throughput",
            Limit::Partition => "partition-limit",
            Limit::IndexThroughput => "index-throughput",
        }
    }
}

/// How long a partition must run at half its hard limit or more before DynamoDB splits it for
/// heat. AWS says adaptive capacity splits hot partitions automatically but not how soon;
/// a minute is the calibration (`docs/models.md`).
pub const HEAT_SPLIT_SECONDS: u64 = 60;

/// A partition's heat: the seconds in a row its traffic reached half its hard limit.
#[derive(Debug, Clone, Default)]
struct Heat {
    /// The second being counted, and what it has used so far.
    second: u64,
    used: (f64, f64),
    /// The current run of hot seconds: its first and its last.
    run: Option<(u64, u64)>,
}

impl Heat {
    fn record(&mut self, kind: Kind, units: f64, now: Duration) {
        let s = now.as_secs();
        if s != self.second {
            let closed = self.second;
            let hot =
                self.used.0 >= PARTITION_MAX_RCU / 2.0 || self.used.1 >= PARTITION_MAX_WCU / 2.0;
            self.run = match self.run {
                _ if !hot => None,
                Some((first, last)) if last + 1 == closed => Some((first, closed)),
                _ => Some((closed, closed)),
            };
            // Seconds without traffic in between are cold: the run ends.
            if s > closed + 1 {
                self.run = None;
            }
            self.second = s;
            self.used = (0.0, 0.0);
        }
        match kind {
            Kind::Read => self.used.0 += units,
            Kind::Write => self.used.1 += units,
        }
    }

    /// Whether the run of hot seconds reaches the second before `now` and lasted long enough.
    fn due(&self, now: Duration) -> bool {
        self.run.is_some_and(|(first, last)| {
            last + 1 >= now.as_secs() && last + 1 - first >= HEAT_SPLIT_SECONDS
        })
    }
}

/// What the inspection API shows of a pair of buckets: tokens left and the most each holds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BurstLevels {
    pub read_tokens: f64,
    pub read_capacity: f64,
    pub write_tokens: f64,
    pub write_capacity: f64,
}

/// Read and write token buckets: a provisioned share (with 300 s of burst), the hard
/// per-partition limits (with a short burst), or both; a partition's also track its heat.
#[derive(Debug, Clone)]
pub struct Buckets {
    provisioned: Option<(Bucket, Bucket)>,
    hard: Option<(Bucket, Bucket)>,
    heat: Heat,
}

fn provisioned_pair((r, w): (f64, f64), now: Duration) -> (Bucket, Bucket) {
    (
        Bucket::new(r, BURST_SECONDS, now),
        Bucket::new(w, BURST_SECONDS, now),
    )
}

fn hard_pair(now: Duration) -> (Bucket, Bucket) {
    (
        Bucket::new(PARTITION_MAX_RCU, SHORT_BURST_SECONDS, now),
        Bucket::new(PARTITION_MAX_WCU, SHORT_BURST_SECONDS, now),
    )
}

impl Buckets {
    /// A global secondary index's: its provisioned (RCU, WCU), if any, and the limits of one
    /// partition (an index's own partitions are not modelled).
    pub fn new(share: Option<(f64, f64)>, now: Duration) -> Buckets {
        Buckets {
            provisioned: share.map(|s| provisioned_pair(s, now)),
            hard: Some(hard_pair(now)),
            heat: Heat::default(),
        }
    }

    /// A partition's: the hard per-partition limits only.
    pub fn partition(now: Duration) -> Buckets {
        Buckets {
            provisioned: None,
            hard: Some(hard_pair(now)),
            heat: Heat::default(),
        }
    }

    /// A provisioned table's own throughput, shared by its partitions: adaptive capacity lets
    /// a hot partition use what the others leave, up to its hard limit, "instantly".
    pub fn table(throughput: Option<(f64, f64)>, now: Duration) -> Buckets {
        Buckets {
            provisioned: throughput.map(|t| provisioned_pair(t, now)),
            hard: None,
            heat: Heat::default(),
        }
    }

    /// Changes the provisioned throughput (UpdateTable), keeping accumulated tokens within the
    /// new burst.
    pub fn reprovision(&mut self, share: Option<(f64, f64)>, now: Duration) {
        match (share, &mut self.provisioned) {
            (Some((r, w)), Some((rb, wb))) => {
                rb.refill(now);
                wb.refill(now);
                rb.rate = r;
                wb.rate = w;
                rb.tokens = rb.tokens.min(r * rb.burst);
                wb.tokens = wb.tokens.min(w * wb.burst);
            }
            (share, slot) => *slot = share.map(|s| provisioned_pair(s, now)),
        }
    }

    fn pick(&mut self, kind: Kind) -> [Option<&mut Bucket>; 2] {
        let prov = self.provisioned.as_mut().map(|(r, w)| match kind {
            Kind::Read => r,
            Kind::Write => w,
        });
        let hard = self.hard.as_mut().map(|(r, w)| match kind {
            Kind::Read => r,
            Kind::Write => w,
        });
        [prov, hard]
    }

    /// Whether a request may start: no bucket may be in debt. (A request's exact cost is known
    /// only once it has run, so it is charged afterwards and may leave a debt, as on DynamoDB.)
    pub fn admit(&mut self, kind: Kind, now: Duration) -> bool {
        let mut ok = true;
        for b in self.pick(kind).into_iter().flatten() {
            b.refill(now);
            ok &= b.tokens > 0.0;
        }
        ok
    }

    /// Takes `units` from the buckets.
    pub fn charge(&mut self, kind: Kind, units: f64, now: Duration) {
        for b in self.pick(kind).into_iter().flatten() {
            b.refill(now);
            b.tokens -= units;
        }
        self.heat.record(kind, units, now);
    }

    /// Whether the partition has run at half its hard limit or more for
    /// [`HEAT_SPLIT_SECONDS`] in a row, up to `now`: DynamoDB would split it for heat.
    pub fn hot_for_split(&self, now: Duration) -> bool {
        self.heat.due(now)
    }

    /// How full the buckets are at `now` (the provisioned pair where there is one, else the
    /// hard limits'): what burst capacity is left before requests are throttled. Negative
    /// tokens are a debt that a request's cost, known only after it ran, left behind.
    pub fn levels(&self, now: Duration) -> Option<BurstLevels> {
        let (r, w) = self.provisioned.as_ref().or(self.hard.as_ref())?;
        let ((read_tokens, read_capacity), (write_tokens, write_capacity)) =
            (r.level(now), w.level(now));
        Some(BurstLevels {
            read_tokens,
            read_capacity,
            write_tokens,
            write_capacity,
        })
    }

    /// Forgets the heat (after a split: each half starts cold).
    pub fn cool(&mut self) {
        self.heat = Heat::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_due_a_split_after_a_minute_at_half_its_limit() {
        let t0 = Duration::from_secs(1000);
        let mut b = Buckets::partition(t0);
        for s in 0..=HEAT_SPLIT_SECONDS {
            let t = t0 + Duration::from_secs(s);
            assert!(!b.hot_for_split(t), "not yet at second {s}");
            b.charge(Kind::Write, 600.0, t);
        }
        // The write in second 60 closes the 60th hot second in a row.
        assert!(b.hot_for_split(t0 + Duration::from_secs(HEAT_SPLIT_SECONDS)));
        // A quiet second ends the run.
        let mut c = Buckets::partition(t0);
        for s in 0..HEAT_SPLIT_SECONDS + 5 {
            let units = if s == 30 { 10.0 } else { 600.0 };
            c.charge(Kind::Write, units, t0 + Duration::from_secs(s));
        }
        assert!(!c.hot_for_split(t0 + Duration::from_secs(HEAT_SPLIT_SECONDS + 5)));
        // So does a gap without traffic, and an idle partition is never due.
        b.charge(
            Kind::Write,
            1.0,
            t0 + Duration::from_secs(HEAT_SPLIT_SECONDS + 10),
        );
        assert!(!b.hot_for_split(t0 + Duration::from_secs(HEAT_SPLIT_SECONDS + 10)));
        b.cool();
        assert!(!b.hot_for_split(t0));
    }

    #[test]
    fn burst_then_refill() {
        let t0 = Duration::from_secs(1000);
        let mut b = Buckets::new(Some((5.0, 5.0)), t0);
        // 300 seconds of 5 RCU = 1,500 units of burst.
        let mut n = 0;
        while b.admit(Kind::Read, t0) {
            b.charge(Kind::Read, 1.0, t0);
            n += 1;
        }
        assert_eq!(n, 1500);
        assert!(!b.admit(Kind::Read, t0), "burst spent");
        // 100 ms at 5 RCU refills half a unit: enough to start one more read, which leaves a debt.
        assert!(b.admit(Kind::Read, t0 + Duration::from_millis(100)));
        b.charge(Kind::Read, 1.0, t0 + Duration::from_millis(100));
        assert!(!b.admit(Kind::Read, t0 + Duration::from_millis(150)));
        assert!(b.admit(Kind::Read, t0 + Duration::from_secs(1)));
        // Writes have their own bucket.
        assert!(b.admit(Kind::Write, t0));
    }

    #[test]
    fn a_partition_takes_a_brief_spike_but_not_sustained_heat() {
        let t0 = Duration::from_secs(10);
        let mut b = Buckets::partition(t0);
        let mut n = 0;
        while b.admit(Kind::Write, t0) {
            b.charge(Kind::Write, 1.0, t0);
            n += 1;
        }
        assert_eq!(n, 2000, "two seconds of 1,000 WCU at once");
        // Sustained: 1,000 WCU a second, no more.
        let mut sustained = 0;
        for ms in (1..=10_000).step_by(10) {
            let t = t0 + Duration::from_millis(ms);
            while b.admit(Kind::Write, t) {
                b.charge(Kind::Write, 1.0, t);
                sustained += 1;
            }
        }
        assert!((9_900..=10_100).contains(&sustained), "{sustained} in 10 s");
        // A provisioned table's own bucket has no hard limit: adaptive capacity.
        let mut t = Buckets::table(Some((10_000.0, 10_000.0)), t0);
        let mut m = 0;
        while t.admit(Kind::Write, t0) && m < 100_000 {
            t.charge(Kind::Write, 100.0, t0);
            m += 1;
        }
        assert_eq!(m, 30_000, "300 s of 10,000 WCU, in 100-unit writes");
    }
}

/// An on-demand table's own limits: its warm throughput, at first 12,000 read and 4,000 write
/// request units per second, then twice the highest second seen so far. That is how DynamoDB
/// lets on-demand traffic grow while throttling sudden jumps beyond double the previous peak
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html>,
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html>).
/// The limits are rates, measured like the partitions' hard limits: a table may run
/// [`SHORT_BURST_SECONDS`] ahead of them before it is throttled.
#[derive(Debug, Clone)]
pub struct OnDemandLimits {
    second: u64,
    used: (f64, f64),
    peak: (f64, f64),
    read: Bucket,
    write: Bucket,
}

const ON_DEMAND_INITIAL: (f64, f64) = (12_000.0, 4_000.0);

impl OnDemandLimits {
    pub fn new() -> Self {
        let now = Duration::ZERO;
        OnDemandLimits {
            second: 0,
            used: (0.0, 0.0),
            peak: (0.0, 0.0),
            read: Bucket::new(ON_DEMAND_INITIAL.0, SHORT_BURST_SECONDS, now),
            write: Bucket::new(ON_DEMAND_INITIAL.1, SHORT_BURST_SECONDS, now),
        }
    }

    /// Moves to the second of `now`: the peak and the limits follow what the last one used.
    fn roll(&mut self, now: Duration) {
        let s = now.as_secs();
        if s != self.second {
            self.peak.0 = self.peak.0.max(self.used.0);
            self.peak.1 = self.peak.1.max(self.used.1);
            self.used = (0.0, 0.0);
            self.second = s;
            // The new limit applies from the second that starts now: it is what that second
            // may use ("up to double the previous peak"), so the refill uses it.
            self.read.rate = self.limit(Kind::Read);
            self.write.rate = self.limit(Kind::Write);
            self.read.refill(now);
            self.write.refill(now);
        }
    }

    /// The current per-second limit for reads or writes.
    pub fn limit(&self, kind: Kind) -> f64 {
        match kind {
            Kind::Read => ON_DEMAND_INITIAL.0.max(2.0 * self.peak.0),
            Kind::Write => ON_DEMAND_INITIAL.1.max(2.0 * self.peak.1),
        }
    }

    fn bucket(&mut self, kind: Kind) -> &mut Bucket {
        match kind {
            Kind::Read => &mut self.read,
            Kind::Write => &mut self.write,
        }
    }

    pub fn admit(&mut self, kind: Kind, now: Duration) -> bool {
        self.roll(now);
        let b = self.bucket(kind);
        b.refill(now);
        b.tokens > 0.0
    }

    pub fn charge(&mut self, kind: Kind, units: f64, now: Duration) {
        self.roll(now);
        let b = self.bucket(kind);
        b.refill(now);
        b.tokens -= units;
        match kind {
            Kind::Read => self.used.0 += units,
            Kind::Write => self.used.1 += units,
        }
    }
}

impl Default for OnDemandLimits {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod on_demand_tests {
    use super::*;

    #[test]
    fn limits_start_at_the_documented_rates_and_double_on_the_peak() {
        let mut l = OnDemandLimits::new();
        let t = Duration::from_secs(100);
        assert_eq!(l.limit(Kind::Write), 4000.0);
        // 4,000 WRU a second, and a brief spike of up to two seconds' worth at once.
        let mut n = 0;
        while l.admit(Kind::Write, t) {
            l.charge(Kind::Write, 100.0, t);
            n += 1;
        }
        assert_eq!(n, 80, "8,000 WRU at once, then throttled");
        // The next second the limit is twice the peak.
        let t2 = t + Duration::from_secs(1);
        assert!(l.admit(Kind::Write, t2));
        assert_eq!(l.limit(Kind::Write), 16000.0);
        assert_eq!(l.limit(Kind::Read), 12000.0);
    }
}
