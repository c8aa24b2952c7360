//! When to try a deferred delivery again, and for how long. What a reply
//! means is read by the `replies` crate, the same way a bounce message is.

use chrono::Duration;

/// The wait before attempt `attempts + 1`: 5 minutes, doubling, at most 4
/// hours (the receiver's own throttling doubles it once more).
pub fn retry_delay(attempts: i32, slow_down: bool) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(6);
    let minutes = (5i64 << doublings).min(240);
    Duration::minutes(if slow_down { (minutes * 2).min(480) } else { minutes })
}

/// How long a bulk message is retried before it fails as expired.
/// (The default of `EngineConfig::retry_days`.)
pub const BULK_LIFETIME_DAYS: i64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_cap() {
        assert_eq!(retry_delay(1, false), Duration::minutes(5));
        assert_eq!(retry_delay(2, false), Duration::minutes(10));
        assert_eq!(retry_delay(4, false), Duration::minutes(40));
        assert_eq!(retry_delay(30, false), Duration::minutes(240));
        assert_eq!(retry_delay(2, true), Duration::minutes(20));
        assert_eq!(retry_delay(30, true), Duration::minutes(480));
    }
}
