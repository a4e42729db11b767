//! The database layout of point layers: the catalogue table and one table per layer, as the
//! importer writes them and [`super::PostgisLayer`] reads them (the one place that knows it).
//!
//! A layer table holds, per feature: `ord` (file order, the order of items pages), `id`,
//! `geom` (Point, EPSG:4326, GiST-indexed), `ux`/`uy` (its Web Mercator unit-square
//! position, computed by [`crate::tiles::unit_square`] at import so tile clustering in SQL
//! puts every point in the same grid cell as the in-memory tiles), the fields the proximity
//! filters test (`kind`, `industries`, `approval_level`, `designation_lower`, `t_start`/
//! `t_end` as `YYYYMMDD`, the three admin codes), `properties` as JSON text exactly as
//! stored, and one typed column `q<i>` per queryable property (text columns in the C
//! collation, so comparisons order as the in-memory filters' byte order).

use crate::analysis::features::{Queryable, QueryableType};
use crate::model::PlaceFeature;
use serde_json::Value;

/// The schema holding the catalogue and the layer tables.
pub const SCHEMA: &str = "cluster_atlas";

/// The catalogue: one row per layer served from the database.
pub const CATALOGUE_DDL: &str = "CREATE SCHEMA IF NOT EXISTS cluster_atlas;
CREATE TABLE IF NOT EXISTS cluster_atlas.layers (
    name text PRIMARY KEY,
    table_name text NOT NULL,
    title text NOT NULL,
    licence text,
    queryables jsonb NOT NULL,
    feature_count bigint NOT NULL,
    extent float8[],
    t_start integer,
    t_end integer,
    imported_at timestamptz NOT NULL DEFAULT now()
)";

/// A queryable property and its typed column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Property name.
    pub name: String,
    /// Its type.
    pub kind: QueryableType,
    /// Position: the column is `q<index>`.
    pub index: usize,
}

impl Column {
    /// A queryable stored in column `q<index>`.
    #[must_use]
    pub fn new(name: &str, kind: QueryableType, index: usize) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            index,
        }
    }

    /// The column's SQL name (never user text: `q0`, `q1`, …).
    #[must_use]
    pub fn sql_name(&self) -> String {
        format!("q{}", self.index)
    }

    /// The column's SQL type.
    #[must_use]
    pub fn sql_type(&self) -> &'static str {
        match self.kind {
            QueryableType::String => "text COLLATE \"C\"",
            QueryableType::Number => "float8",
            QueryableType::Boolean => "boolean",
        }
    }

    /// The queryable it stands for.
    #[must_use]
    pub fn queryable(&self) -> Queryable {
        Queryable {
            name: self.name.clone(),
            kind: self.kind,
        }
    }

    /// The catalogue's JSON for the queryables of a layer.
    #[must_use]
    pub fn catalogue_json(columns: &[Column]) -> Value {
        Value::Array(
            columns
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "type": c.kind.name(), "column": c.sql_name()}))
                .collect(),
        )
    }

    /// The columns described by the catalogue's JSON.
    ///
    /// # Errors
    /// A message if the JSON is not what [`Column::catalogue_json`] writes.
    pub fn from_catalogue_json(v: &Value) -> Result<Vec<Column>, String> {
        let items = v.as_array().ok_or("queryables is not an array")?;
        items
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let name = q.get("name").and_then(Value::as_str).ok_or("queryable without a name")?;
                let kind = match q.get("type").and_then(Value::as_str) {
                    Some("string") => QueryableType::String,
                    Some("number") => QueryableType::Number,
                    Some("boolean") => QueryableType::Boolean,
                    other => return Err(format!("queryable '{name}' has type {other:?}")),
                };
                if q.get("column").and_then(Value::as_str) != Some(&format!("q{i}")) {
                    return Err(format!("queryable '{name}' is not stored in column q{i}"));
                }
                Ok(Column::new(name, kind, i))
            })
            .collect()
    }
}

/// `"name"` as an SQL identifier (double quotes doubled).
#[must_use]
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The qualified name of a layer table.
#[must_use]
pub fn qualified(table: &str) -> String {
    format!("{SCHEMA}.{}", quote_ident(table))
}

/// The fixed columns of a layer table, in COPY order (the `q<i>` columns follow).
pub const FIXED_COLUMNS: [&str; 16] = [
    "ord",
    "id",
    "geom",
    "ux",
    "uy",
    "name_zh",
    "kind",
    "industries",
    "approval_level",
    "designation_lower",
    "t_start",
    "t_end",
    "county_code",
    "prefecture_code",
    "province_code",
    "properties",
];

