//! Core integration tests: a real SQLite file in a temp dir, the movable clock.

mod auth;
mod remote_settings;
