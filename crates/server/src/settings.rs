//! What only docent-server is set with: where it listens, the web UI it serves, and its log
//! filter. Read like the core's settings (flag, else `DOCENT_*` variable, else `docent.toml`,
//! else default), under the keys the core leaves to the faces (`docent_core::config::FACE_KEYS`).

use std::net::SocketAddr;
use std::path::PathBuf;

use docent_core::config::DEFAULT_SERVER_ADDR;
use serde::Deserialize;

/// One layer of the server's own settings; unset fields fall through to the next layer.
#[derive(Debug, Default, Clone, Deserialize, clap::Args)]
#[serde(default)]
pub struct ServerLayer {
    /// Address the server listens on [default: 127.0.0.1:8787]
    #[arg(long, env = "DOCENT_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,

    /// Folder of the built web UI served at `/` [default: ./ui/dist, else next to the
    /// executable in ../share/docent/ui]
    #[arg(long, env = "DOCENT_UI_DIR", value_name = "DIR")]
    pub ui_dir: Option<PathBuf>,

    /// Log filter, e.g. `info` or `docent_server=debug` [default: info]
    #[arg(long, env = "DOCENT_LOG", value_name = "FILTER")]
    pub log: Option<String>,
}

impl ServerLayer {
    /// This layer, with unset fields taken from `lower`.
    pub fn or(self, lower: Self) -> Self {
        Self {
            addr: self.addr.or(lower.addr),
            ui_dir: self.ui_dir.or(lower.ui_dir),
            log: self.log.or(lower.log),
        }
    }

    /// Every value decided.
    pub fn resolve(self) -> ServerSettings {
        ServerSettings {
            addr: self.addr.unwrap_or_else(|| {
                DEFAULT_SERVER_ADDR
                    .parse()
                    .expect("the default address is an address")
            }),
            ui_dir: self.ui_dir,
            log: self.log.unwrap_or_else(|| "info".to_owned()),
        }
    }
}

/// The server's own settings, resolved.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Folder of the built web UI, if set (else it is looked for: [`crate::ui::locate`]).
    pub ui_dir: Option<PathBuf>,
    /// Log filter.
    pub log: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use docent_core::{Settings, SettingsLayer};

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(docent_core::config::SETTINGS_FILE),
            "addr = \"127.0.0.1:9000\"\nlog = \"debug\"\nsession_ttl = \"2d\"\n",
        )
        .unwrap();
        let core = SettingsLayer {
            data_dir: Some(dir.path().to_owned()),
            ..SettingsLayer::default()
        };
        let (settings, file) = Settings::resolve_with_file(core).unwrap();
        assert_eq!(settings.session_ttl.as_secs(), 2 * 86_400);
        let flags = ServerLayer {
            log: Some("warn".to_owned()),
            ..ServerLayer::default()
        };
        let server = flags.or(file.face().unwrap()).resolve();
        assert_eq!(server.addr.port(), 9000, "file beats default");
        assert_eq!(server.log, "warn", "flag beats file");
        assert_eq!(server.ui_dir, None);
        assert_eq!(ServerLayer::default().resolve().addr.port(), 8787);
    }
}
