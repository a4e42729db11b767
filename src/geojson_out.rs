//! GeoJSON encoding of domain types, shared by the HTTP API and the CLI.

use crate::model::AdminUnit;
use serde_json::{Map, Value, json};

/// The documented properties of an admin unit (no geometry).
#[must_use]
pub fn admin_properties(u: &AdminUnit) -> Map<String, Value> {
    let v = json!({
        "code": u.code.to_string(),
        "name_zh": u.name_zh,
        "name_pinyin": u.name_pinyin,
        "level": u.level.name(),
        "province_code": u.province_code.to_string(),
        "province_name_zh": u.province_name_zh,
        "prefecture_code": u.prefecture_code.map(|c| c.to_string()),
        "prefecture_name_zh": u.prefecture_name_zh,
        "area_km2": (u.area_km2 * 1000.0).round() / 1000.0,
        "representative_point": [u.representative_point.x(), u.representative_point.y()],
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An admin unit as a GeoJSON Feature (`id` = code), with or without its polygon.
#[must_use]
pub fn admin_feature(u: &AdminUnit, with_geometry: bool) -> Value {
    let geometry = if with_geometry {
        serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(&u.geometry))).unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    json!({
        "type": "Feature",
        "id": u.code.to_string(),
        "properties": admin_properties(u),
        "geometry": geometry,
    })
}
