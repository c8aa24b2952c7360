//! Bringing the database up: the private cluster (when `database.url` is
//! unset) or an external server, then migrations.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pgcluster::{Durability, PrivateCluster, Usage};
use secrecy::ExposeSecret;
use settings::Settings;
use store::Store;

const DATABASE: &str = "ninsho";

pub struct Database {
    store: Store,
    data_dir: PathBuf,
    /// The private cluster and our registration as its user.
    cluster: Option<(PrivateCluster, Usage)>,
    label: String,
}

impl Database {
    /// Opens (and when private, creates and starts) the database and applies
    /// pending migrations.
    pub async fn open(settings: &Settings) -> Result<Self> {
        let data_dir = data_dir(settings)?;
        let (options, cluster, label) = match &settings.database.url {
            Some(url) => {
                let options = store::url_options(url.expose_secret()).context("database.url is not a valid URL")?;
                (options, None, "External PostgreSQL server (database.url).".to_string())
            }
            None => {
                let cluster = PrivateCluster::new(data_dir.join("postgres"), Durability::Durable)?;
                let blocking = cluster.clone();
                let usage = tokio::task::spawn_blocking(move || blocking.start()).await??;
                let options =
                    store::socket_options(cluster.socket_dir(), pgcluster::PORT, pgcluster::SUPERUSER, DATABASE);
                let label = format!("Private PostgreSQL cluster in {}.", cluster.data_dir().display());
                (options, Some((cluster, usage)), label)
            }
        };
        let store = match connect(options, settings.database.max_connections, settings.database.url.is_none()).await {
            Ok(store) => store,
            Err(e) => {
                release(cluster).await;
                return Err(e);
            }
        };
        Ok(Self { store, data_dir, cluster, label })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Closes the pool and stops the private cluster unless another
    /// process (a running server) still uses it.
    pub async fn close(self) {
        self.store.close().await;
        release(self.cluster).await;
    }
}

/// Connects and migrates; for a private cluster, creates the database first.
async fn connect(options: store::ConnectOptions, max_connections: u32, private: bool) -> Result<Store> {
    if private {
        let admin = options.clone().database("postgres");
        store::ensure_database(&admin, DATABASE).await.context("cannot create the ninsho database")?;
    }
    let store = Store::connect(options, max_connections).await.context("cannot connect to the database")?;
    store.migrate().await?;
    Ok(store)
}

async fn release(cluster: Option<(PrivateCluster, Usage)>) {
    let Some((cluster, usage)) = cluster else { return };
    let outcome = tokio::task::spawn_blocking(move || cluster.release(usage).map(|_| ())).await;
    if let Err(e) = outcome.map_err(anyhow::Error::from).and_then(|r| r.map_err(anyhow::Error::from)) {
        tracing::error!(error = %e, "stopping the private PostgreSQL failed");
    }
}

/// How sending domains are set up around this installation.
pub fn domain_setup(settings: &Settings) -> identity::Setup {
    let d = &settings.delivery;
    let public_host = settings.http.public_url.split("//").nth(1).unwrap_or_default();
    let public_host = public_host.split(['/', ':']).next().unwrap_or_default();
    identity::Setup {
        bounce_subdomain: d.bounce_subdomain.clone(),
        report_address: d.report_address.clone(),
        // An address is no MX name: then the records say to set it.
        inbound_host: d.inbound_host.clone().unwrap_or_else(|| {
            let named = public_host.parse::<std::net::IpAddr>().is_err() && public_host != "localhost";
            if named { public_host.to_owned() } else { String::new() }
        }),
        ptr_names: d.ptr_names.clone(),
        relay: d
            .relay
            .as_deref()
            .and_then(|url| settings::RelayUrl::parse(url).ok())
            .map(|relay| identity::RelaySetup { host: relay.host, spf_include: d.relay_spf_include.clone() }),
    }
}

pub fn web_config(settings: &Settings, db: &Database) -> Result<web::WebConfig> {
    let auth = &settings.auth;
    let geoip = match &settings.reports.geoip_mmdb {
        Some(path) => {
            Some(std::sync::Arc::new(web::GeoIp::open(path).map_err(|e| anyhow::anyhow!("reports.geoip_mmdb: {e}"))?))
        }
        None => None,
    };
    Ok(web::WebConfig {
        public_url: settings.http.public_url.trim_end_matches('/').to_string(),
        admin_allowlist: settings.http.admin_allowlist.clone(),
        metrics_token_hash: settings.http.metrics_token.as_ref().map(|t| {
            use secrecy::ExposeSecret;
            let hash = message::secret::token_hash(t.expose_secret());
            let mut fixed = [0u8; 32];
            fixed.copy_from_slice(&hash[..32]);
            fixed
        }),
        trusted_proxies: settings.http.trusted_proxies.clone(),
        session_lifetime: chrono::Duration::hours(i64::from(auth.session_hours)),
        max_failures_per_account: i64::from(auth.max_failures_per_account),
        max_failures_per_ip: i64::from(auth.max_failures_per_ip),
        throttle_window: chrono::Duration::minutes(i64::from(auth.throttle_window_minutes)),
        delivery_mode: match settings.delivery.mode {
            settings::DeliveryMode::Sandbox => domain::DeliveryMode::Sandbox,
            settings::DeliveryMode::Production => domain::DeliveryMode::Production,
        },
        database_label: db.label.clone(),
        spool_dir: db.data_dir().join("spool"),
        nameservers: settings.delivery.nameservers.clone(),
        setup: domain_setup(settings),
        source_ips: settings.delivery.source_ips.clone(),
        blocklists: identity::score::Blocklists::new(
            &settings.score.ip_blocklists,
            &settings.score.domain_blocklists,
            settings.score.spamhaus_dqs_key.as_ref().map(|k| k.expose_secret()),
        ),
        geoip,
    })
}

/// The configured data directory, or the default, created if missing. As
/// root it is made searchable (not readable) by others, because the private
/// cluster inside it runs as the `postgres` account.
fn data_dir(settings: &Settings) -> Result<PathBuf> {
    let is_root = nix::unistd::Uid::effective().is_root();
    let dir = match &settings.data_dir {
        Some(dir) => dir.clone(),
        None if is_root => PathBuf::from("/var/lib/ninsho"),
        None => {
            let base = std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
                .context("neither HOME nor XDG_DATA_HOME is set; pass --data-dir")?;
            base.join("ninsho")
        }
    };
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let mode = if is_root { 0o711 } else { 0o700 };
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(&dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    } else if is_root {
        let perms = std::fs::metadata(&dir)?.permissions();
        if perms.mode() & 0o001 == 0 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode((perms.mode() | 0o001) & 0o7777))
                .with_context(|| format!("cannot make {} searchable for the postgres account", dir.display()))?;
        }
    }
    // A name of this process's own: nodes sharing the directory start at
    // the same time, and one must not remove another's probe.
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| format!("the data directory {} is not writable", dir.display()))?;
    Ok(dir)
}
