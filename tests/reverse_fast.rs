//! The prepared (banded) point-in-polygon path of `reverse_geocode` gives exactly the answers
//! of the plain rule — R-tree envelope candidates in tree order, first whose geometry
//! `intersects` the point — on the committed geodata: a grid over China, and points exactly
//! on vertices of real counties, on the horizontal lines through them, and on edges.
#![allow(clippy::unwrap_used, missing_docs)]

use cluster_atlas::analysis::{reverse_geocode, reverse_geocode_many};
use cluster_atlas::atlas::Atlas;
use cluster_atlas::model::{AdminCode, AdminLevel};
use geo::{Intersects, Point};
use std::path::Path;
use std::sync::OnceLock;

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| cluster_atlas::load::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")).unwrap())
}

/// The unprepared rule (what `reverse_geocode` did before the band index).
fn plain(atlas: &Atlas, level: AdminLevel, lon: f64, lat: f64) -> Option<AdminCode> {
    let p = Point::new(lon, lat);
    atlas.admin_candidates(level, p).find(|u| u.geometry.intersects(&p)).map(|u| u.code)
}

fn fast(atlas: &Atlas, level: AdminLevel, lon: f64, lat: f64) -> Option<AdminCode> {
    reverse_geocode(atlas, level, lon, lat).unwrap().map(|u| u.code)
}

/// Asserts both rules agree on every point; returns how many points fell in some unit.
fn assert_same(level: AdminLevel, points: &[[f64; 2]]) -> usize {
    let atlas = atlas();
    let batch = reverse_geocode_many(atlas, level, points).unwrap();
    assert_eq!(batch.len(), points.len());
    let mut hits = 0;
    for (&[lon, lat], b) in points.iter().zip(&batch) {
        let expected = plain(atlas, level, lon, lat);
        assert_eq!(fast(atlas, level, lon, lat), expected, "{level:?} ({lon}, {lat})");
        assert_eq!(b.map(|u| u.code), expected, "batch {level:?} ({lon}, {lat})");
        hits += usize::from(expected.is_some());
    }
    hits
}

/// A 200 × 125 grid (25,000 points) over China's bounding box, 73–135° E, 18–54° N.
fn china_grid() -> Vec<[f64; 2]> {
    (0..200)
        .flat_map(|i| (0..125).map(move |j| [73.0 + f64::from(i) * 0.31, 18.0 + f64::from(j) * 0.29]))
        .collect()
}

#[test]
fn county_grid_over_china_matches_plain_point_in_polygon() {
    let grid = china_grid();
    assert_eq!(grid.len(), 25_000);
    let hits = assert_same(AdminLevel::County, &grid);
    // China's land covers roughly 40 % of its bounding box; sea and neighbours the rest.
    assert!((8_000..14_000).contains(&hits), "{hits} grid points in a county");
}

#[test]
fn province_and_prefecture_grids_match_plain_point_in_polygon() {
    let grid: Vec<[f64; 2]> = china_grid().into_iter().step_by(5).collect();
    let provinces = assert_same(AdminLevel::Province, &grid);
    let prefectures = assert_same(AdminLevel::Prefecture, &grid);
    assert!(provinces > 1_500 && prefectures > 1_500, "{provinces} {prefectures}");
}

/// Every vertex of the county, points on the horizontal line through it just left and right
/// (where a crossing-number test is most fragile), and edge midpoints.
fn boundary_points(code: &str) -> Vec<[f64; 2]> {
    let unit = atlas().admin_by_code(AdminLevel::County, code.parse().unwrap()).unwrap();
    let mut pts = Vec::new();
    for polygon in &unit.geometry {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for w in ring.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                pts.push([a.x, a.y]);
                pts.push([a.x - 1e-9, a.y]);
                pts.push([a.x + 1e-9, a.y]);
                pts.push([(a.x + b.x) / 2.0, (a.y + b.y) / 2.0]);
            }
        }
    }
    pts
}

#[test]
fn points_on_real_county_boundaries_match_plain_point_in_polygon() {
    // 泊头市 (Hebei), 东城区 (Beijing), 崇明区 (an island district), 香港 is absent, so also
    // 三沙市's neighbour 海口 龙华区 and 北京 朝阳区 (many neighbours).
    for code in ["130981", "110101", "310151", "460106", "110105"] {
        let pts = boundary_points(code);
        assert!(pts.len() > 100, "{code}: {} boundary points", pts.len());
        let hits = assert_same(AdminLevel::County, &pts);
        // Every vertex is on this county's boundary, so at least a quarter of the points hit.
        assert!(hits >= pts.len() / 4, "{code}: {hits} of {}", pts.len());
    }
}

#[test]
fn known_points_resolve_to_known_counties() {
    let atlas = atlas();
    let botou = atlas.admin_by_code(AdminLevel::County, "130981".parse().unwrap()).unwrap();
    let p = botou.representative_point;
    assert_eq!(
        fast(atlas, AdminLevel::County, p.x(), p.y()).map(|c| c.to_string()).as_deref(),
        Some("130981")
    );
    // Tiananmen is in 东城区.
    assert_eq!(
        fast(atlas, AdminLevel::County, 116.3975, 39.9087).map(|c| c.to_string()).as_deref(),
        Some("110101")
    );
    assert_eq!(fast(atlas, AdminLevel::County, 2.35, 48.85), None);
}

#[test]
fn batch_reports_the_index_of_a_bad_point() {
    let err = reverse_geocode_many(atlas(), AdminLevel::County, &[[116.0, 39.0], [116.0, 95.0]]).unwrap_err();
    assert!(err.to_string().contains("point 1"), "{err}");
}
