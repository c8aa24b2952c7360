//! The message log: every message ninsho sends (campaign and sequence
//! deliveries, transactional and submitted mail, its own messages) found
//! by recipient, sender, subject, Message-ID, status and time, with each
//! attempt; the kept bytes of a message; held messages released or
//! dropped; and the retention that forgets them in bounded rounds.

use chrono::{DateTime, Utc};

use crate::{Result, Store};

/// Where a message of the log lives: a campaign delivery or an outbox
/// message. Written `d12` and `m34` in paths and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogId {
    Delivery(i64),
    Message(i64),
}

impl LogId {
    /// `d12` or `m34`.
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, number) = text.split_at_checked(1)?;
        let id = number.parse().ok().filter(|n| *n > 0)?;
        match kind {
            "d" => Some(Self::Delivery(id)),
            "m" => Some(Self::Message(id)),
            _ => None,
        }
    }
}

impl std::fmt::Display for LogId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Delivery(id) => write!(f, "d{id}"),
            Self::Message(id) => write!(f, "m{id}"),
        }
    }
}

/// What to look for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// The recipient's address (any case).
    pub recipient: Option<String>,
    /// The From address, or a domain for every address of it.
    pub sender: Option<String>,
    /// Words in the subject.
    pub subject: Option<String>,
    /// The Message-ID, with or without angle brackets.
    pub message_id: Option<String>,
    /// A log status: queued, sending, deferred, delivered, bounced,
    /// failed, suppressed, held, dropped, captured.
    pub status: Option<String>,
    /// campaign, sequence, transactional, submitted or system.
    pub kind: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One message in the log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LogEntry {
    /// `d12` or `m34`.
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub sender: String,
    pub subject: String,
    pub message_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_reply: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The campaign of a delivery, and its name (its subject is a
    /// template: each recipient's differs).
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    /// Whether its bytes are kept.
    pub has_raw: bool,
    pub size: Option<i32>,
}

/// One attempt at a message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LogAttempt {
    pub at: DateTime<Utc>,
    pub status: String,
    pub code: Option<i16>,
    pub enhanced: Option<String>,
    pub reply: String,
    pub mx: Option<String>,
    pub tls: Option<String>,
}

/// What one retention round removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Messages whose bytes were dropped (their data stays).
    pub bytes: u64,
    /// Messages and attempts removed altogether.
    pub rows: u64,
}

impl Forgotten {
    pub fn total(self) -> u64 {
        self.bytes + self.rows
    }
}

/// The message log's status of an outbox message (`sent` reads as
/// delivered, like a delivery's). Macros, so that queries stay `&'static str`.
macro_rules! message_status {
    () => {
        "CASE o.status WHEN 'sent' THEN 'delivered' ELSE o.status END"
    };
}

/// The kind of an outbox message in the log.
macro_rules! message_kind {
    () => {
        "CASE o.kind WHEN 'transactional' THEN 'transactional' WHEN 'submitted' THEN 'submitted' ELSE 'system' END"
    };
}

/// The statuses after which nothing more happens to an outbox message.
macro_rules! finished {
    () => {
        "('sent', 'failed', 'captured', 'bounced', 'dropped')"
    };
}

/// The Message-ID a campaign delivery was sent with is
/// `<campaign>.<delivery>.<time>@<domain>`: its delivery.
pub fn delivery_of_message_id(message_id: &str) -> Option<i64> {
    let local = message_id.trim().trim_start_matches('<').split('@').next()?;
    let mut parts = local.split('.');
    let (_, delivery, _) = (parts.next()?.parse::<i64>().ok()?, parts.next()?.parse::<i64>().ok()?, parts.next()?);
    parts.next().is_none().then_some(delivery)
}

