//! The default layer geodata/clusters.geojson: seed entities with their figures, codes
//! consistent with the atlas, the unresolved names, and reproducibility from the CSV.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use cluster_atlas::analysis::reverse_geocode;
use cluster_atlas::cli::build_clusters::{build_clusters, load_admin_atlas, load_gazetteer, read_catalogue};
use cluster_atlas::ingest::import::encode_layer;
use cluster_atlas::load::clusters_csv::read_clusters_csv;
use cluster_atlas::model::{AdminLevel, Precision};
use serde_json::Value;
use std::sync::OnceLock;

fn layer() -> &'static Value {
    static LAYER: OnceLock<Value> = OnceLock::new();
    LAYER.get_or_init(|| {
        let text = std::fs::read_to_string(common::geodata_dir().join("clusters.geojson")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

fn feature(id: &str) -> &'static Value {
    layer()["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from clusters.geojson"))
}

fn prop<'a>(f: &'a Value, key: &str) -> &'a Value {
    &f["properties"][key]
}

/// Entities the seed articles name: (id, county_code or null, prefecture_code, figures
/// from the seed as (property, value)). Figures checked against the seed texts:
/// 000 Botou "568 foundry enterprises", "28000"; Gaoyao "about 20,000 local employees";
/// 001 Liling "84 ceramic enterprises ... 11.89 billion yuan in 2019"; 002 Weifang
/// "500余家鑄造企業"; 003 Binzhou "more than 60 key aluminum deep-processing
/// enterprises"; 004 Zhuzhou rail "In 2016 ... 118.45 billion yuan".
#[expect(clippy::type_complexity, reason = "a literal test table")]
const SEED_ENTITIES: &[(&str, Option<&str>, &str, &[(&str, f64)])] = &[
    (
        "botou-casting",
        Some("130981"),
        "130900",
        &[("firms", 568.0), ("employees", 28000.0), ("stat_year", 2017.0)],
    ),
    ("gaoyao-die-casting", Some("441204"), "441200", &[("employees", 20000.0)]),
    ("jiahe-casting", Some("431024"), "431000", &[]),
    ("jiahe-casting-town", Some("431024"), "431000", &[]),
    ("liyang-casting", Some("320481"), "320400", &[]),
    ("liyang-zhuxu-green-casting-town", Some("320481"), "320400", &[]),
    ("ningguo-wear-resistant-casting", Some("341881"), "341800", &[]),
    ("weifang-casting", None, "370700", &[("firms", 500.0), ("stat_year", 2023.0)]),
    ("foshan-casting-historical", None, "440600", &[]),
    ("wuxi-casting-historical", None, "320200", &[]),
    ("zouping-aluminium-park", Some("371681"), "371600", &[]),
    ("binzhou-aluminium", None, "371600", &[("firms", 60.0), ("stat_year", 2019.0)]),
    ("liuyang-dayao-fireworks-town", Some("430181"), "430100", &[]),
    ("linxiang-buoy-town", Some("430682"), "430600", &[]),
    (
        "liling-ceramics-town",
        Some("430281"),
        "430200",
        &[("firms", 84.0), ("output_cny_100m", 118.9), ("stat_year", 2019.0)],
    ),
    ("changsha-edz", Some("430121"), "430100", &[]),
    ("xiangtan-edz", None, "430300", &[]),
    ("ningxiang-hitech-battery", Some("430182"), "430100", &[]),
    ("loudi-hitech-zone", None, "431300", &[]),
    ("zhuzhou-hitech-aero-engine-park", None, "430200", &[]),
    ("yueyang-petrochemical", None, "430600", &[]),
    ("loudi-steel-sheet", None, "431300", &[]),
    (
        "zhuzhou-rail-most",
        None,
        "430200",
        &[("output_cny_100m", 1184.5), ("stat_year", 2016.0), ("designation_year", 2013.0)],
    ),
    ("yangzhou-cnc-forming-tools", None, "321000", &[("designation_year", 2017.0)]),
    ("taizhou-js-biomedicine", None, "321200", &[("designation_year", 2017.0)]),
];

