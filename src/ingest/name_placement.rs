//! Placing an entity from the place names inside its own name — the development zones of
//! the national catalogue (河北唐山开平高新技术产业开发区 → 唐山市开平区), which carry no
//! coordinates and no admin columns. Never claims more than the name gives:
//!
//! - the province is given; its name (or stem) is dropped from the front of the name;
//! - admin names of that province are found in the name, longest first and without overlap
//!   (official name, the name without its suffix, or a row of the reviewed alias table of
//!   renamed, merged and abbreviated units, such as 港闸 → 崇川区 or 杭后 → 杭锦后旗);
//! - names at the front, each following the previous one (`[prefecture][county]…`), are the
//!   zone's address; when nothing stands at the front, a name anywhere counts;
//! - a name that is both a prefecture's and one of its counties' (淮安 → 淮安市 and 淮安区)
//!   names the prefecture; a county must lie in the prefecture named with it;
//! - one county → `county` precision (`county_in_name`, or `admin_alias` for a table row);
//!   several counties of one prefecture in the address → the last, most specific one
//!   (莱芜钢城 → 钢城区); a joint zone (奎屯—独山子) lists its counties in `county_codes` and
//!   is placed at their prefecture, or province when they lie in several;
//! - no county: a gazetteer place (GeoNames, at least two characters, not a generic word)
//!   named in the name and lying in the named prefecture (else the province), all of whose
//!   namesakes lie in one county → `town` precision at the place (`geonames_town`);
//! - else the named prefecture: a prefecture holding a single county (东莞市, 济源市) names
//!   that county; otherwise `prefecture_in_name` (a municipality's zones name at least the
//!   municipality); else the province (`province_only`).

use super::placement::{GazetteerIndex, LocationMethod, Placement};
use crate::atlas::Atlas;
use crate::model::GazetteerPlace;
use crate::model::{AdminCode, AdminLevel, AdminUnit, Precision};
use crate::names::strip_admin_suffix;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeMap, HashMap};

/// One row of the reviewed alias table: a former, merged or abbreviated name as printed
/// and the current unit that holds its territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAlias {
    /// Province the name is read in.
    pub province: AdminCode,
    /// The name as printed, e.g. `港闸`.
    pub name: String,
    /// The current county (or prefecture) code, e.g. 320602.
    pub code: AdminCode,
}

/// Words that GeoNames lists as place names but that zone names use generically; never
/// taken as a town.
const GENERIC_WORDS: [&str; 30] = [
    "临港", "空港", "港区", "滨海", "滨江", "沿海", "沿江", "新城", "新区", "城区", "开发", "工业", "高新", "经济", "科技", "现代", "生态",
    "循环", "国际", "中心", "城南", "城北", "城东", "城西", "江南", "江北", "东部", "西部", "南部", "北部",
];

/// Characters joining the places of a joint zone's name.
const JOINERS: [&str; 4] = ["—", "-", "·", "、"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Prefecture(AdminCode),
    County(AdminCode),
    AliasCounty(AdminCode),
    AliasPrefecture(AdminCode),
}

/// The admin names and gazetteer names of one province, as two automata.
#[derive(Debug)]
struct ProvinceNames {
    prefix: Vec<String>,
    /// The province's stem when a prefecture shares it (吉林).
    shared_stem: Option<String>,
    municipality: Option<AdminCode>,
    admin: AhoCorasick,
    admin_targets: Vec<Vec<Target>>,
    towns: AhoCorasick,
    town_places: Vec<Vec<(AdminCode, usize)>>,
}

/// Places entities from their names; built once per atlas (one automaton per province).
#[derive(Debug)]
pub struct NamePlacer<'a> {
    atlas: &'a Atlas,
    places: Vec<&'a GazetteerPlace>,
    provinces: HashMap<AdminCode, ProvinceNames>,
    /// Prefectures that hold exactly one county (东莞市, 济源市, 阿拉尔市): naming one names it.
    sole_county: HashMap<AdminCode, AdminCode>,
}

