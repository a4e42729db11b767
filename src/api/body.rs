//! JSON request bodies with a size limit, answering 413/400 as problem+json.

use super::AppState;
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A JSON body parsed into `T`, at most `serve --max-body-bytes` long.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let max = state.limits.max_body_bytes;
        let too_large = || ApiError::TooLarge(format!("request body exceeds {max} bytes"));
        if let Some(len) = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        {
            if len > max {
                return Err(too_large());
            }
        }
        let req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, max)));
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::BadBody(e.body_text())
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadBody(format!("invalid JSON body: {e}")))
    }
}
