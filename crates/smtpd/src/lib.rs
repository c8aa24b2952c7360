//! ninsho's SMTP server: the listener of the inbound role (bounces,
//! complaints, reports) and of the submission role (applications sending
//! with a credential). It takes mail only as its `Mailbox` allows (never a
//! relay), offers STARTTLS (or speaks TLS from the start, for port 465),
//! AUTH PLAIN and LOGIN only over TLS when the mailbox authenticates, and
//! accepts only CRLF line ends: a bare CR or LF anywhere refuses the command
//! or the message, so no other server can read a different message end than
//! ours (SMTP smuggling). A session that misbehaves is answered and ends;
//! the others go on.
//!
//! What one sender can take is bounded: connections per network (/24 for
//! IPv4, /48 for IPv6, not per address), with a quarter of the slots kept
//! for networks that hold none; 30 seconds to say EHLO (or HELO) and 30
//! minutes for a whole session; a count of refusals per session (and of
//! failed logins); and the bytes of messages being received, all sessions
//! together, past a small allowance each.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;

/// One SMTP command, parsed from a line without its CRLF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Helo(String),
    Ehlo(String),
    Mail {
        from: String,
        size: Option<u64>,
    },
    Rcpt(String),
    Data,
    Rset,
    Noop,
    Quit,
    StartTls,
    /// `AUTH mechanism [initial response]`.
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    Vrfy,
    /// A command we know but whose arguments are wrong: the reply text.
    Bad(&'static str),
    Unknown,
}

/// Parses one command line (without CRLF). Never panics.
pub fn parse_command(line: &[u8]) -> Command {
    let Ok(line) = std::str::from_utf8(line) else { return Command::Bad("501 5.5.2 not UTF-8") };
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    match verb.to_ascii_uppercase().as_str() {
        "HELO" if !rest.is_empty() => Command::Helo(rest.to_owned()),
        "EHLO" if !rest.is_empty() => Command::Ehlo(rest.to_owned()),
        "HELO" | "EHLO" => Command::Bad("501 5.5.4 a domain name is required"),
        "MAIL" => match path_after(rest, "FROM:") {
            Some((from, params)) => {
                let mut size = None;
                for param in params.split_whitespace() {
                    if let Some(v) = param.to_ascii_uppercase().strip_prefix("SIZE=") {
                        match v.parse() {
                            Ok(n) => size = Some(n),
                            Err(_) => return Command::Bad("501 5.5.4 SIZE is not a number"),
                        }
                    }
                }
                Command::Mail { from, size }
            }
            None => Command::Bad("501 5.5.4 syntax: MAIL FROM:<address>"),
        },
        "RCPT" => match path_after(rest, "TO:") {
            Some((to, _)) if !to.is_empty() => Command::Rcpt(to),
            _ => Command::Bad("501 5.5.4 syntax: RCPT TO:<address>"),
        },
        "DATA" => Command::Data,
        "RSET" => Command::Rset,
        "NOOP" => Command::Noop,
        "QUIT" => Command::Quit,
        "STARTTLS" => Command::StartTls,
        "AUTH" => match rest.split_once(' ') {
            _ if rest.is_empty() => Command::Bad("501 5.5.4 syntax: AUTH mechanism"),
            Some((mechanism, initial)) => {
                Command::Auth { mechanism: mechanism.to_ascii_uppercase(), initial: Some(initial.trim().to_owned()) }
            }
            None => Command::Auth { mechanism: rest.to_ascii_uppercase(), initial: None },
        },
        "VRFY" => Command::Vrfy,
        _ => Command::Unknown,
    }
}

/// `FROM:<a@b> SIZE=1` → (`a@b`, `SIZE=1`); the path may be empty (`<>`).
fn path_after(rest: &str, keyword: &str) -> Option<(String, String)> {
    let upper = rest.get(..keyword.len())?.to_ascii_uppercase();
    if upper != keyword {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let (path, params) = rest.split_once('>')?;
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) || path.len() > 256 {
        return None;
    }
    // A source route (`@a,@b:user@c`) names the mailbox after the colon.
    let path = path.rsplit_once(':').map_or(path, |(_, p)| p);
    Some((path.to_owned(), params.trim().to_owned()))
}