/// Why a name was placed where it was, beside the [`Placement`].
#[derive(Debug, Clone, PartialEq)]
pub struct NameEvidence {
    /// The part of the name that decided (`开平`, `漕河泾`), empty at province precision.
    pub matched: String,
}

fn automaton(patterns: &[String], kind: MatchKind) -> AhoCorasick {
    #[allow(clippy::expect_used)]
    AhoCorasick::builder()
        .match_kind(kind)
        .build(patterns)
        .expect("a few thousand literal patterns always build")
}

/// Names a unit is known by in zone names: its official name and its stem, unless generic.
fn unit_names(u: &AdminUnit) -> Vec<&str> {
    let generic = |n: &str| n.chars().count() < 2 || (n.chars().count() == 2 && n.ends_with('区'));
    let mut out = vec![u.name_zh.as_str()];
    let stem = strip_admin_suffix(&u.name_zh);
    if stem != u.name_zh {
        out.push(stem);
    }
    out.retain(|n| !generic(n));
    out
}

impl<'a> NamePlacer<'a> {
    /// Indexes the admin names of every province, the alias table and the gazetteer.
    #[must_use]
    pub fn new(atlas: &'a Atlas, gazetteer: &'a GazetteerIndex, aliases: &[AdminAlias]) -> Self {
        let mut places: Vec<&GazetteerPlace> = Vec::new();
        let mut places_by_province: HashMap<AdminCode, Vec<(AdminCode, usize)>> = HashMap::new();
        for (county, place) in gazetteer.indexed() {
            if let Some(c) = atlas.admin_by_code(AdminLevel::County, county) {
                places_by_province.entry(c.province_code).or_default().push((county, places.len()));
                places.push(place);
            }
        }
        let mut provinces = HashMap::new();
        for p in atlas.admin_units(AdminLevel::Province) {
            let mut admin: BTreeMap<String, Vec<Target>> = BTreeMap::new();
            let mut add = |name: &str, t: Target| {
                let v = admin.entry(name.to_owned()).or_default();
                if !v.contains(&t) {
                    v.push(t);
                }
            };
            let prefectures: Vec<&AdminUnit> = atlas
                .admin_units(AdminLevel::Prefecture)
                .iter()
                .filter(|u| u.province_code == p.code)
                .collect();
            for u in &prefectures {
                for n in unit_names(u) {
                    add(n, Target::Prefecture(u.code));
                }
            }
            for u in atlas.admin_units(AdminLevel::County).iter().filter(|u| u.province_code == p.code) {
                for n in unit_names(u) {
                    add(n, Target::County(u.code));
                }
            }
            for a in aliases.iter().filter(|a| a.province == p.code) {
                let t = if atlas.admin_by_code(AdminLevel::County, a.code).is_some() {
                    Target::AliasCounty(a.code)
                } else {
                    Target::AliasPrefecture(a.code)
                };
                admin.insert(a.name.clone(), vec![t]);
            }
            let admin_names: Vec<String> = admin.keys().cloned().collect();
            let admin_targets: Vec<Vec<Target>> = admin.into_values().collect();
            let mut towns: BTreeMap<String, Vec<(AdminCode, usize)>> = BTreeMap::new();
            for &(county, i) in places_by_province.get(&p.code).into_iter().flatten() {
                for n in places[i].names_zh.iter().flat_map(|n| town_names(n)) {
                    if !GENERIC_WORDS.contains(&n) && !admin_names.iter().any(|a| a == n) {
                        let v = towns.entry(n.to_owned()).or_default();
                        if !v.contains(&(county, i)) {
                            v.push((county, i));
                        }
                    }
                }
            }
            let town_names: Vec<String> = towns.keys().cloned().collect();
            // The province's stem is dropped from the front unless a prefecture has the same
            // stem (吉林经济技术开发区 is in 吉林市); its full name always is.
            let stem = strip_admin_suffix(&p.name_zh);
            let shared = prefectures.iter().any(|u| strip_admin_suffix(&u.name_zh) == stem);
            let mut prefix = vec![p.name_zh.clone()];
            if stem != p.name_zh && !shared {
                prefix.push(stem.to_owned());
            }
            provinces.insert(
                p.code,
                ProvinceNames {
                    prefix,
                    shared_stem: shared.then(|| stem.to_owned()),
                    municipality: (prefectures.len() == 1 && prefectures[0].name_zh == p.name_zh).then(|| prefectures[0].code),
                    // Leftmost-longest: 开平区 beats 开平, and matches never overlap.
                    admin: automaton(&admin_names, MatchKind::LeftmostLongest),
                    admin_targets,
                    towns: automaton(&town_names, MatchKind::Standard),
                    town_places: towns.into_values().collect(),
                },
            );
        }
        let mut counties_of: HashMap<AdminCode, Vec<AdminCode>> = HashMap::new();
        for c in atlas.admin_units(AdminLevel::County) {
            if let Some(p) = c.prefecture_code {
                counties_of.entry(p).or_default().push(c.code);
            }
        }
        let sole_county = counties_of
            .into_iter()
            .filter_map(|(p, cs)| (cs.len() == 1).then(|| (p, cs[0])))
            .collect();
        Self {
            atlas,
            places,
            provinces,
            sole_county,
        }
    }

