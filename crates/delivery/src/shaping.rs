//! Traffic shaping as data: per-destination limits and the replies that
//! suspend a destination, read from `config/shaping.toml` (built in) or the
//! operator's own copy.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

/// The shaping file the binary carries.
pub const BUILTIN: &str = include_str!("../../../config/shaping.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsPolicy {
    /// STARTTLS when offered; a certificate that does not verify is still
    /// used (and recorded as unverified) rather than sending in clear text.
    Opportunistic,
    /// Only over TLS with a certificate that verifies for the MX name.
    Required,
}

/// The limits of one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub connections: usize,
    pub messages_per_connection: usize,
    /// 0: no limit.
    pub messages_per_minute: u32,
    /// No new mail in the first this many minutes of each hour, when
    /// everyone else's scheduled mail arrives (the Japanese carriers ask
    /// senders to keep off the top of the hour); 0: any time.
    pub quiet_minutes_after_hour: u32,
    pub tls: TlsPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    connections: usize,
    messages_per_connection: usize,
    #[serde(default)]
    messages_per_minute: u32,
    #[serde(default)]
    quiet_minutes_after_hour: u32,
    tls: TlsPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDestination {
    mx_suffixes: Vec<String>,
    connections: Option<usize>,
    messages_per_connection: Option<usize>,
    messages_per_minute: Option<u32>,
    quiet_minutes_after_hour: Option<u32>,
    tls: Option<TlsPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    pattern: String,
    suspend_minutes: u64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileGlobal {
    #[serde(default)]
    messages_per_second: u32,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileWarmup {
    #[serde(default)]
    daily: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    global: FileGlobal,
    #[serde(default)]
    warmup: FileWarmup,
    default: FileLimits,
    #[serde(default)]
    destinations: BTreeMap<String, FileDestination>,
    #[serde(default)]
    throttle: Vec<FileRule>,
}

#[derive(Debug, Clone)]
pub struct Shaping {
    /// Messages a second over all destinations (0: no limit).
    pub global_per_second: u32,
    /// Messages a day per source address on its day 1, 2, …; empty: no warm-up.
    pub warmup: Vec<u32>,
    default: Limits,
    /// (name, MX name suffixes, limits)
    destinations: Vec<(String, Vec<String>, Limits)>,
    throttle: Vec<(Regex, Duration)>,
}

/// What is wrong with a shaping file.
#[derive(Debug, thiserror::Error)]
pub enum ShapingError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{}: {error}", path.display())]
    In { path: std::path::PathBuf, error: Box<ShapingError> },
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("{0}: connections and messages_per_connection must be at least 1")]
    Zero(String),
    #[error("destinations.{0}: mx_suffixes is empty")]
    NoSuffixes(String),
    #[error("throttle pattern {pattern:?}: {source}")]
    Pattern { pattern: String, source: regex::Error },
    #[error("warmup.daily: a day with 0 messages would stop sending")]
    ZeroDay,
    #[error("destinations.{0}: quiet_minutes_after_hour must be under 60")]
    QuietHour(String),
}

