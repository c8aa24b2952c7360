//! The SMTP listener of the inbound role. It takes mail only for the
//! addresses a `Mailbox` accepts (never a relay), offers STARTTLS, limits
//! message size, connections per address and time per command, and accepts
//! only CRLF line ends: a bare CR or LF anywhere refuses the command or the
//! message, so no other server can read a different message end than ours
//! (SMTP smuggling). A session that misbehaves is answered and ends; the
//! others go on.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
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

/// A message as it arrived.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub peer: IpAddr,
    pub helo: String,
    pub mail_from: String,
    pub recipients: Vec<String>,
    pub data: Vec<u8>,
    pub tls: bool,
}

/// Where accepted mail goes.
pub trait Mailbox: Clone + Send + Sync + 'static {
    /// None when `address` is ours; else the reply refusing it.
    fn accepts(&self, address: &str) -> impl Future<Output = Option<String>> + Send;
    /// Takes a message; an error is answered 451 (the sender tries again).
    fn deliver(&self, envelope: Envelope) -> impl Future<Output = Result<(), String>> + Send;
}

#[derive(Clone)]
pub struct ListenerConfig {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// STARTTLS is offered when set.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// How long a command (or the whole DATA) may take.
    pub command_timeout: Duration,
    pub data_timeout: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            tls: None,
            max_message_bytes: 10 * 1024 * 1024,
            max_recipients: 50,
            max_connections: 200,
            max_connections_per_ip: 10,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
        }
    }
}

/// The STARTTLS configuration from a certificate chain and its private key
/// (PEM files).
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the certificate and key do not go together: {e}"))?;
    Ok(Arc::new(config))
}

/// Errors in a row before a session is closed.
const MAX_ERRORS: usize = 10;
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
    loop {
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "inbound accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let refusal = {
            let mut open = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let total: usize = open.values().sum();
            let mine = open.get(&peer.ip()).copied().unwrap_or(0);
            if total >= config.max_connections {
                Some("421 4.3.2 too busy, try again later\r\n")
            } else if mine >= config.max_connections_per_ip {
                Some("421 4.7.0 too many connections from your address\r\n")
            } else {
                // Only admitted connections have an entry (removed at 0).
                *open.entry(peer.ip()).or_default() += 1;
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
        let (config, mailbox, open, cancel) = (config.clone(), mailbox.clone(), open.clone(), cancel.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                outcome = session(stream, peer, &config, &mailbox) => {
                    if let Err(e) = outcome {
                        tracing::debug!(%peer, error = %e, "inbound session ended");
                    }
                }
            }
            let mut open = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = open.get_mut(&peer.ip()) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&peer.ip());
                }
            }
        });
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
    /// A bare CR or LF, or a line too long: the session must end.
    Bad(&'static str),
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
            if let Some(at) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=at).collect();
                let Some(body) = line.strip_suffix(b"\r\n") else { return Ok(Line::Bad("bare LF")) };
                if body.contains(&b'\r') {
                    return Ok(Line::Bad("bare CR"));
                }
                return Ok(Line::Ok(body.to_vec()));
            }
            if self.buf.len() > MAX_LINE {
                return Ok(Line::Bad("line too long"));
            }
            self.fill(deadline.saturating_duration_since(tokio::time::Instant::now())).await?;
        }
    }

    /// The message after DATA, up to the `CRLF.CRLF` that ends it, dots
    /// unstuffed. Ok(Err(reply)): refuse the message (it was read to its
    /// end, the session goes on). Err(InvalidData): a bare CR or LF; what
    /// follows cannot be trusted to be data or commands, so the session ends.
    async fn data(&mut self, config: &ListenerConfig) -> std::io::Result<Result<Vec<u8>, &'static str>> {
        let deadline = tokio::time::Instant::now() + config.data_timeout;
        let bare = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bare CR or LF");
        let mut out = Vec::new();
        let mut too_big = false;
        loop {
            let Some(at) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.contains(&b'\r') && !self.buf.ends_with(b"\r") {
                    return Err(bare());
                }
                if self.buf.len() > MAX_DATA_LINE {
                    // Far over RFC 5321's 1000 octets: where the line starts
                    // again cannot be trusted, so the session ends.
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "line too long"));
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
                return Ok(if too_big { Err("552 5.3.4 the message is too big") } else { Ok(out) });
            }
            if too_big {
                continue;
            }
            out.extend_from_slice(body.strip_prefix(b".").unwrap_or(body));
            out.extend_from_slice(b"\r\n");
            if out.len() > config.max_message_bytes {
                too_big = true;
                out = Vec::new();
            }
        }
    }
}

