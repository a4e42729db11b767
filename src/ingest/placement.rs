//! Placing named entities (clusters, parks, towns, imported rows) on the map from the admin
//! names or codes they give, offline and without claiming more precision than the source.
//!
//! Rules (see `geodata/NOTICE`):
//! - names are matched against the atlas within their parent (province → prefecture →
//!   county): first the exact official `name_zh`, then the name without its administrative
//!   suffix (so a renamed unit such as 高要市 → 高要区 still resolves), only if unique;
//! - a single named county: a gazetteer place whose Chinese name appears in the entity's
//!   name and whose point reverse-geocodes into that county gives precision `town`;
//!   otherwise the county's representative interior point (`county`);
//! - no county: the prefecture's point (`prefecture`); no prefecture: the province's
//!   point (`province`);
//! - several `|`-separated units: the first listed unit's point at that unit's level
//!   (method `first_listed_unit`), with every resolved code kept in the `*_codes` lists.
//!
//! Points are never jittered: entities placed at the same unit share its point.

use crate::analysis::reverse::reverse_geocode;
use crate::atlas::Atlas;
use crate::model::{AdminCode, AdminLevel, AdminUnit, GazetteerPlace, Precision};
use crate::names::strip_admin_suffix;
use geo::Point;
use std::collections::HashMap;

/// Gazetteer places grouped by the county their point falls in (computed once per atlas).
#[derive(Debug, Default)]
pub struct GazetteerIndex {
    places: Vec<GazetteerPlace>,
    by_county: HashMap<AdminCode, Vec<usize>>,
}

impl GazetteerIndex {
    /// Reverse-geocodes every place into its county; places outside every county are kept
    /// out of the index (they can never match).
    #[must_use]
    pub fn new(atlas: &Atlas, places: Vec<GazetteerPlace>) -> Self {
        let mut by_county: HashMap<AdminCode, Vec<usize>> = HashMap::new();
        for (i, p) in places.iter().enumerate() {
            if let Ok(Some(county)) = reverse_geocode(atlas, AdminLevel::County, p.point.x(), p.point.y()) {
                by_county.entry(county.code).or_default().push(i);
            }
        }
        Self { places, by_county }
    }

    /// Number of places loaded (indexed or not).
    #[must_use]
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// True when no place was loaded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Every indexed place with the county its point lies in.
    pub fn indexed(&self) -> impl Iterator<Item = (AdminCode, &GazetteerPlace)> {
        let mut counties: Vec<&AdminCode> = self.by_county.keys().collect();
        counties.sort_unstable();
        counties
            .into_iter()
            .flat_map(move |c| self.by_county[c].iter().map(move |&i| (*c, &self.places[i])))
    }

    /// The places whose point lies in the county `code`.
    pub fn in_county(&self, code: AdminCode) -> impl Iterator<Item = &GazetteerPlace> {
        self.by_county.get(&code).into_iter().flatten().map(|&i| &self.places[i])
    }
}

/// How a point was placed; stored as the `location_method` property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocationMethod {
    /// Coordinates given by the source or user.
    Given,
    /// A gazetteer (GeoNames) place named in the entity's name, inside its county.
    GazetteerTown,
    /// The county's representative interior point.
    CountyPoint,
    /// The prefecture's representative interior point.
    PrefecturePoint,
    /// The province's representative interior point.
    ProvincePoint,
    /// The representative point of the first of several listed units.
    FirstListedUnit,
    /// A county named in the entity's own name (its county point).
    CountyInName,
    /// A renamed, merged or abbreviated unit of the reviewed alias table (its county point).
    AdminAlias,
    /// Only a prefecture named in the entity's own name (its prefecture point).
    PrefectureInName,
    /// Nothing finer than the given province (its province point).
    ProvinceOnly,
}

