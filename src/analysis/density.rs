//! Industry concentration per admin unit: counts, density per area, share and location
//! quotient of the point features that match a filter, ready for a choropleth.
//!
//! # Assignment
//! A feature is assigned by its resolved codes, never by re-testing geometry, so counts agree
//! with the data:
//! - county: the feature's `county_code`, if the atlas has that county;
//! - prefecture: the prefecture of that county (from the atlas), else the feature's own
//!   `prefecture_code`;
//! - province: the province of that county, else of that prefecture, else the feature's own
//!   `province_code`.
//!
//! Features of precision `prefecture` or `province` have no county code, so they are absent
//! from county counts (and province-precision ones from prefecture counts); they are
//! reported as [`Density::unassigned`]. What holds at every level is
//! `Σ unit counts + unassigned = total`; `unassigned` is 0 — hence `Σ counts = total` —
//! exactly when every matching feature has a code at that level.
//!
//! Only `county_code` is used: clusters listing several counties (`county_codes`) count once,
//! in their first listed county.

use super::classify::{self, Breaks, Method};
use super::{AnalysisResult, PointFilter};
use crate::atlas::{Atlas, PointLayer};
use crate::model::{AdminCode, AdminLevel, AdminUnit, PlaceFeature};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// What value a unit gets on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Matching features in the unit.
    Count,
    /// Matching features per 10,000 km² of the unit's equal-area area.
    Per10kKm2,
    /// The unit's fraction (0..1) of all matching features.
    Share,
    /// Location quotient against the features of the same layers, kinds and designations
    /// regardless of industry.
    Lq,
}

impl Measure {
    /// All measures.
    pub const ALL: [Measure; 4] = [Measure::Count, Measure::Per10kKm2, Measure::Share, Measure::Lq];

    /// The name used in query strings and output.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Measure::Count => "count",
            Measure::Per10kKm2 => "per_10k_km2",
            Measure::Share => "share",
            Measure::Lq => "lq",
        }
    }

    /// One-sentence definition, as returned by the API.
    #[must_use]
    pub fn definition(self) -> &'static str {
        match self {
            Measure::Count => {
                "Number of matching features assigned to the unit by their resolved admin code. With an industry \
                 filter a feature matches when the industry is among its industries, so a feature counts once in \
                 the count of each industry it carries."
            }
            Measure::Per10kKm2 => "Matching features per 10,000 km²: count / area_km2 × 10,000, area from the equal-area projection.",
            Measure::Share => {
                "Fraction (0..1) of all matching features that lie in the unit: count / total (total includes features \
                 without a code at this level)."
            }
            Measure::Lq => {
                "Location quotient: (matching features in unit / all features in unit) ÷ (matching features nationally / \
                 all features nationally), where 'all features' are those passing every filter except industry, each \
                 counted once however many industries it carries; \
                 null where the unit has no features at all. 1 = national average, > 1 = concentrated."
            }
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Measure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Measure::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown measure '{s}': expected count, per_10k_km2, share or lq"))
    }
}

/// A density question.
#[derive(Debug, Clone, PartialEq)]
pub struct DensityQuery {
    /// Level of the units.
    pub level: AdminLevel,
    /// The value to compute.
    pub measure: Measure,
    /// Which features count.
    pub filter: PointFilter,
}

/// One unit's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDensity<'a> {
    /// The unit.
    pub unit: &'a AdminUnit,
    /// Matching features assigned to it.
    pub count: usize,
    /// Features passing every filter except industry assigned to it (the LQ denominator).
    pub base_count: usize,
    /// The measure; `None` where it is undefined (LQ of a unit without features, a unit
    /// without area, a share of nothing).
    pub value: Option<f64>,
}

/// The answer: every unit of the level, in atlas order, with national totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Density<'a> {
    /// Level of the units.
    pub level: AdminLevel,
    /// The measure in [`UnitDensity::value`].
    pub measure: Measure,
    /// Matching features in the selected layers.
    pub total: usize,
    /// Matching features without a known unit at this level (see the module docs).
    pub unassigned: usize,
    /// Features passing every filter except industry, nationally.
    pub base_total: usize,
    /// Every unit of the level.
    pub units: Vec<UnitDensity<'a>>,
}

