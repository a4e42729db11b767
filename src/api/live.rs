//! Serving data that may change: the whole router (atlas, tile cache, routes) is swapped for a
//! new one when the data folder changes, so handlers keep reading one immutable [`Atlas`]
//! snapshot per request and never see a half-loaded one.
//!
//! [`Atlas`]: crate::atlas::Atlas

use axum::Router;
use axum::extract::Request;
use std::convert::Infallible;
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
