//! `GET /density`, `GET /density.csv` and `GET /density/h3`: industry concentration per
//! admin unit (choropleth-ready GeoJSON or CSV) and per H3 hexagon.
//!
//! Measures (`measure=`): `count`; `per_10k_km2` = count / area_km2 × 10,000 (equal-area
//! area); `share` = count / total matching features; `lq` (location quotient) = (matching
//! features in unit / all features in unit) ÷ (matching nationally / all nationally), where
//! "all features" pass every filter except `industry`; `lq` is null where the unit has no
//! features at all. Class breaks (`method=quantile|equal|jenks`, `classes=2..12`) are
//! computed over the units with at least one matching feature; the others get `class: null`.

use super::AppState;
use super::csv_cell::text_cell;
use super::error::ApiError;
use super::params::{PointFilterDoc, QueryParams};
use super::stream;
use crate::analysis::PointFilter;
use crate::analysis::classify::{Breaks, Method};
use crate::analysis::density::{self, Density, DensityQuery, HexCount, Measure};
use crate::atlas::Atlas;
use crate::crs::project::ProjectError;
use crate::geojson_out::FeatureWriter;
use crate::model::AdminLevel;
use crate::source::SourceError;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/density", get(get_density))
        .route("/density.csv", get(get_density_csv))
        .route("/density/h3", get(get_h3))
}

/// How unit polygons are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GeometryMode {
    /// Full-resolution boundaries.
    Full,
    /// No geometry (`null`).
    None,
    /// Generalised boundaries ([`Atlas::admin_simplified`]), coordinates rounded to 1e-4°.
    Simplified,
}

impl std::str::FromStr for GeometryMode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "true" => Ok(GeometryMode::Full),
            "false" => Ok(GeometryMode::None),
            "simplified" => Ok(GeometryMode::Simplified),
            _ => Err(()),
        }
    }
}

/// Everything `/density` and `/density.csv` accept.
struct DensityParams {
    query: DensityQuery,
    classes: usize,
    method: Method,
    all: bool,
    geometry: GeometryMode,
}

fn density_params(q: &mut QueryParams) -> Result<DensityParams, ApiError> {
    let level = q.optional("level", "province, prefecture or county")?.unwrap_or(AdminLevel::County);
    let measure = q.optional("measure", "count, per_10k_km2, share or lq")?.unwrap_or(Measure::Count);
    let classes = q.optional("classes", "an integer between 2 and 12")?.unwrap_or(5);
    let method = q.optional("method", "quantile, equal or jenks")?.unwrap_or(Method::Quantile);
    let all = q.flag("all", false)?;
    let geometry = q
        .optional("geometry", "true, false or simplified")?
        .unwrap_or(GeometryMode::Simplified);
    let filter = q.point_filter()?;
    Ok(DensityParams {
        query: DensityQuery { level, measure, filter },
        classes,
        method,
        all,
        geometry,
    })
}

/// The query parameters of `/density` and `/density.csv`, for the OpenAPI document only
/// (parsing and validation are in `density_params`, through `QueryParams`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "read by the OpenAPI generator, never constructed")]
struct DensityParamsDoc {
    /// Admin level: `province`, `prefecture` or `county` (default `county`)
    level: Option<String>,
    /// `count` (default), `per_10k_km2`, `share` or `lq` (location quotient):
    measure: Option<String>,
    /// Number of classes (default 5)
    #[param(minimum = 2, maximum = 12)]
    classes: Option<u8>,
    /// Class breaks: `quantile` (default), `equal` or `jenks`
    method: Option<String>,
    /// Also list units without matching features (default false)
    all: Option<bool>,
    /// `simplified` (default), `true` (full boundaries) or `false` (none)
    geometry: Option<String>,
}

