//! The `k` point features nearest to a location, by great-circle distance.

use super::proximity::{Hit, MAX_K, PointFilter, degree_radius, distance_m, sort_hits};
use super::reverse::validate_lon_lat;
use super::{AnalysisError, AnalysisResult};
use crate::atlas::Atlas;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A nearest-neighbour question.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestQuery {
    /// Longitude of the query point (WGS84 degrees).
    pub lon: f64,
    /// Latitude of the query point (WGS84 degrees).
    pub lat: f64,
    /// How many features to return, 1..=[`MAX_K`].
    pub k: usize,
    /// Which features count.
    pub filter: PointFilter,
}

/// A heap entry ordered by distance, then by (layer, feature) position so that ties are
/// resolved the same way every time.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    distance_m: f64,
    layer: usize,
    feature: usize,
}

impl Candidate {
    fn key(&self) -> (f64, usize, usize) {
        (self.distance_m, self.layer, self.feature)
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.key(), other.key());
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
    }
}

/// Checks `k`: 1..=[`MAX_K`].
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `k`.
pub fn validate_k(k: usize) -> AnalysisResult<usize> {
    if (1..=MAX_K).contains(&k) {
        Ok(k)
    } else {
        Err(AnalysisError::InvalidArgument {
            parameter: "k",
            message: format!("k must be between 1 and {MAX_K}, got {k}"),
        })
    }
}

