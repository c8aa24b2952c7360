//! Bounces, complaints and the messages they came in.

use chrono::{DateTime, Utc};
use replies::{Reason, Rule};

use domain::SubscriberStatus;

use crate::{Result, Store, StoreError, SuppressionTarget};

/// A delivery a bounce or complaint is about.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BouncedDelivery {
    pub id: i64,
    pub campaign_id: i64,
    pub subscriber_id: i64,
    pub list_id: i64,
    pub email: String,
}

/// A bounce to record.
/// What a recorded bounce adds up to: the address's bounces of its reason
/// within the rule's days, and the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BounceTally {
    pub bounces: i64,
    pub rule: Rule,
}

impl BounceTally {
    pub fn suppresses(self) -> bool {
        self.rule.suppresses(self.bounces)
    }
}

pub struct NewBounce<'a> {
    pub email: &'a str,
    pub reason: &'a str,
    /// `hard`, `soft` or `sender`.
    pub effect: &'a str,
    pub status: &'a str,
    pub diagnostic: &'a str,
    /// A bounce message about a delivery the receiver had accepted (the
    /// delivery row becomes bounced here); false for a refusal during
    /// delivery, whose outcome the engine writes itself.
    pub arrived_later: bool,
}

impl Store {
    /// Keeps a record of an inbound message; `raw` only when it must be kept.
    pub async fn record_inbound(
        &self,
        peer: Option<std::net::IpAddr>,
        mail_from: &str,
        rcpt: &str,
        kind: &str,
        outcome: &str,
        raw: Option<&[u8]>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO inbound_messages (peer, mail_from, rcpt, kind, outcome, raw) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(peer.map(ipnet::IpNet::from))
        .bind(mail_from)
        .bind(rcpt)
        .bind(kind)
        .bind(outcome)
        .bind(raw)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The newest inbound messages: (when, rcpt, kind, outcome).
    pub async fn inbound_messages(&self, limit: i64) -> Result<Vec<(DateTime<Utc>, String, String, String)>> {
        Ok(sqlx::query_as("SELECT received_at, rcpt, kind, outcome FROM inbound_messages ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn delivery_for_feedback(&self, id: i64) -> Result<Option<BouncedDelivery>> {
        Ok(sqlx::query_as("SELECT id, campaign_id, subscriber_id, list_id, email FROM deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Records a bounce of a delivery (refused during delivery, or
    /// accepted and bounced later: then the delivery is marked bounced),
    /// and counts the address's bounces of the same reason within the days
    /// of the reason's rule (the built-in one unless an operator set one),
    /// this one included.
    pub async fn record_bounce(
        &self,
        delivery: Option<&BouncedDelivery>,
        bounce: &NewBounce<'_>,
    ) -> Result<BounceTally> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO bounces (delivery_id, campaign_id, email, reason, effect, status, diagnostic) \
             VALUES ($1, $2, lower($3), $4, $5, $6, $7) \
             ON CONFLICT (delivery_id, effect) WHERE delivery_id IS NOT NULL DO NOTHING",
        )
        .bind(delivery.map(|d| d.id))
        .bind(delivery.map(|d| d.campaign_id))
        .bind(bounce.email)
        .bind(bounce.reason)
        .bind(bounce.effect)
        .bind(bounce.status)
        .bind(bounce.diagnostic)
        .execute(&mut *tx)
        .await?;
        if let Some(d) = delivery.filter(|_| bounce.arrived_later) {
            let reply = format!("bounced later: {} {}", bounce.status, bounce.diagnostic);
            sqlx::query(
                "UPDATE deliveries SET status = 'bounced', last_enhanced = NULLIF($2, ''), last_reply = $3, \
                 updated_at = now() WHERE id = $1",
            )
            .bind(d.id)
            .bind(bounce.status)
            .bind(reply.chars().take(500).collect::<String>())
            .execute(&mut *tx)
            .await?;
        }
        let rule: Option<(i32, i32)> = sqlx::query_as("SELECT bounces, days FROM bounce_rules WHERE reason = $1")
            .bind(bounce.reason)
            .fetch_optional(&mut *tx)
            .await?;
        let built_in = Reason::from_name(bounce.reason).map(Rule::default_for).unwrap_or(Rule { bounces: 3, days: 30 });
        let rule = rule.map_or(built_in, |(bounces, days)| Rule { bounces, days });
        let bounces: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM bounces WHERE lower(email) = lower($1) AND reason = $2 \
             AND created_at > now() - make_interval(days => $3)",
        )
        .bind(bounce.email)
        .bind(bounce.reason)
        .bind(rule.days)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(BounceTally { bounces, rule })
    }

    /// The error-address rules operators set, by reason (the others follow
    /// the built-in ones).
    pub async fn bounce_rules(&self) -> Result<Vec<(String, Rule)>> {
        let rows: Vec<(String, i32, i32)> =
            sqlx::query_as("SELECT reason, bounces, days FROM bounce_rules ORDER BY reason")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(reason, bounces, days)| (reason, Rule { bounces, days })).collect())
    }

    /// Sets the rules of these reasons; a reason whose rule is its built-in
    /// one (`None`) loses its row, so later changes to the built-in rule
    /// reach it.
    pub async fn save_bounce_rules(&self, rules: &[(&str, Option<Rule>)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (reason, rule) in rules {
            match rule {
                Some(r) => {
                    sqlx::query(
                        "INSERT INTO bounce_rules (reason, bounces, days) VALUES ($1, $2, $3) \
                         ON CONFLICT (reason) DO UPDATE SET bounces = $2, days = $3, updated_at = now()",
                    )
                    .bind(reason)
                    .bind(r.bounces)
                    .bind(r.days)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM bounce_rules WHERE reason = $1").bind(reason).execute(&mut *tx).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Suppresses an address and marks its subscriber `status` (bounced or
    /// complained); an address suppressed already stays so.
    pub async fn suppress_for_feedback(&self, email: &str, status: SubscriberStatus, reason: &str) -> Result<()> {
        let Ok(address) = domain::EmailAddress::parse(email) else { return Ok(()) };
        match self.add_suppression(&SuppressionTarget::Address(address), reason).await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        sqlx::query("UPDATE subscribers SET status = $2, updated_at = now() WHERE lower(email) = lower($1)")
            .bind(email)
            .bind(status.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a complaint; returns the campaign's complaints and deliveries
    /// so far, for the complaint rate, when it is a new complaint about a
    /// delivery (None for one seen before or about no delivery).
    pub async fn record_complaint(
        &self,
        delivery: Option<&BouncedDelivery>,
        email: &str,
        feedback_type: &str,
        user_agent: &str,
    ) -> Result<Option<(i64, i64)>> {
        let inserted = sqlx::query(
            "INSERT INTO complaints (delivery_id, campaign_id, email, feedback_type, user_agent) \
             VALUES ($1, $2, lower($3), $4, $5) ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING",
        )
        .bind(delivery.map(|d| d.id))
        .bind(delivery.map(|d| d.campaign_id))
        .bind(email)
        .bind(feedback_type)
        .bind(user_agent)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let Some(d) = delivery.filter(|_| inserted == 1) else { return Ok(None) };
        Ok(Some(
            sqlx::query_as(
                "SELECT (SELECT count(*) FROM complaints WHERE campaign_id = $1), \
                        (SELECT count(*) FROM deliveries WHERE campaign_id = $1 AND status IN ('delivered', 'bounced'))",
            )
            .bind(d.campaign_id)
            .fetch_one(&self.pool)
            .await?,
        ))
    }

    /// A campaign's bounces by reason and effect: (reason, effect, count).
    pub async fn bounce_reasons(&self, campaign_id: i64) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT reason, effect, count(*) FROM bounces WHERE campaign_id = $1 \
             GROUP BY reason, effect ORDER BY count(*) DESC, reason",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn complaint_count(&self, campaign_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM complaints WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Whether `domain` is a sending domain.
    pub async fn is_sending_domain(&self, domain: &str) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sending_domains WHERE lower(domain) = lower($1))")
            .bind(domain)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The sending domain a campaign sends from (its From address's domain).
    pub async fn campaign_sending_domain(&self, campaign_id: i64) -> Result<Option<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT d.id, d.domain FROM campaigns c JOIN sending_domains d \
             ON lower(d.domain) = lower(split_part(c.from_address, '@', 2)) WHERE c.id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks an outbox message bounced after it was accepted; returns its
    /// recipient.
    pub async fn bounce_outbound(&self, id: i64, reply: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE outbound_messages SET status = 'failed', last_reply = $2, updated_at = now() \
             WHERE id = $1 RETURNING to_address",
        )
        .bind(id)
        .bind(reply)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A campaign's complaints by recipient domain, with what was delivered
    /// there: (domain, complaints, delivered), most complaints first.
    pub async fn complaints_by_domain(&self, campaign_id: i64) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query_as(
            "WITH c AS (SELECT split_part(lower(email), '@', 2) AS domain, count(*) AS complaints \
                        FROM complaints WHERE campaign_id = $1 GROUP BY 1) \
             SELECT c.domain, c.complaints, \
                    (SELECT count(*) FROM deliveries d WHERE d.campaign_id = $1 \
                       AND d.status IN ('delivered', 'bounced') AND split_part(lower(d.email), '@', 2) = c.domain) \
             FROM c ORDER BY c.complaints DESC, c.domain",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Drops the record of inbound messages older than `keep` (bounces,
    /// complaints and reports stay in their own tables); returns how many.
    pub async fn prune_inbound(&self, keep: chrono::Duration) -> Result<u64> {
        let done = sqlx::query("DELETE FROM inbound_messages WHERE received_at < now() - $1::interval")
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

/// A campaign whose bounces passed the alert threshold.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ErrorRate {
    pub campaign_id: i64,
    pub name: String,
    pub domain_id: i64,
    pub domain: String,
    pub sent: i64,
    pub bounced: i64,
    /// The threshold passed, per cent.
    pub limit_percent: f64,
}

impl Store {
    /// Campaigns sending, or finished within three days (bounces keep
    /// coming back), whose bounces passed the alert threshold of the sender
    /// settings once they had sent `min_sends`; each is claimed, so that
    /// one alert goes out whichever node sees it first.
    pub async fn claim_error_rate_alerts(&self, min_sends: i64) -> Result<Vec<ErrorRate>> {
        Ok(sqlx::query_as(
            "WITH settings AS (SELECT error_rate_alert AS limit_percent FROM sender_settings), \
             watched AS (SELECT id FROM campaigns WHERE error_rate_alerted_at IS NULL \
                 AND (status = 'sending' OR (status = 'finished' AND finished_at > now() - interval '3 days'))), \
             counts AS (SELECT campaign_id, \
                     count(*) FILTER (WHERE status IN ('delivered', 'bounced')) AS sent, \
                     count(*) FILTER (WHERE status = 'bounced') AS bounced \
                 FROM deliveries WHERE campaign_id IN (SELECT id FROM watched) GROUP BY campaign_id), \
             over AS (SELECT counts.*, settings.limit_percent FROM counts, settings \
                 WHERE settings.limit_percent > 0 AND counts.sent >= $1 \
                 AND counts.bounced * 100.0 > settings.limit_percent * counts.sent), \
             claimed AS (UPDATE campaigns c SET error_rate_alerted_at = now() FROM over \
                 WHERE c.id = over.campaign_id AND c.error_rate_alerted_at IS NULL \
                 RETURNING c.id, c.name, c.from_address, over.sent, over.bounced, over.limit_percent) \
             SELECT claimed.id AS campaign_id, claimed.name, d.id AS domain_id, d.domain, claimed.sent, \
                 claimed.bounced, claimed.limit_percent \
             FROM claimed JOIN sending_domains d \
                 ON lower(d.domain) = lower(split_part(claimed.from_address, '@', 2)) ORDER BY claimed.id",
        )
        .bind(min_sends)
        .fetch_all(&self.pool)
        .await?)
    }
}
