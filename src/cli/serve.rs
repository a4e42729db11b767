//! `cluster-atlas serve`.

use crate::api::admin::{ADMIN_TOKEN_ENV, AdminToken};
use crate::api::base_url::{LocalAddr, PublicBase};
use crate::api::live::{LiveRouter, Reloader};
use crate::api::{self, AppState};
use crate::atlas::Atlas;
use crate::source::PointSource;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// What `serve --help` adds after the options: the environment-only settings.
pub const AFTER_HELP: &str = "\
Admin (read-only by default):
  CLUSTER_ATLAS_ADMIN_TOKEN=<token>  enables POST /admin/reload, which needs the header
      `Authorization: Bearer <token>` (401 otherwise; without the variable the route is 404).
      At least 16 characters. It reloads the data folder like SIGHUP: a folder whose admin
      boundaries do not load is refused (422, naming the file and record) and the previous
      data keeps being served; a user layer that does not load is skipped and listed in
      /health under rejected_layers.

Signals: SIGHUP reloads the data folder; SIGTERM or SIGINT stop accepting connections, let the
requests in flight finish (up to --shutdown-timeout) and exit 0.";

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CLUSTER_ATLAS_ADDR")]
    pub addr: SocketAddr,
    /// Data folder (default: $CLUSTER_ATLAS_DATA, else ./geodata).
    #[arg(long, env = "CLUSTER_ATLAS_DATA")]
    pub data: Option<PathBuf>,
    /// Size of the in-memory tile cache in megabytes.
    #[arg(long, default_value_t = crate::tiles::cache::DEFAULT_CACHE_MB, env = "CLUSTER_ATLAS_TILE_CACHE_MB")]
    pub tile_cache_mb: u64,
    /// Clustering radius of point-layer tiles below zoom 8, in pixels of a 512-pixel tile
    /// (8..=512; rounded to a whole number of grid cells per tile side).
    #[arg(long, value_name = "PIXELS", default_value = "64", env = "CLUSTER_ATLAS_CLUSTER_RADIUS")]
    pub cluster_radius: crate::tiles::ClusterOptions,
    /// Seconds between looks at the data folder; when its layers change (an `import`, a new
    /// or removed `*.geojson`), the data is reloaded and served without a restart. 0: never.
    /// SIGHUP reloads at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 2, env = "CLUSTER_ATLAS_RELOAD_EVERY")]
    pub reload_every: u64,
    /// Requests served at once; more get 503 with `Retry-After` (load shedding) instead of
    /// waiting in an unbounded queue. `/health` is never shed.
    #[arg(long, value_name = "N", default_value_t = crate::api::limits::DEFAULT_MAX_IN_FLIGHT, env = "CLUSTER_ATLAS_MAX_IN_FLIGHT")]
    pub max_in_flight: usize,
    /// Longest wait for a response to start (e.g. `30s`, `500ms`); then 503 with `Retry-After`.
    #[arg(long, value_name = "DURATION", default_value = "30s", env = "CLUSTER_ATLAS_REQUEST_TIMEOUT")]
    pub request_timeout: humantime::Duration,
    /// Threads of the blocking pool that encodes large answers, density and tiles.
    #[arg(long, value_name = "N", default_value_t = 16, env = "CLUSTER_ATLAS_BLOCKING_THREADS")]
    pub blocking_threads: usize,
    /// The public URL absolute links use (e.g. `https://maps.example.org`) when the service
    /// sits behind a proxy or CDN. Default: the address the request arrived on.
    #[arg(long, value_name = "URL", env = "CLUSTER_ATLAS_PUBLIC_URL", conflicts_with = "trust_forwarded")]
    pub public_url: Option<String>,
    /// Take the links' base from `X-Forwarded-Proto`/`X-Forwarded-Host` (only behind a known
    /// proxy that sets them: from any client they would poison caches).
    #[arg(long, env = "CLUSTER_ATLAS_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// Largest page of `/collections/{id}/items` (a larger `limit` is clamped to it); at most 10000.
    #[arg(long, value_name = "N", default_value_t = crate::analysis::features::MAX_LIMIT, env = "CLUSTER_ATLAS_MAX_ITEMS")]
    pub max_items: usize,
    /// Largest `k` of `/nearest` (400 beyond); at most 1000.
    #[arg(long, value_name = "N", default_value_t = crate::analysis::proximity::MAX_K, env = "CLUSTER_ATLAS_MAX_K")]
    pub max_k: usize,
    /// Largest `radius_m` of `/within`, in metres (400 beyond); at most 2000000.
    #[arg(long, value_name = "METRES", default_value_t = crate::analysis::proximity::MAX_RADIUS_M, env = "CLUSTER_ATLAS_MAX_RADIUS_M")]
    pub max_radius_m: f64,
    /// Largest `limit` of `/within` (400 beyond); at most 10000.
    #[arg(long, value_name = "N", default_value_t = api::limits::DEFAULT_MAX_WITHIN, env = "CLUSTER_ATLAS_MAX_WITHIN")]
    pub max_within: usize,
    /// Most points in one `POST /reverse` (413 beyond); at most 10000.
    #[arg(long, value_name = "N", default_value_t = api::limits::DEFAULT_MAX_BATCH_POINTS, env = "CLUSTER_ATLAS_MAX_BATCH_POINTS")]
    pub max_batch_points: usize,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = api::limits::DEFAULT_MAX_BODY_BYTES, env = "CLUSTER_ATLAS_MAX_BODY_BYTES")]
    pub max_body_bytes: usize,
    /// Deepest tile zoom served (404 beyond); at most 16.
    #[arg(long, value_name = "Z", default_value_t = crate::tiles::MAX_ZOOM, env = "CLUSTER_ATLAS_MAX_ZOOM")]
    pub max_zoom: u8,
    /// Largest streamed answer (items, density, H3) in MiB: beyond it the transfer is
    /// aborted, so the client sees an incomplete body, never a truncated document.
    #[arg(long, value_name = "MIB", default_value_t = api::limits::DEFAULT_MAX_RESULT_BYTES / (1024 * 1024), env = "CLUSTER_ATLAS_MAX_RESULT_MB")]
    pub max_result_mb: u64,
    /// On SIGTERM or SIGINT, how long requests in flight may take to finish (e.g. `30s`)
    /// before the server exits anyway; new connections are refused from the signal on.
    #[arg(long, value_name = "DURATION", default_value = "30s", env = "CLUSTER_ATLAS_SHUTDOWN_TIMEOUT")]
    pub shutdown_timeout: humantime::Duration,
    /// Also serve every point layer registered in `cluster_atlas.layers` of this
    /// PostgreSQL/PostGIS database (`import --postgres` writes them), e.g.
    /// `postgres://user@host:5432/db`; multi-host URLs work for read replicas. The catalogue
    /// is read again every --reload-every seconds (5 when that is 0): new imports appear
    /// without a restart; a database that is down answers 503 for its layers only, and one
    /// that is down at start is reported and its layers added when it answers.
    #[arg(long, value_name = "URL", env = "CLUSTER_ATLAS_POSTGRES")]
    pub postgres: Option<String>,
    /// Connections to the database at most (with --postgres).
    #[arg(long, value_name = "N", default_value_t = 16, env = "CLUSTER_ATLAS_POSTGRES_POOL")]
    pub postgres_pool: usize,
    /// Longest a database statement may run before it is cancelled and the request gets
    /// 503 (with --postgres).
    #[arg(long, value_name = "DURATION", default_value = "10s", env = "CLUSTER_ATLAS_STATEMENT_TIMEOUT")]
    pub statement_timeout: humantime::Duration,
}

