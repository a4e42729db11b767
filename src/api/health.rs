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
/// feature counts of every admin and point layer being served (a database layer's as its
/// catalogue recorded it at start), and the user layers of the
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
    let admin = s.atlas.admin_counts().map(|(l, n)| (l.layer_name().to_owned(), json!(n)));
    let points = s.layers.all().iter().map(|l| (l.info().name.clone(), json!(l.info().count)));
    let layers: Map<String, Value> = admin.into_iter().chain(points).collect();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "layers": layers,
        "rejected_layers": s.atlas.rejected_layers(),
        "tile_cache": s.tile_cache.stats(),
    }))
}
