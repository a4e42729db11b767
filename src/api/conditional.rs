//! Conditional GET, one way for every answer that carries an `ETag` (OGC documents, tiles,
//! the web map's files): tags are weak (`W/"…"`, since the compression layer may change the
//! bytes, RFC 9110 §8.8.1) and `If-None-Match` compares weakly (§13.1.2).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The weak entity tag of a body whose digest (hex) is `digest`.
#[must_use]
pub fn weak_etag(digest: impl std::fmt::Display) -> String {
    format!("W/\"{digest}\"")
}

/// Whether the request's `If-None-Match` names `etag` (`W/` ignored on both sides) or is `*`.
#[must_use]
pub fn is_fresh(request: &HeaderMap, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || opaque(t) == ours))
}

/// `304 Not Modified` with the tag and the caching policy of the full answer.
#[must_use]
pub fn not_modified(etag: &str, cache_control: &'static str) -> Response {
    let mut resp = StatusCode::NOT_MODIFIED.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn tags_compare_weakly() {
        let tag = weak_etag("abc");
        assert_eq!(tag, "W/\"abc\"");
        assert!(is_fresh(&asking("W/\"abc\""), &tag));
        assert!(is_fresh(&asking("\"abc\""), &tag));
        assert!(is_fresh(&asking("\"x\", W/\"abc\""), &tag));
        assert!(is_fresh(&asking("*"), &tag));
        assert!(!is_fresh(&asking("W/\"abd\""), &tag));
        assert!(!is_fresh(&HeaderMap::new(), &tag));
    }
}
