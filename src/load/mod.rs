//! Geodata files → validated in-memory data. The only module (with `prepare`) doing file IO.

pub mod admin_aliases;
pub mod atomic;
pub mod clusters_csv;
pub mod csv;
pub mod devzones;
pub mod error;
pub mod fgb;
pub mod gazetteer;
pub mod industry_vocabulary;
pub mod points;

pub use error::{LoadError, LoadResult};

use crate::atlas::{Atlas, DEFAULT_POINT_LAYER, PointLayer, RejectedLayer};
use crate::model::AdminLevel;
use std::path::Path;

/// File name of an admin layer inside a data folder, e.g. `counties.fgb`.
#[must_use]
pub fn admin_layer_file(level: AdminLevel) -> String {
    format!("{}.fgb", level.layer_name())
}

/// Loads every layer found in `dir` and builds the immutable [`Atlas`].
///
/// The admin boundaries and the curated default layer must load. A user layer (any other
/// `*.geojson`: an import, a dropped-in file) that does not is skipped with an error line
/// naming the file and record, and listed in [`Atlas::rejected_layers`]: one bad user file
/// never keeps the rest of the data from being served.
///
/// # Errors
/// [`LoadError`] naming the admin or default-layer file (and record) that is missing or invalid.
pub fn load_dir(dir: &Path) -> LoadResult<Atlas> {
    let mut builder = Atlas::builder();
    for level in AdminLevel::ALL {
        let units = fgb::read_admin_layer(&dir.join(admin_layer_file(level)))?;
        builder = builder.admin_units(level, units);
    }
    for path in point_layer_files(dir)? {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let features = match points::read_point_layer(&path) {
            Ok(features) => features,
            Err(e) if name == DEFAULT_POINT_LAYER => return Err(e),
            Err(e) => {
                tracing::error!(file = %path.display(), error = %e, "user layer '{name}' rejected; serving the other layers");
                let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
                builder = builder.rejected_layer(RejectedLayer {
                    name,
                    file,
                    error: e.reason(),
                });
                continue;
            }
        };
        let title = if name == DEFAULT_POINT_LAYER {
            "Industrial clusters, parks and towns".to_owned()
        } else {
            imported_layer_title(&name)
        };
        builder = builder.point_layer(PointLayer::new(name, title, features));
    }
    Ok(builder.build())
}

/// The title of an imported layer that was given none (in memory and in PostGIS alike).
#[must_use]
pub fn imported_layer_title(name: &str) -> String {
    format!("Imported layer {name}")
}

/// Every `*.geojson` file directly in `dir`, sorted: each is one point layer named by its stem.
///
/// # Errors
/// [`LoadError::Io`] if the folder cannot be listed.
pub fn point_layer_files(dir: &Path) -> LoadResult<Vec<std::path::PathBuf>> {
    let entries = list_dir(dir)?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "geojson") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// What a data folder holds, as far as [`load_dir`] reads it: name, size and modification time
/// of every `*.fgb` and `*.geojson` file, sorted. Two equal fingerprints mean nothing to
/// reload (imports write a `*.tmp` file and rename it, so a half-written layer never shows).
///
/// # Errors
/// [`LoadError::Io`] if the folder cannot be listed.
pub fn data_fingerprint(dir: &Path) -> LoadResult<Vec<(String, u64, Option<std::time::SystemTime>)>> {
    let entries = list_dir(dir)?;
    let mut out: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let p = e.path();
            p.extension().is_some_and(|x| x == "fgb" || x == "geojson")
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), meta.len(), meta.modified().ok()))
        })
        .collect();
    out.sort();
    Ok(out)
}

fn list_dir(dir: &Path) -> LoadResult<std::fs::ReadDir> {
    std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })
}
