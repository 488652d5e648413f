//! A real PostgreSQL server for the tests: Debian's `postgresql` binaries, a throwaway cluster
//! in a temp dir, on a free loopback port, started once per test process and removed after it.
//!
//! A watcher shell starts the server and waits on a pipe that only this process holds: when the
//! process ends, however it ends, the pipe closes and the watcher stops the server and removes
//! its directory. Under root (as in CI) the server runs as the `postgres` user, which initdb and
//! postgres require.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The database role the tests connect as (trusted on loopback: the cluster lives as long as
/// the test process, and only on 127.0.0.1).
const ROLE: &str = "docent";

/// One PostgreSQL server of this test process.
#[derive(Debug)]
pub struct TestPostgres {
    port: u16,
    bin: PathBuf,
    /// The cluster's directory (its data, its socket, its log).
    dir: PathBuf,
    /// Under root, the `postgres` user's uid and gid, which the server runs as.
    owner: Option<(u32, u32)>,
    /// Whether it takes TLS connections only (its certificate is signed by `ca.pem` in `dir`).
    tls: bool,
    /// Whether it writes to disk as a production server would (for benchmarks).
    durable: bool,
    /// The watcher, and the pipe it waits on: closed when this is dropped or the process ends.
    watcher: Mutex<Option<(Child, ChildStdin)>>,
}

