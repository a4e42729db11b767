//! `GET /tiles`, `GET /tiles/{layer}.json` (TileJSON 3.0.0) and
//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt` (Mapbox Vector Tiles; point layers take the point
//! filters `kind`, `industry`, `approval_level`, `datetime`, `designation`, clustered after
//! filtering).

use super::AppState;
use super::base_url::Base;
use super::conditional;
use super::error::ApiError;
use super::params::{PointFilterDoc, QueryParams};
use crate::analysis::PointFilter;
use crate::analysis::features::QueryableType;
use crate::api::extract::Path;
use crate::atlas::Atlas;
use crate::model::{AdminLevel, PlaceFeature};
use crate::source::PointSources;
use crate::tiles::cache::EncodedTile;
use crate::tiles::{self, ADMIN_LAYERS, TileCoord, TileError};
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
    let t = TileCoord::new(parse_coord("z", &z)?, parse_coord("x", &x)?, parse_coord("y", y)?)?;
    tile_response(&s, &layer, t, filter, &headers).await
}

/// One tile of `layer` (admin boundaries or a point layer through its source), from the
/// cache or encoded once for all concurrent requests, with its weak ETag; 204 when empty,
/// 304 when the client has it, 404 beyond `serve --max-zoom` or for an unknown layer.
///
/// # Errors
/// [`ApiError::NotFound`] for an unknown layer or a zoom beyond the deepest served; the
/// source's error (503 for a database that is down).
pub async fn tile_response(
    s: &AppState,
    layer: &str,
    t: TileCoord,
    filter: PointFilter,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if t.z > s.limits.max_zoom {
        return Err(ApiError::NotFound(format!(
            "zoom {} is beyond the deepest zoom served, {} (serve --max-zoom)",
            t.z, s.limits.max_zoom
        )));
    }
    let admin = AdminLevel::from_layer_name(layer);
    let source = match admin {
        Some(_) => None,
        None => Some(
            s.layers
                .get(layer)
                .cloned()
                .ok_or_else(|| ApiError::NotFound(TileError::UnknownLayer(layer.to_owned()).to_string()))?,
        ),
    };
    // Filtered point tiles are cached apart: the key names the filter too.
    let key = (format!("{layer}\u{1f}{filter:?}"), t.z, t.x, t.y);
    // Single-flight: concurrent misses for this tile share one encode.
    let tile = s
        .tile_cache
        .get_or_encode(&key, || {
            let (atlas, prepared, cluster, name) = (s.atlas.clone(), s.prepared_tiles.clone(), s.cluster, layer.to_owned());
            async move {
                let fresh = match (admin, source) {
                    // A point layer's source decides where its work runs (see `source::memory`).
                    (_, Some(source)) => source.tile(t, cluster, &filter).await?,
                    // Admin tiles can take milliseconds: the blocking pool.
                    (Some(level), None) => {
                        tokio::task::spawn_blocking(move || tiles::encode_admin_tile(&atlas, &prepared, level, &name, t))
                            .await
                            .map_err(|e| ApiError::Internal(e.to_string()))??
                    }
                    (None, None) => None,
                };
                Ok::<_, ApiError>(fresh.map(|bytes| {
                    Arc::new(EncodedTile {
                        etag: conditional::weak_etag(format_args!("{:x}", Sha256::digest(&bytes))),
                        bytes: Arc::from(bytes),
                    })
                }))
            }
        })
        .await?;
    let Some(tile) = tile else {
        return Ok((StatusCode::NO_CONTENT, [(header::CACHE_CONTROL, TILE_CACHE_CONTROL)]).into_response());
    };
    if conditional::is_fresh(headers, &tile.etag) {
        return Ok(conditional::not_modified(&tile.etag, TILE_CACHE_CONTROL));
    }
    Ok((
        [
            (header::CACHE_CONTROL, TILE_CACHE_CONTROL),
            (header::CONTENT_TYPE, MVT_MEDIA_TYPE),
            (header::ETAG, tile.etag.as_str()),
        ],
        axum::body::Bytes::from_owner(tile.bytes.clone()),
    )
        .into_response())
}

/// `Cache-Control` of tiles.
const TILE_CACHE_CONTROL: &str = "public, max-age=86400";

/// The fields every point-layer tile carries besides the features' own properties.
fn point_fields() -> Value {
    json!({"id": "String", "cluster": "Boolean", "cluster_id": "Number", "point_count": "Number",
        "point_count_abbreviated": "String", "top_industries": "String"})
}

/// What kind of tile layer a tileset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSetKind {
    /// Boundaries of one admin level (with a `{name}_label` layer).
    Admin(AdminLevel),
    /// A point layer, grid-clustered below [`tiles::CLUSTER_MAX_ZOOM`].
    Points,
}

/// What the TileJSON of one layer says, except what depends on the request (the base URL)
/// or the server's options (zoom and clustering limits).
#[derive(Debug, Clone)]
pub struct TileSet {
    /// Layer name.
    pub name: String,
    /// Admin or point layer.
    pub kind: TileSetKind,
    /// `[west, south, east, north]`.
    pub bounds: [f64; 4],
    /// The `fields` of its vector layer.
    pub fields: Value,
    /// Attribution text.
    pub attribution: String,
}

/// The tilesets of a server, admin levels first, built once per atlas.
#[derive(Debug, Clone, Default)]
pub struct TileSets {
    sets: Vec<TileSet>,
}

