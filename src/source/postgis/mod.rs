//! Point layers in PostgreSQL/PostGIS: every question of [`PointSource`] pushed down as
//! one or two parameterised queries over a pooled connection, so the layer is never loaded.
//!
//! - items: `geom && box` (GiST) plus the typed filters and CQL2 (see [`sql`]), `ORDER BY
//!   ord` (file order, as in memory) with `LIMIT`/`OFFSET`, and a `count(*)` for
//!   `numberMatched`;
//! - nearest: `ORDER BY geom <-> point LIMIT k` gives an upper bound on the k-th distance;
//!   the spherical cap of that radius (its lon/lat boxes, GiST) is then ranked by the exact
//!   haversine distance, so the answer is the in-memory one;
//! - within: the cap's boxes, then the haversine distance written in SQL with the same
//!   operations in the same order as [`crate::analysis::proximity::distance_m`], ordered
//!   and counted in the database;
//! - density: `GROUP BY county_code, prefecture_code, province_code` with the industry
//!   condition as a `FILTER`, rolled up in memory exactly as in-memory counts are;
//! - tiles: the grid cells of [`crate::tiles::ClusterOptions`] are computed from the stored
//!   unit-square position and aggregated with `GROUP BY` (count, mean pixel, top industries);
//!   single points and the points of zooms ≥ 8 come back as rows and are encoded with the
//!   in-memory tiles' property dictionary, so both tile sources write the same properties.
//!
//! Connection failures and statement timeouts answer [`SourceError::Unavailable`] (HTTP 503
//! for this layer only); the pool drops broken connections and opens new ones on the next
//! request, so a database that comes back is used again without a restart.

pub mod import;
pub mod schema;
pub mod sql;

use super::{CodeCount, FeaturePage, LayerInfo, Near, PointSource, SharedFeature, SourceError, SourceResult, WithinAnswer};
use crate::analysis::PointFilter;
use crate::analysis::features::Selection;
use crate::analysis::proximity::{cap_boxes, distance_m};
use crate::model::{AdminCode, Day, TimeSpan};
use crate::tiles::point_tags::{PointDictionary, PointLayerBuilder};
use crate::tiles::{CLUSTER_MAX_ZOOM, ClusterOptions, EXTENT, MAX_TILE_POINTS, TileCoord};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use geo::Point;
use schema::{Column, FEATURE_SELECT, GRID_LEVELS, Rollups, feature_from_row, qualified};
use sql::{Param, Sql};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

/// Connection settings of `serve --postgres`.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Most connections open at once.
    pub pool_size: usize,
    /// Longest a statement may run before the server cancels it (then 503).
    pub statement_timeout: Duration,
    /// Longest a request waits to connect or for a free connection (then 503).
    pub connect_timeout: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            statement_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// A connection pool to one database.
///
/// # Errors
/// A message for a URL that does not parse or a pool that cannot be built.
pub fn pool(url: &str, options: &DatabaseOptions) -> Result<Pool, String> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("--postgres: {e}"))?;
    config.connect_timeout(options.connect_timeout);
    config.application_name("cluster-atlas");
    let ms = options.statement_timeout.as_millis();
    config.options(format!("-c statement_timeout={ms}"));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(options.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.connect_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .build()
        .map_err(|e| format!("--postgres: {e}"))
}

/// What the catalogue lists (each layer's name, table and feature count), to tell when it
/// changed; `None` when there is no catalogue yet.
///
/// # Errors
/// A message when the database cannot be asked.
pub async fn catalogue_signature(pool: &Pool) -> Result<Option<String>, String> {
    let client = pool.get().await.map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let read = |e: tokio_postgres::Error| format!("reading the catalogue: {e}");
    let exists: bool = client
        .query_one("SELECT to_regclass('cluster_atlas.layers') IS NOT NULL", &[])
        .await
        .map_err(read)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_one(
            "SELECT coalesce(string_agg(name || '|' || table_name || '|' || feature_count, ',' ORDER BY name), '')
             FROM cluster_atlas.layers",
            &[],
        )
        .await
        .map_err(read)?;
    Ok(Some(row.get(0)))
}

