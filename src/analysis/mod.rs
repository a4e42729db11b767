//! Pure, synchronous questions over an [`crate::atlas::Atlas`]: no IO, no HTTP.

pub mod classify;
pub mod density;
pub mod features;
pub mod nearest;
pub mod proximity;
pub mod reverse;
pub mod search;
pub mod within;

pub use nearest::{NearestQuery, nearest};
pub use proximity::{Hit, PointFilter};
pub use reverse::{reverse_geocode, reverse_geocode_many};
pub use search::{SearchHit, search};
pub use within::{WithinQuery, within_radius};

/// Error for a request the analysis cannot answer because it is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A coordinate outside lon −180..180 / lat −90..90 or not finite.
    #[error("coordinate out of range: {0}")]
    CoordinateOutOfRange(String),
    /// A query argument (`k`, `radius_m`, `q`, `limit`, …) outside its documented range.
    #[error("{message}")]
    InvalidArgument {
        /// The argument's name, as in the HTTP query string.
        parameter: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A filter on a property the collection does not have or cannot filter on.
    #[error("unknown or non-queryable property '{0}'")]
    UnknownProperty(String),
    /// An equality filter whose value cannot be of the property's type (`firms=many`), so
    /// it could never match: refused rather than answered with nothing.
    #[error("property '{property}' holds {expected}, got '{value}'")]
    PropertyValue {
        /// The property (and query parameter) name.
        property: String,
        /// What its values are, e.g. "a number".
        expected: &'static str,
        /// The value given.
        value: String,
    },
}

/// Result alias for analysis functions.
pub type AnalysisResult<T> = Result<T, AnalysisError>;