impl Density<'_> {
    /// Sum of the unit counts (`total − unassigned`).
    #[must_use]
    pub fn assigned(&self) -> usize {
        self.units.iter().map(|u| u.count).sum()
    }

    /// Class breaks over the values of the units with at least one matching feature (units
    /// without — value 0 or null — are left out and get no class), and each unit's class.
    ///
    /// # Errors
    /// [`super::AnalysisError::InvalidArgument`] naming `classes` outside 2..=12.
    pub fn classify(&self, classes: usize, method: Method) -> AnalysisResult<(Breaks, Vec<Option<usize>>)> {
        let values: Vec<f64> = self.units.iter().filter(|u| u.count > 0).filter_map(|u| u.value).collect();
        let breaks = classify::breaks(&values, classes, method)?;
        let class = self
            .units
            .iter()
            .map(|u| {
                if u.count > 0 {
                    u.value.and_then(|v| breaks.class_of(v))
                } else {
                    None
                }
            })
            .collect();
        Ok((breaks, class))
    }
}

/// The unit of `level` a feature is assigned to (see the module docs).
#[must_use]
pub fn assigned_unit<'a>(atlas: &'a Atlas, level: AdminLevel, f: &PlaceFeature) -> Option<&'a AdminUnit> {
    unit_of_codes(atlas, level, f.county_code, f.prefecture_code, f.province_code)
}

/// The unit of `level` for a feature with these codes: its county's unit when the county
/// is known, else the prefecture's, else the province's.
fn unit_of_codes(
    atlas: &Atlas,
    level: AdminLevel,
    county: Option<AdminCode>,
    prefecture: Option<AdminCode>,
    province: Option<AdminCode>,
) -> Option<&AdminUnit> {
    let county = county.and_then(|c| atlas.admin_by_code(AdminLevel::County, c));
    let prefecture = || {
        county
            .and_then(|c| c.prefecture_code)
            .or(prefecture)
            .and_then(|c| atlas.admin_by_code(AdminLevel::Prefecture, c))
    };
    match level {
        AdminLevel::County => county,
        AdminLevel::Prefecture => prefecture(),
        AdminLevel::Province => county
            .map(|c| c.province_code)
            .or_else(|| prefecture().map(|p| p.province_code))
            .or(province)
            .and_then(|c| atlas.admin_by_code(AdminLevel::Province, c)),
    }
}

/// Features of one combination of admin codes, as a source that holds no features in
/// memory counts them (`GROUP BY` the codes): `count` match the whole filter, `base` pass it
/// without its industry condition (the location quotient's denominator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeCount {
    /// The features' county code.
    pub county: Option<AdminCode>,
    /// The features' prefecture code.
    pub prefecture: Option<AdminCode>,
    /// The features' province code.
    pub province: Option<AdminCode>,
    /// Features matching the filter.
    pub count: usize,
    /// Features matching the filter without its industry condition.
    pub base: usize,
}

/// The features of one layer passing `filter`, counted per combination of admin codes (as
/// [`CodeCount`]s; a feature that fails only the industry condition adds to `base`), in
/// first-seen order.
#[must_use]
pub fn code_counts(layer: &PointLayer, filter: &PointFilter) -> Vec<CodeCount> {
    let base = filter.without_industry();
    // (county, prefecture, province) → position in `out`.
    type Codes = (Option<AdminCode>, Option<AdminCode>, Option<AdminCode>);
    let mut at: HashMap<Codes, usize> = HashMap::new();
    let mut out: Vec<CodeCount> = Vec::new();
    for f in layer.features() {
        if !base.matches(f) {
            continue;
        }
        let key = (f.county_code, f.prefecture_code, f.province_code);
        let i = *at.entry(key).or_insert_with(|| {
            out.push(CodeCount {
                county: key.0,
                prefecture: key.1,
                province: key.2,
                count: 0,
                base: 0,
            });
            out.len() - 1
        });
        out[i].count += usize::from(filter.matches(f));
        out[i].base += 1;
    }
    out
}

/// Counts the features of the atlas's selected layers per unit of `q.level` and computes
/// the measure for every unit.
#[must_use]
pub fn density<'a>(atlas: &'a Atlas, q: &DensityQuery) -> Density<'a> {
    let counts: Vec<CodeCount> = q.filter.layers(atlas).into_iter().flat_map(|l| code_counts(l, &q.filter)).collect();
    density_from_counts(atlas, q, &counts)
}

