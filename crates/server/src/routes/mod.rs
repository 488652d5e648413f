//! Routes: each one translates HTTP to one core call and back, and decides nothing.

/// Accounts and sessions.
pub mod auth;
/// Chat, history and conversations.
pub mod chat;
/// A workspace's documents and their search.
pub mod documents;
/// The server's own health.
pub mod health;
/// The LLM and retrieval settings, and whether they can be reached.
pub mod settings;
/// Workspaces and their conversations.
pub mod workspaces;
