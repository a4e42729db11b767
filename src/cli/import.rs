//! `cluster-atlas import`: a user's CSV or GeoJSON points become a layer of the data folder.

use crate::crs::Datum;
use crate::ingest::import::{ImportOutcome, encode_layer, import_csv, import_geojson};
use crate::load::csv::{decode_text, read_csv_table};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Layer names an import may not take (the admin layers and the curated default layer).
pub const RESERVED_LAYERS: [&str; 4] = ["provinces", "prefectures", "counties", crate::atlas::DEFAULT_POINT_LAYER];

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A CSV file (lon/lat columns, or county_code / county_zh) or a GeoJSON FeatureCollection of Points.
    pub file: PathBuf,
    /// Layer name: lowercase letters, digits, '_' and '-'; written to <data>/<layer>.geojson.
    #[arg(long)]
    pub layer: String,
    /// Datum of the input coordinates: wgs84, gcj02 (Amap, Tencent) or bd09 (Baidu).
    #[arg(long, default_value = "wgs84")]
    pub crs: String,
    /// Import the valid rows and report the others, instead of importing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Data folder (default: $CLUSTER_ATLAS_DATA, else ./geodata).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Import a CSV into this PostgreSQL/PostGIS database (`postgres://user@host/db`)
    /// instead of the data folder: table `cluster_atlas.layer_…` and a row in
    /// `cluster_atlas.layers`, in one transaction, for `serve --postgres`.
    #[arg(long, value_name = "URL", env = "CLUSTER_ATLAS_POSTGRES")]
    pub postgres: Option<String>,
    /// Title of the layer in the catalogue (with --postgres; default: the layer name).
    #[arg(long, requires = "postgres")]
    pub title: Option<String>,
    /// Licence or terms of the data, for the catalogue (with --postgres).
    #[arg(long, requires = "postgres")]
    pub licence: Option<String>,
}

/// Checks a layer name: `[a-z0-9_-]+`, at most 64 characters, not reserved.
///
/// # Errors
/// A message saying why the name is refused.
pub fn validate_layer_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(format!("--layer '{name}': use 1-64 characters from a-z, 0-9, '_' and '-'"));
    }
    if RESERVED_LAYERS.contains(&name) {
        return Err(format!("--layer '{name}': reserved for a built-in layer"));
    }
    Ok(())
}

fn read_outcome(atlas: &crate::atlas::Atlas, file: &Path, datum: Datum) -> anyhow::Result<ImportOutcome> {
    let ext = file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    Ok(match ext.as_deref() {
        Some("csv") => match read_csv_table(file) {
            Ok(table) => import_csv(atlas, &table, datum),
            Err(problems) => ImportOutcome {
                problems,
                ..ImportOutcome::default()
            },
        },
        Some("geojson" | "json") => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            match decode_text(file, &bytes) {
                Ok(text) => import_geojson(atlas, file, &text, datum),
                Err(p) => ImportOutcome {
                    problems: vec![p],
                    ..ImportOutcome::default()
                },
            }
        }
        _ => bail!("{}: expected a .csv, .geojson or .json file", file.display()),
    })
}

/// Runs `import`: validates everything first, then replaces the layer file atomically.
/// Exit code 1 (nothing written) if any row is bad and `--skip-invalid` is not given.
///
/// # Errors
/// Bad arguments, unreadable files or a failed write (the previous layer is then intact).
pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    validate_layer_name(&args.layer).map_err(anyhow::Error::msg)?;
    let datum: Datum = args.crs.parse().map_err(|e| anyhow::anyhow!("--crs: {e}"))?;
    let data = super::resolve_data_dir(args.data.clone());
    let atlas = super::build_clusters::load_admin_atlas(&data)?;
    if let Some(url) = &args.postgres {
        return run_postgres(args, url, atlas, datum);
    }
    let outcome = read_outcome(&atlas, &args.file, datum)?;
    for p in &outcome.problems {
        eprintln!("error: {p}");
    }
    let fatal = outcome.features.is_empty() || (!outcome.problems.is_empty() && !args.skip_invalid);
    if fatal {
        return Ok(nothing_imported(args, outcome.problems.len()));
    }
    let out = data.join(format!("{}.geojson", args.layer));
    // Temp files of an earlier import killed before its rename are never served; clear them.
    let _ = crate::load::atomic::remove_stale_temps(&out);
    crate::load::atomic::write_atomic(&out, encode_layer(&outcome.features).as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: {} feature(s) imported into layer '{}'{}",
        out.display(),
        outcome.features.len(),
        args.layer,
        skipped(outcome.rejected)
    );
    Ok(ExitCode::SUCCESS)
}

/// Says that an import with `problems` changed nothing; exit code 1.
fn nothing_imported(args: &ImportArgs, problems: usize) -> ExitCode {
    let hint = if args.skip_invalid {
        ""
    } else {
        " (use --skip-invalid to import the valid rows)"
    };
    eprintln!(
        "{problems} problem(s) in {}; nothing imported, layer '{}' unchanged{hint}",
        args.file.display(),
        args.layer,
    );
    ExitCode::from(1)
}

/// `, N skipped` when rows were skipped, else nothing.
fn skipped(rejected: usize) -> String {
    if rejected > 0 {
        format!(", {rejected} skipped")
    } else {
        String::new()
    }
}

/// `import --postgres`: streams a CSV into the database (see
/// [`crate::source::postgis::import`]).
fn run_postgres(args: &ImportArgs, url: &str, atlas: crate::atlas::Atlas, datum: Datum) -> anyhow::Result<ExitCode> {
    let is_csv = args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        bail!("{}: --postgres imports CSV files (lon/lat or county columns)", args.file.display());
    }
    let req = crate::source::postgis::import::ImportRequest {
        url,
        layer: &args.layer,
        title: &args.title.clone().unwrap_or_else(|| crate::load::imported_layer_title(&args.layer)),
        licence: args.licence.as_deref(),
        file: &args.file,
        datum,
        skip_invalid: args.skip_invalid,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = runtime
        .block_on(crate::source::postgis::import::import_csv(std::sync::Arc::new(atlas), &req))
        .map_err(|e| anyhow::anyhow!("{e}; nothing imported, layer '{}' unchanged", args.layer))?;
    for p in &report.problems {
        eprintln!("error: {p}");
    }
    if !report.committed {
        return Ok(nothing_imported(args, report.rejected.max(report.problems.len())));
    }
    println!(
        "{}: {} feature(s) imported into PostgreSQL layer '{}' (table cluster_atlas.{}){}",
        args.file.display(),
        report.imported,
        args.layer,
        report.table,
        skipped(report.rejected)
    );
    Ok(ExitCode::SUCCESS)
}
