//! The delivery lab: an authoritative DNS server answering for test zones,
//! SMTP sinks with STARTTLS on 127.0.0.x that can be told to misbehave the
//! way real receivers do, a test CA for their certificates, and the checks a
//! receiving server makes on each message it accepts (DKIM, SPF, DMARC, the
//! PTR of the connecting address).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use hickory_server::Server;
use hickory_server::proto::rr::rdata::{A, MX, PTR, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Records of the test world, all served from one root zone.
#[derive(Default)]
pub struct Zone {
    records: Vec<Record>,
}

fn name(s: &str) -> Name {
    Name::from_ascii(format!("{}.", s.trim_end_matches('.'))).unwrap_or_else(|e| panic!("{s}: {e}"))
}

impl Zone {
    pub fn a(mut self, host: &str, ip: [u8; 4]) -> Self {
        self.records.push(Record::from_rdata(name(host), 60, RData::A(A::from(std::net::Ipv4Addr::from(ip)))));
        self
    }

    pub fn mx(mut self, domain: &str, preference: u16, host: &str) -> Self {
        self.records.push(Record::from_rdata(name(domain), 60, RData::MX(MX::new(preference, name(host)))));
        self
    }

    /// The RFC 7505 null MX: the domain takes no mail.
    pub fn null_mx(mut self, domain: &str) -> Self {
        self.records.push(Record::from_rdata(name(domain), 60, RData::MX(MX::new(0, Name::root()))));
        self
    }

    /// A TXT record; values over 255 bytes are split into strings.
    pub fn txt(mut self, owner: &str, value: &str) -> Self {
        let parts = value.as_bytes().chunks(255).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        self.records.push(Record::from_rdata(name(owner), 60, RData::TXT(TXT::new(parts))));
        self
    }

    /// A TXT record made of exactly these strings, as an odd zone file
    /// would split it.
    pub fn txt_strings(mut self, owner: &str, strings: &[&str]) -> Self {
        let parts = strings.iter().map(|s| (*s).to_owned()).collect();
        self.records.push(Record::from_rdata(name(owner), 60, RData::TXT(TXT::new(parts))));
        self
    }

    /// The zone without the records at `owner`.
    pub fn without(mut self, owner: &str) -> Self {
        let owner = name(owner);
        self.records.retain(|r| r.name != owner);
        self
    }

    /// The PTR record of an IPv4 address.
    pub fn ptr(mut self, ip: [u8; 4], host: &str) -> Self {
        let owner = format!("{}.{}.{}.{}.in-addr.arpa", ip[3], ip[2], ip[1], ip[0]);
        self.records.push(Record::from_rdata(name(&owner), 60, RData::PTR(PTR(name(host)))));
        self
    }
}

/// The sending side of the lab: a new DKIM identity for `from_domain` (RSA,
/// and Ed25519 when asked) with its records, SPF of its bounce subdomain and DMARC
/// (p=reject, reports to ninsho), the bounce subdomain's MX (mx.lab.test,
/// the lab's inbound host), and each source address with a PTR that resolves back.
pub async fn sender_zone(
    store: &store::Store,
    key: &message::SecretKey,
    from_domain: &str,
    ed25519: bool,
    sources: &[([u8; 4], &str)],
) -> Result<Zone> {
    let (_, records) = identity::add_domain(store, key, from_domain, ed25519).await?;
    let who = store::SenderIdentity {
        name: "Lab Shop Ltd.".into(),
        postal_address: "1-1 Lab Street, Chiyoda, Tokyo 100-0001".into(),
        contact: format!("support@{from_domain}"),
    };
    store.set_sender_identity(from_domain, &who).await?;
    let ips: Vec<String> = sources.iter().map(|(ip, _)| format!("ip4:{}", std::net::Ipv4Addr::from(*ip))).collect();
    let mut zone = Zone::default()
        .txt(&format!("bounce.{from_domain}"), &format!("v=spf1 {} -all", ips.join(" ")))
        .txt(
            &format!("_dmarc.{from_domain}"),
            &format!("v=DMARC1; p=reject; rua=mailto:reports@bounce.{from_domain}; adkim=r; aspf=r"),
        )
        .mx(&format!("bounce.{from_domain}"), 10, "mx.lab.test")
        .a("mx.lab.test", [127, 0, 0, 9]);
    for (ip, helo) in sources {
        zone = zone.a(helo, *ip).ptr(*ip, helo).txt(helo, "v=spf1 a -all");
    }
    for (name, value) in records {
        zone = zone.txt(&name, &value);
    }
    Ok(zone)
}

type Handler = InMemoryZoneHandler<hickory_server::net::runtime::TokioRuntimeProvider>;

/// An authoritative DNS server on 127.0.0.1 (UDP and TCP, one port).
pub struct Dns {
    pub addr: SocketAddr,
    handler: Arc<Handler>,
    _server: Server<Catalog>,
}

impl Dns {
    pub async fn start(zone: Zone) -> Result<Self> {
        let root = Name::root();
        let mut handler = Handler::empty(root.clone(), ZoneType::Primary, AxfrPolicy::Deny);
        let soa = SOA::new(name("ns.lab.test"), name("hostmaster.lab.test"), 1, 3600, 600, 86400, 60);
        handler.upsert_mut(Record::from_rdata(root.clone(), 60, RData::SOA(soa)), 1);
        for record in zone.records {
            handler.upsert_mut(record, 1);
        }
        let handler = Arc::new(handler);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&root), vec![handler.clone()]);
        // One port for UDP and TCP: a UDP port that is free may be taken
        // for TCP by another test, so try again then.
        let mut tries = 0;
        let (udp, tcp, addr) = loop {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
            let addr = udp.local_addr()?;
            match TcpListener::bind(addr).await {
                Ok(tcp) => break (udp, tcp, addr),
                Err(_) if tries < 20 => tries += 1,
                Err(e) => return Err(e).context("TCP on the DNS server's UDP port"),
            }
        };
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 4096);
        Ok(Self { addr, handler, _server: server })
    }

    /// Adds records to the running server.
    pub async fn add(&self, zone: Zone) {
        for record in zone.records {
            self.handler.upsert(record, 1).await;
        }
    }
}

