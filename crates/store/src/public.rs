//! What the public pages need: signups with their consent record, the
//! confirmation of double opt-in, per-IP rate limits, and the outbound
//! message queue (the capture mailbox in sandbox mode).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use domain::{EmailAddress, SubscriptionStatus};
use ipnet::IpNet;

use crate::{Result, Store, StoreError};
use domain::{OutboxStatus, SubscriberStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboundMessage {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    #[sqlx(try_from = "String")]
    pub status: OutboxStatus,
    pub created_at: DateTime<Utc>,
    /// The exact bytes are kept (campaign deliveries in sandbox mode).
    pub has_raw: bool,
}

/// A transactional message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub subscriber_id: Option<i64>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
}

/// What following a change-of-address link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressChange {
    Made {
        old: String,
        new: String,
    },
    /// Made before, or the subscriber is gone: nothing changed.
    Used,
    /// Another subscriber has the new address: nothing changed.
    Taken,
}

/// What a signup did, so the page can say the same thing either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A confirmation is needed (double opt-in): the subscriber and list ids.
    NeedsConfirmation { subscriber_id: i64 },
    /// Subscribed at once (single opt-in) or already confirmed.
    Subscribed,
    /// Blocklisted, or unsubscribed globally: nothing was changed or sent.
    Refused,
}

impl Store {
    /// Records a public form submission from `ip`; returns how many this
    /// address made within `window` (this one included).
    pub async fn count_form_hit(&self, ip: IpAddr, window: Duration) -> Result<i64> {
        let net = crate::admins::throttle_net(ip);
        sqlx::query("INSERT INTO public_form_hits (ip) VALUES ($1)").bind(net).execute(&self.pool).await?;
        Ok(sqlx::query_scalar("SELECT count(*) FROM public_form_hits WHERE ip = $1 AND at > now() - $2")
            .bind(net)
            .bind(window)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Subscribes `email` to `list_id` from a public form: creates the
    /// subscriber with its consent record and `attributes` when new (an
    /// existing subscriber's data is never changed by a form anyone can
    /// post), and a subscription that is confirmed (single opt-in) or waits
    /// for confirmation (double).
    #[allow(clippy::too_many_arguments)]
    pub async fn signup(
        &self,
        email: &EmailAddress,
        name: &str,
        attributes: &serde_json::Value,
        list_id: i64,
        double_optin: bool,
        source: &str,
        ip: IpAddr,
        user_agent: Option<&str>,
    ) -> Result<SignupOutcome> {
        if self.is_suppressed(email).await? {
            return Ok(SignupOutcome::Refused);
        }
        let mut tx = self.pool.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO subscribers (email, name, attributes, consent_source, consent_ip, consent_user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
        )
        .bind(email.as_str())
        .bind(name)
        .bind(attributes)
        .bind(source)
        .bind(IpNet::from(ip))
        .bind(user_agent)
        .fetch_optional(&mut *tx)
        .await?;
        let (subscriber_id, status) = match inserted {
            Some(id) => (id, SubscriberStatus::Active),
            None => {
                let (id, status): (i64, String) =
                    sqlx::query_as("SELECT id, status FROM subscribers WHERE lower(email) = lower($1)")
                        .bind(email.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                (id, SubscriberStatus::try_from(status)?)
            }
        };
        if !matches!(status, SubscriberStatus::Active | SubscriberStatus::Unsubscribed) {
            return Ok(SignupOutcome::Refused);
        }
        let current: Option<String> =
            sqlx::query_scalar("SELECT status FROM subscriptions WHERE list_id = $1 AND subscriber_id = $2")
                .bind(list_id)
                .bind(subscriber_id)
                .fetch_optional(&mut *tx)
                .await?;
        let current = current.map(SubscriptionStatus::try_from).transpose()?;
        if current == Some(SubscriptionStatus::Confirmed) {
            return Ok(SignupOutcome::Subscribed);
        }
        // Anyone can post the form with anyone's address: an unsubscribe is
        // undone only by the owner following a confirmation link, whatever
        // the list's opt-in. Nothing is changed until then.
        if status == SubscriberStatus::Unsubscribed || current == Some(SubscriptionStatus::Unsubscribed) {
            tx.commit().await?;
            return Ok(SignupOutcome::NeedsConfirmation { subscriber_id });
        }
        let new_status = if double_optin { SubscriptionStatus::Unconfirmed } else { SubscriptionStatus::Confirmed };
        sqlx::query(
            "INSERT INTO subscriptions (list_id, subscriber_id, status) VALUES ($1, $2, $3) \
             ON CONFLICT (list_id, subscriber_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()",
        )
        .bind(list_id)
        .bind(subscriber_id)
        .bind(new_status.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if double_optin { SignupOutcome::NeedsConfirmation { subscriber_id } } else { SignupOutcome::Subscribed })
    }

    /// Whether a confirmation went to this subscriber within `window` (one
    /// per hour is enough; more would let the form mail-bomb an address).
    pub async fn recently_sent_confirmation(&self, subscriber_id: i64, window: Duration) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM outbound_messages WHERE subscriber_id = $1 AND kind = 'confirmation' \
             AND created_at > now() - $2)",
        )
        .bind(subscriber_id)
        .bind(window)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Confirms a subscription from its owner's confirmation link: the
    /// subscription becomes confirmed (whatever it was, even after an
    /// unsubscribe: following the link is a new consent) and a globally
    /// unsubscribed subscriber active again. False when the subscriber or
    /// the list no longer exists, or the subscriber is blocklisted, bounced
    /// or complained.
    pub async fn confirm_subscription(&self, subscriber_id: i64, list_id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let subscriber = sqlx::query(
            "UPDATE subscribers SET status = 'active', confirmed_at = coalesce(confirmed_at, now()), updated_at = now() \
             WHERE id = $1 AND status IN ('active', 'unsubscribed') \
             AND EXISTS (SELECT 1 FROM lists WHERE id = $2)",
        )
        .bind(subscriber_id)
        .bind(list_id)
        .execute(&mut *tx)
        .await?;
        if subscriber.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO subscriptions (list_id, subscriber_id, status) VALUES ($1, $2, 'confirmed') \
             ON CONFLICT (list_id, subscriber_id) DO UPDATE SET status = 'confirmed', updated_at = now()",
        )
        .bind(list_id)
        .bind(subscriber_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Unsubscribes from one list at once (idempotent).
    pub async fn unsubscribe(&self, subscriber_id: i64, list_id: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE subscriptions SET status = 'unsubscribed', updated_at = now() \
             WHERE list_id = $1 AND subscriber_id = $2",
        )
        .bind(list_id)
        .bind(subscriber_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("subscription"));
        }
        Ok(())
    }

