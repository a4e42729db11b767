//! The one base URL of every absolute link (OGC links, TileJSON tile URLs), from a policy
//! chosen at start-up — never from a client's say-so unless configured: forwarded headers
//! written into cached documents would let any client poison a CDN's cache.
//!
//! - `serve --public-url URL`: always that URL (the service behind a proxy or CDN);
//! - `serve --trust-forwarded`: `X-Forwarded-Proto`/`X-Forwarded-Host` (first values), else
//!   `Host` (for a known reverse proxy that sets them);
//! - neither: the address of the socket the request arrived on.

use super::AppState;
use axum::extract::FromRequestParts;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::serve::IncomingStream;
use std::convert::Infallible;
use std::net::SocketAddr;

/// How the base URL of links is chosen (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PublicBase {
    /// The socket's own address (default).
    #[default]
    Socket,
    /// A configured public URL, without a trailing slash.
    Fixed(String),
    /// The forwarded headers of a trusted proxy.
    TrustForwarded,
}

/// The local address a connection was accepted on (connect info of `axum::serve`).
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// The listener `serve` accepts on: a TCP listener that sets `TCP_NODELAY` on every accepted
/// connection. Without it a streamed answer's last small chunk waited for the client's
/// delayed ACK: 40 ms added to every items page on a keep-alive connection.
pub struct Listener(pub tokio::net::TcpListener);

impl axum::serve::Listener for Listener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept loop (it retries on errors such as EMFILE).
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        if let Err(e) = io.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        (io, addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, Listener>> for LocalAddr {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        // The accepted socket's own address; the listener's when it cannot be read.
        let addr = stream.io().local_addr().unwrap_or_else(|_| *stream.remote_addr());
        LocalAddr(addr)
    }
}

/// `scheme://authority` of the links of one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base(String);

impl Base {
    /// The absolute URL of `path_and_query` (which starts with `/`).
    #[must_use]
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.0)
    }

    /// The base itself, e.g. `http://127.0.0.1:8080`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base for a request with `headers` arriving on `local` under `policy`.
    #[must_use]
    pub fn resolve(policy: &PublicBase, headers: &HeaderMap, local: Option<SocketAddr>) -> Self {
        let socket = || local.map_or_else(|| "http://localhost".to_owned(), |a| format!("http://{a}"));
        match policy {
            PublicBase::Fixed(url) => Base(url.trim_end_matches('/').to_owned()),
            PublicBase::Socket => Base(socket()),
            PublicBase::TrustForwarded => {
                let get = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v.split(',').next().unwrap_or(v).trim().to_owned())
                        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()))
                };
                let proto = get("x-forwarded-proto").filter(|p| p == "http" || p == "https");
                match get("x-forwarded-host").or_else(|| get(header::HOST.as_str())) {
                    Some(host) => Base(format!("{}://{host}", proto.as_deref().unwrap_or("http"))),
                    None => Base(socket()),
                }
            }
        }
    }
}

impl FromRequestParts<AppState> for Base {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let local = parts.extensions.get::<ConnectInfo<LocalAddr>>().map(|c| c.0.0);
        Ok(Base::resolve(&state.public_base, &parts.headers, local))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let h = headers(&[
            ("host", "internal:8080"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ]);
        let local: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            Base::resolve(&PublicBase::Socket, &h, Some(local)).as_str(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            Base::resolve(&PublicBase::TrustForwarded, &h, Some(local)).as_str(),
            "https://evil.example"
        );
        let fixed = PublicBase::Fixed("https://maps.example.org/".into());
        assert_eq!(
            Base::resolve(&fixed, &h, Some(local)).url("/tiles"),
            "https://maps.example.org/tiles"
        );
        let odd = headers(&[("x-forwarded-proto", "javascript"), ("host", "a.example")]);
        assert_eq!(Base::resolve(&PublicBase::TrustForwarded, &odd, None).as_str(), "http://a.example");
    }
}