/// The density of features counted per code combination (by any source, see
/// [`code_counts`]): each count goes to the unit of `q.level` its codes name (see the
/// module docs), then the measure is computed for every unit.
#[must_use]
pub fn density_from_counts<'a>(atlas: &'a Atlas, q: &DensityQuery, counts: &[CodeCount]) -> Density<'a> {
    let units = atlas.admin_units(q.level);
    let index: HashMap<AdminCode, usize> = units.iter().enumerate().map(|(i, u)| (u.code, i)).collect();
    let mut per_unit = vec![(0_usize, 0_usize); units.len()];
    let (mut total, mut base_total, mut unassigned) = (0, 0, 0);
    for c in counts {
        base_total += c.base;
        total += c.count;
        match unit_of_codes(atlas, q.level, c.county, c.prefecture, c.province).and_then(|u| index.get(&u.code)) {
            Some(&i) => {
                per_unit[i].0 += c.count;
                per_unit[i].1 += c.base;
            }
            None => unassigned += c.count,
        }
    }
    let units = units
        .iter()
        .zip(per_unit)
        .map(|(unit, (count, base_count))| UnitDensity {
            unit,
            count,
            base_count,
            value: measure_value(q.measure, unit, count, base_count, total, base_total),
        })
        .collect();
    Density {
        level: q.level,
        measure: q.measure,
        total,
        unassigned,
        base_total,
        units,
    }
}

/// The measure of one unit (see [`Measure::definition`]).
#[expect(clippy::cast_precision_loss, reason = "feature counts are far below 2^52")]
fn measure_value(measure: Measure, unit: &AdminUnit, count: usize, base: usize, total: usize, base_total: usize) -> Option<f64> {
    let count = count as f64;
    match measure {
        Measure::Count => Some(count),
        Measure::Per10kKm2 => (unit.area_km2 > 0.0).then(|| count / unit.area_km2 * 10_000.0),
        Measure::Share => (total > 0).then(|| count / total as f64),
        Measure::Lq => (base > 0 && total > 0).then(|| (count / base as f64) / (total as f64 / base_total as f64)),
    }
}

/// Finest and coarsest H3 resolutions [`h3_resolution`] accepts (res 2 ≈ 87,000 km² per cell,
/// res 8 ≈ 0.74 km²).
pub const H3_RESOLUTIONS: std::ops::RangeInclusive<u8> = 2..=8;

/// One H3 cell with the matching features inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct HexCount {
    /// The cell.
    pub cell: h3o::CellIndex,
    /// Matching features whose point falls in the cell.
    pub count: usize,
    /// The cell boundary as a closed lon/lat ring (first vertex repeated at the end).
    pub ring: Vec<[f64; 2]>,
}

/// Checks an H3 resolution: [`H3_RESOLUTIONS`].
///
/// # Errors
/// [`super::AnalysisError::InvalidArgument`] naming `resolution`.
pub fn h3_resolution(resolution: u8) -> AnalysisResult<h3o::Resolution> {
    H3_RESOLUTIONS
        .contains(&resolution)
        .then(|| h3o::Resolution::try_from(resolution).ok())
        .flatten()
        .ok_or_else(|| super::AnalysisError::InvalidArgument {
            parameter: "resolution",
            message: format!(
                "resolution must be between {} and {}, got {resolution}",
                H3_RESOLUTIONS.start(),
                H3_RESOLUTIONS.end()
            ),
        })
}

