//! Errors raised while reading geodata files, each naming the file and the record.

use std::path::PathBuf;

/// Failure to read or validate a geodata file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid in its format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// One record (feature or row, 1-based) is invalid.
    #[error("{path}: record {record}: {message}")]
    Record {
        /// The file.
        path: PathBuf,
        /// 1-based record number (feature index or data line).
        record: usize,
        /// What is wrong.
        message: String,
    },
    /// A required layer file is missing from the data folder.
    #[error("{path}: missing layer file (run `cluster-atlas prepare-geodata` or check --data)")]
    MissingLayer {
        /// The expected file.
        path: PathBuf,
    },
}

/// Result alias for the loader.
pub type LoadResult<T> = Result<T, LoadError>;
