//! A private PostgreSQL cluster that ninsho (or its test harness) owns: created
//! with `initdb` on first use, started and stopped with `pg_ctl`, reachable only
//! through a unix socket inside its own data directory (no TCP port).
//!
//! PostgreSQL refuses to run as root. When we are root, the cluster runs as the
//! unprivileged `postgres` account (created by Debian's packages) and its data
//! directory belongs to that account; otherwise it runs as ourselves.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nix::unistd::{Uid, User};

/// The database superuser that `initdb` creates.
pub const SUPERUSER: &str = "ninsho";
/// Port number of the socket file (`.s.PGSQL.5432`); no TCP port is opened.
pub const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; the socket file name adds 16.
const MAX_SOCKET_DIR_LEN: usize = 90;
/// util-linux's runuser; called by full path because root's PATH from `su`
/// may lack /usr/sbin.
const RUNUSER: &str = "/usr/sbin/runuser";
/// The unprivileged account that runs the cluster when we are root.
const ROOT_RUN_AS: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin; \
         install them with `apt-get install postgresql` (Debian/Ubuntu) or point PATH at them"
    )]
    BinariesMissing,
    #[error(
        "ninsho runs as root and PostgreSQL refuses to; it needs the unprivileged account `{ROOT_RUN_AS}` \
         (created by `apt-get install postgresql`), or run ninsho as a normal user"
    )]
    NoUnprivilegedAccount,
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error(
        "the `{ROOT_RUN_AS}` account cannot write to {0}; choose a data directory whose parents \
         are searchable by other users (for example /var/lib/ninsho)"
    )]
    Unreachable(PathBuf),
    #[error("the database directory {0} is too long for a unix socket or not UTF-8; choose a shorter --data-dir")]
    BadPath(PathBuf),
    #[error("{program} failed: {detail}")]
    Command { program: String, detail: String },
}

/// Where the PostgreSQL server programs live.
#[derive(Debug, Clone)]
pub struct Binaries {
    bin_dir: PathBuf,
}

impl Binaries {
    /// Finds `initdb` and `pg_ctl` on `PATH`, then in the newest
    /// `/usr/lib/postgresql/*/bin` (Debian does not put them on `PATH`).
    pub fn locate() -> Result<Self, ClusterError> {
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|dir| fs::canonicalize(dir.join("initdb")).ok())
            .filter_map(|initdb| initdb.parent().map(Path::to_path_buf));
        let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        debian.sort();
        on_path
            .chain(debian.into_iter().rev().map(|(_, dir)| dir))
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
            .map(|bin_dir| Self { bin_dir })
            .ok_or(ClusterError::BinariesMissing)
    }

    fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// The buffer cache for a new cluster: a quarter of the memory, from 128 MB
/// (PostgreSQL's default) to 8 GB. In a container `/proc/meminfo` shows the
/// host's memory, so the cgroup's limit counts when it is lower.
pub fn buffer_cache_mb() -> u64 {
    let read_kb = |path: &str, field: &str| -> Option<u64> {
        let text = fs::read_to_string(path).ok()?;
        if field.is_empty() {
            return text.trim().parse::<u64>().ok().map(|bytes| bytes / 1024);
        }
        text.lines().find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
    };
    let memory_kb = [
        read_kb("/proc/meminfo", "MemTotal:"),
        read_kb("/sys/fs/cgroup/memory.max", ""),
        read_kb("/sys/fs/cgroup/memory/memory.limit_in_bytes", ""),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(0);
    (memory_kb / 1024 / 4).clamp(128, 8192)
}

const BUFFER_CACHE_NOTE: &str = "# A quarter of the machine's memory";

/// The `shared_buffers` lines ninsho writes.
fn buffer_cache_setting() -> String {
    format!(
        "{BUFFER_CACHE_NOTE}, PostgreSQL's advice for a\n\
         # server of its own: with the default 128 MB a segment count over\n\
         # a million subscribers re-reads its pages from the kernel.\n\
         shared_buffers = {}MB\n",
        buffer_cache_mb()
    )
}

/// Whether `conf` (a `postgresql.conf`) still has initdb's 128 MB buffer
/// cache and no ninsho setting: a cluster made by an earlier ninsho, which
/// gets the setting on its next start. A value set by hand is left alone.
fn wants_buffer_cache(conf: &str) -> bool {
    let last = conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("shared_buffers"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|value| value.split('#').next().unwrap_or_default().trim().trim_matches('\''))
        .next_back();
    !conf.contains(BUFFER_CACHE_NOTE) && last.is_none_or(|value| value == "128MB")
}

/// How the cluster is tuned: durable for real data, fast for throwaway tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    /// `fsync = off`: a crash of the machine may corrupt the cluster. Tests only.
    Throwaway,
}

