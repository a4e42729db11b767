//! Load shedding and time limits for every request: at most `max_in_flight` requests are
//! served at once (the rest get 503 + `Retry-After` at once instead of queueing without
//! bound), a request's permit is held until its body has been sent (streamed answers
//! included), and a request that has not started answering within `timeout` gets 503 +
//! `Retry-After`. `/health` is exempt so monitors see a busy server as alive.

use super::error::ApiError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Default for `serve --max-in-flight`.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// Default for `serve --request-timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The limits applied to every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Requests served at once.
    pub max_in_flight: usize,
    /// Longest wait for a response to start.
    pub timeout: Duration,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

#[derive(Clone)]
struct Guard {
    limits: RequestLimits,
    permits: Arc<Semaphore>,
}

/// Wraps `router` (outermost, so one budget covers every route and survives reloads).
pub fn apply(router: Router, limits: RequestLimits) -> Router {
    let guard = Guard {
        limits,
        permits: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
    };
    router.layer(axum::middleware::from_fn_with_state(guard, limit))
}

async fn limit(State(g): State<Guard>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/health" {
        return next.run(req).await;
    }
    let Ok(permit) = g.permits.clone().try_acquire_owned() else {
        return ApiError::Unavailable {
            detail: format!(
                "the server is answering its limit of {} requests at once; retry shortly",
                g.limits.max_in_flight
            ),
            retry_after_s: 1,
        }
        .into_response();
    };
    match tokio::time::timeout(g.limits.timeout, next.run(req)).await {
        Ok(resp) => resp.map(|body| {
            // The permit lives as long as the body: a streamed answer counts until sent.
            Body::new(body.map_frame(move |frame| {
                let _held = &permit;
                frame
            }))
        }),
        Err(_) => ApiError::Unavailable {
            detail: format!("the request did not start answering within {:?}", g.limits.timeout),
            retry_after_s: 5,
        }
        .into_response(),
    }
}

/// Ceilings on what one request may ask for or receive, each a `serve` option (see
/// `cluster-atlas serve --help`) and written into the OpenAPI document's `maximum`s. They
/// may be lowered below the defaults, which are also the ceilings the analysis accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryLimits {
    /// Largest page of `/collections/{id}/items` (`limit`, clamped as OGC API – Features
    /// requires).
    pub max_items: usize,
    /// Largest `k` of `/nearest`.
    pub max_k: usize,
    /// Largest `radius_m` of `/within`, in metres.
    pub max_radius_m: f64,
    /// Largest `limit` of `/within`.
    pub max_within: usize,
    /// Most points in one `POST /reverse`.
    pub max_batch_points: usize,
    /// Largest request body in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Deepest tile zoom served.
    pub max_zoom: u8,
    /// Largest streamed answer in bytes: beyond it the transfer is aborted (the client sees
    /// an incomplete body, never a complete-looking truncated document).
    pub max_result_bytes: u64,
}

/// Default (and ceiling) of [`QueryLimits::max_within`].
pub const DEFAULT_MAX_WITHIN: usize = 10_000;
/// Default (and ceiling) of [`QueryLimits::max_batch_points`] (10,000 points need ~450 KB).
pub const DEFAULT_MAX_BATCH_POINTS: usize = 10_000;
/// Default of [`QueryLimits::max_body_bytes`]: 2 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Default of [`QueryLimits::max_result_bytes`]: 512 MiB (a page of 10,000 county
/// polygons is ~105 MB).
pub const DEFAULT_MAX_RESULT_BYTES: u64 = 512 * 1024 * 1024;

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_items: crate::analysis::features::MAX_LIMIT,
            max_k: crate::analysis::proximity::MAX_K,
            max_radius_m: crate::analysis::proximity::MAX_RADIUS_M,
            max_within: DEFAULT_MAX_WITHIN,
            max_batch_points: DEFAULT_MAX_BATCH_POINTS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_zoom: crate::tiles::MAX_ZOOM,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
        }
    }
}
