//! A running server picks up what `cluster-atlas import` writes, without a restart, and keeps
//! serving its previous data when the folder holds a file that does not load.
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
fn imports_and_removals_are_served_without_a_restart_and_a_bad_file_changes_nothing() {
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

    // A file that does not parse: the reload fails, is logged, and the service goes on with
    // the data it had.
    std::fs::write(data.path().join("broken.geojson"), "{ not json").unwrap();
    eventually("the failed reload in the log", || {
        std::fs::read_to_string(&log_path).unwrap().contains("reload failed")
    });
    let h = health();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["layers"]["sites"], 2);
    assert!(h["layers"].get("broken").is_none());

    // Removing both files: the sites layer goes away on the next look.
    std::fs::remove_file(data.path().join("broken.geojson")).unwrap();
    std::fs::remove_file(data.path().join("sites.geojson")).unwrap();
    eventually("sites gone from /health", || health()["layers"].get("sites").is_none());
    assert_eq!(health()["layers"]["clusters"], clusters);
    let mut r = agent().get(format!("{}/collections/sites", s.base)).call().unwrap();
    assert_eq!(r.status(), 404, "{}", r.body_mut().read_to_string().unwrap());
}
