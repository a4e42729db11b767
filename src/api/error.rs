//! The one place where errors become HTTP statuses and problem+json bodies.

use super::problem::{PROBLEM_JSON, Problem};
use crate::analysis::AnalysisError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every error an HTTP handler can return.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A query parameter or body field is missing, malformed or out of range.
    #[error("{detail}")]
    BadParameter {
        /// The parameter's name.
        parameter: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The request body is malformed.
    #[error("{0}")]
    BadBody(String),
    /// Nothing matches the request.
    #[error("{0}")]
    NotFound(String),
    /// The request is larger than the service accepts.
    #[error("{0}")]
    TooLarge(String),
    /// A bug or an environment failure; details go to the log only.
    #[error("internal error: {0}")]
    Internal(String),
    /// An admin action without the right bearer token (401 with `WWW-Authenticate: Bearer`).
    #[error("{detail}")]
    Unauthorized {
        /// What is missing or wrong.
        detail: String,
        /// A token was given but is not the right one (RFC 6750 `error="invalid_token"`).
        invalid_token: bool,
    },
    /// The route exists, but not for this method.
    #[error("{detail}")]
    MethodNotAllowed {
        /// Which method on which path.
        detail: String,
        /// The methods the route takes, for the `Allow` header.
        allow: &'static str,
    },
    /// The server's data folder does not load; the previous data is still served.
    #[error("{0}")]
    InvalidData(String),
    /// The server is at a limit (load shed, time limit); retry after `retry_after_s`.
    #[error("{detail}")]
    Unavailable {
        /// Which limit, for the client.
        detail: String,
        /// Seconds for the `Retry-After` header.
        retry_after_s: u32,
    },
}

impl ApiError {
    /// Shorthand for [`ApiError::BadParameter`].
    pub fn bad_parameter(parameter: &str, detail: impl Into<String>) -> Self {
        ApiError::BadParameter {
            parameter: parameter.to_owned(),
            detail: detail.into(),
        }
    }

    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } | ApiError::BadBody(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::InvalidData(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn problem_type(&self) -> &'static str {
        match self {
            ApiError::BadParameter { .. } => "/problems/bad-parameter",
            ApiError::BadBody(_) => "/problems/bad-body",
            ApiError::NotFound(_) => "/problems/not-found",
            ApiError::TooLarge(_) => "/problems/too-large",
            ApiError::Internal(_) => "/problems/internal",
            ApiError::Unavailable { .. } => "/problems/unavailable",
            ApiError::Unauthorized { .. } => "/problems/unauthorized",
            ApiError::MethodNotAllowed { .. } => "/problems/method-not-allowed",
            ApiError::InvalidData(_) => "/problems/invalid-data",
        }
    }
}

impl From<AnalysisError> for ApiError {
    fn from(e: AnalysisError) -> Self {
        match &e {
            AnalysisError::CoordinateOutOfRange(m) => {
                let parameter = if m.contains("lat ") { "lat" } else { "lon" };
                ApiError::bad_parameter(parameter, e.to_string())
            }
            AnalysisError::InvalidArgument { parameter, .. } => ApiError::bad_parameter(parameter, e.to_string()),
            AnalysisError::UnknownProperty(name) | AnalysisError::PropertyValue { property: name, .. } => {
                ApiError::bad_parameter(name, e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = if let ApiError::Unavailable { detail, .. } = &self {
            detail.clone()
        } else if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal error; see the server log".to_owned()
        } else {
            self.to_string()
        };
        let parameter = match &self {
            ApiError::BadParameter { parameter, .. } => Some(parameter.clone()),
            _ => None,
        };
        let problem = Problem {
            problem_type: self.problem_type().to_owned(),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            status: status.as_u16(),
            detail,
            parameter,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        match &self {
            ApiError::Unavailable { retry_after_s, .. } => {
                resp.headers_mut().insert(header::RETRY_AFTER, (*retry_after_s).into());
            }
            ApiError::Unauthorized { invalid_token, .. } => {
                let challenge = if *invalid_token {
                    r#"Bearer realm="cluster-atlas admin", error="invalid_token""#
                } else {
                    r#"Bearer realm="cluster-atlas admin""#
                };
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static(challenge));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                resp.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
            }
            _ => {}
        }
        resp
    }
}

impl From<crate::source::SourceError> for ApiError {
    fn from(e: crate::source::SourceError) -> Self {
        use crate::source::SourceError;
        match e {
            SourceError::Invalid(a) => a.into(),
            e @ SourceError::Unavailable { .. } => ApiError::Unavailable {
                detail: e.to_string(),
                retry_after_s: 5,
            },
            e @ SourceError::Unsupported { .. } => ApiError::bad_parameter("layer", e.to_string()),
            e @ SourceError::Internal { .. } => ApiError::Internal(e.to_string()),
        }
    }
}
