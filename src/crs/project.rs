//! The coordinate reference systems the feature service offers (OGC API – Features Part 2)
//! and the transformations between them and the stored CRS84 lon/lat.
//!
//! Transformations are PROJ pipelines written out in full, so no `proj.db` is needed.
//! EPSG:4326 and EPSG:4490 have latitude-first axis order, as the OGC standard requires;
//! CGCS2000 (EPSG:4490) agrees with WGS84 to a few centimetres, far below the accuracy of
//! the boundaries, so it is the same coordinates with the axes swapped.

use proj::Proj;
use std::fmt;
use std::str::FromStr;

/// A CRS a client may ask for with `crs=` or `bbox-crs=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCrs {
    /// WGS84 longitude/latitude degrees (the default and storage CRS).
    Crs84,
    /// WGS84 latitude/longitude degrees.
    Epsg4326,
    /// Web Mercator metres (x east, y north).
    Epsg3857,
    /// CGCS2000 latitude/longitude degrees.
    Epsg4490,
}

/// Error for a CRS the service does not offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported CRS '{0}': expected one of {list}", list = OutputCrs::ALL.map(OutputCrs::uri).join(", "))]
pub struct UnsupportedCrs(pub String);

/// Error running a PROJ transformation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PROJ: {0}")]
pub struct ProjectError(pub String);

/// Forward pipeline from lon/lat degrees to Web Mercator metres.
pub const WEB_MERCATOR: &str = "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=webmerc +ellps=WGS84";
/// Inverse pipeline from Web Mercator metres to lon/lat degrees.
pub const WEB_MERCATOR_INV: &str = "+proj=pipeline +step +inv +proj=webmerc +ellps=WGS84 +step +proj=unitconvert +xy_in=rad +xy_out=deg";

/// Half the side of the Web Mercator square in metres (π·6,378,137); PROJ would wrap
/// larger x into −180..180° instead of failing.
pub const WEB_MERCATOR_MAX: f64 = 20_037_508.342_789_244;

/// Latitude in degrees at which Web Mercator's y reaches [`WEB_MERCATOR_MAX`]
/// (2·atan(e^π) − π/2): the edge of the square every Web Mercator map and tile grid uses.
pub const WEB_MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_6;

impl OutputCrs {
    /// All supported CRSs, the default first.
    pub const ALL: [OutputCrs; 4] = [OutputCrs::Crs84, OutputCrs::Epsg4326, OutputCrs::Epsg3857, OutputCrs::Epsg4490];

    /// The OGC URI of the CRS.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            OutputCrs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            OutputCrs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            OutputCrs::Epsg3857 => "http://www.opengis.net/def/crs/EPSG/0/3857",
            OutputCrs::Epsg4490 => "http://www.opengis.net/def/crs/EPSG/0/4490",
        }
    }

    /// A transformer from stored lon/lat to this CRS and back.
    ///
    /// # Errors
    /// [`ProjectError`] if PROJ cannot build the pipeline.
    pub fn projector(self) -> Result<Projector, ProjectError> {
        let pair = match self {
            OutputCrs::Epsg3857 => {
                let p = |d: &str| Proj::new(d).map_err(|e| ProjectError(e.to_string()));
                Some((p(WEB_MERCATOR)?, p(WEB_MERCATOR_INV)?))
            }
            _ => None,
        };
        Ok(Projector { crs: self, mercator: pair })
    }
}

impl fmt::Display for OutputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri())
    }
}

impl FromStr for OutputCrs {
    type Err = UnsupportedCrs;

    /// Accepts the OGC URI, its `[EPSG:4326]` safe-CURIE form and `EPSG:4326`-style codes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('[').trim_end_matches(']');
        let t = t.strip_prefix("https://").map_or(t.to_owned(), |r| format!("http://{r}"));
        OutputCrs::ALL
            .into_iter()
            .find(|c| {
                let code = c.uri().rsplit('/').next().unwrap_or("");
                let auth = if *c == OutputCrs::Crs84 { "OGC" } else { "EPSG" };
                t == c.uri() || t.eq_ignore_ascii_case(&format!("{auth}:{code}"))
            })
            .ok_or_else(|| UnsupportedCrs(s.to_owned()))
    }
}

/// Transforms coordinates between CRS84 and one [`OutputCrs`]. Holds PROJ objects, so
/// build one per request (cheap: two pipelines, no database).
pub struct Projector {
    crs: OutputCrs,
    mercator: Option<(Proj, Proj)>,
}

impl Projector {
    /// The target CRS.
    #[must_use]
    pub fn crs(&self) -> OutputCrs {
        self.crs
    }