/// Opens every layer registered in the catalogue of the database behind `pool`.
///
/// # Errors
/// A message naming what failed: the database unreachable, no catalogue, a bad row.
pub async fn open_layers(pool: &Pool) -> Result<Vec<Arc<PostgisLayer>>, String> {
    let client = pool.get().await.map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let exists: bool = client
        .query_one("SELECT to_regclass('cluster_atlas.layers') IS NOT NULL", &[])
        .await
        .map_err(|e| format!("reading the catalogue: {e}"))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT name, table_name, title, licence, queryables, feature_count, extent, t_start, t_end
             FROM cluster_atlas.layers ORDER BY name",
            &[],
        )
        .await
        .map_err(|e| format!("reading cluster_atlas.layers: {e}"))?;
    let mut layers = Vec::with_capacity(rows.len());
    for r in &rows {
        let name: String = r.get(0);
        let columns = Column::from_catalogue_json(&r.get::<_, serde_json::Value>(4)).map_err(|e| format!("layer '{name}': {e}"))?;
        let extent: Option<Vec<f64>> = r.get(6);
        let (t_start, t_end): (Option<i32>, Option<i32>) = (r.get(7), r.get(8));
        let day = |v: i32| Day::from_value(u32::try_from(v).unwrap_or(0));
        let count = usize::try_from(r.get::<_, i64>(5)).unwrap_or(0);
        let info = LayerInfo {
            title: r.get(2),
            description: format!(
                "Point layer '{name}' in PostgreSQL/PostGIS: {count} features with their county, prefecture and province codes."
            ),
            licence: r.get(3),
            count,
            extent: extent.and_then(|e| <[f64; 4]>::try_from(e).ok()),
            temporal: t_start.zip(t_end).map(|(s, e)| TimeSpan {
                start: day(s),
                end: day(e),
            }),
            queryables: columns.iter().map(Column::queryable).collect(),
            name,
        };
        // Layers imported before rollups existed are answered from their table alone.
        let table_name: String = r.get(1);
        let rollups = Rollups::of(&table_name);
        let present: bool = client
            .query_one(
                "SELECT to_regclass($1::text) IS NOT NULL AND to_regclass($2::text) IS NOT NULL",
                &[&rollups.codes, &rollups.grid],
            )
            .await
            .map_err(|e| format!("reading the catalogue: {e}"))?
            .get(0);
        layers.push(Arc::new(PostgisLayer {
            pool: pool.clone(),
            table: qualified(&table_name),
            rollups: present.then_some(rollups),
            columns,
            info,
        }));
    }
    Ok(layers)
}

/// One point layer stored in a PostGIS table.
#[derive(Debug)]
pub struct PostgisLayer {
    pool: Pool,
    /// Qualified, quoted table name (from the catalogue, never from a request).
    table: String,
    /// Its precomputed counts and grid pyramid, when the import made them.
    rollups: Option<Rollups>,
    columns: Vec<Column>,
    info: LayerInfo,
}

/// The haversine distance in metres from `($lon, $lat)` (placeholders) to each row's point,
/// with the operations of [`distance_m`] in the same order (geo's `Haversine`, radius
/// 6,371,008.8 m), so that both round alike.
fn haversine_sql(lon: &str, lat: &str) -> String {
    let r = geo::Haversine.radius();
    format!(
        "({r:?}::float8 * (2 * asin(sqrt(\
            sin(radians(ST_Y(geom) - {lat}) / 2) * sin(radians(ST_Y(geom) - {lat}) / 2) \
            + cos(radians({lat})) * cos(radians(ST_Y(geom))) \
            * (sin(radians(ST_X(geom) - {lon}) / 2) * sin(radians(ST_X(geom) - {lon}) / 2))))))"
    )
}

impl PostgisLayer {
    fn unavailable(&self, detail: String) -> SourceError {
        SourceError::Unavailable {
            layer: self.info.name.clone(),
            detail,
        }
    }

