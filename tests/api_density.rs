//! `/density`, `/density.csv` and `/density/h3`: hand-computed figures on a small fixture
//! atlas, and the real committed geodata (泊头市 foundry count, sums, CSV, sizes, GDAL).
#![allow(clippy::unwrap_used)]

mod common;

use cluster_atlas::atlas::{Atlas, PointLayer};
use cluster_atlas::model::{AdminCode, AdminLevel, AdminUnit, PlaceFeature, Precision};
use common::{Reply, assert_problem, atlas, get};
use geo::{MultiPolygon, Point, polygon};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Fixture: province 110000 → prefecture 110100 → counties 110101 (1,000 km²),
// 110102 (4,000 km²), 110103 (5,000 km², empty). Features: foundry ×3 in 110101, foundry ×1
// and textiles ×3 in 110102, foundry ×1 prefecture-only (no county).

fn code(c: u32) -> AdminCode {
    AdminCode::new(c).unwrap()
}

fn unit(c: u32, level: AdminLevel, area_km2: f64, x: f64) -> AdminUnit {
    AdminUnit {
        code: code(c),
        name_zh: format!("单元{c}"),
        name_pinyin: format!("Unit{c}"),
        level,
        province_code: code(110_000),
        province_name_zh: "北京市".into(),
        prefecture_code: (level != AdminLevel::Province).then(|| code(110_100)),
        prefecture_name_zh: (level != AdminLevel::Province).then(|| "市辖区".into()),
        area_km2,
        representative_point: Point::new(x + 0.5, 0.5),
        geometry: MultiPolygon::new(vec![
            polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)],
        ]),
    }
}

fn feature(id: &str, industry: &str, county: Option<u32>) -> PlaceFeature {
    PlaceFeature {
        id: id.into(),
        point: Point::new(0.5, 0.5),
        name_zh: id.into(),
        name_en: None,
        kind: Some("cluster".into()),
        industries: vec![industry.into()],
        time: None,
        county_code: county.map(code),
        prefecture_code: Some(code(110_100)),
        province_code: Some(code(110_000)),
        precision: if county.is_some() {
            Precision::County
        } else {
            Precision::Prefecture
        },
        properties: serde_json::Map::new(),
    }
}

fn fixture() -> Atlas {
    let mut features = vec![];
    for i in 0..3 {
        features.push(feature(&format!("f{i}"), "foundry", Some(110_101)));
        features.push(feature(&format!("t{i}"), "textiles", Some(110_102)));
    }
    features.push(feature("f3", "foundry", Some(110_102)));
    features.push(feature("f4", "foundry", None));
    Atlas::builder()
        .admin_units(AdminLevel::Province, vec![unit(110_000, AdminLevel::Province, 10_000.0, 0.0)])
        .admin_units(AdminLevel::Prefecture, vec![unit(110_100, AdminLevel::Prefecture, 10_000.0, 0.0)])
        .admin_units(
            AdminLevel::County,
            vec![
                unit(110_101, AdminLevel::County, 1_000.0, 0.0),
                unit(110_102, AdminLevel::County, 4_000.0, 1.0),
                unit(110_103, AdminLevel::County, 5_000.0, 2.0),
            ],
        )
        .point_layer(PointLayer::new("clusters", "Clusters", features))
        .build()
}

async fn fixture_get(uri: &str) -> Reply {
    common::get_on(fixture(), uri).await
}

/// `code → (count, value, class)` of a `/density` reply.
fn by_code(r: &Reply) -> std::collections::BTreeMap<String, (u64, Value, Value)> {
    r.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["code"].as_str().unwrap().to_owned(),
                (p["count"].as_u64().unwrap(), p["value"].clone(), p["class"].clone()),
            )
        })
        .collect()
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-9)
}

#[tokio::test]
async fn fixture_lq_is_hand_computed() {
    // National: 5 foundry of 8 features. 110101: 3/3 ÷ 5/8 = 1.6; 110102: 1/4 ÷ 5/8 = 0.4;
    // 110103 has no features → null.
    let r = fixture_get("/density?level=county&industry=foundry&measure=lq&all=true&geometry=false").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!((r.json["total"].as_u64(), r.json["unassigned"].as_u64()), (Some(5), Some(1)));
    assert_eq!(r.json["base_total"], 8);
    assert_eq!(r.json["measure"], "lq");
    assert!(r.json["definition"].as_str().unwrap().contains("Location quotient"));
    assert_eq!(r.json["filters"]["industry"], "foundry");
    let m = by_code(&r);
    assert!(close(&m["110101"].1, 1.6), "{m:?}");
    assert!(close(&m["110102"].1, 0.4), "{m:?}");
    assert_eq!(m["110103"].1, Value::Null);
    assert!(r.json["features"][0]["geometry"].is_null());
}

