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
//! Answers are owned values so that both implementations return the same types; the
//! in-memory handlers keep their borrowed fast paths for the in-memory layers.

pub mod postgis;

use crate::analysis::features::{Bbox, Queryable};
use crate::analysis::{AnalysisError, PointFilter};
use crate::model::{DatetimeFilter, PlaceFeature, TimeSpan};
use crate::tiles::{ClusterOptions, TileCoord};
use geo::Point;

/// What a layer is, computed once when the source is opened.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    /// Layer (collection) name.
    pub name: String,
    /// Human-readable title.
    pub title: String,
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

/// An items request on one point layer, with its filters already parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsQuery {
    /// Only features inside this box.
    pub bbox: Option<Bbox>,
    /// `property = value` pairs (query-string equality on queryables), all must hold.
    pub equals: Vec<(String, String)>,
    /// Only features whose time intersects this.
    pub datetime: Option<DatetimeFilter>,
    /// A CQL2 filter whose property names were checked against the queryables.
    pub filter: Option<cql2::Expr>,
    /// Features to skip.
    pub offset: usize,
    /// Most features to return.
    pub limit: usize,
}

/// One page of features, in layer order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturePage {
    /// The features of the page.
    pub features: Vec<PlaceFeature>,
    /// How many features the whole selection has.
    pub number_matched: usize,
}

/// A feature found near a point, with its great-circle distance in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    /// The feature.
    pub feature: PlaceFeature,
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
    async fn items(&self, query: &ItemsQuery) -> SourceResult<FeaturePage>;

    /// The feature with this id.
    async fn feature(&self, id: &str) -> SourceResult<Option<PlaceFeature>>;

    /// The `k` features nearest to `center` that pass `filter`, nearest first (ties by id).
    async fn nearest(&self, center: Point<f64>, k: usize, filter: &PointFilter) -> SourceResult<Vec<Near>>;

    /// The features within `radius_m` metres of `center` that pass `filter`, nearest first,
    /// at most `limit` of them.
    async fn within(&self, center: Point<f64>, radius_m: f64, limit: usize, filter: &PointFilter) -> SourceResult<WithinAnswer>;

    /// Counts of the features passing `filter` per combination of admin codes.
    async fn code_counts(&self, filter: &PointFilter) -> SourceResult<Vec<CodeCount>>;

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
    ) -> SourceResult<Vec<PlaceFeature>>;
}
