//! Importing users' point files (CSV or GeoJSON): each row or feature validated, placed
//! on the admin map (exact coordinates, else a county code or name) and encoded as a point
//! layer file. Rows are read through [`crate::load::csv`]; placement is
//! [`super::placement`].

use super::placement::{self, AdminNames, Placement};
use crate::atlas::Atlas;
use crate::crs::{self, Datum};
use crate::load::csv::{CsvRow, CsvTable, Problem, infer_value};
use crate::model::{AdminCode, AdminLevel};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;

fn code_value(c: Option<AdminCode>) -> Value {
    c.map_or(Value::Null, |c| Value::String(c.to_string()))
}

fn code_list(cs: &[AdminCode]) -> Value {
    Value::Array(cs.iter().map(|c| Value::String(c.to_string())).collect())
}

/// Adds the placement properties to `properties` and wraps them in a Point Feature.
/// `with_lists` adds `county_codes`/`prefecture_codes`/`province_codes` and the
/// `geonames_id`/`geonames_name` of a town match (the default layer's schema).
#[must_use]
pub fn placed_feature(id: &str, placement: &Placement, mut properties: Map<String, Value>, with_lists: bool) -> Value {
    properties.insert("id".into(), Value::String(id.to_owned()));
    properties.insert("county_code".into(), code_value(placement.county_code));
    properties.insert("prefecture_code".into(), code_value(placement.prefecture_code));
    properties.insert("province_code".into(), code_value(placement.province_code));
    properties.insert("precision".into(), Value::String(placement.precision.name().into()));
    properties.insert("location_method".into(), Value::String(placement.method.name().into()));
    if with_lists {
        properties.insert("county_codes".into(), code_list(&placement.county_codes));
        properties.insert("prefecture_codes".into(), code_list(&placement.prefecture_codes));
        properties.insert("province_codes".into(), code_list(&placement.province_codes));
        let g = placement.gazetteer.as_ref();
        properties.insert("geonames_id".into(), g.map_or(Value::Null, |g| Value::from(g.id)));
        properties.insert("geonames_name".into(), g.map_or(Value::Null, |g| Value::String(g.name.clone())));
    }
    json!({
        "type": "Feature",
        "id": id,
        "geometry": {"type": "Point", "coordinates": [placement.point.x(), placement.point.y()]},
        "properties": properties,
    })
}

/// Encodes features as a FeatureCollection with one feature per line (stable, diffable),
/// into one buffer (features already encoded as [`RawValue`] are copied as they are).
#[must_use]
pub fn encode_layer<T: serde::Serialize>(features: &[T]) -> String {
    let mut out = Vec::with_capacity(64 + features.len() * 512);
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        // Serialising a JSON value or raw JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, f);
    }
    out.extend_from_slice(b"\n]}\n");
    String::from_utf8(out).unwrap_or_default()
}

/// A feature encoded once, as an import keeps it until it is written: a million rows held
/// as `Value` trees took 4 GB, as text about 300 MB.
fn encoded(feature: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(feature).unwrap_or_default()
}

/// The result of validating an import: features of the valid rows, problems of the others.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    /// Features ready to write (WGS84), each encoded as GeoJSON.
    pub features: Vec<Box<RawValue>>,
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
    /// Number of rows or features rejected.
    pub rejected: usize,
}

/// Columns of an import CSV that the importer interprets (0-based indexes).
struct ImportColumns {
    id: Option<usize>,
    name: usize,
    lon: Option<usize>,
    lat: Option<usize>,
    county_code: Option<usize>,
    county: Option<usize>,
    prefecture: Option<usize>,
    province: Option<usize>,
}

fn import_columns(t: &CsvTable) -> Result<ImportColumns, Problem> {
    let header_problem = |m: &str| Problem::new(&t.path, Some(1), None, m);
    let cols = ImportColumns {
        id: t.column(&["id"]),
        name: t
            .column(&["name_zh", "name"])
            .ok_or_else(|| header_problem("the header needs a 'name_zh' (or 'name') column"))?,
        lon: t.column(&["lon", "lng", "longitude"]),
        lat: t.column(&["lat", "latitude"]),
        county_code: t.column(&["county_code"]),
        county: t.column(&["county_zh", "county_name", "county"]),
        prefecture: t.column(&["prefecture_zh", "prefecture_name", "prefecture"]),
        province: t.column(&["province_zh", "province_name", "province"]),
    };
    if cols.lon.is_some() != cols.lat.is_some() {
        return Err(header_problem("the header has only one of 'lon'/'lat'; give both"));
    }
    if cols.lon.is_none() && cols.county_code.is_none() && cols.county.is_none() {
        return Err(header_problem(
            "the header needs 'lon' and 'lat' columns, or a 'county_code' or 'county_zh' column",
        ));
    }
    Ok(cols)
}