impl LocationMethod {
    /// The snake_case name stored in properties.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LocationMethod::Given => "given_coordinates",
            LocationMethod::GazetteerTown => "geonames_town",
            LocationMethod::CountyPoint => "county_point",
            LocationMethod::PrefecturePoint => "prefecture_point",
            LocationMethod::ProvincePoint => "province_point",
            LocationMethod::FirstListedUnit => "first_listed_unit",
            LocationMethod::CountyInName => "county_in_name",
            LocationMethod::AdminAlias => "admin_alias",
            LocationMethod::PrefectureInName => "prefecture_in_name",
            LocationMethod::ProvinceOnly => "province_only",
        }
    }
}

/// The admin names an entity gives; each may list several units separated by `|`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdminNames<'a> {
    /// Province name(s), e.g. `河北省`.
    pub province: &'a str,
    /// Prefecture name(s), e.g. `沧州市`.
    pub prefecture: &'a str,
    /// County name(s), e.g. `泊头市`.
    pub county: &'a str,
}

/// A name that matched no admin unit (a warning: the entity falls back to its parent).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnresolvedName {
    /// The level the name was looked up at.
    pub level: AdminLevel,
    /// The name as given.
    pub name: String,
}

/// The admin units an entity's names resolved to, in the order listed.
#[derive(Debug, Default)]
pub struct Resolution<'a> {
    /// Resolved provinces.
    pub provinces: Vec<&'a AdminUnit>,
    /// Resolved prefectures.
    pub prefectures: Vec<&'a AdminUnit>,
    /// Resolved counties.
    pub counties: Vec<&'a AdminUnit>,
    /// Names that matched nothing.
    pub unresolved: Vec<UnresolvedName>,
    /// Names matched only without their suffix (renamed units), as `given → atlas name`.
    pub renamed: Vec<String>,
}

/// Where an entity was placed and which units it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// WGS84 point.
    pub point: Point<f64>,
    /// How precisely the point is known.
    pub precision: Precision,
    /// How it was obtained.
    pub method: LocationMethod,
    /// County of the placed unit, if the entity is placed at county level or finer.
    pub county_code: Option<AdminCode>,
    /// Prefecture of the placed unit.
    pub prefecture_code: Option<AdminCode>,
    /// Province of the placed unit.
    pub province_code: Option<AdminCode>,
    /// Every resolved county, in listed order.
    pub county_codes: Vec<AdminCode>,
    /// Every resolved prefecture (listed, or containing a listed county).
    pub prefecture_codes: Vec<AdminCode>,
    /// Every resolved province.
    pub province_codes: Vec<AdminCode>,
    /// The gazetteer place used, for precision `town`.
    pub gazetteer: Option<GazetteerPlace>,
}

fn split_names(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').map(str::trim).filter(|n| !n.is_empty())
}

/// Finds the unit named `name` among `candidates`: exact `name_zh` first, then a unique
/// match of the name without its administrative suffix. Returns the unit and whether it
/// matched only by stem.
fn match_name<'a>(candidates: &[&'a AdminUnit], name: &str) -> Option<(&'a AdminUnit, bool)> {
    if let Some(u) = candidates.iter().find(|u| u.name_zh == name) {
        return Some((u, false));
    }
    let stem = strip_admin_suffix(name);
    let mut hits = candidates.iter().filter(|u| strip_admin_suffix(&u.name_zh) == stem);
    match (hits.next(), hits.next()) {
        (Some(u), None) if !stem.is_empty() => Some((u, true)),
        _ => None,
    }
}

fn resolve_level<'a>(
    atlas: &'a Atlas,
    level: AdminLevel,
    names: &str,
    within: impl Fn(&AdminUnit) -> bool,
    out: &mut Resolution<'a>,
) -> Vec<&'a AdminUnit> {
    let candidates: Vec<&AdminUnit> = atlas.admin_units(level).iter().filter(|u| within(u)).collect();
    let mut found = Vec::new();
    for name in split_names(names) {
        match match_name(&candidates, name) {
            Some((u, renamed)) => {
                if renamed {
                    out.renamed.push(format!("{name} → {}", u.name_zh));
                }
                if !found.iter().any(|f: &&AdminUnit| f.code == u.code) {
                    found.push(u);
                }
            }
            None => out.unresolved.push(UnresolvedName {
                level,
                name: name.to_owned(),
            }),
        }
    }
    found
}

