//! Small server-rendered HTML pages for the OGC documents: no scripts, no external
//! assets, every value escaped. Each page is rendered from the same JSON document the API
//! returns, so the two cannot drift apart.

use serde_json::Value;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;max-width:70em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}nav a{margin-right:1em}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
<body><nav><a href=\"/\">Home</a><a href=\"/map/\">Map</a><a href=\"/collections\">Collections</a><a href=\"/conformance\">Conformance</a></nav>\
<h1>{t}</h1>{body}</body></html>\n",
        t = escape(title)
    )
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `links` of a document as a list, HTML targets preferred for navigation.
fn links_list(doc: &Value) -> String {
    let mut out = String::from("<ul>");
    for l in doc["links"].as_array().into_iter().flatten() {
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a> ({}, {})</li>",
            escape(&text(&l["href"])),
            escape(&text(&l["title"])),
            escape(&text(&l["rel"])),
            escape(&text(&l["type"]))
        );
    }
    out.push_str("</ul>");
    out
}

fn property_table(props: &Value) -> String {
    let mut out = String::from("<table>");
    for (k, v) in props.as_object().into_iter().flatten() {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&text(v)));
    }
    out.push_str("</table>");
    out
}

/// The landing page.
#[must_use]
pub fn landing(doc: &Value) -> String {
    let body = format!("<p>{}</p>{}", escape(&text(&doc["description"])), links_list(doc));
    page(&text(&doc["title"]), &body)
}

/// The conformance page.
#[must_use]
pub fn conformance(doc: &Value) -> String {
    let items: String = doc["conformsTo"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("<li>{}</li>", escape(&text(c))))
        .collect();
    page("Conformance classes", &format!("<ul>{items}</ul>"))
}

fn collection_row(c: &Value) -> String {
    let id = escape(&text(&c["id"]));
    format!(
        "<tr><td><a href=\"/collections/{id}?f=html\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td>\
<td><a href=\"/collections/{id}/items?f=html\">browse</a></td></tr>",
        escape(&text(&c["title"])),
        escape(&text(&c["description"])),
        text(&c["numberOfFeatures"])
    )
}

/// The list of collections.
#[must_use]
pub fn collections(doc: &Value) -> String {
    let rows: String = doc["collections"].as_array().into_iter().flatten().map(collection_row).collect();
    let body = format!("<table><tr><th>id</th><th>title</th><th>description</th><th>features</th><th>items</th></tr>{rows}</table>");
    page("Collections", &body)
}

/// One collection.
#[must_use]
pub fn collection(doc: &Value) -> String {
    let body = format!(
        "<p>{}</p><p>Features: {}. Extent (CRS84): {}</p>{}",
        escape(&text(&doc["description"])),
        text(&doc["numberOfFeatures"]),
        escape(&doc["extent"]["spatial"]["bbox"].to_string()),
        links_list(doc)
    );
    page(&text(&doc["title"]), &body)
}

/// The queryables of a collection.
#[must_use]
pub fn queryables(doc: &Value) -> String {
    let rows: String = doc["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(&text(&v["type"]))))
        .collect();
    page(
        &format!("Queryables of {}", text(&doc["title"])),
        &format!("<table><tr><th>property</th><th>type</th></tr>{rows}</table>"),
    )
}

/// A page of features: a table of ids and properties, with paging links.
#[must_use]
pub fn items(doc: &Value) -> String {
    let mut rows = String::new();
    for f in doc["features"].as_array().into_iter().flatten() {
        let raw_id = text(&f["id"]);
        let (href, id) = (escape(&super::links::segment(&raw_id)), escape(&raw_id));
        let props: String = f["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", escape(k), escape(&text(v))))
            .collect::<Vec<_>>()
            .join("; ");
        let _ = write!(rows, "<tr><td><a href=\"items/{href}?f=html\">{id}</a></td><td>{props}</td></tr>");
    }
    let body = format!(
        "<p>{} of {} matching features.</p><table><tr><th>id</th><th>properties</th></tr>{rows}</table>{}",
        text(&doc["numberReturned"]),
        text(&doc["numberMatched"]),
        links_list(doc)
    );
    page("Features", &body)
}

/// One feature.
#[must_use]
pub fn item(doc: &Value) -> String {
    let geometry = &doc["geometry"];
    let where_ = match geometry["type"].as_str() {
        Some("Point") => format!("Point at {}", geometry["coordinates"]),
        Some(t) => t.to_owned(),
        None => "no geometry".to_owned(),
    };
    let body = format!(
        "<p>{}</p>{}{}",
        escape(&where_),
        property_table(&doc["properties"]),
        links_list(doc)
    );
    page(&format!("Feature {}", text(&doc["id"])), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
