//! Feature selection for OGC API – Features: which collections exist, which of their
//! features a `bbox` + equality-filter query selects, and which page of them to return.
//!
//! Pure functions over an [`Atlas`]: the HTTP adapter (`crate::api::ogc`) parses the query
//! string and encodes the answer. Order is stable (file order of the layer), so offset
//! paging gives every feature exactly once.

use super::{AnalysisError, AnalysisResult};
use crate::atlas::{Atlas, PointLayer, SharedFeature};
use crate::model::{AdminLevel, AdminUnit, DatetimeFilter, PlaceFeature};
use geo::{Intersects, Rect, coord};
use rstar::AABB;
use serde_json::Value;

/// Page size when the request gives no `limit`.
pub const DEFAULT_LIMIT: usize = 100;

/// Largest page; a larger `limit` is clamped to it (OGC API – Features 1.0, 7.15.3: a
/// limit above the maximum "SHALL NOT result in an error").
pub const MAX_LIMIT: usize = 10_000;

pub use crate::model::queryable::{Queryable, QueryableType};

/// The queryables of every admin collection: its text properties and `area_km2` (the
/// equal-area area, unrounded), computed once.
#[must_use]
pub fn admin_queryables() -> &'static [Queryable] {
    static QUERYABLES: std::sync::OnceLock<Vec<Queryable>> = std::sync::OnceLock::new();
    QUERYABLES.get_or_init(|| {
        let text = crate::model::admin::ADMIN_TEXT_PROPERTIES.iter().map(|n| Queryable {
            name: (*n).to_owned(),
            kind: QueryableType::String,
        });
        text.chain(std::iter::once(Queryable {
            name: "area_km2".to_owned(),
            kind: QueryableType::Number,
        }))
        .collect()
    })
}

/// A bounding box in CRS84 longitude/latitude degrees. `min_lon > max_lon` means the box
/// crosses the antimeridian (allowed by OGC API – Features).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl Bbox {
    /// Checks ranges (lon −180..180, lat −90..90, south ≤ north).
    ///
    /// # Errors
    /// [`AnalysisError::InvalidArgument`] naming `bbox`.
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> AnalysisResult<Self> {
        let lon_ok = |v: f64| v.is_finite() && (-180.0..=180.0).contains(&v);
        let lat_ok = |v: f64| v.is_finite() && (-90.0..=90.0).contains(&v);
        if !(lon_ok(min_lon) && lon_ok(max_lon) && lat_ok(min_lat) && lat_ok(max_lat)) {
            return Err(invalid(
                "bbox",
                "bbox must be lon,lat,lon,lat within −180..180 and −90..90".to_owned(),
            ));
        }
        if min_lat > max_lat {
            return Err(invalid(
                "bbox",
                format!("bbox south edge {min_lat} is north of its north edge {max_lat}"),
            ));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// The one or two (across the antimeridian) rectangles this box covers.
    fn rects(&self) -> Vec<Rect<f64>> {
        let rect = |w: f64, e: f64| Rect::new(coord! {x: w, y: self.min_lat}, coord! {x: e, y: self.max_lat});
        if self.min_lon <= self.max_lon {
            vec![rect(self.min_lon, self.max_lon)]
        } else {
            vec![rect(self.min_lon, 180.0), rect(-180.0, self.max_lon)]
        }
    }
}

fn invalid(parameter: &'static str, message: String) -> AnalysisError {
    AnalysisError::InvalidArgument { parameter, message }
}

/// What an items request asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Only features whose geometry intersects this box.
    pub bbox: Option<Bbox>,
    /// Only features whose property `name` equals `value` (strings exactly, numbers
    /// numerically, booleans as `true`/`false`); all pairs must hold.
    pub equals: Vec<(String, String)>,
    /// Features to skip (paging).
    pub offset: usize,
    /// Most features to return, 1..=[`MAX_LIMIT`].
    pub limit: usize,
    /// A CQL2 filter (see [`parse_filter`]); features match when it evaluates to TRUE.
    pub filter: Option<cql2::Expr>,
    /// Only point features whose time intersects this (admin units have no time and
    /// ignore it).
    pub datetime: Option<DatetimeFilter>,
    /// Order of the matches (see [`parse_sortby`]); collection order when empty, and
    /// collection order among equal keys, so paging is stable.
    pub sortby: Vec<SortKey>,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            bbox: None,
            equals: Vec::new(),
            offset: 0,
            limit: DEFAULT_LIMIT,
            filter: None,
            datetime: None,
            sortby: Vec::new(),
        }
    }
}

