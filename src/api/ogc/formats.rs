//! An items page in the download formats GIS tools read: CSV (spreadsheets, `csv` modules,
//! GDAL), FlatGeobuf (QGIS, GDAL, geopandas) and GeoJSON text sequences (RFC 8142, `jq`,
//! line-oriented tools). Each writes to an [`std::io::Write`] the page is streamed through
//! (see [`crate::api::stream`]); GeoJSON itself is written by [`crate::geojson_out`].
//!
//! CSV and FlatGeobuf write coordinates easting/longitude first whatever the CRS (as GIS
//! files do); GeoJSON sequences follow the CRS's axis order, as GeoJSON pages do.

use crate::api::csv_cell::text_cell;
use crate::crs::project::{OutputCrs, ProjectError, Projector};
use crate::model::{AdminUnit, PlaceFeature};
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use geozero::{ColumnValue, FeatureProcessor, GeozeroDatasource, PropertyProcessor};
use serde_json::{Map, Value};
use std::io::Write;

/// Media type of CSV.
pub const CSV: &str = "text/csv; charset=utf-8";
/// Media type of FlatGeobuf.
pub const FGB: &str = "application/flatgeobuf";
/// Media type of GeoJSON text sequences (RFC 8142).
pub const GEOJSON_SEQ: &str = "application/geo+json-seq";

/// One feature of a page: an admin unit or a point feature.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    /// An admin unit (id = code).
    Admin(&'a AdminUnit),
    /// A point feature (id = its id).
    Point(&'a PlaceFeature),
}

impl Item<'_> {
    /// The feature id used in URLs.
    #[must_use]
    pub fn id(&self) -> String {
        match self {
            Item::Admin(u) => u.code.to_string(),
            Item::Point(f) => f.id.clone(),
        }
    }

    /// The properties as the GeoJSON pages show them (the unit's documented ones; a point's
    /// stored ones and its `layer`).
    fn properties(&self, layer: &str) -> Map<String, Value> {
        match self {
            Item::Admin(u) => crate::geojson_out::admin_properties(u),
            Item::Point(f) => {
                let mut p = f.properties.clone();
                p.insert("layer".into(), Value::String(layer.to_owned()));
                p
            }
        }
    }
}

/// What a download writes of each feature.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these properties, in the collection's order (all when `None`).
    pub keep: Option<Vec<String>>,
    /// No geometry (`skipGeometry=true`).
    pub skip_geometry: bool,
}

impl Options {
    fn kept(&self, name: &str) -> bool {
        self.keep.as_ref().is_none_or(|k| k.iter().any(|n| n == name))
    }
}

/// The columns of a page: every kept property, in first-seen order, with the JSON type of
/// its first non-null value.
fn columns(rows: &[Item<'_>], layer: &str, options: &Options) -> Vec<(String, Option<Value>)> {
    let mut out: Vec<(String, Option<Value>)> = Vec::new();
    for r in rows {
        for (k, v) in r.properties(layer) {
            // The feature's id is the first column already.
            if k == "id" || !options.kept(&k) {
                continue;
            }
            match out.iter_mut().find(|(n, _)| *n == k) {
                Some((_, first @ None)) if !v.is_null() => *first = Some(v),
                Some(_) => {}
                None => out.push((k, (!v.is_null()).then_some(v))),
            }
        }
    }
    out
}

/// `(x, y)` easting/longitude first in `crs`.
fn east_north(p: &Projector, lon: f64, lat: f64) -> Result<(f64, f64), ProjectError> {
    let (a, b) = p.forward((lon, lat))?;
    Ok(match p.crs() {
        OutputCrs::Epsg4326 | OutputCrs::Epsg4490 => (b, a),
        OutputCrs::Crs84 | OutputCrs::Epsg3857 => (a, b),
    })
}

/// The row's geometry in `crs`, easting first.
fn geometry(row: &Item<'_>, p: &Projector) -> Result<Geometry<f64>, ProjectError> {
    let c = |x: f64, y: f64| east_north(p, x, y).map(|(x, y)| Coord { x, y });
    match row {
        Item::Point(f) => {
            let Coord { x, y } = c(f.point.x(), f.point.y())?;
            Ok(Geometry::Point(Point::new(x, y)))
        }
        Item::Admin(u) => {
            let ring = |r: &LineString<f64>| r.coords().map(|k| c(k.x, k.y)).collect::<Result<Vec<_>, _>>().map(LineString::new);
            let polygons = u
                .geometry
                .iter()
                .map(|poly| {
                    Ok(Polygon::new(
                        ring(poly.exterior())?,
                        poly.interiors().iter().map(ring).collect::<Result<_, _>>()?,
                    ))
                })
                .collect::<Result<Vec<_>, ProjectError>>()?;
            Ok(Geometry::MultiPolygon(MultiPolygon::new(polygons)))
        }
    }
}

/// A property value as CSV text: text made formula-safe (see [`text_cell`]), lists and
/// objects as JSON, null empty.
fn csv_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => text_cell(s).into_owned(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        other => text_cell(&other.to_string()).into_owned(),
    }
}

