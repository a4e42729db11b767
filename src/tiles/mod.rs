//! Mapbox Vector Tiles (MVT) of admin boundaries and point layers, pure (no IO, no HTTP).
//!
//! Geometry is projected to Web-Mercator tile pixels (extent [`EXTENT`]), generalised with
//! Douglas–Peucker at one pixel, clipped to the tile grown by [`BUFFER`] pixels, and encoded
//! with geozero's MVT writer (prost protobuf types), so no protobuf is written by hand.
//! Point layers are clustered on a fixed grid below [`CLUSTER_MAX_ZOOM`] whose cell size
//! follows [`ClusterOptions`]: the grid is aligned to tiles, so every grid cell belongs to
//! exactly one tile and summing `point_count` over all tiles of a zoom counts each point once.
//! From [`CLUSTER_MAX_ZOOM`] points are shown one by one, unless a tile would hold more
//! than [`MAX_TILE_POINTS`] of them (a dense part of a layer of millions): that tile is
//! clustered on the same grid, so no tile is ever larger than that many points.

pub mod cache;
pub mod expand;
pub mod point_tags;
pub mod prepared;

use crate::analysis::PointFilter;
use crate::atlas::{Atlas, PointLayer};
use crate::crs::project::WEB_MERCATOR_MAX_LAT as MAX_LAT;
use crate::model::{AdminLevel, AdminUnit};
use geo::{Area, BoundingRect, Coord, LineString, MapCoords, MultiPolygon, Orient, Polygon, Rect, Simplify};
use geozero::ToMvt;
use geozero::mvt::tile::{self, GeomType};
use geozero::mvt::{Message, TagsBuilder, TileValue};
use point_tags::PointLayerBuilder;
use prepared::{PreparedTiles, UnitCounts};
use std::collections::BTreeMap;
use std::f64::consts::PI;

/// Tile coordinate space size of one tile side.
pub const EXTENT: u32 = 4096;
/// Pixels of geometry kept around the tile on each side.
pub const BUFFER: f64 = 64.0;
/// Highest zoom served.
pub const MAX_ZOOM: u8 = 16;
/// Points are clustered below this zoom and shown one by one from it.
pub const CLUSTER_MAX_ZOOM: u8 = 8;
/// Most points a tile shows one by one; a tile with more (within its buffer, after the
/// filter) is clustered, whatever its zoom.
pub const MAX_TILE_POINTS: usize = 4096;
/// Default clustering radius in screen pixels of a 512-pixel tile (8 cells per tile side,
/// cells of 512 tile units).
pub const DEFAULT_CLUSTER_RADIUS_PX: f64 = 64.0;
/// Smallest and largest accepted clustering radius in screen pixels (`--cluster-radius`).
pub const CLUSTER_RADIUS_RANGE: std::ops::RangeInclusive<f64> = 8.0..=512.0;
/// Screen pixels of one tile side that the clustering radius is measured against.
const TILE_SCREEN_PX: f64 = 512.0;

/// Why a tile cannot be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TileError {
    /// A coordinate is out of range; `parameter` is `z`, `x` or `y`.
    #[error("{parameter}: {detail}")]
    BadCoord {
        /// The bad parameter.
        parameter: &'static str,
        /// Why.
        detail: String,
    },
    /// No admin level or point layer has this name.
    #[error("no tile layer named {0:?}")]
    UnknownLayer(String),
    /// The encoder failed.
    #[error("encoding the tile failed: {0}")]
    Encode(String),
    /// A clustering radius outside [`CLUSTER_RADIUS_RANGE`] (or not a number).
    #[error("cluster radius {0:?} must be a number of pixels in 8..=512 (on a 512-pixel tile)")]
    BadClusterRadius(String),
}

/// How point layers are clustered below [`CLUSTER_MAX_ZOOM`] (`serve --cluster-radius`).
///
/// The radius is rounded to a whole number `n` of grid cells per tile side,
/// `n = max(1, round(512 / radius_px))`, so that the grid stays aligned to tiles; each cell
/// is `EXTENT / n` tile units wide. The default (64 px) gives 8 cells per side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterOptions {
    radius_px: f64,
    per_side: u32,
}

