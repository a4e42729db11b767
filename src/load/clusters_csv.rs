//! The curated reference list `geodata/sources/clusters.csv` (see `geodata/sources/SOURCES.md`):
//! one row per cluster, park or town, with typed statistics.

use super::csv::{CsvTable, Problem, read_csv_table};
use serde_json::{Map, Value};
use std::path::Path;

/// The columns the file must have, in order.
pub const COLUMNS: [&str; 17] = [
    "id",
    "name_zh",
    "name_en",
    "kind",
    "industry",
    "industry_zh",
    "province_zh",
    "prefecture_zh",
    "county_zh",
    "designation",
    "designation_year",
    "firms",
    "employees",
    "output_cny_100m",
    "stat_year",
    "source",
    "notes",
];

/// Columns holding whole numbers (JSON integers).
pub const INTEGER_COLUMNS: [&str; 4] = ["designation_year", "firms", "employees", "stat_year"];

/// Columns holding decimal numbers (JSON numbers).
pub const DECIMAL_COLUMNS: [&str; 1] = ["output_cny_100m"];

/// One row: its line and every column as a typed JSON value (empty → null).
#[derive(Debug, Clone)]
pub struct ClusterRow {
    /// 1-based line in the CSV file.
    pub line: u64,
    /// Every column by name, typed.
    pub properties: Map<String, Value>,
}

impl ClusterRow {
    /// A text column ("" when null).
    #[must_use]
    pub fn text(&self, column: &str) -> &str {
        self.properties.get(column).and_then(Value::as_str).unwrap_or("")
    }
}

/// Reads and types the cluster CSV.
///
/// # Errors
/// Every problem (file:line:column): wrong header, bad number, empty or duplicate id.
pub fn read_clusters_csv(path: &Path) -> Result<Vec<ClusterRow>, Vec<Problem>> {
    let table = read_csv_table(path)?;
    if table.headers != COLUMNS {
        return Err(vec![Problem {
            path: path.to_path_buf(),
            line: Some(1),
            column: None,
            message: format!("expected the columns {}", COLUMNS.join(",")),
        }]);
    }
    let mut problems = Vec::new();
    let mut rows: Vec<ClusterRow> = Vec::new();
    for row in &table.rows {
        match type_row(&table, row) {
            Ok(r) => {
                if let Some(first) = rows.iter().find(|o| o.text("id") == r.text("id")) {
                    problems.push(problem(&table, row.line, 0, format!("duplicate id (first on line {})", first.line)));
                }
                rows.push(r);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

fn problem(t: &CsvTable, line: u64, col: usize, message: String) -> Problem {
    Problem {
        path: t.path.clone(),
        line: Some(line),
        column: Some(col as u64 + 1),
        message: format!("column '{}': {message}", t.headers[col]),
    }
}

fn type_row(t: &CsvTable, row: &super::csv::CsvRow) -> Result<ClusterRow, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut properties = Map::new();
    for (col, (name, raw)) in COLUMNS.iter().zip(&row.fields).enumerate() {
        let v = raw.trim();
        let value = if v.is_empty() {
            Value::Null
        } else if INTEGER_COLUMNS.contains(name) {
            v.parse::<i64>().map(Value::from).unwrap_or_else(|_| {
                problems.push(problem(t, row.line, col, format!("'{v}' is not a whole number")));
                Value::Null
            })
        } else if DECIMAL_COLUMNS.contains(name) {
            match v.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                Some(n) => Value::Number(n),
                None => {
                    problems.push(problem(t, row.line, col, format!("'{v}' is not a number")));
                    Value::Null
                }
            }
        } else {
            Value::String(v.to_owned())
        };
        properties.insert((*name).to_owned(), value);
    }
    if properties.get("id").is_none_or(Value::is_null) {
        problems.push(problem(t, row.line, 0, "empty id".into()));
    }
    if problems.is_empty() {
        Ok(ClusterRow {
            line: row.line,
            properties,
        })
    } else {
        Err(problems)
    }
}
