//! What a receiving server's words mean, read one way wherever they come
//! from: a reply during delivery (code, enhanced status code, text) or the
//! diagnostic of a bounce message that arrives later. Both give a
//! [`Reason`] from the same taxonomy, the same [`Effect`] on the address and
//! the same suppression rule, so "550 5.1.1 user unknown" at RCPT and in a
//! DSN end the same way. Pure: no I/O.

mod reason;

pub use reason::{Effect, Reason, SISIMAI, classify as reason, from_sisimai, status_in};

/// An error-address rule: an address is suppressed after `bounces`
/// bounces of one reason within `days` days (0 bounces: never). Operators
/// set one per reason; [`Rule::default_for`] is where each starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub bounces: i32,
    pub days: i32,
}

impl Rule {
    /// The most bounces and days a rule may ask for.
    pub const MAX_BOUNCES: i32 = 100;
    pub const MAX_DAYS: i32 = 365;

    /// A gone address at once; one that may recover after three bounces in
    /// 30 days; one refused for our sending (reputation, authentication,
    /// rate, policy) never: the address is not at fault.
    pub fn default_for(reason: Reason) -> Self {
        match reason.effect() {
            Effect::Hard => Self { bounces: 1, days: 30 },
            Effect::Soft => Self { bounces: 3, days: 30 },
            Effect::Sender => Self { bounces: 0, days: 30 },
        }
    }

    /// Whether an address with `bounces` of the reason within the rule's
    /// days (this one included) is suppressed.
    pub fn suppresses(self, bounces: i64) -> bool {
        self.bounces > 0 && bounces >= i64::from(self.bounces)
    }

    /// Within the bounds an operator may set.
    pub fn is_valid(self) -> bool {
        (0..=Self::MAX_BOUNCES).contains(&self.bounces) && (1..=Self::MAX_DAYS).contains(&self.days)
    }
}

/// What a reply during delivery means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 4xx: try again later; `slow_down` when the server throttles us.
    Deferred {
        slow_down: bool,
    },
    /// 5xx: never again for this message.
    Bounced,
}

/// A reply read: what it means for the message, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// The same reason a bounce message with these words would get.
    pub reason: Reason,
}

impl Verdict {
    /// What a bounce with this reply does to the address.
    pub fn effect(self) -> Effect {
        self.reason.effect()
    }
}

/// Reads an SMTP reply by its code, enhanced status code (`5.1.1`) and text.
pub fn reply(code: u16, enhanced: Option<&str>, text: &str) -> Verdict {
    // Without an enhanced code the reply code's class stands for it, as in
    // a bounce message whose diagnostic has none.
    let status = match enhanced {
        Some(e) => e.to_owned(),
        None => format!("{}.0.0", code / 100),
    };
    let reason = reason::classify(&status, text);
    let outcome = match code {
        200..=299 => Outcome::Delivered,
        400..=499 => {
            let lower = text.to_ascii_lowercase();
            let slow_down = code == 421
                || reason == Reason::RateLimited
                || enhanced == Some("4.7.0") && lower.contains("rate")
                || ["too many", "try again later"].iter().any(|needle| lower.contains(needle));
            Outcome::Deferred { slow_down }
        }
        _ => Outcome::Bounced,
    };
    Verdict { outcome, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_replies_are_read() {
        assert_eq!(reply(250, Some("2.0.0"), "OK 1700000000 q12si").outcome, Outcome::Delivered);
        let gmail =
            "4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.";
        assert_eq!(reply(421, Some("4.7.28"), gmail).outcome, Outcome::Deferred { slow_down: true });
        let yahoo = "[TS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints";
        assert_eq!(reply(421, Some("4.7.0"), yahoo).outcome, Outcome::Deferred { slow_down: true });
        assert_eq!(reply(450, Some("4.2.1"), "Mailbox busy").outcome, Outcome::Deferred { slow_down: false });
        let unknown = "5.1.1 The email account that you tried to reach does not exist.";
        assert_eq!(
            reply(550, Some("5.1.1"), unknown),
            Verdict { outcome: Outcome::Bounced, reason: Reason::UserUnknown }
        );
        assert_eq!(reply(550, None, "Requested action not taken: mailbox unavailable").effect(), Effect::Hard);
        let microsoft =
            "5.7.515 Access denied, sending domain example.com does not meet the required authentication level.";
        assert_eq!(reply(550, Some("5.7.515"), microsoft).effect(), Effect::Sender);
        let spam = "5.7.1 Message rejected as spam; the user does not exist in our allow list";
        assert_eq!(reply(554, Some("5.7.1"), spam).effect(), Effect::Sender, "policy, not the address");
        assert_eq!(reply(552, Some("5.2.2"), "Mailbox full").effect(), Effect::Soft);
    }

    #[test]
    fn a_reply_and_a_bounce_message_with_the_same_words_agree() {
        let words = "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown";
        let at_rcpt = reply(550, Some("5.1.1"), "5.1.1 <ann@example.org>: Recipient address rejected: User unknown");
        let in_dsn = reason(status_in(words).as_deref().unwrap_or_default(), words);
        assert_eq!(at_rcpt.reason, in_dsn);
        assert_eq!(at_rcpt.reason, Reason::UserUnknown);
    }

    #[test]
    fn hard_bounces_suppress_at_once_soft_ones_at_the_limit_ours_never() {
        let hard = Rule::default_for(Reason::UserUnknown);
        assert!(hard.suppresses(1));
        let soft = Rule::default_for(Reason::MailboxFull);
        assert!(!soft.suppresses(2));
        assert!(soft.suppresses(3));
        assert!(!Rule::default_for(Reason::Blocked).suppresses(100));
        assert!(Reason::ALL.iter().all(|r| Rule::default_for(*r).is_valid()));
        assert!(!Rule { bounces: 1, days: 0 }.is_valid());
        assert!(!Rule { bounces: -1, days: 3 }.is_valid());
        assert_eq!(
            Reason::ALL.iter().map(|r| Reason::from_name(r.as_str())).collect::<Vec<_>>(),
            Reason::ALL.map(Some)
        );
    }
}
