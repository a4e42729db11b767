//! Point layers stored as GeoJSON FeatureCollections (`geodata/*.geojson`).

use super::error::{LoadError, LoadResult};
use crate::model::{AdminCode, PlaceFeature, TimeSpan, YearMonth};
use serde_json::{Map, Value};
use std::path::Path;

/// Reads a FeatureCollection of Point features. Each feature needs a string `id` (the
/// feature id or an `id` property), a `name_zh` property and a `precision` property;
/// `county_code`/`prefecture_code`/`province_code` are optional six-digit codes.
///
/// # Errors
/// [`LoadError`] naming the file and the 1-based feature number.
pub fn read_point_layer(path: &Path) -> LoadResult<Vec<PlaceFeature>> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let root: Value = serde_json::from_str(&text).map_err(|e| LoadError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let features = root.get("features").and_then(Value::as_array).ok_or_else(|| LoadError::Format {
        path: path.to_path_buf(),
        message: "not a GeoJSON FeatureCollection".into(),
    })?;
    let mut seen = std::collections::HashSet::new();
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let rec_err = |message: String| LoadError::Record {
                path: path.to_path_buf(),
                record: i + 1,
                message,
            };
            let feature = place_from_geojson(f).map_err(rec_err)?;
            if !seen.insert(feature.id.clone()) {
                return Err(rec_err(format!("duplicate id '{}'", feature.id)));
            }
            Ok(feature)
        })
        .collect()
}

/// Converts one GeoJSON Point Feature into a [`PlaceFeature`].
///
/// # Errors
/// A message saying what is missing or malformed.
pub fn place_from_geojson(f: &Value) -> Result<PlaceFeature, String> {
    let (lon, lat) = point_coordinates(f)?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("coordinates ({lon}, {lat}) are out of range"));
    }
    let properties: Map<String, Value> = f.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let text = |k: &str| {
        properties
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    let code = |k: &str| -> Result<Option<AdminCode>, String> {
        text(k)
            .map(|s| s.parse::<AdminCode>().map_err(|e| format!("property '{k}': {e}")))
            .transpose()
    };
    let id = match f.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => text("id"),
    }
    .ok_or("feature has no id")?;
    Ok(PlaceFeature {
        point: geo::Point::new(lon, lat),
        name_zh: text("name_zh").ok_or_else(|| format!("feature '{id}' has no name_zh"))?,
        name_en: text("name_en"),
        kind: text("kind"),
        industries: industries(&properties),
        time: feature_time(&properties),
        county_code: code("county_code")?,
        prefecture_code: code("prefecture_code")?,
        province_code: code("province_code")?,
        precision: text("precision").as_deref().unwrap_or("exact").parse()?,
        id,
        properties,
    })
}

/// The industry tags: the `industries` array if present, else the `industry` text.
fn industries(properties: &Map<String, Value>) -> Vec<String> {
    match properties.get("industries") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => properties
            .get("industry")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| vec![s.to_owned()])
            .unwrap_or_default(),
    }
}

/// A feature's time: its `approved` month (`YYYY-MM`), else its `designation_year` as the
/// whole year.
fn feature_time(properties: &Map<String, Value>) -> Option<TimeSpan> {
    let approved = properties.get("approved").and_then(Value::as_str).and_then(YearMonth::parse_iso);
    let year = || {
        properties
            .get("designation_year")
            .and_then(Value::as_u64)
            .and_then(|y| u16::try_from(y).ok())
            .filter(|y| (1000..=9999).contains(y))
            .map(TimeSpan::year)
    };
    approved.map(YearMonth::span).or_else(year)
}

/// The `(lon, lat)` of a GeoJSON Feature whose geometry is a Point (not range-checked).
///
/// # Errors
/// A message if the geometry is not a Point with two numeric coordinates.
pub fn point_coordinates(f: &Value) -> Result<(f64, f64), String> {
    let coords = f
        .pointer("/geometry/coordinates")
        .and_then(Value::as_array)
        .filter(|_| f.pointer("/geometry/type").and_then(Value::as_str) == Some("Point"))
        .ok_or("geometry must be a Point")?;
    match (coords.first().and_then(Value::as_f64), coords.get(1).and_then(Value::as_f64)) {
        (Some(lon), Some(lat)) => Ok((lon, lat)),
        _ => Err("Point coordinates must be two numbers".into()),
    }
}
