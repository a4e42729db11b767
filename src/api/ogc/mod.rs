//! OGC API – Features (Part 1 Core with GeoJSON and HTML, Part 3 queryables and
//! equality query parameters) over the atlas: `/`, `/conformance`, `/collections`,
//! `/collections/{id}`, `/collections/{id}/queryables`, `/collections/{id}/items` and
//! `/collections/{id}/items/{featureId}`.
//!
//! Selection (bbox, property equality, paging) is [`crate::analysis::features`]; this
//! module parses, negotiates the format (`f=json|html`, else `Accept`) and encodes.

pub mod collections;
pub mod html;
pub mod items;
pub mod landing;
pub mod links;

use super::AppState;
use super::conditional;
use super::error::ApiError;
use super::params::QueryParams;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;
use std::hash::{Hash, Hasher};

/// `Cache-Control` of every OGC response: the atlas is immutable while the process runs.
pub const CACHE_CONTROL: &str = "public, max-age=300";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing::get_landing))
        .route("/conformance", get(landing::get_conformance))
        .route("/collections", get(collections::get_collections))
        .route("/collections/{id}", get(collections::get_collection))
        .route("/collections/{id}/queryables", get(collections::get_queryables))
        .route("/collections/{id}/items", get(items::get_items))
        .route("/collections/{id}/items/{feature_id}", get(items::get_item))
}

/// The representation a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (GeoJSON for features).
    Json,
    /// A server-rendered HTML page.
    Html,
}

/// Reads `f=json|html`; without it, the `Accept` header decides (HTML only when the client
/// prefers `text/html` over every JSON type, as browsers do; JSON otherwise).
///
/// # Errors
/// [`ApiError::BadParameter`] naming `f` for any other value.
pub fn negotiate(q: &mut QueryParams, headers: &HeaderMap) -> Result<Format, ApiError> {
    match q.raw("f") {
        Some("json" | "geojson") => Ok(Format::Json),
        Some("html") => Ok(Format::Html),
        Some(other) => Err(ApiError::bad_parameter(
            "f",
            format!("parameter 'f' must be json or html, got '{other}'"),
        )),
        None => Ok(from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or(""))),
    }
}

/// Picks a format from an `Accept` header. Hand-written because only two families of
/// media ranges matter here and the q-values are all that needs parsing.
fn from_accept(accept: &str) -> Format {
    let (mut html, mut json) = (0.0_f64, 0.0_f64);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let quality = parts
            .find_map(|p| p.strip_prefix("q=").and_then(|v| v.parse::<f64>().ok()))
            .unwrap_or(1.0);
        if media == "text/html" {
            html = html.max(quality);
        } else if media.ends_with("json") {
            json = json.max(quality);
        }
    }
    if html > json { Format::Html } else { Format::Json }
}

/// Encodes a document: JSON (`media_type`) or the HTML page `render` makes from it, with a
/// weak `ETag` (a hash of the body, computed before `timeStamp` is added) and
/// `Cache-Control`; answers `304 Not Modified` when `If-None-Match` matches.
pub fn reply(
    fmt: Format,
    request: &HeaderMap,
    doc: &Value,
    media_type: &'static str,
    render: impl FnOnce(&Value) -> String,
    time_stamp: bool,
) -> Response {
    let (mut body, content_type) = match fmt {
        Format::Json => (serde_json::to_vec(doc).unwrap_or_default(), media_type),
        Format::Html => (render(doc).into_bytes(), "text/html; charset=utf-8"),
    };
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = conditional::weak_etag(format_args!("{:016x}", hasher.finish()));
    if conditional::is_fresh(request, &etag) {
        return conditional::not_modified(&etag, CACHE_CONTROL);
    }
    if time_stamp && fmt == Format::Json && body.last() == Some(&b'}') {
        // Splice `timeStamp` into the serialised object instead of serialising twice.
        body.pop();
        let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
        body.extend_from_slice(format!(",\"timeStamp\":\"{stamp}\"}}").as_bytes());
    }
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_picks_html_only_when_preferred() {
        assert_eq!(from_accept("text/html,application/xhtml+xml,*/*;q=0.8"), Format::Html);
        assert_eq!(from_accept("application/geo+json, application/json;q=0.9"), Format::Json);
        assert_eq!(from_accept("text/html;q=0.5, application/json"), Format::Json);
        assert_eq!(from_accept(""), Format::Json);
        assert_eq!(from_accept("*/*"), Format::Json);
    }
}
