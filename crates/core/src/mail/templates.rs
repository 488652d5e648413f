//! The emails Docent sends: a subject, a plain-text part and an HTML part each.

use std::time::Duration;

use crate::domain::LoginCode;

/// An email ready for the outbox.
#[derive(Debug, Clone)]
pub(crate) struct RenderedEmail {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

/// "1 hour", "15 minutes", "2 days".
pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs.is_multiple_of(86_400) && secs >= 86_400 {
        (secs / 86_400, "day")
    } else if secs.is_multiple_of(3600) && secs >= 3600 {
        (secs / 3600, "hour")
    } else if secs >= 60 {
        (secs.div_ceil(60), "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1d2433;max-width:560px;margin:24px auto;padding:0 16px\">\
         {body}<p style=\"color:#5b6577;font-size:13px\">Docent · you get this email because someone entered this address in Docent. \
         If it was not you, ignore it: nothing changes.</p></body></html>",
        escape(title)
    )
}

fn button(href: &str, label: &str) -> String {
    format!(
        "<p><a href=\"{}\" style=\"display:inline-block;background:#2f5f8a;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none\">{}</a></p>",
        escape(href),
        escape(label)
    )
}

/// The password-reset email.
pub(crate) fn password_reset(link: &str, ttl: Duration) -> RenderedEmail {
    let ttl = human_duration(ttl);
    RenderedEmail {
        subject: "Reset your Docent password".to_owned(),
        text: format!(
            "Someone asked to reset the password of your Docent account.\n\n\
             To choose a new password, open this link (it expires in {ttl} and works once):\n\n{link}\n\n\
             If you did not ask for this, ignore this email: your password stays as it is.\n"
        ),
        html: html_page(
            "Reset your Docent password",
            &format!(
                "<h1 style=\"font-size:20px\">Reset your Docent password</h1>\
                 <p>Someone asked to reset the password of your Docent account. To choose a new password, use this button. \
                 The link expires in {ttl} and works once.</p>{}\
                 <p style=\"font-size:13px;word-break:break-all\">Or open: {}</p>\
                 <p>If you did not ask for this, ignore this email: your password stays as it is.</p>",
                button(link, "Choose a new password"),
                escape(link)
            ),
        ),
    }
}

/// What an email with a one-time link (web, and the desktop app's when it sent it) and a code
/// says around its own words: the app link, the code to type `where`, and when both expire.
struct LinkAndCode {
    code: String,
    app_text: String,
    app_html: String,
    /// The code and the expiry, in the text part.
    code_text: String,
    /// The same, in the HTML part.
    code_html: String,
}

impl LinkAndCode {
    fn new(
        app_link: Option<&str>,
        app_label: &str,
        code: &LoginCode,
        ttl: Duration,
        place: &str,
    ) -> Self {
        let ttl = human_duration(ttl);
        let code = code.display();
        Self {
            app_text: app_link
                .map(|link| format!("\nOr open it in the Docent desktop app:\n\n{link}\n"))
                .unwrap_or_default(),
            app_html: app_link
                .map(|link| button(link, app_label))
                .unwrap_or_default(),
            code_text: format!(
                "Or type this code {place}:\n\n    {code}\n\n\
                 The link and the code expire in {ttl} and work once.\n"
            ),
            code_html: format!(
                "<p>Or type this code {place}:</p>\
                 <p style=\"font-size:28px;letter-spacing:4px;font-family:monospace\"><strong>{}</strong></p>\
                 <p>The link and the code expire in {ttl} and work once.</p>",
                escape(&code)
            ),
            code,
        }
    }
}

/// The passwordless sign-in email: a link (web, and the desktop app's when it sent it) and a code.
pub(crate) fn sign_in(
    web_link: &str,
    app_link: Option<&str>,
    code: &LoginCode,
    ttl: Duration,
) -> RenderedEmail {
    let parts = LinkAndCode::new(
        app_link,
        "Sign in with the desktop app",
        code,
        ttl,
        "where you asked to sign in",
    );
    RenderedEmail {
        subject: format!("Your Docent sign-in code: {}", parts.code),
        text: format!(
            "To sign in to Docent, open this link:\n\n{web_link}\n{}\n{}\
             If you did not ask to sign in, ignore this email.\n",
            parts.app_text, parts.code_text
        ),
        html: html_page(
            "Sign in to Docent",
            &format!(
                "<h1 style=\"font-size:20px\">Sign in to Docent</h1>{}{}{}\
                 <p style=\"font-size:13px;word-break:break-all\">Link: {}</p>",
                button(web_link, "Sign in to Docent"),
                parts.app_html,
                parts.code_html,
                escape(web_link)
            ),
        ),
    }
}

/// The email that confirms the address of an account registered with a password: a link (web,
/// and the desktop app's when it sent it) and a code, both asking for the account's password.
pub(crate) fn confirm_address(
    web_link: &str,
    app_link: Option<&str>,
    code: &LoginCode,
    ttl: Duration,
) -> RenderedEmail {
    let parts = LinkAndCode::new(
        app_link,
        "Confirm in the desktop app",
        code,
        ttl,
        "where you signed up",
    );
    RenderedEmail {
        subject: format!("Confirm your email for Docent: {}", parts.code),
        text: format!(
            "Someone created a Docent account with this address and a password.\n\n\
             If it was you, confirm the address with this link (you will be asked for that password):\n\n{web_link}\n{}\n{}\
             If it was not you, ignore this email: without the password, nobody can confirm the account, \
             and signing in to Docent with an emailed link removes a password set by someone else.\n",
            parts.app_text, parts.code_text
        ),
        html: html_page(
            "Confirm your email for Docent",
            &format!(
                "<h1 style=\"font-size:20px\">Confirm your email for Docent</h1>\
                 <p>Someone created a Docent account with this address and a password. If it was you, confirm \
                 the address (you will be asked for that password).</p>{}{}{}\
                 <p>If it was not you, ignore this email: without the password, nobody can confirm the account.</p>\
                 <p style=\"font-size:13px;word-break:break-all\">Link: {}</p>",
                button(web_link, "Confirm my email"),
                parts.app_html,
                parts.code_html,
                escape(web_link)
            ),
        ),
    }
}

/// The notice that a password set before the address was proven has been removed.
pub(crate) fn password_removed(forgot_link: &str) -> RenderedEmail {
    RenderedEmail {
        subject: "A password was removed from your Docent account".to_owned(),
        text: format!(
            "You just signed in to Docent with an emailed link or code, which proved that this address is yours.\n\n\
             The account already had a password, set before anyone had proven the address. Since it may not have been \
             you who set it, it was removed, and every earlier session of the account was signed out.\n\n\
             To sign in with a password again, choose one here:\n\n{forgot_link}\n"
        ),
        html: html_page(
            "A password was removed from your Docent account",
            &format!(
                "<h1 style=\"font-size:20px\">A password was removed from your Docent account</h1>\
                 <p>You just signed in with an emailed link or code, which proved that this address is yours.</p>\
                 <p>The account already had a password, set before anyone had proven the address. Since it may not have \
                 been you who set it, it was removed, and every earlier session of the account was signed out.</p>{}",
                button(forgot_link, "Choose a password")
            ),
        ),
    }
}

/// The notice that a password was changed.
pub(crate) fn password_changed(forgot_link: &str) -> RenderedEmail {
    RenderedEmail {
        subject: "Your Docent password was changed".to_owned(),
        text: format!(
            "The password of your Docent account was just changed, and every session was signed out.\n\n\
             If that was you, there is nothing to do.\n\
             If it was not, reset your password now and tell your administrator:\n\n{forgot_link}\n"
        ),
        html: html_page(
            "Your Docent password was changed",
            &format!(
                "<h1 style=\"font-size:20px\">Your Docent password was changed</h1>\
                 <p>The password of your Docent account was just changed, and every session was signed out.</p>\
                 <p>If that was you, there is nothing to do. If it was not, reset your password now and tell your administrator.</p>{}",
                button(forgot_link, "Reset my password")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(3600)), "1 hour");
        assert_eq!(human_duration(Duration::from_secs(900)), "15 minutes");
        assert_eq!(human_duration(Duration::from_secs(2 * 86_400)), "2 days");
        assert_eq!(human_duration(Duration::from_secs(90)), "2 minutes");
    }

    #[test]
    fn emails_carry_their_link_expiry_and_both_parts() {
        let email = password_reset(
            "https://d.example/reset-password?token=abc",
            Duration::from_secs(3600),
        );
        assert!(email
            .text
            .contains("https://d.example/reset-password?token=abc"));
        assert!(email.text.contains("1 hour"));
        assert!(email
            .html
            .contains("href=\"https://d.example/reset-password?token=abc\""));
        let code = LoginCode::parse("K7QM3XWP").unwrap();
        let email = sign_in(
            "https://d.example/login/verify?token=t",
            Some("docent://login/verify?token=t"),
            &code,
            Duration::from_secs(900),
        );
        assert!(email.subject.contains("K7QM-3XWP"));
        assert!(email.text.contains("docent://login/verify?token=t"));
        assert!(email.html.contains("15 minutes"));
    }

    #[test]
    fn html_is_escaped() {
        let email = password_changed("https://d.example/forgot-password?a=1&b=<2>");
        assert!(email.html.contains("a=1&amp;b=&lt;2&gt;"));
    }
}
