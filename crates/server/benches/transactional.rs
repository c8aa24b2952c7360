//! Applications sending through ninsho, measured on this build: one
//! `ninsho serve --roles web,deliver,submission` node in production mode,
//! every message signed with RSA-2048 for its author domain and delivered
//! over STARTTLS to a lab sink on loopback.
//!
//! 1. Submission: Postfix's `smtp-source` (the peer's own load generator)
//!    submits N newsletter-sized messages on CONC sessions to the
//!    submission listener (a network credential, as the peer's
//!    `mynetworks`); the clock runs from the first message injected to the
//!    last one at the sink.
//! 2. The transactional API: calls of 100 recipients each (4 at a time),
//!    each rendered with its own data; the clock runs from the first call
//!    to the last message at the sink.
//!
//! `cargo bench -p server --bench transactional`; knobs `BENCH_N` (20000
//! submitted), `BENCH_TX_N` (50000 through the API), `CONC` (50), `MSG_KB`
//! (8). `bench/submission` runs it next to the Postfix + OpenDKIM peer.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tests::lab::{Script, check};
use tests::nodes::{FROM_DOMAIN, Node, Spec, World};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");

fn knob(name: &str, default: usize) -> Result<usize> {
    Ok(std::env::var(name).ok().map(|v| v.parse()).transpose()?.unwrap_or(default))
}

/// The peer's newsletter: a text part and an HTML table of stories, about
/// `kb` KB, from the lab's sending domain.
fn newsletter(kb: usize) -> String {
    let mut m = format!(
        "From: \"Example Weekly\" <news@{FROM_DOMAIN}>\r\nTo: <reader@example.org>\r\n\
         Subject: Example Weekly: this week in review\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"part\"\r\n\r\n--part\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    );
    for story in 1..=20 {
        m.push_str(&format!(
            "Story {story}: what happened, in two lines of plain text. More: https://{FROM_DOMAIN}/s/{story}\r\n"
        ));
    }
    m.push_str("\r\n--part\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!DOCTYPE html>\r\n<html><body><table width=\"100%\">\r\n");
    let mut story = 1;
    while m.len() < kb * 1024 - 200 {
        m.push_str(&format!(
            "<tr><td style=\"padding:12px;font-family:sans-serif;font-size:15px;color:#333\"><h2>Story {story}</h2>\
             <p>What happened this week, told in a paragraph that is about as long as a real one in a newsletter. \
             <a href=\"https://{FROM_DOMAIN}/s/{story}\">Read on</a></p></td></tr>\r\n"
        ));
        story += 1;
    }
    m.push_str("</table></body></html>\r\n--part--\r\n");
    m
}

/// Waits until the sink holds `n` messages; the time it took from `since`.
async fn until_received(w: &World, node: &mut Node, n: usize, since: Instant) -> Result<f64> {
    while w.sink.count() < n {
        if let Some(status) = node.0.try_wait()? {
            anyhow::bail!("the node exited: {status}");
        }
        anyhow::ensure!(since.elapsed() < Duration::from_secs(1800), "only {} of {n} arrived", w.sink.count());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(since.elapsed().as_secs_f64())
}

fn main() -> Result<()> {
    let n = knob("BENCH_N", 20_000)?;
    let tx_n = knob("BENCH_TX_N", 50_000)?;
    let conc = knob("CONC", 50)?;
    let kb = knob("MSG_KB", 8)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let source = ([127, 0, 0, 2], "mta1.lab.test");
        let sink = Script { discard: true, ..Script::default() };
        let campaign = tests::fixtures::fields("Nothing", Vec::new());
        let w = World::new(Spec { n: 0, sources: &[source], ed25519: false, sink, campaign }).await?;
        // Let the submission role take mail from loopback without a login
        // (smtp-source cannot log in), as the peer's Postfix does for
        // `mynetworks`; no limits.
        let (credential, _) = submission::new_credential(
            "bench",
            &[FROM_DOMAIN.to_owned()],
            &["127.0.0.0/8".parse()?],
            0,
            0,
            false,
            false,
            "benchmark",
        )?;
        w.store.create_credential(&credential).await?;
        let (cert, key) = w.ca.issue("submit.lab.test")?.write_pem(w.dir.path(), "submit")?;
        let submit_port = tests::free_port()?;
        let config = w.config("bench", source.0, 0, 500, 300)?;
        let mut text = std::fs::read_to_string(&config)?;
        text.push_str(&format!(
            "[submission]\nlisten = \"127.0.0.1:{submit_port}\"\ntls_cert = {cert:?}\ntls_key = {key:?}\n"
        ));
        std::fs::write(&config, text)?;
        let mut node = Node::start_roles(NINSHO, &config, "web,deliver,submission", &[])?;
        tests::wait_for_ok(&format!("{}/healthz", http_url(&config)?), Duration::from_secs(60)).await?;
        wait_for_port(submit_port).await?;

        // 1. Submission with smtp-source.
        let message = w.dir.path().join("message.eml");
        // smtp-source ends each line of the file with CRLF itself.
        std::fs::write(&message, newsletter(kb).replace("\r\n", "\n"))?;
        let started = Instant::now();
        let source_run = tokio::process::Command::new("smtp-source")
            .args(["-d", "-s", &conc.to_string(), "-m", &n.to_string(), "-M", "client.lab.test"])
            .args(["-f", &format!("news@{FROM_DOMAIN}"), "-t", "reader@example.org", "-F"])
            .arg(&message)
            .arg(format!("127.0.0.1:{submit_port}"))
            .output()
            .await
            .context("running smtp-source (apt-get install postfix)")?;
        anyhow::ensure!(source_run.status.success(), "smtp-source: {}", String::from_utf8_lossy(&source_run.stderr));
        let injected = started.elapsed().as_secs_f64();
        let elapsed = until_received(&w, &mut node, n, started).await?;
        let received = w.sink.received();
        let verdict = check(w.dns.addr, &received[0]).await?;
        anyhow::ensure!(verdict.dkim_pass.len() == 1 && verdict.dmarc_dkim, "signed for the author: {verdict:?}");
        let size = received[0].size as f64 / 1024.0;
        println!("submission: {n} msgs in {elapsed:.2} s = {:.1} msg/s", n as f64 / elapsed);
        println!("  smtp-source: {conc} sessions, {size:.1} KB messages (signed), all submitted after {injected:.2} s");

        // 2. The transactional API, 100 recipients a call, 4 calls at once.
        let before = w.sink.count();
        let api = api_token(&w).await?;
        let base = http_url(&config)?;
        let calls = tx_n.div_ceil(100);
        let started = Instant::now();
        let mut sent = 0;
        let mut pending = tokio::task::JoinSet::new();
        for call in 0..calls {
            if pending.len() >= 4 {
                sent += pending.join_next().await.context("a call")???;
            }
            let (base, api) = (base.clone(), api.clone());
            let count = 100.min(tx_n - call * 100);
            pending.spawn(async move { send_call(&base, &api, call, count).await });
        }
        while let Some(done) = pending.join_next().await {
            sent += done??;
        }
        let accepted = started.elapsed().as_secs_f64();
        let elapsed = until_received(&w, &mut node, before + sent, started).await?;
        println!("tx api: {sent} msgs in {elapsed:.2} s = {:.1} msg/s", sent as f64 / elapsed);
        println!("  {calls} calls of 100 recipients, 4 at a time, all accepted after {accepted:.2} s");
        drop(node);
        Ok(())
    })
}