    fn db_error(&self, e: &tokio_postgres::Error) -> SourceError {
        let Some(db) = e.as_db_error() else {
            return self.unavailable(e.to_string());
        };
        let code = db.code();
        if *code == SqlState::QUERY_CANCELED {
            return self.unavailable("the query took longer than the statement timeout".to_owned());
        }
        if *code == SqlState::UNDEFINED_TABLE {
            // A re-import replaced the layer's table; the catalogue is read again shortly.
            return self.unavailable("the layer is being replaced by a new import".to_owned());
        }
        if code.code().starts_with("57") || code.code().starts_with("08") || *code == SqlState::TOO_MANY_CONNECTIONS {
            return self.unavailable(db.message().to_owned());
        }
        if code.code().starts_with("22") || *code == SqlState::UNDEFINED_FUNCTION {
            // A filter comparing values of different types, a malformed geometry literal, …
            return SourceError::Invalid(crate::analysis::AnalysisError::InvalidArgument {
                parameter: "filter",
                message: format!("the filter cannot be evaluated on layer '{}': {}", self.info.name, db.message()),
            });
        }
        SourceError::Internal {
            layer: self.info.name.clone(),
            detail: format!("{}: {}", code.code(), db.message()),
        }
    }

    async fn query(&self, text: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> SourceResult<Vec<tokio_postgres::Row>> {
        let client = self.pool.get().await.map_err(|e| self.unavailable(e.to_string()))?;
        let stmt = client.prepare_cached(text).await.map_err(|e| self.db_error(&e))?;
        client.query(&stmt, params).await.map_err(|e| self.db_error(&e))
    }

    fn feature(&self, r: &tokio_postgres::Row, at: usize) -> SourceResult<SharedFeature> {
        let id: &str = r.get(at);
        feature_from_row(id, r.get(at + 1), r.get(at + 2), r.get(at + 3))
            .map(std::sync::Arc::new)
            .map_err(|detail| SourceError::Internal {
                layer: self.info.name.clone(),
                detail,
            })
    }

    fn features(&self, rows: &[tokio_postgres::Row], at: usize) -> SourceResult<Vec<SharedFeature>> {
        rows.iter().map(|r| self.feature(r, at)).collect()
    }

    /// The features of the rows `ords`, in that order.
    async fn features_by_ord(&self, ords: &[i64]) -> SourceResult<Vec<SharedFeature>> {
        if ords.is_empty() {
            return Ok(Vec::new());
        }
        let text = format!("SELECT ord, {FEATURE_SELECT} FROM {} WHERE ord = ANY($1::int8[])", self.table);
        let mut by_ord = std::collections::HashMap::with_capacity(ords.len());
        for r in self.query(&text, &[&ords]).await? {
            by_ord.insert(r.get::<_, i64>(0), self.feature(&r, 1)?);
        }
        ords.iter()
            .map(|o| {
                by_ord.remove(o).ok_or_else(|| SourceError::Internal {
                    layer: self.info.name.clone(),
                    detail: format!("row {o} vanished between two queries"),
                })
            })
            .collect()
    }

    /// The rows within `radius_m` of `center` passing `filter`, nearest first (ties by id),
    /// at most `limit`, with the number within the radius.
    async fn ranked(&self, center: Point<f64>, radius_m: f64, limit: usize, filter: &PointFilter) -> SourceResult<(Vec<Near>, usize)> {
        let mut sql = Sql::default();
        sql.boxes(&cap_boxes(center, radius_m));
        sql.point_filter(filter, true);
        let (lon, lat) = (sql.bind(Param::Float(center.x())), sql.bind(Param::Float(center.y())));
        let d = haversine_sql(&lon, &lat);
        let r = sql.bind(Param::Float(radius_m));
        sql.and(format!("{d} <= {r}"));
        let lim = sql.bind(Param::BigInt(i64::try_from(limit).unwrap_or(i64::MAX)));
        // The distance of every candidate once (a materialised CTE of ord, id and distance:
        // in a dense city a radius holds hundreds of thousands of points), counted, and the
        // `limit` nearest taken; only those rows' features are read.
        let text = format!(
            "WITH c AS MATERIALIZED (SELECT ord, id, {d} AS d FROM {}{})
             SELECT (SELECT count(*) FROM c), ord FROM c ORDER BY d, id LIMIT {lim}",
            self.table,
            sql.where_clause()
        );
        let rows = self.query(&text, &sql.params()).await?;
        let matched = rows.first().map_or(0, |r| usize::try_from(r.get::<_, i64>(0)).unwrap_or(0));
        let ords: Vec<i64> = rows.iter().map(|r| r.get(1)).collect();
        let mut hits: Vec<Near> = self
            .features_by_ord(&ords)
            .await?
            .into_iter()
            .map(|feature| Near {
                distance_m: distance_m(center, feature.point),
                feature,
            })
            .collect();
        sort_near(&mut hits);
        Ok((hits, matched))
    }
}

/// Nearest first, ties by id (as [`crate::analysis::proximity::sort_hits`] within a layer).
fn sort_near(hits: &mut [Near]) {
    hits.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.feature.id.cmp(&b.feature.id)));
}