impl ClusterOptions {
    /// Options for a clustering radius of `radius_px` screen pixels on a 512-pixel tile.
    ///
    /// # Errors
    /// [`TileError::BadClusterRadius`] when `radius_px` is outside 8..=512.
    pub fn new(radius_px: f64) -> Result<Self, TileError> {
        if !CLUSTER_RADIUS_RANGE.contains(&radius_px) {
            return Err(TileError::BadClusterRadius(radius_px.to_string()));
        }
        let per_side = ((TILE_SCREEN_PX / radius_px).round() as u32).max(1);
        Ok(Self { radius_px, per_side })
    }

    /// The radius asked for, in screen pixels of a 512-pixel tile.
    #[must_use]
    pub fn radius_px(&self) -> f64 {
        self.radius_px
    }

    /// Grid cells per tile side.
    #[must_use]
    pub fn cells_per_side(&self) -> u32 {
        self.per_side
    }

    /// Side of one grid cell in tile units (`EXTENT / cells_per_side`).
    #[must_use]
    pub fn cell_size(&self) -> f64 {
        f64::from(EXTENT) / f64::from(self.per_side)
    }

    /// The grid cell `(column, row)` of a tile pixel inside the tile (`0 ≤ px < EXTENT`);
    /// the one formula both the clustering and the cluster expansion use.
    #[must_use]
    pub fn cell_of(&self, px: [f64; 2]) -> (u32, u32) {
        let n = self.per_side;
        let c = |v: f64| ((v * f64::from(n) / f64::from(EXTENT)) as u32).min(n - 1);
        (c(px[0]), c(px[1]))
    }
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            radius_px: DEFAULT_CLUSTER_RADIUS_PX,
            per_side: (TILE_SCREEN_PX / DEFAULT_CLUSTER_RADIUS_PX) as u32,
        }
    }
}

impl std::str::FromStr for ClusterOptions {
    type Err = TileError;

    /// Parses a radius in pixels, e.g. `64` or `128`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let r: f64 = s.trim().parse().map_err(|_| TileError::BadClusterRadius(s.to_owned()))?;
        Self::new(r).map_err(|_| TileError::BadClusterRadius(s.to_owned()))
    }
}

/// A tile address in the XYZ (Google/OSM) scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    /// Zoom, 0..=16.
    pub z: u8,
    /// Column, 0..2^z, from the antimeridian eastwards.
    pub x: u32,
    /// Row, 0..2^z, from the north.
    pub y: u32,
}

impl TileCoord {
    /// Validates a tile address.
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(TileError::BadCoord {
                parameter: "z",
                detail: format!("zoom {z} is outside 0..={MAX_ZOOM}"),
            });
        }
        let n = 1u32 << z;
        for (parameter, v) in [("x", x), ("y", y)] {
            if v >= n {
                return Err(TileError::BadCoord {
                    parameter,
                    detail: format!("{v} is outside 0..{n} at zoom {z}"),
                });
            }
        }
        Ok(Self { z: z as u8, x, y })
    }

    /// The tile containing a lon/lat point at zoom `z` (`z` ≤ 16).
    #[must_use]
    pub fn containing(z: u8, lon: f64, lat: f64) -> Self {
        let [gx, gy] = world_px(z, lon, lat);
        let max = (1u32 << z) - 1;
        let cell = |g: f64| ((g / f64::from(EXTENT)).floor().max(0.0) as u32).min(max);
        Self {
            z,
            x: cell(gx),
            y: cell(gy),
        }
    }

    /// The north-west and south-east tiles of zoom `z` meeting the lon/lat box
    /// `[west, south, east, north]`: every tile between them meets it too.
    #[must_use]
    pub fn corners(z: u8, [w, s, e, n]: [f64; 4]) -> (Self, Self) {
        (Self::containing(z, w, n), Self::containing(z, e, s))
    }

    /// The tile's `[west, south, east, north]` in lon/lat degrees.
    #[must_use]
    pub fn bbox_lonlat(&self) -> [f64; 4] {
        let [w, n] = self.pixel_to_lonlat(0.0, 0.0);
        let [e, s] = self.pixel_to_lonlat(f64::from(EXTENT), f64::from(EXTENT));
        [w, s, e, n]
    }

    /// The tile's `[west, south, east, north]` in Web-Mercator metres (EPSG:3857).
    #[must_use]
    pub fn bbox_mercator(&self) -> [f64; 4] {
        const HALF: f64 = 20_037_508.342_789_244;
        let size = 2.0 * HALF / f64::from(1u32 << self.z);
        let w = -HALF + f64::from(self.x) * size;
        let n = HALF - f64::from(self.y) * size;
        [w, n - size, w + size, n]
    }

    /// Lon/lat of a tile pixel (may lie outside the tile).
    #[must_use]
    pub fn pixel_to_lonlat(&self, px: f64, py: f64) -> [f64; 2] {
        let world = f64::from(EXTENT) * f64::from(1u32 << self.z);
        let gx = f64::from(self.x) * f64::from(EXTENT) + px;
        let gy = f64::from(self.y) * f64::from(EXTENT) + py;
        let lon = gx / world * 360.0 - 180.0;
        let lat = (PI * (1.0 - 2.0 * gy / world)).sinh().atan().to_degrees();
        [lon, lat.clamp(-MAX_LAT, MAX_LAT)]
    }

    /// Tile pixel of a lon/lat point.
    #[must_use]
    pub fn lonlat_to_pixel(&self, lon: f64, lat: f64) -> [f64; 2] {
        let [gx, gy] = world_px(self.z, lon, lat);
        [
            gx - f64::from(self.x) * f64::from(EXTENT),
            gy - f64::from(self.y) * f64::from(EXTENT),
        ]
    }

    /// Tile pixel of a point in Web Mercator unit-square coordinates ([`unit_square`]).
    #[must_use]
    pub fn unit_to_pixel(&self, [ux, uy]: [f64; 2]) -> [f64; 2] {
        let world = f64::from(EXTENT) * f64::from(1u32 << self.z);
        [
            ux * world - f64::from(self.x) * f64::from(EXTENT),
            uy * world - f64::from(self.y) * f64::from(EXTENT),
        ]
    }

    /// `[min, max]` lon/lat of the tile grown by `buffer` pixels.
    pub(crate) fn envelope(&self, buffer: f64) -> ([f64; 2], [f64; 2]) {
        let [w, n] = self.pixel_to_lonlat(-buffer, -buffer);
        let [e, s] = self.pixel_to_lonlat(f64::from(EXTENT) + buffer, f64::from(EXTENT) + buffer);
        ([w, s], [e, n])
    }
}