    /// CRS84 `(lon, lat)` → coordinates in the target CRS, in its axis order.
    ///
    /// Web Mercator cannot show the poles (y grows without bound towards them), so a
    /// latitude beyond ±[`WEB_MERCATOR_MAX_LAT`] is clipped to that edge of the square, as
    /// Web Mercator tiles and maps do: y stays within ±[`WEB_MERCATOR_MAX`] m.
    ///
    /// # Errors
    /// [`ProjectError`] if PROJ fails.
    pub fn forward(&self, (lon, lat): (f64, f64)) -> Result<(f64, f64), ProjectError> {
        match (&self.mercator, self.crs) {
            (Some((fwd, _)), _) => fwd
                .convert((lon, lat.clamp(-WEB_MERCATOR_MAX_LAT, WEB_MERCATOR_MAX_LAT)))
                .map(|(x, y)| (x, y.clamp(-WEB_MERCATOR_MAX, WEB_MERCATOR_MAX)))
                .map_err(|e| ProjectError(e.to_string())),
            (None, OutputCrs::Epsg4326 | OutputCrs::Epsg4490) => Ok((lat, lon)),
            (None, _) => Ok((lon, lat)),
        }
    }

    /// Coordinates in the target CRS → CRS84 `(lon, lat)`.
    ///
    /// # Errors
    /// [`ProjectError`] if PROJ fails.
    pub fn inverse(&self, (a, b): (f64, f64)) -> Result<(f64, f64), ProjectError> {
        match (&self.mercator, self.crs) {
            (Some(_), _) if a.abs() > WEB_MERCATOR_MAX || b.abs() > WEB_MERCATOR_MAX || a.is_nan() || b.is_nan() => Err(ProjectError(
                format!("({a}, {b}) is outside the Web Mercator square ±{WEB_MERCATOR_MAX} m"),
            )),
            (Some((_, inv)), _) => inv.convert((a, b)).map_err(|e| ProjectError(e.to_string())),
            (None, OutputCrs::Epsg4326 | OutputCrs::Epsg4490) => Ok((b, a)),
            (None, _) => Ok((a, b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_and_codes() {
        assert_eq!("http://www.opengis.net/def/crs/EPSG/0/3857".parse(), Ok(OutputCrs::Epsg3857));
        assert_eq!("EPSG:4326".parse(), Ok(OutputCrs::Epsg4326));
        assert_eq!("[EPSG:4490]".parse(), Ok(OutputCrs::Epsg4490));
        assert_eq!("http://www.opengis.net/def/crs/OGC/1.3/CRS84".parse(), Ok(OutputCrs::Crs84));
        assert!("EPSG:2000".parse::<OutputCrs>().is_err());
    }

    #[test]
    fn web_mercator_round_trips_botou() {
        let p = OutputCrs::Epsg3857.projector().unwrap_or_else(|e| panic!("{e}"));
        let (x, y) = p.forward((116.578, 38.076)).unwrap_or_else(|e| panic!("{e}"));
        // x = R·λ with R = 6,378,137 m; y = R·ln tan(π/4 + φ/2).
        let r = 6_378_137.0_f64;
        assert!((x - r * 116.578_f64.to_radians()).abs() < 0.01, "{x}");
        let want_y = r * (std::f64::consts::FRAC_PI_4 + 38.076_f64.to_radians() / 2.0).tan().ln();
        assert!((y - want_y).abs() < 0.01, "{y} vs {want_y}");
        let (lon, lat) = p.inverse((x, y)).unwrap_or_else(|e| panic!("{e}"));
        assert!((lon - 116.578).abs() < 1e-9 && (lat - 38.076).abs() < 1e-9);
    }

    #[test]
    fn web_mercator_clips_latitudes_beyond_its_square() {
        let p = OutputCrs::Epsg3857.projector().unwrap_or_else(|e| panic!("{e}"));
        for (lat, sign) in [(90.0, 1.0), (89.0, 1.0), (-90.0, -1.0), (-86.5, -1.0)] {
            let (x, y) = p.forward((10.0, lat)).unwrap_or_else(|e| panic!("{lat}: {e}"));
            assert!((y - sign * WEB_MERCATOR_MAX).abs() < 1e-3, "{lat}° → y = {y}");
            assert!((x - 6_378_137.0 * 10.0_f64.to_radians()).abs() < 1e-3, "{x}");
        }
        // Just inside the edge is not clipped.
        let (_, y) = p.forward((0.0, 85.0)).unwrap_or_else(|e| panic!("{e}"));
        assert!((y - 19_971_868.88).abs() < 0.01, "{y}");
    }

    #[test]
    fn geographic_epsg_codes_are_latitude_first() {
        let p = OutputCrs::Epsg4326.projector().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.forward((116.5, 38.0)), Ok((38.0, 116.5)));
        assert_eq!(p.inverse((38.0, 116.5)), Ok((116.5, 38.0)));
    }
}
