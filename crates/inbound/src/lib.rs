//! Mail that comes back: the SMTP listener of the inbound role, which takes
//! mail only for ninsho's own addresses, and what the mail says (bounces,
//! complaints, unsubscribe requests), read and acted on.

pub mod act;
pub mod feedback;
/// The listener itself (sessions, limits, STARTTLS) is `smtpd`'s.
pub use smtpd as smtp;