/// A message as it arrived, and who sent it when the session logged in.
#[derive(Debug, Clone)]
pub struct Envelope<I = ()> {
    pub peer: IpAddr,
    pub helo: String,
    pub mail_from: String,
    pub recipients: Vec<String>,
    pub data: Vec<u8>,
    pub tls: bool,
    /// Who the session is: by AUTH, or by the network it comes from.
    pub identity: Option<I>,
}

/// Where accepted mail goes, and who may send it.
pub trait Mailbox: Clone + Send + Sync + 'static {
    /// Who a login (or a trusted network) names; `()` where there is none.
    type Identity: Clone + Send + Sync + 'static;
    /// Why a message could not be taken.
    type Error: std::fmt::Display + Send;
    /// Whether this listener is for senders who log in: AUTH is offered
    /// (over TLS only) and mail needs an identity.
    fn offers_auth(&self) -> bool {
        false
    }
    /// Checks a login from `peer`: who it is, or the reply refusing it.
    fn authenticate(
        &self,
        peer: IpAddr,
        user: &str,
        password: &str,
    ) -> impl Future<Output = Result<Self::Identity, String>> + Send {
        let _ = (peer, user, password);
        std::future::ready(Err("502 5.5.1 AUTH is not offered".to_owned()))
    }
    /// Who a connection from `peer` is without a login (a network trusted
    /// to send without one), if anyone.
    fn known(&self, peer: IpAddr) -> impl Future<Output = Option<Self::Identity>> + Send {
        let _ = peer;
        std::future::ready(None)
    }
    /// None when `from` may be the envelope sender; else the reply refusing it.
    fn sender(&self, who: Option<&Self::Identity>, from: &str) -> impl Future<Output = Option<String>> + Send {
        let _ = (who, from);
        std::future::ready(None)
    }
    /// None when mail for `address` is taken; else the reply refusing it.
    fn accepts(&self, who: Option<&Self::Identity>, address: &str) -> impl Future<Output = Option<String>> + Send;
    /// Takes a message: the reply (`250 …`, or a refusal of this message);
    /// an error is answered 451 (the sender tries again).
    fn deliver(&self, envelope: Envelope<Self::Identity>) -> impl Future<Output = Result<String, Self::Error>> + Send;
}

#[derive(Clone)]
pub struct ListenerConfig {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// STARTTLS is offered when set.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// TLS from the first byte (port 465) instead of STARTTLS.
    pub implicit_tls: bool,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    pub max_connections: usize,
    /// Connections from one network: a /24 of IPv4, a /48 of IPv6.
    pub max_connections_per_network: usize,
    /// How long a command may take.
    pub command_timeout: Duration,
    /// How long the whole of a message after DATA may take.
    pub data_timeout: Duration,
    /// How long a connection may take over each line until it has said
    /// EHLO or HELO (at most `command_timeout`).
    pub first_command_timeout: Duration,
    /// How long one session may last, whatever it does.
    pub max_session: Duration,
    /// The bytes of messages being received, all sessions together, past
    /// [`DATA_ALLOWANCE`] each: a message that would pass it is refused
    /// with 452 (the sender tries again later).
    pub max_data_in_flight: usize,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            tls: None,
            implicit_tls: false,
            max_message_bytes: 10 * 1024 * 1024,
            max_recipients: 50,
            max_connections: 200,
            max_connections_per_network: 10,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            first_command_timeout: Duration::from_secs(30),
            max_session: Duration::from_secs(30 * 60),
            max_data_in_flight: 64 * 1024 * 1024,
        }
    }
}

/// The STARTTLS configuration from a certificate chain and its private key
/// (PEM files).
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Pem { path: cert.to_owned(), source })?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Pem { path: key.to_owned(), source })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(TlsError::Mismatch)?;
    Ok(Arc::new(config))
}

/// Why the STARTTLS configuration cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: {source}", path.display())]
    Pem { path: std::path::PathBuf, source: rustls::pki_types::pem::Error },
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("the certificate and key do not go together: {0}")]
    Mismatch(rustls::Error),
}

