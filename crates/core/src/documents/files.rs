//! Documents' original bytes, in the data dir under their SHA-256 (so a file added to two
//! workspaces is kept once, and a citation opens it offline, whatever became of its source).
//! Uploads stream into a staging file, hashed and measured as they come, never held whole;
//! each file is 0600 in a 0700 folder.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

use crate::error::{Error, ErrorCode, Result};

/// How many first bytes of a file are kept to tell its format.
const HEAD_BYTES: usize = 8192;

/// Where documents' files live.
#[derive(Debug, Clone)]
pub(crate) struct FileStore {
    dir: PathBuf,
}

/// A file being received.
#[derive(Debug)]
pub struct Upload {
    path: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    bytes: u64,
    limit: u64,
    head: Vec<u8>,
}

/// A file received whole, not yet kept.
#[derive(Debug)]
pub struct Staged {
    pub(crate) path: PathBuf,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    pub(crate) head: Vec<u8>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Kept files were renamed away; anything left here was refused or abandoned.
        let _ = std::fs::remove_file(&self.path);
    }
}

pub(crate) fn too_large(limit: u64) -> Error {
    Error::invalid(
        ErrorCode::DocumentTooLarge,
        format!(
            "This file is larger than {} MB, the most Docent takes for one document. Split it into smaller files, or ask whoever runs Docent to raise DOCENT_MAX_DOCUMENT_BYTES.",
            limit / 1_000_000
        ),
    )
}

fn io_error(what: &str, err: std::io::Error) -> Error {
    Error::internal(anyhow::anyhow!("{what}: {err}"))
}

impl FileStore {
    /// The store under `dir` (created 0700), with what an interrupted upload left there gone.
    pub(crate) fn open(dir: PathBuf) -> Result<Self> {
        crate::files::private_dir(&dir)?;
        let staging = dir.join("incoming");
        let _ = std::fs::remove_dir_all(&staging);
        crate::files::private_dir(&staging)?;
        Ok(Self { dir })
    }

    /// Starts receiving a file of at most `limit` bytes.
    pub(crate) async fn upload(&self, limit: u64) -> Result<Upload> {
        let path = self
            .dir
            .join("incoming")
            .join(uuid::Uuid::new_v4().to_string());
        let file = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || crate::files::create_private(&path))
                .await
                .map_err(Error::internal)?
                .map_err(|err| io_error("creating an upload file", err))?
        };
        Ok(Upload {
            path,
            file: tokio::fs::File::from_std(file),
            hasher: Sha256::new(),
            bytes: 0,
            limit,
            head: Vec::new(),
        })
    }

    /// Where the file with this SHA-256 is kept.
    pub(crate) fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.dir.join(prefix).join(sha256)
    }

    /// Keeps a received file under its hash (once: a file kept already stays as it is).
    pub(crate) async fn keep(&self, staged: &Staged) -> Result<PathBuf> {
        let target = self.path_of(&staged.sha256);
        let (from, to) = (staged.path.clone(), target.clone());
        tokio::task::spawn_blocking(move || -> Result<()> {
            if to.exists() {
                return Ok(());
            }
            crate::files::private_dir(to.parent().expect("a kept file has a folder"))?;
            std::fs::rename(&from, &to).map_err(|err| io_error("keeping an uploaded file", err))
        })
        .await
        .map_err(Error::internal)??;
        Ok(target)
    }

    /// Deletes the file with this SHA-256 (when no document keeps it any more).
    pub(crate) async fn remove(&self, sha256: &str) {
        let path = self.path_of(sha256);
        if let Err(err) = tokio::fs::remove_file(&path).await {
            if err.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), %err, "a document's file could not be deleted");
            }
        }
    }

    /// The SHA-256 of every kept file (for the cleanup of files no document keeps).
    pub(crate) fn all(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Ok(prefixes) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for prefix in prefixes.flatten() {
            let name = prefix.file_name();
            if name.len() != 2 {
                continue;
            }
            if let Ok(files) = std::fs::read_dir(prefix.path()) {
                out.extend(
                    files
                        .flatten()
                        .filter_map(|f| f.file_name().into_string().ok())
                        .filter(|n| n.len() == 64),
                );
            }
        }
        out
    }
}

impl Upload {
    /// Takes the next piece of the file; past the limit, the upload is refused with
    /// `document_too_large` (and what was received is deleted when it is dropped).
    pub async fn write(&mut self, piece: &[u8]) -> Result<()> {
        self.bytes += piece.len() as u64;
        if self.bytes > self.limit {
            return Err(too_large(self.limit));
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(piece.len());
            self.head.extend_from_slice(&piece[..take]);
        }
        self.hasher.update(piece);
        self.file
            .write_all(piece)
            .await
            .map_err(|err| io_error("writing an upload", err))
    }

    /// The whole file, received.
    pub async fn finish(mut self) -> Result<Staged> {
        self.file
            .flush()
            .await
            .map_err(|err| io_error("writing an upload", err))?;
        self.file
            .sync_all()
            .await
            .map_err(|err| io_error("writing an upload", err))?;
        let sha256 = std::mem::take(&mut self.hasher)
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Staged {
            path: std::mem::take(&mut self.path),
            sha256,
            bytes: self.bytes,
            head: std::mem::take(&mut self.head),
        })
    }

    /// Copies a file of this machine in (the desktop adds files by path).
    pub(crate) async fn copy_from(mut self, source: &Path) -> Result<Staged> {
        use tokio::io::AsyncReadExt as _;
        let unreadable = |err: std::io::Error| {
            Error::invalid(
                ErrorCode::FileNotReadable,
                format!("Docent could not read {}: {err}.", source.display()),
            )
        };
        let mut file = tokio::fs::File::open(source).await.map_err(unreadable)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = file.read(&mut buf).await.map_err(unreadable)?;
            if n == 0 {
                break;
            }
            self.write(&buf[..n]).await?;
        }
        self.finish().await
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
