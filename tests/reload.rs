//! A running server picks up what `cluster-atlas import` writes, without a restart; a user
//! layer that does not load is skipped (listed in `/health` under `rejected_layers`) while
//! everything else is served, at start-up and on reload; boundaries that do not load stop
//! the start with an error naming the file.
#![allow(clippy::unwrap_used)]

mod common;
use common::server::agent;
use std::time::{Duration, Instant};

fn get_json(base: &str, path: &str) -> serde_json::Value {
    let mut r = agent().get(format!("{base}{path}")).call().unwrap();
    assert_eq!(r.status(), 200, "{path}");
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

/// Polls `cond` every 100 ms for up to 60 s (the server looks at its folder every second).
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(60), "gave up waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn imports_and_removals_are_served_without_a_restart_and_a_bad_user_file_is_rejected_alone() {
    let data = common::server::data_folder();
    let log_path = data.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let s = common::server::start_with(data.path(), &["--reload-every", "1"], log);
    let health = || get_json(&s.base, "/health");
    let clusters = common::atlas().point_layer("clusters").unwrap().features().len();
    assert_eq!(health()["layers"]["clusters"], clusters);
    assert!(health()["layers"].get("sites").is_none());

    // Two sites, one in Botou: imported while the server runs.
    let csv = data.path().join("sites.csv");
    std::fs::write(&csv, "name_zh,lon,lat\n新厂,116.578,38.076\n旧厂,113.43,27.67\n").unwrap();
    common::server::import(data.path(), &csv, "sites");
    eventually("the sites layer in /health", || health()["layers"]["sites"] == 2);
    let near = get_json(&s.base, "/nearest?lon=116.578&lat=38.076&k=1&layer=sites");
    assert_eq!(near["features"][0]["properties"]["name_zh"], "新厂");
    assert_eq!(near["features"][0]["properties"]["county_code"], "130981");
    let collections = get_json(&s.base, "/collections");
    assert!(collections["collections"].as_array().unwrap().iter().any(|c| c["id"] == "sites"));

    // A file that does not parse: that layer is rejected (logged, listed in /health), the
    // others are served.
    std::fs::write(data.path().join("broken.geojson"), "{ not json").unwrap();
    eventually("broken in rejected_layers", || {
        !health()["rejected_layers"].as_array().unwrap().is_empty()
    });
    let h = health();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["layers"]["sites"], 2);
    assert!(h["layers"].get("broken").is_none());
    let rejected = &h["rejected_layers"][0];
    assert_eq!((&rejected["name"], &rejected["file"]), (&"broken".into(), &"broken.geojson".into()));
    assert!(rejected["error"].as_str().unwrap().contains("line 1"), "{rejected}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("broken.geojson") && log.contains("rejected"), "{log}");

    // Removing both files: the sites layer goes away on the next look.
    std::fs::remove_file(data.path().join("broken.geojson")).unwrap();
    std::fs::remove_file(data.path().join("sites.geojson")).unwrap();
    eventually("sites gone from /health", || health()["layers"].get("sites").is_none());
    assert_eq!(health()["layers"]["clusters"], clusters);
    assert_eq!(health()["rejected_layers"], serde_json::json!([]));
    let mut r = agent().get(format!("{}/collections/sites", s.base)).call().unwrap();
    assert_eq!(r.status(), 404, "{}", r.body_mut().read_to_string().unwrap());
}

/// A user layer whose second feature has no coordinates: served without it, at start-up.
#[test]
fn a_malformed_user_layer_is_skipped_at_start_up_naming_file_and_record() {
    let data = common::server::data_folder();
    std::fs::write(
        data.path().join("mine.geojson"),
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[116.5,38.0]},"properties":{"name_zh":"甲"}},
{"type":"Feature","id":"b","geometry":null,"properties":{"name_zh":"乙"}}]}"#,
    )
    .unwrap();
    let log_path = data.path().join("server.log");
    let s = common::server::start_with(data.path(), &["--reload-every", "0"], std::fs::File::create(&log_path).unwrap());
    let h = get_json(&s.base, "/health");
    assert_eq!(h["layers"]["counties"], 2875);
    assert_eq!(
        h["layers"]["clusters"],
        common::atlas().point_layer("clusters").unwrap().features().len()
    );
    assert!(h["layers"].get("mine").is_none());
    let rejected = h["rejected_layers"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["name"], "mine");
    assert_eq!(rejected[0]["file"], "mine.geojson");
    let error = rejected[0]["error"].as_str().unwrap();
    assert!(error.starts_with("record 2: "), "{error}");
    assert!(!error.contains(data.path().to_str().unwrap()), "{error}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("ERROR"))
        .unwrap_or_else(|| panic!("no error line in {log}"));
    assert!(line.contains("mine.geojson") && line.contains("record 2"), "{line}");
    let mut r = agent().get(format!("{}/collections/mine", s.base)).call().unwrap();
    assert_eq!(r.status(), 404, "{}", r.body_mut().read_to_string().unwrap());
}

#[test]
fn malformed_boundaries_stop_the_start_naming_the_file() {
    let data = common::server::data_folder();
    let counties = data.path().join("counties.fgb");
    std::fs::remove_file(&counties).unwrap();
    std::fs::write(&counties, b"not a flatgeobuf file").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("counties.fgb"), "{stderr}");
    assert!(out.stdout.is_empty(), "never listened: {}", String::from_utf8_lossy(&out.stdout));
}
