//! States of subscribers, subscriptions and lists.

use std::fmt;

/// Declares a closed set of states stored as lower-case words.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),+ }
            }

            pub fn parse(word: &str) -> Option<Self> {
                match word.trim().to_ascii_lowercase().as_str() { $($word => Some(Self::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

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
