//! `GET /reverse` (one point → county Feature) and `POST /reverse` (batch).

use super::AppState;
use super::body::JsonBody;
use super::error::ApiError;
use super::params::QueryParams;
use crate::analysis;
use crate::geojson_out::admin_feature;
use crate::model::AdminLevel;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/reverse", get(get_reverse).post(post_reverse))
}

fn level_param(q: &mut QueryParams) -> Result<AdminLevel, ApiError> {
    Ok(q.optional("level", "province, prefecture or county")?.unwrap_or(AdminLevel::County))
}

/// `GET /reverse?lon=&lat=[&level=county][&geometry=true]` → the containing unit as a
/// GeoJSON Feature; 404 outside every unit.
#[utoipa::path(
    get,
    path = "/reverse",
    tag = "Analysis",
    params(
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees", minimum = -180, maximum = 180),
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees", minimum = -90, maximum = 90),
        ("level" = Option<String>, Query, description = "Admin level: `province`, `prefecture` or `county` (default `county`)"),
        ("geometry" = Option<bool>, Query, description = "Include the unit boundary (default true)"),
    ),
    responses(
        (status = 200, description = "The containing unit as a GeoJSON Feature", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No unit at this level contains the point", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_reverse(State(s): State<AppState>, mut q: QueryParams) -> Result<impl IntoResponse, ApiError> {
    let (lon, lat) = q.lon_lat()?;
    let level = level_param(&mut q)?;
    let geometry = q.flag("geometry", true)?;
    q.finish()?;
    let unit = analysis::reverse_geocode(&s.atlas, level, lon, lat)?
        .ok_or_else(|| ApiError::NotFound(format!("no {level} contains lon={lon} lat={lat}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(admin_feature(unit, geometry)),
    ))
}

/// Body of `POST /reverse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    points: Vec<[f64; 2]>,
}

/// `POST /reverse` with `{"points": [[lon, lat], …]}` → `{"results": [… or null]}` in order.
#[utoipa::path(
    post,
    path = "/reverse",
    tag = "Analysis",
    request_body(content = Object, content_type = "application/json", description = "`{\"points\": [[lon, lat], …]}` (at most 10,000 points)"),
    params(
        ("level" = Option<String>, Query, description = "Admin level: `province`, `prefecture` or `county` (default `county`)"),
    ),
    responses(
        (status = 200, description = "`{\"results\": [unit or null, …]}` in input order", body = Object, content_type = "application/json"),
        (status = 400, description = "Bad parameter or malformed body", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many points or body too large", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn post_reverse(
    State(s): State<AppState>,
    mut q: QueryParams,
    JsonBody(req): JsonBody<BatchRequest>,
) -> Result<Json<Value>, ApiError> {
    let level = level_param(&mut q)?;
    q.finish()?;
    let max = s.limits.max_batch_points;
    if req.points.len() > max {
        return Err(ApiError::TooLarge(format!(
            "{} points given; at most {max} per request",
            req.points.len()
        )));
    }
    // Up to --max-batch-points polygon lookups: on the blocking pool, off the async threads.
    let atlas = s.atlas.clone();
    let results = tokio::task::spawn_blocking(move || {
        let hits = analysis::reverse_geocode_many(&atlas, level, &req.points)?;
        Ok::<Vec<Value>, crate::analysis::AnalysisError>(
            hits.into_iter()
                .map(|u| {
                    u.map_or(Value::Null, |u| {
                        json!({
                            "code": u.code.to_string(),
                            "name_zh": u.name_zh,
                            "prefecture_code": u.prefecture_code.map(|c| c.to_string()),
                            "province_code": u.province_code.to_string(),
                        })
                    })
                })
                .collect(),
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::BadBody(e.to_string()))?;
    Ok(Json(json!({ "results": results })))
}
