//! Serving data that may change: the whole router (atlas, tile cache, routes) is swapped for a
//! new one when the data folder changes, so handlers keep reading one immutable [`Atlas`]
//! snapshot per request and never see a half-loaded one. [`Reloader`] is the one way a new
//! atlas gets in: the folder watcher, SIGHUP and `POST /admin/reload` all call it.

use crate::atlas::{Atlas, RejectedLayer};
use crate::load::LoadError;
use crate::source::Source;
use axum::Router;
use axum::extract::Request;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tower::ServiceExt;

/// The router requests go to now; [`LiveRouter::replace`] swaps it between two requests.
#[derive(Clone)]
pub struct LiveRouter {
    current: Arc<RwLock<Router>>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl LiveRouter {
    /// Starts with `router`.
    #[must_use]
    pub fn new(router: Router) -> Self {
        Self {
            current: Arc::new(RwLock::new(router)),
            generation: Arc::default(),
        }
    }

    /// Sends the following requests to `router`; requests already running finish on the old one.
    pub fn replace(&self, router: Router) {
        // A poisoned lock only means a writer panicked mid-swap; the router in it is whole.
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = router;
        self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many times the router was replaced.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn snapshot(&self) -> Router {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// One router for `axum::serve` that hands every request to the current router.
    pub fn into_router(self) -> Router {
        Router::new().fallback_service(tower::service_fn(move |req: Request| {
            let router = self.snapshot();
            async move { router.oneshot(req).await.map_err(|e: Infallible| match e {}) }
        }))
    }
}

/// Builds the router that serves one atlas and a database's layers (state, tile cache and
/// options included).
pub type MakeRouter = Arc<dyn Fn(Arc<Atlas>, &[Source]) -> Router + Send + Sync>;

/// Rebuilds the atlas from the data folder, or takes a database's new list of layers, and
/// swaps a router over them into a [`LiveRouter`]. Changes run one at a time, so a slow one
/// finishing late never replaces newer data.
#[derive(Clone)]
pub struct Reloader {
    data: Arc<PathBuf>,
    live: LiveRouter,
    make: MakeRouter,
    /// What is served now (held while a change is made).
    serving: Arc<tokio::sync::Mutex<Serving>>,
}

/// The atlas and the database layers the current router serves.
struct Serving {
    atlas: Arc<Atlas>,
    remote: Vec<Source>,
}

/// What a successful reload now serves.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reloaded {
    /// How many times the data has been replaced since start-up.
    pub generation: u64,
    /// Feature count of every admin and point layer served, by layer name.
    pub layers: serde_json::Map<String, serde_json::Value>,
    /// User layers of the folder that did not load (the others are served).
    pub rejected_layers: Vec<RejectedLayer>,
}

/// Why a reload changed nothing; the previous data keeps being served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReloadError {
    /// The folder does not load: an admin boundary or the default layer is missing or invalid.
    #[error("{0}")]
    Invalid(LoadError),
    /// The loading task itself failed (a panic in the loader).
    #[error("the reload task failed: {0}")]
    Task(String),
}

impl ReloadError {
    /// The problem for a client: the file named inside the data folder, not by its full path.
    #[must_use]
    pub fn client_detail(&self, data: &Path) -> String {
        match self {
            ReloadError::Invalid(e) => {
                let file = e.path().strip_prefix(data).unwrap_or(e.path());
                let file = if file.is_absolute() {
                    file.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned())
                } else {
                    file.display().to_string()
                };
                format!(
                    "the data folder does not load, still serving the previous data: {file}: {}",
                    e.reason()
                )
            }
            ReloadError::Task(_) => "the reload task failed; still serving the previous data".to_owned(),
        }
    }
}

impl Reloader {
    /// Reloads `data` into `live`, which serves `atlas` and `remote` now, each new atlas or
    /// list of database layers served by the router `make` builds.
    #[must_use]
    pub fn new(data: PathBuf, live: LiveRouter, make: MakeRouter, atlas: Arc<Atlas>, remote: Vec<Source>) -> Self {
        Self {
            data: Arc::new(data),
            live,
            make,
            serving: Arc::new(tokio::sync::Mutex::new(Serving { atlas, remote })),
        }
    }

    /// Serves `remote` as the database's layers from now on, beside the same atlas (the
    /// database catalogue changed, or the database answered for the first time).
    pub async fn set_remote(&self, remote: Vec<Source>) {
        let mut serving = self.serving.lock().await;
        self.live.replace((self.make)(serving.atlas.clone(), &remote));
        serving.remote = remote;
        tracing::info!(layers = serving.remote.len(), "database layers changed");
    }

    /// The data folder.
    #[must_use]
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// Loads the folder off the async threads and, if it loads, swaps it in: requests already
    /// running finish on the old atlas, the following ones see the new one.
    ///
    /// # Errors
    /// [`ReloadError`] if the folder does not load (logged; the old atlas keeps serving).
    pub async fn reload(&self) -> Result<Reloaded, ReloadError> {
        let mut serving = self.serving.lock().await;
        let dir = self.data.to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || crate::load::load_dir(&dir)).await;
        let atlas = match loaded {
            Ok(Ok(atlas)) => atlas,
            Ok(Err(e)) => {
                tracing::error!(data = %self.data.display(), error = %e, "reload failed; still serving the previous data");
                return Err(ReloadError::Invalid(e));
            }
            Err(e) => {
                tracing::error!(error = %e, "reload task failed; still serving the previous data");
                return Err(ReloadError::Task(e.to_string()));
            }
        };
        let atlas = Arc::new(atlas);
        let remote = (serving.remote.iter())
            .map(|r| (r.info().name.as_str(), r.info().count))
            .filter(|(name, _)| atlas.point_layer(name).is_none());
        let layers = atlas
            .layer_counts()
            .into_iter()
            .chain(remote)
            .map(|(l, n)| (l.to_owned(), n.into()))
            .collect();
        let rejected_layers = atlas.rejected_layers().to_vec();
        self.live.replace((self.make)(atlas.clone(), &serving.remote));
        serving.atlas = atlas;
        let generation = self.live.generation();
        tracing::info!(data = %self.data.display(), generation, "data reloaded");
        Ok(Reloaded {
            generation,
            layers,
            rejected_layers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;

    async fn body_of(app: Router) -> String {
        let r = app.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
        String::from_utf8(axum::body::to_bytes(r.into_body(), 64).await.unwrap().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn requests_go_to_the_router_of_the_moment() {
        let live = LiveRouter::new(Router::new().route("/", get(|| async { "one" })));
        let app = live.clone().into_router();
        assert_eq!(body_of(app.clone()).await, "one");
        live.replace(Router::new().route("/", get(|| async { "two" })));
        assert_eq!(body_of(app).await, "two");
        assert_eq!(live.generation(), 1);
    }
}
