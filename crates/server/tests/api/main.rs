//! HTTP tests of docent-server: the real server on port 0 with a fresh data dir, spoken to
//! over loopback. One binary (see `helpers::spawn_app`).

mod auth;
mod binary;
mod chat;
mod documents;
mod email;
mod errors;
mod faces;
mod helpers;
mod instances;
mod mail;
mod process;
mod secrets;
mod security;
mod settings;
mod web;
