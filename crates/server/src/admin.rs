//! `ninsho admin …`: accounts and API tokens from a shell.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use domain::EmailAddress;

use crate::database::Database;

pub async fn create(db: &Database, email: &str, from_stdin: bool) -> Result<()> {
    let email = EmailAddress::parse(email).with_context(|| format!("{email:?} is not a valid email address"))?;
    let password = new_password(&email, from_stdin)?;
    let hash = web::password::hash(password).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let admin = db.store().create_admin(&email, &hash).await?;
    println!("admin {} created (id {})", admin.email, admin.id);
    Ok(())
}

pub async fn reset_password(db: &Database, email: &str, from_stdin: bool) -> Result<()> {
    let email = EmailAddress::parse(email).with_context(|| format!("{email:?} is not a valid email address"))?;
    let password = new_password(&email, from_stdin)?;
    let hash = web::password::hash(password).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let admin = db.store().set_admin_password(&email, &hash).await.map_err(|e| match e {
        store::StoreError::NotFound(_) => anyhow::anyhow!("no admin has the email {email}"),
        other => other.into(),
    })?;
    println!("password of {} changed; their sessions were ended", admin.email);
    Ok(())
}

pub async fn create_token(db: &Database, email: &str, name: &str) -> Result<()> {
    let email = EmailAddress::parse(email).with_context(|| format!("{email:?} is not a valid email address"))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("the token name must have 1 to 100 characters");
    }
    let token = web::new_api_token();
    db.store().create_api_token(&email, name, &web::api_token_hash(&token)).await.map_err(|e| match e {
        store::StoreError::NotFound(_) => anyhow::anyhow!("no admin has the email {email}"),
        other => other.into(),
    })?;
    eprintln!("API token {name:?} created for {email}. It is shown once; store it now:");
    println!("{token}");
    Ok(())
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
