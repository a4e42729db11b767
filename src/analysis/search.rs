//! Name search over admin units and point features: Chinese, toneless pinyin (with or
//! without spaces) and English, ranked.

use super::{AnalysisError, AnalysisResult};
use crate::atlas::Atlas;
use crate::atlas::names::{NameEntry, NameTarget, normalize};
use geo::Point;

/// Most hits one search may return.
pub const MAX_LIMIT: usize = 100;

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// How a hit matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// The whole query equals one of the names.
    Exact,
    /// A name starts with the query.
    Prefix,
    /// A name contains the query.
    Substring,
    /// Each word of a multi-word query is found in some name or tag (kind, industry, level).
    Words,
}

impl MatchKind {
    /// Lowercase name for output.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Prefix => "prefix",
            MatchKind::Substring => "substring",
            MatchKind::Words => "words",
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit<'a> {
    /// `province`, `prefecture`, `county`; for the `clusters` layer the feature's kind
    /// (`cluster`, `park`, `town`); for other layers the layer name.
    pub hit_type: &'a str,
    /// Admin code, or feature id.
    pub id: String,
    /// Chinese name.
    pub name_zh: &'a str,
    /// English name, or the pinyin name of an admin unit.
    pub name_en: Option<&'a str>,
    /// Representative point (admin units) or location (features), lon/lat.
    pub point: Point<f64>,
    /// The point layer of a feature; `None` for admin units.
    pub layer: Option<&'a str>,
    /// How the query matched.
    pub matched: MatchKind,
}

fn invalid(parameter: &'static str, message: String) -> AnalysisError {
    AnalysisError::InvalidArgument { parameter, message }
}

/// Checks the query text and limit.
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `q` (empty or only ASCII whitespace, or longer
/// than [`MAX_QUERY_CHARS`]) or `limit` (outside 1..=[`MAX_LIMIT`]). A query without any
/// letter or digit (`"!!"`) is valid and finds nothing.
pub fn validate_search(q: &str, limit: usize) -> AnalysisResult<()> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(invalid("q", format!("q must be at most {MAX_QUERY_CHARS} characters, got {chars}")));
    }
    // ASCII whitespace only: the OpenAPI document says so with a pattern any client can check.
    if q.chars().all(|c| c.is_ascii_whitespace()) {
        return Err(invalid("q", "q must not be blank".to_owned()));
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", format!("limit must be between 1 and {MAX_LIMIT}, got {limit}")));
    }
    Ok(())
}

/// The best way `entry` matches the normalised query `nq` (or its `words`), if any.
fn match_entry(entry: &NameEntry, nq: &str, words: &[String]) -> Option<MatchKind> {
    let mut best: Option<MatchKind> = None;
    for key in &entry.keys {
        let m = if key == nq {
            return Some(MatchKind::Exact);
        } else if key.starts_with(nq) {
            MatchKind::Prefix
        } else if key.contains(nq) {
            MatchKind::Substring
        } else {
            continue;
        };
        best = Some(best.map_or(m, |b| b.min(m)));
    }
    if best.is_none()
        && words.len() > 1
        && words
            .iter()
            .all(|w| entry.keys.iter().chain(&entry.tags).any(|k| k.contains(w.as_str())))
    {
        return Some(MatchKind::Words);
    }
    best
}

fn resolve<'a>(atlas: &'a Atlas, target: NameTarget, matched: MatchKind) -> Option<SearchHit<'a>> {
    match target {
        NameTarget::Admin(level, i) => {
            let u = atlas.admin_units(level).get(i)?;
            Some(SearchHit {
                hit_type: level.name(),
                id: u.code.to_string(),
                name_zh: &u.name_zh,
                name_en: Some(&u.name_pinyin),
                point: u.representative_point,
                layer: None,
                matched,
            })
        }
        NameTarget::Place { layer, feature } => {
            let l = atlas.point_layers().get(layer)?;
            let f = l.features().get(feature)?;
            let hit_type = if l.name() == crate::atlas::DEFAULT_POINT_LAYER {
                f.kind.as_deref().unwrap_or("cluster")
            } else {
                l.name()
            };
            Some(SearchHit {
                hit_type,
                id: f.id.clone(),
                name_zh: &f.name_zh,
                name_en: f.name_en.as_deref(),
                point: f.point,
                layer: Some(l.name()),
                matched,
            })
        }
    }
}

