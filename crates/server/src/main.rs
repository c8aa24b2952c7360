//! The `ninsho` binary: command line, composition root and shutdown. No
//! business logic lives here; it wires the crates together.

mod admin;
mod cli;
mod database;
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use settings::{DeliveryMode, Settings};
use tokio_util::sync::CancellationToken;

use cli::{Cli, Command, DomainCommand, Role};
use database::Database;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ninsho: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One sentence per cause, outermost first.
            eprintln!("ninsho: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Quickstart { data_dir, http } => {
            let mut settings = load_settings(None)?;
            settings.delivery.mode = DeliveryMode::Sandbox;
            if let Some(dir) = data_dir {
                settings.data_dir = Some(dir);
            }
            if let Some(addr) = http {
                settings.http.listen = addr;
                if settings.http.public_url == settings::HttpSettings::default().public_url {
                    settings.http.public_url = format!("http://{addr}");
                }
            }
            serve(settings, &[Role::Web, Role::Deliver]).await
        }
        Command::Serve { config, roles } => serve(load_settings(Some(config))?, &roles).await,
        Command::Migrate { config } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            let db = Database::open(&settings).await?;
            db.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Domain { config, command } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            let db = Database::open(&settings).await?;
            // Listing changes nothing; everything else is audited.
            let what = (!matches!(command, DomainCommand::List)).then(|| format!("{command:?}"));
            let outcome = domain_command(&settings, &db, command).await;
            if let Some(what) = what {
                audit_cli(&db, "domain", &what, &outcome).await;
            }
            db.close().await;
            outcome
        }
        Command::Reports { config, command: cli::ReportsCommand::Import { paths } } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            let db = Database::open(&settings).await?;
            let outcome = import_reports(&settings, &db, &paths).await;
            db.close().await;
            outcome
        }
        Command::Audit { config, search, limit } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            let db = Database::open(&settings).await?;
            let entries = db.store().audit_log(search.as_deref(), None, limit.clamp(1, 10_000)).await;
            db.close().await;
            for e in entries? {
                let ip = e.ip.map(|ip| ip.addr().to_string()).unwrap_or_else(|| "-".into());
                let status = e.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                let at = e.at.format("%Y-%m-%d %H:%M:%S");
                println!("{at}  {}  [{}]  {ip}  {}  {status}  {}", e.actor, e.via, e.action, e.details);
            }
            Ok(())
        }
        Command::Doctor { config, domain } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            let db = Database::open(&settings).await?;
            let outcome = doctor(&settings, &db, domain).await;
            db.close().await;
            outcome
        }
        Command::Credential { config, command } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            let db = Database::open(&settings).await?;
            let what = (!matches!(command, cli::CredentialCommand::List)).then(|| format!("{command:?}"));
            let outcome = admin::credential(&db, command).await;
            if let Some(what) = what {
                audit_cli(&db, "credential", &what, &outcome).await;
            }
            db.close().await;
            outcome
        }
        Command::Admin { config, command } => {
            let settings = load_settings(config)?;
            telemetry::init(&settings.log)?;
            // Ask for passwords before the database starts, so that giving up
            // at the prompt leaves nothing running.
            let what = format!("{command:?}");
            let action = admin::Action::prepare(command)?;
            let db = Database::open(&settings).await?;
            let outcome = action.run(&db).await;
            audit_cli(&db, "admin", &what, &outcome).await;
            db.close().await;
            outcome
        }
    }
}

/// The first line of standard input, without its line ending (nothing when
/// stdin is a terminal: no password is asked for).
fn stdin_line() -> Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return Ok(String::new());
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Records a command that changes things in the audit log, as the Unix user
/// who ran it (the command's arguments carry no secret: passwords come from
/// the terminal or stdin).
async fn audit_cli(db: &Database, command: &str, what: &str, outcome: &Result<()>) {
    let user = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "unknown".into());
    let actor = format!("{user} (shell)");
    let details = match outcome {
        Ok(()) => serde_json::json!({ "command": what }),
        Err(e) => serde_json::json!({ "command": what, "error": e.to_string() }),
    };
    let entry = store::NewAuditEntry {
        admin_id: None,
        actor: &actor,
        via: "cli",
        ip: None,
        action: &format!("ninsho {command}"),
        status: Some(i32::from(outcome.is_err())),
        details,
    };
    if let Err(e) = db.store().record_audit(&entry).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

