//! The 2018 national catalogue of development zones, `geodata/sources/devzones_2018.csv`
//! (《中国开发区审核公告目录》2018年版; columns in `geodata/sources/SOURCES.md`): one typed
//! row per zone, every problem reported as `file:line:column`.

use super::csv::{CsvRow, CsvTable, Problem, read_csv_table};
use crate::model::YearMonth;
use std::path::Path;

/// The columns the file must have, in order.
pub const COLUMNS: [&str; 10] = [
    "catalogue_code",
    "list_seq",
    "name_zh",
    "province_zh",
    "locality_zh",
    "approved_by_zh",
    "zone_type_zh",
    "approved",
    "area_ha",
    "industries_zh",
];

/// Who approved a zone: the State Council (national) or a provincial government.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApprovalLevel {
    /// 国务院: a national zone.
    National,
    /// 省政府: a provincial zone.
    Provincial,
}

impl ApprovalLevel {
    /// The lowercase name stored in the `approval_level` property.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ApprovalLevel::National => "national",
            ApprovalLevel::Provincial => "provincial",
        }
    }
}

/// The catalogue's zone types (`zone_type_zh`) with their stable English slugs.
pub const ZONE_TYPES: [(&str, &str); 7] = [
    ("经济技术开发区", "economic-technological-development-zone"),
    ("高新技术产业开发区", "high-tech-industrial-development-zone"),
    ("海关特殊监管区域", "customs-special-supervision-area"),
    ("边境/跨境经济合作区", "border-economic-cooperation-zone"),
    ("其他类型开发区", "other-development-zone"),
    ("经济开发区", "economic-development-zone"),
    ("工业园区", "industrial-park"),
];

/// One zone of the catalogue, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneRow {
    /// 1-based line in the file.
    pub line: u64,
    /// The catalogue's code, e.g. `G131004` (not unique in the source).
    pub catalogue_code: String,
    /// The row number printed in the catalogue.
    pub list_seq: u32,
    /// Name as printed.
    pub name_zh: String,
    /// Province as printed (an official province name).
    pub province_zh: String,
    /// The place part of the name as printed (a hint, not an admin name).
    pub locality_zh: String,
    /// National or provincial.
    pub approval_level: ApprovalLevel,
    /// Zone type as printed.
    pub zone_type_zh: String,
    /// Its English slug (see [`ZONE_TYPES`]).
    pub zone_type: &'static str,
    /// Approval months, earliest first (two for zones approved twice).
    pub approvals: Vec<YearMonth>,
    /// Approved area in hectares.
    pub area_ha: f64,
    /// Leading industries as printed, in printed order.
    pub industries_zh: Vec<String>,
}

/// Reads and types the catalogue.
///
/// # Errors
/// Every problem found (wrong header, unknown approving body or type, bad month or area).
pub fn read_devzones_csv(path: &Path) -> Result<Vec<ZoneRow>, Vec<Problem>> {
    let table = read_csv_table(path)?;
    if table.headers != COLUMNS {
        return Err(vec![Problem::new(
            path,
            Some(1),
            None,
            format!("expected the columns {}", COLUMNS.join(",")),
        )]);
    }
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        match type_row(&table, row) {
            Ok(r) => rows.push(r),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

fn type_row(t: &CsvTable, row: &CsvRow) -> Result<ZoneRow, Problem> {
    let field = |col: usize| row.fields.get(col).map_or("", |s| s.trim());
    let bad = |col: usize, message: String| {
        Problem::new(
            &t.path,
            Some(row.line),
            Some(col as u64 + 1),
            format!("column '{}': {message}", COLUMNS[col]),
        )
    };
    if row.fields.len() != COLUMNS.len() {
        return Err(Problem::new(
            &t.path,
            Some(row.line),
            None,
            format!("expected {} fields, found {}", COLUMNS.len(), row.fields.len()),
        ));
    }
    for col in [0, 2, 3, 9] {
        if field(col).is_empty() {
            return Err(bad(col, "empty".into()));
        }
    }
    let approval_level = match field(5) {
        "国务院" => ApprovalLevel::National,
        "省政府" => ApprovalLevel::Provincial,
        other => return Err(bad(5, format!("'{other}' is neither 国务院 nor 省政府"))),
    };
    let zone_type = ZONE_TYPES
        .iter()
        .find(|(zh, _)| *zh == field(6))
        .map(|(_, slug)| *slug)
        .ok_or_else(|| bad(6, format!("unknown zone type '{}'", field(6))))?;
    let mut approvals = field(7)
        .split('/')
        .map(|s| YearMonth::parse_dotted(s.trim()).ok_or_else(|| bad(7, format!("'{s}' is not YYYY.MM"))))
        .collect::<Result<Vec<_>, _>>()?;
    approvals.sort_unstable();
    Ok(ZoneRow {
        line: row.line,
        catalogue_code: field(0).to_owned(),
        list_seq: field(1)
            .parse()
            .map_err(|_| bad(1, format!("'{}' is not a whole number", field(1))))?,
        name_zh: field(2).to_owned(),
        province_zh: field(3).to_owned(),
        locality_zh: field(4).to_owned(),
        approval_level,
        zone_type_zh: field(6).to_owned(),
        zone_type,
        approvals,
        area_ha: field(8)
            .parse::<f64>()
            .ok()
            .filter(|a| a.is_finite() && *a > 0.0)
            .ok_or_else(|| bad(8, format!("'{}' is not a positive number", field(8))))?,
        industries_zh: field(9)
            .split('、')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// One row of `geodata/sources/zone_links.csv`: a curated row that is a catalogue zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneLink {
    /// 1-based line.
    pub line: u64,
    /// Curated row id (`nat-etdz-caohejing`).
    pub id: String,
    /// The zone's id in the layer ([`zone_ids`]), e.g. `G311013`.
    pub zone_id: String,
}

/// Reads the reviewed link table (`id,zone_id,catalogue_name_zh,note`).
///
/// # Errors
/// A wrong header or an empty id, as `file:line`.
pub fn read_zone_links(path: &Path) -> Result<Vec<ZoneLink>, Vec<Problem>> {
    let table = read_csv_table(path)?;
    if table.headers != ["id", "zone_id", "catalogue_name_zh", "note"] {
        return Err(vec![Problem::new(
            path,
            Some(1),
            None,
            "expected the columns id,zone_id,catalogue_name_zh,note",
        )]);
    }
    let mut problems = Vec::new();
    let mut links = Vec::new();
    for r in &table.rows {
        let f = |i: usize| r.fields.get(i).map_or("", |s| s.trim()).to_owned();
        if f(0).is_empty() || f(1).is_empty() {
            problems.push(Problem::new(path, Some(r.line), None, "id and zone_id are required"));
        } else {
            links.push(ZoneLink {
                line: r.line,
                id: f(0),
                zone_id: f(1),
            });
        }
    }
    if problems.is_empty() { Ok(links) } else { Err(problems) }
}

/// The layer id of each zone, in order: its catalogue code, with `-2`, `-3`… appended to
/// a code the source repeats (`S377018`, `S377018-2`).
#[must_use]
pub fn zone_ids(zones: &[ZoneRow]) -> Vec<String> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    zones
        .iter()
        .map(|z| {
            let n = seen.entry(z.catalogue_code.as_str()).or_default();
            *n += 1;
            if *n == 1 {
                z.catalogue_code.clone()
            } else {
                format!("{}-{n}", z.catalogue_code)
            }
        })
        .collect()
}