/// `GET /density?level=county&measure=count[&industry=&kind=&designation=&layer=][&classes=5]
/// [&method=quantile][&all=false][&geometry=simplified]` → a FeatureCollection of units
/// (only those with count > 0 unless `all=true`) with `count`, `value` and `class`, and
/// top-level `measure`, `filters`, `total`, `breaks` and `definition`.
#[utoipa::path(
    get,
    path = "/density",
    tag = "Density",
    params(DensityParamsDoc, PointFilterDoc),
    responses(
        (status = 200, description = "FeatureCollection of units with `count`, `value`, `class`; top-level `measure`, `definition`, `breaks`", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_density(State(s): State<AppState>, mut q: QueryParams) -> Result<Response, ApiError> {
    let p = density_params(&mut q)?;
    q.finish()?;
    let counts = code_counts(&s, &p.query.filter).await?;
    // Classified and encoded on the blocking pool; units streamed one by one (county
    // boundaries in full are ~100 MB of JSON).
    let atlas = s.atlas.clone();
    stream::respond("application/geo+json", s.limits.max_result_bytes, move |start| {
        let d = density::density_from_counts(&atlas, &p.query, &counts);
        let (breaks, classes) = match d.classify(p.classes, p.method) {
            Ok(c) => c,
            Err(e) => return start.reject(e.into()),
        };
        let Some(writer) = start.begin() else { return };
        let mut head = Map::new();
        head.insert("type".into(), json!("FeatureCollection"));
        head.extend(summary(&d, &p, &breaks));
        let features = rows(&d, &classes, p.all).map(|(i, class)| unit_feature(&atlas, &d, i, class, p.geometry));
        stream::finish_feature_collection(writer, &head, features);
    })
    .await
}

/// `GET /density.csv` with the `/density` parameters (`geometry` is accepted and ignored):
/// one row per unit, UTF-8 with a byte-order mark so spreadsheet programs read the Chinese
/// names correctly.
#[utoipa::path(
    get,
    path = "/density.csv",
    tag = "Density",
    params(DensityParamsDoc, PointFilterDoc),
    responses(
        (status = 200, description = "One row per unit, UTF-8 with BOM", body = Object, content_type = "text/csv"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_density_csv(State(s): State<AppState>, mut q: QueryParams) -> Result<impl IntoResponse, ApiError> {
    let p = density_params(&mut q)?;
    q.finish()?;
    let counts = code_counts(&s, &p.query.filter).await?;
    let d = density::density_from_counts(&s.atlas, &p.query, &counts);
    let (_, classes) = d.classify(p.classes, p.method)?;
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    let header = [
        "code",
        "name_zh",
        "name_pinyin",
        "level",
        "province_code",
        "prefecture_code",
        "area_km2",
        "count",
        "base_count",
        "value",
        "class",
    ];
    let csv_error = |e: csv::Error| ApiError::Internal(format!("writing CSV: {e}"));
    w.write_record(header).map_err(csv_error)?;
    for (i, class) in rows(&d, &classes, p.all) {
        let u = &d.units[i];
        let opt = |v: Option<String>| v.unwrap_or_default();
        w.write_record([
            u.unit.code.to_string(),
            text_cell(&u.unit.name_zh).into_owned(),
            text_cell(&u.unit.name_pinyin).into_owned(),
            u.unit.level.name().to_owned(),
            u.unit.province_code.to_string(),
            opt(u.unit.prefecture_code.map(|c| c.to_string())),
            format!("{:.3}", u.unit.area_km2),
            u.count.to_string(),
            u.base_count.to_string(),
            opt(u.value.map(|v| v.to_string())),
            opt(class.map(|c| c.to_string())),
        ])
        .map_err(csv_error)?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"density.csv\""),
        ],
        bytes,
    ))
}

/// `GET /density/h3?resolution=2..8[&industry=&kind=&designation=&layer=]` → H3 hexagons
/// (GeoJSON Polygons) with `h3`, `resolution` and `count`; empty cells are omitted.
#[utoipa::path(
    get,
    path = "/density/h3",
    tag = "Density",
    params(
        ("resolution" = u8, Query, description = "H3 resolution", minimum = 2, maximum = 8),
        PointFilterDoc,
    ),
    responses(
        (status = 200, description = "FeatureCollection of H3 hexagons with `count`", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_h3(State(s): State<AppState>, mut q: QueryParams) -> Result<Response, ApiError> {
    let resolution: u8 = q.required("resolution", "an integer between 2 and 8")?;
    let filter = q.point_filter()?;
    q.finish()?;
    let res = density::h3_resolution(resolution)?;
    // Layers that cannot place points in cells (database layers) are named in `skipped_layers`;
    // asked for by `layer=`, such a layer is a 400.
    let (mut counts, mut skipped) = (Vec::new(), Vec::new());
    for source in s.layers.selected(&filter) {
        match source.hex_counts(&filter, res).await {
            Ok(c) => counts.extend(c),
            Err(SourceError::Unsupported { layer, .. }) if filter.layer.is_none() => skipped.push(layer),
            Err(e) => return Err(e.into()),
        }
    }
    stream::respond("application/geo+json", s.limits.max_result_bytes, move |start| {
        let hexes = density::hex_density(counts);
        let Some(writer) = start.begin() else { return };
        let total: usize = hexes.iter().map(|h| h.count).sum();
        let mut head = Map::new();
        head.insert("type".into(), json!("FeatureCollection"));
        head.insert("resolution".into(), json!(resolution));
        head.insert("filters".into(), filters_json(&filter));
        head.insert("total".into(), json!(total));
        head.insert("skipped_layers".into(), json!(skipped));
        let features = hexes.iter().map(|h| serde_json::to_vec(&hex_feature(h, resolution)));
        stream::finish_feature_collection(writer, &head, features);
    })
    .await
}

/// The counts per admin code of every layer `filter` selects (a database layer pushes
/// them down as `GROUP BY`).
async fn code_counts(s: &AppState, filter: &PointFilter) -> Result<Vec<density::CodeCount>, ApiError> {
    let mut out = Vec::new();
    for source in s.layers.selected(filter) {
        out.extend(source.code_counts(filter).await?);
    }
    Ok(out)
}

/// Indexes of the units to list (count > 0 unless `all`) with their class.
fn rows<'a>(d: &'a Density<'_>, classes: &'a [Option<usize>], all: bool) -> impl Iterator<Item = (usize, Option<usize>)> + 'a {
    d.units
        .iter()
        .zip(classes)
        .enumerate()
        .filter(move |(_, (u, _))| all || u.count > 0)
        .map(|(i, (_, &class))| (i, class))
}

/// Top-level members of the `/density` reply.
fn summary(d: &Density<'_>, p: &DensityParams, breaks: &Breaks) -> Map<String, Value> {
    let body = json!({
        "level": d.level.name(),
        "measure": d.measure.name(),
        "definition": d.measure.definition(),
        "filters": filters_json(&p.query.filter),
        "total": d.total,
        "assigned": d.assigned(),
        "unassigned": d.unassigned,
        "base_total": d.base_total,
        "method": p.method.name(),
        "classes": breaks.classes(),
        "breaks": breaks.bounds(),
    });
    match body {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn filters_json(f: &PointFilter) -> Value {
    json!({
        "layer": f.layer,
        "kind": f.kind,
        "industry": f.industry,
        "designation": f.designation,
        "approval_level": f.approval_level,
        "datetime": f.datetime.map(|d| d.to_string()),
    })
}

/// One unit as Feature bytes (`id` = code), written by [`FeatureWriter`]: full boundaries
/// to 1e-7°, generalised ones to 1e-4° (their vertices are no more precise).
fn unit_feature(atlas: &Atlas, d: &Density<'_>, i: usize, class: Option<usize>, mode: GeometryMode) -> Result<Vec<u8>, ProjectError> {
    let u = &d.units[i];
    let (writer, geometry) = match mode {
        GeometryMode::None => (FeatureWriter::crs84(), None),
        GeometryMode::Full => (FeatureWriter::crs84(), Some(&u.unit.geometry)),
        GeometryMode::Simplified => (FeatureWriter::crs84().rounded_to(1e4), atlas.admin_simplified(d.level).get(i)),
    };
    let code = u.unit.code.to_string();
    let properties = [
        ("code", json!(code)),
        ("name_zh", json!(u.unit.name_zh)),
        ("name_pinyin", json!(u.unit.name_pinyin)),
        ("level", json!(u.unit.level.name())),
        ("province_code", json!(u.unit.province_code.to_string())),
        ("prefecture_code", json!(u.unit.prefecture_code.map(|c| c.to_string()))),
        ("area_km2", json!((u.unit.area_km2 * 1000.0).round() / 1000.0)),
        ("count", json!(u.count)),
        ("base_count", json!(u.base_count)),
        ("value", json!(u.value)),
        ("class", json!(class)),
    ];
    let mut out = Vec::with_capacity(512);
    writer.polygon_feature(&mut out, &code, &properties, geometry)?;
    Ok(out)
}

fn hex_feature(h: &HexCount, resolution: u8) -> Value {
    json!({
        "type": "Feature",
        "id": h.cell.to_string(),
        "properties": {"h3": h.cell.to_string(), "resolution": resolution, "count": h.count},
        "geometry": {"type": "Polygon", "coordinates": [h.ring]},
    })
}
