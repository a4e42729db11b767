//! `GET /tiles`, `GET /tiles/{layer}.json` (TileJSON 3.0.0) and
//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt` (Mapbox Vector Tiles; point layers take the point
//! filters `kind`, `industry`, `approval_level`, `datetime`, `designation`, clustered after
//! filtering).

use super::AppState;
use super::base_url::Base;
use super::error::ApiError;
use super::params::{PointFilterDoc, QueryParams};
use crate::api::extract::Path;
use crate::tiles::cache::EncodedTile;
use crate::tiles::{self, ADMIN_LAYERS, TileCoord, TileError, TileLayer};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Media type of a vector tile.
pub const MVT_MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tiles", get(get_tilesets))
        .route("/tiles/{file}", get(get_tilejson))
        .route("/tiles/{layer}/{z}/{x}/{file}", get(get_tile))
        .route("/tiles/{layer}/expand", get(get_expand))
}

impl From<TileError> for ApiError {
    fn from(e: TileError) -> Self {
        match e {
            TileError::BadCoord { parameter, detail } => ApiError::BadParameter {
                parameter: parameter.to_owned(),
                detail,
            },
            TileError::UnknownLayer(_) => ApiError::NotFound(e.to_string()),
            TileError::Encode(_) | TileError::BadClusterRadius(_) => ApiError::Internal(e.to_string()),
        }
    }
}

