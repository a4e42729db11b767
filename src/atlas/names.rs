//! The name index behind `/search`: every admin unit and point feature under its Chinese
//! name, toneless pinyin and English name, built once with the [`super::Atlas`].
//!
//! Keys are *normalised* ([`normalize`]: lowercase, letters and digits only), so pinyin
//! with or without spaces (`bo tou`, `botou`, `Bo-Tou`) and English names in any case meet
//! the same key; a Chinese name normalises to itself. Lookup is a linear scan: each entry
//! holds only a handful of short keys, which is fast enough for the atlas' thousands of
//! names (see `benches/queries.rs` for the numbers at one million).

use super::PointLayer;
use crate::model::{AdminLevel, AdminUnit};
use crate::names::{strip_admin_suffix, to_pinyin};
use pinyin::ToPinyinMulti;

/// Most pinyin spellings indexed per name (see [`pinyin_variants`]).
const MAX_PINYIN_VARIANTS: usize = 8;

/// What an index entry refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameTarget {
    /// `atlas.admin_units(level)[index]`.
    Admin(AdminLevel, usize),
    /// `atlas.point_layers()[layer].features()[feature]`.
    Place {
        /// Index into [`super::Atlas::point_layers`].
        layer: usize,
        /// Index into [`PointLayer::features`].
        feature: usize,
    },
}

/// One searchable name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    /// What the name belongs to.
    pub target: NameTarget,
    /// Normalised names: Chinese (full and without admin suffix), pinyin (proper name and
    /// full name), English.
    pub keys: Vec<String>,
    /// Normalised tags (kind, industry) that only count when a multi-word query needs them.
    pub tags: Vec<String>,
    /// Ranking class among equally good matches: province 0, prefecture 1, county 2,
    /// cluster 3, park 4, town 5, anything else 6.
    pub class: u8,
    /// Length of the Chinese name in characters (shorter ranks first).
    pub name_chars: usize,
}

/// The name index of an atlas.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    entries: Vec<NameEntry>,
}

/// Lowercases and keeps only letters and digits (CJK characters included), so that
/// `"Bo Tou"`, `"bo-tou"` and `"botou"` all become `"botou"`.
///
/// # Examples
/// ```
/// use cluster_atlas::atlas::names::normalize;
/// assert_eq!(normalize(" Bo Tou "), "botou");
/// assert_eq!(normalize("泊头 市"), "泊头市");
/// assert_eq!(normalize("Xi'an"), "xian");
/// ```
#[must_use]
pub fn normalize(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Toneless pinyin spellings of `text` over the readings of its heteronyms (`泊头` →
/// `botou`, `potou`), lowercase, at most `max` of them, the dictionary's first reading of
/// every character first. Place names often use a character's rarer reading (泊头 Bótóu),
/// so indexing every reading lets `botou` find 泊头 whatever the dictionary prefers;
/// spurious spellings only add harmless extra keys.
///
/// # Examples
/// ```
/// use cluster_atlas::atlas::names::pinyin_variants;
/// assert!(pinyin_variants("泊头", 8).contains(&"botou".to_string()));
/// assert_eq!(pinyin_variants("醴陵", 8), ["liling"]);
/// ```
#[must_use]
pub fn pinyin_variants(text: &str, max: usize) -> Vec<String> {
    let mut variants = vec![String::new()];
    for (ch, multi) in text.chars().zip(text.to_pinyin_multi()) {
        let mut readings: Vec<&str> = Vec::new();
        match multi {
            Some(m) => {
                for p in m {
                    if !readings.contains(&p.plain()) {
                        readings.push(p.plain());
                    }
                }
            }
            None => {
                variants.iter_mut().for_each(|v| v.extend(ch.to_lowercase()));
                continue;
            }
        }
        let mut next = Vec::with_capacity(max);
        for r in &readings {
            for v in &variants {
                if next.len() < max {
                    next.push(format!("{v}{r}"));
                }
            }
        }
        variants = next;
    }
    variants.retain(|v| !v.is_empty());
    variants
}

fn kind_class(kind: Option<&str>) -> u8 {
    match kind {
        Some("cluster") => 3,
        Some("park") => 4,
        Some("town") => 5,
        _ => 6,
    }
}

fn push_key(keys: &mut Vec<String>, text: &str) {
    let k = normalize(text);
    if !k.is_empty() && !keys.contains(&k) {
        keys.push(k);
    }
}

fn admin_entry(level: AdminLevel, index: usize, u: &AdminUnit) -> NameEntry {
    let mut keys = Vec::with_capacity(4);
    push_key(&mut keys, &u.name_zh);
    push_key(&mut keys, strip_admin_suffix(&u.name_zh));
    push_key(&mut keys, &u.name_pinyin);
    push_key(&mut keys, &to_pinyin(&u.name_zh));
    for v in pinyin_variants(strip_admin_suffix(&u.name_zh), MAX_PINYIN_VARIANTS) {
        push_key(&mut keys, &v);
    }
    let class = match level {
        AdminLevel::Province => 0,
        AdminLevel::Prefecture => 1,
        AdminLevel::County => 2,
    };
    NameEntry {
        target: NameTarget::Admin(level, index),
        keys,
        tags: vec![level.name().to_owned()],
        class,
        name_chars: u.name_zh.chars().count(),
    }
}

fn place_entries(li: usize, layer: &PointLayer) -> impl Iterator<Item = NameEntry> + '_ {
    layer.features().iter().enumerate().map(move |(fi, f)| {
        let mut keys = Vec::with_capacity(4);
        push_key(&mut keys, &f.name_zh);
        for v in pinyin_variants(&f.name_zh, MAX_PINYIN_VARIANTS) {
            push_key(&mut keys, &v);
        }
        if let Some(en) = &f.name_en {
            push_key(&mut keys, en);
        }
        if let Some(py) = f.properties.get("name_pinyin").and_then(serde_json::Value::as_str) {
            push_key(&mut keys, py);
        }
        let mut tags = Vec::new();
        for t in [f.kind.as_deref(), Some(layer.name())]
            .into_iter()
            .flatten()
            .chain(f.industries.iter().map(String::as_str))
        {
            push_key(&mut tags, t);
        }
        NameEntry {
            target: NameTarget::Place { layer: li, feature: fi },
            keys,
            tags,
            class: kind_class(f.kind.as_deref()),
            name_chars: f.name_zh.chars().count(),
        }
    })
}

impl NameIndex {
    /// Indexes the admin units of every level and the features of every point layer
    /// (`points` in atlas order, so that [`NameTarget::Place::layer`] indexes it).
    #[must_use]
    pub fn build(admin: [(AdminLevel, &[AdminUnit]); 3], points: &[PointLayer]) -> Self {
        let mut entries = Vec::new();
        for (level, units) in admin {
            entries.extend(units.iter().enumerate().map(|(i, u)| admin_entry(level, i, u)));
        }
        for (li, layer) in points.iter().enumerate() {
            entries.extend(place_entries(li, layer));
        }
        Self { entries }
    }

    /// All entries: admin units (provinces, prefectures, counties), then point features.
    #[must_use]
    pub fn entries(&self) -> &[NameEntry] {
        &self.entries
    }
}