#[test]
fn seed_entities_are_present_with_their_figures_and_codes() {
    for (id, county, prefecture, figures) in SEED_ENTITIES {
        let f = feature(id);
        assert_eq!(prop(f, "prefecture_code"), prefecture, "{id} prefecture_code");
        match county {
            Some(c) => {
                assert_eq!(prop(f, "county_code"), c, "{id} county_code");
                let p = prop(f, "precision").as_str().unwrap();
                assert!(p == "county" || p == "town", "{id}: precision {p}");
            }
            None => {
                assert!(prop(f, "county_code").is_null(), "{id} county_code");
                assert_eq!(prop(f, "precision"), "prefecture", "{id} precision");
            }
        }
        for (key, value) in *figures {
            assert_eq!(prop(f, key).as_f64(), Some(*value), "{id} {key}");
        }
    }
}

#[test]
fn empty_csv_cells_are_null_and_numbers_are_json_numbers() {
    let f = feature("jiahe-casting");
    for key in ["firms", "employees", "output_cny_100m", "stat_year", "designation_year"] {
        assert!(prop(f, key).is_null(), "jiahe-casting {key}");
    }
    assert!(prop(feature("botou-casting"), "firms").is_i64());
    assert!(prop(feature("liling-ceramics-town"), "output_cny_100m").is_f64());
    assert_eq!(prop(feature("botou-casting"), "name_zh"), "泊头铸造产业集群");
    assert_eq!(prop(feature("botou-casting"), "kind"), "cluster");
}