/// A CA for the sinks' certificates; its PEM file is what ninsho trusts.
pub struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pub pem_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> Result<Self> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "ninsho lab CA");
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let dir = tempfile::tempdir()?;
        let pem_file = dir.path().join("lab-ca.pem");
        std::fs::write(&pem_file, cert.pem())?;
        Ok(Self { issuer: rcgen::Issuer::new(params, key), pem_file, _dir: dir })
    }

    /// An S/MIME signing certificate for `email` (email protection), signed
    /// by this CA: a PEM bundle of the certificate and its key.
    pub fn issue_smime(&self, email: &str) -> Result<String> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(rcgen::DnType::CommonName, email);
        params.subject_alt_names = vec![rcgen::SanType::Rfc822Name(email.try_into()?)];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::EmailProtection];
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
    }

    /// A server certificate for `host`, signed by this CA.
    pub fn issue(&self, host: &str) -> Result<Certificate> {
        let params = rcgen::CertificateParams::new(vec![host.to_owned()])?;
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Certificate { chain: vec![cert.der().clone()], key: key.serialize_der() })
    }
}

/// A certificate and its private key (PKCS#8 DER).
#[derive(Clone)]
pub struct Certificate {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

impl Certificate {
    /// The TLS server configuration that presents this certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(self.chain.clone(), key)?;
        Ok(Arc::new(config))
    }

    /// Writes the chain and key as PEM files in `dir`: (chain, key), for a
    /// `ninsho` process's configuration.
    pub fn write_pem(&self, dir: &std::path::Path, name: &str) -> Result<(PathBuf, PathBuf)> {
        use base64::Engine;
        let pem = |label: &str, der: &[u8]| {
            let body = base64::engine::general_purpose::STANDARD.encode(der);
            let lines: Vec<&str> =
                body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
            format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
        };
        let chain: String = self.chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
        let (cert_path, key_path) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
        std::fs::write(&cert_path, chain)?;
        std::fs::write(&key_path, pem("PRIVATE KEY", &self.key))?;
        Ok((cert_path, key_path))
    }

    /// A TLS server side that presents this certificate.
    fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor> {
        Ok(tokio_rustls::TlsAcceptor::from(self.server_config()?))
    }

    /// A self-signed certificate nobody trusts.
    pub fn self_signed(host: &str) -> Result<Self> {
        let key = rcgen::KeyPair::generate()?;
        let cert = rcgen::CertificateParams::new(vec![host.to_owned()])?.self_signed(&key)?;
        Ok(Self { chain: vec![cert.der().clone()], key: key.serialize_der() })
    }
}

