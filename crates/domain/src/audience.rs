//! States of subscribers, subscriptions and lists.

word_enum! {
    /// A subscriber's global state. Only `Active` subscribers receive mail.
    SubscriberStatus {
        Active = "active",
        Unsubscribed = "unsubscribed",
        Blocklisted = "blocklisted",
        Bounced = "bounced",
        Complained = "complained",
    }
}

word_enum! {
    /// A subscriber's state on one list.
    SubscriptionStatus {
        Unconfirmed = "unconfirmed",
        Confirmed = "confirmed",
        Unsubscribed = "unsubscribed",
    }
}

word_enum! {
    /// Whether a list appears on public pages (signup, profile).
    ListVisibility {
        Public = "public",
        Private = "private",
    }
}

word_enum! {
    /// Whether joining a list needs a confirmed email (double opt-in).
    OptIn {
        Single = "single",
        Double = "double",
    }
}

word_enum! {
    /// What a CSV import does with each row.
    ImportMode {
        /// Add new subscribers; existing ones are left as they are (but join the lists).
        Add = "add",
        /// Add new subscribers and overwrite the name and attributes of existing ones.
        Update = "update",
        /// Unsubscribe the addresses from the chosen lists.
        Unsubscribe = "unsubscribe",
        /// Blocklist the addresses everywhere.
        Blocklist = "blocklist",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for status in SubscriberStatus::ALL {
            assert_eq!(SubscriberStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(OptIn::parse(" Double "), Some(OptIn::Double));
        assert_eq!(ImportMode::parse("delete"), None);
    }
}