/// `CREATE TABLE` of a layer table (without indexes: they are built after the COPY).
#[must_use]
pub fn table_ddl(table: &str, columns: &[Column]) -> String {
    let mut ddl = format!(
        "CREATE TABLE {} (
    ord bigint NOT NULL,
    id text COLLATE \"C\" NOT NULL,
    geom geometry(Point, 4326) NOT NULL,
    ux float8 NOT NULL,
    uy float8 NOT NULL,
    name_zh text NOT NULL,
    kind text,
    industries text[] NOT NULL,
    approval_level text,
    designation_lower text,
    t_start integer,
    t_end integer,
    county_code integer,
    prefecture_code integer,
    province_code integer,
    properties json NOT NULL",
        qualified(table)
    );
    for c in columns {
        ddl.push_str(&format!(",\n    {} {}", c.sql_name(), c.sql_type()));
    }
    ddl.push_str("\n)");
    ddl
}

/// Indexes of a layer table, built after its rows are in.
#[must_use]
pub fn index_ddl(table: &str) -> Vec<String> {
    let t = qualified(table);
    let name = |suffix: &str| quote_ident(&format!("{table}_{suffix}"));
    vec![
        format!("ALTER TABLE {t} ADD CONSTRAINT {} PRIMARY KEY (ord)", name("pkey")),
        format!("CREATE UNIQUE INDEX {} ON {t} (id)", name("id")),
        format!("CREATE INDEX {} ON {t} USING gist (geom)", name("geom")),
        format!("ANALYZE {t}"),
    ]
}

/// The finest level of a layer's grid pyramid: cells of `2^-GRID_LEVELS` of the Web Mercator
/// unit square (level `z + log2(n)` holds the `n`-per-tile cluster cells of zoom `z`, so the
/// default 8 cells per tile side are there for every zoom to 14: below 8, and in the tiles
/// of denser parts that are clustered deeper, see [`crate::tiles::MAX_TILE_POINTS`]).
pub const GRID_LEVELS: u8 = 17;

/// The precomputed tables of a layer, beside its table: per-code counts (`_codes`) for
/// density and a grid pyramid (`_grid`) for its clustered tiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollups {
    /// `(county_code, prefecture_code, province_code, kind, approval_level, industries) → n`.
    pub codes: String,
    /// `(level, gx, gy) → n, Σux, Σuy, first ord, top industries`.
    pub grid: String,
}

impl Rollups {
    /// The rollup tables of layer table `table` (qualified, quoted).
    #[must_use]
    pub fn of(table: &str) -> Self {
        Self {
            codes: qualified(&format!("{table}_codes")),
            grid: qualified(&format!("{table}_grid")),
        }
    }
}

