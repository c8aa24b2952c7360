//! SMTP submission (the submission role): applications send through ninsho
//! with a credential, on port 587 (STARTTLS) or 465 (TLS from the start).
//! A login is checked against the credential's argon2 hash (failures
//! slowed down and counted per user name and per network), a credential
//! sends only from its networks and only as its domains (the envelope
//! sender and the header From), and what it sends is made fit to go out:
//! Bcc removed, our own DKIM signatures removed (the engine signs again
//! with the author domain's key; others are kept), Date and Message-ID
//! added when missing, a Received line put on top. Each recipient's copy is
//! queued in the outbox like transactional mail: VERP, retries, bounces
//! and the message log.
//!
//! Never a relay: without a login (or a trusted network) nothing is taken.

pub mod headers;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::Utc;
use domain::credential::CredentialFault;
use smtpd::{Envelope, Mailbox};
use store::{Credential, NewTxMessage, Store, StoreError, TxQueued};

/// Failed logins of a user name, and from a network, within
/// [`FAILURE_WINDOW`] after which logins are refused without a look at
/// the password.
pub const MAX_USER_FAILURES: i64 = 10;
pub const MAX_NETWORK_FAILURES: i64 = 30;
pub const FAILURE_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// What the listener needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// The name in the Received line.
    pub hostname: String,
    /// Only From domains with a verified DKIM key send (production).
    pub require_identity: bool,
    /// How long a wrong password waits before it is answered.
    pub failure_delay: std::time::Duration,
}

/// The submission role's mailbox: who may send, and what becomes of it.
#[derive(Clone)]
pub struct Submission {
    store: Store,
    config: Arc<Config>,
    /// An argon2 hash to check unknown user names against, so that they
    /// take as long to refuse as a wrong password.
    dummy_hash: Arc<str>,
    /// The sending domains and which are verified, looked up at most once
    /// a minute (every message needs them).
    domains: Arc<std::sync::Mutex<Option<Domains>>>,
    /// Where sessions hand their messages to be kept: one writer commits
    /// what all sessions handed in meanwhile at once.
    writer: tokio::sync::mpsc::Sender<Handed>,
}

/// A session's message, handed to the writer, and where its answer goes.
struct Handed {
    who: Credential,
    messages: Vec<NewTxMessage>,
    answer: tokio::sync::oneshot::Sender<Result<TxQueued, String>>,
}

/// The most sessions' messages one commit takes.
const MAX_GROUP: usize = 256;

/// Keeps what sessions hand in: whatever arrived while the last commit
/// ran goes in the next one (group commit), so many sessions cost one
/// transaction, not one each. Each session is answered after its commit.
async fn write(store: Store, mut handed: tokio::sync::mpsc::Receiver<Handed>) {
    while let Some(first) = handed.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match handed.try_recv() {
                Ok(more) => group.push(more),
                Err(_) => break,
            }
        }
        let items: Vec<(&Credential, &[NewTxMessage])> =
            group.iter().map(|h| (&h.who, h.messages.as_slice())).collect();
        match store.queue_submitted(&items).await {
            Ok(answers) => {
                for (h, answer) in group.into_iter().zip(answers) {
                    let _ = h.answer.send(Ok(answer));
                }
            }
            Err(e) => {
                let why = e.to_string();
                for h in group {
                    let _ = h.answer.send(Err(why.clone()));
                }
            }
        }
    }
}

/// The sending domains as last looked up.
struct Domains {
    at: std::time::Instant,
    /// Every sending domain: their old signatures are removed.
    ours: Arc<[String]>,
    /// Whether each domain looked up may send (a verified key).
    verified: std::collections::HashMap<String, bool>,
}

/// How long a look-up of the sending domains is used.
const DOMAINS_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

impl Submission {
    pub fn new(store: Store, config: Config) -> Self {
        // A hash of nothing anyone knows, made once, with the same cost as
        // the credentials'.
        let dummy_hash = hash_password(&message::secret::random_token()).unwrap_or_default().into();
        // Sessions wait for their commit: a queue as deep as the group.
        let (writer, handed) = tokio::sync::mpsc::channel(MAX_GROUP);
        tokio::spawn(write(store.clone(), handed));
        Self { store, config: Arc::new(config), dummy_hash, domains: Arc::default(), writer }
    }