fn parse_coord(name: &'static str, raw: &str) -> Result<u32, ApiError> {
    raw.parse().map_err(|_| ApiError::BadParameter {
        parameter: name.to_owned(),
        detail: format!("{raw:?} is not a tile index"),
    })
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt` → one MVT layer; 204 when the tile is empty.
#[utoipa::path(
    get,
    path = "/tiles/{layer}/{z}/{x}/{y}.mvt",
    tag = "Tiles",
    params(
        ("layer" = String, Path, description = "`provinces`, `prefectures`, `counties` or a point layer such as `clusters`"),
        ("z" = u32, Path, description = "Zoom 0–16"),
        ("x" = u32, Path, description = "Column, below 2^z"),
        ("y" = u32, Path, description = "Row from the north, below 2^z"),
        PointFilterDoc,
    ),
    responses(
        (status = 200, description = "The tile", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"),
        (status = 304, description = "Unchanged (If-None-Match)"),
        (status = 400, description = "Bad z, x or y; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown layer", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_tile(
    State(s): State<AppState>,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let filter = q.point_filter()?;
    q.finish()?;
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| ApiError::NotFound(format!("tiles are {layer}/{z}/{x}/{{y}}.mvt, not {file}")))?;
    let remote = s.remote_layer(&layer).cloned();
    let small_point_layer = remote.is_none()
        && matches!(
            tiles::resolve_layer(&s.atlas, &layer)?,
            TileLayer::Points(p) if p.features().len() <= INLINE_ENCODE_MAX_POINTS
        );
    let t = TileCoord::new(parse_coord("z", &z)?, parse_coord("x", &x)?, parse_coord("y", y)?)?;
    if t.z > s.limits.max_zoom {
        return Err(ApiError::NotFound(format!(
            "zoom {} is beyond the deepest zoom served, {} (serve --max-zoom)",
            t.z, s.limits.max_zoom
        )));
    }
    // Filtered point tiles are cached apart: the key names the filter too.
    let key = (format!("{layer}\u{1f}{filter:?}"), t.z, t.x, t.y);
    // Single-flight: concurrent misses for this tile share one encode.
    let bytes = s
        .tile_cache
        .get_or_encode(&key, || {
            let (atlas, prepared, cluster, filter, layer) =
                (s.atlas.clone(), s.prepared_tiles.clone(), s.cluster, filter.clone(), layer.clone());
            async move {
                if let Some(source) = remote {
                    let fresh = source.tile(t, cluster, &filter).await?;
                    return Ok::<_, ApiError>(fresh.map(|bytes| {
                        let etag = format!("W/\"{:x}\"", Sha256::digest(&bytes));
                        Arc::new(EncodedTile {
                            bytes: Arc::from(bytes),
                            etag,
                        })
                    }));
                }
                let encode = move || {
                    let tile_layer = tiles::resolve_layer(&atlas, &layer)?;
                    tiles::encode_tile(&atlas, &prepared, &layer, tile_layer, t, cluster, &filter)
                };
                // A tile of a small point layer takes tens of microseconds: handing it to the
                // blocking pool (two thread wake-ups) cost more than the encode. Admin tiles
                // and large point layers, which can take milliseconds, go to the pool.
                let fresh = if small_point_layer {
                    encode()?
                } else {
                    tokio::task::spawn_blocking(encode)
                        .await
                        .map_err(|e| ApiError::Internal(e.to_string()))??
                };
                // Weak: the compression layer may gzip the body, and a strong tag would then
                // name two different byte sequences (RFC 9110 §8.8.1). If-None-Match
                // compares weakly anyway.
                Ok::<_, ApiError>(fresh.map(|bytes| {
                    let etag = format!("W/\"{:x}\"", Sha256::digest(&bytes));
                    Arc::new(EncodedTile {
                        bytes: Arc::from(bytes),
                        etag,
                    })
                }))
            }
        })
        .await?;
    let cache = (header::CACHE_CONTROL, "public, max-age=86400");
    let Some(tile) = bytes else {
        return Ok((StatusCode::NO_CONTENT, [cache]).into_response());
    };
    let etag = &tile.etag;
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == &etag[2..]))
    {
        return Ok((StatusCode::NOT_MODIFIED, [cache, (header::ETAG, etag.as_str())]).into_response());
    }
    Ok((
        [cache, (header::CONTENT_TYPE, MVT_MEDIA_TYPE), (header::ETAG, etag.as_str())],
        axum::body::Bytes::from_owner(tile.bytes.clone()),
    )
        .into_response())
}

/// Point layers up to this size are encoded on the request's own task (see `get_tile`).
const INLINE_ENCODE_MAX_POINTS: usize = 20_000;

fn layer_names(s: &AppState) -> Vec<String> {
    ADMIN_LAYERS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .chain(s.atlas.point_layers().iter().map(|l| l.name().to_owned()))
        .chain(s.remote.iter().map(|l| l.info().name.clone()))
        .collect()
}

/// The fields every point-layer tile carries besides the features' own properties.
fn point_fields() -> Value {
    json!({"id": "String", "cluster": "Boolean", "cluster_id": "Number", "point_count": "Number",
        "point_count_abbreviated": "String", "top_industries": "String"})
}

/// Bounds, fields and attribution of a database layer (fields from its queryables).
fn remote_tilejson_parts(source: &dyn crate::source::PointSource) -> (Option<[f64; 4]>, Value, String) {
    let info = source.info();
    let mut fields = point_fields();
    for q in &info.queryables {
        fields[&q.name] = json!(match q.kind {
            crate::analysis::features::QueryableType::Number => "Number",
            crate::analysis::features::QueryableType::Boolean => "Boolean",
            crate::analysis::features::QueryableType::String => "String",
        });
    }
    let attribution = info.licence.clone().unwrap_or_else(|| "cluster-atlas".to_owned());
    (info.extent, fields, attribution)
}

/// TileJSON 3.0.0 of one layer.
fn tilejson(s: &AppState, name: &str, base: &str) -> Result<Value, ApiError> {
    let remote = s.remote_layer(name);
    let layer = if remote.is_some() {
        None
    } else {
        Some(tiles::resolve_layer(&s.atlas, name)?)
    };
    let default_attribution = || "Boundaries: GB/T 2260 county-level divisions; clusters: cluster-atlas".to_owned();
    let (bounds, fields, attribution) = match layer {
        None => remote.as_ref().map(|r| remote_tilejson_parts(r.as_ref())).unwrap_or_default(),
        Some(TileLayer::Admin(level)) => {
            let mut fields =
                json!({"code": "String", "name_zh": "String", "name_pinyin": "String", "area_km2": "Number", "n_total": "Number"});
            if let Some(p) = s.atlas.point_layer(crate::load::DEFAULT_POINT_LAYER) {
                for ind in p.features().iter().flat_map(|f| &f.industries) {
                    fields[format!("n_{ind}")] = json!("Number");
                }
            }
            let b = s
                .atlas
                .admin_extent(level)
                .map(|e| [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]]);
            (b, fields, default_attribution())
        }
        Some(TileLayer::Points(p)) => {
            let mut fields = point_fields();
            for (k, v) in p.features().iter().flat_map(|f| f.properties.iter()) {
                let ty = match v {
                    Value::Bool(_) => "Boolean",
                    Value::Number(_) => "Number",
                    _ => "String",
                };
                fields[k] = json!(ty);
            }
            let tree = p.tree();
            let b = (tree.size() > 0)
                .then(|| tree.root().envelope())
                .map(|e| [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]]);
            (b, fields, default_attribution())
        }
    };
    let b = bounds.unwrap_or([73.0, 3.0, 136.0, 54.0]);
    let mut tj = json!({
        "tilejson": "3.0.0",
        "name": name,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": s.limits.max_zoom,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 4],
        "attribution": attribution,
        "vector_layers": [{"id": name, "fields": fields, "minzoom": 0, "maxzoom": s.limits.max_zoom}],
    });
    // Point layers also say how they are clustered: grid cells of about `cluster_radius_px`
    // screen pixels (`cluster_cells_per_tile` per tile side) up to zoom `cluster_maxzoom`.
    // Admin tiles also hold one label point per unit (see `tiles::encode_tile`).
    if let Some(TileLayer::Admin(level)) = layer
        && let Some(layers) = tj["vector_layers"].as_array_mut()
    {
        layers.push(json!({
            "id": format!("{name}_label"),
            "description": "one point per unit at its representative point, for labels",
            "fields": {"code": "String", "name_zh": "String", "name_pinyin": "String"},
            "minzoom": tiles::label_min_zoom(level),
            "maxzoom": s.limits.max_zoom,
        }));
    }
    if remote.is_some() || matches!(layer, Some(TileLayer::Points(_))) {
        tj["cluster_radius_px"] = json!(s.cluster.radius_px());
        tj["cluster_cells_per_tile"] = json!(s.cluster.cells_per_side());
        tj["cluster_maxzoom"] = json!(tiles::CLUSTER_MAX_ZOOM - 1);
    }
    Ok(tj)
}

/// `GET /tiles/{layer}.json` → TileJSON 3.0.0 with absolute tile URLs.
#[utoipa::path(
    get,
    path = "/tiles/{layer}.json",
    tag = "Tiles",
    params(("layer" = String, Path, description = "A tile layer name (see `/tiles`)")),
    responses(
        (status = 200, description = "TileJSON 3.0.0", body = Object, content_type = "application/json"),
        (status = 404, description = "Unknown layer", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_tilejson(State(s): State<AppState>, Path(file): Path<String>, base: Base) -> Result<Json<Value>, ApiError> {
    let name = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::NotFound(format!("no resource at /tiles/{file}")))?;
    Ok(Json(tilejson(&s, name, base.as_str())?))
}

/// `GET /tiles` → the TileJSON of every tile layer.
#[utoipa::path(
    get,
    path = "/tiles",
    tag = "Tiles",
    responses((status = 200, description = "`{\"tilesets\": [TileJSON, …]}`", body = Object, content_type = "application/json"))
)]
async fn get_tilesets(State(s): State<AppState>, base: Base) -> Result<Json<Value>, ApiError> {
    let base = base.as_str();
    let sets = layer_names(&s)
        .iter()
        .map(|n| tilejson(&s, n, base))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "tilesets": sets })))
}

