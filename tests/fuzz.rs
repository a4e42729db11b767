//! The fuzz targets on stable Rust (issue 12): every saved corpus and crash input of
//! `fuzz/` is replayed, then a bounded number of generated inputs (fixed seed) runs through
//! each target. Long coverage-guided runs are `scripts/fuzz` (libFuzzer); the targets
//! themselves are in `tests/fuzz_targets/mod.rs`, shared by both.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod fuzz_targets;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Generated cases per target: enough to reach every parser, bounded to seconds.
const CASES: u32 = 200;

/// Runs `target` on every file of its corpus and crash directories; returns how many.
fn replay(target: &str) -> usize {
    let root = fuzz_targets::repo_dir().join("fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "artifacts"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d).join(target)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let failed: Vec<String> = files
        .iter()
        .filter(|p| {
            let data = std::fs::read(p).unwrap();
            catch_unwind(AssertUnwindSafe(|| fuzz_targets::run(target, &data))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target}: {} inputs fail: {failed:#?}", failed.len());
    files.len()
}

/// Runs `CASES` inputs from `strategy` through `target`, seeded so every run is the same.
fn generate(target: &str, strategy: impl Strategy<Value = Vec<u8>>) {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[12; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    if let Err(e) = runner.run(&strategy, |data| {
        fuzz_targets::run(target, &data);
        Ok(())
    }) {
        panic!("{target}: {e}");
    }
}

/// Each target has its corpus committed: a replay that finds nothing tests nothing.
fn replay_nonempty(target: &str) {
    let n = replay(target);
    assert!(n >= 10, "{target}: only {n} saved inputs under fuzz/corpus and fuzz/artifacts");
}

#[test]
fn replays_the_query_corpus() {
    replay_nonempty("query");
}

#[test]
fn replays_the_cql2_corpus() {
    replay_nonempty("cql2");
}

#[test]
fn replays_the_csv_import_corpus() {
    replay_nonempty("csv_import");
}

#[test]
fn replays_the_geojson_import_corpus() {
    replay_nonempty("geojson_import");
}

/// Numbers as clients write them, including the ones parsers trip on.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| x.to_string()),
        (-200.0..200.0f64).prop_map(|x| format!("{x:.4}")),
        "-?[0-9]{1,25}",
        "-?[0-9]{0,3}\\.[0-9]{0,20}([eE][+-]?[0-9]{1,4})?",
        prop::sample::select(vec!["NaN", "inf", "-inf", "1e309", "-0", "0x10", "+5", " 7 ", "1_000", "١٢"]).prop_map(str::to_owned),
    ]
}

/// Values of query parameters: numbers, lists, CRS names, dates, words the API knows, noise.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        prop::collection::vec(number(), 0..7).prop_map(|v| v.join(",")),
        prop::sample::select(vec![
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            "http://www.opengis.net/def/crs/EPSG/0/3857",
            "http://www.opengis.net/def/crs/EPSG/0/4326",
            "http://www.opengis.net/def/crs/EPSG/0/4490",
            "EPSG:3857",
            "[EPSG:4326]",
            "wgs84",
            "gcj02",
            "bd09",
        ])
        .prop_map(str::to_owned),
        "(\\.\\.|[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?)?)?)?(/(\\.\\.|[0-9]{4}(-[0-9]{2})?)?)?",
        prop::sample::select(vec![
            "clusters",
            "counties",
            "prefectures",
            "provinces",
            "foundry",
            "national",
            "park",
            "true",
            "false",
            "json",
            "html",
            "csv",
            "geojson",
            "jenks",
            "quantile",
            "count",
            "per_10k_km2",
            "county",
            "name_zh",
            "id,name_zh",
            "",
            " ",
        ])
        .prop_map(str::to_owned),
        ".{0,16}",
    ]
}

fn query_input() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "bbox",
            "bbox-crs",
            "crs",
            "limit",
            "offset",
            "datetime",
            "properties",
            "filter",
            "filter-lang",
            "filter-crs",
            "f",
            "lon",
            "lat",
            "k",
            "radius_m",
            "q",
            "layer",
            "kind",
            "industry",
            "designation",
            "approval_level",
            "level",
            "from",
            "to",
            "geometry",
            "resolution",
            "classes",
            "method",
            "measure",
            "all",
            "cluster_id",
            "zoom",
            "name_zh",
        ])
        .prop_map(str::to_owned),
        "[a-z_-]{1,8}",
    ];
    let segment = prop_oneof![
        prop::sample::select(vec!["clusters", "counties", "provinces", "clusters.json", "counties.json", "nope"]).prop_map(str::to_owned),
        "[0-9]{1,3}",
        "-?[0-9]{1,12}(\\.(mvt|pbf|json|png))?",
        ".{0,10}",
    ];
    (
        any::<u8>(),
        prop::collection::vec(segment, 0..4),
        prop::collection::vec((name, value()), 0..7),
    )
        .prop_map(|(pick, segs, pairs)| {
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut data = vec![pick];
            data.extend_from_slice(format!("{}?{}", segs.join("/"), query.join("&")).as_bytes());
            data
        })
}

