//! `cluster-atlas convert`.

use crate::crs::{self, Datum};
use std::process::ExitCode;

/// Arguments of `convert`.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct ConvertArgs {
    /// Datum of the input point: wgs84, gcj02 or bd09.
    #[arg(long)]
    pub from: Datum,
    /// Datum of the output point: wgs84, gcj02 or bd09.
    #[arg(long)]
    pub to: Datum,
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
}

/// Prints `lon lat` in the target datum.
///
/// # Errors
/// If the coordinate is out of range.
pub fn run(args: &ConvertArgs) -> anyhow::Result<ExitCode> {
    crate::analysis::reverse::validate_lon_lat(args.lon, args.lat)?;
    let (x, y) = crs::convert(args.from, args.to, (args.lon, args.lat));
    println!("{x:.8} {y:.8}");
    Ok(ExitCode::SUCCESS)
}