impl Store {
    /// The newest messages matching `query`, `limit` from `offset`.
    pub async fn search_log(&self, query: &LogQuery, limit: i64, offset: i64) -> Result<Vec<LogEntry>> {
        let message_id = query.message_id.as_deref().map(|m| m.trim().trim_start_matches('<').trim_end_matches('>'));
        let delivery = message_id.and_then(delivery_of_message_id);
        let sender = query.sender.as_deref().map(|s| s.trim().to_lowercase());
        let subject = query.subject.as_deref().map(|s| format!("%{}%", like_escaped(s.trim())));
        const SQL: &str = concat!(
            "WITH q AS (SELECT $1::text AS recipient, $2::text AS sender, $3::text AS subject, $4::text AS message_id, \
                    $5::bigint AS delivery, $6::text AS status, $7::text AS kind, $8::timestamptz AS since, \
                    $9::timestamptz AS until, $10::bigint AS n) \
             SELECT * FROM ( \
               (SELECT 'd' || d.id AS id, CASE WHEN c.sequence_id IS NULL THEN 'campaign' ELSE 'sequence' END AS kind, \
                   d.email AS recipient, c.from_address AS sender, c.subject, NULL::text AS message_id, \
                   d.status, d.attempts, d.last_reply, d.created_at, d.updated_at, d.campaign_id, c.name AS campaign_name, \
                   EXISTS (SELECT 1 FROM outbound_messages k WHERE k.delivery_id = d.id AND k.raw IS NOT NULL) AS has_raw, \
                   NULL::int AS size \
                FROM q, deliveries d JOIN campaigns c ON c.id = d.campaign_id \
                WHERE (q.kind IS NULL OR q.kind = CASE WHEN c.sequence_id IS NULL THEN 'campaign' ELSE 'sequence' END) \
                  AND (q.recipient IS NULL OR d.subscriber_id IN \
                       (SELECT s.id FROM subscribers s WHERE lower(s.email) = lower(q.recipient))) \
                  AND (q.sender IS NULL OR lower(c.from_address) = q.sender \
                       OR lower(split_part(c.from_address, '@', 2)) = q.sender) \
                  AND (q.subject IS NULL OR c.subject ILIKE q.subject OR c.name ILIKE q.subject) \
                  AND (q.message_id IS NULL OR d.id = q.delivery) \
                  AND (q.status IS NULL OR d.status = q.status) \
                  AND (q.since IS NULL OR d.created_at >= q.since) AND (q.until IS NULL OR d.created_at < q.until) \
                ORDER BY d.id DESC LIMIT (SELECT n FROM q)) \
               UNION ALL \
               (SELECT 'm' || o.id, ",
            message_kind!(),
            ", o.to_address, coalesce(o.from_address, ''), o.subject, \
                   o.message_id, ",
            message_status!(),
            ", o.attempts, o.last_reply, o.created_at, o.updated_at, NULL, NULL, \
                   o.raw IS NOT NULL, o.size \
                FROM q, outbound_messages o \
                WHERE o.kind <> 'campaign' AND (q.kind IS NULL OR q.kind = ",
            message_kind!(),
            ") \
                  AND (q.recipient IS NULL OR lower(o.to_address) = lower(q.recipient)) \
                  AND (q.sender IS NULL OR lower(o.from_address) = q.sender \
                       OR lower(split_part(o.from_address, '@', 2)) = q.sender) \
                  AND (q.subject IS NULL OR o.subject ILIKE q.subject) \
                  AND (q.message_id IS NULL OR o.message_id = q.message_id) \
                  AND (q.status IS NULL OR ",
            message_status!(),
            " = q.status) \
                  AND (q.since IS NULL OR o.created_at >= q.since) AND (q.until IS NULL OR o.created_at < q.until) \
                ORDER BY o.id DESC LIMIT (SELECT n FROM q)) \
             ) m ORDER BY created_at DESC, id DESC LIMIT $11 OFFSET $12"
        );
        Ok(sqlx::query_as(SQL)
            .bind(query.recipient.as_deref().map(str::trim))
            .bind(sender)
            .bind(subject)
            .bind(message_id)
            .bind(delivery)
            .bind(query.status.as_deref())
            .bind(query.kind.as_deref())
            .bind(query.since)
            .bind(query.until)
            .bind(limit + offset)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?)
    }

    /// One message of the log.
    pub async fn log_entry(&self, id: LogId) -> Result<Option<LogEntry>> {
        let sql = match id {
            LogId::Delivery(_) => {
                "SELECT 'd' || d.id AS id, CASE WHEN c.sequence_id IS NULL THEN 'campaign' ELSE 'sequence' END AS kind, \
                    d.email AS recipient, c.from_address AS sender, c.subject, NULL::text AS message_id, d.status, \
                    d.attempts, d.last_reply, d.created_at, d.updated_at, d.campaign_id, c.name AS campaign_name, \
                    EXISTS (SELECT 1 FROM outbound_messages k WHERE k.delivery_id = d.id AND k.raw IS NOT NULL) AS has_raw, \
                    NULL::int AS size \
                 FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id WHERE d.id = $1"
            }
            LogId::Message(_) => concat!(
                "SELECT 'm' || o.id AS id, ",
                message_kind!(),
                " AS kind, o.to_address AS recipient, \
                    coalesce(o.from_address, '') AS sender, o.subject, o.message_id, ",
                message_status!(),
                " AS status, o.attempts, o.last_reply, o.created_at, o.updated_at, NULL::bigint AS campaign_id, \
                    NULL::text AS campaign_name, o.raw IS NOT NULL AS has_raw, o.size \
                 FROM outbound_messages o WHERE o.id = $1 AND o.kind <> 'campaign'"
            ),
        };
        let (LogId::Delivery(n) | LogId::Message(n)) = id;
        Ok(sqlx::query_as(sql).bind(n).fetch_optional(&self.pool).await?)
    }

