//! `GET /api`: the OpenAPI 3.0 definition of every endpoint, generated from the
//! `#[utoipa::path]` attributes on the handlers (not hand-maintained).
//!
//! utoipa 5 only emits OpenAPI 3.1; GDAL and OGC API – Features ("oas30" conformance class)
//! expect 3.0, so [`document`] rewrites the few 3.1-only constructs utoipa produces
//! (`type: [T, "null"]`, numeric `exclusiveMinimum`/`exclusiveMaximum`) into their 3.0
//! forms. It also adds, for every collection served, one concrete `/collections/{name}/items`
//! path per collection listing its queryable properties as query parameters, which is how
//! GDAL's OAPIF driver learns which `-where` equality filters it can send to the server.

use super::AppState;
use super::admin::AdminSecurity;
use super::error::ApiError;
use super::limits::QueryLimits;
use super::ogc::collections::Collection;
use super::ogc::{self, Format};
use super::params::QueryParams;
use super::problem::Problem;
use crate::analysis::density::Measure;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

/// Media type of the OpenAPI 3.0 document (OGC API – Features, Requirement /req/oas30).
pub const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

/// The OpenAPI version the document declares.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// The aggregate of every documented handler.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cluster-atlas",
        description = "China's industrial clusters, parks and characteristic towns on official county, prefecture and \
                       province boundaries (WGS84): reverse geocoding, proximity, search, density and OGC API – Features."
    ),
    paths(
        super::health::get_health,
        super::admin::post_reload,
        super::reverse::get_reverse,
        super::reverse::post_reverse,
        super::convert::get_convert,
        super::proximity::get_nearest,
        super::proximity::get_within,
        super::search::get_search,
        super::density::get_density,
        super::density::get_density_csv,
        super::density::get_h3,
        super::tiles::get_tilesets,
        super::tiles::get_tilejson,
        super::tiles::get_tile,
        super::tiles::get_expand,
        super::ogc::landing::get_landing,
        super::ogc::landing::get_conformance,
        super::ogc::collections::get_collections,
        super::ogc::collections::get_collection,
        super::ogc::collections::get_queryables,
        super::ogc::items::get_items,
        super::ogc::items::get_item,
        super::ogc::tiles::get_tile_matrix_sets,
        super::ogc::tiles::get_tile_matrix_set,
        super::ogc::tiles::get_tilesets,
        super::ogc::tiles::get_tileset,
        super::ogc::tiles::get_tile,
        get_api,
    ),
    components(schemas(Problem)),
    modifiers(&AdminSecurity)
)]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api", get(get_api))
}

/// The OpenAPI definition of this service.
///
/// OpenAPI 3.0 JSON (`application/vnd.oai.openapi+json;version=3.0`); `f=json` answers the
/// same document as plain `application/json`.
#[utoipa::path(
    get,
    path = "/api",
    tag = "OGC API – Features",
    params(("f" = Option<String>, Query, description = "`json` for plain `application/json`")),
    responses(
        (status = 200, description = "The OpenAPI 3.0 document", content_type = "application/vnd.oai.openapi+json;version=3.0"),
        (status = 400, description = "Bad parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_api(
    axum::extract::State(s): axum::extract::State<AppState>,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let plain = match q.raw("f") {
        None => false,
        Some("json") => true,
        Some(other) => return Err(ApiError::bad_parameter("f", format!("parameter 'f' must be json, got '{other}'"))),
    };
    q.finish()?;
    let media_type = if plain { "application/json" } else { OPENAPI_JSON };
    Ok(ogc::reply(
        Format::Json,
        &headers,
        s.openapi.get_or_init(|| document(&s)),
        media_type,
        |_| String::new(),
        false,
    ))
}

/// The complete OpenAPI 3.0 document of this server: its collections, and the `maximum`s
/// of its [`QueryLimits`] (built once per state, see [`AppState::openapi`]).
#[must_use]
pub fn document(s: &AppState) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    to_openapi_30(&mut doc);
    doc["openapi"] = json!(OPENAPI_VERSION);
    // `license.identifier` (SPDX, from Cargo.toml) is 3.1-only.
    if let Some(Value::Object(license)) = doc.pointer_mut("/info/license") {
        license.remove("identifier");
    }
    describe_measures(&mut doc);
    let collections = ogc::collections::all(s);
    add_collection_paths(&mut doc, &collections);
    // What each parameter accepts first; the configured maxima then bound it.
    super::param_schemas::constrain(&mut doc, &collections);
    apply_limits(&mut doc, &s.limits);
    doc
}