/// Resolves province, prefecture and county names against the atlas, each within its
/// resolved parents (a level with no resolved parent is searched nationwide).
#[must_use]
pub fn resolve_admin_names<'a>(atlas: &'a Atlas, names: &AdminNames<'_>) -> Resolution<'a> {
    let mut r = Resolution::default();
    r.provinces = resolve_level(atlas, AdminLevel::Province, names.province, |_| true, &mut r);
    let provinces: Vec<AdminCode> = r.provinces.iter().map(|u| u.code).collect();
    let in_provinces = |u: &AdminUnit| provinces.is_empty() || provinces.contains(&u.province_code);
    r.prefectures = resolve_level(atlas, AdminLevel::Prefecture, names.prefecture, in_provinces, &mut r);
    let prefectures: Vec<AdminCode> = r.prefectures.iter().map(|u| u.code).collect();
    let in_parents = |u: &AdminUnit| {
        if prefectures.is_empty() {
            provinces.is_empty() || provinces.contains(&u.province_code)
        } else {
            u.prefecture_code.is_some_and(|p| prefectures.contains(&p))
        }
    };
    r.counties = resolve_level(atlas, AdminLevel::County, names.county, in_parents, &mut r);
    r
}

/// Whether `name` is a usable town name for an entity in `county`: at least two
/// characters and not (part of) the name of the county or one of its parents, which
/// would only restate the admin unit.
fn is_town_name(name: &str, county: &AdminUnit) -> bool {
    let parents = [
        Some(county.name_zh.as_str()),
        county.prefecture_name_zh.as_deref(),
        Some(county.province_name_zh.as_str()),
    ];
    name.chars().count() >= 2 && !parents.into_iter().flatten().any(|p| p.contains(name))
}

/// The gazetteer place inside `county` whose Chinese name occurs in `entity_name`: the
/// longest such name wins, ties go to the smallest GeoNames id.
#[must_use]
pub fn match_town<'g>(gazetteer: &'g GazetteerIndex, county: &AdminUnit, entity_name: &str) -> Option<&'g GazetteerPlace> {
    gazetteer
        .in_county(county.code)
        .filter_map(|p| {
            p.names_zh
                .iter()
                .filter(|n| is_town_name(n, county) && entity_name.contains(n.as_str()))
                .map(|n| n.chars().count())
                .max()
                .map(|len| (len, p))
        })
        .max_by(|(la, a), (lb, b)| la.cmp(lb).then(b.id.cmp(&a.id)))
        .map(|(_, p)| p)
}

fn codes(units: &[&AdminUnit]) -> Vec<AdminCode> {
    units.iter().map(|u| u.code).collect()
}

/// Places one unit's representative point at the unit's own level.
fn unit_point(unit: &AdminUnit, multiple: bool) -> (Point<f64>, Precision, LocationMethod) {
    let (precision, method) = match unit.level {
        AdminLevel::County => (Precision::County, LocationMethod::CountyPoint),
        AdminLevel::Prefecture => (Precision::Prefecture, LocationMethod::PrefecturePoint),
        AdminLevel::Province => (Precision::Province, LocationMethod::ProvincePoint),
    };
    let method = if multiple { LocationMethod::FirstListedUnit } else { method };
    (unit.representative_point, precision, method)
}

