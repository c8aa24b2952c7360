//! MTA-STS (RFC 8461): a recipient domain that publishes a policy in
//! `enforce` mode gets mail only over TLS with a valid certificate, and only
//! at the MX hosts its policy names.
//!
//! The `_mta-sts` TXT record says whether a policy exists and its id; the
//! policy itself comes over HTTPS from `mta-sts.<domain>` and is cached for
//! its `max_age`, fetched again when the id changes. A policy that cannot
//! be fetched is replaced by the cached one, if any (the RFC's defence
//! against an attacker who blocks the fetch).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_auth::common::parse::TxtRecordParser;

use identity::dns::Dns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    /// Report only: mail goes as without a policy.
    Testing,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// MX host patterns: `mx.example.com` or `*.example.com` (one label).
    pub mx: Vec<String>,
    pub max_age: Duration,
}

/// Policies are kept at most this long whatever they say (RFC 8461 §3.2:
/// max_age up to 31557600 s); and at least this short a time.
const MAX_AGE_CAP: Duration = Duration::from_secs(31_557_600);
const MAX_AGE_FLOOR: Duration = Duration::from_secs(60);
/// The policy file is small; anything bigger is not one.
const MAX_POLICY_BYTES: usize = 64 * 1024;

/// Why a policy file is not a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("unknown mode {0:?}")]
    Mode(String),
    #[error("bad max_age {0:?}")]
    MaxAge(String),
    #[error("not an STSv1 policy")]
    Version,
    #[error("the policy has no mode")]
    NoMode,
    #[error("the policy has no max_age")]
    NoMaxAge,
    #[error("the policy names no MX host")]
    NoMx,
}

/// Why the policy client cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot set up the MTA-STS client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Why a domain's policy could not be fetched.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: reqwest::StatusCode },
    #[error("{url}: more than {MAX_POLICY_BYTES} bytes")]
    TooLong { url: String },
    #[error("{url}: {source}")]
    Policy { url: String, source: PolicyError },
}

/// A policy host with no address.
#[derive(Debug, thiserror::Error)]
#[error("{0} has no address")]
struct NoAddress(String);

impl Policy {
    /// Parses a policy file (`key: value` lines).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let (mut version, mut mode, mut max_age, mut mx) = (None, None, None, Vec::new());
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match key.trim() {
                "version" => version = Some(value.to_owned()),
                "mode" => {
                    mode = Some(match value {
                        "enforce" => Mode::Enforce,
                        "testing" => Mode::Testing,
                        "none" => Mode::None,
                        other => return Err(PolicyError::Mode(other.to_owned())),
                    })
                }
                "max_age" => max_age = Some(value.parse::<u64>().map_err(|_| PolicyError::MaxAge(value.to_owned()))?),
                "mx" => mx.push(value.trim_end_matches('.').to_ascii_lowercase()),
                _ => {}
            }
        }
        if version.as_deref() != Some("STSv1") {
            return Err(PolicyError::Version);
        }
        let mode = mode.ok_or(PolicyError::NoMode)?;
        let max_age = Duration::from_secs(max_age.ok_or(PolicyError::NoMaxAge)?);
        if mode != Mode::None && mx.is_empty() {
            return Err(PolicyError::NoMx);
        }
        Ok(Self { mode, mx, max_age: max_age.clamp(MAX_AGE_FLOOR, MAX_AGE_CAP) })
    }

    /// Whether the policy allows delivery to MX host `host`.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|pattern| match pattern.strip_prefix("*.") {
            // A wildcard stands for exactly one label.
            Some(parent) => host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
            None => *pattern == host,
        })
    }
}

struct Cached {
    id: String,
    policy: Arc<Policy>,
    until: Instant,
}

pub struct MtaSts {
    http: reqwest::Client,
    /// The HTTPS port of policy hosts: 443, except in tests.
    port: u16,
    cache: Mutex<HashMap<String, Cached>>,
}

