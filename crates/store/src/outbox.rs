//! The outbox: messages ninsho writes itself (double opt-in confirmations,
//! test sends), sent by the delivery engine ahead of campaign deliveries,
//! with leases, retries and the last reply like deliveries.

use chrono::{DateTime, Duration, Utc};

use crate::{Result, Store};
use domain::{OutboxStatus, TlsState};

/// An outbox message taken by a delivery worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedMessage {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    /// The From of a message built elsewhere (a test send); `None`: the
    /// engine's own sender.
    pub from_address: Option<String>,
    /// The message when it was built elsewhere; `None`: built from the text.
    pub raw: Option<Vec<u8>>,
    /// `raw` is signed already (by an earlier attempt): sent as it is.
    pub signed: bool,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// Tried until then.
    pub expires_at: DateTime<Utc>,
}

/// How an outbox message's attempt ended.
#[derive(Debug, Clone)]
pub struct MessageOutcome {
    pub id: i64,
    /// sent, deferred, bounced, failed or captured.
    pub status: OutboxStatus,
    pub code: Option<i16>,
    pub enhanced: Option<String>,
    /// The reply's text (or why there was none); the code and enhanced
    /// status are put before it in `last_reply`.
    pub reply: String,
    pub mx: Option<String>,
    pub tls: Option<TlsState>,
    pub retry_at: Option<DateTime<Utc>>,
    /// What this attempt's signing made, kept for the message log, the
    /// sandbox mailbox and the next attempt (None: unchanged).
    pub signed: Option<Signed>,
    pub at: DateTime<Utc>,
}

/// What signing made of a message: header fields in front of the bytes
/// already kept (DKIM), or whole new bytes (S/MIME signs the body too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    Prefix(Vec<u8>),
    Whole(Vec<u8>),
}

impl Signed {
    /// `signed` as a prefix of `unsigned` when it is one, else whole.
    pub fn of(unsigned: &[u8], signed: Vec<u8>) -> Self {
        match signed.len().checked_sub(unsigned.len()) {
            Some(at) if signed[at..] == *unsigned => Self::Prefix(signed[..at].to_vec()),
            _ => Self::Whole(signed),
        }
    }
}

/// Messages of our own are useless late (a confirmation a day old): they
/// fail rather than wait longer, unless they say otherwise (`expires_at`).
const LIFETIME_HOURS: i64 = 24;

