//! Step sequences: a list, what starts them (joining the list, or a date in
//! the subscribers' attributes), steps that are campaigns with a delay, and
//! the queueing of each step for the subscribers whose delay has passed.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use crate::campaigns::Campaign;
use crate::segments::{Filter, push_filter};
use crate::{CampaignFields, Result, Store, StoreError};
use domain::SequenceStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Sequence {
    pub id: i64,
    pub name: String,
    pub list_id: i64,
    #[sqlx(try_from = "String")]
    pub status: SequenceStatus,
    pub exit_segment_id: Option<i64>,
    /// The date attribute that starts it; none: joining the list does.
    pub trigger_attribute: Option<String>,
    /// With a date attribute: its anniversary, every year.
    pub trigger_yearly: bool,
    pub activated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A date attribute that starts a sequence for each subscriber of its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTrigger {
    pub attribute: String,
    /// Every year on the date's anniversary (a birthday), not once on it.
    pub yearly: bool,
}

/// An active step: its id, its sequence, its own segment, the sequence's
/// exit segment, date attribute and yearly flag.
type ActiveStep = (i64, i64, Option<i64>, Option<i64>, Option<String>, bool);

/// A step that is late by more than this is skipped rather than sent: a
/// birthday greeting a month late (after an outage, say) is worse than none.
const MAX_LATE_DAYS: i32 = 7;

/// Where one subscriber is in a sequence.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SequenceProgress {
    pub subscriber_id: i64,
    pub email: String,
    pub joined_at: DateTime<Utc>,
    /// For a date sequence: the subscriber's date attribute.
    pub date: Option<String>,
    /// Steps queued or sent so far (a yearly sequence's, every year).
    pub steps_sent: i64,
    pub last_sent_at: Option<DateTime<Utc>>,
    /// False once the subscriber left the list (the sequence ends for them).
    pub on_list: bool,
}

/// A step ready to go live: its id, tracked links and layout snapshot.
#[derive(Debug, Clone)]
pub struct StepActivation {
    pub campaign_id: i64,
    pub links: Vec<String>,
    pub layout: String,
}