#[tokio::test]
async fn fixture_per_area_share_and_default_filtering() {
    // 3 / 1,000 km² × 10,000 = 30; 1 / 4,000 km² × 10,000 = 2.5; the empty county is left out.
    let r = fixture_get("/density?level=county&industry=foundry&measure=per_10k_km2").await;
    let m = by_code(&r);
    assert_eq!(m.keys().collect::<Vec<_>>(), ["110101", "110102"]);
    assert!(close(&m["110101"].1, 30.0) && close(&m["110102"].1, 2.5), "{m:?}");
    // Shares of all 5 matching features: 3/5 and 1/5 (the prefecture-only one has no county).
    let m = by_code(&fixture_get("/density?industry=foundry&measure=share").await);
    assert!(close(&m["110101"].1, 0.6) && close(&m["110102"].1, 0.2), "{m:?}");
    // At prefecture level every feature has a unit: 5 of 5, nothing unassigned.
    let r = fixture_get("/density?level=prefecture&industry=foundry").await;
    assert_eq!((r.json["assigned"].as_u64(), r.json["unassigned"].as_u64()), (Some(5), Some(0)));
    assert_eq!(by_code(&r)["110100"].0, 5);
}

#[tokio::test]
async fn fixture_class_breaks() {
    // Counts of the non-empty counties are 3 and 1 (the empty one is excluded from the breaks):
    // equal interval, 2 classes → [1, 2, 3]; 110102 (1) in class 0, 110101 (3) in class 1.
    let r = fixture_get("/density?industry=foundry&method=equal&classes=2&all=true").await;
    assert_eq!(r.json["breaks"], serde_json::json!([1.0, 2.0, 3.0]));
    assert_eq!(r.json["classes"], 2);
    let m = by_code(&r);
    assert_eq!(
        (&m["110101"].2, &m["110102"].2, &m["110103"].2),
        (&Value::from(1), &Value::from(0), &Value::Null)
    );
    // Jenks on two values and 5 classes gives the two values as classes.
    let r = fixture_get("/density?industry=foundry&method=jenks&classes=5").await;
    assert_eq!(r.json["breaks"], serde_json::json!([1.0, 1.0, 3.0]));
    assert_eq!(r.json["method"], "jenks");
}

#[tokio::test]
async fn fixture_geometry_modes() {
    let full = fixture_get("/density?industry=foundry&geometry=true").await;
    let ring = &full.json["features"][0]["geometry"]["coordinates"][0][0];
    assert_eq!(ring.as_array().unwrap().len(), 5);
    let simplified = fixture_get("/density?industry=foundry").await;
    assert_eq!(simplified.json["features"][0]["geometry"]["type"], "MultiPolygon");
}

// ---------------------------------------------------------------------------------------
// Real geodata.

/// Features of the default layers passing `industry`.
fn matching(industry: &str) -> Vec<PlaceFeature> {
    atlas()
        .point_layers()
        .iter()
        .flat_map(|l| l.features())
        .filter(|f| f.has_industry(industry))
        .map(|f| PlaceFeature::clone(f))
        .collect()
}

#[tokio::test]
async fn botou_foundry_count_matches_the_layer() {
    let r = get("/density?level=county&industry=foundry&measure=count&geometry=false").await;
    assert_eq!(r.status, 200, "{}", r.json);
    let botou = code(130_981);
    let expected = matching("foundry").iter().filter(|f| f.county_code == Some(botou)).count();
    assert!(expected >= 1, "the layer has a foundry cluster in 泊头市");
    let f = r.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == "130981")
        .expect("泊头市 is listed");
    assert_eq!(f["properties"]["name_zh"], "泊头市");
    assert_eq!(f["properties"]["count"].as_u64(), Some(expected as u64));
    assert_eq!(f["properties"]["value"].as_f64(), Some(expected as f64));
}

