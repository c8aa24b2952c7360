//! Why a message bounced: the reason taxonomy (after sisimai's), told from
//! the enhanced status code and the receiver's words, and what each reason
//! means for the address.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    UserUnknown,
    HostUnknown,
    HasMoved,
    MailboxFull,
    Suspend,
    MesgTooBig,
    Expired,
    /// Too many messages or connections: the receiver slows us down.
    RateLimited,
    /// Refused for our reputation, a blocklist or a spam verdict.
    Blocked,
    /// SPF, DKIM or DMARC failed at the receiver.
    AuthFailure,
    /// Refused by the receiver's policy (relaying, content, other).
    PolicyViolation,
    SystemError,
    NetworkError,
    Undefined,
}

/// What a bounce does to the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The address is gone: suppress it at once.
    Hard,
    /// It may recover: suppress after repeated bounces.
    Soft,
    /// About us, not the address (reputation, authentication, rate):
    /// never suppress, but count it.
    Sender,
}

impl Effect {
    /// As stored (`bounces.effect`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Soft => "soft",
            Self::Sender => "sender",
        }
    }
}

impl Reason {
    /// Every reason, the address's own first, those about our sending last.
    pub const ALL: [Reason; 14] = [
        Self::UserUnknown,
        Self::HostUnknown,
        Self::HasMoved,
        Self::MailboxFull,
        Self::Suspend,
        Self::MesgTooBig,
        Self::Expired,
        Self::SystemError,
        Self::NetworkError,
        Self::Undefined,
        Self::RateLimited,
        Self::Blocked,
        Self::AuthFailure,
        Self::PolicyViolation,
    ];

    /// The reason stored as `name` ([`Reason::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserUnknown => "user-unknown",
            Self::HostUnknown => "host-unknown",
            Self::HasMoved => "has-moved",
            Self::MailboxFull => "mailbox-full",
            Self::Suspend => "suspended",
            Self::MesgTooBig => "message-too-big",
            Self::Expired => "expired",
            Self::RateLimited => "rate-limited",
            Self::Blocked => "blocked",
            Self::AuthFailure => "auth-failure",
            Self::PolicyViolation => "policy",
            Self::SystemError => "system-error",
            Self::NetworkError => "network-error",
            Self::Undefined => "undefined",
        }
    }

    pub fn effect(self) -> Effect {
        match self {
            Self::UserUnknown | Self::HostUnknown | Self::HasMoved => Effect::Hard,
            Self::RateLimited | Self::Blocked | Self::AuthFailure | Self::PolicyViolation => Effect::Sender,
            Self::MailboxFull
            | Self::Suspend
            | Self::MesgTooBig
            | Self::Expired
            | Self::SystemError
            | Self::NetworkError
            | Self::Undefined => Effect::Soft,
        }
    }
}

/// sisimai's reasons and the one of ours each stands for, as the peer
/// comparison (`tests/tests/sisimai_peer.rs`) reads them. Where sisimai has
/// a finer word, ours is the effect it has on the address:
/// - `badreputation`, `requireptr`, `spamdetected` are refusals of the
///   sender for what it is (Blocked); `rejected` (the sender refused by the
///   receiver's rules: a group one may not post to, an envelope sender it
///   will not take) is PolicyViolation; neither is the address's fault;
/// - `securityerror` covers authentication and security refusals (AuthFailure);
/// - `filtered` is a receiver's filter (PolicyViolation), though a filter's
///   5.1.1 is, for us, an unknown user: the mailbox is gone either way;
/// - `notaccept` (a null MX, a host that takes no mail) is HostUnknown;
/// - `exceedlimit` (a message over the mailbox's limit) is MesgTooBig;
/// - `onhold` and `undefined` are Undefined.
pub const SISIMAI: &[(&str, Reason)] = &[
    ("userunknown", Reason::UserUnknown),
    ("hostunknown", Reason::HostUnknown),
    ("notaccept", Reason::HostUnknown),
    ("hasmoved", Reason::HasMoved),
    ("mailboxfull", Reason::MailboxFull),
    ("suspend", Reason::Suspend),
    ("mesgtoobig", Reason::MesgTooBig),
    ("exceedlimit", Reason::MesgTooBig),
    ("expired", Reason::Expired),
    ("toomanyconn", Reason::RateLimited),
    ("speeding", Reason::RateLimited),
    ("blocked", Reason::Blocked),
    ("rejected", Reason::PolicyViolation),
    ("badreputation", Reason::Blocked),
    ("requireptr", Reason::Blocked),
    ("spamdetected", Reason::Blocked),
    ("securityerror", Reason::AuthFailure),
    ("authfailure", Reason::AuthFailure),
    ("policyviolation", Reason::PolicyViolation),
    ("filtered", Reason::PolicyViolation),
    ("norelaying", Reason::PolicyViolation),
    ("contenterror", Reason::PolicyViolation),
    ("virusdetected", Reason::PolicyViolation),
    ("notcompliantrfc", Reason::PolicyViolation),
    ("systemerror", Reason::SystemError),
    ("mailererror", Reason::SystemError),
    ("systemfull", Reason::SystemError),
    ("syntaxerror", Reason::SystemError),
    ("networkerror", Reason::NetworkError),
    ("onhold", Reason::Undefined),
    ("undefined", Reason::Undefined),
];

