//! `GET /search`: admin units and point features by name, as ranked GeoJSON points.

use super::AppState;
use super::error::ApiError;
use super::params::QueryParams;
use crate::analysis::{self, search::MAX_LIMIT};
use crate::geojson_out::{feature_collection, search_hit_feature};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(get_search))
}

/// `GET /search?q=[&limit=10]` → a FeatureCollection of hits, best first, each with
/// `rank`, `type`, `id`, `name_zh`, `name_en`, `layer` and `match` properties.
#[utoipa::path(
    get,
    path = "/search",
    tag = "Analysis",
    params(
        ("q" = String, Query, description = "A name in Chinese, pinyin or English"),
        ("limit" = Option<usize>, Query, description = "Most hits (default 10)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "FeatureCollection of hits, best first", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_search(State(s): State<AppState>, mut q: QueryParams) -> Result<impl IntoResponse, ApiError> {
    let text: String = q.required("q", "a name in Chinese, pinyin or English")?;
    let limit = q
        .optional::<usize>("limit", &format!("an integer between 1 and {MAX_LIMIT}"))?
        .unwrap_or(10);
    q.finish()?;
    let hits = analysis::search(&s.atlas, &text, limit)?;
    let features = hits.iter().enumerate().map(|(i, h)| search_hit_feature(i + 1, h)).collect();
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(feature_collection(features))))
}