fn code(v: Option<i32>) -> Option<AdminCode> {
    v.and_then(|v| u32::try_from(v).ok()).and_then(|v| AdminCode::new(v).ok())
}

/// The bound parameters that place the points of one tile on its cluster grid: the world
/// size in tile units `w`, the tile's origin `x0`/`y0`, `n` cells per side and the `last`
/// cell index (as [`ClusterOptions::cell_of`] computes cells).
struct Grid {
    w: String,
    x0: String,
    y0: String,
    n: String,
    last: String,
}

impl Grid {
    /// Restricts `sql` to the points of tile `t` passing `filter` and binds its grid.
    fn bind(sql: &mut Sql, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter) -> Self {
        let (min, max) = t.envelope(1.0);
        sql.boxes(&[(min, max)]);
        sql.point_filter(filter, true);
        let world = f64::from(EXTENT) * f64::from(1u32 << t.z);
        Self {
            w: sql.bind(Param::Float(world)),
            x0: sql.bind(Param::Float(f64::from(t.x) * f64::from(EXTENT))),
            y0: sql.bind(Param::Float(f64::from(t.y) * f64::from(EXTENT))),
            n: sql.bind(Param::Float(f64::from(cluster.cells_per_side()))),
            last: sql.bind(Param::Int(i32::try_from(cluster.cells_per_side()).unwrap_or(1) - 1)),
        }
    }
}

