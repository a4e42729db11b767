//! The immutable in-memory index: admin units with R-trees over their envelopes.
//!
//! Built once by the loader ([`crate::load`]) and shared as `Arc<Atlas>` with no locks;
//! reloading means building a new Atlas. All data access goes through this narrow read
//! API so that a database-backed source can replace it later.

pub mod names;
pub mod pip;

use crate::model::queryable::{Queryable, point_queryables};
use crate::model::{AdminCode, AdminLevel, AdminUnit, PlaceFeature, TimeSpan};
use geo::{BoundingRect, MultiPolygon, Point, Simplify};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Douglas–Peucker tolerance, in degrees, of [`Atlas::admin_simplified`] (about 1.1 km
/// north–south): small enough for a national choropleth, large enough that all counties
/// serialize to well under 5 MB of GeoJSON.
pub const SIMPLIFY_TOLERANCE_DEG: f64 = 0.01;

/// R-tree entry: the bounding box of one admin unit with its index in the level's `Vec`.
pub type EnvelopeEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// One level of admin units with its spatial and code indexes.
#[derive(Debug, Default)]
struct AdminLayer {
    units: Vec<AdminUnit>,
    tree: RTree<EnvelopeEntry>,
    by_code: HashMap<AdminCode, usize>,
    /// Band indexes for point-in-polygon, one per unit in `units` order (see [`pip`]).
    prepared: Vec<pip::PreparedMultiPolygon>,
    /// Generalised boundaries for display, computed on first use (see [`Atlas::admin_simplified`]).
    simplified: OnceLock<Vec<MultiPolygon<f64>>>,
}

impl AdminLayer {
    fn new(units: Vec<AdminUnit>) -> Self {
        let entries = units
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                let r = u.geometry.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        let by_code = units.iter().enumerate().map(|(i, u)| (u.code, i)).collect();
        let prepared = pip::prepare_all(&units);
        Self {
            units,
            tree: RTree::bulk_load(entries),
            by_code,
            prepared,
            simplified: OnceLock::new(),
        }
    }
}

/// Name of the curated default point layer (`geodata/clusters.geojson`), listed first.
pub const DEFAULT_POINT_LAYER: &str = "clusters";

/// R-tree entry: one point feature's location with its index in the layer's `Vec`.
pub type PointEntry = GeomWithData<[f64; 2], usize>;

/// A point feature shared between the layer that holds it and the answers that return it
/// (an answer clones the `Arc`, not the feature's properties).
pub type SharedFeature = Arc<PlaceFeature>;

/// A named layer of point features (clusters, or a user's import) with its R-tree.
#[derive(Debug)]
pub struct PointLayer {
    name: String,
    title: String,
    features: Vec<SharedFeature>,
    tree: RTree<PointEntry>,
    by_id: HashMap<String, usize>,
    temporal: Option<TimeSpan>,
    queryables: Vec<Queryable>,
}

impl PointLayer {
    /// Indexes `features` under `name`.
    #[must_use]
    pub fn new(name: impl Into<String>, title: impl Into<String>, features: Vec<PlaceFeature>) -> Self {
        let entries = features
            .iter()
            .enumerate()
            .map(|(i, f)| GeomWithData::new([f.point.x(), f.point.y()], i))
            .collect();
        let by_id = features.iter().enumerate().map(|(i, f)| (f.id.clone(), i)).collect();
        let temporal = features.iter().filter_map(|f| f.time).reduce(TimeSpan::union);
        let queryables = point_queryables(&features);
        let features = features.into_iter().map(Arc::new).collect();
        Self {
            name: name.into(),
            title: title.into(),
            features,
            tree: RTree::bulk_load(entries),
            by_id,
            temporal,
            queryables,
        }
    }

    /// Scalar properties of the features (typed by their first non-null value), computed once
    /// here rather than rescanned for every filtered request.
    #[must_use]
    pub fn queryables(&self) -> &[Queryable] {
        &self.queryables
    }

    /// The span of the features' times (computed once), if any feature has one.
    #[must_use]
    pub fn temporal_extent(&self) -> Option<TimeSpan> {
        self.temporal
    }

    /// Layer name (`clusters`, or the name given at import).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Human-readable title.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }

    /// All features, in file order.
    #[must_use]
    pub fn features(&self) -> &[SharedFeature] {
        &self.features
    }

    /// The `[west, south, east, north]` of the features (the R-tree root), `None` when empty.
    #[must_use]
    pub fn extent(&self) -> Option<[f64; 4]> {
        (self.tree.size() > 0).then(|| {
            let e = self.tree.root().envelope();
            [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]]
        })
    }

    /// The feature with this id.
    #[must_use]
    pub fn feature(&self, id: &str) -> Option<&SharedFeature> {
        self.by_id.get(id).map(|&i| &self.features[i])
    }

    /// The position in [`PointLayer::features`] of the feature with this id.
    #[must_use]
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The point R-tree (entries carry indexes into [`PointLayer::features`]); coordinates
    /// are lon/lat degrees, so tree distances are squared degrees, to be refined to metres.
    #[must_use]
    pub fn tree(&self) -> &RTree<PointEntry> {
        &self.tree
    }
}

