//! The real binary serving the committed geodata on an ephemeral loopback port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `cluster-atlas serve`; killed when dropped, pass or fail.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl Server {
    /// The server's process id (to read its memory from `/proc`).
    #[must_use]
    #[allow(dead_code, reason = "not every test binary reads it")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Server {
    /// Sends `signal` (e.g. `"TERM"`, `"HUP"`) to the server with kill(1).
    #[allow(dead_code, reason = "not every test binary signals")]
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal}");
    }

    /// Waits for the server to exit by itself, for at most `limit`; `None` if it is still running.
    #[allow(dead_code, reason = "not every test binary stops the server")]
    pub fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on `127.0.0.1:0` and reads its URL from the first line it prints.
pub fn start() -> Server {
    start_with(&super::geodata_dir(), &[], Stdio::null())
}

/// Starts the server on `data` with extra `serve` arguments, its log going to `stderr`.
pub fn start_with(data: &std::path::Path, args: &[&str], stderr: impl Into<Stdio>) -> Server {
    start_with_env(data, args, &[], stderr)
}

/// [`start_with`], with extra environment variables (and no admin token unless given).
pub fn start_with_env(data: &std::path::Path, args: &[&str], env: &[(&str, &str)], stderr: impl Into<Stdio>) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(args)
        .env_remove("CLUSTER_ATLAS_ADMIN_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    Server {
        child,
        base: url.trim_end_matches('/').to_owned(),
    }
}

/// A temporary data folder with the committed boundaries (linked) and clusters (copied).
#[must_use]
pub fn data_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let geodata = super::geodata_dir();
    for f in ["provinces.fgb", "prefectures.fgb", "counties.fgb"] {
        std::os::unix::fs::symlink(geodata.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::copy(geodata.join("clusters.geojson"), dir.path().join("clusters.geojson")).unwrap();
    dir
}

/// Runs `cluster-atlas import csv --layer layer --data data` and asserts it succeeded.
pub fn import(data: &std::path::Path, csv: &std::path::Path, layer: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .arg("import")
        .arg(csv)
        .args(["--layer", layer, "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An HTTP client that returns 4xx/5xx responses instead of failing on them.
#[must_use]
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}
