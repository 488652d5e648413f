//! What a browser may do: which `Host` values are ours (DNS rebinding), which `Origin`s may
//! change state (CSRF), and whether cookies are `Secure`. Derived once from the bound address
//! and the public URL.
//!
//! A `Host` is ours when it is this machine's loopback name with the bound port (only a page
//! the person opened here can send those), or the public URL's host. Bound beyond loopback,
//! the public URL is required: it is the only way to tell our name from a rebinding
//! attacker's. An `Origin` may change state when it is the public URL's origin, scheme and
//! port included, or this server's own loopback origin (`http://127.0.0.1:<port>`...).

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use docent_core::ErrorCode;

use crate::error::ApiError;
use crate::AppState;

/// The browser-facing policy of one running server.
#[derive(Debug, Clone)]
pub struct WebPolicy {
    /// `Host` values accepted, lower-case.
    allowed_hosts: Vec<String>,
    /// `Origin`s that may change state, normalised (see [`normalise_origin`]).
    allowed_origins: Vec<String>,
    /// Whether the session cookie is marked `Secure`.
    pub secure_cookies: bool,
}

impl WebPolicy {
    /// The policy for a server bound at `bound` and reached at `public_url`; bound beyond
    /// loopback without a public URL, why that cannot be.
    pub fn new(bound: SocketAddr, public_url: Option<&str>) -> Result<Self, String> {
        let port = bound.port();
        let loopback_names = ["127.0.0.1", "localhost", "[::1]"];
        let mut allowed_hosts: Vec<String> = loopback_names
            .iter()
            .map(|name| format!("{name}:{port}"))
            .collect();
        if port == 80 {
            allowed_hosts.extend(loopback_names.map(String::from));
        }
        let mut allowed_origins: Vec<String> = loopback_names
            .iter()
            .map(|name| normalise_origin(&format!("http://{name}:{port}")))
            .collect();
        match public_url {
            Some(url) => {
                let origin = normalise_origin(&origin_of_url(url));
                let (scheme, authority) = origin.split_once("://").unwrap_or(("http", &origin));
                let default_port = if scheme == "https" { 443 } else { 80 };
                allowed_hosts.push(authority.to_owned());
                // Without a port, the URL means its scheme's, which a client may also write.
                let has_port = match authority.strip_prefix('[') {
                    Some(ipv6) => ipv6.contains("]:"),
                    None => authority.contains(':'),
                };
                if !has_port {
                    allowed_hosts.push(format!("{authority}:{default_port}"));
                }
                allowed_origins.push(origin);
            }
            None if !bound.ip().is_loopback() => {
                return Err(format!(
                    "docent-server is set to listen on {bound}, beyond this machine, but DOCENT_PUBLIC_URL is not set. \
                     Set it to the address people use (e.g. https://docent.example.com): requests for any other \
                     host name are refused, which is what keeps a DNS-rebinding web page out."
                ));
            }
            None => {}
        }
        let secure_cookies = public_url.is_some_and(|url| {
            url.get(..8)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        });
        Ok(Self {
            allowed_hosts,
            allowed_origins,
            secure_cookies,
        })
    }

    fn host_allowed(&self, host: Option<&str>) -> bool {
        host.is_some_and(|host| {
            let host = host.to_ascii_lowercase();
            self.allowed_hosts.contains(&host)
        })
    }

    /// Whether a state change may come from a page of `origin`.
    fn origin_allowed(&self, origin: &str) -> bool {
        let origin = normalise_origin(origin);
        self.allowed_origins.contains(&origin)
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

/// An origin in one spelling: lower-case, without the scheme's default port (as browsers send
/// it). Anything that is not `http(s)://host[:port]` stays as it is, and matches nothing ours.
fn normalise_origin(origin: &str) -> String {
    let origin = origin.trim().to_ascii_lowercase();
    for (scheme, default_port) in [("http://", ":80"), ("https://", ":443")] {
        if let Some(authority) = origin.strip_prefix(scheme) {
            let authority = authority.strip_suffix(default_port).unwrap_or(authority);
            return format!("{scheme}{authority}");
        }
    }
    origin
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
            ErrorCode::HostNotAllowed,
            "This server only answers requests addressed to it by its own address.",
        )
        .into_response();
    }
    if !is_safe(request.method()) {
        if let Some(origin) = request_origin(request.headers()) {
            if !state.web.origin_allowed(&origin) {
                return ApiError::http(
                    ErrorCode::OriginNotAllowed,
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
        let policy = WebPolicy::new("127.0.0.1:8787".parse().unwrap(), None).unwrap();
        assert!(policy.host_allowed(Some("127.0.0.1:8787")));
        assert!(policy.host_allowed(Some("LOCALHOST:8787")));
        assert!(!policy.host_allowed(Some("evil.example:8787")));
        assert!(!policy.host_allowed(Some("127.0.0.1:9999")));
        assert!(!policy.host_allowed(None));
        assert!(!policy.secure_cookies, "plain loopback http");
    }

    #[test]
    fn origins_must_match_scheme_host_and_port() {
        let policy = WebPolicy::new(
            "127.0.0.1:8787".parse().unwrap(),
            Some("https://docent.example.com/app"),
        )
        .unwrap();
        assert!(policy.secure_cookies);
        assert!(policy.host_allowed(Some("docent.example.com")));
        assert!(policy.host_allowed(Some("docent.example.com:443")));
        assert!(policy.origin_allowed("https://docent.example.com"));
        assert!(policy.origin_allowed("https://docent.example.com:443"));
        assert!(policy.origin_allowed("http://127.0.0.1:8787"));
        assert!(
            !policy.origin_allowed("http://docent.example.com"),
            "scheme"
        );
        assert!(
            !policy.origin_allowed("https://docent.example.com:8443"),
            "port"
        );
        assert!(!policy.origin_allowed("https://127.0.0.1:8787"), "scheme");
        assert!(!policy.origin_allowed("http://evil.example"));
        assert!(!policy.origin_allowed("null"));
    }

    #[test]
    fn beyond_loopback_only_the_public_url_is_ours() {
        let refused = WebPolicy::new("0.0.0.0:8787".parse().unwrap(), None).unwrap_err();
        assert!(refused.contains("DOCENT_PUBLIC_URL"), "{refused}");
        let policy = WebPolicy::new(
            "0.0.0.0:8787".parse().unwrap(),
            Some("https://docent.example.com"),
        )
        .unwrap();
        assert!(policy.secure_cookies);
        assert!(policy.host_allowed(Some("docent.example.com")));
        assert!(!policy.host_allowed(Some("rebound.attacker.example:8787")));
        assert!(!policy.host_allowed(Some("192.168.1.20:8787")));
        assert!(!policy.origin_allowed("http://rebound.attacker.example:8787"));
    }
}