#[test]
fn every_csv_column_and_the_placement_properties_are_present() {
    let mut expected: Vec<&str> = cluster_atlas::load::clusters_csv::COLUMNS.to_vec();
    expected.extend([
        "county_code",
        "prefecture_code",
        "province_code",
        "precision",
        "location_method",
        "county_codes",
        "prefecture_codes",
        "province_codes",
        "geonames_id",
        "geonames_name",
        "industries",
    ]);
    expected.extend(cluster_atlas::cli::build_clusters::CATALOGUE_KEYS);
    expected.sort_unstable();
    for f in layer()["features"].as_array().unwrap() {
        let mut keys: Vec<&str> = f["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, expected, "{}", f["id"]);
    }
}

#[test]
fn named_town_matches_the_gazetteer_inside_its_county() {
    // 竹箦镇 is in GeoNames (Zhuze) and lies in 溧阳市; 大瑶 is not in GeoNames.
    let zhuze = feature("liyang-zhuxu-green-casting-town");
    assert_eq!(prop(zhuze, "precision"), "town");
    assert_eq!(prop(zhuze, "location_method"), "geonames_town");
    assert_eq!(prop(zhuze, "geonames_name"), "Zhuze");
    let c = &zhuze["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - 119.32).abs() < 0.1 && (c[1].as_f64().unwrap() - 31.56).abs() < 0.1);
    let dayao = feature("liuyang-dayao-fireworks-town");
    assert_eq!(prop(dayao, "precision"), "county");
    assert_eq!(prop(dayao, "location_method"), "county_point");
}

#[test]
fn multi_unit_rows_keep_every_code_and_use_the_first_unit() {
    let f = feature("nt-tz-yz-shipbuilding-miit");
    assert_eq!(prop(f, "prefecture_codes"), &serde_json::json!(["320600", "321200", "321000"]));
    assert_eq!(prop(f, "prefecture_code"), "320600");
    assert_eq!(prop(f, "precision"), "prefecture");
    assert_eq!(prop(f, "location_method"), "first_listed_unit");
    let jjj = feature("jjj-ic-miit24");
    assert_eq!(prop(jjj, "province_codes"), &serde_json::json!(["110000", "120000", "130000"]));
    assert_eq!(prop(jjj, "precision"), "province");
}

#[test]
fn every_feature_is_consistent_with_the_atlas() {
    let atlas = common::atlas();
    let layer = atlas.point_layer("clusters").unwrap();
    assert_eq!(
        layer.features().len(),
        291 + 2_543 - 137,
        "curated rows (one pair merged) and the unmerged zones"
    );
    for f in layer.features() {
        let (lon, lat) = (f.point.x(), f.point.y());
        let expect_level = match f.precision {
            Precision::Town | Precision::County | Precision::Exact => AdminLevel::County,
            Precision::Prefecture => AdminLevel::Prefecture,
            Precision::Province => AdminLevel::Province,
        };
        let code = match expect_level {
            AdminLevel::County => f.county_code,
            AdminLevel::Prefecture => f.prefecture_code,
            AdminLevel::Province => f.province_code,
        }
        .unwrap_or_else(|| panic!("{}: no {expect_level} code", f.id));
        let hit = reverse_geocode(&atlas, expect_level, lon, lat).unwrap();
        assert_eq!(hit.map(|u| u.code), Some(code), "{}: point not in its {expect_level}", f.id);
        let unit = atlas.admin_by_code(expect_level, code).unwrap();
        assert_eq!(f.province_code, Some(unit.province_code), "{}", f.id);
    }
}

/// Names in the CSV that match no unit of the atlas (each checked by hand):
/// the rest of those rows is placed at the parent unit.
const EXPECTED_UNRESOLVED: &[(&str, &str)] = &[];

#[test]
fn rebuild_reproduces_the_committed_layer_and_lists_unresolved_names() {
    let dir = common::geodata_dir();
    let atlas = load_admin_atlas(&dir).unwrap();
    let gazetteer = load_gazetteer(&atlas, &dir.join("sources/geonames-cn.tsv")).unwrap();
    assert_eq!(gazetteer.len(), 15_068);
    let rows = read_clusters_csv(&dir.join("sources/clusters.csv")).unwrap();
    assert_eq!(rows.len(), 292);
    let catalogue = read_catalogue(&atlas, &dir.join("sources")).unwrap();
    let built = build_clusters(&atlas, &gazetteer, &rows, Some(&catalogue));
    let unresolved: Vec<(&str, &str)> = built.unresolved.iter().map(|(id, u)| (id.as_str(), u.name.as_str())).collect();
    assert_eq!(unresolved, EXPECTED_UNRESOLVED);
    assert!(built.unplaced.is_empty());
    assert!(built.link_problems.is_empty() && built.unmapped_terms.is_empty());
    assert_eq!(built.zone_precision.values().sum::<usize>(), 2_543);
    assert_eq!(
        built.merged.len(),
        137,
        "curated rows merged with a zone (changsha-edz stands for two)"
    );
    let committed = std::fs::read_to_string(dir.join("clusters.geojson")).unwrap();
    assert!(
        encode_layer(&built.features) == committed,
        "clusters.geojson differs from a rebuild"
    );
}

#[test]
fn bad_cluster_csv_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let src = std::fs::read_to_string(common::geodata_dir().join("sources/clusters.csv")).unwrap();
    let broken = src.replacen(",568,28000,", ",56x8,28000,", 1);
    std::fs::write(&path, broken).unwrap();
    let problems = read_clusters_csv(&path).unwrap_err();
    assert_eq!(problems.len(), 1);
    let text = problems[0].to_string();
    assert!(
        text.ends_with("bad.csv:2:12: column 'firms': '56x8' is not a whole number"),
        "{text}"
    );
}

#[test]
fn unknown_names_are_reported_and_fall_back_and_renamed_units_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.csv");
    let header = cluster_atlas::load::clusters_csv::COLUMNS.join(",");
    let rows = [
        "x-unknown,某县铸造,,cluster,foundry,铸造,河北省,沧州市,不存在县,,,,,,,,",
        "x-renamed,高要压铸,,cluster,die-casting,压铸,广东省,肇庆市,高要市,,,,,,,,",
        "x-nothing,无,,cluster,foundry,铸造,火星省,,,,,,,,,,",
    ];
    std::fs::write(&path, format!("{header}\r\n{}\r\n", rows.join("\r\n"))).unwrap();
    let atlas = common::atlas();
    let gazetteer = load_gazetteer(&atlas, &common::geodata_dir().join("sources/geonames-cn.tsv")).unwrap();
    let built = build_clusters(&atlas, &gazetteer, &read_clusters_csv(&path).unwrap(), None);
    let unresolved: Vec<(&str, AdminLevel, &str)> = built
        .unresolved
        .iter()
        .map(|(id, u)| (id.as_str(), u.level, u.name.as_str()))
        .collect();
    assert_eq!(
        unresolved,
        [
            ("x-unknown", AdminLevel::County, "不存在县"),
            ("x-nothing", AdminLevel::Province, "火星省")
        ]
    );
    assert_eq!(built.unplaced, ["x-nothing"]);
    assert_eq!(built.features.len(), 2);
    let unknown = &built.features[0]["properties"];
    assert_eq!(
        (&unknown["precision"], &unknown["prefecture_code"]),
        (&"prefecture".into(), &"130900".into())
    );
    assert!(unknown["county_code"].is_null());
    assert_eq!(built.features[1]["properties"]["county_code"], "441204");
    assert_eq!(built.renamed, [("x-renamed".to_owned(), "高要市 → 高要区".to_owned())]);
}
