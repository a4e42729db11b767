//! `/nearest`, `/within` and `/search` on the real committed geodata, including
//! `geodata/clusters.geojson` (the acceptance checks).
#![allow(clippy::unwrap_used)]

mod common;
use common::{Reply, assert_problem, get};

fn ids(r: &Reply) -> Vec<&str> {
    r.json["features"]
        .as_array()
        .unwrap_or_else(|| panic!("no features in {}", r.json))
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// Haversine on R = 6,371,008.8 m, written out here so the test does not trust the code
/// under test for its expected value.
fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (l1, p1, l2, p2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[tokio::test]
async fn botou_foundry_cluster_is_nearest_to_botou() {
    let r = get("/nearest?lon=116.578&lat=38.076&k=3").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.content_type(), "application/geo+json");
    let features = r.json["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    // The cluster and the 泊头 development zone share the county's point: both come first.
    let first = &features[0];
    let tied: Vec<&str> = features[..2].iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(tied.contains(&"botou-casting"), "{tied:?}");
    assert_eq!(features[0]["properties"]["distance_m"], features[1]["properties"]["distance_m"]);
    assert_eq!(first["properties"]["layer"], "clusters");
    assert_eq!(first["properties"]["county_code"], "130981");
    let c = &first["geometry"]["coordinates"];
    let expected = haversine_m((116.578, 38.076), (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()));
    let got = first["properties"]["distance_m"].as_f64().unwrap();
    assert!((got - expected).abs() <= 0.05, "distance {got} vs hand-computed {expected}");
    let d: Vec<f64> = features.iter().map(|f| f["properties"]["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "not sorted: {d:?}");
}

#[tokio::test]
async fn nearest_foundry_from_beijing_is_botou_and_within_agrees() {
    // The foundry features of 泊头市 (the cluster and the development zone) share its point.
    let botou: Vec<String> = common::atlas()
        .point_layer("clusters")
        .unwrap()
        .features()
        .iter()
        .filter(|f| f.has_industry("foundry") && f.county_code.is_some_and(|c| c.to_string() == "130981"))
        .map(|f| f.id.clone())
        .collect();
    assert!(botou.contains(&"botou-casting".to_owned()), "{botou:?}");
    let r = get(&format!("/nearest?lon=116.3975&lat=39.9087&k={}&industry=foundry", botou.len())).await;
    let mut near = ids(&r);
    near.sort_unstable();
    let mut want: Vec<&str> = botou.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(near, want);
    let d = r.json["features"][0]["properties"]["distance_m"].as_f64().unwrap();
    // Everything /within returns for a radius just over that distance includes it, and
    // every foundry cluster /within finds is at least that far.
    let w = get(&format!("/within?lon=116.3975&lat=39.9087&radius_m={}&industry=foundry", d + 1.0)).await;
    let mut within = ids(&w);
    within.sort_unstable();
    assert_eq!(within, want);
    let w = get(&format!("/within?lon=116.3975&lat=39.9087&radius_m={}&industry=foundry", d - 1.0)).await;
    assert!(ids(&w).is_empty());
}

#[tokio::test]
async fn search_finds_botou_in_pinyin_chinese_and_english() {
    for q in ["botou", "bo%20tou", "%E6%B3%8A%E5%A4%B4", "Botou%20foundry"] {
        let r = get(&format!("/search?q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.json);
        assert!(ids(&r).contains(&"botou-casting"), "{q}: {:?}", ids(&r));
    }
    let r = get("/search?q=botou").await;
    assert_eq!(ids(&r)[..2], ["130981", "botou-casting"]);
    assert_eq!(r.json["features"][0]["properties"]["name_zh"], "泊头市");
    assert_eq!(r.json["features"][1]["properties"]["type"], "cluster");
}

#[tokio::test]
async fn search_liling_finds_the_city_and_its_ceramics() {
    let r = get("/search?q=liling").await;
    let found = ids(&r);
    assert_eq!(found[0], "430281", "{found:?}");
    assert_eq!(r.json["features"][0]["properties"]["name_zh"], "醴陵市");
    let ceramics: Vec<_> = r.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["layer"] == "clusters")
        .collect();
    assert!(!ceramics.is_empty(), "{found:?}");
    assert!(
        ceramics
            .iter()
            .all(|f| f["properties"]["name_zh"].as_str().unwrap().contains("醴陵"))
    );
}

#[tokio::test]
async fn real_data_limits() {
    assert_problem(&get("/nearest?lon=116.578&lat=38.076&k=1001").await, 400, Some("k"));
    assert_problem(
        &get("/within?lon=116.578&lat=38.076&radius_m=2000000.5").await,
        400,
        Some("radius_m"),
    );
    let r = get("/within?lon=116.578&lat=38.076&radius_m=2000000").await;
    assert_eq!(r.status, 200);
    assert!(ids(&r).len() > 10);
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["query"])
        .args(args)
        .args(["--data", common::geodata_dir().to_str().unwrap()])
        .output()
        .unwrap()
}

#[test]
fn cli_query_prints_a_table_or_geojson() {
    let out = cli(&["nearest", "--lon", "116.578", "--lat", "38.076", "-k", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("rank  km"), "{text}");
    assert!(
        lines[1..3].iter().any(|l| l.contains("botou-casting")) && lines[1].starts_with("1 ") && lines[1].contains("泊头"),
        "{text}"
    );

    let out = cli(&["nearest", "--lon", "116.578", "--lat", "38.076", "-k", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let first_two: Vec<&str> = v["features"].as_array().unwrap()[..2]
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(first_two.contains(&"botou-casting"), "{first_two:?}");

    let out = cli(&["search", "bo tou", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"botou-casting"), "{ids:?}");

    let out = cli(&["within", "--lon", "116.578", "--lat", "38.076", "--radius-m", "30000"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("botou-casting"), "{text}");
}

#[test]
fn cli_query_rejects_bad_arguments_by_name() {
    let out = cli(&["nearest", "--lon", "116.578", "--lat", "38.076", "-k", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("k must be between 1 and 1000"));
    let out = cli(&["within", "--lon", "116.578", "--lat", "38.076", "--radius-m", "3000000"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("radius_m"));
    let out = cli(&["search", "   "]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("q must not be blank"));
}