/// Global pixel (zoom-`z` world of `EXTENT`-unit tiles) of a lon/lat point.
fn world_px(z: u8, lon: f64, lat: f64) -> [f64; 2] {
    let world = f64::from(EXTENT) * f64::from(1u32 << z);
    let [x, y] = unit_square(lon, lat);
    [x * world, y * world]
}

/// Web Mercator of a lon/lat point on the unit square (x east, y south, both 0..1).
#[must_use]
pub fn unit_square(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    [(lon + 180.0) / 360.0, (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0]
}

/// What a tile layer name refers to.
#[derive(Debug, Clone, Copy)]
pub enum TileLayer<'a> {
    /// Boundaries of one admin level.
    Admin(AdminLevel),
    /// A point layer.
    Points(&'a PointLayer),
}

/// Tile layer names of admin levels.
pub const ADMIN_LAYERS: [(&str, AdminLevel); 3] = [
    ("provinces", AdminLevel::Province),
    ("prefectures", AdminLevel::Prefecture),
    ("counties", AdminLevel::County),
];

/// Resolves a tile layer name: `provinces`, `prefectures`, `counties` or a point layer.
pub fn resolve_layer<'a>(atlas: &'a Atlas, name: &str) -> Result<TileLayer<'a>, TileError> {
    if let Some((_, level)) = ADMIN_LAYERS.iter().find(|(n, _)| *n == name) {
        return Ok(TileLayer::Admin(*level));
    }
    atlas
        .point_layer(name)
        .map(TileLayer::Points)
        .ok_or_else(|| TileError::UnknownLayer(name.to_owned()))
}

/// Encodes one tile of the boundaries of `level` (layer `name`, with its `{name}_label`
/// layer from [`label_min_zoom`]); `None` when the tile holds no unit.
///
/// # Errors
/// [`TileError::Encode`] if geozero cannot encode a geometry.
pub fn encode_admin_tile(
    atlas: &Atlas,
    prepared: &PreparedTiles,
    level: AdminLevel,
    name: &str,
    t: TileCoord,
) -> Result<Option<Vec<u8>>, TileError> {
    let mut b = LayerBuilder::default();
    let mut labels = LayerBuilder::default();
    admin_features(atlas, prepared, level, t, &mut b)?;
    admin_labels(atlas, level, t, &mut labels);
    if b.features.is_empty() {
        return Ok(None);
    }
    let mut layers = vec![b.into_layer(name.to_owned())];
    if !labels.features.is_empty() {
        layers.push(labels.into_layer(format!("{name}_label")));
    }
    Ok(Some(geozero::mvt::Tile { layers }.encode_to_vec()))
}

