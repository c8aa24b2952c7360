//! Delivery metrics for Prometheus: attempts by destination and outcome,
//! connections by destination and TLS, and how long SMTP transactions take.
//! Destinations are the shaping file's providers; every other recipient
//! domain counts as "other", so the label set stays small.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    destination: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Connection {
    destination: String,
    tls: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Destination {
    destination: String,
}

type Timings = Family<Destination, Histogram, fn() -> Histogram>;

fn transaction_buckets() -> Histogram {
    // 5 ms to about 80 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

/// Cheap to clone: the families are shared.
#[derive(Clone)]
pub struct DeliveryMetrics {
    attempts: Family<Outcome, Counter>,
    connections: Family<Connection, Counter>,
    transactions: Timings,
}

impl Default for DeliveryMetrics {
    fn default() -> Self {
        Self {
            attempts: Family::default(),
            connections: Family::default(),
            transactions: Family::new_with_constructor(transaction_buckets),
        }
    }
}

impl DeliveryMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "delivery_attempts",
            "SMTP delivery attempts by destination and outcome",
            self.attempts.clone(),
        );
        registry.register(
            "delivery_connections",
            "SMTP connections opened, by destination and TLS (verified, unverified, none)",
            self.connections.clone(),
        );
        registry.register(
            "delivery_transaction_seconds",
            "Time from MAIL FROM to the reply after the message",
            self.transactions.clone(),
        );
    }

    pub(crate) fn attempt(&self, destination: &str, status: &str) {
        let labels = Outcome { destination: destination.to_owned(), status: status.to_owned() };
        self.attempts.get_or_create(&labels).inc();
    }

    pub(crate) fn connected(&self, destination: &str, tls: &str) {
        let labels = Connection { destination: destination.to_owned(), tls: tls.to_owned() };
        self.connections.get_or_create(&labels).inc();
    }

    pub(crate) fn transaction(&self, destination: &str, seconds: f64) {
        self.transactions.get_or_create(&Destination { destination: destination.to_owned() }).observe(seconds);
    }
}
