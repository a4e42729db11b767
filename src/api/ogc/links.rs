//! Absolute links for OGC API – Features documents (`self`, `alternate`, `next`, …).

use serde_json::{Value, json};

/// Media type of OGC JSON documents that are not GeoJSON.
pub const JSON: &str = "application/json";
/// Media type of features and feature collections.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of the HTML pages.
pub const HTML: &str = "text/html";

/// Link relation of a collection's vector tilesets (OGC API – Tiles).
pub const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";

pub use crate::api::base_url::Base;

/// A link object.
#[must_use]
pub fn link(href: String, rel: &str, media_type: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": media_type, "title": title})
}

/// `path?query` from decoded pairs (URL-encoded), or just `path` without pairs.
#[must_use]
pub fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    format!("{path}?{query}")
}

/// `self` and `alternate` links of a resource available as JSON (`json_type`) and HTML;
/// `pairs` are the request's other query parameters (without `f`).
#[must_use]
pub fn self_and_alternate(base: &Base, path: &str, pairs: &[(String, String)], json_type: &str, html: bool) -> Vec<Value> {
    let with_f = |f: &str| {
        let mut p = pairs.to_vec();
        p.push(("f".to_owned(), f.to_owned()));
        base.url(&with_query(path, &p))
    };
    let (json_rel, html_rel) = if html { ("alternate", "self") } else { ("self", "alternate") };
    vec![
        link(with_f("json"), json_rel, json_type, "this document as JSON"),
        link(with_f("html"), html_rel, HTML, "this document as HTML"),
    ]
}

/// Percent-encodes one path segment (a feature id may hold spaces, slashes or CJK text).
/// Hand-written: RFC 3986 unreserved characters pass, every other byte becomes `%XX`; the
/// crates that do this are not direct dependencies and this is all that is needed.
#[must_use]
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_path_segments() {
        assert_eq!(segment("botou-casting"), "botou-casting");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(segment("泊"), "%E6%B3%8A");
    }
}