/// Places the rows of one import CSV one at a time (see [`import_csv`]): the columns are
/// found once from the header, then each row is validated and placed on its own, so a file
/// can be streamed (`import --postgres`) as well as read whole.
pub struct RowPlacer<'a> {
    atlas: &'a Atlas,
    head: CsvTable,
    cols: ImportColumns,
    datum: Datum,
}

impl<'a> RowPlacer<'a> {
    /// Finds the interpreted columns among `headers` of the file `path`.
    ///
    /// # Errors
    /// A header [`Problem`] (no name column, only one of lon/lat, no location column).
    pub fn new(atlas: &'a Atlas, path: &Path, headers: &[String], datum: Datum) -> Result<Self, Problem> {
        let head = CsvTable {
            path: path.to_path_buf(),
            headers: headers.to_vec(),
            rows: Vec::new(),
        };
        let cols = import_columns(&head)?;
        Ok(Self { atlas, head, cols, datum })
    }

    /// The feature id of a row: its `id` column, else `row-<line>`.
    #[must_use]
    pub fn id(&self, row: &CsvRow) -> String {
        self.cols
            .id
            .map(|i| row.fields[i].trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("row-{}", row.line))
    }

    /// 1-based column of the `id` field, for duplicate-id messages.
    #[must_use]
    pub fn id_column(&self) -> Option<u64> {
        self.cols.id.map(|i| i as u64 + 1)
    }

    /// Validates and places one row: the GeoJSON feature to store, or its problems.
    ///
    /// # Errors
    /// Every problem of the row, located by line and column.
    pub fn place(&self, row: &CsvRow) -> Result<Value, Vec<Problem>> {
        let mut problems = Vec::new();
        let result = import_row(self.atlas, &self.head, &self.cols, row, self.datum, &mut problems);
        match result {
            Some((placement, props)) if problems.is_empty() => Ok(placed_feature(&self.id(row), &placement, props, false)),
            _ => Err(problems),
        }
    }
}

/// Validates and places every row of an import CSV: coordinates (in `datum`, stored as
/// WGS84, precision `exact`), else a county code or county name (the county's point,
/// precision `county`). Every other column is kept as a typed property.
#[must_use]
pub fn import_csv(atlas: &Atlas, table: &CsvTable, datum: Datum) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let placer = match RowPlacer::new(atlas, &table.path, &table.headers, datum) {
        Ok(p) => p,
        Err(p) => {
            out.problems.push(p);
            out.rejected = table.rows.len();
            return out;
        }
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let result = placer.place(row);
        let id = placer.id(row);
        let mut problems = Vec::new();
        if let Some(first) = seen.get(&id) {
            problems.push(Problem::new(
                &table.path,
                Some(row.line),
                placer.id_column(),
                format!("duplicate id '{id}' (first on line {first})"),
            ));
        } else {
            seen.insert(id, row.line);
        }
        match result {
            Ok(feature) if problems.is_empty() => out.features.push(encoded(&feature)),
            Ok(_) => {
                out.rejected += 1;
                out.problems.extend(problems);
            }
            Err(mut row_problems) => {
                out.rejected += 1;
                row_problems.extend(problems);
                out.problems.extend(row_problems);
            }
        }
    }
    out
}

