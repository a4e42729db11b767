//! JSON request bodies with a size limit, answering 413/400 as problem+json.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// Largest accepted request body in bytes (10,000 points need about 450 KB).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A JSON body parsed into `T`, at most [`MAX_BODY_BYTES`].
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let too_large = || ApiError::TooLarge(format!("request body exceeds {MAX_BODY_BYTES} bytes"));
        if let Some(len) = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        {
            if len > MAX_BODY_BYTES {
                return Err(too_large());
            }
        }
        let req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, MAX_BODY_BYTES)));
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
