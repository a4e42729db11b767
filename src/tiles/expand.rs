//! Expanding a grid cluster (`cluster_id` of a clusters tile) into its member points.

use super::{CLUSTER_MAX_ZOOM, ClusterOptions, EXTENT, MAX_ZOOM, TileCoord, TileError};
use crate::analysis::PointFilter;
use crate::atlas::{PointLayer, SharedFeature};
use crate::model::PlaceFeature;

fn bad(detail: String) -> TileError {
    TileError::BadCoord {
        parameter: "cluster_id",
        detail,
    }
}

/// Decodes `cluster_id = ((gy · cells_per_world_side + gx) << 5) | z` into the tile and its
/// cell, on the grid of `cluster` (the one the tiles were clustered with).
pub fn decode(id: u64, cluster: ClusterOptions) -> Result<(TileCoord, (u32, u32)), TileError> {
    let per_side = u64::from(cluster.cells_per_side());
    let z = (id & 31) as u8;
    if z > MAX_ZOOM {
        return Err(bad(format!("{id} encodes zoom {z}; tiles go to zoom {MAX_ZOOM}")));
    }
    let world = per_side << z;
    let cell = id >> 5;
    let (gx, gy) = (cell % world, cell / world);
    if gy >= world {
        return Err(bad(format!("{id} names a cell outside the zoom-{z} grid")));
    }
    let (tx, ty) = (gx / per_side, gy / per_side);
    let tile = TileCoord::new(u32::from(z), tx as u32, ty as u32)?;
    Ok((tile, ((gx % per_side) as u32, (gy % per_side) as u32)))
}

/// Grid cell of a point at `tile`, exactly as the clustering computes it (None: another tile).
fn cell_in(tile: TileCoord, f: &PlaceFeature, cluster: ClusterOptions) -> Option<(u32, u32)> {
    let side = f64::from(EXTENT);
    let px = tile.lonlat_to_pixel(f.point.x(), f.point.y());
    ((0.0..side).contains(&px[0]) && (0.0..side).contains(&px[1])).then(|| cluster.cell_of(px))
}

/// Global cell of a point at zoom `z`.
fn global_cell(z: u8, f: &PlaceFeature, cluster: ClusterOptions) -> Option<(u64, u64)> {
    let per_side = u64::from(cluster.cells_per_side());
    let t = TileCoord::containing(z, f.point.x(), f.point.y());
    cell_in(t, f, cluster).map(|(cx, cy)| (u64::from(t.x) * per_side + u64::from(cx), u64::from(t.y) * per_side + u64::from(cy)))
}

/// First zoom after `tile`'s at which `members` (two or more) fall into more than one cluster
/// or point: at most [`CLUSTER_MAX_ZOOM`], where points are shown one by one (a cluster of a
/// tile beyond [`super::MAX_TILE_POINTS`] at that zoom or deeper splits at the next zoom's
/// cells, at most [`MAX_ZOOM`]).
#[must_use]
pub fn expansion_zoom(tile: TileCoord, members: &[&PlaceFeature], cluster: ClusterOptions) -> u8 {
    let last = if tile.z < CLUSTER_MAX_ZOOM { CLUSTER_MAX_ZOOM } else { MAX_ZOOM };
    let Some(first_member) = members.first() else {
        return last;
    };
    (tile.z + 1..last)
        .find(|&z| {
            let first = global_cell(z, first_member, cluster);
            members.iter().any(|f| global_cell(z, f, cluster) != first)
        })
        .unwrap_or(last)
}

/// The points of `layer` passing `filter` in grid cell `cell` of tile `tile` (clustered on
/// the grid of `cluster`, as its tiles were), by id.
#[must_use]
pub fn cluster_members<'a>(
    layer: &'a PointLayer,
    tile: TileCoord,
    cell: (u32, u32),
    cluster: ClusterOptions,
    filter: &PointFilter,
) -> Vec<&'a SharedFeature> {
    let (min, max) = tile.envelope(1.0);
    let mut members: Vec<&SharedFeature> = layer
        .tree()
        .locate_in_envelope(&rstar::AABB::from_corners(min, max))
        .map(|e| &layer.features()[e.data])
        .filter(|f| filter.matches(f) && cell_in(tile, f, cluster) == Some(cell))
        .collect();
    members.sort_by(|a, b| a.id.cmp(&b.id));
    members
}