fn import_row(
    atlas: &Atlas,
    t: &CsvTable,
    cols: &ImportColumns,
    row: &CsvRow,
    datum: Datum,
    problems: &mut Vec<Problem>,
) -> Option<(Placement, Map<String, Value>)> {
    let at = |i: usize| Some(i as u64 + 1);
    let field = |i: Option<usize>| i.map(|i| row.fields[i].trim()).filter(|s| !s.is_empty());
    let mut bad = |i: usize, m: String| problems.push(Problem::new(&t.path, Some(row.line), at(i), m));
    let name = field(Some(cols.name));
    if name.is_none() {
        bad(cols.name, format!("column '{}': empty name", t.headers[cols.name]));
    }
    let given_code = match (cols.county_code, field(cols.county_code)) {
        (Some(i), Some(s)) => match s.parse::<AdminCode>() {
            Ok(c) if atlas.admin_by_code(AdminLevel::County, c).is_some() => Some(c),
            Ok(c) => {
                bad(i, format!("column 'county_code': unknown county code {c}"));
                None
            }
            Err(e) => {
                bad(i, format!("column 'county_code': {e}"));
                None
            }
        },
        _ => None,
    };
    let placement = match (cols.lon.zip(cols.lat), field(cols.lon), field(cols.lat)) {
        (Some((ilon, ilat)), Some(lon), Some(lat)) => {
            let num = |i: usize, v: &str| v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or((i, v.to_owned()));
            match (num(ilon, lon), num(ilat, lat)) {
                (Ok(lon), Ok(lat)) => exact_point(atlas, datum, lon, lat).map_err(|m| (ilon, m)),
                (Err((i, v)), _) | (_, Err((i, v))) => Err((i, format!("column '{}': '{v}' is not a number", t.headers[i]))),
            }
            .map_err(|(i, m)| bad(i, m))
            .ok()
        }
        (Some((ilon, ilat)), lon, lat) if (lon.is_some() || lat.is_some()) || (given_code.is_none() && field(cols.county).is_none()) => {
            let missing = if lon.is_none() { ilon } else { ilat };
            bad(missing, format!("column '{}': empty coordinate", t.headers[missing]));
            None
        }
        _ => county_point(atlas, t, cols, row, given_code, &mut bad),
    };
    if let (Some(p), Some(code), Some(i)) = (&placement, given_code, cols.county_code) {
        if p.county_code.is_some_and(|c| c != code) {
            let found = p.county_code.map(|c| c.to_string()).unwrap_or_default();
            bad(
                i,
                format!("column 'county_code': {code} disagrees with the coordinates, which lie in county {found}"),
            );
        }
    }
    let mut props = Map::new();
    for (i, (h, v)) in t.headers.iter().zip(&row.fields).enumerate() {
        if Some(i) == cols.lon || Some(i) == cols.lat {
            continue; // the geometry holds the (WGS84) coordinates
        }
        let value = if h.eq_ignore_ascii_case("id") || h.ends_with("_code") {
            field(Some(i)).map_or(Value::Null, |s| Value::String(s.to_owned()))
        } else {
            infer_value(v)
        };
        props.insert(h.clone(), value);
    }
    if let Some(n) = name {
        props.insert("name_zh".into(), Value::String(n.to_owned()));
    }
    if datum != Datum::Wgs84 && cols.lon.is_some() {
        props.insert("source_crs".into(), Value::String(datum_name(datum).into()));
    }
    placement.map(|p| (p, props))
}

fn datum_name(d: Datum) -> &'static str {
    match d {
        Datum::Wgs84 => "wgs84",
        Datum::Gcj02 => "gcj02",
        Datum::Bd09 => "bd09",
    }
}

fn exact_point(atlas: &Atlas, datum: Datum, lon: f64, lat: f64) -> Result<Placement, String> {
    crate::analysis::reverse::validate_lon_lat(lon, lat).map_err(|e| e.to_string())?;
    let (x, y) = if datum == Datum::Wgs84 {
        (lon, lat)
    } else {
        crs::convert(datum, Datum::Wgs84, (lon, lat))
    };
    placement::place_exact(atlas, x, y).map_err(|e| e.to_string())
}

