//! The SMTP listener against hostile clients over real TCP on loopback:
//! what one sender can take is bounded (connections per network, slots
//! kept for newcomers, time before a first valid command, refusals per
//! session, bytes of messages in flight), long lines are refused however
//! they arrive, and a message that takes too long is told so.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smtpd::{Envelope, ListenerConfig, Mailbox, serve};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

/// Takes mail for `@ours.example` and keeps it.
#[derive(Clone, Default)]
struct Kept(Arc<Mutex<Vec<Envelope>>>);

impl Mailbox for Kept {
    type Identity = ();

    async fn accepts(&self, _: Option<&()>, address: &str) -> Option<String> {
        (!address.ends_with("@ours.example")).then(|| format!("550 5.1.1 <{address}>: no such address"))
    }

    type Error = std::convert::Infallible;

    async fn deliver(&self, envelope: Envelope) -> Result<String, Self::Error> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(envelope);
        Ok("250 2.0.0 accepted".into())
    }
}

struct Listener {
    addr: SocketAddr,
    kept: Kept,
    cancel: CancellationToken,
}

async fn listen(config: ListenerConfig) -> Listener {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let kept = Kept::default();
    let cancel = CancellationToken::new();
    tokio::spawn(serve(listener, config, kept.clone(), cancel.clone()));
    Listener { addr, kept, cancel }
}

/// A client connected from `from` (any 127/8 address), past the greeting.
struct Client {
    io: BufReader<TcpStream>,
    greeting: String,
}

impl Client {
    async fn connect(to: SocketAddr, from: &str) -> Client {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.bind(SocketAddr::new(from.parse::<IpAddr>().expect("address"), 0)).expect("bind");
        let stream = socket.connect(to).await.expect("connect");
        let mut client = Client { io: BufReader::new(stream), greeting: String::new() };
        client.greeting = client.reply().await;
        client
    }

    /// The next reply, all its lines.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(Duration::from_secs(20), self.io.read_line(&mut line)).await;
            match read {
                Ok(Ok(n)) if n > 0 => {}
                _ => return all,
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.io.get_mut().write_all(bytes).await.expect("write");
    }

    async fn say(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }
}

#[tokio::test]
async fn long_lines_are_refused_however_they_arrive() {
    let l = listen(ListenerConfig::default()).await;
    let mut c = Client::connect(l.addr, "127.0.0.1").await;
    // The whole line in one write, as a single read delivers it.
    let helo = format!("HELO {}\r\n", "a".repeat(8000));
    c.send(helo.as_bytes()).await;
    assert!(c.reply().await.starts_with("500 5.5.2 the line is longer than 2048 octets"));

    let mut c = Client::connect(l.addr, "127.0.0.1").await;
    c.send(&vec![b'x'; 1024 * 1024]).await;
    let reply = c.reply().await;
    assert!(reply.starts_with("500 5.5.2 the line is longer than 2048 octets"), "{reply}");
    assert!(!reply.contains("bare"), "{reply}");

    // In a message, a line of 100 KB ends the session and says why.
    let mut c = Client::connect(l.addr, "127.0.0.1").await;
    assert!(c.say("EHLO client.example").await.starts_with("250"));
    assert!(c.say("MAIL FROM:<>").await.starts_with("250"));
    assert!(c.say("RCPT TO:<b@ours.example>").await.starts_with("250"));
    assert!(c.say("DATA").await.starts_with("354"));
    c.send(&vec![b'y'; 100 * 1024]).await;
    let reply = c.reply().await;
    assert!(reply.starts_with("521 5.5.2 a line of the message is longer than 64 KB"), "{reply}");
    l.cancel.cancel();
}