/// An HTTPS server that answers `GET /.well-known/mta-sts.txt` with a
/// policy (an MTA-STS policy host); anything else gets 404.
pub struct PolicyServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PolicyServer {
    pub async fn start(ip: [u8; 4], port: u16, cert: Certificate, policy: &str) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((ip, port))).await?;
        let addr = listener.local_addr()?;
        let acceptor = cert.acceptor()?;
        let policy = policy.to_owned();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, policy) = (acceptor.clone(), policy.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else { return };
                    let mut io = BufReader::new(tls);
                    let mut request = String::new();
                    let mut line = String::new();
                    while io.read_line(&mut line).await.is_ok_and(|n| n > 2) {
                        request.push_str(&line);
                        line.clear();
                    }
                    let response = if request.starts_with("GET /.well-known/mta-sts.txt ") {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{policy}",
                            policy.len()
                        )
                    } else {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
                    };
                    let _ = io.get_mut().write_all(response.as_bytes()).await;
                    let _ = io.get_mut().shutdown().await;
                });
            }
        });
        Ok(Self { addr, task })
    }
}

/// How a sink behaves. The default accepts everything over STARTTLS.
#[derive(Clone, Default)]
pub struct Script {
    /// No STARTTLS in the EHLO reply.
    pub no_starttls: bool,
    /// The first N messages get `451 4.3.0` after their data.
    pub defer_first: usize,
    /// Every MAIL FROM gets `421 4.7.28` and the connection is closed.
    pub throttle: bool,
    /// RCPT TO these addresses gets `550 5.1.1`.
    pub unknown_users: Vec<String>,
    /// RCPT TO these addresses gets this reply, word for word: (address,
    /// reply line such as `552 5.2.2 Mailbox full`).
    pub refusals: Vec<(String, String)>,
    /// A pause before every reply.
    pub delay: Duration,
    /// The first N messages: the connection is dropped in the middle of their data.
    pub drop_in_data: usize,
    /// Keep only the first message's bytes (benchmarks: memory stays flat).
    pub discard: bool,
}

/// A message a sink accepted, with what the receiving side saw.
#[derive(Debug, Clone)]
pub struct Received {
    pub peer: IpAddr,
    pub helo: String,
    pub mail_from: String,
    pub rcpt: String,
    /// The message (empty when the sink discards and this is not the first).
    pub data: Vec<u8>,
    pub size: usize,
    pub tls: bool,
}

#[derive(Default)]
struct SinkState {
    received: Mutex<Vec<Received>>,
    connections: AtomicUsize,
    messages_seen: AtomicUsize,
}

