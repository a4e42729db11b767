//! OGC API – Features through the router on the real geodata: landing, conformance,
//! collections, items (bbox, equality filters, paging, `properties=`), single items,
//! content negotiation, caching headers and problem responses.
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::model::{AdminCode, AdminLevel};
use common::feature_ids as ids;
use common::{assert_problem, atlas, get, get_with};
use serde_json::Value;
use std::collections::HashSet;

fn rels(doc: &Value) -> Vec<String> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap().to_owned())
        .collect()
}

fn link_href<'a>(doc: &'a Value, rel: &str) -> Option<&'a str> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
        .and_then(|l| l["href"].as_str())
}

/// The path and query of an absolute link (the router is called without a host).
fn path_of(href: &str) -> String {
    let rest = href.strip_prefix("http://").unwrap();
    rest[rest.find('/').unwrap()..].to_owned()
}

#[tokio::test]
async fn landing_page_links_to_everything_a_client_starts_from() {
    let r = get("/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/json");
    let rels = rels(&r.json);
    for rel in ["self", "alternate", "service-desc", "service-doc", "conformance", "data"] {
        assert!(rels.iter().any(|r| r == rel), "landing lacks rel={rel}: {rels:?}");
    }
    assert_eq!(path_of(link_href(&r.json, "data").unwrap()), "/collections");
    let c = get("/conformance").await;
    let classes: Vec<&str> = c.json["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"));
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"));
}

#[tokio::test]
async fn collections_list_admin_levels_and_point_layers_with_counts_and_extent() {
    let r = get("/collections").await;
    assert_eq!(r.status, 200);
    let cols = r.json["collections"].as_array().unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in ["clusters", "counties", "prefectures", "provinces"] {
        assert!(names.contains(&id), "{names:?}");
    }
    let a = atlas();
    assert_eq!(names.len(), 3 + a.point_layers().len());
    let counties = cols.iter().find(|c| c["id"] == "counties").unwrap();
    assert_eq!(counties["numberOfFeatures"], 2875);
    assert_eq!(counties["itemType"], "feature");
    assert_eq!(counties["crs"][0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    let b: Vec<f64> = counties["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // China spans about 73.5°E–135.1°E and 3.8°N (Zengmu Ansha) – 53.6°N (Mohe).
    assert!((b[0] - 73.5).abs() < 0.2 && (b[2] - 135.1).abs() < 0.2, "{b:?}");
    assert!((b[1] - 3.8).abs() < 0.5 && (b[3] - 53.56).abs() < 0.2, "{b:?}");
    let one = get("/collections/clusters").await;
    assert_eq!(one.json["id"], "clusters");
    assert_eq!(one.json["numberOfFeatures"], a.point_layer("clusters").unwrap().features().len());
    assert!(rels(&one.json).iter().any(|r| r == "items"));
}

#[tokio::test]
async fn bbox_around_botou_returns_botou_and_its_neighbours_only() {
    let r = get("/collections/counties/items?bbox=116.5,38.0,116.7,38.2").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!(r.json["type"], "FeatureCollection");
    let got = ids(&r.json);
    assert!(got.contains(&"130981".to_owned()), "{got:?}");
    assert!(!got.contains(&"110101".to_owned()));
    assert!(got.iter().all(|c| c.starts_with("13")), "all in Hebei: {got:?}");
    assert_eq!(r.json["numberMatched"], got.len());
    assert_eq!(r.json["numberReturned"], got.len());
    assert!(r.json["timeStamp"].as_str().unwrap().ends_with('Z'));
    // A box in the open sea east of Shanghai touches no county.
    let sea = get("/collections/counties/items?bbox=124.0,29.9,124.1,30.0").await;
    assert_eq!(sea.json["numberMatched"], 0);
}

#[tokio::test]
async fn single_county_has_its_full_resolution_boundary() {
    let r = get("/collections/counties/items/130981").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!(r.json["id"], "130981");
    assert_eq!(r.json["properties"]["name_zh"], "泊头市");
    let unit = atlas()
        .admin_by_code(AdminLevel::County, "130981".parse::<AdminCode>().unwrap())
        .unwrap()
        .clone();
    let stored: usize = unit
        .geometry
        .0
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    let served: usize = r.json["geometry"]["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p.as_array().unwrap())
        .map(|ring| ring.as_array().unwrap().len())
        .sum();
    assert_eq!(served, stored);
    assert!(rels(&r.json).iter().any(|r| r == "collection"));
}

#[tokio::test]
async fn paging_walks_every_cluster_exactly_once() {
    let layer = atlas();
    let layer = layer.point_layer("clusters").unwrap();
    let total = layer.features().len();
    let mut next = Some("/collections/clusters/items?limit=50".to_owned());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(uri) = next {
        let r = get(&uri).await;
        assert_eq!(r.status, 200, "{uri}");
        assert_eq!(r.json["numberMatched"], total);
        if pages > 0 {
            assert!(link_href(&r.json, "prev").is_some(), "page {pages} lacks prev");
        }
        seen.extend(ids(&r.json));
        next = link_href(&r.json, "next").map(path_of);
        pages += 1;
    }
    assert_eq!(pages, total.div_ceil(50));
    assert_eq!(seen.len(), total);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), total);
    let want: HashSet<String> = layer.features().iter().map(|f| f.id.clone()).collect();
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), want);
}

