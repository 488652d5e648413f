use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bytes of randomness in a token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// An opaque bearer secret (session, reset and sign-in tokens): 256 random bits, written as
/// base64url. Only its [`TokenHash`] is ever stored.
pub struct SecretToken(SecretString);

/// The SHA-256 of a token's bytes: what the database keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub(crate) [u8; 32]);

impl SecretToken {
    /// A new random token from the OS's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|err| Error::internal(anyhow::anyhow!("{err}")))?;
        Ok(Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// Parses a token presented by a client. Anything that is not 256 bits of base64url is
    /// refused without touching storage.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        match URL_SAFE_NO_PAD.decode(raw) {
            Ok(bytes) if bytes.len() == TOKEN_BYTES => Ok(Self(SecretString::from(raw))),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// The hash under which this token is stored.
    pub fn hash(&self) -> TokenHash {
        let bytes = URL_SAFE_NO_PAD
            .decode(self.0.expose_secret())
            .expect("a SecretToken always holds valid base64url");
        TokenHash(Sha256::digest(bytes).into())
    }

    /// The token itself, to hand to its owner (a response body, a cookie, the keyring).
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken([REDACTED])")
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_base64url_and_unique() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_eq!(a.expose_secret().len(), 43);
        assert!(a
            .expose_secret()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(a.hash() != b.hash());
    }

    #[test]
    fn parse_accepts_only_well_formed_tokens() {
        let token = SecretToken::generate().unwrap();
        let again = SecretToken::parse(token.expose_secret()).unwrap();
        assert!(again.hash() == token.hash());
        for bad in ["", "abc", "!!!!", &"A".repeat(44)] {
            assert!(SecretToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = SecretToken::generate().unwrap();
        assert!(!format!("{token:?}").contains(token.expose_secret()));
    }
}
