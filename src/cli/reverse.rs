//! `cluster-atlas reverse`: one point, or every row of a CSV file.

use crate::analysis;
use crate::atlas::Atlas;
use crate::model::{AdminLevel, AdminUnit};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `reverse`.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct ReverseArgs {
    /// Longitude (WGS84 degrees).
    #[arg(required_unless_present = "csv")]
    pub lon: Option<f64>,
    /// Latitude (WGS84 degrees).
    #[arg(required_unless_present = "csv")]
    pub lat: Option<f64>,
    /// A CSV file with `lon` and `lat` columns; writes it back with code and names added.
    #[arg(long, conflicts_with_all = ["lon", "lat"])]
    pub csv: Option<PathBuf>,
    /// Where to write the CSV result (default: standard output).
    #[arg(long, requires = "csv")]
    pub out: Option<PathBuf>,
    /// Data folder (default: ./geodata, else the one shipped with the source).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Runs `reverse`.
///
/// # Errors
/// Bad coordinates or CSV rows, named by file and line.
pub fn run(args: ReverseArgs) -> anyhow::Result<ExitCode> {
    let data = super::resolve_data_dir(args.data);
    let atlas = crate::load::load_dir(&data).with_context(|| format!("loading {}", data.display()))?;
    if let Some(csv) = args.csv {
        let out: Box<dyn Write> = match &args.out {
            Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
            None => Box::new(std::io::stdout().lock()),
        };
        reverse_csv(&atlas, &csv, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(lon), Some(lat)) = (args.lon, args.lat) else {
        bail!("give <lon> <lat> or --csv FILE")
    };
    match analysis::reverse_geocode(&atlas, AdminLevel::County, lon, lat)? {
        Some(u) => {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                u.code,
                u.name_zh,
                u.prefecture_name_zh.as_deref().unwrap_or(""),
                u.province_name_zh,
                u.name_pinyin
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("no county contains lon={lon} lat={lat}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Columns appended to every row of a CSV reverse geocode.
pub const ADDED_COLUMNS: [&str; 5] = [
    "county_code",
    "county_name_zh",
    "prefecture_code",
    "prefecture_name_zh",
    "province_code",
];

fn added_values(u: Option<&AdminUnit>) -> [String; 5] {
    match u {
        None => Default::default(),
        Some(u) => [
            u.code.to_string(),
            u.name_zh.clone(),
            u.prefecture_code.map(|c| c.to_string()).unwrap_or_default(),
            u.prefecture_name_zh.clone().unwrap_or_default(),
            u.province_code.to_string(),
        ],
    }
}

/// Reads `path` (header with `lon`, `lat`), writes every row with [`ADDED_COLUMNS`]
/// appended (empty where no county contains the point). Validates every row before
/// writing anything; errors name the file, line and column.
///
/// # Errors
/// Unreadable file, missing columns, or a bad number / out-of-range coordinate.
pub fn reverse_csv(atlas: &Atlas, path: &std::path::Path, out: impl Write) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: reading the header", path.display()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(ilon), Some(ilat)) = (
        col("lon").or_else(|| col("lng")).or_else(|| col("longitude")),
        col("lat").or_else(|| col("latitude")),
    ) else {
        bail!("{}: line 1: the header needs 'lon' and 'lat' columns", path.display());
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for rec in reader.records() {
        let rec = rec.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = rec.position().map_or(0, csv::Position::line);
        let num = |i: usize, name: &str| -> Result<f64, String> {
            let v = rec.get(i).unwrap_or("").trim();
            v.parse::<f64>()
                .map_err(|_| format!("{}: line {line}: column '{name}': '{v}' is not a number", path.display()))
        };
        match (num(ilon, "lon"), num(ilat, "lat")) {
            (Ok(lon), Ok(lat)) => match analysis::reverse::validate_lon_lat(lon, lat) {
                Ok(_) => rows.push((rec, lon, lat)),
                Err(e) => problems.push(format!("{}: line {line}: {e}", path.display())),
            },
            (Err(e), _) | (_, Err(e)) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        bail!("{} invalid row(s):\n{}", problems.len(), problems.join("\n"));
    }
    let mut w = csv::Writer::from_writer(out);
    w.write_record(headers.iter().chain(ADDED_COLUMNS))?;
    for (rec, lon, lat) in rows {
        let unit = analysis::reverse_geocode(atlas, AdminLevel::County, lon, lat)?;
        let added = added_values(unit);
        w.write_record(rec.iter().chain(added.iter().map(String::as_str)))?;
    }
    w.flush()?;
    Ok(())
}
