//! Consistency of the committed admin layers (counts, hierarchy, areas, interior points).
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::analysis::reverse_geocode;
use cluster_atlas::model::AdminLevel;
use std::collections::HashSet;

#[test]
fn layers_hold_the_source_counts_with_unique_codes() {
    let atlas = common::atlas();
    for (level, n) in [
        (AdminLevel::Province, 34),
        (AdminLevel::Prefecture, 370),
        (AdminLevel::County, 2875),
    ] {
        let units = atlas.admin_units(level);
        assert_eq!(units.len(), n, "{level}");
        let codes: HashSet<_> = units.iter().map(|u| u.code).collect();
        assert_eq!(codes.len(), n, "{level} codes are unique");
        assert!(units.iter().all(|u| u.level == level));
    }
}

#[test]
fn every_unit_points_to_existing_parents() {
    let atlas = common::atlas();
    for level in [AdminLevel::Prefecture, AdminLevel::County] {
        for u in atlas.admin_units(level) {
            let prov = atlas.admin_by_code(AdminLevel::Province, u.province_code).unwrap();
            assert_eq!(prov.name_zh, u.province_name_zh, "{}", u.code);
            let pref = atlas.admin_by_code(AdminLevel::Prefecture, u.prefecture_code.unwrap()).unwrap();
            assert_eq!(Some(&pref.name_zh), u.prefecture_name_zh.as_ref(), "{}", u.code);
            assert_eq!(pref.province_code, u.province_code, "{}", u.code);
        }
    }
}

#[test]
fn representative_points_reverse_geocode_to_their_own_unit() {
    let atlas = common::atlas();
    for level in AdminLevel::ALL {
        let mut wrong = Vec::new();
        for u in atlas.admin_units(level) {
            let p = u.representative_point;
            let hit = reverse_geocode(&atlas, level, p.x(), p.y()).unwrap().map(|h| h.code);
            if hit != Some(u.code) {
                wrong.push((u.code, hit));
            }
        }
        assert!(
            wrong.is_empty(),
            "{level}: {} representative points land elsewhere: {wrong:?}",
            wrong.len()
        );
    }
}

#[test]
fn areas_come_from_an_equal_area_projection() {
    let atlas = common::atlas();
    let total: f64 = atlas.admin_units(AdminLevel::Province).iter().map(|u| u.area_km2).sum();
    // China's land area is about 9.6 million km².
    assert!((total / 9.6e6 - 1.0).abs() < 0.03, "provinces sum to {total} km²");
    let by = |code: &str| atlas.admin_by_code(AdminLevel::County, code.parse().unwrap()).unwrap().area_km2;
    // Official areas: 泊头市 1,007 km², 浏阳市 5,007 km², 东城区 41.84 km².
    for (code, official) in [("130981", 1007.0), ("430181", 5007.0), ("110101", 41.84)] {
        let a = by(code);
        assert!((a / official - 1.0).abs() < 0.04, "{code}: {a} km² vs {official}");
    }
    let counties: f64 = atlas.admin_units(AdminLevel::County).iter().map(|u| u.area_km2).sum();
    assert!((counties / total - 1.0).abs() < 0.01, "counties {counties} vs provinces {total}");
}

#[test]
fn rings_are_closed_oriented_and_have_area() {
    use geo::{Area, Winding};
    let atlas = common::atlas();
    for level in AdminLevel::ALL {
        for u in atlas.admin_units(level) {
            assert!(!u.geometry.0.is_empty(), "{}", u.code);
            for p in &u.geometry {
                for (i, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
                    assert!(ring.is_closed() && ring.0.len() >= 4, "{} ring {i}", u.code);
                    assert_eq!(ring.is_ccw(), i == 0, "{}: exterior ccw, holes cw (ring {i})", u.code);
                }
                assert!(p.unsigned_area() > 0.0, "{}", u.code);
            }
        }
    }
}
