//! `GET /convert`: a point between WGS84, GCJ-02 and BD-09.

use super::AppState;
use super::error::ApiError;
use super::params::QueryParams;
use crate::crs::{self, Datum};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/convert", get(get_convert))
}

/// `GET /convert?from=gcj02&to=wgs84&lon=&lat=` → `{"from","to","input","output"}`.
#[utoipa::path(
    get,
    path = "/convert",
    tag = "Analysis",
    params(
        ("from" = String, Query, description = "Source datum: `wgs84`, `gcj02` or `bd09`"),
        ("to" = String, Query, description = "Target datum: `wgs84`, `gcj02` or `bd09`"),
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees", minimum = -180, maximum = 180),
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees", minimum = -90, maximum = 90),
    ),
    responses(
        (status = 200, description = "`{from, to, input, output}`", body = Object, content_type = "application/json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_convert(mut q: QueryParams) -> Result<Json<Value>, ApiError> {
    let from: Datum = q.required("from", "one of wgs84, gcj02, bd09")?;
    let to: Datum = q.required("to", "one of wgs84, gcj02, bd09")?;
    let (lon, lat) = q.lon_lat()?;
    q.finish()?;
    let (x, y) = crs::convert(from, to, (lon, lat));
    Ok(Json(json!({ "from": from, "to": to, "input": [lon, lat], "output": [x, y] })))
}
