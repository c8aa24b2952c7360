//! Delivery nodes as operators run them: `ninsho serve --roles deliver` in
//! production mode against the lab (its DNS server and a STARTTLS sink),
//! killed with -9 in the middle of a campaign and restarted, and two nodes
//! with their own source addresses sharing one queue; a node killed while
//! it sends webhooks to a receiver that is failing loses none.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use tests::fixtures::fields;
use tests::lab::{Script, check};
use tests::nodes::{Node, Spec, World};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");

async fn world(n: usize, sources: &[([u8; 4], &str)]) -> Result<World> {
    let campaign = fields("Nodes", Vec::new());
    World::new(Spec { n, sources, ed25519: true, sink: Script::default(), campaign }).await
}

/// Waits (up to `polls` times 20 ms) until `done`, then kills the node
/// without warning; a node that exits by itself first is a failure.
async fn kill_9_once(mut node: Node, polls: usize, done: impl Fn() -> bool) -> Result<()> {
    for _ in 0..polls {
        if done() {
            break;
        }
        if let Some(status) = node.0.try_wait()? {
            bail!("the node exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.0.kill()?;
    node.0.wait()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_campaign_loses_no_recipient_and_resends_only_what_was_in_flight() -> Result<()> {
    let source = ([127, 0, 0, 2], "mta1.lab.test");
    let w = world(3000, &[source]).await?;
    let (workers, batch) = (2, 100);
    let config = w.config("node", source.0, workers, 100, 3)?;
    // Let it get well into the campaign, then kill it without warning.
    kill_9_once(Node::start(NINSHO, &config)?, 1200, || w.sink.count() >= 650).await?;
    let at_kill = w.sink.count();
    assert!(at_kill >= 650 && at_kill < w.n, "killed in the middle: {at_kill} of {} sent", w.n);
    let unfinished = w.statuses().await?;
    assert!(unfinished.get("delivered").copied().unwrap_or(0) < w.n, "{unfinished:?}");

    // Restarted, it finishes the campaign; the leases of the dead process expire.
    let mut restarted = [Node::start(NINSHO, &config)?];
    w.wait_delivered(&mut restarted, Duration::from_secs(120)).await?;
    let received = w.sink.received();
    let recipients: HashSet<&str> = received.iter().map(|r| r.rcpt.as_str()).collect();
    assert_eq!(recipients.len(), w.n, "every recipient got the message");
    let duplicates = received.len() - w.n;
    println!("kill -9 after {at_kill} accepted: {duplicates} sent twice (bound: {} in flight)", workers * batch);
    assert!(duplicates <= workers * batch, "{duplicates} duplicates: more than the messages in flight");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_queue_without_sending_anything_twice() -> Result<()> {
    let one = ([127, 0, 0, 2], "mta1.lab.test");
    let two = ([127, 0, 0, 3], "mta2.lab.test");
    let w = world(2000, &[one, two]).await?;
    // The first node serves its delivery metrics (it has no web role).
    let metrics = format!("127.0.0.1:{}", tests::free_port()?);
    let env = [("NINSHO__DELIVERY__METRICS_LISTEN", metrics.clone())];
    let mut nodes = [
        Node::start_with(NINSHO, &w.config("one", one.0, 1, 100, 300)?, &env)?,
        Node::start(NINSHO, &w.config("two", two.0, 1, 100, 300)?)?,
    ];
    w.wait_delivered(&mut nodes, Duration::from_secs(120)).await?;
    let text = tests::http().get(format!("http://{metrics}/metrics")).send().await?.text().await?;
    let received = w.sink.received();
    let recipients: HashSet<&str> = received.iter().map(|r| r.rcpt.as_str()).collect();
    assert_eq!((received.len(), recipients.len()), (w.n, w.n), "each recipient exactly once");
    for (ip, helo) in [one, two] {
        let from_node: Vec<_> = received.iter().filter(|r| r.peer == IpAddr::from(ip)).collect();
        println!("{helo}: {} messages", from_node.len());
        assert!(!from_node.is_empty(), "{helo} took part");
        assert!(from_node.iter().all(|r| r.helo == helo && r.tls), "each node says its own PTR name, over TLS");
        let verdict = check(w.dns.addr, from_node[0]).await?;
        assert_eq!(verdict.dkim_pass.len(), 2, "{verdict:?}");
        assert!(verdict.spf == "pass" && verdict.dmarc_dkim && verdict.dmarc_spf, "{verdict:?}");
        assert_eq!(verdict.ptr, vec![helo.to_owned()]);
    }
    let from_one = received.iter().filter(|r| r.peer == IpAddr::from(one.0)).count();
    let delivered = format!("ninsho_delivery_attempts_total{{destination=\"other\",status=\"delivered\"}} {from_one}");
    assert!(text.contains(&delivered), "{text}");
    assert!(text.contains("ninsho_delivery_connections_total{destination=\"other\",tls=\"verified\"}"), "{text}");
    assert!(
        text.contains(&format!("ninsho_delivery_transaction_seconds_count{{destination=\"other\"}} {from_one}")),
        "{text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_a_sending_domain_through_the_configured_nameservers() -> Result<()> {
    let source = ([127, 0, 0, 2], "mta1.lab.test");
    let w = world(1, &[source]).await?;
    let config = w.config("doctor", source.0, 1, 100, 300)?;
    let run = |args: Vec<String>| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(NINSHO).arg("doctor").arg("--config").arg(&config).args(args).output()
        })
    };
    let out = run(Vec::new()).await??;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let lines = [
        "ok   DKIM r",
        "ok   DKIM e",
        "ok   SPF 127.0.0.2",
        "ok   MX bounce.news.lab.test: bounces come back to mx.lab.test",
        "ok   DMARC",
        "ok   DMARC reports",
        "ok   PTR 127.0.0.2: mta1.lab.test",
    ];
    for line in lines {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    let out = run(vec!["nowhere.example".into()]).await??;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere.example is not a sending domain"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_while_sending_webhooks_loses_no_event() -> Result<()> {
    let source = ([127, 0, 0, 2], "mta1.lab.test");
    let w = world(40, &[source]).await?;
    // An endpoint for `delivered`, sealed with the nodes' key; its receiver
    // fails its first three requests.
    let (url, log) = tests::webhook_receiver(3).await?;
    let key = message::SecretKey::load_or_create(&w.dir.path().join("secret.key"))?;
    let secret = b"whsec_nodes";
    let sealed = key.seal(webhooks::SEAL_PURPOSE, secret);
    let endpoint = w.store.create_webhook_endpoint(&url, &["delivered".into()], "", &sealed).await?;
    let accepted = |log: &tests::WebhookLog| {
        log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().filter(|(s, _, _)| *s == 200).count()
    };

    // The lease is 3 s, so the webhook lease is its 15 s minimum.
    let config = w.config("node", source.0, 1, 10, 3)?;
    kill_9_once(Node::start(NINSHO, &config)?, 1500, || accepted(&log) >= 5).await?;
    let at_kill = accepted(&log);
    assert!(at_kill >= 5, "killed after {at_kill} accepted events");

    // A new node finishes the campaign and every webhook delivery.
    let mut restarted = [Node::start(NINSHO, &config)?];
    w.wait_delivered(&mut restarted, Duration::from_secs(120)).await?;
    let mut all_delivered = false;
    for _ in 0..1200 {
        let rows = w.store.endpoint_deliveries(endpoint, 100).await?;
        if rows.len() == w.n && rows.iter().all(|d| d.status == domain::WebhookStatus::Delivered) {
            all_delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(all_delivered, "every delivered event reached the receiver within 120 s");

    let log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    assert_eq!(log.iter().filter(|(s, _, _)| *s == 500).count(), 3);
    let mut ids = Vec::new();
    let mut emails = HashSet::new();
    for (_, headers, body) in log.iter().filter(|(s, _, _)| *s == 200) {
        let timestamp: i64 = headers["ninsho-timestamp"].to_str()?.parse()?;
        let expected = format!("v1={}", webhooks::signature(secret, timestamp, body));
        assert_eq!(headers["ninsho-signature"].to_str()?, expected);
        let json: serde_json::Value = serde_json::from_slice(body)?;
        ids.push(json["id"].as_i64().unwrap_or_default());
        emails.insert(json["delivery"]["email"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(emails.len(), w.n, "an event for every recipient");
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), w.n, "one event per delivery");
    // Only an event in flight when the node died can arrive twice (same id).
    println!("webhooks: killed after {at_kill} accepted; {} repeated", ids.len() - unique.len());
    assert!(ids.len() - unique.len() <= 32, "repeats beyond what was in flight");
    Ok(())
}
