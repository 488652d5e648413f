//! The `docent-server` executable itself: help, settings, readiness, graceful shutdown.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn docent_server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_docent-server"))
}

#[test]
fn help_documents_every_setting_with_its_variable() {
    let output = docent_server().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for (flag, variable) in [
        ("--data-dir", "DOCENT_DATA_DIR"),
        ("--addr", "DOCENT_ADDR"),
        ("--public-url", "DOCENT_PUBLIC_URL"),
        ("--ui-dir", "DOCENT_UI_DIR"),
        ("--log", "DOCENT_LOG"),
        ("--password-min-length", "DOCENT_PASSWORD_MIN_LENGTH"),
        ("--session-ttl", "DOCENT_SESSION_TTL"),
        ("--session-idle-timeout", "DOCENT_SESSION_IDLE_TIMEOUT"),
        ("--cleanup-interval", "DOCENT_CLEANUP_INTERVAL"),
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
        assert!(help.contains(variable), "{variable} missing from --help");
    }
    assert!(help.contains("docent.toml"));
}

#[test]
fn a_bad_setting_is_a_clear_error_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let output = docent_server()
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .env("DOCENT_SESSION_TTL", "forever")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("forever") && stderr.contains("7d"),
        "{stderr}"
    );
}

/// A free loopback port (bound, then released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn it_reads_flags_env_and_file_then_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The file sets a short minimum; the environment sets the address; flags the data dir.
    std::fs::write(dir.path().join("docent.toml"), "password_min_length = 40\n").unwrap();
    let mut child = docent_server()
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .env("DOCENT_ADDR", format!("127.0.0.1:{port}"))
        .env("DOCENT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{url}/health")).send().await {
            assert_eq!(response.status(), 200);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = client
        .post(format!("{url}/auth/register"))
        .json(&serde_json::json!({"email": "file@example.com", "password": "Tangerine-Orbit-Quietly-47"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        422,
        "the file's 40-character minimum applies"
    );

    // SAFETY: sending a signal to our own child process.
    unsafe { libc_kill(child.id() as i32, 15) };
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status}");
    let mut stdout = String::new();
    use std::io::Read as _;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(stdout.contains("shutting down"), "{stdout}");
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(dir.path().join("docent.sqlite3"))
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(mode & 0o777, 0o600);
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}
