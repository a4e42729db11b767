//! `POST /admin/reload` on the real binary: absent without a token (read-only), 401 with a
//! missing or wrong token, a swap that fails no request in flight, a folder whose boundaries
//! do not load refused while the old data keeps serving, and SIGHUP still reloading.
#![allow(clippy::unwrap_used)]

mod common;
use common::server::{Server, agent};
use std::io::Read;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "test-admin-token-0123456789";

fn reload(s: &Server, auth: Option<&str>) -> (u16, ureq::http::HeaderMap, serde_json::Value) {
    let mut req = agent().post(format!("{}/admin/reload", s.base));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let mut r = req.send_empty().unwrap();
    let headers = r.headers().clone();
    let body = r.body_mut().read_to_string().unwrap();
    (r.status().as_u16(), headers, serde_json::from_str(&body).unwrap())
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn health(s: &Server) -> serde_json::Value {
    let mut r = agent().get(format!("{}/health", s.base)).call().unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn start_admin(data: &std::path::Path) -> Server {
    common::server::start_with_env(
        data,
        &["--reload-every", "0"],
        &[("CLUSTER_ATLAS_ADMIN_TOKEN", TOKEN)],
        Stdio::null(),
    )
}

#[test]
fn without_a_token_the_service_is_read_only_and_the_route_is_absent() {
    let s = common::server::start();
    for auth in [None, Some("Bearer anything-at-all-0123456789")] {
        let (status, headers, problem) = reload(&s, auth);
        assert_eq!(status, 404);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(problem["type"], "/problems/not-found");
    }
}

#[test]
fn a_short_token_stops_the_server_from_starting() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("CLUSTER_ATLAS_ADMIN_TOKEN", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CLUSTER_ATLAS_ADMIN_TOKEN") && stderr.contains("16"), "{stderr}");
}

#[test]
fn reload_needs_the_bearer_token() {
    let data = common::server::data_folder();
    let s = start_admin(data.path());
    let (status, headers, problem) = reload(&s, None);
    assert_eq!(status, 401);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="cluster-atlas admin""#);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["type"], "/problems/unauthorized");
    for wrong in [
        format!("Bearer {TOKEN}x"),
        format!("Bearer {}", &TOKEN[1..]),
        format!("Basic {TOKEN}"),
        TOKEN.to_owned(),
    ] {
        let (status, headers, problem) = reload(&s, Some(&wrong));
        assert_eq!(status, 401, "{wrong}");
        assert_eq!(
            headers["www-authenticate"],
            r#"Bearer realm="cluster-atlas admin", error="invalid_token""#
        );
        assert_eq!(problem["status"], 401);
    }
    let mut get = agent().get(format!("{}/admin/reload", s.base)).call().unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    assert_eq!(get.headers()["content-type"], "application/problem+json");
    assert!(get.body_mut().read_to_string().unwrap().contains("use POST"));

    let (status, _, done) = reload(&s, Some(&bearer()));
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["generation"], 1);
    assert_eq!(done["layers"]["counties"], 2875);
    assert_eq!(
        done["layers"]["clusters"],
        common::atlas().point_layer("clusters").unwrap().features().len()
    );
    assert_eq!(done["rejected_layers"], serde_json::json!([]));
}

/// Requests sent while reloads swap the data all succeed, a whole-layer answer streaming
/// across a reload arrives whole, and a folder whose boundaries do not load changes nothing.
#[test]
fn reloads_swap_the_data_without_failing_requests_and_a_bad_folder_changes_nothing() {
    let data = common::server::data_folder();
    let s = start_admin(data.path());
    let base = s.base.clone();

    // A whole-layer answer (~100 MB) started before the reloads and read after them.
    let mut big = agent()
        .get(format!("{base}/collections/counties/items?limit=10000"))
        .call()
        .unwrap();
    assert_eq!(big.status(), 200);
    let mut big_reader = big.body_mut().with_config().limit(1 << 30).reader();
    let mut head = vec![0_u8; 64 * 1024];
    big_reader.read_exact(&mut head).unwrap();

    let stop = AtomicBool::new(false);
    let (ok, failed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for path in [
            "/nearest?lon=116.578&lat=38.076&k=5",
            "/reverse?lon=116.578&lat=38.076",
            "/tiles/counties/5/26/12.mvt",
        ] {
            let (base, stop, ok, failed) = (&base, &stop, &ok, &failed);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let whole = agent()
                        .get(format!("{base}{path}"))
                        .call()
                        .is_ok_and(|mut r| r.status() == 200 && r.body_mut().read_to_vec().is_ok());
                    if whole { ok } else { failed }.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let csv = data.path().join("sites.csv");
        std::fs::write(&csv, "name_zh,lon,lat\n新厂,116.578,38.076\n旧厂,113.43,27.67\n").unwrap();
        common::server::import(data.path(), &csv, "sites");
        for generation in 1..=3 {
            let (status, _, done) = reload(&s, Some(&bearer()));
            assert_eq!(status, 200, "{done}");
            assert_eq!(done["generation"], generation);
            assert_eq!(done["layers"]["sites"], 2);
        }
        stop.store(true, Ordering::Relaxed);
    });
    let (ok, failed) = (ok.into_inner(), failed.into_inner());
    assert_eq!(failed, 0, "{failed} of {} requests failed during reloads", ok + failed);
    assert!(ok > 0);
    let mut rest = Vec::new();
    big_reader.read_to_end(&mut rest).unwrap();
    head.extend_from_slice(&rest);
    let whole: serde_json::Value = serde_json::from_slice(&head).unwrap();
    assert_eq!(whole["features"].as_array().unwrap().len(), 2875);
    assert_eq!(health(&s)["layers"]["sites"], 2);

    // Boundaries that do not load: 422 naming the file inside the folder (not the folder's
    // path), and the data of the last good reload is still served.
    let counties = data.path().join("counties.fgb");
    std::fs::remove_file(&counties).unwrap();
    std::fs::write(&counties, b"not a flatgeobuf file").unwrap();
    let (status, headers, problem) = reload(&s, Some(&bearer()));
    assert_eq!(status, 422, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["type"], "/problems/invalid-data");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("counties.fgb"), "{detail}");
    assert!(!detail.contains(data.path().to_str().unwrap()), "{detail}");
    let h = health(&s);
    assert_eq!(h["layers"]["counties"], 2875);
    assert_eq!(h["layers"]["sites"], 2);
    let mut r = agent().get(format!("{base}/reverse?lon=116.578&lat=38.076")).call().unwrap();
    assert_eq!(r.status(), 200, "{}", r.body_mut().read_to_string().unwrap());

    // SIGHUP still reloads (the watcher is off: --reload-every 0).
    std::fs::remove_file(&counties).unwrap();
    std::os::unix::fs::symlink(common::geodata_dir().join("counties.fgb"), &counties).unwrap();
    std::fs::remove_file(data.path().join("sites.geojson")).unwrap();
    s.signal("HUP");
    let start = Instant::now();
    while health(&s)["layers"].get("sites").is_some() {
        assert!(start.elapsed() < Duration::from_secs(60), "SIGHUP did not reload");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, _, done) = reload(&s, Some(&bearer()));
    assert_eq!(done["generation"], 5, "3 reloads, SIGHUP, this one");
}
