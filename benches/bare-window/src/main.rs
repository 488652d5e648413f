//! A bare Tauri window: the baseline Docent's desktop app is measured against.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Called by the page once it has loaded: the same moment Docent's login view asks the core
/// whether anyone is signed in.
#[tauri::command]
fn ready() {
    println!("page ready");
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("the window could not be started");
}