/// One key of `sortby`: a queryable and its direction. Values compare by the queryable's
/// type (numbers numerically, text by bytes, `false` before `true`); a feature without a
/// value of that type sorts after every value, in both directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The queryable.
    pub property: String,
    /// Its type.
    pub kind: QueryableType,
    /// Largest first.
    pub descending: bool,
}

/// Parses `sortby` (OGC API – Features Part 3 / Records style): comma-separated
/// queryables of collection `collection`, each optionally prefixed with `+` (ascending, the
/// default; a `+` left unescaped in a query string arrives as a space and means the same)
/// or `-` (descending).
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `sortby`, with the unknown property.
pub fn parse_sortby(collection: &str, queryables: &[Queryable], raw: &str) -> AnalysisResult<Vec<SortKey>> {
    raw.split(',')
        .map(|part| {
            let part = part.trim_start();
            let (descending, name) = match part.as_bytes().first() {
                Some(b'-') => (true, &part[1..]),
                Some(b'+') => (false, &part[1..]),
                _ => (false, part),
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(invalid("sortby", format!("sortby holds an empty key: '{raw}'")));
            }
            let q = queryables.iter().find(|q| q.name == name).ok_or_else(|| {
                let known: Vec<&str> = queryables.iter().map(|q| q.name.as_str()).collect();
                invalid(
                    "sortby",
                    format!("cannot sort by '{name}': not a queryable of '{collection}' ({})", known.join(", ")),
                )
            })?;
            Ok(SortKey {
                property: q.name.clone(),
                kind: q.kind,
                descending,
            })
        })
        .collect()
}

/// A value as `sortby` compares it: typed, `None` when missing or of another type.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortValue {
    Number(f64),
    Text(String),
    Bool(bool),
}

fn sort_value(v: Option<Value>, kind: QueryableType) -> Option<SortValue> {
    match (v?, kind) {
        (Value::Number(n), QueryableType::Number) => n.as_f64().map(SortValue::Number),
        (Value::String(s), QueryableType::String) => Some(SortValue::Text(s)),
        (Value::Bool(b), QueryableType::Boolean) => Some(SortValue::Bool(b)),
        _ => None,
    }
}

/// Sorts `items` by `keys`, stably (equal keys keep collection order).
fn sort_items<T: Filterable>(items: &mut [T], keys: &[SortKey]) {
    if keys.is_empty() {
        return;
    }
    let mut keyed: Vec<(Vec<Option<SortValue>>, T)> = items
        .iter()
        .map(|&it| (keys.iter().map(|k| sort_value(it.property(&k.property), k.kind)).collect(), it))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for ((x, y), k) in a.iter().zip(b).zip(keys) {
            let o = match (x, y) {
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
                    if k.descending { o.reverse() } else { o }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    for (slot, (_, it)) in items.iter_mut().zip(keyed) {
        *slot = it;
    }
}

/// One page of a selection.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The features of this page, in collection order.
    pub items: Vec<T>,
    /// How many features the whole selection has (`numberMatched`).
    pub number_matched: usize,
}

/// Selects admin units of `level` and cuts one page (units in code order; `datetime` is
/// ignored: units have no time).
///
/// # Errors
/// [`AnalysisError`] for an equality filter on a property that is not queryable or a
/// value its type cannot hold, a filter that cannot be evaluated, or a limit of 0.
pub fn select_admin<'a>(atlas: &'a Atlas, level: AdminLevel, sel: &Selection) -> AnalysisResult<Page<&'a AdminUnit>> {
    let queryables = admin_queryables();
    check_selection(queryables, sel)?;
    let matched: Vec<&AdminUnit> = admin_candidates(atlas, level, search_box(sel).as_ref())
        .into_iter()
        .filter(|u| sel.equals.iter().all(|(n, v)| value_equals(admin_property(u, n).as_ref(), v)))
        .collect();
    page(matched, sel, queryables)
}