/// Writes the configured limits (`serve --max-*`) into the parameters they bound and into
/// the document's description.
fn apply_limits(doc: &mut Value, l: &QueryLimits) {
    let mut set_max = |path: &str, method: &str, name: &str, max: Value| {
        let pointer = format!("/paths/{}/{method}/parameters", path.replace('/', "~1"));
        if let Some(Value::Array(params)) = doc.pointer_mut(&pointer) {
            for p in params.iter_mut().filter(|p| p["name"] == name) {
                p["schema"]["maximum"] = max.clone();
            }
        }
    };
    set_max("/nearest", "get", "k", json!(l.max_k));
    set_max("/within", "get", "radius_m", json!(l.max_radius_m));
    set_max("/within", "get", "limit", json!(l.max_within));
    set_max("/tiles/{layer}/{z}/{x}/{y}.mvt", "get", "z", json!(l.max_zoom));
    if let Some(Value::Object(schema)) =
        doc.pointer_mut("/paths/~1reverse/post/requestBody/content/application~1json/schema/properties/points")
    {
        schema.insert("maxItems".into(), json!(l.max_batch_points));
    }
    let note = format!(
        "\n\nLimits of this server (`cluster-atlas serve --help`): items pages of at most {} features \
         (a larger `limit` is clamped); `/nearest` k ≤ {}; `/within` radius_m ≤ {} m and limit ≤ {}; \
         `POST /reverse` ≤ {} points and request bodies ≤ {} bytes (413 beyond); tiles to zoom {}; \
         streamed answers ≤ {} bytes (the transfer is aborted beyond). A busy server answers 503 with \
         `Retry-After`.",
        l.max_items, l.max_k, l.max_radius_m, l.max_within, l.max_batch_points, l.max_body_bytes, l.max_zoom, l.max_result_bytes
    );
    if let Some(Value::String(d)) = doc.pointer_mut("/info/description") {
        d.push_str(&note);
    }
}

/// Rewrites OpenAPI 3.1 / JSON Schema 2020-12 constructs into OpenAPI 3.0 ones, in place.
fn to_openapi_30(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(types)) = m.get("type").cloned() {
                let non_null: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
                if non_null.len() < types.len() {
                    m.insert("nullable".into(), json!(true));
                }
                match non_null.as_slice() {
                    [one] => {
                        m.insert("type".into(), one.clone());
                    }
                    _ => {
                        m.remove("type");
                    }
                }
            }
            for (key, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
                if let Some(n) = m.get(key).filter(|x| x.is_number()).cloned() {
                    m.insert(bound.into(), n);
                    m.insert(key.into(), json!(true));
                }
            }
            // `oneOf: [{type: null}, X]` (utoipa's Option<Schema>) → X with nullable.
            if let Some(Value::Array(alts)) = m.get("oneOf").cloned() {
                let rest: Vec<Value> = alts
                    .iter()
                    .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                    .cloned()
                    .collect();
                if rest.len() == 1 && alts.len() == 2 {
                    m.remove("oneOf");
                    m.insert("allOf".into(), Value::Array(rest));
                    m.insert("nullable".into(), json!(true));
                }
            }
            m.remove("$schema");
            m.values_mut().for_each(to_openapi_30);
        }
        Value::Array(a) => a.iter_mut().for_each(to_openapi_30),
        _ => {}
    }
}

/// Appends each measure's definition ([`Measure::definition`]) to the `measure` parameter
/// of `/density` and `/density.csv`.
fn describe_measures(doc: &mut Value) {
    let text: String = [Measure::Count, Measure::Per10kKm2, Measure::Share, Measure::Lq]
        .iter()
        .map(|m| format!("\n* `{}`: {}", m.name(), m.definition()))
        .collect();
    for path in ["/density", "/density.csv"] {
        let Some(Value::Array(params)) = doc.pointer_mut(&format!("/paths/{}/get/parameters", path.replace('/', "~1"))) else {
            continue;
        };
        for p in params.iter_mut().filter(|p| p["name"] == "measure") {
            let old = p["description"].as_str().unwrap_or("").to_owned();
            p["description"] = json!(format!("{old}{text}"));
        }
    }
}

/// Adds `/collections/{name}/items` for every collection: the generic items operation plus
/// one optional equality query parameter per queryable property.
fn add_collection_paths(doc: &mut Value, collections: &[Collection<'_>]) {
    let Some(template) = doc.pointer("/paths/~1collections~1{collectionId}~1items/get").cloned() else {
        return;
    };
    let Some(Value::Object(paths)) = doc.get_mut("paths") else { return };
    for c in collections {
        let mut op = template.clone();
        op["operationId"] = json!(format!("get_items_{}", c.id()));
        op["summary"] = json!(format!("Features of the collection '{}' ({})", c.id(), c.title()));
        if let Some(Value::Array(params)) = op.get_mut("parameters") {
            params.retain(|p| p["name"] != "collectionId");
            params.extend(c.queryables().iter().map(|qb| {
                json!({
                    "name": qb.name,
                    "in": "query",
                    "required": false,
                    "description": format!("Only features whose '{}' equals this value.", qb.name),
                    "schema": {"type": qb.kind.name()},
                    "style": "form",
                    "explode": false,
                })
            }));
        }
        let mut item = Map::new();
        item.insert("get".into(), op);
        paths.insert(format!("/collections/{}/items", c.id()), Value::Object(item));
    }
}
