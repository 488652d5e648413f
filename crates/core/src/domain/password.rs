use std::collections::HashSet;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

use super::Email;
use crate::error::{Error, ErrorCode, Result};

/// The longest password accepted, in characters; longer input is refused before any
/// normalisation or hashing, so it cannot be used to make the server work hard.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The lowest zxcvbn score accepted (3: "safely unguessable", over 10^8 guesses).
const MIN_ZXCVBN_SCORE: u8 = 3;

/// Local parts shorter than this are too common inside words to forbid.
const MIN_LOCAL_PART_TO_CHECK: usize = 3;

/// The rules for new passwords (NIST SP 800-63B: length, a blocklist, no composition rules).
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    /// Shortest password accepted, in characters after NFKC normalisation.
    pub min_length: usize,
}

/// A new password that passed the [`PasswordPolicy`]; NFKC-normalised.
pub struct NewPassword(SecretString);

/// A password typed at sign-in: at most [`MAX_PASSWORD_CHARS`], NFKC-normalised, not judged.
pub struct PasswordAttempt(SecretString);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

impl std::fmt::Debug for PasswordAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordAttempt([REDACTED])")
    }
}

fn length_checked_nfkc(raw: &SecretString) -> Result<SecretString> {
    let raw = raw.expose_secret();
    if raw.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Error::invalid(
            ErrorCode::PasswordTooLong,
            format!("Passwords can be at most {MAX_PASSWORD_CHARS} characters long."),
        ));
    }
    Ok(SecretString::from(raw.nfkc().collect::<String>()))
}

impl PasswordAttempt {
    /// Accepts what was typed at sign-in.
    pub fn parse(raw: &SecretString) -> Result<Self> {
        length_checked_nfkc(raw).map(Self)
    }

    /// The normalised password.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl NewPassword {
    /// Judges a new password for the account `email`; the error names the rule that failed
    /// and how to do better.
    pub fn parse(raw: &SecretString, policy: PasswordPolicy, email: &Email) -> Result<Self> {
        let password = length_checked_nfkc(raw)?;
        let text = password.expose_secret();
        let length = text.chars().count();
        if length < policy.min_length {
            return Err(Error::invalid(
                ErrorCode::PasswordTooShort,
                format!(
                    "Use at least {} characters (this one has {length}). A few unrelated words make a long password that is easy to remember.",
                    policy.min_length
                ),
            ));
        }
        let lowered = text.to_lowercase();
        if common_passwords().contains(lowered.as_str()) {
            return Err(Error::invalid(
                ErrorCode::PasswordTooCommon,
                "This password is on a list of commonly used passwords that attackers try first. Choose something unique to you.",
            ));
        }
        let local = email.local_part();
        if local.chars().count() >= MIN_LOCAL_PART_TO_CHECK && lowered.contains(local) {
            return Err(Error::invalid(
                ErrorCode::PasswordContainsEmail,
                "The password contains your email address's name; attackers try that early. Leave it out.",
            ));
        }
        let domain_words: Vec<&str> = email.domain().split('.').collect();
        let mut user_inputs = vec![local, email.as_str(), "docent"];
        user_inputs.extend(domain_words);
        let entropy = zxcvbn::zxcvbn(text, &user_inputs);
        if u8::from(entropy.score()) < MIN_ZXCVBN_SCORE {
            let mut message = String::from("This password is too easy to guess.");
            if let Some(feedback) = entropy.feedback() {
                if let Some(warning) = feedback.warning() {
                    message.push_str(&format!(" {warning}"));
                    if !message.ends_with('.') {
                        message.push('.');
                    }
                }
                for suggestion in feedback.suggestions() {
                    message.push_str(&format!(" {suggestion}"));
                    if !message.ends_with('.') {
                        message.push('.');
                    }
                }
            }
            if !message.contains("words") {
                message.push_str(" Try a longer passphrase of unrelated words.");
            }
            return Err(Error::invalid(ErrorCode::PasswordTooGuessable, message));
        }
        Ok(Self(password))
    }

    /// The normalised password.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: PasswordPolicy = PasswordPolicy { min_length: 15 };

    fn email() -> Email {
        Email::parse("grace.hopper@example.com").unwrap()
    }

    fn judge(password: &str) -> Result<NewPassword> {
        judge_with(password, POLICY)
    }

    fn judge_with(password: &str, policy: PasswordPolicy) -> Result<NewPassword> {
        NewPassword::parse(&SecretString::from(password), policy, &email())
    }

    #[test]
    fn accepts_a_long_unusual_passphrase() {
        assert!(judge("correct horse battery staple velvet").is_ok());
        assert!(judge("Tangerine-Orbit-Quietly-47").is_ok());
    }

    #[test]
    fn refuses_short_passwords_with_the_minimum_in_the_message() {
        let err = judge("Xk9#mQ2!vL").unwrap_err();
        assert_eq!(err.code(), "password_too_short");
        assert!(err.to_string().contains("at least 15"), "{err}");
    }

    #[test]
    fn the_minimum_is_configurable() {
        assert!(judge_with("Xk9#mQ2!vLp", PasswordPolicy { min_length: 8 }).is_ok());
    }

    #[test]
    fn refuses_common_passwords_even_when_long_enough() {
        let err = judge_with("1q2w3e4r5t6y7u8i9o0p", PasswordPolicy { min_length: 8 }).unwrap_err();
        assert_eq!(err.code(), "password_too_common");
        let err = judge_with("Password1", PasswordPolicy { min_length: 8 }).unwrap_err();
        assert_eq!(
            err.code(),
            "password_too_common",
            "compared case-insensitively"
        );
    }

    #[test]
    fn refuses_passwords_containing_the_email_name() {
        let err = judge("my name is Grace.Hopper, hello there").unwrap_err();
        assert_eq!(err.code(), "password_contains_email");
    }

    #[test]
    fn refuses_guessable_passwords_with_advice() {
        let err = judge("aaaaaaaaaaaaaaaaaaaa").unwrap_err();
        assert_eq!(err.code(), "password_too_guessable");
        assert!(err.to_string().len() > 40, "{err}");
        let err = judge("qwertyuiopasdfghjkl").unwrap_err();
        assert_eq!(err.code(), "password_too_guessable");
    }

    #[test]
    fn refuses_over_1024_characters_and_counts_characters_not_bytes() {
        let err = judge(&"é".repeat(1025)).unwrap_err();
        assert_eq!(err.code(), "password_too_long");
        let ok = format!("Tangerine-Orbit-Quietly {}", "é".repeat(900));
        assert!(ok.len() > 1024 && ok.chars().count() <= 1024);
        assert!(judge(&ok).is_ok());
        assert!(PasswordAttempt::parse(&SecretString::from("x".repeat(1025))).is_err());
    }

    #[test]
    fn normalises_to_nfkc_so_equivalent_input_matches() {
        // "ﬁ" (U+FB01, a ligature) is NFKC-equal to "fi"; a precomposed "é" equals "e" + U+0301.
        let a = PasswordAttempt::parse(&SecretString::from("ﬁne caf\u{e9}")).unwrap();
        let b = PasswordAttempt::parse(&SecretString::from("fine cafe\u{301}")).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
    }
}
