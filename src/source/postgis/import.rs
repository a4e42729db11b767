//! `import --postgres`: a CSV of points streamed into a layer table with binary `COPY`, in
//! one transaction.
//!
//! Two passes over the file, each in bounded memory: the first validates and places every
//! row (so a bad file is reported, by file and line, before the database is touched) and
//! learns the queryables, extent and time span; the second places the rows again and
//! streams them to `COPY … FROM STDIN (FORMAT binary)`. Each point's admin codes come from
//! the in-memory reverse geocoder, as the in-memory import's do. The new table gets a fresh
//! name; its indexes, the catalogue row and the removal of the layer's previous table are
//! committed together, so a failed import leaves the database as it was and readers of the
//! previous table are not blocked while the new one is written.

use super::schema::{self, CATALOGUE_DDL, Column, FIXED_COLUMNS, TypedValue, qualified};
use crate::atlas::Atlas;
use crate::crs::Datum;
use crate::ingest::import::RowPlacer;
use crate::load::csv::{CsvReader, CsvRow, Problem};
use crate::model::PlaceFeature;
use crate::model::queryable::QueryableCollector;
use bytes::{BufMut, BytesMut};
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use tokio_postgres::binary_copy::BinaryCopyInWriter;

/// Rows sent from the reading thread to the COPY in one message.
const BATCH: usize = 2_000;

/// Most problems kept for the report (all are counted).
const MAX_PROBLEMS: usize = 1_000;

/// What an import is asked to do.
#[derive(Debug, Clone)]
pub struct ImportRequest<'a> {
    /// Connection URL.
    pub url: &'a str,
    /// Layer name (checked by the caller).
    pub layer: &'a str,
    /// Title for the catalogue.
    pub title: &'a str,
    /// Licence or terms for the catalogue.
    pub licence: Option<&'a str>,
    /// The CSV file.
    pub file: &'a Path,
    /// Datum of its coordinates.
    pub datum: Datum,
    /// Import the valid rows and report the others, instead of importing nothing.
    pub skip_invalid: bool,
}

/// The outcome of an import.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Features written (0 when nothing was imported).
    pub imported: usize,
    /// Rows rejected.
    pub rejected: usize,
    /// Problems of rejected rows (at most [`MAX_PROBLEMS`]), in file order.
    pub problems: Vec<Problem>,
    /// Whether the database was changed.
    pub committed: bool,
    /// The table written.
    pub table: String,
}

/// What the first pass learns.
#[derive(Debug, Default)]
struct Survey {
    valid: usize,
    rejected: usize,
    problems: Vec<Problem>,
    queryables: QueryableCollector,
    extent: Option<[f64; 4]>,
    temporal: Option<crate::model::TimeSpan>,
}

impl Survey {
    fn problem(&mut self, p: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }
}

/// Reads the rows of `file`, placing each; `each` gets the valid features, in file order.
/// Duplicate ids are found by a 64-bit hash of each id with its first line (8 bytes per
/// row rather than the id itself: 20 million ids held as strings would take gigabytes); the
/// table's unique index on `id` is the exact backstop.
fn read_rows(
    atlas: &Atlas,
    file: &Path,
    datum: Datum,
    survey: &mut Survey,
    mut each: impl FnMut(PlaceFeature) -> bool,
) -> Result<(), Vec<Problem>> {
    let mut reader = CsvReader::open(file)?;
    if !reader.header_problems().is_empty() {
        return Err(reader.header_problems().to_vec());
    }
    let placer = RowPlacer::new(atlas, file, reader.headers(), datum).map_err(|p| vec![p])?;
    let hasher = std::collections::hash_map::RandomState::new();
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    while let Some(row) = reader.read_row(&mut record) {
        let line = match row {
            Ok(line) => line,
            Err(p) => {
                survey.rejected += 1;
                survey.problem(p);
                continue;
            }
        };
        let row = CsvRow {
            line,
            fields: record.iter().map(str::to_owned).collect(),
        };
        let id = placer.id(&row);
        let mut h = hasher.build_hasher();
        h.write(id.as_bytes());
        let first = *seen.entry(h.finish()).or_insert(line);
        let placed = placer
            .place(&row)
            .and_then(|v| crate::load::points::place_from_geojson(&v).map_err(|m| vec![Problem::new(file, Some(line), None, m)]));
        match placed {
            Ok(_) if first != line => {
                survey.rejected += 1;
                survey.problem(Problem::new(
                    file,
                    Some(line),
                    placer.id_column(),
                    format!("duplicate id '{id}' (first on line {first})"),
                ));
            }
            Ok(f) => {
                if !each(f) {
                    return Ok(());
                }
            }
            Err(problems) => {
                survey.rejected += 1;
                problems.into_iter().for_each(|p| survey.problem(p));
            }
        }
    }
    Ok(())
}