    fn county(&self, code: AdminCode) -> Option<&'a AdminUnit> {
        self.atlas.admin_by_code(AdminLevel::County, code)
    }

    /// Places the entity `name` of province `province` (see the module rules); `None` for a
    /// province the atlas lacks.
    #[must_use]
    pub fn place(&self, province: AdminCode, name: &str) -> Option<(Placement, NameEvidence)> {
        let names = self.provinces.get(&province)?;
        let province_unit = self.atlas.admin_by_code(AdminLevel::Province, province)?;
        let mut text = name;
        if let Some(p) = names.prefix.iter().find(|p| text.starts_with(p.as_str())) {
            text = &text[p.len()..];
        }
        text = text.strip_prefix('省').unwrap_or(text);
        // 吉林: the province's stem is also a prefecture's. Read it as the province first
        // (吉林德惠 → 德惠市); only if that gives no county, as the prefecture (吉林龙潭).
        if let Some(stem) = names.shared_stem.as_deref().filter(|s| text.starts_with(s)) {
            let as_province = self.place_text(names, province_unit, &text[stem.len()..]);
            if as_province.as_ref().is_some_and(|(p, _)| p.precision <= Precision::County) {
                return as_province;
            }
        }
        self.place_text(names, province_unit, text)
    }

    fn place_text(&self, names: &ProvinceNames, province_unit: &'a AdminUnit, text: &str) -> Option<(Placement, NameEvidence)> {
        let matches: Vec<(usize, usize, &[Target])> = names
            .admin
            .find_iter(text)
            .map(|m| (m.start(), m.end(), names.admin_targets[m.pattern().as_usize()].as_slice()))
            .collect();
        // The address: names at the front, each following the previous one.
        // A separator between two names (奎屯—独山子, 江阴—靖江) makes a joint zone: its
        // counties are listed, but none of them is claimed as the zone's.
        let mut address = Vec::new();
        let mut joint = false;
        let mut at = 0;
        for m in &matches {
            let gap = &text[at..m.0];
            if !(gap.is_empty() || (at > 0 && JOINERS.contains(&gap))) {
                break;
            }
            joint |= !gap.is_empty();
            address.push(*m);
            at = m.1;
        }
        let in_address = !address.is_empty();
        let (used, rest) = if in_address {
            let rest: Vec<_> = matches.iter().filter(|m| !address.contains(m)).copied().collect();
            (address, rest)
        } else {
            (matches, Vec::new())
        };
        let mut prefectures: Vec<AdminCode> = Vec::new();
        for (_, _, targets) in &used {
            for t in *targets {
                if let Target::Prefecture(c) | Target::AliasPrefecture(c) = t {
                    if !prefectures.contains(c) {
                        prefectures.push(*c);
                    }
                }
            }
        }
        if prefectures.is_empty() {
            prefectures.extend(names.municipality);
        }
        let in_prefectures = |c: &AdminUnit| prefectures.is_empty() || c.prefecture_code.is_some_and(|p| prefectures.contains(&p));
        // Counties: names that name no prefecture, inside the named prefectures, unique.
        let mut counties: Vec<(&AdminUnit, bool, &str)> = Vec::new();
        for &(s, e, targets) in &used {
            if targets
                .iter()
                .any(|t| matches!(t, Target::Prefecture(_) | Target::AliasPrefecture(_)))
            {
                continue;
            }
            let hits: Vec<(&AdminUnit, bool)> = targets
                .iter()
                .filter_map(|t| match t {
                    Target::County(c) => self.county(*c).map(|u| (u, false)),
                    Target::AliasCounty(c) => self.county(*c).map(|u| (u, true)),
                    _ => None,
                })
                .filter(|(u, _)| in_prefectures(u))
                .collect();
            if let [(u, alias)] = hits.as_slice() {
                if !counties.iter().any(|(c, _, _)| c.code == u.code) {
                    counties.push((u, *alias, &text[s..e]));
                }
            }
        }
        let one_prefecture = counties.windows(2).all(|w| w[0].0.prefecture_code == w[1].0.prefecture_code);
        let mut county = match counties.as_slice() {
            [only] => Some(*only),
            [.., last] if in_address && one_prefecture && !joint => Some(*last),
            _ => None,
        };
        // An address naming only its prefecture: a county of that prefecture named further
        // on (延安市中国洛川…) is the zone's, if it is the only one.
        if county.is_none() && counties.is_empty() && !prefectures.is_empty() {
            let later: Vec<(&AdminUnit, bool, &str)> = rest
                .iter()
                .filter(|m| !m.2.iter().any(|t| matches!(t, Target::Prefecture(_) | Target::AliasPrefecture(_))))
                .flat_map(|&(s, e, targets)| {
                    targets.iter().filter_map(move |t| match t {
                        Target::County(c) => Some((*c, false, s, e)),
                        Target::AliasCounty(c) => Some((*c, true, s, e)),
                        _ => None,
                    })
                })
                .filter_map(|(c, alias, s, e)| self.county(c).map(|u| (u, alias, &text[s..e])))
                .filter(|(u, _, _)| in_prefectures(u))
                .collect();
            if let [only] = later.as_slice() {
                county = Some(*only);
            }
        }
        if let Some((unit, alias, matched)) = county {
            let method = if alias {
                LocationMethod::AdminAlias
            } else {
                LocationMethod::CountyInName
            };
            return Some((
                placement_at(unit, unit.representative_point, Precision::County, method, None),
                evidence(matched),
            ));
        }
        let admin_spans: Vec<(usize, usize)> = used.iter().map(|m| (m.0, m.1)).collect();
        if let Some((place, matched)) = self.town(names, text, &admin_spans, &prefectures) {
            let county = self.county(place.0)?;
            let p = self.places[place.1];
            return Some((
                placement_at(county, p.point, Precision::Town, LocationMethod::GazetteerTown, Some(p.clone())),
                evidence(matched),
            ));
        }
        if let [only] = prefectures.as_slice() {
            if let Some(unit) = self.sole_county.get(only).and_then(|c| self.county(*c)) {
                let matched = used.first().map_or("", |m| &text[m.0..m.1]);
                let p = placement_at(
                    unit,
                    unit.representative_point,
                    Precision::County,
                    LocationMethod::CountyInName,
                    None,
                );
                return Some((p, evidence(matched)));
            }
        }
        if let Some(&first) = prefectures.first() {
            let unit = self.atlas.admin_by_code(AdminLevel::Prefecture, first)?;
            let mut placement = placement_at(
                unit,
                unit.representative_point,
                Precision::Prefecture,
                LocationMethod::PrefectureInName,
                None,
            );
            placement.prefecture_codes = prefectures.clone();
            placement.county_codes = counties.iter().map(|(c, _, _)| c.code).collect();
            let matched = used.first().map_or(String::new(), |m| text[m.0..m.1].to_owned());
            return Some((placement, NameEvidence { matched }));
        }
        let mut placement = placement_at(
            province_unit,
            province_unit.representative_point,
            Precision::Province,
            LocationMethod::ProvinceOnly,
            None,
        );
        placement.county_codes = counties.iter().map(|(c, _, _)| c.code).collect();
        let matched = counties.iter().map(|(_, _, m)| *m).collect::<Vec<_>>().join("—");
        Some((placement, evidence(&matched)))
    }

    /// The gazetteer place named in `text` (longest name first) inside the prefectures (or
    /// anywhere in the province), if every namesake lies in one county.
    fn town<'t>(
        &self,
        names: &ProvinceNames,
        text: &'t str,
        admin_spans: &[(usize, usize)],
        prefectures: &[AdminCode],
    ) -> Option<((AdminCode, usize), &'t str)> {
        let mut found: Vec<(usize, (AdminCode, usize), &str)> = Vec::new();
        // Overlapping search: a town may start inside an admin name's span only if it does
        // not overlap it (景德 inside 景德镇 is no town).
        for m in names.towns.find_overlapping_iter(text) {
            if admin_spans.iter().any(|&(s, e)| m.start() < e && s < m.end()) {
                continue;
            }
            let candidates: Vec<(AdminCode, usize)> = names.town_places[m.pattern().as_usize()]
                .iter()
                .copied()
                .filter(|(county, _)| {
                    prefectures.is_empty()
                        || self
                            .county(*county)
                            .and_then(|u| u.prefecture_code)
                            .is_some_and(|p| prefectures.contains(&p))
                })
                .collect();
            let Some(first) = candidates.first() else { continue };
            if candidates.iter().all(|(c, _)| *c == first.0) {
                let best = candidates.iter().min_by_key(|(_, i)| self.places[*i].id).copied().unwrap_or(*first);
                found.push((m.end() - m.start(), best, &text[m.start()..m.end()]));
            }
        }
        found.sort_by_key(|f| std::cmp::Reverse(f.0));
        found.first().map(|(_, p, matched)| (*p, *matched))
    }
}

