//! OGC API – Tiles 1.0 (vector tiles) beside the TileJSON of `/tiles`: the tile matrix
//! set (`/tileMatrixSets`, `/tileMatrixSets/WebMercatorQuad`), each collection's tilesets
//! (`/collections/{id}/tiles`, `/collections/{id}/tiles/WebMercatorQuad`) and its tiles
//! (`/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`), the same
//! MVT bytes as `/tiles/{layer}/{z}/{x}/{y}.mvt`.
//!
//! The tile matrix set document carries both the OGC TMS 2.0 members (`id`, `crs`,
//! `pointOfOrigin`, `cellSize`) and the TMS 1.0 ones (`identifier`, `supportedCRS`,
//! `topLeftCorner`, `boundingBox`) that GDAL's OGCAPI driver reads before 3.7, so both
//! generations of clients take it. Tileset metadata lists `tileMatrixSetLimits` for every
//! zoom served, from the collection's extent, so a client asks only for tiles that can
//! hold features; a tile outside those limits (or the matrix) is a 404 problem, an empty
//! one inside them a 204.

use super::collections::{Collection, find};
use super::links::{Base, JSON, link};
use super::{negotiate, reply};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::params::QueryParams;
use crate::tiles::TileCoord;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

/// The one tile matrix set served.
pub const WEB_MERCATOR_QUAD: &str = "WebMercatorQuad";
/// Its OGC URI.
pub const WEB_MERCATOR_QUAD_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
/// EPSG:3857 as an OGC URI.
const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
/// Media type of a vector tile.
const MVT: &str = crate::api::tiles::MVT_MEDIA_TYPE;
/// Link relation of a tileset's tile matrix set.
const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
/// Half the side of the Web Mercator square, metres.
const HALF_WORLD_M: f64 = 20_037_508.342_789_244;
/// Metres per pixel at zoom 0 for 256-pixel tiles.
const CELL_SIZE_Z0: f64 = 2.0 * HALF_WORLD_M / 256.0;

/// The WebMercatorQuad definition for zooms `0..=max_zoom` (TMS 2.0 and 1.0 members).
#[must_use]
pub fn tile_matrix_set(max_zoom: u8) -> Value {
    let matrices: Vec<Value> = (0..=max_zoom)
        .map(|z| {
            let cell = CELL_SIZE_Z0 / f64::from(1u32 << z);
            let n = 1u32 << z;
            json!({
                "id": z.to_string(),
                "identifier": z.to_string(),
                // The OGC "standardized rendering pixel size" of 0.28 mm.
                "scaleDenominator": cell / 0.000_28,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF_WORLD_M, HALF_WORLD_M],
                "topLeftCorner": [-HALF_WORLD_M, HALF_WORLD_M],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    json!({
        "id": WEB_MERCATOR_QUAD,
        "identifier": WEB_MERCATOR_QUAD,
        "type": "TileMatrixSetType",
        "title": "Google Maps Compatible for the World",
        "uri": WEB_MERCATOR_QUAD_URI,
        "crs": EPSG_3857,
        "supportedCRS": EPSG_3857,
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {
            "crs": EPSG_3857,
            "lowerLeft": [-HALF_WORLD_M, -HALF_WORLD_M],
            "upperRight": [HALF_WORLD_M, HALF_WORLD_M],
            "lowerCorner": [-HALF_WORLD_M, -HALF_WORLD_M],
            "upperCorner": [HALF_WORLD_M, HALF_WORLD_M],
        },
        "tileMatrices": matrices,
    })
}

/// `GET /tileMatrixSets`: the tile matrix sets of the service.
#[utoipa::path(
    get,
    path = "/tileMatrixSets",
    tag = "OGC API – Tiles",
    responses((status = 200, description = "The tile matrix sets", body = Object, content_type = "application/json"))
)]
pub async fn get_tile_matrix_sets(base: Base, headers: HeaderMap, mut q: QueryParams) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let href = base.url(&format!("/tileMatrixSets/{WEB_MERCATOR_QUAD}"));
    let doc = json!({
        "tileMatrixSets": [{
            "id": WEB_MERCATOR_QUAD,
            "title": "Google Maps Compatible for the World",
            "uri": WEB_MERCATOR_QUAD_URI,
            "crs": EPSG_3857,
            "links": [link(href, "self", JSON, "the tile matrix set")],
        }],
        "links": [link(base.url("/tileMatrixSets"), "self", JSON, "this document")],
    });
    Ok(reply(fmt, &headers, &doc, JSON, super::html::document, false))
}

