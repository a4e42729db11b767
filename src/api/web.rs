//! The web map (`web/`) at `/map/`. Its files are embedded into the binary with rust-embed
//! (read from `web/` on disk in debug builds), so a release binary serves the map with no
//! network and no file layout to get right. MapLibre GL JS is vendored in `web/vendor/`.

use crate::api::extract::Path;
use crate::api::{ApiError, AppState, conditional};
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

/// The files of the map: page, styles, our modules and the vendored MapLibre build. npm's
/// `node_modules`, the browser tests and the vendoring script stay out of the binary.
#[derive(RustEmbed)]
#[folder = "web/"]
#[include = "index.html"]
#[include = "app.css"]
#[include = "js/*.js"]
#[include = "vendor/**/*"]
struct WebAssets;

/// Routes `/map`, `/map/` and `/map/{path}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/map", get(|| async { Redirect::permanent("/map/") }))
        .route("/map/", get(|headers: HeaderMap| async move { asset("index.html", &headers) }))
        .route(
            "/map/{*path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move { asset(&path, &headers) }),
        )
}

/// Media type by extension; `.mjs` must be JavaScript or browsers refuse the module.
fn content_type(path: &str, guessed: &str) -> String {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8".to_owned(),
        "js" | "mjs" => "text/javascript; charset=utf-8".to_owned(),
        "css" => "text/css; charset=utf-8".to_owned(),
        "txt" | "" => "text/plain; charset=utf-8".to_owned(),
        _ => guessed.to_owned(),
    }
}

/// One embedded file with a weak ETag (its SHA-256) and `304 Not Modified` on a match. The
/// page is revalidated on every load; the other files may be cached for an hour.
fn asset(path: &str, headers: &HeaderMap) -> Response {
    // Embedded names are plain relative paths; anything that tries to climb out is unknown.
    let bad = path.is_empty() || path.starts_with('/') || path.contains('\\') || path.split('/').any(|s| s == ".." || s == ".");
    let Some(file) = (!bad).then(|| WebAssets::get(path)).flatten() else {
        return ApiError::NotFound(format!("no file {path:?} in the web map")).into_response();
    };
    let hash: String = file.metadata.sha256_hash()[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = conditional::weak_etag(hash);
    let cache = if path.ends_with(".html") {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    let mut response = if conditional::is_fresh(headers, &etag) {
        conditional::not_modified(&etag, cache)
    } else {
        let mut r = file.data.into_owned().into_response();
        let h = r.headers_mut();
        if let Ok(ct) = HeaderValue::from_str(&content_type(path, file.metadata.mimetype())) {
            h.insert(header::CONTENT_TYPE, ct);
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        r
    };
    response
        .headers_mut()
        .insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_maplibre_are_embedded() {
        assert!(WebAssets::get("index.html").is_some());
        assert!(WebAssets::get("vendor/maplibre-gl/maplibre-gl.mjs").is_some());
        assert!(WebAssets::get("vendor/maplibre-gl/maplibre-gl-worker.mjs").is_some());
        assert!(WebAssets::get("package.json").is_none());
        assert!(WebAssets::get("tests/map.test.mjs").is_none());
    }

    #[test]
    fn modules_are_javascript() {
        assert_eq!(
            content_type("vendor/x.mjs", "application/octet-stream"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("a.png", "image/png"), "image/png");
    }
}
