//! `cluster-atlas build-clusters`: the default layer `geodata/clusters.geojson` from the
//! curated CSV and the offline gazetteer (reproducible; see `geodata/NOTICE`).

use crate::analysis::placement::{AdminNames, GazetteerIndex, UnresolvedName, place_by_names};
use crate::atlas::Atlas;
use crate::load::clusters_csv::{ClusterRow, read_clusters_csv};
use crate::load::import::{encode_layer, placed_feature};
use crate::model::{AdminLevel, Precision};
use anyhow::{Context, bail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `build-clusters`.
#[derive(Debug, clap::Args)]
pub struct BuildClustersArgs {
    /// The curated list (columns documented in geodata/sources/SOURCES.md).
    #[arg(long, default_value = "geodata/sources/clusters.csv")]
    pub csv: PathBuf,
    /// The GeoNames extract written by scripts/fetch-gazetteer.
    #[arg(long, default_value = "geodata/sources/geonames-cn.tsv")]
    pub gazetteer: PathBuf,
    /// Folder with provinces.fgb, prefectures.fgb and counties.fgb.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output GeoJSON (written atomically).
    #[arg(long, default_value = "geodata/clusters.geojson")]
    pub out: PathBuf,
}

/// The built layer with what could not be resolved.
#[derive(Debug, Default)]
pub struct ClustersBuild {
    /// One Point Feature per placed row, in CSV order.
    pub features: Vec<Value>,
    /// `(row id, name)` for every admin name that matched no unit.
    pub unresolved: Vec<(String, UnresolvedName)>,
    /// `(row id, "given → atlas name")` for names matched only without their suffix.
    pub renamed: Vec<(String, String)>,
    /// Ids of rows that could not be placed at all (not even a province resolved).
    pub unplaced: Vec<String>,
}

/// Places every row (pure: no IO).
#[must_use]
pub fn build_clusters(atlas: &Atlas, gazetteer: &GazetteerIndex, rows: &[ClusterRow]) -> ClustersBuild {
    let mut out = ClustersBuild::default();
    for row in rows {
        let id = row.text("id").to_owned();
        let names = AdminNames {
            province: row.text("province_zh"),
            prefecture: row.text("prefecture_zh"),
            county: row.text("county_zh"),
        };
        let (placement, resolution) = place_by_names(atlas, Some(gazetteer), row.text("name_zh"), &names);
        out.unresolved.extend(resolution.unresolved.into_iter().map(|u| (id.clone(), u)));
        out.renamed.extend(resolution.renamed.into_iter().map(|r| (id.clone(), r)));
        match placement {
            Some(p) => out.features.push(placed_feature(&id, &p, row.properties.clone(), true)),
            None => out.unplaced.push(id),
        }
    }
    out
}

/// Reads only the three admin layers of `dir` (the build must not depend on an existing
/// clusters.geojson).
///
/// # Errors
/// A missing or invalid layer file.
pub fn load_admin_atlas(dir: &Path) -> anyhow::Result<Atlas> {
    let mut builder = Atlas::builder();
    for level in AdminLevel::ALL {
        let path = dir.join(crate::load::admin_layer_file(level));
        let units = crate::load::fgb::read_admin_layer(&path).with_context(|| format!("reading {}", path.display()))?;
        builder = builder.admin_units(level, units);
    }
    Ok(builder.build())
}

/// Loads the gazetteer file and indexes it by county.
///
/// # Errors
/// A missing or malformed gazetteer file.
pub fn load_gazetteer(atlas: &Atlas, path: &Path) -> anyhow::Result<GazetteerIndex> {
    let places = crate::load::gazetteer::read_gazetteer(path)?;
    Ok(GazetteerIndex::new(atlas, places))
}

/// Runs `build-clusters`: prints warnings for unresolved names and a summary by precision.
///
/// # Errors
/// Unreadable inputs or an invalid CSV (every problem listed as file:line:column).
pub fn run(args: &BuildClustersArgs) -> anyhow::Result<ExitCode> {
    let data = super::resolve_data_dir(args.data.clone());
    let atlas = load_admin_atlas(&data)?;
    let gazetteer = load_gazetteer(&atlas, &args.gazetteer)?;
    let rows = match read_clusters_csv(&args.csv) {
        Ok(r) => r,
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            bail!("{} problem(s):\n{}", list.len(), list.join("\n"))
        }
    };
    let built = build_clusters(&atlas, &gazetteer, &rows);
    for (id, u) in &built.unresolved {
        eprintln!("warning: {id}: no {} named '{}' (placed at its parent unit)", u.level, u.name);
    }
    for (id, r) in &built.renamed {
        eprintln!("note: {id}: matched renamed unit {r}");
    }
    for id in &built.unplaced {
        eprintln!("warning: {id}: no admin unit resolved; row left out");
    }
    crate::load::atomic::write_atomic(&args.out, encode_layer(&built.features).as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    let mut by_precision: BTreeMap<Precision, usize> = BTreeMap::new();
    for f in &built.features {
        if let Some(p) = f
            .pointer("/properties/precision")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
        {
            *by_precision.entry(p).or_default() += 1;
        }
    }
    let summary: Vec<String> = by_precision.iter().map(|(p, n)| format!("{p} {n}")).collect();
    println!(
        "{}: {} features ({}) from {} rows; {} unresolved name(s); gazetteer {} places",
        args.out.display(),
        built.features.len(),
        summary.join(", "),
        rows.len(),
        built.unresolved.len(),
        gazetteer.len()
    );
    Ok(ExitCode::SUCCESS)
}
