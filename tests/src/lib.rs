//! End-to-end test harness: a throwaway PostgreSQL cluster shared by the
//! test processes of one run, a fresh migrated database per test, the web app
//! served on port 0, and headless Chromium driven over WebDriver.
//!
//! `scripts/test` creates the cluster in a temporary directory (passed as
//! `NINSHO_TEST_PGDATA`) and removes it afterwards. A plain `cargo test`
//! falls back to `/tmp/ninsho-test-pg-<uid>` and leaves it running for the
//! next run.

pub mod fixtures;
pub mod lab;
pub mod nodes;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use message::SecretKey;
use pgcluster::{Durability, PrivateCluster};
use store::Store;
use web::{AppState, WebConfig};

pub use fantoccini::Locator;

static CLUSTER: OnceLock<Result<PrivateCluster, String>> = OnceLock::new();

/// The run's cluster, started on first use by whichever process needs it first.
fn cluster() -> Result<&'static PrivateCluster> {
    let cluster = CLUSTER.get_or_init(|| {
        let dir = std::env::var_os("NINSHO_TEST_PGDATA").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(format!("/tmp/ninsho-test-pg-{}", nix::unistd::Uid::effective().as_raw()))
        });
        let cluster = PrivateCluster::new(dir, Durability::Throwaway).map_err(|e| e.to_string())?;
        cluster.start().map_err(|e| e.to_string())?;
        Ok(cluster)
    });
    cluster.as_ref().map_err(|e| anyhow::anyhow!("test PostgreSQL cluster: {e}"))
}

/// A new, empty, migrated database, and its URL for a `ninsho` process.
pub async fn fresh_database() -> Result<(Store, String)> {
    let cluster = tokio::task::spawn_blocking(|| cluster().cloned()).await??;
    let name = format!("t_{}", hex(&rand_bytes::<8>()));
    let socket = cluster.socket_dir();
    let admin = store::socket_options(socket, pgcluster::PORT, pgcluster::SUPERUSER, "postgres");
    store::ensure_database(&admin, &name).await?;
    let store = Store::connect(store::socket_options(socket, pgcluster::PORT, pgcluster::SUPERUSER, &name), 5).await?;
    store.migrate().await?;
    let (user, port, socket) = (pgcluster::SUPERUSER, pgcluster::PORT, socket.display());
    Ok((store, format!("postgresql://{user}@localhost:{port}/{name}?host={socket}")))
}

/// A new, empty, migrated database of its own for one test.
pub async fn fresh_store() -> Result<Store> {
    Ok(fresh_database().await?.0)
}

/// The web configuration tests start from; `spawn_app_with` may change it.
pub fn test_config() -> WebConfig {
    WebConfig {
        public_url: String::new(),
        admin_allowlist: Vec::new(),
        trusted_proxies: Vec::new(),
        session_lifetime: chrono::Duration::hours(1),
        max_failures_per_account: 5,
        max_failures_per_ip: 20,
        throttle_window: chrono::Duration::minutes(15),
        delivery_mode: domain::DeliveryMode::Sandbox,
        database_label: "Test database.".into(),
        spool_dir: std::env::temp_dir().join("ninsho-test-spool"),
        nameservers: Vec::new(),
        setup: identity::Setup {
            bounce_subdomain: "bounce".into(),
            report_address: None,
            inbound_host: "mx.lab.test".into(),
            ptr_names: Default::default(),
            relay: None,
        },
        source_ips: Vec::new(),
        blocklists: identity::score::Blocklists::default(),
        geoip: None,
        metrics_token_hash: None,
    }
}

