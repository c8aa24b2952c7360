//! Typed configuration: a TOML file (see `config/ninsho.example.toml`), then
//! `NINSHO__SECTION__KEY` environment variables on top, validated once at start.
//!
//! Errors name where the bad value came from: the file, the key and the line,
//! or the environment variable.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use secrecy::SecretString;
use serde::Deserialize;

/// Prefix of environment overrides: `NINSHO__HTTP__LISTEN=0.0.0.0:8080`.
pub const ENV_PREFIX: &str = "NINSHO__";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where ninsho keeps its state: the private Postgres cluster (when
    /// `database.url` is unset) and the secret key. `None`: the command's default.
    pub data_dir: Option<PathBuf>,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub delivery: DeliverySettings,
    pub score: ScoreSettings,
    pub inbound: InboundSettings,
    pub submission: SubmissionSettings,
    pub reports: ReportsSettings,
    pub alerts: AlertSettings,
    pub webhooks: WebhookSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    /// The address people and mail clients use to reach ninsho; public links
    /// (unsubscribe, confirmation) are built from it.
    pub public_url: String,
    /// When non-empty, only these networks reach the dashboard and the API.
    pub admin_allowlist: Vec<IpNet>,
    /// Reverse proxies (CIDR) whose `X-Forwarded-For` header names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// A bearer token that lets a collector read `/metrics` from anywhere;
    /// without it (and without an allowlist) only loopback may.
    pub metrics_token: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `postgres://…` of an external server. Unset: ninsho runs its own
    /// private cluster under `data_dir/postgres`.
    pub url: Option<SecretString>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMode {
    /// Messages are rendered and signed, then kept in the capture mailbox.
    #[default]
    Sandbox,
    /// Messages go to the recipients' MX hosts.
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    pub mode: DeliveryMode,
    /// DNS servers for MX, address and PTR lookups (`ip:port`); empty: the
    /// ones in `/etc/resolv.conf`.
    pub nameservers: Vec<SocketAddr>,
    /// The addresses mail leaves from; each one's PTR name is its EHLO name.
    /// Production mode needs at least one.
    pub source_ips: Vec<IpAddr>,
    /// The PTR name each source address should have (`"203.0.113.5" =
    /// "mta1.example.com"`); the checks say when the real one differs.
    pub ptr_names: std::collections::BTreeMap<IpAddr, String>,
    /// The port of the recipients' MX hosts (25; tests use others).
    pub mx_port: u16,
    /// The HTTPS port of MTA-STS policy hosts (443; tests use others).
    pub mta_sts_port: u16,
    /// Certificates (PEM) trusted besides the system's roots when checking
    /// an MX host's certificate, e.g. a private CA.
    pub extra_ca: Option<PathBuf>,
    /// The envelope sender is `b-…@<bounce_subdomain>.<From domain>`.
    pub bounce_subdomain: String,
    /// Where receivers send DMARC aggregate and TLS reports (the `rua` of
    /// the records ninsho suggests); unset: `reports@<bounce subdomain>.<domain>`.
    pub report_address: Option<String>,
    /// The host name of the node with the inbound role: the MX of each
    /// bounce subdomain. Unset: the host of `http.public_url`.
    pub inbound_host: Option<String>,
    /// The From of ninsho's own messages (double opt-in confirmations), an
    /// address or `Name <address>` on a sending domain. Production mode
    /// needs one.
    pub system_from: Option<String>,
    /// Per-destination limits and throttling rules; unset: the built-in ones.
    pub shaping: Option<PathBuf>,
    /// Delivery workers (each renders and signs on its own core); 0: one per core.
    pub workers: usize,
    /// Open SMTP connections at most, over all destinations.
    pub max_connections: usize,
    /// Where a node without the web role serves `/metrics` (unset: nowhere;
    /// with the web role, its own `/metrics` has the delivery metrics).
    pub metrics_listen: Option<SocketAddr>,
    /// Hours between DNS checks of a verified sending domain (an unverified
    /// one is checked every minute); a check that breaks raises an alert.
    pub check_hours: u32,
    /// Days a deferred campaign message is retried before it fails.
    pub retry_days: u32,
    /// Deliveries each worker takes from the queue at a time.
    pub batch: u32,
    /// How long taken deliveries are a worker's own; if it dies, they come
    /// due again after this. Longer than a batch takes to send.
    pub lease_seconds: u32,
    /// A smarthost every message goes through instead of the recipients'
    /// MX hosts, for hosts that cannot reach port 25:
    /// `smtp://user@smtp.example.net:587` (STARTTLS, required) or
    /// `smtps://user@smtp.example.net:465` (TLS from the first byte). No
    /// password in it: see `relay_password` and `relay_password_file`.
    pub relay: Option<String>,
    /// The relay's password (better from NINSHO__DELIVERY__RELAY_PASSWORD).
    pub relay_password: Option<SecretString>,
    /// A file holding the relay's password (its first line).
    pub relay_password_file: Option<PathBuf>,
    /// Connections to the relay at once.
    pub relay_connections: u32,
    /// Messages a second handed to the relay; 0: as fast as it takes them.
    pub relay_per_second: u32,
    /// What the domain checks ask each sending domain's SPF record to
    /// include for the relay (`include:_spf.example.net`); unset: the
    /// relay host's addresses.
    pub relay_spf_include: Option<String>,
}

/// `delivery.relay`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayUrl {
    pub host: String,
    pub port: u16,
    /// `smtps://`: TLS from the first byte.
    pub implicit_tls: bool,
    pub username: Option<String>,
}

