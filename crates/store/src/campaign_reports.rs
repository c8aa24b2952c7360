//! What a campaign did: its report, its progress while sending, its
//! deliveries, and a subscriber's history with campaigns.

use chrono::{DateTime, Utc};
use domain::{CampaignStatus, DeliveryStatus, TlsState};

use crate::{Result, Store};

/// A campaign's numbers.
#[derive(Debug, Clone, Default)]
pub struct CampaignReport {
    pub by_status: Vec<(String, i64)>,
    pub human_opens: i64,
    pub machine_opens: i64,
    pub unique_human_opens: i64,
    pub human_clicks: i64,
    pub machine_clicks: i64,
    pub unique_human_clicks: i64,
    /// (link index, human clicks, machine clicks)
    pub clicks_by_link: Vec<(i32, i64, i64)>,
    pub unsubscribes: i64,
    /// (hour, delivered, human opens, human clicks)
    pub timeline: Vec<(DateTime<Utc>, i64, i64, i64)>,
}

/// How a campaign's sending goes: the recent rate and the recipient domains
/// with the most deliveries, each by outcome.
#[derive(Debug, Clone, Default)]
pub struct CampaignProgress {
    /// Deliveries that reached an outcome in the last five minutes.
    pub finished_last_5_min: i64,
    /// Deliveries still waiting (queued, held, sending, deferred).
    pub waiting: i64,
    pub domains: Vec<DomainProgress>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DomainProgress {
    pub domain: String,
    pub delivered: i64,
    pub waiting: i64,
    pub deferred: i64,
    pub bounced: i64,
    pub failed: i64,
}

impl CampaignProgress {
    /// Deliveries per minute over the last five minutes.
    pub fn per_minute(&self) -> i64 {
        self.finished_last_5_min / 5
    }