/// Most members a cluster of a database layer is expanded into.
const MAX_EXPANDED: usize = 10_000;

/// `GET /tiles/{layer}/expand?cluster_id=` → the cluster's members and the zoom at which it splits.
#[utoipa::path(
    get,
    path = "/tiles/{layer}/expand",
    tag = "Tiles",
    params(
        ("layer" = String, Path, description = "A point layer, e.g. `clusters`"),
        ("cluster_id" = u64, Query, description = "`cluster_id` of a cluster feature in a tile of this layer"),
        PointFilterDoc,
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection of the members with `cluster_id`, `point_count`, `zoom` and `expansion_zoom`", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad cluster_id; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown layer or no such cluster", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_expand(State(s): State<AppState>, Path(layer): Path<String>, mut q: QueryParams) -> Result<Response, ApiError> {
    let id: u64 = q.required("cluster_id", "a cluster_id from a clusters tile")?;
    let filter = q.point_filter()?;
    q.finish()?;
    if let Some(source) = s.remote_layer(&layer) {
        let (tile, cell) = tiles::expand::decode(id, s.cluster)?;
        let members = source.cluster_members(tile, cell, s.cluster, &filter, MAX_EXPANDED + 1).await?;
        if members.len() < 2 {
            return Err(ApiError::NotFound(format!("no cluster {id} in layer {layer}")));
        }
        if members.len() > MAX_EXPANDED {
            return Err(ApiError::bad_parameter(
                "cluster_id",
                format!("cluster {id} holds more than {MAX_EXPANDED} points: expand one of a deeper zoom"),
            ));
        }
        let refs: Vec<&crate::model::PlaceFeature> = members.iter().collect();
        let mut body =
            crate::geojson_out::feature_collection(members.iter().map(|f| crate::geojson_out::place_feature(f, &layer, None)).collect());
        body["cluster_id"] = json!(id);
        body["point_count"] = json!(members.len());
        body["zoom"] = json!(tile.z);
        body["expansion_zoom"] = json!(tiles::expand::expansion_zoom(tile, &refs, s.cluster));
        return Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response());
    }
    let TileLayer::Points(points) = tiles::resolve_layer(&s.atlas, &layer)? else {
        return Err(ApiError::NotFound(format!(
            "{layer} is not a point layer; only point layers are clustered"
        )));
    };
    let e = tiles::expand::expand_cluster(points, id, s.cluster, &filter)?
        .ok_or_else(|| ApiError::NotFound(format!("no cluster {id} in layer {layer}")))?;
    let mut body = crate::geojson_out::feature_collection(
        e.members
            .iter()
            .map(|f| crate::geojson_out::place_feature(f, &layer, None))
            .collect(),
    );
    body["cluster_id"] = json!(id);
    body["point_count"] = json!(e.members.len());
    body["zoom"] = json!(e.tile.z);
    body["expansion_zoom"] = json!(e.expansion_zoom);
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response())
}
