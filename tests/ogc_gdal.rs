//! Real GIS clients against the real binary: GDAL's OGC API – Features driver (`OAPIF`)
//! lists, describes and copies the collections. Needs `ogrinfo`/`ogr2ogr` (Debian
//! `gdal-bin`, installed by `scripts/setup --test`).
#![allow(clippy::unwrap_used)]

mod common;
use common::server::start;
use std::process::Command;

/// Runs a GDAL tool and returns its stdout; fails the test with stderr if it fails.
fn gdal(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} ({e}); install gdal-bin (scripts/setup --test)"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn feature_count(ogrinfo_so: &str) -> usize {
    let line = ogrinfo_so
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no count in {ogrinfo_so}"));
    line.trim().parse().unwrap()
}

#[test]
fn ogrinfo_lists_the_four_collections_and_describes_counties() {
    let s = start();
    let ds = format!("OAPIF:{}", s.base);
    let list = gdal("ogrinfo", &["-ro", "-q", &ds]);
    for layer in ["clusters", "counties", "prefectures", "provinces"] {
        assert!(
            list.lines().any(|l| l.split_whitespace().nth(1) == Some(layer)),
            "{layer} missing from:\n{list}"
        );
    }
    assert!(
        list.contains("counties (title: Counties") && list.contains("(Multi Polygon)"),
        "{list}"
    );

    let info = gdal("ogrinfo", &["-ro", "-so", &ds, "counties"]);
    assert_eq!(feature_count(&info), 2875);
    for field in [
        "code: String",
        "name_zh: String",
        "name_pinyin: String",
        "province_code: String",
        "prefecture_code: String",
        "area_km2: Real",
    ] {
        assert!(info.contains(field), "no field '{field}' in:\n{info}");
    }
    assert!(info.contains("Geometry: Multi Polygon"), "{info}");
    let clusters = gdal("ogrinfo", &["-ro", "-so", &ds, "clusters"]);
    let atlas = cluster_atlas::load::load_dir(&common::geodata_dir()).unwrap();
    assert_eq!(feature_count(&clusters), atlas.point_layer("clusters").unwrap().features().len());
    assert!(clusters.contains("industry: String"), "{clusters}");
}

#[test]
fn ogr2ogr_copies_every_county_into_a_geopackage() {
    let s = start();
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("counties.gpkg");
    let gpkg = gpkg.to_str().unwrap();
    gdal("ogr2ogr", &["-f", "GPKG", gpkg, &format!("OAPIF:{}", s.base), "counties"]);
    let info = gdal("ogrinfo", &["-ro", "-so", gpkg, "counties"]);
    assert_eq!(feature_count(&info), 2875);
    // The copy's extent is the atlas's: whole geometries, nothing clipped or simplified away.
    let extent = info.lines().find_map(|l| l.strip_prefix("Extent: ")).unwrap();
    assert!(extent.starts_with("(73.49") && extent.contains("- (135.08"), "{extent}");
    let botou = gdal(
        "ogrinfo",
        &["-ro", "-q", gpkg, "-sql", "SELECT name_zh FROM counties WHERE code = '130981'"],
    );
    assert!(botou.contains("泊头市"), "{botou}");
}

#[test]
fn ogr2ogr_downloads_only_the_foundry_clusters() {
    let s = start();
    let atlas = cluster_atlas::load::load_dir(&common::geodata_dir()).unwrap();
    let want = atlas
        .point_layer("clusters")
        .unwrap()
        .features()
        .iter()
        .filter(|f| f.has_industry("foundry"))
        .count();
    assert!(want > 0);
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("foundry.gpkg");
    let gpkg = gpkg.to_str().unwrap();
    let ds = format!("OAPIF:{}", s.base);
    gdal("ogr2ogr", &["-f", "GPKG", gpkg, &ds, "clusters", "-where", "industry = 'foundry'"]);
    let info = gdal("ogrinfo", &["-ro", "-so", gpkg, "clusters"]);
    assert_eq!(feature_count(&info), want);
    let other = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            gpkg,
            "-sql",
            "SELECT COUNT(*) AS n FROM clusters WHERE industries NOT LIKE '%foundry%'",
        ],
    );
    // `industry=foundry` matches every feature carrying the tag among its `industries`.
    assert!(other.contains("n (Integer) = 0"), "{other}");
}
