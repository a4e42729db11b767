//! `cluster-atlas build-clusters`: the default layer `geodata/clusters.geojson` from the
//! curated CSV and the offline gazetteer (reproducible; see `geodata/NOTICE`).

use crate::atlas::Atlas;
use crate::ingest::import::{encode_layer, placed_feature};
use crate::ingest::name_placement::{AdminAlias, NamePlacer};
use crate::ingest::placement::{AdminNames, GazetteerIndex, Placement, UnresolvedName, place_by_names};
use crate::load::admin_aliases::read_admin_aliases;
use crate::load::clusters_csv::{ClusterRow, read_clusters_csv};
use crate::load::devzones::{ApprovalLevel, ZoneLink, ZoneRow, read_devzones_csv, read_zone_links, zone_ids};
use crate::load::industry_vocabulary::{IndustryVocabulary, read_industry_vocabulary};
use crate::model::{AdminCode, AdminLevel, Precision};
use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
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
    /// Folder with the development-zone catalogue (devzones_2018.csv) and its reviewed
    /// tables (industry_tags.csv, industry_terms.csv, admin_aliases.csv, zone_links.csv).
    #[arg(long, default_value = "geodata/sources")]
    pub sources: PathBuf,
    /// Leave the catalogue out (the curated rows only).
    #[arg(long)]
    pub curated_only: bool,
    /// Folder with provinces.fgb, prefectures.fgb and counties.fgb.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output GeoJSON (written atomically).
    #[arg(long, default_value = "geodata/clusters.geojson")]
    pub out: PathBuf,
}

/// The development-zone catalogue with its reviewed tables, checked against the atlas.
#[derive(Debug)]
pub struct Catalogue {
    /// Zones in file order.
    pub zones: Vec<ZoneRow>,
    /// Each zone's layer id (see [`zone_ids`]).
    pub ids: Vec<String>,
    /// Term → tags.
    pub vocabulary: IndustryVocabulary,
    /// Renamed, merged and abbreviated unit names.
    pub aliases: Vec<AdminAlias>,
    /// Curated rows that are catalogue zones.
    pub links: Vec<ZoneLink>,
}

fn problems_error(problems: &[crate::load::csv::Problem]) -> anyhow::Error {
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    anyhow::anyhow!("{} problem(s):\n{}", list.len(), list.join("\n"))
}

/// Reads the catalogue and its tables from `sources`, checking every alias against the
/// atlas (code exists, current name equal) and every link (known curated id and zone id,
/// checked by [`build_clusters`]).
///
/// # Errors
/// Unreadable or invalid tables, every problem as file:line.
pub fn read_catalogue(atlas: &Atlas, sources: &Path) -> anyhow::Result<Catalogue> {
    let zones = read_devzones_csv(&sources.join("devzones_2018.csv")).map_err(|p| problems_error(&p))?;
    let vocabulary = read_industry_vocabulary(sources).map_err(|p| problems_error(&p))?;
    let alias_path = sources.join("admin_aliases.csv");
    let mut aliases = Vec::new();
    let mut problems = Vec::new();
    for row in read_admin_aliases(&alias_path).map_err(|p| problems_error(&p))? {
        let province = atlas
            .admin_units(AdminLevel::Province)
            .iter()
            .find(|u| u.name_zh == row.province_zh);
        let unit = row.code.parse::<AdminCode>().ok().and_then(|c| {
            [AdminLevel::County, AdminLevel::Prefecture]
                .into_iter()
                .find_map(|l| atlas.admin_by_code(l, c))
        });
        match (province, unit) {
            (Some(p), Some(u)) if u.name_zh == row.current_name_zh && u.province_code == p.code => aliases.push(AdminAlias {
                province: p.code,
                name: row.name_zh,
                code: u.code,
            }),
            _ => problems.push(format!(
                "{}:{}: no unit {} named {} in {}",
                alias_path.display(),
                row.line,
                row.code,
                row.current_name_zh,
                row.province_zh
            )),
        }
    }
    if !problems.is_empty() {
        bail!("{} problem(s):\n{}", problems.len(), problems.join("\n"));
    }
    let links = read_zone_links(&sources.join("zone_links.csv")).map_err(|p| problems_error(&p))?;
    let ids = zone_ids(&zones);
    Ok(Catalogue {
        zones,
        ids,
        vocabulary,
        aliases,
        links,
    })
}

