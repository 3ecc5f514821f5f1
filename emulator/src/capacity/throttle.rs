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
    pub fn set_throttling(&self, on: bool) {
        self.throttling.store(on, Ordering::Relaxed);
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
    fn refill(&mut self, now: Duration) {
        if now > self.last {
            let dt = (now - self.last).as_secs_f64();
            self.tokens = (self.tokens + dt * self.rate).min(self.rate * self.burst);
            self.last = now;
        }
    }
}

/// DynamoDB's hard per-partition limits, whatever the table's settings.
const PARTITION_MAX_RCU: f64 = 3000.0;
const PARTITION_MAX_WCU: f64 = 1000.0;
/// Unused provisioned capacity kept as burst.
const BURST_SECONDS: f64 = 300.0;

/// The buckets of one partition: its share of the table's throughput (provisioned tables only)
/// and the hard per-partition limits.
#[derive(Debug, Clone)]
pub struct Buckets {
    provisioned: Option<(Bucket, Bucket)>,
    hard_read: Bucket,
    hard_write: Bucket,
}

impl Buckets {
    /// `share`: this partition's (RCU, WCU) for a provisioned table, None for on-demand.
    pub fn new(share: Option<(f64, f64)>, now: Duration) -> Buckets {
        Buckets {
            provisioned: share.map(|(r, w)| {
                (
                    Bucket::new(r, BURST_SECONDS, now),
                    Bucket::new(w, BURST_SECONDS, now),
                )
            }),
            hard_read: Bucket::new(PARTITION_MAX_RCU, 1.0, now),
            hard_write: Bucket::new(PARTITION_MAX_WCU, 1.0, now),
        }
    }

    /// Changes the provisioned share (UpdateTable), keeping accumulated tokens within the new burst.
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
            (share, slot) => {
                *slot = share.map(|(r, w)| {
                    (
                        Bucket::new(r, BURST_SECONDS, now),
                        Bucket::new(w, BURST_SECONDS, now),
                    )
                })
            }
        }
    }

    fn pick(&mut self, kind: Kind) -> (Option<&mut Bucket>, &mut Bucket) {
        match kind {
            Kind::Read => (
                self.provisioned.as_mut().map(|p| &mut p.0),
                &mut self.hard_read,
            ),
            Kind::Write => (
                self.provisioned.as_mut().map(|p| &mut p.1),
                &mut self.hard_write,
            ),
        }
    }

    /// Whether a request may start: no bucket may be in debt. (A request's exact cost is known
    /// only once it has run, so it is charged afterwards and may leave a debt, as on DynamoDB.)
    pub fn admit(&mut self, kind: Kind, now: Duration) -> bool {
        let (prov, hard) = self.pick(kind);
        hard.refill(now);
        let mut ok = hard.tokens > 0.0;
        if let Some(p) = prov {
            p.refill(now);
            ok &= p.tokens > 0.0;
        }
        ok
    }

    /// Takes `units` from the buckets.
    pub fn charge(&mut self, kind: Kind, units: f64, now: Duration) {
        let (prov, hard) = self.pick(kind);
        hard.refill(now);
        hard.tokens -= units;
        if let Some(p) = prov {
            p.refill(now);
            p.tokens -= units;
        }
    }

    /// Splits the tokens between two partitions (a partition split).
    pub fn halve(&mut self) {
        if let Some((r, w)) = &mut self.provisioned {
            r.rate /= 2.0;
            w.rate /= 2.0;
            r.tokens /= 2.0;
            w.tokens /= 2.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn hard_partition_limit_applies_on_demand() {
        let t0 = Duration::from_secs(10);
        let mut b = Buckets::new(None, t0);
        let mut n = 0;
        while b.admit(Kind::Write, t0) {
            b.charge(Kind::Write, 1.0, t0);
            n += 1;
        }
        assert_eq!(n, 1000);
    }
}

/// An on-demand table's own limits: at first 12,000 read and 4,000 write request units per
/// second; each limit then follows twice the highest second seen so far, which is how DynamoDB
/// lets on-demand traffic grow while throttling sudden jumps beyond double the previous peak.
/// See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html>.
#[derive(Debug, Clone)]
pub struct OnDemandLimits {
    second: u64,
    used: (f64, f64),
    peak: (f64, f64),
}

const ON_DEMAND_INITIAL: (f64, f64) = (12_000.0, 4_000.0);

impl OnDemandLimits {
    pub fn new() -> Self {
        OnDemandLimits {
            second: 0,
            used: (0.0, 0.0),
            peak: (0.0, 0.0),
        }
    }

    fn roll(&mut self, now: Duration) {
        let s = now.as_secs();
        if s != self.second {
            self.peak.0 = self.peak.0.max(self.used.0);
            self.peak.1 = self.peak.1.max(self.used.1);
            self.used = (0.0, 0.0);
            self.second = s;
        }
    }

    /// The current per-second limit for reads or writes.
    pub fn limit(&self, kind: Kind) -> f64 {
        match kind {
            Kind::Read => ON_DEMAND_INITIAL.0.max(2.0 * self.peak.0),
            Kind::Write => ON_DEMAND_INITIAL.1.max(2.0 * self.peak.1),
        }
    }

    pub fn admit(&mut self, kind: Kind, now: Duration) -> bool {
        self.roll(now);
        let used = if kind == Kind::Read {
            self.used.0
        } else {
            self.used.1
        };
        used < self.limit(kind)
    }

    pub fn charge(&mut self, kind: Kind, units: f64, now: Duration) {
        self.roll(now);
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
        assert!(l.admit(Kind::Write, t));
        l.charge(Kind::Write, 4000.0, t);
        assert!(
            !l.admit(Kind::Write, t),
            "over the initial 4,000 WRU in one second"
        );
        // The next second the limit is twice the peak.
        let t2 = t + Duration::from_secs(1);
        assert!(l.admit(Kind::Write, t2));
        assert_eq!(l.limit(Kind::Write), 8000.0);
        assert_eq!(l.limit(Kind::Read), 12000.0);
    }
}
