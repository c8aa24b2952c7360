//! Opens and clicks as they come back, and the links they name.

use chrono::{DateTime, Utc};
use domain::EventKind;

use crate::{Result, Store};

/// A tracked open or click, as the web node saw it.
#[derive(Debug, Clone)]
pub struct TrackEvent {
    pub campaign_id: i64,
    pub subscriber_id: Option<i64>,
    pub kind: EventKind,
    pub link: Option<i32>,
    /// Known from the request alone (privacy proxy or scanner user agent).
    pub machine: bool,
    pub at: DateTime<Utc>,
}

/// Within this time after delivery, a click is a link scanner's.
const SCANNER_WINDOW_SECS: f64 = 10.0;

impl Store {
    /// Writes a batch of opens and clicks. A click within a few seconds of
    /// its delivery is a link scanner's, not a person's.
    pub async fn record_events(&self, events: &[TrackEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let campaigns: Vec<i64> = events.iter().map(|e| e.campaign_id).collect();
        let subscribers: Vec<Option<i64>> = events.iter().map(|e| e.subscriber_id).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let links: Vec<Option<i32>> = events.iter().map(|e| e.link).collect();
        let machine: Vec<bool> = events.iter().map(|e| e.machine).collect();
        let at: Vec<DateTime<Utc>> = events.iter().map(|e| e.at).collect();
        sqlx::query(
            "INSERT INTO campaign_events (campaign_id, subscriber_id, kind, link, machine, at) \
             SELECT e.campaign_id, e.subscriber_id, e.kind, e.link, \
                e.machine OR (e.kind = 'click' AND d.status = 'delivered' \
                    AND extract(epoch FROM e.at - d.updated_at) BETWEEN 0 AND $7), e.at \
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::bool[], $6::timestamptz[]) \
                AS e(campaign_id, subscriber_id, kind, link, machine, at) \
             JOIN campaigns c ON c.id = e.campaign_id \
             LEFT JOIN LATERAL (SELECT d.status, d.updated_at FROM deliveries d \
                WHERE d.campaign_id = e.campaign_id AND d.subscriber_id = e.subscriber_id \
                ORDER BY d.occurrence DESC LIMIT 1) d ON true",
        )
        .bind(&campaigns)
        .bind(&subscribers)
        .bind(&kinds)
        .bind(&links)
        .bind(&machine)
        .bind(&at)
        .bind(SCANNER_WINDOW_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The URL behind a campaign's tracked link `index` (a click's only
    /// lookup, so it reads one array element, not the campaign).
    pub async fn campaign_link(&self, campaign_id: i64, index: i64) -> Result<Option<String>> {
        let Some(index) = i32::try_from(index).ok().filter(|i| *i < i32::MAX) else { return Ok(None) };
        let url: Option<Option<String>> = sqlx::query_scalar("SELECT links[$2 + 1] FROM campaigns WHERE id = $1")
            .bind(campaign_id)
            .bind(index)
            .fetch_optional(&self.pool)
            .await?;
        Ok(url.flatten())
    }
}
