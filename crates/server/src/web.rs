//! What a browser may do: which `Host` values are ours (DNS rebinding), which `Origin`s may
//! change state (CSRF), and whether cookies are `Secure`. Derived once from the bound address
//! and the public URL.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::AppState;

/// The browser-facing policy of one running server.
#[derive(Debug, Clone)]
pub struct WebPolicy {
    /// `Host` values accepted; `None` accepts any (the server is not on loopback).
    allowed_hosts: Option<Vec<String>>,
    /// The public URL's origin, always accepted as `Origin`.
    public_origin: Option<String>,
    /// Whether the session cookie is marked `Secure`.
    pub secure_cookies: bool,
}

impl WebPolicy {
    /// The policy for a server bound at `bound` and reached at `public_url`.
    pub fn new(bound: SocketAddr, public_url: Option<&str>) -> Self {
        let public_origin = public_url.map(origin_of_url);
        let public_authority = public_origin
            .as_deref()
            .and_then(|origin| origin.split_once("://"))
            .map(|(_, authority)| authority.to_owned());
        let loopback = bound.ip().is_loopback();
        let allowed_hosts = loopback.then(|| {
            let port = bound.port();
            let mut hosts = vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ];
            if port == 80 {
                hosts.extend(["127.0.0.1", "localhost", "[::1]"].map(String::from));
            }
            hosts.extend(public_authority);
            hosts
        });
        let secure_cookies = match public_url {
            Some(url) => url.starts_with("https://"),
            None => !loopback,
        };
        Self {
            allowed_hosts,
            public_origin,
            secure_cookies,
        }
    }

    fn host_allowed(&self, host: Option<&str>) -> bool {
        match (&self.allowed_hosts, host) {
            (None, _) => true,
            (Some(allowed), Some(host)) => allowed.iter().any(|h| h.eq_ignore_ascii_case(host)),
            (Some(_), None) => false,
        }
    }

    /// An `Origin` may change state if it is the public URL's, or the very host the request
    /// was sent to (which, on loopback, has already been checked to be ours).
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        if self
            .public_origin
            .as_deref()
            .is_some_and(|public| public.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// The host a request was sent to.
fn request_host(request: &Request) -> Option<String> {
    request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
}

/// The origin a browser says a request comes from: `Origin`, else `Referer`'s origin.
pub fn request_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        return Some(origin.to_owned());
    }
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .map(origin_of_url)
}

/// Whether a method only reads.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses requests to hosts that are not ours, and state changes from foreign origins.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request_host(&request);
    if !state.web.host_allowed(host.as_deref()) {
        return ApiError::http(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "This server only answers requests addressed to it by its own address.",
        )
        .into_response();
    }
    if !is_safe(request.method()) {
        if let Some(origin) = request_origin(request.headers()) {
            if !state.web.origin_allowed(&origin, host.as_deref()) {
                return ApiError::http(
                    StatusCode::FORBIDDEN,
                    "origin_not_allowed",
                    "Requests from other websites may not change anything here.",
                )
                .into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_accepts_its_own_names_only() {
        let policy = WebPolicy::new("127.0.0.1:8787".parse().unwrap(), None);
        assert!(policy.host_allowed(Some("127.0.0.1:8787")));
        assert!(policy.host_allowed(Some("LOCALHOST:8787")));
        assert!(!policy.host_allowed(Some("evil.example:8787")));
        assert!(!policy.host_allowed(Some("127.0.0.1:9999")));
        assert!(!policy.host_allowed(None));
        assert!(!policy.secure_cookies, "plain loopback http");
    }

    #[test]
    fn origins_must_match_the_host_or_the_public_url() {
        let policy = WebPolicy::new(
            "127.0.0.1:8787".parse().unwrap(),
            Some("https://docent.example.com/app"),
        );
        assert!(policy.secure_cookies);
        assert!(policy.host_allowed(Some("docent.example.com")));
        assert!(policy.origin_allowed("https://docent.example.com", Some("127.0.0.1:8787")));
        assert!(policy.origin_allowed("http://127.0.0.1:8787", Some("127.0.0.1:8787")));
        assert!(!policy.origin_allowed("http://evil.example", Some("127.0.0.1:8787")));
        assert!(!policy.origin_allowed("null", Some("127.0.0.1:8787")));
    }

    #[test]
    fn non_loopback_servers_use_secure_cookies() {
        let policy = WebPolicy::new("0.0.0.0:8787".parse().unwrap(), None);
        assert!(policy.secure_cookies);
        assert!(policy.host_allowed(Some("anything:8787")));
    }
}
