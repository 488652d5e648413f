// Tauri injects __TAURI_INTERNALS__ into its windows; no bundler needed for one call.
window.__TAURI_INTERNALS__.invoke('ready');
