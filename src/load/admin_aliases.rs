//! The reviewed alias table `geodata/sources/admin_aliases.csv`: names printed in sources
//! for units renamed, merged or abbreviated (`港闸` → 崇川区 320613), each with the current
//! unit's code and name (checked against the atlas by the build) and a note.

use super::csv::{Problem, read_csv_table};
use std::path::Path;

/// One alias row as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasRow {
    /// 1-based line.
    pub line: u64,
    /// Province the name is read in (official name).
    pub province_zh: String,
    /// The name as printed.
    pub name_zh: String,
    /// Six-digit code of the current unit.
    pub code: String,
    /// The current unit's official name (must match the atlas).
    pub current_name_zh: String,
}

/// Reads the alias table.
///
/// # Errors
/// A wrong header or a row with an empty field, as `file:line`.
pub fn read_admin_aliases(path: &Path) -> Result<Vec<AliasRow>, Vec<Problem>> {
    let table = read_csv_table(path)?;
    if table.headers != ["province_zh", "name_zh", "code", "current_name_zh", "note"] {
        return Err(vec![Problem::new(
            path,
            Some(1),
            None,
            "expected the columns province_zh,name_zh,code,current_name_zh,note",
        )]);
    }
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for r in &table.rows {
        let f = |i: usize| r.fields.get(i).map_or("", |s| s.trim()).to_owned();
        if (0..4).any(|i| f(i).is_empty()) {
            problems.push(Problem::new(
                path,
                Some(r.line),
                None,
                "province_zh, name_zh, code and current_name_zh are required",
            ));
            continue;
        }
        rows.push(AliasRow {
            line: r.line,
            province_zh: f(0),
            name_zh: f(1),
            code: f(2),
            current_name_zh: f(3),
        });
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}
