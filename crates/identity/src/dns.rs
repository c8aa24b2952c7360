//! The one DNS component: MX routes, host addresses and PTR names through a
//! resolver whose nameservers are configurable (tests point it at their own
//! authoritative server). Answers are cached by their TTL in the resolver.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::proto::rr::RData;
use mail_auth::MessageAuthenticator;

/// Why there is no host to send a domain's mail to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("the domain {0} does not exist")]
    NoDomain(String),
    #[error("{0} accepts no mail (null MX, RFC 7505)")]
    NullMx(String),
    #[error("{0} has neither MX nor address records")]
    NoRoute(String),
    #[error("DNS lookup for {domain} failed: {reason}")]
    Temporary { domain: String, reason: String },
}

/// Why a DNS question got no answer (an answer that there is no record
/// is not an error: it is an empty result).
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    #[error("cannot set up the DNS resolver: {0}")]
    Setup(Cause),
    #[error("{kind} lookup for {name} failed: {cause}")]
    Failed { kind: &'static str, name: String, cause: Cause },
}

/// The underlying error, shared so that a lookup's result can be cached.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

fn failed(
    kind: &'static str,
    name: impl ToString,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> LookupError {
    LookupError::Failed { kind, name: name.to_string(), cause: Arc::new(cause) }
}

/// An answer that came from no nameserver.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unanswered(String);

impl RouteError {
    /// A permanent error bounces the message; a temporary one defers it.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, Self::Temporary { .. })
    }
}

#[derive(Clone)]
pub struct Dns {
    auth: Arc<MessageAuthenticator>,
    /// The configured nameservers (empty: the system's).
    nameservers: Vec<SocketAddr>,
    /// How long one query waits for an answer.
    timeout: std::time::Duration,
}

/// How long one query waits by default.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Dns {
    /// A resolver asking `nameservers` (`ip:port`), or those of
    /// `/etc/resolv.conf` when the list is empty.
    pub fn new(nameservers: &[SocketAddr]) -> Result<Self, LookupError> {
        Self::with_timeout(nameservers, TIMEOUT)
    }

    /// As `new`, each query waiting at most `timeout` (for configured
    /// nameservers; the system's come with their own settings).
    pub fn with_timeout(nameservers: &[SocketAddr], timeout: std::time::Duration) -> Result<Self, LookupError> {
        let auth = if nameservers.is_empty() {
            MessageAuthenticator::new_system_conf().map_err(|e| LookupError::Setup(Arc::new(e)))?
        } else {
            let servers = nameservers
                .iter()
                .map(|addr| {
                    let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                    for connection in &mut server.connections {
                        connection.port = addr.port();
                    }
                    server
                })
                .collect();
            let mut options = ResolverOpts::default();
            options.timeout = timeout;
            // Only the named servers answer: not /etc/hosts (it maps
            // loopback addresses to localhost, for one).
            options.use_hosts_file = ResolveHosts::Never;
            MessageAuthenticator::new(ResolverConfig::from_name_servers(servers), options)
                .map_err(|e| LookupError::Setup(Arc::new(e)))?
        };
        Ok(Self { auth: Arc::new(auth), nameservers: nameservers.to_vec(), timeout })
    }

    /// For SPF, DKIM and DMARC checks through the same nameservers.
    pub fn authenticator(&self) -> &MessageAuthenticator {
        &self.auth
    }

    fn resolver(&self) -> &TokioResolver {
        self.auth.resolver()
    }

    /// The hosts that take mail for `domain`, most preferred first: its MX
    /// hosts, or the domain itself when it has addresses but no MX.
    pub async fn route(&self, domain: &str) -> Result<Vec<String>, RouteError> {
        let fqdn = format!("{}.", domain.trim_end_matches('.'));
        let temporary =
            |e: &dyn std::fmt::Display| RouteError::Temporary { domain: domain.into(), reason: e.to_string() };
        match self.resolver().mx_lookup(fqdn.as_str()).await {
            Ok(lookup) => {
                let mut mx: Vec<(u16, String)> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some((mx.preference, mx.exchange.to_ascii())),
                        _ => None,
                    })
                    .collect();
                if mx.iter().any(|(_, host)| host == ".") {
                    return Err(RouteError::NullMx(domain.into()));
                }
                if !mx.is_empty() {
                    mx.sort();
                    return Ok(mx.into_iter().map(|(_, host)| host.trim_end_matches('.').to_owned()).collect());
                }
            }
            Err(e) if e.is_nx_domain() => return Err(RouteError::NoDomain(domain.into())),
            Err(e) if e.is_no_records_found() => {}
            Err(e) => return Err(temporary(&e)),
        }
        // No MX: the domain itself is the implicit MX (RFC 5321 §5.1).
        match self.addresses(domain).await {
            Ok(addresses) if !addresses.is_empty() => Ok(vec![domain.trim_end_matches('.').to_owned()]),
            Ok(_) => Err(RouteError::NoRoute(domain.into())),
            Err(e) => Err(temporary(&e)),
        }
    }

    /// The IPv4 and IPv6 addresses of a host (empty when it has none).
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        match self.resolver().lookup_ip(fqdn.as_str()).await {
            Ok(lookup) => Ok(lookup.iter().collect()),
            Err(e) if e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(failed("address", host, e)),
        }
    }

    /// The TXT records at `name`, each one's strings joined (none: empty).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver().txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(txt) => {
                        Some(txt.txt_data.iter().map(|part| String::from_utf8_lossy(part)).collect::<String>())
                    }
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(failed("TXT", name, e)),
        }
    }

    /// The PTR name of an address, without the final dot.
    pub async fn ptr(&self, ip: IpAddr) -> Result<Option<String>, LookupError> {
        if ip.is_loopback() && !self.nameservers.is_empty() {
            // The resolver answers "localhost" for loopback addresses itself
            // (RFC 6761); the configured servers (the test lab's) may know better.
            return direct_ptr(&self.nameservers, ip, self.timeout).await;
        }
        match self.resolver().reverse_lookup(ip).await {
            Ok(lookup) => Ok(lookup.answers().iter().find_map(|r| match &r.data {
                RData::PTR(name) => Some(name.0.to_ascii().trim_end_matches('.').to_owned()),
                _ => None,
            })),
            Err(e) if e.is_no_records_found() => Ok(None),
            Err(e) => Err(failed("PTR", ip, e)),
        }
    }
}

