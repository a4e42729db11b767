//! OGC API – Tiles 1.0 (vector tiles): the tile matrix set, each collection's tilesets and
//! tiles, checked over HTTP in process and read back by GDAL's OGCAPI driver (the GDAL 3.12
//! that pyogrio's wheel bundles, installed by `scripts/setup --test`).
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::tiles::TileCoord;
use common::{assert_problem, get};
use std::process::Command;

/// 泊头市 (county 130981).
const BOTOU: (f64, f64) = (116.578, 38.076);

#[tokio::test]
async fn the_tile_matrix_set_is_web_mercator_quad_in_both_encodings() {
    let list = get("/tileMatrixSets").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json["tileMatrixSets"][0]["id"], "WebMercatorQuad");
    let tms = get("/tileMatrixSets/WebMercatorQuad").await;
    assert_eq!(tms.status, 200);
    assert_eq!(tms.content_type(), "application/json");
    let j = &tms.json;
    assert_eq!(j["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    assert_eq!(j["supportedCRS"], j["crs"], "TMS 1.0 readers (GDAL < 3.7) need supportedCRS");
    let m = j["tileMatrices"].as_array().unwrap();
    assert_eq!(m.len(), 17, "zooms 0..=16");
    assert_eq!(m[0]["cellSize"], 156_543.033_928_040_97);
    assert_eq!(m[0]["topLeftCorner"], m[0]["pointOfOrigin"]);
    for (z, mz) in m.iter().enumerate() {
        assert_eq!(mz["id"], z.to_string());
        assert_eq!(mz["matrixWidth"], 1u64 << z);
        let ratio = mz["scaleDenominator"].as_f64().unwrap() * 0.000_28 / mz["cellSize"].as_f64().unwrap();
        assert!((ratio - 1.0).abs() < 1e-12, "scaleDenominator = cellSize / 0.28 mm at {z}");
    }
    assert_problem(&get("/tileMatrixSets/WorldCRS84Quad").await, 404, None);
}

#[tokio::test]
async fn a_collection_lists_its_tileset_and_the_tileset_its_limits_and_template() {
    let c = get("/collections/counties").await;
    let rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
    let link = c.json["links"].as_array().unwrap().iter().find(|l| l["rel"] == rel).unwrap();
    assert!(link["href"].as_str().unwrap().ends_with("/collections/counties/tiles"));
    assert_eq!(link["type"], "application/json");
    let sets = get("/collections/counties/tiles").await;
    assert_eq!(sets.status, 200);
    let set = &sets.json["tilesets"][0];
    assert_eq!(set["dataType"], "vector");
    assert_eq!(
        set["tileMatrixSetURI"],
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    );
    let ts = get("/collections/counties/tiles/WebMercatorQuad").await;
    assert_eq!(ts.status, 200);
    let links = ts.json["links"].as_array().unwrap();
    let item = links.iter().find(|l| l["rel"] == "item").unwrap();
    assert_eq!(item["type"], "application/vnd.mapbox-vector-tile");
    assert!(
        item["href"]
            .as_str()
            .unwrap()
            .ends_with("/collections/counties/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    );
    assert!(
        links
            .iter()
            .any(|l| l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme")
    );
    assert!(
        links
            .iter()
            .any(|l| l["rel"] == "describedby" && l["href"].as_str().unwrap().ends_with("/tiles/counties.json"))
    );
    // The limits of every zoom hold the tile of Botou (China's extent).
    let limits = ts.json["tileMatrixSetLimits"].as_array().unwrap();
    assert_eq!(limits.len(), 17);
    for l in limits {
        let z: u8 = l["tileMatrix"].as_str().unwrap().parse().unwrap();
        let t = TileCoord::containing(z, BOTOU.0, BOTOU.1);
        let within = |v: u32, lo: &str, hi: &str| l[lo].as_u64().unwrap() <= u64::from(v) && u64::from(v) <= l[hi].as_u64().unwrap();
        assert!(
            within(t.x, "minTileCol", "maxTileCol") && within(t.y, "minTileRow", "maxTileRow"),
            "{l}"
        );
    }
    assert_problem(&get("/collections/nope/tiles").await, 404, None);
    assert_problem(&get("/collections/counties/tiles/WorldCRS84Quad").await, 404, None);
}

#[tokio::test]
async fn ogc_tiles_are_the_mvt_tiles_and_404_outside_the_limits() {
    for (layer, z) in [("counties", 6u8), ("clusters", 5), ("provinces", 3)] {
        let t = TileCoord::containing(z, BOTOU.0, BOTOU.1);
        let ogc = get(&format!("/collections/{layer}/tiles/WebMercatorQuad/{}/{}/{}", t.z, t.y, t.x)).await;
        let plain = get(&format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
        assert_eq!(ogc.status, 200, "{layer}");
        assert_eq!(ogc.content_type(), "application/vnd.mapbox-vector-tile");
        assert_eq!(ogc.bytes, plain.bytes, "{layer} {z}: the same bytes as /tiles");
    }
    // Outside China's limits (the Atlantic), beyond the matrix, beyond the deepest zoom.
    assert_problem(&get("/collections/counties/tiles/WebMercatorQuad/6/24/20").await, 404, None);
    assert_problem(&get("/collections/counties/tiles/WebMercatorQuad/3/8/0").await, 404, None);
    assert_problem(&get("/collections/counties/tiles/WebMercatorQuad/17/0/0").await, 404, None);
    assert_problem(&get("/collections/counties/tiles/WebMercatorQuad/abc/0/0").await, 404, None);
}

#[tokio::test]
async fn tiles_conformance_is_declared() {
    let c = get("/conformance").await;
    let classes: Vec<&str> = c.json["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for class in ["core", "tileset", "tilesets-list", "geodata-tilesets", "mvt"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{class}");
        assert!(classes.contains(&uri.as_str()), "{uri}");
    }
}

/// The python of the pyogrio venv `scripts/setup --test` makes.
fn pyogrio_python() -> std::path::PathBuf {
    let cache = std::env::var_os("CLUSTER_ATLAS_CACHE").map_or_else(
        || {
            let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                || std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"),
                Into::into,
            );
            base.join("cluster-atlas")
        },
        Into::into,
    );
    cache.join("pyogrio/bin/python")
}

#[test]
fn gdal_reads_the_counties_vector_tiles_back() {
    let python = pyogrio_python();
    assert!(python.exists(), "{} is missing: run scripts/setup --test", python.display());
    let server = common::server::start();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gdal/ogcapi_tiles.py");
    for z in [6, 9] {
        let out = Command::new(&python)
            .arg(&script)
            .args([&server.base, "counties", &z.to_string(), &BOTOU.0.to_string(), &BOTOU.1.to_string()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
        let j: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        eprintln!("GDAL {} read zoom {z}: {} features", j["gdal"], j["features"]);
        // One layer per tile matrix, named by GDAL (it lists those whose tile range it makes
        // of the collection's box, read as metres: the low zooms only).
        let layers: Vec<&str> = j["layers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(
            !layers.is_empty() && layers.iter().all(|l| l.starts_with("Zoom level ")),
            "{layers:?}"
        );
        assert!(j["features"].as_u64().unwrap() > 0, "{j}");
        assert!(j["fields"].as_array().unwrap().iter().any(|f| f == "name_zh"), "{j}");
        assert!(
            j["codes"].as_array().unwrap().iter().any(|c| c == "130981"),
            "the tile holding Botou decodes to 泊头市: {j}"
        );
        assert_eq!(j["geometries"], j["features"], "every feature has its polygon");
    }
}
