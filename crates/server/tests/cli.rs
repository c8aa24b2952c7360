//! The `ninsho` binary as a newcomer and an operator use it: quickstart on an
//! empty machine, restarts that keep data, SIGTERM, kill -9, and the clear
//! one-sentence errors of bad input.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tests::{free_port, http, wait_for_ok};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");
const EMAIL: &str = "ops@example.com";
const PASSWORD_LINE: &str = "orbit cactus lantern 47 violet\n";

/// A running `ninsho quickstart`, with the lines it prints on stdout.
struct Quickstart {
    child: Child,
    url: String,
    stdout: mpsc::Receiver<String>,
}

async fn quickstart(data_dir: &Path) -> Result<Quickstart> {
    let port = free_port()?;
    let mut child = Command::new(NINSHO)
        .args(["quickstart", "--http", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let (tx, stdout) = mpsc::channel();
    let out = child.stdout.take().context("no stdout")?;
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    wait_for_ok(&format!("{url}/healthz"), Duration::from_secs(120)).await?;
    Ok(Quickstart { child, url, stdout })
}

impl Drop for Quickstart {
    /// A failed assertion must not leave ninsho and its PostgreSQL running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(0)), Signal::SIGTERM);
            for _ in 0..300 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
        }
    }
}

impl Quickstart {
    fn printed(&self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(200));
        self.stdout.try_iter().collect()
    }

    fn signal(&self, signal: Signal) -> Result<()> {
        kill(Pid::from_raw(i32::try_from(self.child.id())?), signal)?;
        Ok(())
    }

    fn wait(&mut self) -> Result<std::process::ExitStatus> {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill()?;
        bail!("ninsho did not stop within 30 s")
    }
}

fn procfs_total_mb() -> Result<u64> {
    let info = std::fs::read_to_string("/proc/meminfo")?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_default();
    Ok(kb / 1024)
}

fn postgres_running(data_dir: &Path) -> Result<bool> {
    let output = Command::new("pgrep").arg("-f").arg(data_dir.join("postgres")).output()?;
    Ok(output.status.success())
}

fn ninsho(args: &[&str], data_dir: &Path, stdin: &str) -> Result<Output> {
    let mut child = Command::new(NINSHO)
        .args(args)
        .env("NINSHO__DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().context("no stdin")?.write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

fn create_admin(data_dir: &Path, password_line: &str) -> Result<Output> {
    ninsho(&["admin", "create", "--email", EMAIL, "--password-stdin"], data_dir, password_line)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn location(url: &str) -> Result<Option<String>> {
    let response = http().get(url).send().await?;
    Ok(response.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from))
}

#[tokio::test]
async fn quickstart_keeps_data_across_restarts_and_sigterm_stops_postgres() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("data");

    let mut first = quickstart(&data_dir).await?;
    let printed = first.printed().join("\n");
    assert!(printed.contains("/setup?token="), "no setup link printed: {printed}");
    assert_eq!(location(&first.url).await?.as_deref(), Some("/setup"));
    // The private cluster is tuned for the machine, not left at PostgreSQL's 128 MB.
    let conf = std::fs::read_to_string(data_dir.join("postgres/postgresql.conf"))?;
    let buffers: u64 = conf
        .lines()
        .find_map(|l| l.strip_prefix("shared_buffers = ")?.strip_suffix("MB")?.parse().ok())
        .unwrap_or_default();
    assert_eq!(buffers, pgcluster::buffer_cache_mb(), "{conf}");
    assert!(buffers > 128 || procfs_total_mb()? < 1024, "{conf}");

    // An admin command next to the running server uses its cluster and leaves it running.
    let weak = create_admin(&data_dir, "password\n")?;
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("at least 12 characters"), "{}", stderr(&weak));
    let created = create_admin(&data_dir, PASSWORD_LINE)?;
    assert!(created.status.success(), "{}", stderr(&created));
    assert_eq!(http().get(format!("{}/healthz", first.url)).send().await?.status(), 200);
    // The admin command is in the audit log (the weak-password one stopped
    // before it reached the database); the password is not.
    let audit = ninsho(&["audit", "--search", "ninsho admin"], &data_dir, "")?;
    let log = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(audit.status.success(), "{}", stderr(&audit));
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("[cli]") && log.contains(EMAIL) && log.contains("Create"), "{log}");
    assert!(!log.contains(PASSWORD_LINE.trim()), "{log}");

    first.signal(Signal::SIGTERM)?;
    assert!(first.wait()?.success());
    assert!(!postgres_running(&data_dir)?, "postgres still runs after SIGTERM");
    assert!(!data_dir.join("postgres/postmaster.pid").exists());

    // A cluster made by an earlier ninsho (initdb's 128 MB, no setting of
    // ours) gets the buffer cache on its next start.
    let conf_path = data_dir.join("postgres/postgresql.conf");
    let ours = conf.find("# A quarter").expect("the buffer cache setting");
    std::fs::write(&conf_path, &conf[..ours])?;

    // Second run: the admin is still there, so no setup link and / leads to login.
    let mut second = quickstart(&data_dir).await?;
    let updated = std::fs::read_to_string(&conf_path)?;
    assert!(updated.ends_with(&format!("shared_buffers = {buffers}MB\n")), "{updated}");
    assert_eq!(location(&second.url).await?.as_deref(), Some("/login"));
    assert!(!second.printed().join("\n").contains("/setup?token="));
    second.signal(Signal::SIGINT)?;
    assert!(second.wait()?.success());
    assert!(!postgres_running(&data_dir)?);
    Ok(())
}