/// Encodes one tile of point layer `layer` (named `name` in the tile, properties numbered
/// by `dictionary`, the layer's own): the points passing `filter`, clustered on the grid of
/// `cluster` below [`CLUSTER_MAX_ZOOM`] or beyond [`MAX_TILE_POINTS`]; `None` when the
/// tile holds no point.
#[must_use]
pub fn encode_point_tile(
    layer: &PointLayer,
    dictionary: &point_tags::PointDictionary,
    name: &str,
    t: TileCoord,
    cluster: ClusterOptions,
    filter: &PointFilter,
) -> Option<Vec<u8>> {
    let mut b = PointLayerBuilder::new(dictionary);
    if t.z >= CLUSTER_MAX_ZOOM && points_in_buffer(layer, t, filter, MAX_TILE_POINTS + 1) <= MAX_TILE_POINTS {
        point_features(layer, t, filter, &mut b);
    } else {
        cluster_features(layer, t, cluster, filter, &mut b);
    }
    b.into_tile(name.to_owned(), EXTENT)
}

/// The points of `layer` passing `filter` in tile `t` grown by [`BUFFER`], counted up to `stop`.
fn points_in_buffer(layer: &PointLayer, t: TileCoord, filter: &PointFilter, stop: usize) -> usize {
    let (min, max) = t.envelope(BUFFER);
    layer
        .tree()
        .locate_in_envelope(&rstar::AABB::from_corners(min, max))
        .filter(|e| filter.matches(&layer.features()[e.data]))
        .take(stop)
        .count()
}

/// First zoom whose admin tiles carry label points: below it the names of a level are too
/// many to draw and would only make small-scale tiles bigger.
#[must_use]
pub fn label_min_zoom(level: AdminLevel) -> u8 {
    match level {
        AdminLevel::Province => 0,
        AdminLevel::Prefecture => 3,
        AdminLevel::County => 6,
    }
}

/// One label point per unit (`{layer}_label`, at its representative point, in the one tile
/// that holds that point), so a map draws each name once instead of once per polygon piece.
fn admin_labels(atlas: &Atlas, level: AdminLevel, t: TileCoord, b: &mut LayerBuilder) {
    if t.z < label_min_zoom(level) {
        return;
    }
    let (min, max) = t.envelope(0.0);
    let side = f64::from(EXTENT);
    for unit in atlas.admin_in_envelope(level, min, max) {
        let p = unit.representative_point;
        let px = t.lonlat_to_pixel(p.x(), p.y());
        if (0.0..side).contains(&px[0]) && (0.0..side).contains(&px[1]) {
            let props = vec![
                ("code".to_owned(), TileValue::Str(unit.code.to_string())),
                ("name_zh".to_owned(), TileValue::Str(unit.name_zh.clone())),
                ("name_pinyin".to_owned(), TileValue::Str(unit.name_pinyin.clone())),
            ];
            b.push(point_feature(px), props);
        }
    }
}

/// Features and the shared key/value dictionary of one layer.
#[derive(Default)]
struct LayerBuilder {
    features: Vec<tile::Feature>,
    tags: TagsBuilder,
}

impl LayerBuilder {
    fn into_layer(self, name: String) -> tile::Layer {
        let (keys, values) = self.tags.into_tags();
        tile::Layer {
            version: 2,
            name,
            features: self.features,
            keys,
            values: values.into_iter().map(Into::into).collect(),
            extent: Some(EXTENT),
        }
    }

    fn push(&mut self, mut feature: tile::Feature, props: Vec<(String, TileValue)>) {
        for (k, v) in props {
            let (ki, vi) = self.tags.insert(k, v);
            feature.tags.extend([ki, vi]);
        }
        self.features.push(feature);
    }
}

fn encode_err(e: geozero::error::GeozeroError) -> TileError {
    TileError::Encode(e.to_string())
}