fn load_settings(file: Option<PathBuf>) -> Result<Settings> {
    Ok(Settings::load(file.as_deref(), std::env::vars())?)
}

/// How long requests in flight may take to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Runs the given roles until SIGTERM or SIGINT, then shuts down in order:
/// stop accepting, finish requests in flight, close the pool, stop the
/// private Postgres.
async fn serve(settings: Settings, roles: &[Role]) -> Result<()> {
    telemetry::init(&settings.log)?;
    let cancel = CancellationToken::new();
    tokio::spawn(wait_for_signal(cancel.clone()));
    // Bind first: a busy port should fail before anything else starts.
    let addr = settings.http.listen;
    let listener = if roles.contains(&Role::Web) {
        Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                " (is another ninsho or web server running? choose another address with --http or http.listen)"
            } else {
                ""
            };
            anyhow::anyhow!("cannot listen on {addr}: {e}{hint}")
        })?)
    } else {
        None
    };
    let db = Database::open(&settings).await?;
    // Whatever happens from here on, the database is closed (and a private
    // cluster stopped) before we return.
    let outcome =
        if cancel.is_cancelled() { Ok(()) } else { run_roles(&settings, roles, &db, listener, cancel.clone()).await };
    cancel.cancel();
    tracing::info!("shutting down");
    db.close().await;
    tracing::info!("stopped");
    outcome
}