/// The built layer with what could not be resolved.
#[derive(Debug, Default)]
pub struct ClustersBuild {
    /// One Point Feature per placed row, in CSV order, then the other catalogue zones.
    pub features: Vec<Value>,
    /// `(row id, name)` for every admin name that matched no unit.
    pub unresolved: Vec<(String, UnresolvedName)>,
    /// `(row id, "given → atlas name")` for names matched only without their suffix.
    pub renamed: Vec<(String, String)>,
    /// Ids of rows that could not be placed at all (not even a province resolved).
    pub unplaced: Vec<String>,
    /// Catalogue zones by the precision their names gave.
    pub zone_precision: BTreeMap<Precision, usize>,
    /// `(zone id, name)` of zones left at province precision.
    pub province_only: Vec<(String, String)>,
    /// `(curated id, zone id)` of curated rows merged with a zone.
    pub merged: Vec<(String, String)>,
    /// `(zone id, term)` of printed terms without a row in the vocabulary.
    pub unmapped_terms: Vec<(String, String)>,
    /// Problems in the link table (unknown ids).
    pub link_problems: Vec<String>,
}

/// Property keys every feature of the default layer carries from the catalogue (`null`
/// for a curated row that is no catalogue zone).
pub const CATALOGUE_KEYS: [&str; 11] = [
    "catalogue_code",
    "approval_level",
    "zone_type",
    "zone_type_zh",
    "approved",
    "approvals",
    "approved_year",
    "area_ha",
    "industries_zh",
    "location_evidence",
    "merged_ids",
];

/// The `designation` of a catalogue zone (the curated rows' controlled strings for the
/// national zone types they share).
fn zone_designation(z: &ZoneRow) -> String {
    let kind = match z.zone_type {
        "economic-technological-development-zone" => "economic and technological development zone",
        "high-tech-industrial-development-zone" => "high-tech industrial development zone",
        "customs-special-supervision-area" => "customs special supervision area",
        "border-economic-cooperation-zone" => "border or cross-border economic cooperation zone",
        "other-development-zone" => "development zone of another type",
        "economic-development-zone" => "economic development zone",
        _ => "industrial park",
    };
    let level = match z.approval_level {
        ApprovalLevel::National => "National",
        ApprovalLevel::Provincial => "Provincial",
    };
    format!("{level} {kind}")
}

/// The catalogue's fields of zone `z` as properties.
fn zone_properties(z: &ZoneRow, evidence: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("catalogue_code".into(), json!(z.catalogue_code));
    p.insert("approval_level".into(), json!(z.approval_level.name()));
    p.insert("zone_type".into(), json!(z.zone_type));
    p.insert("zone_type_zh".into(), json!(z.zone_type_zh));
    let approvals: Vec<String> = z.approvals.iter().map(ToString::to_string).collect();
    p.insert("approved".into(), json!(approvals.first()));
    p.insert("approved_year".into(), json!(z.approvals.first().map(|a| a.year)));
    p.insert("approvals".into(), json!(approvals));
    p.insert("area_ha".into(), json!(z.area_ha));
    p.insert("industries_zh".into(), json!(z.industries_zh));
    p.insert(
        "location_evidence".into(),
        if evidence.is_empty() { Value::Null } else { json!(evidence) },
    );
    p
}

