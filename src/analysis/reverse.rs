//! Reverse geocoding: which admin unit contains a point.

use super::{AnalysisError, AnalysisResult};
use crate::atlas::Atlas;
use crate::model::{AdminLevel, AdminUnit};
use geo::Point;
use std::num::NonZeroUsize;
use std::thread;

/// Checks that a WGS84 point is finite and within lon −180..180, lat −90..90.
///
/// # Errors
/// [`AnalysisError::CoordinateOutOfRange`] otherwise.
pub fn validate_lon_lat(lon: f64, lat: f64) -> AnalysisResult<Point<f64>> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(AnalysisError::CoordinateOutOfRange(format!("lon {lon} is outside -180..180")));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(AnalysisError::CoordinateOutOfRange(format!("lat {lat} is outside -90..90")));
    }
    Ok(Point::new(lon, lat))
}

/// The unit of `level` containing the WGS84 point, or `None` outside every unit.
///
/// R-tree envelope candidates are refined by an exact point-in-polygon test (geo's
/// `intersects` rule, answered through the atlas's prepared band indexes, see
/// [`Atlas::admin_containing`]); a point on a shared border goes to the first unit found.
///
/// # Errors
/// [`AnalysisError::CoordinateOutOfRange`] for an invalid coordinate.
///
/// # Examples
/// ```
/// use cluster_atlas::{analysis::reverse_geocode, atlas::Atlas, model::*};
/// use geo::{polygon, MultiPolygon, Point};
/// let code: AdminCode = "110101".parse().unwrap();
/// let unit = AdminUnit {
///     code, name_zh: "东城区".into(), name_pinyin: "Dongcheng".into(), level: AdminLevel::County,
///     province_code: code.province(), province_name_zh: "北京市".into(),
///     prefecture_code: Some("110100".parse().unwrap()), prefecture_name_zh: Some("北京市".into()),
///     area_km2: 41.8, representative_point: Point::new(116.41, 39.92),
///     geometry: MultiPolygon::new(vec![polygon![(x: 116.38, y: 39.86), (x: 116.45, y: 39.86),
///         (x: 116.45, y: 39.97), (x: 116.38, y: 39.97)]]),
/// };
/// let atlas = Atlas::builder().admin_units(AdminLevel::County, vec![unit]).build();
/// let hit = reverse_geocode(&atlas, AdminLevel::County, 116.3975, 39.9087).unwrap();
/// assert_eq!(hit.map(|u| u.code.to_string()), Some("110101".to_string()));
/// assert!(reverse_geocode(&atlas, AdminLevel::County, 2.35, 48.85).unwrap().is_none());
/// assert!(reverse_geocode(&atlas, AdminLevel::County, 200.0, 0.0).is_err());
/// ```
pub fn reverse_geocode(atlas: &Atlas, level: AdminLevel, lon: f64, lat: f64) -> AnalysisResult<Option<&AdminUnit>> {
    let point = validate_lon_lat(lon, lat)?;
    Ok(atlas.admin_containing(level, point))
}

/// Below this many points a batch runs on the calling thread (spawning costs more).
const PARALLEL_MIN_POINTS: usize = 4_096;

/// [`reverse_geocode`] for many points, keeping input order. All points are validated
/// first; large batches are then visited in Z-order (so consecutive lookups hit the same
/// units' boundaries while they are still in cache — random order is memory-bound), split
/// into one contiguous chunk per available core, and the answers put back in input order.
///
/// # Errors
/// The first invalid coordinate, naming its index.
pub fn reverse_geocode_many<'a>(atlas: &'a Atlas, level: AdminLevel, points: &[[f64; 2]]) -> AnalysisResult<Vec<Option<&'a AdminUnit>>> {
    for (i, &[lon, lat]) in points.iter().enumerate() {
        validate_lon_lat(lon, lat).map_err(|e| match e {
            AnalysisError::CoordinateOutOfRange(m) => AnalysisError::CoordinateOutOfRange(format!("point {i}: {m}")),
            other => other,
        })?;
    }
    let locate = |chunk: &[[f64; 2]]| -> Vec<Option<&'a AdminUnit>> {
        chunk
            .iter()
            .map(|&[lon, lat]| atlas.admin_containing(level, Point::new(lon, lat)))
            .collect()
    };
    if points.len() < PARALLEL_MIN_POINTS {
        return Ok(locate(points));
    }
    let mut order: Vec<(u64, u32)> = points.iter().zip(0u32..).map(|(&p, i)| (z_order(p), i)).collect();
    order.sort_unstable();
    let sorted: Vec<[f64; 2]> = order.iter().map(|&(_, i)| points[i as usize]).collect();
    let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    // Scoped std threads over equal chunks rather than a rayon dependency: one static split
    // of independent, similarly-priced lookups needs no work stealing.
    let chunk = sorted.len().div_ceil(threads);
    let found: Vec<Option<&AdminUnit>> = thread::scope(|s| {
        let handles: Vec<_> = sorted.chunks(chunk).map(|c| s.spawn(move || locate(c))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut out = vec![None; points.len()];
    for (&(_, i), unit) in order.iter().zip(found) {
        out[i as usize] = unit;
    }
    Ok(out)
}

/// Morton (Z-order) key of a valid lon/lat: 32 bits of each, interleaved, so points close
/// on the map are mostly close in key order. Hand-written: a dozen lines of bit spreading.
fn z_order([lon, lat]: [f64; 2]) -> u64 {
    // Validated coordinates map into 0..=u32::MAX; `as` saturates anyway.
    let scale = |v: f64, lo: f64, span: f64| ((v - lo) / span * f64::from(u32::MAX)) as u32;
    spread(scale(lon, -180.0, 360.0)) | (spread(scale(lat, -90.0, 180.0)) << 1)
}

/// The bits of `v` at the even positions of a `u64`.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}
