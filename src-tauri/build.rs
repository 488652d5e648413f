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
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
