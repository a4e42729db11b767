//! Every point feature within a radius of a location, by great-circle distance.

use super::AnalysisResult;
use super::proximity::{Hit, PointFilter, cap_boxes, distance_m, sort_hits, validate_radius};
use super::reverse::validate_lon_lat;
use crate::atlas::Atlas;
use rstar::AABB;

/// A radius question.
#[derive(Debug, Clone, PartialEq)]
pub struct WithinQuery {
    /// Longitude of the centre (WGS84 degrees).
    pub lon: f64,
    /// Latitude of the centre (WGS84 degrees).
    pub lat: f64,
    /// Radius in metres, in (0, [`super::proximity::MAX_RADIUS_M`]].
    pub radius_m: f64,
    /// Which features count.
    pub filter: PointFilter,
}

/// All features of the selected layers within `radius_m` metres (haversine, inclusive) of
/// the centre, nearest first (ties by layer, then id).
///
/// # Units
/// The R-tree is searched with the lon/lat bounding box(es) of the spherical cap
/// ([`cap_boxes`]: split at the antimeridian, all longitudes when the cap holds a pole), a
/// superset of the answer; each candidate is then kept only if its haversine distance in
/// metres is at most the radius.
///
/// # Errors
/// [`super::AnalysisError::CoordinateOutOfRange`] or
/// [`super::AnalysisError::InvalidArgument`] (`radius_m`).
///
/// # Examples
/// ```
/// use cluster_atlas::{analysis::{within_radius, WithinQuery, PointFilter}, atlas::{Atlas, PointLayer}, model::*};
/// let place = |id: &str, lon: f64, lat: f64| PlaceFeature {
///     id: id.into(), point: geo::Point::new(lon, lat), name_zh: id.into(), name_en: None,
///     kind: Some("cluster".into()), industries: Vec::new(), time: None, county_code: None, prefecture_code: None,
///     province_code: None, precision: Precision::Exact, properties: Default::default(),
/// };
/// let layer = PointLayer::new("clusters", "Clusters", vec![place("far", 117.0, 38.0), place("near", 116.6, 38.1)]);
/// let atlas = Atlas::builder().point_layer(layer).build();
/// let q = WithinQuery { lon: 116.578, lat: 38.076, radius_m: 10_000.0, filter: PointFilter::default() };
/// let hits = within_radius(&atlas, &q).unwrap();
/// assert_eq!(hits.iter().map(|h| h.feature.id.as_str()).collect::<Vec<_>>(), ["near"]);
/// ```
pub fn within_radius<'a>(atlas: &'a Atlas, query: &WithinQuery) -> AnalysisResult<Vec<Hit<'a>>> {
    let center = validate_lon_lat(query.lon, query.lat)?;
    let radius_m = validate_radius(query.radius_m)?;
    let boxes = cap_boxes(center, radius_m);
    let mut hits = Vec::new();
    for layer in query.filter.layers(atlas) {
        for (min, max) in &boxes {
            for entry in layer.tree().locate_in_envelope(&AABB::from_corners(*min, *max)) {
                let feature = &layer.features()[entry.data];
                if !query.filter.matches(feature) {
                    continue;
                }
                let d = distance_m(center, feature.point);
                if d <= radius_m {
                    hits.push(Hit {
                        feature,
                        layer: layer.name(),
                        distance_m: d,
                    });
                }
            }
        }
    }
    sort_hits(&mut hits);
    // Boxes only overlap at a shared edge (lon ±180); drop a feature found twice there.
    hits.dedup_by(|a, b| std::ptr::eq(a.feature, b.feature));
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::AnalysisError;
    use crate::analysis::proximity::tests_support::{atlas_of, place};

    fn ids<'a>(hits: &[Hit<'a>]) -> Vec<&'a str> {
        hits.iter().map(|h| h.feature.id.as_str()).collect()
    }

    fn query(lon: f64, lat: f64, radius_m: f64) -> WithinQuery {
        WithinQuery {
            lon,
            lat,
            radius_m,
            filter: PointFilter::default(),
        }
    }

    #[test]
    fn keeps_exactly_the_points_inside_the_circle() -> AnalysisResult<()> {
        // Haversine distances from (116, 38) on R = 6,371,008.8 m, computed by hand:
        // (116.1, 38) → 8,762.3 m; (116, 38.1) → 11,119.5 m.
        let atlas = atlas_of(vec![
            place("east", 116.1, 38.0),
            place("north", 116.0, 38.1),
            place("far", 118.0, 38.0),
        ]);
        let hits = within_radius(&atlas, &query(116.0, 38.0, 10_000.0))?;
        assert_eq!(ids(&hits), ["east"]);
        assert!((hits[0].distance_m - 8_762.3).abs() < 0.1, "{}", hits[0].distance_m);
        let hits = within_radius(&atlas, &query(116.0, 38.0, 11_200.0))?;
        assert_eq!(ids(&hits), ["east", "north"]);
        assert!((hits[1].distance_m - 11_119.5).abs() < 0.1, "{}", hits[1].distance_m);
        Ok(())
    }

    #[test]
    fn crosses_the_antimeridian_and_the_pole() -> AnalysisResult<()> {
        let atlas = atlas_of(vec![
            place("west-side", -179.95, 0.0),
            place("east-side", 179.95, 0.0),
            place("over-the-pole", -80.0, 89.9),
        ]);
        let hits = within_radius(&atlas, &query(179.99, 0.0, 20_000.0))?;
        assert_eq!(ids(&hits), ["east-side", "west-side"]);
        let hits = within_radius(&atlas, &query(100.0, 89.9, 30_000.0))?;
        assert_eq!(ids(&hits), ["over-the-pole"]);
        Ok(())
    }

    #[test]
    fn rejects_bad_radius() {
        let atlas = atlas_of(vec![]);
        assert!(matches!(
            within_radius(&atlas, &query(116.0, 38.0, 0.0)),
            Err(AnalysisError::InvalidArgument { parameter: "radius_m", .. })
        ));
        assert!(within_radius(&atlas, &query(116.0, 38.0, 2_000_001.0)).is_err());
        assert!(within_radius(&atlas, &query(116.0, 95.0, 10.0)).is_err());
    }
}