    /// A message's attempts, oldest first.
    pub async fn log_attempts(&self, id: LogId) -> Result<Vec<LogAttempt>> {
        let (delivery, message) = match id {
            LogId::Delivery(n) => (Some(n), None),
            LogId::Message(n) => (None, Some(n)),
        };
        Ok(sqlx::query_as(
            "SELECT at, status, code, enhanced, reply, mx, tls FROM message_attempts \
             WHERE ($1::bigint IS NOT NULL AND delivery_id = $1) OR ($2::bigint IS NOT NULL AND message_id = $2) \
             ORDER BY at, id",
        )
        .bind(delivery)
        .bind(message)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The kept bytes of a message: as signed and sent (an outbox
    /// message), or the sandbox's copy of a delivery.
    pub async fn log_raw(&self, id: LogId) -> Result<Option<Vec<u8>>> {
        Ok(match id {
            LogId::Message(n) => {
                sqlx::query_scalar(
                    "SELECT coalesce(signature, '') || raw FROM outbound_messages \
                     WHERE id = $1 AND kind <> 'campaign' AND raw IS NOT NULL",
                )
                .bind(n)
                .fetch_optional(&self.pool)
                .await?
            }
            LogId::Delivery(n) => sqlx::query_scalar(
                "SELECT coalesce(signature, '') || raw FROM outbound_messages WHERE delivery_id = $1 AND raw IS NOT NULL \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(n)
            .fetch_optional(&self.pool)
            .await?,
        })
    }

    /// Lets a held message go (`release`) or drops it; false when it is
    /// not held.
    pub async fn settle_held(&self, id: i64, release: bool) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbound_messages SET status = CASE WHEN $2 THEN 'queued' ELSE 'dropped' END, \
             next_attempt_at = now(), updated_at = now(), \
             last_reply = CASE WHEN $2 THEN last_reply ELSE 'dropped by an operator' END \
             WHERE id = $1 AND status = 'held'",
        )
        .bind(id)
        .bind(release)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How long the log keeps messages' bytes and the rest: (days of
    /// bytes, days of the rest).
    pub async fn log_retention(&self) -> Result<(i32, i32)> {
        Ok(sqlx::query_as("SELECT log_raw_days, log_days FROM sender_settings").fetch_one(&self.pool).await?)
    }

    pub async fn set_log_retention(&self, raw_days: i32, days: i32) -> Result<()> {
        sqlx::query("UPDATE sender_settings SET log_raw_days = $1, log_days = $2, updated_at = now()")
            .bind(raw_days)
            .bind(days)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One round of retention at `now`, at most `batch` rows of each kind:
    /// the bytes of finished messages older than the bytes' retention are
    /// dropped (size and data stay), finished messages and attempts older
    /// than the log's retention are deleted, and spent idempotency keys
    /// and usage counters are forgotten. Call again while it returns a full
    /// round.
    pub async fn forget_old_messages(&self, now: DateTime<Utc>, batch: i64) -> Result<Forgotten> {
        let (raw_days, days) = self.log_retention().await?;
        let bytes = sqlx::query(concat!(
            "UPDATE outbound_messages SET raw = NULL, signature = NULL WHERE id IN ( \
                SELECT id FROM outbound_messages WHERE created_at < $1 - make_interval(days => $2) \
                AND raw IS NOT NULL AND status IN ",
            finished!(),
            " ORDER BY created_at LIMIT $3)"
        ))
        .bind(now)
        .bind(raw_days)
        .bind(batch)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let messages = sqlx::query(concat!(
            "DELETE FROM outbound_messages WHERE id IN ( \
                SELECT id FROM outbound_messages WHERE created_at < $1 - make_interval(days => $2) \
                AND status IN ",
            finished!(),
            " ORDER BY created_at LIMIT $3)"
        ))
        .bind(now)
        .bind(days)
        .bind(batch)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let attempts = sqlx::query(
            "DELETE FROM message_attempts WHERE id IN ( \
                SELECT id FROM message_attempts WHERE at < $1 - make_interval(days => $2) ORDER BY at LIMIT $3)",
        )
        .bind(now)
        .bind(days)
        .bind(batch)
        .execute(&self.pool)
        .await?
        .rows_affected();
        for spent in [
            "DELETE FROM tx_requests WHERE ctid IN ( \
                SELECT ctid FROM tx_requests WHERE created_at < $1 - interval '1 day' LIMIT $2)",
            "DELETE FROM send_usage WHERE ctid IN (SELECT ctid FROM send_usage WHERE since < $1 - interval '2 days' LIMIT $2)",
        ] {
            sqlx::query(spent).bind(now).bind(batch).execute(&self.pool).await?;
        }
        Ok(Forgotten { bytes, rows: messages + attempts })
    }
}

/// `text` for a LIKE pattern, its wildcards taken literally.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ids_and_campaign_message_ids_are_read() {
        assert_eq!(LogId::parse("d12"), Some(LogId::Delivery(12)));
        assert_eq!(LogId::parse("m3"), Some(LogId::Message(3)));
        assert_eq!(LogId::parse("x3"), None);
        assert_eq!(LogId::parse("d-3"), None);
        assert_eq!(LogId::parse("d"), None);
        assert_eq!(LogId::Message(7).to_string(), "m7");
        assert_eq!(delivery_of_message_id("<4.812.1795000000@news.example>"), Some(812));
        assert_eq!(delivery_of_message_id("4.812.1795000000@news.example"), Some(812));
        assert_eq!(delivery_of_message_id("t.abc@news.example"), None);
        assert_eq!(delivery_of_message_id("4.812@news.example"), None);
    }
}
