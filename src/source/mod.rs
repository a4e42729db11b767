//! Point-layer data sources: the narrow read interface the API asks its questions through,
//! and where layers that outgrow memory live.
//!
//! [`PointSource`] is what a request needs of a point layer — describe it, page through it
//! (bbox, typed filters, CQL2), get one feature, the nearest and within-radius features, the
//! counts per admin code for density, and one vector tile. Two implementations:
//! the in-memory layers of [`crate::atlas::Atlas`] (answered by [`crate::analysis`]), and
//! [`postgis::PostgisLayer`] over a table in PostgreSQL/PostGIS, which pushes every question
//! down as SQL and never loads the layer. Admin boundaries stay in the atlas: they are small
//! and every question needs them.
//!
//! Answers are owned values so that both implementations return the same types; features
//! are [`SharedFeature`]s, so an in-memory answer clones a pointer, not a feature.
//!
//! [`PointSources`] is the set a server answers from: the atlas's layers, then the
//! database's. Handlers, density, tiles and the web map see only this set.

pub mod memory;
pub mod postgis;

use crate::analysis::features::{Queryable, Selection};
use crate::analysis::{AnalysisError, PointFilter};
pub use crate::atlas::SharedFeature;
use crate::atlas::{Atlas, DEFAULT_POINT_LAYER};
use crate::model::TimeSpan;
use crate::tiles::{ClusterOptions, TileCoord};
use geo::Point;
use std::sync::Arc;

/// What a layer is, computed once when the source is opened.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    /// Layer (collection) name.
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// One sentence on what the layer holds and where it lives.
    pub description: String,
    /// Licence or terms of the data, if recorded.
    pub licence: Option<String>,
    /// Number of features.
    pub count: usize,
    /// `[west, south, east, north]` of the features, `None` when empty.
    pub extent: Option<[f64; 4]>,
    /// The span of the features' times, if any has one.
    pub temporal: Option<TimeSpan>,
    /// The properties requests may filter on.
    pub queryables: Vec<Queryable>,
}

/// One page of features, in layer order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturePage {
    /// The features of the page.
    pub features: Vec<SharedFeature>,
    /// How many features the whole selection has.
    pub number_matched: usize,
}

/// A feature found near a point, with its great-circle distance in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    /// The feature.
    pub feature: SharedFeature,
    /// Haversine distance from the query point (the one formula of [`crate::analysis::proximity::distance_m`]).
    pub distance_m: f64,
}

/// Features within a radius, nearest first, with the number that matched before `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct WithinAnswer {
    /// At most `limit` features, nearest first (ties by id).
    pub hits: Vec<Near>,
    /// All features within the radius.
    pub number_matched: usize,
}

pub use crate::analysis::density::CodeCount;

/// Matching features per H3 cell, cells in ascending index order.
pub type HexCounts = Vec<(h3o::CellIndex, usize)>;

/// Why a source could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The request is invalid for this layer (bad filter, unsupported CQL2 operator, …).
    #[error(transparent)]
    Invalid(#[from] AnalysisError),
    /// The backing store is unreachable or timed out; the request may be retried.
    #[error("layer '{layer}' is unavailable: {detail}")]
    Unavailable {
        /// The layer.
        layer: String,
        /// What failed (connection refused, statement timeout, …).
        detail: String,
    },
    /// The layer cannot answer this kind of question (e.g. H3 counts of a database layer).
    #[error("layer '{layer}' does not support {what}")]
    Unsupported {
        /// The layer.
        layer: String,
        /// The question.
        what: &'static str,
    },
    /// A bug or corrupt stored data.
    #[error("layer '{layer}': {detail}")]
    Internal {
        /// The layer.
        layer: String,
        /// What went wrong.
        detail: String,
    },
}

/// Result alias of source calls.
pub type SourceResult<T> = Result<T, SourceError>;

/// The questions the API asks of a point layer. Every call validates nothing the adapter
/// already validated (coordinates, `k`, radius, limits) and answers exactly what the
/// in-memory analysis answers for the same features.
#[async_trait::async_trait]
pub trait PointSource: Send + Sync + std::fmt::Debug {
    /// What the layer is (computed when the source was opened).
    fn info(&self) -> &LayerInfo;