/// `GET /tileMatrixSets/{tileMatrixSetId}`: the WebMercatorQuad definition.
#[utoipa::path(
    get,
    path = "/tileMatrixSets/{tileMatrixSetId}",
    tag = "OGC API – Tiles",
    params(("tileMatrixSetId" = String, Path, description = "`WebMercatorQuad`")),
    responses(
        (status = 200, description = "The tile matrix set (OGC TMS 2.0 JSON, with the 1.0 members too)", body = Object, content_type = "application/json"),
        (status = 404, description = "Unknown tile matrix set", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tile_matrix_set(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    known_set(&id)?;
    Ok(reply(
        fmt,
        &headers,
        &tile_matrix_set(s.limits.max_zoom),
        JSON,
        super::html::document,
        false,
    ))
}

fn known_set(id: &str) -> Result<(), ApiError> {
    if id == WEB_MERCATOR_QUAD {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "no tile matrix set '{id}'; this service tiles in {WEB_MERCATOR_QUAD}"
        )))
    }
}

/// `[west, south, east, north]` of a collection's tiles (its TileJSON bounds).
fn extent(s: &AppState, c: Collection<'_>) -> Result<[f64; 4], ApiError> {
    crate::api::tiles::tileset(s, c.id()).map(|t| t.bounds)
}

/// The tiles of zoom `z` that meet the box `b`: `(min col, max col, min row, max row)`.
fn limits(b: [f64; 4], z: u8) -> (u32, u32, u32, u32) {
    let (nw, se) = TileCoord::corners(z, b);
    (nw.x, se.x, nw.y, se.y)
}

/// The tileset of collection `c` as listed in `/collections/{id}/tiles`.
fn tileset_summary(base: &Base, c: Collection<'_>) -> Value {
    let id = c.id();
    json!({
        "title": format!("{} as vector tiles", c.title()),
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": WEB_MERCATOR_QUAD_URI,
        "links": [
            link(base.url(&format!("/collections/{id}/tiles/{WEB_MERCATOR_QUAD}")), "self", JSON, "the tileset"),
            link(base.url(&format!("/tileMatrixSets/{WEB_MERCATOR_QUAD}")), REL_TILING_SCHEME, JSON, "the tile matrix set"),
        ],
    })
}