    /// Keeps a reader's reason for leaving a list (`reason` one of
    /// `too_many`, `not_relevant`, `never_signed_up`, `other`), tied to the
    /// last campaign they got from it.
    pub async fn record_unsubscribe_reason(
        &self,
        subscriber_id: i64,
        list_id: i64,
        reason: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO unsubscribe_reasons (subscriber_id, list_id, campaign_id, reason, detail) \
             SELECT $1, $2, (SELECT d.campaign_id FROM deliveries d WHERE d.subscriber_id = $1 AND d.list_id = $2 \
                             ORDER BY d.updated_at DESC LIMIT 1), $3, $4",
        )
        .bind(subscriber_id)
        .bind(list_id)
        .bind(reason)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops subscriptions left unconfirmed for longer than `age`.
    pub async fn expire_unconfirmed(&self, age: Duration) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM subscriptions WHERE status = 'unconfirmed' AND updated_at < now() - $1")
            .bind(age)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub async fn prune_form_hits(&self, keep: Duration) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM public_form_hits WHERE at < now() - $1")
            .bind(keep)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Whether a message with `subject` went to `to` within `window`.
    pub async fn message_sent_since(&self, to: &str, subject: &str, window: Duration) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM outbound_messages WHERE lower(to_address) = lower($1) AND subject = $2 \
             AND created_at > now() - $3)",
        )
        .bind(to)
        .bind(subject)
        .bind(window)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn enqueue_message(&self, message: &NewMessage<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO outbound_messages (kind, subscriber_id, to_address, subject, text_body) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(message.kind)
        .bind(message.subscriber_id)
        .bind(message.to)
        .bind(message.subject)
        .bind(message.text_body)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The newest queued and sent messages (the sandbox capture mailbox).
    pub async fn outbound_messages(&self, limit: i64) -> Result<Vec<OutboundMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, to_address, subject, text_body, status, created_at, raw IS NOT NULL AS has_raw \
             FROM outbound_messages \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Messages queued or sent to one subscriber, newest first.
    pub async fn subscriber_messages(&self, subscriber_id: i64) -> Result<Vec<OutboundMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, to_address, subject, text_body, status, created_at, raw IS NOT NULL AS has_raw \
             FROM outbound_messages \
             WHERE subscriber_id = $1 ORDER BY id DESC LIMIT 100",
        )
        .bind(subscriber_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a reader's wish to move to `new_email`; the change's id (the
    /// link sent to the new address carries it).
    pub async fn request_address_change(&self, subscriber_id: i64, new_email: &EmailAddress) -> Result<i64> {
        Ok(sqlx::query_scalar("INSERT INTO address_changes (subscriber_id, new_email) VALUES ($1, $2) RETURNING id")
            .bind(subscriber_id)
            .bind(new_email.as_str())
            .fetch_one(&self.pool)
            .await?)
    }

    /// The new address of a change not yet made.
    pub async fn pending_address_change(&self, id: i64, subscriber_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT new_email FROM address_changes WHERE id = $1 AND subscriber_id = $2 AND done_at IS NULL",
        )
        .bind(id)
        .bind(subscriber_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Makes a change of address, once: the subscriber's email becomes the
    /// new one unless another subscriber has it.
    pub async fn apply_address_change(&self, id: i64, subscriber_id: i64) -> Result<AddressChange> {
        let mut tx = self.pool.begin().await?;
        let new: Option<String> = sqlx::query_scalar(
            "SELECT new_email FROM address_changes WHERE id = $1 AND subscriber_id = $2 AND done_at IS NULL FOR UPDATE",
        )
        .bind(id)
        .bind(subscriber_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(new) = new else { return Ok(AddressChange::Used) };
        let old: Option<String> = sqlx::query_scalar("SELECT email FROM subscribers WHERE id = $1 FOR UPDATE")
            .bind(subscriber_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(old) = old else { return Ok(AddressChange::Used) };
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM subscribers WHERE lower(email) = lower($1) AND id <> $2)")
                .bind(&new)
                .bind(subscriber_id)
                .fetch_one(&mut *tx)
                .await?;
        if taken {
            return Ok(AddressChange::Taken);
        }
        sqlx::query("UPDATE subscribers SET email = $2, updated_at = now() WHERE id = $1")
            .bind(subscriber_id)
            .bind(&new)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE address_changes SET done_at = now() WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(AddressChange::Made { old, new })
    }

    /// Replaces a subscriber's name and their subscriptions to `lists`
    /// (the profile page): listed ids with `true` are confirmed, `false`
    /// unsubscribed; lists not mentioned are left alone.
    pub async fn update_profile(&self, subscriber_id: i64, name: &str, lists: &[(i64, bool)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("UPDATE subscribers SET name = $2, updated_at = now() WHERE id = $1")
            .bind(subscriber_id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            // Erased or deleted since the link was sent.
            return Err(StoreError::NotFound("subscriber"));
        }
        for (list_id, on) in lists {
            let status = if *on { "confirmed" } else { "unsubscribed" };
            sqlx::query(
                "INSERT INTO subscriptions (list_id, subscriber_id, status) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM lists WHERE id = $1) \
                 ON CONFLICT (list_id, subscriber_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now() \
                 WHERE subscriptions.status <> EXCLUDED.status",
            )
            .bind(list_id)
            .bind(subscriber_id)
            .bind(status)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
