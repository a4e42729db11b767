//! GeoJSON encoding of domain types, shared by the HTTP API and the CLI.
//!
//! Features are written straight to bytes by a [`FeatureWriter`]: the hot paths (items
//! pages, `/nearest`, `/within`) encode each feature without first building a
//! `serde_json::Value` tree and cloning every stored property into it, and print coordinates
//! to the precision they carry — 7 decimals of a degree (about 1 cm) or 0.01 m in Web
//! Mercator — instead of the 17 significant digits of a full `f64`. The `Value` helpers
//! below parse those bytes back for the few callers that edit or pretty-print a feature,
//! so there is one encoding.

use crate::atlas::Atlas;
use crate::crs::project::{OutputCrs, ProjectError, Projector};
use crate::model::{AdminUnit, PlaceFeature};
use geo::{LineString, MultiPolygon};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Written degrees are rounded to 1e-7° (about 1.1 cm on the ground).
const DEGREE_SCALE: f64 = 1e7;
/// Written Web Mercator metres are rounded to 0.01 m.
const METRE_SCALE: f64 = 1e2;

/// Encodes features as GeoJSON bytes, in CRS84 or through a [`Projector`], optionally
/// keeping only some properties (`properties=`).
#[derive(Clone, Copy)]
pub struct FeatureWriter<'a> {
    projector: Option<&'a Projector>,
    keep: Option<&'a [String]>,
    scale: f64,
    geometry: bool,
}

impl<'a> FeatureWriter<'a> {
    /// Stored CRS84 coordinates, every property.
    #[must_use]
    pub fn crs84() -> Self {
        Self {
            projector: None,
            keep: None,
            scale: DEGREE_SCALE,
            geometry: true,
        }
    }

    /// Coordinates through `projector` (none is needed for CRS84).
    #[must_use]
    pub fn projected(projector: &'a Projector) -> Self {
        Self {
            projector: (projector.crs() != OutputCrs::Crs84).then_some(projector),
            keep: None,
            scale: if projector.crs() == OutputCrs::Epsg3857 {
                METRE_SCALE
            } else {
                DEGREE_SCALE
            },
            geometry: true,
        }
    }

    /// Only the properties named in `keep` (all when `None`).
    #[must_use]
    pub fn keeping(self, keep: Option<&'a [String]>) -> Self {
        Self { keep, ..self }
    }

    /// Every feature with a `null` geometry (`skipGeometry=true`).
    #[must_use]
    pub fn without_geometry(self) -> Self {
        Self { geometry: false, ..self }
    }

    /// Degrees rounded to `1 / scale` instead of 1e-7 (e.g. `1e4` for generalised outlines,
    /// whose vertices are no more precise than that).
    #[must_use]
    pub fn rounded_to(self, scale: f64) -> Self {
        Self { scale, ..self }
    }

    fn kept(&self, name: &str) -> bool {
        self.keep.is_none_or(|k| k.iter().any(|n| n == name))
    }

