//! What each parameter and request body accepts, written into the OpenAPI document.
//!
//! The handlers parse their query strings by hand ([`super::params::QueryParams`] and the
//! `FromStr` impls of the domain types), so utoipa sees most parameters as bare strings. A
//! client generated from such a document (or a fuzzer such as schemathesis) would send
//! `f=` or `from=` and be refused. [`constrain`] states, once per parameter name, what the
//! parsers accept: enums listing every accepted spelling, `minLength`, patterns, bounds,
//! the `POST /reverse` body schema, and the responses every operation may give (`503` when
//! shedding load, `text/html` where `f=html` is offered). The unit tests below parse every
//! listed value with the server's own parsers, so the document and the server cannot drift.
//!
//! Three grammars JSON Schema cannot state are named by a `format` instead, documented in
//! the parameter's description: [`FORMAT_BBOX`], [`FORMAT_DATETIME`] and [`FORMAT_CQL2`].

use super::ogc::Format;
use super::ogc::collections::Collection;
use crate::analysis::density::Measure;
use crate::analysis::search::MAX_QUERY_CHARS;
use crate::crs::project::OutputCrs;
use crate::tiles::MAX_ZOOM;
use serde_json::{Value, json};

/// `format` of `bbox`: four (or six) comma-separated numbers `minx,miny,maxx,maxy` in
/// `bbox-crs`, south edge not north of the north edge, within −180..180 / −90..90 once in CRS84.
pub const FORMAT_BBOX: &str = "ogc-bbox";

/// `format` of `datetime`: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an RFC 3339 date-time (year
/// 1000 or later), or an interval `start/end` of those with `..` or an empty end for open.
pub const FORMAT_DATETIME: &str = "ogc-datetime";

/// `format` of `filter`: a CQL2 expression over the collection's queryables, in the text or
/// JSON encoding `filter-lang` names.
pub const FORMAT_CQL2: &str = "cql2";

/// Every spelling of an admin level the parsers accept.
const LEVELS: [&str; 6] = ["province", "prefecture", "county", "provinces", "prefectures", "counties"];

/// Every spelling of a datum `/convert` accepts (matched without regard to case).
const DATUMS: [&str; 9] = [
    "wgs84",
    "wgs-84",
    "epsg:4326",
    "crs84",
    "gcj02",
    "gcj-02",
    "bd09",
    "bd-09",
    "bd09ll",
];

/// Every class-break method name `/density` accepts.
const METHODS: [&str; 5] = ["quantile", "equal", "equal_interval", "jenks", "natural_breaks"];

/// `geometry` of `/density`.
const DENSITY_GEOMETRY: [&str; 3] = ["true", "false", "simplified"];

/// `filter-lang` values.
const FILTER_LANGS: [&str; 2] = ["cql2-text", "cql2-json"];

/// Non-blank: at least one character that is not ASCII whitespace (as `/search` reads it).
const NOT_BLANK: &str = "[^ \\t\\n\\r\\f]";

/// Every spelling of `crs` the parser accepts: the OGC URI (`http` or `https`), the
/// `AUTH:code` form and its `[AUTH:code]` safe CURIE.
fn crs_spellings(crs: OutputCrs) -> Vec<String> {
    let uri = crs.uri();
    let code = uri.rsplit('/').next().unwrap_or("");
    let auth = if crs == OutputCrs::Crs84 { "OGC" } else { "EPSG" };
    vec![
        uri.to_owned(),
        uri.replacen("http://", "https://", 1),
        format!("{auth}:{code}"),
        format!("[{auth}:{code}]"),
    ]
}

/// Writes into `doc` what each parameter accepts (see the module documentation).
pub fn constrain(doc: &mut Value, collections: &[Collection<'_>]) {
    let point_layers: Vec<String> = collections
        .iter()
        .filter(|c| matches!(c, Collection::Points(_)))
        .map(|c| c.id().to_owned())
        .collect();
    let mut tile_layers: Vec<String> = ["provinces", "prefectures", "counties"].map(str::to_owned).to_vec();
    tile_layers.extend(point_layers.iter().cloned());
    let Some(Value::Object(paths)) = doc.get_mut("paths") else { return };
    for (path, item) in paths.iter_mut() {
        let Value::Object(ops) = item else { continue };
        for (method, op) in ops.iter_mut() {
            let collection = collections.iter().find(|c| *path == format!("/collections/{}/items", c.id()));
            if let Some(Value::Array(params)) = op.get_mut("parameters") {
                for p in params.iter_mut() {
                    let name = p["name"].as_str().unwrap_or("").to_owned();
                    let place = p["in"].as_str().unwrap_or("").to_owned();
                    let ctx = Context {
                        path,
                        collection: collection.copied(),
                        collections,
                        tile_layers: &tile_layers,
                        point_layers: &point_layers,
                    };
                    constrain_parameter(p, &place, &name, &ctx);
                }
                params.retain(|p| p.get("x-drop").is_none());
            }
            add_responses(path, method, op);
            if path == "/reverse" && method == "post" {
                op["requestBody"]["required"] = json!(true);
                op["requestBody"]["content"]["application/json"]["schema"] = batch_reverse_schema();
            }
        }
    }
}

/// What [`constrain_parameter`] needs to know about the operation.
struct Context<'a> {
    path: &'a str,
    /// The collection of a concrete `/collections/{name}/items` path.
    collection: Option<Collection<'a>>,
    collections: &'a [Collection<'a>],
    tile_layers: &'a [String],
    point_layers: &'a [String],
}