/// The forms of a gazetteer name a zone name may use: the name, and the name without
/// its township suffix (莘庄镇 → 莘庄), each of at least two characters.
fn town_names(name: &str) -> impl Iterator<Item = &str> {
    let short = ["街道", "镇", "乡"].iter().find_map(|s| name.strip_suffix(s));
    [Some(name), short].into_iter().flatten().filter(|n| n.chars().count() >= 2)
}

fn evidence(matched: &str) -> NameEvidence {
    NameEvidence {
        matched: matched.to_owned(),
    }
}

fn placement_at(
    unit: &AdminUnit,
    point: geo::Point<f64>,
    precision: Precision,
    method: LocationMethod,
    gazetteer: Option<GazetteerPlace>,
) -> Placement {
    let county_code = (unit.level == AdminLevel::County).then_some(unit.code);
    let prefecture_code = match unit.level {
        AdminLevel::Province => None,
        AdminLevel::Prefecture => Some(unit.code),
        AdminLevel::County => unit.prefecture_code,
    };
    Placement {
        point,
        precision,
        method,
        county_code,
        prefecture_code,
        province_code: Some(unit.province_code),
        county_codes: county_code.into_iter().collect(),
        prefecture_codes: prefecture_code.into_iter().collect(),
        province_codes: vec![unit.province_code],
        gazetteer,
    }
}
