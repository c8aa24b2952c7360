//! A/B tests of subject lines: deciding the winner and the figures per
//! variant.

use chrono::{DateTime, Utc};
use domain::AbMetric;

use crate::{Result, Store};

impl Store {
    /// Ends the A/B tests whose waiting time is over at `now`: the subject
    /// with the best share of recipients who opened (or clicked), by people
    /// and not machines, wins (ties: the lower variant), and the held rest
    /// of the audience is queued with it. Returns (campaign, winner) pairs.
    pub async fn decide_ab_tests(&self, now: DateTime<Utc>) -> Result<Vec<(i64, i16)>> {
        let due: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, ab_metric FROM campaigns WHERE status = 'sending' AND ab_winner IS NULL \
             AND ab_sample_percent > 0 AND cardinality(ab_subjects) > 0 \
             AND started_at + make_interval(mins => ab_wait_minutes) <= $1",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut decided = Vec::new();
        for (id, metric) in due {
            let kind = AbMetric::try_from(metric)?.event().as_str();
            let mut tx = self.pool.begin().await?;
            let winner: i16 = sqlx::query_scalar(
                "SELECT v.variant FROM (SELECT d.variant, count(*) FILTER (WHERE d.status = 'delivered') AS delivered, \
                    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM campaign_events e WHERE e.campaign_id = d.campaign_id \
                        AND e.subscriber_id = d.subscriber_id AND e.kind = $2 AND NOT e.machine)) AS won \
                    FROM deliveries d WHERE d.campaign_id = $1 AND d.status <> 'held' GROUP BY d.variant) v \
                 ORDER BY (v.won::float8 / greatest(v.delivered, 1)) DESC, v.variant LIMIT 1",
            )
            .bind(id)
            .bind(kind)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(0);
            sqlx::query("UPDATE campaigns SET ab_winner = $2, updated_at = now() WHERE id = $1")
                .bind(id)
                .bind(winner)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE deliveries SET status = 'queued', variant = $2, next_attempt_at = greatest(next_attempt_at, $3), \
                 updated_at = now() WHERE campaign_id = $1 AND status = 'held'",
            )
            .bind(id)
            .bind(winner)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            decided.push((id, winner));
        }
        Ok(decided)
    }

    /// Per subject line of an A/B test: (variant, delivered, people who
    /// opened, people who clicked).
    pub async fn variant_report(&self, id: i64) -> Result<Vec<(i16, i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT d.variant, count(*) FILTER (WHERE d.status = 'delivered'), \
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM campaign_events e WHERE e.campaign_id = d.campaign_id \
                    AND e.subscriber_id = d.subscriber_id AND e.kind = 'open' AND NOT e.machine)), \
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM campaign_events e WHERE e.campaign_id = d.campaign_id \
                    AND e.subscriber_id = d.subscriber_id AND e.kind = 'click' AND NOT e.machine)) \
             FROM deliveries d WHERE d.campaign_id = $1 AND d.status <> 'held' GROUP BY d.variant ORDER BY d.variant",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }
}
