//! Prepared point-in-polygon tests for admin boundaries: each ring's edges are bucketed into
//! horizontal bands (y-slabs) once, so a query visits only the edges of the point's band
//! instead of every vertex of the unit (≈ 930 on average, tens of thousands for the largest).
//!
//! Hand-written because no maintained crate fits: geo 0.33's `PreparedGeometry` prepares
//! for polygon–polygon relate (it builds a full topology graph per unit, far heavier than
//! needed and slower per point), and `geo-index`/`i_overlay` index boxes or overlay
//! polygons but offer no point-in-ring test. The per-edge rule below is a copy of geo's
//! `coord_pos_relative_to_ring` (winding number, robust `orient2d`, boundary short-cut),
//! so answers are identical to `MultiPolygon::intersects(&point)`, boundary included:
//! only edges whose y-range cannot contain the point are skipped, and those never change
//! the winding number nor lie on the point.

use crate::model::AdminUnit;
use geo::coordinate_position::{CoordPos, coord_pos_relative_to_ring};
use geo::{Coord, GeoNum, Kernel, LineString, MultiPolygon, Orientation, Polygon, Rect};

/// Target number of ring edges per band; small enough that a band holds a few dozen edges.
const EDGES_PER_SLAB: usize = 4;

/// One ring's edges bucketed by y: band `k` lists (as indexes of their first vertex) every
/// edge whose closed y-range overlaps `[y0 + k·h, y0 + (k+1)·h]`.
#[derive(Debug, Clone)]
struct SlabRing {
    y0: f64,
    inv_h: f64,
    /// Band `k` is `edges[offsets[k]..offsets[k + 1]]`.
    offsets: Vec<u32>,
    edges: Vec<u32>,
}

