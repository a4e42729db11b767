//! GCJ-02 ("Mars coordinates") and BD-09 ↔ WGS84.
//!
//! Chinese web maps (Amap/Gaode, Tencent) publish GCJ-02, Baidu publishes BD-09; both are
//! deliberate, non-linear offsets of WGS84 of up to ~700 m. No maintained Rust crate offers
//! a precise inverse (the usual one-step inverse is off by metres), so the forward formulas
//! are written here from the public reference algorithm and inverted by fixed-point
//! iteration until the residual is below 1e-9° (≈ 0.1 mm).
//!
//! All functions take and return `(lon, lat)` in degrees. Points outside China's GCJ-02
//! bounding box are returned unchanged, as every GCJ-02 implementation does.

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02, in metres.
const A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
const EE: f64 = 0.006_693_421_622_965_943;
/// Constant of the BD-09 transform.
const X_PI: f64 = PI * 3000.0 / 180.0;
/// Convergence bound of the iterative inverses, in degrees (≈ 0.1 mm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;

/// True if the point lies outside the box where GCJ-02 applies an offset.
///
/// # Examples
/// ```
/// use cluster_atlas::crs::gcj02::out_of_china;
/// assert!(out_of_china(2.35, 48.85)); // Paris
/// assert!(!out_of_china(116.39, 39.91)); // Beijing
/// ```
#[must_use]
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// WGS84 → GCJ-02 (the forward, "encrypting" transform).
///
/// # Examples
/// ```
/// use cluster_atlas::crs::gcj02::wgs84_to_gcj02;
/// let (lon, lat) = wgs84_to_gcj02(116.3975, 39.9087);
/// assert!((lon - 116.4037).abs() < 1e-3 && (lat - 39.9101).abs() < 1e-3);
/// ```
#[must_use]
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let mut dlat = transform_lat(lon - 105.0, lat - 35.0);
    let mut dlon = transform_lon(lon - 105.0, lat - 35.0);
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - EE * radlat.sin() * radlat.sin();
    let sqrtmagic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * PI);
    dlon = (dlon * 180.0) / (A / sqrtmagic * radlat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// Inverts `forward` at `target` by fixed-point iteration (the offset field is smooth and
/// small, so each step shrinks the error by about three orders of magnitude).
fn invert(target: (f64, f64), forward: impl Fn(f64, f64) -> (f64, f64)) -> (f64, f64) {
    let (tx, ty) = target;
    let (mut x, mut y) = target;
    for _ in 0..30 {
        let (fx, fy) = forward(x, y);
        let (ex, ey) = (fx - tx, fy - ty);
        x -= ex;
        y -= ey;
        if ex.abs() < INVERSE_TOLERANCE_DEG && ey.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    (x, y)
}

/// GCJ-02 → WGS84, iterated to < 1e-9° (≈ 0.1 mm) so that a round trip is exact to < 1 cm.
///
/// # Examples
/// ```
/// use cluster_atlas::crs::gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
/// let (glon, glat) = wgs84_to_gcj02(116.3975, 39.9087);
/// let (lon, lat) = gcj02_to_wgs84(glon, glat);
/// assert!((lon - 116.3975).abs() < 1e-8 && (lat - 39.9087).abs() < 1e-8);
/// ```
#[must_use]
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    invert((lon, lat), wgs84_to_gcj02)
}

/// GCJ-02 → BD-09 (Baidu's additional offset).
#[must_use]
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02, iterated like [`gcj02_to_wgs84`].
#[must_use]
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert((lon, lat), gcj02_to_bd09)
}

/// WGS84 → BD-09.
#[must_use]
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(x, y)
}

/// BD-09 → WGS84.
#[must_use]
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = bd09_to_gcj02(lon, lat);
    gcj02_to_wgs84(x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine, Point};

    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
    }

    /// A 0.25° grid over China's GCJ-02 box (≈ 60,000 points).
    fn china_grid() -> impl Iterator<Item = (f64, f64)> {
        (0..=260).flat_map(|i| (0..=220).map(move |j| (73.0 + f64::from(i) * 0.25, 1.0 + f64::from(j) * 0.25)))
    }

    #[test]
    fn gcj02_round_trip_is_below_one_centimetre_over_china() {
        let worst = china_grid()
            .map(|p| metres(p, gcj02_to_wgs84(wgs84_to_gcj02(p.0, p.1).0, wgs84_to_gcj02(p.0, p.1).1)))
            .fold(0.0_f64, f64::max);
        assert!(worst < 0.01, "worst round-trip error {worst} m");
    }

    #[test]
    fn bd09_round_trip_is_below_one_centimetre_over_china() {
        let worst = china_grid()
            .map(|p| {
                let (x, y) = wgs84_to_bd09(p.0, p.1);
                metres(p, bd09_to_wgs84(x, y))
            })
            .fold(0.0_f64, f64::max);
        assert!(worst < 0.01, "worst round-trip error {worst} m");
    }

    #[test]
    fn offset_is_hundreds_of_metres_in_beijing() {
        let p = (116.3975, 39.9087);
        let d = metres(p, wgs84_to_gcj02(p.0, p.1));
        assert!((300.0..800.0).contains(&d), "offset {d} m");
    }

    #[test]
    fn forward_transforms_match_an_independent_implementation() {
        // Reference values from the PyPI package `coord-convert` (an independent
        // implementation of the same published algorithm, Krasovsky a = 6378245 m), Tiananmen.
        let g = wgs84_to_gcj02(116.391_349, 39.907_375);
        assert!(metres(g, (116.397_590_191_235_27, 39.908_776_294_140_95)) < 0.001, "{g:?}");
        let g = wgs84_to_gcj02(116.3975, 39.9087);
        assert!(metres(g, (116.403_743_572_651_76, 39.910_103_499_344_76)) < 0.001, "{g:?}");
        let b = gcj02_to_bd09(116.397_590, 39.908_775);
        assert!(metres(b, (116.403_962_835_314_35, 39.915_118_539_537_24)) < 0.001, "{b:?}");
    }

    #[test]
    fn points_outside_china_are_unchanged() {
        for p in [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (151.2, -33.9)] {
            assert_eq!(wgs84_to_gcj02(p.0, p.1), p);
            assert_eq!(gcj02_to_wgs84(p.0, p.1), p);
        }
    }
}
