//! MVT properties of point features, converted once per layer.
//!
//! A point tile lists every stored property of every point it shows (about 40 for the
//! curated layer, long source notes among them). geozero's `TagsBuilder` hashes each key and
//! value string again in every tile to share them between features; for point tiles that was
//! the largest cost of an encode. Here each layer's keys and distinct values are numbered
//! once ([`PointDictionary`]), each feature keeps its tags as those numbers, and a tile only
//! renumbers the ones it uses ([`PointLayerBuilder`]) — integer lookups, no string hashing.
//! No crate offers a pre-built MVT dictionary, hence this module.

use crate::model::PlaceFeature;
use geozero::mvt::TileValue;
use geozero::mvt::tile;
use serde_json::Value;
use std::borrow::Borrow;
use std::collections::HashMap;

/// The keys and distinct values of one point layer's properties, and each feature's tags as
/// `(key, value)` numbers into them.
#[derive(Debug, Default)]
pub struct PointDictionary {
    keys: Vec<String>,
    values: Vec<tile::Value>,
    tags: Vec<Box<[(u32, u32)]>>,
    /// Industry tags of the layer, numbered; and each feature's as those numbers.
    industries: Vec<String>,
    feature_industries: Vec<Box<[u32]>>,
    /// Each feature's point in Web Mercator unit-square coordinates (x east, y south).
    unit_square: Vec<[f64; 2]>,
}

/// A hashable form of a tile value (floats by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Str(String),
    Sint(i64),
    Uint(u64),
    Double(u64),
    Bool(bool),
}

impl ValueKey {
    fn of(v: &TileValue) -> Self {
        match v {
            TileValue::Str(s) => ValueKey::Str(s.clone()),
            TileValue::Sint(i) | TileValue::Int(i) => ValueKey::Sint(*i),
            TileValue::Uint(u) => ValueKey::Uint(*u),
            TileValue::Double(d) => ValueKey::Double(d.to_bits()),
            TileValue::Float(f) => ValueKey::Double(f64::from(*f).to_bits()),
            TileValue::Bool(b) => ValueKey::Bool(*b),
        }
    }
}

/// Numbers keys and values as they are first seen.
#[derive(Default)]
struct Numbering {
    keys: Vec<String>,
    key_ids: HashMap<String, u32>,
    values: Vec<tile::Value>,
    value_ids: HashMap<ValueKey, u32>,
}

impl Numbering {
    fn key(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.key_ids.get(k) {
            return i;
        }
        let i = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push(k.to_owned());
        self.key_ids.insert(k.to_owned(), i);
        i
    }

    fn value(&mut self, v: TileValue) -> u32 {
        let key = ValueKey::of(&v);
        if let Some(&i) = self.value_ids.get(&key) {
            return i;
        }
        let i = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(v.into());
        self.value_ids.insert(key, i);
        i
    }
}

impl PointDictionary {
    /// Numbers the properties of `features` (see [`point_props`]).
    #[must_use]
    pub fn new<F: Borrow<PlaceFeature>>(features: &[F]) -> Self {
        let mut n = Numbering::default();
        let features = || features.iter().map(Borrow::borrow);
        let tags = features()
            .map(|f| point_props(f).into_iter().map(|(k, v)| (n.key(&k), n.value(v))).collect())
            .collect();
        let mut industries = Numbering::default();
        let feature_industries = features()
            .map(|f: &PlaceFeature| f.industries.iter().map(|i| industries.key(i)).collect())
            .collect();
        Self {
            keys: n.keys,
            values: n.values,
            tags,
            industries: industries.keys,
            feature_industries,
            unit_square: features().map(|f| super::unit_square(f.point.x(), f.point.y())).collect(),
        }
    }

    /// Feature `index`'s point in Web Mercator unit-square coordinates.
    #[must_use]
    pub fn unit_square(&self, index: usize) -> [f64; 2] {
        self.unit_square[index]
    }

    /// The three most frequent industries of the features numbered `members`, most frequent
    /// first (ties by name), comma-separated.
    #[must_use]
    pub fn top_industries(&self, members: impl Iterator<Item = usize>) -> String {
        let mut counts = vec![0usize; self.industries.len()];
        for i in members {
            for &ind in self.feature_industries.get(i).map_or(&[][..], |t| &t[..]) {
                counts[ind as usize] += 1;
            }
        }
        let mut v: Vec<(&str, usize)> = counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(i, &c)| (self.industries[i].as_str(), c))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.iter().take(3).map(|(i, _)| *i).collect::<Vec<_>>().join(",")
    }
}

