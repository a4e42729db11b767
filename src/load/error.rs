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

impl LoadError {
    /// What is wrong, naming the record where there is one but not the file's path
    /// (for answers to clients, which must not learn the server's folders).
    #[must_use]
    pub fn reason(&self) -> String {
        match self {
            LoadError::Io { source, .. } => source.to_string(),
            LoadError::Format { message, .. } => message.clone(),
            LoadError::Record { record, message, .. } => format!("record {record}: {message}"),
            LoadError::MissingLayer { .. } => "missing layer file".to_owned(),
        }
    }

    /// The file at fault.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        match self {
            LoadError::Io { path, .. }
            | LoadError::Format { path, .. }
            | LoadError::Record { path, .. }
            | LoadError::MissingLayer { path } => path,
        }
    }
}

/// Result alias for the loader.
pub type LoadResult<T> = Result<T, LoadError>;