impl SlabRing {
    fn new(ring: &LineString<f64>) -> Self {
        let pts = &ring.0;
        let n_edges = pts.len().saturating_sub(1);
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.y), hi.max(c.y)));
        let n_slabs = (n_edges / EDGES_PER_SLAB).max(1);
        let height = hi - lo;
        let inv_h = if height > 0.0 { n_slabs as f64 / height } else { 0.0 };
        let mut ring = Self {
            y0: lo,
            inv_h,
            offsets: vec![0; n_slabs + 1],
            edges: Vec::new(),
        };
        // Counting pass, then fill (compressed rows: one allocation per ring).
        let ranges: Vec<(usize, usize)> = pts.windows(2).map(|w| ring.slab_range(w[0].y, w[1].y)).collect();
        for &(a, b) in &ranges {
            for k in a..=b {
                ring.offsets[k + 1] += 1;
            }
        }
        for k in 0..n_slabs {
            ring.offsets[k + 1] += ring.offsets[k];
        }
        let mut cursor: Vec<u32> = ring.offsets[..n_slabs].to_vec();
        ring.edges = vec![0; ring.offsets[n_slabs] as usize];
        for (i, &(a, b)) in ranges.iter().enumerate() {
            for c in &mut cursor[a..=b] {
                ring.edges[*c as usize] = i as u32;
                *c += 1;
            }
        }
        ring
    }

    fn n_slabs(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The band of `y`. Monotone in `y` (subtraction, multiplication by a positive constant
    /// and `floor` all preserve order), so an edge with `y_min ≤ y ≤ y_max` is always filed
    /// under `slab(y)`: no floating-point edge case can lose it.
    fn slab(&self, y: f64) -> usize {
        let k = ((y - self.y0) * self.inv_h).floor();
        if k.is_nan() || k <= 0.0 {
            0
        } else {
            (k as usize).min(self.n_slabs() - 1)
        }
    }

    fn slab_range(&self, ya: f64, yb: f64) -> (usize, usize) {
        (self.slab(ya.min(yb)), self.slab(ya.max(yb)))
    }

    /// geo's `coord_pos_relative_to_ring`, restricted to the edges of the point's band.
    fn position(&self, ring: &LineString<f64>, coord: Coord<f64>) -> CoordPos {
        let pts = &ring.0;
        if pts.len() < 2 {
            return coord_pos_relative_to_ring(coord, ring);
        }
        let k = self.slab(coord.y);
        let band = &self.edges[self.offsets[k] as usize..self.offsets[k + 1] as usize];
        let mut winding_number = 0i32;
        for &i in band {
            let (start, end) = (pts[i as usize], pts[i as usize + 1]);
            if start.y <= coord.y {
                if end.y >= coord.y {
                    let o = <f64 as GeoNum>::Ker::orient2d(start, end, coord);
                    if o == Orientation::CounterClockwise && end.y != coord.y {
                        winding_number += 1;
                    } else if o == Orientation::Collinear && value_in_between(coord.x, start.x, end.x) {
                        return CoordPos::OnBoundary;
                    }
                }
            } else if end.y <= coord.y {
                let o = <f64 as GeoNum>::Ker::orient2d(start, end, coord);
                if o == Orientation::Clockwise {
                    winding_number -= 1;
                } else if o == Orientation::Collinear && value_in_between(coord.x, start.x, end.x) {
                    return CoordPos::OnBoundary;
                }
            }
        }
        if winding_number == 0 { CoordPos::Outside } else { CoordPos::Inside }
    }
}

/// geo's private `value_in_between`: `value` within the closed range of the two bounds.
fn value_in_between(value: f64, bound_1: f64, bound_2: f64) -> bool {
    let (lo, hi) = if bound_1 < bound_2 {
        (bound_1, bound_2)
    } else {
        (bound_2, bound_1)
    };
    value >= lo && value <= hi
}

/// One polygon part: its bounding box and the bands of its exterior (first) and holes.
#[derive(Debug, Clone)]
struct PreparedPolygon {
    bbox: Option<Rect<f64>>,
    rings: Vec<SlabRing>,
}

impl PreparedPolygon {
    fn new(polygon: &Polygon<f64>) -> Self {
        Self {
            bbox: geo::BoundingRect::bounding_rect(polygon),
            rings: std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(SlabRing::new)
                .collect(),
        }
    }

    /// geo's `Polygon::intersects(&coord)`: on the exterior → true; inside it, the first
    /// hole that is not `Outside` decides (its boundary counts as the polygon's).
    fn intersects(&self, polygon: &Polygon<f64>, coord: Coord<f64>) -> bool {
        let Some(bbox) = self.bbox else { return false };
        if coord.x < bbox.min().x || coord.x > bbox.max().x || coord.y < bbox.min().y || coord.y > bbox.max().y {
            return false;
        }
        match self.rings[0].position(polygon.exterior(), coord) {
            CoordPos::Outside => false,
            CoordPos::OnBoundary => true,
            CoordPos::Inside => {
                for (slabs, hole) in self.rings[1..].iter().zip(polygon.interiors()) {
                    match slabs.position(hole, coord) {
                        CoordPos::Outside => {}
                        CoordPos::OnBoundary => return true,
                        CoordPos::Inside => return false,
                    }
                }
                true
            }
        }
    }
}

/// Band index of one multipolygon, built once; tests points against the same geometry it
/// was built from (the caller passes that geometry back, so coordinates are not copied).
#[derive(Debug, Clone, Default)]
pub struct PreparedMultiPolygon {
    parts: Vec<PreparedPolygon>,
}

impl PreparedMultiPolygon {
    /// Buckets the edges of every ring of `geometry`.
    #[must_use]
    pub fn new(geometry: &MultiPolygon<f64>) -> Self {
        Self {
            parts: geometry.iter().map(PreparedPolygon::new).collect(),
        }
    }

    /// Exactly `geometry.intersects(&point)` (boundary counts as inside), where `geometry`
    /// is the multipolygon this index was built from.
    #[must_use]
    pub fn intersects(&self, geometry: &MultiPolygon<f64>, coord: Coord<f64>) -> bool {
        self.parts
            .iter()
            .zip(geometry.iter())
            .any(|(part, polygon)| part.intersects(polygon, coord))
    }
}

/// [`PreparedMultiPolygon::new`] for every unit's geometry, in order, split over the
/// available cores (scoped std threads: one static split needs no rayon pool).
#[must_use]
pub fn prepare_all(units: &[AdminUnit]) -> Vec<PreparedMultiPolygon> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let prepare = |chunk: &[AdminUnit]| chunk.iter().map(|u| PreparedMultiPolygon::new(&u.geometry)).collect::<Vec<_>>();
    if threads < 2 || units.len() < 64 {
        return prepare(units);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = units
            .chunks(units.len().div_ceil(threads))
            .map(|c| s.spawn(move || prepare(c)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, polygon};

    #[test]
    fn square_with_hole_matches_geo_on_a_fine_grid_including_boundaries() {
        let poly = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 2.0, y: 5.0), (x: 0.0, y: 4.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 3.0), (x: 1.0, y: 3.0)]],
        );
        let mp = MultiPolygon::new(vec![poly]);
        let prepared = PreparedMultiPolygon::new(&mp);
        let mut inside = 0;
        for i in -2..=26 {
            for j in -2..=26 {
                let c = Coord {
                    x: f64::from(i) * 0.25,
                    y: f64::from(j) * 0.25,
                };
                let expected = mp.intersects(&c);
                assert_eq!(prepared.intersects(&mp, c), expected, "{c:?}");
                inside += usize::from(expected);
            }
        }
        // 17×17 square lattice points + 3 + 1 + … in the roof, minus the open 7×7 hole.
        assert!(inside > 17 * 17 - 7 * 7, "{inside}");
        assert!(prepared.intersects(&mp, Coord { x: 1.0, y: 2.0 }), "hole boundary counts");
        assert!(!prepared.intersects(&mp, Coord { x: 2.0, y: 2.0 }), "hole interior");
        assert!(prepared.intersects(&mp, Coord { x: 2.0, y: 5.0 }), "apex vertex");
    }
}