fn county_point(
    atlas: &Atlas,
    t: &CsvTable,
    cols: &ImportColumns,
    row: &CsvRow,
    given_code: Option<AdminCode>,
    bad: &mut impl FnMut(usize, String),
) -> Option<Placement> {
    if let Some(code) = given_code {
        return placement::place_at_county(atlas, code);
    }
    let field = |i: Option<usize>| i.map_or("", |i| row.fields[i].trim());
    let county = field(cols.county);
    let Some(icounty) = cols.county.filter(|_| !county.is_empty()) else {
        if let Some(i) = cols.county_code.or(cols.county) {
            bad(i, format!("column '{}': no coordinates and no county given", t.headers[i]));
        }
        return None;
    };
    let names = AdminNames {
        province: field(cols.province),
        prefecture: field(cols.prefecture),
        county,
    };
    let resolution = placement::resolve_admin_names(atlas, &names);
    if let Some(u) = resolution.unresolved.first() {
        let i = match u.level {
            AdminLevel::Province => cols.province,
            AdminLevel::Prefecture => cols.prefecture,
            AdminLevel::County => cols.county,
        }
        .unwrap_or(icounty);
        bad(i, format!("column '{}': no {} named '{}'", t.headers[i], u.level, u.name));
        return None;
    }
    if resolution.counties.len() != 1 {
        bad(icounty, format!("column '{}': give exactly one county", t.headers[icounty]));
        return None;
    }
    let same_name = atlas
        .admin_units(AdminLevel::County)
        .iter()
        .filter(|u| u.name_zh == resolution.counties[0].name_zh)
        .count();
    if same_name > 1 && names.prefecture.is_empty() && names.province.is_empty() {
        bad(
            icounty,
            format!(
                "column '{}': {same_name} counties are named '{county}'; add a prefecture_zh or province_zh column",
                t.headers[icounty]
            ),
        );
        return None;
    }
    placement::place_resolved(&resolution, None, "")
}

/// Where each element of a JSON array slice starts in `text`, as (line, column), 1-based.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, col)
}

#[derive(serde::Deserialize)]
struct RawCollection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

/// Validates and places every Point Feature of an import GeoJSON (coordinates in `datum`).
/// Each feature keeps its properties; `id` comes from the feature id, an `id` property or
/// its position; `name_zh` (or `name`) is required.
#[must_use]
pub fn import_geojson(atlas: &Atlas, path: &Path, text: &str, datum: Datum) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let collection: RawCollection<'_> = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(Problem::new(
                path,
                Some(e.line() as u64),
                Some(e.column() as u64),
                format!("invalid GeoJSON: {e}"),
            ));
            return out;
        }
    };
    if collection.kind != "FeatureCollection" {
        out.problems
            .push(Problem::new(path, Some(1), Some(1), "not a GeoJSON FeatureCollection"));
        return out;
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (n, raw) in collection.features.iter().enumerate() {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, col) = line_col(text, offset);
        let problem = |m: String| Problem::new(path, Some(line), Some(col), format!("feature {}: {m}", n + 1));
        match geojson_feature(atlas, raw, n, datum) {
            Ok((id, placement, props)) => {
                if let Some(first) = seen.get(&id) {
                    out.problems.push(problem(format!("duplicate id '{id}' (first on line {first})")));
                    out.rejected += 1;
                } else {
                    seen.insert(id.clone(), line);
                    out.features.push(encoded(&placed_feature(&id, &placement, props, false)));
                }
            }
            Err(m) => {
                out.problems.push(problem(m));
                out.rejected += 1;
            }
        }
    }
    out
}

fn geojson_feature(atlas: &Atlas, raw: &RawValue, n: usize, datum: Datum) -> Result<(String, Placement, Map<String, Value>), String> {
    let f: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a Feature".into());
    }
    let (lon, lat) = crate::load::points::point_coordinates(&f)?;
    let placement = exact_point(atlas, datum, lon, lat)?;
    let mut props = f.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let name = ["name_zh", "name"]
        .iter()
        .find_map(|k| {
            props
                .get(*k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .ok_or("no 'name_zh' (or 'name') property")?;
    props.insert("name_zh".into(), Value::String(name));
    let id = match (f.get("id"), props.get("id")) {
        (Some(Value::String(s)), _) | (_, Some(Value::String(s))) if !s.is_empty() => s.clone(),
        (Some(Value::Number(x)), _) | (_, Some(Value::Number(x))) => x.to_string(),
        _ => format!("feature-{}", n + 1),
    };
    if datum != Datum::Wgs84 {
        props.insert("source_crs".into(), Value::String(datum_name(datum).into()));
    }
    Ok((id, placement, props))
}
