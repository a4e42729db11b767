//! Expanding a grid cluster (`cluster_id` of a clusters tile) into its member points.

use super::{CLUSTER_CELL, CLUSTER_MAX_ZOOM, EXTENT, TileCoord, TileError};
use crate::atlas::PointLayer;
use crate::model::PlaceFeature;

/// The members of one cluster and the zoom at which they stop sharing one cluster.
#[derive(Debug)]
pub struct ClusterExpansion<'a> {
    /// The tile the cluster was drawn in.
    pub tile: TileCoord,
    /// The clustered points.
    pub members: Vec<&'a PlaceFeature>,
    /// First zoom at which the members fall into more than one cluster or point.
    pub expansion_zoom: u8,
}

/// Cells per tile side.
const PER_SIDE: u64 = (EXTENT as u64) / (CLUSTER_CELL as u64);

fn bad(detail: String) -> TileError {
    TileError::BadCoord {
        parameter: "cluster_id",
        detail,
    }
}

/// Decodes `cluster_id = ((gy · cells_per_world_side + gx) << 5) | z` into the tile and its cell.
fn decode(id: u64) -> Result<(TileCoord, (u32, u32)), TileError> {
    let z = (id & 31) as u8;
    if z >= CLUSTER_MAX_ZOOM {
        return Err(bad(format!(
            "{id} encodes zoom {z}; points are clustered only below zoom {CLUSTER_MAX_ZOOM}"
        )));
    }
    let world = PER_SIDE << z;
    let cell = id >> 5;
    let (gx, gy) = (cell % world, cell / world);
    if gy >= world {
        return Err(bad(format!("{id} names a cell outside the zoom-{z} grid")));
    }
    let (tx, ty) = (gx / PER_SIDE, gy / PER_SIDE);
    let tile = TileCoord::new(u32::from(z), tx as u32, ty as u32)?;
    Ok((tile, ((gx % PER_SIDE) as u32, (gy % PER_SIDE) as u32)))
}

/// Grid cell of a point at `tile`, exactly as the clustering computes it (None: another tile).
fn cell_in(tile: TileCoord, f: &PlaceFeature) -> Option<(u32, u32)> {
    let side = f64::from(EXTENT);
    let px = tile.lonlat_to_pixel(f.point.x(), f.point.y());
    ((0.0..side).contains(&px[0]) && (0.0..side).contains(&px[1])).then(|| ((px[0] / CLUSTER_CELL) as u32, (px[1] / CLUSTER_CELL) as u32))
}

/// Global cell of a point at zoom `z`.
fn global_cell(z: u8, f: &PlaceFeature) -> Option<(u64, u64)> {
    let t = TileCoord::containing(z, f.point.x(), f.point.y());
    cell_in(t, f).map(|(cx, cy)| (u64::from(t.x) * PER_SIDE + u64::from(cx), u64::from(t.y) * PER_SIDE + u64::from(cy)))
}

/// The members of cluster `id` in `layer`; `Ok(None)` when no cluster of two or more points has that id.
///
/// # Errors
/// [`TileError::BadCoord`] (parameter `cluster_id`) when the id cannot be a cluster id.
pub fn expand_cluster(layer: &PointLayer, id: u64) -> Result<Option<ClusterExpansion<'_>>, TileError> {
    let (tile, cell) = decode(id)?;
    let (min, max) = tile.envelope(1.0);
    let mut members: Vec<&PlaceFeature> = layer
        .tree()
        .locate_in_envelope(&rstar::AABB::from_corners(min, max))
        .map(|e| &layer.features()[e.data])
        .filter(|f| cell_in(tile, f) == Some(cell))
        .collect();
    if members.len() < 2 {
        return Ok(None);
    }
    members.sort_by(|a, b| a.id.cmp(&b.id));
    let expansion_zoom = (tile.z + 1..CLUSTER_MAX_ZOOM)
        .find(|&z| {
            let first = global_cell(z, members[0]);
            members.iter().any(|f| global_cell(z, f) != first)
        })
        .unwrap_or(CLUSTER_MAX_ZOOM);
    Ok(Some(ClusterExpansion {
        tile,
        members,
        expansion_zoom,
    }))
}
