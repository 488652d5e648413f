//! Domain values that are valid once built: parse, don't validate; and the chat area's
//! records, which the store keeps and the faces send.

pub mod chat;
pub mod documents;
mod email;
mod email_rules;
mod login_code;
mod password;
mod requester;
mod service_url;
mod token;

pub use email::Email;
pub use email_rules::{DomainList, DomainRules};
pub use login_code::LoginCode;
pub use password::{NewPassword, PasswordAttempt, PasswordPolicy, MAX_PASSWORD_CHARS};
pub use requester::Requester;
pub use service_url::{mask_user_info, ServiceUrl};
pub use token::{SecretToken, TokenHash};