#[tokio::test]
async fn default_page_of_counties_is_100_with_a_next_link() {
    let r = get("/collections/counties/items?properties=code").await;
    assert_eq!(r.json["numberMatched"], 2875);
    assert_eq!(r.json["numberReturned"], 100);
    let next = path_of(link_href(&r.json, "next").unwrap());
    assert!(next.contains("offset=100"), "{next}");
    assert!(link_href(&r.json, "prev").is_none());
    let last = get("/collections/counties/items?properties=code&offset=2800").await;
    assert_eq!(last.json["numberReturned"], 75);
    assert!(link_href(&last.json, "next").is_none());
    assert!(path_of(link_href(&last.json, "prev").unwrap()).contains("offset=2700"));
}

#[tokio::test]
async fn equality_filters_on_queryables_match_the_atlas() {
    let a = atlas();
    let layer = a.point_layer("clusters").unwrap();
    let foundry = layer.features().iter().filter(|f| f.has_industry("foundry")).count();
    assert!(foundry > 0);
    let r = get("/collections/clusters/items?industry=foundry&limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["numberMatched"], foundry);
    assert!(
        r.json["features"].as_array().unwrap().iter().all(|f| f["properties"]["industries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "foundry"))
    );
    let hebei = AdminCode::new(130_000).unwrap();
    let both = layer
        .features()
        .iter()
        .filter(|f| f.has_industry("foundry") && f.province_code == Some(hebei))
        .count();
    let r = get("/collections/clusters/items?industry=foundry&province_code=130000").await;
    assert_eq!(r.json["numberMatched"], both);
    assert!(ids(&r.json).contains(&"botou-casting".to_owned()));
    let counties = a
        .admin_units(AdminLevel::County)
        .iter()
        .filter(|u| u.province_code == hebei)
        .count();
    let r = get("/collections/counties/items?province_code=130000&properties=code,name_zh&limit=1000").await;
    assert_eq!(r.json["numberMatched"], counties);
    let keys: Vec<&String> = r.json["features"][0]["properties"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "name_zh"]);
}

#[tokio::test]
async fn queryables_are_a_json_schema_of_the_layer_properties() {
    let r = get("/collections/clusters/queryables").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/schema+json");
    assert_eq!(r.json["type"], "object");
    assert_eq!(r.json["properties"]["industry"]["type"], "string");
    assert_eq!(r.json["properties"]["name_zh"]["type"], "string");
    let r = get("/collections/counties/queryables").await;
    assert_eq!(r.json["properties"]["province_code"]["type"], "string");
}

#[tokio::test]
async fn datetime_filters_points_and_is_ignored_by_admin_collections() {
    // Nothing in the layer is dated after 2024 (the latest curated designation year).
    let r = get("/collections/clusters/items?datetime=2030-01-01T00:00:00Z/..").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["numberMatched"], 0);
    let r = get("/collections/counties/items?datetime=2020-01-01T00:00:00Z/..&limit=1").await;
    assert_eq!(r.json["numberMatched"], atlas().admin_units(AdminLevel::County).len());
}

#[tokio::test]
async fn html_by_f_parameter_or_accept_header() {
    let r = get("/collections/counties/items/130981?f=html").await;
    assert_eq!(r.status, 200);
    assert!(r.content_type().starts_with("text/html"));
    let page = String::from_utf8(r.bytes.clone()).unwrap();
    assert!(page.contains("泊头市") && page.contains("<html"));
    for uri in [
        "/?f=html",
        "/collections?f=html",
        "/collections/clusters?f=html",
        "/collections/clusters/items?f=html&limit=5",
    ] {
        let r = get(uri).await;
        assert_eq!(r.status, 200, "{uri}");
        assert!(r.content_type().starts_with("text/html"), "{uri}");
    }
    let browser = get_with("/collections", &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")]).await;
    assert!(browser.content_type().starts_with("text/html"));
    let gis = get_with("/collections", &[("accept", "application/json")]).await;
    assert_eq!(gis.content_type(), "application/json");
}

#[tokio::test]
async fn collection_responses_carry_etag_and_cache_control() {
    let r = get("/collections/counties").await;
    let etag = r.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert!(r.headers.get("cache-control").unwrap().to_str().unwrap().contains("max-age"));
    let again = get_with("/collections/counties", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    let other = get("/collections/provinces").await;
    assert_ne!(other.headers.get("etag").unwrap().to_str().unwrap(), etag);
}

#[tokio::test]
async fn unknown_collection_or_feature_is_404_problem() {
    assert_problem(&get("/collections/villages").await, 404, None);
    assert_problem(&get("/collections/villages/items").await, 404, None);
    assert_problem(&get("/collections/counties/items/999999").await, 404, None);
    assert_problem(&get("/collections/counties/items/botou").await, 404, None);
    assert_problem(&get("/collections/clusters/items/no-such-cluster").await, 404, None);
}

#[tokio::test]
async fn bad_parameters_are_400_problems_naming_them() {
    assert_problem(&get("/collections/counties/items?bbox=1,2,3").await, 400, Some("bbox"));
    assert_problem(&get("/collections/counties/items?bbox=a,b,c,d").await, 400, Some("bbox"));
    assert_problem(&get("/collections/counties/items?bbox=116,39,117,38").await, 400, Some("bbox"));
    assert_problem(&get("/collections/counties/items?limit=0").await, 400, Some("limit"));
    assert_problem(&get("/collections/counties/items?limit=-5").await, 400, Some("limit"));
    assert_problem(&get("/collections/counties/items?offset=x").await, 400, Some("offset"));
    assert_problem(&get("/collections/counties/items?f=xml").await, 400, Some("f"));
    assert_problem(&get("/collections/clusters/items?colour=red").await, 400, Some("colour"));
    assert_problem(&get("/collections/clusters/items?properties=nope").await, 400, Some("properties"));
    assert_problem(&get("/collections?limit=5").await, 400, Some("limit"));
    assert_problem(&get("/?foo=1").await, 400, Some("foo"));
}

#[tokio::test]
async fn web_mercator_output_is_in_metres_with_content_crs() {
    let uri = "/collections/clusters/items/botou-casting?crs=http://www.opengis.net/def/crs/EPSG/0/3857";
    let r = get(uri).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.headers.get("content-crs").unwrap(),
        "<http://www.opengis.net/def/crs/EPSG/0/3857>"
    );
    let f = atlas().point_layer("clusters").unwrap().feature("botou-casting").unwrap().clone();
    let (x, y) = (
        r.json["geometry"]["coordinates"][0].as_f64().unwrap(),
        r.json["geometry"]["coordinates"][1].as_f64().unwrap(),
    );
    // Spherical Mercator on R = 6,378,137 m, computed independently of PROJ.
    let rad = 6_378_137.0_f64;
    assert!((x - rad * f.point.x().to_radians()).abs() < 0.01, "x = {x}");
    let want_y = rad * (std::f64::consts::FRAC_PI_4 + f.point.y().to_radians() / 2.0).tan().ln();
    assert!((y - want_y).abs() < 0.01, "y = {y}");
    assert!(
        (x - 12.98e6).abs() < 0.05e6 && (y - 4.59e6).abs() < 0.05e6,
        "Botou is near (12.98e6, 4.59e6): {x}, {y}"
    );

    let counties = get("/collections/counties/items?bbox=116.5,38.0,116.7,38.2&crs=EPSG:3857&properties=code").await;
    let first = &counties.json["features"][0]["geometry"]["coordinates"][0][0][0];
    assert!(first[0].as_f64().unwrap() > 1.2e7 && first[1].as_f64().unwrap() > 4.0e6, "{first}");
    let plain = get("/collections/counties/items?bbox=116.5,38.0,116.7,38.2").await;
    assert_eq!(
        plain.headers.get("content-crs").unwrap(),
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
}

#[tokio::test]
async fn epsg_4326_is_latitude_first_for_output_and_bbox() {
    let r = get("/collections/clusters/items/botou-casting?crs=http://www.opengis.net/def/crs/EPSG/0/4326").await;
    let f = atlas().point_layer("clusters").unwrap().feature("botou-casting").unwrap().clone();
    // Degrees are written to 7 decimals (1 cm).
    let (lat, lon) = (
        r.json["geometry"]["coordinates"][0].as_f64().unwrap(),
        r.json["geometry"]["coordinates"][1].as_f64().unwrap(),
    );
    assert!((lat - f.point.y()).abs() <= 0.5e-7, "{lat} vs {}", f.point.y());
    assert!((lon - f.point.x()).abs() <= 0.5e-7, "{lon} vs {}", f.point.x());
    let lonlat = get("/collections/counties/items?bbox=116.5,38.0,116.7,38.2&properties=code").await;
    let latlon =
        get("/collections/counties/items?bbox=38.0,116.5,38.2,116.7&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&properties=code")
            .await;
    assert_eq!(ids(&latlon.json), ids(&lonlat.json));
    let r = 6_378_137.0_f64;
    let merc = |lon: f64, lat: f64| {
        (
            r * lon.to_radians(),
            r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln(),
        )
    };
    let (w, s) = merc(116.5, 38.0);
    let (e, n) = merc(116.7, 38.2);
    let metres = get(&format!(
        "/collections/counties/items?bbox={w},{s},{e},{n}&bbox-crs=EPSG:3857&properties=code"
    ))
    .await;
    assert_eq!(ids(&metres.json), ids(&lonlat.json));
    let cgcs = get("/collections/clusters/items/botou-casting?crs=EPSG:4490").await;
    let lat = cgcs.json["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!((lat - f.point.y()).abs() <= 0.5e-7, "{lat} vs {}", f.point.y());
}

#[tokio::test]
async fn unsupported_crs_is_400_naming_the_parameter() {
    assert_problem(&get("/collections/counties/items?crs=EPSG:2000").await, 400, Some("crs"));
    assert_problem(&get("/collections/counties/items/130981?crs=EPSG:27700").await, 400, Some("crs"));
    assert_problem(
        &get("/collections/counties/items?bbox=1,2,3,4&bbox-crs=EPSG:2000").await,
        400,
        Some("bbox-crs"),
    );
    assert_problem(
        &get("/collections/counties/items?bbox=0,0,1e9,1e9&bbox-crs=EPSG:3857").await,
        400,
        Some("bbox"),
    );
    let c = get("/collections/counties").await;
    let list: Vec<&str> = c.json["crs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(list.contains(&"http://www.opengis.net/def/crs/EPSG/0/3857") && list.contains(&"http://www.opengis.net/def/crs/EPSG/0/4490"));
}

/// `GET /collections/{c}/items` with a URL-encoded CQL2 `filter` (and extra raw query).
async fn filtered(c: &str, filter: &str, extra: &str) -> common::Reply {
    let q = serde_urlencoded::to_string([("filter", filter)]).unwrap();
    get(&format!("/collections/{c}/items?{q}&limit=1000{extra}")).await
}

fn cluster_count(pred: impl Fn(&serde_json::Map<String, Value>) -> bool) -> usize {
    atlas()
        .point_layer("clusters")
        .unwrap()
        .features()
        .iter()
        .filter(|f| pred(&f.properties))
        .count()
}

#[tokio::test]
async fn cql2_text_comparison_and_logic_match_the_atlas() {
    let is = |p: &serde_json::Map<String, Value>, k: &str, v: &str| p.get(k).and_then(Value::as_str) == Some(v);
    let r = filtered("clusters", "industry='foundry'", "").await;
    assert_eq!(r.status, 200, "{}", r.json);
    let foundry = cluster_count(|p| is(p, "industry", "foundry"));
    assert!(foundry > 0);
    assert_eq!(r.json["numberMatched"], foundry);
    assert!(
        r.json["features"].as_array().unwrap().iter().all(|f| f["properties"]["industries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "foundry"))
    );

    let r = filtered("clusters", "industry = 'foundry' AND province_code = '130000'", "").await;
    assert_eq!(
        r.json["numberMatched"],
        cluster_count(|p| is(p, "industry", "foundry") && is(p, "province_code", "130000"))
    );
    let r = filtered("clusters", "industry = 'foundry' OR industry = 'ceramics'", "").await;
    let either = cluster_count(|p| is(p, "industry", "foundry") || is(p, "industry", "ceramics"));
    assert_eq!(r.json["numberMatched"], either);
    let r = filtered("clusters", "industry IN ('foundry', 'ceramics')", "").await;
    assert_eq!(r.json["numberMatched"], either);
    let r = filtered("clusters", "NOT (industry = 'foundry')", "").await;
    let not = cluster_count(|p| p.get("industry").and_then(Value::as_str).is_some_and(|v| v != "foundry"));
    assert_eq!(r.json["numberMatched"], not);
    let r = filtered("clusters", "industry IS NULL", "").await;
    assert_eq!(
        r.json["numberMatched"],
        cluster_count(|p| p.get("industry").is_none_or(Value::is_null))
    );
    let r = filtered("clusters", "name_zh LIKE '%铸造%'", "").await;
    assert_eq!(
        r.json["numberMatched"],
        cluster_count(|p| p["name_zh"].as_str().unwrap().contains("铸造"))
    );
    let firms = |p: &serde_json::Map<String, Value>| p.get("firms").and_then(Value::as_f64);
    let r = filtered("clusters", "firms BETWEEN 100 AND 1000", "").await;
    let between = cluster_count(|p| firms(p).is_some_and(|n| (100.0..=1000.0).contains(&n)));
    assert!(between > 0);
    assert_eq!(r.json["numberMatched"], between);
    let r = filtered("clusters", "firms > 500", "").await;
    assert_eq!(r.json["numberMatched"], cluster_count(|p| firms(p).is_some_and(|n| n > 500.0)));
}

#[tokio::test]
async fn cql2_json_and_spatial_filters() {
    let json = r#"{"op": "=", "args": [{"property": "industry"}, "foundry"]}"#;
    let r = filtered("clusters", json, "&filter-lang=cql2-json").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["numberMatched"],
        cluster_count(|p| p.get("industry").and_then(Value::as_str) == Some("foundry"))
    );

    let box_wkt = "POLYGON((116.5 38.0, 116.7 38.0, 116.7 38.2, 116.5 38.2, 116.5 38.0))";
    let spatial = filtered("counties", &format!("S_INTERSECTS(geometry, {box_wkt})"), "&properties=code").await;
    assert_eq!(spatial.status, 200, "{}", spatial.json);
    let by_bbox = get("/collections/counties/items?bbox=116.5,38.0,116.7,38.2&properties=code").await;
    assert_eq!(ids(&spatial.json), ids(&by_bbox.json));
    assert!(ids(&spatial.json).contains(&"130981".to_owned()));

    // Hebei's rough box: clusters within it, counted from the atlas.
    let (w, s, e, n) = (113.4, 36.0, 119.9, 42.7);
    let poly = format!("POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))");
    let r = filtered("clusters", &format!("S_WITHIN(geometry, {poly})"), "").await;
    let inside = atlas()
        .point_layer("clusters")
        .unwrap()
        .features()
        .iter()
        .filter(|f| f.point.x() > w && f.point.x() < e && f.point.y() > s && f.point.y() < n)
        .count();
    assert!(inside > 0);
    assert_eq!(r.json["numberMatched"], inside);
}

#[tokio::test]
async fn invalid_filters_are_400_problems() {
    assert_problem(&filtered("clusters", "industry ==", "").await, 400, Some("filter"));
    assert_problem(&filtered("clusters", "colour = 'red'", "").await, 400, Some("filter"));
    assert_problem(
        &filtered("clusters", "{not json", "&filter-lang=cql2-json").await,
        400,
        Some("filter"),
    );
    assert_problem(
        &filtered("clusters", "industry = 'foundry'", "&filter-lang=sql").await,
        400,
        Some("filter-lang"),
    );
    assert_problem(
        &filtered("clusters", "industry = 'foundry'", "&filter-crs=EPSG:3857").await,
        400,
        Some("filter-crs"),
    );
}
