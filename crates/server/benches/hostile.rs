//! Hostile input against a real `ninsho serve --roles web,deliver,inbound`
//! (this build, sandbox mode, default limits): the memory each attack makes
//! the server take, read from its `/proc` status (VmHWM is the peak, VmRSS
//! what it holds now), and a soak in which the inbound listener is attacked
//! in a loop while a legitimate sender keeps sending bounces.
//!
//! `cargo bench -p server --bench hostile`; `SOAK_SECONDS` sets the soak's
//! length (180). It prints figures; it asserts only that no legitimate
//! bounce was lost and that each attack got its refusal.

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use domain::SubscriptionStatus;
use tests::fixtures::{dmarc_report, gzip};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");
const DOMAIN: &str = "shop.example";
const LEGIT_FROM: &str = "mailer-daemon@legit.example";

/// Kilobytes from `/proc/<pid>/status`: (VmHWM, VmRSS).
fn memory(pid: u32) -> Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = |key: &str| -> Result<u64> {
        let line = status.lines().find_map(|l| l.strip_prefix(key)).context("no such line")?;
        Ok(line.trim().trim_end_matches("kB").trim().parse()?)
    };
    Ok((kb("VmHWM:")?, kb("VmRSS:")?))
}

struct Server {
    child: Child,
    http: String,
    smtp: SocketAddr,
    config: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn report(&self, what: &str, before: (u64, u64)) -> Result<(u64, u64)> {
        let now = memory(self.child.id())?;
        println!(
            "{what:<58} peak {:>5.0} MB (+{:>4.0}), holds {:>5.0} MB",
            now.0 as f64 / 1024.0,
            now.0.saturating_sub(before.0) as f64 / 1024.0,
            now.1 as f64 / 1024.0
        );
        Ok(now)
    }
}

/// An SMTP client from `from` (any 127/8 address).
struct Client {
    io: BufReader<TcpStream>,
}

impl Client {
    async fn connect(to: SocketAddr, from: IpAddr) -> Result<(Client, String)> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        let mut client = Client { io: BufReader::new(socket.connect(to).await?) };
        let greeting = client.reply().await?;
        Ok((client, greeting))
    }

    async fn reply(&mut self) -> Result<String> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(120), self.io.read_line(&mut line)).await??;
            all.push_str(&line);
            if n == 0 || line.as_bytes().get(3) != Some(&b'-') {
                return Ok(all);
            }
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.io.get_mut().write_all(bytes).await?)
    }

    async fn say(&mut self, line: &str) -> Result<String> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// EHLO, MAIL, RCPT and DATA; the reply to DATA.
    async fn open(&mut self, mail_from: &str, rcpt: &str) -> Result<String> {
        self.say("EHLO client.example").await?;
        self.say(&format!("MAIL FROM:<{mail_from}>")).await?;
        self.say(&format!("RCPT TO:<{rcpt}>")).await?;
        self.say("DATA").await
    }

    /// A whole message (dot-stuffing is left to the caller); the final reply.
    async fn message(&mut self, mail_from: &str, rcpt: &str, data: &[u8]) -> Result<String> {
        let go = self.open(mail_from, rcpt).await?;
        if !go.starts_with("354") {
            return Ok(go);
        }
        self.send(data).await?;
        self.say("\r\n.").await
    }
}

/// 127.<a>.<b>.1: a network of its own for each `n`.
fn network(n: usize) -> IpAddr {
    IpAddr::from([127, 10 + (n / 250) as u8, (n % 250) as u8, 1])
}

/// A message with `parts` attached (base64), as reporters send them.
fn with_attachments(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use base64::Engine;
    let mut mail = String::from(
        "From: noreply@reporter.example\r\nTo: reports\r\nSubject: Report\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
    );
    for (name, bytes) in parts {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        mail.push_str(&format!(
            "--b\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n"
        ));
        for line in encoded.as_bytes().chunks(76) {
            mail.push_str(std::str::from_utf8(line).unwrap_or_default());
            mail.push_str("\r\n");
        }
    }
    mail.push_str("--b--");
    mail.into_bytes()
}

/// A DSN for `rcpt`, as a receiving MTA sends it.
fn bounce(n: usize) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@mx.legit.example\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nSorry ({n}).\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.legit.example\r\n\r\n\
         Final-Recipient: rfc822; reader{n}@legit.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--B--"
    )
    .into_bytes()
}

