//! The sender's settings (one row) and each admin's own time zone.

use crate::{Result, Store};

/// Who sends, as subscribers' pages name them, and what a new campaign
/// starts from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SenderSettings {
    /// The sender's name on signup, confirmation, profile and unsubscribe
    /// pages (empty: the list's name stands alone).
    pub organization: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    /// An IANA zone, e.g. `Asia/Tokyo`.
    pub time_zone: String,
    pub track_opens: bool,
    pub track_clicks: bool,
}

impl Store {
    pub async fn sender_settings(&self) -> Result<SenderSettings> {
        Ok(sqlx::query_as(
            "SELECT organization, from_name, from_address, reply_to, time_zone, track_opens, track_clicks \
             FROM sender_settings",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn save_sender_settings(&self, s: &SenderSettings) -> Result<()> {
        sqlx::query(
            "UPDATE sender_settings SET organization = $1, from_name = $2, from_address = $3, reply_to = $4, \
             time_zone = $5, track_opens = $6, track_clicks = $7, updated_at = now()",
        )
        .bind(&s.organization)
        .bind(&s.from_name)
        .bind(&s.from_address)
        .bind(&s.reply_to)
        .bind(&s.time_zone)
        .bind(s.track_opens)
        .bind(s.track_clicks)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The dashboard language an admin chose (`en`, `ja`), empty when they
    /// follow their browser's (or the admin is gone).
    pub async fn admin_language(&self, admin_id: i64) -> Result<String> {
        let language: Option<String> = sqlx::query_scalar("SELECT language FROM admins WHERE id = $1")
            .bind(admin_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(language.unwrap_or_default())
    }

    /// Sets an admin's dashboard language (`en`, `ja`; empty: the browser's).
    pub async fn set_admin_language(&self, admin_id: i64, language: &str) -> Result<()> {
        sqlx::query("UPDATE admins SET language = $2 WHERE id = $1")
            .bind(admin_id)
            .bind(language)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets an admin's time zone; with `only_if_unset`, only when they have
    /// not chosen one (the browser's zone at login).
    pub async fn set_admin_time_zone(&self, admin_id: i64, zone: &str, only_if_unset: bool) -> Result<()> {
        sqlx::query("UPDATE admins SET time_zone = $2 WHERE id = $1 AND (NOT $3 OR time_zone = '')")
            .bind(admin_id)
            .bind(zone)
            .bind(only_if_unset)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The share of a campaign's sends (per cent) that may bounce before
    /// its senders are alerted; 0: never.
    pub async fn error_rate_alert(&self) -> Result<f64> {
        Ok(sqlx::query_scalar("SELECT error_rate_alert FROM sender_settings").fetch_one(&self.pool).await?)
    }

    pub async fn set_error_rate_alert(&self, percent: f64) -> Result<()> {
        sqlx::query("UPDATE sender_settings SET error_rate_alert = $1, updated_at = now()")
            .bind(percent)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
