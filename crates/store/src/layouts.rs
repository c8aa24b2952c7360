//! Layouts: the HTML a campaign's body is set in.

use chrono::{DateTime, Utc};

use crate::campaigns::conflict;
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

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
}
