//! Delivery nodes as operators run them: `ninsho serve --roles deliver` in
//! production mode against the lab (its DNS server and a STARTTLS sink),
//! killed with -9 in the middle of a campaign and restarted, and two nodes
//! with their own source addresses sharing one queue.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail};
use tests::fixtures::{bulk_subscribe, fields, list};
use tests::lab::{Dns, Script, Sink, TestCa, check, sender_zone};
use tests::{free_port, fresh_database};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");
const FROM_DOMAIN: &str = "news.lab.test";
const MX: [u8; 4] = [127, 0, 0, 20];

/// A running delivery node; killed if a test fails.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A database with a scheduled campaign to `n` readers at example.org, the
/// lab's DNS and sink, and a data directory holding the key the nodes use.
struct World {
    store: store::Store,
    url: String,
    dir: tempfile::TempDir,
    dns: Dns,
    ca: TestCa,
    sink: Sink,
    campaign: i64,
    n: usize,
}

async fn world(n: usize, sources: &[([u8; 4], &str)]) -> Result<World> {
    let (store, url) = fresh_database().await?;
    let dir = tempfile::tempdir()?;
    let key = message::SecretKey::load_or_create(&dir.path().join("secret.key"))?;
    let zone = sender_zone(&store, &key, FROM_DOMAIN, sources)
        .await?
        .mx("example.org", 10, "mx.example.org")
        .a("mx.example.org", MX);
    let dns = Dns::start(zone).await?;
    let ca = TestCa::new()?;
    let sink = Sink::start(MX, 0, ca.issue("mx.example.org")?, Script::default()).await?;
    let all = list(&store, "All").await?;
    let emails: Vec<String> = (0..n).map(|i| format!("reader{i}@example.org")).collect();
    bulk_subscribe(&store, all, &emails).await?;
    let mut f = fields("Nodes", vec![all]);
    f.from_address = format!("news@{FROM_DOMAIN}");
    let campaign = store.save_campaign(None, &f).await?.id;
    store.schedule_campaign(campaign, chrono::Utc::now(), None).await?;
    Ok(World { store, url, dir, dns, ca, sink, campaign, n })
}

impl World {
    /// A production config for one node sending from `source`.
    fn config(&self, name: &str, source: [u8; 4], workers: usize, lease_seconds: u32) -> Result<PathBuf> {
        let port = free_port()?;
        let text = format!(
            "data_dir = {dir:?}\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
             [database]\nurl = {url:?}\n\
             [delivery]\nmode = \"production\"\nnameservers = [\"{dns}\"]\nsource_ips = [\"{ip}\"]\n\
             mx_port = {mx_port}\nextra_ca = {ca:?}\nworkers = {workers}\nbatch = 100\nlease_seconds = {lease_seconds}\n\
             [log]\nfilter = \"warn\"\n",
            dir = self.dir.path(),
            url = self.url,
            dns = self.dns.addr,
            ip = IpAddr::from(source),
            mx_port = self.sink.addr.port(),
            ca = self.ca.pem_file,
        );
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// Deliveries of the campaign by status.
    async fn statuses(&self) -> Result<HashMap<String, usize>> {
        let rows = self.store.campaign_deliveries(self.campaign, i64::try_from(self.n)? + 10).await?;
        let mut by = HashMap::new();
        for r in rows {
            *by.entry(r.status).or_insert(0) += 1;
        }
        Ok(by)
    }

    /// Waits until every delivery is delivered.
    async fn wait_delivered(&self, nodes: &mut [Node]) -> Result<()> {
        for _ in 0..1200 {
            if self.statuses().await?.get("delivered") == Some(&self.n) {
                return Ok(());
            }
            for node in nodes.iter_mut() {
                if let Some(status) = node.0.try_wait()? {
                    bail!("a delivery node exited: {status}");
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("not all delivered after 120 s: {:?}, sink has {}", self.statuses().await?, self.sink.count())
    }
}

fn start(config: &Path) -> Result<Node> {
    let child = Command::new(NINSHO)
        .args(["serve", "--roles", "deliver", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Node(child))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_campaign_loses_no_recipient_and_resends_only_what_was_in_flight() -> Result<()> {
    let source = ([127, 0, 0, 2], "mta1.lab.test");
    let w = world(3000, &[source]).await?;
    let (workers, batch) = (2, 100);
    let config = w.config("node", source.0, workers, 3)?;
    let mut node = start(&config)?;
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
    let mut restarted = [start(&config)?];
    w.wait_delivered(&mut restarted).await?;
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
    let mut nodes = [start(&w.config("one", one.0, 1, 300)?)?, start(&w.config("two", two.0, 1, 300)?)?];
    w.wait_delivered(&mut nodes).await?;
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
    Ok(())
}
