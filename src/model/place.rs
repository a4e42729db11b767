//! Point features: clusters, parks and towns (the default layer) and users' imported points.

use super::{AdminCode, TimeSpan};
use geo::Point;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// How precisely a point's location is known. Never claims more than the source gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Surveyed or user-supplied coordinates.
    Exact,
    /// A named town, township or park matched to a gazetteer point inside the right county.
    Town,
    /// The county's representative interior point.
    County,
    /// The prefecture's representative interior point.
    Prefecture,
    /// The province's representative interior point.
    Province,
}

impl Precision {
    /// All values, most precise first.
    pub const ALL: [Precision; 5] = [
        Precision::Exact,
        Precision::Town,
        Precision::County,
        Precision::Prefecture,
        Precision::Province,
    ];

    /// The lowercase name used in properties.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Precision::Exact => "exact",
            Precision::Town => "town",
            Precision::County => "county",
            Precision::Prefecture => "prefecture",
            Precision::Province => "province",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown precision '{s}': expected exact, town, county, prefecture or province"))
    }
}

/// One point feature of a layer, with its resolved admin codes.
///
/// `properties` holds every property as stored (typed JSON values, `null` for empty); the
/// named fields are copies of the ones queries filter and rank on.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceFeature {
    /// Stable identifier, unique within the layer (e.g. `botou-casting`).
    pub id: String,
    /// WGS84 location.
    pub point: Point<f64>,
    /// Chinese name.
    pub name_zh: String,
    /// English name, if any.
    pub name_en: Option<String>,
    /// `cluster`, `park` or `town` in the default layer; free in imported layers.
    pub kind: Option<String>,
    /// Industry tags (`foundry`, `ceramics`, …), the primary one first; empty when none.
    pub industries: Vec<String>,
    /// When the feature came into being (approval month, else designation year), if known.
    pub time: Option<TimeSpan>,
    /// Containing county, if resolved.
    pub county_code: Option<AdminCode>,
    /// Containing prefecture, if resolved.
    pub prefecture_code: Option<AdminCode>,
    /// Containing province, if resolved.
    pub province_code: Option<AdminCode>,
    /// How precisely the point is known.
    pub precision: Precision,
    /// All properties as stored, including the ones above.
    pub properties: Map<String, Value>,
}

impl PlaceFeature {
    /// The primary industry tag, if any.
    #[must_use]
    pub fn industry(&self) -> Option<&str> {
        self.industries.first().map(String::as_str)
    }

    /// Whether `tag` is among the feature's industries (ASCII case-insensitive).
    #[must_use]
    pub fn has_industry(&self, tag: &str) -> bool {
        self.industries.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }
}