/// One API call of `count` recipients, each with its own data: how many were queued.
async fn send_call(base: &str, token: &str, call: usize, count: usize) -> Result<usize> {
    let recipients: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            serde_json::json!({
                "email": format!("buyer{call}-{i}@example.org"),
                "name": format!("Buyer {i}"),
                "data": { "order": format!("A-{call}-{i}"), "total": 1200 + i },
            })
        })
        .collect();
    let body = serde_json::json!({
        "from_address": format!("orders@{FROM_DOMAIN}"),
        "subject": "Order {{ data.order }} received",
        "body": "# Thank you, {{ to.name }}\n\nWe have your order **{{ data.order }}** ({{ data.total }} JPY). \
                 It ships within two days; we will write again when it does.",
        "recipients": recipients,
    });
    let response = tests::http()
        .post(format!("{base}/api/v1/tx"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status();
    let answer: serde_json::Value = serde_json::from_str(&response.text().await?)?;
    anyhow::ensure!(status.as_u16() == 202, "{status}: {answer}");
    Ok(answer["messages"].as_array().map_or(0, |m| m.iter().filter(|m| m["status"] == "queued").count()))
}

/// An admin and an API token without limits.
async fn api_token(w: &World) -> Result<String> {
    let email = domain::EmailAddress::parse("bench@example.jp")?;
    let hash = web::password::hash_blocking("orbit cactus lantern 47 violet").map_err(|e| anyhow::anyhow!("{e}"))?;
    w.store.create_admin(&email, &hash).await?;
    let token = message::secret::new_api_token();
    let created = w.store.create_api_token(&email, "bench", &message::secret::api_token_hash(&token)).await?;
    w.store.set_tx_limits(created.id, 0, 0).await?;
    Ok(token)
}

/// The node's `http.public_url` from its configuration file.
fn http_url(config: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(config)?;
    let line = text.lines().find(|l| l.starts_with("public_url")).context("public_url")?;
    Ok(line.split('"').nth(1).context("public_url's value")?.to_owned())
}

async fn wait_for_port(port: u16) -> Result<()> {
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the submission listener did not start")
}
