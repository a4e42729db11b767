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

/// A point feature as a GeoJSON Feature (`id` = feature id): every stored property, plus
/// `layer` and, when given, `distance_m` rounded to 0.1 m.
#[must_use]
pub fn place_feature(f: &crate::model::PlaceFeature, layer: &str, distance_m: Option<f64>) -> Value {
    let mut properties = f.properties.clone();
    properties.insert("layer".to_owned(), json!(layer));
    if let Some(d) = distance_m {
        properties.insert("distance_m".to_owned(), json!((d * 10.0).round() / 10.0));
    }
    json!({
        "type": "Feature",
        "id": f.id,
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": [f.point.x(), f.point.y()]},
    })
}

/// A GeoJSON FeatureCollection of `features`.
#[must_use]
pub fn feature_collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// A search hit as a GeoJSON Point Feature with `rank` (1-based), `type`, `id`, `name_zh`,
/// `name_en`, `layer` and `match` properties.
#[must_use]
pub fn search_hit_feature(rank: usize, h: &crate::analysis::SearchHit<'_>) -> Value {
    json!({
        "type": "Feature",
        "id": h.id,
        "properties": {
            "rank": rank,
            "type": h.hit_type,
            "id": h.id,
            "name_zh": h.name_zh,
            "name_en": h.name_en,
            "layer": h.layer,
            "match": h.matched.name(),
        },
        "geometry": {"type": "Point", "coordinates": [h.point.x(), h.point.y()]},
    })
}
