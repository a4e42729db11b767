//! `cluster-atlas import`: runs the real binary on a temporary data folder holding links to
//! the committed admin layers.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use cluster_atlas::crs::{Datum, convert};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn geodata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// A temp data folder with the three admin layers (symlinked, read-only use).
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["provinces.fgb", "prefectures.fgb", "counties.fgb"] {
        std::os::unix::fs::symlink(geodata().join(f), dir.path().join(f)).unwrap();
    }
    dir
}

struct Run {
    ok: bool,
    code: i32,
    stdout: String,
    stderr: String,
}

fn import(data: &Path, file: &Path, layer: &str, extra: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .arg("import")
        .arg(file)
        .args(["--layer", layer, "--data"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    Run {
        ok: out.status.success(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes an input file under `<dir>/in/` (kept apart from the layers `load_dir` reads).
fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir.join("in")).unwrap();
    let p = dir.join("in").join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn layer(data: &Path, name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(data.join(format!("{name}.geojson"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["features"].as_array().unwrap().clone()
}

fn by_id<'a>(features: &'a [Value], id: &str) -> &'a Value {
    features.iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no feature {id}"))
}

// Tiananmen (东城区 110101) and Botou city centre (泊头市 130981), WGS84.
const TIANANMEN: (f64, f64) = (116.3975, 39.9087);
const BOTOU: (f64, f64) = (116.5784, 38.0739);

#[test]
fn good_csv_is_imported_and_served() {
    let data = data_dir();
    let csv = format!(
        "id,name_zh,lon,lat,staff,note\r\na,天安门,{},{},12,x\r\nb,泊头,{},{},,007\r\n",
        TIANANMEN.0, TIANANMEN.1, BOTOU.0, BOTOU.1
    );
    let file = write(data.path(), "mine.csv", csv.as_bytes());
    let r = import(data.path(), &file, "mine", &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("2 feature(s) imported"), "{}", r.stdout);
    let f = layer(data.path(), "mine");
    let a = by_id(&f, "a");
    assert_eq!(a["properties"]["county_code"], "110101");
    assert_eq!(a["properties"]["precision"], "exact");
    assert_eq!(a["properties"]["staff"], 12);
    assert_eq!(a["geometry"]["coordinates"][0].as_f64(), Some(TIANANMEN.0));
    let b = by_id(&f, "b");
    assert_eq!(b["properties"]["county_code"], "130981");
    assert!(b["properties"]["staff"].is_null());
    assert_eq!(b["properties"]["note"], "007");
    // `serve` loads every layer of its data folder.
    let atlas = cluster_atlas::load::load_dir(data.path()).unwrap();
    assert_eq!(atlas.point_layer("mine").unwrap().features().len(), 2);
}

#[test]
fn gcj02_coordinates_are_converted_to_wgs84() {
    let data = data_dir();
    let (gx, gy) = convert(Datum::Wgs84, Datum::Gcj02, BOTOU);
    let csv = format!("id,name_zh,lng,lat\nbotou,泊头,{gx},{gy}\n");
    let file = write(data.path(), "gcj.csv", csv.as_bytes());
    let r = import(data.path(), &file, "gcj", &["--crs", "gcj02"]);
    assert!(r.ok, "{}", r.stderr);
    let f = layer(data.path(), "gcj");
    let p = &f[0];
    let (x, y) = (
        p["geometry"]["coordinates"][0].as_f64().unwrap(),
        p["geometry"]["coordinates"][1].as_f64().unwrap(),
    );
    assert!((x - BOTOU.0).abs() < 1e-6 && (y - BOTOU.1).abs() < 1e-6, "{x},{y}");
    assert!((gx - BOTOU.0).abs() > 1e-3, "GCJ-02 differs from WGS84 by hundreds of metres");
    assert_eq!(p["properties"]["county_code"], "130981");
    assert_eq!(p["properties"]["source_crs"], "gcj02");
}

#[test]
fn bd09_geojson_is_converted_and_wgs84_input_is_not() {
    let data = data_dir();
    let (bx, by) = convert(Datum::Wgs84, Datum::Bd09, TIANANMEN);
    let gj = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"t","geometry":{{"type":"Point","coordinates":[{bx},{by}]}},"properties":{{"name":"天安门"}}}}]}}"#
    );
    let file = write(data.path(), "bd.geojson", gj.as_bytes());
    assert!(import(data.path(), &file, "bd", &["--crs", "bd09"]).ok);
    let c = &layer(data.path(), "bd")[0]["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - TIANANMEN.0).abs() < 1e-6 && (c[1].as_f64().unwrap() - TIANANMEN.1).abs() < 1e-6);
    // The same file read as WGS84 keeps the BD-09 numbers, about a kilometre away.
    assert!(import(data.path(), &file, "bd", &[]).ok);
    let c = &layer(data.path(), "bd")[0]["geometry"]["coordinates"];
    assert_eq!((c[0].as_f64(), c[1].as_f64()), (Some(bx), Some(by)));
    assert!((bx - TIANANMEN.0).abs() > 0.005);
}