fn constrain_parameter(p: &mut Value, place: &str, name: &str, ctx: &Context<'_>) {
    let path = ctx.path;
    let ogc_items = path.starts_with("/collections/");
    let schema = &mut p["schema"];
    let set_enum = |schema: &mut Value, values: Vec<String>| {
        schema["type"] = json!("string");
        schema["enum"] = json!(values);
    };
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    match (place, name) {
        ("query", "f") if path == "/api" => set_enum(schema, owned(&["json"])),
        ("query", "f") if path.ends_with("/items") => {
            let mut all = owned(&["json", "geojson", "html"]);
            all.extend(
                Format::DOWNLOADS
                    .iter()
                    .flat_map(|(_, names, _)| names.iter().map(|n| (*n).to_owned())),
            );
            set_enum(schema, all);
        }
        ("query", "sortby") => {
            // `+name`, `-name` or `name` of a queryable of the collection (of every
            // collection, where the collection is a path parameter; none in common: left out).
            let names = match ctx.collection {
                Some(c) => c.queryables().iter().map(|q| q.name.clone()).collect(),
                None => common(ctx.collections, |c| c.queryables().iter().map(|q| q.name.clone()).collect()),
            };
            if names.is_empty() {
                p["x-drop"] = json!(true);
                return;
            }
            let keys: Vec<String> = names.iter().flat_map(|n| [n.clone(), format!("+{n}"), format!("-{n}")]).collect();
            *schema = json!({"type": "array", "minItems": 1, "items": {"type": "string", "enum": keys}});
            p["style"] = json!("form");
            p["explode"] = json!(false);
        }
        ("path", "tileMatrixSetId") => set_enum(schema, owned(&[super::ogc::tiles::WEB_MERCATOR_QUAD])),
        ("path", "tileMatrix") => set_enum(schema, (0..=MAX_ZOOM).map(|z| z.to_string()).collect()),
        ("path", "tileRow" | "tileCol") => {
            schema["minimum"] = json!(0);
            schema["maximum"] = json!((1_u64 << MAX_ZOOM) - 1);
        }
        ("query", "f") => set_enum(schema, owned(&["json", "geojson", "html"])),
        ("query", "level") if !ogc_items => set_enum(schema, owned(&LEVELS)),
        ("query", "from" | "to") => set_enum(schema, owned(&DATUMS)),
        ("query", "measure") => set_enum(schema, Measure::ALL.iter().map(|m| m.name().to_owned()).collect()),
        ("query", "method") => set_enum(schema, owned(&METHODS)),
        ("query", "geometry") if path.starts_with("/density") => set_enum(schema, owned(&DENSITY_GEOMETRY)),
        ("query", "crs" | "bbox-crs") => set_enum(schema, OutputCrs::ALL.into_iter().flat_map(crs_spellings).collect()),
        ("query", "filter-crs") => set_enum(schema, crs_spellings(OutputCrs::Crs84)),
        ("query", "filter-lang") => set_enum(schema, owned(&FILTER_LANGS)),
        ("query", "bbox") => *schema = json!({"type": "string", "format": FORMAT_BBOX, "minLength": 7}),
        ("query", "datetime") => *schema = json!({"type": "string", "format": FORMAT_DATETIME}),
        ("query", "filter") => *schema = json!({"type": "string", "format": FORMAT_CQL2, "minLength": 1}),
        ("query", "q") => {
            *schema = json!({"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": NOT_BLANK});
        }
        ("query", "properties") => {
            // A comma-separated list of the collection's property names; where the
            // collection is a path parameter, the names every collection has.
            let names = match ctx.collection {
                Some(c) => property_names(c),
                None => common(ctx.collections, property_names),
            };
            let items = json!({"type": "string", "enum": names});
            *schema = json!({"type": "array", "minItems": 1, "items": items});
            p["style"] = json!("form");
            p["explode"] = json!(false);
        }
        // `usize` on a 64-bit server; a larger `limit` is clamped, not refused.
        ("query", "limit" | "offset") if ogc_items => schema["maximum"] = json!(u64::MAX),
        ("query", "cluster_id") => {
            schema["minimum"] = json!(0);
            schema["maximum"] = json!(u64::MAX);
        }
        ("path", "collectionId") if !path.contains("/items") => {
            set_enum(schema, ctx.collections.iter().map(|c| c.id().to_owned()).collect());
        }
        ("path", "layer") if path.ends_with("/expand") => set_enum(schema, ctx.point_layers.to_vec()),
        ("path", "layer") => set_enum(schema, ctx.tile_layers.to_vec()),
        ("path", "z") => {
            schema["minimum"] = json!(0);
            schema["maximum"] = json!(MAX_ZOOM);
        }
        ("path", "x" | "y") => {
            schema["minimum"] = json!(0);
            schema["maximum"] = json!((1_u64 << MAX_ZOOM) - 1);
        }
        _ => {}
    }
    // Free text holds no U+0000 (PostgreSQL text cannot; the server refuses it in any
    // parameter): say so wherever nothing narrower does.
    let schema = &mut p["schema"];
    let free_text = schema["type"] == "string" && ["enum", "pattern", "format"].iter().all(|k| schema.get(*k).is_none());
    if place == "query" && free_text {
        schema["pattern"] = json!(NO_NUL);
    }
}