async fn run_roles(
    settings: &Settings,
    roles: &[Role],
    db: &Database,
    listener: Option<tokio::net::TcpListener>,
    cancel: CancellationToken,
) -> Result<()> {
    let key = message::SecretKey::load_or_create(&db.data_dir().join("secret.key"))?;
    // Uploads left by a previous run belong to imports that died with it.
    // Only the web role takes uploads, so only it clears the spool (delivery
    // nodes may share the data directory and start at the same time).
    if roles.contains(&Role::Web) {
        let spool = db.data_dir().join("spool");
        let _ = std::fs::remove_dir_all(&spool);
        std::fs::create_dir_all(&spool).with_context(|| format!("cannot create {}", spool.display()))?;
    }
    db.store().set_alert_webhooks(&settings.alerts.webhook_urls).await?;
    let delivering = roles.contains(&Role::Deliver);
    let metrics = delivery::metrics::DeliveryMetrics::default();
    let delivery = if delivering {
        let mut engines = start_delivery(settings, db, &key, &cancel, &metrics).await?;
        if let (Some(addr), None) = (settings.delivery.metrics_listen, &listener) {
            let bound = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on delivery.metrics_listen {addr}"))?;
            let mut registry = prometheus_client::registry::Registry::with_prefix("ninsho");
            metrics.register(&mut registry);
            let stop = cancel.clone();
            engines.spawn(async move {
                if let Err(e) = web::serve_metrics(bound, registry, async move { stop.cancelled().await }).await {
                    tracing::warn!(error = %e, "the metrics listener failed");
                }
            });
        }
        Some(engines)
    } else {
        None
    };
    let mut listeners = Vec::new();
    if roles.contains(&Role::Inbound) {
        listeners.push(start_inbound(settings, db, &key, &cancel).await?);
    }
    if roles.contains(&Role::Submission) {
        listeners.extend(start_submission(settings, db, &cancel).await?);
    }
    let config = database::web_config(settings, db)?;
    let state = web::AppState::with_metrics(db.store().clone(), key, config, |registry| {
        if delivering {
            metrics.register(registry);
        }
    });
    tokio::spawn(housekeeping(db.store().clone(), cancel.clone()));
    if db.store().admin_count().await? == 0 {
        // Printed, not logged: it authorises creating the first admin.
        println!("\nNo admin exists yet. Open this link to create the first one:\n  {}\n", state.setup_url());
    }
    tracing::info!(
        addr = %settings.http.listen,
        roles = ?roles,
        mode = ?settings.delivery.mode,
        "ninsho is ready: dashboard at {}",
        settings.http.public_url
    );
    let Some(listener) = listener else {
        cancel.cancelled().await;
        if let Some(engines) = delivery {
            engines.join_all().await;
        }
        for listener in listeners {
            let _ = listener.await;
        }
        return Ok(());
    };
    let web_cancel = cancel.clone();
    let served = web::serve(listener, state, async move { web_cancel.cancelled().await });
    tokio::pin!(served);
    let outcome = tokio::select! {
        result = &mut served => result.context("the web server failed"),
        () = async { cancel.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::warn!("requests still running {}s after the shutdown signal were cut off", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    // The engine finishes its round (its leases would cover a cut-off one).
    if let Some(engines) = delivery {
        cancel.cancel();
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, engines.join_all()).await;
    }
    outcome
}

/// The relay transport's configuration from `delivery.relay` and its
/// password (from the settings, the environment or a file); None without a
/// relay. The password goes nowhere else: the config's `Debug` hides it.
fn relay_config(settings: &Settings) -> Result<Option<delivery::relay::RelayConfig>> {
    use secrecy::ExposeSecret;
    let d = &settings.delivery;
    let Some(url) = &d.relay else { return Ok(None) };
    let url = settings::RelayUrl::parse(url).map_err(|e| anyhow::anyhow!("delivery.relay {e}"))?;
    let password = match (&d.relay_password, &d.relay_password_file) {
        (Some(p), _) => Some(p.expose_secret().to_owned()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read delivery.relay_password_file {}", file.display()))?;
            Some(text.lines().next().unwrap_or_default().to_owned())
        }
        (None, None) => None,
    };
    if url.username.is_some() && password.is_none() {
        anyhow::bail!(
            "delivery.relay names a user: set delivery.relay_password_file or NINSHO__DELIVERY__RELAY_PASSWORD"
        );
    }
    let roots_pem = match &d.extra_ca {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read delivery.extra_ca {}", path.display()))?)
        }
        None => None,
    };
    let setup = database::domain_setup(settings);
    let hello = if setup.inbound_host.is_empty() { "localhost".to_owned() } else { setup.inbound_host.clone() };
    Ok(Some(delivery::relay::RelayConfig {
        host: url.host,
        port: url.port,
        implicit_tls: url.implicit_tls,
        username: url.username,
        password,
        connections: d.relay_connections.max(1),
        per_second: d.relay_per_second,
        hello,
        roots_pem,
        timeout: Duration::from_secs(60),
    }))
}

/// Starts the SMTP listeners of the submission role: 587 with STARTTLS
/// and 465 with TLS from the start, each when configured; a certificate is
/// required (logins travel only inside TLS).
async fn start_submission(
    settings: &Settings,
    db: &Database,
    cancel: &CancellationToken,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let s = &settings.submission;
    let tls = match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => smtpd::tls_config(cert, key)?,
        _ => anyhow::bail!(
            "the submission role needs submission.tls_cert and submission.tls_key: logins travel only inside TLS"
        ),
    };
    let setup = database::domain_setup(settings);
    let hostname =
        s.hostname.clone().or_else(|| settings.inbound.hostname.clone()).unwrap_or_else(|| {
            if setup.inbound_host.is_empty() { "localhost".into() } else { setup.inbound_host.clone() }
        });
    let timeout = Duration::from_secs(s.timeout_seconds.max(1));
    let config = smtpd::ListenerConfig {
        hostname: hostname.clone(),
        tls: Some(tls),
        implicit_tls: false,
        max_message_bytes: s.max_message_kb.saturating_mul(1024),
        max_recipients: s.max_recipients,
        max_connections: s.max_connections,
        max_connections_per_network: s.max_connections_per_network,
        command_timeout: timeout,
        data_timeout: timeout * 2,
        first_command_timeout: Duration::from_secs(30),
        max_session: Duration::from_secs(30 * 60),
        max_data_in_flight: s.max_data_in_flight_mb.saturating_mul(1024 * 1024),
    };
    let mailbox = submission::Submission::new(
        db.store().clone(),
        submission::Config {
            hostname,
            require_identity: settings.delivery.mode == DeliveryMode::Production,
            failure_delay: Duration::from_secs(1),
        },
    );
    let mut started = Vec::new();
    for (addr, implicit_tls) in [(s.listen, false), (s.listen_tls, true)] {
        let Some(addr) = addr else { continue };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for submission on {addr}"))?;
        let config = smtpd::ListenerConfig { implicit_tls, ..config.clone() };
        tracing::info!(%addr, implicit_tls, "SMTP submission listening");
        started.push(tokio::spawn(smtpd::serve(listener, config, mailbox.clone(), cancel.clone())));
    }
    if started.is_empty() {
        anyhow::bail!("the submission role needs submission.listen or submission.listen_tls");
    }
    Ok(started)
}

