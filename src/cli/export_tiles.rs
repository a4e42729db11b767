//! `cluster-atlas export-tiles`: a PMTiles v3 archive of one tile layer, for static hosting.

use crate::atlas::Atlas;
use crate::tiles::{self, ClusterOptions, TileCoord, TileLayer};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use pmtiles::{PmTilesWriter, TileType};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `export-tiles`.
#[derive(Debug, clap::Args)]
pub struct ExportTilesArgs {
    /// Tile layer: provinces, prefectures, counties or a point layer such as clusters.
    #[arg(long)]
    pub layer: String,
    /// Lowest zoom written.
    #[arg(long, default_value_t = 0)]
    pub minzoom: u8,
    /// Highest zoom written (at most 16).
    #[arg(long)]
    pub maxzoom: u8,
    /// Output .pmtiles file.
    #[arg(long)]
    pub out: PathBuf,
    /// Data folder (default: $CLUSTER_ATLAS_DATA, else ./geodata).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Clustering radius of point layers below zoom 8, in pixels of a 512-pixel tile
    /// (8..=512; rounded to a whole number of grid cells per tile side).
    #[arg(long, value_name = "PIXELS", default_value = "64")]
    pub cluster_radius: ClusterOptions,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportStats {
    /// Tiles examined (those whose box meets the layer's bounds).
    pub candidates: u64,
    /// Non-empty tiles written.
    pub written: u64,
}

/// Layer bounds `[west, south, east, north]`, or `None` for an empty layer.
fn layer_bounds(layer: &TileLayer<'_>, atlas: &Atlas) -> Option<[f64; 4]> {
    let env = match layer {
        TileLayer::Admin(level) => atlas.admin_extent(*level)?,
        TileLayer::Points(p) => return p.extent(),
    };
    Some([env.lower()[0], env.lower()[1], env.upper()[0], env.upper()[1]])
}

/// The tiles of zooms `minzoom..=maxzoom` meeting `b`, in PMTiles tile-id order.
fn covering(b: [f64; 4], minzoom: u8, maxzoom: u8) -> Vec<TileCoord> {
    let mut out = Vec::new();
    for z in minzoom..=maxzoom {
        let (nw, se) = TileCoord::corners(z, b);
        for x in nw.x..=se.x {
            out.extend((nw.y..=se.y).map(|y| TileCoord { z, x, y }));
        }
    }
    out.sort_by_key(|t| pmtiles::TileCoord::new(t.z, t.x, t.y).map_or(u64::MAX, |c| pmtiles::TileId::from(c).value()));
    out
}

/// Writes the non-empty tiles of `layer` at zooms `minzoom..=maxzoom` to a PMTiles v3 file,
/// clustering point layers with `cluster`.
///
/// # Errors
/// Unknown layer, bad zooms, or failure to encode or write.
pub fn export(
    atlas: &Atlas,
    layer: &str,
    (minzoom, maxzoom): (u8, u8),
    cluster: ClusterOptions,
    out: &Path,
    progress: bool,
) -> anyhow::Result<ExportStats> {
    anyhow::ensure!(
        minzoom <= maxzoom && maxzoom <= tiles::MAX_ZOOM,
        "--minzoom {minzoom} / --maxzoom {maxzoom}: need minzoom ≤ maxzoom ≤ {}",
        tiles::MAX_ZOOM
    );
    let tile_layer = tiles::resolve_layer(atlas, layer).with_context(|| format!("--layer {layer}"))?;
    let b = layer_bounds(&tile_layer, atlas).with_context(|| format!("layer {layer} is empty"))?;
    let coords = covering(b, minzoom, maxzoom);
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut metadata = serde_json::json!({"name": layer, "vector_layers": [{"id": layer, "minzoom": minzoom, "maxzoom": maxzoom}]});
    if let TileLayer::Points(_) = tile_layer {
        metadata["cluster_radius_px"] = serde_json::json!(cluster.radius_px());
        metadata["cluster_cells_per_tile"] = serde_json::json!(cluster.cells_per_side());
    }
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .min_zoom(minzoom)
        .max_zoom(maxzoom)
        .bounds(b[0] as f32, b[1] as f32, b[2] as f32, b[3] as f32)
        .center((b[0] + b[2]) as f32 / 2.0, (b[1] + b[3]) as f32 / 2.0)
        .center_zoom(minzoom.max(4).min(maxzoom))
        .metadata(&metadata.to_string())
        .create(BufWriter::new(file))
        .with_context(|| format!("writing {}", out.display()))?;
    let bar = if progress {
        ProgressBar::new(coords.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} tiles {elapsed}/{eta}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(layer.to_owned());
    let mut written = 0;
    let prepared = tiles::prepared::PreparedTiles::default();
    let dictionary = match tile_layer {
        TileLayer::Points(p) => Some(tiles::point_tags::PointDictionary::new(p.features())),
        TileLayer::Admin(_) => None,
    };
    let everything = crate::analysis::PointFilter::default();
    for t in &coords {
        let bytes = match (tile_layer, &dictionary) {
            (TileLayer::Admin(level), _) => tiles::encode_admin_tile(atlas, &prepared, level, layer, *t)?,
            (TileLayer::Points(p), Some(dict)) => tiles::encode_point_tile(p, dict, layer, *t, cluster, &everything),
            (TileLayer::Points(_), None) => None,
        };
        if let Some(bytes) = bytes {
            let coord = pmtiles::TileCoord::new(t.z, t.x, t.y).with_context(|| format!("tile {}/{}/{}", t.z, t.x, t.y))?;
            writer
                .add_tile(coord, &bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            written += 1;
        }
        bar.inc(1);
    }
    bar.finish();
    writer.finalize().with_context(|| format!("finishing {}", out.display()))?;
    Ok(ExportStats {
        candidates: coords.len() as u64,
        written,
    })
}

/// Runs `export-tiles`.
///
/// # Errors
/// If the data cannot be loaded or the archive cannot be written.
pub fn run(args: &ExportTilesArgs) -> anyhow::Result<ExitCode> {
    let data = super::resolve_data_dir(args.data.clone());
    let atlas = crate::load::load_dir(&data).with_context(|| format!("loading {}", data.display()))?;
    let s = export(
        &atlas,
        &args.layer,
        (args.minzoom, args.maxzoom),
        args.cluster_radius,
        &args.out,
        true,
    )?;
    println!("{}: {} tiles written ({} examined)", args.out.display(), s.written, s.candidates);
    Ok(ExitCode::SUCCESS)
}