#[tokio::test]
async fn a_slow_message_and_a_silent_client_are_told_before_closing() {
    let config = ListenerConfig {
        data_timeout: Duration::from_secs(1),
        first_command_timeout: Duration::from_secs(1),
        command_timeout: Duration::from_secs(10),
        ..ListenerConfig::default()
    };
    let l = listen(config).await;
    let mut c = Client::connect(l.addr, "127.0.0.1").await;
    assert!(c.say("EHLO client.example").await.starts_with("250"));
    assert!(c.say("MAIL FROM:<>").await.starts_with("250"));
    assert!(c.say("RCPT TO:<b@ours.example>").await.starts_with("250"));
    assert!(c.say("DATA").await.starts_with("354"));
    c.send(b"Subject: slow\r\n\r\nand then nothing").await;
    assert!(c.reply().await.starts_with("421 4.4.2 the message took too long"));

    // Silent from the start, or only NOOPing: one second; once it has said
    // EHLO, longer.
    let mut silent = Client::connect(l.addr, "127.0.0.1").await;
    let mut noop = Client::connect(l.addr, "127.0.0.1").await;
    assert!(noop.say("NOOP").await.starts_with("250"));
    let mut talker = Client::connect(l.addr, "127.0.0.1").await;
    assert!(talker.say("EHLO client.example").await.starts_with("250"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(silent.reply().await.starts_with("421 4.4.2"), "the silent one is closed");
    assert!(noop.reply().await.starts_with("421 4.4.2"), "a NOOP proves nothing");
    assert!(talker.say("NOOP").await.starts_with("250"), "the one that spoke goes on");
    l.cancel.cancel();
}

#[tokio::test]
async fn refusals_count_whatever_comes_between_them() {
    let l = listen(ListenerConfig::default()).await;
    let mut c = Client::connect(l.addr, "127.0.0.1").await;
    assert!(c.say("EHLO client.example").await.starts_with("250"));
    assert!(c.say("MAIL FROM:<>").await.starts_with("250"));
    let mut refused = 0;
    let closing = loop {
        let reply = c.say(&format!("RCPT TO:<nobody{refused}@elsewhere.example>")).await;
        assert!(reply.starts_with("550"), "{reply}");
        refused += 1;
        // A good command between refusals does not forgive them.
        let next = c.say("NOOP").await;
        if !next.starts_with("250") {
            break next;
        }
        assert!(refused < 100, "never closed");
    };
    assert_eq!(refused, 20, "{closing}");
    assert!(closing.starts_with("421 4.7.0 too many refused commands"), "{closing}");
    l.cancel.cancel();
}

#[tokio::test]
async fn a_network_cannot_take_every_slot() {
    let config = ListenerConfig { max_connections: 8, max_connections_per_network: 4, ..ListenerConfig::default() };
    let l = listen(config).await;
    let mut held = Vec::new();
    // Four from one /24, whatever their addresses; the fifth is refused.
    for i in 1..=4 {
        let c = Client::connect(l.addr, &format!("127.0.5.{i}")).await;
        assert!(c.greeting.starts_with("220"), "{}", c.greeting);
        held.push(c);
    }
    let refused = Client::connect(l.addr, "127.0.5.200").await;
    assert!(refused.greeting.starts_with("421 4.7.0 too many connections from your network"), "{}", refused.greeting);
    // Two more networks fill the shared six slots.
    for from in ["127.0.6.1", "127.0.7.1"] {
        let c = Client::connect(l.addr, from).await;
        assert!(c.greeting.starts_with("220"), "{}", c.greeting);
        held.push(c);
    }
    // The last quarter is for networks that hold none: a second one from
    // 127.0.6.0/24 is refused, newcomers get in.
    let busy = Client::connect(l.addr, "127.0.6.2").await;
    assert!(busy.greeting.starts_with("421 4.3.2"), "{}", busy.greeting);
    for from in ["127.0.8.1", "127.0.9.1"] {
        let c = Client::connect(l.addr, from).await;
        assert!(c.greeting.starts_with("220"), "{from}: {}", c.greeting);
        held.push(c);
    }
    let full = Client::connect(l.addr, "127.0.10.1").await;
    assert!(full.greeting.starts_with("421 4.3.2"), "{}", full.greeting);
    l.cancel.cancel();
}

/// Opens a transaction and sends `size` bytes of message, without the end.
async fn open_message(addr: SocketAddr, from: &str, size: usize) -> Client {
    let mut c = Client::connect(addr, from).await;
    assert!(c.say("EHLO client.example").await.starts_with("250"));
    assert!(c.say("MAIL FROM:<>").await.starts_with("250"));
    assert!(c.say("RCPT TO:<b@ours.example>").await.starts_with("250"));
    assert!(c.say("DATA").await.starts_with("354"));
    let line = format!("{}\r\n", "x".repeat(998));
    let mut sent = 0;
    while sent < size {
        c.send(line.as_bytes()).await;
        sent += line.len();
    }
    c
}

#[tokio::test]
async fn messages_in_flight_share_a_budget_and_small_ones_always_fit() {
    let config = ListenerConfig { max_data_in_flight: 256 * 1024, ..ListenerConfig::default() };
    let l = listen(config).await;
    // 300 KB (held in 320 KB): 128 KB of allowance and three 64 KB units
    // of the four.
    let mut first = open_message(l.addr, "127.0.11.1", 300 * 1024).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // 250 KB (held in 256 KB) needs two units, one is left: refused once
    // it is all read.
    let mut second = open_message(l.addr, "127.0.12.1", 250 * 1024).await;
    assert!(second.say(".").await.starts_with("452 4.3.1"));
    // A bounce fits in its allowance meanwhile.
    let mut bounce = open_message(l.addr, "127.0.13.1", 10 * 1024).await;
    assert!(bounce.say(".").await.starts_with("250"));
    assert!(first.say(".").await.starts_with("250"));
    // Its share is back: the other one goes through when tried again.
    let mut again = open_message(l.addr, "127.0.12.1", 250 * 1024).await;
    assert!(again.say(".").await.starts_with("250"));
    let sizes: Vec<usize> = l.kept.0.lock().expect("kept").iter().map(|e| e.data.len() / 1024).collect();
    assert_eq!(sizes.len(), 3, "{sizes:?}");
    l.cancel.cancel();
}

#[test]
fn networks_are_blocks_not_addresses() {
    use smtpd::network;
    let ip = |s: &str| s.parse::<IpAddr>().expect("address");
    assert_eq!(network(ip("203.0.113.77")), ip("203.0.113.0"));
    assert_eq!(network(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1::"));
    assert_eq!(network(ip("::ffff:203.0.113.9")), ip("203.0.113.0"));
}