/// Refused commands and recipients in one session before it is closed.
const MAX_ERRORS: usize = 20;
/// Failed logins in one session before it is closed.
const MAX_AUTH_FAILURES: usize = 3;
/// What each session may hold of a message before it draws on
/// [`ListenerConfig::max_data_in_flight`]: bounces fit in it.
pub const DATA_ALLOWANCE: usize = 128 * 1024;
/// The unit in which message bytes are counted against the budget.
const DATA_UNIT: usize = 64 * 1024;
/// The longest command line (RFC 5321 §4.5.3.1.4 says 512 with CRLF).
const MAX_LINE: usize = 2048;
/// The longest line in a message (RFC 5321 allows 1000 octets); longer
/// ends the session, as a bare CR or LF does.
const MAX_DATA_LINE: usize = 64 * 1024;
/// How long a client may take to read a reply.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves SMTP on `listener` until `cancel`.
pub async fn serve<M: Mailbox>(listener: TcpListener, config: ListenerConfig, mailbox: M, cancel: CancellationToken) {
    let config = Arc::new(config);
    let open: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let budget = Arc::new(Semaphore::new((config.max_data_in_flight / DATA_UNIT).max(1)));
    loop {
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let net = network(peer.ip());
        let refusal = {
            let mut open = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let total: usize = open.values().sum();
            let mine = open.get(&net).copied().unwrap_or(0);
            // The last quarter of the slots is for networks with none open.
            let shared = config.max_connections - config.max_connections / 4;
            if total >= config.max_connections || (total >= shared && mine > 0) {
                Some("421 4.3.2 too busy, try again later\r\n")
            } else if mine >= config.max_connections_per_network {
                Some("421 4.7.0 too many connections from your network\r\n")
            } else {
                // Only admitted connections have an entry (removed at 0).
                *open.entry(net).or_default() += 1;
                None
            }
        };
        if let Some(reply) = refusal {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = stream.write_all(reply.as_bytes()).await;
            });
            continue;
        }
        let (config, mailbox, cancel) = (config.clone(), mailbox.clone(), cancel.clone());
        let budget = budget.clone();
        // The slot is given back however the session ends, a panic included.
        let slot = Slot { open: open.clone(), net };
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                () = cancel.cancelled() => {}
                outcome = session(stream, peer, &config, &mailbox, &budget) => {
                    if let Err(e) = outcome {
                        tracing::debug!(%peer, error = %e, "SMTP session ended");
                    }
                }
            }
        });
    }
}

/// An admitted connection's place in the count of its network.
struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    net: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.net) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.net);
            }
        }
    }
}

/// The network a connection is counted in: its /24 (IPv4, also mapped in
/// IPv6) or its /48 (IPv6: a site's usual allocation), as one sender
/// usually holds a whole block.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v4) & 0xffff_ff00)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network(IpAddr::V4(v4)),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 80) - 1))),
        },
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connection with its read buffer.
struct Conn {
    io: Box<dyn Io>,
    buf: Vec<u8>,
}

/// What reading a line found.
enum Line {
    Ok(Vec<u8>),
    /// A bare CR or LF, or a line too long: the reply, and the session ends.
    Bad(&'static str),
}

/// A message as received, and the share of the budget its bytes hold
/// until it has been delivered.
struct Received<'b> {
    data: Vec<u8>,
    held: Option<SemaphorePermit<'b>>,
}

