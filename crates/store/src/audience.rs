//! Subscribers, lists, subscriptions and suppression.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use domain::{EmailAddress, ListVisibility, OptIn, SubscriberStatus, SubscriptionStatus};
use ipnet::IpNet;
use serde_json::Value;

use crate::{Result, Store, StoreError, is_unique_violation};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct List {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub optin: String,
    /// Extra fields of the signup form.
    pub signup_fields: sqlx::types::Json<Vec<SignupField>>,
    /// The language of its public pages and mail (`en`, `ja`).
    pub language: String,
    pub created_at: DateTime<Utc>,
    /// Confirmed subscribers (filled by `lists`; 0 elsewhere).
    pub subscriber_count: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub status: SubscriberStatus,
    pub attributes: Value,
    pub consent_source: String,
    pub consent_at: DateTime<Utc>,
    pub consent_ip: Option<IpNet>,
    pub consent_user_agent: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    pub list_id: i64,
    pub list_name: String,
    #[sqlx(try_from = "String")]
    pub status: SubscriptionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A field of a list's signup form, kept as the subscriber attribute `key`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignupField {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

/// A new list.
#[derive(Debug, Clone)]
pub struct NewList<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub visibility: ListVisibility,
    pub optin: OptIn,
    pub signup_fields: &'a [SignupField],
}

/// A new subscriber and where their consent came from.
#[derive(Debug, Clone)]
pub struct NewSubscriber<'a> {
    pub email: &'a EmailAddress,
    pub name: &'a str,
    pub attributes: &'a Value,
    pub status: SubscriberStatus,
    pub consent_source: &'a str,
    pub consent_ip: Option<IpAddr>,
    pub consent_user_agent: Option<&'a str>,
}

/// Which page of subscribers to read: keyset pagination on `id`, so page
/// 10,000 costs what page 1 costs.
#[derive(Debug, Clone, Default)]
pub struct SubscriberQuery {
    /// Substring of the email (case-insensitive).
    pub email_contains: Option<String>,
    /// Substring of the email or the name (case-insensitive).
    pub text_contains: Option<String>,
    /// Subscribers whose attributes contain this JSON object (`@>`).
    pub attributes: Option<Value>,
    pub list_id: Option<i64>,
    pub status: Option<SubscriberStatus>,
    /// Return subscribers with an id below this one (the previous page's last).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The conditions of a [`SubscriberQuery`] on `subscribers s`, bound as
/// $1 email pattern, $2 attributes, $3 list, $4 status, $5 email-or-name
/// pattern.
macro_rules! subscriber_filter {
    () => {
        "($1::text IS NULL OR lower(s.email) LIKE $1) \
         AND ($2::jsonb IS NULL OR s.attributes @> $2) \
         AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id \
              AND x.list_id = $3 AND x.status <> 'unsubscribed')) \
         AND ($4::text IS NULL OR s.status = $4) \
         AND ($5::text IS NULL OR lower(s.email) LIKE $5 OR lower(s.name) LIKE $5)"
    };
}

/// A statement on `chosen`, the subscribers a bulk action is for ($6 ids,
/// or the conditions of `subscriber_filter!`).
macro_rules! with_chosen {
    ($statement:literal) => {
        concat!(
            "WITH chosen AS (SELECT s.id FROM subscribers s WHERE ($6::bigint[] IS NULL OR s.id = ANY($6)) AND ",
            subscriber_filter!(),
            ") ",
            $statement
        )
    };
}

/// What to do to many subscribers at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Confirmed on the list; those who unsubscribed from it stay so.
    AddToList(i64),
    RemoveFromList(i64),
    Blocklist,
    Delete,
}

