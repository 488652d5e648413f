use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use docent_core::{Credentials, Docent, ManualClock, Requester, SecretToken, Settings};
use secrecy::SecretString;

const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";

struct Fixture {
    docent: Docent,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

async fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_now();
    let docent =
        Docent::open_with_clock(Settings::with_data_dir(dir.path()), Arc::new(clock.clone()))
            .await
            .unwrap();
    Fixture {
        docent,
        clock,
        _dir: dir,
    }
}

impl Fixture {
    /// Registers `email` with [`PASSWORD`] and signs in.
    async fn signed_in(&self, email: &str) -> docent_core::NewSession {
        let auth = self.docent.auth();
        auth.register(credentials(email, PASSWORD), &Requester::Local)
            .await
            .unwrap();
        auth.login(credentials(email, PASSWORD)).await.unwrap()
    }
}

fn credentials(email: &str, password: &str) -> Credentials {
    Credentials {
        email: email.to_owned(),
        password: SecretString::from(password),
    }
}

#[tokio::test]
async fn an_old_hash_is_upgraded_at_the_next_successful_login() {
    let fixture = open().await;
    let user = fixture
        .docent
        .auth()
        .register(credentials("old@example.com", PASSWORD), &Requester::Local)
        .await
        .unwrap();
    let weak = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    assert_eq!(user.email, "old@example.com");
    let testing = fixture.docent.testing();
    testing
        .set_password_hash("old@example.com", Some(weak.clone()))
        .await
        .unwrap();

    // A wrong password does not upgrade anything.
    assert!(fixture
        .docent
        .auth()
        .login(credentials("old@example.com", "Not-The-Password-At-All"))
        .await
        .is_err());
    let stored = testing
        .password_hash("old@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, weak);

    fixture
        .docent
        .auth()
        .login(credentials("old@example.com", PASSWORD))
        .await
        .unwrap();
    let stored = testing
        .password_hash("old@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    // And the upgraded hash still verifies.
    fixture
        .docent
        .auth()
        .login(credentials("old@example.com", PASSWORD))
        .await
        .unwrap();
}

#[tokio::test]
async fn last_seen_is_written_at_most_once_a_minute() {
    let fixture = open().await;
    let auth = fixture.docent.auth();
    let session = fixture.signed_in("seen@example.com").await;
    let testing = fixture.docent.testing();
    let last_seen = || async {
        testing
            .session_last_seen(&session.token)
            .await
            .unwrap()
            .unwrap()
    };
    let first = last_seen().await;
    for _ in 0..5 {
        fixture.clock.advance(Duration::from_secs(10));
        auth.authenticate(&session.token).await.unwrap();
    }
    assert_eq!(last_seen().await, first, "50 s later: not written yet");
    fixture.clock.advance(Duration::from_secs(10));
    auth.authenticate(&session.token).await.unwrap();
    assert_eq!(
        last_seen().await,
        first + Duration::from_secs(60),
        "60 s later: written"
    );
}

#[tokio::test]
async fn cleanup_removes_expired_sessions_and_stale_throttle_records() {
    let fixture = open().await;
    let auth = fixture.docent.auth();
    let session = fixture.signed_in("tidy@example.com").await;
    for _ in 0..3 {
        let _ = auth
            .login(credentials("tidy@example.com", "Not-The-Password-At-All"))
            .await;
    }
    let report = fixture.docent.cleanup_expired().await.unwrap();
    assert_eq!(
        (report.sessions, report.login_failures),
        (0, 0),
        "nothing is old yet"
    );

    fixture.clock.advance(Duration::from_secs(16 * 60));
    let report = fixture.docent.cleanup_expired().await.unwrap();
    assert_eq!((report.sessions, report.login_failures), (0, 3));

    fixture.clock.advance(Duration::from_secs(24 * 3600));
    let report = fixture.docent.cleanup_expired().await.unwrap();
    assert_eq!(report.sessions, 1);
    let err = auth.authenticate(&session.token).await.unwrap_err();
    assert_eq!(err.code(), "unauthenticated", "the row is gone");
}

#[tokio::test]
async fn passwordless_accounts_cannot_sign_in_with_a_password() {
    let fixture = open().await;
    let user = fixture
        .docent
        .auth()
        .register(
            credentials("nopass@example.com", PASSWORD),
            &Requester::Local,
        )
        .await
        .unwrap();
    assert_eq!(user.email, "nopass@example.com");
    fixture
        .docent
        .testing()
        .set_password_hash("nopass@example.com", None)
        .await
        .unwrap();
    let err = fixture
        .docent
        .auth()
        .login(credentials("nopass@example.com", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_credentials");
}

#[tokio::test]
async fn a_forged_token_of_the_right_shape_is_unauthenticated() {
    let fixture = open().await;
    let forged = SecretToken::generate().unwrap();
    let err = fixture
        .docent
        .auth()
        .authenticate(&forged)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthenticated");
}
