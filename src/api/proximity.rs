//! `GET /nearest` and `GET /within`: point features near a location, as GeoJSON.

use super::AppState;
use super::error::ApiError;
use super::params::{PointFilterDoc, QueryParams};
use crate::analysis::proximity::{sort_hits, validate_radius};
use crate::analysis::reverse::validate_lon_lat;
use crate::analysis::{Hit, PointFilter};
use crate::geojson_out::{FeatureWriter, collection_bytes};
use crate::source::Near;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Map, Value};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/nearest", get(get_nearest)).route("/within", get(get_within))
}

/// Hits as a GeoJSON FeatureCollection with `distance_m` and `layer` properties, `head`
/// holding any other top-level members.
fn geojson_reply(s: &AppState, hits: &[Hit<'_>], head: &Map<String, Value>) -> Result<impl IntoResponse + use<>, ApiError> {
    let w = FeatureWriter::crs84();
    let body = collection_bytes(head, hits, |out, h| {
        let encoded = s.encoded.members(&s.atlas, h.layer, h.feature);
        w.place(out, h.feature, encoded, h.layer, Some(h.distance_m))
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body))
}

/// The answers of several layers (layer name, features) as one list of [`Hit`]s, nearest
/// first (ties by layer, then id).
fn merged(found: &[(String, Vec<Near>)]) -> Vec<Hit<'_>> {
    let mut hits: Vec<Hit<'_>> = found
        .iter()
        .flat_map(|(layer, near)| {
            near.iter().map(move |n| Hit {
                feature: &n.feature,
                layer,
                distance_m: n.distance_m,
            })
        })
        .collect();
    sort_hits(&mut hits);
    hits
}

/// `GET /nearest?lon=&lat=[&k=10][&kind=][&industry=][&layer=][&designation=]` → the `k` nearest features
/// (k ≤ 1,000), nearest first.
#[utoipa::path(
    get,
    path = "/nearest",
    tag = "Analysis",
    params(
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees", minimum = -180, maximum = 180),
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees", minimum = -90, maximum = 90),
        ("k" = Option<usize>, Query, description = "Number of features (default 10)", minimum = 1, maximum = 1000),
        PointFilterDoc,
    ),
    responses(
        (status = 200, description = "FeatureCollection, nearest first, with `distance_m` and `layer`", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_nearest(State(s): State<AppState>, mut q: QueryParams) -> Result<impl IntoResponse, ApiError> {
    let (lon, lat) = q.lon_lat()?;
    let max_k = s.limits.max_k;
    let expected = format!("an integer between 1 and {max_k}");
    let k = q.optional::<usize>("k", &expected)?.unwrap_or(10.min(max_k));
    if !(1..=max_k).contains(&k) {
        return Err(ApiError::bad_parameter("k", format!("k must be {expected}, got {k}")));
    }
    let filter = q.point_filter()?;
    q.finish()?;
    let center = validate_lon_lat(lon, lat)?;
    let mut found = Vec::new();
    for source in s.layers.selected(&filter) {
        found.push((source.info().name.clone(), source.nearest(center, k, &filter).await?));
    }
    let mut hits = merged(&found);
    hits.truncate(k);
    geojson_reply(&s, &hits, &Map::new())
}

/// `GET /within?lon=&lat=&radius_m=[&limit=][&kind=][&industry=][&layer=][&designation=]` →
/// the features within `radius_m` metres (≤ 2,000 km), nearest first, at most `limit`.
#[utoipa::path(
    get,
    path = "/within",
    tag = "Analysis",
    params(
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees", minimum = -180, maximum = 180),
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees", minimum = -90, maximum = 90),
        ("radius_m" = f64, Query, description = "Radius in metres", exclusive_minimum = 0, maximum = 2000000),
        ("limit" = Option<usize>, Query, description = "At most this many features, nearest first (default and maximum 10,000); `numberMatched` counts them all", minimum = 1, maximum = 10000),
        PointFilterDoc,
    ),
    responses(
        (status = 200, description = "FeatureCollection, nearest first, with `distance_m` and `layer`", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_within(State(s): State<AppState>, mut q: QueryParams) -> Result<impl IntoResponse, ApiError> {
    let (lon, lat) = q.lon_lat()?;
    let (max_radius_m, max_within) = (s.limits.max_radius_m, s.limits.max_within);
    let radius_m = q.required::<f64>("radius_m", &format!("a number of metres in (0, {max_radius_m}]"))?;
    if radius_m > max_radius_m {
        return Err(ApiError::bad_parameter(
            "radius_m",
            format!("radius_m must be at most {max_radius_m} metres, got {radius_m}"),
        ));
    }
    let expected = format!("an integer between 1 and {max_within}");
    let limit = q.optional::<usize>("limit", &expected)?.unwrap_or(max_within);
    if !(1..=max_within).contains(&limit) {
        return Err(ApiError::bad_parameter("limit", format!("limit must be {expected}, got {limit}")));
    }
    let filter: PointFilter = q.point_filter()?;
    q.finish()?;
    let (center, radius_m) = (validate_lon_lat(lon, lat)?, validate_radius(radius_m)?);
    let (mut matched, mut found) = (0, Vec::new());
    for source in s.layers.selected(&filter) {
        let answer = source.within(center, radius_m, limit, &filter).await?;
        matched += answer.number_matched;
        found.push((source.info().name.clone(), answer.hits));
    }
    let mut hits = merged(&found);
    hits.truncate(limit);
    let mut head = Map::new();
    head.insert("numberMatched".into(), matched.into());
    head.insert("numberReturned".into(), hits.len().into());
    geojson_reply(&s, &hits, &head)
}