#[async_trait::async_trait]
impl PointSource for PostgisLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }

    async fn items(&self, q: &Selection) -> SourceResult<FeaturePage> {
        let mut sql = Sql::default();
        if let Some(b) = &q.bbox {
            sql.bbox(b);
        }
        if let Some(d) = &q.datetime {
            sql.datetime(d);
        }
        for (name, want) in &q.equals {
            sql.equals(&self.columns, name, want)?;
        }
        if let Some(expr) = &q.filter {
            sql.cql2(&self.columns, expr)?;
        }
        let count = format!("SELECT count(*) FROM {}{}", self.table, sql.where_clause());
        let matched: i64 = self.query(&count, &sql.params()).await?.first().map_or(0, |r| r.get(0));
        let mut page = sql.clone();
        let limit = page.bind(Param::BigInt(i64::try_from(q.limit).unwrap_or(i64::MAX)));
        let offset = page.bind(Param::BigInt(i64::try_from(q.offset).unwrap_or(i64::MAX)));
        // The page's rows by their `ord` first (small tuples to sort), then their features.
        let text = format!(
            "SELECT ord FROM {}{} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            self.table,
            page.where_clause(),
            sql::order_by(&self.columns, &q.sortby)?
        );
        let ords: Vec<i64> = self.query(&text, &page.params()).await?.iter().map(|r| r.get(0)).collect();
        Ok(FeaturePage {
            features: self.features_by_ord(&ords).await?,
            number_matched: usize::try_from(matched).unwrap_or(0),
        })
    }

    async fn feature(&self, id: &str) -> SourceResult<Option<SharedFeature>> {
        if id.contains('\0') {
            // No stored id holds U+0000 (PostgreSQL text cannot): not found, as in memory.
            return Ok(None);
        }
        let text = format!("SELECT {FEATURE_SELECT} FROM {} WHERE id = $1::text", self.table);
        let rows = self.query(&text, &[&id]).await?;
        rows.first().map(|r| self.feature(r, 0)).transpose()
    }

    async fn nearest(&self, center: Point<f64>, k: usize, filter: &PointFilter) -> SourceResult<Vec<Near>> {
        // The k nearest in degrees bound the k-th nearest in metres from above.
        let mut sql = Sql::default();
        sql.point_filter(filter, true);
        let (lon, lat) = (sql.bind(Param::Float(center.x())), sql.bind(Param::Float(center.y())));
        let lim = sql.bind(Param::BigInt(i64::try_from(k).unwrap_or(i64::MAX)));
        let text = format!(
            "SELECT ST_X(geom), ST_Y(geom) FROM {}{} ORDER BY geom <-> ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326) LIMIT {lim}",
            self.table,
            sql.where_clause()
        );
        let rows = self.query(&text, &sql.params()).await?;
        let Some(bound) = rows
            .iter()
            .map(|r| distance_m(center, Point::new(r.get(0), r.get(1))))
            .reduce(f64::max)
        else {
            return Ok(Vec::new());
        };
        // Every point at most `bound` away lies in the cap's boxes; rank them exactly.
        let (hits, _) = self.ranked(center, bound, k, filter).await?;
        Ok(hits)
    }

    async fn within(&self, center: Point<f64>, radius_m: f64, limit: usize, filter: &PointFilter) -> SourceResult<WithinAnswer> {
        let (hits, number_matched) = self.ranked(center, radius_m, limit, filter).await?;
        Ok(WithinAnswer { hits, number_matched })
    }

    async fn code_counts(&self, filter: &PointFilter) -> SourceResult<Vec<CodeCount>> {
        let mut sql = Sql::default();
        sql.point_filter(filter, false);
        // The per-code counts made at import hold kind, approval level and industries: they
        // answer every filter but a time or a designation without reading the table.
        let rollup = self
            .rollups
            .as_ref()
            .filter(|_| filter.datetime.is_none() && filter.designation.is_none());
        let (from, n) = match rollup {
            Some(r) => (&r.codes, "n"),
            None => (&self.table, "1"),
        };
        let matched = match &filter.industry {
            Some(tag) => format!("coalesce(sum({n}) FILTER (WHERE {}), 0)::int8", sql.industry_condition(tag)),
            None => format!("sum({n})::int8"),
        };
        let text = format!(
            "SELECT county_code, prefecture_code, province_code, {matched}, sum({n})::int8 FROM {from}{} GROUP BY 1, 2, 3",
            sql.where_clause()
        );
        let rows = self.query(&text, &sql.params()).await?;
        Ok(rows
            .iter()
            .map(|r| CodeCount {
                county: code(r.get(0)),
                prefecture: code(r.get(1)),
                province: code(r.get(2)),
                count: usize::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                base: usize::try_from(r.get::<_, i64>(4)).unwrap_or(0),
            })
            .collect())
    }

    async fn tile(&self, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter) -> SourceResult<Option<Vec<u8>>> {
        let name = self.info.name.clone();
        if t.z >= CLUSTER_MAX_ZOOM && self.points_in_buffer(t, filter).await? <= MAX_TILE_POINTS {
            let mut sql = Sql::default();
            let (min, max) = t.envelope(crate::tiles::BUFFER);
            sql.boxes(&[(min, max)]);
            sql.point_filter(filter, true);
            let text = format!("SELECT {FEATURE_SELECT} FROM {}{} ORDER BY ord", self.table, sql.where_clause());
            let features = self.features(&self.query(&text, &sql.params()).await?, 0)?;
            let dict = PointDictionary::new(&features);
            let mut b = PointLayerBuilder::new(&dict);
            for i in 0..features.len() {
                b.push_stored(crate::tiles::point_feature(t.unit_to_pixel(dict.unit_square(i))), i);
            }
            return Ok(b.into_tile(name, EXTENT));
        }
        let cells = match self.pyramid_level(t, cluster, filter) {
            Some((grid, level)) => self.pyramid_cells(grid, t, cluster, level).await?,
            None => self.live_cells(t, cluster, filter).await?,
        };
        self.cluster_tile(t, cluster, &cells).await
    }

    async fn cluster_members(
        &self,
        tile: TileCoord,
        cell: (u32, u32),
        cluster: ClusterOptions,
        filter: &PointFilter,
        limit: usize,
    ) -> SourceResult<Vec<SharedFeature>> {
        let mut sql = Sql::default();
        let Grid { w, x0, y0, n, last } = Grid::bind(&mut sql, tile, cluster, filter);
        let (cx, cy) = (
            sql.bind(Param::Int(i32::try_from(cell.0).unwrap_or(-1))),
            sql.bind(Param::Int(i32::try_from(cell.1).unwrap_or(-1))),
        );
        let lim = sql.bind(Param::BigInt(i64::try_from(limit).unwrap_or(i64::MAX)));
        let text = format!(
            "WITH p AS (SELECT id, geom, properties, ux * {w} - {x0} AS px, uy * {w} - {y0} AS py FROM {table}{filter})
             SELECT {FEATURE_SELECT} FROM p
             WHERE px >= 0 AND px < {EXTENT} AND py >= 0 AND py < {EXTENT}
               AND least(floor(px * {n} / {EXTENT}.0)::int, {last}) = {cx}
               AND least(floor(py * {n} / {EXTENT}.0)::int, {last}) = {cy}
             ORDER BY id LIMIT {lim}",
            table = self.table,
            filter = sql.where_clause(),
        );
        self.features(&self.query(&text, &sql.params()).await?, 0)
    }
}