    /// Minutes until the waiting deliveries are done at the current rate.
    pub fn minutes_left(&self) -> Option<i64> {
        let rate = self.per_minute();
        (rate > 0 && self.waiting > 0).then(|| (self.waiting + rate - 1) / rate)
    }
}

/// One event in a subscriber's history with campaigns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    /// The campaign, or None for a change of subscription (`campaign` is
    /// then the list's name).
    pub campaign_id: Option<i64>,
    pub campaign: String,
    /// delivered, bounced, deferred, failed, suppressed, open, click, …;
    /// subscribed, unsubscribed for a list.
    pub what: String,
    /// The SMTP reply or the clicked URL's index; machine events are marked.
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// One line of the dashboard's overview of recent campaigns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub status: CampaignStatus,
    pub recipients: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub subscriber_id: i64,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_code: Option<i16>,
    pub last_enhanced: Option<String>,
    pub last_reply: Option<String>,
    pub mx: Option<String>,
    #[sqlx(try_from = "crate::OptionalWord")]
    pub tls: Option<TlsState>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    pub async fn campaign_report(&self, id: i64) -> Result<CampaignReport> {
        let by_status = sqlx::query_as(
            "SELECT status, count(*) FROM deliveries WHERE campaign_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let (human_opens, machine_opens, unique_human_opens, human_clicks, machine_clicks, unique_human_clicks): (
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE kind = 'open' AND NOT machine), \
                    count(*) FILTER (WHERE kind = 'open' AND machine), \
                    count(DISTINCT subscriber_id) FILTER (WHERE kind = 'open' AND NOT machine), \
                    count(*) FILTER (WHERE kind = 'click' AND NOT machine), \
                    count(*) FILTER (WHERE kind = 'click' AND machine), \
                    count(DISTINCT subscriber_id) FILTER (WHERE kind = 'click' AND NOT machine) \
             FROM campaign_events WHERE campaign_id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let clicks_by_link = sqlx::query_as(
            "SELECT link, count(*) FILTER (WHERE NOT machine), count(*) FILTER (WHERE machine) \
             FROM campaign_events WHERE campaign_id = $1 AND kind = 'click' GROUP BY link ORDER BY link",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let unsubscribes = sqlx::query_scalar(
            "SELECT count(DISTINCT d.subscriber_id) FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id \
             JOIN subscriptions x ON x.subscriber_id = d.subscriber_id AND x.list_id = d.list_id \
             WHERE d.campaign_id = $1 AND x.status = 'unsubscribed' AND x.updated_at >= c.started_at",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let timeline = sqlx::query_as(
            "WITH hours AS ( \
                SELECT date_trunc('hour', updated_at) AS h, count(*) AS delivered, 0::bigint AS opens, 0::bigint AS clicks \
                FROM deliveries WHERE campaign_id = $1 AND status = 'delivered' GROUP BY 1 \
                UNION ALL \
                SELECT date_trunc('hour', at), 0, count(*) FILTER (WHERE kind = 'open'), \
                       count(*) FILTER (WHERE kind = 'click') \
                FROM campaign_events WHERE campaign_id = $1 AND NOT machine GROUP BY 1 \
             ) SELECT h, sum(delivered)::bigint, sum(opens)::bigint, sum(clicks)::bigint FROM hours \
             GROUP BY h ORDER BY h LIMIT 500",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(CampaignReport {
            by_status,
            human_opens,
            machine_opens,
            unique_human_opens,
            human_clicks,
            machine_clicks,
            unique_human_clicks,
            clicks_by_link,
            unsubscribes,
            timeline,
        })
    }

    /// Why readers left after this campaign: (reason, how many), and the
    /// newest 20 of their own words.
    pub async fn unsubscribe_reasons(&self, campaign_id: i64) -> Result<(Vec<(String, i64)>, Vec<String>)> {
        let counts = sqlx::query_as(
            "SELECT reason, count(*) FROM unsubscribe_reasons WHERE campaign_id = $1 GROUP BY reason \
             ORDER BY count(*) DESC, reason",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        let words = sqlx::query_scalar(
            "SELECT detail FROM unsubscribe_reasons WHERE campaign_id = $1 AND detail <> '' ORDER BY id DESC LIMIT 20",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        Ok((counts, words))
    }

    /// What happened to a subscriber, newest first: deliveries, opens and
    /// clicks of campaigns, and joining and leaving lists.
    pub async fn subscriber_activity(&self, subscriber_id: i64, limit: i64) -> Result<Vec<ActivityRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM ( \
                SELECT d.campaign_id, c.name AS campaign, d.status AS what, \
                    coalesce(d.last_code::text || ' ', '') || coalesce(d.last_reply, '') AS detail, d.updated_at AS at \
                FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id WHERE d.subscriber_id = $1 \
                UNION ALL \
                SELECT e.campaign_id, c.name, e.kind, \
                    concat_ws(' ', CASE WHEN e.link IS NOT NULL THEN c.links[e.link + 1] END, \
                              CASE WHEN e.machine THEN '(machine)' END), e.at \
                FROM campaign_events e JOIN campaigns c ON c.id = e.campaign_id WHERE e.subscriber_id = $1 \
                UNION ALL \
                SELECT NULL, l.name, 'subscribed', x.status, x.created_at \
                FROM subscriptions x JOIN lists l ON l.id = x.list_id WHERE x.subscriber_id = $1 \
                UNION ALL \
                SELECT NULL, l.name, 'unsubscribed', '', x.updated_at \
                FROM subscriptions x JOIN lists l ON l.id = x.list_id \
                WHERE x.subscriber_id = $1 AND x.status = 'unsubscribed' \
             ) h ORDER BY at DESC LIMIT $2",
        )
        .bind(subscriber_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Delivered messages and people who opened and clicked (machines
    /// aside), per campaign of `ids`: (id, delivered, opened, clicked).
    pub async fn campaign_figures(&self, ids: &[i64]) -> Result<Vec<(i64, i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT c.id, \
                (SELECT count(*) FROM deliveries d WHERE d.campaign_id = c.id AND d.status = 'delivered'), \
                (SELECT count(DISTINCT subscriber_id) FROM campaign_events e \
                 WHERE e.campaign_id = c.id AND e.kind = 'open' AND NOT e.machine), \
                (SELECT count(DISTINCT subscriber_id) FROM campaign_events e \
                 WHERE e.campaign_id = c.id AND e.kind = 'click' AND NOT e.machine) \
             FROM campaigns c WHERE c.id = ANY($1) AND c.started_at IS NOT NULL",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest campaigns (not sequence steps) with their main figures.
    pub async fn recent_campaigns(&self, limit: i64) -> Result<Vec<CampaignSummary>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.name, c.status, c.recipients, \
                (SELECT count(*) FROM deliveries d WHERE d.campaign_id = c.id AND d.status = 'delivered') AS delivered, \
                (SELECT count(DISTINCT subscriber_id) FROM campaign_events e \
                 WHERE e.campaign_id = c.id AND e.kind = 'open' AND NOT e.machine) AS opened, \
                (SELECT count(DISTINCT subscriber_id) FROM campaign_events e \
                 WHERE e.campaign_id = c.id AND e.kind = 'click' AND NOT e.machine) AS clicked \
             FROM campaigns c WHERE c.sequence_id IS NULL ORDER BY c.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The sending rate and the top 20 recipient domains of a campaign.
    pub async fn campaign_progress(&self, id: i64, now: DateTime<Utc>) -> Result<CampaignProgress> {
        let (finished_last_5_min, waiting): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status IN ('delivered', 'bounced', 'failed') \
                                     AND updated_at > $2 - interval '5 minutes'), \
                    count(*) FILTER (WHERE status IN ('queued', 'held', 'sending', 'deferred')) \
             FROM deliveries WHERE campaign_id = $1",
        )
        .bind(id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let domains = sqlx::query_as(
            "SELECT lower(split_part(email, '@', 2)) AS domain, \
                    count(*) FILTER (WHERE status = 'delivered') AS delivered, \
                    count(*) FILTER (WHERE status IN ('queued', 'held', 'sending')) AS waiting, \
                    count(*) FILTER (WHERE status = 'deferred') AS deferred, \
                    count(*) FILTER (WHERE status = 'bounced') AS bounced, \
                    count(*) FILTER (WHERE status = 'failed') AS failed \
             FROM deliveries WHERE campaign_id = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 20",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(CampaignProgress { finished_last_5_min, waiting, domains })
    }

    /// A campaign's deliveries, newest attempt first, for the dashboard.
    pub async fn campaign_deliveries(&self, id: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        Ok(sqlx::query_as(
            "SELECT id, subscriber_id, email, status, attempts, next_attempt_at, last_code, last_enhanced, last_reply, \
             mx, tls, updated_at FROM deliveries WHERE campaign_id = $1 ORDER BY updated_at DESC, id LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
