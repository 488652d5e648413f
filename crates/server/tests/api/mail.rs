//! A real SMTP server for the tests: aiosmtpd (from PyPI) in its own process, storing what it
//! receives in a Maildir that the tests read.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has aiosmtpd: `DOCENT_TEST_PYTHON`, else the venv `scripts/test` makes.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("DOCENT_TEST_PYTHON") {
        return python.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python");
    assert!(
        venv.exists(),
        "the email tests need aiosmtpd: run `bash scripts/test` once (it creates target/test-venv), \
         or set DOCENT_TEST_PYTHON to a python with aiosmtpd installed"
    );
    venv
}

/// A running SMTP server.
pub struct MailServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Option<Child>,
    /// The user name and password it requires (`AUTH PLAIN` or `LOGIN`), if any.
    login: Option<(String, String)>,
}

/// aiosmtpd's command line has no authentication, so this small program starts its controller
/// with an authenticator that accepts one user (over plain SMTP on loopback, for the test).
const AUTH_SERVER: &str = r#"
import signal, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
host, port, maildir, user, password = sys.argv[1:]
def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok)
controller = Controller(Mailbox(maildir), hostname=host, port=int(port), authenticator=check,
                        auth_require_tls=False, auth_required=True)
controller.start()
signal.sigwait([signal.SIGTERM, signal.SIGINT])
"#;

/// One received email.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A port for a mail server. Not an OS-chosen ephemeral one: while a test's server is down for
/// a restart, the OS could hand its freed port to another test. These come from a counter
/// below the ephemeral range (32768 and up on Linux), offset by the process id.
fn mail_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 500) as u16 * 20,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 32_000, "no free port for a mail server");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl MailServer {
    pub fn start() -> Self {
        let port = mail_port();
        let mut server = Self {
            port,
            maildir: tempfile::tempdir().unwrap(),
            child: None,
            login: None,
        };
        server.restart();
        server
    }

    /// A server that only takes mail from `user` with `password`.
    pub fn start_with_login(user: &str, password: &str) -> Self {
        let mut server = Self {
            port: mail_port(),
            maildir: tempfile::tempdir().unwrap(),
            child: None,
            login: Some((user.to_owned(), password.to_owned())),
        };
        server.restart();
        server
    }

    /// The URL for `DOCENT_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server; the port stays ours to restart on.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "SMTP server did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server (again) on the same port and Maildir.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut command = Command::new(python());
        let maildir = self.maildir.path().join("mail");
        match &self.login {
            None => command
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{}", self.port))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir),
            Some((user, password)) => command
                .args(["-c", AUTH_SERVER, "127.0.0.1", &self.port.to_string()])
                .arg(&maildir)
                .args([user, password]),
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.maildir.path().join("aiosmtpd.log"))
                    .unwrap(),
            )
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none(),
                "aiosmtpd exited ({exited:?}): is port {} taken?",
                self.port
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every email received so far.
    pub fn received(&self) -> Vec<Mail> {
        let mut mails = Vec::new();
        for folder in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(folder))
            else {
                continue;
            };
            let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort_by_key(|path| delivery_order(path));
            for path in paths {
                mails.push(parse(&std::fs::read(path).unwrap()));
            }
        }
        mails
    }

    /// Every email received for `to`.
    pub fn received_by(&self, to: &str) -> Vec<Mail> {
        self.received()
            .into_iter()
            .filter(|m| m.to.contains(to))
            .collect()
    }

    /// Waits (up to 15 s) until `to` has received `count` emails, and returns the last.
    pub async fn wait_for(&self, to: &str, count: usize) -> Mail {
        let started = Instant::now();
        loop {
            let mails = self.received_by(to);
            if mails.len() >= count {
                assert_eq!(mails.len(), count, "more emails than expected for {to}");
                return mails.last().unwrap().clone();
            }
            if started.elapsed() >= Duration::from_secs(15) {
                let files = std::process::Command::new("find")
                    .arg(self.maildir.path())
                    .output()
                    .unwrap();
                let log = std::fs::read_to_string(self.maildir.path().join("aiosmtpd.log"))
                    .unwrap_or_default();
                panic!(
                    "{to} received {} emails, expected {count}; port {}\nfiles:\n{}\naiosmtpd:\n{log}",
                    mails.len(),
                    self.port,
                    String::from_utf8_lossy(&files.stdout)
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Maildir names start `<seconds>.M<microseconds>P<pid>Q<n>`; the numbers are not padded,
/// so order by their values.
fn delivery_order(path: &std::path::Path) -> (u64, u64, String) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut parts = name.split('.');
    let secs = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let micros = parts
        .next()
        .and_then(|s| s.strip_prefix('M'))
        .and_then(|s| s.split('P').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (secs, micros, name)
}

fn parse(raw: &[u8]) -> Mail {
    let parsed = mailparse::parse_mail(raw).unwrap();
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut html = String::new();
    for part in parsed.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap(),
            "text/html" => html = part.get_body().unwrap(),
            _ => {}
        }
    }
    Mail {
        to: header("To"),
        subject: header("Subject"),
        text,
        html,
    }
}

impl Mail {
    /// The first link in the text part that contains `part` (from its start).
    pub fn link(&self, part: &str) -> String {
        let at = self
            .text
            .find(part)
            .unwrap_or_else(|| panic!("no {part} link in:\n{}", self.text));
        let start = self.text[..at]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
        self.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// The token of the first link that starts with `prefix`.
    pub fn token(&self, prefix: &str) -> String {
        let link = self.link(prefix);
        link.split("token=").nth(1).unwrap().to_owned()
    }

    /// The sign-in code, as printed (`ABCD-EFGH`).
    pub fn code(&self) -> String {
        self.subject.rsplit(' ').next().unwrap().to_owned()
    }
}