/// Writes `rows` (of collection `layer`) as CSV: UTF-8 with a byte-order mark (spreadsheets then read the Chinese
/// text right), RFC 4180 quoting, `id` then the properties, then the geometry — `lon`,`lat`
/// (`x`,`y` in EPSG:3857) for points, `wkt` for polygons (GDAL reads either).
///
/// # Errors
/// A message when writing or projecting fails.
pub fn write_csv(out: impl Write, rows: &[Item<'_>], layer: &str, crs: &Projector, options: &Options) -> Result<(), String> {
    let mut out = out;
    out.write_all("\u{feff}".as_bytes()).map_err(|e| e.to_string())?;
    let mut w = csv::Writer::from_writer(out);
    let cols = columns(rows, layer, options);
    let polygons = rows.iter().any(|r| matches!(r, Item::Admin(_)));
    let geometry_columns: &[&str] = match (options.skip_geometry, polygons, crs.crs()) {
        (true, _, _) => &[],
        (false, true, _) => &["wkt"],
        (false, false, OutputCrs::Epsg3857) => &["x", "y"],
        (false, false, _) => &["lon", "lat"],
    };
    let header = std::iter::once("id")
        .chain(cols.iter().map(|(n, _)| n.as_str()))
        .chain(geometry_columns.iter().copied());
    w.write_record(header).map_err(|e| e.to_string())?;
    for r in rows {
        let props = r.properties(layer);
        let mut record: Vec<String> = vec![text_cell(&r.id()).into_owned()];
        record.extend(cols.iter().map(|(n, _)| props.get(n).map(csv_text).unwrap_or_default()));
        if !options.skip_geometry {
            match geometry(r, crs).map_err(|e| e.to_string())? {
                Geometry::Point(p) => record.extend([p.x().to_string(), p.y().to_string()]),
                g => record.push(geozero::ToWkt::to_wkt(&g).map_err(|e| e.to_string())?),
            }
        }
        w.write_record(&record).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}

/// Writes `rows` as GeoJSON text sequences (RFC 8142): each feature, already encoded by
/// `encode`, after a record separator (0x1E) and before a line feed.
///
/// # Errors
/// The first error of `encode` or of writing, as a message.
pub fn write_geojson_seq<E: std::fmt::Display>(
    mut out: impl Write,
    features: impl Iterator<Item = Result<Vec<u8>, E>>,
) -> Result<(), String> {
    for f in features {
        let f = f.map_err(|e| e.to_string())?;
        out.write_all(b"\x1e").map_err(|e| e.to_string())?;
        out.write_all(&f).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

/// The FlatGeobuf column type of a property, from its first value (numbers as doubles;
/// lists and objects as JSON text).
fn fgb_type(v: Option<&Value>) -> ColumnType {
    match v {
        Some(Value::Bool(_)) => ColumnType::Bool,
        Some(Value::Number(_)) => ColumnType::Double,
        Some(Value::Array(_) | Value::Object(_)) => ColumnType::Json,
        _ => ColumnType::String,
    }
}

/// One feature's properties for the FlatGeobuf writer (a feature without geometry, when
/// `skipGeometry` is asked for, is only its properties).
struct FgbProperties<'a> {
    values: &'a [(String, ColumnType, Option<Value>)],
}

impl FgbProperties<'_> {
    fn write(&self, p: &mut impl PropertyProcessor) -> geozero::error::Result<()> {
        for (i, (name, ty, v)) in self.values.iter().enumerate() {
            let text;
            let value = match (*ty, v) {
                (_, None | Some(Value::Null)) => continue,
                (ColumnType::Bool, Some(Value::Bool(b))) => ColumnValue::Bool(*b),
                (ColumnType::Double, Some(Value::Number(n))) => match n.as_f64() {
                    Some(f) => ColumnValue::Double(f),
                    None => continue,
                },
                (ColumnType::Json, Some(v)) => {
                    text = v.to_string();
                    ColumnValue::Json(&text)
                }
                (ColumnType::String, Some(Value::String(s))) => ColumnValue::String(s),
                // A value of another type than the column's first one: as text.
                (_, Some(v)) => {
                    text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if *ty != ColumnType::String {
                        continue;
                    }
                    ColumnValue::String(&text)
                }
            };
            p.property(i, name, &value)?;
        }
        Ok(())
    }
}

impl GeozeroDatasource for FgbProperties<'_> {
    fn process<P: FeatureProcessor>(&mut self, processor: &mut P) -> geozero::error::Result<()> {
        processor.properties_begin()?;
        self.write(processor)?;
        processor.properties_end()
    }
}

/// Writes `rows` (of collection `name`) as a FlatGeobuf file of that name (features in page order, no spatial
/// index, so they are written as they come; the crate's writer keeps them in a temporary
/// file, not in memory).
///
/// # Errors
/// A message when writing or projecting fails.
pub fn write_fgb(out: impl Write, name: &str, rows: &[Item<'_>], crs: &Projector, options: &Options) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let geometry_type = match (options.skip_geometry, rows.first()) {
        (true, _) | (false, None) => GeometryType::Unknown,
        (false, Some(Item::Admin(_))) => GeometryType::MultiPolygon,
        (false, Some(Item::Point(_))) => GeometryType::Point,
    };
    let code = match crs.crs() {
        OutputCrs::Crs84 | OutputCrs::Epsg4326 => 4326,
        OutputCrs::Epsg3857 => 3857,
        OutputCrs::Epsg4490 => 4490,
    };
    let fgb_options = FgbWriterOptions {
        write_index: false,
        crs: FgbCrs { code, ..FgbCrs::default() },
        ..FgbWriterOptions::default()
    };
    let mut fgb = FgbWriter::create_with_options(name, geometry_type, fgb_options).map_err(|e| err(&e))?;
    let cols = columns(rows, name, options);
    let typed: Vec<(String, ColumnType)> = cols.iter().map(|(n, v)| (n.clone(), fgb_type(v.as_ref()))).collect();
    fgb.add_column("id", ColumnType::String, |_, _| {});
    for (n, ty) in &typed {
        fgb.add_column(n, *ty, |_, c| c.nullable = true);
    }
    for r in rows {
        let props = r.properties(name);
        let id = r.id();
        let mut values: Vec<(String, ColumnType, Option<Value>)> = vec![("id".to_owned(), ColumnType::String, Some(Value::String(id)))];
        values.extend(typed.iter().map(|(n, ty)| (n.clone(), *ty, props.get(n).cloned())));
        let feature = FgbProperties { values: &values };
        if options.skip_geometry {
            fgb.add_feature(feature).map_err(|e| err(&e))?;
        } else {
            let g = geometry(r, crs).map_err(|e| err(&e))?;
            fgb.add_feature_geom(g, |w| {
                let _ = feature.write(w);
            })
            .map_err(|e| err(&e))?;
        }
    }
    fgb.write(out).map_err(|e| err(&e))
}
