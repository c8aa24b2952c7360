//! CSV imports: the import record, batches of rows applied in one
//! transaction each, and the rejected rows with their reasons.

use chrono::{DateTime, Utc};
use domain::ImportMode;
use serde_json::Value;

use crate::{Result, Store};
use domain::ImportState;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Import {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub mode: ImportMode,
    pub file_name: String,
    pub list_ids: Vec<i64>,
    #[sqlx(try_from = "String")]
    pub state: ImportState,
    pub encoding: String,
    pub rows_done: i64,
    pub rows_failed: i64,
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportError {
    pub line: i64,
    pub reason: String,
    pub raw: String,
}

/// One batch of good rows (parallel vectors) and rejected rows.
#[derive(Debug, Default)]
pub struct ImportBatch {
    /// Line numbers of the good rows.
    pub lines: Vec<i64>,
    pub emails: Vec<String>,
    /// `None` where the file has no name column: the stored name is kept.
    pub names: Vec<Option<String>>,
    pub attributes: Vec<Value>,
    pub error_lines: Vec<i64>,
    pub error_reasons: Vec<String>,
    pub error_raws: Vec<String>,
}

impl ImportBatch {
    /// Moves the rows whose address is in `refused` to the rejected rows.
    pub fn reject(&mut self, refused: &[String], reason: &str) {
        let mut i = 0;
        while i < self.emails.len() {
            if refused.contains(&self.emails[i]) {
                self.error_lines.push(self.lines.remove(i));
                self.error_raws.push(self.emails.remove(i));
                self.error_reasons.push(reason.to_string());
                self.names.remove(i);
                self.attributes.remove(i);
            } else {
                i += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.emails.len() + self.error_lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `lower(email)` among the lower-cased `$1`: lower-cased by Postgres, so
/// both sides agree on every script's case mapping.
macro_rules! lower_in {
    () => {
        "lower(email) = ANY(ARRAY(SELECT lower(e) FROM unnest($1::text[]) e))"
    };
}

macro_rules! import_columns {
    () => {
        "id, mode, file_name, list_ids, state, encoding, rows_done, rows_failed, error, started_at, finished_at"
    };
}

impl Store {
    pub async fn create_import(&self, mode: ImportMode, file_name: &str, list_ids: &[i64]) -> Result<i64> {
        Ok(sqlx::query_scalar("INSERT INTO imports (mode, file_name, list_ids) VALUES ($1, $2, $3) RETURNING id")
            .bind(mode.as_str())
            .bind(file_name)
            .bind(list_ids)
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn set_import_encoding(&self, id: i64, encoding: &str) -> Result<()> {
        sqlx::query("UPDATE imports SET encoding = $2, progress_at = now() WHERE id = $1")
            .bind(id)
            .bind(encoding)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Says an import is alive while its upload is still arriving.
    pub async fn touch_import(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE imports SET progress_at = now() WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Of these addresses, the ones that are nobody's (unsubscribing them
    /// does nothing: they are reported instead of counted).
    pub async fn unknown_among(&self, emails: &[String]) -> Result<Vec<String>> {
        let known: Vec<String> =
            sqlx::query_scalar(concat!("SELECT lower(email) FROM subscribers WHERE ", lower_in!()))
                .bind(emails)
                .fetch_all(&self.pool)
                .await?;
        Ok(emails.iter().filter(|e| !known.contains(&e.to_lowercase())).cloned().collect())
    }

    /// Applies one batch and counts it, all or nothing.
    pub async fn apply_import_batch(
        &self,
        id: i64,
        mode: ImportMode,
        list_ids: &[i64],
        source: &str,
        batch: &ImportBatch,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let has_names = batch.names.iter().any(Option::is_some);
        match mode {
            ImportMode::Add | ImportMode::Update => {
                let upsert = if mode == ImportMode::Add {
                    "INSERT INTO subscribers (email, name, attributes, consent_source) \
                     SELECT e, coalesce(n, ''), a, $4 FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS t(e, n, a) \
                     ON CONFLICT (lower(email)) DO NOTHING RETURNING id"
                } else {
                    "INSERT INTO subscribers (email, name, attributes, consent_source) \
                     SELECT e, coalesce(n, ''), a, $4 FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS t(e, n, a) \
                     ON CONFLICT (lower(email)) DO UPDATE SET \
                       name = CASE WHEN $5 THEN EXCLUDED.name ELSE subscribers.name END, \
                       attributes = subscribers.attributes || EXCLUDED.attributes, updated_at = now() \
                     RETURNING id"
                };
                let mut ids: Vec<i64> = sqlx::query_scalar(upsert)
                    .bind(&batch.emails)
                    .bind(&batch.names)
                    .bind(&batch.attributes)
                    .bind(source)
                    .bind(has_names)
                    .fetch_all(&mut *tx)
                    .await?;
                if !list_ids.is_empty() {
                    if ids.len() < batch.emails.len() {
                        // Some were subscribers already (left alone in add
                        // mode): they join the lists too.
                        ids = sqlx::query_scalar(concat!("SELECT id FROM subscribers WHERE ", lower_in!()))
                            .bind(&batch.emails)
                            .fetch_all(&mut *tx)
                            .await?;
                    }
                    // An earlier unsubscribe from a list is respected.
                    sqlx::query(
                        "INSERT INTO subscriptions (list_id, subscriber_id, status) \
                         SELECT l, s, 'confirmed' FROM unnest($1::bigint[]) AS s, unnest($2::bigint[]) AS l \
                         ON CONFLICT (list_id, subscriber_id) DO NOTHING",
                    )
                    .bind(&ids)
                    .bind(list_ids)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            ImportMode::Unsubscribe => {
                sqlx::query(
                    "UPDATE subscriptions SET status = 'unsubscribed', updated_at = now() FROM subscribers s \
                     WHERE subscriptions.subscriber_id = s.id \
                     AND lower(s.email) = ANY(ARRAY(SELECT lower(e) FROM unnest($1::text[]) e)) \
                     AND (cardinality($2::bigint[]) = 0 OR subscriptions.list_id = ANY($2))",
                )
                .bind(&batch.emails)
                .bind(list_ids)
                .execute(&mut *tx)
                .await?;
            }
            ImportMode::Blocklist => {
                sqlx::query(
                    "INSERT INTO subscribers (email, name, attributes, consent_source, status) \
                     SELECT e, coalesce(n, ''), a, $4, 'blocklisted' \
                     FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS t(e, n, a) \
                     ON CONFLICT (lower(email)) DO UPDATE SET status = 'blocklisted', updated_at = now()",
                )
                .bind(&batch.emails)
                .bind(&batch.names)
                .bind(&batch.attributes)
                .bind(source)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE subscriptions SET status = 'unsubscribed', updated_at = now() FROM subscribers s \
                     WHERE subscriptions.subscriber_id = s.id \
                     AND lower(s.email) = ANY(ARRAY(SELECT lower(e) FROM unnest($1::text[]) e))",
                )
                .bind(&batch.emails)
                .execute(&mut *tx)
                .await?;
            }
        }
        if !batch.error_lines.is_empty() {
            sqlx::query(
                "INSERT INTO import_errors (import_id, line, reason, raw) \
                 SELECT $1, l, r, w FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(l, r, w) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(&batch.error_lines)
            .bind(&batch.error_reasons)
            .bind(&batch.error_raws)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE imports SET rows_done = rows_done + $2, rows_failed = rows_failed + $3, progress_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(i64::try_from(batch.emails.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(batch.error_lines.len()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refreshes the planner's statistics of the audience tables: after a
    /// large import they describe a table that no longer exists.
    pub async fn analyze_audience(&self) -> Result<()> {
        sqlx::query("ANALYZE subscribers, subscriptions").execute(&self.pool).await?;
        Ok(())
    }

    /// What autovacuum does some time after a bulk load, done now: visibility
    /// map and hint bits set, statistics fresh (benchmarks measure the steady state).
    pub async fn vacuum_audience(&self) -> Result<()> {
        sqlx::query("VACUUM (ANALYZE) subscribers, subscriptions").execute(&self.pool).await?;
        Ok(())
    }

    /// Marks an import finished, or failed with the reason.
    pub async fn finish_import(&self, id: i64, error: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE imports SET state = CASE WHEN $2::text IS NULL THEN 'finished' ELSE 'failed' END, \
             error = $2, finished_at = now() WHERE id = $1 AND state = 'running'",
        )
        .bind(id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Imports "running" without progress for `stalled` lost their process
    /// (a restart, a crash) and cannot resume, the upload being gone: say so.
    /// Their applied batches are kept.
    pub async fn fail_stalled_imports(&self, stalled: chrono::Duration) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE imports SET state = 'failed', finished_at = now(), \
             error = 'interrupted (the server stopped); the rows counted as done are saved, \
                      upload the file again for the rest' \
             WHERE state = 'running' AND progress_at < now() - $1",
        )
        .bind(stalled)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    pub async fn import(&self, id: i64) -> Result<Option<Import>> {
        Ok(sqlx::query_as(concat!("SELECT ", import_columns!(), " FROM imports WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn recent_imports(&self, limit: i64) -> Result<Vec<Import>> {
        Ok(sqlx::query_as(concat!("SELECT ", import_columns!(), " FROM imports ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The first `limit` rejected rows of an import, by line.
    pub async fn import_errors(&self, id: i64, limit: i64) -> Result<Vec<ImportError>> {
        Ok(sqlx::query_as("SELECT line, reason, raw FROM import_errors WHERE import_id = $1 ORDER BY line LIMIT $2")
            .bind(id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}