#[test]
fn generated_query_strings() {
    generate("query", query_input());
}

/// Names a filter can refer to: every queryable of the real atlas, `geometry` and typos.
fn property_names() -> Vec<String> {
    let atlas = fuzz_targets::atlas();
    let points = atlas.point_layers().iter().flat_map(|l| l.queryables());
    let mut names: Vec<String> = points
        .chain(cluster_atlas::analysis::features::admin_queryables())
        .map(|q| q.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names.extend(["geometry".to_owned(), "nope".to_owned(), "\"name_zh\"".to_owned()]);
    names
}

/// CQL2 text from a small grammar: comparisons, LIKE, IN, BETWEEN, IS NULL, arithmetic,
/// case/accent folding, spatial and temporal predicates, joined by AND/OR/NOT.
fn cql2_text() -> impl Strategy<Value = String> {
    let prop = prop::sample::select(property_names());
    let literal = prop_oneof![
        number(),
        "'[a-z\\u{4e00}-\\u{4e20}%_' ]{0,8}'",
        prop::sample::select(vec![
            "TRUE",
            "FALSE",
            "NULL",
            "DATE('2005-06-01')",
            "TIMESTAMP('2005-06-01T00:00:00Z')"
        ])
        .prop_map(str::to_owned),
    ];
    let geometry = prop_oneof![
        (number(), number()).prop_map(|(x, y)| format!("POINT({x} {y})")),
        prop::collection::vec((number(), number()), 0..6).prop_map(|ps| {
            let ring: Vec<String> = ps.iter().map(|(x, y)| format!("{x} {y}")).collect();
            format!("POLYGON(({}))", ring.join(","))
        }),
        prop::collection::vec(number(), 0..7).prop_map(|v| format!("BBOX({})", v.join(","))),
        Just("POINT EMPTY".to_owned()),
        Just("LINESTRING(100 30, 120 40)".to_owned()),
    ];
    let term = prop_oneof![prop.clone().prop_map(|p| p), literal.clone()];
    let leaf = prop_oneof![
        (
            term.clone(),
            prop::sample::select(vec!["=", "<>", "<", ">", "<=", ">="]),
            term.clone()
        )
            .prop_map(|(a, o, b)| format!("{a} {o} {b}")),
        (prop.clone(), "'[a-z%_\\\\]{0,6}'").prop_map(|(p, s)| format!("{p} LIKE {s}")),
        (prop.clone(), prop::collection::vec(literal.clone(), 0..4)).prop_map(|(p, v)| format!("{p} IN ({})", v.join(", "))),
        (prop.clone(), number(), number()).prop_map(|(p, a, b)| format!("{p} BETWEEN {a} AND {b}")),
        prop.clone().prop_map(|p| format!("{p} IS NOT NULL")),
        (
            prop.clone(),
            prop::sample::select(vec!["+", "-", "*", "/", "%", "^", "div"]),
            number(),
            number()
        )
            .prop_map(|(p, o, a, b)| format!("{p} {o} {a} > {b}")),
        (prop.clone(), literal.clone()).prop_map(|(p, l)| format!("CASEI({p}) = CASEI({l})")),
        (prop.clone(), literal).prop_map(|(p, l)| format!("ACCENTI({p}) = ACCENTI({l})")),
        (
            prop::sample::select(vec![
                "S_INTERSECTS",
                "S_WITHIN",
                "S_CONTAINS",
                "S_DISJOINT",
                "S_EQUALS",
                "S_TOUCHES",
                "S_CROSSES"
            ]),
            geometry
        )
            .prop_map(|(op, g)| format!("{op}(geometry, {g})")),
        (prop.clone(), "[0-9]{4}(-[0-9]{2}){0,2}").prop_map(|(p, d)| format!("T_INTERSECTS({p}, INTERVAL('{d}', '..'))")),
        (prop.clone(), "'[a-z]{0,4}'").prop_map(|(p, s)| format!("A_CONTAINS({p}, ({s}))")),
        ".{0,12}",
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec![" AND ", " OR ", " and "]), inner.clone()).prop_map(|(a, o, b)| format!("{a}{o}{b}")),
            inner.clone().prop_map(|a| format!("NOT ({a})")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

fn cql2_input() -> impl Strategy<Value = Vec<u8>> {
    (any::<u8>(), cql2_text()).prop_map(|(pick, text)| {
        // The JSON half gets the same expressions in CQL2 JSON where they parse as text.
        let text = if pick & 4 == 0 {
            text
        } else {
            cql2::parse_text(&text).ok().and_then(|e| e.to_json().ok()).unwrap_or(text)
        };
        let mut data = vec![pick];
        data.extend_from_slice(text.as_bytes());
        data
    })
}

#[test]
fn generated_cql2_filters() {
    generate("cql2", cql2_input());
}

/// Cells of an import file: coordinates in and out of range, real county codes and names,
/// quoting trouble, numbers, noise.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        (73.0..136.0f64).prop_map(|x| format!("{x:.5}")),
        (18.0..54.0f64).prop_map(|x| format!("{x:.5}")),
        prop::sample::select(vec![
            "110108",
            "330782",
            "440300",
            "000000",
            "11010",
            "海淀区",
            "义乌市",
            "朝阳区",
            "北京市",
            "浙江省",
            "Yiwu",
            "=1+2",
            "\"quoted, with comma\"",
            "\"line\nbreak\"",
            "\"\"",
            "\"unclosed",
            "",
            " ",
        ])
        .prop_map(str::to_owned),
        "[^,\n\"]{0,10}",
    ]
}

