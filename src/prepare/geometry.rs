//! Geometry repair for the source boundaries: datum conversion, ring clean-up, bounded
//! simplification, representative points.

use crate::crs::gcj02::gcj02_to_wgs84;
use geo::{
    Area, Contains, CoordsIter, InteriorPoint, LineString, MapCoords, MultiPolygon, Orient, Point, Polygon, Simplify, Validation,
    orient::Direction,
};

/// Vertex and repair counts over a layer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Vertices read.
    pub vertices_in: usize,
    /// Vertices written.
    pub vertices_out: usize,
    /// Polygons whose simplified form was invalid, kept at full resolution.
    pub unsimplified: usize,
}

/// GCJ-02 → WGS84 for every vertex, repaired and simplified within `tolerance_deg`.
/// Returns `None` if no polygon with area survives the repair.
#[must_use]
pub fn prepare(gcj: &MultiPolygon<f64>, tolerance_deg: f64, stats: &mut Stats) -> Option<MultiPolygon<f64>> {
    stats.vertices_in += gcj.coords_count();
    let wgs = gcj.map_coords(|c| {
        let (x, y) = gcj02_to_wgs84(c.x, c.y);
        geo::coord! { x: x, y: y }
    });
    let polygons: Vec<Polygon<f64>> = wgs
        .into_iter()
        .filter_map(repair_polygon)
        .map(|p| {
            let simplified = p.simplify(tolerance_deg);
            if simplified.is_valid() && simplified.unsigned_area() > 0.0 {
                simplified
            } else {
                stats.unsimplified += 1;
                p
            }
        })
        .collect();
    if polygons.is_empty() {
        return None;
    }
    let mp = MultiPolygon::new(polygons).orient(Direction::Default);
    stats.vertices_out += mp.coords_count();
    Some(mp)
}

/// Removes repeated vertices, closes rings and drops rings without area.
fn repair_ring(ring: &LineString<f64>) -> Option<LineString<f64>> {
    let mut coords: Vec<geo::Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        if coords.last() != Some(c) {
            coords.push(*c);
        }
    }
    if coords.first() != coords.last() {
        coords.push(coords[0]);
    }
    let ls = LineString::new(coords);
    (ls.0.len() >= 4 && Polygon::new(ls.clone(), vec![]).unsigned_area() > 0.0).then_some(ls)
}

fn repair_polygon(p: Polygon<f64>) -> Option<Polygon<f64>> {
    let (exterior, interiors) = p.into_inner();
    let exterior = repair_ring(&exterior)?;
    let interiors = interiors.iter().filter_map(repair_ring).collect();
    Some(Polygon::new(exterior, interiors))
}

/// A point inside the multipolygon (its largest part's interior point), for labels and
/// county-level placement.
#[must_use]
pub fn representative_point(mp: &MultiPolygon<f64>) -> Point<f64> {
    let largest = mp.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
    largest
        .and_then(|p| p.interior_point().filter(|pt| p.contains(pt)))
        .or_else(|| mp.interior_point())
        .unwrap_or_else(|| Point::new(0.0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn repair_drops_duplicate_vertices_and_degenerate_rings() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        let r = repair_polygon(p).unwrap_or_else(|| panic!("square must survive"));
        assert_eq!(r.exterior().0.len(), 5);
        let line = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0)];
        assert!(repair_polygon(line).is_none());
    }

    #[test]
    fn representative_point_lies_inside_a_concave_shape() {
        let u = polygon![(x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0), (x: 2.0, y: 3.0), (x: 2.0, y: 1.0),
            (x: 1.0, y: 1.0), (x: 1.0, y: 3.0), (x: 0.0, y: 3.0)];
        let mp = MultiPolygon::new(vec![u]);
        assert!(mp.contains(&representative_point(&mp)));
    }
}
