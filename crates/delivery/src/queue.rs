//! What the engine needs of the database, and nothing more: the campaigns
//! coming due and what they need to render, the queue of deliveries and
//! outbox messages, their outcomes, and the bounces refused on the spot.
//! `store::Store` is the queue in production; the engine is generic over
//! this trait, so this list is the whole of its dependence on the data.

use std::future::Future;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use domain::SubscriberStatus;
use message::SecretKey;
use message::dkim::Signer;
use prepare::PrepareError;
use store::{
    BouncedDelivery, Campaign, DeliveryOutcome, Filter, LeasedDelivery, LeasedMessage, MessageOutcome, NewBounce,
    SenderIdentity, Store, StoreError,
};

type Answer<T, E = StoreError> = Result<T, E>;

pub trait Queue: Send + Sync {
    /// Scheduled campaigns whose time has come.
    fn due_campaigns(&self, now: DateTime<Utc>) -> impl Future<Output = Answer<Vec<i64>>> + Send;
    fn campaign(&self, id: i64) -> impl Future<Output = Answer<Option<Campaign>>> + Send;
    /// In production: refuses a From domain without a verified key.
    fn check_identity(&self, from_address: &str) -> impl Future<Output = Answer<(), PrepareError>> + Send;
    /// The identity block of the domain a From address sends from.
    fn sender_identity(&self, from_address: &str) -> impl Future<Output = Answer<SenderIdentity, PrepareError>> + Send;
    /// The layout the campaign is set in (its frozen copy once started).
    fn layout(&self, campaign: &Campaign) -> impl Future<Output = Answer<String, PrepareError>> + Send;
    fn segment(&self, campaign: &Campaign) -> impl Future<Output = Answer<Option<Filter>, PrepareError>> + Send;
    /// Writes one delivery per recipient and marks the campaign sending;
    /// the number of recipients, or None when it was not due any more.
    fn start_campaign(
        &self,
        id: i64,
        links: &[String],
        layout: &str,
        segment: Option<&Filter>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Answer<Option<i64>>> + Send;
    fn fail_campaign_start(&self, id: i64, error: &str) -> impl Future<Output = Answer<()>> + Send;
    fn decide_ab_tests(&self, now: DateTime<Utc>) -> impl Future<Output = Answer<Vec<(i64, i16)>>> + Send;
    fn enqueue_sequence_steps(&self, now: DateTime<Utc>) -> impl Future<Output = Answer<u64>> + Send;
    fn lease_messages(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        lease: Duration,
    ) -> impl Future<Output = Answer<Vec<LeasedMessage>>> + Send;
    fn lease_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        lease: Duration,
    ) -> impl Future<Output = Answer<Vec<LeasedDelivery>>> + Send;
    fn record_outcomes(&self, outcomes: &[DeliveryOutcome]) -> impl Future<Output = Answer<()>> + Send;
    fn record_message_outcomes(&self, outcomes: &[MessageOutcome]) -> impl Future<Output = Answer<()>> + Send;
    /// Campaigns with nothing left to attempt, now marked finished.
    fn finish_campaigns(&self) -> impl Future<Output = Answer<Vec<i64>>> + Send;
    /// Records a bounce (of a delivery, or of an outbox message: None);
    /// the address's bounces of its reason within its rule's days, and the
    /// rule.
    fn record_bounce(
        &self,
        delivery: Option<&BouncedDelivery>,
        bounce: &NewBounce<'_>,
    ) -> impl Future<Output = Answer<store::BounceTally>> + Send;
    fn suppress(&self, email: &str, status: SubscriberStatus, reason: &str) -> impl Future<Output = Answer<()>> + Send;
    /// The From domain's DKIM signer (None: it has no key).
    fn signer(
        &self,
        key: &SecretKey,
        domain: &str,
    ) -> impl Future<Output = Answer<Option<Signer>, identity::IdentityError>> + Send;
    /// The source addresses a From domain may send from (empty: any).
    fn source_ips(&self, domain: &str) -> impl Future<Output = Answer<Vec<IpAddr>>> + Send;
}

impl Queue for Store {
    async fn due_campaigns(&self, now: DateTime<Utc>) -> Answer<Vec<i64>> {
        Store::due_campaigns(self, now).await
    }

    async fn campaign(&self, id: i64) -> Answer<Option<Campaign>> {
        Store::campaign(self, id).await
    }

    async fn check_identity(&self, from_address: &str) -> Answer<(), PrepareError> {
        prepare::identity(self, from_address).await
    }

    async fn sender_identity(&self, from_address: &str) -> Answer<SenderIdentity, PrepareError> {
        prepare::sender_identity(self, from_address).await
    }

    async fn layout(&self, campaign: &Campaign) -> Answer<String, PrepareError> {
        prepare::layout(self, campaign).await
    }

    async fn segment(&self, campaign: &Campaign) -> Answer<Option<Filter>, PrepareError> {
        prepare::segment(self, campaign).await
    }

    async fn start_campaign(
        &self,
        id: i64,
        links: &[String],
        layout: &str,
        segment: Option<&Filter>,
        now: DateTime<Utc>,
    ) -> Answer<Option<i64>> {
        Store::start_campaign(self, id, links, layout, segment, now).await
    }

    async fn fail_campaign_start(&self, id: i64, error: &str) -> Answer<()> {
        Store::fail_campaign_start(self, id, error).await
    }

    async fn decide_ab_tests(&self, now: DateTime<Utc>) -> Answer<Vec<(i64, i16)>> {
        Store::decide_ab_tests(self, now).await
    }

    async fn enqueue_sequence_steps(&self, now: DateTime<Utc>) -> Answer<u64> {
        Store::enqueue_sequence_steps(self, now).await
    }

    async fn lease_messages(&self, now: DateTime<Utc>, limit: i64, lease: Duration) -> Answer<Vec<LeasedMessage>> {
        Store::lease_messages(self, now, limit, lease).await
    }

    async fn lease_deliveries(&self, now: DateTime<Utc>, limit: i64, lease: Duration) -> Answer<Vec<LeasedDelivery>> {
        Store::lease_deliveries(self, now, limit, lease).await
    }

    async fn record_outcomes(&self, outcomes: &[DeliveryOutcome]) -> Answer<()> {
        Store::record_outcomes(self, outcomes).await
    }

    async fn record_message_outcomes(&self, outcomes: &[MessageOutcome]) -> Answer<()> {
        Store::record_message_outcomes(self, outcomes).await
    }

    async fn finish_campaigns(&self) -> Answer<Vec<i64>> {
        Store::finish_campaigns(self).await
    }

    async fn record_bounce(
        &self,
        delivery: Option<&BouncedDelivery>,
        bounce: &NewBounce<'_>,
    ) -> Answer<store::BounceTally> {
        Store::record_bounce(self, delivery, bounce).await
    }

    async fn suppress(&self, email: &str, status: SubscriberStatus, reason: &str) -> Answer<()> {
        self.suppress_for_feedback(email, status, reason).await
    }

    async fn signer(&self, key: &SecretKey, domain: &str) -> Answer<Option<Signer>, identity::IdentityError> {
        identity::signer(self, key, domain).await
    }

    async fn source_ips(&self, domain: &str) -> Answer<Vec<IpAddr>> {
        self.domain_source_ips(domain).await
    }
}
