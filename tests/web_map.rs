//! The web map: served by the service (MIME types, caching, no path escape) and driven in
//! Debian's Chromium through playwright-core against the real binary (`web/tests/map.test.mjs`,
//! which compares what the page shows with what the API answers).
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_problem, get, get_with};
use std::path::Path;
use std::process::Command;

#[tokio::test]
async fn the_map_page_and_maplibre_are_served_with_their_media_types() {
    let r = get("/map/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "text/html; charset=utf-8");
    assert_eq!(r.headers["cache-control"], "no-cache");
    let page = String::from_utf8(r.bytes.clone()).unwrap();
    assert!(page.contains(r#"<script type="module" src="js/main.js">"#));
    assert!(page.contains("vendor/maplibre-gl/maplibre-gl.css"));
    // Nothing on the page points at another host.
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//unpkg") && !page.contains("//cdn"));

    let r = get("/map/vendor/maplibre-gl/maplibre-gl.mjs").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "text/javascript; charset=utf-8");
    let on_disk = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("web/vendor/maplibre-gl/maplibre-gl.mjs")).unwrap();
    assert_eq!(r.bytes, on_disk);
    assert_eq!(r.headers["cache-control"], "public, max-age=3600");
    assert_eq!(get("/map/app.css").await.content_type(), "text/css; charset=utf-8");
    assert_eq!(get("/map/js/main.js").await.content_type(), "text/javascript; charset=utf-8");
}

#[tokio::test]
async fn a_repeat_request_with_the_etag_gets_304() {
    let r = get("/map/js/main.js").await;
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    let again = get_with("/map/js/main.js", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
    let other = get_with("/map/js/main.js", &[("if-none-match", "\"0\"")]).await;
    assert_eq!(other.status, 200);
}

#[tokio::test]
async fn bare_map_redirects_and_nothing_outside_the_map_is_reachable() {
    let r = get("/map").await;
    assert_eq!(r.status, 308);
    assert_eq!(r.headers["location"], "/map/");
    for uri in [
        "/map/%2e%2e/Cargo.toml",
        "/map/..%2fCargo.toml",
        "/map/js/%2e%2e/%2e%2e/Cargo.toml",
        "/map/package.json",
        "/map/node_modules/maplibre-gl/package.json",
        "/map/tests/map.test.mjs",
        "/map/nope.js",
    ] {
        let r = get(uri).await;
        assert_problem(&r, 404, None);
    }
}

#[tokio::test]
async fn the_landing_page_links_the_map() {
    let r = get_with("/", &[("accept", "text/html")]).await;
    let html = String::from_utf8(r.bytes).unwrap();
    assert!(html.contains("/map/\">the web map</a>"), "{html}");
}

fn web_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

#[test]
fn vendored_maplibre_is_the_pinned_npm_package() {
    let out = Command::new("node")
        .arg("scripts/vendor.mjs")
        .arg("--check")
        .current_dir(web_dir())
        .output()
        .expect("node (scripts/setup --test installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_map_modules_pass_their_unit_tests() {
    let out = Command::new("node")
        .args(["--test", "tests/unit.test.mjs"])
        .current_dir(web_dir())
        .output()
        .expect("node (scripts/setup --test installs it)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("# pass 12"), "{report}");
}

#[test]
fn the_map_works_in_chromium() {
    let server = common::server::start();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/browser");
    let out = Command::new("node")
        .arg("tests/map.test.mjs")
        .arg(&server.base)
        .arg(&shots)
        .current_dir(web_dir())
        .output()
        .expect("node (scripts/setup --test installs it)");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{report}");
    assert!(out.status.success(), "browser tests failed:\n{report}");
    // Each check printed its own line; all seventeen ran.
    assert_eq!(report.lines().filter(|l| l.starts_with("ok - ")).count(), 17, "{report}");
    assert!(shots.join("03-near-botou.png").exists());
}

/// Imports one point named `name` (a CSV field, quoted) as `layer` and runs
/// `web/tests/user-layer.test.mjs` on it.
fn check_imported_layer_in_chromium(layer: &str, name: &str) {
    let data = common::server::data_folder();
    let csv = data.path().join(format!("{layer}.csv"));
    let field = format!("\"{}\"", name.replace('"', "\"\""));
    std::fs::write(&csv, format!("name_zh,lon,lat\n{field},116.40,38.00\n")).unwrap();
    common::server::import(data.path(), &csv, layer);
    let server = common::server::start_with(data.path(), &[], std::process::Stdio::null());
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/browser");
    let out = Command::new("node")
        .args(["tests/user-layer.test.mjs", &server.base, layer, "116.40", "38.00", name])
        .arg(&shots)
        .current_dir(web_dir())
        .output()
        .expect("node (scripts/setup --test installs it)");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && report.contains(&format!("ok - imported layer {layer}")),
        "{report}"
    );
}

#[test]
fn an_imported_layer_is_drawn_and_clickable_in_chromium() {
    check_imported_layer_in_chromium("plants", "测试工厂");
}

#[test]
fn markup_in_a_user_layer_is_shown_as_text_in_chromium() {
    check_imported_layer_in_chromium(
        "hostile",
        "<img src=x onerror=\"window.__xss=1\">\"onmouseover=window.__xss=2 <script>window.__xss=3</script>",
    );
}

#[test]
fn the_ogc_pages_show_tables_and_maps_in_chromium() {
    let server = common::server::start();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/browser");
    let out = Command::new("node")
        .args(["tests/ogc-pages.test.mjs", &server.base])
        .arg(&shots)
        .current_dir(web_dir())
        .output()
        .expect("node (scripts/setup --test installs it)");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert_eq!(report.lines().filter(|l| l.starts_with("ok - ")).count(), 4, "{report}");
}
