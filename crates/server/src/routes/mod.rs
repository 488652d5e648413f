//! Routes: each one translates HTTP to one core call and back, and decides nothing.

/// Accounts and sessions.
pub mod auth;
/// The server's own health.
pub mod health;
