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