/// A string without U+0000.
const NO_NUL: &str = r"^[^\u0000]*$";

/// The names `names` gives for every collection.
fn common(collections: &[Collection<'_>], names: impl Fn(Collection<'_>) -> Vec<String>) -> Vec<String> {
    let mut common = collections.first().map(|c| names(*c)).unwrap_or_default();
    for c in collections {
        let own = names(*c);
        common.retain(|n| own.contains(n));
    }
    common
}

/// The property names `properties=` may list for collection `c`.
fn property_names(c: Collection<'_>) -> Vec<String> {
    let queryables = c.queryables().iter().map(|q| q.name.clone());
    queryables.chain(c.other_properties().iter().map(|s| (*s).to_owned())).collect()
}

/// The body of `POST /reverse` (its `maxItems` is the configured limit, set afterwards). A pair is `[lon, lat]`; OpenAPI 3.0 has no tuples, so both
/// numbers are bounded by the longitude range and the latitude range is in the description.
fn batch_reverse_schema() -> Value {
    json!({
        "type": "object",
        "required": ["points"],
        "additionalProperties": false,
        "properties": {
            "points": {
                "type": "array",
                "description": "`[lon, lat]` pairs, WGS84 degrees: lon within −180..180, lat within −90..90",
                "items": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": {"type": "number", "minimum": -180, "maximum": 180},
                },
            },
        },
    })
}

/// Responses utoipa's attributes leave out: `503` on every operation but `/health` (load
/// shedding and the request time limit, see [`super::limits`]), `text/html` on the OGC
/// operations that offer `f=html`, and `400` on the body of `POST /reverse`.
fn add_responses(path: &str, method: &str, op: &mut Value) {
    let Some(Value::Object(responses)) = op.get_mut("responses") else {
        return;
    };
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        })
    };
    if path != "/health" {
        responses
            .entry("503")
            .or_insert_with(|| problem("Busy (too many requests at once) or too slow; retry after `Retry-After` seconds"));
    }
    let html = ["/", "/conformance", "/collections"].contains(&path) || path.starts_with("/collections/");
    if html && method == "get" {
        if let Some(Value::Object(content)) = responses.get_mut("200").and_then(|r| r.get_mut("content")) {
            content.insert("text/html".into(), json!({"schema": {"type": "string"}}));
            // Items pages also come as CSV, FlatGeobuf and GeoJSON text sequences (`f=`, `Accept`).
            if path.ends_with("/items") {
                for (_, _, media) in Format::DOWNLOADS {
                    let schema = if media == super::ogc::formats::FGB {
                        json!({"type": "string", "format": "binary"})
                    } else {
                        json!({"type": "string"})
                    };
                    content.insert(media.to_owned(), json!({ "schema": schema }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::classify::Method;
    use crate::model::AdminLevel;

    #[test]
    fn every_listed_spelling_parses() {
        for l in LEVELS {
            assert!(l.parse::<AdminLevel>().is_ok(), "{l}");
        }
        for d in DATUMS {
            assert!(d.parse::<crate::crs::Datum>().is_ok(), "{d}");
        }
        for m in METHODS {
            assert!(m.parse::<Method>().is_ok(), "{m}");
        }
        for c in OutputCrs::ALL {
            for s in crs_spellings(c) {
                assert_eq!(s.parse::<OutputCrs>(), Ok(c), "{s}");
            }
        }
    }

    #[test]
    fn not_blank_pattern_names_the_ascii_whitespace_search_trims() {
        let ws: String = (0..128_u8).map(char::from).filter(char::is_ascii_whitespace).collect();
        assert_eq!(ws, "\t\n\u{c}\r ");
        assert_eq!(NOT_BLANK, "[^ \\t\\n\\r\\f]");
    }
}