/// Which subscribers a bulk action is for.
#[derive(Debug, Clone)]
pub enum Chosen<'a> {
    Ids(&'a [i64]),
    /// Everyone the query matches (its page and limit aside).
    Matching(&'a SubscriberQuery),
}

macro_rules! subscriber_columns {
    () => {
        "s.id, s.email, s.name, s.status, s.attributes, s.consent_source, s.consent_at, s.consent_ip, \
         s.consent_user_agent, s.confirmed_at, s.created_at, s.updated_at"
    };
}

impl Store {
    pub async fn create_list(&self, list: &NewList<'_>) -> Result<List> {
        sqlx::query_as(
            "INSERT INTO lists (name, description, visibility, optin, signup_fields) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, description, visibility, optin, signup_fields, language, created_at, 0::bigint AS subscriber_count",
        )
        .bind(list.name)
        .bind(list.description)
        .bind(list.visibility.as_str())
        .bind(list.optin.as_str())
        .bind(sqlx::types::Json(list.signup_fields))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("a list with this name") } else { e.into() })
    }

    /// How many subscriptions of a list are in each state (state, count),
    /// the states with none left out.
    pub async fn list_counts(&self, id: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT status, count(*) FROM subscriptions WHERE list_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn update_list(&self, id: i64, list: &NewList<'_>) -> Result<List> {
        sqlx::query_as(
            "UPDATE lists SET name = $2, description = $3, visibility = $4, optin = $5, signup_fields = $6, \
             updated_at = now() \
             WHERE id = $1 \
             RETURNING id, name, description, visibility, optin, signup_fields, language, created_at, 0::bigint AS subscriber_count",
        )
        .bind(id)
        .bind(list.name)
        .bind(list.description)
        .bind(list.visibility.as_str())
        .bind(list.optin.as_str())
        .bind(sqlx::types::Json(list.signup_fields))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("a list with this name") } else { e.into() })?
        .ok_or(StoreError::NotFound("list"))
    }

    /// Sets the language of a list's public pages and mail.
    pub async fn set_list_language(&self, id: i64, language: &str) -> Result<()> {
        let done = sqlx::query("UPDATE lists SET language = $2 WHERE id = $1")
            .bind(id)
            .bind(language)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("list"));
        }
        Ok(())
    }

    /// Deletes a list and its subscriptions (subscriptions carry no foreign
    /// keys, for import speed: this crate keeps them consistent).
    pub async fn delete_list(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM lists WHERE id = $1").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("list"));
        }
        sqlx::query("DELETE FROM subscriptions WHERE list_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every list with its number of confirmed subscribers.
    pub async fn lists(&self) -> Result<Vec<List>> {
        Ok(sqlx::query_as(
            "SELECT l.id, l.name, l.description, l.visibility, l.optin, l.signup_fields, l.language, l.created_at, \
             (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'confirmed') \
               AS subscriber_count \
             FROM lists l ORDER BY l.name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn list(&self, id: i64) -> Result<Option<List>> {
        Ok(sqlx::query_as(
            "SELECT id, name, description, visibility, optin, signup_fields, language, created_at, \
             0::bigint AS subscriber_count FROM lists WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_subscriber(&self, new: &NewSubscriber<'_>) -> Result<Subscriber> {
        sqlx::query_as(concat!(
            "INSERT INTO subscribers AS s (email, name, attributes, status, consent_source, consent_ip, \
             consent_user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
            subscriber_columns!()
        ))
        .bind(new.email.as_str())
        .bind(new.name)
        .bind(new.attributes)
        .bind(new.status.as_str())
        .bind(new.consent_source)
        .bind(new.consent_ip.map(IpNet::from))
        .bind(new.consent_user_agent)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) { StoreError::Conflict("a subscriber with this email") } else { e.into() }
        })
    }

    pub async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>> {
        Ok(sqlx::query_as(concat!("SELECT ", subscriber_columns!(), " FROM subscribers s WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn subscriber_by_email(&self, email: &EmailAddress) -> Result<Option<Subscriber>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            subscriber_columns!(),
            " FROM subscribers s WHERE lower(s.email) = lower($1)"
        ))
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Changes name, attributes (replaced whole) and status; `None` keeps a field.
    pub async fn update_subscriber(
        &self,
        id: i64,
        name: Option<&str>,
        attributes: Option<&Value>,
        status: Option<SubscriberStatus>,
    ) -> Result<Subscriber> {
        sqlx::query_as(concat!(
            "UPDATE subscribers s SET name = coalesce($2, name), attributes = coalesce($3, attributes), \
             status = coalesce($4, status), updated_at = now() WHERE s.id = $1 RETURNING ",
            subscriber_columns!()
        ))
        .bind(id)
        .bind(name)
        .bind(attributes)
        .bind(status.map(SubscriberStatus::as_str))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("subscriber"))
    }

    pub async fn delete_subscriber(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM subscribers WHERE id = $1").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("subscriber"));
        }
        sqlx::query("DELETE FROM subscriptions WHERE subscriber_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of subscribers, newest first, and the `before_id` of the
    /// next page when there is one (one row more than the page is read, so
    /// a last page that is exactly full offers no empty next page).
    pub async fn subscribers(&self, query: &SubscriberQuery) -> Result<(Vec<Subscriber>, Option<i64>)> {
        let limit = query.limit.clamp(1, 1000);
        let mut rows: Vec<Subscriber> = sqlx::query_as(concat!(
            "SELECT ",
            subscriber_columns!(),
            " FROM subscribers s WHERE ",
            subscriber_filter!(),
            " AND ($6::bigint IS NULL OR s.id < $6) ORDER BY s.id DESC LIMIT $7"
        ))
        .bind(like(query.email_contains.as_deref()))
        .bind(&query.attributes)
        .bind(query.list_id)
        .bind(query.status.map(SubscriberStatus::as_str))
        .bind(like(query.text_contains.as_deref()))
        .bind(query.before_id)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { rows.last().map(|s| s.id) } else { None };
        Ok((rows, next))
    }

    /// The number of subscribers: exact up to 100,000, the planner's
    /// estimate above (an exact count of millions takes too long for a page).
    pub async fn subscriber_count(&self) -> Result<i64> {
        let estimate: Option<f32> =
            sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = 'subscribers'::regclass")
                .fetch_optional(&self.pool)
                .await?;
        match estimate {
            Some(n) if n >= 100_000.0 => Ok(n as i64),
            _ => Ok(sqlx::query_scalar("SELECT count(*) FROM subscribers").fetch_one(&self.pool).await?),
        }
    }

    pub async fn subscriptions(&self, subscriber_id: i64) -> Result<Vec<Subscription>> {
        Ok(sqlx::query_as(
            "SELECT s.list_id, l.name AS list_name, s.status, s.created_at, s.updated_at \
             FROM subscriptions s JOIN lists l ON l.id = s.list_id WHERE s.subscriber_id = $1 ORDER BY l.name",
        )
        .bind(subscriber_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Puts a subscriber on a list in `status`, or changes their status there.
    pub async fn set_subscription(&self, subscriber_id: i64, list_id: i64, status: SubscriptionStatus) -> Result<()> {
        let done = sqlx::query(
            "INSERT INTO subscriptions (list_id, subscriber_id, status) \
             SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM lists WHERE id = $1) \
               AND EXISTS (SELECT 1 FROM subscribers WHERE id = $2) \
             ON CONFLICT (list_id, subscriber_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()",
        )
        .bind(list_id)
        .bind(subscriber_id)
        .bind(status.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("list or subscriber"));
        }
        Ok(())
    }

    /// Acts on many subscribers in one transaction; the number of
    /// subscribers it changed.
    pub async fn bulk_subscribers(&self, chosen: &Chosen<'_>, action: BulkAction) -> Result<u64> {
        let (ids, query) = match chosen {
            Chosen::Ids(ids) => (Some(*ids), None),
            Chosen::Matching(query) => (None, Some(*query)),
        };
        let statement: &'static str = match action {
            BulkAction::AddToList(_) => with_chosen!(
                "INSERT INTO subscriptions (list_id, subscriber_id, status) SELECT $7, id, 'confirmed' FROM chosen \
                 WHERE EXISTS (SELECT 1 FROM lists WHERE id = $7) ON CONFLICT (list_id, subscriber_id) DO NOTHING"
            ),
            BulkAction::RemoveFromList(_) => with_chosen!(
                "DELETE FROM subscriptions WHERE list_id = $7 AND subscriber_id IN (SELECT id FROM chosen)"
            ),
            BulkAction::Blocklist => with_chosen!(
                "UPDATE subscribers SET status = 'blocklisted', updated_at = now() \
                 WHERE id IN (SELECT id FROM chosen) AND status <> 'blocklisted' AND $7::bigint IS NULL"
            ),
            BulkAction::Delete => {
                with_chosen!("DELETE FROM subscribers WHERE id IN (SELECT id FROM chosen) AND $7::bigint IS NULL")
            }
        };
        let list = match action {
            BulkAction::AddToList(list) | BulkAction::RemoveFromList(list) => Some(list),
            BulkAction::Blocklist | BulkAction::Delete => None,
        };
        let mut tx = self.pool.begin().await?;
        if action == BulkAction::Delete {
            // Subscriptions first, as deleting one subscriber does.
            let subscriptions = with_chosen!(
                "DELETE FROM subscriptions WHERE subscriber_id IN (SELECT id FROM chosen) AND $7::bigint IS NULL"
            );
            bind_chosen(sqlx::query(subscriptions), ids, query).bind(list).execute(&mut *tx).await?;
        }
        let done = bind_chosen(sqlx::query(statement), ids, query).bind(list).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub async fn remove_subscription(&self, subscriber_id: i64, list_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM subscriptions WHERE list_id = $1 AND subscriber_id = $2")
            .bind(list_id)
            .bind(subscriber_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Binds $1–$6 of a bulk action: the query's conditions (none with ids)
/// and the ids (none with a query).
fn bind_chosen<'q>(
    statement: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ids: Option<&'q [i64]>,
    query: Option<&'q SubscriberQuery>,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    statement
        .bind(like(query.and_then(|q| q.email_contains.as_deref())))
        .bind(query.and_then(|q| q.attributes.as_ref()))
        .bind(query.and_then(|q| q.list_id))
        .bind(query.and_then(|q| q.status).map(SubscriberStatus::as_str))
        .bind(like(query.and_then(|q| q.text_contains.as_deref())))
        .bind(ids)
}

/// A case-insensitive LIKE pattern for a substring.
pub(crate) fn like(text: Option<&str>) -> Option<String> {
    text.map(|t| format!("%{}%", escape_like(&t.to_lowercase())))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