/// Places an entity named `entity_name` from its resolved units (see the module rules).
/// `None` when not even a province resolved.
#[must_use]
pub fn place_resolved(resolution: &Resolution<'_>, gazetteer: Option<&GazetteerIndex>, entity_name: &str) -> Option<Placement> {
    let (unit, multiple) = [&resolution.counties, &resolution.prefectures, &resolution.provinces]
        .into_iter()
        .find_map(|units| units.first().map(|u| (*u, units.len() > 1)))?;
    let (mut point, mut precision, mut method) = unit_point(unit, multiple);
    let mut town = None;
    if unit.level == AdminLevel::County && !multiple {
        if let Some(place) = gazetteer.and_then(|g| match_town(g, unit, entity_name)) {
            (point, precision, method) = (place.point, Precision::Town, LocationMethod::GazetteerTown);
            town = Some(place.clone());
        }
    }
    let mut prefecture_codes = codes(&resolution.prefectures);
    for c in resolution.counties.iter().filter_map(|u| u.prefecture_code) {
        if !prefecture_codes.contains(&c) {
            prefecture_codes.push(c);
        }
    }
    let mut province_codes = codes(&resolution.provinces);
    for c in resolution.counties.iter().chain(&resolution.prefectures).map(|u| u.province_code) {
        if !province_codes.contains(&c) {
            province_codes.push(c);
        }
    }
    Some(Placement {
        point,
        precision,
        method,
        county_code: (unit.level == AdminLevel::County).then_some(unit.code),
        prefecture_code: match unit.level {
            AdminLevel::Province => None,
            AdminLevel::Prefecture => Some(unit.code),
            AdminLevel::County => unit.prefecture_code,
        },
        province_code: Some(unit.province_code),
        county_codes: codes(&resolution.counties),
        prefecture_codes,
        province_codes,
        gazetteer: town,
    })
}

/// Resolves `names` and places the entity: the placement (if any unit resolved) and the
/// resolution (for its warnings).
#[must_use]
pub fn place_by_names<'a>(
    atlas: &'a Atlas,
    gazetteer: Option<&GazetteerIndex>,
    entity_name: &str,
    names: &AdminNames<'_>,
) -> (Option<Placement>, Resolution<'a>) {
    let resolution = resolve_admin_names(atlas, names);
    (place_resolved(&resolution, gazetteer, entity_name), resolution)
}

/// Places a point with given WGS84 coordinates (precision `exact`), with the codes of the
/// units containing it (none outside every unit).
///
/// # Errors
/// [`crate::analysis::AnalysisError::CoordinateOutOfRange`] for an invalid coordinate.
pub fn place_exact(atlas: &Atlas, lon: f64, lat: f64) -> crate::analysis::AnalysisResult<Placement> {
    let county = reverse_geocode(atlas, AdminLevel::County, lon, lat)?;
    let prefecture = match county {
        Some(c) => c.prefecture_code,
        None => reverse_geocode(atlas, AdminLevel::Prefecture, lon, lat)?.map(|u| u.code),
    };
    let province = match county {
        Some(c) => Some(c.province_code),
        None => reverse_geocode(atlas, AdminLevel::Province, lon, lat)?.map(|u| u.code),
    };
    Ok(Placement {
        point: Point::new(lon, lat),
        precision: Precision::Exact,
        method: LocationMethod::Given,
        county_code: county.map(|c| c.code),
        prefecture_code: prefecture,
        province_code: province,
        county_codes: county.map(|c| c.code).into_iter().collect(),
        prefecture_codes: prefecture.into_iter().collect(),
        province_codes: province.into_iter().collect(),
        gazetteer: None,
    })
}

/// Places an entity at the representative point of the county `code` (precision `county`);
/// `None` if the atlas has no such county.
#[must_use]
pub fn place_at_county(atlas: &Atlas, code: AdminCode) -> Option<Placement> {
    let county = atlas.admin_by_code(AdminLevel::County, code)?;
    let resolution = Resolution {
        counties: vec![county],
        ..Resolution::default()
    };
    place_resolved(&resolution, None, "")
}
