//! The axum adapter: routes, state, middleware. Handlers parse, ask [`crate::source`]
//! (point layers) or [`crate::analysis`] (admin units), and encode; they hold no domain
//! logic.

pub mod admin;
pub mod base_url;
pub mod body;
pub mod conditional;
pub mod convert;
pub mod csv_cell;
pub mod density;
pub mod error;
pub mod extract;
pub mod health;
pub mod limits;
pub mod live;
pub mod ogc;
pub mod openapi;
pub mod param_schemas;
pub mod params;
pub mod problem;
pub mod proximity;
pub mod reverse;
pub mod search;
pub mod stream;
pub mod tiles;
pub mod web;

use crate::atlas::Atlas;
use crate::source::{PointSources, Source};
use axum::Router;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::ApiError;

/// Shared, read-only state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The immutable atlas (admin boundaries; its point layers are answered through
    /// [`AppState::layers`]).
    pub atlas: Arc<Atlas>,
    /// Every point layer served, in memory or in a database: handlers ask their questions
    /// through this interface only.
    pub layers: Arc<PointSources>,
    /// Encoded tiles shared by all requests (`serve --tile-cache-mb`).
    pub tile_cache: Arc<crate::tiles::cache::TileCache>,
    /// Generalised boundaries and counts of this atlas for admin tiles, built once.
    pub prepared_tiles: Arc<crate::tiles::prepared::PreparedTiles>,
    /// What the TileJSON documents say of each layer, built once.
    pub tilesets: Arc<tiles::TileSets>,
    /// The in-memory point features' properties as JSON, encoded once for this atlas.
    pub encoded: Arc<crate::geojson_out::EncodedLayers>,
    /// How point layers are clustered in tiles (`serve --cluster-radius`).
    pub cluster: crate::tiles::ClusterOptions,
    /// How absolute links get their base URL (`serve --public-url`, `--trust-forwarded`).
    pub public_base: base_url::PublicBase,
    /// Ceilings on what one request may ask for (`serve --max-*`).
    pub limits: limits::QueryLimits,
    /// The OpenAPI document of this state, built on the first `/api` request (any `with_*`
    /// that changes what it describes starts a new one).
    pub openapi: Arc<std::sync::OnceLock<serde_json::Value>>,
}

impl AppState {
    /// Wraps an atlas for serving.
    #[must_use]
    pub fn new(atlas: Atlas) -> Self {
        Self::from_shared(Arc::new(atlas))
    }

    /// Wraps a shared atlas with a default-sized tile cache.
    #[must_use]
    pub fn from_shared(atlas: Arc<Atlas>) -> Self {
        Self::serving(atlas, &[])
    }

    /// Serves `atlas` and the database layers `remote` (a name the atlas has already is
    /// left out), with a default-sized tile cache.
    #[must_use]
    pub fn serving(atlas: Arc<Atlas>, remote: &[Source]) -> Self {
        let layers = Arc::new(PointSources::new(&atlas, remote));
        Self {
            encoded: Arc::new(crate::geojson_out::EncodedLayers::new(&atlas)),
            tilesets: Arc::new(tiles::TileSets::new(&atlas, &layers)),
            layers,
            atlas,
            tile_cache: Arc::default(),
            prepared_tiles: Arc::default(),
            cluster: crate::tiles::ClusterOptions::default(),
            public_base: base_url::PublicBase::default(),
            limits: limits::QueryLimits::default(),
            openapi: Arc::default(),
        }
    }

    /// Applies `limits` instead of the defaults.
    #[must_use]
    pub fn with_limits(mut self, limits: limits::QueryLimits) -> Self {
        self.limits = limits;
        self.openapi = Arc::default();
        self
    }

    /// Chooses how links get their base URL.
    #[must_use]
    pub fn with_public_base(mut self, public_base: base_url::PublicBase) -> Self {
        self.public_base = public_base;
        self
    }

    /// Replaces the tile cache with an empty one of `mb` megabytes.
    #[must_use]
    pub fn with_tile_cache_mb(mut self, mb: u64) -> Self {
        self.tile_cache = Arc::new(crate::tiles::cache::TileCache::with_megabytes(mb));
        self
    }

    /// Clusters point-layer tiles with `cluster` instead of the default 64-pixel radius.
    #[must_use]
    pub fn with_cluster_options(mut self, cluster: crate::tiles::ClusterOptions) -> Self {
        self.cluster = cluster;
        self
    }
}

/// The whole application; tests call this with a fixture atlas.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(ogc::router())
        .merge(openapi::router())
        .merge(reverse::router())
        .merge(proximity::router())
        .merge(search::router())
        .merge(convert::router())
        .merge(density::router())
        .merge(tiles::router())
        .merge(web::router())
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::map_response(problem::every_error_a_problem))
        .layer(CompressionLayer::new())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD])
                .allow_headers(Any),
        )
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no resource at {}", uri.path()))
}