impl ServeArgs {
    /// The `--max-*` options as [`api::limits::QueryLimits`], each checked against the
    /// ceiling the analysis accepts.
    ///
    /// # Errors
    /// A limit of zero or above its ceiling, naming the option.
    pub fn query_limits(&self) -> anyhow::Result<api::limits::QueryLimits> {
        let ceiling = api::limits::QueryLimits::default();
        let check = |name: &str, value: f64, max: f64| {
            anyhow::ensure!(
                value > 0.0 && value <= max,
                "--{name} must be greater than 0 and at most {max}, got {value}"
            );
            Ok(())
        };
        #[expect(clippy::cast_precision_loss, reason = "limits are far below 2^52")]
        {
            check("max-items", self.max_items as f64, ceiling.max_items as f64)?;
            check("max-k", self.max_k as f64, ceiling.max_k as f64)?;
            check("max-radius-m", self.max_radius_m, ceiling.max_radius_m)?;
            check("max-within", self.max_within as f64, ceiling.max_within as f64)?;
            check("max-batch-points", self.max_batch_points as f64, ceiling.max_batch_points as f64)?;
            check("max-body-bytes", self.max_body_bytes as f64, f64::MAX)?;
            check("max-result-mb", self.max_result_mb as f64, f64::MAX)?;
        }
        anyhow::ensure!(
            self.max_zoom <= ceiling.max_zoom,
            "--max-zoom must be at most {}, got {}",
            ceiling.max_zoom,
            self.max_zoom
        );
        Ok(api::limits::QueryLimits {
            max_items: self.max_items,
            max_k: self.max_k,
            max_radius_m: self.max_radius_m,
            max_within: self.max_within,
            max_batch_points: self.max_batch_points,
            max_body_bytes: self.max_body_bytes,
            max_zoom: self.max_zoom,
            max_result_bytes: self.max_result_mb.saturating_mul(1024 * 1024),
        })
    }
}

