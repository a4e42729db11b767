//! `/search` through the router on a small fixture atlas: two counties, their prefecture
//! and two clusters.
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::atlas::{Atlas, PointLayer};
use cluster_atlas::model::{AdminCode, AdminLevel, AdminUnit, PlaceFeature, Precision};
use common::{Reply, assert_problem};
use geo::{MultiPolygon, Point, polygon};
use serde_json::json;

fn unit(code: &str, name_zh: &str, level: AdminLevel, lon: f64, lat: f64) -> AdminUnit {
    let code: AdminCode = code.parse().unwrap();
    AdminUnit {
        code,
        name_zh: name_zh.into(),
        name_pinyin: cluster_atlas::names::admin_name_pinyin(name_zh),
        level,
        province_code: code.province(),
        province_name_zh: String::new(),
        prefecture_code: None,
        prefecture_name_zh: None,
        area_km2: 1.0,
        representative_point: Point::new(lon, lat),
        geometry: MultiPolygon::new(vec![
            polygon![(x: lon - 0.1, y: lat - 0.1), (x: lon + 0.1, y: lat - 0.1), (x: lon, y: lat + 0.1)],
        ]),
    }
}

fn cluster(id: &str, name_zh: &str, name_en: &str, industry: &str, lon: f64, lat: f64) -> PlaceFeature {
    PlaceFeature {
        id: id.into(),
        point: Point::new(lon, lat),
        name_zh: name_zh.into(),
        name_en: Some(name_en.into()),
        kind: Some("cluster".into()),
        industries: vec![industry.into()],
        time: None,
        county_code: None,
        prefecture_code: None,
        province_code: None,
        precision: Precision::Town,
        properties: json!({"id": id, "name_zh": name_zh}).as_object().unwrap().clone(),
    }
}

fn fixture() -> Atlas {
    Atlas::builder()
        .admin_units(
            AdminLevel::County,
            vec![
                unit("130981", "泊头市", AdminLevel::County, 116.55, 38.05),
                unit("430281", "醴陵市", AdminLevel::County, 113.45, 27.65),
            ],
        )
        .admin_units(
            AdminLevel::Prefecture,
            vec![unit("130900", "沧州市", AdminLevel::Prefecture, 116.8, 38.3)],
        )
        .point_layer(PointLayer::new(
            "clusters",
            "Clusters",
            vec![
                cluster(
                    "botou-casting",
                    "泊头铸造产业集群",
                    "Botou foundry cluster",
                    "foundry",
                    116.57,
                    38.07,
                ),
                cluster(
                    "liling-ceramics",
                    "醴陵陶瓷产业集群",
                    "Liling ceramics cluster",
                    "ceramics",
                    113.5,
                    27.65,
                ),
            ],
        ))
        .build()
}

async fn get(uri: &str) -> Reply {
    common::get_on(fixture(), uri).await
}

fn ids(r: &Reply) -> Vec<&str> {
    r.json["features"]
        .as_array()
        .unwrap_or_else(|| panic!("no features in {}", r.json))
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn pinyin_chinese_and_english_find_botou() {
    for q in ["botou", "bo%20tou", "BoTou", "%E6%B3%8A%E5%A4%B4", "Botou%20foundry"] {
        let r = get(&format!("/search?q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.json);
        assert!(ids(&r).contains(&"botou-casting"), "{q}: {:?}", ids(&r));
    }
    // The county's own name is the exact match and ranks first; the cluster follows.
    let r = get("/search?q=botou").await;
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!(ids(&r), ["130981", "botou-casting"]);
    let county = &r.json["features"][0];
    assert_eq!(county["properties"]["type"], "county");
    assert_eq!(county["properties"]["name_zh"], "泊头市");
    assert_eq!(county["properties"]["name_en"], "Botou");
    assert_eq!(county["properties"]["match"], "exact");
    assert_eq!(county["properties"]["rank"], 1);
    assert_eq!(county["geometry"]["coordinates"], json!([116.55, 38.05]));
    let c = &r.json["features"][1];
    assert_eq!(c["properties"]["type"], "cluster");
    assert_eq!(c["properties"]["layer"], "clusters");
    assert_eq!(c["properties"]["name_en"], "Botou foundry cluster");
    assert_eq!(c["properties"]["match"], "prefix");
    assert_eq!(c["geometry"]["coordinates"], json!([116.57, 38.07]));
}

#[tokio::test]
async fn english_name_ranks_the_cluster_first() {
    let r = get("/search?q=Botou%20foundry").await;
    assert_eq!(ids(&r), ["botou-casting"]);
    assert_eq!(ids(&get("/search?q=ceramics").await), ["liling-ceramics"]);
    assert_eq!(ids(&get("/search?q=liling").await), ["430281", "liling-ceramics"]);
}

#[tokio::test]
async fn chinese_substring_and_prefecture() {
    assert_eq!(ids(&get("/search?q=%E9%93%B8%E9%80%A0").await), ["botou-casting"]); // 铸造
    let r = get("/search?q=cangzhou").await;
    assert_eq!(ids(&r), ["130900"]);
    assert_eq!(r.json["features"][0]["properties"]["type"], "prefecture");
    // 产业集群 is in both clusters: equal rank, then id.
    assert_eq!(
        ids(&get("/search?q=%E4%BA%A7%E4%B8%9A%E9%9B%86%E7%BE%A4").await),
        ["botou-casting", "liling-ceramics"]
    );
}

#[tokio::test]
async fn limit_and_no_match() {
    assert_eq!(ids(&get("/search?q=cluster&limit=1").await), ["botou-casting"]);
    let r = get("/search?q=shanghai").await;
    assert_eq!(r.status, 200);
    assert!(ids(&r).is_empty());
}

#[tokio::test]
async fn bad_parameters_are_400_problems() {
    assert_problem(&get("/search").await, 400, Some("q"));
    assert_problem(&get("/search?q=").await, 400, Some("q"));
    assert_problem(&get("/search?q=%20%20").await, 400, Some("q"));
    assert_problem(&get(&format!("/search?q={}", "a".repeat(101))).await, 400, Some("q"));
    assert_problem(&get("/search?q=botou&limit=0").await, 400, Some("limit"));
    assert_problem(&get("/search?q=botou&limit=101").await, 400, Some("limit"));
    assert_problem(&get("/search?q=botou&limit=ten").await, 400, Some("limit"));
    assert_problem(&get("/search?q=botou&query=x").await, 400, Some("query"));
    assert_eq!(get(&format!("/search?q={}&limit=100", "a".repeat(100))).await.status, 200);
}