/// All stored properties as MVT values (objects and arrays as JSON text, nulls left out).
#[must_use]
pub fn point_props(f: &PlaceFeature) -> Vec<(String, TileValue)> {
    let mut p = vec![("id".to_owned(), TileValue::Str(f.id.clone()))];
    for (k, v) in &f.properties {
        if k == "id" {
            continue;
        }
        let tv = match v {
            Value::Null => continue,
            Value::Bool(b) => TileValue::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => TileValue::Sint(i),
                (None, Some(x)) => TileValue::Double(x),
                (None, None) => TileValue::Str(n.to_string()),
            },
            Value::String(s) => TileValue::Str(s.clone()),
            other => TileValue::Str(other.to_string()),
        };
        p.push((k.clone(), tv));
    }
    p
}

/// The features of one point tile layer and the part of the layer's dictionary they use.
pub struct PointLayerBuilder<'d> {
    dict: &'d PointDictionary,
    features: Vec<tile::Feature>,
    /// Tile key number of each layer key (`u32::MAX`: not used yet).
    local_keys: Vec<u32>,
    /// Tile value number of each layer value used.
    local_values: HashMap<u32, u32>,
    keys: Vec<String>,
    values: Vec<tile::Value>,
    /// Values of properties made for this tile (cluster counts), numbered apart.
    extra_values: HashMap<ValueKey, u32>,
}

impl<'d> PointLayerBuilder<'d> {
    /// An empty tile layer over `dict`.
    #[must_use]
    pub fn new(dict: &'d PointDictionary) -> Self {
        Self {
            dict,
            features: Vec::new(),
            local_keys: vec![u32::MAX; dict.keys.len()],
            local_values: HashMap::new(),
            keys: Vec::new(),
            values: Vec::new(),
            extra_values: HashMap::new(),
        }
    }

    /// The dictionary this layer draws on.
    #[must_use]
    pub fn dictionary(&self) -> &'d PointDictionary {
        self.dict
    }

    /// Whether no feature was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    fn local_key(&mut self, global: u32) -> u32 {
        let slot = &mut self.local_keys[global as usize];
        if *slot == u32::MAX {
            *slot = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
            self.keys.push(self.dict.keys[global as usize].clone());
        }
        *slot
    }

    /// Adds `feature` with the stored properties of the layer's feature number `index`.
    pub fn push_stored(&mut self, mut feature: tile::Feature, index: usize) {
        let dict = self.dict;
        for &(k, v) in dict.tags.get(index).map_or(&[][..], |t| &t[..]) {
            let lk = self.local_key(k);
            let next = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
            let lv = *self.local_values.entry(v).or_insert(next);
            if lv == next {
                self.values.push(dict.values[v as usize].clone());
            }
            feature.tags.extend([lk, lv]);
        }
        self.features.push(feature);
    }

    /// Adds `feature` with properties made for this tile.
    pub fn push_made(&mut self, mut feature: tile::Feature, props: Vec<(&str, TileValue)>) {
        for (k, v) in props {
            let lk = match self.keys.iter().position(|have| have == k) {
                Some(i) => u32::try_from(i).unwrap_or(u32::MAX),
                None => {
                    self.keys.push(k.to_owned());
                    u32::try_from(self.keys.len() - 1).unwrap_or(u32::MAX)
                }
            };
            let next = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
            let lv = *self.extra_values.entry(ValueKey::of(&v)).or_insert(next);
            if lv == next {
                self.values.push(v.into());
            }
            feature.tags.extend([lk, lv]);
        }
        self.features.push(feature);
    }

    /// The encoded tile holding only this layer; `None` when it has no features.
    #[must_use]
    pub fn into_tile(self, name: String, extent: u32) -> Option<Vec<u8>> {
        use geozero::mvt::Message as _;
        (!self.is_empty()).then(|| {
            geozero::mvt::Tile {
                layers: vec![self.into_layer(name, extent)],
            }
            .encode_to_vec()
        })
    }

    /// The finished layer.
    #[must_use]
    pub fn into_layer(self, name: String, extent: u32) -> tile::Layer {
        tile::Layer {
            version: 2,
            name,
            features: self.features,
            keys: self.keys,
            values: self.values,
            extent: Some(extent),
        }
    }
}