/// Starts the SMTP listener of the inbound role.
async fn start_inbound(
    settings: &Settings,
    db: &Database,
    key: &message::SecretKey,
    cancel: &CancellationToken,
) -> Result<tokio::task::JoinHandle<()>> {
    let s = &settings.inbound;
    let listener = tokio::net::TcpListener::bind(s.listen)
        .await
        .with_context(|| format!("cannot listen on inbound.listen {}", s.listen))?;
    let tls = match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => Some(inbound::smtp::tls_config(cert, key)?),
        (None, None) => None,
        _ => anyhow::bail!("inbound.tls_cert and inbound.tls_key go together"),
    };
    let setup = database::domain_setup(settings);
    let hostname = s
        .hostname
        .clone()
        .unwrap_or_else(|| if setup.inbound_host.is_empty() { "localhost".into() } else { setup.inbound_host.clone() });
    let timeout = Duration::from_secs(s.timeout_seconds.max(1));
    let config = inbound::smtp::ListenerConfig {
        hostname,
        tls,
        implicit_tls: false,
        max_message_bytes: s.max_message_kb.saturating_mul(1024),
        max_recipients: 50,
        max_connections: s.max_connections,
        max_connections_per_network: s.max_connections_per_network,
        command_timeout: timeout,
        data_timeout: timeout * 2,
        first_command_timeout: Duration::from_secs(30),
        max_session: Duration::from_secs(30 * 60),
        max_data_in_flight: s.max_data_in_flight_mb.saturating_mul(1024 * 1024),
    };
    let mailbox = inbound::act::Inbox {
        store: db.store().clone(),
        key: key.clone(),
        bounce_subdomain: setup.bounce_subdomain.clone(),
        report_address: setup.report_address.clone(),
        reports: reports::ingest::Ingest::new(
            db.store().clone(),
            settings.delivery.source_ips.clone(),
            reports::Limits::default(),
        ),
        domains: Default::default(),
    };
    tracing::info!(addr = %s.listen, "inbound SMTP listening");
    Ok(tokio::spawn(inbound::smtp::serve(listener, config, mailbox, cancel.clone())))
}

