//! Admin actions: `POST /admin/reload`. The service is read-only by default: these routes
//! exist only when `serve` is given a bearer token in `CLUSTER_ATLAS_ADMIN_TOKEN` (without
//! one they answer 404 like any unknown path), and every request must carry that token.

use super::error::ApiError;
use super::live::{ReloadError, Reloaded, Reloader};
use super::problem::Problem;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::routing::post;
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Environment variable holding the admin bearer token.
pub const ADMIN_TOKEN_ENV: &str = "CLUSTER_ATLAS_ADMIN_TOKEN";

/// Shortest admin token accepted, in bytes (a guessable token is no protection).
pub const MIN_TOKEN_LEN: usize = 16;

/// The admin bearer token, kept only as its SHA-256 digest: comparing two digests of equal
/// length in constant time reveals neither the token's bytes nor its length to a timing attack.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// Accepts a token of at least [`MIN_TOKEN_LEN`] bytes, with no whitespace.
    ///
    /// # Errors
    /// A message saying why the token is refused.
    pub fn new(token: &str) -> Result<Self, String> {
        if token.len() < MIN_TOKEN_LEN || token.chars().any(char::is_whitespace) {
            return Err(format!(
                "{ADMIN_TOKEN_ENV}: use at least {MIN_TOKEN_LEN} characters and no whitespace"
            ));
        }
        Ok(Self(Sha256::digest(token.as_bytes()).into()))
    }

    /// Whether `authorization` is `Bearer <this token>` (the scheme in any case, RFC 7235).
    fn accepts(&self, authorization: &str) -> bool {
        let Some((scheme, presented)) = authorization.split_once(' ') else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
        scheme.eq_ignore_ascii_case("bearer") && bool::from(presented.ct_eq(&self.0))
    }

    /// Checks a request's `Authorization` header.
    ///
    /// # Errors
    /// [`ApiError::Unauthorized`] if the header is missing, not a bearer token, or the wrong token.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        match headers.get(AUTHORIZATION).map(|v| v.to_str()) {
            None => Err(ApiError::Unauthorized {
                detail: "this admin action needs an Authorization: Bearer <token> header".to_owned(),
                invalid_token: false,
            }),
            Some(Ok(v)) if self.accepts(v) => Ok(()),
            Some(_) => Err(ApiError::Unauthorized {
                detail: "the bearer token is not the admin token".to_owned(),
                invalid_token: true,
            }),
        }
    }
}

#[derive(Clone)]
struct AdminState {
    token: AdminToken,
    reloader: Reloader,
}

/// Routes of this module, for a server whose admin token is `token`.
pub fn router(token: AdminToken, reloader: Reloader) -> Router {
    Router::new()
        .route("/admin/reload", post(post_reload).fallback(only_post))
        .with_state(AdminState { token, reloader })
}

async fn only_post(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        detail: format!("{method} is not allowed on {}; use POST", uri.path()),
        allow: "POST",
    }
}

/// `POST /admin/reload`: rebuilds the atlas from the data folder and swaps it in atomically;
/// requests already running finish on the previous data.
///
/// Needs `Authorization: Bearer <token>` with the token `serve` was started with in
/// `CLUSTER_ATLAS_ADMIN_TOKEN`; without that variable the route does not exist (404). A user
/// layer that does not load is skipped and listed in `rejected_layers`; a folder whose admin
/// boundaries (or default layer) do not load is refused with 422, naming the file and record,
/// and the previous data keeps being served. `SIGHUP` does the same reload.
#[utoipa::path(
    post,
    path = "/admin/reload",
    tag = "Service",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Reloaded: `generation`, feature counts per `layers`, `rejected_layers`", body = Object, content_type = "application/json"),
        (status = 401, description = "Missing or wrong bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No admin token configured: the service is read-only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The data folder does not load (file and record named); the previous data is still served", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn post_reload(State(s): State<AdminState>, headers: HeaderMap) -> Result<Json<Reloaded>, ApiError> {
    s.token.check(&headers)?;
    s.reloader.reload().await.map(Json).map_err(|e| match &e {
        ReloadError::Invalid(_) => ApiError::InvalidData(e.client_detail(s.reloader.data())),
        ReloadError::Task(_) => ApiError::Internal(e.to_string()),
    })
}

/// Declares the `admin_token` bearer scheme `POST /admin/reload` uses in the OpenAPI document.
#[derive(Debug)]
pub struct AdminSecurity;

impl utoipa::Modify for AdminSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(format!("The token `serve` was started with in {ADMIN_TOKEN_ENV}")))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("admin_token", SecurityScheme::Http(scheme));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn only_the_configured_bearer_token_is_accepted() {
        let t = AdminToken::new("correct-horse-battery").unwrap();
        assert!(t.check(&headers("Bearer correct-horse-battery")).is_ok());
        assert!(t.check(&headers("bearer correct-horse-battery")).is_ok());
        for wrong in [
            "Bearer correct-horse-batter",
            "Bearer correct-horse-battery2",
            "Basic correct-horse-battery",
            "correct-horse-battery",
            "Bearer ",
        ] {
            assert!(
                matches!(t.check(&headers(wrong)), Err(ApiError::Unauthorized { invalid_token: true, .. })),
                "{wrong}"
            );
        }
        assert!(matches!(
            t.check(&HeaderMap::new()),
            Err(ApiError::Unauthorized { invalid_token: false, .. })
        ));
    }

    #[test]
    fn short_or_blank_tokens_are_refused() {
        assert!(AdminToken::new("short").is_err());
        assert!(AdminToken::new("sixteen chars ok").is_err(), "whitespace");
        assert!(AdminToken::new("sixteen-chars-ok").is_ok());
        assert_eq!(
            format!("{:?}", AdminToken::new("sixteen-chars-ok").unwrap()),
            "AdminToken(<redacted>)"
        );
    }
}
