//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "ninsho", version, about = "Self-hosted, authenticated newsletter delivery")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start ninsho with a private PostgreSQL cluster, in sandbox delivery mode.
    /// Data is kept: run it again and everything is still there.
    Quickstart {
        /// Where to keep the data [default: /var/lib/ninsho as root,
        /// ~/.local/share/ninsho otherwise].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Address of the dashboard [default: 127.0.0.1:8080, or http.listen
        /// from NINSHO__HTTP__LISTEN].
        #[arg(long)]
        http: Option<SocketAddr>,
    },
    /// Run ninsho from a configuration file (the production path).
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// What this process does; several processes on one database can
        /// share the work.
        #[arg(long, value_delimiter = ',', default_value = "web,deliver")]
        roles: Vec<Role>,
    },
    /// Apply database migrations, then exit.
    Migrate {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Sending domains and their DKIM keys.
    Domain {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: DomainCommand,
    },
    /// Check sending domains' DNS (DKIM, SPF, DMARC, PTR) as receivers see
    /// it, through delivery.nameservers; exits 1 when something fails.
    Doctor {
        #[arg(long)]
        config: Option<PathBuf>,
        /// One domain [default: every sending domain].
        domain: Option<String>,
    },
    /// Print the audit log, newest first: every change by a person, token
    /// or admin command.
    Audit {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Only entries whose actor, action, address or details contain this.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// DMARC aggregate and SMTP TLS reports.
    Reports {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: ReportsCommand,
    },
    /// SMTP submission credentials: who may send through the submission role.
    Credential {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: CredentialCommand,
    },
    /// Manage admin accounts and API tokens.
    Admin {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a sending domain: generates its DKIM keys (RSA-2048, and Ed25519
    /// with --ed25519) and prints the DNS records to publish.
    Add {
        domain: String,
        #[arg(long)]
        ed25519: bool,
    },
    /// List the sending domains and every DNS record each should have.
    List,
    /// Rotate a domain's DKIM keys: new keys under new selectors sign once
    /// their records are seen in DNS; the old ones stay published 7 days.
    Rotate { domain: String },
    /// Set the source addresses a domain's mail may leave from (its SPF
    /// must name them); none: any of the delivery nodes' addresses.
    Ips { domain: String, ips: Vec<std::net::IpAddr> },
    /// S/MIME-sign every message of a domain (before DKIM) with a
    /// certificate and key: a PEM bundle, or a PKCS#12 file; a password (of
    /// the PKCS#12 file or an encrypted key) is read from standard input;
    /// --off stops.
    Smime {
        domain: String,
        /// A PEM file with the certificate (and its chain) and the key.
        #[arg(long, conflicts_with_all = ["p12", "off"])]
        pem: Option<PathBuf>,
        /// A PKCS#12 (.p12/.pfx) file; its password comes from stdin.
        #[arg(long, conflicts_with = "off")]
        p12: Option<PathBuf>,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Create a credential; its password is printed once. With --no-password
    /// its networks send without logging in (devices that cannot).
    Create {
        /// The user name applications log in with.
        username: String,
        /// A domain its From may name (and its subdomains); repeat for more.
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
        /// A network (CIDR) it may send from; repeat for more [default: anywhere].
        #[arg(long = "network")]
        networks: Vec<ipnet::IpNet>,
        /// Messages a minute (0: no limit).
        #[arg(long, default_value_t = 600)]
        per_minute: i32,
        /// Messages a day (0: no limit).
        #[arg(long, default_value_t = 100_000)]
        per_day: i32,
        /// Keep what it sends until an operator releases it.
        #[arg(long)]
        hold: bool,
        /// No password: only its --network addresses, without logging in.
        #[arg(long)]
        no_password: bool,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the credentials.
    List,
    /// Revoke a credential: its logins and networks stop at once.
    Revoke { username: String },
}

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Import report files (XML, .xml.gz, .zip, .eml, TLS-RPT JSON) or
    /// directories of them; exits 1 when one could not be read (it is kept
    /// with the reason all the same).
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The dashboard, public pages, API, health and metrics.
    Web,
    /// The delivery engine: starts due campaigns and sends their messages.
    Deliver,
    /// The SMTP listener for bounces, complaints, reports and mailto
    /// unsubscribes (`inbound.listen`).
    Inbound,
    /// SMTP submission for applications with a credential
    /// (`submission.listen`, 587 STARTTLS; `submission.listen_tls`, 465).
    Submission,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin account; the password is asked for (or read from stdin).
    Create {
        #[arg(long)]
        email: String,
        /// owner (everything), marketer, analyst or operator.
        #[arg(long, default_value = "owner")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an admin and end all of their sessions; their
    /// API tokens are kept unless --revoke-tokens.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
        /// Also revoke every API token of theirs (after a leak, do).
        #[arg(long)]
        revoke_tokens: bool,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an admin and print it (once).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}
