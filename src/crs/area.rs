//! Areas in km² through PROJ, in an Albers equal-area projection fitted to China.
//!
//! Areas are never computed from degrees: a square degree shrinks with latitude by ~40 %
//! between Hainan and Heilongjiang.

use geo::{Area, MapCoords, MultiPolygon};
use proj::Proj;

/// Albers conic equal-area for China (standard parallels 25°N and 47°N, central meridian
/// 105°E, WGS84 ellipsoid) — the usual choice for national statistics maps of China.
pub const CHINA_ALBERS: &str = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs";

/// Error creating or running the PROJ transformation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AreaError {
    /// PROJ could not build the projection.
    #[error("PROJ could not create the equal-area projection: {0}")]
    Create(String),
    /// PROJ failed to project a coordinate.
    #[error("PROJ could not project a coordinate: {0}")]
    Project(String),
}

/// Measures polygon areas on the ellipsoid through an equal-area projection.
pub struct EqualArea {
    proj: Proj,
}

impl EqualArea {
    /// Builds the China Albers projection ([`CHINA_ALBERS`]).
    ///
    /// # Errors
    /// [`AreaError::Create`] if PROJ rejects the definition.
    pub fn china() -> Result<Self, AreaError> {
        // A bare projection string needs no proj.db, so this works without PROJ_DATA.
        let proj = Proj::new(CHINA_ALBERS).map_err(|e| AreaError::Create(e.to_string()))?;
        Ok(Self { proj })
    }

    /// Area of a WGS84 (lon/lat degrees) multipolygon in km².
    ///
    /// # Units
    /// Input in degrees; output in square kilometres.
    ///
    /// # Errors
    /// [`AreaError::Project`] if a coordinate cannot be projected.
    ///
    /// # Examples
    /// ```
    /// use cluster_atlas::crs::area::EqualArea;
    /// use geo::{polygon, MultiPolygon};
    /// // A 1°×1° cell at the equator is about 12,308 km²; at 60°N about half that.
    /// let cell = |y: f64| MultiPolygon::new(vec![polygon![
    ///     (x: 105.0, y: y), (x: 106.0, y: y), (x: 106.0, y: y + 1.0), (x: 105.0, y: y + 1.0)]]);
    /// let ea = EqualArea::china().unwrap();
    /// let a0 = ea.area_km2(&cell(0.0)).unwrap();
    /// let a60 = ea.area_km2(&cell(60.0)).unwrap();
    /// assert!((a0 - 12_308.0).abs() < 15.0, "{a0}");
    /// assert!((a60 / a0 - 0.4924).abs() < 0.01, "{}", a60 / a0);
    /// ```
    pub fn area_km2(&self, geom: &MultiPolygon<f64>) -> Result<f64, AreaError> {
        let projected = geom.try_map_coords(|c| {
            self.proj
                .convert((c.x.to_radians(), c.y.to_radians()))
                .map(|(x, y)| geo::coord! { x: x, y: y })
                .map_err(|e| AreaError::Project(e.to_string()))
        })?;
        Ok(projected.unsigned_area() / 1e6)
    }
}
