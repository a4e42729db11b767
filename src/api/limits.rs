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
