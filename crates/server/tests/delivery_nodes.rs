//! Delivery nodes as operators run them: `ninsho serve --roles deliver` in
//! production mode against the lab (its DNS server and a STARTTLS sink),
//! killed with -9 in the middle of a campaign and restarted, and two nodes
//! with their own source addresses sharing one queue.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_campaign_loses_no_recipient_and_resends_only_what_was_in_flight() -> Result<()> {
    let source = ([127, 0, 0, 2], "mta1.lab.test");
    let w = world(3000, &[source]).await?;
    let (workers, batch) = (2, 100);
    let config = w.config("node", source.0, workers, 100, 3)?;
    let mut node = Node::start(NINSHO, &config)?;
    // Let it get well into the campaign, then kill it without warning.
    for _ in 0..1200 {
        if w.sink.count() >= 650 {
            break;
        }
        if let Some(status) = node.0.try_wait()? {
            bail!("the node exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.0.kill()?;
    node.0.wait()?;
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
