//! Layouts, campaigns and their lifecycle, the delivery queue they fill,
//! and the opens and clicks that come back.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};

use sqlx::QueryBuilder;

use crate::segments::{Filter, push_filter};
use crate::{Result, Store, StoreError};
use domain::{AbMetric, CampaignStatus, DeliveryStatus, EventKind, TlsState};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub status: CampaignStatus,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub subject: String,
    pub preheader: String,
    pub body_format: String,
    pub body: String,
    pub text_body: String,
    pub template_id: Option<i64>,
    pub list_ids: Vec<i64>,
    pub segment_id: Option<i64>,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub anonymous_tracking: bool,
    pub send_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    pub links: Vec<String>,
    pub layout_snapshot: Option<String>,
    pub error: Option<String>,
    /// Set on the steps of a step sequence.
    pub sequence_id: Option<i64>,
    pub step_delay_minutes: Option<i32>,
    pub send_at_local: Option<NaiveDateTime>,
    pub recipient_zone_attribute: String,
    pub window_start: Option<NaiveTime>,
    pub window_end: Option<NaiveTime>,
    pub ab_subjects: Vec<String>,
    pub ab_sample_percent: i16,
    pub ab_wait_minutes: i32,
    #[sqlx(try_from = "String")]
    pub ab_metric: AbMetric,
    pub ab_winner: Option<i16>,
    pub recipients: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

macro_rules! campaign_columns {
    () => {
        "id, name, status, from_name, from_address, reply_to, subject, preheader, body_format, body, text_body, \
         template_id, list_ids, segment_id, track_opens, track_clicks, anonymous_tracking, send_at, time_zone, links, \
         layout_snapshot, error, sequence_id, step_delay_minutes, send_at_local, recipient_zone_attribute, \
         window_start, window_end, ab_subjects, ab_sample_percent, ab_wait_minutes, ab_metric, ab_winner, recipients, created_at, updated_at, started_at, finished_at"
    };
}

/// The fields a marketer edits.
#[derive(Debug, Clone)]
pub struct CampaignFields {
    pub name: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub subject: String,
    pub preheader: String,
    pub body_format: String,
    pub body: String,
    pub text_body: String,
    pub template_id: Option<i64>,
    pub list_ids: Vec<i64>,
    pub segment_id: Option<i64>,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub anonymous_tracking: bool,
    pub time_zone: String,
    /// A subscriber attribute naming each recipient's time zone; empty: none.
    pub recipient_zone_attribute: String,
    pub window_start: Option<NaiveTime>,
    pub window_end: Option<NaiveTime>,
    /// Other subject lines to test against the main one.
    pub ab_subjects: Vec<String>,
    pub ab_sample_percent: i16,
    pub ab_wait_minutes: i32,
    pub ab_metric: AbMetric,
}

impl Default for CampaignFields {
    /// An empty draft with the database's defaults.
    fn default() -> Self {
        Self {
            name: String::new(),
            from_name: String::new(),
            from_address: String::new(),
            reply_to: String::new(),
            subject: String::new(),
            preheader: String::new(),
            body_format: "markdown".into(),
            body: String::new(),
            text_body: String::new(),
            template_id: None,
            list_ids: Vec::new(),
            segment_id: None,
            track_opens: true,
            track_clicks: true,
            anonymous_tracking: false,
            time_zone: "UTC".into(),
            recipient_zone_attribute: String::new(),
            window_start: None,
            window_end: None,
            ab_subjects: Vec::new(),
            ab_sample_percent: 0,
            ab_wait_minutes: 240,
            ab_metric: AbMetric::Opens,
        }
    }
}