/// Starts the delivery workers: in sandbox mode into the capture mailbox, in
/// production mode to the recipients' MX hosts from the configured addresses.
async fn start_delivery(
    settings: &Settings,
    db: &Database,
    key: &message::SecretKey,
    cancel: &CancellationToken,
    metrics: &delivery::metrics::DeliveryMetrics,
) -> Result<tokio::task::JoinSet<()>> {
    let d = &settings.delivery;
    let config = delivery::EngineConfig {
        public_url: settings.http.public_url.clone(),
        bounce_subdomain: d.bounce_subdomain.clone(),
        system_from: d.system_from.clone().unwrap_or_else(|| {
            // Sandbox mode only (production requires it): a placeholder.
            let host = settings.http.public_url.split("//").nth(1).unwrap_or("localhost");
            format!("ninsho@{}", host.split([':', '/']).next().unwrap_or("localhost"))
        }),
        require_identity: d.mode == DeliveryMode::Production,
        retry_days: i64::from(d.retry_days),
        batch: i64::from(d.batch),
        lease: chrono::Duration::seconds(i64::from(d.lease_seconds)),
    };
    let workers = if d.workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { d.workers };
    let mut engines = tokio::task::JoinSet::new();
    match d.mode {
        DeliveryMode::Sandbox => {
            let transport = std::sync::Arc::new(delivery::Sandbox { store: db.store().clone() });
            for _ in 0..workers {
                let engine = delivery::Engine::new(db.store().clone(), key.clone(), config.clone(), transport.clone());
                engines.spawn(engine.run(cancel.clone()));
            }
        }
        DeliveryMode::Production => {
            let dns = identity::dns::Dns::new(&d.nameservers).map_err(anyhow::Error::msg)?;
            // The watch re-checks sending domains' DNS and carries key
            // rotations on; one round first, so a domain whose records are
            // published is verified before the first campaign starts.
            let watch = identity::watch::Watch {
                store: db.store().clone(),
                dns: dns.clone(),
                setup: database::domain_setup(settings),
                source_ips: d.source_ips.clone(),
                every: chrono::Duration::hours(i64::from(d.check_hours.max(1))),
                grace: identity::watch::GRACE,
            };
            watch.round(chrono::Utc::now()).await?;
            engines.spawn(watch.run(cancel.clone()));
            if let Some(relay) = relay_config(settings)? {
                tracing::info!(relay = %relay.host, port = relay.port, "every message goes through the relay");
                let transport = std::sync::Arc::new(delivery::relay::Relay::new(relay)?);
                for _ in 0..workers {
                    let engine =
                        delivery::Engine::new(db.store().clone(), key.clone(), config.clone(), transport.clone());
                    engines.spawn(engine.run(cancel.clone()));
                }
            } else {
                let sources = delivery::smtp::Smtp::sources(&dns, &d.source_ips)
                    .await
                    .map_err(|e| anyhow::anyhow!("delivery.source_ips: {e}"))?;
                let shaping = match &d.shaping {
                    Some(path) => delivery::shaping::Shaping::load(path).map_err(anyhow::Error::msg)?,
                    None => delivery::shaping::Shaping::builtin(),
                };
                let smtp_config = delivery::smtp::SmtpConfig {
                    port: d.mx_port,
                    sources,
                    shaping,
                    timeouts: delivery::smtp::Timeouts::default(),
                    max_connections: d.max_connections,
                    roots: delivery::smtp::SmtpConfig::roots(d.extra_ca.as_deref()).map_err(anyhow::Error::msg)?,
                    idle: std::time::Duration::from_secs(30),
                    mta_sts_port: d.mta_sts_port,
                    ledger: Some(std::sync::Arc::new(db.store().clone())),
                    metrics: metrics.clone(),
                };
                let transport = delivery::smtp::Smtp::new(dns, smtp_config).map_err(anyhow::Error::msg)?;
                for _ in 0..workers {
                    let engine =
                        delivery::Engine::new(db.store().clone(), key.clone(), config.clone(), transport.clone());
                    engines.spawn(engine.run(cancel.clone()));
                }
            }
        }
    }
    // Webhooks: the dashboard's endpoints (their own secrets) and the
    // configuration's alert URLs (its secret).
    let reach = webhooks::Reach::allowing(&settings.webhooks.allow_internal);
    let sender = webhooks::Sender {
        store: db.store().clone(),
        client: webhooks::Sender::client(&reach)?,
        reach,
        key: key.clone(),
        lease: chrono::Duration::seconds(i64::from(d.lease_seconds)),
        alert_secret: settings.alerts.webhook_secret.as_ref().map(|s| {
            use secrecy::ExposeSecret;
            s.expose_secret().as_bytes().to_vec()
        }),
    };
    engines.spawn(sender.run(cancel.clone()));
    tracing::info!(workers, mode = ?d.mode, "delivery started");
    Ok(engines)
}

/// Files bigger than this are not read as reports.
const MAX_REPORT_FILE: u64 = 256 * 1024 * 1024;