impl RelayUrl {
    /// Reads `smtp[s]://[user@]host[:port]`; the reason otherwise (never
    /// repeating the value, which might hold a password).
    pub fn parse(url: &str) -> Result<Self, String> {
        let (implicit_tls, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (false, rest)
        } else {
            return Err("must start with smtp:// (STARTTLS) or smtps:// (TLS)".into());
        };
        let rest = rest.trim_end_matches('/');
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((user, hostport)) => (Some(user), hostport),
            None => (None, rest),
        };
        if user.is_some_and(|u| u.contains(':')) {
            return Err("must not hold a password: set delivery.relay_password or delivery.relay_password_file".into());
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => {
                (host, port.parse::<u16>().map_err(|_| "has a port that is not a number".to_owned())?)
            }
            None => (hostport, if implicit_tls { 465 } else { 587 }),
        };
        if host.is_empty() || host.contains(['/', ' ', '?', '#']) {
            return Err("needs a host name".into());
        }
        let username = user.map(|u| u.replace("%40", "@")).filter(|u| !u.is_empty());
        Ok(Self { host: host.to_owned(), port, implicit_tls, username })
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            mode: DeliveryMode::Sandbox,
            nameservers: Vec::new(),
            source_ips: Vec::new(),
            ptr_names: std::collections::BTreeMap::new(),
            mx_port: 25,
            mta_sts_port: 443,
            extra_ca: None,
            bounce_subdomain: "bounce".into(),
            report_address: None,
            inbound_host: None,
            system_from: None,
            shaping: None,
            workers: 0,
            max_connections: 100,
            metrics_listen: None,
            check_hours: 6,
            retry_days: 3,
            batch: 500,
            lease_seconds: 300,
            relay: None,
            relay_password: None,
            relay_password_file: None,
            relay_connections: 8,
            relay_per_second: 0,
            relay_spf_include: None,
        }
    }
}

/// The SMTP listener of the inbound role: bounces, complaints, reports
/// and mailto unsubscribes for ninsho's own addresses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundSettings {
    pub listen: SocketAddr,
    /// The name it greets with; unset: `delivery.inbound_host`, else "localhost".
    pub hostname: Option<String>,
    /// STARTTLS is offered with this certificate chain and key (PEM).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_message_kb: usize,
    pub max_connections: usize,
    /// Connections from one network: a /24 of IPv4 addresses, a /48 of IPv6
    /// (its name until 0.1 still reads).
    #[serde(alias = "max_connections_per_ip")]
    pub max_connections_per_network: usize,
    /// How long a command may take; DATA may take twice as long.
    pub timeout_seconds: u64,
    /// Megabytes of messages being received at once, all connections
    /// together, beyond 128 KB each.
    pub max_data_in_flight_mb: usize,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 25)),
            hostname: None,
            tls_cert: None,
            tls_key: None,
            max_message_kb: 10 * 1024,
            max_connections: 200,
            max_connections_per_network: 10,
            timeout_seconds: 300,
            max_data_in_flight_mb: 64,
        }
    }
}