/// A point as EWKB with SRID 4326, PostGIS's binary input of `geometry` (written here: no
/// maintained crate encodes PostGIS geometries for `postgres-types` 0.2).
#[derive(Debug)]
struct Ewkb(f64, f64);

impl ToSql for Ewkb {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_u8(1); // little-endian
        out.put_u32_le(0x2000_0001); // Point with SRID
        out.put_u32_le(4326);
        out.put_f64_le(self.0);
        out.put_f64_le(self.1);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "geometry"
    }

    to_sql_checked!();
}

fn code(c: Option<crate::model::AdminCode>) -> Option<i32> {
    c.and_then(|c| i32::try_from(c.value()).ok())
}

fn day(d: Option<crate::model::Day>) -> Option<i32> {
    d.and_then(|d| i32::try_from(d.value()).ok())
}

/// Runs an import (see the module docs).
///
/// # Errors
/// A message for a database failure (the transaction is then rolled back) or an
/// unreadable file; bad rows are reported in the [`ImportReport`] instead.
pub async fn import_csv(atlas: std::sync::Arc<Atlas>, req: &ImportRequest<'_>) -> Result<ImportReport, String> {
    // Pass 1, on a blocking thread: validate, learn the schema.
    let (file, datum) = (req.file.to_path_buf(), req.datum);
    let a = atlas.clone();
    let survey = tokio::task::spawn_blocking(move || {
        let mut s = Survey::default();
        let mut valid = 0;
        let (mut extent, mut temporal, mut q) = (None::<[f64; 4]>, None, QueryableCollector::default());
        let read = read_rows(&a, &file, datum, &mut s, |f| {
            valid += 1;
            let (x, y) = (f.point.x(), f.point.y());
            extent = Some(extent.map_or([x, y, x, y], |e| [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)]));
            temporal = match (temporal, f.time) {
                (Some(t), Some(u)) => Some(crate::model::TimeSpan::union(t, u)),
                (t, u) => t.or(u),
            };
            q.add(&f);
            true
        });
        (s.valid, s.extent, s.temporal, s.queryables) = (valid, extent, temporal, q);
        read.map(|()| s)
    })
    .await
    .map_err(|e| e.to_string())?;
    let survey = match survey {
        Ok(s) => s,
        Err(problems) => {
            return Ok(ImportReport {
                rejected: 0,
                problems,
                ..ImportReport::default()
            });
        }
    };
    let mut report = ImportReport {
        rejected: survey.rejected,
        problems: survey.problems,
        ..ImportReport::default()
    };
    if survey.valid == 0 || (survey.rejected > 0 && !req.skip_invalid) {
        return Ok(report);
    }
    let columns: Vec<Column> = survey
        .queryables
        .finish()
        .iter()
        .enumerate()
        .map(|(i, q)| Column::new(&q.name, q.kind, i))
        .collect();

    // Pass 2: one transaction.
    let (mut client, connection) = tokio_postgres::connect(req.url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let conn = tokio::spawn(async move {
        let _ = connection.await;
    });
    let db = |e: tokio_postgres::Error| match e.as_db_error() {
        Some(d) => format!(
            "PostgreSQL: {}{}",
            d.message(),
            d.detail().map(|x| format!(" ({x})")).unwrap_or_default()
        ),
        None => format!("PostgreSQL: {e}"),
    };
    let tx = client.transaction().await.map_err(db)?;
    tx.batch_execute(CATALOGUE_DDL).await.map_err(db)?;
    // One import of a layer at a time; the lock is released at commit or rollback.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('cluster_atlas.import.' || $1::text))",
        &[&req.layer],
    )
    .await
    .map_err(db)?;
    let old: Option<String> = tx
        .query_opt("SELECT table_name FROM cluster_atlas.layers WHERE name = $1::text", &[&req.layer])
        .await
        .map_err(db)?
        .map(|r| r.get(0));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let table = format!("layer_{stamp}_{}", std::process::id());
    tx.batch_execute(&schema::table_ddl(&table, &columns)).await.map_err(db)?;
    let geometry = tx.prepare("SELECT NULL::geometry").await.map_err(db)?.columns()[0].type_().clone();
    let mut types = vec![
        Type::INT8,
        Type::TEXT,
        geometry,
        Type::FLOAT8,
        Type::FLOAT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT_ARRAY,
        Type::TEXT,
        Type::TEXT,
        Type::INT4,
        Type::INT4,
        Type::INT4,
        Type::INT4,
        Type::INT4,
        Type::JSON,
    ];
    types.extend(columns.iter().map(|c| match c.kind {
        crate::analysis::features::QueryableType::String => Type::TEXT,
        crate::analysis::features::QueryableType::Number => Type::FLOAT8,
        crate::analysis::features::QueryableType::Boolean => Type::BOOL,
    }));
    let names: Vec<String> = FIXED_COLUMNS
        .iter()
        .map(|s| (*s).to_owned())
        .chain(columns.iter().map(Column::sql_name))
        .collect();
    let copy = format!("COPY {} ({}) FROM STDIN (FORMAT binary)", qualified(&table), names.join(", "));
    let sink = tx.copy_in(&copy).await.map_err(db)?;
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);

    // The reading thread places rows again and sends them in batches (bounded channel).
    let (send, mut receive) = tokio::sync::mpsc::channel::<Vec<PlaceFeature>>(4);
    let (file, a) = (req.file.to_path_buf(), atlas.clone());
    let reader = tokio::task::spawn_blocking(move || {
        let mut s = Survey::default();
        let mut batch = Vec::with_capacity(BATCH);
        let r = read_rows(&a, &file, datum, &mut s, |f| {
            batch.push(f);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                return send.blocking_send(full).is_ok();
            }
            true
        });
        if !batch.is_empty() {
            let _ = send.blocking_send(batch);
        }
        r.map_err(|p| p.first().map(ToString::to_string).unwrap_or_default())
    });
    let mut ord: i64 = 0;
    while let Some(batch) = receive.recv().await {
        for f in batch {
            let typed: Vec<Option<TypedValue>> = columns.iter().map(|c| schema::typed_value(&f, c)).collect();
            let [ux, uy] = crate::tiles::unit_square(f.point.x(), f.point.y());
            let props = postgres_types::Json(&f.properties);
            let (geom, approval, designation) = (
                Ewkb(f.point.x(), f.point.y()),
                schema::approval_level(&f),
                schema::designation_lower(&f),
            );
            let (t_start, t_end) = (day(f.time.map(|t| t.start)), day(f.time.map(|t| t.end)));
            let codes = (code(f.county_code), code(f.prefecture_code), code(f.province_code));
            let mut row: Vec<&(dyn ToSql + Sync)> = vec![
                &ord,
                &f.id,
                &geom,
                &ux,
                &uy,
                &f.name_zh,
                &f.kind,
                &f.industries,
                &approval,
                &designation,
                &t_start,
                &t_end,
                &codes.0,
                &codes.1,
                &codes.2,
                &props,
            ];
            for v in &typed {
                row.push(v);
            }
            writer.as_mut().write(&row).await.map_err(db)?;
            ord += 1;
        }
    }
    reader.await.map_err(|e| e.to_string())??;
    writer.as_mut().finish().await.map_err(db)?;
    for ddl in schema::index_ddl(&table).into_iter().chain(schema::rollup_ddl(&table)) {
        tx.batch_execute(&ddl).await.map_err(db)?;
    }
    let queryables = Column::catalogue_json(&columns);
    let extent: Option<Vec<f64>> = survey.extent.map(|e| e.to_vec());
    let count = ord;
    tx.execute("DELETE FROM cluster_atlas.layers WHERE name = $1::text", &[&req.layer])
        .await
        .map_err(db)?;
    tx.execute(
        "INSERT INTO cluster_atlas.layers (name, table_name, title, licence, queryables, feature_count, extent, t_start, t_end)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &req.layer,
            &table,
            &req.title,
            &req.licence,
            &queryables,
            &count,
            &extent,
            &day(survey.temporal.map(|t| t.start)),
            &day(survey.temporal.map(|t| t.end)),
        ],
    )
    .await
    .map_err(db)?;
    if let Some(old) = old {
        let rollups = schema::Rollups::of(&old);
        tx.batch_execute(&format!(
            "DROP TABLE IF EXISTS {}, {}, {}",
            qualified(&old),
            rollups.codes,
            rollups.grid
        ))
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    drop(client);
    let _ = conn.await;
    report.imported = usize::try_from(count).unwrap_or(0);
    report.committed = true;
    report.table = table;
    Ok(report)
}