/// Selects features of one point layer and cuts one page (features in file order).
///
/// # Errors
/// As [`select_admin`].
pub fn select_points<'a>(layer: &'a PointLayer, sel: &Selection) -> AnalysisResult<Page<&'a SharedFeature>> {
    let queryables = layer.queryables();
    check_selection(queryables, sel)?;
    let matched: Vec<&SharedFeature> = point_candidates(layer, search_box(sel).as_ref())
        .into_iter()
        .filter(|f| sel.datetime.is_none_or(|d| d.matches(f.time)))
        .filter(|f| sel.equals.iter().all(|(n, v)| point_equals(f, n, v)))
        .collect();
    page(matched, sel, queryables)
}

fn check_selection(queryables: &[Queryable], sel: &Selection) -> AnalysisResult<()> {
    if sel.limit == 0 {
        return Err(invalid("limit", "limit must be at least 1".to_owned()));
    }
    check_equals(queryables, &sel.equals)
}

/// The box the R-tree is searched with: `bbox`, else the box of the filter's spatial part
/// (a feature that satisfies `S_INTERSECTS(geometry, G)` — or within, contains, … — in a
/// conjunction touches G's box).
fn search_box(sel: &Selection) -> Option<Bbox> {
    sel.bbox.or_else(|| sel.filter.as_ref().and_then(filter_envelope))
}

/// Applies the CQL2 filter to the candidates and cuts the page.
fn page<T: Filterable>(matched: Vec<T>, sel: &Selection, queryables: &[Queryable]) -> AnalysisResult<Page<T>> {
    let mut matched = match &sel.filter {
        None => matched,
        Some(expr) => apply_filter(expr, matched, queryables)?,
    };
    sort_items(&mut matched, &sel.sortby);
    let number_matched = matched.len();
    let items = matched.into_iter().skip(sel.offset).take(sel.limit.min(MAX_LIMIT)).collect();
    Ok(Page { items, number_matched })
}

/// Which language a filter is written in (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterLang {
    /// CQL2 text, e.g. `industry = 'foundry' AND firms > 100`.
    Cql2Text,
    /// CQL2 JSON, e.g. `{"op": "=", "args": [{"property": "industry"}, "foundry"]}`.
    Cql2Json,
}

/// Parses a CQL2 filter (with the `cql2` crate) and checks that every property it names is
/// one of `queryables` of collection `collection` (or `geometry`).
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `filter`, with the parser's message.
pub fn parse_filter(collection: &str, queryables: &[Queryable], text: &str, lang: FilterLang) -> AnalysisResult<cql2::Expr> {
    let expr = match lang {
        FilterLang::Cql2Text => {
            check_parentheses(text)?;
            cql2::parse_text(text).map_err(|e| invalid("filter", format!("invalid CQL2 text: {e}")))?
        }
        FilterLang::Cql2Json => cql2::parse_json(text).map_err(|e| invalid("filter", format!("invalid CQL2 JSON: {e}")))?,
    };
    let mut names = Vec::new();
    walk(&expr, &mut |e| {
        if let cql2::Expr::Property { property } = e {
            names.push(property.clone());
        }
    });
    if let Some(bad) = names.iter().find(|n| *n != "geometry" && !queryables.iter().any(|q| &q.name == *n)) {
        let known: Vec<&str> = queryables.iter().map(|q| q.name.as_str()).collect();
        return Err(invalid(
            "filter",
            format!(
                "filter names unknown property '{bad}'; queryables of '{collection}': geometry, {}",
                known.join(", ")
            ),
        ));
    }
    Ok(expr)
}

