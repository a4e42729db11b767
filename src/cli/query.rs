//! `cluster-atlas query nearest|within|search`: proximity and name queries from the shell,
//! as an aligned table or (`--json`) GeoJSON.

use crate::analysis::{self, Hit, NearestQuery, PointFilter, SearchHit, WithinQuery};
use crate::atlas::Atlas;
use crate::geojson_out::{feature_collection, place_feature, search_hit_feature};
use anyhow::Context;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Which query.
    #[command(subcommand)]
    pub query: QueryCommand,
}

/// The query subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum QueryCommand {
    /// The k features nearest to a point.
    Nearest(NearestArgs),
    /// Every feature within a radius of a point.
    Within(WithinArgs),
    /// Admin units and features by name (Chinese, pinyin or English).
    Search(SearchArgs),
}

/// Options shared by every query.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// Print GeoJSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Data folder (default: $CLUSTER_ATLAS_DATA, else ./geodata).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Point and filter options of `nearest` and `within`.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct PointArgs {
    /// Longitude (WGS84 degrees).
    #[arg(long)]
    pub lon: f64,
    /// Latitude (WGS84 degrees).
    #[arg(long)]
    pub lat: f64,
    /// Only features of this kind (cluster, park, town).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only features with this industry tag.
    #[arg(long)]
    pub industry: Option<String>,
    /// Only this point layer (default: all).
    #[arg(long)]
    pub layer: Option<String>,
    /// Only features whose designation contains this text (case-insensitive).
    #[arg(long)]
    pub designation: Option<String>,
}

impl PointArgs {
    fn filter(&self) -> PointFilter {
        PointFilter {
            layer: self.layer.clone(),
            kind: self.kind.clone(),
            industry: self.industry.clone(),
            designation: self.designation.clone(),
            ..PointFilter::default()
        }
    }
}

/// Arguments of `query nearest`.
#[derive(Debug, clap::Args)]
pub struct NearestArgs {
    /// The point and filters.
    #[command(flatten)]
    pub point: PointArgs,
    /// How many features (1..=1000).
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// Output and data options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Arguments of `query within`.
#[derive(Debug, clap::Args)]
pub struct WithinArgs {
    /// The point and filters.
    #[command(flatten)]
    pub point: PointArgs,
    /// Radius in metres (at most 2,000,000).
    #[arg(long)]
    pub radius_m: f64,
    /// Output and data options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Arguments of `query search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The name to look for: 泊头, botou, "bo tou", "Botou foundry", …
    pub q: String,
    /// Most hits (1..=100).
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Output and data options.
    #[command(flatten)]
    pub common: CommonArgs,
}

fn load(data: Option<PathBuf>) -> anyhow::Result<Atlas> {
    let dir = super::resolve_data_dir(data);
    crate::load::load_dir(&dir).with_context(|| format!("loading {}", dir.display()))
}

/// Runs `query`.
///
/// # Errors
/// Unloadable data or an invalid argument (named, e.g. `k must be between 1 and 1000`).
pub fn run(args: QueryArgs) -> anyhow::Result<ExitCode> {
    let text = match args.query {
        QueryCommand::Nearest(a) => {
            let atlas = load(a.common.data)?;
            let q = NearestQuery {
                lon: a.point.lon,
                lat: a.point.lat,
                k: a.k,
                filter: a.point.filter(),
            };
            render_hits(&analysis::nearest(&atlas, &q)?, a.common.json)
        }
        QueryCommand::Within(a) => {
            let atlas = load(a.common.data)?;
            let q = WithinQuery {
                lon: a.point.lon,
                lat: a.point.lat,
                radius_m: a.radius_m,
                filter: a.point.filter(),
            };
            render_hits(&analysis::within_radius(&atlas, &q)?, a.common.json)
        }
        QueryCommand::Search(a) => {
            let atlas = load(a.common.data)?;
            render_search(&analysis::search(&atlas, &a.q, a.limit)?, a.common.json)
        }
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Display width of a string in a terminal: CJK and other wide characters count two.
/// Hand-written (a dozen lines) rather than adding a crate for it; good enough for names.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => {
                2
            }
            _ => 1,
        })
        .sum()
}

/// Rows as a table whose columns are padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(w - display_width(cell) + 2));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// Proximity hits as a table (rank, distance km, id, name, industry, county) or GeoJSON.
#[must_use]
pub fn render_hits(hits: &[Hit<'_>], json: bool) -> String {
    if json {
        let features = hits.iter().map(|h| place_feature(h.feature, h.layer, Some(h.distance_m))).collect();
        return format!("{:#}\n", feature_collection(features));
    }
    if hits.is_empty() {
        return "no features found\n".to_owned();
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let f = h.feature;
            let county = ["county_zh", "county_name_zh"]
                .iter()
                .find_map(|k| f.properties.get(*k).and_then(serde_json::Value::as_str));
            vec![
                (i + 1).to_string(),
                format!("{:.3}", h.distance_m / 1000.0),
                f.id.clone(),
                f.name_zh.clone(),
                f.industry().unwrap_or_default().to_owned(),
                county.map_or_else(|| f.county_code.map(|c| c.to_string()).unwrap_or_default(), str::to_owned),
            ]
        })
        .collect();
    table(&["rank", "km", "id", "name_zh", "industry", "county"], &rows)
}

/// Search hits as a table (rank, type, id, name, English/pinyin, match) or GeoJSON.
#[must_use]
pub fn render_search(hits: &[SearchHit<'_>], json: bool) -> String {
    if json {
        let features = hits.iter().enumerate().map(|(i, h)| search_hit_feature(i + 1, h)).collect();
        return format!("{:#}\n", feature_collection(features));
    }
    if hits.is_empty() {
        return "no matches\n".to_owned();
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            vec![
                (i + 1).to_string(),
                h.hit_type.to_owned(),
                h.id.clone(),
                h.name_zh.to_owned(),
                h.name_en.unwrap_or_default().to_owned(),
                format!("{:.4},{:.4}", h.point.x(), h.point.y()),
                h.matched.name().to_owned(),
            ]
        })
        .collect();
    table(&["rank", "type", "id", "name_zh", "name_en", "lon,lat", "match"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_wide_characters() {
        let t = table(&["id", "name"], &[vec!["a".into(), "泊头".into()], vec!["bbbb".into(), "x".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines, ["id    name", "a     泊头", "bbbb  x"]);
    }
}
