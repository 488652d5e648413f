//! Core integration tests: a real SQLite file in a temp dir, the movable clock.

mod auth;
mod documents;
mod remote_settings;
