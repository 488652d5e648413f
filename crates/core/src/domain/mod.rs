//! Domain values that are valid once built: parse, don't validate.

mod email;
mod password;
mod token;

pub use email::Email;
pub use password::{NewPassword, PasswordAttempt, PasswordPolicy, MAX_PASSWORD_CHARS};
pub use token::{SecretToken, TokenHash};