impl Store {
    /// Takes up to `limit` due outbox messages for `lease`; those older
    /// than a day fail instead.
    pub async fn lease_messages(&self, now: DateTime<Utc>, limit: i64, lease: Duration) -> Result<Vec<LeasedMessage>> {
        sqlx::query(
            "UPDATE outbound_messages SET status = 'failed', updated_at = $1, \
             last_reply = 'expired: not sent within a day' || coalesce('; last: ' || last_reply, '') \
             WHERE status IN ('queued', 'sending', 'deferred') AND coalesce(expires_at, created_at + $2) < $1",
        )
        .bind(now)
        .bind(Duration::hours(LIFETIME_HOURS))
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as(
            "UPDATE outbound_messages o SET status = 'sending', attempts = o.attempts + 1, \
             next_attempt_at = $1 + $3, updated_at = $1 \
             FROM (SELECT id FROM outbound_messages \
                   WHERE status IN ('queued', 'sending', 'deferred') AND next_attempt_at <= $1 AND kind <> 'campaign' \
                   ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) due \
             WHERE o.id = due.id \
             RETURNING o.id, o.kind, o.to_address, o.subject, o.text_body, o.from_address, \
                 CASE WHEN o.signed THEN coalesce(o.signature, '') || o.raw ELSE o.raw END AS raw, o.signed, \
                 o.attempts, o.created_at, coalesce(o.expires_at, o.created_at + $4) AS expires_at",
        )
        .bind(now)
        .bind(limit)
        .bind(lease)
        .bind(Duration::hours(LIFETIME_HOURS))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Messages waiting to be sent, by status (campaign deliveries and the
    /// outbox apart): the queue depth for monitoring.
    pub async fn queue_depth(&self) -> Result<Vec<(&'static str, String, i64)>> {
        let deliveries: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, count(*) FROM deliveries WHERE status IN ('queued', 'sending', 'deferred') GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        let outbox: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, count(*) FROM outbound_messages WHERE status IN ('queued', 'sending', 'deferred') \
             GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut depth = Vec::new();
        for status in ["queued", "sending", "deferred"] {
            for (queue, rows) in [("campaign", &deliveries), ("outbox", &outbox)] {
                let count = rows.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
                depth.push((queue, status.to_owned(), count));
            }
        }
        Ok(depth)
    }

    /// Writes the outcomes of a batch of attempts in one statement, each
    /// also into the message log's history.
    pub async fn record_message_outcomes(&self, outcomes: &[MessageOutcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = outcomes.iter().map(|o| o.id).collect();
        let statuses: Vec<&str> = outcomes.iter().map(|o| o.status.as_str()).collect();
        let codes: Vec<Option<i16>> = outcomes.iter().map(|o| o.code).collect();
        let enhanced: Vec<Option<&str>> = outcomes.iter().map(|o| o.enhanced.as_deref()).collect();
        let replies: Vec<&str> = outcomes.iter().map(|o| o.reply.as_str()).collect();
        let mxs: Vec<Option<&str>> = outcomes.iter().map(|o| o.mx.as_deref()).collect();
        let tls: Vec<Option<&str>> = outcomes.iter().map(|o| o.tls.map(TlsState::as_str)).collect();
        let retries: Vec<Option<DateTime<Utc>>> = outcomes.iter().map(|o| o.retry_at).collect();
        let prefix: Vec<Option<&[u8]>> = outcomes
            .iter()
            .map(|o| match &o.signed {
                Some(Signed::Prefix(p)) => Some(p.as_slice()),
                _ => None,
            })
            .collect();
        let whole: Vec<Option<&[u8]>> = outcomes
            .iter()
            .map(|o| match &o.signed {
                Some(Signed::Whole(w)) => Some(w.as_slice()),
                _ => None,
            })
            .collect();
        let at: Vec<DateTime<Utc>> = outcomes.iter().map(|o| o.at).collect();
        sqlx::query(
            "WITH o AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[], \
                         $6::text[], $7::text[], $8::timestamptz[], $9::bytea[], $10::timestamptz[], $11::bytea[]) \
                  AS o(id, status, code, enhanced, reply, mx, tls, retry_at, prefix, at, whole)), \
             updated AS (UPDATE outbound_messages m SET status = o.status, \
                last_reply = concat_ws(' ', o.code::text, o.enhanced, o.reply), last_code = o.code, \
                last_enhanced = o.enhanced, mx = o.mx, tls = o.tls, \
                next_attempt_at = coalesce(o.retry_at, m.next_attempt_at), raw = coalesce(o.whole, m.raw), \
                signature = CASE WHEN o.whole IS NOT NULL THEN NULL ELSE coalesce(o.prefix, m.signature) END, \
                signed = m.signed OR o.prefix IS NOT NULL OR o.whole IS NOT NULL, \
                size = coalesce(length(o.whole), length(o.prefix) + length(m.raw), m.size), \
                updated_at = o.at \
                FROM o WHERE m.id = o.id RETURNING m.id) \
             INSERT INTO message_attempts (message_id, at, status, code, enhanced, reply, mx, tls) \
             SELECT o.id, o.at, o.status, o.code, o.enhanced, o.reply, o.mx, o.tls FROM o JOIN updated u ON u.id = o.id",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&codes)
        .bind(&enhanced)
        .bind(&replies)
        .bind(&mxs)
        .bind(&tls)
        .bind(&retries)
        .bind(&prefix)
        .bind(&at)
        .bind(&whole)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// One source address's warm-up standing on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIpUsage {
    pub ip: std::net::IpAddr,
    /// The first day anything was sent from it (today, when never).
    pub first_day: chrono::NaiveDate,
    pub sent_today: i64,
}

impl Store {
    /// How much each address has sent on `today`, and since when it sends.
    pub async fn source_ip_usage(
        &self,
        ips: &[std::net::IpAddr],
        today: chrono::NaiveDate,
    ) -> Result<Vec<SourceIpUsage>> {
        let nets: Vec<ipnet::IpNet> = ips.iter().map(|&ip| ipnet::IpNet::from(ip)).collect();
        let rows: Vec<(ipnet::IpNet, Option<chrono::NaiveDate>, Option<i64>)> = sqlx::query_as(
            "SELECT a.ip, min(d.day), sum(d.sent) FILTER (WHERE d.day = $2) \
             FROM unnest($1::inet[]) AS a(ip) LEFT JOIN source_ip_days d ON d.ip = a.ip GROUP BY a.ip",
        )
        .bind(&nets)
        .bind(today)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(ip, first, sent)| SourceIpUsage {
                ip: ip.addr(),
                first_day: first.unwrap_or(today),
                sent_today: sent.unwrap_or(0),
            })
            .collect())
    }

    /// Adds messages sent from addresses on a day.
    pub async fn add_source_ip_sends(&self, day: chrono::NaiveDate, sends: &[(std::net::IpAddr, i32)]) -> Result<()> {
        let nets: Vec<ipnet::IpNet> = sends.iter().map(|(ip, _)| ipnet::IpNet::from(*ip)).collect();
        let counts: Vec<i32> = sends.iter().map(|(_, n)| *n).collect();
        sqlx::query(
            "INSERT INTO source_ip_days (ip, day, sent) SELECT ip, $2, n FROM unnest($1::inet[], $3::int[]) AS s(ip, n) \
             ON CONFLICT (ip, day) DO UPDATE SET sent = source_ip_days.sent + EXCLUDED.sent",
        )
        .bind(&nets)
        .bind(day)
        .bind(&counts)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Suspends a destination for all delivery nodes (a later end wins).
    pub async fn suspend_destination(&self, destination: &str, until: DateTime<Utc>, reason: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO destination_suspensions (destination, until, reason) VALUES ($1, $2, $3) \
             ON CONFLICT (destination) DO UPDATE SET until = greatest(destination_suspensions.until, EXCLUDED.until), \
             reason = CASE WHEN EXCLUDED.until > destination_suspensions.until THEN EXCLUDED.reason \
                           ELSE destination_suspensions.reason END",
        )
        .bind(destination)
        .bind(until)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Suspensions still running at `now`: (destination, until, reason).
    pub async fn destination_suspensions(&self, now: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>, String)>> {
        Ok(sqlx::query_as(
            "SELECT destination, until, reason FROM destination_suspensions WHERE until > $1 ORDER BY until DESC",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::Signed;

    #[test]
    fn a_signature_in_front_is_kept_alone() {
        let raw = b"From: a@b.example\r\n\r\nHi\r\n".to_vec();
        let signed = [b"DKIM-Signature: v=1; d=b.example\r\n".as_slice(), &raw].concat();
        assert_eq!(Signed::of(&raw, signed), Signed::Prefix(b"DKIM-Signature: v=1; d=b.example\r\n".to_vec()));
        let changed = b"Content-Type: application/pkcs7-mime\r\n\r\nMII".to_vec();
        assert_eq!(Signed::of(&raw, changed.clone()), Signed::Whole(changed));
    }
}
