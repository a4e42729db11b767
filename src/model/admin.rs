//! Administrative units (province, prefecture, county) keyed by their GB/T 2260 code.

use geo::{MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The three levels of China's administrative hierarchy that cluster-atlas maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminLevel {
    /// 省级: provinces, autonomous regions, municipalities, SARs (34).
    Province,
    /// 地级: prefecture-level cities, leagues, autonomous prefectures (370 in the source).
    Prefecture,
    /// 县级: districts, county-level cities, counties, banners (2,875 in the source).
    County,
}

impl AdminLevel {
    /// All levels, largest first.
    pub const ALL: [AdminLevel; 3] = [AdminLevel::Province, AdminLevel::Prefecture, AdminLevel::County];

    /// The lowercase name used in properties, file names and query strings.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            AdminLevel::Province => "province",
            AdminLevel::Prefecture => "prefecture",
            AdminLevel::County => "county",
        }
    }

    /// The layer (and file stem) that holds this level: `provinces`, `prefectures`, `counties`.
    #[must_use]
    pub fn layer_name(self) -> &'static str {
        match self {
            AdminLevel::Province => "provinces",
            AdminLevel::Prefecture => "prefectures",
            AdminLevel::County => "counties",
        }
    }

    /// The level whose layer is named `name` (see [`AdminLevel::layer_name`]).
    #[must_use]
    pub fn from_layer_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.layer_name() == name)
    }
}

impl fmt::Display for AdminLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AdminLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "province" | "provinces" => Ok(AdminLevel::Province),
            "prefecture" | "prefectures" => Ok(AdminLevel::Prefecture),
            "county" | "counties" => Ok(AdminLevel::County),
            _ => Err(format!("unknown level '{s}': expected province, prefecture or county")),
        }
    }
}

/// A six-digit GB/T 2260 administrative division code, e.g. `130981` (泊头市).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdminCode(u32);

/// Error for a string that is not a six-digit GB/T 2260 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a six-digit GB/T 2260 code")]
pub struct InvalidAdminCode(pub String);

impl AdminCode {
    /// Builds a code from its numeric value (100000..=999999).
    ///
    /// # Errors
    /// [`InvalidAdminCode`] outside that range.
    pub fn new(value: u32) -> Result<Self, InvalidAdminCode> {
        if (100_000..=999_999).contains(&value) {
            Ok(Self(value))
        } else {
            Err(InvalidAdminCode(value.to_string()))
        }
    }

    /// The numeric value.
    #[must_use]
    pub fn value(self) -> u32 {
        self.0
    }

    /// The code of the province this code falls in (`130981` → `130000`).
    #[must_use]
    pub fn province(self) -> AdminCode {
        AdminCode(self.0 / 10_000 * 10_000)
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl FromStr for AdminCode {
    type Err = InvalidAdminCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidAdminCode(s.to_owned()));
        }
        s.parse::<u32>()
            .ok()
            .and_then(|v| AdminCode::new(v).ok())
            .ok_or_else(|| InvalidAdminCode(s.to_owned()))
    }
}

impl Serialize for AdminCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AdminCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The properties of an admin unit as files and APIs name them: the eight text properties
/// first (see [`ADMIN_TEXT_PROPERTIES`]), then the area and the representative point.
pub const ADMIN_PROPERTIES: [&str; 11] = [
    "code",
    "name_zh",
    "name_pinyin",
    "level",
    "province_code",
    "province_name_zh",
    "prefecture_code",
    "prefecture_name_zh",
    "area_km2",
    "rep_lon",
    "rep_lat",
];

/// The text properties of an admin unit (the first eight of [`ADMIN_PROPERTIES`]).
pub const ADMIN_TEXT_PROPERTIES: &[&str] = ADMIN_PROPERTIES.split_at(8).0;

/// One administrative unit with its boundary and its place in the hierarchy.
///
/// Every unit carries its province and prefecture (a province's prefecture fields name
/// itself's province only; see `geodata/NOTICE` for municipalities and province-administered
/// county-level cities, which are their own prefecture).
#[derive(Debug, Clone, PartialEq)]
pub struct AdminUnit {
    /// GB/T 2260 code.
    pub code: AdminCode,
    /// Official Chinese name, e.g. `泊头市`.
    pub name_zh: String,
    /// Toneless pinyin of the name without its administrative suffix, e.g. `Botou`.
    pub name_pinyin: String,
    /// Level in the hierarchy.
    pub level: AdminLevel,
    /// Code of the containing province (the unit's own code for a province).
    pub province_code: AdminCode,
    /// Chinese name of the containing province.
    pub province_name_zh: String,
    /// Code of the containing prefecture; `None` for provinces.
    pub prefecture_code: Option<AdminCode>,
    /// Chinese name of the containing prefecture; `None` for provinces.
    pub prefecture_name_zh: Option<String>,
    /// Area in km², measured in an equal-area projection (see [`crate::crs::area`]).
    pub area_km2: f64,
    /// A point guaranteed to lie inside the boundary (for labels and county-level placement).
    pub representative_point: Point<f64>,
    /// Boundary in WGS84 longitude/latitude degrees.
    pub geometry: MultiPolygon<f64>,
}
