//! Coordinate reference systems: the Chinese web-map datums (GCJ-02, BD-09) and
//! equal-area measurement through PROJ. Pure functions, no IO.

pub mod area;
pub mod gcj02;
pub mod project;

use std::fmt;
use std::str::FromStr;

/// A horizontal datum in which users hand us longitude/latitude pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datum {
    /// WGS84 (GPS, OpenStreetMap, GeoNames, the service's own coordinates).
    Wgs84,
    /// GCJ-02, used by Amap/Gaode and Tencent maps.
    Gcj02,
    /// BD-09, used by Baidu maps.
    Bd09,
}

impl Datum {
    /// All datums, in the order they are documented.
    pub const ALL: [Datum; 3] = [Datum::Wgs84, Datum::Gcj02, Datum::Bd09];

    /// The lowercase name used on the command line and in query strings.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for a datum name that is not one of `wgs84`, `gcj02`, `bd09`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown datum '{0}': expected one of wgs84, gcj02, bd09")]
pub struct UnknownDatum(pub String);

impl FromStr for Datum {
    type Err = UnknownDatum;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" | "epsg:4326" | "crs84" => Ok(Datum::Wgs84),
            "gcj02" | "gcj-02" => Ok(Datum::Gcj02),
            "bd09" | "bd-09" | "bd09ll" => Ok(Datum::Bd09),
            _ => Err(UnknownDatum(s.to_owned())),
        }
    }
}

/// Converts `(lon, lat)` degrees from one datum to another.
///
/// # Examples
/// ```
/// use cluster_atlas::crs::{convert, Datum};
/// let (lon, lat) = convert(Datum::Gcj02, Datum::Wgs84, (116.403_743_572_651_76, 39.910_103_499_344_76));
/// assert!((lon - 116.3975).abs() < 1e-7 && (lat - 39.9087).abs() < 1e-7);
/// ```
#[must_use]
pub fn convert(from: Datum, to: Datum, (lon, lat): (f64, f64)) -> (f64, f64) {
    let (wlon, wlat) = match from {
        Datum::Wgs84 => (lon, lat),
        Datum::Gcj02 => gcj02::gcj02_to_wgs84(lon, lat),
        Datum::Bd09 => gcj02::bd09_to_wgs84(lon, lat),
    };
    match to {
        Datum::Wgs84 => (wlon, wlat),
        Datum::Gcj02 => gcj02::wgs84_to_gcj02(wlon, wlat),
        Datum::Bd09 => gcj02::wgs84_to_bd09(wlon, wlat),
    }
}
