//! The states of campaigns, deliveries, outbox messages, keys, sequences,
//! imports and webhooks, and the modes that choose behaviour: each a closed
//! set mirroring the database's CHECK constraint, parsed once where a row,
//! a form or the settings come in.

word_enum! {
    /// Where a campaign is in its life.
    CampaignStatus {
        Draft = "draft",
        Scheduled = "scheduled",
        Sending = "sending",
        Paused = "paused",
        Finished = "finished",
        Cancelled = "cancelled",
    }
}

word_enum! {
    /// One recipient's copy of a campaign.
    DeliveryStatus {
        Queued = "queued",
        /// Waiting for an A/B test's winner.
        Held = "held",
        /// Leased by a worker.
        Sending = "sending",
        Deferred = "deferred",
        Delivered = "delivered",
        Bounced = "bounced",
        Failed = "failed",
        /// Not sent: the recipient left or was suppressed after the start.
        Suppressed = "suppressed",
    }
}

impl DeliveryStatus {
    /// No further attempt will be made.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Bounced | Self::Failed | Self::Suppressed)
    }
}

word_enum! {
    /// A message of ninsho's own (a confirmation, a test send).
    OutboxStatus {
        Queued = "queued",
        Sending = "sending",
        Deferred = "deferred",
        Sent = "sent",
        Failed = "failed",
        /// Kept by the sandbox, never sent.
        Captured = "captured",
        /// Refused by the receiver for good.
        Bounced = "bounced",
        /// Kept until an operator releases or drops it (a submission
        /// credential in hold mode).
        Held = "held",
        /// Dropped by an operator while held.
        Dropped = "dropped",
    }
}

word_enum! {
    /// How a delivery's connection was protected.
    TlsState {
        /// TLS to a certificate that verified.
        Verified = "verified",
        /// TLS to a certificate that did not verify.
        Unverified = "unverified",
        None = "none",
    }
}

word_enum! {
    /// A DKIM key's place in rotation: only active keys sign.
    KeyStatus {
        /// Made, waiting for its DNS record to be seen.
        Pending = "pending",
        Active = "active",
        /// Replaced: still published, no longer signing.
        Retiring = "retiring",
        Retired = "retired",
    }
}

word_enum! {
    /// What decides an A/B test's winner.
    AbMetric {
        Opens = "opens",
        Clicks = "clicks",
    }
}

impl AbMetric {
    /// The event that counts for this metric.
    pub fn event(self) -> EventKind {
        match self {
            Self::Opens => EventKind::Open,
            Self::Clicks => EventKind::Click,
        }
    }
}

word_enum! {
    /// A tracked event.
    EventKind {
        Open = "open",
        Click = "click",
    }
}

word_enum! {
    /// Whether mail leaves the machine.
    DeliveryMode {
        /// Every message is kept in the sandbox mailbox.
        Sandbox = "sandbox",
        /// Messages go to the recipients' MX.
        Production = "production",
    }
}

word_enum! {
    /// A step sequence.
    SequenceStatus {
        Draft = "draft",
        Active = "active",
        Paused = "paused",
    }
}

word_enum! {
    /// A CSV import.
    ImportState {
        Running = "running",
        Finished = "finished",
        Failed = "failed",
    }
}

word_enum! {
    /// One webhook delivery.
    WebhookStatus {
        Queued = "queued",
        /// Leased by a sender.
        Sending = "sending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_decode_and_unknown_ones_are_errors() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::try_from(status.as_str().to_owned()), Ok(*status));
        }
        let wrong = CampaignStatus::try_from("archived".to_owned());
        assert_eq!(wrong.map_err(|e| e.to_string()), Err("\"archived\" is not a CampaignStatus".to_owned()));
        assert_eq!(AbMetric::Clicks.event(), EventKind::Click);
    }
}
