//! What [`super::nearest`] and [`super::within`] share: the feature filter, the hit type,
//! and the spherical-cap bounds that turn a distance in metres into a safe search region
//! in lon/lat degrees.
//!
//! # Units
//! Point layers are indexed by lon/lat degrees, so R-tree distances are (squared) degrees,
//! while answers are great-circle (haversine) metres on the GRS80 mean sphere
//! ([`geo::Haversine`], R = 6,371,008.8 m). Degrees are not monotone with metres (a degree
//! of longitude shrinks with latitude), so degree distances are only used for *bounds*:
//! every point within `d` metres of a centre lies inside the cap's lat/lon bounding box
//! ([`cap_boxes`]), hence within [`degree_radius`] degrees of the centre in the lon/lat plane.

use super::{AnalysisError, AnalysisResult};
use crate::atlas::{Atlas, PointLayer, SharedFeature};
use crate::model::{DatetimeFilter, PlaceFeature};
use geo::{Distance, Haversine, Point};

/// Most features one nearest query may ask for.
pub const MAX_K: usize = 1_000;

/// Largest radius of a within query, in metres (2,000 km).
pub const MAX_RADIUS_M: f64 = 2_000_000.0;

/// Which features a proximity query considers. `None` fields match everything; values are
/// compared case-insensitively; a value no feature has simply matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PointFilter {
    /// Only this point layer (all layers when `None`).
    pub layer: Option<String>,
    /// Only features of this kind (`cluster`, `park`, `town`, …).
    pub kind: Option<String>,
    /// Only features carrying this industry tag among their industries (`foundry`, …).
    pub industry: Option<String>,
    /// Only features whose `designation` property contains this text (case-insensitive).
    pub designation: Option<String>,
    /// Only features whose `approval_level` property is this (`national`, `provincial`).
    pub approval_level: Option<String>,
    /// Only features whose time intersects this (features without a time never match).
    pub datetime: Option<DatetimeFilter>,
}

impl PointFilter {
    /// The layers of `atlas` this filter selects, in atlas order (empty for an unknown name).
    #[must_use]
    pub fn layers<'a>(&self, atlas: &'a Atlas) -> Vec<&'a PointLayer> {
        atlas
            .point_layers()
            .iter()
            .filter(|l| self.layer.as_deref().is_none_or(|name| l.name() == name))
            .collect()
    }

    /// Whether a feature passes the kind, industry and designation conditions.
    #[must_use]
    pub fn matches(&self, f: &PlaceFeature) -> bool {
        fn same(want: Option<&str>, have: Option<&str>) -> bool {
            want.is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        }
        // The property is looked up only when asked for: nearest tests many candidates.
        let approval = || f.properties.get("approval_level").and_then(serde_json::Value::as_str);
        same(self.kind.as_deref(), f.kind.as_deref())
            && self.industry.as_deref().is_none_or(|t| f.has_industry(t))
            && (self.approval_level.is_none() || same(self.approval_level.as_deref(), approval()))
            && self.datetime.is_none_or(|d| d.matches(f.time))
            && self.matches_designation(f)
    }

    /// Whether the filter keeps every feature of a layer (it may still name the layer).
    #[must_use]
    pub fn keeps_all(&self) -> bool {
        self.kind.is_none()
            && self.industry.is_none()
            && self.designation.is_none()
            && self.approval_level.is_none()
            && self.datetime.is_none()
    }

    /// The same filter without its industry condition (the reference set of a location quotient).
    #[must_use]
    pub fn without_industry(&self) -> Self {
        Self {
            industry: None,
            ..self.clone()
        }
    }

    fn matches_designation(&self, f: &PlaceFeature) -> bool {
        self.designation.as_deref().is_none_or(|want| {
            f.properties
                .get("designation")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|have| have.to_lowercase().contains(&want.to_lowercase()))
        })
    }
}

/// One feature found by a proximity query, with its great-circle distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<'a> {
    /// The feature.
    pub feature: &'a SharedFeature,
    /// Name of the layer it belongs to.
    pub layer: &'a str,
    /// Haversine distance from the query point, in metres.
    pub distance_m: f64,
}

/// Haversine distance in metres between two lon/lat points.
#[must_use]
pub fn distance_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Haversine.distance(a, b)
}

/// Checks a radius in metres: finite, positive and at most [`MAX_RADIUS_M`].
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `radius_m`.
pub fn validate_radius(radius_m: f64) -> AnalysisResult<f64> {
    if radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_RADIUS_M {
        Ok(radius_m)
    } else {
        Err(AnalysisError::InvalidArgument {
            parameter: "radius_m",
            message: format!("radius_m must be greater than 0 and at most {MAX_RADIUS_M} metres, got {radius_m}"),
        })
    }
}

/// Angular radius (radians) of a cap of `radius_m` metres, widened by a relative 1e-9 so
/// that rounding can never exclude a point exactly on the circle.
fn angular_radius(radius_m: f64) -> f64 {
    radius_m / Haversine.radius() * (1.0 + 1e-9) + 1e-12
}

/// Half-widths `(dlat, dlon)` in degrees of the bounding box of the spherical cap of
/// `radius_m` around `center`, or `None` if the cap contains a pole (then every longitude
/// is inside). The longitude half-width is `asin(sin δ / cos φ)`, the tangent meridians of
/// the cap (Matuschek, "Finding points within a distance of a latitude/longitude").
fn cap_half_widths(center: Point<f64>, radius_m: f64) -> Option<(f64, f64)> {
    let delta = angular_radius(radius_m);
    let phi = center.y().to_radians();
    if phi.abs() + delta >= std::f64::consts::FRAC_PI_2 {
        return None;
    }
    let dlon = (delta.sin() / phi.cos()).min(1.0).asin();
    Some((delta.to_degrees(), dlon.to_degrees()))
}

