//! `cluster-atlas density`: industry concentration per admin unit as a ranked table.

use crate::analysis::PointFilter;
use crate::analysis::density::{self, Density, DensityQuery, Measure};
use crate::model::AdminLevel;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `density`.
#[derive(Debug, clap::Args)]
pub struct DensityArgs {
    /// Admin level: province, prefecture or county.
    #[arg(long, default_value = "county")]
    pub level: AdminLevel,
    /// Measure: count, per_10k_km2, share or lq (location quotient).
    #[arg(long, default_value = "count")]
    pub measure: Measure,
    /// Only features with this industry tag (e.g. foundry).
    #[arg(long)]
    pub industry: Option<String>,
    /// Only features of this kind (cluster, park, town).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only features whose designation contains this text (case-insensitive).
    #[arg(long)]
    pub designation: Option<String>,
    /// Only this point layer (default: all).
    #[arg(long)]
    pub layer: Option<String>,
    /// Only development zones of this approval level (national, provincial).
    #[arg(long)]
    pub approval_level: Option<String>,
    /// Only features whose time intersects this OGC datetime (`2005`, `../2005-12-31`).
    #[arg(long, value_parser = crate::model::DatetimeFilter::parse)]
    pub datetime: Option<crate::model::DatetimeFilter>,
    /// Most rows to print (0 = all units with at least one matching feature).
    #[arg(short = 'n', long, default_value_t = 0)]
    pub limit: usize,
    /// Data folder (default: $CLUSTER_ATLAS_DATA, else ./geodata).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Runs `density`: prints units with at least one matching feature, highest value first.
///
/// # Errors
/// When the data folder cannot be loaded.
pub fn run(args: DensityArgs) -> anyhow::Result<ExitCode> {
    let dir = super::resolve_data_dir(args.data.clone());
    let atlas = crate::load::load_dir(&dir).with_context(|| format!("loading {}", dir.display()))?;
    let query = DensityQuery {
        level: args.level,
        measure: args.measure,
        filter: PointFilter {
            layer: args.layer.clone(),
            kind: args.kind.clone(),
            industry: args.industry.clone(),
            designation: args.designation.clone(),
            approval_level: args.approval_level.clone(),
            datetime: args.datetime,
        },
    };
    let d = density::density(&atlas, &query);
    print!("{}", table(&d, args.limit));
    Ok(ExitCode::SUCCESS)
}

/// The ranked table: units with count > 0 by value (nulls last), then count, then code.
#[must_use]
pub fn table(d: &Density<'_>, limit: usize) -> String {
    let mut rows: Vec<_> = d.units.iter().filter(|u| u.count > 0).collect();
    rows.sort_by(|a, b| {
        let va = a.value.unwrap_or(f64::NEG_INFINITY);
        let vb = b.value.unwrap_or(f64::NEG_INFINITY);
        vb.total_cmp(&va).then(b.count.cmp(&a.count)).then(a.unit.code.cmp(&b.unit.code))
    });
    if limit > 0 {
        rows.truncate(limit);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} by {}: {} matching features, {} assigned, {} without a {} code",
        d.measure,
        d.level,
        d.total,
        d.assigned(),
        d.unassigned,
        d.level
    );
    let _ = writeln!(
        out,
        "{:>4}  {:6}  {:<12}  {:<16}  {:>5}  {:>5}  {:>10}",
        "rank", "code", "name_zh", "name_pinyin", "count", "all", d.measure
    );
    for (rank, u) in rows.iter().enumerate() {
        let value = u.value.map_or_else(|| "null".to_owned(), |v| format!("{v:.4}"));
        let name = format!(
            "{}{}",
            u.unit.name_zh,
            " ".repeat(12_usize.saturating_sub(2 * u.unit.name_zh.chars().count()))
        );
        let _ = writeln!(
            out,
            "{:>4}  {}  {}  {:<16}  {:>5}  {:>5}  {:>10}",
            rank + 1,
            u.unit.code,
            name,
            u.unit.name_pinyin,
            u.count,
            u.base_count,
            value
        );
    }
    out
}
