//! The session token in the OS keyring (macOS Keychain, Windows Credential Manager, the Secret
//! Service on Linux), so a restart signs the user back in. Never a plain file: where no keyring
//! answers, the session lives in memory for that run only.

use keyring::Entry;
use secrecy::{ExposeSecret, SecretString};

/// The keyring service name: the app's identifier.
pub const SERVICE: &str = "dev.docent.desktop";

/// One secret in the OS keyring.
pub struct KeyringSecret {
    entry: Entry,
}

/// Why the keyring could not be used.
#[derive(Debug, thiserror::Error)]
#[error("the OS keyring is not available: {0}")]
pub struct KeyringUnavailable(pub String);

impl KeyringSecret {
    /// The secret stored under `account` (e.g. `session`).
    pub fn new(account: &str) -> Result<Self, KeyringUnavailable> {
        Entry::new(SERVICE, account)
            .map(|entry| Self { entry })
            .map_err(|err| KeyringUnavailable(err.to_string()))
    }

    /// Whether this entry lives in a real platform store, not keyring's in-memory mock.
    pub fn is_platform_store(&self) -> bool {
        self.entry
            .get_credential()
            .downcast_ref::<keyring::mock::MockCredential>()
            .is_none()
    }

    /// The stored secret, if any.
    pub fn load(&self) -> Result<Option<SecretString>, KeyringUnavailable> {
        match self.entry.get_password() {
            Ok(secret) => Ok(Some(SecretString::from(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(KeyringUnavailable(err.to_string())),
        }
    }

    /// Stores `secret`, replacing what was there.
    pub fn save(&self, secret: &SecretString) -> Result<(), KeyringUnavailable> {
        self.entry
            .set_password(secret.expose_secret())
            .map_err(|err| KeyringUnavailable(err.to_string()))
    }

    /// Removes the secret; removing nothing is fine.
    pub fn delete(&self) -> Result<(), KeyringUnavailable> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(KeyringUnavailable(err.to_string())),
        }
    }
}
