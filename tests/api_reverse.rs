//! `/reverse`, `/health`, `/convert` through the router on the real geodata.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_problem, get, post_json};
use serde_json::json;

#[tokio::test]
async fn tiananmen_is_in_dongcheng() {
    let r = get("/reverse?lon=116.3975&lat=39.9087").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/geo+json");
    let p = &r.json["properties"];
    assert_eq!(p["code"], "110101");
    assert_eq!(p["name_zh"], "东城区");
    assert_eq!(p["name_pinyin"], "Dongcheng");
    assert_eq!(p["level"], "county");
    assert_eq!(p["province_code"], "110000");
    assert_eq!(p["province_name_zh"], "北京市");
    assert_eq!(p["prefecture_code"], "110100");
    let area = p["area_km2"].as_f64().unwrap();
    assert!((area - 41.84).abs() < 1.5, "东城区 is 41.84 km², got {area}");
    assert_eq!(r.json["geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn botou_foundry_town_is_in_botou_cangzhou_hebei() {
    let r = get("/reverse?lon=116.578&lat=38.076&geometry=false").await;
    assert_eq!(r.status, 200);
    let p = &r.json["properties"];
    assert_eq!(
        (p["code"].as_str(), p["name_zh"].as_str(), p["name_pinyin"].as_str()),
        (Some("130981"), Some("泊头市"), Some("Botou"))
    );
    assert_eq!(
        (p["prefecture_code"].as_str(), p["prefecture_name_zh"].as_str()),
        (Some("130900"), Some("沧州市"))
    );
    assert_eq!(
        (p["province_code"].as_str(), p["province_name_zh"].as_str()),
        (Some("130000"), Some("河北省"))
    );
    assert!(r.json["geometry"].is_null());
}

#[tokio::test]
async fn reverse_at_other_levels() {
    let r = get("/reverse?lon=116.578&lat=38.076&level=prefecture&geometry=false").await;
    assert_eq!(r.json["properties"]["code"], "130900");
    let r = get("/reverse?lon=116.578&lat=38.076&level=province&geometry=false").await;
    assert_eq!(r.json["properties"]["code"], "130000");
    assert!(r.json["properties"]["prefecture_code"].is_null());
}

#[tokio::test]
async fn outside_china_is_404_problem() {
    assert_problem(&get("/reverse?lon=2.35&lat=48.85").await, 404, None);
    // The open sea east of Shanghai.
    assert_problem(&get("/reverse?lon=124.0&lat=30.0").await, 404, None);
}

#[tokio::test]
async fn bad_parameters_are_400_problems_naming_the_parameter() {
    assert_problem(&get("/reverse?lon=abc&lat=39.9").await, 400, Some("lon"));
    assert_problem(&get("/reverse?lon=116.4").await, 400, Some("lat"));
    assert_problem(&get("/reverse?lon=181&lat=39.9").await, 400, Some("lon"));
    assert_problem(&get("/reverse?lon=116.4&lat=-91").await, 400, Some("lat"));
    assert_problem(&get("/reverse?lon=NaN&lat=39.9").await, 400, Some("lon"));
    assert_problem(&get("/reverse?lon=116.4&lat=39.9&geometry=maybe").await, 400, Some("geometry"));
    assert_problem(&get("/reverse?lng=116.4&lon=116.4&lat=39.9").await, 400, Some("lng"));
    assert_problem(&get("/reverse?lon=116.4&lat=39.9&level=village").await, 400, Some("level"));
}

#[tokio::test]
async fn batch_reverse_keeps_order_and_marks_misses_null() {
    let body = json!({"points": [[116.578, 38.076], [2.35, 48.85], [116.3975, 39.9087]]}).to_string();
    let r = post_json("/reverse", body).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let res = r.json["results"].as_array().unwrap();
    assert_eq!(res.len(), 3);
    assert_eq!(res[0]["code"], "130981");
    assert_eq!(res[0]["prefecture_code"], "130900");
    assert_eq!(res[0]["province_code"], "130000");
    assert!(res[1].is_null());
    assert_eq!(res[2]["name_zh"], "东城区");
}

#[tokio::test]
async fn batch_reverse_rejects_bad_and_oversized_bodies() {
    assert_problem(&post_json("/reverse", "{not json").await, 400, None);
    assert_problem(
        &post_json("/reverse", json!({"points": [[200.0, 10.0]]}).to_string()).await,
        400,
        None,
    );
    assert_problem(&post_json("/reverse", json!({"pts": []}).to_string()).await, 400, None);
    let many: Vec<[f64; 2]> = vec![[116.4, 39.9]; 10_001];
    assert_problem(&post_json("/reverse", json!({ "points": many }).to_string()).await, 413, None);
    let huge = format!("{{\"points\": [{}]}}", vec!["[116.4000000001, 39.9000000001]"; 100_000].join(","));
    assert_problem(&post_json("/reverse", huge).await, 413, None);
}

#[tokio::test]
async fn batch_of_ten_thousand_is_accepted() {
    let pts: Vec<[f64; 2]> = (0..10_000)
        .map(|i| [116.0 + f64::from(i % 100) * 0.01, 39.5 + f64::from(i / 100) * 0.01])
        .collect();
    let r = post_json("/reverse", json!({ "points": pts }).to_string()).await;
    assert_eq!(r.status, 200);
    let res = r.json["results"].as_array().unwrap();
    assert_eq!(res.len(), 10_000);
    assert!(res.iter().filter(|v| v["province_code"] == "110000").count() > 1000);
}

#[tokio::test]
async fn health_reports_source_counts() {
    let r = get("/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");
    assert_eq!(r.json["layers"]["provinces"], 34);
    assert_eq!(r.json["layers"]["prefectures"], 370);
    assert_eq!(r.json["layers"]["counties"], 2875);
}

#[tokio::test]
async fn convert_round_trips_through_gcj02() {
    let r = get("/convert?from=wgs84&to=gcj02&lon=116.391349&lat=39.907375").await;
    assert_eq!(r.status, 200);
    let out = &r.json["output"];
    assert!((out[0].as_f64().unwrap() - 116.397_590).abs() < 1e-5);
    assert!((out[1].as_f64().unwrap() - 39.908_776).abs() < 1e-5);
    let back = get(&format!("/convert?from=gcj02&to=wgs84&lon={}&lat={}", out[0], out[1])).await;
    assert!((back.json["output"][0].as_f64().unwrap() - 116.391_349).abs() < 1e-8);
    assert_problem(&get("/convert?from=mars&to=wgs84&lon=1&lat=1").await, 400, Some("from"));
}

#[tokio::test]
async fn unknown_path_is_404_problem() {
    assert_problem(&get("/nope").await, 404, None);
}