/// Refuses CQL2 text whose parentheses (outside quotes) do not balance. The `cql2` parser
/// backtracks exponentially on unclosed `(`: 20 of them took 65 s, 50 groups of 8 over
/// 100 s (found by fuzzing, issue 12), and such text cannot parse anyway.
fn check_parentheses(text: &str) -> AnalysisResult<()> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            // A doubled quote inside a literal toggles out and straight back in.
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| invalid("filter", format!("invalid CQL2 text: unmatched ')' at character {}", i + 1)))?;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err(invalid("filter", format!("invalid CQL2 text: {depth} unclosed '('")));
    }
    Ok(())
}

/// Spatial predicates that imply the feature intersects the literal geometry.
const INTERSECTING_OPS: [&str; 7] = [
    "s_intersects",
    "s_within",
    "s_contains",
    "s_equals",
    "s_touches",
    "s_overlaps",
    "s_crosses",
];

/// The bounding box of a literal geometry that every match must touch: from a spatial
/// predicate on `geometry` at the top level or inside ANDs only (under OR/NOT it bounds
/// nothing).
fn filter_envelope(e: &cql2::Expr) -> Option<Bbox> {
    let cql2::Expr::Operation { op, args } = e else { return None };
    if op.eq_ignore_ascii_case("and") {
        return args.iter().find_map(|a| filter_envelope(a));
    }
    if !INTERSECTING_OPS.iter().any(|o| op.eq_ignore_ascii_case(o)) || args.len() != 2 {
        return None;
    }
    let is_geometry = |a: &cql2::Expr| matches!(a, cql2::Expr::Property { property } if property == "geometry");
    let literal = match (&*args[0], &*args[1]) {
        (a, b) if is_geometry(a) => b,
        (a, b) if is_geometry(b) => a,
        _ => return None,
    };
    let v = serde_json::to_value(literal).ok()?;
    let [w, s, e, n] = match v
        .get("bbox")
        .and_then(Value::as_array)
        .map(|b| b.iter().filter_map(Value::as_f64).collect::<Vec<_>>())
    {
        Some(b) if b.len() == 4 => [b[0], b[1], b[2], b[3]],
        Some(b) if b.len() == 6 => [b[0], b[1], b[3], b[4]],
        _ => {
            let mut env = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
            extend_envelope(v.get("coordinates")?, &mut env);
            env
        }
    };
    Bbox::new(w, s, e, n).ok()
}

/// Grows `[w, s, e, n]` by every `[x, y, …]` position in nested GeoJSON coordinates.
fn extend_envelope(v: &Value, env: &mut [f64; 4]) {
    let Some(a) = v.as_array() else { return };
    if let (Some(x), Some(y)) = (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64)) {
        *env = [env[0].min(x), env[1].min(y), env[2].max(x), env[3].max(y)];
    } else {
        a.iter().for_each(|c| extend_envelope(c, env));
    }
}

/// Visits an expression and all its sub-expressions.
fn walk(e: &cql2::Expr, f: &mut impl FnMut(&cql2::Expr)) {
    f(e);
    let children: &[Box<cql2::Expr>] = match e {
        cql2::Expr::Operation { args, .. } => args,
        cql2::Expr::Interval { interval } => interval,
        cql2::Expr::BBox { bbox } => bbox,
        cql2::Expr::Array(a) => a,
        _ => &[],
    };
    children.iter().for_each(|c| walk(c, f));
}