    async fn login(&self, peer: IpAddr, user: &str, password: &str) -> Result<Result<Credential, String>, StoreError> {
        let failures = self.store.auth_failures(user, peer, FAILURE_WINDOW).await?;
        if failures.user >= MAX_USER_FAILURES || failures.network >= MAX_NETWORK_FAILURES {
            return Ok(Err("454 4.7.0 too many failed logins; try again later".into()));
        }
        let found = self.store.credential_login(user).await?;
        let hash = match &found {
            Some((_, Some(hash))) => hash.clone(),
            // A network credential has no password to log in with.
            _ => self.dummy_hash.to_string(),
        };
        let password = password.to_owned();
        let right = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        match found {
            Some((credential, Some(_))) if right => {
                if !credential.allows_from(peer) {
                    return Ok(Err(format!("535 5.7.8 this credential may not be used from {peer}")));
                }
                self.store.touch_credential(credential.id).await?;
                Ok(Ok(credential))
            }
            _ => {
                self.store.record_auth_failure(user, peer).await?;
                tokio::time::sleep(self.config.failure_delay).await;
                Ok(Err("535 5.7.8 authentication credentials invalid".into()))
            }
        }
    }

    /// The sending domains, and whether `domain` is a verified one (an
    /// active key whose record has been seen), from a look-up at most a
    /// minute old.
    async fn domains(&self, domain: &str) -> Result<(Arc<[String]>, bool), StoreError> {
        let fresh = |d: &Domains| d.at.elapsed() < DOMAINS_KEPT;
        let known = {
            let cached = self.domains.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            cached.as_ref().filter(|d| fresh(d)).map(|d| (d.ours.clone(), d.verified.get(domain).copied()))
        };
        let ours = match &known {
            Some((ours, _)) => ours.clone(),
            None => self.store.sending_domain_names().await?.into(),
        };
        let verified = match known.and_then(|(_, v)| v) {
            Some(v) => v,
            None => {
                !self.store.active_dkim_keys(domain).await?.is_empty()
                    && self.store.domain_verified_at(domain).await?.is_some()
            }
        };
        let mut cached = self.domains.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = match cached.as_mut().filter(|d| fresh(d)) {
            Some(entry) => entry,
            None => cached.insert(Domains {
                at: std::time::Instant::now(),
                ours: ours.clone(),
                verified: Default::default(),
            }),
        };
        entry.verified.insert(domain.to_owned(), verified);
        Ok((ours, verified))
    }

    /// The message fit to go, and each recipient's row; or the reply
    /// refusing it.
    async fn prepare(
        &self,
        envelope: &Envelope<Credential>,
        who: &Credential,
    ) -> Result<Result<Vec<NewTxMessage>, String>, StoreError> {
        let Some(from) = headers::from_address(&envelope.data) else {
            return Ok(Err("550 5.6.0 the message needs one From address".into()));
        };
        let from_domain = domain::domain_of(&from).to_ascii_lowercase();
        if !who.allows_domain(&from_domain) {
            return Ok(Err(format!("550 5.7.1 From <{from}> is not a domain of this credential")));
        }
        let (ours, verified) = self.domains(&from_domain).await?;
        if self.config.require_identity && !verified {
            return Ok(Err(format!("550 5.7.1 {from_domain} is not a verified sending domain of ninsho")));
        }
        let now = Utc::now();
        let fitted = headers::fit(
            &envelope.data,
            &headers::Fitting {
                our_domains: &ours,
                from_domain: &from_domain,
                received: &format!(
                    "from {} ([{}]) by {} (ninsho) with {}; {}",
                    headers::clean_word(&envelope.helo),
                    envelope.peer,
                    self.config.hostname,
                    if envelope.tls { "ESMTPSA" } else { "ESMTP" },
                    now.to_rfc2822()
                ),
                date: now,
            },
        );
        let subject = headers::subject(&fitted.bytes);
        Ok(Ok(envelope
            .recipients
            .iter()
            .map(|to| NewTxMessage {
                to_address: to.clone(),
                from_address: from.clone(),
                subject: subject.clone(),
                message_id: fitted.message_id.clone(),
                raw: fitted.bytes.clone(),
                tx_template_id: None,
            })
            .collect()))
    }
}

