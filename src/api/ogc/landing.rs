//! `GET /` (landing page) and `GET /conformance`.

use super::links::{Base, HTML, JSON, link, self_and_alternate};
use super::{Format, html, negotiate, reply};
use crate::api::error::ApiError;
use crate::api::params::QueryParams;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

/// Conformance classes this service implements (and only those; each is tested).
pub const CONFORMANCE: [&str; 21] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
];

/// Title of the service.
pub const TITLE: &str = "cluster-atlas";

/// `GET /[?f=json|html]`: title, description and the links a client starts from.
#[utoipa::path(
    get,
    path = "/",
    tag = "OGC API – Features",
    params(
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "Landing page with links", body = Object, content_type = "application/json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_landing(base: Base, headers: HeaderMap, mut q: QueryParams) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let mut links = self_and_alternate(&base, "/", &[], JSON, fmt == Format::Html);
    links.extend([
        link(
            base.url("/api"),
            "service-desc",
            "application/vnd.oai.openapi+json;version=3.0",
            "the API definition",
        ),
        link(base.url("/map/"), "related", HTML, "the web map"),
        link(base.url("/collections?f=html"), "service-doc", HTML, "the collections, browsable"),
        link(base.url("/conformance"), "conformance", JSON, "conformance classes implemented"),
        link(
            base.url("/tileMatrixSets"),
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
            JSON,
            "the tile matrix sets (OGC API – Tiles)",
        ),
        link(base.url("/collections"), "data", JSON, "the feature collections"),
    ]);
    let doc = json!({
        "title": TITLE,
        "description": "China's industrial clusters, parks and characteristic towns on official county, prefecture and province boundaries (WGS84), as OGC API – Features.",
        "links": links,
    });
    Ok(reply(fmt, &headers, &doc, JSON, html::landing, false))
}

/// `GET /conformance[?f=json|html]`: the conformance classes in [`CONFORMANCE`].
#[utoipa::path(
    get,
    path = "/conformance",
    tag = "OGC API – Features",
    params(
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "Conformance classes", body = Object, content_type = "application/json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_conformance(base: Base, headers: HeaderMap, mut q: QueryParams) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let doc: Value = json!({
        "conformsTo": CONFORMANCE,
        "links": self_and_alternate(&base, "/conformance", &[], JSON, fmt == Format::Html),
    });
    Ok(reply(fmt, &headers, &doc, JSON, html::conformance, false))
}
