//! RFC 7807 problem details, the body of every error response.

use serde::Serialize;

/// Media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 7807 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI reference identifying the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// The request parameter at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// Makes every error answer a problem document: responses with a 4xx/5xx status that a
/// handler did not write as `application/problem+json` — axum's own rejections (a path
/// segment that is not UTF-8, a method not allowed, an unreadable body) — are rewritten as
/// one, keeping their status and (for 4xx, at most 1 KiB of) their text as `detail`. A 5xx
/// never shows its text: it may name internals.
pub async fn every_error_a_problem(resp: axum::response::Response) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let reason = status.canonical_reason().unwrap_or("error");
    let detail = if status.is_server_error() {
        "internal error; see the server log".to_owned()
    } else {
        let text = axum::body::to_bytes(body, 1024).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&text).trim().to_owned();
        if text.is_empty() { reason.to_owned() } else { text }
    };
    let problem = Problem {
        problem_type: format!("/problems/http-{}", status.as_u16()),
        title: reason.to_owned(),
        status: status.as_u16(),
        detail,
        parameter: None,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static(PROBLEM_JSON));
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    (parts, body).into_response()
}
