//! Transactional mail: the stored templates applications send with, the
//! messages an API call queues (in the outbox, ahead of bulk), the answer
//! kept for a retried call with the same idempotency key, and each token's
//! limits.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::Value;

use crate::{Result, Store, StoreError};
use domain::OutboxStatus;

/// A stored transactional template.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TxTemplate {
    pub id: i64,
    pub name: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub body_format: String,
    pub text_body: String,
    pub layout_id: Option<i64>,
    pub language: String,
    pub updated_at: DateTime<Utc>,
}

/// What a template is made of (everything but its id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxTemplateFields {
    pub name: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub body_format: String,
    pub text_body: String,
    pub layout_id: Option<i64>,
    pub language: String,
}

/// One message an API call queues, built and ready to sign.
#[derive(Debug, Clone)]
pub struct NewTxMessage {
    pub to_address: String,
    pub from_address: String,
    pub subject: String,
    /// Without angle brackets; unique.
    pub message_id: String,
    pub raw: Vec<u8>,
    pub tx_template_id: Option<i64>,
}

/// The token a call came with, and what it may send.
#[derive(Debug, Clone, Copy)]
pub struct TxLimits {
    pub token_id: i64,
    /// Messages per minute and per day; 0: no limit.
    pub per_minute: i32,
    pub per_day: i32,
}

/// A call's idempotency key, and a digest of what it asked.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: Vec<u8>,
}

/// What became of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum TxQueued {
    /// Queued now: the ids of the messages, in the order given, and the
    /// answer (as made by the caller) that a retry will get.
    Queued(Vec<i64>, Value),
    /// A retry of a call already made: its answer, nothing sent again.
    Replayed(Value),
    /// The key was used before for a different call.
    KeyReused,
    /// Over the token's limit of `limit` per `span` ("minute", "day"):
    /// nothing was queued; room again after `retry_after`.
    Limited { span: &'static str, limit: i32, retry_after: Duration },
}

/// How long a message of an application is retried (as campaign mail).
pub const TX_LIFETIME: Duration = Duration::days(3);