/// `ninsho reports import PATH…`: files, or directories walked for files.
async fn import_reports(settings: &Settings, db: &Database, paths: &[PathBuf]) -> Result<()> {
    let ingest = reports::ingest::Ingest::new(
        db.store().clone(),
        settings.delivery.source_ips.clone(),
        reports::Limits::default(),
    );
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = pending.pop() {
        let meta = std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .with_context(|| format!("cannot list {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            entries.reverse();
            pending.extend(entries);
        } else {
            files.push((path, meta.len()));
        }
    }
    let (mut imported, mut duplicates, mut failed) = (0, 0, 0);
    let started = std::time::Instant::now();
    for (path, size) in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if size > MAX_REPORT_FILE {
            println!("{}: not read: larger than {} MB", path.display(), MAX_REPORT_FILE / 1024 / 1024);
            failed += 1;
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        for (file, outcome) in ingest.import(&name, &bytes, "cli").await? {
            match outcome {
                reports::ingest::Outcome::Imported { .. } => imported += 1,
                reports::ingest::Outcome::Duplicate { .. } => duplicates += 1,
                reports::ingest::Outcome::Failed(_) => failed += 1,
            }
            let shown = if file == name { path.display().to_string() } else { format!("{} ({file})", path.display()) };
            println!("{shown}: {outcome}");
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{imported} imported, {duplicates} already had, {failed} could not be read, in {seconds:.2} s");
    if failed > 0 {
        anyhow::bail!("{failed} file(s) could not be read; they are kept with the reason (see the reports page)");
    }
    Ok(())
}

/// `ninsho doctor [DOMAIN]`: each sending domain's checklist.
async fn doctor(settings: &Settings, db: &Database, only: Option<String>) -> Result<()> {
    let d = &settings.delivery;
    let dns = identity::dns::Dns::new(&d.nameservers).map_err(anyhow::Error::msg)?;
    let mut domains = db.store().sending_domains().await?;
    if let Some(only) = &only {
        let only = only.trim().trim_end_matches('.').to_ascii_lowercase();
        domains.retain(|x| x.domain == only);
        if domains.is_empty() {
            anyhow::bail!("{only} is not a sending domain (add it with `ninsho domain add {only}`)");
        }
    }
    let mut failed = 0;
    let setup = database::domain_setup(settings);
    for domain in domains {
        let ips = domain.sends_from(&d.source_ips);
        println!("{}", domain.domain);
        let english = identity::Language::English;
        let checks = identity::doctor::check_domain(db.store(), &dns, &domain.domain, &setup, &ips, english).await?;
        identity::watch::record(db.store(), &domain, &checks, chrono::Utc::now(), identity::watch::GRACE).await?;
        for check in checks {
            use identity::doctor::Status;
            let mark = match check.status {
                Status::Pass => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
                Status::Unknown => "??  ",
            };
            failed += usize::from(check.status == Status::Fail);
            println!("  {mark} {}: {}", check.what, check.detail);
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// `ninsho domain …`: keys are sealed with the same secret key the server uses.
async fn domain_command(settings: &Settings, db: &Database, command: DomainCommand) -> Result<()> {
    let key = message::SecretKey::load_or_create(&db.data_dir().join("secret.key"))?;
    match command {
        DomainCommand::Add { domain, ed25519 } => {
            let (added, records) = identity::add_domain(db.store(), &key, &domain, ed25519).await?;
            println!("Added {}. Publish these DNS records (TXT):", added.domain);
            for (name, value) in records {
                println!("{}", identity::zone_line(&name, &value));
            }
        }
        DomainCommand::Ips { domain, ips } => {
            if !db.store().set_domain_source_ips(&domain, &ips).await? {
                anyhow::bail!("{domain} is not a sending domain (add it with `ninsho domain add {domain}`)");
            }
            if ips.is_empty() {
                println!("{domain} sends from any of the delivery nodes' addresses");
            } else {
                let list: Vec<String> = ips.iter().map(ToString::to_string).collect();
                println!("{domain} sends only from {}; its SPF must name them", list.join(", "));
            }
        }
        DomainCommand::Smime { domain, pem, p12, off } => {
            if off {
                if !db.store().clear_domain_smime(&domain).await? {
                    anyhow::bail!("{domain} is not a sending domain");
                }
                println!("{domain} no longer S/MIME-signs its mail");
                return Ok(());
            }
            let signer = match (pem, p12) {
                // An encrypted key's password comes from stdin (an empty
                // line when it is not encrypted).
                (Some(path), _) => message::smime::Signer::from_pem(&std::fs::read(&path)?, &stdin_line()?)?,
                (None, Some(path)) => message::smime::Signer::from_pkcs12(&std::fs::read(&path)?, &stdin_line()?)?,
                (None, None) => anyhow::bail!("give --pem FILE, --p12 FILE or --off"),
            };
            let identity = identity::set_smime(db.store(), &key, &domain, &signer).await?;
            println!(
                "{domain} now S/MIME-signs every message as {} (valid until {})",
                identity.subject, identity.not_after
            );
            if !identity.emails.iter().any(|e| e.ends_with(&format!("@{}", domain.to_ascii_lowercase()))) {
                println!(
                    "warning: the certificate names no address at {domain} ({}); receivers will not trust the signature for its From addresses",
                    identity.emails.join(", ")
                );
            }
        }
        DomainCommand::Rotate { domain } => {
            let records = identity::rotate(db.store(), &key, &domain).await?;
            println!("New keys made. Publish these DNS records (TXT); they sign once a delivery node sees them:");
            for (name, value) in records {
                println!("{}", identity::zone_line(&name, &value));
            }
            println!("The keys they replace keep signing until then, and stay published for 7 days after.");
        }
        DomainCommand::List => {
            let setup = database::domain_setup(settings);
            for domain in db.store().sending_domains().await? {
                let from = if domain.source_ips.is_empty() {
                    "any source address".to_owned()
                } else {
                    domain.source_ips.iter().map(|n| n.addr().to_string()).collect::<Vec<_>>().join(", ")
                };
                let verified = match db.store().domain_verified_at(&domain.domain).await? {
                    Some(at) => format!("verified {}", at.format("%Y-%m-%d %H:%M UTC")),
                    None => "not verified yet".to_owned(),
                };
                println!("{} (sends from {from}; {verified})", domain.domain);
                let keys = db.store().published_dkim_keys(&domain.domain).await?;
                let ips = domain.sends_from(&settings.delivery.source_ips);
                let ptrs: Vec<_> = ips.iter().map(|ip| (*ip, format!("mail.{}", domain.domain))).collect();
                for r in identity::records(&domain.domain, &keys, &setup, &ptrs, None, identity::Language::English) {
                    let optional = if r.optional { "optional: " } else { "" };
                    println!("  ; {optional}{}\n  {}", r.purpose, r.zone_line());
                }
            }
        }
    }
    Ok(())
}

async fn wait_for_signal(cancel: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::error!("cannot listen for signals; stop ninsho with SIGKILL");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
    cancel.cancel();
}

/// Campaign messages the sandbox mailbox keeps, newest first.
const CAPTURED_KEPT: i64 = 10_000;

/// The message log's retention: rounds of at most `LOG_ROUND` rows of
/// each kind, as long as rounds come back full, at most 20 of them, so
/// that a backlog (after the retention was shortened, say) is worked off
/// over several ticks without ever holding the database for long.
async fn forget_old_messages(store: &store::Store) {
    const LOG_ROUND: i64 = 1000;
    let mut forgotten = store::Forgotten::default();
    for _ in 0..20 {
        match store.forget_old_messages(chrono::Utc::now(), LOG_ROUND).await {
            Ok(round) => {
                forgotten.bytes += round.bytes;
                forgotten.rows += round.rows;
                if round.bytes < LOG_ROUND as u64 && round.rows < LOG_ROUND as u64 {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the message log's retention failed");
                break;
            }
        }
    }
    if forgotten.total() > 0 {
        tracing::info!(bytes_dropped = forgotten.bytes, rows = forgotten.rows, "message log retention");
    }
}

/// Every few minutes: removes expired sessions, old failed-login and form
/// records, unconfirmed subscriptions older than a week (their link has
/// expired) and all but the newest sandbox campaign messages, and marks
/// imports whose process died as failed.
async fn housekeeping(store: store::Store, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = store.prune_auth_records(chrono::Duration::days(1)).await {
                    tracing::warn!(error = %e, "pruning auth records failed");
                }
                if let Err(e) = store.prune_form_hits(chrono::Duration::days(1)).await {
                    tracing::warn!(error = %e, "pruning form submissions failed");
                }
                match store.expire_unconfirmed(chrono::Duration::days(7)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(subscriptions = n, "unconfirmed subscriptions expired"),
                    Err(e) => tracing::warn!(error = %e, "expiring unconfirmed subscriptions failed"),
                }
                match store.prune_captured(CAPTURED_KEPT).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(messages = n, "oldest campaign messages of the sandbox mailbox removed"),
                    Err(e) => tracing::warn!(error = %e, "pruning the sandbox mailbox failed"),
                }
                match store.prune_inbound(chrono::Duration::days(90)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(messages = n, "inbound messages older than 90 days forgotten"),
                    Err(e) => tracing::warn!(error = %e, "pruning inbound messages failed"),
                }
                match store.prune_report_failures(chrono::Duration::days(90)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(files = n, "report files that could not be read, older than 90 days, forgotten"),
                    Err(e) => tracing::warn!(error = %e, "pruning failed report files failed"),
                }
                match store.prune_webhook_deliveries(chrono::Duration::days(30)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deliveries = n, "webhook deliveries older than 30 days forgotten"),
                    Err(e) => tracing::warn!(error = %e, "pruning webhook deliveries failed"),
                }
                forget_old_messages(&store).await;
                match store.fail_stalled_imports(chrono::Duration::minutes(10)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(imports = n, "imports interrupted by a stop were marked failed"),
                    Err(e) => tracing::warn!(error = %e, "checking for stalled imports failed"),
                }
            }
        }
    }
}
