//! Replication lag: how long after a write a lagging replica applies it.
//!
//! Two kinds of model. The per-write ones (`fixed`, `uniform`, `exponential`) draw a lag for
//! every write: what tests use to make staleness happen on purpose. The default, `stalls`, is
//! calibrated to how DynamoDB's replicas behave as seen from a client: a write reaches every
//! replica within a few milliseconds, so an eventually consistent read right after a write is
//! rarely stale, except while a replica stalls (a slow disk, a busy node, a network hiccup).
//! Stalls are events in time, not per write: a client writing fast does not make replicas
//! lag more often (see `docs/models.md`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// The longest replication lag a model may have: an hour. DynamoDB's replicas are typically
/// within a second; a longer window only makes the emulator keep every overwritten version for
/// that long (memory a client could grow without bound with a huge lag).
pub const MAX_LAG: Duration = Duration::from_secs(3600);

/// A distribution of lags, drawn from the emulator's seeded RNG.
#[derive(Debug, Clone, PartialEq)]
pub enum LagModel {
    /// Always the same lag.
    Fixed(Duration),
    /// Uniform between the bounds.
    Uniform {
        /// Shortest lag.
        min: Duration,
        /// Longest lag.
        max: Duration,
    },
    /// Exponential with the given mean, capped at `max` (replication delays are mostly short
    /// with a long tail).
    Exponential {
        /// Mean lag.
        mean: Duration,
        /// Longest lag.
        max: Duration,
    },
    /// Writes apply at once, except while the replica stalls: on average once every `every`,
    /// for an exponentially drawn time of mean `mean` (at most `max`). A write made during a
    /// stall applies when the stall ends.
    Stalls {
        /// Mean stall length.
        mean: Duration,
        /// Longest stall.
        max: Duration,
        /// Mean time between stalls.
        every: Duration,
    },
}

/// Where one replica's stall process stands (the [`LagModel::Stalls`] model): drawn lazily,
/// at the writes that reach the replica, from the table's seeded RNG.
#[derive(Debug, Clone, Default)]
pub struct StallState {
    /// When the next stall starts (None: not drawn yet).
    next: Option<Duration>,
    /// When the current (or last) stall ends.
    until: Duration,
}

/// An exponential draw of mean `mean`, at most `max`.
fn exponential(rng: &mut ChaCha8Rng, mean: Duration, max: Duration) -> Duration {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    let micros = -u.ln() * mean.as_micros() as f64;
    Duration::from_micros(micros as u64).min(max)
}

impl LagModel {
    /// Draws one lag.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Duration {
        match self {
            LagModel::Fixed(d) => *d,
            LagModel::Uniform { min, max } => {
                if max <= min {
                    *min
                } else {
                    let span = (*max - *min).as_micros() as u64;
                    *min + Duration::from_micros(rng.gen_range(0..=span))
                }
            }
            LagModel::Exponential { mean, max } => exponential(rng, *mean, *max),
            LagModel::Stalls { mean, max, .. } => exponential(rng, *mean, *max),
        }
    }

    /// The lag of a write reaching, at `now`, the replica whose stall process is `state`. The
    /// per-write models ignore `state` and [`draw`](LagModel::draw).
    pub fn lag(&self, state: &mut StallState, now: Duration, rng: &mut ChaCha8Rng) -> Duration {
        let LagModel::Stalls { mean, max, every } = self else {
            return self.draw(rng);
        };
        let gap = || -> Duration { Duration::from_micros((every.as_micros() as u64).max(1)) };
        let mut next = match state.next {
            Some(n) => n,
            None => *state.next.insert(now + exponential(rng, gap(), MAX_LAG)),
        };
        // Long idle (or a jump of the virtual clock): the stalls in between went unseen; the
        // process is memoryless, so it restarts from now.
        if now.saturating_sub(next) > *every * 10 + *max {
            next = now + exponential(rng, gap(), MAX_LAG);
        }
        // Walk the stalls that started by now (a bounded number: draws are rarely tiny).
        for _ in 0..64 {
            if now < state.until {
                break;
            }
            if now < next {
                break;
            }
            state.until = next + exponential(rng, *mean, *max);
            next = state.until + exponential(rng, gap(), MAX_LAG);
        }
        state.next = Some(next);
        state.until.saturating_sub(now)
    }

    /// The longest lag the model can produce: the window worst-case reads look back over.
    pub fn window(&self) -> Duration {
        match self {
            LagModel::Fixed(d) => *d,
            LagModel::Uniform { max, .. }
            | LagModel::Exponential { max, .. }
            | LagModel::Stalls { max, .. } => *max,
        }
    }

    /// The default model of table replicas: stalls of 5 ms on average (at most 1 s), once every
    /// 500 ms per replica, so about 1% of the time a given replica is behind.
    pub fn table_default() -> LagModel {
        LagModel::Stalls {
            mean: Duration::from_millis(5),
            max: Duration::from_secs(1),
            every: Duration::from_millis(500),
        }
    }

    /// The default model of global secondary indexes, which DynamoDB updates asynchronously:
    /// stalls of 20 ms on average (at most 1 s), once a second, so about 2% of the time the
    /// index is behind its table.
    pub fn gsi_default() -> LagModel {
        LagModel::Stalls {
            mean: Duration::from_millis(20),
            max: Duration::from_secs(1),
            every: Duration::from_secs(1),
        }
    }

    /// Parses `fixed:100ms`, `uniform:0ms..200ms`, `exponential:50ms` (cap 10× the mean),
    /// `exponential:50ms..1s` or `stalls:5ms..1s/500ms` (stalls of mean 5 ms, at most 1 s, one
    /// every 500 ms on average, at least 1 ms apart); no lag may exceed [`MAX_LAG`].
    pub fn parse(s: &str) -> Option<LagModel> {
        Self::parse_unbounded(s).filter(|m| m.window() <= MAX_LAG)
    }

    fn parse_unbounded(s: &str) -> Option<LagModel> {
        let (kind, rest) = s.split_once(':').unwrap_or(("fixed", s));
        let range = |r: &str| -> Option<(Duration, Duration)> {
            let (a, b) = r.split_once("..")?;
            Some((parse_duration(a)?, parse_duration(b)?))
        };
        match kind {
            "fixed" => Some(LagModel::Fixed(parse_duration(rest)?)),
            "uniform" => range(rest).map(|(min, max)| LagModel::Uniform { min, max }),
            "exponential" => match range(rest) {
                Some((mean, max)) => Some(LagModel::Exponential { mean, max }),
                None => {
                    let mean = parse_duration(rest)?;
                    Some(LagModel::Exponential {
                        mean,
                        max: mean * 10,
                    })
                }
            },
            "stalls" => {
                let (stall, every) = rest.split_once('/')?;
                let (mean, max) = range(stall)?;
                let every = parse_duration(every)?;
                (every >= Duration::from_millis(1)).then_some(LagModel::Stalls { mean, max, every })
            }
            _ => None,
        }
    }
}

