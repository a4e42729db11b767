//! Extractors whose rejections are [`ApiError`]s, so that a malformed request gets a
//! problem (`application/problem+json`) like every other 4xx, not axum's plain text.

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// [`axum::extract::Path`] whose rejection (a segment that is not UTF-8 once decoded, or
/// does not parse) is a 400 problem naming `path`.
///
/// Hand-written rather than `#[derive(FromRequestParts)]`, which needs axum's `macros`
/// feature (and its proc-macro crate) for these few lines.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|e| ApiError::bad_parameter("path", e.body_text()))
    }
}
