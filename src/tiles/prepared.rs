//! What admin tiles need that does not change per request, computed once per atlas: each
//! level's boundaries projected to Web Mercator and generalised for every zoom up to
//! [`PYRAMID_MAX_ZOOM`], and each unit's point counts by industry. A cold tile then costs a
//! clip and an encode, not a projection and simplification of every vertex of every unit
//! it touches (2.6M vertices for a low-zoom counties tile).

use super::EXTENT;
use crate::analysis::density::assigned_unit;
use crate::atlas::Atlas;
use crate::model::AdminLevel;
use geo::{BoundingRect, Coord, MapCoords, MultiPolygon, Polygon, Simplify};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Highest zoom served from the generalised pyramid; above it a unit touches few tiles and
/// little would be removed, so its full-resolution boundary is projected per tile.
pub const PYRAMID_MAX_ZOOM: u8 = 8;
/// Douglas–Peucker tolerance of pyramid zooms, in tile units (of [`EXTENT`] per side):
/// 3/8 of a screen pixel on a 512-pixel tile (3/16 on a 256-pixel one), so simplification
/// stays invisible; it keeps the z3 counties tile over eastern China under 300 KB.
pub const PYRAMID_TOLERANCE: f64 = 3.0;

const LEVELS: [AdminLevel; 3] = [AdminLevel::Province, AdminLevel::Prefecture, AdminLevel::County];
const ZOOMS: usize = PYRAMID_MAX_ZOOM as usize + 1;

/// Per-unit counts of the default point layer: `n_total` and `n_<industry>`.
pub type UnitCounts = BTreeMap<String, u64>;

/// Generalised boundaries and industry counts of one atlas, each built on first use (or all
/// at once by [`PreparedTiles::warm`]) and then shared by every request.
#[derive(Default)]
pub struct PreparedTiles {
    /// `[level][zoom]` → units in [`Atlas::admin_units`] order, in Web Mercator unit-square
    /// coordinates (x east, y south, both 0..1).
    pyramid: [[OnceLock<Vec<MultiPolygon<f32>>>; ZOOMS]; 3],
    /// `[level]` → unit code → counts.
    counts: [OnceLock<HashMap<String, UnitCounts>>; 3],
}

fn slot(level: AdminLevel) -> usize {
    match level {
        AdminLevel::Province => 0,
        AdminLevel::Prefecture => 1,
        AdminLevel::County => 2,
    }
}

impl PreparedTiles {
    /// Builds everything now (a background thread at server start calls this, so the first
    /// low-zoom tiles do not pay for it).
    pub fn warm(&self, atlas: &Atlas) {
        for level in LEVELS {
            let _ = self.generalised(atlas, level, 0);
            let _ = self.counts(atlas, level);
        }
    }

    /// The units of `level` generalised for zoom `z` in unit-square coordinates, `None`
    /// above [`PYRAMID_MAX_ZOOM`]. Zoom `z` is simplified from zoom `z + 1` (the top from
    /// the stored boundaries), so each zoom costs a pass over far fewer vertices than the
    /// last. Kept as `f32`: 6e-8 of the unit square is 0.06 pixel at zoom 8, and half the
    /// memory of `f64`.
    pub fn generalised(&self, atlas: &Atlas, level: AdminLevel, z: u8) -> Option<&[MultiPolygon<f32>]> {
        if z > PYRAMID_MAX_ZOOM {
            return None;
        }
        let cell = &self.pyramid[slot(level)][usize::from(z)];
        Some(cell.get_or_init(|| {
            let tolerance = PYRAMID_TOLERANCE / (f64::from(EXTENT) * f64::from(1u32 << z));
            #[allow(clippy::cast_possible_truncation)] // the tolerance is far above f32's precision
            let tolerance32 = tolerance as f32;
            match self.generalised(atlas, level, z + 1) {
                Some(finer) => finer.iter().map(|mp| drop_specks(&mp.simplify(tolerance32), tolerance32)).collect(),
                None => atlas
                    .admin_units(level)
                    .iter()
                    .map(|u| drop_specks(&u.geometry.map_coords(unit_square).simplify(tolerance), tolerance).map_coords(to_f32))
                    .collect(),
            }
        }))
    }

    /// Point counts per unit code of `level` (see [`UnitCounts`]).
    pub fn counts(&self, atlas: &Atlas, level: AdminLevel) -> &HashMap<String, UnitCounts> {
        self.counts[slot(level)].get_or_init(|| industry_counts(atlas, level))
    }
}

/// [`super::unit_square`] of a coordinate.
fn unit_square(c: Coord<f64>) -> Coord<f64> {
    let [x, y] = super::unit_square(c.x, c.y);
    Coord { x, y }
}

#[allow(clippy::cast_possible_truncation)] // unit-square coordinates, see `generalised`
fn to_f32(c: Coord<f64>) -> Coord<f32> {
    Coord {
        x: c.x as f32,
        y: c.y as f32,
    }
}

/// Leaves out polygons smaller than `size` on both sides: they round to nothing at this zoom.
fn drop_specks<T: geo::GeoFloat>(mp: &MultiPolygon<T>, size: T) -> MultiPolygon<T> {
    let keep = |p: &&Polygon<T>| p.bounding_rect().is_some_and(|r| r.width() >= size || r.height() >= size);
    MultiPolygon(mp.0.iter().filter(keep).cloned().collect())
}

/// Per-unit point counts by industry of the default point layer (`n_<industry>`, `n_total`).
fn industry_counts(atlas: &Atlas, level: AdminLevel) -> HashMap<String, UnitCounts> {
    let mut out: HashMap<String, UnitCounts> = HashMap::new();
    let Some(layer) = atlas.point_layer(crate::atlas::DEFAULT_POINT_LAYER) else {
        return out;
    };
    for f in layer.features() {
        if let Some(u) = assigned_unit(atlas, level, f) {
            let m = out.entry(u.code.to_string()).or_default();
            *m.entry("n_total".into()).or_default() += 1;
            for ind in &f.industries {
                *m.entry(format!("n_{ind}")).or_default() += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_square_puts_beijing_where_web_mercator_does() {
        // 116.4° E → x = (116.4 + 180) / 360; 39.9° N → y from the Mercator formula.
        let c = unit_square(Coord { x: 116.4, y: 39.9 });
        assert!((c.x - 0.823_333).abs() < 1e-6, "{c:?}");
        assert!((c.y - 0.378_942).abs() < 1e-6, "{c:?}");
    }
}
