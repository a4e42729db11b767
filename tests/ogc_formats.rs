//! Items that analysts can sort and download: `sortby` (stable with paging), and the CSV,
//! FlatGeobuf and GeoJSON-sequence formats by `f=` and by `Accept`, with `properties=` and
//! `skipGeometry=true`, read back by real clients (GDAL's `ogr2ogr`, Python's `csv`).
#![allow(clippy::unwrap_used)]

mod common;
use common::feature_ids as ids;
use common::{assert_problem, get, get_with};
use serde_json::Value;
use std::process::Command;

#[tokio::test]
async fn counties_sort_by_area_then_name_and_page_stably() {
    let atlas = common::atlas();
    let mut areas: Vec<(f64, String)> = atlas
        .admin_units(cluster_atlas::model::AdminLevel::County)
        .iter()
        .map(|u| (u.area_km2, u.code.to_string()))
        .collect();
    areas.sort_by(|a, b| b.0.total_cmp(&a.0));
    let r = get("/collections/counties/items?sortby=-area_km2&limit=5&properties=area_km2&skipGeometry=true").await;
    assert_eq!(r.status, 200);
    let want: Vec<String> = areas.iter().take(5).map(|(_, c)| c.clone()).collect();
    assert_eq!(ids(&r.json), want, "the five largest counties, largest first");
    assert!(r.json["features"][0]["geometry"].is_null());
    // Ascending by name then code, two pages of 40 = one page of 80.
    let one = get("/collections/counties/items?sortby=%2Bname_zh,code&limit=80&skipGeometry=true").await;
    let a = get("/collections/counties/items?sortby=name_zh,code&limit=40&skipGeometry=true").await;
    let b = get("/collections/counties/items?sortby=name_zh,code&limit=40&offset=40&skipGeometry=true").await;
    let joined: Vec<String> = ids(&a.json).into_iter().chain(ids(&b.json)).collect();
    assert_eq!(joined, ids(&one.json));
    let names: Vec<&str> = one.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name_zh"].as_str().unwrap())
        .collect();
    assert!(names.windows(2).all(|w| w[0].as_bytes() <= w[1].as_bytes()), "{names:?}");
    // A `+` left unescaped arrives as a space and still means ascending.
    let plus = get("/collections/counties/items?sortby=+name_zh,code&limit=80&skipGeometry=true").await;
    assert_eq!(ids(&plus.json), ids(&one.json));
}

#[tokio::test]
async fn clusters_sort_by_firms_with_the_unknown_last() {
    let r = get("/collections/clusters/items?sortby=-firms&limit=10000&skipGeometry=true&properties=firms").await;
    let firms: Vec<Option<f64>> = r.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["firms"].as_f64())
        .collect();
    let known = firms.iter().take_while(|f| f.is_some()).count();
    assert!(known >= 3, "some clusters state their firms");
    assert!(firms[known..].iter().all(Option::is_none), "features without firms come last");
    assert!(firms[..known].windows(2).all(|w| w[0] >= w[1]), "largest first");
    let max = common::atlas()
        .point_layer("clusters")
        .unwrap()
        .features()
        .iter()
        .filter_map(|f| f.properties["firms"].as_f64())
        .fold(0.0, f64::max);
    assert_eq!(firms[0], Some(max));
}

#[tokio::test]
async fn sorting_by_what_is_not_a_queryable_is_a_400_naming_it() {
    for q in ["sortby=-nope", "sortby=name_zh,,code", "sortby=-", "sortby=geometry"] {
        let r = get(&format!("/collections/counties/items?{q}")).await;
        assert_problem(&r, 400, Some("sortby"));
    }
    let r = get("/collections/counties/items?sortby=-nope").await;
    assert!(r.json["detail"].as_str().unwrap().contains("'nope'"), "{}", r.json);
}

/// A CSV answer's text without its byte-order mark.
fn csv_text(bytes: &[u8]) -> &str {
    let text = std::str::from_utf8(bytes).unwrap();
    text.strip_prefix('\u{feff}').expect("CSV starts with a UTF-8 byte-order mark")
}

