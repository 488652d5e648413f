//! Docent's desktop shell: a Tauri window over the core, run in-process. It opens no server
//! port; the UI calls the commands in [`commands`], each one core call.

#![deny(missing_docs)]

pub mod commands;
pub mod keyring_store;

// `docent_handler!()`: every `#[tauri::command]` of `commands.rs`, listed by build.rs.
include!(concat!(env!("OUT_DIR"), "/commands.rs"));

use docent_core::{Docent, Settings, SettingsLayer};
use tauri::Manager as _;
use tauri::Runtime;
use tauri_plugin_deep_link::DeepLinkExt as _;

/// `builder` with every command of [`commands`] registered: the app's own builder, and the
/// mock runtime the IPC tests drive.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(docent_handler!())
}

/// The work the core does in the background for as long as the app runs.
struct Background {
    _indexer: docent_core::documents::Indexer,
    _folders: docent_core::documents::FolderWatcher,
}

/// The shell's own keys of `docent.toml` (see `docent_core::config::FACE_KEYS`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ShellFileSettings {
    log: Option<String>,
}

/// Starts the desktop app; returns when its last window closes.
pub fn run() {
    let resolved = SettingsLayer::from_env().and_then(Settings::resolve_with_file);
    // The log filter is the shell's own: DOCENT_LOG, else `log` in docent.toml, else info.
    let filter = std::env::var("DOCENT_LOG")
        .ok()
        .or_else(|| {
            let file = &resolved.as_ref().ok()?.1;
            file.face::<ShellFileSettings>().ok()?.log
        })
        .unwrap_or_else(|| "info".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_default())
        .init();
    let settings = match resolved {
        Ok((mut settings, _)) => {
            // Sign-in emails sent from the app also carry a docent:// link back into it.
            settings.desktop_links = true;
            // The app keeps its data in its own SQLite file; a shared PostgreSQL database is
            // for docent-server instances.
            if settings.database_url.take().is_some() {
                tracing::warn!(
                    "DOCENT_DATABASE_URL is for docent-server; the desktop app keeps its data in the data dir"
                );
            }
            settings
        }
        Err(err) => {
            eprintln!("Docent cannot start: {err}");
            std::process::exit(2);
        }
    };
    let builder = tauri::Builder::default()
        // First, so a second start (a docent:// link clicked while Docent runs) hands its link
        // to this process and exits; the link arrives through the deep-link plugin below.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(commands::AppLinks::default())
        .manage(commands::Drops::default())
        .on_window_event(|window, event| {
            // Dropped files are held by the shell; the page learns their names only.
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                window.state::<commands::Drops>().dropped(paths.clone());
            }
        })
        .setup(move |app| {
            // Installed packages register docent:// through their desktop entry; an AppImage
            // has none, so it registers itself.
            #[cfg(target_os = "linux")]
            if std::env::var_os("APPIMAGE").is_some() {
                if let Err(err) = app.deep_link().register_all() {
                    tracing::warn!(%err, "could not register docent:// links");
                }
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    handle.state::<commands::AppLinks>().open(url.as_str());
                }
            });
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    app.state::<commands::AppLinks>().open(url.as_str());
                }
            }
            tracing::debug!("opening the data dir");
            let shell = tauri::async_runtime::block_on(async {
                let docent = Docent::open(settings).await?;
                docent.spawn_cleanup();
                docent.spawn_mail_worker();
                // Kept for the life of the app: indexing, and the folders kept in sync.
                let background = Background {
                    _indexer: docent.spawn_indexer(),
                    _folders: docent.documents().spawn_folder_watcher(),
                };
                Ok::<_, docent_core::Error>((commands::Shell::start(docent), background))
            })
            .map_err(|err| {
                tracing::error!(error = ?err, "cannot open the data dir");
                Box::new(err) as Box<dyn std::error::Error>
            })?;
            let (shell, background) = shell;
            app.manage(shell);
            app.manage(background);
            Ok(())
        });
    with_commands(builder)
        .run(tauri::generate_context!())
        .expect("Docent's window could not be started");
}
