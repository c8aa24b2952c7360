//! What a receiving server's reply means for a delivery: delivered, try
//! again later (and whether the server asked us to slow down), or bounced
//! for good (and whether the address itself is dead, so it is suppressed).
//! And when to try again.

use chrono::Duration;

/// The class of one SMTP reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Delivered,
    /// 4xx: try again later; `slow_down` when the server throttles us.
    Deferred {
        slow_down: bool,
    },
    /// 5xx: never again for this message; `dead_address` when the mailbox or
    /// its domain does not exist (the address is then suppressed).
    Bounced {
        dead_address: bool,
    },
}

/// Classifies a reply by its code, enhanced status code (`5.1.1`) and text.
pub fn classify(code: u16, enhanced: Option<&str>, text: &str) -> Class {
    let lower = text.to_ascii_lowercase();
    match code {
        200..=299 => Class::Delivered,
        400..=499 => {
            let throttled = code == 421
                || enhanced.is_some_and(|e| e == "4.7.28" || e == "4.7.0" && lower.contains("rate"))
                || [
                    "[ts0",
                    "rate limit",
                    "rate-limit",
                    "throttl",
                    "too many",
                    "temporarily deferred",
                    "try again later",
                ]
                .iter()
                .any(|needle| lower.contains(needle));
            Class::Deferred { slow_down: throttled }
        }
        _ => {
            // Mailbox or domain that does not exist: 5.1.1 (bad mailbox),
            // 5.1.2 (bad domain), 5.1.10 (null MX), or their usual wording.
            let dead = enhanced.is_some_and(|e| matches!(e, "5.1.1" | "5.1.2" | "5.1.10" | "5.1.6"))
                || [
                    "user unknown",
                    "no such user",
                    "unknown user",
                    "does not exist",
                    "mailbox unavailable",
                    "invalid recipient",
                ]
                .iter()
                .any(|needle| lower.contains(needle))
                    && !enhanced.is_some_and(|e| e.starts_with("5.7."));
            Class::Bounced { dead_address: dead }
        }
    }
}

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
    fn real_replies_are_classified() {
        assert_eq!(classify(250, Some("2.0.0"), "OK 1700000000 q12si"), Class::Delivered);
        let gmail =
            "4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.";
        assert_eq!(classify(421, Some("4.7.28"), gmail), Class::Deferred { slow_down: true });
        let yahoo = "[TS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints";
        assert_eq!(classify(421, Some("4.7.0"), yahoo), Class::Deferred { slow_down: true });
        assert_eq!(classify(450, Some("4.2.1"), "Mailbox busy"), Class::Deferred { slow_down: false });
        let unknown = "5.1.1 The email account that you tried to reach does not exist.";
        assert_eq!(classify(550, Some("5.1.1"), unknown), Class::Bounced { dead_address: true });
        assert_eq!(
            classify(550, None, "Requested action not taken: mailbox unavailable"),
            Class::Bounced { dead_address: true }
        );
        let microsoft =
            "5.7.515 Access denied, sending domain example.com does not meet the required authentication level.";
        assert_eq!(classify(550, Some("5.7.515"), microsoft), Class::Bounced { dead_address: false });
        let spam = "5.7.1 Message rejected as spam; the user does not exist in our allow list";
        assert_eq!(
            classify(554, Some("5.7.1"), spam),
            Class::Bounced { dead_address: false },
            "policy, not the address"
        );
    }

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