/// A leased delivery with what rendering needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedDelivery {
    pub id: i64,
    pub campaign_id: i64,
    pub subscriber_id: i64,
    pub list_id: i64,
    pub email: String,
    pub attempts: i32,
    /// Which subject line (A/B test); 0 is the main one.
    pub variant: i16,
    /// When the row was queued: retries stop after the message's lifetime.
    pub created_at: DateTime<Utc>,
    pub name: String,
    pub attributes: sqlx::types::Json<serde_json::Value>,
    pub list_name: String,
    /// False when the recipient left the list, was blocklisted or suppressed
    /// after the campaign started: the row is then marked suppressed.
    pub sendable: bool,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub id: i64,
    pub status: DeliveryStatus,
    pub code: Option<i16>,
    pub enhanced: Option<String>,
    pub reply: Option<String>,
    pub mx: Option<String>,
    /// verified, unverified or none (see the `tls` column).
    pub tls: Option<TlsState>,
    /// When to try again (deferred only).
    pub retry_at: Option<DateTime<Utc>>,
    /// When the attempt ended, by the engine's clock.
    pub at: DateTime<Utc>,
}

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

/// Within this time after delivery, a click is a link scanner's.
const SCANNER_WINDOW_SECS: f64 = 10.0;

impl Store {
    pub async fn templates(&self) -> Result<Vec<Template>> {
        Ok(sqlx::query_as("SELECT id, name, body, updated_at FROM templates ORDER BY lower(name)")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn template(&self, id: i64) -> Result<Option<Template>> {
        Ok(sqlx::query_as("SELECT id, name, body, updated_at FROM templates WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Creates (`id` None) or replaces a layout.
    pub async fn save_template(&self, id: Option<i64>, name: &str, body: &str) -> Result<Template> {
        let query = match id {
            None => sqlx::query_as(
                "INSERT INTO templates (name, body) VALUES ($1, $2) RETURNING id, name, body, updated_at",
            ),
            Some(_) => sqlx::query_as(
                "UPDATE templates SET name = $1, body = $2, updated_at = now() WHERE id = $3 \
                 RETURNING id, name, body, updated_at",
            ),
        };
        query
            .bind(name)
            .bind(body)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(conflict("a layout with this name"))?
            .ok_or(StoreError::NotFound("layout"))
    }

    pub async fn delete_template(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM templates WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(conflict("a campaign using this layout"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("layout"));
        }
        Ok(())
    }

    pub async fn campaigns(&self, limit: i64) -> Result<Vec<Campaign>> {
        let sql = concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns WHERE sequence_id IS NULL ORDER BY id DESC LIMIT $1"
        );
        Ok(sqlx::query_as(sql).bind(limit).fetch_all(&self.pool).await?)
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<Campaign>> {
        let sql = concat!("SELECT ", campaign_columns!(), " FROM campaigns WHERE id = $1");
        Ok(sqlx::query_as(sql).bind(id).fetch_optional(&self.pool).await?)
    }

    /// Creates a draft (`id` None) or edits one; only drafts can be edited.
    pub async fn save_campaign(&self, id: Option<i64>, f: &CampaignFields) -> Result<Campaign> {
        let sql = match id {
            None => concat!(
                "INSERT INTO campaigns (name, from_name, from_address, reply_to, subject, preheader, body_format, \
                 body, text_body, template_id, list_ids, segment_id, track_opens, track_clicks, anonymous_tracking, \
                 time_zone, recipient_zone_attribute, window_start, window_end, ab_subjects, ab_sample_percent, \
                 ab_wait_minutes, ab_metric) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                 $16, $18, $19, $20, $21, $22, $23, $24) RETURNING ",
                campaign_columns!()
            ),
            Some(_) => concat!(
                "UPDATE campaigns SET name = $1, from_name = $2, from_address = $3, reply_to = $4, subject = $5, \
                 preheader = $6, body_format = $7, body = $8, text_body = $9, template_id = $10, list_ids = $11, \
                 segment_id = $12, track_opens = $13, track_clicks = $14, anonymous_tracking = $15, time_zone = $16, \
                 recipient_zone_attribute = $18, window_start = $19, window_end = $20, ab_subjects = $21, \
                 ab_sample_percent = $22, ab_wait_minutes = $23, ab_metric = $24, \
                 updated_at = now() WHERE id = $17 AND status = 'draft' RETURNING ",
                campaign_columns!()
            ),
        };
        let saved: Option<Campaign> = sqlx::query_as(sql)
            .bind(&f.name)
            .bind(&f.from_name)
            .bind(&f.from_address)
            .bind(&f.reply_to)
            .bind(&f.subject)
            .bind(&f.preheader)
            .bind(&f.body_format)
            .bind(&f.body)
            .bind(&f.text_body)
            .bind(f.template_id)
            .bind(&f.list_ids)
            .bind(f.segment_id)
            .bind(f.track_opens)
            .bind(f.track_clicks)
            .bind(f.anonymous_tracking)
            .bind(&f.time_zone)
            .bind(id)
            .bind(&f.recipient_zone_attribute)
            .bind(f.window_start)
            .bind(f.window_end)
            .bind(&f.ab_subjects)
            .bind(f.ab_sample_percent)
            .bind(f.ab_wait_minutes)
            .bind(f.ab_metric.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(conflict("a layout or segment that no longer exists"))?;
        match (saved, id) {
            (Some(c), _) => Ok(c),
            (None, Some(id)) if self.campaign(id).await?.is_some() => {
                Err(StoreError::Conflict("a campaign that is no longer a draft: it"))
            }
            (None, _) => Err(StoreError::NotFound("campaign")),
        }
    }

    /// Deletes a campaign that is not sending (its deliveries and events go with it).
    pub async fn delete_campaign(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM campaigns WHERE id = $1 AND status NOT IN ('sending', 'paused')")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("campaign that is not sending"));
        }
        Ok(())
    }

    /// Moves a campaign between states; `from` lists the states it may be
    /// in. Returns false when it was in none of them.
    pub async fn set_campaign_status(
        &self,
        id: i64,
        from: &[&str],
        to: &str,
        send_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let from: Vec<String> = from.iter().map(|s| (*s).to_owned()).collect();
        let done = sqlx::query(
            "UPDATE campaigns SET status = $3, send_at = coalesce($4, send_at), updated_at = now(), \
             finished_at = CASE WHEN $3 IN ('finished', 'cancelled') THEN now() ELSE finished_at END \
             WHERE id = $1 AND status = ANY($2)",
        )
        .bind(id)
        .bind(&from)
        .bind(to)
        .bind(send_at)
        .execute(&self.pool)
        .await?;
        if to == "cancelled" && done.rows_affected() > 0 {
            sqlx::query(
                "UPDATE deliveries SET status = 'failed', last_reply = 'campaign cancelled', updated_at = now() \
                 WHERE campaign_id = $1 AND status IN ('queued', 'held', 'deferred')",
            )
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        Ok(done.rows_affected() > 0)
    }

    /// Schedules a draft for `send_at` (`local`: the wall-clock time chosen,
    /// kept for recipients' own time zones). False when it was not a draft.
    pub async fn schedule_campaign(
        &self,
        id: i64,
        send_at: DateTime<Utc>,
        local: Option<NaiveDateTime>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaigns SET status = 'scheduled', send_at = $2, send_at_local = $3, error = NULL, \
             updated_at = now() WHERE id = $1 AND status = 'draft'",
        )
        .bind(id)
        .bind(send_at)
        .bind(local)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sends a campaign that cannot start back to draft, with the reason.
    pub async fn fail_campaign_start(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE campaigns SET status = 'draft', error = $2, updated_at = now() WHERE id = $1 AND status = 'scheduled'")
            .bind(id)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Scheduled campaigns whose time has come.
    pub async fn due_campaigns(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM campaigns WHERE status = 'scheduled' AND send_at <= $1 ORDER BY send_at, id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Starts a due campaign: in one transaction, writes one delivery row per
    /// recipient (the campaign's lists and/or segment, confirmed, active, not
    /// suppressed, each address once) and marks it sending with its tracked
    /// links. A crash before the commit leaves it scheduled, to start again.
    /// Returns the number of recipients, or None when it was not due.
    pub async fn start_campaign(
        &self,
        id: i64,
        links: &[String],
        layout: &str,
        segment: Option<&Filter>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let sql = concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns WHERE id = $1 AND status = 'scheduled' FOR UPDATE"
        );
        let campaign: Option<Campaign> = sqlx::query_as(sql).bind(id).fetch_optional(&mut *tx).await?;
        let Some(c) = campaign else { return Ok(None) };
        // Each recipient's zone: the attribute when it names a real zone,
        // else the campaign's. Then when their copy is due: the chosen
        // wall-clock time in that zone (or now), moved into the window.
        let mut query = QueryBuilder::new(
            "INSERT INTO deliveries (campaign_id, subscriber_id, list_id, email, next_attempt_at) \
             SELECT r.campaign_id, r.id, r.list_id, r.email, CASE \
               WHEN r.window_start IS NULL THEN r.base \
               WHEN (r.base AT TIME ZONE r.tz)::time < r.window_start \
                 THEN (date_trunc('day', r.base AT TIME ZONE r.tz) + r.window_start) AT TIME ZONE r.tz \
               WHEN (r.base AT TIME ZONE r.tz)::time >= r.window_end \
                 THEN (date_trunc('day', r.base AT TIME ZONE r.tz) + interval '1 day' + r.window_start) AT TIME ZONE r.tz \
               ELSE r.base END \
             FROM (SELECT q.*, CASE WHEN q.local IS NULL THEN q.now \
                     ELSE greatest(q.now, q.local AT TIME ZONE q.tz) END AS base FROM (SELECT ",
        );
        query
            .push_bind(id)
            .push("::bigint AS campaign_id, s.id, m.list_id, s.email, ")
            .push_bind(now)
            .push("::timestamptz AS now, ")
            .push_bind(c.send_at_local)
            .push("::timestamp AS local, ")
            .push_bind(c.window_start)
            .push("::time AS window_start, ")
            .push_bind(c.window_end)
            .push("::time AS window_end, coalesce(z.name, ")
            .push_bind(c.time_zone.clone())
            .push(
                ") AS tz FROM subscribers s \
                 LEFT JOIN (SELECT name FROM pg_timezone_names) z ON z.name = s.attributes->>",
            )
            .push_bind(c.recipient_zone_attribute.clone())
            .push(
                " \
                 JOIN LATERAL (SELECT min(x.list_id) AS list_id FROM subscriptions x \
                 WHERE x.subscriber_id = s.id AND x.status = 'confirmed' AND (cardinality(",
            )
            .push_bind(c.list_ids.clone())
            .push("::bigint[]) = 0 OR x.list_id = ANY(")
            .push_bind(c.list_ids.clone())
            .push("))) m ON m.list_id IS NOT NULL WHERE s.status = 'active' ")
            .push(
                "AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE (p.kind = 'address' AND p.value = lower(s.email)) \
                 OR (p.kind = 'domain' AND p.value = lower(split_part(s.email, '@', 2))))",
            );
        if let Some(filter) = segment {
            filter.validate().map_err(StoreError::Filter)?;
            query.push(" AND ");
            push_filter(&mut query, filter);
        }
        query.push(") q) r ON CONFLICT (campaign_id, subscriber_id, occurrence) DO NOTHING");
        query.build().persistent(false).execute(&mut *tx).await?;
        if c.ab_sample_percent > 0 && !c.ab_subjects.is_empty() {
            // A random sample, split evenly between the subjects; the rest
            // is held until the winner is known.
            let variants = i64::try_from(c.ab_subjects.len()).unwrap_or(0) + 1;
            sqlx::query(
                "UPDATE deliveries d SET variant = CASE WHEN x.n <= x.sample THEN (x.n % $2)::smallint ELSE 0 END, \
                    status = CASE WHEN x.n <= x.sample THEN 'queued' ELSE 'held' END \
                 FROM (SELECT id, row_number() OVER (ORDER BY random()) AS n, \
                         ceil(count(*) OVER () * $3 / 100.0) AS sample \
                       FROM deliveries WHERE campaign_id = $1) x \
                 WHERE d.id = x.id",
            )
            .bind(id)
            .bind(variants)
            .bind(i32::from(c.ab_sample_percent))
            .execute(&mut *tx)
            .await?;
        }
        let recipients: i64 = sqlx::query_scalar(
            "UPDATE campaigns SET status = 'sending', links = $2, layout_snapshot = $3, error = NULL, started_at = $4, \
             updated_at = now(), \
             recipients = (SELECT count(*) FROM deliveries WHERE campaign_id = $1) WHERE id = $1 RETURNING recipients",
        )
        .bind(id)
        .bind(links)
        .bind(layout)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(recipients))
    }

    /// Leases up to `limit` due deliveries of sending campaigns for `lease`:
    /// they are marked sending and come due again if no outcome is written
    /// before the lease ends (the worker died). `FOR UPDATE SKIP LOCKED`
    /// lets any number of workers lease side by side without overlap.
    pub async fn lease_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<LeasedDelivery>> {
        Ok(sqlx::query_as(
            "WITH due AS ( \
                SELECT d.id FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id \
                WHERE d.status IN ('queued', 'sending', 'deferred') AND d.next_attempt_at <= $1 \
                  AND c.status = 'sending' \
                ORDER BY d.priority, d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED \
             ), leased AS ( \
                UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, next_attempt_at = $1 + $3, \
                    updated_at = now() \
                FROM due WHERE d.id = due.id \
                RETURNING d.id, d.campaign_id, d.subscriber_id, d.list_id, d.email, d.attempts, d.variant, d.created_at \
             ) \
             SELECT l.id, l.campaign_id, l.subscriber_id, l.list_id, l.email, l.attempts, l.variant, l.created_at, \
                coalesce(s.name, '') AS name, coalesce(s.attributes, '{}') AS attributes, \
                coalesce(li.name, '') AS list_name, \
                (s.status = 'active' AND x.status = 'confirmed' \
                 AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE (p.kind = 'address' AND p.value = lower(l.email)) \
                    OR (p.kind = 'domain' AND p.value = lower(split_part(l.email, '@', 2)))) \
                ) IS TRUE AS sendable \
             FROM leased l LEFT JOIN subscribers s ON s.id = l.subscriber_id \
             LEFT JOIN lists li ON li.id = l.list_id \
             LEFT JOIN subscriptions x ON x.subscriber_id = l.subscriber_id AND x.list_id = l.list_id \
             ORDER BY l.id",
        )
        .bind(now)
        .bind(limit)
        .bind(lease)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes the outcomes of a batch of attempts in one statement.
    pub async fn record_outcomes(&self, outcomes: &[DeliveryOutcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = outcomes.iter().map(|o| o.id).collect();
        let statuses: Vec<&str> = outcomes.iter().map(|o| o.status.as_str()).collect();
        let codes: Vec<Option<i16>> = outcomes.iter().map(|o| o.code).collect();
        let enhanced: Vec<Option<&str>> = outcomes.iter().map(|o| o.enhanced.as_deref()).collect();
        let replies: Vec<Option<&str>> = outcomes.iter().map(|o| o.reply.as_deref()).collect();
        let mxs: Vec<Option<&str>> = outcomes.iter().map(|o| o.mx.as_deref()).collect();
        let tls: Vec<Option<&str>> = outcomes.iter().map(|o| o.tls.map(TlsState::as_str)).collect();
        let retries: Vec<Option<DateTime<Utc>>> = outcomes.iter().map(|o| o.retry_at).collect();
        let at: Vec<DateTime<Utc>> = outcomes.iter().map(|o| o.at).collect();
        sqlx::query(
            "UPDATE deliveries d SET status = o.status, last_code = o.code, last_enhanced = o.enhanced, \
             last_reply = o.reply, mx = o.mx, tls = o.tls, \
             next_attempt_at = coalesce(o.retry_at, d.next_attempt_at), updated_at = o.at \
             FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::text[], \
                         $7::timestamptz[], $8::timestamptz[], $9::text[]) \
                  AS o(id, status, code, enhanced, reply, mx, retry_at, at, tls) \
             WHERE d.id = o.id",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&codes)
        .bind(&enhanced)
        .bind(&replies)
        .bind(&mxs)
        .bind(&retries)
        .bind(&at)
        .bind(&tls)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

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

    /// Marks finished the sending campaigns with nothing left to attempt.
    pub async fn finish_campaigns(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE campaigns c SET status = 'finished', finished_at = now(), updated_at = now() \
             WHERE c.status = 'sending' AND c.sequence_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = c.id \
             AND d.status IN ('queued', 'held', 'sending', 'deferred')) RETURNING c.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Keeps a sandbox delivery's bytes in the capture mailbox.
    pub async fn capture_message(&self, delivery: &LeasedDelivery, subject: &str, raw: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbound_messages (kind, subscriber_id, to_address, subject, text_body, status, delivery_id, raw) \
             VALUES ('campaign', $1, $2, $3, '', 'captured', $4, $5)",
        )
        .bind(delivery.subscriber_id)
        .bind(&delivery.email)
        .bind(subject)
        .bind(delivery.id)
        .bind(raw)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps a test send: a sample recipient's copy, addressed to whoever
    /// asked for it, from `from`. With `send` it is queued for the delivery
    /// engine; otherwise only captured for the sandbox mailbox.
    pub async fn queue_test_message(
        &self,
        to: &str,
        from: &str,
        subject: &str,
        text: &str,
        raw: &[u8],
        send: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbound_messages (kind, to_address, from_address, subject, text_body, status, raw) \
             VALUES ('test', $1, $2, $3, $4, $5, $6)",
        )
        .bind(to)
        .bind(from)
        .bind(subject)
        .bind(text)
        .bind(if send { "queued" } else { "captured" })
        .bind(raw)
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

    /// Keeps only the newest `keep` campaign messages of the capture
    /// mailbox (a sandbox run of a big campaign would fill the disk);
    /// deliveries, opens and clicks stay. Returns how many were removed.
    pub async fn prune_captured(&self, keep: i64) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM outbound_messages WHERE kind = 'campaign' AND id <= ( \
                SELECT id FROM outbound_messages WHERE kind = 'campaign' ORDER BY id DESC OFFSET $1 LIMIT 1)",
        )
        .bind(keep)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// The raw bytes of a captured message.
    pub async fn captured_raw(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT raw FROM outbound_messages WHERE id = $1 AND raw IS NOT NULL")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

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

    /// A sample of a campaign's future audience, to check its templates
    /// against before it may be scheduled.
    pub async fn audience_sample(
        &self,
        list_ids: &[i64],
        segment: Option<&Filter>,
        limit: i64,
    ) -> Result<Vec<crate::Subscriber>> {
        let filter = audience_filter(list_ids, segment);
        self.segment_subscribers(&filter, None, limit).await
    }

    /// How many recipients a campaign would have now.
    pub async fn audience_count(&self, list_ids: &[i64], segment: Option<&Filter>) -> Result<i64> {
        self.segment_count(&audience_filter(list_ids, segment)).await
    }

    /// A subscriber's history with campaigns, newest first: each delivery's
    /// outcome and each open and click.
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
             ) h ORDER BY at DESC LIMIT $2",
        )
        .bind(subscriber_id)
        .bind(limit)
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

/// One event in a subscriber's history with campaigns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub campaign_id: i64,
    pub campaign: String,
    /// delivered, bounced, deferred, failed, suppressed, open, click, …
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

/// The audience as a segment filter: active, confirmed on one of the lists
/// (any list when none is named), and matching the segment.
fn audience_filter(list_ids: &[i64], segment: Option<&Filter>) -> Filter {
    use crate::segments::ListCondition;
    let mut all = vec![Filter::Status("active".into())];
    if !list_ids.is_empty() {
        let lists = list_ids.iter().map(|&list_id| Filter::List(ListCondition { list_id, status: Vec::new() }));
        all.push(Filter::Or(lists.collect()));
    }
    if let Some(segment) = segment {
        all.push(segment.clone());
    }
    Filter::And(all)
}

fn conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
            StoreError::Conflict(what)
        }
        _ => StoreError::Database(e),
    }
}