impl MtaSts {
    /// Policies are fetched with certificates checked against `roots`, their
    /// hosts found through `dns` like MX hosts.
    pub fn new(dns: Dns, roots: rustls::RootCertStore, port: u16) -> Result<Self, SetupError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .dns_resolver(Arc::new(Resolver(dns)))
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self { http, port, cache: Mutex::new(HashMap::new()) })
    }

    /// The policy of `domain`, if it has one.
    pub async fn policy(&self, dns: &Dns, domain: &str) -> Option<Arc<Policy>> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let id = match dns.txt(&format!("_mta-sts.{domain}")).await {
            Ok(records) => records
                .iter()
                .find_map(|r| mail_auth::mta_sts::MtaSts::parse(r.as_bytes()).ok())
                .map(|record| record.id),
            Err(_) => None,
        };
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            cache.get(&domain).map(|c| (c.id.clone(), c.policy.clone(), c.until))
        };
        // No record now: a cached policy still holds until it expires.
        let Some(id) = id else {
            return cached.filter(|(_, _, until)| *until > Instant::now()).map(|(_, policy, _)| policy);
        };
        if let Some((cached_id, policy, until)) = &cached
            && *cached_id == id
            && *until > Instant::now()
        {
            return Some(policy.clone());
        }
        match self.fetch(&domain).await {
            Ok(policy) => {
                let policy = Arc::new(policy);
                let until = Instant::now() + policy.max_age;
                let entry = Cached { id, policy: policy.clone(), until };
                self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(domain, entry);
                Some(policy)
            }
            Err(e) => {
                tracing::warn!(domain, error = %e, "MTA-STS policy cannot be fetched; using the cached one, if any");
                cached.map(|(_, policy, _)| policy)
            }
        }
    }

    async fn fetch(&self, domain: &str) -> Result<Policy, FetchError> {
        let url = format!("https://mta-sts.{domain}:{}/.well-known/mta-sts.txt", self.port);
        let http = |source| FetchError::Http { url: url.clone(), source };
        let response = self.http.get(&url).send().await.map_err(http)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status { url, status: response.status() });
        }
        // Read piece by piece: a policy host may send an endless body.
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_POLICY_BYTES {
                return Err(FetchError::TooLong { url });
            }
            body.extend_from_slice(&chunk);
        }
        Policy::parse(&String::from_utf8_lossy(&body)).map_err(|source| FetchError::Policy { url, source })
    }
}

/// Lets the HTTPS client find policy hosts through ninsho's resolver.
struct Resolver(Dns);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (dns, host) = (self.0.clone(), name.as_str().to_owned());
        Box::pin(async move {
            let addresses = dns.addresses(&host).await?;
            if addresses.is_empty() {
                return Err(NoAddress(host).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses.into_iter().map(|ip| std::net::SocketAddr::new(ip, 0)).collect::<Vec<_>>().into_iter(),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_names_its_hosts_and_wildcards_cover_one_label() -> Result<(), PolicyError> {
        let text =
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mail.example.com\r\nmax_age: 86400\r\n";
        let policy = Policy::parse(text)?;
        assert_eq!((policy.mode, policy.max_age), (Mode::Enforce, Duration::from_secs(86_400)));
        assert!(policy.allows("mx1.example.com") && policy.allows("MX1.example.com."));
        assert!(policy.allows("a.mail.example.com"));
        assert!(!policy.allows("a.b.mail.example.com"), "one label only");
        assert!(!policy.allows("mail.example.com") && !policy.allows("mx2.example.com"));
        Ok(())
    }

    #[test]
    fn a_broken_policy_is_refused_with_its_reason() {
        for (text, reason) in [
            ("mode: enforce\nmx: a.example\nmax_age: 60\n", "STSv1"),
            ("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 60\n", "strict"),
            ("version: STSv1\nmode: enforce\nmax_age: 60\n", "no MX"),
            ("version: STSv1\nmode: enforce\nmx: a.example\n", "max_age"),
        ] {
            let e = Policy::parse(text).expect_err(text);
            assert!(e.to_string().contains(reason), "{e}");
        }
    }
}