impl Conn {
    /// Writes a reply; a client that does not read it within `WRITE_TIMEOUT`
    /// loses the session (it cannot hold a slot by never reading).
    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        let write = async {
            self.io.write_all(text.as_bytes()).await?;
            self.io.write_all(b"\r\n").await?;
            self.io.flush().await
        };
        tokio::time::timeout(WRITE_TIMEOUT, write)
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "the client does not read"))?
    }

    async fn fill(&mut self, timeout: Duration) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(timeout, self.io.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))??;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// One command line, CRLF required, whole within `timeout` (a client
    /// dribbling a byte at a time does not stretch it).
    async fn line(&mut self, timeout: Duration) -> std::io::Result<Line> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let end = self.buf.iter().position(|&b| b == b'\n');
            // However the line arrived, in pieces or in one read.
            if end.unwrap_or(self.buf.len()) > MAX_LINE {
                return Ok(Line::Bad("500 5.5.2 the line is longer than 2048 octets; closing"));
            }
            if let Some(at) = end {
                let line: Vec<u8> = self.buf.drain(..=at).collect();
                let Some(body) = line.strip_suffix(b"\r\n") else {
                    return Ok(Line::Bad("500 5.5.2 a bare LF: lines end with CRLF; closing"));
                };
                if body.contains(&b'\r') {
                    return Ok(Line::Bad("500 5.5.2 a bare CR: lines end with CRLF; closing"));
                }
                return Ok(Line::Ok(body.to_vec()));
            }
            self.fill(deadline.saturating_duration_since(tokio::time::Instant::now())).await?;
        }
    }

    /// The message after DATA, up to the `CRLF.CRLF` that ends it, dots
    /// unstuffed. Ok(Err(reply)): refuse the message (it was read to its
    /// end, the session goes on): too big, or more than the budget of bytes
    /// in flight allows now. Err(InvalidData): a bare CR or LF; what follows
    /// cannot be trusted to be data or commands, so the session ends.
    async fn data<'b>(
        &mut self,
        config: &ListenerConfig,
        budget: &'b Semaphore,
    ) -> std::io::Result<Result<Received<'b>, &'static str>> {
        let deadline = tokio::time::Instant::now() + config.data_timeout;
        let bare = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bare CR or LF");
        let mut out = Vec::new();
        let mut held: Option<SemaphorePermit<'b>> = None;
        let mut refused: Option<&'static str> = None;
        loop {
            let Some(at) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.contains(&b'\r') && !self.buf.ends_with(b"\r") {
                    return Err(bare());
                }
                if self.buf.len() > MAX_DATA_LINE {
                    // Far over RFC 5321's 1000 octets: where the line starts
                    // again cannot be trusted, so the session ends.
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "line too long"));
                }
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                self.fill(left).await?;
                continue;
            };
            let line: Vec<u8> = self.buf.drain(..=at).collect();
            let Some(body) = line.strip_suffix(b"\r\n") else { return Err(bare()) };
            if body.contains(&b'\r') {
                return Err(bare());
            }
            if body == b"." {
                return Ok(match refused {
                    Some(reply) => Err(reply),
                    None => Ok(Received { data: out, held }),
                });
            }
            if refused.is_some() {
                continue;
            }
            // Grown by an eighth (at least a unit) rather than doubled, so
            // what the message holds stays close to what it is.
            if out.capacity() - out.len() < body.len() + 2 {
                out.reserve_exact((out.len() / 8).max(DATA_UNIT).max(body.len() + 2));
            }
            out.extend_from_slice(body.strip_prefix(b".").unwrap_or(body));
            out.extend_from_slice(b"\r\n");
            if out.len() > config.max_message_bytes {
                refused = Some("552 5.3.4 the message is too big");
            } else if out.capacity() > DATA_ALLOWANCE {
                // Past the allowance, every unit the message holds needs a
                // unit of the budget all sessions share.
                let needed = (out.capacity() - DATA_ALLOWANCE).div_ceil(DATA_UNIT);
                let have = held.as_ref().map_or(0, |p| p.num_permits());
                if needed > have {
                    let more = u32::try_from(needed - have).unwrap_or(u32::MAX);
                    match (budget.try_acquire_many(more), held.as_mut()) {
                        (Ok(permit), Some(held)) => held.merge(permit),
                        (Ok(permit), None) => held = Some(permit),
                        (Err(_), _) => refused = Some("452 4.3.1 too much mail arriving at once; try again later"),
                    }
                }
            }
            if refused.is_some() {
                out = Vec::new();
                held = None;
            }
        }
    }
}

/// Whether a reply refuses what the client asked (4xx or 5xx): refusals
/// count towards [`MAX_ERRORS`] whatever came between them.
fn is_refusal(reply: &str) -> bool {
    reply.starts_with('4') || reply.starts_with('5')
}