    /// An admin unit as a Feature (`id` = code), with or without its polygon.
    ///
    /// # Errors
    /// When a coordinate cannot be projected.
    pub fn admin(&self, out: &mut Vec<u8>, u: &AdminUnit, with_geometry: bool) -> Result<(), ProjectError> {
        out.extend_from_slice(br#"{"type":"Feature","id":"#);
        json_to(out, &u.code.to_string());
        out.extend_from_slice(br#","properties":{"#);
        let mut props = Props::new(out, self);
        for (k, v) in &admin_properties(u) {
            props.entry(k, v);
        }
        out.extend_from_slice(br#"},"geometry":"#);
        if with_geometry && self.geometry {
            self.multi_polygon(out, &u.geometry)?;
        } else {
            out.extend_from_slice(b"null");
        }
        out.push(b'}');
        Ok(())
    }

    /// A Feature with `properties` (in order) and a multipolygon or a `null` geometry.
    ///
    /// # Errors
    /// When a coordinate cannot be projected.
    pub fn polygon_feature(
        &self,
        out: &mut Vec<u8>,
        id: &str,
        properties: &[(&str, Value)],
        geometry: Option<&MultiPolygon<f64>>,
    ) -> Result<(), ProjectError> {
        out.extend_from_slice(br#"{"type":"Feature","id":"#);
        json_to(out, id);
        out.extend_from_slice(br#","properties":{"#);
        let mut props = Props::new(out, self);
        for (k, v) in properties {
            props.entry(k, v);
        }
        out.extend_from_slice(br#"},"geometry":"#);
        match geometry.filter(|_| self.geometry) {
            Some(g) => self.multi_polygon(out, g)?,
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        Ok(())
    }

    /// A point feature as a Feature (`id` = feature id): every stored property, plus `layer`
    /// and, when given, `distance_m` rounded to 0.1 m. `encoded` is the feature's entry of
    /// [`EncodedProperties`] when there is one: its bytes are copied instead of encoding the
    /// properties again (unless only some properties are kept).
    ///
    /// # Errors
    /// When the point cannot be projected.
    pub fn place(
        &self,
        out: &mut Vec<u8>,
        f: &PlaceFeature,
        encoded: Option<&[u8]>,
        layer: &str,
        distance_m: Option<f64>,
    ) -> Result<(), ProjectError> {
        out.extend_from_slice(br#"{"type":"Feature","id":"#);
        json_to(out, &f.id);
        out.extend_from_slice(br#","properties":{"#);
        let distance = distance_m.map(|d| (d * 10.0).round() / 10.0);
        let mut props = Props::new(out, self);
        // A stored `distance_m` gives way to the computed one (rare: the encoded bytes keep it).
        let replaced = |k: &str| k == "layer" || (k == "distance_m" && distance.is_some());
        match encoded {
            Some(members) if self.keep.is_none() && !(distance.is_some() && f.properties.contains_key("distance_m")) => {
                props.raw(members);
            }
            _ => {
                for (k, v) in &f.properties {
                    if !replaced(k) {
                        props.entry(k, v);
                    }
                }
            }
        }
        props.entry("layer", layer);
        if let Some(d) = distance {
            props.entry("distance_m", &d);
        }
        if !self.geometry {
            out.extend_from_slice(br#"},"geometry":null}"#);
            return Ok(());
        }
        out.extend_from_slice(br#"},"geometry":{"type":"Point","coordinates":"#);
        self.position(out, f.point.x(), f.point.y())?;
        out.extend_from_slice(b"}}");
        Ok(())
    }

    fn multi_polygon(&self, out: &mut Vec<u8>, mp: &MultiPolygon<f64>) -> Result<(), ProjectError> {
        out.extend_from_slice(br#"{"type":"MultiPolygon","coordinates":["#);
        for (i, poly) in mp.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            self.ring(out, poly.exterior())?;
            for r in poly.interiors() {
                out.push(b',');
                self.ring(out, r)?;
            }
            out.push(b']');
        }
        out.extend_from_slice(b"]}");
        Ok(())
    }

    fn ring(&self, out: &mut Vec<u8>, ring: &LineString<f64>) -> Result<(), ProjectError> {
        out.push(b'[');
        for (i, c) in ring.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.position(out, c.x, c.y)?;
        }
        out.push(b']');
        Ok(())
    }

    fn position(&self, out: &mut Vec<u8>, lon: f64, lat: f64) -> Result<(), ProjectError> {
        let (x, y) = match self.projector {
            Some(p) => p.forward((lon, lat))?,
            None => (lon, lat),
        };
        out.push(b'[');
        json_to(out, &round(x, self.scale));
        out.push(b',');
        json_to(out, &round(y, self.scale));
        out.push(b']');
        Ok(())
    }
}

/// The stored properties of a point layer's features, each encoded once as the members of a
/// JSON object (`"k":v,…`, without braces or `layer`, which the writer sets), in feature order:
/// `/nearest`, `/within` and items pages copy these bytes instead of encoding every string
/// of every feature again (escaping strings was the largest cost of a `/nearest` answer).
#[derive(Debug, Default)]
pub struct EncodedProperties {
    members: Vec<Box<[u8]>>,
}

impl EncodedProperties {
    /// Encodes the properties of `features`.
    #[must_use]
    pub fn new<F: std::borrow::Borrow<PlaceFeature>>(features: &[F]) -> Self {
        let writer = FeatureWriter::crs84();
        let members = features
            .iter()
            .map(|f| {
                let f: &PlaceFeature = f.borrow();
                let mut out = Vec::with_capacity(256);
                let mut props = Props::new(&mut out, &writer);
                for (k, v) in &f.properties {
                    if k != "layer" {
                        props.entry(k, v);
                    }
                }
                out.into_boxed_slice()
            })
            .collect();
        Self { members }
    }

    /// The encoded members of feature `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.members.get(i).map(AsRef::as_ref)
    }
}

/// Layers above this many features are encoded per request instead: their encoded
/// properties would hold memory in proportion to the layer for little gain.
pub const ENCODE_ONCE_MAX_FEATURES: usize = 200_000;

/// [`EncodedProperties`] of every point layer of an atlas (up to
/// [`ENCODE_ONCE_MAX_FEATURES`] features), built once when the atlas is served.
#[derive(Debug, Default)]
pub struct EncodedLayers {
    layers: HashMap<String, EncodedProperties>,
}

impl EncodedLayers {
    /// Encodes the point layers of `atlas`.
    #[must_use]
    pub fn new(atlas: &Atlas) -> Self {
        let layers = atlas
            .point_layers()
            .iter()
            .filter(|l| l.features().len() <= ENCODE_ONCE_MAX_FEATURES)
            .map(|l| (l.name().to_owned(), EncodedProperties::new(l.features())))
            .collect();
        Self { layers }
    }

    /// The encoded properties of `f` of point layer `layer` of `atlas`, if encoded.
    #[must_use]
    pub fn members<'a>(&'a self, atlas: &Atlas, layer: &str, f: &PlaceFeature) -> Option<&'a [u8]> {
        let i = atlas.point_layer(layer)?.index_of(&f.id)?;
        self.layers.get(layer)?.get(i)
    }
}

/// Writes the members of a `properties` object, with commas, honouring `keep`.
struct Props<'o, 'w> {
    out: &'o mut Vec<u8>,
    writer: &'o FeatureWriter<'w>,
    first: bool,
}

impl<'o, 'w> Props<'o, 'w> {
    fn new(out: &'o mut Vec<u8>, writer: &'o FeatureWriter<'w>) -> Self {
        Self { out, writer, first: true }
    }

    /// Members already encoded (by [`EncodedProperties`]).
    fn raw(&mut self, members: &[u8]) {
        if members.is_empty() {
            return;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.extend_from_slice(members);
    }

    fn entry<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        if !self.writer.kept(name) {
            return;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        json_to(self.out, name);
        self.out.push(b':');
        json_to(self.out, value);
    }
}

/// `v` rounded to `1 / scale` (serde_json then prints the shortest decimal of that double).
fn round(v: f64, scale: f64) -> f64 {
    (v * scale).round() / scale
}

/// Appends `v` as JSON. Writing a plain value into a `Vec` cannot fail (non-finite numbers
/// are written as `null`), so the impossible error is dropped.
fn json_to<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Parses bytes this module wrote back into a `Value` (for callers that edit the feature).
fn to_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// The documented properties of an admin unit (no geometry).
#[must_use]
pub fn admin_properties(u: &AdminUnit) -> Map<String, Value> {
    let p = u.representative_point;
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
        "representative_point": [round(p.x(), DEGREE_SCALE), round(p.y(), DEGREE_SCALE)],
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An admin unit as a GeoJSON Feature (`id` = code), with or without its polygon.
#[must_use]
pub fn admin_feature(u: &AdminUnit, with_geometry: bool) -> Value {
    let mut out = Vec::new();
    // CRS84 needs no projection, which is the only way writing can fail.
    let _ = FeatureWriter::crs84().admin(&mut out, u, with_geometry);
    to_value(&out)
}

/// A point feature as a GeoJSON Feature (see [`FeatureWriter::place`]).
#[must_use]
pub fn place_feature(f: &PlaceFeature, layer: &str, distance_m: Option<f64>) -> Value {
    let mut out = Vec::new();
    let _ = FeatureWriter::crs84().place(&mut out, f, None, layer, distance_m);
    to_value(&out)
}

/// `{"type":"FeatureCollection", …head…, "features":[…]}`: `head` holds the other top-level
/// members, `write` encodes one item as a Feature.
///
/// # Errors
/// The first error of `write` (a coordinate that cannot be projected).
pub fn collection_bytes<T>(
    head: &Map<String, Value>,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut Vec<u8>, T) -> Result<(), ProjectError>,
) -> Result<Vec<u8>, ProjectError> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(br#"{"type":"FeatureCollection""#);
    for (k, v) in head {
        out.push(b',');
        json_to(&mut out, k);
        out.push(b':');
        json_to(&mut out, v);
    }
    out.extend_from_slice(br#","features":["#);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(&mut out, item)?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_rounded_to_a_centimetre_and_finite_or_null() {
        assert_eq!(round(116.362_209_041_392_67, 1e7), 116.362_209);
        let mut out = Vec::new();
        FeatureWriter::crs84().position(&mut out, 116.362_209_041_392_67, f64::NAN).unwrap();
        assert_eq!(out, b"[116.362209,null]");
    }
}
