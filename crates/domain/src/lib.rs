//! Domain types of ninsho: values that are valid by construction.
//!
//! Nothing here does I/O or knows about SQL, serde or HTTP. Edges (forms, CSV
//! rows, config, database rows) parse their raw strings into these types once;
//! everything inside the program can then rely on them.

mod audience;
mod email;
mod team;
pub mod text;

pub use audience::{ImportMode, ListVisibility, OptIn, SubscriberStatus, SubscriptionStatus};
pub use email::{EmailAddress, EmailError, ascii_domain, masked};
pub use team::{Area, Permission, Role};
