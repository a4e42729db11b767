//! End to end: the real binary serving on an ephemeral loopback port, a real HTTP client.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server when the test ends, pass or fail.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

#[test]
fn serves_reverse_geocoding_over_http() {
    let s = start();
    let a = agent();
    let mut r = a.get(format!("{}/reverse?lon=116.3975&lat=39.9087", s.base)).call().unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["properties"]["code"], "110101");
    assert_eq!(v["properties"]["name_zh"], "东城区");

    let mut r = a.get(format!("{}/reverse?lon=abc&lat=39.9087", s.base)).call().unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers().get("content-type").unwrap(), "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["parameter"], "lon");

    let mut r = a.get(format!("{}/health", s.base)).call().unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["layers"]["counties"], 2875);

    let r = a
        .get(format!("{}/reverse?lon=116.3975&lat=39.9087", s.base))
        .header("accept-encoding", "gzip")
        .call()
        .unwrap();
    assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));

    let r = a
        .post(format!("{}/reverse", s.base))
        .header("content-type", "application/json")
        .send(r#"{"points": [[116.578, 38.076]]}"#)
        .unwrap();
    assert_eq!(r.status(), 200);
}