#[tokio::test]
async fn after_kill_9_a_restart_adopts_the_running_postgres() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("data");
    let mut first = quickstart(&data_dir).await?;
    let created = create_admin(&data_dir, PASSWORD_LINE)?;
    assert!(created.status.success(), "{}", stderr(&created));
    first.signal(Signal::SIGKILL)?;
    first.wait()?;
    assert!(postgres_running(&data_dir)?, "postgres should outlive a killed ninsho");

    let mut second = quickstart(&data_dir).await?;
    assert_eq!(location(&second.url).await?.as_deref(), Some("/login"));
    second.signal(Signal::SIGTERM)?;
    assert!(second.wait()?.success());
    assert!(!postgres_running(&data_dir)?, "the adopted postgres was not stopped");
    Ok(())
}

/// Runs `ninsho quickstart` expected to fail, and returns what it printed.
fn failing_quickstart(http_addr: &str, data_dir: &Path) -> Result<String> {
    let output =
        ninsho(&["quickstart", "--http", http_addr, "--data-dir", &data_dir.display().to_string()], data_dir, "")?;
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    Ok(err)
}

#[test]
fn a_busy_port_is_one_clear_sentence() -> Result<()> {
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = busy.local_addr()?.to_string();
    let tmp = tempfile::tempdir()?;
    let err = failing_quickstart(&addr, tmp.path())?;
    assert!(err.contains(&format!("cannot listen on {addr}")) && err.contains("in use"), "{err}");
    Ok(())
}

#[test]
fn an_unusable_data_dir_is_one_clear_sentence() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"")?;
    let dir = file.join("data");
    let err = failing_quickstart(&format!("127.0.0.1:{}", free_port()?), &dir)?;
    assert!(err.contains(&format!("cannot create the data directory {}", dir.display())), "{err}");
    Ok(())
}

#[test]
fn a_malformed_config_names_file_key_and_line() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let config = tmp.path().join("ninsho.toml");
    std::fs::write(
        &config,
        "# ninsho\n[http]\npublic_url = \"https://news.example.com\"\nlisten = \"127.0.0.1:99999\"\n",
    )?;
    let output = ninsho(&["serve", "--config", &config.display().to_string()], tmp.path(), "")?;
    assert!(!output.status.success());
    let err = stderr(&output);
    let names_all =
        err.contains(&config.display().to_string()) && err.contains("line 4") && err.contains("http.listen");
    assert!(names_all, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    Ok(())
}

#[test]
fn missing_postgres_programs_name_the_package() -> Result<()> {
    // Hide the PostgreSQL installation in a private mount namespace (root only).
    if !Command::new("unshare").args(["--mount", "true"]).status().is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: this test needs to create a mount namespace (run it as root)");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let script = format!(
        "mount -t tmpfs tmpfs /usr/lib/postgresql && exec {NINSHO} quickstart --http 127.0.0.1:{} --data-dir {}/data",
        free_port()?,
        tmp.path().display()
    );
    let output =
        Command::new("unshare").args(["--mount", "--", "sh", "-c", &script]).env("PATH", "/usr/bin:/bin").output()?;
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("apt-get install postgresql"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    Ok(())
}

#[test]
fn api_tokens_are_printed_once_and_unknown_admins_refused() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("data");
    let token_args = ["admin", "token", "create", "--email", EMAIL, "--name", "ci"];
    let unknown = ninsho(&token_args, &data_dir, "")?;
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains(&format!("no admin has the email {EMAIL}")), "{}", stderr(&unknown));
    let created = create_admin(&data_dir, PASSWORD_LINE)?;
    assert!(created.status.success(), "{}", stderr(&created));
    let token = ninsho(&token_args, &data_dir, "")?;
    assert!(token.status.success(), "{}", stderr(&token));
    let printed = String::from_utf8_lossy(&token.stdout);
    assert!(printed.trim().starts_with("nsh_") && printed.trim().len() > 40, "{printed}");
    // A password reset says the token still works, and revokes it when asked.
    let reset = ["admin", "reset-password", "--email", EMAIL, "--password-stdin"];
    let kept = ninsho(&reset, &data_dir, "another orbit cactus lantern 48\n")?;
    assert!(kept.status.success(), "{}", stderr(&kept));
    let said = String::from_utf8_lossy(&kept.stdout);
    assert!(said.contains("1 API token(s) of theirs still work (ci)") && said.contains("--revoke-tokens"), "{said}");
    let revoke = [&reset[..], &["--revoke-tokens"]].concat();
    let revoked = ninsho(&revoke, &data_dir, "yet another orbit cactus lantern 49\n")?;
    let said = String::from_utf8_lossy(&revoked.stdout);
    assert!(revoked.status.success() && said.contains("1 API token(s) of theirs revoked"), "{said}");
    let again = ninsho(&reset, &data_dir, "and one more orbit cactus lantern 50\n")?;
    assert!(!String::from_utf8_lossy(&again.stdout).contains("still work"), "no token left");
    // The one-off commands started the cluster themselves, so they stopped it.
    assert!(!postgres_running(&data_dir)?);
    Ok(())
}

