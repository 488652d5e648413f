//! Build script of the desktop shell: Tauri's context, and the access control list that lets
//! the main window call exactly Docent's own commands.

/// Every command the shell exposes; the main window's capability allows these and no others.
const COMMANDS: &[&str] = &[
    "auth_register",
    "auth_login",
    "auth_logout",
    "auth_logout_all",
    "auth_current_user",
    "auth_request_reset",
    "auth_reset_password",
    "auth_request_login",
    "auth_verify_login",
    "auth_request_verification",
    "auth_verify_email",
    "workspace_list",
    "workspace_create",
    "workspace_get",
    "workspace_update",
    "workspace_delete",
    "conversation_list",
    "conversation_create",
    "conversation_get",
    "conversation_update",
    "conversation_delete",
    "conversation_export",
    "chat_send",
    "chat_stop",
    "chat_history",
    "chat_clear",
    "history_search",
    "settings_get",
    "settings_update",
    "app_status",
    "app_links",
];

/// The main window's capability must grant exactly the commands above, no more and no fewer.
fn check_capability() {
    let path = "src-tauri/capabilities/main.json";
    let text = std::fs::read_to_string(path).expect("read the main capability");
    let granted: Vec<&str> = text
        .split('"')
        .filter(|s| s.starts_with("allow-") || s.contains(':'))
        .filter(|s| !s.contains("//") && !s.contains(' '))
        .collect();
    let wanted: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !granted.contains(&w.as_str()))
        .collect();
    let extra: Vec<&&str> = granted
        .iter()
        .filter(|g| !wanted.iter().any(|w| w == *g))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{path} must grant exactly the commands in build.rs: missing {missing:?}, extra {extra:?}"
    );
}

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    check_capability();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
