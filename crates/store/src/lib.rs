//! All of ninsho's SQL. Nothing outside this crate talks to PostgreSQL.
//!
//! Queries are `&'static str` with bind parameters (sqlx refuses anything
//! else without an explicit `AssertSqlSafe`), so no SQL is ever built from
//! user input. Row structs live here; callers get plain Rust values.

mod ab_tests;
mod admins;
mod audience;
mod campaign_reports;
mod campaigns;
mod domains;
mod feedback;
mod imports;
mod layouts;
mod message_log;
mod outbox;
mod privacy;
mod public;
mod queue;
mod reports;
mod segments;
mod sequences;
mod settings;
mod submission;
mod team;
mod tracking;
mod transactional;
mod webhooks;

use std::path::Path;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};

pub use admins::{Admin, ApiToken, LoginFailures, Session, TokenOwner, throttle_net};
pub use audience::{
    BulkAction, Chosen, List, NewList, NewSubscriber, SignupField, Subscriber, SubscriberQuery, Subscription,
};
pub use campaign_reports::{
    ActivityRow, CampaignProgress, CampaignReport, CampaignSummary, DeliveryRow, DomainProgress,
};
pub use campaigns::{Campaign, CampaignFields};
pub use domains::{AlertMail, DkimKey, NewDkimKey, SenderIdentity, SendingDomain};
pub use feedback::{BounceTally, BouncedDelivery, ErrorRate, NewBounce};
pub use imports::{Import, ImportBatch, ImportError};
pub use layouts::Template;
pub use message_log::{Forgotten, LogAttempt, LogEntry, LogId, LogQuery, delivery_of_message_id};
pub use outbox::{LeasedMessage, MessageOutcome, Signed, SourceIpUsage};
pub use privacy::{Suppression, SuppressionTarget, address_hash};
pub use public::{AddressChange, NewMessage, OutboundMessage, SignupOutcome};
pub use queue::{DeliveryOutcome, LeasedDelivery};
pub use reports::{
    DmarcDomain, DmarcRowView, DmarcSource, DmarcWriter, MAX_FAILED_REPORT_BYTES, NewDmarcReport, NewDmarcRow,
};
pub use segments::{
    Activity, ActivityCondition, AttributeCondition, AttributeOp, Filter, FilterError, ListCondition, Segment,
};
pub use sequences::{DateTrigger, Sequence, SequenceProgress, StepActivation};
pub use settings::SenderSettings;
pub use sqlx::postgres::PgConnectOptions as ConnectOptions;
pub use submission::{AuthFailures, Credential, NewCredential};
pub use team::{AuditEntry, NewAuditEntry, TeamMember, Totp};
pub use tracking::TrackEvent;
pub use transactional::{Idempotency, NewTxMessage, TX_LIFETIME, TxLimits, TxQueued, TxTemplate, TxTemplateFields};
pub use webhooks::{LeasedWebhook, WebhookDelivery, WebhookEndpoint};

/// A nullable state column as read, before it becomes an
/// `Option<state>` (`#[sqlx(try_from = "crate::OptionalWord")]`): sqlx
/// decodes `Option<String>`, the state's `TryFrom<String>` does the rest.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub struct OptionalWord(Option<String>);

impl TryFrom<OptionalWord> for Option<domain::TlsState> {
    type Error = domain::UnknownWord;

    fn try_from(word: OptionalWord) -> std::result::Result<Self, Self::Error> {
        word.0.map(domain::TlsState::try_from).transpose()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database refused: {0}")]
    Database(sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the segment is not valid: {0}")]
    Filter(FilterError),
    /// A change that would break a rule of the data ("the team needs at
    /// least one owner").
    #[error("{0}")]
    Refused(String),
    #[error("invalid database name {0:?}")]
    BadName(String),
    /// A stored state the program does not know (the database's CHECK
    /// constraint and the Rust type disagree).
    #[error("a stored value is not valid: {0}")]
    Decode(#[from] domain::UnknownWord),
}

impl From<sqlx::Error> for StoreError {
    /// Text PostgreSQL cannot hold (a NUL from a form or a file) is the
    /// caller's mistake, to be told, not a failure of the database.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && matches!(db.code().as_deref(), Some("22021" | "22P05"))
        {
            return Self::Refused("the text contains a NUL character, which cannot be stored".into());
        }
        Self::Database(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The handle every part of ninsho uses to reach the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

/// Options for a private cluster's unix socket (see the `pgcluster` crate).
pub fn socket_options(socket_dir: &Path, port: u16, user: &str, database: &str) -> PgConnectOptions {
    PgConnectOptions::new_without_pgpass()
        .socket(socket_dir)
        .port(port)
        .username(user)
        .database(database)
        .application_name("ninsho")
}

/// Options from a `postgres://` URL (the production path).
pub fn url_options(url: &str) -> Result<PgConnectOptions> {
    Ok(url.parse::<PgConnectOptions>()?.application_name("ninsho"))
}

/// Creates `database` on the server unless it exists. `options` must name a
/// database that exists (`postgres`) and a role allowed to create databases.
pub async fn ensure_database(options: &PgConnectOptions, database: &str) -> Result<()> {
    if database.is_empty() || !database.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(StoreError::BadName(database.into()));
    }
    let pool = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(database)
        .fetch_one(&pool)
        .await?;
    if !exists {
        // The name was checked above to be a plain lower-case identifier.
        let sql = format!("CREATE DATABASE \"{database}\"");
        match pool.execute(sqlx::AssertSqlSafe(sql)).await {
            Ok(_) => {}
            // Another process created it meanwhile.
            Err(e) if is_unique_violation(&e) || is_duplicate_database(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    pool.close().await;
    Ok(())
}

impl Store {
    pub async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Applies the migrations in `migrations/` that this database lacks.
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Connections open in the pool and how many of them are idle.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| e.is_unique_violation())
}

fn is_duplicate_database(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "42P04")
}