/// Up to `limit` admin units and point features whose names match `q`, best first.
///
/// The query and the names are [`normalize`]d (lowercase, letters and digits only), so
/// `泊头`, `botou`, `Bo Tou` and `BOTOU` are the same query. Ranking: exact match, then
/// prefix, then substring, then (for multi-word queries) every word found in some name or
/// tag such as the industry (`botou foundry`); among equals provinces before prefectures
/// before counties before clusters, parks and towns, then the shorter Chinese name, then id.
///
/// # Errors
/// See [`validate_search`].
///
/// # Examples
/// ```
/// use cluster_atlas::{analysis::search, atlas::{Atlas, PointLayer}, model::*};
/// let f = PlaceFeature {
///     id: "botou-casting".into(), point: geo::Point::new(116.57, 38.07), name_zh: "泊头铸造产业集群".into(),
///     name_en: Some("Botou foundry cluster".into()), kind: Some("cluster".into()), industries: vec!["foundry".into()], time: None,
///     county_code: None, prefecture_code: None, province_code: None, precision: Precision::Town,
///     properties: Default::default(),
/// };
/// let atlas = Atlas::builder().point_layer(PointLayer::new("clusters", "Clusters", vec![f])).build();
/// for q in ["botou", "bo tou", "泊头", "Botou foundry", "foundry botou"] {
///     let hits = search(&atlas, q, 10).unwrap();
///     assert_eq!(hits[0].id, "botou-casting", "{q}");
/// }
/// assert!(search(&atlas, "liling", 10).unwrap().is_empty());
/// assert!(search(&atlas, "  ", 10).is_err());
/// assert!(search(&atlas, "!!", 10).unwrap().is_empty());
/// ```
pub fn search<'a>(atlas: &'a Atlas, q: &str, limit: usize) -> AnalysisResult<Vec<SearchHit<'a>>> {
    validate_search(q, limit)?;
    let nq = normalize(q);
    if nq.is_empty() {
        return Ok(Vec::new()); // nothing to match: no letter or digit
    }
    let words: Vec<String> = q.split_whitespace().map(normalize).filter(|w| !w.is_empty()).collect();
    let mut found: Vec<(MatchKind, &NameEntry)> = atlas
        .names()
        .entries()
        .iter()
        .filter_map(|e| match_entry(e, &nq, &words).map(|m| (m, e)))
        .collect();
    let order = |a: &(MatchKind, &NameEntry), b: &(MatchKind, &NameEntry)| {
        (a.0, a.1.class, a.1.name_chars)
            .cmp(&(b.0, b.1.class, b.1.name_chars))
            .then_with(|| id_order(atlas, a.1.target, b.1.target))
    };
    if found.len() > limit {
        found.select_nth_unstable_by(limit - 1, order);
        found.truncate(limit);
    }
    found.sort_by(order);
    Ok(found.into_iter().filter_map(|(m, e)| resolve(atlas, e.target, m)).collect())
}