/// Ours for a sisimai reason (None for `delivered`, `vacation`, `feedback`:
/// not failures).
pub fn from_sisimai(reason: &str) -> Option<Reason> {
    SISIMAI.iter().find(|(name, _)| *name == reason).map(|(_, ours)| *ours)
}

/// Words receivers use, checked before the status code: many servers send
/// a generic 5.0.0 or 5.1.1 whatever the cause.
static BY_TEXT: LazyLock<Vec<(Regex, Reason)>> = LazyLock::new(|| {
    let table: &[(&str, Reason)] = &[
        // A group's refusal of a poster names a group that "may not exist":
        // it is about the sender's right to post, not a mailbox.
        (r"permission to post|not allowed to post|投稿する権限|groups\.google\.com/support", Reason::PolicyViolation),
        // Gmail's refusal of an attachment type says "blocked", but it is
        // the message's content, whoever sends it.
        (r"content presents a potential", Reason::PolicyViolation),
        (
            r"spf|dkim|dmarc|authenticat|not authorized to send|sender.*(?:forged|not verified)|address is not verified|identities failed",
            Reason::AuthFailure,
        ),
        (
            r"spam|blacklist|blocklist|block ?list|black ?list|reputation|\brbl\b|dnsbl|spamhaus|blocked|junk|reverse dns|rdns|ptr (?:record|resource)|no ptr|reverse lookup|mismatches client ip|invalid ip for sending|messages from \S+ weren't sent|client host rejected|ip name lookup failed|my name was rejected|banned sending ip",
            Reason::Blocked,
        ),
        (
            r"too many (?:messages|connections|recipients)|rate limit|rate-limit|throttl|temporarily deferred|4\.7\.28|\[ts0\d\]|relay quota|sending quota|daily .{0,20}quota",
            Reason::RateLimited,
        ),
        (
            r"over ?quota|quota exceeded|mailbox (?:is )?full|mailbox exceeded|mailbox size limit|exceeded storage|full mailbox|mailfolder is full",
            Reason::MailboxFull,
        ),
        (
            r"message (?:is )?too (?:large|big)|size limit|message size exceeds|exceeds (?:the )?maximum",
            Reason::MesgTooBig,
        ),
        (
            r"(?:account|mailbox|user)\b(?:\s+\S+@\S+)?[^.]{0,40}(?:suspended|locked)|disabled|inactive|deactivated|frozen|account (?:has been |is )?(?:locked|closed|expired)|not active",
            Reason::Suspend,
        ),
        (r"has moved|moved to|no longer (?:valid|available) at", Reason::HasMoved),
        (
            r"host (?:or domain name )?not found|domain (?:not found|does not exist)|unrouteable|unroutable|no mx|null mx|doesn't receive email|had no relevant answers|name service error|nxdomain|host unknown|unknown host|no such domain|domain is not reachable|does not accept mail",
            Reason::HostUnknown,
        ),
        (
            r"user unknown|unknown user|no such (?:user|mailbox|recipient|account)|does not exist|doesn't exist|not exist|invalid (?:recipient|mailbox|address|user)|mailbox (?:unavailable|not found)|user not found|unknown (?:recipient|mailbox|local part)|not our customer|undeliverable address|bad destination mailbox|recipient not found|no mailbox|not a registered|not listed in (?:the )?(?:domino )?directory|not listed in public name & address book|doesn't have an? \S+ account|recipient address rejected: access denied|ディレクトリ.{0,12}(?:見つかりません|ありません)|宛先.{0,8}(?:不明|存在しません)",
            Reason::UserUnknown,
        ),
        (
            r"expired|retry time(?:out)? (?:not reached|exceeded)|too long|could not be delivered for \d+|not delivered within|have been failing for a long time|after multiple retries",
            Reason::Expired,
        ),
        (
            r"connection (?:refused|timed out|reset)|no route to host|network|timeout|timed out|lost connection|socket error|did not accept our requests to connect|refused to talk|host name lookup failure|name server timeout|routing loop|hop count exceeded|too many hops|mail loop",
            Reason::NetworkError,
        ),
        (
            r"relay(?:ing)? (?:denied|not permitted|access denied)|not configured to relay|not permitted|policy|prohibited|refused|access denied|virus|permission to post|not allowed to post|投稿する権限|groups\.google\.com/support|improper use of 8-bit data|headers too large|rejected by a remote mail server",
            Reason::PolicyViolation,
        ),
        (
            r"system (?:error|not accepting)|local error|internal error|resources|mailer error|insufficient (?:system |disk )?(?:space|storage)",
            Reason::SystemError,
        ),
    ];
    table
        .iter()
        .map(|(pattern, reason)| {
            (Regex::new(&format!("(?i){pattern}")).unwrap_or_else(|e| panic!("{pattern}: {e}")), *reason)
        })
        .collect()
});

