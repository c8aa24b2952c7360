//! Campaigns and their lifecycle: drafts, scheduling, the start that
//! writes one delivery row per recipient, and the finish.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use domain::{AbMetric, CampaignStatus};
use sqlx::QueryBuilder;

use crate::segments::{Filter, push_filter};
use crate::{Result, Store, StoreError};

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
    /// `en` or `ja`: its `lang`, the default layout's and text footer's words.
    pub language: String,
    /// `utf-8` or `iso-2022-jp`: how its messages are encoded.
    pub charset: String,
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

impl Campaign {
    /// A draft not saved yet, made of `fields` (the one place a new
    /// campaign's defaults come from is `CampaignFields::default`).
    pub fn draft(fields: CampaignFields) -> Self {
        let CampaignFields {
            name,
            from_name,
            from_address,
            reply_to,
            subject,
            preheader,
            body_format,
            body,
            text_body,
            template_id,
            list_ids,
            segment_id,
            track_opens,
            track_clicks,
            anonymous_tracking,
            time_zone,
            language,
            charset,
            recipient_zone_attribute,
            window_start,
            window_end,
            ab_subjects,
            ab_sample_percent,
            ab_wait_minutes,
            ab_metric,
        } = fields;
        let now = Utc::now();
        Self {
            id: 0,
            name,
            status: CampaignStatus::Draft,
            from_name,
            from_address,
            reply_to,
            subject,
            preheader,
            body_format,
            body,
            text_body,
            template_id,
            list_ids,
            segment_id,
            track_opens,
            track_clicks,
            anonymous_tracking,
            send_at: None,
            time_zone,
            language,
            charset,
            links: Vec::new(),
            layout_snapshot: None,
            error: None,
            sequence_id: None,
            step_delay_minutes: None,
            send_at_local: None,
            recipient_zone_attribute,
            window_start,
            window_end,
            ab_subjects,
            ab_sample_percent,
            ab_wait_minutes,
            ab_metric,
            ab_winner: None,
            recipients: 0,
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
        }
    }

    /// The fields a marketer edits, as they are (a copy of the campaign
    /// starts from them).
    pub fn fields(&self) -> CampaignFields {
        CampaignFields {
            name: self.name.clone(),
            from_name: self.from_name.clone(),
            from_address: self.from_address.clone(),
            reply_to: self.reply_to.clone(),
            subject: self.subject.clone(),
            preheader: self.preheader.clone(),
            body_format: self.body_format.clone(),
            body: self.body.clone(),
            text_body: self.text_body.clone(),
            template_id: self.template_id,
            list_ids: self.list_ids.clone(),
            segment_id: self.segment_id,
            track_opens: self.track_opens,
            track_clicks: self.track_clicks,
            anonymous_tracking: self.anonymous_tracking,
            time_zone: self.time_zone.clone(),
            language: self.language.clone(),
            charset: self.charset.clone(),
            recipient_zone_attribute: self.recipient_zone_attribute.clone(),
            window_start: self.window_start,
            window_end: self.window_end,
            ab_subjects: self.ab_subjects.clone(),
            ab_sample_percent: self.ab_sample_percent,
            ab_wait_minutes: self.ab_wait_minutes,
            ab_metric: self.ab_metric,
        }
    }

    /// The campaign with the fields a marketer edits replaced by `fields`
    /// (as a form shows them back before they are saved).
    pub fn with_fields(self, fields: CampaignFields) -> Self {
        Self {
            id: self.id,
            status: self.status,
            send_at: self.send_at,
            links: self.links,
            layout_snapshot: self.layout_snapshot,
            error: self.error,
            sequence_id: self.sequence_id,
            step_delay_minutes: self.step_delay_minutes,
            send_at_local: self.send_at_local,
            ab_winner: self.ab_winner,
            recipients: self.recipients,
            created_at: self.created_at,
            updated_at: self.updated_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            ..Self::draft(fields)
        }
    }
}

macro_rules! campaign_columns {
    () => {
        "id, name, status, from_name, from_address, reply_to, subject, preheader, body_format, body, text_body, \
         template_id, list_ids, segment_id, track_opens, track_clicks, anonymous_tracking, send_at, time_zone, links, \
         layout_snapshot, error, sequence_id, step_delay_minutes, send_at_local, recipient_zone_attribute, \
         window_start, window_end, ab_subjects, ab_sample_percent, ab_wait_minutes, ab_metric, ab_winner, recipients, created_at, updated_at, started_at, finished_at, language, charset"
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
    /// `en` or `ja`.
    pub language: String,
    /// `utf-8` or `iso-2022-jp`.
    pub charset: String,
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
            language: "en".into(),
            charset: "utf-8".into(),
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

impl Store {
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
                 ab_wait_minutes, ab_metric, language, charset) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 $12, $13, $14, $15, $16, $18, $19, $20, $21, $22, $23, $24, $25, $26) RETURNING ",
                campaign_columns!()
            ),
            Some(_) => concat!(
                "UPDATE campaigns SET name = $1, from_name = $2, from_address = $3, reply_to = $4, subject = $5, \
                 preheader = $6, body_format = $7, body = $8, text_body = $9, template_id = $10, list_ids = $11, \
                 segment_id = $12, track_opens = $13, track_clicks = $14, anonymous_tracking = $15, time_zone = $16, \
                 recipient_zone_attribute = $18, window_start = $19, window_end = $20, ab_subjects = $21, \
                 ab_sample_percent = $22, ab_wait_minutes = $23, ab_metric = $24, language = $25, charset = $26, \
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
            .bind(&f.language)
            .bind(&f.charset)
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

pub(crate) fn conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
            StoreError::Conflict(what)
        }
        _ => StoreError::Database(e),
    }
}