/// A point layer of the data folder that did not load and is not served (the other layers are).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedLayer {
    /// Layer name: the file's stem.
    pub name: String,
    /// File name inside the data folder (no folder path, which is nobody's business).
    pub file: String,
    /// Why it was rejected, naming the record where there is one.
    pub error: String,
}

/// The read-only atlas of admin boundaries and point layers.
#[derive(Debug, Default)]
pub struct Atlas {
    admin: [AdminLayer; 3],
    points: Vec<PointLayer>,
    names: names::NameIndex,
    rejected: Vec<RejectedLayer>,
}

fn slot(level: AdminLevel) -> usize {
    match level {
        AdminLevel::Province => 0,
        AdminLevel::Prefecture => 1,
        AdminLevel::County => 2,
    }
}

impl Atlas {
    /// Starts building an atlas.
    #[must_use]
    pub fn builder() -> AtlasBuilder {
        AtlasBuilder::default()
    }

    /// All units of one level, in file order.
    #[must_use]
    pub fn admin_units(&self, level: AdminLevel) -> &[AdminUnit] {
        &self.admin[slot(level)].units
    }

    /// Generalised boundaries of the units of `level`, in [`Atlas::admin_units`] order:
    /// Douglas–Peucker at [`SIMPLIFY_TOLERANCE_DEG`] (rings keep at least 4 points, so
    /// every unit stays drawable). Computed once on first call, then shared; neighbours are
    /// simplified independently, so shared borders may show slivers at full zoom.
    #[must_use]
    pub fn admin_simplified(&self, level: AdminLevel) -> &[MultiPolygon<f64>] {
        let layer = &self.admin[slot(level)];
        layer
            .simplified
            .get_or_init(|| layer.units.iter().map(|u| u.geometry.simplify(SIMPLIFY_TOLERANCE_DEG)).collect())
    }

    /// The unit of `level` with this code, if any.
    #[must_use]
    pub fn admin_by_code(&self, level: AdminLevel, code: AdminCode) -> Option<&AdminUnit> {
        let layer = &self.admin[slot(level)];
        layer.by_code.get(&code).map(|&i| &layer.units[i])
    }

    /// Units of `level` whose bounding box contains the point (candidates for an exact
    /// point-in-polygon test).
    pub fn admin_candidates(&self, level: AdminLevel, point: Point<f64>) -> impl Iterator<Item = &AdminUnit> {
        let layer = &self.admin[slot(level)];
        layer
            .tree
            .locate_all_at_point(&[point.x(), point.y()])
            .map(move |e| &layer.units[e.data])
    }

    /// The first unit of `level` whose geometry contains the point, boundary included:
    /// exactly `admin_candidates(level, point).find(|u| u.geometry.intersects(&point))`
    /// (same R-tree order, so a point on a shared border gets the same unit), answered
    /// through per-unit band indexes built with the atlas (see [`pip`]).
    #[must_use]
    pub fn admin_containing(&self, level: AdminLevel, point: Point<f64>) -> Option<&AdminUnit> {
        let layer = &self.admin[slot(level)];
        layer
            .tree
            .locate_all_at_point(&[point.x(), point.y()])
            .map(|e| e.data)
            .find(|&i| layer.prepared[i].intersects(&layer.units[i].geometry, point.0))
            .map(|i| &layer.units[i])
    }