/// The reason a status code gives on its own (RFC 3463).
fn by_status(status: &str) -> Option<Reason> {
    let mut parts = status.split('.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    Some(match (subject, detail) {
        ("1", "1" | "0" | "3" | "10") => Reason::UserUnknown,
        ("1", "2") => Reason::HostUnknown,
        ("1", "6") => Reason::HasMoved,
        ("2", "1") => Reason::Suspend,
        ("2", "2") | ("3", "1") => Reason::MailboxFull,
        ("2", "3") | ("3", "4") => Reason::MesgTooBig,
        ("4", "7") => Reason::Expired,
        ("4", "4") => Reason::HostUnknown,
        ("4", _) => Reason::NetworkError,
        ("7", "1") => Reason::PolicyViolation,
        // Security (RFC 3463: cryptographic failure, algorithm not
        // supported, integrity) and the authentication results of RFC 7372.
        // 5.7.8 and 5.7.9 are about SMTP AUTH, which no MX asks of us:
        // receivers use them for their own policy.
        ("7", "5" | "6" | "7" | "20" | "21" | "22" | "23" | "24" | "25" | "26") => Reason::AuthFailure,
        ("7", "28") => Reason::RateLimited,
        ("7", _) => Reason::PolicyViolation,
        ("3", _) => Reason::SystemError,
        _ if class == "4" => Reason::Undefined,
        _ => Reason::Undefined,
    })
}

/// The reason for a failure with this status (`5.1.1`, may be empty) and
/// diagnostic text:
/// 1. a status about our sender address (5.1.7, 5.1.8) is about us;
/// 2. words about spam, authentication or rate say the refusal is about us,
///    whatever the code (servers often answer those with 5.1.1 or 5.0.0);
/// 3. words that name the mailbox's state (unknown, full, moved, disabled)
///    beat a status that does not;
/// 4. then a specific status, then any words, then the status's class.
pub fn classify(status: &str, diagnostic: &str) -> Reason {
    use Reason::*;
    if status.ends_with(".1.7") || status.ends_with(".1.8") {
        return PolicyViolation;
    }
    let from_text = BY_TEXT.iter().find(|(re, _)| re.is_match(diagnostic)).map(|(_, r)| *r);
    let from_status = by_status(status);
    let mailbox = |r: Reason| matches!(r, UserUnknown | HostUnknown | HasMoved | MailboxFull);
    match (from_status, from_text) {
        (_, Some(r @ (AuthFailure | Blocked | RateLimited))) => r,
        (s, Some(t))
            if matches!(t, UserUnknown | HostUnknown | HasMoved | MailboxFull | Suspend | MesgTooBig)
                && !s.is_some_and(mailbox) =>
        {
            t
        }
        (Some(s), _) if !matches!(s, Undefined | PolicyViolation | SystemError | NetworkError) => s,
        (_, Some(t)) => t,
        (Some(s), None) => s,
        (None, None) => Undefined,
    }
}