fn admin_features(atlas: &Atlas, prepared: &PreparedTiles, level: AdminLevel, t: TileCoord, b: &mut LayerBuilder) -> Result<(), TileError> {
    let (min, max) = t.envelope(BUFFER);
    let counts = prepared.counts(atlas, level);
    let generalised = prepared.generalised(atlas, level, t.z);
    let clip = Rect::new(
        Coord { x: -BUFFER, y: -BUFFER },
        Coord {
            x: f64::from(EXTENT) + BUFFER,
            y: f64::from(EXTENT) + BUFFER,
        },
    );
    let units = atlas.admin_units(level);
    for i in atlas.admin_indices_in_envelope(level, min, max) {
        let unit = &units[i];
        let geom = match generalised {
            Some(g) => tile_polygons_generalised(&g[i], t, clip),
            None => tile_polygons(&unit.geometry, t, clip),
        };
        let Some(geom) = geom else {
            continue;
        };
        let feature = geo::Geometry::MultiPolygon(geom).to_mvt_unscaled().map_err(encode_err)?;
        b.push(feature, admin_props(unit, counts.get(&unit.code.to_string())));
    }
    Ok(())
}

fn admin_props(unit: &AdminUnit, counts: Option<&UnitCounts>) -> Vec<(String, TileValue)> {
    let mut p = vec![
        ("code".to_owned(), TileValue::Str(unit.code.to_string())),
        ("name_zh".to_owned(), TileValue::Str(unit.name_zh.clone())),
        ("name_pinyin".to_owned(), TileValue::Str(unit.name_pinyin.clone())),
        ("area_km2".to_owned(), TileValue::Double(unit.area_km2)),
    ];
    let total = counts.and_then(|c| c.get("n_total")).copied().unwrap_or(0);
    p.push(("n_total".to_owned(), TileValue::Uint(total)));
    p.extend(
        counts
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "n_total")
            .map(|(k, v)| (k.clone(), TileValue::Uint(*v))),
    );
    p
}

/// Projects to tile pixels, generalises at one pixel, clips to the buffered tile, rounds to
/// the integer grid and orients rings the MVT way; `None` when nothing is left.
fn tile_polygons(mp: &MultiPolygon<f64>, t: TileCoord, clip: Rect<f64>) -> Option<MultiPolygon<f64>> {
    let projected = mp.map_coords(|c| {
        let [x, y] = t.lonlat_to_pixel(c.x, c.y);
        Coord { x, y }
    });
    clip_and_snap(projected.simplify(1.0), clip)
}

/// [`tile_polygons`] for a boundary already generalised for this zoom (unit-square
/// coordinates, see [`prepared`]): only scaled to the tile's pixels, then clipped and snapped.
fn tile_polygons_generalised(mp: &MultiPolygon<f32>, t: TileCoord, clip: Rect<f64>) -> Option<MultiPolygon<f64>> {
    let world = f64::from(EXTENT) * f64::from(1u32 << t.z);
    let (ox, oy) = (f64::from(t.x) * f64::from(EXTENT), f64::from(t.y) * f64::from(EXTENT));
    let px = |c: Coord<f32>| Coord {
        x: f64::from(c.x) * world - ox,
        y: f64::from(c.y) * world - oy,
    };
    let bounds = mp.bounding_rect()?;
    let (lo, hi) = (px(bounds.min()), px(bounds.max()));
    if hi.x < clip.min().x || lo.x > clip.max().x || hi.y < clip.min().y || lo.y > clip.max().y {
        return None;
    }
    clip_and_snap(mp.map_coords(px), clip)
}

/// Clips tile-pixel polygons to `clip`, rounds them to the integer grid and orients rings
/// the MVT way; `None` when nothing is left.
fn clip_and_snap(projected: MultiPolygon<f64>, clip: Rect<f64>) -> Option<MultiPolygon<f64>> {
    let bounds = projected.bounding_rect()?;
    let inside = bounds.min().x >= clip.min().x
        && bounds.min().y >= clip.min().y
        && bounds.max().x <= clip.max().x
        && bounds.max().y <= clip.max().y;
    let polys: Vec<Polygon<f64>> = if inside {
        projected.0.iter().filter_map(snap_polygon).collect()
    } else {
        projected
            .0
            .iter()
            .filter_map(|p| clip_polygon(p, clip))
            .filter_map(|p| snap_polygon(&p))
            .collect()
    };
    // geo's default orientation (exterior counter-clockwise with y up) has positive shoelace
    // area, which is what MVT asks of exteriors in its y-down pixel space.
    (!polys.is_empty()).then(|| MultiPolygon(polys).orient(geo::orient::Direction::Default))
}