/// What a CQL2 filter is evaluated on: an admin unit or a point feature, presented to the
/// evaluator with its stored, typed values (never the rounded output encoding).
trait Filterable: Copy {
    /// `{"id", "properties", "geometry"}` with every queryable present (`null` when
    /// missing); an admin unit's polygon only when the filter names `geometry`.
    fn record(self, queryables: &[Queryable], spatial: bool) -> Value;
    /// The value of one property, for the `property = 'text'` pre-filter.
    fn property(self, name: &str) -> Option<Value>;
}

impl Filterable for &AdminUnit {
    fn record(self, queryables: &[Queryable], spatial: bool) -> Value {
        let props: serde_json::Map<String, Value> = queryables
            .iter()
            .map(|q| (q.name.clone(), admin_property(self, &q.name).unwrap_or(Value::Null)))
            .collect();
        let geometry = if spatial {
            serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(&self.geometry))).unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        serde_json::json!({"id": self.code.to_string(), "properties": props, "geometry": geometry})
    }

    fn property(self, name: &str) -> Option<Value> {
        admin_property(self, name)
    }
}

impl Filterable for &SharedFeature {
    fn record(self, queryables: &[Queryable], _spatial: bool) -> Value {
        let mut props = self.properties.clone();
        for q in queryables {
            props.entry(q.name.clone()).or_insert(Value::Null);
        }
        let g = serde_json::json!({"type": "Point", "coordinates": [self.point.x(), self.point.y()]});
        serde_json::json!({"id": self.id, "properties": props, "geometry": g})
    }

    fn property(self, name: &str) -> Option<Value> {
        self.properties.get(name).cloned()
    }
}

/// Keeps the items the filter evaluates to TRUE for.
fn apply_filter<T: Filterable>(expr: &cql2::Expr, items: Vec<T>, queryables: &[Queryable]) -> AnalysisResult<Vec<T>> {
    let mut spatial = false;
    walk(expr, &mut |e| {
        if matches!(e, cql2::Expr::Property { property } if property == "geometry") {
            spatial = true;
        }
    });
    // Evaluating CQL2 is the slow part (a JSON record and a reduction per item), so the
    // `property = 'text'` terms of a top-level AND first drop the items that cannot match.
    let required = required_text_equalities(expr);
    let mut out = Vec::new();
    for item in items.into_iter().filter(|it| required.iter().all(|(p, v)| may_equal(*it, p, v))) {
        let record = item.record(queryables, spatial);
        // An expression left unreduced involves a null (e.g. `firms > 100` where `firms` is
        // null): unknown, so not a match, as in SQL. Property names were checked up front.
        match expr.clone().matches(Some(&record)) {
            Ok(true) => out.push(item),
            Ok(false) | Err(cql2::Error::NonReduced()) => {}
            Err(e) => return Err(invalid("filter", format!("cannot evaluate filter: {e}"))),
        }
    }
    Ok(out)
}

/// The `property = 'text'` comparisons every match must satisfy: the operands of `=` joined
/// only by AND from the top of `expr` (none under OR or NOT, where they are not required).
fn required_text_equalities(expr: &cql2::Expr) -> Vec<(&str, &str)> {
    use cql2::Expr::{Literal, Operation, Property};
    let mut out = Vec::new();
    if let Operation { op, args } = expr {
        match (op.as_str(), args.as_slice()) {
            ("and", _) => args.iter().for_each(|a| out.extend(required_text_equalities(a))),
            ("=", [a, b]) => match (a.as_ref(), b.as_ref()) {
                (Property { property }, Literal(v)) | (Literal(v), Property { property }) if property != "id" && property != "geometry" => {
                    out.push((property.as_str(), v.as_str()));
                }
                _ => {}
            },
            _ => {}
        }
    }
    out
}

/// False only when `property = 'text'` cannot hold for `item`: the property is missing, null
/// or another string. Numbers and booleans are left to the CQL2 evaluator.
fn may_equal<T: Filterable>(item: T, property: &str, text: &str) -> bool {
    match item.property(property) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => s == text,
        Some(_) => true,
    }
}