impl Store {
    pub async fn tx_templates(&self) -> Result<Vec<TxTemplate>> {
        Ok(sqlx::query_as(
            "SELECT id, name, from_name, from_address, reply_to, subject, body, body_format, text_body, layout_id, \
             language, updated_at FROM tx_templates ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A template by its id or, when `key` is not a number, its name.
    pub async fn tx_template(&self, key: &str) -> Result<Option<TxTemplate>> {
        Ok(sqlx::query_as(
            "SELECT id, name, from_name, from_address, reply_to, subject, body, body_format, text_body, layout_id, \
             language, updated_at FROM tx_templates WHERE name = lower($1) OR id::text = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_tx_template(&self, t: &TxTemplateFields) -> Result<TxTemplate> {
        sqlx::query_as(
            "INSERT INTO tx_templates (name, from_name, from_address, reply_to, subject, body, body_format, \
             text_body, layout_id, language) VALUES (lower($1), $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (name) DO NOTHING \
             RETURNING id, name, from_name, from_address, reply_to, subject, body, body_format, text_body, \
             layout_id, language, updated_at",
        )
        .bind(&t.name)
        .bind(&t.from_name)
        .bind(&t.from_address)
        .bind(&t.reply_to)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(&t.body_format)
        .bind(&t.text_body)
        .bind(t.layout_id)
        .bind(&t.language)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::Conflict("a transactional template of that name"))
    }

    pub async fn update_tx_template(&self, id: i64, t: &TxTemplateFields) -> Result<TxTemplate> {
        let updated = sqlx::query_as(
            "UPDATE tx_templates SET name = lower($2), from_name = $3, from_address = $4, reply_to = $5, \
             subject = $6, body = $7, body_format = $8, text_body = $9, layout_id = $10, language = $11, \
             updated_at = now() \
             WHERE id = $1 RETURNING id, name, from_name, from_address, reply_to, subject, body, body_format, \
             text_body, layout_id, language, updated_at",
        )
        .bind(id)
        .bind(&t.name)
        .bind(&t.from_name)
        .bind(&t.from_address)
        .bind(&t.reply_to)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(&t.body_format)
        .bind(&t.text_body)
        .bind(t.layout_id)
        .bind(&t.language)
        .fetch_optional(&self.pool)
        .await;
        match updated {
            Ok(found) => found.ok_or(StoreError::NotFound("transactional template")),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict("a transactional template of that name"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_tx_template(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM tx_templates WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// The addresses among `emails` that must not get mail: suppressed by
    /// address or by domain (a bounce, a complaint, an operator), with the
    /// reason. An unsubscribe from a list does not stop transactional mail.
    pub async fn tx_suppressed(&self, emails: &[String]) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT e.email, p.reason FROM unnest($1::text[]) AS e(email) \
             JOIN suppressions p ON (p.kind = 'address' AND p.value = lower(e.email)) \
               OR (p.kind = 'domain' AND p.value = lower(split_part(e.email, '@', 2)))",
        )
        .bind(emails)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The limits of an API token.
    pub async fn tx_limits(&self, token_id: i64) -> Result<TxLimits> {
        let (per_minute, per_day): (i32, i32) =
            sqlx::query_as("SELECT tx_per_minute, tx_per_day FROM api_tokens WHERE id = $1")
                .bind(token_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound("API token"))?;
        Ok(TxLimits { token_id, per_minute, per_day })
    }

    /// Sets an API token's limits (0: none).
    pub async fn set_tx_limits(&self, token_id: i64, per_minute: i32, per_day: i32) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET tx_per_minute = $2, tx_per_day = $3 WHERE id = $1")
            .bind(token_id)
            .bind(per_minute)
            .bind(per_day)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What a call with this key was answered, if one was made and its
    /// answer committed: (digest of its request, answer). A retry needs no
    /// rendering to be answered.
    pub async fn tx_answered(&self, admin_id: i64, key: &str) -> Result<Option<(Vec<u8>, Value)>> {
        Ok(sqlx::query_as(
            "SELECT request_hash, response FROM tx_requests WHERE admin_id = $1 AND key = $2 AND response <> 'null'",
        )
        .bind(admin_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Queues the messages of one call of `admin_id`, all or none: a key
    /// already used answers as it did (nothing is queued twice, across
    /// restarts too), the token's limits are counted in the same
    /// transaction. `answer` makes the call's answer from the new ids.
    pub async fn queue_tx(
        &self,
        admin_id: i64,
        limits: Option<TxLimits>,
        idempotency: Option<&Idempotency>,
        messages: &[NewTxMessage],
        answer: impl FnOnce(&[i64]) -> Value,
    ) -> Result<TxQueued> {
        let mut tx = self.pool.begin().await?;
        if let Some(key) = idempotency {
            // A concurrent call with the same key waits here until the
            // first one commits or rolls back.
            let fresh: Option<i32> = sqlx::query_scalar(
                "INSERT INTO tx_requests (admin_id, key, request_hash, response) VALUES ($1, $2, $3, 'null') \
                 ON CONFLICT (admin_id, key) DO NOTHING RETURNING 1",
            )
            .bind(admin_id)
            .bind(&key.key)
            .bind(&key.request_hash)
            .fetch_optional(&mut *tx)
            .await?;
            if fresh.is_none() {
                let (hash, response): (Vec<u8>, Value) =
                    sqlx::query_as("SELECT request_hash, response FROM tx_requests WHERE admin_id = $1 AND key = $2")
                        .bind(admin_id)
                        .bind(&key.key)
                        .fetch_one(&mut *tx)
                        .await?;
                return Ok(if hash == key.request_hash { TxQueued::Replayed(response) } else { TxQueued::KeyReused });
            }
        }
        if let Some(limits) = limits {
            let sender = format!("token:{}", limits.token_id);
            let count = i32::try_from(messages.len()).unwrap_or(i32::MAX);
            if let Some(limited) = count_usage(&mut tx, &sender, limits.per_minute, limits.per_day, count).await? {
                tx.rollback().await?;
                return Ok(limited);
            }
        }
        let from = Origin::Token(limits.map(|l| l.token_id));
        let ids = insert_messages(&mut tx, from, OutboxStatus::Queued, messages).await?;
        let response = answer(&ids);
        if let Some(key) = idempotency {
            sqlx::query("UPDATE tx_requests SET response = $3 WHERE admin_id = $1 AND key = $2")
                .bind(admin_id)
                .bind(&key.key)
                .bind(&response)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(TxQueued::Queued(ids, response))
    }
}

/// Counts `count` more messages of `sender` (`token:5`, `credential:3`)
/// against its limits per minute and per day (0: none), in `tx`: the
/// refusal when one would be passed (roll the transaction back then).
pub(crate) async fn count_usage(
    tx: &mut sqlx::PgConnection,
    sender: &str,
    per_minute: i32,
    per_day: i32,
    count: i32,
) -> Result<Option<TxQueued>> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    for (span, limit, width) in [("minute", per_minute, Duration::minutes(1)), ("day", per_day, Duration::days(1))] {
        if limit == 0 {
            continue;
        }
        let since = now.duration_trunc(width).unwrap_or(now);
        let sent: i32 = sqlx::query_scalar(
            "INSERT INTO send_usage (sender, span, since, sent) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sender, span, since) DO UPDATE SET sent = send_usage.sent + EXCLUDED.sent \
             RETURNING sent",
        )
        .bind(sender)
        .bind(span)
        .bind(since)
        .bind(count)
        .fetch_one(&mut *tx)
        .await?;
        if sent > limit {
            return Ok(Some(TxQueued::Limited { span, limit, retry_after: since + width - now }));
        }
    }
    Ok(None)
}

/// Who sent messages into the outbox.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    /// Through the API (with the token, when it came with one).
    Token(Option<i64>),
    /// By SMTP submission, with a credential.
    Credential(i64),
}

/// Inserts the messages in one statement; their ids in the order given.
pub(crate) async fn insert_messages(
    tx: &mut sqlx::PgConnection,
    origin: Origin,
    status: OutboxStatus,
    messages: &[NewTxMessage],
) -> Result<Vec<i64>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let (kind, token_id, credential_id) = match origin {
        Origin::Token(token) => ("transactional", token, None),
        Origin::Credential(id) => ("submitted", None, Some(id)),
    };
    let column = |f: fn(&NewTxMessage) -> &str| messages.iter().map(f).collect::<Vec<&str>>();
    let to = column(|m| &m.to_address);
    let from = column(|m| &m.from_address);
    let subject = column(|m| &m.subject);
    let message_id = column(|m| &m.message_id);
    let raw: Vec<&[u8]> = messages.iter().map(|m| m.raw.as_slice()).collect();
    let template: Vec<Option<i64>> = messages.iter().map(|m| m.tx_template_id).collect();
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "INSERT INTO outbound_messages (kind, status, to_address, from_address, subject, text_body, message_id, raw, \
             size, token_id, credential_id, tx_template_id, expires_at) \
         SELECT $9, $10, t, f, s, '', m, r, length(r), $7, $11, tpl, now() + $8 \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint[]) AS x(t, f, s, m, r, tpl) \
         RETURNING id, message_id, to_address",
    )
    .bind(&to)
    .bind(&from)
    .bind(&subject)
    .bind(&message_id)
    .bind(&raw)
    .bind(&template)
    .bind(token_id)
    .bind(TX_LIFETIME)
    .bind(kind)
    .bind(status.as_str())
    .bind(credential_id)
    .fetch_all(&mut *tx)
    .await?;
    // One message may go to several recipients (submission): its
    // Message-ID and recipient name the row.
    let by_key: std::collections::HashMap<(&str, &str), i64> =
        rows.iter().map(|(id, message_id, to)| ((message_id.as_str(), to.as_str()), *id)).collect();
    Ok(messages
        .iter()
        .map(|m| by_key.get(&(m.message_id.as_str(), m.to_address.as_str())).copied().unwrap_or_default())
        .collect())
}