/// The statements that build the rollups of `table` from its rows (in the import's
/// transaction, after the COPY). The grid's cells nest (a cell of level `L` is
/// `floor(u · 2^L)`, exact in floating point), so only the finest level reads the table and
/// each coarser one sums the finer; a point's cell is the one the live tile query computes.
#[must_use]
pub fn rollup_ddl(table: &str) -> Vec<String> {
    let t = qualified(table);
    let Rollups { codes, grid } = Rollups::of(table);
    let top = GRID_LEVELS;
    let side = 1u32 << GRID_LEVELS;
    // Each level is built from the one below it, staged in its own temporary table so that
    // no level rescans the others.
    let cells = |level: u8| format!("pg_temp.grid_{level}");
    let tags = |level: u8| format!("pg_temp.tags_{level}");
    let mut ddl = vec![
        format!(
            "CREATE TABLE {codes} AS SELECT county_code, prefecture_code, province_code, kind, approval_level, industries, \
             count(*)::bigint AS n FROM {t} GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        format!(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT floor(ux * {side})::int AS gx, floor(uy * {side})::int AS gy, \
             count(*)::bigint AS n, sum(ux) AS sx, sum(uy) AS sy, min(ord) AS first FROM {t} GROUP BY 1, 2",
            cells(top)
        ),
        format!(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT floor(ux * {side})::int AS gx, floor(uy * {side})::int AS gy, \
             tag COLLATE \"C\" AS tag, count(*)::bigint AS k FROM {t}, unnest(industries) AS tag GROUP BY 1, 2, 3",
            tags(top)
        ),
    ];
    for level in (0..top).rev() {
        ddl.push(format!(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT gx >> 1 AS gx, gy >> 1 AS gy, sum(n)::bigint AS n, sum(sx) AS sx, \
             sum(sy) AS sy, min(first) AS first FROM {} GROUP BY 1, 2",
            cells(level),
            cells(level + 1)
        ));
        ddl.push(format!(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT gx >> 1 AS gx, gy >> 1 AS gy, tag, sum(k)::bigint AS k FROM {} GROUP BY 1, 2, 3",
            tags(level),
            tags(level + 1)
        ));
    }
    let union = |of: &dyn Fn(u8) -> String, columns: &str| {
        (0..=top)
            .map(|level| format!("SELECT {level}::smallint AS level, {columns} FROM {}", of(level)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    };
    // The three most frequent industries of a cell, ties by name (as the live tile query).
    ddl.push(format!(
        "CREATE TABLE {grid} AS
         WITH c AS ({cells}), t AS ({tags}),
         r AS (SELECT level, gx, gy, string_agg(tag, ',' ORDER BY k DESC, tag COLLATE \"C\") AS top
               FROM (SELECT level, gx, gy, tag, k, row_number() OVER (PARTITION BY level, gx, gy ORDER BY k DESC, tag COLLATE \"C\") AS rn FROM t) s
               WHERE rn <= 3 GROUP BY level, gx, gy)
         SELECT c.level, c.gx, c.gy, c.n, c.sx, c.sy, c.first, r.top COLLATE \"C\" AS top FROM c LEFT JOIN r USING (level, gx, gy)",
        cells = union(&cells, "gx, gy, n, sx, sy, first"),
        tags = union(&tags, "gx, gy, tag, k"),
    ));
    ddl.push(format!("ALTER TABLE {grid} ADD PRIMARY KEY (level, gx, gy)"));
    ddl.push(format!("ANALYZE {codes}"));
    ddl.push(format!("ANALYZE {grid}"));
    ddl
}

/// The value of property `name` for its typed column: the property if it has the column's
/// type, else null (a row whose value has another type than the queryable's first one).
#[must_use]
pub fn typed_value(f: &PlaceFeature, c: &Column) -> Option<TypedValue> {
    match (f.properties.get(&c.name)?, c.kind) {
        (Value::String(s), QueryableType::String) => Some(TypedValue::Text(s.clone())),
        (Value::Number(n), QueryableType::Number) => n.as_f64().map(TypedValue::Number),
        (Value::Bool(b), QueryableType::Boolean) => Some(TypedValue::Bool(*b)),
        _ => None,
    }
}

/// A queryable's value as its column stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// The `approval_level` text the proximity filter compares (text values only).
#[must_use]
pub fn approval_level(f: &PlaceFeature) -> Option<&str> {
    f.properties.get("approval_level").and_then(Value::as_str)
}

/// The lower-cased `designation` the proximity filter searches (text values only).
#[must_use]
pub fn designation_lower(f: &PlaceFeature) -> Option<String> {
    f.properties.get("designation").and_then(Value::as_str).map(str::to_lowercase)
}

/// The columns a feature is read back from: id, lon, lat, properties.
pub const FEATURE_SELECT: &str = "id, ST_X(geom), ST_Y(geom), properties::text";

/// A feature read back from its stored id, coordinates and properties: the same
/// conversion the in-memory loader applies to the GeoJSON file.
///
/// # Errors
/// A message for stored properties that are not a JSON object or not a valid feature.
pub fn feature_from_row(id: &str, lon: f64, lat: f64, properties: &str) -> Result<PlaceFeature, String> {
    let props: Value = serde_json::from_str(properties).map_err(|e| format!("feature '{id}': properties: {e}"))?;
    let f = serde_json::json!({
        "type": "Feature",
        "id": id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    });
    crate::load::points::place_from_geojson(&f)
}

impl postgres_types::ToSql for TypedValue {
    fn to_sql(
        &self,
        ty: &postgres_types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            TypedValue::Text(s) => s.to_sql(ty, out),
            TypedValue::Number(n) => n.to_sql(ty, out),
            TypedValue::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &postgres_types::Type) -> bool {
        use postgres_types::Type;
        [Type::TEXT, Type::FLOAT8, Type::BOOL].contains(ty)
    }

    postgres_types::to_sql_checked!();
}
