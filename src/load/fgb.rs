//! Admin boundary layers as FlatGeobuf files (with their packed R-tree, so GDAL and QGIS
//! read them directly): one writer for `prepare-geodata`, one reader for start-up.

use super::error::{LoadError, LoadResult};
use crate::model::{AdminCode, AdminLevel, AdminUnit};
use flatgeobuf::{ColumnType, FallibleStreamingIterator, FgbCrs, FgbReader, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{Geometry, MultiPolygon, Point};
use geozero::{ColumnValue, FeatureProperties, PropertyProcessor, ToGeo};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

/// Column names of an admin layer, in file order.
pub use crate::model::admin::ADMIN_PROPERTIES as ADMIN_COLUMNS;

fn fmt_err(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes admin units to a FlatGeobuf file (EPSG:4326, MultiPolygon, with spatial index).
///
/// # Errors
/// [`LoadError::Io`] or [`LoadError::Format`] if the file cannot be written.
pub fn write_admin_layer(path: &Path, title: &str, units: &[AdminUnit]) -> LoadResult<()> {
    let options = FgbWriterOptions {
        crs: FgbCrs {
            code: 4326,
            ..FgbCrs::default()
        },
        title: Some(title),
        ..FgbWriterOptions::default()
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("layer");
    let mut fgb = FgbWriter::create_with_options(stem, GeometryType::MultiPolygon, options).map_err(|e| fmt_err(path, e))?;
    for name in ADMIN_COLUMNS {
        let ty = if matches!(name, "area_km2" | "rep_lon" | "rep_lat") {
            ColumnType::Double
        } else {
            ColumnType::String
        };
        fgb.add_column(name, ty, |_, col| {
            col.nullable = matches!(name, "prefecture_code" | "prefecture_name_zh")
        });
    }
    for u in units {
        let geom = Geometry::MultiPolygon(u.geometry.clone());
        let code = u.code.to_string();
        let province_code = u.province_code.to_string();
        let prefecture_code = u.prefecture_code.map(|c| c.to_string());
        fgb.add_feature_geom(geom, |feat| {
            let strings: [(usize, Option<&str>); 8] = [
                (0, Some(&code)),
                (1, Some(&u.name_zh)),
                (2, Some(&u.name_pinyin)),
                (3, Some(u.level.name())),
                (4, Some(&province_code)),
                (5, Some(&u.province_name_zh)),
                (6, prefecture_code.as_deref()),
                (7, u.prefecture_name_zh.as_deref()),
            ];
            for (i, v) in strings {
                if let Some(v) = v {
                    // Writing into an in-memory buffer cannot fail.
                    let _ = feat.property(i, ADMIN_COLUMNS[i], &ColumnValue::String(v));
                }
            }
            let doubles = [(8, u.area_km2), (9, u.representative_point.x()), (10, u.representative_point.y())];
            for (i, v) in doubles {
                let _ = feat.property(i, ADMIN_COLUMNS[i], &ColumnValue::Double(v));
            }
        })
        .map_err(|e| fmt_err(path, e))?;
    }
    let file = File::create(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = BufWriter::new(file);
    fgb.write(&mut out).map_err(|e| fmt_err(path, e))?;
    out.flush().map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads an admin layer written by [`write_admin_layer`].
///
/// # Errors
/// [`LoadError`] naming the file and the feature if anything is missing or malformed.
pub fn read_admin_layer(path: &Path) -> LoadResult<Vec<AdminUnit>> {
    let file = File::open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LoadError::MissingLayer { path: path.to_path_buf() }
        } else {
            LoadError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let mut reader = BufReader::new(file);
    let fgb = FgbReader::open(&mut reader).map_err(|e| fmt_err(path, e))?;
    let mut iter = fgb.select_all().map_err(|e| fmt_err(path, e))?;
    let mut units = Vec::new();
    while let Some(feat) = iter.next().map_err(|e| fmt_err(path, e))? {
        let record = units.len() + 1;
        let rec_err = |message: String| LoadError::Record {
            path: path.to_path_buf(),
            record,
            message,
        };
        let mut props = PropertyMap::default();
        feat.process_properties(&mut props).map_err(|e| rec_err(e.to_string()))?;
        let geometry = match feat.to_geo().map_err(|e| rec_err(e.to_string()))? {
            Geometry::MultiPolygon(mp) => mp,
            Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
            other => return Err(rec_err(format!("expected a (multi)polygon, found {other:?}"))),
        };
        units.push(props.into_unit(geometry).map_err(rec_err)?);
    }
    Ok(units)
}

/// Collects one feature's properties by column name.
#[derive(Default)]
struct PropertyMap(HashMap<String, PropValue>);

enum PropValue {
    Text(String),
    Number(f64),
}

impl PropertyProcessor for PropertyMap {
    fn property(&mut self, _idx: usize, name: &str, value: &ColumnValue) -> geozero::error::Result<bool> {
        let v = match value {
            ColumnValue::String(s) => PropValue::Text((*s).to_owned()),
            ColumnValue::Double(d) => PropValue::Number(*d),
            ColumnValue::Float(f) => PropValue::Number(f64::from(*f)),
            _ => return Ok(false),
        };
        self.0.insert(name.to_owned(), v);
        Ok(false)
    }
}

impl PropertyMap {
    fn text(&self, name: &str) -> Result<Option<&str>, String> {
        match self.0.get(name) {
            None => Ok(None),
            Some(PropValue::Text(s)) => Ok(Some(s)),
            Some(PropValue::Number(_)) => Err(format!("column '{name}' should be text")),
        }
    }

    fn required_text(&self, name: &str) -> Result<&str, String> {
        self.text(name)?.ok_or_else(|| format!("missing column '{name}'"))
    }

    fn number(&self, name: &str) -> Result<f64, String> {
        match self.0.get(name) {
            Some(PropValue::Number(v)) => Ok(*v),
            _ => Err(format!("missing numeric column '{name}'")),
        }
    }

    fn code(&self, name: &str) -> Result<Option<AdminCode>, String> {
        self.text(name)?
            .map(|s| s.parse::<AdminCode>().map_err(|e| e.to_string()))
            .transpose()
    }

    fn into_unit(self, geometry: MultiPolygon<f64>) -> Result<AdminUnit, String> {
        Ok(AdminUnit {
            code: self.code("code")?.ok_or("missing column 'code'")?,
            name_zh: self.required_text("name_zh")?.to_owned(),
            name_pinyin: self.required_text("name_pinyin")?.to_owned(),
            level: self.required_text("level")?.parse::<AdminLevel>()?,
            province_code: self.code("province_code")?.ok_or("missing column 'province_code'")?,
            province_name_zh: self.required_text("province_name_zh")?.to_owned(),
            prefecture_code: self.code("prefecture_code")?,
            prefecture_name_zh: self.text("prefecture_name_zh")?.map(str::to_owned),
            area_km2: self.number("area_km2")?,
            representative_point: Point::new(self.number("rep_lon")?, self.number("rep_lat")?),
            geometry,
        })
    }
}