/// The first enhanced status code (`5.1.1`) in a text.
pub fn status_in(text: &str) -> Option<String> {
    // A provider's own code (`4.16.55.1`) is not one: a match followed by
    // another `.digit` is skipped.
    static STATUS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b([245]\.\d\.\d{1,3})\b(\.\d)?").unwrap_or_else(|e| panic!("{e}")));
    static REPLY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|\s|:)([45])([0-5])\d(?:[\s-]|$)").unwrap_or_else(|e| panic!("{e}")));
    if let Some(c) = STATUS.captures_iter(text).find(|c| c.get(2).is_none()) {
        return Some(c[1].to_owned());
    }
    // A bare reply code: 550 → 5.0.0, 452 → 4.0.0 (its class only).
    REPLY.captures(text).map(|c| format!("{}.0.0", &c[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phrases_of_other_mtas_are_read() {
        let cases = [
            ("", "User some.name (a@b.jp) not listed in Domino Directory", Reason::UserUnknown),
            ("5.0.0", "554 delivery error: dd This user doesn't have a yahoo.com account", Reason::UserUnknown),
            ("", "vdelivermail: account is locked email bounced", Reason::Suspend),
            ("", "Unable to deliver message after multiple retries, giving up.", Reason::Expired),
            ("5.5.0", "550 domain [example.com] mismatches client ip 192.0.2.225.", Reason::Blocked),
            ("5.0.0", "554 INVALID IP FOR SENDING MAIL OF DOMAIN example.com", Reason::Blocked),
            ("5.6.9", "550 5.6.9 improper use of 8-bit data in message header", Reason::PolicyViolation),
            ("", "kijitora@neko.example.jp: Domain does not exist", Reason::HostUnknown),
            ("4.7.1", "450 4.7.1 Access denied. IP name lookup failed [192.0.2.222]", Reason::Blocked),
            ("4.7.1", "450 4.7.1 <c135.example.ne.jp[192.0.2.56]>: Client host rejected", Reason::Blocked),
            ("", "you may not have permission to post messages to the group", Reason::PolicyViolation),
            ("", "グループにメッセージを投稿する権限がない可能性があります", Reason::PolicyViolation),
        ];
        for (status, text, reason) in cases {
            assert_eq!(classify(status, text), reason, "{text}");
        }
        assert_eq!(from_sisimai("filtered"), Some(Reason::PolicyViolation));
        assert_eq!(from_sisimai("delivered"), None);
    }

    #[test]
    fn status_and_words_decide_together() {
        assert_eq!(classify("5.1.1", "550 5.1.1 User Unknown"), Reason::UserUnknown);
        assert_eq!(classify("5.0.0", "550 Mailbox quota exceeded"), Reason::MailboxFull);
        assert_eq!(classify("5.7.1", "550 5.7.1 Message rejected as spam"), Reason::Blocked);
        assert_eq!(classify("4.7.28", "421 4.7.28 unusual rate of unsolicited mail"), Reason::RateLimited);
        assert_eq!(
            classify("5.7.26", "unauthenticated email is not accepted due to DMARC policy"),
            Reason::AuthFailure
        );
        assert_eq!(classify("4.2.2", "452 4.2.2 The email account is over quota"), Reason::MailboxFull);
        assert_eq!(classify("", "Host or domain name not found"), Reason::HostUnknown);
        assert_eq!(classify("5.0.0", ""), Reason::Undefined);
        assert_eq!(Reason::UserUnknown.effect(), Effect::Hard);
        assert_eq!(Reason::MailboxFull.effect(), Effect::Soft);
        assert_eq!(Reason::Blocked.effect(), Effect::Sender);
    }

    #[test]
    fn status_codes_are_found_in_text() {
        assert_eq!(status_in("host x said: 550 5.1.1 <a@b>... User Unknown").as_deref(), Some("5.1.1"));
        assert_eq!(status_in("SMTP error: 550 Please use your ISP").as_deref(), Some("5.0.0"));
        assert_eq!(status_in("nothing here"), None);
    }
}