/// The admin token from [`ADMIN_TOKEN_ENV`], if set (read from the environment only, never a
/// flag, so it does not show in the process list).
fn admin_token() -> anyhow::Result<Option<AdminToken>> {
    match std::env::var(ADMIN_TOKEN_ENV) {
        Ok(t) => Ok(Some(AdminToken::new(&t).map_err(anyhow::Error::msg)?)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("{ADMIN_TOKEN_ENV}: not valid UTF-8"),
    }
}

/// Loads the atlas, binds and serves until Ctrl-C / SIGTERM.
///
/// # Errors
/// If the data cannot be loaded or the address cannot be bound.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let query_limits = args.query_limits()?;
    let token = admin_token()?;
    let data = super::resolve_data_dir(args.data.clone());
    let postgres = args.postgres.clone().map(|url| {
        let options = crate::source::postgis::DatabaseOptions {
            pool_size: args.postgres_pool.max(1),
            statement_timeout: args.statement_timeout.into(),
            ..crate::source::postgis::DatabaseOptions::default()
        };
        (url, options)
    });
    let started = std::time::Instant::now();
    let atlas = crate::load::load_dir(&data).with_context(|| format!("loading {}", data.display()))?;
    tracing::info!(data = %data.display(), elapsed_ms = started.elapsed().as_millis(), "atlas loaded");
    // CPU-heavy work (encoding, density, tiles) runs on a bounded blocking pool; requests
    // beyond --max-in-flight are shed with 503 rather than queued.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(args.blocking_threads.max(1))
        .build()
        .context("starting the async runtime")?;
    let limits = api::limits::RequestLimits {
        max_in_flight: args.max_in_flight,
        timeout: args.request_timeout.into(),
    };
    runtime.block_on(async move {
        let database = match &postgres {
            Some((url, options)) => Some(Database::open(url, options).await?),
            None => None,
        };
        let remote = database.as_ref().map(|d| d.layers.clone()).unwrap_or_default();
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let local = listener.local_addr()?;
        // The one line a person (or a test harness) reads to find the service.
        println!("cluster-atlas listening on http://{local}/  (web map: http://{local}/map/ · health: http://{local}/health)");
        let (cache_mb, cluster) = (args.tile_cache_mb, args.cluster_radius);
        let public_base = match (args.public_url, args.trust_forwarded) {
            (Some(url), _) => PublicBase::Fixed(url),
            (None, true) => PublicBase::TrustForwarded,
            (None, false) => PublicBase::Socket,
        };
        let make: api::live::MakeRouter = Arc::new(move |atlas: Arc<Atlas>, remote: &[crate::source::Source]| {
            let state = AppState::serving(atlas, remote)
                .with_tile_cache_mb(cache_mb)
                .with_cluster_options(cluster)
                .with_public_base(public_base.clone())
                .with_limits(query_limits);
            // Generalised tile geometry is built off the request path, while the first
            // requests are served (a tile that needs it first builds it itself).
            let (atlas, prepared) = (state.atlas.clone(), state.prepared_tiles.clone());
            let _ = std::thread::Builder::new()
                .name("prepare-tiles".into())
                .spawn(move || prepared.warm(&atlas));
            api::router(state)
        });
        let atlas = Arc::new(atlas);
        let live = LiveRouter::new(make(atlas.clone(), &remote));
        let reloader = Reloader::new(data, live.clone(), make, atlas, remote);
        tokio::spawn(watch_data(Duration::from_secs(args.reload_every), reloader.clone()));
        if let Some(database) = database {
            let every = Duration::from_secs(if args.reload_every == 0 { 5 } else { args.reload_every });
            tokio::spawn(database.watch(every, reloader.clone()));
        }
        let app = match token {
            Some(token) => live.into_router().merge(api::admin::router(token, reloader)),
            None => live.into_router(),
        };
        let app = api::limits::apply(app, limits).into_make_service_with_connect_info::<LocalAddr>();
        serve_until_stopped(crate::api::base_url::Listener(listener), app, args.shutdown_timeout.into()).await
    })?;
    // Blocking tasks still running (an encoder whose client is gone) are not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(ExitCode::SUCCESS)
}

/// The database of `serve --postgres`: its pool, the layers its catalogue listed when last
/// read, and what the catalogue said then.
struct Database {
    pool: deadpool_postgres::Pool,
    layers: Vec<crate::source::Source>,
    /// The catalogue's signature when the layers were opened; `None` before it answered.
    seen: Option<Option<String>>,
}