/// The `k` features nearest to the query point over the selected layers, nearest first,
/// with haversine distances in metres (ties by layer, then id).
///
/// # Units
/// The R-tree yields candidates in increasing lon/lat-degree distance, which is not the
/// order in metres. Candidates are therefore scored by haversine distance, keeping the best
/// `k`; the scan stops only when the next candidate's degree distance exceeds
/// [`degree_radius`] of the current k-th best distance: every point closer than that (in
/// metres) lies inside the spherical cap's bounding box and hence within that many degrees,
/// so no unseen candidate can improve the answer. Near a pole or the antimeridian the bound
/// is infinite and the scan is exhaustive (still correct, only slower).
///
/// # Errors
/// [`AnalysisError::CoordinateOutOfRange`] or [`AnalysisError::InvalidArgument`] (`k`).
///
/// # Examples
/// ```
/// use cluster_atlas::{analysis::{nearest, NearestQuery, PointFilter}, atlas::{Atlas, PointLayer}, model::*};
/// let place = |id: &str, lon: f64, lat: f64| PlaceFeature {
///     id: id.into(), point: geo::Point::new(lon, lat), name_zh: id.into(), name_en: None,
///     kind: Some("cluster".into()), industries: Vec::new(), time: None, county_code: None, prefecture_code: None,
///     province_code: None, precision: Precision::Exact, properties: Default::default(),
/// };
/// let layer = PointLayer::new("clusters", "Clusters", vec![place("far", 117.0, 38.0), place("near", 116.6, 38.1)]);
/// let atlas = Atlas::builder().point_layer(layer).build();
/// let q = NearestQuery { lon: 116.578, lat: 38.076, k: 1, filter: PointFilter::default() };
/// let hits = nearest(&atlas, &q).unwrap();
/// assert_eq!(hits[0].feature.id, "near");
/// assert!((hits[0].distance_m - 3_290.7).abs() < 1.0, "{}", hits[0].distance_m);
/// ```
pub fn nearest<'a>(atlas: &'a Atlas, query: &NearestQuery) -> AnalysisResult<Vec<Hit<'a>>> {
    let center = validate_lon_lat(query.lon, query.lat)?;
    let k = validate_k(query.k)?;
    let layers = query.filter.layers(atlas);
    let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(k + 1);
    // The degree radius for the current k-th best distance; recomputed only when it changes.
    let mut bound = f64::INFINITY;
    for (li, layer) in layers.iter().enumerate() {
        for (entry, d2) in layer.tree().nearest_neighbor_iter_with_distance_2(&[center.x(), center.y()]) {
            if d2.sqrt() > bound {
                break;
            }
            let feature = &layer.features()[entry.data];
            if !query.filter.matches(feature) {
                continue;
            }
            let cand = Candidate {
                distance_m: distance_m(center, feature.point),
                layer: li,
                feature: entry.data,
            };
            if best.len() < k {
                best.push(cand);
            } else if best.peek().is_some_and(|worst| cand < *worst) {
                best.pop();
                best.push(cand);
            } else {
                continue;
            }
            if best.len() == k {
                bound = best.peek().map_or(f64::INFINITY, |w| degree_radius(center, w.distance_m));
            }
        }
    }
    let mut hits: Vec<Hit<'a>> = best
        .into_iter()
        .map(|c| Hit {
            feature: &layers[c.layer].features()[c.feature],
            layer: layers[c.layer].name(),
            distance_m: c.distance_m,
        })
        .collect();
    sort_hits(&mut hits);
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::proximity::tests_support::{atlas_of, place};

    fn ids(hits: &[Hit<'_>]) -> Vec<String> {
        hits.iter().map(|h| h.feature.id.clone()).collect()
    }

    fn brute_force(atlas: &Atlas, lon: f64, lat: f64, k: usize) -> Vec<String> {
        let c = geo::Point::new(lon, lat);
        let mut all: Vec<Hit<'_>> = atlas
            .point_layers()
            .iter()
            .flat_map(|l| {
                l.features().iter().map(move |f| Hit {
                    feature: f,
                    layer: l.name(),
                    distance_m: distance_m(c, f.point),
                })
            })
            .collect();
        sort_hits(&mut all);
        ids(&all[..k.min(all.len())])
    }

    #[test]
    fn metre_nearest_beats_degree_nearest_at_high_latitude() -> AnalysisResult<()> {
        // At 60°N a degree of longitude is half a degree of latitude in metres: "east" is
        // 0.9° away in degrees but ~50.0 km; "north" is 0.6° in degrees but ~66.7 km.
        let atlas = atlas_of(vec![place("north", 100.0, 60.6), place("east", 100.9, 60.0)]);
        let q = NearestQuery {
            lon: 100.0,
            lat: 60.0,
            k: 1,
            filter: PointFilter::default(),
        };
        let hits = nearest(&atlas, &q)?;
        assert_eq!(ids(&hits), ["east"]);
        assert!((hits[0].distance_m - 50_037.4).abs() < 1.0, "{}", hits[0].distance_m);
        Ok(())
    }

    #[test]
    fn agrees_with_brute_force_on_a_grid() -> AnalysisResult<()> {
        let mut places = Vec::new();
        for i in 0..40 {
            for j in 0..25 {
                let (lon, lat) = (75.0 + f64::from(i) * 1.37, 18.0 + f64::from(j) * 1.41);
                places.push(place(&format!("p{i}-{j}"), lon, lat));
            }
        }
        let atlas = atlas_of(places);
        for (lon, lat) in [(116.578, 38.076), (87.6, 43.8), (121.5, 31.2), (80.0, 52.0), (130.0, 10.0)] {
            for k in [1, 7, 50] {
                let q = NearestQuery {
                    lon,
                    lat,
                    k,
                    filter: PointFilter::default(),
                };
                assert_eq!(ids(&nearest(&atlas, &q)?), brute_force(&atlas, lon, lat, k), "{lon},{lat} k={k}");
            }
        }
        Ok(())
    }

    #[test]
    fn filters_and_limits() -> AnalysisResult<()> {
        let mut a = place("a", 116.0, 38.0);
        a.industries = vec!["foundry".into()];
        let atlas = atlas_of(vec![a, place("b", 116.1, 38.0)]);
        let mut q = NearestQuery {
            lon: 116.2,
            lat: 38.0,
            k: 10,
            filter: PointFilter {
                industry: Some("Foundry".into()),
                ..PointFilter::default()
            },
        };
        assert_eq!(ids(&nearest(&atlas, &q)?), ["a"]);
        q.filter.industry = Some("textiles".into());
        assert!(nearest(&atlas, &q)?.is_empty());
        q.filter = PointFilter {
            layer: Some("nope".into()),
            ..PointFilter::default()
        };
        assert!(nearest(&atlas, &q)?.is_empty());
        q.k = 0;
        assert!(matches!(
            nearest(&atlas, &q),
            Err(AnalysisError::InvalidArgument { parameter: "k", .. })
        ));
        q.k = MAX_K + 1;
        assert!(nearest(&atlas, &q).is_err());
        Ok(())
    }
}
