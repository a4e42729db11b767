//! `GET /health`: liveness, version and feature counts.

use super::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(get_health))
}

/// `GET /health` → `{"status":"ok","version":…,"layers":{"counties":2875,…,"clusters":292},"rejected_layers":[…],"tile_cache":{"hits":…,"misses":…,…}}`:
/// feature counts of every admin and point layer being served, and the user layers of the
/// data folder that did not load (`{"name","file","error"}` each; the other layers are served).
#[utoipa::path(
    get,
    path = "/health",
    tag = "Service",
    responses(
        (status = 200, description = "Status, version and feature counts per layer", body = Object, content_type = "application/json"),
    )
)]
async fn get_health(State(s): State<AppState>) -> Json<Value> {
    let layers: Map<String, Value> = s.atlas.layer_counts().into_iter().map(|(l, n)| (l.to_owned(), json!(n))).collect();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "layers": layers,
        "rejected_layers": s.atlas.rejected_layers(),
        "tile_cache": s.tile_cache.stats(),
    }))
}
