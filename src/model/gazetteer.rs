//! Places of an offline gazetteer (GeoNames), used to place named towns and parks.

use geo::Point;

/// One gazetteer place (a GeoNames populated place) with its Chinese names.
#[derive(Debug, Clone, PartialEq)]
pub struct GazetteerPlace {
    /// GeoNames id.
    pub id: u64,
    /// Romanised GeoNames name, e.g. `Zhuze`.
    pub name: String,
    /// WGS84 location.
    pub point: Point<f64>,
    /// Chinese alternate names, e.g. `竹箦`, `竹箦镇`.
    pub names_zh: Vec<String>,
}