/// This process's registration as a user of a cluster (a shared file lock):
/// hand it back to [`PrivateCluster::release`].
#[derive(Debug)]
pub struct Usage {
    _lock: File,
}

/// One private cluster in `data_dir`.
#[derive(Debug, Clone)]
pub struct PrivateCluster {
    data_dir: PathBuf,
    binaries: Binaries,
    run_as: Option<User>,
    durability: Durability,
}

impl PrivateCluster {
    pub fn new(data_dir: impl Into<PathBuf>, durability: Durability) -> Result<Self, ClusterError> {
        let data_dir = absolute(data_dir.into());
        if data_dir.as_os_str().len() > MAX_SOCKET_DIR_LEN || data_dir.to_str().is_none() {
            return Err(ClusterError::BadPath(data_dir));
        }
        let binaries = Binaries::locate()?;
        let run_as = if Uid::effective().is_root() {
            let user = User::from_name(ROOT_RUN_AS).ok().flatten().ok_or(ClusterError::NoUnprivilegedAccount)?;
            Some(user)
        } else {
            None
        };
        Ok(Self { data_dir, binaries, run_as, durability })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The directory holding the server's unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Creates the cluster if needed, starts it unless it already runs (a
    /// previous ninsho that was killed leaves it running: we adopt it), and
    /// registers this process as one of its users. Safe to call from several
    /// processes at once.
    pub fn start(&self) -> Result<Usage, ClusterError> {
        let _lock = self.lock()?;
        if !self.data_dir.join("PG_VERSION").is_file() {
            self.init()?;
        }
        let usage = self.register()?;
        if self.is_running()? {
            tracing::info!(dir = %self.data_dir.display(), "private PostgreSQL already running; using it");
            return Ok(usage);
        }
        self.update_buffer_cache()?;
        let log = self.data_dir.join("server.log");
        let output = self.run(
            "pg_ctl",
            &["start", "--wait", "--timeout=120", "--silent", "-D", path_str(&self.data_dir), "-l", path_str(&log)],
        )?;
        if !output.status.success() {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(command_error("pg_ctl start", &output, &tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
        }
        tracing::info!(dir = %self.data_dir.display(), "private PostgreSQL started");
        Ok(usage)
    }

    /// Ends this process's use of the cluster and stops it when no other
    /// process uses it (a server next to a one-off `ninsho admin` command
    /// keeps it running). Returns whether it was stopped.
    pub fn release(&self, usage: Usage) -> Result<bool, ClusterError> {
        let _lock = self.lock()?;
        drop(usage);
        let users = self.users_file()?;
        match users.try_lock() {
            Ok(()) => {
                self.stop()?;
                Ok(true)
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::info!(dir = %self.data_dir.display(), "private PostgreSQL left running for its other users");
                Ok(false)
            }
            Err(std::fs::TryLockError::Error(source)) => {
                Err(ClusterError::CreateDir { path: self.data_dir.with_extension("users"), source })
            }
        }
    }

    /// Stops the cluster (fast mode: open transactions are rolled back),
    /// whoever uses it.
    pub fn stop(&self) -> Result<(), ClusterError> {
        if !self.is_running()? {
            return Ok(());
        }
        let output =
            self.run("pg_ctl", &["stop", "--wait", "--silent", "-m", "fast", "-D", path_str(&self.data_dir)])?;
        if !output.status.success() {
            return Err(command_error("pg_ctl stop", &output, ""));
        }
        tracing::info!(dir = %self.data_dir.display(), "private PostgreSQL stopped");
        Ok(())
    }

    /// A shared lock on the users file for as long as this process uses the
    /// cluster; the kernel drops it if the process dies.
    fn register(&self) -> Result<Usage, ClusterError> {
        let file = self.users_file()?;
        file.lock_shared()
            .map_err(|source| ClusterError::CreateDir { path: self.data_dir.with_extension("users"), source })?;
        Ok(Usage { _lock: file })
    }

    fn users_file(&self) -> Result<File, ClusterError> {
        let path = self.data_dir.with_extension("users");
        File::create(&path).map_err(|source| ClusterError::CreateDir { path, source })
    }

    pub fn is_running(&self) -> Result<bool, ClusterError> {
        if !self.data_dir.join("postmaster.pid").exists() {
            return Ok(false);
        }
        let output = self.run("pg_ctl", &["status", "-D", path_str(&self.data_dir)])?;
        Ok(output.status.success())
    }

    /// Runs initdb into a sibling directory and renames it into place once
    /// it is configured, so a crash half-way never leaves a cluster with
    /// default (TCP) settings behind.
    fn init(&self) -> Result<(), ClusterError> {
        let staging = self.data_dir.with_extension("init");
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|source| ClusterError::CreateDir { path: staging.clone(), source })?;
        }
        self.prepare_dir(&staging)?;
        let output = self.run(
            "initdb",
            &[
                "-D",
                path_str(&staging),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
        )?;
        if !output.status.success() {
            return Err(command_error("initdb", &output, ""));
        }
        // Trust is safe because the socket is the only way in and it lives in a
        // directory only the cluster's owner (and root) can enter.
        let config_err = |source| ClusterError::CreateDir { path: staging.clone(), source };
        let mut conf = OpenOptions::new().append(true).open(staging.join("postgresql.conf")).map_err(config_err)?;
        let mut settings = format!(
            "\n# Written by ninsho: a private cluster, unix socket only.\n\
             listen_addresses = ''\n\
             unix_socket_directories = '{}'\n\
             unix_socket_permissions = 0700\n\
             max_connections = 200\n\
             # JIT needs writable+executable memory, which the systemd unit forbids.\n\
             jit = off\n{}",
            self.data_dir.display().to_string().replace('\'', "''"),
            buffer_cache_setting()
        );
        if self.durability == Durability::Throwaway {
            settings.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        conf.write_all(settings.as_bytes()).and_then(|()| conf.sync_all()).map_err(config_err)?;
        fs::rename(&staging, &self.data_dir).map_err(config_err)?;
        tracing::info!(dir = %self.data_dir.display(), "private PostgreSQL cluster created");
        Ok(())
    }

    /// Gives a cluster made by an earlier ninsho the buffer cache new ones
    /// get (before it starts: the setting needs a restart).
    fn update_buffer_cache(&self) -> Result<(), ClusterError> {
        let path = self.data_dir.join("postgresql.conf");
        let config_err = |source| ClusterError::CreateDir { path: path.clone(), source };
        let conf = fs::read_to_string(&path).map_err(config_err)?;
        if !wants_buffer_cache(&conf) {
            return Ok(());
        }
        let mut file = OpenOptions::new().append(true).open(&path).map_err(config_err)?;
        let setting = format!("\n{}", buffer_cache_setting());
        file.write_all(setting.as_bytes()).and_then(|()| file.sync_all()).map_err(config_err)?;
        tracing::info!(dir = %self.data_dir.display(), "private PostgreSQL buffer cache set to a quarter of the memory");
        Ok(())
    }

    /// Creates `dir` owned by the account that runs the cluster.
    fn prepare_dir(&self, dir: &Path) -> Result<(), ClusterError> {
        let create_err = |source| ClusterError::CreateDir { path: dir.to_path_buf(), source };
        fs::create_dir_all(dir).map_err(create_err)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(create_err)?;
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(dir, Some(user.uid.as_raw()), Some(user.gid.as_raw())).map_err(create_err)?;
            let reachable = self.run("test", &["-w", path_str(dir)])?;
            if !reachable.status.success() {
                return Err(ClusterError::Unreachable(dir.to_path_buf()));
            }
        }
        Ok(())
    }

    /// Serialises `start` between processes (parallel test binaries, two
    /// ninsho commands started at once).
    fn lock(&self) -> Result<File, ClusterError> {
        let path = self.data_dir.with_extension("lock");
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| ClusterError::CreateDir { path: parent.into(), source })?;
        }
        let file = File::create(&path).map_err(|source| ClusterError::CreateDir { path: path.clone(), source })?;
        file.lock().map_err(|source| ClusterError::CreateDir { path, source })?;
        Ok(file)
    }

