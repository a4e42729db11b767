//! `/nearest` and `/within` through the router on a small hand-placed fixture atlas.
//!
//! Expected distances were computed by hand with the haversine formula on the GRS80 mean
//! sphere (R = 6,371,008.8 m), independently of the code under test.
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::atlas::{Atlas, PointLayer};
use cluster_atlas::model::{PlaceFeature, Precision};
use common::{Reply, assert_problem};
use serde_json::json;

fn place(id: &str, lon: f64, lat: f64, kind: &str, industry: &str) -> PlaceFeature {
    let properties = json!({"id": id, "name_zh": id, "kind": kind, "industry": industry, "precision": "exact"});
    PlaceFeature {
        id: id.into(),
        point: geo::Point::new(lon, lat),
        name_zh: id.into(),
        name_en: None,
        kind: Some(kind.into()),
        industries: vec![industry.into()],
        time: None,
        county_code: None,
        prefecture_code: None,
        province_code: None,
        precision: Precision::Exact,
        properties: properties.as_object().unwrap().clone(),
    }
}

/// Around (116, 38): east 0.1° → 8,762.3 m, north 0.1° → 11,119.5 m, west 0.3° →
/// 26,286.9 m, far (118, 38) → 175,242.5 m; in layer `parks`: p1 (116, 37.95) → 5,559.8 m.
/// Around (100, 60): hi-east (100.9, 60) → 50,037.4 m is nearer than hi-north (100, 60.6)
/// → 66,717.0 m although hi-north is nearer in degrees (0.6° vs 0.9°).
fn fixture() -> Atlas {
    let clusters = vec![
        place("east", 116.1, 38.0, "cluster", "foundry"),
        place("north", 116.0, 38.1, "cluster", "ceramics"),
        place("west", 115.7, 38.0, "town", "foundry"),
        place("far", 118.0, 38.0, "cluster", "foundry"),
        place("hi-north", 100.0, 60.6, "cluster", "timber"),
        place("hi-east", 100.9, 60.0, "cluster", "timber"),
    ];
    let mut parks = vec![place("p1", 116.0, 37.95, "park", "foundry")];
    parks[0]
        .properties
        .insert("designation".into(), "China Foundry Association foundry cluster".into());
    Atlas::builder()
        .point_layer(PointLayer::new("clusters", "Clusters", clusters))
        .point_layer(PointLayer::new("parks", "Parks", parks))
        .build()
}

async fn get(uri: &str) -> Reply {
    common::get_on(fixture(), uri).await
}