impl Database {
    /// Connects to `url` and opens its catalogue's layers. A URL that does not parse stops the
    /// start; a database that does not answer (or a bad catalogue) is reported and the
    /// in-memory layers are served meanwhile: [`Database::watch`] adds its layers when it
    /// answers.
    async fn open(url: &str, options: &crate::source::postgis::DatabaseOptions) -> anyhow::Result<Self> {
        use crate::source::postgis;
        let pool = postgis::pool(url, options).map_err(anyhow::Error::msg)?;
        let mut db = Database {
            pool,
            layers: Vec::new(),
            seen: None,
        };
        match db.read().await {
            Ok(n) => eprintln!("cluster-atlas: {n} layer(s) from PostgreSQL"),
            Err(e) => eprintln!("cluster-atlas: --postgres: {e}; serving the in-memory layers, and the database's as soon as it answers"),
        }
        Ok(db)
    }

    /// Reads the catalogue and opens its layers; the number of layers.
    async fn read(&mut self) -> Result<usize, String> {
        use crate::source::postgis;
        let signature = postgis::catalogue_signature(&self.pool).await?;
        let layers = postgis::open_layers(&self.pool).await?;
        for l in &layers {
            tracing::info!(layer = %l.info().name, features = l.info().count, "database layer");
        }
        self.layers = layers.into_iter().map(|l| l as crate::source::Source).collect();
        self.seen = Some(signature);
        Ok(self.layers.len())
    }

    /// Every `every`, asks the catalogue whether it changed (a layer imported, re-imported or
    /// dropped, or the database answering for the first time) and then serves its new list of
    /// layers. While the database is away nothing changes: its layers answer 503 until it is
    /// back, and the pool reconnects by itself.
    async fn watch(mut self, every: Duration, reloader: Reloader) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = match crate::source::postgis::catalogue_signature(&self.pool).await {
                Ok(now) => now,
                Err(e) => {
                    tracing::debug!(error = %e, "the database catalogue cannot be read now");
                    continue;
                }
            };
            if self.seen.as_ref() == Some(&now) {
                continue;
            }
            match self.read().await {
                Ok(n) => {
                    tracing::info!(layers = n, "the database catalogue changed");
                    reloader.set_remote(self.layers.clone()).await;
                }
                Err(e) => tracing::warn!(error = %e, "the database catalogue changed but cannot be read"),
            }
        }
    }
}

/// Serves until SIGTERM or SIGINT, then stops accepting connections and waits up to
/// `timeout` for the requests in flight (a streamed body included) to finish.
async fn serve_until_stopped(
    listener: crate::api::base_url::Listener,
    app: axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, LocalAddr>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let (stopping_tx, stopping) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown_signal().await;
        tracing::info!(timeout = ?timeout, "shutting down: no new connections; finishing the requests in flight");
        let _ = stopping_tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let deadline = async move {
        if stopping.await.is_ok() {
            tokio::time::sleep(timeout).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => served.context("serving")?,
        () = deadline => tracing::warn!(timeout = ?timeout, "shutdown timeout: closing the connections still open"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Reloads the data folder when its fingerprint changes (checked every `every`; never when
/// zero) or on SIGHUP, and swaps in a router over the new atlas. A folder that fails to load
/// is reported and the previous data keeps being served: a bad file never takes the service down.
async fn watch_data(every: Duration, reloader: Reloader) {
    let data = reloader.data().to_path_buf();
    let mut seen = crate::load::data_fingerprint(&data).ok();
    let mut tick = (!every.is_zero()).then(|| {
        let mut t = tokio::time::interval(every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let mut hangups = Hangups::new();
    loop {
        let forced = tokio::select! {
            () = next_tick(tick.as_mut()) => false,
            () = hangups.next() => true,
        };
        let now = crate::load::data_fingerprint(&data).ok();
        if now == seen && !forced {
            continue;
        }
        seen = now;
        // Failures are logged by the reloader; the previous data keeps being served.
        let _ = reloader.reload().await;
    }
}

/// The next tick of `tick`; never, without one (`--reload-every 0`).
async fn next_tick(tick: Option<&mut tokio::time::Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// SIGHUP deliveries (none where there is no such signal, or it cannot be watched).
struct Hangups(#[cfg(unix)] Option<tokio::signal::unix::Signal>);

impl Hangups {
    fn new() -> Self {
        #[cfg(unix)]
        return Self(tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok());
        #[cfg(not(unix))]
        Self()
    }

    /// Waits for the next SIGHUP.
    async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = self.0.as_mut() {
            if signal.recv().await.is_some() {
                return;
            }
            self.0 = None; // no more signals will come
        }
        std::future::pending::<()>().await;
    }
}

/// Resolves on the first SIGTERM or SIGINT (Ctrl-C).
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