    /// Runs a PostgreSQL program (or `test`) as the cluster's account.
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ClusterError> {
        let path = if program == "test" { PathBuf::from("test") } else { self.binaries.program(program) };
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new(RUNUSER);
                c.args(["-u", &user.name, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        command.args(args).current_dir("/");
        command.output().map_err(|e| ClusterError::Command {
            program: program.into(),
            detail: format!("cannot run {}: {e}", path.display()),
        })
    }
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// Paths under the data directory are UTF-8: `new` refuses any other.
fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn command_error(program: &str, output: &Output, extra: &str) -> ClusterError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut detail = format!("{} {}", stderr.trim(), stdout.trim()).trim().to_string();
    if !extra.is_empty() {
        detail.push('\n');
        detail.push_str(extra);
    }
    if detail.is_empty() {
        detail = format!("exit status {}", output.status);
    }
    ClusterError::Command { program: program.into(), detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clusters_left_at_initdb_buffers_get_the_setting() {
        let initdb = "max_connections = 100\nshared_buffers = 128MB\t\t\t# min 128kB\n#shared_buffers = 1GB\n";
        assert!(wants_buffer_cache(initdb));
        assert!(wants_buffer_cache("listen_addresses = ''\n"));
        assert!(!wants_buffer_cache(&format!("{initdb}{}", buffer_cache_setting())));
        assert!(!wants_buffer_cache(&format!("{initdb}shared_buffers = '2GB'\n")), "set by hand");
    }
}
