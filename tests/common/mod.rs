//! Shared fixtures: the real committed geodata, loaded once per test binary.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use cluster_atlas::api::{AppState, router};
use cluster_atlas::atlas::Atlas;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

pub mod postgres;
pub mod server;

/// The geodata folder of this checkout.
pub fn geodata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// The default atlas, loaded once.
pub fn atlas() -> Arc<Atlas> {
    static ATLAS: OnceLock<Arc<Atlas>> = OnceLock::new();
    ATLAS
        .get_or_init(|| Arc::new(cluster_atlas::load::load_dir(&geodata_dir()).expect("geodata loads")))
        .clone()
}

/// The ids of a FeatureCollection's features, in order.
pub fn feature_ids(doc: &Value) -> Vec<String> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The application over the default atlas.
pub fn app() -> Router {
    router(AppState::from_shared(atlas()))
}

/// A response: status, headers, body parsed as JSON (Null if not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// Sends one request through the router over the default atlas.
pub async fn send(req: Request<Body>) -> Reply {
    send_to(app(), req).await
}

/// Sends one request through `app` (e.g. a router over a fixture atlas).
pub async fn send_to(app: Router, req: Request<Body>) -> Reply {
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        json,
        bytes,
    }
}

/// `GET uri` on a router over `atlas`.
pub async fn get_on(atlas: Atlas, uri: &str) -> Reply {
    send_to(router(AppState::new(atlas)), Request::get(uri).body(Body::empty()).unwrap()).await
}

/// `GET uri`.
pub async fn get(uri: &str) -> Reply {
    send(Request::get(uri).body(Body::empty()).unwrap()).await
}

/// `GET uri` with request headers, e.g. `&[("if-none-match", etag)]`.
pub async fn get_with(uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req.body(Body::empty()).unwrap()).await
}

/// `POST uri` with a JSON body.
pub async fn post_json(uri: &str, body: impl Into<Body>) -> Reply {
    send(
        Request::post(uri)
            .header("content-type", "application/json")
            .body(body.into())
            .unwrap(),
    )
    .await
}

/// Asserts an RFC 7807 error with this status, naming `parameter` if given.
pub fn assert_problem(r: &Reply, status: u16, parameter: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.json["status"], status);
    assert!(r.json["detail"].as_str().is_some_and(|d| !d.is_empty()));
    if let Some(p) = parameter {
        assert_eq!(r.json["parameter"], p, "problem: {}", r.json);
    }
}