/// Lon/lat boxes `[min, max]` that together contain every point within `radius_m` metres of
/// `center`: one box, or two when the cap crosses the antimeridian; latitudes are clamped to
/// ±90 and a cap containing a pole takes every longitude.
#[must_use]
pub fn cap_boxes(center: Point<f64>, radius_m: f64) -> Vec<([f64; 2], [f64; 2])> {
    let (lon, lat) = (center.x(), center.y());
    let Some((dlat, dlon)) = cap_half_widths(center, radius_m) else {
        let dlat = angular_radius(radius_m).to_degrees();
        return vec![([-180.0, (lat - dlat).max(-90.0)], [180.0, (lat + dlat).min(90.0)])];
    };
    let (south, north) = (lat - dlat, lat + dlat);
    let (west, east) = (lon - dlon, lon + dlon);
    let mut boxes = vec![([west.max(-180.0), south], [east.min(180.0), north])];
    if west < -180.0 {
        boxes.push(([west + 360.0, south], [180.0, north]));
    }
    if east > 180.0 {
        boxes.push(([-180.0, south], [east - 360.0, north]));
    }
    boxes
}

/// An upper bound, in degrees of the lon/lat plane (no wrapping), on the distance from
/// `center` of any point within `radius_m` metres of it; infinite when the cap contains a
/// pole or crosses the antimeridian (the plane distance is then unbounded).
#[must_use]
pub fn degree_radius(center: Point<f64>, radius_m: f64) -> f64 {
    match cap_half_widths(center, radius_m) {
        Some((dlat, dlon)) if (center.x() - dlon) >= -180.0 && (center.x() + dlon) <= 180.0 => dlat.hypot(dlon),
        _ => f64::INFINITY,
    }
}

/// Sorts hits by distance, then layer and id, so equal distances come out in a stable order.
pub fn sort_hits(hits: &mut [Hit<'_>]) {
    hits.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then_with(|| a.layer.cmp(b.layer))
            .then_with(|| a.feature.id.cmp(&b.feature.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_box_contains_points_on_the_circle() {
        // Walk a 500 km circle around a high-latitude centre: every point must be inside.
        let center = Point::new(100.0, 70.0);
        let boxes = cap_boxes(center, 500_000.0);
        assert_eq!(boxes.len(), 1);
        let bound = degree_radius(center, 500_000.0);
        for i in 0..360 {
            let p = geo::Destination::destination(&Haversine, center, f64::from(i), 499_999.0);
            let inside = boxes
                .iter()
                .any(|(lo, hi)| (lo[0]..=hi[0]).contains(&p.x()) && (lo[1]..=hi[1]).contains(&p.y()));
            assert!(inside, "bearing {i}: {p:?} outside {boxes:?}");
            assert!((p.x() - center.x()).hypot(p.y() - center.y()) <= bound);
        }
    }

    #[test]
    fn cap_box_splits_at_the_antimeridian_and_opens_at_the_pole() {
        let boxes = cap_boxes(Point::new(179.9, 0.0), 100_000.0);
        assert_eq!(boxes.len(), 2);
        assert!(boxes.iter().any(|(lo, _)| lo[0] == -180.0));
        assert!(degree_radius(Point::new(179.9, 0.0), 100_000.0).is_infinite());
        let polar = cap_boxes(Point::new(10.0, 89.5), 100_000.0);
        assert_eq!(polar.len(), 1);
        let ([west, south], [east, north]) = polar[0];
        assert_eq!((west, east, north), (-180.0, 180.0, 90.0));
        // 100 km is 0.8993° of arc on the 6,371,008.8 m sphere.
        assert!((south - (89.5 - 0.8993)).abs() < 1e-3, "{south}");
        assert!(degree_radius(Point::new(10.0, 89.5), 100_000.0).is_infinite());
    }

    #[test]
    fn radius_limits() {
        assert!(validate_radius(2_000_000.0).is_ok());
        for bad in [0.0, -1.0, 2_000_000.1, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(
                    validate_radius(bad),
                    Err(AnalysisError::InvalidArgument { parameter: "radius_m", .. })
                ),
                "{bad}"
            );
        }
    }
}

/// Fixtures shared by the analysis unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::atlas::{Atlas, PointLayer};
    use crate::model::{PlaceFeature, Precision};

    /// A `cluster` feature named by its id.
    pub(crate) fn place(id: &str, lon: f64, lat: f64) -> PlaceFeature {
        PlaceFeature {
            id: id.into(),
            point: geo::Point::new(lon, lat),
            name_zh: id.into(),
            name_en: None,
            kind: Some("cluster".into()),
            industries: Vec::new(),
            time: None,
            county_code: None,
            prefecture_code: None,
            province_code: None,
            precision: Precision::Exact,
            properties: serde_json::Map::new(),
        }
    }

    /// An atlas with one `clusters` layer.
    pub(crate) fn atlas_of(places: Vec<PlaceFeature>) -> Atlas {
        Atlas::builder()
            .point_layer(PointLayer::new("clusters", "Clusters", places))
            .build()
    }
}
