//! Hostile and out-of-range input against the real binary (issue 12): the `--max-*` limits
//! answered as documented problems, Web Mercator output beyond its latitude range, static
//! files that cannot be escaped, user-layer text escaped in HTML, and no internal paths in
//! any answer.
#![allow(clippy::unwrap_used)]

mod common;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

/// One HTTP/1.1 request written byte for byte (no client normalises `..` or `%2e` away):
/// the status, the header block and the body.
fn raw_get(base: &str, target: &str) -> (u16, String, Vec<u8>) {
    let addr = base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).unwrap();
    write!(tcp, "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    tcp.read_to_end(&mut reply).unwrap();
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, reply[split + 4..].to_vec())
}

fn get(base: &str, path: &str) -> (u16, String, String) {
    let mut r = common::server::agent().get(format!("{base}{path}")).call().unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = r.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap();
    (r.status().as_u16(), ct, String::from_utf8_lossy(&bytes).into_owned())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Asserts a problem+json answer with `status` (and `parameter` if given).
fn assert_problem((status, ct, body): &(u16, String, String), want: u16, parameter: Option<&str>) {
    assert_eq!(*status, want, "{body}");
    assert_eq!(ct, "application/problem+json", "{body}");
    let p = json(body);
    assert_eq!(p["status"], want);
    if let Some(name) = parameter {
        assert_eq!(p["parameter"], name, "{p}");
    }
}

#[test]
fn max_options_bound_requests_and_are_documented() {
    let args = [
        "--max-k",
        "5",
        "--max-items",
        "3",
        "--max-radius-m",
        "50000",
        "--max-within",
        "7",
        "--max-batch-points",
        "2",
        "--max-body-bytes",
        "300",
        "--max-zoom",
        "10",
        "--max-result-mb",
        "1",
    ];
    let s = common::server::start_with(&common::geodata_dir(), &args, Stdio::null());
    let b = &s.base;
    // k: the limit itself is fine, one more is a 400 naming `k`.
    let near = json(&get(b, "/nearest?lon=116.578&lat=38.076&k=5").2);
    assert_eq!(near["features"].as_array().unwrap().len(), 5);
    assert_problem(&get(b, "/nearest?lon=116.578&lat=38.076&k=6"), 400, Some("k"));
    // Items pages are clamped (OGC API – Features), not refused.
    let page = json(&get(b, "/collections/counties/items?limit=100&properties=code").2);
    assert_eq!(page["numberReturned"], 3);
    assert_problem(&get(b, "/within?lon=116.578&lat=38.076&radius_m=50001"), 400, Some("radius_m"));
    // Found by scripts/fuzz-api: empty names in a properties list were silently dropped.
    assert_problem(&get(b, "/collections/clusters/items?properties=,,,"), 400, Some("properties"));
    assert_problem(&get(b, "/collections/clusters/items?properties="), 400, Some("properties"));
    assert_problem(
        &get(b, "/collections/clusters/items?properties=name_zh,,id"),
        400,
        Some("properties"),
    );
    assert_problem(&get(b, "/within?lon=116.578&lat=38.076&radius_m=1000&limit=8"), 400, Some("limit"));
    // Tiles: zoom 10 is served, 11 is outside what this server offers.
    let (status, _, _) = get(b, "/tiles/counties/10/843/388.mvt");
    assert!(status == 200 || status == 204, "{status}");
    assert_problem(&get(b, "/tiles/counties/11/1686/777.mvt"), 404, None);
    let tilejson = json(&get(b, "/tiles/counties.json").2);
    assert_eq!(tilejson["maxzoom"], 10);
    // Bodies: 3 points are one too many (413); a body over 300 bytes is 413 as well.
    let post = |body: &str| {
        let mut r = common::server::agent()
            .post(format!("{b}/reverse"))
            .content_type("application/json")
            .send(body)
            .unwrap();
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        (r.status().as_u16(), ct, r.body_mut().read_to_string().unwrap())
    };
    let ok = json(&post(r#"{"points": [[116.578, 38.076], [116.3975, 39.9087]]}"#).2);
    assert_eq!(ok["results"][0]["code"], "130981");
    assert_problem(&post(r#"{"points": [[116.578, 38.076], [116.3975, 39.9087], [1, 1]]}"#), 413, None);
    let big = format!(r#"{{"points": [[116.578, 38.076]], "pad": "{}"}}"#, "x".repeat(400));
    assert_problem(&post(&big), 413, None);
    // A streamed answer beyond 1 MiB is cut off: the transfer fails, it never ends as a
    // complete-looking document.
    let mut r = common::server::agent()
        .get(format!("{b}/collections/counties/items?limit=3"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let small = r.body_mut().read_to_string().unwrap();
    assert_eq!(json(&small)["numberReturned"], 3, "a page under the limit is whole");
    let mut r = common::server::agent()
        .get(format!("{b}/density?level=county&all=true&geometry=true"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut body = Vec::new();
    let read = r.body_mut().with_config().limit(1 << 30).reader().read_to_end(&mut body);
    assert!(read.is_err(), "a {} byte body was delivered whole", body.len());
    assert!(body.len() <= 1024 * 1024 + 64 * 1024, "{} bytes sent", body.len());
    // The document states this server's limits.
    let api = json(&get(b, "/api?f=json").2);
    let maximum = |path: &str, name: &str| {
        let params = api["paths"][path]["get"]["parameters"].as_array().unwrap();
        params.iter().find(|p| p["name"] == name).unwrap()["schema"]["maximum"].clone()
    };
    assert_eq!(maximum("/nearest", "k"), 5);
    assert_eq!(maximum("/tiles/{layer}/{z}/{x}/{y}.mvt", "z"), 10);
    assert!(api["info"]["description"].as_str().unwrap().contains("`/nearest` k ≤ 5"));
    // The server is still healthy.
    assert_eq!(get(b, "/health").0, 200);
}

#[test]
fn a_limit_out_of_range_stops_start_up_with_a_message_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["serve", "--addr", "127.0.0.1:0", "--max-k", "1001"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--max-k must be greater than 0 and at most 1000, got 1001"), "{err}");
}

#[test]
fn user_layers_at_the_poles_stay_inside_web_mercator_and_their_text_is_escaped_in_html() {
    let data = common::server::data_folder();
    let csv = data.path().join("odd.csv");
    std::fs::write(
        &csv,
        "id,name_zh,note,lon,lat\n\
         pole,北极站,\"\"\"onmouseover=alert(1) x=\"\"\",10,90\n\
         south,<script>alert(1)</script>,=HYPERLINK(\"\"http://x\"\"),-20,-89.5\n\
         botou,泊头,ok,116.578,38.076\n",
    )
    .unwrap();
    common::server::import(data.path(), &csv, "odd");
    let s = common::server::start_with(data.path(), &[], Stdio::null());
    let b = &s.base;

    // Web Mercator: latitudes beyond ±85.0511° are clipped to the edge of the square.
    let (status, _, body) = get(b, "/collections/odd/items?crs=EPSG:3857");
    assert_eq!(status, 200, "{body}");
    let fc = json(&body);
    let xy = |id: &str| {
        let f = fc["features"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap();
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    let edge = 20_037_508.342_789_244;
    let (x, y) = xy("pole");
    assert!((x - 1_113_194.907_932_7).abs() < 0.01 && (y - edge).abs() < 0.01, "({x}, {y})");
    assert!((xy("south").1 + edge).abs() < 0.01, "{:?}", xy("south"));
    // CRS84 output keeps the stored latitude.
    let plain = json(&get(b, "/collections/odd/items/pole").2);
    assert_eq!(plain["geometry"]["coordinates"][1], 90.0);

    // HTML pages escape every value a user layer brings.
    for path in [
        "/collections/odd/items?f=html",
        "/collections/odd/items/south?f=html",
        "/collections/odd/items/pole?f=html",
    ] {
        let (status, ct, html) = get(b, path);
        assert_eq!(status, 200, "{path}");
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(!html.contains("<script>alert(1)</script>"), "{path}: unescaped script");
        assert!(!html.contains("\"onmouseover=alert(1)"), "{path}: unescaped attribute");
    }
    let (_, _, html) = get(b, "/collections/odd/items/south?f=html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    let (_, _, html) = get(b, "/collections/odd/items/pole?f=html");
    assert!(html.contains("&quot;onmouseover=alert(1) x=&quot;"), "{html}");
}

#[test]
fn static_files_cannot_be_escaped_and_errors_show_no_internal_paths() {
    let s = common::server::start();
    let (status, head, body) = raw_get(&s.base, "/map/js/dom.js");
    assert_eq!(status, 200, "{head}");
    assert!(String::from_utf8_lossy(&body).contains("without innerHTML"));
    for target in [
        "/map/../Cargo.toml",
        "/map/../../../../etc/passwd",
        "/map/%2e%2e/Cargo.toml",
        "/map/%2E%2E/%2E%2E/etc/passwd",
        "/map/..%2fCargo.toml",
        "/map/js/..%2f..%2fCargo.toml",
        "/map/%2fetc%2fpasswd",
        "/map//etc/passwd",
        "/map/%c0%ae%c0%ae/Cargo.toml",
        "/map/%c0%ae%c0%ae%c0%afCargo.toml",
        "/map/..%5cCargo.toml",
        "/map/js/%00dom.js",
        "/map/node_modules/playwright-core/package.json",
        "/map/tests/map.test.mjs",
    ] {
        let (status, head, body) = raw_get(&s.base, target);
        let text = String::from_utf8_lossy(&body);
        assert!((400..500).contains(&status), "{target}: {status}\n{head}\n{text}");
        assert!(
            !text.contains("[package]") && !text.contains("root:") && !text.contains("\"version\""),
            "{target}: {text}"
        );
        assert!(
            head.to_ascii_lowercase().contains("content-type: application/problem+json"),
            "{target}: {head}"
        );
    }
    // No error answer shows where the server's files or sources are.
    let here = env!("CARGO_MANIFEST_DIR");
    for path in [
        "/nope",
        "/collections/nope/items",
        "/collections/clusters/items?filter=name_zh%20%3D",
        "/collections/clusters/items?filter-lang=cql2-json&filter=%7B",
        "/nearest?lon=abc&lat=1",
        "/tiles/counties/99/0/0.mvt",
        "/density?measure=%00",
        "/reverse?lon=1e999&lat=0",
    ] {
        let (status, _, body) = get(&s.base, path);
        assert!((400..500).contains(&status), "{path}: {status} {body}");
        for leak in [here, "/src/", ".rs:", "panicked", "RUST_BACKTRACE", "/root/", "/home/"] {
            assert!(!body.contains(leak), "{path} shows {leak:?}: {body}");
        }
    }
}