    /// Units of `level` whose bounding box intersects the box `[min, max]` (lon/lat degrees).
    pub fn admin_in_envelope(&self, level: AdminLevel, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = &AdminUnit> {
        let units = &self.admin[slot(level)].units;
        self.admin_indices_in_envelope(level, min, max).map(move |i| &units[i])
    }

    /// [`Atlas::admin_in_envelope`] as indices into [`Atlas::admin_units`] (for data kept
    /// per unit beside the atlas, such as generalised tile geometry).
    pub fn admin_indices_in_envelope(&self, level: AdminLevel, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.admin[slot(level)]
            .tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|e| e.data)
    }

    /// The bounding box of all units of `level` (the R-tree root), `None` when empty.
    #[must_use]
    pub fn admin_extent(&self, level: AdminLevel) -> Option<AABB<[f64; 2]>> {
        let tree = &self.admin[slot(level)].tree;
        (tree.size() > 0).then(|| tree.root().envelope())
    }

    /// All point layers, the default `clusters` layer first.
    #[must_use]
    pub fn point_layers(&self) -> &[PointLayer] {
        &self.points
    }

    /// The name index over admin units and point features (for search).
    #[must_use]
    pub fn names(&self) -> &names::NameIndex {
        &self.names
    }

    /// The point layer with this name.
    #[must_use]
    pub fn point_layer(&self, name: &str) -> Option<&PointLayer> {
        self.points.iter().find(|l| l.name == name)
    }

    /// Feature count per admin level, largest level first.
    #[must_use]
    pub fn admin_counts(&self) -> [(AdminLevel, usize); 3] {
        AdminLevel::ALL.map(|l| (l, self.admin_units(l).len()))
    }

    /// Feature count of every layer served, by layer name: the admin levels (largest
    /// first), then the point layers.
    #[must_use]
    pub fn layer_counts(&self) -> Vec<(&str, usize)> {
        let admin = self.admin_counts().map(|(l, n)| (l.layer_name(), n));
        admin
            .into_iter()
            .chain(self.points.iter().map(|p| (p.name(), p.features().len())))
            .collect()
    }

    /// Point layers found in the data folder that did not load, by name.
    #[must_use]
    pub fn rejected_layers(&self) -> &[RejectedLayer] {
        &self.rejected
    }
}

/// Collects layers and builds the [`Atlas`] with bulk-loaded R-trees.
#[derive(Debug, Default)]
pub struct AtlasBuilder {
    admin: [Vec<AdminUnit>; 3],
    points: Vec<PointLayer>,
    rejected: Vec<RejectedLayer>,
}

impl AtlasBuilder {
    /// Sets the units of one admin level.
    #[must_use]
    pub fn admin_units(mut self, level: AdminLevel, units: Vec<AdminUnit>) -> Self {
        self.admin[slot(level)] = units;
        self
    }

    /// Adds (or replaces) a point layer.
    #[must_use]
    pub fn point_layer(mut self, layer: PointLayer) -> Self {
        self.points.retain(|l| l.name != layer.name);
        self.points.push(layer);
        self
    }

    /// Records a point layer that was found but not loaded.
    #[must_use]
    pub fn rejected_layer(mut self, rejected: RejectedLayer) -> Self {
        self.rejected.push(rejected);
        self
    }

    /// Builds the indexes and freezes the atlas; the `clusters` layer sorts first, the
    /// others by name.
    #[must_use]
    pub fn build(mut self) -> Atlas {
        self.points
            .sort_by(|a, b| (a.name != DEFAULT_POINT_LAYER, &a.name).cmp(&(b.name != DEFAULT_POINT_LAYER, &b.name)));
        let admin = self.admin.map(AdminLayer::new);
        let names = names::NameIndex::build(
            AdminLevel::ALL.map(|level| (level, admin[slot(level)].units.as_slice())),
            &self.points,
        );
        self.rejected.sort_by(|a, b| a.name.cmp(&b.name));
        Atlas {
            admin,
            points: self.points,
            names,
            rejected: self.rejected,
        }
    }
}
