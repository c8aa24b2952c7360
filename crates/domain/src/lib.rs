//! Domain types of ninsho: values that are valid by construction.
//!
//! Nothing here does I/O or knows about SQL, serde or HTTP. Edges (forms, CSV
//! rows, config, database rows) parse their raw strings into these types once;
//! everything inside the program can then rely on them.

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

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Decoding a stored word (the database's CHECK constraint holds
        /// the same set): an unknown one is an error, never a default.
        impl TryFrom<String> for $name {
            type Error = $crate::UnknownWord;

            fn try_from(word: String) -> Result<Self, Self::Error> {
                Self::parse(&word).ok_or($crate::UnknownWord { kind: stringify!($name), word })
            }
        }
    };
}

/// A stored word that names no state of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{word:?} is not a {kind}")]
pub struct UnknownWord {
    pub kind: &'static str,
    pub word: String,
}

mod audience;
pub mod credential;
mod email;
mod states;
mod team;
pub mod text;

pub use audience::{ImportMode, ListVisibility, OptIn, SubscriberStatus, SubscriptionStatus};
pub use email::{EmailAddress, EmailError, ascii_domain, bare_address, domain_of, local_part, masked};
pub use states::{
    AbMetric, CampaignStatus, DeliveryMode, DeliveryStatus, EventKind, ImportState, KeyStatus, OutboxStatus,
    SequenceStatus, TlsState, WebhookStatus,
};
pub use team::{Area, Permission, Role};