impl Store {
    pub async fn sequences(&self) -> Result<Vec<Sequence>> {
        Ok(sqlx::query_as(
            "SELECT id, name, list_id, status, exit_segment_id, trigger_attribute, trigger_yearly, activated_at, created_at FROM sequences ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn sequence(&self, id: i64) -> Result<Option<Sequence>> {
        Ok(sqlx::query_as(
            "SELECT id, name, list_id, status, exit_segment_id, trigger_attribute, trigger_yearly, activated_at, created_at FROM sequences WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_sequence(
        &self,
        name: &str,
        list_id: i64,
        exit_segment_id: Option<i64>,
        trigger: Option<&DateTrigger>,
    ) -> Result<Sequence> {
        sqlx::query_as(
            "INSERT INTO sequences (name, list_id, exit_segment_id, trigger_attribute, trigger_yearly) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, name, list_id, status, exit_segment_id, trigger_attribute, trigger_yearly, activated_at, created_at",
        )
        .bind(name)
        .bind(list_id)
        .bind(exit_segment_id)
        .bind(trigger.map(|t| t.attribute.trim()))
        .bind(trigger.is_some_and(|t| t.yearly))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("list or segment"),
            _ => StoreError::Database(e),
        })
    }

    /// Adds a step (a campaign of the sequence, on its list) sent
    /// `delay_minutes` after joining.
    pub async fn add_step(&self, sequence_id: i64, delay_minutes: i32, fields: &CampaignFields) -> Result<Campaign> {
        let sequence = self.sequence(sequence_id).await?.ok_or(StoreError::NotFound("sequence"))?;
        let fields = CampaignFields { list_ids: vec![sequence.list_id], ..fields.clone() };
        let step = self.save_campaign(None, &fields).await?;
        sqlx::query("UPDATE campaigns SET sequence_id = $2, step_delay_minutes = $3 WHERE id = $1")
            .bind(step.id)
            .bind(sequence_id)
            .bind(delay_minutes)
            .execute(&self.pool)
            .await?;
        self.campaign(step.id).await?.ok_or(StoreError::NotFound("step"))
    }

    pub async fn sequence_steps(&self, sequence_id: i64) -> Result<Vec<Campaign>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM campaigns WHERE sequence_id = $1 ORDER BY step_delay_minutes, id")
                .bind(sequence_id)
                .fetch_all(&self.pool)
                .await?;
        let mut steps = Vec::with_capacity(ids.len());
        for id in ids {
            steps.extend(self.campaign(id).await?);
        }
        Ok(steps)
    }

    /// Starts (or restarts) a sequence: its steps go live with their links
    /// and layouts fixed. Only subscribers joining from the first activation
    /// on enter it.
    pub async fn activate_sequence(&self, id: i64, steps: &[StepActivation]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE sequences SET status = 'active', activated_at = coalesce(activated_at, now()), updated_at = now() \
             WHERE id = $1 AND status IN ('draft', 'paused')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("an active sequence: it"));
        }
        for step in steps {
            sqlx::query(
                "UPDATE campaigns SET status = 'sending', links = $3, layout_snapshot = $4, error = NULL, \
                 started_at = coalesce(started_at, now()), updated_at = now() WHERE id = $1 AND sequence_id = $2",
            )
            .bind(step.campaign_id)
            .bind(id)
            .bind(&step.links)
            .bind(&step.layout)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pauses a sequence: its steps become editable drafts again; nothing
    /// is queued until it is activated again.
    pub async fn pause_sequence(&self, id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE sequences SET status = 'paused', updated_at = now() WHERE id = $1 AND status = 'active'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE campaigns SET status = 'draft', layout_snapshot = NULL, updated_at = now() WHERE sequence_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Queues every step whose delay has passed for the subscribers of its
    /// sequence's list (still confirmed, active, not suppressed, not in the
    /// exit segment, and in the step's own segment if it has one): counted
    /// from joining the list since activation, or from the date attribute
    /// (its anniversary for a yearly sequence) when that is on or after the
    /// day of activation and the step is at most a week late. Returns how
    /// many deliveries were queued.
    pub async fn enqueue_sequence_steps(&self, now: DateTime<Utc>) -> Result<u64> {
        let steps: Vec<ActiveStep> = sqlx::query_as(
            "SELECT c.id, q.id, c.segment_id, q.exit_segment_id, q.trigger_attribute, q.trigger_yearly \
             FROM campaigns c JOIN sequences q ON q.id = c.sequence_id \
             WHERE q.status = 'active' AND c.status = 'sending'",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut queued = 0;
        for (step, sequence, segment, exit, attribute, yearly) in steps {
            let segment = self.segment_filter(segment).await?;
            let exit = self.segment_filter(exit).await?;
            let mut query = QueryBuilder::new(
                "INSERT INTO deliveries (campaign_id, subscriber_id, list_id, email, next_attempt_at, occurrence) \
                 SELECT c.id, s.id, q.list_id, s.email, ",
            );
            query.push_bind(now);
            match (attribute.is_some(), yearly) {
                (false, _) => {
                    query
                        .push(
                            ", 0 FROM campaigns c JOIN sequences q ON q.id = c.sequence_id \
                             JOIN subscriptions x ON x.list_id = q.list_id AND x.status = 'confirmed' \
                                AND x.updated_at >= q.activated_at \
                                AND x.updated_at + make_interval(mins => c.step_delay_minutes) <= ",
                        )
                        .push_bind(now)
                        .push(" JOIN subscribers s ON s.id = x.subscriber_id AND s.status = 'active'");
                }
                (true, yearly) => {
                    // The days each subscriber's date gives: the date itself,
                    // or its anniversaries in the years the step can be due.
                    // Dates are days in UTC.
                    let dates = if yearly {
                        "SELECT y AS occurrence, ninsho_anniversary(d.day, y) AS day \
                         FROM generate_series(extract(year FROM t.earliest AT TIME ZONE 'UTC')::int - 1, \
                                              extract(year FROM t.latest AT TIME ZONE 'UTC')::int) y"
                    } else {
                        "SELECT 0 AS occurrence, d.day"
                    };
                    query
                        .push(
                            ", a.occurrence FROM campaigns c JOIN sequences q ON q.id = c.sequence_id \
                             JOIN subscriptions x ON x.list_id = q.list_id AND x.status = 'confirmed' \
                             JOIN subscribers s ON s.id = x.subscriber_id AND s.status = 'active' \
                             CROSS JOIN LATERAL (SELECT ",
                        )
                        .push_bind(now)
                        .push("::timestamptz - make_interval(mins => c.step_delay_minutes) AS latest, ")
                        .push_bind(now)
                        .push("::timestamptz - make_interval(mins => c.step_delay_minutes, days => ")
                        .push_bind(MAX_LATE_DAYS)
                        .push(
                            ") AS earliest) t \
                             CROSS JOIN LATERAL (SELECT ninsho_attribute_date(s.attributes ->> q.trigger_attribute) AS day) d \
                             CROSS JOIN LATERAL (",
                        )
                        .push(dates)
                        .push(
                            ") a WHERE a.day >= (q.activated_at AT TIME ZONE 'UTC')::date \
                             AND (a.day::timestamp AT TIME ZONE 'UTC') + make_interval(mins => c.step_delay_minutes) \
                                 BETWEEN t.earliest + make_interval(mins => c.step_delay_minutes) AND ",
                        )
                        .push_bind(now);
                }
            }
            query
                .push(if attribute.is_some() { " AND c.id = " } else { " WHERE c.id = " })
                .push_bind(step)
                .push(" AND q.id = ")
                .push_bind(sequence)
                .push(
                    " AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE (p.kind = 'address' AND p.value = lower(s.email)) \
                     OR (p.kind = 'domain' AND p.value = lower(split_part(s.email, '@', 2))))",
                );
            if let Some(filter) = &segment {
                query.push(" AND ");
                push_filter(&mut query, filter);
            }
            if let Some(filter) = &exit {
                query.push(" AND NOT coalesce(");
                push_filter(&mut query, filter);
                query.push(", false)");
            }
            query.push(" ON CONFLICT (campaign_id, subscriber_id, occurrence) DO NOTHING");
            let done = query.build().persistent(false).execute(&self.pool).await?;
            if done.rows_affected() > 0 {
                sqlx::query("UPDATE campaigns SET recipients = recipients + $2 WHERE id = $1")
                    .bind(step)
                    .bind(i64::try_from(done.rows_affected()).unwrap_or(i64::MAX))
                    .execute(&self.pool)
                    .await?;
            }
            queued += done.rows_affected();
        }
        Ok(queued)
    }

    async fn segment_filter(&self, id: Option<i64>) -> Result<Option<Filter>> {
        match id {
            None => Ok(None),
            Some(id) => Ok(self.segment(id).await?.map(|s| s.definition.0)),
        }
    }

    /// Each subscriber who entered the sequence, with the steps they got:
    /// who joined the list since activation, or, for a date sequence, who
    /// got a step.
    pub async fn sequence_progress(&self, id: i64, limit: i64) -> Result<Vec<SequenceProgress>> {
        Ok(sqlx::query_as(
            "SELECT s.id AS subscriber_id, s.email, x.updated_at AS joined_at, \
                s.attributes ->> q.trigger_attribute AS date, \
                count(d.id) AS steps_sent, max(d.created_at) AS last_sent_at, (x.status = 'confirmed') AS on_list \
             FROM sequences q JOIN subscriptions x ON x.list_id = q.list_id \
                AND (q.trigger_attribute IS NOT NULL OR x.updated_at >= q.activated_at) \
             JOIN subscribers s ON s.id = x.subscriber_id \
             LEFT JOIN deliveries d ON d.subscriber_id = s.id \
                AND d.campaign_id IN (SELECT id FROM campaigns WHERE sequence_id = q.id) \
             WHERE q.id = $1 GROUP BY s.id, s.email, x.updated_at, x.status, q.trigger_attribute \
             HAVING q.trigger_attribute IS NULL OR count(d.id) > 0 \
             ORDER BY CASE WHEN q.trigger_attribute IS NULL THEN x.updated_at ELSE max(d.created_at) END DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
