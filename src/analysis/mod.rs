//! Pure, synchronous questions over an [`crate::atlas::Atlas`]: no IO, no HTTP.

pub mod reverse;

pub use reverse::{reverse_geocode, reverse_geocode_many};

/// Error for a request the analysis cannot answer because it is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A coordinate outside lon −180..180 / lat −90..90 or not finite.
    #[error("coordinate out of range: {0}")]
    CoordinateOutOfRange(String),
}

/// Result alias for analysis functions.
pub type AnalysisResult<T> = Result<T, AnalysisError>;