impl PostgisLayer {
    /// The points passing `filter` in tile `t` grown by [`crate::tiles::BUFFER`], counted up
    /// to one more than [`MAX_TILE_POINTS`] (the index stops there).
    async fn points_in_buffer(&self, t: TileCoord, filter: &PointFilter) -> SourceResult<usize> {
        let mut sql = Sql::default();
        let (min, max) = t.envelope(crate::tiles::BUFFER);
        sql.boxes(&[(min, max)]);
        sql.point_filter(filter, true);
        let stop = sql.bind(Param::BigInt(i64::try_from(MAX_TILE_POINTS + 1).unwrap_or(i64::MAX)));
        let text = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {}{} LIMIT {stop}) s",
            self.table,
            sql.where_clause()
        );
        let n: i64 = self.query(&text, &sql.params()).await?.first().map_or(0, |r| r.get(0));
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The grid pyramid level holding tile `t`'s cluster cells, when the pyramid can answer:
    /// the layer has one, the request keeps every point, and the cells per tile side are a
    /// power of two (then cells nest, see [`schema::rollup_ddl`]) fine enough for the pyramid.
    fn pyramid_level(&self, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter) -> Option<(&str, i16)> {
        let n = cluster.cells_per_side();
        let level = u32::from(t.z) + n.trailing_zeros();
        let rollups = self.rollups.as_ref()?;
        let usable = filter.keeps_all() && n.is_power_of_two() && level <= u32::from(GRID_LEVELS);
        Some((rollups.grid.as_str(), i16::try_from(level).ok().filter(|_| usable)?))
    }

    /// Tile `t`'s cluster cells from the grid pyramid table `grid`, in the rows of
    /// [`PostgisLayer::live_cells`].
    async fn pyramid_cells(&self, grid: &str, t: TileCoord, cluster: ClusterOptions, level: i16) -> SourceResult<Vec<tokio_postgres::Row>> {
        let n = cluster.cells_per_side();
        let (gx0, gy0) = (i64::from(t.x) * i64::from(n), i64::from(t.y) * i64::from(n));
        let mut sql = Sql::default();
        let world = f64::from(EXTENT) * f64::from(1u32 << t.z);
        let (w, x0, y0) = (
            sql.bind(Param::Float(world)),
            sql.bind(Param::Float(f64::from(t.x) * f64::from(EXTENT))),
            sql.bind(Param::Float(f64::from(t.y) * f64::from(EXTENT))),
        );
        let lv = sql.bind(Param::Int(i32::from(level)));
        let int = |v: i64| Param::Int(i32::try_from(v).unwrap_or(i32::MAX));
        let (gx, gy) = (sql.bind(int(gx0)), sql.bind(int(gy0)));
        let (gx1, gy1) = (sql.bind(int(gx0 + i64::from(n))), sql.bind(int(gy0 + i64::from(n))));
        let text = format!(
            "SELECT (gx - {gx})::int4, (gy - {gy})::int4, n, (sx / n) * {w} - {x0}, (sy / n) * {w} - {y0}, first, coalesce(top, '')
             FROM {grid} WHERE level = {lv} AND gx >= {gx} AND gx < {gx1} AND gy >= {gy} AND gy < {gy1} ORDER BY 1, 2"
        );
        self.query(&text, &sql.params()).await
    }

    /// Tile `t`'s cluster cells aggregated from the points that pass `filter`: per cell its
    /// column and row, point count, mean pixel, first point (by `ord`) and top industries.
    async fn live_cells(&self, t: TileCoord, cluster: ClusterOptions, filter: &PointFilter) -> SourceResult<Vec<tokio_postgres::Row>> {
        let mut sql = Sql::default();
        let Grid { w, x0, y0, n, last } = Grid::bind(&mut sql, t, cluster, filter);
        // Cells as `ClusterOptions::cell_of` computes them (px · n / EXTENT, truncated), of
        // the points whose pixel lies inside the tile (the others belong to a neighbour).
        let text = format!(
            "WITH p AS (SELECT ord, industries, ux * {w} - {x0} AS px, uy * {w} - {y0} AS py FROM {table}{filter}),
             q AS (SELECT ord, industries, px, py,
                          least(floor(px * {n} / {EXTENT}.0)::int, {last}) AS cx,
                          least(floor(py * {n} / {EXTENT}.0)::int, {last}) AS cy
                   FROM p WHERE px >= 0 AND px < {EXTENT} AND py >= 0 AND py < {EXTENT}),
             c AS (SELECT cx, cy, count(*) AS n, avg(px) AS mx, avg(py) AS my, min(ord) AS first FROM q GROUP BY cx, cy),
             ti AS (SELECT cx, cy, tag, count(*) AS k FROM q, unnest(industries) AS tag GROUP BY cx, cy, tag),
             tr AS (SELECT cx, cy, string_agg(tag, ',' ORDER BY k DESC, tag COLLATE \"C\") AS top
                    FROM (SELECT cx, cy, tag, k, row_number() OVER (PARTITION BY cx, cy ORDER BY k DESC, tag COLLATE \"C\") AS rn FROM ti) r
                    WHERE rn <= 3 GROUP BY cx, cy)
             SELECT c.cx, c.cy, c.n, c.mx, c.my, c.first, coalesce(tr.top, '') FROM c LEFT JOIN tr USING (cx, cy) ORDER BY c.cx, c.cy",
            table = self.table,
            filter = sql.where_clause(),
        );
        self.query(&text, &sql.params()).await
    }

    /// The MVT tile of `cells` (rows of [`PostgisLayer::live_cells`]): a single point as its
    /// stored feature, a cell of several as a cluster.
    async fn cluster_tile(&self, t: TileCoord, cluster: ClusterOptions, cells: &[tokio_postgres::Row]) -> SourceResult<Option<Vec<u8>>> {
        let name = self.info.name.clone();
        // A cell of one point shows that point: the features of those cells, in cell order.
        let is_single = |r: &tokio_postgres::Row| r.get::<_, i64>(2) == 1;
        let singles: Vec<i64> = cells.iter().filter(|r| is_single(r)).map(|r| r.get(5)).collect();
        let stored = self.features_by_ord(&singles).await?;
        let mut next_single = 0..;
        let order: Vec<Result<usize, &tokio_postgres::Row>> = cells
            .iter()
            .map(|r| {
                if is_single(r) {
                    Ok(next_single.next().unwrap_or(0))
                } else {
                    Err(r)
                }
            })
            .collect();
        let dict = PointDictionary::new(&stored);
        let mut b = PointLayerBuilder::new(&dict);
        for o in order {
            match o {
                Ok(i) => b.push_stored(crate::tiles::point_feature(t.unit_to_pixel(dict.unit_square(i))), i),
                Err(r) => {
                    let cell = (
                        u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
                        u32::try_from(r.get::<_, i32>(1)).unwrap_or(0),
                    );
                    let count = usize::try_from(r.get::<_, i64>(2)).unwrap_or(0);
                    let props = crate::tiles::cluster_props(t, cell, cluster, count, r.get::<_, String>(6));
                    b.push_made(crate::tiles::point_feature([r.get(3), r.get(4)]), props);
                }
            }
        }
        Ok(b.into_tile(name, EXTENT))
    }
}
