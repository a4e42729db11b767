//! Atomic file replacement: a failed or interrupted write leaves the previous file intact.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (named with a
/// leading dot and no `.geojson` extension, so a concurrent `load_dir` never picks it up),
/// fsync, rename over `path`, then fsync of the folder so the rename itself is durable.
///
/// # Errors
/// Any IO error, with the file named; the previous content of `path` is then unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("layer");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Directory fsync makes the rename durable; not supported on every platform/filesystem.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes the temporary files [`write_atomic`] left for `path` when a writer was killed
/// before its rename (SIGKILL, power loss); they are never loaded, but would pile up.
/// An import of the same layer running at this very moment then fails its rename and
/// leaves the previous file intact.
///
/// # Errors
/// The folder cannot be listed; files that cannot be removed are skipped.
pub fn remove_stale_temps(path: &Path) -> std::io::Result<usize> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("layer");
    let prefix = format!(".{name}.");
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
