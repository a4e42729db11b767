//! The fuzz targets, shared by the libFuzzer binaries of `fuzz/` (long runs, `scripts/fuzz`)
//! and by `tests/fuzz.rs` (corpus replay and bounded generated cases on stable Rust).
//!
//! Each target takes arbitrary bytes and panics only on a bug: a panic inside the service,
//! a 5xx answer, a 4xx that is not `application/problem+json`, or an import that writes a
//! layer the server could not load back.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use axum::body::Body;
use axum::http::{Request, Uri};
use cluster_atlas::analysis::features::{self, FilterLang, Selection};
use cluster_atlas::api::{AppState, router};
use cluster_atlas::atlas::Atlas;
use cluster_atlas::crs::Datum;
use cluster_atlas::ingest::import::{encode_layer, import_csv, import_geojson};
use cluster_atlas::load::csv::{decode_text, read_csv_table};
use cluster_atlas::model::AdminLevel;
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// Names of the targets: the directories under `fuzz/corpus/` and `fuzz/artifacts/`.
pub const TARGETS: [&str; 4] = ["query", "cql2", "csv_import", "geojson_import"];

/// Runs target `name` on one input.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "query" => query(data),
        "cql2" => cql2(data),
        "csv_import" => csv_import(data),
        "geojson_import" => geojson_import(data),
        other => panic!("no fuzz target '{other}'"),
    }
}

/// The repository's root: this package's, or its parent for the `fuzz/` package.
pub fn repo_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().find(|p| p.join("geodata").is_dir()).unwrap_or(here).to_path_buf()
}