/// Clips a polygon to an axis-aligned rectangle ring by ring, with the Sutherland–Hodgman
/// passes that geojson-vt and tippecanoe use for tiles. geo's `BooleanOps` computes a
/// general, exact polygon intersection, which was a quarter of a cold counties tile; against
/// a rectangle four half-plane passes are linear in the ring. Where a ring leaves the
/// rectangle and comes back, the result runs along the edge — on the buffer line, outside
/// the drawn tile, with no area. `None` when the exterior is cut away.
fn clip_polygon(p: &Polygon<f64>, r: Rect<f64>) -> Option<Polygon<f64>> {
    let exterior = clip_ring(p.exterior(), r)?;
    Some(Polygon::new(
        exterior,
        p.interiors().iter().filter_map(|i| clip_ring(i, r)).collect(),
    ))
}

fn clip_ring(ring: &LineString<f64>, r: Rect<f64>) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = ring.0.clone();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    for edge in [Edge::West, Edge::East, Edge::North, Edge::South] {
        pts = clip_half_plane(&pts, edge, r);
        if pts.len() < 3 {
            return None;
        }
    }
    pts.push(pts[0]);
    Some(LineString::new(pts))
}

/// A side of the clipping rectangle (pixel y grows southwards).
#[derive(Clone, Copy)]
enum Edge {
    West,
    East,
    North,
    South,
}

/// One Sutherland–Hodgman pass: the part of the (open) ring `pts` on the inner side of `edge`.
fn clip_half_plane(pts: &[Coord<f64>], edge: Edge, r: Rect<f64>) -> Vec<Coord<f64>> {
    let inside = |c: Coord<f64>| match edge {
        Edge::West => c.x >= r.min().x,
        Edge::East => c.x <= r.max().x,
        Edge::North => c.y >= r.min().y,
        Edge::South => c.y <= r.max().y,
    };
    let crossing = |a: Coord<f64>, b: Coord<f64>| match edge {
        Edge::West | Edge::East => {
            let x = if matches!(edge, Edge::West) { r.min().x } else { r.max().x };
            Coord {
                x,
                y: a.y + (x - a.x) / (b.x - a.x) * (b.y - a.y),
            }
        }
        Edge::North | Edge::South => {
            let y = if matches!(edge, Edge::North) { r.min().y } else { r.max().y };
            Coord {
                x: a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x),
                y,
            }
        }
    };
    let mut out = Vec::with_capacity(pts.len() + 4);
    let Some(&last) = pts.last() else { return out };
    let mut prev = last;
    for &cur in pts {
        match (inside(prev), inside(cur)) {
            (true, true) => out.push(cur),
            (true, false) => out.push(crossing(prev, cur)),
            (false, true) => {
                out.push(crossing(prev, cur));
                out.push(cur);
            }
            (false, false) => {}
        }
        prev = cur;
    }
    out
}

/// Rounds a polygon to integer pixels and drops rings that collapse.
fn snap_polygon(p: &Polygon<f64>) -> Option<Polygon<f64>> {
    let exterior = snap_ring(p.exterior())?;
    Some(Polygon::new(exterior, p.interiors().iter().filter_map(snap_ring).collect()))
}

fn snap_ring(ring: &LineString<f64>) -> Option<LineString<f64>> {
    let mut coords: Vec<Coord<f64>> = ring
        .0
        .iter()
        .map(|c| Coord {
            x: c.x.round(),
            y: c.y.round(),
        })
        .collect();
    coords.dedup();
    let ring = LineString::new(coords);
    (ring.0.len() >= 4 && Polygon::new(ring.clone(), vec![]).unsigned_area() > 0.0).then_some(ring)
}

/// An MVT point at tile pixel `px` (rounded).
pub(crate) fn point_feature(px: [f64; 2]) -> tile::Feature {
    let zig = |v: i32| ((v << 1) ^ (v >> 31)) as u32;
    // geozero's writer needs a GeozeroGeometry; one MoveTo command is spelt out here for a
    // point so that rounding is ours (`round`, not truncation).
    tile::Feature {
        r#type: Some(GeomType::Point as i32),
        geometry: vec![(1 << 3) | 1, zig(px[0].round() as i32), zig(px[1].round() as i32)],
        ..Default::default()
    }
}

fn point_features(layer: &PointLayer, t: TileCoord, filter: &PointFilter, b: &mut PointLayerBuilder<'_>) {
    let (min, max) = t.envelope(BUFFER);
    for e in layer.tree().locate_in_envelope(&rstar::AABB::from_corners(min, max)) {
        let f = &layer.features()[e.data];
        if !filter.matches(f) {
            continue;
        }
        let px = t.unit_to_pixel(b.dictionary().unit_square(e.data));
        b.push_stored(point_feature(px), e.data);
    }
}

