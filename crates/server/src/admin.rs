//! `ninsho admin …`: accounts and API tokens from a shell.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use domain::EmailAddress;

use crate::cli::{AdminCommand, TokenCommand};
use crate::database::Database;

/// An admin command with its input read and checked, ready to run.
pub enum Action {
    Create { email: EmailAddress, role: domain::Role, password: String },
    ResetPassword { email: EmailAddress, password: String, revoke_tokens: bool },
    CreateToken { email: EmailAddress, name: String },
}

impl Action {
    /// Parses the arguments and reads any new password (before the database
    /// is opened, so that a mistake costs nothing).
    pub fn prepare(command: AdminCommand) -> Result<Self> {
        Ok(match command {
            AdminCommand::Create { email, role, password_stdin } => {
                let email = parse_email(&email)?;
                let role = role.parse::<domain::Role>().map_err(anyhow::Error::msg)?;
                let password = new_password(&email, password_stdin)?;
                Self::Create { email, role, password }
            }
            AdminCommand::ResetPassword { email, password_stdin, revoke_tokens } => {
                let email = parse_email(&email)?;
                let password = new_password(&email, password_stdin)?;
                Self::ResetPassword { email, password, revoke_tokens }
            }
            AdminCommand::Token { command: TokenCommand::Create { email, name } } => {
                let name = name.trim().to_string();
                if name.is_empty() || name.chars().count() > 100 {
                    bail!("the token name must have 1 to 100 characters");
                }
                Self::CreateToken { email: parse_email(&email)?, name }
            }
        })
    }

    pub async fn run(self, db: &Database) -> Result<()> {
        match self {
            Self::Create { email, role, password } => {
                let hash = hash(password).await?;
                let id = db.store().create_admin_with_role(&email, &hash, role.as_str()).await?;
                println!("admin {email} created (id {id}, role {role})");
            }
            Self::ResetPassword { email, password, revoke_tokens } => {
                let hash = hash(password).await?;
                let admin = db.store().set_admin_password(&email, &hash).await.map_err(|e| unknown(e, &email))?;
                println!("password of {} changed; their sessions were ended", admin.email);
                let tokens = db.store().api_tokens(admin.id).await?;
                if revoke_tokens {
                    for token in &tokens {
                        db.store().revoke_api_token(admin.id, token.id).await?;
                    }
                    println!("{} API token(s) of theirs revoked", tokens.len());
                } else if !tokens.is_empty() {
                    let names: Vec<&str> = tokens.iter().map(|t| t.name.as_str()).collect();
                    println!(
                        "{} API token(s) of theirs still work ({}); if the password leaked, run this again \
                         with --revoke-tokens",
                        tokens.len(),
                        names.join(", ")
                    );
                }
            }
            Self::CreateToken { email, name } => {
                let token = message::secret::new_api_token();
                db.store()
                    .create_api_token(&email, &name, &message::secret::api_token_hash(&token))
                    .await
                    .map_err(|e| unknown(e, &email))?;
                eprintln!("API token {name:?} created for {email}. It is shown once; store it now:");
                println!("{token}");
            }
        }
        Ok(())
    }
}

fn parse_email(raw: &str) -> Result<EmailAddress> {
    EmailAddress::parse(raw).with_context(|| format!("{raw:?} is not a valid email address"))
}

fn unknown(error: store::StoreError, email: &EmailAddress) -> anyhow::Error {
    match error {
        store::StoreError::NotFound(_) => anyhow::anyhow!("no admin has the email {email}"),
        other => other.into(),
    }
}

async fn hash(password: String) -> Result<String> {
    web::password::hash(password).await.map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// Reads a new password (asked twice on a terminal, one line of stdin
/// otherwise) and checks it against the policy.
fn new_password(email: &EmailAddress, from_stdin: bool) -> Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password(format!("New password for {email}: "))?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        first
    };
    web::password::check_policy(&password, &[email.as_str()])?;
    Ok(password)
}

/// `ninsho credential …`: SMTP submission credentials from a shell.
pub async fn credential(db: &Database, command: crate::cli::CredentialCommand) -> Result<()> {
    use crate::cli::CredentialCommand;
    match command {
        CredentialCommand::Create {
            username,
            domains,
            networks,
            per_minute,
            per_day,
            hold,
            no_password,
            description,
        } => {
            let (new, password) = submission::new_credential(
                &username,
                &domains,
                &networks,
                per_minute,
                per_day,
                hold,
                !no_password,
                &description,
            )?;
            let created = db.store().create_credential(&new).await?;
            let known = db.store().sending_domain_names().await?;
            for d in created.domains.iter().filter(|d| !known.contains(d)) {
                eprintln!("note: {d} is not a sending domain yet; add it with `ninsho domain add {d}` before sending");
            }
            match password {
                Some(password) => {
                    eprintln!("credential {:?} created. Its password is shown once; store it now:", created.username);
                    println!("{password}");
                }
                None => {
                    let nets: Vec<String> = created.networks.iter().map(ToString::to_string).collect();
                    println!(
                        "credential {:?} created: {} may send without logging in",
                        created.username,
                        nets.join(", ")
                    );
                }
            }
        }
        CredentialCommand::List => {
            for c in db.store().credentials().await? {
                let networks = if c.networks.is_empty() {
                    "anywhere".to_owned()
                } else {
                    c.networks.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
                };
                let login = if c.network_only { "no login" } else { "password" };
                let used = c
                    .last_used_at
                    .map_or_else(|| "never used".into(), |t| format!("last used {}", t.format("%Y-%m-%d %H:%M")));
                println!(
                    "{}  [{login}]  domains {}  from {networks}  {}/min {}/day{}  {used}",
                    c.username,
                    c.domains.join(","),
                    c.per_minute,
                    c.per_day,
                    if c.hold { "  HOLD" } else { "" }
                );
            }
        }
        CredentialCommand::Revoke { username } => {
            if !db.store().revoke_credential(&username).await? {
                bail!("no credential {username:?}");
            }
            println!("credential {username:?} revoked");
        }
    }
    Ok(())
}
