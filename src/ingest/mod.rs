//! Ingest: from users' files and the curated sources to placed point features, above the
//! analysis it uses (reverse geocoding) and below the adapters that call it (`import`,
//! `build-clusters`, `import --postgres`). Nothing here serves a request.

pub mod import;
pub mod name_placement;
pub mod placement;