/// The web app running on 127.0.0.1 with a port of its own.
pub struct TestApp {
    pub url: String,
    pub addr: SocketAddr,
    pub store: Store,
    /// The database's URL (for a `ninsho` process, or SQL a test runs itself).
    pub database_url: String,
    pub state: AppState,
    /// The key the app signs links with (a delivery engine under test needs it).
    pub key: SecretKey,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub async fn spawn_app() -> Result<TestApp> {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut WebConfig)) -> Result<TestApp> {
    let (store, database_url) = fresh_database().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let mut config = test_config();
    config.public_url = url.clone();
    std::fs::create_dir_all(&config.spool_dir)?;
    configure(&mut config);
    let key = SecretKey::random();
    let state = AppState::new(store.clone(), key.clone(), config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Ok(TestApp { url, addr, store, database_url, state, key, shutdown: Some(tx), server: Some(server) })
}

impl TestApp {
    /// Creates an admin directly in the store (tests of pages other than setup).
    pub async fn create_admin(&self, email: &str, password: &str) -> Result<()> {
        let email = domain::EmailAddress::parse(email)?;
        let hash = web::password::hash_blocking(password).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.store.create_admin(&email, &hash).await?;
        Ok(())
    }

    /// A browser logged in as a new admin.
    pub async fn logged_in_browser(&self) -> Result<Browser> {
        self.create_admin("hanako@example.jp", "orbit cactus lantern 47 violet").await?;
        self.logged_in_browser_again().await
    }

    /// A second browser logged in as the admin `logged_in_browser` made.
    pub async fn logged_in_browser_again(&self) -> Result<Browser> {
        let (email, password) = ("hanako@example.jp", "orbit cactus lantern 47 violet");
        let browser = Browser::launch().await?;
        browser.goto(&format!("{}/login", self.url)).await?;
        browser.fill("input[name=email]", email).await?;
        browser.fill("input[name=password]", password).await?;
        browser.click("form[action='/login'] button").await?;
        Ok(browser)
    }

    /// Stops the server and starts a new one (new port, new pool, same
    /// key) on the same database, as a restart of ninsho would.
    pub async fn restart(self) -> Result<TestApp> {
        let (database_url, key) = (self.database_url.clone(), self.key.clone());
        self.stop().await?;
        let options: store::ConnectOptions = database_url.parse()?;
        let store = Store::connect(options, 5).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let mut config = test_config();
        config.public_url = url.clone();
        let state = AppState::new(store.clone(), key.clone(), config);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(web::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Ok(TestApp { url, addr, store, database_url, state, key, shutdown: Some(tx), server: Some(server) })
    }

    /// Stops the server and waits for requests in flight.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        self.store.close().await;
        Ok(())
    }
}

/// An HTTP client that does not follow redirects, so tests see them.
pub fn http() -> reqwest::Client {
    // reqwest is built with rustls and no provider of its own (the delivery
    // crate hands it one); this plain-HTTP client needs the process default.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// A headless Chromium driven by its own chromedriver. Dropping it kills both.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

impl Browser {
    pub async fn launch() -> Result<Self> {
        Self::launch_in("en-US,en").await
    }

    /// A browser whose `Accept-Language` is `languages` (e.g. `ja,en`).
    pub async fn launch_in(languages: &str) -> Result<Self> {
        for program in [CHROMIUM, CHROMEDRIVER] {
            if !std::path::Path::new(program).exists() {
                bail!("{program} is missing: run scripts/test, which installs chromium and chromium-driver");
            }
        }
        let port = free_port()?;
        let profile = tempfile::tempdir()?;
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .context("cannot start chromedriver")?
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--accept-lang={languages}"),
                ],
                "prefs": { "intl.accept_languages": languages },
            }),
        );
        let client = connect(&webdriver, capabilities).await?;
        Ok(Self { client, driver, _profile: profile })
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        Ok(())
    }

    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.client.find(Locator::Css(css)).await.with_context(|| format!("no field {css}"))?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Clicks a control that submits or navigates, and waits until the old
    /// page is gone (the element went stale) and the new one has a body.
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self.client.find(Locator::Css(css)).await.with_context(|| format!("nothing matches {css}"))?;
        element.click().await?;
        for _ in 0..100 {
            if element.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client.wait().for_element(Locator::Css("body")).await?;
        Ok(())
    }

    /// Clicks a control that does not leave the page (a checkbox).
    pub async fn toggle(&self, css: &str) -> Result<()> {
        self.client.find(Locator::Css(css)).await.with_context(|| format!("nothing matches {css}"))?.click().await?;
        Ok(())
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        let element = self.client.find(Locator::Css(css)).await.with_context(|| format!("nothing matches {css}"))?;
        Ok(element.text().await?)
    }

    /// The text of an element whether it shows or not (inside a closed
    /// `<details>`, say), as `textContent` has it.
    pub async fn content(&self, css: &str) -> Result<String> {
        let text = self
            .client
            .execute("const e = document.querySelector(arguments[0]); return e && e.textContent;", vec![css.into()])
            .await?;
        text.as_str().map(str::to_string).with_context(|| format!("nothing matches {css}"))
    }

    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_string())
    }

    pub async fn title(&self) -> Result<String> {
        Ok(self.client.title().await?)
    }

    /// Saves a screenshot (PNG) for a person to look at.
    pub async fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        std::fs::write(path, self.client.screenshot().await?)?;
        Ok(())
    }

    /// Saves a screenshot of the whole page, beyond the window's height.
    pub async fn full_screenshot(&self, path: &std::path::Path) -> Result<()> {
        use base64::Engine as _;
        let size = self
            .client
            .execute("const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];", vec![])
            .await?;
        let (width, height) = (size[0].as_u64().unwrap_or(800), size[1].as_u64().unwrap_or(600).min(8000));
        let answer = self.client.issue_cmd(CaptureFullPage { width, height }).await?;
        let data = answer["data"].as_str().context("no picture in the answer")?;
        std::fs::write(path, base64::engine::general_purpose::STANDARD.decode(data)?)?;
        Ok(())
    }

    pub async fn close(mut self) -> Result<()> {
        let client = self.client.clone();
        client.close().await.ok();
        self.kill();
        Ok(())
    }

    fn kill(&mut self) {
        // chromedriver and the Chromium it started share a process group.
        let group = nix::unistd::Pid::from_raw(i32::try_from(self.driver.id()).unwrap_or(i32::MAX));
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Chromium's own screenshot of the whole page (through chromedriver's
/// DevTools endpoint), which WebDriver's screenshot (the window only) lacks.
#[derive(Debug)]
struct CaptureFullPage {
    width: u64,
    height: u64,
}

impl fantoccini::wd::WebDriverCompatibleCommand for CaptureFullPage {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "cmd": "Page.captureScreenshot",
            "params": {
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": self.width, "height": self.height, "scale": 1},
            },
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

async fn connect(
    webdriver: &str,
    capabilities: serde_json::Map<String, serde_json::Value>,
) -> Result<fantoccini::Client> {
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last = None;
    for _ in 0..100 {
        match fantoccini::ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(webdriver)
            .await
        {
            Ok(client) => return Ok(client),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("cannot start a Chromium session: {last:?}")
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `url` answers 200, for at most `timeout`.
pub async fn wait_for_ok(url: &str, timeout: Duration) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(response) = http().get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{url} did not answer 200 within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("random source failed: {e}"));
    bytes
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A REST API client holding an admin's token.
pub struct Api {
    pub url: String,
    pub token: String,
}

impl TestApp {
    /// An admin and an API token for them.
    pub async fn api(&self) -> Result<Api> {
        let email = "api@example.com";
        if self.store.admin_credentials(email).await?.is_none() {
            self.create_admin(email, "orbit cactus lantern 47 violet").await?;
        }
        let token = message::secret::new_api_token();
        self.store
            .create_api_token(&domain::EmailAddress::parse(email)?, "tests", &message::secret::api_token_hash(&token))
            .await?;
        Ok(Api { url: format!("{}/api/v1", self.url), token })
    }
}

impl Api {
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sends `method path` with an optional JSON body; returns the status and
    /// the JSON answer (`null` when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value)> {
        let mut request = http().request(method, format!("{}{path}", self.url)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let json = if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text)? };
        Ok((status, json))
    }

    pub async fn get(&self, path: &str) -> Result<(u16, serde_json::Value)> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Result<(u16, serde_json::Value)> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> Result<(u16, serde_json::Value)> {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Posts raw bytes (a CSV file) to `path`.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>) -> Result<(u16, serde_json::Value)> {
        let response = http()
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(bytes)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, serde_json::from_str(&response.text().await?)?))
    }

    /// Text of a GET (CSV reports).
    pub async fn text(&self, path: &str) -> Result<String> {
        Ok(http().get(format!("{}{path}", self.url)).bearer_auth(&self.token).send().await?.text().await?)
    }

    /// Polls an import until it is no longer running.
    pub async fn wait_for_import(&self, id: i64) -> Result<serde_json::Value> {
        for _ in 0..1200 {
            let (_, import) = self.get(&format!("/imports/{id}")).await?;
            if import["state"] != "running" {
                return Ok(import);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("import {id} still running after 120 s")
    }
}

/// The real reports and bounces the tests read, kept in the repository
/// under `tests/samples/<kind>` (`bounces`, `dmarc-aggregate`, `tls-rpt`;
/// `tests/samples/README.md` says where each set comes from). Tests read
/// nothing outside the checkout.
pub fn samples(kind: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(kind)
}

/// An admin with a role, a live session (and its CSRF token) and an API
/// token of their own: for tests of pages and routes over plain HTTP.
pub struct Person {
    pub email: String,
    pub session: String,
    pub csrf: String,
    pub token: String,
}

impl TestApp {
    /// A new admin `email` with `role`, logged in.
    pub async fn person(&self, email: &str, role: &str) -> Result<Person> {
        let address = domain::EmailAddress::parse(email)?;
        let hash =
            web::password::hash_blocking("orbit cactus lantern 47 violet").map_err(|e| anyhow::anyhow!("{e}"))?;
        let id = self.store.create_admin_with_role(&address, &hash, role).await?;
        let session = message::secret::random_token();
        let hour = chrono::Duration::hours(1);
        self.store.create_session(&message::secret::token_hash(&session), id, hour, "127.0.0.1".parse()?, None).await?;
        let csrf = self.key.sign("csrf", session.as_bytes());
        let token = message::secret::new_api_token();
        self.store.create_api_token(&address, "all", &message::secret::api_token_hash(&token)).await?;
        Ok(Person { email: email.into(), session, csrf, token })
    }
}

impl Person {
    /// A dashboard request with the session cookie (and the CSRF field on a
    /// POST): the status, and the page or, for a redirect, `→ <location>`.
    pub async fn page(&self, app: &TestApp, method: &str, path: &str, form: &[(&str, &str)]) -> Result<(u16, String)> {
        let url = format!("{}{path}", app.url);
        let cookie = format!("ninsho_session={}", self.session);
        let request = if method == "GET" {
            http().get(url).header(reqwest::header::COOKIE, cookie)
        } else {
            let mut fields = vec![("csrf", self.csrf.as_str())];
            fields.extend_from_slice(form);
            http().post(url).header(reqwest::header::COOKIE, cookie).form(&fields)
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        if let Some(to) = response.headers().get("location").and_then(|v| v.to_str().ok()) {
            return Ok((status, format!("→ {to}")));
        }
        Ok((status, response.text().await?))
    }

    /// A multipart form POST (the CSRF field first, then `fields`, then
    /// `file` as the field `file`): the status and the page or redirect.
    pub async fn upload(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        file: &[u8],
    ) -> Result<(u16, String)> {
        let boundary = "ninsho-test-boundary-7f3a";
        let mut body = Vec::new();
        for (name, value) in std::iter::once(&("csrf", self.csrf.as_str())).chain(fields) {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(file);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let response = http()
            .post(format!("{}{path}", app.url))
            .header(reqwest::header::COOKIE, format!("ninsho_session={}", self.session))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        if let Some(to) = response.headers().get("location").and_then(|v| v.to_str().ok()) {
            return Ok((status, format!("→ {to}")));
        }
        Ok((status, response.text().await?))
    }

    /// An API call with `token`: the status and the JSON answer.
    pub async fn api(
        &self,
        app: &TestApp,
        token: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value)> {
        let url = format!("{}/api/v1{path}", app.url);
        let mut request = http().request(method.parse()?, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text)? }))
    }
}

/// Where test webhooks may go: the receivers on loopback, which ninsho
/// refuses unless the operator allows them.
pub fn loopback_reach() -> webhooks::Reach {
    webhooks::Reach::allowing(&["127.0.0.0/8".to_owned()])
}

/// What a webhook receiver was sent: (status it answered, headers, body).
pub type WebhookLog = std::sync::Arc<std::sync::Mutex<Vec<(u16, axum::http::HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on loopback (`http://…/hook`) that answers 500 to its
/// first `failures` requests, then 200, and keeps everything it was sent.
pub async fn webhook_receiver(failures: usize) -> Result<(String, WebhookLog)> {
    let log: WebhookLog = Default::default();
    let kept = log.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let mut all = kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let status = if all.len() < failures { 500 } else { 200 };
                all.push((status, headers, body.to_vec()));
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, log))
}
