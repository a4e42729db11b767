//! A private PostgreSQL 15 + PostGIS 3 cluster for one test: `initdb` into a temporary
//! directory, a free loopback port, trust authentication, no durability (fsync off). Run as
//! the `postgres` user when the tests run as root (PostgreSQL refuses to run as root).
//! Setup SQL and checks go through `psql`; the tests need no Rust PostgreSQL client.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};

/// Where Debian's postgresql-15 puts the server programs.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The file postgresql-15-postgis-3 installs for `CREATE EXTENSION postgis`.
pub const POSTGIS_CONTROL: &str = "/usr/share/postgresql/15/extension/postgis.control";
/// The client.
pub const PSQL: &str = "/usr/bin/psql";
/// The database created in the cluster (with the postgis extension).
pub const DATABASE: &str = "atlas";

/// A running private cluster; stopped (`-m immediate`) and deleted when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    /// The loopback port the server listens on (kept across [`Postgres::stop`]/[`Postgres::start`]).
    pub port: u16,
    /// `postgresql://postgres@127.0.0.1:PORT/atlas`.
    pub url: String,
    /// `Some("postgres")` when the server programs run through `runuser` (tests run as root).
    user: Option<&'static str>,
    running: AtomicBool,
}

/// Panics, never skips, when PostgreSQL 15 or PostGIS 3 is not installed.
pub fn require_installed() {
    let initdb = Path::new(PG_BIN).join("initdb");
    for (path, what) in [
        (initdb.as_path(), "PostgreSQL 15 server programs"),
        (Path::new(POSTGIS_CONTROL), "the PostGIS 3 extension"),
        (Path::new(PSQL), "the psql client"),
    ] {
        assert!(
            path.exists(),
            "{what} not found ({} is missing): the PostGIS tests need PostgreSQL 15 with PostGIS 3; \
             run `scripts/setup --test`, which installs the Debian package postgresql-15-postgis-3",
            path.display()
        );
    }
}

fn euid_is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id").args([flag, user]).output().expect("run id");
    assert!(
        out.status.success(),
        "tests run as root, so PostgreSQL must run as the '{user}' user, which does not exist \
         (scripts/setup --test installs postgresql-15-postgis-3, which creates it)"
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("numeric id")
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

fn describe(argv: &[String], out: &Output) -> String {
    format!(
        "`{}` exited with {}:\n{}{}",
        argv.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

impl Postgres {
    /// initdb, configure, start, `CREATE DATABASE atlas`, `CREATE EXTENSION postgis`.
    #[must_use]
    pub fn start_new() -> Self {
        require_installed();
        let user = euid_is_root().then_some("postgres");
        // Under /tmp (traversable by postgres, and short enough for the socket path).
        let dir = tempfile::Builder::new()
            .prefix("cluster-atlas-pg-")
            .tempdir_in("/tmp")
            .expect("temp dir in /tmp");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod 0755");
        if let Some(u) = user {
            std::os::unix::fs::chown(dir.path(), Some(id_of(u, "-u")), Some(id_of(u, "-g"))).expect("chown to postgres");
        }
        let port = free_port();
        let pg = Self {
            url: format!("postgresql://postgres@127.0.0.1:{port}/{DATABASE}"),
            dir,
            port,
            user,
            running: AtomicBool::new(false),
        };
        let data = pg.data_dir();
        pg.run_server_program(&[
            "initdb",
            "-D",
            &data.to_string_lossy(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]);
        let conf = format!(
            "\n# cluster-atlas tests\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\njit = off\nmax_connections = 100\n",
            pg.dir.path().display()
        );
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path).expect("read postgresql.conf");
        text.push_str(&conf);
        std::fs::write(&conf_path, text).expect("write postgresql.conf");
        pg.start();
        pg.psql_in("postgres", &format!("CREATE DATABASE {DATABASE}"));
        pg.psql("CREATE EXTENSION postgis");
        pg
    }

    /// The cluster's data directory.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The directory holding the data directory, the server log and the socket.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server log (for failure messages).
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The postmaster's process id, from `postmaster.pid` (None when stopped).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Whether the server is running (as far as this fixture started/stopped it).
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    fn server_command(&self, program: &str) -> (Command, Vec<String>) {
        let path = Path::new(PG_BIN).join(program).to_string_lossy().into_owned();
        let mut argv = vec![];
        if let Some(u) = self.user {
            argv.extend(["runuser".to_owned(), "-u".to_owned(), u.to_owned(), "--".to_owned()]);
        }
        argv.push(path);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).current_dir(self.dir.path()).env("LC_ALL", "C");
        (cmd, argv)
    }

    fn try_server_program(&self, args: &[&str]) -> Result<(), String> {
        let (mut cmd, mut argv) = self.server_command(args[0]);
        cmd.args(&args[1..]);
        argv.extend(args[1..].iter().map(|a| (*a).to_owned()));
        let out = cmd.output().map_err(|e| format!("{}: {e}", argv.join(" ")))?;
        if out.status.success() { Ok(()) } else { Err(describe(&argv, &out)) }
    }

    fn run_server_program(&self, args: &[&str]) {
        if let Err(e) = self.try_server_program(args) {
            panic!("{e}\nserver log:\n{}", self.log());
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let data = self.data_dir().to_string_lossy().into_owned();
        let log = self.dir.path().join("log").to_string_lossy().into_owned();
        let mut all = vec!["pg_ctl", "-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.try_server_program(&all)
    }

    /// Starts the (stopped) server again, on the same port and data directory.
    pub fn start(&self) {
        if let Err(e) = self.pg_ctl(&["start"]) {
            panic!("{e}\nserver log:\n{}", self.log());
        }
        self.running.store(true, Ordering::SeqCst);
    }

    /// Stops the server (`pg_ctl stop -m fast`): connections are closed, the data kept.
    pub fn stop(&self) {
        if let Err(e) = self.pg_ctl(&["-m", "fast", "stop"]) {
            panic!("{e}\nserver log:\n{}", self.log());
        }
        self.running.store(false, Ordering::SeqCst);
    }

    /// `psql -c sql` on [`DATABASE`]: the unaligned, tuples-only output, or psql's error.
    ///
    /// # Errors
    /// psql's stderr when it fails (`ON_ERROR_STOP`).
    pub fn try_psql(&self, sql: &str) -> Result<String, String> {
        self.try_psql_in(DATABASE, sql)
    }

    /// [`Postgres::try_psql`] on database `db`.
    ///
    /// # Errors
    /// psql's stderr when it fails.
    pub fn try_psql_in(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(PSQL)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-U", "postgres", "-d", db, "-c", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE")
            .output()
            .map_err(|e| format!("{PSQL}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
        } else {
            Err(format!("psql: {sql}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// `psql -c sql` on [`DATABASE`]; panics on error.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in(DATABASE, sql)
    }

    /// `psql -c sql` on database `db`; panics on error.
    pub fn psql_in(&self, db: &str, sql: &str) -> String {
        self.try_psql_in(db, sql).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Always try, even if we think it is stopped: a failed start may have left it running.
        let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}