fn ids(r: &Reply) -> Vec<&str> {
    r.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

fn distances(r: &Reply) -> Vec<f64> {
    r.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn nearest_is_sorted_by_metres_across_layers() {
    let r = get("/nearest?lon=116&lat=38&k=4").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!(r.json["type"], "FeatureCollection");
    assert_eq!(ids(&r), ["p1", "east", "north", "west"]);
    assert_eq!(distances(&r), [5_559.8, 8_762.3, 11_119.5, 26_286.9]);
    let first = &r.json["features"][0];
    assert_eq!(first["properties"]["layer"], "parks");
    assert_eq!(first["properties"]["industry"], "foundry");
    assert_eq!(first["geometry"], json!({"type": "Point", "coordinates": [116.0, 37.95]}));
    assert_eq!(r.json["features"][1]["properties"]["layer"], "clusters");
}

#[tokio::test]
async fn nearest_defaults_to_ten_and_returns_all_when_fewer() {
    let r = get("/nearest?lon=116&lat=38").await;
    assert_eq!(ids(&r).len(), 7);
    assert_eq!(ids(&r)[4], "far");
    assert!((distances(&r)[4] - 175_242.5).abs() < 0.05);
}

#[tokio::test]
async fn nearest_at_high_latitude_uses_metres_not_degrees() {
    let r = get("/nearest?lon=100&lat=60&k=2").await;
    assert_eq!(ids(&r), ["hi-east", "hi-north"]);
    assert_eq!(distances(&r), [50_037.4, 66_717.0]);
    let r = get("/nearest?lon=100&lat=60&k=1").await;
    assert_eq!(ids(&r), ["hi-east"]);
}

#[tokio::test]
async fn nearest_filters() {
    assert_eq!(
        ids(&get("/nearest?lon=116&lat=38&k=3&industry=foundry").await),
        ["p1", "east", "west"]
    );
    assert_eq!(ids(&get("/nearest?lon=116&lat=38&k=3&kind=town").await), ["west"]);
    assert_eq!(ids(&get("/nearest?lon=116&lat=38&k=2&layer=clusters").await), ["east", "north"]);
    assert_eq!(
        ids(&get("/nearest?lon=116&lat=38&k=2&layer=clusters&industry=ceramics&kind=cluster").await),
        ["north"]
    );
}

#[tokio::test]
async fn unknown_filter_values_give_an_empty_collection() {
    for uri in [
        "/nearest?lon=116&lat=38&layer=nope",
        "/nearest?lon=116&lat=38&industry=unobtainium",
        "/within?lon=116&lat=38&radius_m=50000&kind=castle",
    ] {
        let r = get(uri).await;
        assert_eq!(r.status, 200, "{uri}");
        assert_eq!(r.json["type"], "FeatureCollection");
        assert!(ids(&r).is_empty(), "{uri}");
    }
}

#[tokio::test]
async fn within_keeps_the_circle_and_sorts() {
    let r = get("/within?lon=116&lat=38&radius_m=11200").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!(ids(&r), ["p1", "east", "north"]);
    assert_eq!(distances(&r), [5_559.8, 8_762.3, 11_119.5]);
    assert_eq!(ids(&get("/within?lon=116&lat=38&radius_m=11000").await), ["p1", "east"]);
    assert_eq!(
        ids(&get("/within?lon=116&lat=38&radius_m=11200&layer=clusters").await),
        ["east", "north"]
    );
    assert_eq!(
        ids(&get("/within?lon=116&lat=38&radius_m=2000000&industry=foundry").await),
        ["p1", "east", "west", "far"]
    );
}

#[tokio::test]
async fn within_limit_keeps_the_nearest_and_counts_them_all() {
    let all = get("/within?lon=116&lat=38&radius_m=2000000").await;
    let r = get("/within?lon=116&lat=38&radius_m=2000000&limit=2").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(ids(&r), ids(&all)[..2]);
    assert_eq!(r.json["numberMatched"], ids(&all).len());
    assert_eq!(r.json["numberReturned"], 2);
    assert_eq!(ids(&all), ["p1", "east", "north", "west", "far"]);
    assert_problem(&get("/within?lon=116&lat=38&radius_m=10&limit=0").await, 400, Some("limit"));
    assert_problem(&get("/within?lon=116&lat=38&radius_m=10&limit=10001").await, 400, Some("limit"));
    assert_problem(&get("/within?lon=116&lat=38&radius_m=10&limit=x").await, 400, Some("limit"));
}

#[tokio::test]
async fn designation_filters_by_case_insensitive_substring() {
    assert_eq!(ids(&get("/nearest?lon=116&lat=38&designation=foundry%20ASSOCIATION").await), ["p1"]);
    assert_eq!(ids(&get("/within?lon=116&lat=38&radius_m=50000&designation=Foundry").await), ["p1"]);
    assert!(ids(&get("/nearest?lon=116&lat=38&designation=national").await).is_empty());
}

#[tokio::test]
async fn limits_are_400_problems_naming_the_parameter() {
    assert_problem(&get("/nearest?lon=116&lat=38&k=1001").await, 400, Some("k"));
    assert_problem(&get("/nearest?lon=116&lat=38&k=0").await, 400, Some("k"));
    assert_problem(&get("/nearest?lon=116&lat=38&k=-1").await, 400, Some("k"));
    assert_problem(&get("/nearest?lon=116&lat=38&k=2.5").await, 400, Some("k"));
    assert_eq!(get("/nearest?lon=116&lat=38&k=1000").await.status, 200);
    assert_problem(&get("/within?lon=116&lat=38&radius_m=2000001").await, 400, Some("radius_m"));
    assert_problem(&get("/within?lon=116&lat=38&radius_m=0").await, 400, Some("radius_m"));
    assert_problem(&get("/within?lon=116&lat=38&radius_m=-5").await, 400, Some("radius_m"));
    assert_problem(&get("/within?lon=116&lat=38&radius_m=far").await, 400, Some("radius_m"));
    assert_problem(&get("/within?lon=116&lat=38").await, 400, Some("radius_m"));
    assert_problem(&get("/within?lon=116&lat=38&radius_m=inf").await, 400, Some("radius_m"));
    assert_problem(&get("/nearest?lon=181&lat=38").await, 400, Some("lon"));
    assert_problem(&get("/nearest?lat=38").await, 400, Some("lon"));
    assert_problem(&get("/within?lon=116&lat=-90.5&radius_m=10").await, 400, Some("lat"));
}

#[tokio::test]
async fn unknown_parameter_names_are_400() {
    assert_problem(&get("/nearest?lon=116&lat=38&limit=3").await, 400, Some("limit"));
    assert_problem(&get("/nearest?lng=116&lon=116&lat=38").await, 400, Some("lng"));
    assert_problem(&get("/within?lon=116&lat=38&radius=5000&radius_m=5000").await, 400, Some("radius"));
}
