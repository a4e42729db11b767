//! `cluster-atlas reverse`: one point, or every row of a CSV file.

use crate::analysis;
use crate::atlas::Atlas;
use crate::load::csv::{CsvReader, Problem};
use crate::model::{AdminLevel, AdminUnit};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
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
    /// Data folder (default: $CLUSTER_ATLAS_DATA, else ./geodata).
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

/// Rows geocoded together (in parallel, see [`analysis::reverse::reverse_geocode_many`]):
/// what bounds the memory of a CSV reverse geocode.
const BATCH_ROWS: usize = 65_536;

/// Parses the lon/lat fields of a row at `line`.
fn row_lon_lat(path: &Path, record: &csv::StringRecord, line: u64, ilon: usize, ilat: usize) -> Result<[f64; 2], Problem> {
    let num = |i: usize, name: &str| -> Result<f64, Problem> {
        let v = record.get(i).unwrap_or_default().trim();
        v.parse::<f64>().map_err(|_| {
            Problem::new(
                path,
                Some(line),
                Some(i as u64 + 1),
                format!("column '{name}': '{v}' is not a number"),
            )
        })
    };
    let (lon, lat) = (num(ilon, "lon")?, num(ilat, "lat")?);
    analysis::reverse::validate_lon_lat(lon, lat).map_err(|e| Problem::new(path, Some(line), None, e.to_string()))?;
    Ok([lon, lat])
}

fn report(problems: &[Problem]) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    anyhow::anyhow!("{} problem(s):\n{}", lines.len(), lines.join("\n"))
}

/// Reads `path` (header with `lon`, `lat`; UTF-8 or GBK), writes every row with
/// [`ADDED_COLUMNS`] appended (empty where no county contains the point). Validates every
/// row before writing anything; errors name the file, line and column.
///
/// The file is streamed twice — once to validate, once to geocode and write in batches of
/// [`BATCH_ROWS`] — so memory does not grow with its length.
///
/// # Errors
/// Unreadable file, missing columns, or a bad number / out-of-range coordinate.
pub fn reverse_csv(atlas: &Atlas, path: &Path, out: impl Write) -> anyhow::Result<()> {
    // Pass 1: every problem, reported as reading the whole table would (CSV problems first,
    // then missing columns, then values).
    let mut reader = CsvReader::open(path).map_err(|p| report(&p))?;
    let mut csv_problems = reader.header_problems().to_vec();
    let columns = (reader.column(&["lon", "lng", "longitude"]), reader.column(&["lat", "latitude"]));
    let mut value_problems = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(row) = reader.read_row(&mut record) {
        match (row, columns) {
            (Ok(line), (Some(ilon), Some(ilat))) if csv_problems.is_empty() => {
                if let Err(p) = row_lon_lat(path, &record, line, ilon, ilat) {
                    value_problems.push(p);
                }
            }
            (Ok(_), _) => {}
            (Err(p), _) => csv_problems.push(p),
        }
    }
    if !csv_problems.is_empty() {
        return Err(report(&csv_problems));
    }
    let (Some(ilon), Some(ilat)) = columns else {
        return Err(report(&[Problem::new(
            path,
            Some(1),
            None,
            "the header needs 'lon' and 'lat' columns",
        )]));
    };
    if !value_problems.is_empty() {
        return Err(report(&value_problems));
    }

    // Pass 2: read a batch, geocode it, write it.
    let mut reader = CsvReader::open(path).map_err(|p| report(&p))?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(reader.headers().iter().map(String::as_str).chain(ADDED_COLUMNS))?;
    let mut batch: Vec<csv::StringRecord> = Vec::new();
    let mut points: Vec<[f64; 2]> = Vec::new();
    loop {
        let mut filled = 0;
        points.clear();
        while filled < BATCH_ROWS {
            if batch.len() == filled {
                batch.push(csv::StringRecord::new());
            }
            let Some(row) = reader.read_row(&mut batch[filled]) else { break };
            // Only if the file changed since it was validated.
            let line = row.map_err(|p| report(&[p]))?;
            points.push(row_lon_lat(path, &batch[filled], line, ilon, ilat).map_err(|p| report(&[p]))?);
            filled += 1;
        }
        if filled == 0 {
            break;
        }
        let found = analysis::reverse::reverse_geocode_many(atlas, AdminLevel::County, &points)?;
        for (record, unit) in batch[..filled].iter().zip(found) {
            let added = added_values(unit);
            w.write_record(record.iter().chain(added.iter().map(String::as_str)))?;
        }
        if filled < BATCH_ROWS {
            break;
        }
    }
    w.flush()?;
    Ok(())
}
