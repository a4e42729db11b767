//! The in-memory implementation of [`PointSource`]: one point layer of an [`Atlas`],
//! answered by [`crate::analysis`] over its R-tree.
//!
//! A question about a small layer is answered on the caller's task (it takes
//! microseconds, less than a hand-off to another thread); one about a large layer (an
//! import of millions of points) runs on the blocking pool, so a CQL2 scan never stalls
//! the async threads.

use super::{CodeCount, FeaturePage, HexCounts, LayerInfo, Near, PointSource, SharedFeature, SourceError, SourceResult, WithinAnswer};
use crate::analysis::features::Selection;
use crate::analysis::{self, NearestQuery, PointFilter, WithinQuery};
use crate::atlas::{Atlas, PointLayer};
use crate::tiles::point_tags::PointDictionary;
use crate::tiles::{ClusterOptions, TileCoord};
use geo::Point;
use std::sync::{Arc, OnceLock};

/// Layers up to this many features answer on the caller's task.
pub const INLINE_MAX_FEATURES: usize = 20_000;

/// One point layer of an atlas.
#[derive(Debug, Clone)]
pub struct MemoryLayer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    atlas: Arc<Atlas>,
    /// Position in [`Atlas::point_layers`].
    index: usize,
    info: LayerInfo,
    /// The layer's MVT property dictionary, built on the first tile.
    dictionary: OnceLock<PointDictionary>,
}

impl Inner {
    fn layer(&self) -> &PointLayer {
        &self.atlas.point_layers()[self.index]
    }

    /// `filter` restricted to this layer, for the analysis functions that search the atlas.
    fn only_here(&self, filter: &PointFilter) -> PointFilter {
        PointFilter {
            layer: Some(self.info.name.clone()),
            ..filter.clone()
        }
    }

    fn dictionary(&self) -> &PointDictionary {
        self.dictionary.get_or_init(|| PointDictionary::new(self.layer().features()))
    }
}

impl MemoryLayer {
    /// Point layer number `index` of `atlas`.
    ///
    /// # Panics
    /// If the atlas has no such layer (a caller's bug).
    #[must_use]
    pub fn new(atlas: Arc<Atlas>, index: usize) -> Self {
        let layer = &atlas.point_layers()[index];
        let info = LayerInfo {
            name: layer.name().to_owned(),
            title: layer.title().to_owned(),
            description: format!(
                "Point layer '{}': {} features with their county, prefecture and province codes.",
                layer.name(),
                layer.features().len()
            ),
            licence: None,
            count: layer.features().len(),
            extent: layer.extent(),
            temporal: layer.temporal_extent(),
            queryables: layer.queryables().to_vec(),
        };
        Self {
            inner: Arc::new(Inner {
                atlas,
                index,
                info,
                dictionary: OnceLock::new(),
            }),
        }
    }

    /// Runs `f` on this task for a small layer, on the blocking pool for a large one.
    async fn run<T, F>(&self, f: F) -> SourceResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> SourceResult<T> + Send + 'static,
    {
        if self.inner.info.count <= INLINE_MAX_FEATURES {
            return f(&self.inner);
        }
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| SourceError::Internal {
                layer: self.inner.info.name.clone(),
                detail: e.to_string(),
            })?
    }
}

fn shared<'a>(features: impl IntoIterator<Item = &'a SharedFeature>) -> Vec<SharedFeature> {
    features.into_iter().map(Arc::clone).collect()
}

#[async_trait::async_trait]
impl PointSource for MemoryLayer {
    fn info(&self) -> &LayerInfo {
        &self.inner.info
    }

    async fn items(&self, query: &Selection) -> SourceResult<FeaturePage> {
        let query = query.clone();
        self.run(move |i| {
            let page = analysis::features::select_points(i.layer(), &query)?;
            Ok(FeaturePage {
                features: shared(page.items),
                number_matched: page.number_matched,
            })
        })
        .await
    }

    async fn feature(&self, id: &str) -> SourceResult<Option<SharedFeature>> {
        Ok(self.inner.layer().feature(id).cloned())
    }

    async fn nearest(&self, center: Point<f64>, k: usize, filter: &PointFilter) -> SourceResult<Vec<Near>> {
        let filter = self.inner.only_here(filter);
        self.run(move |i| {
            let query = NearestQuery {
                lon: center.x(),
                lat: center.y(),
                k,
                filter,
            };
            let hits = analysis::nearest(&i.atlas, &query)?;
            Ok(hits
                .into_iter()
                .map(|h| Near {
                    feature: Arc::clone(h.feature),
                    distance_m: h.distance_m,
                })
                .collect())
        })
        .await
    }

    async fn within(&self, center: Point<f64>, radius_m: f64, limit: usize, filter: &PointFilter) -> SourceResult<WithinAnswer> {
        let filter = self.inner.only_here(filter);
        self.run(move |i| {
            let query = WithinQuery {
                lon: center.x(),
                lat: center.y(),
                radius_m,
                filter,
            };
            let hits = analysis::within_radius(&i.atlas, &query)?;
            let number_matched = hits.len();
            Ok(WithinAnswer {
                hits: hits
                    .into_iter()
                    .take(limit)
                    .map(|h| Near {
                        feature: Arc::clone(h.feature),
                        distance_m: h.distance_m,
                    })
                    .collect(),
                number_matched,
            })
        })
        .await
    }

    async fn code_counts(&self, filter: &PointFilter) -> SourceResult<Vec<CodeCount>> {
        let filter = filter.clone();
        self.run(move |i| Ok(analysis::density::code_counts(i.layer(), &filter))).await
    }

    async fn hex_counts(&self, filter: &PointFilter, resolution: h3o::Resolution) -> SourceResult<HexCounts> {
        let filter = filter.clone();
        self.run(move |i| Ok(analysis::density::hex_counts(i.layer(), &filter, resolution)))
            .await
    }

    async fn tile(&self, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter) -> SourceResult<Option<Vec<u8>>> {
        let filter = filter.clone();
        self.run(move |i| {
            Ok(crate::tiles::encode_point_tile(
                i.layer(),
                i.dictionary(),
                &i.info.name,
                t,
                cluster,
                &filter,
            ))
        })
        .await
    }

    async fn cluster_members(
        &self,
        tile: TileCoord,
        cell: (u32, u32),
        cluster: ClusterOptions,
        filter: &PointFilter,
        limit: usize,
    ) -> SourceResult<Vec<SharedFeature>> {
        let filter = filter.clone();
        self.run(move |i| {
            let members = crate::tiles::expand::cluster_members(i.layer(), tile, cell, cluster, &filter);
            Ok(shared(members.into_iter().take(limit)))
        })
        .await
    }
}
