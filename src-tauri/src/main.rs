// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Started again by itself to read one document in a process of its own.
    docent_core::documents::run_extractor_if_asked();
    docent_app::run();
}
