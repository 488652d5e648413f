//! The desktop app's `docent://` links: built into sign-in emails, and turned back into the
//! page they open when the OS hands one to the app. Only the pages that take an emailed token
//! are reachable this way, so a link from elsewhere cannot steer the app anywhere else.

/// The URL scheme the desktop app registers with the OS.
pub const SCHEME: &str = "docent";

/// The pages a `docent://` link may open.
const PAGES: [&str; 3] = ["login/verify", "reset-password", "verify-email"];

/// The `docent://` link to `page` (one of the emailed-token pages) with `token`.
pub(crate) fn app_link(page: &str, token: &str) -> String {
    debug_assert!(PAGES.contains(&page));
    format!("{SCHEME}://{page}?token={token}")
}

/// The app page a `docent://` link opens, e.g. `docent://login/verify?token=abc` ->
/// `/login/verify?token=abc`; `None` for anything that is not such a link.
pub fn route_of_app_link(url: &str) -> Option<String> {
    let rest = url.trim().strip_prefix(SCHEME)?.strip_prefix("://")?;
    let (page, query) = rest.split_once('?')?;
    let page = page.trim_end_matches('/');
    let token = query.strip_prefix("token=")?;
    let token_ok = !token.is_empty()
        && token.len() <= 128
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (PAGES.contains(&page) && token_ok).then(|| format!("/{page}?token={token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_and_reset_links_open_their_pages() {
        let link = app_link("login/verify", "abc_DEF-123");
        assert_eq!(link, "docent://login/verify?token=abc_DEF-123");
        assert_eq!(
            route_of_app_link(&link).as_deref(),
            Some("/login/verify?token=abc_DEF-123")
        );
        assert_eq!(
            route_of_app_link("docent://reset-password/?token=t0k").as_deref(),
            Some("/reset-password?token=t0k")
        );
        assert_eq!(
            route_of_app_link("docent://verify-email?token=t0k").as_deref(),
            Some("/verify-email?token=t0k")
        );
    }

    #[test]
    fn anything_else_opens_nothing() {
        for url in [
            "docent://app/workspaces",
            "docent://login/verify",
            "docent://login/verify?token=",
            "docent://login/verify?token=a&next=https://evil.example",
            "docent://login/verify?token=<script>",
            "https://login/verify?token=abc",
            "docent:login/verify?token=abc",
            "docent://../login/verify?token=abc",
        ] {
            assert_eq!(route_of_app_link(url), None, "{url}");
        }
    }
}
