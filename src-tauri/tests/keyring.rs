//! A round trip through the real OS keyring. `scripts/test` runs it inside a D-Bus session with
//! gnome-keyring's Secret Service; it fails, rather than passes, on keyring's mock store.

use docent_app::keyring_store::KeyringSecret;
use secrecy::{ExposeSecret, SecretString};

#[test]
#[ignore = "needs a Secret Service: run through scripts/test (dbus-run-session + gnome-keyring)"]
fn the_session_token_round_trips_through_the_platform_keyring() {
    let account = format!("test-{}", uuid::Uuid::new_v4());
    let secret = KeyringSecret::new(&account).expect("an entry");
    assert!(
        secret.is_platform_store(),
        "keyring fell back to its in-memory mock store"
    );
    assert!(secret.load().expect("the keyring answers").is_none());
    secret.save(&SecretString::from("token-value-1")).unwrap();
    // A fresh handle reads what the first stored: it went to the store, not to memory.
    let again = KeyringSecret::new(&account).unwrap();
    assert_eq!(
        again.load().unwrap().unwrap().expose_secret(),
        "token-value-1"
    );
    again.save(&SecretString::from("token-value-2")).unwrap();
    assert_eq!(
        secret.load().unwrap().unwrap().expose_secret(),
        "token-value-2"
    );
    secret.delete().unwrap();
    assert!(again.load().unwrap().is_none());
    secret.delete().unwrap();
}
