//! Files only their owner may read: the data dir (database, settings, mail) holds one-time
//! links, hashes and conversations, so it is 0700 and what is in it 0600, on Unix. A data dir
//! that exists already is tightened at start; when that fails, Docent says so and goes on.

use std::path::Path;

use anyhow::Context as _;

use crate::error::{Error, Result};

/// Creates `dir` (and its parents) readable by its owner only, or tightens it if it exists.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the folder {}", dir.display()))
        .map_err(Error::Internal)?;
    tighten(dir, 0o700);
    Ok(())
}

/// Opens `path` for writing a new file readable by its owner only; fails if it exists.
pub(crate) fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Sets `path`'s permission bits to `mode` when they are looser, warning when that fails.
pub(crate) fn tighten(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        let current = metadata.permissions().mode() & 0o777;
        if current & !mode == 0 {
            return;
        }
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            Ok(()) => tracing::info!(
                path = %path.display(),
                from = format!("{current:o}"),
                to = format!("{mode:o}"),
                "permissions tightened: only the owner may read Docent's data"
            ),
            Err(err) => tracing::warn!(
                path = %path.display(),
                mode = format!("{current:o}"),
                %err,
                "could not make this readable by its owner only; other users of this machine may read it"
            ),
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}