async fn session<M: Mailbox>(
    stream: TcpStream,
    peer: SocketAddr,
    config: &ListenerConfig,
    mailbox: &M,
) -> std::io::Result<()> {
    let mut conn = Conn { io: Box::new(stream), buf: Vec::new() };
    let mut tls = false;
    conn.reply(&format!("220 {} ESMTP ninsho", config.hostname)).await?;
    let mut helo: Option<String> = None;
    let mut from: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    let mut errors = 0;
    loop {
        let line = match conn.line(config.command_timeout).await {
            Ok(Line::Ok(line)) => line,
            Ok(Line::Bad(why)) => {
                conn.reply(&format!("500 5.5.2 {why}: lines end with CRLF; closing")).await?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                conn.reply("421 4.4.2 idle too long; closing").await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let command = parse_command(&line);
        let failed = matches!(command, Command::Bad(_) | Command::Unknown);
        match command {
            Command::Helo(name) => {
                helo = Some(name);
                (from, recipients) = (None, Vec::new());
                conn.reply(&format!("250 {}", config.hostname)).await?;
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
                let last = lines.len() - 1;
                let text: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}", if i == last { ' ' } else { '-' }))
                    .collect();
                conn.reply(&text.join("\r\n")).await?;
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
                }
                (Some(_), true) => conn.reply("503 5.5.1 TLS is on already").await?,
                (None, _) => conn.reply("502 5.5.1 STARTTLS is not offered").await?,
            },
            Command::Mail { from: sender, size } => {
                if helo.is_none() {
                    conn.reply("503 5.5.1 say EHLO first").await?;
                } else if from.is_some() {
                    conn.reply("503 5.5.1 a transaction is open already").await?;
                } else if size.is_some_and(|s| s > config.max_message_bytes as u64) {
                    conn.reply("552 5.3.4 the message is too big").await?;
                } else {
                    from = Some(sender);
                    conn.reply("250 2.1.0 ok").await?;
                }
            }
            Command::Rcpt(to) => {
                if from.is_none() {
                    conn.reply("503 5.5.1 MAIL first").await?;
                } else if recipients.len() >= config.max_recipients {
                    conn.reply("452 4.5.3 too many recipients").await?;
                } else {
                    match mailbox.accepts(&to).await {
                        None => {
                            // The same address twice is one recipient.
                            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&to)) {
                                recipients.push(to);
                            }
                            conn.reply("250 2.1.5 ok").await?;
                        }
                        Some(refusal) => conn.reply(&refusal).await?,
                    }
                }
            }
            Command::Data => {
                if recipients.is_empty() {
                    conn.reply("503 5.5.1 no valid recipients").await?;
                } else {
                    conn.reply("354 end with <CRLF>.<CRLF>").await?;
                    let data = match conn.data(config).await {
                        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                            conn.reply("521 5.5.2 a bare CR or LF in the message: lines end with CRLF; closing")
                                .await?;
                            return Ok(());
                        }
                        other => other?,
                    };
                    match data {
                        Ok(data) => {
                            let envelope = Envelope {
                                peer: peer.ip(),
                                helo: helo.clone().unwrap_or_default(),
                                mail_from: from.take().unwrap_or_default(),
                                recipients: std::mem::take(&mut recipients),
                                data,
                                tls,
                            };
                            match mailbox.deliver(envelope).await {
                                Ok(()) => conn.reply("250 2.0.0 accepted").await?,
                                Err(e) => {
                                    tracing::warn!(%peer, error = %e, "an inbound message could not be kept");
                                    conn.reply("451 4.3.0 cannot keep the message now; try again later").await?;
                                }
                            }
                        }
                        Err(reply) => {
                            (from, recipients) = (None, Vec::new());
                            conn.reply(reply).await?;
                        }
                    }
                }
            }
            Command::Rset => {
                (from, recipients) = (None, Vec::new());
                conn.reply("250 2.0.0 ok").await?;
            }
            Command::Noop => conn.reply("250 2.0.0 ok").await?,
            Command::Vrfy => conn.reply("252 2.5.0 cannot verify; send and see").await?,
            Command::Quit => {
                conn.reply("221 2.0.0 bye").await?;
                return Ok(());
            }
            Command::Bad(reply) => conn.reply(reply).await?,
            Command::Unknown => conn.reply("500 5.5.1 command not recognised").await?,
        }
        errors = if failed { errors + 1 } else { 0 };
        if errors >= MAX_ERRORS {
            conn.reply("421 4.7.0 too many errors; closing").await?;
            return Ok(());
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
    }
}
