//! What Docent's tests share, so that no rule is tested in two copies:
//!
//! - [`remote`]: the LLM and the retrieval API replaced by local servers that speak their real
//!   protocols over loopback HTTP;
//! - [`chat_rules`]: the rules of workspaces, conversations and chat, written once against a
//!   [`chat_rules::Face`] and run by each face's tests (docent-server's over HTTP, the desktop
//!   shell's over IPC) through [`chat_rules!`];
//! - [`postgres`]: a real PostgreSQL server in a temp dir, for the store's tests on PostgreSQL.

// The faces run on the tests' current-thread runtimes: no future here needs to be `Send`.
#![allow(async_fn_in_trait)]

pub mod chat_rules;
pub mod postgres;
pub mod remote;