/// Admin units whose boundary intersects the box (R-tree on envelopes, then the exact
/// polygon test); all units without a box; always in code order.
fn admin_candidates<'a>(atlas: &'a Atlas, level: AdminLevel, bbox: Option<&Bbox>) -> Vec<&'a AdminUnit> {
    let Some(bbox) = bbox else {
        let mut all: Vec<&AdminUnit> = atlas.admin_units(level).iter().collect();
        all.sort_by_key(|u| u.code);
        return all;
    };
    let mut hits: Vec<&AdminUnit> = bbox
        .rects()
        .into_iter()
        .flat_map(|r| {
            atlas
                .admin_in_envelope(level, [r.min().x, r.min().y], [r.max().x, r.max().y])
                .filter(move |u| u.geometry.intersects(&r))
        })
        .collect();
    hits.sort_by_key(|u| u.code);
    hits.dedup_by_key(|u| u.code);
    hits
}

/// Point features inside the box (R-tree), in file order; all of them without a box.
fn point_candidates<'a>(layer: &'a PointLayer, bbox: Option<&Bbox>) -> Vec<&'a SharedFeature> {
    let Some(bbox) = bbox else {
        return layer.features().iter().collect();
    };
    let mut idx: Vec<usize> = bbox
        .rects()
        .into_iter()
        .flat_map(|r| {
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            layer.tree().locate_in_envelope(&env).map(|e| e.data).collect::<Vec<_>>()
        })
        .collect();
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(|i| &layer.features()[i]).collect()
}

/// The value of an admin queryable (see [`admin_queryables`]), typed and unrounded.
fn admin_property(u: &AdminUnit, name: &str) -> Option<Value> {
    let s = match name {
        "area_km2" => return serde_json::Number::from_f64(u.area_km2).map(Value::Number),
        "code" => u.code.to_string(),
        "name_zh" => u.name_zh.clone(),
        "name_pinyin" => u.name_pinyin.clone(),
        "level" => u.level.name().to_owned(),
        "province_code" => u.province_code.to_string(),
        "province_name_zh" => u.province_name_zh.clone(),
        "prefecture_code" => u.prefecture_code?.to_string(),
        "prefecture_name_zh" => u.prefecture_name_zh.clone()?,
        _ => return None,
    };
    Some(Value::String(s))
}

/// Whether a stored value equals the text of a query parameter.
/// `industry=tag` matches a feature carrying the tag among its industries; any other
/// property by [`value_equals`].
fn point_equals(f: &PlaceFeature, name: &str, want: &str) -> bool {
    if name == "industry" {
        f.has_industry(want)
    } else {
        value_equals(f.properties.get(name), want)
    }
}

/// Checks `?name=value` filters: every name a queryable, every value one its type can hold.
///
/// # Errors
/// [`AnalysisError::UnknownProperty`] or [`AnalysisError::PropertyValue`].
fn check_equals(queryables: &[Queryable], equals: &[(String, String)]) -> AnalysisResult<()> {
    if let Some((name, _)) = equals.iter().find(|(n, _)| !queryables.iter().any(|q| &q.name == n)) {
        return Err(AnalysisError::UnknownProperty(name.clone()));
    }
    check_equality_values(queryables, equals)
}

/// Refuses an equality value that no value of its queryable's type can equal (the OpenAPI
/// document declares each queryable parameter with its type).
fn check_equality_values(queryables: &[Queryable], equals: &[(String, String)]) -> AnalysisResult<()> {
    for (name, want) in equals {
        let kind = queryables.iter().find(|q| &q.name == name).map(|q| q.kind);
        let expected = match kind {
            Some(QueryableType::Number) if want.trim().parse::<f64>().is_err() => "a number",
            Some(QueryableType::Boolean) if want != "true" && want != "false" => "true or false",
            _ => continue,
        };
        return Err(AnalysisError::PropertyValue {
            property: name.clone(),
            expected,
            value: want.clone(),
        });
    }
    Ok(())
}