/// Asks the nameservers for the PTR record of `ip` over UDP, one query each,
/// bypassing the resolver.
async fn direct_ptr(
    nameservers: &[SocketAddr],
    ip: IpAddr,
    timeout: std::time::Duration,
) -> Result<Option<String>, LookupError> {
    use hickory_resolver::proto::op::{Message, Query};
    use hickory_resolver::proto::rr::{Name, RecordType};

    let mut query = Message::query();
    query.add_query(Query::query(Name::from(ip), RecordType::PTR));
    query.metadata.recursion_desired = true;
    let bytes = query.to_vec().map_err(|e| failed("PTR", ip, e))?;
    let mut last = String::from("no nameserver");
    for server in nameservers {
        let asked = async {
            let socket = tokio::net::UdpSocket::bind(if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }).await?;
            socket.send_to(&bytes, server).await?;
            let mut buf = vec![0; 4096];
            loop {
                let (n, from) = socket.recv_from(&mut buf).await?;
                if from == *server {
                    return Ok::<_, std::io::Error>(buf[..n].to_vec());
                }
            }
        };
        match tokio::time::timeout(timeout, asked).await {
            Ok(Ok(reply)) => {
                let reply = Message::from_vec(&reply).map_err(|e| failed("PTR", ip, e))?;
                if reply.metadata.id != query.metadata.id {
                    last = format!("{server} answered another query");
                    continue;
                }
                return Ok(reply.answers.iter().find_map(|r| match &r.data {
                    RData::PTR(name) => Some(name.0.to_ascii().trim_end_matches('.').to_owned()),
                    _ => None,
                }));
            }
            Ok(Err(e)) => last = format!("{server}: {e}"),
            Err(_) => last = format!("{server} did not answer"),
        }
    }
    Err(failed("PTR", ip, Unanswered(last)))
}