/// An SMTP server on one loopback address.
pub struct Sink {
    pub addr: SocketAddr,
    state: Arc<SinkState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sink {
    /// Listens on `ip:port` (port 0: any) and serves `script`.
    pub async fn start(ip: [u8; 4], port: u16, cert: Certificate, script: Script) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((ip, port))).await?;
        let addr = listener.local_addr()?;
        let acceptor = cert.acceptor()?;
        let state = Arc::new(SinkState::default());
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let (state, script, acceptor) = (shared.clone(), script.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, peer.ip(), &state, &script, &acceptor).await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many messages were accepted so far.
    pub fn count(&self) -> usize {
        self.state.received.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

/// What a conversation ended with.
enum Next {
    Close,
    StartTls,
}

struct Conversation {
    peer: IpAddr,
    helo: String,
    mail_from: Option<String>,
    rcpt: Vec<String>,
}

async fn serve(
    stream: TcpStream,
    peer: IpAddr,
    state: &SinkState,
    script: &Script,
    acceptor: &tokio_rustls::TlsAcceptor,
) -> Result<()> {
    let mut c = Conversation { peer, helo: String::new(), mail_from: None, rcpt: Vec::new() };
    let mut plain = BufReader::new(stream);
    reply(&mut plain, script, "220 lab ESMTP ready").await?;
    if let Next::StartTls = converse(&mut plain, &mut c, false, state, script).await? {
        let tls = acceptor.accept(plain.into_inner()).await?;
        let mut tls = BufReader::new(tls);
        c = Conversation { peer, helo: String::new(), mail_from: None, rcpt: Vec::new() };
        converse(&mut tls, &mut c, true, state, script).await?;
    }
    Ok(())
}

async fn reply<S: AsyncRead + AsyncWrite + Unpin>(io: &mut BufReader<S>, script: &Script, text: &str) -> Result<()> {
    if !script.delay.is_zero() {
        tokio::time::sleep(script.delay).await;
    }
    io.get_mut().write_all(format!("{text}\r\n").as_bytes()).await?;
    io.get_mut().flush().await?;
    Ok(())
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.find('>').unwrap_or(arg.len());
    arg[start..end].to_owned()
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    c: &mut Conversation,
    tls: bool,
    state: &SinkState,
    script: &Script,
) -> Result<Next> {
    let mut line = String::new();
    loop {
        line.clear();
        if io.read_line(&mut line).await? == 0 {
            return Ok(Next::Close);
        }
        let command = line.trim_end().to_owned();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let arg = command.get(verb.len()..).unwrap_or("").trim();
        match verb.as_str() {
            "EHLO" | "HELO" => {
                c.helo = arg.to_owned();
                let starttls = if !tls && !script.no_starttls { "250-STARTTLS\r\n" } else { "" };
                let text =
                    format!("250-lab greets {arg}\r\n250-PIPELINING\r\n250-8BITMIME\r\n{starttls}250 SIZE 52428800");
                reply(io, script, &text).await?;
            }
            "STARTTLS" if !tls && !script.no_starttls => {
                reply(io, script, "220 2.0.0 ready to start TLS").await?;
                return Ok(Next::StartTls);
            }
            "MAIL" if script.throttle => {
                let text = "421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. Try again later.";
                reply(io, script, text).await?;
                return Ok(Next::Close);
            }
            "MAIL" => {
                c.mail_from = Some(address(arg));
                c.rcpt.clear();
                reply(io, script, "250 2.1.0 sender ok").await?;
            }
            "RCPT" => {
                let to = address(arg);
                if let Some((_, refusal)) = script.refusals.iter().find(|(a, _)| a.eq_ignore_ascii_case(&to)) {
                    reply(io, script, refusal).await?;
                } else if script.unknown_users.iter().any(|u| u.eq_ignore_ascii_case(&to)) {
                    reply(io, script, "550 5.1.1 The email account that you tried to reach does not exist").await?;
                } else {
                    c.rcpt.push(to);
                    reply(io, script, "250 2.1.5 recipient ok").await?;
                }
            }
            "DATA" if c.rcpt.is_empty() || c.mail_from.is_none() => {
                reply(io, script, "554 5.5.1 no valid recipients").await?;
            }
            "DATA" => {
                reply(io, script, "354 go ahead").await?;
                let data = read_data(io).await?;
                let seen = state.messages_seen.fetch_add(1, Ordering::SeqCst);
                if seen < script.drop_in_data {
                    return Ok(Next::Close);
                }
                if seen < script.drop_in_data + script.defer_first {
                    reply(io, script, "451 4.3.0 temporary local problem, please come back").await?;
                } else {
                    let mail_from = c.mail_from.clone().unwrap_or_default();
                    {
                        let mut received = state.received.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                        for rcpt in &c.rcpt {
                            let keep = !script.discard || received.is_empty();
                            received.push(Received {
                                peer: c.peer,
                                helo: c.helo.clone(),
                                mail_from: mail_from.clone(),
                                rcpt: rcpt.clone(),
                                data: if keep { data.clone() } else { Vec::new() },
                                size: data.len(),
                                tls,
                            });
                        }
                    }
                    reply(io, script, "250 2.0.0 queued").await?;
                }
                c.mail_from = None;
                c.rcpt.clear();
            }
            "RSET" => {
                c.mail_from = None;
                c.rcpt.clear();
                reply(io, script, "250 2.0.0 reset").await?;
            }
            "NOOP" => reply(io, script, "250 2.0.0 ok").await?,
            "QUIT" => {
                reply(io, script, "221 2.0.0 bye").await?;
                return Ok(Next::Close);
            }
            _ => reply(io, script, "502 5.5.2 command not recognised").await?,
        }
    }
}

/// The message up to the lone dot, with dot-stuffing undone. Read in
/// chunks, not lines: a benchmark's sink must cost little.
async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(io: &mut BufReader<S>) -> Result<Vec<u8>> {
    let mut data: Vec<u8> = Vec::with_capacity(32 * 1024);
    let end = loop {
        let chunk = io.fill_buf().await?;
        if chunk.is_empty() {
            anyhow::bail!("connection closed in DATA");
        }
        let (len, from) = (chunk.len(), data.len().saturating_sub(4));
        data.extend_from_slice(chunk);
        let found = if data.starts_with(b".\r\n") {
            Some(3)
        } else {
            memchr::memmem::find(&data[from..], b"\r\n.\r\n").map(|i| from + i + 5)
        };
        match found {
            Some(end) => {
                // Bytes after the terminator belong to the next command.
                io.consume(len - (data.len() - end));
                break end;
            }
            None => io.consume(len),
        }
    };
    // Keep the last line's CRLF, drop the dot line.
    data.truncate(end.saturating_sub(3));
    if data.first() == Some(&b'.') {
        data.remove(0);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut copied = 0;
    for at in memchr::memmem::find_iter(&data, b"\n..") {
        out.extend_from_slice(&data[copied..=at]);
        copied = at + 2;
    }
    out.extend_from_slice(&data[copied..]);
    Ok(out)
}

/// What a receiving server concludes about one accepted message.
#[derive(Debug)]
pub struct Verdict {
    /// `d=` of each DKIM signature that passed.
    pub dkim_pass: Vec<String>,
    pub spf: String,
    /// DMARC passed through aligned DKIM, and through aligned SPF.
    pub dmarc_dkim: bool,
    pub dmarc_spf: bool,
    /// The PTR name of the connecting address, when it resolves back to it.
    pub ptr: Vec<String>,
}

/// Checks a received message through the lab DNS, as a receiver would.
pub async fn check(dns: SocketAddr, r: &Received) -> Result<Verdict> {
    use mail_auth::dmarc::verify::DmarcParameters;
    use mail_auth::spf::verify::SpfParameters;
    use mail_auth::{AuthenticatedMessage, DkimResult, DmarcResult, Parameters};

    let resolver = identity::dns::Dns::new(&[dns]).map_err(anyhow::Error::msg)?;
    let auth = resolver.authenticator();
    let message = AuthenticatedMessage::parse(&r.data).context("an RFC 5322 message")?;
    let dkim = auth.verify_dkim(Parameters::new(&message)).await;
    let dkim_pass = dkim
        .iter()
        .filter(|o| *o.result() == DkimResult::Pass)
        .filter_map(|o| o.signature().map(|s| s.d.clone()))
        .collect();
    let mail_from_domain = r.mail_from.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
    let spf = auth.verify_spf(Parameters::new(SpfParameters::verify(r.peer, &r.helo, "lab.test", &r.mail_from))).await;
    let dmarc =
        auth.verify_dmarc(Parameters::new(DmarcParameters::new(&message, &dkim, &mail_from_domain, &spf))).await;
    // iprev by hand: mail-auth's resolver answers "localhost" for every
    // loopback PTR (RFC 6761), so the PTR is asked of the lab server directly.
    let mut ptr = Vec::new();
    if let Some(name) = resolver.ptr(r.peer).await.map_err(anyhow::Error::msg)?
        && resolver.addresses(&name).await.map_err(anyhow::Error::msg)?.contains(&r.peer)
    {
        ptr.push(name);
    }
    Ok(Verdict {
        dkim_pass,
        spf: format!("{:?}", spf.result()).to_lowercase(),
        dmarc_dkim: *dmarc.dkim_result() == DmarcResult::Pass,
        dmarc_spf: *dmarc.spf_result() == DmarcResult::Pass,
        ptr,
    })
}

/// A plain SMTP client for talking to ninsho's inbound listener the way a
/// receiving MTA sends bounces back: STARTTLS against the lab CA, then raw
/// commands, each reply read whole.
pub struct SmtpClient {
    stream: Box<dyn ClientIo>,
    buf: Vec<u8>,
}

trait ClientIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ClientIo for T {}

impl SmtpClient {
    /// Connects and reads the greeting.
    pub async fn connect(addr: SocketAddr) -> Result<(Self, String)> {
        let stream = TcpStream::connect(addr).await?;
        let mut client = Self { stream: Box::new(stream), buf: Vec::new() };
        let greeting = client.reply().await?;
        Ok((client, greeting))
    }

    /// EHLO, STARTTLS (verifying `host`'s certificate against `ca`), EHLO.
    pub async fn secure(&mut self, ca: &TestCa, host: &str) -> Result<String> {
        self.command("EHLO mx.example.org").await?;
        let ready = self.command("STARTTLS").await?;
        anyhow::ensure!(ready.starts_with("220"), "STARTTLS: {ready}");
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls::pki_types::pem::PemObject::pem_file_iter(&ca.pem_file)? {
            roots.add(cert?)?;
        }
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let plain = std::mem::replace(&mut self.stream, Box::new(tokio::io::duplex(1).0));
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())?;
        self.stream = Box::new(connector.connect(name, plain).await?);
        self.command("EHLO mx.example.org").await
    }

    /// Sends raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).await?;
        Ok(self.stream.flush().await?)
    }

    /// Sends a command line and reads its reply.
    pub async fn command(&mut self, line: &str) -> Result<String> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// One whole reply (all its lines).
    pub async fn reply(&mut self) -> Result<String> {
        let mut lines = Vec::new();
        loop {
            while let Some(at) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=at).collect();
                let line = String::from_utf8_lossy(&line).trim_end().to_owned();
                let last = line.as_bytes().get(3) != Some(&b'-');
                lines.push(line);
                if last {
                    return Ok(lines.join("\n"));
                }
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk)).await??;
            anyhow::ensure!(n > 0, "the server closed the connection after {lines:?}");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// A whole transaction; returns the reply to the end of DATA (or the
    /// first refusal).
    pub async fn mail(&mut self, from: &str, to: &str, message: &[u8]) -> Result<String> {
        let r = self.command(&format!("MAIL FROM:<{from}>")).await?;
        if !r.starts_with("250") {
            return Ok(r);
        }
        let r = self.command(&format!("RCPT TO:<{to}>")).await?;
        if !r.starts_with("250") {
            self.command("RSET").await?;
            return Ok(r);
        }
        let r = self.command("DATA").await?;
        anyhow::ensure!(r.starts_with("354"), "DATA: {r}");
        let mut data = Vec::with_capacity(message.len() + 8);
        for line in message.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b".") {
                data.push(b'.');
            }
            data.extend_from_slice(line);
        }
        if !data.ends_with(b"\r\n") {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        self.send(&data).await?;
        self.reply().await
    }
}

