//! Server-rendered HTML pages for the OGC documents, in one plain template: no framework,
//! nothing from another host, every value escaped. Each page is rendered from the same JSON
//! document the API returns, so the two cannot drift apart. The items and item pages add a
//! small map (the vendored MapLibre, our own boundary tiles as its basemap, the page's
//! features fetched as GeoJSON by `web/js/ogc-page.js`) and tables a person can read: one
//! column per property (items) or one row per property (item).

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

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Noto Sans',sans-serif;margin:1.5em;max-width:90em}\
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;position:sticky;top:0}nav a,.formats a,.paging a{margin-right:1em}.scroll{overflow-x:auto}\
#map{height:22em;margin:1em 0;border:1px solid #ccc}td.num{text-align:right}#items{width:max-content}.cell{max-width:24em;max-height:5.5em;overflow:auto}";

/// The page around `body`; `map` adds the map's stylesheet and script.
fn page_with(title: &str, body: &str, map: bool) -> String {
    let head = if map {
        "<link rel=\"stylesheet\" href=\"/map/vendor/maplibre-gl/maplibre-gl.css\"><script type=\"module\" src=\"/map/js/ogc-page.js\"></script>"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{t}</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style>{head}</head>\
<body><nav><a href=\"/?f=html\">Home</a><a href=\"/map/\">Map</a><a href=\"/collections?f=html\">Collections</a><a href=\"/conformance?f=html\">Conformance</a></nav>\
<h1>{t}</h1>{body}</body></html>\n",
        t = escape(title)
    )
}

fn page(title: &str, body: &str) -> String {
    page_with(title, body, false)
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

/// What an items or item page shows besides its document.
#[derive(Debug, Clone, Copy)]
pub struct PageContext<'a> {
    /// The collection id.
    pub collection: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its queryables.
    pub queryables: &'a [crate::analysis::features::Queryable],
}

/// The href of the document's link with relation `rel` and media type `media`.
fn link_to(doc: &Value, rel: &str, media: &str) -> Option<String> {
    doc["links"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["rel"] == rel && l["type"] == media)
        .map(|l| text(&l["href"]))
}

/// The map of a page: its features are fetched from `geojson` (the same page as GeoJSON).
fn map_block(geojson: Option<String>) -> String {
    geojson.map_or_else(String::new, |href| {
        format!(
            "<div id=\"map\" data-geojson=\"{}\" role=\"img\" aria-label=\"map of the features\"></div>",
            escape(&href)
        )
    })
}

/// A cell's content: text escaped; an http(s) address inside it a link.
fn cell(v: &Value) -> String {
    let t = text(v);
    let mut out = String::with_capacity(t.len());
    for (i, word) in t.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let bare = word.trim_end_matches([';', ',', '.']);
        if bare.starts_with("http://") || bare.starts_with("https://") {
            let _ = write!(
                out,
                "<a href=\"{}\">{}</a>{}",
                escape(bare),
                escape(bare),
                escape(&word[bare.len()..])
            );
        } else {
            out.push_str(&escape(word));
        }
    }
    out
}