/// Places every curated row and, with a catalogue, every zone, merging the linked ones
/// (pure: no IO).
#[must_use]
pub fn build_clusters(atlas: &Atlas, gazetteer: &GazetteerIndex, rows: &[ClusterRow], catalogue: Option<&Catalogue>) -> ClustersBuild {
    let mut out = ClustersBuild::default();
    let mut zone_of: HashMap<&str, usize> = HashMap::new();
    let mut zone_placements: Vec<Option<(Placement, String)>> = Vec::new();
    let mut zone_tags: Vec<Vec<String>> = Vec::new();
    if let Some(c) = catalogue {
        let placer = NamePlacer::new(atlas, gazetteer, &c.aliases);
        for (i, (z, id)) in c.zones.iter().zip(&c.ids).enumerate() {
            zone_of.insert(id.as_str(), i);
            let province = atlas.admin_units(AdminLevel::Province).iter().find(|u| u.name_zh == z.province_zh);
            let placed = province.and_then(|p| placer.place(p.code, &z.name_zh)).map(|(p, e)| (p, e.matched));
            match &placed {
                Some((p, _)) => {
                    *out.zone_precision.entry(p.precision).or_default() += 1;
                    if p.precision == Precision::Province {
                        out.province_only.push((id.clone(), z.name_zh.clone()));
                    }
                }
                None => out.unplaced.push(id.clone()),
            }
            zone_placements.push(placed);
            match c.vocabulary.tag_terms(&z.industries_zh) {
                Ok(tags) => zone_tags.push(tags),
                Err(missing) => {
                    out.unmapped_terms.extend(missing.into_iter().map(|t| (id.clone(), t.to_owned())));
                    zone_tags.push(vec!["other".to_owned()]);
                }
            }
        }
    }
    // Curated id → zone index, and zone index → the curated ids linked to it (CSV order).
    let mut link_of: HashMap<&str, usize> = HashMap::new();
    for l in catalogue.iter().flat_map(|c| &c.links) {
        match (zone_of.get(l.zone_id.as_str()), rows.iter().any(|r| r.text("id") == l.id)) {
            (Some(&z), true) => {
                link_of.insert(l.id.as_str(), z);
            }
            _ => out
                .link_problems
                .push(format!("zone_links.csv:{}: unknown id {} or zone {}", l.line, l.id, l.zone_id)),
        }
    }
    let mut linked_ids: HashMap<usize, Vec<String>> = HashMap::new();
    for row in rows {
        if let Some(&z) = link_of.get(row.text("id")) {
            linked_ids.entry(z).or_default().push(row.text("id").to_owned());
        }
    }
    let mut used_zones = vec![false; zone_placements.len()];
    for row in rows {
        let id = row.text("id").to_owned();
        let zone = link_of.get(id.as_str()).copied();
        let ids_of_zone = zone.and_then(|z| linked_ids.get(&z)).cloned().unwrap_or_default();
        if ids_of_zone.first().is_some_and(|first| *first != id) {
            continue; // the same zone as an earlier row: merged into it (merged_ids).
        }
        let names = AdminNames {
            province: row.text("province_zh"),
            prefecture: row.text("prefecture_zh"),
            county: row.text("county_zh"),
        };
        let (placement, resolution) = place_by_names(atlas, Some(gazetteer), row.text("name_zh"), &names);
        out.unresolved.extend(resolution.unresolved.into_iter().map(|u| (id.clone(), u)));
        out.renamed.extend(resolution.renamed.into_iter().map(|r| (id.clone(), r)));
        let mut properties = row.properties.clone();
        for k in CATALOGUE_KEYS {
            properties.insert(k.into(), Value::Null);
        }
        let curated_tag = row.text("industry");
        let mut industries: Vec<String> = Vec::new();
        if !curated_tag.is_empty() && curated_tag != "multi-industry" {
            industries.push(curated_tag.to_owned());
        }
        let mut placement = placement;
        if let (Some(z), Some(c)) = (zone, catalogue) {
            used_zones[z] = true;
            out.merged.push((id.clone(), c.ids[z].clone()));
            let (zone_placement, evidence) = zone_placements[z].clone().unzip();
            properties.extend(zone_properties(&c.zones[z], evidence.as_deref().unwrap_or("")));
            if ids_of_zone.len() > 1 {
                properties.insert("merged_ids".into(), json!(ids_of_zone[1..]));
            }
            for t in &zone_tags[z] {
                if !industries.contains(t) {
                    industries.push(t.clone());
                }
            }
            // A curated county (checked by hand) stands; a finer zone placement replaces a
            // coarser curated one.
            let curated_precision = placement.as_ref().map_or(Precision::Province, |p| p.precision);
            if curated_precision > Precision::County {
                if let Some(zp) = zone_placement.filter(|zp| zp.precision < curated_precision) {
                    placement = Some(zp);
                }
            }
        }
        if industries.is_empty() {
            industries.push(if curated_tag.is_empty() {
                "other".to_owned()
            } else {
                curated_tag.to_owned()
            });
        }
        properties.insert("industry".into(), json!(industries[0]));
        properties.insert("industries".into(), json!(industries));
        match placement {
            Some(p) => out.features.push(placed_feature(&id, &p, properties, true)),
            None => out.unplaced.push(id),
        }
    }
    if let Some(c) = catalogue {
        let columns: Vec<&str> = crate::load::clusters_csv::COLUMNS.to_vec();
        for (i, z) in c.zones.iter().enumerate() {
            let Some((placement, evidence)) = zone_placements[i].as_ref().filter(|_| !used_zones[i]) else {
                continue;
            };
            let mut properties: Map<String, Value> = columns.iter().map(|k| ((*k).to_owned(), Value::Null)).collect();
            properties.insert("merged_ids".into(), Value::Null);
            properties.insert("name_zh".into(), json!(z.name_zh));
            properties.insert("kind".into(), json!("park"));
            properties.insert("industry".into(), json!(zone_tags[i][0]));
            properties.insert("industry_zh".into(), json!(z.industries_zh.join("、")));
            properties.insert("industries".into(), json!(zone_tags[i]));
            properties.insert("province_zh".into(), json!(z.province_zh));
            properties.insert("designation".into(), json!(zone_designation(z)));
            properties.insert("designation_year".into(), json!(z.approvals.first().map(|a| a.year)));
            properties.insert(
                "source".into(),
                json!(format!("devzones_2018.csv (《中国开发区审核公告目录》2018年版), line {}", z.line)),
            );
            properties.extend(zone_properties(z, evidence));
            out.features.push(placed_feature(&c.ids[i], placement, properties, true));
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
    let catalogue = if args.curated_only {
        None
    } else {
        Some(read_catalogue(&atlas, &args.sources)?)
    };
    let built = build_clusters(&atlas, &gazetteer, &rows, catalogue.as_ref());
    if !built.link_problems.is_empty() || !built.unmapped_terms.is_empty() {
        let mut list = built.link_problems.clone();
        list.extend(
            built
                .unmapped_terms
                .iter()
                .map(|(id, t)| format!("{id}: industry term '{t}' has no row in industry_terms.csv")),
        );
        bail!("{} problem(s):\n{}", list.len(), list.join("\n"));
    }
    for (id, u) in &built.unresolved {
        eprintln!("warning: {id}: no {} named '{}' (placed at its parent unit)", u.level, u.name);
    }
    for (id, r) in &built.renamed {
        eprintln!("note: {id}: matched renamed unit {r}");
    }
    for id in &built.unplaced {
        eprintln!("warning: {id}: no admin unit resolved; row left out");
    }
    for (id, name) in &built.province_only {
        eprintln!("note: {id} {name}: its name gives no prefecture or county (province precision)");
    }
    if catalogue.is_some() {
        let zones: Vec<String> = built.zone_precision.iter().map(|(p, n)| format!("{p} {n}")).collect();
        println!(
            "catalogue zones placed from their names: {}; {} merged with curated rows",
            zones.join(", "),
            built.merged.len()
        );
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