impl TestPostgres {
    /// The server of this test process, started on first use (a few seconds).
    ///
    /// # Panics
    /// When PostgreSQL is not installed (`scripts/lib.sh` installs Debian's `postgresql`) or
    /// does not start.
    pub fn shared() -> &'static TestPostgres {
        static SERVER: OnceLock<TestPostgres> = OnceLock::new();
        SERVER.get_or_init(Self::own)
    }

    /// A server of the caller's own (one a test may stop and start), removed when dropped.
    ///
    /// # Panics
    /// As [`TestPostgres::shared`].
    pub fn own() -> TestPostgres {
        Self::start(false, false).unwrap_or_else(|err| panic!("PostgreSQL: {err}"))
    }

    /// A server of the caller's own that writes as a production one would, for benchmarks:
    /// `fsync` and full-page writes on, commits not waiting for their WAL flush
    /// (`synchronous_commit = off`: a crash loses at most the last moment's commits and
    /// corrupts nothing, as SQLite's WAL with `synchronous = NORMAL`, which Docent uses).
    ///
    /// # Panics
    /// As [`TestPostgres::shared`].
    pub fn own_durable() -> TestPostgres {
        Self::start(false, true).unwrap_or_else(|err| panic!("PostgreSQL: {err}"))
    }

    /// A server of the caller's own that takes TLS connections only, with a certificate for
    /// 127.0.0.1 and `localhost` signed by a test authority ([`TestPostgres::authority`]).
    ///
    /// # Panics
    /// As [`TestPostgres::shared`], or when `openssl` cannot make the certificates.
    pub fn own_with_tls() -> TestPostgres {
        Self::start(true, false).unwrap_or_else(|err| panic!("PostgreSQL: {err}"))
    }

    /// The PEM file of the authority that signed a TLS server's certificate.
    pub fn authority(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The PEM file of an authority that signed nothing of the server's.
    pub fn other_authority(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new, empty database on the server: its URL.
    pub fn fresh_database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{name}", self.port)
    }

    /// Everything database `url` holds, as pg_dump writes it (plain SQL: every row as text).
    pub fn dump(&self, url: &str) -> String {
        let mut pg_dump = Command::new(self.bin.join("pg_dump"));
        pg_dump.args(["--no-owner", "-d", url]);
        output_of(pg_dump)
    }

    /// Runs `sql` in database `name` with psql, panicking when it fails.
    pub fn sql(&self, name: &str, sql: &str) -> String {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ROLE])
            .args(["-d", name, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]);
        output_of(psql)
    }

    /// Stops the server (fast: open connections are cut), keeping its data.
    pub fn stop(&self) {
        let mut pg_ctl = self.as_server(&self.bin.join("pg_ctl"));
        pg_ctl.arg("stop").arg("-D").arg(self.dir.join("data"));
        pg_ctl.args(["-m", "fast", "-w"]);
        output_of(pg_ctl);
    }

    /// Starts the stopped server again, on the same port and data; returns once it answers.
    pub fn restart(&self) {
        let mut pg_ctl = self.as_server(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("start")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-o", &self.options(), "-W"])
            .stdout(Stdio::null());
        output_of(pg_ctl);
        self.wait_until_ready()
            .unwrap_or_else(|err| panic!("PostgreSQL: {err}"));
    }

    /// `program`, run as the server's user.
    fn as_server(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        run_as(&mut command, self.owner);
        command
    }

    /// The server's options: loopback only, a socket in its own directory, and no durability
    /// unless asked (tests are about behaviour, not crashes).
    fn options(&self) -> String {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c synchronous_commit=off \
             -c max_connections=200",
            self.port,
            self.dir.display()
        );
        if !self.durable {
            options.push_str(" -c fsync=off -c full_page_writes=off");
        }
        if self.tls {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                self.dir.join("server.pem").display(),
                self.dir.join("server.key").display()
            ));
        }
        options
    }

    /// An authority (and another one), a server certificate signed by the first, and a
    /// pg_hba.conf that refuses connections without TLS over TCP.
    fn make_tls(&self) -> Result<(), String> {
        let dir = &self.dir;
        let openssl = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .map_err(|e| format!("openssl: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        for ca in ["ca", "other-ca"] {
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=Docent test {ca}"),
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
            ])?;
        }
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ])?;
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName = IP:127.0.0.1, DNS:localhost\n",
        )
        .map_err(|e| e.to_string())?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ])?;
        std::fs::write(
            dir.join("data/pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .map_err(|e| e.to_string())?;
        // The server reads its key only when no one else may.
        for file in ["server.key", "server.pem", "data/pg_hba.conf"] {
            let path = dir.join(file);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| e.to_string())?;
            }
            if let Some((uid, gid)) = self.owner {
                chown(&path, uid, gid)?;
            }
        }
        Ok(())
    }

    fn wait_until_ready(&self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
                return Err(format!("not ready after 30 s:\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn start(tls: bool, durable: bool) -> Result<Self, String> {
        let bin = bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("docent-postgres-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        let owner = server_user()?;
        if let Some((uid, gid)) = owner {
            chown(&dir, uid, gid)?;
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-U", ROLE, "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C.UTF-8"])
            .stdout(Stdio::null());
        run_as(&mut initdb, owner);
        let status = initdb.status().map_err(|e| format!("initdb: {e}"))?;
        if !status.success() {
            return Err(format!("initdb failed ({status})"));
        }
        let mut server = Self {
            port: free_port()?,
            bin,
            dir,
            owner,
            tls,
            durable,
            watcher: Mutex::new(None),
        };
        if tls {
            server.make_tls()?;
        }
        let as_server = match owner {
            Some(_) => "setpriv --reuid=postgres --regid=postgres --clear-groups",
            None => "",
        };
        let data = server.dir.join("data");
        let pg_ctl = server.bin.join("pg_ctl");
        // Started by pg_ctl and stopped by it, so a server a test restarted is stopped too.
        let script = format!(
            "{as_server} {pg_ctl} start -D {data} -l {log} -o '{options}' -W >/dev/null\n\
             cat >/dev/null\n\
             {as_server} {pg_ctl} stop -D {data} -m immediate -w >/dev/null 2>&1\n\
             rm -rf {dir}",
            pg_ctl = pg_ctl.display(),
            data = data.display(),
            log = server.dir.join("log").display(),
            options = server.options(),
            dir = server.dir.display(),
        );
        let mut watcher = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the watcher: {e}"))?;
        let mut stdin = watcher.stdin.take().expect("piped");
        let _ = stdin.flush();
        *server.watcher.get_mut().expect("not shared yet") = Some((watcher, stdin));
        server.wait_until_ready()?;
        Ok(server)
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Closing the pipe lets the watcher stop the server and remove its directory.
        if let Some((mut watcher, stdin)) = self.watcher.get_mut().ok().and_then(Option::take) {
            drop(stdin);
            let _ = watcher.wait();
        }
    }
}

/// What `command` prints, panicking (with what it said) when it fails.
fn output_of(mut command: Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where the server's programs are: `DOCENT_TEST_POSTGRES_BIN`, else the newest of Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("DOCENT_TEST_POSTGRES_BIN") {
        return Ok(dir.into());
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "not installed (no /usr/lib/postgresql): install Debian's postgresql".to_owned()
        })?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no /usr/lib/postgresql/<version>/bin/initdb".to_owned())
}

/// Under root, the `postgres` user's uid and gid (the server refuses to run as root).
fn server_user() -> Result<Option<(u32, u32)>, String> {
    let id = |flag: &str, user: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, user])
            .output()
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| format!("no user {user:?}"))
    };
    let me = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return Ok(None);
    }
    Ok(Some((id("-u", "postgres")?, id("-g", "postgres")?)))
}

fn chown(dir: &Path, uid: u32, gid: u32) -> Result<(), String> {
    #[cfg(unix)]
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    Ok(())
}

fn run_as(command: &mut Command, owner: Option<(u32, u32)>) {
    #[cfg(unix)]
    if let Some((uid, gid)) = owner {
        use std::os::unix::process::CommandExt as _;
        command.uid(uid).gid(gid);
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
