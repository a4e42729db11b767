//! `cluster-atlas reverse`: one point, or every row of a CSV file.

use crate::analysis;
use crate::atlas::Atlas;
use crate::load::import::{Problem, read_csv_table};
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

/// Reads `path` (header with `lon`, `lat`; UTF-8 or GBK), writes every row with
/// [`ADDED_COLUMNS`] appended (empty where no county contains the point). Validates every
/// row before writing anything; errors name the file, line and column.
///
/// # Errors
/// Unreadable file, missing columns, or a bad number / out-of-range coordinate.
pub fn reverse_csv(atlas: &Atlas, path: &std::path::Path, out: impl Write) -> anyhow::Result<()> {
    let report = |problems: Vec<Problem>| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{} problem(s):\n{}", lines.len(), lines.join("\n"))
    };
    let table = read_csv_table(path).map_err(report)?;
    let (Some(ilon), Some(ilat)) = (table.column(&["lon", "lng", "longitude"]), table.column(&["lat", "latitude"])) else {
        return Err(report(vec![Problem::new(
            path,
            Some(1),
            None,
            "the header needs 'lon' and 'lat' columns",
        )]));
    };
    let mut points = Vec::with_capacity(table.rows.len());
    let mut problems = Vec::new();
    for row in &table.rows {
        let num = |i: usize, name: &str| -> Result<f64, Problem> {
            let v = row.fields[i].trim();
            v.parse::<f64>().map_err(|_| {
                Problem::new(
                    path,
                    Some(row.line),
                    Some(i as u64 + 1),
                    format!("column '{name}': '{v}' is not a number"),
                )
            })
        };
        match (num(ilon, "lon"), num(ilat, "lat")) {
            (Ok(lon), Ok(lat)) => match analysis::reverse::validate_lon_lat(lon, lat) {
                Ok(_) => points.push((lon, lat)),
                Err(e) => problems.push(Problem::new(path, Some(row.line), None, e.to_string())),
            },
            (Err(e), _) | (_, Err(e)) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(report(problems));
    }
    let mut w = csv::Writer::from_writer(out);
    w.write_record(table.headers.iter().map(String::as_str).chain(ADDED_COLUMNS))?;
    for (row, (lon, lat)) in table.rows.iter().zip(points) {
        let added = added_values(analysis::reverse_geocode(atlas, AdminLevel::County, lon, lat)?);
        w.write_record(row.fields.iter().chain(added.iter()))?;
    }
    w.flush()?;
    Ok(())
}