#[tokio::test]
async fn csv_by_f_and_by_accept_with_chosen_properties() {
    let r = get("/collections/clusters/items?industry=foundry&f=csv&properties=name_zh,firms").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    let text = csv_text(&r.bytes);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,name_zh,firms,lon,lat"));
    let json = get("/collections/clusters/items?industry=foundry&limit=10000").await;
    assert_eq!(text.lines().count() - 1, json.json["numberReturned"].as_u64().unwrap() as usize);
    assert!(
        text.contains("botou-casting,泊头铸造产业集群,568,"),
        "{}",
        &text[..text.len().min(600)]
    );
    let by_accept = get_with(
        "/collections/clusters/items?industry=foundry&properties=name_zh,firms",
        &[("accept", "text/csv")],
    )
    .await;
    assert_eq!(by_accept.bytes, r.bytes);
    let bare = get("/collections/clusters/items?industry=foundry&f=csv&skipGeometry=true&properties=firms").await;
    assert_eq!(csv_text(&bare.bytes).lines().next(), Some("id,firms"));
    let counties = get("/collections/counties/items?limit=2&f=csv&properties=code").await;
    let header = csv_text(&counties.bytes).lines().next().unwrap().to_owned();
    assert_eq!(header, "id,code,wkt");
    assert!(csv_text(&counties.bytes).contains("MULTIPOLYGON"));
}

#[tokio::test]
async fn geojson_sequences_are_one_feature_per_record() {
    let r = get("/collections/clusters/items?industry=foundry&f=geojsonseq").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/geo+json-seq");
    let text = std::str::from_utf8(&r.bytes).unwrap();
    let records: Vec<&str> = text.split('\u{1e}').skip(1).collect();
    assert!(text.starts_with('\u{1e}') && text.ends_with('\n'));
    let json = get("/collections/clusters/items?industry=foundry").await;
    assert_eq!(records.len(), json.json["numberReturned"].as_u64().unwrap() as usize);
    let parsed: Vec<Value> = records.iter().map(|r| serde_json::from_str(r.trim_end()).unwrap()).collect();
    assert_eq!(
        parsed.iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>(),
        ids(&json.json)
    );
    assert!(parsed.iter().all(|f| f["type"] == "Feature" && f["geometry"]["type"] == "Point"));
    let accept = get_with(
        "/collections/clusters/items?industry=foundry",
        &[("accept", "application/geo+json-seq")],
    )
    .await;
    assert_eq!(accept.content_type(), "application/geo+json-seq");
}

#[tokio::test]
async fn every_format_is_linked_and_unknown_ones_are_refused() {
    let r = get("/collections/clusters/items?limit=2").await;
    let types: Vec<&str> = r.json["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    for t in [
        "text/csv; charset=utf-8",
        "application/flatgeobuf",
        "application/geo+json-seq",
        "text/html",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let c = get("/collections/clusters").await;
    let item_types: Vec<&str> = c.json["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rel"] == "items")
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert!(item_types.contains(&"application/flatgeobuf"), "{item_types:?}");
    assert_problem(&get("/collections/clusters/items?f=shp").await, 400, Some("f"));
    // Only items pages come in the download formats.
    assert_problem(&get("/collections/clusters?f=csv").await, 400, Some("f"));
}

