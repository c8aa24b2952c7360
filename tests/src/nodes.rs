//! Delivery nodes as separate `ninsho serve --roles deliver` processes in
//! production mode, sending a campaign into the lab: a database with the
//! campaign scheduled, the lab's DNS server and sink, and a data directory
//! holding the key the nodes share.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail};
use store::CampaignFields;

use crate::fixtures::{bulk_subscribe, list};
use crate::lab::{Dns, Script, Sink, TestCa, sender_zone};
use crate::{free_port, fresh_database};

pub const FROM_DOMAIN: &str = "news.lab.test";
/// The address of the sink that is example.org's MX.
pub const MX: [u8; 4] = [127, 0, 0, 20];

/// A running delivery node; killed if a test fails.
pub struct Node(pub Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Node {
    /// Starts `ninsho` (the binary at `binary`) with the deliver role.
    pub fn start(binary: &str, config: &Path) -> Result<Self> {
        Self::start_with(binary, config, &[])
    }

    /// As `start`, with `NINSHO__…` overrides in the environment.
    pub fn start_with(binary: &str, config: &Path, env: &[(&str, String)]) -> Result<Self> {
        Self::start_roles(binary, config, "deliver", env)
    }

    /// As `start_with`, with other roles (`web,deliver,submission`).
    pub fn start_roles(binary: &str, config: &Path, roles: &str, env: &[(&str, String)]) -> Result<Self> {
        let child = Command::new(binary)
            .args(["serve", "--roles", roles, "--config"])
            .arg(config)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Self(child))
    }
}

/// What the world holds.
pub struct Spec<'a> {
    /// Readers at example.org.
    pub n: usize,
    /// Source addresses and their PTR names.
    pub sources: &'a [([u8; 4], &'a str)],
    pub ed25519: bool,
    pub sink: Script,
    /// The campaign; its From address is set to the lab's domain.
    pub campaign: CampaignFields,
}

pub struct World {
    pub store: store::Store,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub dns: Dns,
    pub ca: TestCa,
    pub sink: Sink,
    pub campaign: i64,
    pub n: usize,
}

impl World {
    pub async fn new(spec: Spec<'_>) -> Result<Self> {
        let (store, url) = fresh_database().await?;
        let dir = tempfile::tempdir()?;
        let key = message::SecretKey::load_or_create(&dir.path().join("secret.key"))?;
        let zone = sender_zone(&store, &key, FROM_DOMAIN, spec.ed25519, spec.sources)
            .await?
            .mx("example.org", 10, "mx.example.org")
            .a("mx.example.org", MX);
        let dns = Dns::start(zone).await?;
        let ca = TestCa::new()?;
        let sink = Sink::start(MX, 0, ca.issue("mx.example.org")?, spec.sink).await?;
        let all = list(&store, "All").await?;
        let emails: Vec<String> = (0..spec.n).map(|i| format!("reader{i}@example.org")).collect();
        bulk_subscribe(&store, all, &emails).await?;
        let mut fields = spec.campaign;
        fields.from_address = format!("news@{FROM_DOMAIN}");
        fields.list_ids = vec![all];
        let campaign = store.save_campaign(None, &fields).await?.id;
        store.schedule_campaign(campaign, chrono::Utc::now(), None).await?;
        Ok(Self { store, url, dir, dns, ca, sink, campaign, n: spec.n })
    }

    /// A production config for one node sending from `source`.
    pub fn config(
        &self,
        name: &str,
        source: [u8; 4],
        workers: usize,
        batch: u32,
        lease_seconds: u32,
    ) -> Result<PathBuf> {
        let port = free_port()?;
        let text = format!(
            "data_dir = {dir:?}\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
             [database]\nurl = {url:?}\n\
             [delivery]\nmode = \"production\"\nsystem_from = \"News <news@{FROM_DOMAIN}>\"\nnameservers = [\"{dns}\"]\nsource_ips = [\"{ip}\"]\n\
             mx_port = {mx_port}\nextra_ca = {ca:?}\nworkers = {workers}\nbatch = {batch}\n\
             lease_seconds = {lease_seconds}\ninbound_host = \"mx.lab.test\"\n\
             [webhooks]\nallow_internal = [\"127.0.0.0/8\"]\n\
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
    pub async fn statuses(&self) -> Result<HashMap<String, usize>> {
        let rows = self.store.campaign_deliveries(self.campaign, i64::try_from(self.n)? + 10).await?;
        let mut by = HashMap::new();
        for r in rows {
            *by.entry(r.status.as_str().to_owned()).or_insert(0) += 1;
        }
        Ok(by)
    }

    /// Waits until the sink has every message and every delivery is marked
    /// delivered; fails when a node exits or after `limit`.
    pub async fn wait_delivered(&self, nodes: &mut [Node], limit: Duration) -> Result<()> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if self.sink.count() >= self.n && self.statuses().await?.get("delivered") == Some(&self.n) {
                return Ok(());
            }
            for node in nodes.iter_mut() {
                if let Some(status) = node.0.try_wait()? {
                    bail!("a delivery node exited: {status}");
                }
            }
            tokio::time::sleep(Duration::from_millis(if self.sink.count() >= self.n { 100 } else { 20 })).await;
        }
        bail!("not all delivered after {limit:?}: {:?}, sink has {}", self.statuses().await?, self.sink.count())
    }
}