fn csv_input() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        prop::sample::select(vec![
            "id",
            "name_zh",
            "name",
            "lon",
            "lat",
            "lng",
            "longitude",
            "latitude",
            "county_code",
            "county_zh",
            "county",
            "prefecture_zh",
            "province_zh",
            "industry",
            "firms",
            "ID",
            " name_zh ",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{0,6}",
    ];
    (
        prop::collection::vec(header, 1..7),
        prop::collection::vec(prop::collection::vec(cell(), 0..8), 0..6),
        any::<bool>(),
        0..4u8,
    )
        .prop_map(|(headers, rows, crlf, wrap)| {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = headers.join(",") + end;
            for r in rows {
                text.push_str(&r.join(","));
                text.push_str(end);
            }
            match wrap {
                1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                2 => encoding_rs::GB18030.encode(&text).0.into_owned(),
                3 => [text.as_bytes(), b"\xff\xfe,\x81"].concat(),
                _ => text.into_bytes(),
            }
        })
}

#[test]
fn generated_csv_imports() {
    generate("csv_import", csv_input());
}

fn json_scalar() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z\\u{4e00}-\\u{4e20}<>\"&=]{0,8}".prop_map(Value::from),
    ]
}

fn feature() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let coordinate = prop_oneof![
        (73.0..136.0f64).prop_map(Value::from),
        (18.0..54.0f64).prop_map(Value::from),
        json_scalar()
    ];
    let geometry = prop_oneof![
        (coordinate.clone(), coordinate.clone()).prop_map(|(x, y)| json!({"type": "Point", "coordinates": [x, y]})),
        prop::collection::vec(coordinate, 0..4).prop_map(|c| json!({"type": "Point", "coordinates": c})),
        Just(json!({"type": "LineString", "coordinates": [[100, 30], [101, 31]]})),
        Just(json!({"type": "Point"})),
        json_scalar(),
    ];
    let key = prop::sample::select(vec![
        "name_zh",
        "name",
        "id",
        "industry",
        "precision",
        "county_code",
        "kind",
        "time",
        "x",
    ]);
    (
        prop::sample::select(vec!["Feature", "Feature", "Feature", "feature", "Point"]),
        geometry,
        prop::collection::vec((key, json_scalar()), 0..6),
        json_scalar(),
        any::<bool>(),
    )
        .prop_map(|(kind, geometry, props, id, with_id)| {
            let properties: serde_json::Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let mut f = json!({"type": kind, "geometry": geometry, "properties": properties});
            if with_id {
                f["id"] = id;
            }
            f
        })
}

fn geojson_input() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(feature(), 0..6),
        prop::sample::select(vec!["FeatureCollection", "FeatureCollection", "Feature", "x"]),
        0..3u8,
    )
        .prop_map(|(features, kind, wrap)| {
            let text = serde_json::json!({"type": kind, "features": features}).to_string();
            match wrap {
                1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                2 => text.as_bytes()[..text.len() / 2].to_vec(),
                _ => text.into_bytes(),
            }
        })
}

#[test]
fn generated_geojson_imports() {
    generate("geojson_import", geojson_input());
}

/// Answers `GET uri` on the real atlas: status, content type, body as JSON (Null if not).
fn get(uri: &str) -> (u16, String, serde_json::Value) {
    use tower::ServiceExt;
    let app = cluster_atlas::api::router(cluster_atlas::api::AppState::from_shared(fuzz_targets::atlas()));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let req = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let status = resp.status().as_u16();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, ct, serde_json::from_slice(&body).unwrap_or_default())
    })
}

/// r12 (fuzz, query): a path segment that is not UTF-8 once decoded was axum's plain-text
/// 400; it is a problem naming the path, on every route with a path parameter.
#[test]
fn r12_undecodable_path_segment_is_a_problem() {
    for uri in [
        "/collections/%93/queryables",
        "/collections/%ff",
        "/collections/%ff/items",
        "/collections/clusters/items/%c0%af",
        "/tiles/%ff",
        "/tiles/%ff/expand",
        "/tiles/clusters/%ff/1/1.mvt",
    ] {
        let (status, ct, doc) = get(uri);
        assert_eq!((status, ct.as_str()), (400, "application/problem+json"), "{uri}");
        assert_eq!(doc["status"], 400, "{uri}: {doc}");
        assert!(doc["detail"].as_str().is_some_and(|d| d.contains("UTF-8")), "{uri}: {doc}");
    }
}
