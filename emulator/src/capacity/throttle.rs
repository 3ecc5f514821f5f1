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
