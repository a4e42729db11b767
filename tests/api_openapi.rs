//! `GET /api`: the generated OpenAPI 3.0 document, on the real geodata.
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::analysis::proximity::MAX_K;
use common::{assert_problem, get};
use serde_json::Value;

/// Every route the router serves, in OpenAPI path syntax.
const ROUTES: [(&str, &str); 23] = [
    ("/health", "get"),
    ("/reverse", "get"),
    ("/reverse", "post"),
    ("/convert", "get"),
    ("/nearest", "get"),
    ("/within", "get"),
    ("/search", "get"),
    ("/density", "get"),
    ("/density.csv", "get"),
    ("/density/h3", "get"),
    ("/tiles", "get"),
    ("/tiles/{layer}.json", "get"),
    ("/tiles/{layer}/{z}/{x}/{y}.mvt", "get"),
    ("/tiles/{layer}/expand", "get"),
    ("/", "get"),
    ("/conformance", "get"),
    ("/collections", "get"),
    ("/collections/{collectionId}", "get"),
    ("/collections/{collectionId}/queryables", "get"),
    ("/collections/{collectionId}/items", "get"),
    ("/collections/{collectionId}/items/{featureId}", "get"),
    ("/api", "get"),
    ("/collections/clusters/items", "get"),
];

fn param<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} has no parameters"))
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter '{name}'"))
}

/// Every value of `key` anywhere in the document.
fn all_values<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(key) {
                out.push(x);
            }
            m.values().for_each(|x| all_values(x, key, out));
        }
        Value::Array(a) => a.iter().for_each(|x| all_values(x, key, out)),
        _ => {}
    }
}

#[tokio::test]
async fn api_is_openapi_30_with_its_media_type() {
    let r = get("/api").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/vnd.oai.openapi+json;version=3.0");
    assert!(r.json["openapi"].as_str().unwrap().starts_with("3.0"), "{}", r.json["openapi"]);
    assert_eq!(r.json["info"]["title"], "cluster-atlas");
    // No OpenAPI 3.1 / JSON Schema 2020-12 `type` arrays survive.
    let mut types = Vec::new();
    all_values(&r.json, "type", &mut types);
    assert!(types.iter().all(|t| !t.is_array()), "3.1-style type arrays remain");
    assert_eq!(r.json["info"]["license"]["name"], "MIT");
    assert!(
        r.json["info"]["license"].get("identifier").is_none(),
        "license.identifier is 3.1-only"
    );

    let plain = get("/api?f=json").await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.content_type(), "application/json");
    assert_eq!(plain.json["paths"], r.json["paths"]);
    assert_problem(&get("/api?f=xml").await, 400, Some("f"));
    assert_problem(&get("/api?foo=1").await, 400, Some("foo"));
}

#[tokio::test]
async fn every_route_is_documented() {
    let doc = get("/api").await.json;
    for (path, method) in ROUTES {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing from /api");
        assert!(op["responses"]["200"].is_object(), "{method} {path} has no 200 response");
    }
    // Every documented error response uses the problem+json schema.
    let bad = &doc["paths"]["/nearest"]["get"]["responses"]["400"]["content"]["application/problem+json"]["schema"];
    assert_eq!(bad["$ref"], "#/components/schemas/Problem");
    let problem = &doc["components"]["schemas"]["Problem"];
    assert_eq!(problem["properties"]["parameter"]["nullable"], true);
    assert_eq!(problem["properties"]["parameter"]["type"], "string");
}

#[tokio::test]
async fn nearest_k_is_bounded_by_max_k() {
    let doc = get("/api").await.json;
    let k = param(&doc, "/nearest", "get", "k");
    assert_eq!(k["in"], "query");
    assert_eq!(k["required"], false);
    assert_eq!(k["schema"]["maximum"].as_f64().unwrap(), MAX_K as f64);
    assert_eq!(k["schema"]["minimum"].as_f64().unwrap(), 1.0);
    let lon = param(&doc, "/nearest", "get", "lon");
    assert_eq!(lon["required"], true);
    assert_eq!(lon["schema"]["minimum"].as_f64().unwrap(), -180.0);
    // The server really rejects k = MAX_K + 1, as documented.
    let r = get(&format!("/nearest?lon=116.4&lat=39.9&k={}", MAX_K + 1)).await;
    assert_problem(&r, 400, Some("k"));
}

#[tokio::test]
async fn point_filters_are_documented_where_they_are_accepted() {
    let doc = get("/api").await.json;
    for path in ["/nearest", "/within", "/density", "/density.csv", "/density/h3"] {
        for name in ["kind", "industry", "layer", "designation"] {
            let p = param(&doc, path, "get", name);
            assert_eq!(p["in"], "query", "{path} {name}");
            assert_eq!(p["required"], false, "{path} {name}");
        }
    }
    // …and accepted: a documented filter is never an unknown parameter.
    for uri in [
        "/nearest?lon=116.4&lat=39.9&designation=x",
        "/within?lon=116.4&lat=39.9&radius_m=10&designation=x",
        "/density/h3?resolution=3&designation=x",
    ] {
        assert_eq!(get(uri).await.status, 200, "{uri}");
    }
}

#[tokio::test]
async fn density_measure_defines_the_location_quotient() {
    let doc = get("/api").await.json;
    for path in ["/density", "/density.csv"] {
        let measure = param(&doc, path, "get", "measure")["description"].as_str().unwrap();
        assert!(measure.contains("Location quotient"), "{path}: {measure}");
        assert!(measure.contains("`lq`") && measure.contains("`per_10k_km2`"), "{path}: {measure}");
    }
    let classes = param(&doc, "/density", "get", "classes");
    assert_eq!(classes["schema"]["minimum"].as_f64().unwrap(), 2.0);
    assert_eq!(classes["schema"]["maximum"].as_f64().unwrap(), 12.0);
}

#[tokio::test]
async fn collection_items_list_queryables_for_gdal() {
    let doc = get("/api").await.json;
    // One concrete items path per collection, with its queryables as equality parameters.
    for (collection, queryable) in [
        ("clusters", "industry"),
        ("clusters", "kind"),
        ("counties", "province_code"),
        ("provinces", "code"),
    ] {
        let path = format!("/collections/{collection}/items");
        let p = param(&doc, &path, "get", queryable);
        assert_eq!(p["in"], "query");
        assert_eq!(p["schema"]["type"], "string");
        assert!(
            !doc["paths"][&path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "collectionId"),
            "{path} must not keep the collectionId path parameter"
        );
    }
    // The documented filter really works on the server.
    let r = get("/collections/clusters/items?industry=foundry&limit=1").await;
    assert_eq!(r.status, 200);
    let foundry = common::atlas()
        .point_layer("clusters")
        .unwrap()
        .features()
        .iter()
        .filter(|f| f.has_industry("foundry"))
        .count();
    assert!(foundry > 16, "the curated foundry clusters and the catalogue's foundry zones");
    assert_eq!(r.json["numberMatched"], foundry);
    let conformance = get("/conformance").await.json;
    let classes = conformance["conformsTo"].as_array().unwrap();
    assert!(
        classes
            .iter()
            .any(|c| c == "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30")
    );
}
