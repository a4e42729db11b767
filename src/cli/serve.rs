//! `cluster-atlas serve`.

use crate::api::{self, AppState};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CLUSTER_ATLAS_ADDR")]
    pub addr: SocketAddr,
    /// Data folder (default: ./geodata, else the one shipped with the source).
    #[arg(long, env = "CLUSTER_ATLAS_DATA")]
    pub data: Option<PathBuf>,
    /// Size of the in-memory tile cache in megabytes.
    #[arg(long, default_value_t = crate::tiles::cache::DEFAULT_CACHE_MB, env = "CLUSTER_ATLAS_TILE_CACHE_MB")]
    pub tile_cache_mb: u64,
    /// Clustering radius of point-layer tiles below zoom 8, in pixels of a 512-pixel tile
    /// (8..=512; rounded to a whole number of grid cells per tile side).
    #[arg(long, value_name = "PIXELS", default_value = "64", env = "CLUSTER_ATLAS_CLUSTER_RADIUS")]
    pub cluster_radius: crate::tiles::ClusterOptions,
}

/// Loads the atlas, binds and serves until Ctrl-C / SIGTERM.
///
/// # Errors
/// If the data cannot be loaded or the address cannot be bound.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let data = super::resolve_data_dir(args.data);
    let started = std::time::Instant::now();
    let atlas = crate::load::load_dir(&data).with_context(|| format!("loading {}", data.display()))?;
    tracing::info!(data = %data.display(), elapsed_ms = started.elapsed().as_millis(), "atlas loaded");
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let local = listener.local_addr()?;
        // The one line a person (or a test harness) reads to find the service.
        println!("cluster-atlas listening on http://{local}/  (web map: http://{local}/map/ · health: http://{local}/health)");
        let state = AppState::new(atlas)
            .with_tile_cache_mb(args.tile_cache_mb)
            .with_cluster_options(args.cluster_radius);
        let app = api::router(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