/// The headers of a received message (up to the blank line).
fn headers_of(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

/// An RFC 3464 bounce of `original` for its recipient, as its receiving MTA
/// would send it back to the envelope sender.
pub fn dsn(original: &Received, action: &str, status: &str, diagnostic: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: {from}\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"lab-dsn\"\r\n\r\n\
         --lab-dsn\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n\
         --lab-dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n\
         Final-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {status}\r\n\
         Diagnostic-Code: smtp; {diagnostic}\r\n\r\n\
         --lab-dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n\r\n--lab-dsn--\r\n",
        from = original.mail_from,
        rcpt = original.rcpt,
        headers = headers_of(&original.data),
    )
    .into_bytes()
}

/// An RFC 5965 complaint about `original`, as a mailbox provider's feedback
/// loop sends it.
pub fn arf(original: &Received, to: &str) -> Vec<u8> {
    format!(
        "From: Feedback Loop <fbl@example.org>\r\nTo: {to}\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"lab-arf\"\r\n\r\n\
         --lab-arf\r\nContent-Type: text/plain\r\n\r\nA user marked this message as spam.\r\n\r\n\
         --lab-arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\
         User-Agent: LabFBL/1.0\r\nVersion: 1\r\nOriginal-Mail-From: <{from}>\r\n\
         Original-Rcpt-To: <{rcpt}>\r\nSource-IP: {peer}\r\n\r\n\
         --lab-arf\r\nContent-Type: text/rfc822-headers\r\n\r\nReturn-Path: <{from}>\r\n{headers}\r\n\r\n--lab-arf--\r\n",
        from = original.mail_from,
        rcpt = original.rcpt,
        peer = original.peer,
        headers = headers_of(&original.data),
    )
    .into_bytes()
}

