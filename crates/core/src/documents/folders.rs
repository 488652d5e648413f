//! Folders kept in sync (the desktop's "Add folder…"): every file of a folder Docent can read
//! is a document of the workspace; a new file is added, a changed one (other bytes) replaces
//! its document, a removed one's document goes. A sync runs when the folder is added, at each
//! start (what changed while Docent was closed), and after the folder changes on disk (the
//! OS's file events, through `notify`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::Watcher as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::DocumentService;
use crate::access::owned_workspace;
use crate::domain::documents::{DocumentFolder, DocumentFormat};
use crate::error::{Error, ErrorCode, Result};
use crate::user::CurrentUser;

/// After a file event, a folder is synced once things have been quiet this long.
const SETTLE: Duration = Duration::from_secs(1);
/// The most files one folder may bring.
const MAX_FILES: usize = 10_000;

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FolderSync {
    /// Files added as new documents.
    pub added: usize,
    /// Files whose bytes changed, read again.
    pub updated: usize,
    /// Files gone from the folder, whose documents were deleted.
    pub removed: usize,
    /// Files of formats Docent does not read, left out.
    pub skipped: usize,
}

/// Watches the folders kept in sync; stops when dropped.
pub struct FolderWatcher {
    watcher: Arc<Mutex<Option<notify::RecommendedWatcher>>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FolderWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderWatcher").finish_non_exhaustive()
    }
}

impl Drop for FolderWatcher {
    fn drop(&mut self) {
        self.task.abort();
        *self.watcher.lock().expect("watcher lock") = None;
    }
}

/// The watcher of a running service, so folders added later are watched too.
pub(crate) type WatcherSlot = Arc<Mutex<Option<notify::RecommendedWatcher>>>;

fn unreadable(path: &Path, err: impl std::fmt::Display) -> Error {
    Error::invalid(
        ErrorCode::FileNotReadable,
        format!(
            "Docent could not read the folder {}: {err}.",
            path.display()
        ),
    )
}

/// The files of `root` Docent may read, by their path inside it (with `/`), and how many
/// were left out. Hidden files and folders are left out; links are not followed.
fn files_of(root: &Path) -> Result<(Vec<(String, PathBuf)>, usize)> {
    let mut files = Vec::new();
    let mut skipped = 0;
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|err| unreadable(&folder, err))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with("~$") {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() {
                let head = read_head(&path);
                if DocumentFormat::detect(&name, &head).is_err() {
                    skipped += 1;
                    continue;
                }
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((relative, path));
                if files.len() > MAX_FILES {
                    return Err(Error::invalid(
                        ErrorCode::FileNotReadable,
                        format!("The folder {} holds more than {MAX_FILES} documents; add a smaller folder.", root.display()),
                    ));
                }
            }
        }
    }
    files.sort();
    Ok((files, skipped))
}

fn read_head(path: &Path) -> Vec<u8> {
    use std::io::Read as _;
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(8192).read_to_end(&mut head);
    }
    head
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

impl DocumentService {
    /// Keeps a folder of this machine in sync with a workspace the caller owns, and syncs it
    /// now. Adding a folder kept already syncs it again.
    pub async fn add_folder(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        path: &Path,
    ) -> Result<(DocumentFolder, FolderSync)> {
        let path = tokio::fs::canonicalize(path)
            .await
            .map_err(|err| unreadable(path, err))?;
        if !tokio::fs::metadata(&path)
            .await
            .map_err(|err| unreadable(&path, err))?
            .is_dir()
        {
            return Err(unreadable(&path, "it is not a folder"));
        }
        let path_text = path
            .to_str()
            .ok_or_else(|| unreadable(&path, "its name is not valid Unicode"))?
            .to_owned();
        let (user, now) = (user.clone(), self.now());
        let folder = self
            .inner
            .store
            .write(move |tx| {
                owned_workspace(tx, &user, workspace_id)?;
                tx.documents()
                    .add_folder(Uuid::new_v4(), workspace_id, &path_text, now)
            })
            .await?;
        if let Some(watcher) = self.inner.watcher.lock().expect("watcher lock").as_mut() {
            if let Err(err) = watcher.watch(&path, notify::RecursiveMode::Recursive) {
                tracing::warn!(%err, "the folder cannot be watched; it is synced at each start");
            }
        }
        let sync = self.sync_folder(folder.id).await?;
        Ok((folder, sync))
    }

    /// The folders kept in sync with a workspace the caller may see.
    pub async fn folders(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
    ) -> Result<Vec<DocumentFolder>> {
        let user = user.clone();
        self.inner
            .store
            .read(move |tx| {
                crate::access::visible_workspace(tx, &user, workspace_id)?;
                tx.documents().folders(workspace_id)
            })
            .await
    }

    /// Stops keeping a folder in sync and deletes the documents it brought (the files on
    /// disk stay where they are).
    pub async fn remove_folder(&self, user: &CurrentUser, folder_id: Uuid) -> Result<()> {
        let user = user.clone();
        let (folder, unused) = self
            .inner
            .store
            .write(move |tx| {
                let not_found = || Error::NotFound { what: "Folder" };
                let folder = tx.documents().folder(folder_id)?.ok_or_else(not_found)?;
                match owned_workspace(tx, &user, folder.workspace_id) {
                    Err(Error::NotFound { .. }) => return Err(not_found()),
                    other => other?,
                };
                let hashes: HashSet<String> = tx
                    .documents()
                    .folder_documents(folder_id)?
                    .into_iter()
                    .map(|(_, _, sha)| sha)
                    .collect();
                tx.documents().delete_folder(folder_id)?;
                let mut unused = Vec::new();
                for sha in hashes {
                    if !tx.documents().file_in_use(&sha)? {
                        unused.push(sha);
                    }
                }
                Ok((folder, unused))
            })
            .await?;
        if let Some(watcher) = self.inner.watcher.lock().expect("watcher lock").as_mut() {
            let _ = watcher.unwatch(Path::new(&folder.path));
        }
        for sha in unused {
            self.inner.files.remove(&sha).await;
        }
        Ok(())
    }

