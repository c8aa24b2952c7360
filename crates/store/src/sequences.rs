//! Step sequences: a trigger list, steps that are campaigns with a delay,
//! and the queueing of each step for the subscribers whose delay has passed.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use crate::campaigns::Campaign;
use crate::segments::{Filter, push_filter};
use crate::{CampaignFields, Result, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Sequence {
    pub id: i64,
    pub name: String,
    pub list_id: i64,
    pub status: String,
    pub exit_segment_id: Option<i64>,
    pub activated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Where one subscriber is in a sequence.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SequenceProgress {
    pub subscriber_id: i64,
    pub email: String,
    pub joined_at: DateTime<Utc>,
    /// Steps queued or sent so far.
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
            "SELECT id, name, list_id, status, exit_segment_id, activated_at, created_at FROM sequences ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn sequence(&self, id: i64) -> Result<Option<Sequence>> {
        Ok(sqlx::query_as(
            "SELECT id, name, list_id, status, exit_segment_id, activated_at, created_at FROM sequences WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_sequence(&self, name: &str, list_id: i64, exit_segment_id: Option<i64>) -> Result<Sequence> {
        sqlx::query_as(
            "INSERT INTO sequences (name, list_id, exit_segment_id) VALUES ($1, $2, $3) \
             RETURNING id, name, list_id, status, exit_segment_id, activated_at, created_at",
        )
        .bind(name)
        .bind(list_id)
        .bind(exit_segment_id)
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
    /// sequence's list (joined since activation, still confirmed, active,
    /// not suppressed, not in the exit segment, and in the step's own
    /// segment if it has one). Returns how many deliveries were queued.
    pub async fn enqueue_sequence_steps(&self, now: DateTime<Utc>) -> Result<u64> {
        let steps: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT c.id, q.id, c.segment_id, q.exit_segment_id FROM campaigns c \
             JOIN sequences q ON q.id = c.sequence_id WHERE q.status = 'active' AND c.status = 'sending'",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut queued = 0;
        for (step, sequence, segment, exit) in steps {
            let segment = self.segment_filter(segment).await?;
            let exit = self.segment_filter(exit).await?;
            let mut query = QueryBuilder::new(
                "INSERT INTO deliveries (campaign_id, subscriber_id, list_id, email, next_attempt_at) \
                 SELECT c.id, s.id, q.list_id, s.email, ",
            );
            query
                .push_bind(now)
                .push(
                    " FROM campaigns c JOIN sequences q ON q.id = c.sequence_id \
                     JOIN subscriptions x ON x.list_id = q.list_id AND x.status = 'confirmed' \
                        AND x.updated_at >= q.activated_at \
                        AND x.updated_at + make_interval(mins => c.step_delay_minutes) <= ",
                )
                .push_bind(now)
                .push(" JOIN subscribers s ON s.id = x.subscriber_id AND s.status = 'active' WHERE c.id = ")
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
            query.push(" ON CONFLICT (campaign_id, subscriber_id) DO NOTHING");
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

    /// Each subscriber who entered the sequence, with the steps they got.
    pub async fn sequence_progress(&self, id: i64, limit: i64) -> Result<Vec<SequenceProgress>> {
        Ok(sqlx::query_as(
            "SELECT s.id AS subscriber_id, s.email, x.updated_at AS joined_at, \
                count(d.id) AS steps_sent, max(d.created_at) AS last_sent_at, (x.status = 'confirmed') AS on_list \
             FROM sequences q JOIN subscriptions x ON x.list_id = q.list_id AND x.updated_at >= q.activated_at \
             JOIN subscribers s ON s.id = x.subscriber_id \
             LEFT JOIN deliveries d ON d.subscriber_id = s.id \
                AND d.campaign_id IN (SELECT id FROM campaigns WHERE sequence_id = q.id) \
             WHERE q.id = $1 GROUP BY s.id, s.email, x.updated_at, x.status ORDER BY x.updated_at DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
