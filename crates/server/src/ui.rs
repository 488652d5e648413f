//! The built web UI, served at `/` with index.html for client-side routes.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;
use crate::AppState;

/// Path prefixes that belong to the API: unknown paths under them are JSON 404s, never the UI.
const API_PREFIXES: &[&str] = &[
    "/auth/",
    "/health",
    "/openapi.json",
    "/workspaces",
    "/conversations",
    "/chat/",
    "/history",
];

/// Finds the UI: the configured folder, else `./ui/dist`, else `../share/docent/ui` beside the
/// executable.
pub fn locate(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = configured {
        return Some(dir.to_owned());
    }
    let mut candidates = vec![PathBuf::from("ui/dist")];
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned))
    {
        candidates.push(exe_dir.join("../share/docent/ui"));
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("index.html").is_file())
}

/// Serves the UI for GET/HEAD outside the API; everything else is a JSON 404.
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if !is_read || API_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
        return ApiError::no_route().into_response();
    }
    let Some(dir) = state.ui_dir.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            Html(
                "<!doctype html><title>Docent</title><p>The web UI is not built. Run \
                 <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, or set \
                 DOCENT_UI_DIR.</p>",
            ),
        )
            .into_response();
    };
    // Client-side routes get index.html; a missing file (a name with an extension) is a 404,
    // never the page served in place of a script or stylesheet.
    let is_file = path
        .rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'));
    let served = if is_file {
        ServeDir::new(dir).oneshot(request).await
    } else {
        ServeDir::new(dir)
            .fallback(ServeFile::new(dir.join("index.html")))
            .oneshot(request)
            .await
    };
    match served {
        Ok(response) => {
            let is_html = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
            let mut response = response.map(Body::new);
            if is_html {
                // index.html names the hashed assets of the current build: always revalidate.
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            }
            response
        }
        Err(never) => match never {},
    }
}