#[tokio::test]
async fn counts_add_up_at_every_level() {
    let foundry = matching("foundry");
    let a = atlas();
    for level in AdminLevel::ALL {
        let r = get(&format!("/density?level={level}&industry=foundry&geometry=false")).await;
        let sum: u64 = r.json["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_u64().unwrap())
            .sum();
        // Features with no code at this level, counted independently of the analysis.
        let without = foundry
            .iter()
            .filter(|f| match level {
                AdminLevel::County => f.county_code.is_none_or(|c| a.admin_by_code(level, c).is_none()),
                AdminLevel::Prefecture => f.prefecture_code.is_none_or(|c| a.admin_by_code(level, c).is_none()),
                AdminLevel::Province => f.province_code.is_none_or(|c| a.admin_by_code(level, c).is_none()),
            })
            .count() as u64;
        assert_eq!(r.json["total"].as_u64(), Some(foundry.len() as u64), "{level}");
        assert_eq!(r.json["unassigned"].as_u64(), Some(without), "{level}");
        assert_eq!(sum + without, foundry.len() as u64, "{level}");
        if level == AdminLevel::Province {
            assert_eq!(sum, foundry.len() as u64, "every foundry feature has a province");
        }
    }
}

#[tokio::test]
async fn csv_has_bom_and_chinese_names() {
    let r = get("/density.csv?level=county&industry=foundry&measure=lq").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    assert_eq!(&r.bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&r.bytes[3..]).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("code,name_zh,name_pinyin,level,province_code,prefecture_code,area_km2,count,base_count,value,class")
    );
    let botou = lines.find(|l| l.starts_with("130981,")).expect("泊头市 row");
    assert!(botou.starts_with("130981,泊头市,Botou,county,130000,130900,"), "{botou}");
}

#[tokio::test]
async fn simplified_counties_fit_a_browser() {
    let r = get("/density?level=county&all=true&geometry=simplified").await;
    assert_eq!(r.status, 200);
    let features = r.json["features"].as_array().unwrap();
    assert_eq!(features.len(), atlas().admin_units(AdminLevel::County).len());
    assert!(features.iter().all(|f| f["geometry"]["type"] == "MultiPolygon"));
    eprintln!("all counties, simplified: {} bytes", r.bytes.len());
    assert!(r.bytes.len() < 5_000_000, "{} bytes", r.bytes.len());
}

#[tokio::test]
async fn hexagons_hold_every_matching_feature_and_gdal_reads_them() {
    let r = get("/density/h3?resolution=4&industry=foundry").await;
    assert_eq!(r.status, 200, "{}", r.json);
    let features = r.json["features"].as_array().unwrap();
    let sum: u64 = features.iter().map(|f| f["properties"]["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, matching("foundry").len() as u64);
    for f in features {
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 7, "{f}");
        assert_eq!(ring.first(), ring.last());
        assert_eq!(f["properties"]["resolution"], 4);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h3.geojson");
    std::fs::write(&path, &r.bytes).unwrap();
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Geometry: Polygon"), "{text}");
    assert!(text.contains(&format!("Feature Count: {}", features.len())), "{text}");
}

#[tokio::test]
async fn bad_parameters_are_named() {
    for (uri, param) in [
        ("/density?level=city", "level"),
        ("/density?measure=density", "measure"),
        ("/density?method=natural", "method"),
        ("/density?classes=1", "classes"),
        ("/density?classes=13", "classes"),
        ("/density?classes=five", "classes"),
        ("/density?geometry=maybe", "geometry"),
        ("/density?all=yes", "all"),
        ("/density?industri=foundry", "industri"),
        ("/density.csv?measure=x", "measure"),
        ("/density.csv?classes=0", "classes"),
        ("/density/h3", "resolution"),
        ("/density/h3?resolution=1", "resolution"),
        ("/density/h3?resolution=9", "resolution"),
        ("/density/h3?resolution=x", "resolution"),
        ("/density/h3?resolution=5&level=county", "level"),
    ] {
        let r = get(uri).await;
        assert_problem(&r, 400, Some(param));
    }
}

#[test]
fn cli_prints_a_ranked_table() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["density", "--level", "county", "--industry", "foundry", "--measure", "lq", "--data"])
        .arg(common::geodata_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let foundry = matching("foundry");
    let counties: std::collections::BTreeSet<_> = foundry.iter().filter_map(|f| f.county_code).collect();
    let rows: Vec<&str> = text.lines().skip(2).collect();
    assert_eq!(rows.len(), counties.len(), "{text}");
    assert!(rows[0].trim_start().starts_with("1  "), "{text}");
    assert!(
        rows.iter()
            .any(|r| r.contains("130981") && r.contains("泊头市") && r.contains("Botou")),
        "{text}"
    );
    assert!(
        text.starts_with(&format!("# lq by county: {} matching features", foundry.len())),
        "{text}"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .args(["density", "--measure", "bogus"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown measure 'bogus'"));
}