/// A user and password a client gave, decoded; or the reply refusing the
/// exchange.
async fn auth_exchange(
    conn: &mut Conn,
    mechanism: &str,
    initial: Option<String>,
    timeout: Duration,
) -> std::io::Result<Result<(String, String), &'static str>> {
    use base64::Engine;
    let decode = |text: &str| base64::engine::general_purpose::STANDARD.decode(text.trim()).ok();
    // One response line to a challenge; `*` cancels (RFC 4954 §4).
    async fn respond(conn: &mut Conn, challenge: &str, timeout: Duration) -> std::io::Result<Option<String>> {
        conn.reply(challenge).await?;
        match conn.line(timeout).await? {
            Line::Ok(line) if line != b"*" => Ok(Some(String::from_utf8_lossy(&line).into_owned())),
            _ => Ok(None),
        }
    }
    const CANCELLED: &str = "501 5.7.0 AUTH cancelled";
    const UNREADABLE: &str = "501 5.5.2 the response is not valid base64";
    match mechanism {
        "PLAIN" => {
            let response = match initial {
                // `=` is an empty initial response.
                Some(r) if r == "=" => String::new(),
                Some(r) => r,
                None => match respond(conn, "334 ", timeout).await? {
                    Some(r) => r,
                    None => return Ok(Err(CANCELLED)),
                },
            };
            let Some(bytes) = decode(&response) else { return Ok(Err(UNREADABLE)) };
            // authzid NUL authcid NUL password
            let mut parts = bytes.split(|&b| b == 0);
            let (Some(_), Some(user), Some(password), None) = (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Ok(Err("501 5.5.2 PLAIN wants authzid, user and password separated by NUL"));
            };
            Ok(Ok((String::from_utf8_lossy(user).into_owned(), String::from_utf8_lossy(password).into_owned())))
        }
        "LOGIN" => {
            let user = match initial {
                Some(r) => r,
                None => match respond(conn, "334 VXNlcm5hbWU6", timeout).await? {
                    Some(r) => r,
                    None => return Ok(Err(CANCELLED)),
                },
            };
            let Some(user) = decode(&user) else { return Ok(Err(UNREADABLE)) };
            let Some(password) = respond(conn, "334 UGFzc3dvcmQ6", timeout).await? else { return Ok(Err(CANCELLED)) };
            let Some(password) = decode(&password) else { return Ok(Err(UNREADABLE)) };
            Ok(Ok((String::from_utf8_lossy(&user).into_owned(), String::from_utf8_lossy(&password).into_owned())))
        }
        _ => Ok(Err("504 5.5.4 unknown mechanism: use PLAIN or LOGIN")),
    }
}

