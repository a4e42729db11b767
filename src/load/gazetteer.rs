//! The offline gazetteer `geodata/sources/geonames-cn.tsv` (GeoNames, CC BY 4.0), written by
//! `scripts/fetch-gazetteer`: `geonameid, latitude, longitude, name, names_zh` (tab-separated,
//! one header line, Chinese names separated by `|`).

use super::error::{LoadError, LoadResult};
use crate::model::GazetteerPlace;
use std::path::Path;

/// Reads every place of the gazetteer file.
///
/// # Errors
/// [`LoadError`] naming the file and the 1-based line of a malformed row.
pub fn read_gazetteer(path: &Path) -> LoadResult<Vec<GazetteerPlace>> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            parse_line(line).map_err(|message| LoadError::Record {
                path: path.to_path_buf(),
                record: i + 1,
                message,
            })
        })
        .collect()
}

fn parse_line(line: &str) -> Result<GazetteerPlace, String> {
    let f: Vec<&str> = line.split('\t').collect();
    let [id, lat, lon, name, zh] = f.as_slice() else {
        return Err(format!("expected 5 tab-separated fields, found {}", f.len()));
    };
    let num = |s: &str, what: &str| s.parse::<f64>().map_err(|_| format!("{what} '{s}' is not a number"));
    Ok(GazetteerPlace {
        id: id.parse().map_err(|_| format!("geonameid '{id}' is not an integer"))?,
        name: (*name).to_owned(),
        point: geo::Point::new(num(lon, "longitude")?, num(lat, "latitude")?),
        names_zh: zh.split('|').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}
