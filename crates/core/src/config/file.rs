//! Writing `docent.toml`: the remote services' URLs and model the person set in the app.

use std::fmt;
use std::path::Path;

use super::ChatSettings;
use crate::error::{Error, ErrorCode, Result};

/// Keeps the remote services' URLs and model in `path` (`docent.toml`), for the next start,
/// leaving its other settings as they were. Keys are never written here; when the person set
/// or removed the LLM key in the app (`key_changed`), a key written in the file by hand is
/// removed too, so it cannot come back at the next start.
pub(crate) fn save_remote_settings(
    path: &Path,
    chat: &ChatSettings,
    key_changed: bool,
) -> Result<()> {
    let cannot = |err: &dyn fmt::Display| Error::Config {
        code: ErrorCode::SettingsNotSaved,
        message: format!(
            "Docent could not save its settings to {}: {err}.",
            path.display()
        ),
    };
    let mut table = match std::fs::read_to_string(path) {
        Ok(text) => text.parse::<toml::Table>().map_err(|err| cannot(&err))?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(err) => return Err(cannot(&err)),
    };
    table.insert("llm_base_url".into(), chat.llm_base_url.expose().into());
    table.insert("llm_model".into(), chat.llm_model.clone().into());
    match &chat.retrieval_url {
        Some(url) => table.insert("retrieval_url".into(), url.expose().into()),
        None => table.remove("retrieval_url"),
    };
    if key_changed {
        table.remove("llm_api_key");
    }
    let text = toml::to_string(&table).map_err(|err| cannot(&err))?;
    // Written beside and renamed over, so a crash never leaves half a file.
    let partial = path.with_extension("toml.partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut file = options.open(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    };
    write().map_err(|err| cannot(&err))
}