/// Runs a command, returning its stdout (failing with its stderr).
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn gdal_and_python_read_the_downloads() {
    let server = common::server::start();
    let dir = tempfile::tempdir().unwrap();
    let fetch = |path: &str| {
        let mut r = common::server::agent().get(format!("{}{path}", server.base)).call().unwrap();
        r.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap()
    };
    let json: Value = serde_json::from_slice(&fetch("/collections/clusters/items?industry=foundry")).unwrap();
    let want = ids(&json);

    // FlatGeobuf: GDAL reads every feature, its fields and its point back.
    let fgb = dir.path().join("foundry.fgb");
    std::fs::write(&fgb, fetch("/collections/clusters/items?industry=foundry&f=fgb")).unwrap();
    let back = run(Command::new("ogr2ogr").args(["-f", "GeoJSON", "/vsistdout/"]).arg(&fgb));
    let back: Value = serde_json::from_str(&back).unwrap();
    let got: Vec<String> = back["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, want);
    let botou = back["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "botou-casting")
        .unwrap();
    assert_eq!(botou["properties"]["firms"], 568.0);
    assert_eq!(botou["properties"]["name_zh"], "泊头铸造产业集群");
    let xy = &botou["geometry"]["coordinates"];
    let want_xy = &json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "botou-casting")
        .unwrap()["geometry"]["coordinates"];
    assert!(
        (xy[0].as_f64().unwrap() - want_xy[0].as_f64().unwrap()).abs() < 1e-6,
        "{xy} vs {want_xy}"
    );
    let info = run(Command::new("ogrinfo").args(["-ro", "-so", "-al"]).arg(&fgb));
    assert!(info.contains(&format!("Feature Count: {}", want.len())), "{info}");
    assert!(
        info.contains("Geometry: Point") && info.contains("EPSG") && info.contains("4326"),
        "{info}"
    );
    // Without geometry, a table.
    let bare = dir.path().join("bare.fgb");
    std::fs::write(
        &bare,
        fetch("/collections/clusters/items?industry=foundry&f=fgb&skipGeometry=true&properties=firms"),
    )
    .unwrap();
    let info = run(Command::new("ogrinfo").args(["-ro", "-so", "-al"]).arg(&bare));
    assert!(
        info.contains(&format!("Feature Count: {}", want.len())) && info.contains("firms"),
        "{info}"
    );
    // Counties as FlatGeobuf polygons in Web Mercator.
    let poly = dir.path().join("counties.fgb");
    std::fs::write(
        &poly,
        fetch("/collections/counties/items?limit=3&f=fgb&crs=http://www.opengis.net/def/crs/EPSG/0/3857"),
    )
    .unwrap();
    let info = run(Command::new("ogrinfo").args(["-ro", "-so", "-al"]).arg(&poly));
    assert!(
        info.contains("Feature Count: 3") && info.contains("Multi Polygon") && info.contains("3857"),
        "{info}"
    );

    // CSV: GDAL with the lon/lat columns, Python's csv module with the BOM.
    let csv = dir.path().join("foundry.csv");
    std::fs::write(&csv, fetch("/collections/clusters/items?industry=foundry&f=csv")).unwrap();
    let info = run(Command::new("ogrinfo")
        .args([
            "-ro",
            "-al",
            "-oo",
            "X_POSSIBLE_NAMES=lon",
            "-oo",
            "Y_POSSIBLE_NAMES=lat",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
        ])
        .arg(&csv)
        .args(["-where", "id = 'botou-casting'"]));
    assert!(info.contains("POINT (116.") && info.contains("泊头铸造产业集群"), "{info}");
    let py = "import csv, json, sys\nrows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8-sig', newline='')))\n\
print(json.dumps([[r['id'], r['name_zh'], r['firms']] for r in rows], ensure_ascii=False))";
    let rows: Value = serde_json::from_str(&run(Command::new("python3").args(["-c", py]).arg(&csv))).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r[0].as_str().unwrap().to_owned()).collect::<Vec<_>>(), want);
    assert!(
        rows.iter()
            .any(|r| r[0] == "botou-casting" && r[1] == "泊头铸造产业集群" && r[2] == "568")
    );
    let counties = dir.path().join("counties.csv");
    std::fs::write(&counties, fetch("/collections/counties/items?limit=3&f=csv")).unwrap();
    let info = run(Command::new("ogrinfo")
        .args(["-ro", "-al", "-oo", "GEOM_POSSIBLE_NAMES=wkt"])
        .arg(&counties));
    // Each feature's geometry, read from the wkt column (the column is printed too).
    let geometries = info.lines().filter(|l| l.trim_start().starts_with("MULTIPOLYGON (((")).count();
    assert!(info.contains("Feature Count: 3") && geometries == 3, "{geometries} geometries");
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_defused() {
    let data = common::server::data_folder();
    let input = data.path().join("sites.csv");
    std::fs::write(&input, "name_zh,note,lon,lat\n工厂,\"=HYPERLINK(\"\"http://x\"\")\",116.40,38.00\n").unwrap();
    common::server::import(data.path(), &input, "sites");
    let server = common::server::start_with(data.path(), &[], std::process::Stdio::null());
    let mut r = common::server::agent()
        .get(format!("{}/collections/sites/items?f=csv", server.base))
        .call()
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
}