impl Shaping {
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).unwrap_or_else(|e| unreachable!("the built-in shaping file is valid: {e}"))
    }

    pub fn load(path: &Path) -> Result<Self, ShapingError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ShapingError::Read { path: path.to_owned(), source })?;
        Self::parse(&text).map_err(|e| ShapingError::In { path: path.to_owned(), error: Box::new(e) })
    }

    pub fn parse(text: &str) -> Result<Self, ShapingError> {
        let file: File = toml::from_str(text)?;
        let d = file.default;
        let default = Limits {
            connections: d.connections,
            messages_per_connection: d.messages_per_connection,
            messages_per_minute: d.messages_per_minute,
            quiet_minutes_after_hour: d.quiet_minutes_after_hour,
            tls: d.tls,
        };
        let positive = |name: &str, l: &Limits| {
            if l.connections == 0 || l.messages_per_connection == 0 {
                Err(ShapingError::Zero(name.to_owned()))
            } else {
                Ok(())
            }
        };
        positive("default", &default)?;
        let mut destinations = Vec::new();
        for (name, dest) in file.destinations {
            let limits = Limits {
                connections: dest.connections.unwrap_or(default.connections),
                messages_per_connection: dest.messages_per_connection.unwrap_or(default.messages_per_connection),
                messages_per_minute: dest.messages_per_minute.unwrap_or(default.messages_per_minute),
                quiet_minutes_after_hour: dest.quiet_minutes_after_hour.unwrap_or(default.quiet_minutes_after_hour),
                tls: dest.tls.unwrap_or(default.tls),
            };
            if limits.quiet_minutes_after_hour >= 60 {
                return Err(ShapingError::QuietHour(name));
            }
            positive(&format!("destinations.{name}"), &limits)?;
            if dest.mx_suffixes.is_empty() {
                return Err(ShapingError::NoSuffixes(name));
            }
            let suffixes = dest.mx_suffixes.iter().map(|s| s.trim_matches('.').to_ascii_lowercase()).collect();
            destinations.push((name, suffixes, limits));
        }
        let throttle = file
            .throttle
            .into_iter()
            .map(|rule| {
                let regex = Regex::new(&rule.pattern)
                    .map_err(|source| ShapingError::Pattern { pattern: rule.pattern.clone(), source })?;
                Ok((regex, Duration::from_secs(rule.suspend_minutes * 60)))
            })
            .collect::<Result<_, ShapingError>>()?;
        if file.warmup.daily.contains(&0) {
            return Err(ShapingError::ZeroDay);
        }
        Ok(Self {
            global_per_second: file.global.messages_per_second,
            warmup: file.warmup.daily,
            default,
            destinations,
            throttle,
        })
    }

    /// The destination a recipient domain belongs to, by the names of its MX
    /// hosts: a named provider, or the domain itself with the default limits.
    pub fn destination(&self, domain: &str, mx_hosts: &[String]) -> (String, &Limits) {
        for (name, suffixes, limits) in &self.destinations {
            let hosted = mx_hosts.iter().any(|host| {
                let host = host.trim_end_matches('.').to_ascii_lowercase();
                suffixes.iter().any(|s| host == *s || host.ends_with(&format!(".{s}")))
            });
            if hosted {
                return (name.clone(), limits);
            }
        }
        (domain.to_ascii_lowercase(), &self.default)
    }

    /// The most messages a source address may send on its `day`-th day of
    /// use (1 is the first); `None`: no limit.
    pub fn warmup_cap(&self, day: i64) -> Option<u32> {
        let index = usize::try_from(day.max(1) - 1).ok()?;
        self.warmup.get(index).copied()
    }

    /// How long to leave a destination alone after this reply, if it is
    /// one of the throttling replies.
    pub fn suspension(&self, code: u16, enhanced: Option<&str>, text: &str) -> Option<Duration> {
        let line = format!("{code} {} {text}", enhanced.unwrap_or("-"));
        self.throttle.iter().find(|(regex, _)| regex.is_match(&line)).map(|(_, d)| *d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_recognised_by_their_mx_names() {
        let s = Shaping::builtin();
        let gmail = vec!["gmail-smtp-in.l.google.com.".to_owned()];
        let (name, limits) = s.destination("example.org", &gmail);
        assert_eq!(name, "gmail");
        assert_eq!((limits.connections, limits.messages_per_connection, limits.tls), (5, 50, TlsPolicy::Required));
        let (name, limits) = s.destination("docomo.ne.jp", &["mfsmax.docomo.ne.jp".to_owned()]);
        assert_eq!((name.as_str(), limits.messages_per_minute, limits.quiet_minutes_after_hour), ("docomo", 300, 5));
        // A suffix matches whole labels only.
        let (name, limits) = s.destination("Example.COM", &["mx.notgoogle.com".to_owned()]);
        assert_eq!(name, "example.com");
        assert_eq!(limits, &s.default);
    }

    #[test]
    fn throttling_replies_suspend_and_others_do_not() {
        let s = Shaping::builtin();
        let gmail = "Our system has detected an unusual rate of unsolicited mail. To protect our users, try later.";
        assert_eq!(s.suspension(421, Some("4.7.28"), gmail), Some(Duration::from_secs(3600)));
        let yahoo = "[TS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume";
        assert_eq!(s.suspension(421, Some("4.7.0"), yahoo), Some(Duration::from_secs(7200)));
        assert_eq!(
            s.suspension(451, Some("4.7.500"), "Server busy. Please try again later"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(s.suspension(450, Some("4.2.1"), "Mailbox busy"), None);
        assert_eq!(s.suspension(550, Some("5.1.1"), "User unknown"), None);
    }

    #[test]
    fn a_warmup_ramp_caps_each_day_then_ends() -> Result<(), ShapingError> {
        let text = format!("{}\n", BUILTIN.replace("daily = []", "daily = [200, 500]"));
        let s = Shaping::parse(&text)?;
        assert_eq!((s.warmup_cap(1), s.warmup_cap(2), s.warmup_cap(3)), (Some(200), Some(500), None));
        assert_eq!(Shaping::builtin().warmup_cap(1), None, "no warm-up unless configured");
        let zero = BUILTIN.replace("daily = []", "daily = [0]");
        assert!(Shaping::parse(&zero).expect_err("a zero day").to_string().contains("stop sending"));
        Ok(())
    }

    #[test]
    fn a_bad_file_says_what_is_wrong() {
        let e = Shaping::parse("[default]\nconnections = 0\nmessages_per_connection = 5\ntls = \"opportunistic\"\n")
            .expect_err("zero connections");
        assert!(e.to_string().contains("at least 1"), "{e}");
        let e = Shaping::parse("[default]\nconnections = 1\nmessages_per_connection = 5\ntls = \"always\"\n")
            .expect_err("unknown TLS policy");
        assert!(e.to_string().contains("always") && e.to_string().contains("line 4"), "{e}");
        let text = "[default]\nconnections = 1\nmessages_per_connection = 5\ntls = \"required\"\n\
                    [[throttle]]\npattern = \"(unclosed\"\nsuspend_minutes = 5\n";
        let e = Shaping::parse(text).expect_err("bad pattern");
        assert!(e.to_string().contains("(unclosed"), "{e}");
    }
}