impl TileSets {
    /// The tilesets of `atlas`'s boundaries and of every point layer of `layers`.
    #[must_use]
    pub fn new(atlas: &Atlas, layers: &PointSources) -> Self {
        const CHINA: [f64; 4] = [73.0, 3.0, 136.0, 54.0];
        let ours = || "Boundaries: GB/T 2260 county-level divisions; clusters: cluster-atlas".to_owned();
        // Admin tiles count the default layer's features per industry (`n_<industry>`).
        let mut admin_fields =
            json!({"code": "String", "name_zh": "String", "name_pinyin": "String", "area_km2": "Number", "n_total": "Number"});
        if let Some(p) = atlas.point_layer(crate::atlas::DEFAULT_POINT_LAYER) {
            for ind in p.features().iter().flat_map(|f| &f.industries) {
                admin_fields[format!("n_{ind}")] = json!("Number");
            }
        }
        let admin = ADMIN_LAYERS.iter().map(|(name, level)| TileSet {
            name: (*name).to_owned(),
            kind: TileSetKind::Admin(*level),
            bounds: atlas
                .admin_extent(*level)
                .map_or(CHINA, |e| [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]]),
            fields: admin_fields.clone(),
            attribution: ours(),
        });
        let points = layers.all().iter().map(|l| {
            let info = l.info();
            let mut fields = point_fields();
            for q in &info.queryables {
                fields[&q.name] = json!(match q.kind {
                    QueryableType::Number => "Number",
                    QueryableType::Boolean => "Boolean",
                    QueryableType::String => "String",
                });
            }
            TileSet {
                name: info.name.clone(),
                kind: TileSetKind::Points,
                bounds: info.extent.unwrap_or(CHINA),
                fields,
                attribution: info.licence.clone().unwrap_or_else(ours),
            }
        });
        Self {
            sets: admin.chain(points).collect(),
        }
    }

    /// Every tileset.
    #[must_use]
    pub fn all(&self) -> &[TileSet] {
        &self.sets
    }

    /// The tileset named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&TileSet> {
        self.sets.iter().find(|t| t.name == name)
    }
}

/// TileJSON 3.0.0 of one layer.
fn tilejson(s: &AppState, set: &TileSet, base: &str) -> Value {
    let (name, b) = (&set.name, set.bounds);
    let mut tj = json!({
        "tilejson": "3.0.0",
        "name": name,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": s.limits.max_zoom,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 4],
        "attribution": set.attribution,
        "vector_layers": [{"id": name, "fields": set.fields, "minzoom": 0, "maxzoom": s.limits.max_zoom}],
    });
    match set.kind {
        // Admin tiles also hold one label point per unit (see `tiles::encode_admin_tile`).
        TileSetKind::Admin(level) => {
            if let Some(layers) = tj["vector_layers"].as_array_mut() {
                layers.push(json!({
                    "id": format!("{name}_label"),
                    "description": "one point per unit at its representative point, for labels",
                    "fields": {"code": "String", "name_zh": "String", "name_pinyin": "String"},
                    "minzoom": tiles::label_min_zoom(level),
                    "maxzoom": s.limits.max_zoom,
                }));
            }
        }
        // Point layers also say how they are clustered: grid cells of about
        // `cluster_radius_px` screen pixels (`cluster_cells_per_tile` per tile side) up to
        // zoom `cluster_maxzoom`, and deeper in a tile that holds more than `max_tile_points`.
        TileSetKind::Points => {
            tj["cluster_radius_px"] = json!(s.cluster.radius_px());
            tj["cluster_cells_per_tile"] = json!(s.cluster.cells_per_side());
            tj["cluster_maxzoom"] = json!(tiles::CLUSTER_MAX_ZOOM - 1);
            tj["max_tile_points"] = json!(tiles::MAX_TILE_POINTS);
        }
    }
    tj
}

/// The tileset of layer `name`.
///
/// # Errors
/// [`ApiError::NotFound`] for a layer without tiles.
pub fn tileset<'a>(s: &'a AppState, name: &str) -> Result<&'a TileSet, ApiError> {
    s.tilesets
        .get(name)
        .ok_or_else(|| ApiError::NotFound(TileError::UnknownLayer(name.to_owned()).to_string()))
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
    Ok(Json(tilejson(&s, tileset(&s, name)?, base.as_str())))
}

/// `GET /tiles` → the TileJSON of every tile layer.
#[utoipa::path(
    get,
    path = "/tiles",
    tag = "Tiles",
    responses((status = 200, description = "`{\"tilesets\": [TileJSON, …]}`", body = Object, content_type = "application/json"))
)]
async fn get_tilesets(State(s): State<AppState>, base: Base) -> Result<Json<Value>, ApiError> {
    let sets: Vec<Value> = s.tilesets.all().iter().map(|t| tilejson(&s, t, base.as_str())).collect();
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
    let source = s.layers.get(&layer).ok_or_else(|| {
        let why = if AdminLevel::from_layer_name(&layer).is_some() {
            format!("{layer} is not a point layer; only point layers are clustered")
        } else {
            TileError::UnknownLayer(layer.clone()).to_string()
        };
        ApiError::NotFound(why)
    })?;
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
    let refs: Vec<&PlaceFeature> = members.iter().map(AsRef::as_ref).collect();
    let mut body =
        crate::geojson_out::feature_collection(refs.iter().map(|f| crate::geojson_out::place_feature(f, &layer, None)).collect());
    body["cluster_id"] = json!(id);
    body["point_count"] = json!(members.len());
    body["zoom"] = json!(tile.z);
    body["expansion_zoom"] = json!(tiles::expand::expansion_zoom(tile, &refs, s.cluster));
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response())
}
