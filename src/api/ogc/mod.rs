//! OGC API – Features (Part 1 Core with GeoJSON and HTML, Part 3 queryables and
//! equality query parameters) over the atlas: `/`, `/conformance`, `/collections`,
//! `/collections/{id}`, `/collections/{id}/queryables`, `/collections/{id}/items` and
//! `/collections/{id}/items/{featureId}`.
//!
//! Selection (bbox, property equality, paging) is [`crate::analysis::features`]; this
//! module parses, negotiates the format (`f=json|html`, else `Accept`) and encodes.

pub mod collections;
pub mod formats;
pub mod html;
pub mod items;
pub mod landing;
pub mod links;
pub mod tiles;

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
        .route("/tileMatrixSets", get(tiles::get_tile_matrix_sets))
        .route("/tileMatrixSets/{id}", get(tiles::get_tile_matrix_set))
        .route("/collections/{id}/tiles", get(tiles::get_tilesets))
        .route("/collections/{id}/tiles/{tms}", get(tiles::get_tileset))
        .route("/collections/{id}/tiles/{tms}/{matrix}/{row}/{col}", get(tiles::get_tile))
}

/// The representation a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (GeoJSON for features).
    Json,
    /// A server-rendered HTML page.
    Html,
    /// CSV (items only).
    Csv,
    /// FlatGeobuf (items only).
    Fgb,
    /// GeoJSON text sequences, RFC 8142 (items only).
    GeoJsonSeq,
}

impl Format {
    /// The formats of an items page besides JSON and HTML, with their `f=` names (first
    /// the canonical one) and media types.
    pub const DOWNLOADS: [(Format, &'static [&'static str], &'static str); 3] = [
        (Format::Csv, &["csv"], formats::CSV),
        (Format::Fgb, &["fgb", "flatgeobuf"], formats::FGB),
        (Format::GeoJsonSeq, &["geojsonseq", "jsonseq"], formats::GEOJSON_SEQ),
    ];
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
        None => Ok(from_accept(
            headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or(""),
            false,
        )),
    }
}

/// [`negotiate`] for items pages, which also come as CSV (`f=csv`, `text/csv`), FlatGeobuf
/// (`f=fgb`, `application/flatgeobuf`) and GeoJSON sequences (`f=geojsonseq`,
/// `application/geo+json-seq`).
///
/// # Errors
/// [`ApiError::BadParameter`] naming `f` for any other value.
pub fn negotiate_items(q: &mut QueryParams, headers: &HeaderMap) -> Result<Format, ApiError> {
    let Some(f) = q.raw("f").map(str::to_owned) else {
        return Ok(from_accept(
            headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or(""),
            true,
        ));
    };
    match f.as_str() {
        "json" | "geojson" => Ok(Format::Json),
        "html" => Ok(Format::Html),
        other => match Format::DOWNLOADS.iter().find(|(_, names, _)| names.contains(&other)) {
            Some((fmt, _, _)) => Ok(*fmt),
            None => Err(ApiError::bad_parameter(
                "f",
                format!("parameter 'f' must be json, html, csv, fgb or geojsonseq, got '{other}'"),
            )),
        },
    }
}

/// Picks a format from an `Accept` header (`downloads`: the items formats count too).
/// Hand-written because only a few media ranges matter here and the q-values are all that
/// needs parsing.
fn from_accept(accept: &str, downloads: bool) -> Format {
    let (mut best, mut best_q) = (Format::Json, 0.0_f64);
    let mut json = 0.0_f64;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let quality = parts
            .find_map(|p| p.strip_prefix("q=").and_then(|v| v.parse::<f64>().ok()))
            .unwrap_or(1.0);
        let fmt = if media == "text/html" {
            Some(Format::Html)
        } else if downloads {
            Format::DOWNLOADS
                .iter()
                .find(|(_, _, m)| m.split(';').next() == Some(media.as_str()))
                .map(|(f, _, _)| *f)
        } else {
            None
        };
        if media.ends_with("json") {
            json = json.max(quality);
        } else if let Some(f) = fmt.filter(|_| quality > best_q) {
            (best, best_q) = (f, quality);
        }
    }
    if best_q > json { best } else { Format::Json }
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
        // Only items pages come in the download formats, and they do not reply with this.
        Format::Csv | Format::Fgb | Format::GeoJsonSeq => (serde_json::to_vec(doc).unwrap_or_default(), media_type),
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
        let page = |a: &str| from_accept(a, false);
        assert_eq!(page("text/html,application/xhtml+xml,*/*;q=0.8"), Format::Html);
        assert_eq!(page("application/geo+json, application/json;q=0.9"), Format::Json);
        assert_eq!(page("text/html;q=0.5, application/json"), Format::Json);
        assert_eq!(page(""), Format::Json);
        assert_eq!(page("*/*"), Format::Json);
        assert_eq!(page("text/csv"), Format::Json, "only items pages come as CSV");
        let items = |a: &str| from_accept(a, true);
        assert_eq!(items("text/csv"), Format::Csv);
        assert_eq!(items("application/flatgeobuf"), Format::Fgb);
        assert_eq!(items("application/geo+json-seq"), Format::GeoJsonSeq);
        assert_eq!(items("text/csv;q=0.5, application/geo+json"), Format::Json);
        assert_eq!(items("text/csv;q=0.9, application/flatgeobuf"), Format::Fgb);
    }
}
