//! Plain domain types shared by every layer: no IO, no async, no HTTP.

pub mod admin;
pub mod gazetteer;
pub mod place;
pub mod queryable;
pub mod time;

pub use admin::{AdminCode, AdminLevel, AdminUnit, InvalidAdminCode};
pub use gazetteer::GazetteerPlace;
pub use place::{PlaceFeature, Precision};
pub use time::{DatetimeFilter, Day, TimeSpan, YearMonth};
