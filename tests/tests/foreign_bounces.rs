//! Bounces from an MTA outside the samples, made in the lab: Haraka (Node.js,
//! pinned by `scripts/lib.sh`, routed by `tests/peers/haraka/lab.js`)
//! relays one message per recipient to a lab sink that refuses each with a
//! receiver's real words, and sends its bounces back to the sink. ninsho
//! and sisimai read every bounce; the four figures of the sample comparison
//! are printed for this corpus too (`-- --nocapture`), and each reading of
//! ninsho is checked against what the receiver's words mean.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use inbound::feedback::{self, Feedback};
use replies::{Effect, Reason};
use tests::lab::{Script, Sink, SmtpClient, TestCa};

/// A receiver's refusal at RCPT: the recipient, the reply word for word,
/// the reason it means, and where sisimai reads it otherwise on purpose.
struct Refusal {
    local: &'static str,
    reply: &'static str,
    reason: Reason,
    sisimai_otherwise: Option<&'static str>,
}

/// sisimai calls a user-unknown refusal "filtered" when the report does not
/// say it came at RCPT (Haraka's does not); the receiver's words say the
/// mailbox is gone, and ninsho takes them (as in `disagreements.tsv`).
const FILTERED: &str = "filtered";

const REFUSALS: &[Refusal] = &[
    Refusal {
        local: "gone",
        reply: "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        reason: Reason::UserUnknown,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "full",
        reply: "552 5.2.2 <full@example.org>: Mailbox full",
        reason: Reason::MailboxFull,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "quota",
        reply: "552 5.2.2 The email account that you tried to reach is over quota.",
        reason: Reason::MailboxFull,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "disabled",
        reply: "550 5.2.1 The email account that you tried to reach is disabled.",
        reason: Reason::Suspend,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "big",
        reply: "552 5.3.4 Message size exceeds fixed limit",
        reason: Reason::MesgTooBig,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "moved",
        reply: "551 5.1.6 User has moved; please try <new@example.net>",
        reason: Reason::HasMoved,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "nodomain",
        reply: "550 5.1.2 <nodomain@example.org>: Recipient address rejected: Domain not found",
        reason: Reason::HostUnknown,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "spamhaus",
        reply: "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
        reason: Reason::Blocked,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "relay",
        reply: "554 5.7.1 <relay@example.org>: Relay access denied",
        reason: Reason::PolicyViolation,
        sisimai_otherwise: None,
    },
    Refusal {
        local: "dbeb",
        reply: "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
        reason: Reason::UserUnknown,
        sisimai_otherwise: Some(FILTERED),
    },
    Refusal {
        local: "o365",
        reply: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        reason: Reason::UserUnknown,
        sisimai_otherwise: Some(FILTERED),
    },
    Refusal {
        local: "nosuch",
        reply: "550 No such user here",
        reason: Reason::UserUnknown,
        sisimai_otherwise: Some(FILTERED),
    },
];

const SENDER: &str = "news@bounces.lab.test";

/// Haraka running on a config of its own; stopped when dropped.
struct Haraka {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Haraka {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Haraka {
    /// Haraka in `dir`, listening on a free loopback port, routing every
    /// domain to `mx`.
    async fn start(dir: &std::path::Path, mx: SocketAddr) -> Result<Self> {
        let binary = std::env::var("NINSHO_HARAKA")
            .context("NINSHO_HARAKA is not set: run the tests with scripts/test, which installs Haraka")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let config = dir.join("config");
        std::fs::create_dir_all(dir.join("plugins"))?;
        std::fs::create_dir_all(&config)?;
        // The package's default config (bounce templates and all), then ours.
        let package = PathBuf::from(&binary).canonicalize()?;
        let defaults = package.parent().and_then(|bin| bin.parent()).context("Haraka's package")?.join("config");
        for entry in std::fs::read_dir(defaults)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), config.join(entry.file_name()))?;
            }
        }
        let peers = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/haraka");
        std::fs::copy(peers.join("lab.js"), dir.join("plugins/lab.js"))?;
        std::fs::write(config.join("plugins"), "lab\n")?;
        std::fs::write(config.join("smtp.ini"), format!("listen=127.0.0.1:{port}\nnodes=0\n"))?;
        std::fs::write(config.join("me"), "haraka.lab.test\n")?;
        let log = std::fs::File::create(dir.join("haraka.log"))?;
        let child = Command::new(&binary)
            .arg("-c")
            .arg(dir)
            .current_dir(dir)
            .env("LAB_MX_HOST", mx.ip().to_string())
            .env("LAB_MX_PORT", mx.port().to_string())
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .context("Haraka starts")?;
        let haraka = Self { child, addr: SocketAddr::from(([127, 0, 0, 1], port)) };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(haraka.addr).await.is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("Haraka did not listen: {}", std::fs::read_to_string(dir.join("haraka.log"))?);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(haraka)
    }
}

/// What sisimai reads for one recipient of a file.
struct PeerReading {
    file: String,
    recipient: String,
    status: String,
    reason: String,
    hard: bool,
}

