//! The 2018 development-zone catalogue in the default layer: every zone once, placed from its
//! name on a fixed sample, the catalogue's totals per approval level and type, every printed
//! industry term mapped, and the placement share.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use cluster_atlas::load::devzones::{ZoneRow, read_devzones_csv, zone_ids};
use cluster_atlas::load::industry_vocabulary::read_industry_vocabulary;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

fn layer() -> &'static [Value] {
    static LAYER: OnceLock<Vec<Value>> = OnceLock::new();
    LAYER.get_or_init(|| {
        let text = std::fs::read_to_string(common::geodata_dir().join("clusters.geojson")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["features"].as_array().unwrap().clone()
    })
}

fn zones() -> &'static [ZoneRow] {
    static ZONES: OnceLock<Vec<ZoneRow>> = OnceLock::new();
    ZONES.get_or_init(|| read_devzones_csv(&common::geodata_dir().join("sources/devzones_2018.csv")).unwrap())
}

/// Features that are catalogue zones, by catalogue code (a repeated code yields both).
fn zone_features(code: &str) -> Vec<&'static Value> {
    layer().iter().filter(|f| f["properties"]["catalogue_code"] == code).collect()
}

fn zone(code: &str) -> &'static Value {
    let found = zone_features(code);
    assert_eq!(found.len(), 1, "{code}");
    found[0]
}

/// Zones chosen from their names, with the county (or, where the name gives none, the
/// prefecture) that holds them — read from the names and checked against GB/T 2260, not
/// from the build's output.
const COUNTY_SAMPLE: &[(&str, &str, &str)] = &[
    ("S138062", "河北唐山开平高新技术产业开发区", "130205"),
    ("S138036", "河北冀州高新技术产业开发区", "131103"),
    ("G211066", "旅顺经济技术开发区", "210212"),
    ("S227009", "吉林德惠经济开发区", "220183"),
    ("G442135", "东莞松山湖高新技术产业开发区", "441900"),
    ("S347053", "安徽居巢经济开发区", "340181"),
    ("S327048", "江苏南通港闸经济开发区", "320613"),
    ("S159037", "内蒙古杭后工业园区", "150826"),
    ("S217073", "朝阳喀左经济开发区", "211324"),
    ("S227039", "伊通满族自治县经济开发区", "220323"),
    ("S367087", "江西东乡经济开发区", "361003"),
    ("S627030", "甘肃东乡经济开发区", "622926"),
    ("G356007", "湄洲岛国家旅游度假区", "350305"),
    ("G132056", "燕郊高新技术产业开发区", "131082"),
    ("S619037", "延安市中国洛川现代苹果产业园区", "610629"),
    ("G321095", "张家港经济技术开发区", "320582"),
    ("G322074", "昆山高新技术产业开发区", "320583"),
    ("S357007", "福建福清江阴经济开发区", "350181"),
    ("G231076", "宾西经济技术开发区", "230125"),
    ("S137139", "河北泊头经济开发区", "130981"),
    ("G121054", "天津子牙经济技术开发区", "120118"),
    ("G466011", "三亚亚龙湾国家旅游度假区", "460203"),
    ("G233023", "黑龙江绥芬河综合保税区", "231081"),
    ("G156020", "满洲里中俄互市贸易区", "150781"),
    ("G652156", "新疆生产建设兵团石河子高新技术产业开发区", "659001"),
    ("S137071", "河北邯郸峰峰经济开发区", "130406"),
    ("S619025", "咸阳市彬县循环经济工业园区", "610482"),
    ("S518051", "四川攀枝花东区高新技术产业园区", "510402"),
    ("G655013", "伊宁边境经济合作区", "654002"),
    ("G651218", "阿拉尔经济技术开发区", "659002"),
    ("S217034", "营口大石桥经济开发区", "210882"),
    ("S437022", "湖南湘乡经济开发区", "430381"),
    ("S517037", "四川简阳经济开发区", "510185"),
    ("S429100", "湖北崇阳工业园区", "421223"),
    ("S419140", "泌阳县产业集聚区", "411726"),
    ("S457036", "钦州市钦北区经济技术开发区", "450703"),
    ("S517082", "四川犍为经济开发区", "511123"),
];

/// Zones whose names give only their prefecture: `(code, name, prefecture)`.
const PREFECTURE_SAMPLE: &[(&str, &str, &str)] = &[
    ("G371158", "德州经济技术开发区", "371400"),
    ("G221072", "吉林经济技术开发区", "220200"),
    ("S369021", "江西景德镇陶瓷工业园区", "360200"),
    ("G216034", "中德（沈阳）高端装备制造产业园", "210100"),
    ("S378097", "山东日照高新技术产业开发区", "371100"),
    ("S418084", "许昌高新技术产业开发区", "411000"),
    ("G341131", "池州经济技术开发区", "341700"),
];

/// Joint zones naming two cities of different prefectures: at province precision, with
/// both counties listed.
const JOINT_SAMPLE: &[(&str, &str, [&str; 2])] = &[
    ("G651217", "新疆奎屯—独山子经济技术开发区", ["654003", "650202"]),
    ("S329100", "江苏江阴—靖江工业园区", ["320281", "321282"]),
];