struct Setup {
    server: Server,
    store: store::Store,
    token: String,
    session: String,
    verp: String,
    reports: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Result<Setup> {
    let (store, url) = tests::fresh_database().await?;
    let dir = tempfile::tempdir()?;
    let key = message::SecretKey::load_or_create(&dir.path().join("secret.key"))?;
    identity::add_domain(&store, &key, DOMAIN, false).await?;
    let email = domain::EmailAddress::parse("owner@shop.example")?;
    let hash = web::password::hash_blocking("orbit cactus lantern 47 violet").map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin = store.create_admin_with_role(&email, &hash, "owner").await?;
    let token = message::secret::new_api_token();
    store.create_api_token(&email, "bench", &message::secret::api_token_hash(&token)).await?;
    let session = message::secret::random_token();
    store
        .create_session(
            &message::secret::token_hash(&session),
            admin,
            chrono::Duration::hours(2),
            "127.0.0.1".parse()?,
            None,
        )
        .await?;
    let all = tests::fixtures::list(&store, "All").await?;
    tests::fixtures::subscriber(
        &store,
        "r@example.org",
        "R",
        serde_json::json!({}),
        &[(all, SubscriptionStatus::Confirmed)],
    )
    .await?;
    let (http_port, smtp_port) = (tests::free_port()?, tests::free_port()?);
    let config = dir.path().join("ninsho.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {dir:?}\n[http]\nlisten = \"127.0.0.1:{http_port}\"\npublic_url = \"http://127.0.0.1:{http_port}\"\n\
             [database]\nurl = {url:?}\n[delivery]\nmode = \"sandbox\"\nsystem_from = \"News <news@{DOMAIN}>\"\n\
             [inbound]\nlisten = \"127.0.0.1:{smtp_port}\"\n[log]\nfilter = \"error\"\n",
            dir = dir.path()
        ),
    )?;
    let child = Command::new(NINSHO)
        .args(["serve", "--roles", "web,deliver,inbound", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let server = Server {
        child,
        http: format!("http://127.0.0.1:{http_port}"),
        smtp: SocketAddr::from(([127, 0, 0, 1], smtp_port)),
        config,
    };
    tests::wait_for_ok(&format!("{}/healthz", server.http), Duration::from_secs(30)).await?;
    let verp = message::verp::bounce_address(&key, message::verp::Bounced::Delivery(1), "bounce", DOMAIN);
    let reports = format!("reports@bounce.{DOMAIN}");
    Ok(Setup { server, store, token, session, verp, reports, _dir: dir })
}

/// The template that made earlier versions allocate gigabytes: saved as an
/// older version could have, then previewed, scheduled and sent.
async fn template_bomb(s: &Setup, before: (u64, u64)) -> Result<(u64, u64)> {
    let http = tests::http();
    let bomb = "{% set a = 'x' * 100000000 %}{% set b = a ~ a ~ a ~ a %}{{ b|length }}";
    let draft = serde_json::json!({"name": "Bomb", "from_address": format!("news@{DOMAIN}"), "subject": "Hi",
                                   "body": bomb, "list_ids": [1]});
    let refused = http
        .post(format!("{}/api/v1/campaigns", s.server.http))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .body(draft.to_string())
        .send()
        .await?;
    ensure!(refused.status() == 422, "saving the bomb is refused: {}", refused.status());
    let mut fields = tests::fixtures::fields("Bomb", vec![1]);
    fields.from_address = format!("news@{DOMAIN}");
    fields.body = bomb.into();
    let id = s.store.save_campaign(None, &fields).await?.id;
    let preview = http
        .get(format!("{}/campaigns/{id}/preview.html", s.server.http))
        .header("cookie", format!("ninsho_session={}", s.session))
        .send()
        .await?
        .text()
        .await?;
    ensure!(preview.contains("too much work"), "the preview says why: {preview}");
    let after = s.server.report("template bomb: refused on save, previewed", before)?;
    let scheduled = http
        .post(format!("{}/api/v1/campaigns/{id}/schedule", s.server.http))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await?;
    ensure!(scheduled.status() == 422, "scheduling the bomb is refused: {}", scheduled.status());
    let after = s.server.report("template bomb: scheduling refused", after)?;
    s.store.schedule_campaign(id, chrono::Utc::now(), None).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    s.server.report("template bomb: sent anyway (forced in the database)", after)
}

/// One CSV line of 200 MB, imported and its errors viewed twice.
async fn huge_csv_line(s: &Setup, before: (u64, u64)) -> Result<(u64, u64)> {
    let http = tests::http();
    let mut csv = b"email,name\n".to_vec();
    csv.resize(csv.len() + 200 * 1024 * 1024, b'x');
    csv.extend_from_slice(b"\nok@example.org,Ok\n");
    let started: serde_json::Value = serde_json::from_str(
        &http
            .post(format!("{}/api/v1/imports?mode=add&lists=1", s.server.http))
            .bearer_auth(&s.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await?
            .text()
            .await?,
    )?;
    let id = started["id"].as_i64().context("an import id")?;
    let mut import = serde_json::Value::Null;
    for _ in 0..600 {
        import = serde_json::from_str(
            &http
                .get(format!("{}/api/v1/imports/{id}", s.server.http))
                .bearer_auth(&s.token)
                .send()
                .await?
                .text()
                .await?,
        )?;
        if import["state"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ensure!(import["rows_done"] == 1 && import["rows_failed"] == 1, "one row in, one refused: {import}");
    let mut largest = 0;
    for _ in 0..2 {
        let errors =
            http.get(format!("{}/api/v1/imports/{id}/errors", s.server.http)).bearer_auth(&s.token).send().await?;
        largest = largest.max(errors.bytes().await?.len());
    }
    println!("  the import's error report: {largest} bytes");
    s.server.report("CSV: one 200 MB line imported, errors viewed twice", before)
}

/// The 7,000 × 366 report by SMTP.
async fn report_by_smtp(s: &Setup, before: (u64, u64)) -> Result<(u64, u64)> {
    let gz = gzip(&dmarc_report("smtp-7000", 7000, 365))?;
    let mail = with_attachments(&[("flood.xml.gz", gz.clone())]);
    let (mut client, _) = Client::connect(s.server.smtp, network(1)).await?;
    let reply = client.message("noreply@reporter.example", &s.reports, &mail).await?;
    ensure!(reply.starts_with("250"), "the report is taken: {reply}");
    println!("  a {} KB gzip in a {} KB message", gz.len() / 1024, mail.len() / 1024);
    s.server.report("DMARC: 7,000 records × 366 days by SMTP", before)
}

/// The 1,000 × 366 report by `ninsho reports import`: that process's peak,
/// read from its `/proc` status every 5 ms while it runs.
fn report_by_cli(s: &Setup) -> Result<()> {
    let path = s._dir.path().join("cli-1000.xml");
    std::fs::write(&path, dmarc_report("cli-1000", 1000, 365))?;
    let mut child = Command::new(NINSHO)
        .args(["reports", "import"])
        .arg(&path)
        .arg("--config")
        .arg(&s.server.config)
        .stdout(Stdio::null())
        .spawn()?;
    let mut peak = 0;
    let status = loop {
        if let Ok((hwm, _)) = memory(child.id()) {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    ensure!(status.success(), "the import worked: {status}");
    println!(
        "{:<58} peak {:>5.0} MB (the whole process)",
        "DMARC: 1,000 records × 366 days by `reports import`",
        peak as f64 / 1024.0
    );
    Ok(())
}

/// 190 sessions from 19 networks, each parked in DATA after 10 MB, while
/// a legitimate bounce is sent.
async fn parked_sessions(s: &Setup, before: (u64, u64)) -> Result<(u64, u64)> {
    let mut parked = Vec::new();
    let (mut refused, mut cut) = (0, 0);
    let chunk = format!("{}\r\n", "x".repeat(998)).repeat(1024);
    for i in 0..190 {
        let (mut c, greeting) = Client::connect(s.server.smtp, network(100 + i / 10)).await?;
        if !greeting.starts_with("220") {
            refused += 1;
            continue;
        }
        if !c.open("", &s.verp).await?.starts_with("354") {
            refused += 1;
            continue;
        }
        let mut ok = true;
        for _ in 0..10 {
            if c.send(chunk.as_bytes()).await.is_err() {
                ok = false;
                break;
            }
        }
        if ok { parked.push(c) } else { cut += 1 }
    }
    let (mut legit, greeting) = Client::connect(s.server.smtp, network(50)).await?;
    ensure!(greeting.starts_with("220"), "a new network is let in: {greeting}");
    let reply = legit.message(LEGIT_FROM, &s.verp, &bounce(0)).await?;
    ensure!(reply.starts_with("250"), "a legitimate bounce is taken meanwhile: {reply}");
    println!("  parked {}, refused at the door {refused}, cut off {cut}", parked.len());
    let after = s.server.report("SMTP: 190 sessions parked mid-DATA with 10 MB each", before)?;
    let mut answers = Vec::new();
    for mut c in parked {
        answers.push(c.say("\r\n.").await.unwrap_or_default());
    }
    let tempfail = answers.iter().filter(|a| a.starts_with("452")).count();
    println!("  when they end their messages: {tempfail} answered 452 (try later), the rest accepted or closed");
    Ok(after)
}

/// Attacks the listener in a loop for `seconds` while a legitimate sender
/// sends a bounce every 100 ms; returns how many were accepted.
async fn soak(s: &Setup, seconds: u64) -> Result<usize> {
    let stop = Arc::new(AtomicBool::new(false));
    let attacks = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for kind in 0..8usize {
        let (stop, attacks, smtp, verp, reports) =
            (stop.clone(), attacks.clone(), s.server.smtp, s.verp.clone(), s.reports.clone());
        let bomb = with_attachments(&[
            ("a.xml.gz", gzip(&dmarc_report("soak-a", 200, 1))?),
            ("bomb.xml.gz", gzip(&vec![b'<'; 30 * 1024 * 1024])?),
        ]);
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let from = network(300 + kind * 20 + n % 20);
                let Ok((mut c, _)) = Client::connect(smtp, from).await else { continue };
                let _ = match kind {
                    // A long line in one write, and a megabyte without an end.
                    0 => c.send(format!("HELO {}\r\n", "a".repeat(8000)).as_bytes()).await,
                    1 => c.send(&vec![b'x'; 1024 * 1024]).await,
                    // Smuggling: a bare LF before the dot.
                    2 => c
                        .open("", &verp)
                        .await
                        .map(|_| ())
                        .and(c.send(b"Subject: x\r\n\r\nhi\n.\r\nMAIL FROM:<>\r\n").await),
                    // A flood of refused recipients.
                    3 => {
                        let _ = c.say("EHLO x").await;
                        let _ = c.say("MAIL FROM:<>").await;
                        for i in 0..100 {
                            if c.say(&format!("RCPT TO:<nobody{i}@{DOMAIN}>")).await.is_err() {
                                break;
                            }
                        }
                        Ok(())
                    }
                    // A report message with a bomb beside a good report.
                    4 => c.message("", &reports, &bomb).await.map(|_| ()),
                    // 5 MB of DATA, then gone.
                    5 => {
                        let _ = c.open("", &verp).await;
                        let chunk = format!("{}\r\n", "y".repeat(998)).repeat(1024);
                        for _ in 0..5 {
                            let _ = c.send(chunk.as_bytes()).await;
                        }
                        Ok(())
                    }
                    // Slowloris: a byte now and then.
                    6 => {
                        for b in b"EHLO slow" {
                            let _ = c.send(&[*b]).await;
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                        Ok(())
                    }
                    // Garbage and NULs.
                    _ => c.send(b"\x00\xff\x00\r\nRCPT\x00TO:<a@b>\r\n\x16\x03\x01\x00\xa5").await,
                };
                attacks.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let accepted = Arc::new(AtomicUsize::new(0));
    let legit = {
        let (stop, accepted, smtp, verp) = (stop.clone(), accepted.clone(), s.server.smtp, s.verp.clone());
        tokio::spawn(async move {
            let mut n = 0;
            let mut turned_away = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                match Client::connect(smtp, network(60)).await {
                    Ok((mut c, greeting)) if greeting.starts_with("220") => {
                        match c.message(LEGIT_FROM, &verp, &bounce(n)).await {
                            Ok(r) if r.starts_with("250") => {
                                accepted.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => turned_away += 1,
                        }
                        let _ = c.say("QUIT").await;
                    }
                    _ => turned_away += 1,
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            turned_away
        })
    };
    let pid = s.server.child.id();
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(10)).await;
        samples.push(memory(pid)?.1 / 1024);
    }
    stop.store(true, Ordering::Relaxed);
    let turned_away = legit.await?;
    for task in tasks {
        task.abort();
    }
    let accepted = accepted.load(Ordering::Relaxed);
    println!(
        "soak: {seconds} s, {} attacks, {accepted} legitimate bounces accepted, {turned_away} turned away",
        attacks.load(Ordering::Relaxed)
    );
    println!("  memory held every 10 s (MB): {samples:?}");
    Ok(accepted)
}

fn main() -> Result<()> {
    let seconds: u64 = std::env::var("SOAK_SECONDS").ok().map(|v| v.parse()).transpose()?.unwrap_or(180);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let s = setup().await?;
        let http = tests::http();
        for _ in 0..20 {
            http.get(format!("{}/healthz", s.server.http)).send().await?;
        }
        let (mut c, _) = Client::connect(s.server.smtp, network(2)).await?;
        ensure!(c.message(LEGIT_FROM, &s.verp, &bounce(0)).await?.starts_with("250"), "a first bounce");
        let start = s.server.report("started, one bounce taken", (0, 0))?;
        let at = template_bomb(&s, start).await?;
        let at = huge_csv_line(&s, at).await?;
        let at = report_by_smtp(&s, at).await?;
        report_by_cli(&s)?;
        parked_sessions(&s, at).await?;
        let before_soak: i64 = legit_recorded(&s).await?;
        let accepted = soak(&s, seconds).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let recorded = legit_recorded(&s).await? - before_soak;
        println!("  legitimate bounces recorded: {recorded} of {accepted} accepted");
        ensure!(recorded == i64::try_from(accepted)?, "every accepted bounce is recorded");
        s.server.report("after the soak", start)?;
        Ok(())
    })
}

/// Bounces recorded (only the legitimate sender sends readable ones).
async fn legit_recorded(s: &Setup) -> Result<i64> {
    let rows = s.store.inbound_messages(100_000).await?;
    Ok(i64::try_from(rows.iter().filter(|(_, _, kind, _)| kind == "bounce").count())?)
}