/// `12`, `1.2k`, `12k` as supercluster abbreviates counts.
#[must_use]
pub fn abbreviate(n: usize) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..10_000 => format!("{:.1}k", n as f64 / 1000.0),
        _ => format!("{}k", n / 1000),
    }
}

/// A point in a grid cell with its tile pixel.
/// A point of a cluster cell: its index in the layer and its tile pixel.
type Member = (usize, [f64; 2]);

/// The id of grid cell `cell` of tile `t`: `((gy · cells_per_world_side + gx) << 5) | z`.
pub(crate) fn cluster_id(t: TileCoord, cell: (u32, u32), cluster: ClusterOptions) -> u64 {
    let per_side = u64::from(cluster.cells_per_side());
    let world_cells = per_side << t.z;
    let gx = u64::from(t.x) * per_side + u64::from(cell.0);
    let gy = u64::from(t.y) * per_side + u64::from(cell.1);
    ((gy * world_cells + gx) << 5) | u64::from(t.z)
}

/// The properties of a cluster of `n` points in grid cell `cell` of tile `t`, whatever
/// source counted them.
pub(crate) fn cluster_props(
    t: TileCoord,
    cell: (u32, u32),
    cluster: ClusterOptions,
    n: usize,
    top_industries: String,
) -> Vec<(&'static str, TileValue)> {
    vec![
        ("cluster", TileValue::Bool(true)),
        ("cluster_id", TileValue::Uint(cluster_id(t, cell, cluster))),
        ("point_count", TileValue::Uint(n as u64)),
        ("point_count_abbreviated", TileValue::Str(abbreviate(n))),
        ("top_industries", TileValue::Str(top_industries)),
    ]
}

