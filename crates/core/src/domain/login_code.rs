use std::fmt;

use sha2::{Digest, Sha256};

use super::TokenHash;
use crate::error::{Error, Result};

/// Upper-case letters and digits without the look-alikes 0/O and 1/I: 32 symbols, 5 bits each.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const LENGTH: usize = 8;

/// The short sign-in code sent with a sign-in link, to type on another device. Eight symbols
/// (40 bits); it lives 15 minutes and allows five wrong tries.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginCode(String);

impl LoginCode {
    /// A new random code.
    pub fn generate() -> Result<Self> {
        let mut random = [0u8; LENGTH];
        getrandom::fill(&mut random).map_err(|err| Error::internal(anyhow::anyhow!("{err}")))?;
        // 256 is a multiple of 32, so taking the low 5 bits is unbiased.
        Ok(Self(
            random
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect(),
        ))
    }

    /// Reads what a person typed: any case, with or without the dash or spaces.
    pub fn parse(raw: &str) -> Result<Self> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() != LENGTH || !code.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(Error::InvalidCode);
        }
        Ok(Self(code))
    }

    /// The code as printed in emails: `K7QM-3XWP`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }

    /// What is stored: the code hashed together with its sign-in token's hash.
    pub(crate) fn hash_for(&self, token: &TokenHash) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(token.0);
        hasher.update(self.0.as_bytes());
        hasher.finalize().into()
    }
}

impl fmt::Debug for LoginCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginCode([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_unambiguous_symbols() {
        for _ in 0..200 {
            let code = LoginCode::generate().unwrap();
            assert_eq!(code.0.len(), 8);
            assert!(!code.0.contains(['0', 'O', '1', 'I']), "{}", code.0);
        }
    }

    #[test]
    fn typing_is_forgiving_but_exact() {
        let code = LoginCode::parse("k7qm-3xwp").unwrap();
        assert_eq!(code.display(), "K7QM-3XWP");
        assert_eq!(LoginCode::parse(" K7QM 3XWP ").unwrap(), code);
        for bad in ["K7QM3XW", "K7QM3XWPP", "K7QM3XW0", "K7QM3XWI", ""] {
            assert_eq!(
                LoginCode::parse(bad).unwrap_err().code(),
                "invalid_code",
                "{bad}"
            );
        }
    }
}