/// The real atlas of the committed geodata, loaded once per process.
pub fn atlas() -> Arc<Atlas> {
    static ATLAS: OnceLock<Arc<Atlas>> = OnceLock::new();
    ATLAS
        .get_or_init(|| {
            let dir = std::env::var_os("CLUSTER_ATLAS_GEODATA").map_or_else(|| repo_dir().join("geodata"), PathBuf::from);
            Arc::new(cluster_atlas::load::load_dir(&dir).expect("geodata loads"))
        })
        .clone()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// A scratch directory for the import targets' files, one per process.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

/// Endpoints of the query target; `{}` is a path segment taken from the input.
pub const ENDPOINTS: [&str; 24] = [
    "/collections/clusters/items",
    "/collections/counties/items",
    "/collections/provinces/items",
    "/collections/{}/items",
    "/collections/clusters/items/{}",
    "/collections/{}",
    "/collections/{}/queryables",
    "/collections",
    "/nearest",
    "/within",
    "/reverse",
    "/density",
    "/density.csv",
    "/density/h3",
    "/search",
    "/convert",
    "/tiles/{}",
    "/tiles/clusters/{}/{}/{}",
    "/tiles/counties/{}/{}/{}",
    "/tiles/clusters/expand",
    "/tiles",
    "/",
    "/conformance",
    "/health",
];

/// Percent-encodes what a URI may not hold (bytes that may are kept, `%` included, so the
/// input can also hold malformed escapes).
fn uri_text(bytes: &[u8], keep: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Query-string parsers (bbox, crs, numbers, lists, datetime, …) through the real router:
/// byte 0 picks one of [`ENDPOINTS`], the rest is `seg/seg/…?query` (segments fill the
/// endpoint's `{}` in order). Every answer must be below 500, and every 4xx a problem.
pub fn query(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let template = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let (segs, query) = match rest.iter().position(|&b| b == b'?') {
        Some(q) => (&rest[..q], &rest[q + 1..]),
        None if template.contains("{}") => (rest, &[][..]),
        None => (&[][..], rest),
    };
    let mut segs = segs.split(|&b| b == b'/');
    let mut path = String::new();
    for (i, part) in template.split("{}").enumerate() {
        if i > 0 {
            path.push_str(&uri_text(segs.next().unwrap_or_default(), b"-._~!$&'()*+,;=:@%"));
        }
        path.push_str(part);
    }
    let uri = format!("{path}?{}", uri_text(query, b"-._~!$&'()*+,;=:@/?%[]"));
    let Ok(uri) = uri.parse::<Uri>() else { return };
    let app = router(AppState::from_shared(atlas()));
    runtime().block_on(async move {
        let req = Request::get(uri.clone()).body(Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        assert!(status.as_u16() < 500, "GET {uri} answered {status}");
        if status.is_client_error() {
            let ct = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            assert_eq!(ct, "application/problem+json", "GET {uri} answered {status} as '{ct}'");
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {uri}: problem is not JSON ({e})"));
            assert_eq!(doc["status"], status.as_u16(), "GET {uri}: {doc}");
        } else {
            // Streamed answers can be ~100 MB: their head is enough, the rest is dropped.
            let mut body = resp.into_body();
            let mut read = 0;
            while read < 256 * 1024 {
                match body.frame().await {
                    None => break,
                    Some(frame) => {
                        let frame = frame.unwrap_or_else(|e| panic!("GET {uri}: body failed: {e}"));
                        read += frame.data_ref().map_or(0, |d| d.len());
                    }
                }
            }
        }
    });
}

/// CQL2 parsing and evaluation on the real atlas: byte 0 picks the collection (bits 0–1)
/// and the language (bit 2: CQL2 JSON), the rest is the filter text. It must parse or be
/// refused as a bad `filter`, then evaluate or be refused as a bad `filter`.
pub fn cql2(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let atlas = atlas();
    let id = ["clusters", "provinces", "prefectures", "counties"][usize::from(pick & 3)];
    let level = AdminLevel::from_layer_name(id);
    let queryables = match level {
        Some(_) => features::admin_queryables(),
        None => atlas.point_layer(id).expect("collection exists").queryables(),
    };
    let lang = if pick & 4 == 0 {
        FilterLang::Cql2Text
    } else {
        FilterLang::Cql2Json
    };
    // As the query string gives it to the API: decoded, invalid UTF-8 replaced.
    let text = String::from_utf8_lossy(rest);
    let check = |e: cluster_atlas::analysis::AnalysisError| match e {
        cluster_atlas::analysis::AnalysisError::InvalidArgument { parameter: "filter", .. } => {}
        other => panic!("filter {text:?} on {id}: unexpected error {other:?}"),
    };
    let Ok(filter) = features::parse_filter(id, queryables, &text, lang).map_err(check) else {
        return;
    };
    let sel = Selection {
        filter: Some(filter),
        limit: 10,
        ..Selection::default()
    };
    let counts = match level {
        Some(level) => features::select_admin(&atlas, level, &sel).map(|p| (p.items.len(), p.number_matched)),
        None => features::select_points(&atlas.point_layers()[0], &sel).map(|p| (p.items.len(), p.number_matched)),
    };
    if let Ok((returned, matched)) = counts.map_err(check) {
        assert!(returned <= matched.min(10), "filter {text:?} on {id}");
    }
}

/// The datum an import input is read in, chosen by its length (the bytes are all file).
fn datum_for(data: &[u8]) -> Datum {
    Datum::ALL[data.len() % Datum::ALL.len()]
}

/// What any successful import must give: one feature per valid record, and a layer file
/// the server's loader reads back whole.
fn check_layer<T: serde::Serialize>(what: &str, features: &[T]) {
    let out = scratch().join(format!("{what}-layer.geojson"));
    std::fs::write(&out, encode_layer(features)).unwrap();
    match cluster_atlas::load::points::read_point_layer(&out) {
        Ok(read) => assert_eq!(read.len(), features.len(), "{what}: layer read back"),
        Err(e) => panic!("{what}: the imported layer does not load: {e}"),
    }
}

/// CSV import as `cluster-atlas import file.csv` does it: read the file, validate and place
/// every row, write the layer; rows are either features or rejected, never lost.
pub fn csv_import(data: &[u8]) {
    let path = scratch().join("input.csv");
    std::fs::write(&path, data).unwrap();
    let Ok(table) = read_csv_table(&path) else { return };
    let outcome = import_csv(&atlas(), &table, datum_for(data));
    assert_eq!(
        outcome.features.len() + outcome.rejected,
        table.rows.len(),
        "every row is a feature or rejected"
    );
    assert!(
        outcome.rejected == 0 || !outcome.problems.is_empty(),
        "a rejected row has a problem"
    );
    check_layer("csv", &outcome.features);
}

/// GeoJSON import as `cluster-atlas import file.geojson` does it.
pub fn geojson_import(data: &[u8]) {
    let path = scratch().join("input.geojson");
    let Ok(text) = decode_text(&path, data) else { return };
    let outcome = import_geojson(&atlas(), &path, &text, datum_for(data));
    if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(all) = doc.get("features").and_then(serde_json::Value::as_array)
        && doc["type"] == "FeatureCollection"
    {
        // A whole-file problem (e.g. a duplicate key) rejects the file before any feature.
        let whole_file_refused = outcome.features.is_empty() && outcome.rejected == 0 && !outcome.problems.is_empty();
        if !whole_file_refused {
            assert_eq!(
                outcome.features.len() + outcome.rejected,
                all.len(),
                "every feature is imported or rejected"
            );
        }
    }
    assert!(
        outcome.rejected == 0 || !outcome.problems.is_empty(),
        "a rejected feature has a problem"
    );
    check_layer("geojson", &outcome.features);
}