fn cluster_features(layer: &PointLayer, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter, b: &mut PointLayerBuilder<'_>) {
    // Grid clustering written here: supercluster-style greedy clustering has no maintained
    // Rust crate in this tree, and a fixed grid makes every cell belong to one tile.
    let (min, max) = t.envelope(1.0);
    let side = f64::from(EXTENT);
    let mut cells: BTreeMap<(u32, u32), Vec<Member>> = BTreeMap::new();
    for e in layer.tree().locate_in_envelope(&rstar::AABB::from_corners(min, max)) {
        let f = &layer.features()[e.data];
        if !filter.matches(f) {
            continue;
        }
        let px = t.unit_to_pixel(b.dictionary().unit_square(e.data));
        if !(0.0..side).contains(&px[0]) || !(0.0..side).contains(&px[1]) {
            continue; // owned by a neighbouring tile
        }
        cells.entry(cluster.cell_of(px)).or_default().push((e.data, px));
    }
    for (cell, members) in cells {
        if let [(i, px)] = members.as_slice() {
            b.push_stored(point_feature(*px), *i);
            continue;
        }
        let n = members.len();
        let mean = members
            .iter()
            .fold([0.0, 0.0], |a, (_, p)| [a[0] + p[0] / n as f64, a[1] + p[1] / n as f64]);
        let top = b.dictionary().top_industries(members.iter().map(|(i, _)| *i));
        b.push_made(point_feature(mean), cluster_props(t, cell, cluster, n, top));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coords_are_validated() {
        assert!(TileCoord::new(0, 0, 0).is_ok());
        assert_eq!(
            TileCoord::new(17, 0, 0).unwrap_err(),
            TileError::BadCoord {
                parameter: "z",
                detail: "zoom 17 is outside 0..=16".into()
            }
        );
        assert!(matches!(TileCoord::new(3, 8, 0), Err(TileError::BadCoord { parameter: "x", .. })));
        assert!(matches!(TileCoord::new(3, 0, 8), Err(TileError::BadCoord { parameter: "y", .. })));
    }

    #[test]
    fn bboxes_match_the_xyz_scheme() {
        let t = TileCoord::new(1, 1, 0).unwrap();
        let [w, s, e, n] = t.bbox_lonlat();
        assert!((w - 0.0).abs() < 1e-9 && (e - 180.0).abs() < 1e-9 && s.abs() < 1e-9 && (n - MAX_LAT).abs() < 1e-9);
        let [mw, ms, me, mn] = t.bbox_mercator();
        assert!(mw.abs() < 1e-6 && ms.abs() < 1e-6 && (me - 20_037_508.342_789_244).abs() < 1e-6 && (mn - me).abs() < 1e-6);
        // Botou (116.578, 38.076) at z6 is tile 52/24 (x = floor((116.578+180)/360·64)).
        assert_eq!(TileCoord::containing(6, 116.578, 38.076), TileCoord { z: 6, x: 52, y: 24 });
        let [px, py] = TileCoord { z: 6, x: 52, y: 24 }.lonlat_to_pixel(116.578, 38.076);
        assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py));
    }

    #[test]
    fn cluster_radius_rounds_to_whole_cells_per_tile_side() {
        let n = |r: f64| ClusterOptions::new(r).unwrap().cells_per_side();
        assert_eq!(ClusterOptions::default(), ClusterOptions::new(64.0).unwrap());
        assert_eq!((n(8.0), n(64.0), n(100.0), n(128.0), n(400.0), n(512.0)), (64, 8, 5, 4, 1, 1));
        assert_eq!(ClusterOptions::default().cell_size(), 512.0);
        assert_eq!(ClusterOptions::new(100.0).unwrap().cell_size(), 4096.0 / 5.0);
        for bad in [7.9, 513.0, 0.0, -64.0, f64::NAN] {
            assert!(matches!(ClusterOptions::new(bad), Err(TileError::BadClusterRadius(_))), "{bad}");
        }
        assert_eq!("128".parse::<ClusterOptions>().unwrap().cells_per_side(), 4);
        assert!("abc".parse::<ClusterOptions>().is_err());
        // The default grid is today's: 512-unit cells; the last pixel stays in the last cell.
        let d = ClusterOptions::default();
        assert_eq!(d.cell_of([511.9, 512.0]), (0, 1));
        assert_eq!(d.cell_of([4095.99, 0.0]), (7, 0));
        assert_eq!(ClusterOptions::new(100.0).unwrap().cell_of([819.1, 819.3]), (0, 1));
    }

    #[test]
    fn a_tile_beyond_the_point_cap_is_clustered_at_any_zoom() {
        use crate::atlas::PointLayer;
        // 5,000 points in a 0.02° square in the middle of one z10 tile, 100 in another.
        let middle = |t: TileCoord| {
            let [w, s, e, n] = t.bbox_lonlat();
            ((w + e) / 2.0, (s + n) / 2.0)
        };
        let (dense, sparse) = (TileCoord::containing(10, 116.31, 39.91), TileCoord::containing(10, 110.31, 30.91));
        let mut rng = fastrand::Rng::with_seed(7);
        let mut scatter = |prefix: &str, n: usize, (lon, lat): (f64, f64)| {
            (0..n)
                .map(|i| {
                    crate::analysis::proximity::tests_support::place(
                        &format!("{prefix}{i}"),
                        lon + rng.f64() * 0.02,
                        lat + rng.f64() * 0.02,
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut features = scatter("d", 5_000, middle(dense));
        features.extend(scatter("s", 100, middle(sparse)));
        let layer = PointLayer::new("dense", "Dense", features);
        let dict = point_tags::PointDictionary::new(layer.features());
        let all = PointFilter::default();
        let counts = |t: TileCoord| {
            let bytes = encode_point_tile(&layer, &dict, "dense", t, ClusterOptions::default(), &all).unwrap();
            let tile = geozero::mvt::Tile::decode(bytes.as_slice()).unwrap();
            let l = &tile.layers[0];
            let key = l.keys.iter().position(|k| k == "point_count").map(|k| k as u32);
            let (mut clusters, mut points, mut members) = (0, 0, 0);
            for f in &l.features {
                match key.and_then(|k| f.tags.chunks(2).find(|t| t[0] == k)) {
                    Some(t) => {
                        clusters += 1;
                        members += l.values[t[1] as usize].uint_value.unwrap();
                    }
                    None => points += 1,
                }
            }
            (clusters, points, members)
        };
        let (c, p, m) = counts(dense);
        assert!(c > 0 && c <= 64, "a dense z10 tile is clustered: {c} clusters, {p} points");
        assert_eq!(m + p, 5_000, "every point once");
        assert_eq!(counts(sparse), (0, 100, 0), "a sparse tile shows its points");
        const { assert!(MAX_TILE_POINTS < 5_000) };
    }

    #[test]
    fn abbreviations() {
        assert_eq!(abbreviate(999), "999");
        assert_eq!(abbreviate(1234), "1.2k");
        assert_eq!(abbreviate(12_345), "12k");
    }
}