    /// Brings a folder's documents in line with its files.
    pub async fn sync_folder(&self, folder_id: Uuid) -> Result<FolderSync> {
        let (folder, known) = self
            .inner
            .store
            .read(move |tx| {
                let folder = tx
                    .documents()
                    .folder(folder_id)?
                    .ok_or(Error::NotFound { what: "Folder" })?;
                Ok((folder, tx.documents().folder_documents(folder_id)?))
            })
            .await?;
        let root = PathBuf::from(&folder.path);
        let (files, skipped) = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || files_of(&root))
                .await
                .map_err(Error::internal)??
        };
        let mut known: HashMap<String, (Uuid, String)> = known
            .into_iter()
            .map(|(path, id, sha)| (path, (id, sha)))
            .collect();
        let mut sync = FolderSync {
            skipped,
            ..FolderSync::default()
        };
        for (relative, path) in files {
            let existing = known.remove(&relative);
            let sha = {
                let file = path.clone();
                match tokio::task::spawn_blocking(move || sha256_of(&file))
                    .await
                    .map_err(Error::internal)?
                {
                    Ok(sha) => sha,
                    Err(err) => {
                        tracing::warn!(file = %path.display(), %err, "a file of a synced folder could not be read");
                        continue;
                    }
                }
            };
            if let Some((id, old)) = &existing {
                if *old == sha {
                    continue;
                }
                self.delete_unchecked(*id).await?;
            }
            let staged = match self.upload().await?.copy_from(&path).await {
                Ok(staged) => staged,
                Err(err) => {
                    tracing::warn!(file = %path.display(), code = err.code().as_str(), "a file of a synced folder was not added");
                    continue;
                }
            };
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match self
                .insert(
                    folder.workspace_id,
                    &name,
                    staged,
                    Some((folder.id, relative)),
                )
                .await
            {
                Ok(_) if existing.is_some() => sync.updated += 1,
                Ok(_) => sync.added += 1,
                Err(err) => {
                    tracing::warn!(file = %path.display(), code = err.code().as_str(), "a file of a synced folder was not added");
                }
            }
        }
        for (_, (id, _)) in known {
            self.delete_unchecked(id).await?;
            sync.removed += 1;
        }
        if sync != FolderSync::default() {
            tracing::info!(folder = %folder.id, ?sync, "folder synced");
        }
        Ok(sync)
    }

    /// Watches every folder kept in sync, after syncing each (what changed while Docent was
    /// closed); folders added later are watched too.
    pub fn spawn_folder_watcher(&self) -> FolderWatcher {
        let (events, mut changed) = mpsc::unbounded_channel::<PathBuf>();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                for path in event.paths {
                    let _ = events.send(path);
                }
            }
        });
        let slot = self.inner.watcher.clone();
        match watcher {
            Ok(watcher) => *slot.lock().expect("watcher lock") = Some(watcher),
            Err(err) => {
                tracing::warn!(%err, "file events are not available; folders are synced at each start")
            }
        }
        let service = self.clone();
        let task = tokio::spawn(async move {
            let folders = match service
                .inner
                .store
                .read(|tx| tx.documents().all_folders())
                .await
            {
                Ok(folders) => folders,
                Err(err) => {
                    tracing::error!(error = ?err, "the synced folders could not be read");
                    Vec::new()
                }
            };
            for folder in &folders {
                if let Some(watcher) = service.inner.watcher.lock().expect("watcher lock").as_mut()
                {
                    let _ =
                        watcher.watch(Path::new(&folder.path), notify::RecursiveMode::Recursive);
                }
                if let Err(err) = service.sync_folder(folder.id).await {
                    tracing::warn!(folder = %folder.id, code = err.code().as_str(), "a synced folder could not be read");
                }
            }
            // Events come in bursts (a copy writes a file many times): wait for quiet, then
            // sync each folder touched.
            while let Some(first) = changed.recv().await {
                let mut touched = vec![first];
                while let Ok(Some(path)) = tokio::time::timeout(SETTLE, changed.recv()).await {
                    touched.push(path);
                }
                let folders = match service
                    .inner
                    .store
                    .read(|tx| tx.documents().all_folders())
                    .await
                {
                    Ok(folders) => folders,
                    Err(_) => continue,
                };
                for folder in folders {
                    if touched.iter().any(|p| p.starts_with(&folder.path)) {
                        if let Err(err) = service.sync_folder(folder.id).await {
                            tracing::warn!(folder = %folder.id, code = err.code().as_str(), "a synced folder could not be read");
                        }
                    }
                }
            }
        });
        FolderWatcher {
            watcher: slot,
            task,
        }
    }
}

impl FolderWatcher {
    /// Whether the OS delivers file events (otherwise folders sync at each start only).
    pub fn is_watching(&self) -> bool {
        self.watcher.lock().expect("watcher lock").is_some()
    }
}