/// The submission role: applications send with a credential.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubmissionSettings {
    /// STARTTLS (587); unset: no such listener.
    pub listen: Option<SocketAddr>,
    /// TLS from the first byte (465); unset: no such listener.
    pub listen_tls: Option<SocketAddr>,
    /// The certificate chain and key (PEM), required: logins travel only in TLS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The name it greets with and writes in Received lines; unset: the
    /// inbound listener's name, else "localhost".
    pub hostname: Option<String>,
    pub max_message_kb: usize,
    pub max_recipients: usize,
    pub max_connections: usize,
    /// Connections from one network: a /24 of IPv4 addresses, a /48 of IPv6.
    pub max_connections_per_network: usize,
    pub timeout_seconds: u64,
    pub max_data_in_flight_mb: usize,
}

impl Default for SubmissionSettings {
    fn default() -> Self {
        Self {
            listen: Some(SocketAddr::from(([0, 0, 0, 0], 587))),
            listen_tls: Some(SocketAddr::from(([0, 0, 0, 0], 465))),
            tls_cert: None,
            tls_key: None,
            hostname: None,
            max_message_kb: 25 * 1024,
            max_recipients: 100,
            max_connections: 200,
            max_connections_per_network: 50,
            timeout_seconds: 300,
            max_data_in_flight_mb: 256,
        }
    }
}

/// Where alerts go besides the dashboard and the admins' mail.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// URLs each alert is POSTed to as JSON (retried until delivered).
    pub webhook_urls: Vec<String>,
    /// The secret the `Ninsho-Signature` HMAC is made with; needed with URLs.
    pub webhook_secret: Option<SecretString>,
}

/// Outgoing webhooks (the dashboard's endpoints and the alert URLs).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Internal receivers webhooks may reach: CIDR networks (`10.0.0.0/8`)
    /// or host names. Without them, a receiver whose address is loopback,
    /// private, link-local or otherwise internal is refused.
    pub allow_internal: Vec<String>,
}

/// DMARC report analysis.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsSettings {
    /// A MaxMind (GeoLite2/GeoIP2 Country or City) or IPinfo `.mmdb` file:
    /// the country of each sending address is shown when it is set.
    pub geoip_mmdb: Option<PathBuf>,
}

/// The deliverability score's blocklists.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreSettings {
    /// DNSBL zones listing addresses, asked about the source addresses.
    pub ip_blocklists: Vec<String>,
    /// Zones listing domains, asked about the From, Return-Path and link domains.
    pub domain_blocklists: Vec<String>,
    /// A Spamhaus Data Query Service key: the `*.spamhaus.org` zones are
    /// then asked through DQS, which answers any resolver.
    pub spamhaus_dqs_key: Option<SecretString>,
}

impl Default for ScoreSettings {
    fn default() -> Self {
        Self {
            ip_blocklists: vec!["zen.spamhaus.org".into()],
            domain_blocklists: vec!["dbl.spamhaus.org".into()],
            spamhaus_dqs_key: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// How long an admin session lasts without activity, in hours.
    pub session_hours: u32,
    /// Failed logins of one account within `throttle_window_minutes` before
    /// further attempts are refused.
    pub max_failures_per_account: u32,
    /// Failed logins from one IP address within the window before refusal.
    pub max_failures_per_ip: u32,
    pub throttle_window_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A `tracing` filter such as `info` or `info,store=debug`; `RUST_LOG` wins.
    pub filter: String,
    pub format: LogFormat,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            admin_allowlist: Vec::new(),
            trusted_proxies: Vec::new(),
            metrics_token: None,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: None, max_connections: 10 }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self { session_hours: 12, max_failures_per_account: 5, max_failures_per_ip: 20, throttle_window_minutes: 15 }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { filter: "info,sqlx=warn".into(), format: LogFormat::Text }
    }
}