/// The flag syntax back: `fixed:100ms`, `uniform:0ms..200ms`, `exponential:20ms..500ms`.
impl std::fmt::Display for LagModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn d(t: &Duration) -> String {
            if t.subsec_micros().is_multiple_of(1000) {
                format!("{}ms", t.as_millis())
            } else {
                format!("{}us", t.as_micros())
            }
        }
        match self {
            LagModel::Fixed(t) => write!(f, "fixed:{}", d(t)),
            LagModel::Uniform { min, max } => write!(f, "uniform:{}..{}", d(min), d(max)),
            LagModel::Exponential { mean, max } => {
                write!(f, "exponential:{}..{}", d(mean), d(max))
            }
            LagModel::Stalls { mean, max, every } => {
                write!(f, "stalls:{}..{}/{}", d(mean), d(max), d(every))
            }
        }
    }
}

/// Parses `250ms`, `2s`, `1.5s`, `100us` or a bare number of milliseconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "ms"),
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let micros = match unit {
        "us" => v,
        "ms" => v * 1e3,
        "s" => v * 1e6,
        _ => return None,
    };
    Some(Duration::from_micros(micros as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn draws_are_seeded_and_bounded() {
        let m = LagModel::Exponential {
            mean: Duration::from_millis(20),
            max: Duration::from_millis(100),
        };
        let draw = |seed| {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            (0..100).map(|_| m.draw(&mut r)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert!(draw(7).iter().all(|d| *d <= Duration::from_millis(100)));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn parses() {
        assert_eq!(
            LagModel::parse("fixed:100ms"),
            Some(LagModel::Fixed(Duration::from_millis(100)))
        );
        assert_eq!(
            LagModel::parse("uniform:0ms..2s"),
            Some(LagModel::Uniform {
                min: Duration::ZERO,
                max: Duration::from_secs(2)
            })
        );
        assert_eq!(
            LagModel::parse("exponential:50ms"),
            Some(LagModel::Exponential {
                mean: Duration::from_millis(50),
                max: Duration::from_millis(500)
            })
        );
        assert_eq!(LagModel::parse("fixed:abc"), None);
        assert_eq!(LagModel::parse("fixed:100000000000s"), None);
        assert_eq!(
            LagModel::parse("exponential:1000s"),
            None,
            "its cap is 10x the mean"
        );
        assert!(LagModel::parse("uniform:0ms..1h").is_none(), "no unit h");
        assert!(LagModel::parse("uniform:0ms..3600s").is_some());
        assert!(
            LagModel::parse("stalls:5ms..1s/0ms").is_none(),
            "stalls need a gap"
        );
        assert!(LagModel::parse("stalls:5ms..2h/1s").is_none());
        for text in [
            "fixed:100ms",
            "uniform:0ms..200ms",
            "exponential:20ms..500ms",
            "fixed:150us",
            "stalls:5ms..1000ms/500ms",
        ] {
            assert_eq!(LagModel::parse(text).unwrap().to_string(), text);
        }
    }

    /// The share of writes that land in a stall, over `secs` seconds of writes `gap` apart.
    fn stalled_share(model: &LagModel, seed: u64, gap: Duration, secs: u64) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut state = StallState::default();
        let n = (Duration::from_secs(secs).as_micros() / gap.as_micros()) as u32;
        let stalled = (0..n)
            .filter(|i| !model.lag(&mut state, gap * *i, &mut rng).is_zero())
            .count();
        stalled as f64 / n as f64
    }

    #[test]
    fn stalls_are_rare_whatever_the_write_rate_and_end_within_their_cap() {
        let m = LagModel::table_default();
        // About 1% of the time (mean / (every + mean)), at 1,000 and at 10 writes a second.
        for gap in [Duration::from_millis(1), Duration::from_millis(100)] {
            let share = stalled_share(&m, 3, gap, 600);
            assert!((0.003..0.03).contains(&share), "{share} at {gap:?}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut state = StallState::default();
        for i in 0..100_000u32 {
            assert!(m.lag(&mut state, Duration::from_millis(i as u64), &mut rng) <= m.window());
        }
        // A frozen clock never reaches a stall after the first draw... except by that draw.
        let frozen = (0..50)
            .filter(|seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                let mut state = StallState::default();
                (0..100).any(|_| {
                    !m.lag(&mut state, Duration::from_secs(5), &mut rng)
                        .is_zero()
                })
            })
            .count();
        assert!(frozen <= 5, "{frozen} of 50 seeds stall on a frozen clock");
    }
}