    /// A page of the features a selection matches, in layer order.
    async fn items(&self, query: &Selection) -> SourceResult<FeaturePage>;

    /// The feature with this id.
    async fn feature(&self, id: &str) -> SourceResult<Option<SharedFeature>>;

    /// The `k` features nearest to `center` that pass `filter`, nearest first (ties by id).
    async fn nearest(&self, center: Point<f64>, k: usize, filter: &PointFilter) -> SourceResult<Vec<Near>>;

    /// The features within `radius_m` metres of `center` that pass `filter`, nearest first,
    /// at most `limit` of them.
    async fn within(&self, center: Point<f64>, radius_m: f64, limit: usize, filter: &PointFilter) -> SourceResult<WithinAnswer>;

    /// Counts of the features passing `filter` per combination of admin codes.
    async fn code_counts(&self, filter: &PointFilter) -> SourceResult<Vec<CodeCount>>;

    /// Counts of the features passing `filter` per H3 cell of `resolution` (checked by the
    /// caller). Only layers that hold their points can place them in cells.
    async fn hex_counts(&self, filter: &PointFilter, resolution: h3o::Resolution) -> SourceResult<HexCounts> {
        let _ = (filter, resolution);
        Err(SourceError::Unsupported {
            layer: self.info().name.clone(),
            what: "H3 counts",
        })
    }

    /// One vector tile of the layer (named `layer_name` inside the tile), clustered on the
    /// grid of `cluster` below [`crate::tiles::CLUSTER_MAX_ZOOM`]; `None` when empty.
    async fn tile(&self, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter) -> SourceResult<Option<Vec<u8>>>;

    /// The points passing `filter` in grid cell `cell` of tile `tile` (a cluster of the
    /// layer's tiles), by id, at most `limit`.
    async fn cluster_members(
        &self,
        tile: TileCoord,
        cell: (u32, u32),
        cluster: ClusterOptions,
        filter: &PointFilter,
        limit: usize,
    ) -> SourceResult<Vec<SharedFeature>>;
}

/// A point layer as the API sees it.
pub type Source = Arc<dyn PointSource>;

/// The point layers a server answers from: the atlas's (the default layer first), then the
/// database's, each name once. Built once per atlas.
#[derive(Debug, Clone, Default)]
pub struct PointSources {
    layers: Vec<Source>,
}

impl PointSources {
    /// The point layers of `atlas`, then those of `remote` whose names are free (neither an
    /// atlas layer nor an admin level).
    #[must_use]
    pub fn new(atlas: &Arc<Atlas>, remote: &[Source]) -> Self {
        let mut layers: Vec<Source> = (0..atlas.point_layers().len())
            .map(|i| Arc::new(memory::MemoryLayer::new(atlas.clone(), i)) as Source)
            .collect();
        for r in remote {
            let name = &r.info().name;
            let taken = layers.iter().any(|l| &l.info().name == name) || crate::model::AdminLevel::from_layer_name(name).is_some();
            if taken {
                tracing::warn!(layer = %name, "a database layer has the name of a layer in memory; not served");
            } else {
                layers.push(r.clone());
            }
        }
        Self { layers }
    }

    /// Every layer, in order.
    #[must_use]
    pub fn all(&self) -> &[Source] {
        &self.layers
    }

    /// The layer with this name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Source> {
        self.layers.iter().find(|l| l.info().name == name)
    }

    /// The layers a filter selects: the one its `layer` names, else all.
    pub fn selected<'a>(&'a self, filter: &'a PointFilter) -> impl Iterator<Item = &'a Source> + 'a {
        self.layers
            .iter()
            .filter(move |l| filter.layer.as_deref().is_none_or(|n| n == l.info().name))
    }

    /// The default layer, if served.
    #[must_use]
    pub fn default_layer(&self) -> Option<&Source> {
        self.get(DEFAULT_POINT_LAYER)
    }
}