/// The other representations of a document (its `alternate` links) as one line.
fn formats_line(doc: &Value) -> String {
    let links: Vec<String> = doc["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["rel"] == "alternate")
        .map(|l| {
            let media = text(&l["type"]);
            let label = match media.split(';').next().unwrap_or("") {
                "application/geo+json" => "GeoJSON",
                "text/csv" => "CSV",
                "application/flatgeobuf" => "FlatGeobuf",
                "application/geo+json-seq" => "GeoJSON sequence",
                "text/html" => "HTML",
                _ => media.as_str(),
            };
            format!(
                "<a href=\"{}\" type=\"{}\">{}</a>",
                escape(&text(&l["href"])),
                escape(&media),
                escape(label)
            )
        })
        .collect();
    format!("<p class=\"formats\">Download: {}</p>", links.join(""))
}

/// Previous and next page links.
fn paging(doc: &Value) -> String {
    let a = |rel: &str, label: &str| {
        link_to(doc, rel, "text/html").map_or_else(String::new, |h| format!("<a rel=\"{rel}\" href=\"{}\">{label}</a>", escape(&h)))
    };
    format!(
        "<p class=\"paging\">{}{}</p>",
        a("prev", "← previous page"),
        a("next", "next page →")
    )
}

/// A page of features: a map, a table with one column per property, paging, downloads and
/// the collection's queryables.
#[must_use]
pub fn items(doc: &Value, ctx: &PageContext<'_>) -> String {
    let features: Vec<&Value> = doc["features"].as_array().into_iter().flatten().collect();
    let mut columns: Vec<&str> = Vec::new();
    for f in &features {
        for k in f["properties"].as_object().into_iter().flatten().map(|(k, _)| k.as_str()) {
            // The feature's id is the first column already.
            if k != "id" && !columns.contains(&k) {
                columns.push(k);
            }
        }
    }
    let mut table = String::from("<div class=\"scroll\"><table id=\"items\"><tr><th>id</th>");
    for c in &columns {
        let _ = write!(table, "<th>{}</th>", escape(c));
    }
    table.push_str("</tr>");
    for f in &features {
        let raw_id = text(&f["id"]);
        let (href, id) = (escape(&super::links::segment(&raw_id)), escape(&raw_id));
        let _ = write!(table, "<tr data-id=\"{id}\"><td><a href=\"items/{href}?f=html\">{id}</a></td>");
        for c in &columns {
            let v = &f["properties"][*c];
            let class = if v.is_number() { " class=\"num\"" } else { "" };
            // A long text scrolls inside its cell instead of stretching the whole row.
            let _ = write!(table, "<td{class}><div class=\"cell\">{}</div></td>", cell(v));
        }
        table.push_str("</tr>");
    }
    table.push_str("</table></div>");
    let queryables: Vec<String> = ctx
        .queryables
        .iter()
        .map(|q| format!("<code>{}</code> ({})", escape(&q.name), q.kind.name()))
        .collect();
    let body = format!(
        "<p><a href=\"/collections/{c}?f=html\">{t}</a>: {} of {} matching features.</p>{}{}{}{table}{}\
<h2>Queryables</h2><p>Filter with <code>?name=value</code>, <code>filter=</code> (CQL2) and sort with <code>sortby=</code> on: {}.</p>",
        text(&doc["numberReturned"]),
        text(&doc["numberMatched"]),
        map_block(link_to(doc, "alternate", "application/geo+json").or_else(|| link_to(doc, "self", "application/geo+json"))),
        formats_line(doc),
        paging(doc),
        paging(doc),
        queryables.join(", "),
        c = escape(&super::links::segment(ctx.collection)),
        t = escape(ctx.title),
    );
    page_with(&format!("{} — features", ctx.title), &body, true)
}

/// One feature: a map and a table with one row per property.
#[must_use]
pub fn item(doc: &Value, ctx: &PageContext<'_>) -> String {
    let rows: String = doc["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("<tr data-property=\"{k}\"><th>{k}</th><td>{}</td></tr>", cell(v), k = escape(k)))
        .collect();
    let body = format!(
        "<p>In <a href=\"/collections/{c}/items?f=html\">{t}</a>.</p>{}{}<table id=\"item\">{rows}</table>",
        map_block(link_to(doc, "alternate", "application/geo+json").or_else(|| link_to(doc, "self", "application/geo+json"))),
        formats_line(doc),
        c = escape(&super::links::segment(ctx.collection)),
        t = escape(ctx.title),
    );
    let name = doc["properties"]["name_zh"]
        .as_str()
        .map_or_else(|| text(&doc["id"]), str::to_owned);
    page_with(&name, &body, true)
}

/// Any other document (tile matrix sets, tilesets): its links and the JSON itself.
#[must_use]
pub fn document(doc: &Value) -> String {
    let json = serde_json::to_string_pretty(doc).unwrap_or_default();
    let title = doc["title"].as_str().or(doc["id"].as_str()).unwrap_or("Document");
    page(title, &format!("{}<pre>{}</pre>", links_list(doc), escape(&json)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