#[test]
fn reports_import_reads_directories_and_archives_and_keeps_what_it_cannot_read() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("data");
    let dir = tmp.path().join("reports");
    std::fs::create_dir_all(dir.join("tls"))?;
    let dmarc = tests::samples("dmarc-aggregate");
    for entry in std::fs::read_dir(&dmarc)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "xml") {
            std::fs::copy(&path, dir.join(path.file_name().context("a name")?))?;
        }
    }
    for entry in std::fs::read_dir(tests::samples("tls-rpt"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dir.join("tls").join(path.file_name().context("a name")?))?;
        }
    }
    // One report also gzipped (a duplicate), and a file that is no report.
    std::fs::copy(dmarc.join("google.xml"), tmp.path().join("google.xml"))?;
    assert!(Command::new("gzip").arg(tmp.path().join("google.xml")).status()?.success());
    std::fs::rename(tmp.path().join("google.xml.gz"), dir.join("google.xml.gz"))?;
    std::fs::write(dir.join("notes.txt"), "not a report")?;

    let path = dir.to_string_lossy().into_owned();
    let first = ninsho(&["reports", "import", &path], &data_dir, "")?;
    let printed = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(!first.status.success(), "a file could not be read: {printed}");
    assert!(stderr(&first).contains("1 file(s) could not be read; they are kept"), "{}", stderr(&first));
    assert!(
        printed
            .contains("google.xml: imported DMARC report 3166094538684628578 from google.com for foo-bar.io: 1 rows"),
        "{printed}"
    );
    assert!(
        printed
            .contains("google.xml.gz (google.xml): DMARC report 3166094538684628578 from google.com: had it already"),
        "{printed}"
    );
    assert!(printed.contains("notes.txt: not imported: neither a DMARC aggregate report"), "{printed}");
    assert!(printed.contains("16 imported, 1 already had, 1 could not be read"), "{printed}");

    std::fs::remove_file(dir.join("notes.txt"))?;
    let second = ninsho(&["reports", "import", &path], &data_dir, "")?;
    let printed = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(second.status.success(), "{printed}{}", stderr(&second));
    assert!(printed.contains("0 imported, 17 already had, 0 could not be read"), "{printed}");
    Ok(())
}

#[test]
fn reports_import_reads_each_fault_as_far_as_it_goes_and_says_what_it_assumed() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("data");
    let dir = tmp.path().join("faults");
    std::fs::create_dir_all(&dir)?;
    let mut copied = 0;
    for entry in std::fs::read_dir(tests::samples("dmarc-faults"))? {
        let path = entry?.path();
        let name = path.file_name().context("a name")?.to_string_lossy().into_owned();
        if [".xml", ".gz", ".zip", ".eml"].iter().any(|x| name.ends_with(x)) {
            std::fs::copy(&path, dir.join(&name))?;
            copied += 1;
        }
    }
    assert_eq!(copied, 16, "one file per fault class");
    let out = ninsho(&["reports", "import", &dir.to_string_lossy()], &data_dir, "")?;
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{printed}");
    let line = |file: &str| printed.lines().find(|l| l.contains(&format!("/{file}"))).unwrap_or_default().to_owned();
    for (file, said) in [
        ("truncated.xml.gz", "18 rows; the compressed stream breaks off"),
        ("unescaped-markup.xml", "6 rows; not well-formed XML at byte"),
        ("empty-org-name.xml", "6 rows; org_name was empty: the reporter is taken to be reports.example.net"),
        ("latin1.xml", "from Télécom Exemple for example.com: 6 rows"),
        ("utf16.xml", "for example.com: 6 rows"),
        ("bom-namespace.xml", "for example.com: 6 rows"),
        ("concatenated.xml.gz", "for example.com: 6 rows"),
        ("mislabelled-gz.zip", "for example.com: 6 rows"),
        ("mislabelled-zip.xml.gz", "for example.com: 6 rows"),
        ("report-mail-text-plain.eml", "for example.com: 6 rows"),
        ("large-2286-records.xml.gz", "for example.com: 2286 rows"),
        ("garbage.xml.gz", "not imported: cannot decompress"),
        ("no-date-range.xml", "6 rows; no date_range: the day before the report arrived is assumed"),
    ] {
        assert!(line(file).contains(said), "{file}: {}", line(file));
    }
    assert!(printed.contains("15 imported, 0 already had, 1 could not be read"), "{printed}");
    assert!(stderr(&out).contains("1 file(s) could not be read; they are kept"), "{}", stderr(&out));
    Ok(())
}
