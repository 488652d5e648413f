//! docent-server: Docent's core over HTTP (axum), and the web UI.
//!
//! Routes translate between HTTP and [`docent_core`]; they decide nothing. Errors leave as
//! `{"error": {"code", "message"}}` with the status of their [`docent_core::ErrorKind`].

#![deny(missing_docs)]

pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;
pub mod serve;
pub mod settings;
pub mod ui;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Request};
use axum::routing::get;
use axum::{Json, Router};
use docent_core::Docent;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::web::WebPolicy;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The core.
    pub docent: Docent,
    /// The browser-facing policy.
    pub web: Arc<WebPolicy>,
    /// The built UI, if any.
    pub ui_dir: Option<Arc<PathBuf>>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Docent", description = "Docent's local server: accounts, sessions, workspaces, conversations and chat."),
    modifiers(&SecuritySchemes),
    components(schemas(docent_core::HistoryScope)),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "workspaces", description = "Workspaces"),
        (name = "conversations", description = "Conversations"),
        (name = "chat", description = "Questions, answers and history"),
        (name = "meta", description = "The server itself")
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
        );
    }
}

/// The API routes and their OpenAPI document, from the same annotations.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    // Uploads stream each file to disk, so the JSON body limit does not apply to them; the
    // core refuses a file past DOCENT_MAX_DOCUMENT_BYTES as it arrives.
    let uploads = OpenApiRouter::new()
        .routes(routes!(routes::documents::upload))
        .layer(DefaultBodyLimit::disable());
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .routes(routes!(routes::health::health))
        .routes(routes!(routes::auth::register))
        .routes(routes!(routes::auth::login))
        .routes(routes!(routes::auth::logout))
        .routes(routes!(routes::auth::logout_all))
        .routes(routes!(routes::auth::validate))
        .routes(routes!(routes::auth::reset_request))
        .routes(routes!(routes::auth::reset_password))
        .routes(routes!(routes::auth::request_login))
        .routes(routes!(routes::auth::verify_login))
        .routes(routes!(routes::auth::request_verification))
        .routes(routes!(routes::auth::verify_email))
        .routes(routes!(
            routes::workspaces::list,
            routes::workspaces::create
        ))
        .routes(routes!(
            routes::workspaces::get,
            routes::workspaces::update,
            routes::workspaces::delete
        ))
        .routes(routes!(
            routes::workspaces::conversations,
            routes::workspaces::create_conversation
        ))
        .routes(routes!(
            routes::chat::get_conversation,
            routes::chat::update_conversation,
            routes::chat::delete_conversation
        ))
        .routes(routes!(routes::chat::export))
        .routes(routes!(routes::chat::send))
        .routes(routes!(routes::chat::stop))
        .routes(routes!(routes::chat::history))
        .routes(routes!(routes::chat::clear))
        .routes(routes!(routes::chat::search))
        .routes(routes!(routes::documents::list))
        .routes(routes!(routes::documents::get, routes::documents::delete))
        .routes(routes!(routes::documents::file))
        .routes(routes!(routes::documents::search))
        .routes(routes!(routes::settings::get, routes::settings::update))
        .routes(routes!(routes::settings::status))
        .split_for_parts();
    openapi::CompleteContract.modify(&mut openapi);
    (router, openapi)
}

/// The OpenAPI document of this server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole application for `state`.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    api.route(
        "/openapi.json",
        get(move || {
            let openapi = openapi.clone();
            async move { Json(openapi.as_ref().clone()) }
        }),
    )
    .fallback(ui::fallback)
    .method_not_allowed_fallback(|| async {
        ApiError::http(
            docent_core::ErrorCode::MethodNotAllowed,
            "This address does not accept that method.",
        )
    })
    .layer(axum::middleware::from_fn_with_state(state.clone(), web::guard))
    .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::REFERRER_POLICY,
        // Links carry one-time tokens; never leak them to other sites.
        HeaderValue::from_static("no-referrer"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    ))
    .layer(CatchPanicLayer::custom(|_| {
        docent_core::Error::internal(anyhow::anyhow!("a request handler panicked")).into_api_response()
    }))
    .layer(
        // Spans name the method and path only: query strings can carry one-time tokens.
        TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }),
    )
    .with_state(state)
}

trait IntoApiResponse {
    fn into_api_response(self) -> axum::response::Response;
}

impl IntoApiResponse for docent_core::Error {
    fn into_api_response(self) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        ApiError::from(self).into_response()
    }
}

/// A server bound to its address, ready to run.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Binds `addr`.
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
        TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr} (is another server using it? set --addr or DOCENT_ADDR)"
            )
        })
    }

    /// Serves `docent` and the web UI (from `ui_dir`, else found by [`ui::locate`]) on a
    /// listener already bound. The core's `local_url` should be the listener's address:
    /// emailed links are built from it when no public URL is set.
    pub fn on(
        listener: TcpListener,
        docent: Docent,
        ui_dir: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let settings = docent.settings().clone();
        let bound = listener.local_addr()?;
        let web =
            WebPolicy::new(bound, settings.public_url.as_deref()).map_err(anyhow::Error::msg)?;
        if !bound.ip().is_loopback() && !web.secure_cookies {
            tracing::warn!(
                %bound,
                "listening beyond loopback with a plain http:// DOCENT_PUBLIC_URL: passwords and sessions cross the network unencrypted; put Docent behind a TLS proxy and give it the https:// URL"
            );
        }
        let ui_dir = ui::locate(ui_dir).map(Arc::new);
        match &ui_dir {
            Some(dir) => tracing::info!(dir = %dir.display(), "serving the web UI"),
            None => tracing::warn!("no built web UI found; the API is served alone"),
        }
        Ok(Self {
            listener,
            state: AppState {
                docent,
                web: Arc::new(web),
                ui_dir,
            },
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes the requests under way.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let cleanup = self.state.docent.spawn_cleanup();
        let mail = self.state.docent.spawn_mail_worker();
        let indexer = self.state.docent.spawn_indexer();
        let result = serve::serve(self.listener, app(self.state), shutdown).await;
        indexer.stop();
        cleanup.abort();
        mail.stop().await;
        result
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests under way");
}