/// The features of one layer passing `filter`, counted per H3 cell of `res` by their point
/// (cells have no codes in the data), cells in ascending index order.
#[must_use]
pub fn hex_counts(layer: &PointLayer, filter: &PointFilter, res: h3o::Resolution) -> Vec<(h3o::CellIndex, usize)> {
    let mut counts: std::collections::BTreeMap<h3o::CellIndex, usize> = std::collections::BTreeMap::new();
    for f in layer.features().iter().filter(|f| filter.matches(f)) {
        if let Ok(ll) = h3o::LatLng::new(f.point.y(), f.point.x()) {
            *counts.entry(ll.to_cell(res)).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

/// Cell counts (of any number of layers, cells possibly repeated) merged and given their
/// boundaries, in ascending cell order; empty cells are omitted.
#[must_use]
pub fn hex_density(counts: impl IntoIterator<Item = (h3o::CellIndex, usize)>) -> Vec<HexCount> {
    let mut merged: std::collections::BTreeMap<h3o::CellIndex, usize> = std::collections::BTreeMap::new();
    for (cell, n) in counts {
        *merged.entry(cell).or_default() += n;
    }
    merged
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(cell, count)| {
            let mut ring: Vec<[f64; 2]> = cell.boundary().iter().map(|v| [v.lng(), v.lat()]).collect();
            if let Some(&first) = ring.first() {
                ring.push(first);
            }
            HexCount { cell, count, ring }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::analysis::proximity::tests_support::place;
    use crate::atlas::PointLayer;
    use geo::{MultiPolygon, Point, polygon};

    fn unit(code: u32, level: AdminLevel, parent: Option<u32>, area_km2: f64) -> AdminUnit {
        let code = AdminCode::new(code).unwrap();
        AdminUnit {
            code,
            name_zh: format!("U{code}"),
            name_pinyin: format!("U{code}"),
            level,
            province_code: code.province(),
            province_name_zh: "P".into(),
            prefecture_code: parent.map(|p| AdminCode::new(p).unwrap()),
            prefecture_name_zh: parent.map(|_| "Q".into()),
            area_km2,
            representative_point: Point::new(0.0, 0.0),
            geometry: MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)]]),
        }
    }

    fn feature(id: &str, industry: &str, county: Option<u32>, prefecture: Option<u32>) -> PlaceFeature {
        let mut f = place(id, 0.5, 0.5);
        f.industries = vec![industry.into()];
        f.county_code = county.map(|c| AdminCode::new(c).unwrap());
        f.prefecture_code = prefecture.map(|c| AdminCode::new(c).unwrap());
        f.province_code = Some(AdminCode::new(110_000).unwrap());
        f
    }

    /// Province 110000 → prefecture 110100 → counties 110101 (2,000 km²) and 110102
    /// (500 km²); 5 features: 3 foundry (2 in 110101, 1 prefecture-only), 2 other in 110102.
    fn atlas() -> Atlas {
        let features = vec![
            feature("a", "foundry", Some(110_101), None),
            feature("b", "foundry", Some(110_101), None),
            feature("c", "foundry", None, Some(110_100)),
            feature("d", "textiles", Some(110_102), None),
            feature("e", "textiles", Some(110_101), None),
        ];
        Atlas::builder()
            .admin_units(AdminLevel::Province, vec![unit(110_000, AdminLevel::Province, None, 2_500.0)])
            .admin_units(
                AdminLevel::Prefecture,
                vec![unit(110_100, AdminLevel::Prefecture, Some(110_100), 2_500.0)],
            )
            .admin_units(
                AdminLevel::County,
                vec![
                    unit(110_101, AdminLevel::County, Some(110_100), 2_000.0),
                    unit(110_102, AdminLevel::County, Some(110_100), 500.0),
                ],
            )
            .point_layer(PointLayer::new("clusters", "Clusters", features))
            .build()
    }

    fn query(level: AdminLevel, measure: Measure) -> DensityQuery {
        DensityQuery {
            level,
            measure,
            filter: PointFilter {
                industry: Some("Foundry".into()),
                ..PointFilter::default()
            },
        }
    }

    #[test]
    fn counts_roll_up_and_report_unassigned() {
        let a = atlas();
        let d = density(&a, &query(AdminLevel::County, Measure::Count));
        assert_eq!((d.total, d.base_total, d.unassigned, d.assigned()), (3, 5, 1, 2));
        assert_eq!(
            d.units.iter().map(|u| (u.count, u.base_count)).collect::<Vec<_>>(),
            [(2, 3), (0, 1)]
        );
        for level in [AdminLevel::Prefecture, AdminLevel::Province] {
            let d = density(&a, &query(level, Measure::Count));
            assert_eq!((d.units[0].count, d.units[0].base_count, d.unassigned), (3, 5, 0), "{level}");
        }
    }

    #[test]
    fn measures_match_hand_computed_values() {
        let a = atlas();
        let value = |m| {
            density(&a, &query(AdminLevel::County, m))
                .units
                .iter()
                .map(|u| u.value)
                .collect::<Vec<_>>()
        };
        // 2 / 2,000 km² × 10,000 = 10; 0 / 500 = 0.
        assert_eq!(value(Measure::Per10kKm2), [Some(10.0), Some(0.0)]);
        // 2 of the 3 foundry features (one has no county).
        assert_eq!(value(Measure::Share), [Some(2.0 / 3.0), Some(0.0)]);
        // LQ of 110101 = (2/3) / (3/5) = 10/9; 110102 = (0/1) / (3/5) = 0.
        let lq = value(Measure::Lq);
        assert!((lq[0].unwrap() - 10.0 / 9.0).abs() < 1e-12, "{lq:?}");
        assert_eq!(lq[1], Some(0.0));
    }

    #[test]
    fn lq_is_null_without_features_and_designation_filters() {
        let mut a_features = vec![feature("a", "foundry", Some(110_101), None)];
        a_features[0]
            .properties
            .insert("designation".into(), "China Foundry Association foundry cluster".into());
        let a = Atlas::builder()
            .admin_units(
                AdminLevel::County,
                vec![
                    unit(110_101, AdminLevel::County, Some(110_100), 1.0),
                    unit(110_102, AdminLevel::County, Some(110_100), 1.0),
                ],
            )
            .point_layer(PointLayer::new("clusters", "Clusters", a_features))
            .build();
        let mut q = query(AdminLevel::County, Measure::Lq);
        let d = density(&a, &q);
        assert_eq!(d.units.iter().map(|u| u.value).collect::<Vec<_>>(), [Some(1.0), None]);
        q.filter.designation = Some("foundry ASSOCIATION".into());
        assert_eq!(density(&a, &q).total, 1);
        q.filter.designation = Some("MIIT".into());
        assert_eq!(density(&a, &q).total, 0);
        q.filter.layer = Some("nope".into());
        q.filter.designation = None;
        assert_eq!(density(&a, &q).total, 0);
    }

    #[test]
    fn classes_skip_units_without_features() {
        let a = atlas();
        let d = density(&a, &query(AdminLevel::County, Measure::Count));
        let (breaks, class) = d.classify(5, Method::Quantile).unwrap();
        assert_eq!(breaks.bounds(), &[2.0, 2.0]);
        assert_eq!(class, [Some(0), None]);
    }

    #[test]
    fn hexagons_count_points_by_location() {
        // Two points 100 m apart share a res-5 cell (≈ 250 km²); a third 2° away does not.
        let mut far = place("far", 118.0, 38.0);
        far.industries = vec!["foundry".into()];
        let mut near: Vec<PlaceFeature> = [116.0, 116.001].iter().map(|&lon| place(&format!("p{lon}"), lon, 38.0)).collect();
        for f in &mut near {
            f.industries = vec!["foundry".into()];
        }
        near.push(far);
        let a = crate::analysis::proximity::tests_support::atlas_of(near);
        let filter = PointFilter::default();
        let res = h3_resolution(5).unwrap();
        let hexes = hex_density(a.point_layers().iter().flat_map(|l| hex_counts(l, &filter, res)));
        let mut counts: Vec<usize> = hexes.iter().map(|h| h.count).collect();
        counts.sort_unstable();
        assert_eq!(counts, [1, 2]);
        for h in &hexes {
            assert_eq!(h.ring.len(), 7, "hexagon: 6 vertices + closing one");
            assert_eq!(h.ring.first(), h.ring.last());
            assert_eq!(u8::from(h.cell.resolution()), 5);
        }
        for bad in [0, 1, 9, 15] {
            assert!(matches!(
                h3_resolution(bad),
                Err(crate::analysis::AnalysisError::InvalidArgument {
                    parameter: "resolution",
                    ..
                })
            ));
        }
    }

    #[test]
    fn measure_names_round_trip() {
        for m in Measure::ALL {
            assert_eq!(m.name().parse::<Measure>(), Ok(m));
        }
        assert!("density".parse::<Measure>().is_err());
    }
}
