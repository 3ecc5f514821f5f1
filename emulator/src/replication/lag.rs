//! Replication lag: how long after a write a lagging replica applies it.

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
    Uniform { min: Duration, max: Duration },
    /// Exponential with the given mean, capped at `max` (replication delays are mostly short
    /// with a long tail).
    Exponential { mean: Duration, max: Duration },
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
            LagModel::Exponential { mean, max } => {
                let u: f64 = rng.gen_range(f64::EPSILON..1.0);
                let micros = -u.ln() * mean.as_micros() as f64;
                Duration::from_micros(micros as u64).min(*max)
            }
        }
    }

    /// The longest lag the model can produce: the window worst-case reads look back over.
    pub fn window(&self) -> Duration {
        match self {
            LagModel::Fixed(d) => *d,
            LagModel::Uniform { max, .. } | LagModel::Exponential { max, .. } => *max,
        }
    }

    /// Parses `fixed:100ms`, `uniform:0ms..200ms`, `exponential:50ms` (cap 10× the mean) or
    /// `exponential:50ms..1s`; no lag may exceed [`MAX_LAG`].
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
            _ => None,
        }
    }
}

/// The flag syntax back: `fixed:100ms`, `uniform:0ms..200ms`, `exponential:20ms..500ms`.
impl std::fmt::Display for LagModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn d(t: &Duration) -> String {
            if t.subsec_micros() % 1000 == 0 {
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
        for text in [
            "fixed:100ms",
            "uniform:0ms..200ms",
            "exponential:20ms..500ms",
            "fixed:150us",
        ] {
            assert_eq!(LagModel::parse(text).unwrap().to_string(), text);
        }
    }
}