async fn session<M: Mailbox>(
    stream: TcpStream,
    peer: SocketAddr,
    config: &ListenerConfig,
    mailbox: &M,
    budget: &Semaphore,
) -> std::io::Result<()> {
    let mut conn = Conn { io: Box::new(stream), buf: Vec::new() };
    let mut tls = false;
    if config.implicit_tls {
        let Some(server) = &config.tls else {
            return Err(std::io::Error::other("implicit TLS without a certificate"));
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(server.clone());
        let io = std::mem::replace(&mut conn.io, Box::new(tokio::io::duplex(1).0));
        let stream = tokio::time::timeout(config.first_command_timeout, acceptor.accept(io))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake"))??;
        conn.io = Box::new(stream);
        tls = true;
    }
    conn.reply(&format!("220 {} ESMTP ninsho", config.hostname)).await?;
    let mut helo: Option<String> = None;
    let mut from: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    let mut errors = 0;
    let mut auth_failures = 0;
    // Who the session is: a network trusted without a login, until a login.
    let logins = mailbox.offers_auth();
    let mut identity = if logins { mailbox.known(peer.ip()).await } else { None };
    let mut logged_in = false;
    // Until the client says EHLO or HELO it gets a short time per line.
    let started = tokio::time::Instant::now();
    loop {
        if started.elapsed() > config.max_session {
            conn.reply("421 4.4.2 the session has lasted long enough; closing").await?;
            return Ok(());
        }
        let timeout = if helo.is_some() {
            config.command_timeout
        } else {
            config.command_timeout.min(config.first_command_timeout)
        };
        let line = match conn.line(timeout).await {
            Ok(Line::Ok(line)) => line,
            Ok(Line::Bad(reply)) => {
                conn.reply(reply).await?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                conn.reply("421 4.4.2 idle too long; closing").await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let reply: String = match parse_command(&line) {
            Command::Helo(name) => {
                helo = Some(name);
                (from, recipients) = (None, Vec::new());
                format!("250 {}", config.hostname)
            }
            Command::Ehlo(name) => {
                helo = Some(name);
                (from, recipients) = (None, Vec::new());
                let mut lines = vec![
                    config.hostname.clone(),
                    "PIPELINING".into(),
                    format!("SIZE {}", config.max_message_bytes),
                    "ENHANCEDSTATUSCODES".into(),
                    "8BITMIME".into(),
                ];
                if config.tls.is_some() && !tls {
                    lines.push("STARTTLS".into());
                }
                // Passwords travel only inside TLS: AUTH is not even offered before.
                if logins && tls && !logged_in {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                let last = lines.len() - 1;
                let text: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}", if i == last { ' ' } else { '-' }))
                    .collect();
                text.join("\r\n")
            }
            Command::StartTls => match (&config.tls, tls) {
                (Some(server), false) => {
                    // Anything sent after STARTTLS in the clear is dropped,
                    // never read as if it came over TLS.
                    conn.buf.clear();
                    conn.reply("220 2.0.0 ready to start TLS").await?;
                    let acceptor = tokio_rustls::TlsAcceptor::from(server.clone());
                    let io = std::mem::replace(&mut conn.io, Box::new(tokio::io::duplex(1).0));
                    let stream = tokio::time::timeout(config.command_timeout, acceptor.accept(io))
                        .await
                        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake"))??;
                    conn.io = Box::new(stream);
                    tls = true;
                    (helo, from, recipients) = (None, None, Vec::new());
                    continue;
                }
                (Some(_), true) => "503 5.5.1 TLS is on already".into(),
                (None, _) => "502 5.5.1 STARTTLS is not offered".into(),
            },
            Command::Auth { mechanism, initial } => {
                if !logins {
                    "502 5.5.1 AUTH is not offered".into()
                } else if !tls {
                    "538 5.7.11 encryption required: say STARTTLS first".into()
                } else if helo.is_none() {
                    "503 5.5.1 say EHLO first".into()
                } else if logged_in {
                    "503 5.5.1 already authenticated".into()
                } else if from.is_some() {
                    "503 5.5.1 not during a mail transaction".into()
                } else {
                    match auth_exchange(&mut conn, &mechanism, initial, config.command_timeout).await? {
                        Err(reply) => reply.into(),
                        Ok((user, password)) => match mailbox.authenticate(peer.ip(), &user, &password).await {
                            Ok(who) => {
                                identity = Some(who);
                                logged_in = true;
                                "235 2.7.0 authenticated".into()
                            }
                            Err(reply) => {
                                auth_failures += 1;
                                if auth_failures >= MAX_AUTH_FAILURES {
                                    conn.reply(&reply).await?;
                                    conn.reply("421 4.7.0 too many failed logins; closing").await?;
                                    return Ok(());
                                }
                                reply
                            }
                        },
                    }
                }
            }
            Command::Mail { from: sender, size } => {
                if helo.is_none() {
                    "503 5.5.1 say EHLO first".into()
                } else if from.is_some() {
                    "503 5.5.1 a transaction is open already".into()
                } else if logins && identity.is_none() {
                    // Never a relay: who sends must be known.
                    "530 5.7.0 authentication required".into()
                } else if size.is_some_and(|s| s > config.max_message_bytes as u64) {
                    "552 5.3.4 the message is too big".into()
                } else if let Some(refusal) = mailbox.sender(identity.as_ref(), &sender).await {
                    refusal
                } else {
                    from = Some(sender);
                    "250 2.1.0 ok".into()
                }
            }
            Command::Rcpt(to) => {
                if from.is_none() {
                    "503 5.5.1 MAIL first".into()
                } else if recipients.len() >= config.max_recipients {
                    "452 4.5.3 too many recipients".into()
                } else {
                    match mailbox.accepts(identity.as_ref(), &to).await {
                        None => {
                            // The same address twice is one recipient.
                            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&to)) {
                                recipients.push(to);
                            }
                            "250 2.1.5 ok".into()
                        }
                        Some(refusal) => refusal,
                    }
                }
            }
            Command::Data if recipients.is_empty() => "503 5.5.1 no valid recipients".into(),
            Command::Data => {
                conn.reply("354 end with <CRLF>.<CRLF>").await?;
                let received = match conn.data(config, budget).await {
                    Ok(received) => received,
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        conn.reply("521 5.5.2 a bare CR or LF in the message: lines end with CRLF; closing").await?;
                        return Ok(());
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                        conn.reply("521 5.5.2 a line of the message is longer than 64 KB; closing").await?;
                        return Ok(());
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                        conn.reply("421 4.4.2 the message took too long to arrive; closing").await?;
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                match received {
                    Ok(received) => {
                        let envelope = Envelope {
                            peer: peer.ip(),
                            helo: helo.clone().unwrap_or_default(),
                            mail_from: from.take().unwrap_or_default(),
                            recipients: std::mem::take(&mut recipients),
                            data: received.data,
                            tls,
                            identity: identity.clone(),
                        };
                        // The budget is held until the message is dealt with.
                        let delivered = mailbox.deliver(envelope).await;
                        drop(received.held);
                        match delivered {
                            Ok(reply) => reply,
                            Err(e) => {
                                tracing::warn!(%peer, error = %e, "a received message could not be kept");
                                "451 4.3.0 cannot keep the message now; try again later".into()
                            }
                        }
                    }
                    Err(reply) => {
                        (from, recipients) = (None, Vec::new());
                        reply.into()
                    }
                }
            }
            Command::Rset => {
                (from, recipients) = (None, Vec::new());
                "250 2.0.0 ok".into()
            }
            Command::Noop => "250 2.0.0 ok".into(),
            Command::Vrfy => "252 2.5.0 cannot verify; send and see".into(),
            Command::Quit => {
                conn.reply("221 2.0.0 bye").await?;
                return Ok(());
            }
            Command::Bad(reply) => reply.into(),
            Command::Unknown => "500 5.5.1 command not recognised".into(),
        };
        conn.reply(&reply).await?;
        if is_refusal(&reply) {
            errors += 1;
            if errors >= MAX_ERRORS {
                conn.reply("421 4.7.0 too many refused commands; closing").await?;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_their_arguments() {
        assert_eq!(parse_command(b"EHLO mx.example.org"), Command::Ehlo("mx.example.org".into()));
        assert_eq!(parse_command(b"MAIL FROM:<> SIZE=1000"), Command::Mail { from: String::new(), size: Some(1000) });
        assert_eq!(
            parse_command(b"mail from: <a@b.example>"),
            Command::Mail { from: "a@b.example".into(), size: None }
        );
        assert_eq!(
            parse_command(b"RCPT TO:<@relay.example:b-1-x@bounce.shop.example>"),
            Command::Rcpt("b-1-x@bounce.shop.example".into())
        );
        assert!(matches!(parse_command(b"RCPT TO:b@c"), Command::Bad(_)));
        assert!(matches!(parse_command(b"MAIL FROM:<a b@c>"), Command::Bad(_)));
        assert!(matches!(parse_command(b"EHLO"), Command::Bad(_)));
        assert!(matches!(parse_command(b"\xff\xfe"), Command::Bad(_)));
        assert_eq!(parse_command(b"BDAT 100"), Command::Unknown);
        assert_eq!(
            parse_command(b"auth plain AGFwcABzZWNyZXQ="),
            Command::Auth { mechanism: "PLAIN".into(), initial: Some("AGFwcABzZWNyZXQ=".into()) }
        );
        assert_eq!(parse_command(b"AUTH LOGIN"), Command::Auth { mechanism: "LOGIN".into(), initial: None });
        assert!(matches!(parse_command(b"AUTH"), Command::Bad(_)));
    }
}
