//! The commands the UI invokes. Each is one core call with its error mapped to the same
//! `{code, message}` the HTTP API sends. Names are prefixed by area and listed in `build.rs`.

use docent_core::{
    Accepted, Credentials, CurrentUser, Docent, EmailRequest, Error, ErrorBody, NewSession,
    PasswordReset, RegisteredUser, SecretToken, VerifyLogin,
};
use serde::Serialize;
use tauri::State;
use tokio::sync::Mutex;

/// The shell's state: the core, and the session token, which never reaches JavaScript.
pub struct Shell {
    docent: Docent,
    session: Mutex<Option<SecretToken>>,
}

impl Shell {
    /// A shell over an open core, signed out.
    pub fn new(docent: Docent) -> Self {
        Self {
            docent,
            session: Mutex::new(None),
        }
    }

    /// Holds a new session; the UI learns who and until when.
    async fn keep(&self, session: NewSession) -> SignedIn {
        let signed_in = SignedIn {
            user_id: session.user_id,
            expires_at: session.expires_at,
        };
        *self.session.lock().await = Some(session.token);
        signed_in
    }

    /// The user of the held session; a session that ended is forgotten.
    async fn current_user(&self) -> Result<CurrentUser, Error> {
        let mut session = self.session.lock().await;
        let token = session.as_ref().ok_or(Error::Unauthenticated)?;
        let user = self.docent.auth().authenticate(token).await;
        if matches!(user, Err(Error::Unauthenticated | Error::SessionExpired)) {
            *session = None;
        }
        user
    }
}

/// What the UI learns of a new session (the token stays in the shell).
#[derive(Debug, Serialize)]
pub struct SignedIn {
    /// Who signed in.
    pub user_id: uuid::Uuid,
    /// When the session ends at the latest.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
}

fn ipc(err: Error) -> ErrorBody {
    if let Error::Internal(source) = &err {
        tracing::error!(error = ?source, "internal error");
    }
    err.body()
}

/// Creates an account.
#[tauri::command]
pub async fn auth_register(
    shell: State<'_, Shell>,
    credentials: Credentials,
) -> Result<RegisteredUser, ErrorBody> {
    shell.docent.auth().register(credentials).await.map_err(ipc)
}

/// Signs in; the shell keeps the session.
#[tauri::command]
pub async fn auth_login(
    shell: State<'_, Shell>,
    credentials: Credentials,
) -> Result<SignedIn, ErrorBody> {
    let session = shell.docent.auth().login(credentials).await.map_err(ipc)?;
    Ok(shell.keep(session).await)
}

/// Ends this session.
#[tauri::command]
pub async fn auth_logout(shell: State<'_, Shell>) -> Result<(), ErrorBody> {
    let user = shell.current_user().await.map_err(ipc)?;
    shell.docent.auth().logout(&user).await.map_err(ipc)?;
    *shell.session.lock().await = None;
    Ok(())
}

/// Ends every session of the signed-in user.
#[tauri::command]
pub async fn auth_logout_all(shell: State<'_, Shell>) -> Result<(), ErrorBody> {
    let user = shell.current_user().await.map_err(ipc)?;
    shell.docent.auth().logout_all(&user).await.map_err(ipc)?;
    *shell.session.lock().await = None;
    Ok(())
}

/// The signed-in user, or `null`.
#[tauri::command]
pub async fn auth_current_user(shell: State<'_, Shell>) -> Result<Option<CurrentUser>, ErrorBody> {
    let user = match shell.current_user().await {
        Ok(user) => Some(user),
        Err(Error::Unauthenticated | Error::SessionExpired) => None,
        Err(err) => return Err(ipc(err)),
    };
    tracing::debug!(signed_in = user.is_some(), "session checked");
    Ok(user)
}

/// Emails a password-reset link.
#[tauri::command]
pub async fn auth_request_reset(
    shell: State<'_, Shell>,
    request: EmailRequest,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .request_password_reset(request)
        .await
        .map_err(ipc)
}

/// Sets a new password with a reset link's token.
#[tauri::command]
pub async fn auth_reset_password(
    shell: State<'_, Shell>,
    request: PasswordReset,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .reset_password(request)
        .await
        .map_err(ipc)
}

/// Emails a sign-in link and code.
#[tauri::command]
pub async fn auth_request_login(
    shell: State<'_, Shell>,
    request: EmailRequest,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .request_login(request)
        .await
        .map_err(ipc)
}

/// Signs in with a sign-in link's token or an emailed code; the shell keeps the session.
#[tauri::command]
pub async fn auth_verify_login(
    shell: State<'_, Shell>,
    request: VerifyLogin,
) -> Result<SignedIn, ErrorBody> {
    let session = shell
        .docent
        .auth()
        .verify_login(request)
        .await
        .map_err(ipc)?;
    Ok(shell.keep(session).await)
}