/// `GET /collections/{id}/tiles`: the collection's tilesets (one, in WebMercatorQuad).
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/tiles",
    tag = "OGC API – Tiles",
    params(("collectionId" = String, Path, description = "Collection id, e.g. `counties` or `clusters`")),
    responses(
        (status = 200, description = "The tilesets of the collection", body = Object, content_type = "application/json"),
        (status = 404, description = "Unknown collection", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tilesets(
    State(s): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let c = find(&s, &id)?;
    let doc = json!({
        "tilesets": [tileset_summary(&base, c)],
        "links": [
            link(base.url(&format!("/collections/{id}/tiles")), "self", JSON, "this document"),
            link(base.url(&format!("/collections/{id}")), "collection", JSON, "the collection"),
        ],
    });
    Ok(reply(fmt, &headers, &doc, JSON, super::html::document, false))
}

/// `GET /collections/{id}/tiles/{tileMatrixSetId}`: the tileset's metadata.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    tag = "OGC API – Tiles",
    params(
        ("collectionId" = String, Path, description = "Collection id, e.g. `counties` or `clusters`"),
        ("tileMatrixSetId" = String, Path, description = "`WebMercatorQuad`"),
    ),
    responses(
        (status = 200, description = "Tileset metadata: tile matrix limits, layers, links to the tile template and to TileJSON", body = Object, content_type = "application/json"),
        (status = 404, description = "Unknown collection or tile matrix set", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tileset(
    State(s): State<AppState>,
    Path((id, tms)): Path<(String, String)>,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let c = find(&s, &id)?;
    known_set(&tms)?;
    let b = extent(&s, c)?;
    let limits: Vec<Value> = (0..=s.limits.max_zoom)
        .map(|z| {
            let (x0, x1, y0, y1) = limits(b, z);
            json!({"tileMatrix": z.to_string(), "minTileRow": y0, "maxTileRow": y1, "minTileCol": x0, "maxTileCol": x1})
        })
        .collect();
    let mut doc = tileset_summary(&base, c);
    let template = base.url(&format!(
        "/collections/{id}/tiles/{WEB_MERCATOR_QUAD}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
    ));
    let geometry = match c {
        Collection::Admin(_) => "polygons",
        Collection::Points(_) => "points",
    };
    doc["tileMatrixSetLimits"] = json!(limits);
    doc["layers"] = json!([{
        "id": id,
        "dataType": "vector",
        "geometryType": geometry,
        "minTileMatrix": "0",
        "maxTileMatrix": s.limits.max_zoom.to_string(),
    }]);
    doc["boundingBox"] =
        json!({"lowerLeft": [b[0], b[1]], "upperRight": [b[2], b[3]], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"});
    if let Some(links) = doc["links"].as_array_mut() {
        let mut tiles = link(template, "item", MVT, "a tile (Mapbox vector tile)");
        tiles["templated"] = json!(true);
        links.push(tiles);
        links.push(link(
            base.url(&format!("/tiles/{id}.json")),
            "describedby",
            JSON,
            "TileJSON 3.0.0 of the same tiles",
        ));
    }
    Ok(reply(fmt, &headers, &doc, JSON, super::html::document, false))
}

/// `GET /collections/{id}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`: one
/// vector tile, the bytes of `/tiles/{id}/{tileMatrix}/{tileCol}/{tileRow}.mvt`.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    tag = "OGC API – Tiles",
    params(
        ("collectionId" = String, Path, description = "Collection id, e.g. `counties` or `clusters`"),
        ("tileMatrixSetId" = String, Path, description = "`WebMercatorQuad`"),
        ("tileMatrix" = String, Path, description = "Zoom level, `0` to the deepest served"),
        ("tileRow" = u32, Path, description = "Row from the north"),
        ("tileCol" = u32, Path, description = "Column from the west"),
    ),
    responses(
        (status = 200, description = "The tile", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"),
        (status = 304, description = "Unchanged (If-None-Match)"),
        (status = 404, description = "Unknown collection or tile matrix set, or a tile outside the tile matrix limits", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tile(
    State(s): State<AppState>,
    Path((id, tms, matrix, row, col)): Path<(String, String, String, String, String)>,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let filter = q.point_filter()?;
    q.finish()?;
    let c = find(&s, &id)?;
    known_set(&tms)?;
    let outside = || ApiError::NotFound(format!("no tile {matrix}/{row}/{col} in the tile matrix limits of '{id}'"));
    let (z, row, col) = match (matrix.parse::<u8>(), row.parse::<u32>(), col.parse::<u32>()) {
        (Ok(z), Ok(r), Ok(c)) if z <= s.limits.max_zoom => (z, r, c),
        _ => return Err(outside()),
    };
    let (x0, x1, y0, y1) = limits(extent(&s, c)?, z);
    if !(x0..=x1).contains(&col) || !(y0..=y1).contains(&row) {
        return Err(outside());
    }
    let t = TileCoord::new(u32::from(z), col, row).map_err(|_| outside())?;
    crate::api::tiles::tile_response(&s, &id, t, filter, &headers).await
}