/// A MaxMind DB (`.mmdb`, format 2.0, IPv4, 24-bit records) that knows one
/// /24 network, in MaxMind's layout: `{"country": {"iso_code": code}}`.
pub fn geoip_mmdb(network: [u8; 3], code: &str) -> Vec<u8> {
    fn string(s: &str) -> Vec<u8> {
        let mut out = vec![0x40 | u8::try_from(s.len()).unwrap_or(0).min(28)];
        out.extend_from_slice(s.as_bytes());
        out
    }
    fn uint(kind: u8, value: u32) -> Vec<u8> {
        let bytes: Vec<u8> = value.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        let mut out = vec![(kind << 5) | u8::try_from(bytes.len()).unwrap_or(0)];
        out.extend(bytes);
        out
    }
    const NODES: u32 = 24;
    // One node per bit of the /24: the matching side goes deeper, the
    // other side has no data; the last points at the record.
    let mut tree = Vec::new();
    let prefix = u32::from_be_bytes([network[0], network[1], network[2], 0]);
    for depth in 0..NODES {
        let bit = (prefix >> (31 - depth)) & 1;
        let next = if depth + 1 == NODES { NODES + 16 } else { depth + 1 };
        let (left, right) = if bit == 0 { (next, NODES) } else { (NODES, next) };
        tree.extend_from_slice(&left.to_be_bytes()[1..]);
        tree.extend_from_slice(&right.to_be_bytes()[1..]);
    }
    let mut out = tree;
    out.extend_from_slice(&[0; 16]);
    // The record: a map of one entry, a map of one entry.
    out.push(0xE1);
    out.extend(string("country"));
    out.push(0xE1);
    out.extend(string("iso_code"));
    out.extend(string(code));
    // The metadata.
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    out.push(0xE9);
    out.extend(string("binary_format_major_version"));
    out.extend(uint(5, 2));
    out.extend(string("binary_format_minor_version"));
    out.extend(uint(5, 0));
    out.extend(string("build_epoch"));
    out.extend_from_slice(&[0x04, 0x02]);
    out.extend_from_slice(&1_763_856_000u32.to_be_bytes());
    out.extend(string("database_type"));
    out.extend(string("ninsho-lab-country"));
    out.extend(string("description"));
    out.push(0xE0);
    out.extend(string("ip_version"));
    out.extend(uint(5, 4));
    out.extend(string("languages"));
    out.extend_from_slice(&[0x00, 0x04]);
    out.extend(string("node_count"));
    out.extend(uint(6, NODES));
    out.extend(string("record_size"));
    out.extend(uint(5, 24));
    out
}