/// Why the configuration could not be loaded; the message is meant for the
/// operator as it stands.
#[derive(Debug)]
pub enum SettingsError {
    Read { file: PathBuf, source: std::io::Error },
    File { file: PathBuf, line: usize, column: usize, key: Option<String>, message: String },
    Env { variable: String, message: String },
    Invalid { key: &'static str, message: String },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { file, source } => {
                write!(f, "cannot read config file {}: {source}", file.display())
            }
            Self::File { file, line, column, key, message } => {
                write!(f, "config file {}, line {line}, column {column}", file.display())?;
                if let Some(key) = key {
                    write!(f, ", key `{key}`")?;
                }
                write!(f, ": {message}")
            }
            Self::Env { variable, message } => {
                write!(f, "environment variable {variable}: {message}")
            }
            Self::Invalid { key, message } => write!(f, "config key `{key}`: {message}"),
        }
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads `file` (when given), applies the `NINSHO__…` variables found in
    /// `env`, and validates the result.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, SettingsError> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|source| SettingsError::Read { file: path.to_path_buf(), source })?,
            None => String::new(),
        };
        let file_name = file.map(Path::to_path_buf).unwrap_or_default();
        // Deserialising the text itself first gives errors with line numbers.
        let from_file: Settings = toml::from_str(&text).map_err(|e| file_error(&file_name, &text, &e))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| file_error(&file_name, &text, &e))?;

        let overrides: Vec<(String, Vec<String>, toml::Value)> = env
            .into_iter()
            .filter_map(|(name, value)| {
                let keys = name.strip_prefix(ENV_PREFIX)?.split("__").map(str::to_ascii_lowercase).collect();
                Some((name, keys, parse_env_value(&value)))
            })
            .collect();
        let settings = if overrides.is_empty() {
            from_file
        } else {
            // Apply the variables one at a time so an error names the one at fault.
            let mut merged = table;
            let mut result = None;
            for (name, keys, value) in &overrides {
                set_path(&mut merged, keys, value.clone())
                    .map_err(|e| SettingsError::Env { variable: name.clone(), message: e.to_string() })?;
                match Settings::deserialize(merged.clone()) {
                    Ok(settings) => result = Some(settings),
                    Err(e) => {
                        return Err(SettingsError::Env { variable: name.clone(), message: e.message().to_string() });
                    }
                }
            }
            result.unwrap_or(from_file)
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let url = &self.http.public_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(SettingsError::Invalid {
                key: "http.public_url",
                message: format!("{url:?} must start with http:// or https://"),
            });
        }
        if let Some(db) = &self.database.url {
            use secrecy::ExposeSecret;
            let db = db.expose_secret();
            if !(db.starts_with("postgres://") || db.starts_with("postgresql://")) {
                // The value may hold a password: do not repeat it.
                return Err(SettingsError::Invalid {
                    key: "database.url",
                    message: "must start with postgres:// or postgresql://".into(),
                });
            }
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid {
                key: "database.max_connections",
                message: "must be at least 1".into(),
            });
        }
        let delivery = &self.delivery;
        if !self.alerts.webhook_urls.is_empty() && self.alerts.webhook_secret.is_none() {
            return Err(SettingsError::Invalid {
                key: "alerts.webhook_secret",
                message: "set a secret to sign webhook deliveries with".into(),
            });
        }
        for url in &self.alerts.webhook_urls {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(SettingsError::Invalid {
                    key: "alerts.webhook_urls",
                    message: format!("{url:?} is not an http(s) URL"),
                });
            }
        }
        if let Some(relay) = &delivery.relay {
            RelayUrl::parse(relay).map_err(|message| SettingsError::Invalid { key: "delivery.relay", message })?;
            if delivery.relay_password.is_some() && delivery.relay_password_file.is_some() {
                return Err(SettingsError::Invalid {
                    key: "delivery.relay_password",
                    message: "set relay_password or relay_password_file, not both".into(),
                });
            }
        }
        if delivery.mode == DeliveryMode::Production && delivery.source_ips.is_empty() && delivery.relay.is_none() {
            return Err(SettingsError::Invalid {
                key: "delivery.source_ips",
                message: "production mode needs the addresses mail leaves from (their PTR names are the EHLO names), \
                          or a delivery.relay"
                    .into(),
            });
        }
        if delivery.mode == DeliveryMode::Production && delivery.system_from.is_none() {
            return Err(SettingsError::Invalid {
                key: "delivery.system_from",
                message: "production mode needs the From address of confirmation messages, on a sending domain \
                          (e.g. \"Example News <news@example.com>\")"
                    .into(),
            });
        }
        let label = &delivery.bounce_subdomain;
        if label.is_empty()
            || !label.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(SettingsError::Invalid {
                key: "delivery.bounce_subdomain",
                message: format!("{label:?} is not a DNS label such as \"bounce\""),
            });
        }
        for (key, value) in [
            ("delivery.max_connections", delivery.max_connections),
            ("delivery.batch", delivery.batch as usize),
            ("delivery.retry_days", delivery.retry_days as usize),
            ("delivery.lease_seconds", delivery.lease_seconds as usize),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid { key, message: "must be at least 1".into() });
            }
        }
        if self.auth.session_hours == 0 || self.auth.throttle_window_minutes == 0 {
            return Err(SettingsError::Invalid {
                key: "auth",
                message: "session_hours and throttle_window_minutes must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// Turns a TOML error into one that names the file, the line and the key.
fn file_error(file: &Path, text: &str, error: &toml::de::Error) -> SettingsError {
    let offset = error.span().map_or(0, |span| span.start).min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    SettingsError::File {
        file: file.to_path_buf(),
        line,
        column,
        key: key_at_line(text, line),
        message: error.message().to_string(),
    }
}

/// The dotted key defined on `line` (1-based), with its `[section]`; the
/// section alone when the line defines no key.
fn key_at_line(text: &str, line: usize) -> Option<String> {
    let mut section = None;
    for raw in text.lines().take(line.saturating_sub(1)) {
        let l = raw.trim();
        if l.starts_with('[') {
            section = Some(l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
        }
    }
    let key = text.lines().nth(line - 1).and_then(|l| l.split_once('=')).map(|(k, _)| k.trim().to_string());
    match (section, key) {
        (Some(section), Some(key)) => Some(format!("{section}.{key}")),
        (section, key) => key.or(section),
    }
}

/// An environment value is read as a TOML value when it is one (`10`,
/// `true`, `["10.0.0.0/8"]`) and as a plain string otherwise.
fn parse_env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !matches!(v, toml::Value::Datetime(_)))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// Why a variable's name is not a settings key.
#[derive(Debug, thiserror::Error)]
enum PathError {
    #[error("names no key")]
    NoKey,
    #[error("has an empty key part")]
    EmptyPart,
    #[error("`{0}` is not a section")]
    NotSection(String),
}

fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), PathError> {
    let Some((last, sections)) = keys.split_last() else {
        return Err(PathError::NoKey);
    };
    if last.is_empty() || sections.iter().any(String::is_empty) {
        return Err(PathError::EmptyPart);
    }
    let mut current = table;
    for section in sections {
        let entry = current.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| PathError::NotSection(section.clone()))?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut file =
            tempfile::NamedTempFile::new().map_err(|source| SettingsError::Read { file: "tmp".into(), source })?;
        file.write_all(text.as_bytes()).map_err(|source| SettingsError::Read { file: "tmp".into(), source })?;
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(Some(file.path()), env)
    }

    fn error(text: &str, env: &[(&str, &str)]) -> String {
        match load(text, env) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_example_file_loads() {
        let example = include_str!("../../../config/ninsho.example.toml");
        let s = load(example, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.http.listen.port(), 8080);
        assert_eq!(s.delivery.mode, DeliveryMode::Sandbox);
    }

    #[test]
    fn a_relay_is_read_without_ever_repeating_a_password() {
        let url = RelayUrl::parse("smtp://ninsho%40example.jp@smtp.example.net:2587").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url,
            RelayUrl {
                host: "smtp.example.net".into(),
                port: 2587,
                implicit_tls: false,
                username: Some("ninsho@example.jp".into())
            }
        );
        let tls = RelayUrl::parse("smtps://relay.example.net").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((tls.port, tls.implicit_tls, tls.username), (465, true, None));
        let e = error("[delivery]\nrelay = \"smtp://user:s3cr3t-word@smtp.example.net\"\n", &[]);
        assert!(e.contains("delivery.relay") && e.contains("relay_password"), "{e}");
        assert!(!e.contains("s3cr3t-word"), "the password is repeated: {e}");
        let e = error("[delivery]\nrelay = \"http://smtp.example.net\"\n", &[]);
        assert!(e.contains("smtp://"), "{e}");
        // Production with a relay needs no source addresses.
        let s = load(
            "[delivery]\nmode = \"production\"\nsystem_from = \"n@example.jp\"\nrelay = \"smtps://relay.example.net\"\n",
            &[("NINSHO__DELIVERY__RELAY_PASSWORD", "from-the-environment")],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.delivery.relay_password.is_some());
        assert!(!format!("{s:?}").contains("from-the-environment"), "settings print no password");
    }

    #[test]
    fn expected_ptr_names_are_read_by_address_and_bad_ones_named() {
        let s = load("[delivery]\nptr_names = { \"203.0.113.5\" = \"mta1.example.com\" }\n", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let ip: IpAddr = "203.0.113.5".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.delivery.ptr_names.get(&ip).map(String::as_str), Some("mta1.example.com"));
        let e = error("[delivery]\nptr_names = { \"mta1\" = \"mta1.example.com\" }\n", &[]);
        assert!(e.contains("delivery.ptr_names") || e.contains("line 2"), "{e}");
    }

    #[test]
    fn env_overrides_file() {
        let s = load(
            "[http]\nlisten = \"127.0.0.1:9000\"\n",
            &[
                ("NINSHO__HTTP__LISTEN", "0.0.0.0:8081"),
                ("NINSHO__HTTP__ADMIN_ALLOWLIST", "[\"10.0.0.0/8\"]"),
                ("NINSHO__DATABASE__MAX_CONNECTIONS", "3"),
                ("NINSHO__DATA_DIR", "/srv/ninsho"),
                ("UNRELATED", "x"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.http.listen.to_string(), "0.0.0.0:8081");
        assert_eq!(s.http.admin_allowlist.len(), 1);
        assert_eq!(s.database.max_connections, 3);
        assert_eq!(s.data_dir.as_deref(), Some(Path::new("/srv/ninsho")));
    }

    #[test]
    fn file_errors_name_file_key_and_line() {
        let e = error("# comment\n[http]\nlisten = 8080\n", &[]);
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("key `http.listen`"), "{e}");
        assert!(e.contains("config file"), "{e}");

        let e = error("[http]\nlisten = \"127.0.0.1:1\"\nlistn = \"x\"\n", &[]);
        assert!(e.contains("line 3") && e.contains("unknown field `listn`"), "{e}");

        let e = error("[delivery]\nmode = \"yolo\"\n", &[]);
        assert!(e.contains("line 2") && e.contains("delivery.mode"), "{e}");

        let e = error("[http\nlisten = 1", &[]);
        assert!(e.contains("line 1"), "{e}");

        let e = error("[http]\nadmin_allowlist = [\"10.0.0.0/33\"]\n", &[]);
        assert!(e.contains("line 2") && e.contains("http.admin_allowlist"), "{e}");
    }

    #[test]
    fn env_errors_name_the_variable() {
        let e = error("", &[("NINSHO__LOG__FORMAT", "json"), ("NINSHO__HTTP__LISTEN", "not-an-address")]);
        assert!(e.contains("NINSHO__HTTP__LISTEN") && !e.contains("NINSHO__LOG__FORMAT"), "{e}");
        let e = error("", &[("NINSHO__HTTP__NOPE", "1")]);
        assert!(e.contains("unknown field `nope`"), "{e}");
    }

    #[test]
    fn database_url_is_validated_and_never_printed() {
        let e = error("[database]\nurl = \"mysql://u:hunter2@h/db\"\n", &[]);
        assert!(e.contains("database.url") && !e.contains("hunter2"), "{e}");
        let s = load("[database]\nurl = \"postgres://u:hunter2@h/db\"\n", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn missing_file_is_named() {
        let e = Settings::load(Some(Path::new("/nonexistent/ninsho.toml")), Vec::new())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/nonexistent/ninsho.toml"), "{e}");
    }
}