/// Orders two targets by id: admin codes numerically (the same as their six-digit text),
/// feature ids as text, admin units before features.
fn id_order(atlas: &Atlas, a: NameTarget, b: NameTarget) -> std::cmp::Ordering {
    let place_id = |layer: usize, feature: usize| {
        atlas
            .point_layers()
            .get(layer)
            .and_then(|l| l.features().get(feature))
            .map(|f| f.id.as_str())
    };
    let code = |level, i: usize| atlas.admin_units(level).get(i).map(|u| u.code);
    match (a, b) {
        (NameTarget::Admin(la, ia), NameTarget::Admin(lb, ib)) => code(la, ia).cmp(&code(lb, ib)),
        (NameTarget::Admin(..), NameTarget::Place { .. }) => std::cmp::Ordering::Less,
        (NameTarget::Place { .. }, NameTarget::Admin(..)) => std::cmp::Ordering::Greater,
        (NameTarget::Place { layer: la, feature: fa }, NameTarget::Place { layer: lb, feature: fb }) => {
            place_id(la, fa).cmp(&place_id(lb, fb))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::proximity::tests_support::place;
    use crate::atlas::PointLayer;
    use crate::model::{AdminCode, AdminLevel, AdminUnit};
    use geo::{MultiPolygon, polygon};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn county(code: &str, name_zh: &str, lon: f64, lat: f64) -> Result<AdminUnit, crate::model::InvalidAdminCode> {
        let code: AdminCode = code.parse()?;
        Ok(AdminUnit {
            code,
            name_zh: name_zh.into(),
            name_pinyin: crate::names::admin_name_pinyin(name_zh),
            level: AdminLevel::County,
            province_code: code.province(),
            province_name_zh: String::new(),
            prefecture_code: None,
            prefecture_name_zh: None,
            area_km2: 1.0,
            representative_point: Point::new(lon, lat),
            geometry: MultiPolygon::new(vec![polygon![(x: lon, y: lat), (x: lon + 0.1, y: lat), (x: lon, y: lat + 0.1)]]),
        })
    }

    fn fixture() -> Result<Atlas, crate::model::InvalidAdminCode> {
        let mut liling = place("liling-ceramics", 113.5, 27.65);
        liling.name_zh = "醴陵陶瓷产业集群".into();
        liling.name_en = Some("Liling ceramics cluster".into());
        liling.industries = vec!["ceramics".into()];
        let mut botou = place("botou-casting", 116.57, 38.07);
        botou.name_zh = "泊头铸造产业集群".into();
        botou.industries = vec!["foundry".into()];
        Ok(Atlas::builder()
            .admin_units(
                AdminLevel::County,
                vec![county("430281", "醴陵市", 113.5, 27.6)?, county("130981", "泊头市", 116.5, 38.0)?],
            )
            .point_layer(PointLayer::new("clusters", "Clusters", vec![liling, botou]))
            .build())
    }

    fn ids(hits: &[SearchHit<'_>]) -> Vec<String> {
        hits.iter().map(|h| h.id.clone()).collect()
    }

    #[test]
    fn exact_admin_name_ranks_before_prefix_cluster() -> TestResult {
        let atlas = fixture()?;
        let hits = search(&atlas, "liling", 10)?;
        assert_eq!(ids(&hits), ["430281", "liling-ceramics"]);
        assert_eq!((hits[0].hit_type, hits[0].matched), ("county", MatchKind::Exact));
        assert_eq!((hits[1].hit_type, hits[1].matched), ("cluster", MatchKind::Prefix));
        assert_eq!(ids(&search(&atlas, "醴陵", 10)?), ["430281", "liling-ceramics"]);
        assert_eq!(ids(&search(&atlas, "Li Ling", 1)?), ["430281"]);
        Ok(())
    }

    #[test]
    fn substring_and_words() -> TestResult {
        let atlas = fixture()?;
        assert_eq!(ids(&search(&atlas, "铸造", 10)?), ["botou-casting"]);
        assert_eq!(ids(&search(&atlas, "ceramics cluster", 10)?), ["liling-ceramics"]);
        let hits = search(&atlas, "foundry botou", 10)?;
        assert_eq!(ids(&hits), ["botou-casting"]);
        assert_eq!(hits[0].matched, MatchKind::Words);
        assert!(search(&atlas, "shanghai", 10)?.is_empty());
        // Equal rank at the limit boundary: the id decides, every time.
        assert_eq!(ids(&search(&atlas, "产业集群", 1)?), ["botou-casting"]);
        assert_eq!(ids(&search(&atlas, "产业集群", 2)?), ["botou-casting", "liling-ceramics"]);
        Ok(())
    }

    #[test]
    fn validates_q_and_limit() -> TestResult {
        let atlas = fixture()?;
        let bad = |q: &str, limit| match search(&atlas, q, limit) {
            Err(AnalysisError::InvalidArgument { parameter, .. }) => parameter,
            other => panic!("{other:?}"),
        };
        assert_eq!(bad("", 10), "q");
        // No letter or digit: nothing found, not an error.
        assert!(search(&atlas, "--", 10)?.is_empty());
        assert_eq!(bad(&"泊".repeat(101), 10), "q");
        assert_eq!(bad("botou", 0), "limit");
        assert_eq!(bad("botou", 101), "limit");
        Ok(())
    }
}