#[test]
fn a_fixed_sample_of_zones_lies_in_the_counties_their_names_give() {
    assert!(COUNTY_SAMPLE.len() + PREFECTURE_SAMPLE.len() + JOINT_SAMPLE.len() >= 40);
    let mut wrong = Vec::new();
    let names = COUNTY_SAMPLE.iter().chain(PREFECTURE_SAMPLE).map(|(c, n, _)| (*c, *n));
    for (code, name) in names.chain(JOINT_SAMPLE.iter().map(|(c, n, _)| (*c, *n))) {
        let row = zones().iter().find(|z| z.catalogue_code == code).unwrap();
        assert_eq!(row.name_zh, name, "the sample names the zone of {code}");
    }
    for (code, name, county) in COUNTY_SAMPLE {
        let p = &zone(code)["properties"];
        assert!(p["approval_level"].is_string(), "{code}");
        let got = p["county_code"].as_str().unwrap_or("none");
        let precise = matches!(p["precision"].as_str(), Some("county" | "town"));
        if got != *county || !precise {
            wrong.push(format!("{code} {name}: expected {county}, got {got} ({})", p["precision"]));
        }
    }
    for (code, name, prefecture) in PREFECTURE_SAMPLE {
        let p = &zone(code)["properties"];
        if p["precision"] != "prefecture" || p["prefecture_code"] != *prefecture || !p["county_code"].is_null() {
            wrong.push(format!("{code} {name}: expected prefecture {prefecture}, got {p}"));
        }
    }
    for (code, name, counties) in JOINT_SAMPLE {
        let p = &zone(code)["properties"];
        let listed: Vec<&str> = p["county_codes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        if p["precision"] != "province" || listed != counties || !p["county_code"].is_null() {
            wrong.push(format!("{code} {name}: expected province with {counties:?}, got {p}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_catalogue_zone_is_in_the_layer_once_and_the_totals_are_the_catalogues() {
    let zones = zones();
    assert_eq!(zones.len(), 2_543);
    let ids = zone_ids(zones);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 2_543, "zone ids are unique");
    assert!(ids.contains(&"S377018-2".to_owned()));
    // Each catalogue row appears exactly once: the layer holds each code as often as the
    // source does (twice for S377018), and every zone's id or a curated row linked to it.
    let mut in_source: BTreeMap<&str, usize> = BTreeMap::new();
    for z in zones {
        *in_source.entry(z.catalogue_code.as_str()).or_default() += 1;
    }
    let mut in_layer_codes: BTreeMap<&str, usize> = BTreeMap::new();
    for f in layer() {
        if let Some(c) = f["properties"]["catalogue_code"].as_str() {
            *in_layer_codes.entry(c).or_default() += 1;
        }
    }
    assert_eq!(in_layer_codes, in_source);
    let layer_ids: HashSet<&str> = layer().iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(layer_ids.len(), layer().len(), "feature ids are unique");
    let in_layer: Vec<&Value> = layer().iter().filter(|f| f["properties"]["catalogue_code"].is_string()).collect();
    assert_eq!(in_layer.len(), 2_543, "one feature per catalogue zone");
    let mut totals: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &in_layer {
        let p = &f["properties"];
        *totals
            .entry((
                p["approval_level"].as_str().unwrap().to_owned(),
                p["zone_type_zh"].as_str().unwrap().to_owned(),
            ))
            .or_default() += 1;
        assert_eq!(p["kind"], "park", "{}", f["id"]);
    }
    let expected = [
        ("national", "经济技术开发区", 219),
        ("national", "高新技术产业开发区", 156),
        ("national", "海关特殊监管区域", 135),
        ("national", "边境/跨境经济合作区", 19),
        ("national", "其他类型开发区", 23),
        ("provincial", "经济开发区", 986),
        ("provincial", "高新技术产业开发区", 157),
        ("provincial", "工业园区", 848),
    ];
    let want: BTreeMap<(String, String), usize> = expected.iter().map(|(a, t, n)| ((a.to_string(), t.to_string()), *n)).collect();
    assert_eq!(totals, want);
    // The 292 curated rows stay: one merged pair (the same Changsha zone twice) becomes one.
    let curated: Vec<&Value> = layer()
        .iter()
        .filter(|f| !f["id"].as_str().unwrap().starts_with(['G', 'S']))
        .collect();
    assert_eq!(curated.len(), 291);
    let changsha = layer().iter().find(|f| f["id"] == "changsha-edz").unwrap();
    assert_eq!(changsha["properties"]["merged_ids"], serde_json::json!(["nat-etdz-changsha"]));
}

/// A name as zone lists abbreviate it (高新技术产业开发区 → 高新区, …).
fn normalised(name: &str) -> String {
    name.replace(['（', '('], "")
        .replace(['）', ')'], "")
        .replace("高新技术产业开发区", "高新区")
        .replace("经济技术开发区", "经开区")
        .replace("国家级", "")
        .replace("国家", "")
}

#[test]
fn no_curated_park_duplicates_an_unmerged_catalogue_zone() {
    let zone_names: HashMap<(String, String), String> = zones()
        .iter()
        .zip(zone_ids(zones()))
        .map(|(z, id)| ((normalised(&z.name_zh), z.province_zh.clone()), id))
        .collect();
    let mut dupes = Vec::new();
    for f in layer() {
        let p = &f["properties"];
        if p["kind"] != "park" || p["catalogue_code"].is_string() {
            continue;
        }
        let key = (
            normalised(p["name_zh"].as_str().unwrap()),
            p["province_zh"].as_str().unwrap_or("").to_owned(),
        );
        if let Some(zone) = zone_names.get(&key) {
            dupes.push(format!("{} is catalogue zone {zone}", f["id"]));
        }
    }
    assert!(dupes.is_empty(), "{}", dupes.join("\n"));
}

#[test]
fn every_printed_industry_term_has_a_row_and_zones_carry_their_tags() {
    let vocabulary = read_industry_vocabulary(&common::geodata_dir().join("sources")).unwrap();
    let mut occurrences = 0;
    let mut other = 0;
    for z in zones() {
        let tags = vocabulary
            .tag_terms(&z.industries_zh)
            .unwrap_or_else(|missing| panic!("{} {}: no row for {missing:?}", z.catalogue_code, z.name_zh));
        assert!(!tags.is_empty());
        for t in &z.industries_zh {
            occurrences += 1;
            if vocabulary.tags_of(t).unwrap() == ["other"] {
                other += 1;
            }
        }
    }
    assert_eq!(occurrences, 7_030);
    println!(
        "term occurrences mapped to a tag other than `other`: {} of {occurrences}",
        occurrences - other
    );
    assert!(
        f64::from(other) / f64::from(occurrences) < 0.01,
        "{other} occurrences map only to other"
    );
    // The layer stores the tags, the primary first, and the terms as printed.
    let z = zone("G311013");
    assert_eq!(z["id"], "nat-etdz-caohejing");
    let industries: Vec<&str> = z["properties"]["industries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(z["properties"]["industry"], industries[0]);
    let row = zones().iter().find(|r| r.catalogue_code == "G311013").unwrap();
    assert_eq!(z["properties"]["industries_zh"], serde_json::json!(row.industries_zh));
    for tag in vocabulary.tag_terms(&row.industries_zh).unwrap() {
        assert!(industries.contains(&tag.as_str()), "{tag} in {industries:?}");
    }
}

#[test]
fn at_least_seventy_percent_of_zones_are_placed_in_a_county_and_each_says_how() {
    let mut by_precision: BTreeMap<&str, usize> = BTreeMap::new();
    let zones: Vec<&Value> = layer().iter().filter(|f| f["properties"]["catalogue_code"].is_string()).collect();
    for f in &zones {
        let p = &f["properties"];
        *by_precision.entry(p["precision"].as_str().unwrap()).or_default() += 1;
        let method = p["location_method"].as_str().unwrap();
        let county = p["county_code"].as_str();
        match p["precision"].as_str().unwrap() {
            "town" => assert_eq!(method, "geonames_town", "{}", f["id"]),
            "county" => assert!(
                [
                    "county_in_name",
                    "admin_alias",
                    "county_point",
                    "first_listed_unit",
                    "geonames_town"
                ]
                .contains(&method)
                    && county.is_some(),
                "{}",
                f["id"]
            ),
            "prefecture" => assert!(county.is_none() && p["prefecture_code"].is_string(), "{}", f["id"]),
            _ => assert!(county.is_none() && p["prefecture_code"].is_null(), "{}", f["id"]),
        }
    }
    let fine = by_precision.get("county").unwrap_or(&0) + by_precision.get("town").unwrap_or(&0);
    println!("zones by precision: {by_precision:?}; county or finer {fine} of {}", zones.len());
    assert!(fine * 100 >= zones.len() * 70, "{by_precision:?}");
}

#[test]
fn approvals_are_iso_months_and_two_approvals_are_both_kept() {
    let twice: Vec<&ZoneRow> = zones().iter().filter(|z| z.approvals.len() == 2).collect();
    assert_eq!(twice.len(), 2);
    for z in twice {
        let f = zone_features(&z.catalogue_code)
            .into_iter()
            .find(|f| f["properties"]["approvals"].as_array().is_some_and(|a| a.len() == 2))
            .unwrap();
        let approvals = f["properties"]["approvals"].as_array().unwrap();
        assert_eq!(approvals[0].as_str().unwrap(), z.approvals[0].to_string());
        assert_eq!(f["properties"]["approved"], approvals[0]);
        assert!(approvals[0].as_str().unwrap() < approvals[1].as_str().unwrap());
    }
    let p = &zone("G311013")["properties"];
    assert_eq!(p["approved"], "1988-06");
    assert_eq!(p["approved_year"], 1988);
    assert_eq!(p["zone_type"], "economic-technological-development-zone");
}