impl Mailbox for Submission {
    type Identity = Credential;
    type Error = StoreError;

    fn offers_auth(&self) -> bool {
        true
    }

    async fn authenticate(&self, peer: IpAddr, user: &str, password: &str) -> Result<Credential, String> {
        match self.login(peer, user, password).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, "a submission login could not be checked");
                Err("454 4.7.0 cannot check logins now; try again later".into())
            }
        }
    }

    async fn known(&self, peer: IpAddr) -> Option<Credential> {
        match self.store.network_credential(peer).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look up network credentials");
                None
            }
        }
    }

    async fn sender(&self, who: Option<&Credential>, from: &str) -> Option<String> {
        let who = who?;
        // The null sender (a notice of the application's) is allowed.
        if from.is_empty() || who.allows_domain(domain::domain_of(from)) {
            return None;
        }
        Some(format!("553 5.7.1 <{from}>: not a sending domain of this credential"))
    }

    async fn accepts(&self, who: Option<&Credential>, address: &str) -> Option<String> {
        if who.is_none() {
            return Some("530 5.7.0 authentication required".into());
        }
        match domain::EmailAddress::parse(address) {
            Ok(_) => None,
            Err(_) => Some(format!("501 5.1.3 <{address}> is not a valid address")),
        }
    }

    async fn deliver(&self, envelope: Envelope<Credential>) -> Result<String, StoreError> {
        let Some(who) = envelope.identity.clone() else {
            return Ok("530 5.7.0 authentication required".into());
        };
        let messages = match self.prepare(&envelope, &who).await? {
            Ok(messages) => messages,
            Err(refusal) => return Ok(refusal),
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        let hold = who.hold;
        let username = who.username.clone();
        if self.writer.send(Handed { who, messages, answer }).await.is_err() {
            return Ok("451 4.3.0 cannot keep the message now; try again later".into());
        }
        let queued = match answered.await {
            Ok(Ok(queued)) => queued,
            Ok(Err(why)) => {
                tracing::warn!(error = %why, "submitted mail could not be kept");
                return Ok("451 4.3.0 cannot keep the message now; try again later".into());
            }
            Err(_) => return Ok("451 4.3.0 cannot keep the message now; try again later".into()),
        };
        Ok(match queued {
            TxQueued::Queued(ids, _) => {
                let ids: Vec<String> = ids.iter().map(|id| format!("m{id}")).collect();
                let held = if hold { " (held for an operator)" } else { "" };
                tracing::info!(credential = %username, messages = ids.len(), held = hold, "mail submitted");
                format!("250 2.0.0 queued as {}{held}", ids.join(" "))
            }
            TxQueued::Limited { span, limit, .. } => {
                format!("451 4.7.1 this credential may send {limit} messages a {span}; try again later")
            }
            TxQueued::Replayed(_) | TxQueued::KeyReused => "451 4.3.0 try again later".into(),
        })
    }
}

/// An argon2id hash of a credential's password (PHC string).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    let salt = SaltString::encode_b64(&message::secret::random_bytes::<16>())?;
    Ok(hasher().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::PasswordHash::new(hash).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

fn hasher() -> argon2::Argon2<'static> {
    // OWASP's argon2id minimum; a credential's password is long and random.
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// A credential checked (`domain::credential::check`) and its password
/// made (None for a network credential): the new credential and the
/// password to show once.
#[allow(clippy::too_many_arguments)]
pub fn new_credential(
    username: &str,
    domains: &[String],
    networks: &[ipnet::IpNet],
    per_minute: i32,
    per_day: i32,
    hold: bool,
    with_password: bool,
    description: &str,
) -> Result<(store::NewCredential, Option<String>), CredentialFault> {
    let (username, domains) = domain::credential::check(
        username,
        domains,
        networks.len(),
        with_password,
        [per_minute, per_day],
        description,
    )?;
    let password = with_password.then(message::secret::random_token);
    let password_hash = match &password {
        Some(p) => Some(hash_password(p).map_err(|_| CredentialFault::Username)?),
        None => None,
    };
    let credential = store::NewCredential {
        username,
        password_hash,
        description: description.trim().to_owned(),
        domains,
        networks: networks.to_vec(),
        per_minute,
        per_day,
        hold,
    };
    Ok((credential, password))
}