/// The lab's usual source address (its PTR is the sender's HELO name).
pub const SOURCE: [u8; 4] = [127, 0, 0, 2];

/// How a lab transport differs from the usual one.
pub struct TransportOptions {
    pub shaping: delivery::shaping::Shaping,
    pub timeouts: delivery::smtp::Timeouts,
    /// Source addresses (with PTR records in the zone); [`SOURCE`] by default.
    pub ips: Vec<IpAddr>,
    pub mta_sts_port: u16,
    /// For warm-up counts.
    pub store: Option<store::Store>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            shaping: delivery::shaping::Shaping::builtin(),
            timeouts: delivery::smtp::Timeouts::default(),
            ips: vec![IpAddr::from(SOURCE)],
            mta_sts_port: 443,
            store: None,
        }
    }
}

/// The SMTP transport of the lab: MX hosts at `port`, trusting the test CA.
pub async fn transport(dns: &Dns, ca: &TestCa, port: u16, options: TransportOptions) -> Result<delivery::smtp::Smtp> {
    use delivery::smtp::{Smtp, SmtpConfig};
    let resolver = identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
    let sources = Smtp::sources(&resolver, &options.ips).await.map_err(anyhow::Error::msg)?;
    let config = SmtpConfig {
        port,
        sources,
        shaping: options.shaping,
        timeouts: options.timeouts,
        max_connections: 20,
        roots: SmtpConfig::roots(Some(&ca.pem_file)).map_err(anyhow::Error::msg)?,
        idle: Duration::from_secs(30),
        mta_sts_port: options.mta_sts_port,
        ledger: options.store.map(|s| Arc::new(s) as Arc<dyn delivery::smtp::Ledger>),
        metrics: delivery::metrics::DeliveryMetrics::default(),
    };
    Smtp::new(resolver, config).map_err(anyhow::Error::msg)
}