#[test]
fn county_code_or_name_only_rows_get_the_county_point() {
    let data = data_dir();
    let csv = "id,name_zh,county_code,county_zh,prefecture_zh\nc1,甲,130981,,\nc2,乙,,泊头市,\nc3,丙,,市中区,济南市\n";
    let file = write(data.path(), "county.csv", csv.as_bytes());
    let r = import(data.path(), &file, "by-county", &[]);
    assert!(r.ok, "{}", r.stderr);
    let f = layer(data.path(), "by-county");
    let atlas = cluster_atlas::load::load_dir(data.path()).unwrap();
    let botou = atlas
        .admin_by_code(cluster_atlas::model::AdminLevel::County, "130981".parse().unwrap())
        .unwrap();
    for id in ["c1", "c2"] {
        let p = by_id(&f, id);
        assert_eq!(p["properties"]["precision"], "county");
        assert_eq!(p["properties"]["county_code"], "130981");
        assert_eq!(p["geometry"]["coordinates"][0].as_f64(), Some(botou.representative_point.x()));
    }
    assert_eq!(by_id(&f, "c3")["properties"]["county_code"], "370103");
}

#[test]
fn gbk_encoded_csv_is_decoded() {
    let data = data_dir();
    let text = format!("id,name_zh,lon,lat\ng1,泊头铸造,{},{}\n", BOTOU.0, BOTOU.1);
    let (bytes, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad && std::str::from_utf8(&bytes).is_err(), "really GBK bytes");
    let file = write(data.path(), "gbk.csv", &bytes);
    let r = import(data.path(), &file, "gbk", &[]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(layer(data.path(), "gbk")[0]["properties"]["name_zh"], "泊头铸造");
}

#[test]
fn bad_file_is_rejected_precisely_and_leaves_the_layer_unchanged() {
    let data = data_dir();
    let good = format!("id,name_zh,lon,lat\na,甲,{},{}\n", BOTOU.0, BOTOU.1);
    let file = write(data.path(), "good.csv", good.as_bytes());
    assert!(import(data.path(), &file, "keep", &[]).ok);
    let before = std::fs::read(data.path().join("keep.geojson")).unwrap();
    let bad = format!(
        "id,name_zh,lon,lat,county_code\na,甲,{},{},\nb,乙,11x.5,39.9,\nc,丙,200,39.9,\na,丁,{},{},\nd,戊,,,999999\n",
        BOTOU.0, BOTOU.1, BOTOU.0, BOTOU.1
    );
    let file = write(data.path(), "bad.csv", bad.as_bytes());
    let r = import(data.path(), &file, "keep", &[]);
    assert!(!r.ok && r.code == 1, "{}", r.stderr);
    let p = file.display();
    for expected in [
        format!("{p}:3:3: column 'lon': '11x.5' is not a number"),
        format!("{p}:4:3: coordinate out of range: lon 200 is outside -180..180"),
        format!("{p}:5:1: duplicate id 'a' (first on line 2)"),
        format!("{p}:6:5: column 'county_code': unknown county code 999999"),
    ] {
        assert!(r.stderr.contains(&expected), "missing '{expected}' in:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("nothing imported"), "{}", r.stderr);
    assert_eq!(std::fs::read(data.path().join("keep.geojson")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    // --skip-invalid imports the one valid row and reports the four others.
    let r = import(data.path(), &file, "keep", &["--skip-invalid"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("1 feature(s) imported into layer 'keep', 4 skipped"),
        "{}",
        r.stdout
    );
    assert_eq!(layer(data.path(), "keep").len(), 1);
}

#[test]
fn undecodable_bytes_are_reported_with_line_and_column() {
    let data = data_dir();
    let mut bytes = b"id,name_zh,lon,lat\na,ok,116.5,38.0\nb,x".to_vec();
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(b",116.5,38.0\n");
    let file = write(data.path(), "binary.csv", &bytes);
    let r = import(data.path(), &file, "bin", &[]);
    assert!(!r.ok);
    let expected = format!("{}:3:4: invalid text", file.display());
    assert!(r.stderr.contains(&expected), "{}", r.stderr);
    assert!(!data.path().join("bin.geojson").exists());
}

#[test]
fn geojson_points_are_imported_and_checked() {
    let data = data_dir();
    let gj = format!(
        r#"{{"type":"FeatureCollection","features":[
{{"type":"Feature","id":"t","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"name":"天安门","rank":1}}}},
{{"type":"Feature","id":"b","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"name_zh":"泊头"}}}}
]}}"#,
        TIANANMEN.0, TIANANMEN.1, BOTOU.0, BOTOU.1
    );
    let file = write(data.path(), "pts.geojson", gj.as_bytes());
    let r = import(data.path(), &file, "pts", &[]);
    assert!(r.ok, "{}", r.stderr);
    let f = layer(data.path(), "pts");
    assert_eq!(by_id(&f, "t")["properties"]["county_code"], "110101");
    assert_eq!(by_id(&f, "t")["properties"]["name_zh"], "天安门");
    assert_eq!(by_id(&f, "t")["properties"]["rank"], 1);
    assert_eq!(by_id(&f, "b")["properties"]["county_code"], "130981");

    let dup = gj.replace(r#""id":"b""#, r#""id":"t""#);
    let file = write(data.path(), "dup.geojson", dup.as_bytes());
    let r = import(data.path(), &file, "pts", &[]);
    assert!(!r.ok);
    let expected = format!("{}:3:1: feature 2: duplicate id 't' (first on line 2)", file.display());
    assert!(r.stderr.contains(&expected), "{}", r.stderr);

    let far = gj.replace(&format!("[{},{}]", BOTOU.0, BOTOU.1), "[116.5,95]");
    let file = write(data.path(), "far.geojson", far.as_bytes());
    let r = import(data.path(), &file, "pts", &[]);
    let expected = format!(
        "{}:3:1: feature 2: coordinate out of range: lat 95 is outside -90..90",
        file.display()
    );
    assert!(!r.ok && r.stderr.contains(&expected), "{}", r.stderr);
    assert_eq!(layer(data.path(), "pts").len(), 2, "previous layer kept");

    let broken = write(data.path(), "broken.geojson", b"{\"type\":\"FeatureCollection\",\n\"features\":[}");
    let r = import(data.path(), &broken, "pts", &[]);
    assert!(
        !r.ok && r.stderr.contains(&format!("{}:2:13: invalid GeoJSON", broken.display())),
        "{}",
        r.stderr
    );
}

#[test]
fn reserved_or_malformed_layer_names_are_refused() {
    let data = data_dir();
    let file = write(data.path(), "x.csv", b"id,name_zh,lon,lat\na,b,116.5,38.0\n");
    for name in ["clusters", "counties", "Bad Name", "../x", ""] {
        let r = import(data.path(), &file, name, &[]);
        assert!(!r.ok, "{name} accepted");
        assert!(r.stderr.contains("--layer"), "{name}: {}", r.stderr);
    }
    assert!(!data.path().join("clusters.geojson").exists());
}