/// What sisimai reads in each file.
fn sisimai(files: &[PathBuf]) -> Result<Vec<PeerReading>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/sisimai-read.pl");
    let out = Command::new("perl").arg(script).args(files).output()?;
    anyhow::ensure!(out.status.success(), "sisimai: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f.len() == 6).then(|| PeerReading {
                file: f[0].into(),
                recipient: f[1].into(),
                status: f[2].into(),
                reason: f[4].into(),
                hard: f[5] == "1",
            })
        })
        .collect())
}

#[tokio::test]
async fn haraka_bounces_are_read_as_their_receivers_words_say_and_as_sisimai_reads_them() -> Result<()> {
    let ca = TestCa::new()?;
    let refusals =
        REFUSALS.iter().map(|r| (format!("{}@example.org", r.local), r.reply.to_owned())).collect::<Vec<_>>();
    // Plain SMTP: what is measured is the bounce, not the TLS of the way.
    let script = Script { refusals, no_starttls: true, ..Script::default() };
    let sink = Sink::start([127, 0, 0, 16], 0, ca.issue("mx.example.org")?, script).await?;
    let dir = tempfile::tempdir()?;
    let haraka = Haraka::start(dir.path(), sink.addr).await?;

    let (mut client, _) = SmtpClient::connect(haraka.addr).await?;
    client.command("EHLO client.lab.test").await?;
    for r in REFUSALS {
        let to = format!("{}@example.org", r.local);
        let message = format!(
            "From: {SENDER}\r\nTo: {to}\r\nSubject: Issue 12\r\nMessage-ID: <{}.12@lab.test>\r\n\r\nHello.\r\n",
            r.local
        );
        let said = client.mail(SENDER, &to, message.as_bytes()).await?;
        anyhow::ensure!(said.starts_with("250"), "Haraka takes the message for {to}: {said}");
    }

    // Haraka tries each, is refused, and sends a bounce per message back.
    let started = Instant::now();
    let bounces = loop {
        let bounces: Vec<_> = sink.received().into_iter().filter(|r| r.rcpt == SENDER).collect();
        if bounces.len() >= REFUSALS.len() {
            break bounces;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "{} of {} bounces after 60 s: {}",
                bounces.len(),
                REFUSALS.len(),
                std::fs::read_to_string(dir.path().join("haraka.log"))?
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(haraka);
    let mut files = Vec::new();
    for (i, bounce) in bounces.iter().enumerate() {
        let file = dir.path().join(format!("bounce-{i:02}.eml"));
        std::fs::write(&file, &bounce.data)?;
        files.push(file);
    }
    let peer = sisimai(&files)?;

    let (mut read, mut hard_soft, mut reason, mut reason_as_is, mut undefined) = (0, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    for (file, bounce) in files.iter().zip(&bounces) {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Feedback::Bounce(b) = feedback::parse(&bounce.data) else {
            wrong.push(format!("{name}: not read as a bounce"));
            continue;
        };
        let Some(f) = b.failed.first() else {
            wrong.push(format!("{name}: no recipient"));
            continue;
        };
        let Some(r) = REFUSALS.iter().find(|r| f.recipient == format!("{}@example.org", r.local)) else {
            wrong.push(format!("{name}: names {}", f.recipient));
            continue;
        };
        // What the receiver's words mean, whatever the peer says.
        if f.reason != r.reason {
            wrong.push(format!("{}: {} for {:?}", f.recipient, f.reason.as_str(), r.reply));
        }
        let given = replies::status_in(r.reply).filter(|s| !s.ends_with(".0.0")).unwrap_or_default();
        if f.status != given {
            wrong.push(format!("{}: status {:?} for {:?}", f.recipient, f.status, r.reply));
        }
        let Some(PeerReading { status, reason: theirs, hard, .. }) =
            peer.iter().find(|p| p.file == name && p.recipient == f.recipient)
        else {
            wrong.push(format!("{name}: sisimai reads no {}", f.recipient));
            continue;
        };
        let pseudo = status.rsplit('.').next().and_then(|d| d.parse::<u16>().ok()).is_some_and(|d| d >= 900);
        read += usize::from(*status == f.status || (pseudo && f.status.is_empty()));
        let otherwise = r.sisimai_otherwise.is_some_and(|o| o == theirs);
        let same = replies::from_sisimai(theirs) == Some(f.reason);
        reason_as_is += usize::from(same);
        reason += usize::from(same || otherwise);
        hard_soft += usize::from((f.reason.effect() == Effect::Hard) == *hard || otherwise);
        undefined += usize::from(f.reason == Reason::Undefined);
        if !same && !otherwise {
            wrong.push(format!("{}: ninsho {}, sisimai {theirs}", f.recipient, f.reason.as_str()));
        }
    }
    let n = REFUSALS.len();
    let percent = |k: usize| k as f64 * 100.0 / n as f64;
    println!(
        "Haraka: {n} bounces: read {:.1} %, hard/soft {:.1} %, reason {:.1} % ({:.1} % before the \
         disagreements on purpose), undefined {:.1} %",
        percent(read),
        percent(hard_soft),
        percent(reason),
        percent(reason_as_is),
        percent(undefined),
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(read, n, "every recipient and status read as sisimai reads them");
    Ok(())
}