fn value_equals(have: Option<&Value>, want: &str) -> bool {
    match have {
        Some(Value::String(s)) => s == want,
        Some(Value::Number(n)) => want.trim().parse::<f64>().is_ok_and(|w| n.as_f64() == Some(w)),
        Some(Value::Bool(b)) => want == if *b { "true" } else { "false" },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_text_equalities_joined_by_and_are_required() {
        let req = |t: &str| {
            let e = cql2::parse_text(t).unwrap_or_else(|e| panic!("{e}"));
            required_text_equalities(&e)
                .into_iter()
                .map(|(p, v)| format!("{p}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(req("industry = 'foundry'"), ["industry=foundry"]);
        assert_eq!(
            req("'foundry' = industry AND firms > 100 AND kind = 'cluster'"),
            ["industry=foundry", "kind=cluster"]
        );
        assert!(req("industry = 'foundry' OR kind = 'town'").is_empty());
        assert!(req("NOT (industry = 'foundry')").is_empty());
        assert!(req("firms = 568").is_empty());
        assert!(req("id = 'botou-casting'").is_empty());
    }

    #[test]
    fn equality_compares_by_type() {
        assert!(value_equals(Some(&json!("foundry")), "foundry"));
        assert!(!value_equals(Some(&json!("foundry")), "Foundry"));
        assert!(value_equals(Some(&json!(568)), "568"));
        assert!(value_equals(Some(&json!(568)), "568.0"));
        assert!(!value_equals(Some(&json!(568)), "abc"));
        assert!(value_equals(Some(&json!(true)), "true"));
        assert!(!value_equals(Some(&Value::Null), "null"));
        assert!(!value_equals(None, "x"));
    }

    #[test]
    fn spatial_filters_in_conjunctions_bound_the_search() {
        let env = |t: &str| filter_envelope(&cql2::parse_text(t).unwrap_or_else(|e| panic!("{e}")));
        let b = env("S_INTERSECTS(geometry, POLYGON((116.5 38.0, 116.7 38.0, 116.7 38.2, 116.5 38.2, 116.5 38.0)))");
        assert_eq!(b, Bbox::new(116.5, 38.0, 116.7, 38.2).ok());
        let b = env("industry = 'foundry' AND S_WITHIN(geometry, POINT(116.578 38.076))");
        assert_eq!(b, Bbox::new(116.578, 38.076, 116.578, 38.076).ok());
        assert_eq!(env("industry = 'foundry' OR S_INTERSECTS(geometry, POINT(116.5 38.0))"), None);
        assert_eq!(env("NOT S_INTERSECTS(geometry, POINT(116.5 38.0))"), None);
        assert_eq!(env("S_DISJOINT(geometry, POINT(116.5 38.0))"), None);
    }

    #[test]
    fn bbox_is_validated_and_splits_at_the_antimeridian() {
        assert!(Bbox::new(116.5, 38.0, 116.7, 38.2).is_ok());
        assert!(Bbox::new(116.5, 38.2, 116.7, 38.0).is_err());
        assert!(Bbox::new(116.5, 38.0, 196.7, 38.2).is_err());
        assert!(Bbox::new(f64::NAN, 38.0, 116.7, 38.2).is_err());
        let b = Bbox::new(170.0, -10.0, -170.0, 10.0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.rects().len(), 2);
    }

    #[test]
    fn r12_unbalanced_parentheses_are_refused_before_parsing() {
        let c = |t: &str| check_parentheses(t).is_ok();
        assert!(c("NOT (kind = 'a(' AND (firms > 1))"));
        assert!(c("name_zh = 'it''s (' OR \"odd(\" = 1"));
        assert!(!c(&"(".repeat(20)));
        assert!(!c("kind = 1)"));
        assert!(!c("casei(kind"));
    }
}
